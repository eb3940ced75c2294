//! Character sets declared in MSH-18 and the byte-to-text decoding they imply.
//!
//! The parser works on bytes; text only appears when a caller asks for a value's text. This
//! module turns those bytes into `str` according to MSH-18, and reports bytes that the declared
//! character set cannot hold instead of replacing them (a wrong accent in a patient name is a
//! patient-safety issue, a visible error is not).

use std::borrow::Cow;

/// The character set a message declares in MSH-18 (first repetition), as far as we decode it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Charset {
    /// `ASCII`. Non-ASCII bytes that form valid UTF-8 are read as UTF-8 (with a parse warning).
    Ascii,
    /// `8859/1`, ISO-8859-1. Bytes 0x80-0x9F (C1 controls, usually Windows-1252 text sent under a
    /// Latin-1 label) are reported as invalid.
    Latin1,
    /// `8859/15`, ISO-8859-15 (Latin-9, with the euro sign). Same C1 rule as Latin-1.
    Latin9,
    /// `UNICODE UTF-8` or `UTF-8`; also the default when MSH-18 is absent.
    Utf8,
    /// Any other declaration (e.g. `8859/2`, `UNICODE`, `ISO IR87`): read as UTF-8, with a
    /// parse warning naming the declared value.
    Unsupported,
}

/// The offset (inside the decoded bytes) of the first byte the character set cannot hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidByteAt(pub(crate) usize);

impl Charset {
    /// Reads an MSH-18 value (first repetition, already trimmed of the component part).
    ///
    /// An empty value gives UTF-8, the documented fallback when nothing is declared.
    pub fn from_declaration(declared: &[u8]) -> Charset {
        const NAMES: [(&[u8], Charset); 14] = [
            (b"", Charset::Utf8),
            (b"UNICODE UTF-8", Charset::Utf8),
            (b"UTF-8", Charset::Utf8),
            (b"UTF8", Charset::Utf8),
            (b"UNICODE UTF8", Charset::Utf8),
            (b"ASCII", Charset::Ascii),
            (b"US-ASCII", Charset::Ascii),
            (b"8859/1", Charset::Latin1),
            (b"ISO-8859-1", Charset::Latin1),
            (b"ISO8859-1", Charset::Latin1),
            (b"LATIN1", Charset::Latin1),
            (b"8859/15", Charset::Latin9),
            (b"ISO-8859-15", Charset::Latin9),
            (b"ISO8859-15", Charset::Latin9),
        ];
        let trimmed = declared.trim_ascii();
        NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(trimmed))
            .map_or(Charset::Unsupported, |&(_, charset)| charset)
    }

    /// The name used in MSH-18 for this character set (`None` for an unsupported one).
    pub fn hl7_name(self) -> Option<&'static str> {
        match self {
            Charset::Ascii => Some("ASCII"),
            Charset::Latin1 => Some("8859/1"),
            Charset::Latin9 => Some("8859/15"),
            Charset::Utf8 => Some("UNICODE UTF-8"),
            Charset::Unsupported => None,
        }
    }

    /// Decodes bytes; never replaces an invalid byte, reports where it is instead.
    pub(crate) fn decode(self, bytes: &[u8]) -> Result<Cow<'_, str>, InvalidByteAt> {
        match self {
            Charset::Ascii | Charset::Utf8 | Charset::Unsupported => std::str::from_utf8(bytes)
                .map(Cow::Borrowed)
                .map_err(|error| InvalidByteAt(error.valid_up_to())),
            Charset::Latin1 | Charset::Latin9 => decode_latin(self, bytes),
        }
    }

    /// Decodes owned bytes, reusing the allocation when the bytes are already valid UTF-8.
    pub(crate) fn decode_owned(self, bytes: Vec<u8>) -> Result<String, InvalidByteAt> {
        match self {
            Charset::Ascii | Charset::Utf8 | Charset::Unsupported => String::from_utf8(bytes)
                .map_err(|error| InvalidByteAt(error.utf8_error().valid_up_to())),
            Charset::Latin1 | Charset::Latin9 => {
                decode_latin(self, &bytes).map(|text| text.into_owned())
            }
        }
    }

    /// Finds the first byte this character set cannot hold, if any.
    pub(crate) fn first_invalid(self, bytes: &[u8]) -> Option<usize> {
        match self {
            Charset::Ascii | Charset::Utf8 | Charset::Unsupported => std::str::from_utf8(bytes)
                .err()
                .map(|error| error.valid_up_to()),
            Charset::Latin1 | Charset::Latin9 => bytes.iter().position(|&byte| is_c1(byte)),
        }
    }

    /// Encodes text for a message in this character set. Characters the set cannot hold become
    /// `?`; this is only used for text we write ourselves (ACK messages), never for patient data
    /// we received.
    pub fn encode_lossy(self, text: &str) -> Cow<'_, [u8]> {
        match self {
            Charset::Ascii if !text.is_ascii() => Cow::Owned(
                text.chars()
                    .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
                    .collect(),
            ),
            Charset::Latin1 | Charset::Latin9 if !text.is_ascii() => {
                Cow::Owned(text.chars().map(|c| encode_latin(self, c)).collect())
            }
            _ => Cow::Borrowed(text.as_bytes()),
        }
    }
}

