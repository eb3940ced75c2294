//! Clinical and administrative facts: the payload of every event.
//!
//! A fact says what a source asserted, in source-neutral terms; HL7 v2 and FHIR
//! mappers produce them, projections consume them. Facts about the same thing
//! carry the same stable id (`id` fields are the source's own identifiers,
//! prefixed by their kind), so re-sending a resource updates it in place.

use serde::{Deserialize, Serialize};

use crate::care::{Appointment, CareFact, Diet};
use crate::crisis::CrisisFact;
use crate::ids::{EncounterKey, Identifier, PatientKey, ResourceRef};
use crate::message::MessageFact;
use crate::time::Moment;

/// A value that an update may leave alone, clear, or set.
///
/// HL7 v2 distinguishes an empty field (no change) from `""` (delete);
/// FHIR resources replace the whole resource, so they never leave `Absent`
/// for a field they know about.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum Field<T> {
    /// Not sent: keep what is stored.
    #[default]
    Absent,
    /// Explicitly cleared (`""` in HL7 v2).
    Null,
    /// Set to this value.
    Value(T),
}

impl<T> Field<T> {
    /// `Value(v)` for `Some(v)`, `Absent` for `None`.
    pub fn from_option(value: Option<T>) -> Field<T> {
        value.map_or(Field::Absent, Field::Value)
    }

    /// The value, if set.
    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Value(v) => Some(v),
            Field::Absent | Field::Null => None,
        }
    }
}

/// A code with its text, from any coding system.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Coded {
    /// The code (`J45`, `1234-5`, `RX-0042`).
    pub code: Option<String>,
    /// Coding system (`LN`, `http://loinc.org`, `CIM-10`...).
    pub system: Option<String>,
    /// Human-readable text; falls back to the code when the source gave none.
    pub text: String,
}

/// Administrative sex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    /// F
    Female,
    /// M
    Male,
    /// O, A (ambiguous), X
    Other,
    /// U, or an unknown code
    Unknown,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    /// Street lines.
    pub lines: Vec<String>,
    /// City.
    pub city: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Kind: `H` home, `BDL` birthplace, `home`, `work`...
    pub kind: Option<String>,
}

/// Demographics of a patient, as an update.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PatientUpdate {
    /// The patient.
    pub patient: PatientKey,
    /// All identifiers the source gave (IPP, INS, NH...); added to the
    /// patient's identifier index, never removed by an update.
    pub identifiers: Vec<Identifier>,
    /// Family (usual) name.
    pub family: Field<String>,
    /// Given names, space-separated.
    pub given: Field<String>,
    /// Birth name (nom de naissance) when it differs from the usual name.
    pub birth_name: Field<String>,
    /// Birth date, a calendar date (or partial date).
    pub birth_date: Field<Moment>,
    /// Administrative sex.
    pub sex: Field<Sex>,
    /// Phone numbers.
    pub phones: Field<Vec<String>>,
    /// Addresses.
    pub addresses: Field<Vec<Address>>,
    /// Date of death, or true-without-date as a deceased flag.
    pub deceased: Field<Deceased>,
}

/// Whether and when a patient died.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Deceased {
    /// Died at this moment.
    At(Moment),
    /// Known deceased, date unknown.
    Yes,
    /// Known alive.
    No,
}

/// A place in the hospital, from coarse to fine.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Place {
    /// Care unit (point of care, UF code): the census groups by it.
    pub unit: String,
    /// Room.
    pub room: Option<String>,
    /// Bed.
    pub bed: Option<String>,
    /// Facility (establishment code, FINESS).
    pub facility: Option<String>,
}

/// The state of a stay as a source describes it (admission, pre-admission,
/// update).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StayUpdate {
    /// The stay.
    pub encounter: EncounterKey,
    /// Its patient.
    pub patient: PatientKey,
    /// Current location; `Absent` leaves the stored one.
    pub place: Field<Place>,
    /// Patient class: inpatient, outpatient, emergency...
    pub class: Option<String>,
    /// Admission moment.
    pub admitted_at: Option<Moment>,
    /// Attending physician.
    pub attending: Option<ResourceRef>,
    /// Whether the patient is currently present (false for a pre-admission or
    /// an outpatient registration).
    pub in_house: bool,
    /// When the movement that produced this state took effect (EVN-6, ZBE-2,
    /// Encounter.period.start...), used to order out-of-order movements.
    pub effective_at: Option<Moment>,
    /// Movement id (ZBE-1) for IHE PAM FR, so that a cancellation can name it.
    pub movement_id: Option<String>,
}

