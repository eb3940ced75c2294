//! Logging in and out: password checks, per-account lock-out, per-address
//! throttling, session creation and ending.
//!
//! Answers never tell whether a login exists: an unknown login runs one
//! Argon2 verification against a dummy hash (same cost as a wrong
//! password), gets [`LoginError::BadCredentials`], and is even locked out
//! after the same number of failures as a real account (in memory only).
//! The password typed is never written anywhere; the typed login of a
//! failed attempt is audited only when it has the shape of a login (a
//! password typed in the login field is not).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use ckisa_audit::actions;

use crate::db::{self, Credentials};
use crate::directory::{ALLOWED, Audit, DENIED, FAILED, Inner, lock, read, record, reload};
use crate::options::millis;
use crate::secret::{hex, random_bytes, random_secret, sha256};
use crate::session::LiveSession;
use crate::{
    Account, Action, Actor, AuthError, Directory, LoginError, NewSession, Reach, reach, rules,
};

/// The throttling window.
const WINDOW_MS: i64 = 60_000;

/// Beyond this many tracked addresses or unknown logins, stale entries are
/// dropped (bounds memory under a spraying attack).
const MAX_TRACKED: usize = 10_000;

/// Recent login attempts per address (IPv6 grouped by /64, the block one
/// machine usually holds).
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    attempts: HashMap<IpAddr, VecDeque<i64>>,
}

impl Throttle {
    /// Counts an attempt from `address` at `now_ms`, or refuses it with the
    /// seconds to wait when the address already made `limit` attempts in the
    /// last minute (refused attempts are not counted).
    pub(crate) fn attempt(&mut self, address: IpAddr, now_ms: i64, limit: u32) -> Result<(), u64> {
        let since = now_ms - WINDOW_MS;
        if self.attempts.len() > MAX_TRACKED {
            self.attempts
                .retain(|_, queue| queue.back().is_some_and(|at| *at > since));
        }
        let queue = self.attempts.entry(address_key(address)).or_default();
        while queue.front().is_some_and(|at| *at <= since) {
            queue.pop_front();
        }
        if queue.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
            let oldest = queue.front().copied().unwrap_or(now_ms);
            let wait_ms = (oldest + WINDOW_MS - now_ms).max(1);
            return Err(u64::try_from((wait_ms + 999) / 1000).unwrap_or(60));
        }
        queue.push_back(now_ms);
        Ok(())
    }
}

/// Failure counters of logins that match no account, so that they lock out
/// like real ones and do not reveal that the account does not exist.
#[derive(Debug, Default)]
pub(crate) struct Phantoms {
    by_login: HashMap<String, (u32, Option<i64>)>,
}

impl Phantoms {
    fn locked_at(&self, login: &str, now_ms: i64) -> Option<i64> {
        self.by_login
            .get(login)
            .and_then(|(_, until)| *until)
            .filter(|until| *until > now_ms)
    }

    fn fail(&mut self, login: &str, now_ms: i64, limit: u32, lock_ms: i64) -> Option<i64> {
        if self.by_login.len() > MAX_TRACKED {
            self.by_login
                .retain(|_, (_, until)| until.is_some_and(|until| until > now_ms));
        }
        let (failures, until) = self.by_login.entry(login.to_owned()).or_default();
        *failures += 1;
        if *failures < limit.max(1) {
            return None;
        }
        *failures = 0;
        *until = Some(now_ms.saturating_add(lock_ms));
        *until
    }
}

impl Directory {
    /// Checks a login and password typed from `from`; on success opens a
    /// session. Every attempt is audited durably; a success that cannot be
    /// audited is refused.
    pub fn login(
        &self,
        login: &str,
        password: &str,
        from: IpAddr,
        now_ms: i64,
    ) -> Result<NewSession, LoginError> {
        let inner = &self.inner;
        let typed = login.trim().to_lowercase();
        let source = from.to_string();
        let limit = inner.options.address_attempts_per_minute;
        if let Err(retry_after_s) = lock(&inner.throttle).attempt(from, now_ms, limit) {
            let detail = "refusé : trop de tentatives depuis cette adresse";
            let record = record(
                &nobody(&source),
                now_ms,
                actions::LOGIN_LOCKED,
                FAILED,
                &shown(&typed),
                detail,
            );
            inner.audit_best_effort(record);
            return Err(LoginError::AddressThrottled { retry_after_s });
        }
        match inner.with_db(|conn| db::credentials(conn, &typed))? {
            None => Err(self.unknown_login(&typed, password, &source, now_ms)),
            Some(credentials) => {
                let by = Actor {
                    login: typed,
                    role: Some(credentials.role),
                    source,
                };
                self.known_login(&by, password, &credentials, now_ms)
            }
        }
    }

