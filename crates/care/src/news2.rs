//! The NEWS2 early-warning score (Royal College of Physicians, National
//! Early Warning Score 2, December 2017), the vitals a nurse types (their
//! LOINC codes, units and plausible limits), and the latest vitals of a
//! patient read from observations, whether the HIS sent them before the
//! downtime or a caregiver typed them during it.
//!
//! A missing parameter is never scored as normal: the score says it is
//! partial and which parameters are missing, and its level is then a lower
//! bound.

use std::fmt;

use ckisa_domain::{Coded, Observation, ObservationValue};
use jiff::tz::TimeZone;

use crate::fold::{fold, french_number, number, words};
use crate::mar::moment_ms;

/// Level of consciousness on the ACVPU scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consciousness {
    /// A: alert.
    Alert,
    /// C: new confusion.
    NewConfusion,
    /// V: responds to voice.
    Voice,
    /// P: responds to pain.
    Pain,
    /// U: unresponsive.
    Unresponsive,
}

impl Consciousness {
    /// Every level, A to U.
    pub const ALL: [Consciousness; 5] = [
        Consciousness::Alert,
        Consciousness::NewConfusion,
        Consciousness::Voice,
        Consciousness::Pain,
        Consciousness::Unresponsive,
    ];

    /// Reads a letter (`A`, `C`, `V`, `P`, `U`) or a French or English word
    /// (`alerte`, `confus`, `voix`, `douleur`, `aucune réponse`).
    pub fn parse(text: &str) -> Option<Consciousness> {
        let folded = fold(text.trim());
        let level = match folded.as_str() {
            "a" | "alert" | "alerte" | "eveille" | "eveillee" | "conscient" | "consciente" => {
                Consciousness::Alert
            }
            "c" | "confus" | "confuse" | "confusion" | "new confusion" | "confusion recente"
            | "nouvelle confusion" => Consciousness::NewConfusion,
            "v" | "voice" | "voix" | "reagit a la voix" | "repond a la voix" => {
                Consciousness::Voice
            }
            "p" | "pain" | "douleur" | "reagit a la douleur" | "repond a la douleur" => {
                Consciousness::Pain
            }
            "u" | "unresponsive" | "aucune reponse" | "areactif" | "areactive" | "inconscient"
            | "inconsciente" | "ne reagit pas" => Consciousness::Unresponsive,
            _ => return None,
        };
        Some(level)
    }

    /// The ACVPU letter.
    pub fn letter(self) -> &'static str {
        match self {
            Consciousness::Alert => "A",
            Consciousness::NewConfusion => "C",
            Consciousness::Voice => "V",
            Consciousness::Pain => "P",
            Consciousness::Unresponsive => "U",
        }
    }

    /// French label.
    pub fn label_fr(self) -> &'static str {
        match self {
            Consciousness::Alert => "alerte",
            Consciousness::NewConfusion => "confusion récente",
            Consciousness::Voice => "réagit à la voix",
            Consciousness::Pain => "réagit à la douleur",
            Consciousness::Unresponsive => "aucune réaction",
        }
    }
}

/// Which SpO2 scale to score with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spo2Scale {
    /// Scale 1: the usual target (96 % and above scores 0).
    Scale1,
    /// Scale 2: a prescribed target of 88-92 % for hypercapnic respiratory
    /// failure.
    Scale2,
}

impl Spo2Scale {
    /// Scale 2 when the patient has a hypercapnic respiratory failure target.
    pub fn for_hypercapnic_target(hypercapnic: bool) -> Spo2Scale {
        if hypercapnic {
            Spo2Scale::Scale2
        } else {
            Spo2Scale::Scale1
        }
    }
}

/// The values NEWS2 is computed from; `None` is missing.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Vitals {
    /// Respiration rate, per minute.
    pub respiratory_rate: Option<f64>,
    /// SpO2, percent.
    pub spo2: Option<f64>,
    /// On supplemental oxygen (`false`: room air).
    pub on_oxygen: Option<bool>,
    /// Systolic blood pressure, mmHg.
    pub systolic: Option<f64>,
    /// Pulse, per minute.
    pub pulse: Option<f64>,
    /// Consciousness (ACVPU).
    pub consciousness: Option<Consciousness>,
    /// Temperature, °C.
    pub temperature: Option<f64>,
}

