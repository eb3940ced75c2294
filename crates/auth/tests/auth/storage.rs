//! What reaches the disk: an encrypted database that reveals no login.

use std::sync::Arc;

use ckisa_audit::MemorySink;
use ckisa_auth::{AuthError, Directory, Role};
use ckisa_store_sqlite::key::DbKey;

use crate::common::{Fixture, T0, options};

#[test]
fn the_database_files_hold_no_login_in_clear_text() {
    let fx = Fixture::new();
    fx.add("zephyrin.marchand", Role::Nurse, "REANIMATION");
    let session = fx.login("zephyrin.marchand", T0);
    let folder = fx.dir.path().to_owned();
    let mut checked = 0;
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for needle in ["zephyrin", "REANIMATION", "argon2id", &session.csrf] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} in clear in {}",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 2, "auth.db and its WAL");
    assert!(folder.join("auth.db").exists());
    drop(fx);
}

#[test]
fn another_key_does_not_open_the_accounts() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let wrong = DbKey::generate().unwrap();
    let sink = Arc::new(MemorySink::default());
    let error = Directory::open(fx.dir.path(), &wrong, options(), sink).unwrap_err();
    assert!(matches!(error, AuthError::Key(_)), "{error}");
}
