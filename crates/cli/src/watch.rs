//! The node's outage watch. Every few seconds it compares each configured
//! feed's silence and rate with its usual pattern by time of day
//! ([`ckisa_crisis::detect`]), runs the probes the plan names, checks the
//! replica's age against each activity's PDMA and the critical stocks
//! against their thresholds, and records what it finds as alert facts in the
//! crisis log (the node as author, origin `veille`), where the crisis pages
//! show them. The plan's hook command relays each new alert (an SMS gateway,
//! a siren).
//!
//! It only suspects: declaring a crisis stays a person's decision. It must
//! never stop the node or a feed: an error in one round is logged and the
//! next round runs as usual.
//!
//! The decisions are in [`decide`], a plain function over the crisis book,
//! the plan, what the store and the probes say, and the time, so that tests
//! drive it without timers. [`Watcher`] adds the store reads and the
//! recording; the task started by [`spawn`] adds the timer, the probes and
//! the hook.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context;
use ckisa_crisis::book::{Book, MAX_TEXT};
use ckisa_crisis::detect::{
    self, Bucket, Change, Detector, FeedActivity, ProbeResult, local_time_label,
};
use ckisa_crisis::ledger::{self, Author};
use ckisa_crisis::plan::{
    Hook, PdmaBreach, Plan, ProbeTarget, Stock, StockLevel, format_duration, pdma_breaches,
};
use ckisa_domain::{Actor, AlertKind, CrisisFact, EventId, HlcClock, ItemId, NodeId};
use ckisa_ingest::pipeline::EventFactory;
use ckisa_store::{Store, StoreError};
use ckisa_watch::{DEFAULT_HOOK_TIMEOUT, HookAlert, HookSpec, ProbeSpec};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};

use crate::node::Node;

/// Time between two rounds of the watch.
const ROUND: Duration = Duration::from_secs(5);

/// Feed history read for the usual patterns: the detector uses no more.
const HISTORY_MS: i64 = 56 * 24 * 3_600_000;

/// Largest clock lead accepted by the watch's hybrid logical clock.
const MAX_DRIFT_MS: u64 = 60_000;

/// Starts the outage watch of `plan` over `feeds` (the configured feed
/// names), until `shutdown` turns true. Fails only on detection settings the
/// detector refuses, which the plan check already rules out.
pub(crate) fn spawn(
    node: &Node,
    plan: Arc<Plan>,
    feeds: Vec<String>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = node.store.clone();
    let watcher = Watcher::new(store, Arc::clone(&plan), feeds, node.factory.node().clone())?;
    let probes = probe_slots(&plan);
    let hook = plan.crisis.hook.as_ref().map(hook_spec);
    tokio::spawn(run(
        watcher,
        node.factory.clone(),
        probes,
        hook,
        ROUND,
        shutdown,
    ));
    Ok(())
}

/// What the store and the probes say at one round.
#[derive(Debug, Clone, Default)]
pub(crate) struct Inputs {
    /// Activity of every configured feed, in configuration order.
    pub(crate) feeds: Vec<FeedActivity>,
    /// Last message of every feed the store knows (`file` included), for
    /// the age of the replica.
    pub(crate) freshness: Vec<(String, Option<i64>)>,
    /// Probe results that came in since the last round.
    pub(crate) probes: Vec<ProbeResult>,
}

