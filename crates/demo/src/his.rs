//! The simulated HIS's state machine: who lies in which bed, and what the
//! HIS says next.
//!
//! [`HisState::next_message`] is a pure function of the state, its PRNG and
//! the time it is given, so the stream can be tested without sockets. Each
//! message is applied to the state as it is produced: the census the
//! messages describe is always the census the state holds (never two
//! patients in one bed, never a discharge of someone absent).
//!
//! [`HisState::new`] starts from the generated census; [`HisState::resume`]
//! (in `his/resume.rs`) starts from the census a node's store holds after earlier
//! runs, so that a restarted demo goes on from where the node is.

use crate::catalog::{self, Population};
use crate::clock;
use crate::establishment::{Establishment, lab_panels, vitals_panel};
use crate::messages::{self, Header, Movement};
use crate::patient::{
    self, Arrival, Counters, DemoPatient, DemoPrescription, DemoSex, DemoUnit, Location,
    compatible, draw_allergy, new_patient,
};
use crate::rng::Rng;
use jiff::Zoned;
use std::collections::{HashMap, HashSet};

mod resume;

pub use resume::Occupancy;

/// Prescriptions kept per patient before new orders stop being drawn.
const MAX_PRESCRIPTIONS: usize = 12;

/// What the HIS does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Admit,
    Transfer,
    Discharge,
    Update,
    Prescribe,
    Vitals,
    Labs,
}

/// A patient in house and the bed they hold.
#[derive(Debug, Clone)]
struct Resident {
    patient: DemoPatient,
    unit: usize,
    bed: usize,
    /// Whether `patient.allergies` is the whole list. False for a patient
    /// adopted from the node's store, whose allergies the HIS never heard
    /// of: only drugs no allergy rules out are ordered for them.
    allergies_known: bool,
}

/// Per (unit code, room, bed): the unit's index and the bed's index in it.
type BedIndex<'a> = HashMap<(&'a str, &'a str, &'a str), (usize, usize)>;

/// The simulated HIS: units, beds, residents, and identifier counters.
#[derive(Clone)]
pub struct HisState {
    rng: Rng,
    ids: Counters,
    units: Vec<DemoUnit>,
    /// Per unit, per bed: index into `residents`.
    beds: Vec<Vec<Option<usize>>>,
    residents: Vec<Resident>,
    target_occupancy: f64,
    last_now: Zoned,
    /// Every IPP issued so far, initial patients included.
    issued_ipps: HashSet<String>,
    /// Visit numbers known to be in use, so that an admission never takes
    /// one (the stream's own numbers never repeat; these guard against the
    /// numbers of stays found in the store on resuming).
    issued_visits: HashSet<String>,
}

impl HisState {
    /// The HIS as it stands after the establishment's initial load.
    ///
    /// `stream_seed` drives the stream and tags its identifiers (control ids,
    /// movements, orders), so that two runs with different seeds never reuse
    /// a control id. To restart on a data folder that already holds the
    /// initial load and earlier streams, use [`HisState::resume`].
    pub fn new(establishment: &Establishment, stream_seed: u64) -> Self {
        let mut state = Self::empty(establishment, stream_seed);
        let index = bed_index(&establishment.demo_units);
        for patient in &establishment.patients {
            let loc = &patient.location;
            let key = (loc.unit.as_str(), loc.room.as_str(), loc.bed.as_str());
            if let Some(&(unit, bed)) = index.get(&key)
                && state.beds[unit][bed].is_none()
            {
                state.place(patient.clone(), (unit, bed), true);
            }
        }
        state
    }

    /// The establishment's units with every bed free, the initial patients'
    /// IPPs and visit numbers marked as issued, and the stream's PRNG and
    /// counters seeded from `stream_seed`.
    fn empty(establishment: &Establishment, stream_seed: u64) -> Self {
        let units = establishment.demo_units.clone();
        let beds = units.iter().map(|u| vec![None; u.beds.len()]).collect();
        let mut rng = Rng::new(stream_seed ^ 0x005E_ED0F_4115);
        let tag = format!("{:04X}", stream_seed & 0xFFFF);
        let ids = Counters {
            tag,
            ipp: 10_000_000 + rng.range(0, 89_000_000),
            ipp_step: 104_729,
            visit: 500_000_000 + rng.range(0, 400_000) * 1000,
            movement: 0,
            order: 0,
            result: 0,
            message: 0,
        };
        let patients = &establishment.patients;
        HisState {
            rng,
            ids,
            units,
            beds,
            residents: Vec::with_capacity(patients.len()),
            target_occupancy: establishment.occupancy,
            last_now: establishment.now.clone(),
            issued_ipps: patients.iter().map(|p| p.ipp.clone()).collect(),
            issued_visits: patients.iter().map(|p| p.visit_number.clone()).collect(),
        }
    }

