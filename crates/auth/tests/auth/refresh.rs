//! Two processes on one data folder: the node's directory sees what the
//! CLI's directory (another `Directory` on the same `auth.db`) committed,
//! once it refreshes (directly, or through `sweep`).

use std::sync::Arc;

use ckisa_audit::MemorySink;
use ckisa_auth::{Action, Actor, Directory, Role, Scope};
use ckisa_store_sqlite::key::open_keyed;
use rusqlite::OpenFlags;

use crate::common::{Fixture, MINUTE, T0, ip, options};

const REASON: &str = "Patient transféré aux urgences, traitement à vérifier";

/// The CLI's own directory on the fixture's folder (the fixture's directory
/// plays the running node).
fn cli(fx: &Fixture) -> Directory {
    let sink = Arc::new(MemorySink::default());
    Directory::open(fx.dir.path(), &fx.key, options(), sink).unwrap()
}

#[test]
fn a_token_revoked_by_the_cli_stops_working_after_a_refresh() {
    let fx = Fixture::new();
    let node = &fx.directory;
    let secret = node
        .create_token("supervision", &[Action::Metrics], &Actor::cli(), T0)
        .unwrap();
    let cli = cli(&fx);
    cli.revoke_token("supervision", &Actor::cli(), T0 + 1)
        .unwrap();
    // The hot path reads memory only: the change is not seen yet.
    assert!(node.check_token(&secret, T0 + 2).is_some());
    assert!(node.refresh(T0 + 2).unwrap());
    assert!(node.check_token(&secret, T0 + 3).is_none());
    assert!(!node.refresh(T0 + 3).unwrap(), "nothing new since");
}

#[test]
fn a_token_created_by_the_cli_works_after_a_refresh() {
    let fx = Fixture::new();
    let node = &fx.directory;
    let cli = cli(&fx);
    let secret = cli
        .create_token("export", &[Action::Metrics], &Actor::cli(), T0)
        .unwrap();
    assert!(node.check_token(&secret, T0 + 1).is_none());
    assert!(node.refresh(T0 + 1).unwrap());
    let info = node.check_token(&secret, T0 + 2).unwrap();
    assert_eq!(info.name, "export");
    assert!(info.allows(Action::Metrics));
}

#[test]
fn an_account_disabled_by_the_cli_loses_its_open_session() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    fx.add("autre", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    let other = fx.login("autre", T0).token;
    let cli = cli(&fx);
    cli.disable_user("jdupont", &Actor::cli(), T0 + 1).unwrap();
    assert!(fx.directory.refresh(T0 + 2).unwrap());
    assert!(fx.directory.session(&token, T0 + 2).is_none());
    assert!(fx.directory.session(&other, T0 + 2).is_some());

    // The session was ended, not merely hidden: enabling the account again
    // does not bring it back.
    cli.enable_user("jdupont", &Actor::cli(), T0 + 3).unwrap();
    assert!(fx.directory.refresh(T0 + 4).unwrap());
    assert!(fx.directory.session(&token, T0 + 4).is_none());
    assert!(fx.directory.session(&other, T0 + 4).is_some());
    assert!(
        fx.directory
            .login("jdupont", crate::common::PASSWORD, ip(1), T0 + 5)
            .is_ok()
    );
}

#[test]
fn a_role_change_by_the_cli_reaches_open_sessions() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    let cli = cli(&fx);
    let units = Scope::parse("URG");
    cli.set_role("jdupont", Role::UnitManager, &units, &Actor::cli(), T0 + 1)
        .unwrap();
    let before = fx.directory.session(&token, T0 + 2).unwrap();
    assert_eq!(before.account.scope, Scope::parse("REA"), "not yet seen");
    assert!(fx.directory.refresh(T0 + 2).unwrap());
    let view = fx.directory.session(&token, T0 + 3).unwrap();
    assert_eq!(view.account.role, Role::UnitManager);
    assert_eq!(view.account.scope, units);
    assert!(!view.account.scope.covers("REA"));
}

