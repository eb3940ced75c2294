//! Recording through a real SQLite store and reading back: a new book
//! folded from the log equals the one that recorded, refusals leave the
//! log untouched, and another process's events are caught up.

use std::sync::Arc;

use ckisa_domain::{Actor, Hlc, ItemId, MessageFact, NodeId};
use ckisa_messaging::ledger::{self, RecordError};
use ckisa_messaging::{MessageBook, Reader};
use ckisa_store::Store;
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};

use crate::support::*;

struct Node {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
}

fn node() -> Node {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), SqliteOptions::new("Europe/Paris")).unwrap();
    Node {
        _dir: dir,
        store: Arc::new(store),
    }
}

fn write(
    book: &mut MessageBook,
    store: &dyn Store,
    reader: &Reader,
    at_ms: i64,
    fact: MessageFact,
) -> Result<(), RecordError> {
    let at = u64::try_from(at_ms).unwrap();
    let event = ledger::event(
        Actor::User(reader.login.clone()),
        &NodeId("n1".into()),
        "web",
        fact,
        Hlc::new(at, 0),
    );
    ledger::record(book, store, reader, event, at_ms)
}

/// What a reader of the book sees, to compare two books.
fn summary(book: &MessageBook) -> Vec<String> {
    let mut lines = Vec::new();
    for channel in book.channels() {
        for (_, message) in book.messages_of(channel, false) {
            lines.push(format!(
                "{} {} {} {:?} {} {:?} {}",
                message.seq,
                channel.def.id,
                message.author,
                message.post.text,
                message.versions.len(),
                message.retracted.as_ref().map(|r| &r.reason),
                message.pinned,
            ));
        }
    }
    for broadcast in book.broadcasts() {
        lines.push(format!("{:?}", broadcast.tally()));
    }
    for entry in book.entries_after(0) {
        lines.push(format!("{} {} {:?}", entry.seq, entry.actor, entry.change));
    }
    lines
}

#[test]
fn what_is_recorded_folds_back_the_same_from_the_log() {
    let node = node();
    let store: &dyn Store = node.store.as_ref();
    let mut book = new_book();
    let nurse = nurse_rea();
    write(
        &mut book,
        store,
        &nurse,
        T0,
        post("m1", "unite:REA", None, "Besoin de bras"),
    )
    .unwrap();
    write(
        &mut book,
        store,
        &nurse,
        T0 + MIN,
        post("m2", "unite:REA", Some("m1"), "J'arrive"),
    )
    .unwrap();
    write(
        &mut book,
        store,
        &nurse,
        T0 + 2 * MIN,
        MessageFact::Edited {
            id: ItemId("m1".into()),
            text: "Besoin de deux bras".into(),
            mentions: Vec::new(),
        },
    )
    .unwrap();
    write(
        &mut book,
        store,
        &director(),
        T0 + 3 * MIN,
        broadcast(
            "b1",
            vec![
                recipient("ide-rea", "infirmier", &["REA"]),
                recipient("ide-cardio", "infirmier", &["CARDIO"]),
            ],
        ),
    )
    .unwrap();
    let ack = MessageFact::BroadcastAcknowledged {
        id: ItemId("b1".into()),
    };
    write(&mut book, store, &nurse, T0 + 4 * MIN, ack.clone()).unwrap();

    // A refusal of the book records nothing.
    let count = store.events_of_kind(ledger::KIND, None, 100).unwrap().len();
    let refused = write(&mut book, store, &nurse, T0 + 5 * MIN, ack).unwrap_err();
    assert!(matches!(refused, RecordError::Refused(_)), "{refused}");
    assert_eq!(refused.to_string(), "C'est déjà noté.");
    let refused = write(
        &mut book,
        store,
        &nurse_cardio(),
        T0 + 5 * MIN,
        post("m3", "unite:REA", None, "intrus"),
    )
    .unwrap_err();
    assert!(refused.to_string().contains("pas membre"), "{refused}");
    assert_eq!(
        store.events_of_kind(ledger::KIND, None, 100).unwrap().len(),
        count
    );
    assert_eq!(count, 5);

    // A node starting afresh folds the same book from the log.
    let mut fresh = new_book();
    assert_eq!(ledger::catch_up(&mut fresh, store).unwrap(), 5);
    assert_eq!(summary(&fresh), summary(&book));
    assert_eq!(fresh.last_event(), book.last_event());
    assert_eq!(ledger::catch_up(&mut fresh, store).unwrap(), 0);

    // What another process records is caught up before the next check.
    let mut other = new_book();
    let colleague = reader("ide-rea2", "infirmier", &["REA"]);
    write(
        &mut other,
        store,
        &colleague,
        T0 + 6 * MIN,
        post("m4", "unite:REA", None, "Vu"),
    )
    .unwrap();
    assert_eq!(other.seq(), 6);
    write(
        &mut book,
        store,
        &nurse,
        T0 + 7 * MIN,
        post("m4", "unite:REA", None, "doublon"),
    )
    .map(|()| panic!("the id of another process's message is taken"))
    .unwrap_or_else(|error| assert!(error.to_string().contains("existe déjà"), "{error}"));
    assert_eq!(book.seq(), 6);
    let channel = book.channel("unite:REA").unwrap();
    assert_eq!(book.unread(channel, "ide-rea"), 1);
}
