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
//! - [`Message::parse`] one message → [`Message`]; segments with [`Message::segments`],
//!   [`Message::segment`], [`Message::segments_named`], [`Message::segment_at`].
//! - Header helpers: [`Message::message_type`] ([`MessageType`]), [`Message::control_id`],
//!   [`Message::version`], [`Message::sending_application`], [`Message::sending_facility`],
//!   [`Message::receiving_application`], [`Message::receiving_facility`],
//!   [`Message::charset`], [`Message::header_time_raw`], [`Message::processing_id`].
//! - Views: [`Segment::field`] (HL7 numbering; for MSH, MSH-1 is the field separator),
//!   [`Field::repetitions`] / [`Field::repetition`] / [`Field::component`],
//!   [`Repetition::component`], [`Component::subcomponent`]. Every view has `raw()`,
//!   `text()` (unescaped and decoded), `text_opt()`, `is_empty()`, `is_null()`, `has_value()`.
//! - Paths: [`Message::get`] (`"PID-5.1"`), [`Message::get_rep`], [`Message::try_get`].
//! - Warnings: [`Message::warnings`] (location like `PID-5.1` + [`WarningKind`]).
//! - Round trip: [`Message::as_bytes`] is the untouched input.
//! - Files: [`split_messages`] → [`Split`] (byte ranges + [`SplitProblem`]s).
//! - Writing: [`escape`], [`MessageWriter`].
//! - Modules: [`mllp`] (streaming decoder, `frame`), [`ack`] (ACK/NACK), [`ts`] (TS/DTM).

#![deny(missing_docs)]

pub mod ack;
mod charset;
mod delimiters;
mod error;
mod escape;
mod message;
pub mod mllp;
mod split;
pub mod ts;
mod value;
mod writer;

pub use charset::Charset;
pub use delimiters::Delimiters;
pub use error::{DecodeError, Location, ParseError, Warning, WarningKind};
pub use escape::escape;
pub use message::{Message, MessageType};
pub use split::{Split, SplitProblem, split_messages};
pub use value::{Component, Field, Repetition, Segment, Subcomponent};
pub use writer::{MessageWriter, SegmentWriter};
