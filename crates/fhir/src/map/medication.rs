//! MedicationRequest (an order) and MedicationStatement (a statement of
//! use) to `MedicationRecorded`.
//!
//! The drug is `medicationCodeableConcept`, or the Medication that
//! `medicationReference` points to: contained (`#id`), elsewhere in the
//! bundle (`urn:uuid:`), or only its display text. Dosage is summarised for
//! a caregiver: dose, route, a French frequency (`3 fois par jour`), and the
//! prescriber's free text kept as the note.

use ckisa_domain::{Coded, Fact, Medication, MedicationKind, Moment};
use serde_json::value::RawValue;

use super::{
    Ctx, coded, concept_text, notes, number_text, quantity_text, range_text, record_status,
    stable_id,
};
use crate::error::EntryError;
use crate::input::resource_type;
use crate::model;
use crate::resolve::Resolved;

const BOUNDS_START: &str = "MedicationRequest.dosageInstruction.timing.repeat.boundsPeriod.start";
const BOUNDS_END: &str = "MedicationRequest.dosageInstruction.timing.repeat.boundsPeriod.end";
const VALIDITY_START: &str = "MedicationRequest.dispenseRequest.validityPeriod.start";
const VALIDITY_END: &str = "MedicationRequest.dispenseRequest.validityPeriod.end";

