//! Lowercase hexadecimal text of bytes, and back: the form in which the
//! node writes keys, hashes and anchors (key files, the audit chain, stored
//! token hashes). One implementation for every crate that needs it.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Appends the lowercase hex digits of `bytes` to `text` (into a
/// `Zeroizing<String>` for secrets).
pub fn push(text: &mut String, bytes: &[u8]) {
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

/// Lowercase hexadecimal text of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    push(&mut text, bytes);
    text
}

/// Fills `out` from `text`, which must hold exactly `2 * out.len()`
/// hexadecimal digits (either case). `false` (and `out` partly written)
/// otherwise.
pub fn decode_into(text: &str, out: &mut [u8]) -> bool {
    let digits = text.as_bytes();
    if digits.len() != out.len() * 2 {
        return false;
    }
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (Some(high), Some(low)) = (
            char::from(pair[0]).to_digit(16),
            char::from(pair[1]).to_digit(16),
        ) else {
            return false;
        };
        // Two hex digits are at most 0xff.
        *byte = u8::try_from(high * 16 + low).unwrap_or(u8::MAX);
    }
    true
}

/// The bytes of hexadecimal `text` (either case), if it is that.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let mut out = vec![0u8; text.len() / 2];
    (text.len().is_multiple_of(2) && decode_into(text, &mut out)).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_through_hex() {
        let bytes = [0x00, 0x0f, 0xa5, 0xff];
        assert_eq!(encode(&bytes), "000fa5ff");
        assert_eq!(decode("000fa5ff"), Some(bytes.to_vec()));
        assert_eq!(decode("000FA5FF"), Some(bytes.to_vec()));
        assert_eq!(decode(""), Some(Vec::new()));
        assert_eq!(decode("0g"), None);
        assert_eq!(decode("abc"), None);
        let mut out = [0u8; 2];
        assert!(!decode_into("abc", &mut out));
        assert!(decode_into("beef", &mut out) && out == [0xbe, 0xef]);
    }
}