/// One NEWS2 parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parameter {
    /// Respiration rate.
    RespiratoryRate,
    /// SpO2.
    Spo2,
    /// Air or oxygen.
    AirOrOxygen,
    /// Systolic blood pressure.
    Systolic,
    /// Pulse.
    Pulse,
    /// Consciousness.
    Consciousness,
    /// Temperature.
    Temperature,
}

impl Parameter {
    /// The seven parameters, in the chart's order.
    pub const ALL: [Parameter; 7] = [
        Parameter::RespiratoryRate,
        Parameter::Spo2,
        Parameter::AirOrOxygen,
        Parameter::Systolic,
        Parameter::Pulse,
        Parameter::Consciousness,
        Parameter::Temperature,
    ];

    /// French label.
    pub fn label_fr(self) -> &'static str {
        match self {
            Parameter::RespiratoryRate => "fréquence respiratoire",
            Parameter::Spo2 => "SpO2",
            Parameter::AirOrOxygen => "air ou oxygène",
            Parameter::Systolic => "pression artérielle systolique",
            Parameter::Pulse => "fréquence cardiaque",
            Parameter::Consciousness => "conscience",
            Parameter::Temperature => "température",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The clinical response a NEWS2 score calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Aggregate 0: routine monitoring.
    Routine,
    /// Aggregate 1-4: low, ward-based response.
    Low,
    /// A single parameter scoring 3 (aggregate under 5): urgent ward-based
    /// response.
    LowMedium,
    /// Aggregate 5-6: medium, urgent response.
    Medium,
    /// Aggregate 7 or more: high, emergency response.
    High,
}

impl Level {
    /// French label of the risk.
    pub fn label_fr(self) -> &'static str {
        match self {
            Level::Routine => "risque faible",
            Level::Low => "faible - surveillance rapprochée",
            Level::LowMedium => "faible à moyen - réponse urgente du service",
            Level::Medium => "moyen - réponse urgente",
            Level::High => "élevé - réponse d'urgence",
        }
    }

    /// French text of the minimum monitoring the RCP chart asks for.
    pub fn monitoring_fr(self) -> &'static str {
        match self {
            Level::Routine => "surveillance au moins toutes les 12 h",
            Level::Low => "surveillance au moins toutes les 4 à 6 h ; avis infirmier",
            Level::LowMedium => "surveillance au moins toutes les heures ; avis médical",
            Level::Medium => {
                "surveillance au moins toutes les heures ; avis médical urgent, envisager la réanimation"
            }
            Level::High => "surveillance continue ; équipe d'urgence ou de réanimation",
        }
    }
}

/// A NEWS2 score.
#[derive(Debug, Clone, PartialEq)]
pub struct News2 {
    /// Sum of the parameters scored.
    pub total: u8,
    /// Score of each parameter, in [`Parameter::ALL`] order; `None` when
    /// missing.
    pub scores: [Option<u8>; 7],
    /// Parameters that could not be scored.
    pub missing: Vec<Parameter>,
    /// The response it calls for (a lower bound when partial).
    pub level: Level,
    /// The SpO2 scale used.
    pub scale: Spo2Scale,
}

impl News2 {
    /// The score of one parameter.
    pub fn score(&self, parameter: Parameter) -> Option<u8> {
        self.scores[parameter.index()]
    }

    /// Whether every parameter was scored.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
    }

    /// `NEWS2 6 : moyen - réponse urgente`, or for a partial score
    /// `NEWS2 partiel ≥ 3 : faible - surveillance rapprochée (manque :
    /// SpO2, température)`.
    pub fn summary_fr(&self) -> String {
        if self.is_complete() {
            return format!("NEWS2 {} : {}", self.total, self.level.label_fr());
        }
        let missing: Vec<&str> = self.missing.iter().map(|p| p.label_fr()).collect();
        format!(
            "NEWS2 partiel ≥ {} : {} (manque : {})",
            self.total,
            self.level.label_fr(),
            missing.join(", ")
        )
    }
}

