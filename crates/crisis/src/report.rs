//! The figures of the after-action report (retour d'expérience): what a
//! crisis looked like from its declaration to its close, computed from the
//! [`Book`] and the [`Plan`] alone, without IO and without reading the clock.
//!
//! [`after_action`] gathers, for one crisis:
//! - its course: declaration, level changes, recovery, close, and the time
//!   spent at each level;
//! - one merged timeline of what happened, oldest first: transitions, main
//!   courante entries and their corrections, decisions, task creations and
//!   updates, alerts raised and cleared, unit reports and stock counts;
//! - the tasks with their delays and the figures on them;
//! - each unit's reporting against the plan's `unit_report_interval`;
//! - each critical stock's counts, its lowest point and when it reached
//!   its alert and critical thresholds;
//! - each activity's time without its HIS against its DMIA;
//! - the alerts that came before the declaration (how early the outage was
//!   seen).
//!
//! What belongs to the crisis is what the book stamped with it: a fact
//! recorded while the crisis was open (declaration to close included).
//! A crisis still open is reported as it stands at `now_ms`
//! ([`CrisisSummary::provisional`]).

use std::time::Duration;

use ckisa_domain::{AlertKind, Assignee, CrisisId, EventId, ItemId, Rag, TaskStatus};

use crate::book::{Alert, Book, Crisis, Decision, Stamp, StockCount, Task, TransitionKind};
use crate::plan::{ClockState, Criticality, Plan, StockLevel, activity_clocks};

/// Everything the after-action report of one crisis shows.
#[derive(Debug, Clone, PartialEq)]
pub struct AfterAction {
    /// The crisis's course.
    pub crisis: CrisisSummary,
    /// What happened, oldest first.
    pub timeline: Vec<TimelineItem>,
    /// Decisions recorded during the crisis, oldest first.
    pub decisions: Vec<Decision>,
    /// Tasks created during the crisis, oldest first.
    pub tasks: Vec<TaskLine>,
    /// Figures on the tasks.
    pub figures: TaskFigures,
    /// Reporting of each unit: the units asked for, in their order, then
    /// any other unit that reported, by code.
    pub units: Vec<UnitCompliance>,
    /// Each stock of the plan, in plan order, then any other stock counted,
    /// by code.
    pub stocks: Vec<StockSeries>,
    /// Each activity of the plan against its DMIA: most critical first,
    /// then least time left, then by code.
    pub activities: Vec<DmiaLine>,
    /// Alerts raised before the declaration.
    pub detection: Detection,
}

/// The course of a crisis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrisisSummary {
    /// Id.
    pub id: CrisisId,
    /// When it was declared, ms since the Unix epoch.
    pub declared_ms: i64,
    /// Who declared it.
    pub declared_by: String,
    /// The declaration's reason.
    pub reason: String,
    /// When recovery was announced, if it was.
    pub recovery_ms: Option<i64>,
    /// When it was closed, if it was.
    pub closed_ms: Option<i64>,
    /// The closing note, if closed.
    pub closing_reason: Option<String>,
    /// Where the report stops: the close, or `now_ms` while it is open.
    pub end_ms: i64,
    /// `end_ms - declared_ms`.
    pub duration_ms: i64,
    /// Still open: the figures are those of `now_ms` and will change.
    pub provisional: bool,
    /// Highest level reached.
    pub max_level: u8,
    /// The levels it went through, in order.
    pub levels: Vec<LevelSpan>,
}

/// Time spent at one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelSpan {
    /// Level number.
    pub level: u8,
    /// From, ms since the Unix epoch.
    pub from_ms: i64,
    /// Until the next level change, or the end of the report.
    pub to_ms: i64,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineItem {
    /// When, ms since the Unix epoch.
    pub at_ms: i64,
    /// Who (login, `système` for the node).
    pub by: String,
    /// What kind of event, with its figures.
    pub kind: TimelineKind,
    /// Its text as typed (reason, entry, title, evidence, comment); may be
    /// empty.
    pub text: String,
}

/// The kinds of timeline lines.
#[derive(Debug, Clone, PartialEq)]
pub enum TimelineKind {
    /// Declared at a level.
    Declared(u8),
    /// Level changed to.
    Level(u8),
    /// Recovery announced.
    Recovery,
    /// Closed.
    Closed,
    /// A main courante entry; `corrected` when a later entry corrects it.
    Log {
        /// A later entry corrects this one.
        corrected: bool,
    },
    /// A main courante entry correcting another.
    Correction,
    /// A decision.
    Decision {
        /// Who decided.
        decided_by: String,
    },
    /// A task created (its title in the text).
    TaskCreated,
    /// A task changed (its title in the text, the note after it).
    TaskUpdated {
        /// Status after the change.
        status: TaskStatus,
        /// The note (may be empty).
        note: String,
    },
    /// An alert raised (the evidence in the text).
    AlertRaised {
        /// Kind.
        kind: AlertKind,
        /// Feed, probe, activity or stock.
        subject: String,
    },
    /// An alert cleared (the reason in the text).
    AlertCleared {
        /// Feed, probe, activity or stock.
        subject: String,
    },
    /// A unit report (needs and comment in the text).
    UnitReport {
        /// Unit code.
        unit: String,
        /// Status reported.
        status: Rag,
        /// Staff present.
        staff_present: u32,
        /// Staff needed.
        staff_needed: u32,
    },
    /// A stock count (the comment in the text).
    StockCount {
        /// Stock code.
        stock: String,
        /// Quantity counted.
        quantity: f64,
    },
}

/// Where a task stood at the end of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskOutcome {
    /// Done by its deadline, or done without one.
    OnTime,
    /// Done after its deadline.
    Late,
    /// Still open at the end, within its deadline or without one.
    Open,
    /// Still open at the end and past its deadline.
    Overdue,
    /// Cancelled.
    Cancelled,
}

/// A task as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskLine {
    /// Id.
    pub id: ItemId,
    /// What to do.
    pub title: String,
    /// Current owner.
    pub assignee: Assignee,
    /// Who created it.
    pub created_by: String,
    /// When, ms since the Unix epoch.
    pub created_ms: i64,
    /// Current deadline (a moved deadline counts from where it was moved
    /// to).
    pub due_ms: Option<i64>,
    /// When it was finished or cancelled, if by the end of the report.
    pub ended_ms: Option<i64>,
    /// How late it ended, or is at the end when still open, in ms; 0 when
    /// on time or without deadline.
    pub delay_ms: i64,
    /// Where it stood at the end.
    pub outcome: TaskOutcome,
    /// Title of the decision it follows from, if any.
    pub decision: Option<String>,
}

