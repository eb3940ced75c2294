//! The ward side of the degraded mode: what the pages of the medication
//! grid, the prescriptions, the vitals, the notes and the handover share
//! (who may act for which patient, the identity header with allergies
//! first, times as caregivers type and read them, one pass over the care
//! book), and the two entry pages: `/soins`, a caregiver's units with their
//! overdue doses, and `/soins/dossier/{key}`, one patient's downtime page.
//!
//! Every page shows even when no crisis is open, read-only and saying so;
//! recording is refused outside a crisis by [`AppState::care_record`].
//! Reads of patient data are audited under the care action that reads them;
//! a write is audited once, by `care_record`.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use ckisa_auth::{Action, Reach};
use ckisa_care::book::{CareBook, Entry};
use ckisa_care::mar;
use ckisa_domain::{
    Administration, AdministrationOutcome, Allergy, CareFact, Fact, Medication, MedicationKind,
    PatientKey, PrescriptionReview, RecordStatus, ReviewVerdict,
};
use ckisa_store::PatientChart;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::flows::{chart_name, stay_units};
use super::ward_mar::{self, GridView};
use super::ward_notes::{self, NoteForm, NoteLine};
use super::ward_rx::{self, PrescriptionLine};
use super::ward_vitals::{self, VitalsForm, VitalsView};
use crate::access::{Audited, Caller};
use crate::codes::{self, Shown};
use crate::error::AppError;
use crate::format::{Fmt, clean, full_name, place};
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page};
use crate::patient::{key_from_path, unknown_patient, valid_key};
use crate::units::allergy_text;
use crate::{AppState, PageCtx};

/// Characters kept as-is in a patient key path segment.
const KEY_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b':');

/// Longest free text kept from one form field.
pub(super) const MAX_TEXT: usize = 4_000;
/// Longest short field (a dose, a route, a drug name).
pub(super) const MAX_SHORT: usize = 200;

const DASH: &str = "—";

// ---------------------------------------------------------------------------
// Addresses.

/// The downtime page of a patient.
pub(super) fn dossier_href(key: &PatientKey) -> String {
    format!(
        "/soins/dossier/{}",
        utf8_percent_encode(key.as_str(), KEY_SEGMENT)
    )
}

/// A unit's medication grid.
pub(super) fn grid_href(code: &str) -> String {
    format!("/soins/unites/{}", utf8_percent_encode(code, KEY_SEGMENT))
}

/// A unit's handover view.
pub(super) fn handover_href(code: &str) -> String {
    format!("{}/releve", grid_href(code))
}

/// Characters kept as-is in a query value: RFC 3986's unreserved ones.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A value for a query string.
pub(super) fn query_value(text: &str) -> String {
    utf8_percent_encode(text, QUERY_VALUE).to_string()
}

/// Where to go back after a form: a page of the degraded mode named by the
/// form (`retour`), else `fallback`. Anything that is not one of our own
/// paths (another site, a scheme, a control character) takes the fallback.
pub(super) fn back_to(asked: &str, fallback: String) -> String {
    let asked = asked.trim();
    let ours = asked.starts_with("/soins/")
        && !asked.contains("//")
        && !asked.contains('\\')
        && !asked.chars().any(|c| c.is_control() || c.is_whitespace());
    if ours { asked.to_owned() } else { fallback }
}

/// Where to go back after a form about the patient of `chart`: the page the
/// form names (see [`back_to`]), else the patient's downtime page.
pub(super) fn back_to_dossier(asked: &str, chart: &PatientChart) -> String {
    back_to(asked, dossier_href(&chart.identity.patient))
}

// ---------------------------------------------------------------------------
// Who may act for whom.

