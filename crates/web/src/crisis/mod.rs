//! The crisis-management capsule: the crisis lifecycle, the action cards,
//! the BIA clocks and alerts (this module and `lifecycle`), the live
//! dashboard with unit reports and stock counts (`dashboard`), the main
//! courante, decisions and tasks (`journal`), and the after-action report
//! (`report`).
//!
//! Everything written here is a [`CrisisFact`] event committed to the store
//! like any other fact; what pages show is the [`Book`] folded from those
//! events. The [`Hub`] keeps the book in memory and catches up with the log
//! whenever the store's generation moves, so that a transition made from the
//! command line (another process on the same data folder) shows too.
//!
//! **Invariant:** a fact is checked against the book ([`Book::check`]) and
//! the plan under the hub's write lock, then committed, then folded in: two
//! people declaring at once get one crisis and one refusal.

mod dashboard;
mod dashboard_text;
mod journal;
mod journal_text;
mod lifecycle;
mod report;
mod report_text;
mod text;

use std::sync::Arc;

use ckisa_auth::Action;
use ckisa_crisis::book::{Book, Phase};
use ckisa_crisis::ledger::{self, RecordError};
use ckisa_crisis::plan::Plan;
use ckisa_domain::{Actor, CrisisFact, EventId, HlcClock, NodeId};
use tokio::sync::{Mutex, RwLock, RwLockReadGuard};

#[doc(hidden)]
pub use dashboard::dashboard_fragment;
pub(crate) use dashboard::{dashboard_page, dashboard_stream, report_form, report_submit};
pub(crate) use dashboard::{stock_form, stock_submit};
/// The capsule's catalogs, registered in `crate::i18n::CATALOGS`.
pub(crate) use dashboard_text::CATALOG as DASHBOARD_TEXT;
pub(crate) use journal::{decision_submit, decisions_page, log_page, log_submit};
pub(crate) use journal::{task_page, task_submit, task_update, tasks_page};
pub(crate) use journal_text::CATALOG as JOURNAL_TEXT;
pub(crate) use lifecycle::{
    acknowledge_alert, contacts_page, overview_page, tick_card, transition_page, transition_submit,
};
pub(crate) use report::{history_page, report_page, report_pdf};
pub(crate) use report_text::CATALOG as REPORT_TEXT;
pub(crate) use text::CATALOG;

use crate::AppState;
use crate::access::{Audited, Caller};
use crate::error::AppError;
use crate::synced::Synced;

/// The crisis book of the node, kept up to date with the log.
pub(crate) struct Hub {
    book: RwLock<Book>,
    plan: Arc<Plan>,
    /// When the book last caught up with the log.
    synced: Synced,
    /// One catch-up or write at a time.
    writing: Mutex<()>,
    clock: Arc<HlcClock>,
    /// The live dashboard's pushed snapshot and its producer.
    pub(crate) dashboard: dashboard::Feed,
}

impl Hub {
    pub(crate) fn new(plan: Arc<Plan>) -> Hub {
        Hub {
            book: RwLock::new(Book::new()),
            plan,
            synced: Synced::new(),
            writing: Mutex::new(()),
            clock: Arc::new(HlcClock::new(60_000)),
            dashboard: dashboard::Feed::default(),
        }
    }

    pub(crate) fn plan(&self) -> &Plan {
        &self.plan
    }
}

impl AppState {
    pub(crate) fn hub(&self) -> &Hub {
        &self.inner.crisis
    }

    /// Catches the book up with the log if this process's store changed
    /// since the last time, or if [`RESYNC_EVERY_MS`](crate::synced::RESYNC_EVERY_MS) passed (another
    /// process, `ckisa crisis`, may have written: the generation counts only
    /// this process's commits); cheap otherwise (two atomic reads).
    pub(crate) async fn crisis_sync(&self) -> Result<(), AppError> {
        let hub = self.hub();
        let generation = self.inner.store.generation();
        if hub.synced.is_current(generation) {
            return Ok(());
        }
        let _writing = hub.writing.lock().await;
        if hub.synced.is_current(generation) {
            return Ok(());
        }
        self.catch_up(generation).await
    }

    /// Reads the crisis events the book has not seen and folds them in; the
    /// caller holds `writing`.
    async fn catch_up(&self, generation: u64) -> Result<(), AppError> {
        let hub = self.hub();
        let last = hub.book.read().await.last_event();
        let events = self
            .read(move |store| ledger::new_events(store, last))
            .await?;
        if !events.is_empty() {
            let mut book = hub.book.write().await;
            for event in &events {
                book.apply(event);
            }
        }
        hub.synced.mark(generation);
        Ok(())
    }

