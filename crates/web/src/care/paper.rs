//! The paper fallback of a unit (`PaperReports`): `/soins/unites/{code}/secours`
//! lists the parts of the unit's pack (`ckisa_care::paper::unit_pack`:
//! census, medication sheets for the next 24 hours, care plans, blank forms
//! with patient labels, labels, appointments, diets) and
//! `/soins/unites/{code}/secours/{part}` downloads one of them, made on
//! demand from what the store and the care log hold now. Every page of
//! every part says what moment its data is from.
//!
//! The pack is built on the blocking pool from a care book read from the
//! log there (the hub's book cannot leave its lock for that long), as the
//! `ckisa reports` command does.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use ckisa_auth::Action;
use ckisa_care::paper::{self as carepaper, PaperError, PaperFile};
use ckisa_store::UNLOCATED_UNIT;

use super::flows::{pdf_response, unit_for, unit_segment};
use crate::access::{Audited, Caller};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page};
use crate::{AppState, PageCtx};

/// The pack page of a unit.
pub(crate) fn pack_href(code: &str) -> String {
    format!("/soins/unites/{}/secours", unit_segment(code))
}

/// What each part is, for the page.
fn part_text(part: &str) -> (&'static str, &'static str) {
    match part {
        "recensement" => ("flow.paper.census", "flow.paper.census_hint"),
        "administrations" => ("flow.paper.mar", "flow.paper.mar_hint"),
        "plans-de-soins" => ("flow.paper.plans", "flow.paper.plans_hint"),
        "formulaires" => ("flow.paper.forms", "flow.paper.forms_hint"),
        "etiquettes" => ("flow.paper.labels", "flow.paper.labels_hint"),
        "rendez-vous" => ("flow.paper.appointments", "flow.paper.appointments_hint"),
        _ => ("flow.paper.diets", "flow.paper.diets_hint"),
    }
}

struct PartLine {
    title: &'static str,
    hint: &'static str,
    href: String,
}

#[derive(Template)]
#[template(path = "care/flows/paper.html")]
struct PaperTemplate {
    tr: Tr,
    title: String,
    parts: Vec<PartLine>,
    back: String,
}

/// `GET /soins/unites/{code}/secours`.
pub(crate) async fn pack_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    unit_for(&state, &caller, Action::PaperReports, &code)?;
    let asked = code.clone();
    let known = state
        .read(move |store| Ok(store.unit_board(&asked)?.is_some()))
        .await?;
    if !known {
        return Err(AppError::UnitNotFound);
    }
    let tr = Tr(ctx.lang);
    let title = tr.fmt("flow.paper.title", &[("unit", &code)]);
    let main = PaperTemplate {
        tr,
        title: title.clone(),
        parts: carepaper::PARTS
            .iter()
            .map(|part| {
                let (title, hint) = part_text(part);
                PartLine {
                    title: tr.t(title),
                    hint: tr.t(hint),
                    href: format!("{}/{part}.pdf", pack_href(&code)),
                }
            })
            .collect(),
        back: super::movements::unit_href(&code),
    }
    .render()?;
    let page = Page {
        title: &title,
        nav: Nav::Units,
        query: "",
        main,
    };
    layout::respond_bare(&state, &ctx, page)
}

/// `GET /soins/unites/{code}/secours/{part}`: one part of the pack, as a
/// PDF download (`recensement.pdf`...).
pub(crate) async fn part_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path((code, part)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let action = Action::PaperReports;
    if !caller.may_see_unit(action, &code) {
        caller.audit(&state, Audited::denied(action).target(&code));
        return Err(AppError::OutsideUnits);
    }
    let Some(index) = part
        .strip_suffix(".pdf")
        .and_then(|name| carepaper::PARTS.iter().position(|p| *p == name))
    else {
        return Err(AppError::PageNotFound);
    };
    if code == UNLOCATED_UNIT {
        return Err(AppError::UnitNotFound);
    }
    let (now_ms, zone, settings) = (
        state.now_ms(),
        state.config().zone.clone(),
        std::sync::Arc::clone(&state.config().care),
    );
    let unit = code.clone();
    let book = state.care_book().await?;
    let built = state
        .read(move |store| {
            Ok(carepaper::unit_pack(
                store, &book, &unit, now_ms, &zone, &settings,
            ))
        })
        .await?;
    let files = built.map_err(paper_error)?;
    caller.audit(
        &state,
        Audited::allowed(action)
            .target(&code)
            .detail(carepaper::PARTS[index]),
    );
    let PaperFile { name, pdf } = files.into_iter().nth(index).ok_or(AppError::PageNotFound)?;
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok(pdf_response(disposition, pdf))
}

fn paper_error(error: PaperError) -> AppError {
    match error {
        PaperError::UnknownUnit(_) => AppError::UnitNotFound,
        PaperError::Store(error) => AppError::Store(error),
        other => AppError::Refused(other.to_string()),
    }
}
