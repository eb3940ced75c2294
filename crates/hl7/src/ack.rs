//! Building acknowledgements (original mode, HL7 v2.5 chapter 2.9 and 2.15.5 ERR): an ACK for a
//! parsed message, and a best-effort NACK for bytes that could not be parsed at all.
//!
//! The ACK reuses the incoming message's delimiters, version and character set, swaps sender
//! and receiver, and carries the error location (ERR-2), code (ERR-3, HL7 table 0357),
//! severity (ERR-4) and a French user message (ERR-8), escaped. For versions before 2.5, ERR-1
//! (the older ELD form) is filled as well. Timestamps and control ids come from the caller: this
//! crate never reads the clock.

use crate::charset::Charset;
use crate::delimiters::Delimiters;
use crate::escape::escape;
use crate::message::{Message, raw_piece};

/// MSA-1 acknowledgement code (HL7 table 0008, original mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckCode {
    /// Application accept.
    AA,
    /// Application error: the sender should not resend the same message unchanged.
    AE,
    /// Application reject: the message was refused (structure, type, version...).
    AR,
}

impl AckCode {
    /// The code as written in MSA-1.
    pub fn as_str(self) -> &'static str {
        match self {
            AckCode::AA => "AA",
            AckCode::AE => "AE",
            AckCode::AR => "AR",
        }
    }
}

/// The error reported in ERR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckError {
    /// Segment of the error, e.g. `MRG` (empty when the error is not tied to a segment).
    pub segment: String,
    /// Occurrence of that segment in the message, 1-based.
    pub sequence: usize,
    /// Field position, 1-based (0 when not tied to a field).
    pub field: usize,
    /// HL7 table 0357 code: 100 segment sequence, 101 required field missing, 102 data type,
    /// 103 table value not found, 200 unsupported message type, 201 unsupported event,
    /// 203 unsupported version, 204 unknown key, 205 duplicate key, 207 internal error.
    pub code: u16,
    /// The user-facing message, in French.
    pub text: String,
}

/// Builds the ACK answering `msg`, with `ack_control_id` as its MSH-10 and `timestamp` (HL7 TS
/// text, e.g. `20240105093000+0100`) as its MSH-7.
pub fn ack(
    msg: &Message<'_>,
    code: AckCode,
    error: Option<&AckError>,
    ack_control_id: &str,
    timestamp: &str,
) -> Vec<u8> {
    let msh = msg.msh();
    let header = Header {
        delims: msg.delimiters(),
        charset: msg.charset(),
        sending: [msh.field(5).raw(), msh.field(6).raw()],
        receiving: [msh.field(3).raw(), msh.field(4).raw()],
        trigger: msg.msh().field(9).component(2).raw(),
        control_id: msh.field(10).raw(),
        processing_id: msh.field(11).raw(),
        version: msh.field(12).raw(),
        charset_field: msh.field(18).raw(),
    };
    header.build(code, error, ack_control_id, timestamp)
}

/// Builds a NACK for bytes that [`Message::parse`] refused: reads what it can of MSH (sender,
/// receiver, control id, version) and leaves the rest empty; MSA-2 is empty when MSH-10 cannot
/// be read. If the bytes do parse, this is [`ack`].
pub fn nack_for_unparseable(
    raw: &[u8],
    code: AckCode,
    error: &AckError,
    ack_control_id: &str,
    timestamp: &str,
) -> Vec<u8> {
    if let Ok(msg) = Message::parse(raw) {
        return ack(&msg, code, Some(error), ack_control_id, timestamp);
    }
    let line = first_msh_line(raw);
    let parsed = line.and_then(|line| {
        let field = *line.get(3)?;
        let encoding = raw_piece(&line[4..], field, 0);
        Delimiters::from_header(field, encoding)
            .ok()
            .map(|(delims, _)| (line, delims))
    });
    // Without usable delimiters no field can be located: answer with an empty header.
    let (line, delims) = parsed.unwrap_or((&[], Delimiters::default()));
    let piece = |number: usize| raw_piece(line, delims.field, number - 1);
    let charset_field = raw_piece(piece(18), delims.repetition, 0);
    let header = Header {
        delims,
        charset: Charset::from_declaration(raw_piece(charset_field, delims.component, 0)),
        sending: [piece(5), piece(6)],
        receiving: [piece(3), piece(4)],
        trigger: raw_piece(piece(9), delims.component, 1),
        control_id: piece(10),
        processing_id: piece(11),
        version: piece(12),
        charset_field,
    };
    header.build(code, Some(error), ack_control_id, timestamp)
}

