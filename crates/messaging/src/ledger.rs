//! Reading messaging events from the store and recording new ones: the one
//! path for the web capsule, the node's escalation round and the tests.
//!
//! The store calls block: async callers run these on their blocking pool.

use ckisa_domain::{Actor, Event, EventId, Fact, Hlc, MessageFact, NodeId};
use ckisa_store::{Store, StoreError, typed};

use crate::book::{MessageBook, Reader, Refusal};

/// The kind under which the store files messaging events.
pub const KIND: &str = "message";

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
pub fn new_events(store: &dyn Store, after: Option<EventId>) -> Result<Vec<Event>, StoreError> {
    typed::events_of_kind(store, KIND, after)
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
    typed::event(actor, node, origin, Fact::Message(fact), hlc)
}

/// Commits one event, received at `now_ms`, durably.
pub fn commit(store: &dyn Store, event: Event, now_ms: i64) -> Result<(), RecordError> {
    match typed::commit(store, vec![event], now_ms)? {
        Some(reason) => Err(RecordError::StoreRefused(reason)),
        None => Ok(()),
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
