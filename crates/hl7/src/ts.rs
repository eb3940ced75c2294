//! HL7 TS/DTM/DT values: `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]` (v2.5 chapter 2A.22).
//!
//! This module only checks and splits the text; turning it into an instant (which needs the
//! site's time zone when no offset is given) is the mapper's job. `""` (null) is not a
//! timestamp: test `Field::is_null()` before calling [`Ts::parse`].

use std::fmt;

/// How much of a timestamp was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    /// `YYYY`
    Year,
    /// `YYYYMM`
    Month,
    /// `YYYYMMDD`
    Day,
    /// `YYYYMMDDHH`
    Hour,
    /// `YYYYMMDDHHMM`
    Minute,
    /// `YYYYMMDDHHMMSS`
    Second,
    /// `YYYYMMDDHHMMSS.S` to `.SSSS`
    Fraction,
}

/// A checked HL7 timestamp; parts beyond `precision` are at their minimum (month 1, day 1, 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ts {
    /// Year, 4 digits.
    pub year: u16,
    /// Month 1-12.
    pub month: u8,
    /// Day 1-31, checked against the month (and leap years).
    pub day: u8,
    /// Hour 0-23.
    pub hour: u8,
    /// Minute 0-59.
    pub minute: u8,
    /// Second 0-59.
    pub second: u8,
    /// Milliseconds 0-999 (a fourth fraction digit is truncated).
    pub millis: u16,
    /// How much was given.
    pub precision: Precision,
    /// The stated UTC offset in minutes (`-0500` is -300); `None` when not stated.
    pub offset_minutes: Option<i16>,
}

/// Why a timestamp is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsError {
    /// Nothing to parse.
    #[error("empty timestamp")]
    Empty,
    /// Not `YYYY[MM[DD[HH[MM[SS[.S...]]]]]]` (wrong length, non-digit, misplaced fraction).
    #[error("malformed timestamp {text:?}")]
    Malformed {
        /// The text given.
        text: String,
    },
    /// A part outside its range (month 35, day 31 in April, hour 24...).
    #[error("{part} out of range in timestamp {text:?}")]
    OutOfRange {
        /// `month`, `day`, `hour`, `minute` or `second`.
        part: &'static str,
        /// The text given.
        text: String,
    },
    /// The offset is not `+HHMM`/`-HHMM` with hours up to 14 and minutes up to 59.
    #[error("invalid UTC offset in timestamp {text:?}")]
    InvalidOffset {
        /// The text given.
        text: String,
    },
}

impl TsError {
    /// A French sentence for users and interface teams.
    pub fn reason_fr(&self) -> String {
        match self {
            TsError::Empty => "date vide".to_owned(),
            TsError::Malformed { text } => format!("date mal formée « {text} »"),
            TsError::OutOfRange { part, text } => {
                let part = match *part {
                    "month" => "mois",
                    "day" => "jour",
                    "hour" => "heure",
                    "minute" => "minute",
                    _ => "seconde",
                };
                format!("{part} impossible dans la date « {text} »")
            }
            TsError::InvalidOffset { text } => format!("décalage horaire invalide dans « {text} »"),
        }
    }
}

impl Ts {
    /// Parses and checks a timestamp (surrounding spaces ignored).
    pub fn parse(text: &str) -> Result<Ts, TsError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(TsError::Empty);
        }
        let malformed = || TsError::Malformed {
            text: text.to_owned(),
        };
        let (main, offset) = match trimmed.find(['+', '-']) {
            Some(sign) => (&trimmed[..sign], Some(&trimmed[sign..])),
            None => (trimmed, None),
        };
        let (digits, fraction) = match main.split_once('.') {
            Some((digits, fraction)) => (digits, Some(fraction)),
            None => (main, None),
        };
        if !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(malformed());
        }
        let precision = match (digits.len(), fraction) {
            (4, None) => Precision::Year,
            (6, None) => Precision::Month,
            (8, None) => Precision::Day,
            (10, None) => Precision::Hour,
            (12, None) => Precision::Minute,
            (14, None) => Precision::Second,
            (14, Some(_)) => Precision::Fraction,
            _ => return Err(malformed()),
        };
        let number = |range: std::ops::Range<usize>, default: u16| {
            digits
                .get(range)
                .map_or(Some(default), |part| part.parse::<u16>().ok())
        };
        let parts = [
            number(0..4, 0),
            number(4..6, 1),
            number(6..8, 1),
            number(8..10, 0),
            number(10..12, 0),
            number(12..14, 0),
        ];
        let [
            Some(year),
            Some(month),
            Some(day),
            Some(hour),
            Some(minute),
            Some(second),
        ] = parts
        else {
            return Err(malformed());
        };
        let millis = match fraction {
            None => 0,
            Some(fraction) => parse_fraction(fraction).ok_or_else(malformed)?,
        };
        let offset_minutes = offset
            .map(|offset| parse_offset(offset, text))
            .transpose()?;
        let ts = Ts {
            year,
            month: small(month),
            day: small(day),
            hour: small(hour),
            minute: small(minute),
            second: small(second),
            millis,
            precision,
            offset_minutes,
        };
        ts.check_ranges(text)?;
        Ok(ts)
    }

    fn check_ranges(&self, text: &str) -> Result<(), TsError> {
        let out_of_range = |part| TsError::OutOfRange {
            part,
            text: text.to_owned(),
        };
        if !(1..=12).contains(&self.month) {
            return Err(out_of_range("month"));
        }
        if self.day == 0 || self.day > days_in_month(self.year, self.month) {
            return Err(out_of_range("day"));
        }
        if self.hour > 23 {
            return Err(out_of_range("hour"));
        }
        if self.minute > 59 {
            return Err(out_of_range("minute"));
        }
        if self.second > 59 {
            return Err(out_of_range("second"));
        }
        Ok(())
    }
}

