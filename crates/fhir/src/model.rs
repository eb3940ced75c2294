//! Serde shapes of the FHIR R4 elements ckisa reads, and nothing more.
//!
//! Only the elements the mappers use are declared; serde skips every other
//! member without building a value tree, which keeps reading fast. All
//! members are optional (`#[serde(default)]`) so that a sparse but valid
//! resource never fails to deserialize. Numbers that are shown to caregivers
//! are kept as raw JSON text ([`RawValue`]) so `7.20` stays `7.20`.
//! Element names follow FHIR R4 (<https://hl7.org/fhir/R4/>).

use serde::Deserialize;
use serde_json::value::RawValue;

/// `Coding`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Coding {
    pub(crate) system: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) display: Option<String>,
}

/// `CodeableConcept`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CodeableConcept {
    pub(crate) coding: Vec<Coding>,
    pub(crate) text: Option<String>,
}

/// `Identifier`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Identifier {
    pub(crate) system: Option<String>,
    pub(crate) value: Option<String>,
    #[serde(rename = "type")]
    pub(crate) kind: Option<CodeableConcept>,
}

/// `Reference`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Reference {
    pub(crate) reference: Option<String>,
    pub(crate) display: Option<String>,
    pub(crate) identifier: Option<Identifier>,
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
}

/// `Period`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Period {
    pub(crate) start: Option<String>,
    pub(crate) end: Option<String>,
}

/// `Quantity` (also `SimpleQuantity`, `Age`, `Duration`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Quantity {
    /// The decimal as written in the JSON text.
    pub(crate) value: Option<Box<RawValue>>,
    pub(crate) comparator: Option<String>,
    pub(crate) unit: Option<String>,
    pub(crate) code: Option<String>,
}

/// `Range`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Range {
    pub(crate) low: Option<Quantity>,
    pub(crate) high: Option<Quantity>,
}

/// `Ratio`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Ratio {
    pub(crate) numerator: Option<Quantity>,
    pub(crate) denominator: Option<Quantity>,
}

/// `HumanName`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct HumanName {
    #[serde(rename = "use")]
    pub(crate) usage: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) family: Option<String>,
    pub(crate) given: Vec<String>,
    pub(crate) prefix: Vec<String>,
}

/// `ContactPoint`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ContactPoint {
    pub(crate) system: Option<String>,
    pub(crate) value: Option<String>,
}

/// `Address`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Address {
    #[serde(rename = "use")]
    pub(crate) usage: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) line: Vec<String>,
    pub(crate) city: Option<String>,
    pub(crate) postal_code: Option<String>,
    pub(crate) country: Option<String>,
}

/// `Annotation`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Annotation {
    pub(crate) text: Option<String>,
}

/// `Attachment`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Attachment {
    pub(crate) content_type: Option<String>,
    /// Base64 content.
    pub(crate) data: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) size: Option<u64>,
}

/// `Patient`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Patient {
    pub(crate) id: Option<String>,
    pub(crate) identifier: Vec<Identifier>,
    pub(crate) name: Vec<HumanName>,
    pub(crate) telecom: Vec<ContactPoint>,
    pub(crate) gender: Option<String>,
    pub(crate) birth_date: Option<String>,
    pub(crate) deceased_boolean: Option<bool>,
    pub(crate) deceased_date_time: Option<String>,
    pub(crate) address: Vec<Address>,
    pub(crate) link: Vec<PatientLink>,
}

/// `Patient.link`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PatientLink {
    pub(crate) other: Option<Reference>,
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
}

/// `Encounter.participant`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EncounterParticipant {
    #[serde(rename = "type")]
    pub(crate) kind: Vec<CodeableConcept>,
    pub(crate) individual: Option<Reference>,
}

/// `Encounter.location`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EncounterLocation {
    pub(crate) location: Option<Reference>,
    pub(crate) status: Option<String>,
    /// When the patient was at that place.
    pub(crate) period: Option<Period>,
}

/// `Encounter`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Encounter {
    pub(crate) id: Option<String>,
    pub(crate) identifier: Vec<Identifier>,
    pub(crate) status: Option<String>,
    pub(crate) class: Option<Coding>,
    pub(crate) subject: Option<Reference>,
    pub(crate) participant: Vec<EncounterParticipant>,
    pub(crate) period: Option<Period>,
    pub(crate) location: Vec<EncounterLocation>,
    pub(crate) service_provider: Option<Reference>,
}

