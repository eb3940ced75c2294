//! From typed FHIR resources to domain facts: the dispatch by resource type
//! and the helpers every mapper shares (codes, statuses, dates, references).
//!
//! Each mapper takes its resource by value (strings move into the facts),
//! the resource's logical id, and a [`Ctx`] that resolves references and
//! collects warnings. A mapper returns an [`EntryError`] only when the fact
//! would be meaningless, typically a subject that names no patient.

mod care;
mod clinical;
mod directory;
mod encounter;
mod medication;
mod observation;
mod patient;
mod schedule;

use ckisa_domain::{
    Coded, EncounterKey, Fact, Identifier, Moment, PatientKey, RecordStatus, ResourceRef,
};
use serde_json::value::RawValue;

use crate::error::EntryError;
use crate::model;
use crate::resolve::{Index, Resolved};

/// A resource of a type ckisa maps.
#[derive(Debug)]
pub(crate) enum Resource {
    Patient(model::Patient),
    Encounter(model::Encounter),
    AllergyIntolerance(model::AllergyIntolerance),
    Condition(model::Condition),
    MedicationRequest(model::MedicationRequest),
    MedicationStatement(model::MedicationStatement),
    Medication(model::Medication),
    CarePlan(model::CarePlan),
    Observation(Box<model::Observation>),
    DiagnosticReport(model::DiagnosticReport),
    Procedure(model::Procedure),
    Practitioner(model::Practitioner),
    Organization(model::Organization),
    Location(model::Location),
    Appointment(model::Appointment),
    NutritionOrder(model::NutritionOrder),
    MedicationAdministration(Box<care::MedicationAdministration>),
    ServiceRequest(Box<care::ServiceRequest>),
    DocumentReference(Box<care::DocumentReference>),
}

impl Resource {
    /// Reads a resource of type `kind`; `None` when ckisa does not map that
    /// type (it is then counted as skipped).
    pub(crate) fn parse(kind: &str, raw: &str) -> Option<Result<Resource, serde_json::Error>> {
        use serde_json::from_str;
        let parsed = match kind {
            "Patient" => from_str(raw).map(Resource::Patient),
            "Encounter" => from_str(raw).map(Resource::Encounter),
            "AllergyIntolerance" => from_str(raw).map(Resource::AllergyIntolerance),
            "Condition" => from_str(raw).map(Resource::Condition),
            "MedicationRequest" => from_str(raw).map(Resource::MedicationRequest),
            "MedicationStatement" => from_str(raw).map(Resource::MedicationStatement),
            "Medication" => from_str(raw).map(Resource::Medication),
            "CarePlan" => from_str(raw).map(Resource::CarePlan),
            "Observation" => from_str(raw).map(|o| Resource::Observation(Box::new(o))),
            "DiagnosticReport" => from_str(raw).map(Resource::DiagnosticReport),
            "Procedure" => from_str(raw).map(Resource::Procedure),
            "Practitioner" => from_str(raw).map(Resource::Practitioner),
            "Organization" => from_str(raw).map(Resource::Organization),
            "Location" => from_str(raw).map(Resource::Location),
            "Appointment" => from_str(raw).map(Resource::Appointment),
            "NutritionOrder" => from_str(raw).map(Resource::NutritionOrder),
            "MedicationAdministration" => {
                from_str(raw).map(|r| Resource::MedicationAdministration(Box::new(r)))
            }
            "ServiceRequest" => from_str(raw).map(|r| Resource::ServiceRequest(Box::new(r))),
            "DocumentReference" => from_str(raw).map(|r| Resource::DocumentReference(Box::new(r))),
            _ => return None,
        };
        Some(parsed)
    }

