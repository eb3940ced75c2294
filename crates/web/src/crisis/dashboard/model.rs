//! What the dashboard shows, as numbers and codes: built once per change
//! from the census, the crisis book and the plan, then put into words in
//! each language by `view`. Pure: the time is passed in, nothing is read.

use std::collections::HashMap;

use ckisa_crisis::book::{Book, ReportEntry, project_stock};
use ckisa_crisis::plan::{Plan, StockLevel};
use ckisa_domain::{AlertKind, Assignee, CrisisId, Rag};
use ckisa_store::{UNLOCATED_UNIT, UnitSummary};

use super::movements::Movements;
use crate::crisis::Banner;

/// Most overdue tasks and open alerts listed; the full lists are a link
/// away.
pub(super) const LIST_LIMIT: usize = 10;

/// Everything the dashboard shows, the same for everyone who may see it.
pub(crate) struct Model {
    /// Store generation the figures were read at.
    pub(super) version: u64,
    /// When it was built, ms since the Unix epoch.
    pub(super) now_ms: i64,
    /// The crisis open now.
    pub(super) crisis: Option<CrisisState>,
    /// The crisis part of every page's banner, as the layout shows it; the
    /// browsers put it in place of their page's, which does not refresh.
    pub(super) banner: Option<Banner>,
    /// How often units report (the plan's `unit_report_interval`), in ms.
    pub(super) interval_ms: i64,
    /// The whole establishment.
    pub(super) total: Occupancy,
    /// Admissions and discharges since the declaration, during a crisis.
    pub(super) movements: Option<Movements>,
    /// One line per unit, in code order.
    pub(super) units: Vec<UnitLine>,
    /// Beds per type, in [`BedType`] order, types without beds left out.
    pub(super) bed_types: Vec<(BedType, Occupancy)>,
    /// Critical stocks, in plan order.
    pub(super) stocks: Vec<StockLine>,
    pub(super) tasks: TaskTally,
    pub(super) alerts: AlertTally,
}

/// The crisis open now.
pub(super) struct CrisisState {
    pub(super) level: u8,
    /// Level name from the plan.
    pub(super) name: String,
    pub(super) declared_ms: i64,
    /// Recovery announced.
    pub(super) recovery: bool,
}

/// Beds and who is in them, for a unit, a bed type or the establishment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Occupancy {
    pub(super) beds: u32,
    pub(super) occupied: u32,
    /// Patients present, with or without a bed.
    pub(super) patients: u32,
}

impl Occupancy {
    fn of(unit: &UnitSummary) -> Occupancy {
        Occupancy {
            beds: unit.beds,
            occupied: unit.occupied_beds,
            patients: unit.patients,
        }
    }

    fn add(&mut self, other: Occupancy) {
        self.beds = self.beds.saturating_add(other.beds);
        self.occupied = self.occupied.saturating_add(other.occupied);
        self.patients = self.patients.saturating_add(other.patients);
    }

    /// Beds without a patient.
    pub(super) fn free(&self) -> u32 {
        self.beds.saturating_sub(self.occupied)
    }

    /// Occupied beds in percent, rounded; none without beds.
    pub(super) fn percent(&self) -> Option<u64> {
        let beds = u64::from(self.beds);
        (beds > 0).then(|| (u64::from(self.occupied) * 100 + beds / 2) / beds)
    }
}

/// What kind of beds a unit has.
///
/// The store knows no bed type, so the type comes from the plan: a unit
/// takes the type named by the code or name of the BIA activities it
/// carries, or by its own code, as whole words without accents or case
/// (`REA`, `Réanimation et soins intensifs`, `USIC` are critical care;
/// `URG`, `Urgences` emergency; `MATER`, `Salle de naissance et
/// maternité` maternity). The first match in [`BedType`] order wins; a unit
/// matching none has ward beds (`hospitalisation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum BedType {
    /// Réanimation, soins intensifs, soins critiques.
    CriticalCare,
    /// Urgences.
    Emergency,
    /// Maternité, salle de naissance.
    Maternity,
    /// Hospitalisation conventionnelle: everything else.
    Ward,
}

/// The words that give a unit its bed type, in [`BedType`] order.
const BED_TYPE_WORDS: &[(BedType, &[&str])] = &[
    (
        BedType::CriticalCare,
        &[
            "rea",
            "reanimation",
            "intensifs",
            "intensive",
            "critiques",
            "usic",
            "usc",
        ],
    ),
    (BedType::Emergency, &["urg", "urgence", "urgences", "uhcd"]),
    (
        BedType::Maternity,
        &[
            "mater",
            "maternite",
            "naissance",
            "naissances",
            "obstetrique",
        ],
    ),
];

