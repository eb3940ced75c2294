//! Moving the anchor to a new database key ([`rekey_anchor`]), for
//! `ckisa rekey`.
//!
//! The anchor's HMAC key is derived from the database key, so after the
//! folder's databases are re-encrypted under a new key the old anchor no
//! longer verifies: the next [`AuditTrail::open`](crate::AuditTrail::open)
//! would record an `audit.anomaly` and `verify` would report it for ever.
//! [`rekey_anchor`] re-signs the anchor under the new key, but only an
//! anchor that verifies under the old one: a forged or missing anchor is
//! evidence, and is left as it is with an error that says so.

use std::path::Path;

use ckisa_store_sqlite::key::DbKey;
use rusqlite::Connection;

use crate::anchor::{self, ANCHOR_FILE, AnchorKey, AnchorRead};
use crate::db;
use crate::record::AuditError;

/// Re-signs the trail's anchor in `data_dir`, valid under `old`, under
/// `new`, atomically (temporary file, fsync, rename, fsync of the folder).
///
/// Call it with the node stopped, after (or before) re-keying the databases
/// with `ckisa_store_sqlite::key::rekey_folder_report`. Idempotent: an
/// anchor already valid under `new` (an earlier, interrupted run) is left
/// as it is. The anchor's content (sequence number and hash) is kept, so a
/// trail cut before the rotation is still reported by `verify` after it.
///
/// - An anchor valid under neither key (forged, garbled, signed with a third
///   key): [`AuditError::AnchorInvalid`], nothing written.
/// - No anchor while the trail holds entries: [`AuditError::AnchorMissing`],
///   nothing written.
/// - No anchor and no trail, or an empty one: `Ok`, nothing written (the
///   trail behaves at its next opening exactly as it would have without the
///   rotation).
pub fn rekey_anchor(data_dir: &Path, old: &DbKey, new: &DbKey) -> Result<(), AuditError> {
    let path = data_dir.join(ANCHOR_FILE);
    let old_key = AnchorKey::derive(old);
    let new_key = AnchorKey::derive(new);
    match anchor::read(data_dir, &old_key)? {
        AnchorRead::Valid(anchored) => {
            anchor::write(data_dir, &new_key, &anchored)?;
            tracing::info!(
                seq = anchored.seq,
                "audit anchor re-signed under the new key"
            );
            Ok(())
        }
        AnchorRead::Forged(reason) => match anchor::read(data_dir, &new_key)? {
            AnchorRead::Valid(_) => Ok(()),
            AnchorRead::Missing | AnchorRead::Forged(_) => Err(AuditError::AnchorInvalid {
                path: path.display().to_string(),
                reason: format!("{reason}, avec l'ancienne clé comme avec la nouvelle"),
            }),
        },
        AnchorRead::Missing => match entries(data_dir, old, new)? {
            0 => Ok(()),
            entries => Err(AuditError::AnchorMissing {
                path: path.display().to_string(),
                entries,
            }),
        },
    }
}

/// How many entries the trail in `data_dir` holds, opened with whichever of
/// `new` and `old` its database is under (0 when there is no database).
fn entries(data_dir: &Path, old: &DbKey, new: &DbKey) -> Result<u64, AuditError> {
    let conn = match db::open_reader(data_dir, new) {
        Ok(conn) => conn,
        Err(AuditError::NotFound { .. }) => return Ok(0),
        Err(AuditError::Key(_)) => db::open_reader(data_dir, old)?,
        Err(error) => return Err(error),
    };
    count(&conn)
}

/// The number of entries of an open trail database.
fn count(conn: &Connection) -> Result<u64, AuditError> {
    let count: i64 = conn.query_row("SELECT count(*) FROM audit_entry", [], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}
