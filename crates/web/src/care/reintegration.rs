//! Re-integration (`Reconcile`): `/soins/reintegration` is the worklist of
//! what was documented during the current or last crisis
//! (`ckisa_care::worklist`), with counts, a mark per item (confirmed, or
//! rejected with a reason, as `CareFact::Reconciled`), the provisional
//! identities still waiting for their real record, and the export
//! (`ckisa_care::export`) as FHIR R4 JSON and HL7 v2 downloads.
//!
//! - `/soins/reintegration/marquer`: marks one item.
//! - `/soins/reintegration/identite?provisoire=`: searches the real
//!   patient of a provisional identity and, once confirmed, records
//!   `Entered(PatientsMerged { survivor: real, merged: provisional })`: the
//!   chart and the care book then show the provisional record's
//!   documentation under the real one.
//! - `/soins/reintegration/export.json`, `/soins/reintegration/export.hl7`.
//!
//! The page opens once recovery is announced or the crisis closed; before
//! that it says so, and marks and matches are refused. Unlike the rest of
//! the capsule these writes go on after the crisis is closed (re-integration
//! is what follows it), so they use [`AppState::reconcile_record`] rather
//! than `care_record`, which is open only during a crisis.
//!
//! A unit manager reaches the items of their units only: an item counts
//! for the units its patient stays in now and the unit the item itself
//! names (a lab request's unit, an admission's or a transfer's place). The
//! crisis direction sees everything.
//!
//! The worklist and the export read the whole care log on the blocking
//! pool (`ledger::load`), as the `ckisa export` command does: the hub's
//! book cannot leave its lock for the store reads they need.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use ckisa_auth::{Action, Reach};
use ckisa_care::book::Entry;
use ckisa_care::export::{self, ExportContext, ItemKind, Window};
use ckisa_care::worklist::{self, WorkItem, Worklist};
use ckisa_crisis::book::Phase;
use ckisa_domain::{CareFact, EventId, Fact, PatientKey, Reconciliation, ReconciliationStatus};
use ckisa_store::{PatientQuery, Store};
use serde::Deserialize;

use super::StoreCheck;
use super::flows::{IdentityView, form_status, key_param, read_date, stay_units, typed};
use super::ward::display_name;
use crate::access::{Audited, Caller, redirect};
use crate::error::{AppError, read_form, read_query};
use crate::format::{Fmt, clean, full_name};
use crate::i18n::Tr;
use crate::layout::{self, Nav};
use crate::patient::valid_key;
use crate::{AppState, PageCtx};

const PATH: &str = "/soins/reintegration";
/// Most candidates a search for the real patient shows.
const MAX_CANDIDATES: usize = 20;

// ---------------------------------------------------------------------------
// The crisis whose documentation is re-integrated.

/// The current or last crisis, as far as re-integration goes.
struct Period {
    window: Window,
    declared_ms: i64,
    closed_ms: Option<i64>,
    /// Recovery announced or crisis closed: marks are accepted.
    open: bool,
}

async fn period(state: &AppState) -> Result<Option<Period>, AppError> {
    let book = state.book().await?;
    let Some(crisis) = book.active().or_else(|| book.crises().last()) else {
        return Ok(None);
    };
    let closed_ms = crisis.closed_ms();
    let declared_ms = crisis.declared_ms();
    Ok(Some(Period {
        window: Window {
            from_ms: declared_ms,
            to_ms: book.aftermath_end(crisis, state.now_ms()),
        },
        declared_ms,
        closed_ms,
        open: closed_ms.is_some() || crisis.phase() == Phase::Recovery,
    }))
}

/// The period, refusing when there is none or it is not open yet.
async fn open_period(state: &AppState, tr: Tr) -> Result<Period, AppError> {
    match period(state).await? {
        Some(period) if period.open => Ok(period),
        _ => Err(AppError::Refused(tr.t("flow.reint.not_yet").to_owned())),
    }
}

/// Whether `caller` reaches `Reconcile` in its units only (a unit
/// manager), not in the whole establishment.
fn limited(caller: &Caller) -> bool {
    caller.reach(Action::Reconcile) != Reach::Everywhere
        && !caller.reaches_all_units(Action::Reconcile)
}

