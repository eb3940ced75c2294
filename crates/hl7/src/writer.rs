//! Writing HL7 v2 text: a small segment-by-segment builder that escapes values with the
//! message's delimiters. Used by the ACK builder, the demo HIS generator and the round-trip
//! property tests.

use crate::delimiters::Delimiters;
use crate::escape::escape;

/// Builds a message as text, one segment at a time; segments end with CR.
#[derive(Debug, Clone)]
pub struct MessageWriter {
    out: String,
    delims: Delimiters,
}

/// Writes the fields of one segment; the segment terminator is added when it is dropped.
#[derive(Debug)]
pub struct SegmentWriter<'w> {
    out: &'w mut String,
    delims: Delimiters,
}

impl MessageWriter {
    /// A writer using `delims`.
    pub fn new(delims: Delimiters) -> MessageWriter {
        MessageWriter {
            out: String::with_capacity(256),
            delims,
        }
    }

    /// The delimiters in use.
    pub fn delimiters(&self) -> Delimiters {
        self.delims
    }

    /// Starts the MSH segment: writes `MSH|^~\&`, so the next field written is MSH-3.
    pub fn msh(&mut self) -> SegmentWriter<'_> {
        let prefix = self.delims.msh_prefix();
        self.out.push_str(&prefix);
        SegmentWriter {
            out: &mut self.out,
            delims: self.delims,
        }
    }

    /// Starts a segment named `name` (written as is); the next field written is field 1.
    pub fn segment(&mut self, name: &str) -> SegmentWriter<'_> {
        self.out.push_str(name);
        SegmentWriter {
            out: &mut self.out,
            delims: self.delims,
        }
    }

    /// The message text.
    pub fn finish(self) -> String {
        self.out
    }
}

impl SegmentWriter<'_> {
    /// Appends a field holding `text`, escaped (so `^` in the text stays data).
    pub fn field(&mut self, text: &str) -> &mut Self {
        self.out.push(char::from(self.delims.field));
        self.out.push_str(&escape(text, &self.delims));
        self
    }

    /// Appends a field written as is: the caller has already escaped or structured it.
    pub fn raw_field(&mut self, raw: &str) -> &mut Self {
        self.out.push(char::from(self.delims.field));
        self.out.push_str(raw);
        self
    }

    /// Appends `count` empty fields.
    pub fn empty_fields(&mut self, count: usize) -> &mut Self {
        for _ in 0..count {
            self.out.push(char::from(self.delims.field));
        }
        self
    }

    /// Appends a field made of escaped components.
    pub fn components(&mut self, components: &[&str]) -> &mut Self {
        self.repetitions(&[components])
    }

    /// Appends a field made of repetitions of escaped components.
    pub fn repetitions(&mut self, repetitions: &[&[&str]]) -> &mut Self {
        self.out.push(char::from(self.delims.field));
        for (index, components) in repetitions.iter().enumerate() {
            if index > 0 {
                self.out.push(char::from(self.delims.repetition));
            }
            for (index, component) in components.iter().enumerate() {
                if index > 0 {
                    self.out.push(char::from(self.delims.component));
                }
                self.out.push_str(&escape(component, &self.delims));
            }
        }
        self
    }
}

impl Drop for SegmentWriter<'_> {
    fn drop(&mut self) {
        self.out.push('\r');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Message;

    #[test]
    fn written_message_parses_back() {
        let mut writer = MessageWriter::new(Delimiters::default());
        writer
            .msh()
            .field("APP")
            .empty_fields(5)
            .raw_field("ADT^A01")
            .field("1");
        writer
            .segment("PID")
            .field("1")
            .empty_fields(3)
            .repetitions(&[&["DUPONT|X", "JEAN"], &["A^B"]]);
        let text = writer.finish();
        assert_eq!(
            text,
            "MSH|^~\\&|APP||||||ADT^A01|1\rPID|1||||DUPONT\\F\\X^JEAN~A\\S\\B\r"
        );
        let msg = Message::parse(text.as_bytes()).expect("valid");
        assert_eq!(msg.get("MSH-9.2").as_deref(), Some("A01"));
        assert_eq!(msg.get("PID-5.1").as_deref(), Some("DUPONT|X"));
        assert_eq!(msg.get_rep("PID-5.1", 2).as_deref(), Some("A^B"));
    }
}
