//! The after-action report (retour d'expérience): the list of past crises
//! (`/crise/historique`), the report of one crisis as a page
//! (`/crise/rapport/{id}`) and as a PDF (`/crise/rapport/{id}/pdf`).
//!
//! The figures come from `ckisa_crisis::report::after_action`; this module
//! only puts them into words, tables and charts. Both outputs are built from
//! one [`ReportView`], so the page and the PDF always say the same thing. A
//! crisis still open gets a provisional report computed at the request's
//! time, labelled as such at the top of the page and in the PDF title.
//!
//! **Audit.** Every read of a report, page or PDF, is written to the audit
//! trail (action `crisis.report`, the crisis id as target). A report holds
//! no patient record, but it copies the main courante, decisions, task notes
//! and unit comments verbatim, and that free text may name a patient
//! ("Mme X transférée en réanimation"); the PDF also leaves the node. The
//! list of crises is not audited: it shows only dates, levels and the
//! declaration reasons.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use ckisa_auth::{Action, Role};
use ckisa_crisis::plan::{ClockState, Criticality, Plan};
use ckisa_crisis::report::{
    self, AfterAction, CrisisSummary, TaskOutcome, TimelineItem, TimelineKind,
};
use ckisa_domain::{AlertKind, Assignee, Rag, TaskStatus};
use ckisa_print::{Align, Chart, ChartKind, Column, Document, Mark, Row, XAxis, chart_svg};

use crate::access::{Audited, Caller};
use crate::error::AppError;
use crate::format::{Fmt, number};
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page, role_label};
use crate::{AppState, PageCtx};

/// Size of a chart on the page, in pixels (the style sheet lets it shrink).
const CHART_WIDTH: u32 = 720;
const CHART_HEIGHT: u32 = 280;

/// Most characters of a task title under a bar of the delay chart.
const BAR_LABEL_CHARS: usize = 40;

/// One crisis in the history list.
struct HistoryRow {
    declared: String,
    closed: Option<String>,
    level: String,
    duration: String,
    reason: String,
    href: String,
}

#[derive(Template)]
#[template(path = "crisis/history.html")]
struct HistoryTemplate {
    tr: Tr,
    rows: Vec<HistoryRow>,
}

/// `GET /crise/historique`: every crisis, newest first.
pub(crate) async fn history_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    _caller: Caller,
) -> Result<Response, AppError> {
    let feeds = state.read(|store| store.feeds()).await?;
    let summaries: Vec<CrisisSummary> = {
        let book = state.book().await?;
        book.crises()
            .iter()
            .rev()
            .map(|crisis| report::summary(crisis, ctx.now_ms))
            .collect()
    };
    let fmt = ctx.fmt(&state);
    let plan = state.hub().plan();
    let rows = summaries
        .iter()
        .map(|summary| HistoryRow {
            declared: fmt.wall(summary.declared_ms),
            closed: summary.closed_ms.map(|ms| fmt.wall(ms)),
            level: level_name(plan, summary.max_level),
            duration: fmt.span(summary.duration_ms),
            reason: summary.reason.clone(),
            href: format!("/crise/rapport/{}", summary.id.0),
        })
        .collect();
    let main = HistoryTemplate { tr: fmt.tr, rows }.render()?;
    let page = Page {
        title: fmt.tr.t("report.history_title"),
        nav: Nav::Crisis,
        query: "",
        main,
    };
    layout::respond(&state, &ctx, &feeds, page)
}

/// `GET /crise/rapport/{id}`: the report page.
pub(crate) async fn report_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let feeds = state.read(|store| store.feeds()).await?;
    let report = after_action(&state, &ctx, &id).await?;
    caller.audit(
        &state,
        Audited::allowed(Action::CrisisReport)
            .target(&id)
            .detail("page"),
    );
    let fmt = ctx.fmt(&state);
    let view = ReportView::new(&fmt, state.hub().plan(), &report);
    let section = crate::messages::report_section(
        &state,
        &fmt,
        report.crisis.declared_ms,
        report.crisis.end_ms,
    )
    .await?;
    let may_export = caller.reach(Action::MessageExport) != ckisa_auth::Reach::Never;
    let mut template = ReportTemplate::new(fmt.tr, &view);
    template.messaging = crate::messages::report_html(fmt.tr, &section, may_export)?;
    let main = template.render()?;
    let page = Page {
        title: &view.title,
        nav: Nav::Crisis,
        query: "",
        main,
    };
    layout::respond(&state, &ctx, &feeds, page)
}

