//! The written rules of the directory: what a login, an API token name, a
//! password and a PIN may look like.
//!
//! Password policy (kept simple on purpose, as ANSSI and NIST advise length
//! over composition rules): at least [`PASSWORD_MIN`] characters, at most
//! [`PASSWORD_MAX`], not the login (ignoring case), not the current password,
//! and not one character repeated. PINs are 4 to 8 ASCII digits; they only
//! unlock a session already opened with the password.

use crate::{PasswordError, Role};

/// Minimum length of a password, in characters.
pub const PASSWORD_MIN: usize = 12;

/// Maximum length of a password, in characters.
pub const PASSWORD_MAX: usize = 256;

/// Maximum length of a login or token name, in characters.
pub const LOGIN_MAX: usize = 64;

/// Minimum length of a break-the-glass reason, trimmed, in characters.
pub const REASON_MIN: usize = 10;

/// Checks a login (or an API token name): 1 to 64 characters among `a-z`,
/// `0-9`, `.`, `_` and `-`. The error is a precise French reason.
pub fn check_login(login: &str) -> Result<(), String> {
    if login.is_empty() {
        return Err("identifiant vide".to_owned());
    }
    let shown = shown(login);
    let count = login.chars().count();
    if count > LOGIN_MAX {
        return Err(format!(
            "« {shown} » est trop long ({count} caractères, {LOGIN_MAX} au plus)"
        ));
    }
    if let Some(upper) = login.chars().find(|c| c.is_uppercase()) {
        return Err(format!(
            "« {shown} » contient la majuscule « {upper} » (les identifiants s'écrivent en \
             minuscules, par exemple « {} »)",
            login.to_lowercase()
        ));
    }
    if let Some(bad) = login.chars().find(|c| !is_login_char(*c)) {
        let bad = if bad.is_whitespace() {
            "espace".to_owned()
        } else {
            format!("« {bad} »")
        };
        return Err(format!(
            "« {shown} » contient le caractère {bad}, non autorisé (seuls a-z, 0-9, « . », \
             « _ » et « - » le sont)"
        ));
    }
    Ok(())
}

/// Checks a new password against the policy (see the module documentation).
pub fn check_password(login: &str, new: &str, old: Option<&str>) -> Result<(), PasswordError> {
    let count = new.chars().count();
    if count < PASSWORD_MIN {
        return Err(PasswordError::TooShort { min: PASSWORD_MIN });
    }
    if count > PASSWORD_MAX {
        return Err(PasswordError::TooLong { max: PASSWORD_MAX });
    }
    if new.to_lowercase() == login.to_lowercase() {
        return Err(PasswordError::SameAsLogin);
    }
    if old == Some(new) {
        return Err(PasswordError::SameAsOld);
    }
    let mut chars = new.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err(PasswordError::SingleCharacter);
    }
    Ok(())
}

/// Checks a PIN: 4 to 8 ASCII digits.
pub fn check_pin(pin: &str) -> Result<(), PasswordError> {
    if (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(PasswordError::BadPin)
    }
}

/// The role named by `text`: its code, or its French or English label,
/// ignoring case and surrounding spaces (directories hold "Infirmier" as
/// often as "infirmier").
pub fn role_from_text(text: &str) -> Option<Role> {
    let text = text.trim();
    Role::from_code(text).or_else(|| {
        Role::ALL.into_iter().find(|role| {
            role.label_fr().to_lowercase() == text.to_lowercase()
                || role.label_en().eq_ignore_ascii_case(text)
        })
    })
}

fn is_login_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
}

/// The login as shown in a message: at most 64 characters.
fn shown(login: &str) -> String {
    let mut text: String = login.chars().take(LOGIN_MAX).collect();
    if login.chars().count() > LOGIN_MAX {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_follow_the_rules_with_precise_reasons() {
        for good in ["jdupont", "marie.curie", "a", "x_1-2", &"a".repeat(64)] {
            assert_eq!(check_login(good), Ok(()), "{good}");
        }
        assert_eq!(check_login(""), Err("identifiant vide".into()));
        assert!(
            check_login(&"a".repeat(65))
                .unwrap_err()
                .contains("65 caractères")
        );
        assert!(
            check_login("JDupont")
                .unwrap_err()
                .contains("majuscule « J »")
        );
        assert!(check_login("jdupont").is_ok());
        assert!(check_login("rené").unwrap_err().contains("« é »"));
        assert!(check_login("j dupont").unwrap_err().contains("espace"));
        assert!(check_login("a@b").unwrap_err().contains("« @ »"));
    }

    #[test]
    fn password_policy() {
        assert!(matches!(
            check_password("jdupont", "court", None),
            Err(PasswordError::TooShort { min: 12 })
        ));
        assert!(matches!(
            check_password("jdupont12345", "JDUPONT12345", None),
            Err(PasswordError::SameAsLogin)
        ));
        assert!(matches!(
            check_password(
                "jdupont",
                "ancien-mot-de-passe",
                Some("ancien-mot-de-passe")
            ),
            Err(PasswordError::SameAsOld)
        ));
        assert!(matches!(
            check_password("jdupont", &"a".repeat(20), None),
            Err(PasswordError::SingleCharacter)
        ));
        assert!(matches!(
            check_password("jdupont", &"ab".repeat(200), None),
            Err(PasswordError::TooLong { max: 256 })
        ));
        assert!(check_password("jdupont", "douze-carac!", Some("autre")).is_ok());
        // Length counts characters, not bytes.
        assert!(check_password("jdupont", "éééééééééééa", None).is_ok());
    }

    #[test]
    fn pins_are_four_to_eight_digits() {
        for good in ["1234", "00000000", "98765"] {
            assert!(check_pin(good).is_ok(), "{good}");
        }
        for bad in ["123", "123456789", "12a4", "", "１２３４"] {
            assert!(
                matches!(check_pin(bad), Err(PasswordError::BadPin)),
                "{bad}"
            );
        }
    }

    #[test]
    fn roles_are_read_from_codes_and_labels() {
        assert_eq!(role_from_text(" infirmier "), Some(Role::Nurse));
        assert_eq!(role_from_text("Médecin"), Some(Role::Physician));
        assert_eq!(role_from_text("MÉDECIN"), Some(Role::Physician));
        assert_eq!(role_from_text("nurse"), Some(Role::Nurse));
        assert_eq!(role_from_text("chef"), None);
    }
}
