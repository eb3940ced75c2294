//! How values read on screen: names, ages, dates, sizes, observation values,
//! numbers and doses, feed freshness.
//!
//! Numbers that are plain numbers (`77.3`, `<0.5`) take the decimal
//! separator of the language (`77,3` in French); any other text is shown as
//! received, so identifiers and free text are never altered.
//!
//! Everything here is pure (the current time is passed in), so the exact
//! text a nurse reads is unit-tested. Dates are French-style (dd/mm/yyyy,
//! 24-hour) in every language, shown in the node's zone.

use ckisa_domain::{Moment, ObservationValue, PatientKey, Precision, Sex};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::codes;
use crate::i18n::Tr;

/// Characters kept as-is in a patient key path segment.
const KEY_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b':');

/// Formatting context of one request: language, zone, and the time now.
#[derive(Clone, Copy)]
pub(crate) struct Fmt<'a> {
    /// Translator.
    pub(crate) tr: Tr,
    /// Display zone.
    pub(crate) zone: &'a TimeZone,
    /// Wall clock, ms since the Unix epoch.
    pub(crate) now_ms: i64,
}

/// How fresh a feed's data is, for the colour of its badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Under a minute.
    Fresh,
    /// Under ten minutes.
    Late,
    /// Older, or never received.
    Stale,
}

impl Freshness {
    /// Grades an age in milliseconds.
    pub(crate) fn of_age_ms(age_ms: i64) -> Freshness {
        if age_ms < 60_000 {
            Freshness::Fresh
        } else if age_ms < 600_000 {
            Freshness::Late
        } else {
            Freshness::Stale
        }
    }

    /// CSS class.
    pub(crate) fn class(self) -> &'static str {
        match self {
            Freshness::Fresh => "fresh",
            Freshness::Late => "late",
            Freshness::Stale => "stale",
        }
    }
}

