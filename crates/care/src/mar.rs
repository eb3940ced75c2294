//! The medication administration plan: prescription frequencies read into
//! schedules, the planned doses of a window, the shift window of the grid,
//! the grid of a unit (state of every planned dose) and the 24-hour
//! medication sheet of the paper fallback.
//!
//! Frequencies arrive as French hospital staff write them (`1-0-1`,
//! `3 fois par jour`, `toutes les 6 h`, `le soir`, `si besoin`), as HL7
//! table 0335 codes from TQ1-3 or ORC-7/RXE-1 (`Q6H`, `BID`, `QAM`, `Q1D`)
//! and as the French sentence `ckisa-fhir` writes for a FHIR
//! `Timing.repeat` (`1 fois toutes les 4 à 6 heures, si besoin`). Text that
//! cannot be read becomes [`Schedule::Unreadable`]: the grid shows it « à
//! préciser », it is never dropped.
//!
//! Clock conventions (one place, so that the grid, the sheet and the
//! prescription form agree): matin 08:00, midi 12:00, soir 18:00, coucher
//! 22:00; `n` doses a day follow that grid (1: 08, 2: 08 and 18, 3: 08, 12
//! and 18, 4: adds 22); an interval dividing the day is laid on the clock
//! from 06:00 (08:00 for 12 and 24 hours); other intervals run from the
//! prescription's start. Local times are Europe/Paris (any `TimeZone` given):
//! a dose planned in the spring-forward gap is due at the same clock time
//! one hour later, a dose in the autumn overlap at its first occurrence.
//!
//! Everything is computed from times passed in (ms since the Unix epoch);
//! nothing reads the clock.

use ckisa_domain::PatientKey;
use ckisa_domain::{
    Administration, Medication, MedicationKind, Moment, Offset, OffsetOrigin, Precision,
    RecordStatus,
};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

use crate::fold::fold;

/// Minutes after midnight of « matin », « midi », « soir », « coucher ».
pub const MORNING: u16 = 8 * 60;
/// Noon dose.
pub const NOON: u16 = 12 * 60;
/// Evening dose.
pub const EVENING: u16 = 18 * 60;
/// Bedtime dose.
pub const BEDTIME: u16 = 22 * 60;

/// A planned dose not recorded this long after its time is overdue.
pub const OVERDUE_AFTER_MS: i64 = 60 * 60_000;
/// A planned dose is due from this long before its time.
pub const DUE_BEFORE_MS: i64 = 30 * 60_000;

const MINUTE_MS: i64 = 60_000;
const DAY_MINUTES: u32 = 24 * 60;
/// Shortest interval planned dose by dose; shorter ones are « à préciser ».
const SHORTEST_INTERVAL_MINUTES: u32 = 60;

/// One dose of a daily schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DailyDose {
    /// Minutes after local midnight (0-1439).
    pub minute: u16,
    /// Units of the prescribed dose at that time, when the frequency says
    /// (`2-0-1` gives 2 in the morning, 1 in the evening).
    pub quantity: Option<f32>,
}

/// When a prescription is to be given.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// At these local clock times every day, in ascending order.
    Daily(Vec<DailyDose>),
    /// Every `minutes`, counted from the prescription's start (intervals
    /// that do not divide a day: 36 h, every 2 days, weekly).
    Interval {
        /// Minutes between two doses.
        minutes: u32,
    },
    /// Once, at the prescription's start (`STAT`, `dose unique`).
    Once,
    /// If needed: no planned time, given at any time (`si besoin`, `PRN`).
    AsNeeded {
        /// The shortest interval between two doses, when the text gives one
        /// (`toutes les 4 h si douleur`).
        min_interval_minutes: Option<u32>,
    },
    /// A continuous infusion: one planned check per shift.
    Continuous,
    /// Not understood: shown « à préciser » with the text as written (or
    /// why it cannot be planned).
    Unreadable(String),
}

/// What a planned slot asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlannedKind {
    /// A dose to give.
    Dose,
    /// A check of a continuous infusion (rate, volume left, site).
    ContinuousCheck,
}

/// One planned administration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Planned {
    /// Planned time, ms since the Unix epoch (whole minutes).
    pub at_ms: i64,
    /// Units of the prescribed dose, when the schedule says.
    pub quantity: Option<f32>,
    /// Dose or infusion check.
    pub kind: PlannedKind,
}

/// The clock of a grid: now, the site's zone and the shift hours.
#[derive(Debug, Clone, Copy)]
pub struct Clock<'a> {
    /// Now, ms since the Unix epoch.
    pub now_ms: i64,
    /// The site's time zone (Europe/Paris).
    pub zone: &'a TimeZone,
    /// Hours at which shifts start (`Settings::shifts`).
    pub shifts: &'a [u8],
}

/// One patient given to the grid builder.
#[derive(Debug, Clone, Copy)]
pub struct GridPatient<'a> {
    /// The patient.
    pub patient: &'a PatientKey,
    /// Name as shown.
    pub display: &'a str,
    /// Bed (or room and bed) as shown.
    pub bed: Option<&'a str>,
    /// Active prescriptions.
    pub medications: &'a [Medication],
    /// The patient's administrations in log order
    /// (`CareBook::administrations`).
    pub administrations: &'a [&'a Administration],
}

/// Where a planned dose stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellState<'a> {
    /// Recorded: given, not given or held (see the outcome, who and when).
    Done(&'a Administration),
    /// To give now: from [`DUE_BEFORE_MS`] before its time to
    /// [`OVERDUE_AFTER_MS`] after.
    Due,
    /// Planned more than [`OVERDUE_AFTER_MS`] ago and not recorded.
    Overdue,
    /// Later.
    Upcoming,
}

