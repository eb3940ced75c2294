//! Text folding shared by the frequency parser, the allergy check, the vital
//! and lab readers: lower case without French accents, words, and numbers
//! written with a decimal comma or point.

/// Lower case with French accents and ligatures removed (`Pénicillines` ->
/// `penicillines`, `Œuf` -> `oeuf`); every other character is kept.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'à' | 'â' | 'ä' | 'á' | 'À' | 'Â' | 'Ä' | 'Á' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'Î' | 'Ï' | 'Í' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'Ô' | 'Ö' | 'Ó' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' | 'Ú' => out.push('u'),
            'ç' | 'Ç' => out.push('c'),
            'ÿ' | 'Ÿ' => out.push('y'),
            'ñ' | 'Ñ' => out.push('n'),
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            'µ' | 'μ' => out.push('u'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The alphanumeric words of a folded text.
pub(crate) fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// A number as caregivers type it: `38,5`, `38.5`, ` 120 `. Refuses
/// anything else (units, comparators, several numbers), and non-finite
/// values.
pub(crate) fn number(text: &str) -> Option<f64> {
    let text = text.trim();
    let valid = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b',' | b'.' | b'-' | b'+'));
    if !valid {
        return None;
    }
    let value: f64 = text.replace(',', ".").parse().ok()?;
    value.is_finite().then_some(value)
}

/// A number for French text: `38,5`, `120`, `0,25` (no trailing zeros).
pub(crate) fn french_number(value: f64) -> String {
    let mut text = format!("{value:.2}");
    while text.ends_with('0') {
        text.pop();
    }
    if text.ends_with('.') {
        text.pop();
    }
    text.replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_accents_and_ligatures() {
        assert_eq!(fold("Pénicillines"), "penicillines");
        assert_eq!(fold("Œuf À LA Crème"), "oeuf a la creme");
        assert_eq!(fold("KÉTOPROFÈNE µg"), "ketoprofene ug");
        let folded = fold("AMOXICILLINE/ACIDE CLAVULANIQUE 1 g");
        let list: Vec<&str> = words(&folded).collect();
        assert_eq!(list, ["amoxicilline", "acide", "clavulanique", "1", "g"]);
    }

    #[test]
    fn numbers_take_a_comma_or_a_point_and_nothing_else() {
        assert_eq!(number("38,5"), Some(38.5));
        assert_eq!(number(" 120 "), Some(120.0));
        assert_eq!(number("12a"), None);
        assert_eq!(number(""), None);
        assert_eq!(number("1,2,3"), None);
        assert_eq!(french_number(38.5), "38,5");
        assert_eq!(french_number(52.0), "52");
        assert_eq!(french_number(0.25), "0,25");
    }
}
