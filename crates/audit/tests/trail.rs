//! The audit trail end to end: chaining, tampering seen by `verify`,
//! restarts, durability, concurrency, searches and exports.

use std::path::Path;
use std::sync::Arc;

use ckisa_audit::{
    ANCHOR_FILE, AUDIT_FILE, AuditError, AuditOutcome, AuditQuery, AuditRecord, AuditSink,
    AuditTrail, VerifyReport, actions, verify,
};
use ckisa_store_sqlite::key::{DbKey, KeyError, open_keyed};
use rusqlite::{Connection, OpenFlags};

fn key() -> DbKey {
    DbKey::from_bytes([42; 32])
}

fn record(index: usize) -> AuditRecord {
    AuditRecord {
        at_ms: 1_700_000_000_000 + i64::try_from(index).unwrap() * 1_000,
        actor: format!("user{}", index % 3),
        role: Some("ide".into()),
        source: "192.0.2.7".into(),
        action: "patient.chart".into(),
        outcome: AuditOutcome::Allowed,
        patient: Some(format!("ipp:CHU|{:06}", index % 5)),
        target: Some("unit:CARDIO".into()),
        detail: format!("entrée {index}"),
    }
}

/// A trail in `dir` holding `count` entries, closed.
fn trail_with(dir: &Path, count: usize) {
    let trail = AuditTrail::open(dir, &key()).unwrap();
    for index in 0..count {
        trail.append(record(index));
    }
    trail.flush().unwrap();
}

/// A raw read-write connection to the trail's database, as an attacker
/// holding the key would have.
fn raw(dir: &Path) -> Connection {
    open_keyed(
        &dir.join(AUDIT_FILE),
        &key(),
        OpenFlags::SQLITE_OPEN_READ_WRITE,
    )
    .unwrap()
}

fn problems(report: &VerifyReport) -> Vec<(u64, String)> {
    report
        .problems
        .iter()
        .map(|problem| (problem.seq, problem.reason.clone()))
        .collect()
}

#[test]
fn a_chain_of_a_thousand_entries_verifies_clean() {
    let dir = tempfile::tempdir().unwrap();
    let trail = AuditTrail::open(dir.path(), &key()).unwrap();
    for index in 0..1_000 {
        trail.append(record(index));
    }
    trail.flush().unwrap();
    assert_eq!(trail.count().unwrap(), 1_000);
    let head = trail.head().unwrap().unwrap();
    assert_eq!(head.seq, 1_000);

    let report = verify(dir.path(), &key()).unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.entries, 1_000);
    assert_eq!(report.head.as_deref(), Some(head.hash.as_str()));
    assert_eq!(report.anchor, Some(1_000));
}

#[test]
fn an_edited_field_is_reported_at_its_sequence() {
    let dir = tempfile::tempdir().unwrap();
    trail_with(dir.path(), 20);
    let conn = raw(dir.path());
    let changed = conn
        .execute(
            "UPDATE audit_entry SET actor = 'someone-else' WHERE seq = 7",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);

    let report = verify(dir.path(), &key()).unwrap();
    assert_eq!(problems(&report), [(7, "entrée modifiée".to_owned())]);
}

#[test]
fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
    let dir = tempfile::tempdir().unwrap();
    trail_with(dir.path(), 10);
    let conn = raw(dir.path());
    // Not a real recomputation: any new hash on entry 4 must break entry 5's
    // link even when entry 4 alone looked consistent.
    conn.execute(
        "UPDATE audit_entry SET hash = zeroblob(32) WHERE seq = 4",
        [],
    )
    .unwrap();
    drop(conn);

    let report = verify(dir.path(), &key()).unwrap();
    let found = problems(&report);
    assert!(
        found.contains(&(4, "entrée modifiée".to_owned())),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(seq, reason)| *seq == 5 && reason.starts_with("chaînage rompu")),
        "{found:?}"
    );
}

