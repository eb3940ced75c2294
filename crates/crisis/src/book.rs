//! The crisis book: every crisis fact of the log, folded in order into what
//! the capsule shows (the crisis and its phase, the main courante,
//! decisions, tasks, unit reports, stock counts, action-card ticks, alerts).
//!
//! The book is rebuilt from the log at start and kept up to date by
//! applying each new crisis event, whichever process or node wrote it.
//! [`Book::check`] says whether a fact someone wants to record makes sense
//! now (a crisis cannot be declared twice, a task update needs its task);
//! [`Book::apply`] never refuses what is already in the log, so that every
//! node folding the same events ends with the same book.

use std::collections::HashMap;

use ckisa_domain::{
    Actor, AlertKind, Assignee, CrisisFact, CrisisId, Event, EventId, Fact, ItemId, TaskStatus,
    UnitReport,
};

/// Longest free text accepted in a crisis form, in characters.
pub const MAX_TEXT: usize = 4000;

/// Where the establishment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// No crisis open.
    Normal,
    /// A crisis is declared and running.
    Declared,
    /// Recovery announced: the HIS is coming back.
    Recovery,
}

/// Something recorded: when and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// Event time (its clock), ms since the Unix epoch.
    pub at_ms: i64,
    /// Account login, or `système` for the node.
    pub by: String,
    /// The event.
    pub event: EventId,
    /// The crisis open at that moment, if any.
    pub crisis: Option<CrisisId>,
}

/// One lifecycle transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// When and who.
    pub stamp: Stamp,
    /// What happened.
    pub kind: TransitionKind,
    /// Why, as typed.
    pub reason: String,
}

/// The kinds of transitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransitionKind {
    /// Declared at a level.
    Declared(u8),
    /// Level changed.
    Level(u8),
    /// Recovery announced.
    Recovery,
    /// Closed.
    Closed,
}

/// One crisis, open or closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crisis {
    /// Id.
    pub id: CrisisId,
    /// Every transition, in order; the first is the declaration.
    pub transitions: Vec<Transition>,
}

impl Crisis {
    /// When it was declared, ms since the Unix epoch.
    pub fn declared_ms(&self) -> i64 {
        self.transitions.first().map_or(0, |t| t.stamp.at_ms)
    }

    /// Current level.
    pub fn level(&self) -> u8 {
        self.transitions
            .iter()
            .rev()
            .find_map(|t| match t.kind {
                TransitionKind::Declared(level) | TransitionKind::Level(level) => Some(level),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// When it was closed, if it was.
    pub fn closed_ms(&self) -> Option<i64> {
        self.find(TransitionKind::Closed).map(|t| t.stamp.at_ms)
    }

    /// When recovery was (last) announced, if it was.
    pub fn recovery_ms(&self) -> Option<i64> {
        self.transitions
            .iter()
            .rev()
            .find(|t| t.kind == TransitionKind::Recovery)
            .map(|t| t.stamp.at_ms)
    }

    /// Phase while open; `Normal` once closed. A level change after
    /// recovery was announced (the outage flares up again) puts the crisis
    /// back in the declared phase.
    pub fn phase(&self) -> Phase {
        let mut phase = Phase::Declared;
        for transition in &self.transitions {
            phase = match transition.kind {
                TransitionKind::Declared(_) | TransitionKind::Level(_) => Phase::Declared,
                TransitionKind::Recovery => Phase::Recovery,
                TransitionKind::Closed => return Phase::Normal,
            };
        }
        phase
    }

    /// The declaration's reason.
    pub fn reason(&self) -> &str {
        self.transitions.first().map_or("", |t| t.reason.as_str())
    }

    /// Whether `at_ms` falls within the crisis (declaration to close).
    pub fn covers(&self, at_ms: i64) -> bool {
        at_ms >= self.declared_ms() && self.closed_ms().is_none_or(|end| at_ms <= end)
    }

    fn find(&self, kind: TransitionKind) -> Option<&Transition> {
        self.transitions.iter().find(|t| t.kind == kind)
    }
}

/// A main courante entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Id.
    pub id: ItemId,
    /// When and who.
    pub stamp: Stamp,
    /// Text.
    pub text: String,
    /// The entry it corrects.
    pub corrects: Option<ItemId>,
    /// Later entries correcting this one.
    pub corrected_by: Vec<ItemId>,
}

/// A decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Id.
    pub id: ItemId,
    /// When and who recorded it.
    pub stamp: Stamp,
    /// What was decided.
    pub title: String,
    /// Who decided.
    pub decided_by: String,
    /// Why.
    pub rationale: String,
    /// What follows.
    pub follow_up: String,
}

/// A task and its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Id.
    pub id: ItemId,
    /// When and who created it.
    pub stamp: Stamp,
    /// What to do.
    pub title: String,
    /// Details.
    pub detail: String,
    /// Current owner.
    pub assignee: Assignee,
    /// Current deadline.
    pub due_ms: Option<i64>,
    /// The owner it was created for (kept when reassigned).
    pub first_assignee: Assignee,
    /// The deadline it was created with (kept when moved).
    pub first_due_ms: Option<i64>,
    /// Current status.
    pub status: TaskStatus,
    /// The decision it follows from.
    pub decision: Option<ItemId>,
    /// Every change, in order.
    pub history: Vec<TaskChange>,
}

