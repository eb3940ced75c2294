//! Clinical segments that ride along patient messages: allergies (AL1, IAM), problems (DG1,
//! PRB), procedures (PR1) and loose observations (OBX outside any OBR).
//! HL7 v2.5.1 ch. 3.4.6-3.4.7, 6.5.2, 6.5.4, 12.4.2.
//!
//! Ids are `hl7:<patient key>|<segment>|<code>` (see [`super::ids`]), so re-sending the same
//! allergy or diagnosis updates it in place, and the same code never joins two patients.

use ckisa_domain::{
    Allergy, Coded, Condition, EncounterKey, Fact, PatientKey, Procedure, RecordStatus,
};
use ckisa_hl7::Segment;

use super::ids::fact_id;
use super::read::{Cx, at};
use super::results;

/// The clinical facts of every AL1, IAM, DG1, PRB, PR1 and loose OBX of the message.
pub(super) fn map(
    cx: &mut Cx<'_, '_>,
    patient: &PatientKey,
    encounter: Option<&EncounterKey>,
) -> Vec<Fact> {
    let segments: Vec<Segment<'_>> = cx.msg.segments().collect();
    let mut facts = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        let fact = match segment.name() {
            "AL1" => allergy(cx, *segment, patient, "AL1"),
            "IAM" => allergy(cx, *segment, patient, "IAM"),
            "DG1" => diagnosis(cx, *segment, patient, encounter),
            "PRB" => problem(cx, *segment, patient, encounter),
            "PR1" => procedure(cx, *segment, patient, encounter),
            "OBX" => {
                let notes = results::notes_after(cx, &segments[index + 1..]);
                results::loose_observation(cx, *segment, patient, encounter, notes)
            }
            _ => None,
        };
        facts.extend(fact);
    }
    facts
}

/// AL1 (or IAM, same first fields): type, substance, severity, reactions, onset.
fn allergy(
    cx: &mut Cx<'_, '_>,
    segment: Segment<'_>,
    patient: &PatientKey,
    name: &'static str,
) -> Option<Fact> {
    let Some(substance) = cx.coded(segment.field(3).repetition(1), at(name, 3)) else {
        cx.warn(format!("{name}-3 absent : allergie sans allergène ignorée"));
        return None;
    };
    let category = cx
        .text(segment.field(2).component(1), at(name, 2))
        .map(|code| category(&code));
    let severity = cx.text(segment.field(4).component(1), at(name, 4));
    let reactions: Vec<String> = segment
        .field(5)
        .repetitions()
        .filter_map(|rep| cx.text(rep.component(1), at(name, 5)))
        .collect();
    let (onset_field, status) = if name == "IAM" {
        let action = cx.text(segment.field(6).component(1), at(name, 6));
        let status = match action.as_deref() {
            Some("D") => RecordStatus::EnteredInError,
            _ => RecordStatus::Active,
        };
        (11, status)
    } else {
        (6, RecordStatus::Active)
    };
    let onset = cx.moment(segment.field(onset_field), at(name, onset_field));
    Some(Fact::AllergyRecorded(Allergy {
        id: fact_id(patient, name, &[key_of(&substance)]),
        patient: patient.clone(),
        substance,
        category,
        severity,
        reactions,
        onset,
        status,
    }))
}

/// Table 0127 allergen types in the words the charts use.
fn category(code: &str) -> String {
    match code.to_ascii_uppercase().as_str() {
        "DA" | "DRUG" => "medication",
        "FA" | "FOOD" => "food",
        "EA" | "LA" | "PA" | "AA" | "ENV" => "environment",
        _ => return code.to_owned(),
    }
    .to_owned()
}

/// The code, else the text: what makes an id stable.
fn key_of(coded: &Coded) -> &str {
    coded.code.as_deref().unwrap_or(&coded.text)
}

/// DG1-3 (else DG1-4 description), DG1-5 onset, DG1-21 action `D` = entered in error.
fn diagnosis(
    cx: &mut Cx<'_, '_>,
    segment: Segment<'_>,
    patient: &PatientKey,
    encounter: Option<&EncounterKey>,
) -> Option<Fact> {
    let code = cx
        .coded(segment.field(3).repetition(1), at("DG1", 3))
        .or_else(|| {
            let text = cx.text(segment.field(4), at("DG1", 4))?;
            Some(Coded {
                code: None,
                system: None,
                text,
            })
        });
    let Some(code) = code else {
        cx.warn("DG1-3 absent : diagnostic sans code ni libellé ignoré".to_owned());
        return None;
    };
    let action = cx.text(segment.field(21), at("DG1", 21));
    let status = match action.as_deref() {
        Some("D") => RecordStatus::EnteredInError,
        _ => RecordStatus::Active,
    };
    Some(Fact::ConditionRecorded(Condition {
        id: fact_id(patient, "DG1", &[key_of(&code)]),
        patient: patient.clone(),
        encounter: encounter.cloned(),
        onset: cx.moment(segment.field(5), at("DG1", 5)),
        abated: None,
        code,
        status,
    }))
}

