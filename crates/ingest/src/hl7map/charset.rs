//! Values whose bytes do not fit the character set the message declares (MSH-18): how they
//! are read, and the warning that says so.
//!
//! The parser (`ckisa_hl7`) never guesses: it returns a `DecodeError`. Guessing belongs here,
//! where the warning reaches the feed's report. French hospital systems often send ISO 8859-1 or
//! Windows-1252 without MSH-18 (UTF-8 is then the documented default), so when MSH-18 is absent
//! or says ASCII, a value that is not UTF-8 is read as Windows-1252 (ISO 8859-1 plus the
//! printable characters Windows puts in 0x80-0x9F): `B\xC9NARD` becomes `BÉNARD`, not `B�NARD`.
//! A value declared ISO 8859-1/-15 that holds 0x80-0x9F bytes gets the same Windows-1252 reading
//! for those bytes. Only when MSH-18 explicitly declares UTF-8 (or a set we do not read) are the
//! invalid bytes replaced by U+FFFD, since no guess is better than the sender's own word.
//! Identifiers are the exception to U+FFFD: two different bytes must not give one patient key,
//! so there a byte that cannot be read is written as its HL7 escape `\Xhh\`.
//! Every case is reported with the field; a message is never refused for its bytes.

use ckisa_hl7::{Charset, Delimiters, Message};

/// What MSH-18 declares, as far as reading undecodable values cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Declared {
    /// MSH-18 empty: UTF-8 by default, but legacy senders mean Latin-1 / Windows-1252.
    Absent,
    /// `ASCII`: any byte above 0x7F is already outside the declaration.
    Ascii,
    /// UTF-8 stated explicitly.
    Utf8,
    /// ISO 8859-1.
    Latin1,
    /// ISO 8859-15.
    Latin9,
    /// A set the parser does not read (`8859/2`, `UNICODE`...), as written in MSH-18.
    Other(String),
}

impl Declared {
    /// The declaration of `msg`.
    pub(super) fn of(msg: &Message<'_>) -> Declared {
        match msg.charset() {
            Charset::Utf8 if declared_text(msg).is_empty() => Declared::Absent,
            Charset::Utf8 => Declared::Utf8,
            Charset::Ascii => Declared::Ascii,
            Charset::Latin1 => Declared::Latin1,
            Charset::Latin9 => Declared::Latin9,
            Charset::Unsupported => Declared::Other(declared_text(msg)),
        }
    }
}

/// What a byte that no reading can give a character to becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unreadable {
    /// U+FFFD, visible to the people who read the text.
    Replaced,
    /// `\Xhh\`, for identifiers: two different values must never read the same.
    Escaped,
}

/// MSH-18.1 as written, trimmed.
fn declared_text(msg: &Message<'_>) -> String {
    let raw = msg.msh().field(18).repetition(1).component(1).raw();
    String::from_utf8_lossy(raw.trim_ascii()).into_owned()
}

/// Reads a value the declared character set could not decode: its text (escapes decoded) and
/// the French warning naming `field` (`PID-5`).
pub(super) fn read_undecodable(
    raw: &[u8],
    delims: &Delimiters,
    declared: &Declared,
    field: &str,
    unreadable: Unreadable,
) -> (String, String) {
    let bytes = unescape(raw, delims);
    let read_as = "lus en ISO 8859-1 / Windows-1252";
    let (text, problem) = match declared {
        Declared::Absent => (
            windows_1252(&bytes, latin1_char, unreadable),
            format!("octets non UTF-8 sans MSH-18, {read_as}"),
        ),
        Declared::Ascii => (
            windows_1252(&bytes, latin1_char, unreadable),
            format!("octets ni ASCII ni UTF-8 malgré MSH-18 « ASCII », {read_as}"),
        ),
        Declared::Latin1 => (
            windows_1252(&bytes, latin1_char, unreadable),
            "octets 0x80-0x9F hors ISO 8859-1 (MSH-18), lus en Windows-1252".to_owned(),
        ),
        Declared::Latin9 => (
            windows_1252(&bytes, latin9_char, unreadable),
            "octets 0x80-0x9F hors ISO 8859-15 (MSH-18), lus en Windows-1252".to_owned(),
        ),
        Declared::Utf8 => (
            utf8(&bytes, unreadable),
            format!(
                "octets non UTF-8 alors que MSH-18 déclare UTF-8, {}",
                replaced_by(unreadable)
            ),
        ),
        Declared::Other(name) => (
            utf8(&bytes, unreadable),
            format!(
                "octets non UTF-8 et jeu de caractères MSH-18 « {name} » non pris en charge, {}",
                replaced_by(unreadable)
            ),
        ),
    };
    (text, format!("{field} : {problem}"))
}

fn replaced_by(unreadable: Unreadable) -> &'static str {
    match unreadable {
        Unreadable::Replaced => "remplacés par « \u{FFFD} »",
        Unreadable::Escaped => "écrits \\Xhh\\ dans l'identifiant",
    }
}

/// UTF-8, each invalid sequence replaced, or each of its bytes escaped.
fn utf8(bytes: &[u8], unreadable: Unreadable) -> String {
    if unreadable == Unreadable::Replaced {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut text = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for &byte in chunk.invalid() {
            text.push_str(&hex_escape(byte));
        }
    }
    text
}

fn hex_escape(byte: u8) -> String {
    format!("\\X{byte:02X}\\")
}

