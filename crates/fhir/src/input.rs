//! From bytes to resource slices: byte-order mark, single JSON value versus
//! NDJSON, bundle entries, and a fast look at `resourceType`.
//!
//! Entries are kept as borrowed [`RawValue`] slices of the input, so a
//! bundle is scanned once here and each supported resource once more by its
//! typed reader; unsupported resources (claims, base64 documents) are never
//! parsed beyond their first member.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::EntryError;
use crate::model::{EntryRequest, Head};

/// How the input is framed.
#[derive(Debug)]
pub(crate) enum Framing<'a> {
    /// One JSON value (a resource or a Bundle).
    Single(&'a [u8]),
    /// One resource per line.
    Lines(&'a [u8]),
}

/// One bundle entry, its members still raw.
#[derive(Debug, Default)]
pub(crate) struct RawEntry<'a> {
    pub(crate) full_url: Option<&'a RawValue>,
    pub(crate) resource: Option<&'a RawValue>,
    pub(crate) request: Option<&'a RawValue>,
}

/// A bundle entry as found: an object, or something that is not one.
#[derive(Debug)]
pub(crate) enum EntrySlot<'a> {
    /// An object.
    Entry(RawEntry<'a>),
    /// A string, number, array... where an entry object was expected.
    NotAnObject,
}

/// The members of a Bundle ckisa reads.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawBundle<'a> {
    #[serde(borrow, default)]
    pub(crate) entry: Vec<EntrySlot<'a>>,
}

/// Drops a UTF-8 byte-order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Tells one JSON value from NDJSON: the input is NDJSON when its first
/// non-blank line is a complete JSON value on its own and more follows.
pub(crate) fn framing(bytes: &[u8]) -> Framing<'_> {
    let trimmed = bytes.trim_ascii();
    let Some(first_end) = trimmed.iter().position(|&b| b == b'\n') else {
        return Framing::Single(trimmed);
    };
    let first_line = &trimmed[..first_end];
    if serde_json::from_slice::<IgnoredAny>(first_line).is_ok() {
        Framing::Lines(trimmed)
    } else {
        Framing::Single(trimmed)
    }
}

/// Text of a JSON document or line, checked as UTF-8.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, EntryError> {
    std::str::from_utf8(bytes).map_err(|err| EntryError::InvalidUtf8 {
        valid_up_to: err.valid_up_to(),
    })
}

/// The resource type, read fast when `resourceType` is the first member (as
/// every FHIR serializer writes it), else by a full parse of the members.
pub(crate) fn resource_type(raw: &str) -> Result<String, EntryError> {
    if let Some(kind) = sniff_resource_type(raw) {
        return Ok(kind.to_owned());
    }
    let head: Head = serde_json::from_str(raw).map_err(|err| match err.classify() {
        serde_json::error::Category::Data => EntryError::NotAnObject,
        _ => EntryError::InvalidJson(err),
    })?;
    head.resource_type
        .filter(|kind| !kind.is_empty())
        .ok_or(EntryError::MissingResourceType)
}

/// `"resourceType": "X"` as the first member of an object, without escapes.
pub(crate) fn sniff_resource_type(raw: &str) -> Option<&str> {
    let rest = raw.trim_start().strip_prefix('{')?.trim_start();
    let rest = rest.strip_prefix("\"resourceType\"")?.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let value = &rest[..rest.find('"')?];
    let plain = !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric());
    plain.then_some(value)
}

/// `fullUrl` as a string, when it is one.
pub(crate) fn full_url(raw: Option<&RawValue>) -> Option<String> {
    serde_json::from_str::<String>(raw?.get())
        .ok()
        .filter(|url| !url.is_empty())
}

/// `request` as far as it reads; a malformed request counts as none.
pub(crate) fn request(raw: Option<&RawValue>) -> Option<EntryRequest> {
    serde_json::from_str(raw?.get()).ok()
}

impl<'de: 'a, 'a> Deserialize<'de> for EntrySlot<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EntryVisitor)
    }
}

/// Member names of a bundle entry.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum EntryMember {
    FullUrl,
    Resource,
    Request,
    #[serde(other)]
    Other,
}

/// Reads an entry object member by member, and anything else as
/// [`EntrySlot::NotAnObject`] so that one odd entry spoils only itself.
struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = EntrySlot<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a Bundle entry")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entry = RawEntry::default();
        while let Some(member) = map.next_key::<EntryMember>()? {
            match member {
                EntryMember::FullUrl => entry.full_url = Some(map.next_value()?),
                EntryMember::Resource => entry.resource = Some(map.next_value()?),
                EntryMember::Request => entry.request = Some(map.next_value()?),
                EntryMember::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(EntrySlot::Entry(entry))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(EntrySlot::NotAnObject)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(EntrySlot::NotAnObject)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(EntrySlot::NotAnObject)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(EntrySlot::NotAnObject)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(EntrySlot::NotAnObject)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(EntrySlot::NotAnObject)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(EntrySlot::NotAnObject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_dropped_only_at_the_start() {
        assert_eq!(strip_bom(b"\xEF\xBB\xBF{}"), b"{}");
        assert_eq!(strip_bom(b"{}\xEF\xBB\xBF"), b"{}\xEF\xBB\xBF");
    }

    #[test]
    fn pretty_json_is_single_and_ndjson_is_lines() {
        assert!(matches!(framing(b"{\n \"a\": 1\n}\n"), Framing::Single(_)));
        assert!(matches!(
            framing(b"{\"a\":1}\n{\"a\":2}\n"),
            Framing::Lines(_)
        ));
        assert!(matches!(framing(b"  {\"a\":1}  \n"), Framing::Single(_)));
    }

    #[test]
    fn resource_type_is_sniffed_or_parsed() {
        assert_eq!(
            sniff_resource_type(" {\n \"resourceType\" : \"Patient\", \"id\":\"1\"}"),
            Some("Patient")
        );
        assert_eq!(
            sniff_resource_type("{\"id\":\"1\",\"resourceType\":\"Patient\"}"),
            None
        );
        assert_eq!(
            resource_type("{\"id\":\"1\",\"resourceType\":\"Patient\"}").unwrap(),
            "Patient"
        );
        assert!(matches!(
            resource_type("{\"id\":\"1\"}"),
            Err(EntryError::MissingResourceType)
        ));
        assert!(matches!(resource_type("[1]"), Err(EntryError::NotAnObject)));
    }

    #[test]
    fn odd_entries_do_not_spoil_the_bundle() {
        let text = r#"{"entry":[1,"x",[2],null,{"fullUrl":"urn:uuid:a","resource":{"resourceType":"Patient"},"search":{}}]}"#;
        let bundle: RawBundle<'_> = serde_json::from_str(text).unwrap();
        assert_eq!(bundle.entry.len(), 5);
        assert!(matches!(bundle.entry[0], EntrySlot::NotAnObject));
        assert!(matches!(bundle.entry[3], EntrySlot::NotAnObject));
        let EntrySlot::Entry(entry) = &bundle.entry[4] else {
            panic!("entry 4 is an object")
        };
        assert_eq!(full_url(entry.full_url).as_deref(), Some("urn:uuid:a"));
    }
}