    /// Ends a session on request. Unknown tokens are ignored.
    pub fn logout(&self, token: &str, from: IpAddr, now_ms: i64) {
        let hash = sha256(token);
        let Some(live) = lock(&self.inner.sessions).remove(&hash) else {
            return;
        };
        let by = self.inner.session_actor(&live.login, from);
        let detail = format!("déconnexion (session {})", live.id);
        let record = record(&by, now_ms, actions::LOGOUT, ALLOWED, &live.login, detail);
        self.inner.delete_session(hash, Some(record));
    }

    /// Ends every session of `login`; returns how many were live. Allowed to
    /// the account itself, administrators and the CLI; otherwise audited as
    /// denied and nothing happens.
    pub fn logout_everywhere(&self, login: &str, by: &Actor, now_ms: i64) -> usize {
        let inner = &self.inner;
        let allowed = by.role.is_none_or(|role| {
            by.login == login || reach(role, Action::UserAdmin) == Reach::Everywhere
        });
        if !allowed {
            let detail = "refusé : seul le titulaire ou un administrateur peut le faire";
            inner.audit_best_effort(record(
                by,
                now_ms,
                actions::LOGOUT_EVERYWHERE,
                DENIED,
                login,
                detail,
            ));
            return 0;
        }
        let live = inner.drop_live_sessions(login, None);
        let written = inner.write_then_audit(|tx| {
            db::delete_sessions(tx, login, None)?;
            let detail = format!("{live} session(s) fermée(s)");
            let record = record(
                by,
                now_ms,
                actions::LOGOUT_EVERYWHERE,
                ALLOWED,
                login,
                detail,
            );
            Ok(((), vec![record]))
        });
        if let Err(error) = written {
            tracing::error!(%error, "sessions ended in memory but not in the database");
        }
        live
    }

    /// A login attempt whose login matches no account.
    fn unknown_login(&self, typed: &str, password: &str, source: &str, now_ms: i64) -> LoginError {
        let inner = &self.inner;
        let by = nobody(source);
        let target = shown(typed);
        let locked = lock(&inner.phantoms).locked_at(typed, now_ms);
        if let Some(until_ms) = locked {
            let detail = "refusé : identifiant inconnu, verrouillé après trop d'échecs";
            inner.audit_best_effort(record(
                &by,
                now_ms,
                actions::LOGIN_LOCKED,
                FAILED,
                &target,
                detail,
            ));
            return LoginError::AccountLocked { until_ms };
        }

        // The same work as for a wrong password, so that timing does not tell.
        // FIXME(issue 3): a wrong password on a real account also writes its
        // failure count (one fsync, about a millisecond against tens for
        // Argon2) while an unknown login does not; persisting the phantom
        // counters would remove this small timing difference.
        let _ = inner.hasher.verify(password, &inner.dummy_hash);

        let lock_ms = millis(inner.options.lockout_for);
        let limit = inner.options.lockout_after;
        let locked = lock(&inner.phantoms).fail(typed, now_ms, limit, lock_ms);
        inner.audit_best_effort(record(
            &by,
            now_ms,
            actions::LOGIN_FAILED,
            FAILED,
            &target,
            "identifiant inconnu",
        ));
        match locked {
            Some(until_ms) => {
                let detail = format!("identifiant inconnu verrouillé après {limit} échecs");
                inner.audit_best_effort(record(
                    &by,
                    now_ms,
                    actions::LOGIN_LOCKED,
                    FAILED,
                    &target,
                    detail,
                ));
                LoginError::AccountLocked { until_ms }
            }
            None => LoginError::BadCredentials,
        }
    }

