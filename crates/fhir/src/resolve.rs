//! Reference resolution inside one document (a bundle, a resource or an
//! NDJSON line).
//!
//! FHIR references come as `urn:uuid:` fullUrls (transaction bundles),
//! relative `Patient/123`, absolute `http://x/fhir/Patient/123`, contained
//! `#id`, or conditional `Practitioner?identifier=sys|val` (Synthea). The
//! first three resolve here to a type and logical id; conditional references
//! are kept as an identifier for the store to resolve once the target
//! arrives (edge case B16). The index also remembers what the mappers need
//! from other entries: Location names, Medication codes, and which
//! DiagnosticReport lists each Observation.

use std::collections::HashMap;

use ckisa_domain::{Coded, Identifier};

/// A resolved reference target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// Resource type, e.g. `Patient`.
    pub(crate) kind: String,
    /// Logical id.
    pub(crate) id: String,
}

impl Target {
    /// `Type/id`.
    pub(crate) fn reference(&self) -> String {
        format!("{}/{}", self.kind, self.id)
    }
}

/// What a reference string points at.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Resolved<'r> {
    /// A resource with a known type and id.
    Local(Target),
    /// A contained resource of the referring resource (`#id`).
    Contained(&'r str),
    /// A conditional reference (`Type?identifier=sys|val`).
    Conditional {
        /// The type before `?`.
        kind: &'r str,
        /// The identifier search parameter, when there is one.
        identifier: Option<Identifier>,
    },
    /// A `urn:` reference absent from the document.
    Dangling,
    /// Anything else (a bare word, an unsupported URL).
    Unreadable,
}

/// A Location as far as places need it.
#[derive(Debug, Clone, Default)]
pub(crate) struct LocationInfo {
    /// `Location.name`.
    pub(crate) name: Option<String>,
    /// `Location.physicalType` code (`bd`, `ro`, `wa`, `bu`, `si`...).
    pub(crate) physical_type: Option<String>,
    /// `Location.partOf`, resolved to `Location/<id>`.
    pub(crate) part_of: Option<String>,
}

/// What one document lets references resolve to.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// `Bundle.entry.fullUrl` to the entry's resource.
    by_url: HashMap<String, Target>,
    /// `Location/<id>` to its description.
    pub(crate) locations: HashMap<String, LocationInfo>,
    /// `Medication/<id>` to its code.
    pub(crate) medications: HashMap<String, Coded>,
    /// `Observation/<id>` to the stable id of the report listing it.
    pub(crate) report_of: HashMap<String, String>,
    /// `Type/<id>` to the ckisa id the resource carries (a patient key, a
    /// stay key, a documented item's id; see `map::care`).
    pub(crate) ckisa_keys: HashMap<String, String>,
}

impl Index {
    /// Records that `full_url` names `target`.
    pub(crate) fn add_url(&mut self, full_url: &str, target: Target) {
        self.by_url.insert(full_url.to_owned(), target);
    }

    /// Resolves a reference string.
    pub(crate) fn resolve<'r>(&self, reference: &'r str) -> Resolved<'r> {
        let reference = reference.trim();
        if let Some(id) = reference.strip_prefix('#') {
            return Resolved::Contained(id);
        }
        if let Some(target) = self.by_url.get(reference) {
            return Resolved::Local(target.clone());
        }
        if reference.starts_with("urn:") {
            return Resolved::Dangling;
        }
        if let Some((path, query)) = reference.split_once('?') {
            let kind = path.rsplit('/').next().unwrap_or(path);
            return Resolved::Conditional {
                kind,
                identifier: identifier_parameter(query),
            };
        }
        type_and_id(reference).map_or(Resolved::Unreadable, Resolved::Local)
    }
}

/// `Type/id` from a relative or absolute literal reference, ignoring a
/// `/_history/<version>` suffix.
pub(crate) fn type_and_id(reference: &str) -> Option<Target> {
    let path = match reference.find("/_history/") {
        Some(at) => &reference[..at],
        None => reference,
    };
    let mut segments = path.rsplit('/');
    let id = segments.next()?;
    let kind = segments.next()?;
    let kind_ok = kind.starts_with(|c: char| c.is_ascii_uppercase())
        && kind.bytes().all(|b| b.is_ascii_alphanumeric());
    let id_ok = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    (kind_ok && id_ok).then(|| Target {
        kind: kind.to_owned(),
        id: id.to_owned(),
    })
}

/// The id a fullUrl gives a resource that has none: the uuid or oid of a
/// `urn:`, or the last segment of a RESTful URL.
pub(crate) fn id_from_full_url(full_url: &str) -> Option<String> {
    if let Some(uuid) = full_url
        .strip_prefix("urn:uuid:")
        .or_else(|| full_url.strip_prefix("urn:oid:"))
    {
        return (!uuid.is_empty()).then(|| uuid.to_owned());
    }
    type_and_id(full_url).map(|target| target.id)
}

/// The `identifier=system|value` parameter of a conditional reference.
fn identifier_parameter(query: &str) -> Option<Identifier> {
    let value = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("identifier="))?;
    let value = percent_decode(value);
    let (system, value) = match value.split_once('|') {
        Some((system, value)) => ((!system.is_empty()).then(|| system.to_owned()), value),
        None => (None, value.as_str()),
    };
    (!value.is_empty()).then(|| Identifier {
        value: value.to_owned(),
        system,
        kind: None,
    })
}

/// Decodes `%XX` escapes (a `|` is often sent as `%7C`); bad escapes stay.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%')
            .then(|| bytes.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                at += 3;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kind: &str, id: &str) -> Target {
        Target {
            kind: kind.into(),
            id: id.into(),
        }
    }

    #[test]
    fn literal_references_resolve_to_type_and_id() {
        let index = Index::default();
        assert_eq!(
            index.resolve("Patient/123"),
            Resolved::Local(target("Patient", "123"))
        );
        assert_eq!(
            index.resolve("http://x/fhir/Patient/123/_history/2"),
            Resolved::Local(target("Patient", "123"))
        );
        assert_eq!(index.resolve("#med1"), Resolved::Contained("med1"));
        assert_eq!(index.resolve("urn:uuid:abc"), Resolved::Dangling);
        assert_eq!(index.resolve("nonsense"), Resolved::Unreadable);
    }

    #[test]
    fn full_urls_win_over_the_text() {
        let mut index = Index::default();
        index.add_url("urn:uuid:abc", target("Patient", "p1"));
        assert_eq!(
            index.resolve("urn:uuid:abc"),
            Resolved::Local(target("Patient", "p1"))
        );
    }

    #[test]
    fn conditional_references_keep_the_identifier() {
        let index = Index::default();
        let Resolved::Conditional { kind, identifier } =
            index.resolve("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi%7C9999990001")
        else {
            panic!("a conditional reference")
        };
        assert_eq!(kind, "Practitioner");
        let identifier = identifier.unwrap();
        assert_eq!(
            identifier.system.as_deref(),
            Some("http://hl7.org/fhir/sid/us-npi")
        );
        assert_eq!(identifier.value, "9999990001");
    }

    #[test]
    fn ids_come_from_full_urls() {
        assert_eq!(id_from_full_url("urn:uuid:1-2").as_deref(), Some("1-2"));
        assert_eq!(id_from_full_url("http://x/Patient/9").as_deref(), Some("9"));
        assert_eq!(id_from_full_url("urn:uuid:"), None);
    }

    #[test]
    fn percent_decoding_survives_bad_escapes() {
        assert_eq!(percent_decode("a%7Cb%zz%"), "a|b%zz%");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }
}