fn is_c1(byte: u8) -> bool {
    (0x80..=0x9F).contains(&byte)
}

fn decode_latin(charset: Charset, bytes: &[u8]) -> Result<Cow<'_, str>, InvalidByteAt> {
    if bytes.is_ascii() {
        return std::str::from_utf8(bytes)
            .map(Cow::Borrowed)
            .map_err(|error| InvalidByteAt(error.valid_up_to()));
    }
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 4);
    for (offset, &byte) in bytes.iter().enumerate() {
        if is_c1(byte) {
            return Err(InvalidByteAt(offset));
        }
        text.push(latin_char(charset, byte));
    }
    Ok(Cow::Owned(text))
}

/// ISO-8859-15 differs from ISO-8859-1 in eight positions.
const LATIN9_DIFFERENCES: [(u8, char); 8] = [
    (0xA4, '€'),
    (0xA6, 'Š'),
    (0xA8, 'š'),
    (0xB4, 'Ž'),
    (0xB8, 'ž'),
    (0xBC, 'Œ'),
    (0xBD, 'œ'),
    (0xBE, 'Ÿ'),
];

fn latin_char(charset: Charset, byte: u8) -> char {
    if charset == Charset::Latin9
        && let Some(&(_, c)) = LATIN9_DIFFERENCES.iter().find(|(b, _)| *b == byte)
    {
        return c;
    }
    char::from(byte)
}

fn encode_latin(charset: Charset, c: char) -> u8 {
    if charset == Charset::Latin9 {
        if let Some(&(byte, _)) = LATIN9_DIFFERENCES.iter().find(|(_, d)| *d == c) {
            return byte;
        }
        if LATIN9_DIFFERENCES
            .iter()
            .any(|(byte, _)| u32::from(*byte) == u32::from(c))
        {
            return b'?';
        }
    }
    match u8::try_from(u32::from(c)) {
        Ok(byte) if !is_c1(byte) => byte,
        _ => b'?',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_are_recognised() {
        assert_eq!(Charset::from_declaration(b"8859/1"), Charset::Latin1);
        assert_eq!(Charset::from_declaration(b"8859/15"), Charset::Latin9);
        assert_eq!(Charset::from_declaration(b"UNICODE UTF-8"), Charset::Utf8);
        assert_eq!(Charset::from_declaration(b"utf-8 "), Charset::Utf8);
        assert_eq!(Charset::from_declaration(b""), Charset::Utf8);
        assert_eq!(Charset::from_declaration(b"ASCII"), Charset::Ascii);
        assert_eq!(Charset::from_declaration(b"8859/2"), Charset::Unsupported);
    }

    #[test]
    fn latin1_decodes_accents_and_rejects_c1() {
        assert_eq!(
            Charset::Latin1.decode(b"GW\xC9NA\xCBLLE").unwrap(),
            "GWÉNAËLLE"
        );
        assert_eq!(Charset::Latin1.decode(b"a\x96b"), Err(InvalidByteAt(1)));
    }

    #[test]
    fn latin9_has_euro() {
        assert_eq!(Charset::Latin9.decode(b"5\xA4").unwrap(), "5€");
        assert_eq!(Charset::Latin9.encode_lossy("5€ é").as_ref(), b"5\xA4 \xE9");
    }

    #[test]
    fn utf8_reports_offset() {
        assert_eq!(Charset::Utf8.decode(b"abc\x96"), Err(InvalidByteAt(3)));
        assert_eq!(Charset::Utf8.first_invalid("é".as_bytes()), None);
    }

    #[test]
    fn latin1_encoding_replaces_unrepresentable() {
        assert_eq!(Charset::Latin1.encode_lossy("é€").as_ref(), b"\xE9?");
        assert_eq!(Charset::Ascii.encode_lossy("é").as_ref(), b"?");
    }
}