impl Task {
    /// When it was finished or cancelled, if it was.
    pub fn ended_ms(&self) -> Option<i64> {
        if self.status.is_open() {
            return None;
        }
        self.history.last().map(|c| c.stamp.at_ms)
    }

    /// Whether it is open past its deadline at `now_ms`.
    pub fn overdue(&self, now_ms: i64) -> bool {
        self.status.is_open() && self.due_ms.is_some_and(|due| due < now_ms)
    }

    /// How late it ended (or is, if still open), in ms; 0 when on time or
    /// without deadline.
    pub fn delay_ms(&self, now_ms: i64) -> i64 {
        let end = self.ended_ms().unwrap_or(now_ms);
        self.due_ms.map_or(0, |due| (end - due).max(0))
    }
}

/// One change to a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskChange {
    /// When and who.
    pub stamp: Stamp,
    /// Status after the change.
    pub status: TaskStatus,
    /// New owner, when reassigned.
    pub assignee: Option<Assignee>,
    /// New deadline, when moved.
    pub due_ms: Option<i64>,
    /// Note.
    pub note: String,
}

/// A unit report as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEntry {
    /// When and who.
    pub stamp: Stamp,
    /// The report.
    pub report: UnitReport,
}

/// A stock count as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct StockCount {
    /// When and who.
    pub stamp: Stamp,
    /// Stock code.
    pub stock: String,
    /// Quantity on hand.
    pub quantity: f64,
    /// Comment.
    pub comment: String,
}

/// An alert and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Id.
    pub id: ItemId,
    /// When raised and by whom (usually the node).
    pub stamp: Stamp,
    /// Stable key of what is watched.
    pub key: String,
    /// Kind.
    pub kind: AlertKind,
    /// Subject (feed, probe, activity, stock).
    pub subject: String,
    /// Since when the condition holds.
    pub since_ms: i64,
    /// Evidence, in French.
    pub evidence: String,
    /// Who acknowledged it, when.
    pub acknowledged: Vec<Stamp>,
    /// When it was cleared and why.
    pub cleared: Option<(Stamp, String)>,
}

impl Alert {
    /// Whether its condition still holds.
    pub fn is_open(&self) -> bool {
        self.cleared.is_none()
    }
}

/// An action-card step's tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    /// When and who.
    pub stamp: Stamp,
    /// Ticked or unticked.
    pub done: bool,
}

/// Why a fact cannot be recorded now, in French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// A refusal, shown as a sentence (capital first letter).
fn refuse<T>(text: impl Into<String>) -> Result<T, Refusal> {
    let text = text.into();
    let mut chars = text.chars();
    let sentence = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    };
    Err(Refusal(sentence))
}

/// Everything the crisis facts of the log say, folded.
#[derive(Debug, Clone, Default)]
pub struct Book {
    crises: Vec<Crisis>,
    log: Vec<LogEntry>,
    decisions: Vec<Decision>,
    tasks: Vec<Task>,
    task_index: HashMap<ItemId, usize>,
    reports: Vec<ReportEntry>,
    stocks: Vec<StockCount>,
    ticks: HashMap<(CrisisId, String, u32), Tick>,
    alerts: Vec<Alert>,
    /// Crises declared while another was open (two people on two nodes or
    /// processes at once): each stands for the open one it joined.
    aliases: HashMap<CrisisId, CrisisId>,
    last: Option<EventId>,
    applied: u64,
}

impl Book {
    /// An empty book.
    pub fn new() -> Book {
        Book::default()
    }

    /// The last event folded in, to read the log after it.
    pub fn last_event(&self) -> Option<EventId> {
        self.last
    }

    /// How many crisis events were folded in.
    pub fn applied(&self) -> u64 {
        self.applied
    }

    /// The crisis open now (declared or in recovery), if any.
    pub fn active(&self) -> Option<&Crisis> {
        self.crises.last().filter(|c| c.phase() != Phase::Normal)
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.active().map_or(Phase::Normal, Crisis::phase)
    }

    /// Every crisis, oldest first.
    pub fn crises(&self) -> &[Crisis] {
        &self.crises
    }

