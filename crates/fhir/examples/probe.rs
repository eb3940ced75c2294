//! Temporary probe.
#![allow(clippy::print_stdout)]
fn main() {
    let iters: usize = std::env::var("ITER")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap();
        let t = std::time::Instant::now();
        let mut doc = ckisa_fhir::read(&bytes, &path);
        for _ in 1..iters {
            doc = ckisa_fhir::read(&bytes, &path);
        }
        let el = t.elapsed() / iters as u32;
        let mut kinds = std::collections::BTreeMap::new();
        for i in &doc.items {
            *kinds
                .entry(i.fhir_id.split('/').next().unwrap().to_string())
                .or_insert(0) += 1;
        }
        println!(
            "{} entries={} items={:?} skipped={:?} problems={} {:?}",
            path.rsplit('/').next().unwrap(),
            doc.entries,
            kinds,
            doc.skipped,
            doc.problems.len(),
            el
        );
        for p in doc.problems.iter().take(5) {
            println!("   {} : {}", p.location, p.reason);
        }
    }
}
