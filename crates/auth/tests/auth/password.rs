//! Passwords and PINs: the change rules, the must-change flow, resets, the
//! shared-terminal lock and its PIN failure limit.

use ckisa_audit::{AuditOutcome, actions};
use ckisa_auth::{Actor, LoginError, NewUser, PasswordError, Role, Scope};

use crate::common::{Fixture, MINUTE, PASSWORD, T0, ip};

const NEW: &str = "nouveau-mot-de-passe-long";

#[test]
fn the_password_rules_are_enforced() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    let change = |old: &str, new: &str| {
        fx.directory
            .change_password(&token, old, new, ip(1), T0 + 1)
    };
    assert!(matches!(
        change(PASSWORD, "court"),
        Err(PasswordError::TooShort { min: 12 })
    ));
    assert!(matches!(
        change(PASSWORD, "JDUPONT"),
        Err(PasswordError::TooShort { .. })
    ));
    assert!(matches!(
        change(PASSWORD, PASSWORD),
        Err(PasswordError::SameAsOld)
    ));
    assert!(matches!(
        change(PASSWORD, "aaaaaaaaaaaaaaa"),
        Err(PasswordError::SingleCharacter)
    ));
    assert!(matches!(
        change("mauvais-actuel", NEW),
        Err(PasswordError::WrongCurrent)
    ));
    assert!(matches!(
        fx.directory
            .change_password("pas-une-session", PASSWORD, NEW, ip(1), T0),
        Err(PasswordError::NoSession)
    ));
    change(PASSWORD, NEW).unwrap();
    assert!(matches!(
        fx.directory.login("jdupont", PASSWORD, ip(1), T0 + 2),
        Err(LoginError::BadCredentials)
    ));
    fx.directory.login("jdupont", NEW, ip(1), T0 + 3).unwrap();
    assert_eq!(
        fx.outcomes(actions::PASSWORD_CHANGE),
        [AuditOutcome::Failed, AuditOutcome::Allowed]
    );
}

#[test]
fn a_password_equal_to_a_long_login_is_refused() {
    let fx = Fixture::new();
    fx.add("jeanne.dupont", Role::Nurse, "REA");
    let token = fx.login("jeanne.dupont", T0).token;
    let error = fx
        .directory
        .change_password(&token, PASSWORD, "Jeanne.Dupont", ip(1), T0 + 1)
        .unwrap_err();
    assert!(matches!(error, PasswordError::SameAsLogin), "{error:?}");
}

#[test]
fn a_new_account_must_change_its_password_and_other_sessions_end() {
    let fx = Fixture::new();
    let user = NewUser {
        login: "jdupont".into(),
        display_name: "Jeanne Dupont".into(),
        role: Role::Nurse,
        scope: Scope::parse("REA"),
        password: None,
        must_change: true,
    };
    let initial = fx.directory.add_user(&user, &Actor::cli(), T0).unwrap();
    assert_eq!(initial.chars().count(), 16);
    let first = fx
        .directory
        .login("jdupont", &initial, ip(1), T0 + 1)
        .unwrap();
    assert!(first.account.must_change);
    let second = fx
        .directory
        .login("jdupont", &initial, ip(2), T0 + 2)
        .unwrap();
    assert!(
        fx.directory
            .session(&second.token, T0 + 3)
            .unwrap()
            .must_change
    );

    fx.directory
        .change_password(&second.token, &initial, NEW, ip(2), T0 + 4)
        .unwrap();
    let view = fx.directory.session(&second.token, T0 + 5).unwrap();
    assert!(!view.must_change && !view.account.must_change);
    assert!(
        fx.directory.session(&first.token, T0 + 5).is_none(),
        "other session ended"
    );
    let change = &fx.audited(actions::PASSWORD_CHANGE)[0];
    assert!(change.detail.contains("1 autre(s) session(s)"));
}

#[test]
fn wrong_current_passwords_count_toward_the_lock_out_and_end_the_session() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    for i in 0..4 {
        let error = fx
            .directory
            .change_password(&token, "pas-le-bon", NEW, ip(1), T0 + i)
            .unwrap_err();
        assert!(matches!(error, PasswordError::WrongCurrent));
    }
    let error = fx
        .directory
        .change_password(&token, "pas-le-bon", NEW, ip(1), T0 + 5)
        .unwrap_err();
    assert!(
        matches!(error, PasswordError::AccountLocked { .. }),
        "{error:?}"
    );
    assert!(fx.directory.session(&token, T0 + 6).is_none());
}