/// `AllergyIntolerance.reaction`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AllergyReaction {
    pub(crate) manifestation: Vec<CodeableConcept>,
    pub(crate) description: Option<String>,
    pub(crate) severity: Option<String>,
}

/// `AllergyIntolerance`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct AllergyIntolerance {
    pub(crate) id: Option<String>,
    pub(crate) clinical_status: Option<CodeableConcept>,
    pub(crate) verification_status: Option<CodeableConcept>,
    pub(crate) category: Vec<String>,
    pub(crate) criticality: Option<String>,
    pub(crate) code: Option<CodeableConcept>,
    pub(crate) patient: Option<Reference>,
    pub(crate) onset_date_time: Option<String>,
    pub(crate) onset_period: Option<Period>,
    pub(crate) reaction: Vec<AllergyReaction>,
}

/// `Condition`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Condition {
    pub(crate) id: Option<String>,
    pub(crate) clinical_status: Option<CodeableConcept>,
    pub(crate) verification_status: Option<CodeableConcept>,
    pub(crate) code: Option<CodeableConcept>,
    pub(crate) subject: Option<Reference>,
    pub(crate) encounter: Option<Reference>,
    pub(crate) onset_date_time: Option<String>,
    pub(crate) onset_period: Option<Period>,
    pub(crate) abatement_date_time: Option<String>,
    pub(crate) abatement_period: Option<Period>,
}

/// `Timing.repeat`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct TimingRepeat {
    pub(crate) frequency: Option<u32>,
    pub(crate) period: Option<Box<RawValue>>,
    pub(crate) period_max: Option<Box<RawValue>>,
    pub(crate) period_unit: Option<String>,
    pub(crate) bounds_period: Option<Period>,
}

/// `Timing`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Timing {
    pub(crate) code: Option<CodeableConcept>,
    pub(crate) repeat: Option<TimingRepeat>,
}

/// `Dosage.doseAndRate`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct DoseAndRate {
    pub(crate) dose_quantity: Option<Quantity>,
    pub(crate) dose_range: Option<Range>,
}

/// `Dosage`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Dosage {
    pub(crate) text: Option<String>,
    pub(crate) patient_instruction: Option<String>,
    pub(crate) timing: Option<Timing>,
    pub(crate) as_needed_boolean: Option<bool>,
    pub(crate) as_needed_codeable_concept: Option<CodeableConcept>,
    pub(crate) route: Option<CodeableConcept>,
    pub(crate) dose_and_rate: Vec<DoseAndRate>,
}

/// `MedicationRequest.dispenseRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct DispenseRequest {
    pub(crate) validity_period: Option<Period>,
}

/// `MedicationRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct MedicationRequest {
    pub(crate) id: Option<String>,
    pub(crate) identifier: Vec<Identifier>,
    pub(crate) status: Option<String>,
    /// Contained resources, parsed only when a `#id` reference needs one.
    pub(crate) contained: Vec<Box<RawValue>>,
    pub(crate) medication_codeable_concept: Option<CodeableConcept>,
    pub(crate) medication_reference: Option<Reference>,
    pub(crate) subject: Option<Reference>,
    pub(crate) encounter: Option<Reference>,
    pub(crate) authored_on: Option<String>,
    pub(crate) requester: Option<Reference>,
    pub(crate) dosage_instruction: Vec<Dosage>,
    pub(crate) dispense_request: Option<DispenseRequest>,
    pub(crate) note: Vec<Annotation>,
}

/// `MedicationStatement`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct MedicationStatement {
    pub(crate) id: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) contained: Vec<Box<RawValue>>,
    pub(crate) medication_codeable_concept: Option<CodeableConcept>,
    pub(crate) medication_reference: Option<Reference>,
    pub(crate) subject: Option<Reference>,
    pub(crate) context: Option<Reference>,
    pub(crate) effective_date_time: Option<String>,
    pub(crate) effective_period: Option<Period>,
    pub(crate) dosage: Vec<Dosage>,
    pub(crate) note: Vec<Annotation>,
}

/// `Medication` (in a bundle or contained).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Medication {
    pub(crate) id: Option<String>,
    pub(crate) code: Option<CodeableConcept>,
}

