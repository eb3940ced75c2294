//! Admissions, transfers and discharges during a downtime (`Movement`).
//!
//! - `/soins/unites/{code}/mouvements`: the unit's beds with what can be
//!   done from each (admit into a free bed; transfer, discharge, print the
//!   wristband of an occupant), following the store live.
//! - `/soins/unites/{code}/admission`: a patient unknown to the node gets a
//!   provisional identity (the next free IPP of the `[soins]` range) and a
//!   free bed of the unit, recorded atomically as the identity and the stay
//!   (`PatientUpdated` + `StayUpdated`), then the wristband is printed.
//! - `/soins/mutation?patient=`: to another bed or unit (`Transferred`).
//! - `/soins/sortie?patient=`: discharge (`Discharged`).
//! - `/soins/bracelet?patient=`: the printable wristband.
//!
//! **Two terminals, one bed.** A form offers only beds that were free when
//! it was drawn, and a transfer or discharge form carries a digest of where
//! the patient was. The write's check, run on the store under the care
//! hub's write lock, reads the unit board and the chart again: a bed taken
//! meanwhile, or a patient moved meanwhile, refuses the write with a 409
//! naming what changed. The first terminal wins; the second overwrites
//! nothing.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use ckisa_auth::Action;
use ckisa_care::settings::IppRange;
use ckisa_domain::{
    CareFact, EncounterKey, Fact, Field, Identifier, Moment, PatientKey, PatientUpdate, Place,
    Precision, Sex, StayUpdate,
};
use ckisa_store::{BedRow, PatientQuery, Store, UNLOCATED_UNIT, UnitBoard};
use serde::Deserialize;

use super::flows::{
    IdentityView, chart_name, form_status, in_house, key_param, moment_at, moment_ms, patient_for,
    place_digest, read_date, read_local, stay_place, time_field, unit_for, unit_segment,
};
use super::{StoreCheck, new_item_id};
use crate::access::{Caller, redirect};
use crate::error::{AppError, read_form, read_query};
use crate::format::{Fmt, clean, full_name, patient_href, place};
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page};
use crate::{AppState, PageCtx};

/// Longest name typed for an admission.
const MAX_NAME: usize = 100;
/// Oldest approximate age accepted for an unidentified patient.
const MAX_AGE: i16 = 120;
/// How many times an admission takes the next IPP when another terminal
/// took the one it chose.
const IPP_ATTEMPTS: usize = 3;
/// Family name of an unidentified patient.
const UNKNOWN_FAMILY: &str = "INCONNU";

/// The movements page of a unit.
pub(crate) fn unit_href(code: &str) -> String {
    format!("/soins/unites/{}/mouvements", unit_segment(code))
}

fn admission_href(code: &str) -> String {
    format!("/soins/unites/{}/admission", unit_segment(code))
}

/// The wristband page of a patient.
pub(crate) fn wristband_href(key: &PatientKey) -> String {
    format!("/soins/bracelet?patient={}", key_param(key))
}

/// A bed of a board as one form value: `room|bed` (either may be empty).
fn bed_value(room: Option<&str>, bed: Option<&str>) -> String {
    format!("{}|{}", room.unwrap_or_default(), bed.unwrap_or_default())
}

/// The room and bed of a form value.
fn read_bed(value: &str) -> Option<(Option<String>, Option<String>)> {
    let (room, bed) = value.split_once('|')?;
    let (room, bed) = (clean(Some(room)), clean(Some(bed)));
    (room.is_some() || bed.is_some()).then_some((room, bed))
}

fn same_bed(row: &BedRow, room: Option<&str>, bed: Option<&str>) -> bool {
    clean(row.room.as_deref()).as_deref() == room && clean(row.bed.as_deref()).as_deref() == bed
}

/// A bed's label: `3 / 1`.
fn bed_label(room: Option<&str>, bed: Option<&str>) -> String {
    place(room, bed).unwrap_or_else(|| "—".to_owned())
}

/// The free beds of a board, as (form value, label).
fn free_beds(board: &UnitBoard) -> Vec<BedChoice> {
    board
        .beds
        .iter()
        .filter(|row| row.occupants.is_empty())
        .filter(|row| row.room.is_some() || row.bed.is_some())
        .map(|row| BedChoice {
            value: bed_value(row.room.as_deref(), row.bed.as_deref()),
            label: bed_label(row.room.as_deref(), row.bed.as_deref()),
            selected: false,
        })
        .collect()
}

struct BedChoice {
    value: String,
    label: String,
    selected: bool,
}

