//! Latency of `AuditSink::append` on the page hot path, and the writer's
//! throughput.
//!
//! Run: `cargo bench -p ckisa-audit --bench append -- [CALLS] [RATE]`
//! (default 100,000 calls at 10,000 calls/s; a rate of 0 sends them as fast
//! as possible, which measures the queue filling up once the writer falls
//! behind). Prints p50, p99 and max of one `append` call (the channel send
//! included), then how long the writer took to commit everything. The data
//! folder is a temporary directory (set `TMPDIR` to bench another disk).

#![expect(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

use std::time::{Duration, Instant};

use ckisa_audit::{AuditOutcome, AuditRecord, AuditSink, AuditTrail};
use ckisa_store_sqlite::key::DbKey;

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<u64>().ok());
    let calls = args.next().unwrap_or(100_000);
    let rate = args.next().unwrap_or(10_000);

    let dir = tempfile::tempdir().expect("a temporary folder");
    let key = DbKey::generate().expect("a random key");
    let trail = AuditTrail::open(dir.path(), &key).expect("the trail opens");

    let start = Instant::now();
    let mut latencies = Vec::with_capacity(usize::try_from(calls).unwrap_or(0));
    for call in 0..calls {
        // Pace the calls: call n is due at n / rate seconds.
        if let Some(due) = (call * 1_000_000).checked_div(rate) {
            let due = Duration::from_micros(due);
            while start.elapsed() < due {
                std::hint::spin_loop();
            }
        }
        let record = record(call);
        let before = Instant::now();
        trail.append(record);
        latencies.push(before.elapsed());
    }
    let sent = start.elapsed();
    trail.flush().expect("the trail flushes");
    let committed = start.elapsed();

    latencies.sort_unstable();
    let at = |fraction: f64| {
        let index = ((latencies.len() as f64 - 1.0) * fraction).round() as usize;
        latencies[index]
    };
    println!("append: {calls} calls, target rate {rate}/s (0 = as fast as possible)");
    println!(
        "  latency p50 {:.2} µs, p99 {:.2} µs, max {:.1} µs",
        micros(at(0.50)),
        micros(at(0.99)),
        micros(latencies[latencies.len() - 1])
    );
    println!(
        "  sent in {:.2} s, all committed after {:.2} s ({:.0} entries/s end to end)",
        sent.as_secs_f64(),
        committed.as_secs_f64(),
        calls as f64 / committed.as_secs_f64()
    );
    assert_eq!(trail.count().expect("count"), calls, "every entry landed");
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// A chart read as the web layer records it.
fn record(call: u64) -> AuditRecord {
    AuditRecord {
        at_ms: 1_700_000_000_000 + i64::try_from(call).unwrap_or(0),
        actor: format!("user{}", call % 50),
        role: Some("ide".to_owned()),
        source: "10.1.2.3".to_owned(),
        action: "patient.chart".to_owned(),
        outcome: AuditOutcome::Allowed,
        patient: Some(format!("ipp:CHU|{:08}", call % 3_000)),
        target: Some("unit:CARDIO".to_owned()),
        detail: String::new(),
    }
}
