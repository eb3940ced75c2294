//! The establishment's continuity plan, as data: the BIA (activities with
//! their criticality, DMIA, PDMA and the HIS applications they depend on),
//! the action cards (fiches réflexes) per role, the crisis directory with
//! fallback means, the critical stocks and their thresholds, the crisis
//! levels, and the outage detection settings.
//!
//! The plan lives under `[plan]` in the node's TOML configuration (reference:
//! `docs/plan.md`). It is read into [`RawPlan`] (serde, unknown keys
//! refused), then [`check`]ed against itself and against the node's units,
//! feeds and roles ([`PlanContext`]) into a [`Plan`]. The check collects
//! every problem, each with its key path (`plan.activities[2].dmia`, indices
//! from 0 like the rest of the configuration) and a French message naming the
//! bad value; doubtful values that still make sense are kept as
//! [`PlanWarning`]s in the plan.
//!
//! The plan meets reality in [`activity_clocks`] (each activity's time
//! without its HIS against its DMIA) and [`pdma_breaches`] (activities whose
//! replica is older than their PDMA).
//!
//! ```
//! use ckisa_crisis::plan::{PlanContext, check, parse};
//!
//! let raw = parse(r#"
//! [[plan.applications]]
//! code = "DPI"
//! name = "Dossier patient informatisé"
//! feeds = ["sih-adt"]
//!
//! [[plan.activities]]
//! code = "URGENCES"
//! name = "Accueil des urgences"
//! criticality = "vitale"
//! dmia = "4h"
//! pdma = "15m"
//! applications = ["DPI"]
//! "#).unwrap();
//! let context = PlanContext {
//!     units: vec![],
//!     feeds: vec!["sih-adt".to_string()],
//!     roles: vec![],
//! };
//! let plan = check(&raw, &context).unwrap();
//! assert_eq!(plan.activity("URGENCES").unwrap().dmia.as_secs(), 4 * 3600);
//! ```

mod clocks;
mod duration;
mod model;
mod raw;
#[cfg(test)]
mod tests;
mod validate;

use serde::Deserialize;
use std::fmt;

pub use clocks::{ActivityClock, ClockState, PdmaBreach, activity_clocks, pdma_breaches};
pub use duration::{DurationError, DurationText, format_duration, parse_duration};
pub use model::{
    Activity, Application, Card, Contact, CrisisLevel, CrisisSettings, Criticality,
    DetectionSettings, Hook, Means, Plan, PlanWarning, Probe, ProbeTarget, Stock, StockCategory,
    StockLevel,
};
pub use raw::{
    RawActivity, RawApplication, RawCard, RawContact, RawCrisis, RawDetection, RawHook, RawLevel,
    RawPlan, RawProbe, RawStock,
};
pub use validate::check;

/// What the plan may refer to outside itself: the node's configuration and
/// ckisa's roles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanContext {
    /// Unit codes of `[[units]]`.
    pub units: Vec<String>,
    /// Feed names of `[[feeds]]`.
    pub feeds: Vec<String>,
    /// Role codes (`directeur-crise`, `cadre`…).
    pub roles: Vec<String>,
}

/// A plan that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// The text is not TOML, or does not fit the schema (unknown key, missing
    /// key, wrong type); `line` and `column` count from 1 when the reader
    /// knows where. The message is the TOML reader's.
    Syntax {
        /// Line of the problem.
        line: Option<usize>,
        /// Column of the problem, in characters.
        column: Option<usize>,
        /// What the reader says.
        message: String,
    },
    /// A value the plan cannot use, at `path`.
    Invalid {
        /// Key path, indices from 0 (`plan.cards[1].steps[0]`).
        path: String,
        /// French explanation naming the value.
        message: String,
    },
}

impl PlanError {
    /// The key path of an invalid value; `None` for a syntax error.
    pub fn path(&self) -> Option<&str> {
        match self {
            PlanError::Syntax { .. } => None,
            PlanError::Invalid { path, .. } => Some(path),
        }
    }
}

impl fmt::Display for PlanError {
    /// `ligne 3, colonne 7 : …` or `plan.activities[2].dmia : …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Syntax {
                line: Some(line),
                column: Some(column),
                message,
            } => write!(f, "ligne {line}, colonne {column} : {}", message.trim_end()),
            PlanError::Syntax { message, .. } => f.write_str(message.trim_end()),
            PlanError::Invalid { path, message } => write!(f, "{path} : {message}"),
        }
    }
}

impl std::error::Error for PlanError {}

/// A TOML text holding a `[plan]` table. Other top-level tables (a whole
/// node configuration) are ignored here: the binary checks them.
#[derive(Deserialize)]
struct PlanFile {
    plan: Option<RawPlan>,
}

/// Reads the `[plan]` table of a TOML text. Syntax and schema errors carry
/// their line and column; values are judged later by [`check`].
pub fn parse(text: &str) -> Result<RawPlan, PlanError> {
    let file: PlanFile = toml::from_str(text).map_err(|err| {
        let (line, column) = err.span().map(|span| line_column(text, span.start)).unzip();
        PlanError::Syntax {
            line,
            column,
            message: err.message().to_string(),
        }
    })?;
    file.plan.ok_or_else(|| PlanError::Invalid {
        path: "plan".to_string(),
        message: "table [plan] absente".to_string(),
    })
}

/// Line and column (from 1, in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}
