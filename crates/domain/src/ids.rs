//! Identifiers of patients, stays and referenced resources.
//!
//! A patient's key is derived from the identifier the source system is
//! authoritative for (the IPP of the sending facility, or the FHIR logical id),
//! never from a name or a birth date: two patients must never share a key.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The node-wide key of a patient: `ipp:<authority>|<value>` for an HL7 v2
/// patient identifier, `fhir:Patient/<id>` for a FHIR patient.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PatientKey(pub String);

impl PatientKey {
    /// Key for an IPP (HL7 v2 PID-3 identifier) issued by `authority`.
    pub fn ipp(authority: &str, value: &str) -> Self {
        PatientKey(format!("ipp:{authority}|{value}"))
    }

    /// Key for a FHIR Patient resource id.
    pub fn fhir(id: &str) -> Self {
        PatientKey(format!("fhir:Patient/{id}"))
    }

    /// The key as text, as it appears in URLs and the store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PatientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The node-wide key of a stay (HL7 visit number PV1-19, or FHIR Encounter id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EncounterKey(pub String);

impl EncounterKey {
    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EncounterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One identifier of a person or a resource, as the source gave it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identifier {
    /// The identifier itself.
    pub value: String,
    /// Assigning authority (HL7 CX-4, name or OID) or FHIR `system` URI.
    pub system: Option<String>,
    /// Identifier type code: `PI` (IPP), `INS` (national health identity,
    /// INS-NIR / INS-NIA), `NH`, `MR`, `VN`...
    pub kind: Option<String>,
}

/// A reference to another resource (a practitioner, a location, an
/// organisation) that may not be resolvable yet.
///
/// FHIR conditional references (`Practitioner?identifier=sys|val`) are kept as
/// an identifier and resolved at read time once the target has arrived.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResourceRef {
    /// Resolved logical reference, e.g. `Practitioner/123`.
    pub reference: Option<String>,
    /// Identifier to resolve later, from a conditional reference or an HL7
    /// XCN/XON id.
    pub identifier: Option<Identifier>,
    /// Human-readable text the source gave with the reference.
    pub display: Option<String>,
}
