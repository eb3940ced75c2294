//! Account administration: who may, login and password rules, imports.

use ckisa_audit::{AuditOutcome, actions};
use ckisa_auth::{Actor, AuthError, NewUser, Role, Scope, import};

use crate::common::{Fixture, PASSWORD, T0, admin_actor, ip};

fn user(login: &str, password: Option<&str>) -> NewUser {
    NewUser {
        login: login.into(),
        display_name: "Jeanne Dupont".into(),
        role: Role::Nurse,
        scope: Scope::parse("REA"),
        password: password.map(str::to_owned),
        must_change: false,
    }
}

#[test]
fn only_administrators_and_the_cli_manage_accounts() {
    let fx = Fixture::new();
    let nurse = Actor {
        login: "jdupont".into(),
        role: Some(Role::Nurse),
        source: "10.0.0.1".into(),
    };
    let error = fx
        .directory
        .add_user(&user("a", None), &nurse, T0)
        .unwrap_err();
    assert!(matches!(error, AuthError::NotAllowed));
    let denied = &fx.audited(actions::USER_ADD)[0];
    assert_eq!(denied.outcome, AuditOutcome::Denied);
    assert_eq!(denied.actor, "jdupont");

    fx.directory
        .add_user(&user("a", None), &admin_actor(), T0)
        .unwrap();
    fx.directory
        .add_user(&user("b", None), &Actor::cli(), T0)
        .unwrap();
    for result in [
        fx.directory.disable_user("a", &nurse, T0),
        fx.directory.enable_user("a", &nurse, T0),
        fx.directory.reset_password("a", &nurse, T0).map(drop),
        fx.directory
            .set_role("a", Role::Administrator, &Scope::AllUnits, &nurse, T0),
    ] {
        assert!(matches!(result, Err(AuthError::NotAllowed)), "{result:?}");
    }
    let logins: Vec<String> = fx
        .directory
        .accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.login)
        .collect();
    assert_eq!(logins, ["a", "b"]);
}

#[test]
fn logins_and_initial_passwords_follow_the_rules() {
    let fx = Fixture::new();
    let cli = Actor::cli();
    let error = fx
        .directory
        .add_user(&user("Jeanne Dupont", None), &cli, T0)
        .unwrap_err();
    assert!(matches!(error, AuthError::InvalidLogin(_)));
    assert!(error.to_string().contains("majuscule « J »"), "{error}");
    let error = fx
        .directory
        .add_user(&user("jd", Some("court")), &cli, T0)
        .unwrap_err();
    assert!(matches!(error, AuthError::WeakPassword(_)));
    assert!(error.to_string().contains("12 caractères"));

    fx.directory
        .add_user(&user("jd", Some(PASSWORD)), &cli, T0)
        .unwrap();
    let error = fx
        .directory
        .add_user(&user("jd", None), &cli, T0)
        .unwrap_err();
    assert!(matches!(error, AuthError::DuplicateLogin(_)));
    let account = fx.directory.account("jd").unwrap().unwrap();
    assert_eq!(account.display_name, "Jeanne Dupont");
    assert_eq!(account.created_ms, T0);
    assert!(!account.must_change && !account.has_pin && !account.disabled);
    assert!(fx.directory.account("inconnu").unwrap().is_none());
    let session = fx.directory.login("jd", PASSWORD, ip(1), T0 + 5).unwrap();
    assert_eq!(session.account.last_login_ms, Some(T0 + 5));
    assert!(matches!(
        fx.directory.disable_user("inconnu", &cli, T0),
        Err(AuthError::UnknownAccount(_))
    ));
}

#[test]
fn a_csv_import_adds_updates_and_reports() {
    let fx = Fixture::new();
    fx.add("mmartin", Role::Nurse, "REA");
    fx.add("pbernard", Role::Lab, "*");
    let text = "login;nom;role;unites\n\
                jdupont;Jeanne Dupont;infirmier;REA\n\
                mmartin;Personne mmartin;medecin;REA,URG\n\
                pbernard;Personne pbernard;laboratoire;*\n\
                Mauvais Login;X;infirmier;REA\n";
    let (users, problems) = import::parse_csv(text);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, 5);

    let report = fx.directory.import(&users, &admin_actor(), T0 + 1);
    assert_eq!(report.updated, ["mmartin"]);
    assert_eq!(report.unchanged, ["pbernard"]);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let (login, password) = &report.added[0];
    assert_eq!(login, "jdupont");
    assert_eq!(password.chars().count(), 16);
    let session = fx
        .directory
        .login("jdupont", password, ip(1), T0 + 2)
        .unwrap();
    assert!(session.account.must_change);

    // The updated account keeps its password and gets its new role.
    let session = fx
        .directory
        .login("mmartin", PASSWORD, ip(1), T0 + 3)
        .unwrap();
    assert_eq!(session.account.role, Role::Physician);
    assert_eq!(session.account.scope, Scope::parse("REA,URG"));
    let changes = fx.audited(actions::USER_ROLE);
    assert_eq!(changes.len(), 1);
    assert!(changes[0].detail.contains("infirmier → medecin"));

    // Importing again changes nothing and leaves passwords alone.
    let report = fx.directory.import(&users, &admin_actor(), T0 + 4);
    assert!(report.added.is_empty() && report.updated.is_empty());
    assert_eq!(report.unchanged, ["jdupont", "mmartin", "pbernard"]);
    assert!(report.problems.is_empty());
    fx.directory
        .login("jdupont", password, ip(1), T0 + 5)
        .unwrap();

    // A bad entry is reported by its position and does not stop the others.
    let mut bad = users[0].clone();
    bad.login = "Jeanne".into();
    let report = fx
        .directory
        .import(&[bad, users[1].clone()], &admin_actor(), T0 + 6);
    assert_eq!(report.unchanged, ["mmartin"]);
    assert_eq!(report.problems[0].line, 1);
    assert!(
        report.problems[0].reason.contains("majuscule"),
        "{:?}",
        report.problems
    );
}

#[test]
fn an_ldif_export_is_imported() {
    let fx = Fixture::new();
    let text = "dn: CN=Dupont Jeanne,OU=Soins,DC=chu,DC=fr\n\
                sAMAccountName: JDupont\n\
                displayName:: SmVhbm5lIETDqXBvbnQ=\n\
                employeeType: Infirmier\n\
                departmentNumber: REA\n\
                \n\
                dn: uid=x,ou=people\n\
                uid: x\n";
    let (users, problems) = import::parse_ldif(text);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, 8);
    let report = fx.directory.import(&users, &Actor::cli(), T0);
    assert_eq!(report.added.len(), 1);
    let account = fx.directory.account("jdupont").unwrap().unwrap();
    assert_eq!(account.display_name, "Jeanne Dépont");
    assert_eq!(account.role, Role::Nurse);
    assert!(account.must_change);
}

#[test]
fn an_import_by_a_non_administrator_does_nothing() {
    let fx = Fixture::new();
    let (users, _) = import::parse_csv("login;role\na;infirmier\n");
    let nurse = Actor {
        login: "n".into(),
        role: Some(Role::Nurse),
        source: "10.0.0.1".into(),
    };
    let report = fx.directory.import(&users, &nurse, T0);
    assert!(report.added.is_empty());
    assert_eq!(report.problems.len(), 1);
    assert!(fx.directory.accounts().unwrap().is_empty());
}