/// `CarePlan.activity.detail`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CarePlanDetail {
    pub(crate) code: Option<CodeableConcept>,
    pub(crate) description: Option<String>,
}

/// `CarePlan.activity`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CarePlanActivity {
    pub(crate) detail: Option<CarePlanDetail>,
    pub(crate) reference: Option<Reference>,
}

/// `CarePlan`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CarePlan {
    pub(crate) id: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) category: Vec<CodeableConcept>,
    pub(crate) subject: Option<Reference>,
    pub(crate) period: Option<Period>,
    pub(crate) activity: Vec<CarePlanActivity>,
}

/// `Observation.referenceRange`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ReferenceRange {
    pub(crate) low: Option<Quantity>,
    pub(crate) high: Option<Quantity>,
    pub(crate) text: Option<String>,
}

/// Declares a struct holding the `value[x]` choice of an observation (shared
/// by `Observation` and `Observation.component`) after its own members;
/// `#[serde(flatten)]` would buffer every member and is avoided on purpose.
macro_rules! with_value_choice {
    ($(#[$meta:meta])* struct $name:ident { $($field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(default, rename_all = "camelCase")]
        pub(crate) struct $name {
            $(pub(crate) $field: $ty,)*
            pub(crate) value_quantity: Option<Quantity>,
            pub(crate) value_codeable_concept: Option<CodeableConcept>,
            pub(crate) value_string: Option<String>,
            pub(crate) value_boolean: Option<bool>,
            pub(crate) value_integer: Option<Box<RawValue>>,
            pub(crate) value_range: Option<Range>,
            pub(crate) value_ratio: Option<Ratio>,
            pub(crate) value_time: Option<String>,
            pub(crate) value_date_time: Option<String>,
            pub(crate) value_period: Option<Period>,
            pub(crate) value_attachment: Option<Attachment>,
            pub(crate) value_sampled_data: Option<serde::de::IgnoredAny>,
        }

        impl $name {
            /// The `value[x]` members, by reference.
            pub(crate) fn value_choice(&self) -> ValueChoice<'_> {
                ValueChoice {
                    quantity: self.value_quantity.as_ref(),
                    codeable_concept: self.value_codeable_concept.as_ref(),
                    string: self.value_string.as_deref(),
                    boolean: self.value_boolean,
                    integer: self.value_integer.as_deref(),
                    range: self.value_range.as_ref(),
                    ratio: self.value_ratio.as_ref(),
                    time: self.value_time.as_deref(),
                    date_time: self.value_date_time.as_deref(),
                    period: self.value_period.as_ref(),
                    attachment: self.value_attachment.as_ref(),
                    sampled_data: self.value_sampled_data.is_some(),
                }
            }
        }
    };
}

/// The `value[x]` choice of an observation or component, by reference.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ValueChoice<'r> {
    pub(crate) quantity: Option<&'r Quantity>,
    pub(crate) codeable_concept: Option<&'r CodeableConcept>,
    pub(crate) string: Option<&'r str>,
    pub(crate) boolean: Option<bool>,
    pub(crate) integer: Option<&'r RawValue>,
    pub(crate) range: Option<&'r Range>,
    pub(crate) ratio: Option<&'r Ratio>,
    pub(crate) time: Option<&'r str>,
    pub(crate) date_time: Option<&'r str>,
    pub(crate) period: Option<&'r Period>,
    pub(crate) attachment: Option<&'r Attachment>,
    pub(crate) sampled_data: bool,
}

with_value_choice! {
    /// `Observation.component`.
    struct ObservationComponent {
        code: Option<CodeableConcept>,
    }
}

with_value_choice! {
    /// `Observation`.
    struct Observation {
        id: Option<String>,
        identifier: Vec<Identifier>,
        based_on: Vec<Reference>,
        status: Option<String>,
        category: Vec<CodeableConcept>,
        code: Option<CodeableConcept>,
        subject: Option<Reference>,
        encounter: Option<Reference>,
        effective_date_time: Option<String>,
        effective_period: Option<Period>,
        effective_instant: Option<String>,
        issued: Option<String>,
        interpretation: Vec<CodeableConcept>,
        reference_range: Vec<ReferenceRange>,
        note: Vec<Annotation>,
        component: Vec<ObservationComponent>,
    }
}