impl Fmt<'_> {
    /// Today's date in the node's zone.
    pub(crate) fn today(&self) -> Date {
        self.timestamp(self.now_ms)
            .to_zoned(self.zone.clone())
            .date()
    }

    fn timestamp(&self, ms: i64) -> Timestamp {
        Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// A moment, or "date inconnue".
    pub(crate) fn moment(&self, moment: Option<&Moment>) -> String {
        match moment {
            Some(m) => m.display_fr(self.zone),
            None => self.tr.t("date.unknown").to_owned(),
        }
    }

    /// A node wall-clock time (ms) as `dd/mm/yyyy HH:MM:SS` in the zone.
    pub(crate) fn wall(&self, ms: i64) -> String {
        let dt = self.timestamp(ms).to_zoned(self.zone.clone()).datetime();
        format!(
            "{:02}/{:02}/{:04} {:02}:{:02}:{:02}",
            dt.day(),
            dt.month(),
            dt.year(),
            dt.hour(),
            dt.minute(),
            dt.second()
        )
    }

    /// Age at today's date: days under a month, months under two years,
    /// then years; `None` for a birth date in the future or unusable.
    pub(crate) fn age(&self, birth: &Moment) -> Option<String> {
        let today = self.today();
        let month = if birth.precision >= Precision::Month {
            birth.month
        } else {
            1
        };
        let day = if birth.precision >= Precision::Day {
            birth.day
        } else {
            1
        };
        let born = Date::new(birth.year, month as i8, day as i8).ok()?;
        if born > today {
            return None;
        }
        let mut months = (i32::from(today.year()) - i32::from(born.year())) * 12
            + i32::from(today.month())
            - i32::from(born.month());
        if today.day() < born.day() {
            months -= 1;
        }
        let text = if months < 1 {
            let days = born.until(today).ok()?.get_days();
            self.tr.fmt("age.days", &[("n", &days.to_string())])
        } else if months < 24 {
            self.tr.fmt("age.months", &[("n", &months.to_string())])
        } else {
            self.tr
                .fmt("age.years", &[("n", &(months / 12).to_string())])
        };
        Some(text)
    }

    /// One letter: F, M, A/O, ?.
    pub(crate) fn sex_short(&self, sex: Option<Sex>) -> &'static str {
        let tr = self.tr;
        match sex {
            Some(Sex::Female) => tr.t("sex.female_short"),
            Some(Sex::Male) => tr.t("sex.male_short"),
            Some(Sex::Other) => tr.t("sex.other_short"),
            Some(Sex::Unknown) | None => tr.t("sex.unknown_short"),
        }
    }

    /// The word: Femme, Homme, Autre, Inconnu.
    pub(crate) fn sex_long(&self, sex: Option<Sex>) -> &'static str {
        let tr = self.tr;
        match sex {
            Some(Sex::Female) => tr.t("sex.female"),
            Some(Sex::Male) => tr.t("sex.male"),
            Some(Sex::Other) => tr.t("sex.other"),
            Some(Sex::Unknown) | None => tr.t("sex.unknown"),
        }
    }

    /// A size in bytes: `812 octets`, `220 Ko`, `1,5 Mo` (binary units).
    pub(crate) fn size(&self, bytes: u64) -> String {
        let tr = self.tr;
        if bytes < 1024 {
            return tr.fmt("size.bytes", &[("n", &bytes.to_string())]);
        }
        if bytes < 1024 * 1024 {
            let kilo = (bytes + 512) / 1024;
            return tr.fmt("size.kilo", &[("n", &kilo.to_string())]);
        }
        let tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024);
        let sep = tr.t("number.decimal_separator");
        let number = format!("{}{sep}{}", tenths / 10, tenths % 10);
        tr.fmt("size.mega", &[("n", &number)])
    }

    /// A duration since `ms`: `4 s`, `3 min`, `5 h`, `2 j`.
    pub(crate) fn elapsed_since(&self, ms: i64) -> String {
        let seconds = (self.now_ms.saturating_sub(ms) / 1000).max(0);
        if seconds < 60 {
            format!("{seconds} s")
        } else if seconds < 3600 {
            format!("{} min", seconds / 60)
        } else if seconds < 172_800 {
            format!("{} h", seconds / 3600)
        } else {
            self.tr
                .fmt("age.days", &[("n", &(seconds / 86_400).to_string())])
        }
    }

    /// A length of time for crisis clocks: `12 min`, `3 h 05`, `2 j 4 h`.
    pub(crate) fn span(&self, ms: i64) -> String {
        let minutes = ms.max(0) / 60_000;
        let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
        if days > 0 {
            self.tr.fmt(
                "span.days",
                &[("d", &days.to_string()), ("h", &hours.to_string())],
            )
        } else if hours > 0 {
            format!("{hours} h {minutes:02}")
        } else {
            format!("{minutes} min")
        }
    }

    /// An observation value as one line of text, its unit written for
    /// people (`mmHg`, `°C`); a document by its size, never its content.
    pub(crate) fn observation_value(&self, value: &ObservationValue) -> String {
        match value {
            ObservationValue::Quantity { value, unit } => {
                let value = number(self.tr, value);
                match clean(unit.as_deref()).and_then(|unit| codes::unit(self.tr, &unit)) {
                    Some(unit) => format!("{value} {unit}"),
                    None => value,
                }
            }
            ObservationValue::Text(text) => match clean_keep_indent(text) {
                Some(text) if is_plain_number(&text) => number(self.tr, &text),
                Some(text) => text,
                None => String::new(),
            },
            ObservationValue::Coded(coded) => coded.text.clone(),
            ObservationValue::Document { size_bytes, .. } => {
                let size = self.size(*size_bytes);
                self.tr.fmt("size.document", &[("size", &size)])
            }
            ObservationValue::Components(parts) => parts
                .iter()
                .map(|(code, v)| format!("{} {}", code.text, self.observation_value(v)))
                .collect::<Vec<_>>()
                .join(" ; "),
            ObservationValue::None => self.tr.t("value.none").to_owned(),
        }
    }
}

/// Comparators that may open a plain number (`<0.5`, `>= 10`).
const COMPARATORS: &[&str] = &["<=", ">=", "≤", "≥", "<", ">"];

