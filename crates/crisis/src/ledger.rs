//! Reading and writing crisis facts through the [`Store`]: what the web
//! capsule, the command line (`ckisa crisis declare…`) and the node's outage
//! watch share, so that a fact is built, checked and committed the same way
//! whoever records it.
//!
//! The store calls block: async callers run these on their blocking pool.

use ckisa_domain::{Actor, CrisisFact, Event, EventId, Fact, Hlc, NodeId};
use ckisa_store::{Store, StoreError, typed};

use crate::book::{Book, Refusal};

/// The kind under which the store files crisis events.
pub const KIND: &str = "crisis";

/// Why a crisis fact was not recorded.
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

/// Crisis events recorded after `after` (all when `None`), oldest first.
pub fn new_events(store: &dyn Store, after: Option<EventId>) -> Result<Vec<Event>, StoreError> {
    typed::events_of_kind(store, KIND, after)
}

/// Folds into `book` every crisis event of the log it has not seen yet;
/// returns how many.
pub fn catch_up(book: &mut Book, store: &dyn Store) -> Result<usize, StoreError> {
    let events = new_events(store, book.last_event())?;
    for event in &events {
        book.apply(event);
    }
    Ok(events.len())
}

/// The book of everything the log holds.
pub fn load(store: &dyn Store) -> Result<Book, StoreError> {
    let mut book = Book::new();
    catch_up(&mut book, store)?;
    Ok(book)
}

/// Who records a fact and from where.
#[derive(Debug, Clone)]
pub struct Author {
    /// The account, or the node itself.
    pub actor: Actor,
    /// This node's id.
    pub node: NodeId,
    /// Where it was typed: `web`, `cli`, `veille` (the outage watch).
    pub origin: &'static str,
}

/// The event recording `fact` by `author` at `hlc`.
pub fn event(author: &Author, fact: CrisisFact, hlc: Hlc) -> Event {
    typed::event(
        author.actor.clone(),
        &author.node,
        author.origin,
        Fact::Crisis(fact),
        hlc,
    )
}

/// Commits one crisis event, received at `now_ms`, durably.
pub fn commit(store: &dyn Store, event: Event, now_ms: i64) -> Result<(), RecordError> {
    match typed::commit(store, vec![event], now_ms)? {
        Some(reason) => Err(RecordError::StoreRefused(reason)),
        None => Ok(()),
    }
}

/// Catches `book` up, checks `fact` against it, commits it at `hlc`, and
/// folds it in. The caller serialises the writers of one node (two
/// declarations checked at once would both pass).
pub fn record(
    book: &mut Book,
    store: &dyn Store,
    author: &Author,
    fact: CrisisFact,
    hlc: Hlc,
    now_ms: i64,
) -> Result<Event, RecordError> {
    catch_up(book, store)?;
    book.check(&fact)?;
    let event = event(author, fact, hlc);
    commit(store, event.clone(), now_ms)?;
    catch_up(book, store)?;
    Ok(event)
}