#[test]
fn a_deleted_middle_entry_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    trail_with(dir.path(), 30);
    raw(dir.path())
        .execute("DELETE FROM audit_entry WHERE seq = 12", [])
        .unwrap();

    let report = verify(dir.path(), &key()).unwrap();
    assert_eq!(
        problems(&report),
        [(
            13,
            "entrée supprimée ou insérée (séquence 12 attendue, 13 trouvée)".to_owned()
        )]
    );
    assert_eq!(report.entries, 29);
}

#[test]
fn deleted_last_entries_are_reported_through_the_anchor() {
    let dir = tempfile::tempdir().unwrap();
    trail_with(dir.path(), 120);
    raw(dir.path())
        .execute("DELETE FROM audit_entry WHERE seq > 118", [])
        .unwrap();

    let report = verify(dir.path(), &key()).unwrap();
    assert_eq!(
        problems(&report),
        [(
            119,
            "fin du journal tronquée : l'ancre indique 120 entrées, la base 118".to_owned()
        )]
    );
}

#[test]
fn a_restart_after_a_cut_keeps_the_evidence_in_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    trail_with(dir.path(), 10);
    raw(dir.path())
        .execute("DELETE FROM audit_entry WHERE seq > 8", [])
        .unwrap();

    // The node restarts: the anchor is rewritten, but the finding is entry 9.
    let trail = AuditTrail::open(dir.path(), &key()).unwrap();
    let anomaly = trail
        .search(&AuditQuery {
            action: Some(actions::AUDIT_ANOMALY.into()),
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(anomaly.len(), 1);
    assert_eq!(anomaly[0].seq, 9);
    assert!(anomaly[0].record.detail.contains("l'ancre indique 10"));
    drop(trail);

    let report = verify(dir.path(), &key()).unwrap();
    let found = problems(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, 9);
    assert!(found[0].1.contains("fin du journal tronquée"), "{found:?}");
}

#[test]
fn a_forged_or_missing_anchor_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    trail_with(dir.path(), 5);
    let anchor = dir.path().join(ANCHOR_FILE);

    // Cut the end and rewrite the anchor's numbers without the key.
    let conn = raw(dir.path());
    let hash: Vec<u8> = conn
        .query_row("SELECT hash FROM audit_entry WHERE seq = 4", [], |row| {
            row.get(0)
        })
        .unwrap();
    conn.execute("DELETE FROM audit_entry WHERE seq = 5", [])
        .unwrap();
    drop(conn);
    let text = std::fs::read_to_string(&anchor).unwrap();
    let hex: String = hash.iter().map(|byte| format!("{byte:02x}")).collect();
    let forged: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with("seq ") {
                "seq 4".to_owned()
            } else if line.starts_with("hash ") {
                format!("hash {hex}")
            } else {
                line.to_owned()
            }
        })
        .collect();
    std::fs::write(&anchor, forged.join("\n") + "\n").unwrap();
    let report = verify(dir.path(), &key()).unwrap();
    assert_eq!(report.anchor, None);
    assert_eq!(problems(&report).len(), 1);
    assert!(
        report.problems[0]
            .reason
            .contains("signature de l'ancre invalide")
    );

    // An anchor signed under another key is refused the same way.
    let other = tempfile::tempdir().unwrap();
    let foreign = AuditTrail::open(other.path(), &DbKey::from_bytes([7; 32])).unwrap();
    for index in 0..4 {
        foreign.append(record(index));
    }
    foreign.flush().unwrap();
    drop(foreign);
    std::fs::copy(other.path().join(ANCHOR_FILE), &anchor).unwrap();
    let report = verify(dir.path(), &key()).unwrap();
    assert!(
        report.problems[0]
            .reason
            .contains("signature de l'ancre invalide")
    );

    std::fs::remove_file(&anchor).unwrap();
    let report = verify(dir.path(), &key()).unwrap();
    assert!(report.problems[0].reason.starts_with("ancre absente"));
}

