//! Time to make a 40-bed unit's paper fallback pack
//! (`ckisa_care::paper::unit_pack`) on a 600-bed establishment (15 units
//! of 40 beds) six hours into a downtime, from a real encrypted SQLite
//! store: every patient of the unit with one or two allergies, 6 to 8
//! prescriptions of mixed frequencies, a care plan, two vitals sets and a
//! diet from the HIS, and the downtime's documentation typed since (doses,
//! vitals, notes, lab requests and results, prescriptions, movements
//! elsewhere).
//!
//! Each round makes the whole pack (the seven PDFs: census, medication
//! sheets for the next 24 hours, care plans, blank forms, labels,
//! appointments, diets) from the store and a care book already read, as a
//! node serving `/soins/unites/{code}/secours/...` does; the book read
//! from the log (`ckisa_care::ledger::load`, what `ckisa reports` adds) is
//! timed apart. `unit_pack` makes every part in one call, so the census
//! and the medication sheets alone are not timed on their own: the whole
//! pack is an upper bound of their time. Prints the median, the 99th
//! percentile and the maximum over the rounds, and each part's size and
//! page count.
//!
//! Run: `cargo bench -p ckisa-care --bench paper_pack -- [ROUNDS]` (default
//! 20). Target (issue 5): census and 40 medication sheets under 2 s.

#![expect(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

mod support;

use std::time::{Duration, Instant};

use ckisa_care::ledger;
use ckisa_care::paper::{PaperFile, unit_pack};
use ckisa_care::settings::Settings;

use support::HOUR;

/// The unit whose pack is made.
const UNIT: &str = "U01";

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20);
    let zone = support::paris();
    let now: i64 = "2026-12-04T12:00:00+01:00"
        .parse::<jiff::Timestamp>()
        .expect("bench time")
        .as_millisecond();
    let declared = now - 6 * HOUR;
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = support::open_store(dir.path());

    let setup = Instant::now();
    let mut hospital =
        support::establishment(store.as_ref(), 15, 40, UNIT, declared - 600_000, &zone);
    let volumes = support::downtime(store.as_ref(), &mut hospital, declared, 6, UNIT, &zone);
    let in_unit = hospital.in_house.iter().filter(|b| b.unit == UNIT).count();
    println!(
        "{} patients in house, {in_unit} in {UNIT}; downtime of 6 h: {} (built in {:.1} s)",
        hospital.in_house.len(),
        volumes.summary(),
        setup.elapsed().as_secs_f64()
    );

    let settings = Settings::default();
    let mut loads = Vec::with_capacity(rounds);
    let mut packs = Vec::with_capacity(rounds);
    let mut last = Vec::new();
    let mut pack_cpu = Some(0.0);
    for _ in 0..rounds {
        let start = Instant::now();
        let book = ledger::load(store.as_ref()).expect("care book");
        loads.push(start.elapsed());
        let start = Instant::now();
        let cpu = support::cpu_ms();
        let pack = unit_pack(store.as_ref(), &book, UNIT, now, &zone, &settings).expect("pack");
        packs.push(start.elapsed());
        pack_cpu = pack_cpu
            .zip(support::cpu_ms().zip(cpu))
            .map(|(sum, (after, before))| sum + after - before);
        last = pack;
    }

    check(&last, in_unit);
    let mut total = 0;
    for PaperFile { name, pdf } in &last {
        total += pdf.len();
        println!(
            "  {name}: {:.1} KB, {} pages",
            pdf.len() as f64 / 1024.0,
            pages(pdf)
        );
    }
    println!(
        "pack of {UNIT}: 7 PDFs, {:.1} KB in all",
        total as f64 / 1024.0
    );
    let both: Vec<Duration> = loads.iter().zip(&packs).map(|(a, b)| *a + *b).collect();
    report("care book read from the log (ledger::load)", loads, None);
    report("unit_pack, whole pack of 7 PDFs", packs, Some("< 2 s"));
    report("ledger::load + unit_pack (ckisa reports)", both, None);
    if let Some(cpu) = pack_cpu {
        println!(
            "CPU of the process per unit_pack: {:.1} ms (mean)",
            cpu / rounds as f64
        );
    }
    if let Some(peak) = support::peak_rss_mib() {
        println!("peak resident memory of the process: {peak:.0} MiB");
    }
}

fn report(what: &str, mut times: Vec<Duration>, target: Option<&str>) {
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let target = target.map_or_else(String::new, |t| format!(" (target {t})"));
    println!(
        "{what} over {} rounds: median {:.1} ms, p99 {:.1} ms, max {:.1} ms{target}",
        times.len(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0))
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Pages of a PDF (pdf-writer writes `/Type /Page` once per page).
fn pages(pdf: &[u8]) -> usize {
    pdf.windows(11).filter(|w| w == b"/Type /Page").count()
        - pdf.windows(12).filter(|w| w == b"/Type /Pages").count()
}

/// The pack is the seven parts, with at least one medication sheet per
/// patient of the unit.
fn check(pack: &[PaperFile], patients: usize) {
    assert_eq!(pack.len(), 7, "seven parts");
    assert!(pack.iter().all(|f| f.pdf.starts_with(b"%PDF-")));
    let sheets = pack
        .iter()
        .find(|f| f.name.contains("-administrations-"))
        .expect("medication sheets");
    assert!(
        pages(&sheets.pdf) >= patients,
        "one sheet per patient at least"
    );
}