    /// `Resource.id`, when present and not blank.
    pub(crate) fn id(&self) -> Option<&str> {
        let id = match self {
            Resource::Patient(r) => &r.id,
            Resource::Encounter(r) => &r.id,
            Resource::AllergyIntolerance(r) => &r.id,
            Resource::Condition(r) => &r.id,
            Resource::MedicationRequest(r) => &r.id,
            Resource::MedicationStatement(r) => &r.id,
            Resource::Medication(r) => &r.id,
            Resource::CarePlan(r) => &r.id,
            Resource::Observation(r) => &r.id,
            Resource::DiagnosticReport(r) => &r.id,
            Resource::Procedure(r) => &r.id,
            Resource::Practitioner(r) => &r.id,
            Resource::Organization(r) => &r.id,
            Resource::Location(r) => &r.id,
            Resource::Appointment(r) => &r.id,
            Resource::NutritionOrder(r) => &r.id,
            Resource::MedicationAdministration(r) => &r.id,
            Resource::ServiceRequest(r) => &r.id,
            Resource::DocumentReference(r) => &r.id,
        };
        id.as_deref().map(str::trim).filter(|id| !id.is_empty())
    }
}

/// The facts a resource asserts; empty for a Medication, which only serves
/// references from medication orders.
pub(crate) fn facts(
    resource: Resource,
    id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Vec<Fact>, EntryError> {
    Ok(match resource {
        Resource::Patient(r) => care::patient(r, id, ctx),
        Resource::Encounter(r) => encounter::map(r, id, ctx)?,
        Resource::AllergyIntolerance(r) => vec![clinical::allergy(r, id, ctx)?],
        Resource::Condition(r) => vec![clinical::condition(r, id, ctx)?],
        Resource::MedicationRequest(r) => {
            let ours = care::medication_item(&r);
            vec![care::adopt(medication::request(r, id, ctx)?, ours)]
        }
        Resource::MedicationStatement(r) => vec![medication::statement(r, id, ctx)?],
        Resource::Medication(_) => Vec::new(),
        Resource::CarePlan(r) => vec![clinical::care_plan(r, id, ctx)?],
        Resource::Observation(r) => {
            let ours = care::observation_item(&r, ctx.index);
            vec![care::adopt(observation::observation(*r, id, ctx)?, ours)]
        }
        Resource::DiagnosticReport(r) => vec![observation::report(r, id, ctx)?],
        Resource::Procedure(r) => vec![clinical::procedure(r, id, ctx)?],
        Resource::Practitioner(r) => vec![directory::practitioner(r, id)],
        Resource::Organization(r) => vec![directory::organization(r, id)],
        Resource::Location(r) => vec![directory::location(r, id)],
        Resource::Appointment(r) => vec![schedule::appointment(r, id, ctx)?],
        Resource::NutritionOrder(r) => vec![schedule::nutrition_order(r, id, ctx)?],
        Resource::MedicationAdministration(r) => vec![care::administration(*r, id, ctx)?],
        Resource::ServiceRequest(r) => care::service_request(*r, ctx)?.into_iter().collect(),
        Resource::DocumentReference(r) => {
            care::document_reference(*r, id, ctx)?.into_iter().collect()
        }
    })
}

pub(crate) use care::index_keys;

/// What a mapper needs around its resource.
pub(crate) struct Ctx<'i> {
    /// References of the document.
    pub(crate) index: &'i Index,
    /// Non-fatal problems of this entry.
    pub(crate) warnings: Vec<EntryError>,
}

