//! The roles a ckisa account can hold, and the units an account is scoped to.

use std::fmt;

/// What a person does in the hospital during the crisis. One role per
/// account; a person with two jobs gets two accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Directs the crisis cell.
    CrisisDirector,
    /// Member of the crisis cell.
    CrisisCellMember,
    /// Head nurse or manager of one or more units.
    UnitManager,
    /// Nurse or care assistant.
    Nurse,
    /// Physician, intern or midwife.
    Physician,
    /// Hospital pharmacist.
    Pharmacist,
    /// Laboratory staff.
    Lab,
    /// IT and information-security staff: feeds, quarantine, audit.
    ItSecurity,
    /// Manages the accounts of the node.
    Administrator,
    /// Watches a crisis exercise without taking part.
    ExerciseObserver,
}

impl Role {
    /// Every role, in the order the documentation and the matrix list them.
    pub const ALL: [Role; 10] = [
        Role::CrisisDirector,
        Role::CrisisCellMember,
        Role::UnitManager,
        Role::Nurse,
        Role::Physician,
        Role::Pharmacist,
        Role::Lab,
        Role::ItSecurity,
        Role::Administrator,
        Role::ExerciseObserver,
    ];

    /// The stable code of the role, used in the CLI, the import files, the
    /// database and the audit trail.
    pub fn code(self) -> &'static str {
        match self {
            Role::CrisisDirector => "directeur-crise",
            Role::CrisisCellMember => "cellule-crise",
            Role::UnitManager => "cadre",
            Role::Nurse => "infirmier",
            Role::Physician => "medecin",
            Role::Pharmacist => "pharmacien",
            Role::Lab => "laboratoire",
            Role::ItSecurity => "securite-si",
            Role::Administrator => "administrateur",
            Role::ExerciseObserver => "observateur",
        }
    }

    /// The role with this code (see [`Role::code`]), ignoring ASCII case.
    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|role| role.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The role's name in French, for pages.
    pub fn label_fr(self) -> &'static str {
        match self {
            Role::CrisisDirector => "Directeur de crise",
            Role::CrisisCellMember => "Membre de la cellule de crise",
            Role::UnitManager => "Cadre de santé",
            Role::Nurse => "Infirmier",
            Role::Physician => "Médecin",
            Role::Pharmacist => "Pharmacien",
            Role::Lab => "Laboratoire",
            Role::ItSecurity => "Sécurité SI",
            Role::Administrator => "Administrateur",
            Role::ExerciseObserver => "Observateur d'exercice",
        }
    }

    /// The role's name in English, for pages.
    pub fn label_en(self) -> &'static str {
        match self {
            Role::CrisisDirector => "Crisis director",
            Role::CrisisCellMember => "Crisis cell member",
            Role::UnitManager => "Unit manager",
            Role::Nurse => "Nurse",
            Role::Physician => "Physician",
            Role::Pharmacist => "Pharmacist",
            Role::Lab => "Laboratory",
            Role::ItSecurity => "IT security",
            Role::Administrator => "Administrator",
            Role::ExerciseObserver => "Exercise observer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The units an account works in. For caregivers, the units whose patients
/// they see; for crisis roles, the units whose charts they were granted
/// (none by default: the crisis cell sees aggregates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every unit of the establishment (a pharmacist, a lab, an on-call
    /// physician).
    AllUnits,
    /// These unit codes only (possibly none).
    Units(Vec<String>),
}

impl Scope {
    /// Whether the unit `code` is in the scope.
    pub fn covers(&self, code: &str) -> bool {
        match self {
            Scope::AllUnits => true,
            Scope::Units(codes) => codes.iter().any(|c| c == code),
        }
    }

    /// Parses the scope as written in the CLI and import files: `*` for every
    /// unit, else unit codes separated by commas or semicolons; empty for
    /// none.
    pub fn parse(text: &str) -> Scope {
        let text = text.trim();
        if text == "*" {
            return Scope::AllUnits;
        }
        let mut codes: Vec<String> = text
            .split([',', ';'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        codes.sort();
        codes.dedup();
        Scope::Units(codes)
    }

    /// The scope as [`Scope::parse`] reads it back.
    pub fn to_text(&self) -> String {
        match self {
            Scope::AllUnits => "*".to_owned(),
            Scope::Units(codes) => codes.join(","),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
            assert_eq!(Role::from_code(&role.code().to_uppercase()), Some(role));
        }
        assert_eq!(Role::from_code("chef"), None);
    }

    #[test]
    fn scopes_parse_and_cover() {
        assert_eq!(Scope::parse("*"), Scope::AllUnits);
        let scope = Scope::parse(" REA ; CARDIO,REA, ");
        assert_eq!(scope, Scope::Units(vec!["CARDIO".into(), "REA".into()]));
        assert!(scope.covers("REA"));
        assert!(!scope.covers("rea"));
        assert_eq!(Scope::parse(&scope.to_text()), scope);
        assert_eq!(Scope::parse(""), Scope::Units(vec![]));
        assert!(!Scope::parse("").covers("REA"));
    }
}
