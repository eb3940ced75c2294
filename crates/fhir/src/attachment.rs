//! Base64 attachments (`Attachment.data`): their decoded size, and the
//! decoding of short text notes.
//!
//! Synthea and many HIS send clinical notes as Base64 `text/plain` in
//! `DiagnosticReport.presentedForm`. A short note is decoded so caregivers
//! can read it; anything else is summarised by type and size rather than
//! copied, so a report never drags megabytes of Base64 around.

/// Decoded size of Base64 text, from its length (whitespace and padding
/// excluded); exact for well-formed input.
pub(crate) fn decoded_len(data: &str) -> u64 {
    let symbols = data
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .count() as u64;
    symbols * 3 / 4
}

/// Decodes standard Base64 (RFC 4648 section 4), ignoring whitespace;
/// `None` on any other character or a truncated group.
pub(crate) fn decode(data: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 4 * 3);
    let mut group = 0u32;
    let mut filled = 0u8;
    let mut padding = 0u8;
    for byte in data.bytes().filter(|b| !b.is_ascii_whitespace()) {
        if byte == b'=' {
            padding += 1;
            continue;
        }
        if padding > 0 {
            return None;
        }
        group = (group << 6) | u32::from(symbol_value(byte)?);
        filled += 1;
        if filled == 4 {
            out.extend_from_slice(&group.to_be_bytes()[1..]);
            group = 0;
            filled = 0;
        }
    }
    match filled {
        0 => {}
        2 => out.push((group >> 4) as u8),
        3 => out.extend_from_slice(&((group >> 2) as u16).to_be_bytes()),
        _ => return None,
    }
    Some(out)
}

/// A size in French units: `512 o`, `220 Ko`, `2,4 Mo`.
pub(crate) fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    match bytes {
        b if b < KIB => format!("{b} o"),
        b if b < KIB * KIB => format!("{} Ko", b.div_ceil(KIB)),
        b => {
            let tenths = (b * 10).div_ceil(KIB * KIB);
            format!("{},{} Mo", tenths / 10, tenths % 10)
        }
    }
}

/// Marks bytes outside the Base64 alphabet in [`SYMBOLS`].
const INVALID: u8 = 0xFF;

/// The 6-bit value of each byte of the standard Base64 alphabet.
const SYMBOLS: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut at = 0;
    while at < 64 {
        let symbol = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[at];
        table[symbol as usize] = at as u8;
        at += 1;
    }
    table
};

fn symbol_value(byte: u8) -> Option<u8> {
    let value = SYMBOLS[usize::from(byte)];
    (value != INVALID).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_all_padding_lengths() {
        assert_eq!(decode("TWFu").unwrap(), b"Man");
        assert_eq!(decode("TWE=").unwrap(), b"Ma");
        assert_eq!(decode("TQ==").unwrap(), b"M");
        assert_eq!(decode("TW\nFu TQ==").unwrap(), b"ManM");
        assert_eq!(decode("").unwrap(), b"");
    }

    #[test]
    fn refuses_garbage() {
        assert_eq!(decode("TW*u"), None);
        assert_eq!(decode("T"), None);
        assert_eq!(decode("TQ==TQ=="), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(decoded_len("TWFuTQ=="), 4);
        assert_eq!(human_size(512), "512 o");
        assert_eq!(human_size(220 * 1024), "220 Ko");
        assert_eq!(human_size(2_500_000), "2,4 Mo");
    }
}
