//! Time for the demo: the one place that reads the wall clock, and the
//! formatting of Europe/Paris wall time as HL7 and FHIR text.
//!
//! HL7 v2 timestamps are sent as local wall time WITH their offset
//! (`20261204153000+0100`), as French HIS do; FHIR instants carry
//! the same offset (`2026-12-04T15:30:00+01:00`).

use jiff::tz::TimeZone;
use jiff::{Span, Zoned};

/// The French legal time rule, used when the system has no tz database.
const PARIS_POSIX: &str = "CET-1CEST,M3.5.0,M10.5.0/3";

/// The Europe/Paris time zone, from the system database or, failing that,
/// from the POSIX rule that has applied since 1996.
pub fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris")
        .or_else(|_| TimeZone::posix(PARIS_POSIX))
        .unwrap_or(TimeZone::UTC)
}

/// The current Europe/Paris wall time, truncated to the second.
///
/// **Invariant:** this is the only function of the crate that reads the wall
/// clock; everything else takes the time as a parameter so that it can be
/// tested.
pub fn now_paris() -> Zoned {
    let now = Zoned::now().with_time_zone(paris());
    now.with().subsec_nanosecond(0).build().unwrap_or(now)
}

/// The current Europe/Paris wall time as an HL7 timestamp with offset.
pub fn now_hl7() -> String {
    hl7_timestamp(&now_paris())
}

/// `YYYYMMDDHHMMSS+ZZZZ`, the HL7 v2 DTM form with an offset.
pub fn hl7_timestamp(time: &Zoned) -> String {
    time.strftime("%Y%m%d%H%M%S%z").to_string()
}

/// `YYYYMMDD`, an HL7 date.
pub fn hl7_date(time: &Zoned) -> String {
    time.strftime("%Y%m%d").to_string()
}

/// `YYYY-MM-DDTHH:MM:SS+HH:MM`, a FHIR dateTime.
pub fn fhir_datetime(time: &Zoned) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// `time` minus a number of minutes (the same time if out of range).
pub fn minutes_before(time: &Zoned, minutes: i64) -> Zoned {
    time.checked_sub(Span::new().minutes(minutes))
        .unwrap_or_else(|_| time.clone())
}

/// Turns an HL7 timestamp back into its FHIR form, for text built from an
/// HL7 `now`; returns the input when it is not a full `YYYYMMDDHHMMSS+ZZZZ`.
pub fn hl7_to_fhir(hl7: &str) -> String {
    let bytes = hl7.as_bytes();
    if bytes.len() != 19 || !hl7.is_ascii() {
        return hl7.to_string();
    }
    format!(
        "{}-{}-{}T{}:{}:{}{}:{}",
        &hl7[0..4],
        &hl7[4..6],
        &hl7[6..8],
        &hl7[8..10],
        &hl7[10..12],
        &hl7[12..14],
        &hl7[14..17],
        &hl7[17..19]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Zoned {
        text.parse::<jiff::civil::DateTime>()
            .expect("valid literal")
            .to_zoned(paris())
            .expect("valid Paris time")
    }

    #[test]
    fn winter_and_summer_offsets_follow_french_time() {
        assert_eq!(
            hl7_timestamp(&at("2026-12-04T15:30:00")),
            "20261204153000+0100"
        );
        assert_eq!(
            hl7_timestamp(&at("2026-07-14T09:05:07")),
            "20260714090507+0200"
        );
        assert_eq!(
            fhir_datetime(&at("2026-07-14T09:05:07")),
            "2026-07-14T09:05:07+02:00"
        );
        assert_eq!(hl7_date(&at("2026-07-14T09:05:07")), "20260714");
    }

    #[test]
    fn posix_fallback_matches_the_database() {
        let posix = TimeZone::posix(PARIS_POSIX).expect("valid rule");
        let summer = at("2026-07-14T09:05:07");
        assert_eq!(
            hl7_timestamp(&summer.with_time_zone(posix)),
            "20260714090507+0200"
        );
    }

    #[test]
    fn hl7_to_fhir_converts_full_timestamps_only() {
        assert_eq!(
            hl7_to_fhir("20261204153000+0100"),
            "2026-12-04T15:30:00+01:00"
        );
        assert_eq!(hl7_to_fhir("20261204"), "20261204");
    }

    #[test]
    fn minutes_before_moves_back_across_midnight() {
        let t = minutes_before(&at("2026-12-04T00:10:00"), 20);
        assert_eq!(hl7_timestamp(&t), "20261203235000+0100");
    }
}
