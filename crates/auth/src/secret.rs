//! The cryptographic bits of the directory: random secrets, SHA-256 of
//! tokens, constant-time comparison, generated passwords, and Argon2id
//! password hashing.
//!
//! **Invariant:** Argon2 is slow on purpose (tens of milliseconds with the
//! default parameters). Callers never run [`Hasher::hash`] or
//! [`Hasher::verify`] while holding a lock of the directory.

use argon2::password_hash::{self, PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest as _, Sha256};

use crate::{ArgonParams, AuthError};

/// Characters of generated passwords: no 0/O, 1/l/I, no symbols a keyboard
/// layout may move.
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Length of generated passwords (about 93 bits).
pub(crate) const GENERATED_PASSWORD_LEN: usize = 16;

/// `N` random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(AuthError::Random)?;
    Ok(bytes)
}

pub(crate) use ckisa_store_sqlite::hex::encode as hex;

/// A fresh random secret of 256 bits, as 64 hex digits.
pub(crate) fn random_secret() -> Result<String, AuthError> {
    Ok(hex(&random_bytes::<32>()?))
}

/// SHA-256 of a token or secret, the form in which it is stored and looked up.
pub(crate) fn sha256(text: &str) -> [u8; 32] {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(&digest);
    out
}

/// Whether `a` and `b` are equal, in a time that depends only on their
/// lengths.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// A random password of [`GENERATED_PASSWORD_LEN`] characters from an
/// unambiguous alphabet (uniform: bytes past the last full alphabet cycle
/// are drawn again).
pub(crate) fn generate_password() -> Result<String, AuthError> {
    let limit = 256 - 256 % PASSWORD_ALPHABET.len();
    let mut password = String::with_capacity(GENERATED_PASSWORD_LEN);
    while password.len() < GENERATED_PASSWORD_LEN {
        for byte in random_bytes::<32>()? {
            let byte = usize::from(byte);
            if byte < limit && password.len() < GENERATED_PASSWORD_LEN {
                password.push(char::from(
                    PASSWORD_ALPHABET[byte % PASSWORD_ALPHABET.len()],
                ));
            }
        }
    }
    Ok(password)
}

/// Argon2id with the node's parameters, producing and checking PHC strings.
pub(crate) struct Hasher {
    argon: Argon2<'static>,
}

impl Hasher {
    /// A hasher writing hashes with `params`.
    pub(crate) fn new(params: ArgonParams) -> Result<Hasher, AuthError> {
        let params = Params::new(params.m_kib, params.t, params.p, None)
            .map_err(|error| AuthError::Hashing(error.into()))?;
        Ok(Hasher {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        })
    }

    /// The PHC string (`$argon2id$v=19$m=…`) of `secret` with a fresh salt.
    /// Slow: never call under a lock.
    pub(crate) fn hash(&self, secret: &str) -> Result<String, AuthError> {
        let hash = self
            .argon
            .hash_password(secret.as_bytes())
            .map_err(AuthError::Hashing)?;
        Ok(hash.to_string())
    }

    /// Whether the PHC string `phc` was made with other Argon2 parameters
    /// than this hasher's (a password set before the parameters were
    /// raised). An unreadable string is not outdated: verifying it fails.
    pub(crate) fn is_outdated(&self, phc: &str) -> bool {
        let Ok(hash) = password_hash::phc::PasswordHash::new(phc) else {
            return false;
        };
        let Ok(params) = Params::try_from(&hash) else {
            return false;
        };
        let current = self.argon.params();
        (params.m_cost(), params.t_cost(), params.p_cost())
            != (current.m_cost(), current.t_cost(), current.p_cost())
    }

    /// Whether `secret` matches the PHC string `phc` (whose own parameters
    /// are used). Slow: never call under a lock.
    pub(crate) fn verify(&self, secret: &str, phc: &str) -> Result<bool, AuthError> {
        match self.argon.verify_password(secret.as_bytes(), phc) {
            Ok(()) => Ok(true),
            Err(password_hash::Error::PasswordInvalid) => Ok(false),
            Err(error) => Err(AuthError::Hashing(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_carry_their_parameters() {
        let hasher = Hasher::new(ArgonParams::fast_for_tests()).unwrap();
        let phc = hasher.hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{phc}");
        assert!(hasher.verify("correct horse", &phc).unwrap());
        assert!(!hasher.verify("correct hors", &phc).unwrap());
        assert_ne!(phc, hasher.hash("correct horse").unwrap(), "salted");
        assert!(hasher.verify("x", "not a phc string").is_err());
    }

    #[test]
    fn default_parameters_are_argon2id_owasp() {
        let hasher = Hasher::new(ArgonParams::default()).unwrap();
        let phc = hasher.hash("x").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    }

    #[test]
    fn generated_passwords_use_the_alphabet_and_differ() {
        let first = generate_password().unwrap();
        assert_eq!(first.chars().count(), GENERATED_PASSWORD_LEN);
        assert!(first.bytes().all(|b| PASSWORD_ALPHABET.contains(&b)));
        assert_ne!(first, generate_password().unwrap());
        assert!(!first.contains(['0', 'O', '1', 'l', 'I']));
    }

    #[test]
    fn ct_eq_compares_whole_slices() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(ct_eq(b"", b""));
    }

    #[test]
    fn secrets_are_256_bit_hex() {
        let secret = random_secret().unwrap();
        assert_eq!(secret.len(), 64);
        assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(hex(&sha256("abc"))[..8], *"ba7816bf");
    }
}
