//! What secure messaging needs of a store: attachments kept once under their
//! SHA-256, one event by id, and the rewrite of facts already in the log
//! that the retention purge of message bodies relies on (all or nothing,
//! same place in the log, never a change of kind, never a projected fact).
//!
//! Crisis main-courante entries and care reconciliation marks stand in for
//! message facts here: like them, they live in the log only and no
//! projection is built from them.

use ckisa_domain::{
    CareFact, CrisisFact, Event, EventId, Fact, ItemId, Reconciliation, ReconciliationStatus,
    RecordStatus,
};
use ckisa_store::{Outcome, Store, StoreError, Submission};
use sha2::{Digest, Sha256};

use super::{allergy, commit_one, event, facts, patient, person, tick};

/// Lowercase hexadecimal SHA-256 of `bytes`, as the messaging layer computes it.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    ckisa_store_sqlite::hex::encode(&Sha256::digest(bytes))
}

/// A main-courante entry: a fact of the log that no projection reads.
pub(crate) fn log_entry(id: &str, text: &str) -> Fact {
    Fact::Crisis(CrisisFact::LogEntry {
        id: ItemId(id.to_owned()),
        text: text.to_owned(),
        corrects: None,
    })
}

/// Commits facts typed by a person (in no feed) and returns their events.
pub(crate) fn commit_typed(store: &dyn Store, facts: Vec<Fact>) -> Vec<Event> {
    let submission = Submission {
        feed: String::new(),
        received_ms: tick() as i64,
        dedup: None,
        events: facts.into_iter().map(event).collect(),
    };
    let sent = submission.events.clone();
    assert_eq!(commit_one(store, submission), Outcome::Stored);
    sent
}

/// `event` with another fact, everything else as it was.
fn with_fact(event: &Event, fact: Fact) -> Event {
    Event {
        fact,
        ..event.clone()
    }
}

pub(crate) fn all(store: &dyn Store) {
    attachments_round_trip_once(store);
    attachment_with_a_wrong_hash_is_refused(store);
    attachments_deleted(store);
    event_by_id(store);
    rewrite_keeps_the_place_in_the_log(store);
    rewrite_refusals_change_nothing(store);
}

/// An attachment comes back as stored; the same content stored again is
/// kept once, with its first type and time.
pub(crate) fn attachments_round_trip_once(store: &dyn Store) {
    let bytes = b"%PDF-1.4 feuille de surveillance MSG-ATT-1".to_vec();
    let hash = sha256_hex(&bytes);
    assert_eq!(store.attachment(&hash).unwrap(), None);

    store
        .put_attachment(&hash, "application/pdf", &bytes, 1_710_000_000_000)
        .unwrap();
    let stored = store.attachment(&hash).unwrap().expect("stored");
    assert_eq!(stored.mime, "application/pdf");
    assert_eq!(stored.bytes, bytes);
    assert_eq!(stored.stored_ms, 1_710_000_000_000);

    store
        .put_attachment(&hash, "application/octet-stream", &bytes, 1_720_000_000_000)
        .unwrap();
    assert_eq!(store.attachment(&hash).unwrap(), Some(stored));

    // Empty content is content too: its hash is the SHA-256 of nothing.
    let empty = sha256_hex(b"");
    store.put_attachment(&empty, "text/plain", b"", 5).unwrap();
    assert_eq!(store.attachment(&empty).unwrap().unwrap().bytes, b"");
}