/// What the ACK copies from the incoming header (raw bytes, already in the right delimiters).
struct Header<'a> {
    delims: Delimiters,
    charset: Charset,
    sending: [&'a [u8]; 2],
    receiving: [&'a [u8]; 2],
    trigger: &'a [u8],
    control_id: &'a [u8],
    processing_id: &'a [u8],
    version: &'a [u8],
    charset_field: &'a [u8],
}

impl Header<'_> {
    fn build(
        &self,
        code: AckCode,
        error: Option<&AckError>,
        ack_control_id: &str,
        timestamp: &str,
    ) -> Vec<u8> {
        let mut out = Out {
            bytes: Vec::with_capacity(256),
            delims: self.delims,
            charset: self.charset,
        };
        self.write_msh(&mut out, ack_control_id, timestamp);
        out.segment("MSA");
        out.text_field(code.as_str());
        out.raw_field(self.control_id);
        if let Some(error) = error {
            out.text_field(&error.text);
            out.end_segment();
            self.write_err(&mut out, error);
        }
        out.end_segment();
        out.bytes
    }

    fn write_msh(&self, out: &mut Out, ack_control_id: &str, timestamp: &str) {
        out.bytes
            .extend_from_slice(self.delims.msh_prefix().as_bytes());
        for raw in self.sending.iter().chain(&self.receiving) {
            out.raw_field(raw);
        }
        out.text_field(timestamp);
        out.raw_field(b"");
        let component = char::from(self.delims.component);
        let trigger = String::from_utf8_lossy(self.trigger);
        out.raw_field(
            format!(
                "ACK{component}{}{component}ACK",
                escape(&trigger, &self.delims)
            )
            .as_bytes(),
        );
        out.text_field(ack_control_id);
        out.raw_field(if self.processing_id.is_empty() {
            b"P"
        } else {
            self.processing_id
        });
        out.raw_field(if self.version.is_empty() {
            b"2.5"
        } else {
            self.version
        });
        if !self.charset_field.is_empty() {
            for _ in 13..18 {
                out.raw_field(b"");
            }
            out.raw_field(self.charset_field);
        }
        out.end_segment();
    }

    fn write_err(&self, out: &mut Out, error: &AckError) {
        let delims = self.delims;
        let component = char::from(delims.component);
        let location = if error.segment.is_empty() {
            String::new()
        } else {
            let segment = escape(&error.segment, &delims);
            format!(
                "{segment}{component}{}{component}{}",
                error.sequence.max(1),
                error.field
            )
        };
        let text = escape(&error.text, &delims);
        let label = code_label(error.code);
        out.segment("ERR");
        if self.version_before_2_5() {
            let sub = char::from(delims.subcomponent);
            let code = format!("{}{sub}{text}{sub}HL70357", error.code);
            out.encoded_field(&format!("{location}{component}{code}"));
        } else {
            out.raw_field(b"");
        }
        out.encoded_field(&location);
        out.encoded_field(&format!(
            "{}{component}{label}{component}HL70357",
            error.code
        ));
        out.text_field("E");
        for _ in 5..8 {
            out.raw_field(b"");
        }
        out.encoded_field(&text);
    }

    fn version_before_2_5(&self) -> bool {
        let version = String::from_utf8_lossy(raw_piece(self.version, self.delims.component, 0));
        let mut parts = version
            .trim()
            .split('.')
            .map(|part| part.parse::<u32>().unwrap_or(0));
        let major = parts.next().unwrap_or(2);
        let minor = parts.next().unwrap_or(5);
        (major, minor) < (2, 5)
    }
}

/// The ACK being written.
struct Out {
    bytes: Vec<u8>,
    delims: Delimiters,
    charset: Charset,
}

impl Out {
    fn segment(&mut self, name: &str) {
        self.bytes.extend_from_slice(name.as_bytes());
    }

    fn end_segment(&mut self) {
        self.bytes.push(b'\r');
    }

    fn raw_field(&mut self, raw: &[u8]) {
        self.bytes.push(self.delims.field);
        self.bytes.extend_from_slice(raw);
    }

    /// A field holding plain text: escaped, then encoded in the message's character set.
    fn text_field(&mut self, text: &str) {
        let escaped = escape(text, &self.delims);
        self.encoded_field(&escaped);
    }

    /// A field already escaped/structured by us: only encoded.
    fn encoded_field(&mut self, text: &str) {
        self.bytes.push(self.delims.field);
        self.bytes
            .extend_from_slice(&self.charset.encode_lossy(text));
    }
}

