//! Commit throughput, commit latency and page read latency of the SQLite
//! store, on a synthetic hospital of 1,500 beds.
//!
//! Run: `cargo bench -p ckisa-store-sqlite --bench commit -- [SUBMISSIONS] [--key]`
//! (default 100,000 submissions of 10 facts, i.e. one million events). The
//! data folder is a temporary directory (set `TMPDIR` to bench another disk).
//! With `--key` the store is encrypted with a random SQLCipher key, as a node
//! runs it; without, it is plain SQLite, to measure what encryption costs.
//!
//! Phases:
//! 1. throughput: one loader thread commits batches of 500 submissions,
//!    each an HL7-message-sized set of 10 facts (demographics, a movement,
//!    8 observations) with a deduplication key;
//! 2. latency: 1,000 single small submissions, one at a time, on the now idle
//!    store (p50, p99, max);
//! 3. reads: census (`units`), one unit's bed board and patient summaries,
//!    p50/p99 over repeated calls.

#![expect(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

use std::time::{Duration, Instant};

use ckisa_domain::{
    Actor, Coded, EncounterKey, Event, EventId, Fact, Field, Hlc, Identifier, Moment, NodeId,
    Observation, ObservationCategory, ObservationValue, PatientKey, PatientUpdate, Place, Sex,
    Source, SourceChannel, StayUpdate,
};
use ckisa_store::{DedupKey, Store, Submission};
use ckisa_store_sqlite::key::DbKey;
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};

const BATCH: usize = 500;
const BEDS: usize = 1_500;
const BEDS_PER_UNIT: usize = 30;
const PATIENTS: usize = 3_000;
const VITALS: &[&str] = &["TEMP", "HR", "SBP", "SPO2"];
const LABS: &[&str] = &["NA", "K", "CREA", "HB"];

fn main() {
    let submissions: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mut options = SqliteOptions::new("Europe/Paris");
    if std::env::args().any(|a| a == "--key") {
        options = options.with_key(DbKey::generate().expect("random key"));
    }
    println!("encrypted: {}", options.key.is_some());
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(dir.path(), options).expect("open");

    throughput(&store, submissions);
    latency(&store);
    reads(&store);
}

fn throughput(store: &SqliteStore, submissions: usize) {
    let mut committed = 0;
    let mut busy = Duration::ZERO;
    let mut cpu = 0.0;
    let mut n = 0;
    while committed < submissions {
        let size = BATCH.min(submissions - committed);
        let batch: Vec<Submission> = (n..n + size).map(hospital_message).collect();
        n += size;
        let cpu_before = process_cpu_seconds();
        let started = Instant::now();
        let outcomes = store.commit(batch).expect("commit");
        busy += started.elapsed();
        cpu += process_cpu_seconds() - cpu_before;
        committed += outcomes.len();
    }
    let events = store.status().expect("status").events;
    let seconds = busy.as_secs_f64();
    println!(
        "throughput: {committed} submissions ({events} events) in {seconds:.2} s of commit calls \
         = {:.0} submissions/s, {:.0} events/s; process CPU during the calls {cpu:.2} s",
        committed as f64 / seconds,
        events as f64 / seconds
    );
}

fn latency(store: &SqliteStore) {
    let mut samples = Vec::with_capacity(1_000);
    for n in 0..1_000 {
        let key = PatientKey::ipp("BENCH", &format!("LAT-{n}"));
        let fact = Fact::PatientUpdated(PatientUpdate {
            patient: key,
            family: Field::Value(String::from("Latence")),
            ..PatientUpdate::default()
        });
        let submission = Submission {
            feed: String::from("latency"),
            received_ms: 0,
            dedup: Some(DedupKey {
                sender: String::from("LAT"),
                control_id: n.to_string(),
                digest: String::from("0"),
            }),
            events: vec![event(1_800_000_000_000 + n as u64, fact)],
        };
        let started = Instant::now();
        store.commit(vec![submission]).expect("commit");
        samples.push(started.elapsed());
    }
    report("single-submission commit", samples);
}

