//! The [`Directory`]: the node's offline accounts, and the administration
//! acts on them (create, import, disable, enable, reset, change role).
//!
//! The directory keeps the database (`auth.db`, see [`crate::db`]) and
//! in-memory copies of what the hot paths read: accounts, live sessions,
//! grants and API tokens. Every act that opens, widens or restores access is
//! written to the audit trail durably *before* its transaction commits, and
//! rolled back if the trail refuses it. Acts that only restrict access
//! (logout, disable, revoke, failure counters) commit first and are then
//! audited; if the trail fails they stay done, and the failure is logged.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use ckisa_audit::{AuditOutcome, AuditRecord, AuditSink, actions};
use ckisa_store_sqlite::key::DbKey;
use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use crate::db;
use crate::import::{ImportProblem, ImportReport};
use crate::login::{Phantoms, Throttle};
use crate::secret::{Hasher, generate_password, random_secret};
use crate::session::LiveSession;
use crate::token::LiveToken;
use crate::{
    Account, Action, Actor, AuthError, AuthOptions, Grant, NewUser, Reach, Role, Scope, reach,
    rules,
};

/// The node's accounts, sessions, grants and API tokens. Cheap to clone
/// (shared inside); every method is synchronous and may block on the disk or
/// on Argon2, so async callers use `spawn_blocking`.
#[derive(Clone)]
pub struct Directory {
    pub(crate) inner: Arc<Inner>,
}

/// The shared state of a [`Directory`].
///
/// **Lock order:** `db` is the outermost lock and may be held while taking
/// one in-memory lock; no two in-memory locks are ever held at once; no
/// Argon2 hashing runs under any lock (so that `session()` never waits for
/// a password check).
///
/// **Memory after a commit:** what a write adds to or changes in the
/// in-memory copies is applied before the `db` lock is released (see
/// [`Inner::transact`]), so that [`Directory::refresh`], which reloads
/// under that lock, never overwrites a newer copy with an older one.
pub(crate) struct Inner {
    pub(crate) options: AuthOptions,
    pub(crate) audit: Arc<dyn AuditSink>,
    pub(crate) hasher: Hasher,
    /// A hash of a random password, verified against for unknown logins so
    /// that they take as long as wrong passwords.
    pub(crate) dummy_hash: String,
    pub(crate) db: Mutex<Connection>,
    /// `PRAGMA data_version` of `db` when memory was last loaded from it:
    /// it changes when another connection (the CLI) commits. Read and
    /// written under the `db` lock.
    pub(crate) data_version: AtomicI64,
    /// Accounts by login, as in the database after the last commit.
    pub(crate) accounts: RwLock<HashMap<String, Account>>,
    /// Live sessions by SHA-256 of their token.
    pub(crate) sessions: Mutex<HashMap<[u8; 32], LiveSession>>,
    /// Sessions ended in memory whose database row is still to delete.
    pub(crate) ended: Mutex<Vec<[u8; 32]>>,
    /// Grants that may still be in force.
    pub(crate) grants: RwLock<Vec<Grant>>,
    /// Every API token, revoked ones included.
    pub(crate) tokens: RwLock<Vec<LiveToken>>,
    /// Recent login attempts per address.
    pub(crate) throttle: Mutex<Throttle>,
    /// Failure counters of logins that match no account.
    pub(crate) phantoms: Mutex<Phantoms>,
}

impl Drop for Inner {
    /// Deletes the rows of sessions that ended in memory since the last
    /// write, so that a clean shutdown does not bring them back (and audit
    /// their expiry again) at the next start.
    fn drop(&mut self) {
        let conn = self.db.get_mut().unwrap_or_else(PoisonError::into_inner);
        let ended = std::mem::take(self.ended.get_mut().unwrap_or_else(PoisonError::into_inner));
        for hash in &ended {
            if let Err(error) = conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [hash]) {
                tracing::warn!(%error, "ended session left in the database at shutdown");
            }
        }
    }
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory").finish_non_exhaustive()
    }
}

/// What importing one entry did.
enum Imported {
    Added(String),
    Updated,
    Unchanged,
}

