//! The units list (`/unites`) and a unit's bed board (`/unites/{code}`).
//!
//! The bed board is what a nurse scans first: who is in which bed, their
//! age, and whether they have allergies. Two stays in one bed are shown as
//! a conflict, never hidden, and so is one patient in two beds (a merge of
//! two records that each had a bed, for instance); a free bed says "Libre".

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use ckisa_auth::Action;
use ckisa_domain::PatientKey;
use ckisa_store::{BedRow, Occupant, UnitBoard, UnitSummary};

use crate::access::{Audited, Caller};
use crate::error::AppError;
use crate::format::{Fmt, clean, full_name, patient_href, unit_href};
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page};
use crate::{AppState, PageCtx};

/// Occupancy figures of a unit or of the whole establishment.
pub(crate) struct Counts {
    pub(crate) beds: u32,
    pub(crate) occupied: u32,
    pub(crate) free: u32,
    pub(crate) patients: u32,
    pub(crate) occupancy: String,
}

impl Counts {
    fn of(tr: Tr, beds: u32, occupied: u32, patients: u32) -> Counts {
        let occupancy = if beds == 0 {
            String::from("—")
        } else {
            let percent = (u64::from(occupied) * 100 + u64::from(beds) / 2) / u64::from(beds);
            if tr.code() == "fr" {
                format!("{percent} %")
            } else {
                format!("{percent}%")
            }
        };
        Counts {
            beds,
            occupied,
            free: beds.saturating_sub(occupied),
            patients,
            occupancy,
        }
    }

    /// Sums of the unit lines.
    pub(crate) fn total(tr: Tr, units: &[UnitSummary]) -> Counts {
        let sum = |f: fn(&UnitSummary) -> u32| units.iter().map(f).fold(0u32, u32::saturating_add);
        Counts::of(
            tr,
            sum(|u| u.beds),
            sum(|u| u.occupied_beds),
            sum(|u| u.patients),
        )
    }
}

struct UnitRow {
    code: String,
    name: String,
    /// The bed board's URL; none for a unit outside the caller's units.
    href: Option<String>,
    beds: u32,
    occupied: u32,
    free: u32,
    patients: u32,
    occupancy: String,
}

#[derive(Template)]
#[template(path = "units.html")]
struct UnitsTemplate {
    tr: Tr,
    total: Counts,
    total_text: String,
    rows: Vec<UnitRow>,
}

/// `GET /unites`.
pub(crate) async fn list_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    let (units, feeds) = state
        .read(|store| Ok((store.units()?, store.feeds()?)))
        .await?;
    let tr = Tr(ctx.lang);
    let rows = units
        .iter()
        .map(|unit| {
            let mut row = unit_row(tr, unit);
            if !caller.may_see_unit(Action::UnitBoard, &unit.code) {
                row.href = None;
            }
            row
        })
        .collect();
    let total = Counts::total(tr, &units);
    let total_text = counts_text(tr, &total);
    let main = UnitsTemplate {
        tr,
        total,
        total_text,
        rows,
    }
    .render()?;
    let page = Page {
        title: tr.t("units.title"),
        nav: Nav::Units,
        query: "",
        main,
    };
    layout::respond(&state, &ctx, &feeds, page)
}

fn unit_row(tr: Tr, unit: &UnitSummary) -> UnitRow {
    let counts = Counts::of(tr, unit.beds, unit.occupied_beds, unit.patients);
    UnitRow {
        code: unit.code.clone(),
        name: clean(Some(&unit.name)).unwrap_or_else(|| unit.code.clone()),
        href: Some(unit_href(&unit.code)),
        beds: counts.beds,
        occupied: counts.occupied,
        free: counts.free,
        patients: counts.patients,
        occupancy: counts.occupancy,
    }
}

fn counts_text(tr: Tr, counts: &Counts) -> String {
    tr.fmt(
        "board.summary",
        &[
            ("occupied", &counts.occupied.to_string()),
            ("beds", &counts.beds.to_string()),
            ("free", &counts.free.to_string()),
            ("patients", &counts.patients.to_string()),
        ],
    ) + &format!(" ({})", counts.occupancy)
}

struct BedLine {
    room: String,
    bed: String,
    conflict: Option<String>,
    occupants: Vec<OccupantView>,
}