/// Scores `vitals` (RCP 2017 chart). Values are rounded as charted: rates,
/// SpO2 and pressure to whole numbers, temperature to a tenth.
pub fn score(vitals: &Vitals, scale: Spo2Scale) -> News2 {
    let mut scores = [None; 7];
    scores[Parameter::RespiratoryRate.index()] = vitals.respiratory_rate.map(respiration_score);
    scores[Parameter::Spo2.index()] = vitals
        .spo2
        .and_then(|spo2| spo2_score(spo2, vitals.on_oxygen, scale));
    scores[Parameter::AirOrOxygen.index()] = vitals.on_oxygen.map(|o| if o { 2 } else { 0 });
    scores[Parameter::Systolic.index()] = vitals.systolic.map(systolic_score);
    scores[Parameter::Pulse.index()] = vitals.pulse.map(pulse_score);
    scores[Parameter::Consciousness.index()] = vitals.consciousness.map(|c| match c {
        Consciousness::Alert => 0,
        _ => 3,
    });
    scores[Parameter::Temperature.index()] = vitals.temperature.map(temperature_score);
    let missing = Parameter::ALL
        .into_iter()
        .filter(|p| scores[p.index()].is_none())
        .collect();
    let total: u8 = scores.iter().flatten().sum();
    let red = scores.contains(&Some(3));
    let level = match total {
        0 => Level::Routine,
        7.. => Level::High,
        5..=6 => Level::Medium,
        _ if red => Level::LowMedium,
        _ => Level::Low,
    };
    News2 {
        total,
        scores,
        missing,
        level,
        scale,
    }
}

fn whole(value: f64) -> i64 {
    value.round() as i64
}

fn respiration_score(rate: f64) -> u8 {
    match whole(rate) {
        ..=8 => 3,
        9..=11 => 1,
        12..=20 => 0,
        21..=24 => 2,
        _ => 3,
    }
}

/// Scale 1 ignores oxygen; scale 2 needs it from 93 % up (on air 0, on
/// oxygen 1-3), so it is missing there when oxygen is unknown.
fn spo2_score(spo2: f64, on_oxygen: Option<bool>, scale: Spo2Scale) -> Option<u8> {
    let spo2 = whole(spo2);
    Some(match scale {
        Spo2Scale::Scale1 => match spo2 {
            ..=91 => 3,
            92..=93 => 2,
            94..=95 => 1,
            _ => 0,
        },
        Spo2Scale::Scale2 => match (spo2, on_oxygen) {
            (..=83, _) => 3,
            (84..=85, _) => 2,
            (86..=87, _) => 1,
            (88..=92, _) => 0,
            (_, Some(false)) => 0,
            (93..=94, Some(true)) => 1,
            (95..=96, Some(true)) => 2,
            (_, Some(true)) => 3,
            (_, None) => return None,
        },
    })
}

fn systolic_score(systolic: f64) -> u8 {
    match whole(systolic) {
        ..=90 => 3,
        91..=100 => 2,
        101..=110 => 1,
        111..=219 => 0,
        _ => 3,
    }
}

fn pulse_score(pulse: f64) -> u8 {
    match whole(pulse) {
        ..=40 => 3,
        41..=50 => 1,
        51..=90 => 0,
        91..=110 => 1,
        111..=130 => 2,
        _ => 3,
    }
}

fn temperature_score(celsius: f64) -> u8 {
    match (celsius * 10.0).round() as i64 {
        ..=350 => 3,
        351..=360 => 1,
        361..=380 => 0,
        381..=390 => 1,
        _ => 2,
    }
}

// ---- Vitals typed by a nurse -------------------------------------------------

/// A vital sign a nurse enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VitalKind {
    /// Body temperature, °C.
    Temperature,
    /// Heart rate, per minute.
    HeartRate,
    /// Blood pressure, systolic/diastolic mmHg (a panel with two
    /// components).
    BloodPressure,
    /// SpO2, %.
    Spo2,
    /// Respiratory rate, per minute.
    RespiratoryRate,
    /// Consciousness, ACVPU.
    Consciousness,
    /// Pain, 0-10.
    Pain,
    /// Body weight, kg.
    Weight,
}

impl VitalKind {
    /// The eight kinds, in the entry form's order.
    pub const ALL: [VitalKind; 8] = [
        VitalKind::Temperature,
        VitalKind::HeartRate,
        VitalKind::BloodPressure,
        VitalKind::Spo2,
        VitalKind::RespiratoryRate,
        VitalKind::Consciousness,
        VitalKind::Pain,
        VitalKind::Weight,
    ];

