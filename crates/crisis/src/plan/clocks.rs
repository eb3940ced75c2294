//! The BIA against the clock: how long each activity has been without its
//! HIS compared with its DMIA, and which activities rely on a replica older
//! than their PDMA.
//!
//! Times are unix milliseconds given by the caller; nothing here reads the
//! wall clock.

use super::duration::format_duration;
use super::model::{Criticality, Plan};
use std::fmt;
use std::time::Duration;

/// The colour of an activity clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClockState {
    /// Less than `orange_at` × DMIA elapsed.
    Green,
    /// From `orange_at` × DMIA, before the DMIA.
    Orange,
    /// The DMIA is reached or past.
    Red,
}

impl ClockState {
    /// Code for style sheets and JSON (`"green"`, `"orange"`, `"red"`).
    pub fn code(self) -> &'static str {
        match self {
            ClockState::Green => "green",
            ClockState::Orange => "orange",
            ClockState::Red => "red",
        }
    }

    /// French label (`"vert"`, `"orange"`, `"rouge"`).
    pub fn label(self) -> &'static str {
        match self {
            ClockState::Green => "vert",
            ClockState::Orange => "orange",
            ClockState::Red => "rouge",
        }
    }
}

/// One activity's time without its HIS, against its DMIA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityClock {
    /// Activity code.
    pub activity: String,
    /// Activity name.
    pub name: String,
    /// Its criticality.
    pub criticality: Criticality,
    /// Its DMIA.
    pub dmia: Duration,
    /// Time since the crisis was declared (zero if the declaration is in the
    /// future of `now`).
    pub elapsed: Duration,
    /// Colour.
    pub state: ClockState,
}

impl ActivityClock {
    /// Milliseconds left before the DMIA; negative once it is past.
    pub fn remaining_ms(&self) -> i64 {
        millis(self.dmia) - millis(self.elapsed)
    }

    /// French summary: `"3 h 15 restantes sur 4 h"` or
    /// `"DMIA de 4 h dépassée de 20 min"`.
    pub fn summary(&self) -> String {
        let remaining = self.remaining_ms();
        if remaining > 0 {
            format!(
                "{} restantes sur {}",
                format_duration(Duration::from_millis(remaining.unsigned_abs())),
                format_duration(self.dmia)
            )
        } else {
            format!(
                "DMIA de {} dépassée de {}",
                format_duration(self.dmia),
                format_duration(Duration::from_millis(remaining.unsigned_abs()))
            )
        }
    }
}

/// The clock of every activity of `plan`, for a crisis declared at
/// `declared_at_ms` and seen at `now_ms`: most critical first, then least
/// time left first, then by code.
pub fn activity_clocks(plan: &Plan, declared_at_ms: i64, now_ms: i64) -> Vec<ActivityClock> {
    let elapsed =
        Duration::from_millis(now_ms.saturating_sub(declared_at_ms).max(0).unsigned_abs());
    let mut clocks: Vec<ActivityClock> = plan
        .activities
        .iter()
        .map(|activity| ActivityClock {
            activity: activity.code.clone(),
            name: activity.name.clone(),
            criticality: activity.criticality,
            dmia: activity.dmia,
            elapsed,
            state: clock_state(elapsed, activity.dmia, plan.crisis.orange_at),
        })
        .collect();
    clocks.sort_by(|a, b| {
        (a.criticality, a.remaining_ms(), &a.activity).cmp(&(
            b.criticality,
            b.remaining_ms(),
            &b.activity,
        ))
    });
    clocks
}

fn clock_state(elapsed: Duration, dmia: Duration, orange_at: f64) -> ClockState {
    // Rounded to the millisecond, so that 70 % of one hour is 42 min, not a
    // nanosecond less.
    let orange_from_ms = (millis(dmia) as f64 * orange_at.clamp(0.0, 1.0)).round() as u64;
    let orange_from = Duration::from_millis(orange_from_ms);
    if elapsed >= dmia {
        ClockState::Red
    } else if elapsed >= orange_from {
        ClockState::Orange
    } else {
        ClockState::Green
    }
}