/// Figures on the tasks of a crisis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaskFigures {
    /// Tasks created during the crisis.
    pub total: usize,
    /// Done by the end.
    pub done: usize,
    /// Done by their deadline or without one.
    pub done_on_time: usize,
    /// Done after their deadline.
    pub done_late: usize,
    /// Still open at the end.
    pub open: usize,
    /// Still open at the end and past their deadline.
    pub overdue: usize,
    /// Cancelled.
    pub cancelled: usize,
    /// Median delay of the tasks with a deadline that were not cancelled
    /// (done ones as finished, open ones at the end), in ms; the lower
    /// middle value for an even count. `None` without such a task.
    pub median_delay_ms: Option<i64>,
    /// Longest of those delays, in ms.
    pub max_delay_ms: Option<i64>,
}

/// How a unit reported during the crisis.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitCompliance {
    /// Unit code.
    pub unit: String,
    /// Reports the plan expects: the duration over the reporting interval,
    /// rounded down (0 for a crisis shorter than one interval).
    pub expected: u32,
    /// Reports received during the crisis.
    pub received: u32,
    /// Longest time without a report: declaration to first report, between
    /// reports, last report to the end (the whole duration without any).
    pub longest_gap_ms: i64,
    /// `min(received, expected) / expected`, in percent; `None` when no
    /// report was expected yet, which is no failure to report.
    pub compliance_pct: Option<f64>,
    /// Status of the last report, if any.
    pub last_status: Option<Rag>,
    /// Worst status reported, if any.
    pub worst_status: Option<Rag>,
}

/// One stock's counts during the crisis.
#[derive(Debug, Clone, PartialEq)]
pub struct StockSeries {
    /// Stock code.
    pub code: String,
    /// Display name (the code when the plan does not know it).
    pub name: String,
    /// What quantities count (empty when the plan does not know it).
    pub measure: String,
    /// Alert and critical thresholds from the plan.
    pub thresholds: Option<(f64, f64)>,
    /// Counts, oldest first: (ms since the Unix epoch, quantity).
    pub points: Vec<(i64, f64)>,
    /// The lowest count and when it was first reached.
    pub min: Option<(i64, f64)>,
    /// The first count at or below the alert threshold.
    pub alert_from_ms: Option<i64>,
    /// The first count at or below the critical threshold.
    pub critical_from_ms: Option<i64>,
}

/// One activity's time without its HIS against its DMIA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmiaLine {
    /// Activity code.
    pub activity: String,
    /// Activity name.
    pub name: String,
    /// Criticality.
    pub criticality: Criticality,
    /// Its DMIA.
    pub dmia: Duration,
    /// Colour at the end of the report (red once the DMIA is reached).
    pub state: ClockState,
    /// When the DMIA was reached (declaration + DMIA), if it was.
    pub breach_ms: Option<i64>,
    /// How far past the DMIA the crisis went, in ms; 0 when not breached.
    pub overrun_ms: i64,
}

impl DmiaLine {
    /// Whether the crisis lasted its DMIA or longer.
    pub fn breached(&self) -> bool {
        self.breach_ms.is_some()
    }
}

/// The alerts that came before the declaration: raised after the previous
/// crisis closed and still open when this one was declared.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Detection {
    /// The alerts, oldest first.
    pub alerts: Vec<EarlyAlert>,
    /// From the first of them to the declaration, in ms.
    pub lead_ms: Option<i64>,
}

/// An alert raised before the declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlyAlert {
    /// When it was raised.
    pub raised_ms: i64,
    /// Since when its condition held.
    pub since_ms: i64,
    /// Kind.
    pub kind: AlertKind,
    /// Feed, probe, activity or stock.
    pub subject: String,
    /// Evidence, in French.
    pub evidence: String,
}

/// The after-action figures of crisis `crisis_id`, as they stand at
/// `now_ms` (only used while it is open); `units` are the establishment's
/// unit codes. `None` when the book knows no such crisis.
pub fn after_action(
    book: &Book,
    plan: &Plan,
    crisis_id: &str,
    units: &[String],
    now_ms: i64,
) -> Option<AfterAction> {
    let crisis = book.crisis(crisis_id)?;
    let summary = summary(crisis, now_ms);
    let id = &crisis.id;
    let tasks = task_lines(book, id, summary.end_ms);
    Some(AfterAction {
        timeline: timeline(book, crisis),
        decisions: book.decisions(Some(id)).into_iter().cloned().collect(),
        figures: task_figures(&tasks),
        tasks,
        units: unit_compliance(book, plan, id, units, &summary),
        stocks: stock_series(book, plan, id),
        activities: dmia_lines(plan, &summary),
        detection: detection(book, crisis),
        crisis: summary,
    })
}

/// The course of `crisis` as it stands at `now_ms` (used only while it is
/// open): what the list of past crises shows.
pub fn summary(crisis: &Crisis, now_ms: i64) -> CrisisSummary {
    let declared_ms = crisis.declared_ms();
    let closed_ms = crisis.closed_ms();
    let end_ms = closed_ms.unwrap_or(now_ms).max(declared_ms);
    let mut levels: Vec<LevelSpan> = Vec::new();
    for transition in &crisis.transitions {
        if let TransitionKind::Declared(level) | TransitionKind::Level(level) = transition.kind {
            let at = transition.stamp.at_ms;
            if let Some(previous) = levels.last_mut() {
                previous.to_ms = at;
            }
            levels.push(LevelSpan {
                level,
                from_ms: at,
                to_ms: end_ms,
            });
        }
    }
    let first = crisis.transitions.first();
    CrisisSummary {
        id: crisis.id.clone(),
        declared_ms,
        declared_by: first.map(|t| t.stamp.by.clone()).unwrap_or_default(),
        reason: crisis.reason().to_owned(),
        recovery_ms: crisis.recovery_ms(),
        closed_ms,
        closing_reason: crisis
            .transitions
            .iter()
            .find(|t| t.kind == TransitionKind::Closed)
            .map(|t| t.reason.clone()),
        end_ms,
        duration_ms: end_ms - declared_ms,
        provisional: closed_ms.is_none(),
        max_level: levels.iter().map(|l| l.level).max().unwrap_or(0),
        levels,
    }
}