/// The check run under the write lock: the bed is still free. `tr` words
/// the conflict.
fn bed_still_free(
    store: &dyn Store,
    tr: Tr,
    unit: &str,
    room: Option<&str>,
    bed: Option<&str>,
) -> Result<(), AppError> {
    let board = store.unit_board(unit)?.ok_or(AppError::UnitNotFound)?;
    let taken = board
        .beds
        .iter()
        .find(|row| same_bed(row, room, bed))
        .and_then(|row| row.occupants.first());
    match taken {
        Some(occupant) => Err(AppError::Refused(tr.fmt(
            "flow.move.bed_taken",
            &[
                ("bed", &bed_label(room, bed)),
                (
                    "name",
                    &full_name(occupant.family.as_deref(), occupant.given.as_deref()),
                ),
            ],
        ))),
        None => Ok(()),
    }
}

/// The check run under the write lock: the patient is still where the
/// form saw them.
fn still_there(
    store: &dyn Store,
    tr: Tr,
    patient: &PatientKey,
    seen: &str,
) -> Result<(), AppError> {
    let chart = store
        .patient_chart(patient)?
        .ok_or(AppError::PatientNotFound)?;
    if place_digest(chart.stay.as_ref()) == seen {
        return Ok(());
    }
    let name = chart_name(&chart);
    let now = match chart.stay.as_ref() {
        Some(stay) => tr.fmt(
            "flow.move.moved_to",
            &[("name", &name), ("place", &stay_place(stay))],
        ),
        None => tr.fmt("flow.move.moved_out", &[("name", &name)]),
    };
    Err(AppError::Refused(now))
}

// ---------------------------------------------------------------------------
// The unit's movements page.

struct BedLine {
    place: String,
    /// Admission into this free bed.
    admit_href: Option<String>,
    occupants: Vec<OccupantLine>,
}

struct OccupantLine {
    name: String,
    href: String,
    age: String,
    sex: &'static str,
    ipp: String,
    provisional: bool,
    transfer_href: String,
    discharge_href: String,
    wristband_href: String,
    lab_href: String,
    diet_href: String,
}

#[derive(Template)]
#[template(path = "care/flows/movements.html")]
struct MovementsTemplate {
    tr: Tr,
    title: String,
    open: bool,
    admit_href: String,
    lab_href: String,
    paper_href: String,
    lines: Vec<BedLine>,
}