/// Reads the activity of the configured `feeds` over the history the
/// detector uses, and every feed's last message; no probe result.
pub(crate) fn read_inputs(
    store: &dyn Store,
    feeds: &[String],
    now_ms: i64,
) -> Result<Inputs, StoreError> {
    let activity = store.feed_activity(now_ms.saturating_sub(HISTORY_MS))?;
    let freshness: Vec<(String, Option<i64>)> = store
        .feeds()?
        .into_iter()
        .map(|feed| (feed.name, feed.last_received_ms))
        .collect();
    let feeds = feeds
        .iter()
        .map(|name| FeedActivity {
            name: name.clone(),
            buckets: activity
                .iter()
                .find(|feed| &feed.feed == name)
                .map(|feed| {
                    feed.buckets
                        .iter()
                        .map(|bucket| Bucket {
                            start_ms: bucket.start_ms,
                            count: bucket.count,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            last_received_ms: freshness
                .iter()
                .find(|(feed, _)| feed == name)
                .and_then(|(_, last)| *last),
        })
        .collect();
    Ok(Inputs {
        feeds,
        freshness,
        probes: Vec::new(),
    })
}

/// The alert facts to record at `now_ms`: what `detector` says of the feeds
/// and probes, then the PDMA breaches and the low stocks. An alert is raised
/// only when `book` holds no open alert of its key, and cleared only when it
/// does; `detector` keeps its own memory of what it raised.
pub(crate) fn decide(
    book: &Book,
    plan: &Plan,
    detector: &mut Detector,
    inputs: &Inputs,
    now_ms: i64,
) -> Vec<CrisisFact> {
    let mut facts = Vec::new();
    for change in detector.observe(now_ms, &inputs.feeds, &inputs.probes) {
        match change {
            Change::Raised(alert) => {
                if book.open_alert(&alert.key).is_none() {
                    facts.push(raised(
                        now_ms,
                        alert.key,
                        domain_kind(alert.kind),
                        alert.subject,
                        alert.since_ms,
                        alert.evidence,
                    ));
                }
            }
            Change::Cleared { key, reason, .. } => {
                if let Some(open) = book.open_alert(&key) {
                    facts.push(CrisisFact::AlertCleared {
                        id: open.id.clone(),
                        reason,
                    });
                }
            }
        }
    }
    pdma_alerts(book, plan, &inputs.freshness, now_ms, &mut facts);
    stock_alerts(book, plan, now_ms, &mut facts);
    facts
}

/// PDMA alerts: an activity relying on a replica older than its PDMA gets
/// `pdma:<activity>`, cleared once every application it depends on is fresh
/// enough again. The crisis cell is told in normal times as well as in a
/// crisis.
///
/// Only feeds that have received at least once count: on a brand-new node,
/// or before a feed is connected, every activity would otherwise be in
/// breach from the first round, before anything could have been late.
fn pdma_alerts(
    book: &Book,
    plan: &Plan,
    freshness: &[(String, Option<i64>)],
    now_ms: i64,
    facts: &mut Vec<CrisisFact>,
) {
    let breaches = pdma_breaches(plan, freshness, now_ms);
    for activity in &plan.activities {
        let key = format!("pdma:{}", activity.code);
        let mine: Vec<&PdmaBreach> = breaches
            .iter()
            .filter(|breach| breach.activity == activity.code && breach.age.is_some())
            .collect();
        match (mine.is_empty(), book.open_alert(&key)) {
            (false, None) => {
                // Since the oldest replica went past the PDMA.
                let since_ms = mine
                    .iter()
                    .filter_map(|breach| {
                        let over = millis(breach.age?).saturating_sub(millis(breach.pdma));
                        Some(now_ms.saturating_sub(over))
                    })
                    .min()
                    .unwrap_or(now_ms);
                let evidence: Vec<String> = mine.iter().map(ToString::to_string).collect();
                facts.push(raised(
                    now_ms,
                    key,
                    AlertKind::PdmaExceeded,
                    activity.code.clone(),
                    since_ms,
                    format!("{}.", evidence.join(" ; ")),
                ));
            }
            (true, Some(open)) => facts.push(CrisisFact::AlertCleared {
                id: open.id.clone(),
                reason: format!(
                    "{} : réplique de nouveau plus récente que la PDMA de {}.",
                    activity.code,
                    format_duration(activity.pdma)
                ),
            }),
            _ => {}
        }
    }
}

/// Stock alerts: a stock whose latest count is at or below its alert
/// threshold gets `stock:<code>`, cleared when a later count is above it.
fn stock_alerts(book: &Book, plan: &Plan, now_ms: i64, facts: &mut Vec<CrisisFact>) {
    for stock in &plan.stocks {
        let key = format!("stock:{}", stock.code);
        let Some(latest) = book.stock_counts(&stock.code).last().copied() else {
            continue;
        };
        let level = stock.level(latest.quantity);
        match (level, book.open_alert(&key)) {
            (StockLevel::Alert | StockLevel::Critical, None) => facts.push(raised(
                now_ms,
                key,
                AlertKind::StockLow,
                stock.code.clone(),
                latest.stamp.at_ms,
                stock_evidence(stock, latest.quantity, level, latest.stamp.at_ms),
            )),
            (StockLevel::Normal, Some(open)) => facts.push(CrisisFact::AlertCleared {
                id: open.id.clone(),
                reason: format!(
                    "Stock « {} » ({}) recompté au-dessus du seuil d'alerte : {} {} le {} \
                     (seuil d'alerte : {}).",
                    stock.name,
                    stock.code,
                    quantity_label(latest.quantity),
                    stock.measure,
                    local_time_label(latest.stamp.at_ms),
                    quantity_label(stock.alert_threshold)
                ),
            }),
            _ => {}
        }
    }
}

fn stock_evidence(stock: &Stock, quantity: f64, level: StockLevel, at_ms: i64) -> String {
    let level = match level {
        StockLevel::Critical => "critique",
        StockLevel::Alert | StockLevel::Normal => "alerte",
    };
    format!(
        "Stock « {} » ({}, {}) : {} {} comptés le {}, niveau {level} \
         (seuil d'alerte : {}, seuil critique : {}).",
        stock.name,
        stock.code,
        stock.location,
        quantity_label(quantity),
        stock.measure,
        local_time_label(at_ms),
        quantity_label(stock.alert_threshold),
        quantity_label(stock.critical_threshold)
    )
}

/// `5000`, `12,5`.
fn quantity_label(quantity: f64) -> String {
    if quantity.fract() == 0.0 && quantity.abs() < 1e15 {
        format!("{quantity:.0}")
    } else {
        quantity.to_string().replace('.', ",")
    }
}

/// A new alert, with a fresh id (UUIDv7 text) and its evidence cut to what
/// the book accepts.
fn raised(
    now_ms: i64,
    key: String,
    kind: AlertKind,
    subject: String,
    since_ms: i64,
    mut evidence: String,
) -> CrisisFact {
    if evidence.chars().count() > MAX_TEXT {
        evidence = evidence.chars().take(MAX_TEXT - 1).collect();
        evidence.push('…');
    }
    CrisisFact::AlertRaised {
        id: ItemId(EventId::new(u64::try_from(now_ms).unwrap_or(0)).to_string()),
        key,
        kind,
        subject,
        since_ms,
        evidence,
    }
}

fn domain_kind(kind: detect::AlertKind) -> AlertKind {
    match kind {
        detect::AlertKind::FeedSilent => AlertKind::FeedSilent,
        detect::AlertKind::FeedRateLow => AlertKind::FeedRateLow,
        detect::AlertKind::ProbeFailed => AlertKind::ProbeFailed,
    }
}

/// The short code of a kind, the prefix of its keys (`CKISA_ALERTE_TYPE`
/// for the hook).
/// The alert kind as the hook, the docs and `crisis status --json` name it.
pub(crate) fn kind_code(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::FeedSilent => detect::AlertKind::FeedSilent.code(),
        AlertKind::FeedRateLow => detect::AlertKind::FeedRateLow.code(),
        AlertKind::ProbeFailed => detect::AlertKind::ProbeFailed.code(),
        AlertKind::PdmaExceeded => "pdma",
        AlertKind::StockLow => "stock",
    }
}

/// What the hook is told of a raised alert.
fn hook_alert(fact: &CrisisFact) -> Option<HookAlert> {
    let CrisisFact::AlertRaised {
        key,
        kind,
        subject,
        since_ms,
        evidence,
        ..
    } = fact
    else {
        return None;
    };
    Some(HookAlert {
        key: key.clone(),
        kind: kind_code(*kind).to_owned(),
        subject: subject.clone(),
        text: evidence.clone(),
        since_ms: *since_ms,
    })
}

/// The watch's state between rounds: its own copy of the crisis book, the
/// detector's memory, and what was last read from the store.
pub(crate) struct Watcher {
    store: Arc<dyn Store>,
    plan: Arc<Plan>,
    feeds: Vec<String>,
    author: Author,
    clock: HlcClock,
    book: Book,
    detector: Detector,
    /// Whether the book was read and the detector resumed from it.
    resumed: bool,
    /// The store generation and what was read at it: the feeds' activity
    /// only changes with a commit.
    cache: Option<(u64, Inputs)>,
}

impl Watcher {
    /// A watcher of `feeds` for `plan`, recording as `node`. The store is
    /// read at the first round.
    pub(crate) fn new(
        store: Arc<dyn Store>,
        plan: Arc<Plan>,
        feeds: Vec<String>,
        node: NodeId,
    ) -> anyhow::Result<Watcher> {
        let detector = Detector::new(plan.detection.detect_settings())
            .context("plan.detection : réglages refusés par la détection")?;
        Ok(Watcher {
            store,
            plan,
            feeds,
            author: Author {
                actor: Actor::System,
                node,
                origin: "veille",
            },
            clock: HlcClock::new(MAX_DRIFT_MS),
            book: Book::new(),
            detector,
            resumed: false,
            cache: None,
        })
    }

    /// The crisis book as the watch last saw it.
    #[cfg(test)]
    pub(crate) fn book(&self) -> &Book {
        &self.book
    }

    /// One round at `now_ms` with the probe results that came in since the
    /// last one: reads what changed in the store, decides, records. Returns
    /// the alerts raised, for the hook. Blocks on the store.
    pub(crate) fn round(
        &mut self,
        now_ms: i64,
        probes: Vec<ProbeResult>,
    ) -> Result<Vec<HookAlert>, StoreError> {
        if !self.resumed {
            self.resume()?;
        }
        // Read before the data: a commit in between is seen next round.
        let generation = self.store.generation();
        let inputs = match self.cache.take() {
            Some((seen, inputs)) if seen == generation => inputs,
            _ => {
                ledger::catch_up(&mut self.book, self.store.as_ref())?;
                read_inputs(self.store.as_ref(), &self.feeds, now_ms)?
            }
        };
        let inputs = Inputs { probes, ..inputs };
        let facts = decide(&self.book, &self.plan, &mut self.detector, &inputs, now_ms);
        self.cache = Some((generation, inputs));

        let mut raised = Vec::new();
        let mut lost = false;
        for fact in facts {
            let (what, key) = describe(&fact, &self.book);
            let alert = hook_alert(&fact);
            let hlc = self.clock.tick(u64::try_from(now_ms).unwrap_or(0));
            match ledger::record(
                &mut self.book,
                self.store.as_ref(),
                &self.author,
                fact,
                hlc,
                now_ms,
            ) {
                Ok(_) => {
                    tracing::info!(%key, "{what}");
                    raised.extend(alert);
                }
                Err(error) => {
                    tracing::warn!(%key, %error, "alert fact not recorded");
                    lost = true;
                }
            }
        }
        if lost {
            // The detector believes in facts the log does not hold: start it
            // again from the book, so that the next round raises or clears
            // what was lost.
            self.resume()?;
        }
        Ok(raised)
    }

    /// Catches the book up with the log and resumes the detector from its
    /// open alerts: a restart in the middle of an outage raises nothing
    /// twice.
    fn resume(&mut self) -> Result<(), StoreError> {
        ledger::catch_up(&mut self.book, self.store.as_ref())?;
        let open: Vec<String> = self
            .book
            .open_alerts()
            .iter()
            .map(|alert| alert.key.clone())
            .collect();
        // The settings were accepted by `Watcher::new`.
        if let Ok(detector) = Detector::resume(self.detector.settings().clone(), open) {
            self.detector = detector;
        }
        self.resumed = true;
        self.cache = None;
        Ok(())
    }
}

/// For the log: what the fact does and the key of its alert (never patient
/// data: keys name feeds, probes, activities and stocks).
fn describe(fact: &CrisisFact, book: &Book) -> (&'static str, String) {
    match fact {
        CrisisFact::AlertRaised { key, .. } => ("alert raised", key.clone()),
        CrisisFact::AlertCleared { id, .. } => (
            "alert cleared",
            book.alerts()
                .iter()
                .find(|alert| &alert.id == id)
                .map(|alert| alert.key.clone())
                .unwrap_or_default(),
        ),
        _ => ("crisis fact", String::new()),
    }
}

/// One probe of the plan and when it runs next.
struct ProbeSlot {
    spec: Arc<ProbeSpec>,
    every: Duration,
    next: Instant,
    /// An attempt is under way: none is started before it ends.
    busy: bool,
}

/// The plan's probes. A target the probe crate refuses (the plan check
/// should have) is logged and left out.
fn probe_slots(plan: &Plan) -> Vec<ProbeSlot> {
    let now = Instant::now();
    plan.detection
        .probes
        .iter()
        .filter_map(|probe| {
            let target = probe.target.to_string();
            let spec = match probe.target {
                ProbeTarget::Tcp { .. } => ProbeSpec::tcp(&probe.name, &target, probe.timeout),
                ProbeTarget::Http { .. } => ProbeSpec::http(&probe.name, &target, probe.timeout),
            };
            match spec {
                Ok(spec) => Some(ProbeSlot {
                    spec: Arc::new(spec),
                    every: probe.every,
                    next: now,
                    busy: false,
                }),
                Err(error) => {
                    tracing::warn!(probe = %probe.name, %error, "probe left out");
                    None
                }
            }
        })
        .collect()
}

/// Starts, each in its own task, the probes that are due and not under way;
/// each sends its result with its index.
fn start_due_probes(
    slots: &mut [ProbeSlot],
    results: &mpsc::UnboundedSender<(usize, ProbeResult)>,
) {
    let now = Instant::now();
    for (index, slot) in slots.iter_mut().enumerate() {
        if slot.busy || now < slot.next {
            continue;
        }
        slot.busy = true;
        slot.next = now + slot.every;
        let spec = Arc::clone(&slot.spec);
        let results = results.clone();
        tokio::spawn(async move {
            let result = ckisa_watch::probe(&spec).await;
            let _ = results.send((index, result));
        });
    }
}

fn hook_spec(hook: &Hook) -> Arc<HookSpec> {
    Arc::new(HookSpec {
        program: PathBuf::from(&hook.program),
        args: hook.args.clone(),
        timeout: DEFAULT_HOOK_TIMEOUT,
    })
}

/// Runs the hook for `alert` in its own task and logs how it went (the
/// alert's key, never its evidence).
fn spawn_hook(hook: Arc<HookSpec>, alert: HookAlert) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        match ckisa_watch::run_hook(&hook, &alert).await {
            Ok(_) => tracing::info!(
                key = %alert.key,
                program = %hook.program.display(),
                "alert hook done"
            ),
            Err(error) => tracing::warn!(key = %alert.key, %error, "alert hook failed"),
        }
    })
}