impl fmt::Display for Ts {
    /// ISO 8601 down to the given precision: `2024`, `2024-03`, `2024-03-15`,
    /// `2024-03-15T10:30`, `2024-03-15T10:30:05.120-05:00` (hour precision shows `:00`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if self.precision >= Precision::Month {
            write!(f, "-{:02}", self.month)?;
        }
        if self.precision >= Precision::Day {
            write!(f, "-{:02}", self.day)?;
        }
        if self.precision >= Precision::Hour {
            write!(f, "T{:02}:{:02}", self.hour, self.minute)?;
        }
        if self.precision >= Precision::Second {
            write!(f, ":{:02}", self.second)?;
        }
        if self.precision == Precision::Fraction {
            write!(f, ".{:03}", self.millis)?;
        }
        if let Some(offset) = self.offset_minutes {
            let sign = if offset < 0 { '-' } else { '+' };
            let offset = offset.unsigned_abs();
            write!(f, "{sign}{:02}:{:02}", offset / 60, offset % 60)?;
        }
        Ok(())
    }
}

fn small(value: u16) -> u8 {
    u8::try_from(value).unwrap_or(u8::MAX)
}

/// One to four fraction digits, as milliseconds.
fn parse_fraction(fraction: &str) -> Option<u16> {
    if fraction.is_empty() || fraction.len() > 4 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = format!("{fraction:0<4}");
    padded
        .parse::<u16>()
        .ok()
        .map(|ten_thousandths| ten_thousandths / 10)
}

fn parse_offset(offset: &str, text: &str) -> Result<i16, TsError> {
    let invalid = || TsError::InvalidOffset {
        text: text.to_owned(),
    };
    let (sign, digits) = offset.split_at(1);
    if digits.len() != 4 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(invalid());
    }
    let hours: i16 = digits[..2].parse().map_err(|_| invalid())?;
    let minutes: i16 = digits[2..].parse().map_err(|_| invalid())?;
    if hours > 14 || minutes > 59 {
        return Err(invalid());
    }
    let total = hours * 60 + minutes;
    Ok(if sign == "-" { -total } else { total })
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_timestamp_with_offset() {
        let ts = Ts::parse("20120128145624.090-0500").expect("valid");
        assert_eq!((ts.year, ts.month, ts.day), (2012, 1, 28));
        assert_eq!((ts.hour, ts.minute, ts.second, ts.millis), (14, 56, 24, 90));
        assert_eq!(ts.precision, Precision::Fraction);
        assert_eq!(ts.offset_minutes, Some(-300));
        assert_eq!(ts.to_string(), "2012-01-28T14:56:24.090-05:00");
    }

    #[test]
    fn partial_precisions() {
        assert_eq!(Ts::parse("2024").expect("year").precision, Precision::Year);
        let ts = Ts::parse("202403").expect("month");
        assert_eq!((ts.month, ts.day, ts.precision), (3, 1, Precision::Month));
        assert_eq!(ts.to_string(), "2024-03");
        let ts = Ts::parse("20240110110000").expect("second");
        assert_eq!(ts.offset_minutes, None);
        assert_eq!(
            Ts::parse("20240101+0215").expect("offset").offset_minutes,
            Some(135)
        );
        assert_eq!(Ts::parse("20240101120000.1").expect("fraction").millis, 100);
        assert_eq!(
            Ts::parse("20240101120000.1234").expect("fraction").millis,
            123
        );
    }

    #[test]
    fn impossible_values_are_rejected() {
        assert!(matches!(
            Ts::parse("196203520"),
            Err(TsError::Malformed { .. })
        ));
        assert!(matches!(
            Ts::parse("19623520"),
            Err(TsError::OutOfRange { part: "month", .. })
        ));
        assert!(matches!(
            Ts::parse("20230229"),
            Err(TsError::OutOfRange { part: "day", .. })
        ));
        assert!(Ts::parse("20240229").is_ok());
        assert!(matches!(
            Ts::parse("2024010124"),
            Err(TsError::OutOfRange { part: "hour", .. })
        ));
        assert!(matches!(
            Ts::parse("20240101+25"),
            Err(TsError::InvalidOffset { .. })
        ));
        assert!(matches!(
            Ts::parse("20240101.5"),
            Err(TsError::Malformed { .. })
        ));
        assert!(matches!(Ts::parse("\"\""), Err(TsError::Malformed { .. })));
        assert_eq!(Ts::parse("  "), Err(TsError::Empty));
    }
}