fn belongs(stamp: &Stamp, id: &CrisisId) -> bool {
    stamp.crisis.as_ref() == Some(id)
}

/// A timeline line and the key that keeps lines in log order.
struct Line {
    key: (i64, EventId),
    item: TimelineItem,
}

impl Line {
    fn new(stamp: &Stamp, kind: TimelineKind, text: &str) -> Line {
        Line {
            key: (stamp.at_ms, stamp.event),
            item: TimelineItem {
                at_ms: stamp.at_ms,
                by: stamp.by.clone(),
                kind,
                text: text.to_owned(),
            },
        }
    }
}

fn timeline(book: &Book, crisis: &Crisis) -> Vec<TimelineItem> {
    let id = &crisis.id;
    let mut lines = Vec::new();
    for transition in &crisis.transitions {
        let kind = match transition.kind {
            TransitionKind::Declared(level) => TimelineKind::Declared(level),
            TransitionKind::Level(level) => TimelineKind::Level(level),
            TransitionKind::Recovery => TimelineKind::Recovery,
            TransitionKind::Closed => TimelineKind::Closed,
        };
        lines.push(Line::new(&transition.stamp, kind, &transition.reason));
    }
    for entry in book.log(Some(id)) {
        let kind = match entry.corrects {
            Some(_) => TimelineKind::Correction,
            None => TimelineKind::Log {
                corrected: !entry.corrected_by.is_empty(),
            },
        };
        lines.push(Line::new(&entry.stamp, kind, &entry.text));
    }
    for decision in book.decisions(Some(id)) {
        let kind = TimelineKind::Decision {
            decided_by: decision.decided_by.clone(),
        };
        lines.push(Line::new(&decision.stamp, kind, &decision.title));
    }
    // Updates made during the crisis count even for a task created before it.
    for task in book.tasks(None) {
        if belongs(&task.stamp, id) {
            lines.push(Line::new(
                &task.stamp,
                TimelineKind::TaskCreated,
                &task.title,
            ));
        }
        for change in task.history.iter().filter(|c| belongs(&c.stamp, id)) {
            let kind = TimelineKind::TaskUpdated {
                status: change.status,
                note: change.note.clone(),
            };
            lines.push(Line::new(&change.stamp, kind, &task.title));
        }
    }
    let early = early_alerts(book, crisis);
    for alert in book.alerts() {
        if belongs(&alert.stamp, id) || early.iter().any(|e| e.id == alert.id) {
            let kind = TimelineKind::AlertRaised {
                kind: alert.kind,
                subject: alert.subject.clone(),
            };
            lines.push(Line::new(&alert.stamp, kind, &alert.evidence));
        }
        if let Some((stamp, reason)) = &alert.cleared
            && belongs(stamp, id)
        {
            let kind = TimelineKind::AlertCleared {
                subject: alert.subject.clone(),
            };
            lines.push(Line::new(stamp, kind, reason));
        }
    }
    for entry in book.reports(Some(id)) {
        let report = &entry.report;
        let kind = TimelineKind::UnitReport {
            unit: report.unit.clone(),
            status: report.status,
            staff_present: report.staff_present,
            staff_needed: report.staff_needed,
        };
        let text: Vec<&str> = [report.needs.trim(), report.comment.trim()]
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect();
        lines.push(Line::new(&entry.stamp, kind, &text.join(" ; ")));
    }
    for count in book.all_stock_counts() {
        if belongs(&count.stamp, id) {
            let kind = TimelineKind::StockCount {
                stock: count.stock.clone(),
                quantity: count.quantity,
            };
            lines.push(Line::new(&count.stamp, kind, &count.comment));
        }
    }
    lines.sort_by_key(|line| line.key);
    lines.into_iter().map(|line| line.item).collect()
}

/// Alerts raised outside any crisis after the previous crisis closed, before
/// this one was declared, and not cleared by then: the warning signs.
fn early_alerts<'a>(book: &'a Book, crisis: &Crisis) -> Vec<&'a Alert> {
    let declared = crisis.declared_ms();
    let previous_end = book
        .crises()
        .iter()
        .take_while(|c| c.id != crisis.id)
        .filter_map(Crisis::closed_ms)
        .max()
        .unwrap_or(i64::MIN);
    book.alerts()
        .iter()
        .filter(|a| a.stamp.crisis.is_none())
        .filter(|a| a.stamp.at_ms > previous_end && a.stamp.at_ms < declared)
        .filter(|a| a.cleared.as_ref().is_none_or(|(s, _)| s.at_ms >= declared))
        .collect()
}

fn detection(book: &Book, crisis: &Crisis) -> Detection {
    let mut alerts: Vec<EarlyAlert> = early_alerts(book, crisis)
        .into_iter()
        .map(|a| EarlyAlert {
            raised_ms: a.stamp.at_ms,
            since_ms: a.since_ms,
            kind: a.kind,
            subject: a.subject.clone(),
            evidence: a.evidence.clone(),
        })
        .collect();
    alerts.sort_by_key(|a| a.raised_ms);
    Detection {
        lead_ms: alerts.first().map(|a| crisis.declared_ms() - a.raised_ms),
        alerts,
    }
}

/// Status and end of a task as they stood at `end_ms`, from its history.
fn task_at(task: &Task, end_ms: i64) -> (TaskStatus, Option<i64>) {
    let mut status = TaskStatus::Open;
    let mut ended = None;
    for change in task.history.iter().filter(|c| c.stamp.at_ms <= end_ms) {
        if change.status.is_open() {
            ended = None;
        } else if ended.is_none() || change.status != status {
            ended = Some(change.stamp.at_ms);
        }
        status = change.status;
    }
    (status, ended)
}