/// The units an item counts for: those its own fact names.
fn named_units(entry: &Entry) -> Vec<String> {
    match &entry.fact {
        CareFact::LabRequested(request) => vec![request.unit.clone()],
        CareFact::Entered(inner) => match inner.as_ref() {
            Fact::StayUpdated(stay) => stay
                .place
                .value()
                .map(|p| p.unit.clone())
                .into_iter()
                .collect(),
            Fact::Transferred { to, .. } => vec![to.unit.clone()],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The worklist of `window`, and for each item the units it counts for.
struct Read {
    list: Worklist,
    units: HashMap<EventId, Vec<String>>,
}

async fn read_worklist(state: &AppState, window: Window) -> Result<Read, AppError> {
    let settings = std::sync::Arc::clone(&state.config().care);
    let book = state.care_book().await?;
    state
        .read(move |store| {
            let list = worklist::worklist(&book, window, &settings, store)?;
            let mut stays: HashMap<PatientKey, Vec<String>> = HashMap::new();
            let mut units = HashMap::new();
            for item in &list.items {
                let mut found = book.item(item.event).map(named_units).unwrap_or_default();
                if let Some(patient) = &item.patient_now {
                    if !stays.contains_key(patient) {
                        let now = store
                            .patient_chart(patient)?
                            .map(|chart| stay_units(&chart).map(str::to_owned).collect())
                            .unwrap_or_default();
                        stays.insert(patient.clone(), now);
                    }
                    found.extend(stays[patient].iter().cloned());
                }
                units.insert(item.event, found);
            }
            Ok(Read { list, units })
        })
        .await
}

impl Read {
    /// Whether `caller` reaches `item`.
    fn reaches(&self, caller: &Caller, item: &WorkItem) -> bool {
        if !limited(caller) {
            return true;
        }
        self.units.get(&item.event).is_some_and(|units| {
            units
                .iter()
                .any(|u| caller.may_see_unit(Action::Reconcile, u))
        })
    }
}

// ---------------------------------------------------------------------------
// The page.

/// `?statut=en-attente|confirme|rejete&type=<kind code>`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    #[serde(default)]
    statut: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    rapproche: Option<String>,
}

fn status_code(status: ReconciliationStatus) -> &'static str {
    match status {
        ReconciliationStatus::Pending => "en-attente",
        ReconciliationStatus::Confirmed => "confirme",
        ReconciliationStatus::Rejected => "rejete",
    }
}

fn read_status(code: &str) -> Option<ReconciliationStatus> {
    match code.trim() {
        "en-attente" => Some(ReconciliationStatus::Pending),
        "confirme" => Some(ReconciliationStatus::Confirmed),
        "rejete" => Some(ReconciliationStatus::Rejected),
        _ => None,
    }
}

fn status_text(tr: Tr, status: ReconciliationStatus) -> &'static str {
    tr.t(match status {
        ReconciliationStatus::Pending => "flow.reint.pending",
        ReconciliationStatus::Confirmed => "flow.reint.confirmed",
        ReconciliationStatus::Rejected => "flow.reint.rejected",
    })
}

fn kind_text(tr: Tr, kind: ItemKind) -> &'static str {
    tr.t(match kind {
        ItemKind::Identity => "flow.reint.kind_identity",
        ItemKind::Admission => "flow.reint.kind_admission",
        ItemKind::Transfer => "flow.reint.kind_transfer",
        ItemKind::Discharge => "flow.reint.kind_discharge",
        ItemKind::Movement => "flow.reint.kind_movement",
        ItemKind::Merge => "flow.reint.kind_merge",
        ItemKind::Vital => "flow.reint.kind_vital",
        ItemKind::LabResult => "flow.reint.kind_lab_result",
        ItemKind::Observation => "flow.reint.kind_observation",
        ItemKind::Prescription => "flow.reint.kind_prescription",
        ItemKind::PrescriptionStop => "flow.reint.kind_prescription_stop",
        ItemKind::Administration => "flow.reint.kind_administration",
        ItemKind::Review => "flow.reint.kind_review",
        ItemKind::Note => "flow.reint.kind_note",
        ItemKind::LabRequest => "flow.reint.kind_lab_request",
        ItemKind::Diet => "flow.reint.kind_diet",
        ItemKind::Other => "flow.reint.kind_other",
    })
}

