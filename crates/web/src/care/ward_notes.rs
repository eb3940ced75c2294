//! Targeted nursing notes (`/soins/transmissions`: cible, données, actions,
//! résultats, « à transmettre à la relève ») and a unit's handover view for
//! the shift change (`/soins/unites/{code}/releve`): per bed, the patient,
//! allergies, NEWS2 and its level, doses overdue, not given or held this
//! shift, notes flagged for the handover and prescriptions signed or
//! stopped since the shift began.
//!
//! The handover covers the shift in progress, or the one before when the
//! current shift began less than an hour ago (the outgoing team hands over
//! just after the change as often as just before); the page says from
//! when.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use ckisa_auth::Action;
use ckisa_care::book::CareBook;
use ckisa_care::{mar, news2};
use ckisa_domain::{
    AdministrationOutcome, CareFact, EncounterKey, Fact, NursingNote, ObservationCategory,
    PatientKey,
};
use ckisa_store::PatientChart;
use serde::Deserialize;

use super::flows::unit_for;
use super::new_item_id;
use super::ward::{
    self, AllergyLine, BookIndex, PatientHead, allergy_lines, back_to, back_to_dossier, bounded,
    chart_in_scope, chart_to_record, dossier_href, grid_href,
};
use super::ward_mar::unit_title;
use super::ward_vitals::{self, News2View};
use crate::access::{Caller, redirect};
use crate::error::{AppError, read_form, read_query};
use crate::format::{Fmt, full_name, place};
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page};
use crate::{AppState, PageCtx};

/// A handover right after a shift change covers the shift that ended.
const JUST_CHANGED_MS: i64 = 3_600_000;

// ---------------------------------------------------------------------------
// Notes.

/// A note as pages show it.
pub(super) struct NoteLine {
    pub(super) at: String,
    pub(super) by: String,
    pub(super) target: String,
    pub(super) data: String,
    pub(super) actions: String,
    pub(super) results: String,
    pub(super) handover: bool,
}

fn note_line(fmt: &Fmt<'_>, note: &NursingNote) -> NoteLine {
    NoteLine {
        at: mar::moment_ms(&note.at, fmt.zone)
            .map_or_else(|| fmt.moment(Some(&note.at)), |ms| ward::minute(fmt, ms)),
        by: note.by.clone(),
        target: note.target.clone(),
        data: note.data.clone(),
        actions: note.actions.clone(),
        results: note.results.clone(),
        handover: note.for_handover,
    }
}

/// A patient's notes, newest first.
pub(super) fn lines(fmt: &Fmt<'_>, book: &CareBook, patient: &PatientKey) -> Vec<NoteLine> {
    let mut notes: Vec<(i64, NoteLine)> = book
        .notes(patient)
        .map(|(entry, note)| {
            let at = mar::moment_ms(&note.at, fmt.zone).unwrap_or(entry.recorded_ms);
            (at, note_line(fmt, note))
        })
        .collect();
    notes.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    notes.into_iter().map(|(_, line)| line).collect()
}

/// The note form, blank or as posted with its errors.
pub(super) struct NoteForm {
    pub(super) csrf: String,
    pub(super) patient: String,
    pub(super) retour: String,
    pub(super) target: String,
    pub(super) data: String,
    pub(super) actions: String,
    pub(super) results: String,
    pub(super) handover: bool,
    pub(super) time: String,
    pub(super) errors: Vec<String>,
}

impl NoteForm {
    /// An empty form for `patient`, the time set to now.
    pub(super) fn blank(fmt: &Fmt<'_>, csrf: &str, patient: &str) -> NoteForm {
        NoteForm {
            csrf: csrf.to_owned(),
            patient: patient.to_owned(),
            retour: String::new(),
            target: String::new(),
            data: String::new(),
            actions: String::new(),
            results: String::new(),
            handover: false,
            time: ward::local_input(fmt.zone, fmt.now_ms),
            errors: Vec::new(),
        }
    }
}

/// The query of the form page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NoteQuery {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    retour: String,
}

/// The form as posted.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NotePost {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    retour: String,
    #[serde(default)]
    cible: String,
    #[serde(default)]
    donnees: String,
    #[serde(default)]
    actions: String,
    #[serde(default)]
    resultats: String,
    /// `1` when « à transmettre à la relève » is ticked.
    #[serde(default)]
    releve: String,
    #[serde(default)]
    heure: String,
}

#[derive(Template)]
#[template(path = "care/ward/notes.html")]
struct NotesTemplate {
    tr: Tr,
    open: bool,
    head: PatientHead,
    back: String,
    form: NoteForm,
    notes: Vec<NoteLine>,
}

