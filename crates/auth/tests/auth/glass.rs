//! Break-the-glass: who may, with which reason, for how long.

use ckisa_audit::{AuditOutcome, actions};
use ckisa_auth::{AuthError, Role};

use crate::common::{Fixture, MINUTE, T0, ip};

const REASON: &str = "  Patient transféré aux urgences, traitement à vérifier  ";

#[test]
fn a_nurse_breaks_the_glass_for_four_hours() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    let grant = fx
        .directory
        .break_glass(&token, "ipp:123456", REASON, ip(1), T0 + 1)
        .unwrap();
    assert_eq!(grant.reason, REASON.trim());
    assert_eq!(grant.until_ms, T0 + 1 + 240 * MINUTE);
    assert_eq!(grant.source, "10.0.0.1");

    assert_eq!(
        fx.directory.grant("jdupont", "ipp:123456", T0 + 2),
        Some(grant.clone())
    );
    assert!(fx.directory.grant("jdupont", "ipp:999", T0 + 2).is_none());
    assert!(fx.directory.grant("autre", "ipp:123456", T0 + 2).is_none());
    assert!(
        fx.directory
            .grant("jdupont", "ipp:123456", grant.until_ms - 1)
            .is_some()
    );
    assert!(
        fx.directory
            .grant("jdupont", "ipp:123456", grant.until_ms)
            .is_none()
    );

    assert_eq!(fx.directory.grants_since(T0).unwrap(), vec![grant.clone()]);
    assert!(fx.directory.grants_since(T0 + 2).unwrap().is_empty());
    let audited = &fx.audited(actions::BREAK_GLASS)[0];
    assert_eq!(audited.outcome, AuditOutcome::Allowed);
    assert_eq!(audited.patient.as_deref(), Some("ipp:123456"));
    assert_eq!(audited.detail, REASON.trim());
}

#[test]
fn grants_survive_a_restart() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Physician, "REA");
    let token = fx.login("jdupont", T0).token;
    fx.directory
        .break_glass(&token, "ipp:1", REASON, ip(1), T0)
        .unwrap();
    let token = fx.login("jdupont", T0 + 60 * MINUTE).token;
    fx.directory
        .break_glass(&token, "ipp:2", REASON, ip(1), T0 + 60 * MINUTE)
        .unwrap();
    let fx = fx.reopen();
    assert!(
        fx.directory
            .grant("jdupont", "ipp:1", T0 + 90 * MINUTE)
            .is_some()
    );
    assert!(
        fx.directory
            .grant("jdupont", "ipp:2", T0 + 90 * MINUTE)
            .is_some()
    );
    let all = fx.directory.grants_since(0).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].patient, "ipp:2", "latest first");
}

#[test]
fn roles_without_break_the_glass_and_short_reasons_are_refused() {
    let fx = Fixture::new();
    fx.add("secu", Role::ItSecurity, "*");
    fx.add("crise", Role::CrisisDirector, "");
    fx.add("jdupont", Role::Nurse, "REA");
    for login in ["secu", "crise"] {
        let token = fx.login(login, T0).token;
        let error = fx
            .directory
            .break_glass(&token, "ipp:1", REASON, ip(1), T0)
            .unwrap_err();
        assert!(matches!(error, AuthError::NotAllowed), "{login}: {error:?}");
        assert!(fx.directory.grant(login, "ipp:1", T0).is_none());
    }
    let token = fx.login("jdupont", T0).token;
    let error = fx
        .directory
        .break_glass(&token, "ipp:1", "  urgence  ", ip(1), T0)
        .unwrap_err();
    assert!(
        matches!(error, AuthError::ReasonTooShort { min: 10 }),
        "{error:?}"
    );
    let error = fx
        .directory
        .break_glass(&token, " ", REASON, ip(1), T0)
        .unwrap_err();
    assert!(matches!(error, AuthError::MissingPatient));
    let error = fx
        .directory
        .break_glass("pas-une-session", "ipp:1", REASON, ip(1), T0);
    assert!(matches!(error, Err(AuthError::NoSession)));
    assert!(fx.directory.grants_since(0).unwrap().is_empty());
    assert_eq!(fx.outcomes(actions::BREAK_GLASS), [AuditOutcome::Denied; 4]);
}
