//! Encryption at rest of the store: no patient data in clear in the database
//! or its WAL, wrong keys refused without damage, migration of a plaintext
//! folder, rotation, and no SQLCipher noise on stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ckisa_store::{Store, StoreError};
use ckisa_store_sqlite::key::{DbKey, KeyError, encrypt_plaintext_folder, rekey_folder};
use ckisa_store_sqlite::{DATABASE_FILE, SqliteOptions, SqliteStore};

use super::{key_for, open, options};
use crate::stories::{commit_one, message, patient, person};

/// A family name no other test uses, searched for as raw bytes.
const FAMILY: &str = "Quasimodorinette";

fn commit_patient(store: &dyn Store, id: &str) {
    let key = patient(id);
    commit_one(store, message(id, vec![person(&key, FAMILY, "Esmeralda")]));
}

fn has_patient(store: &dyn Store, id: &str) -> bool {
    let chart = store.patient_chart(&patient(id)).unwrap();
    chart.is_some_and(|c| c.identity.family.as_deref() == Some(FAMILY))
}

/// The database, WAL and WAL-index files of the folder.
fn database_files(dir: &Path) -> [PathBuf; 3] {
    let db = dir.join(DATABASE_FILE);
    let suffixed = |suffix: &str| PathBuf::from(format!("{}{suffix}", db.display()));
    [db.clone(), suffixed("-wal"), suffixed("-shm")]
}

/// The files of `dir` (holding the family name in clear).
fn files_with_clear_text(dir: &Path) -> Vec<PathBuf> {
    database_files(dir)
        .into_iter()
        .filter(|path| {
            let bytes = std::fs::read(path).unwrap_or_default();
            bytes.windows(FAMILY.len()).any(|w| w == FAMILY.as_bytes())
        })
        .collect()
}

fn wal_length(dir: &Path) -> u64 {
    let [_, wal, _] = database_files(dir);
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

/// The bytes of the database and its WAL. The `-shm` WAL index is left
/// out: any reader updates its read marks, and it holds no row data.
fn database_and_wal(dir: &Path) -> [Vec<u8>; 2] {
    let [db, wal, _] = database_files(dir);
    [db, wal].map(|path| std::fs::read(path).unwrap_or_default())
}

fn key_error(error: &StoreError) -> &KeyError {
    KeyError::from_store_error(error).unwrap_or_else(|| panic!("not a key error: {error:?}"))
}

/// Commits with the store open (the events sit in the WAL, not yet
/// checkpointed) and returns the files holding the name in clear.
fn clear_text_while_open(options: SqliteOptions) -> Vec<PathBuf> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), options).unwrap();
    for n in 0..20 {
        commit_patient(&store, &format!("WAL-{n}"));
    }
    assert!(has_patient(&store, "WAL-7"));
    assert!(wal_length(dir.path()) > 0, "the events are in the WAL");
    let found = files_with_clear_text(dir.path());
    drop(store);
    found
}

#[test]
fn the_database_and_its_wal_hold_no_clear_text() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        clear_text_while_open(options(dir.path())),
        Vec::<PathBuf>::new()
    );
}

#[test]
fn without_a_key_the_wal_does_hold_clear_text() {
    // The control of the test above: the same check finds the name when the
    // store is not encrypted, so the check itself works.
    let found = clear_text_while_open(SqliteOptions::new("Europe/Paris"));
    assert!(
        found.iter().any(|p| p.to_string_lossy().ends_with("-wal")),
        "{found:?}"
    );
}

#[test]
fn a_wrong_key_is_refused_clearly_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    commit_patient(&store, "KEY-1");
    drop(store);
    let before = database_and_wal(dir.path());

    let wrong = DbKey::generate().unwrap();
    let wrong_options = SqliteOptions::new("Europe/Paris").with_key(wrong.clone());
    let error = SqliteStore::open(dir.path(), wrong_options).unwrap_err();
    let cause = key_error(&error);
    assert!(matches!(cause, KeyError::WrongKey { .. }), "{cause}");
    let text = cause.to_string();
    assert!(
        text.contains("ne s'ouvre pas avec cette clé") && text.contains(&wrong.fingerprint()),
        "{text}"
    );
    assert!(!text.contains(&key_for(dir.path()).fingerprint()), "{text}");

    assert!(
        database_and_wal(dir.path()) == before,
        "a refused open changes neither the database nor its WAL"
    );
    let store = open(dir.path());
    assert!(has_patient(&store, "KEY-1"));
    assert_eq!(store.status().unwrap().events, 1);
}

