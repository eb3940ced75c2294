//! HL7 escape sequences (v2.5 chapter 2.7): decoding `\F\ \S\ \T\ \R\ \E\ \P\ \Xhh\ \.br\ ...`
//! in received values, and escaping text we write.
//!
//! Decoding works on bytes, before character-set decoding, because `\Xhh\` names bytes of the
//! message's character set. Problems never fail a value: an undefined sequence is kept
//! literally and reported through a callback, so the parser can turn it into a warning.

use memchr::memchr;

use crate::delimiters::Delimiters;

/// A problem met while decoding escapes; the value is still produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EscapeIssue {
    /// Undefined sequence or unmatched escape character, kept literally.
    Invalid(String),
    /// `\C..\`, `\M..\`, `\Z..\`: defined but not interpreted, kept literally.
    Unsupported(String),
    /// A formatting command other than `.br`/`.sp`, dropped.
    FormattingIgnored(String),
    /// A hex escape decoded to NUL, dropped.
    NulDropped,
}

/// Escapes text so that it can be placed inside a field, component or subcomponent written with
/// `delims`: delimiters become `\F\ \S\ \T\ \R\ \E\ (\P\)`, and CR, LF and other control
/// characters (tab excepted) become `\Xhh\` so they can never end a segment or an MLLP frame.
/// A final space or tab becomes `\X20\`/`\X09\`, because the parser drops trailing whitespace
/// at the end of a segment.
pub fn escape(text: &str, delims: &Delimiters) -> String {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied_up_to = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let is_last = index + 1 == bytes.len();
        let replacement = match escape_for(byte, delims) {
            Some(replacement) => replacement,
            None if is_last && (byte == b' ' || byte == b'\t') => Replacement::Hex(byte),
            None => continue,
        };
        let buffer = out.get_or_insert_with(|| String::with_capacity(text.len() + 8));
        // The byte is ASCII, so `index` and `index + 1` are character boundaries.
        buffer.push_str(&text[copied_up_to..index]);
        push_escape(buffer, delims.escape, replacement);
        copied_up_to = index + 1;
    }
    match out {
        None => text.to_owned(),
        Some(mut buffer) => {
            buffer.push_str(&text[copied_up_to..]);
            buffer
        }
    }
}

enum Replacement {
    Letter(char),
    Hex(u8),
}

fn escape_for(byte: u8, delims: &Delimiters) -> Option<Replacement> {
    let letter = match byte {
        b if b == delims.field => 'F',
        b if b == delims.component => 'S',
        b if b == delims.subcomponent => 'T',
        b if b == delims.repetition => 'R',
        b if b == delims.escape => 'E',
        b if Some(b) == delims.truncation => 'P',
        b'\t' => return None,
        b if b.is_ascii_control() => return Some(Replacement::Hex(b)),
        _ => return None,
    };
    Some(Replacement::Letter(letter))
}