    /// Until when what is recorded belongs to `crisis` for its
    /// re-integration: the next crisis's declaration, else `now_ms`. What
    /// follows the closing (identity matches, reconciliation marks) still
    /// belongs to it, so that the export carries it.
    pub fn aftermath_end(&self, crisis: &Crisis, now_ms: i64) -> i64 {
        self.crises
            .iter()
            .map(Crisis::declared_ms)
            .filter(|&declared| declared > crisis.declared_ms())
            .min()
            .map_or(now_ms, |next| next - 1)
    }

    /// One crisis by id (or by the id of a declaration that joined it).
    pub fn crisis(&self, id: &str) -> Option<&Crisis> {
        let id = CrisisId(id.to_owned());
        let id = self.aliases.get(&id).unwrap_or(&id);
        self.crises.iter().find(|c| &c.id == id)
    }

    /// Main courante entries, oldest first; `crisis` selects those written
    /// during one crisis.
    pub fn log(&self, crisis: Option<&CrisisId>) -> Vec<&LogEntry> {
        self.log
            .iter()
            .filter(|e| crisis.is_none() || e.stamp.crisis.as_ref() == crisis)
            .collect()
    }

    /// One entry by id.
    pub fn log_entry(&self, id: &str) -> Option<&LogEntry> {
        self.log.iter().find(|e| e.id.0 == id)
    }

    /// Decisions, oldest first.
    pub fn decisions(&self, crisis: Option<&CrisisId>) -> Vec<&Decision> {
        self.decisions
            .iter()
            .filter(|d| crisis.is_none() || d.stamp.crisis.as_ref() == crisis)
            .collect()
    }

    /// Tasks, oldest first.
    pub fn tasks(&self, crisis: Option<&CrisisId>) -> Vec<&Task> {
        self.tasks
            .iter()
            .filter(|t| crisis.is_none() || t.stamp.crisis.as_ref() == crisis)
            .collect()
    }

