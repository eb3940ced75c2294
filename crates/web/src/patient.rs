//! The patient summary (`/patients/{key}`).
//!
//! One page with what a caregiver needs at the bedside: identity, allergies
//! first and prominent, the current stay, problems, active prescriptions,
//! care plans, latest vitals and results, reports and procedures. Every
//! item shows its date; a document shows its size, never its content; notes
//! keep their leading spaces.

use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use ckisa_auth::{Action, Reach};
use ckisa_domain::{
    Allergy, CarePlan, Condition, Medication, MedicationKind, Observation, PatientKey, Procedure,
    Report,
};
use ckisa_store::{Identity, PatientChart, StayView};

use crate::access::{Audited, Caller, ChartAccess, redirect};
use crate::codes::{self, Flag, FlagLevel, Shown};
use crate::error::{AppError, BadInput};
use crate::format::{self, Fmt, clean, clean_keep_indent, full_name, place, unit_href};
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page};
use crate::units::allergy_text;
use crate::{AppState, PageCtx};

/// Longest patient key accepted in a URL.
const MAX_KEY_LEN: usize = 512;

/// The patient key of a `/patients/{*key}` path.
pub(crate) fn key_from_path(
    path: Result<Path<String>, PathRejection>,
) -> Result<PatientKey, AppError> {
    let Ok(Path(key)) = path else {
        return Err(AppError::BadInput(BadInput::KeyInvalid));
    };
    valid_key(&key)
}

/// A patient key typed or linked: trimmed, not empty, bounded, no control
/// character.
pub(crate) fn valid_key(key: &str) -> Result<PatientKey, AppError> {
    let key = key.trim();
    if key.is_empty() || key.len() > MAX_KEY_LEN || key.chars().any(char::is_control) {
        return Err(AppError::BadInput(BadInput::KeyInvalid));
    }
    Ok(PatientKey(key.to_owned()))
}

/// `GET /patients/{key}`.
pub(crate) async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let key = key_from_path(path)?;
    let asked = key.clone();
    let (chart, feeds) = state
        .read(move |store| Ok((store.patient_chart(&key)?, store.feeds()?)))
        .await?;
    let Some(chart) = chart else {
        return Err(unknown_patient(&state, &caller, &asked));
    };
    let broken_glass = match check_chart(&state, &caller, &asked, &chart) {
        Ok(broken_glass) => broken_glass,
        Err(AppError::OutsideUnits) if caller.reach(Action::BreakGlass) != Reach::Never => {
            return Ok(redirect(&crate::breakglass::href(&asked)));
        }
        Err(error) => return Err(error),
    };
    let fmt = ctx.fmt(&state);
    let mut view = PatientView::build(&fmt, &asked, &chart);
    view.broken_glass = broken_glass;
    let title = view.name.clone();
    let main = PatientTemplate {
        tr: fmt.tr,
        p: view,
    }
    .render()?;
    let page = Page {
        title: &title,
        nav: Nav::None,
        query: "",
        main,
    };
    layout::respond(&state, &ctx, &feeds, page)
}

/// Audits a patient key that names nobody (a probe, or a typo) and gives
/// the 404.
pub(crate) fn unknown_patient(state: &AppState, caller: &Caller, key: &PatientKey) -> AppError {
    caller.audit(
        state,
        Audited::failed(Action::PatientChart)
            .patient(key.as_str())
            .detail("patient inconnu"),
    );
    AppError::PatientNotFound
}

/// Decides whether `caller` may read `chart`, and audits the read or the
/// refusal. `Ok(Some(reason))` when allowed through break-the-glass.
pub(crate) fn check_chart(
    state: &AppState,
    caller: &Caller,
    key: &PatientKey,
    chart: &PatientChart,
) -> Result<Option<String>, AppError> {
    let action = Action::PatientChart;
    let stays = chart.stay.iter().chain(&chart.other_stays);
    match caller.chart_access(state, &key.0, stays) {
        ChartAccess::InScope => {
            caller.audit(state, Audited::allowed(action).patient(&key.0));
            Ok(None)
        }
        ChartAccess::BrokenGlass(reason) => {
            let detail = format!("bris de glace : {reason}");
            caller.audit(
                state,
                Audited::allowed(action).patient(&key.0).detail(&detail),
            );
            Ok(Some(reason))
        }
        ChartAccess::Refused { .. } => {
            caller.audit(state, Audited::denied(action).patient(&key.0));
            Err(AppError::OutsideUnits)
        }
    }
}