impl Directory {
    /// Opens (creating if needed) `<data_dir>/auth.db` with the node key, and
    /// loads accounts, sessions, grants and tokens into memory.
    pub fn open(
        data_dir: &Path,
        key: &DbKey,
        options: AuthOptions,
        audit: Arc<dyn AuditSink>,
    ) -> Result<Directory, AuthError> {
        let conn = db::open(data_dir, key)?;
        let hasher = Hasher::new(options.argon)?;
        let dummy_hash = hasher.hash(&random_secret()?)?;
        // Taken before loading: a commit in between only causes one more
        // reload at the next refresh.
        let data_version = db::data_version(&conn)?;
        let accounts = db::accounts(&conn)?
            .into_iter()
            .map(|account| (account.login.clone(), account))
            .collect();
        let sessions = crate::session::load(&conn)?;
        let grants = crate::glass::load(&conn)?;
        let tokens = crate::token::load(&conn)?;
        let inner = Inner {
            options,
            audit,
            hasher,
            dummy_hash,
            db: Mutex::new(conn),
            data_version: AtomicI64::new(data_version),
            accounts: RwLock::new(accounts),
            sessions: Mutex::new(sessions),
            ended: Mutex::new(Vec::new()),
            grants: RwLock::new(grants),
            tokens: RwLock::new(tokens),
            throttle: Mutex::new(Throttle::default()),
            phantoms: Mutex::new(Phantoms::default()),
        };
        Ok(Directory {
            inner: Arc::new(inner),
        })
    }

    /// Creates an account; returns its initial password (the one given, or a
    /// generated one). The actor must be an administrator or the CLI.
    pub fn add_user(&self, user: &NewUser, by: &Actor, now_ms: i64) -> Result<String, AuthError> {
        self.inner
            .require_admin(by, now_ms, actions::USER_ADD, &user.login)?;
        self.add_account(user, by, now_ms)
    }

    /// Imports accounts: new logins are created with a generated password to
    /// change at first login; existing ones get the role, units and name of
    /// the entry (audited as `user.role` when something changed), their
    /// password untouched. Problems are reported per entry, numbered from 1
    /// in `users` order; they never stop the other entries.
    pub fn import(&self, users: &[NewUser], by: &Actor, now_ms: i64) -> ImportReport {
        let mut report = ImportReport::default();
        if let Err(error) = self
            .inner
            .require_admin(by, now_ms, actions::USER_ADD, "import")
        {
            report.problems.push(ImportProblem {
                line: 0,
                reason: error.to_string(),
            });
            return report;
        }
        for (index, user) in users.iter().enumerate() {
            let login = user.login.clone();
            match self.import_one(user, by, now_ms) {
                Ok(Imported::Added(password)) => report.added.push((login, password)),
                Ok(Imported::Updated) => report.updated.push(login),
                Ok(Imported::Unchanged) => report.unchanged.push(login),
                Err(error) => report.problems.push(ImportProblem {
                    line: index + 1,
                    reason: format!("« {login} » : {error}"),
                }),
            }
        }
        report
    }

    /// Disables an account and ends its sessions (its API tokens, which
    /// belong to no account, are untouched).
    pub fn disable_user(&self, login: &str, by: &Actor, now_ms: i64) -> Result<(), AuthError> {
        let inner = &self.inner;
        inner.require_admin(by, now_ms, actions::USER_DISABLE, login)?;
        inner.write_account(Audit::AfterCommit, |tx| {
            let changed =
                tx.execute("UPDATE accounts SET disabled = 1 WHERE login = ?1", [login])?;
            if changed == 0 {
                return Err(AuthError::UnknownAccount(login.to_owned()));
            }
            let closed = db::delete_sessions(tx, login, None)?;
            let detail = format!("compte désactivé ; {closed} session(s) fermée(s)");
            let record = record(by, now_ms, actions::USER_DISABLE, ALLOWED, login, detail);
            Ok((reload(tx, login)?, vec![record]))
        })?;
        inner.drop_live_sessions(login, None);
        Ok(())
    }

    /// Enables a disabled account again.
    pub fn enable_user(&self, login: &str, by: &Actor, now_ms: i64) -> Result<(), AuthError> {
        let inner = &self.inner;
        inner.require_admin(by, now_ms, actions::USER_ENABLE, login)?;
        inner.write_account(Audit::BeforeCommit, |tx| {
            let changed =
                tx.execute("UPDATE accounts SET disabled = 0 WHERE login = ?1", [login])?;
            if changed == 0 {
                return Err(AuthError::UnknownAccount(login.to_owned()));
            }
            let record = record(
                by,
                now_ms,
                actions::USER_ENABLE,
                ALLOWED,
                login,
                "compte réactivé",
            );
            Ok((reload(tx, login)?, vec![record]))
        })?;
        Ok(())
    }

