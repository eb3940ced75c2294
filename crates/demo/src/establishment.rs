//! The demo establishment: its units and beds, the patients in house, and
//! the initial load (HL7 v2 messages, FHIR care plans, configuration) that
//! `ckisa demo` ingests before the simulated HIS starts streaming.

use crate::catalog::{self, UnitProfile};
use crate::clock;
use crate::config::config_toml;
use crate::fhir;
use crate::messages::{self, Header, Movement, Panel};
use crate::patient::{Arrival, Counters, DemoPatient, DemoUnit, draw_physician, new_patient};
use crate::rng::Rng;
use ckisa_store::UnitDefinition;
use jiff::Zoned;
use std::collections::HashMap;

/// How to build the demo establishment.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Establishment name.
    pub site_name: String,
    /// FINESS-like number.
    pub finess: String,
    /// The present moment of the demo, Europe/Paris: admissions, results and
    /// message times are placed before it.
    pub now: Zoned,
    /// Beds in the whole establishment, spread over the 20 units in the
    /// proportions of the default 600.
    pub total_beds: u32,
    /// Share of occupied beds, 0.0 to 1.0.
    pub occupancy: f64,
    /// Address the node's MLLP feed listens on, written in the config.
    pub listen: String,
}

impl DemoOptions {
    /// 600 beds at 85 %, seen at `now`.
    pub fn at(now: Zoned) -> Self {
        DemoOptions {
            site_name: "Centre hospitalier de démonstration".to_string(),
            finess: "210987654".to_string(),
            now,
            total_beds: 600,
            occupancy: 0.85,
            listen: "127.0.0.1:2575".to_string(),
        }
    }
}

impl Default for DemoOptions {
    /// 600 beds at 85 %, seen now (the wall clock, in Paris): admissions and
    /// results fall in the hours and days before the demo starts. Use
    /// [`DemoOptions::at`] for a reproducible moment.
    fn default() -> Self {
        DemoOptions::at(clock::now_paris())
    }
}

/// A generated establishment and its initial state.
#[derive(Debug, Clone)]
pub struct Establishment {
    /// Establishment name.
    pub name: String,
    /// FINESS-like number.
    pub finess: String,
    /// Units and beds, for [`ckisa_store::Store::define_units`].
    pub units: Vec<UnitDefinition>,
    /// Documented TOML configuration of the demo site.
    pub config_toml: String,
    /// HL7 v2.5 messages (CR-terminated segments) describing who is in house:
    /// per patient an ADT^A01, one RDE^O11 per prescription, then ORU^R01
    /// vital signs and lab results.
    pub initial_messages: Vec<String>,
    /// FHIR R4 JSON resources: one CarePlan per patient.
    pub initial_fhir: Vec<String>,
    /// The patients in house.
    pub patients: Vec<DemoPatient>,
    /// Units as the simulated HIS runs them (beds, physicians).
    pub demo_units: Vec<DemoUnit>,
    /// Target occupancy the simulated HIS keeps.
    pub occupancy: f64,
    /// The demo's present moment.
    pub now: Zoned,
    /// Seed the establishment was generated from.
    pub seed: u64,
}

/// Generates the demo establishment for `seed`: the same seed and options
/// give the same output, byte for byte.
pub fn generate(seed: u64, options: &DemoOptions) -> Establishment {
    let mut rng = Rng::new(seed);
    let now = options
        .now
        .with()
        .subsec_nanosecond(0)
        .build()
        .unwrap_or_else(|_| options.now.clone());
    let demo_units = build_units(&mut rng, options.total_beds);
    let mut ids = Counters {
        tag: format!("{:04X}", seed & 0xFFFF),
        ipp: 10_000_000 + rng.range(0, 1_000_000),
        ipp_step: 7919,
        visit: 100_000_000 + rng.range(0, 10_000) * 1000,
        movement: 0,
        order: 0,
        result: 0,
        message: 0,
    };
    let mut patients = Vec::new();
    for unit in &demo_units {
        for bed in occupied_beds(&mut rng, unit, options.occupancy) {
            patients.push(new_patient(
                &mut rng,
                unit,
                bed,
                &mut ids,
                &now,
                Arrival::AlreadyInHouse,
            ));
        }
    }
    let mut initial_messages = Vec::with_capacity(patients.len() * 8);
    for patient in &patients {
        initial_messages.extend(initial_messages_of(patient, &mut ids));
    }
    initial_messages.extend(appointments(
        &mut rng,
        &patients,
        &demo_units,
        &now,
        &mut ids,
    ));
    let initial_fhir = patients
        .iter()
        .map(|p| fhir::care_plan(p, &clock::hl7_to_fhir(&p.admitted_at)))
        .collect();
    Establishment {
        name: options.site_name.clone(),
        finess: options.finess.clone(),
        units: demo_units.iter().map(unit_definition).collect(),
        config_toml: config_toml(seed, options, &demo_units),
        initial_messages,
        initial_fhir,
        patients,
        demo_units,
        occupancy: options.occupancy.clamp(0.0, 1.0),
        now,
        seed,
    }
}

