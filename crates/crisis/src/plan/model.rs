//! The checked plan: typed values, every reference resolved, lookups by code.
//!
//! Built only by [`check`](super::check). Lookups scan their list: a plan has
//! tens of entries, not thousands.

use std::fmt;
use std::time::Duration;

use crate::detect::DetectSettings;

/// A checked continuity plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// HIS applications, in file order.
    pub applications: Vec<Application>,
    /// BIA activities, in file order.
    pub activities: Vec<Activity>,
    /// Action cards, in file order.
    pub cards: Vec<Card>,
    /// Crisis directory, in file order.
    pub contacts: Vec<Contact>,
    /// Critical stocks, in file order.
    pub stocks: Vec<Stock>,
    /// Crisis settings.
    pub crisis: CrisisSettings,
    /// Outage detection settings.
    pub detection: DetectionSettings,
    /// Doubtful but usable values (a PDMA longer than the DMIA, an
    /// application no feed carries…), to show beside the plan.
    pub warnings: Vec<PlanWarning>,
}

impl Plan {
    /// The application with this code.
    pub fn application(&self, code: &str) -> Option<&Application> {
        self.applications.iter().find(|a| a.code == code)
    }

    /// The activity with this code.
    pub fn activity(&self, code: &str) -> Option<&Activity> {
        self.activities.iter().find(|a| a.code == code)
    }

    /// The action card with this code.
    pub fn card(&self, code: &str) -> Option<&Card> {
        self.cards.iter().find(|c| c.code == code)
    }

    /// The stock with this code.
    pub fn stock(&self, code: &str) -> Option<&Stock> {
        self.stocks.iter().find(|s| s.code == code)
    }

    /// The action cards handed to `role`, in file order.
    pub fn cards_for_role<'a>(&'a self, role: &'a str) -> impl Iterator<Item = &'a Card> + 'a {
        self.cards.iter().filter(move |c| c.role == role)
    }

    /// The activities carried by `unit`, in file order.
    pub fn activities_of_unit<'a>(
        &'a self,
        unit: &'a str,
    ) -> impl Iterator<Item = &'a Activity> + 'a {
        self.activities
            .iter()
            .filter(move |a| a.units.iter().any(|u| u == unit))
    }

    /// The crisis level with this number.
    pub fn level(&self, level: u8) -> Option<&CrisisLevel> {
        self.crisis.levels.iter().find(|l| l.level == level)
    }
}

/// Something doubtful in the plan, with the key it concerns
/// (`plan.activities[0].pdma`). Shown, never blocking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanWarning {
    /// Key path, indices from 0.
    pub path: String,
    /// French explanation naming the value.
    pub message: String,
}

impl fmt::Display for PlanWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} : {}", self.path, self.message)
    }
}

/// An HIS application and the feeds that carry its data to the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// Code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Feed names; the replica of the application is as old as the stalest.
    pub feeds: Vec<String>,
}

/// How much the establishment depends on an activity, most critical first
/// (`Vital < Major < Important < Secondary`, so an ascending sort puts vital
/// activities at the top).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Criticality {
    /// `vitale`: a stop endangers lives within hours.
    Vital,
    /// `majeure`: a stop soon harms patient care.
    Major,
    /// `importante`: a stop disorganises the establishment.
    Important,
    /// `secondaire`: can wait for the HIS to come back.
    Secondary,
}

impl Criticality {
    /// Every level, most critical first.
    pub const ALL: [Criticality; 4] = [
        Criticality::Vital,
        Criticality::Major,
        Criticality::Important,
        Criticality::Secondary,
    ];

    /// The code written in the plan (`"vitale"`).
    pub fn code(self) -> &'static str {
        match self {
            Criticality::Vital => "vitale",
            Criticality::Major => "majeure",
            Criticality::Important => "importante",
            Criticality::Secondary => "secondaire",
        }
    }

    /// The level for a code of the plan.
    pub fn from_code(code: &str) -> Option<Criticality> {
        Criticality::ALL.into_iter().find(|c| c.code() == code)
    }
}

impl fmt::Display for Criticality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One activity of the BIA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// Code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Criticality.
    pub criticality: Criticality,
    /// Maximum tolerable downtime (DMIA, RTO).
    pub dmia: Duration,
    /// Maximum tolerable data loss (PDMA, RPO).
    pub pdma: Duration,
    /// Codes of the applications it depends on.
    pub applications: Vec<String>,
    /// Codes of the units that carry it.
    pub units: Vec<String>,
}

