//! What only the SQLite store can show of messaging: attachments and
//! rewritten facts survive a restart and a replay of the encrypted folder,
//! and what the retention purge erases is gone from the files as soon as
//! the call returns.

use std::path::Path;

use ckisa_store::Store;
use ckisa_store_sqlite::{DATABASE_FILE, SqliteOptions, SqliteStore};

use super::open;
use crate::stories::messaging::{commit_typed, log_entry, sha256_hex};

#[test]
fn attachments_and_rewrites_survive_a_restart_and_a_replay() {
    let dir = tempfile::tempdir().unwrap();
    let photo: Vec<u8> = (0..50_000_u32).map(|n| (n % 251) as u8).collect();
    let photo_hash = sha256_hex(&photo);
    let store = open(dir.path());
    store
        .put_attachment(&photo_hash, "image/jpeg", &photo, 1_710_500_400_000)
        .unwrap();
    let sent = commit_typed(
        &store,
        vec![
            log_entry("REOPEN-1", "Rappel du personnel : bloc opératoire"),
            log_entry("REOPEN-2", "Réponse : disponible dans 30 min"),
        ],
    );
    let purged = log_entry("REOPEN-1", "");
    assert_eq!(
        store
            .rewrite_events(vec![(sent[0].id, purged.clone())])
            .unwrap(),
        1
    );
    drop(store);

    let store = open(dir.path());
    let stored = store.attachment(&photo_hash).unwrap().expect("kept");
    assert_eq!(
        (stored.mime.as_str(), stored.stored_ms),
        ("image/jpeg", 1_710_500_400_000)
    );
    assert!(stored.bytes == photo, "same content after a restart");
    let rewritten = store.event(sent[0].id).unwrap().expect("still in the log");
    assert_eq!(rewritten.fact, purged);
    assert_eq!(
        (rewritten.hlc, &rewritten.actor),
        (sent[0].hlc, &sent[0].actor)
    );

    // A replay reads the rewritten log and keeps it as it is.
    let events = store.status().unwrap().events;
    assert_eq!(store.rebuild_projections().unwrap(), events);
    assert_eq!(
        store.events_of_kind("crisis", None, 10).unwrap(),
        vec![rewritten, sent[1].clone()]
    );
    assert_eq!(
        store
            .delete_attachments(std::slice::from_ref(&photo_hash))
            .unwrap(),
        1
    );
    drop(store);
    assert_eq!(open(dir.path()).attachment(&photo_hash).unwrap(), None);
}

/// Whether the database file or its WAL holds `marker` (the store is not
/// encrypted here, so that content can be seen).
fn files_hold(dir: &Path, marker: &[u8]) -> bool {
    let database = dir.join(DATABASE_FILE);
    let wal = dir.join(format!("{DATABASE_FILE}-wal"));
    [database, wal].iter().any(|path| {
        let bytes = std::fs::read(path).unwrap_or_default();
        bytes.windows(marker.len()).any(|window| window == marker)
    })
}

#[test]
fn what_the_purge_erases_is_gone_from_the_files_when_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), SqliteOptions::new("Europe/Paris")).unwrap();
    let body = "Corps-secret-Zanzibar-4471 ".repeat(8);
    let kept_body = "Corps-garde-Tombouctou-1288";
    let scan: Vec<u8> = b"Piece-jointe-Ouagadougou-9034 "
        .iter()
        .copied()
        .cycle()
        .take(40_000)
        .collect();
    let scan_hash = sha256_hex(&scan);
    let sent = commit_typed(
        &store,
        vec![log_entry("PURGE-1", &body), log_entry("PURGE-2", kept_body)],
    );
    store
        .put_attachment(&scan_hash, "application/pdf", &scan, 1)
        .unwrap();
    assert!(files_hold(dir.path(), b"Corps-secret-Zanzibar-4471"));
    assert!(files_hold(dir.path(), b"Piece-jointe-Ouagadougou-9034"));

    store
        .rewrite_events(vec![(sent[0].id, log_entry("PURGE-1", "[purgé]"))])
        .unwrap();
    assert_eq!(store.delete_attachments(&[scan_hash]).unwrap(), 1);

    assert!(!files_hold(dir.path(), b"Corps-secret-Zanzibar-4471"));
    assert!(!files_hold(dir.path(), b"Piece-jointe-Ouagadougou-9034"));
    assert!(
        files_hold(dir.path(), kept_body.as_bytes()),
        "what was not purged is still there"
    );
    assert!(files_hold(dir.path(), "[purgé]".as_bytes()));
}