    /// French label, capitalised for a form.
    pub fn label_fr(self) -> &'static str {
        match self {
            VitalKind::Temperature => "Température",
            VitalKind::HeartRate => "Fréquence cardiaque",
            VitalKind::BloodPressure => "Pression artérielle",
            VitalKind::Spo2 => "SpO2",
            VitalKind::RespiratoryRate => "Fréquence respiratoire",
            VitalKind::Consciousness => "Conscience (ACVPU)",
            VitalKind::Pain => "Douleur (EVA)",
            VitalKind::Weight => "Poids",
        }
    }

    /// The UCUM unit the value is written with (`None` for consciousness).
    pub fn unit_ucum(self) -> Option<&'static str> {
        Some(match self {
            VitalKind::Temperature => "Cel",
            VitalKind::HeartRate | VitalKind::RespiratoryRate => "/min",
            VitalKind::BloodPressure => "mm[Hg]",
            VitalKind::Spo2 => "%",
            VitalKind::Pain => "{score}",
            VitalKind::Weight => "kg",
            VitalKind::Consciousness => return None,
        })
    }

    /// The unit as French staff write it.
    pub fn unit_label(self) -> &'static str {
        match self {
            VitalKind::Temperature => "°C",
            VitalKind::HeartRate | VitalKind::RespiratoryRate => "/min",
            VitalKind::BloodPressure => "mmHg",
            VitalKind::Spo2 => "%",
            VitalKind::Pain => "/10",
            VitalKind::Weight => "kg",
            VitalKind::Consciousness => "",
        }
    }

    /// Plausible limits (inclusive) of a typed value; for blood pressure,
    /// those of the systolic (the diastolic's are 20-200).
    pub fn limits(self) -> Option<(f64, f64)> {
        Some(match self {
            VitalKind::Temperature => (25.0, 45.0),
            VitalKind::HeartRate => (20.0, 250.0),
            VitalKind::BloodPressure => (40.0, 300.0),
            VitalKind::Spo2 => (50.0, 100.0),
            VitalKind::RespiratoryRate => (3.0, 80.0),
            VitalKind::Pain => (0.0, 10.0),
            VitalKind::Weight => (0.3, 400.0),
            VitalKind::Consciousness => return None,
        })
    }
}

const LOINC: &str = "http://loinc.org";

fn loinc(code: &str, text: &str) -> Coded {
    Coded {
        code: Some(code.to_owned()),
        system: Some(LOINC.to_owned()),
        text: text.to_owned(),
    }
}

/// The LOINC code the capsule writes for a typed vital: 8310-5, 8867-4,
/// 85354-9 (panel; components in [`blood_pressure_components`]), 59408-5,
/// 9279-1, 80288-4, 72514-3, 29463-7.
pub fn vital_code(kind: VitalKind) -> Coded {
    match kind {
        VitalKind::Temperature => loinc("8310-5", "Température"),
        VitalKind::HeartRate => loinc("8867-4", "Fréquence cardiaque"),
        VitalKind::BloodPressure => loinc("85354-9", "Pression artérielle"),
        VitalKind::Spo2 => loinc("59408-5", "Saturation en oxygène (SpO2)"),
        VitalKind::RespiratoryRate => loinc("9279-1", "Fréquence respiratoire"),
        VitalKind::Consciousness => loinc("80288-4", "Niveau de conscience (ACVPU)"),
        VitalKind::Pain => loinc("72514-3", "Douleur (EVA)"),
        VitalKind::Weight => loinc("29463-7", "Poids"),
    }
}

/// The systolic (8480-6) and diastolic (8462-4) components of the blood
/// pressure panel.
pub fn blood_pressure_components() -> [Coded; 2] {
    [
        loinc("8480-6", "Pression artérielle systolique"),
        loinc("8462-4", "Pression artérielle diastolique"),
    ]
}

/// The code for supplemental oxygen, needed by NEWS2 (LOINC 3151-8,
/// inhaled oxygen flow rate, `L/min`; 0 is room air).
pub fn oxygen_code() -> Coded {
    loinc("3151-8", "Débit d'oxygène")
}

