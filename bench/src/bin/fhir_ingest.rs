//! FHIR R4 ingestion of the shared Synthea corpus
//! (`/work/shared/corpus/fhir/synthea`, 25 patient bundles plus hospital and
//! practitioner bundles, about 24 MB):
//! - baseline: `serde_json::from_slice::<Value>` of every file (JSON only);
//! - `ckisa_fhir::read` of every file (JSON to facts, no store);
//! - durable: `files::ingest` into a fresh SQLite store, encrypted with a
//!   new key as in production (facts, events, projections, fsync'd commits).
//!
//! Rates count bundle entries (every resource, kept or skipped).
//! Usage: `fhir_ingest [--corpus DIR] [--rounds 3] [--plaintext]` (`--plaintext`:
//! an unencrypted store, to measure what SQLCipher costs).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ckisa_bench::{arg, arg_path, result_line};
use ckisa_domain::NodeId;
use ckisa_ingest::clock::{Clock, SystemClock};
use ckisa_ingest::files::{self, IngestContext};
use ckisa_ingest::hl7map::MapContext;
use ckisa_ingest::pipeline::EventFactory;
use ckisa_store_sqlite::key::DbKey;
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/corpus/fhir/synthea"
);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let corpus = arg_path("--corpus").unwrap_or_else(|| PathBuf::from(CORPUS));
    let rounds: usize = arg("--rounds", 3);
    let inputs = files::collect(std::slice::from_ref(&corpus))?;
    let mut raw = Vec::new();
    for input in &inputs {
        raw.push((input.name.clone(), std::fs::read(&input.name)?));
    }
    let bytes: usize = raw.iter().map(|(_, b)| b.len()).sum();
    let entries: usize = raw
        .iter()
        .map(|(name, b)| ckisa_fhir::read(b, name).entries)
        .sum();
    println!(
        "corpus {}: {} files, {:.1} MB, {entries} entries",
        corpus.display(),
        raw.len(),
        bytes as f64 / 1e6
    );

    let best = |work: &mut dyn FnMut() -> usize| -> f64 {
        (0..rounds)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(work());
                started.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let json = best(&mut || {
        raw.iter()
            .map(|(_, b)| {
                serde_json::from_slice::<serde_json::Value>(b).map_or(0, |v| v.is_object() as usize)
            })
            .sum()
    });
    report("fhir.serde_value", entries, bytes, json);
    let read = best(&mut || {
        raw.iter()
            .map(|(name, b)| ckisa_fhir::read(b, name).items.len())
            .sum()
    });
    report("fhir.ckisa_read", entries, bytes, read);

    let temp = tempfile::tempdir()?;
    // Encrypted (SQLCipher), as in production; `--plaintext` measures what
    // the encryption costs.
    let options = SqliteOptions::new("Europe/Paris");
    let options = if std::env::args().any(|a| a == "--plaintext") {
        println!("durable: PLAINTEXT store (--plaintext), not what production runs");
        options
    } else {
        options.with_key(DbKey::generate()?)
    };
    let store = Arc::new(SqliteStore::open(temp.path(), options)?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let factory = EventFactory::new(NodeId(String::from("bench-node")), clock);
    let context = IngestContext {
        feed: String::from("bench-fhir"),
        store: store.clone(),
        factory: &factory,
        map: MapContext::paris(),
    };
    let started = Instant::now();
    let summary = files::ingest(&context, &inputs, &mut |_| {})?;
    let durable = started.elapsed().as_secs_f64();
    println!("durable: {} in {durable:.2} s", summary.totals_fr());
    report("fhir.durable", entries, bytes, durable);
    let events: u64 = summary.files.iter().map(|f| f.events).sum();
    println!(
        "{}",
        result_line("fhir.durable.events_s", events as f64 / durable, "events/s")
    );
    Ok(())
}

fn report(name: &str, entries: usize, bytes: usize, secs: f64) {
    println!(
        "  {name:<20} {secs:>7.3} s {:>10.0} resources/s {:>7.1} MB/s",
        entries as f64 / secs,
        bytes as f64 / secs / 1e6
    );
    println!(
        "{}",
        result_line(
            &format!("{name}.resources_s"),
            entries as f64 / secs,
            "resources/s"
        )
    );
    println!(
        "{}",
        result_line(&format!("{name}.mb_s"), bytes as f64 / secs / 1e6, "MB/s")
    );
}
