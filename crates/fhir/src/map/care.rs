//! What caregivers documented during a downtime, read back: the resources
//! of the re-integration bundle that ckisa-care's export writes, and the
//! medication administrations of any sender.
//!
//! | FHIR | Fact |
//! |---|---|
//! | MedicationAdministration (any) | `Care(Administered)`: `completed` / `in-progress` / `stopped` given, `not-done` not given, `on-hold` held, with `statusReason` |
//! | ServiceRequest with a ckisa item id | `Care(LabRequested)`: the codings of `code` are the tests |
//! | DocumentReference with a ckisa item id or note category | `Care(Note)`: attachments « Données », « Actions », « Résultats » |
//! | Observation, MedicationRequest with a ckisa item id | their usual fact, under the item's id, wrapped in `Care(Entered)` |
//! | Patient with a ckisa patient key | `Care(Entered(PatientUpdated))` |
//! | Encounter with a ckisa stay key | its facts wrapped in `Care(Entered)`, one per movement identifier (see [`super::encounter`]) |
//! | Patient with `link` of type `replaced-by` | also `PatientsMerged` into the linked record |
//!
//! A ckisa id ([`ITEM_SYSTEM`], [`PATIENT_SYSTEM`], [`ENCOUNTER_SYSTEM`])
//! replaces the FHIR id as the fact's id or key, so that the item the node
//! exported comes back as the same item: the care book counts it once and
//! marks it confirmed, the store updates it in place. These systems are the
//! ones `ckisa_care::export` writes (the ckisa-care round-trip test reads
//! its own bundle through this module).

use ckisa_domain::{
    Administration, AdministrationOutcome, CareFact, Coded, EncounterKey, Fact, Identifier,
    LabRequest, NursingNote, PatientKey,
};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Ctx, Resource, concept_text, encounter_key, identifier, medication, notes, stable_id};
use crate::attachment::decode;
use crate::error::EntryError;
use crate::model::{Annotation, Attachment, CodeableConcept, Period, Quantity, Reference};
use crate::resolve::{Index, Resolved};

/// Identifier system of a documented item; the value is the ckisa fact id.
pub(crate) const ITEM_SYSTEM: &str = "https://ckisa.fr/id/item";
/// Identifier system of a ckisa patient key.
pub(crate) const PATIENT_SYSTEM: &str = "https://ckisa.fr/id/patient";
/// Identifier system of a ckisa stay key.
pub(crate) const ENCOUNTER_SYSTEM: &str = "https://ckisa.fr/id/encounter";
/// Identifier system of the event that documented an item.
const EVENT_SYSTEM: &str = "https://ckisa.fr/id/event";
/// Identifier system of a movement (admission, transfer) of a stay; the
/// type is its HL7 v2 event (`A01`, `A05`, `A02`).
const MOVEMENT_SYSTEM: &str = "https://ckisa.fr/id/movement";
/// Extension with the planned time of a dose.
const PLANNED_EXTENSION: &str = "https://ckisa.fr/fhir/StructureDefinition/heure-prevue";
/// Code system of ckisa's note categories.
const NOTE_CATEGORY_SYSTEM: &str = "https://ckisa.fr/fhir/CodeSystem/transmission";

/// `Extension` with a dateTime value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Extension {
    url: Option<String>,
    value_date_time: Option<String>,
}

/// `MedicationAdministration.performer`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Performer {
    actor: Option<Reference>,
}

/// `MedicationAdministration.dosage`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AdministrationDosage {
    text: Option<String>,
    route: Option<CodeableConcept>,
    dose: Option<Quantity>,
}

/// `MedicationAdministration`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct MedicationAdministration {
    pub(crate) id: Option<String>,
    identifier: Vec<crate::model::Identifier>,
    extension: Vec<Extension>,
    status: Option<String>,
    status_reason: Vec<CodeableConcept>,
    contained: Vec<Box<RawValue>>,
    medication_codeable_concept: Option<CodeableConcept>,
    medication_reference: Option<Reference>,
    subject: Option<Reference>,
    context: Option<Reference>,
    effective_date_time: Option<String>,
    effective_period: Option<Period>,
    performer: Vec<Performer>,
    request: Option<Reference>,
    note: Vec<Annotation>,
    dosage: Option<AdministrationDosage>,
}