/// Whether `text` is a plain decimal number, optionally signed and after a
/// comparator: `77.3`, `-2`, `< 0.5`, `>=10`.
pub(crate) fn is_plain_number(text: &str) -> bool {
    let text = text.trim();
    let text = COMPARATORS
        .iter()
        .find_map(|c| text.strip_prefix(c))
        .map_or(text, str::trim_start);
    let text = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

/// A plain number with the language's decimal separator (`77,3` in
/// French); any other text trimmed but otherwise as received.
pub(crate) fn number(tr: Tr, text: &str) -> String {
    let text = text.trim();
    if is_plain_number(text) {
        text.replacen('.', tr.t("number.decimal_separator"), 1)
    } else {
        text.to_owned()
    }
}

/// A reference range: a plain number or `low-high` of plain numbers gets
/// the language's decimal separator (`3,5-5,0`); other text is kept.
pub(crate) fn range(tr: Tr, text: &str) -> String {
    let text = text.trim();
    if is_plain_number(text) {
        return number(tr, text);
    }
    // Skip the first character: it may be the sign of the low bound.
    let split = text
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '-')
        .map(|(at, _)| text.split_at(at));
    match split {
        Some((low, high)) => {
            let high = &high[1..];
            if is_plain_number(low) && is_plain_number(high) {
                // Only two plain numbers, a dash and spaces: every dot is a
                // decimal point.
                text.replace('.', tr.t("number.decimal_separator"))
            } else {
                text.to_owned()
            }
        }
        None => text.to_owned(),
    }
}

/// A medication dose: `<number> <UCUM unit>` with the number and the unit
/// written for people (`5000 [iU]` -> `5000 UI`, `0.5 mg` -> `0,5 mg`); a
/// plain number alone gets the decimal separator; anything else is kept.
pub(crate) fn dose(tr: Tr, text: &str) -> String {
    let text = text.trim();
    if let Some((amount, unit)) = text.split_once(char::is_whitespace) {
        let unit = unit.trim();
        let one_unit = !unit.is_empty() && !unit.contains(char::is_whitespace);
        if one_unit
            && is_plain_number(amount)
            && let Some(unit) = codes::unit(tr, unit)
        {
            return format!("{} {unit}", number(tr, amount));
        }
    }
    number(tr, text)
}

/// A text worth showing: `None` for missing, blank, or the HL7 null `""`.
pub(crate) fn clean(text: Option<&str>) -> Option<String> {
    let text = text?;
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed == "\"\"" {
        return None;
    }
    Some(trimmed.to_owned())
}

/// Like [`clean`] but keeps leading spaces (notes, preformatted results).
pub(crate) fn clean_keep_indent(text: &str) -> Option<String> {
    clean(Some(text))?;
    Some(text.trim_end().to_owned())
}

/// `FAMILY Given`, from whatever parts are known.
pub(crate) fn full_name(family: Option<&str>, given: Option<&str>) -> String {
    let family = clean(family).map(|f| f.to_uppercase());
    let given = clean(given);
    match (family, given) {
        (Some(f), Some(g)) => format!("{f} {g}"),
        (Some(f), None) => f,
        (None, Some(g)) => g,
        (None, None) => String::from("?"),
    }
}

/// The URL of a patient's summary, key percent-encoded as one segment.
pub(crate) fn patient_href(key: &PatientKey) -> String {
    format!(
        "/patients/{}",
        utf8_percent_encode(key.as_str(), KEY_SEGMENT)
    )
}

/// The URL of a unit's bed board.
pub(crate) fn unit_href(code: &str) -> String {
    format!("/unites/{}", utf8_percent_encode(code, KEY_SEGMENT))
}

