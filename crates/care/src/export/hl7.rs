//! HL7 v2.5 messages, one per documented item, written with the ckisa-hl7
//! writer (every value escaped with the message's delimiters, so a note
//! holding `|^~\&` or line breaks stays one value).
//!
//! | item | message | where ckisa's id goes |
//! |---|---|---|
//! | typed identity | `ADT^A28` | PID-3 (the key as IPP, and the key under `CKISA` type `RI`) |
//! | admission (pre-admission) | `ADT^A01` (`ADT^A05`) + PAM FR ZBE | PV1-19, ZBE-1 the movement |
//! | transfer, discharge | `ADT^A02`, `ADT^A03` + ZBE | PV1-19, ZBE-1 the movement |
//! | cancellations, leave | `ADT^A11`, `A12`, `A13`, `A21`, `A22` | PV1-19 |
//! | identity matched | `ADT^A40` (PID survivor, MRG provisional) | MRG-1 |
//! | vitals, results | `ORU^R01`, OBX-11 `F`, category in OBR-24 (`NRS`, `LAB`) | OBX-21 |
//! | prescription, change, stop | `RDE^O11`, ORC-1 `NW`, `XO`, `DC`, `DE` | ORC-2 |
//! | administration | `RAS^O17`, RXA-20 `CP` / `NA`, RXA-18 reason | ORC-3 |
//! | lab request | `OML^O21`, one ORC/OBR per test, TQ1-9 priority, SPM-4 | ORC-4 |
//! | nursing note | `MDM^T02`, TXA + one OBX TX per part | TXA-12 |
//!
//! A not-given dose has RXA-18 `NONDONNE^<reason>^L`, a held one
//! `DIFFERE^<reason>^L`, both with RXA-20 `NA`. The planned time of a dose
//! is an OBX `HEURE-PREVUE` after the RXA. MSH-7 is the time the item was
//! documented, so that the same version always gives the same message.

use ckisa_domain::{
    Actor, AdministrationOutcome, CareFact, Coded, EncounterKey, Fact, Field, LabRequest,
    Medication, MedicationKind, Moment, NursingNote, Observation, ObservationCategory,
    ObservationValue, PatientKey, Place, Precision, RecordStatus, ResourceRef, Sex, StayUpdate,
};
use ckisa_hl7::{Delimiters, MessageWriter};

use super::people::{KeyForm, People, Person, encounter_form, his_order_number, patient_form};
use super::{
    ExportContext, ExportError, HL7_NAMESPACE, ItemKind, Skipped, Window, control_id, documented,
    quantity,
};
use crate::book::{CareBook, Entry};

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hl7Message {
    /// The event that documented the item.
    pub event: ckisa_domain::EventId,
    /// The item's kind.
    pub kind: ItemKind,
    /// MSH-9 without its structure, e.g. `ADT^A01`.
    pub message_type: &'static str,
    /// MSH-10.
    pub control_id: String,
    /// The message, segments ended by CR.
    pub text: String,
}

/// The messages of a window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hl7Export {
    /// One message per exported item, in the order the items were
    /// documented.
    pub messages: Vec<Hl7Message>,
    /// Items left out, with why.
    pub skipped: Vec<Skipped>,
}

impl Hl7Export {
    /// The messages as one file: each message's segments end with CR, and
    /// a LF follows each message (what `ckisa ingest` and most interface
    /// engines split on). Not an FHS/BHS batch.
    pub fn file_text(&self) -> String {
        let size = self.messages.iter().map(|m| m.text.len() + 1).sum();
        let mut out = String::with_capacity(size);
        for message in &self.messages {
            out.push_str(&message.text);
            out.push('\n');
        }
        out
    }
}

/// Writes one HL7 v2.5 message per documented item of `window`.
pub fn hl7_messages(
    book: &CareBook,
    window: Window,
    ctx: &ExportContext<'_>,
) -> Result<Hl7Export, ExportError> {
    let mut people = People::new(book, ctx.store);
    let mut export = Hl7Export::default();
    for entry in documented(book, window) {
        let kind = ItemKind::of(&entry.fact);
        let mut out = Out {
            entry,
            ctx,
            people: &mut people,
            segments: Vec::new(),
        };
        match out.item()? {
            Ok(message_type) => export.messages.push(Hl7Message {
                event: entry.first_event,
                kind,
                message_type,
                control_id: control_id(entry.first_event, entry.event),
                text: out.finish(message_type),
            }),
            Err(reason) => export.skipped.push(Skipped {
                event: entry.first_event,
                kind,
                reason: reason.to_owned(),
            }),
        }
    }
    Ok(export)
}