/// An action card (fiche réflexe): what one role does, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// Code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Role code it is handed to.
    pub role: String,
    /// Activity code, if the card belongs to one.
    pub activity: Option<String>,
    /// The actions, in order, never empty.
    pub steps: Vec<String>,
}

/// A way to reach a contact, in the order a caller tries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Means {
    /// Direct line, independent of the switchboard.
    DirectLine,
    /// Mobile phone.
    Mobile,
    /// Radio channel.
    Radio,
    /// A runner, sent where the contact is.
    Runner,
    /// E-mail.
    Email,
}

impl Means {
    /// French label (`"ligne directe"`).
    pub fn label(self) -> &'static str {
        match self {
            Means::DirectLine => "ligne directe",
            Means::Mobile => "portable",
            Means::Radio => "radio",
            Means::Runner => "coursier",
            Means::Email => "courriel",
        }
    }
}

/// An entry of the crisis directory, with at least one way to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Person or post.
    pub name: String,
    /// What they do in a crisis.
    pub function: String,
    /// Role code, if any.
    pub role: Option<String>,
    /// Unit code, if any.
    pub unit: Option<String>,
    /// Direct line.
    pub direct_line: Option<String>,
    /// Mobile phone.
    pub mobile: Option<String>,
    /// Radio channel.
    pub radio: Option<String>,
    /// Where a runner finds them.
    pub runner: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

impl Contact {
    /// The ways to reach this contact, in fallback order: direct line,
    /// mobile, radio, runner, e-mail. Never empty for a checked plan.
    pub fn means(&self) -> Vec<(Means, &str)> {
        [
            (Means::DirectLine, &self.direct_line),
            (Means::Mobile, &self.mobile),
            (Means::Radio, &self.radio),
            (Means::Runner, &self.runner),
            (Means::Email, &self.email),
        ]
        .into_iter()
        .filter_map(|(means, value)| value.as_deref().map(|v| (means, v)))
        .collect()
    }
}

/// What a critical stock is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StockCategory {
    /// `medicament`.
    Drug,
    /// `sang`: blood products.
    Blood,
    /// `oxygene`.
    Oxygen,
    /// `consommable`.
    Consumable,
}

impl StockCategory {
    /// Every category, in display order.
    pub const ALL: [StockCategory; 4] = [
        StockCategory::Drug,
        StockCategory::Blood,
        StockCategory::Oxygen,
        StockCategory::Consumable,
    ];

    /// The code written in the plan (`"sang"`).
    pub fn code(self) -> &'static str {
        match self {
            StockCategory::Drug => "medicament",
            StockCategory::Blood => "sang",
            StockCategory::Oxygen => "oxygene",
            StockCategory::Consumable => "consommable",
        }
    }

    /// French label (`"Produits sanguins"`).
    pub fn label(self) -> &'static str {
        match self {
            StockCategory::Drug => "Médicaments",
            StockCategory::Blood => "Produits sanguins",
            StockCategory::Oxygen => "Oxygène",
            StockCategory::Consumable => "Consommables",
        }
    }

    /// The category for a code of the plan.
    pub fn from_code(code: &str) -> Option<StockCategory> {
        StockCategory::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// A critical stock and its thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct Stock {
    /// Code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Category.
    pub category: StockCategory,
    /// What quantities count (`"flacons"`).
    pub measure: String,
    /// Where it is kept.
    pub location: String,
    /// Alert at or below this quantity.
    pub alert_threshold: f64,
    /// Critical at or below this quantity; below `alert_threshold`.
    pub critical_threshold: f64,
    /// Usual consumption per day, positive.
    pub daily_consumption: Option<f64>,
}

/// Where a stock quantity stands against its thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StockLevel {
    /// Above the alert threshold.
    Normal,
    /// At or below the alert threshold.
    Alert,
    /// At or below the critical threshold.
    Critical,
}

impl Stock {
    /// Where `quantity` stands against the thresholds.
    pub fn level(&self, quantity: f64) -> StockLevel {
        if quantity <= self.critical_threshold {
            StockLevel::Critical
        } else if quantity <= self.alert_threshold {
            StockLevel::Alert
        } else {
            StockLevel::Normal
        }
    }

    /// Days `quantity` lasts at the usual consumption, when it is known.
    pub fn days_remaining(&self, quantity: f64) -> Option<f64> {
        self.daily_consumption
            .map(|daily| quantity.max(0.0) / daily)
    }
}

/// How the crisis is run.
#[derive(Debug, Clone, PartialEq)]
pub struct CrisisSettings {
    /// Crisis levels, strictly increasing, never empty.
    pub levels: Vec<CrisisLevel>,
    /// How often unit managers report during a crisis.
    pub unit_report_interval: Duration,
    /// Fraction of the DMIA, strictly between 0 and 1, at which an
    /// activity clock turns orange.
    pub orange_at: f64,
    /// Program run on alerts.
    pub hook: Option<Hook>,
}

