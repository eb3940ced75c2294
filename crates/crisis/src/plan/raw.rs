//! The `[plan]` table as written in TOML, before any check.
//!
//! Every table refuses unknown keys. Values that have a small set of valid
//! forms (criticality, stock category, probe kind, durations, thresholds)
//! are read as plain text or numbers and judged by [`check`](super::check),
//! so that each bad value is reported in French with its key, all at once,
//! instead of stopping the TOML reader at the first one.

use super::duration::DurationText;
use serde::Deserialize;

/// The establishment's continuity plan as written under `[plan]`.
///
/// Every section is optional: an absent `[plan]` behaves like an empty one,
/// with the default crisis and detection settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    /// `[[plan.applications]]`: the HIS applications and the feeds that
    /// carry their data.
    #[serde(default)]
    pub applications: Vec<RawApplication>,
    /// `[[plan.activities]]`: the BIA, one entry per activity.
    #[serde(default)]
    pub activities: Vec<RawActivity>,
    /// `[[plan.cards]]`: the action cards (fiches réflexes).
    #[serde(default)]
    pub cards: Vec<RawCard>,
    /// `[[plan.contacts]]`: the crisis directory.
    #[serde(default)]
    pub contacts: Vec<RawContact>,
    /// `[[plan.stocks]]`: the critical stocks and their thresholds.
    #[serde(default)]
    pub stocks: Vec<RawStock>,
    /// `[plan.crisis]`: levels, reporting interval, clock colours, hook.
    #[serde(default)]
    pub crisis: RawCrisis,
    /// `[plan.detection]`: outage detection settings and probes.
    #[serde(default)]
    pub detection: RawDetection,
}

/// One HIS application (`[[plan.applications]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApplication {
    /// Short code the activities refer to (`"DPI"`).
    pub code: String,
    /// Display name.
    pub name: String,
    /// Names of the node's feeds (`[[feeds]]`) that carry its data.
    #[serde(default)]
    pub feeds: Vec<String>,
}

/// One activity of the BIA (`[[plan.activities]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawActivity {
    /// Short code (`"URGENCES"`).
    pub code: String,
    /// Display name.
    pub name: String,
    /// `"vitale"`, `"majeure"`, `"importante"` or `"secondaire"`.
    pub criticality: String,
    /// Maximum tolerable downtime (DMIA), e.g. `"4h"`.
    pub dmia: DurationText,
    /// Maximum tolerable data loss (PDMA), e.g. `"30m"`.
    pub pdma: DurationText,
    /// Codes of the applications it depends on.
    #[serde(default)]
    pub applications: Vec<String>,
    /// Codes of the units (`[[units]]`) that carry it.
    #[serde(default)]
    pub units: Vec<String>,
}

/// One action card (`[[plan.cards]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCard {
    /// Short code (`"IDE-SOINS"`).
    pub code: String,
    /// Title shown on the card.
    pub title: String,
    /// Role code of the people it is handed to.
    pub role: String,
    /// Activity code it belongs to, if any.
    pub activity: Option<String>,
    /// The actions, in order.
    #[serde(default)]
    pub steps: Vec<String>,
}

/// One entry of the crisis directory (`[[plan.contacts]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawContact {
    /// Person or post (`"Administrateur de garde"`).
    pub name: String,
    /// What they do in a crisis.
    pub function: String,
    /// Role code, if the contact holds a ckisa role.
    pub role: Option<String>,
    /// Unit code, if the contact belongs to a unit.
    pub unit: Option<String>,
    /// Direct line (survives a switchboard outage).
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

/// One critical stock (`[[plan.stocks]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStock {
    /// Short code (`"O2-CUVE"`).
    pub code: String,
    /// Display name.
    pub name: String,
    /// `"medicament"`, `"sang"`, `"oxygene"` or `"consommable"`.
    pub category: String,
    /// What quantities count (`"flacons"`, `"poches"`, `"m3"`).
    pub measure: String,
    /// Where the stock is kept.
    pub location: String,
    /// At or below this quantity, the crisis cell is warned.
    pub alert_threshold: f64,
    /// At or below this quantity, the stock is critical; below the alert.
    pub critical_threshold: f64,
    /// Usual consumption per day, for the days remaining.
    pub daily_consumption: Option<f64>,
}

/// The crisis settings (`[plan.crisis]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCrisis {
    /// Crisis levels, in increasing order; absent for the default three.
    pub levels: Option<Vec<RawLevel>>,
    /// How often unit managers report during a crisis (default `"2h"`).
    pub unit_report_interval: Option<DurationText>,
    /// Fraction of the DMIA at which a clock turns orange (default 0.75).
    pub orange_at: Option<f64>,
    /// Program run on alerts, without a shell.
    pub hook: Option<RawHook>,
}

/// One crisis level (`[[plan.crisis.levels]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLevel {
    /// Level number, from 1.
    pub level: i64,
    /// Name (`"Plan blanc"`).
    pub name: String,
    /// What the level means and triggers.
    #[serde(default)]
    pub description: String,
}

/// The alert hook (`[plan.crisis.hook]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHook {
    /// Absolute path of the program.
    pub program: String,
    /// Its arguments, passed as they are.
    #[serde(default)]
    pub args: Vec<String>,
}

/// Outage detection settings (`[plan.detection]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDetection {
    /// Shortest silence that raises an alert, even at peak hours (default `"5m"`).
    pub silence_floor: Option<DurationText>,
    /// Longest silence tolerated, even at night (default `"2h"`).
    pub silence_cap: Option<DurationText>,
    /// Days of history before the time-of-day pattern is trusted (default 7).
    pub learning_days: Option<i64>,
    /// Silence that raises an alert while the pattern is being learned
    /// (default `"1h"`).
    pub learning_silence: Option<DurationText>,
    /// A feed whose last hour is below this fraction of its usual rate is
    /// suspected (default 0.2).
    pub rate_ratio: Option<f64>,
    /// Probes of HIS endpoints.
    #[serde(default)]
    pub probes: Vec<RawProbe>,
}

/// One probe of an HIS endpoint (`[[plan.detection.probes]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProbe {
    /// Name shown in alerts.
    pub name: String,
    /// `"tcp"` or `"http"`.
    pub kind: String,
    /// `"host:port"` for tcp, `"http://host[:port]/path"` for http.
    pub target: String,
    /// Interval between two attempts (default `"1m"`).
    pub every: Option<DurationText>,
    /// Time an attempt may take before it fails (default `"5s"`).
    pub timeout: Option<DurationText>,
    /// Code of the application it watches, if any.
    pub application: Option<String>,
}
