//! Codes from the feeds, as a caregiver reads them.
//!
//! The store keeps codes as the hospital's systems sent them (`SV`, `I`,
//! `F`, `TID`, `PO`, `mm[Hg]`...), and the JSON API hands them on raw:
//! scripts want codes. Pages show words instead: this module maps each
//! code to a catalog key (the text itself lives in [`crate::i18n::CATALOG`],
//! so each label exists in every language) and keeps the raw code so that
//! the page can show it in a `title` attribute. A value that is not a known
//! code is shown as it came: it may already be text (`3 fois par jour`).
//!
//! Sources: HL7 v2 tables 0128 (allergy severity), 0004 (patient class),
//! 0123 (report status, OBR-25), 0085 (result status, OBX-11), 0078
//! (abnormal flags, OBX-8), 0162 (route), 0335 (repeat pattern, with the
//! usual `BID`/`TID`/`QID` forms); FHIR R4
//! `AllergyIntolerance.criticality` and `.reaction.severity`, the v3
//! `ActCode` of `Encounter.class`, `DiagnosticReport.status`,
//! `Observation.status`, the v3 `ObservationInterpretation` codes; UCUM
//! units.

use crate::i18n::Tr;

/// A value as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shown {
    /// What the page says.
    pub(crate) text: String,
    /// The raw code, for the `title` attribute; `None` when `text` is the
    /// value as received (not a known code).
    pub(crate) code: Option<String>,
}

impl Shown {
    /// A value shown as received.
    pub(crate) fn raw(text: &str) -> Shown {
        Shown {
            text: text.to_owned(),
            code: None,
        }
    }

    /// A known code shown as `text`.
    fn known(text: String, code: &str) -> Shown {
        Shown {
            text,
            code: Some(code.to_owned()),
        }
    }
}

/// HL7 table 0128 and FHIR criticality / reaction severity.
const ALLERGY_SEVERITIES: &[(&str, &str)] = &[
    ("SV", "severity.severe"),
    ("MO", "severity.moderate"),
    ("MI", "severity.mild"),
    ("U", "severity.unknown"),
    ("severe", "severity.severe"),
    ("moderate", "severity.moderate"),
    ("mild", "severity.mild"),
    ("high", "severity.high"),
    ("low", "severity.low"),
    ("unable-to-assess", "severity.unassessable"),
];

/// HL7 table 0004 and the FHIR v3 `ActCode` encounter classes.
const STAY_CLASSES: &[(&str, &str)] = &[
    ("I", "class.inpatient"),
    ("O", "class.outpatient"),
    ("E", "class.emergency"),
    ("P", "class.preadmission"),
    ("R", "class.recurring"),
    ("B", "class.obstetrics"),
    ("N", "class.not_applicable"),
    ("U", "class.unknown"),
    ("IMP", "class.inpatient"),
    ("ACUTE", "class.inpatient"),
    ("NONAC", "class.non_acute"),
    ("AMB", "class.outpatient"),
    ("EMER", "class.emergency"),
    ("PRENC", "class.preadmission"),
    ("SS", "class.short_stay"),
    ("OBSENC", "class.observation"),
    ("HH", "class.home"),
    ("FLD", "class.field"),
    ("VR", "class.virtual"),
];

/// HL7 table 0123 (OBR-25).
const REPORT_STATUSES: &[(&str, &str)] = &[
    ("F", "report_status.final"),
    ("P", "report_status.preliminary"),
    ("C", "report_status.corrected"),
    ("X", "report_status.cancelled"),
    ("R", "report_status.unverified"),
    ("I", "report_status.pending"),
    ("O", "report_status.ordered"),
    ("S", "report_status.scheduled"),
    ("A", "report_status.partial"),
];

/// HL7 table 0085 (OBX-11).
const RESULT_STATUSES: &[(&str, &str)] = &[
    ("F", "report_status.final"),
    ("U", "report_status.final"),
    ("P", "report_status.preliminary"),
    ("C", "report_status.corrected"),
    ("X", "report_status.not_obtained"),
    ("R", "report_status.unverified"),
    ("I", "report_status.pending"),
    ("O", "report_status.ordered"),
    ("S", "report_status.partial"),
    ("D", "report_status.deleted"),
    ("W", "report_status.entered_in_error"),
];