    /// One task by id.
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.task_index
            .get(&ItemId(id.to_owned()))
            .map(|&i| &self.tasks[i])
    }

    /// Unit reports, oldest first.
    pub fn reports(&self, crisis: Option<&CrisisId>) -> Vec<&ReportEntry> {
        self.reports
            .iter()
            .filter(|r| crisis.is_none() || r.stamp.crisis.as_ref() == crisis)
            .collect()
    }

    /// The latest report of each unit since `since_ms`.
    pub fn latest_reports(&self, since_ms: i64) -> HashMap<&str, &ReportEntry> {
        let mut latest = HashMap::new();
        for entry in self.reports.iter().filter(|r| r.stamp.at_ms >= since_ms) {
            latest.insert(entry.report.unit.as_str(), entry);
        }
        latest
    }

    /// Stock counts of one stock, oldest first.
    pub fn stock_counts(&self, stock: &str) -> Vec<&StockCount> {
        self.stocks.iter().filter(|c| c.stock == stock).collect()
    }

    /// All stock counts, oldest first.
    pub fn all_stock_counts(&self) -> &[StockCount] {
        &self.stocks
    }

    /// The tick of one step of a card during one crisis.
    pub fn tick(&self, crisis: &CrisisId, card: &str, step: u32) -> Option<&Tick> {
        self.ticks.get(&(crisis.clone(), card.to_owned(), step))
    }

    /// Alerts, oldest first.
    pub fn alerts(&self) -> &[Alert] {
        &self.alerts
    }

    /// Alerts whose condition still holds, newest first.
    pub fn open_alerts(&self) -> Vec<&Alert> {
        self.alerts.iter().rev().filter(|a| a.is_open()).collect()
    }

    /// The open alert with this key, if any.
    pub fn open_alert(&self, key: &str) -> Option<&Alert> {
        self.alerts.iter().find(|a| a.is_open() && a.key == key)
    }

    /// Whether `fact` may be recorded now. Plan references (levels, cards,
    /// stocks, units) are the caller's to check.
    pub fn check(&self, fact: &CrisisFact) -> Result<(), Refusal> {
        match fact {
            CrisisFact::Declared { reason, .. } => {
                text("motif", reason, true)?;
                if let Some(open) = self.active() {
                    return refuse(format!(
                        "une crise est déjà ouverte (niveau {}) : changez son niveau plutôt que d'en déclarer une autre",
                        open.level()
                    ));
                }
                Ok(())
            }
            CrisisFact::LevelChanged {
                crisis,
                level,
                reason,
            } => {
                text("motif", reason, true)?;
                let open = self.open_crisis(crisis)?;
                if open.level() == *level {
                    return refuse(format!("la crise est déjà au niveau {level}"));
                }
                Ok(())
            }
            CrisisFact::RecoveryAnnounced { crisis, reason } => {
                text("motif", reason, true)?;
                if self.open_crisis(crisis)?.phase() == Phase::Recovery {
                    return refuse("le retour à la normale est déjà annoncé");
                }
                Ok(())
            }
            CrisisFact::Closed { crisis, reason } => {
                text("motif", reason, true)?;
                self.open_crisis(crisis).map(drop)
            }
            CrisisFact::LogEntry {
                id,
                text: body,
                corrects,
            } => {
                text("texte", body, true)?;
                if self.log_entry(&id.0).is_some() {
                    return refuse("cette entrée de main courante existe déjà");
                }
                if let Some(old) = corrects
                    && self.log_entry(&old.0).is_none()
                {
                    return refuse("l'entrée à corriger n'existe pas");
                }
                Ok(())
            }
            CrisisFact::Decision {
                title,
                decided_by,
                rationale,
                follow_up,
                ..
            } => {
                text("décision", title, true)?;
                text("décideur", decided_by, true)?;
                text("motif", rationale, false)?;
                text("suites", follow_up, false)
            }
            CrisisFact::TaskCreated {
                title,
                detail,
                assignee,
                decision,
                ..
            } => {
                text("tâche", title, true)?;
                text("détail", detail, false)?;
                assignee_ok(assignee)?;
                if let Some(decision) = decision
                    && !self.decisions.iter().any(|d| &d.id == decision)
                {
                    return refuse("la décision liée n'existe pas");
                }
                Ok(())
            }
            CrisisFact::TaskUpdated {
                id, assignee, note, ..
            } => {
                text("note", note, false)?;
                if let Some(assignee) = assignee {
                    assignee_ok(assignee)?;
                }
                if self.task(&id.0).is_none() {
                    return refuse("cette tâche n'existe pas");
                }
                Ok(())
            }
            CrisisFact::UnitReported(report) => {
                text("besoins", &report.needs, false)?;
                text("commentaire", &report.comment, false)?;
                if report.staff_present > 10_000 || report.staff_needed > 10_000 {
                    return refuse("effectif invraisemblable (plus de 10 000)");
                }
                Ok(())
            }
            CrisisFact::StockCounted {
                quantity, comment, ..
            } => {
                text("commentaire", comment, false)?;
                if !quantity.is_finite() || *quantity < 0.0 {
                    return refuse("la quantité doit être un nombre positif ou nul");
                }
                Ok(())
            }
            CrisisFact::CardStep { .. } => match self.active() {
                Some(_) => Ok(()),
                None => refuse("les fiches réflexes se cochent pendant une crise déclarée"),
            },
            CrisisFact::AlertRaised { key, evidence, .. } => {
                text("preuve", evidence, true)?;
                if self.open_alert(key).is_some() {
                    return refuse("cette alerte est déjà ouverte");
                }
                Ok(())
            }
            CrisisFact::AlertAcknowledged { id } | CrisisFact::AlertCleared { id, .. } => {
                match self.alerts.iter().find(|a| &a.id == id) {
                    Some(alert) if alert.is_open() => Ok(()),
                    Some(_) => refuse("cette alerte est déjà levée"),
                    None => refuse("cette alerte n'existe pas"),
                }
            }
        }
    }

    fn open_crisis(&self, id: &CrisisId) -> Result<&Crisis, Refusal> {
        let id = self.aliases.get(id).unwrap_or(id);
        match self.active() {
            Some(open) if &open.id == id => Ok(open),
            Some(_) => refuse("ce n'est pas la crise en cours"),
            None => refuse("aucune crise n'est ouverte"),
        }
    }

    /// Folds one event in; events that are not crisis facts are ignored.
    pub fn apply(&mut self, event: &Event) {
        let Fact::Crisis(fact) = &event.fact else {
            return;
        };
        self.last = Some(event.id);
        self.applied += 1;
        let at_ms = i64::try_from(event.hlc.unix_ms()).unwrap_or(i64::MAX);
        let stamp = Stamp {
            at_ms,
            by: match &event.actor {
                Actor::User(login) => login.clone(),
                Actor::Feed(feed) => format!("flux {feed}"),
                Actor::System => String::from("système"),
            },
            event: event.id,
            crisis: self.active().map(|c| c.id.clone()),
        };
        self.fold(stamp, fact.clone());
    }

    fn fold(&mut self, stamp: Stamp, fact: CrisisFact) {
        match fact {
            CrisisFact::Declared {
                crisis,
                level,
                reason,
            } => {
                // A second declaration while a crisis is open (made at the
                // same time elsewhere) joins the open one as a level change,
                // so that there is never more than one open crisis; its id
                // keeps working for later transitions.
                if let Some(open) = self.active().map(|c| c.id.clone()) {
                    self.aliases.insert(crisis, open.clone());
                    self.transition(&open, stamp, TransitionKind::Level(level), reason);
                    return;
                }
                let stamp = Stamp {
                    crisis: Some(crisis.clone()),
                    ..stamp
                };
                self.crises.push(Crisis {
                    id: crisis,
                    transitions: vec![Transition {
                        stamp,
                        kind: TransitionKind::Declared(level),
                        reason,
                    }],
                });
            }
            CrisisFact::LevelChanged {
                crisis,
                level,
                reason,
            } => self.transition(&crisis, stamp, TransitionKind::Level(level), reason),
            CrisisFact::RecoveryAnnounced { crisis, reason } => {
                self.transition(&crisis, stamp, TransitionKind::Recovery, reason);
            }
            CrisisFact::Closed { crisis, reason } => {
                self.transition(&crisis, stamp, TransitionKind::Closed, reason);
            }
            CrisisFact::LogEntry { id, text, corrects } => {
                // An id seen before (an event synced twice under another
                // event id) adds nothing.
                if self.log.iter().any(|e| e.id == id) {
                    return;
                }
                if let Some(old) = &corrects
                    && let Some(entry) = self.log.iter_mut().find(|e| &e.id == old)
                {
                    entry.corrected_by.push(id.clone());
                }
                self.log.push(LogEntry {
                    id,
                    stamp,
                    text,
                    corrects,
                    corrected_by: Vec::new(),
                });
            }
            CrisisFact::Decision {
                id,
                title,
                decided_by,
                rationale,
                follow_up,
            } => self.decisions.push(Decision {
                id,
                stamp,
                title,
                decided_by,
                rationale,
                follow_up,
            }),
            CrisisFact::TaskCreated {
                id,
                title,
                detail,
                assignee,
                due_ms,
                decision,
            } => {
                if self.task_index.contains_key(&id) {
                    return;
                }
                self.task_index.insert(id.clone(), self.tasks.len());
                self.tasks.push(Task {
                    id,
                    stamp,
                    title,
                    detail,
                    first_assignee: assignee.clone(),
                    first_due_ms: due_ms,
                    assignee,
                    due_ms,
                    status: TaskStatus::Open,
                    decision,
                    history: Vec::new(),
                });
            }
            CrisisFact::TaskUpdated {
                id,
                status,
                assignee,
                due_ms,
                note,
            } => {
                let Some(&index) = self.task_index.get(&id) else {
                    return;
                };
                let task = &mut self.tasks[index];
                task.status = status;
                if let Some(assignee) = &assignee {
                    task.assignee = assignee.clone();
                }
                if due_ms.is_some() {
                    task.due_ms = due_ms;
                }
                task.history.push(TaskChange {
                    stamp,
                    status,
                    assignee,
                    due_ms,
                    note,
                });
            }
            CrisisFact::UnitReported(report) => self.reports.push(ReportEntry { stamp, report }),
            CrisisFact::StockCounted {
                stock,
                quantity,
                comment,
            } => self.stocks.push(StockCount {
                stamp,
                stock,
                quantity,
                comment,
            }),
            CrisisFact::CardStep { card, step, done } => {
                if let Some(crisis) = stamp.crisis.clone() {
                    self.ticks
                        .insert((crisis, card, step), Tick { stamp, done });
                }
            }
            CrisisFact::AlertRaised {
                id,
                key,
                kind,
                subject,
                since_ms,
                evidence,
            } => self.alerts.push(Alert {
                id,
                stamp,
                key,
                kind,
                subject,
                since_ms,
                evidence,
                acknowledged: Vec::new(),
                cleared: None,
            }),
            CrisisFact::AlertAcknowledged { id } => {
                if let Some(alert) = self.alerts.iter_mut().find(|a| a.id == id) {
                    alert.acknowledged.push(stamp);
                }
            }
            CrisisFact::AlertCleared { id, reason } => {
                if let Some(alert) = self.alerts.iter_mut().find(|a| a.id == id)
                    && alert.cleared.is_none()
                {
                    alert.cleared = Some((stamp, reason));
                }
            }
        }
    }

    fn transition(&mut self, id: &CrisisId, stamp: Stamp, kind: TransitionKind, reason: String) {
        let id = self.aliases.get(id).unwrap_or(id).clone();
        match self.crises.iter_mut().find(|c| c.id == id) {
            Some(crisis) if crisis.closed_ms().is_none() => crisis.transitions.push(Transition {
                stamp: Stamp {
                    crisis: Some(id.clone()),
                    ..stamp
                },
                kind,
                reason,
            }),
            // A transition for an unknown or closed crisis stays in the log
            // but changes nothing: the fold accepts whatever the log holds.
            _ => {}
        }
    }
}

