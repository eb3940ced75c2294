//! The simulated HIS's stream, checked without sockets: a shadow census is
//! rebuilt from the messages alone and must stay consistent.

use super::support::{check_well_formed, field, ipp, location};
use ckisa_demo::{DemoOptions, HisState, generate};
use std::collections::{HashMap, HashSet};

pub(crate) type Bed = (String, String, String);

/// Who is where, as the messages say.
pub(crate) struct Shadow {
    pub(crate) by_patient: HashMap<String, Bed>,
    by_bed: HashMap<Bed, String>,
}

impl Shadow {
    /// The shadow of a census: (IPP, bed) pairs, checked like admissions.
    pub(crate) fn of(census: impl IntoIterator<Item = (String, Bed)>) -> Self {
        let mut shadow = Shadow {
            by_patient: HashMap::new(),
            by_bed: HashMap::new(),
        };
        for (ipp, bed) in census {
            shadow.admit(ipp, bed);
        }
        shadow
    }

    fn admit(&mut self, ipp: String, bed: Bed) {
        assert!(!self.by_patient.contains_key(&ipp), "{ipp} admitted twice");
        assert!(!self.by_bed.contains_key(&bed), "{bed:?} already taken");
        self.by_bed.insert(bed.clone(), ipp.clone());
        self.by_patient.insert(ipp, bed);
    }

    fn remove(&mut self, ipp: &str, bed: &Bed) {
        assert_eq!(
            self.by_patient.get(ipp),
            Some(bed),
            "{ipp} is not in {bed:?}"
        );
        self.by_patient.remove(ipp);
        self.by_bed.remove(bed);
    }

    /// Applies one message, asserting the census stays consistent; returns
    /// the message type (MSH-9).
    pub(crate) fn apply(&mut self, message: &str) -> String {
        let kind = field(message, "MSH", 9).unwrap_or_default().to_string();
        let ipp = ipp(message).expect("IPP");
        let bed = location(message, 3).expect("PV1-3");
        match kind.as_str() {
            "ADT^A01^ADT_A01" => self.admit(ipp, bed),
            "ADT^A02^ADT_A02" => {
                let from = location(message, 6).expect("PV1-6 prior location");
                assert_ne!(from, bed, "transfer to the same bed");
                let birth_year: u32 = field(message, "PID", 7)
                    .and_then(|d| d.get(..4)?.parse().ok())
                    .expect("PID-7");
                match bed.0.as_str() {
                    "PEDIA" => assert!(birth_year >= 2008, "adult moved to pediatrics"),
                    "MATER" => assert_eq!(
                        field(message, "PID", 8),
                        Some("F"),
                        "man moved to maternity"
                    ),
                    "GERIA" => assert!(birth_year <= 1957, "young patient moved to geriatrics"),
                    _ => {}
                }
                self.remove(&ipp, &from);
                self.admit(ipp, bed);
            }
            "ADT^A03^ADT_A03" => self.remove(&ipp, &bed),
            _ => assert_eq!(
                self.by_patient.get(&ipp),
                Some(&bed),
                "{kind} for {ipp} elsewhere"
            ),
        }
        kind
    }
}

#[test]
fn ten_thousand_steps_keep_a_consistent_plausible_census() {
    let options = DemoOptions::at(super::support::fixed_now());
    let est = generate(11, &options);
    let mut state = HisState::new(&est, 3);
    let mut shadow = Shadow::of(est.patients.iter().map(|p| {
        let loc = &p.location;
        (
            p.ipp.clone(),
            (loc.unit.clone(), loc.room.clone(), loc.bed.clone()),
        )
    }));
    let initial_ids: HashSet<String> = est
        .initial_messages
        .iter()
        .map(|m| check_well_formed(m))
        .collect();
    let mut ids = HashSet::new();
    let mut kinds: HashMap<String, usize> = HashMap::new();
    let total = state.total_beds() as f64;
    let (mut lowest, mut highest) = (1.0f64, 0.0f64);
    for step in 0..10_000 {
        let now = format!(
            "20261204{:02}{:02}00+0100",
            16 + step / 3600 % 8,
            step / 60 % 60
        );
        let message = state.next_message(&now);
        let id = check_well_formed(&message);
        assert!(
            !initial_ids.contains(&id) && ids.insert(id.clone()),
            "control id {id} reused"
        );
        *kinds.entry(shadow.apply(&message)).or_default() += 1;
        let occupancy = shadow.by_patient.len() as f64 / total;
        if step > 200 {
            lowest = lowest.min(occupancy);
            highest = highest.max(occupancy);
        }
    }
    assert!(
        lowest > 0.75 && highest < 0.95,
        "occupancy wandered: {lowest}..{highest}"
    );
    for kind in [
        "ADT^A01^ADT_A01",
        "ADT^A02^ADT_A02",
        "ADT^A03^ADT_A03",
        "ADT^A08^ADT_A01",
        "RDE^O11^RDE_O11",
        "ORU^R01^ORU_R01",
    ] {
        assert!(
            kinds.get(kind).copied().unwrap_or(0) > 50,
            "too few {kind}: {kinds:?}"
        );
    }
    // The state's own census is the one the messages describe.
    let census: HashMap<String, Bed> = state
        .census()
        .into_iter()
        .map(|(loc, ipp)| (ipp, (loc.unit, loc.room, loc.bed)))
        .collect();
    assert_eq!(census, shadow.by_patient);
    assert_eq!(state.occupied_beds(), shadow.by_patient.len());
}

#[test]
fn the_stream_is_a_pure_function_of_state_seed_and_time() {
    let est = generate(5, &DemoOptions::at(super::support::fixed_now()));
    let run = |seed| {
        let mut state = HisState::new(&est, seed);
        (0..200)
            .map(|_| state.next_message("20261204160000+0100"))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(9), run(9));
    assert_ne!(run(9), run(10));
}

#[test]
fn new_admissions_bring_allergies_and_a_timestamp_from_now() {
    let est = generate(5, &DemoOptions::at(super::support::fixed_now()));
    let mut state = HisState::new(&est, 1);
    let admissions: Vec<String> = (0..3000)
        .map(|_| state.next_message("20260714100000+0200"))
        .filter(|m| field(m, "MSH", 9) == Some("ADT^A01^ADT_A01"))
        .collect();
    assert!(admissions.len() > 50);
    assert!(
        admissions.iter().any(|m| m.contains("\rAL1|1|")),
        "some new patients have allergies"
    );
    for a01 in &admissions {
        assert_eq!(field(a01, "MSH", 7), Some("20260714100000+0200"));
        assert_eq!(field(a01, "PV1", 44), Some("20260714100000+0200"));
        assert_eq!(field(a01, "ZBE", 2), Some("20260714100000+0200"));
    }
}
