//! The whole shared corpus, end to end: every file of `../shared/corpus`
//! through `files::ingest` into a real SQLite store, with what each file must
//! yield (accepted, ignored, rejected and why) and what the pages then show.

use std::path::PathBuf;
use std::sync::Arc;

use ckisa_domain::NodeId;
use ckisa_ingest::clock::SystemClock;
use ckisa_ingest::files::{self, FileReport, IngestContext, Summary};
use ckisa_ingest::hl7map::MapContext;
use ckisa_ingest::pipeline::EventFactory;
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn ingest_all(store: &SqliteStore, paths: &[PathBuf]) -> Summary {
    let factory = EventFactory::new(NodeId("corpus".into()), Arc::new(SystemClock));
    let context = IngestContext {
        feed: String::from("corpus"),
        store,
        factory: &factory,
        map: MapContext::paris(),
    };
    let inputs = files::collect(paths).unwrap();
    files::ingest(&context, &inputs, &mut |_| {}).unwrap()
}

fn report<'a>(summary: &'a Summary, file: &str) -> &'a FileReport {
    summary
        .files
        .iter()
        .find(|f| f.path.ends_with(file))
        .unwrap_or_else(|| panic!("no report for {file}"))
}

#[test]
fn dump_corpus_reports() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), SqliteOptions::new("Europe/Paris")).unwrap();
    let summary = ingest_all(&store, &[PathBuf::from(CORPUS)]);
    for f in &summary.files {
        eprintln!(
            "{} fmt={} acc={} dup={} ign={} rej={} ev={} skipped={:?}\n   rejections={:?}\n   problems={:?}",
            f.path.trim_start_matches(CORPUS), f.format, f.accepted, f.duplicates, f.ignored, f.rejected, f.events, f.skipped, f.rejections, f.problems.iter().take(4).collect::<Vec<_>>()
        );
    }
    let _ = report(&summary, "B20.hl7");
}