impl Ctx<'_> {
    /// Parses a FHIR date/dateTime/instant; an invalid one is a warning and
    /// the element is left out.
    pub(crate) fn moment(&mut self, element: &'static str, text: Option<&str>) -> Option<Moment> {
        let text = text?;
        let moment = Moment::parse_iso(text);
        if moment.is_none() {
            self.warnings.push(EntryError::InvalidDate {
                element,
                value: text.to_owned(),
            });
        }
        moment
    }

    /// The first moment of a period, or of a dateTime alternative.
    pub(crate) fn start(
        &mut self,
        element: &'static str,
        date_time: Option<&str>,
        period: Option<&model::Period>,
    ) -> Option<Moment> {
        match date_time {
            Some(text) => self.moment(element, Some(text)),
            None => self.moment(element, period.and_then(|p| p.start.as_deref())),
        }
    }

    /// The patient a subject reference designates; every clinical fact needs one.
    pub(crate) fn patient(
        &mut self,
        element: &'static str,
        subject: Option<&model::Reference>,
    ) -> Result<PatientKey, EntryError> {
        let subject = subject.ok_or(EntryError::MissingSubject { element })?;
        let Some(reference) = subject.reference.as_deref() else {
            // A logical reference names the patient by identifier only. With
            // a system, it is the same key HL7 v2 ingestion gives a PID-3
            // identifier of that assigning authority (`ipp:<system>|<value>`),
            // so a care plan sent by identifier lands on the HIS patient;
            // it can never land on another patient, since the key holds both.
            // ckisa's own key system (`map::care`) names the key itself.
            let logical = subject.identifier.as_ref().and_then(identifier);
            return match logical {
                Some(id) => care::patient_of(&id).ok_or(EntryError::ConditionalSubject {
                    element,
                    reference: format!("identifier=|{}", id.value),
                }),
                None => Err(EntryError::MissingSubject { element }),
            };
        };
        let unresolved = || EntryError::UnresolvedSubject {
            element,
            reference: reference.to_owned(),
        };
        match self.index.resolve(reference) {
            Resolved::Local(target) if target.kind == "Patient" => {
                Ok(care::patient_key(self.index, &target.id))
            }
            Resolved::Local(target) => Err(EntryError::SubjectNotPatient {
                element,
                reference: reference.to_owned(),
                target: target.kind,
            }),
            // `Patient?identifier=sys|val`, as transaction bundles built
            // from HL7 v2 name a patient the HIS already knows: keyed like
            // the logical reference above.
            Resolved::Conditional {
                kind: "Patient",
                identifier: Some(id),
            } => care::patient_of(&id).ok_or_else(|| EntryError::ConditionalSubject {
                element,
                reference: reference.to_owned(),
            }),
            Resolved::Conditional { .. } => Err(EntryError::ConditionalSubject {
                element,
                reference: reference.to_owned(),
            }),
            Resolved::Contained(_) | Resolved::Dangling | Resolved::Unreadable => Err(unresolved()),
        }
    }

    /// The stay an `encounter`/`context` reference designates, when it
    /// resolves to an Encounter.
    pub(crate) fn encounter(
        &mut self,
        element: &'static str,
        reference: Option<&model::Reference>,
    ) -> Option<EncounterKey> {
        let reference = reference?;
        let Some(text) = reference.reference.as_deref() else {
            // A logical reference by visit number (or ckisa's stay key).
            return reference
                .identifier
                .as_ref()
                .and_then(identifier)
                .and_then(|id| care::stay_of(&id));
        };
        match self.index.resolve(text) {
            Resolved::Local(target) if target.kind == "Encounter" => {
                Some(care::stay_key(self.index, &target.id))
            }
            Resolved::Conditional {
                kind: "Encounter",
                identifier: Some(id),
            } => care::stay_of(&id),
            Resolved::Dangling => {
                self.dangling(element, text);
                None
            }
            _ => None,
        }
    }

    /// A reference to a practitioner, location or organisation, resolved
    /// when possible and otherwise kept as an identifier with its display.
    pub(crate) fn resource_ref(
        &mut self,
        element: &'static str,
        reference: Option<&model::Reference>,
    ) -> Option<ResourceRef> {
        let reference = reference?;
        let mut out = ResourceRef {
            reference: None,
            identifier: reference.identifier.as_ref().and_then(identifier),
            display: reference.display.clone(),
        };
        if let Some(text) = reference.reference.as_deref() {
            match self.index.resolve(text) {
                Resolved::Local(target) => out.reference = Some(target.reference()),
                Resolved::Conditional { identifier, .. } => {
                    out.identifier = out.identifier.or(identifier);
                }
                Resolved::Dangling => self.dangling(element, text),
                Resolved::Contained(_) | Resolved::Unreadable => {}
            }
        }
        let empty = out.reference.is_none() && out.identifier.is_none() && out.display.is_none();
        (!empty).then_some(out)
    }

    fn dangling(&mut self, element: &'static str, reference: &str) {
        self.warnings.push(EntryError::DanglingReference {
            element,
            reference: reference.to_owned(),
        });
    }
}