    /// Lays `patient` in the free bed `(unit, bed)`.
    fn place(&mut self, patient: DemoPatient, (unit, bed): (usize, usize), allergies_known: bool) {
        self.beds[unit][bed] = Some(self.residents.len());
        self.residents.push(Resident {
            patient,
            unit,
            bed,
            allergies_known,
        });
    }

    /// Beds in the establishment.
    pub fn total_beds(&self) -> usize {
        self.beds.iter().map(Vec::len).sum()
    }

    /// Beds with a patient.
    pub fn occupied_beds(&self) -> usize {
        self.residents.len()
    }

    /// Who is where: each resident's location and IPP.
    pub fn census(&self) -> Vec<(Location, String)> {
        self.residents
            .iter()
            .map(|r| (r.patient.location.clone(), r.patient.ipp.clone()))
            .collect()
    }

    /// The next message of the stream, at `now` (an HL7 timestamp with
    /// offset, `YYYYMMDDHHMMSS+ZZZZ`), already applied to the state.
    pub fn next_message(&mut self, now: &str) -> String {
        if let Some(parsed) = parse_hl7(now) {
            self.last_now = parsed;
        }
        let now = clock::hl7_timestamp(&self.last_now);
        let action = self.choose_action();
        let produced = match action {
            Action::Admit => self.admit(&now),
            Action::Transfer => self.transfer(&now),
            Action::Discharge => self.discharge(&now),
            Action::Update => self.update(&now),
            Action::Prescribe => self.prescribe(&now),
            Action::Vitals | Action::Labs => None,
        };
        match (produced, action) {
            (Some(message), _) => message,
            (None, Action::Labs) => self.labs(&now).unwrap_or_else(|| self.fallback(&now)),
            (None, _) => self.vitals(&now).unwrap_or_else(|| self.fallback(&now)),
        }
    }

    fn choose_action(&mut self) -> Action {
        let total = self.total_beds().max(1) as f64;
        let occupancy = self.residents.len() as f64 / total;
        let free = self.total_beds() > self.residents.len();
        let any = !self.residents.is_empty();
        let below = occupancy < self.target_occupancy;
        let table = [
            (
                Action::Admit,
                if free { if below { 12 } else { 5 } } else { 0 },
            ),
            (
                Action::Discharge,
                if any { if below { 5 } else { 12 } } else { 0 },
            ),
            (Action::Transfer, if any && free { 5 } else { 0 }),
            (Action::Update, if any { 4 } else { 0 }),
            (Action::Prescribe, if any { 14 } else { 0 }),
            (Action::Vitals, if any { 40 } else { 0 }),
            (Action::Labs, if any { 15 } else { 0 }),
        ];
        let weights: Vec<u32> = table.iter().map(|(_, w)| *w).collect();
        table[self.rng.weighted(&weights)].0
    }

    fn header(&mut self, now: &str) -> Header {
        Header {
            control_id: self.ids.next_control_id('S'),
            time: now.to_string(),
        }
    }

    fn movement(&mut self, now: &str) -> Movement {
        Movement {
            id: self.ids.next_movement(),
            time: now.to_string(),
        }
    }

    /// A random free bed among the units `accepts` lets through (units with
    /// more free beds are likelier).
    fn free_bed(&mut self, accepts: impl Fn(usize) -> bool) -> Option<(usize, usize)> {
        let free: Vec<(usize, usize)> = self
            .beds
            .iter()
            .enumerate()
            .filter(|(u, _)| accepts(*u))
            .flat_map(|(u, beds)| {
                beds.iter()
                    .enumerate()
                    .filter(|(_, o)| o.is_none())
                    .map(move |(b, _)| (u, b))
            })
            .collect();
        self.rng.pick(&free).copied()
    }

    fn random_resident(&mut self) -> Option<usize> {
        (!self.residents.is_empty()).then(|| self.rng.index(self.residents.len()))
    }