/// One planned dose in the grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell<'a> {
    /// The planned dose.
    pub planned: Planned,
    /// Its state.
    pub state: CellState<'a>,
}

/// One prescription's line of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    /// The prescription.
    pub medication: &'a Medication,
    /// Its schedule (« à préciser » when unreadable).
    pub schedule: Schedule,
    /// Planned doses in the window, in time order.
    pub cells: Vec<Cell<'a>>,
    /// Administrations in the window that match no planned dose: doses
    /// given if needed, or recorded against a time no longer planned.
    pub extra: Vec<&'a Administration>,
}

/// One patient's block of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientRows<'a> {
    /// The patient.
    pub patient: &'a PatientKey,
    /// Name as shown.
    pub display: &'a str,
    /// Bed as shown.
    pub bed: Option<&'a str>,
    /// One row per prescription.
    pub rows: Vec<Row<'a>>,
    /// Administrations in the window for a prescription not in the list
    /// (stopped since): shown, never hidden.
    pub unmatched: Vec<&'a Administration>,
    /// Overdue doses of this patient.
    pub overdue: usize,
}

/// The medication grid of a set of patients over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid<'a> {
    /// Start of the window, ms since the Unix epoch.
    pub from_ms: i64,
    /// End of the window (excluded).
    pub to_ms: i64,
    /// The moment states were computed for.
    pub now_ms: i64,
    /// Patients in the order given.
    pub patients: Vec<PatientRows<'a>>,
}

impl Grid<'_> {
    /// Overdue doses over every patient.
    pub fn overdue_count(&self) -> usize {
        self.patients.iter().map(|p| p.overdue).sum()
    }
}

/// One drug of the medication sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetLine<'a> {
    /// The prescription.
    pub medication: &'a Medication,
    /// Its schedule.
    pub schedule: Schedule,
    /// Planned times in the window.
    pub times: Vec<Planned>,
}

impl Schedule {
    /// Reads a frequency as written. Empty text is unreadable.
    pub fn parse(text: &str) -> Schedule {
        let folded = fold(text.trim());
        parse_folded(&folded).unwrap_or_else(|| Schedule::Unreadable(text.trim().to_owned()))
    }

    /// The schedule of a prescription: its frequency, refined by the first
    /// line of its instructions when the frequency is a bare HL7 code that
    /// the instructions qualify (`Q24H` with « en continu sur 24 heures »,
    /// `Q4H` with « toutes les 4 heures si douleur »). An interval or a
    /// single dose without a start time cannot be planned and is
    /// unreadable.
    pub fn of(medication: &Medication) -> Schedule {
        let text = medication.frequency.as_deref().unwrap_or("").trim();
        let mut schedule = Schedule::parse(text);
        if let Some(line) = medication.note.as_deref().and_then(|n| n.lines().next()) {
            schedule = refine_by_instructions(schedule, text, line);
        }
        let needs_start = matches!(schedule, Schedule::Interval { .. } | Schedule::Once);
        if needs_start && medication.start.is_none() {
            let shown = if text.is_empty() { "?" } else { text };
            return Schedule::Unreadable(format!("{shown} (début inconnu)"));
        }
        if text.is_empty() && matches!(schedule, Schedule::Unreadable(_)) {
            return Schedule::Unreadable(String::from("fréquence absente"));
        }
        schedule
    }

    /// Whether a nurse must ask the prescriber (« à préciser »).
    pub fn is_unreadable(&self) -> bool {
        matches!(self, Schedule::Unreadable(_))
    }

    /// French text for the grid and the sheet: `08:00, 18:00`,
    /// `toutes les 36 h`, `si besoin (4 h minimum entre deux prises)`,
    /// `en continu`, `à préciser : « 2 fois par lune »`.
    pub fn label_fr(&self) -> String {
        match self {
            Schedule::Daily(doses) => {
                let times: Vec<String> = doses
                    .iter()
                    .map(|d| {
                        let clock = format!("{:02}:{:02}", d.minute / 60, d.minute % 60);
                        match d.quantity {
                            Some(q) if q != 1.0 => {
                                format!("{clock} (×{})", crate::fold::french_number(f64::from(q)))
                            }
                            _ => clock,
                        }
                    })
                    .collect();
                times.join(", ")
            }
            Schedule::Interval { minutes } => interval_fr(*minutes),
            Schedule::Once => String::from("dose unique"),
            Schedule::AsNeeded {
                min_interval_minutes: None,
            } => String::from("si besoin"),
            Schedule::AsNeeded {
                min_interval_minutes: Some(minutes),
            } => format!(
                "si besoin ({} minimum entre deux prises)",
                duration_fr(*minutes)
            ),
            Schedule::Continuous => String::from("en continu"),
            Schedule::Unreadable(text) if text.is_empty() => String::from("à préciser"),
            Schedule::Unreadable(text) => format!("à préciser : « {text} »"),
        }
    }
}

/// `toutes les 36 h`, `tous les 2 jours`, `toutes les semaines`.
fn interval_fr(minutes: u32) -> String {
    let week = 7 * DAY_MINUTES;
    match minutes {
        m if m == week => String::from("toutes les semaines"),
        m if m.is_multiple_of(week) => format!("toutes les {} semaines", m / week),
        m if m.is_multiple_of(DAY_MINUTES) && m > DAY_MINUTES => {
            format!("tous les {} jours", m / DAY_MINUTES)
        }
        m => format!("toutes les {}", duration_fr(m)),
    }
}

