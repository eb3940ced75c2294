//! Downtime lab request ids (printed as a barcode on the specimen label and
//! scanned back by the lab) and critical values.
//!
//! An id is `DT`, ten digits counting tenths of a second since
//! 2025-01-01T00:00:00Z at the request's event time, and a Damm check digit
//! (`DT03277800002` for 15/01/2026 10:00 in Paris): short enough for a
//! Code 128 on a tube label, unique on a node (the next free value is taken
//! when two requests share a tenth of a second), and any single mistyped
//! digit or swap of two adjacent digits is refused. Reading a label forgives what scanners and keyboards do:
//! spaces, hyphens, lower case, an AIM symbology prefix (`]C0`), Code 39
//! stars, a trailing Enter or Tab, and the digits of a scanner set to QWERTY
//! on a French AZERTY keyboard (`&é"'(-è_çà`).
//!
//! Critical values (thresholds in the unit shown; values in another known
//! unit are converted; an unknown unit is not judged on its value, only on
//! its flag):
//!
//! | analyte | LOINC | critical when |
//! |---|---|---|
//! | potassium | 2823-3, 6298-4, 32713-0 | < 2.8 or > 6.2 mmol/L |
//! | sodium | 2951-2, 2947-0, 32717-1 | < 120 or > 160 mmol/L |
//! | glucose | 14749-6, 15074-8, 2345-7, 2339-0, 41653-7 | < 2.8 or > 25 mmol/L |
//! | hemoglobin | 718-7, 20509-6, 30313-1 | < 7 g/dL |
//! | platelets | 777-3, 26515-7, 778-1 | < 20 G/L |
//! | INR | 6301-6, 34714-6, 46418-0 | > 5 |
//! | troponin T | 67151-1, 6598-7 | > 14 ng/L (99th percentile, hs assay) |
//! | troponin I | 89579-7, 10839-9, 42757-5 | > 26 ng/L (99th percentile, hs assay) |
//!
//! The troponin thresholds are the 99th percentile upper reference limits
//! of the common high-sensitivity assays; each lab should confirm its own.
//! A result flagged critical by the sender (HL7 `LL`, `HH`, `AA`, FHIR
//! `critical`, « critique ») is critical whatever its value.

use std::fmt;

use ckisa_domain::{Coded, Observation, ObservationValue};

use crate::fold::{fold, french_number, number, words};

/// Prefix of downtime lab request ids.
pub const PREFIX: &str = "DT";

/// 2025-01-01T00:00:00Z, the origin of the id's counter.
const ORIGIN_MS: i64 = 1_735_689_600_000;
/// Digits of the counter.
const COUNTER_DIGITS: usize = 10;
/// How many following tenths of a second are tried when an id is taken.
const TRIES: u64 = 10_000;

/// The Damm quasigroup of order 10 (weakly totally anti-symmetric).
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// The Damm check digit of a string of digits; `None` if it holds anything
/// else.
pub fn check_digit(digits: &str) -> Option<u8> {
    let mut interim = 0u8;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        interim = DAMM[usize::from(interim)][usize::from(b - b'0')];
    }
    Some(interim)
}

/// A new request id for an event at `at_ms`: the first id from that tenth
/// of a second on that `taken` does not hold (`CareBook::lab_request(id)`
/// is some). `None` only if ten thousand ids in a row are taken.
pub fn request_id(at_ms: i64, taken: impl Fn(&str) -> bool) -> Option<String> {
    let counter = u64::try_from(at_ms.saturating_sub(ORIGIN_MS) / 100).unwrap_or(0);
    let modulo = 10u64.pow(COUNTER_DIGITS as u32);
    (0..TRIES)
        .map(|step| id_of((counter + step) % modulo))
        .find(|id| !taken(id))
}

fn id_of(counter: u64) -> String {
    let digits = format!("{counter:0width$}", width = COUNTER_DIGITS);
    let check = check_digit(&digits).unwrap_or(0);
    format!("{PREFIX}{digits}{check}")
}

