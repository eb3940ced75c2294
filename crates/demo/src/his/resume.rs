//! Resuming the simulated HIS from the census a node's store holds.
//!
//! `ckisa demo` keeps its data folder across restarts, and the previous
//! run's stream admitted, moved and discharged patients after the initial
//! load. Starting the HIS again from the generated census would admit into
//! beds the store shows taken, and move or discharge patients who left.
//! [`HisState::resume`] rebuilds the residents from the store's occupied
//! beds instead: an initial patient keeps the record the generator gave it,
//! and a patient an earlier stream admitted is adopted with a minimal record
//! built from what the store shows.

// FIXME(issue 2): the store's census shows only who is in house now, so
// two things a previous run did stay unknown: the IPPs and visit numbers of
// patients it discharged (a new admission may, rarely, reuse one: about one
// chance in 90 million per admission and per such IPP), and the changes its
// A08 updates made to initial patients (a later message re-sends their
// generated phone and address, and an allergy added then does not restrict
// new orders). Removing this needs the store's full patient list, not just
// the occupied beds.

use super::{HisState, bed_index, settle};
use crate::establishment::Establishment;
use crate::patient::{
    Address, DemoCarePlan, DemoPatient, DemoSex, DemoUnit, Location, age_on, draw_age_and_sex,
    draw_name, draw_physician,
};
use crate::rng::Rng;
use jiff::Zoned;
use jiff::civil::Date;
use std::collections::{HashMap, HashSet};

/// One occupied bed as the node's store shows it.
///
/// Holds patient data (demo patients only). The HIS re-sends the identity
/// fields in every message about the patient (PID-5, 7, 8 and PV1-19, 44),
/// so pass what the store knows: a field left `None` is filled with a
/// plausible value the node will then record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Occupancy {
    /// Unit code (PV1-3.1).
    pub unit: String,
    /// Room (PV1-3.2).
    pub room: String,
    /// Bed (PV1-3.3).
    pub bed: String,
    /// IPP of the occupant (PID-3 of type PI); a blank IPP skips the bed.
    pub ipp: String,
    /// Visit number of the stay (PV1-19.1), if known. Without it the node
    /// cannot tie the HIS's later messages to the stay it holds.
    pub visit: Option<String>,
    /// Family name, if known.
    pub family: Option<String>,
    /// Given name, if known.
    pub given: Option<String>,
    /// Sex, `'F'` or `'M'` (anything else counts as unknown).
    pub sex: Option<char>,
    /// Birth date as (year, month, day), if known.
    pub birth_date: Option<(i16, u8, u8)>,
    /// Admission time (PV1-44), HL7 timestamp, if known.
    pub admitted: Option<String>,
}

impl HisState {
    /// The HIS resumed from the census a node's store holds: the residents
    /// are exactly `occupied`, restricted to the establishment's beds.
    ///
    /// - An occupant whose IPP is an initial patient's keeps that patient's
    ///   whole record (allergies, problems, prescriptions...), moved to the
    ///   stored bed, with the stored visit number and admission time when
    ///   given.
    /// - Any other occupant (admitted by an earlier stream) is adopted: IPP,
    ///   visit, name, sex, birth date and admission time come from the
    ///   [`Occupancy`]; missing ones are drawn from a generator seeded by
    ///   the IPP, so that every resume adopts them alike. INS, address,
    ///   phone, allergies, problems and prescriptions stay empty, and the
    ///   HIS leaves unknown fields out of its messages; it orders only drugs
    ///   no allergy rules out for them.
    /// - A bed of an unknown unit, room or bed label, a blank IPP, a second
    ///   occupant of one bed, and a second bed of one IPP are skipped.
    ///
    /// Every IPP and visit number of `occupied` is marked as issued, so new
    /// admissions never reuse one. `stream_seed` plays the same part as in
    /// [`HisState::new`].
    pub fn resume(
        establishment: &Establishment,
        stream_seed: u64,
        occupied: &[Occupancy],
    ) -> HisState {
        let mut state = Self::empty(establishment, stream_seed);
        let index = bed_index(&establishment.demo_units);
        let initial: HashMap<&str, &DemoPatient> = establishment
            .patients
            .iter()
            .map(|p| (p.ipp.as_str(), p))
            .collect();
        let now = &establishment.now;
        let mut placed: HashSet<&str> = HashSet::new();
        let mut skipped = 0usize;
        for occupant in occupied {
            if occupant.ipp.trim().is_empty() {
                skipped += 1;
                continue;
            }
            state.issued_ipps.insert(occupant.ipp.clone());
            state.issued_visits.extend(known(&occupant.visit));
            let key = (
                occupant.unit.as_str(),
                occupant.room.as_str(),
                occupant.bed.as_str(),
            );
            // Unknown beds, taken beds and patients already placed are skipped.
            let Some(&(unit, bed)) = index.get(&key) else {
                skipped += 1;
                continue;
            };
            if state.beds[unit][bed].is_some() || !placed.insert(occupant.ipp.as_str()) {
                skipped += 1;
                continue;
            }
            let demo_unit = &state.units[unit];
            let (patient, allergies_known) = match initial.get(occupant.ipp.as_str()) {
                Some(patient) => (relocated(patient, occupant, demo_unit, bed), true),
                None => (adopted(occupant, demo_unit, bed, now), false),
            };
            state.issued_visits.insert(patient.visit_number.clone());
            state.place(patient, (unit, bed), allergies_known);
        }
        if skipped > 0 {
            tracing::warn!(
                skipped,
                resumed = state.residents.len(),
                "occupied beds left out of the resumed census (unknown bed, blank IPP or conflict)"
            );
        }
        state
    }