#[test]
fn an_encrypted_store_opened_without_a_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    let error = SqliteStore::open(dir.path(), SqliteOptions::new("Europe/Paris")).unwrap_err();
    assert!(matches!(key_error(&error), KeyError::KeyMissing { .. }));
}

#[test]
fn a_plaintext_folder_is_refused_then_encrypted_by_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    let plain = SqliteStore::open(dir.path(), SqliteOptions::new("Europe/Paris")).unwrap();
    for n in 0..5 {
        commit_patient(&plain, &format!("OLD-{n}"));
    }
    drop(plain);
    assert!(!files_with_clear_text(dir.path()).is_empty());

    // The new version refuses it and says what to run.
    let error = SqliteStore::open(dir.path(), options(dir.path())).unwrap_err();
    let cause = key_error(&error);
    assert!(matches!(cause, KeyError::Plaintext { .. }), "{cause}");
    assert!(
        cause.to_string().contains("ckisa rekey --chiffrer"),
        "{cause}"
    );

    let encrypted = encrypt_plaintext_folder(dir.path(), &key_for(dir.path())).unwrap();
    assert_eq!(encrypted, [dir.path().join(DATABASE_FILE)]);
    assert_eq!(files_with_clear_text(dir.path()), Vec::<PathBuf>::new());

    let store = open(dir.path());
    assert!((0..5).all(|n| has_patient(&store, &format!("OLD-{n}"))));
    assert_eq!(store.status().unwrap().events, 5);
    commit_patient(&store, "NEW-1");
    assert!(has_patient(&store, "NEW-1"));
}

#[test]
fn a_rotated_store_opens_with_the_new_key_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    commit_patient(&store, "ROT-1");
    drop(store);
    let old = key_for(dir.path());
    let new = DbKey::generate().unwrap();

    assert_eq!(
        rekey_folder(dir.path(), &old, &new).unwrap(),
        [dir.path().join(DATABASE_FILE)]
    );
    let old_options = SqliteOptions::new("Europe/Paris").with_key(old);
    let error = SqliteStore::open(dir.path(), old_options).unwrap_err();
    assert!(matches!(key_error(&error), KeyError::WrongKey { .. }));
    let store =
        SqliteStore::open(dir.path(), SqliteOptions::new("Europe/Paris").with_key(new)).unwrap();
    assert!(has_patient(&store, "ROT-1"));
}

/// Child side of the stderr test: opens the folder with a wrong key.
#[test]
fn wrong_key_child() {
    let Ok(dir) = std::env::var("CKISA_WRONG_KEY_CHILD_DIR") else {
        return;
    };
    let wrong = SqliteOptions::new("Europe/Paris").with_key(DbKey::generate().unwrap());
    let error = SqliteStore::open(Path::new(&dir), wrong).unwrap_err();
    assert!(matches!(key_error(&error), KeyError::WrongKey { .. }));
}

#[test]
fn a_wrong_key_prints_nothing_on_stderr() {
    // SQLCipher logs to the process's stderr from C, which the test harness
    // does not capture: only a child process shows it.
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "encryption::wrong_key_child", "--test-threads=1"])
        .env("CKISA_WRONG_KEY_CHILD_DIR", dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("1 passed"), "the child ran: {stdout}");
    assert!(
        !stderr.contains("hmac") && !stderr.contains("ERROR CORE"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn the_database_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    drop(store);
    // Reopening narrows files that a copy or an old version left open.
    let database = dir.path().join(DATABASE_FILE);
    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = open(dir.path());
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", database.display()));
        if path.exists() {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", path.display());
        }
    }
    drop(store);
}