    /// A login attempt on an existing account.
    fn known_login(
        &self,
        by: &Actor,
        password: &str,
        credentials: &Credentials,
        now_ms: i64,
    ) -> Result<NewSession, LoginError> {
        let inner = &self.inner;
        let login = by.login.as_str();
        if let Some(until_ms) = credentials.locked_at(now_ms) {
            let detail = "refusé : compte verrouillé après trop d'échecs";
            inner.audit_best_effort(record(
                by,
                now_ms,
                actions::LOGIN_LOCKED,
                FAILED,
                login,
                detail,
            ));
            return Err(LoginError::AccountLocked { until_ms });
        }
        if !inner.hasher.verify(password, &credentials.password_hash)? {
            let locked =
                inner.record_failure(by, now_ms, actions::LOGIN_FAILED, "mot de passe erroné")?;
            return Err(match locked {
                Some(until_ms) => LoginError::AccountLocked { until_ms },
                None => LoginError::BadCredentials,
            });
        }
        if !credentials.disabled && inner.hasher.is_outdated(&credentials.password_hash) {
            self.upgrade_hash(login, password, &credentials.password_hash);
        }
        if credentials.disabled {
            let detail = "refusé : compte désactivé (mot de passe correct)";
            inner.audit_best_effort(record(
                by,
                now_ms,
                actions::LOGIN_FAILED,
                FAILED,
                login,
                detail,
            ));
            return Err(LoginError::Disabled);
        }
        Ok(self.open_session(by, now_ms)?)
    }

    /// Hashes the password just checked again with the current Argon2
    /// parameters, replacing the old hash only if it did not change in the
    /// meantime. Best effort: a failure leaves the old hash, which still
    /// verifies, and is logged.
    fn upgrade_hash(&self, login: &str, password: &str, old: &str) {
        let inner = &self.inner;
        let upgraded = inner.hasher.hash(password).and_then(|new| {
            inner.with_db(|conn| {
                conn.execute(
                    "UPDATE accounts SET password_hash = ?3 \
                     WHERE login = ?1 AND password_hash = ?2",
                    rusqlite::params![login, old, new],
                )
                .map_err(AuthError::from)
            })
        });
        match upgraded {
            Ok(_) => tracing::info!(login, "password hash upgraded to the current parameters"),
            Err(error) => tracing::warn!(login, %error, "password hash upgrade failed"),
        }
    }

    /// Opens a session for an account whose password was just checked.
    fn open_session(&self, by: &Actor, now_ms: i64) -> Result<NewSession, AuthError> {
        let inner = &self.inner;
        let login = by.login.as_str();
        let token = random_secret()?;
        let csrf = random_secret()?;
        let id = hex(&random_bytes::<6>()?);
        let hash = sha256(&token);
        let account = inner.write_account(Audit::BeforeCommit, |tx| {
            tx.execute(
                "UPDATE accounts SET failures = 0, last_login_ms = ?2 WHERE login = ?1",
                rusqlite::params![login, now_ms],
            )?;
            tx.execute(
                "INSERT INTO sessions (token_hash, id, login, csrf, source, created_ms, \
                 last_seen_ms, locked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 0)",
                rusqlite::params![hash, id, login, csrf, by.source, now_ms],
            )?;
            let account = reload(tx, login)?;
            let mut detail = format!("connexion réussie (session {id})");
            if account.must_change {
                detail.push_str(" ; changement de mot de passe exigé");
            }
            Ok((
                account,
                vec![record(by, now_ms, actions::LOGIN, ALLOWED, login, detail)],
            ))
        })?;
        let live = LiveSession {
            id,
            login: login.to_owned(),
            csrf: csrf.clone(),
            source: by.source.clone(),
            created_ms: now_ms,
            last_seen_ms: now_ms,
            saved_seen_ms: now_ms,
            locked: false,
        };
        lock(&inner.sessions).insert(hash, live);
        Ok(NewSession {
            token,
            csrf,
            account,
        })
    }
}

