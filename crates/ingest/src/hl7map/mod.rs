//! HL7 v2 to facts: what one parsed message asserts, or why it is refused.
//!
//! [`map_message`] reads an ADT, ORU, RDE, OMP, ORM, OML, SIU (appointments) or OMD (diet
//! orders) message (v2.3 to 2.5.1, IHE PAM FR included) and returns domain [`Fact`]s plus French
//! warnings; messages of types the node does not project (ACK, DFT, RSP...) come back `ignored`
//! so that the feed acknowledges them (AA) without quarantining them. A message that cannot be mapped safely (no patient
//! identifier, a self-merge, a transfer without destination) is refused with a
//! [`MapRejection`] carrying the HL7 table 0357 code and location to put in the ACK's ERR.
//!
//! RAS^O17 administrations, and the downtime documentation ckisa-care exports (ids under the
//! `CKISA` authority in ORU, RDE, OML^O21 and MDM^T02), are read by `downtime`.
//!
//! The mapping table, field by field with its HL7 chapter, is `docs/hl7-v2-mapping.md`.
//! Parser warnings ([`ckisa_hl7::Message::warnings`]) are not repeated here: the caller reports
//! them with these.

mod adt;
mod charset;
mod clinical;
mod diet;
mod downtime;
mod ids;
mod patient;
mod pharmacy;
mod read;
mod results;
mod schedule;
mod time;

#[cfg(test)]
mod edge_tests;
#[cfg(test)]
mod test_support;

use ckisa_domain::Fact;
use ckisa_hl7::Message;
use jiff::tz::TimeZone;

use read::Cx;

/// Settings of the mapping.
#[derive(Debug, Clone)]
pub struct MapContext {
    /// Zone assumed for times that state no offset when MSH-7 states none either (the
    /// hospital's zone; Europe/Paris by default).
    pub site_zone: TimeZone,
}

impl MapContext {
    /// A context assuming `site_zone` for times without offset.
    pub fn new(site_zone: TimeZone) -> MapContext {
        MapContext { site_zone }
    }

    /// The French default: Europe/Paris, from the system tz database, or from its POSIX rule
    /// when the database is missing (current rules only).
    pub fn paris() -> MapContext {
        let zone = TimeZone::get("Europe/Paris")
            .or_else(|_| TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3"))
            .unwrap_or(TimeZone::UTC);
        MapContext::new(zone)
    }
}

impl Default for MapContext {
    fn default() -> MapContext {
        MapContext::paris()
    }
}

/// What a message asserts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mapped {
    /// The facts, patient demographics first.
    pub facts: Vec<Fact>,
    /// Problems that did not prevent the mapping, in French, each naming its field
    /// (`PID-7 : date de naissance invalide...`).
    pub warnings: Vec<String>,
    /// True for a well-formed message of a type the node acknowledges but does not project
    /// (ACK, DFT, RSP, unknown ADT or SIU events...): answer AA, count it, store no fact.
    pub ignored: bool,
}

/// The acknowledgment code of a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckKind {
    /// `AE`: the message was understood but is in error (missing or contradictory data).
    Error,
    /// `AR`: the message cannot be processed at all (unknown type or event).
    Reject,
}

impl AckKind {
    /// The MSA-1 code: `AE` or `AR`.
    pub fn code(self) -> &'static str {
        match self {
            AckKind::Error => "AE",
            AckKind::Reject => "AR",
        }
    }
}

/// HL7 table 0357 (message error condition codes) used in refusals.
pub mod error_code {
    /// Segment sequence error (a required segment is missing).
    pub const SEGMENT_SEQUENCE: u16 = 100;
    /// Required field missing.
    pub const REQUIRED_FIELD_MISSING: u16 = 101;
    /// Data type error.
    pub const DATA_TYPE: u16 = 102;
    /// Table value not found.
    pub const TABLE_VALUE_NOT_FOUND: u16 = 103;
    /// Unsupported message type.
    pub const UNSUPPORTED_MESSAGE_TYPE: u16 = 200;
    /// Unsupported event code.
    pub const UNSUPPORTED_EVENT: u16 = 201;
    /// Application internal error (used for a contradictory request such as a self-merge).
    pub const APPLICATION_ERROR: u16 = 207;
}

/// Why a message is refused: what goes into the ACK (MSA-1, ERR-2, ERR-3) and the quarantine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{segment}-{field} : {reason}")]
pub struct MapRejection {
    /// `AE` or `AR`.
    pub ack_code: AckKind,
    /// Segment of the faulty field (`PID`, `MRG`, `MSH`).
    pub segment: String,
    /// Field number in HL7 numbering; 0 when the whole segment is missing.
    pub field: usize,
    /// HL7 table 0357 code, see [`error_code`].
    pub hl7_error_code: u16,
    /// Precise French reason (`PID-3 absent : identifiant patient obligatoire`).
    pub reason: String,
}

