//! AllergyIntolerance, Condition, Procedure and CarePlan to their facts.
//!
//! These share one shape: a subject, a code, a status and a date or period.
//! Partial dates (`2004`, `2004-06`) keep their precision (edge case B15).

use ckisa_domain::{Allergy, CarePlan, Condition, Fact, Procedure};

use super::{Ctx, clinical_status, coded, concept_text, record_status, stable_id};
use crate::error::EntryError;
use crate::model;

/// Maps an AllergyIntolerance.
pub(super) fn allergy(
    allergy: model::AllergyIntolerance,
    id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Fact, EntryError> {
    let patient = ctx.patient("AllergyIntolerance.patient", allergy.patient.as_ref())?;
    let status = clinical_status(
        allergy.clinical_status.as_ref(),
        allergy.verification_status.as_ref(),
    );
    let onset = ctx.start(
        "AllergyIntolerance.onset[x]",
        allergy.onset_date_time.as_deref(),
        allergy.onset_period.as_ref(),
    );
    let severity = allergy
        .criticality
        .or_else(|| allergy.reaction.iter().find_map(|r| r.severity.clone()));
    let reactions = allergy.reaction.iter().flat_map(reaction_texts).collect();
    let category = (!allergy.category.is_empty()).then(|| allergy.category.join(", "));
    Ok(Fact::AllergyRecorded(Allergy {
        id: stable_id("AllergyIntolerance", id),
        patient,
        substance: coded(allergy.code),
        category,
        severity,
        reactions,
        onset,
        status,
    }))
}

/// Manifestations, then the free-text description, of one reaction.
fn reaction_texts(reaction: &model::AllergyReaction) -> Vec<String> {
    let mut texts: Vec<String> = reaction
        .manifestation
        .iter()
        .filter_map(concept_text)
        .collect();
    texts.extend(
        reaction
            .description
            .clone()
            .filter(|d| !d.trim().is_empty()),
    );
    texts
}

/// Maps a Condition.
pub(super) fn condition(
    condition: model::Condition,
    id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Fact, EntryError> {
    let patient = ctx.patient("Condition.subject", condition.subject.as_ref())?;
    let encounter = ctx.encounter("Condition.encounter", condition.encounter.as_ref());
    let onset = ctx.start(
        "Condition.onset[x]",
        condition.onset_date_time.as_deref(),
        condition.onset_period.as_ref(),
    );
    let abated = match condition.abatement_date_time.as_deref() {
        Some(text) => ctx.moment("Condition.abatementDateTime", Some(text)),
        None => {
            let end = condition
                .abatement_period
                .as_ref()
                .and_then(|p| p.end.as_deref());
            ctx.moment("Condition.abatementPeriod.end", end)
        }
    };
    let status = clinical_status(
        condition.clinical_status.as_ref(),
        condition.verification_status.as_ref(),
    );
    Ok(Fact::ConditionRecorded(Condition {
        id: stable_id("Condition", id),
        patient,
        encounter,
        code: coded(condition.code),
        onset,
        abated,
        status,
    }))
}

/// Maps a Procedure.
pub(super) fn procedure(
    procedure: model::Procedure,
    id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Fact, EntryError> {
    let patient = ctx.patient("Procedure.subject", procedure.subject.as_ref())?;
    let encounter = ctx.encounter("Procedure.encounter", procedure.encounter.as_ref());
    let performed = ctx.start(
        "Procedure.performed[x]",
        procedure.performed_date_time.as_deref(),
        procedure.performed_period.as_ref(),
    );
    Ok(Fact::ProcedureRecorded(Procedure {
        id: stable_id("Procedure", id),
        patient,
        encounter,
        code: coded(procedure.code),
        performed,
        status: record_status(procedure.status.as_deref()),
    }))
}

/// Maps a CarePlan. The title is `title`, else the first category with a
/// text (Synthea's first category is a bare `assess-plan` code), else the
/// description.
pub(super) fn care_plan(
    plan: model::CarePlan,
    id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Fact, EntryError> {
    let patient = ctx.patient("CarePlan.subject", plan.subject.as_ref())?;
    let period = plan.period.as_ref();
    let start = ctx.moment(
        "CarePlan.period.start",
        period.and_then(|p| p.start.as_deref()),
    );
    let end = ctx.moment("CarePlan.period.end", period.and_then(|p| p.end.as_deref()));
    let category_text = plan.category.iter().find_map(|c| {
        let has_words = c.text.is_some() || c.coding.iter().any(|coding| coding.display.is_some());
        has_words.then(|| concept_text(c)).flatten()
    });
    let title = plan
        .title
        .clone()
        .or(category_text)
        .or_else(|| plan.description.clone())
        .unwrap_or_else(|| String::from("Plan de soins"));
    let activities = plan.activity.iter().filter_map(activity_text).collect();
    Ok(Fact::CarePlanRecorded(CarePlan {
        id: stable_id("CarePlan", id),
        patient,
        title,
        status: record_status(plan.status.as_deref()),
        activities,
        start,
        end,
    }))
}

/// `activity.detail.code`, its description, or the referenced request's display.
fn activity_text(activity: &model::CarePlanActivity) -> Option<String> {
    let detail = activity.detail.as_ref();
    detail
        .and_then(|d| d.code.as_ref().and_then(concept_text))
        .or_else(|| detail.and_then(|d| d.description.clone()))
        .or_else(|| activity.reference.as_ref().and_then(|r| r.display.clone()))
}

#[cfg(test)]
mod tests {
    use ckisa_domain::{PatientKey, Precision, RecordStatus};

    use super::*;
    use crate::resolve::{Index, Target};

    fn ctx(index: &Index) -> Ctx<'_> {
        Ctx {
            index,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn allergy_keeps_partial_onset_reactions_and_criticality() {
        let index = Index::default();
        let mut ctx = ctx(&index);
        let json = r#"{"clinicalStatus":{"coding":[{"code":"active"}]},"category":["food"],
            "criticality":"high","code":{"coding":[{"code":"227493005","display":"Cashew nuts"}]},
            "patient":{"reference":"Patient/example"},"onsetDateTime":"2004",
            "reaction":[{"manifestation":[{"coding":[{"display":"Anaphylactic reaction"}]}],
                         "description":"Severe","severity":"severe"}]}"#;
        let Fact::AllergyRecorded(a) =
            allergy(serde_json::from_str(json).unwrap(), "a1", &mut ctx).unwrap()
        else {
            panic!("an allergy")
        };
        assert_eq!(a.id, "fhir:AllergyIntolerance/a1");
        assert_eq!(a.patient, PatientKey::fhir("example"));
        assert_eq!(a.substance.text, "Cashew nuts");
        assert_eq!(a.category.as_deref(), Some("food"));
        assert_eq!(a.severity.as_deref(), Some("high"));
        assert_eq!(a.reactions, ["Anaphylactic reaction", "Severe"]);
        assert_eq!(a.onset.unwrap().precision, Precision::Year);
        assert_eq!(a.status, RecordStatus::Active);
    }

    #[test]
    fn condition_resolves_its_encounter_and_abatement() {
        let mut index = Index::default();
        index.add_url(
            "urn:uuid:e",
            Target {
                kind: "Encounter".into(),
                id: "e9".into(),
            },
        );
        index.add_url(
            "urn:uuid:p",
            Target {
                kind: "Patient".into(),
                id: "p9".into(),
            },
        );
        let mut ctx = ctx(&index);
        let json = r#"{"clinicalStatus":{"coding":[{"code":"resolved"}]},"code":{"text":"Asthme"},
            "subject":{"reference":"urn:uuid:p"},"encounter":{"reference":"urn:uuid:e"},
            "onsetDateTime":"2020","abatementDateTime":"2021-13-01"}"#;
        let Fact::ConditionRecorded(c) =
            condition(serde_json::from_str(json).unwrap(), "c1", &mut ctx).unwrap()
        else {
            panic!("a condition")
        };
        assert_eq!(c.patient, PatientKey::fhir("p9"));
        assert_eq!(c.encounter.unwrap().0, "fhir:Encounter/e9");
        assert_eq!(c.status, RecordStatus::Inactive);
        assert_eq!(c.abated, None);
        assert_eq!(ctx.warnings.len(), 1);
        assert!(
            ctx.warnings[0]
                .to_string()
                .starts_with("Condition.abatementDateTime : date invalide")
        );
    }

    #[test]
    fn subject_pointing_at_a_group_is_refused() {
        let mut index = Index::default();
        index.add_url(
            "urn:uuid:g",
            Target {
                kind: "Group".into(),
                id: "g".into(),
            },
        );
        let mut ctx = ctx(&index);
        let json = r#"{"status":"completed","subject":{"reference":"urn:uuid:g"}}"#;
        let err = procedure(serde_json::from_str(json).unwrap(), "x", &mut ctx).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Procedure.subject : « urn:uuid:g » désigne une ressource Group, pas un patient"
        );
    }

    #[test]
    fn care_plan_title_and_activities() {
        let index = Index::default();
        let mut ctx = ctx(&index);
        let json = r#"{"status":"active","category":[{"coding":[{"code":"assess-plan"}]},
              {"coding":[{"code":"384758001","display":"Self-care"}],"text":"Self-care interventions"}],
            "subject":{"reference":"Patient/p"},"period":{"start":"1982-10-09T09:24:13+05:30"},
            "activity":[{"detail":{"code":{"text":"Food allergy diet"}}},{"detail":{"description":"Walk"}},{}]}"#;
        let Fact::CarePlanRecorded(p) =
            care_plan(serde_json::from_str(json).unwrap(), "cp", &mut ctx).unwrap()
        else {
            panic!("a care plan")
        };
        assert_eq!(p.title, "Self-care interventions");
        assert_eq!(p.activities, ["Food allergy diet", "Walk"]);
        assert_eq!(p.status, RecordStatus::Active);
        assert_eq!(p.start.unwrap().year, 1982);
    }
}
