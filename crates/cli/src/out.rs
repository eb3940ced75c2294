//! The one place where the binary prints to the terminal: results on
//! stdout, errors on stderr with their whole cause chain.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "this module is the CLI's output"
)]

/// Prints a line of results. A closed stdout (`ckisa status | head`) ends
/// the output quietly instead of panicking.
pub(crate) fn line(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{text}");
}

/// Prints an error and its causes.
pub(crate) fn error(err: &anyhow::Error) {
    eprintln!("erreur : {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  cause : {cause}");
    }
}

/// Prints a warning for the operator.
pub(crate) fn warn(text: &str) {
    eprintln!("attention : {text}");
}

/// Lays out rows under a header as aligned columns (widths in characters).
pub(crate) fn table<const N: usize>(header: &[String; N], rows: &[[String; N]]) -> Vec<String> {
    let mut widths = [0usize; N];
    for row in std::iter::once(header).chain(rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    std::iter::once(header)
        .chain(rows)
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, width)| {
                    let pad = width.saturating_sub(cell.chars().count());
                    format!("{cell}{}", " ".repeat(pad))
                })
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_columns_line_up_with_accents() {
        let header = [String::from("rôle"), String::from("x")];
        let rows = [[String::from("médecin"), String::from("1")]];
        let lines = table(&header, &rows);
        assert_eq!(lines, vec!["rôle     x", "médecin  1"]);
    }
}

/// Text typed by someone else (a reason typed on the web), made safe to
/// print on a terminal: control characters (escape sequences that would
/// clear or recolour it) become `?`.
pub(crate) fn plain(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod plain_tests {
    #[test]
    fn escape_sequences_never_reach_the_terminal() {
        assert_eq!(
            super::plain("essai \u{1b}[2J\u{1b}[31mROUGE\u{1b}[0m fin"),
            "essai ?[2J?[31mROUGE?[0m fin"
        );
        assert_eq!(super::plain("Crise déclarée"), "Crise déclarée");
    }
}
