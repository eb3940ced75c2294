//! The FHIR R4 transaction bundle of a window.
//!
//! | item | resource | request |
//! |---|---|---|
//! | typed identity, identity matched | Patient (`link` replaced-by for a merge, `active` false) | `PUT Patient?identifier=<IPP authority>\|<IPP>` |
//! | admission, transfer, discharge... | one Encounter per stay, its state after the window's movements, places as `location` history, one movement identifier per place | `PUT Encounter?identifier=` |
//! | the places of those stays | Location (unit `wa`, room `ro`, bed `bd`, site `si`, chained by `partOf`) | `POST` + `ifNoneExist` |
//! | vitals, results | Observation (`vital-signs`, `laboratory`) | `PUT Observation?identifier=` |
//! | prescriptions, changes, stops | one MedicationRequest per prescription, in its latest state | `PUT MedicationRequest?identifier=` |
//! | administrations | MedicationAdministration (`completed`, `not-done`, `on-hold` + `statusReason`) | `PUT` |
//! | lab requests | ServiceRequest (the tests as codings of `code`, `requisition` the label's id) | `PUT` |
//! | nursing notes | DocumentReference | `PUT` |
//!
//! Nursing notes are DocumentReferences rather than Communications: a
//! targeted note is clinical documentation that belongs in the patient's
//! record (LOINC 34746-8, "Nurse note"), which is what HIS document stores
//! index and show, while a Communication is a message between people that
//! the record does not keep as a document. The text is in French as typed,
//! one `text/plain` attachment per part (données, actions, résultats), the
//! target as `description`, and a readable narrative.
//!
//! Every resource carries its ckisa id ([`super::ITEM_SYSTEM`],
//! [`super::PATIENT_SYSTEM`], [`super::ENCOUNTER_SYSTEM`]) and the ids of
//! the events that documented it ([`super::EVENT_SYSTEM`]). References to a
//! resource of the bundle use its `urn:uuid:` fullUrl (stable from one
//! export to the next); other patients and stays are named by IPP or visit
//! number (`Patient?identifier=...`), by their FHIR id, or by a logical
//! reference with ckisa's identifier, which never fails a transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use ckisa_domain::{
    Administration, AdministrationOutcome, CareFact, Coded, EncounterKey, EventId, Fact, Field,
    LabRequest, Leave, Medication, MedicationKind, Moment, NursingNote, Observation,
    ObservationCategory, ObservationValue, PatientKey, Place, RecordStatus, ResourceRef, Sex,
};

use super::fhir_model as m;
use super::people::{KeyForm, People, Person, encounter_form, his_order_number, patient_form};
use super::{
    ENCOUNTER_SYSTEM, EVENT_SYSTEM, ExportContext, ExportError, ITEM_SYSTEM, ItemKind,
    LOCATION_SYSTEM, MOVEMENT_SYSTEM, PATIENT_SYSTEM, Skipped, Window, documented, quantity,
    stable_uuid,
};
use crate::book::{CareBook, Entry};

/// Extension holding the planned time of a dose
/// (`MedicationAdministration`), which R4 has no element for.
pub const PLANNED_EXTENSION: &str = "https://ckisa.fr/fhir/StructureDefinition/heure-prevue";
/// Code system of ckisa's note categories (`transmission-ciblee`,
/// `releve`).
pub const NOTE_CATEGORY_SYSTEM: &str = "https://ckisa.fr/fhir/CodeSystem/transmission";

/// One entry of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleEntry {
    /// `Patient`, `Encounter`, `Location`, `Observation`...
    pub resource_type: &'static str,
    /// `urn:uuid:...`
    pub full_url: String,
    /// The request's URL (`Observation?identifier=...`).
    pub request_url: String,
    /// The events of the items this resource carries (several for a stay
    /// or a prescription changed then stopped; none for a place).
    pub events: Vec<EventId>,
}

/// A bundle and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct FhirExport {
    /// The bundle, as JSON text.
    pub json: String,
    /// Its entries, in bundle order.
    pub entries: Vec<BundleEntry>,
    /// Items left out, with why.
    pub skipped: Vec<Skipped>,
}

impl FhirExport {
    /// How many entries are resources of `resource_type`.
    pub fn count(&self, resource_type: &str) -> usize {
        self.entries
            .iter()
            .filter(|e| e.resource_type == resource_type)
            .count()
    }
}

/// Writes the transaction bundle of `window`.
pub fn fhir_bundle(
    book: &CareBook,
    window: Window,
    ctx: &ExportContext<'_>,
) -> Result<FhirExport, ExportError> {
    let mut people = People::new(book, ctx.store);
    let plan = Plan::of(documented(book, window));
    let mut writer = Writer {
        ctx,
        entries: Vec::new(),
        listed: Vec::new(),
        locations: HashSet::new(),
        displays: HashMap::new(),
        patient_urls: plan
            .patients
            .keys()
            .map(|k| ((*k).clone(), stable_uuid(&format!("Patient|{k}"))))
            .collect(),
        encounter_urls: plan
            .stays
            .keys()
            .map(|k| ((*k).clone(), stable_uuid(&format!("Encounter|{k}"))))
            .collect(),
        medication_urls: plan
            .medications
            .keys()
            .map(|id| (id.to_string(), item_url("MedicationRequest", id)))
            .collect(),
        lab_urls: plan
            .lab_requests
            .iter()
            .map(|(_, r)| (r.id.clone(), item_url("ServiceRequest", &r.id)))
            .collect(),
    };
    for key in plan.referenced_patients() {
        let person = people.person(key)?;
        writer.displays.insert(key.clone(), person.display(key));
    }
    for (key, draft) in plan.patients.iter().filter(|(_, d)| d.survivor.is_none()) {
        let person = people.person(key)?;
        writer.patient(key, &person, draft);
    }
    for (key, draft) in &plan.stays {
        let stay = people.stay(&draft.patient, key)?;
        writer.stay(key, draft, stay.as_ref());
    }
    for (entry, observation) in &plan.observations {
        writer.observation(entry, observation);
    }
    for (id, versions) in &plan.medications {
        writer.medication(id, versions);
    }
    for (entry, administration) in &plan.administrations {
        writer.administration(entry, administration);
    }
    for (entry, request) in &plan.lab_requests {
        writer.lab_request(entry, request);
    }
    for (entry, note) in &plan.notes {
        writer.note(entry, note);
    }
    // A matched identity goes last: a reader applying the entries in order
    // (ckisa does) files the documentation under the provisional record
    // first, then moves it with the merge, instead of refusing it for
    // naming a record already merged away.
    for (key, draft) in plan.patients.iter().filter(|(_, d)| d.survivor.is_some()) {
        let person = people.person(key)?;
        writer.patient(key, &person, draft);
    }
    let bundle = m::Bundle {
        resource_type: "Bundle",
        kind: "transaction",
        timestamp: iso_ms(ctx.now_ms, ctx.zone),
        identifier: m::Identifier {
            system: Some("https://ckisa.fr/id/export".to_owned()),
            value: format!("{}-{}-{}", ctx.node, window.from_ms, window.to_ms),
            ..m::Identifier::default()
        },
        entry: writer.entries,
    };
    Ok(FhirExport {
        json: serde_json::to_string_pretty(&bundle)?,
        entries: writer.listed,
        skipped: plan.skipped,
    })
}

