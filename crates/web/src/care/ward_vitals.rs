//! Vitals during the downtime (`/soins/constantes`): the entry form
//! (temperature, heart rate, blood pressure, SpO2 with oxygen or air,
//! respiratory rate, consciousness, pain, weight), the NEWS2 score of the
//! latest values with its escalation level, and charts over time that mix
//! what the HIS sent before the downtime with what was typed during it.
//!
//! Values are checked and coded by `ckisa_care::news2` (plausible limits,
//! LOINC codes, UCUM units); each is recorded as its own
//! `CareFact::Entered(Fact::ObservationRecorded)` of category vital with a
//! new id, all of one form in one commit. The history comes from
//! `Store::observations`, feed and typed values together; a point is drawn
//! as typed when its observation id is one the care book holds.

use std::collections::HashSet;

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use ckisa_auth::Action;
use ckisa_care::book::CareBook;
use ckisa_care::mar;
use ckisa_care::news2::{self, Consciousness, Level, Parameter, Spo2Scale, VitalKind};
use ckisa_domain::{
    CareFact, EncounterKey, Fact, Observation, ObservationCategory, ObservationValue, PatientKey,
};
use ckisa_print::{Chart, ChartKind, XAxis, chart_svg};
use ckisa_store::PatientChart;
use serde::Deserialize;

use super::new_item_id;
use super::ward::{
    self, PatientHead, back_to, back_to_dossier, chart_in_scope, chart_to_record, dossier_href,
};
use crate::access::{Caller, redirect};
use crate::error::{AppError, read_form, read_query};
use crate::format::Fmt;
use crate::i18n::Tr;
use crate::layout::{self, Nav};
use crate::{AppState, PageCtx};

/// How far back the charts go.
const HISTORY_MS: i64 = 7 * 24 * 3_600_000;
const CHART_WIDTH: u32 = 520;
const CHART_HEIGHT: u32 = 220;
/// Highest oxygen flow accepted, L/min (high-flow devices go to 60).
const MAX_FLOW: f64 = 60.0;

/// Since when the vitals history is read for a page shown at `now_ms`.
pub(super) fn history_since(now_ms: i64) -> i64 {
    now_ms - HISTORY_MS
}

// ---------------------------------------------------------------------------
// What the page shows.

/// The vitals part of a patient's page.
pub(super) struct VitalsView {
    pub(super) news2: Option<News2View>,
    pub(super) latest: Vec<LatestLine>,
    /// Charts drawn by `ckisa_print::chart_svg`, which escapes every text
    /// it writes.
    pub(super) charts: Vec<String>,
}

pub(super) struct News2View {
    pub(super) class: &'static str,
    pub(super) score: String,
    pub(super) level: &'static str,
    pub(super) response: &'static str,
    /// Parameters missing: the score is a lower bound.
    pub(super) partial: Option<String>,
    /// The oldest value scored.
    pub(super) oldest: Option<String>,
}

pub(super) struct LatestLine {
    pub(super) label: &'static str,
    pub(super) value: String,
    pub(super) at: String,
}

fn level_view(level: Level) -> (&'static str, &'static str, &'static str) {
    match level {
        Level::Routine => (
            "news-routine",
            "ward.news2_routine",
            "ward.news2_routine_response",
        ),
        Level::Low => ("news-low", "ward.news2_low", "ward.news2_low_response"),
        Level::LowMedium => (
            "news-lowmedium",
            "ward.news2_lowmedium",
            "ward.news2_lowmedium_response",
        ),
        Level::Medium => (
            "news-medium",
            "ward.news2_medium",
            "ward.news2_medium_response",
        ),
        Level::High => ("news-high", "ward.news2_high", "ward.news2_high_response"),
    }
}

fn parameter_key(parameter: Parameter) -> &'static str {
    match parameter {
        Parameter::RespiratoryRate => "ward.vital_rr",
        Parameter::Spo2 => "ward.vital_spo2",
        Parameter::AirOrOxygen => "ward.vital_oxygen",
        Parameter::Systolic => "ward.vital_systolic",
        Parameter::Pulse => "ward.vital_pulse",
        Parameter::Consciousness => "ward.vital_consciousness",
        Parameter::Temperature => "ward.vital_temperature",
    }
}

fn consciousness_key(level: Consciousness) -> &'static str {
    match level {
        Consciousness::Alert => "ward.acvpu_a",
        Consciousness::NewConfusion => "ward.acvpu_c",
        Consciousness::Voice => "ward.acvpu_v",
        Consciousness::Pain => "ward.acvpu_p",
        Consciousness::Unresponsive => "ward.acvpu_u",
    }
}