/// `GET /soins/unites/{code}/mouvements`.
pub(crate) async fn unit_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    unit_for(&state, &caller, Action::Movement, &code)?;
    let asked = code.clone();
    let (board, feeds) = state
        .read(move |store| Ok((store.unit_board(&asked)?, store.feeds()?)))
        .await?;
    let board = board.ok_or(AppError::UnitNotFound)?;
    let open = state.downtime_open().await.is_ok();
    let fmt = ctx.fmt(&state);
    let range = &state.config().care.ipp;
    let lines = board
        .beds
        .iter()
        .map(|row| movement_line(&fmt, range, &code, row))
        .collect();
    let title = fmt.tr.fmt("flow.move.unit_title", &[("unit", &code)]);
    let main = MovementsTemplate {
        tr: fmt.tr,
        title: title.clone(),
        open,
        admit_href: admission_href(&code),
        lab_href: super::lab::unit_href(&code),
        paper_href: super::paper::pack_href(&code),
        lines,
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

fn movement_line(fmt: &Fmt<'_>, range: &IppRange, code: &str, row: &BedRow) -> BedLine {
    let has_place = row.room.is_some() || row.bed.is_some();
    let label = if has_place {
        bed_label(row.room.as_deref(), row.bed.as_deref())
    } else {
        fmt.tr.t("board.no_bed").to_owned()
    };
    let admit_href = (row.occupants.is_empty() && has_place).then(|| {
        format!(
            "{}?lit={}",
            admission_href(code),
            key_param(&PatientKey(bed_value(
                row.room.as_deref(),
                row.bed.as_deref()
            )))
        )
    });
    BedLine {
        place: label,
        admit_href,
        occupants: row
            .occupants
            .iter()
            .map(|o| {
                let ipp = clean(o.ipp.as_deref());
                let param = key_param(&o.patient);
                OccupantLine {
                    name: full_name(o.family.as_deref(), o.given.as_deref()),
                    href: patient_href(&o.patient),
                    age: o
                        .birth_date
                        .as_ref()
                        .and_then(|b| fmt.age(b))
                        .unwrap_or_else(|| "—".to_owned()),
                    sex: fmt.sex_short(o.sex),
                    provisional: ipp.as_deref().is_some_and(|ipp| range.contains(ipp)),
                    ipp: ipp.unwrap_or_else(|| "—".to_owned()),
                    transfer_href: format!("/soins/mutation?patient={param}"),
                    discharge_href: format!("/soins/sortie?patient={param}"),
                    wristband_href: wristband_href(&o.patient),
                    lab_href: super::lab::request_href(&o.patient),
                    diet_href: super::lists::diet_href(&o.patient),
                }
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------
// Admission.

/// The admission form's fields.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AdmissionFields {
    #[serde(default)]
    inconnu: Option<String>,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    prenom: String,
    #[serde(default)]
    sexe: String,
    #[serde(default)]
    naissance: String,
    #[serde(default)]
    age: String,
    #[serde(default)]
    lit: String,
}

/// `?lit=` preselecting a bed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AdmissionParams {
    #[serde(default)]
    lit: Option<String>,
}

/// An admission as typed, checked.
#[derive(Debug, PartialEq)]
struct Admission {
    family: String,
    given: Option<String>,
    sex: Sex,
    birth: Option<Moment>,
    room: Option<String>,
    bed: Option<String>,
}

fn read_sex(code: &str) -> Option<Sex> {
    match code.trim() {
        "F" => Some(Sex::Female),
        "M" => Some(Sex::Male),
        "O" => Some(Sex::Other),
        "U" => Some(Sex::Unknown),
        _ => None,
    }
}

impl AdmissionFields {
    fn unknown(&self) -> bool {
        self.inconnu.as_deref().is_some_and(|v| !v.is_empty())
    }

    /// The admission, or what is wrong in French (or English).
    fn parse(&self, fmt: &Fmt<'_>) -> Result<Admission, String> {
        let tr = fmt.tr;
        let sex = read_sex(&self.sexe).ok_or_else(|| tr.t("flow.adm.error_sex").to_owned())?;
        let today = fmt.today();
        let birth = match self.naissance.trim() {
            "" => None,
            typed => {
                let birth = read_date(typed)
                    .ok_or_else(|| tr.fmt("flow.adm.error_birth", &[("date", typed)]))?;
                let civil = jiff::civil::Date::new(
                    birth.year,
                    i8::try_from(birth.month).unwrap_or(1),
                    i8::try_from(birth.day).unwrap_or(1),
                )
                .map_err(|_| tr.fmt("flow.adm.error_birth", &[("date", typed)]))?;
                if civil > today || birth.year < today.year() - MAX_AGE {
                    return Err(tr.fmt("flow.adm.error_birth_range", &[("date", typed)]));
                }
                Some(birth)
            }
        };
        let (family, given, birth) = if self.unknown() {
            let birth = match (birth, self.age.trim()) {
                (Some(birth), _) => Some(birth),
                (None, "") => None,
                (None, typed) => {
                    let age = typed
                        .parse::<i16>()
                        .ok()
                        .filter(|age| (0..=MAX_AGE).contains(age))
                        .ok_or_else(|| tr.fmt("flow.adm.error_age", &[("age", typed)]))?;
                    Some(Moment {
                        precision: Precision::Year,
                        ..Moment::date(today.year() - age, 1, 1)
                            .ok_or_else(|| tr.fmt("flow.adm.error_age", &[("age", typed)]))?
                    })
                }
            };
            (UNKNOWN_FAMILY.to_owned(), None, birth)
        } else {
            let family = self.nom.trim();
            if family.is_empty() {
                return Err(tr.t("flow.adm.error_name").to_owned());
            }
            let given = self.prenom.trim();
            if family.chars().count() > MAX_NAME || given.chars().count() > MAX_NAME {
                return Err(tr.fmt("flow.adm.error_name_long", &[("max", "100")]));
            }
            if family.chars().chain(given.chars()).any(char::is_control) {
                return Err(tr.t("flow.adm.error_name").to_owned());
            }
            let given = (!given.is_empty()).then(|| given.to_owned());
            (family.to_owned(), given, birth)
        };
        let (room, bed) =
            read_bed(&self.lit).ok_or_else(|| tr.t("flow.move.error_bed").to_owned())?;
        Ok(Admission {
            family,
            given,
            sex,
            birth,
            room,
            bed,
        })
    }
}

#[derive(Template)]
#[template(path = "care/flows/admission.html")]
struct AdmissionTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    title: String,
    hint: String,
    action: String,
    back: String,
    open: bool,
    error: Option<String>,
    beds: Vec<BedChoice>,
    fields: &'a AdmissionFields,
    sexes: Vec<Choice>,
}

/// One option of a select.
struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn sex_choices(tr: Tr, chosen: &str) -> Vec<Choice> {
    [
        ("F", "sex.female"),
        ("M", "sex.male"),
        ("O", "sex.other"),
        ("U", "sex.unknown"),
    ]
    .into_iter()
    .map(|(value, key)| Choice {
        value,
        label: tr.t(key),
        selected: chosen.trim() == value,
    })
    .collect()
}

async fn show_admission(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    code: &str,
    fields: &AdmissionFields,
    error: Option<String>,
) -> Result<Response, AppError> {
    let csrf = caller.csrf()?;
    let asked = code.to_owned();
    let board = state
        .read(move |store| store.unit_board(&asked))
        .await?
        .ok_or(AppError::UnitNotFound)?;
    let open = state.downtime_open().await.is_ok();
    let fmt = ctx.fmt(state);
    let mut beds = free_beds(&board);
    for bed in &mut beds {
        bed.selected = bed.value == fields.lit;
    }
    let range = &state.config().care.ipp;
    let status = form_status(error.as_deref());
    let title = fmt.tr.fmt("flow.adm.title", &[("unit", code)]);
    let range = format!("{} ({})", range_text(range), range.authority);
    let main = AdmissionTemplate {
        tr: fmt.tr,
        csrf,
        title: title.clone(),
        hint: fmt.tr.fmt("flow.adm.hint", &[("range", &range)]),
        action: admission_href(code),
        back: unit_href(code),
        open,
        error,
        beds,
        fields,
        sexes: sex_choices(fmt.tr, &fields.sexe),
    }
    .render()?;
    layout::respond_form(state, ctx, &title, Nav::Units, main, status)
}

fn range_text(range: &IppRange) -> String {
    match (range.nth(0), range.nth(range.last - range.first)) {
        (Some(first), Some(last)) => format!("{first}-{last}"),
        _ => String::new(),
    }
}

/// `GET /soins/unites/{code}/admission`.
pub(crate) async fn admission_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(code): Path<String>,
    params: Result<Query<AdmissionParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    unit_for(&state, &caller, Action::Movement, &code)?;
    let fields = AdmissionFields {
        lit: params.lit.unwrap_or_default(),
        ..AdmissionFields::default()
    };
    show_admission(&state, &ctx, &caller, &code, &fields, None).await
}

/// `POST /soins/unites/{code}/admission`.
pub(crate) async fn admission_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(code): Path<String>,
    form: Result<Form<AdmissionFields>, FormRejection>,
) -> Result<Response, AppError> {
    let fields = read_form(form)?;
    unit_for(&state, &caller, Action::Movement, &code)?;
    if code == UNLOCATED_UNIT {
        return Err(AppError::UnitNotFound);
    }
    let fmt = ctx.fmt(&state);
    let admission = match fields.parse(&fmt) {
        Ok(admission) => admission,
        Err(error) => {
            return show_admission(&state, &ctx, &caller, &code, &fields, Some(error)).await;
        }
    };
    let exists = {
        let asked = code.clone();
        let board = state
            .read(move |store| store.unit_board(&asked))
            .await?
            .ok_or(AppError::UnitNotFound)?;
        let wanted = bed_value(admission.room.as_deref(), admission.bed.as_deref());
        board
            .beds
            .iter()
            .any(|row| bed_value(row.room.as_deref(), row.bed.as_deref()) == wanted)
    };
    // A bed of the board; whether it is still free is checked right
    // before the write, where a bed taken meanwhile is a conflict.
    if !exists {
        let error = fmt.tr.t("flow.move.error_bed").to_owned();
        return show_admission(&state, &ctx, &caller, &code, &fields, Some(error)).await;
    }
    match admit(&state, &caller, fmt, &code, admission).await {
        Ok(key) => Ok(redirect(&format!("{}&admis=1", wristband_href(&key)))),
        // The bed taken from another terminal meanwhile: the form again,
        // as typed, with the beds still free.
        Err(AppError::Refused(reason)) if state.downtime_open().await.is_ok() => {
            let mut page =
                show_admission(&state, &ctx, &caller, &code, &fields, Some(reason)).await?;
            *page.status_mut() = StatusCode::CONFLICT;
            Ok(page)
        }
        Err(error) => Err(error),
    }
}

