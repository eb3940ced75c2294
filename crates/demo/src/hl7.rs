//! HL7 v2 text helpers and MLLP framing, just what the demo needs to write
//! messages and read ACKs.
//!
//! This crate deliberately does not depend on `ckisa-hl7` (the node's
//! parser): the demo plays the part of a foreign HIS, so it writes HL7 text
//! on its own, with the default separators `|^~\&`.

/// MLLP start block.
pub const START_BLOCK: u8 = 0x0B;
/// MLLP end block, followed by a carriage return.
pub const END_BLOCK: u8 = 0x1C;
/// Carriage return: segment terminator and last byte of an MLLP frame.
pub const CR: u8 = 0x0D;

/// Escapes text for an HL7 v2 field, component or subcomponent:
/// `\` `|` `^` `&` `~` become `\E\` `\F\` `\S\` `\T\` `\R\`. Carriage returns
/// and line feeds become spaces (they would end the segment).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\E\\"),
            '|' => out.push_str("\\F\\"),
            '^' => out.push_str("\\S\\"),
            '&' => out.push_str("\\T\\"),
            '~' => out.push_str("\\R\\"),
            '\r' | '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Joins already-escaped components with `^`, dropping trailing empty ones.
pub fn components(parts: &[&str]) -> String {
    let used = parts
        .iter()
        .rposition(|p| !p.is_empty())
        .map_or(0, |i| i + 1);
    parts[..used].join("^")
}

/// A segment under construction: fields are set by their HL7 number.
#[derive(Debug)]
pub struct Segment {
    name: &'static str,
    fields: Vec<String>,
}

impl Segment {
    /// An empty segment named `name` (not MSH: its numbering differs).
    pub fn new(name: &'static str) -> Self {
        Segment {
            name,
            fields: Vec::new(),
        }
    }

    /// Sets field `number` (1-based) to already-encoded `value`.
    pub fn set(mut self, number: usize, value: impl Into<String>) -> Self {
        if number == 0 {
            return self;
        }
        if self.fields.len() < number {
            self.fields.resize(number, String::new());
        }
        self.fields[number - 1] = value.into();
        self
    }

    /// The segment text, without its terminator.
    pub fn build(self) -> String {
        let used = self
            .fields
            .iter()
            .rposition(|f| !f.is_empty())
            .map_or(0, |i| i + 1);
        let mut out = String::from(self.name);
        for field in &self.fields[..used] {
            out.push('|');
            out.push_str(field);
        }
        out
    }
}

/// Joins segments into a message, each terminated by a carriage return.
pub fn message(segments: Vec<String>) -> String {
    let mut out = String::with_capacity(segments.iter().map(|s| s.len() + 1).sum());
    for segment in segments {
        out.push_str(&segment);
        out.push('\r');
    }
    out
}

/// Wraps a message in an MLLP frame: `0x0B` payload `0x1C 0x0D`.
pub fn frame(message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 3);
    out.push(START_BLOCK);
    out.extend_from_slice(message.as_bytes());
    out.push(END_BLOCK);
    out.push(CR);
    out
}

/// Takes the first complete MLLP frame out of `buffer`, returning its
/// payload; bytes before the start block are discarded. `None` while no
/// complete frame is buffered.
pub fn take_frame(buffer: &mut Vec<u8>) -> Option<Vec<u8>> {
    let start = buffer.iter().position(|b| *b == START_BLOCK)?;
    let end = buffer[start..]
        .windows(2)
        .position(|w| w == [END_BLOCK, CR])
        .map(|i| start + i)?;
    let payload = buffer[start + 1..end].to_vec();
    buffer.drain(..end + 2);
    Some(payload)
}

/// MSA-1 (acknowledgment code: `AA`, `AE`, `AR`, `CA`, `CE`, `CR`) of an ACK.
pub fn ack_code(ack: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(ack);
    let msa = text
        .split(['\r', '\n'])
        .find(|segment| segment.starts_with("MSA|"))?;
    let code = msa.split('|').nth(1)?.trim();
    (!code.is_empty()).then(|| code.to_string())
}

/// Field `number` of the first segment named `name` in `message` (raw,
/// still escaped); MSH fields are numbered as HL7 does (MSH-3 is the sender).
pub fn field<'a>(message: &'a str, name: &str, number: usize) -> Option<&'a str> {
    let segment = message
        .split('\r')
        .find(|s| s.split('|').next() == Some(name))?;
    let index = if name == "MSH" {
        number.checked_sub(1)?
    } else {
        number
    };
    segment.split('|').nth(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_every_delimiter() {
        assert_eq!(escape(r"a\b|c^d&e~f"), r"a\E\b\F\c\S\d\T\e\R\f");
        assert_eq!(escape("Hélène\rx"), "Hélène x");
    }

    #[test]
    fn segment_numbers_fields_and_trims_trailing_empties() {
        let pid = Segment::new("PID")
            .set(1, "1")
            .set(3, "X")
            .set(9, "")
            .build();
        assert_eq!(pid, "PID|1||X");
        assert_eq!(components(&["A", "", "B", "", ""]), "A^^B");
    }

    #[test]
    fn frames_round_trip_and_partial_frames_wait() {
        let mut buffer = b"noise".to_vec();
        buffer.extend(frame("MSH|^~\\&|A\rMSA|AA|1\r"));
        buffer.extend(&frame("second")[..4]);
        let first = take_frame(&mut buffer).expect("one whole frame");
        assert_eq!(first, b"MSH|^~\\&|A\rMSA|AA|1\r");
        assert!(take_frame(&mut buffer).is_none());
        buffer.extend(&frame("second")[4..]);
        assert_eq!(take_frame(&mut buffer).expect("second frame"), b"second");
        assert!(buffer.is_empty());
    }

    #[test]
    fn ack_code_reads_msa_1() {
        assert_eq!(
            ack_code(b"MSH|^~\\&|X\rMSA|AE|12|bad\r").as_deref(),
            Some("AE")
        );
        assert_eq!(ack_code(b"MSH|^~\\&|X\r"), None);
    }

    #[test]
    fn field_numbers_msh_like_hl7() {
        let msg = "MSH|^~\\&|DEMO-HIS|CHDEMO\rPID|1||123\r";
        assert_eq!(field(msg, "MSH", 3), Some("DEMO-HIS"));
        assert_eq!(field(msg, "PID", 3), Some("123"));
        assert_eq!(field(msg, "PV1", 3), None);
    }
}