/// Windows-1252 for 0x80-0x9F, `high` (ISO 8859-1 or -15) for 0xA0-0xFF, ASCII as is.
fn windows_1252(bytes: &[u8], high: fn(u8) -> char, unreadable: Unreadable) -> String {
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 4);
    for &byte in bytes {
        match byte {
            0x00..=0x7F => text.push(char::from(byte)),
            0x80..=0x9F => match (WINDOWS_1252_C1[usize::from(byte - 0x80)], unreadable) {
                ('\u{FFFD}', Unreadable::Escaped) => text.push_str(&hex_escape(byte)),
                (c, _) => text.push(c),
            },
            _ => text.push(high(byte)),
        }
    }
    text
}

/// Windows-1252 0x80-0x9F. The five bytes it leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D)
/// become U+FFFD rather than invisible control characters in a patient's data.
const WINDOWS_1252_C1: [char; 32] = [
    '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž',
    '\u{FFFD}', '\u{FFFD}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{FFFD}',
    'ž', 'Ÿ',
];

fn latin1_char(byte: u8) -> char {
    char::from(byte)
}

/// ISO 8859-15 differs from ISO 8859-1 in eight positions.
fn latin9_char(byte: u8) -> char {
    match byte {
        0xA4 => '€',
        0xA6 => 'Š',
        0xA8 => 'š',
        0xB4 => 'Ž',
        0xB8 => 'ž',
        0xBC => 'Œ',
        0xBD => 'œ',
        0xBE => 'Ÿ',
        _ => char::from(byte),
    }
}

/// Decodes HL7 escapes on bytes, as the parser does before character-set
/// decoding; the parser has already reported any problem.
fn unescape(raw: &[u8], delims: &Delimiters) -> Vec<u8> {
    ckisa_hl7::unescape_bytes(raw, delims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &[u8], declared: &Declared) -> (String, String) {
        let delims = Delimiters::default();
        read_undecodable(raw, &delims, declared, "PID-5", Unreadable::Replaced)
    }

    #[test]
    fn without_msh_18_bytes_are_windows_1252() {
        let (text, warning) = read(b"B\xC9NARD \x96 L\x92\xC9T\xC9 \x80", &Declared::Absent);
        assert_eq!(text, "BÉNARD – L’ÉTÉ €");
        assert_eq!(
            warning,
            "PID-5 : octets non UTF-8 sans MSH-18, lus en ISO 8859-1 / Windows-1252"
        );
        let (undefined, _) = read(b"A\x81B\x9DC", &Declared::Absent);
        assert_eq!(undefined, "A\u{FFFD}B\u{FFFD}C");
    }

    #[test]
    fn escapes_are_decoded_before_the_bytes() {
        let (text, _) = read(
            b"D\\XE9\\\\F\\\\S\\&x\\.br\\\\H\\\xE9\\Zfoo\\",
            &Declared::Ascii,
        );
        assert_eq!(text, "Dé|^&x\né\\Zfoo\\");
        let (unmatched, _) = read(b"4\\5 \xE9", &Declared::Absent);
        assert_eq!(unmatched, "4\\5 é");
        let (padded, _) = read(b"\\X000D\\\xE9", &Declared::Absent);
        assert_eq!(padded, "\ré");
    }

    #[test]
    fn declared_latin_sets_keep_their_high_half() {
        assert_eq!(read(b"\xA4\x80", &Declared::Latin1).0, "¤€");
        assert_eq!(read(b"\xA4\x80", &Declared::Latin9).0, "€€");
        assert!(read(b"\x80", &Declared::Latin9).1.contains("ISO 8859-15"));
    }

    #[test]
    fn declared_utf8_or_unknown_sets_replace_and_say_so() {
        let (text, warning) = read(b"Chlo\xE9", &Declared::Utf8);
        assert_eq!(text, "Chlo\u{FFFD}");
        assert!(warning.starts_with("PID-5 : "), "{warning}");
        assert!(warning.contains("déclare UTF-8"), "{warning}");
        let (text, warning) = read(b"Chlo\xE9", &Declared::Other("8859/2".to_owned()));
        assert_eq!(text, "Chlo\u{FFFD}");
        assert!(warning.contains("« 8859/2 »"), "{warning}");
    }

    #[test]
    fn identifiers_keep_every_byte_distinct() {
        let id = |raw: &[u8], declared: &Declared| {
            let delims = Delimiters::default();
            read_undecodable(raw, &delims, declared, "PID-3", Unreadable::Escaped)
        };
        let (first, warning) = id(b"12\xE9", &Declared::Utf8);
        let (second, _) = id(b"12\xE8", &Declared::Utf8);
        assert_eq!(
            (first.as_str(), second.as_str()),
            ("12\\XE9\\", "12\\XE8\\")
        );
        assert!(warning.starts_with("PID-3 : "), "{warning}");
        assert!(warning.contains("\\Xhh\\"), "{warning}");
        let (valid_kept, _) = id("é\u{0}".as_bytes(), &Declared::Utf8);
        assert_eq!(valid_kept, "é\u{0}");
        let (mixed, _) = id(&[0xC3, 0xA9, 0xE9], &Declared::Utf8);
        assert_eq!(mixed, "é\\XE9\\");
        let (undefined, _) = id(b"A\x81\x8D\xE9", &Declared::Absent);
        assert_eq!(undefined, "A\\X81\\\\X8D\\é");
    }
}