/// The 20 units with beds scaled to `total_beds`, rooms of one or two beds,
/// and their physicians.
fn build_units(rng: &mut Rng, total_beds: u32) -> Vec<DemoUnit> {
    let default_total: u32 = catalog::UNITS.iter().map(|u| u.beds).sum();
    // Units sharing a floor share its room numbering, so no room number repeats.
    let mut rooms_used: HashMap<u32, u32> = HashMap::new();
    catalog::UNITS
        .iter()
        .map(|profile| {
            let beds = (u64::from(profile.beds) * u64::from(total_beds)
                + u64::from(default_total) / 2)
                / u64::from(default_total.max(1));
            let first_room = rooms_used.entry(profile.floor).or_insert(0);
            let beds = build_beds(rng, profile, beds.max(1) as usize, first_room);
            let physicians = (0..2 + beds.len() / 12)
                .map(|_| draw_physician(rng))
                .collect();
            DemoUnit {
                profile,
                beds,
                physicians,
            }
        })
        .collect()
}

/// `count` beds in rooms of one or two, numbered on the unit's floor after
/// `room` (the last room number used on that floor, updated).
fn build_beds(
    rng: &mut Rng,
    profile: &UnitProfile,
    count: usize,
    room: &mut u32,
) -> Vec<(String, String)> {
    let mut beds = Vec::with_capacity(count);
    while beds.len() < count {
        *room += 1;
        let label = format!("{}{:02}", profile.floor, *room);
        let single = count - beds.len() == 1 || rng.chance(profile.single_rooms);
        beds.push((label.clone(), "A".to_string()));
        if !single {
            beds.push((label, "B".to_string()));
        }
    }
    beds
}

/// Indices of the beds to fill in `unit`, in bed order.
fn occupied_beds(rng: &mut Rng, unit: &DemoUnit, occupancy: f64) -> Vec<usize> {
    let share = (occupancy + rng.float(-0.05, 0.05)).clamp(0.0, 1.0);
    let wanted = (unit.beds.len() as f64 * share).round() as usize;
    let mut indices: Vec<usize> = (0..unit.beds.len()).collect();
    rng.shuffle(&mut indices);
    indices.truncate(wanted);
    indices.sort_unstable();
    indices
}

fn unit_definition(unit: &DemoUnit) -> UnitDefinition {
    UnitDefinition {
        code: unit.profile.code.to_string(),
        name: unit.profile.name.to_string(),
        beds: unit.beds.clone(),
    }
}

/// The messages that bring one patient into the node: admission, orders,
/// then vital signs and lab results.
fn initial_messages_of(patient: &DemoPatient, ids: &mut Counters) -> Vec<String> {
    let mut out = Vec::with_capacity(patient.prescriptions.len() + 3);
    let header = |ids: &mut Counters, time: &str| Header {
        control_id: ids.next_control_id('I'),
        time: time.to_string(),
    };
    let movement = Movement {
        id: ids.next_movement(),
        time: patient.admitted_at.clone(),
    };
    out.push(messages::admission(
        &header(ids, &patient.admitted_at),
        patient,
        &movement,
    ));
    for rx in &patient.prescriptions {
        out.push(messages::prescription(&header(ids, &rx.start), patient, rx));
    }
    if let Some(first) = patient.vitals.first() {
        let panel = vitals_panel(ids, &patient.vitals);
        out.push(messages::results(
            &header(ids, &first.time),
            patient,
            &[panel],
        ));
    }
    if let Some(first) = patient.labs.first() {
        let panels = lab_panels(ids, &patient.labs);
        out.push(messages::results(
            &header(ids, &first.time),
            patient,
            &panels,
        ));
    }
    let order = ids.next_order();
    out.push(messages::diet_order(
        &header(ids, &patient.admitted_at),
        patient,
        &order,
        diet_of(patient),
    ));
    out
}

