//! The audit trail of a ckisa node.
//!
//! Every read of patient data, every write, every login and every permission
//! change becomes an [`AuditRecord`]. Records are chained: each entry stores
//! the SHA-256 of its canonical encoding and of the previous entry's hash, so
//! that editing, inserting or deleting an entry breaks the chain, which
//! [`verify`] (`ckisa audit verify`) finds.

#![deny(missing_docs)]

mod record;

pub use record::{AuditError, AuditOutcome, AuditRecord, AuditSink, MemorySink, actions};
