//! Just enough DER to read the parts of an X.509 certificate this crate needs:
//! the issuer and subject names, the validity dates, the public key and the
//! name constraints of a CA.
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
const EXPLICIT_EXTENSIONS: u8 = 0xA3;
const BOOLEAN: u8 = 0x01;
const OCTET_STRING: u8 = 0x04;
/// `[0]` and `[1]` of NameConstraints: permitted and excluded subtrees.
const PERMITTED_SUBTREES: u8 = 0xA0;
const EXCLUDED_SUBTREES: u8 = 0xA1;
/// `[2]` and `[7]` of GeneralName, implicitly tagged primitives.
const DNS_NAME: u8 = 0x82;
const IP_ADDRESS: u8 = 0x87;
/// id-ce-nameConstraints, 2.5.29.30.
const NAME_CONSTRAINTS_OID: [u64; 4] = [2, 5, 29, 30];

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

/// The name constraints extension of a CA certificate (RFC 5280, 4.2.1.10).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NameConstraints {
    pub(crate) permitted: Vec<Subtree>,
    pub(crate) excluded: Vec<Subtree>,
}

/// The base name of one subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subtree {
    /// A DNS name: it and every name below it.
    Dns(String),
    /// An address followed by its mask: 8 bytes (IPv4) or 32 (IPv6).
    Ip(Vec<u8>),
    /// Another kind of name (e-mail, directory name...), by its tag.
    Other(u8),
}

/// Reads the fields of one DER certificate.
pub(crate) fn cert_fields(der: &[u8]) -> Option<CertFields<'_>> {
    tbs_fields(der).map(|(fields, _)| fields)
}

/// Reads the name constraints of one DER certificate: `Some(None)` when it
/// has none, `None` when the certificate or the extension is malformed.
pub(crate) fn name_constraints(der: &[u8]) -> Option<Option<NameConstraints>> {
    let (_, mut rest) = tbs_fields(der)?;
    // issuerUniqueID [1] and subjectUniqueID [2] may come before [3].
    let extensions = loop {
        if rest.is_empty() {
            return Some(None);
        }
        let (found, next) = element(rest)?;
        rest = next;
        if found.tag == EXPLICIT_EXTENSIONS {
            break found;
        }
    };
    let (list, _) = expect(extensions.content, SEQUENCE)?;
    let mut entries = list.content;
    while !entries.is_empty() {
        let (extension, next) = expect(entries, SEQUENCE)?;
        entries = next;
        let (oid, rest) = expect(extension.content, OID)?;
        if decode_oid(oid.content)? != NAME_CONSTRAINTS_OID {
            continue;
        }
        let (first, after) = element(rest)?;
        let value = if first.tag == BOOLEAN {
            expect(after, OCTET_STRING)?.0
        } else {
            (first.tag == OCTET_STRING).then_some(first)?
        };
        return parse_name_constraints(value.content).map(Some);
    }
    Some(None)
}

fn parse_name_constraints(value: &[u8]) -> Option<NameConstraints> {
    let (sequence, _) = expect(value, SEQUENCE)?;
    let mut constraints = NameConstraints::default();
    let mut rest = sequence.content;
    while !rest.is_empty() {
        let (trees, next) = element(rest)?;
        rest = next;
        let target = match trees.tag {
            PERMITTED_SUBTREES => &mut constraints.permitted,
            EXCLUDED_SUBTREES => &mut constraints.excluded,
            _ => return None,
        };
        let mut subtrees = trees.content;
        while !subtrees.is_empty() {
            let (subtree, next) = expect(subtrees, SEQUENCE)?;
            subtrees = next;
            let (base, _) = element(subtree.content)?;
            target.push(match base.tag {
                DNS_NAME => Subtree::Dns(String::from_utf8(base.content.to_vec()).ok()?),
                IP_ADDRESS if matches!(base.content.len(), 8 | 32) => {
                    Subtree::Ip(base.content.to_vec())
                }
                IP_ADDRESS => return None,
                tag => Subtree::Other(tag),
            });
        }
    }
    Some(constraints)
}

/// Reads the fields of one DER certificate; gives them and what follows the
/// public key in the to-be-signed part (unique ids, extensions).
fn tbs_fields(der: &[u8]) -> Option<(CertFields<'_>, &[u8])> {
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
    let (public_key_info, rest) = expect(rest, SEQUENCE)?;
    let (not_before, after) = element(validity.content)?;
    let (not_after, _) = element(after)?;
    let fields = CertFields {
        issuer: issuer.whole,
        not_before: decode_time(&not_before)?,
        not_after: decode_time(&not_after)?,
        subject: subject.whole,
        public_key_info: public_key_info.whole,
    };
    Some((fields, rest))
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
        assert!(name_constraints(b"not a certificate").is_none());
    }

    #[test]
    fn name_constraints_read_dns_ip_and_other_subtrees() {
        // permitted: dNSName "a.lan", iPAddress 10.0.0.0/8;
        // excluded: iPAddress ::/0, rfc822Name "x".
        let mut ipv6 = vec![0x30, 0x22, IP_ADDRESS, 0x20];
        ipv6.extend_from_slice(&[0; 32]);
        let mut value = vec![PERMITTED_SUBTREES, 0x15];
        value.extend_from_slice(&[0x30, 0x07, DNS_NAME, 0x05]);
        value.extend_from_slice(b"a.lan");
        value.extend_from_slice(&[0x30, 0x0A, IP_ADDRESS, 0x08, 10, 0, 0, 0, 255, 0, 0, 0]);
        value.push(EXCLUDED_SUBTREES);
        value.push(u8::try_from(ipv6.len() + 5).unwrap());
        value.extend_from_slice(&ipv6);
        value.extend_from_slice(&[0x30, 0x03, 0x81, 0x01, b'x']);
        let mut sequence = vec![SEQUENCE, u8::try_from(value.len()).unwrap()];
        sequence.extend_from_slice(&value);
        let constraints = parse_name_constraints(&sequence).unwrap();
        assert_eq!(
            constraints.permitted,
            vec![
                Subtree::Dns("a.lan".to_owned()),
                Subtree::Ip(vec![10, 0, 0, 0, 255, 0, 0, 0])
            ]
        );
        assert_eq!(
            constraints.excluded,
            vec![Subtree::Ip(vec![0; 32]), Subtree::Other(0x81)]
        );
        // An address of the wrong length and an unknown tree are refused.
        assert!(
            parse_name_constraints(&[0x30, 0x06, 0xA0, 0x04, 0x30, 0x02, 0x87, 0x00]).is_none()
        );
        assert!(parse_name_constraints(&[0x30, 0x02, 0xA2, 0x00]).is_none());
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
