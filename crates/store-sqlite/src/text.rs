//! Text helpers of the store: name folding for accent- and case-insensitive
//! search, and the natural order of room and bed labels.
//!
//! Names are folded to uppercase ASCII (`Gwénaëlle` -> `GWENAELLE`), the form
//! French HIS print and caregivers type, so that a prefix search is a plain
//! range scan over an index.

use std::cmp::Ordering;

/// Appends one character folded to uppercase ASCII; false (nothing appended)
/// for a character that is neither a letter nor a digit (a separator).
fn fold_char(c: char, out: &mut String) -> bool {
    let folded: &str = match c {
        'a'..='z' => {
            out.push(c.to_ascii_uppercase());
            return true;
        }
        'A'..='Z' | '0'..='9' => {
            out.push(c);
            return true;
        }
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å'
        | 'Ā' | 'Ă' | 'Ą' => "A",
        'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => "C",
        'ď' | 'đ' | 'Ď' | 'Đ' => "D",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę'
        | 'Ě' => "E",
        'ğ' | 'Ğ' => "G",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' | 'Į' | 'İ' => {
            "I"
        }
        'ł' | 'ľ' | 'ĺ' | 'Ł' | 'Ľ' | 'Ĺ' => "L",
        'ñ' | 'ń' | 'ň' | 'Ñ' | 'Ń' | 'Ň' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō'
        | 'Ő' => "O",
        'ŕ' | 'ř' | 'Ŕ' | 'Ř' => "R",
        'ś' | 'š' | 'ş' | 'Ś' | 'Š' | 'Ş' => "S",
        'ß' => "SS",
        'ť' | 'ţ' | 'Ť' | 'Ţ' => "T",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' | 'Ű'
        | 'Ų' => "U",
        'ý' | 'ÿ' | 'Ý' | 'Ÿ' => "Y",
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => "Z",
        'æ' | 'Æ' => "AE",
        'œ' | 'Œ' => "OE",
        _ if c.is_alphanumeric() => {
            out.extend(c.to_uppercase());
            return true;
        }
        _ => return false,
    };
    out.push_str(folded);
    true
}

/// Folds a whole text: uppercase ASCII letters and digits, every run of
/// other characters replaced by one space, trimmed.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        let mark = out.len();
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        if fold_char(c, &mut out) {
            pending_space = false;
        } else {
            out.truncate(mark);
            pending_space = true;
        }
    }
    out
}

/// The search terms of a name: each whitespace-separated word with its
/// punctuation removed (`D'ARTAGNAN` -> `DARTAGNAN`), plus each part between
/// punctuation (`JEAN-PIERRE` -> `JEAN`, `PIERRE`).
pub(crate) fn name_terms(name: &str) -> Vec<String> {
    let mut terms = Vec::new();
    for word in name.split_whitespace() {
        let joined: String = fold(word).split(' ').collect();
        push_unique(&mut terms, joined);
        for part in fold(word).split(' ') {
            push_unique(&mut terms, part.to_owned());
        }
    }
    terms
}

fn push_unique(terms: &mut Vec<String>, term: String) {
    if !term.is_empty() && !terms.contains(&term) {
        terms.push(term);
    }
}

/// The words of a name query, folded the way [`name_terms`] folds the
/// joined form of a stored word.
pub(crate) fn query_words(query: &str) -> Vec<String> {
    query
        .split_whitespace()
        .map(|word| fold(word).split(' ').collect::<String>())
        .filter(|word| !word.is_empty())
        .collect()
}

/// The exclusive upper bound of the range of strings starting with `prefix`.
pub(crate) fn prefix_end(prefix: &str) -> String {
    let mut end = String::with_capacity(prefix.len() + 4);
    end.push_str(prefix);
    end.push(char::MAX);
    end
}

/// Natural order: digit runs compare as numbers (`2` before `10`), the rest
/// case-insensitively.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let mut left = Chunks { rest: a };
    let mut right = Chunks { rest: b };
    loop {
        match (left.next(), right.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = compare_chunks(x, y);
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

fn compare_chunks(x: &str, y: &str) -> Ordering {
    let x_digits = x.starts_with(|c: char| c.is_ascii_digit());
    let y_digits = y.starts_with(|c: char| c.is_ascii_digit());
    match (x_digits, y_digits) {
        (true, true) => {
            let x_trim = x.trim_start_matches('0');
            let y_trim = y.trim_start_matches('0');
            x_trim
                .len()
                .cmp(&y_trim.len())
                .then_with(|| x_trim.cmp(y_trim))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => x.to_lowercase().cmp(&y.to_lowercase()),
    }
}

/// Splits a label into runs of digits and runs of other characters.
struct Chunks<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let first = self.rest.chars().next()?;
        let digits = first.is_ascii_digit();
        let end = self
            .rest
            .find(|c: char| c.is_ascii_digit() != digits)
            .unwrap_or(self.rest.len());
        let (chunk, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_separators() {
        assert_eq!(fold("Gwénaëlle"), "GWENAELLE");
        assert_eq!(fold("  de la  Fontaine "), "DE LA FONTAINE");
        assert_eq!(fold("Œuvré-Straße"), "OEUVRE STRASSE");
    }

    #[test]
    fn name_terms_cover_joined_and_split_forms() {
        assert_eq!(name_terms("D'Artagnan"), vec!["DARTAGNAN", "D", "ARTAGNAN"]);
        assert_eq!(
            name_terms("Jean-Pierre Marie"),
            vec!["JEANPIERRE", "JEAN", "PIERRE", "MARIE"]
        );
        assert_eq!(query_words(" jean-pi  mar"), vec!["JEANPI", "MAR"]);
    }

    #[test]
    fn prefix_end_bounds_the_prefix_range() {
        let end = prefix_end("DUP");
        assert!("DUPONT" < end.as_str());
        assert!("DUQ" > end.as_str());
    }

    #[test]
    fn natural_order_puts_2_before_10() {
        let mut labels = vec!["10", "2", "1B", "1A", "A", "01"];
        labels.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(labels, vec!["01", "1A", "1B", "2", "10", "A"]);
    }
}
