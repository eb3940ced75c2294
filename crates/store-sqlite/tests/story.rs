//! The storage story run against the embedded SQLite store, plus what only
//! this backend has: restart, replay, crash safety, schema versions, group
//! commit, encryption at rest.
//!
//! Every store here is opened with a generated key, as a node does, so the
//! whole suite runs on SQLCipher-encrypted files.

#[path = "story/encryption.rs"]
mod encryption;
#[path = "story/messaging.rs"]
mod messaging;
mod stories;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use ckisa_domain::{PatientKey, RecordStatus};
use ckisa_store::{Outcome, Store, StoreError, Submission};
use ckisa_store_sqlite::key::{DbKey, open_keyed};
use ckisa_store_sqlite::{DATABASE_FILE, SqliteOptions, SqliteStore};
use rusqlite::OpenFlags;
use stories::{allergy, commit_one, facts, message, patient, person};

/// File, inside a test's data folder, holding the folder's generated key (so
/// that a restart or a child process opens the folder with the same key).
const TEST_KEY_FILE: &str = "test.key";

/// The key of the test data folder `dir`, generated on first use.
fn key_for(dir: &Path) -> DbKey {
    let path = dir.join(TEST_KEY_FILE);
    if let Ok(key) = DbKey::read_file(&path) {
        return key;
    }
    let key = DbKey::generate().expect("random key");
    key.write_file(&path).expect("key file written");
    key
}

/// Options of the test stores: Paris, keyed with the folder's key.
fn options(dir: &Path) -> SqliteOptions {
    SqliteOptions::new("Europe/Paris").with_key(key_for(dir))
}

fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(dir, options(dir)).expect("store opens")
}

/// A raw read-write connection to the test store's database, keyed.
fn raw_connection(dir: &Path) -> rusqlite::Connection {
    open_keyed(
        &dir.join(DATABASE_FILE),
        &key_for(dir),
        OpenFlags::SQLITE_OPEN_READ_WRITE,
    )
    .expect("database opens with its key")
}

fn with_store(story: fn(&dyn Store)) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    story(&store);
}

#[test]
fn census_and_chart() {
    with_store(stories::census_and_chart);
}

#[test]
fn injection() {
    with_store(stories::injection);
}

#[test]
fn duplicate_control_id() {
    with_store(stories::duplicate_control_id);
}

#[test]
fn null_versus_absent() {
    with_store(stories::null_versus_absent);
}

#[test]
fn merge() {
    with_store(stories::merge);
}

#[test]
fn out_of_order_transfer() {
    with_store(stories::out_of_order_transfer);
}

#[test]
fn cancellations() {
    with_store(stories::cancellations);
}

#[test]
fn two_patients_one_bed() {
    with_store(stories::two_patients_one_bed);
}

#[test]
fn quarantine() {
    with_store(stories::quarantine);
}

#[test]
fn search() {
    with_store(stories::search);
}

#[test]
fn encounter_moved() {
    with_store(stories::encounter_moved);
}

#[test]
fn events_after() {
    with_store(stories::events_after);
}

#[test]
fn care_entered_observations() {
    with_store(stories::care::care_entered_observations);
}

#[test]
fn care_entered_movements() {
    with_store(stories::care::care_entered_movements);
}

#[test]
fn appointments_booked_changed_cancelled() {
    with_store(stories::care::appointments_booked_changed_cancelled);
}

#[test]
fn diets_replaced_and_ended() {
    with_store(stories::care::diets_replaced_and_ended);
}

#[test]
fn merge_carries_care_records() {
    with_store(stories::care::merge_carries_care_records);
}

#[test]
fn care_events_by_kind() {
    with_store(stories::care::care_events_by_kind);
}

#[test]
fn attachments_round_trip_once() {
    with_store(stories::messaging::attachments_round_trip_once);
}

#[test]
fn attachment_with_a_wrong_hash_is_refused() {
    with_store(stories::messaging::attachment_with_a_wrong_hash_is_refused);
}

#[test]
fn attachments_deleted() {
    with_store(stories::messaging::attachments_deleted);
}

#[test]
fn event_by_id() {
    with_store(stories::messaging::event_by_id);
}