/// `36 h`, `2 jours`, `1 semaine`, `90 min`.
fn duration_fr(minutes: u32) -> String {
    if minutes.is_multiple_of(7 * DAY_MINUTES) {
        let weeks = minutes / (7 * DAY_MINUTES);
        return format!("{weeks} semaine{}", if weeks > 1 { "s" } else { "" });
    }
    if minutes.is_multiple_of(DAY_MINUTES) && minutes > DAY_MINUTES {
        return format!("{} jours", minutes / DAY_MINUTES);
    }
    if minutes.is_multiple_of(60) {
        return format!("{} h", minutes / 60);
    }
    format!("{minutes} min")
}

/// The current shift and the next one: from the start of the shift `now_ms`
/// falls in to the end of the following shift. `shifts` are local start
/// hours (0-23, any order); hours out of range are ignored, and no hour at
/// all means one shift a day starting at midnight. DST days are handled:
/// a shift from 21:00 to 07:00 across the change lasts 9 or 11 hours.
pub fn shift_window(now_ms: i64, zone: &TimeZone, shifts: &[u8]) -> (i64, i64) {
    let hours = shift_hours(shifts);
    let Some(today) = local_date(now_ms, zone) else {
        return (now_ms, now_ms.saturating_add(24 * 60 * MINUTE_MS));
    };
    let mut starts: Vec<i64> = Vec::with_capacity(hours.len() * 4);
    for offset in -1..=2 {
        let Ok(day) = today.checked_add(jiff::Span::new().days(offset)) else {
            continue;
        };
        starts.extend(
            hours
                .iter()
                .filter_map(|&h| local_ms(day, u16::from(h) * 60, zone)),
        );
    }
    starts.sort_unstable();
    starts.dedup();
    let current = starts.iter().rposition(|&s| s <= now_ms).unwrap_or(0);
    let end = starts
        .get(current + 2)
        .copied()
        .unwrap_or(now_ms.saturating_add(24 * 60 * MINUTE_MS));
    (starts.get(current).copied().unwrap_or(now_ms), end)
}

/// The planned doses of a prescription in `[from_ms, to_ms)`, in time
/// order. Only orders are planned (a statement of what the patient takes at
/// home is not); nothing is planned before the prescription's start or from
/// its end on; a stopped prescription without an end, one entered in error,
/// and « si besoin » or unreadable schedules plan nothing. `shifts` places
/// the checks of a continuous infusion.
pub fn planned(
    medication: &Medication,
    from_ms: i64,
    to_ms: i64,
    zone: &TimeZone,
    shifts: &[u8],
) -> Vec<Planned> {
    let schedule = Schedule::of(medication);
    let mut out = Vec::new();
    plan_into(
        &schedule,
        medication,
        (from_ms, to_ms),
        zone,
        shifts,
        &mut out,
    );
    out
}

/// The grid of `patients` over `[from_ms, to_ms)` (usually
/// [`shift_window`]): one row per prescription, each planned dose with its
/// state at `clock.now_ms`. An administration matches the planned dose whose
/// time equals its `planned` time to the minute (the latest recorded wins);
/// others in the window are shown as extra, never hidden.
pub fn grid<'a>(
    patients: &[GridPatient<'a>],
    from_ms: i64,
    to_ms: i64,
    clock: &Clock<'_>,
) -> Grid<'a> {
    let patients = patients
        .iter()
        .map(|p| patient_rows(p, (from_ms, to_ms), clock))
        .collect();
    Grid {
        from_ms,
        to_ms,
        now_ms: clock.now_ms,
        patients,
    }
}

/// Overdue doses of `patients` planned from `since_ms` (the start of the
/// current shift, or of the crisis) up to now, without building the grid's
/// rows.
pub fn overdue_count(patients: &[GridPatient<'_>], since_ms: i64, clock: &Clock<'_>) -> usize {
    let to_ms = clock.now_ms.saturating_sub(OVERDUE_AFTER_MS);
    if to_ms <= since_ms {
        return 0;
    }
    let mut slots = Vec::new();
    let mut count = 0;
    for patient in patients {
        for medication in patient.medications {
            slots.clear();
            let schedule = Schedule::of(medication);
            plan_into(
                &schedule,
                medication,
                (since_ms, to_ms),
                clock.zone,
                clock.shifts,
                &mut slots,
            );
            count += slots
                .iter()
                .filter(|slot| {
                    !patient.administrations.iter().any(|a| {
                        a.medication == medication.id
                            && planned_ms(a, clock.zone) == Some(slot.at_ms)
                    })
                })
                .count();
        }
    }
    count
}

/// The medication sheet of one patient over `[from_ms, to_ms)` (the next
/// 24 hours for the paper fallback): every prescription with its schedule
/// and planned times, « si besoin » and « à préciser » lines included.
pub fn medication_sheet<'a>(
    medications: &'a [Medication],
    from_ms: i64,
    to_ms: i64,
    zone: &TimeZone,
    shifts: &[u8],
) -> Vec<SheetLine<'a>> {
    medications
        .iter()
        .filter(|m| m.kind == MedicationKind::Order && m.status != RecordStatus::EnteredInError)
        .map(|medication| {
            let schedule = Schedule::of(medication);
            let mut times = Vec::new();
            plan_into(
                &schedule,
                medication,
                (from_ms, to_ms),
                zone,
                shifts,
                &mut times,
            );
            SheetLine {
                medication,
                schedule,
                times,
            }
        })
        .collect()
}

/// The moment to write in `Administration::planned` for a slot: minute
/// precision, with the zone's offset at that instant.
pub fn moment_at(at_ms: i64, zone: &TimeZone) -> Option<Moment> {
    let timestamp = Timestamp::from_millisecond(at_ms).ok()?;
    let civil = zone.to_datetime(timestamp);
    let minutes = zone.to_offset(timestamp).seconds() / 60;
    Some(Moment {
        year: civil.year(),
        month: civil.month() as u8,
        day: civil.day() as u8,
        hour: civil.hour() as u8,
        minute: civil.minute() as u8,
        second: 0,
        millis: 0,
        precision: Precision::Minute,
        offset: Some(Offset {
            minutes: minutes as i16,
            origin: OffsetOrigin::Stated,
        }),
        dst_gap: false,
    })
}