impl Inner {
    /// Counts a failed secret check (password, PIN, current password) of
    /// `by`'s account and audits it as `action`; locks the account when the
    /// limit is reached. Returns the lock-out end if this failure locked it.
    pub(crate) fn record_failure(
        &self,
        by: &Actor,
        now_ms: i64,
        action: &str,
        what: &str,
    ) -> Result<Option<i64>, AuthError> {
        let limit = self.options.lockout_after;
        let lock_ms = millis(self.options.lockout_for);
        let login = by.login.as_str();
        let cache = |(_, account): &(Option<i64>, Account)| self.cache(account.clone());
        let (locked, _) = self.transact(
            Audit::AfterCommit,
            |tx| {
                let (failures, locked) = db::record_failure(tx, login, now_ms, limit, lock_ms)?;
                let detail = format!("{what} (échec {failures} sur {limit})");
                let mut records = vec![record(by, now_ms, action, FAILED, login, detail)];
                if locked.is_some() {
                    let minutes = lock_ms / 60_000;
                    let detail = format!("compte verrouillé {minutes} min après {limit} échecs");
                    records.push(record(
                        by,
                        now_ms,
                        actions::LOGIN_LOCKED,
                        FAILED,
                        login,
                        detail,
                    ));
                }
                Ok(((locked, reload(tx, login)?), records))
            },
            cache,
        )?;
        Ok(locked)
    }

    /// Deletes a session already removed from memory, then audits `record`.
    /// If the database fails, the deletion is queued for the next write.
    pub(crate) fn delete_session(&self, hash: [u8; 32], record: Option<ckisa_audit::AuditRecord>) {
        let deleted = self.write_then_audit(|tx| {
            tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [hash])?;
            Ok(((), record.into_iter().collect()))
        });
        if let Err(error) = deleted {
            tracing::warn!(%error, "session ended in memory, database deletion queued");
            lock(&self.ended).push(hash);
        }
    }

    /// The actor of a session's owner acting from `from`.
    pub(crate) fn session_actor(&self, login: &str, from: IpAddr) -> Actor {
        Actor {
            login: login.to_owned(),
            role: read(&self.accounts).get(login).map(|account| account.role),
            source: from.to_string(),
        }
    }
}

/// The actor of an attempt by someone not (yet) known.
fn nobody(source: &str) -> Actor {
    Actor {
        login: "-".to_owned(),
        role: None,
        source: source.to_owned(),
    }
}

/// A typed login as the audit may keep it: as typed if it has the shape of
/// a login, else a placeholder (it may be a password typed in the wrong
/// field).
fn shown(typed: &str) -> String {
    if rules::check_login(typed).is_ok() {
        typed.to_owned()
    } else {
        "(saisie qui n'est pas un identifiant)".to_owned()
    }
}

/// The throttling key of an address: IPv4 as is (IPv4-mapped IPv6 too),
/// IPv6 by its /64 prefix.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_slides_over_one_minute() {
        let mut throttle = Throttle::default();
        let address: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(throttle.attempt(address, 1_000, 3), Ok(()));
        assert_eq!(throttle.attempt(address, 1_500, 3), Ok(()));
        assert_eq!(throttle.attempt(address, 1_500, 3), Ok(()));
        assert_eq!(throttle.attempt(address, 2_000, 3), Err(59));
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(throttle.attempt(other, 2_000, 3), Ok(()));
        assert_eq!(throttle.attempt(address, 60_999, 3), Err(1));
        // The first attempt leaves the window at 61 000, the others later.
        assert_eq!(throttle.attempt(address, 61_000, 3), Ok(()));
        assert_eq!(throttle.attempt(address, 61_001, 3), Err(1));
        assert_eq!(throttle.attempt(address, 61_500, 3), Ok(()));
    }

    #[test]
    fn ipv6_addresses_of_one_block_share_a_budget() {
        let mut throttle = Throttle::default();
        let first: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let second: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(throttle.attempt(first, 0, 1), Ok(()));
        assert!(throttle.attempt(second, 1, 1).is_err());
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(address_key(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn phantoms_lock_like_accounts() {
        let mut phantoms = Phantoms::default();
        assert_eq!(phantoms.fail("x", 0, 2, 100), None);
        assert_eq!(phantoms.fail("x", 0, 2, 100), Some(100));
        assert_eq!(phantoms.locked_at("x", 99), Some(100));
        assert_eq!(phantoms.locked_at("x", 100), None);
        assert_eq!(phantoms.locked_at("y", 0), None);
    }

    #[test]
    fn typed_text_that_is_no_login_is_not_kept() {
        assert_eq!(shown("jdupont"), "jdupont");
        assert!(!shown("Tr0ub4dor&3").contains("Tr0ub4dor"));
    }
}
