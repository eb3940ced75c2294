//! Keys derived from an operator's passphrase (Argon2id), and the per-folder
//! salt file that makes the same passphrase give a different key on every
//! node.
//!
//! The salt is not secret but it is needed: without `key.salt` the
//! passphrase no longer gives the key, so the file is backed up with the data
//! folder. Deleting it makes the next start derive another key, which then
//! fails with [`KeyError::WrongKey`] (no data is touched).

use std::io::Write as _;
use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use super::{DbKey, KEY_BYTES, KeyError};

/// File name of the passphrase salt inside the data folder.
pub const SALT_FILE: &str = "key.salt";

/// Fewest characters (Unicode scalar values) a passphrase may have.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// Length of the passphrase salt, in bytes.
pub const SALT_BYTES: usize = 16;

/// Argon2id memory cost, in KiB blocks (64 MiB).
const ARGON2_MEMORY_KIB: u32 = 65_536;

/// Argon2id passes over the memory.
const ARGON2_PASSES: u32 = 3;

/// Argon2id lanes.
const ARGON2_LANES: u32 = 1;

impl DbKey {
    /// Derives the key from a passphrase and the folder's salt with Argon2id
    /// (version 0x13, m = 65,536 KiB i.e. 64 MiB, t = 3 passes, p = 1 lane,
    /// 32-byte output). Takes a fraction of a second in release builds and
    /// 64 MiB of memory: call it off any async executor.
    ///
    /// The passphrase is used as its UTF-8 bytes, without trimming or Unicode
    /// normalisation, and must have at least [`MIN_PASSPHRASE_CHARS`]
    /// characters.
    pub fn from_passphrase(passphrase: &str, salt: &[u8; SALT_BYTES]) -> Result<DbKey, KeyError> {
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(KeyError::PassphraseTooShort {
                minimum: MIN_PASSPHRASE_CHARS,
            });
        }
        derive(
            passphrase,
            salt,
            [ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES],
        )
    }
}

/// The passphrase salt of the data folder: read from `<data_dir>/key.salt`
/// (32 hexadecimal digits), or drawn at random and written there (mode 0600,
/// synced) when the file does not exist yet. Creates `data_dir` if needed.
pub fn passphrase_salt(data_dir: &Path) -> Result<[u8; SALT_BYTES], KeyError> {
    let path = data_dir.join(SALT_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_salt(text.trim()).ok_or(KeyError::MalformedSalt { path }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => create_salt(data_dir),
        Err(source) => Err(KeyError::Read { path, source }),
    }
}

/// Draws a salt and writes it to a new salt file. If another process wrote
/// the file first, its salt wins.
fn create_salt(data_dir: &Path) -> Result<[u8; SALT_BYTES], KeyError> {
    let path = data_dir.join(SALT_FILE);
    let write_error = |source| KeyError::Write {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(write_error)?;
    let mut salt = [0u8; SALT_BYTES];
    getrandom::fill(&mut salt).map_err(|e| KeyError::Random(e.to_string()))?;

    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = match options.open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            return passphrase_salt(data_dir);
        }
        Err(source) => return Err(write_error(source)),
    };
    let text: String = salt.iter().map(|b| format!("{b:02x}")).collect();
    file.write_all(format!("{text}\n").as_bytes())
        .map_err(write_error)?;
    file.sync_all().map_err(write_error)?;
    super::folder::sync_directory(data_dir)?;
    Ok(salt)
}

/// Argon2id v0x13 with `[memory KiB, passes, lanes]`, 32-byte output.
fn derive(
    passphrase: &str,
    salt: &[u8; SALT_BYTES],
    [memory, passes, lanes]: [u32; 3],
) -> Result<DbKey, KeyError> {
    let derivation_error = |error: argon2::Error| KeyError::Derivation(error.to_string());
    let params = Params::new(memory, passes, lanes, Some(KEY_BYTES)).map_err(derivation_error)?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut bytes = Zeroizing::new([0u8; KEY_BYTES]);
    argon2
        .hash_password_into(passphrase.as_bytes(), salt, bytes.as_mut())
        .map_err(derivation_error)?;
    Ok(DbKey(bytes))
}

fn parse_salt(text: &str) -> Option<[u8; SALT_BYTES]> {
    let digits = text.as_bytes();
    if digits.len() != SALT_BYTES * 2 {
        return None;
    }
    let mut salt = [0u8; SALT_BYTES];
    for (byte, pair) in salt.iter_mut().zip(digits.chunks_exact(2)) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        *byte = u8::try_from(high * 16 + low).ok()?;
    }
    Some(salt)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small parameters, so that the property tests stay fast in debug
    /// builds; the production parameters are pinned by the test below.
    const FAST: [u32; 3] = [64, 1, 1];

    #[test]
    fn the_key_is_standard_argon2id_with_the_documented_parameters() {
        // Reference value from the Argon2 reference C implementation
        // (argon2-cffi `hash_secret_raw`, type ID, version 19, t=3,
        // m=65536, p=1, 32 bytes). If this changes, every node keyed by a
        // passphrase can no longer open its data.
        let key = DbKey::from_passphrase("cheval agrafe pile", &[9u8; SALT_BYTES]).unwrap();
        assert_eq!(
            key.hex().as_str(),
            "3ae2571fd64fc8c8d3d50df20c745d6c5970c2a1fddd1f7d6142ea1b66762993"
        );
    }

    #[test]
    fn the_key_depends_on_the_passphrase_and_the_salt() {
        let salt = [1u8; SALT_BYTES];
        let key = derive("cheval agrafe pile", &salt, FAST).unwrap();
        assert_eq!(key, derive("cheval agrafe pile", &salt, FAST).unwrap());
        assert_ne!(
            key,
            derive("cheval agrafe pile", &[2u8; SALT_BYTES], FAST).unwrap()
        );
        assert_ne!(key, derive("cheval agrafe pilE", &salt, FAST).unwrap());
    }

    #[test]
    fn a_short_passphrase_is_refused_in_french() {
        // 11 characters, 13 bytes: the length is counted in characters.
        let error = DbKey::from_passphrase("éléphant123", &[0u8; SALT_BYTES]).unwrap_err();
        assert!(matches!(
            error,
            KeyError::PassphraseTooShort { minimum: 12 }
        ));
        assert!(
            error.to_string().contains("au moins 12 caractères"),
            "{error}"
        );
    }

    #[test]
    fn the_salt_is_created_once_then_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let salt = passphrase_salt(&data).unwrap();
        assert_eq!(passphrase_salt(&data).unwrap(), salt);
        let other = tempfile::tempdir().unwrap();
        assert_ne!(passphrase_salt(other.path()).unwrap(), salt);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(data.join(SALT_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_salt_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SALT_FILE);
        std::fs::write(&path, "abc").unwrap();
        assert!(matches!(
            passphrase_salt(dir.path()),
            Err(KeyError::MalformedSalt { .. })
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "abc");
    }
}
