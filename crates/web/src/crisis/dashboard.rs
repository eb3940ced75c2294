//! The crisis cell's live dashboard (`/crise/tableau`), and the forms that
//! feed it: unit status reports and critical stock counts (`forms`).
//!
//! The dashboard shows aggregates only, never a patient, and the same to
//! every role that may see it: bed occupancy per unit and for the
//! establishment, free beds by type, admissions and discharges since the
//! declaration (`movements`), each unit's latest report and whether it is
//! late against the plan's `unit_report_interval`, critical stocks with
//! their consumption and days remaining, open and overdue tasks, open
//! alerts. So it is built once per change (`model`), put into words once
//! per language (`view`), and pushed to every open browser by one producer
//! task (`feed`, `/crise/tableau/flux`); `static/dashboard.js` swaps each
//! pushed fragment in. Without JavaScript the page shows the snapshot of
//! its load.

mod feed;
mod forms;
mod model;
mod movements;
mod view;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use ckisa_auth::{Action, Reach};
use ckisa_store::UNLOCATED_UNIT;

pub(crate) use feed::Feed;
pub(crate) use forms::{report_form, report_submit, stock_form, stock_submit};

use self::model::{Model, Sources};
use self::movements::{Counter, Movements};
use self::view::{FragmentTemplate, PageTemplate, PointLink, View};
use crate::access::Caller;
use crate::error::AppError;
use crate::format::Fmt;
use crate::i18n::{Lang, Tr};
use crate::layout::{self, Nav, Page};
use crate::{AppState, PageCtx};

/// Version appended to the script's URL (as the layout does for its own).
const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

/// `GET /crise/tableau`: the dashboard as of now, which then updates
/// itself from `/crise/tableau/flux`.
pub(crate) async fn dashboard_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    let model = build_model(&state).await?;
    let fmt = fragment_fmt(&state, &model, ctx.lang);
    let view = View::of(&model, &fmt);
    let points = model
        .units
        .iter()
        .filter(|u| u.code != UNLOCATED_UNIT)
        .filter(|u| caller.may_see_unit(Action::UnitReport, &u.code))
        .map(|u| PointLink {
            href: forms::point_href(&u.code),
            code: u.code.clone(),
        })
        .collect();
    let main = PageTemplate {
        tr: fmt.tr,
        view: &view,
        points,
        stocks: caller.reach(Action::StockCount) != Reach::Never,
        version: ASSET_VERSION,
    }
    .render()?;
    let page = Page {
        title: fmt.tr.t("dashboard.title"),
        nav: Nav::Crisis,
        query: "",
        main,
    };
    layout::respond_bare(&state, &ctx, page)
}

/// `GET /crise/tableau/flux`: the server-sent event stream of the
/// dashboard, in the request's language.
pub(crate) async fn dashboard_stream(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    Ok(feed::respond(state, ctx.lang, caller))
}

/// Builds the model and renders the fragment the stream pushes, in `lang`:
/// what the producer does on every change. Public for the render-time
/// benchmark (`benches/dashboard.rs`) only.
#[doc(hidden)]
pub async fn dashboard_fragment(state: &AppState, lang: Lang) -> Result<String, AppError> {
    let model = build_model(state).await?;
    render_fragment(state, &model, lang)
}

/// The model as of now: one store read for the census, one for the
/// movements since the declaration (incremental), the rest from the
/// crisis book in memory.
async fn build_model(state: &AppState) -> Result<Model, AppError> {
    // The generation is read before anything else, so that a change made
    // while building shows as a newer generation and is built again.
    let (version, units) = state
        .read(|store| {
            let generation = store.generation();
            Ok((generation, store.units()?))
        })
        .await?;
    let declared = {
        let book = state.book().await?;
        book.active().and_then(|crisis| {
            let first = crisis.transitions.first()?;
            Some((crisis.id.clone(), first.stamp.event, crisis.declared_ms()))
        })
    };
    let movements = match declared {
        Some(declared) => Some(count_movements(state, declared).await?),
        None => None,
    };
    // The layout's own banner, read before the book guard below is taken.
    let banner = state.banner().await;
    let book = state.book().await?;
    Ok(Model::build(Sources {
        version,
        now_ms: state.now_ms(),
        units: &units,
        book: &book,
        plan: state.hub().plan(),
        movements,
        banner,
    }))
}

/// Admissions and discharges since the declaration of the crisis open
/// now, read incrementally from the log.
async fn count_movements(
    state: &AppState,
    (crisis, event, declared_ms): (ckisa_domain::CrisisId, ckisa_domain::EventId, i64),
) -> Result<Movements, AppError> {
    let mut slot = state.hub().dashboard.counter.lock().await;
    let mut counter = match slot.take() {
        Some(counter) if *counter.crisis() == crisis => counter,
        _ => Counter::new(crisis, event, declared_ms),
    };
    let zone = state.config().zone.clone();
    let counter = state
        .read(move |store| {
            counter.catch_up(store, &zone)?;
            Ok(counter)
        })
        .await?;
    let counts = counter.counts();
    *slot = Some(counter);
    Ok(counts)
}

fn fragment_fmt<'a>(state: &'a AppState, model: &Model, lang: Lang) -> Fmt<'a> {
    Fmt {
        tr: Tr(lang),
        zone: &state.config().zone,
        now_ms: model.now_ms,
    }
}

/// The fragment of `model` in `lang`.
fn render_fragment(state: &AppState, model: &Model, lang: Lang) -> Result<String, AppError> {
    let fmt = fragment_fmt(state, model, lang);
    let view = View::of(model, &fmt);
    Ok(FragmentTemplate {
        tr: fmt.tr,
        view: &view,
    }
    .render()?)
}
