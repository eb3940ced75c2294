//! The simulated HIS resumed from a stored census (`HisState::resume`):
//! it goes on from where the node is, with the same invariants as a fresh
//! stream, and never panics on a malformed census.

use super::his_stream::{Bed, Shadow};
use super::support::{
    check_envelope, check_well_formed, field, fixed_now, has_valid_ins, ipp, visit,
};
use ckisa_demo::{DemoOptions, Establishment, HisState, Occupancy, generate};
use std::collections::{HashMap, HashSet};

const A01: &str = "ADT^A01^ADT_A01";
const A02: &str = "ADT^A02^ADT_A02";
const A03: &str = "ADT^A03^ADT_A03";

/// The message time of step `step` (one message a second from 16:00).
fn time(step: usize) -> String {
    format!(
        "20261204{:02}{:02}{:02}+0100",
        16 + step / 3600 % 8,
        step / 60 % 60,
        step % 60
    )
}

/// IPP to bed, as the state holds it.
fn census_of(state: &HisState) -> HashMap<String, Bed> {
    state
        .census()
        .into_iter()
        .map(|(loc, ipp)| (ipp, (loc.unit, loc.room, loc.bed)))
        .collect()
}

/// Only what a bed board always shows: the bed and the IPP.
fn bare(state: &HisState) -> Vec<Occupancy> {
    state
        .census()
        .into_iter()
        .map(|(loc, ipp)| Occupancy {
            unit: loc.unit,
            room: loc.room,
            bed: loc.bed,
            ipp,
            ..Occupancy::default()
        })
        .collect()
}

/// Free beds of the establishment's initial census, as (unit, room, bed).
fn free_beds(est: &Establishment) -> Vec<Bed> {
    let taken: HashSet<Bed> = est
        .patients
        .iter()
        .map(|p| {
            let loc = &p.location;
            (loc.unit.clone(), loc.room.clone(), loc.bed.clone())
        })
        .collect();
    est.units
        .iter()
        .flat_map(|u| {
            u.beds
                .iter()
                .map(|(room, bed)| (u.code.clone(), room.clone(), bed.clone()))
        })
        .filter(|bed| !taken.contains(bed))
        .collect()
}

fn in_bed((unit, room, bed): &Bed, ipp: &str) -> Occupancy {
    Occupancy {
        unit: unit.clone(),
        room: room.clone(),
        bed: bed.clone(),
        ipp: ipp.to_string(),
        ..Occupancy::default()
    }
}

#[test]
fn resuming_the_initial_census_replays_a_fresh_stream() {
    let est = generate(11, &DemoOptions::at(fixed_now()));
    let mut fresh = HisState::new(&est, 3);
    let mut resumed = HisState::resume(&est, 3, &bare(&fresh));
    assert_eq!(resumed.census(), fresh.census());
    assert_eq!(resumed.occupants(), fresh.occupants());
    // Initial patients keep their whole record: the streams are identical.
    for step in 0..500 {
        assert_eq!(
            resumed.next_message(&time(step)),
            fresh.next_message(&time(step)),
            "step {step}"
        );
    }
}

