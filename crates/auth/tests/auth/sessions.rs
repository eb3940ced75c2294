//! Sessions: reuse after logout, idle and absolute timeouts, logging out
//! everywhere, restarts, role changes seen at once.

use ckisa_audit::{AuditOutcome, actions};
use ckisa_auth::{Actor, Role, Scope};

use crate::common::{Fixture, MINUTE, T0, admin_actor, ip};

#[test]
fn a_logged_out_token_is_refused() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let session = fx.login("jdupont", T0);
    let view = fx.directory.session(&session.token, T0 + 1).unwrap();
    assert_eq!(view.account.login, "jdupont");
    assert!(view.csrf_matches(&session.csrf));
    assert!(!view.locked && !view.must_change);
    assert!(session.token.len() >= 32 && session.token != session.csrf);

    fx.directory.logout(&session.token, ip(1), T0 + 2);
    assert!(fx.directory.session(&session.token, T0 + 3).is_none());
    fx.directory.logout(&session.token, ip(1), T0 + 4);
    let logouts = fx.audited(actions::LOGOUT);
    assert_eq!(
        logouts.len(),
        1,
        "a second logout of the same token is a no-op"
    );
    assert!(logouts[0].detail.contains(&view.id));
    assert!(fx.directory.session("not-a-token", T0).is_none());
}

#[test]
fn idle_sessions_expire_and_use_keeps_them_alive() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    let view = fx.directory.session(&token, T0 + 14 * MINUTE).unwrap();
    assert_eq!(view.expires_ms, T0 + 29 * MINUTE);
    assert!(fx.directory.session(&token, T0 + 28 * MINUTE).is_some());
    assert!(fx.directory.session(&token, T0 + 43 * MINUTE).is_none());
    assert!(fx.directory.session(&token, T0 + 43 * MINUTE + 1).is_none());
    let expired = fx.audited(actions::SESSION_EXPIRED);
    assert_eq!(expired.len(), 1, "audited once");
    assert!(expired[0].detail.contains("inactivité"));
}

/// A live page's stream peeks at its session before each push: that must
/// not keep an unattended terminal's session alive.
#[test]
fn peeking_at_a_session_does_not_keep_it_alive() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    for minute in 1..15 {
        let view = fx
            .directory
            .peek_session(&token, T0 + minute * MINUTE)
            .unwrap();
        assert_eq!(view.expires_ms, T0 + 15 * MINUTE, "not touched");
    }
    assert!(
        fx.directory
            .peek_session(&token, T0 + 15 * MINUTE)
            .is_none()
    );
    assert!(fx.directory.session(&token, T0 + 15 * MINUTE).is_none());
}

#[test]
fn sessions_end_after_the_absolute_lifetime_however_used() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    let twelve_hours = 12 * 60 * MINUTE;
    let mut at = T0;
    while at + 10 * MINUTE < T0 + twelve_hours {
        at += 10 * MINUTE;
        assert!(fx.directory.session(&token, at).is_some(), "{}", at - T0);
    }
    let view = fx.directory.session(&token, T0 + twelve_hours - 1).unwrap();
    assert_eq!(view.expires_ms, T0 + twelve_hours);
    assert!(fx.directory.session(&token, T0 + twelve_hours).is_none());
    assert!(
        fx.audited(actions::SESSION_EXPIRED)[0]
            .detail
            .contains("durée maximale")
    );
}

#[test]
fn logout_everywhere_ends_every_session_of_the_account_only() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    fx.add("mmartin", Role::Physician, "*");
    let first = fx.login("jdupont", T0).token;
    let second = fx.login("jdupont", T0 + 1).token;
    let other = fx.login("mmartin", T0 + 2).token;

    // Another caregiver may not do it for someone else.
    let nurse = Actor {
        login: "mmartin".into(),
        role: Some(Role::Physician),
        source: "10.0.0.3".into(),
    };
    assert_eq!(fx.directory.logout_everywhere("jdupont", &nurse, T0 + 3), 0);
    assert!(fx.directory.session(&first, T0 + 4).is_some());
    assert_eq!(
        fx.outcomes(actions::LOGOUT_EVERYWHERE),
        [AuditOutcome::Denied]
    );

    assert_eq!(
        fx.directory
            .logout_everywhere("jdupont", &admin_actor(), T0 + 5),
        2
    );
    assert!(fx.directory.session(&first, T0 + 6).is_none());
    assert!(fx.directory.session(&second, T0 + 6).is_none());
    assert!(fx.directory.session(&other, T0 + 6).is_some());
    let records = fx.audited(actions::LOGOUT_EVERYWHERE);
    assert_eq!(records[1].outcome, AuditOutcome::Allowed);
    assert!(records[1].detail.contains("2 session(s)"));
}

#[test]
fn sessions_survive_a_restart_but_ended_ones_do_not_come_back() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let kept = fx.login("jdupont", T0);
    let ended = fx.login("jdupont", T0).token;
    let expired = fx.login("jdupont", T0).token;
    fx.directory.logout(&ended, ip(1), T0 + 1);
    fx.directory.session(&kept.token, T0 + 10 * MINUTE).unwrap();
    fx.directory.sweep(T0 + 10 * MINUTE);
    assert!(fx.directory.session(&expired, T0 + 16 * MINUTE).is_none());

    let fx = fx.reopen();
    // The idle time saved by the sweep keeps the used session alive.
    let view = fx.directory.session(&kept.token, T0 + 20 * MINUTE).unwrap();
    assert!(view.csrf_matches(&kept.csrf));
    assert!(fx.directory.session(&ended, T0 + 20 * MINUTE).is_none());
    assert!(fx.directory.session(&expired, T0 + 20 * MINUTE).is_none());
    assert!(
        fx.audited(actions::SESSION_EXPIRED).is_empty(),
        "the expiry was audited before the restart, not again"
    );
}

#[test]
fn sweep_ends_unused_sessions_and_audits_them() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let idle = fx.login("jdupont", T0).token;
    let used = fx.login("jdupont", T0).token;
    fx.directory.session(&used, T0 + 10 * MINUTE).unwrap();
    assert_eq!(fx.directory.sweep(T0 + 16 * MINUTE), 1);
    assert_eq!(fx.directory.sweep(T0 + 16 * MINUTE), 0);
    assert!(fx.directory.session(&idle, T0 + 16 * MINUTE).is_none());
    assert!(fx.directory.session(&used, T0 + 16 * MINUTE).is_some());
    assert_eq!(fx.audited(actions::SESSION_EXPIRED).len(), 1);
}

#[test]
fn role_and_unit_changes_apply_to_live_sessions_at_once() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    let units = Scope::parse("REA,URG");
    fx.directory
        .set_role("jdupont", Role::UnitManager, &units, &admin_actor(), T0 + 1)
        .unwrap();
    let view = fx.directory.session(&token, T0 + 2).unwrap();
    assert_eq!(view.account.role, Role::UnitManager);
    assert_eq!(view.account.scope, units);
    let records = fx.audited(actions::USER_ROLE);
    assert_eq!(
        records[0].detail,
        "rôle infirmier → cadre ; unités REA → REA,URG"
    );
    assert_eq!(records[0].actor, "admin");
}
