//! Every act the directory performs is audited with the right action and
//! outcome, and no password, PIN or token ever reaches the trail.

use std::collections::HashSet;

use ckisa_audit::{AuditOutcome, AuditRecord, actions};
use ckisa_auth::{Action, Actor, NewUser, Role, Scope};

use crate::common::{Fixture, MINUTE, PASSWORD, T0, admin_actor, ip};

const NEW_PASSWORD: &str = "nouveau-mot-de-passe-long";
const PIN: &str = "482193";
const TYPED_WRONG: &str = "Faux-Mot-De-Passe!";

fn fields(record: &AuditRecord) -> Vec<String> {
    let mut fields = vec![
        record.actor.clone(),
        record.source.clone(),
        record.action.clone(),
        record.detail.clone(),
    ];
    fields.extend(record.role.clone());
    fields.extend(record.patient.clone());
    fields.extend(record.target.clone());
    fields
}

#[test]
fn every_act_is_audited_and_no_secret_is_written() {
    let fx = Fixture::new();
    let d = &fx.directory;
    let admin = admin_actor();
    let mut secrets = vec![
        PASSWORD.to_owned(),
        NEW_PASSWORD.into(),
        PIN.into(),
        TYPED_WRONG.into(),
    ];

    // Accounts.
    let added = d
        .add_user(
            &NewUser {
                login: "jdupont".into(),
                display_name: "Jeanne Dupont".into(),
                role: Role::Nurse,
                scope: Scope::parse("REA"),
                password: Some(PASSWORD.into()),
                must_change: false,
            },
            &admin,
            T0,
        )
        .unwrap();
    secrets.push(added);
    d.set_role("jdupont", Role::Physician, &Scope::parse("REA"), &admin, T0)
        .unwrap();

    // Logins: failures (wrong password, unknown login, password typed in
    // the login field), lock-out, throttling, success.
    d.login("jdupont", TYPED_WRONG, ip(1), T0).unwrap_err();
    d.login("inconnu", TYPED_WRONG, ip(1), T0).unwrap_err();
    d.login(TYPED_WRONG, PASSWORD, ip(1), T0).unwrap_err();
    for i in 0..4 {
        d.login("jdupont", TYPED_WRONG, ip(2), T0 + i).unwrap_err();
    }
    d.login("jdupont", PASSWORD, ip(3), T0 + 10).unwrap_err();
    secrets.push(d.reset_password("jdupont", &admin, T0 + 20).unwrap());
    let temporary = secrets.last().cloned().unwrap();
    for i in 0..30 {
        d.login("x", "y", ip(4), T0 + i).unwrap_err();
    }

    // Sessions: login, password change, PIN, lock, unlock, break-the-glass,
    // logout, logout everywhere, expiry.
    let session = d.login("jdupont", &temporary, ip(1), T0 + 30).unwrap();
    secrets.push(session.token.clone());
    secrets.push(session.csrf.clone());
    d.change_password(&session.token, &temporary, NEW_PASSWORD, ip(1), T0 + 31)
        .unwrap();
    d.set_pin(&session.token, PIN, ip(1), T0 + 32).unwrap();
    d.lock(&session.token, ip(1), T0 + 33);
    d.unlock(&session.token, "000000", ip(1), T0 + 34)
        .unwrap_err();
    d.unlock(&session.token, PIN, ip(1), T0 + 35).unwrap();
    d.break_glass(
        &session.token,
        "ipp:1",
        "Transfert depuis les urgences",
        ip(1),
        T0 + 36,
    )
    .unwrap();
    d.logout(&session.token, ip(1), T0 + 37);
    let other = d.login("jdupont", NEW_PASSWORD, ip(1), T0 + 38).unwrap();
    secrets.push(other.token.clone());
    d.logout_everywhere("jdupont", &admin, T0 + 39);
    let idle = d.login("jdupont", NEW_PASSWORD, ip(1), T0 + 40).unwrap();
    secrets.push(idle.token.clone());
    assert!(d.session(&idle.token, T0 + 40 + 15 * MINUTE).is_none());

    // Administration: disable, enable, tokens.
    d.disable_user("jdupont", &admin, T0 + 50).unwrap();
    d.login("jdupont", NEW_PASSWORD, ip(1), T0 + 51)
        .unwrap_err();
    d.enable_user("jdupont", &admin, T0 + 52).unwrap();
    secrets.push(
        d.create_token("supervision", &[Action::Metrics], &Actor::cli(), T0 + 53)
            .unwrap(),
    );
    d.revoke_token("supervision", &Actor::cli(), T0 + 54)
        .unwrap();

    let records = fx.sink.records();
    let seen: HashSet<(&str, AuditOutcome)> = records
        .iter()
        .map(|r| (r.action.as_str(), r.outcome))
        .collect();
    use AuditOutcome::{Allowed, Failed};
    for expected in [
        (actions::USER_ADD, Allowed),
        (actions::USER_ROLE, Allowed),
        (actions::LOGIN_FAILED, Failed),
        (actions::LOGIN_LOCKED, Failed),
        (actions::USER_RESET, Allowed),
        (actions::LOGIN, Allowed),
        (actions::PASSWORD_CHANGE, Allowed),
        (actions::PIN_SET, Allowed),
        (actions::SESSION_LOCK, Allowed),
        (actions::SESSION_UNLOCK, Failed),
        (actions::SESSION_UNLOCK, Allowed),
        (actions::BREAK_GLASS, Allowed),
        (actions::LOGOUT, Allowed),
        (actions::LOGOUT_EVERYWHERE, Allowed),
        (actions::SESSION_EXPIRED, Allowed),
        (actions::USER_DISABLE, Allowed),
        (actions::USER_ENABLE, Allowed),
        (actions::TOKEN_CREATE, Allowed),
        (actions::TOKEN_REVOKE, Allowed),
    ] {
        assert!(seen.contains(&expected), "missing {expected:?}");
    }

    // Who, from where and on which account is always said.
    for record in &records {
        assert!(!record.source.is_empty(), "{record:?}");
        assert!(record.target.is_some(), "{record:?}");
        assert!(!record.detail.is_empty(), "{record:?}");
    }
    let login = records.iter().find(|r| r.action == actions::LOGIN).unwrap();
    assert_eq!(login.actor, "jdupont");
    assert_eq!(login.role.as_deref(), Some("medecin"));
    assert_eq!(login.source, "10.0.0.1");
    let reset = records
        .iter()
        .find(|r| r.action == actions::USER_RESET)
        .unwrap();
    assert_eq!(
        (reset.actor.as_str(), reset.source.as_str()),
        ("admin", "10.0.0.9")
    );
    let token = records
        .iter()
        .find(|r| r.action == actions::TOKEN_CREATE)
        .unwrap();
    assert_eq!(
        (token.actor.as_str(), token.source.as_str()),
        ("cli", "cli")
    );

    // No secret anywhere, in any form the trail keeps.
    for record in &records {
        for field in fields(record) {
            for secret in &secrets {
                assert!(!field.contains(secret.as_str()), "secret in {record:?}");
            }
        }
    }
}

