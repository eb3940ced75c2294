//! The accounts database, `<data_dir>/auth.db`: SQLCipher-encrypted with the
//! node key, WAL, `synchronous=FULL` (an acknowledged account change or
//! session survives a power cut), schema versioned with `PRAGMA
//! user_version`.
//!
//! Secrets are stored only as Argon2id PHC strings (passwords, PINs) or
//! SHA-256 digests (session tokens, API tokens). CSRF tokens are stored as
//! they are: they are worthless without the session token.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension as _, Row, params};

use ckisa_store_sqlite::key::{DbKey, open_keyed};

use crate::{Account, AuthError, Role, Scope};

/// Version 1 of the schema.
const SCHEMA_V1: &str = "
CREATE TABLE accounts (
    login           TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL,
    scope           TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    pin_hash        TEXT,
    disabled        INTEGER NOT NULL DEFAULT 0,
    must_change     INTEGER NOT NULL DEFAULT 0,
    created_ms      INTEGER NOT NULL,
    last_login_ms   INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0,
    locked_until_ms INTEGER
) STRICT;

CREATE TABLE sessions (
    token_hash   BLOB PRIMARY KEY,
    id           TEXT NOT NULL,
    login        TEXT NOT NULL REFERENCES accounts(login),
    csrf         TEXT NOT NULL,
    source       TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    locked       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX sessions_login ON sessions(login);

CREATE TABLE grants (
    seq      INTEGER PRIMARY KEY,
    login    TEXT NOT NULL,
    patient  TEXT NOT NULL,
    reason   TEXT NOT NULL,
    from_ms  INTEGER NOT NULL,
    until_ms INTEGER NOT NULL,
    source   TEXT NOT NULL
) STRICT;
CREATE INDEX grants_from ON grants(from_ms);

CREATE TABLE tokens (
    name        TEXT PRIMARY KEY,
    secret_hash BLOB NOT NULL,
    scopes      TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    revoked_ms  INTEGER
) STRICT;
";

/// The migrations, in order; version N is `MIGRATIONS[N - 1]`. Append-only.
const MIGRATIONS: &[&str] = &[SCHEMA_V1];

/// The columns [`account_from_row`] reads, in order.
pub(crate) const ACCOUNT_COLUMNS: &str = "login, display_name, role, scope, disabled, \
     must_change, pin_hash IS NOT NULL, created_ms, last_login_ms, locked_until_ms";

/// What a login or unlock needs to know about an account.
pub(crate) struct Credentials {
    /// The account's role, for the audit.
    pub(crate) role: Role,
    /// Argon2id PHC string of the password.
    pub(crate) password_hash: String,
    /// Argon2id PHC string of the PIN, if set.
    pub(crate) pin_hash: Option<String>,
    /// Whether logging in is refused.
    pub(crate) disabled: bool,
    /// End of the lock-out, if any.
    pub(crate) locked_until_ms: Option<i64>,
}

impl Credentials {
    /// The lock-out end, if the account is locked at `now_ms`.
    pub(crate) fn locked_at(&self, now_ms: i64) -> Option<i64> {
        self.locked_until_ms.filter(|until| *until > now_ms)
    }
}

/// Opens (creating if needed) and migrates `auth.db` in `data_dir`.
pub(crate) fn open(data_dir: &Path, key: &DbKey) -> Result<Connection, AuthError> {
    let io_error = |source| AuthError::Io {
        path: data_dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(io_error)?;
    let path = data_dir.join("auth.db");
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = open_keyed(&path, key, flags)?;
    // Before WAL mode: SQLite gives the `-wal` and `-shm` files it creates
    // the database file's mode.
    restrict_permissions(&path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;",
    )?;
    migrate(&conn)?;
    restrict_permissions(&path)?;
    Ok(conn)
}

/// Brings the schema to the latest version, each migration in its own
/// transaction with its version bump; refuses a newer database.
fn migrate(conn: &Connection) -> Result<(), AuthError> {
    let known = MIGRATIONS.len();
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let start = usize::try_from(found)
        .ok()
        .filter(|found| *found <= known)
        .ok_or(AuthError::SchemaVersion {
            found,
            known: u32::try_from(known).unwrap_or(u32::MAX),
        })?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(start) {
        let version = index + 1;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {version}; COMMIT;"
        ))
        .inspect_err(|_| {
            // Nothing to do if no transaction is open any more.
            let _ = conn.execute_batch("ROLLBACK");
        })?;
        tracing::info!(version, "accounts schema migrated");
    }
    Ok(())
}