impl Default for CrisisSettings {
    /// Three levels (veille renforcée, cellule de crise activée, plan blanc),
    /// reports every 2 hours, orange at 75 % of the DMIA, no hook.
    fn default() -> Self {
        CrisisSettings {
            levels: default_levels(),
            unit_report_interval: Duration::from_secs(2 * 3_600),
            orange_at: 0.75,
            hook: None,
        }
    }
}

/// The levels used when the plan declares none.
pub(crate) fn default_levels() -> Vec<CrisisLevel> {
    let level = |level, name: &str, description: &str| CrisisLevel {
        level,
        name: name.to_string(),
        description: description.to_string(),
    };
    vec![
        level(
            1,
            "Veille renforcée",
            "Incident en cours d'évaluation ; la cellule de crise restreinte suit la situation.",
        ),
        level(
            2,
            "Cellule de crise activée",
            "Mode dégradé déclaré ; la cellule de crise siège et pilote les services.",
        ),
        level(
            3,
            "Plan blanc",
            "Plan blanc déclenché par la direction ; mobilisation des renforts.",
        ),
    ]
}

/// A crisis level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrisisLevel {
    /// Level number, from 1.
    pub level: u8,
    /// Name.
    pub name: String,
    /// What it means.
    pub description: String,
}

/// A program run on alerts, without a shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// Absolute path of the program.
    pub program: String,
    /// Arguments, as given.
    pub args: Vec<String>,
}

/// How outages are detected.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionSettings {
    /// Shortest silence that raises an alert, even at peak hours.
    pub silence_floor: Duration,
    /// Longest silence tolerated, even at night; not below the floor.
    pub silence_cap: Duration,
    /// Days of history before the time-of-day pattern is trusted, from 1.
    pub learning_days: u32,
    /// Silence that raises an alert while the pattern is being learned.
    pub learning_silence: Duration,
    /// A feed whose last hour is below this fraction of its usual rate is
    /// suspected; strictly between 0 and 1.
    pub rate_ratio: f64,
    /// Probes of HIS endpoints.
    pub probes: Vec<Probe>,
}

impl Default for DetectionSettings {
    /// Floor 5 minutes, cap 2 hours, 7 learning days with a silence of
    /// 1 hour, ratio 0.2, no probe (the defaults of the detector,
    /// [`DetectSettings`]).
    fn default() -> Self {
        DetectionSettings {
            silence_floor: Duration::from_secs(5 * 60),
            silence_cap: Duration::from_secs(2 * 3_600),
            learning_days: 7,
            learning_silence: Duration::from_secs(3_600),
            rate_ratio: 0.2,
            probes: Vec::new(),
        }
    }
}

impl DetectionSettings {
    /// The detector's settings: those the plan sets, the detector's own
    /// defaults for the others (silence probability, least volume for
    /// judging a rate, failures in a row that make a probe alarm).
    pub fn detect_settings(&self) -> DetectSettings {
        DetectSettings {
            silence_floor: self.silence_floor,
            silence_cap: self.silence_cap,
            learning_days: self.learning_days,
            learning_silence: self.learning_silence,
            rate_ratio: self.rate_ratio,
            ..DetectSettings::default()
        }
    }
}

/// A probe of an HIS endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Name, unique among probes.
    pub name: String,
    /// What is tried.
    pub target: ProbeTarget,
    /// Interval between two attempts.
    pub every: Duration,
    /// Time an attempt may take; shorter than `every`.
    pub timeout: Duration,
    /// Code of the application it watches.
    pub application: Option<String>,
}

/// What a probe tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeTarget {
    /// A TCP connection.
    Tcp {
        /// Host name or address (IPv6 without brackets).
        host: String,
        /// Port.
        port: u16,
    },
    /// An HTTP request to `http://host:port/path`.
    Http {
        /// Host name or address (IPv6 without brackets).
        host: String,
        /// Port, 80 when the URL gives none.
        port: u16,
        /// Path and query, from `/`.
        path: String,
    },
}

impl fmt::Display for ProbeTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = |host: &str| {
            if host.contains(':') {
                format!("[{host}]")
            } else {
                host.to_string()
            }
        };
        match self {
            ProbeTarget::Tcp { host: h, port } => write!(f, "{}:{port}", host(h)),
            ProbeTarget::Http {
                host: h,
                port,
                path,
            } => write!(f, "http://{}:{port}{path}", host(h)),
        }
    }
}
