//! The medication administration record: a unit's grid
//! (`/soins/unites/{code}`), one patient's part of it (on the patient's
//! downtime page), and recording one dose (`/soins/administrations`).
//!
//! The grid's rows are the patients in bed order and their active
//! prescriptions; its columns are the planned times of the current and the
//! next shift, as `ckisa_care::mar` plans them. A cell says given, not given
//! or held (who, real time), due, overdue (highlighted) or planned; a « si
//! besoin » or « à préciser » prescription has one wide cell instead.
//!
//! A unit's grid is two store reads in one blocking task (the bed board and
//! `Store::unit_medications`) and one pass over the care book, so that a
//! 40-bed unit renders in a few milliseconds.
//!
//! Recording asks for the patient's wristband: the scanned or typed id must
//! be one of the patient's identifiers (IPP first), or nothing is stored. A
//! dose already recorded as given cannot be recorded again (checked under
//! the care hub's write lock: two terminals cannot both give it).

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use ckisa_auth::Action;
use ckisa_care::mar::{self, CellState, PlannedKind};
use ckisa_domain::{
    Administration, AdministrationOutcome, CareFact, EncounterKey, Medication, MedicationKind,
    PatientKey, RecordStatus,
};
use ckisa_store::PatientChart;
use serde::Deserialize;

use super::flows::{chart_name, unit_for};
use super::ward::{
    self, BookIndex, MedText, PatientHead, ReviewBadge, administration_line, back_to_dossier,
    bounded, chart_in_scope, chart_to_record, dossier_href, grid_href, handover_href, query_value,
};
use super::{StoreCheck, new_item_id};
use crate::access::{Caller, redirect};
use crate::error::{AppError, read_form, read_query};
use crate::format::{Fmt, clean, full_name, place};
use crate::i18n::{Lang, Tr};
use crate::layout::{self, Nav, Page};
use crate::{AppState, PageCtx};

const RECORD_PATH: &str = "/soins/administrations";

// ---------------------------------------------------------------------------
// The grid as pages show it.

/// A grid ready for its template (`care/ward/grid.html`).
pub(super) struct GridView {
    pub(super) columns: Vec<ColumnView>,
    pub(super) patients: Vec<PatientBlock>,
    pub(super) overdue: usize,
    pub(super) overdue_text: String,
    pub(super) window: String,
    /// Columns plus the patient/prescription one, for wide cells.
    pub(super) span: usize,
}

pub(super) struct ColumnView {
    pub(super) label: String,
    /// The date, on the first column and where it changes.
    pub(super) day: Option<String>,
    /// First planned time of the next shift: a border before it.
    pub(super) next_shift: bool,
}

pub(super) struct PatientBlock {
    pub(super) name: String,
    pub(super) href: String,
    pub(super) bed: String,
    pub(super) allergies: Option<String>,
    pub(super) overdue: Option<String>,
    pub(super) rows: Vec<RowView>,
    /// Doses recorded for a prescription stopped since.
    pub(super) unmatched: Vec<String>,
}

pub(super) struct RowView {
    pub(super) med: MedText,
    pub(super) schedule: String,
    pub(super) review: Option<ReviewBadge>,
    /// Signed during the downtime.
    pub(super) downtime: bool,
    /// One cell per column (empty where nothing is planned).
    pub(super) cells: Vec<CellView>,
    /// « si besoin », « à préciser »: one cell across the columns instead.
    pub(super) wide: Option<WideCell>,
    /// Doses recorded at a time that is not a planned one.
    pub(super) extra: Vec<String>,
}

pub(super) struct CellView {
    pub(super) class: &'static str,
    pub(super) text: String,
    /// Who and when, or the reason, on a second line.
    pub(super) detail: String,
    pub(super) href: Option<String>,
}

pub(super) struct WideCell {
    pub(super) class: &'static str,
    pub(super) text: String,
    pub(super) href: Option<String>,
}

/// One patient given to [`grid_view`], in display order.
struct Line<'a> {
    key: &'a PatientKey,
    name: String,
    bed: String,
    allergies: usize,
    medications: &'a [Medication],
}

/// What the links of a grid need.
struct Links<'a> {
    /// Recording is open (a crisis is declared).
    open: bool,
    /// Where a recording goes back to.
    back: &'a str,
}