/// The window's items sorted by the resource they go into.
#[derive(Default)]
struct Plan<'b> {
    patients: BTreeMap<&'b PatientKey, PatientDraft<'b>>,
    stays: BTreeMap<&'b EncounterKey, StayDraft<'b>>,
    observations: Vec<(&'b Entry, &'b Observation)>,
    /// Versions of each prescription (prescribed, changed, stopped), oldest
    /// first.
    medications: BTreeMap<&'b str, Vec<(&'b Entry, &'b Medication)>>,
    administrations: Vec<(&'b Entry, &'b Administration)>,
    lab_requests: Vec<(&'b Entry, &'b LabRequest)>,
    notes: Vec<(&'b Entry, &'b NursingNote)>,
    /// Patients named by any item, for display texts.
    named: Vec<&'b PatientKey>,
    skipped: Vec<Skipped>,
}

/// A Patient resource to write: a typed identity and, once matched, the
/// record it was merged into.
#[derive(Default)]
struct PatientDraft<'b> {
    events: Vec<EventId>,
    survivor: Option<&'b PatientKey>,
}

/// An Encounter to write: the stay's movements of the window, in order.
struct StayDraft<'b> {
    patient: PatientKey,
    events: Vec<EventId>,
    facts: Vec<&'b Fact>,
}

impl<'b> Plan<'b> {
    fn of(entries: Vec<&'b Entry>) -> Plan<'b> {
        let mut plan = Plan::default();
        for entry in entries {
            plan.add(entry);
        }
        plan
    }

    fn add(&mut self, entry: &'b Entry) {
        if let Some(patient) = entry.patient() {
            self.named.push(patient);
        }
        let skip = |plan: &mut Plan<'b>, reason: &str| {
            plan.skipped.push(Skipped {
                event: entry.first_event,
                kind: ItemKind::of(&entry.fact),
                reason: reason.to_owned(),
            });
        };
        let fact = match &entry.fact {
            CareFact::Entered(inner) => inner.as_ref(),
            CareFact::Administered(a) => return self.administrations.push((entry, a)),
            CareFact::Note(n) => return self.notes.push((entry, n)),
            CareFact::LabRequested(l) => return self.lab_requests.push((entry, l)),
            CareFact::Reviewed(_) => {
                return skip(
                    self,
                    "validation pharmaceutique : propre au nœud, non transmise au SIH",
                );
            }
            CareFact::Reconciled(_) => return,
        };
        match fact {
            Fact::PatientUpdated(update) => {
                let draft = self.patients.entry(&update.patient).or_default();
                draft.events.push(entry.first_event);
            }
            Fact::PatientsMerged { survivor, merged } => {
                self.named.push(merged);
                let draft = self.patients.entry(merged).or_default();
                draft.events.push(entry.first_event);
                draft.survivor = Some(survivor);
            }
            Fact::StayUpdated(stay) => self.stay(entry, &stay.encounter, &stay.patient, fact),
            Fact::Transferred {
                encounter, patient, ..
            }
            | Fact::Discharged {
                encounter, patient, ..
            }
            | Fact::AdmissionCancelled { encounter, patient }
            | Fact::TransferCancelled {
                encounter, patient, ..
            }
            | Fact::DischargeCancelled {
                encounter, patient, ..
            }
            | Fact::LeaveOfAbsence {
                encounter, patient, ..
            } => self.stay(entry, encounter, patient, fact),
            Fact::ObservationRecorded(o) => self.observations.push((entry, o)),
            Fact::MedicationRecorded(m) if m.kind == MedicationKind::Order => {
                self.medications.entry(&m.id).or_default().push((entry, m));
            }
            Fact::MedicationRecorded(_) => {
                skip(self, "déclaration de traitement habituel : non exportée");
            }
            Fact::DietRecorded(_) => {
                skip(self, "régime : pas encore exporté (ODS / NutritionOrder)");
            }
            Fact::EncounterMoved { .. } => {
                skip(
                    self,
                    "séjour rattaché à un autre patient (A44) : non exporté",
                );
            }
            _ => skip(self, "saisie d'un type non exporté"),
        }
    }

    fn stay(
        &mut self,
        entry: &'b Entry,
        encounter: &'b EncounterKey,
        patient: &PatientKey,
        fact: &'b Fact,
    ) {
        let draft = self.stays.entry(encounter).or_insert_with(|| StayDraft {
            patient: patient.clone(),
            events: Vec::new(),
            facts: Vec::new(),
        });
        draft.patient = patient.clone();
        draft.events.push(entry.first_event);
        draft.facts.push(fact);
    }