struct CountLine {
    kind: &'static str,
    href: String,
    total: usize,
    pending: usize,
    confirmed: usize,
    rejected: usize,
}

struct ItemLine {
    event: String,
    kind: &'static str,
    patient: String,
    by: String,
    at: String,
    summary: String,
    status: &'static str,
    status_class: &'static str,
    status_at: String,
    note: String,
}

struct UnmatchedLine {
    ipp: String,
    name: String,
    created: String,
    href: String,
}

struct Filter {
    label: &'static str,
    href: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "care/flows/reintegration.html")]
struct ListTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    title: String,
    period: String,
    open: bool,
    error: Option<String>,
    matched: bool,
    summary: String,
    counts: Vec<CountLine>,
    filters: Vec<Filter>,
    filter: String,
    items: Vec<ItemLine>,
    unmatched: Vec<UnmatchedLine>,
}

/// `GET /soins/reintegration`.
pub(crate) async fn list_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    show_list(&state, &ctx, &caller, &params, None).await
}

async fn show_list(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    params: &ListParams,
    error: Option<String>,
) -> Result<Response, AppError> {
    let csrf = caller.csrf()?;
    let fmt = ctx.fmt(state);
    let tr = fmt.tr;
    let title = tr.t("flow.reint.title");
    let Some(period) = period(state).await? else {
        let main = empty_page(tr, tr.t("flow.reint.no_crisis"))?;
        return layout::respond_form(state, ctx, title, Nav::None, main, StatusCode::OK);
    };
    let period_text = match period.closed_ms {
        Some(closed) => tr.fmt(
            "flow.reint.period_closed",
            &[
                ("from", &fmt.wall(period.declared_ms)),
                ("to", &fmt.wall(closed)),
            ],
        ),
        None if period.open => tr.fmt(
            "flow.reint.period_open",
            &[("from", &fmt.wall(period.declared_ms))],
        ),
        None => tr.fmt(
            "flow.reint.period_declared",
            &[("from", &fmt.wall(period.declared_ms))],
        ),
    };
    if !period.open {
        let main = empty_page(tr, &format!("{period_text} {}", tr.t("flow.reint.not_yet")))?;
        return layout::respond_form(state, ctx, title, Nav::None, main, StatusCode::OK);
    }
    let read = read_worklist(state, period.window).await?;
    caller.audit(
        state,
        Audited::allowed(Action::Reconcile).target("réintégration"),
    );
    let status = form_status(error.as_deref());
    let wanted_status = params.statut.as_deref().and_then(read_status);
    let wanted_kind = params
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let reached: Vec<&WorkItem> = read
        .list
        .items
        .iter()
        .filter(|item| read.reaches(caller, item))
        .collect();
    let main = ListTemplate {
        tr,
        csrf,
        title: title.to_owned(),
        period: period_text,
        open: period.open,
        error,
        matched: params.rapproche.is_some(),
        summary: summary_text(tr, &reached),
        counts: count_lines(tr, &reached),
        filters: filters(tr, wanted_status),
        filter: wanted_status
            .map(status_code)
            .unwrap_or_default()
            .to_owned(),
        items: reached
            .iter()
            .filter(|i| wanted_status.is_none_or(|s| i.status == s))
            .filter(|i| wanted_kind.is_none_or(|k| i.kind.code() == k))
            .map(|i| item_line(&fmt, i))
            .collect(),
        unmatched: read
            .list
            .unmatched
            .iter()
            .filter(|p| {
                !limited(caller)
                    || reached
                        .iter()
                        .any(|i| i.patient_now.as_ref() == Some(&p.patient))
            })
            .map(|p| UnmatchedLine {
                ipp: p.ipp.clone(),
                name: p.name.clone().unwrap_or_else(|| "—".to_owned()),
                created: fmt.wall(p.created_ms),
                href: format!("{PATH}/identite?provisoire={}", key_param(&p.patient)),
            })
            .collect(),
    }
    .render()?;
    layout::respond_form(state, ctx, title, Nav::None, main, status)
}

#[derive(Template)]
#[template(path = "care/flows/reintegration_closed.html")]
struct ClosedTemplate<'a> {
    tr: Tr,
    notice: &'a str,
}