fn grid_view(
    fmt: &Fmt<'_>,
    state: &AppState,
    lines: &[Line<'_>],
    index: &BookIndex<'_>,
    links: &Links<'_>,
) -> GridView {
    let care = &state.config().care;
    let clock = mar::Clock {
        now_ms: fmt.now_ms,
        zone: fmt.zone,
        shifts: &care.shifts,
    };
    let (from_ms, to_ms) = mar::shift_window(fmt.now_ms, fmt.zone, &care.shifts);
    let (next_shift_ms, _) = mar::shift_window(to_ms - 1, fmt.zone, &care.shifts);
    let input: Vec<mar::GridPatient<'_>> = lines
        .iter()
        .map(|line| mar::GridPatient {
            patient: line.key,
            display: &line.name,
            bed: Some(&line.bed),
            medications: line.medications,
            administrations: index.administrations_of(line.key),
        })
        .collect();
    let grid = mar::grid(&input, from_ms, to_ms, &clock);
    let mut times: Vec<i64> = grid
        .patients
        .iter()
        .flat_map(|p| p.rows.iter())
        .flat_map(|r| r.cells.iter().map(|c| c.planned.at_ms))
        .collect();
    times.sort_unstable();
    times.dedup();
    let mut columns = Vec::with_capacity(times.len());
    let mut last_day = None;
    let mut next_marked = false;
    for &at in &times {
        let day = ward::day(fmt, at);
        let shown_day = (last_day.as_ref() != Some(&day)).then(|| day.clone());
        last_day = Some(day);
        let next_shift = !next_marked && at >= next_shift_ms;
        next_marked |= next_shift;
        columns.push(ColumnView {
            label: ward::clock(fmt, at),
            day: shown_day,
            next_shift,
        });
    }
    let column_of: HashMap<i64, usize> = times.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    let patients = grid
        .patients
        .iter()
        .zip(lines)
        .map(|(rows, line)| patient_block(fmt, rows, line, index, links, &times, &column_of))
        .collect();
    let overdue = grid.overdue_count();
    GridView {
        span: columns.len() + 1,
        columns,
        patients,
        overdue,
        overdue_text: fmt
            .tr
            .fmt("ward.overdue_count", &[("n", &overdue.to_string())]),
        window: fmt.tr.fmt(
            "ward.grid_window",
            &[
                ("from", &ward::minute(fmt, from_ms)),
                ("next", &ward::clock(fmt, next_shift_ms)),
                ("to", &ward::minute(fmt, to_ms)),
            ],
        ),
    }
}

fn patient_block(
    fmt: &Fmt<'_>,
    rows: &mar::PatientRows<'_>,
    line: &Line<'_>,
    index: &BookIndex<'_>,
    links: &Links<'_>,
    times: &[i64],
    column_of: &HashMap<i64, usize>,
) -> PatientBlock {
    let tr = fmt.tr;
    PatientBlock {
        name: line.name.clone(),
        href: dossier_href(line.key),
        bed: line.bed.clone(),
        allergies: (line.allergies > 0)
            .then(|| crate::units::allergy_text(tr, line.allergies as u32)),
        overdue: (rows.overdue > 0)
            .then(|| tr.fmt("ward.overdue_count", &[("n", &rows.overdue.to_string())])),
        rows: rows
            .rows
            .iter()
            .map(|row| row_view(fmt, line.key, row, index, links, times, column_of))
            .collect(),
        unmatched: rows
            .unmatched
            .iter()
            .map(|a| format!("{} — {}", a.drug.text, administration_line(fmt, a)))
            .collect(),
    }
}

/// The form's URL for one dose of `medication` (`planned` none for a dose
/// without a planned time).
fn record_href(patient: &PatientKey, medication: &str, planned: Option<i64>, back: &str) -> String {
    let mut href = format!(
        "{RECORD_PATH}?patient={}&prescription={}",
        query_value(patient.as_str()),
        query_value(medication)
    );
    if let Some(at) = planned {
        href.push_str(&format!("&prevue={at}"));
    }
    href.push_str(&format!("&retour={}", query_value(back)));
    href
}

fn row_view(
    fmt: &Fmt<'_>,
    patient: &PatientKey,
    row: &mar::Row<'_>,
    index: &BookIndex<'_>,
    links: &Links<'_>,
    times: &[i64],
    column_of: &HashMap<i64, usize>,
) -> RowView {
    let tr = fmt.tr;
    let medication = row.medication;
    let id = medication.id.as_str();
    let link = |planned: Option<i64>| {
        links
            .open
            .then(|| record_href(patient, id, planned, links.back))
    };
    let wide = match &row.schedule {
        mar::Schedule::AsNeeded { .. } => Some(WideCell {
            class: "prn",
            text: row.schedule.label_fr(),
            href: link(None),
        }),
        mar::Schedule::Unreadable(_) => Some(WideCell {
            class: "unreadable",
            text: tr.fmt("ward.to_clarify", &[("text", &row.schedule.label_fr())]),
            href: link(None),
        }),
        _ if row.cells.is_empty() => Some(WideCell {
            class: "none",
            text: tr.t("ward.nothing_planned").to_owned(),
            href: None,
        }),
        _ => None,
    };
    let mut cells: Vec<CellView> = times
        .iter()
        .map(|_| CellView {
            class: "empty",
            text: String::new(),
            detail: String::new(),
            href: None,
        })
        .collect();
    if wide.is_none() {
        for cell in &row.cells {
            if let Some(&at) = column_of.get(&cell.planned.at_ms) {
                cells[at] = cell_view(fmt, cell, link(Some(cell.planned.at_ms)));
            }
        }
    }
    RowView {
        med: MedText::of(tr, medication),
        schedule: row.schedule.label_fr(),
        review: ReviewBadge::of(
            tr,
            index.reviews.get(id).copied(),
            index.signed.contains_key(id),
        ),
        downtime: index.signed.contains_key(id),
        cells,
        wide,
        extra: row
            .extra
            .iter()
            .map(|a| administration_line(fmt, a))
            .collect(),
    }
}

fn cell_view(fmt: &Fmt<'_>, cell: &mar::Cell<'_>, href: Option<String>) -> CellView {
    let tr = fmt.tr;
    let quantity = match cell.planned.quantity {
        Some(q) if q != 1.0 => format!(" ×{}", crate::format::number(tr, &q.to_string())),
        _ => String::new(),
    };
    let check = cell.planned.kind == PlannedKind::ContinuousCheck;
    match cell.state {
        CellState::Done(a) => {
            let at = ward::administered_ms(a, fmt.zone)
                .map_or_else(String::new, |ms| ward::short_time(fmt, ms));
            let detail = match &a.outcome {
                AdministrationOutcome::Given { .. } => a.by.clone(),
                AdministrationOutcome::NotGiven { reason }
                | AdministrationOutcome::Held { reason } => format!("{reason} ({})", a.by),
            };
            let given = matches!(a.outcome, AdministrationOutcome::Given { .. });
            CellView {
                class: ward::outcome_class(&a.outcome),
                text: format!("{} {at}", ward::outcome_text(tr, &a.outcome)),
                detail,
                // A dose not given or held may still be given later.
                href: if given { None } else { href },
            }
        }
        CellState::Due => CellView {
            class: "due",
            text: tr
                .t(if check {
                    "ward.check_due"
                } else {
                    "ward.cell_due"
                })
                .to_owned()
                + &quantity,
            detail: String::new(),
            href,
        },
        CellState::Overdue => CellView {
            class: "overdue",
            text: tr.t("ward.cell_overdue").to_owned() + &quantity,
            detail: String::new(),
            href,
        },
        CellState::Upcoming => CellView {
            class: "upcoming",
            text: tr
                .t(if check {
                    "ward.check_planned"
                } else {
                    "ward.cell_planned"
                })
                .to_owned()
                + &quantity,
            detail: String::new(),
            href,
        },
    }
}

#[derive(Template)]
#[template(path = "care/ward/unit.html")]
struct UnitTemplate {
    tr: Tr,
    title: String,
    open: bool,
    handover_href: String,
    grid: GridView,
}

/// `GET /soins/unites/{code}`.
pub(crate) async fn unit_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    unit_for(&state, &caller, Action::CareDocument, &code)?;
    let open = state.downtime_open().await.is_ok();
    let asked = code.clone();
    let (board, medications, feeds) = state
        .read(move |store| {
            Ok((
                store.unit_board(&asked)?,
                store.unit_medications(&asked)?,
                store.feeds()?,
            ))
        })
        .await?;
    let board = board.ok_or(AppError::UnitNotFound)?;
    let fmt = ctx.fmt(&state);
    let by_key: HashMap<&PatientKey, &ckisa_store::PatientMedications> =
        medications.iter().map(|p| (&p.patient, p)).collect();
    let mut seen: HashSet<&PatientKey> = HashSet::new();
    let mut lines = Vec::with_capacity(medications.len());
    for bed in &board.beds {
        for occupant in &bed.occupants {
            let Some(meds) = by_key.get(&occupant.patient) else {
                continue;
            };
            if !seen.insert(&occupant.patient) {
                continue;
            }
            lines.push(Line {
                key: &meds.patient,
                name: full_name(occupant.family.as_deref(), occupant.given.as_deref()),
                bed: place(bed.room.as_deref(), bed.bed.as_deref())
                    .unwrap_or_else(|| fmt.tr.t("board.no_bed").to_owned()),
                allergies: meds.allergies.len(),
                medications: &meds.medications,
            });
        }
    }
    // In the unit but not on the board (should not happen): shown anyway.
    for meds in &medications {
        if seen.insert(&meds.patient) {
            lines.push(Line {
                key: &meds.patient,
                name: meds.patient.as_str().to_owned(),
                bed: fmt.tr.t("board.no_bed").to_owned(),
                allergies: meds.allergies.len(),
                medications: &meds.medications,
            });
        }
    }
    let back = grid_href(&code);
    let grid = {
        let book = state.care_book().await?;
        let patients: HashSet<PatientKey> = lines.iter().map(|l| l.key.clone()).collect();
        let index = BookIndex::of(&book, Some(&patients));
        let links = Links { open, back: &back };
        grid_view(&fmt, &state, &lines, &index, &links)
    };
    let title = fmt.tr.fmt(
        "ward.unit_title",
        &[("unit", &unit_title(&board.unit.name, &board.unit.code))],
    );
    let main = UnitTemplate {
        tr: fmt.tr,
        title: title.clone(),
        open,
        handover_href: handover_href(&code),
        grid,
    }
    .render()?;
    let page = Page {
        title: &title,
        nav: Nav::Units,
        query: "",
        main,
    };
    layout::respond(&state, &ctx, &feeds, page)
}