#[test]
fn a_resumed_stream_goes_on_from_the_stored_census() {
    let est = generate(11, &DemoOptions::at(fixed_now()));
    let mut first = HisState::new(&est, 3);
    let mut shadow = Shadow::of(census_of(&first));
    let (mut ids, mut ipps, mut visits) = (HashSet::new(), HashSet::new(), HashSet::new());
    ipps.extend(est.patients.iter().map(|p| p.ipp.clone()));
    visits.extend(est.patients.iter().map(|p| p.visit_number.clone()));
    for step in 0..2_000 {
        let message = first.next_message(&time(step));
        assert!(ids.insert(check_well_formed(&message)));
        ipps.extend(ipp(&message));
        visits.extend(visit(&message));
        shadow.apply(&message);
    }
    let stored = first.occupants();
    assert_eq!(census_of(&first), shadow.by_patient);

    // A bare census (beds and IPPs) gives back the same census...
    let from_bare = HisState::resume(&est, 4, &bare(&first));
    assert_eq!(census_of(&from_bare), shadow.by_patient);
    // ...and a full one the same stays too.
    let mut resumed = HisState::resume(&est, 4, &stored);
    assert_eq!(census_of(&resumed), shadow.by_patient);
    assert_eq!(resumed.occupants(), stored);

    // Patients the first stream admitted are adopted with their IPP and visit.
    let initial: HashSet<&str> = est.patients.iter().map(|p| p.ipp.as_str()).collect();
    let adopted: HashMap<String, String> = stored
        .iter()
        .filter(|o| !initial.contains(o.ipp.as_str()))
        .map(|o| (o.ipp.clone(), o.visit.clone().expect("a visit number")))
        .collect();
    assert!(adopted.len() > 50, "only {} adopted", adopted.len());

    let mut moved = HashMap::<&str, usize>::new();
    for step in 2_000..7_000 {
        let message = resumed.next_message(&time(step));
        let id = check_envelope(&message);
        assert!(ids.insert(id.clone()), "control id {id} reused");
        let who = ipp(&message).expect("IPP");
        let kind = shadow.apply(&message);
        match adopted.get(&who) {
            Some(stay) => {
                assert_eq!(visit(&message).as_ref(), Some(stay), "{kind} for {who}");
                let pid3 = field(&message, "PID", 3).unwrap_or_default();
                assert!(!pid3.contains('~'), "no made-up INS for {who}");
                if kind == A02 || kind == A03 {
                    *moved
                        .entry(if kind == A02 { "A02" } else { "A03" })
                        .or_default() += 1;
                }
            }
            None => assert!(has_valid_ins(&message), "{kind} for {who}"),
        }
        if kind == A01 {
            assert!(!ipps.contains(&who), "IPP {who} issued again");
            let stay = visit(&message).expect("PV1-19");
            assert!(!visits.contains(&stay), "visit {stay} issued again");
        }
    }
    assert!(
        moved.get("A02").copied().unwrap_or(0) > 5 && moved.get("A03").copied().unwrap_or(0) > 5,
        "adopted patients moved or discharged: {moved:?}"
    );
    assert_eq!(census_of(&resumed), shadow.by_patient);
}

#[test]
fn adopted_patients_leave_with_the_ipp_and_visit_they_came_with() {
    let options = DemoOptions {
        total_beds: 60,
        occupancy: 0.7,
        ..DemoOptions::at(fixed_now())
    };
    let est = generate(8, &options);
    let free = free_beds(&est);
    assert!(free.len() >= 3, "{} free beds", free.len());
    let mut occupied = bare(&HisState::new(&est, 1));
    occupied.push(Occupancy {
        visit: Some("700000001".to_string()),
        family: Some("Étrange".to_string()),
        given: Some("Zoé".to_string()),
        sex: Some('F'),
        birth_date: Some((1980, 5, 6)),
        admitted: Some("20261201080000+0100".to_string()),
        ..in_bed(&free[0], "90000001")
    });
    occupied.push(Occupancy {
        visit: Some("700000002".to_string()),
        ..in_bed(&free[1], "90000002")
    });
    occupied.push(in_bed(&free[2], "90000003"));

    let mut state = HisState::resume(&est, 6, &occupied);
    let stays: HashMap<String, String> = state
        .occupants()
        .into_iter()
        .filter(|o| o.ipp.starts_with("9000000"))
        .map(|o| (o.ipp, o.visit.unwrap_or_default()))
        .collect();
    assert_eq!(stays.len(), 3);
    assert_eq!(stays["90000001"], "700000001");
    assert_eq!(stays["90000002"], "700000002");
    // Without a stored visit number, the same one on every resume.
    let derived = &stays["90000003"];
    assert!(derived.len() == 9 && derived.starts_with('9'), "{derived}");
    let again = HisState::resume(&est, 99, &occupied).occupants();
    assert!(again.iter().any(|o| o.visit.as_ref() == Some(derived)));

    let mut shadow = Shadow::of(census_of(&state));
    let mut left: HashMap<String, Vec<String>> = HashMap::new();
    for step in 0..4_000 {
        let message = state.next_message(&time(step));
        check_envelope(&message);
        let kind = shadow.apply(&message);
        let who = ipp(&message).expect("IPP");
        if let Some(stay) = stays.get(&who) {
            assert_eq!(visit(&message).as_ref(), Some(stay), "{kind} for {who}");
            if who == "90000001" {
                assert!(field(&message, "PID", 5).is_some_and(|n| n.starts_with("ÉTRANGE^Zoé")));
                assert_eq!(field(&message, "PID", 7), Some("19800506"));
                assert_eq!(field(&message, "PV1", 44), Some("20261201080000+0100"));
            }
            if kind == A02 || kind == A03 {
                left.entry(who).or_default().push(kind);
            }
        }
    }
    assert_eq!(
        left.len(),
        3,
        "each adopted patient moved or left: {left:?}"
    );
    assert!(
        left.values().flatten().any(|kind| kind == A03),
        "some discharged: {left:?}"
    );
}