#[derive(Template)]
#[template(path = "patient.html")]
struct PatientTemplate {
    tr: Tr,
    p: PatientView,
}

struct PatientView {
    /// Opened through break-the-glass: the reason given, shown in a banner.
    broken_glass: Option<String>,
    name: String,
    merged: Option<String>,
    birth_name: Option<String>,
    birth: String,
    sex: &'static str,
    ipp: Option<String>,
    ins: Option<String>,
    addresses: Vec<String>,
    phones: Vec<String>,
    deceased: Option<String>,
    allergy_badge: String,
    allergies: Vec<AllergyLine>,
    stay: Option<StayLine>,
    /// Other open stays of the same patient, shown as a warning.
    other_stays: Vec<StayLine>,
    conditions: Vec<DatedLine>,
    medications: Vec<MedicationLine>,
    care_plans: Vec<PlanLine>,
    vitals: Vec<ObservationLine>,
    results: Vec<ObservationLine>,
    reports: Vec<ReportLine>,
    procedures: Vec<DatedLine>,
}

struct AllergyLine {
    substance: String,
    severity: Shown,
    reactions: String,
    date: String,
}

struct StayLine {
    unit: String,
    unit_href: Option<String>,
    place: String,
    admitted: String,
    attending: String,
    class: Option<Shown>,
    on_leave: bool,
}

struct DatedLine {
    text: String,
    date: String,
}

struct MedicationLine {
    drug: String,
    statement: bool,
    dose: String,
    route: Shown,
    frequency: Shown,
    start: String,
    end: String,
    note: Option<String>,
}

struct PlanLine {
    title: String,
    activities: Vec<String>,
    start: String,
    end: Option<String>,
}

struct ObservationLine {
    name: String,
    value: String,
    range: String,
    flag: Option<FlagView>,
    status: Option<Shown>,
    date: String,
    notes: Vec<String>,
}

/// An interpretation flag with the classes that set how it stands out.
struct FlagView {
    shown: Shown,
    /// Critical: red badge with a warning sign.
    critical: bool,
    /// Class of the flag element.
    class: &'static str,
    /// Class of the table row, empty for a normal value.
    row_class: &'static str,
}

impl FlagView {
    fn new(flag: Flag) -> FlagView {
        let (class, row_class) = match flag.level {
            FlagLevel::Normal => ("flag-normal", ""),
            FlagLevel::Abnormal => ("badge flag", "abnormal"),
            FlagLevel::Critical => ("badge flag critical", "abnormal critical"),
        };
        FlagView {
            shown: flag.shown,
            critical: flag.level == FlagLevel::Critical,
            class,
            row_class,
        }
    }
}

struct ReportLine {
    title: String,
    status: Option<Shown>,
    date: String,
    conclusion: Option<String>,
}

const DASH: &str = "—";

fn or_dash(text: Option<&str>) -> String {
    clean(text).unwrap_or_else(|| DASH.to_owned())
}

/// A coded value in words (see [`codes`]), or a dash when missing.
fn coded_or_dash(fmt: &Fmt<'_>, text: Option<&str>, show: fn(Tr, &str) -> Shown) -> Shown {
    match clean(text) {
        Some(text) => show(fmt.tr, &text),
        None => Shown::raw(DASH),
    }
}