struct OccupantView {
    name: String,
    href: String,
    age: String,
    sex: &'static str,
    admitted: String,
    attending: String,
    allergies: u32,
    allergy_text: String,
    on_leave: bool,
    /// "Même patient dans 2 lits" when this patient holds other beds too.
    same_patient: Option<String>,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardTemplate {
    tr: Tr,
    title: String,
    summary: String,
    lines: Vec<BedLine>,
}

/// `GET /unites/{code}`.
pub(crate) async fn board_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    check_unit(&state, &caller, &code)?;
    let (board, feeds) = state
        .read(move |store| Ok((store.unit_board(&code)?, store.feeds()?)))
        .await?;
    let board = board.ok_or(AppError::UnitNotFound)?;
    let fmt = ctx.fmt(&state);
    let main = board_template(&fmt, &board).render()?;
    let title = board_title(&board.unit);
    let page = Page {
        title: &title,
        nav: Nav::Units,
        query: "",
        main,
    };
    layout::respond(&state, &ctx, &feeds, page)
}

/// Refuses (and audits) a bed board outside the caller's units; audits
/// the read otherwise.
pub(crate) fn check_unit(state: &AppState, caller: &Caller, code: &str) -> Result<(), AppError> {
    let action = Action::UnitBoard;
    if caller.may_see_unit(action, code) {
        caller.audit(state, Audited::allowed(action).target(code));
        Ok(())
    } else {
        caller.audit(state, Audited::denied(action).target(code));
        Err(AppError::OutsideUnits)
    }
}

fn board_title(unit: &UnitSummary) -> String {
    match clean(Some(&unit.name)).filter(|name| *name != unit.code) {
        Some(name) => format!("{name} ({})", unit.code),
        None => unit.code.clone(),
    }
}

fn board_template(fmt: &Fmt<'_>, board: &UnitBoard) -> BoardTemplate {
    let unit = &board.unit;
    let counts = Counts::of(fmt.tr, unit.beds, unit.occupied_beds, unit.patients);
    let beds_held = beds_per_patient(board);
    BoardTemplate {
        tr: fmt.tr,
        title: board_title(unit),
        summary: counts_text(fmt.tr, &counts),
        lines: board
            .beds
            .iter()
            .map(|row| bed_line(fmt, row, &beds_held))
            .collect(),
    }
}

/// How many lines of the board each patient appears on.
fn beds_per_patient(board: &UnitBoard) -> HashMap<&PatientKey, usize> {
    let mut held: HashMap<&PatientKey, usize> = HashMap::new();
    for row in &board.beds {
        let mut keys: Vec<&PatientKey> = row.occupants.iter().map(|o| &o.patient).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            *held.entry(key).or_default() += 1;
        }
    }
    held
}

fn bed_line(fmt: &Fmt<'_>, row: &BedRow, beds_held: &HashMap<&PatientKey, usize>) -> BedLine {
    let no_bed = clean(row.room.as_deref()).is_none() && clean(row.bed.as_deref()).is_none();
    let conflict = (row.occupants.len() > 1).then(|| {
        fmt.tr
            .fmt("board.conflict", &[("n", &row.occupants.len().to_string())])
    });
    BedLine {
        room: clean(row.room.as_deref()).unwrap_or_else(|| dash(no_bed, fmt.tr)),
        bed: clean(row.bed.as_deref()).unwrap_or_else(|| String::from("—")),
        conflict,
        occupants: row
            .occupants
            .iter()
            .map(|o| occupant(fmt, o, beds_held.get(&o.patient).copied()))
            .collect(),
    }
}

/// What an empty room cell says: "Sans lit" for patients without a place.
fn dash(no_bed: bool, tr: Tr) -> String {
    if no_bed {
        tr.t("board.no_bed").to_owned()
    } else {
        String::from("—")
    }
}

/// One occupant's line; `beds_held` counts the board lines they appear on.
fn occupant(fmt: &Fmt<'_>, occ: &Occupant, beds_held: Option<usize>) -> OccupantView {
    let same_patient = beds_held
        .filter(|n| *n > 1)
        .map(|n| fmt.tr.fmt("board.same_patient", &[("n", &n.to_string())]));
    OccupantView {
        name: full_name(occ.family.as_deref(), occ.given.as_deref()),
        href: patient_href(&occ.patient),
        age: occ
            .birth_date
            .as_ref()
            .and_then(|b| fmt.age(b))
            .unwrap_or_else(|| "—".into()),
        sex: fmt.sex_short(occ.sex),
        admitted: fmt.moment(occ.admitted_at.as_ref()),
        attending: clean(occ.attending.as_deref()).unwrap_or_else(|| "—".into()),
        allergies: occ.allergies,
        allergy_text: allergy_text(fmt.tr, occ.allergies),
        on_leave: occ.on_leave,
        same_patient,
    }
}

/// "Allergies (2)" or "Aucune allergie enregistrée": the feed sent none, which
/// is not the same as a patient known to have none.
pub(crate) fn allergy_text(tr: Tr, count: u32) -> String {
    if count == 0 {
        tr.t("allergy.none").to_owned()
    } else {
        tr.fmt("allergy.count", &[("n", &count.to_string())])
    }
}