/// `GET /crise/rapport/{id}/pdf`: the same report as an A4 PDF download.
pub(crate) async fn report_pdf(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let report = after_action(&state, &ctx, &id).await?;
    caller.audit(
        &state,
        Audited::allowed(Action::CrisisReport)
            .target(&id)
            .detail("pdf"),
    );
    let fmt = ctx.fmt(&state);
    let view = ReportView::new(&fmt, state.hub().plan(), &report);
    let section = crate::messages::report_section(
        &state,
        &fmt,
        report.crisis.declared_ms,
        report.crisis.end_ms,
    )
    .await?;
    let document = pdf_document(&fmt, &state.config().site_name, &view, &section)
        // A refused table is a mistake of this module, never of the data.
        .map_err(|error| AppError::Render(askama::Error::custom(error)))?;
    let pdf = tokio::task::spawn_blocking(move || document.finish()).await?;
    let declared = date_and_time(&fmt, report.crisis.declared_ms)
        .0
        .replace('/', "-");
    let disposition = format!("attachment; filename=\"rapport-crise-{declared}.pdf\"");
    Ok((
        [
            (CONTENT_TYPE, String::from("application/pdf")),
            (CONTENT_DISPOSITION, disposition),
        ],
        pdf,
    )
        .into_response())
}

/// The figures of crisis `id` now; an unknown id is a 404.
async fn after_action(state: &AppState, ctx: &PageCtx, id: &str) -> Result<AfterAction, AppError> {
    let units: Vec<String> = state
        .read(|store| store.units())
        .await?
        .into_iter()
        .map(|unit| unit.code)
        .collect();
    let book = state.book().await?;
    report::after_action(&book, state.hub().plan(), id, &units, ctx.now_ms)
        .ok_or(AppError::PageNotFound)
}

/// `2 — Cellule de crise activée`, or the bare number for a level the plan
/// no longer has.
fn level_name(plan: &Plan, level: u8) -> String {
    match plan.level(level) {
        Some(known) => format!("{level} — {}", known.name),
        None => level.to_string(),
    }
}

/// `("dd/mm/yyyy", "HH:MM")` of a wall-clock time in the node's zone.
fn date_and_time(fmt: &Fmt<'_>, ms: i64) -> (String, String) {
    let wall = fmt.wall(ms);
    let (date, time) = wall.split_once(' ').unwrap_or((&wall, ""));
    (date.to_owned(), time.get(..5).unwrap_or(time).to_owned())
}

/// A label and its value.
struct Pair {
    label: &'static str,
    value: String,
}

fn pair(label: &'static str, value: impl Into<String>) -> Pair {
    Pair {
        label,
        value: value.into(),
    }
}

/// A traffic-light class for the style sheet and its PDF marker.
#[derive(Clone, Copy)]
enum Light {
    Green,
    Orange,
    Red,
    None,
}

impl Light {
    /// Class of a table row (a coloured bar at its start).
    fn class(self) -> &'static str {
        match self {
            Light::Green => "rag-green",
            Light::Orange => "rag-orange",
            Light::Red => "rag-red",
            Light::None => "",
        }
    }

    /// Modifier of the shared `.rag` badge; empty for no badge.
    fn word(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Orange => "orange",
            Light::Red => "red",
            Light::None => "",
        }
    }

    fn mark(self) -> Option<Mark> {
        match self {
            Light::Green => Some(Mark::Ok),
            Light::Orange => Some(Mark::Warning),
            Light::Red => Some(Mark::Critical),
            Light::None => None,
        }
    }
}

struct DmiaRow {
    activity: String,
    criticality: &'static str,
    dmia: String,
    state: &'static str,
    breach: String,
    overrun: String,
    light: Light,
}

struct TimelineRow {
    time: String,
    by: String,
    event: String,
    text: String,
}

struct DecisionRow {
    time: String,
    title: String,
    decided_by: String,
    rationale: String,
    follow_up: String,
}

struct TaskRow {
    title: String,
    owner: String,
    due: String,
    ended: String,
    delay: String,
    outcome: &'static str,
    light: Light,
}

struct UnitRow {
    unit: String,
    expected: String,
    received: String,
    gap: String,
    compliance: String,
    last_status: &'static str,
    light: Light,
}