/// Leave of absence (A21) or return (A22).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Leave {
    /// The patient left temporarily; the bed stays theirs.
    Started,
    /// The patient came back.
    Ended,
}

/// Severity or status words kept as the source coded them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordStatus {
    /// Active, current.
    Active,
    /// Resolved, inactive, completed, stopped.
    Inactive,
    /// Entered in error: hidden from the chart, kept in the log.
    EnteredInError,
}

/// An allergy or intolerance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allergy {
    /// Stable id in its source (`hl7:<patient>|AL1|<code>`, `fhir:AllergyIntolerance/<id>`).
    pub id: String,
    /// The patient.
    pub patient: PatientKey,
    /// The substance or class.
    pub substance: Coded,
    /// Category: drug, food, environment...
    pub category: Option<String>,
    /// Criticality or severity as given (`high`, `SV`, `severe`).
    pub severity: Option<String>,
    /// Reactions, as text.
    pub reactions: Vec<String>,
    /// Onset.
    pub onset: Option<Moment>,
    /// Clinical status.
    pub status: RecordStatus,
}

/// A problem or diagnosis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// Stable id in its source.
    pub id: String,
    /// The patient.
    pub patient: PatientKey,
    /// The stay it was recorded in.
    pub encounter: Option<EncounterKey>,
    /// The condition.
    pub code: Coded,
    /// Onset.
    pub onset: Option<Moment>,
    /// Abatement.
    pub abated: Option<Moment>,
    /// Clinical status.
    pub status: RecordStatus,
}

/// Whether a medication entry is an order or a statement of use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MedicationKind {
    /// A prescription (RDE, OMP, MedicationRequest).
    Order,
    /// A statement that the patient takes it (MedicationStatement).
    Statement,
}

/// A medication order or statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Medication {
    /// Stable id (placer/filler order number, or FHIR id).
    pub id: String,
    /// The patient.
    pub patient: PatientKey,
    /// The stay.
    pub encounter: Option<EncounterKey>,
    /// Order or statement.
    pub kind: MedicationKind,
    /// The drug.
    pub drug: Coded,
    /// Dose, as text with its unit (`500 mg`).
    pub dose: Option<String>,
    /// Route (`PO`, `IV`...), as text.
    pub route: Option<String>,
    /// Frequency or timing (`3 fois par jour`, `Q8H`).
    pub frequency: Option<String>,
    /// Start.
    pub start: Option<Moment>,
    /// End.
    pub end: Option<Moment>,
    /// Prescriber.
    pub prescriber: Option<ResourceRef>,
    /// Status.
    pub status: RecordStatus,
    /// Free-text instructions.
    pub note: Option<String>,
}

/// What an observation measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ObservationValue {
    /// A number with its unit; the text keeps the source's digits.
    Quantity {
        /// Number as written (`7.2`, `<4.5`, `^182`).
        value: String,
        /// Unit.
        unit: Option<String>,
    },
    /// Text (possibly several lines).
    Text(String),
    /// A coded answer.
    Coded(Coded),
    /// An embedded document (HL7 ED, FHIR attachment): kept once in the log,
    /// summarised by size in the chart.
    Document {
        /// MIME type, when known.
        media_type: Option<String>,
        /// Size of the decoded document in bytes (estimated from Base64).
        size_bytes: u64,
        /// The encoded data, as received.
        data: String,
    },
    /// Several components (blood pressure systolic/diastolic).
    Components(Vec<(Coded, Box<ObservationValue>)>),
    /// No value (pending, cancelled, or only a note).
    None,
}

/// Vital sign, lab result or other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObservationCategory {
    /// Vital signs: temperature, heart rate, blood pressure, SpO2...
    Vital,
    /// Laboratory.
    Lab,
    /// Anything else (imaging report lines, social history, survey...).
    Other,
}