/// The instant of a moment with a time of day, in ms since the Unix epoch
/// (a floating time is read in `zone`, a time in the spring-forward gap as
/// the same clock time one hour later). `None` for a date alone.
pub fn moment_ms(moment: &Moment, zone: &TimeZone) -> Option<i64> {
    if !moment.has_time() {
        return None;
    }
    if let Some(ts) = moment.timestamp() {
        return Some(ts.as_millisecond());
    }
    let civil = moment.civil()?;
    let timestamp = zone.to_ambiguous_timestamp(civil).compatible().ok()?;
    Some(timestamp.as_millisecond())
}

// ---- Reading frequencies ---------------------------------------------------

fn parse_folded(folded: &str) -> Option<Schedule> {
    if folded.is_empty() {
        return None;
    }
    if let Some(schedule) = as_needed(folded) {
        return Some(schedule);
    }
    if is_continuous(folded) {
        return Some(Schedule::Continuous);
    }
    let compact: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(schedule) = hl7_code(&compact) {
        return Some(schedule);
    }
    if let Some(doses) = moments_pattern(&compact) {
        return Some(Schedule::Daily(doses));
    }
    let tokens = tokenize(folded);
    if let Some(schedule) = phrase(&tokens) {
        return Some(schedule);
    }
    if is_once(folded) {
        return Some(Schedule::Once);
    }
    moment_words(&tokens).map(Schedule::Daily)
}

/// `si besoin`, `PRN`, `si douleur`, `au besoin`: the rest, if readable as
/// an interval, is the shortest interval between doses.
fn as_needed(folded: &str) -> Option<Schedule> {
    const MARKERS: [&str; 6] = [
        "au besoin",
        "a la demande",
        "en cas de",
        "si necessaire",
        "prn",
        "si ",
    ];
    let word_start = |at: usize| at == 0 || !folded.as_bytes()[at - 1].is_ascii_alphanumeric();
    let cut = MARKERS
        .iter()
        .filter_map(|marker| {
            folded.match_indices(marker).map(|(at, _)| at).find(|&at| {
                word_start(at)
                    && (marker.ends_with(' ')
                        || !folded[at + marker.len()..]
                            .starts_with(|c: char| c.is_ascii_alphabetic()))
            })
        })
        .min()?;
    let rest = folded[..cut].trim_matches(|c: char| c.is_whitespace() || c == ',' || c == ';');
    let min_interval_minutes = interval_of(rest);
    Some(Schedule::AsNeeded {
        min_interval_minutes,
    })
}

/// The interval a text gives (`Q4H`, `toutes les 4 à 6 heures`: the lower
/// bound, `1 fois toutes les 4 à 6 heures`), for « si besoin » schedules.
fn interval_of(text: &str) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    let tokens = tokenize(text);
    let once_every = match tokens.as_slice() {
        [Token::Number(1), Token::Word("fois"), rest @ ..] => rest,
        all => all,
    };
    if let Some(minutes) = every(once_every, true) {
        return Some(minutes);
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    match hl7_code(&compact).or_else(|| phrase(&tokens)) {
        Some(Schedule::Daily(doses)) => daily_spacing(&doses),
        Some(Schedule::Interval { minutes }) => Some(minutes),
        _ => None,
    }
}

/// The spacing of evenly spread daily doses (`Q4H` laid on the clock).
fn daily_spacing(doses: &[DailyDose]) -> Option<u32> {
    match doses.len() {
        0 => None,
        1 => Some(DAY_MINUTES),
        n => Some(DAY_MINUTES / n as u32),
    }
}

fn is_continuous(folded: &str) -> bool {
    const MARKERS: [&str; 6] = ["en continu", "continue", "ivse", "pse", "24h/24", "24 h/24"];
    folded == "c"
        || folded == "continu"
        || MARKERS.iter().any(|marker| {
            folded.match_indices(marker).any(|(at, _)| {
                let before = at == 0 || !folded.as_bytes()[at - 1].is_ascii_alphanumeric();
                let end = at + marker.len();
                let after = end == folded.len() || !folded.as_bytes()[end].is_ascii_alphanumeric();
                before && after
            })
        })
}

fn is_once(folded: &str) -> bool {
    const ONCE: [&str; 9] = [
        "stat",
        "once",
        "dose unique",
        "une seule fois",
        "1 seule fois",
        "prise unique",
        "en une prise unique",
        "immediat",
        "immediatement",
    ];
    ONCE.contains(&folded.trim())
}

/// HL7 table 0335 and FHIR `GTSAbbreviation` codes, compact and folded.
fn hl7_code(compact: &str) -> Option<Schedule> {
    let daily = |minutes: &[u16]| {
        Schedule::Daily(
            minutes
                .iter()
                .map(|&minute| DailyDose {
                    minute,
                    quantity: None,
                })
                .collect(),
        )
    };
    let schedule = match compact {
        "qd" | "od" | "q1d" | "qj" | "q1j" | "q24h" | "1id" => times_a_day(1)?,
        "bid" | "2id" => times_a_day(2)?,
        "tid" | "3id" => times_a_day(3)?,
        "qid" | "4id" => times_a_day(4)?,
        "qam" | "am" | "acm" | "pcm" => daily(&[MORNING]),
        "acd" | "pcd" => daily(&[NOON]),
        "qpm" | "pm" | "acv" | "pcv" => daily(&[EVENING]),
        "qhs" | "hs" | "bed" => daily(&[BEDTIME]),
        "ac" | "pc" => daily(&[MORNING, NOON, EVENING]),
        "qod" => Schedule::Interval {
            minutes: 2 * DAY_MINUTES,
        },
        "wk" | "qw" | "q1w" => Schedule::Interval {
            minutes: 7 * DAY_MINUTES,
        },
        _ => return coded_interval(compact),
    };
    Some(schedule)
}

