//! API tokens: creation, checks, revocation, and who may manage them.

use ckisa_audit::{AuditOutcome, actions};
use ckisa_auth::{Action, Actor, AuthError, Role, TOKEN_PREFIX};

use crate::common::{Fixture, T0, admin_actor};

#[test]
fn a_token_is_checked_by_its_secret_and_stops_working_when_revoked() {
    let fx = Fixture::new();
    let scopes = [Action::NodeStatus, Action::Metrics, Action::Metrics];
    let secret = fx
        .directory
        .create_token("supervision", &scopes, &admin_actor(), T0)
        .unwrap();
    assert!(secret.starts_with(TOKEN_PREFIX));
    assert_eq!(secret.len(), TOKEN_PREFIX.len() + 64);

    let info = fx.directory.check_token(&secret, T0 + 1).unwrap();
    assert_eq!(info.name, "supervision");
    assert_eq!(info.scopes, [Action::NodeStatus, Action::Metrics]);
    assert!(info.allows(Action::Metrics) && !info.allows(Action::AuditExport));

    let mut wrong = secret.clone();
    wrong.pop();
    wrong.push(if secret.ends_with('0') { '1' } else { '0' });
    assert!(fx.directory.check_token(&wrong, T0).is_none());
    assert!(
        fx.directory
            .check_token(&secret[TOKEN_PREFIX.len()..], T0)
            .is_none()
    );
    assert!(fx.directory.check_token("", T0).is_none());

    fx.directory
        .revoke_token("supervision", &admin_actor(), T0 + 2)
        .unwrap();
    assert!(fx.directory.check_token(&secret, T0 + 3).is_none());
    let listed = fx.directory.tokens().unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].revoked);
    assert_eq!(fx.outcomes(actions::TOKEN_CREATE), [AuditOutcome::Allowed]);
    assert_eq!(fx.outcomes(actions::TOKEN_REVOKE), [AuditOutcome::Allowed]);
}

#[test]
fn tokens_survive_a_restart() {
    let fx = Fixture::new();
    let live = fx
        .directory
        .create_token("a", &[Action::Metrics], &Actor::cli(), T0)
        .unwrap();
    let gone = fx
        .directory
        .create_token("b", &[Action::Metrics], &Actor::cli(), T0)
        .unwrap();
    fx.directory.revoke_token("b", &Actor::cli(), T0).unwrap();
    let fx = fx.reopen();
    assert_eq!(fx.directory.check_token(&live, T0).unwrap().name, "a");
    assert!(fx.directory.check_token(&gone, T0).is_none());
}

#[test]
fn token_rules_and_permissions() {
    let fx = Fixture::new();
    let cli = Actor::cli();
    let nurse = Actor {
        login: "jdupont".into(),
        role: Some(Role::Nurse),
        source: "10.0.0.1".into(),
    };
    let denied = fx
        .directory
        .create_token("x", &[Action::Metrics], &nurse, T0);
    assert!(matches!(denied, Err(AuthError::NotAllowed)));
    assert_eq!(fx.outcomes(actions::TOKEN_CREATE), [AuditOutcome::Denied]);
    assert!(matches!(
        fx.directory.create_token("x", &[], &cli, T0),
        Err(AuthError::NoTokenScopes)
    ));
    assert!(matches!(
        fx.directory
            .create_token("x", &[Action::BreakGlass], &cli, T0),
        Err(AuthError::ScopeNotForTokens("patient.break-glass"))
    ));
    // The audit is read in pages by a person, never through a token.
    assert!(matches!(
        fx.directory
            .create_token("x", &[Action::AuditRead], &cli, T0),
        Err(AuthError::ScopeNotForTokens("audit.read"))
    ));
    assert!(matches!(
        fx.directory
            .create_token("Mauvais Nom", &[Action::Metrics], &cli, T0),
        Err(AuthError::InvalidTokenName(_))
    ));
    fx.directory
        .create_token("x", &[Action::Metrics], &cli, T0)
        .unwrap();
    assert!(matches!(
        fx.directory.create_token("x", &[Action::Metrics], &cli, T0),
        Err(AuthError::DuplicateToken(_))
    ));
    assert!(matches!(
        fx.directory.revoke_token("y", &cli, T0),
        Err(AuthError::UnknownToken(_))
    ));
    assert!(matches!(
        fx.directory.revoke_token("x", &nurse, T0),
        Err(AuthError::NotAllowed)
    ));
}
