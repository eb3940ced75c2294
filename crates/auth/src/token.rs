//! API tokens for machine clients (monitoring, exports): a name, a set of
//! allowed actions, and a secret shown once.
//!
//! The secret is `ckisa_` followed by 64 hex digits (256 random bits); the
//! node keeps only its SHA-256. [`Directory::check_token`] compares the
//! digest with every stored one in constant time, without stopping at the
//! first match. Tokens may not carry actions that need a person
//! (break-the-glass, account management).

use ckisa_audit::actions;
use rusqlite::{Connection, params};

use crate::directory::{ALLOWED, Audit, read, record, write};
use crate::secret::{ct_eq, random_secret, sha256};
use crate::{Action, Actor, AuthError, Directory, TokenInfo, rules};

/// What a machine token may be given: the actions the JSON API and
/// `/metrics` serve. Break-the-glass and account management need a person;
/// the audit pages are pages, not API.
pub const TOKEN_ACTIONS: [Action; 8] = [
    Action::UnitList,
    Action::UnitBoard,
    Action::PatientSearch,
    Action::PatientChart,
    Action::NodeStatus,
    Action::Quarantine,
    Action::Metrics,
    // The SMS gateway relaying answers to a staff recall.
    Action::StaffRecall,
];

/// Prefix of every token secret, so that scanners and people recognise one.
pub const TOKEN_PREFIX: &str = "ckisa_";

/// A token as kept in memory.
#[derive(Debug, Clone)]
pub(crate) struct LiveToken {
    pub(crate) info: TokenInfo,
    pub(crate) hash: [u8; 32],
}

/// Loads every token.
pub(crate) fn load(conn: &Connection) -> Result<Vec<LiveToken>, AuthError> {
    let mut statement = conn.prepare(
        "SELECT name, scopes, created_ms, revoked_ms IS NOT NULL, secret_hash \
         FROM tokens ORDER BY name",
    )?;
    let rows = statement.query_map([], |row| {
        let scopes: String = row.get(1)?;
        let hash: Vec<u8> = row.get(4)?;
        let info = TokenInfo {
            name: row.get(0)?,
            scopes: parse_scopes(&scopes),
            created_ms: row.get(2)?,
            revoked: row.get(3)?,
        };
        Ok((info, hash))
    })?;
    let mut tokens = Vec::new();
    for row in rows {
        let (info, hash) = row?;
        // A digest of the wrong size matches nothing: drop it.
        if let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) {
            tokens.push(LiveToken { info, hash });
        }
    }
    Ok(tokens)
}

impl Directory {
    /// Creates an API token allowed to do `scopes`; returns its secret,
    /// which is shown once and never stored.
    pub fn create_token(
        &self,
        name: &str,
        scopes: &[Action],
        by: &Actor,
        now_ms: i64,
    ) -> Result<String, AuthError> {
        let inner = &self.inner;
        inner.require_admin(by, now_ms, actions::TOKEN_CREATE, name)?;
        rules::check_login(name).map_err(AuthError::InvalidTokenName)?;
        let mut scopes = scopes.to_vec();
        scopes.sort_by_key(|action| Action::ALL.iter().position(|a| a == action));
        scopes.dedup();
        if scopes.is_empty() {
            return Err(AuthError::NoTokenScopes);
        }
        if let Some(personal) = scopes.iter().find(|action| !TOKEN_ACTIONS.contains(action)) {
            return Err(AuthError::ScopeNotForTokens(personal.code()));
        }
        let secret = format!("{TOKEN_PREFIX}{}", random_secret()?);
        let hash = sha256(&secret);
        let codes = scopes_text(&scopes);
        let info = TokenInfo {
            name: name.to_owned(),
            scopes,
            created_ms: now_ms,
            revoked: false,
        };
        let remember = |_: &()| write(&inner.tokens).push(LiveToken { info, hash });
        inner.transact(
            Audit::BeforeCommit,
            |tx| {
                let inserted = tx.execute(
                    "INSERT INTO tokens (name, secret_hash, scopes, created_ms, created_by) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO NOTHING",
                    params![name, hash, codes, now_ms, by.login],
                )?;
                if inserted == 0 {
                    return Err(AuthError::DuplicateToken(name.to_owned()));
                }
                let detail = format!("jeton créé ; droits : {codes}");
                let record = record(by, now_ms, actions::TOKEN_CREATE, ALLOWED, name, detail);
                Ok(((), vec![record]))
            },
            remember,
        )?;
        Ok(secret)
    }

    /// Revokes an API token (for good; it keeps its name).
    pub fn revoke_token(&self, name: &str, by: &Actor, now_ms: i64) -> Result<(), AuthError> {
        let inner = &self.inner;
        inner.require_admin(by, now_ms, actions::TOKEN_REVOKE, name)?;
        inner.write_then_audit(|tx| {
            let changed = tx.execute(
                "UPDATE tokens SET revoked_ms = coalesce(revoked_ms, ?2) WHERE name = ?1",
                params![name, now_ms],
            )?;
            if changed == 0 {
                return Err(AuthError::UnknownToken(name.to_owned()));
            }
            let record = record(
                by,
                now_ms,
                actions::TOKEN_REVOKE,
                ALLOWED,
                name,
                "jeton révoqué",
            );
            Ok(((), vec![record]))
        })?;
        for token in write(&inner.tokens).iter_mut() {
            if token.info.name == name {
                token.info.revoked = true;
            }
        }
        Ok(())
    }

    /// Every API token, revoked ones included, by name (no secrets).
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, AuthError> {
        let tokens = self.inner.with_db(load)?;
        Ok(tokens.into_iter().map(|token| token.info).collect())
    }

    /// The live (not revoked) token whose secret this is. Memory only;
    /// compares digests in constant time. `_now_ms` is reserved for token
    /// expiry.
    pub fn check_token(&self, secret: &str, _now_ms: i64) -> Option<TokenInfo> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return None;
        }
        let hash = sha256(secret);
        let mut found = None;
        for token in read(&self.inner.tokens).iter() {
            if ct_eq(&token.hash, &hash) {
                found = Some(token.info.clone());
            }
        }
        found.filter(|info| !info.revoked)
    }
}

/// Scopes as stored: action codes separated by commas.
fn scopes_text(scopes: &[Action]) -> String {
    let codes: Vec<&str> = scopes.iter().map(|action| action.code()).collect();
    codes.join(",")
}

/// Scopes read back; unknown codes (from a newer ckisa) are dropped, which
/// only narrows the token.
fn parse_scopes(text: &str) -> Vec<Action> {
    text.split(',')
        .filter_map(|code| Action::ALL.into_iter().find(|a| a.code() == code.trim()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_unknown_codes_drop() {
        let scopes = [Action::Metrics, Action::NodeStatus];
        assert_eq!(parse_scopes(&scopes_text(&scopes)), scopes);
        assert_eq!(
            parse_scopes("node.metrics,time.travel"),
            vec![Action::Metrics]
        );
        assert!(parse_scopes("").is_empty());
    }
}