    fn referenced_patients(&self) -> Vec<&'b PatientKey> {
        let mut keys = self.named.clone();
        for draft in self.patients.values() {
            keys.extend(draft.survivor);
        }
        keys.sort();
        keys.dedup();
        keys
    }
}

/// Builds the entries.
struct Writer<'w, 'a> {
    ctx: &'w ExportContext<'a>,
    entries: Vec<m::Entry>,
    listed: Vec<BundleEntry>,
    /// fullUrls of the Location entries written.
    locations: HashSet<String>,
    displays: HashMap<PatientKey, String>,
    patient_urls: HashMap<PatientKey, String>,
    encounter_urls: HashMap<EncounterKey, String>,
    medication_urls: HashMap<String, String>,
    lab_urls: HashMap<String, String>,
}

impl Writer<'_, '_> {
    fn push(
        &mut self,
        resource_type: &'static str,
        full_url: String,
        resource: m::Resource,
        request: m::Request,
        events: Vec<EventId>,
    ) {
        self.listed.push(BundleEntry {
            resource_type,
            full_url: full_url.clone(),
            request_url: request.url.clone(),
            events,
        });
        self.entries.push(m::Entry {
            full_url,
            resource,
            request,
        });
    }

    /// A documented item's resource, updated by its ckisa id.
    fn push_item(
        &mut self,
        resource_type: &'static str,
        id: &str,
        resource: m::Resource,
        events: Vec<EventId>,
    ) {
        let request = put(resource_type, ITEM_SYSTEM, id);
        self.push(
            resource_type,
            item_url(resource_type, id),
            resource,
            request,
            events,
        );
    }