/// `q6h`, `q30m`, `q2d`, `q2j`, `q1w`, `5id`.
fn coded_interval(compact: &str) -> Option<Schedule> {
    if let Some(count) = compact.strip_suffix("id") {
        let count: u32 = count.parse().ok()?;
        return times_a_day(count);
    }
    let rest = compact.strip_prefix('q')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let count: u32 = rest[..digits].parse().ok()?;
    let unit = match &rest[digits..] {
        "m" | "min" => 1,
        "h" => 60,
        "d" | "j" => DAY_MINUTES,
        "w" | "s" => 7 * DAY_MINUTES,
        _ => return None,
    };
    every_minutes(count.checked_mul(unit)?)
}

/// `n` doses a day on the matin / midi / soir / coucher grid, or evenly
/// from 06:00 beyond four.
fn times_a_day(count: u32) -> Option<Schedule> {
    let minutes: &[u16] = match count {
        1 => &[MORNING],
        2 => &[MORNING, EVENING],
        3 => &[MORNING, NOON, EVENING],
        4 => &[MORNING, NOON, EVENING, BEDTIME],
        0 => return None,
        n if DAY_MINUTES.is_multiple_of(n) => return every_minutes(DAY_MINUTES / n),
        _ => return None,
    };
    Some(Schedule::Daily(
        minutes
            .iter()
            .map(|&minute| DailyDose {
                minute,
                quantity: None,
            })
            .collect(),
    ))
}

/// An interval laid on the clock when it divides the day, else counted
/// from the start; too short to plan dose by dose is unreadable.
fn every_minutes(minutes: u32) -> Option<Schedule> {
    if minutes < SHORTEST_INTERVAL_MINUTES {
        return None;
    }
    if !DAY_MINUTES.is_multiple_of(minutes) {
        return Some(Schedule::Interval { minutes });
    }
    let anchor: u32 = if minutes >= 12 * 60 { 8 * 60 } else { 6 * 60 };
    let mut times: Vec<u16> = (0..DAY_MINUTES / minutes)
        .map(|k| ((anchor + k * minutes) % DAY_MINUTES) as u16)
        .collect();
    times.sort_unstable();
    Some(Schedule::Daily(
        times
            .into_iter()
            .map(|minute| DailyDose {
                minute,
                quantity: None,
            })
            .collect(),
    ))
}

/// `1-0-1`, `1-1-1-1`, `2-0-1/2`, `0,5-0-0`, `1–0–1`: matin-midi-soir
/// (-coucher), each part the units given at that time.
fn moments_pattern(compact: &str) -> Option<Vec<DailyDose>> {
    let normalized = compact.replace(['–', '—', '‑'], "-");
    let parts: Vec<&str> = normalized.split('-').collect();
    if !(3..=4).contains(&parts.len()) {
        return None;
    }
    let grid = [MORNING, NOON, EVENING, BEDTIME];
    let mut doses = Vec::with_capacity(4);
    for (part, &minute) in parts.iter().zip(grid.iter()) {
        let quantity = quantity(part)?;
        if quantity > 0.0 {
            doses.push(DailyDose {
                minute,
                quantity: Some(quantity),
            });
        }
    }
    (!doses.is_empty()).then_some(doses)
}

/// `1`, `2`, `1/2`, `½`, `0,5`, `0.25`.
fn quantity(part: &str) -> Option<f32> {
    let value: f32 = match part {
        "½" => 0.5,
        "¼" => 0.25,
        "¾" => 0.75,
        _ => match part.split_once('/') {
            Some((n, d)) => {
                let n: f32 = n.parse().ok()?;
                let d: f32 = d.parse().ok()?;
                if d == 0.0 {
                    return None;
                }
                n / d
            }
            None => {
                if part.is_empty()
                    || !part
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b == b',' || b == b'.')
                {
                    return None;
                }
                part.replace(',', ".").parse().ok()?
            }
        },
    };
    (value.is_finite() && (0.0..=20.0).contains(&value)).then_some(value)
}

/// A token of a folded frequency: a word, a number, or `/`.
#[derive(Debug, Clone, PartialEq)]
enum Token<'a> {
    Word(&'a str),
    Number(u32),
    Slash,
}