/// The chart of patient `key` (as typed or linked) when `caller` reaches
/// `action` in the unit the patient stays in (or in every unit). A read is
/// audited when `audit_read` (pages), a refusal always; a malformed key is
/// bad input, an unknown one a 404 (audited as such).
pub(super) async fn chart_in_scope(
    state: &AppState,
    caller: &Caller,
    key: &str,
    action: Action,
    audit_read: bool,
) -> Result<PatientChart, AppError> {
    let key = valid_key(key)?;
    let asked = key.clone();
    let chart = state.read(move |store| store.patient_chart(&asked)).await?;
    let Some(chart) = chart else {
        return Err(unknown_patient(state, caller, &key));
    };
    let root = chart.identity.patient.as_str();
    if may_act_for(caller, action, &chart) {
        if audit_read {
            caller.audit(
                state,
                Audited::allowed(action).patient(root).detail("lecture"),
            );
        }
        Ok(chart)
    } else {
        caller.audit(state, Audited::denied(action).patient(root));
        Err(AppError::OutsideUnits)
    }
}

/// The chart of patient `key` for a form about to record: refused outside
/// a crisis, then [`chart_in_scope`] without auditing the read (recording
/// audits the act).
pub(super) async fn chart_to_record(
    state: &AppState,
    caller: &Caller,
    key: &str,
    action: Action,
) -> Result<PatientChart, AppError> {
    state.downtime_open().await?;
    chart_in_scope(state, caller, key, action, false).await
}

/// Whether the patient of `chart` stays in a unit where `caller` reaches
/// `action`; a patient without an open stay only for those who reach every
/// unit.
pub(super) fn may_act_for(caller: &Caller, action: Action, chart: &PatientChart) -> bool {
    caller.reaches_all_units(action)
        || stay_units(chart).any(|unit| caller.may_see_unit(action, unit))
}

/// The caller's name as documentation records it.
pub(super) fn display_name(caller: &Caller) -> String {
    caller
        .session()
        .map_or_else(|| caller.actor(), |s| s.account.display_name.clone())
}

/// Whether the caller's role reaches `action` at all.
pub(super) fn reaches(caller: &Caller, action: Action) -> bool {
    caller.reach(action) != Reach::Never
}

// ---------------------------------------------------------------------------
// Times.

fn civil(zone: &TimeZone, ms: i64) -> DateTime {
    Timestamp::from_millisecond(ms)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(zone.clone())
        .datetime()
}

/// `dd/mm/yyyy HH:MM` in the node's zone.
pub(super) fn minute(fmt: &Fmt<'_>, ms: i64) -> String {
    let dt = civil(fmt.zone, ms);
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}",
        dt.day(),
        dt.month(),
        dt.year(),
        dt.hour(),
        dt.minute()
    )
}

/// `HH:MM` in the node's zone.
pub(super) fn clock(fmt: &Fmt<'_>, ms: i64) -> String {
    let dt = civil(fmt.zone, ms);
    format!("{:02}:{:02}", dt.hour(), dt.minute())
}

/// `dd/mm` in the node's zone.
pub(super) fn day(fmt: &Fmt<'_>, ms: i64) -> String {
    let dt = civil(fmt.zone, ms);
    format!("{:02}/{:02}", dt.day(), dt.month())
}

/// `HH:MM` when `ms` falls on the same day as `now`, else `dd/mm/yyyy HH:MM`.
pub(super) fn short_time(fmt: &Fmt<'_>, ms: i64) -> String {
    if civil(fmt.zone, ms).date() == civil(fmt.zone, fmt.now_ms).date() {
        clock(fmt, ms)
    } else {
        minute(fmt, ms)
    }
}

/// The value of a `datetime-local` field for `ms`: `2024-03-15T12:05`.
pub(super) fn local_input(zone: &TimeZone, ms: i64) -> String {
    let dt = civil(zone, ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute()
    )
}