/// FHIR `DiagnosticReport.status` and `Observation.status`.
const FHIR_STATUSES: &[(&str, &str)] = &[
    ("final", "report_status.final"),
    ("preliminary", "report_status.preliminary"),
    ("amended", "report_status.amended"),
    ("corrected", "report_status.corrected"),
    ("appended", "report_status.appended"),
    ("cancelled", "report_status.cancelled"),
    ("registered", "report_status.registered"),
    ("partial", "report_status.partial"),
    ("entered-in-error", "report_status.entered_in_error"),
    ("unknown", "report_status.unknown"),
];

/// How much an interpretation flag must catch the eye.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagLevel {
    /// Within the normal range: shown plainly.
    Normal,
    /// Out of range: visible, but less than a critical value.
    Abnormal,
    /// Critical (panic) value: a red badge with a warning sign.
    Critical,
}

/// An interpretation flag as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Flag {
    /// The label, raw code in its title.
    pub(crate) shown: Shown,
    /// How prominent it is.
    pub(crate) level: FlagLevel,
}

/// HL7 table 0078 and the FHIR v3 `ObservationInterpretation` codes.
const FLAGS: &[(&str, &str, FlagLevel)] = &[
    ("N", "flag.normal", FlagLevel::Normal),
    ("normal", "flag.normal", FlagLevel::Normal),
    ("H", "flag.high", FlagLevel::Abnormal),
    ("high", "flag.high", FlagLevel::Abnormal),
    ("L", "flag.low", FlagLevel::Abnormal),
    ("low", "flag.low", FlagLevel::Abnormal),
    ("A", "flag.abnormal", FlagLevel::Abnormal),
    ("abnormal", "flag.abnormal", FlagLevel::Abnormal),
    (">", "flag.above_scale", FlagLevel::Abnormal),
    ("<", "flag.below_scale", FlagLevel::Abnormal),
    ("HH", "flag.critical_high", FlagLevel::Critical),
    ("HU", "flag.critical_high", FlagLevel::Critical),
    ("critically high", "flag.critical_high", FlagLevel::Critical),
    ("LL", "flag.critical_low", FlagLevel::Critical),
    ("LU", "flag.critical_low", FlagLevel::Critical),
    ("critically low", "flag.critical_low", FlagLevel::Critical),
    ("AA", "flag.critical", FlagLevel::Critical),
    ("critical", "flag.critical", FlagLevel::Critical),
    ("critically abnormal", "flag.critical", FlagLevel::Critical),
    ("panic", "flag.critical", FlagLevel::Critical),
];

/// Words that make an unknown flag critical.
const CRITICAL_WORDS: &[&str] = &["critical", "critique", "panic", "alerte"];

/// HL7 table 0162 and the usual local route codes.
const ROUTES: &[(&str, &str)] = &[
    ("PO", "route.oral"),
    ("IV", "route.intravenous"),
    ("SC", "route.subcutaneous"),
    ("IM", "route.intramuscular"),
    ("INH", "route.inhaled"),
    ("IH", "route.inhaled"),
    ("TOP", "route.topical"),
    ("TP", "route.topical"),
    ("SL", "route.sublingual"),
    ("PR", "route.rectal"),
    ("NS", "route.nasal"),
    ("IN", "route.nasal"),
    ("OP", "route.eye"),
    ("OT", "route.ear"),
    ("TD", "route.transdermal"),
    ("ID", "route.intradermal"),
    ("NG", "route.nasogastric"),
    ("VG", "route.vaginal"),
];

/// Named repeat patterns (HL7 table 0335 and common prescription forms).
const FREQUENCIES: &[(&str, &str)] = &[
    ("QAM", "frequency.morning"),
    ("QPM", "frequency.evening"),
    ("QD", "frequency.daily"),
    ("QOD", "frequency.every_other_day"),
    ("BID", "frequency.twice_daily"),
    ("TID", "frequency.three_times_daily"),
    ("QID", "frequency.four_times_daily"),
    ("PRN", "frequency.as_needed"),
    ("STAT", "frequency.immediately"),
    ("HS", "frequency.bedtime"),
    ("QHS", "frequency.bedtime"),
    ("ONCE", "frequency.once"),
];