#[test]
fn a_malformed_census_is_read_without_panicking() {
    let est = generate(5, &DemoOptions::at(fixed_now()));
    let initial = bare(&HisState::new(&est, 1));
    let free = free_beds(&est);
    let first = &initial[0];
    let mut occupied = initial.clone();
    occupied.extend([
        Occupancy {
            unit: "NULLEPART".to_string(),
            ..in_bed(&free[0], "91000001")
        },
        Occupancy {
            room: "999".to_string(),
            ..in_bed(&free[0], "91000002")
        },
        Occupancy {
            bed: "Q".to_string(),
            ..in_bed(&free[0], "91000002")
        },
        // A second occupant of a taken bed, and a patient in two beds.
        Occupancy {
            ipp: "91000003".to_string(),
            ..first.clone()
        },
        Occupancy {
            ipp: initial[1].ipp.clone(),
            ..in_bed(&free[0], "")
        },
        in_bed(&free[1], ""),
        in_bed(&free[2], "   "),
        Occupancy {
            visit: Some("  ".to_string()),
            family: Some("O'Brien|^~\\&".to_string()),
            given: Some("Jean\r\nPaul".to_string()),
            sex: Some('X'),
            birth_date: Some((2026, 13, 45)),
            admitted: Some("hier|soir".to_string()),
            ..in_bed(&free[3], "91000004")
        },
        Occupancy {
            birth_date: Some((i16::MIN, 255, 255)),
            family: Some(String::new()),
            ..in_bed(&free[4], "91000005")
        },
    ]);
    let mut state = HisState::resume(&est, 2, &occupied);

    let mut expected = census_of(&HisState::new(&est, 1));
    expected.insert("91000004".to_string(), free[3].clone());
    expected.insert("91000005".to_string(), free[4].clone());
    assert_eq!(census_of(&state), expected);

    let mut shadow = Shadow::of(expected);
    for step in 0..3_000 {
        let message = state.next_message(&time(step));
        check_envelope(&message);
        shadow.apply(&message);
    }
    assert_eq!(census_of(&state), shadow.by_patient);
}

#[test]
fn an_empty_or_foreign_census_leaves_the_house_empty() {
    let est = generate(5, &DemoOptions::at(fixed_now()));
    let mut state = HisState::resume(&est, 2, &[]);
    assert_eq!(state.occupied_beds(), 0);
    let foreign = [Occupancy {
        unit: "AILLEURS".to_string(),
        ipp: "12345678".to_string(),
        ..Occupancy::default()
    }];
    assert_eq!(HisState::resume(&est, 2, &foreign).occupied_beds(), 0);
    // With nobody in house, the HIS admits.
    let message = state.next_message(&time(0));
    assert_eq!(field(&message, "MSH", 9), Some(A01));
}
