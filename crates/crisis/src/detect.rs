//! Outage detection from feed activity and probe results, without IO.
//!
//! The node calls [`Detector::observe`] every few seconds with each feed's
//! recent activity (message counts in 15-minute buckets over the last weeks,
//! and the time of the last message) and the latest probe results. For each
//! feed the detector learns a [`Pattern`]: the usual message rate by hour of
//! the day in Europe/Paris, weekdays and weekends apart when the history has
//! enough of both, taking the interquartile mean over days so that a past
//! outage in the history does not lower what is expected.
//!
//! It raises an [`Alert`], once per episode, when
//!
//! - a feed has been silent for longer than its usual rate makes plausible:
//!   reading the feed as a Poisson process, the chance of no message while
//!   `m` messages were expected is `exp(-m)`, and the alarm goes off when that
//!   falls under [`DetectSettings::silence_probability`]; the silence allowed
//!   is kept between a floor and a cap;
//! - a feed's last hour carries far fewer messages than usual
//!   ([`DetectSettings::rate_ratio`]), when enough were expected to judge;
//! - a probe of an HIS endpoint failed several times in a row.
//!
//! It only suspects: declaring a crisis is a person's decision. Times are
//! Unix milliseconds given by the caller; nothing here reads the clock.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;
use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;

/// Length of one activity bucket: 15 minutes, in milliseconds.
pub const BUCKET_MS: i64 = 15 * MINUTE_MS;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Buckets older than this are ignored, which also bounds the work per call.
const MAX_HISTORY_DAYS: i64 = 56;

/// Distinct days each of weekdays and weekends needs before they get patterns
/// of their own.
const MIN_DAYS_PER_CLASS: usize = 4;

/// The site's zone. The crate bundles the tz database, so the lookup cannot
/// fail; UTC is only a guard.
static PARIS: LazyLock<TimeZone> =
    LazyLock::new(|| TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC));

/// Messages of one feed accepted during one 15-minute bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Start of the bucket, Unix milliseconds (a multiple of [`BUCKET_MS`]).
    pub start_ms: i64,
    /// Messages accepted in the bucket.
    pub count: u64,
}

/// What the store knows of one feed's activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedActivity {
    /// The feed's name in the configuration (`adt-principal`).
    pub name: String,
    /// Buckets of the last weeks, in any order; empty buckets may be left out.
    /// Buckets older than 56 days or in the future are ignored.
    pub buckets: Vec<Bucket>,
    /// When the last message was accepted, if ever.
    pub last_received_ms: Option<i64>,
}

/// The outcome of one probe of an HIS endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    /// The probe's name in the configuration.
    pub name: String,
    /// Whether the endpoint answered as expected.
    pub ok: bool,
    /// What happened, in French (`refus de connexion`, `statut 503`).
    pub detail: String,
    /// When the probe ran, Unix milliseconds.
    pub at_ms: i64,
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKind {
    /// A feed is silent for longer than its usual rate makes plausible.
    FeedSilent,
    /// A feed's last hour carries far fewer messages than usual.
    FeedRateLow,
    /// A probe failed several times in a row.
    ProbeFailed,
}

impl AlertKind {
    /// Short code, the prefix of alert keys: `silence`, `debit` or `sonde`.
    pub fn code(self) -> &'static str {
        match self {
            AlertKind::FeedSilent => "silence",
            AlertKind::FeedRateLow => "debit",
            AlertKind::ProbeFailed => "sonde",
        }
    }

    /// French label for people (`Flux silencieux`).
    pub fn label(self) -> &'static str {
        match self {
            AlertKind::FeedSilent => "Flux silencieux",
            AlertKind::FeedRateLow => "Débit effondré",
            AlertKind::ProbeFailed => "Sonde en échec",
        }
    }

    /// The stable key of this kind of alert on `subject`: `silence:adt-principal`.
    pub fn key(self, subject: &str) -> String {
        format!("{}:{subject}", self.code())
    }

    /// Splits a key made by [`AlertKind::key`] into its kind and subject.
    pub fn parse_key(key: &str) -> Option<(AlertKind, &str)> {
        let (code, subject) = key.split_once(':')?;
        let kind = match code {
            "silence" => AlertKind::FeedSilent,
            "debit" => AlertKind::FeedRateLow,
            "sonde" => AlertKind::ProbeFailed,
            _ => return None,
        };
        Some((kind, subject))
    }
}

/// A suspected outage, for the crisis roles.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Stable key of the episode (`silence:adt-principal`): one open alert per key.
    pub key: String,
    /// What the alert is about.
    pub kind: AlertKind,
    /// The feed or probe name.
    pub subject: String,
    /// Since when the trouble is suspected, Unix milliseconds: the last message
    /// of a silent feed, the start of the hour examined for a low rate, the
    /// first of the failed probes in a row.
    pub since_ms: i64,
    /// The evidence in French: which feed, since when, the last message, the
    /// usual rate at this hour and the threshold used.
    pub evidence: String,
}

/// What changed in one call to [`Detector::observe`].
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A new episode: raise this alert.
    Raised(Alert),
    /// The alert with this key is over.
    Cleared {
        /// Key of the alert raised earlier.
        key: String,
        /// What the alert was about.
        kind: AlertKind,
        /// The feed or probe name.
        subject: String,
        /// Why it is over, in French.
        reason: String,
    },
}

/// How sensitive detection is. Check them with [`DetectSettings::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct DetectSettings {
    /// Shortest silence that may alarm, however busy the feed (default 5 min).
    pub silence_floor: Duration,
    /// Longest silence tolerated, however quiet the feed usually is at that
    /// hour (default 2 h). A feed that sends nothing for hours every night will
    /// alarm after this long.
    pub silence_cap: Duration,
    /// A silence alarms when its chance under the usual rate falls below this
    /// (default 0.001).
    pub silence_probability: f64,
    /// Days of history needed before the usual pattern is trusted (default 7).
    pub learning_days: u32,
    /// Fixed silence threshold while learning (default 1 h).
    pub learning_silence: Duration,
    /// The last hour's rate alarms below this share of the usual (default 0.2).
    pub rate_ratio: f64,
    /// The rate is judged only when at least this many messages were expected
    /// over the last hour (default 30).
    pub rate_min_expected: f64,
    /// Failures in a row that make a probe alarm (default 2).
    pub probe_failures: u32,
}

impl Default for DetectSettings {
    fn default() -> DetectSettings {
        DetectSettings {
            silence_floor: Duration::from_secs(5 * 60),
            silence_cap: Duration::from_secs(2 * 3600),
            silence_probability: 0.001,
            learning_days: 7,
            learning_silence: Duration::from_secs(3600),
            rate_ratio: 0.2,
            rate_min_expected: 30.0,
            probe_failures: 2,
        }
    }
}