fn empty_page(tr: Tr, notice: &str) -> Result<String, AppError> {
    Ok(ClosedTemplate { tr, notice }.render()?)
}

fn summary_text(tr: Tr, items: &[&WorkItem]) -> String {
    let count = |s| items.iter().filter(|i| i.status == s).count().to_string();
    tr.fmt(
        "flow.reint.summary",
        &[
            ("total", &items.len().to_string()),
            ("pending", &count(ReconciliationStatus::Pending)),
            ("confirmed", &count(ReconciliationStatus::Confirmed)),
            ("rejected", &count(ReconciliationStatus::Rejected)),
        ],
    )
}

fn count_lines(tr: Tr, items: &[&WorkItem]) -> Vec<CountLine> {
    ItemKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let of: Vec<&&WorkItem> = items.iter().filter(|i| i.kind == kind).collect();
            if of.is_empty() {
                return None;
            }
            let count = |s| of.iter().filter(|i| i.status == s).count();
            Some(CountLine {
                kind: kind_text(tr, kind),
                href: format!("{PATH}?type={}", kind.code()),
                total: of.len(),
                pending: count(ReconciliationStatus::Pending),
                confirmed: count(ReconciliationStatus::Confirmed),
                rejected: count(ReconciliationStatus::Rejected),
            })
        })
        .collect()
}

fn filters(tr: Tr, current: Option<ReconciliationStatus>) -> Vec<Filter> {
    let mut filters = vec![Filter {
        label: tr.t("flow.reint.all"),
        href: PATH.to_owned(),
        current: current.is_none(),
    }];
    for status in [
        ReconciliationStatus::Pending,
        ReconciliationStatus::Confirmed,
        ReconciliationStatus::Rejected,
    ] {
        filters.push(Filter {
            label: status_text(tr, status),
            href: format!("{PATH}?statut={}", status_code(status)),
            current: current == Some(status),
        });
    }
    filters
}

fn item_line(fmt: &Fmt<'_>, item: &WorkItem) -> ItemLine {
    let patient = match (&item.patient_name, &item.patient_now) {
        (Some(name), _) => name.clone(),
        (None, Some(key)) => key.0.clone(),
        (None, None) => "—".to_owned(),
    };
    ItemLine {
        event: item.event.to_string(),
        kind: kind_text(fmt.tr, item.kind),
        patient,
        by: item.by.clone(),
        at: fmt.wall(item.recorded_ms),
        summary: item.summary.clone(),
        status: status_text(fmt.tr, item.status),
        status_class: status_code(item.status),
        status_at: item.status_ms.map(|ms| fmt.wall(ms)).unwrap_or_default(),
        note: item.note.clone().unwrap_or_default(),
    }
}

// ---------------------------------------------------------------------------
// Marks.

/// The mark form's fields.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct MarkFields {
    #[serde(default)]
    element: String,
    #[serde(default)]
    statut: String,
    #[serde(default)]
    motif: String,
    #[serde(default)]
    filtre: String,
}

/// `POST /soins/reintegration/marquer`.
pub(crate) async fn mark_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<MarkFields>, FormRejection>,
) -> Result<Response, AppError> {
    let fields = read_form(form)?;
    let tr = Tr(ctx.lang);
    let period = open_period(&state, tr).await?;
    let back = ListParams {
        statut: Some(fields.filtre.clone()).filter(|f| read_status(f).is_some()),
        ..ListParams::default()
    };
    let Ok(event) = fields.element.trim().parse::<uuid::Uuid>().map(EventId) else {
        return Err(AppError::PageNotFound);
    };
    let Some(status) = read_status(&fields.statut) else {
        let error = tr.t("flow.reint.error_status").to_owned();
        return show_list(&state, &ctx, &caller, &back, Some(error)).await;
    };
    let note = match typed(&fields.motif) {
        Ok(note) => note,
        Err(max) => {
            let error = tr.fmt("flow.error_too_long", &[("max", &max.to_string())]);
            return show_list(&state, &ctx, &caller, &back, Some(error)).await;
        }
    };
    if status == ReconciliationStatus::Rejected && note.is_none() {
        let error = tr.t("flow.reint.error_reason").to_owned();
        return show_list(&state, &ctx, &caller, &back, Some(error)).await;
    }
    let read = read_worklist(&state, period.window).await?;
    let Some(item) = read.list.item(event) else {
        return Err(AppError::PageNotFound);
    };
    if !read.reaches(&caller, item) {
        caller.audit(
            &state,
            Audited::denied(Action::Reconcile).target(&fields.element),
        );
        return Err(AppError::OutsideUnits);
    }
    let mark = CareFact::Reconciled(Reconciliation {
        item: event.to_string(),
        status,
        note,
        by: display_name(&caller),
    });
    let patient = item.patient_now.as_ref().map(|p| p.0.clone());
    let detail = format!("{} {}", status_code(status), event);
    state
        .commit_care(
            &caller,
            Action::Reconcile,
            patient.as_deref(),
            &detail,
            vec![mark],
            None,
        )
        .await?;
    let target = match back.statut {
        Some(filter) => format!("{PATH}?statut={filter}"),
        None => PATH.to_owned(),
    };
    Ok(redirect(&target))
}