/// The NEWS2 of the latest values among `history`, if any value is known.
pub(super) fn news2_of(fmt: &Fmt<'_>, latest: &news2::LatestVitals) -> Option<News2View> {
    if latest.taken_ms.iter().all(Option::is_none) {
        return None;
    }
    let tr = fmt.tr;
    let score = news2::score(&latest.vitals, Spo2Scale::Scale1);
    let (class, level, response) = level_view(score.level);
    let partial = (!score.is_complete()).then(|| {
        let missing: Vec<&str> = score
            .missing
            .iter()
            .map(|p| tr.t(parameter_key(*p)))
            .collect();
        tr.fmt("ward.news2_partial", &[("missing", &missing.join(", "))])
    });
    Some(News2View {
        class,
        score: if score.is_complete() {
            tr.fmt("ward.news2_score", &[("n", &score.total.to_string())])
        } else {
            tr.fmt(
                "ward.news2_score_partial",
                &[("n", &score.total.to_string())],
            )
        },
        level: tr.t(level),
        response: tr.t(response),
        partial,
        oldest: latest
            .oldest_ms()
            .map(|ms| tr.fmt("ward.news2_oldest", &[("at", &ward::minute(fmt, ms))])),
    })
}

fn number(tr: Tr, value: f64) -> String {
    let mut text = format!("{value:.1}");
    if text.ends_with(".0") {
        text.truncate(text.len() - 2);
    }
    crate::format::number(tr, &text)
}

fn latest_lines(fmt: &Fmt<'_>, latest: &news2::LatestVitals) -> Vec<LatestLine> {
    let tr = fmt.tr;
    let at = |p: Parameter| {
        latest
            .taken(p)
            .map_or_else(String::new, |ms| ward::short_time(fmt, ms))
    };
    let v = &latest.vitals;
    let mut lines = Vec::new();
    let mut push = |key: &str, value: Option<String>, when: String| {
        if let Some(value) = value {
            lines.push(LatestLine {
                label: tr.t(key),
                value,
                at: when,
            });
        }
    };
    push(
        "ward.vital_temperature",
        v.temperature.map(|t| format!("{} °C", number(tr, t))),
        at(Parameter::Temperature),
    );
    push(
        "ward.vital_pulse",
        v.pulse.map(|p| format!("{} /min", number(tr, p))),
        at(Parameter::Pulse),
    );
    push(
        "ward.vital_pressure",
        v.systolic.map(|s| match latest.diastolic {
            Some(d) => format!("{}/{} mmHg", number(tr, s), number(tr, d)),
            None => format!("{} mmHg", number(tr, s)),
        }),
        at(Parameter::Systolic),
    );
    push(
        "ward.vital_spo2",
        v.spo2.map(|s| format!("{} %", number(tr, s))),
        at(Parameter::Spo2),
    );
    push(
        "ward.vital_oxygen",
        v.on_oxygen.map(|o| {
            tr.t(if o { "ward.on_oxygen" } else { "ward.on_air" })
                .to_owned()
        }),
        at(Parameter::AirOrOxygen),
    );
    push(
        "ward.vital_rr",
        v.respiratory_rate
            .map(|r| format!("{} /min", number(tr, r))),
        at(Parameter::RespiratoryRate),
    );
    push(
        "ward.vital_consciousness",
        v.consciousness
            .map(|c| format!("{} — {}", c.letter(), tr.t(consciousness_key(c)))),
        at(Parameter::Consciousness),
    );
    push(
        "ward.vital_pain",
        latest.pain.map(|p| format!("{}/10", number(tr, p))),
        String::new(),
    );
    push(
        "ward.vital_weight",
        latest.weight_kg.map(|w| format!("{} kg", number(tr, w))),
        String::new(),
    );
    lines
}

/// The points of one chart: before and during the downtime.
#[derive(Default)]
struct Points {
    his: Vec<(f64, f64)>,
    typed: Vec<(f64, f64)>,
}

impl Points {
    fn push(&mut self, typed: bool, at_ms: i64, value: f64) {
        let point = (at_ms as f64, value);
        if typed {
            self.typed.push(point);
        } else {
            self.his.push(point);
        }
    }

    fn is_empty(&self) -> bool {
        self.his.is_empty() && self.typed.is_empty()
    }
}

