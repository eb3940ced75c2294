//! The hash chain: the canonical encoding of an entry and its SHA-256.
//!
//! Entry `n` stores `prev_hash` (the hash of entry `n - 1`, or 32 zero bytes
//! for the first entry) and `hash = SHA-256(prev_hash || encoding(n, record))`.
//! The encoding is unambiguous: every field has a fixed place, integers are
//! fixed-width big-endian, every text is length-prefixed, and an absent
//! optional field is a different tag from an empty one. So no two distinct
//! entries share an encoding (`actor = "ab", source = "c"` and
//! `actor = "a", source = "bc"` differ), and changing any field, or the
//! sequence number, changes the hash.
//!
//! The encoding works on the text stored in the database (the outcome as its
//! code), so [`crate::verify`] can hash a row whose outcome was tampered into
//! an unknown code.

use sha2::{Digest, Sha256};

use crate::record::AuditRecord;

/// Length of a hash, in bytes.
pub(crate) const HASH_BYTES: usize = 32;

/// A SHA-256 hash of the chain.
pub(crate) type Hash = [u8; HASH_BYTES];

/// The `prev_hash` of the first entry.
pub(crate) const GENESIS: Hash = [0; HASH_BYTES];

/// Version tag hashed before every entry, so a future encoding cannot
/// collide with this one.
const ENCODING_TAG: &[u8] = b"ckisa-audit-entry-v1";

/// The fields of one entry as stored, borrowed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryFields<'a> {
    pub(crate) seq: u64,
    pub(crate) at_ms: i64,
    pub(crate) actor: &'a str,
    pub(crate) role: Option<&'a str>,
    pub(crate) source: &'a str,
    pub(crate) action: &'a str,
    pub(crate) outcome: &'a str,
    pub(crate) patient: Option<&'a str>,
    pub(crate) target: Option<&'a str>,
    pub(crate) detail: &'a str,
}

impl<'a> EntryFields<'a> {
    /// The fields of `record` at position `seq`.
    pub(crate) fn of(seq: u64, record: &'a AuditRecord) -> EntryFields<'a> {
        EntryFields {
            seq,
            at_ms: record.at_ms,
            actor: &record.actor,
            role: record.role.as_deref(),
            source: &record.source,
            action: &record.action,
            outcome: record.outcome.code(),
            patient: record.patient.as_deref(),
            target: record.target.as_deref(),
            detail: &record.detail,
        }
    }
}

/// The hash of the entry with `fields` following the entry hashed `prev`.
pub(crate) fn entry_hash(prev: &Hash, fields: &EntryFields<'_>) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    put_text(&mut hasher, ENCODING_TAG);
    hasher.update(fields.seq.to_be_bytes());
    hasher.update(fields.at_ms.to_be_bytes());
    put_text(&mut hasher, fields.actor.as_bytes());
    put_optional(&mut hasher, fields.role);
    put_text(&mut hasher, fields.source.as_bytes());
    put_text(&mut hasher, fields.action.as_bytes());
    put_text(&mut hasher, fields.outcome.as_bytes());
    put_optional(&mut hasher, fields.patient);
    put_optional(&mut hasher, fields.target);
    put_text(&mut hasher, fields.detail.as_bytes());
    hasher.finalize().into()
}

pub(crate) use ckisa_store_sqlite::hex::{decode as parse_hex, encode as hex};

/// A text field: its length as 8 bytes big-endian, then its bytes.
fn put_text(hasher: &mut Sha256, bytes: &[u8]) {
    let length = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    hasher.update(length.to_be_bytes());
    hasher.update(bytes);
}

/// An optional text field: tag 0 when absent, tag 1 then the text.
fn put_optional(hasher: &mut Sha256, text: Option<&str>) {
    match text {
        None => hasher.update([0u8]),
        Some(text) => {
            hasher.update([1u8]);
            put_text(hasher, text.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::AuditOutcome;

    fn record() -> AuditRecord {
        AuditRecord {
            at_ms: 1_700_000_000_000,
            actor: "ab".into(),
            role: None,
            source: "c".into(),
            action: "patient.chart".into(),
            outcome: AuditOutcome::Allowed,
            patient: Some("ipp:CHU|123".into()),
            target: None,
            detail: String::new(),
        }
    }

    #[test]
    fn moving_bytes_between_fields_changes_the_hash() {
        let first = record();
        let mut second = record();
        second.actor = "a".into();
        second.source = "bc".into();
        assert_ne!(
            entry_hash(&GENESIS, &EntryFields::of(1, &first)),
            entry_hash(&GENESIS, &EntryFields::of(1, &second))
        );
    }

    #[test]
    fn an_absent_field_differs_from_an_empty_one() {
        let absent = record();
        let mut empty = record();
        empty.role = Some(String::new());
        assert_ne!(
            entry_hash(&GENESIS, &EntryFields::of(1, &absent)),
            entry_hash(&GENESIS, &EntryFields::of(1, &empty))
        );
    }

    #[test]
    fn sequence_and_previous_hash_are_hashed() {
        let record = record();
        let base = entry_hash(&GENESIS, &EntryFields::of(1, &record));
        assert_eq!(base, entry_hash(&GENESIS, &EntryFields::of(1, &record)));
        assert_ne!(base, entry_hash(&GENESIS, &EntryFields::of(2, &record)));
        assert_ne!(
            base,
            entry_hash(&[1; HASH_BYTES], &EntryFields::of(1, &record))
        );
    }
}