fn text(field: &str, value: &str, required: bool) -> Result<(), Refusal> {
    if required && value.trim().is_empty() {
        return refuse(format!("le champ « {field} » est obligatoire"));
    }
    let length = value.chars().count();
    if length > MAX_TEXT {
        return refuse(format!(
            "le champ « {field} » dépasse {MAX_TEXT} caractères ({length})"
        ));
    }
    Ok(())
}

fn assignee_ok(assignee: &Assignee) -> Result<(), Refusal> {
    let (Assignee::Person(name) | Assignee::Role(name) | Assignee::Unit(name)) = assignee;
    if name.trim().is_empty() {
        return refuse("la tâche doit être confiée à une personne, un rôle ou une unité");
    }
    Ok(())
}

/// A stock's position projected from its counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StockProjection {
    /// Latest quantity counted.
    pub quantity: f64,
    /// When it was counted.
    pub counted_ms: i64,
    /// Consumption per day (observed, or the plan's usual figure).
    pub per_day: Option<f64>,
    /// Whether `per_day` comes from counts (true) or the plan (false).
    pub observed: bool,
    /// Days remaining at that rate from now.
    pub days_left: Option<f64>,
}

/// Projects a stock from its counts (oldest first): the consumption is the
/// drop between the first and last count of the last 48 hours (a
/// restocking in between resets the start), or `usual_per_day` when counts
/// do not show one.
pub fn project_stock(
    counts: &[&StockCount],
    usual_per_day: Option<f64>,
    now_ms: i64,
) -> Option<StockProjection> {
    const WINDOW_MS: i64 = 48 * 3_600_000;
    let last = counts.last()?;
    let window: Vec<&&StockCount> = counts
        .iter()
        .filter(|c| c.stamp.at_ms >= last.stamp.at_ms - WINDOW_MS)
        .collect();
    // Start after the last restocking (a count higher than the one before).
    let mut start = 0;
    for i in 1..window.len() {
        if window[i].quantity > window[i - 1].quantity {
            start = i;
        }
    }
    let first = window[start];
    let span_ms = last.stamp.at_ms - first.stamp.at_ms;
    let observed = (span_ms >= 3_600_000 && first.quantity > last.quantity)
        .then(|| (first.quantity - last.quantity) * 86_400_000.0 / span_ms as f64);
    let per_day = observed.or(usual_per_day.filter(|d| *d > 0.0));
    let days_left = per_day.map(|rate| {
        let since_count = (now_ms - last.stamp.at_ms).max(0) as f64 / 86_400_000.0;
        (last.quantity / rate - since_count).max(0.0)
    });
    Some(StockProjection {
        quantity: last.quantity,
        counted_ms: last.stamp.at_ms,
        per_day,
        observed: observed.is_some(),
        days_left,
    })
}