fn reads(store: &SqliteStore) {
    let mut census = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let units = store.units().expect("units");
        census.push(started.elapsed());
        assert_eq!(units.len(), BEDS / BEDS_PER_UNIT);
    }
    report("census page (units)", census);

    let mut boards = Vec::new();
    for u in 0..200 {
        let started = Instant::now();
        let board = store
            .unit_board(&unit_code(u % (BEDS / BEDS_PER_UNIT)))
            .expect("board");
        boards.push(started.elapsed());
        assert!(board.is_some());
    }
    report("unit bed board", boards);

    let mut charts = Vec::new();
    for p in 0..500 {
        let key = patient_key((p * 7) % BEDS);
        let started = Instant::now();
        let chart = store.patient_chart(&key).expect("chart");
        charts.push(started.elapsed());
        assert!(chart.is_some_and(|c| !c.vitals.is_empty()));
    }
    report("patient summary", charts);
}

/// User plus system CPU time of this process, from `/proc/self/stat`
/// (Linux, 100 ticks per second); 0 elsewhere.
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{what}: n={} p50={:.3} ms p99={:.3} ms max={:.3} ms",
        samples.len(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    );
}

fn unit_code(unit: usize) -> String {
    format!("U{unit:02}")
}

fn patient_key(p: usize) -> PatientKey {
    PatientKey::ipp("BENCH", &format!("{p:06}"))
}

/// Message `n`: patient `n % PATIENTS`, in bed when below `BEDS`, else
/// discharged; 4 vitals and 4 lab results.
fn hospital_message(n: usize) -> Submission {
    let p = n % PATIENTS;
    let key = patient_key(p);
    let ms = 1_700_000_000_000 + n as u64 * 10;
    let bed = p % BEDS;
    let mut facts = vec![
        Fact::PatientUpdated(PatientUpdate {
            patient: key.clone(),
            identifiers: vec![Identifier {
                value: format!("{p:06}"),
                system: Some(String::from("BENCH")),
                kind: Some(String::from("PI")),
            }],
            family: Field::Value(format!("Famille{p}")),
            given: Field::Value(String::from("Prénom")),
            birth_date: Field::Value(Moment::date(1950 + (p % 60) as i16, 1, 1).expect("date")),
            sex: Field::Value(Sex::Female),
            ..PatientUpdate::default()
        }),
        Fact::StayUpdated(StayUpdate {
            encounter: EncounterKey(format!("V{p:06}")),
            patient: key.clone(),
            place: Field::Value(Place {
                unit: unit_code(bed / BEDS_PER_UNIT),
                room: Some(((bed % BEDS_PER_UNIT) / 2 + 1).to_string()),
                bed: Some((bed % 2 + 1).to_string()),
                facility: None,
            }),
            class: Some(String::from("I")),
            admitted_at: None,
            attending: None,
            in_house: p < BEDS,
            effective_at: None,
            movement_id: None,
        }),
    ];
    for (i, code) in VITALS.iter().chain(LABS).enumerate() {
        let category = if i < VITALS.len() {
            ObservationCategory::Vital
        } else {
            ObservationCategory::Lab
        };
        facts.push(Fact::ObservationRecorded(Observation {
            id: format!("OBS-{n}-{i}"),
            patient: key.clone(),
            encounter: Some(EncounterKey(format!("V{p:06}"))),
            category,
            code: Coded {
                code: Some((*code).to_owned()),
                system: Some(String::from("LN")),
                text: (*code).to_owned(),
            },
            value: ObservationValue::Quantity {
                value: format!("{}.{}", 30 + n % 70, i),
                unit: Some(String::from("mmol/L")),
            },
            reference_range: Some(String::from("3.5-5.0")),
            interpretation: None,
            effective: None,
            status: Some(String::from("F")),
            report: Some(format!("ORD-{n}")),
            notes: vec![],
        }));
    }
    Submission {
        feed: String::from("bench"),
        received_ms: ms as i64,
        dedup: Some(DedupKey {
            sender: String::from("HIS|BENCH"),
            control_id: n.to_string(),
            digest: String::from("0"),
        }),
        events: facts
            .into_iter()
            .enumerate()
            .map(|(i, f)| event(ms + i as u64, f))
            .collect(),
    }
}

fn event(ms: u64, fact: Fact) -> Event {
    Event {
        id: EventId::new(ms),
        hlc: Hlc::new(ms, 0),
        origin: NodeId(String::from("bench")),
        actor: Actor::Feed(String::from("bench")),
        source: Source {
            channel: SourceChannel::Mllp,
            origin: String::from("bench"),
            message_id: None,
            sender: Some(String::from("HIS|BENCH")),
            fhir_id: None,
        },
        fact,
    }
}