/// `ServiceRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ServiceRequest {
    pub(crate) id: Option<String>,
    identifier: Vec<crate::model::Identifier>,
    priority: Option<String>,
    code: Option<CodeableConcept>,
    subject: Option<Reference>,
    encounter: Option<Reference>,
    occurrence_date_time: Option<String>,
    authored_on: Option<String>,
    requester: Option<Reference>,
    location_code: Vec<CodeableConcept>,
    specimen: Vec<Reference>,
    note: Vec<Annotation>,
}

/// `DocumentReference.content`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DocumentContent {
    attachment: Option<Attachment>,
}

/// `DocumentReference.context`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DocumentContext {
    encounter: Vec<Reference>,
    period: Option<Period>,
}

/// `DocumentReference`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DocumentReference {
    pub(crate) id: Option<String>,
    identifier: Vec<crate::model::Identifier>,
    category: Vec<CodeableConcept>,
    subject: Option<Reference>,
    date: Option<String>,
    author: Vec<Reference>,
    description: Option<String>,
    content: Vec<DocumentContent>,
    context: Option<DocumentContext>,
}

// Ids and keys -------------------------------------------------------------------

/// The value of the first identifier of `system`.
fn id_of(identifiers: &[crate::model::Identifier], system: &str) -> Option<String> {
    identifiers
        .iter()
        .filter(|i| i.system.as_deref() == Some(system))
        .find_map(|i| i.value.clone())
        .filter(|v| !v.trim().is_empty())
}

/// Whether an identifier is one of ckisa's own (key, item, event), which
/// a patient's identifier list does not keep.
pub(crate) fn is_own(identifier: &crate::model::Identifier) -> bool {
    matches!(
        identifier.system.as_deref(),
        Some(PATIENT_SYSTEM | ENCOUNTER_SYSTEM | ITEM_SYSTEM | EVENT_SYSTEM | MOVEMENT_SYSTEM)
    )
}

/// Records the ckisa id a resource carries, so that references to it give
/// that id (`Patient/<id>` to its patient key...).
pub(crate) fn index_keys(index: &mut Index, resource: &Resource, kind: &str, id: &str) {
    let found = match resource {
        Resource::Patient(r) => id_of(&r.identifier, PATIENT_SYSTEM),
        Resource::Encounter(r) => id_of(&r.identifier, ENCOUNTER_SYSTEM),
        Resource::MedicationRequest(r) => id_of(&r.identifier, ITEM_SYSTEM),
        Resource::Observation(r) => id_of(&r.identifier, ITEM_SYSTEM),
        Resource::ServiceRequest(r) => id_of(&r.identifier, ITEM_SYSTEM),
        Resource::MedicationAdministration(r) => id_of(&r.identifier, ITEM_SYSTEM),
        Resource::DocumentReference(r) => id_of(&r.identifier, ITEM_SYSTEM),
        _ => None,
    };
    if let Some(value) = found {
        index.ckisa_keys.insert(format!("{kind}/{id}"), value);
    }
}

/// The key of the Patient with this id: its ckisa key when it has one.
pub(crate) fn patient_key(index: &Index, id: &str) -> PatientKey {
    match index.ckisa_keys.get(&format!("Patient/{id}")) {
        Some(key) => PatientKey(key.clone()),
        None => PatientKey::fhir(id),
    }
}

/// The key of the Encounter with this id: its ckisa key when it has one.
pub(crate) fn stay_key(index: &Index, id: &str) -> EncounterKey {
    match index.ckisa_keys.get(&format!("Encounter/{id}")) {
        Some(key) => EncounterKey(key.clone()),
        None => encounter_key(id),
    }
}

