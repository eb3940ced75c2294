//! Logging in: lock-out, throttling, unknown logins, disabled accounts.

use ckisa_audit::{AuditOutcome, actions};
use ckisa_auth::{Actor, ArgonParams, AuthOptions, Directory, LoginError, Role};

use crate::common::{Fixture, MINUTE, PASSWORD, T0, ip, options};

#[test]
fn wrong_passwords_up_to_the_limit_lock_the_account_until_lockout_for_passes() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let directory = &fx.directory;
    for i in 0..4 {
        let error = directory
            .login("jdupont", "mauvais-mot-de-passe", ip(1), T0 + i)
            .unwrap_err();
        assert!(matches!(error, LoginError::BadCredentials), "{error:?}");
    }
    let error = directory
        .login("jdupont", "mauvais", ip(1), T0 + 10)
        .unwrap_err();
    let until = T0 + 10 + 15 * MINUTE;
    assert!(matches!(error, LoginError::AccountLocked { until_ms } if until_ms == until));

    // The right password is refused while locked, without counting.
    let error = directory
        .login("jdupont", PASSWORD, ip(1), until - 1)
        .unwrap_err();
    assert!(matches!(error, LoginError::AccountLocked { until_ms } if until_ms == until));
    let account = directory.account("jdupont").unwrap().unwrap();
    assert_eq!(account.locked_until_ms, Some(until));

    // Once lockout_for has passed, it works again, and the count restarted.
    let session = directory.login("jdupont", PASSWORD, ip(1), until).unwrap();
    assert_eq!(session.account.login, "jdupont");
    assert_eq!(fx.outcomes(actions::LOGIN_FAILED).len(), 5);
    assert_eq!(
        fx.outcomes(actions::LOGIN_LOCKED).len(),
        2,
        "lock + refusal"
    );
    assert_eq!(fx.outcomes(actions::LOGIN), [AuditOutcome::Allowed]);
}

#[test]
fn a_success_resets_the_failure_count() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    for round in 0..3 {
        let at = T0 + round * 10;
        for i in 0..4 {
            let error = fx
                .directory
                .login("jdupont", "non", ip(1), at + i)
                .unwrap_err();
            assert!(matches!(error, LoginError::BadCredentials));
        }
        fx.directory
            .login("jdupont", PASSWORD, ip(2), at + 5)
            .unwrap();
    }
}

#[test]
fn the_lock_out_survives_a_restart() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    for i in 0..5 {
        fx.directory
            .login("jdupont", "non", ip(1), T0 + i)
            .unwrap_err();
    }
    let fx = fx.reopen();
    let error = fx
        .directory
        .login("jdupont", PASSWORD, ip(2), T0 + MINUTE)
        .unwrap_err();
    assert!(
        matches!(error, LoginError::AccountLocked { .. }),
        "{error:?}"
    );
    assert_eq!(fx.outcomes(actions::LOGIN_LOCKED), [AuditOutcome::Failed]);
}

#[test]
fn an_address_making_too_many_attempts_is_throttled_for_the_rest_of_the_minute() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    for i in 0..30 {
        let error = fx
            .directory
            .login(&format!("inconnu{i}"), "x", ip(7), T0 + i64::from(i) * 1000)
            .unwrap_err();
        assert!(matches!(error, LoginError::BadCredentials), "{error:?}");
    }
    // The 31st attempt within the minute is refused before any check, even
    // with the right password.
    let error = fx
        .directory
        .login("jdupont", PASSWORD, ip(7), T0 + 30_000)
        .unwrap_err();
    assert!(
        matches!(error, LoginError::AddressThrottled { retry_after_s: 30 }),
        "{error:?}"
    );
    assert!(error.to_string().contains("30 s"));

    // Another address is not affected; the first one is again once the
    // oldest attempt leaves the window.
    fx.directory
        .login("jdupont", PASSWORD, ip(8), T0 + 30_000)
        .unwrap();
    fx.directory
        .login("jdupont", PASSWORD, ip(7), T0 + MINUTE)
        .unwrap();
    let throttled = fx.audited(actions::LOGIN_LOCKED);
    assert_eq!(throttled.len(), 1);
    assert_eq!(throttled[0].source, "10.0.0.7");
    assert!(throttled[0].detail.contains("adresse"));
}