    /// Gives an account a generated temporary password to change at next
    /// login, lifts its lock-out and ends its sessions. Returns the
    /// temporary password.
    pub fn reset_password(
        &self,
        login: &str,
        by: &Actor,
        now_ms: i64,
    ) -> Result<String, AuthError> {
        let inner = &self.inner;
        inner.require_admin(by, now_ms, actions::USER_RESET, login)?;
        if inner.cached(login).is_none() {
            return Err(AuthError::UnknownAccount(login.to_owned()));
        }
        let password = generate_password()?;
        let hash = inner.hasher.hash(&password)?;
        inner.write_account(Audit::BeforeCommit, |tx| {
            let changed = tx.execute(
                "UPDATE accounts SET password_hash = ?2, must_change = 1, failures = 0, \
                 locked_until_ms = NULL WHERE login = ?1",
                params![login, hash],
            )?;
            if changed == 0 {
                return Err(AuthError::UnknownAccount(login.to_owned()));
            }
            let closed = db::delete_sessions(tx, login, None)?;
            let detail = format!(
                "mot de passe réinitialisé (temporaire, à changer) ; verrouillage levé ; \
                 {closed} session(s) fermée(s)"
            );
            let record = record(by, now_ms, actions::USER_RESET, ALLOWED, login, detail);
            Ok((reload(tx, login)?, vec![record]))
        })?;
        inner.drop_live_sessions(login, None);
        Ok(password)
    }

    /// Changes an account's role and units; its live sessions see the change
    /// at once.
    pub fn set_role(
        &self,
        login: &str,
        role: Role,
        scope: &Scope,
        by: &Actor,
        now_ms: i64,
    ) -> Result<(), AuthError> {
        let inner = &self.inner;
        inner.require_admin(by, now_ms, actions::USER_ROLE, login)?;
        inner.write_account(Audit::BeforeCommit, |tx| {
            let before = db::account(tx, login)?
                .ok_or_else(|| AuthError::UnknownAccount(login.to_owned()))?;
            tx.execute(
                "UPDATE accounts SET role = ?2, scope = ?3 WHERE login = ?1",
                params![login, role.code(), scope.to_text()],
            )?;
            let detail = change_text(&before, &before.display_name, role, scope);
            let record = record(by, now_ms, actions::USER_ROLE, ALLOWED, login, detail);
            Ok((reload(tx, login)?, vec![record]))
        })?;
        Ok(())
    }

    /// Every account, by login.
    pub fn accounts(&self) -> Result<Vec<Account>, AuthError> {
        self.inner.with_db(db::accounts)
    }

    /// The account with this login.
    pub fn account(&self, login: &str) -> Result<Option<Account>, AuthError> {
        self.inner.with_db(|conn| db::account(conn, login))
    }

    /// Creates an account once the actor is known to be allowed.
    fn add_account(&self, user: &NewUser, by: &Actor, now_ms: i64) -> Result<String, AuthError> {
        let inner = &self.inner;
        let login = user.login.as_str();
        rules::check_login(login).map_err(AuthError::InvalidLogin)?;
        if inner.cached(login).is_some() {
            return Err(AuthError::DuplicateLogin(login.to_owned()));
        }
        let password = match &user.password {
            Some(password) => {
                rules::check_password(login, password, None)
                    .map_err(|error| AuthError::WeakPassword(error.to_string()))?;
                password.clone()
            }
            None => generate_password()?,
        };
        let hash = inner.hasher.hash(&password)?;
        let display_name = match user.display_name.trim() {
            "" => login,
            name => name,
        };
        inner.write_account(Audit::BeforeCommit, |tx| {
            let inserted = tx.execute(
                "INSERT INTO accounts (login, display_name, role, scope, password_hash, \
                 must_change, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT (login) DO NOTHING",
                params![
                    login,
                    display_name,
                    user.role.code(),
                    user.scope.to_text(),
                    hash,
                    user.must_change,
                    now_ms
                ],
            )?;
            if inserted == 0 {
                return Err(AuthError::DuplicateLogin(login.to_owned()));
            }
            let mut detail = format!(
                "compte créé : rôle {}, unités {}",
                user.role.code(),
                scope_text(&user.scope)
            );
            if user.must_change {
                detail.push_str(" ; mot de passe à changer à la première connexion");
            }
            let record = record(by, now_ms, actions::USER_ADD, ALLOWED, login, detail);
            Ok((reload(tx, login)?, vec![record]))
        })?;
        Ok(password)
    }

