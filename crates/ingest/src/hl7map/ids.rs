//! Ids of the facts read from HL7 v2 (reports, observations, orders, allergies, conditions,
//! procedures, appointments, diets): one rule for all, so that no mapper can forget the patient.
//!
//! The store upserts these facts by id. Source ids (OBR-3, ORC-2, allergen codes...) are only
//! unique per sender, and senders reuse them (a report number recycled, a test message replayed
//! for another patient), so an id without the patient could move a result onto another chart.
//! Every id therefore starts with the patient key: `hl7:<patient key>|<kind>|<part>|...`.
//! The same source id for two patients gives two records, while a re-sent or corrected result
//! for the same patient keeps its id and replaces the earlier version.
//!
//! Parts are decoded HL7 text and may hold `|` or `\` (written `\F\` and `\E\` in the message);
//! they are written back escaped so that two different lists of parts never give the same id.

use std::borrow::Cow;

use ckisa_domain::PatientKey;

/// `hl7:<patient key>|<kind>|<part>|<part>...`, parts escaped.
pub(super) fn fact_id(patient: &PatientKey, kind: &str, parts: &[&str]) -> String {
    extend_id(&format!("hl7:{patient}|{kind}"), parts)
}

/// `<parent id>|<part>|<part>...` for a fact that lives inside another one (an observation of
/// a report), parts escaped.
pub(super) fn extend_id(parent: &str, parts: &[&str]) -> String {
    let mut id = parent.to_owned();
    for part in parts {
        id.push('|');
        id.push_str(&escape_part(part));
    }
    id
}

/// `\` and `|` as HL7 escapes, so that a part never adds a separator of its own.
fn escape_part(part: &str) -> Cow<'_, str> {
    if !part.contains(['|', '\\']) {
        return Cow::Borrowed(part);
    }
    Cow::Owned(part.replace('\\', "\\E\\").replace('|', "\\F\\"))
}

#[cfg(test)]
mod tests {
    use ckisa_domain::Fact;

    use super::super::test_support::{map_ok, msg};
    use super::*;

    /// One message of each kind that yields id-bearing facts, `{ipp}` standing for PID-3.1.
    const MESSAGES: [(&str, &str); 5] = [
        (
            "ORU^R01",
            "PID|1||{ipp}^^^H^PI\rOBX|1|NM|8867-4^FC^LN||72\rOBR|1|P1|F1^LAB|GLU\r\
             OBX|1|NM|GLU||5\rOBR|2|||K\rOBX|1|NM|K||4",
        ),
        (
            "RDE^O11",
            "PID|1||{ipp}^^^H^PI\rORC|NW|1^OE\rRXE||D1^Drug\rORC|NW\rRXE||D2^Other",
        ),
        (
            "ADT^A08",
            "PID|1||{ipp}^^^H^PI\rPV1|1|I|U1||||||||||||||||V1\rAL1|1|DA|PEN^Penicillin\r\
             IAM|1|FA|PEANUT^Arachide\rDG1|1|I10|J45^Asthme\rPRB|AD||53692^Stenosis|53692\r\
             PR1|1||76164006^Biopsy\rOBX|1|NM|8867-4^FC^LN||72",
        ),
        (
            "SIU^S12",
            "SCH||RV1^CHU|||||||||^^^20240315\rPID|1||{ipp}^^^H^PI",
        ),
        (
            "OMD^O03",
            "PID|1||{ipp}^^^H^PI\rORC|NW|D1^CHU\rODS|D||SS^Sans sel",
        ),
    ];

    /// The id and patient of every fact that has an id.
    fn ids_of(kind: &str, body: &str, ipp: &str) -> Vec<(String, PatientKey)> {
        let mapped = map_ok(&msg(kind, &body.replace("{ipp}", ipp)));
        mapped
            .facts
            .iter()
            .filter_map(|fact| {
                let id = match fact {
                    Fact::ReportRecorded(report) => &report.id,
                    Fact::ObservationRecorded(observation) => &observation.id,
                    Fact::MedicationRecorded(medication) => &medication.id,
                    Fact::AllergyRecorded(allergy) => &allergy.id,
                    Fact::ConditionRecorded(condition) => &condition.id,
                    Fact::ProcedureRecorded(procedure) => &procedure.id,
                    Fact::AppointmentRecorded(appointment) => &appointment.id,
                    Fact::DietRecorded(diet) => &diet.id,
                    _ => return None,
                };
                Some((id.clone(), fact.patient()?.clone()))
            })
            .collect()
    }

    #[test]
    fn every_fact_id_of_every_mapper_holds_its_patient() {
        let mut kinds_seen = 0;
        for (kind, body) in MESSAGES {
            let first = ids_of(kind, body, "1004");
            let second = ids_of(kind, body, "1005");
            assert!(!first.is_empty(), "{kind}");
            assert_eq!(first.len(), second.len(), "{kind}");
            for (id, patient) in first.iter().chain(&second) {
                assert!(id.starts_with(&format!("hl7:{patient}|")), "{id}");
            }
            for (id, _) in &first {
                assert!(second.iter().all(|(other, _)| other != id), "{kind}: {id}");
            }
            assert_eq!(ids_of(kind, body, "1004"), first, "{kind}: ids are stable");
            kinds_seen += first.len();
        }
        assert_eq!(
            kinds_seen,
            5 + 2 + 6 + 1 + 1,
            "every id-bearing segment was mapped"
        );
    }

    #[test]
    fn the_patient_comes_first_and_parts_follow_in_order() {
        let patient = PatientKey::ipp("H", "P1");
        let id = fact_id(&patient, "report", &["LAB", "R100", "GLU"]);
        assert_eq!(id, "hl7:ipp:H|P1|report|LAB|R100|GLU");
        assert_eq!(
            extend_id(&id, &["GLU", "", "1"]),
            "hl7:ipp:H|P1|report|LAB|R100|GLU|GLU||1"
        );
    }

    #[test]
    fn the_same_source_id_for_two_patients_gives_two_ids() {
        let first = fact_id(&PatientKey::ipp("H", "1004"), "order", &["OE", "1000"]);
        let second = fact_id(&PatientKey::ipp("H", "1005"), "order", &["OE", "1000"]);
        assert_ne!(first, second);
        let again = fact_id(&PatientKey::ipp("H", "1004"), "order", &["OE", "1000"]);
        assert_eq!(first, again);
    }

    #[test]
    fn separators_inside_parts_are_escaped() {
        let patient = PatientKey::ipp("H", "P1");
        let split = fact_id(&patient, "order", &["A", "B"]);
        let joined = fact_id(&patient, "order", &["A|B"]);
        assert_ne!(split, joined);
        assert_eq!(joined, "hl7:ipp:H|P1|order|A\\F\\B");
        assert_eq!(
            fact_id(&patient, "order", &["A\\F\\B"]),
            "hl7:ipp:H|P1|order|A\\E\\F\\E\\B"
        );
    }
}
