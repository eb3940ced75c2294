//! Fuzz target: parse then map to facts, as a feed does. Neither step may
//! panic on any input; a refusal must name a segment.

#![no_main]

use ckisa_ingest::hl7map::{MapContext, map_message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let context = MapContext::new(jiff::tz::TimeZone::UTC);
    for range in ckisa_hl7::split_messages(data).messages {
        if let Ok(message) = ckisa_hl7::Message::parse(&data[range]) {
            if let Err(refusal) = map_message(&message, &context) {
                assert!(!refusal.segment.is_empty());
            }
        }
    }
});