    fn display(&self, key: &PatientKey) -> String {
        self.displays
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    fn patient_ref(&self, key: &PatientKey) -> m::Reference {
        let display = Some(self.display(key));
        if let Some(url) = self.patient_urls.get(key) {
            return m::Reference {
                reference: Some(url.clone()),
                display,
                ..m::Reference::default()
            };
        }
        match patient_form(key) {
            KeyForm::Assigned { authority, value } if plain(authority) && plain(value) => {
                m::Reference {
                    reference: Some(format!(
                        "Patient?identifier={}|{}",
                        percent(authority),
                        percent(value)
                    )),
                    display,
                    ..m::Reference::default()
                }
            }
            KeyForm::Fhir { id } => m::Reference {
                reference: Some(format!("Patient/{id}")),
                display,
                ..m::Reference::default()
            },
            _ => m::Reference {
                identifier: Some(identifier(PATIENT_SYSTEM, key.as_str())),
                display,
                ..m::Reference::default()
            },
        }
    }

    fn encounter_ref(&self, key: &EncounterKey) -> m::Reference {
        if let Some(url) = self.encounter_urls.get(key) {
            return reference(url.clone());
        }
        match encounter_form(key) {
            KeyForm::Assigned { authority, value } if plain(authority) && plain(value) => {
                reference(format!(
                    "Encounter?identifier={}|{}",
                    percent(authority),
                    percent(value)
                ))
            }
            KeyForm::Fhir { id } => reference(format!("Encounter/{id}")),
            _ => m::Reference {
                identifier: Some(identifier(ENCOUNTER_SYSTEM, key.as_str())),
                ..m::Reference::default()
            },
        }
    }

    /// A reference to a documented item: its entry when it is in the bundle,
    /// the HIS's own resource for an id read from FHIR, else a logical
    /// reference by ckisa's id.
    fn item_ref(&self, urls: &HashMap<String, String>, id: &str, kind: &str) -> m::Reference {
        if let Some(url) = urls.get(id) {
            return reference(url.clone());
        }
        if let Some(his_id) = id.strip_prefix(&format!("fhir:{kind}/")) {
            return reference(format!("{kind}/{his_id}"));
        }
        m::Reference {
            identifier: Some(identifier(ITEM_SYSTEM, id)),
            ..m::Reference::default()
        }
    }

    // Patients and stays --------------------------------------------------

    fn patient(&mut self, key: &PatientKey, person: &Person, draft: &PatientDraft<'_>) {
        let mut identifiers = Vec::new();
        let request = match patient_form(key) {
            KeyForm::Assigned { authority, value } => {
                identifiers.push(m::Identifier {
                    kind: Some(v2_type("PI", "Identifiant patient (IPP)")),
                    system: Some(authority.to_owned()),
                    value: value.to_owned(),
                });
                put("Patient", authority, value)
            }
            KeyForm::Fhir { .. } | KeyForm::Own(_) => put("Patient", PATIENT_SYSTEM, key.as_str()),
        };
        identifiers.push(identifier(PATIENT_SYSTEM, key.as_str()));
        // Other IPPs are left out, as in PID-3 (see the HL7 export).
        for other in person
            .identifiers
            .iter()
            .filter(|i| i.kind.as_deref() != Some("PI"))
        {
            let duplicate = identifiers
                .iter()
                .any(|i| i.value == other.value && i.system == other.system);
            if !duplicate {
                identifiers.push(m::Identifier {
                    kind: other.kind.as_deref().map(|k| v2_type(k, k)),
                    system: other.system.clone(),
                    value: other.value.clone(),
                });
            }
        }
        identifiers.extend(draft.events.iter().map(event_identifier));
        let mut name = Vec::new();
        if person.family.is_some() || person.given.is_some() {
            name.push(m::HumanName {
                usage: "usual",
                family: person.family.clone(),
                given: given_names(person.given.as_deref()),
            });
        }
        if let Some(birth) = &person.birth_name {
            name.push(m::HumanName {
                usage: "maiden",
                family: Some(birth.clone()),
                given: given_names(person.given.as_deref()),
            });
        }
        let link = draft
            .survivor
            .map(|survivor| m::PatientLink {
                other: self.patient_ref(survivor),
                kind: "replaced-by",
            })
            .into_iter()
            .collect();
        let patient = m::Patient {
            resource_type: "Patient",
            identifier: identifiers,
            active: draft.survivor.is_none(),
            name,
            telecom: person
                .phones
                .iter()
                .map(|p| m::ContactPoint {
                    system: "phone",
                    value: p.clone(),
                })
                .collect(),
            gender: person.sex.map(gender),
            birth_date: person.birth_date.as_ref().map(Moment::to_iso),
            link,
        };
        let url = self.patient_urls[key].clone();
        self.push(
            "Patient",
            url,
            m::Resource::Patient(Box::new(patient)),
            request,
            draft.events.clone(),
        );
    }

    fn stay(
        &mut self,
        key: &EncounterKey,
        draft: &StayDraft<'_>,
        known: Option<&ckisa_store::StayView>,
    ) {
        let state = StayState::replay(draft, known);
        let mut identifiers = Vec::new();
        let request = match encounter_form(key) {
            KeyForm::Assigned { authority, value } => {
                identifiers.push(m::Identifier {
                    kind: Some(v2_type("VN", "Numéro de venue")),
                    system: Some(authority.to_owned()),
                    value: value.to_owned(),
                });
                put("Encounter", authority, value)
            }
            KeyForm::Fhir { .. } | KeyForm::Own(_) => {
                put("Encounter", ENCOUNTER_SYSTEM, key.as_str())
            }
        };
        identifiers.push(identifier(ENCOUNTER_SYSTEM, key.as_str()));
        identifiers.extend(draft.events.iter().map(event_identifier));
        // One movement id per place, in the order of `location`, so that
        // a reader can tell which movement each place was.
        identifiers.extend(state.places.iter().map(|(_, _, movement)| m::Identifier {
            kind: Some(movement_type(movement.trigger)),
            system: Some(MOVEMENT_SYSTEM.to_owned()),
            value: movement.id.clone(),
        }));
        let count = state.places.len();
        let mut location = Vec::new();
        for (n, (place, since, _)) in state.places.iter().enumerate() {
            let until = state.places.get(n + 1).and_then(|(_, at, _)| *at);
            let current = n + 1 == count && state.status == "in-progress";
            let url = self.places(place);
            location.push(m::EncounterLocation {
                location: m::Reference {
                    reference: Some(url),
                    display: Some(place.unit.clone()),
                    ..m::Reference::default()
                },
                status: if current { "active" } else { "completed" },
                period: period(since.as_ref(), until.as_ref().or(state.ended.as_ref())),
            });
        }
        let participant = state
            .attending
            .as_ref()
            .map(|attending| m::EncounterParticipant {
                kind: vec![m::CodeableConcept {
                    coding: vec![m::Coding {
                        system: Some(
                            "http://terminology.hl7.org/CodeSystem/v3-ParticipationType".to_owned(),
                        ),
                        code: Some("ATND".to_owned()),
                        display: Some("médecin responsable".to_owned()),
                    }],
                    text: None,
                }],
                individual: resource_ref(attending),
            })
            .into_iter()
            .collect();
        let encounter = m::Encounter {
            resource_type: "Encounter",
            identifier: identifiers,
            status: state.status,
            class: encounter_class(&state.class),
            subject: self.patient_ref(&draft.patient),
            participant,
            period: period(state.admitted.as_ref(), state.ended.as_ref()),
            location,
        };
        let url = self.encounter_urls[key].clone();
        self.push(
            "Encounter",
            url,
            m::Resource::Encounter(Box::new(encounter)),
            request,
            draft.events.clone(),
        );
    }

    /// The Location entries of a place (site, unit, room, bed, each part of
    /// the one before), created once per bundle; the deepest one's fullUrl.
    fn places(&mut self, place: &Place) -> String {
        let mut levels = Vec::new();
        if let Some(site) = &place.facility {
            levels.push((site.clone(), "si", "Site"));
        }
        levels.push((place.unit.clone(), "wa", "Unité de soins"));
        if let Some(room) = &place.room {
            levels.push((room.clone(), "ro", "Chambre"));
        }
        if let Some(bed) = &place.bed {
            levels.push((bed.clone(), "bd", "Lit"));
        }
        let mut path = String::new();
        let mut parent: Option<String> = None;
        for (name, code, display) in levels {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(&name);
            let url = stable_uuid(&format!("Location|{path}"));
            if self.locations.insert(url.clone()) {
                let location = m::Location {
                    resource_type: "Location",
                    identifier: vec![identifier(LOCATION_SYSTEM, &path)],
                    name,
                    physical_type: m::CodeableConcept {
                        coding: vec![m::Coding {
                            system: Some(
                                "http://terminology.hl7.org/CodeSystem/location-physical-type"
                                    .to_owned(),
                            ),
                            code: Some(code.to_owned()),
                            display: Some(display.to_owned()),
                        }],
                        text: None,
                    },
                    part_of: parent.clone().map(reference),
                };
                let request = m::Request {
                    method: "POST",
                    url: "Location".to_owned(),
                    if_none_exist: Some(format!("identifier={}", token(LOCATION_SYSTEM, &path))),
                };
                self.push(
                    "Location",
                    url.clone(),
                    m::Resource::Location(Box::new(location)),
                    request,
                    Vec::new(),
                );
            }
            parent = Some(url);
        }
        parent.unwrap_or_default()
    }

    // Clinical items --------------------------------------------------------

    fn observation(&mut self, entry: &Entry, observation: &Observation) {
        let category = match observation.category {
            ObservationCategory::Vital => {
                vec![observation_category("vital-signs", "Signes vitaux")]
            }
            ObservationCategory::Lab => vec![observation_category("laboratory", "Laboratoire")],
            ObservationCategory::Other => Vec::new(),
        };
        let based_on = observation
            .report
            .as_deref()
            .map(|report| self.item_ref(&self.lab_urls, report, "ServiceRequest"))
            .into_iter()
            .collect();
        let mut resource = m::Observation {
            resource_type: "Observation",
            identifier: vec![
                identifier(ITEM_SYSTEM, &observation.id),
                event_identifier(&entry.first_event),
            ],
            based_on,
            status: observation_status(observation.status.as_deref()),
            category,
            code: concept(&observation.code),
            subject: self.patient_ref(&observation.patient),
            encounter: observation
                .encounter
                .as_ref()
                .map(|e| self.encounter_ref(e)),
            effective_date_time: observation.effective.as_ref().map(Moment::to_iso),
            issued: iso_ms(entry.recorded_ms, self.ctx.zone),
            value_quantity: None,
            value_codeable_concept: None,
            value_string: None,
            interpretation: observation
                .interpretation
                .iter()
                .map(|flag| m::CodeableConcept {
                    coding: vec![m::Coding {
                        system: Some(
                            "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
                                .to_owned(),
                        ),
                        code: Some(flag.clone()),
                        display: None,
                    }],
                    text: None,
                })
                .collect(),
            note: observation
                .notes
                .iter()
                .map(|text| m::Annotation { text: text.clone() })
                .collect(),
            reference_range: observation
                .reference_range
                .iter()
                .map(|text| m::ReferenceRange { text: text.clone() })
                .collect(),
            component: Vec::new(),
        };
        match &observation.value {
            ObservationValue::Components(parts) => {
                resource.component = parts
                    .iter()
                    .map(|(code, value)| {
                        let value = value_of(value);
                        m::ObservationComponent {
                            code: concept(code),
                            value_quantity: value.quantity,
                            value_codeable_concept: value.codeable_concept,
                            value_string: value.string,
                        }
                    })
                    .collect();
            }
            value => {
                let value = value_of(value);
                resource.value_quantity = value.quantity;
                resource.value_codeable_concept = value.codeable_concept;
                resource.value_string = value.string;
            }
        }
        self.push_item(
            "Observation",
            &observation.id,
            m::Resource::Observation(Box::new(resource)),
            vec![entry.first_event],
        );
    }

    /// One MedicationRequest per prescription, in its latest state; it
    /// carries every version's event.
    fn medication(&mut self, id: &str, versions: &[(&Entry, &Medication)]) {
        let Some(&(latest_entry, medication)) = versions.last() else {
            return;
        };
        let events: Vec<EventId> = versions.iter().map(|(e, _)| e.first_event).collect();
        let mut identifiers = vec![identifier(ITEM_SYSTEM, id)];
        if let Some((authority, number)) = his_order_number(id, &medication.patient) {
            identifiers.push(m::Identifier {
                kind: Some(v2_type("PLAC", "Numéro de prescription du SIH")),
                system: Some(authority),
                value: number,
            });
        }
        identifiers.extend(events.iter().map(event_identifier));
        let bounds =
            (medication.start.is_some() || medication.end.is_some()).then(|| m::RepeatBounds {
                bounds_period: period(medication.start.as_ref(), medication.end.as_ref())
                    .unwrap_or_default(),
            });
        let timing = (medication.frequency.is_some() || bounds.is_some()).then(|| m::Timing {
            code: medication.frequency.as_ref().map(|f| text_concept(f)),
            repeat: bounds,
        });
        let (dose, dose_text) = dose_of(medication.dose.as_deref());
        let dosage = m::Dosage {
            text: dose_text,
            timing,
            route: medication.route.as_ref().map(|r| text_concept(r)),
            dose_and_rate: dose
                .map(|dose_quantity| m::DoseAndRate { dose_quantity })
                .into_iter()
                .collect(),
        };
        let request = m::MedicationRequest {
            resource_type: "MedicationRequest",
            identifier: identifiers,
            status: match medication.status {
                RecordStatus::Active => "active",
                RecordStatus::Inactive => "stopped",
                RecordStatus::EnteredInError => "entered-in-error",
            },
            intent: "order",
            medication_codeable_concept: concept(&medication.drug),
            subject: self.patient_ref(&medication.patient),
            encounter: medication.encounter.as_ref().map(|e| self.encounter_ref(e)),
            authored_on: iso_ms(latest_entry.recorded_ms, self.ctx.zone),
            requester: medication.prescriber.as_ref().map(resource_ref),
            note: medication
                .note
                .iter()
                .map(|text| m::Annotation { text: text.clone() })
                .collect(),
            dosage_instruction: vec![dosage],
        };
        let url = self.medication_urls[id].clone();
        let put = put("MedicationRequest", ITEM_SYSTEM, id);
        self.push(
            "MedicationRequest",
            url,
            m::Resource::MedicationRequest(Box::new(request)),
            put,
            events,
        );
    }

    fn administration(&mut self, entry: &Entry, administration: &Administration) {
        let (status, reason, dosage) = match &administration.outcome {
            AdministrationOutcome::Given { dose, route } => {
                let (dose, text) = dose_of(Some(dose));
                let dosage = m::AdministrationDosage {
                    text,
                    route: (!route.trim().is_empty()).then(|| text_concept(route)),
                    dose,
                };
                ("completed", None, Some(dosage))
            }
            AdministrationOutcome::NotGiven { reason } => ("not-done", Some(reason), None),
            AdministrationOutcome::Held { reason } => ("on-hold", Some(reason), None),
        };
        let resource = m::MedicationAdministration {
            resource_type: "MedicationAdministration",
            identifier: vec![
                identifier(ITEM_SYSTEM, &administration.id),
                event_identifier(&entry.first_event),
            ],
            extension: administration
                .planned
                .as_ref()
                .map(|planned| m::Extension {
                    url: PLANNED_EXTENSION,
                    value_date_time: Some(planned.to_iso()),
                })
                .into_iter()
                .collect(),
            status,
            status_reason: reason.map(|r| text_concept(r)).into_iter().collect(),
            medication_codeable_concept: concept(&administration.drug),
            subject: self.patient_ref(&administration.patient),
            context: administration
                .encounter
                .as_ref()
                .map(|e| self.encounter_ref(e)),
            effective_date_time: administration.at.to_iso(),
            performer: vec![m::Performer {
                actor: m::Reference {
                    display: Some(administration.by.clone()),
                    ..m::Reference::default()
                },
            }],
            request: m::Reference {
                display: Some(administration.drug.text.clone()),
                ..self.item_ref(
                    &self.medication_urls,
                    &administration.medication,
                    "MedicationRequest",
                )
            },
            note: administration
                .comment
                .iter()
                .map(|text| m::Annotation { text: text.clone() })
                .collect(),
            dosage,
        };
        self.push_item(
            "MedicationAdministration",
            &administration.id,
            m::Resource::MedicationAdministration(Box::new(resource)),
            vec![entry.first_event],
        );
    }

    fn lab_request(&mut self, entry: &Entry, request: &LabRequest) {
        let texts: Vec<&str> = request.tests.iter().map(|t| t.text.as_str()).collect();
        let resource = m::ServiceRequest {
            resource_type: "ServiceRequest",
            identifier: vec![
                identifier(ITEM_SYSTEM, &request.id),
                event_identifier(&entry.first_event),
            ],
            requisition: identifier(ITEM_SYSTEM, &request.id),
            status: "active",
            intent: "order",
            category: vec![m::CodeableConcept {
                coding: vec![m::Coding {
                    system: Some("http://snomed.info/sct".to_owned()),
                    code: Some("108252007".to_owned()),
                    display: Some("Laboratory procedure".to_owned()),
                }],
                text: Some("Biologie".to_owned()),
            }],
            priority: if request.urgent { "urgent" } else { "routine" },
            // One request, one specimen label: the tests asked for are the
            // codings of one code, each with its own display.
            code: m::CodeableConcept {
                coding: request
                    .tests
                    .iter()
                    .map(|test| m::Coding {
                        system: test.system.as_deref().map(fhir_system),
                        code: test.code.clone(),
                        display: Some(test.text.clone()),
                    })
                    .collect(),
                text: Some(texts.join(" + ")),
            },
            subject: self.patient_ref(&request.patient),
            encounter: request.encounter.as_ref().map(|e| self.encounter_ref(e)),
            occurrence_date_time: request.sampled_at.to_iso(),
            authored_on: iso_ms(entry.recorded_ms, self.ctx.zone),
            requester: resource_ref(&request.requester),
            // The sample is taken in the requesting unit.
            location_code: vec![text_concept(&request.unit)],
            specimen: vec![m::Reference {
                display: Some(request.specimen.clone()),
                ..m::Reference::default()
            }],
            note: request
                .comment
                .iter()
                .map(|text| m::Annotation { text: text.clone() })
                .collect(),
        };
        self.push_item(
            "ServiceRequest",
            &request.id,
            m::Resource::ServiceRequest(Box::new(resource)),
            vec![entry.first_event],
        );
    }

    fn note(&mut self, entry: &Entry, note: &NursingNote) {
        let parts = [
            ("Données", &note.data),
            ("Actions", &note.actions),
            ("Résultats", &note.results),
        ];
        let mut category = vec![note_category("transmission-ciblee", "Transmission ciblée")];
        if note.for_handover {
            category.push(note_category("releve", "À lire à la relève"));
        }
        let resource = m::DocumentReference {
            resource_type: "DocumentReference",
            text: m::Narrative {
                status: "generated",
                div: narrative(&note.target, &parts),
            },
            identifier: vec![
                identifier(ITEM_SYSTEM, &note.id),
                event_identifier(&entry.first_event),
            ],
            status: "current",
            doc_status: "final",
            kind: m::CodeableConcept {
                coding: vec![m::Coding {
                    system: Some("http://loinc.org".to_owned()),
                    code: Some("34746-8".to_owned()),
                    display: Some("Nurse note".to_owned()),
                }],
                text: Some("Transmission ciblée".to_owned()),
            },
            category,
            subject: self.patient_ref(&note.patient),
            date: note.at.to_iso(),
            author: vec![m::Reference {
                display: Some(note.by.clone()),
                ..m::Reference::default()
            }],
            description: note.target.clone(),
            content: parts
                .iter()
                .map(|(title, text)| m::DocumentContent {
                    attachment: m::Attachment {
                        content_type: "text/plain; charset=utf-8",
                        language: "fr",
                        data: base64(text.as_bytes()),
                        title,
                    },
                })
                .collect(),
            context: m::DocumentContext {
                encounter: note
                    .encounter
                    .as_ref()
                    .map(|e| self.encounter_ref(e))
                    .into_iter()
                    .collect(),
                period: m::Period {
                    start: Some(note.at.to_iso()),
                    end: None,
                },
            },
        };
        self.push_item(
            "DocumentReference",
            &note.id,
            m::Resource::DocumentReference(Box::new(resource)),
            vec![entry.first_event],
        );
    }
}

/// A stay's state after its movements of the window, over what the store
/// knows of it.
struct StayState {
    class: String,
    status: &'static str,
    admitted: Option<Moment>,
    ended: Option<Moment>,
    attending: Option<ResourceRef>,
    /// Places in order, with when the patient got there and the movement
    /// that took them there.
    places: Vec<(Place, Option<Moment>, Movement)>,
}

/// The movement that led to a place: its id (typed, else the documenting
/// event's, as ZBE-1 in HL7 v2) and its HL7 v2 event.
#[derive(Clone)]
struct Movement {
    id: String,
    trigger: &'static str,
}

impl Movement {
    fn new(movement_id: Option<&str>, event: EventId, trigger: &'static str) -> Movement {
        let id = movement_id
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map_or_else(|| event.to_string(), str::to_owned);
        Movement { id, trigger }
    }
}

impl StayState {
    fn replay(draft: &StayDraft<'_>, known: Option<&ckisa_store::StayView>) -> StayState {
        let mut state = StayState {
            class: known
                .and_then(|s| s.class.clone())
                .unwrap_or_else(|| "IMP".to_owned()),
            status: "in-progress",
            admitted: known.and_then(|s| s.admitted_at),
            ended: None,
            attending: None,
            places: Vec::new(),
        };
        for (fact, event) in draft.facts.iter().zip(&draft.events) {
            state.apply(fact, *event);
        }
        state
    }

