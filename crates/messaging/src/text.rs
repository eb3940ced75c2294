//! Reading a message's text: the `@` and `#` tokens that may name people,
//! roles and patients, the pieces a page renders, and the folded form the
//! search compares.

use ckisa_domain::Mention;

/// Longest text of a message or broadcast, in characters.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// A `@word` or `#word` token of a text, before it is resolved against the
/// accounts, the roles and the patients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    /// `@` or `#`.
    pub sigil: char,
    /// The word after the sigil.
    pub word: &'a str,
}

/// The `@` and `#` tokens of `text`, in order, each once. A sigil counts
/// only at the start of the text or after a character that cannot be part
/// of a word (so an e-mail address is no mention).
pub fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut found: Vec<Token<'_>> = Vec::new();
    for (start, sigil) in text.char_indices() {
        if sigil != '@' && sigil != '#' {
            continue;
        }
        let after_word = text[..start].chars().next_back().is_some_and(is_word_char);
        if after_word {
            continue;
        }
        let rest = &text[start + 1..];
        let end = rest
            .char_indices()
            .find(|&(_, c)| !is_word_char(c))
            .map_or(rest.len(), |(i, _)| i);
        let word = rest[..end].trim_end_matches(['.', '-']);
        if word.is_empty() {
            continue;
        }
        let token = Token { sigil, word };
        if !found.contains(&token) {
            found.push(token);
        }
    }
    found
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// One piece of a message as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Plain text, shown as text (never as markup).
    Text(&'a str),
    /// A mention, by its index in the message's mentions.
    Mention(usize),
}

/// Cuts `text` into plain pieces and the mentions it holds. A mention is
/// found by its token as typed (`@login`, `@role`, or the patient's
/// `token`), at the same word boundaries as [`tokens`].
pub fn pieces<'a>(text: &'a str, mentions: &[Mention]) -> Vec<Piece<'a>> {
    let mut out = Vec::new();
    let mut plain_from = 0;
    let mut cursor = 0;
    while cursor < text.len() {
        let Some(offset) = text[cursor..].find(['@', '#']) else {
            break;
        };
        let start = cursor + offset;
        let boundary = !text[..start].chars().next_back().is_some_and(is_word_char);
        let found = boundary
            .then(|| {
                mentions.iter().enumerate().find_map(|(index, mention)| {
                    let typed = typed_token(mention);
                    let matches = text[start..].starts_with(typed.as_str())
                        && !text[start + typed.len()..]
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_');
                    matches.then_some((index, typed.len()))
                })
            })
            .flatten();
        match found {
            Some((index, len)) => {
                if plain_from < start {
                    out.push(Piece::Text(&text[plain_from..start]));
                }
                out.push(Piece::Mention(index));
                cursor = start + len;
                plain_from = cursor;
            }
            None => cursor = start + 1,
        }
    }
    if plain_from < text.len() {
        out.push(Piece::Text(&text[plain_from..]));
    }
    out
}

/// The token a mention was typed as.
pub fn typed_token(mention: &Mention) -> String {
    match mention {
        Mention::Person { login } => format!("@{login}"),
        Mention::Role { role } => format!("@{role}"),
        Mention::Patient { token, .. } => token.clone(),
    }
}

/// `text` without the patient tokens of `mentions`: what the search may
/// compare for every reader (a patient's IPP must not be findable by
/// someone who may not see the chart).
pub fn without_patients(text: &str, mentions: &[Mention]) -> String {
    let mut kept = String::with_capacity(text.len());
    for piece in pieces(text, mentions) {
        match piece {
            Piece::Text(plain) => kept.push_str(plain),
            Piece::Mention(index) => {
                if let Some(mention @ (Mention::Person { .. } | Mention::Role { .. })) =
                    mentions.get(index)
                {
                    kept.push_str(&typed_token(mention));
                }
                kept.push(' ');
            }
        }
    }
    kept
}

