//! What can go wrong in the directory, in French words a caregiver or an
//! administrator can act on.
//!
//! Three boundaries: [`AuthError`] for administration and the directory's own
//! failures, [`LoginError`] for logging in and unlocking, [`PasswordError`]
//! for changing one's password or PIN. Login errors never tell whether an
//! account exists: an unknown login and a wrong password both give
//! [`LoginError::BadCredentials`].

use std::path::PathBuf;

use ckisa_audit::AuditError;
use ckisa_store_sqlite::key::KeyError;

/// Why an administration act or a directory operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No account has this login.
    #[error("compte inconnu : {0}")]
    UnknownAccount(String),
    /// An account with this login exists already.
    #[error("l'identifiant « {0} » existe déjà")]
    DuplicateLogin(String),
    /// The login breaks the login rules; the text says which one.
    #[error("identifiant invalide : {0}")]
    InvalidLogin(String),
    /// An initial password given by an administrator breaks the password
    /// rules; the text says which one.
    #[error("mot de passe refusé : {0}")]
    WeakPassword(String),
    /// A break-the-glass reason is too short once trimmed.
    #[error("motif trop court : au moins {min} caractères sont exigés")]
    ReasonTooShort {
        /// The minimum number of characters.
        min: usize,
    },
    /// A break-the-glass request names no patient.
    #[error("patient non précisé")]
    MissingPatient,
    /// The acting role may not do this.
    #[error("action non autorisée pour ce rôle")]
    NotAllowed,
    /// The session token is unknown or expired.
    #[error("session absente ou expirée : reconnectez-vous")]
    NoSession,
    /// The session is locked (shared terminal).
    #[error("session verrouillée : déverrouillez-la avec votre code PIN")]
    SessionLocked,
    /// The account must change its password first.
    #[error("changement de mot de passe exigé avant toute autre action")]
    PasswordChangeRequired,
    /// An API token name breaks the naming rules; the text says which one.
    #[error("nom de jeton invalide : {0}")]
    InvalidTokenName(String),
    /// An API token with this name exists already (possibly revoked).
    #[error("un jeton nommé « {0} » existe déjà")]
    DuplicateToken(String),
    /// No API token has this name.
    #[error("jeton inconnu : {0}")]
    UnknownToken(String),
    /// An API token was asked with no scope.
    #[error("un jeton doit avoir au moins un droit")]
    NoTokenScopes,
    /// This action needs a person, or is not served to machines.
    #[error(
        "le droit « {0} » ne peut pas être donné à un jeton d'API (il faut une personne, \
         ou l'API ne le sert pas)"
    )]
    ScopeNotForTokens(&'static str),
    /// The accounts database failed.
    #[error("base des comptes : {0}")]
    Database(#[from] rusqlite::Error),
    /// The accounts database did not open with the node key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The act could not be written to the audit trail, so it was not done.
    #[error("acte non enregistré dans le journal d'audit, donc annulé : {0}")]
    Audit(#[from] AuditError),
    /// Argon2 failed (a corrupt stored hash, out of memory).
    #[error("calcul d'empreinte de mot de passe impossible : {0}")]
    Hashing(argon2::password_hash::Error),
    /// The operating system gave no random bytes.
    #[error("le système n'a pas fourni d'aléa : {0}")]
    Random(getrandom::Error),
    /// The accounts database was written by a newer ckisa.
    #[error(
        "base des comptes en version {found}, inconnue de ce programme (version {known}) : \
         utilisez un ckisa au moins aussi récent que celui qui l'a écrite"
    )]
    SchemaVersion {
        /// The version found in the file.
        found: i64,
        /// The version this program writes.
        known: u32,
    },
    /// The data folder could not be created or protected.
    #[error("dossier de données {path} : {source}")]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

/// Why a login or an unlock was refused. The text never tells whether the
/// account exists.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown login or wrong password (deliberately the same answer).
    #[error("identifiant ou mot de passe incorrect")]
    BadCredentials,
    /// Too many failures: the account is locked until `until_ms`.
    #[error(
        "compte temporairement verrouillé après trop d'échecs : réessayez plus tard \
         ou demandez à un administrateur de réinitialiser le mot de passe"
    )]
    AccountLocked {
        /// End of the lock-out, ms since the Unix epoch.
        until_ms: i64,
    },
    /// Too many attempts from this address in the last minute.
    #[error("trop de tentatives depuis ce poste : réessayez dans {retry_after_s} s")]
    AddressThrottled {
        /// Seconds until the next attempt is accepted.
        retry_after_s: u64,
    },
    /// The password was right but the account is disabled.
    #[error("compte désactivé : adressez-vous à un administrateur")]
    Disabled,
    /// Unlock: the PIN (or, without a PIN, the password) was wrong.
    #[error("code PIN incorrect (ou mot de passe, si aucun code PIN n'est défini)")]
    WrongPin,
    /// Unlock: the session is unknown or expired.
    #[error("session absente ou expirée : reconnectez-vous")]
    NoSession,
    /// The directory itself failed.
    #[error(transparent)]
    Directory(#[from] AuthError),
}

/// Why a password or PIN change was refused.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The current password typed is wrong.
    #[error("mot de passe actuel incorrect")]
    WrongCurrent,
    /// The new password is too short.
    #[error("mot de passe trop court : au moins {min} caractères")]
    TooShort {
        /// The minimum number of characters.
        min: usize,
    },
    /// The new password is too long.
    #[error("mot de passe trop long : au plus {max} caractères")]
    TooLong {
        /// The maximum number of characters.
        max: usize,
    },
    /// The new password is the login.
    #[error("le mot de passe ne doit pas être l'identifiant")]
    SameAsLogin,
    /// The new password is the current one.
    #[error("le nouveau mot de passe doit être différent de l'actuel")]
    SameAsOld,
    /// The new password repeats a single character.
    #[error("le mot de passe ne doit pas répéter un seul et même caractère")]
    SingleCharacter,
    /// The PIN is not 4 to 8 digits.
    #[error("le code PIN doit compter de 4 à 8 chiffres")]
    BadPin,
    /// The session is unknown or expired.
    #[error("session absente ou expirée : reconnectez-vous")]
    NoSession,
    /// The session is locked (shared terminal).
    #[error("session verrouillée : déverrouillez-la d'abord")]
    SessionLocked,
    /// Too many wrong current passwords: the account is locked and the
    /// session ended.
    #[error("compte verrouillé après trop d'échecs : la session est fermée")]
    AccountLocked {
        /// End of the lock-out, ms since the Unix epoch.
        until_ms: i64,
    },
    /// The directory itself failed.
    #[error(transparent)]
    Directory(#[from] AuthError),
}

impl From<rusqlite::Error> for LoginError {
    fn from(error: rusqlite::Error) -> LoginError {
        LoginError::Directory(AuthError::Database(error))
    }
}

impl From<rusqlite::Error> for PasswordError {
    fn from(error: rusqlite::Error) -> PasswordError {
        PasswordError::Directory(AuthError::Database(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_wrong_give_one_text_that_names_neither() {
        let text = LoginError::BadCredentials.to_string();
        assert_eq!(text, "identifiant ou mot de passe incorrect");
        assert!(!text.contains("inconnu"));
    }

    #[test]
    fn texts_carry_their_numbers() {
        assert!(
            PasswordError::TooShort { min: 12 }
                .to_string()
                .contains("12")
        );
        let throttled = LoginError::AddressThrottled { retry_after_s: 42 };
        assert!(throttled.to_string().contains("42 s"));
        assert!(
            AuthError::ReasonTooShort { min: 10 }
                .to_string()
                .contains("10")
        );
    }
}
