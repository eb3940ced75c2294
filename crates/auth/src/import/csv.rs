//! CSV account lists: a header line, then one account per line.
//!
//! The separator is `;` or `,`, whichever the header uses more. Columns are
//! found by name, in French or English, ignoring case and accents:
//! `login`/`identifiant`, `nom`/`name`/`display_name`, `role`,
//! `unites`/`units` (unit codes separated by `,` or `;` inside the field,
//! `*` for all). Fields may be quoted (`"..."`, `""` for a quote, separators
//! and line breaks allowed inside).

use super::{Collector, ImportProblem, RawEntry};
use crate::NewUser;

/// A column this importer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Login,
    Name,
    Role,
    Units,
}

/// One record: the line it starts on and its fields.
struct Record {
    line: usize,
    fields: Vec<String>,
}

/// Reads a CSV account list (see the module documentation).
pub fn parse_csv(text: &str) -> (Vec<NewUser>, Vec<ImportProblem>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut collector = Collector::default();
    let Some(header) = text.lines().find(|line| !line.trim().is_empty()) else {
        collector.problem(1, "fichier vide : une ligne d'en-tête est attendue");
        return collector.finish();
    };
    let separator = if header.matches(';').count() >= header.matches(',').count() {
        ';'
    } else {
        ','
    };
    let (records, unterminated) = split_records(text, separator);
    let mut records = records.into_iter();
    let Some(header) = records.next() else {
        return collector.finish();
    };
    let Some(columns) = read_header(&header, &mut collector) else {
        return collector.finish();
    };
    for record in records {
        read_row(&record, &columns, &mut collector);
    }
    if let Some(line) = unterminated {
        collector.problem(
            line,
            "guillemet ouvert jamais fermé : fin du fichier ignorée",
        );
    }
    collector.finish()
}

/// Maps header fields to columns; `None` (with a problem) if the login or
/// role column is missing.
fn read_header(header: &Record, collector: &mut Collector) -> Option<Vec<Option<Column>>> {
    let columns: Vec<Option<Column>> = header.fields.iter().map(|f| column(f)).collect();
    for (field, found) in header.fields.iter().zip(&columns) {
        if found.is_none() {
            let reason = format!("colonne « {} » inconnue, ignorée", field.trim());
            collector.problem(header.line, reason);
        }
    }
    for (needed, name) in [(Column::Login, "login"), (Column::Role, "role")] {
        if !columns.contains(&Some(needed)) {
            let reason = format!(
                "colonne « {name} » absente de l'en-tête (colonnes attendues : \
                 login, nom, role, unites)"
            );
            collector.problem(header.line, reason);
            return None;
        }
    }
    Some(columns)
}

/// Reads one data record.
fn read_row(record: &Record, columns: &[Option<Column>], collector: &mut Collector) {
    if record.fields.len() != columns.len() {
        let reason = format!(
            "{} champ(s) au lieu de {} (séparateur ou guillemets à vérifier)",
            record.fields.len(),
            columns.len()
        );
        collector.problem(record.line, reason);
        return;
    }
    let field = |wanted: Column| {
        columns
            .iter()
            .position(|c| *c == Some(wanted))
            .and_then(|index| record.fields.get(index))
            .map_or("", String::as_str)
    };
    collector.add(&RawEntry {
        line: record.line,
        login: field(Column::Login),
        name: field(Column::Name),
        role: field(Column::Role),
        units: field(Column::Units),
    });
}

/// The column a header field names.
fn column(field: &str) -> Option<Column> {
    let name: String = field
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' => 'e',
            'ô' => 'o',
            ' ' | '-' => '_',
            c => c,
        })
        .collect();
    match name.as_str() {
        "login" | "identifiant" | "uid" => Some(Column::Login),
        "nom" | "name" | "display_name" | "displayname" | "nom_complet" => Some(Column::Name),
        "role" => Some(Column::Role),
        "unites" | "unite" | "units" | "unit" => Some(Column::Units),
        _ => None,
    }
}

