//! Demo patients: what one patient of the demo hospital is (identity, stay,
//! allergies, problems, prescriptions, care plan, vitals, labs) and how one is
//! drawn at random for a unit.
//!
//! The same generator serves the initial census (patients already in house
//! for hours or weeks, with history) and the simulated HIS's admissions
//! (patients arriving now).

use crate::catalog::{
    self, Allergen, Drug, Measure, Population, Problem, Severity, Town, UnitProfile,
};
use crate::clock;
use crate::rng::Rng;
use jiff::{Span, Zoned};

/// Sex as sent in PID-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoSex {
    /// `F`.
    Female,
    /// `M`.
    Male,
}

impl DemoSex {
    /// HL7 table 0001 code.
    pub fn code(self) -> &'static str {
        match self {
            DemoSex::Female => "F",
            DemoSex::Male => "M",
        }
    }
}

/// A physician with an RPPS-like national id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Physician {
    /// 11-digit RPPS-like number (Luhn key last).
    pub rpps: String,
    /// Family name.
    pub family: String,
    /// Given name.
    pub given: String,
}

impl Physician {
    /// "Dr Anne ROUSSEL".
    pub fn display(&self) -> String {
        format!("Dr {} {}", self.given, self.family.to_uppercase())
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Number and street.
    pub street: String,
    /// Postcode.
    pub postcode: String,
    /// Town.
    pub city: String,
}

/// Where a patient lies.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// Unit code (PV1-3.1).
    pub unit: String,
    /// Room (PV1-3.2).
    pub room: String,
    /// Bed (PV1-3.3).
    pub bed: String,
}

/// One allergy.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoAllergy {
    /// What the patient reacts to.
    pub allergen: &'static Allergen,
    /// The reaction observed.
    pub reaction: &'static str,
    /// Its severity.
    pub severity: Severity,
}

/// One active prescription.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPrescription {
    /// Placer order number (ORC-2.1).
    pub order_number: String,
    /// The drug.
    pub drug: &'static Drug,
    /// Start, HL7 timestamp.
    pub start: String,
}

impl DemoPrescription {
    /// French administration instructions: "1 g per os toutes les 6 heures".
    pub fn instructions(&self) -> String {
        let drug = self.drug;
        format!(
            "{} {} {} {}",
            drug.amount.replace('.', ","),
            drug.unit_label,
            drug.route.label,
            drug.frequency.label
        )
    }
}

/// A care plan (sent as FHIR: HL7 v2 has no care plan segment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCarePlan {
    /// Title.
    pub title: String,
    /// Activities, in French.
    pub activities: Vec<&'static str>,
}

/// One numeric observation (vital sign or lab result).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoObservation {
    /// What was measured.
    pub measure: &'static Measure,
    /// Value, in the measure's unit.
    pub value: f64,
    /// When, HL7 timestamp.
    pub time: String,
    /// Whether the reference range applies (not for children's vitals).
    pub ranged: bool,
}

impl DemoObservation {
    /// The value as HL7 NM text.
    pub fn value_text(&self) -> String {
        format!("{:.*}", self.measure.decimals, self.value)
    }

    /// Reference range text for OBX-7 (empty when none applies).
    pub fn range_text(&self) -> String {
        let m = self.measure;
        if !self.ranged || m.high <= m.low {
            return String::new();
        }
        format!("{:.*}-{:.*}", m.decimals, m.low, m.decimals, m.high)
    }

    /// Abnormal flag for OBX-8: `H`, `L`, `N`, or empty when no range applies.
    pub fn flag(&self) -> &'static str {
        let m = self.measure;
        let value: f64 = self.value_text().parse().unwrap_or(self.value);
        if !self.ranged || m.high <= m.low {
            ""
        } else if value > m.high {
            "H"
        } else if value < m.low {
            "L"
        } else {
            "N"
        }
    }
}

