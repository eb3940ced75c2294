//! The hidden dependencies of a downtime: the clinics' day lists and the
//! kitchen's diet lists.
//!
//! - `/soins/rendez-vous?jour=&par=` (`Schedule`): one day of the coming
//!   week, grouped by clinic then practitioner (or by practitioner then
//!   clinic); a cancelled appointment stays on the list, struck through.
//! - `/soins/cuisine?unite=` (`Kitchen`): per unit, the occupied beds with
//!   each patient's diet in force, nil by mouth standing out, and patients
//!   without a diet listed as such (never left out); printable.
//! - `/soins/regime?patient=` (`CareDocument`): a caregiver records a
//!   patient's diet; the diets in force until then are ended in the same
//!   write, so that the kitchen sees one current diet. The form carries a
//!   digest of the diets it saw: a diet changed meanwhile from another
//!   terminal refuses the write (409) instead of being overwritten.
//!
//! Every list says when it was drawn up (lists are printed and carried).

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use ckisa_auth::Action;
use ckisa_domain::{
    AppointmentStatus, CareFact, Coded, Diet, EncounterKey, Fact, Moment, PatientKey,
};
use ckisa_store::{AppointmentRow, Store, UnitBoard};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::flows::{
    IdentityView, chart_name, digest, form_pairs, form_status, key_param, moment_at, moment_ms,
    patient_for, read_local, time_field, typed, unit_segment,
};
use super::{StoreCheck, new_item_id};
use crate::access::{Audited, Caller, redirect};
use crate::error::{AppError, BadInput, read_query};
use crate::format::{Fmt, clean, full_name, patient_href, place};
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page};
use crate::{AppState, PageCtx};

/// Days a clinic list reaches ahead: today and the six next.
const WEEK_DAYS: i32 = 7;

// ---------------------------------------------------------------------------
// Appointments.

/// `?jour=yyyy-mm-dd&par=praticien`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ScheduleParams {
    #[serde(default)]
    jour: Option<String>,
    #[serde(default)]
    par: Option<String>,
}

struct DayLink {
    label: String,
    href: String,
    current: bool,
}

struct AppointmentLine {
    time: String,
    minutes: String,
    name: String,
    href: String,
    birth: String,
    ipp: String,
    reason: String,
    status: Option<&'static str>,
    struck: bool,
}

struct SubGroup {
    title: String,
    lines: Vec<AppointmentLine>,
}

struct Group {
    title: String,
    count: String,
    subgroups: Vec<SubGroup>,
}

#[derive(Template)]
#[template(path = "care/flows/appointments.html")]
struct AppointmentsTemplate {
    tr: Tr,
    title: String,
    drawn: String,
    days: Vec<DayLink>,
    by_practitioner: bool,
    other_view: String,
    groups: Vec<Group>,
}

/// A `yyyy-mm-dd` day.
fn read_day(text: &str) -> Option<Date> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i16 = parts.next()?.parse().ok()?;
    let month: i8 = parts.next()?.parse().ok()?;
    let day: i8 = parts.next()?.parse().ok()?;
    Date::new(year, month, day).ok()
}

/// The first and last ms of `day` in `zone` (the end excluded).
fn day_bounds(zone: &TimeZone, day: Date) -> Result<(i64, i64), AppError> {
    let start = |date: Date| {
        date.to_zoned(zone.clone())
            .map(|z| z.timestamp().as_millisecond())
            .map_err(|_| AppError::BadInput(BadInput::DateInvalid(date.to_string())))
    };
    let next = day
        .tomorrow()
        .map_err(|_| AppError::BadInput(BadInput::DateInvalid(day.to_string())))?;
    Ok((start(day)?, start(next)?))
}

/// `HH:MM` of a moment in `zone`.
fn clock(zone: &TimeZone, moment: &Moment) -> String {
    if !moment.has_time() {
        return "—".to_owned();
    }
    let civil = moment
        .timestamp()
        .map(|ts| ts.to_zoned(zone.clone()).datetime())
        .or_else(|| moment.civil());
    civil.map_or_else(
        || "—".to_owned(),
        |c| format!("{:02}:{:02}", c.hour(), c.minute()),
    )
}

