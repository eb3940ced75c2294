//! Break-the-glass: a caregiver opens the chart of a patient outside their
//! units, for a stated reason, for a limited time.
//!
//! Only roles for which the matrix gives [`Action::BreakGlass`] may; the
//! reason must have at least [`REASON_MIN`] characters once trimmed. Each
//! grant is audited durably (with the patient and the reason) before it
//! takes effect, kept in memory for the hot-path check [`Directory::grant`]
//! and in `auth.db` for the security role's alert list
//! ([`Directory::grants_since`]).

use std::net::IpAddr;

use ckisa_audit::actions;
use rusqlite::{Connection, params};

use crate::directory::{ALLOWED, Audit, DENIED, lock, read, record, write};
use crate::options::millis;
use crate::rules::REASON_MIN;
use crate::{Action, AuthError, Directory, Grant, Reach, reach};

/// Loads the grants that may still be in force: those ending after the
/// start of the latest grant (no clock needed; [`Directory::grant`] checks
/// the time).
pub(crate) fn load(conn: &Connection) -> Result<Vec<Grant>, AuthError> {
    let latest: i64 =
        conn.query_row("SELECT coalesce(max(from_ms), 0) FROM grants", [], |row| {
            row.get(0)
        })?;
    query(conn, "WHERE until_ms > ?1 ORDER BY seq", latest)
}

/// Loads the grants still in force at `now_ms` or later (a refresh, which
/// has a clock).
pub(crate) fn in_force(conn: &Connection, now_ms: i64) -> Result<Vec<Grant>, AuthError> {
    query(conn, "WHERE until_ms > ?1 ORDER BY seq", now_ms)
}

impl Directory {
    /// Grants the session's account access to `patient`'s chart for
    /// `options.break_glass_for`, for `reason`. Refusals are audited as
    /// denied.
    pub fn break_glass(
        &self,
        token: &str,
        patient: &str,
        reason: &str,
        from: IpAddr,
        now_ms: i64,
    ) -> Result<Grant, AuthError> {
        let inner = &self.inner;
        let view = self.session(token, now_ms).ok_or(AuthError::NoSession)?;
        if view.locked {
            return Err(AuthError::SessionLocked);
        }
        if view.must_change {
            return Err(AuthError::PasswordChangeRequired);
        }
        let login = view.account.login.as_str();
        let by = inner.session_actor(login, from);
        let patient = patient.trim();
        let reason = reason.trim();
        let refusal = if reach(view.account.role, Action::BreakGlass) == Reach::Never {
            Some((
                AuthError::NotAllowed,
                "refusé : rôle sans accès exceptionnel",
            ))
        } else if patient.is_empty() {
            Some((AuthError::MissingPatient, "refusé : patient non précisé"))
        } else if reason.chars().count() < REASON_MIN {
            let error = AuthError::ReasonTooShort { min: REASON_MIN };
            Some((error, "refusé : motif trop court"))
        } else {
            None
        };
        if let Some((error, detail)) = refusal {
            let mut record = record(&by, now_ms, actions::BREAK_GLASS, DENIED, login, detail);
            record.patient = Some(patient.to_owned()).filter(|p| !p.is_empty());
            inner.audit_best_effort(record);
            return Err(error);
        }
        let grant = Grant {
            login: login.to_owned(),
            patient: patient.to_owned(),
            reason: reason.to_owned(),
            from_ms: now_ms,
            until_ms: now_ms.saturating_add(millis(inner.options.break_glass_for)),
            source: by.source.clone(),
        };
        let remember = |_: &()| {
            let mut grants = write(&inner.grants);
            grants.retain(|kept| kept.until_ms > now_ms);
            grants.push(grant.clone());
        };
        inner.transact(
            Audit::BeforeCommit,
            |tx| {
                tx.execute(
                    "INSERT INTO grants (login, patient, reason, from_ms, until_ms, source) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        grant.login,
                        grant.patient,
                        grant.reason,
                        grant.from_ms,
                        grant.until_ms,
                        grant.source
                    ],
                )?;
                let mut record = record(&by, now_ms, actions::BREAK_GLASS, ALLOWED, login, reason);
                record.patient = Some(grant.patient.clone());
                Ok(((), vec![record]))
            },
            remember,
        )?;
        Ok(grant)
    }

    /// The grant in force at `now_ms` for `login` on `patient` (the one
    /// ending last, if several). Memory only.
    pub fn grant(&self, login: &str, patient: &str, now_ms: i64) -> Option<Grant> {
        read(&self.inner.grants)
            .iter()
            .filter(|grant| grant.login == login && grant.patient == patient)
            .filter(|grant| grant.active_at(now_ms))
            .max_by_key(|grant| grant.until_ms)
            .cloned()
    }

    /// Every grant that started at or after `since_ms`, latest first (the
    /// security role's alert list).
    pub fn grants_since(&self, since_ms: i64) -> Result<Vec<Grant>, AuthError> {
        let conn = lock(&self.inner.db);
        query(
            &conn,
            "WHERE from_ms >= ?1 ORDER BY from_ms DESC, seq DESC",
            since_ms,
        )
    }
}

/// Grants matching `filter` (an SQL tail whose only parameter is `?1`).
fn query(conn: &Connection, filter: &str, parameter: i64) -> Result<Vec<Grant>, AuthError> {
    let sql =
        format!("SELECT login, patient, reason, from_ms, until_ms, source FROM grants {filter}");
    let mut statement = conn.prepare(&sql)?;
    let rows = statement.query_map([parameter], |row| {
        Ok(Grant {
            login: row.get(0)?,
            patient: row.get(1)?,
            reason: row.get(2)?,
            from_ms: row.get(3)?,
            until_ms: row.get(4)?,
            source: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