/// Everything the demo knows about one patient in house.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPatient {
    /// IPP, 8 digits, issued by `CHDEMO`.
    pub ipp: String,
    /// INS-NIR-like number: 13 digits and a 2-digit key (empty when
    /// unknown, for a patient adopted from the node's store; not sent then).
    pub ins: String,
    /// Family name (as usual, with accents).
    pub family: String,
    /// Given name.
    pub given: String,
    /// Sex.
    pub sex: DemoSex,
    /// Birth date, `YYYYMMDD`.
    pub birth_date: String,
    /// Age in years at generation.
    pub age: u32,
    /// Home address (all empty when unknown; not sent then).
    pub address: Address,
    /// Phone number (empty when unknown; not sent then).
    pub phone: String,
    /// Visit number (PV1-19).
    pub visit_number: String,
    /// Current bed.
    pub location: Location,
    /// UF number of the current unit.
    pub uf: String,
    /// Name of the current unit.
    pub unit_name: String,
    /// Admission, HL7 timestamp (empty when unknown; not sent then).
    pub admitted_at: String,
    /// Attending physician.
    pub attending: Physician,
    /// Allergies (0 to 3).
    pub allergies: Vec<DemoAllergy>,
    /// Problems, reason for admission first (1 to 4).
    pub problems: Vec<&'static Problem>,
    /// Active prescriptions (2 to 8).
    pub prescriptions: Vec<DemoPrescription>,
    /// Care plan.
    pub care_plan: DemoCarePlan,
    /// Latest vital signs.
    pub vitals: Vec<DemoObservation>,
    /// Latest lab results (empty for a patient just admitted).
    pub labs: Vec<DemoObservation>,
}

/// A unit as the demo runs it: its profile, beds and physicians.
#[derive(Debug, Clone)]
pub struct DemoUnit {
    /// Static description.
    pub profile: &'static UnitProfile,
    /// Beds as (room, bed).
    pub beds: Vec<(String, String)>,
    /// Physicians of the unit.
    pub physicians: Vec<Physician>,
}

/// Number sequences for identifiers, so that none is issued twice.
#[derive(Debug, Clone)]
pub(crate) struct Counters {
    /// Tag making string ids unique to one generator or stream.
    pub tag: String,
    pub ipp: u64,
    pub ipp_step: u64,
    pub visit: u64,
    pub movement: u64,
    pub order: u64,
    pub result: u64,
    pub message: u64,
}

impl Counters {
    pub(crate) fn next_ipp(&mut self) -> String {
        // Stepping by a prime spreads IPPs like a real HIS's without repeating.
        self.ipp = 10_000_000 + (self.ipp - 10_000_000 + self.ipp_step) % 89_999_999;
        format!("{:08}", self.ipp)
    }

    pub(crate) fn next_visit(&mut self) -> String {
        self.visit += 1;
        format!("{:09}", self.visit)
    }

    pub(crate) fn next_movement(&mut self) -> String {
        self.movement += 1;
        format!("M{}{:06}", self.tag, self.movement)
    }

    pub(crate) fn next_order(&mut self) -> String {
        self.order += 1;
        format!("P{}{:06}", self.tag, self.order)
    }

    pub(crate) fn next_result(&mut self) -> String {
        self.result += 1;
        format!("R{}{:06}", self.tag, self.result)
    }

    pub(crate) fn next_control_id(&mut self, prefix: char) -> String {
        self.message += 1;
        format!("{prefix}{}{:08}", self.tag, self.message)
    }
}

/// How the patient came to be in the bed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// In house for a while at the start of the demo: has history and labs.
    AlreadyInHouse,
    /// Admitted now by the simulated HIS.
    JustAdmitted,
}

