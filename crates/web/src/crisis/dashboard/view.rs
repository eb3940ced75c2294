//! The dashboard in words: the model put into one language, and the
//! templates of the page and of the fragment the stream pushes (the page
//! includes the fragment's template, so both show the same thing).

use askama::Template;
use ckisa_auth::Role;
use ckisa_crisis::plan::StockLevel;
use ckisa_domain::{AlertKind, Assignee, Rag};

use super::model::{
    AlertLine, BedType, LIST_LIMIT, Model, OverdueTask, Punctuality, StockLine, UnitLine,
};
use crate::format::Fmt;
use crate::i18n::Tr;
use crate::layout::{BannerView, banner_view, role_label};

/// The fragment pushed to browsers: `<div id="tableau">`'s content.
#[derive(Template)]
#[template(path = "crisis/dashboard_fragment.html")]
pub(super) struct FragmentTemplate<'a> {
    pub(super) tr: Tr,
    pub(super) view: &'a View,
}

/// A link to a unit's report form, for the units the caller may report for.
pub(super) struct PointLink {
    pub(super) code: String,
    pub(super) href: String,
}

/// The whole page: the fragment, the live state, and the caller's links.
#[derive(Template)]
#[template(path = "crisis/dashboard.html")]
pub(super) struct PageTemplate<'a> {
    pub(super) tr: Tr,
    pub(super) view: &'a View,
    /// Report forms this caller may fill.
    pub(super) points: Vec<PointLink>,
    /// The caller may count stocks.
    pub(super) stocks: bool,
    /// Version for the script URL.
    pub(super) version: &'static str,
}

/// One figure of the establishment.
pub(super) struct Figure {
    pub(super) label: &'static str,
    pub(super) value: String,
}

pub(super) struct BedTypeRow {
    pub(super) label: &'static str,
    pub(super) beds: u32,
    pub(super) occupied: u32,
    pub(super) free: u32,
}

pub(super) struct UnitRow {
    pub(super) code: String,
    pub(super) name: String,
    /// A real unit, which reports (not the in-house patients without unit).
    pub(super) reportable: bool,
    pub(super) beds: u32,
    pub(super) occupied: u32,
    pub(super) free: u32,
    pub(super) occupancy: String,
    /// `green`, `orange`, `red`, or empty without report.
    pub(super) status_class: &'static str,
    pub(super) status: Option<&'static str>,
    /// `present / needed`.
    pub(super) staff: String,
    /// Fewer present than needed.
    pub(super) short: bool,
    pub(super) needs: String,
    /// When it last reported, or why it is late.
    pub(super) last: String,
    pub(super) late: bool,
}

pub(super) struct StockRow {
    pub(super) name: String,
    pub(super) quantity: String,
    /// `normal`, `alert`, `critical`, or `unknown`.
    pub(super) level_class: &'static str,
    pub(super) level: &'static str,
    pub(super) per_day: String,
    pub(super) days: String,
    pub(super) counted: String,
}

pub(super) struct TaskRow {
    pub(super) href: String,
    pub(super) title: String,
    pub(super) owner: String,
    pub(super) late_by: String,
}

pub(super) struct AlertRow {
    pub(super) kind: &'static str,
    pub(super) subject: String,
    pub(super) since: String,
    pub(super) evidence: String,
    pub(super) acknowledged: bool,
}

/// The model in one language.
pub(super) struct View {
    pub(super) version: u64,
    /// "Mis à jour à 14:03:22".
    pub(super) stamp: String,
    /// The crisis line; none outside a crisis.
    pub(super) crisis: Option<String>,
    pub(super) recovery: bool,
    /// The crisis part of the page's banner, which the browser swaps in.
    pub(super) banner: Option<BannerView>,
    pub(super) totals: Vec<Figure>,
    pub(super) bed_types: Vec<BedTypeRow>,
    /// On time, late, awaited.
    pub(super) reports: String,
    pub(super) units: Vec<UnitRow>,
    pub(super) stocks: Vec<StockRow>,
    /// "12 tâches ouvertes, dont 3 en retard".
    pub(super) tasks: String,
    pub(super) overdue: Vec<TaskRow>,
    pub(super) more_tasks: Option<String>,
    /// "2 alertes ouvertes".
    pub(super) alerts: String,
    pub(super) alert_rows: Vec<AlertRow>,
    pub(super) more_alerts: Option<String>,
}

