//! Errors and warnings of the parser: what made a message unusable, what made one value
//! undecodable, and the non-fatal problems collected while reading a message.
//!
//! Display texts are English, lowercase, without a final period; each error also has a French
//! `reason_fr()` for the pages and ACKs that users and interface teams read.

use std::fmt;

use crate::charset::Charset;

/// Why a message could not be parsed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The input holds nothing but blank lines, a BOM or MLLP framing bytes.
    #[error("empty message")]
    EmptyMessage,
    /// The first segment is not `MSH`.
    #[error("message does not start with an MSH segment (found {found:?})")]
    MissingMsh {
        /// Up to 8 leading bytes of the first segment, lossily decoded.
        found: String,
    },
    /// The MSH segment is too short to hold MSH-1 and MSH-2.
    #[error("MSH segment too short ({len} bytes)")]
    MshTooShort {
        /// Length of the MSH segment in bytes.
        len: usize,
    },
    /// MSH-1 is a letter, digit, space or control character.
    #[error("invalid field separator {found:?} in MSH-1")]
    InvalidFieldSeparator {
        /// The byte found after `MSH`.
        found: char,
    },
    /// MSH-2 does not hold 4 (or 5) distinct, usable encoding characters.
    #[error("invalid encoding characters {found:?} in MSH-2")]
    InvalidEncodingCharacters {
        /// The raw MSH-2 value, lossily decoded.
        found: String,
    },
}

impl ParseError {
    /// A French sentence for users and interface teams.
    pub fn reason_fr(&self) -> String {
        match self {
            ParseError::EmptyMessage => "message vide".to_owned(),
            ParseError::MissingMsh { found } => {
                format!("le message ne commence pas par un segment MSH (trouvé « {found} »)")
            }
            ParseError::MshTooShort { len } => {
                format!("segment MSH trop court ({len} octets)")
            }
            ParseError::InvalidFieldSeparator { found } => {
                format!("séparateur de champ invalide « {found} » en MSH-1")
            }
            ParseError::InvalidEncodingCharacters { found } => {
                format!("caractères d'encodage invalides « {found} » en MSH-2")
            }
        }
    }
}

/// Why the text of one value could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A byte that the message's character set cannot hold (for UTF-8: an invalid sequence).
    #[error("byte 0x{byte:02X} at offset {offset} is not valid {charset:?}")]
    InvalidByte {
        /// The character set used for decoding (declared in MSH-18, or UTF-8 by default).
        charset: Charset,
        /// Offset of the byte from the start of the message input.
        offset: usize,
        /// The offending byte.
        byte: u8,
    },
    /// A `\Xhh\` escape produced bytes that the character set cannot hold.
    #[error("hex escape in value at offset {offset} produced bytes that are not valid {charset:?}")]
    InvalidHexEscapeBytes {
        /// The character set used for decoding.
        charset: Charset,
        /// Offset of the value from the start of the message input.
        offset: usize,
    },
}

impl DecodeError {
    /// A French sentence for users and interface teams.
    pub fn reason_fr(&self) -> String {
        match self {
            DecodeError::InvalidByte {
                charset,
                offset,
                byte,
            } => format!(
                "octet 0x{byte:02X} invalide pour le jeu de caractères {} (position {offset})",
                charset_label(*charset)
            ),
            DecodeError::InvalidHexEscapeBytes { charset, offset } => format!(
                "une séquence \\X..\\ produit des octets invalides pour le jeu de caractères {} \
                 (valeur en position {offset})",
                charset_label(*charset)
            ),
        }
    }

    /// Offset, from the start of the message input, of the problem.
    pub fn offset(&self) -> usize {
        match self {
            DecodeError::InvalidByte { offset, .. }
            | DecodeError::InvalidHexEscapeBytes { offset, .. } => *offset,
        }
    }
}

fn charset_label(charset: Charset) -> &'static str {
    charset.hl7_name().unwrap_or("UTF-8 (par défaut)")
}

/// Where in a message something was found; numbers are 1-based, 0 means "not applicable".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// Segment name, e.g. `PID`.
    pub segment: String,
    /// Position of the segment in the message, 0-based (MSH is 0).
    pub segment_index: usize,
    /// Field number (HL7 numbering, MSH-1 is the field separator).
    pub field: usize,
    /// Repetition number, 1-based.
    pub repetition: usize,
    /// Component number, 1-based.
    pub component: usize,
    /// Subcomponent number, 1-based.
    pub subcomponent: usize,
}

impl fmt::Display for Location {
    /// Formats as `PID-5.1`, `PID-3[2].4.2`, or just `PID` / `PID-5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.segment)?;
        if self.field == 0 {
            return Ok(());
        }
        write!(f, "-{}", self.field)?;
        if self.repetition > 1 {
            write!(f, "[{}]", self.repetition)?;
        }
        if self.component > 0 {
            write!(f, ".{}", self.component)?;
        }
        if self.subcomponent > 0 {
            write!(f, ".{}", self.subcomponent)?;
        }
        Ok(())
    }
}

/// A non-fatal problem found while parsing; the message is still usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where the problem is.
    pub location: Location,
    /// What the problem is.
    pub kind: WarningKind,
}

