//! Throughput of `ckisa_fhir::read` on one Synthea transaction bundle
//! (`cargo bench -p ckisa-fhir`); resources per second is the bundle's entry
//! count divided by the time per iteration.

use divan::{Bencher, counter::ItemsCount};

fn main() {
    divan::main();
}

const BUNDLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/fhir/synthea/Breana975_Harvey63_47e5d1f6-a017-1481-f0a2-49ef0edb3b72.json"
);

#[divan::bench]
fn synthea_bundle(bencher: Bencher<'_, '_>) {
    let bytes = std::fs::read(BUNDLE).expect("the corpus is checked out next to the repository");
    let entries = ckisa_fhir::read(&bytes, "bench").entries;
    bencher
        .counter(ItemsCount::new(entries))
        .bench(|| ckisa_fhir::read(divan::black_box(&bytes), "bench"));
}