/// `Fact::kind` names, as the status page counts them.
const FACT_KINDS: &[(&str, &str)] = &[
    ("patient", "fact.patient"),
    ("merge", "fact.merge"),
    ("encounter_moved", "fact.encounter_moved"),
    ("stay", "fact.stay"),
    ("transfer", "fact.transfer"),
    ("discharge", "fact.discharge"),
    ("admission_cancelled", "fact.admission_cancelled"),
    ("transfer_cancelled", "fact.transfer_cancelled"),
    ("discharge_cancelled", "fact.discharge_cancelled"),
    ("leave", "fact.leave"),
    ("allergy", "fact.allergy"),
    ("condition", "fact.condition"),
    ("medication", "fact.medication"),
    ("observation", "fact.observation"),
    ("report", "fact.report"),
    ("careplan", "fact.careplan"),
    ("procedure", "fact.procedure"),
    ("directory", "fact.directory"),
];

/// An allergy's severity or criticality (`SV`, `high`, `severe`...).
pub(crate) fn allergy_severity(tr: Tr, raw: &str) -> Shown {
    lookup(tr, ALLERGY_SEVERITIES, raw)
}

/// A stay's patient class (`I`, `IMP`...).
pub(crate) fn stay_class(tr: Tr, raw: &str) -> Shown {
    lookup(tr, STAY_CLASSES, raw)
}

/// A report's status (`F`, `final`...).
pub(crate) fn report_status(tr: Tr, raw: &str) -> Shown {
    lookup_in(tr, &[REPORT_STATUSES, FHIR_STATUSES], raw)
}

/// A result's status (OBX-11 `F`, `P`... or FHIR `final`...).
pub(crate) fn result_status(tr: Tr, raw: &str) -> Shown {
    lookup_in(tr, &[RESULT_STATUSES, FHIR_STATUSES], raw)
}

/// An interpretation flag (`H`, `LL`, `HU`, `critical`...). An unknown
/// flag is shown as received: critical when it says so (`panic`,
/// `critique`...), else abnormal.
pub(crate) fn flag(tr: Tr, raw: &str) -> Flag {
    let raw = raw.trim();
    if let Some((_, key, level)) = FLAGS
        .iter()
        .find(|(code, _, _)| code.eq_ignore_ascii_case(raw))
    {
        return Flag {
            shown: Shown::known(tr.t(key).to_owned(), raw),
            level: *level,
        };
    }
    let lower = raw.to_lowercase();
    if CRITICAL_WORDS.iter().any(|word| lower.contains(word)) {
        let text = tr.fmt("flag.critical_other", &[("flag", raw)]);
        return Flag {
            shown: Shown::known(text, raw),
            level: FlagLevel::Critical,
        };
    }
    Flag {
        shown: Shown::raw(raw),
        level: FlagLevel::Abnormal,
    }
}

/// A medication route (`PO`, `IV`...).
pub(crate) fn route(tr: Tr, raw: &str) -> Shown {
    lookup(tr, ROUTES, raw)
}

/// A fact kind of the status page (`allergy`, `stay`...).
pub(crate) fn fact_kind(tr: Tr, raw: &str) -> Shown {
    lookup(tr, FACT_KINDS, raw)
}

/// A medication frequency (`TID`, `Q8H`, `Q6H PRN`...): each
/// space-separated part must be a known pattern, else the value is shown as
/// received.
pub(crate) fn frequency(tr: Tr, raw: &str) -> Shown {
    let parts: Option<Vec<String>> = raw
        .split_whitespace()
        .map(|part| frequency_part(tr, part))
        .collect();
    match parts {
        Some(parts) if !parts.is_empty() => Shown::known(parts.join(", "), raw.trim()),
        _ => Shown::raw(raw.trim()),
    }
}

/// A UCUM unit written for people: `[iU]` -> `UI`, `mm[Hg]` -> `mmHg`,
/// `Cel` -> `°C`, `umol/L` -> `µmol/L`, `10*9/L` -> `G/L`; annotations in
/// braces are dropped. `None` when nothing is left to show.
pub(crate) fn unit(tr: Tr, raw: &str) -> Option<String> {
    let raw = raw.trim();
    if let Some(key) = whole_unit_key(raw) {
        return Some(tr.t(key).to_owned());
    }
    let text = drop_annotations(raw);
    let text = text
        .replace("[iU]", tr.t("unit.iu"))
        .replace("[IU]", tr.t("unit.iu"))
        .replace("[Hg]", "Hg")
        .replace("[H2O]", "H₂O")
        .replace("[degF]", "°F");
    let text = text
        .split('/')
        .map(micro_atoms)
        .collect::<Vec<_>>()
        .join("/");
    let text = text.trim().trim_end_matches('/').trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Units named as a whole.
fn whole_unit_key(raw: &str) -> Option<&'static str> {
    match raw {
        "10*9/L" | "10^9/L" => Some("unit.giga_per_litre"),
        "10*12/L" | "10^12/L" => Some("unit.tera_per_litre"),
        "Cel" | "[degC]" => Some("unit.celsius"),
        _ => None,
    }
}

