//! Keys of the node's encrypted databases (SQLCipher, page-level AES-256).
//!
//! Every database a node writes (the event store, the accounts, the audit
//! trail) is opened through [`open_keyed`] with one 256-bit [`DbKey`], given
//! raw to SQLCipher (no key derivation inside SQLCipher: the key is already
//! random, or derived once by the caller). A stolen data folder without the
//! key reveals nothing but file sizes.
//!
//! A key comes from a key file ([`DbKey::read_file`]) or from a passphrase
//! ([`DbKey::from_passphrase`], Argon2id with the folder's [`passphrase_salt`]).
//! Rotation ([`rekey_folder`]) and the one-off encryption of a folder written
//! by an older, unencrypted ckisa ([`encrypt_plaintext_folder`]) work on every
//! database of a data folder ([`DATABASE_FILES`]) with the node stopped.
//!
//! What SQLCipher encrypts: every page of the database file, every frame of
//! its WAL (`-wal`), rollback journals and temporary files. The `-shm` file
//! holds only the WAL index (page numbers, checksums), never row data.
//!
//! **Invariant:** key bytes never reach a log or an error message; only the
//! [`DbKey::fingerprint`] (a truncated SHA-256 of the key) is ever shown.

mod folder;
mod passphrase;

use std::fmt;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use ckisa_store::StoreError;
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub use folder::{
    DATABASE_FILES, RekeyReport, encrypt_plaintext_folder, rekey_folder, rekey_folder_report,
};
pub use passphrase::{MIN_PASSPHRASE_CHARS, SALT_BYTES, SALT_FILE, passphrase_salt};

/// Length of a key, in bytes.
pub const KEY_BYTES: usize = 32;

/// The first 16 bytes of every unencrypted SQLite database file. An
/// encrypted file starts with its random SQLCipher salt instead.
const PLAINTEXT_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// A 256-bit database key. Zeroed when dropped; `Debug` shows only the
/// fingerprint.
#[derive(Clone)]
pub struct DbKey(Zeroizing<[u8; KEY_BYTES]>);