/// A time typed in a form: `2024-03-15T12:05` (what a `datetime-local`
/// field sends) or `15/03/2024 12:05` (typed by hand), local to `zone`.
pub(super) fn parse_local(zone: &TimeZone, text: &str) -> Option<i64> {
    let text = text.trim();
    let civil: DateTime = match text.split_once(' ') {
        Some((date, time)) if date.contains('/') => {
            let mut parts = date.split('/');
            let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() {
                return None;
            }
            let iso = format!("{y:0>4}-{m:0>2}-{d:0>2}T{}", time.trim());
            iso.parse().ok()?
        }
        _ => text.parse().ok()?,
    };
    let at = zone.to_ambiguous_timestamp(civil).compatible().ok()?;
    Some(at.as_millisecond())
}

/// Checks a real time typed in a form: not more than 5 minutes ahead (a
/// terminal's clock may be a little off), not more than 24 hours back.
/// `None` when it is fine, else the French or English reason.
pub(super) fn check_real_time(tr: Tr, now_ms: i64, at_ms: i64) -> Option<String> {
    const AHEAD_MS: i64 = 5 * 60_000;
    const BACK_MS: i64 = 24 * 3_600_000;
    if at_ms > now_ms + AHEAD_MS {
        Some(tr.t("ward.error_time_future").to_owned())
    } else if at_ms < now_ms - BACK_MS {
        Some(tr.t("ward.error_time_old").to_owned())
    } else {
        None
    }
}

/// A form's text field trimmed, or the "too long" reason.
pub(super) fn bounded(tr: Tr, label: &str, text: &str, max: usize) -> Result<String, String> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(tr.fmt(
            "ward.error_too_long",
            &[("field", label), ("max", &max.to_string())],
        ));
    }
    Ok(text.to_owned())
}

// ---------------------------------------------------------------------------
// The identity header, allergies first.

/// A patient as every page of the degraded mode heads it.
pub(super) struct PatientHead {
    pub(super) name: String,
    pub(super) href: String,
    pub(super) birth: String,
    pub(super) sex: &'static str,
    pub(super) ipp: Option<String>,
    pub(super) place: String,
    pub(super) allergy_badge: String,
    pub(super) allergies: Vec<AllergyLine>,
}

/// One allergy in the header.
pub(super) struct AllergyLine {
    pub(super) substance: String,
    pub(super) severity: Option<Shown>,
    pub(super) reactions: String,
}

impl PatientHead {
    pub(super) fn of(fmt: &Fmt<'_>, chart: &PatientChart) -> PatientHead {
        let identity = &chart.identity;
        let birth = match identity.birth_date.as_ref() {
            Some(birth) => match fmt.age(birth) {
                Some(age) => format!("{} ({age})", birth.display_fr(fmt.zone)),
                None => birth.display_fr(fmt.zone),
            },
            None => fmt.tr.t("date.unknown").to_owned(),
        };
        let place = chart.stay.as_ref().map_or_else(
            || fmt.tr.t("patient.no_stay").to_owned(),
            |stay| {
                let unit = clean(stay.unit_name.as_deref())
                    .or_else(|| clean(stay.unit.as_deref()))
                    .unwrap_or_else(|| DASH.to_owned());
                match place(stay.room.as_deref(), stay.bed.as_deref()) {
                    Some(bed) => format!("{unit} · {bed}"),
                    None => unit,
                }
            },
        );
        PatientHead {
            name: full_name(identity.family.as_deref(), identity.given.as_deref()),
            href: dossier_href(&identity.patient),
            birth,
            sex: fmt.sex_long(identity.sex),
            ipp: clean(identity.ipp.as_deref()),
            place,
            allergy_badge: allergy_text(fmt.tr, chart.allergies.len() as u32),
            allergies: allergy_lines(fmt.tr, &chart.allergies),
        }
    }
}

