//! The values the directory takes and gives: accounts, the actor of an
//! administration act, sessions, break-the-glass grants, API token facts.
//!
//! Types holding a secret (a password, a session token, a CSRF token) have a
//! `Debug` that hides it, so that no log line can carry one.

use std::fmt;
use std::net::IpAddr;

use crate::secret::ct_eq;
use crate::{Action, Role, Scope};

/// An account to create (or to update, on import).
#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The login (see [`rules::check_login`](crate::rules::check_login)).
    pub login: String,
    /// The person's name as pages show it.
    pub display_name: String,
    /// The role.
    pub role: Role,
    /// The units.
    pub scope: Scope,
    /// The initial password; `None` to have one generated.
    pub password: Option<String>,
    /// Whether the password must be changed at first login.
    pub must_change: bool,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("login", &self.login)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("scope", &self.scope)
            .field("password", &self.password.as_ref().map(|_| "<caché>"))
            .field("must_change", &self.must_change)
            .finish()
    }
}

/// Who performs an administration act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account login, or `cli` for the node's command line.
    pub login: String,
    /// The account's role; `None` for the command line (trusted: whoever
    /// runs it holds the node key).
    pub role: Option<Role>,
    /// Where from: the client address, or `cli`.
    pub source: String,
}

impl Actor {
    /// The node's command line.
    pub fn cli() -> Actor {
        Actor {
            login: "cli".to_owned(),
            role: None,
            source: "cli".to_owned(),
        }
    }

    /// The account of a session, acting from `from`.
    pub fn from_session(view: &SessionView, from: IpAddr) -> Actor {
        Actor {
            login: view.account.login.clone(),
            role: Some(view.account.role),
            source: from.to_string(),
        }
    }
}

/// An account as administrators and pages see it (no secret in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The login.
    pub login: String,
    /// The person's name.
    pub display_name: String,
    /// The role.
    pub role: Role,
    /// The units.
    pub scope: Scope,
    /// Whether logging in is refused.
    pub disabled: bool,
    /// Whether the password must be changed before anything else.
    pub must_change: bool,
    /// Whether a PIN is set (to unlock a locked session).
    pub has_pin: bool,
    /// When the account was created, ms since the Unix epoch.
    pub created_ms: i64,
    /// Last successful login, ms since the Unix epoch.
    pub last_login_ms: Option<i64>,
    /// End of the current or last lock-out, ms since the Unix epoch.
    pub locked_until_ms: Option<i64>,
}

/// A session just opened by a login.
#[derive(Clone)]
pub struct NewSession {
    /// The secret cookie value (256 random bits, hex). Shown once; the node
    /// keeps only its SHA-256.
    pub token: String,
    /// The session's synchronizer token, to put in every form.
    pub csrf: String,
    /// The account logged in.
    pub account: Account,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("token", &"<caché>")
            .field("csrf", &"<caché>")
            .field("account", &self.account)
            .finish()
    }
}

/// A live session, as [`Directory::session`](crate::Directory::session)
/// finds it.
#[derive(Clone)]
pub struct SessionView {
    /// A short, non-secret id of the session, for the audit trail.
    pub id: String,
    /// The account, as it is now (role changes apply at once).
    pub account: Account,
    /// The session's synchronizer token (see [`SessionView::csrf_matches`]).
    pub csrf: String,
    /// Whether the session is locked (shared terminal): only the unlock page
    /// may be served.
    pub locked: bool,
    /// Whether the password must be changed: only the change page may be
    /// served.
    pub must_change: bool,
    /// When the session ends if unused, ms since the Unix epoch.
    pub expires_ms: i64,
}

impl SessionView {
    /// Whether a submitted form's CSRF token is this session's, compared in
    /// constant time.
    pub fn csrf_matches(&self, submitted: &str) -> bool {
        ct_eq(self.csrf.as_bytes(), submitted.as_bytes())
    }
}

impl fmt::Debug for SessionView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionView")
            .field("id", &self.id)
            .field("account", &self.account)
            .field("csrf", &"<caché>")
            .field("locked", &self.locked)
            .field("must_change", &self.must_change)
            .field("expires_ms", &self.expires_ms)
            .finish()
    }
}

/// A break-the-glass grant: one account may open one patient's chart outside
/// its units for a while, for a stated reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The account.
    pub login: String,
    /// The patient (`PatientKey` text).
    pub patient: String,
    /// The reason given, trimmed (patient-related free text).
    pub reason: String,
    /// Start, ms since the Unix epoch.
    pub from_ms: i64,
    /// End (exclusive), ms since the Unix epoch.
    pub until_ms: i64,
    /// The address the grant was asked from.
    pub source: String,
}

impl Grant {
    /// Whether the grant is in force at `now_ms`.
    pub fn active_at(&self, now_ms: i64) -> bool {
        self.from_ms <= now_ms && now_ms < self.until_ms
    }
}

/// An API token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The token's name (same rules as logins).
    pub name: String,
    /// What the token may do.
    pub scopes: Vec<Action>,
    /// When it was created, ms since the Unix epoch.
    pub created_ms: i64,
    /// Whether it was revoked.
    pub revoked: bool,
}

impl TokenInfo {
    /// Whether the token may do `action`.
    pub fn allows(&self, action: Action) -> bool {
        !self.revoked && self.scopes.contains(&action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Account {
        Account {
            login: "jdupont".into(),
            display_name: "Jeanne Dupont".into(),
            role: Role::Nurse,
            scope: Scope::parse("REA"),
            disabled: false,
            must_change: false,
            has_pin: false,
            created_ms: 0,
            last_login_ms: None,
            locked_until_ms: None,
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let user = NewUser {
            login: "jdupont".into(),
            display_name: "Jeanne".into(),
            role: Role::Nurse,
            scope: Scope::AllUnits,
            password: Some("s3cret-password".into()),
            must_change: true,
        };
        assert!(!format!("{user:?}").contains("s3cret"));
        let session = NewSession {
            token: "tok-secret".into(),
            csrf: "csrf-secret".into(),
            account: account(),
        };
        let shown = format!("{session:?}");
        assert!(!shown.contains("tok-secret") && !shown.contains("csrf-secret"));
        let view = SessionView {
            id: "abc".into(),
            account: account(),
            csrf: "csrf-secret".into(),
            locked: false,
            must_change: false,
            expires_ms: 0,
        };
        assert!(!format!("{view:?}").contains("csrf-secret"));
        assert!(view.csrf_matches("csrf-secret"));
        assert!(!view.csrf_matches("csrf-secreT"));
        assert!(!view.csrf_matches(""));
    }

    #[test]
    fn grants_are_half_open_intervals() {
        let grant = Grant {
            login: "a".into(),
            patient: "p".into(),
            reason: "r".into(),
            from_ms: 10,
            until_ms: 20,
            source: "cli".into(),
        };
        assert!(!grant.active_at(9));
        assert!(grant.active_at(10) && grant.active_at(19));
        assert!(!grant.active_at(20));
    }
}
