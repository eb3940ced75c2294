//! Fuzz target: the MLLP decoder fed with the input cut into reads of fuzzer-chosen sizes, with
//! a small frame limit so the oversize paths are reached. Checks that delivered frames respect
//! the limit and never contain framing bytes that should have ended them.

#![no_main]

use ckisa_hl7::mllp::{END_BLOCK, MllpDecoder, START_BLOCK};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first % 32) + 1;
    let limit = usize::from(first) * 4 + 1;
    let mut decoder = MllpDecoder::with_max_frame_size(limit);
    for read in rest.chunks(chunk) {
        decoder.push(read);
        while let Some(frame) = decoder.next_frame() {
            if let Ok(payload) = frame {
                assert!(payload.len() <= limit);
                assert!(!payload.contains(&START_BLOCK));
                assert!(!payload.contains(&END_BLOCK));
            }
        }
    }
    let _ = decoder.has_partial_frame();
});