/// `GET /soins/transmissions`.
pub(crate) async fn note_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    query: Result<Query<NoteQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = read_query(query)?;
    let chart = chart_in_scope(&state, &caller, &query.patient, Action::CareDocument, true).await?;
    let fmt = ctx.fmt(&state);
    let mut form = NoteForm::blank(&fmt, caller.csrf()?, chart.identity.patient.as_str());
    form.retour = query.retour;
    note_view(&state, &ctx, &chart, form, StatusCode::OK).await
}

async fn note_view(
    state: &AppState,
    ctx: &PageCtx,
    chart: &PatientChart,
    form: NoteForm,
    status: StatusCode,
) -> Result<Response, AppError> {
    let open = state.downtime_open().await.is_ok();
    let fmt = ctx.fmt(state);
    let notes = {
        let book = state.care_book().await?;
        lines(&fmt, &book, &chart.identity.patient)
    };
    let main = NotesTemplate {
        tr: fmt.tr,
        open,
        head: PatientHead::of(&fmt, chart),
        back: back_to_dossier(&form.retour, chart),
        form,
        notes,
    }
    .render()?;
    let title = fmt.tr.t("ward.notes_title");
    layout::respond_form(state, ctx, title, Nav::None, main, status)
}

/// `POST /soins/transmissions`.
pub(crate) async fn note_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<NotePost>, FormRejection>,
) -> Result<Response, AppError> {
    let posted = read_form(form)?;
    let chart = chart_to_record(&state, &caller, &posted.patient, Action::CareDocument).await?;
    let fmt = ctx.fmt(&state);
    let tr = fmt.tr;
    let mut errors = Vec::new();
    let mut field = |key: &str, text: &str| match bounded(tr, tr.t(key), text, ward::MAX_TEXT) {
        Ok(text) => text,
        Err(error) => {
            errors.push(error);
            String::new()
        }
    };
    let target = field("ward.field_target", &posted.cible);
    let data = field("ward.field_data", &posted.donnees);
    let actions = field("ward.field_actions", &posted.actions);
    let results = field("ward.field_results", &posted.resultats);
    if posted.cible.trim().is_empty() {
        errors.push(tr.t("ward.error_target").to_owned());
    }
    if [&posted.donnees, &posted.actions, &posted.resultats]
        .iter()
        .all(|t| t.trim().is_empty())
    {
        errors.push(tr.t("ward.error_note_empty").to_owned());
    }
    let at = ward::parse_local(fmt.zone, &posted.heure);
    match at {
        None => errors.push(tr.t("ward.error_time").to_owned()),
        Some(at) => errors.extend(ward::check_real_time(tr, fmt.now_ms, at)),
    }
    let moment = at.and_then(|at| mar::moment_at(at, fmt.zone));
    let handover = posted.releve.trim() == "1";
    let (Some(moment), true) = (moment, errors.is_empty()) else {
        let form = NoteForm {
            csrf: caller.csrf()?.to_owned(),
            patient: chart.identity.patient.as_str().to_owned(),
            retour: posted.retour.clone(),
            target: posted.cible.trim().to_owned(),
            data: posted.donnees.trim_end().to_owned(),
            actions: posted.actions.trim_end().to_owned(),
            results: posted.resultats.trim_end().to_owned(),
            handover,
            time: posted.heure.trim().to_owned(),
            errors,
        };
        return note_view(&state, &ctx, &chart, form, StatusCode::BAD_REQUEST).await;
    };
    let note = NursingNote {
        id: new_item_id("note", fmt.now_ms),
        patient: chart.identity.patient.clone(),
        encounter: chart
            .stay
            .as_ref()
            .map(|s| EncounterKey(s.encounter.clone())),
        target,
        data,
        actions,
        results,
        at: moment,
        by: ward::display_name(&caller),
        for_handover: handover,
    };
    let root = chart.identity.patient.as_str().to_owned();
    let detail = format!("transmission {}", note.id);
    state
        .care_record(
            &caller,
            Action::CareDocument,
            Some(&root),
            &detail,
            vec![CareFact::Note(note)],
            None,
        )
        .await?;
    let back = back_to(
        &posted.retour,
        format!("{}#transmissions", dossier_href(&chart.identity.patient)),
    );
    Ok(redirect(&back))
}

// ---------------------------------------------------------------------------
// Handover.

