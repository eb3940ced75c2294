//! The trail's SQLCipher database: file name, schema, connections.
//!
//! One table, `audit_entry`, keyed by the chain's sequence number, with the
//! record's fields as columns, the previous entry's hash and the entry's
//! hash. Indexes serve the searches by patient, by actor and by time. The
//! database is encrypted with the node's key like every other database of
//! the node, in WAL mode with `synchronous = FULL` (a commit returns after
//! fsync).

use std::path::Path;
use std::time::Duration;

use ckisa_store_sqlite::key::{DbKey, open_keyed};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params};

use crate::anchor::Anchor;
use crate::chain::{GENESIS, HASH_BYTES, Hash};
use crate::record::AuditError;

/// The trail's database file name in the data folder.
pub const AUDIT_FILE: &str = "audit.db";

/// How long the writer waits for a write lock held by someone else.
const WRITER_BUSY_TIMEOUT: Duration = Duration::from_millis(500);

/// Version of the schema below, kept in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE audit_entry (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    role TEXT,
    source TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    patient TEXT,
    target TEXT,
    detail TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX audit_by_patient ON audit_entry(patient, seq) WHERE patient IS NOT NULL;
CREATE INDEX audit_by_actor ON audit_entry(actor, seq);
CREATE INDEX audit_by_time ON audit_entry(at_ms);
";

/// The columns of an entry, in the order every query reads them.
pub(crate) const ENTRY_COLUMNS: &str =
    "seq, at_ms, actor, role, source, action, outcome, patient, target, detail, prev_hash, hash";

/// Opens (creating if needed) the trail's database for writing. Returns the
/// connection and whether the database was new.
pub(crate) fn open_writer(data_dir: &Path, key: &DbKey) -> Result<(Connection, bool), AuditError> {
    let path = data_dir.join(AUDIT_FILE);
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
    let conn = open_keyed(&path, key, flags)?;
    // Before WAL mode: SQLite gives the `-wal` and `-shm` files it creates
    // the database file's mode.
    restrict_permissions(&path)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(AuditError::JournalMode(mode));
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;")?;
    // The writer thread is the trail's only writer: the lock can only be held
    // by another program (an SQL shell). Fail fast; the writer retries.
    conn.busy_timeout(WRITER_BUSY_TIMEOUT)?;
    let created = migrate(&conn)?;
    // Side files made by an older ckisa (or before the first chmod) too.
    restrict_permissions(&path)?;
    Ok((conn, created))
}

/// Makes the database and its `-wal` and `-shm` files (those present)
/// readable by the node's user only.
fn restrict_permissions(path: &Path) -> Result<(), AuditError> {
    ckisa_store_sqlite::files::restrict_to_owner(path).map_err(|(file, source)| AuditError::Io {
        path: file.display().to_string(),
        source,
    })
}

/// Opens the trail's database for reading only.
pub(crate) fn open_reader(data_dir: &Path, key: &DbKey) -> Result<Connection, AuditError> {
    let path = data_dir.join(AUDIT_FILE);
    if !path.exists() {
        return Err(AuditError::NotFound {
            path: path.display().to_string(),
        });
    }
    let conn = open_keyed(&path, key, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    Ok(conn)
}

/// The last entry's sequence number and hash (seq 0 and the genesis hash
/// for an empty trail). A stored hash that is not 32 bytes (a tampered row,
/// which `verify` reports) reads as zeros, so that the trail can go on.
pub(crate) fn head(conn: &Connection) -> Result<Anchor, AuditError> {
    let last = conn
        .query_row(
            "SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1",
            [],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)),
        )
        .optional()?;
    let Some((seq, hash)) = last else {
        return Ok(Anchor {
            seq: 0,
            hash: GENESIS,
        });
    };
    let seq = u64::try_from(seq).map_err(|_| AuditError::Malformed { seq: 0 })?;
    let hash = Hash::try_from(hash.as_slice()).unwrap_or_else(|_| {
        tracing::error!(seq, "the last audit entry has a malformed hash");
        [0; HASH_BYTES]
    });
    Ok(Anchor { seq, hash })
}

/// The stored hash of the entry `seq`, if there is such an entry.
pub(crate) fn hash_at(conn: &Connection, seq: u64) -> Result<Option<Vec<u8>>, AuditError> {
    let Ok(seq) = i64::try_from(seq) else {
        return Ok(None);
    };
    Ok(conn
        .query_row(
            "SELECT hash FROM audit_entry WHERE seq = ?1",
            params![seq],
            |row| row.get(0),
        )
        .optional()?)
}

/// Creates the schema of a new database; returns whether it was new.
fn migrate(conn: &Connection) -> Result<bool, AuditError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    match version {
        0 => {
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))?;
            Ok(true)
        }
        SCHEMA_VERSION => Ok(false),
        other => Err(AuditError::SchemaVersion {
            found: other,
            supported: SCHEMA_VERSION,
        }),
    }
}