    /// Imports one entry (see [`Directory::import`]).
    fn import_one(&self, user: &NewUser, by: &Actor, now_ms: i64) -> Result<Imported, AuthError> {
        let login = user.login.as_str();
        let Some(before) = self.inner.cached(login) else {
            let fresh = NewUser {
                password: None,
                must_change: true,
                ..user.clone()
            };
            return self.add_account(&fresh, by, now_ms).map(Imported::Added);
        };
        let name = match user.display_name.trim() {
            "" => before.display_name.as_str(),
            name => name,
        };
        if before.role == user.role && before.scope == user.scope && before.display_name == name {
            return Ok(Imported::Unchanged);
        }
        self.inner.write_account(Audit::BeforeCommit, |tx| {
            tx.execute(
                "UPDATE accounts SET display_name = ?2, role = ?3, scope = ?4 WHERE login = ?1",
                params![login, name, user.role.code(), user.scope.to_text()],
            )?;
            let detail = format!(
                "import : {}",
                change_text(&before, name, user.role, &user.scope)
            );
            let record = record(by, now_ms, actions::USER_ROLE, ALLOWED, login, detail);
            Ok((reload(tx, login)?, vec![record]))
        })?;
        Ok(Imported::Updated)
    }
}

impl Inner {
    /// Runs `change` in one immediate transaction, appends its audit
    /// records durably, then commits. If the trail refuses a record, the
    /// change is rolled back and the error returned: for acts that open or
    /// widen access.
    pub(crate) fn write_audited<T>(
        &self,
        change: impl FnOnce(&Transaction<'_>) -> Result<(T, Vec<AuditRecord>), AuthError>,
    ) -> Result<T, AuthError> {
        self.transact(Audit::BeforeCommit, change, |_| ())
    }

    /// Runs `change` in one immediate transaction, commits, then appends
    /// its audit records durably; a refused record is logged, the change
    /// stays: for acts that only restrict access.
    pub(crate) fn write_then_audit<T>(
        &self,
        change: impl FnOnce(&Transaction<'_>) -> Result<(T, Vec<AuditRecord>), AuthError>,
    ) -> Result<T, AuthError> {
        self.transact(Audit::AfterCommit, change, |_| ())
    }

    /// A write whose value is the changed account, cached after the commit.
    pub(crate) fn write_account(
        &self,
        audit: Audit,
        change: impl FnOnce(&Transaction<'_>) -> Result<(Account, Vec<AuditRecord>), AuthError>,
    ) -> Result<Account, AuthError> {
        self.transact(audit, change, |account| self.cache(account.clone()))
    }

    /// Runs `change` in one immediate transaction, audits as `audit` says,
    /// and after the commit runs `apply` on its value *before* releasing the
    /// database lock (the in-memory update of the change; see the lock
    /// order on [`Inner`]).
    pub(crate) fn transact<T>(
        &self,
        audit: Audit,
        change: impl FnOnce(&Transaction<'_>) -> Result<(T, Vec<AuditRecord>), AuthError>,
        apply: impl FnOnce(&T),
    ) -> Result<T, AuthError> {
        let mut conn = lock(&self.db);
        self.flush_ended(&mut conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (value, records) = change(&tx)?;
        let after = match audit {
            Audit::BeforeCommit => {
                for record in records {
                    self.audit.append_durable(record)?;
                }
                Vec::new()
            }
            Audit::AfterCommit => records,
        };
        tx.commit()?;
        apply(&value);
        drop(conn);
        for record in after {
            self.audit_best_effort(record);
        }
        Ok(value)
    }

    /// Runs a read on the database.
    pub(crate) fn with_db<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, AuthError>,
    ) -> Result<T, AuthError> {
        read(&lock(&self.db))
    }

    /// Appends a record durably; a failure is logged, not returned.
    pub(crate) fn audit_best_effort(&self, record: AuditRecord) {
        let action = record.action.clone();
        if let Err(error) = self.audit.append_durable(record) {
            tracing::error!(%error, action, "audit record of an account act lost");
        }
    }

    /// Refuses (and audits as denied) an administration act by an actor
    /// whose role may not manage accounts. The CLI may.
    pub(crate) fn require_admin(
        &self,
        by: &Actor,
        now_ms: i64,
        action: &str,
        target: &str,
    ) -> Result<(), AuthError> {
        match by.role {
            None => Ok(()),
            Some(role) if reach(role, Action::UserAdmin) == Reach::Everywhere => Ok(()),
            Some(role) => {
                let detail = format!("refusé : le rôle {} ne gère pas les comptes", role.code());
                self.audit_best_effort(record(by, now_ms, action, DENIED, target, detail));
                Err(AuthError::NotAllowed)
            }
        }
    }

    /// The cached account with this login.
    pub(crate) fn cached(&self, login: &str) -> Option<Account> {
        read(&self.accounts).get(login).cloned()
    }

    /// Replaces the cached copy of an account after a commit.
    pub(crate) fn cache(&self, account: Account) {
        write(&self.accounts).insert(account.login.clone(), account);
    }

    /// Removes the live sessions of `login` (except `keep`); returns how
    /// many.
    pub(crate) fn drop_live_sessions(&self, login: &str, keep: Option<&[u8; 32]>) -> usize {
        let mut sessions = lock(&self.sessions);
        let before = sessions.len();
        sessions.retain(|hash, live| live.login != login || Some(hash) == keep);
        before - sessions.len()
    }

    /// Deletes the rows of sessions already ended in memory, in a
    /// transaction of its own (so that a later rollback cannot bring them
    /// back). On failure they stay queued for the next write.
    pub(crate) fn flush_ended(&self, conn: &mut Connection) {
        let ended = std::mem::take(&mut *lock(&self.ended));
        if ended.is_empty() {
            return;
        }
        let deleted = conn.transaction().and_then(|tx| {
            for hash in &ended {
                tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [hash])?;
            }
            tx.commit()
        });
        if let Err(error) = deleted {
            tracing::warn!(%error, count = ended.len(), "ended sessions not yet deleted");
            lock(&self.ended).extend_from_slice(&ended);
        }
    }
}

/// When a write's audit records are appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audit {
    /// Durably before the commit; a refused record rolls the change back
    /// (acts that open or widen access).
    BeforeCommit,
    /// After the commit; a refused record is logged and the change stays
    /// (acts that only restrict access).
    AfterCommit,
}

/// Shorthand outcomes.
pub(crate) const ALLOWED: AuditOutcome = AuditOutcome::Allowed;
pub(crate) const DENIED: AuditOutcome = AuditOutcome::Denied;
pub(crate) const FAILED: AuditOutcome = AuditOutcome::Failed;

/// An audit record of an act by `by` on `target` (an account, a token, a
/// session).
pub(crate) fn record(
    by: &Actor,
    at_ms: i64,
    action: &str,
    outcome: AuditOutcome,
    target: &str,
    detail: impl Into<String>,
) -> AuditRecord {
    AuditRecord {
        at_ms,
        actor: by.login.clone(),
        role: by.role.map(|role| role.code().to_owned()),
        source: by.source.clone(),
        action: action.to_owned(),
        outcome,
        patient: None,
        target: Some(target.to_owned()),
        detail: detail.into(),
    }
}

/// Reads back an account inside a transaction.
pub(crate) fn reload(conn: &Connection, login: &str) -> Result<Account, AuthError> {
    db::account(conn, login)?.ok_or_else(|| AuthError::UnknownAccount(login.to_owned()))
}

/// A scope in French words.
pub(crate) fn scope_text(scope: &Scope) -> String {
    match scope {
        Scope::AllUnits => "toutes".to_owned(),
        Scope::Units(codes) if codes.is_empty() => "aucune".to_owned(),
        Scope::Units(codes) => codes.join(","),
    }
}

/// What changes between an account and its new name, role and units.
fn change_text(before: &Account, name: &str, role: Role, scope: &Scope) -> String {
    let mut parts = vec![
        format!("rôle {} → {}", before.role.code(), role.code()),
        format!(
            "unités {} → {}",
            scope_text(&before.scope),
            scope_text(scope)
        ),
    ];
    if before.display_name != name {
        parts.push("nom modifié".to_owned());
    }
    parts.join(" ; ")
}

/// Locks a mutex, going on after a panic elsewhere (the data are plain
/// maps, always left consistent between statements).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Read-locks an `RwLock` (see [`lock`]).
pub(crate) fn read<T>(rw: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    rw.read().unwrap_or_else(PoisonError::into_inner)
}

/// Write-locks an `RwLock` (see [`lock`]).
pub(crate) fn write<T>(rw: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    rw.write().unwrap_or_else(PoisonError::into_inner)
}