fn push_escape(buffer: &mut String, escape: u8, replacement: Replacement) {
    let escape = char::from(escape);
    buffer.push(escape);
    match replacement {
        Replacement::Letter(letter) => buffer.push(letter),
        Replacement::Hex(byte) => {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            buffer.push('X');
            buffer.push(char::from(HEX[usize::from(byte >> 4)]));
            buffer.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
    buffer.push(escape);
}

/// The unescaped bytes of a raw value (delimiter escapes, `\Xhh\`, `\.br\`),
/// before any character-set decoding: for callers that must decode the bytes
/// themselves (a value whose bytes do not fit the declared MSH-18). Problems
/// are not reported here; [`crate::Field::text`] reports them.
pub fn unescape_bytes(raw: &[u8], delims: &Delimiters) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    unescape_into(raw, delims, &mut out, &mut |_| {});
    out
}

/// Appends the unescaped form of `raw` to `out`, reporting problems through `report`.
pub(crate) fn unescape_into(
    raw: &[u8],
    delims: &Delimiters,
    out: &mut Vec<u8>,
    report: &mut dyn FnMut(EscapeIssue),
) {
    let mut rest = raw;
    while let Some(start) = memchr(delims.escape, rest) {
        out.extend_from_slice(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = memchr(delims.escape, after) else {
            // No closing escape character: the rest is literal text (e.g. `4\5 re.`).
            report(EscapeIssue::Invalid(lossy(&rest[start..])));
            out.extend_from_slice(&rest[start..]);
            return;
        };
        let sequence = &rest[start..start + end + 2];
        decode_sequence(&after[..end], sequence, delims, out, report);
        rest = &after[end + 1..];
    }
    out.extend_from_slice(rest);
}

/// Decodes one sequence; `content` is between the escape characters, `sequence` includes them.
fn decode_sequence(
    content: &[u8],
    sequence: &[u8],
    delims: &Delimiters,
    out: &mut Vec<u8>,
    report: &mut dyn FnMut(EscapeIssue),
) {
    match content {
        b"F" => out.push(delims.field),
        b"S" => out.push(delims.component),
        b"T" => out.push(delims.subcomponent),
        b"R" => out.push(delims.repetition),
        b"E" => out.push(delims.escape),
        b"P" if delims.truncation.is_some() => out.extend(delims.truncation),
        // Highlighting on/off has no plain-text rendering.
        b"H" | b"N" => {}
        [b'X' | b'x', hex @ ..] if is_hex(hex) => push_hex(hex, out, report),
        [b'.', command @ ..] => decode_formatting(command, sequence, out, report),
        [b'C' | b'M' | b'Z', ..] => {
            report(EscapeIssue::Unsupported(lossy(sequence)));
            out.extend_from_slice(sequence);
        }
        _ => {
            report(EscapeIssue::Invalid(lossy(sequence)));
            out.extend_from_slice(sequence);
        }
    }
}

fn is_hex(digits: &[u8]) -> bool {
    !digits.is_empty() && digits.iter().all(u8::is_ascii_hexdigit)
}

/// Decodes hex digits as byte pairs after stripping leading-zero padding (`000D` is CR), so a
/// value is never polluted by NUL bytes; other NUL bytes are dropped and reported.
fn push_hex(hex: &[u8], out: &mut Vec<u8>, report: &mut dyn FnMut(EscapeIssue)) {
    let significant = &hex[hex.iter().take_while(|&&digit| digit == b'0').count()..];
    if significant.is_empty() {
        report(EscapeIssue::NulDropped);
        return;
    }
    let mut high: Option<u8> = (significant.len() % 2 == 1).then_some(0);
    for &digit in significant {
        let nibble = hex_value(digit);
        match high.take() {
            None => high = Some(nibble),
            Some(0) if nibble == 0 => report(EscapeIssue::NulDropped),
            Some(upper) => out.push(upper << 4 | nibble),
        }
    }
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}

/// `.br` is a line break and `.sp` a blank line; other formatting commands are dropped.
fn decode_formatting(
    command: &[u8],
    sequence: &[u8],
    out: &mut Vec<u8>,
    report: &mut dyn FnMut(EscapeIssue),
) {
    if command == b"br" || command.starts_with(b"sp") {
        out.push(b'\n');
    } else {
        report(EscapeIssue::FormattingIgnored(lossy(sequence)));
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unescape(raw: &str) -> (String, Vec<EscapeIssue>) {
        let delims = Delimiters {
            truncation: Some(b'#'),
            ..Delimiters::default()
        };
        let mut out = Vec::new();
        let mut issues = Vec::new();
        unescape_into(raw.as_bytes(), &delims, &mut out, &mut |issue| {
            issues.push(issue)
        });
        (String::from_utf8(out).expect("test input is UTF-8"), issues)
    }

    #[test]
    fn delimiter_escapes() {
        assert_eq!(unescape(r"Smith\F\\S\\R\\E\\T\").0, r"Smith|^~\&");
        assert_eq!(unescape(r"a\P\b").0, "a#b");
    }

    #[test]
    fn hex_escapes_strip_padding_and_ignore_case() {
        assert_eq!(unescape(r"A\X000D\\X0A\B").0, "A\r\nB");
        assert_eq!(unescape(r"A\x0d\\x0a\B").0, "A\r\nB");
        assert_eq!(unescape(r"\X0D0A\").0, "\r\n");
        assert_eq!(unescape(r"\XC3A9\").0, "é");
        assert_eq!(unescape(r"\X00\").1, vec![EscapeIssue::NulDropped]);
    }

    #[test]
    fn formatting_and_highlight() {
        assert_eq!(unescape(r"a\.br\b\H\c\N\").0, "a\nbc");
        let (text, issues) = unescape(r"a\.in+4\b");
        assert_eq!(text, "ab");
        assert_eq!(issues.len(), 1);
    }

    #[test]
    fn invalid_escapes_are_literal() {
        let (text, issues) = unescape(r"BSV 4\5 re.");
        assert_eq!(text, r"BSV 4\5 re.");
        assert_eq!(issues, vec![EscapeIssue::Invalid(r"\5 re.".into())]);
        assert_eq!(unescape(r"C:\temp\x").0, r"C:\temp\x");
        assert_eq!(
            unescape(r"\C2842\").1,
            vec![EscapeIssue::Unsupported(r"\C2842\".into())]
        );
    }

    #[test]
    fn escape_round_trips_delimiters_and_controls() {
        let delims = Delimiters::default();
        let text = "a|b^c~d\\e&f\r\ng\ttabé";
        assert_eq!(escape("a ", &delims), "a\\X20\\");
        let escaped = escape(text, &delims);
        assert_eq!(
            escaped,
            "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f\\X0D\\\\X0A\\g\ttabé"
        );
        assert_eq!(unescape(&escaped).0, text);
        assert_eq!(escape("plain", &delims), "plain");
    }
}
