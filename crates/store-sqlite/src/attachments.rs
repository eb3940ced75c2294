//! Message attachments: files kept once under the SHA-256 of their bytes, in
//! the `attachments` table (migration 0004).
//!
//! The hash is checked on the caller's thread, before the job reaches the
//! single writer, like the encoding of events. Removal overwrites the
//! content (see [`secure_delete`]) because it serves the retention policy:
//! an attachment past its time must not stay readable in free pages.

use ckisa_store::StoreError;
use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use crate::error::database;

/// Longest part of a wrong hash repeated in the error message.
const SHOWN_HASH_CHARS: usize = 80;

/// An attachment whose hash matches its bytes, ready for the writer.
#[derive(Debug)]
pub(crate) struct VerifiedAttachment {
    sha256: String,
    mime: String,
    bytes: Vec<u8>,
    stored_ms: i64,
}

impl VerifiedAttachment {
    /// Checks that `sha256` is the lowercase hexadecimal SHA-256 of `bytes`.
    pub(crate) fn new(
        sha256: &str,
        mime: &str,
        bytes: &[u8],
        now_ms: i64,
    ) -> Result<VerifiedAttachment, StoreError> {
        let computed = crate::hex::encode(&Sha256::digest(bytes));
        if sha256 != computed {
            return Err(StoreError::AttachmentHashMismatch {
                declared: sha256.chars().take(SHOWN_HASH_CHARS).collect(),
                computed,
            });
        }
        Ok(VerifiedAttachment {
            sha256: computed,
            mime: mime.to_owned(),
            bytes: bytes.to_vec(),
            stored_ms: now_ms,
        })
    }
}

/// Stores an attachment unless the same content is already there.
pub(crate) fn insert(conn: &Connection, attachment: &VerifiedAttachment) -> Result<(), StoreError> {
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO attachments (sha256, mime, stored_ms, bytes) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .map_err(database)?;
    insert
        .execute(params![
            attachment.sha256,
            attachment.mime,
            attachment.stored_ms,
            attachment.bytes
        ])
        .map_err(database)?;
    Ok(())
}

/// Removes the attachments under these hashes; returns how many there were.
pub(crate) fn delete(conn: &Connection, sha256s: &[String]) -> Result<usize, StoreError> {
    secure_delete(conn, || {
        let mut delete = conn
            .prepare_cached("DELETE FROM attachments WHERE sha256 = ?1")
            .map_err(database)?;
        let mut removed = 0;
        for sha256 in sha256s {
            removed += delete.execute([sha256]).map_err(database)?;
        }
        Ok(removed)
    })
}

/// Runs `change` with SQLite's secure delete on: content that `change`
/// deletes or overwrites is zeroed in the database pages (overflow pages
/// included), so that it is gone from the file once the WAL is
/// checkpointed. The connection's previous setting is put back afterwards.
pub(crate) fn secure_delete<T>(
    conn: &Connection,
    change: impl FnOnce() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let previous: i64 = conn
        .query_row("PRAGMA secure_delete", [], |row| row.get(0))
        .map_err(database)?;
    set_secure_delete(conn, 1)?;
    let result = change();
    let restored = set_secure_delete(conn, previous);
    result.and_then(|value| restored.map(|()| value))
}

/// Sets `PRAGMA secure_delete` (0 off, 1 on, 2 fast), which answers a row.
fn set_secure_delete(conn: &Connection, mode: i64) -> Result<(), StoreError> {
    conn.query_row(&format!("PRAGMA secure_delete = {mode}"), [], |_| Ok(()))
        .map_err(database)
}