/// `room / bed` as one label, from whatever is known.
pub(crate) fn place(room: Option<&str>, bed: Option<&str>) -> Option<String> {
    match (clean(room), clean(bed)) {
        (Some(r), Some(b)) => Some(format!("{r} / {b}")),
        (Some(r), None) => Some(r),
        (None, Some(b)) => Some(b),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").expect("tz database has Europe/Paris")
    }

    /// 15/03/2024 12:00 Paris.
    const NOW: i64 = 1_710_500_400_000;

    fn check_age(birth: &str, expected: Option<&str>) {
        let zone = paris();
        let fmt = Fmt {
            tr: Tr(Lang::Fr),
            zone: &zone,
            now_ms: NOW,
        };
        let birth = Moment::parse_iso(birth).expect("valid test date");
        assert_eq!(fmt.age(&birth).as_deref(), expected, "birth {birth:?}");
    }

    #[test]
    fn ages_in_years_months_or_days() {
        check_age("1950-02-01", Some("74 ans"));
        check_age("1950-03-15", Some("74 ans"));
        check_age("1950-03-16", Some("73 ans"));
        check_age("2023-01-20", Some("13 mois"));
        check_age("2022-03-16", Some("23 mois"));
        check_age("2022-03-15", Some("2 ans"));
        check_age("2024-03-01", Some("14 j"));
        check_age("2024-03-20", None);
        check_age("1950", Some("74 ans"));
    }

    #[test]
    fn today_is_taken_in_the_node_zone() {
        // 23:30 UTC on 14/03 is already 15/03 in Paris.
        let zone = paris();
        let fmt = Fmt {
            tr: Tr(Lang::Fr),
            zone: &zone,
            now_ms: 1_710_459_000_000,
        };
        assert_eq!(fmt.today().to_string(), "2024-03-15");
        assert_eq!(fmt.wall(1_710_459_000_000), "15/03/2024 00:30:00");
    }

    #[test]
    fn sizes_in_french_and_english() {
        let zone = paris();
        let fr = Fmt {
            tr: Tr(Lang::Fr),
            zone: &zone,
            now_ms: NOW,
        };
        let en = Fmt {
            tr: Tr(Lang::En),
            ..fr
        };
        assert_eq!(fr.size(812), "812 octets");
        assert_eq!(fr.size(225_280), "220 Ko");
        assert_eq!(en.size(225_280), "220 KB");
        assert_eq!(fr.size(1_572_864), "1,5 Mo");
        assert_eq!(en.size(1_572_864), "1.5 MB");
    }

    #[test]
    fn documents_show_their_size_not_their_content() {
        let zone = paris();
        let fmt = Fmt {
            tr: Tr(Lang::Fr),
            zone: &zone,
            now_ms: NOW,
        };
        let doc = ObservationValue::Document {
            media_type: Some("application/pdf".into()),
            size_bytes: 225_280,
            data: "JVBERi0xLjQK".into(),
        };
        assert_eq!(fmt.observation_value(&doc), "document, 220 Ko");
    }

    #[test]
    fn quantities_show_readable_units() {
        let zone = paris();
        let fmt = Fmt {
            tr: Tr(Lang::Fr),
            zone: &zone,
            now_ms: NOW,
        };
        let quantity = |value: &str, unit: Option<&str>| ObservationValue::Quantity {
            value: value.into(),
            unit: unit.map(str::to_owned),
        };
        assert_eq!(
            fmt.observation_value(&quantity("120", Some("mm[Hg]"))),
            "120 mmHg"
        );
        assert_eq!(
            fmt.observation_value(&quantity("37.8", Some("Cel"))),
            "37,8 °C"
        );
        assert_eq!(fmt.observation_value(&quantity("3", Some("{score}"))), "3");
        assert_eq!(fmt.observation_value(&quantity(" 7 ", Some("\"\""))), "7");
        assert_eq!(fmt.observation_value(&quantity("4.2", None)), "4,2");
        let en = Fmt {
            tr: Tr(Lang::En),
            ..fmt
        };
        assert_eq!(
            en.observation_value(&quantity("77.3", Some("kg"))),
            "77.3 kg"
        );
    }

    #[test]
    fn plain_numbers_take_the_french_decimal_comma() {
        let (fr, en) = (Tr(Lang::Fr), Tr(Lang::En));
        for (raw, french) in [
            ("77.3", "77,3"),
            ("36.5", "36,5"),
            (" 120 ", "120"),
            ("-0.25", "-0,25"),
            ("<0.5", "<0,5"),
            ("< 0.5", "< 0,5"),
            (">=10.0", ">=10,0"),
            ("≤ 1.5", "≤ 1,5"),
            // Not plain numbers: kept as received.
            ("1.2.3", "1.2.3"),
            ("2.16.840.1", "2.16.840.1"),
            ("v1.2", "v1.2"),
            ("voir C.R.", "voir C.R."),
            (".5", ".5"),
            ("5.", "5."),
            ("", ""),
            ("<", "<"),
            ("1e3", "1e3"),
        ] {
            assert_eq!(number(fr, raw), french, "{raw:?}");
            assert_eq!(number(en, raw), raw.trim(), "{raw:?}");
        }
    }

    #[test]
    fn numeric_text_values_and_ranges() {
        let zone = paris();
        let fmt = Fmt {
            tr: Tr(Lang::Fr),
            zone: &zone,
            now_ms: NOW,
        };
        let text = |t: &str| ObservationValue::Text(t.into());
        assert_eq!(fmt.observation_value(&text("1.5")), "1,5");
        assert_eq!(fmt.observation_value(&text("Lot 12.5B")), "Lot 12.5B");
        assert_eq!(
            fmt.observation_value(&text("  pré.formaté")),
            "  pré.formaté"
        );
        let fr = Tr(Lang::Fr);
        assert_eq!(range(fr, "3.5-5.0"), "3,5-5,0");
        assert_eq!(range(fr, "-1.5-2.5"), "-1,5-2,5");
        assert_eq!(range(fr, "<5.2"), "<5,2");
        assert_eq!(range(fr, "3.5 - 5.0"), "3,5 - 5,0");
        assert_eq!(range(fr, "négatif"), "négatif");
        assert_eq!(range(fr, "1.2-3.4 mmol/L"), "1.2-3.4 mmol/L");
        assert_eq!(range(Tr(Lang::En), "3.5-5.0"), "3.5-5.0");
    }

    #[test]
    fn doses_read_like_the_prescription() {
        let (fr, en) = (Tr(Lang::Fr), Tr(Lang::En));
        assert_eq!(dose(fr, "5000 [iU]"), "5000 UI");
        assert_eq!(dose(en, "5000 [iU]"), "5000 IU");
        assert_eq!(dose(fr, "0.5 mg"), "0,5 mg");
        assert_eq!(dose(en, "0.5 mg"), "0.5 mg");
        assert_eq!(dose(fr, "250 ug"), "250 µg");
        assert_eq!(dose(fr, "2.5"), "2,5");
        // Not `<number> <unit>`: as received.
        assert_eq!(dose(fr, "1 {tbl}"), "1 {tbl}");
        assert_eq!(dose(fr, "1 cp matin et soir"), "1 cp matin et soir");
        assert_eq!(dose(fr, "selon INR"), "selon INR");
        assert_eq!(dose(fr, "Lot 4.5 [iU]"), "Lot 4.5 [iU]");
    }

    #[test]
    fn elapsed_time_units() {
        let zone = paris();
        let fmt = Fmt {
            tr: Tr(Lang::Fr),
            zone: &zone,
            now_ms: NOW,
        };
        assert_eq!(fmt.elapsed_since(NOW - 4_000), "4 s");
        assert_eq!(fmt.elapsed_since(NOW - 180_000), "3 min");
        assert_eq!(fmt.elapsed_since(NOW + 5_000), "0 s");
        assert_eq!(fmt.elapsed_since(NOW - 3 * 86_400_000), "3 j");
        assert_eq!(Freshness::of_age_ms(59_999), Freshness::Fresh);
        assert_eq!(Freshness::of_age_ms(60_000), Freshness::Late);
        assert_eq!(Freshness::of_age_ms(600_000), Freshness::Stale);
    }

    #[test]
    fn hl7_nulls_and_blanks_are_never_shown() {
        assert_eq!(clean(Some("\"\"")), None);
        assert_eq!(clean(Some("  ")), None);
        assert_eq!(full_name(Some("\"\""), Some("Jean")), "Jean");
        assert_eq!(
            full_name(Some("Le Goff"), Some("GWÉNAËLLE")),
            "LE GOFF GWÉNAËLLE"
        );
        assert_eq!(
            clean_keep_indent("   indented\n"),
            Some("   indented".into())
        );
    }

    #[test]
    fn patient_keys_are_one_encoded_segment() {
        assert_eq!(
            patient_href(&PatientKey::ipp("HOPITAL", "123456")),
            "/patients/ipp:HOPITAL%7C123456"
        );
        assert_eq!(
            patient_href(&PatientKey::fhir("a/b")),
            "/patients/fhir:Patient%2Fa%2Fb"
        );
    }
}