#[test]
fn unknown_login_and_wrong_password_look_the_same() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let unknown = fx
        .directory
        .login("personne", PASSWORD, ip(1), T0)
        .unwrap_err();
    let wrong = fx
        .directory
        .login("jdupont", "mauvais", ip(1), T0)
        .unwrap_err();
    assert!(matches!(unknown, LoginError::BadCredentials));
    assert!(matches!(wrong, LoginError::BadCredentials));
    assert_eq!(unknown.to_string(), wrong.to_string());

    // An unknown login also locks after five failures, like a real one.
    let mut last = None;
    for i in 1..5 {
        last = Some(
            fx.directory
                .login("personne", "x", ip(1), T0 + i)
                .unwrap_err(),
        );
    }
    assert!(
        matches!(last, Some(LoginError::AccountLocked { .. })),
        "{last:?}"
    );

    // The audit tells them apart, for the security team.
    let failed = fx.audited(actions::LOGIN_FAILED);
    assert_eq!(failed[0].actor, "-");
    assert_eq!(failed[0].target.as_deref(), Some("personne"));
    assert_eq!(failed[0].detail, "identifiant inconnu");
    assert_eq!(failed[1].actor, "jdupont");
    assert_eq!(failed[1].role.as_deref(), Some("infirmier"));
    assert!(
        failed[1]
            .detail
            .contains("mot de passe erroné (échec 1 sur 5)")
    );
}

#[test]
fn logins_are_read_without_case_or_surrounding_spaces() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let session = fx
        .directory
        .login("  JDupont ", PASSWORD, ip(1), T0)
        .unwrap();
    assert_eq!(session.account.login, "jdupont");
}

#[test]
fn a_disabled_account_is_refused_only_after_a_right_password() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let session = fx.login("jdupont", T0);
    fx.directory
        .disable_user("jdupont", &Actor::cli(), T0 + 1)
        .unwrap();
    assert!(
        fx.directory.session(&session.token, T0 + 2).is_none(),
        "sessions end"
    );

    let wrong = fx
        .directory
        .login("jdupont", "mauvais", ip(1), T0 + 3)
        .unwrap_err();
    assert!(matches!(wrong, LoginError::BadCredentials));
    let right = fx
        .directory
        .login("jdupont", PASSWORD, ip(1), T0 + 4)
        .unwrap_err();
    assert!(matches!(right, LoginError::Disabled));
    assert!(right.to_string().contains("désactivé"));
    assert!(fx.directory.account("jdupont").unwrap().unwrap().disabled);

    fx.directory
        .enable_user("jdupont", &Actor::cli(), T0 + 5)
        .unwrap();
    fx.directory
        .login("jdupont", PASSWORD, ip(1), T0 + 6)
        .unwrap();
    assert_eq!(fx.outcomes(actions::USER_DISABLE), [AuditOutcome::Allowed]);
    assert_eq!(fx.outcomes(actions::USER_ENABLE), [AuditOutcome::Allowed]);
}

/// The password hash stored for `login`, read straight from auth.db.
fn stored_hash(fx: &Fixture, login: &str) -> String {
    let conn = ckisa_store_sqlite::key::open_keyed(
        &fx.dir.path().join("auth.db"),
        &fx.key,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.query_row(
        "SELECT password_hash FROM accounts WHERE login = ?1",
        [login],
        |row| row.get(0),
    )
    .unwrap()
}

#[test]
fn a_login_upgrades_a_hash_made_with_older_parameters() {
    let fx = Fixture::new();
    fx.add("ide", Role::Nurse, "*");
    let old = stored_hash(&fx, "ide");
    assert!(old.contains("m=8,t=1,p=1"), "{old}");
    // The node restarts with stronger parameters: the old hash still
    // verifies, and the login stores a new one made with them.
    let Fixture {
        dir,
        key,
        directory,
        ..
    } = fx;
    drop(directory);
    let stronger = AuthOptions {
        argon: ArgonParams {
            m_kib: 16,
            t: 2,
            p: 1,
        },
        ..options()
    };
    let sink = std::sync::Arc::new(ckisa_audit::MemorySink::default());
    let directory = Directory::open(dir.path(), &key, stronger, sink.clone()).unwrap();
    let fx = Fixture {
        dir,
        key,
        sink,
        directory,
    };
    fx.directory.login("ide", PASSWORD, ip(1), T0).unwrap();
    let new = stored_hash(&fx, "ide");
    assert!(new.contains("m=16,t=2,p=1"), "{new}");
    assert_ne!(new, old);
    // And it verifies: the next login works, and keeps it.
    fx.directory.login("ide", PASSWORD, ip(1), T0 + 1).unwrap();
    assert_eq!(stored_hash(&fx, "ide"), new);
    assert!(
        fx.directory
            .login("ide", "not the password", ip(1), T0 + 2)
            .is_err()
    );
}
