//! What the flow pages share (lab, movements, lists, paper fallback,
//! re-integration): finding a patient within the caller's units for an
//! action, times typed in forms, the identity block shown before any act,
//! the short digests forms carry of what they saw, a form page's status
//! and PDF answers. The ward pages use the name, status and unit helpers
//! too; flows use the ward's [`may_act_for`], [`local_input`] and
//! [`display_name`](super::ward::display_name).

use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use ckisa_auth::Action;
use ckisa_domain::{Moment, Offset, OffsetOrigin, PatientKey, Precision};
use ckisa_store::{Identity, PatientChart, StayView};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::ward::{local_input, may_act_for};
use crate::AppState;
use crate::access::{Audited, Caller};
use crate::error::AppError;
use crate::format::{Fmt, clean, full_name, place};
use crate::i18n::Tr;
use crate::patient::{unknown_patient, valid_key};

/// Longest free text a flow form keeps (comments, reasons).
pub(super) const MAX_TEXT: usize = 2_000;

/// A patient key as a query-string value.
pub(super) fn key_param(key: &PatientKey) -> String {
    utf8_percent_encode(key.as_str(), NON_ALPHANUMERIC).to_string()
}

/// A unit code as a path segment.
pub(super) fn unit_segment(code: &str) -> String {
    utf8_percent_encode(code, NON_ALPHANUMERIC).to_string()
}

/// The moment `ms` (ms since the Unix epoch) in `zone`, to the minute,
/// with its offset.
pub(super) fn moment_at(zone: &TimeZone, ms: i64) -> Moment {
    let zoned = Timestamp::from_millisecond(ms)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(zone.clone());
    let dt = zoned.datetime();
    Moment {
        year: dt.year(),
        month: dt.month().unsigned_abs(),
        day: dt.day().unsigned_abs(),
        hour: dt.hour().unsigned_abs(),
        minute: dt.minute().unsigned_abs(),
        second: 0,
        millis: 0,
        precision: Precision::Minute,
        offset: Some(Offset {
            minutes: i16::try_from(zoned.offset().seconds() / 60).unwrap_or(0),
            origin: OffsetOrigin::Stated,
        }),
        dst_gap: false,
    }
}

/// A time typed in a `datetime-local` field (`2026-12-04T08:05`, seconds
/// allowed), read in `zone`; `None` when it is not one or does not exist
/// there (the spring-forward hour).
pub(super) fn read_local(zone: &TimeZone, text: &str) -> Option<Moment> {
    let text = text.trim();
    if !text.contains('T') || text.len() > 25 {
        return None;
    }
    let moment = Moment::parse_iso(text)?;
    if moment.offset.is_some() {
        return None;
    }
    let moment = moment.assume_zone(zone);
    (!moment.dst_gap).then_some(moment)
}

