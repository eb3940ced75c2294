//! LDIF exports of a hospital directory (Active Directory `ldifde`,
//! OpenLDAP `slapcat`/`ldapsearch`), as in RFC 2849.
//!
//! Records are separated by blank lines; a line starting with one space
//! continues the previous one; `#` lines are comments; `attr:: value` is
//! base64. Per record: the login is `uid` or `sAMAccountName`; the name is
//! `displayName` or `cn`; the role is `ckisaRole`, else `employeeType`; the
//! units are `ckisaUnits`, else every `departmentNumber` value. Records with
//! neither a login nor a role (organisational units, groups) are skipped
//! silently.

use super::{Collector, ImportProblem, RawEntry};
use crate::NewUser;

/// One logical line (folded lines joined) and where it starts.
struct Line {
    number: usize,
    text: String,
}

/// One attribute value of a record.
struct Attribute {
    line: usize,
    /// Lowercase name, without options (`cn;lang-fr` → `cn`).
    name: String,
    value: String,
}

/// Reads an LDIF export (see the module documentation).
pub fn parse_ldif(text: &str) -> (Vec<NewUser>, Vec<ImportProblem>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut collector = Collector::default();
    for record in records(unfold(text)) {
        let attributes = read_attributes(&record, &mut collector);
        read_record(
            &attributes,
            record.first().map_or(1, |l| l.number),
            &mut collector,
        );
    }
    collector.finish()
}

/// Joins folded lines and drops comments; blank lines stay (as empty
/// text) to separate records.
fn unfold(text: &str) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    let mut in_comment = false;
    for (index, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix(' ') {
            if !in_comment && let Some(last) = lines.last_mut() {
                last.text.push_str(rest);
            }
            continue;
        }
        in_comment = raw.starts_with('#');
        if !in_comment {
            lines.push(Line {
                number: index + 1,
                text: raw.to_owned(),
            });
        }
    }
    lines
}

/// Groups lines into records at blank lines.
fn records(lines: Vec<Line>) -> Vec<Vec<Line>> {
    let mut records = vec![Vec::new()];
    for line in lines {
        if line.text.trim().is_empty() {
            records.push(Vec::new());
        } else if let Some(current) = records.last_mut() {
            current.push(line);
        }
    }
    records.retain(|record| !record.is_empty());
    records
}

/// Reads the `name: value` lines of a record, decoding base64 values.
fn read_attributes(record: &[Line], collector: &mut Collector) -> Vec<Attribute> {
    let mut attributes = Vec::new();
    for line in record {
        let Some((name, rest)) = line.text.split_once(':') else {
            collector.problem(line.number, "ligne sans « : », ignorée");
            continue;
        };
        let name = name.split(';').next().unwrap_or(name).trim().to_lowercase();
        let value = if let Some(encoded) = rest.strip_prefix(':') {
            let decoded = decode_base64(encoded.trim()).and_then(|b| String::from_utf8(b).ok());
            let Some(decoded) = decoded else {
                let reason = format!("valeur base64 de « {name} » illisible, ignorée");
                collector.problem(line.number, reason);
                continue;
            };
            decoded
        } else if rest.starts_with('<') {
            let reason = format!("valeur de « {name} » donnée par URL, non prise en charge");
            collector.problem(line.number, reason);
            continue;
        } else {
            rest.trim_start().to_owned()
        };
        attributes.push(Attribute {
            line: line.number,
            name,
            value,
        });
    }
    attributes
}

/// Turns a record's attributes into an account entry.
fn read_record(attributes: &[Attribute], first_line: usize, collector: &mut Collector) {
    let first = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| attributes.iter().find(|a| a.name == *name))
    };
    let all = |name: &str| -> Vec<&str> {
        attributes
            .iter()
            .filter(|a| a.name == name)
            .map(|a| a.value.as_str())
            .collect()
    };
    let login = first(&["uid", "samaccountname"]);
    let role = first(&["ckisarole", "employeetype"]);
    if login.is_none() && role.is_none() {
        return;
    }
    let mut units = all("ckisaunits");
    if units.is_empty() {
        units = all("departmentnumber");
    }
    let units = units.join(",");
    collector.add(&RawEntry {
        line: login.or(role).map_or(first_line, |a| a.line),
        login: login.map_or("", |a| a.value.as_str()),
        name: first(&["displayname", "cn"]).map_or("", |a| a.value.as_str()),
        role: role.map_or("", |a| a.value.as_str()),
        units: &units,
    });
}

