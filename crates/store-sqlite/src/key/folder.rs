//! Operations on every database of a stopped node's data folder: key
//! rotation ([`rekey_folder`]) and the one-off encryption of a folder written
//! by a ckisa older than encryption at rest ([`encrypt_plaintext_folder`]).
//!
//! Both must run with the node stopped (the CLI holds `node.lock`): a running
//! node keeps connections open under the old key. Both are idempotent, so an
//! interrupted run is finished by running it again with the same keys.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::{DbKey, KeyError, is_plaintext, open_keyed};

/// The databases a node keeps in its data folder: the event store, the
/// accounts and the audit trail. Absent ones are skipped.
pub const DATABASE_FILES: [&str; 3] = [crate::DATABASE_FILE, "auth.db", "audit.db"];

/// Suffix of the temporary encrypted copy made by [`encrypt_plaintext_folder`].
const ENCRYPTING_SUFFIX: &str = ".chiffrement";

/// What [`rekey_folder_report`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RekeyReport {
    /// Databases moved from the old key to the new one by this run.
    pub rekeyed: Vec<PathBuf>,
    /// Databases found already under the new key (an earlier, interrupted
    /// run re-keyed them) and left as they were.
    pub already_new: Vec<PathBuf>,
}

/// Re-keys every database of `data_dir` ([`DATABASE_FILES`], those that
/// exist) from `old` to `new`, and returns the ones re-keyed by this call.
/// See [`rekey_folder_report`], which also lists the ones skipped.
pub fn rekey_folder(data_dir: &Path, old: &DbKey, new: &DbKey) -> Result<Vec<PathBuf>, KeyError> {
    Ok(rekey_folder_report(data_dir, old, new)?.rekeyed)
}

/// Re-keys every database of `data_dir` from `old` to `new`.
///
/// First every database is opened: with `old` (to be re-keyed), else with
/// `new` (already done by an interrupted earlier run: skipped). If one opens
/// with neither, nothing is changed and [`KeyError::NeitherKey`] names it.
/// Then each database in turn: its WAL is checkpointed and truncated (so no
/// page stays in the WAL under the old key), `PRAGMA rekey` rewrites every
/// page under the new key in one transaction, and the WAL is checkpointed
/// again so the main file holds the new pages.
///
/// Crash behaviour: each database moves atomically (SQLite transaction), but
/// the folder does not. If the machine stops between two databases, some are
/// under the new key and some under the old one; run the same rotation again
/// (same old and new keys) to finish it. If a database fails part way, the
/// error ([`KeyError::RekeyInterrupted`]) lists which databases are under
/// which key. Keep the old key until the rotation has succeeded.
///
/// The node must be stopped: a running node holds the databases open.
pub fn rekey_folder_report(
    data_dir: &Path,
    old: &DbKey,
    new: &DbKey,
) -> Result<RekeyReport, KeyError> {
    if old == new {
        return Err(KeyError::SameKey {
            fingerprint: old.fingerprint(),
        });
    }
    let mut report = RekeyReport::default();
    let mut pending = Vec::new();
    for path in existing_databases(data_dir) {
        match key_of(&path, old, new)? {
            Which::Old => pending.push(path),
            Which::New => report.already_new.push(path),
        }
    }

    for (index, path) in pending.iter().enumerate() {
        if let Err((source, moved)) = rekey_one(path, old, new) {
            let split = if moved { index + 1 } else { index };
            let mut under_new = report.already_new.clone();
            under_new.extend_from_slice(&report.rekeyed);
            under_new.extend_from_slice(&pending[index..split]);
            return Err(KeyError::RekeyInterrupted {
                failed: path.clone(),
                source: Box::new(source),
                under_new,
                under_old: pending[split..].to_vec(),
            });
        }
        tracing::info!(path = %path.display(), "database re-keyed");
        report.rekeyed.push(path.clone());
    }
    for path in &report.already_new {
        tracing::info!(path = %path.display(), "database already under the new key, skipped");
    }
    Ok(report)
}