/// `fhir:<Type>/<id>`, the stable id of facts from FHIR.
pub(crate) fn stable_id(kind: &str, id: &str) -> String {
    format!("fhir:{kind}/{id}")
}

/// The key of a FHIR Encounter.
pub(crate) fn encounter_key(id: &str) -> EncounterKey {
    EncounterKey(stable_id("Encounter", id))
}

/// A CodeableConcept as a code with its text; the text falls back to the
/// first display, then to the code.
pub(crate) fn coded(concept: Option<model::CodeableConcept>) -> Coded {
    let Some(concept) = concept else {
        return Coded::default();
    };
    let text = concept.text.clone().filter(|t| !t.trim().is_empty());
    let mut codings = concept.coding.into_iter();
    let first = codings
        .find(|c| c.code.is_some() || c.display.is_some())
        .unwrap_or_default();
    let text = text
        .or(first.display)
        .or_else(|| first.code.clone())
        .unwrap_or_default();
    Coded {
        code: first.code,
        system: first.system,
        text,
    }
}

/// A short text for a CodeableConcept: its text, a display or a code.
pub(crate) fn concept_text(concept: &model::CodeableConcept) -> Option<String> {
    let text = concept.text.as_deref().filter(|t| !t.trim().is_empty());
    let coding = || {
        concept
            .coding
            .iter()
            .find_map(|c| c.display.as_deref().or(c.code.as_deref()))
    };
    text.or_else(coding).map(str::to_owned)
}

/// The first code of a CodeableConcept.
pub(crate) fn first_code(concept: Option<&model::CodeableConcept>) -> Option<&str> {
    concept?.coding.iter().find_map(|c| c.code.as_deref())
}

/// Status words to a record status: active, recurrence, relapse, on-hold
/// and in-progress are active; entered-in-error hides the record; anything
/// else (resolved, completed, stopped, unknown...) is inactive.
pub(crate) fn record_status(code: Option<&str>) -> RecordStatus {
    match code.map(str::trim) {
        Some("active" | "recurrence" | "relapse" | "on-hold" | "in-progress") => {
            RecordStatus::Active
        }
        Some("entered-in-error") => RecordStatus::EnteredInError,
        _ => RecordStatus::Inactive,
    }
}

/// Condition and AllergyIntolerance status: `verificationStatus`
/// entered-in-error or refuted wins, then `clinicalStatus`; a record with no
/// clinical status is taken as active (FHIR omits it only for errors).
pub(crate) fn clinical_status(
    clinical: Option<&model::CodeableConcept>,
    verification: Option<&model::CodeableConcept>,
) -> RecordStatus {
    match first_code(verification) {
        Some("entered-in-error") => return RecordStatus::EnteredInError,
        Some("refuted") => return RecordStatus::Inactive,
        _ => {}
    }
    match first_code(clinical) {
        None => RecordStatus::Active,
        code => record_status(code),
    }
}

/// Identifier systems of the French national health identifier (INS):
/// INS-NIR, INS-NIA and their test ranges (ANS, "Guide d'implémentation de
/// l'identité INS").
const INS_SYSTEMS: [&str; 4] = [
    "urn:oid:1.2.250.1.213.1.4.8",
    "urn:oid:1.2.250.1.213.1.4.9",
    "urn:oid:1.2.250.1.213.1.4.10",
    "urn:oid:1.2.250.1.213.1.4.11",
];

