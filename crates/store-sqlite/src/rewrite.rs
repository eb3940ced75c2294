//! Rewriting the fact of events already in the log: the one exception to the
//! append-only log, for the retention purge of messages (see
//! [`Store::rewrite_events`](ckisa_store::Store::rewrite_events)).
//!
//! Only the `payload` column (and `patient`, which is derived from it)
//! changes; the row keeps its `seq`, so readers see the new fact in the old
//! one's place. The whole list runs in the writer's job savepoint: one
//! refusal rolls every rewrite of the list back. The old payload is
//! overwritten in the page, not only unlinked (secure delete).

use ckisa_domain::{EventId, Fact};
use ckisa_store::StoreError;
use rusqlite::{Connection, OptionalExtension, params};

use crate::apply::is_projected;
use crate::attachments::secure_delete;
use crate::error::{database, encoding};

/// A new fact for an event, encoded on the caller's thread.
#[derive(Debug)]
pub(crate) struct PreparedRewrite {
    id: EventId,
    fact: Fact,
    payload: String,
}

impl PreparedRewrite {
    /// Encodes the fact as the log's `payload` column holds it.
    pub(crate) fn new(id: EventId, fact: Fact) -> Result<PreparedRewrite, StoreError> {
        let payload = serde_json::to_string(&fact).map_err(encoding)?;
        Ok(PreparedRewrite { id, fact, payload })
    }
}

/// Applies every rewrite, or refuses at the first one that may not be
/// applied (the caller rolls back). Returns how many events changed.
pub(crate) fn rewrite(
    conn: &Connection,
    rewrites: &[PreparedRewrite],
) -> Result<usize, StoreError> {
    secure_delete(conn, || {
        let mut changed = 0;
        for rewrite in rewrites {
            if rewrite_one(conn, rewrite)? {
                changed += 1;
            }
        }
        Ok(changed)
    })
}

/// Rewrites one event; false when it already holds this fact.
fn rewrite_one(conn: &Connection, rewrite: &PreparedRewrite) -> Result<bool, StoreError> {
    let id = rewrite.id;
    let stored: Option<(i64, String, String)> = conn
        .prepare_cached("SELECT seq, kind, payload FROM events WHERE id = ?1")
        .and_then(|mut select| {
            select
                .query_row([id.0.as_bytes().as_slice()], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()
        })
        .map_err(database)?;
    let Some((seq, kind, payload)) = stored else {
        return Err(StoreError::UnknownEvent { id });
    };

    // The kind stays: it is what readers select events by, and what the
    // per-kind counts were made of.
    let proposed = rewrite.fact.kind();
    if kind != proposed {
        return Err(StoreError::RewriteChangesKind {
            id,
            stored: kind,
            proposed: proposed.to_owned(),
        });
    }
    let old: Fact = serde_json::from_str(&payload).map_err(encoding)?;
    if is_projected(&old) || is_projected(&rewrite.fact) {
        return Err(StoreError::RewriteOfProjectedEvent { id, kind });
    }
    if old == rewrite.fact {
        return Ok(false);
    }

    conn.prepare_cached("UPDATE events SET payload = ?1, patient = ?2 WHERE seq = ?3")
        .and_then(|mut update| {
            update.execute(params![
                rewrite.payload,
                rewrite.fact.patient().map(|p| p.as_str()),
                seq
            ])
        })
        .map_err(database)?;
    Ok(true)
}