impl MapRejection {
    /// An `AE` refusal.
    pub(crate) fn error(segment: &str, field: usize, code: u16, reason: String) -> MapRejection {
        MapRejection {
            ack_code: AckKind::Error,
            segment: segment.to_owned(),
            field,
            hl7_error_code: code,
            reason,
        }
    }

    /// An `AR` refusal.
    pub(crate) fn reject(segment: &str, field: usize, code: u16, reason: String) -> MapRejection {
        MapRejection {
            ack_code: AckKind::Reject,
            ..MapRejection::error(segment, field, code, reason)
        }
    }
}

/// Maps one parsed message to facts, or refuses it.
pub fn map_message(msg: &Message<'_>, ctx: &MapContext) -> Result<Mapped, MapRejection> {
    let kind = msg.message_type();
    let code = kind.code.trim();
    let trigger = kind.trigger.trim();
    // ODS is the diet segment, not a message type; some senders name the diet order after it.
    let diet_alias = code == "ODS" && trigger == "O03";
    let code = if diet_alias { "OMD" } else { code };
    if !is_message_code(code) {
        let reason = if code.is_empty() {
            "MSH-9 absent : type de message obligatoire".to_owned()
        } else {
            format!("MSH-9 illisible « {code} » : type de message attendu sur trois lettres")
        };
        return Err(MapRejection::reject(
            "MSH",
            9,
            error_code::UNSUPPORTED_MESSAGE_TYPE,
            reason,
        ));
    }
    if !KNOWN_MESSAGE_TYPES.contains(&code) {
        return Err(MapRejection::reject(
            "MSH",
            9,
            error_code::UNSUPPORTED_MESSAGE_TYPE,
            format!(
                "type de message inconnu « {} » (absent de la table HL7 0076) : message refusé",
                type_label(code, trigger)
            ),
        ));
    }
    let mut cx = Cx::new(msg, ctx);
    if diet_alias {
        cx.warn(
            "MSH-9 : « ODS^O03 » n'est pas un type de message HL7 (ODS est le segment du régime), \
             lu comme OMD^O03"
                .to_owned(),
        );
    }
    let facts = match code {
        // Documentation of a downtime coming back (ckisa's own ids, RAS).
        _ if downtime::claims(&mut cx, code) => downtime::map(&mut cx, code)?,
        "ADT" => adt::map(&mut cx, trigger)?,
        "ORU" => results::map(&mut cx)?,
        "RDE" | "OMP" | "ORM" | "OML" => pharmacy::map(&mut cx, code)?,
        "SIU" => schedule::map(&mut cx, trigger)?,
        "OMD" => diet::map(&mut cx, &type_label(code, trigger))?,
        _ => None,
    };
    cx.warn_unknown_z_segments();
    let ignored = facts.is_none();
    if ignored {
        tracing::debug!(code, trigger, "message type not projected");
        cx.warn(format!(
            "type de message non exploité : {}",
            type_label(code, trigger)
        ));
    }
    Ok(Mapped {
        facts: facts.unwrap_or_default(),
        warnings: cx.into_warnings(),
        ignored,
    })
}

/// Message types of HL7 table 0076 (v2.3 to v2.8). A well-formed message of
/// one of these types that the node does not project is acknowledged and
/// counted as ignored (the HIS sends charges and queries on the same
/// feeds); any other type, site-specific `Z..` ones included, is refused and
/// quarantined, never silently acknowledged.
const KNOWN_MESSAGE_TYPES: &[&str] = &[
    "ACK", "ADR", "ADT", "BAR", "BPS", "BRP", "BRT", "BTS", "CCF", "CCI", "CCM", "CCQ", "CCR",
    "CCU", "CQU", "CRM", "CSU", "DBC", "DEL", "DEO", "DER", "DFT", "DOC", "DPR", "DRC", "DRG",
    "DSR", "EAC", "EAN", "EAR", "EHC", "EDR", "EQQ", "ERP", "ESR", "ESU", "INR", "INU", "LSR",
    "LSU", "MDM", "MFD", "MFK", "MFN", "MFQ", "MFR", "NMD", "NMQ", "NMR", "OMB", "OMD", "OMG",
    "OMI", "OML", "OMN", "OMP", "OMQ", "OMS", "OPL", "OPR", "OPU", "ORA", "ORB", "ORD", "ORF",
    "ORG", "ORI", "ORL", "ORM", "ORN", "ORP", "ORR", "ORS", "ORU", "ORX", "OSM", "OSQ", "OSR",
    "OSU", "OUL", "PEX", "PGL", "PIN", "PMU", "PPG", "PPP", "PPR", "PPT", "PPV", "PRR", "PTR",
    "QBP", "QCK", "QCN", "QRY", "QSB", "QSX", "QVR", "RAR", "RAS", "RCI", "RCL", "RDE", "RDR",
    "RDS", "RDY", "REF", "RER", "RGR", "RGV", "ROC", "ROR", "RPA", "RPI", "RPL", "RPR", "RQA",
    "RQC", "RQI", "RQP", "RRA", "RRD", "RRE", "RRG", "RRI", "RSP", "RTB", "SCN", "SDN", "SDR",
    "SIU", "SLN", "SLR", "SMD", "SQM", "SQR", "SRM", "SRR", "SSR", "SSU", "STC", "STI", "SUR",
    "TBR", "TCR", "TCU", "UDM", "VQQ", "VXQ", "VXR", "VXU", "VXX",
];