#[test]
fn rewrite_keeps_the_place_in_the_log() {
    with_store(stories::messaging::rewrite_keeps_the_place_in_the_log);
}

#[test]
fn rewrite_refusals_change_nothing() {
    with_store(stories::messaging::rewrite_refusals_change_nothing);
}

#[test]
fn restart_keeps_everything_and_replay_gives_the_same_views() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    stories::all(&store);
    let before = stories::snapshot(&store);
    assert!(store.generation() > 0);
    drop(store);

    let store = open(dir.path());
    assert_eq!(
        stories::snapshot(&store),
        before,
        "a restart changes no view"
    );
    let events = store.status().unwrap().events;
    assert_eq!(store.rebuild_projections().unwrap(), events);
    assert_eq!(
        stories::snapshot(&store),
        before,
        "a replay gives the same views"
    );
}

/// Child side of the crash test: commits until killed, printing each
/// acknowledged control id.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var("CKISA_CRASH_CHILD_DIR") else {
        return;
    };
    let store = open(Path::new(&dir));
    let mut stdout = std::io::stdout().lock();
    for n in 0.. {
        let key = patient(&format!("CRASH-{n}"));
        let outcome = commit_one(
            &store,
            message(&format!("CRASH-{n}"), vec![person(&key, "Crash", "Test")]),
        );
        assert_eq!(outcome, Outcome::Stored);
        writeln!(stdout, "ACK {n}").unwrap();
        stdout.flush().unwrap();
    }
}

#[test]
fn acknowledged_submissions_survive_a_killed_process() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env("CKISA_CRASH_CHILD_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acknowledged = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("ACK ") {
            acknowledged.push(n.parse::<u32>().unwrap());
            if acknowledged.len() == 200 {
                child.kill().unwrap();
                break;
            }
        }
    }
    child.wait().unwrap();
    assert_eq!(
        acknowledged.len(),
        200,
        "the child acknowledged submissions"
    );

    let store = open(dir.path());
    for n in acknowledged {
        let key = PatientKey::ipp("CHU", &format!("CRASH-{n}"));
        assert!(
            store.patient_chart(&key).unwrap().is_some(),
            "acknowledged CRASH-{n} is present"
        );
    }
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    let conn = raw_connection(dir.path());
    conn.execute_batch("PRAGMA user_version = 999").unwrap();
    drop(conn);
    let error = SqliteStore::open(dir.path(), options(dir.path())).unwrap_err();
    let source = std::error::Error::source(&error)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        source.contains("999") && source.contains("newer"),
        "got {source}"
    );
}

#[test]
fn an_unknown_site_zone_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(dir.path());
    options.site_zone = String::from("Mars/Olympus");
    let error = SqliteStore::open(dir.path(), options).unwrap_err();
    assert!(matches!(error, StoreError::Open { .. }));
}

#[test]
fn corrupt_stored_json_is_an_encoding_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let key = patient("BAD-1");
    {
        let store = open(dir.path());
        commit_one(
            &store,
            facts(vec![
                person(&key, "Bad", "Json"),
                allergy("BAD-AL", &key, "X", RecordStatus::Active),
            ]),
        );
    }
    let conn = raw_connection(dir.path());
    conn.execute_batch(
        "UPDATE allergies SET payload = '{not json'; UPDATE events SET payload = '[]'",
    )
    .unwrap();
    drop(conn);
    let store = open(dir.path());
    assert!(matches!(
        store.patient_chart(&key),
        Err(StoreError::Encoding(_))
    ));
    assert!(matches!(
        store.events_after(None, 10),
        Err(StoreError::Encoding(_))
    ));
    assert!(matches!(
        store.rebuild_projections(),
        Err(StoreError::Encoding(_))
    ));
    // The failed replay was rolled back: the views are as they were.
    assert!(store.units().is_ok());
}