/// The IPPs of the range that this node's admissions already gave.
async fn provisional_ipps(state: &AppState) -> Result<HashSet<String>, AppError> {
    let authority = state.config().care.ipp.authority.clone();
    let book = state.care_book().await?;
    Ok(book
        .entries()
        .iter()
        .filter_map(|entry| match &entry.fact {
            CareFact::Entered(fact) => match fact.as_ref() {
                Fact::PatientUpdated(update) => Some(update),
                _ => None,
            },
            _ => None,
        })
        .flat_map(|update| &update.identifiers)
        .filter(|id| id.system.as_deref() == Some(authority.as_str()))
        .map(|id| id.value.clone())
        .collect())
}

/// Records the admission with the next free IPP; returns the new key.
async fn admit(
    state: &AppState,
    caller: &Caller,
    fmt: Fmt<'_>,
    code: &str,
    admission: Admission,
) -> Result<PatientKey, AppError> {
    let range = state.config().care.ipp.clone();
    let mut taken = provisional_ipps(state).await?;
    let now = moment_at(fmt.zone, fmt.now_ms);
    for _ in 0..IPP_ATTEMPTS {
        let ipp = range
            .next_free(|ipp| taken.contains(ipp))
            .ok_or_else(|| AppError::Refused(fmt.tr.t("flow.adm.range_full").to_owned()))?;
        let key = PatientKey::ipp(&range.authority, &ipp);
        let encounter = EncounterKey(format!(
            "vn:{}|{}",
            range.authority,
            new_item_id("sej", fmt.now_ms)
        ));
        let facts = admission_facts(&admission, &range, &ipp, &key, encounter, code, now);
        let ipp_used = Arc::new(AtomicBool::new(false));
        let check: StoreCheck = {
            let (ipp, used, tr) = (ipp.clone(), Arc::clone(&ipp_used), fmt.tr);
            let (unit, room, bed) = (
                code.to_owned(),
                admission.room.clone(),
                admission.bed.clone(),
            );
            Box::new(move |store: &dyn Store| {
                let query = PatientQuery {
                    identifier: Some(ipp),
                    ..PatientQuery::default()
                };
                if !store.search_patients(&query, 1)?.is_empty() {
                    used.store(true, Ordering::Release);
                    return Err(AppError::Refused(String::new()));
                }
                bed_still_free(store, tr, &unit, room.as_deref(), bed.as_deref())
            })
        };
        let detail = format!("admission {code} {ipp}");
        let recorded = state
            .care_record(
                caller,
                Action::Movement,
                Some(key.as_str()),
                &detail,
                facts,
                Some(check),
            )
            .await;
        match recorded {
            Ok(_) => return Ok(key),
            Err(_) if ipp_used.load(Ordering::Acquire) => {
                taken.insert(ipp);
            }
            Err(error) => return Err(error),
        }
    }
    Err(AppError::Refused(fmt.tr.t("flow.adm.ipp_busy").to_owned()))
}