#[cfg(test)]
mod tests {
    use ckisa_domain::{Hlc, NodeId, Rag, Source, SourceChannel};

    use super::*;

    struct Script {
        book: Book,
        ms: u64,
    }

    impl Script {
        fn new() -> Script {
            Script {
                book: Book::new(),
                ms: 1_780_000_000_000,
            }
        }

        fn at(&mut self, minutes: u64) -> &mut Script {
            self.ms += minutes * 60_000;
            self
        }

        /// Checks then applies, as the web does.
        fn record(&mut self, who: &str, fact: CrisisFact) -> Result<(), Refusal> {
            self.book.check(&fact)?;
            self.ms += 1;
            let event = Event {
                id: EventId::new(self.ms),
                hlc: Hlc::new(self.ms, 0),
                origin: NodeId("n".into()),
                actor: Actor::User(who.into()),
                source: Source {
                    channel: SourceChannel::User,
                    origin: "web".into(),
                    message_id: None,
                    sender: None,
                    fhir_id: None,
                },
                fact: Fact::Crisis(fact),
            };
            self.book.apply(&event);
            Ok(())
        }
    }

    fn id(text: &str) -> ItemId {
        ItemId(text.into())
    }

    fn declare(level: u8) -> CrisisFact {
        CrisisFact::Declared {
            crisis: CrisisId("c1".into()),
            level,
            reason: "DPI injoignable depuis 8 h 10".into(),
        }
    }

    fn c1() -> CrisisId {
        CrisisId("c1".into())
    }