struct StockRow {
    name: String,
    points: String,
    min: String,
    alert: String,
    critical: String,
    light: Light,
}

struct EarlyRow {
    raised: String,
    since: String,
    kind: &'static str,
    subject: String,
    evidence: String,
}

/// The report in words, for the page and the PDF alike.
struct ReportView {
    title: String,
    /// The provisional notice, for an open crisis.
    provisional: Option<String>,
    pdf_href: String,
    summary: Vec<Pair>,
    levels: Vec<String>,
    lasted: String,
    dmia: Vec<DmiaRow>,
    detection: String,
    early: Vec<EarlyRow>,
    timeline: Vec<TimelineRow>,
    decisions: Vec<DecisionRow>,
    tasks: Vec<TaskRow>,
    figures: Vec<Pair>,
    interval: String,
    units: Vec<UnitRow>,
    stocks: Vec<StockRow>,
    stock_charts: Vec<Chart>,
    delay_chart: Option<Chart>,
}

impl ReportView {
    fn new(fmt: &Fmt<'_>, plan: &Plan, report: &AfterAction) -> ReportView {
        let tr = fmt.tr;
        let crisis = &report.crisis;
        let (declared_date, _) = date_and_time(fmt, crisis.declared_ms);
        let title = tr.fmt("report.title", &[("date", &declared_date)]);
        let provisional = crisis
            .provisional
            .then(|| tr.fmt("report.provisional", &[("now", &fmt.wall(crisis.end_ms))]));
        let lasted = tr.fmt(
            "report.lasted",
            &[("duration", &fmt.span(crisis.duration_ms))],
        );
        ReportView {
            title,
            provisional,
            pdf_href: format!("/crise/rapport/{}/pdf", crisis.id.0),
            summary: summary_pairs(fmt, plan, crisis),
            levels: crisis
                .levels
                .iter()
                .map(|span| {
                    tr.fmt(
                        "report.level_span",
                        &[
                            ("level", &level_name(plan, span.level)),
                            ("from", &fmt.wall(span.from_ms)),
                            ("to", &fmt.wall(span.to_ms)),
                            ("span", &fmt.span(span.to_ms - span.from_ms)),
                        ],
                    )
                })
                .collect(),
            lasted,
            dmia: dmia_rows(fmt, report),
            detection: match report.detection.lead_ms {
                Some(lead) => tr.fmt("report.detection_lead", &[("lead", &fmt.span(lead))]),
                None => tr.t("report.detection_none").to_owned(),
            },
            early: report
                .detection
                .alerts
                .iter()
                .map(|alert| EarlyRow {
                    raised: fmt.wall(alert.raised_ms),
                    since: fmt.wall(alert.since_ms),
                    kind: alert_kind(tr, alert.kind),
                    subject: alert.subject.clone(),
                    evidence: alert.evidence.clone(),
                })
                .collect(),
            timeline: report
                .timeline
                .iter()
                .map(|item| timeline_row(fmt, plan, item))
                .collect(),
            decisions: report
                .decisions
                .iter()
                .map(|decision| DecisionRow {
                    time: fmt.wall(decision.stamp.at_ms),
                    title: decision.title.clone(),
                    decided_by: decision.decided_by.clone(),
                    rationale: decision.rationale.clone(),
                    follow_up: decision.follow_up.clone(),
                })
                .collect(),
            tasks: task_rows(fmt, report),
            figures: figure_pairs(fmt, report),
            interval: tr.fmt(
                "report.units_interval",
                &[(
                    "interval",
                    &fmt.span(duration_ms(plan.crisis.unit_report_interval)),
                )],
            ),
            units: unit_rows(fmt, report),
            stocks: stock_rows(fmt, report),
            stock_charts: stock_charts(tr, report),
            delay_chart: delay_chart(tr, report),
        }
    }
}