fn task_lines(book: &Book, id: &CrisisId, end_ms: i64) -> Vec<TaskLine> {
    let decisions = book.decisions(None);
    book.tasks(Some(id))
        .into_iter()
        .map(|task| {
            let (status, ended_ms) = task_at(task, end_ms);
            let delay_ms = task
                .due_ms
                .map_or(0, |due| (ended_ms.unwrap_or(end_ms) - due).max(0));
            let outcome = match status {
                TaskStatus::Done if delay_ms == 0 => TaskOutcome::OnTime,
                TaskStatus::Done => TaskOutcome::Late,
                TaskStatus::Cancelled => TaskOutcome::Cancelled,
                TaskStatus::Open | TaskStatus::InProgress if delay_ms > 0 => TaskOutcome::Overdue,
                TaskStatus::Open | TaskStatus::InProgress => TaskOutcome::Open,
            };
            TaskLine {
                id: task.id.clone(),
                title: task.title.clone(),
                assignee: task.assignee.clone(),
                created_by: task.stamp.by.clone(),
                created_ms: task.stamp.at_ms,
                due_ms: task.due_ms,
                ended_ms,
                delay_ms,
                outcome,
                decision: task.decision.as_ref().and_then(|d| {
                    decisions
                        .iter()
                        .find(|decision| &decision.id == d)
                        .map(|decision| decision.title.clone())
                }),
            }
        })
        .collect()
}

fn task_figures(tasks: &[TaskLine]) -> TaskFigures {
    let count = |outcome| tasks.iter().filter(|t| t.outcome == outcome).count();
    let mut delays: Vec<i64> = tasks
        .iter()
        .filter(|t| t.due_ms.is_some() && t.outcome != TaskOutcome::Cancelled)
        .map(|t| t.delay_ms)
        .collect();
    delays.sort_unstable();
    let (on_time, late) = (count(TaskOutcome::OnTime), count(TaskOutcome::Late));
    let (open, overdue) = (count(TaskOutcome::Open), count(TaskOutcome::Overdue));
    TaskFigures {
        total: tasks.len(),
        done: on_time + late,
        done_on_time: on_time,
        done_late: late,
        open: open + overdue,
        overdue,
        cancelled: count(TaskOutcome::Cancelled),
        median_delay_ms: (!delays.is_empty()).then(|| delays[(delays.len() - 1) / 2]),
        max_delay_ms: delays.last().copied(),
    }
}

fn unit_compliance(
    book: &Book,
    plan: &Plan,
    id: &CrisisId,
    units: &[String],
    summary: &CrisisSummary,
) -> Vec<UnitCompliance> {
    let reports = book.reports(Some(id));
    let mut codes: Vec<&str> = units.iter().map(String::as_str).collect();
    let mut others: Vec<&str> = reports
        .iter()
        .map(|r| r.report.unit.as_str())
        .filter(|u| !codes.contains(u))
        .collect();
    others.sort_unstable();
    others.dedup();
    codes.extend(others);
    let interval_ms =
        i64::try_from(plan.crisis.unit_report_interval.as_millis()).unwrap_or(i64::MAX);
    let expected = summary
        .duration_ms
        .checked_div(interval_ms)
        .unwrap_or(0)
        .max(0);
    let expected = u32::try_from(expected).unwrap_or(u32::MAX);
    codes
        .into_iter()
        .map(|unit| {
            let mine: Vec<_> = reports.iter().filter(|r| r.report.unit == unit).collect();
            let mut moments = vec![summary.declared_ms];
            moments.extend(mine.iter().map(|r| r.stamp.at_ms));
            moments.push(summary.end_ms);
            let longest_gap_ms = moments
                .windows(2)
                .map(|pair| pair[1] - pair[0])
                .max()
                .unwrap_or(0);
            let received = u32::try_from(mine.len()).unwrap_or(u32::MAX);
            UnitCompliance {
                unit: unit.to_owned(),
                expected,
                received,
                longest_gap_ms,
                compliance_pct: (expected > 0)
                    .then(|| f64::from(received.min(expected)) * 100.0 / f64::from(expected)),
                last_status: mine.last().map(|r| r.report.status),
                worst_status: mine.iter().map(|r| r.report.status).max(),
            }
        })
        .collect()
}

fn stock_series(book: &Book, plan: &Plan, id: &CrisisId) -> Vec<StockSeries> {
    let counts: Vec<&StockCount> = book
        .all_stock_counts()
        .iter()
        .filter(|c| belongs(&c.stamp, id))
        .collect();
    let mut codes: Vec<&str> = plan.stocks.iter().map(|s| s.code.as_str()).collect();
    let mut others: Vec<&str> = counts
        .iter()
        .map(|c| c.stock.as_str())
        .filter(|s| !codes.contains(s))
        .collect();
    others.sort_unstable();
    others.dedup();
    codes.extend(others);
    codes
        .into_iter()
        .map(|code| {
            let stock = plan.stock(code);
            let points: Vec<(i64, f64)> = counts
                .iter()
                .filter(|c| c.stock == code)
                .map(|c| (c.stamp.at_ms, c.quantity))
                .collect();
            let mut min: Option<(i64, f64)> = None;
            for &(at, quantity) in &points {
                if min.is_none_or(|(_, lowest)| quantity < lowest) {
                    min = Some((at, quantity));
                }
            }
            let first_at = |level: StockLevel| {
                let stock = stock?;
                points
                    .iter()
                    .find(|(_, quantity)| stock.level(*quantity) >= level)
                    .map(|(at, _)| *at)
            };
            StockSeries {
                code: code.to_owned(),
                name: stock.map_or_else(|| code.to_owned(), |s| s.name.clone()),
                measure: stock.map(|s| s.measure.clone()).unwrap_or_default(),
                thresholds: stock.map(|s| (s.alert_threshold, s.critical_threshold)),
                alert_from_ms: first_at(StockLevel::Alert),
                critical_from_ms: first_at(StockLevel::Critical),
                min,
                points,
            }
        })
        .collect()
}