fn admission_facts(
    admission: &Admission,
    range: &IppRange,
    ipp: &str,
    key: &PatientKey,
    encounter: EncounterKey,
    code: &str,
    now: Moment,
) -> Vec<CareFact> {
    let identity = PatientUpdate {
        patient: key.clone(),
        identifiers: vec![Identifier {
            value: ipp.to_owned(),
            system: Some(range.authority.clone()),
            kind: Some("PI".to_owned()),
        }],
        family: Field::Value(admission.family.clone()),
        given: Field::from_option(admission.given.clone()),
        birth_date: Field::from_option(admission.birth),
        sex: Field::Value(admission.sex),
        ..PatientUpdate::default()
    };
    let stay = StayUpdate {
        encounter,
        patient: key.clone(),
        place: Field::Value(Place {
            unit: code.to_owned(),
            room: admission.room.clone(),
            bed: admission.bed.clone(),
            facility: None,
        }),
        class: Some("I".to_owned()),
        admitted_at: Some(now),
        attending: None,
        in_house: true,
        effective_at: Some(now),
        movement_id: None,
    };
    vec![
        CareFact::Entered(Box::new(Fact::PatientUpdated(identity))),
        CareFact::Entered(Box::new(Fact::StayUpdated(stay))),
    ]
}

// ---------------------------------------------------------------------------
// Transfer.

/// `?patient=` (and the unit whose beds to offer).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PatientParams {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    unite: Option<String>,
    #[serde(default)]
    admis: Option<String>,
}

/// The transfer form's fields.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TransferFields {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    vu: String,
    #[serde(default)]
    unite: String,
    #[serde(default)]
    lit: String,
}

struct UnitChoice {
    code: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "care/flows/transfer.html")]
struct TransferTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    open: bool,
    error: Option<String>,
    who: IdentityView,
    key: &'a str,
    seen: String,
    units: Vec<UnitChoice>,
    unit: String,
    beds_label: String,
    beds: Vec<BedChoice>,
    back: String,
}