impl fmt::Display for Warning {
    /// `PID-5.1: ...`, or just the problem when it is not tied to a segment.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.segment.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.location, self.kind)
        }
    }
}

impl Warning {
    /// A French sentence for users and interface teams, prefixed by the location.
    pub fn reason_fr(&self) -> String {
        if self.location.segment.is_empty() {
            self.kind.reason_fr()
        } else {
            format!("{} : {}", self.location, self.kind.reason_fr())
        }
    }
}

/// The kinds of non-fatal problems.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WarningKind {
    /// An escape sequence that is not defined, or an escape character without a closing one;
    /// kept literally.
    #[error("invalid escape sequence {sequence:?} kept literally")]
    InvalidEscape {
        /// The raw text kept, e.g. `\5 re.`.
        sequence: String,
    },
    /// A defined escape we do not interpret (`\Cxxyy\`, `\Mxxyyzz\`, `\Zxx\`); kept literally.
    #[error("unsupported escape sequence {sequence:?} kept literally")]
    UnsupportedEscape {
        /// The raw escape sequence, delimiters included.
        sequence: String,
    },
    /// A formatting escape other than `\.br\`/`\.sp\` (e.g. `\.in+4\`) was dropped.
    #[error("formatting escape {sequence:?} ignored")]
    FormattingEscapeIgnored {
        /// The raw escape sequence.
        sequence: String,
    },
    /// A `\Xhh\` escape decoded to NUL bytes, which are dropped.
    #[error("NUL byte from hex escape dropped")]
    NulByteDropped,
    /// MSH-18 names a character set we do not decode; values are read as UTF-8.
    #[error("unsupported character set {declared:?} in MSH-18, read as UTF-8")]
    UnsupportedCharset {
        /// The declared value.
        declared: String,
    },
    /// Bytes that the declared character set (or UTF-8 by default) cannot hold; the values
    /// containing them fail to decode.
    #[error("byte at offset {offset} is not valid {charset:?}")]
    InvalidBytes {
        /// The character set used.
        charset: Charset,
        /// Offset of the first bad byte from the start of the input.
        offset: usize,
    },
    /// MSH-18 says ASCII but the message holds other (valid UTF-8) bytes; read as UTF-8.
    #[error("non-ASCII bytes in a message declared ASCII, read as UTF-8")]
    NonAsciiInAsciiMessage,
    /// MSH-2 repeats the escape character (`^~\\&`); read as `^~\&`.
    #[error("MSH-2 doubles the escape character, read as standard encoding characters")]
    DoubledEscapeCharacter,
    /// A segment name is not three upper-case letters or digits.
    #[error("unusual segment name {name:?}")]
    UnusualSegmentName {
        /// The name as found.
        name: String,
    },
    /// A line made only of spaces or tabs was skipped.
    #[error("whitespace-only line skipped")]
    WhitespaceLineSkipped,
    /// MLLP framing bytes (VT before, FS after) were found around the message and ignored.
    #[error("MLLP framing bytes stripped")]
    MllpFramingStripped,
}

impl WarningKind {
    /// A French sentence for users and interface teams.
    pub fn reason_fr(&self) -> String {
        match self {
            WarningKind::InvalidEscape { sequence } => {
                format!("séquence d'échappement invalide « {sequence} » conservée telle quelle")
            }
            WarningKind::UnsupportedEscape { sequence } => {
                format!("séquence d'échappement non gérée « {sequence} » conservée telle quelle")
            }
            WarningKind::FormattingEscapeIgnored { sequence } => {
                format!("commande de mise en forme « {sequence} » ignorée")
            }
            WarningKind::NulByteDropped => "octet nul issu d'un échappement \\X\\ supprimé".into(),
            WarningKind::UnsupportedCharset { declared } => {
                format!("jeu de caractères « {declared} » non géré en MSH-18, lu comme UTF-8")
            }
            WarningKind::InvalidBytes { charset, offset } => format!(
                "octet invalide pour le jeu de caractères {} (position {offset})",
                charset_label(*charset)
            ),
            WarningKind::NonAsciiInAsciiMessage => {
                "caractères non ASCII dans un message déclaré ASCII, lus comme UTF-8".into()
            }
            WarningKind::DoubledEscapeCharacter => {
                "MSH-2 double le caractère d'échappement, lu comme ^~\\&".into()
            }
            WarningKind::UnusualSegmentName { name } => {
                format!("nom de segment inhabituel « {name} »")
            }
            WarningKind::WhitespaceLineSkipped => {
                "ligne ne contenant que des espaces ignorée".into()
            }
            WarningKind::MllpFramingStripped => "octets de trame MLLP ignorés".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_formats_like_hl7_paths() {
        let mut location = Location {
            segment: "PID".into(),
            segment_index: 2,
            field: 5,
            repetition: 1,
            component: 1,
            subcomponent: 0,
        };
        assert_eq!(location.to_string(), "PID-5.1");
        location.repetition = 2;
        location.subcomponent = 3;
        assert_eq!(location.to_string(), "PID-5[2].1.3");
    }

    #[test]
    fn french_reasons_are_filled() {
        let error = ParseError::MshTooShort { len: 5 };
        assert_eq!(error.to_string(), "MSH segment too short (5 bytes)");
        assert_eq!(error.reason_fr(), "segment MSH trop court (5 octets)");
    }
}
