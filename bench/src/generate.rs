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
        time = time
            .checked_add(jiff::Span::new().seconds(1))
            .unwrap_or(time);
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

/// A node data folder (encrypted, its key in `<data>.key` beside it) and its
/// configuration file, ready for `ckisa serve`.
pub struct Prepared {
    /// The `ckisa serve --config` file (the demo's generated configuration).
    pub config: std::path::PathBuf,
    /// The `--data` folder.
    pub data: std::path::PathBuf,
    /// Messages loaded.
    pub messages: usize,
    /// Events in the store.
    pub events: u64,
}

/// How much of the simulated HIS stream [`prepare_folder`] loads after the
/// initial census.
#[derive(Debug, Clone, Copy)]
pub struct StreamLoad {
    /// Seed of the stream.
    pub seed: u64,
    /// Stop once the store holds this many events...
    pub target_events: u64,
    /// ...or once this many stream messages were loaded.
    pub max_messages: usize,
}

/// Writes the establishment's configuration under `dir`, and loads its
/// initial HL7 messages and FHIR care plans, then the simulated HIS stream
/// (in chunks of 20,000 messages) up to `load`, into a fresh encrypted store
/// in `dir/data` (key in `dir/data.key`) through the file ingestion path (in
/// process).
/// `on_chunk(messages, events)` is called after each chunk.
pub fn prepare_folder(
    dir: &std::path::Path,
    establishment: &Establishment,
    load: StreamLoad,
    mut on_chunk: impl FnMut(usize, u64),
) -> Result<Prepared, Box<dyn std::error::Error>> {
    use ckisa_ingest::clock::{Clock, SystemClock};
    use ckisa_ingest::files::{IngestContext, ingest_bytes};
    use ckisa_store::Store;
    use ckisa_store_sqlite::{SqliteOptions, SqliteStore};

    let config = dir.join("ckisa.toml");
    std::fs::write(&config, &establishment.config_toml)?;
    let data = dir.join("data");
    // Encrypted, as in production; the key goes where `ckisa serve` looks.
    let key = crate::access::new_folder_key(&data)?;
    let store = std::sync::Arc::new(SqliteStore::open(
        &data,
        SqliteOptions::new("Europe/Paris").with_key(key),
    )?);
    store.define_units(&establishment.units)?;
    let clock: std::sync::Arc<dyn Clock> = std::sync::Arc::new(SystemClock);
    let factory = ckisa_ingest::pipeline::EventFactory::new(
        ckisa_domain::NodeId(String::from("bench-prepare")),
        clock,
    );
    let context = IngestContext {
        feed: String::from("sih-demo"),
        store: store.clone(),
        factory: &factory,
        map: ckisa_ingest::hl7map::MapContext::paris(),
    };
    let initial = as_file(&establishment.initial_messages);
    ingest_bytes(&context, "initial.hl7", &initial)?;
    for (index, plan) in establishment.initial_fhir.iter().enumerate() {
        ingest_bytes(&context, &format!("careplan-{index}.json"), plan.as_bytes())?;
    }
    let mut done = establishment.initial_messages.len();
    let mut events = store.status()?.events;
    let mut state = HisState::new(establishment, load.seed);
    let mut time = establishment.now.clone();
    let mut streamed = 0;
    while events < load.target_events && streamed < load.max_messages {
        let count = 20_000.min(load.max_messages - streamed);
        let mut chunk = Vec::with_capacity(count);
        for _ in 0..count {
            time = time
                .checked_add(jiff::Span::new().seconds(1))
                .unwrap_or(time);
            chunk.push(state.next_message(&time.strftime("%Y%m%d%H%M%S%z").to_string()));
        }
        ingest_bytes(&context, "stream.hl7", &as_file(&chunk))?;
        streamed += count;
        done += count;
        events = store.status()?.events;
        on_chunk(done, events);
    }
    drop(context);
    drop(store);
    Ok(Prepared {
        config,
        data,
        messages: done,
        events,
    })
}

/// The store key of the patient of an HL7 message: the `PI` repetition of
/// PID-3 (else the first), `ipp:<PID-3.4.1>|<PID-3.1>`, as the mapper builds it.
pub fn patient_key(message: &[u8]) -> Option<String> {
    let msg = ckisa_hl7::Message::parse(message).ok()?;
    let pid = msg.segment("PID")?;
    let field = pid.field(3);
    let reps: Vec<_> = field.repetitions().collect();
    let chosen = reps
        .iter()
        .find(|rep| rep.component(5).raw() == b"PI")
        .or_else(|| reps.first())?;
    let id = String::from_utf8_lossy(chosen.component(1).raw()).into_owned();
    let authority = String::from_utf8_lossy(chosen.component(4).subcomponent(1).raw()).into_owned();
    Some(format!("ipp:{authority}|{id}"))
}