fn duration_ms(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn summary_pairs(fmt: &Fmt<'_>, plan: &Plan, crisis: &CrisisSummary) -> Vec<Pair> {
    let tr = fmt.tr;
    let mut pairs = vec![
        pair(tr.t("report.declared"), fmt.wall(crisis.declared_ms)),
        pair(tr.t("report.declared_by"), crisis.declared_by.clone()),
        pair(tr.t("report.reason"), crisis.reason.clone()),
    ];
    if let Some(ms) = crisis.recovery_ms {
        pairs.push(pair(tr.t("report.recovery"), fmt.wall(ms)));
    }
    match crisis.closed_ms {
        Some(ms) => pairs.push(pair(tr.t("report.closed"), fmt.wall(ms))),
        None => pairs.push(pair(tr.t("report.closed"), tr.t("report.ongoing"))),
    }
    if let Some(reason) = &crisis.closing_reason {
        pairs.push(pair(tr.t("report.closing_reason"), reason.clone()));
    }
    pairs.push(pair(tr.t("report.duration"), fmt.span(crisis.duration_ms)));
    pairs.push(pair(
        tr.t("report.level_max"),
        level_name(plan, crisis.max_level),
    ));
    pairs
}

fn dmia_rows(fmt: &Fmt<'_>, report: &AfterAction) -> Vec<DmiaRow> {
    let tr = fmt.tr;
    report
        .activities
        .iter()
        .map(|line| {
            let (state, light) = match line.state {
                ClockState::Red => ("report.state_red", Light::Red),
                ClockState::Orange => ("report.state_orange", Light::Orange),
                ClockState::Green => ("report.state_green", Light::Green),
            };
            DmiaRow {
                activity: line.name.clone(),
                criticality: criticality(tr, line.criticality),
                dmia: fmt.span(duration_ms(line.dmia)),
                state: tr.t(state),
                breach: line
                    .breach_ms
                    .map_or_else(|| tr.t("report.none").to_owned(), |ms| fmt.wall(ms)),
                overrun: if line.breached() {
                    fmt.span(line.overrun_ms)
                } else {
                    tr.t("report.none").to_owned()
                },
                light,
            }
        })
        .collect()
}

fn criticality(tr: Tr, criticality: Criticality) -> &'static str {
    tr.t(match criticality {
        Criticality::Vital => "report.crit_vital",
        Criticality::Major => "report.crit_major",
        Criticality::Important => "report.crit_important",
        Criticality::Secondary => "report.crit_secondary",
    })
}

fn alert_kind(tr: Tr, kind: AlertKind) -> &'static str {
    tr.t(match kind {
        AlertKind::FeedSilent => "report.alert_feed_silent",
        AlertKind::FeedRateLow => "report.alert_feed_rate",
        AlertKind::ProbeFailed => "report.alert_probe",
        AlertKind::PdmaExceeded => "report.alert_pdma",
        AlertKind::StockLow => "report.alert_stock",
    })
}

fn rag(tr: Tr, rag: Rag) -> &'static str {
    tr.t(match rag {
        Rag::Green => "report.rag_green",
        Rag::Orange => "report.rag_orange",
        Rag::Red => "report.rag_red",
    })
}

fn task_status(tr: Tr, status: TaskStatus) -> &'static str {
    tr.t(match status {
        TaskStatus::Open => "report.status_open",
        TaskStatus::InProgress => "report.status_in_progress",
        TaskStatus::Done => "report.status_done",
        TaskStatus::Cancelled => "report.status_cancelled",
    })
}

fn owner(tr: Tr, assignee: &Assignee) -> String {
    match assignee {
        Assignee::Person(login) => login.clone(),
        Assignee::Role(code) => match Role::from_code(code) {
            Some(role) => role_label(tr, role).to_owned(),
            None => code.clone(),
        },
        Assignee::Unit(code) => tr.fmt("report.owner_unit", &[("unit", code)]),
    }
}

/// A quantity with the language's decimal separator.
fn quantity(tr: Tr, value: f64) -> String {
    number(tr, &format!("{}", (value * 100.0).round() / 100.0))
}

fn stock_name(plan: &Plan, code: &str) -> String {
    plan.stock(code)
        .map_or_else(|| code.to_owned(), |stock| stock.name.clone())
}