/// `SIU^S12`, or `SIU` without trigger.
pub(crate) fn type_label(code: &str, trigger: &str) -> String {
    if trigger.is_empty() {
        code.to_owned()
    } else {
        format!("{code}^{trigger}")
    }
}

/// Three upper-case letters or digits, as HL7 table 0076 codes are.
fn is_message_code(code: &str) -> bool {
    code.len() == 3
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::test_support::{map, map_ok, msg};
    use super::*;

    #[test]
    fn unknown_message_types_are_refused_known_unprojected_ones_ignored() {
        let unknown = "MSH|^~\\&|A|B|C|D|20240101||XYZ^Q99|U1|P|2.5\rPID|1||1^^^H^PI\r";
        let refusal = map(unknown).unwrap_err();
        assert_eq!(refusal.ack_code, AckKind::Reject);
        assert_eq!((refusal.segment.as_str(), refusal.field), ("MSH", 9));
        assert!(refusal.reason.contains("XYZ^Q99"), "{}", refusal.reason);
        let site_specific = "MSH|^~\\&|A|B|C|D|20240101||ZPM^Z01|U2|P|2.5\r";
        assert!(map(site_specific).is_err());
        let charge = "MSH|^~\\&|A|B|C|D|20240101||DFT^P03|U3|P|2.5\r";
        assert!(map_ok(charge).ignored);
        let appointment = "MSH|^~\\&|A|B|C|D|20240101||SIU^S12|U4|P|2.5\r";
        assert!(
            map(appointment).is_err(),
            "a booking without SCH is refused"
        );
    }

    #[test]
    fn missing_message_type_is_rejected_ar_200() {
        let rejection = map("MSH|^~\\&|APP|FAC\rPID|1||X^^^H^PI\r").unwrap_err();
        assert_eq!(rejection.ack_code, AckKind::Reject);
        assert_eq!((rejection.segment.as_str(), rejection.field), ("MSH", 9));
        assert_eq!(rejection.hl7_error_code, 200);
        assert!(
            rejection.reason.starts_with("MSH-9"),
            "{}",
            rejection.reason
        );
    }

    #[test]
    fn unknown_types_are_ignored_with_a_warning() {
        let mapped = map_ok(&msg("BAR^P01", "PID|1||X^^^H^PI\r"));
        assert!(mapped.ignored);
        assert!(mapped.facts.is_empty());
        assert!(
            mapped
                .warnings
                .iter()
                .any(|w| w == "type de message non exploité : BAR^P01")
        );
        let series_stopped = map_ok(&msg("SIU^S16", "SCH|1|2\rPID|1||X^^^H^PI\r"));
        assert!(series_stopped.ignored);
        let ack = map_ok(&msg("ACK", "MSA|AA|1\r"));
        assert!(ack.ignored);
    }

    #[test]
    fn unknown_z_segments_are_reported_known_pam_fr_ones_are_not() {
        let mapped = map_ok(&msg(
            "ADT^A31",
            "PID|1||X^^^H^PI||DOE^JOHN\rZFA|ACTIF\rZZ1|1|secret\r",
        ));
        let z: Vec<_> = mapped
            .warnings
            .iter()
            .filter(|w| w.contains("ZZ"))
            .collect();
        assert_eq!(z.len(), 1, "{:?}", mapped.warnings);
        assert!(!mapped.warnings.iter().any(|w| w.contains("ZFA")));
    }

    #[test]
    fn ack_codes() {
        assert_eq!(AckKind::Error.code(), "AE");
        assert_eq!(AckKind::Reject.code(), "AR");
    }

    #[test]
    fn paris_is_the_default_zone() {
        let zone = MapContext::default().site_zone;
        let winter = jiff::civil::date(2024, 1, 15)
            .at(12, 0, 0, 0)
            .to_zoned(zone)
            .unwrap();
        assert_eq!(winter.offset().seconds(), 3600);
    }
}