/// One segment being built: fields by HL7 number, each a list of
/// repetitions of components (escaped when written).
struct Seg {
    name: &'static str,
    fields: Vec<Vec<Vec<String>>>,
}

impl Seg {
    fn new(name: &'static str) -> Seg {
        Seg {
            name,
            fields: Vec::new(),
        }
    }

    /// Sets field `n` to these repetitions.
    fn reps(&mut self, n: usize, reps: Vec<Vec<String>>) -> &mut Seg {
        // MSH-1 and MSH-2 are written by the writer itself.
        let first = if self.name == "MSH" { 3 } else { 1 };
        let index = n - first;
        if self.fields.len() <= index {
            self.fields.resize(index + 1, Vec::new());
        }
        self.fields[index] = reps;
        self
    }

    /// Sets field `n` to one repetition of components; trailing empty
    /// components are left out, an all-empty list leaves the field empty.
    fn comps(&mut self, n: usize, mut comps: Vec<String>) -> &mut Seg {
        while comps.last().is_some_and(String::is_empty) {
            comps.pop();
        }
        if comps.is_empty() {
            return self;
        }
        self.reps(n, vec![comps])
    }

    /// Sets field `n` to a text, left empty when the text is.
    fn text(&mut self, n: usize, text: impl Into<String>) -> &mut Seg {
        self.comps(n, vec![text.into()])
    }

    /// Sets field `n` when there is a value.
    fn opt(&mut self, n: usize, text: Option<String>) -> &mut Seg {
        match text {
            Some(text) => self.text(n, text),
            None => self,
        }
    }

    fn write(&self, writer: &mut MessageWriter) {
        let mut segment = if self.name == "MSH" {
            writer.msh()
        } else {
            writer.segment(self.name)
        };
        for field in &self.fields {
            let reps: Vec<Vec<&str>> = field
                .iter()
                .map(|comps| comps.iter().map(String::as_str).collect())
                .collect();
            let refs: Vec<&[&str]> = reps.iter().map(Vec::as_slice).collect();
            segment.repetitions(&refs);
        }
    }
}

/// One item's message being written.
struct Out<'o, 'a> {
    entry: &'o Entry,
    ctx: &'o ExportContext<'a>,
    people: &'o mut People<'a>,
    segments: Vec<Seg>,
}

/// The message type written, or why the item is not exported.
type Written = Result<&'static str, &'static str>;

impl Out<'_, '_> {
    /// The whole message text with its header.
    fn finish(self, message_type: &'static str) -> String {
        let mut writer = MessageWriter::new(Delimiters::default());
        let (code, trigger) = message_type.split_once('^').unwrap_or((message_type, ""));
        let mut msh = Seg::new("MSH");
        msh.text(3, HL7_NAMESPACE)
            .text(4, self.ctx.node)
            .text(5, "SIH")
            .text(7, ms_ts(self.entry.recorded_ms, self.ctx.zone))
            .comps(
                9,
                vec![code.into(), trigger.into(), structure(message_type).into()],
            )
            .text(10, control_id(self.entry.first_event, self.entry.event))
            .text(11, "P")
            .text(12, "2.5")
            .text(15, "AL")
            .text(16, "NE")
            .text(17, "FRA")
            .text(18, "UNICODE UTF-8");
        msh.write(&mut writer);
        for segment in &self.segments {
            segment.write(&mut writer);
        }
        writer.finish()
    }

    fn item(&mut self) -> Result<Written, ExportError> {
        let entry = self.entry;
        match &entry.fact {
            CareFact::Entered(inner) => self.entered(inner),
            CareFact::Administered(administration) => self.administration(administration),
            CareFact::Note(note) => self.note(note),
            CareFact::LabRequested(request) => self.lab_request(request),
            CareFact::Reviewed(_) => Ok(Err(
                "validation pharmaceutique : propre au nœud, non transmise au SIH",
            )),
            CareFact::Reconciled(_) => Ok(Err("marque de rapprochement : non transmise")),
        }
    }