/// Encrypts under `key` every plaintext database of `data_dir` (written by a
/// ckisa older than encryption at rest), and returns the ones encrypted.
///
/// Databases already encrypted must open with `key` (checked first; nothing
/// is changed otherwise) and are left as they are, so an interrupted run is
/// finished by running it again.
///
/// Each plaintext database is checkpointed (its WAL folded in and
/// truncated), exported with `sqlcipher_export` into a new encrypted file
/// next to it (`<name>.chiffrement`, schema version and WAL mode kept),
/// checked, synced, then renamed over the original after its stale `-wal` and
/// `-shm` are removed. A crash leaves each database either plaintext and
/// whole, or encrypted and whole.
///
/// The old plaintext blocks are freed by the file system, not wiped: on an
/// SSD or a journaling file system they may stay readable on the raw device
/// until overwritten. Use full-disk encryption where that matters.
///
/// The node must be stopped: a running node holds the databases open.
pub fn encrypt_plaintext_folder(data_dir: &Path, key: &DbKey) -> Result<Vec<PathBuf>, KeyError> {
    let mut plaintext = Vec::new();
    for path in existing_databases(data_dir) {
        if is_plaintext(&path) {
            plaintext.push(path);
        } else {
            drop(open_keyed(&path, key, OpenFlags::SQLITE_OPEN_READ_ONLY)?);
        }
    }
    for path in &plaintext {
        encrypt_one(path, key)?;
        tracing::info!(path = %path.display(), "database encrypted");
    }
    Ok(plaintext)
}