/// Maps a MedicationRequest.
pub(super) fn request(
    request: model::MedicationRequest,
    id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Fact, EntryError> {
    let patient = ctx.patient("MedicationRequest.subject", request.subject.as_ref())?;
    let encounter = ctx.encounter("MedicationRequest.encounter", request.encounter.as_ref());
    let drug = drug(
        request.medication_codeable_concept,
        request.medication_reference.as_ref(),
        &request.contained,
        ctx,
    );
    let prescriber = ctx.resource_ref("MedicationRequest.requester", request.requester.as_ref());
    let summary = dosage_summary(&request.dosage_instruction, request.note);

    // The order runs over its timing bounds, else its validity period, else from its authoring.
    let timing_bounds = request
        .dosage_instruction
        .iter()
        .find_map(|d| d.timing.as_ref()?.repeat.as_ref()?.bounds_period.as_ref());
    let (bounds, start_element, end_element) = match timing_bounds {
        Some(period) => (Some(period), BOUNDS_START, BOUNDS_END),
        None => {
            let validity = request
                .dispense_request
                .as_ref()
                .and_then(|d| d.validity_period.as_ref());
            (validity, VALIDITY_START, VALIDITY_END)
        }
    };
    let start = match bounds.and_then(|p| p.start.as_deref()) {
        Some(text) => ctx.moment(start_element, Some(text)),
        None => ctx.moment(
            "MedicationRequest.authoredOn",
            request.authored_on.as_deref(),
        ),
    };
    let end = ctx.moment(end_element, bounds.and_then(|p| p.end.as_deref()));

    Ok(Fact::MedicationRecorded(Medication {
        id: stable_id("MedicationRequest", id),
        patient,
        encounter,
        kind: MedicationKind::Order,
        drug,
        dose: summary.dose,
        route: summary.route,
        frequency: summary.frequency,
        start,
        end,
        prescriber,
        status: record_status(request.status.as_deref()),
        note: summary.note,
    }))
}

/// Maps a MedicationStatement.
pub(super) fn statement(
    statement: model::MedicationStatement,
    id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Fact, EntryError> {
    let patient = ctx.patient("MedicationStatement.subject", statement.subject.as_ref())?;
    let encounter = ctx.encounter("MedicationStatement.context", statement.context.as_ref());
    let drug = drug(
        statement.medication_codeable_concept,
        statement.medication_reference.as_ref(),
        &statement.contained,
        ctx,
    );
    let summary = dosage_summary(&statement.dosage, statement.note);
    let (start, end) = effective(
        &statement.effective_date_time,
        statement.effective_period.as_ref(),
        ctx,
    );
    Ok(Fact::MedicationRecorded(Medication {
        id: stable_id("MedicationStatement", id),
        patient,
        encounter,
        kind: MedicationKind::Statement,
        drug,
        dose: summary.dose,
        route: summary.route,
        frequency: summary.frequency,
        start,
        end,
        prescriber: None,
        status: record_status(statement.status.as_deref()),
        note: summary.note,
    }))
}

/// `effective[x]` of a statement as start and end.
fn effective(
    date_time: &Option<String>,
    period: Option<&model::Period>,
    ctx: &mut Ctx<'_>,
) -> (Option<Moment>, Option<Moment>) {
    if let Some(text) = date_time.as_deref() {
        return (
            ctx.moment("MedicationStatement.effectiveDateTime", Some(text)),
            None,
        );
    }
    let start = ctx.moment(
        "MedicationStatement.effectivePeriod.start",
        period.and_then(|p| p.start.as_deref()),
    );
    let end = ctx.moment(
        "MedicationStatement.effectivePeriod.end",
        period.and_then(|p| p.end.as_deref()),
    );
    (start, end)
}

/// The drug, from the concept or the referenced Medication.
pub(super) fn drug(
    concept: Option<model::CodeableConcept>,
    reference: Option<&model::Reference>,
    contained: &[Box<RawValue>],
    ctx: &mut Ctx<'_>,
) -> Coded {
    if concept.is_some() {
        return coded(concept);
    }
    let Some(reference) = reference else {
        return Coded::default();
    };
    let target = reference
        .reference
        .as_deref()
        .and_then(|text| match ctx.index.resolve(text) {
            Resolved::Contained(id) => contained_medication(contained, id),
            Resolved::Local(target) if target.kind == "Medication" => {
                ctx.index.medications.get(&target.reference()).cloned()
            }
            Resolved::Dangling => {
                ctx.dangling("medicationReference", text);
                None
            }
            _ => None,
        });
    let display = || {
        reference.display.clone().map(|text| Coded {
            code: None,
            system: None,
            text,
        })
    };
    target.or_else(display).unwrap_or_default()
}

/// The code of the contained Medication with this id.
fn contained_medication(contained: &[Box<RawValue>], id: &str) -> Option<Coded> {
    contained.iter().find_map(|raw| {
        if resource_type(raw.get()).ok()? != "Medication" {
            return None;
        }
        let medication: model::Medication = serde_json::from_str(raw.get()).ok()?;
        (medication.id.as_deref() == Some(id)).then(|| coded(medication.code))
    })
}

/// Dose, route, frequency and free text of a list of dosages.
#[derive(Debug, Default, PartialEq)]
struct DosageSummary {
    dose: Option<String>,
    route: Option<String>,
    frequency: Option<String>,
    note: Option<String>,
}

fn dosage_summary(dosages: &[model::Dosage], annotations: Vec<model::Annotation>) -> DosageSummary {
    let dose = dosages
        .iter()
        .flat_map(|d| &d.dose_and_rate)
        .find_map(|dr| {
            dr.dose_quantity
                .as_ref()
                .and_then(quantity_text)
                .or_else(|| {
                    dr.dose_range
                        .as_ref()
                        .and_then(|r| range_text(r.low.as_ref(), r.high.as_ref()))
                })
        });
    let route = dosages
        .iter()
        .find_map(|d| d.route.as_ref().and_then(concept_text));
    let frequency = dosages.iter().find_map(frequency);
    let mut texts: Vec<String> = Vec::new();
    for dosage in dosages {
        texts.extend(dosage.text.clone());
        texts.extend(dosage.patient_instruction.clone());
    }
    texts.extend(notes(annotations));
    texts.retain(|t| !t.trim().is_empty());
    let note = (!texts.is_empty()).then(|| texts.join("\n"));
    DosageSummary {
        dose,
        route,
        frequency,
        note,
    }
}

/// `timing.code`, or the repeat rule in French, plus "si besoin".
fn frequency(dosage: &model::Dosage) -> Option<String> {
    let timing = dosage.timing.as_ref();
    let rule = timing
        .and_then(|t| t.code.as_ref().and_then(concept_text))
        .or_else(|| timing.and_then(|t| t.repeat.as_ref()).and_then(repeat_text));
    let as_needed =
        dosage.as_needed_boolean == Some(true) || dosage.as_needed_codeable_concept.is_some();
    match (rule, as_needed) {
        (Some(rule), true) => Some(format!("{rule}, si besoin")),
        (Some(rule), false) => Some(rule),
        (None, true) => Some(String::from("si besoin")),
        (None, false) => None,
    }
}

/// `3 fois par jour`, `1 fois toutes les 4 à 6 heures`.
fn repeat_text(repeat: &model::TimingRepeat) -> Option<String> {
    let (singular, plural, feminine) = unit_words(repeat.period_unit.as_deref()?)?;
    let period = repeat.period.as_deref().map(number_text)?;
    let period_max = repeat.period_max.as_deref().map(number_text);
    let frequency = repeat.frequency.unwrap_or(1);
    let every = if period.parse::<f64>().ok() == Some(1.0) && period_max.is_none() {
        format!("par {singular}")
    } else {
        let all = if feminine { "toutes les" } else { "tous les" };
        let span = period_max.map_or_else(|| period.clone(), |max| format!("{period} à {max}"));
        format!("{all} {span} {plural}")
    };
    Some(format!("{frequency} fois {every}"))
}

/// French words for a UCUM time unit: singular, plural, feminine.
fn unit_words(unit: &str) -> Option<(&'static str, &'static str, bool)> {
    Some(match unit {
        "s" => ("seconde", "secondes", true),
        "min" => ("minute", "minutes", true),
        "h" => ("heure", "heures", true),
        "d" => ("jour", "jours", false),
        "wk" => ("semaine", "semaines", true),
        "mo" => ("mois", "mois", false),
        "a" => ("an", "ans", false),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use ckisa_domain::{PatientKey, RecordStatus};

    use super::*;
    use crate::resolve::{Index, Target};

    fn medication(fact: Fact) -> Medication {
        match fact {
            Fact::MedicationRecorded(m) => m,
            other => panic!("not a medication: {other:?}"),
        }
    }

    #[test]
    fn order_with_contained_medication_and_repeat_timing() {
        let index = Index::default();
        let mut ctx = Ctx {
            index: &index,
            warnings: Vec::new(),
        };
        let json = r##"{"status":"completed",
          "contained":[{"resourceType":"Provenance","id":"med0310"},
                       {"resourceType":"Medication","id":"med0310","code":{"coding":[{"code":"430127000","display":"Oral Form Oxycodone"}]}}],
          "medicationReference":{"reference":"#med0310"},"subject":{"reference":"Patient/pat1"},
          "authoredOn":"2015-01-15","requester":{"reference":"Practitioner/f007","display":"Patrick Pump"},
          "note":[{"text":"with food"}],
          "dosageInstruction":[{"text":"one to two tablets","timing":{"repeat":{"frequency":1,"period":4,"periodMax":6,"periodUnit":"h"}},
             "asNeededCodeableConcept":{"text":"pain"},"route":{"coding":[{"display":"Oral Route"}]},
             "doseAndRate":[{"doseRange":{"low":{"value":1,"unit":"TAB"},"high":{"value":2,"unit":"TAB"}}}]}],
          "dispenseRequest":{"validityPeriod":{"start":"2015-01-15","end":"2016-01-15"}}}"##;
        let m = medication(
            request(serde_json::from_str(json).unwrap(), "medrx0301", &mut ctx).unwrap(),
        );
        assert!(ctx.warnings.is_empty(), "{:?}", ctx.warnings);
        assert_eq!(m.id, "fhir:MedicationRequest/medrx0301");
        assert_eq!(m.patient, PatientKey::fhir("pat1"));
        assert_eq!(m.kind, MedicationKind::Order);
        assert_eq!(
            (m.drug.code.as_deref(), m.drug.text.as_str()),
            (Some("430127000"), "Oral Form Oxycodone")
        );
        assert_eq!(m.dose.as_deref(), Some("1 - 2 TAB"));
        assert_eq!(m.route.as_deref(), Some("Oral Route"));
        assert_eq!(
            m.frequency.as_deref(),
            Some("1 fois toutes les 4 à 6 heures, si besoin")
        );
        assert_eq!(m.note.as_deref(), Some("one to two tablets\nwith food"));
        assert_eq!(
            m.prescriber.unwrap().reference.as_deref(),
            Some("Practitioner/f007")
        );
        assert_eq!(m.start.unwrap().year, 2015);
        assert_eq!(m.end.unwrap().year, 2016);
        assert_eq!(m.status, RecordStatus::Inactive);
    }

    #[test]
    fn bundle_medication_is_found_by_full_url() {
        let mut index = Index::default();
        index.add_url(
            "urn:uuid:m",
            Target {
                kind: "Medication".into(),
                id: "m".into(),
            },
        );
        index.medications.insert(
            "Medication/m".into(),
            Coded {
                code: Some("1".into()),
                system: None,
                text: "Gel".into(),
            },
        );
        let mut ctx = Ctx {
            index: &index,
            warnings: Vec::new(),
        };
        let json = r#"{"status":"active","medicationReference":{"reference":"urn:uuid:m"},
          "subject":{"reference":"Patient/p"},
          "dosageInstruction":[{"timing":{"repeat":{"frequency":3,"period":1,"periodUnit":"d"}},
            "doseAndRate":[{"doseQuantity":{"value":500,"unit":"mg"}}]}]}"#;
        let m = medication(request(serde_json::from_str(json).unwrap(), "r", &mut ctx).unwrap());
        assert_eq!(m.drug.text, "Gel");
        assert_eq!(m.dose.as_deref(), Some("500 mg"));
        assert_eq!(m.frequency.as_deref(), Some("3 fois par jour"));
        assert_eq!(m.status, RecordStatus::Active);
    }

    #[test]
    fn statement_uses_effective_period_and_display_fallback() {
        let index = Index::default();
        let mut ctx = Ctx {
            index: &index,
            warnings: Vec::new(),
        };
        let json = r#"{"status":"active","medicationReference":{"reference":"Medication/x","display":"Doliprane"},
          "subject":{"reference":"Patient/p"},"effectivePeriod":{"start":"2024-01","end":"2024-02"},
          "dosage":[{"asNeededBoolean":true,"timing":{"repeat":{"frequency":2,"period":2,"periodUnit":"wk"}}}]}"#;
        let m = medication(statement(serde_json::from_str(json).unwrap(), "s", &mut ctx).unwrap());
        assert_eq!(m.kind, MedicationKind::Statement);
        assert_eq!(m.drug.text, "Doliprane");
        assert_eq!(
            m.frequency.as_deref(),
            Some("2 fois toutes les 2 semaines, si besoin")
        );
        assert_eq!(m.start.unwrap().month, 1);
        assert_eq!(m.end.unwrap().month, 2);
    }
}
