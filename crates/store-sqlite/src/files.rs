//! Modes of the node's database files: every database (`ckisa.db`,
//! `auth.db`, `audit.db`) and its `-wal` and `-shm` side files are readable
//! by the node's user only. One implementation for every crate that keeps a
//! database.

use std::path::{Path, PathBuf};

/// Narrows `database` and its `-wal` and `-shm` files (those present) to
/// mode 0600 on Unix; does nothing elsewhere. The error names the file that
/// could not be narrowed.
pub fn restrict_to_owner(database: &Path) -> Result<(), (PathBuf, std::io::Error)> {
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt as _;
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err((path, error)),
        }
    }
    #[cfg(not(unix))]
    let _ = database;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn the_database_and_its_side_files_become_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("x.db");
        for name in ["x.db", "x.db-wal"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
            let open = std::fs::Permissions::from_mode(0o644);
            std::fs::set_permissions(dir.path().join(name), open).unwrap();
        }
        restrict_to_owner(&database).unwrap();
        for name in ["x.db", "x.db-wal"] {
            let mode = std::fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
        assert!(!dir.path().join("x.db-shm").exists());
    }
}
