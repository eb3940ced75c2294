//! Byte search tuned for HL7: most fields and components are a few bytes long, where a
//! word-at-a-time (SWAR) search beats a SIMD search's setup cost, but a few (Base64 documents in
//! OBX-5) run to megabytes, where `memchr` is many times faster. These helpers look at a short
//! head 8 bytes at a time and hand the rest to SIMD `memchr`.

use memchr::{memchr, memchr_iter};

/// Words (8 bytes each) examined one at a time before switching to SIMD `memchr`.
const SHORT_WORDS: usize = 4;

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW_SEVEN: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// High bit set in each byte of `word` that is zero, and only there (no false positives).
#[inline]
fn zero_bytes(word: u64) -> u64 {
    !(((word & LOW_SEVEN) + LOW_SEVEN) | word | LOW_SEVEN)
}

/// Position of the first `needle` in `haystack`: 8 bytes at a time for a short head, then SIMD.
#[inline]
pub(crate) fn find_byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    let pattern = ONES * u64::from(needle);
    let mut position = 0;
    for _ in 0..SHORT_WORDS {
        let Some(chunk) = haystack[position..].first_chunk::<8>() else {
            let tail = &haystack[position..];
            return tail
                .iter()
                .position(|&byte| byte == needle)
                .map(|at| at + position);
        };
        let found = zero_bytes(u64::from_le_bytes(*chunk) ^ pattern);
        if found != 0 {
            return Some(position + (found.trailing_zeros() / 8) as usize);
        }
        position += 8;
    }
    memchr(needle, &haystack[position..]).map(|at| at + position)
}

/// Start and end of the `index`-th (0-based) piece of `raw` split on `separator`.
#[inline]
pub(crate) fn nth_piece(raw: &[u8], separator: u8, index: usize) -> Option<(usize, usize)> {
    nth_piece_before(raw, separator, separator, index)
}

/// Like [`nth_piece`], but only within the part of `raw` before the first `stop` byte (the
/// components of a field's first repetition, without scanning for the repetition first).
///
/// Works 8 bytes at a time, several separators per word, and jumps over long runs without
/// separators (Base64 documents) with SIMD `memchr`.
pub(crate) fn nth_piece_before(
    raw: &[u8],
    separator: u8,
    stop: u8,
    index: usize,
) -> Option<(usize, usize)> {
    let separators = ONES * u64::from(separator);
    let stops = ONES * u64::from(stop);
    let is_stop = |byte: u8| byte == stop && stop != separator;
    let mut start = 0;
    let mut remaining = index;
    let mut position = 0;
    let mut quiet_words = 0;
    while let Some(chunk) = raw[position..].first_chunk::<8>() {
        let word = u64::from_le_bytes(*chunk);
        let mut found = zero_bytes(word ^ separators) | zero_bytes(word ^ stops);
        if found == 0 {
            position += 8;
            quiet_words += 1;
            if quiet_words == SHORT_WORDS {
                quiet_words = 0;
                position = memchr::memchr2(separator, stop, &raw[position..])
                    .map_or(raw.len(), |at| position + at);
            }
            continue;
        }
        quiet_words = 0;
        while found != 0 {
            let at = position + (found.trailing_zeros() / 8) as usize;
            if remaining == 0 || is_stop(raw[at]) {
                return (remaining == 0).then_some((start, at));
            }
            remaining -= 1;
            start = at + 1;
            found &= found - 1;
        }
        position += 8;
    }
    for (at, &byte) in raw.iter().enumerate().skip(position) {
        if byte == separator || byte == stop {
            if remaining == 0 || is_stop(byte) {
                return (remaining == 0).then_some((start, at));
            }
            remaining -= 1;
            start = at + 1;
        }
    }
    (remaining == 0).then_some((start, raw.len()))
}

/// Whether `haystack` contains `needle`.
#[inline]
pub(crate) fn contains_byte(needle: u8, haystack: &[u8]) -> bool {
    find_byte(needle, haystack).is_some()
}