/// `Name (CODE)`, or the code alone.
pub(super) fn unit_title(name: &str, code: &str) -> String {
    match clean(Some(name)).filter(|n| n != code) {
        Some(name) => format!("{name} ({code})"),
        None => code.to_owned(),
    }
}

/// One patient's grid, for the patient's downtime page.
pub(super) fn patient_grid(
    state: &AppState,
    fmt: &Fmt<'_>,
    chart: &PatientChart,
    index: &BookIndex<'_>,
    open: bool,
    back: &str,
) -> GridView {
    let bed = chart
        .stay
        .as_ref()
        .and_then(|s| place(s.room.as_deref(), s.bed.as_deref()))
        .unwrap_or_else(|| fmt.tr.t("board.no_bed").to_owned());
    let line = Line {
        key: &chart.identity.patient,
        name: chart_name(chart),
        bed,
        allergies: chart.allergies.len(),
        medications: &chart.medications,
    };
    grid_view(fmt, state, &[line], index, &Links { open, back })
}

// ---------------------------------------------------------------------------
// Recording one dose.

/// Why a dose was not given or held: the value posted and its label.
const REASONS: &[(&str, &str)] = &[
    ("refus", "ward.reason_refused"),
    ("absent", "ward.reason_absent"),
    ("jeun", "ward.reason_fasting"),
    ("vomissements", "ward.reason_vomiting"),
    ("indisponible", "ward.reason_unavailable"),
    ("voie", "ward.reason_route"),
    ("clinique", "ward.reason_clinical"),
    ("medecin", "ward.reason_physician"),
    ("autre", "ward.reason_other"),
];