/// One observation or result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Stable id (order number + OBX-3 + OBX-4, or FHIR id).
    pub id: String,
    /// The patient.
    pub patient: PatientKey,
    /// The stay.
    pub encounter: Option<EncounterKey>,
    /// Category.
    pub category: ObservationCategory,
    /// What was observed.
    pub code: Coded,
    /// The value.
    pub value: ObservationValue,
    /// Reference range as text.
    pub reference_range: Option<String>,
    /// Abnormal flag (`H`, `L`, `A`, `HH`...).
    pub interpretation: Option<String>,
    /// When it was observed.
    pub effective: Option<Moment>,
    /// Result status (`F`, `final`, `P`, `preliminary`, `C`, `corrected`).
    pub status: Option<String>,
    /// The order or report it belongs to.
    pub report: Option<String>,
    /// Notes (NTE), leading spaces kept.
    pub notes: Vec<String>,
}

/// A report grouping results (ORU OBR, FHIR DiagnosticReport).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Stable id.
    pub id: String,
    /// The patient.
    pub patient: PatientKey,
    /// The stay.
    pub encounter: Option<EncounterKey>,
    /// What was reported.
    pub code: Coded,
    /// Status as given.
    pub status: Option<String>,
    /// When.
    pub effective: Option<Moment>,
    /// Ids of the observations in it.
    pub results: Vec<String>,
    /// Conclusion text.
    pub conclusion: Option<String>,
}

/// A care plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarePlan {
    /// Stable id.
    pub id: String,
    /// The patient.
    pub patient: PatientKey,
    /// Title or category.
    pub title: String,
    /// Status.
    pub status: RecordStatus,
    /// Planned activities, as text.
    pub activities: Vec<String>,
    /// Start.
    pub start: Option<Moment>,
    /// End.
    pub end: Option<Moment>,
}

/// A procedure performed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Procedure {
    /// Stable id.
    pub id: String,
    /// The patient.
    pub patient: PatientKey,
    /// The stay.
    pub encounter: Option<EncounterKey>,
    /// What was done.
    pub code: Coded,
    /// When.
    pub performed: Option<Moment>,
    /// Status.
    pub status: RecordStatus,
}

/// A named resource others refer to: a practitioner, a location, an
/// organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Directory {
    /// `Practitioner/<id>`, `Location/<id>`, `Organization/<id>`.
    pub reference: String,
    /// Identifiers that conditional references may use.
    pub identifiers: Vec<Identifier>,
    /// Display name.
    pub name: String,
}

/// A fact: what one event asserts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data")]
pub enum Fact {
    /// Demographics created or changed.
    PatientUpdated(PatientUpdate),
    /// `merged` is the same person as `survivor` (A40); everything of
    /// `merged` now shows under `survivor`.
    PatientsMerged {
        /// Kept record.
        survivor: PatientKey,
        /// Absorbed record.
        merged: PatientKey,
    },
    /// A stay was moved to another patient (A44).
    EncounterMoved {
        /// The stay.
        encounter: EncounterKey,
        /// Previous patient.
        from: PatientKey,
        /// New patient.
        to: PatientKey,
    },
    /// Admission, registration, pre-admission or stay update.
    StayUpdated(StayUpdate),
    /// Transfer to another bed or unit (A02, ZBE movement).
    Transferred {
        /// The stay.
        encounter: EncounterKey,
        /// Its patient.
        patient: PatientKey,
        /// New place.
        to: Place,
        /// When it took effect.
        at: Option<Moment>,
        /// ZBE-1 movement id.
        movement_id: Option<String>,
    },
    /// Discharge (A03).
    Discharged {
        /// The stay.
        encounter: EncounterKey,
        /// Its patient.
        patient: PatientKey,
        /// When.
        at: Option<Moment>,
    },
    /// Cancel admission (A11): the stay never happened.
    AdmissionCancelled {
        /// The stay.
        encounter: EncounterKey,
        /// Its patient.
        patient: PatientKey,
    },
    /// Cancel transfer (A12): back to the given place.
    TransferCancelled {
        /// The stay.
        encounter: EncounterKey,
        /// Its patient.
        patient: PatientKey,
        /// Place to go back to, when the message says it.
        back_to: Option<Place>,
    },
    /// Cancel discharge (A13): the patient is in house again.
    DischargeCancelled {
        /// The stay.
        encounter: EncounterKey,
        /// Its patient.
        patient: PatientKey,
        /// Place, when the message says it.
        place: Option<Place>,
    },
    /// Leave of absence started or ended (A21, A22).
    LeaveOfAbsence {
        /// The stay.
        encounter: EncounterKey,
        /// Its patient.
        patient: PatientKey,
        /// Started or ended.
        leave: Leave,
    },
    /// Allergy recorded or updated.
    AllergyRecorded(Allergy),
    /// Problem recorded or updated.
    ConditionRecorded(Condition),
    /// Medication order or statement recorded or updated.
    MedicationRecorded(Medication),
    /// Observation or result recorded or updated.
    ObservationRecorded(Observation),
    /// Report recorded or updated.
    ReportRecorded(Report),
    /// Care plan recorded or updated.
    CarePlanRecorded(CarePlan),
    /// Procedure recorded or updated.
    ProcedureRecorded(Procedure),
    /// Practitioner, location or organisation described.
    DirectoryEntry(Directory),
    /// Something about a crisis (lifecycle, log, tasks, reports, alerts).
    Crisis(CrisisFact),
    /// Something documented in the clinical capsule during a downtime.
    Care(CareFact),
    /// An appointment booked, changed or cancelled.
    AppointmentRecorded(Appointment),
    /// A diet ordered, changed or ended.
    DietRecorded(Diet),
    /// Something said in the secure messaging.
    Message(MessageFact),
}

