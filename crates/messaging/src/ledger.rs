//! Reading messaging events from the store and recording new ones: the one
//! path for the web capsule, the node's escalation round and the tests.
//!
//! The store calls block: async callers run these on their blocking pool.

use ckisa_domain::{Actor, Event, EventId, Fact, Hlc, MessageFact, NodeId, Source, SourceChannel};
use ckisa_store::{Outcome, Store, StoreError, Submission};

use crate::book::{MessageBook, Reader, Refusal};

/// The kind under which the store files messaging events.
pub const KIND: &str = "message";

/// Most events read from the log in one go while catching up.
const BATCH: usize = 5_000;

/// Why a messaging fact was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The book refuses it now (French reason).
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// The store refused it (French reason).
    #[error("{0}")]
    StoreRefused(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Messaging events recorded after `after` (all when `None`), oldest first.
pub fn new_events(store: &dyn Store, mut after: Option<EventId>) -> Result<Vec<Event>, StoreError> {
    let mut all = Vec::new();
    loop {
        let batch = store.events_of_kind(KIND, after, BATCH)?;
        let full = batch.len() == BATCH;
        after = batch.last().map(|e| e.id).or(after);
        all.extend(batch);
        if !full {
            return Ok(all);
        }
    }
}

/// Folds into `book` every messaging event of the log it has not seen yet;
/// returns how many.
pub fn catch_up(book: &mut MessageBook, store: &dyn Store) -> Result<usize, StoreError> {
    let events = new_events(store, book.last_event())?;
    for event in &events {
        book.apply(event);
    }
    Ok(events.len())
}

/// The event recording `fact` by `actor` of node `node` at `hlc`; `origin`
/// says where it was typed (`web`, `api`, `noeud` for the escalation round).
pub fn event(actor: Actor, node: &NodeId, origin: &str, fact: MessageFact, hlc: Hlc) -> Event {
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
        fact: Fact::Message(fact),
    }
}

/// Commits one event, received at `now_ms`, durably.
pub fn commit(store: &dyn Store, event: Event, now_ms: i64) -> Result<(), RecordError> {
    let submission = Submission {
        feed: String::new(),
        received_ms: now_ms,
        dedup: None,
        events: vec![event],
    };
    match store.commit(vec![submission])?.into_iter().next() {
        Some(Outcome::Refused { reason }) => Err(RecordError::StoreRefused(reason)),
        Some(Outcome::Stored | Outcome::Duplicate) | None => Ok(()),
    }
}

/// Catches `book` up, checks `fact` of `reader` against it, commits it and
/// folds it in. The caller serialises the writers of one node.
pub fn record(
    book: &mut MessageBook,
    store: &dyn Store,
    reader: &Reader,
    event: Event,
    now_ms: i64,
) -> Result<(), RecordError> {
    catch_up(book, store)?;
    if let Fact::Message(fact) = &event.fact {
        book.check(reader, fact)?;
    }
    commit(store, event, now_ms)?;
    catch_up(book, store)?;
    Ok(())
}