    fn apply(&mut self, fact: &Fact, event: EventId) {
        match fact {
            Fact::StayUpdated(stay) => {
                self.class = stay.class.clone().unwrap_or_else(|| self.class.clone());
                self.admitted = stay.admitted_at.or(self.admitted);
                self.attending = stay.attending.clone().or(self.attending.take());
                if let Field::Value(place) = &stay.place {
                    let trigger = if stay.in_house { "A01" } else { "A05" };
                    let movement = Movement::new(stay.movement_id.as_deref(), event, trigger);
                    self.places
                        .push((place.clone(), stay.effective_at, movement));
                }
                self.status = if stay.in_house {
                    "in-progress"
                } else {
                    "planned"
                };
            }
            Fact::Transferred {
                to,
                at,
                movement_id,
                ..
            } => {
                let movement = Movement::new(movement_id.as_deref(), event, "A02");
                self.places.push((to.clone(), *at, movement));
                self.status = "in-progress";
            }
            Fact::Discharged { at, .. } => {
                self.ended = *at;
                self.status = "finished";
            }
            Fact::AdmissionCancelled { .. } => self.status = "cancelled",
            Fact::TransferCancelled { back_to, .. } => {
                let left = self.places.pop();
                if let Some(place) = back_to {
                    // The way back is the cancellation's, not the
                    // cancelled transfer's.
                    let movement = Movement::new(None, event, "A12");
                    let at = left.and_then(|(_, at, _)| at);
                    self.places.push((place.clone(), at, movement));
                }
            }
            Fact::DischargeCancelled { place, .. } => {
                self.ended = None;
                self.status = "in-progress";
                if let Some(place) = place {
                    let movement = Movement::new(None, event, "A13");
                    self.places.push((place.clone(), None, movement));
                }
            }
            Fact::LeaveOfAbsence { leave, .. } => {
                self.status = match leave {
                    Leave::Started => "onleave",
                    Leave::Ended => "in-progress",
                };
            }
            _ => {}
        }
    }
}

// Small builders ---------------------------------------------------------------

fn item_url(resource_type: &str, id: &str) -> String {
    stable_uuid(&format!("{resource_type}|{id}"))
}

fn reference(url: String) -> m::Reference {
    m::Reference {
        reference: Some(url),
        ..m::Reference::default()
    }
}

fn identifier(system: &str, value: &str) -> m::Identifier {
    m::Identifier {
        kind: None,
        system: Some(system.to_owned()),
        value: value.to_owned(),
    }
}

fn event_identifier(event: &EventId) -> m::Identifier {
    identifier(EVENT_SYSTEM, &event.to_string())
}

/// An identifier type of HL7 table 0203 (`PI`, `VN`, `PLAC`...).
fn v2_type(code: &str, display: &str) -> m::CodeableConcept {
    m::CodeableConcept {
        coding: vec![m::Coding {
            system: Some("http://terminology.hl7.org/CodeSystem/v2-0203".to_owned()),
            code: Some(code.to_owned()),
            display: Some(display.to_owned()),
        }],
        text: None,
    }
}

/// The type of a movement identifier: its HL7 v2 event (table 0003).
fn movement_type(trigger: &str) -> m::CodeableConcept {
    let display = match trigger {
        "A01" => "admission",
        "A05" => "pré-admission",
        "A02" => "mutation",
        "A12" => "annulation de mutation",
        _ => "annulation de sortie",
    };
    m::CodeableConcept {
        coding: vec![m::Coding {
            system: Some("http://terminology.hl7.org/CodeSystem/v2-0003".to_owned()),
            code: Some(trigger.to_owned()),
            display: Some(display.to_owned()),
        }],
        text: None,
    }
}

fn observation_category(code: &str, display: &str) -> m::CodeableConcept {
    m::CodeableConcept {
        coding: vec![m::Coding {
            system: Some("http://terminology.hl7.org/CodeSystem/observation-category".to_owned()),
            code: Some(code.to_owned()),
            display: Some(display.to_owned()),
        }],
        text: None,
    }
}

fn note_category(code: &str, display: &str) -> m::CodeableConcept {
    m::CodeableConcept {
        coding: vec![m::Coding {
            system: Some(NOTE_CATEGORY_SYSTEM.to_owned()),
            code: Some(code.to_owned()),
            display: Some(display.to_owned()),
        }],
        text: None,
    }
}

fn text_concept(text: &str) -> m::CodeableConcept {
    m::CodeableConcept {
        coding: Vec::new(),
        text: Some(text.to_owned()),
    }
}

/// A code as a CodeableConcept: one coding (system in its FHIR form) and
/// the text.
fn concept(coded: &Coded) -> m::CodeableConcept {
    let coding = (coded.code.is_some() || coded.system.is_some())
        .then(|| m::Coding {
            system: coded.system.as_deref().map(fhir_system),
            code: coded.code.clone(),
            display: None,
        })
        .into_iter()
        .collect();
    m::CodeableConcept {
        coding,
        text: (!coded.text.is_empty()).then(|| coded.text.clone()),
    }
}

/// HL7 v2 coding system names in their FHIR URI form.
fn fhir_system(system: &str) -> String {
    match system {
        "LN" => "http://loinc.org",
        "SCT" | "SNM" => "http://snomed.info/sct",
        "UCUM" => "http://unitsofmeasure.org",
        "ATC" | "WHOATC" => "http://www.whocc.no/atc",
        "I10" | "CIM-10" => "http://hl7.org/fhir/sid/icd-10",
        other => other,
    }
    .to_owned()
}

fn resource_ref(person: &ResourceRef) -> m::Reference {
    m::Reference {
        reference: person.reference.clone(),
        identifier: person.identifier.as_ref().map(|i| m::Identifier {
            kind: i.kind.as_deref().map(|k| v2_type(k, k)),
            system: i.system.clone(),
            value: i.value.clone(),
        }),
        display: person.display.clone(),
    }
}

fn period(start: Option<&Moment>, end: Option<&Moment>) -> Option<m::Period> {
    (start.is_some() || end.is_some()).then(|| m::Period {
        start: start.map(Moment::to_iso),
        end: end.map(Moment::to_iso),
    })
}

/// `Encounter.class` in the v3 ActCode system, from an HL7 v2 patient
/// class (table 0004) or an ActCode already; another code is kept as is,
/// without a system.
fn encounter_class(class: &str) -> m::Coding {
    let code = match class {
        "I" | "B" => "IMP",
        "E" => "EMER",
        "O" | "R" => "AMB",
        "P" => "PRENC",
        other => other,
    };
    let known = matches!(
        code,
        "IMP" | "EMER" | "AMB" | "PRENC" | "ACUTE" | "NONAC" | "SS" | "HH" | "VR" | "OBSENC"
    );
    m::Coding {
        system: known.then(|| "http://terminology.hl7.org/CodeSystem/v3-ActCode".to_owned()),
        code: Some(code.to_owned()),
        display: None,
    }
}

fn given_names(given: Option<&str>) -> Vec<String> {
    given
        .map(|g| g.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn gender(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "female",
        Sex::Male => "male",
        Sex::Other => "other",
        Sex::Unknown => "unknown",
    }
}

fn observation_status(status: Option<&str>) -> &'static str {
    match status.map(str::trim) {
        Some("preliminary" | "P" | "I") => "preliminary",
        Some("registered") => "registered",
        Some("corrected" | "C") => "corrected",
        Some("amended") => "amended",
        Some("cancelled" | "X") => "cancelled",
        Some("entered-in-error" | "W") => "entered-in-error",
        _ => "final",
    }
}

/// An observation value as `value[x]`.
fn value_of(value: &ObservationValue) -> m::Value {
    let mut out = m::Value::default();
    match value {
        ObservationValue::Quantity { value, unit } => {
            match quantity(value).filter(|(_, _, words)| words.is_none()) {
                Some((comparator, number, _)) => {
                    out.quantity = Some(m::Quantity {
                        value: m::Decimal::new(number),
                        comparator,
                        unit: unit.clone(),
                    });
                }
                None => {
                    out.string = Some(match unit {
                        Some(unit) => format!("{value} {unit}"),
                        None => value.clone(),
                    });
                }
            }
        }
        ObservationValue::Text(text) => out.string = Some(text.clone()),
        ObservationValue::Coded(coded) => out.codeable_concept = Some(concept(coded)),
        ObservationValue::Document { .. } => {
            out.string = Some("document joint non transmis (voir ckisa)".to_owned());
        }
        ObservationValue::Components(_) | ObservationValue::None => {}
    }
    out
}

/// A dose as a quantity, or as words when it is not a number and a unit.
fn dose_of(dose: Option<&str>) -> (Option<m::Quantity>, Option<String>) {
    let Some(dose) = dose.filter(|d| !d.trim().is_empty()) else {
        return (None, None);
    };
    match quantity(dose) {
        Some((comparator, number, unit)) => (
            Some(m::Quantity {
                value: m::Decimal::new(number),
                comparator,
                unit,
            }),
            None,
        ),
        None => (None, Some(dose.to_owned())),
    }
}

/// A conditional update by identifier.
fn put(resource_type: &str, system: &str, value: &str) -> m::Request {
    m::Request {
        method: "PUT",
        url: format!("{resource_type}?identifier={}", token(system, value)),
        if_none_exist: None,
    }
}

/// `system|value` for a token search: the value's `\ | , $` escaped with a
/// backslash (FHIR R4 search, "Escaping Search Parameters"), both parts
/// percent-encoded, the separating `|` kept.
fn token(system: &str, value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '|' | ',' | '$') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    format!("{}|{}", percent(system), percent(&escaped))
}