    #[test]
    fn the_lifecycle_runs_declared_level_recovery_closed_and_refuses_the_rest() {
        let mut s = Script::new();
        assert_eq!(s.book.phase(), Phase::Normal);
        let close = CrisisFact::Closed {
            crisis: c1(),
            reason: "fin".into(),
        };
        assert!(s.record("dir", close.clone()).is_err(), "nothing to close");
        s.record("dir", declare(2)).unwrap();
        assert_eq!(s.book.phase(), Phase::Declared);
        let again = s.record("dir", declare(3)).unwrap_err();
        assert!(again.0.contains("déjà ouverte"), "{again}");
        let same = CrisisFact::LevelChanged {
            crisis: c1(),
            level: 2,
            reason: "x".into(),
        };
        assert!(s.record("dir", same).is_err(), "same level");
        s.at(30)
            .record(
                "dir",
                CrisisFact::LevelChanged {
                    crisis: c1(),
                    level: 3,
                    reason: "bloc à l'arrêt".into(),
                },
            )
            .unwrap();
        assert_eq!(s.book.active().unwrap().level(), 3);
        let recovery = CrisisFact::RecoveryAnnounced {
            crisis: c1(),
            reason: "flux ADT revenu".into(),
        };
        s.at(60).record("dir", recovery.clone()).unwrap();
        assert_eq!(s.book.phase(), Phase::Recovery);
        assert!(s.record("dir", recovery.clone()).is_err(), "recovery twice");
        // The outage flares up again: a level change reopens the crisis.
        let flare = CrisisFact::LevelChanged {
            crisis: c1(),
            level: 2,
            reason: "le SIH retombe".into(),
        };
        s.record("dir", flare).unwrap();
        assert_eq!(s.book.phase(), Phase::Declared);
        s.record("dir", recovery).unwrap();
        assert_eq!(s.book.phase(), Phase::Recovery);
        let empty = CrisisFact::Closed {
            crisis: c1(),
            reason: "  ".into(),
        };
        assert!(
            s.record("dir", empty)
                .unwrap_err()
                .0
                .contains("obligatoire")
        );
        s.at(5).record("dir", close.clone()).unwrap();
        assert_eq!(s.book.phase(), Phase::Normal);
        assert!(s.book.active().is_none());
        let crisis = &s.book.crises()[0];
        assert_eq!(
            crisis.transitions.len(),
            6,
            "declared, level, recovery, level, recovery, closed"
        );
        assert_eq!(
            crisis.closed_ms().unwrap() - crisis.declared_ms(),
            95 * 60_000 + 5
        );
        assert!(s.record("dir", close).is_err(), "closed twice");
    }

    #[test]
    fn two_declarations_made_at_once_elsewhere_give_one_crisis() {
        let mut s = Script::new();
        s.record("dir", declare(2)).unwrap();
        // A second node declared too before seeing the first: applied
        // without the check, as a synced event would be.
        let second = CrisisFact::Declared {
            crisis: CrisisId("c2".into()),
            level: 3,
            reason: "déclarée aussi par l'astreinte".into(),
        };
        s.ms += 1;
        let event = Event {
            id: EventId::new(s.ms),
            hlc: Hlc::new(s.ms, 0),
            origin: NodeId("autre".into()),
            actor: Actor::User("astreinte".into()),
            source: Source {
                channel: SourceChannel::User,
                origin: "cli".into(),
                message_id: None,
                sender: None,
                fhir_id: None,
            },
            fact: Fact::Crisis(second),
        };
        s.book.apply(&event);
        assert_eq!(s.book.crises().len(), 1);
        assert_eq!(s.book.active().unwrap().level(), 3);
        assert_eq!(s.book.crisis("c2").unwrap().id, c1());
        // Closing through either id closes the one crisis.
        let close = CrisisFact::Closed {
            crisis: CrisisId("c2".into()),
            reason: "fin".into(),
        };
        s.record("astreinte", close).unwrap();
        assert_eq!(s.book.phase(), Phase::Normal);
        assert!(s.book.crises()[0].closed_ms().is_some());
    }

    #[test]
    fn the_main_courante_takes_corrections_as_new_entries() {
        let mut s = Script::new();
        s.record("dir", declare(1)).unwrap();
        let first = CrisisFact::LogEntry {
            id: id("e1"),
            text: "Appel du SAMU : 3 victimes attendues".into(),
            corrects: None,
        };
        s.record("cellule", first.clone()).unwrap();
        let again = s.record("cellule", first).unwrap_err();
        assert!(again.0.contains("existe déjà"), "{again}");
        let wrong = CrisisFact::LogEntry {
            id: id("e2"),
            text: "correction".into(),
            corrects: Some(id("nope")),
        };
        assert!(s.record("cellule", wrong).is_err());
        let fix = CrisisFact::LogEntry {
            id: id("e2"),
            text: "Correction : 5 victimes attendues".into(),
            corrects: Some(id("e1")),
        };
        s.record("cellule", fix).unwrap();
        let log = s.book.log(Some(&c1()));
        assert_eq!(log.len(), 2);
        assert_eq!(
            log[0].text, "Appel du SAMU : 3 victimes attendues",
            "kept as written"
        );
        assert_eq!(log[0].corrected_by, vec![id("e2")]);
        assert_eq!(log[1].stamp.by, "cellule");
        let long = CrisisFact::LogEntry {
            id: id("e3"),
            text: "x".repeat(MAX_TEXT + 1),
            corrects: None,
        };
        assert!(s.record("cellule", long).unwrap_err().0.contains("dépasse"));
    }