fn timeline_row(fmt: &Fmt<'_>, plan: &Plan, item: &TimelineItem) -> TimelineRow {
    let tr = fmt.tr;
    let mut text = item.text.clone();
    let event = match &item.kind {
        TimelineKind::Declared(level) => tr.fmt(
            "report.kind_declared",
            &[("level", &level_name(plan, *level))],
        ),
        TimelineKind::Level(level) => {
            tr.fmt("report.kind_level", &[("level", &level_name(plan, *level))])
        }
        TimelineKind::Recovery => tr.t("report.kind_recovery").to_owned(),
        TimelineKind::Closed => tr.t("report.kind_closed").to_owned(),
        TimelineKind::Log { corrected: false } => tr.t("report.kind_log").to_owned(),
        TimelineKind::Log { corrected: true } => tr.t("report.kind_log_corrected").to_owned(),
        TimelineKind::Correction => tr.t("report.kind_correction").to_owned(),
        TimelineKind::Decision { decided_by } => {
            tr.fmt("report.kind_decision", &[("by", decided_by)])
        }
        TimelineKind::TaskCreated => tr.t("report.kind_task_created").to_owned(),
        TimelineKind::TaskUpdated { status, note } => {
            if !note.trim().is_empty() {
                text = format!("{text} — {note}");
            }
            tr.fmt(
                "report.kind_task_updated",
                &[("status", task_status(tr, *status))],
            )
        }
        TimelineKind::AlertRaised { kind, subject } => tr.fmt(
            "report.kind_alert_raised",
            &[("kind", alert_kind(tr, *kind)), ("subject", subject)],
        ),
        TimelineKind::AlertCleared { subject } => {
            tr.fmt("report.kind_alert_cleared", &[("subject", subject)])
        }
        TimelineKind::UnitReport {
            unit,
            status,
            staff_present,
            staff_needed,
        } => tr.fmt(
            "report.kind_unit_report",
            &[
                ("unit", unit),
                ("status", rag(tr, *status)),
                ("present", &staff_present.to_string()),
                ("needed", &staff_needed.to_string()),
            ],
        ),
        TimelineKind::StockCount { stock, quantity: q } => tr.fmt(
            "report.kind_stock",
            &[
                ("stock", &stock_name(plan, stock)),
                ("quantity", &quantity(tr, *q)),
            ],
        ),
    };
    TimelineRow {
        time: fmt.wall(item.at_ms),
        by: item.by.clone(),
        event,
        text,
    }
}

fn task_rows(fmt: &Fmt<'_>, report: &AfterAction) -> Vec<TaskRow> {
    let tr = fmt.tr;
    let none = || tr.t("report.none").to_owned();
    report
        .tasks
        .iter()
        .map(|task| {
            let (outcome, light) = match task.outcome {
                TaskOutcome::OnTime => ("report.outcome_on_time", Light::Green),
                TaskOutcome::Late => ("report.outcome_late", Light::Orange),
                TaskOutcome::Open => ("report.outcome_open", Light::None),
                TaskOutcome::Overdue => ("report.outcome_overdue", Light::Red),
                TaskOutcome::Cancelled => ("report.outcome_cancelled", Light::None),
            };
            TaskRow {
                title: task.title.clone(),
                owner: owner(tr, &task.assignee),
                due: task
                    .due_ms
                    .map_or_else(|| tr.t("report.no_deadline").to_owned(), |ms| fmt.wall(ms)),
                ended: task.ended_ms.map_or_else(none, |ms| fmt.wall(ms)),
                delay: if task.delay_ms > 0 {
                    fmt.span(task.delay_ms)
                } else {
                    none()
                },
                outcome: tr.t(outcome),
                light,
            }
        })
        .collect()
}

fn figure_pairs(fmt: &Fmt<'_>, report: &AfterAction) -> Vec<Pair> {
    let tr = fmt.tr;
    let f = &report.figures;
    let delay =
        |ms: Option<i64>| ms.map_or_else(|| tr.t("report.none").to_owned(), |ms| fmt.span(ms));
    let log = report
        .timeline
        .iter()
        .filter(|item| {
            matches!(
                item.kind,
                TimelineKind::Log { .. } | TimelineKind::Correction
            )
        })
        .count();
    let breached = report.activities.iter().filter(|a| a.breached()).count();
    vec![
        pair(tr.t("report.fig_log"), log.to_string()),
        pair(
            tr.t("report.fig_decisions"),
            report.decisions.len().to_string(),
        ),
        pair(tr.t("report.fig_tasks"), f.total.to_string()),
        pair(tr.t("report.fig_done"), f.done.to_string()),
        pair(tr.t("report.fig_on_time"), f.done_on_time.to_string()),
        pair(tr.t("report.fig_late"), f.done_late.to_string()),
        pair(tr.t("report.fig_open"), f.open.to_string()),
        pair(tr.t("report.fig_overdue"), f.overdue.to_string()),
        pair(tr.t("report.fig_cancelled"), f.cancelled.to_string()),
        pair(tr.t("report.fig_median"), delay(f.median_delay_ms)),
        pair(tr.t("report.fig_max"), delay(f.max_delay_ms)),
        pair(tr.t("report.fig_dmia_breached"), breached.to_string()),
    ]
}