impl BedType {
    /// The type of unit `code`'s beds, from its code and the plan's
    /// activities (see the type's documentation).
    pub(super) fn of_unit(plan: &Plan, code: &str) -> BedType {
        let mut words = folded_words(code);
        for activity in plan.activities_of_unit(code) {
            words.extend(folded_words(&activity.code));
            words.extend(folded_words(&activity.name));
        }
        BED_TYPE_WORDS
            .iter()
            .find(|(_, keys)| words.iter().any(|w| keys.contains(&w.as_str())))
            .map_or(BedType::Ward, |(kind, _)| *kind)
    }
}

/// The words of `text`, lowercase, French accents removed.
fn folded_words(text: &str) -> Vec<String> {
    let folded: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect();
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One unit of the establishment.
pub(super) struct UnitLine {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) counts: Occupancy,
    /// Its latest report (since the declaration during a crisis).
    pub(super) report: Option<LastReport>,
    pub(super) punctuality: Punctuality,
}

/// A unit's latest status report.
pub(super) struct LastReport {
    pub(super) at_ms: i64,
    pub(super) by: String,
    pub(super) status: Rag,
    pub(super) present: u32,
    pub(super) needed: u32,
    /// As typed.
    pub(super) needs: String,
}

/// Whether a unit reports as often as the plan asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Punctuality {
    /// No crisis open, or not a real unit: no report expected.
    NotExpected,
    /// Reported within the interval.
    OnTime,
    /// No report yet, but the crisis is younger than the interval.
    Awaited,
    /// No report for longer than the interval: since `since_ms`, its last
    /// report, or the declaration when it `never` reported.
    Late { since_ms: i64, never: bool },
}

/// A critical stock of the plan.
pub(super) struct StockLine {
    pub(super) name: String,
    /// What quantities count (`bouteilles`).
    pub(super) measure: String,
    /// Its latest count; none if never counted.
    pub(super) count: Option<StockState>,
}

/// A stock as its counts project it.
pub(super) struct StockState {
    pub(super) quantity: f64,
    pub(super) counted_ms: i64,
    pub(super) by: String,
    pub(super) level: StockLevel,
    /// Consumption per day.
    pub(super) per_day: Option<f64>,
    /// Whether `per_day` comes from the counts (true) or the plan.
    pub(super) observed: bool,
    pub(super) days_left: Option<f64>,
}

/// Open tasks, and the overdue ones newest first.
pub(super) struct TaskTally {
    pub(super) open: usize,
    pub(super) overdue_count: usize,
    /// At most [`LIST_LIMIT`].
    pub(super) overdue: Vec<OverdueTask>,
}

/// An open task past its deadline.
pub(super) struct OverdueTask {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) assignee: Assignee,
    pub(super) due_ms: i64,
}

/// Open alerts, newest first.
pub(super) struct AlertTally {
    pub(super) open: usize,
    /// At most [`LIST_LIMIT`].
    pub(super) shown: Vec<AlertLine>,
}

/// An open alert.
pub(super) struct AlertLine {
    pub(super) kind: AlertKind,
    pub(super) subject: String,
    pub(super) since_ms: i64,
    pub(super) evidence: String,
    pub(super) acknowledged: bool,
}

/// What the model is built from.
pub(super) struct Sources<'a> {
    pub(super) version: u64,
    pub(super) now_ms: i64,
    pub(super) units: &'a [UnitSummary],
    pub(super) book: &'a Book,
    pub(super) plan: &'a Plan,
    pub(super) movements: Option<Movements>,
    /// The banner of the crisis open now (`AppState::banner`).
    pub(super) banner: Option<Banner>,
}