/// Makes the database and its `-wal` and `-shm` files (those present)
/// readable by the node's user only.
fn restrict_permissions(path: &Path) -> Result<(), AuthError> {
    ckisa_store_sqlite::files::restrict_to_owner(path)
        .map_err(|(path, source)| AuthError::Io { path, source })
}

/// `PRAGMA data_version` of this connection: it changes when another
/// connection (another process, such as the CLI) committed a change to the
/// database, never for this connection's own commits.
pub(crate) fn data_version(conn: &Connection) -> Result<i64, AuthError> {
    let mut statement = conn.prepare_cached("PRAGMA data_version")?;
    Ok(statement.query_row([], |row| row.get(0))?)
}

/// The token hashes of every session row.
pub(crate) fn session_hashes(conn: &Connection) -> Result<HashSet<[u8; 32]>, AuthError> {
    let mut statement = conn.prepare("SELECT token_hash FROM sessions")?;
    let mut rows = statement.query([])?;
    let mut hashes = HashSet::new();
    while let Some(row) = rows.next()? {
        let hash: Vec<u8> = row.get(0)?;
        if let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) {
            hashes.insert(hash);
        }
    }
    Ok(hashes)
}

/// Reads an account from a row of [`ACCOUNT_COLUMNS`]. A role code no
/// longer known reads as [`Role::ExerciseObserver`], the role that sees no
/// patient data.
pub(crate) fn account_from_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    let role: String = row.get(2)?;
    let scope: String = row.get(3)?;
    Ok(Account {
        login: row.get(0)?,
        display_name: row.get(1)?,
        role: Role::from_code(&role).unwrap_or(Role::ExerciseObserver),
        scope: Scope::parse(&scope),
        disabled: row.get(4)?,
        must_change: row.get(5)?,
        has_pin: row.get(6)?,
        created_ms: row.get(7)?,
        last_login_ms: row.get(8)?,
        locked_until_ms: row.get(9)?,
    })
}

/// Every account, by login.
pub(crate) fn accounts(conn: &Connection) -> Result<Vec<Account>, AuthError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY login");
    let mut statement = conn.prepare(&sql)?;
    let rows = statement.query_map([], account_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The account with this login.
pub(crate) fn account(conn: &Connection, login: &str) -> Result<Option<Account>, AuthError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE login = ?1");
    Ok(conn.query_row(&sql, [login], account_from_row).optional()?)
}

/// What a login or unlock needs about the account with this login.
pub(crate) fn credentials(
    conn: &Connection,
    login: &str,
) -> Result<Option<Credentials>, AuthError> {
    let sql = "SELECT role, password_hash, pin_hash, disabled, locked_until_ms \
               FROM accounts WHERE login = ?1";
    let found = conn
        .query_row(sql, [login], |row| {
            let role: String = row.get(0)?;
            Ok(Credentials {
                role: Role::from_code(&role).unwrap_or(Role::ExerciseObserver),
                password_hash: row.get(1)?,
                pin_hash: row.get(2)?,
                disabled: row.get(3)?,
                locked_until_ms: row.get(4)?,
            })
        })
        .optional()?;
    Ok(found)
}