/// The outcome posted by the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Given,
    NotGiven,
    Held,
}

impl Outcome {
    fn parse(value: &str) -> Option<Outcome> {
        Some(match value {
            "donne" => Outcome::Given,
            "non-donne" => Outcome::NotGiven,
            "differe" => Outcome::Held,
            _ => return None,
        })
    }
}

/// The query of the form page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RecordQuery {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    prescription: String,
    #[serde(default)]
    prevue: String,
    #[serde(default)]
    retour: String,
}

/// The form as posted.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RecordForm {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    prescription: String,
    #[serde(default)]
    prevue: String,
    #[serde(default)]
    retour: String,
    #[serde(default)]
    resultat: String,
    #[serde(default)]
    dose: String,
    #[serde(default)]
    voie: String,
    #[serde(default)]
    heure: String,
    #[serde(default)]
    motif: String,
    #[serde(default)]
    motif_texte: String,
    #[serde(default)]
    commentaire: String,
    #[serde(default)]
    bracelet: String,
    /// Ticked to give a dose the patient's allergies contraindicate.
    #[serde(default)]
    malgre_allergie: String,
}

struct ReasonOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

/// The form's fields as shown (blank, or as posted with its errors).
struct RecordDraft {
    csrf: String,
    patient: String,
    prescription: String,
    prevue: String,
    retour: String,
    outcome: &'static str,
    dose: String,
    route: String,
    time: String,
    reasons: Vec<ReasonOption>,
    reason_text: String,
    comment: String,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "care/ward/administer.html")]