/// Syncs a directory so that a rename or a new file in it survives a crash.
pub(super) fn sync_directory(dir: &Path) -> Result<(), KeyError> {
    #[cfg(unix)]
    {
        let file_error = |source| KeyError::File {
            path: dir.to_owned(),
            source,
        };
        std::fs::File::open(dir)
            .map_err(file_error)?
            .sync_all()
            .map_err(file_error)?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Which key a database opens with.
enum Which {
    Old,
    New,
}

fn existing_databases(data_dir: &Path) -> Vec<PathBuf> {
    DATABASE_FILES
        .iter()
        .map(|name| data_dir.join(name))
        .filter(|path| path.is_file())
        .collect()
}

/// Tries the keys on read-only connections, which change no file. (A
/// rollback-mode database left with a hot journal by a crash cannot be read
/// this way: opening it once with its node rolls the journal back.)
fn key_of(path: &Path, old: &DbKey, new: &DbKey) -> Result<Which, KeyError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY;
    match open_keyed(path, old, flags) {
        Ok(_) => Ok(Which::Old),
        Err(KeyError::WrongKey { .. }) => match open_keyed(path, new, flags) {
            Ok(_) => Ok(Which::New),
            Err(KeyError::WrongKey { .. }) => Err(KeyError::NeitherKey {
                path: path.to_owned(),
                old: old.fingerprint(),
                new: new.fingerprint(),
            }),
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    }
}

/// Moves one database to the new key. On failure, also says whether the
/// database had already moved (the rekey committed, the final checkpoint
/// failed).
fn rekey_one(path: &Path, old: &DbKey, new: &DbKey) -> Result<(), (KeyError, bool)> {
    let conn = open_keyed(path, old, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(|e| (e, false))?;
    checkpoint(&conn, path).map_err(|e| (e, false))?;
    new.rekey(&conn, path).map_err(|e| (e, false))?;
    checkpoint(&conn, path).map_err(|e| (e, true))
}

/// Copies all WAL frames into the database file and empties the WAL.
/// Refuses to go on if another connection keeps the WAL in use.
fn checkpoint(conn: &Connection, path: &Path) -> Result<(), KeyError> {
    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
        .map_err(|source| KeyError::Sqlite {
            path: path.to_owned(),
            source,
        })?;
    if busy != 0 {
        return Err(KeyError::WalBusy {
            path: path.to_owned(),
        });
    }
    Ok(())
}

fn encrypt_one(path: &Path, key: &DbKey) -> Result<(), KeyError> {
    let temp = suffixed(path, ENCRYPTING_SUFFIX);
    for leftover in [&temp, &suffixed(&temp, "-journal")] {
        remove_if_present(leftover)?;
    }

    // Copy the checkpointed plaintext database into the encrypted file.
    let sqlite_error = |source| KeyError::Sqlite {
        path: path.to_owned(),
        source,
    };
    // CREATE lets the ATTACH below create the encrypted copy.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
    let conn = Connection::open_with_flags(path, flags).map_err(sqlite_error)?;
    checkpoint(&conn, path)?;
    let wal = export(&conn, &temp, key).map_err(sqlite_error)?;
    drop(conn);

    // Check the copy opens with the key, restore WAL mode, and sync it.
    finish_copy(&temp, key, wal)?;

    // Swap: the stale -wal and -shm of the plaintext file would otherwise be
    // read as frames of the encrypted one.
    for stale in [suffixed(path, "-wal"), suffixed(path, "-shm")] {
        remove_if_present(&stale)?;
    }
    std::fs::rename(&temp, path).map_err(|source| KeyError::File {
        path: path.to_owned(),
        source,
    })?;
    sync_directory(path.parent().unwrap_or(Path::new(".")))
}

/// Exports the open plaintext database into a new encrypted file at `temp`.
/// Returns whether the plaintext database was in WAL mode.
fn export(conn: &Connection, temp: &Path, key: &DbKey) -> rusqlite::Result<bool> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
    conn.execute(
        "ATTACH DATABASE ?1 AS encrypted KEY ?2",
        (temp.to_string_lossy(), key.pragma_literal().as_str()),
    )?;
    conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
    // sqlcipher_export copies schema and rows, not the schema version.
    conn.pragma_update(Some("encrypted"), "user_version", version)?;
    conn.execute_batch("DETACH DATABASE encrypted")?;
    Ok(mode.eq_ignore_ascii_case("wal"))
}

fn finish_copy(temp: &Path, key: &DbKey, wal: bool) -> Result<(), KeyError> {
    let conn = open_keyed(temp, key, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    let sqlite_error = |source| KeyError::Sqlite {
        path: temp.to_owned(),
        source,
    };
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .map_err(sqlite_error)?;
    if check != "ok" {
        return Err(sqlite_error(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(check),
        )));
    }
    if wal {
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .map_err(sqlite_error)?;
    }
    drop(conn);

    // The last connection closed has folded and deleted its WAL; a WAL left
    // behind would hold pages the rename below does not carry.
    let wal_file = suffixed(temp, "-wal");
    if wal_file.exists() {
        return Err(KeyError::WalBusy {
            path: temp.to_owned(),
        });
    }
    remove_if_present(&suffixed(temp, "-shm"))?;
    let file_error = |source| KeyError::File {
        path: temp.to_owned(),
        source,
    };
    std::fs::File::open(temp)
        .map_err(file_error)?
        .sync_all()
        .map_err(file_error)
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_present(path: &Path) -> Result<(), KeyError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(KeyError::File {
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATE: OpenFlags =
        OpenFlags::SQLITE_OPEN_READ_WRITE.union(OpenFlags::SQLITE_OPEN_CREATE);

    /// Creates a WAL-mode database with one distinctive row.
    fn make(path: &Path, key: Option<&DbKey>, text: &str) {
        let conn = match key {
            Some(key) => open_keyed(path, key, CREATE).unwrap(),
            None => Connection::open(path).unwrap(),
        };
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        conn.execute_batch("CREATE TABLE t(x TEXT); PRAGMA user_version = 7;")
            .unwrap();
        conn.execute("INSERT INTO t VALUES (?1)", [text]).unwrap();
    }

    fn read(path: &Path, key: &DbKey) -> Result<String, KeyError> {
        let conn = open_keyed(path, key, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        Ok(conn
            .query_row("SELECT x FROM t", [], |row| row.get(0))
            .unwrap())
    }

    fn three(dir: &Path, key: &DbKey) -> Vec<PathBuf> {
        let paths: Vec<PathBuf> = DATABASE_FILES.iter().map(|n| dir.join(n)).collect();
        for path in &paths {
            make(path, Some(key), &format!("contenu de {}", path.display()));
        }
        paths
    }

    fn contains(path: &Path, needle: &[u8]) -> bool {
        let bytes = std::fs::read(path).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn rekey_folder_moves_three_databases_and_back() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (DbKey::generate().unwrap(), DbKey::generate().unwrap());
        let paths = three(dir.path(), &a);

        assert_eq!(rekey_folder(dir.path(), &a, &b).unwrap(), paths);
        for path in &paths {
            assert!(matches!(read(path, &a), Err(KeyError::WrongKey { .. })));
            assert_eq!(
                read(path, &b).unwrap(),
                format!("contenu de {}", path.display())
            );
            assert!(
                !suffixed(path, "-wal").exists() || {
                    std::fs::metadata(suffixed(path, "-wal")).unwrap().len() == 0
                }
            );
        }

        assert_eq!(rekey_folder(dir.path(), &b, &a).unwrap(), paths);
        for path in &paths {
            assert_eq!(
                read(path, &a).unwrap(),
                format!("contenu de {}", path.display())
            );
        }
    }

    #[test]
    fn an_interrupted_rotation_is_finished_by_running_it_again() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (DbKey::generate().unwrap(), DbKey::generate().unwrap());
        let paths = three(dir.path(), &a);
        // The machine stopped after the first database moved.
        rekey_one(&paths[0], &a, &b).map_err(|(e, _)| e).unwrap();

        let report = rekey_folder_report(dir.path(), &a, &b).unwrap();
        assert_eq!(report.already_new, paths[..1]);
        assert_eq!(report.rekeyed, paths[1..]);
        for path in &paths {
            assert_eq!(
                read(path, &b).unwrap(),
                format!("contenu de {}", path.display())
            );
        }
        // Once finished, running it again changes nothing.
        let report = rekey_folder_report(dir.path(), &a, &b).unwrap();
        assert_eq!((report.rekeyed.len(), report.already_new.len()), (0, 3));
    }

    #[test]
    fn a_database_under_a_third_key_stops_the_rotation_before_any_change() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            DbKey::generate().unwrap(),
            DbKey::generate().unwrap(),
            DbKey::generate().unwrap(),
        );
        let paths = three(dir.path(), &a);
        std::fs::remove_file(&paths[2]).unwrap();
        make(&paths[2], Some(&c), "autre");
        let before: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();

        let error = rekey_folder(dir.path(), &a, &b).unwrap_err();
        assert!(
            matches!(&error, KeyError::NeitherKey { path, .. } if *path == paths[2]),
            "{error}"
        );
        assert!(error.to_string().contains("aucune base n'a été modifiée"));
        let after: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
        assert_eq!(before, after);
        assert!(read(&paths[0], &a).is_ok());
    }

    #[test]
    fn a_rotation_to_the_same_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = DbKey::generate().unwrap();
        assert!(matches!(
            rekey_folder(dir.path(), &a, &a.clone()),
            Err(KeyError::SameKey { .. })
        ));
    }

    #[test]
    fn the_interrupted_error_lists_files_by_key() {
        let error = KeyError::RekeyInterrupted {
            failed: PathBuf::from("/d/auth.db"),
            source: Box::new(KeyError::WalBusy {
                path: PathBuf::from("/d/auth.db"),
            }),
            under_new: vec![PathBuf::from("/d/ckisa.db")],
            under_old: vec![PathBuf::from("/d/auth.db"), PathBuf::from("/d/audit.db")],
        };
        let text = error.to_string();
        assert!(
            text.contains("déjà sous la nouvelle clé : /d/ckisa.db")
                && text.contains("encore sous l'ancienne clé : /d/auth.db, /d/audit.db"),
            "{text}"
        );
    }

    #[test]
    fn a_plaintext_folder_is_encrypted_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let key = DbKey::generate().unwrap();
        let plain = dir.path().join("auth.db");
        make(&plain, None, "Martin Jeanne");
        assert!(
            contains(&plain, b"Martin Jeanne")
                || contains(&suffixed(&plain, "-wal"), b"Martin Jeanne")
        );
        // An already encrypted database under the same key is left alone.
        let encrypted = dir.path().join("audit.db");
        make(&encrypted, Some(&key), "déjà chiffrée");
        let untouched = std::fs::read(&encrypted).unwrap();

        assert!(matches!(
            read(&plain, &key),
            Err(KeyError::Plaintext { .. })
        ));
        assert_eq!(
            encrypt_plaintext_folder(dir.path(), &key).unwrap(),
            std::slice::from_ref(&plain)
        );

        assert_eq!(read(&plain, &key).unwrap(), "Martin Jeanne");
        assert!(!is_plaintext(&plain));
        for file in [
            plain.clone(),
            suffixed(&plain, "-wal"),
            suffixed(&plain, ENCRYPTING_SUFFIX),
        ] {
            assert!(!contains(&file, b"Martin Jeanne"), "{}", file.display());
        }
        let conn = open_keyed(&plain, &key, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!((version, mode.as_str()), (7, "wal"));
        assert_eq!(std::fs::read(&encrypted).unwrap(), untouched);

        // Running it again finds nothing left to do.
        assert!(
            encrypt_plaintext_folder(dir.path(), &key)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn encryption_refuses_a_folder_holding_a_database_under_another_key() {
        let dir = tempfile::tempdir().unwrap();
        let (key, other) = (DbKey::generate().unwrap(), DbKey::generate().unwrap());
        let plain = dir.path().join("ckisa.db");
        make(&plain, None, "Martin Jeanne");
        make(&dir.path().join("audit.db"), Some(&other), "x");

        let error = encrypt_plaintext_folder(dir.path(), &key).unwrap_err();
        assert!(matches!(error, KeyError::WrongKey { .. }), "{error}");
        assert!(is_plaintext(&plain), "nothing changed");
    }
}