fn unit_rows(fmt: &Fmt<'_>, report: &AfterAction) -> Vec<UnitRow> {
    let tr = fmt.tr;
    report
        .units
        .iter()
        .map(|unit| {
            // Nothing due yet is no failure: no colour and no percentage.
            let light = match unit.compliance_pct {
                None => Light::None,
                Some(_) if unit.received >= unit.expected => Light::Green,
                Some(_) if unit.received > 0 => Light::Orange,
                Some(_) => Light::Red,
            };
            UnitRow {
                unit: unit.unit.clone(),
                expected: unit.expected.to_string(),
                received: unit.received.to_string(),
                gap: fmt.span(unit.longest_gap_ms),
                compliance: unit.compliance_pct.map_or_else(
                    || tr.t("report.none_expected").to_owned(),
                    |pct| format!("{} %", pct.round()),
                ),
                last_status: unit
                    .last_status
                    .map_or_else(|| tr.t("report.none"), |status| rag(tr, status)),
                light,
            }
        })
        .collect()
}

fn stock_rows(fmt: &Fmt<'_>, report: &AfterAction) -> Vec<StockRow> {
    let tr = fmt.tr;
    let reached = |ms: Option<i64>| {
        ms.map_or_else(|| tr.t("report.not_reached").to_owned(), |ms| fmt.wall(ms))
    };
    report
        .stocks
        .iter()
        .map(|stock| {
            let light = if stock.points.is_empty() {
                Light::None
            } else if stock.critical_from_ms.is_some() {
                Light::Red
            } else if stock.alert_from_ms.is_some() {
                Light::Orange
            } else {
                Light::Green
            };
            StockRow {
                name: stock.name.clone(),
                points: stock.points.len().to_string(),
                min: stock.min.map_or_else(
                    || tr.t("report.no_count").to_owned(),
                    |(at, q)| {
                        tr.fmt(
                            "report.min_at",
                            &[
                                ("quantity", &quantity(tr, q)),
                                ("measure", &stock.measure),
                                ("time", &fmt.wall(at)),
                            ],
                        )
                    },
                ),
                alert: reached(stock.alert_from_ms),
                critical: reached(stock.critical_from_ms),
                light,
            }
        })
        .collect()
}

/// One line chart per stock counted during the crisis, with its thresholds.
fn stock_charts(tr: Tr, report: &AfterAction) -> Vec<Chart> {
    report
        .stocks
        .iter()
        .filter(|stock| !stock.points.is_empty())
        .map(|stock| {
            let points = stock.points.iter().map(|&(at, q)| (at as f64, q)).collect();
            let mut chart = Chart::new(ChartKind::Line, &stock.name, XAxis::paris_time())
                .y_label(&stock.measure)
                .series(&stock.code, points);
            if let Some((alert, critical)) = stock.thresholds {
                chart = chart
                    .threshold(tr.t("report.chart_alert"), alert)
                    .threshold(tr.t("report.chart_critical"), critical);
            }
            chart
        })
        .collect()
}

/// Delay of each task with a deadline, in minutes; none without such a task.
fn delay_chart(tr: Tr, report: &AfterAction) -> Option<Chart> {
    let tasks: Vec<_> = report
        .tasks
        .iter()
        .filter(|task| task.due_ms.is_some() && task.outcome != TaskOutcome::Cancelled)
        .collect();
    if tasks.is_empty() {
        return None;
    }
    let labels = tasks
        .iter()
        .map(|task| {
            let mut label: String = task.title.chars().take(BAR_LABEL_CHARS).collect();
            if task.title.chars().count() > BAR_LABEL_CHARS {
                label.push('…');
            }
            label
        })
        .collect();
    let points = tasks
        .iter()
        .enumerate()
        .map(|(index, task)| (index as f64, task.delay_ms as f64 / 60_000.0))
        .collect();
    Some(
        Chart::new(
            ChartKind::Bar,
            tr.t("report.delay_chart"),
            XAxis::Categories(labels),
        )
        .y_label(tr.t("report.delay_minutes"))
        .series(tr.t("report.delay_series"), points),
    )
}