/// The vitals of a patient: NEWS2 of the latest values, the latest values,
/// and one chart per measure.
pub(super) fn view(
    fmt: &Fmt<'_>,
    book: &CareBook,
    patient: &PatientKey,
    history: &[Observation],
) -> VitalsView {
    let latest = news2::latest_vitals(history, fmt.zone);
    let typed: HashSet<&str> = book
        .of_patient(patient)
        .filter_map(|e| match &e.fact {
            CareFact::Entered(inner) => match inner.as_ref() {
                Fact::ObservationRecorded(o) => Some(o.id.as_str()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    VitalsView {
        news2: news2_of(fmt, &latest),
        latest: latest_lines(fmt, &latest),
        charts: charts(fmt, history, &typed),
    }
}

fn charts(fmt: &Fmt<'_>, history: &[Observation], typed: &HashSet<&str>) -> Vec<String> {
    let tr = fmt.tr;
    let (mut temperature, mut pulse, mut systolic, mut diastolic, mut spo2, mut rr) = (
        Points::default(),
        Points::default(),
        Points::default(),
        Points::default(),
        Points::default(),
        Points::default(),
    );
    for observation in history {
        // One observation read alone: its kind is whichever value it gives.
        let one = news2::latest_vitals(std::iter::once(observation), fmt.zone);
        // A value NEWS2 does not score (a diastolic alone) is dated by the
        // observation itself.
        let Some(at) = one.taken_ms.iter().flatten().next().copied().or_else(|| {
            observation
                .effective
                .as_ref()
                .and_then(|m| ckisa_care::mar::moment_ms(m, fmt.zone))
        }) else {
            continue;
        };
        let is_typed = typed.contains(observation.id.as_str());
        let v = &one.vitals;
        if let Some(t) = v.temperature {
            temperature.push(is_typed, at, t);
        }
        if let Some(p) = v.pulse {
            pulse.push(is_typed, at, p);
        }
        if let Some(s) = v.systolic {
            systolic.push(is_typed, at, s);
        }
        if let Some(d) = one.diastolic {
            diastolic.push(is_typed, at, d);
        }
        if let Some(s) = v.spo2 {
            spo2.push(is_typed, at, s);
        }
        if let Some(r) = v.respiratory_rate {
            rr.push(is_typed, at, r);
        }
    }
    let his = tr.t("ward.series_his");
    let down = tr.t("ward.series_downtime");
    let mut out = Vec::new();
    let mut draw = |title: &str, unit: &str, series: Vec<(String, Vec<(f64, f64)>)>| {
        if series.iter().all(|(_, points)| points.is_empty()) {
            return;
        }
        let mut chart =
            Chart::new(ChartKind::Line, title, XAxis::Time(fmt.zone.clone())).y_label(unit);
        for (name, points) in series {
            chart = chart.series(&name, points);
        }
        out.push(chart_svg(&chart, CHART_WIDTH, CHART_HEIGHT));
    };
    for (key, unit, points) in [
        ("ward.vital_temperature", "°C", temperature),
        ("ward.vital_pulse", "/min", pulse),
        ("ward.vital_spo2", "%", spo2),
        ("ward.vital_rr", "/min", rr),
    ] {
        if points.is_empty() {
            continue;
        }
        draw(
            tr.t(key),
            unit,
            vec![
                (his.to_owned(), points.his),
                (down.to_owned(), points.typed),
            ],
        );
    }
    if !systolic.is_empty() || !diastolic.is_empty() {
        let sys = tr.t("ward.series_systolic");
        let dia = tr.t("ward.series_diastolic");
        draw(
            tr.t("ward.vital_pressure"),
            "mmHg",
            vec![
                (format!("{sys} — {his}"), systolic.his),
                (format!("{sys} — {down}"), systolic.typed),
                (format!("{dia} — {his}"), diastolic.his),
                (format!("{dia} — {down}"), diastolic.typed),
            ],
        );
    }
    out
}

// ---------------------------------------------------------------------------
// The form.

/// One ACVPU choice of the form.
pub(super) struct AcvpuOption {
    pub(super) value: &'static str,
    pub(super) label: String,
    pub(super) selected: bool,
}

/// The vitals form, blank or as posted with its errors.
pub(super) struct VitalsForm {
    pub(super) csrf: String,
    pub(super) patient: String,
    pub(super) retour: String,
    pub(super) temperature: String,
    pub(super) pulse: String,
    pub(super) pressure: String,
    pub(super) spo2: String,
    pub(super) oxygen: String,
    pub(super) flow: String,
    pub(super) rr: String,
    pub(super) acvpu: Vec<AcvpuOption>,
    pub(super) pain: String,
    pub(super) weight: String,
    pub(super) time: String,
    pub(super) errors: Vec<String>,
}

fn acvpu_options(tr: Tr, chosen: &str) -> Vec<AcvpuOption> {
    Consciousness::ALL
        .into_iter()
        .map(|c| AcvpuOption {
            value: c.letter(),
            label: format!("{} — {}", c.letter(), tr.t(consciousness_key(c))),
            selected: c.letter() == chosen,
        })
        .collect()
}

impl VitalsForm {
    /// An empty form for `patient`, the time set to now.
    pub(super) fn blank(fmt: &Fmt<'_>, csrf: &str, patient: &str) -> VitalsForm {
        VitalsForm {
            csrf: csrf.to_owned(),
            patient: patient.to_owned(),
            retour: String::new(),
            temperature: String::new(),
            pulse: String::new(),
            pressure: String::new(),
            spo2: String::new(),
            oxygen: String::new(),
            flow: String::new(),
            rr: String::new(),
            acvpu: acvpu_options(fmt.tr, ""),
            pain: String::new(),
            weight: String::new(),
            time: ward::local_input(fmt.zone, fmt.now_ms),
            errors: Vec::new(),
        }
    }
}

/// The query of the form page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct VitalsQuery {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    retour: String,
}

/// The form as posted.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct VitalsPost {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    retour: String,
    #[serde(default)]
    temperature: String,
    #[serde(default)]
    fc: String,
    #[serde(default)]
    pa: String,
    #[serde(default)]
    spo2: String,
    /// `oui` (oxygen), `non` (air) or empty (not said).
    #[serde(default)]
    oxygene: String,
    /// Oxygen flow, L/min.
    #[serde(default)]
    debit: String,
    #[serde(default)]
    fr: String,
    #[serde(default)]
    conscience: String,
    #[serde(default)]
    douleur: String,
    #[serde(default)]
    poids: String,
    #[serde(default)]
    heure: String,
}

#[derive(Template)]
#[template(path = "care/ward/vitals.html")]
struct VitalsTemplate {
    tr: Tr,
    open: bool,
    head: PatientHead,
    news2: Option<News2View>,
    back: String,
    form: VitalsForm,
}

/// `GET /soins/constantes`.
pub(crate) async fn vitals_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    query: Result<Query<VitalsQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = read_query(query)?;
    let chart = chart_in_scope(&state, &caller, &query.patient, Action::CareDocument, true).await?;
    let fmt = ctx.fmt(&state);
    let mut form = VitalsForm::blank(&fmt, caller.csrf()?, chart.identity.patient.as_str());
    form.retour = query.retour;
    vitals_view(&state, &ctx, &chart, form, StatusCode::OK).await
}

async fn vitals_view(
    state: &AppState,
    ctx: &PageCtx,
    chart: &PatientChart,
    form: VitalsForm,
    status: StatusCode,
) -> Result<Response, AppError> {
    let open = state.downtime_open().await.is_ok();
    let root = chart.identity.patient.clone();
    let since = history_since(state.now_ms());
    let history = state
        .read(move |store| store.observations(&root, ObservationCategory::Vital, Some(since)))
        .await?;
    let fmt = ctx.fmt(state);
    let latest = news2::latest_vitals(&history, fmt.zone);
    let main = VitalsTemplate {
        tr: fmt.tr,
        open,
        head: PatientHead::of(&fmt, chart),
        news2: news2_of(&fmt, &latest),
        back: back_to_dossier(&form.retour, chart),
        form,
    }
    .render()?;
    let title = fmt.tr.t("ward.vitals_title");
    layout::respond_form(state, ctx, title, Nav::None, main, status)
}

/// `POST /soins/constantes`.
pub(crate) async fn vitals_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<VitalsPost>, FormRejection>,
) -> Result<Response, AppError> {
    let posted = read_form(form)?;
    let chart = chart_to_record(&state, &caller, &posted.patient, Action::CareDocument).await?;
    let fmt = ctx.fmt(&state);
    let (observations, errors) = read_vitals(&fmt, &chart, &posted);
    if !errors.is_empty() {
        let form = VitalsForm {
            csrf: caller.csrf()?.to_owned(),
            patient: chart.identity.patient.as_str().to_owned(),
            retour: posted.retour.clone(),
            temperature: posted.temperature.trim().to_owned(),
            pulse: posted.fc.trim().to_owned(),
            pressure: posted.pa.trim().to_owned(),
            spo2: posted.spo2.trim().to_owned(),
            oxygen: posted.oxygene.trim().to_owned(),
            flow: posted.debit.trim().to_owned(),
            rr: posted.fr.trim().to_owned(),
            acvpu: acvpu_options(fmt.tr, posted.conscience.trim()),
            pain: posted.douleur.trim().to_owned(),
            weight: posted.poids.trim().to_owned(),
            time: posted.heure.trim().to_owned(),
            errors,
        };
        return vitals_view(&state, &ctx, &chart, form, StatusCode::BAD_REQUEST).await;
    }
    let root = chart.identity.patient.as_str().to_owned();
    let detail = format!("constantes ({} valeurs)", observations.len());
    let facts = observations
        .into_iter()
        .map(|o| CareFact::Entered(Box::new(Fact::ObservationRecorded(o))))
        .collect();
    state
        .care_record(
            &caller,
            Action::CareDocument,
            Some(&root),
            &detail,
            facts,
            None,
        )
        .await?;
    let back = back_to(
        &posted.retour,
        format!("{}#constantes", dossier_href(&chart.identity.patient)),
    );
    Ok(redirect(&back))
}