/// A hash that is not the SHA-256 of the bytes (another file's, the right
/// one in capitals, not a hash at all) stores nothing, and says which hash
/// the content really has.
pub(crate) fn attachment_with_a_wrong_hash_is_refused(store: &dyn Store) {
    let bytes = b"photo du formulaire papier MSG-ATT-2".to_vec();
    let right = sha256_hex(&bytes);
    let other = sha256_hex(b"un autre fichier");
    for declared in [other.clone(), right.to_uppercase(), "abc".to_owned()] {
        let error = store
            .put_attachment(&declared, "image/jpeg", &bytes, 1)
            .expect_err("refused");
        let StoreError::AttachmentHashMismatch {
            declared: shown,
            computed,
        } = &error
        else {
            panic!("expected a hash mismatch, got {error:?}");
        };
        assert_eq!((shown, computed), (&declared, &right));
        let message = error.to_string();
        assert!(
            message.contains("ne correspond pas") && message.contains(&right),
            "{message}"
        );
    }
    assert_eq!(store.attachment(&right).unwrap(), None);
    assert_eq!(store.attachment(&other).unwrap(), None);

    // A hostile hash is data, and only its start is repeated.
    let long = format!("{other}' OR '1'='1{}", "x".repeat(500));
    let error = store
        .put_attachment(&long, "image/jpeg", &bytes, 1)
        .expect_err("refused");
    assert!(matches!(
        error,
        StoreError::AttachmentHashMismatch { ref declared, .. } if declared.chars().count() == 80
    ));
}

/// Deleting removes what it names and counts only what was there.
pub(crate) fn attachments_deleted(store: &dyn Store) {
    let kept = b"MSG-ATT-3 garde".to_vec();
    let gone = b"MSG-ATT-3 purge".to_vec();
    let (kept_hash, gone_hash) = (sha256_hex(&kept), sha256_hex(&gone));
    store
        .put_attachment(&kept_hash, "image/png", &kept, 1)
        .unwrap();
    store
        .put_attachment(&gone_hash, "image/png", &gone, 1)
        .unwrap();

    let unknown = sha256_hex(b"never stored");
    let removed = store
        .delete_attachments(&[gone_hash.clone(), unknown])
        .unwrap();
    assert_eq!(removed, 1);
    assert_eq!(store.attachment(&gone_hash).unwrap(), None);
    assert_eq!(store.attachment(&kept_hash).unwrap().unwrap().bytes, kept);
    assert_eq!(store.delete_attachments(&[gone_hash]).unwrap(), 0);
    assert_eq!(store.delete_attachments(&[]).unwrap(), 0);
}

/// One event by id, of any kind; an id the log never had gives none.
pub(crate) fn event_by_id(store: &dyn Store) {
    let sent = commit_typed(
        store,
        vec![
            log_entry("MSG-EVT-1", "Réunion de crise à 14 h"),
            log_entry("MSG-EVT-2", "Point presse à 16 h"),
        ],
    );
    let chart_fact = facts(vec![person(&patient("MSG-EVT-P"), "Parle", "Anne")]);
    let person_event = chart_fact.events[0].clone();
    commit_one(store, chart_fact);

    for wanted in [&sent[1], &sent[0], &person_event] {
        assert_eq!(store.event(wanted.id).unwrap().as_ref(), Some(wanted));
    }
    assert_eq!(store.event(EventId::new(1)).unwrap(), None);
}

/// Crisis events in the log, as the status counts them.
fn crisis_count(store: &dyn Store) -> u64 {
    let status = store.status().unwrap();
    let found = status.facts.iter().find(|(kind, _)| kind == "crisis");
    found.map_or(0, |(_, count)| *count)
}

