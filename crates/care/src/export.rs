//! Re-integration: what caregivers documented during a downtime, written
//! back for the HIS as one FHIR R4 transaction bundle ([`fhir_bundle`]) or
//! as HL7 v2.5 messages, one per documented item ([`hl7_messages`]).
//!
//! The input is the care book's typed entries recorded within a window
//! (the crisis, from its declaration to its closing or now), plus what the
//! store knows of their patients (names, identifiers, current stay).
//!
//! Both formats are idempotent on the receiving side and carry ckisa's own
//! ids, so that nothing is counted twice when the HIS (or ckisa itself)
//! takes them back:
//! - every FHIR resource carries its ckisa id as an identifier under one of
//!   the `https://ckisa.fr/id/...` systems ([`ITEM_SYSTEM`] and siblings)
//!   and is written with a conditional update (`PUT Type?identifier=...`)
//!   or a conditional create (`ifNoneExist`);
//! - every HL7 message has a control id (MSH-10) derived from the item and
//!   its version ([`control_id`]), and carries the item's id in the field
//!   the HIS keeps (placer order number, OBX-21, TXA-12...) under the
//!   [`HL7_NAMESPACE`] assigning authority.
//!
//! Each exported item names the event that documented it
//! ([`crate::book::Entry::first_event`]), which is what the reconciliation
//! worklist ([`crate::worklist`]) marks confirmed or rejected.
//!
//! Patient and stay keys travel too: `ipp:<authority>|<ipp>` keys as the IPP
//! of that authority (PID-3, `Patient?identifier=`), `vn:<authority>|<n>`
//! stays as their visit number (PV1-19); any other key under
//! [`HL7_NAMESPACE`] or [`PATIENT_SYSTEM`] / [`ENCOUNTER_SYSTEM`].

mod fhir;
mod fhir_model;
mod hl7;
mod people;

use ckisa_domain::{CareFact, EventId, Fact, ObservationCategory, RecordStatus};
use ckisa_store::{Store, StoreError};
use jiff::tz::TimeZone;

use crate::book::{CareBook, Entry};

pub use fhir::{BundleEntry, FhirExport, NOTE_CATEGORY_SYSTEM, PLANNED_EXTENSION, fhir_bundle};
pub use hl7::{Hl7Export, Hl7Message, hl7_messages};

/// FHIR identifier system of a documented item (administration, note, lab
/// request, observation, prescription): the value is the ckisa fact id.
pub const ITEM_SYSTEM: &str = "https://ckisa.fr/id/item";
/// FHIR identifier system of a patient key (`ipp:<authority>|<ipp>`...).
pub const PATIENT_SYSTEM: &str = "https://ckisa.fr/id/patient";
/// FHIR identifier system of a stay key (`vn:<authority>|<n>`...).
pub const ENCOUNTER_SYSTEM: &str = "https://ckisa.fr/id/encounter";
/// FHIR identifier system of the event that documented an item.
pub const EVENT_SYSTEM: &str = "https://ckisa.fr/id/event";
/// FHIR identifier system of a movement (admission, transfer) of a stay:
/// the value is the movement id (ZBE-1 in HL7 v2), the type its HL7 v2
/// event (table 0003: `A01`, `A05`, `A02`). An Encounter lists one per
/// `location`, in the same order.
pub const MOVEMENT_SYSTEM: &str = "https://ckisa.fr/id/movement";
/// FHIR identifier system of a place (`<unit>/<room>/<bed>`).
pub const LOCATION_SYSTEM: &str = "https://ckisa.fr/id/location";
/// HL7 v2 assigning authority (EI-2, CX-4) of ids written by ckisa; also
/// MSH-3, the sending application.
pub const HL7_NAMESPACE: &str = "CKISA";

/// The part of the care book to export: items recorded within
/// `[from_ms, to_ms]` (ms since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start (the crisis declaration).
    pub from_ms: i64,
    /// End, inclusive (the crisis closing, or now).
    pub to_ms: i64,
}

/// What the export reads besides the care book.
#[derive(Clone, Copy)]
pub struct ExportContext<'a> {
    /// Patients' identities and stays.
    pub store: &'a dyn Store,
    /// This node's id: MSH-4, the sending facility.
    pub node: &'a str,
    /// Zone of times written from the event clock (Europe/Paris).
    pub zone: &'a TimeZone,
    /// Now, ms since the Unix epoch: the bundle's timestamp.
    pub now_ms: i64,
}