impl View {
    pub(super) fn of(model: &Model, fmt: &Fmt<'_>) -> View {
        let tr = fmt.tr;
        let wall = fmt.wall(model.now_ms);
        let time = wall.split_once(' ').map_or(wall.as_str(), |(_, t)| t);
        let crisis = model.crisis.as_ref().map(|c| {
            let key = if c.recovery {
                "dashboard.crisis_recovery"
            } else {
                "dashboard.crisis"
            };
            tr.fmt(
                key,
                &[
                    ("level", &c.level.to_string()),
                    ("name", &c.name),
                    ("since", &fmt.wall(c.declared_ms)),
                    ("span", &fmt.span(model.now_ms - c.declared_ms)),
                ],
            )
        });
        let (on_time, late, awaited) = model.report_tally();
        let reports = if model.crisis.is_some() {
            tr.fmt(
                "dashboard.reports_tally",
                &[
                    ("on_time", &on_time.to_string()),
                    ("late", &late.to_string()),
                    ("awaited", &awaited.to_string()),
                    ("interval", &fmt.span(model.interval_ms)),
                ],
            )
        } else {
            tr.t("dashboard.reports_not_expected").to_owned()
        };
        View {
            version: model.version,
            stamp: tr.fmt("dashboard.stamp", &[("time", time)]),
            recovery: model.crisis.as_ref().is_some_and(|c| c.recovery),
            crisis,
            banner: banner_view(fmt, model.banner.as_ref()),
            totals: totals(model, tr),
            bed_types: model
                .bed_types
                .iter()
                .map(|(kind, counts)| BedTypeRow {
                    label: bed_type_label(tr, *kind),
                    beds: counts.beds,
                    occupied: counts.occupied,
                    free: counts.free(),
                })
                .collect(),
            reports,
            units: model.units.iter().map(|u| unit_row(u, fmt)).collect(),
            stocks: model.stocks.iter().map(|s| stock_row(s, fmt)).collect(),
            tasks: tr.fmt(
                "dashboard.tasks_tally",
                &[
                    ("open", &model.tasks.open.to_string()),
                    ("overdue", &model.tasks.overdue_count.to_string()),
                ],
            ),
            overdue: model
                .tasks
                .overdue
                .iter()
                .map(|t| task_row(t, fmt))
                .collect(),
            more_tasks: more(tr, model.tasks.overdue_count),
            alerts: tr.fmt(
                "dashboard.alerts_tally",
                &[("open", &model.alerts.open.to_string())],
            ),
            alert_rows: model
                .alerts
                .shown
                .iter()
                .map(|a| alert_row(a, fmt))
                .collect(),
            more_alerts: more(tr, model.alerts.open),
        }
    }
}

fn task_row(task: &OverdueTask, fmt: &Fmt<'_>) -> TaskRow {
    TaskRow {
        href: format!(
            "/crise/taches/{}",
            percent_encoding::utf8_percent_encode(&task.id, percent_encoding::NON_ALPHANUMERIC)
        ),
        title: task.title.clone(),
        owner: owner(fmt.tr, &task.assignee),
        late_by: fmt.span(fmt.now_ms - task.due_ms),
    }
}

fn alert_row(alert: &AlertLine, fmt: &Fmt<'_>) -> AlertRow {
    AlertRow {
        kind: alert_kind(fmt.tr, alert.kind),
        subject: alert.subject.clone(),
        since: fmt.wall(alert.since_ms),
        evidence: alert.evidence.clone(),
        acknowledged: alert.acknowledged,
    }
}

fn totals(model: &Model, tr: Tr) -> Vec<Figure> {
    let total = &model.total;
    let mut figures = vec![
        Figure {
            label: tr.t("dashboard.beds"),
            value: total.beds.to_string(),
        },
        Figure {
            label: tr.t("dashboard.occupied"),
            value: total.occupied.to_string(),
        },
        Figure {
            label: tr.t("dashboard.free"),
            value: total.free().to_string(),
        },
        Figure {
            label: tr.t("dashboard.occupancy"),
            value: percent(tr, total.percent()),
        },
        Figure {
            label: tr.t("dashboard.in_house"),
            value: total.patients.to_string(),
        },
    ];
    if let Some(movements) = model.movements {
        figures.push(Figure {
            label: tr.t("dashboard.admissions"),
            value: movements.admissions.to_string(),
        });
        figures.push(Figure {
            label: tr.t("dashboard.discharges"),
            value: movements.discharges.to_string(),
        });
    }
    figures
}

/// "… et 4 de plus" when a list of `total` shows only [`LIST_LIMIT`].
fn more(tr: Tr, total: usize) -> Option<String> {
    (total > LIST_LIMIT).then(|| {
        tr.fmt(
            "dashboard.more",
            &[("n", &(total - LIST_LIMIT).to_string())],
        )
    })
}

fn percent(tr: Tr, value: Option<u64>) -> String {
    match value {
        Some(p) => tr.fmt("dashboard.percent", &[("n", &p.to_string())]),
        None => String::from("—"),
    }
}

