//! Ingestion: everything that turns outside input into events in the store.
//!
//! - [`hl7map`] maps one parsed HL7 v2 message to domain facts, or refuses it
//!   with the HL7 error to put in the ACK.
//! - [`pipeline`] wraps facts into events (id, clock, origin, source) and
//!   submissions, and holds the node's one wall clock.
//! - [`files`] loads HL7 v2 and FHIR files and folders (`ckisa ingest`).
//! - [`mllp`] is the MLLP listener: it ACKs a message only after the store
//!   has made it durable.
//!
//! **Invariant:** no input can stop a feed: every message ends either stored,
//! recognised as a duplicate, acknowledged as ignored, or quarantined with a
//! reason.

pub mod clock;
pub mod files;
mod hl7in;
pub mod hl7map;
pub mod mllp;
pub mod pipeline;

pub use mllp::{SourceRule, SourceRuleError};
