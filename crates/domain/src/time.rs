//! Moments as sources state them: a calendar value with its precision and,
//! when known, its offset from UTC and where that offset came from.
//!
//! HL7 v2 `TS`/`DTM` and FHIR `date`/`dateTime`/`instant` all land here.
//! A date stays a calendar date (never shifted by a time zone); a time without
//! an offset stays floating unless the site's zone is applied explicitly, and
//! then the moment records that the offset was assumed. See
//! `../shared/corpus/edge/EXPECTED.md` cases B10, B11, B13, B14, B15, B23.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use serde::{Deserialize, Serialize};

/// How much of a moment the source gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Precision {
    /// `2020`
    Year,
    /// `2020-06`
    Month,
    /// `2020-06-01`
    Day,
    /// `2020-06-01T10`
    Hour,
    /// `2020-06-01T10:30`
    Minute,
    /// `2020-06-01T10:30:12`
    Second,
    /// `2020-06-01T10:30:12.123`
    Millis,
}

/// Where an offset from UTC came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OffsetOrigin {
    /// Written in the value itself.
    Stated,
    /// Taken from the message header time (HL7 MSH-7) of the same message.
    MessageHeader,
    /// Assumed from the site's configured time zone.
    SiteZone,
}

/// An offset from UTC, in minutes east, with its origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offset {
    /// Minutes east of UTC (`+01:00` is 60).
    pub minutes: i16,
    /// Where the offset came from.
    pub origin: OffsetOrigin,
}

/// A point or a period of time, as precise as its source made it.
///
/// Fields below the precision are zero and mean nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moment {
    /// Calendar year.
    pub year: i16,
    /// Month 1-12 (1 when below precision).
    pub month: u8,
    /// Day 1-31 (1 when below precision).
    pub day: u8,
    /// Hour 0-23.
    pub hour: u8,
    /// Minute 0-59.
    pub minute: u8,
    /// Second 0-59.
    pub second: u8,
    /// Milliseconds 0-999.
    pub millis: u16,
    /// How much of the above the source gave.
    pub precision: Precision,
    /// Offset from UTC when known; `None` means floating local time.
    pub offset: Option<Offset>,
    /// The local time does not exist in the site zone (spring-forward gap);
    /// shown flagged, never shifted silently.
    pub dst_gap: bool,
}

impl Moment {
    /// A calendar date with day precision; `None` if it does not exist.
    pub fn date(year: i16, month: u8, day: u8) -> Option<Moment> {
        jiff::civil::Date::new(year, month as i8, day as i8).ok()?;
        Some(Moment {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            millis: 0,
            precision: Precision::Day,
            offset: None,
            dst_gap: false,
        })
    }

    /// Checks that the fields form a real calendar value at their precision.
    pub fn is_valid(&self) -> bool {
        let month = if self.precision >= Precision::Month {
            self.month
        } else {
            1
        };
        let day = if self.precision >= Precision::Day {
            self.day
        } else {
            1
        };
        jiff::civil::DateTime::new(
            self.year,
            month as i8,
            day as i8,
            self.hour as i8,
            self.minute as i8,
            self.second as i8,
            i32::from(self.millis) * 1_000_000,
        )
        .is_ok()
            && self.offset.is_none_or(|o| o.minutes.abs() < 24 * 60)
    }

    /// Parses an ISO 8601 / FHIR `date`, `dateTime` or `instant`:
    /// `2020`, `2004-06`, `1985-03-01`, `2015-02-07T13:28:17-05:00`,
    /// `2015-02-07T13:28:17.239Z`.
    pub fn parse_iso(text: &str) -> Option<Moment> {
        let text = text.trim();
        let (date_part, time_part) = match text.split_once('T') {
            Some((d, t)) => (d, Some(t)),
            None => (text, None),
        };
        let mut moment = Moment {
            year: 0,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            millis: 0,
            precision: Precision::Year,
            offset: None,
            dst_gap: false,
        };
        let mut parts = date_part.split('-');
        let year = parts.next()?;
        if year.len() != 4 {
            return None;
        }
        moment.year = year.parse().ok()?;
        if let Some(month) = parts.next() {
            moment.month = parse_fixed(month, 2)? as u8;
            moment.precision = Precision::Month;
        }
        if let Some(day) = parts.next() {
            moment.day = parse_fixed(day, 2)? as u8;
            moment.precision = Precision::Day;
        }
        if parts.next().is_some() {
            return None;
        }
        if let Some(time) = time_part {
            if moment.precision != Precision::Day {
                return None;
            }
            let (clock, offset) = split_offset(time)?;
            let mut hms = clock.split(':');
            moment.hour = parse_fixed(hms.next()?, 2)? as u8;
            moment.minute = parse_fixed(hms.next()?, 2)? as u8;
            moment.precision = Precision::Minute;
            if let Some(seconds) = hms.next() {
                let (whole, fraction) = match seconds.split_once('.') {
                    Some((w, f)) => (w, Some(f)),
                    None => (seconds, None),
                };
                moment.second = parse_fixed(whole, 2)? as u8;
                moment.precision = Precision::Second;
                if let Some(fraction) = fraction {
                    moment.millis = fraction_to_millis(fraction)?;
                    moment.precision = Precision::Millis;
                }
            }
            moment.offset = offset;
        }
        moment.is_valid().then_some(moment)
    }