    /// Every resident as an [`Occupancy`], with all the HIS knows of the
    /// stay. [`HisState::resume`] on this list gives back the same census.
    pub fn occupants(&self) -> Vec<Occupancy> {
        self.residents
            .iter()
            .map(|r| occupancy_of(&r.patient))
            .collect()
    }
}

/// An initial patient moved to the stored bed, with the stored stay's
/// visit number and admission time when known.
fn relocated(
    patient: &DemoPatient,
    occupant: &Occupancy,
    unit: &DemoUnit,
    bed: usize,
) -> DemoPatient {
    let mut patient = patient.clone();
    if patient.location.unit != unit.profile.code {
        // Moved to another unit by an earlier stream: one of its physicians.
        let mut rng = identity_rng(&patient.ipp);
        if let Some(physician) = rng.pick(&unit.physicians) {
            patient.attending = physician.clone();
        }
    }
    settle(&mut patient, unit, bed);
    if let Some(visit) = known(&occupant.visit) {
        patient.visit_number = visit;
    }
    if let Some(admitted) = timestamp(&occupant.admitted) {
        patient.admitted_at = admitted;
    }
    patient
}

/// A patient an earlier stream admitted, rebuilt from the store's view.
///
/// Every draw happens whatever is known, from a generator seeded by the
/// IPP, so the same occupant is always adopted the same way.
fn adopted(occupant: &Occupancy, unit: &DemoUnit, bed: usize, now: &Zoned) -> DemoPatient {
    let mut rng = identity_rng(&occupant.ipp);
    let (drawn_sex, _, drawn_birth) = draw_age_and_sex(&mut rng, unit.profile.population, now);
    let sex = occupant.sex.and_then(sex_of).unwrap_or(drawn_sex);
    let (drawn_family, drawn_given) = draw_name(&mut rng, sex);
    let physician = rng.pick(&unit.physicians).cloned();
    let attending = physician.unwrap_or_else(|| draw_physician(&mut rng));
    let birth = occupant
        .birth_date
        .and_then(|date| birth_date(date, now))
        .unwrap_or(drawn_birth);
    let mut patient = DemoPatient {
        ipp: occupant.ipp.clone(),
        ins: String::new(),
        family: known(&occupant.family).unwrap_or(drawn_family),
        given: known(&occupant.given).unwrap_or(drawn_given),
        sex,
        birth_date: birth.strftime("%Y%m%d").to_string(),
        age: age_on(birth, now.date()),
        address: Address {
            street: String::new(),
            postcode: String::new(),
            city: String::new(),
        },
        phone: String::new(),
        visit_number: known(&occupant.visit).unwrap_or_else(|| derived_visit(&occupant.ipp)),
        location: Location {
            unit: String::new(),
            room: String::new(),
            bed: String::new(),
        },
        uf: String::new(),
        unit_name: String::new(),
        admitted_at: timestamp(&occupant.admitted).unwrap_or_default(),
        attending,
        allergies: Vec::new(),
        problems: Vec::new(),
        prescriptions: Vec::new(),
        care_plan: DemoCarePlan {
            title: format!("Plan de soins - {}", unit.profile.name),
            activities: Vec::new(),
        },
        vitals: Vec::new(),
        labs: Vec::new(),
    };
    settle(&mut patient, unit, bed);
    patient
}