#[test]
fn a_reset_gives_a_temporary_password_lifts_the_lock_out_and_ends_sessions() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    for i in 0..5 {
        fx.directory
            .login("jdupont", "non", ip(1), T0 + i)
            .unwrap_err();
    }
    let temporary = fx
        .directory
        .reset_password("jdupont", &Actor::cli(), T0 + 10)
        .unwrap();
    assert_eq!(temporary.chars().count(), 16);
    assert!(fx.directory.session(&token, T0 + 11).is_none());
    let account = fx.directory.account("jdupont").unwrap().unwrap();
    assert!(account.must_change);
    assert_eq!(account.locked_until_ms, None);
    assert!(
        fx.directory
            .login("jdupont", PASSWORD, ip(1), T0 + 12)
            .is_err()
    );
    let session = fx
        .directory
        .login("jdupont", &temporary, ip(1), T0 + 13)
        .unwrap();
    assert!(session.account.must_change);
    assert!(matches!(
        fx.directory.reset_password("personne", &Actor::cli(), T0),
        Err(ckisa_auth::AuthError::UnknownAccount(_))
    ));
}

#[test]
fn a_locked_session_opens_again_with_the_pin() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    for bad in ["123", "12345678901", "12a4"] {
        let error = fx.directory.set_pin(&token, bad, ip(1), T0).unwrap_err();
        assert!(matches!(error, PasswordError::BadPin), "{bad}");
    }
    fx.directory.set_pin(&token, "4821", ip(1), T0 + 1).unwrap();
    assert!(fx.directory.account("jdupont").unwrap().unwrap().has_pin);

    fx.directory.lock(&token, ip(1), T0 + 2);
    let view = fx.directory.session(&token, T0 + 3).unwrap();
    assert!(view.locked);
    assert!(matches!(
        fx.directory.set_pin(&token, "1111", ip(1), T0 + 3),
        Err(PasswordError::SessionLocked)
    ));
    let error = fx
        .directory
        .unlock(&token, "0000", ip(1), T0 + 4)
        .unwrap_err();
    assert!(matches!(error, LoginError::WrongPin));
    fx.directory.unlock(&token, "4821", ip(1), T0 + 5).unwrap();
    assert!(!fx.directory.session(&token, T0 + 6).unwrap().locked);
    assert_eq!(fx.outcomes(actions::PIN_SET), [AuditOutcome::Allowed]);
    assert_eq!(fx.outcomes(actions::SESSION_LOCK), [AuditOutcome::Allowed]);
    assert_eq!(
        fx.outcomes(actions::SESSION_UNLOCK),
        [AuditOutcome::Failed, AuditOutcome::Allowed]
    );
}

#[test]
fn without_a_pin_the_password_unlocks() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    fx.directory.lock(&token, ip(1), T0 + 1);
    assert!(fx.directory.unlock(&token, "1234", ip(1), T0 + 2).is_err());
    fx.directory
        .unlock(&token, PASSWORD, ip(1), T0 + 3)
        .unwrap();
}

#[test]
fn pin_failures_lock_the_account_and_end_the_session() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    fx.directory.set_pin(&token, "4821", ip(1), T0).unwrap();
    fx.directory.lock(&token, ip(1), T0 + 1);
    for i in 0..4 {
        let error = fx
            .directory
            .unlock(&token, "0000", ip(1), T0 + 2 + i)
            .unwrap_err();
        assert!(matches!(error, LoginError::WrongPin));
    }
    let error = fx
        .directory
        .unlock(&token, "0000", ip(1), T0 + 10)
        .unwrap_err();
    assert!(
        matches!(error, LoginError::AccountLocked { .. }),
        "{error:?}"
    );
    assert!(fx.directory.session(&token, T0 + 11).is_none());
    let refused = fx
        .directory
        .unlock(&token, "4821", ip(1), T0 + 12)
        .unwrap_err();
    assert!(matches!(refused, LoginError::NoSession));
    assert!(matches!(
        fx.directory.login("jdupont", PASSWORD, ip(1), T0 + 13),
        Err(LoginError::AccountLocked { .. })
    ));
}

#[test]
fn a_locked_session_is_not_kept_alive_by_requests() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    fx.directory.lock(&token, ip(1), T0);
    assert!(
        fx.directory
            .session(&token, T0 + 10 * MINUTE)
            .unwrap()
            .locked
    );
    assert!(fx.directory.session(&token, T0 + 15 * MINUTE).is_none());
}