/// An Identifier with a value; the type code becomes the kind, and an INS
/// system makes it `INS`.
pub(crate) fn identifier(identifier: &model::Identifier) -> Option<Identifier> {
    let value = identifier
        .value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())?;
    let system = identifier.system.clone();
    let is_ins = system.as_deref().is_some_and(|s| INS_SYSTEMS.contains(&s));
    let kind = if is_ins {
        Some("INS".to_owned())
    } else {
        identifier.kind.as_ref().and_then(|k| {
            first_code(Some(k))
                .map(str::to_owned)
                .or_else(|| k.text.clone())
        })
    };
    Some(Identifier {
        value: value.to_owned(),
        system,
        kind,
    })
}

/// A JSON number as written (`7.20`), or the content of a string.
pub(crate) fn number_text(raw: &RawValue) -> String {
    let text = raw.get().trim();
    serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_owned())
}

/// `[comparator]value unit`, e.g. `<4.5 mmol/L`.
pub(crate) fn quantity_text(quantity: &model::Quantity) -> Option<String> {
    let value = quantity.value.as_deref().map(number_text)?;
    let comparator = quantity.comparator.as_deref().unwrap_or("");
    Some(match quantity_unit(quantity) {
        Some(unit) => format!("{comparator}{value} {unit}"),
        None => format!("{comparator}{value}"),
    })
}

/// The printable unit of a quantity.
pub(crate) fn quantity_unit(quantity: &model::Quantity) -> Option<String> {
    quantity
        .unit
        .clone()
        .or_else(|| quantity.code.clone())
        .filter(|u| !u.is_empty())
}

/// `low - high unit`, or one side with ≥ / ≤.
pub(crate) fn range_text(
    low: Option<&model::Quantity>,
    high: Option<&model::Quantity>,
) -> Option<String> {
    let low_value = low.and_then(|q| q.value.as_deref()).map(number_text);
    let high_value = high.and_then(|q| q.value.as_deref()).map(number_text);
    let unit = high
        .and_then(quantity_unit)
        .or_else(|| low.and_then(quantity_unit));
    let span = match (low_value, high_value) {
        (Some(l), Some(h)) => format!("{l} - {h}"),
        (Some(l), None) => format!("≥ {l}"),
        (None, Some(h)) => format!("≤ {h}"),
        (None, None) => return None,
    };
    Some(match unit {
        Some(unit) => format!("{span} {unit}"),
        None => span,
    })
}