/// A birth date typed as `yyyy-mm-dd` (date field) or `dd/mm/yyyy`.
pub(super) fn read_date(text: &str) -> Option<Moment> {
    let text = text.trim();
    let (year, month, day) = if let Some((d, rest)) = text.split_once('/') {
        let (m, y) = rest.split_once('/')?;
        (y, m, d)
    } else {
        let mut parts = text.splitn(3, '-');
        (parts.next()?, parts.next()?, parts.next()?)
    };
    if year.len() != 4 || month.is_empty() || month.len() > 2 || day.is_empty() || day.len() > 2 {
        return None;
    }
    Moment::date(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// The ms since the Unix epoch of a moment with a time and an offset.
pub(super) fn moment_ms(moment: &Moment) -> Option<i64> {
    moment.timestamp().map(|ts| ts.as_millisecond())
}

/// A short digest of what a form saw (a patient's place, the diets in
/// force), compared again right before the write: 16 hexadecimal digits of
/// FNV-1a over the parts, each ended by a unit separator.
pub(super) fn digest<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0x1f]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// What identifies a stay's place, for [`digest`].
pub(super) fn place_digest(stay: Option<&StayView>) -> String {
    match stay {
        Some(stay) => digest([
            "stay",
            stay.encounter.as_str(),
            stay.unit.as_deref().unwrap_or_default(),
            stay.room.as_deref().unwrap_or_default(),
            stay.bed.as_deref().unwrap_or_default(),
        ]),
        None => digest(["out"]),
    }
}

/// The units a patient's open stays are in.
pub(super) fn stay_units(chart: &PatientChart) -> impl Iterator<Item = &str> {
    chart
        .stay
        .iter()
        .chain(&chart.other_stays)
        .filter_map(|s| s.unit.as_deref())
}

/// A patient's chart when the caller reaches `action` in one of the
/// units the patient stays in (or everywhere); audits the read, or the
/// refusal. An unknown key is a 404 (audited as such).
pub(super) async fn patient_for(
    state: &AppState,
    caller: &Caller,
    action: Action,
    key: &str,
) -> Result<(PatientKey, PatientChart), AppError> {
    let key = valid_key(key)?;
    let asked = key.clone();
    let Some(chart) = state.read(move |store| store.patient_chart(&asked)).await? else {
        return Err(unknown_patient(state, caller, &key));
    };
    if !may_act_for(caller, action, &chart) {
        caller.audit(state, Audited::denied(action).patient(key.as_str()));
        return Err(AppError::OutsideUnits);
    }
    caller.audit(state, Audited::allowed(action).patient(key.as_str()));
    Ok((key, chart))
}

/// Refuses (and audits) unit `code` outside the caller's units for
/// `action`; audits the read otherwise.
pub(super) fn unit_for(
    state: &AppState,
    caller: &Caller,
    action: Action,
    code: &str,
) -> Result<(), AppError> {
    if caller.may_see_unit(action, code) {
        caller.audit(state, Audited::allowed(action).target(code));
        Ok(())
    } else {
        caller.audit(state, Audited::denied(action).target(code));
        Err(AppError::OutsideUnits)
    }
}

/// The identity block shown before any act on a patient, and printed on
/// labels and wristbands.
pub(super) struct IdentityView {
    pub(super) name: String,
    pub(super) birth: String,
    pub(super) sex: &'static str,
    pub(super) ipp: String,
    /// Unit and place now, if in house.
    pub(super) place: String,
}

impl IdentityView {
    pub(super) fn of(fmt: &Fmt<'_>, identity: &Identity, stay: Option<&StayView>) -> IdentityView {
        let birth = match identity.birth_date.as_ref() {
            Some(birth) => match fmt.age(birth) {
                Some(age) => format!("{} ({age})", birth.display_fr(fmt.zone)),
                None => birth.display_fr(fmt.zone),
            },
            None => fmt.tr.t("date.unknown").to_owned(),
        };
        IdentityView {
            name: full_name(identity.family.as_deref(), identity.given.as_deref()),
            birth,
            sex: fmt.sex_long(identity.sex),
            ipp: clean(identity.ipp.as_deref()).unwrap_or_else(|| "—".to_owned()),
            place: stay.map_or_else(|| "—".to_owned(), stay_place),
        }
    }
}

/// The patient's name as forms and refusals show it.
pub(super) fn chart_name(chart: &PatientChart) -> String {
    full_name(
        chart.identity.family.as_deref(),
        chart.identity.given.as_deref(),
    )
}

/// The refusal of a movement or a request for a patient who is not in house.
pub(super) fn not_in_house(tr: Tr, chart: &PatientChart) -> AppError {
    AppError::Refused(tr.fmt("flow.move.not_in_house", &[("name", &chart_name(chart))]))
}

/// The stay of a patient in house, else the refusal [`not_in_house`].
pub(super) fn in_house(tr: Tr, chart: &PatientChart) -> Result<&StayView, AppError> {
    chart.stay.as_ref().ok_or_else(|| not_in_house(tr, chart))
}

/// A form page's status: 400 when it shows an error, else 200.
pub(super) fn form_status(error: Option<&str>) -> StatusCode {
    if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

/// A time field as a form shows it again: what was typed, else now.
pub(super) fn time_field(fmt: &Fmt<'_>, typed: &str) -> String {
    match typed.trim() {
        "" => local_input(fmt.zone, fmt.now_ms),
        typed => typed.to_owned(),
    }
}

/// `REA — 3 / 1`: a stay's unit and bed.
pub(super) fn stay_place(stay: &StayView) -> String {
    let unit = clean(stay.unit.as_deref()).unwrap_or_else(|| "—".to_owned());
    match place(stay.room.as_deref(), stay.bed.as_deref()) {
        Some(bed) => format!("{unit} — {bed}"),
        None => unit,
    }
}

/// A PDF answer; `disposition` says whether to show or download it, and
/// under which name.
pub(super) fn pdf_response(disposition: String, pdf: Vec<u8>) -> Response {
    (
        [
            (CONTENT_TYPE, "application/pdf".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        pdf,
    )
        .into_response()
}

/// A typed text: trimmed, `None` when empty; too long is an error the
/// caller words.
pub(super) fn typed(text: &str) -> Result<Option<String>, usize> {
    let text = text.trim();
    if text.chars().count() > MAX_TEXT {
        return Err(MAX_TEXT);
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// The `name=value` pairs of a URL-encoded form, in order.
pub(super) fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(&text.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (decode(name), decode(value)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").expect("tz database has Europe/Paris")
    }

    #[test]
    fn typed_times_are_read_in_the_site_zone() {
        let zone = paris();
        let moment = read_local(&zone, "2026-12-04T08:05").expect("a time");
        assert_eq!(moment.offset.map(|o| o.minutes), Some(60));
        assert_eq!(moment.display_fr(&zone), "04/12/2026 08:05");
        let ms = moment_ms(&moment).expect("an instant");
        assert_eq!(local_input(&zone, ms), "2026-12-04T08:05");
        assert_eq!(moment_at(&zone, ms).display_fr(&zone), "04/12/2026 08:05");
        for bad in [
            "",
            "2026-12-04",
            "08:05",
            "2026-13-04T08:05",
            "2026-03-29T02:30",
        ] {
            assert!(read_local(&zone, bad).is_none(), "{bad}");
        }
        assert!(read_local(&zone, "2026-12-04T08:05+01:00").is_none());
    }

    #[test]
    fn digests_tell_parts_apart() {
        assert_eq!(digest(["a", "b"]), digest(["a", "b"]));
        assert_ne!(digest(["ab", ""]), digest(["a", "b"]));
        assert_eq!(digest(["x"]).len(), 16);
    }

    #[test]
    fn typed_text_is_trimmed_and_bounded() {
        assert_eq!(typed("  "), Ok(None));
        assert_eq!(typed(" a "), Ok(Some("a".to_owned())));
        assert_eq!(typed(&"é".repeat(MAX_TEXT + 1)), Err(MAX_TEXT));
    }
}