impl PatientView {
    fn build(fmt: &Fmt<'_>, asked: &PatientKey, chart: &PatientChart) -> PatientView {
        let identity = &chart.identity;
        let name = full_name(identity.family.as_deref(), identity.given.as_deref());
        let merged = (asked != &identity.patient).then(|| {
            fmt.tr.fmt(
                "patient.merged",
                &[("old", asked.as_str()), ("new", identity.patient.as_str())],
            )
        });
        PatientView {
            broken_glass: None,
            name,
            merged,
            birth_name: clean(identity.birth_name.as_deref()),
            birth: birth_text(fmt, identity),
            sex: fmt.sex_long(identity.sex),
            ipp: clean(identity.ipp.as_deref()),
            ins: clean(identity.ins.as_deref()),
            addresses: identity
                .addresses
                .iter()
                .filter_map(|a| clean(Some(a)))
                .collect(),
            phones: identity
                .phones
                .iter()
                .filter_map(|p| clean(Some(p)))
                .collect(),
            deceased: clean(identity.deceased.as_deref()),
            allergy_badge: allergy_text(fmt.tr, chart.allergies.len() as u32),
            allergies: chart
                .allergies
                .iter()
                .map(|a| allergy_line(fmt, a))
                .collect(),
            stay: chart.stay.as_ref().map(|s| stay_line(fmt, s)),
            other_stays: chart
                .other_stays
                .iter()
                .map(|s| stay_line(fmt, s))
                .collect(),
            conditions: chart
                .conditions
                .iter()
                .map(|c| condition_line(fmt, c))
                .collect(),
            medications: chart
                .medications
                .iter()
                .map(|m| medication_line(fmt, m))
                .collect(),
            care_plans: chart.care_plans.iter().map(|c| plan_line(fmt, c)).collect(),
            vitals: chart
                .vitals
                .iter()
                .map(|o| observation_line(fmt, o))
                .collect(),
            results: chart
                .results
                .iter()
                .map(|o| observation_line(fmt, o))
                .collect(),
            reports: chart.reports.iter().map(|r| report_line(fmt, r)).collect(),
            procedures: chart
                .procedures
                .iter()
                .map(|p| procedure_line(fmt, p))
                .collect(),
        }
    }
}

/// `01/02/1950 (74 ans)`, or "date inconnue".
fn birth_text(fmt: &Fmt<'_>, identity: &Identity) -> String {
    let Some(birth) = identity.birth_date.as_ref() else {
        return fmt.tr.t("date.unknown").to_owned();
    };
    match fmt.age(birth) {
        Some(age) => format!("{} ({age})", birth.display_fr(fmt.zone)),
        None => birth.display_fr(fmt.zone),
    }
}

fn allergy_line(fmt: &Fmt<'_>, allergy: &Allergy) -> AllergyLine {
    let reactions: Vec<String> = allergy
        .reactions
        .iter()
        .filter_map(|r| clean(Some(r)))
        .collect();
    AllergyLine {
        substance: or_dash(Some(&allergy.substance.text)),
        severity: coded_or_dash(fmt, allergy.severity.as_deref(), codes::allergy_severity),
        reactions: if reactions.is_empty() {
            DASH.to_owned()
        } else {
            reactions.join(", ")
        },
        date: fmt.moment(allergy.onset.as_ref()),
    }
}

fn stay_line(fmt: &Fmt<'_>, stay: &StayView) -> StayLine {
    let code = clean(stay.unit.as_deref());
    let unit = match (clean(stay.unit_name.as_deref()), &code) {
        (Some(name), Some(code)) if &name != code => format!("{name} ({code})"),
        (Some(name), _) => name,
        (None, Some(code)) => code.clone(),
        (None, None) => DASH.to_owned(),
    };
    StayLine {
        unit,
        unit_href: code.as_deref().map(unit_href),
        place: place(stay.room.as_deref(), stay.bed.as_deref()).unwrap_or_else(|| DASH.into()),
        admitted: fmt.moment(stay.admitted_at.as_ref()),
        attending: or_dash(stay.attending.as_deref()),
        class: clean(stay.class.as_deref()).map(|class| codes::stay_class(fmt.tr, &class)),
        on_leave: stay.on_leave,
    }
}

fn condition_line(fmt: &Fmt<'_>, condition: &Condition) -> DatedLine {
    DatedLine {
        text: or_dash(Some(&condition.code.text)),
        date: fmt.moment(condition.onset.as_ref()),
    }
}