/// Splits the text into records of fields, honouring quotes; blank lines
/// are skipped. Also returns the line of a quote left open, if any.
fn split_records(text: &str, separator: char) -> (Vec<Record>, Option<usize>) {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut quote_line = 0;
    let mut line = 1;
    let mut start = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' if in_quotes => in_quotes = false,
            '"' if field.trim().is_empty() => {
                field.clear();
                in_quotes = true;
                quote_line = line;
            }
            '\n' => {
                line += 1;
                if in_quotes {
                    field.push('\n');
                } else {
                    fields.push(end_field(&mut field));
                    push_record(&mut records, start, std::mem::take(&mut fields));
                    start = line;
                }
            }
            c if c == separator && !in_quotes => fields.push(end_field(&mut field)),
            c => field.push(c),
        }
    }
    if in_quotes {
        return (records, Some(quote_line));
    }
    fields.push(end_field(&mut field));
    push_record(&mut records, start, fields);
    (records, None)
}

/// Takes a finished field, without a line break's `\r`.
fn end_field(field: &mut String) -> String {
    let mut taken = std::mem::take(field);
    if taken.ends_with('\r') {
        taken.pop();
    }
    taken
}

/// Keeps a record unless it is a blank line.
fn push_record(records: &mut Vec<Record>, line: usize, fields: Vec<String>) {
    if fields.len() == 1 && fields[0].trim().is_empty() {
        return;
    }
    records.push(Record { line, fields });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Role, Scope};

    #[test]
    fn french_semicolon_file_with_quotes() {
        let text = "\u{feff}Identifiant;Nom;Rôle;Unités\r\n\
                    jdupont;\"Dupont; Jeanne\";infirmier;REA,CARDIO\r\n\
                    \r\n\
                    mmartin;Marc Martin;Médecin;*\r\n";
        let (users, problems) = parse_csv(text);
        assert_eq!(problems, vec![]);
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].login, "jdupont");
        assert_eq!(users[0].display_name, "Dupont; Jeanne");
        assert_eq!(users[0].scope, Scope::parse("CARDIO,REA"));
        assert_eq!(users[1].role, Role::Physician);
        assert_eq!(users[1].scope, Scope::AllUnits);
        assert!(users.iter().all(|u| u.must_change && u.password.is_none()));
    }

    #[test]
    fn english_comma_file_with_quoted_units_and_escaped_quotes() {
        let text = "login,name,role,units\n\
                    a.b,\"Anne \"\"Nan\"\" B\",pharmacien,\"REA,URG\"\n";
        let (users, problems) = parse_csv(text);
        assert_eq!(problems, vec![]);
        assert_eq!(users[0].display_name, "Anne \"Nan\" B");
        assert_eq!(users[0].scope, Scope::parse("REA,URG"));
    }

    #[test]
    fn bad_lines_are_reported_and_the_rest_imported() {
        let text = "login;nom;role;unites;poste\n\
                    ok1;Un;infirmier;REA;x\n\
                    Bad Login;Deux;infirmier;REA;x\n\
                    ok2;Trois;chef;REA;x\n\
                    ok3;Quatre;infirmier\n\
                    ok1;Cinq;infirmier;REA;x\n\
                    ok4;\"Six\n\
                    sur deux lignes\";cadre;REA;x\n\
                    ok5;Sept;cadre;REA;x\n";
        let (users, problems) = parse_csv(text);
        let logins: Vec<&str> = users.iter().map(|u| u.login.as_str()).collect();
        assert_eq!(logins, ["ok1", "ok4", "ok5"]);
        assert_eq!(users[1].display_name, "Six\nsur deux lignes");
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 3, 4, 5, 6], "{problems:#?}");
        assert!(problems[0].reason.contains("« poste » inconnue"));
        assert!(problems[1].reason.contains("espace"));
        assert!(problems[2].reason.contains("rôle inconnu « chef »"));
        assert!(problems[3].reason.contains("3 champ(s) au lieu de 5"));
        assert!(problems[4].reason.contains("déjà lu ligne 2"));
    }

    #[test]
    fn a_missing_role_column_or_an_open_quote_is_reported() {
        let (users, problems) = parse_csv("login;nom\na;A\n");
        assert!(users.is_empty());
        assert!(problems[0].reason.contains("« role » absente"));

        let (users, problems) = parse_csv("login;role\na;infirmier\nb;\"infirmier\n");
        assert_eq!(users.len(), 1);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 3);

        let (users, problems) = parse_csv("  \n");
        assert!(users.is_empty());
        assert!(problems[0].reason.contains("fichier vide"));
    }
}
