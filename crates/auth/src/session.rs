//! Live sessions: the hot-path check of a session cookie, timeouts, the
//! shared-terminal lock with its PIN, and the owner's password and PIN
//! changes.
//!
//! Sessions live in memory, keyed by the SHA-256 of their token, and in
//! `auth.db` (hash only) so that a node restart keeps people logged in.
//! [`Directory::session`] touches only memory: the idle time is written
//! back lazily by [`Directory::sweep`], which the node runs every few
//! seconds; after a crash a session may thus look idle up to one sweep
//! period earlier than it was (the safe direction). A locked session is not kept
//! alive by requests: it ends after the idle time like an unused one.

use std::collections::HashMap;
use std::net::IpAddr;

use ckisa_audit::actions;
use rusqlite::{Connection, params};

use crate::db;
use crate::directory::{ALLOWED, Audit, Inner, lock, read, record, reload};
use crate::options::millis;
use crate::secret::sha256;
use crate::{AuthError, AuthOptions, Directory, LoginError, PasswordError, SessionView, rules};

/// A session as kept in memory.
#[derive(Debug, Clone)]
pub(crate) struct LiveSession {
    /// Short non-secret id, for the audit.
    pub(crate) id: String,
    pub(crate) login: String,
    pub(crate) csrf: String,
    /// The address the session was opened from.
    pub(crate) source: String,
    pub(crate) created_ms: i64,
    pub(crate) last_seen_ms: i64,
    /// `last_seen_ms` as last written to the database.
    pub(crate) saved_seen_ms: i64,
    pub(crate) locked: bool,
}

impl LiveSession {
    /// When the session ends if not used again.
    fn expires_ms(&self, options: &AuthOptions) -> i64 {
        let idle = self
            .last_seen_ms
            .saturating_add(millis(options.session_idle));
        let absolute = self
            .created_ms
            .saturating_add(millis(options.session_absolute));
        idle.min(absolute)
    }
}

/// Loads the sessions saved in the database (expired ones end at their
/// first use or at the next sweep, and are audited then).
pub(crate) fn load(conn: &Connection) -> Result<HashMap<[u8; 32], LiveSession>, AuthError> {
    let mut statement = conn.prepare(
        "SELECT token_hash, id, login, csrf, source, created_ms, last_seen_ms, locked \
         FROM sessions",
    )?;
    let rows = statement.query_map([], |row| {
        let hash: Vec<u8> = row.get(0)?;
        let last_seen_ms = row.get(6)?;
        let live = LiveSession {
            id: row.get(1)?,
            login: row.get(2)?,
            csrf: row.get(3)?,
            source: row.get(4)?,
            created_ms: row.get(5)?,
            last_seen_ms,
            saved_seen_ms: last_seen_ms,
            locked: row.get(7)?,
        };
        Ok((hash, live))
    })?;
    let mut sessions = HashMap::new();
    for row in rows {
        let (hash, live) = row?;
        if let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) {
            sessions.insert(hash, live);
        }
    }
    Ok(sessions)
}

impl Directory {
    /// The live session of this token, touched (unless locked) so that its
    /// idle time restarts; `None` if the token is unknown, the session
    /// expired (idle or absolute timeout; audited once, as
    /// `session.expired`), or the account is disabled. Memory only.
    pub fn session(&self, token: &str, now_ms: i64) -> Option<SessionView> {
        self.lookup(token, now_ms, true)
    }

    /// The live session of this token, like [`session`](Directory::session)
    /// but without touching it: what a long-lived stream checks before each
    /// push, so that an open live page does not keep its session from idling
    /// out.
    pub fn peek_session(&self, token: &str, now_ms: i64) -> Option<SessionView> {
        self.lookup(token, now_ms, false)
    }

    fn lookup(&self, token: &str, now_ms: i64, touch: bool) -> Option<SessionView> {
        let inner = &self.inner;
        let hash = sha256(token);
        let (id, login, csrf, locked, expires_ms) = {
            let mut sessions = lock(&inner.sessions);
            let expires_ms = sessions.get(&hash)?.expires_ms(&inner.options);
            if now_ms >= expires_ms {
                let live = sessions.remove(&hash)?;
                drop(sessions);
                inner.expire_queued(hash, &live, now_ms);
                return None;
            }
            let live = sessions.get_mut(&hash)?;
            if touch && !live.locked {
                live.last_seen_ms = live.last_seen_ms.max(now_ms);
            }
            let expires_ms = live.expires_ms(&inner.options);
            let parts = (live.id.clone(), live.login.clone(), live.csrf.clone());
            (parts.0, parts.1, parts.2, live.locked, expires_ms)
        };
        let account = read(&inner.accounts).get(&login).cloned()?;
        if account.disabled {
            return None;
        }
        Some(SessionView {
            id,
            must_change: account.must_change,
            account,
            csrf,
            locked,
            expires_ms,
        })
    }