    // FIXME(issue 2): patients admitted by the stream get no FHIR CarePlan,
    // because the simulated HIS only speaks MLLP; only the initial census has
    // care plans.
    fn admit(&mut self, now: &str) -> Option<String> {
        let (unit, bed) = self.free_bed(|_| true)?;
        let mut patient = new_patient(
            &mut self.rng,
            &self.units[unit],
            bed,
            &mut self.ids,
            &self.last_now,
            Arrival::JustAdmitted,
        );
        // A long run may come back to an IPP already issued: skip it.
        while !self.issued_ipps.insert(patient.ipp.clone()) {
            patient.ipp = self.ids.next_ipp();
        }
        while !self.issued_visits.insert(patient.visit_number.clone()) {
            patient.visit_number = self.ids.next_visit();
        }
        let header = self.header(now);
        let movement = self.movement(now);
        let message = messages::admission(&header, &patient, &movement);
        self.place(patient, (unit, bed), true);
        Some(message)
    }

    fn transfer(&mut self, now: &str) -> Option<String> {
        let who = self.random_resident()?;
        let current_unit = self.residents[who].unit;
        let (age, sex) = (
            self.residents[who].patient.age,
            self.residents[who].patient.sex,
        );
        let profiles: Vec<Population> = self.units.iter().map(|u| u.profile.population).collect();
        let fits = |u: usize| admits(profiles[u], age, sex);
        let (unit, bed) = if self.rng.chance(0.4) {
            self.free_bed(|u| u == current_unit)
        } else {
            None
        }
        .or_else(|| self.free_bed(fits))?;
        let from = self.residents[who].patient.location.clone();
        let old = (self.residents[who].unit, self.residents[who].bed);
        self.beds[old.0][old.1] = None;
        self.beds[unit][bed] = Some(who);
        let target = &self.units[unit];
        let new_physician = (unit != current_unit)
            .then(|| self.rng.pick(&target.physicians).cloned())
            .flatten();
        let resident = &mut self.residents[who];
        resident.unit = unit;
        resident.bed = bed;
        let p = &mut resident.patient;
        settle(p, target, bed);
        if let Some(physician) = new_physician {
            p.attending = physician;
        }
        let header = self.header(now);
        let movement = self.movement(now);
        Some(messages::transfer(
            &header,
            &self.residents[who].patient,
            &from,
            &movement,
        ))
    }

    fn discharge(&mut self, now: &str) -> Option<String> {
        let who = self.random_resident()?;
        let header = self.header(now);
        let movement = self.movement(now);
        let message = messages::discharge(&header, &self.residents[who].patient, &movement);
        let gone = self.residents.swap_remove(who);
        self.beds[gone.unit][gone.bed] = None;
        // The resident that took index `who` must point its bed at it.
        if let Some(moved) = self.residents.get(who) {
            self.beds[moved.unit][moved.bed] = Some(who);
        }
        Some(message)
    }

    fn update(&mut self, now: &str) -> Option<String> {
        let who = self.random_resident()?;
        let choice = self.rng.weighted(&[4, 3, 3]);
        let rng = &mut self.rng;
        let p = &mut self.residents[who].patient;
        let added = if choice == 2 && p.allergies.len() < 3 {
            draw_allergy(rng, &p.allergies)
                .map(|a| p.allergies.push(a))
                .is_some()
        } else {
            false
        };
        if !added {
            if choice == 1 && p.address.city.is_empty() {
                // An adopted patient's address is unknown: the HIS gives a whole one.
                p.address = patient::draw_address(rng);
            } else if choice == 1 {
                let street = rng.pick(catalog::STREETS).copied().unwrap_or("rue Pasteur");
                p.address.street = format!("{} {street}", rng.range(1, 120));
            } else {
                p.phone = format!("06{:08}", rng.range(0, 99_999_999));
            }
        }
        let header = self.header(now);
        Some(messages::update(&header, &self.residents[who].patient))
    }

    fn prescribe(&mut self, now: &str) -> Option<String> {
        let who = self.random_resident()?;
        let unit = self.units[self.residents[who].unit].profile;
        let allergies_known = self.residents[who].allergies_known;
        let patient = &self.residents[who].patient;
        if patient.prescriptions.len() >= MAX_PRESCRIPTIONS {
            return None;
        }
        let base = if unit.population == Population::Child {
            &[][..]
        } else {
            catalog::base_drugs()
        };
        let candidates: Vec<&'static catalog::Drug> = unit
            .drugs
            .iter()
            .chain(base)
            .filter(|d| compatible(d, &patient.allergies))
            .filter(|d| allergies_known || d.class.is_none())
            .filter(|d| {
                !patient
                    .prescriptions
                    .iter()
                    .any(|rx| rx.drug.name == d.name)
            })
            .collect();
        let drug = *self.rng.pick(&candidates)?;
        let rx = DemoPrescription {
            order_number: self.ids.next_order(),
            drug,
            start: now.to_string(),
        };
        let header = self.header(now);
        let message = messages::prescription(&header, &self.residents[who].patient, &rx);
        self.residents[who].patient.prescriptions.push(rx);
        Some(message)
    }