/// Settings that cannot work, named after the setting at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    /// A duration is zero.
    #[error("{setting} doit être supérieur à zéro")]
    ZeroDuration {
        /// The setting at fault.
        setting: &'static str,
    },
    /// The floor is above the cap.
    #[error("silence_floor ({floor} s) dépasse silence_cap ({cap} s)")]
    FloorAboveCap {
        /// The floor, in seconds.
        floor: u64,
        /// The cap, in seconds.
        cap: u64,
    },
    /// A share or probability is not strictly between 0 and 1.
    #[error("{setting} doit être strictement compris entre 0 et 1 (valeur : {value})")]
    NotAFraction {
        /// The setting at fault.
        setting: &'static str,
        /// The value given.
        value: f64,
    },
    /// A count is zero.
    #[error("{setting} doit valoir au moins 1")]
    ZeroCount {
        /// The setting at fault.
        setting: &'static str,
    },
    /// The minimum expected volume is negative or not a number.
    #[error("rate_min_expected doit être un nombre positif (valeur : {0})")]
    NegativeVolume(f64),
}

impl DetectSettings {
    /// Checks that the settings make sense together.
    pub fn check(&self) -> Result<(), SettingsError> {
        for (setting, value) in [
            ("silence_floor", self.silence_floor),
            ("silence_cap", self.silence_cap),
            ("learning_silence", self.learning_silence),
        ] {
            if duration_ms(value) == 0 {
                return Err(SettingsError::ZeroDuration { setting });
            }
        }
        if self.silence_floor > self.silence_cap {
            return Err(SettingsError::FloorAboveCap {
                floor: self.silence_floor.as_secs(),
                cap: self.silence_cap.as_secs(),
            });
        }
        for (setting, value) in [
            ("silence_probability", self.silence_probability),
            ("rate_ratio", self.rate_ratio),
        ] {
            if value.is_nan() || value <= 0.0 || value >= 1.0 {
                return Err(SettingsError::NotAFraction { setting, value });
            }
        }
        for (setting, value) in [
            ("learning_days", self.learning_days),
            ("probe_failures", self.probe_failures),
        ] {
            if value == 0 {
                return Err(SettingsError::ZeroCount { setting });
            }
        }
        if self.rate_min_expected.is_nan() || self.rate_min_expected < 0.0 {
            return Err(SettingsError::NegativeVolume(self.rate_min_expected));
        }
        Ok(())
    }
}

/// A feed's usual message rate by local hour (Europe/Paris), learned from its
/// history.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// Messages per hour, by day class (weekday, weekend) and local hour.
    rates: [[Option<f64>; 24]; 2],
    /// Whether weekdays and weekends have patterns of their own.
    split: bool,
    /// Time from the first bucket of the history to now.
    history_ms: i64,
}

impl Pattern {
    /// Learns the pattern from `buckets`, up to the bucket that holds `now_ms`
    /// (excluded, since it is not over). The history starts at the first
    /// non-empty bucket; later buckets left out count as empty.
    pub fn learn(buckets: &[Bucket], now_ms: i64) -> Pattern {
        let now_slot = slot_of(now_ms);
        let oldest = now_slot.saturating_sub(MAX_HISTORY_DAYS * DAY_MS);
        let mut counts: HashMap<i64, u64> = HashMap::new();
        for bucket in buckets {
            let slot = slot_of(bucket.start_ms);
            if (oldest..now_slot).contains(&slot) && bucket.count > 0 {
                let total = counts.entry(slot).or_default();
                *total = total.saturating_add(bucket.count);
            }
        }
        let Some(&first) = counts.keys().min() else {
            return Pattern {
                rates: [[None; 24]; 2],
                split: false,
                history_ms: 0,
            };
        };

        let hours = hourly_rates(&counts, first, now_slot);
        let (rates, split) = rates_by_hour(&hours);
        Pattern {
            rates,
            split,
            history_ms: now_ms.saturating_sub(first),
        }
    }

    /// Usual messages per hour at the local hour of `at_ms` (0 when unknown).
    pub fn per_hour(&self, at_ms: i64) -> f64 {
        let Some(local) = local(at_ms) else {
            return 0.0;
        };
        let class = usize::from(self.split && is_weekend(local.date()));
        let hour = usize::try_from(local.hour()).unwrap_or(0).min(23);
        self.rates[class][hour].unwrap_or(0.0)
    }

    /// Messages usually received between `from_ms` and `to_ms`.
    pub fn expected_between(&self, from_ms: i64, to_ms: i64) -> f64 {
        let mut total = 0.0;
        let mut at = from_ms;
        while at < to_ms {
            let end = slot_of(at).saturating_add(BUCKET_MS).min(to_ms);
            total += self.per_hour(at) * (end - at) as f64 / HOUR_MS as f64;
            at = end;
        }
        total
    }

    /// Whether weekdays and weekends have patterns of their own.
    pub fn splits_weekends(&self) -> bool {
        self.split
    }

    /// Days of history the pattern was learned from.
    pub fn history_days(&self) -> f64 {
        self.history_ms as f64 / DAY_MS as f64
    }

    /// How long after `from_ms` the usual rate expects `messages` messages,
    /// if that happens within `limit_ms`.
    fn time_to_expect(&self, from_ms: i64, messages: f64, limit_ms: i64) -> Option<i64> {
        let end = from_ms.saturating_add(limit_ms);
        let mut seen = 0.0;
        let mut at = from_ms;
        while at < end {
            let slot_end = slot_of(at).saturating_add(BUCKET_MS).min(end);
            let per_ms = self.per_hour(at) / HOUR_MS as f64;
            let here = per_ms * (slot_end - at) as f64;
            if per_ms > 0.0 && seen + here >= messages {
                let rest = ((messages - seen) / per_ms).ceil() as i64;
                return Some((at - from_ms).saturating_add(rest));
            }
            seen += here;
            at = slot_end;
        }
        None
    }
}

/// Where a feed's silence threshold comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdBasis {
    /// The usual rate: a longer silence would be improbable.
    Pattern,
    /// The floor: the usual rate would allow less.
    Floor,
    /// The cap: the usual rate would allow more.
    Cap,
    /// The fixed threshold while the pattern is being learned.
    Learning,
}

/// The last hour of a feed against its usual rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HourCheck {
    /// Start of the window examined (the start of a bucket, 60 to 75 min ago).
    pub since_ms: i64,
    /// Messages received in the window.
    pub observed: u64,
    /// Messages usually received in the window.
    pub expected: f64,
}

/// One feed judged at one instant: what [`Detector::observe`] decides from.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedAssessment {
    /// The usual rate, learned from the history.
    pub pattern: Pattern,
    /// Whether the pattern is still being learned (too little history).
    pub learning: bool,
    /// Usual messages per hour at this hour.
    pub usual_per_hour: f64,
    /// Time since the last message, if there was one.
    pub silence_ms: Option<i64>,
    /// The longest silence tolerated after the last message.
    pub silence_threshold_ms: i64,
    /// Where that threshold comes from.
    pub basis: ThresholdBasis,
    /// The last hour against the usual rate; `None` while learning.
    pub last_hour: Option<HourCheck>,
}

impl FeedAssessment {
    /// Whether the feed is suspected silent.
    pub fn is_silent(&self) -> bool {
        self.silence_ms
            .is_some_and(|silence| silence >= self.silence_threshold_ms)
    }

    /// Messages usually received during the current silence.
    fn expected_in_silence(&self, now_ms: i64) -> f64 {
        match self.silence_ms {
            Some(silence) => self
                .pattern
                .expected_between(now_ms.saturating_sub(silence), now_ms),
            None => 0.0,
        }
    }
}