/// English labels of HL7 table 0357, as conventionally sent in ERR-3.2.
fn code_label(code: u16) -> &'static str {
    match code {
        0 => "Message accepted",
        100 => "Segment sequence error",
        101 => "Required field missing",
        102 => "Data type error",
        103 => "Table value not found",
        104 => "Value too long",
        200 => "Unsupported message type",
        201 => "Unsupported event code",
        202 => "Unsupported processing id",
        203 => "Unsupported version id",
        204 => "Unknown key identifier",
        205 => "Duplicate key identifier",
        206 => "Application record locked",
        _ => "Application internal error",
    }
}

/// The first line starting with `MSH` (after a BOM, MLLP start byte or blank lines).
fn first_msh_line(raw: &[u8]) -> Option<&[u8]> {
    let position = memchr::memmem::find(raw, b"MSH")?;
    let line = &raw[position..];
    let end = memchr::memchr2(b'\r', b'\n', line).unwrap_or(line.len());
    Some(&line[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    const A40: &str = "MSH|^~\\&|GAM|HOSP|NODE|HOSP|20240101120000||ADT^A40^ADT_A39|M1|P|2.5|||||FRA|8859/1\r\
PID|1||P1^^^H^PI\rMRG|P1^^^H^PI\r";

    fn segments(bytes: &[u8]) -> Vec<String> {
        String::from_utf8_lossy(bytes)
            .split('\r')
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn accept_swaps_sender_and_receiver() {
        let msg = Message::parse(A40.as_bytes()).expect("valid");
        let bytes = ack(&msg, AckCode::AA, None, "ACK1", "20240101120001");
        assert_eq!(
            segments(&bytes),
            [
                "MSH|^~\\&|NODE|HOSP|GAM|HOSP|20240101120001||ACK^A40^ACK|ACK1|P|2.5||||||8859/1",
                "MSA|AA|M1",
                ""
            ]
        );
    }

    #[test]
    fn error_is_located_escaped_and_encoded() {
        let msg = Message::parse(A40.as_bytes()).expect("valid");
        let error = AckError {
            segment: "MRG".into(),
            sequence: 1,
            field: 1,
            code: 205,
            text: "MRG-1 identique à PID-3 | fusion refusée".into(),
        };
        let bytes = ack(&msg, AckCode::AE, Some(&error), "ACK2", "20240101120001");
        let text = "MRG-1 identique \u{e0} PID-3 \\F\\ fusion refus\u{e9}e";
        let latin1: Vec<u8> = text.chars().map(|c| c as u8).collect();
        let expected_msa = [b"MSA|AE|M1|".as_slice(), &latin1].concat();
        assert!(
            bytes
                .windows(expected_msa.len())
                .any(|window| window == expected_msa)
        );
        let parsed = Message::parse(&bytes).expect("ACK parses");
        let err = parsed.segment("ERR").expect("ERR present");
        assert_eq!(err.field(2).raw(), b"MRG^1^1");
        assert_eq!(err.field(3).raw(), b"205^Duplicate key identifier^HL70357");
        assert_eq!(err.field(4).raw(), b"E");
        assert_eq!(
            err.field(8).text().unwrap(),
            "MRG-1 identique à PID-3 | fusion refusée"
        );
        assert!(err.field(1).is_empty());
    }

    #[test]
    fn old_versions_get_err_1() {
        let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|1||ADT^A01|X|P|2.3\r").expect("valid");
        let error = AckError {
            segment: "PID".into(),
            sequence: 1,
            field: 3,
            code: 101,
            text: "identifiant manquant".into(),
        };
        let bytes = ack(&msg, AckCode::AR, Some(&error), "Y", "2");
        let parsed = Message::parse(&bytes).expect("ACK parses");
        let err = parsed.segment("ERR").expect("ERR present");
        assert_eq!(
            err.field(1).raw(),
            b"PID^1^3^101&identifiant manquant&HL70357"
        );
    }

    #[test]
    fn nack_reads_what_it_can() {
        let error = AckError {
            segment: String::new(),
            sequence: 0,
            field: 0,
            code: 207,
            text: "message illisible".into(),
        };
        let bytes =
            nack_for_unparseable(b"garbage MSH|^^^^|A|B|C|D", AckCode::AR, &error, "Z", "1");
        let parsed = Message::parse(&bytes).expect("NACK parses");
        assert_eq!(parsed.get("MSA-1").as_deref(), Some("AR"));
        assert_eq!(parsed.get("MSA-2"), None);
        assert_eq!(parsed.get("MSA-3").as_deref(), Some("message illisible"));
        let bytes = nack_for_unparseable(
            b"\x0bMSH|^~\\&|APP|FAC|ME|HOSP|1||ADT^A01|CTL",
            AckCode::AR,
            &error,
            "Z",
            "1",
        );
        let parsed = Message::parse(&bytes).expect("NACK parses");
        assert_eq!(parsed.get("MSA-2").as_deref(), Some("CTL"));
    }
}
