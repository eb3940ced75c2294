//! Pages for the IT team: the quarantine of refused inputs (`/quarantaine`)
//! and the node status (`/statut`), which on a demonstration node also
//! carries the switch of the simulated HIS (see `demo`).
//!
//! The quarantine page lists reasons and sizes only; the raw inputs may
//! hold patient data and are not shown here.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use ckisa_auth::Action;
use ckisa_store::{FeedStatus, QuarantineEntry};

use crate::access::{Audited, Caller};
use crate::codes::{self, Shown};
use crate::demo::{self, HisPanel};
use crate::error::AppError;
use crate::format::{Fmt, Freshness, clean};
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page};
use crate::{AppState, PageCtx};

/// Most quarantine entries a page or API answer lists.
pub(crate) const QUARANTINE_LIMIT: usize = 200;

struct QuarantineRow {
    time: String,
    feed: String,
    message_id: String,
    reason: String,
    size: String,
}

#[derive(Template)]
#[template(path = "quarantine.html")]
struct QuarantineTemplate {
    tr: Tr,
    rows: Vec<QuarantineRow>,
}

/// `GET /quarantaine`.
pub(crate) async fn quarantine_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    caller.audit(&state, Audited::allowed(Action::Quarantine));
    let (entries, status) = state
        .read(|store| Ok((store.quarantine_entries(QUARANTINE_LIMIT)?, store.status()?)))
        .await?;
    let fmt = ctx.fmt(&state);
    let rows = entries.iter().map(|e| quarantine_row(&fmt, e)).collect();
    let main = QuarantineTemplate { tr: fmt.tr, rows }.render()?;
    let page = Page {
        title: fmt.tr.t("quarantine.title"),
        nav: Nav::Quarantine,
        query: "",
        main,
    };
    layout::respond(&state, &ctx, &status.feeds, page)
}

fn quarantine_row(fmt: &Fmt<'_>, entry: &QuarantineEntry) -> QuarantineRow {
    QuarantineRow {
        time: fmt.wall(entry.received_ms),
        feed: entry.feed.clone(),
        message_id: clean(entry.message_id.as_deref()).unwrap_or_else(|| "—".into()),
        reason: entry.reason.clone(),
        size: fmt.size(entry.size),
    }
}

struct FeedRow {
    name: String,
    class: &'static str,
    last: String,
    accepted: u64,
    duplicates: u64,
    rejected: u64,
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusTemplate {
    tr: Tr,
    node_id: String,
    data_dir: String,
    schema_version: u32,
    uptime: String,
    events: u64,
    patients: u64,
    in_house: u64,
    units: u64,
    quarantined: u64,
    feeds: Vec<FeedRow>,
    facts: Vec<(Shown, u64)>,
    /// The simulated HIS switch, on a demonstration node for those who may
    /// use it.
    his: Option<HisPanel>,
}

/// `GET /statut`.
pub(crate) async fn status_page(
    State(state): State<AppState>,
    ctx: PageCtx,
) -> Result<Response, AppError> {
    let status = state.read(|store| store.status()).await?;
    let fmt = ctx.fmt(&state);
    let config = state.config();
    let uptime_ms = i64::try_from(state.uptime_seconds()).unwrap_or(i64::MAX / 2) * 1000;
    let main = StatusTemplate {
        tr: fmt.tr,
        node_id: config.node_id.clone(),
        data_dir: config.data_dir.clone(),
        schema_version: status.schema_version,
        uptime: fmt.elapsed_since(fmt.now_ms.saturating_sub(uptime_ms)),
        events: status.events,
        patients: status.patients,
        in_house: status.in_house,
        units: status.units,
        quarantined: status.quarantined,
        feeds: feed_rows(&fmt, &config.feeds, &status.feeds),
        facts: status
            .facts
            .iter()
            .map(|(kind, count)| (codes::fact_kind(fmt.tr, kind), *count))
            .collect(),
        his: demo::panel(&state, &ctx),
    }
    .render()?;
    let page = Page {
        title: fmt.tr.t("status.title"),
        nav: Nav::Status,
        query: "",
        main,
    };
    layout::respond(&state, &ctx, &status.feeds, page)
}

/// Every feed the store knows, then configured feeds that never sent
/// anything.
fn feed_rows(fmt: &Fmt<'_>, configured: &[String], feeds: &[FeedStatus]) -> Vec<FeedRow> {
    let silent = configured
        .iter()
        .filter(|name| !feeds.iter().any(|f| &f.name == *name));
    let silent = silent.map(|name| FeedStatus {
        name: name.clone(),
        last_received_ms: None,
        accepted: 0,
        duplicates: 0,
        rejected: 0,
    });
    let silent: Vec<FeedStatus> = silent.collect();
    feeds
        .iter()
        .chain(&silent)
        .map(|f| feed_row(fmt, f))
        .collect()
}

fn feed_row(fmt: &Fmt<'_>, feed: &FeedStatus) -> FeedRow {
    let (class, last) = match feed.last_received_ms {
        Some(ms) => (
            Freshness::of_age_ms(fmt.now_ms.saturating_sub(ms)).class(),
            format!("{} ({})", fmt.wall(ms), fmt.elapsed_since(ms)),
        ),
        None => (
            Freshness::Stale.class(),
            fmt.tr.t("status.never").to_owned(),
        ),
    };
    FeedRow {
        name: feed.name.clone(),
        class,
        last,
        accepted: feed.accepted,
        duplicates: feed.duplicates,
        rejected: feed.rejected,
    }
}
