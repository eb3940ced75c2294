//! Just enough DER to read the parts of an X.509 certificate this crate needs:
//! the issuer and subject names, the validity dates and the public key.
//!
//! A full X.509 parser (x509-parser and its nom stack) would double this
//! crate's dependency tree for four fields; rustls and rcgen already check
//! everything else. Every read is bounds-checked: a malformed certificate
//! gives `None`, never a panic.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OID: u8 = 0x06;
const UTF8_STRING: u8 = 0x0C;
const PRINTABLE_STRING: u8 = 0x13;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const EXPLICIT_VERSION: u8 = 0xA0;

/// The fields of a certificate this crate reads. Names and the key stay as
/// whole DER elements (tag and length included) so they compare byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertFields<'a> {
    pub(crate) issuer: &'a [u8],
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
    pub(crate) subject: &'a [u8],
    pub(crate) public_key_info: &'a [u8],
}

/// A textual attribute of a distinguished name, such as the common name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameAttribute {
    /// The attribute type's object identifier, as arcs (2.5.4.3 = `[2, 5, 4, 3]`).
    pub(crate) oid: Vec<u64>,
    /// The DER string tag: UTF8String or PrintableString.
    pub(crate) tag: u8,
    pub(crate) value: String,
}

/// Reads the fields of one DER certificate.
pub(crate) fn cert_fields(der: &[u8]) -> Option<CertFields<'_>> {
    let (certificate, _) = expect(der, SEQUENCE)?;
    let (tbs, _) = expect(certificate.content, SEQUENCE)?;
    let mut rest = tbs.content;
    let first = element(rest)?;
    if first.0.tag == EXPLICIT_VERSION {
        rest = first.1;
    }
    let (_serial, rest) = expect(rest, INTEGER)?;
    let (_signature, rest) = expect(rest, SEQUENCE)?;
    let (issuer, rest) = expect(rest, SEQUENCE)?;
    let (validity, rest) = expect(rest, SEQUENCE)?;
    let (subject, rest) = expect(rest, SEQUENCE)?;
    let (public_key_info, _) = expect(rest, SEQUENCE)?;
    let (not_before, after) = element(validity.content)?;
    let (not_after, _) = element(after)?;
    Some(CertFields {
        issuer: issuer.whole,
        not_before: decode_time(&not_before)?,
        not_after: decode_time(&not_after)?,
        subject: subject.whole,
        public_key_info: public_key_info.whole,
    })
}

/// Reads the attributes of a DER `Name` (a SEQUENCE of SETs of type and
/// value pairs), in order. Gives `None` when a value is neither a UTF8String
/// nor a PrintableString, which this crate never writes.
pub(crate) fn name_attributes(name: &[u8]) -> Option<Vec<NameAttribute>> {
    let (sequence, _) = expect(name, SEQUENCE)?;
    let mut attributes = Vec::new();
    let mut sets = sequence.content;
    while !sets.is_empty() {
        let (set, next) = expect(sets, SET)?;
        sets = next;
        let mut pairs = set.content;
        while !pairs.is_empty() {
            let (pair, next) = expect(pairs, SEQUENCE)?;
            pairs = next;
            let (oid, rest) = expect(pair.content, OID)?;
            let (value, _) = element(rest)?;
            if value.tag != UTF8_STRING && value.tag != PRINTABLE_STRING {
                return None;
            }
            attributes.push(NameAttribute {
                oid: decode_oid(oid.content)?,
                tag: value.tag,
                value: String::from_utf8(value.content.to_vec()).ok()?,
            });
        }
    }
    Some(attributes)
}

/// Whether `tag` is the DER PrintableString tag.
pub(crate) fn is_printable_string(tag: u8) -> bool {
    tag == PRINTABLE_STRING
}

/// One DER element.
#[derive(Debug, Clone, Copy)]
struct Element<'a> {
    tag: u8,
    content: &'a [u8],
    whole: &'a [u8],
}

/// Reads one element of the given tag; gives it and what follows.
fn expect(input: &[u8], tag: u8) -> Option<(Element<'_>, &[u8])> {
    let (found, rest) = element(input)?;
    (found.tag == tag).then_some((found, rest))
}