// ---------------------------------------------------------------------------
// Matching a provisional identity.

/// `?provisoire=KEY&nom=&naissance=&ipp=`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct MatchParams {
    #[serde(default)]
    provisoire: String,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    naissance: String,
    #[serde(default)]
    ipp: String,
}

struct Candidate {
    key: String,
    name: String,
    birth: String,
    sex: &'static str,
    ipp: String,
    place: String,
    /// Sex or birth year differing from the provisional identity's.
    mismatch: Option<String>,
}

/// Why `candidate` may not be the person behind the provisional identity:
/// another sex, or another birth year (a provisional birth date is often
/// an estimate, so only the year is compared). `None` when nothing
/// contradicts.
fn mismatch(
    tr: Tr,
    provisional: &ckisa_store::Identity,
    sex: Option<ckisa_domain::Sex>,
    birth: Option<&ckisa_domain::Moment>,
) -> Option<String> {
    let known = |s: Option<ckisa_domain::Sex>| {
        s.filter(|s| matches!(s, ckisa_domain::Sex::Male | ckisa_domain::Sex::Female))
    };
    if let (Some(a), Some(b)) = (known(provisional.sex), known(sex))
        && a != b
    {
        return Some(tr.t("flow.reint.mismatch_sex").to_owned());
    }
    if let (Some(a), Some(b)) = (provisional.birth_date.as_ref(), birth)
        && (a.year - b.year).abs() > 2
    {
        return Some(tr.t("flow.reint.mismatch_birth").to_owned());
    }
    None
}

#[derive(Template)]
#[template(path = "care/flows/reintegration_match.html")]
struct MatchTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    who: IdentityView,
    key: &'a str,
    params: &'a MatchParams,
    searched: bool,
    error: Option<String>,
    candidates: Vec<Candidate>,
}

/// The provisional identity `key`, still unmatched in the worklist, that
/// the caller reaches.
async fn provisional(
    state: &AppState,
    caller: &Caller,
    tr: Tr,
    key: &str,
) -> Result<(PatientKey, ckisa_store::PatientChart), AppError> {
    let period = open_period(state, tr).await?;
    let key = valid_key(key)?;
    let read = read_worklist(state, period.window).await?;
    if !read.list.unmatched.iter().any(|p| p.patient == key) {
        return Err(AppError::Refused(
            tr.fmt("flow.reint.not_provisional", &[("key", key.as_str())]),
        ));
    }
    let asked = key.clone();
    let chart = state
        .read(move |store| store.patient_chart(&asked))
        .await?
        .ok_or(AppError::PatientNotFound)?;
    if limited(caller) {
        let mine = read
            .list
            .items
            .iter()
            .any(|i| i.patient_now.as_ref() == Some(&key) && read.reaches(caller, i));
        if !mine {
            caller.audit(
                state,
                Audited::denied(Action::Reconcile).patient(key.as_str()),
            );
            return Err(AppError::OutsideUnits);
        }
    }
    Ok((key, chart))
}

/// `GET /soins/reintegration/identite?provisoire=KEY[&nom=&naissance=&ipp=]`.
pub(crate) async fn match_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<MatchParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    show_match(&state, &ctx, &caller, &params, None).await
}