/// The patient an identifier names: a ckisa key as is, else the key HL7 v2
/// gives a PID-3 identifier of that assigning authority.
pub(crate) fn patient_of(identifier: &Identifier) -> Option<PatientKey> {
    let system = identifier.system.as_deref().filter(|s| !s.is_empty())?;
    Some(if system == PATIENT_SYSTEM {
        PatientKey(identifier.value.clone())
    } else {
        PatientKey::ipp(system, &identifier.value)
    })
}

/// The stay an identifier names: a ckisa key as is, else the key HL7 v2
/// gives a visit number (PV1-19) of that assigning authority.
pub(crate) fn stay_of(identifier: &Identifier) -> Option<EncounterKey> {
    let system = identifier.system.as_deref().filter(|s| !s.is_empty())?;
    Some(if system == ENCOUNTER_SYSTEM {
        EncounterKey(identifier.value.clone())
    } else {
        EncounterKey(format!("vn:{system}|{}", identifier.value))
    })
}

/// The id of the documented item a reference names (a prescription, a lab
/// request): its ckisa id, else the FHIR resource's stable id.
fn item_reference(index: &Index, reference: &Reference) -> Option<String> {
    if let Some(text) = reference.reference.as_deref() {
        match index.resolve(text) {
            Resolved::Local(target) => {
                let key = target.reference();
                return Some(match index.ckisa_keys.get(&key) {
                    Some(id) => id.clone(),
                    None => stable_id(&target.kind, &target.id),
                });
            }
            Resolved::Conditional {
                identifier: Some(found),
                ..
            } => return Some(found.value),
            _ => {}
        }
    }
    reference
        .identifier
        .as_ref()
        .and_then(identifier)
        .map(|i| i.value)
}

// Resources that are ckisa items coming back -----------------------------------

/// What makes an Observation or MedicationRequest one of ckisa's items.
pub(crate) struct Ours {
    id: String,
    report: Option<String>,
}

/// The ckisa item an Observation is, with the lab request it answers.
pub(crate) fn observation_item(
    observation: &crate::model::Observation,
    index: &Index,
) -> Option<Ours> {
    let id = id_of(&observation.identifier, ITEM_SYSTEM)?;
    let report = observation
        .based_on
        .iter()
        .find_map(|r| item_reference(index, r));
    Some(Ours { id, report })
}

/// The ckisa item a MedicationRequest is.
pub(crate) fn medication_item(request: &crate::model::MedicationRequest) -> Option<Ours> {
    let id = id_of(&request.identifier, ITEM_SYSTEM)?;
    Some(Ours { id, report: None })
}

/// A ckisa item's fact under its own id, as typed documentation.
pub(crate) fn adopt(fact: Fact, ours: Option<Ours>) -> Fact {
    let Some(ours) = ours else {
        return fact;
    };
    let fact = match fact {
        Fact::ObservationRecorded(mut observation) => {
            observation.id = ours.id;
            observation.report = ours.report;
            Fact::ObservationRecorded(observation)
        }
        Fact::MedicationRecorded(mut medication) => {
            medication.id = ours.id;
            Fact::MedicationRecorded(medication)
        }
        other => return other,
    };
    Fact::Care(CareFact::Entered(Box::new(fact)))
}

/// A fact wrapped as documentation typed on a node.
pub(crate) fn entered(fact: Fact) -> Fact {
    Fact::Care(CareFact::Entered(Box::new(fact)))
}

/// The movements (admission, transfer) an Encounter of the node's export
/// lists, in the order of its `location` entries: id and HL7 v2 event.
pub(crate) fn movements(encounter: &crate::model::Encounter) -> Vec<(String, String)> {
    if id_of(&encounter.identifier, ENCOUNTER_SYSTEM).is_none() {
        return Vec::new();
    }
    encounter
        .identifier
        .iter()
        .filter(|i| i.system.as_deref() == Some(MOVEMENT_SYSTEM))
        .filter_map(|i| {
            let id = i.value.clone().filter(|v| !v.trim().is_empty())?;
            let trigger = i
                .kind
                .as_ref()
                .and_then(|k| k.coding.iter().find_map(|c| c.code.clone()))
                .unwrap_or_default();
            Some((id, trigger))
        })
        .collect()
}