#[test]
fn an_anchor_behind_the_database_is_not_an_alarm() {
    // A crash between a commit and the anchor's rewrite leaves the anchor
    // one group behind; the entry it names is still there, unchanged.
    let dir = tempfile::tempdir().unwrap();
    trail_with(dir.path(), 5);
    let anchor = dir.path().join(ANCHOR_FILE);
    let old = std::fs::read(&anchor).unwrap();
    let trail = AuditTrail::open(dir.path(), &key()).unwrap();
    trail.append_durable(record(5)).unwrap();
    drop(trail);
    std::fs::write(&anchor, old).unwrap();

    let report = verify(dir.path(), &key()).unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!((report.entries, report.anchor), (6, Some(5)));

    // But an old anchor naming an entry that was rewritten is.
    raw(dir.path())
        .execute(
            "UPDATE audit_entry SET hash = zeroblob(32) WHERE seq = 5",
            [],
        )
        .unwrap();
    let report = verify(dir.path(), &key()).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|problem| problem.seq == 5
                && problem.reason.contains("ne correspond pas à l'ancre")),
        "{:?}",
        report.problems
    );
}

#[test]
fn reopening_the_trail_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let trail = AuditTrail::open(dir.path(), &key()).unwrap();
    for index in 0..5 {
        trail.append(record(index));
    }
    // No flush: closing the trail commits what is queued.
    drop(trail);
    let first_head = verify(dir.path(), &key()).unwrap().head.unwrap();

    let trail = AuditTrail::open(dir.path(), &key()).unwrap();
    for index in 5..9 {
        trail.append(record(index));
    }
    trail.flush().unwrap();
    let entries = trail.search(&AuditQuery::default()).unwrap();
    let seqs: Vec<u64> = entries.iter().map(|entry| entry.seq).collect();
    assert_eq!(seqs, [9, 8, 7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(entries[4].hash, first_head);
    drop(trail);

    // Entry 6 names entry 5's hash: the walk finds no break.
    let report = verify(dir.path(), &key()).unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.entries, 9);
    let conn = raw(dir.path());
    let prev: Vec<u8> = conn
        .query_row(
            "SELECT prev_hash FROM audit_entry WHERE seq = 6",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let prev: String = prev.iter().map(|byte| format!("{byte:02x}")).collect();
    assert_eq!(prev, first_head);
}

#[test]
fn a_durable_append_is_on_disk_when_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let trail = AuditTrail::open(dir.path(), &key()).unwrap();
    let mut login = record(0);
    login.action = actions::LOGIN.into();
    trail.append_durable(login).unwrap();

    // Another connection, while the trail is still open, sees it committed.
    let other = open_keyed(
        &dir.path().join(AUDIT_FILE),
        &key(),
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let (count, action): (i64, String) = other
        .query_row("SELECT count(*), max(action) FROM audit_entry", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert_eq!((count, action.as_str()), (1, actions::LOGIN));
    drop(trail);
}

#[test]
fn concurrent_appends_all_land_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let trail = Arc::new(AuditTrail::open(dir.path(), &key()).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let sink: Arc<dyn AuditSink> = trail.clone();
            std::thread::spawn(move || {
                for index in 0..250 {
                    let mut entry = record(index);
                    entry.detail = format!("t{thread}-{index}");
                    if index % 50 == 0 {
                        sink.append_durable(entry).unwrap();
                    } else {
                        sink.append(entry);
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    trail.flush().unwrap();

    let entries = trail
        .search(&AuditQuery {
            limit: 0,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(entries.len(), 2_000);
    let mut details: Vec<&str> = entries.iter().map(|e| e.record.detail.as_str()).collect();
    details.sort_unstable();
    details.dedup();
    assert_eq!(details.len(), 2_000);
    let seqs: Vec<u64> = entries.iter().rev().map(|entry| entry.seq).collect();
    assert_eq!(seqs, (1..=2_000).collect::<Vec<_>>());
    drop(trail);
    assert!(verify(dir.path(), &key()).unwrap().is_intact());
}

#[test]
fn searches_by_patient_actor_action_and_period() {
    let dir = tempfile::tempdir().unwrap();
    let trail = AuditTrail::open(dir.path(), &key()).unwrap();
    for index in 0..30 {
        trail.append(record(index));
    }
    let mut failed = record(30);
    failed.action = actions::LOGIN_FAILED.into();
    failed.outcome = AuditOutcome::Failed;
    failed.patient = None;
    trail.append(failed);
    trail.flush().unwrap();

    let by_patient = trail
        .search(&AuditQuery {
            patient: Some("ipp:CHU|000002".into()),
            ..AuditQuery::default()
        })
        .unwrap();
    let seqs: Vec<u64> = by_patient.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [28, 23, 18, 13, 8, 3]);

    let by_actor = trail
        .search(&AuditQuery {
            actor: Some("user1".into()),
            limit: 3,
            ..AuditQuery::default()
        })
        .unwrap();
    let seqs: Vec<u64> = by_actor.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [29, 26, 23]);

    let period = trail
        .search(&AuditQuery {
            from_ms: Some(1_700_000_010_000),
            to_ms: Some(1_700_000_013_000),
            ..AuditQuery::default()
        })
        .unwrap();
    let seqs: Vec<u64> = period.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [13, 12, 11]);

    let failures = trail
        .search(&AuditQuery {
            action: Some(actions::LOGIN_FAILED.into()),
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].record.outcome, AuditOutcome::Failed);
    assert_eq!(failures[0].record.patient, None);
    assert_eq!(failures[0].hash.len(), 64);
}

#[test]
fn csv_export_escapes_separators_quotes_and_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let trail = AuditTrail::open(dir.path(), &key()).unwrap();
    let mut hostile = record(0);
    hostile.actor = "=HYPERLINK(\"http://x\";\"clic\")".into();
    hostile.detail = "recherche « a;b » puis \"c\"".into();
    hostile.target = Some("-1+1".into());
    hostile.role = None;
    trail.append(hostile);
    trail.append(record(1));
    trail.flush().unwrap();

    let mut out = Vec::new();
    let written = trail.write_csv(&AuditQuery::default(), &mut out).unwrap();
    assert_eq!(written, 2);
    let text = String::from_utf8(out).unwrap();
    let text = text.strip_prefix('\u{feff}').unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "horodatage;acteur;rôle;origine;action;résultat;patient;cible;détail;séquence;empreinte"
    );
    let head = trail.head().unwrap().unwrap();
    assert!(lines[1].starts_with("2023-11-14T22:13:21.000Z;user1;ide;192.0.2.7;"));
    assert!(lines[1].contains(";autorisé;ipp:CHU|000001;unit:CARDIO;entrée 1;2;"));
    assert!(lines[1].ends_with(&head.hash));
    assert_eq!(
        lines[2],
        format!(
            "2023-11-14T22:13:20.000Z;\"'=HYPERLINK(\"\"http://x\"\";\"\"clic\"\")\";;192.0.2.7;\
             patient.chart;autorisé;ipp:CHU|000000;'-1+1;\
             \"recherche « a;b » puis \"\"c\"\"\";1;{}",
            trail.search(&AuditQuery::default()).unwrap()[1].hash
        )
    );
    assert_eq!(
        lines[3],
        format!("# tête du journal : séquence 2, empreinte {}", head.hash)
    );
    assert_eq!(lines[4], "");
}

#[test]
fn fhir_bundle_holds_one_audit_event_per_entry() {
    let dir = tempfile::tempdir().unwrap();
    let trail = AuditTrail::open(dir.path(), &key()).unwrap();
    for index in 0..4 {
        trail.append(record(index));
    }
    let mut glass = record(4);
    glass.action = actions::BREAK_GLASS.into();
    glass.patient = Some("fhir:Patient/abc".into());
    glass.detail = "arrêt cardiaque aux urgences".into();
    trail.append(glass);
    trail.flush().unwrap();

    let bundle = trail
        .fhir_bundle(&AuditQuery {
            limit: 3,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");
    let head = trail.head().unwrap().unwrap();
    assert_eq!(
        bundle["identifier"]["value"],
        format!("5:{}", head.hash).as_str()
    );
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    for entry in entries {
        let event = &entry["resource"];
        assert_eq!(event["resourceType"], "AuditEvent");
        assert!(event["recorded"].as_str().unwrap().ends_with('Z'));
        assert_eq!(event["source"]["observer"]["display"], "ckisa");
        assert_eq!(event["agent"].as_array().unwrap().len(), 1);
    }
    let glass = &entries[0]["resource"];
    assert_eq!(glass["id"], "audit-5");
    assert_eq!(glass["entity"][0]["what"]["reference"], "Patient/abc");
    assert_eq!(
        glass["purposeOfEvent"][0]["text"],
        "arrêt cardiaque aux urgences"
    );
    let read = &entries[1]["resource"];
    assert_eq!(read["type"]["code"], "110110");
    assert_eq!(read["action"], "R");
    assert_eq!(read["entity"][0]["what"]["identifier"]["value"], "000003");
}

#[test]
fn the_database_holds_no_clear_text() {
    let dir = tempfile::tempdir().unwrap();
    let trail = AuditTrail::open(dir.path(), &key()).unwrap();
    let mut entry = record(0);
    entry.patient = Some("ipp:CHU|SECRETIPP4242".into());
    entry.detail = "Dupont Marie".into();
    trail.append(entry);
    trail.flush().unwrap();

    // While the trail is open the entry may still be in the WAL file.
    for name in [AUDIT_FILE, "audit.db-wal"] {
        let path = dir.path().join(name);
        if let Ok(bytes) = std::fs::read(&path) {
            for secret in [&b"SECRETIPP4242"[..], b"Dupont", b"patient.chart"] {
                assert!(
                    !bytes.windows(secret.len()).any(|window| window == secret),
                    "{name} holds clear text"
                );
            }
        }
    }
    drop(trail);
    let bytes = std::fs::read(dir.path().join(AUDIT_FILE)).unwrap();
    assert!(bytes.len() > 4_096);
    assert!(!bytes.windows(13).any(|window| window == b"SECRETIPP4242"));
}

#[test]
fn the_wrong_key_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    trail_with(dir.path(), 3);
    let wrong = DbKey::from_bytes([1; 32]);
    assert!(matches!(
        verify(dir.path(), &wrong),
        Err(AuditError::Key(KeyError::WrongKey { .. }))
    ));
    assert!(matches!(
        AuditTrail::open(dir.path(), &wrong),
        Err(AuditError::Key(KeyError::WrongKey { .. }))
    ));

    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        verify(empty.path(), &key()),
        Err(AuditError::NotFound { .. })
    ));
}

#[test]
fn a_locked_database_delays_queued_entries_and_refuses_durable_ones() {
    let dir = tempfile::tempdir().unwrap();
    let trail = AuditTrail::open(dir.path(), &key()).unwrap();
    trail.append_durable(record(0)).unwrap();

    // Another program holds the write lock.
    let intruder = raw(dir.path());
    intruder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let mut queued = record(1);
    queued.detail = "en file d'attente".into();
    trail.append(queued);
    let mut durable = record(2);
    durable.detail = "durable".into();
    assert!(matches!(
        trail.append_durable(durable),
        Err(AuditError::WriteFailed(_))
    ));
    intruder.execute_batch("ROLLBACK").unwrap();

    // The queued entry was kept and lands once the lock is gone; the
    // refused durable one does not.
    trail.flush().unwrap();
    let details: Vec<String> = trail
        .search(&AuditQuery::default())
        .unwrap()
        .into_iter()
        .map(|entry| entry.record.detail)
        .collect();
    assert_eq!(details, ["en file d'attente", "entrée 0"]);
    drop(trail);
    assert!(verify(dir.path(), &key()).unwrap().is_intact());
}