/// PRB-3 problem, PRB-4 instance id, PRB-16 (else PRB-7) onset, PRB-1 `DE` = entered in error.
fn problem(
    cx: &mut Cx<'_, '_>,
    segment: Segment<'_>,
    patient: &PatientKey,
    encounter: Option<&EncounterKey>,
) -> Option<Fact> {
    let Some(code) = cx.coded(segment.field(3).repetition(1), at("PRB", 3)) else {
        cx.warn("PRB-3 absent : problème sans code ignoré".to_owned());
        return None;
    };
    let instance = cx.text(segment.field(4).component(1), at("PRB", 4));
    let status = match cx.text(segment.field(1), at("PRB", 1)).as_deref() {
        Some("DE") => RecordStatus::EnteredInError,
        _ => RecordStatus::Active,
    };
    let onset = match cx.moment(segment.field(16), at("PRB", 16)) {
        Some(onset) => Some(onset),
        None => cx.moment(segment.field(7), at("PRB", 7)),
    };
    let id_part = instance.unwrap_or_else(|| key_of(&code).to_owned());
    Some(Fact::ConditionRecorded(Condition {
        id: fact_id(patient, "PRB", &[&id_part]),
        patient: patient.clone(),
        encounter: encounter.cloned(),
        code,
        onset,
        abated: None,
        status,
    }))
}

/// PR1-3 procedure (else PR1-4 description), PR1-5 date.
fn procedure(
    cx: &mut Cx<'_, '_>,
    segment: Segment<'_>,
    patient: &PatientKey,
    encounter: Option<&EncounterKey>,
) -> Option<Fact> {
    let code = cx
        .coded(segment.field(3).repetition(1), at("PR1", 3))
        .or_else(|| {
            let text = cx.text(segment.field(4), at("PR1", 4))?;
            Some(Coded {
                code: None,
                system: None,
                text,
            })
        })?;
    Some(Fact::ProcedureRecorded(Procedure {
        id: fact_id(patient, "PR1", &[key_of(&code)]),
        patient: patient.clone(),
        encounter: encounter.cloned(),
        performed: cx.moment(segment.field(5), at("PR1", 5)),
        code,
        status: RecordStatus::Active,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{kinds, map_ok, msg};
    use super::*;

    fn adt(rest: &str) -> Vec<Fact> {
        map_ok(&msg(
            "ADT^A08",
            &format!("PID|1||P1^^^H^PI\rPV1|1|I|U1||||||||||||||||V1\r{rest}"),
        ))
        .facts
    }

    #[test]
    fn al1_gives_an_allergy() {
        let facts = adt("AL1|1|DA|00000741^OXYCODONE^NDC|SV|HYPOTENSION~VOMITING|20210824");
        let Some(Fact::AllergyRecorded(allergy)) = facts.get(2) else {
            panic!("{facts:?}")
        };
        assert_eq!(allergy.id, "hl7:ipp:H|P1|AL1|00000741");
        assert_eq!(allergy.substance.text, "OXYCODONE");
        assert_eq!(allergy.substance.system.as_deref(), Some("NDC"));
        assert_eq!(allergy.category.as_deref(), Some("medication"));
        assert_eq!(allergy.severity.as_deref(), Some("SV"));
        assert_eq!(allergy.reactions, ["HYPOTENSION", "VOMITING"]);
        assert_eq!(allergy.onset.unwrap().year, 2021);
        assert_eq!(allergy.status, RecordStatus::Active);
    }

    #[test]
    fn allergy_without_substance_is_skipped_with_a_warning() {
        let mapped = map_ok(&msg("ADT^A08", "PID|1||P1^^^H^PI\rAL1|1|DA||SV"));
        assert_eq!(kinds(&mapped), ["patient"]);
        assert!(
            mapped
                .warnings
                .iter()
                .any(|w| w.starts_with("AL1-3 absent"))
        );
    }

    #[test]
    fn iam_delete_is_entered_in_error() {
        let facts = adt("IAM|1|FA|PEANUT^Arachide|MO|URTICAIRE|D");
        let Some(Fact::AllergyRecorded(allergy)) = facts.get(2) else {
            panic!("{facts:?}")
        };
        assert_eq!(allergy.id, "hl7:ipp:H|P1|IAM|PEANUT");
        assert_eq!(allergy.category.as_deref(), Some("food"));
        assert_eq!(allergy.status, RecordStatus::EnteredInError);
    }

    #[test]
    fn dg1_prb_pr1() {
        let facts = adt(
            "DG1|1|I10|J45^Asthme^I10|Asthme|20200101\rPRB|AD|200603150625|aortic stenosis|53692\rPR1|1||76164006^Biopsy^SCT||200501251140",
        );
        let Some(Fact::ConditionRecorded(dg1)) = facts.get(2) else {
            panic!("{facts:?}")
        };
        assert_eq!(dg1.id, "hl7:ipp:H|P1|DG1|J45");
        assert_eq!(dg1.code.text, "Asthme");
        assert_eq!(dg1.encounter.as_ref().unwrap().as_str(), "vn:FAC|V1");
        assert_eq!(dg1.onset.unwrap().year, 2020);
        let Some(Fact::ConditionRecorded(prb)) = facts.get(3) else {
            panic!("{facts:?}")
        };
        assert_eq!(prb.id, "hl7:ipp:H|P1|PRB|53692");
        assert_eq!(prb.code.text, "aortic stenosis");
        let Some(Fact::ProcedureRecorded(pr1)) = facts.get(4) else {
            panic!("{facts:?}")
        };
        assert_eq!(pr1.code.code.as_deref(), Some("76164006"));
        assert_eq!(pr1.performed.unwrap().year, 2005);
    }
}