/// A rewritten event keeps its id, clock, actor, source and place in the
/// log: every reader sees the new fact where the old one was.
pub(crate) fn rewrite_keeps_the_place_in_the_log(store: &dyn Store) {
    let before = store.events_of_kind("crisis", None, usize::MAX).unwrap();
    let count_before = crisis_count(store);
    let sent = commit_typed(
        store,
        vec![
            log_entry("MSG-RW-1", "Premier message"),
            log_entry("MSG-RW-2", "Corps confidentiel du deuxième message"),
            log_entry("MSG-RW-3", "Troisième message"),
        ],
    );
    let generation = store.generation();

    let purged = log_entry("MSG-RW-2", "");
    let changed = store
        .rewrite_events(vec![(sent[1].id, purged.clone())])
        .unwrap();
    assert_eq!(changed, 1);
    assert!(store.generation() > generation, "caches see the change");

    let expected = vec![
        sent[0].clone(),
        with_fact(&sent[1], purged.clone()),
        sent[2].clone(),
    ];
    let after = before.last().map(|e| e.id);
    assert_eq!(
        store.events_of_kind("crisis", after, usize::MAX).unwrap(),
        expected
    );
    assert_eq!(
        store.events_of_kind("crisis", Some(sent[0].id), 1).unwrap(),
        vec![expected[1].clone()],
        "reading from the event before still finds it next"
    );
    assert_eq!(
        store.events_after(Some(sent[1].id), 1).unwrap(),
        vec![sent[2].clone()],
        "reading after the rewritten event goes on from its place"
    );
    assert_eq!(store.event(sent[1].id).unwrap(), Some(expected[1].clone()));
    assert_eq!(
        crisis_count(store),
        count_before + 3,
        "a rewrite adds no event"
    );

    // The same rewrite again changes nothing, and says so.
    assert_eq!(store.rewrite_events(vec![(sent[1].id, purged)]).unwrap(), 0);
    assert_eq!(store.rewrite_events(vec![]).unwrap(), 0);
}

/// An unknown id, a change of kind, or a fact the projections are built
/// from (before or after) refuses the whole list: the rewrites of the list
/// that were fine are not applied either.
pub(crate) fn rewrite_refusals_change_nothing(store: &dyn Store) {
    let nadia = patient("MSG-REF-NADIA");
    let mark = Fact::Care(CareFact::Reconciled(Reconciliation {
        item: "MSG-REF-ITEM".into(),
        status: ReconciliationStatus::Confirmed,
        note: Some("vu avec le DPI".into()),
        by: "DIM".into(),
    }));
    let sent = commit_typed(
        store,
        vec![
            log_entry("MSG-REF-1", "Message à purger"),
            person(&nadia, "Refus", "Nadia"),
            allergy("MSG-REF-AL", &nadia, "Pénicilline", RecordStatus::Active),
            mark,
        ],
    );
    let (entry, allergy_event, mark_event) = (&sent[0], &sent[2], &sent[3]);
    let fine = (entry.id, log_entry("MSG-REF-1", ""));
    let chart_before = store.patient_chart(&nadia).unwrap();

    let unknown = EventId::new(2);
    let error = store
        .rewrite_events(vec![fine.clone(), (unknown, log_entry("X", ""))])
        .expect_err("unknown event");
    assert!(
        matches!(error, StoreError::UnknownEvent { id } if id == unknown),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("n'est pas dans le journal"),
        "{error}"
    );

    let error = store
        .rewrite_events(vec![fine.clone(), (entry.id, allergy_event.fact.clone())])
        .expect_err("kind changed");
    let StoreError::RewriteChangesKind {
        id,
        stored,
        proposed,
    } = &error
    else {
        panic!("expected a change of kind, got {error:?}");
    };
    assert_eq!(
        (id, stored.as_str(), proposed.as_str()),
        (&entry.id, "crisis", "allergy")
    );
    assert!(error.to_string().contains("ne peut devenir"), "{error}");

    let forgotten = allergy("MSG-REF-AL", &nadia, "", RecordStatus::Active);
    let error = store
        .rewrite_events(vec![fine.clone(), (allergy_event.id, forgotten)])
        .expect_err("projected fact");
    assert!(
        matches!(&error, StoreError::RewriteOfProjectedEvent { id, kind }
            if *id == allergy_event.id && kind == "allergy"),
        "{error:?}"
    );

    // Same kind (care), but the new fact would feed the chart.
    let entered = Fact::Care(CareFact::Entered(Box::new(allergy_event.fact.clone())));
    let error = store
        .rewrite_events(vec![fine, (mark_event.id, entered)])
        .expect_err("projected replacement");
    assert!(
        matches!(&error, StoreError::RewriteOfProjectedEvent { id, .. } if *id == mark_event.id),
        "{error:?}"
    );

    for original in &sent {
        assert_eq!(store.event(original.id).unwrap().as_ref(), Some(original));
    }
    assert_eq!(store.patient_chart(&nadia).unwrap(), chart_before);
}