    fn entered(&mut self, fact: &Fact) -> Result<Written, ExportError> {
        Ok(Ok(match fact {
            Fact::PatientUpdated(update) => {
                self.evn("A28", None);
                let person = super::people::Person::from_update(update);
                self.pid(&update.patient, &person);
                self.own_identity(&update.patient);
                let mut pv1 = Seg::new("PV1");
                pv1.text(1, "1").text(2, "N");
                self.segments.push(pv1);
                "ADT^A28"
            }
            Fact::StayUpdated(stay) => return self.stay(stay),
            Fact::Transferred {
                encounter,
                patient,
                to,
                at,
                movement_id,
            } => {
                self.movement("A02", patient, encounter, at.as_ref(), movement_id)?;
                self.pv1_place(Field::Value(to.clone()));
                "ADT^A02"
            }
            Fact::Discharged {
                encounter,
                patient,
                at,
            } => {
                self.movement("A03", patient, encounter, at.as_ref(), &None)?;
                if let (Some(pv1), Some(at)) = (self.segment("PV1"), at) {
                    pv1.text(45, ts(at));
                }
                "ADT^A03"
            }
            Fact::AdmissionCancelled { encounter, patient } => {
                self.movement("A11", patient, encounter, None, &None)?;
                "ADT^A11"
            }
            Fact::TransferCancelled {
                encounter,
                patient,
                back_to,
            } => {
                self.movement("A12", patient, encounter, None, &None)?;
                if let Some(place) = back_to {
                    self.pv1_place(Field::Value(place.clone()));
                }
                "ADT^A12"
            }
            Fact::DischargeCancelled {
                encounter,
                patient,
                place,
            } => {
                self.movement("A13", patient, encounter, None, &None)?;
                if let Some(place) = place {
                    self.pv1_place(Field::Value(place.clone()));
                }
                "ADT^A13"
            }
            Fact::LeaveOfAbsence {
                encounter,
                patient,
                leave,
            } => {
                let trigger = match leave {
                    ckisa_domain::Leave::Started => "A21",
                    ckisa_domain::Leave::Ended => "A22",
                };
                self.movement(trigger, patient, encounter, None, &None)?;
                if trigger == "A21" {
                    "ADT^A21"
                } else {
                    "ADT^A22"
                }
            }
            Fact::PatientsMerged { survivor, merged } => {
                self.evn("A40", None);
                let person = self.people.person(survivor)?;
                self.pid(survivor, &person);
                let mut mrg = Seg::new("MRG");
                mrg.reps(1, vec![patient_cx(merged)]);
                self.segments.push(mrg);
                "ADT^A40"
            }
            Fact::ObservationRecorded(observation) => return self.observation(observation),
            Fact::MedicationRecorded(medication) if medication.kind == MedicationKind::Order => {
                return self.medication(medication);
            }
            Fact::MedicationRecorded(_) => {
                return Ok(Err("déclaration de traitement habituel : non exportée"));
            }
            Fact::DietRecorded(_) => {
                return Ok(Err("régime : pas encore exporté (ODS / NutritionOrder)"));
            }
            Fact::EncounterMoved { .. } => {
                return Ok(Err(
                    "séjour rattaché à un autre patient (A44) : non exporté",
                ));
            }
            _ => return Ok(Err("saisie d'un type non exporté")),
        }))
    }

    // Segments shared by several messages -------------------------------

    fn segment(&mut self, name: &str) -> Option<&mut Seg> {
        self.segments.iter_mut().find(|s| s.name == name)
    }

    /// EVN: the trigger, when the item was documented, by whom, and when
    /// the event itself took place.
    fn evn(&mut self, trigger: &str, occurred: Option<&Moment>) {
        let mut evn = Seg::new("EVN");
        evn.text(1, trigger)
            .text(2, ms_ts(self.entry.recorded_ms, self.ctx.zone))
            .comps(5, operator(&self.entry.actor, None))
            .opt(6, occurred.map(ts));
        self.segments.push(evn);
    }

    /// PID: the key first (PID-3, type PI), then the identifiers of other
    /// kinds (INS...); usual name (D) and birth name (L); birth date; sex.
    /// Other IPPs are left out: after a merge the store lists the
    /// provisional one under the real record too.
    fn pid(&mut self, key: &PatientKey, person: &Person) {
        let mut ids = vec![patient_cx(key)];
        for identifier in person
            .identifiers
            .iter()
            .filter(|i| i.kind.as_deref() != Some("PI"))
        {
            let cx = vec![
                identifier.value.clone(),
                String::new(),
                String::new(),
                identifier.system.clone().unwrap_or_default(),
                identifier.kind.clone().unwrap_or_default(),
            ];
            if cx[0] != ids[0][0] || cx[3] != ids[0][3] {
                ids.push(trimmed(cx));
            }
        }
        let mut names = Vec::new();
        if person.family.is_some() || person.given.is_some() {
            names.push(xpn(person.family.as_deref(), person.given.as_deref(), "D"));
        }
        if let Some(birth) = &person.birth_name {
            names.push(xpn(Some(birth), person.given.as_deref(), "L"));
        }
        let mut pid = Seg::new("PID");
        pid.text(1, "1")
            .reps(3, ids)
            .reps(5, names)
            .opt(7, person.birth_date.as_ref().map(ts))
            .opt(8, person.sex.map(|s| sex_code(s).to_owned()));
        self.segments.push(pid);
    }