/// Draws a new patient for `unit`, lying in `bed` (an index into its beds).
pub(crate) fn new_patient(
    rng: &mut Rng,
    unit: &DemoUnit,
    bed: usize,
    ids: &mut Counters,
    now: &Zoned,
    arrival: Arrival,
) -> DemoPatient {
    let profile = unit.profile;
    let (sex, age, birth) = draw_age_and_sex(rng, profile.population, now);
    let admitted = match arrival {
        Arrival::AlreadyInHouse => {
            let mean = i64::from(profile.stay_hours) * 60;
            clock::minutes_before(now, rng.range(30, (mean * 2).max(60) as u64) as i64)
        }
        Arrival::JustAdmitted => now.clone(),
    };
    let problems = draw_problems(rng, profile, age);
    let allergies = draw_allergies(rng);
    let prescriptions = draw_prescriptions(rng, profile, &allergies, ids, &admitted, now);
    let care_plan = draw_care_plan(rng, profile, &problems, age);
    // Results are never older than the admission they belong to.
    let minutes_in = minutes_between(&admitted, now);
    let vitals_at = match arrival {
        Arrival::AlreadyInHouse => {
            clock::minutes_before(now, rng.range(10, 240).min(minutes_in) as i64)
        }
        Arrival::JustAdmitted => now.clone(),
    };
    let vitals = draw_vitals(
        rng,
        &problems,
        age,
        profile,
        &clock::hl7_timestamp(&vitals_at),
    );
    let labs = match arrival {
        Arrival::AlreadyInHouse => {
            let at = clock::minutes_before(now, rng.range(120, 900).min(minutes_in) as i64);
            draw_labs(rng, &problems, &clock::hl7_timestamp(&at))
        }
        Arrival::JustAdmitted => Vec::new(),
    };
    let (family, given) = draw_name(rng, sex);
    let birth_town = draw_birth_town(rng);
    let (room, bed_label) = unit.beds.get(bed).cloned().unwrap_or_default();
    DemoPatient {
        ipp: ids.next_ipp(),
        ins: nir_with_key(rng, sex, &birth, birth_town),
        family,
        given,
        sex,
        birth_date: birth.strftime("%Y%m%d").to_string(),
        age,
        address: draw_address(rng),
        phone: draw_phone(rng),
        visit_number: ids.next_visit(),
        location: Location {
            unit: profile.code.to_string(),
            room,
            bed: bed_label,
        },
        uf: profile.uf.to_string(),
        unit_name: profile.name.to_string(),
        admitted_at: clock::hl7_timestamp(&admitted),
        attending: rng
            .pick(&unit.physicians)
            .cloned()
            .unwrap_or_else(|| draw_physician(rng)),
        allergies,
        problems,
        prescriptions,
        care_plan,
        vitals,
        labs,
    }
}

/// Draws a physician with a French name and an RPPS-like id.
pub(crate) fn draw_physician(rng: &mut Rng) -> Physician {
    let sex = if rng.chance(0.5) {
        DemoSex::Female
    } else {
        DemoSex::Male
    };
    let (family, given) = draw_name(rng, sex);
    let base = format!("10{:08}", rng.range(0, 99_999_999));
    let key = luhn_key(&base);
    Physician {
        rpps: format!("{base}{key}"),
        family,
        given,
    }
}

/// The 2-digit INS-NIR key of a 13-digit number: 97 - (n mod 97).
pub fn nir_key(nir13: u64) -> u64 {
    97 - (nir13 % 97)
}

/// Draws sex, age and birth date for a unit's population.
pub(crate) fn draw_age_and_sex(
    rng: &mut Rng,
    population: Population,
    now: &Zoned,
) -> (DemoSex, u32, jiff::civil::Date) {
    let female = match population {
        Population::Maternity => true,
        Population::Elderly => rng.chance(0.6),
        _ => rng.chance(0.5),
    };
    let sex = if female {
        DemoSex::Female
    } else {
        DemoSex::Male
    };
    let days_old: i64 = match population {
        Population::Adult => {
            let age = rng.range(18, 96).max(rng.range(18, 96));
            age as i64 * 365 + rng.range(0, 364) as i64
        }
        Population::Elderly => (75 + rng.range(0, 24).min(rng.range(0, 24))) as i64 * 365,
        Population::Child if rng.chance(0.35) => rng.range(4, 700) as i64,
        Population::Child => rng.range(2, 17) as i64 * 365,
        Population::Maternity => rng.range(18, 43) as i64 * 365,
        Population::YoungAdult => rng.range(18, 70) as i64 * 365,
    } + rng.range(0, 364) as i64;
    let today = now.date();
    let birth = today
        .checked_sub(Span::new().days(days_old))
        .unwrap_or(today);
    (sex, age_on(birth, today), birth)
}

/// Age in whole years on `today` of someone born on `birth` (0 when born later).
pub(crate) fn age_on(birth: jiff::civil::Date, today: jiff::civil::Date) -> u32 {
    let before_birthday = (today.month(), today.day()) < (birth.month(), birth.day());
    let age = i32::from(today.year()) - i32::from(birth.year()) - i32::from(before_birthday);
    u32::try_from(age).unwrap_or(0)
}

/// Whole minutes from `earlier` to `later` (0 when negative or unknown).
fn minutes_between(earlier: &Zoned, later: &Zoned) -> u64 {
    later
        .since(earlier)
        .ok()
        .and_then(|span| span.total(jiff::Unit::Minute).ok())
        .map_or(0, |minutes| minutes.max(0.0) as u64)
}