impl std::fmt::Debug for ExportContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportContext")
            .field("node", &self.node)
            .field("now_ms", &self.now_ms)
            .finish_non_exhaustive()
    }
}

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading patients from the store failed.
    #[error("lecture des patients impossible")]
    Store(#[from] StoreError),
    /// The bundle could not be serialised (never expected).
    #[error("écriture du bundle FHIR impossible")]
    Json(#[from] serde_json::Error),
}

/// What kind of documented item an entry is, for the worklist and the
/// export's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    /// A provisional identity (or an identity typed by hand).
    Identity,
    /// An admission (or a stay update).
    Admission,
    /// A transfer (mutation).
    Transfer,
    /// A discharge.
    Discharge,
    /// A cancellation, a leave of absence, a stay moved.
    Movement,
    /// A provisional identity matched to the real record.
    Merge,
    /// Vital signs.
    Vital,
    /// A lab result.
    LabResult,
    /// Another observation.
    Observation,
    /// A prescription or a change of it.
    Prescription,
    /// A prescription stopped or entered in error.
    PrescriptionStop,
    /// A dose given, not given or held.
    Administration,
    /// A pharmacist's review.
    Review,
    /// A nursing note.
    Note,
    /// A lab request.
    LabRequest,
    /// A diet.
    Diet,
    /// Anything else typed.
    Other,
}

impl ItemKind {
    /// Every kind, in display order.
    pub const ALL: [ItemKind; 17] = [
        ItemKind::Identity,
        ItemKind::Admission,
        ItemKind::Transfer,
        ItemKind::Discharge,
        ItemKind::Movement,
        ItemKind::Merge,
        ItemKind::Vital,
        ItemKind::LabResult,
        ItemKind::Observation,
        ItemKind::Prescription,
        ItemKind::PrescriptionStop,
        ItemKind::Administration,
        ItemKind::Review,
        ItemKind::Note,
        ItemKind::LabRequest,
        ItemKind::Diet,
        ItemKind::Other,
    ];

    /// The kind of a care fact.
    pub fn of(fact: &CareFact) -> ItemKind {
        match fact {
            CareFact::Entered(inner) => match inner.as_ref() {
                Fact::PatientUpdated(_) => ItemKind::Identity,
                Fact::StayUpdated(_) => ItemKind::Admission,
                Fact::Transferred { .. } => ItemKind::Transfer,
                Fact::Discharged { .. } => ItemKind::Discharge,
                Fact::AdmissionCancelled { .. }
                | Fact::TransferCancelled { .. }
                | Fact::DischargeCancelled { .. }
                | Fact::LeaveOfAbsence { .. }
                | Fact::EncounterMoved { .. } => ItemKind::Movement,
                Fact::PatientsMerged { .. } => ItemKind::Merge,
                Fact::ObservationRecorded(o) => match o.category {
                    ObservationCategory::Vital => ItemKind::Vital,
                    ObservationCategory::Lab => ItemKind::LabResult,
                    ObservationCategory::Other => ItemKind::Observation,
                },
                Fact::MedicationRecorded(m) if m.status == RecordStatus::Active => {
                    ItemKind::Prescription
                }
                Fact::MedicationRecorded(_) => ItemKind::PrescriptionStop,
                Fact::DietRecorded(_) => ItemKind::Diet,
                _ => ItemKind::Other,
            },
            CareFact::Administered(_) => ItemKind::Administration,
            CareFact::Reviewed(_) => ItemKind::Review,
            CareFact::Note(_) => ItemKind::Note,
            CareFact::LabRequested(_) => ItemKind::LabRequest,
            CareFact::Reconciled(_) => ItemKind::Other,
        }
    }

    /// A short stable code (`administration`, `constantes`...).
    pub fn code(self) -> &'static str {
        match self {
            ItemKind::Identity => "identite",
            ItemKind::Admission => "admission",
            ItemKind::Transfer => "mutation",
            ItemKind::Discharge => "sortie",
            ItemKind::Movement => "mouvement",
            ItemKind::Merge => "rapprochement-identite",
            ItemKind::Vital => "constantes",
            ItemKind::LabResult => "resultat",
            ItemKind::Observation => "observation",
            ItemKind::Prescription => "prescription",
            ItemKind::PrescriptionStop => "arret-prescription",
            ItemKind::Administration => "administration",
            ItemKind::Review => "validation-pharmaceutique",
            ItemKind::Note => "transmission",
            ItemKind::LabRequest => "demande-examen",
            ItemKind::Diet => "regime",
            ItemKind::Other => "autre",
        }
    }

    /// The French label shown in the worklist.
    pub fn label_fr(self) -> &'static str {
        match self {
            ItemKind::Identity => "identité provisoire",
            ItemKind::Admission => "admission",
            ItemKind::Transfer => "mutation",
            ItemKind::Discharge => "sortie",
            ItemKind::Movement => "mouvement (annulation, absence)",
            ItemKind::Merge => "rapprochement d'identité",
            ItemKind::Vital => "constantes",
            ItemKind::LabResult => "résultat d'examen",
            ItemKind::Observation => "observation",
            ItemKind::Prescription => "prescription",
            ItemKind::PrescriptionStop => "arrêt de prescription",
            ItemKind::Administration => "administration",
            ItemKind::Review => "validation pharmaceutique",
            ItemKind::Note => "transmission ciblée",
            ItemKind::LabRequest => "demande d'examen",
            ItemKind::Diet => "régime",
            ItemKind::Other => "autre saisie",
        }
    }
}