/// Why a key could not be made, read, written or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The operating system gave no random bytes.
    #[error("le système n'a pas fourni d'aléa pour créer une clé : {0}")]
    Random(String),
    /// A key file could not be read.
    #[error("lecture du fichier de clé {path} impossible : {source}")]
    Read {
        /// The key file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A key file does not hold 64 hexadecimal digits.
    #[error(
        "le fichier de clé {path} ne contient pas une clé valide \
         (64 chiffres hexadécimaux attendus)"
    )]
    Malformed {
        /// The key file.
        path: PathBuf,
    },
    /// A key file could not be written (it may already exist: keys are never
    /// overwritten).
    #[error("écriture du fichier de clé {path} impossible : {source}")]
    Write {
        /// The key file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The database did not open with this key: wrong key, or not a ckisa
    /// database.
    #[error(
        "la base {path} ne s'ouvre pas avec cette clé (empreinte {fingerprint}) : \
         mauvaise clé, ou fichier qui n'est pas une base ckisa"
    )]
    WrongKey {
        /// The database file.
        path: PathBuf,
        /// Fingerprint of the key tried.
        fingerprint: String,
    },
    /// The database is not encrypted (written by a ckisa older than
    /// encryption at rest): it must be encrypted once before use.
    #[error(
        "la base {path} n'est pas chiffrée (écrite par une version précédente de ckisa) : \
         arrêtez le nœud et chiffrez le dossier avec `ckisa rekey --chiffrer`"
    )]
    Plaintext {
        /// The database file.
        path: PathBuf,
    },
    /// The database is encrypted but was opened without a key.
    #[error("la base {path} est chiffrée : il faut une clé pour l'ouvrir")]
    KeyMissing {
        /// The database file.
        path: PathBuf,
    },
    /// A passphrase shorter than [`MIN_PASSPHRASE_CHARS`].
    #[error("la phrase de passe est trop courte : il faut au moins {minimum} caractères")]
    PassphraseTooShort {
        /// Minimum length, in characters.
        minimum: usize,
    },
    /// Argon2id refused its parameters or failed.
    #[error("la dérivation de la clé depuis la phrase de passe a échoué : {0}")]
    Derivation(String),
    /// A salt file does not hold 32 hexadecimal digits.
    #[error(
        "le fichier de sel {path} est invalide (32 chiffres hexadécimaux attendus) ; \
         sans lui la phrase de passe ne redonne pas la clé : restaurez-le depuis une sauvegarde"
    )]
    MalformedSalt {
        /// The salt file.
        path: PathBuf,
    },
    /// The WAL could not be emptied: another process still uses the database.
    #[error(
        "le journal WAL de la base {path} n'a pas pu être vidé : \
         un autre processus l'utilise encore, arrêtez le nœud puis recommencez"
    )]
    WalBusy {
        /// The database file.
        path: PathBuf,
    },
    /// Rotation asked to move to the key already in use.
    #[error("la nouvelle clé est identique à l'ancienne (empreinte {fingerprint})")]
    SameKey {
        /// Fingerprint of the key.
        fingerprint: String,
    },
    /// During rotation, a database opens with neither the old nor the new key.
    /// Nothing was changed.
    #[error(
        "la base {path} ne s'ouvre ni avec l'ancienne clé (empreinte {old}) \
         ni avec la nouvelle (empreinte {new}) : aucune base n'a été modifiée"
    )]
    NeitherKey {
        /// The database file.
        path: PathBuf,
        /// Fingerprint of the old key.
        old: String,
        /// Fingerprint of the new key.
        new: String,
    },
    /// Rotation stopped part way: some databases are under the new key, the
    /// others still under the old one. Running the same rotation again
    /// finishes it.
    #[error(
        "changement de clé interrompu sur {failed} ({source}) ; \
         déjà sous la nouvelle clé : {} ; encore sous l'ancienne clé : {} ; \
         relancez le même changement de clé (ancienne et nouvelle) pour terminer",
        show_paths(.under_new),
        show_paths(.under_old)
    )]
    RekeyInterrupted {
        /// The database whose rotation failed.
        failed: PathBuf,
        /// Why it failed.
        source: Box<KeyError>,
        /// Databases now under the new key.
        under_new: Vec<PathBuf>,
        /// Databases still under the old key (the failed one included).
        under_old: Vec<PathBuf>,
    },
    /// A file of the data folder could not be read, synced, renamed or
    /// removed while encrypting or re-keying it.
    #[error("opération sur le fichier {path} impossible : {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// SQLite failed for another reason.
    #[error("ouverture de la base {path} impossible : {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
}

impl KeyError {
    /// The key error behind a store error, if the store failed to open
    /// because of its key (wrong key, plaintext database, missing key).
    pub fn from_store_error(error: &StoreError) -> Option<&KeyError> {
        match error {
            StoreError::Open { source, .. } | StoreError::Database(source) => {
                source.downcast_ref::<KeyError>()
            }
            _ => None,
        }
    }
}

fn show_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return String::from("aucune");
    }
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

