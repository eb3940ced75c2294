//! The demo node's accounts: one per role, with fixed, printed passwords,
//! so that a visitor logs in at once with any role and sees what it sees.
//!
//! They are created only when the directory has no account yet (first
//! start), and never on a real site (`serve` creates no account).

use ckisa_auth::{Actor, Directory, NewUser, Role, Scope};
use ckisa_store::UnitDefinition;

use crate::node::now_ms;
use crate::out;

/// Which units a demo account covers.
#[derive(Debug, Clone, Copy)]
enum Units {
    /// None (crisis roles, IT, administration).
    None,
    /// The first `n` units of the demo establishment.
    First(usize),
    /// Every unit.
    All,
}

/// One demo account: login, display name, role, units.
const ACCOUNTS: [(&str, &str, Role, Units); 10] = [
    (
        "directeur",
        "Directrice de crise (démo)",
        Role::CrisisDirector,
        Units::None,
    ),
    (
        "cellule",
        "Membre de la cellule de crise (démo)",
        Role::CrisisCellMember,
        Units::None,
    ),
    (
        "cadre",
        "Cadre de santé (démo)",
        Role::UnitManager,
        Units::First(2),
    ),
    (
        "infirmiere",
        "Infirmière (démo)",
        Role::Nurse,
        Units::First(2),
    ),
    (
        "medecin",
        "Médecin (démo)",
        Role::Physician,
        Units::First(4),
    ),
    (
        "pharmacien",
        "Pharmacien (démo)",
        Role::Pharmacist,
        Units::All,
    ),
    ("labo", "Laboratoire (démo)", Role::Lab, Units::All),
    ("rssi", "RSSI (démo)", Role::ItSecurity, Units::None),
    (
        "admin",
        "Administrateur (démo)",
        Role::Administrator,
        Units::None,
    ),
    (
        "observateur",
        "Observateur d'exercice (démo)",
        Role::ExerciseObserver,
        Units::None,
    ),
];

/// The fixed password of a demo account.
fn password(login: &str) -> String {
    format!("demo-{login}-2026")
}

fn scope(units: Units, establishment: &[UnitDefinition]) -> Scope {
    match units {
        Units::None => Scope::Units(Vec::new()),
        Units::All => Scope::AllUnits,
        Units::First(n) => {
            let codes: Vec<&str> = establishment
                .iter()
                .take(n)
                .map(|u| u.code.as_str())
                .collect();
            Scope::parse(&codes.join(","))
        }
    }
}

/// Creates the demo accounts if the directory has none yet; returns how
/// many were created.
pub(crate) fn ensure(directory: &Directory, units: &[UnitDefinition]) -> anyhow::Result<usize> {
    if !directory.accounts()?.is_empty() {
        return Ok(0);
    }
    let now = now_ms();
    for (login, name, role, reach) in ACCOUNTS {
        let user = NewUser {
            login: login.to_owned(),
            display_name: name.to_owned(),
            role,
            scope: scope(reach, units),
            password: Some(password(login)),
            must_change: false,
        };
        directory.add_user(&user, &Actor::cli(), now)?;
    }
    Ok(ACCOUNTS.len())
}

/// Prints the demo accounts as a small table.
pub(crate) fn print(units: &[UnitDefinition]) {
    out::line("Comptes de démonstration (mots de passe FIXES, pour la démonstration seulement) :");
    let rows: Vec<[String; 4]> = ACCOUNTS
        .iter()
        .map(|(login, _, role, reach)| {
            let shown = match scope(*reach, units) {
                Scope::AllUnits => String::from("toutes"),
                Scope::Units(codes) if codes.is_empty() => String::from("—"),
                Scope::Units(codes) => codes.join(","),
            };
            [
                (*login).to_owned(),
                role.code().to_owned(),
                shown,
                password(login),
            ]
        })
        .collect();
    let header = [
        String::from("identifiant"),
        String::from("rôle"),
        String::from("unités"),
        String::from("mot de passe"),
    ];
    for line in crate::out::table(&header, &rows) {
        out::line(&format!("  {line}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_has_one_demo_account_with_a_valid_password() {
        for role in Role::ALL {
            assert_eq!(
                ACCOUNTS.iter().filter(|(_, _, r, _)| *r == role).count(),
                1,
                "{role}"
            );
        }
        for (login, ..) in ACCOUNTS {
            ckisa_auth::rules::check_login(login).unwrap();
            ckisa_auth::rules::check_password(login, &password(login), None).unwrap();
        }
        assert!(ACCOUNTS.iter().any(|(login, ..)| *login == "infirmiere"));
    }

    #[test]
    fn unit_scopes_take_the_first_units() {
        let units: Vec<UnitDefinition> = ["A", "B", "C"]
            .iter()
            .map(|code| UnitDefinition {
                code: (*code).to_owned(),
                name: (*code).to_owned(),
                beds: Vec::new(),
            })
            .collect();
        assert_eq!(
            scope(Units::First(2), &units),
            Scope::Units(vec!["A".into(), "B".into()])
        );
        assert_eq!(
            scope(Units::First(4), &units),
            Scope::Units(vec!["A".into(), "B".into(), "C".into()])
        );
    }
}