    /// Marks the PID as an identity typed on the node: the patient key once
    /// more under ckisa's namespace, type `RI`, unless PID-3 already names
    /// the key there. A reader (ckisa itself) takes such a message back as
    /// the typed identity, confirmed by the HIS.
    fn own_identity(&mut self, key: &PatientKey) {
        let Some(pid) = self.segment("PID") else {
            return;
        };
        let Some(ids) = pid.fields.get_mut(2) else {
            return;
        };
        let named = ids.iter().any(|cx| {
            cx.first().map(String::as_str) == Some(key.as_str())
                && cx.get(3).map(String::as_str) == Some(HL7_NAMESPACE)
        });
        if !named {
            ids.push(vec![
                key.as_str().to_owned(),
                String::new(),
                String::new(),
                HL7_NAMESPACE.to_owned(),
                "RI".to_owned(),
            ]);
        }
    }

    /// PID of a patient read from the typed identity or the store.
    fn patient(&mut self, key: &PatientKey) -> Result<(), ExportError> {
        let person = self.people.person(key)?;
        self.pid(key, &person);
        Ok(())
    }

    /// PV1 naming the stay (PV1-19) with the class the store knows.
    fn visit(&mut self, patient: &PatientKey, encounter: &EncounterKey) -> Result<(), ExportError> {
        let class = self
            .people
            .class(patient, encounter)?
            .unwrap_or_else(|| "U".to_owned());
        let mut pv1 = Seg::new("PV1");
        pv1.text(1, "1")
            .text(2, class)
            .reps(19, vec![visit_cx(encounter)]);
        self.segments.push(pv1);
        Ok(())
    }

    fn pv1_place(&mut self, place: Field<Place>) {
        if let Some(pv1) = self.segment("PV1") {
            match place {
                Field::Value(place) => {
                    pv1.comps(3, pl(&place));
                }
                Field::Null => {
                    pv1.text(3, "\"\"");
                }
                Field::Absent => {}
            }
        }
    }

    /// EVN, PID, PV1 and ZBE of a movement of an existing stay.
    fn movement(
        &mut self,
        trigger: &str,
        patient: &PatientKey,
        encounter: &EncounterKey,
        at: Option<&Moment>,
        movement_id: &Option<String>,
    ) -> Result<(), ExportError> {
        self.evn(trigger, at);
        self.patient(patient)?;
        self.visit(patient, encounter)?;
        self.zbe(at, movement_id);
        Ok(())
    }

    /// The IHE PAM FR movement segment: its id under ckisa's namespace (the
    /// one typed, else the documenting event: the movement's key in the
    /// care book, see [`crate::book::item_key`]), time and action.
    fn zbe(&mut self, at: Option<&Moment>, movement_id: &Option<String>) {
        let id = movement_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map_or_else(|| self.entry.first_event.to_string(), str::to_owned);
        let mut zbe = Seg::new("ZBE");
        zbe.comps(1, vec![id, HL7_NAMESPACE.to_owned()])
            .opt(2, at.map(ts))
            .text(4, "INSERT")
            .text(5, "N");
        self.segments.push(zbe);
    }

    // Messages -----------------------------------------------------------

    fn stay(&mut self, stay: &StayUpdate) -> Result<Written, ExportError> {
        let trigger = if stay.in_house { "A01" } else { "A05" };
        self.evn(trigger, stay.effective_at.as_ref());
        self.patient(&stay.patient)?;
        let mut pv1 = Seg::new("PV1");
        pv1.text(1, "1")
            .text(2, stay.class.clone().unwrap_or_else(|| "I".to_owned()))
            .reps(19, vec![visit_cx(&stay.encounter)])
            .opt(44, stay.admitted_at.as_ref().map(ts));
        if let Some(attending) = &stay.attending {
            pv1.comps(7, xcn(attending));
        }
        self.segments.push(pv1);
        self.pv1_place(stay.place.clone());
        self.zbe(stay.effective_at.as_ref(), &stay.movement_id);
        Ok(Ok(if stay.in_house { "ADT^A01" } else { "ADT^A05" }))
    }