    /// Whether this moment carries a time of day (hour precision or finer).
    pub fn has_time(&self) -> bool {
        self.precision >= Precision::Hour
    }

    /// The civil date-time as written, fields below precision at their minimum.
    pub fn civil(&self) -> Option<DateTime> {
        DateTime::new(
            self.year,
            self.month as i8,
            self.day as i8,
            self.hour as i8,
            self.minute as i8,
            self.second as i8,
            i32::from(self.millis) * 1_000_000,
        )
        .ok()
    }

    /// The instant this moment denotes, when it has a time and a known offset.
    pub fn timestamp(&self) -> Option<jiff::Timestamp> {
        if !self.has_time() {
            return None;
        }
        let offset = self.offset?;
        let offset = jiff::tz::Offset::from_seconds(i32::from(offset.minutes) * 60).ok()?;
        offset.to_timestamp(self.civil()?).ok()
    }

    /// Gives a floating time-of-day moment the offset `zone` had at that local
    /// time, marked as assumed. Dates and moments with an offset are returned
    /// unchanged. A local time inside a DST gap is flagged, and keeps no offset.
    pub fn assume_zone(mut self, zone: &TimeZone) -> Moment {
        if self.offset.is_some() || !self.has_time() {
            return self;
        }
        let Some(civil) = self.civil() else {
            return self;
        };
        match zone.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => {
                self.offset = Some(Offset {
                    minutes: (offset.seconds() / 60) as i16,
                    origin: OffsetOrigin::SiteZone,
                });
            }
            // In the autumn overlap the earlier (summer) offset is taken, as
            // RFC 5545 and most HIS do.
            AmbiguousOffset::Fold { before, .. } => {
                self.offset = Some(Offset {
                    minutes: (before.seconds() / 60) as i16,
                    origin: OffsetOrigin::SiteZone,
                });
            }
            AmbiguousOffset::Gap { .. } => self.dst_gap = true,
        }
        self
    }

    /// Milliseconds since the Unix epoch for ordering: the real instant when
    /// known, else the local value read as if it were UTC.
    pub fn sort_key(&self) -> i64 {
        if let Some(ts) = self.timestamp() {
            return ts.as_millisecond();
        }
        self.civil()
            .and_then(|c| c.to_zoned(TimeZone::UTC).ok())
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or(0)
    }

    /// French display: `2020`, `06/2004`, `01/03/1985`, `15/03/2024 01:30`.
    ///
    /// A moment with an offset is shown in `zone` (Europe/Paris for the
    /// node); a floating time is shown as written, never converted.
    pub fn display_fr(&self, zone: &TimeZone) -> String {
        match self.precision {
            Precision::Year => format!("{:04}", self.year),
            Precision::Month => format!("{:02}/{:04}", self.month, self.year),
            Precision::Day => format!("{:02}/{:02}/{:04}", self.day, self.month, self.year),
            _ => {
                let civil = self
                    .timestamp()
                    .map(|ts| ts.to_zoned(zone.clone()).datetime())
                    .or_else(|| self.civil());
                let Some(c) = civil else {
                    return String::from("?");
                };
                let mut text = format!(
                    "{:02}/{:02}/{:04} {:02}:{:02}",
                    c.day(),
                    c.month(),
                    c.year(),
                    c.hour(),
                    c.minute()
                );
                if self.dst_gap {
                    text.push_str(" (heure inexistante)");
                }
                text
            }
        }
    }

    /// ISO 8601 text at this moment's precision, for the JSON API and FHIR.
    ///
    /// A time of day without a known offset is reduced to its date, so that a
    /// time is never emitted without an offset (edge case B23).
    pub fn to_iso(&self) -> String {
        let date = match self.precision {
            Precision::Year => return format!("{:04}", self.year),
            Precision::Month => return format!("{:04}-{:02}", self.year, self.month),
            _ => format!("{:04}-{:02}-{:02}", self.year, self.month, self.day),
        };
        let Some(offset) = self.offset.filter(|_| self.has_time()) else {
            return date;
        };
        let mut text = format!(
            "{date}T{:02}:{:02}:{:02}",
            self.hour, self.minute, self.second
        );
        if self.precision == Precision::Millis {
            text.push_str(&format!(".{:03}", self.millis));
        }
        let sign = if offset.minutes < 0 { '-' } else { '+' };
        let minutes = offset.minutes.unsigned_abs();
        text.push_str(&format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60));
        text
    }
}

