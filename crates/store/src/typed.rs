//! What people type (crisis facts, care documentation, messages), read
//! from and written to the log the same way by every capsule: all the
//! events of one kind after a point, an event typed by an actor, and the
//! durable commit of such events.

use ckisa_domain::{Actor, Event, EventId, Fact, Hlc, NodeId, Source, SourceChannel};

use crate::{Outcome, Store, StoreError, Submission};

/// Most events read from the log in one go.
const BATCH: usize = 2_000;

/// Events of `kind` recorded after `after` (all when `None`), oldest first,
/// read in batches.
pub fn events_of_kind(
    store: &dyn Store,
    kind: &str,
    mut after: Option<EventId>,
) -> Result<Vec<Event>, StoreError> {
    let mut all = Vec::new();
    loop {
        let batch = store.events_of_kind(kind, after, BATCH)?;
        let full = batch.len() == BATCH;
        after = batch.last().map(|e| e.id).or(after);
        all.extend(batch);
        if !full {
            return Ok(all);
        }
    }
}

/// The event recording `fact`, typed by `actor` on `node` at `hlc`;
/// `origin` says where (`web`, `cli`, `veille`, `noeud`...).
pub fn event(actor: Actor, node: &NodeId, origin: &str, fact: Fact, hlc: Hlc) -> Event {
    Event {
        id: EventId::new(hlc.unix_ms()),
        hlc,
        origin: node.clone(),
        actor,
        source: Source {
            channel: SourceChannel::User,
            origin: origin.to_owned(),
            message_id: None,
            sender: None,
            fhir_id: None,
        },
        fact,
    }
}

/// Commits typed events, received at `now_ms`, durably and atomically (all
/// or none). `Ok(Some(reason))` when the store refused them (French reason,
/// e.g. a merged-away patient).
pub fn commit(
    store: &dyn Store,
    events: Vec<Event>,
    now_ms: i64,
) -> Result<Option<String>, StoreError> {
    let submission = Submission {
        feed: String::new(),
        received_ms: now_ms,
        dedup: None,
        events,
    };
    Ok(match store.commit(vec![submission])?.into_iter().next() {
        Some(Outcome::Refused { reason }) => Some(reason),
        Some(Outcome::Stored | Outcome::Duplicate) | None => None,
    })
}