async fn show_transfer(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    fields: &TransferFields,
    error: Option<String>,
) -> Result<Response, AppError> {
    let csrf = caller.csrf()?;
    let (key, chart) = patient_for(state, caller, Action::Movement, &fields.patient).await?;
    let fmt = ctx.fmt(state);
    let stay = in_house(fmt.tr, &chart)?;
    let current = stay.unit.clone().unwrap_or_default();
    let target = match fields.unite.trim() {
        "" => current.clone(),
        chosen => chosen.to_owned(),
    };
    let asked = target.clone();
    let (units, board) = state
        .read(move |store| Ok((store.units()?, store.unit_board(&asked)?)))
        .await?;
    let board = board.ok_or(AppError::UnitNotFound)?;
    let mut beds = free_beds(&board);
    for bed in &mut beds {
        bed.selected = bed.value == fields.lit;
    }
    let units = units
        .into_iter()
        .filter(|u| u.code != UNLOCATED_UNIT)
        .map(|u| UnitChoice {
            label: if u.name != u.code {
                format!("{} — {}", u.code, u.name)
            } else {
                u.code.clone()
            },
            selected: u.code == target,
            code: u.code,
        })
        .collect();
    let open = state.downtime_open().await.is_ok();
    let status = form_status(error.as_deref());
    let main = TransferTemplate {
        tr: fmt.tr,
        csrf,
        open,
        error,
        who: IdentityView::of(&fmt, &chart.identity, Some(stay)),
        key: key.as_str(),
        seen: place_digest(Some(stay)),
        units,
        beds_label: fmt.tr.fmt("flow.move.free_beds_of", &[("unit", &target)]),
        unit: target,
        beds,
        back: unit_href(&current),
    }
    .render()?;
    let title = fmt.tr.t("flow.move.transfer_title");
    layout::respond_form(state, ctx, title, Nav::Units, main, status)
}

/// `GET /soins/mutation?patient=KEY[&unite=CODE]`.
pub(crate) async fn transfer_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<PatientParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    let fields = TransferFields {
        patient: params.patient,
        unite: params.unite.unwrap_or_default(),
        ..TransferFields::default()
    };
    show_transfer(&state, &ctx, &caller, &fields, None).await
}

/// `POST /soins/mutation`.
pub(crate) async fn transfer_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<TransferFields>, FormRejection>,
) -> Result<Response, AppError> {
    let fields = read_form(form)?;
    let (_, chart) = patient_for(&state, &caller, Action::Movement, &fields.patient).await?;
    let fmt = ctx.fmt(&state);
    let patient = chart.identity.patient.clone();
    still_there_now(fmt.tr, &chart, &fields.vu)?;
    let Some(stay) = chart.stay.as_ref() else {
        return Err(AppError::PatientNotFound);
    };
    let unit = fields.unite.trim().to_owned();
    let Some((room, bed)) = read_bed(&fields.lit) else {
        let error = fmt.tr.t("flow.move.error_bed").to_owned();
        return show_transfer(&state, &ctx, &caller, &fields, Some(error)).await;
    };
    if unit.is_empty() || unit == UNLOCATED_UNIT {
        let error = fmt.tr.t("flow.move.error_unit").to_owned();
        return show_transfer(&state, &ctx, &caller, &fields, Some(error)).await;
    }
    if stay.unit.as_deref() == Some(unit.as_str())
        && clean(stay.room.as_deref()) == room
        && clean(stay.bed.as_deref()) == bed
    {
        let error = fmt.tr.t("flow.move.error_same_bed").to_owned();
        return show_transfer(&state, &ctx, &caller, &fields, Some(error)).await;
    }
    let from = stay.unit.clone().unwrap_or_default();
    let fact = Fact::Transferred {
        encounter: EncounterKey(stay.encounter.clone()),
        patient: patient.clone(),
        to: Place {
            unit: unit.clone(),
            room: room.clone(),
            bed: bed.clone(),
            facility: None,
        },
        at: Some(moment_at(fmt.zone, fmt.now_ms)),
        movement_id: None,
    };
    let check: StoreCheck = {
        let (tr, seen, who) = (fmt.tr, fields.vu.clone(), patient.clone());
        let unit = unit.clone();
        Box::new(move |store: &dyn Store| {
            still_there(store, tr, &who, &seen)?;
            bed_still_free(store, tr, &unit, room.as_deref(), bed.as_deref())
        })
    };
    let detail = format!("mutation {from} -> {unit}");
    state
        .care_record(
            &caller,
            Action::Movement,
            Some(patient.as_str()),
            &detail,
            vec![CareFact::Entered(Box::new(fact))],
            Some(check),
        )
        .await?;
    Ok(redirect(&unit_href(&from)))
}