/// Allergies as the header and the pharmacy list show them.
pub(super) fn allergy_lines(tr: Tr, allergies: &[Allergy]) -> Vec<AllergyLine> {
    allergies
        .iter()
        .map(|a| {
            let reactions: Vec<String> =
                a.reactions.iter().filter_map(|r| clean(Some(r))).collect();
            AllergyLine {
                substance: clean(Some(&a.substance.text)).unwrap_or_else(|| DASH.to_owned()),
                severity: clean(a.severity.as_deref()).map(|s| codes::allergy_severity(tr, &s)),
                reactions: reactions.join(", "),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Prescriptions as every page shows them.

/// Where a prescription stands with the pharmacy.
pub(super) struct ReviewBadge {
    pub(super) class: &'static str,
    pub(super) text: String,
    /// The pharmacist's remark or reason, as typed.
    pub(super) remark: Option<String>,
}

impl ReviewBadge {
    /// The badge of a prescription: its latest review, or "à valider" for a
    /// prescription signed during the downtime; none for one from the HIS
    /// that nobody reviewed here.
    pub(super) fn of(
        tr: Tr,
        review: Option<&PrescriptionReview>,
        entered_here: bool,
    ) -> Option<ReviewBadge> {
        let Some(review) = review else {
            return entered_here.then(|| ReviewBadge {
                class: "review-pending",
                text: tr.t("ward.review_pending").to_owned(),
                remark: None,
            });
        };
        let (class, key) = match review.verdict {
            ReviewVerdict::Validated => ("review-ok", "ward.review_validated"),
            ReviewVerdict::WithRemark => ("review-remark", "ward.review_remark"),
            ReviewVerdict::Refused => ("review-refused", "ward.review_refused"),
        };
        Some(ReviewBadge {
            class,
            text: tr.fmt(key, &[("who", &review.by)]),
            remark: review.remark.as_deref().and_then(|r| clean(Some(r))),
        })
    }
}

/// A prescription in words: drug, dose, route, frequency.
pub(super) struct MedText {
    pub(super) drug: String,
    pub(super) dose: String,
    pub(super) route: Shown,
    pub(super) frequency: String,
    /// The frequency cannot be planned: « à préciser ».
    pub(super) unreadable: bool,
}

impl MedText {
    pub(super) fn of(tr: Tr, medication: &Medication) -> MedText {
        let schedule = mar::Schedule::of(medication);
        let frequency = match clean(medication.frequency.as_deref()) {
            Some(text) => codes::frequency(tr, &text).text,
            None => DASH.to_owned(),
        };
        MedText {
            drug: clean(Some(&medication.drug.text)).unwrap_or_else(|| DASH.to_owned()),
            dose: clean(medication.dose.as_deref())
                .map_or_else(|| DASH.to_owned(), |d| crate::format::dose(tr, &d)),
            route: clean(medication.route.as_deref())
                .map_or_else(|| Shown::raw(DASH), |r| codes::route(tr, &r)),
            frequency,
            unreadable: schedule.is_unreadable(),
        }
    }
}

// ---------------------------------------------------------------------------
// One pass over the care book.

/// What the pages need of the care book, read in one pass over its entries
/// (the book holds every item of the downtime: asking it patient by patient
/// or prescription by prescription would read it again each time).
pub(super) struct BookIndex<'b> {
    /// Administrations per (root) patient, in log order.
    pub(super) administrations: HashMap<PatientKey, Vec<&'b Administration>>,
    /// The latest review of each prescription, by prescription id.
    pub(super) reviews: HashMap<&'b str, &'b PrescriptionReview>,
    /// Prescriptions signed here (typed during a downtime), by id: the
    /// entry of their signature.
    pub(super) signed: HashMap<&'b str, &'b Entry>,
    /// Prescriptions stopped here, by id: the entry of the stop.
    pub(super) stopped: HashMap<&'b str, &'b Entry>,
}

impl<'b> BookIndex<'b> {
    /// The index of the whole book, administrations kept for `patients`
    /// only (every patient when `None`).
    pub(super) fn of(book: &'b CareBook, patients: Option<&HashSet<PatientKey>>) -> BookIndex<'b> {
        let mut index = BookIndex {
            administrations: HashMap::new(),
            reviews: HashMap::new(),
            signed: HashMap::new(),
            stopped: HashMap::new(),
        };
        for entry in book.entries() {
            match &entry.fact {
                CareFact::Administered(a) => {
                    let root = book.resolve_ref(&a.patient);
                    if patients.is_none_or(|p| p.contains(root)) {
                        index
                            .administrations
                            .entry(root.clone())
                            .or_default()
                            .push(a);
                    }
                }
                CareFact::Reviewed(r) => {
                    index.reviews.insert(r.medication.as_str(), r);
                }
                CareFact::Entered(inner) => {
                    if let Fact::MedicationRecorded(m) = inner.as_ref()
                        && entry.typed
                        && m.kind == MedicationKind::Order
                    {
                        match m.status {
                            RecordStatus::Active => {
                                index.signed.insert(m.id.as_str(), entry);
                            }
                            RecordStatus::Inactive | RecordStatus::EnteredInError => {
                                index.stopped.insert(m.id.as_str(), entry);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        index
    }

    /// A patient's administrations.
    pub(super) fn administrations_of(&self, patient: &PatientKey) -> &[&'b Administration] {
        self.administrations.get(patient).map_or(&[], Vec::as_slice)
    }
}

/// An administration in words: `✓ 08:05`, `non donné`, `différé`.
pub(super) fn outcome_text(tr: Tr, outcome: &AdministrationOutcome) -> &'static str {
    match outcome {
        AdministrationOutcome::Given { .. } => tr.t("ward.outcome_given"),
        AdministrationOutcome::NotGiven { .. } => tr.t("ward.outcome_not_given"),
        AdministrationOutcome::Held { .. } => tr.t("ward.outcome_held"),
    }
}

/// The class of an administration's outcome.
pub(super) fn outcome_class(outcome: &AdministrationOutcome) -> &'static str {
    match outcome {
        AdministrationOutcome::Given { .. } => "given",
        AdministrationOutcome::NotGiven { .. } => "not-given",
        AdministrationOutcome::Held { .. } => "held",
    }
}

/// The real time of an administration, in ms.
pub(super) fn administered_ms(a: &Administration, zone: &TimeZone) -> Option<i64> {
    mar::moment_ms(&a.at, zone)
}

/// An administration on one line: `Donné 08:05 — 1 g PO (Test ide)`, with the
/// reason of a dose not given or held.
pub(super) fn administration_line(fmt: &Fmt<'_>, a: &Administration) -> String {
    let at = administered_ms(a, fmt.zone).map_or_else(|| DASH.to_owned(), |ms| short_time(fmt, ms));
    let what = outcome_text(fmt.tr, &a.outcome);
    let detail = match &a.outcome {
        AdministrationOutcome::Given { dose, route } => format!("{dose} {route}"),
        AdministrationOutcome::NotGiven { reason } | AdministrationOutcome::Held { reason } => {
            reason.clone()
        }
    };
    format!("{what} {at} — {} ({})", detail.trim(), a.by)
}

// ---------------------------------------------------------------------------
// `/soins`: the entry.

struct UnitLine {
    code: String,
    name: String,
    patients: u32,
    overdue: usize,
    grid_href: String,
    handover_href: String,
    /// The unit's lab requests, movements and paper fallback pages.
    lab: bool,
    movements: bool,
    paper: bool,
}

/// The establishment-wide pages of the capsule the caller may open.
struct HomeLinks {
    lab_results: bool,
    schedule: bool,
    kitchen: bool,
    reconcile: bool,
}

impl HomeLinks {
    fn any(&self) -> bool {
        self.lab_results || self.schedule || self.kitchen || self.reconcile
    }
}

#[derive(Template)]
#[template(path = "care/ward/home.html")]
struct HomeTemplate {
    tr: Tr,
    open: bool,
    documents: bool,
    units: Vec<UnitLine>,
    /// "3 prescriptions à valider", for pharmacists.
    reviews: Option<String>,
    prescribes: bool,
    links: HomeLinks,
    nothing: bool,
}

/// `GET /soins`.
pub(crate) async fn home_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    let documents = reaches(&caller, Action::CareDocument);
    let reviews = reaches(&caller, Action::PrescriptionReview);
    let prescribes = reaches(&caller, Action::Prescribe);
    let open = state.downtime_open().await.is_ok();
    let (units, feeds) = state
        .read(|store| Ok((store.units()?, store.feeds()?)))
        .await?;
    let visible: Vec<_> = units
        .into_iter()
        .filter(|u| documents && caller.may_see_unit(Action::CareDocument, &u.code))
        .collect();
    let codes: Vec<String> = visible.iter().map(|u| u.code.clone()).collect();
    let medications = state
        .read(move |store| {
            codes
                .iter()
                .map(|code| store.unit_medications(code))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    let fmt = ctx.fmt(&state);
    let care = &state.config().care;
    let clock = mar::Clock {
        now_ms: fmt.now_ms,
        zone: fmt.zone,
        shifts: &care.shifts,
    };
    let (shift_start, _) = mar::shift_window(fmt.now_ms, fmt.zone, &care.shifts);
    let (lines, pending) = {
        let book = state.care_book().await?;
        let patients: HashSet<PatientKey> = medications
            .iter()
            .flatten()
            .map(|p| p.patient.clone())
            .collect();
        let index = BookIndex::of(&book, Some(&patients));
        let lines: Vec<UnitLine> = visible
            .iter()
            .zip(&medications)
            .map(|(unit, patients)| {
                let grid: Vec<mar::GridPatient<'_>> = patients
                    .iter()
                    .map(|p| mar::GridPatient {
                        patient: &p.patient,
                        display: "",
                        bed: None,
                        medications: &p.medications,
                        administrations: index.administrations_of(&p.patient),
                    })
                    .collect();
                UnitLine {
                    code: unit.code.clone(),
                    name: clean(Some(&unit.name)).unwrap_or_else(|| unit.code.clone()),
                    patients: unit.patients,
                    overdue: mar::overdue_count(&grid, shift_start, &clock),
                    grid_href: grid_href(&unit.code),
                    handover_href: handover_href(&unit.code),
                    lab: caller.may_see_unit(Action::LabRequest, &unit.code),
                    movements: caller.may_see_unit(Action::Movement, &unit.code),
                    paper: caller.may_see_unit(Action::PaperReports, &unit.code),
                }
            })
            .collect();
        let pending = reviews.then(|| ward_rx::pending_count(&index));
        (lines, pending)
    };
    let links = HomeLinks {
        lab_results: reaches(&caller, Action::LabResult),
        schedule: reaches(&caller, Action::Schedule),
        kitchen: reaches(&caller, Action::Kitchen),
        reconcile: reaches(&caller, Action::Reconcile),
    };
    let main = HomeTemplate {
        tr: fmt.tr,
        open,
        documents,
        units: lines,
        reviews: pending.map(|n| fmt.tr.fmt("ward.home_pending", &[("n", &n.to_string())])),
        prescribes,
        nothing: !documents && !reviews && !prescribes && !links.any(),
        links,
    }
    .render()?;
    let page = Page {
        title: fmt.tr.t("ward.home_title"),
        nav: Nav::Care,
        query: "",
        main,
    };
    layout::respond(&state, &ctx, &feeds, page)
}

// ---------------------------------------------------------------------------
// `/soins/dossier/{key}`: one patient.

#[derive(Template)]
#[template(path = "care/ward/patient.html")]
struct PatientTemplate {
    tr: Tr,
    open: bool,
    head: PatientHead,
    grid: GridView,
    prescriptions: Vec<PrescriptionLine>,
    prescribe_href: Option<String>,
    vitals: VitalsView,
    vitals_form: Option<VitalsForm>,
    notes: Vec<NoteLine>,
    note_form: Option<NoteForm>,
}

/// `GET /soins/dossier/{key}`.
pub(crate) async fn patient_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let key = key_from_path(path)?;
    let chart = chart_in_scope(&state, &caller, key.as_str(), Action::CareDocument, true).await?;
    let open = state.downtime_open().await.is_ok();
    let root = chart.identity.patient.clone();
    let since = ward_vitals::history_since(state.now_ms());
    let history = state
        .read(move |store| {
            store.observations(&root, ckisa_domain::ObservationCategory::Vital, Some(since))
        })
        .await?;
    let fmt = ctx.fmt(&state);
    let csrf = caller.csrf()?.to_owned();
    let may_prescribe = caller.reach(Action::Prescribe) != Reach::Never
        && may_act_for(&caller, Action::Prescribe, &chart);
    let back = dossier_href(&chart.identity.patient);
    let (grid, prescriptions, vitals, notes) = {
        let book = state.care_book().await?;
        let patients: HashSet<PatientKey> = [chart.identity.patient.clone()].into();
        let index = BookIndex::of(&book, Some(&patients));
        let grid = ward_mar::patient_grid(&state, &fmt, &chart, &index, open, &back);
        let prescriptions =
            ward_rx::prescription_lines(&fmt, &chart, &index, open && may_prescribe, &back);
        let vitals = ward_vitals::view(&fmt, &book, &chart.identity.patient, &history);
        let notes = ward_notes::lines(&fmt, &book, &chart.identity.patient);
        (grid, prescriptions, vitals, notes)
    };
    let key_text = chart.identity.patient.as_str().to_owned();
    let main = PatientTemplate {
        tr: fmt.tr,
        open,
        head: PatientHead::of(&fmt, &chart),
        grid,
        prescriptions,
        prescribe_href: (open && may_prescribe)
            .then(|| format!("/soins/prescriptions?patient={}", query_value(&key_text))),
        vitals,
        vitals_form: open.then(|| VitalsForm::blank(&fmt, &csrf, &key_text)),
        notes,
        note_form: open.then(|| NoteForm::blank(&fmt, &csrf, &key_text)),
    }
    .render()?;
    let title = chart_name(&chart);
    // The page holds forms: no live refresh, which would wipe what is typed.
    let page = Page {
        title: &title,
        nav: Nav::None,
        query: "",
        main,
    };
    layout::respond_bare(&state, &ctx, page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").expect("zone")
    }

    #[test]
    fn typed_times_are_read_in_the_site_zone() {
        let zone = paris();
        // 15/03/2024 12:05 in Paris is 11:05 UTC.
        let expected = 1_710_500_700_000;
        assert_eq!(parse_local(&zone, "2024-03-15T12:05"), Some(expected));
        assert_eq!(parse_local(&zone, "15/03/2024 12:05"), Some(expected));
        assert_eq!(parse_local(&zone, " 15/3/2024 12:05 "), Some(expected));
        assert_eq!(local_input(&zone, expected), "2024-03-15T12:05");
        for bad in [
            "",
            "hier",
            "2024-13-01T10:00",
            "32/01/2024 10:00",
            "1/2/3/4 10:00",
        ] {
            assert_eq!(parse_local(&zone, bad), None, "{bad}");
        }
    }

    #[test]
    fn a_real_time_is_neither_in_the_future_nor_a_day_old() {
        let tr = Tr(Lang::Fr);
        let now = 1_710_500_700_000;
        assert_eq!(check_real_time(tr, now, now), None);
        assert_eq!(check_real_time(tr, now, now + 4 * 60_000), None);
        assert!(check_real_time(tr, now, now + 6 * 60_000).is_some());
        assert!(check_real_time(tr, now, now - 25 * 3_600_000).is_some());
    }

    #[test]
    fn only_our_own_pages_are_gone_back_to() {
        let fallback = || String::from("/soins");
        assert_eq!(
            back_to("/soins/unites/REA", fallback()),
            "/soins/unites/REA"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/soins/../x y",
            "/unites",
            "/soins/\\evil",
            "/soins/a\nb",
        ] {
            assert_eq!(back_to(bad, fallback()), "/soins", "{bad:?}");
        }
    }
}