/// Whether an Encounter is a stay of the node's export.
pub(crate) fn is_own_stay(encounter: &crate::model::Encounter) -> bool {
    id_of(&encounter.identifier, ENCOUNTER_SYSTEM).is_some()
}

/// A Patient, and the merge its `replaced-by` link says.
pub(crate) fn patient(patient: crate::model::Patient, id: &str, ctx: &mut Ctx<'_>) -> Vec<Fact> {
    let links: Vec<Reference> = patient
        .link
        .iter()
        .filter(|l| l.kind.as_deref() == Some("replaced-by"))
        .filter_map(|l| l.other.clone())
        .collect();
    let own = id_of(&patient.identifier, PATIENT_SYSTEM).is_some();
    let update = super::patient::map(patient, id, ctx);
    let merged = match &update {
        Fact::PatientUpdated(update) => update.patient.clone(),
        _ => return vec![update],
    };
    // An identity under ckisa's key comes back as the typed identity (the
    // care book confirms it); the merge stays a plain fact.
    let mut facts = vec![if own { entered(update) } else { update }];
    for other in links {
        match ctx.patient("Patient.link.other", Some(&other)) {
            Ok(survivor) if survivor != merged => facts.push(Fact::PatientsMerged {
                survivor,
                merged: merged.clone(),
            }),
            Ok(_) => {}
            Err(warning) => ctx.warnings.push(warning),
        }
    }
    facts
}

// Resources of the downtime documentation ------------------------------------

