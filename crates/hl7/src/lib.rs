//! HL7 v2 over bytes: parsing (v2.3 to v2.8, IHE PAM FR), escapes, character sets, batch files,
//! MLLP framing, ACK building and HL7 timestamps. No IO, no copies of the input.
//!
//! # Reading a message
//!
//! ```
//! use ckisa_hl7::Message;
//!
//! let raw = b"MSH|^~\\&|GAM|HOSP|NODE|HOSP|20240101120000||ADT^A01^ADT_A01|42|P|2.5\r\
//!             PID|1||T1^^^HOSP^PI~299^^^INS^INS||DUPONT^JEAN||19600101|M|||||\"\"\r";
//! let msg = Message::parse(raw)?;
//! let kind = msg.message_type();
//! assert_eq!((kind.code, kind.trigger, kind.structure), ("ADT", "A01", Some("ADT_A01")));
//! assert_eq!(msg.control_id(), Some("42"));
//! assert_eq!(msg.get("PID-5.1").as_deref(), Some("DUPONT"));
//!
//! let pid = msg.segment("PID").expect("PID present");
//! let ids: Vec<_> = pid.field(3).repetitions().map(|rep| rep.component(5).raw()).collect();
//! assert_eq!(ids, [b"PI".as_slice(), b"INS"]);
//! assert!(pid.field(11).is_empty()); // absent: leave stored value unchanged
//! assert!(pid.field(13).is_null()); // "": delete stored value
//! # Ok::<(), ckisa_hl7::ParseError>(())
//! ```
//!
//! # API map
//!
//! - [`Message::parse`] one message → [`Message`]; segments with [`Message::segments`] (in
//!   order, to walk groups such as OBR then its OBX/NTE), [`Message::segment`] (first of a
//!   name), [`Message::segments_named`], [`Message::segment_at`], [`Segment::is`].
//! - Header helpers: [`Message::message_type`] ([`MessageType`] `{ code, trigger, structure }`),
//!   [`Message::control_id`], [`Message::version`] (MSH-12.1, `2.5` for `2.5^FRA^2.11`),
//!   [`Message::sending_application`], [`Message::sending_facility`],
//!   [`Message::receiving_application`], [`Message::receiving_facility`] (these four return the
//!   HD [`Field`]), [`Message::charset`], [`Message::header_time_raw`] (MSH-7.1),
//!   [`Message::processing_id`].
//! - Views: [`Segment::field`] (HL7 numbering; for MSH, MSH-1 is the field separator and MSH-2
//!   the encoding characters, so MSH-9 is the message type; an absent field is an empty
//!   [`Field`], never a panic), [`Segment::fields`], [`Field::repetitions`] /
//!   [`Field::repetition`] / [`Field::component`] (first repetition),
//!   [`Repetition::component`], [`Component::subcomponent`], all 1-based. Every view has
//!   `raw()`, `raw_str()`, `offset()`, `text()` (unescaped, decoded with MSH-18),
//!   `text_opt()` (`None` for empty or `""`), `is_empty()` (absent/empty: leave unchanged),
//!   `is_null()` (`""`: delete) and `has_value()`.
//! - Paths: [`Message::get`] (`"PID-5.1"`, `"PID-3.4.2"`, also `"PID.5.1"`; first repetition
//!   of the first segment), [`Message::get_rep`], [`Message::try_get`] (keeps decode errors).
//! - Problems: [`ParseError`] (unusable message), [`DecodeError`] (one value's bytes invalid for
//!   the character set, with the byte offset), [`Message::warnings`] ([`Warning`] = [`Location`]
//!   such as `PID-5.1` + [`WarningKind`]); each has a French `reason_fr()`.
//! - Round trip: [`Message::as_bytes`] is the untouched input, byte for byte.
//! - Files: [`split_messages`] → [`Split`] (each message's byte range + [`SplitProblem`]s).
//! - Writing: [`escape`], [`MessageWriter`] / [`SegmentWriter`], [`Charset::encode_lossy`].
//! - Modules: [`mllp`] (streaming [`mllp::MllpDecoder`], [`mllp::frame`]), [`ack`]
//!   ([`ack::ack`], [`ack::nack_for_unparseable`]), [`ts`] ([`ts::Ts::parse`]).
//!
//! # Interpretation choices
//!
//! - Segments end at CR, LF or CRLF; blank lines are skipped; trailing spaces and tabs at the
//!   end of a segment are dropped (export artefacts); [`escape`] therefore writes a value's final
//!   space as `\X20\`.
//! - Character sets: `UNICODE UTF-8`/`UTF-8`/absent → UTF-8, `8859/1`, `8859/15`, `ASCII`
//!   (non-ASCII bytes that are valid UTF-8 are read as UTF-8 with a warning). Bytes invalid for
//!   the charset are never replaced: `text()` fails with the offset. In Latin-1/9, bytes
//!   0x80-0x9F (C1 controls, usually Windows-1252 sent under a Latin-1 label) are invalid.
//! - Escapes: `\F\ \S\ \T\ \R\ \E\ \P\`; `\Xhh..\` (any case; leading zero padding
//!   stripped so `\X000D\` is CR; NUL bytes dropped with a warning); `\.br\` and `\.sp\` give
//!   `\n`; `\H\ \N\` are dropped; `\C..\ \M..\ \Z..\` and undefined sequences are kept
//!   literally with a warning; an unmatched escape character is literal (`4\5`).
//! - MSH-2 `^~\\&` (escape character doubled) is read as `^~\&` with a warning.

#![deny(missing_docs)]

pub mod ack;
mod charset;
mod delimiters;
mod error;
mod escape;
mod message;
pub mod mllp;
mod scan;
mod split;
pub mod ts;
mod value;
mod writer;

pub use charset::Charset;
pub use delimiters::Delimiters;
pub use error::{DecodeError, Location, ParseError, Warning, WarningKind};
pub use escape::{escape, unescape_bytes};
pub use message::{Message, MessageType};
pub use split::{Split, SplitProblem, split_messages};
pub use value::{Component, Field, Repetition, Segment, Subcomponent};
pub use writer::{MessageWriter, SegmentWriter};