/// Why a typed vital was refused (French, for the form).
#[derive(Debug, Clone, PartialEq)]
pub enum VitalError {
    /// Nothing typed.
    Empty(VitalKind),
    /// Not a number.
    NotANumber(VitalKind, String),
    /// Outside the plausible limits.
    OutOfRange {
        /// The vital.
        kind: VitalKind,
        /// The value typed.
        value: f64,
        /// Lowest plausible value.
        min: f64,
        /// Highest plausible value.
        max: f64,
    },
    /// Blood pressure not written `systolique/diastolique`.
    PressureFormat(String),
    /// Diastolic outside 20-200 mmHg.
    DiastolicOutOfRange(f64),
    /// Systolic not above diastolic.
    PressureInverted {
        /// Systolic typed.
        systolic: f64,
        /// Diastolic typed.
        diastolic: f64,
    },
    /// Pain not a whole number.
    PainNotWhole(f64),
    /// Consciousness not one of A, C, V, P, U.
    UnknownConsciousness(String),
}

impl fmt::Display for VitalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VitalError::Empty(kind) => write!(f, "{} : valeur manquante", kind.label_fr()),
            VitalError::NotANumber(kind, text) => write!(
                f,
                "{} : « {text} » n'est pas un nombre (exemple : {})",
                kind.label_fr(),
                example(*kind)
            ),
            VitalError::OutOfRange {
                kind,
                value,
                min,
                max,
            } => {
                let unit = kind.unit_label();
                let space = if unit.starts_with('/') { "" } else { " " };
                write!(
                    f,
                    "{} {}{space}{unit} hors des limites plausibles ({}–{}{space}{unit})",
                    kind.label_fr(),
                    french_number(*value),
                    french_number(*min),
                    french_number(*max)
                )
            }
            VitalError::PressureFormat(text) => write!(
                f,
                "Pression artérielle : « {text} » n'est pas de la forme systolique/diastolique (exemple : 120/80)"
            ),
            VitalError::DiastolicOutOfRange(value) => write!(
                f,
                "Pression artérielle diastolique {} mmHg hors des limites plausibles (20–200 mmHg)",
                french_number(*value)
            ),
            VitalError::PressureInverted {
                systolic,
                diastolic,
            } => write!(
                f,
                "Pression artérielle {}/{} : la systolique doit être supérieure à la diastolique",
                french_number(*systolic),
                french_number(*diastolic)
            ),
            VitalError::PainNotWhole(value) => write!(
                f,
                "Douleur (EVA) {} : un entier de 0 à 10 est attendu",
                french_number(*value)
            ),
            VitalError::UnknownConsciousness(text) => write!(
                f,
                "Conscience : « {text} » n'est pas un niveau ACVPU (A, C, V, P ou U)"
            ),
        }
    }
}

impl std::error::Error for VitalError {}

fn example(kind: VitalKind) -> &'static str {
    match kind {
        VitalKind::Temperature => "37,2",
        VitalKind::HeartRate => "72",
        VitalKind::BloodPressure => "120/80",
        VitalKind::Spo2 => "97",
        VitalKind::RespiratoryRate => "16",
        VitalKind::Consciousness => "A",
        VitalKind::Pain => "3",
        VitalKind::Weight => "68,5",
    }
}

/// Checks a typed value and gives the observation value to record:
/// a quantity in the kind's UCUM unit, the two components of a blood
/// pressure (`120/80`), or the ACVPU letter.
pub fn validate_vital(kind: VitalKind, text: &str) -> Result<ObservationValue, VitalError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(VitalError::Empty(kind));
    }
    match kind {
        VitalKind::Consciousness => {
            let level = Consciousness::parse(text)
                .ok_or_else(|| VitalError::UnknownConsciousness(text.to_owned()))?;
            Ok(ObservationValue::Coded(Coded {
                code: Some(level.letter().to_owned()),
                system: None,
                text: level.label_fr().to_owned(),
            }))
        }
        VitalKind::BloodPressure => blood_pressure(text),
        _ => {
            let value = in_limits(kind, text)?;
            if kind == VitalKind::Pain && value.fract() != 0.0 {
                return Err(VitalError::PainNotWhole(value));
            }
            Ok(quantity(value, kind.unit_ucum()))
        }
    }
}