fn tokenize(folded: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let bytes = folded.as_bytes();
    let mut at = 0;
    while at < folded.len() {
        let c = folded[at..].chars().next().unwrap_or(' ');
        if c.is_ascii_digit() {
            let end = at
                + bytes[at..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
            tokens.push(match folded[at..end].parse() {
                Ok(n) => Token::Number(n),
                Err(_) => Token::Word(&folded[at..end]),
            });
            at = end;
        } else if c.is_alphabetic() {
            let end = at
                + folded[at..]
                    .char_indices()
                    .find(|(_, c)| !c.is_alphabetic())
                    .map_or(folded.len() - at, |(i, _)| i);
            let word = &folded[at..end];
            tokens.push(match number_word(word) {
                Some(n) => Token::Number(n),
                None => Token::Word(word),
            });
            at = end;
        } else {
            match c {
                '/' => tokens.push(Token::Slash),
                '-' | '–' => tokens.push(Token::Word("-")),
                _ => {}
            }
            at += c.len_utf8();
        }
    }
    tokens
}

fn number_word(word: &str) -> Option<u32> {
    Some(match word {
        "un" | "une" => 1,
        "deux" => 2,
        "trois" => 3,
        "quatre" => 4,
        "cinq" => 5,
        "six" => 6,
        "huit" => 8,
        "douze" => 12,
        _ => return None,
    })
}

fn unit_minutes(word: &str) -> Option<u32> {
    Some(match word {
        "h" | "hr" | "heure" | "heures" => 60,
        "min" | "mn" | "minute" | "minutes" => 1,
        "j" | "jour" | "jours" | "d" => DAY_MINUTES,
        "sem" | "semaine" | "semaines" => 7 * DAY_MINUTES,
        _ => return None,
    })
}

/// Sentences with numbers: per day, every n units, n times every p units.
fn phrase(tokens: &[Token<'_>]) -> Option<Schedule> {
    if let Some(count) = per_day(tokens) {
        return times_a_day(count);
    }
    if let Some(schedule) = times_every(tokens) {
        return Some(schedule);
    }
    if let Some(minutes) = every(tokens, false) {
        return every_minutes(minutes);
    }
    let daily_words: [&[&str]; 4] = [
        &["tous", "les", "jours"],
        &["chaque", "jour"],
        &["par", "jour"],
        &["quotidien"],
    ];
    let words_only: Vec<&str> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Word(w) => Some(*w),
            _ => None,
        })
        .collect();
    if words_only.len() == tokens.len() && daily_words.iter().any(|pattern| words_only == *pattern)
    {
        return times_a_day(1);
    }
    if tokens
        == [
            Token::Number(1),
            Token::Word("jour"),
            Token::Word("sur"),
            Token::Number(2),
        ]
    {
        return every_minutes(2 * DAY_MINUTES);
    }
    None
}