/// Decodes standard base64 (padding optional); `None` if malformed.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let digits = text.trim_end_matches('=');
    if digits.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in digits.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Role, Scope};

    const EXPORT: &str = "version: 1\n\
\n\
# Unité organisationnelle : pas un compte\n\
dn: ou=Soins,dc=chu,dc=fr\n\
objectClass: organizationalUnit\n\
ou: Soins\n\
\n\
dn: CN=Dupont Jeanne,OU=Soins,DC=chu,DC=fr\n\
sAMAccountName: JDupont\n\
displayName:: SsOpcsO0bWUgRMO8cG9udA==\n\
employeeType: Infirmier\n\
departmentNumber: REA\n\
departmentNumber: CARDIO\n\
\n\
dn: uid=mmartin,ou=people,dc=chu,dc=fr\n\
uid: mmartin\n\
cn: Marc Martin, chef de\n\
\x20 service\n\
ckisaRole: medecin\n\
ckisaUnits: *\n\
employeeType: Infirmier\n\
departmentNumber: REA\n\
\n\
dn: uid=x,ou=people,dc=chu,dc=fr\n\
uid: x y\n\
employeeType: infirmier\n\
\n\
dn: uid=norole,ou=people,dc=chu,dc=fr\n\
uid: norole\n\
cn: Sans Rôle\n\
\n\
dn: uid=bad64,ou=people,dc=chu,dc=fr\n\
uid: bad64\n\
cn:: ***\n\
employeeType: laboratoire\n";

    #[test]
    fn an_export_is_read_with_base64_folding_and_problems() {
        let (users, problems) = parse_ldif(EXPORT);
        let logins: Vec<&str> = users.iter().map(|u| u.login.as_str()).collect();
        assert_eq!(logins, ["jdupont", "mmartin", "bad64"]);

        assert_eq!(users[0].display_name, "Jérôme Düpont");
        assert_eq!(users[0].role, Role::Nurse);
        assert_eq!(users[0].scope, Scope::parse("CARDIO,REA"));

        // Folded line joined; ckisa attributes win over the generic ones.
        assert_eq!(users[1].display_name, "Marc Martin, chef de service");
        assert_eq!(users[1].role, Role::Physician);
        assert_eq!(users[1].scope, Scope::AllUnits);

        // The bad base64 name is dropped, the account kept with its login.
        assert_eq!(users[2].display_name, "bad64");
        assert_eq!(users[2].role, Role::Lab);

        let found: Vec<(usize, &str)> = problems
            .iter()
            .map(|p| (p.line, p.reason.as_str()))
            .collect();
        assert_eq!(found.len(), 3, "{found:#?}");
        assert_eq!(found[0].0, 25);
        assert!(found[0].1.contains("espace"));
        assert_eq!(found[1].0, 29);
        assert!(found[1].1.contains("rôle absent"));
        assert_eq!(found[2].0, 34);
        assert!(found[2].1.contains("base64"));
    }

    #[test]
    fn crlf_comments_and_lines_without_colon() {
        let text = "# export\r\n continued comment\r\ndn: uid=a\r\nuid: a\r\nnonsense\r\n\
                    employeeType: cadre\r\n";
        let (users, problems) = parse_ldif(text);
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].role, Role::UnitManager);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 5);
    }

    #[test]
    fn base64_decodes_with_or_without_padding() {
        assert_eq!(decode_base64("TWFu").unwrap(), b"Man");
        assert_eq!(decode_base64("TWE=").unwrap(), b"Ma");
        assert_eq!(decode_base64("TQ").unwrap(), b"M");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert!(decode_base64("T").is_none());
        assert!(decode_base64("T$==").is_none());
    }
}