/// Refuses at once a form whose patient already moved.
fn still_there_now(tr: Tr, chart: &ckisa_store::PatientChart, seen: &str) -> Result<(), AppError> {
    if place_digest(chart.stay.as_ref()) == seen.trim() {
        return Ok(());
    }
    let name = chart_name(chart);
    Err(AppError::Refused(match chart.stay.as_ref() {
        Some(stay) => tr.fmt(
            "flow.move.moved_to",
            &[("name", &name), ("place", &stay_place(stay))],
        ),
        None => tr.fmt("flow.move.moved_out", &[("name", &name)]),
    }))
}

// ---------------------------------------------------------------------------
// Discharge.

/// The discharge form's fields.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DischargeFields {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    vu: String,
    #[serde(default)]
    heure: String,
}

#[derive(Template)]
#[template(path = "care/flows/discharge.html")]
struct DischargeTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    open: bool,
    error: Option<String>,
    who: IdentityView,
    key: &'a str,
    seen: String,
    time: String,
    back: String,
}

async fn show_discharge(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    fields: &DischargeFields,
    error: Option<String>,
) -> Result<Response, AppError> {
    let csrf = caller.csrf()?;
    let (key, chart) = patient_for(state, caller, Action::Movement, &fields.patient).await?;
    let fmt = ctx.fmt(state);
    let stay = in_house(fmt.tr, &chart)?;
    let open = state.downtime_open().await.is_ok();
    let status = form_status(error.as_deref());
    let time = time_field(&fmt, &fields.heure);
    let main = DischargeTemplate {
        tr: fmt.tr,
        csrf,
        open,
        error,
        who: IdentityView::of(&fmt, &chart.identity, Some(stay)),
        key: key.as_str(),
        seen: place_digest(Some(stay)),
        time,
        back: unit_href(stay.unit.as_deref().unwrap_or_default()),
    }
    .render()?;
    let title = fmt.tr.t("flow.move.discharge_title");
    layout::respond_form(state, ctx, title, Nav::Units, main, status)
}

/// `GET /soins/sortie?patient=KEY`.
pub(crate) async fn discharge_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<PatientParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    let fields = DischargeFields {
        patient: params.patient,
        ..DischargeFields::default()
    };
    show_discharge(&state, &ctx, &caller, &fields, None).await
}

/// Latest a discharge time may be ahead of now (a clock a little fast).
const AHEAD_MS: i64 = 5 * 60_000;

/// `POST /soins/sortie`.
pub(crate) async fn discharge_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<DischargeFields>, FormRejection>,
) -> Result<Response, AppError> {
    let fields = read_form(form)?;
    let (_, chart) = patient_for(&state, &caller, Action::Movement, &fields.patient).await?;
    let fmt = ctx.fmt(&state);
    still_there_now(fmt.tr, &chart, &fields.vu)?;
    let Some(stay) = chart.stay.as_ref() else {
        return Err(AppError::PatientNotFound);
    };
    let at = match fields.heure.trim() {
        "" => moment_at(fmt.zone, fmt.now_ms),
        typed => match read_local(fmt.zone, typed) {
            Some(at) if moment_ms(&at).is_some_and(|ms| ms <= fmt.now_ms + AHEAD_MS) => at,
            Some(_) => {
                let error = fmt.tr.t("flow.move.error_future").to_owned();
                return show_discharge(&state, &ctx, &caller, &fields, Some(error)).await;
            }
            None => {
                let error = fmt.tr.fmt("flow.error_time", &[("time", typed)]);
                return show_discharge(&state, &ctx, &caller, &fields, Some(error)).await;
            }
        },
    };
    let patient = chart.identity.patient.clone();
    let from = stay.unit.clone().unwrap_or_default();
    let fact = Fact::Discharged {
        encounter: EncounterKey(stay.encounter.clone()),
        patient: patient.clone(),
        at: Some(at),
    };
    let check: StoreCheck = {
        let (tr, seen, who) = (fmt.tr, fields.vu.clone(), patient.clone());
        Box::new(move |store: &dyn Store| still_there(store, tr, &who, &seen))
    };
    let detail = format!("sortie {from}");
    state
        .care_record(
            &caller,
            Action::Movement,
            Some(patient.as_str()),
            &detail,
            vec![CareFact::Entered(Box::new(fact))],
            Some(check),
        )
        .await?;
    Ok(redirect(&unit_href(&from)))
}

// ---------------------------------------------------------------------------
// Wristband.

