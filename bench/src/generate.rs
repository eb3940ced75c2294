//! Realistic HL7 v2 input for the ingestion benchmarks, from `ckisa-demo`:
//! a generated establishment (initial census: ADT^A01, RDE^O11, ORU^R01 per
//! patient) followed by the simulated HIS stream (admissions, transfers,
//! discharges, updates, orders, vitals and lab results), one message per
//! simulated second. Same seed, same bytes.

use ckisa_demo::{DemoOptions, Establishment, HisState};
use jiff::Zoned;

/// The fixed "now" of every generated hospital, so runs are reproducible.
pub const DEMO_NOW: &str = "2026-03-02T10:00:00+01:00[Europe/Paris]";

/// A generated establishment of `beds` beds at 85 % occupancy.
pub fn hospital(seed: u64, beds: u32) -> Establishment {
    let now: Zoned = DEMO_NOW.parse().unwrap_or_else(|_| Zoned::now());
    let mut options = DemoOptions::at(now);
    options.total_beds = beds;
    ckisa_demo::generate(seed, &options)
}

/// `count` messages of the simulated HIS after the establishment's initial
/// load, one per simulated second from its `now`.
pub fn stream(establishment: &Establishment, stream_seed: u64, count: usize) -> Vec<String> {
    let mut state = HisState::new(establishment, stream_seed);
    let mut time = establishment.now.clone();
    let mut messages = Vec::with_capacity(count);
    for _ in 0..count {
        time = time.checked_add(jiff::Span::new().seconds(1)).unwrap_or(time);
        let now = time.strftime("%Y%m%d%H%M%S%z").to_string();
        messages.push(state.next_message(&now));
    }
    messages
}

/// Messages as one HL7 file: each message's segments end with CR, as the
/// demo writes them to disk.
pub fn as_file<'a>(messages: impl IntoIterator<Item = &'a String>) -> Vec<u8> {
    let mut file = Vec::new();
    for message in messages {
        file.extend_from_slice(message.as_bytes());
        if !message.ends_with('\r') {
            file.push(b'\r');
        }
    }
    file
}

/// `(message type, count)` of a sample, for the report.
pub fn mix(messages: &[String]) -> Vec<(String, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for message in messages {
        let kind = message
            .split('|')
            .nth(8)
            .map(|t| t.split('^').take(2).collect::<Vec<_>>().join("^"))
            .unwrap_or_default();
        *counts.entry(kind).or_insert(0usize) += 1;
    }
    counts.into_iter().collect()
}
