//! The audit trail of a ckisa node.
//!
//! Every read of patient data, every write, every login and every permission
//! change becomes an [`AuditRecord`]. Producers only see [`AuditSink`]; the
//! node's sink is [`AuditTrail`], which keeps the records in
//! `<data_dir>/audit.db` (SQLCipher, encrypted with the node's key).
//!
//! # The chain
//!
//! Records are chained: entry `n` stores the hash of entry `n - 1` and its
//! own hash, `SHA-256(prev_hash || canonical encoding of (n, every field))`,
//! the first entry following 32 zero bytes. One writer thread numbers and
//! hashes entries in order and commits them in groups. `append` only queues
//! (page reads never wait for a disk); `append_durable` returns once the
//! entry is committed. After each commit the head of the chain is written to
//! `<data_dir>/audit.anchor` with an HMAC keyed by a key derived from the
//! database key. [`verify`] (`ckisa audit verify`) recomputes the chain and
//! compares its end with the anchor.
//!
//! # Key rotation
//!
//! The anchor's key follows the database key: after the folder's databases
//! are re-keyed (`ckisa rekey`), [`rekey_anchor`] re-signs the anchor under
//! the new key, and only an anchor that verifies under the old one.
//!
//! `audit.db`, its `-wal` and `-shm` files and `audit.anchor` are made
//! readable by the node's user only (mode 0600 on Unix).
//!
//! # What this detects, and what it cannot
//!
//! The database is encrypted: without the key, nobody can read it or change
//! a row (a changed page fails SQLCipher's page HMAC and the file no longer
//! opens). Someone who holds the key (an administrator of the node, anyone
//! who copied the key file) can open it with SQL. Against such edits:
//!
//! - **Detected:** a changed field of any entry ("entrée modifiée", with its
//!   sequence number); a deleted or inserted entry in the middle (sequence
//!   numbers or the link to the previous hash break); the last entries
//!   deleted (the database ends before the anchor: "fin du journal
//!   tronquée"); the whole table emptied or the database file replaced by a
//!   new one (same); a deleted, garbled or forged anchor (its HMAC needs the
//!   key). When the node itself opens a trail whose end was cut, it records
//!   that finding in the chain before rewriting the anchor, so a restart
//!   does not erase the evidence.
//! - **Not detected locally:** someone who holds the key can recompute every
//!   hash after an edit and sign a new anchor, or put back an older copy of
//!   both `audit.db` and `audit.anchor` (rollback). The chain is keyless by
//!   design, and the anchor's key is derived from the database key, so the
//!   node alone cannot tell such a rewrite from the real trail. The defence
//!   is a head kept elsewhere: every CSV and FHIR export carries the head of
//!   the chain (sequence number and hash), [`AuditTrail::head`] gives it to
//!   print, and a later trail whose entry at that sequence number has
//!   another hash, or that ends before it, was rewritten.
//! - **Lost on a crash:** entries queued with `append` and not yet committed
//!   (at most the last 20 ms of page reads, see `writer::GATHER`). Use `append_durable` for
//!   acts that must not be lost (logins, permission changes,
//!   break-the-glass).

#![deny(missing_docs)]

mod anchor;
mod chain;
mod db;
mod export;
mod query;
mod record;
mod rekey;
mod trail;
mod verify;
mod writer;

pub use anchor::ANCHOR_FILE;
pub use db::AUDIT_FILE;
pub use export::CSV_HEADER;
pub use query::{AuditEntry, AuditQuery};
pub use record::{AuditError, AuditOutcome, AuditRecord, AuditSink, MemorySink, actions};
pub use rekey::rekey_anchor;
pub use trail::{AuditTrail, ChainHead, QUEUE_CAPACITY};
pub use verify::{ChainProblem, VerifyReport, verify};