struct RecordTemplate {
    tr: Tr,
    open: bool,
    head: PatientHead,
    med: MedText,
    schedule: String,
    review: Option<ReviewBadge>,
    planned: String,
    already_given: Option<String>,
    /// What the patient's allergies say against this drug (a prescription
    /// signed before an allergy was known, or carried over by a merge of
    /// identities): shown, and a given dose needs a tick.
    allergy_alerts: Vec<String>,
    history: Vec<String>,
    back: String,
    draft: RecordDraft,
}

/// The contraindications the patient's allergies raise against `medication`.
fn allergy_alerts(chart: &PatientChart, medication: &Medication) -> Vec<String> {
    ckisa_care::prescribe::check(&medication.drug, &chart.allergies, &[])
        .into_iter()
        .filter(|w| w.severity == ckisa_care::prescribe::Severity::Contraindication)
        .map(|w| w.message)
        .collect()
}

/// How long before its planned time a dose may be noted as given.
const GIVEN_AHEAD_MS: i64 = 60 * 60 * 1000;

/// The reasons a given dose cannot be recorded as it is: given too long
/// before its planned time, a prescription the pharmacy refused, an
/// allergy not acknowledged.
fn given_refusals(
    tr: Tr,
    fmt: &Fmt<'_>,
    planned: Option<i64>,
    refused_by_pharmacy: Option<&str>,
    alerts: &[String],
    acknowledged: bool,
) -> Vec<String> {
    let mut refusals = Vec::new();
    if let Some(at) = planned.filter(|&at| at > fmt.now_ms + GIVEN_AHEAD_MS) {
        refusals.push(tr.fmt("ward.error_given_ahead", &[("at", &ward::minute(fmt, at))]));
    }
    if let Some(remark) = refused_by_pharmacy {
        refusals.push(tr.fmt("ward.error_refused_by_pharmacy", &[("remark", remark)]));
    }
    if !alerts.is_empty() && !acknowledged {
        refusals.push(tr.t("ward.error_allergy_unacknowledged").to_owned());
    }
    refusals
}

fn reason_options(tr: Tr, chosen: &str) -> Vec<ReasonOption> {
    REASONS
        .iter()
        .map(|(value, key)| ReasonOption {
            value,
            label: tr.t(key),
            selected: *value == chosen,
        })
        .collect()
}

/// A planned time posted as ms since the Unix epoch; empty for none.
fn parse_planned(text: &str) -> Result<Option<i64>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<i64>().map(Some).map_err(|_| ())
}

/// The prescription `id` of the chart, when it is an active order.
fn find_order<'c>(chart: &'c PatientChart, id: &str) -> Option<&'c Medication> {
    chart
        .medications
        .iter()
        .find(|m| m.id == id && m.kind == MedicationKind::Order && m.status == RecordStatus::Active)
}

/// Whether `planned` is a planned time of `medication`.
fn is_planned(state: &AppState, medication: &Medication, planned: i64) -> bool {
    let care = &state.config().care;
    mar::planned(
        medication,
        planned,
        planned + 60_000,
        &state.config().zone,
        &care.shifts,
    )
    .iter()
    .any(|p| p.at_ms == planned)
}

/// The given administration of a planned dose, if any.
fn given_for<'a>(
    administrations: &[&'a Administration],
    medication: &str,
    planned: i64,
    zone: &jiff::tz::TimeZone,
) -> Option<&'a Administration> {
    administrations.iter().copied().rev().find(|a| {
        a.medication == medication
            && matches!(a.outcome, AdministrationOutcome::Given { .. })
            && a.planned
                .as_ref()
                .and_then(|p| mar::moment_ms(p, zone))
                .is_some_and(|ms| ms.div_euclid(60_000) == planned.div_euclid(60_000))
    })
}

/// Whether a wristband's id names this patient: its IPP or any of its
/// identifiers, as printed (case and surrounding spaces aside).
pub(super) fn wristband_matches(scanned: &str, chart: &PatientChart) -> bool {
    let scanned = scanned.trim();
    if scanned.is_empty() {
        return false;
    }
    let identity = &chart.identity;
    identity
        .ipp
        .iter()
        .chain(identity.identifiers.iter().map(|i| &i.value))
        .chain(identity.ins.iter())
        .any(|id| id.trim().eq_ignore_ascii_case(scanned))
}