async fn show_match(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    params: &MatchParams,
    error: Option<String>,
) -> Result<Response, AppError> {
    let csrf = caller.csrf()?;
    let fmt = ctx.fmt(state);
    let tr = fmt.tr;
    let (key, chart) = provisional(state, caller, tr, &params.provisoire).await?;
    let mut error = error;
    let query = PatientQuery {
        name: clean(Some(&params.nom)),
        birth_date: None,
        identifier: clean(Some(&params.ipp)),
    };
    let birth = match params.naissance.trim() {
        "" => None,
        text => match read_date(text) {
            Some(date) => Some((date.year, date.month, date.day)),
            None => {
                error = Some(tr.fmt("flow.adm.error_birth", &[("date", text)]));
                None
            }
        },
    };
    let query = PatientQuery {
        birth_date: birth,
        ..query
    };
    let searched = query != PatientQuery::default();
    let range = state.config().care.ipp.clone();
    let candidates = if searched && error.is_none() {
        caller.audit(
            state,
            Audited::allowed(Action::Reconcile)
                .patient(key.as_str())
                .detail("recherche de l'identité réelle"),
        );
        let own = key.clone();
        let rows = state
            .read(move |store| store.search_patients(&query, MAX_CANDIDATES + 1))
            .await?;
        rows.into_iter()
            .filter(|row| row.patient != own)
            .filter(|row| !row.ipp.as_deref().is_some_and(|ipp| range.contains(ipp)))
            // A unit manager sees the records out of the hospital and those
            // of her units, never another unit's patients.
            .filter(|row| {
                row.unit
                    .as_deref()
                    .is_none_or(|unit| caller.may_see_unit(Action::Reconcile, unit))
            })
            .take(MAX_CANDIDATES)
            .map(|row| Candidate {
                mismatch: mismatch(tr, &chart.identity, row.sex, row.birth_date.as_ref()),
                key: row.patient.0.clone(),
                name: full_name(row.family.as_deref(), row.given.as_deref()),
                birth: row
                    .birth_date
                    .as_ref()
                    .map_or_else(|| "—".to_owned(), |b| b.display_fr(fmt.zone)),
                sex: fmt.sex_long(row.sex),
                ipp: row.ipp.clone().unwrap_or_else(|| "—".to_owned()),
                place: match (
                    &row.unit,
                    crate::format::place(row.room.as_deref(), row.bed.as_deref()),
                ) {
                    (Some(unit), Some(bed)) => format!("{unit} — {bed}"),
                    (Some(unit), None) => unit.clone(),
                    _ => "—".to_owned(),
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    let status = form_status(error.as_deref());
    let main = MatchTemplate {
        tr,
        csrf,
        who: IdentityView::of(&fmt, &chart.identity, chart.stay.as_ref()),
        key: key.as_str(),
        params,
        searched,
        error,
        candidates,
    }
    .render()?;
    let title = tr.t("flow.reint.match_title");
    layout::respond_form(state, ctx, title, Nav::None, main, status)
}

/// The match form's fields.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct MatchFields {
    #[serde(default)]
    provisoire: String,
    #[serde(default)]
    reel: String,
    #[serde(default)]
    confirme: Option<String>,
    /// Ticked to match despite a differing sex or birth year.
    #[serde(default)]
    ecart: Option<String>,
}

/// `POST /soins/reintegration/identite`.
pub(crate) async fn match_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<MatchFields>, FormRejection>,
) -> Result<Response, AppError> {
    let fields = read_form(form)?;
    let tr = Tr(ctx.lang);
    let (provisional_key, _) = provisional(&state, &caller, tr, &fields.provisoire).await?;
    let real = valid_key(&fields.reel)?;
    if fields.confirme.as_deref().is_none_or(str::is_empty) {
        let params = MatchParams {
            provisoire: fields.provisoire.clone(),
            ..MatchParams::default()
        };
        let error = tr.t("flow.reint.error_confirm").to_owned();
        return show_match(&state, &ctx, &caller, &params, Some(error)).await;
    }
    let asked = real.clone();
    let chart = state
        .read(move |store| store.patient_chart(&asked))
        .await?
        .ok_or(AppError::PatientNotFound)?;
    let survivor = chart.identity.patient.clone();
    if let Some(unit) = chart.stay.as_ref().and_then(|s| s.unit.as_deref())
        && !caller.may_see_unit(Action::Reconcile, unit)
    {
        return Err(AppError::OutsideUnits);
    }
    let (_, provisional_chart) = provisional(&state, &caller, tr, &fields.provisoire).await?;
    if fields.ecart.as_deref().is_none_or(str::is_empty)
        && let Some(reason) = mismatch(
            tr,
            &provisional_chart.identity,
            chart.identity.sex,
            chart.identity.birth_date.as_ref(),
        )
    {
        return Err(AppError::Refused(
            tr.fmt("flow.reint.error_mismatch", &[("reason", &reason)]),
        ));
    }
    let range = &state.config().care.ipp;
    if survivor == provisional_key
        || chart
            .identity
            .ipp
            .as_deref()
            .is_some_and(|ipp| range.contains(ipp))
    {
        return Err(AppError::Refused(tr.t("flow.reint.error_same").to_owned()));
    }
    let fact = Fact::PatientsMerged {
        survivor: survivor.clone(),
        merged: provisional_key.clone(),
    };
    let check: StoreCheck = {
        let (merged, tr) = (provisional_key.clone(), tr);
        Box::new(move |store: &dyn Store| {
            // Still its own record: not merged meanwhile from another
            // terminal (or by the HIS).
            match store.patient_chart(&merged)? {
                Some(chart) if chart.identity.patient == merged => Ok(()),
                _ => Err(AppError::Refused(
                    tr.t("flow.reint.already_matched").to_owned(),
                )),
            }
        })
    };
    let detail = format!("identité provisoire {} -> {}", provisional_key, survivor);
    state
        .commit_care(
            &caller,
            Action::Reconcile,
            Some(survivor.as_str()),
            &detail,
            vec![CareFact::Entered(Box::new(fact))],
            Some(check),
        )
        .await?;
    Ok(redirect(&format!("{PATH}?rapproche=1")))
}

// ---------------------------------------------------------------------------
// Downloads.

/// `GET /soins/reintegration/export.json`: the FHIR R4 transaction bundle.
pub(crate) async fn export_fhir(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    export_file(&state, &ctx, &caller, Format::Fhir).await
}

/// `GET /soins/reintegration/export.hl7`: the HL7 v2 messages.
pub(crate) async fn export_hl7(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    export_file(&state, &ctx, &caller, Format::Hl7).await
}

#[derive(Clone, Copy)]
enum Format {
    Fhir,
    Hl7,
}

async fn export_file(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    format: Format,
) -> Result<Response, AppError> {
    let tr = Tr(ctx.lang);
    let period = open_period(state, tr).await?;
    if limited(caller) {
        // The export is the establishment's, not split by unit: the crisis
        // direction downloads it.
        caller.audit(state, Audited::denied(Action::Reconcile).target("export"));
        return Err(AppError::Forbidden);
    }
    let (node, zone, now_ms) = (
        state.config().node_id.clone(),
        state.config().zone.clone(),
        state.now_ms(),
    );
    let window = period.window;
    let book = state.care_book().await?;
    let text = state
        .read(move |store| {
            let ctx = ExportContext {
                store,
                node: &node,
                zone: &zone,
                now_ms,
            };
            Ok(match format {
                Format::Fhir => export::fhir_bundle(&book, window, &ctx).map(|e| e.json),
                Format::Hl7 => export::hl7_messages(&book, window, &ctx).map(|e| e.file_text()),
            })
        })
        .await?
        .map_err(|error| match error {
            export::ExportError::Store(error) => AppError::Store(error),
            other => AppError::Refused(other.to_string()),
        })?;
    let (kind, extension) = match format {
        Format::Fhir => ("application/fhir+json", "json"),
        Format::Hl7 => ("application/hl7-v2; charset=utf-8", "hl7"),
    };
    caller.audit(
        state,
        Audited::allowed(Action::Reconcile)
            .target("export")
            .detail(extension),
    );
    let day = ctx.fmt(state).wall(period.declared_ms);
    let stamp = format!("{}-{}-{}", &day[6..10], &day[3..5], &day[0..2]);
    let disposition = format!("attachment; filename=\"reintegration-{stamp}.{extension}\"");
    Ok((
        [
            (CONTENT_TYPE, kind.to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response())
}
