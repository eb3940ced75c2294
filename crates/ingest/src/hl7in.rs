//! One HL7 v2 message in: parse, map, and prepare both the submission and
//! the acknowledgement. Shared by the file loader and the MLLP listener, so
//! that a message means the same thing whichever way it arrives.

use std::sync::atomic::{AtomicU64, Ordering};

use ckisa_domain::{Actor, Source};
use ckisa_hl7::ack::{AckCode, AckError, ack, nack_for_unparseable};
use ckisa_hl7::{Message, split_messages};
use ckisa_store::{DedupKey, Rejection, Submission};

use crate::clock::hl7_timestamp;
use crate::hl7map::{AckKind, MapContext, map_message};
use crate::pipeline::EventFactory;

/// HL7 table 0357: application internal error.
const INTERNAL_ERROR: u16 = 207;
/// HL7 table 0357: unknown key identifier (a retired patient id).
const UNKNOWN_KEY: u16 = 204;
/// HL7 table 0357: data type error (used for unparseable messages).
const DATA_TYPE_ERROR: u16 = 102;

/// What to do with one message.
pub(crate) enum Handled {
    /// Commit the submission (possibly with no events for an ignored type),
    /// then answer with `ack`.
    Store {
        submission: Submission,
        /// Non-fatal problems, in French, each naming its field.
        warnings: Vec<String>,
        /// A well-formed message of a type the node does not project.
        ignored: bool,
        /// The message is itself an acknowledgement: HL7 forbids answering it.
        is_ack: bool,
        ack: AckPlan,
    },
    /// Quarantine the rejection and answer with this NAK.
    Reject { rejection: Rejection, ack: Vec<u8> },
}

/// The header needed to answer a message once its fate is known.
pub(crate) struct AckPlan {
    header: Vec<u8>,
    timestamp: String,
}

impl AckPlan {
    /// `AA`: the message is durably stored.
    pub(crate) fn accepted(&self) -> Vec<u8> {
        self.build(AckCode::AA, None)
    }

    /// `AE`: the store refused the message (a merged-away patient id).
    pub(crate) fn refused(&self, reason: &str) -> Vec<u8> {
        let error = AckError {
            segment: String::from("PID"),
            sequence: 1,
            field: 3,
            code: UNKNOWN_KEY,
            text: reason.to_owned(),
        };
        self.build(AckCode::AE, Some(&error))
    }

    /// `AE`: the store failed; the sender keeps the message and retries.
    pub(crate) fn internal_error(&self) -> Vec<u8> {
        let error = AckError {
            segment: String::new(),
            sequence: 1,
            field: 0,
            code: INTERNAL_ERROR,
            text: String::from("erreur interne du nœud : message non enregistré, à renvoyer"),
        };
        self.build(AckCode::AE, Some(&error))
    }

    fn build(&self, code: AckCode, error: Option<&AckError>) -> Vec<u8> {
        match Message::parse(&self.header) {
            Ok(msg) => ack(&msg, code, error, &next_ack_id(), &self.timestamp),
            // The header parsed once already; this cannot fail, but a NAK is
            // still a valid answer if it did.
            Err(_) => nack_unparseable("en-tête illisible"),
        }
    }
}

/// Splits an HL7 v2 file; returns the messages and French problems.
pub(crate) fn split_file(body: &[u8]) -> (Vec<&[u8]>, Vec<String>) {
    let split = split_messages(body);
    let messages = split
        .messages
        .iter()
        .map(|range| &body[range.clone()])
        .collect();
    let problems = split
        .problems
        .iter()
        .map(|problem| problem.reason_fr())
        .collect();
    (messages, problems)
}

/// The frames of an MLLP capture file.
pub(crate) struct Capture<'a> {
    /// Complete frames' payloads.
    pub(crate) messages: Vec<&'a [u8]>,
    /// Problems between frames, in French.
    pub(crate) problems: Vec<String>,
    /// A last frame without its end: never parsed, since it may be cut.
    pub(crate) truncated: Option<&'a [u8]>,
}

/// Splits a capture of MLLP frames (`<VT> payload <FS><CR>`, repeated).
pub(crate) fn split_mllp_capture(body: &[u8]) -> Capture<'_> {
    let mut capture = Capture {
        messages: Vec::new(),
        problems: Vec::new(),
        truncated: None,
    };
    let mut rest = body;
    while let Some(start) = rest.iter().position(|&b| b == ckisa_hl7::mllp::START_BLOCK) {
        if rest[..start].iter().any(|b| !b.is_ascii_whitespace()) {
            capture
                .problems
                .push(format!("{start} octet(s) hors trame MLLP ignoré(s)"));
        }
        let after = &rest[start + 1..];
        let end = after
            .windows(2)
            .position(|w| w == [ckisa_hl7::mllp::END_BLOCK, b'\r']);
        match end {
            Some(end) => {
                capture.messages.push(&after[..end]);
                rest = &after[end + 2..];
            }
            None => {
                capture.truncated = Some(after);
                rest = &[];
            }
        }
    }
    if rest.iter().any(|b| !b.is_ascii_whitespace()) {
        capture
            .problems
            .push(format!("{} octet(s) hors trame MLLP ignoré(s)", rest.len()));
    }
    capture
}