/// `GET /soins/administrations`.
pub(crate) async fn record_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    query: Result<Query<RecordQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = read_query(query)?;
    let chart = chart_in_scope(&state, &caller, &query.patient, Action::CareDocument, true).await?;
    let tr = Tr(ctx.lang);
    let medication = find_order(&chart, query.prescription.trim())
        .ok_or_else(|| AppError::Refused(tr.t("ward.error_unknown_prescription").to_owned()))?
        .clone();
    let planned = parse_planned(&query.prevue)
        .ok()
        .flatten()
        .filter(|&at| is_planned(&state, &medication, at));
    let fmt = ctx.fmt(&state);
    let draft = RecordDraft {
        csrf: caller.csrf()?.to_owned(),
        patient: chart.identity.patient.as_str().to_owned(),
        prescription: medication.id.clone(),
        prevue: planned.map(|p| p.to_string()).unwrap_or_default(),
        retour: query.retour.clone(),
        outcome: "donne",
        dose: clean(medication.dose.as_deref()).unwrap_or_default(),
        route: clean(medication.route.as_deref()).unwrap_or_default(),
        time: ward::local_input(fmt.zone, fmt.now_ms),
        reasons: reason_options(tr, ""),
        reason_text: String::new(),
        comment: String::new(),
        errors: Vec::new(),
    };
    record_view(
        &state,
        &ctx,
        &chart,
        &medication,
        planned,
        draft,
        StatusCode::OK,
    )
    .await
}

async fn record_view(
    state: &AppState,
    ctx: &PageCtx,
    chart: &PatientChart,
    medication: &Medication,
    planned: Option<i64>,
    draft: RecordDraft,
    status: StatusCode,
) -> Result<Response, AppError> {
    let open = state.downtime_open().await.is_ok();
    let fmt = ctx.fmt(state);
    let tr = fmt.tr;
    let (review, history, already_given) = {
        let book = state.care_book().await?;
        let patients: HashSet<PatientKey> = [chart.identity.patient.clone()].into();
        let index = BookIndex::of(&book, Some(&patients));
        let id = medication.id.as_str();
        let administrations = index.administrations_of(&chart.identity.patient);
        let review = ReviewBadge::of(
            tr,
            index.reviews.get(id).copied(),
            index.signed.contains_key(id),
        );
        let history: Vec<String> = administrations
            .iter()
            .rev()
            .filter(|a| a.medication == id)
            .take(6)
            .map(|a| administration_line(&fmt, a))
            .collect();
        let already = planned
            .and_then(|at| given_for(administrations, id, at, fmt.zone))
            .map(|a| administration_line(&fmt, a));
        (review, history, already)
    };
    let back = back_to_dossier(&draft.retour, chart);
    let planned_text = match planned {
        Some(at) => tr.fmt("ward.planned_at", &[("at", &ward::minute(&fmt, at))]),
        None => tr.t("ward.planned_none").to_owned(),
    };
    let main = RecordTemplate {
        tr,
        open,
        head: PatientHead::of(&fmt, chart),
        med: MedText::of(tr, medication),
        schedule: mar::Schedule::of(medication).label_fr(),
        review,
        planned: planned_text,
        already_given,
        allergy_alerts: allergy_alerts(chart, medication),
        history,
        back,
        draft,
    }
    .render()?;
    let title = tr.t("ward.record_title");
    layout::respond_form(state, ctx, title, Nav::None, main, status)
}