    fn observation(&mut self, observation: &Observation) -> Result<Written, ExportError> {
        self.patient(&observation.patient)?;
        if let Some(encounter) = &observation.encounter {
            self.visit(&observation.patient, encounter)?;
        }
        let section = match observation.category {
            ObservationCategory::Vital => "NRS",
            ObservationCategory::Lab => "LAB",
            ObservationCategory::Other => "OTH",
        };
        let mut obr = Seg::new("OBR");
        obr.text(1, "1")
            .comps(4, cwe(&observation.code))
            .opt(7, observation.effective.as_ref().map(ts))
            .text(24, section)
            .text(25, result_status(observation.status.as_deref()));
        if let Some(report) = &observation.report {
            obr.comps(2, vec![report.clone(), HL7_NAMESPACE.to_owned()]);
        }
        self.segments.push(obr);
        let parts: Vec<(&Coded, &ObservationValue)> = match &observation.value {
            ObservationValue::Components(parts) => parts
                .iter()
                .map(|(code, value)| (code, value.as_ref()))
                .collect(),
            value => vec![(&observation.code, value)],
        };
        let several = parts.len() > 1;
        for (n, (code, value)) in parts.into_iter().enumerate() {
            let mut obx = obx_value(n + 1, code, value);
            if several {
                obx.text(4, (n + 1).to_string());
            }
            obx.opt(7, observation.reference_range.clone())
                .text(11, result_status(observation.status.as_deref()))
                .opt(14, observation.effective.as_ref().map(ts))
                .comps(21, vec![observation.id.clone(), HL7_NAMESPACE.to_owned()]);
            if let Some(flags) = &observation.interpretation {
                let reps = flags
                    .split(',')
                    .map(|f| vec![f.trim().to_owned()])
                    .collect();
                obx.reps(8, reps);
            }
            self.segments.push(obx);
        }
        for (n, note) in observation.notes.iter().enumerate() {
            let mut nte = Seg::new("NTE");
            nte.text(1, (n + 1).to_string()).text(3, note.clone());
            self.segments.push(nte);
        }
        Ok(Ok("ORU^R01"))
    }

    fn medication(&mut self, medication: &Medication) -> Result<Written, ExportError> {
        self.patient(&medication.patient)?;
        if let Some(encounter) = &medication.encounter {
            self.visit(&medication.patient, encounter)?;
        }
        let his_order = his_order_number(&medication.id, &medication.patient);
        let from_his = his_order.is_some() || medication.id.starts_with("fhir:");
        let control = match medication.status {
            RecordStatus::Inactive => "DC",
            RecordStatus::EnteredInError => "DE",
            RecordStatus::Active if from_his => "XO",
            RecordStatus::Active => "NW",
        };
        let placer = match his_order {
            Some((authority, number)) => vec![number, authority],
            None => vec![medication.id.clone(), HL7_NAMESPACE.to_owned()],
        };
        let mut orc = Seg::new("ORC");
        orc.text(1, control)
            .comps(2, placer)
            .text(9, ms_ts(self.entry.recorded_ms, self.ctx.zone));
        if let Some(prescriber) = &medication.prescriber {
            orc.comps(12, xcn(prescriber));
        }
        self.segments.push(orc);
        let mut tq1 = Seg::new("TQ1");
        tq1.text(1, "1")
            .opt(3, medication.frequency.clone())
            .opt(7, medication.start.as_ref().map(ts))
            .opt(8, medication.end.as_ref().map(ts));
        self.segments.push(tq1);
        let mut rxe = Seg::new("RXE");
        rxe.comps(2, cwe(&medication.drug));
        match medication.dose.as_deref().map(|d| (d, quantity(d))) {
            Some((_, Some((None, amount, unit)))) => {
                rxe.text(3, amount).opt(5, unit);
            }
            // A dose that is not a number and a unit keeps its words as
            // the units' text, for a person to read.
            Some((text, _)) => {
                rxe.comps(5, vec![String::new(), text.to_owned()]);
            }
            None => {}
        }
        self.segments.push(rxe);
        if let Some(note) = &medication.note {
            let mut nte = Seg::new("NTE");
            nte.text(1, "1").text(3, note.clone());
            self.segments.push(nte);
        }
        if let Some(route) = &medication.route {
            let mut rxr = Seg::new("RXR");
            rxr.text(1, route.clone());
            self.segments.push(rxr);
        }
        Ok(Ok("RDE^O11"))
    }