fn weekday(tr: Tr, day: Date) -> &'static str {
    tr.t(match day.weekday() {
        jiff::civil::Weekday::Monday => "flow.day.mon",
        jiff::civil::Weekday::Tuesday => "flow.day.tue",
        jiff::civil::Weekday::Wednesday => "flow.day.wed",
        jiff::civil::Weekday::Thursday => "flow.day.thu",
        jiff::civil::Weekday::Friday => "flow.day.fri",
        jiff::civil::Weekday::Saturday => "flow.day.sat",
        jiff::civil::Weekday::Sunday => "flow.day.sun",
    })
}

fn day_text(tr: Tr, day: Date) -> String {
    format!(
        "{} {:02}/{:02}/{:04}",
        weekday(tr, day),
        day.day(),
        day.month(),
        day.year()
    )
}

fn schedule_href(day: Date, by_practitioner: bool) -> String {
    let by = if by_practitioner {
        "&par=praticien"
    } else {
        ""
    };
    format!("/soins/rendez-vous?jour={day}{by}")
}

/// `GET /soins/rendez-vous`.
pub(crate) async fn appointments_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<ScheduleParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    let fmt = ctx.fmt(&state);
    let today = fmt.today();
    let day = match params.jour.as_deref().map(str::trim) {
        None | Some("") => today,
        Some(typed) => read_day(typed)
            .ok_or_else(|| AppError::BadInput(BadInput::DateInvalid(typed.into())))?,
    };
    let by_practitioner = params.par.as_deref() == Some("praticien");
    let (from, to) = day_bounds(fmt.zone, day)?;
    let (rows, feeds) = state
        .read(move |store| Ok((store.appointments(from, to)?, store.feeds()?)))
        .await?;
    let shown = day.to_string();
    caller.audit(
        &state,
        Audited::allowed(Action::Schedule)
            .target("rendez-vous")
            .detail(&shown),
    );
    let days = (0..WEEK_DAYS)
        .filter_map(|n| today.checked_add(jiff::Span::new().days(n)).ok())
        .map(|d| DayLink {
            label: day_text(fmt.tr, d),
            href: schedule_href(d, by_practitioner),
            current: d == day,
        })
        .collect();
    let title = fmt
        .tr
        .fmt("flow.rdv.title", &[("day", &day_text(fmt.tr, day))]);
    let main = AppointmentsTemplate {
        tr: fmt.tr,
        title: title.clone(),
        drawn: fmt
            .tr
            .fmt("flow.drawn_at", &[("at", &fmt.wall(fmt.now_ms))]),
        days,
        by_practitioner,
        other_view: schedule_href(day, !by_practitioner),
        groups: appointment_groups(&fmt, &rows, by_practitioner),
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

fn appointment_groups(fmt: &Fmt<'_>, rows: &[AppointmentRow], by_practitioner: bool) -> Vec<Group> {
    let tr = fmt.tr;
    let clinic_of = |row: &AppointmentRow| {
        clean(row.appointment.clinic.as_deref())
            .unwrap_or_else(|| tr.t("flow.rdv.no_clinic").to_owned())
    };
    let practitioner_of = |row: &AppointmentRow| {
        clean(row.practitioner.as_deref())
            .unwrap_or_else(|| tr.t("flow.rdv.no_practitioner").to_owned())
    };
    let mut groups: BTreeMap<String, BTreeMap<String, Vec<&AppointmentRow>>> = BTreeMap::new();
    for row in rows {
        let (outer, inner) = if by_practitioner {
            (practitioner_of(row), clinic_of(row))
        } else {
            (clinic_of(row), practitioner_of(row))
        };
        groups
            .entry(outer)
            .or_default()
            .entry(inner)
            .or_default()
            .push(row);
    }
    groups
        .into_iter()
        .map(|(title, inner)| {
            let booked = inner
                .values()
                .flatten()
                .filter(|r| r.appointment.status == AppointmentStatus::Booked)
                .count();
            Group {
                title,
                count: tr.fmt("flow.rdv.count", &[("n", &booked.to_string())]),
                subgroups: inner
                    .into_iter()
                    .map(|(title, mut rows)| {
                        rows.sort_by_key(|r| r.appointment.start.sort_key());
                        SubGroup {
                            title,
                            lines: rows.into_iter().map(|r| appointment_line(fmt, r)).collect(),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

fn appointment_line(fmt: &Fmt<'_>, row: &AppointmentRow) -> AppointmentLine {
    let a = &row.appointment;
    let status = match a.status {
        AppointmentStatus::Booked => None,
        AppointmentStatus::Cancelled => Some("flow.rdv.cancelled"),
        AppointmentStatus::NoShow => Some("flow.rdv.no_show"),
        AppointmentStatus::Fulfilled => Some("flow.rdv.fulfilled"),
    };
    AppointmentLine {
        time: clock(fmt.zone, &a.start),
        minutes: a.minutes.map_or_else(String::new, |m| {
            fmt.tr.fmt("flow.rdv.minutes", &[("n", &m.to_string())])
        }),
        name: full_name(row.family.as_deref(), row.given.as_deref()),
        href: patient_href(&a.patient),
        birth: row
            .birth_date
            .as_ref()
            .map_or_else(|| "—".to_owned(), |b| b.display_fr(fmt.zone)),
        ipp: clean(row.ipp.as_deref()).unwrap_or_else(|| "—".to_owned()),
        reason: clean(a.reason.as_deref()).unwrap_or_default(),
        status: status.map(|key| fmt.tr.t(key)),
        struck: matches!(a.status, AppointmentStatus::Cancelled),
    }
}

// ---------------------------------------------------------------------------
// Kitchen.

/// `?unite=CODE`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct KitchenParams {
    #[serde(default)]
    unite: Option<String>,
}

struct UnitLink {
    label: String,
    href: String,
    current: bool,
}

struct DietLine {
    place: String,
    name: String,
    diet: Option<String>,
    remarks: String,
    nil_by_mouth: bool,
    /// Other diets left in force by their sources, shown, never hidden.
    others: Vec<String>,
    href: String,
}

struct KitchenUnit {
    title: String,
    summary: String,
    lines: Vec<DietLine>,
}

#[derive(Template)]
#[template(path = "care/flows/kitchen.html")]
struct KitchenTemplate {
    tr: Tr,
    drawn: String,
    units: Vec<UnitLink>,
    all_href: String,
    all: bool,
    /// The caller documents diets: each line links to the diet form.
    can_edit: bool,
    shown: Vec<KitchenUnit>,
}

/// `GET /soins/cuisine[?unite=CODE]`: one unit, or every unit.
pub(crate) async fn kitchen_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<KitchenParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    let chosen = params.unite.as_deref().and_then(|u| clean(Some(u)));
    let asked = chosen.clone();
    let (units, boards, diets, feeds) = state
        .read(move |store| {
            let units = store.units()?;
            let codes: Vec<String> = match &asked {
                Some(code) => units
                    .iter()
                    .filter(|u| &u.code == code)
                    .map(|u| u.code.clone())
                    .collect(),
                None => units.iter().map(|u| u.code.clone()).collect(),
            };
            let mut boards = Vec::new();
            for code in &codes {
                if let Some(board) = store.unit_board(code)? {
                    boards.push(board);
                }
            }
            let keys: Vec<PatientKey> = boards
                .iter()
                .flat_map(|b| &b.beds)
                .flat_map(|r| &r.occupants)
                .map(|o| o.patient.clone())
                .collect();
            let diets = store.diets(&keys)?;
            Ok((units, boards, diets, store.feeds()?))
        })
        .await?;
    if chosen.is_some() && boards.is_empty() {
        return Err(AppError::UnitNotFound);
    }
    caller.audit(
        &state,
        Audited::allowed(Action::Kitchen).target(chosen.as_deref().unwrap_or("cuisine")),
    );
    let fmt = ctx.fmt(&state);
    let mut by_patient: HashMap<&PatientKey, Vec<&Diet>> = HashMap::new();
    for diet in &diets {
        by_patient.entry(&diet.patient).or_default().push(diet);
    }
    let shown = boards
        .iter()
        .map(|board| kitchen_unit(&fmt, board, &by_patient))
        .collect();
    let links = units
        .iter()
        .map(|u| UnitLink {
            label: if u.name != u.code {
                format!("{} — {}", u.code, u.name)
            } else {
                u.code.clone()
            },
            href: format!("/soins/cuisine?unite={}", unit_segment(&u.code)),
            current: chosen.as_deref() == Some(u.code.as_str()),
        })
        .collect();
    let title = fmt.tr.t("flow.kitchen.title");
    let main = KitchenTemplate {
        tr: fmt.tr,
        drawn: fmt
            .tr
            .fmt("flow.drawn_at", &[("at", &fmt.wall(fmt.now_ms))]),
        units: links,
        all_href: "/soins/cuisine".to_owned(),
        all: chosen.is_none(),
        can_edit: caller.reach(Action::CareDocument) != ckisa_auth::Reach::Never,
        shown,
    }
    .render()?;
    let page = Page {
        title,
        nav: Nav::None,
        query: "",
        main,
    };
    layout::respond(&state, &ctx, &feeds, page)
}

fn diet_text(diet: &Diet) -> String {
    diet.diets
        .iter()
        .filter_map(|c| clean(Some(&c.text)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn kitchen_unit(
    fmt: &Fmt<'_>,
    board: &UnitBoard,
    diets: &HashMap<&PatientKey, Vec<&Diet>>,
) -> KitchenUnit {
    let tr = fmt.tr;
    let mut lines = Vec::new();
    for row in &board.beds {
        let spot = place(row.room.as_deref(), row.bed.as_deref())
            .unwrap_or_else(|| tr.t("board.no_bed").to_owned());
        for occupant in &row.occupants {
            let found = diets.get(&occupant.patient).map_or(&[][..], Vec::as_slice);
            let current = found.first();
            lines.push(DietLine {
                place: spot.clone(),
                name: full_name(occupant.family.as_deref(), occupant.given.as_deref()),
                diet: current.map(|d| diet_text(d)).filter(|t| !t.is_empty()),
                remarks: current
                    .and_then(|d| clean(d.remarks.as_deref()))
                    .unwrap_or_default(),
                nil_by_mouth: current.is_some_and(|d| d.nil_by_mouth),
                others: found.iter().skip(1).map(|d| diet_text(d)).collect(),
                href: diet_href(&occupant.patient),
            });
        }
    }
    let fasting = lines.iter().filter(|l| l.nil_by_mouth).count();
    let missing = lines
        .iter()
        .filter(|l| l.diet.is_none() && !l.nil_by_mouth)
        .count();
    let unit = &board.unit;
    KitchenUnit {
        title: if unit.name != unit.code {
            format!("{} — {}", unit.code, unit.name)
        } else {
            unit.code.clone()
        },
        summary: tr.fmt(
            "flow.kitchen.summary",
            &[
                ("trays", &lines.len().to_string()),
                ("fasting", &fasting.to_string()),
                ("missing", &missing.to_string()),
            ],
        ),
        lines,
    }
}

// ---------------------------------------------------------------------------
// Diet entry.

/// Diets offered as boxes to tick; anything else is typed.
const COMMON_DIETS: &[&str] = &[
    "Normal",
    "Sans sel",
    "Diabétique",
    "Mixé",
    "Haché",
    "Sans gluten",
    "Hypocalorique",
    "Hyperprotéiné",
    "Sans résidu",
    "Liquide",
];

/// The diet form of a patient.
pub(crate) fn diet_href(key: &PatientKey) -> String {
    format!("/soins/regime?patient={}", key_param(key))
}

/// `?patient=KEY[&enregistre=1]`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DietParams {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    enregistre: Option<String>,
}

/// The diet form's fields. Ticked boxes arrive as repeated `regime`
/// fields, read by hand (serde's form reader keeps one).
#[derive(Debug, Default)]
pub(crate) struct DietFields {
    patient: String,
    vu: String,
    regimes: Vec<String>,
    autre: String,
    remarques: String,
    a_jeun: bool,
    debut: String,
}

impl DietFields {
    fn read(body: &[u8]) -> DietFields {
        let mut fields = DietFields::default();
        for (name, value) in form_pairs(body) {
            match name.as_str() {
                "patient" => fields.patient = value,
                "vu" => fields.vu = value,
                "regime" => fields.regimes.push(value),
                "autre" => fields.autre = value,
                "remarques" => fields.remarques = value,
                "a_jeun" => fields.a_jeun = !value.is_empty(),
                "debut" => fields.debut = value,
                _ => {}
            }
        }
        fields
    }

    /// The diet names, remarks and start, or what is wrong.
    fn parse(&self, fmt: &Fmt<'_>) -> Result<(Vec<Coded>, Option<String>, Moment), String> {
        let tr = fmt.tr;
        let mut names: Vec<String> = Vec::new();
        for ticked in &self.regimes {
            match COMMON_DIETS.iter().find(|d| **d == ticked.trim()) {
                Some(known) => names.push((*known).to_owned()),
                None => return Err(tr.fmt("flow.diet.error_unknown", &[("diet", ticked)])),
            }
        }
        let too_long = |max: usize| tr.fmt("flow.error_too_long", &[("max", &max.to_string())]);
        if let Some(other) = typed(&self.autre).map_err(too_long)? {
            for name in other.split([',', ';']).filter_map(|d| clean(Some(d))) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        if names.is_empty() && !self.a_jeun {
            return Err(tr.t("flow.diet.error_empty").to_owned());
        }
        let remarks = typed(&self.remarques).map_err(too_long)?;
        let start = match self.debut.trim() {
            "" => moment_at(fmt.zone, fmt.now_ms),
            text => read_local(fmt.zone, text)
                .filter(|m| moment_ms(m).is_some())
                .ok_or_else(|| tr.fmt("flow.error_time", &[("time", text)]))?,
        };
        let diets = names
            .into_iter()
            .map(|text| Coded {
                code: None,
                system: None,
                text,
            })
            .collect();
        Ok((diets, remarks, start))
    }
}

/// The digest of the diets in force that a form saw.
fn diets_digest(diets: &[Diet]) -> String {
    let mut ids: Vec<&str> = diets.iter().map(|d| d.id.as_str()).collect();
    ids.sort_unstable();
    ids.insert(0, "diets");
    digest(ids)
}

struct DietBox {
    value: &'static str,
    checked: bool,
}

struct CurrentDiet {
    text: String,
    remarks: String,
    nil_by_mouth: bool,
    start: String,
}

#[derive(Template)]
#[template(path = "care/flows/diet.html")]
struct DietTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    open: bool,
    saved: bool,
    error: Option<String>,
    who: IdentityView,
    key: &'a str,
    seen: String,
    current: Vec<CurrentDiet>,
    boxes: Vec<DietBox>,
    other: &'a str,
    remarks: &'a str,
    nil_by_mouth: bool,
    start: String,
}

async fn show_diet(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    fields: &DietFields,
    saved: bool,
    error: Option<String>,
) -> Result<Response, AppError> {
    let csrf = caller.csrf()?;
    let (key, chart) = patient_for(state, caller, Action::CareDocument, &fields.patient).await?;
    let root = chart.identity.patient.clone();
    let diets = state.read(move |store| store.diets(&[root])).await?;
    let open = state.downtime_open().await.is_ok();
    let fmt = ctx.fmt(state);
    let status = form_status(error.as_deref());
    let main = DietTemplate {
        tr: fmt.tr,
        csrf,
        open,
        saved,
        error,
        who: IdentityView::of(&fmt, &chart.identity, chart.stay.as_ref()),
        key: key.as_str(),
        seen: diets_digest(&diets),
        current: diets
            .iter()
            .map(|d| CurrentDiet {
                text: diet_text(d),
                remarks: clean(d.remarks.as_deref()).unwrap_or_default(),
                nil_by_mouth: d.nil_by_mouth,
                start: fmt.moment(d.start.as_ref()),
            })
            .collect(),
        boxes: COMMON_DIETS
            .iter()
            .map(|value| DietBox {
                value,
                checked: fields.regimes.iter().any(|r| r == value),
            })
            .collect(),
        other: &fields.autre,
        remarks: &fields.remarques,
        nil_by_mouth: fields.a_jeun,
        start: time_field(&fmt, &fields.debut),
    }
    .render()?;
    let title = fmt.tr.t("flow.diet.title");
    layout::respond_form(state, ctx, title, Nav::None, main, status)
}

/// `GET /soins/regime?patient=KEY`.
pub(crate) async fn diet_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<DietParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    let fields = DietFields {
        patient: params.patient,
        ..DietFields::default()
    };
    let saved = params.enregistre.is_some();
    show_diet(&state, &ctx, &caller, &fields, saved, None).await
}

/// `POST /soins/regime`.
pub(crate) async fn diet_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let fields = DietFields::read(&body);
    let (_, chart) = patient_for(&state, &caller, Action::CareDocument, &fields.patient).await?;
    let fmt = ctx.fmt(&state);
    let (names, remarks, start) = match fields.parse(&fmt) {
        Ok(parsed) => parsed,
        Err(error) => return show_diet(&state, &ctx, &caller, &fields, false, Some(error)).await,
    };
    let patient = chart.identity.patient.clone();
    let root = patient.clone();
    let in_force = state.read(move |store| store.diets(&[root])).await?;
    let seen = fields.vu.trim().to_owned();
    let name = chart_name(&chart);
    let changed = fmt.tr.fmt("flow.diet.changed", &[("name", &name)]);
    if diets_digest(&in_force) != seen {
        return Err(AppError::Refused(changed));
    }
    let mut facts: Vec<CareFact> = in_force
        .into_iter()
        .map(|old| {
            CareFact::Entered(Box::new(Fact::DietRecorded(Diet {
                active: false,
                ..old
            })))
        })
        .collect();
    let diet = Diet {
        id: new_item_id("diet", fmt.now_ms),
        patient: patient.clone(),
        encounter: chart
            .stay
            .as_ref()
            .map(|s| EncounterKey(s.encounter.clone())),
        diets: names,
        remarks,
        start: Some(start),
        nil_by_mouth: fields.a_jeun,
        active: true,
    };
    let detail = format!("régime {}", diet.id);
    facts.push(CareFact::Entered(Box::new(Fact::DietRecorded(diet))));
    let check: StoreCheck = {
        let who = patient.clone();
        Box::new(move |store: &dyn Store| {
            if diets_digest(&store.diets(&[who])?) == seen {
                Ok(())
            } else {
                Err(AppError::Refused(changed))
            }
        })
    };
    state
        .care_record(
            &caller,
            Action::CareDocument,
            Some(patient.as_str()),
            &detail,
            facts,
            Some(check),
        )
        .await?;
    Ok(redirect(&format!("{}&enregistre=1", diet_href(&patient))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").expect("tz database has Europe/Paris")
    }

    #[test]
    fn a_day_is_its_local_midnights() {
        let zone = paris();
        let day = read_day("2026-03-29").expect("a day");
        let (from, to) = day_bounds(&zone, day).expect("bounds");
        // The spring-forward day lasts 23 hours in Paris.
        assert_eq!(to - from, 23 * 3_600_000);
        assert!(read_day("2026-02-30").is_none());
        assert!(read_day("demain").is_none());
    }

    #[test]
    fn diet_forms_keep_every_ticked_box_and_refuse_an_empty_diet() {
        let zone = paris();
        let fmt = Fmt {
            tr: Tr(Lang::Fr),
            zone: &zone,
            now_ms: 1_796_382_000_000,
        };
        let fields = DietFields::read(
            b"patient=ipp%3AH%7C1&regime=Sans+sel&regime=Mix%C3%A9&autre=sans+porc%2C+Sans+sel&a_jeun=&debut=",
        );
        assert_eq!(fields.patient, "ipp:H|1");
        let (diets, remarks, _) = fields.parse(&fmt).expect("valid");
        let names: Vec<&str> = diets.iter().map(|d| d.text.as_str()).collect();
        assert_eq!(names, ["Sans sel", "Mixé", "sans porc"]);
        assert_eq!(remarks, None);
        let empty = DietFields::read(b"patient=x").parse(&fmt).unwrap_err();
        assert!(empty.contains("régime"), "{empty}");
        let fasting = DietFields::read(b"patient=x&a_jeun=1");
        assert!(
            fasting
                .parse(&fmt)
                .expect("nil by mouth alone")
                .0
                .is_empty()
        );
        let forged = DietFields::read(b"patient=x&regime=Caviar");
        assert!(forged.parse(&fmt).unwrap_err().contains("Caviar"));
    }
}