fn unit_row(unit: &UnitLine, fmt: &Fmt<'_>) -> UnitRow {
    let tr = fmt.tr;
    let report = unit.report.as_ref();
    let ago = |at_ms: i64, by: &str| {
        tr.fmt(
            "dashboard.reported",
            &[("span", &fmt.span(fmt.now_ms - at_ms)), ("by", by)],
        )
    };
    let last = match unit.punctuality {
        Punctuality::Late { since_ms, never } => tr.fmt(
            if never {
                "dashboard.never_since_declared"
            } else {
                "dashboard.no_report_for"
            },
            &[("span", &fmt.span(fmt.now_ms - since_ms))],
        ),
        Punctuality::Awaited => tr.t("dashboard.report_awaited").to_owned(),
        Punctuality::OnTime | Punctuality::NotExpected => {
            report.map_or_else(|| String::from("—"), |r| ago(r.at_ms, &r.by))
        }
    };
    UnitRow {
        code: unit.code.clone(),
        name: unit.name.clone(),
        reportable: unit.code != ckisa_store::UNLOCATED_UNIT,
        beds: unit.counts.beds,
        occupied: unit.counts.occupied,
        free: unit.counts.free(),
        occupancy: percent(tr, unit.counts.percent()),
        status_class: report.map_or("", |r| rag_class(r.status)),
        status: report.map(|r| rag_label(tr, r.status)),
        staff: report.map_or_else(
            || String::from("—"),
            |r| format!("{} / {}", r.present, r.needed),
        ),
        short: report.is_some_and(|r| r.present < r.needed),
        needs: report.map(|r| r.needs.clone()).unwrap_or_default(),
        last,
        late: matches!(unit.punctuality, Punctuality::Late { .. }),
    }
}

pub(super) fn stock_row(stock: &StockLine, fmt: &Fmt<'_>) -> StockRow {
    let tr = fmt.tr;
    let Some(count) = &stock.count else {
        return StockRow {
            name: stock.name.clone(),
            quantity: tr.t("dashboard.never_counted").to_owned(),
            level_class: "unknown",
            level: tr.t("dashboard.level_unknown"),
            per_day: String::from("—"),
            days: String::from("—"),
            counted: String::from("—"),
        };
    };
    let (level_class, level) = match count.level {
        StockLevel::Normal => ("normal", tr.t("dashboard.level_normal")),
        StockLevel::Alert => ("alert", tr.t("dashboard.level_alert")),
        StockLevel::Critical => ("critical", tr.t("dashboard.level_critical")),
    };
    let per_day = match count.per_day {
        Some(rate) => tr.fmt(
            if count.observed {
                "dashboard.per_day_observed"
            } else {
                "dashboard.per_day_plan"
            },
            &[("n", &amount(tr, rate)), ("measure", &stock.measure)],
        ),
        None => String::from("—"),
    };
    StockRow {
        name: stock.name.clone(),
        quantity: format!("{} {}", amount(tr, count.quantity), stock.measure),
        level_class,
        level,
        per_day,
        days: count.days_left.map_or_else(
            || String::from("—"),
            |days| tr.fmt("dashboard.days", &[("n", &amount(tr, days))]),
        ),
        counted: tr.fmt(
            "dashboard.counted",
            &[("at", &fmt.wall(count.counted_ms)), ("by", &count.by)],
        ),
    }
}

/// A quantity with at most one decimal, in the language's notation
/// (`12,5` in French), without a trailing `,0`.
pub(super) fn amount(tr: Tr, value: f64) -> String {
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    text.replacen('.', tr.t("number.decimal_separator"), 1)
}

pub(super) fn rag_class(status: Rag) -> &'static str {
    match status {
        Rag::Green => "green",
        Rag::Orange => "orange",
        Rag::Red => "red",
    }
}

pub(super) fn rag_label(tr: Tr, status: Rag) -> &'static str {
    match status {
        Rag::Green => tr.t("dashboard.rag_green"),
        Rag::Orange => tr.t("dashboard.rag_orange"),
        Rag::Red => tr.t("dashboard.rag_red"),
    }
}

fn bed_type_label(tr: Tr, kind: BedType) -> &'static str {
    match kind {
        BedType::CriticalCare => tr.t("dashboard.type_critical_care"),
        BedType::Emergency => tr.t("dashboard.type_emergency"),
        BedType::Maternity => tr.t("dashboard.type_maternity"),
        BedType::Ward => tr.t("dashboard.type_ward"),
    }
}

fn alert_kind(tr: Tr, kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::FeedSilent => tr.t("dashboard.alert_feed_silent"),
        AlertKind::FeedRateLow => tr.t("dashboard.alert_feed_rate_low"),
        AlertKind::ProbeFailed => tr.t("dashboard.alert_probe_failed"),
        AlertKind::PdmaExceeded => tr.t("dashboard.alert_pdma_exceeded"),
        AlertKind::StockLow => tr.t("dashboard.alert_stock_low"),
    }
}

/// Who a task is for, as people read it.
fn owner(tr: Tr, assignee: &Assignee) -> String {
    match assignee {
        Assignee::Person(login) => login.clone(),
        Assignee::Role(code) => Role::from_code(code)
            .map_or_else(|| code.clone(), |role| role_label(tr, role).to_owned()),
        Assignee::Unit(code) => tr.fmt("dashboard.owner_unit", &[("unit", code)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn amounts_have_one_decimal_at_most_in_the_language() {
        assert_eq!(amount(Tr(Lang::Fr), 12.5), "12,5");
        assert_eq!(amount(Tr(Lang::En), 12.5), "12.5");
        assert_eq!(amount(Tr(Lang::Fr), 1500.0), "1500");
        assert_eq!(amount(Tr(Lang::Fr), 2.96), "3");
        assert_eq!(amount(Tr(Lang::Fr), 0.04), "0");
    }
}