fn in_limits(kind: VitalKind, text: &str) -> Result<f64, VitalError> {
    let value = number(text).ok_or_else(|| VitalError::NotANumber(kind, text.to_owned()))?;
    let Some((min, max)) = kind.limits() else {
        return Ok(value);
    };
    if value < min || value > max {
        return Err(VitalError::OutOfRange {
            kind,
            value,
            min,
            max,
        });
    }
    Ok(value)
}

fn blood_pressure(text: &str) -> Result<ObservationValue, VitalError> {
    let (systolic, diastolic) = text
        .split_once('/')
        .ok_or_else(|| VitalError::PressureFormat(text.to_owned()))?;
    let systolic = in_limits(VitalKind::BloodPressure, systolic).map_err(|e| match e {
        VitalError::NotANumber(..) => VitalError::PressureFormat(text.to_owned()),
        other => other,
    })?;
    let diastolic = number(diastolic).ok_or_else(|| VitalError::PressureFormat(text.to_owned()))?;
    if !(20.0..=200.0).contains(&diastolic) {
        return Err(VitalError::DiastolicOutOfRange(diastolic));
    }
    if systolic <= diastolic {
        return Err(VitalError::PressureInverted {
            systolic,
            diastolic,
        });
    }
    let [sys_code, dia_code] = blood_pressure_components();
    Ok(ObservationValue::Components(vec![
        (sys_code, Box::new(quantity(systolic, Some("mm[Hg]")))),
        (dia_code, Box::new(quantity(diastolic, Some("mm[Hg]")))),
    ]))
}

fn quantity(value: f64, unit: Option<&str>) -> ObservationValue {
    ObservationValue::Quantity {
        value: french_number(value).replace(',', "."),
        unit: unit.map(str::to_owned),
    }
}

// ---- Reading the latest vitals ---------------------------------------------

/// The latest value of each vital of a patient, with when it was taken.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LatestVitals {
    /// The NEWS2 inputs.
    pub vitals: Vitals,
    /// Diastolic pressure, mmHg.
    pub diastolic: Option<f64>,
    /// Pain, 0-10.
    pub pain: Option<f64>,
    /// Weight, kg.
    pub weight_kg: Option<f64>,
    /// When each NEWS2 parameter's value was taken (ms since the Unix
    /// epoch), in [`Parameter::ALL`] order.
    pub taken_ms: [Option<i64>; 7],
}

impl LatestVitals {
    /// When a parameter's value was taken.
    pub fn taken(&self, parameter: Parameter) -> Option<i64> {
        self.taken_ms[parameter.index()]
    }

    /// The oldest of the values scored (how stale the score is).
    pub fn oldest_ms(&self) -> Option<i64> {
        self.taken_ms.iter().flatten().min().copied()
    }
}

/// What an observation says, for the vitals reader.
enum Reading {
    Respiration(f64),
    Spo2(f64),
    Oxygen(bool),
    Pressure(Option<f64>, Option<f64>),
    Systolic(f64),
    Diastolic(f64),
    Pulse(f64),
    Consciousness(Consciousness),
    Temperature(f64),
    Pain(f64),
    Weight(f64),
}

/// The latest vitals among `observations` (HIS and typed alike, any order):
/// for each parameter the value with the latest effective time, skipping
/// observations without a time, cancelled or entered in error. Codes read
/// (LOINC): 9279-1 respiration; 59408-5, 2708-6, 20564-1 SpO2; 3151-8
/// oxygen flow, 3150-0 FiO2; 85354-9, 55284-4 blood pressure panels and
/// their 8480-6 / 8462-4 components; 8867-4, 8889-8 pulse; 8310-5, 8331-1,
/// 8328-7, 8332-9, 8333-7 temperature (°C, or °F converted); 80288-4
/// consciousness; 72514-3 pain; 29463-7 weight (kg, g or lb). Observations
/// with another code are recognised by their French or English name.
pub fn latest_vitals<'a>(
    observations: impl IntoIterator<Item = &'a Observation>,
    zone: &TimeZone,
) -> LatestVitals {
    let mut latest = LatestVitals::default();
    let mut at = [i64::MIN; 11];
    for observation in observations {
        if is_void(observation.status.as_deref()) {
            continue;
        }
        let Some(taken) = observation
            .effective
            .as_ref()
            .and_then(|m| moment_ms(m, zone))
        else {
            continue;
        };
        let Some(reading) = read(observation) else {
            continue;
        };
        keep(&mut latest, &mut at, reading, taken);
    }
    latest
}