#[test]
fn a_password_reset_by_the_cli_ends_the_open_session() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    let cli = cli(&fx);
    let temporary = cli
        .reset_password("jdupont", &Actor::cli(), T0 + 1)
        .unwrap();
    assert!(fx.directory.refresh(T0 + 2).unwrap());
    assert!(fx.directory.session(&token, T0 + 2).is_none());
    // The node logs in with the new password and must change it.
    let session = fx
        .directory
        .login("jdupont", &temporary, ip(1), T0 + 3)
        .unwrap();
    assert!(session.account.must_change);
}

#[test]
fn a_logout_everywhere_by_the_cli_ends_the_open_sessions() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let first = fx.login("jdupont", T0).token;
    let second = fx.login("jdupont", T0 + 1).token;
    let cli = cli(&fx);
    cli.logout_everywhere("jdupont", &Actor::cli(), T0 + 2);
    assert!(fx.directory.refresh(T0 + 3).unwrap());
    assert!(fx.directory.session(&first, T0 + 3).is_none());
    assert!(fx.directory.session(&second, T0 + 3).is_none());
}

#[test]
fn sweep_refreshes_first() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    let cli = cli(&fx);
    cli.disable_user("jdupont", &Actor::cli(), T0 + 1).unwrap();
    fx.directory.sweep(T0 + 2);
    assert!(fx.directory.session(&token, T0 + 2).is_none());
    assert!(
        !fx.directory.refresh(T0 + 3).unwrap(),
        "sweep already did it"
    );
}

#[test]
fn what_the_node_made_itself_survives_a_reload() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let node = &fx.directory;
    let token = fx.login("jdupont", T0).token;
    let secret = node
        .create_token("supervision", &[Action::Metrics], &Actor::cli(), T0)
        .unwrap();
    let grant = node
        .break_glass(&token, "ipp:123456", REASON, ip(1), T0 + 1)
        .unwrap();
    node.lock(&token, ip(1), T0 + 2);

    // The node's own commits do not count as changes.
    assert!(!node.refresh(T0 + 3).unwrap());

    let cli = cli(&fx);
    cli.create_token("autre", &[Action::Metrics], &Actor::cli(), T0 + 4)
        .unwrap();
    assert!(node.refresh(T0 + 5).unwrap());
    assert!(node.check_token(&secret, T0 + 6).is_some());
    assert_eq!(node.grant("jdupont", "ipp:123456", T0 + 6), Some(grant));
    let view = node.session(&token, T0 + 6).unwrap();
    assert!(view.locked, "in-memory session state is kept");

    // Grants that ended before the refresh are not reloaded.
    cli.revoke_token("autre", &Actor::cli(), T0 + 7).unwrap();
    assert!(node.refresh(T0 + 300 * MINUTE).unwrap());
    assert!(node.grant("jdupont", "ipp:123456", T0 + 8).is_none());
}

#[test]
fn a_refresh_with_no_change_reloads_nothing() {
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    for n in 0..10_000 {
        assert!(!fx.directory.refresh(T0 + n).unwrap());
    }
    assert!(fx.directory.session(&token, T0 + 10_000).is_some());
}

#[test]
fn an_account_disabled_in_sql_loses_its_sessions_and_their_rows() {
    // Someone holding the key disables an account by hand, leaving its
    // session rows: the node drops the sessions and deletes the rows.
    let fx = Fixture::new();
    fx.add("jdupont", Role::Nurse, "REA");
    let token = fx.login("jdupont", T0).token;
    let raw = open_keyed(
        &fx.dir.path().join("auth.db"),
        &fx.key,
        OpenFlags::SQLITE_OPEN_READ_WRITE,
    )
    .unwrap();
    raw.execute("UPDATE accounts SET disabled = 1", []).unwrap();
    fx.directory.sweep(T0 + 1);
    assert!(fx.directory.session(&token, T0 + 1).is_none());
    let rows: i64 = raw
        .query_row("SELECT count(*) FROM sessions", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rows, 0);
    raw.execute("UPDATE accounts SET disabled = 0", []).unwrap();
    assert!(fx.directory.refresh(T0 + 2).unwrap());
    assert!(fx.directory.session(&token, T0 + 2).is_none());
}