fn dmia_lines(plan: &Plan, summary: &CrisisSummary) -> Vec<DmiaLine> {
    activity_clocks(plan, summary.declared_ms, summary.end_ms)
        .into_iter()
        .map(|clock| {
            let dmia_ms = i64::try_from(clock.dmia.as_millis()).unwrap_or(i64::MAX);
            let breached = clock.state == ClockState::Red;
            DmiaLine {
                breach_ms: breached.then(|| summary.declared_ms.saturating_add(dmia_ms)),
                overrun_ms: (summary.duration_ms - dmia_ms).max(0),
                activity: clock.activity,
                name: clock.name,
                criticality: clock.criticality,
                dmia: clock.dmia,
                state: clock.state,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use ckisa_domain::{
        Actor, CrisisFact, Event, Fact, Hlc, NodeId, Source, SourceChannel, UnitReport,
    };

    use super::*;
    use crate::plan::{PlanContext, check, parse};

    /// Minute 0 of the scripted crisis.
    const T0: i64 = 1_780_000_000_000;
    const MIN: i64 = 60_000;

    /// A book written fact by fact at chosen minutes, each fact checked
    /// first as the web does.
    struct Script {
        book: Book,
    }

    impl Script {
        fn new() -> Script {
            Script { book: Book::new() }
        }

        /// Checks then applies `fact` recorded by `who` at `minute` from T0.
        fn at(&mut self, minute: i64, who: &str, fact: CrisisFact) {
            if let Err(refusal) = self.book.check(&fact) {
                panic!("minute {minute}: {refusal}");
            }
            let ms = u64::try_from(T0 + minute * MIN).expect("after 1970");
            let event = Event {
                id: EventId::new(ms),
                hlc: Hlc::new(ms, 0),
                origin: NodeId("n".into()),
                actor: if who == "système" {
                    Actor::System
                } else {
                    Actor::User(who.into())
                },
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
        }
    }

    const PLAN: &str = r#"
[[plan.applications]]
code = "DPI"
name = "Dossier patient"
feeds = ["sih-adt"]

[[plan.activities]]
code = "URGENCES"
name = "Accueil des urgences"
criticality = "vitale"
dmia = "4h"
pdma = "15m"
applications = ["DPI"]

[[plan.activities]]
code = "REA"
name = "Réanimation"
criticality = "vitale"
dmia = "6h"
pdma = "15m"
applications = ["DPI"]

[[plan.activities]]
code = "ADMISSIONS"
name = "Admissions"
criticality = "importante"
dmia = "1j"
pdma = "4h"
applications = ["DPI"]

[[plan.stocks]]
code = "O2"
name = "Bouteilles d'oxygène"
category = "oxygene"
measure = "bouteilles"
location = "Magasin"
alert_threshold = 50
critical_threshold = 20

[[plan.stocks]]
code = "CGR"
name = "Culots globulaires"
category = "sang"
measure = "poches"
location = "Dépôt de sang"
alert_threshold = 8
critical_threshold = 4

[plan.crisis]
unit_report_interval = "2h"
orange_at = 0.75
"#;

    fn plan() -> Plan {
        let raw = parse(PLAN).expect("plan parses");
        let context = PlanContext {
            units: vec![],
            feeds: vec!["sih-adt".into()],
            roles: vec![],
        };
        check(&raw, &context).expect("plan checks")
    }

    fn units() -> Vec<String> {
        ["REA", "URG", "CARDIO"].map(String::from).to_vec()
    }

    fn c1() -> CrisisId {
        CrisisId("c1".into())
    }

    fn id(text: &str) -> ItemId {
        ItemId(text.into())
    }

    fn at(minute: i64) -> i64 {
        T0 + minute * MIN
    }

    fn alert(name: &str, kind: AlertKind, subject: &str, since: i64) -> CrisisFact {
        CrisisFact::AlertRaised {
            id: id(name),
            key: format!("{name}:{subject}"),
            kind,
            subject: subject.into(),
            since_ms: at(since),
            evidence: format!("preuve {name}"),
        }
    }

    fn clear(name: &str) -> CrisisFact {
        CrisisFact::AlertCleared {
            id: id(name),
            reason: format!("fin {name}"),
        }
    }

    fn task(name: &str, due: Option<i64>, decision: Option<&str>) -> CrisisFact {
        CrisisFact::TaskCreated {
            id: id(name),
            title: format!("Tâche {name}"),
            detail: String::new(),
            assignee: Assignee::Unit("REA".into()),
            due_ms: due.map(at),
            decision: decision.map(id),
        }
    }

    fn update(name: &str, status: TaskStatus, note: &str) -> CrisisFact {
        CrisisFact::TaskUpdated {
            id: id(name),
            status,
            assignee: None,
            due_ms: None,
            note: note.into(),
        }
    }

    fn report(unit: &str, status: Rag, present: u32, comment: &str) -> CrisisFact {
        CrisisFact::UnitReported(UnitReport {
            unit: unit.into(),
            staff_present: present,
            staff_needed: 10,
            status,
            needs: String::new(),
            comment: comment.into(),
        })
    }

    fn count(stock: &str, quantity: f64) -> CrisisFact {
        CrisisFact::StockCounted {
            stock: stock.into(),
            quantity,
            comment: String::new(),
        }
    }

    /// The scripted crisis: alerts before, declared at minute 0 (level 2),
    /// level 3 at 60, recovery at 240, closed at 300; facts after the close
    /// belong to no crisis. With `close` false it stops before minute 300.
    fn scripted(close: bool) -> Script {
        use AlertKind::{FeedSilent, PdmaExceeded, ProbeFailed};
        let mut s = Script::new();
        // A flap long before, cleared before the declaration: not a sign.
        s.at(-120, "système", alert("a0", FeedSilent, "sih-labo", -125));
        s.at(-100, "système", clear("a0"));
        s.at(-90, "pharma", count("O2", 120.0));
        s.at(-30, "système", alert("a1", FeedSilent, "sih-adt", -40));
        s.at(-10, "système", alert("a2", ProbeFailed, "dpi-web", -12));
        s.at(
            0,
            "dir",
            CrisisFact::Declared {
                crisis: c1(),
                level: 2,
                reason: "DPI injoignable".into(),
            },
        );
        s.at(
            5,
            "cellule",
            CrisisFact::LogEntry {
                id: id("e1"),
                text: "Appel du SAMU : 3 victimes".into(),
                corrects: None,
            },
        );
        s.at(
            10,
            "dir",
            CrisisFact::Decision {
                id: id("d1"),
                title: "Passer au papier".into(),
                decided_by: "Dr Martin".into(),
                rationale: "DPI tombé".into(),
                follow_up: "Kits papier".into(),
            },
        );
        s.at(12, "dir", task("t1", Some(42), Some("d1")));
        s.at(15, "dir", task("t2", Some(60), None));
        s.at(20, "dir", task("t3", None, None));
        s.at(25, "dir", task("t4", Some(100), None));
        s.at(30, "cadre-rea", report("REA", Rag::Green, 8, "RAS"));
        s.at(35, "pharma", count("O2", 100.0));
        s.at(
            40,
            "cellule",
            CrisisFact::LogEntry {
                id: id("e2"),
                text: "Correction : 5 victimes".into(),
                corrects: Some(id("e1")),
            },
        );
        s.at(50, "pharma", update("t2", TaskStatus::Done, "livré"));
        s.at(
            60,
            "dir",
            CrisisFact::LevelChanged {
                crisis: c1(),
                level: 3,
                reason: "Afflux".into(),
            },
        );
        s.at(70, "cadre-rea", update("t1", TaskStatus::Done, ""));
        s.at(90, "cadre-urg", report("URG", Rag::Orange, 6, ""));
        s.at(100, "pharma", count("O2", 45.0));
        s.at(120, "système", clear("a1"));
        s.at(130, "système", alert("a3", PdmaExceeded, "URGENCES", 125));
        s.at(150, "cadre-rea", report("REA", Rag::Red, 5, "Renfort ?"));
        s.at(180, "pharma", count("O2", 15.0));
        s.at(200, "dir", task("t5", Some(210), None));
        s.at(205, "dir", update("t5", TaskStatus::Cancelled, "inutile"));
        s.at(
            240,
            "dir",
            CrisisFact::RecoveryAnnounced {
                crisis: c1(),
                reason: "Flux ADT revenu".into(),
            },
        );
        s.at(250, "cadre-rea", update("t3", TaskStatus::Done, "fait"));
        if close {
            s.at(
                300,
                "dir",
                CrisisFact::Closed {
                    crisis: c1(),
                    reason: "SIH rétabli".into(),
                },
            );
            // After the close: not part of the crisis.
            s.at(310, "cadre-rea", update("t4", TaskStatus::Done, "tardif"));
            s.at(320, "cadre-rea", report("REA", Rag::Green, 10, ""));
            s.at(330, "pharma", count("O2", 200.0));
        }
        s
    }

    fn report_of(s: &Script, now: i64) -> AfterAction {
        after_action(&s.book, &plan(), "c1", &units(), at(now)).expect("crisis c1 exists")
    }

    #[test]
    fn an_unknown_crisis_has_no_report() {
        let s = scripted(true);
        assert!(after_action(&s.book, &plan(), "c9", &units(), at(400)).is_none());
    }

    #[test]
    fn the_summary_gives_times_levels_and_duration() {
        let s = scripted(true);
        let r = report_of(&s, 10_000);
        let c = &r.crisis;
        assert_eq!(c.id, c1());
        assert_eq!(c.declared_ms, at(0));
        assert_eq!(c.declared_by, "dir");
        assert_eq!(c.reason, "DPI injoignable");
        assert_eq!(c.recovery_ms, Some(at(240)));
        assert_eq!(c.closed_ms, Some(at(300)));
        assert_eq!(c.closing_reason.as_deref(), Some("SIH rétabli"));
        assert_eq!(
            c.end_ms,
            at(300),
            "a closed crisis ends at its close, whatever now is"
        );
        assert_eq!(c.duration_ms, 300 * MIN);
        assert!(!c.provisional);
        assert_eq!(c.max_level, 3);
        assert_eq!(
            c.levels,
            vec![
                LevelSpan {
                    level: 2,
                    from_ms: at(0),
                    to_ms: at(60)
                },
                LevelSpan {
                    level: 3,
                    from_ms: at(60),
                    to_ms: at(300)
                },
            ]
        );
    }

    #[test]
    fn the_timeline_merges_everything_of_the_crisis_in_order() {
        let s = scripted(true);
        let r = report_of(&s, 10_000);
        let minutes: Vec<i64> = r.timeline.iter().map(|i| (i.at_ms - T0) / MIN).collect();
        assert_eq!(
            minutes,
            vec![
                -30, -10, 0, 5, 10, 12, 15, 20, 25, 30, 35, 40, 50, 60, 70, 90, 100, 120, 130, 150,
                180, 200, 205, 240, 250, 300
            ],
            "the early alerts, then the crisis; the flap before and the facts after are left out"
        );
        let line = |minute: i64| {
            r.timeline
                .iter()
                .find(|i| i.at_ms == at(minute))
                .expect("a line at that minute")
        };
        assert_eq!(
            line(-30).kind,
            TimelineKind::AlertRaised {
                kind: AlertKind::FeedSilent,
                subject: "sih-adt".into()
            }
        );
        assert_eq!(line(-30).by, "système");
        assert_eq!(line(-30).text, "preuve a1");
        assert_eq!(line(0).kind, TimelineKind::Declared(2));
        assert_eq!(line(0).text, "DPI injoignable");
        assert_eq!(line(5).kind, TimelineKind::Log { corrected: true });
        assert_eq!(line(5).by, "cellule");
        assert_eq!(
            line(5).text,
            "Appel du SAMU : 3 victimes",
            "kept as written"
        );
        assert_eq!(line(40).kind, TimelineKind::Correction);
        assert_eq!(
            line(10).kind,
            TimelineKind::Decision {
                decided_by: "Dr Martin".into()
            }
        );
        assert_eq!(line(10).text, "Passer au papier");
        assert_eq!(line(12).kind, TimelineKind::TaskCreated);
        assert_eq!(line(12).text, "Tâche t1");
        assert_eq!(
            line(50).kind,
            TimelineKind::TaskUpdated {
                status: TaskStatus::Done,
                note: "livré".into()
            }
        );
        assert_eq!(line(50).text, "Tâche t2");
        assert_eq!(line(60).kind, TimelineKind::Level(3));
        assert_eq!(
            line(90).kind,
            TimelineKind::UnitReport {
                unit: "URG".into(),
                status: Rag::Orange,
                staff_present: 6,
                staff_needed: 10
            }
        );
        assert_eq!(line(150).text, "Renfort ?");
        assert_eq!(
            line(100).kind,
            TimelineKind::StockCount {
                stock: "O2".into(),
                quantity: 45.0
            }
        );
        assert_eq!(
            line(120).kind,
            TimelineKind::AlertCleared {
                subject: "sih-adt".into()
            }
        );
        assert_eq!(line(120).text, "fin a1");
        assert_eq!(
            line(130).kind,
            TimelineKind::AlertRaised {
                kind: AlertKind::PdmaExceeded,
                subject: "URGENCES".into()
            }
        );
        assert_eq!(line(240).kind, TimelineKind::Recovery);
        assert_eq!(line(300).kind, TimelineKind::Closed);
        assert_eq!(line(300).text, "SIH rétabli");
    }

    #[test]
    fn decisions_and_tasks_with_their_delays() {
        let s = scripted(true);
        let r = report_of(&s, 10_000);
        assert_eq!(r.decisions.len(), 1);
        assert_eq!(r.decisions[0].title, "Passer au papier");
        let rows: Vec<(&str, Option<i64>, i64, TaskOutcome)> = r
            .tasks
            .iter()
            .map(|t| {
                (
                    t.id.0.as_str(),
                    t.ended_ms.map(|e| (e - T0) / MIN),
                    t.delay_ms / MIN,
                    t.outcome,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("t1", Some(70), 28, TaskOutcome::Late),
                ("t2", Some(50), 0, TaskOutcome::OnTime),
                ("t3", Some(250), 0, TaskOutcome::OnTime),
                ("t4", None, 200, TaskOutcome::Overdue),
                ("t5", Some(205), 0, TaskOutcome::Cancelled),
            ],
            "t4 was done after the close: open at the close, late by 300 - 100 minutes"
        );
        let t1 = &r.tasks[0];
        assert_eq!(t1.title, "Tâche t1");
        assert_eq!(t1.assignee, Assignee::Unit("REA".into()));
        assert_eq!(t1.created_by, "dir");
        assert_eq!(t1.created_ms, at(12));
        assert_eq!(t1.due_ms, Some(at(42)));
        assert_eq!(t1.decision.as_deref(), Some("Passer au papier"));
        assert_eq!(r.tasks[1].decision, None);
        assert_eq!(
            r.figures,
            TaskFigures {
                total: 5,
                done: 3,
                done_on_time: 2,
                done_late: 1,
                open: 1,
                overdue: 1,
                cancelled: 1,
                // Delays of t1, t2, t4 (t3 has no deadline, t5 is cancelled):
                // 0, 28, 200 minutes.
                median_delay_ms: Some(28 * MIN),
                max_delay_ms: Some(200 * MIN),
            }
        );
    }

    #[test]
    fn unit_reporting_against_the_plan_interval() {
        let s = scripted(true);
        let r = report_of(&s, 10_000);
        // 300 minutes at one report every 120: 2 expected.
        let rows: Vec<(&str, u32, u32, i64, Option<f64>)> = r
            .units
            .iter()
            .map(|u| {
                (
                    u.unit.as_str(),
                    u.expected,
                    u.received,
                    u.longest_gap_ms / MIN,
                    u.compliance_pct,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("REA", 2, 2, 150, Some(100.0)),
                ("URG", 2, 1, 210, Some(50.0)),
                ("CARDIO", 2, 0, 300, Some(0.0)),
            ]
        );
        assert_eq!(r.units[0].last_status, Some(Rag::Red));
        assert_eq!(r.units[0].worst_status, Some(Rag::Red));
        assert_eq!(r.units[1].worst_status, Some(Rag::Orange));
        assert_eq!(r.units[2].last_status, None);
    }

    #[test]
    fn a_unit_that_reported_without_being_listed_is_added() {
        let mut s = Script::new();
        s.at(
            0,
            "dir",
            CrisisFact::Declared {
                crisis: c1(),
                level: 1,
                reason: "test".into(),
            },
        );
        s.at(10, "cadre", report("PSY", Rag::Green, 3, ""));
        s.at(20, "cadre", report("PSY", Rag::Green, 3, ""));
        s.at(30, "cadre", report("PSY", Rag::Green, 3, ""));
        s.at(
            125,
            "dir",
            CrisisFact::Closed {
                crisis: c1(),
                reason: "fin".into(),
            },
        );
        let r = report_of(&s, 200);
        assert_eq!(r.units.len(), 4);
        let psy = &r.units[3];
        assert_eq!(psy.unit, "PSY");
        assert_eq!(
            (psy.expected, psy.received),
            (1, 3),
            "125 minutes at one report every 120"
        );
        assert_eq!(
            psy.compliance_pct,
            Some(100.0),
            "extra reports do not go past 100 %"
        );
        assert_eq!(psy.longest_gap_ms, 95 * MIN, "last report to the close");
        assert_eq!(r.figures, TaskFigures::default(), "no task, no delay");
    }

    #[test]
    fn a_crisis_shorter_than_the_interval_expects_no_report() {
        let mut s = Script::new();
        s.at(
            0,
            "dir",
            CrisisFact::Declared {
                crisis: c1(),
                level: 1,
                reason: "test".into(),
            },
        );
        s.at(1, "cadre", report("REA", Rag::Orange, 3, ""));
        s.at(
            4,
            "dir",
            CrisisFact::Closed {
                crisis: c1(),
                reason: "fausse alerte".into(),
            },
        );
        let r = report_of(&s, 100);
        let rows: Vec<(&str, u32, u32, Option<f64>)> = r
            .units
            .iter()
            .map(|u| (u.unit.as_str(), u.expected, u.received, u.compliance_pct))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("REA", 0, 1, None),
                ("URG", 0, 0, None),
                ("CARDIO", 0, 0, None),
            ],
            "4 minutes at one report every 120: none due yet"
        );
        assert_eq!(r.units[1].longest_gap_ms, 4 * MIN);
    }

    #[test]
    fn stock_series_with_minimum_and_thresholds() {
        let s = scripted(true);
        let r = report_of(&s, 10_000);
        assert_eq!(r.stocks.len(), 2);
        let o2 = &r.stocks[0];
        assert_eq!(o2.code, "O2");
        assert_eq!(o2.name, "Bouteilles d'oxygène");
        assert_eq!(o2.measure, "bouteilles");
        assert_eq!(o2.thresholds, Some((50.0, 20.0)));
        assert_eq!(
            o2.points,
            vec![(at(35), 100.0), (at(100), 45.0), (at(180), 15.0)],
            "only the counts made during the crisis"
        );
        assert_eq!(o2.min, Some((at(180), 15.0)));
        assert_eq!(o2.alert_from_ms, Some(at(100)));
        assert_eq!(o2.critical_from_ms, Some(at(180)));
        let cgr = &r.stocks[1];
        assert_eq!(cgr.code, "CGR");
        assert!(cgr.points.is_empty());
        assert_eq!(
            (cgr.min, cgr.alert_from_ms, cgr.critical_from_ms),
            (None, None, None)
        );
    }

    #[test]
    fn dmia_breaches_start_at_declaration_plus_dmia() {
        let s = scripted(true);
        let r = report_of(&s, 10_000);
        let rows: Vec<(&str, ClockState, Option<i64>, i64)> = r
            .activities
            .iter()
            .map(|a| {
                (
                    a.activity.as_str(),
                    a.state,
                    a.breach_ms.map(|b| (b - T0) / MIN),
                    a.overrun_ms / MIN,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                // 300 minutes against 4 h: breached at minute 240, 60 over.
                ("URGENCES", ClockState::Red, Some(240), 60),
                // 300 of 360 minutes is past 75 %: orange, not breached.
                ("REA", ClockState::Orange, None, 0),
                ("ADMISSIONS", ClockState::Green, None, 0),
            ]
        );
        assert!(r.activities[0].breached());
        assert!(!r.activities[1].breached());
        assert_eq!(r.activities[0].dmia, Duration::from_secs(4 * 3600));
        assert_eq!(r.activities[0].criticality, Criticality::Vital);
    }

    #[test]
    fn detection_counts_open_alerts_from_the_first_one() {
        let s = scripted(true);
        let r = report_of(&s, 10_000);
        let d = &r.detection;
        let alerts: Vec<(&str, i64, i64)> = d
            .alerts
            .iter()
            .map(|a| {
                (
                    a.subject.as_str(),
                    (a.raised_ms - T0) / MIN,
                    (a.since_ms - T0) / MIN,
                )
            })
            .collect();
        assert_eq!(alerts, vec![("sih-adt", -30, -40), ("dpi-web", -10, -12)]);
        assert_eq!(d.alerts[1].kind, AlertKind::ProbeFailed);
        assert_eq!(d.alerts[0].evidence, "preuve a1");
        assert_eq!(d.lead_ms, Some(30 * MIN));
    }

    #[test]
    fn an_open_crisis_is_a_provisional_report_at_now() {
        let s = scripted(false);
        let r = report_of(&s, 260);
        let c = &r.crisis;
        assert!(c.provisional);
        assert_eq!((c.closed_ms, c.closing_reason.clone()), (None, None));
        assert_eq!(c.end_ms, at(260));
        assert_eq!(c.duration_ms, 260 * MIN);
        assert_eq!(c.levels.last().map(|l| l.to_ms), Some(at(260)));
        // t4 is open and 160 minutes late at minute 260.
        assert_eq!(r.tasks[3].outcome, TaskOutcome::Overdue);
        assert_eq!(r.tasks[3].delay_ms, 160 * MIN);
        assert_eq!(r.figures.median_delay_ms, Some(28 * MIN));
        assert_eq!(r.figures.max_delay_ms, Some(160 * MIN));
        // 260 / 120 rounds down to 2; the longest gap of REA runs to now.
        assert_eq!(r.units[0].expected, 2);
        assert_eq!(r.units[0].longest_gap_ms, 120 * MIN);
        assert_eq!(r.activities[0].overrun_ms, 20 * MIN);
        assert_eq!(r.timeline.last().map(|i| i.at_ms), Some(at(250)));
    }

    #[test]
    fn a_second_crisis_does_not_mix_with_the_first() {
        let mut s = scripted(true);
        s.at(
            400,
            "système",
            alert("a4", AlertKind::FeedRateLow, "sih-adt", 395),
        );
        s.at(
            420,
            "dir",
            CrisisFact::Declared {
                crisis: CrisisId("c2".into()),
                level: 1,
                reason: "Nouvelle panne".into(),
            },
        );
        s.at(430, "pharma", count("O2", 180.0));
        let r = after_action(&s.book, &plan(), "c2", &units(), at(480)).expect("c2");
        assert!(r.crisis.provisional);
        assert_eq!(r.crisis.duration_ms, 60 * MIN);
        // a2 (raised before c1, never cleared) belongs to the story of c1.
        let subjects: Vec<&str> = r
            .detection
            .alerts
            .iter()
            .map(|a| a.subject.as_str())
            .collect();
        assert_eq!(subjects, vec!["sih-adt"]);
        assert_eq!(r.detection.lead_ms, Some(20 * MIN));
        assert_eq!(r.stocks[0].points, vec![(at(430), 180.0)]);
        assert!(r.tasks.is_empty() && r.decisions.is_empty());
        assert_eq!(r.timeline.len(), 3, "the alert, the declaration, the count");
        // The first crisis's report is unchanged by the second.
        assert_eq!(report_of(&s, 10_000).timeline.len(), 26);
    }

    #[test]
    fn a_task_reopened_then_done_again_ends_at_its_last_close() {
        let mut s = Script::new();
        s.at(
            0,
            "dir",
            CrisisFact::Declared {
                crisis: c1(),
                level: 1,
                reason: "x".into(),
            },
        );
        s.at(1, "dir", task("t1", Some(10), None));
        s.at(5, "a", update("t1", TaskStatus::Done, ""));
        s.at(6, "a", update("t1", TaskStatus::Done, "précision"));
        s.at(8, "a", update("t1", TaskStatus::InProgress, "à refaire"));
        s.at(15, "a", update("t1", TaskStatus::Done, ""));
        s.at(
            20,
            "dir",
            CrisisFact::Closed {
                crisis: c1(),
                reason: "fin".into(),
            },
        );
        let r = report_of(&s, 100);
        assert_eq!(
            r.tasks[0].ended_ms,
            Some(at(15)),
            "a note on a done task does not move its end"
        );
        assert_eq!(r.tasks[0].delay_ms, 5 * MIN);
        assert_eq!(r.tasks[0].outcome, TaskOutcome::Late);
    }
}