/// Counts one more consecutive failure for `login`. Returns the failure
/// count, and the lock-out end when this failure reached `limit` (the count
/// then restarts at zero).
pub(crate) fn record_failure(
    conn: &Connection,
    login: &str,
    now_ms: i64,
    limit: u32,
    lock_ms: i64,
) -> Result<(u32, Option<i64>), AuthError> {
    let failures: Option<u32> = conn
        .query_row(
            "UPDATE accounts SET failures = failures + 1 WHERE login = ?1 RETURNING failures",
            [login],
            |row| row.get(0),
        )
        .optional()?;
    let failures = failures.unwrap_or(0);
    if failures < limit.max(1) {
        return Ok((failures, None));
    }
    let until = now_ms.saturating_add(lock_ms);
    conn.execute(
        "UPDATE accounts SET failures = 0, locked_until_ms = ?2 WHERE login = ?1",
        params![login, until],
    )?;
    Ok((failures, Some(until)))
}

/// Deletes the sessions of `login` (except `keep`, a token hash); returns
/// how many.
pub(crate) fn delete_sessions(
    conn: &Connection,
    login: &str,
    keep: Option<&[u8; 32]>,
) -> Result<usize, AuthError> {
    let keep: &[u8] = keep.map_or(&[], |hash| hash.as_slice());
    Ok(conn.execute(
        "DELETE FROM sessions WHERE login = ?1 AND token_hash <> ?2",
        params![login, keep],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_is_created_once_and_a_newer_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = DbKey::generate().unwrap();
        let conn = open(dir.path(), &key).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "FULL");
        conn.execute_batch("PRAGMA user_version = 9").unwrap();
        drop(conn);
        // Reopening a current database works; a newer one is refused.
        let error = open(dir.path(), &key).unwrap_err();
        assert!(
            matches!(error, AuthError::SchemaVersion { found: 9, known: 1 }),
            "{error}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_database_is_private_to_the_node_user() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let _conn = open(dir.path(), &DbKey::generate().unwrap()).unwrap();
        for name in ["auth.db", "auth.db-wal", "auth.db-shm"] {
            let mode = std::fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }

    #[test]
    fn data_version_changes_only_for_commits_of_other_connections() {
        let dir = tempfile::tempdir().unwrap();
        let key = DbKey::generate().unwrap();
        let node = open(dir.path(), &key).unwrap();
        let cli = open(dir.path(), &key).unwrap();
        let start = data_version(&node).unwrap();
        assert_eq!(data_version(&node).unwrap(), start, "stable when idle");

        // The node's own commit does not move it.
        node.execute(
            "INSERT INTO accounts (login, display_name, role, scope, password_hash, created_ms) \
             VALUES ('a', 'A', 'infirmier', '', 'x', 0)",
            [],
        )
        .unwrap();
        assert_eq!(data_version(&node).unwrap(), start);

        // Another connection's commit does, once.
        cli.execute("UPDATE accounts SET disabled = 1 WHERE login = 'a'", [])
            .unwrap();
        let after = data_version(&node).unwrap();
        assert_ne!(after, start);
        assert_eq!(data_version(&node).unwrap(), after);

        // A rolled-back write of the other connection does not.
        cli.execute_batch("BEGIN IMMEDIATE; DELETE FROM accounts; ROLLBACK;")
            .unwrap();
        assert_eq!(data_version(&node).unwrap(), after);
    }

    #[test]
    fn failures_lock_at_the_limit_then_restart() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(dir.path(), &DbKey::generate().unwrap()).unwrap();
        conn.execute(
            "INSERT INTO accounts (login, display_name, role, scope, password_hash, created_ms) \
             VALUES ('a', 'A', 'infirmier', '', 'x', 0)",
            [],
        )
        .unwrap();
        assert_eq!(record_failure(&conn, "a", 100, 3, 50).unwrap(), (1, None));
        assert_eq!(record_failure(&conn, "a", 100, 3, 50).unwrap(), (2, None));
        assert_eq!(
            record_failure(&conn, "a", 100, 3, 50).unwrap(),
            (3, Some(150))
        );
        assert_eq!(record_failure(&conn, "a", 200, 3, 50).unwrap(), (1, None));
        let credentials = credentials(&conn, "a").unwrap().unwrap();
        assert_eq!(credentials.locked_at(149), Some(150));
        assert_eq!(credentials.locked_at(150), None);
        assert_eq!(
            record_failure(&conn, "nobody", 0, 3, 50).unwrap(),
            (0, None)
        );
    }
}
