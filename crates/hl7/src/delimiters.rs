//! The delimiter set of one message, read from MSH-1 and MSH-2 (HL7 v2.5 chapter 2.5.4).
//!
//! Everything that splits or escapes a value needs these six bytes, so they live in one small
//! `Copy` type that every view (segment, field, component) carries along.

/// The delimiters declared by a message header.
///
/// Defaults are `|^~\&` with no truncation character; HL7 v2.7+ may add a fifth encoding
/// character (`#` by convention) used by the `\P\` escape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiters {
    /// Field separator (MSH-1), `|` by default.
    pub field: u8,
    /// Component separator, `^` by default.
    pub component: u8,
    /// Repetition separator, `~` by default.
    pub repetition: u8,
    /// Escape character, `\` by default.
    pub escape: u8,
    /// Subcomponent separator, `&` by default.
    pub subcomponent: u8,
    /// Truncation character (v2.7+, fifth encoding character), if declared.
    pub truncation: Option<u8>,
}

impl Default for Delimiters {
    fn default() -> Self {
        Delimiters {
            field: b'|',
            component: b'^',
            repetition: b'~',
            escape: b'\\',
            subcomponent: b'&',
            truncation: None,
        }
    }
}

/// Why MSH-1/MSH-2 could not give a usable delimiter set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DelimiterProblem {
    /// The field separator is a letter, digit, space or line break.
    BadFieldSeparator,
    /// MSH-2 has fewer than 4 or more than 5 characters, or unusable ones.
    BadEncodingCharacters,
}

impl Delimiters {
    /// The encoding characters as they appear in MSH-2 (4 or 5 bytes).
    pub fn encoding_characters(&self) -> String {
        let mut out = String::with_capacity(5);
        for byte in [
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
        ] {
            out.push(char::from(byte));
        }
        if let Some(truncation) = self.truncation {
            out.push(char::from(truncation));
        }
        out
    }

    /// `MSH` + field separator + encoding characters, the fixed start of every header.
    pub fn msh_prefix(&self) -> String {
        let mut out = String::from("MSH");
        out.push(char::from(self.field));
        out.push_str(&self.encoding_characters());
        out
    }

    /// Builds the delimiter set from the field separator and the raw MSH-2 value.
    ///
    /// Returns the set and whether MSH-2 doubled its escape character (`^~\\&`, a common
    /// artefact of copying a message out of source code), which is tolerated.
    pub(crate) fn from_header(
        field: u8,
        encoding: &[u8],
    ) -> Result<(Delimiters, bool), DelimiterProblem> {
        if !is_usable_delimiter(field) {
            return Err(DelimiterProblem::BadFieldSeparator);
        }
        let (chars, doubled) = match encoding {
            [c, r, e, e2, s] if e == e2 && s != e => ([*c, *r, *e, *s, 0], true),
            [c, r, e, s] => ([*c, *r, *e, *s, 0], false),
            [c, r, e, s, t] => ([*c, *r, *e, *s, *t], false),
            _ => return Err(DelimiterProblem::BadEncodingCharacters),
        };
        let truncation = (chars[4] != 0).then_some(chars[4]);
        let delimiters = Delimiters {
            field,
            component: chars[0],
            repetition: chars[1],
            escape: chars[2],
            subcomponent: chars[3],
            truncation,
        };
        if !delimiters.all_distinct_and_usable() {
            return Err(DelimiterProblem::BadEncodingCharacters);
        }
        Ok((delimiters, doubled))
    }

    fn all_distinct_and_usable(&self) -> bool {
        let all = [
            Some(self.field),
            Some(self.component),
            Some(self.repetition),
            Some(self.escape),
            Some(self.subcomponent),
            self.truncation,
        ];
        let present = all.iter().flatten();
        present.clone().enumerate().all(|(index, &byte)| {
            is_usable_delimiter(byte) && present.clone().skip(index + 1).all(|&other| other != byte)
        })
    }
}

/// A delimiter must be printable ASCII punctuation-like: not alphanumeric, not a space, not a
/// control character (CR/LF end segments; VT/FS frame MLLP).
fn is_usable_delimiter(byte: u8) -> bool {
    byte.is_ascii_graphic() && !byte.is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_encoding_characters() {
        let (delims, doubled) = Delimiters::from_header(b'|', b"^~\\&").expect("valid");
        assert_eq!(delims, Delimiters::default());
        assert!(!doubled);
        assert_eq!(delims.msh_prefix(), "MSH|^~\\&");
    }

    #[test]
    fn five_characters_declare_truncation() {
        let (delims, _) = Delimiters::from_header(b'|', b"^~\\&#").expect("valid");
        assert_eq!(delims.truncation, Some(b'#'));
        assert_eq!(delims.encoding_characters(), "^~\\&#");
    }

    #[test]
    fn doubled_escape_is_tolerated() {
        let (delims, doubled) = Delimiters::from_header(b'|', b"^~\\\\&").expect("valid");
        assert!(doubled);
        assert_eq!(delims.subcomponent, b'&');
        assert_eq!(delims.truncation, None);
    }

    #[test]
    fn rejects_duplicates_short_and_alphanumeric() {
        assert!(Delimiters::from_header(b'|', b"^^\\&").is_err());
        assert!(Delimiters::from_header(b'|', b"^~\\").is_err());
        assert!(Delimiters::from_header(b'A', b"^~\\&").is_err());
        assert!(Delimiters::from_header(b'|', b"^~|&").is_err());
        assert!(Delimiters::from_header(b'\r', b"^~\\&").is_err());
    }
}
