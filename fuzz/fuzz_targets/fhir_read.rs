//! Fuzz target: the FHIR reader on arbitrary bytes (JSON, bundles, NDJSON).
//! It must never panic, and every item it returns must name a resource.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let document = ckisa_fhir::read(data, "fuzz");
    for item in &document.items {
        assert!(item.fhir_id.contains('/'));
    }
});