/// The id as printed under the barcode, in groups for reading aloud:
/// `DT 0512 7439 211`.
pub fn label_text(id: &str) -> String {
    let Some(digits) = id.strip_prefix(PREFIX) else {
        return id.to_owned();
    };
    let mut out = String::from(PREFIX);
    for (i, c) in digits.chars().enumerate() {
        if i % 4 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Why a scanned or typed label was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelError {
    /// Nothing scanned.
    Empty,
    /// Not a downtime lab id at all.
    NotALabId(String),
    /// `DT` and digits, but not as many as an id has.
    WrongLength(String),
    /// The check digit does not match: mistyped or misread.
    CheckDigit(String),
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabelError::Empty => {
                f.write_str("étiquette vide : scanner ou saisir le numéro de demande")
            }
            LabelError::NotALabId(text) => write!(
                f,
                "« {text} » n'est pas un numéro de demande du mode dégradé (DT suivi de 11 chiffres)"
            ),
            LabelError::WrongLength(text) => write!(
                f,
                "« {text} » : un numéro de demande a 11 chiffres après DT ; ressaisir ou rescanner"
            ),
            LabelError::CheckDigit(text) => write!(
                f,
                "« {text} » : chiffre de contrôle faux, numéro mal saisi ou mal lu ; ressaisir ou rescanner"
            ),
        }
    }
}

impl std::error::Error for LabelError {}

/// Reads a scanned or typed label back to its id (`DT` + 11 digits).
pub fn parse_label(scanned: &str) -> Result<String, LabelError> {
    let mut text = scanned.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    for aim in ["]C0", "]C1", "]C2", "]A0", "]A4", "]Q0", "]Q1", "]d2"] {
        if let Some(rest) = text.strip_prefix(aim) {
            text = rest;
            break;
        }
    }
    let text = text.trim_matches(|c: char| c == '*' || c.is_whitespace());
    if text.is_empty() {
        return Err(LabelError::Empty);
    }
    let shown = text.to_owned();
    let azerty = text.chars().any(|c| "&é\"'(è_çà".contains(c));
    let mut cleaned = String::with_capacity(text.len());
    for c in text.chars() {
        match (c, azerty) {
            (c, _) if c.is_ascii_alphanumeric() => cleaned.push(c.to_ascii_uppercase()),
            ('-', true) => cleaned.push('6'),
            (' ' | '-' | '.' | '_', false) => {}
            (c, true) => match azerty_digit(c) {
                Some(d) => cleaned.push(d),
                None if c == ' ' => {}
                None => return Err(LabelError::NotALabId(shown)),
            },
            _ => return Err(LabelError::NotALabId(shown)),
        }
    }
    let Some(digits) = cleaned.strip_prefix(PREFIX) else {
        return Err(LabelError::NotALabId(shown));
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LabelError::NotALabId(shown));
    }
    if digits.len() != COUNTER_DIGITS + 1 {
        return Err(LabelError::WrongLength(shown));
    }
    if check_digit(digits) != Some(0) {
        return Err(LabelError::CheckDigit(shown));
    }
    Ok(cleaned)
}

/// A digit typed by a QWERTY scanner on an AZERTY keyboard (unshifted
/// number row).
fn azerty_digit(c: char) -> Option<char> {
    Some(match c {
        '&' => '1',
        'é' => '2',
        '"' => '3',
        '\'' => '4',
        '(' => '5',
        '-' => '6',
        'è' => '7',
        '_' => '8',
        'ç' => '9',
        'à' => '0',
        _ => return None,
    })
}

// ---- Critical values -----------------------------------------------------------

/// An analyte of the critical values table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CriticalLimit {
    /// French name.
    pub analyte: &'static str,
    /// LOINC codes.
    pub codes: &'static [&'static str],
    /// Unit the limits are in.
    pub unit: &'static str,
    /// Critical below this (excluded).
    pub low: Option<f64>,
    /// Critical above this (excluded).
    pub high: Option<f64>,
}

/// The critical values table (see the module documentation).
pub const CRITICAL_LIMITS: &[CriticalLimit] = &[
    CriticalLimit {
        analyte: "Potassium (kaliémie)",
        codes: &["2823-3", "6298-4", "32713-0"],
        unit: "mmol/L",
        low: Some(2.8),
        high: Some(6.2),
    },
    CriticalLimit {
        analyte: "Sodium (natrémie)",
        codes: &["2951-2", "2947-0", "32717-1"],
        unit: "mmol/L",
        low: Some(120.0),
        high: Some(160.0),
    },
    CriticalLimit {
        analyte: "Glucose (glycémie)",
        codes: &["14749-6", "15074-8", "2345-7", "2339-0", "41653-7"],
        unit: "mmol/L",
        low: Some(2.8),
        high: Some(25.0),
    },
    CriticalLimit {
        analyte: "Hémoglobine",
        codes: &["718-7", "20509-6", "30313-1"],
        unit: "g/dL",
        low: Some(7.0),
        high: None,
    },
    CriticalLimit {
        analyte: "Plaquettes",
        codes: &["777-3", "26515-7", "778-1"],
        unit: "G/L",
        low: Some(20.0),
        high: None,
    },
    CriticalLimit {
        analyte: "INR",
        codes: &["6301-6", "34714-6", "46418-0"],
        unit: "",
        low: None,
        high: Some(5.0),
    },
    CriticalLimit {
        analyte: "Troponine T",
        codes: &["67151-1", "6598-7"],
        unit: "ng/L",
        low: None,
        high: Some(14.0),
    },
    CriticalLimit {
        analyte: "Troponine I",
        codes: &["89579-7", "10839-9", "42757-5"],
        unit: "ng/L",
        low: None,
        high: Some(26.0),
    },
];