/// Draws a French family and given name for `sex`.
pub(crate) fn draw_name(rng: &mut Rng, sex: DemoSex) -> (String, String) {
    let given_list = match sex {
        DemoSex::Female => catalog::GIVEN_FEMALE,
        DemoSex::Male => catalog::GIVEN_MALE,
    };
    let family = rng.pick(catalog::FAMILY_NAMES).copied().unwrap_or("Martin");
    let given = rng.pick(given_list).copied().unwrap_or("Claude");
    (family.to_string(), given.to_string())
}

fn draw_birth_town(rng: &mut Rng) -> &'static Town {
    let list = if rng.chance(0.7) {
        catalog::LOCAL_TOWNS
    } else {
        catalog::BIRTH_TOWNS
    };
    rng.pick(list).unwrap_or(&catalog::LOCAL_TOWNS[0])
}

/// Draws a home address in a town near the hospital.
pub(crate) fn draw_address(rng: &mut Rng) -> Address {
    let town = rng
        .pick(catalog::LOCAL_TOWNS)
        .unwrap_or(&catalog::LOCAL_TOWNS[0]);
    let street = rng.pick(catalog::STREETS).copied().unwrap_or("rue Pasteur");
    Address {
        street: format!("{} {street}", rng.range(1, 120)),
        postcode: town.postcode.to_string(),
        city: town.name.to_string(),
    }
}

fn draw_phone(rng: &mut Rng) -> String {
    let prefix = *rng.pick(&["03", "06", "07"]).unwrap_or(&"06");
    format!("{prefix}{:08}", rng.range(0, 99_999_999))
}

/// A 13-digit NIR-like number and its key, 15 digits in all.
fn nir_with_key(rng: &mut Rng, sex: DemoSex, birth: &jiff::civil::Date, town: &Town) -> String {
    let sex_digit = if sex == DemoSex::Male { 1 } else { 2 };
    let year = i64::from(birth.year()).rem_euclid(100);
    let digits = format!(
        "{sex_digit}{year:02}{:02}{}{:03}",
        birth.month(),
        town.insee,
        rng.range(1, 999)
    );
    let number: u64 = digits.parse().unwrap_or(0);
    format!("{digits}{:02}", nir_key(number))
}

fn luhn_key(digits: &str) -> u32 {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

fn draw_problems(rng: &mut Rng, profile: &UnitProfile, age: u32) -> Vec<&'static Problem> {
    let mut problems: Vec<&'static Problem> = Vec::new();
    if let Some(primary) = rng.pick(profile.problems) {
        problems.push(primary);
    }
    let extra = match profile.population {
        Population::Child | Population::Maternity => rng.range(0, 1),
        _ if age >= 60 => rng.range(1, 3),
        _ => rng.range(0, 2),
    };
    let pool = match profile.population {
        Population::Child | Population::Maternity => profile.problems,
        _ => catalog::COMORBIDITIES,
    };
    for _ in 0..extra {
        if let Some(p) = rng.pick(pool)
            && !problems.iter().any(|q| q.code == p.code)
        {
            problems.push(p);
        }
    }
    problems
}

fn draw_allergies(rng: &mut Rng) -> Vec<DemoAllergy> {
    let count = rng.weighted(&[55, 28, 12, 5]);
    let mut allergies: Vec<DemoAllergy> = Vec::new();
    for _ in 0..count {
        if let Some(allergy) = draw_allergy(rng, &allergies) {
            allergies.push(allergy);
        }
    }
    allergies
}

/// One more allergy, different from those already known.
pub(crate) fn draw_allergy(rng: &mut Rng, known: &[DemoAllergy]) -> Option<DemoAllergy> {
    let allergen = rng.pick(catalog::ALLERGENS)?;
    if known.iter().any(|a| a.allergen.code == allergen.code) {
        return None;
    }
    let (reaction, severity) = *rng.pick(allergen.reactions)?;
    Some(DemoAllergy {
        allergen,
        reaction,
        severity,
    })
}

/// Whether `drug` is safe given `allergies`.
pub(crate) fn compatible(drug: &Drug, allergies: &[DemoAllergy]) -> bool {
    drug.class
        .is_none_or(|class| !allergies.iter().any(|a| a.allergen.class == Some(class)))
}

