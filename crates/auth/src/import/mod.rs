//! Reading account lists exported from elsewhere: a CSV sheet, or an LDIF
//! export of the hospital directory (Active Directory, OpenLDAP).
//!
//! Parsers return the accounts they could read and a list of problems with
//! line numbers; a bad line or record never stops the others. Logins are
//! lowercased (directories compare them without case), then checked against
//! the login rules. Imported accounts get a generated password to change at
//! first login; [`Directory::import`](crate::Directory::import) applies them.

mod csv;
mod ldif;

use std::collections::HashMap;
use std::fmt;

pub use csv::parse_csv;
pub use ldif::parse_ldif;

use crate::{NewUser, Role, Scope, rules};

/// A line or record that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// The line (1-based) in the file; for
    /// [`Directory::import`](crate::Directory::import), the entry's
    /// position (1-based) in the list, or 0 for the whole import.
    pub line: usize,
    /// What is wrong, in French.
    pub reason: String,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ligne {} : {}", self.line, self.reason)
    }
}

/// What an import did.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Accounts created, with their generated initial password (to hand over
    /// once, then forget).
    pub added: Vec<(String, String)>,
    /// Existing accounts whose name, role or units changed.
    pub updated: Vec<String>,
    /// Existing accounts already as imported.
    pub unchanged: Vec<String>,
    /// Entries not imported, and why.
    pub problems: Vec<ImportProblem>,
}

impl fmt::Debug for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let added: Vec<&str> = self.added.iter().map(|(login, _)| login.as_str()).collect();
        f.debug_struct("ImportReport")
            .field("added", &added)
            .field("updated", &self.updated)
            .field("unchanged", &self.unchanged)
            .field("problems", &self.problems)
            .finish()
    }
}

/// One entry as read from a file, before checks.
struct RawEntry<'a> {
    line: usize,
    login: &'a str,
    name: &'a str,
    role: &'a str,
    units: &'a str,
}

/// Turns raw entries into accounts, checking each and refusing a login
/// seen twice in the same file.
#[derive(Default)]
struct Collector {
    users: Vec<NewUser>,
    problems: Vec<ImportProblem>,
    seen: HashMap<String, usize>,
}

impl Collector {
    fn problem(&mut self, line: usize, reason: impl Into<String>) {
        self.problems.push(ImportProblem {
            line,
            reason: reason.into(),
        });
    }

    fn add(&mut self, entry: &RawEntry<'_>) {
        match check_entry(entry) {
            Ok(user) => {
                if let Some(first) = self.seen.get(&user.login) {
                    let reason = format!("identifiant « {} » déjà lu ligne {first}", user.login);
                    self.problem(entry.line, reason);
                } else {
                    self.seen.insert(user.login.clone(), entry.line);
                    self.users.push(user);
                }
            }
            Err(reason) => self.problem(entry.line, reason),
        }
    }

    fn finish(self) -> (Vec<NewUser>, Vec<ImportProblem>) {
        (self.users, self.problems)
    }
}

/// Checks one entry; the error is a French reason.
fn check_entry(entry: &RawEntry<'_>) -> Result<NewUser, String> {
    let login = entry.login.trim().to_lowercase();
    if login.is_empty() {
        return Err("identifiant absent".to_owned());
    }
    rules::check_login(&login).map_err(|reason| format!("identifiant invalide : {reason}"))?;
    let role_text = entry.role.trim();
    if role_text.is_empty() {
        return Err(format!("« {login} » : rôle absent"));
    }
    let role = rules::role_from_text(role_text).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|role| role.code()).collect();
        format!(
            "« {login} » : rôle inconnu « {role_text} » (rôles possibles : {})",
            known.join(", ")
        )
    })?;
    let name = entry.name.trim();
    Ok(NewUser {
        display_name: if name.is_empty() {
            login.clone()
        } else {
            name.to_owned()
        },
        login,
        role,
        scope: Scope::parse(entry.units),
        password: None,
        must_change: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(login: &'a str, role: &'a str) -> RawEntry<'a> {
        RawEntry {
            line: 3,
            login,
            name: "",
            role,
            units: "REA",
        }
    }

    #[test]
    fn entries_are_checked_with_reasons() {
        let user = check_entry(&entry(" JDupont ", "Infirmier")).unwrap();
        assert_eq!(user.login, "jdupont");
        assert_eq!(user.display_name, "jdupont");
        assert_eq!(user.role, Role::Nurse);
        assert!(user.must_change && user.password.is_none());
        assert!(
            check_entry(&entry("", "infirmier"))
                .unwrap_err()
                .contains("absent")
        );
        assert!(
            check_entry(&entry("a b", "infirmier"))
                .unwrap_err()
                .contains("espace")
        );
        assert!(
            check_entry(&entry("a", "chef"))
                .unwrap_err()
                .contains("rôle inconnu « chef »")
        );
        assert!(
            check_entry(&entry("a", " "))
                .unwrap_err()
                .contains("rôle absent")
        );
    }

    #[test]
    fn the_report_debug_hides_passwords() {
        let report = ImportReport {
            added: vec![("a".into(), "S3cretPassw0rd".into())],
            ..ImportReport::default()
        };
        assert!(!format!("{report:?}").contains("S3cret"));
    }
}