impl DbKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Result<DbKey, KeyError> {
        let mut bytes = Zeroizing::new([0u8; KEY_BYTES]);
        getrandom::fill(bytes.as_mut()).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(DbKey(bytes))
    }

    /// The key made of exactly these bytes.
    pub fn from_bytes(bytes: [u8; KEY_BYTES]) -> DbKey {
        DbKey(Zeroizing::new(bytes))
    }

    /// The raw key bytes, for a caller that derives sub-keys from it.
    pub fn bytes(&self) -> &[u8; KEY_BYTES] {
        &self.0
    }

    /// Reads a key file: 64 hexadecimal digits, surrounding white space
    /// ignored.
    pub fn read_file(path: &Path) -> Result<DbKey, KeyError> {
        let text =
            Zeroizing::new(
                std::fs::read_to_string(path).map_err(|source| KeyError::Read {
                    path: path.to_owned(),
                    source,
                })?,
            );
        parse_hex(text.trim()).ok_or_else(|| KeyError::Malformed {
            path: path.to_owned(),
        })
    }

    /// Writes the key to a new file readable by its owner only (mode 0600 on
    /// Unix). Refuses to overwrite an existing file: a lost key is lost data.
    pub fn write_file(&self, path: &Path) -> Result<(), KeyError> {
        let write_error = |source| KeyError::Write {
            path: path.to_owned(),
            source,
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(write_error)?;
        let text = Zeroizing::new(format!("{}\n", self.hex().as_str()));
        file.write_all(text.as_bytes()).map_err(write_error)?;
        file.sync_all().map_err(write_error)
    }

    /// A short public name of the key (first 8 hex digits of its SHA-256),
    /// to tell keys apart in messages without revealing them.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.0.as_ref());
        digest[..4].iter().map(|b| format!("{b:02x}")).collect()
    }

    fn hex(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(KEY_BYTES * 2));
        crate::hex::push(&mut text, self.0.as_ref());
        text
    }

    /// The SQLCipher raw-key literal, `x'…'`.
    fn pragma_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", self.hex().as_str()))
    }

    /// Keys a freshly opened connection, then proves the key right by reading
    /// the schema (SQLCipher only checks the key on first read). Must run
    /// before any other statement on `conn`. First silences SQLCipher's own
    /// stderr log (`PRAGMA cipher_log_level = NONE`, `PRAGMA cipher_log =
    /// off`: it would print `hmac check failed` on a wrong key); the error
    /// reaches the caller instead.
    ///
    /// A plaintext SQLite file gives [`KeyError::Plaintext`], a wrong key
    /// [`KeyError::WrongKey`].
    pub fn apply(&self, conn: &Connection, path: &Path) -> Result<(), KeyError> {
        let sqlite_error = |source| KeyError::Sqlite {
            path: path.to_owned(),
            source,
        };
        silence_sqlcipher_log(conn).map_err(sqlite_error)?;
        conn.pragma_update(None, "key", self.pragma_literal().as_str())
            .map_err(sqlite_error)?;
        match conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
            row.get::<_, i64>(0)
        }) {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(error, _))
                if error.code == rusqlite::ErrorCode::NotADatabase =>
            {
                if is_plaintext(path) {
                    return Err(KeyError::Plaintext {
                        path: path.to_owned(),
                    });
                }
                Err(KeyError::WrongKey {
                    path: path.to_owned(),
                    fingerprint: self.fingerprint(),
                })
            }
            Err(source) => Err(sqlite_error(source)),
        }
    }

    /// Re-encrypts the open database of `conn` (already keyed with the old
    /// key) under `self`. SQLCipher rewrites every page in one transaction.
    ///
    /// In WAL mode the new pages land in the WAL first: checkpoint before and
    /// after (as [`rekey_folder`] does) so that no page stays under the old
    /// key in either file.
    pub fn rekey(&self, conn: &Connection, path: &Path) -> Result<(), KeyError> {
        conn.pragma_update(None, "rekey", self.pragma_literal().as_str())
            .map_err(|source| KeyError::Sqlite {
                path: path.to_owned(),
                source,
            })
    }
}

/// Compares in constant time, so that a comparison leaks no key byte.
impl PartialEq for DbKey {
    fn eq(&self, other: &DbKey) -> bool {
        let difference = self
            .0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        difference == 0
    }
}

impl Eq for DbKey {}

impl fmt::Debug for DbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbKey({})", self.fingerprint())
    }
}

fn parse_hex(text: &str) -> Option<DbKey> {
    let mut bytes = Zeroizing::new([0u8; KEY_BYTES]);
    crate::hex::decode_into(text, bytes.as_mut()).then(|| DbKey(bytes))
}

/// Opens the SQLCipher database at `path` with `flags` and `key`, checking
/// that the key is right before returning.
pub fn open_keyed(path: &Path, key: &DbKey, flags: OpenFlags) -> Result<Connection, KeyError> {
    let conn = Connection::open_with_flags(path, flags).map_err(|source| KeyError::Sqlite {
        path: path.to_owned(),
        source,
    })?;
    key.apply(&conn, path)?;
    Ok(conn)
}

/// Opens the database at `path` with no key, refusing an encrypted file with
/// [`KeyError::KeyMissing`] instead of SQLite's bare "not a database". For
/// tests and benchmarks only: a node always opens its databases keyed.
pub fn open_unkeyed(path: &Path, flags: OpenFlags) -> Result<Connection, KeyError> {
    if is_encrypted(path) {
        return Err(KeyError::KeyMissing {
            path: path.to_owned(),
        });
    }
    Connection::open_with_flags(path, flags).map_err(|source| KeyError::Sqlite {
        path: path.to_owned(),
        source,
    })
}