/// What the HIS knows of a patient's stay, as an [`Occupancy`].
fn occupancy_of(patient: &DemoPatient) -> Occupancy {
    let text = |value: &str| (!value.is_empty()).then(|| value.to_string());
    Occupancy {
        unit: patient.location.unit.clone(),
        room: patient.location.room.clone(),
        bed: patient.location.bed.clone(),
        ipp: patient.ipp.clone(),
        visit: text(&patient.visit_number),
        family: text(&patient.family),
        given: text(&patient.given),
        sex: patient.sex.code().chars().next(),
        birth_date: parse_birth_date(&patient.birth_date),
        admitted: text(&patient.admitted_at),
    }
}

/// A generator for the data drawn about one patient, seeded by the IPP
/// alone (FNV-1a), so that it does not depend on the stream seed.
fn identity_rng(ipp: &str) -> Rng {
    let hash = ipp.bytes().fold(0xCBF2_9CE4_8422_2325u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01B3)
    });
    Rng::new(hash ^ 0x00AD_0975_ED00)
}

/// A 9-digit visit number for a stay whose number the store did not give,
/// in the 9xxxxxxxx range that neither the generator (1xxxxxxxx) nor the
/// stream (5xxxxxxxx to 8xxxxxxxx) uses.
fn derived_visit(ipp: &str) -> String {
    let number = identity_rng(ipp).range(0, 99_999_999);
    format!("9{number:08}")
}

/// The text of an optional field, when there is some.
fn known(value: &Option<String>) -> Option<String> {
    value.as_ref().filter(|v| !v.trim().is_empty()).cloned()
}

/// An HL7 timestamp safe to write as is: 8 to 24 digits with an optional
/// fraction and offset (no separator that would break the message).
fn timestamp(value: &Option<String>) -> Option<String> {
    let text = value.as_deref()?.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let plausible = (8..=24).contains(&text.len())
        && digits >= 8
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.'));
    plausible.then(|| text.to_string())
}

fn sex_of(code: char) -> Option<DemoSex> {
    match code.to_ascii_uppercase() {
        'F' => Some(DemoSex::Female),
        'M' => Some(DemoSex::Male),
        _ => None,
    }
}

/// A real date no later than today and no earlier than 1880.
fn birth_date((year, month, day): (i16, u8, u8), now: &Zoned) -> Option<Date> {
    let month = i8::try_from(month).ok()?;
    let day = i8::try_from(day).ok()?;
    let date = Date::new(year, month, day).ok()?;
    (year >= 1880 && date <= now.date()).then_some(date)
}