fn draw_prescriptions(
    rng: &mut Rng,
    profile: &UnitProfile,
    allergies: &[DemoAllergy],
    ids: &mut Counters,
    admitted: &Zoned,
    now: &Zoned,
) -> Vec<DemoPrescription> {
    let mut candidates: Vec<&'static Drug> = profile.drugs.iter().collect();
    if !matches!(profile.population, Population::Child) {
        candidates.extend(catalog::base_drugs().iter());
    }
    candidates.retain(|d| compatible(d, allergies));
    rng.shuffle(&mut candidates);
    let mut chosen: Vec<&'static Drug> = Vec::new();
    let wanted = match profile.population {
        Population::Child => rng.range(2, 4),
        _ => rng.range(2, 8),
    } as usize;
    for drug in candidates {
        if chosen.len() < wanted && !chosen.iter().any(|c| c.name == drug.name) {
            chosen.push(drug);
        }
    }
    let span = minutes_between(admitted, now);
    chosen
        .into_iter()
        .map(|drug| {
            let start = clock::minutes_before(now, rng.range(0, span) as i64);
            DemoPrescription {
                order_number: ids.next_order(),
                drug,
                start: clock::hl7_timestamp(&start),
            }
        })
        .collect()
}

fn draw_care_plan(
    rng: &mut Rng,
    profile: &UnitProfile,
    problems: &[&Problem],
    age: u32,
) -> DemoCarePlan {
    let mut activities: Vec<&'static str> = Vec::new();
    if problems.iter().any(|p| p.code.starts_with("E11")) {
        activities.push(catalog::GLYCEMIA_ACTIVITY);
    }
    if age >= 75 {
        activities.extend(rng.pick(catalog::ELDERLY_ACTIVITIES));
    }
    let wanted = rng.range(2, 5) as usize;
    let mut pool: Vec<&'static str> = profile.activities.to_vec();
    rng.shuffle(&mut pool);
    let mut general: Vec<&'static str> = catalog::GENERAL_ACTIVITIES.to_vec();
    rng.shuffle(&mut general);
    for activity in pool.into_iter().chain(general) {
        if activities.len() < wanted && !activities.contains(&activity) {
            activities.push(activity);
        }
    }
    let title = problems.first().map_or_else(
        || format!("Plan de soins - {}", profile.name),
        |p| format!("Plan de soins - {}", p.label),
    );
    DemoCarePlan { title, activities }
}

fn has(problems: &[&Problem], prefixes: &[&str]) -> bool {
    problems
        .iter()
        .any(|p| prefixes.iter().any(|x| p.code.starts_with(x)))
}

/// Draws a set of vital signs taken at `time`.
pub(crate) fn draw_vitals(
    rng: &mut Rng,
    problems: &[&Problem],
    age: u32,
    profile: &UnitProfile,
    time: &str,
) -> Vec<DemoObservation> {
    let febrile = has(
        problems,
        &["A41", "J18", "N39", "N10", "L03", "R50", "D70", "J21"],
    ) && rng.chance(0.6);
    let respiratory = has(problems, &["J44", "J18", "J96", "J21", "J45"]);
    let child = age < 16;
    let temperature = if febrile {
        rng.float(38.0, 39.6)
    } else {
        rng.float(36.3, 37.6)
    };
    let heart_rate = match (child, febrile) {
        (true, _) => rng.float(85.0, 150.0),
        (false, true) => rng.float(92.0, 125.0),
        (false, false) => rng.float(58.0, 98.0),
    };
    let systolic = rng.float(100.0, 155.0);
    let diastolic = (systolic * rng.float(0.52, 0.65)).max(45.0);
    let spo2 = if respiratory {
        rng.float(87.0, 95.0)
    } else {
        rng.float(94.0, 99.9)
    };
    let resp_rate = if respiratory {
        rng.float(20.0, 30.0)
    } else {
        rng.float(12.0, 19.0)
    };
    let surgical = matches!(profile.code, "CHIRDIG" | "ORTHO" | "CHIRVASC" | "UROLOGIE");
    let pain = if surgical {
        rng.range(1, 7)
    } else {
        rng.range(0, 4)
    } as f64;
    let weight = if child {
        3.5 + f64::from(age) * 3.2 + rng.float(0.0, 4.0)
    } else {
        rng.float(48.0, 105.0)
    };
    let ranged = !child;
    let obs = |measure: &'static Measure, value: f64, ranged: bool| DemoObservation {
        measure,
        value,
        time: time.to_string(),
        ranged,
    };
    vec![
        obs(&catalog::TEMPERATURE, temperature, true),
        obs(&catalog::HEART_RATE, heart_rate, ranged),
        obs(&catalog::SYSTOLIC, systolic, ranged),
        obs(&catalog::DIASTOLIC, diastolic, ranged),
        obs(&catalog::SPO2, spo2, true),
        obs(&catalog::RESP_RATE, resp_rate, ranged),
        obs(&catalog::PAIN, pain, true),
        obs(&catalog::WEIGHT, weight, false),
    ]
}