/// Whether a value needs no search escaping (usable in a conditional
/// reference, which some servers do not unescape).
fn plain(text: &str) -> bool {
    !text.contains(['\\', '|', ',', '$'])
}

/// Percent-encoding of everything but RFC 3986 unreserved characters.
fn percent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Standard Base64 (RFC 4648 section 4) with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                let index = (group >> (18 - 6 * i)) & 0x3F;
                out.push(char::from(ALPHABET[index as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The note as XHTML for people reading the resource.
fn narrative(target: &str, parts: &[(&str, &String)]) -> String {
    let mut div = String::from("<div xmlns=\"http://www.w3.org/1999/xhtml\">");
    div.push_str(&format!("<p><b>Cible :</b> {}</p>", xhtml(target)));
    for (title, text) in parts {
        div.push_str(&format!("<p><b>{title} :</b> {}</p>", xhtml(text)));
    }
    div.push_str("</div>");
    div
}

fn xhtml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("<br/>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Event-clock milliseconds as ISO 8601 with the offset of `zone`.
fn iso_ms(ms: i64, zone: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(zone.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (text, encoded) in cases {
            assert_eq!(base64(text.as_bytes()), encoded, "{text}");
        }
    }

    #[test]
    fn search_tokens_escape_separators_and_encode_the_rest() {
        assert_eq!(
            token(ITEM_SYSTEM, "adm-1"),
            "https%3A%2F%2Fckisa.fr%2Fid%2Fitem|adm-1"
        );
        assert_eq!(token("H", "a|b,c"), "H|a%5C%7Cb%5C%2Cc");
        assert!(plain("99000001"));
        assert!(!plain("a|b"));
    }

    #[test]
    fn narratives_escape_markup() {
        let data = String::from("<b>&\"x\"\nsuite");
        let div = narrative("Douleur", &[("Données", &data)]);
        assert!(
            div.contains("&lt;b&gt;&amp;&quot;x&quot;<br/>suite"),
            "{div}"
        );
    }
}