/// The observations the form describes, and what is wrong with it.
fn read_vitals(
    fmt: &Fmt<'_>,
    chart: &PatientChart,
    posted: &VitalsPost,
) -> (Vec<Observation>, Vec<String>) {
    let tr = fmt.tr;
    let mut errors = Vec::new();
    let at = ward::parse_local(fmt.zone, &posted.heure);
    match at {
        None => errors.push(tr.t("ward.error_time").to_owned()),
        Some(at) => errors.extend(ward::check_real_time(tr, fmt.now_ms, at)),
    }
    let mut values: Vec<(ckisa_domain::Coded, ObservationValue)> = Vec::new();
    for (kind, text) in [
        (VitalKind::Temperature, &posted.temperature),
        (VitalKind::HeartRate, &posted.fc),
        (VitalKind::BloodPressure, &posted.pa),
        (VitalKind::Spo2, &posted.spo2),
        (VitalKind::RespiratoryRate, &posted.fr),
        (VitalKind::Consciousness, &posted.conscience),
        (VitalKind::Pain, &posted.douleur),
        (VitalKind::Weight, &posted.poids),
    ] {
        if text.trim().is_empty() {
            continue;
        }
        match news2::validate_vital(kind, text) {
            Ok(value) => values.push((news2::vital_code(kind), value)),
            Err(error) => errors.push(error.to_string()),
        }
    }
    match posted.oxygene.trim() {
        "" => {
            if !posted.debit.trim().is_empty() {
                errors.push(tr.t("ward.error_flow_without_oxygen").to_owned());
            }
        }
        "non" => values.push((news2::oxygen_code(), flow_value(0.0))),
        "oui" => match read_flow(&posted.debit) {
            Some(flow) => values.push((news2::oxygen_code(), flow_value(flow))),
            None => errors.push(tr.t("ward.error_flow").to_owned()),
        },
        _ => errors.push(tr.t("ward.error_oxygen").to_owned()),
    }
    if values.is_empty() && errors.is_empty() {
        errors.push(tr.t("ward.error_no_vital").to_owned());
    }
    let effective = at.and_then(|at| mar::moment_at(at, fmt.zone));
    let (Some(effective), true) = (effective, errors.is_empty()) else {
        return (Vec::new(), errors);
    };
    let encounter = chart
        .stay
        .as_ref()
        .map(|s| EncounterKey(s.encounter.clone()));
    let observations = values
        .into_iter()
        .map(|(code, value)| Observation {
            id: new_item_id("obs", fmt.now_ms),
            patient: chart.identity.patient.clone(),
            encounter: encounter.clone(),
            category: ObservationCategory::Vital,
            code,
            value,
            reference_range: None,
            interpretation: None,
            effective: Some(effective),
            status: Some("final".to_owned()),
            report: None,
            notes: Vec::new(),
        })
        .collect();
    (observations, errors)
}

/// An oxygen flow typed in L/min: over 0, at most [`MAX_FLOW`].
fn read_flow(text: &str) -> Option<f64> {
    let value: f64 = text.trim().replace(',', ".").parse().ok()?;
    (value.is_finite() && value > 0.0 && value <= MAX_FLOW).then_some(value)
}

fn flow_value(flow: f64) -> ObservationValue {
    let mut text = format!("{flow:.1}");
    if text.ends_with(".0") {
        text.truncate(text.len() - 2);
    }
    ObservationValue::Quantity {
        value: text,
        unit: Some("L/min".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oxygen_flows_are_positive_and_bounded() {
        assert_eq!(read_flow("2"), Some(2.0));
        assert_eq!(read_flow(" 1,5 "), Some(1.5));
        for bad in ["0", "-1", "61", "beaucoup", ""] {
            assert_eq!(read_flow(bad), None, "{bad}");
        }
        assert_eq!(
            flow_value(2.0),
            ObservationValue::Quantity {
                value: "2".into(),
                unit: Some("L/min".into())
            }
        );
    }
}
