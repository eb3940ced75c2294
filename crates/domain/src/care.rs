//! What caregivers document in the clinical capsule while the HIS is down,
//! and the two things the HIS feeds that the capsule needs beyond the chart:
//! appointments and diets.
//!
//! A [`CareFact`] is recorded by a person on a node. Clinical facts that the
//! HIS also sends (vitals, results, prescriptions, admissions, transfers,
//! discharges) are typed as [`CareFact::Entered`] around the ordinary
//! [`Fact`]: the store projects the inner fact exactly as if a feed had sent
//! it (so the bed board, the chart and the crisis dashboard follow), while the
//! wrapper keeps them findable as downtime documentation, the set that is
//! exported back to the HIS and reconciled item by item.
//!
//! Ids chosen by the node (administrations, notes, lab requests, typed
//! observations) are UUIDv7 texts prefixed by their kind, and travel in the
//! export, so that when the HIS sends them back nothing is counted twice.

use serde::{Deserialize, Serialize};

use crate::fact::{Coded, Fact};
use crate::ids::{EncounterKey, PatientKey, ResourceRef};
use crate::time::Moment;

/// Something documented in the clinical capsule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CareFact {
    /// A clinical fact of the kinds the HIS sends (an observation, a
    /// prescription or its stop, a patient identity, an admission, a
    /// transfer, a discharge, a merge of a provisional identity, a diet),
    /// typed by a caregiver. Projected like the inner fact.
    Entered(Box<Fact>),
    /// A planned dose given, not given or held.
    Administered(Administration),
    /// A pharmacist's review of a prescription.
    Reviewed(PrescriptionReview),
    /// A targeted nursing note.
    Note(NursingNote),
    /// A lab request and its specimen label.
    LabRequested(LabRequest),
    /// How the HIS took back one documented item (or a person's mark).
    Reconciled(Reconciliation),
}

impl CareFact {
    /// The patient the fact is about, when it is about one.
    pub fn patient(&self) -> Option<&PatientKey> {
        match self {
            CareFact::Entered(fact) => fact.patient(),
            CareFact::Administered(a) => Some(&a.patient),
            CareFact::Reviewed(r) => Some(&r.patient),
            CareFact::Note(n) => Some(&n.patient),
            CareFact::LabRequested(l) => Some(&l.patient),
            CareFact::Reconciled(_) => None,
        }
    }
}

/// What happened to a planned dose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdministrationOutcome {
    /// Given, with the dose and route actually given.
    Given {
        /// Dose given (`1 g`, `500 mg`).
        dose: String,
        /// Route (`PO`, `IV`...).
        route: String,
    },
    /// Not given, with why (patient refused, nil by mouth, absent...).
    NotGiven {
        /// Reason, as typed or chosen.
        reason: String,
    },
    /// Held on purpose (clinical decision), with why.
    Held {
        /// Reason.
        reason: String,
    },
}

/// One line of the medication administration record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Administration {
    /// Id chosen by the node (`adm-<uuid>`), or the HIS's when it comes back.
    pub id: String,
    /// The patient.
    pub patient: PatientKey,
    /// The stay, when known.
    pub encounter: Option<EncounterKey>,
    /// The prescription ([`crate::Medication::id`]).
    pub medication: String,
    /// The drug, as prescribed.
    pub drug: Coded,
    /// The planned time of this dose, when it was planned (`None` for a dose
    /// given "if needed").
    pub planned: Option<Moment>,
    /// The real time of the act.
    pub at: Moment,
    /// Given, not given or held.
    pub outcome: AdministrationOutcome,
    /// Who did it (display name of the caregiver).
    pub by: String,
    /// Free comment.
    pub comment: Option<String>,
}

/// A pharmacist's verdict on a prescription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewVerdict {
    /// Validated as written.
    Validated,
    /// Validated with a remark for the prescriber.
    WithRemark,
    /// Refused: the prescriber must change it.
    Refused,
}

/// A pharmacist's review of one prescription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrescriptionReview {
    /// The prescription.
    pub medication: String,
    /// Its patient.
    pub patient: PatientKey,
    /// Verdict.
    pub verdict: ReviewVerdict,
    /// Remark or reason.
    pub remark: Option<String>,
    /// Who reviewed (display name).
    pub by: String,
}