/// Turns SQLCipher's own logging off. It would otherwise print to stderr
/// (`ERROR CORE sqlcipher_page_cipher: hmac check failed` on a wrong key),
/// which a library must not do; the error itself reaches the caller.
///
/// SQLCipher 4.20 (the bundled version) holds the log settings per process:
/// `cipher_log_level = NONE` drops every message and `cipher_log = off`
/// closes the target. They are set once per process, before the first
/// connection is keyed, under a lock: SQLCipher closes its log file without
/// a lock of its own, and two connections opened at once on two threads
/// crashed the process (a double `fclose`) when each set `cipher_log`.
fn silence_sqlcipher_log(conn: &Connection) -> rusqlite::Result<()> {
    static SILENCED: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let mut silenced = SILENCED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !*silenced {
        conn.pragma_update(None, "cipher_log_level", "NONE")?;
        conn.pragma_update(None, "cipher_log", "off")?;
        *silenced = true;
    }
    Ok(())
}

/// Whether the file at `path` is an unencrypted SQLite database (an absent
/// or unreadable file is not).
pub fn is_plaintext(path: &Path) -> bool {
    read_header(path).is_some_and(|header| &header == PLAINTEXT_HEADER)
}

/// Whether the file at `path` holds something other than a plaintext SQLite
/// database: an encrypted database (or not a database at all).
fn is_encrypted(path: &Path) -> bool {
    read_header(path).is_some_and(|header| &header != PLAINTEXT_HEADER)
}

fn read_header(path: &Path) -> Option<[u8; 16]> {
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path).ok()?;
    file.read_exact(&mut header).ok()?;
    Some(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        let key = DbKey::generate().unwrap();
        key.write_file(&path).unwrap();
        let read = DbKey::read_file(&path).unwrap();
        assert_eq!(read.bytes(), key.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(key.write_file(&path), Err(KeyError::Write { .. })));
    }

    #[test]
    fn a_malformed_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for text in ["", "abc", &"g".repeat(64), &"a".repeat(66)] {
            let path = dir.path().join("bad.key");
            std::fs::write(&path, text).unwrap();
            assert!(matches!(
                DbKey::read_file(&path),
                Err(KeyError::Malformed { .. })
            ));
        }
    }

    #[test]
    fn the_wrong_key_does_not_open_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let right = DbKey::generate().unwrap();
        let conn = open_keyed(&path, &right, flags).unwrap();
        conn.execute_batch("CREATE TABLE t(x TEXT); INSERT INTO t VALUES ('Dupont Marie');")
            .unwrap();
        drop(conn);

        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.windows(6).any(|w| w == b"Dupont"));
        assert!(!bytes.starts_with(b"SQLite format 3"));

        let wrong = DbKey::generate().unwrap();
        let error = open_keyed(&path, &wrong, flags).unwrap_err();
        assert!(matches!(error, KeyError::WrongKey { .. }), "{error}");
        assert!(!error.to_string().contains(&right.fingerprint()));

        let conn = open_keyed(&path, &right, flags).unwrap();
        let name: String = conn.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(name, "Dupont Marie");
    }

    #[test]
    fn rekey_moves_the_database_to_the_new_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let old = DbKey::generate().unwrap();
        let new = DbKey::generate().unwrap();
        let conn = open_keyed(&path, &old, flags).unwrap();
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        new.rekey(&conn, &path).unwrap();
        drop(conn);
        assert!(matches!(
            open_keyed(&path, &old, flags),
            Err(KeyError::WrongKey { .. })
        ));
        let conn = open_keyed(&path, &new, flags).unwrap();
        let x: i64 = conn.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(x, 1);
    }

    #[test]
    fn debug_shows_only_the_fingerprint() {
        let key = DbKey::from_bytes([7; KEY_BYTES]);
        let shown = format!("{key:?}");
        assert!(!shown.contains("0707070707"));
        assert!(shown.contains(&key.fingerprint()));
    }
}