#[derive(Template)]
#[template(path = "crisis/report.html")]
struct ReportTemplate<'a> {
    tr: Tr,
    view: &'a ReportView,
    /// Charts drawn by `ckisa_print::chart_svg`, which escapes every text it
    /// writes (task titles included): the template inserts them unescaped.
    stock_svgs: Vec<String>,
    delay_svg: Option<String>,
    /// The messaging section, rendered by its own template.
    messaging: String,
}

impl<'a> ReportTemplate<'a> {
    fn new(tr: Tr, view: &'a ReportView) -> ReportTemplate<'a> {
        ReportTemplate {
            tr,
            view,
            stock_svgs: view
                .stock_charts
                .iter()
                .map(|chart| chart_svg(chart, CHART_WIDTH, CHART_HEIGHT))
                .collect(),
            delay_svg: view
                .delay_chart
                .as_ref()
                .map(|chart| chart_svg(chart, CHART_WIDTH, CHART_HEIGHT)),
            messaging: String::new(),
        }
    }
}

/// The report as a PDF document, ready to [`Document::finish`].
fn pdf_document(
    fmt: &Fmt<'_>,
    site_name: &str,
    view: &ReportView,
    messaging: &crate::messages::ReportSection,
) -> Result<Document, ckisa_print::TableError> {
    let tr = fmt.tr;
    let (date, time) = date_and_time(fmt, fmt.now_ms);
    let generated = tr.fmt("report.generated", &[("date", &date), ("time", &time)]);
    let mut document = Document::new(&view.title);
    let site = site_name.trim();
    if site.is_empty() {
        document.footer(&generated);
    } else {
        document
            .subtitle(site)
            .footer(&format!("{site} — {generated}"));
    }
    if let Some(zoned) = jiff::Timestamp::from_millisecond(fmt.now_ms)
        .ok()
        .map(|at| at.to_zoned(fmt.zone.clone()))
    {
        document.created_at(&zoned).data_as_of(&zoned);
    }
    if let Some(notice) = &view.provisional {
        document.paragraph(notice);
    }

    document.heading(tr.t("report.summary"));
    let pairs: Vec<(&str, &str)> = view
        .summary
        .iter()
        .map(|p| (p.label, p.value.as_str()))
        .collect();
    document.key_values(&pairs);
    document.paragraph(&view.levels.join("\n"));

    document
        .heading(tr.t("report.dmia_title"))
        .paragraph(&view.lasted);
    let columns = [
        Column::new(tr.t("report.col_activity"), 3.0),
        Column::new(tr.t("report.col_criticality"), 1.5),
        Column::new(tr.t("report.col_dmia"), 1.0).align(Align::Right),
        Column::new(tr.t("report.col_state"), 1.8),
        Column::new(tr.t("report.col_breach"), 2.0),
        Column::new(tr.t("report.col_overrun"), 1.7).align(Align::Right),
    ];
    let rows: Vec<Row> = view
        .dmia
        .iter()
        .map(|r| {
            let row = Row::new([
                r.activity.as_str(),
                r.criticality,
                r.dmia.as_str(),
                r.state,
                r.breach.as_str(),
                r.overrun.as_str(),
            ]);
            marked(row, r.light)
        })
        .collect();
    document.table(&columns, &rows)?;

    document
        .heading(tr.t("report.detection"))
        .paragraph(&view.detection);
    if !view.early.is_empty() {
        let columns = [
            Column::new(tr.t("report.col_raised"), 1.6),
            Column::new(tr.t("report.col_since"), 1.6),
            Column::new(tr.t("report.col_alert"), 1.6),
            Column::new(tr.t("report.col_subject"), 1.2),
            Column::new(tr.t("report.col_evidence"), 3.0),
        ];
        let rows: Vec<Row> = view
            .early
            .iter()
            .map(|r| {
                Row::new([
                    r.raised.as_str(),
                    r.since.as_str(),
                    r.kind,
                    r.subject.as_str(),
                    r.evidence.as_str(),
                ])
            })
            .collect();
        document.table(&columns, &rows)?;
    }

    document.heading(tr.t("report.timeline"));
    let columns = [
        Column::new(tr.t("report.col_time"), 1.6),
        Column::new(tr.t("report.col_who"), 1.0),
        Column::new(tr.t("report.col_event"), 2.2),
        Column::new(tr.t("report.col_text"), 3.2),
    ];
    let rows: Vec<Row> = view
        .timeline
        .iter()
        .map(|r| {
            Row::new([
                r.time.as_str(),
                r.by.as_str(),
                r.event.as_str(),
                r.text.as_str(),
            ])
        })
        .collect();
    document.table(&columns, &rows)?;

    document.heading(tr.t("report.decisions"));
    if view.decisions.is_empty() {
        document.paragraph(tr.t("report.decisions_none"));
    } else {
        let columns = [
            Column::new(tr.t("report.col_time"), 1.6),
            Column::new(tr.t("report.col_decision"), 2.4),
            Column::new(tr.t("report.col_decided_by"), 1.2),
            Column::new(tr.t("report.col_rationale"), 2.0),
            Column::new(tr.t("report.col_follow_up"), 2.0),
        ];
        let rows: Vec<Row> = view
            .decisions
            .iter()
            .map(|r| {
                Row::new([
                    r.time.as_str(),
                    r.title.as_str(),
                    r.decided_by.as_str(),
                    r.rationale.as_str(),
                    r.follow_up.as_str(),
                ])
            })
            .collect();
        document.table(&columns, &rows)?;
    }

    document.heading(tr.t("report.tasks"));
    if view.tasks.is_empty() {
        document.paragraph(tr.t("report.tasks_none"));
    } else {
        let columns = [
            Column::new(tr.t("report.col_task"), 2.6),
            Column::new(tr.t("report.col_owner"), 1.4),
            Column::new(tr.t("report.col_due"), 1.6),
            Column::new(tr.t("report.col_ended"), 1.6),
            Column::new(tr.t("report.col_delay"), 1.0).align(Align::Right),
            Column::new(tr.t("report.col_outcome"), 1.6),
        ];
        let rows: Vec<Row> = view
            .tasks
            .iter()
            .map(|r| {
                let row = Row::new([
                    r.title.as_str(),
                    r.owner.as_str(),
                    r.due.as_str(),
                    r.ended.as_str(),
                    r.delay.as_str(),
                    r.outcome,
                ]);
                marked(row, r.light)
            })
            .collect();
        document.table(&columns, &rows)?;
    }
    if let Some(chart) = &view.delay_chart {
        document.chart(chart);
    }

    document.heading(tr.t("report.figures"));
    let pairs: Vec<(&str, &str)> = view
        .figures
        .iter()
        .map(|p| (p.label, p.value.as_str()))
        .collect();
    document.key_values(&pairs);
    crate::messages::report_pdf(tr, &mut document, messaging)?;

    document
        .heading(tr.t("report.units"))
        .paragraph(&view.interval);
    let columns = [
        Column::new(tr.t("report.col_unit"), 1.4),
        Column::new(tr.t("report.col_expected"), 1.0).align(Align::Right),
        Column::new(tr.t("report.col_received"), 1.0).align(Align::Right),
        Column::new(tr.t("report.col_gap"), 1.4).align(Align::Right),
        Column::new(tr.t("report.col_compliance"), 1.2).align(Align::Right),
        Column::new(tr.t("report.col_last_status"), 1.2),
    ];
    let rows: Vec<Row> = view
        .units
        .iter()
        .map(|r| {
            let row = Row::new([
                r.unit.as_str(),
                r.expected.as_str(),
                r.received.as_str(),
                r.gap.as_str(),
                r.compliance.as_str(),
                r.last_status,
            ]);
            marked(row, r.light)
        })
        .collect();
    document.table(&columns, &rows)?;

    document.heading(tr.t("report.stocks"));
    let columns = [
        Column::new(tr.t("report.col_stock"), 3.0),
        Column::new(tr.t("report.col_counts"), 1.4).align(Align::Right),
        Column::new(tr.t("report.col_min"), 2.4),
        Column::new(tr.t("report.col_alert_at"), 1.6),
        Column::new(tr.t("report.col_critical_at"), 1.6),
    ];
    let rows: Vec<Row> = view
        .stocks
        .iter()
        .map(|r| {
            let row = Row::new([
                r.name.as_str(),
                r.points.as_str(),
                r.min.as_str(),
                r.alert.as_str(),
                r.critical.as_str(),
            ]);
            marked(row, r.light)
        })
        .collect();
    document.table(&columns, &rows)?;
    for chart in &view.stock_charts {
        document.chart(chart);
    }
    Ok(document)
}

fn marked(row: Row, light: Light) -> Row {
    match light.mark() {
        Some(mark) => row.mark(mark),
        None => row,
    }
}
