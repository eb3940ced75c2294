//! Practitioner, Organization and Location to `DirectoryEntry`, so that
//! conditional references (`Practitioner?identifier=sys|val`) arriving
//! before or after them can be resolved by the store (edge case B16).

use ckisa_domain::{Directory, Fact};

use super::identifier;
use crate::model;

/// Maps a Practitioner; its name reads `Dr. Given Family`.
pub(super) fn practitioner(practitioner: model::Practitioner, id: &str) -> Fact {
    let name = practitioner
        .name
        .iter()
        .find(|n| n.usage.as_deref() != Some("old"))
        .and_then(name_text);
    entry("Practitioner", id, &practitioner.identifier, name)
}

/// Maps an Organization.
pub(super) fn organization(organization: model::Organization, id: &str) -> Fact {
    entry(
        "Organization",
        id,
        &organization.identifier,
        organization.name,
    )
}

/// Maps a Location.
pub(super) fn location(location: model::Location, id: &str) -> Fact {
    entry("Location", id, &location.identifier, location.name)
}

/// `text`, else prefixes, given names and family joined by spaces.
pub(crate) fn name_text(name: &model::HumanName) -> Option<String> {
    if let Some(text) = name.text.as_deref().filter(|t| !t.trim().is_empty()) {
        return Some(text.to_owned());
    }
    let words: Vec<&str> = name
        .prefix
        .iter()
        .chain(&name.given)
        .chain(&name.family)
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// A directory entry; a resource without a name is listed under its reference.
fn entry(kind: &str, id: &str, identifiers: &[model::Identifier], name: Option<String>) -> Fact {
    let reference = format!("{kind}/{id}");
    let name = name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| reference.clone());
    Fact::DirectoryEntry(Directory {
        reference,
        identifiers: identifiers.iter().filter_map(identifier).collect(),
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory(fact: Fact) -> Directory {
        match fact {
            Fact::DirectoryEntry(d) => d,
            other => panic!("not a directory entry: {other:?}"),
        }
    }

    #[test]
    fn practitioner_is_listed_with_its_npi() {
        let json = r#"{"identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"9999984591"}],
            "name":[{"family":"Reilly981","given":["Gabriel934"],"prefix":["Dr."]}]}"#;
        let d = directory(practitioner(serde_json::from_str(json).unwrap(), "d3"));
        assert_eq!(d.reference, "Practitioner/d3");
        assert_eq!(d.name, "Dr. Gabriel934 Reilly981");
        assert_eq!(d.identifiers[0].value, "9999984591");
        assert_eq!(
            d.identifiers[0].system.as_deref(),
            Some("http://hl7.org/fhir/sid/us-npi")
        );
    }

    #[test]
    fn unnamed_location_falls_back_to_its_reference() {
        let d = directory(location(serde_json::from_str("{}").unwrap(), "1"));
        assert_eq!(
            (d.reference.as_str(), d.name.as_str()),
            ("Location/1", "Location/1")
        );
        let d = directory(organization(
            serde_json::from_str(r#"{"name":"CHU"}"#).unwrap(),
            "o",
        ));
        assert_eq!(d.name, "CHU");
    }
}
