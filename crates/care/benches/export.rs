//! Time to export a 72-hour downtime of a 600-bed establishment (15 units
//! of 40 beds) for re-integration (`ckisa_care::export`), from a real
//! encrypted SQLite store: the HIS's picture before the downtime, then 72
//! hours of documentation typed on every patient in house with the volumes
//! of `support` (NEWS2 vitals 4 times a day, every planned dose, 2 notes a
//! day, half a lab request a day with 6 results, 0.3 prescriptions a day;
//! 60 admissions under a provisional identity, 80 transfers and 60
//! discharges a day), committed as care events.
//!
//! Each round reads the care book from the log (`ckisa_care::ledger::load`),
//! then writes the FHIR R4 transaction bundle (`fhir_bundle`) and the HL7
//! v2.5 messages (`hl7_messages`, joined into one file), each timed apart;
//! `ckisa export --format fhir|hl7v2` does the load and one of the two.
//! Prints the median and the maximum of each step over the rounds, the
//! items per kind, the bundle's entries per resource type, the messages per
//! type and the output sizes.
//!
//! Run: `cargo bench -p ckisa-care --bench export -- [ROUNDS]` (default 3).
//! Target (issue 5): the export of a 72-hour downtime of a 600-bed
//! hospital under 10 s.

#![expect(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ckisa_care::export::{self, ExportContext, ItemKind, Window, fhir_bundle, hl7_messages};
use ckisa_care::ledger;

use support::HOUR;

const HOURS: i64 = 72;

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(3);
    let zone = support::paris();
    let declared: i64 = "2026-12-01T08:00:00+01:00"
        .parse::<jiff::Timestamp>()
        .expect("bench time")
        .as_millisecond();
    let window = Window {
        from_ms: declared,
        to_ms: declared + HOURS * HOUR,
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = support::open_store(dir.path());

    let setup = Instant::now();
    let mut hospital =
        support::establishment(store.as_ref(), 15, 40, "", declared - 600_000, &zone);
    let beds = hospital.in_house.len();
    let volumes = support::downtime(store.as_ref(), &mut hospital, declared, HOURS, "", &zone);
    println!(
        "600 beds, {beds} patients in house at the declaration; downtime of {HOURS} h: {} \
         (built in {:.1} s)",
        volumes.summary(),
        setup.elapsed().as_secs_f64()
    );
    let database: u64 = std::fs::read_dir(dir.path().join("data"))
        .expect("data folder")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!("data folder: {:.1} MB", database as f64 / 1e6);

    let ctx = ExportContext {
        store: store.as_ref(),
        node: "banc",
        zone: &zone,
        now_ms: window.to_ms + HOUR,
    };
    let (mut loads, mut fhirs, mut hl7s) = (Vec::new(), Vec::new(), Vec::new());
    let mut outputs = None;
    let cpu_before = support::cpu_ms();
    for _ in 0..rounds {
        // The last round's outputs go first: the peak memory is one export's.
        drop(outputs.take());
        let start = Instant::now();
        let book = ledger::load(store.as_ref()).expect("care book");
        loads.push(start.elapsed());
        let start = Instant::now();
        let bundle = fhir_bundle(&book, window, &ctx).expect("FHIR bundle");
        fhirs.push(start.elapsed());
        let start = Instant::now();
        let messages = hl7_messages(&book, window, &ctx).expect("HL7 messages");
        let file = messages.file_text();
        hl7s.push(start.elapsed());
        outputs = Some((book, bundle, messages, file));
    }
    let cpu = support::cpu_ms()
        .zip(cpu_before)
        .map(|(after, before)| (after - before) / rounds as f64);
    let (book, bundle, messages, file) = outputs.expect("at least one round");

    let items = export::documented(&book, window);
    let mut kinds: BTreeMap<ItemKind, usize> = BTreeMap::new();
    for entry in &items {
        *kinds.entry(ItemKind::of(&entry.fact)).or_default() += 1;
    }
    let kinds: Vec<String> = kinds
        .iter()
        .map(|(kind, n)| format!("{} {n}", kind.code()))
        .collect();
    println!(
        "{} items documented in the window ({} care events in the book): {}",
        items.len(),
        book.entries().len(),
        kinds.join(", ")
    );
    let mut resources: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in &bundle.entries {
        *resources.entry(entry.resource_type).or_default() += 1;
    }
    println!(
        "FHIR bundle: {} entries, {:.1} MB, {} items skipped; {}",
        bundle.entries.len(),
        bundle.json.len() as f64 / 1e6,
        bundle.skipped.len(),
        counts(&resources)
    );
    let mut types: BTreeMap<&str, usize> = BTreeMap::new();
    for message in &messages.messages {
        *types.entry(message.message_type).or_default() += 1;
    }
    println!(
        "HL7 v2.5: {} messages, {:.1} MB, {} items skipped; {}",
        messages.messages.len(),
        file.len() as f64 / 1e6,
        messages.skipped.len(),
        counts(&types)
    );
    assert!(
        bundle.entries.len() >= items.len() / 2,
        "the bundle holds the documented items"
    );
    assert!(
        messages.messages.len() + messages.skipped.len() == items.len(),
        "one message per item, or a reason"
    );

    let sum = |a: &[Duration], b: &[Duration]| -> Vec<Duration> {
        a.iter().zip(b).map(|(x, y)| *x + *y).collect()
    };
    let with_fhir = sum(&loads, &fhirs);
    let with_hl7 = sum(&loads, &hl7s);
    let all = sum(&with_fhir, &hl7s);
    report("care book read from the log (ledger::load)", loads);
    report("FHIR bundle (fhir_bundle)", fhirs);
    report("HL7 v2 messages (hl7_messages + file_text)", hl7s);
    report("load + FHIR (ckisa export --format fhir)", with_fhir);
    report("load + HL7 v2 (ckisa export --format hl7v2)", with_hl7);
    report("load + both formats (target < 10 s)", all);
    if let Some(cpu) = cpu {
        println!(
            "CPU of the process per round (load + both formats): {:.2} s (mean)",
            cpu / 1000.0
        );
    }
    if let Some(peak) = support::peak_rss_mib() {
        println!("peak resident memory of the process: {peak:.0} MiB");
    }
}

fn counts(map: &BTreeMap<&str, usize>) -> String {
    map.iter()
        .map(|(name, n)| format!("{name} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    println!(
        "{what} over {} rounds: median {:.2} s, max {:.2} s",
        times.len(),
        times[(times.len() - 1) / 2].as_secs_f64(),
        times[times.len() - 1].as_secs_f64()
    );
}
