//! Shared fixture: a directory in a temporary folder with a memory audit
//! sink, and helpers to read what it audited.

use std::net::IpAddr;
use std::sync::Arc;

use ckisa_audit::{AuditOutcome, AuditRecord, MemorySink};
use ckisa_auth::{Actor, ArgonParams, AuthOptions, Directory, NewSession, NewUser, Role, Scope};
use ckisa_store_sqlite::key::DbKey;

/// A fixed clock origin (2026-05-28), in ms.
pub(crate) const T0: i64 = 1_780_000_000_000;

/// One minute, in ms.
pub(crate) const MINUTE: i64 = 60_000;

/// A password that meets the policy.
pub(crate) const PASSWORD: &str = "cheval-agrafe-batterie";

pub(crate) struct Fixture {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) key: DbKey,
    pub(crate) sink: Arc<MemorySink>,
    pub(crate) directory: Directory,
}

pub(crate) fn options() -> AuthOptions {
    AuthOptions {
        argon: ArgonParams::fast_for_tests(),
        ..AuthOptions::default()
    }
}

impl Fixture {
    pub(crate) fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let key = DbKey::generate().unwrap();
        let sink = Arc::new(MemorySink::default());
        let directory = Directory::open(dir.path(), &key, options(), sink.clone()).unwrap();
        Fixture {
            dir,
            key,
            sink,
            directory,
        }
    }

    /// Closes the directory and opens it again (a node restart), with a
    /// fresh audit sink.
    pub(crate) fn reopen(self) -> Fixture {
        let Fixture {
            dir,
            key,
            directory,
            ..
        } = self;
        drop(directory);
        let sink = Arc::new(MemorySink::default());
        let directory = Directory::open(dir.path(), &key, options(), sink.clone()).unwrap();
        Fixture {
            dir,
            key,
            sink,
            directory,
        }
    }

    /// Adds an account with [`PASSWORD`], from the CLI.
    pub(crate) fn add(&self, login: &str, role: Role, units: &str) {
        let user = NewUser {
            login: login.into(),
            display_name: format!("Personne {login}"),
            role,
            scope: Scope::parse(units),
            password: Some(PASSWORD.into()),
            must_change: false,
        };
        let given = self.directory.add_user(&user, &Actor::cli(), T0).unwrap();
        assert_eq!(given, PASSWORD);
    }

    /// Logs in with [`PASSWORD`] from [`ip`]`(1)` at `now_ms`.
    pub(crate) fn login(&self, login: &str, now_ms: i64) -> NewSession {
        self.directory
            .login(login, PASSWORD, ip(1), now_ms)
            .unwrap()
    }

    /// The audited records with this action.
    pub(crate) fn audited(&self, action: &str) -> Vec<AuditRecord> {
        self.sink
            .records()
            .into_iter()
            .filter(|record| record.action == action)
            .collect()
    }

    /// The outcomes audited for this action, in order.
    pub(crate) fn outcomes(&self, action: &str) -> Vec<AuditOutcome> {
        self.audited(action).iter().map(|r| r.outcome).collect()
    }
}

/// The address `10.0.0.n`.
pub(crate) fn ip(n: u8) -> IpAddr {
    IpAddr::from([10, 0, 0, n])
}

/// An administrator actor from the web.
pub(crate) fn admin_actor() -> Actor {
    Actor {
        login: "admin".into(),
        role: Some(Role::Administrator),
        source: ip(9).to_string(),
    }
}