    /// The book, caught up with the log.
    pub(crate) async fn book(&self) -> Result<RwLockReadGuard<'_, Book>, AppError> {
        self.crisis_sync().await?;
        Ok(self.hub().book.read().await)
    }

    /// Checks `fact` against the book, commits it as an event of `caller`,
    /// and folds it in. A refusal is a [`AppError::Refused`] carrying the
    /// French reason.
    pub(crate) async fn record(&self, caller: &Caller, fact: CrisisFact) -> Result<(), AppError> {
        let actor = match caller.login() {
            Some(login) => Actor::User(login.to_owned()),
            None => Actor::System,
        };
        let audited = (action_of(&fact), fact.kind(), summary(&fact));
        let hub = self.hub();
        let _writing = hub.writing.lock().await;
        self.catch_up(self.inner.store.generation()).await?;
        hub.book
            .read()
            .await
            .check(&fact)
            .map_err(|refusal| AppError::Refused(refusal.0))?;
        let author = ledger::Author {
            actor,
            node: NodeId(self.config().node_id.clone()),
            origin: "web",
        };
        let now = self.now_ms();
        let hlc = hub.clock.tick(u64::try_from(now).unwrap_or(0));
        let event = ledger::event(&author, fact, hlc);
        let committed = self
            .read(move |store| Ok(ledger::commit(store, event, now)))
            .await?;
        match committed {
            Ok(()) => caller.audit(
                self,
                Audited::allowed(audited.0)
                    .target(audited.1)
                    .detail(&audited.2),
            ),
            Err(RecordError::StoreRefused(reason)) => return Err(AppError::Refused(reason)),
            Err(RecordError::Refused(refusal)) => return Err(AppError::Refused(refusal.0)),
            Err(RecordError::Store(error)) => return Err(AppError::Store(error)),
        }
        self.catch_up(self.inner.store.generation()).await?;
        hub.dashboard.changed();
        Ok(())
    }
}

/// The matrix action a crisis fact exercises, for the audit trail.
fn action_of(fact: &CrisisFact) -> Action {
    match fact {
        CrisisFact::Declared { .. }
        | CrisisFact::LevelChanged { .. }
        | CrisisFact::RecoveryAnnounced { .. }
        | CrisisFact::Closed { .. } => Action::CrisisDeclare,
        CrisisFact::Decision { .. } | CrisisFact::TaskCreated { .. } => Action::CrisisDecide,
        CrisisFact::LogEntry { .. }
        | CrisisFact::TaskUpdated { .. }
        | CrisisFact::CardStep { .. } => Action::CrisisWrite,
        CrisisFact::UnitReported(_) => Action::UnitReport,
        CrisisFact::StockCounted { .. } => Action::StockCount,
        CrisisFact::AlertRaised { .. }
        | CrisisFact::AlertAcknowledged { .. }
        | CrisisFact::AlertCleared { .. } => Action::AlertAck,
    }
}

/// What the audit entry of a crisis fact says: the ids and the level, not
/// the free text (which stays in the log).
fn summary(fact: &CrisisFact) -> String {
    match fact {
        CrisisFact::Declared { crisis, level, .. }
        | CrisisFact::LevelChanged { crisis, level, .. } => {
            format!("crise {} niveau {level}", crisis.0)
        }
        CrisisFact::RecoveryAnnounced { crisis, .. } | CrisisFact::Closed { crisis, .. } => {
            format!("crise {}", crisis.0)
        }
        CrisisFact::LogEntry { id, .. }
        | CrisisFact::Decision { id, .. }
        | CrisisFact::TaskCreated { id, .. }
        | CrisisFact::TaskUpdated { id, .. }
        | CrisisFact::AlertRaised { id, .. }
        | CrisisFact::AlertAcknowledged { id }
        | CrisisFact::AlertCleared { id, .. } => id.0.clone(),
        CrisisFact::UnitReported(report) => report.unit.clone(),
        CrisisFact::StockCounted { stock, .. } => stock.clone(),
        CrisisFact::CardStep { card, step, done } => format!("{card} {step} {done}"),
    }
}

/// A fresh item id (UUIDv7 text) for a log entry, task, decision or alert.
pub(crate) fn new_id(now_ms: i64) -> ckisa_domain::ItemId {
    ckisa_domain::ItemId(EventId::new(u64::try_from(now_ms).unwrap_or(0)).to_string())
}

/// What every page's crisis banner shows.
pub(crate) struct Banner {
    /// Level number.
    pub(crate) level: u8,
    /// Level name from the plan.
    pub(crate) level_name: String,
    /// Declared at, ms since the Unix epoch (the page's clock counts from it).
    pub(crate) since_ms: i64,
    /// Recovery announced.
    pub(crate) recovery: bool,
}

impl AppState {
    /// The banner of the crisis open now, if any.
    pub(crate) async fn banner(&self) -> Option<Banner> {
        self.page_header(false).await.0
    }

    /// What every page's header shows of the crisis: its banner, and how
    /// many outage alerts are open when `with_alerts` (for those who
    /// acknowledge them); one read of the book. Nothing when the book
    /// cannot be read (logged): a page must not fail for its header.
    pub(crate) async fn page_header(&self, with_alerts: bool) -> (Option<Banner>, usize) {
        let book = match self.book().await {
            Ok(book) => book,
            Err(error) => {
                tracing::warn!(%error, "crisis book unreadable for the page header");
                return (None, 0);
            }
        };
        let alerts = if with_alerts {
            book.open_alerts().len()
        } else {
            0
        };
        (self.banner_of(&book), alerts)
    }

    fn banner_of(&self, book: &Book) -> Option<Banner> {
        let crisis = book.active()?;
        let level = crisis.level();
        Some(Banner {
            level,
            level_name: self
                .hub()
                .plan()
                .level(level)
                .map(|l| l.name.clone())
                .unwrap_or_default(),
            since_ms: crisis.declared_ms(),
            recovery: crisis.phase() == Phase::Recovery,
        })
    }
}
