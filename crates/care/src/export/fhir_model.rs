//! Serde shapes of the FHIR R4 elements the export writes, and nothing
//! more (<https://hl7.org/fhir/R4/>). Empty members are left out; decimals
//! are written as the digits typed (`7.20` stays `7.20`).

use serde::Serialize;
use serde_json::value::RawValue;

/// `Bundle` of type transaction.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Bundle {
    pub(super) resource_type: &'static str,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) timestamp: String,
    pub(super) identifier: Identifier,
    pub(super) entry: Vec<Entry>,
}

/// `Bundle.entry`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Entry {
    pub(super) full_url: String,
    pub(super) resource: Resource,
    pub(super) request: Request,
}

/// `Bundle.entry.request`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Request {
    pub(super) method: &'static str,
    pub(super) url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) if_none_exist: Option<String>,
}

/// The resources the export writes.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(super) enum Resource {
    Patient(Box<Patient>),
    Encounter(Box<Encounter>),
    Location(Box<Location>),
    Observation(Box<Observation>),
    MedicationRequest(Box<MedicationRequest>),
    MedicationAdministration(Box<MedicationAdministration>),
    ServiceRequest(Box<ServiceRequest>),
    DocumentReference(Box<DocumentReference>),
}

/// A FHIR decimal written as typed.
#[derive(Debug)]
pub(super) struct Decimal(pub(super) Box<RawValue>);

impl Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl Decimal {
    /// `text` must already be a JSON number ([`super::decimal`] checks).
    pub(super) fn new(text: String) -> Option<Decimal> {
        RawValue::from_string(text).ok().map(Decimal)
    }
}

#[derive(Debug, Default, Serialize)]
pub(super) struct Coding {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) display: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub(super) struct CodeableConcept {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) text: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub(super) struct Identifier {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(super) kind: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) system: Option<String>,
    pub(super) value: String,
}

#[derive(Debug, Default, Serialize)]
pub(super) struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) identifier: Option<Identifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) display: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub(super) struct Period {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) end: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub(super) struct Quantity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) value: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) comparator: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) unit: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct Annotation {
    pub(super) text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Narrative {
    pub(super) status: &'static str,
    pub(super) div: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Extension {
    pub(super) url: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) value_date_time: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub(super) struct HumanName {
    #[serde(rename = "use")]
    pub(super) usage: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) family: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) given: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct ContactPoint {
    pub(super) system: &'static str,
    pub(super) value: String,
}

#[derive(Debug, Serialize)]
pub(super) struct PatientLink {
    pub(super) other: Reference,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Patient {
    pub(super) resource_type: &'static str,
    pub(super) identifier: Vec<Identifier>,
    pub(super) active: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) name: Vec<HumanName>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) telecom: Vec<ContactPoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) gender: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) birth_date: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) link: Vec<PatientLink>,
}

#[derive(Debug, Serialize)]
pub(super) struct EncounterLocation {
    pub(super) location: Reference,
    pub(super) status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) period: Option<Period>,
}

#[derive(Debug, Serialize)]
pub(super) struct EncounterParticipant {
    #[serde(rename = "type")]
    pub(super) kind: Vec<CodeableConcept>,
    pub(super) individual: Reference,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Encounter {
    pub(super) resource_type: &'static str,
    pub(super) identifier: Vec<Identifier>,
    pub(super) status: &'static str,
    pub(super) class: Coding,
    pub(super) subject: Reference,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) participant: Vec<EncounterParticipant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) period: Option<Period>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) location: Vec<EncounterLocation>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Location {
    pub(super) resource_type: &'static str,
    pub(super) identifier: Vec<Identifier>,
    pub(super) name: String,
    pub(super) physical_type: CodeableConcept,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) part_of: Option<Reference>,
}

#[derive(Debug, Default, Serialize)]
pub(super) struct ReferenceRange {
    pub(super) text: String,
}