/// An activity relying on an application whose replica is older than the
/// activity's PDMA: the data the node holds may lack more than the activity
/// can afford to lose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdmaBreach {
    /// Activity code.
    pub activity: String,
    /// Application code.
    pub application: String,
    /// The application's stalest feed, the one that sets the age.
    pub feed: String,
    /// Age of the replica: time since that feed's last message. `None` when
    /// the feed never delivered anything (or is unknown to the caller): the
    /// replica is then infinitely old and always in breach.
    pub age: Option<Duration>,
    /// The activity's PDMA.
    pub pdma: Duration,
}

impl fmt::Display for PdmaBreach {
    /// `URGENCES : réplique de DPI âgée de 2 h 10 (flux sih-adt), au-delà de
    /// la PDMA de 1 h`, or `… : le flux sih-adt n'a jamais rien reçu …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.age {
            Some(age) => write!(
                f,
                "{} : réplique de {} âgée de {} (flux {}), au-delà de la PDMA de {}",
                self.activity,
                self.application,
                format_duration(age),
                self.feed,
                format_duration(self.pdma)
            ),
            None => write!(
                f,
                "{} : réplique de {} jamais alimentée (le flux {} n'a jamais rien reçu), PDMA de {}",
                self.activity,
                self.application,
                self.feed,
                format_duration(self.pdma)
            ),
        }
    }
}

/// Every (activity, application) pair whose replica is older than the
/// activity's PDMA at `now_ms`. `feeds` gives, per feed name, the unix
/// milliseconds of its last message, `None` if it never received one; a feed
/// the plan names but `feeds` lacks counts as never heard from. An
/// application without feeds cannot be judged and gives no breach.
///
/// Ordered most critical activity first, then oldest replica first (never
/// fed before any age), then by activity and application code.
pub fn pdma_breaches(plan: &Plan, feeds: &[(String, Option<i64>)], now_ms: i64) -> Vec<PdmaBreach> {
    let last_of = |feed: &str| -> Option<i64> {
        feeds
            .iter()
            .find(|(name, _)| name == feed)
            .and_then(|(_, last)| *last)
    };
    let mut breaches = Vec::new();
    for activity in &plan.activities {
        for code in &activity.applications {
            let Some(application) = plan.application(code) else {
                continue;
            };
            let Some((feed, last)) = stalest(&application.feeds, last_of) else {
                continue;
            };
            let age = last.map(|last| {
                Duration::from_millis(now_ms.saturating_sub(last).max(0).unsigned_abs())
            });
            if age.is_none_or(|age| age > activity.pdma) {
                breaches.push((
                    activity.criticality,
                    PdmaBreach {
                        activity: activity.code.clone(),
                        application: application.code.clone(),
                        feed: feed.to_string(),
                        age,
                        pdma: activity.pdma,
                    },
                ));
            }
        }
    }
    breaches.sort_by(|(ca, a), (cb, b)| {
        let age = |breach: &PdmaBreach| breach.age.map_or(u128::MAX, |age| age.as_millis());
        ca.cmp(cb)
            .then(age(b).cmp(&age(a)))
            .then(a.activity.cmp(&b.activity))
            .then(a.application.cmp(&b.application))
    });
    breaches.into_iter().map(|(_, breach)| breach).collect()
}

/// The feed with the oldest last message (a never-fed one first), with that
/// last message; `None` without feeds.
fn stalest(feeds: &[String], last_of: impl Fn(&str) -> Option<i64>) -> Option<(&str, Option<i64>)> {
    feeds
        .iter()
        .map(|feed| (feed.as_str(), last_of(feed)))
        .min_by_key(|(_, last)| last.unwrap_or(i64::MIN))
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