/// Maps a MedicationAdministration.
pub(crate) fn administration(
    administration: MedicationAdministration,
    id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Fact, EntryError> {
    const EFFECTIVE: &str = "MedicationAdministration.effective[x]";
    let patient = ctx.patient(
        "MedicationAdministration.subject",
        administration.subject.as_ref(),
    )?;
    let encounter = ctx.encounter(
        "MedicationAdministration.context",
        administration.context.as_ref(),
    );
    let status = administration.status.as_deref().unwrap_or("").trim();
    let reason = || {
        administration
            .status_reason
            .iter()
            .find_map(concept_text)
            .unwrap_or_else(|| String::from("non précisé"))
    };
    let dosage = administration.dosage.clone().unwrap_or_default();
    let outcome = match status {
        "completed" | "in-progress" | "stopped" => AdministrationOutcome::Given {
            dose: dosage
                .dose
                .as_ref()
                .and_then(super::quantity_text)
                .or(dosage.text.clone())
                .unwrap_or_default(),
            route: dosage
                .route
                .as_ref()
                .and_then(concept_text)
                .unwrap_or_default(),
        },
        "not-done" => AdministrationOutcome::NotGiven { reason: reason() },
        "on-hold" => AdministrationOutcome::Held { reason: reason() },
        other => {
            return Err(EntryError::NotRecorded {
                element: "MedicationAdministration.status",
                value: other.to_owned(),
                consequence: "administration non reprise (seuls completed, in-progress, \
                              stopped, not-done et on-hold le sont)",
            });
        }
    };
    let at_text = administration
        .effective_date_time
        .as_deref()
        .or_else(|| administration.effective_period.as_ref()?.start.as_deref());
    let Some(at_text) = at_text else {
        return Err(EntryError::MissingElement {
            element: EFFECTIVE,
            consequence: "administration sans heure non reprise",
        });
    };
    let at = ckisa_domain::Moment::parse_iso(at_text).ok_or_else(|| {
        EntryError::InvalidRequiredDate {
            element: EFFECTIVE,
            value: at_text.to_owned(),
        }
    })?;
    let planned = administration
        .extension
        .iter()
        .find(|e| e.url.as_deref() == Some(PLANNED_EXTENSION))
        .and_then(|e| {
            ctx.moment(
                "MedicationAdministration.extension (heure prévue)",
                e.value_date_time.as_deref(),
            )
        });
    let drug = medication::drug(
        administration.medication_codeable_concept,
        administration.medication_reference.as_ref(),
        &administration.contained,
        ctx,
    );
    let by = administration
        .performer
        .iter()
        .filter_map(|p| p.actor.as_ref())
        .find_map(person_text)
        .unwrap_or_else(|| String::from("non renseigné"));
    let medication = administration
        .request
        .as_ref()
        .and_then(|r| item_reference(ctx.index, r))
        .unwrap_or_default();
    let mut comments = notes(administration.note);
    if status == "stopped" {
        comments.push(String::from("administration interrompue avant la fin"));
    }
    Ok(Fact::Care(CareFact::Administered(Administration {
        id: id_of(&administration.identifier, ITEM_SYSTEM)
            .unwrap_or_else(|| stable_id("MedicationAdministration", id)),
        patient,
        encounter,
        medication,
        drug,
        planned,
        at,
        outcome,
        by,
        comment: (!comments.is_empty()).then(|| comments.join("\n")),
    })))
}

/// Maps a ServiceRequest written by ckisa (a downtime lab request); other
/// requests are not kept.
pub(crate) fn service_request(
    request: ServiceRequest,
    ctx: &mut Ctx<'_>,
) -> Result<Option<Fact>, EntryError> {
    const OCCURRENCE: &str = "ServiceRequest.occurrenceDateTime";
    let Some(id) = id_of(&request.identifier, ITEM_SYSTEM) else {
        return Ok(None);
    };
    let patient = ctx.patient("ServiceRequest.subject", request.subject.as_ref())?;
    let encounter = ctx.encounter("ServiceRequest.encounter", request.encounter.as_ref());
    let code = request.code.unwrap_or_default();
    let mut tests: Vec<Coded> = code
        .coding
        .into_iter()
        .filter(|c| c.code.is_some() || c.display.is_some())
        .map(|c| Coded {
            text: c
                .display
                .clone()
                .or_else(|| c.code.clone())
                .unwrap_or_default(),
            code: c.code,
            system: c.system,
        })
        .collect();
    if tests.is_empty()
        && let Some(text) = code.text.filter(|t| !t.trim().is_empty())
    {
        tests.push(Coded {
            code: None,
            system: None,
            text,
        });
    }
    let sampled_text = request
        .occurrence_date_time
        .as_deref()
        .or(request.authored_on.as_deref());
    let Some(sampled_text) = sampled_text else {
        return Err(EntryError::MissingElement {
            element: OCCURRENCE,
            consequence: "demande d'examen sans heure de prélèvement non reprise",
        });
    };
    let sampled_at = ckisa_domain::Moment::parse_iso(sampled_text).ok_or_else(|| {
        EntryError::InvalidRequiredDate {
            element: OCCURRENCE,
            value: sampled_text.to_owned(),
        }
    })?;
    let requester = ctx
        .resource_ref("ServiceRequest.requester", request.requester.as_ref())
        .unwrap_or_default();
    let comments = notes(request.note);
    Ok(Some(Fact::Care(CareFact::LabRequested(LabRequest {
        id,
        patient,
        encounter,
        unit: request
            .location_code
            .iter()
            .find_map(concept_text)
            .unwrap_or_default(),
        tests,
        specimen: request
            .specimen
            .iter()
            .find_map(|s| s.display.clone())
            .unwrap_or_default(),
        sampled_at,
        requester,
        urgent: matches!(
            request.priority.as_deref(),
            Some("urgent" | "asap" | "stat")
        ),
        comment: (!comments.is_empty()).then(|| comments.join("\n")),
    }))))
}

/// Maps a DocumentReference that is a targeted nursing note (written by
/// ckisa, or filed under ckisa's note category); other documents are not
/// kept.
pub(crate) fn document_reference(
    document: DocumentReference,
    id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Option<Fact>, EntryError> {
    const DATE: &str = "DocumentReference.context.period.start";
    let has_category = |code: &str| {
        document.category.iter().any(|c| {
            c.coding.iter().any(|coding| {
                coding.system.as_deref() == Some(NOTE_CATEGORY_SYSTEM)
                    && coding.code.as_deref() == Some(code)
            })
        })
    };
    let own_id = id_of(&document.identifier, ITEM_SYSTEM);
    if own_id.is_none() && !has_category("transmission-ciblee") {
        return Ok(None);
    }
    let for_handover = has_category("releve");
    let patient = ctx.patient("DocumentReference.subject", document.subject.as_ref())?;
    let context = document.context.unwrap_or_default();
    let encounter = ctx.encounter(
        "DocumentReference.context.encounter",
        context.encounter.first(),
    );
    let at_text = context
        .period
        .as_ref()
        .and_then(|p| p.start.as_deref())
        .or(document.date.as_deref());
    let Some(at_text) = at_text else {
        return Err(EntryError::MissingElement {
            element: DATE,
            consequence: "transmission sans date non reprise",
        });
    };
    let at = ckisa_domain::Moment::parse_iso(at_text).ok_or_else(|| {
        EntryError::InvalidRequiredDate {
            element: DATE,
            value: at_text.to_owned(),
        }
    })?;
    let part = |title: &str| {
        document
            .content
            .iter()
            .filter_map(|c| c.attachment.as_ref())
            .find(|a| a.title.as_deref() == Some(title))
            .and_then(|a| a.data.as_deref())
            .and_then(decode)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    };
    Ok(Some(Fact::Care(CareFact::Note(NursingNote {
        id: own_id.unwrap_or_else(|| stable_id("DocumentReference", id)),
        patient,
        encounter,
        target: document.description.clone().unwrap_or_default(),
        data: part("Données"),
        actions: part("Actions"),
        results: part("Résultats"),
        at,
        by: document
            .author
            .iter()
            .find_map(person_text)
            .unwrap_or_else(|| String::from("non renseigné")),
        for_handover,
    }))))
}

/// A person named by a reference: its display, else its identifier or
/// literal reference.
fn person_text(reference: &Reference) -> Option<String> {
    reference
        .display
        .clone()
        .or_else(|| reference.identifier.as_ref().and_then(|i| i.value.clone()))
        .or_else(|| reference.reference.clone())
        .filter(|t| !t.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ckisa_domain::Fact;

    const CORPUS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/fhir/examples"
    );

    fn administrations(text: &str) -> (Vec<Administration>, Vec<String>) {
        let doc = crate::read(text.as_bytes(), "test");
        let found = doc
            .facts()
            .filter_map(|fact| match fact {
                Fact::Care(CareFact::Administered(a)) => Some(a.clone()),
                _ => None,
            })
            .collect();
        let problems = doc.problems.iter().map(|p| p.reason.clone()).collect();
        (found, problems)
    }

    /// The HL7 FHIR R4 examples are read as they are: a dose being given
    /// and one on hold for a contraindication.
    #[test]
    fn real_world_medication_administrations_are_read() {
        let mut seen = Vec::new();
        let mut files: Vec<_> = std::fs::read_dir(CORPUS)
            .expect("the corpus is at ../shared/corpus")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("MedicationAdministration-"))
            })
            .collect();
        files.sort();
        assert!(files.len() >= 2, "{files:?}");
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let (found, problems) = administrations(&text);
            assert_eq!(problems, Vec::<String>::new(), "{}", path.display());
            assert_eq!(found.len(), 1, "{}", path.display());
            seen.push(found.into_iter().next().unwrap());
        }
        let given = seen
            .iter()
            .find(|a| a.id == "fhir:MedicationAdministration/medadmin0301")
            .expect("medadmin0301");
        assert_eq!(given.patient, PatientKey::fhir("pat1"));
        assert_eq!(given.encounter, Some(encounter_key("f001")));
        assert_eq!(
            given.drug.text,
            "Vancomycin Hydrochloride (VANCOMYCIN HYDROCHLORIDE)"
        );
        assert_eq!(given.medication, "fhir:MedicationRequest/medrx0318");
        assert_eq!(given.by, "Patrick Pump");
        assert_eq!(given.at.to_iso(), "2015-01-15T14:30:00+01:00");
        assert_eq!(
            given.outcome,
            AdministrationOutcome::Given {
                dose: "500 mg".into(),
                route: "Intravenous route (qualifier value)".into()
            }
        );
        let held = seen
            .iter()
            .find(|a| a.id == "fhir:MedicationAdministration/medadminexample03")
            .expect("medadminexample03");
        assert_eq!(
            held.outcome,
            AdministrationOutcome::Held {
                reason: "Administration of medication not done due to a contraindication \
                         (situation)"
                    .into()
            }
        );
        assert_eq!(held.drug.text, "Alemtuzumab 10mg/ml (Lemtrada)");
        assert!(
            held.comment
                .as_deref()
                .unwrap()
                .starts_with("Patient started")
        );
        assert_eq!(held.by, "non renseigné");
    }

    #[test]
    fn administrations_without_time_or_with_an_unknown_status_are_problems() {
        let base = r#"{"resourceType":"MedicationAdministration","id":"a","subject":{"reference":"Patient/p"},"medicationCodeableConcept":{"text":"X"}"#;
        let (found, problems) = administrations(&format!(r#"{base},"status":"completed"}}"#));
        assert!(found.is_empty());
        assert_eq!(
            problems,
            [
                "MedicationAdministration.effective[x] absent : administration sans heure non reprise"
            ]
        );
        let (found, problems) = administrations(&format!(
            r#"{base},"status":"entered-in-error","effectiveDateTime":"2026-12-04T08:00:00+01:00"}}"#
        ));
        assert!(found.is_empty());
        assert!(
            problems[0].starts_with("MedicationAdministration.status « entered-in-error »"),
            "{problems:?}"
        );
    }

    #[test]
    fn other_service_requests_and_documents_are_skipped_not_refused() {
        let text = r#"{"resourceType":"Bundle","type":"collection","entry":[
          {"resource":{"resourceType":"ServiceRequest","id":"s","subject":{"reference":"Patient/p"},"code":{"text":"IRM"}}},
          {"resource":{"resourceType":"DocumentReference","id":"d","subject":{"reference":"Patient/p"}}}]}"#;
        let doc = crate::read(text.as_bytes(), "x");
        assert_eq!(doc.problems, []);
        assert!(doc.items.is_empty());
        assert_eq!(doc.skipped.get("ServiceRequest"), Some(&1));
        assert_eq!(doc.skipped.get("DocumentReference"), Some(&1));
    }

    #[test]
    fn ckisa_ids_and_keys_win_over_fhir_ids() {
        let text = r#"{"resourceType":"Bundle","type":"transaction","entry":[
          {"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","identifier":[
             {"system":"CKISA-PROVISOIRE","value":"99000001"},
             {"system":"https://ckisa.fr/id/patient","value":"ipp:CKISA-PROVISOIRE|99000001"}],
             "link":[{"other":{"reference":"Patient?identifier=CHU%7C123"},"type":"replaced-by"}]},
           "request":{"method":"PUT","url":"Patient?identifier=CKISA-PROVISOIRE|99000001"}},
          {"fullUrl":"urn:uuid:e","resource":{"resourceType":"Encounter","status":"in-progress",
             "identifier":[{"system":"https://ckisa.fr/id/encounter","value":"vn:DT|1"}],
             "subject":{"reference":"urn:uuid:p"}},"request":{"method":"PUT","url":"Encounter"}},
          {"fullUrl":"urn:uuid:o","resource":{"resourceType":"Observation","status":"final",
             "identifier":[{"system":"https://ckisa.fr/id/item","value":"obs-1"}],
             "basedOn":[{"identifier":{"system":"https://ckisa.fr/id/item","value":"DT42"}}],
             "code":{"text":"Température"},"subject":{"reference":"urn:uuid:p"},
             "encounter":{"reference":"Encounter?identifier=CHU%7CV9"},
             "valueQuantity":{"value":38.50,"unit":"°C"}},"request":{"method":"PUT","url":"Observation"}}]}"#;
        let doc = crate::read(text.as_bytes(), "x");
        assert_eq!(doc.problems, []);
        let facts: Vec<&Fact> = doc.facts().collect();
        let provisional = PatientKey::ipp("CKISA-PROVISOIRE", "99000001");
        // An identity under ckisa's key comes back as typed documentation.
        let Fact::Care(CareFact::Entered(identity)) = facts[0] else {
            panic!("{facts:?}")
        };
        let Fact::PatientUpdated(update) = identity.as_ref() else {
            panic!("{identity:?}")
        };
        assert_eq!(update.patient, provisional);
        assert_eq!(
            update.identifiers.len(),
            1,
            "ckisa's key is not an identifier"
        );
        assert_eq!(
            facts[1],
            &Fact::PatientsMerged {
                survivor: PatientKey::ipp("CHU", "123"),
                merged: provisional.clone()
            }
        );
        let Fact::StayUpdated(stay) = facts[2] else {
            panic!("{facts:?}")
        };
        assert_eq!(stay.encounter, EncounterKey("vn:DT|1".into()));
        assert_eq!(stay.patient, provisional);
        let Fact::Care(CareFact::Entered(inner)) = facts[3] else {
            panic!("{facts:?}")
        };
        let Fact::ObservationRecorded(observation) = inner.as_ref() else {
            panic!("{inner:?}")
        };
        assert_eq!(observation.id, "obs-1");
        assert_eq!(observation.report.as_deref(), Some("DT42"));
        assert_eq!(observation.patient, provisional);
        assert_eq!(
            observation.encounter,
            Some(EncounterKey("vn:CHU|V9".into()))
        );
    }

    /// An Encounter of the node's export: the stay carries the admission's
    /// movement id, each transfer is its own fact to the place of its
    /// `location` entry, the discharge follows; all of them typed
    /// documentation coming back. An Encounter of the HIS is read as before.
    #[test]
    fn a_stay_of_the_export_comes_back_movement_by_movement() {
        let bundle = |identifiers: &str| {
            format!(
                r#"{{"resourceType":"Bundle","type":"transaction","entry":[
          {{"fullUrl":"urn:uuid:e","resource":{{"resourceType":"Encounter","status":"finished",
             "identifier":[{identifiers}],
             "subject":{{"reference":"Patient?identifier=CHU%7C123"}},
             "period":{{"start":"2026-12-04T08:05:00+01:00","end":"2026-12-04T11:20:00+01:00"}},
             "location":[{{"location":{{"display":"URG"}},"status":"completed"}},
                         {{"location":{{"display":"REA"}},"status":"completed"}}]}},
           "request":{{"method":"PUT","url":"Encounter"}}}}]}}"#
            )
        };
        let ours = bundle(
            r#"{"system":"https://ckisa.fr/id/encounter","value":"vn:DT|1"},
               {"system":"https://ckisa.fr/id/movement","value":"m-1","type":{"coding":[{"code":"A01"}]}},
               {"system":"https://ckisa.fr/id/movement","value":"m-2","type":{"coding":[{"code":"A02"}]}}"#,
        );
        let doc = crate::read(ours.as_bytes(), "x");
        assert_eq!(doc.problems, []);
        let inner: Vec<Fact> = doc
            .facts()
            .map(|fact| match fact {
                Fact::Care(CareFact::Entered(inner)) => (**inner).clone(),
                other => panic!("not wrapped: {other:?}"),
            })
            .collect();
        let [
            Fact::StayUpdated(stay),
            Fact::Transferred {
                to,
                movement_id,
                at,
                ..
            },
            Fact::Discharged { encounter, .. },
        ] = &inner[..]
        else {
            panic!("{inner:?}")
        };
        assert_eq!(stay.movement_id.as_deref(), Some("m-1"));
        assert_eq!(stay.place.value().unwrap().unit, "REA");
        assert_eq!(to.unit, "REA");
        assert_eq!(movement_id.as_deref(), Some("m-2"));
        assert_eq!(*at, stay.admitted_at, "dated at the stay's start");
        assert_eq!(encounter.as_str(), "vn:DT|1");

        let his = bundle(r#"{"system":"urn:oid:1.2.3","value":"V9"}"#);
        let doc = crate::read(his.as_bytes(), "x");
        let kinds: Vec<&str> = doc.facts().map(Fact::kind).collect();
        assert_eq!(kinds, ["stay", "discharge"]);
    }
}