#[derive(Template)]
#[template(path = "care/flows/wristband.html")]
struct WristbandTemplate {
    tr: Tr,
    admitted: bool,
    provisional: bool,
    who: IdentityView,
    barcode: Option<super::barcode::Bars>,
    back: String,
}

/// `GET /soins/bracelet?patient=KEY[&admis=1]`: a printable wristband.
pub(crate) async fn wristband(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<PatientParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    let (_, chart) = patient_for(&state, &caller, Action::Movement, &params.patient).await?;
    let fmt = ctx.fmt(&state);
    let ipp = clean(chart.identity.ipp.as_deref());
    let provisional = ipp
        .as_deref()
        .is_some_and(|ipp| state.config().care.ipp.contains(ipp));
    let main = WristbandTemplate {
        tr: fmt.tr,
        admitted: params.admis.is_some(),
        provisional,
        who: IdentityView::of(&fmt, &chart.identity, chart.stay.as_ref()),
        barcode: ipp.as_deref().and_then(super::barcode::Bars::of),
        back: chart
            .stay
            .as_ref()
            .and_then(|s| s.unit.as_deref())
            .map_or_else(|| "/unites".to_owned(), unit_href),
    }
    .render()?;
    let page = Page {
        title: fmt.tr.t("flow.band.title"),
        nav: Nav::Units,
        query: "",
        main,
    };
    layout::respond_bare(&state, &ctx, page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn fmt(zone: &jiff::tz::TimeZone) -> Fmt<'_> {
        Fmt {
            tr: Tr(Lang::Fr),
            zone,
            // 04/12/2026 12:00 Paris.
            now_ms: 1_796_382_000_000,
        }
    }

    fn paris() -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get("Europe/Paris").expect("tz database has Europe/Paris")
    }

    #[test]
    fn an_unidentified_patient_gets_a_placeholder_name_and_an_approximate_year() {
        let zone = paris();
        let fields = AdmissionFields {
            inconnu: Some("1".into()),
            sexe: "M".into(),
            age: "45".into(),
            lit: "3|1".into(),
            ..AdmissionFields::default()
        };
        let admission = fields.parse(&fmt(&zone)).expect("valid");
        assert_eq!(admission.family, "INCONNU");
        assert_eq!(admission.given, None);
        assert_eq!(admission.sex, Sex::Male);
        let birth = admission.birth.expect("approximate birth year");
        assert_eq!((birth.year, birth.precision), (1981, Precision::Year));
        assert_eq!(
            (admission.room.as_deref(), admission.bed.as_deref()),
            (Some("3"), Some("1"))
        );
    }

    #[test]
    fn admission_mistakes_say_what_to_fix() {
        let zone = paris();
        let base = || AdmissionFields {
            nom: "Martin".into(),
            sexe: "F".into(),
            lit: "3|1".into(),
            ..AdmissionFields::default()
        };
        let error = |fields: AdmissionFields| fields.parse(&fmt(&zone)).unwrap_err();
        assert!(
            error(AdmissionFields {
                nom: " ".into(),
                ..base()
            })
            .contains("nom")
        );
        assert!(
            error(AdmissionFields {
                sexe: "X".into(),
                ..base()
            })
            .contains("sexe")
        );
        assert!(
            error(AdmissionFields {
                lit: "".into(),
                ..base()
            })
            .contains("lit")
        );
        let birth = error(AdmissionFields {
            naissance: "31/02/1950".into(),
            ..base()
        });
        assert!(birth.contains("31/02/1950"), "{birth}");
        let future = error(AdmissionFields {
            naissance: "2030-01-01".into(),
            ..base()
        });
        assert!(future.contains("2030-01-01"), "{future}");
        let age = error(AdmissionFields {
            inconnu: Some("1".into()),
            age: "deux cents".into(),
            ..base()
        });
        assert!(age.contains("deux cents"), "{age}");
        let ok = base().parse(&fmt(&zone)).expect("valid");
        assert_eq!(ok.family, "Martin");
        let dated = AdmissionFields {
            naissance: "1950-02-01".into(),
            ..base()
        }
        .parse(&fmt(&zone))
        .expect("valid");
        assert_eq!(dated.birth, Moment::date(1950, 2, 1));
    }

    #[test]
    fn bed_values_round_trip() {
        assert_eq!(
            read_bed(&bed_value(Some("12"), Some("A"))),
            Some((Some("12".into()), Some("A".into())))
        );
        assert_eq!(read_bed("|"), None);
        assert_eq!(read_bed("12"), None);
        assert_eq!(read_bed("12|"), Some((Some("12".into()), None)));
    }
}