#[test]
fn a_failing_batch_is_rolled_back_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()));
    commit_one(&*store, facts(vec![person(&patient("ROLL-1"), "Un", "A")]));

    // An event the log cannot hold (clock beyond SQLite's integers) fails
    // its caller's whole batch; nothing of that batch is applied.
    let mut bad = facts(vec![person(&patient("ROLL-2"), "Deux", "B")]);
    let mut unstorable = bad.events[0].clone();
    unstorable.id = ckisa_domain::EventId::new(1);
    unstorable.hlc = ckisa_domain::Hlc(u64::MAX);
    bad.events.push(unstorable);
    let good = facts(vec![person(&patient("ROLL-3"), "Trois", "C")]);
    let error = store.commit(vec![good, bad]);
    assert!(
        matches!(error, Err(StoreError::Encoding(_))),
        "got {error:?}"
    );
    assert!(store.patient_chart(&patient("ROLL-2")).unwrap().is_none());
    assert!(store.patient_chart(&patient("ROLL-3")).unwrap().is_none());

    // Other callers committing at the same time are not affected.
    let others: Vec<_> = (0..4)
        .map(|n| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let key = patient(&format!("ROLL-OK-{n}"));
                commit_one(&*store, facts(vec![person(&key, "Ok", "Ok")]))
            })
        })
        .collect();
    let mut bad_again = facts(vec![person(&patient("ROLL-5"), "Cinq", "E")]);
    bad_again.events[0].hlc = ckisa_domain::Hlc(u64::MAX);
    assert!(store.commit(vec![bad_again]).is_err());
    for other in others {
        assert_eq!(other.join().unwrap(), Outcome::Stored);
    }
    assert_eq!(store.status().unwrap().events, 5);
}

#[test]
fn the_same_event_received_twice_is_applied_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let key = patient("TWICE-1");
    let first = facts(vec![allergy(
        "TWICE-AL",
        &key,
        "Latex",
        RecordStatus::Active,
    )]);
    let again = Submission {
        events: first.events.clone(),
        ..facts(vec![])
    };
    commit_one(&store, first);
    assert_eq!(commit_one(&store, again), Outcome::Stored);
    assert_eq!(store.status().unwrap().events, 1);
    assert_eq!(store.events_after(None, 10).unwrap().len(), 1);
}

#[test]
fn concurrent_callers_are_all_committed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for n in 0..25 {
                    let key = patient(&format!("CON-{t}-{n}"));
                    let outcome = commit_one(
                        &*store,
                        message(
                            &format!("CON-{t}-{n}"),
                            vec![person(&key, "Con", "Current")],
                        ),
                    );
                    assert_eq!(outcome, Outcome::Stored);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let status = store.status().unwrap();
    assert_eq!((status.events, status.patients), (200, 200));
    assert_eq!(
        status
            .feeds
            .iter()
            .find(|f| f.name == "adt")
            .map(|f| f.accepted),
        Some(200)
    );
}

#[test]
fn an_in_house_patient_without_a_unit_still_shows_on_the_census() {
    use ckisa_domain::{EncounterKey, Fact, Field, PatientUpdate, StayUpdate};
    use ckisa_store::UNLOCATED_UNIT;

    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let patient = PatientKey::ipp("H", "NOLOC");
    let facts = vec![
        Fact::PatientUpdated(PatientUpdate {
            patient: patient.clone(),
            family: Field::Value("SANSLIT".into()),
            ..PatientUpdate::default()
        }),
        Fact::StayUpdated(StayUpdate {
            encounter: EncounterKey("vn:H|NOLOC".into()),
            patient: patient.clone(),
            place: Field::Absent,
            class: Some("I".into()),
            admitted_at: None,
            attending: None,
            in_house: true,
            effective_at: None,
            movement_id: None,
        }),
    ];
    let events = facts.into_iter().map(stories::event).collect();
    let submission = Submission {
        feed: "f".into(),
        received_ms: 0,
        dedup: None,
        events,
    };
    store.commit(vec![submission]).unwrap();

    let units = store.units().unwrap();
    let unlocated = units
        .iter()
        .find(|u| u.code == UNLOCATED_UNIT)
        .expect("listed");
    assert_eq!(unlocated.patients, 1);
    let board = store.unit_board(UNLOCATED_UNIT).unwrap().unwrap();
    let names: Vec<_> = board
        .beds
        .iter()
        .flat_map(|b| &b.occupants)
        .map(|o| o.family.clone())
        .collect();
    assert_eq!(names, [Some("SANSLIT".to_owned())]);
}