/// Parses and maps one message.
pub(crate) fn handle(
    bytes: &[u8],
    map: &MapContext,
    factory: &EventFactory,
    feed: &str,
    mut source: Source,
) -> Handled {
    let now_ms = factory.now_ms();
    let timestamp = hl7_timestamp(now_ms, &map.site_zone);
    let rejection = |message_id: Option<String>, reason: String| Rejection {
        feed: feed.to_owned(),
        received_ms: now_ms,
        message_id,
        reason,
        raw: bytes.to_vec(),
    };
    let msg = match Message::parse(bytes) {
        Ok(msg) => msg,
        Err(err) => {
            let reason = err.reason_fr();
            let error = AckError {
                segment: String::from("MSH"),
                sequence: 1,
                field: 0,
                code: DATA_TYPE_ERROR,
                text: reason.clone(),
            };
            let nack = nack_for_unparseable(bytes, AckCode::AR, &error, &next_ack_id(), &timestamp);
            return Handled::Reject {
                rejection: rejection(None, reason),
                ack: nack,
            };
        }
    };
    let control_id = msg
        .control_id()
        .map(str::to_owned)
        .filter(|id| !id.is_empty());
    let mapped = match map_message(&msg, map) {
        Ok(mapped) => mapped,
        Err(refusal) => {
            let code = match refusal.ack_code {
                AckKind::Error => AckCode::AE,
                AckKind::Reject => AckCode::AR,
            };
            let error = AckError {
                segment: refusal.segment.clone(),
                sequence: 1,
                field: refusal.field,
                code: refusal.hl7_error_code,
                text: refusal.reason.clone(),
            };
            let nack = ack(&msg, code, Some(&error), &next_ack_id(), &timestamp);
            return Handled::Reject {
                rejection: rejection(control_id, refusal.reason),
                ack: nack,
            };
        }
    };

    let sender = sender_of(&msg);
    let mut warnings: Vec<String> = msg.warnings().iter().map(|w| w.reason_fr()).collect();
    warnings.extend(mapped.warnings);
    if control_id.is_none() {
        warnings.push(String::from("MSH-10 absent : message non dédoublonnable"));
    }
    let dedup = control_id.clone().map(|control_id| DedupKey {
        sender: sender.clone(),
        control_id,
        digest: format!("{:016x}", content_digest(bytes)),
    });
    source.message_id = control_id;
    source.sender = Some(sender);
    let actor = Actor::Feed(feed.to_owned());
    let submission = factory.submission(feed, &actor, &source, dedup, mapped.facts);
    let header = msg.msh().raw().to_vec();
    Handled::Store {
        submission,
        warnings,
        ignored: mapped.ignored,
        is_ack: msg.message_type().code.trim() == "ACK",
        ack: AckPlan { header, timestamp },
    }
}

/// A NAK for bytes that are not an HL7 message at all (MLLP framing errors).
pub(crate) fn nack_unparseable(reason: &str) -> Vec<u8> {
    let error = AckError {
        segment: String::new(),
        sequence: 1,
        field: 0,
        code: DATA_TYPE_ERROR,
        text: reason.to_owned(),
    };
    nack_for_unparseable(b"", AckCode::AR, &error, &next_ack_id(), "")
}

/// FNV-1a over the message with every run of CR and LF read as one CR and
/// trailing terminators ignored: a retransmission hashes the same whether it
/// came by MLLP or in a file with other line ends. Stable across releases,
/// since it is stored.
fn content_digest(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let end = bytes
        .iter()
        .rposition(|&b| b != b'\r' && b != b'\n')
        .map_or(0, |i| i + 1);
    let mut hash = OFFSET;
    let mut in_break = false;
    for &byte in &bytes[..end] {
        let is_break = byte == b'\r' || byte == b'\n';
        if is_break && in_break {
            continue;
        }
        in_break = is_break;
        hash ^= u64::from(if is_break { b'\r' } else { byte });
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

/// `SENDING_APP^FACILITY` as written, for deduplication.
fn sender_of(msg: &Message<'_>) -> String {
    let application = String::from_utf8_lossy(msg.sending_application().raw());
    let facility = String::from_utf8_lossy(msg.sending_facility().raw());
    format!("{application}|{facility}")
}

/// A control id for our ACKs: unique within this process, short enough for
/// MSH-10 (20 characters).
fn next_ack_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("CKA{:016X}", n ^ (u64::from(std::process::id()) << 40))
}

#[cfg(test)]
mod tests {
    use super::content_digest;

    #[test]
    fn the_digest_ignores_line_end_style_but_not_content() {
        let cr = content_digest(b"MSH|^~\\&|A\rPID|1\r");
        assert_eq!(cr, content_digest(b"MSH|^~\\&|A\r\nPID|1"));
        assert_eq!(cr, content_digest(b"MSH|^~\\&|A\nPID|1\n\n"));
        assert_ne!(cr, content_digest(b"MSH|^~\\&|A\rPID|2\r"));
    }
}