    fn vitals(&mut self, now: &str) -> Option<String> {
        let who = self.random_resident()?;
        let unit = self.units[self.residents[who].unit].profile;
        let p = &self.residents[who].patient;
        let vitals = patient::draw_vitals(&mut self.rng, &p.problems, p.age, unit, now);
        let header = self.header(now);
        let panel = vitals_panel(&mut self.ids, &vitals);
        let message = messages::results(&header, &self.residents[who].patient, &[panel]);
        self.residents[who].patient.vitals = vitals;
        Some(message)
    }

    fn labs(&mut self, now: &str) -> Option<String> {
        let who = self.random_resident()?;
        let labs = patient::draw_labs(&mut self.rng, &self.residents[who].patient.problems, now);
        let header = self.header(now);
        let panels = lab_panels(&mut self.ids, &labs);
        let message = messages::results(&header, &self.residents[who].patient, &panels);
        self.residents[who].patient.labs = labs;
        Some(message)
    }

    /// With nobody in house and no free bed (an establishment without beds),
    /// the HIS can only say it is alive.
    fn fallback(&mut self, now: &str) -> String {
        let header = self.header(now);
        self.admit(now).unwrap_or_else(|| {
            crate::hl7::message(vec![format!(
                "MSH|^~\\&|{}|{}|CKISA|{}|{now}||ADT^A08^ADT_A01|{}|P|2.5|||||FRA|UNICODE UTF-8|FR",
                messages::SENDING_APPLICATION,
                messages::FACILITY,
                messages::FACILITY,
                header.control_id
            )])
        })
    }
}

impl std::fmt::Debug for HisState {
    /// A summary: the full state holds every patient's record.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HisState")
            .field("occupied_beds", &self.occupied_beds())
            .field("total_beds", &self.total_beds())
            .field("messages", &self.ids.message)
            .field("now", &self.last_now)
            .finish_non_exhaustive()
    }
}

/// Where each bed of `units` is, by its labels.
fn bed_index(units: &[DemoUnit]) -> BedIndex<'_> {
    units
        .iter()
        .enumerate()
        .flat_map(|(u, unit)| {
            unit.beds.iter().enumerate().map(move |(b, (room, bed))| {
                ((unit.profile.code, room.as_str(), bed.as_str()), (u, b))
            })
        })
        .collect()
}

/// Points `patient`'s location, UF and unit name at bed `bed` of `unit`.
fn settle(patient: &mut DemoPatient, unit: &DemoUnit, bed: usize) {
    let (room, bed_label) = unit.beds.get(bed).cloned().unwrap_or_default();
    patient.location = Location {
        unit: unit.profile.code.to_string(),
        room,
        bed: bed_label,
    };
    patient.uf = unit.profile.uf.to_string();
    patient.unit_name = unit.profile.name.to_string();
}

/// Whether a unit receiving `population` takes a patient of this age and sex
/// (no adult in pediatrics, no man in maternity, no child in geriatrics).
fn admits(population: Population, age: u32, sex: DemoSex) -> bool {
    match population {
        Population::Child => age < 18,
        Population::Maternity => sex == DemoSex::Female && (16..=50).contains(&age),
        Population::Elderly => age >= 70,
        Population::Adult | Population::YoungAdult => age >= 16,
    }
}

/// Reads `YYYYMMDDHHMMSS+ZZZZ` into Europe/Paris time.
fn parse_hl7(text: &str) -> Option<Zoned> {
    let parsed = jiff::fmt::strtime::parse("%Y%m%d%H%M%S%z", text).ok()?;
    Some(parsed.to_zoned().ok()?.with_time_zone(clock::paris()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_hl7_reads_offset_times() {
        let t = parse_hl7("20261204153000+0100").expect("valid time");
        assert_eq!(clock::hl7_timestamp(&t), "20261204153000+0100");
        assert!(parse_hl7("2026").is_none());
    }
}