/// Watches feeds and probes, and says when an alert opens or closes.
#[derive(Debug, Clone)]
pub struct Detector {
    settings: DetectSettings,
    /// Open alerts by key, with the last message time known when a silence
    /// alert was raised (`None` for other kinds and resumed alerts).
    open: BTreeMap<String, Option<i64>>,
    /// Failures in a row of each probe.
    probes: BTreeMap<String, ProbeRun>,
}

#[derive(Debug, Clone, Default)]
struct ProbeRun {
    failures: u32,
    first_failure_ms: i64,
    last_seen_ms: Option<i64>,
}

impl Detector {
    /// A detector with no alert open.
    pub fn new(settings: DetectSettings) -> Result<Detector, SettingsError> {
        settings.check()?;
        Ok(Detector {
            settings,
            open: BTreeMap::new(),
            probes: BTreeMap::new(),
        })
    }

    /// A detector that takes over alerts left open (after a restart): they
    /// are not raised again, and are cleared when their cause ends. Keys not
    /// made by [`AlertKind::key`] are ignored.
    pub fn resume<I, K>(settings: DetectSettings, open_keys: I) -> Result<Detector, SettingsError>
    where
        I: IntoIterator<Item = K>,
        K: AsRef<str>,
    {
        let mut detector = Detector::new(settings)?;
        for key in open_keys {
            let key = key.as_ref();
            if AlertKind::parse_key(key).is_some() {
                detector.open.insert(key.to_owned(), None);
            }
        }
        Ok(detector)
    }

    /// The settings in use.
    pub fn settings(&self) -> &DetectSettings {
        &self.settings
    }

    /// Keys of the alerts open now.
    pub fn open_keys(&self) -> impl Iterator<Item = &str> {
        self.open.keys().map(String::as_str)
    }

    /// Judges one feed at `now_ms`, without changing anything.
    pub fn assess(&self, now_ms: i64, feed: &FeedActivity) -> FeedAssessment {
        let pattern = Pattern::learn(&feed.buckets, now_ms);
        let learning = pattern.history_days() < f64::from(self.settings.learning_days);
        let silence_ms = feed
            .last_received_ms
            .map(|last| now_ms.saturating_sub(last).max(0));
        let (silence_threshold_ms, basis) = match (learning, feed.last_received_ms) {
            (true, _) | (false, None) => (
                duration_ms(self.settings.learning_silence),
                ThresholdBasis::Learning,
            ),
            (false, Some(last)) => self.silence_threshold(&pattern, last),
        };
        let last_hour = (!learning).then(|| last_hour(&pattern, &feed.buckets, now_ms));
        FeedAssessment {
            usual_per_hour: pattern.per_hour(now_ms),
            pattern,
            learning,
            silence_ms,
            silence_threshold_ms,
            basis,
            last_hour,
        }
    }

    /// Judges every feed and probe result at `now_ms` and returns the alerts
    /// that open or close.
    ///
    /// Pass every watched feed on each call. Probe results may be passed again
    /// (the latest of each probe on every call, say): a result no newer than
    /// one already seen for its probe is ignored. Open alerts of feeds or
    /// probes not passed stay open.
    pub fn observe(
        &mut self,
        now_ms: i64,
        feeds: &[FeedActivity],
        probes: &[ProbeResult],
    ) -> Vec<Change> {
        let mut changes = Vec::new();
        for feed in feeds {
            let assessment = self.assess(now_ms, feed);
            self.check_silence(now_ms, feed, &assessment, &mut changes);
            self.check_rate(feed, &assessment, &mut changes);
        }

        let mut sorted: Vec<&ProbeResult> = probes.iter().collect();
        sorted.sort_by(|a, b| (&a.name, a.at_ms).cmp(&(&b.name, b.at_ms)));
        for result in sorted {
            self.check_probe(result, &mut changes);
        }
        changes
    }

    /// The silence allowed after a message at `last_ms`: until the usual rate
    /// expects so many messages that none arriving is improbable.
    fn silence_threshold(&self, pattern: &Pattern, last_ms: i64) -> (i64, ThresholdBasis) {
        let floor = duration_ms(self.settings.silence_floor);
        let cap = duration_ms(self.settings.silence_cap);
        let messages = -self.settings.silence_probability.ln();
        match pattern.time_to_expect(last_ms, messages, cap) {
            None => (cap, ThresholdBasis::Cap),
            Some(time) if time < floor => (floor, ThresholdBasis::Floor),
            Some(time) => (time, ThresholdBasis::Pattern),
        }
    }

    fn check_silence(
        &mut self,
        now_ms: i64,
        feed: &FeedActivity,
        assessment: &FeedAssessment,
        changes: &mut Vec<Change>,
    ) {
        let Some(last) = feed.last_received_ms else {
            return;
        };
        let key = AlertKind::FeedSilent.key(&feed.name);
        match (assessment.is_silent(), self.open.get(&key)) {
            (true, None) => {
                let evidence = silence_evidence(now_ms, feed, assessment, &self.settings);
                self.raise(AlertKind::FeedSilent, &feed.name, last, evidence, changes);
                self.open.insert(key, Some(last));
            }
            (false, Some(&known)) => {
                let reason = if known.is_none_or(|known| last > known) {
                    format!(
                        "Flux « {} » repris : message reçu le {}.",
                        feed.name,
                        local_time_label(last)
                    )
                } else {
                    format!(
                        "Silence du flux « {} » redevenu plausible ({} pour un seuil de {}).",
                        feed.name,
                        duration_label(assessment.silence_ms.unwrap_or(0)),
                        duration_label(assessment.silence_threshold_ms)
                    )
                };
                self.clear(&key, reason, changes);
            }
            _ => {}
        }
    }

    fn check_rate(
        &mut self,
        feed: &FeedActivity,
        assessment: &FeedAssessment,
        changes: &mut Vec<Change>,
    ) {
        let Some(hour) = assessment.last_hour else {
            return;
        };
        let key = AlertKind::FeedRateLow.key(&feed.name);
        let ratio = self.settings.rate_ratio;
        let low = hour.expected >= self.settings.rate_min_expected
            && (hour.observed as f64) < ratio * hour.expected;
        // A silent feed already has its alert; the rate would only repeat it.
        let raise = low && !assessment.is_silent();
        // Clear on a clear recovery only, so that a rate hovering around the
        // threshold does not flap.
        let recovered =
            hour.observed > 0 && hour.observed as f64 >= (2.0 * ratio).min(1.0) * hour.expected;
        match (self.open.contains_key(&key), raise, recovered) {
            (false, true, _) => {
                let evidence = rate_evidence(feed, assessment, hour, &self.settings);
                let since = hour.since_ms;
                self.raise(AlertKind::FeedRateLow, &feed.name, since, evidence, changes);
                self.open.insert(key, None);
            }
            (true, _, true) => {
                let reason = format!(
                    "Débit du flux « {} » revenu à {} sur la dernière heure \
                     (habituellement {}).",
                    feed.name,
                    plural(hour.observed, "message", "messages"),
                    count_label(hour.expected)
                );
                self.clear(&key, reason, changes);
            }
            _ => {}
        }
    }

