//! Reading and writing crisis facts through the [`Store`]: what the web
//! capsule, the command line (`ckisa crisis declare…`) and the node's outage
//! watch share, so that a fact is built, checked and committed the same way
//! whoever records it.
//!
//! The store calls block: async callers run these on their blocking pool.

use ckisa_domain::{Actor, CrisisFact, Event, EventId, Fact, Hlc, NodeId, Source, SourceChannel};
use ckisa_store::{Outcome, Store, StoreError, Submission};

use crate::book::{Book, Refusal};

/// The kind under which the store files crisis events.
pub const KIND: &str = "crisis";

/// Most crisis events read from the log in one go while catching up.
const BATCH: usize = 5_000;

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
    Event {
        id: EventId::new(hlc.unix_ms()),
        hlc,
        origin: author.node.clone(),
        actor: author.actor.clone(),
        source: Source {
            channel: SourceChannel::User,
            origin: author.origin.to_owned(),
            message_id: None,
            sender: None,
            fhir_id: None,
        },
        fact: Fact::Crisis(fact),
    }
}

/// Commits one crisis event, received at `now_ms`, durably.
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