    /// Housekeeping, to run every few seconds: first
    /// [`refresh`](Directory::refresh)es memory from changes made by
    /// another process (a failed refresh is logged, the sweep goes on), then
    /// ends (and audits durably) the sessions that expired unused, deletes
    /// ended sessions from the database, and saves the idle times of used
    /// ones. Returns how many sessions it ended by expiry.
    pub fn sweep(&self, now_ms: i64) -> usize {
        let inner = &self.inner;
        if let Err(error) = self.refresh(now_ms) {
            tracing::warn!(%error, "changes made by another process not reloaded");
        }
        let mut expired = Vec::new();
        let mut seen = Vec::new();
        {
            let mut sessions = lock(&inner.sessions);
            sessions.retain(|hash, live| {
                if now_ms >= live.expires_ms(&inner.options) {
                    expired.push((*hash, live.clone()));
                    return false;
                }
                if live.last_seen_ms != live.saved_seen_ms {
                    live.saved_seen_ms = live.last_seen_ms;
                    seen.push((*hash, live.last_seen_ms));
                }
                true
            });
        }
        if expired.is_empty() && seen.is_empty() && lock(&inner.ended).is_empty() {
            // Nothing to write: no write transaction (sweep runs often).
            return 0;
        }
        let records = expired
            .iter()
            .map(|(_, live)| inner.expiry_record(live, now_ms))
            .collect();
        lock(&inner.ended).extend(expired.iter().map(|(hash, _)| *hash));
        let written = inner.write_then_audit(|tx| {
            for (hash, last_seen_ms) in &seen {
                tx.execute(
                    "UPDATE sessions SET last_seen_ms = ?2 WHERE token_hash = ?1",
                    params![hash, last_seen_ms],
                )?;
            }
            Ok(((), records))
        });
        if let Err(error) = written {
            tracing::warn!(%error, "session idle times not saved");
        }
        expired.len()
    }

    /// Locks a session on a shared terminal: it stays open, but only
    /// [`Directory::unlock`] (with the PIN) makes it usable again.
    pub fn lock(&self, token: &str, from: IpAddr, now_ms: i64) {
        let inner = &self.inner;
        let Some(view) = self.session(token, now_ms) else {
            return;
        };
        let hash = sha256(token);
        if let Some(live) = lock(&inner.sessions).get_mut(&hash) {
            live.locked = true;
        }
        let by = inner.session_actor(&view.account.login, from);
        let written = inner.write_then_audit(|tx| {
            tx.execute(
                "UPDATE sessions SET locked = 1, last_seen_ms = ?2 WHERE token_hash = ?1",
                params![hash, now_ms],
            )?;
            let detail = format!("session {} verrouillée", view.id);
            let login = view.account.login.as_str();
            Ok((
                (),
                vec![record(
                    &by,
                    now_ms,
                    actions::SESSION_LOCK,
                    ALLOWED,
                    login,
                    detail,
                )],
            ))
        });
        if let Err(error) = written {
            tracing::warn!(%error, "session locked in memory only");
        }
    }

    /// Unlocks a locked session with the account's PIN (or, if it has none,
    /// its password). Failures count toward the account lock-out; the
    /// failure that locks the account also ends the session.
    pub fn unlock(
        &self,
        token: &str,
        pin: &str,
        from: IpAddr,
        now_ms: i64,
    ) -> Result<(), LoginError> {
        let inner = &self.inner;
        let view = self.session(token, now_ms).ok_or(LoginError::NoSession)?;
        if !view.locked {
            return Ok(());
        }
        let hash = sha256(token);
        let login = view.account.login.as_str();
        let by = inner.session_actor(login, from);
        let credentials = inner
            .with_db(|conn| db::credentials(conn, login))?
            .ok_or(LoginError::NoSession)?;
        if let Some(until_ms) = credentials.locked_at(now_ms) {
            self.end_locked_out(hash, &by, &view.id, now_ms);
            return Err(LoginError::AccountLocked { until_ms });
        }
        let (secret_hash, what) = match &credentials.pin_hash {
            Some(pin_hash) => (pin_hash, "code PIN"),
            None => (&credentials.password_hash, "mot de passe"),
        };
        if !inner.hasher.verify(pin, secret_hash)? {
            let what = format!("{what} erroné au déverrouillage de la session {}", view.id);
            let locked = inner.record_failure(&by, now_ms, actions::SESSION_UNLOCK, &what)?;
            if let Some(until_ms) = locked {
                self.end_locked_out(hash, &by, &view.id, now_ms);
                return Err(LoginError::AccountLocked { until_ms });
            }
            return Err(LoginError::WrongPin);
        }
        inner.write_audited(|tx| {
            tx.execute("UPDATE accounts SET failures = 0 WHERE login = ?1", [login])?;
            tx.execute(
                "UPDATE sessions SET locked = 0, last_seen_ms = ?2 WHERE token_hash = ?1",
                params![hash, now_ms],
            )?;
            let detail = format!("session {} déverrouillée ({what})", view.id);
            Ok((
                (),
                vec![record(
                    &by,
                    now_ms,
                    actions::SESSION_UNLOCK,
                    ALLOWED,
                    login,
                    detail,
                )],
            ))
        })?;
        if let Some(live) = lock(&inner.sessions).get_mut(&hash) {
            live.locked = false;
            live.last_seen_ms = now_ms;
        }
        Ok(())
    }