    fn administration(
        &mut self,
        administration: &ckisa_domain::Administration,
    ) -> Result<Written, ExportError> {
        self.patient(&administration.patient)?;
        if let Some(encounter) = &administration.encounter {
            self.visit(&administration.patient, encounter)?;
        }
        let placer = match his_order_number(&administration.medication, &administration.patient) {
            Some((authority, number)) => vec![number, authority],
            None => vec![administration.medication.clone(), HL7_NAMESPACE.to_owned()],
        };
        let mut orc = Seg::new("ORC");
        orc.text(1, "RE")
            .comps(2, placer)
            .comps(3, vec![administration.id.clone(), HL7_NAMESPACE.to_owned()]);
        self.segments.push(orc);

        let at = ts(&administration.at);
        let mut rxa = Seg::new("RXA");
        rxa.text(1, "0")
            .text(2, "1")
            .text(3, at.clone())
            .text(4, at)
            .comps(5, cwe(&administration.drug))
            .comps(10, operator(&self.entry.actor, Some(&administration.by)))
            .text(21, "A");
        if let Some(comment) = &administration.comment {
            rxa.comps(9, vec![String::new(), comment.clone()]);
        }
        let route = match &administration.outcome {
            AdministrationOutcome::Given { dose, route } => {
                match quantity(dose) {
                    Some((None, amount, unit)) => {
                        rxa.text(6, amount).opt(7, unit);
                    }
                    // RXA-6 is required: 999 says "amount unknown" (HL7
                    // v2.5 4A.4.7), the dose's words follow as the units.
                    _ => {
                        rxa.text(6, "999")
                            .comps(7, vec![String::new(), dose.clone()]);
                    }
                }
                rxa.text(20, "CP");
                Some(route)
            }
            AdministrationOutcome::NotGiven { reason } => {
                rxa.text(6, "0")
                    .comps(18, vec!["NONDONNE".into(), reason.clone(), "L".into()])
                    .text(20, "NA");
                None
            }
            AdministrationOutcome::Held { reason } => {
                rxa.text(6, "0")
                    .comps(18, vec!["DIFFERE".into(), reason.clone(), "L".into()])
                    .text(20, "NA");
                None
            }
        };
        self.segments.push(rxa);
        if let Some(route) = route.filter(|r| !r.trim().is_empty()) {
            let mut rxr = Seg::new("RXR");
            rxr.text(1, route.clone());
            self.segments.push(rxr);
        }
        if let Some(planned) = &administration.planned {
            let mut obx = Seg::new("OBX");
            obx.text(1, "1")
                .text(2, "DTM")
                .comps(
                    3,
                    vec!["HEURE-PREVUE".into(), "Heure prévue".into(), "L".into()],
                )
                .text(5, ts(planned))
                .text(11, "F");
            self.segments.push(obx);
        }
        Ok(Ok("RAS^O17"))
    }

    fn note(&mut self, note: &NursingNote) -> Result<Written, ExportError> {
        self.evn("T02", Some(&note.at));
        self.patient(&note.patient)?;
        if let Some(encounter) = &note.encounter {
            self.visit(&note.patient, encounter)?;
        }
        let mut txa = Seg::new("TXA");
        txa.text(1, "1")
            .comps(
                2,
                vec!["34746-8".into(), "Transmission ciblée".into(), "LN".into()],
            )
            .text(3, "TX")
            .text(4, ts(&note.at))
            .comps(5, operator(&self.entry.actor, Some(&note.by)))
            .comps(12, vec![note.id.clone(), HL7_NAMESPACE.to_owned()])
            .text(17, "AU");
        self.segments.push(txa);
        let parts = [
            ("CIBLE", "Cible", &note.target),
            ("DONNEES", "Données", &note.data),
            ("ACTIONS", "Actions", &note.actions),
            ("RESULTATS", "Résultats", &note.results),
        ];
        for (n, (code, label, text)) in parts.into_iter().enumerate() {
            let mut obx = Seg::new("OBX");
            obx.text(1, (n + 1).to_string())
                .text(2, "TX")
                .comps(3, vec![code.into(), label.into(), "L".into()])
                .text(5, text.clone())
                .text(11, "F");
            self.segments.push(obx);
        }
        let mut handover = Seg::new("OBX");
        handover
            .text(1, "5")
            .text(2, "ID")
            .comps(
                3,
                vec!["RELEVE".into(), "À lire à la relève".into(), "L".into()],
            )
            .text(5, if note.for_handover { "Y" } else { "N" })
            .text(11, "F");
        self.segments.push(handover);
        Ok(Ok("MDM^T02"))
    }