    fn check_probe(&mut self, result: &ProbeResult, changes: &mut Vec<Change>) {
        let run = self.probes.entry(result.name.clone()).or_default();
        if run.last_seen_ms.is_some_and(|seen| result.at_ms <= seen) {
            return;
        }
        run.last_seen_ms = Some(result.at_ms);
        let key = AlertKind::ProbeFailed.key(&result.name);

        if result.ok {
            run.failures = 0;
            if self.open.contains_key(&key) {
                let reason = format!(
                    "Sonde « {} » de nouveau en succès le {} : {}.",
                    result.name,
                    local_time_label(result.at_ms),
                    result.detail
                );
                self.clear(&key, reason, changes);
            }
            return;
        }

        if run.failures == 0 {
            run.first_failure_ms = result.at_ms;
        }
        run.failures = run.failures.saturating_add(1);
        if run.failures >= self.settings.probe_failures && !self.open.contains_key(&key) {
            let since = run.first_failure_ms;
            let evidence = format!(
                "Sonde « {} » en échec depuis le {} : {} (seuil : {}). \
                 Dernier échec le {} : {}.",
                result.name,
                local_time_label(since),
                plural(run.failures.into(), "échec", "échecs consécutifs"),
                self.settings.probe_failures,
                local_time_label(result.at_ms),
                result.detail
            );
            self.raise(
                AlertKind::ProbeFailed,
                &result.name,
                since,
                evidence,
                changes,
            );
            self.open.insert(key, None);
        }
    }

    fn raise(
        &self,
        kind: AlertKind,
        subject: &str,
        since_ms: i64,
        evidence: String,
        changes: &mut Vec<Change>,
    ) {
        changes.push(Change::Raised(Alert {
            key: kind.key(subject),
            kind,
            subject: subject.to_owned(),
            since_ms,
            evidence,
        }));
    }

    fn clear(&mut self, key: &str, reason: String, changes: &mut Vec<Change>) {
        self.open.remove(key);
        if let Some((kind, subject)) = AlertKind::parse_key(key) {
            changes.push(Change::Cleared {
                key: key.to_owned(),
                kind,
                subject: subject.to_owned(),
                reason,
            });
        }
    }
}

/// `dd/mm/yyyy HH:MM` in Europe/Paris, or the raw number when out of range.
pub fn local_time_label(ms: i64) -> String {
    match local(ms) {
        Some(local) => local.strftime("%d/%m/%Y %H:%M").to_string(),
        None => format!("{ms} ms"),
    }
}

/// Rate per hour of each complete local hour of the history, keyed by local
/// date and hour. Counting buckets rather than assuming 60 minutes keeps the
/// hour that occurs twice when clocks go back right.
fn hourly_rates(counts: &HashMap<i64, u64>, first: i64, end: i64) -> BTreeMap<(Date, i8), f64> {
    let mut cells: BTreeMap<(Date, i8), (u64, u32)> = BTreeMap::new();
    let mut slot = first;
    while slot < end {
        if let Some(local) = local(slot) {
            let cell = cells.entry((local.date(), local.hour())).or_default();
            cell.0 = cell
                .0
                .saturating_add(counts.get(&slot).copied().unwrap_or(0));
            cell.1 += 1;
        }
        slot = slot.saturating_add(BUCKET_MS);
    }
    let slots_per_hour = (HOUR_MS / BUCKET_MS) as u32;
    cells
        .into_iter()
        .filter(|(_, (_, slots))| *slots >= slots_per_hour)
        .map(|(cell, (count, slots))| (cell, count as f64 * slots_per_hour as f64 / slots as f64))
        .collect()
}

/// The usual rate by day class and hour: the interquartile mean over days,
/// by class when both classes have enough days, otherwise pooled.
fn rates_by_hour(hours: &BTreeMap<(Date, i8), f64>) -> ([[Option<f64>; 24]; 2], bool) {
    let mut samples: [[Vec<f64>; 24]; 3] = Default::default();
    let mut days: [BTreeSet<Date>; 2] = Default::default();
    for (&(date, hour), &rate) in hours {
        let class = usize::from(is_weekend(date));
        let hour = usize::try_from(hour).unwrap_or(0).min(23);
        samples[class][hour].push(rate);
        samples[2][hour].push(rate);
        days[class].insert(date);
    }
    let split = days.iter().all(|days| days.len() >= MIN_DAYS_PER_CLASS);

    let mut rates = [[None; 24]; 2];
    for (class, by_hour) in rates.iter_mut().enumerate() {
        for (hour, rate) in by_hour.iter_mut().enumerate() {
            let pooled = robust_mean(&mut samples[2][hour].clone());
            *rate = if split {
                robust_mean(&mut samples[class][hour]).or(pooled)
            } else {
                pooled
            };
        }
    }
    (rates, split)
}

/// The interquartile mean: the mean of the middle half of the values, which
/// ignores outage days (zeros) and bursts (catch-up after an outage).
fn robust_mean(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let trim = values.len() / 4;
    let middle = &values[trim..values.len() - trim];
    Some(middle.iter().sum::<f64>() / middle.len() as f64)
}

/// Messages received and expected from the start of the bucket an hour ago
/// until `now_ms`.
fn last_hour(pattern: &Pattern, buckets: &[Bucket], now_ms: i64) -> HourCheck {
    let since_ms = slot_of(now_ms.saturating_sub(HOUR_MS));
    let observed = buckets
        .iter()
        .filter(|bucket| (since_ms..=now_ms).contains(&slot_of(bucket.start_ms)))
        .fold(0u64, |total, bucket| total.saturating_add(bucket.count));
    HourCheck {
        since_ms,
        observed,
        expected: pattern.expected_between(since_ms, now_ms),
    }
}

fn silence_evidence(
    now_ms: i64,
    feed: &FeedActivity,
    assessment: &FeedAssessment,
    settings: &DetectSettings,
) -> String {
    let last = feed.last_received_ms.unwrap_or(now_ms);
    let mut text = format!(
        "Flux « {} » silencieux depuis le {} : aucun message depuis {} \
         (dernier message reçu le {}). ",
        feed.name,
        local_time_label(last),
        duration_label(assessment.silence_ms.unwrap_or(0)),
        local_time_label(last),
    );
    let threshold = duration_label(assessment.silence_threshold_ms);
    if assessment.basis == ThresholdBasis::Learning {
        text.push_str(&format!(
            "Rythme habituel en cours d'apprentissage ({} d'historique sur {}) : \
             seuil fixe de {threshold}.",
            plural(assessment.pattern.history_days() as u64, "jour", "jours"),
            settings.learning_days
        ));
        return text;
    }
    let basis = match assessment.basis {
        ThresholdBasis::Floor => "plancher configuré".to_owned(),
        ThresholdBasis::Cap => "plafond configuré".to_owned(),
        _ => format!(
            "au-delà, un tel silence a moins de {} de chances",
            percent_label(settings.silence_probability)
        ),
    };
    text.push_str(&format!(
        "Rythme habituel à cette heure : {} ; environ {} pendant ce silence. \
         Seuil retenu : {threshold} ({basis}).",
        rate_label(assessment.usual_per_hour),
        expected_label(assessment.expected_in_silence(now_ms)),
    ));
    text
}