fn is_void(status: Option<&str>) -> bool {
    matches!(
        status.map(|s| s.trim().to_ascii_lowercase()).as_deref(),
        Some("x" | "w" | "d" | "cancelled" | "entered-in-error")
    )
}

fn keep(latest: &mut LatestVitals, at: &mut [i64; 11], reading: Reading, taken: i64) {
    let mut newer = |slot: usize| {
        let is_newer = taken >= at[slot];
        if is_newer {
            at[slot] = taken;
        }
        is_newer
    };
    let vitals = &mut latest.vitals;
    let stamp = |parameter: Parameter, latest_taken: &mut [Option<i64>; 7]| {
        latest_taken[parameter.index()] = Some(taken);
    };
    match reading {
        Reading::Respiration(v) if newer(0) => {
            vitals.respiratory_rate = Some(v);
            stamp(Parameter::RespiratoryRate, &mut latest.taken_ms);
        }
        Reading::Spo2(v) if newer(1) => {
            vitals.spo2 = Some(v);
            stamp(Parameter::Spo2, &mut latest.taken_ms);
        }
        Reading::Oxygen(v) if newer(2) => {
            vitals.on_oxygen = Some(v);
            stamp(Parameter::AirOrOxygen, &mut latest.taken_ms);
        }
        Reading::Pressure(systolic, diastolic) => {
            if let Some(v) = systolic
                && newer(3)
            {
                vitals.systolic = Some(v);
                stamp(Parameter::Systolic, &mut latest.taken_ms);
            }
            if let Some(v) = diastolic
                && newer(4)
            {
                latest.diastolic = Some(v);
            }
        }
        Reading::Systolic(v) if newer(3) => {
            vitals.systolic = Some(v);
            stamp(Parameter::Systolic, &mut latest.taken_ms);
        }
        Reading::Diastolic(v) if newer(4) => latest.diastolic = Some(v),
        Reading::Pulse(v) if newer(5) => {
            vitals.pulse = Some(v);
            stamp(Parameter::Pulse, &mut latest.taken_ms);
        }
        Reading::Consciousness(v) if newer(6) => {
            vitals.consciousness = Some(v);
            stamp(Parameter::Consciousness, &mut latest.taken_ms);
        }
        Reading::Temperature(v) if newer(7) => {
            vitals.temperature = Some(v);
            stamp(Parameter::Temperature, &mut latest.taken_ms);
        }
        Reading::Pain(v) if newer(8) => latest.pain = Some(v),
        Reading::Weight(v) if newer(9) => latest.weight_kg = Some(v),
        _ => {}
    }
}

/// Which vital an observation is, by LOINC code, else by name.
fn read(observation: &Observation) -> Option<Reading> {
    let code = observation
        .code
        .code
        .as_deref()
        .map(str::trim)
        .unwrap_or("");
    let value = &observation.value;
    let reading = match code {
        "9279-1" => Reading::Respiration(amount(value)?.0),
        "59408-5" | "2708-6" | "20564-1" => Reading::Spo2(amount(value)?.0),
        "3151-8" => Reading::Oxygen(amount(value)?.0 > 0.0),
        "3150-0" => Reading::Oxygen(fio2_percent(amount(value)?) > 21.0),
        "85354-9" | "55284-4" | "35094-2" => pressure(value)?,
        "8480-6" => Reading::Systolic(amount(value)?.0),
        "8462-4" => Reading::Diastolic(amount(value)?.0),
        "8867-4" | "8889-8" => Reading::Pulse(amount(value)?.0),
        "8310-5" | "8331-1" | "8328-7" | "8332-9" | "8333-7" => {
            Reading::Temperature(celsius(amount(value)?))
        }
        "80288-4" => Reading::Consciousness(consciousness(value)?),
        "72514-3" => Reading::Pain(amount(value)?.0),
        "29463-7" | "3141-9" => Reading::Weight(kilograms(amount(value)?)),
        _ => return by_name(observation),
    };
    Some(reading)
}