/// `3 fois par jour`, `3 fois/j`, `3x/j`, `x3/j`, `3/j`, `3 prises par
/// jour`, `3 fois par 24 h`: the whole text must be this.
fn per_day(tokens: &[Token<'_>]) -> Option<u32> {
    let mut rest = tokens;
    let count = match rest {
        [Token::Word("x"), Token::Number(n), tail @ ..] => {
            rest = tail;
            *n
        }
        [Token::Number(n), tail @ ..] => {
            rest = tail;
            *n
        }
        _ => return None,
    };
    if let [Token::Word("fois" | "x" | "prises" | "prise"), tail @ ..] = rest {
        rest = tail;
    }
    let rest = match rest {
        [Token::Word("par"), tail @ ..] | [Token::Slash, tail @ ..] => tail,
        _ => return None,
    };
    match rest {
        [Token::Word("jour" | "j" | "jr")] | [Token::Number(24), Token::Word("h" | "heures")] => {
            Some(count)
        }
        [Token::Word("jour" | "j"), Token::Word(w), ..] if is_meal_words(w) => Some(count),
        _ => None,
    }
}

fn is_meal_words(word: &str) -> bool {
    matches!(word, "avant" | "apres" | "pendant" | "au" | "aux")
}

/// `1 fois toutes les 8 heures`, `2 fois par semaine`, `2 fois toutes les
/// 2 semaines`.
fn times_every(tokens: &[Token<'_>]) -> Option<Schedule> {
    let [Token::Number(count), Token::Word("fois"), rest @ ..] = tokens else {
        return None;
    };
    if *count == 0 {
        return None;
    }
    let span = match rest {
        [Token::Word("par"), Token::Word(unit)] => unit_minutes(unit)?,
        _ => every(rest, false)?,
    };
    if !span.is_multiple_of(*count) {
        return None;
    }
    every_minutes(span / count)
}

/// `toutes les 6 h`, `tous les 2 jours`, `/6h`, `toutes les 4 à 6 heures`
/// (a range only when `lower_bound_of_range`, giving the lower bound).
fn every(tokens: &[Token<'_>], lower_bound_of_range: bool) -> Option<u32> {
    let rest = match tokens {
        [
            Token::Word("toutes" | "tous"),
            Token::Word("les"),
            tail @ ..,
        ] => tail,
        [Token::Slash, tail @ ..] => tail,
        [Token::Word("q"), tail @ ..] => tail,
        _ => return None,
    };
    match rest {
        [Token::Number(n), Token::Word(unit)] => n.checked_mul(unit_minutes(unit)?),
        [Token::Word(unit)] => unit_minutes(unit),
        [
            Token::Number(n),
            Token::Word("a" | "-"),
            Token::Number(_),
            Token::Word(unit),
        ] if lower_bound_of_range => n.checked_mul(unit_minutes(unit)?),
        _ => None,
    }
}

/// `le matin`, `le soir`, `au coucher`, `matin et soir`, `matin, midi et
/// soir`, `avant les repas`: only moment words and small link words.
fn moment_words(tokens: &[Token<'_>]) -> Option<Vec<DailyDose>> {
    let mut minutes: Vec<u16> = Vec::new();
    let mut meals = false;
    let mut previous = "";
    for token in tokens {
        let Token::Word(word) = token else {
            return None;
        };
        match *word {
            "matin" | "matins" | "reveil" => minutes.push(MORNING),
            "dejeuner" if previous == "petit" => minutes.push(MORNING),
            "midi" | "dejeuner" => minutes.push(NOON),
            "soir" | "soirs" | "diner" => minutes.push(EVENING),
            "coucher" | "nuit" => minutes.push(BEDTIME),
            "repas" => meals = true,
            "le" | "la" | "les" | "au" | "a" | "et" | "du" | "de" | "tous" | "chaque" | "avant"
            | "apres" | "pendant" | "puis" | "petit" => {}
            _ => return None,
        }
        previous = word;
    }
    if minutes.is_empty() && meals {
        minutes.extend([MORNING, NOON, EVENING]);
    }
    minutes.sort_unstable();
    minutes.dedup();
    (!minutes.is_empty()).then(|| {
        minutes
            .into_iter()
            .map(|minute| DailyDose {
                minute,
                quantity: None,
            })
            .collect()
    })
}

/// A bare HL7 code qualified by the first line of the instructions that
/// restates it: « en continu » makes a once-a-day code continuous (the
/// demo's `Q24H` infusions); « si douleur » with the same interval makes it
/// if needed. Anything else in the instructions leaves the schedule alone:
/// a remark never hides a planned dose.
fn refine_by_instructions(schedule: Schedule, frequency: &str, line: &str) -> Schedule {
    let compact: String = fold(frequency)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let Some(coded) = hl7_code(&compact) else {
        return schedule;
    };
    let folded = fold(line);
    let coded_minutes = match &coded {
        Schedule::Daily(doses) => daily_spacing(doses),
        Schedule::Interval { minutes } => Some(*minutes),
        _ => None,
    };
    if is_continuous(&folded) && coded_minutes == Some(DAY_MINUTES) {
        return Schedule::Continuous;
    }
    if as_needed(&folded).is_none() {
        return schedule;
    }
    match restated_interval(&folded) {
        Some(said) if Some(said) == coded_minutes => Schedule::AsNeeded {
            min_interval_minutes: Some(said),
        },
        _ => schedule,
    }
}

/// The `toutes les n h` part of an instruction line (`1 g per os toutes
/// les 4 heures si douleur`).
fn restated_interval(folded: &str) -> Option<u32> {
    let at = folded
        .find("toutes les")
        .or_else(|| folded.find("tous les"))?;
    let tokens = tokenize(&folded[at..]);
    let end = tokens.len().min(4);
    every(&tokens[..end], true)
}

// ---- Planning --------------------------------------------------------------

/// When a prescription may be given: `[start, end)` in ms, `None` when it
/// plans nothing at all.
fn active_span(medication: &Medication, zone: &TimeZone) -> Option<(i64, i64)> {
    if medication.kind != MedicationKind::Order {
        return None;
    }
    let start = medication
        .start
        .as_ref()
        .map_or(Some(i64::MIN), |m| start_ms(m, zone))?;
    let end = match (&medication.end, &medication.status) {
        (_, RecordStatus::EnteredInError) => return None,
        (None, RecordStatus::Inactive) => return None,
        (None, RecordStatus::Active) => i64::MAX,
        (Some(end), _) => end_ms(end, zone)?,
    };
    (start < end).then_some((start, end))
}

/// The first instant a moment covers: its time, or local midnight of its
/// date (first of the month or year at coarser precision).
fn start_ms(moment: &Moment, zone: &TimeZone) -> Option<i64> {
    if moment.has_time() {
        return moment_ms(moment, zone);
    }
    let date = Date::new(moment.year, moment.month as i8, moment.day as i8).ok()?;
    local_ms(date, 0, zone)
}

/// The first dose of an interval or single-dose schedule: the start's
/// time, or the morning of its date.
fn anchor_ms(moment: &Moment, zone: &TimeZone) -> Option<i64> {
    if moment.has_time() {
        return moment_ms(moment, zone);
    }
    let date = Date::new(moment.year, moment.month as i8, moment.day as i8).ok()?;
    local_ms(date, MORNING, zone)
}

/// The first instant after a moment: its time, or the next local midnight
/// after its date (an end date is inclusive), month or year.
fn end_ms(moment: &Moment, zone: &TimeZone) -> Option<i64> {
    if moment.has_time() {
        return moment_ms(moment, zone);
    }
    let date = Date::new(moment.year, moment.month as i8, moment.day as i8).ok()?;
    let span = match moment.precision {
        Precision::Year => jiff::Span::new().years(1),
        Precision::Month => jiff::Span::new().months(1),
        _ => jiff::Span::new().days(1),
    };
    local_ms(date.checked_add(span).ok()?, 0, zone)
}

fn plan_into(
    schedule: &Schedule,
    medication: &Medication,
    (from_ms, to_ms): (i64, i64),
    zone: &TimeZone,
    shifts: &[u8],
    out: &mut Vec<Planned>,
) {
    let Some((start, end)) = active_span(medication, zone) else {
        return;
    };
    let from = from_ms.max(start);
    let to = to_ms.min(end);
    if from >= to {
        return;
    }
    let first = out.len();
    match schedule {
        Schedule::Daily(doses) => plan_daily(doses, (from, to), zone, out),
        Schedule::Interval { minutes } => {
            let step = i64::from(*minutes) * MINUTE_MS;
            let Some(anchor) = medication.start.as_ref().and_then(|m| anchor_ms(m, zone)) else {
                return;
            };
            let skipped = (from - anchor + step - 1).div_euclid(step).max(0);
            let mut at = anchor + skipped * step;
            while at < to {
                out.push(dose(at, None));
                at += step;
            }
        }
        Schedule::Once => {
            let anchor = medication.start.as_ref().and_then(|m| anchor_ms(m, zone));
            if let Some(at) = anchor.filter(|&at| at >= from && at < to) {
                out.push(dose(at, None));
            }
        }
        Schedule::Continuous => {
            for at in shift_starts((from, to), zone, shifts) {
                out.push(Planned {
                    at_ms: at,
                    quantity: None,
                    kind: PlannedKind::ContinuousCheck,
                });
            }
        }
        Schedule::AsNeeded { .. } | Schedule::Unreadable(_) => {}
    }
    out[first..].sort_by_key(|p| p.at_ms);
}

fn dose(at_ms: i64, quantity: Option<f32>) -> Planned {
    Planned {
        at_ms,
        quantity,
        kind: PlannedKind::Dose,
    }
}

fn plan_daily(
    doses: &[DailyDose],
    (from, to): (i64, i64),
    zone: &TimeZone,
    out: &mut Vec<Planned>,
) {
    let (Some(first_day), Some(last_day)) = (local_date(from, zone), local_date(to, zone)) else {
        return;
    };
    let mut day = first_day;
    while day <= last_day {
        for d in doses {
            if let Some(at) = local_ms(day, d.minute, zone)
                && at >= from
                && at < to
            {
                out.push(dose(at, d.quantity));
            }
        }
        let Ok(next) = day.tomorrow() else {
            return;
        };
        day = next;
    }
}

/// Shift starts in `[from, to)`.
fn shift_starts((from, to): (i64, i64), zone: &TimeZone, shifts: &[u8]) -> Vec<i64> {
    let hours = shift_hours(shifts);
    let mut starts = Vec::new();
    let (Some(mut day), Some(last_day)) = (local_date(from, zone), local_date(to, zone)) else {
        return starts;
    };
    while day <= last_day {
        starts.extend(
            hours
                .iter()
                .filter_map(|&h| local_ms(day, u16::from(h) * 60, zone))
                .filter(|&at| at >= from && at < to),
        );
        let Ok(next) = day.tomorrow() else {
            break;
        };
        day = next;
    }
    starts
}

/// Valid shift hours, ascending and distinct; midnight when none.
fn shift_hours(shifts: &[u8]) -> Vec<u8> {
    let mut hours: Vec<u8> = shifts.iter().copied().filter(|&h| h < 24).collect();
    hours.sort_unstable();
    hours.dedup();
    if hours.is_empty() {
        hours.push(0);
    }
    hours
}

fn local_date(ms: i64, zone: &TimeZone) -> Option<Date> {
    let timestamp = Timestamp::from_millisecond(ms).ok()?;
    Some(zone.to_datetime(timestamp).date())
}

/// The instant of a local clock time on a date (the gap and the overlap
/// resolved as the module says).
fn local_ms(date: Date, minute: u16, zone: &TimeZone) -> Option<i64> {
    let civil = DateTime::new(
        date.year(),
        date.month(),
        date.day(),
        (minute / 60) as i8,
        (minute % 60) as i8,
        0,
        0,
    )
    .ok()?;
    let timestamp = zone.to_ambiguous_timestamp(civil).compatible().ok()?;
    Some(timestamp.as_millisecond())
}

// ---- The grid ----------------------------------------------------------------

fn patient_rows<'a>(
    patient: &GridPatient<'a>,
    window: (i64, i64),
    clock: &Clock<'_>,
) -> PatientRows<'a> {
    let in_window = |ms: i64| ms >= window.0 && ms < window.1;
    let mut rows = Vec::with_capacity(patient.medications.len());
    let mut overdue = 0;
    for medication in patient.medications {
        if medication.kind != MedicationKind::Order
            || medication.status == RecordStatus::EnteredInError
        {
            continue;
        }
        let row = medication_row(medication, patient.administrations, window, clock);
        if medication.status == RecordStatus::Inactive
            && row.cells.is_empty()
            && row.extra.is_empty()
        {
            continue;
        }
        overdue += row
            .cells
            .iter()
            .filter(|c| c.state == CellState::Overdue)
            .count();
        rows.push(row);
    }
    let unmatched = patient
        .administrations
        .iter()
        .copied()
        .filter(|a| !patient.medications.iter().any(|m| m.id == a.medication))
        .filter(|a| in_window(administration_ms(a, clock.zone)))
        .collect();
    PatientRows {
        patient: patient.patient,
        display: patient.display,
        bed: patient.bed,
        rows,
        unmatched,
        overdue,
    }
}

fn medication_row<'a>(
    medication: &'a Medication,
    administrations: &[&'a Administration],
    window: (i64, i64),
    clock: &Clock<'_>,
) -> Row<'a> {
    let schedule = Schedule::of(medication);
    let mut slots = Vec::new();
    plan_into(
        &schedule,
        medication,
        window,
        clock.zone,
        clock.shifts,
        &mut slots,
    );
    let mut cells: Vec<Cell<'a>> = slots
        .into_iter()
        .map(|planned| Cell {
            planned,
            state: slot_state(planned.at_ms, clock.now_ms),
        })
        .collect();
    let mut extra = Vec::new();
    for &administration in administrations {
        if administration.medication != medication.id {
            continue;
        }
        let planned = planned_ms(administration, clock.zone);
        let slot = planned.and_then(|at| cells.iter_mut().find(|c| c.planned.at_ms == at));
        match slot {
            Some(cell) => cell.state = CellState::Done(administration),
            None => {
                let at = planned.unwrap_or_else(|| administration_ms(administration, clock.zone));
                if at >= window.0 && at < window.1 {
                    extra.push(administration);
                }
            }
        }
    }
    Row {
        medication,
        schedule,
        cells,
        extra,
    }
}

fn slot_state(at_ms: i64, now_ms: i64) -> CellState<'static> {
    if at_ms.saturating_add(OVERDUE_AFTER_MS) < now_ms {
        CellState::Overdue
    } else if at_ms <= now_ms.saturating_add(DUE_BEFORE_MS) {
        CellState::Due
    } else {
        CellState::Upcoming
    }
}

/// The planned time of an administration, to the minute.
fn planned_ms(administration: &Administration, zone: &TimeZone) -> Option<i64> {
    let ms = moment_ms(administration.planned.as_ref()?, zone)?;
    Some(ms.div_euclid(MINUTE_MS) * MINUTE_MS)
}

/// When an administration happened (its real time), `i64::MIN` when
/// unreadable.
fn administration_ms(administration: &Administration, zone: &TimeZone) -> i64 {
    moment_ms(&administration.at, zone).unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests;
