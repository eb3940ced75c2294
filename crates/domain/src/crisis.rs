//! What people and the node assert about a crisis: its lifecycle, the crisis
//! log (main courante), decisions, tasks, unit status reports, stock counts,
//! action-card progress and outage alerts.
//!
//! Like clinical facts, these are events in the log: immutable, synced, and
//! dated by their event's clock. Nothing is edited in place: a correction
//! is a new log entry referring to the old one, a task change is a new
//! update, a lifted alert is a clearing event.

use serde::{Deserialize, Serialize};

/// A crisis's id (a UUIDv7 in text, chosen at declaration).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CrisisId(pub String);

/// The id of a log entry, decision, task or alert (a UUIDv7 in text).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemId(pub String);

/// Who a task is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Assignee {
    /// One account, by login.
    Person(String),
    /// Everyone holding a role, by role code.
    Role(String),
    /// A unit's team, by unit code.
    Unit(String),
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaskStatus {
    /// Not started.
    Open,
    /// Someone is on it.
    InProgress,
    /// Finished.
    Done,
    /// Abandoned, with the reason in the update's note.
    Cancelled,
}

impl TaskStatus {
    /// Whether the task still needs doing.
    pub fn is_open(self) -> bool {
        matches!(self, TaskStatus::Open | TaskStatus::InProgress)
    }
}

/// A traffic-light status (unit degraded mode, clocks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Rag {
    /// Working normally or coping.
    Green,
    /// Strained.
    Orange,
    /// Not coping.
    Red,
}

/// What kind of suspicion an alert carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlertKind {
    /// A feed has been silent longer than its pattern allows.
    FeedSilent,
    /// A feed's rate has collapsed.
    FeedRateLow,
    /// A configured probe of an HIS endpoint fails.
    ProbeFailed,
    /// The replica an activity depends on is older than its PDMA.
    PdmaExceeded,
    /// A critical stock is under its threshold.
    StockLow,
}

/// One unit manager's status report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitReport {
    /// Unit code.
    pub unit: String,
    /// Staff present now.
    pub staff_present: u32,
    /// Staff the unit needs now.
    pub staff_needed: u32,
    /// Degraded-mode status.
    pub status: Rag,
    /// Needs (free text, may be empty).
    pub needs: String,
    /// Comment (free text, may be empty).
    pub comment: String,
}

/// A crisis fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "crisis_fact", content = "data")]
pub enum CrisisFact {
    /// A crisis declared, with its level and reason.
    Declared {
        /// The new crisis.
        crisis: CrisisId,
        /// Level from the plan.
        level: u8,
        /// Why.
        reason: String,
    },
    /// The level changed.
    LevelChanged {
        /// The crisis.
        crisis: CrisisId,
        /// New level.
        level: u8,
        /// Why.
        reason: String,
    },
    /// The HIS is coming back: recovery announced.
    RecoveryAnnounced {
        /// The crisis.
        crisis: CrisisId,
        /// What was seen.
        reason: String,
    },
    /// The crisis is over.
    Closed {
        /// The crisis.
        crisis: CrisisId,
        /// Closing note.
        reason: String,
    },
    /// A line of the crisis log.
    LogEntry {
        /// Entry id.
        id: ItemId,
        /// The text.
        text: String,
        /// The entry this one corrects, if any.
        corrects: Option<ItemId>,
    },
    /// A decision.
    Decision {
        /// Decision id.
        id: ItemId,
        /// What was decided.
        title: String,
        /// Who decided (a name, which may differ from the one typing it).
        decided_by: String,
        /// Why.
        rationale: String,
        /// What follows from it.
        follow_up: String,
    },
    /// A task created.
    TaskCreated {
        /// Task id.
        id: ItemId,
        /// What to do.
        title: String,
        /// Details.
        detail: String,
        /// Who must do it.
        assignee: Assignee,
        /// Deadline, ms since the Unix epoch.
        due_ms: Option<i64>,
        /// The decision it follows from, if any.
        decision: Option<ItemId>,
    },
    /// A task changed (status, owner or deadline).
    TaskUpdated {
        /// Task id.
        id: ItemId,
        /// New status.
        status: TaskStatus,
        /// New owner, when reassigned.
        assignee: Option<Assignee>,
        /// New deadline, when moved.
        due_ms: Option<i64>,
        /// Why (may be empty).
        note: String,
    },
    /// A unit's status report.
    UnitReported(UnitReport),
    /// A count of a critical stock.
    StockCounted {
        /// Stock code from the plan.
        stock: String,
        /// Quantity on hand, in the stock's measure unit.
        quantity: f64,
        /// Comment (may be empty).
        comment: String,
    },
    /// A step of an action card ticked or unticked.
    CardStep {
        /// Card code from the plan.
        card: String,
        /// Step index, from 0.
        step: u32,
        /// Ticked.
        done: bool,
    },
    /// An alert raised by the node (or by a person).
    AlertRaised {
        /// Alert id.
        id: ItemId,
        /// Stable key of what is watched (`silence:adt`), one open alert per key.
        key: String,
        /// Kind.
        kind: AlertKind,
        /// Feed, probe, activity or stock concerned.
        subject: String,
        /// Since when the condition holds, ms since the Unix epoch.
        since_ms: i64,
        /// The evidence, in French.
        evidence: String,
    },
    /// An alert seen by someone.
    AlertAcknowledged {
        /// Alert id.
        id: ItemId,
    },
    /// An alert's condition is over.
    AlertCleared {
        /// Alert id.
        id: ItemId,
        /// Why, in French.
        reason: String,
    },
}

impl CrisisFact {
    /// A short stable name of the fact's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            CrisisFact::Declared { .. } => "declared",
            CrisisFact::LevelChanged { .. } => "level",
            CrisisFact::RecoveryAnnounced { .. } => "recovery",
            CrisisFact::Closed { .. } => "closed",
            CrisisFact::LogEntry { .. } => "log",
            CrisisFact::Decision { .. } => "decision",
            CrisisFact::TaskCreated { .. } => "task",
            CrisisFact::TaskUpdated { .. } => "task_update",
            CrisisFact::UnitReported(_) => "unit_report",
            CrisisFact::StockCounted { .. } => "stock",
            CrisisFact::CardStep { .. } => "card_step",
            CrisisFact::AlertRaised { .. } => "alert",
            CrisisFact::AlertAcknowledged { .. } => "alert_ack",
            CrisisFact::AlertCleared { .. } => "alert_cleared",
        }
    }
}
