//! Reading care events from the store and recording new ones: the one path
//! for the web capsule, the CLI and the tests.

use ckisa_domain::{Actor, CareFact, Event, EventId, Fact, Hlc, NodeId};
use ckisa_store::{Store, StoreError, typed};

use crate::book::CareBook;

/// Kind of care events in the log.
pub const KIND: &str = "care";
/// Kind of merge events (A40 from the HIS), which the book follows too.
pub const MERGE_KIND: &str = "merge";

/// Why a care fact was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The store refused it (French reason, e.g. a merged-away patient).
    #[error("{0}")]
    StoreRefused(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Events of `kind` recorded after `after` (all when `None`), oldest first.
pub fn events_of_kind(
    store: &dyn Store,
    kind: &str,
    after: Option<EventId>,
) -> Result<Vec<Event>, StoreError> {
    typed::events_of_kind(store, kind, after)
}

/// Folds into `book` every care and merge event it has not seen yet;
/// returns how many.
pub fn catch_up(book: &mut CareBook, store: &dyn Store) -> Result<usize, StoreError> {
    let merges = events_of_kind(store, MERGE_KIND, book.last_merge_event())?;
    let care = events_of_kind(store, KIND, book.last_care_event())?;
    for event in merges.iter().chain(&care) {
        book.apply(event);
    }
    Ok(merges.len() + care.len())
}

/// The book of everything the log holds.
pub fn load(store: &dyn Store) -> Result<CareBook, StoreError> {
    let mut book = CareBook::new();
    catch_up(&mut book, store)?;
    Ok(book)
}

/// The event recording `fact`, typed by `actor` on `node` (`origin` says
/// where: `web`, `cli`), at `hlc`.
pub fn event(actor: Actor, node: &NodeId, origin: &str, fact: CareFact, hlc: Hlc) -> Event {
    typed::event(actor, node, origin, Fact::Care(fact), hlc)
}

/// Commits care events, received at `now_ms`, durably and atomically (all
/// or none: an admission is an identity, a stay and a place together).
pub fn commit(store: &dyn Store, events: Vec<Event>, now_ms: i64) -> Result<(), RecordError> {
    match typed::commit(store, events, now_ms)? {
        Some(reason) => Err(RecordError::StoreRefused(reason)),
        None => Ok(()),
    }
}