    fn lab_request(&mut self, request: &LabRequest) -> Result<Written, ExportError> {
        if request.tests.is_empty() {
            return Ok(Err("demande d'examen sans examen : rien à transmettre"));
        }
        self.patient(&request.patient)?;
        if let Some(encounter) = &request.encounter {
            self.visit(&request.patient, encounter)?;
        }
        let group = vec![request.id.clone(), HL7_NAMESPACE.to_owned()];
        for (n, test) in request.tests.iter().enumerate() {
            let placer = vec![
                format!("{}.{}", request.id, n + 1),
                HL7_NAMESPACE.to_owned(),
            ];
            let mut orc = Seg::new("ORC");
            orc.text(1, "NW")
                .comps(2, placer.clone())
                .comps(4, group.clone())
                .text(9, ms_ts(self.entry.recorded_ms, self.ctx.zone))
                .comps(12, xcn(&request.requester))
                .comps(13, vec![request.unit.clone()]);
            self.segments.push(orc);
            let mut tq1 = Seg::new("TQ1");
            tq1.text(1, "1")
                .text(9, if request.urgent { "S" } else { "R" });
            self.segments.push(tq1);
            let mut obr = Seg::new("OBR");
            obr.text(1, (n + 1).to_string())
                .comps(2, placer)
                .comps(4, cwe(test))
                .text(7, ts(&request.sampled_at))
                .opt(13, request.comment.clone());
            self.segments.push(obr);
            if n == 0 {
                let mut spm = Seg::new("SPM");
                spm.text(1, "1")
                    .comps(2, vec![request.id.clone()])
                    .comps(4, vec![String::new(), request.specimen.clone()]);
                self.segments.push(spm);
            }
        }
        Ok(Ok("OML^O21"))
    }
}

/// The message structure of MSH-9.3.
fn structure(message_type: &str) -> &'static str {
    match message_type {
        "ADT^A01" | "ADT^A13" => "ADT_A01",
        "ADT^A02" => "ADT_A02",
        "ADT^A03" => "ADT_A03",
        "ADT^A05" | "ADT^A28" => "ADT_A05",
        "ADT^A11" => "ADT_A09",
        "ADT^A12" => "ADT_A12",
        "ADT^A21" | "ADT^A22" => "ADT_A21",
        "ADT^A40" => "ADT_A39",
        "ORU^R01" => "ORU_R01",
        "RDE^O11" => "RDE_O11",
        "RAS^O17" => "RAS_O17",
        "MDM^T02" => "MDM_T02",
        _ => "OML_O21",
    }
}

/// A patient key as a CX: an IPP of its authority, or the key itself under
/// ckisa's namespace.
fn patient_cx(key: &PatientKey) -> Vec<String> {
    let (value, authority) = match patient_form(key) {
        KeyForm::Assigned { authority, value } => (value, authority),
        KeyForm::Fhir { .. } | KeyForm::Own(_) => (key.as_str(), HL7_NAMESPACE),
    };
    vec![
        value.to_owned(),
        String::new(),
        String::new(),
        authority.to_owned(),
        "PI".to_owned(),
    ]
}

/// A stay key as a visit number (CX, type VN).
fn visit_cx(key: &EncounterKey) -> Vec<String> {
    let (value, authority) = match encounter_form(key) {
        KeyForm::Assigned { authority, value } => (value, authority),
        KeyForm::Fhir { .. } | KeyForm::Own(_) => (key.as_str(), HL7_NAMESPACE),
    };
    vec![
        value.to_owned(),
        String::new(),
        String::new(),
        authority.to_owned(),
        "VN".to_owned(),
    ]
}