/// `value[x]` as the export writes it: one of the three members.
#[derive(Debug, Default)]
pub(super) struct Value {
    pub(super) quantity: Option<Quantity>,
    pub(super) codeable_concept: Option<CodeableConcept>,
    pub(super) string: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ObservationComponent {
    pub(super) code: CodeableConcept,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) value_quantity: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) value_codeable_concept: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) value_string: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Observation {
    pub(super) resource_type: &'static str,
    pub(super) identifier: Vec<Identifier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) based_on: Vec<Reference>,
    pub(super) status: &'static str,
    pub(super) category: Vec<CodeableConcept>,
    pub(super) code: CodeableConcept,
    pub(super) subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) encounter: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) effective_date_time: Option<String>,
    pub(super) issued: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) value_quantity: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) value_codeable_concept: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) value_string: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) interpretation: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) note: Vec<Annotation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) reference_range: Vec<ReferenceRange>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) component: Vec<ObservationComponent>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DoseAndRate {
    pub(super) dose_quantity: Quantity,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RepeatBounds {
    pub(super) bounds_period: Period,
}

#[derive(Debug, Default, Serialize)]
pub(super) struct Timing {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) code: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) repeat: Option<RepeatBounds>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Dosage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) timing: Option<Timing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) route: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) dose_and_rate: Vec<DoseAndRate>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MedicationRequest {
    pub(super) resource_type: &'static str,
    pub(super) identifier: Vec<Identifier>,
    pub(super) status: &'static str,
    pub(super) intent: &'static str,
    pub(super) medication_codeable_concept: CodeableConcept,
    pub(super) subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) encounter: Option<Reference>,
    pub(super) authored_on: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) requester: Option<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) note: Vec<Annotation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) dosage_instruction: Vec<Dosage>,
}

#[derive(Debug, Default, Serialize)]
pub(super) struct AdministrationDosage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) route: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) dose: Option<Quantity>,
}

#[derive(Debug, Serialize)]
pub(super) struct Performer {
    pub(super) actor: Reference,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MedicationAdministration {
    pub(super) resource_type: &'static str,
    pub(super) identifier: Vec<Identifier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) extension: Vec<Extension>,
    pub(super) status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) status_reason: Vec<CodeableConcept>,
    pub(super) medication_codeable_concept: CodeableConcept,
    pub(super) subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) context: Option<Reference>,
    pub(super) effective_date_time: String,
    pub(super) performer: Vec<Performer>,
    pub(super) request: Reference,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) note: Vec<Annotation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) dosage: Option<AdministrationDosage>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ServiceRequest {
    pub(super) resource_type: &'static str,
    pub(super) identifier: Vec<Identifier>,
    pub(super) requisition: Identifier,
    pub(super) status: &'static str,
    pub(super) intent: &'static str,
    pub(super) category: Vec<CodeableConcept>,
    pub(super) priority: &'static str,
    pub(super) code: CodeableConcept,
    pub(super) subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) encounter: Option<Reference>,
    pub(super) occurrence_date_time: String,
    pub(super) authored_on: String,
    pub(super) requester: Reference,
    pub(super) location_code: Vec<CodeableConcept>,
    pub(super) specimen: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) note: Vec<Annotation>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Attachment {
    pub(super) content_type: &'static str,
    pub(super) language: &'static str,
    pub(super) data: String,
    pub(super) title: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct DocumentContent {
    pub(super) attachment: Attachment,
}

#[derive(Debug, Serialize)]
pub(super) struct DocumentContext {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) encounter: Vec<Reference>,
    pub(super) period: Period,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DocumentReference {
    pub(super) resource_type: &'static str,
    pub(super) text: Narrative,
    pub(super) identifier: Vec<Identifier>,
    pub(super) status: &'static str,
    pub(super) doc_status: &'static str,
    #[serde(rename = "type")]
    pub(super) kind: CodeableConcept,
    pub(super) category: Vec<CodeableConcept>,
    pub(super) subject: Reference,
    pub(super) date: String,
    pub(super) author: Vec<Reference>,
    pub(super) description: String,
    pub(super) content: Vec<DocumentContent>,
    pub(super) context: DocumentContext,
}