fn procedure_line(fmt: &Fmt<'_>, procedure: &Procedure) -> DatedLine {
    DatedLine {
        text: or_dash(Some(&procedure.code.text)),
        date: fmt.moment(procedure.performed.as_ref()),
    }
}

fn medication_line(fmt: &Fmt<'_>, medication: &Medication) -> MedicationLine {
    MedicationLine {
        drug: or_dash(Some(&medication.drug.text)),
        statement: medication.kind == MedicationKind::Statement,
        dose: clean(medication.dose.as_deref())
            .map_or_else(|| DASH.to_owned(), |dose| format::dose(fmt.tr, &dose)),
        route: coded_or_dash(fmt, medication.route.as_deref(), codes::route),
        frequency: coded_or_dash(fmt, medication.frequency.as_deref(), codes::frequency),
        start: fmt.moment(medication.start.as_ref()),
        end: medication
            .end
            .as_ref()
            .map_or_else(|| DASH.to_owned(), |m| m.display_fr(fmt.zone)),
        note: medication.note.as_deref().and_then(clean_keep_indent),
    }
}

fn plan_line(fmt: &Fmt<'_>, plan: &CarePlan) -> PlanLine {
    PlanLine {
        title: or_dash(Some(&plan.title)),
        activities: plan
            .activities
            .iter()
            .filter_map(|a| clean_keep_indent(a))
            .collect(),
        start: fmt.moment(plan.start.as_ref()),
        end: plan.end.as_ref().map(|m| m.display_fr(fmt.zone)),
    }
}

fn observation_line(fmt: &Fmt<'_>, observation: &Observation) -> ObservationLine {
    ObservationLine {
        name: or_dash(Some(&observation.code.text)),
        value: fmt.observation_value(&observation.value),
        range: clean(observation.reference_range.as_deref())
            .map_or_else(|| DASH.to_owned(), |range| format::range(fmt.tr, &range)),
        flag: clean(observation.interpretation.as_deref())
            .map(|flag| FlagView::new(codes::flag(fmt.tr, &flag))),
        status: clean(observation.status.as_deref())
            .map(|status| codes::result_status(fmt.tr, &status)),
        date: fmt.moment(observation.effective.as_ref()),
        notes: observation
            .notes
            .iter()
            .filter_map(|n| clean_keep_indent(n))
            .collect(),
    }
}

fn report_line(fmt: &Fmt<'_>, report: &Report) -> ReportLine {
    ReportLine {
        title: or_dash(Some(&report.code.text)),
        status: clean(report.status.as_deref()).map(|status| codes::report_status(fmt.tr, &status)),
        date: fmt.moment(report.effective.as_ref()),
        conclusion: report.conclusion.as_deref().and_then(clean_keep_indent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::i18n::Lang;

    #[test]
    fn flags_stand_out_by_level() {
        let view = |raw: &str| FlagView::new(codes::flag(Tr(Lang::Fr), raw));
        let normal = view("N");
        assert_eq!((normal.class, normal.row_class), ("flag-normal", ""));
        assert!(!normal.critical);
        let high = view("H");
        assert_eq!((high.class, high.row_class), ("badge flag", "abnormal"));
        assert!(!high.critical);
        for critical in ["HH", "LL", "AA", "HU", "LU", "panic"] {
            let flag = view(critical);
            assert!(flag.critical, "{critical}");
            assert_eq!(flag.class, "badge flag critical", "{critical}");
            assert_eq!(flag.row_class, "abnormal critical", "{critical}");
        }
    }

    #[test]
    fn bad_keys_are_refused() {
        let long = "x".repeat(MAX_KEY_LEN + 1);
        for bad in ["", "  ", "a\u{7}b", long.as_str()] {
            let result = key_from_path(Ok(Path(bad.to_owned())));
            assert!(
                matches!(result, Err(AppError::BadInput(BadInput::KeyInvalid))),
                "{bad:?}"
            );
        }
        let ok = key_from_path(Ok(Path("ipp:H|1".to_owned()))).expect("valid key");
        assert_eq!(ok, PatientKey::ipp("H", "1"));
    }
}