impl Fact {
    /// The patient the fact is about, when it is about one.
    pub fn patient(&self) -> Option<&PatientKey> {
        match self {
            Fact::PatientUpdated(p) => Some(&p.patient),
            Fact::PatientsMerged { survivor, .. } => Some(survivor),
            Fact::EncounterMoved { to, .. } => Some(to),
            Fact::StayUpdated(s) => Some(&s.patient),
            Fact::Transferred { patient, .. }
            | Fact::Discharged { patient, .. }
            | Fact::AdmissionCancelled { patient, .. }
            | Fact::TransferCancelled { patient, .. }
            | Fact::DischargeCancelled { patient, .. }
            | Fact::LeaveOfAbsence { patient, .. } => Some(patient),
            Fact::AllergyRecorded(a) => Some(&a.patient),
            Fact::ConditionRecorded(c) => Some(&c.patient),
            Fact::MedicationRecorded(m) => Some(&m.patient),
            Fact::ObservationRecorded(o) => Some(&o.patient),
            Fact::ReportRecorded(r) => Some(&r.patient),
            Fact::CarePlanRecorded(c) => Some(&c.patient),
            Fact::ProcedureRecorded(p) => Some(&p.patient),
            Fact::Care(c) => c.patient(),
            Fact::AppointmentRecorded(a) => Some(&a.patient),
            Fact::DietRecorded(d) => Some(&d.patient),
            Fact::DirectoryEntry(_) | Fact::Crisis(_) | Fact::Message(_) => None,
        }
    }

    /// A short stable name of the fact's kind, for counts and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Fact::PatientUpdated(_) => "patient",
            Fact::PatientsMerged { .. } => "merge",
            Fact::EncounterMoved { .. } => "encounter_moved",
            Fact::StayUpdated(_) => "stay",
            Fact::Transferred { .. } => "transfer",
            Fact::Discharged { .. } => "discharge",
            Fact::AdmissionCancelled { .. } => "admission_cancelled",
            Fact::TransferCancelled { .. } => "transfer_cancelled",
            Fact::DischargeCancelled { .. } => "discharge_cancelled",
            Fact::LeaveOfAbsence { .. } => "leave",
            Fact::AllergyRecorded(_) => "allergy",
            Fact::ConditionRecorded(_) => "condition",
            Fact::MedicationRecorded(_) => "medication",
            Fact::ObservationRecorded(_) => "observation",
            Fact::ReportRecorded(_) => "report",
            Fact::CarePlanRecorded(_) => "careplan",
            Fact::ProcedureRecorded(_) => "procedure",
            Fact::DirectoryEntry(_) => "directory",
            Fact::Crisis(_) => "crisis",
            Fact::Care(_) => "care",
            Fact::AppointmentRecorded(_) => "appointment",
            Fact::DietRecorded(_) => "diet",
            Fact::Message(_) => "message",
        }
    }
}