    /// Changes the password of the session's account (see
    /// [`rules`](crate::rules) for the policy), clears `must_change`, and
    /// ends the account's other sessions. A wrong current password counts
    /// toward the lock-out.
    pub fn change_password(
        &self,
        token: &str,
        old: &str,
        new: &str,
        from: IpAddr,
        now_ms: i64,
    ) -> Result<(), PasswordError> {
        let inner = &self.inner;
        let view = self.usable_session(token, now_ms)?;
        let hash = sha256(token);
        let login = view.account.login.as_str();
        rules::check_password(login, new, Some(old))?;
        let by = inner.session_actor(login, from);
        let credentials = inner
            .with_db(|conn| db::credentials(conn, login))?
            .ok_or(PasswordError::NoSession)?;
        if !inner.hasher.verify(old, &credentials.password_hash)? {
            let what = "changement de mot de passe : mot de passe actuel erroné";
            let locked = inner.record_failure(&by, now_ms, actions::PASSWORD_CHANGE, what)?;
            if let Some(until_ms) = locked {
                self.end_locked_out(hash, &by, &view.id, now_ms);
                return Err(PasswordError::AccountLocked { until_ms });
            }
            return Err(PasswordError::WrongCurrent);
        }
        let new_hash = inner.hasher.hash(new)?;
        inner.write_account(Audit::BeforeCommit, |tx| {
            tx.execute(
                "UPDATE accounts SET password_hash = ?2, must_change = 0, failures = 0 \
                 WHERE login = ?1",
                params![login, new_hash],
            )?;
            let closed = db::delete_sessions(tx, login, Some(&hash))?;
            let detail = format!("mot de passe changé ; {closed} autre(s) session(s) fermée(s)");
            let record = record(
                &by,
                now_ms,
                actions::PASSWORD_CHANGE,
                ALLOWED,
                login,
                detail,
            );
            Ok((reload(tx, login)?, vec![record]))
        })?;
        inner.drop_live_sessions(login, Some(&hash));
        Ok(())
    }

    /// Sets the PIN (4 to 8 digits) that unlocks the account's locked
    /// sessions.
    pub fn set_pin(
        &self,
        token: &str,
        pin: &str,
        from: IpAddr,
        now_ms: i64,
    ) -> Result<(), PasswordError> {
        let inner = &self.inner;
        let view = self.usable_session(token, now_ms)?;
        rules::check_pin(pin)?;
        let login = view.account.login.as_str();
        let by = inner.session_actor(login, from);
        let pin_hash = inner.hasher.hash(pin)?;
        inner.write_account(Audit::BeforeCommit, |tx| {
            tx.execute(
                "UPDATE accounts SET pin_hash = ?2 WHERE login = ?1",
                params![login, pin_hash],
            )?;
            let record = record(
                &by,
                now_ms,
                actions::PIN_SET,
                ALLOWED,
                login,
                "code PIN défini",
            );
            Ok((reload(tx, login)?, vec![record]))
        })?;
        Ok(())
    }

    /// The session of `token` if it exists and is not locked.
    fn usable_session(&self, token: &str, now_ms: i64) -> Result<SessionView, PasswordError> {
        let view = self
            .session(token, now_ms)
            .ok_or(PasswordError::NoSession)?;
        if view.locked {
            return Err(PasswordError::SessionLocked);
        }
        Ok(view)
    }

    /// Ends a session because its account just got locked out.
    fn end_locked_out(&self, hash: [u8; 32], by: &crate::Actor, id: &str, now_ms: i64) {
        lock(&self.inner.sessions).remove(&hash);
        let detail = format!("session {id} fermée : compte verrouillé");
        let record = record(by, now_ms, actions::LOGOUT, ALLOWED, &by.login, detail);
        self.inner.delete_session(hash, Some(record));
    }
}

impl Inner {
    /// Audits (queued, not durable: this runs on the hot path) the expiry of
    /// a session just removed from memory, and queues its deletion.
    fn expire_queued(&self, hash: [u8; 32], live: &LiveSession, now_ms: i64) {
        self.audit.append(self.expiry_record(live, now_ms));
        lock(&self.ended).push(hash);
    }

    /// The audit record of a session's expiry.
    fn expiry_record(&self, live: &LiveSession, now_ms: i64) -> ckisa_audit::AuditRecord {
        let absolute = live
            .created_ms
            .saturating_add(millis(self.options.session_absolute));
        let why = if now_ms >= absolute {
            "durée maximale atteinte"
        } else {
            "inactivité"
        };
        let by = crate::Actor {
            login: live.login.clone(),
            role: read(&self.accounts).get(&live.login).map(|a| a.role),
            source: live.source.clone(),
        };
        let detail = format!("session {} expirée ({why})", live.id);
        record(
            &by,
            now_ms,
            actions::SESSION_EXPIRED,
            ALLOWED,
            &live.login,
            detail,
        )
    }
}