/// `YYYYMMDD` as (year, month, day).
fn parse_birth_date(text: &str) -> Option<(i16, u8, u8)> {
    let year = text.get(..4)?.parse().ok()?;
    let month = text.get(4..6)?.parse().ok()?;
    let day = text.get(6..8)?.parse().ok()?;
    Some((year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::establishment::{DemoOptions, generate};

    fn now() -> Zoned {
        jiff::civil::date(2026, 12, 4)
            .at(15, 30, 0, 0)
            .to_zoned(crate::clock::paris())
            .expect("valid time")
    }

    /// The initial census as a store shows it: beds and IPPs only.
    fn bare(est: &Establishment) -> Vec<Occupancy> {
        est.patients
            .iter()
            .map(|p| Occupancy {
                unit: p.location.unit.clone(),
                room: p.location.room.clone(),
                bed: p.location.bed.clone(),
                ipp: p.ipp.clone(),
                ..Occupancy::default()
            })
            .collect()
    }

    #[test]
    fn admissions_skip_the_ipps_and_visits_of_skipped_occupants() {
        let est = generate(4, &DemoOptions::at(now()));
        let probe = HisState::resume(&est, 9, &bare(&est));
        let mut ids = probe.ids.clone();
        let (next_ipp, next_visit) = (ids.next_ipp(), ids.next_visit());
        // A second occupant of a taken bed carries the numbers the stream
        // would issue next: skipped, but known to the store.
        let mut occupied = bare(&est);
        occupied.push(Occupancy {
            ipp: next_ipp.clone(),
            visit: Some(next_visit.clone()),
            ..occupied[0].clone()
        });
        let mut state = HisState::resume(&est, 9, &occupied);
        assert_eq!(state.census(), probe.census());
        assert!(state.admit("20261204160000+0100").is_some());
        let newcomer = &state.residents.last().expect("an admission").patient;
        assert_ne!(newcomer.ipp, next_ipp);
        assert_ne!(newcomer.visit_number, next_visit);
    }

    #[test]
    fn adopted_patients_get_only_drugs_no_allergy_rules_out() {
        let est = generate(4, &DemoOptions::at(now()));
        let unit = est
            .demo_units
            .iter()
            .find(|u| u.profile.drugs.iter().any(|d| d.class.is_some()))
            .expect("a unit with a drug of an allergy class");
        let occupant = Occupancy {
            unit: unit.profile.code.to_string(),
            room: unit.beds[0].0.clone(),
            bed: unit.beds[0].1.clone(),
            ipp: "77777777".to_string(),
            ..Occupancy::default()
        };
        let mut state = HisState::resume(&est, 9, &[occupant]);
        for _ in 0..200 {
            state.prescribe("20261204160000+0100");
        }
        let prescriptions = &state.residents[0].patient.prescriptions;
        assert!(prescriptions.len() >= 3, "{prescriptions:?}");
        assert!(prescriptions.iter().all(|rx| rx.drug.class.is_none()));
    }

    #[test]
    fn derived_visits_are_stable_nine_digit_numbers() {
        let visit = derived_visit("12345678");
        assert_eq!(visit, derived_visit("12345678"));
        assert_ne!(visit, derived_visit("12345679"));
        assert!(visit.len() == 9 && visit.starts_with('9'), "{visit}");
        assert!(visit.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn only_real_past_birth_dates_are_taken() {
        let now = now();
        assert_eq!(
            birth_date((1950, 2, 28), &now),
            Some(jiff::civil::date(1950, 2, 28))
        );
        assert_eq!(birth_date((1950, 2, 30), &now), None);
        assert_eq!(birth_date((1950, 200, 1), &now), None);
        assert_eq!(birth_date((2030, 1, 1), &now), None);
        assert_eq!(birth_date((1700, 1, 1), &now), None);
    }

    #[test]
    fn timestamps_that_could_break_a_message_are_dropped() {
        let ts = |s: &str| timestamp(&Some(s.to_string()));
        assert_eq!(
            ts("20261204153000+0100").as_deref(),
            Some("20261204153000+0100")
        );
        assert_eq!(ts("20261204").as_deref(), Some("20261204"));
        assert_eq!(ts("2026|1204"), None);
        assert_eq!(ts("2026"), None);
        assert_eq!(ts("hier"), None);
        assert_eq!(timestamp(&None), None);
    }

    #[test]
    fn an_adopted_patient_keeps_what_the_store_knows() {
        let est = generate(4, &DemoOptions::at(now()));
        let unit = &est.demo_units[0];
        let occupant = Occupancy {
            unit: unit.profile.code.to_string(),
            room: unit.beds[0].0.clone(),
            bed: unit.beds[0].1.clone(),
            ipp: "77777777".to_string(),
            visit: Some("512345678".to_string()),
            family: Some("Lefèvre".to_string()),
            given: Some("Inès".to_string()),
            sex: Some('f'),
            birth_date: Some((1961, 3, 9)),
            admitted: Some("20261203101500+0100".to_string()),
        };
        let patient = adopted(&occupant, unit, 0, &now());
        assert_eq!(
            occupancy_of(&patient),
            Occupancy {
                sex: Some('F'),
                ..occupant.clone()
            }
        );
        assert_eq!(patient.age, 65);
        assert!(patient.ins.is_empty() && patient.phone.is_empty());
        assert!(patient.allergies.is_empty() && patient.problems.is_empty());

        // Unknown fields are drawn, the same way on every resume.
        let bare = Occupancy {
            visit: None,
            family: None,
            given: None,
            sex: None,
            birth_date: None,
            admitted: None,
            ..occupant
        };
        let first = adopted(&bare, unit, 0, &now());
        assert_eq!(first, adopted(&bare, unit, 0, &now()));
        assert!(!first.family.is_empty() && !first.given.is_empty());
        assert_eq!(first.visit_number, derived_visit("77777777"));
        assert_eq!(first.birth_date.len(), 8);
        assert!(first.admitted_at.is_empty());
    }
}