/// Annotation texts, non-blank.
pub(crate) fn notes(annotations: Vec<model::Annotation>) -> Vec<String> {
    annotations
        .into_iter()
        .filter_map(|a| a.text)
        .filter(|t| !t.trim().is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concept(json: &str) -> model::CodeableConcept {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn coded_prefers_text_then_display_then_code() {
        let c = coded(Some(concept(
            r#"{"coding":[{"system":"s","code":"1","display":"Un"}],"text":"One"}"#,
        )));
        assert_eq!(
            (c.code.as_deref(), c.system.as_deref(), c.text.as_str()),
            (Some("1"), Some("s"), "One")
        );
        assert_eq!(
            coded(Some(concept(r#"{"coding":[{"code":"1","display":"Un"}]}"#))).text,
            "Un"
        );
        assert_eq!(
            coded(Some(concept(r#"{"coding":[{"code":"1"}]}"#))).text,
            "1"
        );
        assert_eq!(coded(None), Coded::default());
    }

    #[test]
    fn statuses_follow_the_mapping_table() {
        assert_eq!(record_status(Some("relapse")), RecordStatus::Active);
        assert_eq!(record_status(Some("on-hold")), RecordStatus::Active);
        assert_eq!(record_status(Some("completed")), RecordStatus::Inactive);
        assert_eq!(record_status(None), RecordStatus::Inactive);
        assert_eq!(
            record_status(Some("entered-in-error")),
            RecordStatus::EnteredInError
        );
        let error = concept(r#"{"coding":[{"code":"entered-in-error"}]}"#);
        let active = concept(r#"{"coding":[{"code":"active"}]}"#);
        assert_eq!(
            clinical_status(Some(&active), Some(&error)),
            RecordStatus::EnteredInError
        );
        assert_eq!(clinical_status(None, None), RecordStatus::Active);
    }

    #[test]
    fn ins_identifiers_are_recognised_by_oid() {
        let ins: model::Identifier = serde_json::from_str(
            r#"{"system":"urn:oid:1.2.250.1.213.1.4.8","value":"1850399123456"}"#,
        )
        .unwrap();
        assert_eq!(identifier(&ins).unwrap().kind.as_deref(), Some("INS"));
        let mr: model::Identifier =
            serde_json::from_str(r#"{"type":{"coding":[{"code":"MR"}]},"system":"x","value":"7"}"#)
                .unwrap();
        assert_eq!(identifier(&mr).unwrap().kind.as_deref(), Some("MR"));
        let blank: model::Identifier =
            serde_json::from_str(r#"{"system":"x","value":" "}"#).unwrap();
        assert_eq!(identifier(&blank), None);
    }

    #[test]
    fn subjects_must_name_a_patient_by_id_or_keyed_identifier() {
        let index = Index::default();
        let mut ctx = Ctx {
            index: &index,
            warnings: Vec::new(),
        };
        let subject = |json: &str| serde_json::from_str::<model::Reference>(json).unwrap();
        // A logical reference with a system is keyed like an HL7 v2 IPP of
        // that authority; without a system it names no one for sure.
        let logical = subject(r#"{"identifier":{"system":"CHDEMO","value":"9"}}"#);
        assert_eq!(
            ctx.patient("Observation.subject", Some(&logical)).unwrap(),
            PatientKey::ipp("CHDEMO", "9")
        );
        let no_system = subject(r#"{"identifier":{"value":"9"}}"#);
        assert_eq!(
            ctx.patient("Observation.subject", Some(&no_system))
                .unwrap_err()
                .to_string(),
            "Observation.subject : référence conditionnelle « identifier=|9 » vers un patient non prise en charge"
        );
        // A conditional reference with a system is keyed the same way; one
        // without a system, or naming a search ckisa cannot read, is refused.
        let conditional = subject(r#"{"reference":"Patient?identifier=a|b"}"#);
        assert_eq!(
            ctx.patient("Observation.subject", Some(&conditional))
                .unwrap(),
            PatientKey::ipp("a", "b")
        );
        let no_system = subject(r#"{"reference":"Patient?identifier=b"}"#);
        assert!(matches!(
            ctx.patient("Observation.subject", Some(&no_system)),
            Err(EntryError::ConditionalSubject { .. })
        ));
        let by_name = subject(r#"{"reference":"Patient?name=DUPONT"}"#);
        assert!(matches!(
            ctx.patient("Observation.subject", Some(&by_name)),
            Err(EntryError::ConditionalSubject { .. })
        ));
        let display_only = subject(r#"{"display":"M. X"}"#);
        assert!(matches!(
            ctx.patient("Observation.subject", Some(&display_only)),
            Err(EntryError::MissingSubject { .. })
        ));
        let absolute = subject(r#"{"reference":"https://h/fhir/Patient/7/_history/3"}"#);
        assert_eq!(
            ctx.patient("Observation.subject", Some(&absolute)).unwrap(),
            PatientKey::fhir("7")
        );
    }

    #[test]
    fn numbers_keep_their_digits() {
        let q: model::Quantity =
            serde_json::from_str(r#"{"value":7.20,"comparator":"<","unit":"mmol/L"}"#).unwrap();
        assert_eq!(quantity_text(&q).as_deref(), Some("<7.20 mmol/L"));
        let low: model::Quantity = serde_json::from_str(r#"{"value":3.5,"unit":"g"}"#).unwrap();
        assert_eq!(range_text(Some(&low), None).as_deref(), Some("≥ 3.5 g"));
    }
}