/// A trail that refuses every durable entry (disk full, writer stopped).
struct FailingSink;

impl ckisa_audit::AuditSink for FailingSink {
    fn append(&self, _record: AuditRecord) {}

    fn append_durable(&self, _record: AuditRecord) -> Result<(), ckisa_audit::AuditError> {
        Err(ckisa_audit::AuditError::Unavailable("test".into()))
    }
}

#[test]
fn acts_that_open_access_are_refused_when_the_trail_fails_and_restricting_acts_still_apply() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let session = fx.login("jdupont", T0);
    let Fixture {
        dir,
        key,
        directory,
        ..
    } = fx;
    drop(directory);
    let failing = std::sync::Arc::new(FailingSink);
    let directory =
        ckisa_auth::Directory::open(dir.path(), &key, crate::common::options(), failing).unwrap();

    let error = directory
        .login("jdupont", PASSWORD, ip(1), T0 + 1)
        .unwrap_err();
    assert!(
        matches!(
            error,
            ckisa_auth::LoginError::Directory(ckisa_auth::AuthError::Audit(_))
        ),
        "{error:?}"
    );
    let add = NewUser {
        login: "autre".into(),
        display_name: String::new(),
        role: Role::Nurse,
        scope: Scope::AllUnits,
        password: None,
        must_change: true,
    };
    assert!(directory.add_user(&add, &Actor::cli(), T0).is_err());
    assert!(directory.account("autre").unwrap().is_none(), "rolled back");

    // Ending access still works without the trail.
    assert!(directory.session(&session.token, T0 + 2).is_some());
    directory
        .disable_user("jdupont", &Actor::cli(), T0 + 3)
        .unwrap();
    assert!(directory.session(&session.token, T0 + 4).is_none());
    assert!(directory.account("jdupont").unwrap().unwrap().disabled);
}