/// One bed of the handover.
struct HandoverBed {
    bed: String,
    name: String,
    href: String,
    allergy_badge: String,
    allergies: Vec<AllergyLine>,
    news2: Option<News2View>,
    /// Doses overdue, not given or held.
    doses: Vec<DoseLine>,
    notes: Vec<NoteLine>,
    prescriptions: Vec<String>,
}

struct DoseLine {
    class: &'static str,
    text: String,
}

#[derive(Template)]
#[template(path = "care/ward/handover.html")]
struct HandoverTemplate {
    tr: Tr,
    title: String,
    since: String,
    grid_href: String,
    beds: Vec<HandoverBed>,
}

/// Since when a handover shown at `now_ms` reports.
fn handover_since(now_ms: i64, zone: &jiff::tz::TimeZone, shifts: &[u8]) -> i64 {
    let (start, _) = mar::shift_window(now_ms, zone, shifts);
    if now_ms - start < JUST_CHANGED_MS {
        mar::shift_window(start - 1, zone, shifts).0
    } else {
        start
    }
}

/// `GET /soins/unites/{code}/releve`.
pub(crate) async fn handover_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    unit_for(&state, &caller, Action::CareDocument, &code)?;
    let asked = code.clone();
    let since_vitals = ward_vitals::history_since(state.now_ms());
    let (board, medications, histories, feeds) = state
        .read(move |store| {
            let board = store.unit_board(&asked)?;
            let medications = store.unit_medications(&asked)?;
            let histories = medications
                .iter()
                .map(|p| {
                    store.observations(&p.patient, ObservationCategory::Vital, Some(since_vitals))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((board, medications, histories, store.feeds()?))
        })
        .await?;
    let board = board.ok_or(AppError::UnitNotFound)?;
    let fmt = ctx.fmt(&state);
    let tr = fmt.tr;
    let care = &state.config().care;
    let since = handover_since(fmt.now_ms, fmt.zone, &care.shifts);
    let clock = mar::Clock {
        now_ms: fmt.now_ms,
        zone: fmt.zone,
        shifts: &care.shifts,
    };
    let beds = {
        let book = state.care_book().await?;
        let keys: HashSet<PatientKey> = medications.iter().map(|p| p.patient.clone()).collect();
        let index = BookIndex::of(&book, Some(&keys));
        let notes = handover_notes(&book, &keys, since, &fmt);
        let mut beds = Vec::new();
        let mut seen = HashSet::new();
        for row in &board.beds {
            for occupant in &row.occupants {
                let Some(at) = medications
                    .iter()
                    .position(|p| p.patient == occupant.patient)
                else {
                    continue;
                };
                if !seen.insert(at) {
                    continue;
                }
                let meds = &medications[at];
                let patient = mar::GridPatient {
                    patient: &meds.patient,
                    display: "",
                    bed: None,
                    medications: &meds.medications,
                    administrations: index.administrations_of(&meds.patient),
                };
                let grid = mar::grid(&[patient], since, fmt.now_ms + 1, &clock);
                let latest = news2::latest_vitals(&histories[at], fmt.zone);
                beds.push(HandoverBed {
                    bed: place(row.room.as_deref(), row.bed.as_deref())
                        .unwrap_or_else(|| tr.t("board.no_bed").to_owned()),
                    name: full_name(occupant.family.as_deref(), occupant.given.as_deref()),
                    href: dossier_href(&meds.patient),
                    allergy_badge: crate::units::allergy_text(tr, meds.allergies.len() as u32),
                    allergies: allergy_lines(tr, &meds.allergies),
                    news2: ward_vitals::news2_of(&fmt, &latest),
                    doses: dose_lines(&fmt, &grid),
                    notes: notes.get(&meds.patient).map_or_else(Vec::new, |n| {
                        n.iter().map(|note| note_line(&fmt, note)).collect()
                    }),
                    prescriptions: new_prescriptions(&fmt, &index, &meds.patient, since),
                });
            }
        }
        beds
    };
    let title = tr.fmt(
        "ward.handover_title",
        &[("unit", &unit_title(&board.unit.name, &board.unit.code))],
    );
    let main = HandoverTemplate {
        tr,
        title: title.clone(),
        since: tr.fmt("ward.handover_since", &[("at", &ward::minute(&fmt, since))]),
        grid_href: grid_href(&code),
        beds,
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

/// Notes flagged for the handover, taken since `since_ms`, per patient,
/// oldest first (one pass over the book).
fn handover_notes<'b>(
    book: &'b CareBook,
    patients: &HashSet<PatientKey>,
    since_ms: i64,
    fmt: &Fmt<'_>,
) -> HashMap<PatientKey, Vec<&'b NursingNote>> {
    let mut notes: HashMap<PatientKey, Vec<&'b NursingNote>> = HashMap::new();
    for entry in book.entries() {
        let CareFact::Note(note) = &entry.fact else {
            continue;
        };
        let at = mar::moment_ms(&note.at, fmt.zone).unwrap_or(entry.recorded_ms);
        if !note.for_handover || at < since_ms {
            continue;
        }
        let root = book.resolve(&note.patient);
        if patients.contains(&root) {
            notes.entry(root).or_default().push(note);
        }
    }
    notes
}

/// Overdue doses and doses not given or held, in time order.
fn dose_lines(fmt: &Fmt<'_>, grid: &mar::Grid<'_>) -> Vec<DoseLine> {
    let tr = fmt.tr;
    let mut lines: Vec<(i64, DoseLine)> = Vec::new();
    for row in grid.patients.iter().flat_map(|p| p.rows.iter()) {
        let drug = &row.medication.drug.text;
        for cell in &row.cells {
            let at = ward::clock(fmt, cell.planned.at_ms);
            let line = match cell.state {
                mar::CellState::Overdue => DoseLine {
                    class: "overdue",
                    text: tr.fmt("ward.handover_overdue", &[("drug", drug), ("at", &at)]),
                },
                mar::CellState::Done(a) => match &a.outcome {
                    AdministrationOutcome::NotGiven { reason } => DoseLine {
                        class: "not-given",
                        text: tr.fmt(
                            "ward.handover_not_given",
                            &[
                                ("drug", drug),
                                ("at", &at),
                                ("reason", reason),
                                ("by", &a.by),
                            ],
                        ),
                    },
                    AdministrationOutcome::Held { reason } => DoseLine {
                        class: "held",
                        text: tr.fmt(
                            "ward.handover_held",
                            &[
                                ("drug", drug),
                                ("at", &at),
                                ("reason", reason),
                                ("by", &a.by),
                            ],
                        ),
                    },
                    AdministrationOutcome::Given { .. } => continue,
                },
                mar::CellState::Due | mar::CellState::Upcoming => continue,
            };
            lines.push((cell.planned.at_ms, line));
        }
    }
    lines.sort_by_key(|(at, _)| *at);
    lines.into_iter().map(|(_, line)| line).collect()
}

/// Prescriptions signed or stopped here since `since_ms` for `patient`.
fn new_prescriptions(
    fmt: &Fmt<'_>,
    index: &BookIndex<'_>,
    patient: &PatientKey,
    since_ms: i64,
) -> Vec<String> {
    let tr = fmt.tr;
    let mut lines: Vec<(i64, String)> = Vec::new();
    for (entries, key) in [
        (&index.signed, "ward.handover_signed"),
        (&index.stopped, "ward.handover_stopped"),
    ] {
        for entry in entries.values() {
            if entry.recorded_ms < since_ms || entry.patient() != Some(patient) {
                continue;
            }
            let CareFact::Entered(inner) = &entry.fact else {
                continue;
            };
            let Fact::MedicationRecorded(m) = inner.as_ref() else {
                continue;
            };
            let what = [
                Some(m.drug.text.as_str()),
                m.dose.as_deref(),
                m.route.as_deref(),
                m.frequency.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            lines.push((
                entry.recorded_ms,
                tr.fmt(
                    key,
                    &[
                        ("what", &what),
                        ("at", &ward::short_time(fmt, entry.recorded_ms)),
                    ],
                ),
            ));
        }
    }
    lines.sort_by_key(|(at, _)| *at);
    lines.into_iter().map(|(_, line)| line).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handover_just_after_the_change_covers_the_shift_that_ended() {
        let zone = jiff::tz::TimeZone::get("Europe/Paris").expect("zone");
        let shifts = [7, 14, 21];
        // 15/03/2024 12:00 Paris: the morning shift, from 07:00.
        let noon = 1_710_500_400_000;
        let seven = noon - 5 * 3_600_000;
        assert_eq!(handover_since(noon, &zone, &shifts), seven);
        // 14:20: the afternoon shift began 20 minutes ago; the morning's
        // handover is still being given.
        let just_after = noon + 2 * 3_600_000 + 20 * 60_000;
        assert_eq!(handover_since(just_after, &zone, &shifts), seven);
        // 15:30: the afternoon's.
        let later = noon + 3 * 3_600_000 + 30 * 60_000;
        assert_eq!(handover_since(later, &zone, &shifts), noon + 2 * 3_600_000);
    }
}