    #[test]
    fn tasks_keep_their_history_and_delays() {
        let mut s = Script::new();
        s.record("dir", declare(2)).unwrap();
        let start = s.ms as i64;
        let task = CrisisFact::TaskCreated {
            id: id("t1"),
            title: "Imprimer les plans de soins".into(),
            detail: String::new(),
            assignee: Assignee::Unit("REA".into()),
            due_ms: Some(start + 30 * 60_000),
            decision: None,
        };
        s.record("dir", task).unwrap();
        let orphan = CrisisFact::TaskUpdated {
            id: id("t9"),
            status: TaskStatus::Done,
            assignee: None,
            due_ms: None,
            note: String::new(),
        };
        assert!(s.record("cadre", orphan).is_err());
        let now = start + 45 * 60_000;
        assert!(s.book.task("t1").unwrap().overdue(now));
        s.at(50)
            .record(
                "cadre",
                CrisisFact::TaskUpdated {
                    id: id("t1"),
                    status: TaskStatus::Done,
                    assignee: Some(Assignee::Person("cadre".into())),
                    due_ms: None,
                    note: "fait".into(),
                },
            )
            .unwrap();
        let task = s.book.task("t1").unwrap();
        assert_eq!(task.status, TaskStatus::Done);
        assert_eq!(task.assignee, Assignee::Person("cadre".into()));
        assert_eq!(task.history.len(), 1);
        assert!(!task.overdue(now + 3_600_000));
        assert_eq!(
            task.delay_ms(0),
            20 * 60_000 + 2,
            "created 1 ms after start, done 1 ms after 50 min"
        );
    }

    #[test]
    fn card_ticks_belong_to_the_crisis_and_alerts_open_once() {
        let mut s = Script::new();
        let tick = CrisisFact::CardStep {
            card: "cadre-1".into(),
            step: 0,
            done: true,
        };
        assert!(s.record("cadre", tick.clone()).is_err(), "no crisis");
        let alert = CrisisFact::AlertRaised {
            id: id("a1"),
            key: "silence:adt".into(),
            kind: AlertKind::FeedSilent,
            subject: "adt".into(),
            since_ms: 1,
            evidence: "silence".into(),
        };
        s.record("système", alert.clone()).unwrap();
        assert!(
            s.record("système", alert).is_err(),
            "one open alert per key"
        );
        s.record("dir", declare(1)).unwrap();
        s.record("cadre", tick).unwrap();
        assert!(s.book.tick(&c1(), "cadre-1", 0).unwrap().done);
        assert!(s.book.tick(&c1(), "cadre-1", 1).is_none());
        s.record("dir", CrisisFact::AlertAcknowledged { id: id("a1") })
            .unwrap();
        s.record(
            "système",
            CrisisFact::AlertCleared {
                id: id("a1"),
                reason: "le flux reprend".into(),
            },
        )
        .unwrap();
        assert!(s.book.open_alerts().is_empty());
        assert!(
            s.record("dir", CrisisFact::AlertAcknowledged { id: id("a1") })
                .is_err()
        );
    }

    #[test]
    fn latest_reports_and_stock_projection() {
        let mut s = Script::new();
        s.record("dir", declare(1)).unwrap();
        let report = |unit: &str, status| {
            CrisisFact::UnitReported(UnitReport {
                unit: unit.into(),
                staff_present: 8,
                staff_needed: 10,
                status,
                needs: String::new(),
                comment: String::new(),
            })
        };
        s.record("cadre", report("REA", Rag::Green)).unwrap();
        s.at(60).record("cadre", report("REA", Rag::Red)).unwrap();
        let latest = s.book.latest_reports(0);
        assert_eq!(latest["REA"].report.status, Rag::Red);
        assert!(s.book.latest_reports(s.ms as i64 + 1).is_empty());

        let count = |q: f64| CrisisFact::StockCounted {
            stock: "O2".into(),
            quantity: q,
            comment: String::new(),
        };
        assert!(s.record("pharma", count(f64::NAN)).is_err());
        assert!(s.record("pharma", count(-1.0)).is_err());
        s.record("pharma", count(100.0)).unwrap();
        s.at(12 * 60).record("pharma", count(80.0)).unwrap();
        let counts = s.book.stock_counts("O2");
        let p = project_stock(&counts, Some(10.0), s.ms as i64).unwrap();
        let per_day = p.per_day.unwrap();
        assert!(p.observed);
        assert!((per_day - 40.0).abs() < 0.01, "{per_day}");
        assert!((p.days_left.unwrap() - 2.0).abs() < 0.01);
        // A restocking restarts the measure; one count alone uses the plan.
        s.at(60).record("pharma", count(200.0)).unwrap();
        let counts = s.book.stock_counts("O2");
        let p = project_stock(&counts, Some(10.0), s.ms as i64).unwrap();
        assert!(!p.observed);
        assert_eq!(p.per_day, Some(10.0));
        assert!((p.days_left.unwrap() - 20.0).abs() < 0.01);
        assert!(project_stock(&[], None, 0).is_none());
    }
}