/// The watch's task: a round every `period` until `shutdown`, the probes
/// started as they fall due, the hook run for every alert raised.
async fn run(
    watcher: Watcher,
    factory: Arc<EventFactory>,
    mut probes: Vec<ProbeSlot>,
    hook: Option<Arc<HookSpec>>,
    period: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let watcher = Arc::new(Mutex::new(watcher));
    let (sender, mut results) = mpsc::unbounded_channel::<(usize, ProbeResult)>();
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        let mut came_in = Vec::new();
        while let Ok((index, result)) = results.try_recv() {
            if let Some(slot) = probes.get_mut(index) {
                slot.busy = false;
            }
            came_in.push(result);
        }
        start_due_probes(&mut probes, &sender);

        let now_ms = factory.now_ms();
        let shared = Arc::clone(&watcher);
        let round = tokio::task::spawn_blocking(move || {
            shared
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .round(now_ms, came_in)
        })
        .await;
        match round {
            Ok(Ok(raised)) => {
                if let Some(hook) = &hook {
                    for alert in raised {
                        spawn_hook(Arc::clone(hook), alert);
                    }
                }
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "outage watch round failed; the next one runs as usual");
            }
            Err(error) => {
                tracing::error!(%error, "outage watch round panicked; the next one runs as usual");
            }
        }
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