impl Model {
    /// Builds the model; linear in units, reports, tasks and alerts.
    pub(super) fn build(sources: Sources<'_>) -> Model {
        let Sources {
            version,
            now_ms,
            units,
            book,
            plan,
            movements,
            banner,
        } = sources;
        let active = book.active();
        let crisis = active.map(|c| CrisisState {
            level: c.level(),
            name: plan
                .level(c.level())
                .map(|l| l.name.clone())
                .unwrap_or_default(),
            declared_ms: c.declared_ms(),
            recovery: c.recovery_ms().is_some(),
        });
        let interval_ms =
            i64::try_from(plan.crisis.unit_report_interval.as_millis()).unwrap_or(i64::MAX);
        let declared_ms = crisis.as_ref().map(|c| c.declared_ms);
        let latest = book.latest_reports(declared_ms.unwrap_or(i64::MIN));
        let clock = Clock {
            now_ms,
            interval_ms,
            declared_ms,
        };
        let mut total = Occupancy::default();
        let mut types: HashMap<BedType, Occupancy> = HashMap::new();
        let mut lines = Vec::with_capacity(units.len());
        for unit in units {
            let counts = Occupancy::of(unit);
            total.add(counts);
            if unit.code == UNLOCATED_UNIT {
                lines.push(unit_line(unit, counts, None, Punctuality::NotExpected));
                continue;
            }
            types
                .entry(BedType::of_unit(plan, &unit.code))
                .or_default()
                .add(counts);
            let report = latest.get(unit.code.as_str()).copied();
            let punctuality = clock.punctuality(report.map(|r| r.stamp.at_ms));
            lines.push(unit_line(unit, counts, report, punctuality));
        }
        let mut bed_types: Vec<(BedType, Occupancy)> =
            types.into_iter().filter(|(_, o)| o.beds > 0).collect();
        bed_types.sort_by_key(|(kind, _)| *kind);
        Model {
            version,
            now_ms,
            interval_ms,
            total,
            movements: movements.filter(|_| crisis.is_some()),
            units: lines,
            bed_types,
            stocks: stocks(book, plan, now_ms),
            tasks: tasks(book, active.map(|c| &c.id), now_ms),
            alerts: alerts(book),
            crisis,
            banner,
        }
    }

    /// How many units are on time, late, and awaited (never reported, not
    /// late yet).
    pub(super) fn report_tally(&self) -> (usize, usize, usize) {
        let count =
            |f: fn(&Punctuality) -> bool| self.units.iter().filter(|u| f(&u.punctuality)).count();
        (
            count(|p| *p == Punctuality::OnTime),
            count(|p| matches!(p, Punctuality::Late { .. })),
            count(|p| *p == Punctuality::Awaited),
        )
    }
}

/// What a unit's punctuality depends on.
struct Clock {
    now_ms: i64,
    interval_ms: i64,
    declared_ms: Option<i64>,
}

impl Clock {
    fn punctuality(&self, last_ms: Option<i64>) -> Punctuality {
        let Some(declared_ms) = self.declared_ms else {
            return Punctuality::NotExpected;
        };
        let since_ms = last_ms.unwrap_or(declared_ms);
        let late = self.now_ms.saturating_sub(since_ms) > self.interval_ms;
        match (late, last_ms.is_none()) {
            (true, never) => Punctuality::Late { since_ms, never },
            (false, true) => Punctuality::Awaited,
            (false, false) => Punctuality::OnTime,
        }
    }
}

fn unit_line(
    unit: &UnitSummary,
    counts: Occupancy,
    report: Option<&ReportEntry>,
    punctuality: Punctuality,
) -> UnitLine {
    let name = unit.name.trim();
    UnitLine {
        code: unit.code.clone(),
        name: if name.is_empty() {
            unit.code.clone()
        } else {
            name.to_owned()
        },
        counts,
        report: report.map(|entry| LastReport {
            at_ms: entry.stamp.at_ms,
            by: entry.stamp.by.clone(),
            status: entry.report.status,
            present: entry.report.staff_present,
            needed: entry.report.staff_needed,
            needs: entry.report.needs.clone(),
        }),
        punctuality,
    }
}

/// Every stock of the plan, in plan order, projected from its counts.
pub(super) fn stocks(book: &Book, plan: &Plan, now_ms: i64) -> Vec<StockLine> {
    plan.stocks
        .iter()
        .map(|stock| {
            let counts = book.stock_counts(&stock.code);
            let projection = project_stock(&counts, stock.daily_consumption, now_ms);
            let count = projection.zip(counts.last()).map(|(p, last)| StockState {
                quantity: p.quantity,
                counted_ms: p.counted_ms,
                by: last.stamp.by.clone(),
                level: stock.level(p.quantity),
                per_day: p.per_day,
                observed: p.observed,
                days_left: p.days_left,
            });
            StockLine {
                name: stock.name.clone(),
                measure: stock.measure.clone(),
                count,
            }
        })
        .collect()
}

/// Open tasks of the crisis open now and those created outside any crisis
/// (tasks left open by a closed crisis are that crisis's report's business).
fn tasks(book: &Book, active: Option<&CrisisId>, now_ms: i64) -> TaskTally {
    let open: Vec<_> = book
        .tasks(None)
        .into_iter()
        .filter(|t| t.status.is_open())
        .filter(|t| t.stamp.crisis.is_none() || t.stamp.crisis.as_ref() == active)
        .collect();
    let overdue: Vec<_> = open.iter().rev().filter(|t| t.overdue(now_ms)).collect();
    TaskTally {
        open: open.len(),
        overdue_count: overdue.len(),
        overdue: overdue
            .iter()
            .take(LIST_LIMIT)
            .map(|t| OverdueTask {
                id: t.id.0.clone(),
                title: t.title.clone(),
                assignee: t.assignee.clone(),
                due_ms: t.due_ms.unwrap_or(now_ms),
            })
            .collect(),
    }
}