fn rate_evidence(
    feed: &FeedActivity,
    assessment: &FeedAssessment,
    hour: HourCheck,
    settings: &DetectSettings,
) -> String {
    let last = match feed.last_received_ms {
        Some(last) => format!("le {}", local_time_label(last)),
        None => "jamais".to_owned(),
    };
    format!(
        "Débit du flux « {} » effondré depuis le {} : {} contre {} \
         habituellement ({} de l'habituel, seuil : {}). Dernier message reçu {last}. \
         Rythme habituel à cette heure : {}.",
        feed.name,
        local_time_label(hour.since_ms),
        plural(hour.observed, "message reçu", "messages reçus"),
        count_label(hour.expected),
        percent_label(hour.observed as f64 / hour.expected),
        percent_label(settings.rate_ratio),
        rate_label(assessment.usual_per_hour),
    )
}

/// `12 min`, `1 h 30 min`, `moins d'une minute`.
fn duration_label(ms: i64) -> String {
    let minutes = ms / MINUTE_MS;
    match (minutes / 60, minutes % 60) {
        (0, 0) => "moins d'une minute".to_owned(),
        (0, minutes) => format!("{minutes} min"),
        (hours, 0) => format!("{hours} h"),
        (hours, minutes) => format!("{hours} h {minutes} min"),
    }
}

/// `120 messages/h`, `4,5 messages/h`.
fn rate_label(per_hour: f64) -> String {
    format!("{}/h", count_label(per_hour))
}

/// `120 messages`, `4,5 messages`, `1 message`.
fn count_label(count: f64) -> String {
    let number = if count >= 10.0 {
        format!("{count:.0}")
    } else {
        format!("{count:.1}").replace('.', ",")
    };
    let noun = if count < 2.0 { "message" } else { "messages" };
    format!("{number} {noun}")
}

/// `20 messages attendus`, `0,8 message attendu`.
fn expected_label(count: f64) -> String {
    let participle = if count < 2.0 { "attendu" } else { "attendus" };
    format!("{} {participle}", count_label(count))
}

/// `0 échec`, `1 échec`, `2 échecs consécutifs`: French takes the singular
/// below two.
fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count < 2 { one } else { many })
}

/// `20 %`, `0,1 %`.
fn percent_label(share: f64) -> String {
    let percent = share * 100.0;
    if percent >= 1.0 || percent == 0.0 {
        return format!("{percent:.0} %");
    }
    let digits = format!("{percent:.3}");
    let digits = digits.trim_end_matches('0').trim_end_matches('.');
    format!("{} %", digits.replace('.', ","))
}

fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Start of the bucket holding `ms`.
fn slot_of(ms: i64) -> i64 {
    ms.saturating_sub(ms.rem_euclid(BUCKET_MS))
}