/// A documented item the export leaves out, and why (French).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The event that documented it.
    pub event: EventId,
    /// Its kind.
    pub kind: ItemKind,
    /// Why it is not in the export.
    pub reason: String,
}

/// The items documented on a node (typed, not sent by a feed) and
/// recorded within `window`, in log order. Each appears once, in its
/// latest version.
pub fn documented(book: &CareBook, window: Window) -> Vec<&Entry> {
    book.entries_between(window.from_ms, window.to_ms)
        .filter(|entry| entry.typed && !matches!(entry.fact, CareFact::Reconciled(_)))
        .collect()
}

/// The HL7 v2 control id (MSH-10) of an item's message: `CK` and 16
/// hexadecimal digits derived from the event that documented the item and
/// the event of its current version. Sending the same version again gives
/// the same id (the HIS recognises the re-send); a correction gives a new
/// one. Twenty characters at most, as HL7 v2.5 allows.
pub fn control_id(first_event: EventId, event: EventId) -> String {
    let mut hash = Fnv::new();
    hash.write(first_event.0.as_bytes());
    hash.write(event.0.as_bytes());
    format!("CK{:016X}", hash.finish())
}

/// FNV-1a, 64 bits: a stable, dependency-free hash for control ids and
/// bundle entry uuids (not for security).
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn with_seed(seed: u64) -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x0100_0000_01b3))
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }

    /// The hash with its bits spread (the MurmurHash3 finaliser), so that
    /// close inputs give unrelated uuids.
    fn mixed(&self) -> u64 {
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }
}

/// A stable `urn:uuid:` for a bundle entry named by `text` (version 8,
/// RFC 9562 "custom"): the same resource gets the same fullUrl in every
/// export.
fn stable_uuid(text: &str) -> String {
    let mut high = Fnv::with_seed(1);
    high.write(text.as_bytes());
    let mut low = Fnv::with_seed(2);
    low.write(text.as_bytes());
    let (high, low) = (high.mixed(), low.mixed());
    let high = (high & !0xF000) | 0x8000;
    let low = (low & !(0b11 << 62)) | (0b10 << 62);
    format!(
        "urn:uuid:{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xFFFF,
        high & 0xFFFF,
        low >> 48,
        low & 0xFFFF_FFFF_FFFF
    )
}

/// A decimal as FHIR and HL7 write it (`38.5`), from a number typed with a
/// point or a French comma; `None` when the text is not a plain decimal.
fn decimal(text: &str) -> Option<String> {
    let text = text.trim().replace(',', ".");
    let digits = text.strip_prefix('-').unwrap_or(&text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let whole_ok = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && (whole == "0" || !whole.starts_with('0'));
    let fraction_ok =
        fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    (whole_ok && fraction_ok).then_some(text)
}

/// A quantity typed as text (`1 g`, `<4.5 mmol/L`, `38,5`): comparator,
/// decimal and unit; `None` when it does not start with a number.
fn quantity(text: &str) -> Option<(Option<&'static str>, String, Option<String>)> {
    let text = text.trim();
    let (comparator, rest) = ["<=", ">=", "<", ">"]
        .iter()
        .find_map(|c| {
            text.strip_prefix(c)
                .map(|rest| (Some(*c), rest.trim_start()))
        })
        .unwrap_or((None, text));
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '-')))
        .unwrap_or(rest.len());
    let number = decimal(&rest[..end])?;
    let unit = rest[end..].trim();
    Some((
        comparator,
        number,
        (!unit.is_empty()).then(|| unit.to_owned()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_ids_are_stable_short_and_change_with_the_version() {
        let first = EventId::new(1_000);
        let later = EventId::new(2_000);
        let id = control_id(first, first);
        assert_eq!(id, control_id(first, first));
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("CK"));
        assert_ne!(id, control_id(first, later));
    }

    #[test]
    fn entry_uuids_are_stable_well_formed_and_distinct() {
        let a = stable_uuid("Patient|ipp:X|1");
        assert_eq!(a, stable_uuid("Patient|ipp:X|1"));
        assert_ne!(a, stable_uuid("Patient|ipp:X|2"));
        let uuid = a.strip_prefix("urn:uuid:").unwrap();
        let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&uuid[14..15], "8", "version 8");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
    }

    #[test]
    fn typed_quantities_are_split_into_comparator_number_and_unit() {
        assert_eq!(quantity("1 g"), Some((None, "1".into(), Some("g".into()))));
        assert_eq!(quantity("38,5"), Some((None, "38.5".into(), None)));
        assert_eq!(
            quantity("<4.50 mmol/L"),
            Some((Some("<"), "4.50".into(), Some("mmol/L".into())))
        );
        assert_eq!(quantity("un comprimé"), None);
        assert_eq!(quantity("1.2.3 g"), None);
        assert_eq!(decimal("007"), None);
        assert_eq!(decimal("-0.5").as_deref(), Some("-0.5"));
    }
}