/// Lower case without accents, every run of other characters a single
/// space: what the search compares (`Hémolysé` finds `hemolyse`).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars() {
        if c.is_alphanumeric() {
            for lower in c.to_lowercase() {
                push_plain(&mut out, lower);
            }
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

fn push_plain(out: &mut String, c: char) {
    let plain = match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
        'ç' => "c",
        'é' | 'è' | 'ê' | 'ë' => "e",
        'î' | 'ï' | 'í' | 'ì' => "i",
        'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
        'ù' | 'û' | 'ü' | 'ú' => "u",
        'ÿ' | 'ý' => "y",
        'ñ' => "n",
        'œ' => "oe",
        'æ' => "ae",
        'ß' => "ss",
        _ => {
            out.push(c);
            return;
        }
    };
    out.push_str(plain);
}

/// Whether every word of the folded query starts a word of the folded
/// text (`hemo` finds `hémolysé`).
pub fn matches(folded_text: &str, folded_query: &str) -> bool {
    let mut any = false;
    for word in folded_query.split_whitespace() {
        any = true;
        let needle = format!(" {word}");
        if !folded_text.contains(&needle) {
            return false;
        }
    }
    any
}

/// `text` trimmed, or why it cannot be a message (French).
pub fn check_text(text: &str, may_be_empty: bool) -> Result<&str, String> {
    let text = text.trim();
    if text.is_empty() && !may_be_empty {
        return Err("le message est vide".to_owned());
    }
    let count = text.chars().count();
    if count > MAX_TEXT_CHARS {
        return Err(format!(
            "le message fait {count} caractères ; {MAX_TEXT_CHARS} au plus"
        ));
    }
    if let Some(bad) = text
        .chars()
        .find(|&c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(format!(
            "le message contient un caractère de contrôle (U+{:04X})",
            u32::from(bad)
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ckisa_domain::PatientKey;

    #[test]
    fn tokens_are_found_at_word_starts_only() {
        let found = tokens("@dupont voir #123456, pas jean@chu.fr ni a#1 ; @cadre. @dupont");
        let words: Vec<(char, &str)> = found.iter().map(|t| (t.sigil, t.word)).collect();
        assert_eq!(
            words,
            vec![('@', "dupont"), ('#', "123456"), ('@', "cadre")]
        );
        assert!(tokens("@ # @@").is_empty());
    }

    #[test]
    fn pieces_cut_around_mentions_and_leave_the_rest_as_text() {
        let mentions = vec![
            Mention::Person {
                login: "labo".into(),
            },
            Mention::Patient {
                patient: PatientKey("p1".into()),
                token: "#123456".into(),
                label: "MARTIN Paul".into(),
            },
        ];
        let text = "@labo le K+ de #123456 ? <script>@labo2";
        assert_eq!(
            pieces(text, &mentions),
            vec![
                Piece::Mention(0),
                Piece::Text(" le K+ de "),
                Piece::Mention(1),
                Piece::Text(" ? <script>@labo2"),
            ]
        );
        assert_eq!(
            without_patients(text, &mentions),
            "@labo  le K+ de   ? <script>@labo2"
        );
    }

    #[test]
    fn folding_ignores_case_accents_and_punctuation() {
        assert_eq!(fold("Hémolysé, À REFAIRE!"), " hemolyse a refaire ");
        assert!(matches(
            &fold("Tube hémolysé : à refaire"),
            &fold("HEMO refaire")
        ));
        assert!(!matches(&fold("Tube hémolysé"), &fold("molyse")));
        assert!(!matches(&fold("Tube"), &fold("  ")));
    }

    #[test]
    fn texts_are_checked() {
        assert_eq!(check_text("  bonjour \n", false), Ok("bonjour"));
        assert!(check_text("   ", false).unwrap_err().contains("vide"));
        assert_eq!(check_text("   ", true), Ok(""));
        let long = "a".repeat(MAX_TEXT_CHARS + 1);
        assert!(check_text(&long, false).unwrap_err().contains("4000"));
        assert!(check_text("a\u{7}b", false).unwrap_err().contains("U+0007"));
    }
}