/// A result to check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabValue<'a> {
    /// What was measured (LOINC code, or a name).
    pub code: &'a Coded,
    /// The value as written (`2,7`, `<2.0`, `>33.3`).
    pub value: &'a str,
    /// Its unit.
    pub unit: Option<&'a str>,
    /// The sender's interpretation flag (`LL`, `HH`, `AA`, `H`...).
    pub interpretation: Option<&'a str>,
}

/// Which way a critical result goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Below the low limit.
    Low,
    /// Above the high limit.
    High,
    /// Flagged critical by the sender.
    Flagged,
}

/// A critical result, to flag to the requesting unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Critical {
    /// What was measured, as named by the table or the result.
    pub analyte: String,
    /// Low, high or flagged.
    pub direction: Direction,
    /// French sentence: `Potassium (kaliémie) 6,8 mmol/L : critique (> 6,2
    /// mmol/L)`.
    pub message: String,
}

/// Whether a result is critical: by the sender's flag, else by the table.
pub fn critical(result: &LabValue<'_>) -> Option<Critical> {
    let limit = limit_of(result.code);
    let analyte = match limit {
        Some(limit) => limit.analyte.to_owned(),
        None => name_of(result.code),
    };
    if let Some(by_value) = limit.and_then(|l| by_value(l, result)) {
        return Some(by_value);
    }
    if result.interpretation.is_some_and(is_critical_flag) {
        let unit = result
            .unit
            .map(|u| format!(" {}", u.trim()))
            .unwrap_or_default();
        return Some(Critical {
            message: format!(
                "{analyte} {}{unit} : signalé critique par le laboratoire ({})",
                result.value.trim(),
                result.interpretation.unwrap_or("").trim()
            ),
            analyte,
            direction: Direction::Flagged,
        });
    }
    None
}

/// What a result not in the table is called: its text, else its code.
fn name_of(code: &Coded) -> String {
    let text = code.text.trim();
    if !text.is_empty() {
        return text.to_owned();
    }
    code.code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or("Résultat")
        .to_owned()
}

/// [`critical`] for an observation with a quantity or text value.
pub fn critical_observation(observation: &Observation) -> Option<Critical> {
    let (value, unit) = match &observation.value {
        ObservationValue::Quantity { value, unit } => (value.as_str(), unit.as_deref()),
        ObservationValue::Text(text) => (text.as_str(), None),
        _ => ("", None),
    };
    critical(&LabValue {
        code: &observation.code,
        value,
        unit,
        interpretation: observation.interpretation.as_deref(),
    })
}

/// HL7 `LL`, `HH`, `AA` (and `<<`, `>>`), FHIR `critical`, « critique »,
/// in any repetition (`H~HH`).
fn is_critical_flag(flag: &str) -> bool {
    flag.split(['~', ',', ';', ' '])
        .map(|f| fold(f.trim()))
        .any(|f| {
            matches!(
                f.as_str(),
                "ll" | "hh" | "aa" | "<<" | ">>" | "critical" | "critique" | "panic"
            )
        })
}

fn limit_of(code: &Coded) -> Option<&'static CriticalLimit> {
    if let Some(code) = code.code.as_deref().map(str::trim)
        && let Some(limit) = CRITICAL_LIMITS.iter().find(|l| l.codes.contains(&code))
    {
        return Some(limit);
    }
    let folded = fold(&code.text);
    let list: Vec<&str> = words(&folded).collect();
    let has = |w: &str| list.contains(&w);
    let index = if has("kaliemie")
        || has("potassium")
        || folded.trim() == "k"
        || folded.contains("k+")
    {
        0
    } else if has("natremie") || has("sodium") || folded.trim() == "na" || folded.contains("na+") {
        1
    } else if has("glycemie") || has("glucose") {
        2
    } else if has("hemoglobine") || has("hemoglobin") || has("hb") || has("hgb") {
        3
    } else if has("plaquettes") || has("platelets") || has("plaquette") || has("plt") {
        4
    } else if has("inr") {
        5
    } else if (has("troponine") || has("troponin")) && (has("t") || has("tnt")) || has("tnt") {
        6
    } else if (has("troponine") || has("troponin")) && (has("i") || has("tni")) || has("tni") {
        7
    } else {
        return None;
    };
    CRITICAL_LIMITS.get(index)
}

