//! HL7 TS/DTM text to [`Moment`]: the offset is the one stated in the value (B10), else the one
//! MSH-7 states (B11), else the site zone's, marked as assumed and flagged in a DST gap (B13).
//! A value of day precision or less stays a calendar value and is never shifted.

use ckisa_domain::{Moment, Offset, OffsetOrigin, Precision};
use ckisa_hl7::ts::{self, Ts};
use jiff::tz::TimeZone;

/// Reads `text`; `Err` carries the French reason.
///
/// `site_zone` is `None` only to show the floating value (B13 "without site setting").
pub(super) fn moment(
    text: &str,
    header_offset: Option<i16>,
    site_zone: Option<&TimeZone>,
) -> Result<Moment, String> {
    let stamp = Ts::parse(text).map_err(|error| error.reason_fr())?;
    let mut moment = from_ts(&stamp);
    if !moment.is_valid() {
        return Err(format!("date impossible « {} »", text.trim()));
    }
    if !moment.has_time() {
        moment.offset = None;
        return Ok(moment);
    }
    if let Some(minutes) = stamp.offset_minutes {
        moment.offset = Some(Offset {
            minutes,
            origin: OffsetOrigin::Stated,
        });
    } else if let Some(minutes) = header_offset {
        moment.offset = Some(Offset {
            minutes,
            origin: OffsetOrigin::MessageHeader,
        });
    } else if let Some(zone) = site_zone {
        moment = moment.assume_zone(zone);
    }
    Ok(moment)
}

/// The date part of a moment (birth dates): precision at most day, no offset.
pub(super) fn date_part(mut moment: Moment) -> Moment {
    if moment.precision > Precision::Day {
        moment.precision = Precision::Day;
        moment.hour = 0;
        moment.minute = 0;
        moment.second = 0;
        moment.millis = 0;
    }
    moment.offset = None;
    moment.dst_gap = false;
    moment
}

fn from_ts(stamp: &Ts) -> Moment {
    Moment {
        year: i16::try_from(stamp.year).unwrap_or(i16::MAX),
        month: stamp.month,
        day: stamp.day,
        hour: stamp.hour,
        minute: stamp.minute,
        second: stamp.second,
        millis: stamp.millis,
        precision: match stamp.precision {
            ts::Precision::Year => Precision::Year,
            ts::Precision::Month => Precision::Month,
            ts::Precision::Day => Precision::Day,
            ts::Precision::Hour => Precision::Hour,
            ts::Precision::Minute => Precision::Minute,
            ts::Precision::Second => Precision::Second,
            ts::Precision::Fraction => Precision::Millis,
        },
        offset: None,
        dst_gap: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> TimeZone {
        super::super::MapContext::paris().site_zone
    }

    #[test]
    fn stated_offset_is_kept_b10() {
        let m = moment("20120128145624.090-0500", Some(60), Some(&paris())).unwrap();
        let offset = m.offset.unwrap();
        assert_eq!(
            (offset.minutes, offset.origin),
            (-300, OffsetOrigin::Stated)
        );
        assert_eq!(m.precision, Precision::Millis);
        assert_eq!(
            m.timestamp().unwrap().to_string(),
            "2012-01-28T19:56:24.09Z"
        );
        let summer = moment("20120728145624.090-0500", None, Some(&paris())).unwrap();
        assert_eq!(
            summer.timestamp().unwrap().to_string(),
            "2012-07-28T19:56:24.09Z"
        );
    }

    #[test]
    fn header_offset_applies_when_none_stated_b11() {
        let m = moment("20240110110000", Some(180), Some(&paris())).unwrap();
        let offset = m.offset.unwrap();
        assert_eq!(
            (offset.minutes, offset.origin),
            (180, OffsetOrigin::MessageHeader)
        );
        assert_eq!(m.timestamp().unwrap().to_string(), "2024-01-10T08:00:00Z");
    }

    #[test]
    fn site_zone_is_assumed_and_gaps_flagged_b13() {
        let floating = moment("20240331013000", None, None).unwrap();
        assert_eq!(floating.offset, None);
        assert_eq!((floating.hour, floating.minute), (1, 30));
        let m = moment("20240331013000", None, Some(&paris())).unwrap();
        let offset = m.offset.unwrap();
        assert_eq!(
            (offset.minutes, offset.origin),
            (60, OffsetOrigin::SiteZone)
        );
        assert_eq!(m.timestamp().unwrap().to_string(), "2024-03-31T00:30:00Z");
        let gap = moment("20240331023000", None, Some(&paris())).unwrap();
        assert!(gap.dst_gap);
        assert_eq!(gap.offset, None);
    }

    #[test]
    fn dates_are_calendar_values() {
        let m = moment("19790328", Some(180), Some(&paris())).unwrap();
        assert_eq!(
            (m.year, m.month, m.day, m.precision),
            (1979, 3, 28, Precision::Day)
        );
        assert_eq!(m.offset, None);
        let partial = moment("200406", None, Some(&paris())).unwrap();
        assert_eq!(partial.precision, Precision::Month);
        let birth = date_part(moment("198808181126+0215", None, Some(&paris())).unwrap());
        assert_eq!((birth.year, birth.month, birth.day), (1988, 8, 18));
        assert_eq!((birth.precision, birth.offset), (Precision::Day, None));
    }

    #[test]
    fn invalid_values_give_a_french_reason() {
        let reason = moment("196203520", None, Some(&paris())).unwrap_err();
        assert!(reason.contains("196203520"), "{reason}");
        assert!(moment("20230230", None, None).is_err());
        assert!(moment("abc", None, None).is_err());
    }
}
