//! Seeing what another process changed: [`Directory::refresh`].
//!
//! The node and the CLI (`ckisa users ...`, `ckisa tokens ...`) each open
//! their own [`Directory`] on the same `auth.db` (WAL). The node's hot paths
//! read only memory, so without a refresh a token revoked by the CLI would
//! keep working until the node restarts, and a disabled account's sessions
//! would stay open. A refresh asks SQLite's `PRAGMA data_version`, which
//! changes only when *another* connection committed (one cheap call when
//! nothing changed); when it did, accounts, tokens, in-force grants and the
//! list of session rows are read back in one read transaction and memory is
//! brought in line:
//!
//! - accounts (role, units, disabled, must-change, lock-out) are replaced,
//!   so [`SessionView::account`](crate::SessionView::account) carries the
//!   current role and units;
//! - tokens are replaced: new ones work, revoked ones stop;
//! - grants are replaced by those in force at `now_ms` or later;
//! - a live session whose row is gone (the CLI disabled the account, reset
//!   its password, or logged it out everywhere), or whose account is gone
//!   or disabled, is dropped from memory (and its row, if still there,
//!   deleted at the next write). Sessions are never *added* from
//!   the database: only the node opens them, and a row not in memory may be
//!   one the node just ended and has yet to delete.
//!
//! Everything runs under the database lock, like the in-memory updates that
//! follow the node's own commits (see [`crate::directory`]), so a refresh
//! never overwrites a newer copy with an older one.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

use rusqlite::Connection;

use crate::db;
use crate::directory::{Inner, lock, write};
use crate::token::LiveToken;
use crate::{Account, AuthError, Directory, Grant};

/// What a refresh reads back from the database.
struct Snapshot {
    accounts: HashMap<String, Account>,
    tokens: Vec<LiveToken>,
    grants: Vec<Grant>,
    sessions: HashSet<[u8; 32]>,
}

impl Snapshot {
    /// Reads everything memory mirrors, in one read transaction so that the
    /// tables agree with each other.
    fn read(conn: &mut Connection, now_ms: i64) -> Result<Snapshot, AuthError> {
        let tx = conn.transaction()?;
        let accounts = db::accounts(&tx)?
            .into_iter()
            .map(|account| (account.login.clone(), account))
            .collect();
        let snapshot = Snapshot {
            accounts,
            tokens: crate::token::load(&tx)?,
            grants: crate::glass::in_force(&tx, now_ms)?,
            sessions: db::session_hashes(&tx)?,
        };
        tx.commit()?;
        Ok(snapshot)
    }
}

impl Directory {
    /// Brings memory in line with `auth.db` if another process (the CLI)
    /// committed a change since the last look; returns whether it reloaded.
    /// When nothing changed, this is one `PRAGMA data_version` (no table is
    /// read). [`Directory::sweep`] calls it first; the node runs sweep every
    /// few seconds. See the module documentation for what is reloaded.
    pub fn refresh(&self, now_ms: i64) -> Result<bool, AuthError> {
        let inner = &self.inner;
        let mut conn = lock(&inner.db);
        let version = db::data_version(&conn)?;
        if version == inner.data_version.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let snapshot = Snapshot::read(&mut conn, now_ms)?;
        let dropped = inner.apply(snapshot);
        inner.data_version.store(version, Ordering::Relaxed);
        drop(conn);
        tracing::info!(
            sessions_ended = dropped,
            "accounts directory reloaded after a change by another process"
        );
        Ok(true)
    }
}

impl Inner {
    /// Replaces the in-memory copies with `snapshot`; returns how many live
    /// sessions were dropped. Called under the database lock; takes one
    /// in-memory lock at a time.
    fn apply(&self, snapshot: Snapshot) -> usize {
        let Snapshot {
            accounts,
            tokens,
            grants,
            sessions: rows,
        } = snapshot;
        let open = |login: &str| accounts.get(login).is_some_and(|a| !a.disabled);
        let mut dropped = 0;
        // Rows still there (an account disabled by hand in SQL, without
        // deleting its sessions): deleted at the next write.
        let mut leftover = Vec::new();
        lock(&self.sessions).retain(|hash, live| {
            let has_row = rows.contains(hash);
            if has_row && open(&live.login) {
                return true;
            }
            dropped += 1;
            if has_row {
                leftover.push(*hash);
            }
            false
        });
        lock(&self.ended).extend(leftover);
        *write(&self.accounts) = accounts;
        *write(&self.tokens) = tokens;
        *write(&self.grants) = grants;
        dropped
    }
}
