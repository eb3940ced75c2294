//! Observation to `ObservationRecorded` and DiagnosticReport to
//! `ReportRecorded`.
//!
//! Values keep the source's digits; blood pressure and other panels with
//! `component[]` become `Components`; attachments stay Base64 in the
//! observation (summarised by size in the chart). A report's Base64
//! `presentedForm` is decoded into its conclusion when it is a short text
//! and summarised otherwise (see [`crate::attachment`]).

use ckisa_domain::{Fact, Moment, Observation, ObservationCategory, ObservationValue, Report};

use super::{
    Ctx, coded, concept_text, first_code, notes, number_text, quantity_text, quantity_unit,
    range_text, stable_id,
};
use crate::attachment::{decode, decoded_len, human_size};
use crate::error::EntryError;
use crate::model::{self, ValueChoice};
use crate::resolve::Resolved;

/// Largest decoded text note copied into a report's conclusion.
const MAX_INLINE_NOTE_BYTES: u64 = 32 * 1024;

/// Maps an Observation.
pub(super) fn observation(
    obs: model::Observation,
    id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Fact, EntryError> {
    let patient = ctx.patient("Observation.subject", obs.subject.as_ref())?;
    let encounter = ctx.encounter("Observation.encounter", obs.encounter.as_ref());
    let effective = observation_effective(&obs, ctx);
    let top = value(obs.value_choice());
    let value = match top {
        ObservationValue::None if !obs.component.is_empty() => components(&obs.component),
        other => other,
    };
    let reference_range = obs.reference_range.iter().find_map(|range| {
        range
            .text
            .clone()
            .or_else(|| range_text(range.low.as_ref(), range.high.as_ref()))
    });
    let interpretation = obs.interpretation.first().and_then(|i| {
        first_code(Some(i))
            .map(str::to_owned)
            .or_else(|| i.text.clone())
    });
    Ok(Fact::ObservationRecorded(Observation {
        id: stable_id("Observation", id),
        patient,
        encounter,
        category: category(&obs.category),
        report: ctx
            .index
            .report_of
            .get(&format!("Observation/{id}"))
            .cloned(),
        code: coded(obs.code),
        value,
        reference_range,
        interpretation,
        effective,
        status: obs.status,
        notes: notes(obs.note),
    }))
}

/// Maps a DiagnosticReport.
pub(super) fn report(
    report: model::DiagnosticReport,
    id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Fact, EntryError> {
    let patient = ctx.patient("DiagnosticReport.subject", report.subject.as_ref())?;
    let encounter = ctx.encounter("DiagnosticReport.encounter", report.encounter.as_ref());
    let effective = match ctx.start(
        "DiagnosticReport.effective[x]",
        report.effective_date_time.as_deref(),
        report.effective_period.as_ref(),
    ) {
        Some(moment) => Some(moment),
        None => ctx.moment("DiagnosticReport.issued", report.issued.as_deref()),
    };
    let mut results = Vec::new();
    for reference in report.result.iter().filter_map(|r| r.reference.as_deref()) {
        match ctx.index.resolve(reference) {
            Resolved::Local(target) => results.push(stable_id(&target.kind, &target.id)),
            Resolved::Dangling => ctx.dangling("DiagnosticReport.result", reference),
            _ => {}
        }
    }
    let mut parts: Vec<String> = report.conclusion.into_iter().collect();
    parts.extend(report.conclusion_code.iter().filter_map(concept_text));
    parts.extend(report.presented_form.iter().filter_map(presented_form));
    parts.retain(|p| !p.trim().is_empty());
    Ok(Fact::ReportRecorded(Report {
        id: stable_id("DiagnosticReport", id),
        patient,
        encounter,
        code: coded(report.code),
        status: report.status,
        effective,
        results,
        conclusion: (!parts.is_empty()).then(|| parts.join("\n\n")),
    }))
}

/// A short text form decoded, anything else as a one-line summary.
fn presented_form(form: &model::Attachment) -> Option<String> {
    let media = form.content_type.as_deref().unwrap_or("type inconnu");
    let Some(data) = form.data.as_deref() else {
        let target = form.url.as_deref().or(form.title.as_deref())?;
        return Some(format!("Document externe ({media}) : {target}"));
    };
    let size = form.size.unwrap_or_else(|| decoded_len(data));
    if media.starts_with("text/")
        && size <= MAX_INLINE_NOTE_BYTES
        && let Some(text) = decode(data).and_then(|bytes| String::from_utf8(bytes).ok())
    {
        return Some(text.replace("\r\n", "\n").trim().to_owned());
    }
    Some(format!(
        "Document joint ({media}, {}) non repris dans le compte rendu",
        human_size(size)
    ))
}

/// `effective[x]`, else `issued`.
fn observation_effective(obs: &model::Observation, ctx: &mut Ctx<'_>) -> Option<Moment> {
    if let Some(text) = obs.effective_instant.as_deref() {
        return ctx.moment("Observation.effectiveInstant", Some(text));
    }
    match ctx.start(
        "Observation.effective[x]",
        obs.effective_date_time.as_deref(),
        obs.effective_period.as_ref(),
    ) {
        Some(moment) => Some(moment),
        None => ctx.moment("Observation.issued", obs.issued.as_deref()),
    }
}

/// Vital signs and laboratory by their `observation-category` code.
fn category(categories: &[model::CodeableConcept]) -> ObservationCategory {
    let has = |wanted: &str| {
        categories.iter().any(|c| {
            c.coding
                .iter()
                .any(|coding| coding.code.as_deref() == Some(wanted))
        })
    };
    if has("vital-signs") {
        ObservationCategory::Vital
    } else if has("laboratory") {
        ObservationCategory::Lab
    } else {
        ObservationCategory::Other
    }
}

/// Each component's code with its value.
fn components(components: &[model::ObservationComponent]) -> ObservationValue {
    let parts = components
        .iter()
        .map(|c| (coded(c.code.clone()), Box::new(value(c.value_choice()))))
        .collect();
    ObservationValue::Components(parts)
}

/// The `value[x]` choice as a domain value.
fn value(choice: ValueChoice<'_>) -> ObservationValue {
    if let Some(quantity) = choice.quantity.filter(|q| q.value.is_some()) {
        let number = quantity
            .value
            .as_deref()
            .map(number_text)
            .unwrap_or_default();
        let value = format!("{}{number}", quantity.comparator.as_deref().unwrap_or(""));
        return ObservationValue::Quantity {
            value,
            unit: quantity_unit(quantity),
        };
    }
    if let Some(concept) = choice.codeable_concept {
        return ObservationValue::Coded(coded(Some(concept.clone())));
    }
    if let Some(integer) = choice.integer {
        return ObservationValue::Quantity {
            value: number_text(integer),
            unit: None,
        };
    }
    if let Some(attachment) = choice.attachment {
        return attachment_value(attachment);
    }
    text_value(choice).map_or(ObservationValue::None, ObservationValue::Text)
}

/// The choices shown as plain text.
fn text_value(choice: ValueChoice<'_>) -> Option<String> {
    if let Some(text) = choice.string.or(choice.time).or(choice.date_time) {
        return Some(text.to_owned());
    }
    if let Some(flag) = choice.boolean {
        return Some(String::from(if flag { "oui" } else { "non" }));
    }
    if let Some(range) = choice.range {
        return range_text(range.low.as_ref(), range.high.as_ref());
    }
    if let Some(ratio) = choice.ratio {
        let side = |q: Option<&model::Quantity>| {
            q.and_then(quantity_text)
                .unwrap_or_else(|| String::from("?"))
        };
        return Some(format!(
            "{} / {}",
            side(ratio.numerator.as_ref()),
            side(ratio.denominator.as_ref())
        ));
    }
    if let Some(period) = choice.period {
        let start = period.start.as_deref().unwrap_or("?");
        return Some(format!(
            "{start} → {}",
            period.end.as_deref().unwrap_or("…")
        ));
    }
    choice
        .sampled_data
        .then(|| String::from("données échantillonnées (non affichées)"))
}

/// An attachment kept as a document, or a link when it has no data.
fn attachment_value(attachment: &model::Attachment) -> ObservationValue {
    match attachment.data.clone() {
        Some(data) => ObservationValue::Document {
            media_type: attachment.content_type.clone(),
            size_bytes: attachment.size.unwrap_or_else(|| decoded_len(&data)),
            data,
        },
        None => {
            let target = attachment.url.clone().or_else(|| attachment.title.clone());
            target.map_or(ObservationValue::None, |t| {
                ObservationValue::Text(format!("document externe : {t}"))
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use ckisa_domain::{Coded, PatientKey};

    use super::*;
    use crate::resolve::Index;

    fn obs(json: &str, index: &Index) -> Observation {
        let mut ctx = Ctx {
            index,
            warnings: Vec::new(),
        };
        let fact = observation(serde_json::from_str(json).unwrap(), "o1", &mut ctx).unwrap();
        assert!(ctx.warnings.is_empty(), "{:?}", ctx.warnings);
        match fact {
            Fact::ObservationRecorded(o) => o,
            other => panic!("not an observation: {other:?}"),
        }
    }

    #[test]
    fn vital_quantity_keeps_digits_unit_and_time() {
        let mut index = Index::default();
        index
            .report_of
            .insert("Observation/o1".into(), "fhir:DiagnosticReport/r".into());
        let o = obs(
            r#"{"status":"final","category":[{"coding":[{"code":"vital-signs"}]}],
                "code":{"coding":[{"system":"http://loinc.org","code":"8302-2","display":"Body Height"}]},
                "subject":{"reference":"Patient/p"},"effectiveDateTime":"2016-06-09T02:24:13+05:30",
                "valueQuantity":{"value":164.30,"unit":"cm"},
                "interpretation":[{"coding":[{"code":"H"}]}],
                "referenceRange":[{"low":{"value":150,"unit":"cm"},"high":{"value":190,"unit":"cm"}}]}"#,
            &index,
        );
        assert_eq!(o.patient, PatientKey::fhir("p"));
        assert_eq!(o.category, ObservationCategory::Vital);
        assert_eq!(o.code.code.as_deref(), Some("8302-2"));
        assert_eq!(
            o.value,
            ObservationValue::Quantity {
                value: "164.30".into(),
                unit: Some("cm".into())
            }
        );
        assert_eq!(o.reference_range.as_deref(), Some("150 - 190 cm"));
        assert_eq!(o.interpretation.as_deref(), Some("H"));
        assert_eq!(o.effective.unwrap().minute, 24);
        assert_eq!(o.status.as_deref(), Some("final"));
        assert_eq!(o.report.as_deref(), Some("fhir:DiagnosticReport/r"));
    }

    #[test]
    fn blood_pressure_components() {
        let o = obs(
            r#"{"status":"final","category":[{"coding":[{"code":"laboratory"}]}],"subject":{"reference":"Patient/p"},
                "code":{"text":"BP"},
                "component":[{"code":{"text":"Systolic"},"valueQuantity":{"value":107,"comparator":">","unit":"mm[Hg]"}},
                             {"code":{"text":"Diastolic"},"dataAbsentReason":{"text":"x"}}]}"#,
            &Index::default(),
        );
        assert_eq!(o.category, ObservationCategory::Lab);
        let ObservationValue::Components(parts) = o.value else {
            panic!("components")
        };
        assert_eq!(parts[0].0.text, "Systolic");
        assert_eq!(
            *parts[0].1,
            ObservationValue::Quantity {
                value: ">107".into(),
                unit: Some("mm[Hg]".into())
            }
        );
        assert_eq!(*parts[1].1, ObservationValue::None);
    }

    #[test]
    fn other_value_kinds() {
        let index = Index::default();
        let base = r#""subject":{"reference":"Patient/p"},"code":{"text":"x"}"#;
        let value_of = |v: &str| obs(&format!("{{{base},{v}}}"), &index).value;
        assert_eq!(
            value_of(r#""valueString":"positif""#),
            ObservationValue::Text("positif".into())
        );
        assert_eq!(
            value_of(r#""valueBoolean":false"#),
            ObservationValue::Text("non".into())
        );
        assert_eq!(
            value_of(r#""valueInteger":3"#),
            ObservationValue::Quantity {
                value: "3".into(),
                unit: None
            }
        );
        assert_eq!(
            value_of(
                r#""valueCodeableConcept":{"coding":[{"code":"260385009","display":"Negative"}]}"#
            ),
            ObservationValue::Coded(Coded {
                code: Some("260385009".into()),
                system: None,
                text: "Negative".into()
            })
        );
        assert_eq!(
            value_of(r#""valueAttachment":{"contentType":"application/pdf","data":"TWFu"}"#),
            ObservationValue::Document {
                media_type: Some("application/pdf".into()),
                size_bytes: 3,
                data: "TWFu".into()
            }
        );
        assert_eq!(
            value_of(r#""valueRange":{"low":{"value":1},"high":{"value":2}}"#),
            ObservationValue::Text("1 - 2".into())
        );
        let o = obs(&format!("{{{base}}}"), &index);
        assert_eq!(
            (o.value, o.category),
            (ObservationValue::None, ObservationCategory::Other)
        );
    }

    #[test]
    fn report_lists_results_and_decodes_a_short_note() {
        let index = Index::default();
        let mut ctx = Ctx {
            index: &index,
            warnings: Vec::new(),
        };
        // "Bonjour\r\n" in Base64.
        let json = r#"{"status":"final","code":{"text":"CR"},"subject":{"reference":"Patient/p"},
            "effectiveDateTime":"2024-01-02","conclusion":"RAS",
            "result":[{"reference":"Observation/o1"},{"reference":"Observation/o2"}],
            "presentedForm":[{"contentType":"text/plain; charset=utf-8","data":"Qm9uam91cg0K"},
                             {"contentType":"application/pdf","data":"TWFuTWFu"}]}"#;
        let Fact::ReportRecorded(r) =
            report(serde_json::from_str(json).unwrap(), "r1", &mut ctx).unwrap()
        else {
            panic!("a report")
        };
        assert_eq!(r.id, "fhir:DiagnosticReport/r1");
        assert_eq!(r.results, ["fhir:Observation/o1", "fhir:Observation/o2"]);
        assert_eq!(
            r.conclusion.as_deref(),
            Some(
                "RAS\n\nBonjour\n\nDocument joint (application/pdf, 6 o) non repris dans le compte rendu"
            )
        );
        assert_eq!(r.effective.unwrap().day, 2);
    }
}