/// A targeted nursing note (transmission ciblée: données, actions,
/// résultats).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NursingNote {
    /// Id chosen by the node (`note-<uuid>`).
    pub id: String,
    /// The patient.
    pub patient: PatientKey,
    /// The stay, when known.
    pub encounter: Option<EncounterKey>,
    /// The target (cible): pain, anxiety, wound...
    pub target: String,
    /// Data (données).
    pub data: String,
    /// Actions.
    pub actions: String,
    /// Results (résultats), may be filled later by a new note.
    pub results: String,
    /// When the observation was made.
    pub at: Moment,
    /// Who wrote it (display name).
    pub by: String,
    /// To be read at the next handover.
    pub for_handover: bool,
}

/// A lab request made during a downtime; its id is printed on the specimen
/// label and scanned by the lab to enter the results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabRequest {
    /// Request id (`DT` + digits, short enough for a barcode).
    pub id: String,
    /// The patient.
    pub patient: PatientKey,
    /// The stay, when known.
    pub encounter: Option<EncounterKey>,
    /// Unit that asked, where critical values are flagged.
    pub unit: String,
    /// Tests asked for.
    pub tests: Vec<Coded>,
    /// Specimen (`sang veineux`, `urines`...).
    pub specimen: String,
    /// When the sample was taken, or is to be taken.
    pub sampled_at: Moment,
    /// Requesting physician.
    pub requester: ResourceRef,
    /// Urgent.
    pub urgent: bool,
    /// Clinical information for the lab.
    pub comment: Option<String>,
}

/// Where one documented item stands with the HIS after recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReconciliationStatus {
    /// Exported or to export, not yet seen back.
    Pending,
    /// Taken by the HIS.
    Confirmed,
    /// Refused by the HIS; must be handled by hand.
    Rejected,
}

/// A reconciliation mark on one documented item, by the id of the event
/// that documented it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reconciliation {
    /// The event id of the documented item (a UUID in text).
    pub item: String,
    /// New status.
    pub status: ReconciliationStatus,
    /// Why (a rejection's reason, the HIS's reference).
    pub note: Option<String>,
    /// Who marked it (display name), or the feed that confirmed it.
    pub by: String,
}

/// An appointment, from HL7 SIU^S12-S15 or FHIR Appointment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appointment {
    /// Appointment id (SCH-2 filler id, SCH-1 placer id, or FHIR id).
    pub id: String,
    /// The patient.
    pub patient: PatientKey,
    /// Start.
    pub start: Moment,
    /// Duration in minutes, when known.
    pub minutes: Option<u32>,
    /// Clinic, place or resource (AIL, FHIR location participant).
    pub clinic: Option<String>,
    /// Practitioner (AIP, FHIR practitioner participant).
    pub practitioner: Option<ResourceRef>,
    /// Kind or reason (SCH-7, FHIR appointmentType / reasonCode).
    pub reason: Option<String>,
    /// Booked, cancelled, no-show...
    pub status: AppointmentStatus,
}

/// Where an appointment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AppointmentStatus {
    /// Booked (S12, S13 rescheduled, S14 modified).
    Booked,
    /// Cancelled (S15) or deleted (S17).
    Cancelled,
    /// Patient did not come (S26, FHIR noshow).
    NoShow,
    /// Done (FHIR fulfilled).
    Fulfilled,
}

/// A patient's current diet, from a diet order (HL7 ODS^O03, FHIR
/// NutritionOrder) or typed in the capsule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diet {
    /// Order id.
    pub id: String,
    /// The patient.
    pub patient: PatientKey,
    /// The stay, when known.
    pub encounter: Option<EncounterKey>,
    /// Diet codes or names (`sans sel`, `diabétique`, `mixé`...).
    pub diets: Vec<Coded>,
    /// Texture or allergy remarks for the kitchen.
    pub remarks: Option<String>,
    /// From when.
    pub start: Option<Moment>,
    /// Nil by mouth (à jeun).
    pub nil_by_mouth: bool,
    /// Still in force (false when cancelled or ended).
    pub active: bool,
}

impl Diet {
    /// Whether a diet name or instruction says the patient must not eat:
    /// « à jeun » (unless negated: « pas », « plus », « non à jeun »), NPO,
    /// nil or nothing by mouth. The one reading of HL7 v2 and FHIR diets.
    pub fn says_nil_by_mouth(text: &str) -> bool {
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let fasting = words.windows(2).enumerate().any(|(i, pair)| {
            let negated = i > 0 && matches!(words[i - 1], "pas" | "plus" | "non");
            matches!(pair, ["à" | "a", "jeun"]) && !negated
        });
        fasting
            || words.contains(&"npo")
            || words
                .windows(3)
                .any(|w| matches!(w, ["nil" | "nothing", "by", "mouth"]))
    }
}