/// Draws a blood panel sampled at `time`, disturbed by the patient's problems.
pub(crate) fn draw_labs(rng: &mut Rng, problems: &[&Problem], time: &str) -> Vec<DemoObservation> {
    let infected = has(
        problems,
        &[
            "A41", "J18", "N39", "N10", "L03", "K35", "K80", "A04", "K85",
        ],
    );
    let renal = has(problems, &["N17", "N18"]);
    let anemic = has(problems, &["D50", "K92", "O72", "C"]);
    let diabetic = has(problems, &["E11"]);
    let neutropenic = has(problems, &["D70"]);
    let hemoglobin = if anemic {
        rng.float(7.2, 10.8)
    } else {
        rng.float(11.6, 15.8)
    };
    let leukocytes = match (neutropenic, infected) {
        (true, _) => rng.float(0.2, 1.4),
        (false, true) => rng.float(11.0, 22.0),
        (false, false) => rng.float(4.5, 9.8),
    };
    let creatinine = if renal {
        rng.float(140.0, 620.0)
    } else {
        rng.float(50.0, 110.0)
    };
    let potassium = if renal {
        rng.float(4.8, 6.3)
    } else {
        rng.float(3.3, 4.9)
    };
    let sodium = if has(problems, &["E87.1"]) {
        rng.float(121.0, 131.0)
    } else {
        rng.float(134.0, 144.0)
    };
    let crp = if infected {
        rng.float(40.0, 280.0)
    } else {
        rng.float(0.5, 8.0)
    };
    let glucose = if diabetic {
        rng.float(7.5, 16.0)
    } else {
        rng.float(4.2, 6.4)
    };
    let platelets = rng.float(140.0, 390.0);
    let obs = |measure: &'static Measure, value: f64| DemoObservation {
        measure,
        value,
        time: time.to_string(),
        ranged: true,
    };
    vec![
        obs(&catalog::HEMOGLOBIN, hemoglobin),
        obs(&catalog::LEUKOCYTES, leukocytes),
        obs(&catalog::PLATELETS, platelets),
        obs(&catalog::SODIUM, sodium),
        obs(&catalog::POTASSIUM, potassium),
        obs(&catalog::CREATININE, creatinine),
        obs(&catalog::CRP, crp),
        obs(&catalog::GLUCOSE, glucose),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nir_key_is_97_minus_remainder() {
        // 1 84 12 75 056 123: 1841275056123 mod 97 = 42 (checked with Python).
        assert_eq!(nir_key(1_841_275_056_123), 55);
        assert_eq!(nir_key(97), 97);
    }

    #[test]
    fn luhn_key_matches_known_value() {
        // 7992739871 has Luhn check digit 3.
        assert_eq!(luhn_key("7992739871"), 3);
    }

    #[test]
    fn flags_follow_the_printed_value() {
        let obs = DemoObservation {
            measure: &catalog::POTASSIUM,
            value: 5.04,
            time: String::new(),
            ranged: true,
        };
        assert_eq!(obs.value_text(), "5.0");
        assert_eq!(obs.flag(), "N");
        assert_eq!(obs.range_text(), "3.5-5.0");
        let high = DemoObservation {
            value: 5.2,
            ..obs.clone()
        };
        assert_eq!(high.flag(), "H");
        let weight = DemoObservation {
            measure: &catalog::WEIGHT,
            ..obs
        };
        assert_eq!((weight.flag(), weight.range_text().as_str()), ("", ""));
    }

    #[test]
    fn prescriptions_avoid_the_patient_allergies() {
        let allergy = DemoAllergy {
            allergen: &catalog::ALLERGENS[0],
            reaction: "Urticaire",
            severity: Severity::Moderate,
        };
        let amoxicilline = catalog::UNITS
            .iter()
            .flat_map(|u| u.drugs.iter())
            .find(|d| d.class == Some("penicillin"))
            .expect("a penicillin in the catalog");
        assert!(!compatible(amoxicilline, std::slice::from_ref(&allergy)));
        assert!(compatible(amoxicilline, &[]));
    }
}