/// How a value was stated: exactly, or only as below or above a bound.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stated {
    Exactly(f64),
    Below(f64),
    Above(f64),
}

fn stated(value: &str) -> Option<Stated> {
    let text = value.trim();
    let (kind, rest): (fn(f64) -> Stated, &str) =
        if let Some(rest) = text.strip_prefix("<=").or_else(|| text.strip_prefix('≤')) {
            (Stated::Below, rest)
        } else if let Some(rest) = text.strip_prefix(">=").or_else(|| text.strip_prefix('≥')) {
            (Stated::Above, rest)
        } else if let Some(rest) = text.strip_prefix('<') {
            (Stated::Below, rest)
        } else if let Some(rest) = text.strip_prefix('>') {
            (Stated::Above, rest)
        } else {
            (Stated::Exactly, text)
        };
    let rest = rest.trim().trim_start_matches('^').trim_start_matches('=');
    Some(kind(number(rest)?))
}

/// The factor from `unit` to the table's unit for an analyte; `None` when
/// the unit is unknown (not judged on its value).
fn factor(limit: &CriticalLimit, unit: Option<&str>) -> Option<f64> {
    let Some(unit) = unit.map(|u| fold(u.trim()).replace(' ', "")) else {
        return Some(1.0);
    };
    if unit.is_empty() {
        return Some(1.0);
    }
    let unit = unit.replace('^', "*").replace("µ", "u");
    Some(match (limit.unit, unit.as_str()) {
        ("mmol/L", "mmol/l" | "meq/l" | "mm") => 1.0,
        ("mmol/L", "mg/dl") if limit.analyte.starts_with("Glucose") => 1.0 / 18.016,
        ("mmol/L", "g/l") if limit.analyte.starts_with("Glucose") => 5.551,
        ("g/dL", "g/dl") => 1.0,
        ("g/dL", "g/l") => 0.1,
        ("g/dL", "mmol/l") => 1.611,
        ("G/L", "g/l" | "10*9/l" | "10*3/ul" | "/nl" | "giga/l" | "x10*9/l" | "k/ul") => 1.0,
        ("G/L", "/mm3" | "/ul") => 0.001,
        ("", "{inr}" | "inr" | "{ratio}" | "ratio" | "1") => 1.0,
        ("ng/L", "ng/l" | "pg/ml") => 1.0,
        ("ng/L", "ng/ml" | "ug/l") => 1000.0,
        _ => return None,
    })
}

fn by_value(limit: &CriticalLimit, result: &LabValue<'_>) -> Option<Critical> {
    let factor = factor(limit, result.unit)?;
    let convert = |v: f64| v * factor;
    let (low, high) = (limit.low, limit.high);
    let direction = match stated(result.value)? {
        Stated::Exactly(v) => {
            let v = convert(v);
            if low.is_some_and(|l| v < l) {
                Direction::Low
            } else if high.is_some_and(|h| v > h) {
                Direction::High
            } else {
                return None;
            }
        }
        // `<2.0` is below 2.8 for sure; `<5` tells nothing.
        Stated::Below(v) if low.is_some_and(|l| convert(v) <= l) => Direction::Low,
        Stated::Above(v) if high.is_some_and(|h| convert(v) >= h) => Direction::High,
        _ => return None,
    };
    let unit = result
        .unit
        .map(|u| format!(" {}", u.trim()))
        .unwrap_or_default();
    let table_unit = if limit.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", limit.unit)
    };
    let bound = match direction {
        Direction::Low => format!("< {}{table_unit}", french_number(low.unwrap_or_default())),
        _ => format!("> {}{table_unit}", french_number(high.unwrap_or_default())),
    };
    Some(Critical {
        analyte: limit.analyte.to_owned(),
        direction,
        message: format!(
            "{} {}{unit} : valeur critique ({bound})",
            limit.analyte,
            result.value.trim()
        ),
    })
}

#[cfg(test)]
mod tests;