fn local(ms: i64) -> Option<DateTime> {
    Timestamp::from_millisecond(ms)
        .ok()
        .map(|timestamp| PARIS.to_datetime(timestamp))
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const FEED: &str = "adt-principal";

    /// The zone of the tests, looked up apart from the module's own.
    static ZONE: LazyLock<TimeZone> =
        LazyLock::new(|| TimeZone::get("Europe/Paris").expect("the bundled tz database"));

    /// Unix milliseconds of a Paris wall-clock time.
    fn paris(year: i16, month: i8, day: i8, hour: i8, minute: i8) -> i64 {
        date(year, month, day)
            .at(hour, minute, 0, 0)
            .to_zoned(ZONE.clone())
            .expect("a valid Paris time")
            .timestamp()
            .as_millisecond()
    }

    fn minutes(count: i64) -> i64 {
        count * MINUTE_MS
    }

    /// Usual messages per hour of a hospital ADT feed: busy weekdays, quieter
    /// weekends, quiet nights.
    fn adt_rate(hour: i8, weekend: bool) -> f64 {
        match (hour, weekend) {
            (0..=1, _) => 10.0,
            (2..=4, _) => 6.0,
            (5, _) => 10.0,
            (6, _) => 20.0,
            (7, _) => 40.0,
            (8..=19, true) => 40.0,
            (8, false) => 80.0,
            (9, false) => 110.0,
            (10..=17, false) => 120.0,
            (18, false) => 80.0,
            (19, false) => 50.0,
            (20..=21, _) => 30.0,
            _ => 15.0,
        }
    }

    fn usual(slot: i64) -> f64 {
        let local = Timestamp::from_millisecond(slot)
            .expect("a test time in range")
            .to_zoned(ZONE.clone());
        adt_rate(local.hour(), is_weekend(local.date()))
    }

    /// A deterministic xorshift generator, for Poisson noise.
    struct Noise(u64);

    impl Noise {
        fn unit(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }

        fn poisson(&mut self, mean: f64) -> u64 {
            let limit = (-mean).exp();
            let mut product = self.unit();
            let mut count = 0;
            while product > limit {
                count += 1;
                product *= self.unit();
            }
            count
        }
    }

    /// Buckets from `from_ms` to `to_ms` with Poisson counts around `rate`
    /// (messages per hour, by bucket start); empty buckets are left out, as
    /// the store does.
    fn record(from_ms: i64, to_ms: i64, seed: u64, rate: impl Fn(i64) -> f64) -> Vec<Bucket> {
        let mut noise = Noise(seed);
        let mut buckets = Vec::new();
        let mut slot = slot_of(from_ms);
        while slot < to_ms {
            let count = noise.poisson(rate(slot) / 4.0);
            if count > 0 {
                buckets.push(Bucket {
                    start_ms: slot,
                    count,
                });
            }
            slot += BUCKET_MS;
        }
        buckets
    }

    fn feed(buckets: Vec<Bucket>, last_received_ms: i64) -> FeedActivity {
        FeedActivity {
            name: FEED.to_owned(),
            buckets,
            last_received_ms: Some(last_received_ms),
        }
    }

    /// `days` of the usual ADT feed whose last message came at `last_ms`.
    fn adt_until(last_ms: i64, days: i64) -> FeedActivity {
        feed(record(last_ms - days * DAY_MS, last_ms, 7, usual), last_ms)
    }

    fn detector() -> Detector {
        Detector::new(DetectSettings::default()).expect("default settings are valid")
    }

    fn raised(changes: &[Change]) -> Vec<&Alert> {
        changes
            .iter()
            .filter_map(|change| match change {
                Change::Raised(alert) => Some(alert),
                Change::Cleared { .. } => None,
            })
            .collect()
    }

    fn only_alert(changes: &[Change]) -> &Alert {
        match changes {
            [Change::Raised(alert)] => alert,
            other => panic!("expected one alert raised, got {other:?}"),
        }
    }

    fn only_clearance(changes: &[Change]) -> (&str, &str) {
        match changes {
            [Change::Cleared { key, reason, .. }] => (key, reason),
            other => panic!("expected one alert cleared, got {other:?}"),
        }
    }

    #[test]
    fn ten_minutes_of_silence_at_two_pm_raises() {
        let now = paris(2025, 3, 12, 14, 0);
        let adt = adt_until(now - minutes(10), 21);

        let assessment = detector().assess(now, &adt);
        assert!(!assessment.learning);
        assert!(
            (110.0..130.0).contains(&assessment.usual_per_hour),
            "{assessment:?}"
        );
        assert_eq!(assessment.basis, ThresholdBasis::Floor);

        let changes = detector().observe(now, &[adt], &[]);
        let alert = only_alert(&changes);
        assert_eq!(alert.key, "silence:adt-principal");
        assert_eq!(alert.kind, AlertKind::FeedSilent);
        assert_eq!(alert.subject, FEED);
        assert_eq!(alert.since_ms, now - minutes(10));
        for part in [
            "« adt-principal »",
            "depuis le 12/03/2025 13:50",
            "aucun message depuis 10 min",
            "messages/h",
            "Seuil retenu : 5 min (plancher configuré)",
        ] {
            assert!(
                alert.evidence.contains(part),
                "{part:?} in {}",
                alert.evidence
            );
        }
    }

    #[test]
    fn the_same_silence_at_half_past_three_does_not_raise() {
        let now = paris(2025, 3, 13, 3, 30);
        let adt = adt_until(now - minutes(10), 21);

        let assessment = detector().assess(now, &adt);
        assert_eq!(assessment.basis, ThresholdBasis::Pattern);
        assert!(
            assessment.silence_threshold_ms > minutes(30),
            "{assessment:?}"
        );
        assert!(detector().observe(now, &[adt], &[]).is_empty());
    }

    #[test]
    fn ninety_minutes_at_half_past_three_raises() {
        let now = paris(2025, 3, 13, 3, 30);
        let adt = adt_until(now - minutes(90), 21);
        let settings = DetectSettings::default();

        let assessment = detector().assess(now, &adt);
        assert!(
            assessment.silence_threshold_ms <= minutes(90),
            "{assessment:?}"
        );
        assert!(assessment.silence_threshold_ms <= duration_ms(settings.silence_cap));
        assert!(assessment.silence_threshold_ms >= duration_ms(settings.silence_floor));

        let changes = detector().observe(now, &[adt], &[]);
        let alert = only_alert(&changes);
        assert_eq!(alert.kind, AlertKind::FeedSilent);
        assert!(
            alert.evidence.contains("depuis le 13/03/2025 02:00"),
            "{}",
            alert.evidence
        );
        assert!(alert.evidence.contains("1 h 30 min"), "{}", alert.evidence);
    }

    #[test]
    fn the_cap_bounds_a_quiet_hour() {
        let settings = DetectSettings {
            silence_cap: Duration::from_secs(45 * 60),
            ..DetectSettings::default()
        };
        let now = paris(2025, 3, 13, 3, 30);
        let mut detector = Detector::new(settings.clone()).expect("valid settings");

        let calm = adt_until(now - minutes(40), 21);
        assert!(detector.observe(now, &[calm], &[]).is_empty());

        let quiet = adt_until(now - minutes(46), 21);
        let assessment = detector.assess(now, &quiet);
        assert_eq!(assessment.basis, ThresholdBasis::Cap);
        assert_eq!(
            assessment.silence_threshold_ms,
            duration_ms(settings.silence_cap)
        );
        let changes = detector.observe(now, &[quiet], &[]);
        let alert = only_alert(&changes);
        assert!(
            alert.evidence.contains("45 min (plafond configuré)"),
            "{}",
            alert.evidence
        );
    }

    #[test]
    fn a_past_outage_does_not_spoil_the_pattern() {
        let now = paris(2025, 3, 12, 14, 0);
        let last = now - minutes(10);
        // Three weekdays without a single message, a week before.
        let outage = paris(2025, 3, 4, 0, 0)..paris(2025, 3, 7, 0, 0);
        let buckets = record(last - 21 * DAY_MS, last, 7, |slot| {
            if outage.contains(&slot) {
                0.0
            } else {
                usual(slot)
            }
        });
        let adt = feed(buckets, last);

        let assessment = detector().assess(now, &adt);
        let busy = assessment.pattern.per_hour(now);
        assert!(busy > 110.0, "usual rate at 14:00 pulled down to {busy}");
        let rate_ten = assessment.pattern.per_hour(paris(2025, 3, 12, 10, 30));
        assert!(
            rate_ten > 110.0,
            "usual rate at 10:00 pulled down to {rate_ten}"
        );

        let changes = detector().observe(now, &[adt], &[]);
        assert_eq!(only_alert(&changes).kind, AlertKind::FeedSilent);
    }

    /// The usual feed until 10:00, then `per_bucket` messages in each
    /// quarter of an hour until 11:00, the last one at 10:58.
    fn slowed_at_ten(per_bucket: u64) -> FeedActivity {
        let ten = paris(2025, 3, 12, 10, 0);
        let mut buckets = record(ten - 21 * DAY_MS, ten, 7, usual);
        for quarter in 0..4 {
            buckets.push(Bucket {
                start_ms: ten + quarter * BUCKET_MS,
                count: per_bucket,
            });
        }
        feed(buckets, ten + minutes(58))
    }

    #[test]
    fn a_rate_collapse_to_a_tenth_raises_rate_low() {
        let eleven = paris(2025, 3, 12, 11, 0);
        let mut detector = detector();

        // 12 messages in the hour where 120 are usual.
        let changes = detector.observe(eleven, &[slowed_at_ten(3)], &[]);
        let alert = only_alert(&changes);
        assert_eq!(alert.kind, AlertKind::FeedRateLow);
        assert_eq!(alert.key, "debit:adt-principal");
        assert_eq!(alert.since_ms, paris(2025, 3, 12, 10, 0));
        for part in [
            "12 messages reçus contre ",
            "seuil : 20 %",
            "le 12/03/2025 10:58",
        ] {
            assert!(
                alert.evidence.contains(part),
                "{part:?} in {}",
                alert.evidence
            );
        }

        // Still slow a minute later: no second alert.
        let later = eleven + MINUTE_MS;
        assert!(detector.observe(later, &[slowed_at_ten(3)], &[]).is_empty());

        // The next hour is back to normal.
        let noon = paris(2025, 3, 12, 12, 0);
        let mut adt = slowed_at_ten(3);
        adt.buckets.extend(record(eleven, noon, 11, usual));
        adt.last_received_ms = Some(noon - MINUTE_MS);
        let changes = detector.observe(noon, &[adt], &[]);
        let (key, reason) = only_clearance(&changes);
        assert_eq!(key, "debit:adt-principal");
        assert!(reason.contains("revenu"), "{reason}");
    }

    #[test]
    fn half_the_usual_rate_does_not_raise() {
        let eleven = paris(2025, 3, 12, 11, 0);
        assert!(
            detector()
                .observe(eleven, &[slowed_at_ten(15)], &[])
                .is_empty()
        );
    }

    #[test]
    fn a_quiet_hour_is_not_judged_on_rate() {
        // One message at 03:00 where six are usual: too few to judge.
        let three = paris(2025, 3, 13, 3, 0);
        let mut adt = adt_until(three - HOUR_MS, 21);
        adt.buckets.push(Bucket {
            start_ms: three - BUCKET_MS,
            count: 1,
        });
        adt.last_received_ms = Some(three - MINUTE_MS);
        let assessment = detector().assess(three, &adt);
        let hour = assessment.last_hour.expect("past learning");
        assert!(hour.expected < 30.0, "{hour:?}");
        assert!(detector().observe(three, &[adt], &[]).is_empty());
    }

    #[test]
    fn one_alert_per_episode_then_cleared_on_resume() {
        let two = paris(2025, 3, 12, 14, 0);
        let silent = adt_until(two - minutes(10), 21);
        let mut detector = detector();

        assert_eq!(
            raised(&detector.observe(two, std::slice::from_ref(&silent), &[])).len(),
            1
        );
        for later in [5, 20, 30] {
            let changes =
                detector.observe(two + minutes(later), std::slice::from_ref(&silent), &[]);
            assert!(changes.is_empty(), "at +{later} min: {changes:?}");
        }
        assert_eq!(
            detector.open_keys().collect::<Vec<_>>(),
            ["silence:adt-principal"]
        );

        let mut resumed = silent.clone();
        let back = two + minutes(30);
        resumed.buckets.push(Bucket {
            start_ms: back,
            count: 4,
        });
        resumed.last_received_ms = Some(back);
        let changes = detector.observe(back + MINUTE_MS, &[resumed.clone()], &[]);
        let (key, reason) = only_clearance(&changes);
        assert_eq!(key, "silence:adt-principal");
        assert!(
            reason.contains("repris") && reason.contains("12/03/2025 14:30"),
            "{reason}"
        );
        assert!(
            detector
                .observe(back + minutes(2), &[resumed.clone()], &[])
                .is_empty()
        );
        assert_eq!(detector.open_keys().count(), 0);

        // A new silence is a new episode.
        let changes = detector.observe(back + minutes(20), &[resumed], &[]);
        assert_eq!(only_alert(&changes).since_ms, back);
    }

    #[test]
    fn learning_uses_a_fixed_threshold() {
        let now = paris(2025, 3, 12, 14, 0);
        let settings = DetectSettings::default();
        let fixed = duration_ms(settings.learning_silence);

        let young = adt_until(now - minutes(10), 3);
        let assessment = detector().assess(now, &young);
        assert!(assessment.learning);
        assert_eq!(assessment.basis, ThresholdBasis::Learning);
        assert_eq!(assessment.silence_threshold_ms, fixed);
        assert_eq!(assessment.last_hour, None);
        assert!(detector().observe(now, &[young], &[]).is_empty());

        let longer = adt_until(now - fixed - MINUTE_MS, 3);
        let changes = detector().observe(now, &[longer], &[]);
        let alert = only_alert(&changes);
        assert!(
            alert
                .evidence
                .contains("apprentissage (3 jours d'historique sur 7)"),
            "{}",
            alert.evidence
        );
        assert!(
            alert.evidence.contains("seuil fixe de 1 h"),
            "{}",
            alert.evidence
        );
    }

    #[test]
    fn learning_does_not_judge_the_rate() {
        let eleven = paris(2025, 3, 12, 11, 0);
        let mut adt = slowed_at_ten(1);
        adt.buckets
            .retain(|bucket| bucket.start_ms > eleven - 4 * DAY_MS);
        assert!(detector().observe(eleven, &[adt], &[]).is_empty());
    }

    #[test]
    fn weekends_get_their_own_pattern_once_there_are_enough() {
        let wednesday = paris(2025, 3, 12, 14, 0);
        let saturday = paris(2025, 3, 8, 14, 0);

        let long = Pattern::learn(&adt_until(wednesday, 21).buckets, wednesday);
        assert!(long.splits_weekends());
        assert!((110.0..130.0).contains(&long.per_hour(wednesday)));
        assert!((30.0..50.0).contains(&long.per_hour(saturday)));

        // One weekend only: weekdays and weekends are pooled.
        let short = Pattern::learn(&adt_until(wednesday, 8).buckets, wednesday);
        assert!(!short.splits_weekends());
        assert_eq!(short.per_hour(wednesday), short.per_hour(saturday));
    }

    fn failure(at_ms: i64) -> ProbeResult {
        ProbeResult {
            name: "dpi-web".to_owned(),
            ok: false,
            detail: "délai dépassé (3 s)".to_owned(),
            at_ms,
        }
    }

    fn success(at_ms: i64) -> ProbeResult {
        ProbeResult {
            ok: true,
            detail: "statut 200 OK".to_owned(),
            ..failure(at_ms)
        }
    }

    #[test]
    fn probes_raise_after_two_failures_and_clear_on_success() {
        let t0 = paris(2025, 3, 12, 14, 0);
        let mut detector = detector();

        assert!(detector.observe(t0, &[], &[failure(t0)]).is_empty());
        // The same result seen again is not a second failure.
        assert!(detector.observe(t0 + 5_000, &[], &[failure(t0)]).is_empty());

        let t1 = t0 + MINUTE_MS;
        let changes = detector.observe(t1, &[], &[failure(t1)]);
        let alert = only_alert(&changes);
        assert_eq!(alert.key, "sonde:dpi-web");
        assert_eq!(alert.kind, AlertKind::ProbeFailed);
        assert_eq!(alert.since_ms, t0);
        for part in [
            "depuis le 12/03/2025 14:00",
            "2 échecs consécutifs (seuil : 2)",
            "délai dépassé (3 s)",
        ] {
            assert!(
                alert.evidence.contains(part),
                "{part:?} in {}",
                alert.evidence
            );
        }

        let t2 = t1 + MINUTE_MS;
        assert!(detector.observe(t2, &[], &[failure(t2)]).is_empty());

        let t3 = t2 + MINUTE_MS;
        let changes = detector.observe(t3, &[], &[success(t3)]);
        let (key, reason) = only_clearance(&changes);
        assert_eq!(key, "sonde:dpi-web");
        assert!(reason.contains("statut 200 OK"), "{reason}");
    }

    #[test]
    fn a_success_between_failures_resets_the_count() {
        let t0 = paris(2025, 3, 12, 14, 0);
        let mut detector = detector();
        // Given out of order in one call: sorted by time before counting.
        let results = [
            failure(t0 + 2 * MINUTE_MS),
            success(t0 + MINUTE_MS),
            failure(t0),
        ];
        assert!(
            detector
                .observe(t0 + 3 * MINUTE_MS, &[], &results)
                .is_empty()
        );

        let t3 = t0 + 3 * MINUTE_MS;
        let changes = detector.observe(t3, &[], &[failure(t3)]);
        assert_eq!(only_alert(&changes).since_ms, t0 + 2 * MINUTE_MS);
    }

    #[test]
    fn a_resumed_detector_does_not_raise_open_alerts_again() {
        let two = paris(2025, 3, 12, 14, 0);
        let silent = adt_until(two - minutes(10), 21);
        let open = ["silence:adt-principal", "sonde:dpi-web", "autre chose"];
        let mut detector =
            Detector::resume(DetectSettings::default(), open).expect("valid settings");
        assert_eq!(
            detector.open_keys().collect::<Vec<_>>(),
            ["silence:adt-principal", "sonde:dpi-web"]
        );

        let failures = [failure(two - MINUTE_MS), failure(two)];
        assert!(
            detector
                .observe(two, std::slice::from_ref(&silent), &failures)
                .is_empty()
        );

        let mut resumed = silent;
        resumed.last_received_ms = Some(two + MINUTE_MS);
        let changes = detector.observe(two + minutes(2), &[resumed], &[success(two + MINUTE_MS)]);
        let keys: Vec<&str> = changes
            .iter()
            .map(|change| match change {
                Change::Cleared { key, .. } => key.as_str(),
                Change::Raised(alert) => panic!("raised again: {alert:?}"),
            })
            .collect();
        assert_eq!(keys, ["silence:adt-principal", "sonde:dpi-web"]);
    }

    #[test]
    fn hours_stay_local_across_the_spring_change() {
        // Clocks went forward on Sunday 30/03/2025 at 02:00: most of these
        // three weeks are summer time, the first days winter time.
        let wednesday = paris(2025, 4, 16, 10, 0);
        let pattern = Pattern::learn(&adt_until(wednesday, 21).buckets, wednesday);
        check_morning_hours(&pattern, (2025, 4, 16));
        check_morning_hours(&pattern, (2025, 3, 26));
    }

    #[test]
    fn hours_stay_local_across_the_autumn_change() {
        // Clocks went back on Sunday 26/10/2025 at 03:00: most of these three
        // weeks are winter time, the first days summer time.
        let wednesday = paris(2025, 11, 12, 10, 0);
        let pattern = Pattern::learn(&adt_until(wednesday, 21).buckets, wednesday);
        check_morning_hours(&pattern, (2025, 11, 12));
        check_morning_hours(&pattern, (2025, 10, 22));
    }

    /// On a weekday, 07:00, 08:00 and 09:00 carry 40, 80 and 110 messages/h,
    /// so that an hour's shift shows.
    fn check_morning_hours(pattern: &Pattern, (year, month, day): (i16, i8, i8)) {
        for (hour, low, high) in [(7, 32.0, 48.0), (8, 68.0, 92.0), (9, 98.0, 122.0)] {
            let rate = pattern.per_hour(paris(year, month, day, hour, 30));
            assert!(
                (low..high).contains(&rate),
                "{day}/{month} {hour}:30 at {rate}/h"
            );
        }
    }

    #[test]
    fn change_of_time_days_count_real_hours() {
        // Two messages every quarter of an hour, on both days of change.
        let mut counts = HashMap::new();
        for (from, to) in [
            (paris(2025, 3, 30, 0, 0), paris(2025, 3, 31, 0, 0)),
            (paris(2025, 10, 26, 0, 0), paris(2025, 10, 27, 0, 0)),
        ] {
            let mut slot = from;
            while slot < to {
                counts.insert(slot, 2);
                slot += BUCKET_MS;
            }
        }
        let first = paris(2025, 3, 30, 0, 0);
        let hours = hourly_rates(&counts, first, paris(2025, 10, 27, 0, 0));

        let spring = date(2025, 3, 30);
        let autumn = date(2025, 10, 26);
        assert_eq!(hours.keys().filter(|(day, _)| *day == spring).count(), 23);
        assert_eq!(hours.get(&(spring, 2)), None);
        assert_eq!(hours.get(&(spring, 3)), Some(&8.0));
        assert_eq!(hours.keys().filter(|(day, _)| *day == autumn).count(), 24);
        // 02:00 to 03:00 happened twice: 16 messages in two hours.
        assert_eq!(hours.get(&(autumn, 2)), Some(&8.0));
        // Days in between had no message at all.
        assert_eq!(hours.get(&(date(2025, 6, 1), 12)), Some(&0.0));
    }

    #[test]
    fn change_of_time_sundays_do_not_alarm_a_normal_feed() {
        for sunday in [paris(2025, 3, 30, 0, 0), paris(2025, 10, 26, 0, 0)] {
            let recording = record(sunday - 21 * DAY_MS, sunday + DAY_MS, 3, usual);
            let mut detector = detector();
            let mut now = sunday;
            while now < sunday + DAY_MS {
                let buckets: Vec<Bucket> = recording
                    .iter()
                    .copied()
                    .filter(|bucket| bucket.start_ms <= now)
                    .collect();
                let last = buckets
                    .last()
                    .map(|bucket| bucket.start_ms.max(now - MINUTE_MS));
                let adt = FeedActivity {
                    name: FEED.to_owned(),
                    buckets,
                    last_received_ms: last,
                };
                let changes = detector.observe(now, &[adt], &[]);
                assert!(
                    changes.is_empty(),
                    "at {}: {changes:?}",
                    local_time_label(now)
                );
                now += BUCKET_MS;
            }
        }
    }

    #[test]
    fn a_silence_across_the_spring_gap_is_measured_in_real_time() {
        let last = paris(2025, 3, 30, 1, 50);
        let now = last + minutes(20);
        assert_eq!(local_time_label(now), "30/03/2025 03:10");
        let adt = adt_until(last, 21);
        let assessment = detector().assess(now, &adt);
        assert_eq!(assessment.silence_ms, Some(minutes(20)));
        assert!(detector().observe(now, &[adt], &[]).is_empty());
    }

    #[test]
    fn nonsense_input_does_not_panic() {
        let odd = [i64::MIN, -1, 0, i64::MAX - 1, i64::MAX];
        let buckets: Vec<Bucket> = odd
            .iter()
            .map(|&start_ms| Bucket {
                start_ms,
                count: u64::MAX,
            })
            .collect();
        let probes: Vec<ProbeResult> = odd.iter().map(|&at_ms| failure(at_ms)).collect();
        let mut detector = detector();
        for now in odd {
            for last in odd {
                let feeds = [feed(buckets.clone(), last)];
                detector.observe(now, &feeds, &probes);
            }
        }
        assert!(local_time_label(i64::MAX).ends_with(" ms"));
    }

    #[test]
    fn settings_are_checked() {
        let base = DetectSettings::default();
        assert_eq!(base.check(), Ok(()));
        let cases = [
            (
                DetectSettings {
                    silence_floor: Duration::from_secs(3 * 3600),
                    ..base.clone()
                },
                "silence_floor (10800 s) dépasse silence_cap (7200 s)",
            ),
            (
                DetectSettings {
                    rate_ratio: 1.5,
                    ..base.clone()
                },
                "rate_ratio doit être strictement compris entre 0 et 1 (valeur : 1.5)",
            ),
            (
                DetectSettings {
                    silence_probability: f64::NAN,
                    ..base.clone()
                },
                "silence_probability doit être strictement compris entre 0 et 1 (valeur : NaN)",
            ),
            (
                DetectSettings {
                    probe_failures: 0,
                    ..base.clone()
                },
                "probe_failures doit valoir au moins 1",
            ),
            (
                DetectSettings {
                    learning_silence: Duration::ZERO,
                    ..base.clone()
                },
                "learning_silence doit être supérieur à zéro",
            ),
        ];
        for (settings, message) in cases {
            let error = Detector::new(settings).expect_err(message);
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn labels_read_as_french() {
        assert_eq!(local_time_label(1_741_783_800_000), "12/03/2025 13:50");
        assert_eq!(local_time_label(1_752_476_700_000), "14/07/2025 09:05");
        assert_eq!(duration_label(minutes(90)), "1 h 30 min");
        assert_eq!(duration_label(minutes(120)), "2 h");
        assert_eq!(duration_label(30_000), "moins d'une minute");
        assert_eq!(rate_label(4.5), "4,5 messages/h");
        assert_eq!(count_label(1.0), "1,0 message");
        assert_eq!(count_label(118.4), "118 messages");
        assert_eq!(percent_label(0.001), "0,1 %");
        assert_eq!(percent_label(0.2), "20 %");
        assert_eq!(expected_label(20.4), "20 messages attendus");
        assert_eq!(expected_label(0.8), "0,8 message attendu");
        assert_eq!(plural(1, "échec", "échecs consécutifs"), "1 échec");
        assert_eq!(
            AlertKind::parse_key("debit:a:b"),
            Some((AlertKind::FeedRateLow, "a:b"))
        );
    }
}