/// `DiagnosticReport`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct DiagnosticReport {
    pub(crate) id: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) code: Option<CodeableConcept>,
    pub(crate) subject: Option<Reference>,
    pub(crate) encounter: Option<Reference>,
    pub(crate) effective_date_time: Option<String>,
    pub(crate) effective_period: Option<Period>,
    pub(crate) issued: Option<String>,
    pub(crate) result: Vec<Reference>,
    pub(crate) conclusion: Option<String>,
    pub(crate) conclusion_code: Vec<CodeableConcept>,
    pub(crate) presented_form: Vec<Attachment>,
}

/// `Procedure`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Procedure {
    pub(crate) id: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) code: Option<CodeableConcept>,
    pub(crate) subject: Option<Reference>,
    pub(crate) encounter: Option<Reference>,
    pub(crate) performed_date_time: Option<String>,
    pub(crate) performed_period: Option<Period>,
}

/// `Practitioner`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Practitioner {
    pub(crate) id: Option<String>,
    pub(crate) identifier: Vec<Identifier>,
    pub(crate) name: Vec<HumanName>,
}

/// `Organization`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Organization {
    pub(crate) id: Option<String>,
    pub(crate) identifier: Vec<Identifier>,
    pub(crate) name: Option<String>,
}

/// `Location`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Location {
    pub(crate) id: Option<String>,
    pub(crate) identifier: Vec<Identifier>,
    pub(crate) name: Option<String>,
    pub(crate) physical_type: Option<CodeableConcept>,
    pub(crate) part_of: Option<Reference>,
}

/// `Appointment.participant`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AppointmentParticipant {
    pub(crate) actor: Option<Reference>,
    pub(crate) status: Option<String>,
}

/// `Appointment`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Appointment {
    pub(crate) id: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) service_type: Vec<CodeableConcept>,
    pub(crate) appointment_type: Option<CodeableConcept>,
    pub(crate) reason_code: Vec<CodeableConcept>,
    pub(crate) description: Option<String>,
    pub(crate) start: Option<String>,
    pub(crate) end: Option<String>,
    pub(crate) minutes_duration: Option<u32>,
    pub(crate) participant: Vec<AppointmentParticipant>,
}

/// `NutritionOrder.oralDiet.texture`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct OralDietTexture {
    pub(crate) modifier: Option<CodeableConcept>,
    pub(crate) food_type: Option<CodeableConcept>,
}

/// `NutritionOrder.oralDiet`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct OralDiet {
    #[serde(rename = "type")]
    pub(crate) kind: Vec<CodeableConcept>,
    pub(crate) texture: Vec<OralDietTexture>,
    pub(crate) fluid_consistency_type: Vec<CodeableConcept>,
    pub(crate) instruction: Option<String>,
}

/// `NutritionOrder.supplement`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct NutritionSupplement {
    #[serde(rename = "type")]
    pub(crate) kind: Option<CodeableConcept>,
    pub(crate) product_name: Option<String>,
    pub(crate) instruction: Option<String>,
}

/// `NutritionOrder.enteralFormula`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct EnteralFormula {
    pub(crate) base_formula_type: Option<CodeableConcept>,
    pub(crate) base_formula_product_name: Option<String>,
    pub(crate) administration_instruction: Option<String>,
}

/// `NutritionOrder`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct NutritionOrder {
    pub(crate) id: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) patient: Option<Reference>,
    pub(crate) encounter: Option<Reference>,
    pub(crate) date_time: Option<String>,
    pub(crate) food_preference_modifier: Vec<CodeableConcept>,
    pub(crate) exclude_food_modifier: Vec<CodeableConcept>,
    pub(crate) oral_diet: Option<OralDiet>,
    pub(crate) supplement: Vec<NutritionSupplement>,
    pub(crate) enteral_formula: Option<EnteralFormula>,
    pub(crate) note: Vec<Annotation>,
}

/// `Bundle.entry.request`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EntryRequest {
    pub(crate) method: Option<String>,
    pub(crate) url: Option<String>,
}

/// The first members every resource has, read when the fast path of
/// [`crate::input::sniff_resource_type`] cannot find them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Head {
    pub(crate) resource_type: Option<String>,
}