fn by_name(observation: &Observation) -> Option<Reading> {
    let folded = fold(&observation.code.text);
    let has = |needle: &str| folded.contains(needle);
    let value = &observation.value;
    let reading = if has("frequence respiratoire") || has("respiratory rate") {
        Reading::Respiration(amount(value)?.0)
    } else if has("spo2") || has("saturation en oxygene") {
        Reading::Spo2(amount(value)?.0)
    } else if has("frequence cardiaque") || has("heart rate") || folded.trim() == "pouls" {
        Reading::Pulse(amount(value)?.0)
    } else if has("temperature") {
        Reading::Temperature(celsius(amount(value)?))
    } else if has("conscience") || has("acvpu") || has("avpu") {
        Reading::Consciousness(consciousness(value)?)
    } else if has("pression arterielle") || has("tension arterielle") || has("blood pressure") {
        pressure(value)?
    } else if words(&folded).any(|w| w == "eva" || w == "douleur") {
        Reading::Pain(amount(value)?.0)
    } else if words(&folded).any(|w| w == "poids") || has("body weight") {
        Reading::Weight(kilograms(amount(value)?))
    } else if has("oxygene") || has("oxygen") || words(&folded).any(|w| w == "o2") {
        Reading::Oxygen(oxygen_words(value)?)
    } else {
        return None;
    };
    Some(reading)
}

/// An exact number and its unit (`<4.5`-like values are not vitals).
fn amount(value: &ObservationValue) -> Option<(f64, Option<&str>)> {
    match value {
        ObservationValue::Quantity { value, unit } => {
            Some((number(value)?, unit.as_deref().map(str::trim)))
        }
        ObservationValue::Text(text) => Some((number(text)?, None)),
        _ => None,
    }
}

fn celsius((value, unit): (f64, Option<&str>)) -> f64 {
    match unit {
        Some("[degF]" | "°F" | "degF" | "F") => (value - 32.0) * 5.0 / 9.0,
        _ => value,
    }
}

fn kilograms((value, unit): (f64, Option<&str>)) -> f64 {
    match unit {
        Some("g") => value / 1000.0,
        Some("[lb_av]" | "lb" | "lbs") => value * 0.453_592_37,
        _ => value,
    }
}

/// FiO2 in percent, whether written 0.4 or 40 %.
fn fio2_percent((value, unit): (f64, Option<&str>)) -> f64 {
    if unit != Some("%") && value <= 1.0 {
        value * 100.0
    } else {
        value
    }
}

fn pressure(value: &ObservationValue) -> Option<Reading> {
    match value {
        ObservationValue::Components(parts) => {
            let mut systolic = None;
            let mut diastolic = None;
            for (code, part) in parts {
                let number = amount(part).map(|(v, _)| v);
                match code.code.as_deref() {
                    Some("8480-6") => systolic = number,
                    Some("8462-4") => diastolic = number,
                    _ => {}
                }
            }
            (systolic.is_some() || diastolic.is_some())
                .then_some(Reading::Pressure(systolic, diastolic))
        }
        ObservationValue::Text(text) | ObservationValue::Quantity { value: text, .. } => {
            let (systolic, diastolic) = text.split_once('/')?;
            Some(Reading::Pressure(
                Some(number(systolic)?),
                Some(number(diastolic)?),
            ))
        }
        _ => None,
    }
}

fn consciousness(value: &ObservationValue) -> Option<Consciousness> {
    match value {
        ObservationValue::Coded(coded) => coded
            .code
            .as_deref()
            .and_then(Consciousness::parse)
            .or_else(|| Consciousness::parse(&coded.text)),
        ObservationValue::Text(text) => Consciousness::parse(text),
        _ => None,
    }
}

fn oxygen_words(value: &ObservationValue) -> Option<bool> {
    let text = match value {
        ObservationValue::Text(text) => text.as_str(),
        ObservationValue::Coded(coded) => coded.text.as_str(),
        ObservationValue::Quantity { .. } => return amount(value).map(|(v, _)| v > 0.0),
        _ => return None,
    };
    let folded = fold(text.trim());
    if folded.contains("air ambiant") || folded == "aa" || folded == "air" || folded == "non" {
        Some(false)
    } else if folded == "oui" || folded.contains("lunette") || folded.contains("masque") {
        Some(true)
    } else {
        number(&folded).map(|v| v > 0.0)
    }
}

#[cfg(test)]
mod tests;