/// The diet a patient's problems call for: nil by mouth before surgery or
/// with a bowel obstruction or pancreatitis, diabetic, low-salt (heart,
/// blood pressure, kidneys), texture-modified after a stroke or over 85,
/// otherwise the normal diet.
fn diet_of(patient: &DemoPatient) -> messages::DietCode {
    let has = |prefix: &str| patient.problems.iter().any(|p| p.code.starts_with(prefix));
    if has("K56") || has("K85") || has("S72") {
        ("NPO", "À jeun", true)
    } else if has("E11") || has("E10") {
        ("DIAB", "Diabétique", false)
    } else if has("I50") || has("I10") || has("N18") || has("N17") {
        ("HYPOSODE", "Pauvre en sel (hyposodé)", false)
    } else if has("I63") || has("I61") || has("I69") || patient.age >= 85 {
        ("MIXE", "Texture mixée", false)
    } else {
        ("NORMAL", "Normal", false)
    }
}

/// Outpatient clinics the demo books follow-up consultations in.
const CLINICS: [(&str, &str, &str); 5] = [
    (
        "CS-CARDIO",
        "Consultation de cardiologie",
        "Suivi après hospitalisation",
    ),
    (
        "CS-DIABETO",
        "Consultation de diabétologie",
        "Équilibre glycémique",
    ),
    (
        "CS-ORTHO",
        "Consultation de chirurgie orthopédique",
        "Contrôle post-opératoire",
    ),
    (
        "CS-PNEUMO",
        "Consultation de pneumologie",
        "Explorations fonctionnelles",
    ),
    (
        "CS-ANESTH",
        "Consultation d'anesthésie",
        "Consultation pré-anesthésique",
    ),
];

/// Follow-up consultations in the coming week for about a quarter of the
/// patients (SIU^S12), on working days between 08:30 and 17:00.
fn appointments(
    rng: &mut Rng,
    patients: &[DemoPatient],
    units: &[DemoUnit],
    now: &Zoned,
    ids: &mut Counters,
) -> Vec<String> {
    let physicians: Vec<_> = units.iter().flat_map(|u| u.physicians.iter()).collect();
    let mut out = Vec::new();
    for patient in patients {
        if !rng.chance(0.25) {
            continue;
        }
        let Some(&practitioner) = rng.pick(&physicians) else {
            break;
        };
        let clinic = CLINICS[rng.index(CLINICS.len())];
        let mut day = now
            .date()
            .saturating_add(jiff::Span::new().days(rng.range(1, 7) as i64));
        while matches!(
            day.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        ) {
            day = day.saturating_add(jiff::Span::new().days(1));
        }
        let slot = rng.range(0, 17) as i8; // half-hours from 08:30
        let start = day
            .at(8 + (slot + 1) / 2, if slot % 2 == 0 { 30 } else { 0 }, 0, 0)
            .to_zoned(now.time_zone().clone());
        let Ok(start) = start else { continue };
        let order = ids.next_order();
        let appointment = messages::DemoAppointment {
            id: format!("RDV{order}"),
            start: clock::hl7_timestamp(&start),
            minutes: if rng.chance(0.5) { 30 } else { 20 },
            clinic: (clinic.0, clinic.1),
            practitioner: practitioner.clone(),
            reason: clinic.2,
        };
        let header = Header {
            control_id: ids.next_control_id('I'),
            time: clock::hl7_timestamp(now),
        };
        out.push(messages::appointment(&header, patient, &appointment));
    }
    out
}

/// The vital signs panel of an ORU.
pub(crate) fn vitals_panel<'a>(
    ids: &mut Counters,
    vitals: &'a [crate::patient::DemoObservation],
) -> Panel<'a> {
    let (code, label) = catalog::VITALS_PANEL;
    Panel {
        code,
        label,
        section: "",
        placer: ids.next_order(),
        filler: ids.next_result(),
        observations: vitals,
    }
}

/// The blood count and chemistry panels of an ORU (first three results are
/// the blood count).
pub(crate) fn lab_panels<'a>(
    ids: &mut Counters,
    labs: &'a [crate::patient::DemoObservation],
) -> Vec<Panel<'a>> {
    let split = labs.len().min(3);
    let (cbc, chem) = labs.split_at(split);
    let mut panels = Vec::with_capacity(2);
    for ((code, label, section), observations) in
        [(catalog::CBC_PANEL, cbc), (catalog::CHEM_PANEL, chem)]
    {
        if !observations.is_empty() {
            panels.push(Panel {
                code,
                label,
                section,
                placer: ids.next_order(),
                filler: ids.next_result(),
                observations,
            });
        }
    }
    panels
}