fn parse_fixed(text: &str, width: usize) -> Option<u32> {
    if text.len() != width || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn fraction_to_millis(fraction: &str) -> Option<u16> {
    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = fraction.chars().chain("000".chars()).take(3).collect();
    digits.parse().ok()
}

/// Splits `13:28:17-05:00` into the clock and a stated offset.
fn split_offset(time: &str) -> Option<(&str, Option<Offset>)> {
    if let Some(clock) = time.strip_suffix('Z') {
        let offset = Offset {
            minutes: 0,
            origin: OffsetOrigin::Stated,
        };
        return Some((clock, Some(offset)));
    }
    let Some(at) = time.rfind(['+', '-']) else {
        return Some((time, None));
    };
    let (clock, zone) = time.split_at(at);
    let sign: i16 = if zone.starts_with('-') { -1 } else { 1 };
    let (hours, minutes) = zone[1..].split_once(':')?;
    let minutes = parse_fixed(hours, 2)? as i16 * 60 + parse_fixed(minutes, 2)? as i16;
    Some((
        clock,
        Some(Offset {
            minutes: sign * minutes,
            origin: OffsetOrigin::Stated,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").expect("the tz database knows Europe/Paris")
    }

    #[test]
    fn partial_dates_keep_their_precision() {
        let year = Moment::parse_iso("2020").unwrap();
        assert_eq!(year.display_fr(&paris()), "2020");
        let month = Moment::parse_iso("2004-06").unwrap();
        assert_eq!(month.display_fr(&paris()), "06/2004");
        assert_eq!(month.to_iso(), "2004-06");
    }

    #[test]
    fn a_date_is_never_shifted_by_a_zone() {
        let birth = Moment::parse_iso("1985-03-01").unwrap();
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        assert_eq!(birth.display_fr(&tokyo), "01/03/1985");
        assert_eq!(birth.assume_zone(&tokyo), birth);
    }

    #[test]
    fn stated_offsets_are_instants() {
        let a = Moment::parse_iso("2024-03-15T14:56:24.090-05:00").unwrap();
        let utc = a.timestamp().unwrap();
        assert_eq!(utc.to_string(), "2024-03-15T19:56:24.09Z");
        assert_eq!(a.to_iso(), "2024-03-15T14:56:24.090-05:00");
        assert_eq!(a.display_fr(&paris()), "15/03/2024 20:56");
    }

    #[test]
    fn floating_times_are_shown_as_written_and_reduced_to_a_date_in_iso() {
        let m = Moment::parse_iso("2024-03-15T01:30:00").unwrap();
        assert_eq!(m.display_fr(&paris()), "15/03/2024 01:30");
        assert_eq!(m.to_iso(), "2024-03-15");
    }

    #[test]
    fn site_zone_is_assumed_and_flagged() {
        let m = Moment::parse_iso("2024-01-15T01:30:00")
            .unwrap()
            .assume_zone(&paris());
        let offset = m.offset.unwrap();
        assert_eq!(
            (offset.minutes, offset.origin),
            (60, OffsetOrigin::SiteZone)
        );
        assert_eq!(m.timestamp().unwrap().to_string(), "2024-01-15T00:30:00Z");
    }

    #[test]
    fn dst_gap_is_flagged_not_shifted() {
        let m = Moment::parse_iso("2024-03-31T02:30:00")
            .unwrap()
            .assume_zone(&paris());
        assert!(m.dst_gap);
        assert_eq!(m.offset, None);
        assert_eq!(
            m.display_fr(&paris()),
            "31/03/2024 02:30 (heure inexistante)"
        );
    }

    #[test]
    fn impossible_values_are_refused() {
        assert_eq!(Moment::parse_iso("2023-02-30"), None);
        assert_eq!(Moment::parse_iso("1962-35-20"), None);
        assert_eq!(Moment::parse_iso("20-01-01"), None);
        assert_eq!(Moment::parse_iso("2020-01-01T25:00"), None);
    }
}