/// Reads one element (single-byte tags, definite lengths up to 4 bytes).
fn element(input: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let tag = *input.first()?;
    let first_length = *input.get(1)?;
    let (length, header) = if first_length < 0x80 {
        (usize::from(first_length), 2)
    } else {
        let count = usize::from(first_length & 0x7F);
        if count == 0 || count > 4 {
            return None;
        }
        let bytes = input.get(2..2 + count)?;
        let length = bytes
            .iter()
            .fold(0usize, |sum, byte| (sum << 8) | usize::from(*byte));
        (length, 2 + count)
    };
    let end = header.checked_add(length)?;
    let whole = input.get(..end)?;
    let element = Element {
        tag,
        content: whole.get(header..)?,
        whole,
    };
    Some((element, input.get(end..)?))
}

fn decode_oid(content: &[u8]) -> Option<Vec<u64>> {
    let mut arcs = Vec::new();
    let mut value: u64 = 0;
    for byte in content {
        value = value.checked_mul(128)? | u64::from(byte & 0x7F);
        if byte & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    (!arcs.is_empty()).then_some(arcs)
}

/// Decodes a UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime
/// (`YYYYMMDDHHMMSSZ`), the two forms RFC 5280 allows.
fn decode_time(element: &Element<'_>) -> Option<OffsetDateTime> {
    let text = std::str::from_utf8(element.content).ok()?;
    let digits = text.strip_suffix('Z')?;
    if !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let (year, rest) = match (element.tag, digits.len()) {
        (UTC_TIME, 12) => {
            let short: i32 = digits.get(..2)?.parse().ok()?;
            let year = if short >= 50 {
                1900 + short
            } else {
                2000 + short
            };
            (year, digits.get(2..)?)
        }
        (GENERALIZED_TIME, 14) => (digits.get(..4)?.parse().ok()?, digits.get(4..)?),
        _ => return None,
    };
    let part = |index: usize| -> Option<u8> { rest.get(index..index + 2)?.parse().ok() };
    let date = Date::from_calendar_date(year, Month::try_from(part(0)?).ok()?, part(2)?).ok()?;
    let time = Time::from_hms(part(4)?, part(6)?, part(8)?).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time_element(tag: u8, text: &str) -> Vec<u8> {
        let mut bytes = vec![tag, u8::try_from(text.len()).unwrap()];
        bytes.extend_from_slice(text.as_bytes());
        bytes
    }

    fn decode(tag: u8, text: &str) -> Option<OffsetDateTime> {
        let bytes = time_element(tag, text);
        let (element, _) = element(&bytes)?;
        decode_time(&element)
    }

    #[test]
    fn both_time_forms_decode_and_utc_time_pivots_at_1950() {
        let utc = decode(UTC_TIME, "261204103000Z").unwrap();
        assert_eq!(
            (utc.year(), u8::from(utc.month()), utc.day(), utc.hour()),
            (2026, 12, 4, 10)
        );
        assert_eq!(decode(UTC_TIME, "991231235959Z").unwrap().year(), 1999);
        let generalized = decode(GENERALIZED_TIME, "20500101000000Z").unwrap();
        assert_eq!(generalized.year(), 2050);
    }

    #[test]
    fn malformed_times_and_truncated_elements_give_none() {
        assert_eq!(decode(UTC_TIME, "2612041030Z"), None);
        assert_eq!(decode(UTC_TIME, "261304103000Z"), None);
        assert_eq!(decode(GENERALIZED_TIME, "261204103000Z"), None);
        assert_eq!(decode(UTC_TIME, "26120410300+Z"), None);
        assert!(element(&[0x30, 0x05, 0x01]).is_none());
        assert!(element(&[0x30, 0x85, 0, 0, 0, 0, 1]).is_none());
        assert!(element(&[0x30]).is_none());
        assert!(cert_fields(b"not a certificate").is_none());
        assert!(cert_fields(&[]).is_none());
    }

    #[test]
    fn object_identifiers_decode_to_arcs() {
        assert_eq!(decode_oid(&[0x55, 0x04, 0x03]), Some(vec![2, 5, 4, 3]));
        assert_eq!(
            decode_oid(&[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]),
            Some(vec![1, 2, 840, 10045, 2, 1])
        );
        assert_eq!(decode_oid(&[]), None);
    }
}