/// XPN: family^given^^^^^type.
fn xpn(family: Option<&str>, given: Option<&str>, kind: &str) -> Vec<String> {
    vec![
        family.unwrap_or_default().to_owned(),
        given.unwrap_or_default().to_owned(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        kind.to_owned(),
    ]
}

/// PL: unit^room^bed^facility.
fn pl(place: &Place) -> Vec<String> {
    vec![
        place.unit.clone(),
        place.room.clone().unwrap_or_default(),
        place.bed.clone().unwrap_or_default(),
        place.facility.clone().unwrap_or_default(),
    ]
}

/// CWE: code^text^system.
fn cwe(coded: &Coded) -> Vec<String> {
    vec![
        coded.code.clone().unwrap_or_default(),
        coded.text.clone(),
        coded.system.clone().unwrap_or_default(),
    ]
}

/// XCN of a referenced person: id^display^...^authority(9)^...^type(13).
fn xcn(person: &ResourceRef) -> Vec<String> {
    let identifier = person.identifier.as_ref();
    let mut comps = vec![String::new(); 13];
    comps[0] = identifier.map(|i| i.value.clone()).unwrap_or_default();
    comps[1] = person.display.clone().unwrap_or_default();
    comps[8] = identifier
        .and_then(|i| i.system.clone())
        .unwrap_or_default();
    comps[12] = identifier.and_then(|i| i.kind.clone()).unwrap_or_default();
    trimmed(comps)
}

/// XCN of the person who documented: account login and the name shown.
fn operator(actor: &Actor, name: Option<&str>) -> Vec<String> {
    let login = match actor {
        Actor::User(login) | Actor::Feed(login) => login.clone(),
        Actor::System => String::new(),
    };
    vec![login, name.unwrap_or_default().to_owned()]
}

fn trimmed(mut comps: Vec<String>) -> Vec<String> {
    while comps.last().is_some_and(String::is_empty) {
        comps.pop();
    }
    comps
}

/// OBX-1 to OBX-6 for one value.
fn obx_value(set_id: usize, code: &Coded, value: &ObservationValue) -> Seg {
    let mut obx = Seg::new("OBX");
    obx.text(1, set_id.to_string()).comps(3, cwe(code));
    match value {
        ObservationValue::Quantity { value, unit } => {
            match quantity(value).filter(|(_, _, words)| words.is_none()) {
                Some((None, number, _)) => {
                    obx.text(2, "NM").text(5, number);
                }
                Some((Some(comparator), number, _)) => {
                    obx.text(2, "SN")
                        .comps(5, vec![comparator.to_owned(), number]);
                }
                None => {
                    obx.text(2, "ST").text(5, value.clone());
                }
            }
            obx.opt(6, unit.clone());
        }
        ObservationValue::Text(text) => {
            obx.text(2, "TX").text(5, text.clone());
        }
        ObservationValue::Coded(coded) => {
            obx.text(2, "CWE").comps(5, cwe(coded));
        }
        ObservationValue::Document { .. } => {
            obx.text(2, "ST")
                .text(5, "document joint non transmis (voir ckisa)");
        }
        ObservationValue::Components(_) | ObservationValue::None => {
            obx.text(2, "ST");
        }
    }
    obx
}

/// OBX-11 / OBR-25 from a FHIR or HL7 status word; final when unknown.
fn result_status(status: Option<&str>) -> &'static str {
    match status.map(str::trim) {
        Some("preliminary" | "P" | "registered" | "I") => "P",
        Some("corrected" | "amended" | "C") => "C",
        Some("cancelled" | "X") => "X",
        Some("entered-in-error" | "W") => "W",
        _ => "F",
    }
}

fn sex_code(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "F",
        Sex::Male => "M",
        Sex::Other => "O",
        Sex::Unknown => "U",
    }
}

/// A moment as an HL7 DTM at its precision, with its offset when it has a
/// time and a known offset (`20261204080500+0100`).
fn ts(moment: &Moment) -> String {
    let mut text = format!("{:04}", moment.year);
    let parts = [
        (Precision::Month, moment.month),
        (Precision::Day, moment.day),
        (Precision::Hour, moment.hour),
        (Precision::Minute, moment.minute),
        (Precision::Second, moment.second),
    ];
    for (precision, value) in parts {
        if moment.precision >= precision {
            text.push_str(&format!("{value:02}"));
        }
    }
    if moment.precision == Precision::Millis {
        text.push_str(&format!(".{:03}", moment.millis));
    }
    if let Some(offset) = moment.offset.filter(|_| moment.has_time()) {
        let sign = if offset.minutes < 0 { '-' } else { '+' };
        let minutes = offset.minutes.unsigned_abs();
        text.push_str(&format!("{sign}{:02}{:02}", minutes / 60, minutes % 60));
    }
    text
}

/// Event-clock milliseconds as an HL7 DTM in `zone`, with the offset.
fn ms_ts(ms: i64, zone: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(zone.clone())
                .strftime("%Y%m%d%H%M%S%z")
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_keep_their_precision_and_offset() {
        let moment = Moment::parse_iso("2026-12-04T08:05:00+01:00").unwrap();
        assert_eq!(ts(&moment), "20261204080500+0100");
        let date = Moment::parse_iso("1950-03-02").unwrap();
        assert_eq!(ts(&date), "19500302");
        let millis = Moment::parse_iso("2026-12-04T08:05:01.250-03:30").unwrap();
        assert_eq!(ts(&millis), "20261204080501.250-0330");
    }

    #[test]
    fn segments_leave_gaps_and_escape_every_value() {
        let mut writer = MessageWriter::new(Delimiters::default());
        let mut seg = Seg::new("NTE");
        seg.text(1, "1").text(3, "a|b^c~d\\e&f\r\ng");
        seg.write(&mut writer);
        assert_eq!(
            writer.finish(),
            "NTE|1||a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f\\X0D\\\\X0A\\g\r"
        );
    }
}