fn alerts(book: &Book) -> AlertTally {
    let open = book.open_alerts();
    AlertTally {
        open: open.len(),
        shown: open
            .iter()
            .take(LIST_LIMIT)
            .map(|a| AlertLine {
                kind: a.kind,
                subject: a.subject.clone(),
                since_ms: a.since_ms,
                evidence: a.evidence.clone(),
                acknowledged: !a.acknowledged.is_empty(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, beds: u32, occupied: u32) -> UnitSummary {
        UnitSummary {
            code: code.into(),
            name: format!("Unité {code}"),
            beds,
            occupied_beds: occupied,
            patients: occupied,
        }
    }

    fn plan() -> Plan {
        let raw = ckisa_crisis::plan::parse(
            r#"
[[plan.applications]]
code = "DPI"
name = "Dossier patient"
feeds = ["adt"]

[[plan.activities]]
code = "SOINS-CRITIQUES"
name = "Réanimation et soins intensifs"
criticality = "vitale"
dmia = "2h"
pdma = "15m"
applications = ["DPI"]
units = ["R1", "R2"]

[[plan.activities]]
code = "HOSPIT"
name = "Hospitalisation"
criticality = "majeure"
dmia = "12h"
pdma = "2h"
applications = ["DPI"]
units = ["MED"]
"#,
        )
        .expect("plan parses");
        let context = ckisa_crisis::plan::PlanContext {
            units: vec!["R1".into(), "R2".into(), "MED".into()],
            feeds: vec!["adt".into()],
            roles: vec![],
        };
        ckisa_crisis::plan::check(&raw, &context).expect("plan checks")
    }

    #[test]
    fn bed_types_come_from_the_activities_and_the_unit_code() {
        let plan = plan();
        assert_eq!(BedType::of_unit(&plan, "R1"), BedType::CriticalCare);
        assert_eq!(BedType::of_unit(&plan, "MED"), BedType::Ward);
        assert_eq!(BedType::of_unit(&plan, "URG"), BedType::Emergency);
        assert_eq!(BedType::of_unit(&plan, "USIC"), BedType::CriticalCare);
        assert_eq!(BedType::of_unit(&plan, "MATER"), BedType::Maternity);
        // "rea" is a whole word, not a prefix: réadaptation is a ward.
        assert_eq!(BedType::of_unit(&plan, "READAPT"), BedType::Ward);
    }

    #[test]
    fn totals_and_types_add_the_units_up() {
        let plan = plan();
        let book = Book::new();
        let units = [unit("MED", 30, 27), unit("R1", 10, 9), unit("R2", 6, 2)];
        let model = Model::build(Sources {
            version: 7,
            now_ms: 1_000,
            units: &units,
            book: &book,
            plan: &plan,
            movements: None,
            banner: None,
        });
        assert_eq!(model.total.beds, 46);
        assert_eq!(model.total.free(), 8);
        assert_eq!(model.total.percent(), Some(83));
        assert_eq!(
            model.bed_types,
            vec![
                (
                    BedType::CriticalCare,
                    Occupancy {
                        beds: 16,
                        occupied: 11,
                        patients: 11
                    }
                ),
                (
                    BedType::Ward,
                    Occupancy {
                        beds: 30,
                        occupied: 27,
                        patients: 27
                    }
                ),
            ]
        );
        assert!(model.crisis.is_none());
        assert!(
            model
                .units
                .iter()
                .all(|u| u.punctuality == Punctuality::NotExpected)
        );
    }

    #[test]
    fn punctuality_follows_the_interval() {
        let clock = Clock {
            now_ms: 10_000,
            interval_ms: 3_000,
            declared_ms: Some(5_000),
        };
        assert_eq!(clock.punctuality(Some(8_000)), Punctuality::OnTime);
        assert_eq!(
            clock.punctuality(Some(6_000)),
            Punctuality::Late {
                since_ms: 6_000,
                never: false
            }
        );
        assert_eq!(
            clock.punctuality(None),
            Punctuality::Late {
                since_ms: 5_000,
                never: true
            }
        );
        let young = Clock {
            declared_ms: Some(9_000),
            ..clock
        };
        assert_eq!(young.punctuality(None), Punctuality::Awaited);
        let calm = Clock {
            declared_ms: None,
            ..young
        };
        assert_eq!(calm.punctuality(Some(1)), Punctuality::NotExpected);
    }
}
