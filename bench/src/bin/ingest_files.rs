//! Durable HL7 v2 ingestion from files: 100,000 realistic messages (the
//! demo establishment's initial load plus the simulated HIS stream) written
//! to one file in a temp folder, then loaded into a fresh SQLite store
//! (WAL, `synchronous=FULL`, SQLCipher-encrypted with a new key as in
//! production) twice:
//! 1. in process, through `ckisa_ingest::files::{collect, ingest}`;
//! 2. by the `ckisa ingest FILE --data DIR --init-key` command (when the
//!    binary is built; the key is created beside the folder).
//!
//! Prints messages/s and events/s. Usage:
//! `ingest_files [--messages 100000] [--beds 600] [--seed 7] [--write-only FILE] [--plaintext]`
//! (`--write-only` keeps the generated file and skips the runs, for profiling;
//! `--plaintext` leaves the in-process store unencrypted, to measure what
//! SQLCipher costs; the command always encrypts).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use ckisa_bench::generate::{as_file, hospital, mix, stream};
use ckisa_bench::{arg, arg_path, ckisa_binary, cpu_secs, result_line, runqueue_wait_secs};
use ckisa_domain::NodeId;
use ckisa_ingest::clock::{Clock, SystemClock};
use ckisa_ingest::files::{self, IngestContext};
use ckisa_ingest::hl7map::MapContext;
use ckisa_ingest::pipeline::EventFactory;
use ckisa_store::Store;
use ckisa_store_sqlite::key::DbKey;
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let total: usize = arg("--messages", 100_000);
    let beds: u32 = arg("--beds", 600);
    let seed: u64 = arg("--seed", 7);
    let temp = tempfile::tempdir()?;

    let started = Instant::now();
    let establishment = hospital(seed, beds);
    let initial = establishment.initial_messages.len().min(total);
    let mut messages: Vec<String> = establishment.initial_messages[..initial].to_vec();
    messages.extend(stream(&establishment, seed + 1, total - initial));
    let file = temp.path().join("feed.hl7");
    let bytes = as_file(&messages);
    std::fs::write(&file, &bytes)?;
    println!(
        "generated {} messages ({} initial + stream), {:.1} MB, in {:.1} s; mix: {:?}",
        messages.len(),
        initial,
        bytes.len() as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        mix(&messages)
    );

    if let Some(out) = arg_path("--write-only") {
        std::fs::copy(&file, &out)?;
        println!("written to {}", out.display());
        return Ok(());
    }
    in_process(
        &temp.path().join("data-lib"),
        &file,
        &establishment,
        messages.len(),
    )?;
    with_cli(&temp.path().join("data-cli"), &file, messages.len())?;
    Ok(())
}

fn in_process(
    data: &Path,
    file: &Path,
    establishment: &ckisa_demo::Establishment,
    count: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    // Encrypted (SQLCipher), as in production; `--plaintext` measures what
    // the encryption costs.
    let options = SqliteOptions::new("Europe/Paris");
    let options = if std::env::args().any(|a| a == "--plaintext") {
        println!("in process: PLAINTEXT store (--plaintext), not what production runs");
        options
    } else {
        options.with_key(DbKey::generate()?)
    };
    let store = Arc::new(SqliteStore::open(data, options)?);
    store.define_units(&establishment.units)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let factory = EventFactory::new(NodeId(String::from("bench-node")), clock);
    let context = IngestContext {
        feed: String::from("bench"),
        store: store.clone(),
        factory: &factory,
        map: MapContext::paris(),
    };
    let me = std::process::id();
    let (cpu0, wait0) = (cpu_secs(me).unwrap_or(0.0), runqueue_wait_secs(me));
    let started = Instant::now();
    let inputs = files::collect(&[file.to_path_buf()])?;
    let summary = files::ingest(&context, &inputs, &mut |_| {})?;
    let elapsed = started.elapsed().as_secs_f64();
    let events: u64 = summary.files.iter().map(|f| f.events).sum();
    let cpu = cpu_secs(me).unwrap_or(0.0) - cpu0;
    println!(
        "in process: {} in {elapsed:.2} s; CPU {cpu:.2} s ({:.0} µs/message), runqueue wait {:.2} s",
        summary.totals_fr(),
        cpu * 1e6 / count as f64,
        runqueue_wait_secs(me) - wait0
    );
    println!(
        "{}",
        result_line(
            "ingest.files.lib.cpu_us_per_msg",
            cpu * 1e6 / count as f64,
            "µs"
        )
    );
    let handled: u64 = summary
        .files
        .iter()
        .map(|f| f.accepted + f.duplicates + f.ignored + f.rejected)
        .sum();
    if handled as usize != count {
        println!("  warning: {handled} messages handled, {count} written");
    }
    let first_rejections: Vec<&String> = summary
        .files
        .iter()
        .flat_map(|f| f.rejections.iter())
        .take(3)
        .collect();
    if !first_rejections.is_empty() {
        println!("  first rejections: {first_rejections:?}");
    }
    println!(
        "{}",
        result_line("ingest.files.lib.msg_s", count as f64 / elapsed, "msg/s")
    );
    println!(
        "{}",
        result_line(
            "ingest.files.lib.events_s",
            events as f64 / elapsed,
            "events/s"
        )
    );
    println!(
        "{}",
        result_line(
            "ingest.files.lib.rejected",
            summary.rejected() as f64,
            "msgs"
        )
    );
    drop(context);
    drop(store);
    Ok(())
}

fn with_cli(data: &Path, file: &Path, count: usize) -> Result<(), Box<dyn std::error::Error>> {
    let binary: PathBuf = ckisa_binary();
    if !binary.is_file() {
        println!(
            "ckisa binary not found at {}: CLI run skipped",
            binary.display()
        );
        return Ok(());
    }
    let started = Instant::now();
    let output = Command::new(&binary)
        .arg("ingest")
        .arg(file)
        .arg("--data")
        .arg(data)
        .arg("--init-key")
        .env("CKISA_LOG", "warn")
        .env_remove("CKISA_KEY_FILE")
        .env_remove("CKISA_PASSPHRASE")
        .output()?;
    let elapsed = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    println!(
        "ckisa ingest (exit {:?}): {last} in {elapsed:.2} s",
        output.status.code()
    );
    println!(
        "{}",
        result_line("ingest.files.cli.msg_s", count as f64 / elapsed, "msg/s")
    );
    Ok(())
}