/// `POST /soins/administrations`.
pub(crate) async fn record_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<RecordForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    let tr = Tr(ctx.lang);
    let chart = chart_to_record(&state, &caller, &form.patient, Action::CareDocument).await?;
    let medication = find_order(&chart, form.prescription.trim())
        .ok_or_else(|| AppError::Refused(tr.t("ward.error_unknown_prescription").to_owned()))?
        .clone();
    let planned = match parse_planned(&form.prevue) {
        Ok(Some(at)) if is_planned(&state, &medication, at) => Some(at),
        Ok(None) => None,
        _ => {
            return Err(AppError::Refused(
                tr.t("ward.error_unknown_slot").to_owned(),
            ));
        }
    };
    let fmt = ctx.fmt(&state);
    let (administration, mut errors) =
        read_record(&fmt, &caller, &chart, &medication, planned, &form);
    if administration
        .as_ref()
        .is_some_and(|a| matches!(a.outcome, AdministrationOutcome::Given { .. }))
    {
        let refusal = {
            let book = state.care_book().await?;
            book.latest_review(&medication.id)
                .filter(|(_, r)| r.verdict == ckisa_domain::ReviewVerdict::Refused)
                .map(|(_, r)| r.remark.clone().unwrap_or_default())
        };
        errors.extend(given_refusals(
            tr,
            &fmt,
            planned,
            refusal.as_deref(),
            &allergy_alerts(&chart, &medication),
            form.malgre_allergie == "1",
        ));
    }
    let Some(administration) = administration.filter(|_| errors.is_empty()) else {
        let draft = RecordDraft {
            csrf: caller.csrf()?.to_owned(),
            patient: chart.identity.patient.as_str().to_owned(),
            prescription: medication.id.clone(),
            prevue: planned.map(|p| p.to_string()).unwrap_or_default(),
            retour: form.retour.clone(),
            outcome: match Outcome::parse(&form.resultat) {
                Some(Outcome::NotGiven) => "non-donne",
                Some(Outcome::Held) => "differe",
                _ => "donne",
            },
            dose: form.dose.trim().to_owned(),
            route: form.voie.trim().to_owned(),
            time: form.heure.trim().to_owned(),
            reasons: reason_options(tr, form.motif.trim()),
            reason_text: form.motif_texte.trim().to_owned(),
            comment: form.commentaire.trim().to_owned(),
            errors,
        };
        return record_view(
            &state,
            &ctx,
            &chart,
            &medication,
            planned,
            draft,
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let root = chart.identity.patient.as_str().to_owned();
    let detail = format!("administration {} ({})", administration.id, medication.id);
    let check = still_to_give(&state, &chart.identity.patient, &medication.id, planned, tr);
    state
        .care_record(
            &caller,
            Action::CareDocument,
            Some(&root),
            &detail,
            vec![CareFact::Administered(administration)],
            Some(check),
        )
        .await?;
    Ok(redirect(&back_to_dossier(&form.retour, &chart)))
}

/// The check run under the care hub's write lock: the prescription is still
/// active in the store, and the planned dose was not given meanwhile (from
/// another terminal).
fn still_to_give(
    state: &AppState,
    patient: &PatientKey,
    medication: &str,
    planned: Option<i64>,
    tr: Tr,
) -> StoreCheck {
    let state = state.clone();
    let patient = patient.clone();
    let medication = medication.to_owned();
    Box::new(move |store| {
        let chart = store.patient_chart(&patient)?;
        if chart
            .as_ref()
            .and_then(|c| find_order(c, &medication))
            .is_none()
        {
            return Err(AppError::Refused(
                tr.t("ward.error_prescription_stopped").to_owned(),
            ));
        }
        if let Some(at) = planned {
            let book = state.care_hub().book.blocking_read();
            let root = book.resolve(&patient);
            let administrations: Vec<&Administration> =
                book.administrations(&root).map(|(_, a)| a).collect();
            if let Some(given) = given_for(&administrations, &medication, at, &state.config().zone)
            {
                return Err(AppError::Refused(
                    tr.fmt("ward.error_already_given", &[("by", &given.by)]),
                ));
            }
        }
        Ok(())
    })
}

/// The administration the form describes, and what is wrong with it.
fn read_record(
    fmt: &Fmt<'_>,
    caller: &Caller,
    chart: &PatientChart,
    medication: &Medication,
    planned: Option<i64>,
    form: &RecordForm,
) -> (Option<Administration>, Vec<String>) {
    let tr = fmt.tr;
    let mut errors = Vec::new();
    let outcome = Outcome::parse(form.resultat.trim());
    if outcome.is_none() {
        errors.push(tr.t("ward.error_outcome").to_owned());
    }
    let at = ward::parse_local(fmt.zone, &form.heure);
    match at {
        None => errors.push(tr.t("ward.error_time").to_owned()),
        Some(at) => errors.extend(ward::check_real_time(tr, fmt.now_ms, at)),
    }
    let mut field = |label: &str, text: &str, max: usize| match bounded(tr, label, text, max) {
        Ok(text) => text,
        Err(error) => {
            errors.push(error);
            String::new()
        }
    };
    let dose = field(tr.t("ward.field_dose"), &form.dose, ward::MAX_SHORT);
    let route = field(tr.t("ward.field_route"), &form.voie, ward::MAX_SHORT);
    let reason_text = field(
        tr.t("ward.field_reason_text"),
        &form.motif_texte,
        ward::MAX_TEXT,
    );
    let comment = field(
        tr.t("ward.field_comment"),
        &form.commentaire,
        ward::MAX_TEXT,
    );
    let reason_key = REASONS
        .iter()
        .find(|(value, _)| *value == form.motif.trim())
        .map(|(_, key)| *key);
    let outcome = match outcome {
        Some(Outcome::Given) => {
            if dose.is_empty() {
                errors.push(tr.t("ward.error_dose").to_owned());
            }
            if route.is_empty() {
                errors.push(tr.t("ward.error_route").to_owned());
            }
            Some(AdministrationOutcome::Given {
                dose: dose.clone(),
                route: route.clone(),
            })
        }
        Some(kind) => {
            // The reason is kept in French, the language of the record sent
            // back to the HIS, whatever the page's language.
            let chosen = reason_key.map(|key| Tr(Lang::Fr).t(key));
            let reason = match (chosen, reason_text.is_empty()) {
                (None, true) => {
                    errors.push(tr.t("ward.error_reason").to_owned());
                    String::new()
                }
                (Some(_), true) if reason_key == Some("ward.reason_other") => {
                    errors.push(tr.t("ward.error_reason_other").to_owned());
                    String::new()
                }
                (Some(label), true) => label.to_owned(),
                (Some(label), false) => format!("{label} : {reason_text}"),
                (None, false) => reason_text.clone(),
            };
            Some(if kind == Outcome::NotGiven {
                AdministrationOutcome::NotGiven { reason }
            } else {
                AdministrationOutcome::Held { reason }
            })
        }
        None => None,
    };
    // The wristband last: it says whether the right patient is in front of
    // the nurse, whatever else is wrong.
    let scanned = form.bracelet.trim();
    if scanned.is_empty() {
        errors.push(tr.t("ward.error_wristband_missing").to_owned());
    } else if !wristband_matches(scanned, chart) {
        let name = chart_name(chart);
        let ipp = chart.identity.ipp.as_deref().unwrap_or("?");
        errors.push(tr.fmt(
            "ward.error_wristband",
            &[("scanned", scanned), ("name", &name), ("ipp", ipp)],
        ));
    }
    let (Some(outcome), Some(at)) = (outcome, at) else {
        return (None, errors);
    };
    let zone = fmt.zone;
    let administration = Administration {
        id: new_item_id("adm", fmt.now_ms),
        patient: chart.identity.patient.clone(),
        encounter: chart
            .stay
            .as_ref()
            .map(|s| EncounterKey(s.encounter.clone())),
        medication: medication.id.clone(),
        drug: medication.drug.clone(),
        planned: planned.and_then(|p| mar::moment_at(p, zone)),
        at: match mar::moment_at(at, zone) {
            Some(moment) => moment,
            None => return (None, errors),
        },
        outcome,
        by: ward::display_name(caller),
        comment: Some(comment).filter(|c| !c.is_empty()),
    };
    (Some(administration), errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ckisa_domain::{Identifier, Sex};
    use ckisa_store::Identity;

    fn chart() -> PatientChart {
        PatientChart {
            identity: Identity {
                patient: PatientKey::ipp("HOPITAL", "123456"),
                family: Some("Le Goff".into()),
                given: Some("Anne".into()),
                birth_name: None,
                birth_date: None,
                sex: Some(Sex::Female),
                ipp: Some("123456".into()),
                ins: None,
                identifiers: vec![Identifier {
                    value: "NDA-77".into(),
                    system: None,
                    kind: Some("AN".into()),
                }],
                phones: Vec::new(),
                addresses: Vec::new(),
                deceased: None,
            },
            stay: None,
            other_stays: Vec::new(),
            allergies: Vec::new(),
            conditions: Vec::new(),
            medications: Vec::new(),
            care_plans: Vec::new(),
            vitals: Vec::new(),
            results: Vec::new(),
            reports: Vec::new(),
            procedures: Vec::new(),
        }
    }

    #[test]
    fn a_wristband_names_the_patient_by_any_of_its_identifiers() {
        let chart = chart();
        assert!(wristband_matches("123456", &chart));
        assert!(wristband_matches(" 123456\r\n", &chart));
        assert!(wristband_matches("nda-77", &chart));
        for other in ["", "12345", "1234567", "654321", "HOPITAL|123456"] {
            assert!(!wristband_matches(other, &chart), "{other:?}");
        }
    }

    #[test]
    fn planned_times_are_whole_numbers_or_nothing() {
        assert_eq!(parse_planned(""), Ok(None));
        assert_eq!(
            parse_planned(" 1710486000000 "),
            Ok(Some(1_710_486_000_000))
        );
        assert!(parse_planned("demain").is_err());
    }
}