/// Number of `needle` bytes in `haystack`.
#[inline]
pub(crate) fn count_byte(needle: u8, haystack: &[u8]) -> usize {
    if haystack.len() <= 128 {
        haystack.iter().filter(|&&byte| byte == needle).count()
    } else {
        memchr_iter(needle, haystack).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_in_head_and_tail() {
        let mut long = vec![b'a'; 100];
        long[70] = b'|';
        assert_eq!(find_byte(b'|', &long), Some(70));
        assert_eq!(find_byte(b'|', b"ab|c"), Some(2));
        assert_eq!(find_byte(b'|', b"abc"), None);
        assert_eq!(find_byte(b'x', &long), None);
        assert!(contains_byte(b'|', &long));
        long[99] = b'|';
        assert_eq!(count_byte(b'|', &long), 2);
        assert_eq!(count_byte(b'|', &[b'|'; 500]), 500);
        long[99] = b'a';
        long[20] = b'|';
        assert_eq!(nth_piece(&long, b'|', 0), Some((0, 20)));
        assert_eq!(nth_piece(&long, b'|', 1), Some((21, 70)));
        assert_eq!(nth_piece(&long, b'|', 2), Some((71, 100)));
        assert_eq!(nth_piece(&long, b'|', 3), None);
        assert_eq!(nth_piece(b"", b'|', 0), Some((0, 0)));
        assert_eq!(nth_piece(b"a|", b'|', 1), Some((2, 2)));
        let field = b"a^bb^ccc~x^y";
        assert_eq!(nth_piece_before(field, b'^', b'~', 2), Some((5, 8)));
        assert_eq!(nth_piece_before(field, b'^', b'~', 3), None);
        assert_eq!(
            nth_piece_before(b"0123456789^abcdefghij", b'^', b'~', 1),
            Some((11, 21))
        );
        let mut long = vec![b'x'; 300];
        long[150] = b'^';
        long[299] = b'~';
        assert_eq!(nth_piece_before(&long, b'^', b'~', 1), Some((151, 299)));
        assert_eq!(nth_piece(&long, b'^', 1), Some((151, 300)));
        for length in 0..80 {
            for at in 0..length {
                let mut bytes = vec![b'|' ^ 0x01; length];
                bytes[at] = b'|';
                assert_eq!(find_byte(b'|', &bytes), Some(at), "length {length} at {at}");
            }
            assert_eq!(find_byte(b'|', &vec![0x7D; length]), None);
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// The obvious implementation the fast one must match.
    fn naive_piece(raw: &[u8], separator: u8, stop: u8, index: usize) -> Option<(usize, usize)> {
        let end = match stop == separator {
            true => raw.len(),
            false => raw
                .iter()
                .position(|&byte| byte == stop)
                .unwrap_or(raw.len()),
        };
        let region = &raw[..end];
        let mut start = 0;
        for (number, piece) in region.split(|&byte| byte == separator).enumerate() {
            if number == index {
                return Some((start, start + piece.len()));
            }
            start += piece.len() + 1;
        }
        None
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![Just(b'|'), Just(b'~'), Just(b'}'), any::<u8>()],
            0..300,
        )
    }

    proptest! {
        #[test]
        fn fast_search_matches_naive(raw in bytes(), index in 0usize..40) {
            prop_assert_eq!(find_byte(b'|', &raw), raw.iter().position(|&b| b == b'|'));
            prop_assert_eq!(count_byte(b'|', &raw), raw.iter().filter(|&&b| b == b'|').count());
            prop_assert_eq!(nth_piece(&raw, b'|', index), naive_piece(&raw, b'|', b'|', index));
            prop_assert_eq!(
                nth_piece_before(&raw, b'|', b'~', index),
                naive_piece(&raw, b'|', b'~', index)
            );
        }
    }
}