/// Removes UCUM annotations (`{score}`, `{beats}/min` -> `/min`), except
/// the body-surface one of clearances, which reads `1,73 m²`.
fn drop_annotations(raw: &str) -> String {
    let raw = raw.replace("{1.73_m2}", "1,73 m²");
    let mut text = String::with_capacity(raw.len());
    let mut depth = 0usize;
    for c in raw.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            _ if depth == 0 => text.push(c),
            _ => {}
        }
    }
    text
}

/// `umol` -> `µmol` in one `.`-separated product of atoms.
fn micro_atoms(term: &str) -> String {
    term.split('.')
        .map(|atom| match atom.strip_prefix('u') {
            Some(rest) if is_micro_base(rest) => format!("µ{rest}"),
            _ => atom.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Base units that take the micro prefix in lab results.
fn is_micro_base(rest: &str) -> bool {
    matches!(
        rest,
        "mol" | "g" | "L" | "l" | "m" | "s" | "eq" | "kat" | "U" | "UI" | "IU"
    )
}

/// One part of a frequency, or `None` when it is not a known pattern.
fn frequency_part(tr: Tr, part: &str) -> Option<String> {
    let upper = part.to_ascii_uppercase();
    if let Some((_, key)) = FREQUENCIES.iter().find(|(code, _)| *code == upper) {
        return Some(tr.t(key).to_owned());
    }
    let every = upper.strip_prefix('Q')?;
    let (digits, period) = every.split_at(every.find(|c: char| !c.is_ascii_digit())?);
    let n: u32 = digits.parse().ok().filter(|n| *n > 0)?;
    let count = n.to_string();
    match (period, n) {
        ("H", 1) => Some(tr.t("frequency.hourly").to_owned()),
        ("H", _) => Some(tr.fmt("frequency.every_hours", &[("n", &count)])),
        ("D", 1) => Some(tr.t("frequency.daily").to_owned()),
        ("D", _) => Some(tr.fmt("frequency.every_days", &[("n", &count)])),
        ("M", _) => Some(tr.fmt("frequency.every_minutes", &[("n", &count)])),
        _ => None,
    }
}

/// The label of `raw` in `table` (codes compared without case), or `raw`.
fn lookup(tr: Tr, table: &[(&str, &'static str)], raw: &str) -> Shown {
    lookup_in(tr, &[table], raw)
}

/// The label of `raw` in the first of `tables` that knows it, or `raw`.
fn lookup_in(tr: Tr, tables: &[&[(&str, &'static str)]], raw: &str) -> Shown {
    let raw = raw.trim();
    match tables
        .iter()
        .flat_map(|table| table.iter())
        .find(|(code, _)| code.eq_ignore_ascii_case(raw))
    {
        Some((_, key)) => Shown::known(tr.t(key).to_owned(), raw),
        None => Shown::raw(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{CATALOG, Lang};

    const FR: Tr = Tr(Lang::Fr);
    const EN: Tr = Tr(Lang::En);

    fn check(shown: Shown, text: &str, code: Option<&str>) {
        assert_eq!(shown.text, text);
        assert_eq!(shown.code.as_deref(), code);
    }

    #[test]
    fn every_table_key_is_in_the_catalog() {
        let tables = [
            ALLERGY_SEVERITIES,
            STAY_CLASSES,
            REPORT_STATUSES,
            RESULT_STATUSES,
            FHIR_STATUSES,
            ROUTES,
            FREQUENCIES,
            FACT_KINDS,
        ];
        for (code, key) in tables.iter().flat_map(|t| t.iter()) {
            assert!(
                CATALOG.iter().any(|(k, _)| k == key),
                "{code} maps to {key}, missing from the catalog"
            );
        }
    }

    #[test]
    fn allergy_severities_from_hl7_and_fhir() {
        check(allergy_severity(FR, "SV"), "sévère", Some("SV"));
        check(allergy_severity(FR, "MO"), "modérée", Some("MO"));
        check(allergy_severity(FR, "MI"), "légère", Some("MI"));
        check(allergy_severity(FR, "U"), "inconnue", Some("U"));
        check(allergy_severity(FR, "high"), "élevée", Some("high"));
        check(allergy_severity(EN, "MO"), "moderate", Some("MO"));
        check(allergy_severity(FR, " sv "), "sévère", Some("sv"));
        check(allergy_severity(FR, "Grave"), "Grave", None);
    }

    #[test]
    fn stay_classes_from_hl7_and_fhir() {
        check(stay_class(FR, "I"), "hospitalisation complète", Some("I"));
        check(stay_class(FR, "O"), "consultation externe", Some("O"));
        check(stay_class(FR, "E"), "urgences", Some("E"));
        check(
            stay_class(FR, "IMP"),
            "hospitalisation complète",
            Some("IMP"),
        );
        check(stay_class(FR, "AMB"), "consultation externe", Some("AMB"));
        check(stay_class(EN, "I"), "inpatient", Some("I"));
        check(stay_class(FR, "Z9"), "Z9", None);
    }

    #[test]
    fn report_statuses_from_hl7_and_fhir() {
        check(report_status(FR, "F"), "définitif", Some("F"));
        check(report_status(FR, "P"), "préliminaire", Some("P"));
        check(report_status(FR, "C"), "corrigé", Some("C"));
        check(report_status(FR, "X"), "annulé", Some("X"));
        check(report_status(FR, "R"), "non vérifié", Some("R"));
        check(report_status(FR, "I"), "en attente", Some("I"));
        check(report_status(EN, "P"), "preliminary", Some("P"));
        check(report_status(EN, "F"), "final", Some("F"));
        check(report_status(FR, "Z"), "Z", None);
    }

    #[test]
    fn fhir_statuses_in_both_languages() {
        for (code, fr, en) in [
            ("final", "définitif", "final"),
            ("preliminary", "préliminaire", "preliminary"),
            ("amended", "corrigé", "amended"),
            ("corrected", "corrigé", "corrected"),
            ("cancelled", "annulé", "cancelled"),
            ("registered", "enregistré", "registered"),
            ("partial", "partiel", "partial"),
            ("entered-in-error", "saisi par erreur", "entered in error"),
        ] {
            check(report_status(FR, code), fr, Some(code));
            check(result_status(FR, code), fr, Some(code));
            check(report_status(EN, code), en, Some(code));
            check(result_status(EN, code), en, Some(code));
        }
        check(result_status(FR, "Final"), "définitif", Some("Final"));
    }

    #[test]
    fn result_statuses_from_obx_11() {
        check(result_status(FR, "F"), "définitif", Some("F"));
        check(result_status(FR, "P"), "préliminaire", Some("P"));
        check(result_status(FR, "C"), "corrigé", Some("C"));
        check(result_status(FR, "W"), "saisi par erreur", Some("W"));
        check(result_status(FR, "S"), "partiel", Some("S"));
        check(result_status(EN, "X"), "could not be obtained", Some("X"));
        check(result_status(FR, "en cours"), "en cours", None);
    }

    fn check_flag(flag: Flag, text: &str, code: Option<&str>, level: FlagLevel) {
        check(flag.shown, text, code);
        assert_eq!(flag.level, level, "{text}");
    }

    #[test]
    fn flags_in_words_with_their_level() {
        use FlagLevel::{Abnormal, Critical, Normal};
        for (code, fr, en, level) in [
            ("H", "élevé", "high", Abnormal),
            ("L", "bas", "low", Abnormal),
            ("A", "anormal", "abnormal", Abnormal),
            ("N", "normal", "normal", Normal),
            ("HH", "critique haut", "critically high", Critical),
            ("LL", "critique bas", "critically low", Critical),
            ("AA", "critique", "critical", Critical),
            ("HU", "critique haut", "critically high", Critical),
            ("LU", "critique bas", "critically low", Critical),
            ("hh", "critique haut", "critically high", Critical),
            ("critical", "critique", "critical", Critical),
            ("Panic", "critique", "critical", Critical),
            ("high", "élevé", "high", Abnormal),
        ] {
            check_flag(flag(FR, code), fr, Some(code), level);
            check_flag(flag(EN, code), en, Some(code), level);
        }
        check_flag(
            flag(FR, "panic high"),
            "critique (panic high)",
            Some("panic high"),
            Critical,
        );
        check_flag(
            flag(EN, "Valeur critique"),
            "critical (Valeur critique)",
            Some("Valeur critique"),
            Critical,
        );
        check_flag(flag(FR, " POS "), "POS", None, Abnormal);
    }

    #[test]
    fn every_flag_key_is_in_the_catalog() {
        for (code, key, _) in FLAGS {
            assert!(
                CATALOG.iter().any(|(k, _)| k == key),
                "{code} maps to {key}, missing from the catalog"
            );
        }
        assert!(CATALOG.iter().any(|(k, _)| *k == "flag.critical_other"));
    }

    #[test]
    fn routes() {
        for (code, fr) in [
            ("PO", "per os"),
            ("IV", "intraveineuse"),
            ("SC", "sous-cutanée"),
            ("IM", "intramusculaire"),
            ("INH", "inhalée"),
            ("TOP", "cutanée"),
            ("SL", "sublinguale"),
            ("PR", "voie rectale"),
        ] {
            check(route(FR, code), fr, Some(code));
        }
        check(route(EN, "po"), "oral", Some("po"));
        check(route(FR, "Oral Route"), "Oral Route", None);
    }

    #[test]
    fn frequencies_named_and_periodic() {
        for (code, fr) in [
            ("QAM", "le matin"),
            ("QPM", "le soir"),
            ("QD", "une fois par jour"),
            ("Q1D", "une fois par jour"),
            ("BID", "2 fois par jour"),
            ("TID", "3 fois par jour"),
            ("QID", "4 fois par jour"),
            ("Q4H", "toutes les 4 heures"),
            ("Q6H", "toutes les 6 heures"),
            ("Q8H", "toutes les 8 heures"),
            ("Q12H", "toutes les 12 heures"),
            ("PRN", "si besoin"),
            ("STAT", "immédiatement"),
            ("HS", "au coucher"),
            ("Q1H", "toutes les heures"),
            ("Q2D", "tous les 2 jours"),
        ] {
            check(frequency(FR, code), fr, Some(code));
        }
        check(
            frequency(FR, "Q6H PRN"),
            "toutes les 6 heures, si besoin",
            Some("Q6H PRN"),
        );
        check(frequency(EN, "Q8H"), "every 8 hours", Some("Q8H"));
        check(frequency(EN, "tid"), "3 times a day", Some("tid"));
        for text in [
            "3 fois par jour",
            "Q0H",
            "QH",
            "Q8X",
            "Q",
            "",
            "Q99999999999H",
        ] {
            check(frequency(FR, text), text, None);
        }
    }

    #[test]
    fn ucum_units_read_like_a_lab_report() {
        let cases = [
            ("[iU]", Some("UI")),
            ("[iU]/L", Some("UI/L")),
            ("m[iU]/mL", Some("mUI/mL")),
            ("mm[Hg]", Some("mmHg")),
            ("Cel", Some("°C")),
            ("umol/L", Some("µmol/L")),
            ("ug/L", Some("µg/L")),
            ("10*9/L", Some("G/L")),
            ("10*12/L", Some("T/L")),
            ("{score}", None),
            ("{beats}/min", Some("/min")),
            ("/min", Some("/min")),
            ("%", Some("%")),
            ("kg", Some("kg")),
            ("U/L", Some("U/L")),
            ("mmol/L", Some("mmol/L")),
            ("mL/min/{1.73_m2}", Some("mL/min/1,73 m²")),
            ("  ", None),
            ("{unclosed", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(unit(FR, raw).as_deref(), expected, "{raw}");
        }
        assert_eq!(unit(EN, "[iU]/L").as_deref(), Some("IU/L"));
        assert_eq!(unit(EN, "10*9/L").as_deref(), Some("10⁹/L"));
    }

    #[test]
    fn fact_kinds_are_words() {
        check(fact_kind(FR, "allergy"), "Allergies", Some("allergy"));
        check(
            fact_kind(FR, "careplan"),
            "Plans de soins",
            Some("careplan"),
        );
        check(fact_kind(EN, "stay"), "Stays", Some("stay"));
        check(fact_kind(FR, "future_kind"), "future_kind", None);
    }
}
