//! The storage story: what any `Store` backend must do, written against
//! `&dyn Store` so that the PostgreSQL backend can run the same functions.
//!
//! Every story uses its own patients, stays and units (prefixed by the story
//! name), so that all stories can run one after another on one store, which
//! the restart and replay tests do.

#![allow(dead_code, reason = "each test binary uses a different subset")]

pub(crate) mod care;
pub(crate) mod messaging;

use std::sync::atomic::{AtomicU64, Ordering};

use ckisa_domain::{
    Actor, Allergy, CarePlan, Coded, Condition, CrisisFact, Directory, EncounterKey, Event,
    EventId, Fact, Field, Hlc, Identifier, ItemId, Leave, Medication, MedicationKind, Moment,
    NodeId, Observation, ObservationCategory, ObservationValue, PatientKey, PatientUpdate, Place,
    Procedure, RecordStatus, Report, ResourceRef, Sex, Source, SourceChannel, StayUpdate,
};
use ckisa_store::{DedupKey, Outcome, PatientQuery, Rejection, Store, Submission, UnitDefinition};

/// Clock shared by the helpers so events are ordered as they are built.
static NEXT_MS: AtomicU64 = AtomicU64::new(1_700_000_000_000);

fn tick() -> u64 {
    NEXT_MS.fetch_add(1, Ordering::Relaxed)
}

/// An event as an HL7 feed would produce it.
pub(crate) fn event(fact: Fact) -> Event {
    let ms = tick();
    Event {
        id: EventId::new(ms),
        hlc: Hlc::new(ms, 0),
        origin: NodeId(String::from("story-node")),
        actor: Actor::Feed(String::from("adt")),
        source: Source {
            channel: SourceChannel::Mllp,
            origin: String::from("adt"),
            message_id: None,
            sender: Some(String::from("HIS|CHU")),
            fhir_id: None,
        },
        fact,
    }
}

/// A submission of facts with a deduplication key.
pub(crate) fn message(control_id: &str, facts: Vec<Fact>) -> Submission {
    Submission {
        feed: String::from("adt"),
        received_ms: tick() as i64,
        dedup: Some(DedupKey {
            sender: String::from("HIS|CHU"),
            control_id: control_id.into(),
            digest: String::from("0"),
        }),
        events: facts.into_iter().map(event).collect(),
    }
}

/// A submission without deduplication key (a file line, a FHIR resource).
pub(crate) fn facts(facts: Vec<Fact>) -> Submission {
    Submission {
        feed: String::from("file"),
        received_ms: tick() as i64,
        dedup: None,
        events: facts.into_iter().map(event).collect(),
    }
}

pub(crate) fn commit_one(store: &dyn Store, submission: Submission) -> Outcome {
    let mut outcomes = store.commit(vec![submission]).expect("commit succeeds");
    assert_eq!(outcomes.len(), 1);
    outcomes.swap_remove(0)
}

pub(crate) fn at(text: &str) -> Moment {
    Moment::parse_iso(text).expect("valid test moment")
}

pub(crate) fn patient(name: &str) -> PatientKey {
    PatientKey::ipp("CHU", name)
}

pub(crate) fn ipp(value: &str) -> Identifier {
    Identifier {
        value: value.into(),
        system: Some("CHU".into()),
        kind: Some("PI".into()),
    }
}

pub(crate) fn person(key: &PatientKey, family: &str, given: &str) -> Fact {
    let value = key
        .as_str()
        .rsplit('|')
        .next()
        .unwrap_or_default()
        .to_owned();
    Fact::PatientUpdated(PatientUpdate {
        patient: key.clone(),
        identifiers: vec![ipp(&value)],
        family: Field::Value(family.into()),
        given: Field::Value(given.into()),
        birth_date: Field::Value(at("1950-04-02")),
        sex: Field::Value(Sex::Female),
        ..PatientUpdate::default()
    })
}

pub(crate) fn place(unit: &str, room: &str, bed: &str) -> Place {
    Place {
        unit: unit.into(),
        room: Some(room.into()).filter(|r: &String| !r.is_empty()),
        bed: Some(bed.into()).filter(|b: &String| !b.is_empty()),
        facility: None,
    }
}

pub(crate) fn admit(encounter: &str, key: &PatientKey, to: Place, effective: &str) -> Fact {
    Fact::StayUpdated(StayUpdate {
        encounter: EncounterKey(encounter.into()),
        patient: key.clone(),
        place: Field::Value(to),
        class: Some("I".into()),
        admitted_at: Some(at(effective)),
        attending: None,
        in_house: true,
        effective_at: Some(at(effective)),
        movement_id: None,
    })
}

pub(crate) fn transfer(encounter: &str, key: &PatientKey, to: Place, effective: &str) -> Fact {
    Fact::Transferred {
        encounter: EncounterKey(encounter.into()),
        patient: key.clone(),
        to,
        at: Some(at(effective)),
        movement_id: None,
    }
}

pub(crate) fn coded(code: &str, text: &str) -> Coded {
    Coded {
        code: Some(code.into()),
        system: Some("LN".into()),
        text: text.into(),
    }
}

pub(crate) fn allergy(id: &str, key: &PatientKey, substance: &str, status: RecordStatus) -> Fact {
    Fact::AllergyRecorded(Allergy {
        id: id.into(),
        patient: key.clone(),
        substance: Coded {
            code: None,
            system: None,
            text: substance.into(),
        },
        category: Some("drug".into()),
        severity: Some("high".into()),
        reactions: vec![],
        onset: None,
        status,
    })
}

pub(crate) fn observation(
    id: &str,
    key: &PatientKey,
    category: ObservationCategory,
    code: &str,
    value: &str,
    effective: &str,
) -> Fact {
    Fact::ObservationRecorded(Observation {
        id: id.into(),
        patient: key.clone(),
        encounter: None,
        category,
        code: coded(code, code),
        value: ObservationValue::Quantity {
            value: value.into(),
            unit: None,
        },
        reference_range: None,
        interpretation: None,
        effective: Some(at(effective)),
        status: Some("F".into()),
        report: None,
        notes: vec![],
    })
}

fn unit_patients(store: &dyn Store, unit: &str) -> Vec<(Option<String>, Option<String>, String)> {
    let board = store
        .unit_board(unit)
        .expect("board reads")
        .expect("unit exists");
    board
        .beds
        .iter()
        .flat_map(|row| {
            row.occupants
                .iter()
                .map(|o| (row.room.clone(), row.bed.clone(), o.patient.0.clone()))
        })
        .collect()
}

fn in_bed(store: &dyn Store, key: &PatientKey) -> Option<(String, Option<String>)> {
    let chart = store.patient_chart(key).expect("chart reads")?;
    chart.stay.map(|s| (s.unit.unwrap_or_default(), s.bed))
}

// Stories ----------------------------------------------------------------------

/// Commit a hospital's worth of facts and read back the census and a chart.
pub(crate) fn census_and_chart(store: &dyn Store) {
    store
        .define_units(&[UnitDefinition {
            code: "CC-CARDIO".into(),
            name: "Cardiologie".into(),
            beds: vec![
                ("10".into(), "1".into()),
                ("2".into(), "1".into()),
                ("2".into(), "2".into()),
                ("1".into(), "1".into()),
            ],
        }])
        .unwrap();
    let alice = patient("CC-ALICE");
    let bob = patient("CC-BOB");
    let attending = ResourceRef {
        reference: None,
        identifier: Some(Identifier {
            value: "RPPS-42".into(),
            system: Some("RPPS".into()),
            kind: None,
        }),
        display: Some("DR X".into()),
    };
    let mut admission = admit(
        "CC-V1",
        &alice,
        place("CC-CARDIO", "2", "2"),
        "2024-03-01T10:00",
    );
    if let Fact::StayUpdated(stay) = &mut admission {
        stay.attending = Some(attending);
    }
    let outcome = commit_one(
        store,
        message(
            "CC-1",
            vec![
                person(&alice, "Martin", "Alice"),
                admission,
                allergy("CC-AL1", &alice, "Pénicilline", RecordStatus::Active),
                allergy("CC-AL2", &alice, "Latex", RecordStatus::Inactive),
                allergy("CC-AL3", &alice, "Iode", RecordStatus::EnteredInError),
                Fact::ConditionRecorded(Condition {
                    id: "CC-C1".into(),
                    patient: alice.clone(),
                    encounter: None,
                    code: coded("I50", "Insuffisance cardiaque"),
                    onset: None,
                    abated: None,
                    status: RecordStatus::Active,
                }),
                Fact::MedicationRecorded(Medication {
                    id: "CC-M1".into(),
                    patient: alice.clone(),
                    encounter: None,
                    kind: MedicationKind::Order,
                    drug: coded("FUR", "Furosémide"),
                    dose: Some("40 mg".into()),
                    route: Some("PO".into()),
                    frequency: None,
                    start: Some(at("2024-03-01")),
                    end: None,
                    prescriber: None,
                    status: RecordStatus::Active,
                    note: None,
                }),
                Fact::MedicationRecorded(Medication {
                    id: "CC-M2".into(),
                    patient: alice.clone(),
                    encounter: None,
                    kind: MedicationKind::Order,
                    drug: coded("PARA", "Paracétamol"),
                    dose: None,
                    route: None,
                    frequency: None,
                    start: None,
                    end: None,
                    prescriber: None,
                    status: RecordStatus::Inactive,
                    note: None,
                }),
                Fact::CarePlanRecorded(CarePlan {
                    id: "CC-CP1".into(),
                    patient: alice.clone(),
                    title: "Surveillance".into(),
                    status: RecordStatus::Active,
                    activities: vec!["Pesée quotidienne".into()],
                    start: None,
                    end: None,
                }),
                observation(
                    "CC-T1",
                    &alice,
                    ObservationCategory::Vital,
                    "TEMP",
                    "37.0",
                    "2024-03-01T08:00",
                ),
                observation(
                    "CC-T2",
                    &alice,
                    ObservationCategory::Vital,
                    "TEMP",
                    "38.5",
                    "2024-03-02T08:00",
                ),
                observation(
                    "CC-HR",
                    &alice,
                    ObservationCategory::Vital,
                    "HR",
                    "80",
                    "2024-03-01T09:00",
                ),
                observation(
                    "CC-K1",
                    &alice,
                    ObservationCategory::Lab,
                    "K",
                    "4.1",
                    "2024-03-01T07:00",
                ),
                observation(
                    "CC-K2",
                    &alice,
                    ObservationCategory::Lab,
                    "NA",
                    "140",
                    "2024-03-02T07:00",
                ),
                Fact::ReportRecorded(Report {
                    id: "CC-R1".into(),
                    patient: alice.clone(),
                    encounter: None,
                    code: coded("IONO", "Ionogramme"),
                    status: Some("F".into()),
                    effective: Some(at("2024-03-02T07:00")),
                    results: vec!["CC-K2".into()],
                    conclusion: None,
                }),
                Fact::ProcedureRecorded(Procedure {
                    id: "CC-P1".into(),
                    patient: alice.clone(),
                    encounter: None,
                    code: coded("ECG", "ECG"),
                    performed: Some(at("2024-03-01")),
                    status: RecordStatus::Inactive,
                }),
            ],
        ),
    );
    assert_eq!(outcome, Outcome::Stored);
    commit_one(
        store,
        message(
            "CC-2",
            vec![
                person(&bob, "Bernard", "Bob"),
                admit(
                    "CC-V2",
                    &bob,
                    place("CC-CARDIO", "10", "1"),
                    "2024-03-01T11:00",
                ),
            ],
        ),
    );
    // A unit and bed never configured appear once seen.
    commit_one(
        store,
        message(
            "CC-3",
            vec![admit(
                "CC-V3",
                &patient("CC-CAROL"),
                place("CC-GERIA", "5", "A"),
                "2024-03-01T12:00",
            )],
        ),
    );

    let units = store.units().unwrap();
    let cardio = units
        .iter()
        .find(|u| u.code == "CC-CARDIO")
        .expect("configured unit listed");
    assert_eq!(
        (
            cardio.name.as_str(),
            cardio.beds,
            cardio.occupied_beds,
            cardio.patients
        ),
        ("Cardiologie", 4, 2, 2)
    );
    let geria = units
        .iter()
        .find(|u| u.code == "CC-GERIA")
        .expect("seen unit listed");
    assert_eq!(
        (
            geria.name.as_str(),
            geria.beds,
            geria.occupied_beds,
            geria.patients
        ),
        ("CC-GERIA", 1, 1, 1)
    );

    let board = store.unit_board("CC-CARDIO").unwrap().unwrap();
    let order: Vec<(Option<&str>, Option<&str>)> = board
        .beds
        .iter()
        .map(|b| (b.room.as_deref(), b.bed.as_deref()))
        .collect();
    assert_eq!(
        order,
        vec![
            (Some("1"), Some("1")),
            (Some("2"), Some("1")),
            (Some("2"), Some("2")),
            (Some("10"), Some("1"))
        ]
    );
    let alice_bed = &board.beds[2].occupants[0];
    assert_eq!(alice_bed.family.as_deref(), Some("Martin"));
    assert_eq!(alice_bed.ipp.as_deref(), Some("CC-ALICE"));
    assert_eq!(alice_bed.allergies, 1);
    assert_eq!(
        alice_bed.attending.as_deref(),
        Some("DR X"),
        "display until the directory knows"
    );
    assert!(store.unit_board("CC-NOWHERE").unwrap().is_none());

    // The practitioner arrives later: the reference now resolves by identifier.
    commit_one(
        store,
        facts(vec![Fact::DirectoryEntry(Directory {
            reference: "Practitioner/42".into(),
            identifiers: vec![Identifier {
                value: "RPPS-42".into(),
                system: Some("RPPS".into()),
                kind: None,
            }],
            name: "Dr Jeanne Durand".into(),
        })]),
    );
    let chart = store.patient_chart(&alice).unwrap().expect("chart exists");
    let stay = chart.stay.as_ref().expect("in house");
    assert_eq!(stay.attending.as_deref(), Some("Dr Jeanne Durand"));
    assert_eq!(stay.unit_name.as_deref(), Some("Cardiologie"));
    assert_eq!(chart.identity.ipp.as_deref(), Some("CC-ALICE"));
    let allergies: Vec<&str> = chart.allergies.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(allergies, vec!["CC-AL1"]);
    assert_eq!(chart.conditions.len(), 1);
    let medications: Vec<&str> = chart.medications.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(medications, vec!["CC-M1"]);
    assert_eq!(chart.care_plans.len(), 1);
    let vitals: Vec<&str> = chart.vitals.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(
        vitals,
        vec!["CC-T2", "CC-HR"],
        "latest per code, newest first"
    );
    let results: Vec<&str> = chart.results.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(results, vec!["CC-K2", "CC-K1"]);
    assert_eq!(chart.reports.len(), 1);
    assert_eq!(chart.procedures.len(), 1);

    // A later fact with the same id replaces the earlier one.
    commit_one(
        store,
        facts(vec![allergy(
            "CC-AL1",
            &alice,
            "Pénicilline",
            RecordStatus::Inactive,
        )]),
    );
    assert!(
        store
            .patient_chart(&alice)
            .unwrap()
            .unwrap()
            .allergies
            .is_empty()
    );
}

/// The same control id from the same sender is applied once.
pub(crate) fn duplicate_control_id(store: &dyn Store) {
    let key = patient("DUP-1");
    let before = store.status().unwrap();
    let first = message("DUP-MSG", vec![person(&key, "Durand", "Paul")]);
    let again = message(
        "DUP-MSG",
        vec![allergy("DUP-AL", &key, "Latex", RecordStatus::Active)],
    );
    let outcomes = store.commit(vec![first, again]).unwrap();
    assert_eq!(outcomes, vec![Outcome::Stored, Outcome::Duplicate]);
    let later = message(
        "DUP-MSG",
        vec![allergy("DUP-AL", &key, "Latex", RecordStatus::Active)],
    );
    assert_eq!(commit_one(store, later), Outcome::Duplicate);
    assert!(
        store
            .patient_chart(&key)
            .unwrap()
            .unwrap()
            .allergies
            .is_empty()
    );
    let after = store.status().unwrap();
    assert_eq!(after.events, before.events + 1);
    let feed = |s: &ckisa_store::StoreStatus| {
        s.feeds
            .iter()
            .find(|f| f.name == "adt")
            .map(|f| (f.accepted, f.duplicates))
            .unwrap_or((0, 0))
    };
    let (accepted_before, duplicates_before) = feed(&before);
    assert_eq!(feed(&after), (accepted_before + 1, duplicates_before + 2));
    assert!(
        after
            .feeds
            .iter()
            .any(|f| f.name == "adt" && f.last_received_ms.is_some())
    );
}

/// HL7 `""` clears a field; an empty field leaves it (edge cases B05, B06).
pub(crate) fn null_versus_absent(store: &dyn Store) {
    let key = patient("NULL-1");
    commit_one(
        store,
        message(
            "NULL-A",
            vec![Fact::PatientUpdated(PatientUpdate {
                patient: key.clone(),
                identifiers: vec![ipp("NULL-1")],
                family: Field::Value("Lefèvre".into()),
                given: Field::Value("Anne".into()),
                birth_date: Field::Value(at("1960-05-06")),
                phones: Field::Value(vec!["0102030405".into()]),
                addresses: Field::Value(vec![ckisa_domain::Address {
                    lines: vec!["1 rue de la Paix".into()],
                    city: Some("Paris".into()),
                    postal_code: Some("75002".into()),
                    country: None,
                    kind: Some("H".into()),
                }]),
                ..PatientUpdate::default()
            })],
        ),
    );
    commit_one(
        store,
        message(
            "NULL-B",
            vec![Fact::PatientUpdated(PatientUpdate {
                patient: key.clone(),
                phones: Field::Null,
                birth_date: Field::Null,
                ..PatientUpdate::default()
            })],
        ),
    );
    let identity = store.patient_chart(&key).unwrap().unwrap().identity;
    assert!(identity.phones.is_empty(), "explicit null clears");
    assert_eq!(
        identity.addresses,
        vec!["1 rue de la Paix, 75002 Paris"],
        "absent keeps"
    );
    assert_eq!(identity.family.as_deref(), Some("Lefèvre"), "absent keeps");
    assert_eq!(identity.birth_date, None, "null in a typed field clears");
}

/// After an A40, the absorbed record shows under the survivor, including
/// facts that arrive later for the absorbed key; a reverse merge is ignored.
pub(crate) fn merge(store: &dyn Store) {
    let survivor = patient("MRG-KEEP");
    let merged = patient("MRG-GONE");
    commit_one(
        store,
        message(
            "MRG-1",
            vec![
                person(&survivor, "Moreau", "Léa"),
                person(&merged, "Moreau", "Lea"),
                allergy("MRG-AL1", &merged, "Arachide", RecordStatus::Active),
                admit(
                    "MRG-V1",
                    &merged,
                    place("MRG-UNIT", "1", "1"),
                    "2024-03-01T10:00",
                ),
            ],
        ),
    );
    commit_one(
        store,
        message(
            "MRG-2",
            vec![Fact::PatientsMerged {
                survivor: survivor.clone(),
                merged: merged.clone(),
            }],
        ),
    );
    // A late message still naming the retired key is refused, so that it can
    // never rename or add to the survivor under the wrong identity.
    let late = commit_one(
        store,
        message(
            "MRG-3",
            vec![allergy("MRG-AL2", &merged, "Kiwi", RecordStatus::Active)],
        ),
    );
    assert!(
        matches!(&late, Outcome::Refused { reason } if reason.contains("fusionné")),
        "{late:?}"
    );

    let chart = store
        .patient_chart(&merged)
        .unwrap()
        .expect("merged key resolves");
    assert_eq!(chart.identity.patient, survivor);
    assert_eq!(chart.identity.ipp.as_deref(), Some("MRG-KEEP"));
    let mut allergies: Vec<&str> = chart.allergies.iter().map(|a| a.id.as_str()).collect();
    allergies.sort();
    assert_eq!(allergies, vec!["MRG-AL1"]);
    assert!(
        chart.allergies.iter().all(|a| a.patient == survivor),
        "items carry the survivor key"
    );
    assert_eq!(
        unit_patients(store, "MRG-UNIT"),
        vec![(Some("1".into()), Some("1".into()), survivor.0.clone())]
    );
    let found = store
        .search_patients(
            &PatientQuery {
                identifier: Some("MRG-GONE".into()),
                ..Default::default()
            },
            10,
        )
        .unwrap();
    assert_eq!(
        found.iter().map(|r| &r.patient).collect::<Vec<_>>(),
        vec![&survivor]
    );

    // The reverse merge would make a cycle: ignored, the event is kept.
    commit_one(
        store,
        message(
            "MRG-4",
            vec![Fact::PatientsMerged {
                survivor: merged.clone(),
                merged: survivor.clone(),
            }],
        ),
    );
    assert_eq!(
        store
            .patient_chart(&survivor)
            .unwrap()
            .unwrap()
            .identity
            .patient,
        survivor
    );
    assert_eq!(
        store
            .patient_chart(&merged)
            .unwrap()
            .unwrap()
            .identity
            .patient,
        survivor
    );
}

/// A movement older than the last one applied does not move the patient back.
pub(crate) fn out_of_order_transfer(store: &dyn Store) {
    let key = patient("OOO-1");
    commit_one(
        store,
        message(
            "OOO-1",
            vec![
                person(&key, "Petit", "Jean"),
                admit("OOO-V", &key, place("OOO-A", "1", "1"), "2024-03-01T10:00"),
            ],
        ),
    );
    commit_one(
        store,
        message(
            "OOO-2",
            vec![transfer(
                "OOO-V",
                &key,
                place("OOO-B", "5", "5"),
                "2024-03-01T14:00",
            )],
        ),
    );
    let before = store.status().unwrap().events;
    commit_one(
        store,
        message(
            "OOO-3",
            vec![transfer(
                "OOO-V",
                &key,
                place("OOO-C", "9", "9"),
                "2024-03-01T12:00",
            )],
        ),
    );
    assert_eq!(
        in_bed(store, &key),
        Some(("OOO-B".into(), Some("5".into())))
    );
    assert_eq!(
        store.status().unwrap().events,
        before + 1,
        "the late movement is still stored"
    );
    // A late A01 update fills nothing that moves the patient either.
    commit_one(
        store,
        message(
            "OOO-4",
            vec![admit(
                "OOO-V",
                &key,
                place("OOO-A", "1", "1"),
                "2024-03-01T10:00",
            )],
        ),
    );
    assert_eq!(
        in_bed(store, &key),
        Some(("OOO-B".into(), Some("5".into())))
    );
    assert!(
        store.unit_board("OOO-C").unwrap().is_none(),
        "a place never applied is not seen"
    );
}

/// Cancel admission, discharge, cancel discharge, cancel transfer, leave.
pub(crate) fn cancellations(store: &dyn Store) {
    let ann = patient("CAN-ANN");
    let ben = patient("CAN-BEN");
    commit_one(
        store,
        message(
            "CAN-1",
            vec![
                person(&ann, "Roux", "Ann"),
                admit("CAN-VA", &ann, place("CAN-U", "1", "1"), "2024-03-01T10:00"),
            ],
        ),
    );
    commit_one(
        store,
        message(
            "CAN-2",
            vec![
                person(&ben, "Roux", "Ben"),
                admit("CAN-VB", &ben, place("CAN-U", "2", "1"), "2024-03-01T10:00"),
            ],
        ),
    );
    assert_eq!(unit_patients(store, "CAN-U").len(), 2);

    commit_one(
        store,
        message(
            "CAN-3",
            vec![Fact::AdmissionCancelled {
                encounter: EncounterKey("CAN-VA".into()),
                patient: ann.clone(),
            }],
        ),
    );
    assert_eq!(in_bed(store, &ann), None);
    let unit = store
        .units()
        .unwrap()
        .into_iter()
        .find(|u| u.code == "CAN-U")
        .unwrap();
    assert_eq!((unit.patients, unit.occupied_beds), (1, 1));

    commit_one(
        store,
        message(
            "CAN-4",
            vec![Fact::Discharged {
                encounter: EncounterKey("CAN-VB".into()),
                patient: ben.clone(),
                at: Some(at("2024-03-02T10:00")),
            }],
        ),
    );
    assert_eq!(in_bed(store, &ben), None);
    commit_one(
        store,
        message(
            "CAN-5",
            vec![Fact::DischargeCancelled {
                encounter: EncounterKey("CAN-VB".into()),
                patient: ben.clone(),
                place: None,
            }],
        ),
    );
    assert_eq!(
        in_bed(store, &ben),
        Some(("CAN-U".into(), Some("1".into())))
    );

    commit_one(
        store,
        message(
            "CAN-6",
            vec![transfer(
                "CAN-VB",
                &ben,
                place("CAN-W", "7", "3"),
                "2024-03-03T10:00",
            )],
        ),
    );
    assert_eq!(
        in_bed(store, &ben),
        Some(("CAN-W".into(), Some("3".into())))
    );
    commit_one(
        store,
        message(
            "CAN-7",
            vec![Fact::TransferCancelled {
                encounter: EncounterKey("CAN-VB".into()),
                patient: ben.clone(),
                back_to: None,
            }],
        ),
    );
    assert_eq!(
        in_bed(store, &ben),
        Some(("CAN-U".into(), Some("1".into())))
    );
    assert!(unit_patients(store, "CAN-W").is_empty());

    commit_one(
        store,
        message(
            "CAN-8",
            vec![Fact::LeaveOfAbsence {
                encounter: EncounterKey("CAN-VB".into()),
                patient: ben.clone(),
                leave: Leave::Started,
            }],
        ),
    );
    let chart = store.patient_chart(&ben).unwrap().unwrap();
    assert!(chart.stay.expect("still in house on leave").on_leave);
}

/// Two stays in one bed are both shown, never one hidden.
pub(crate) fn two_patients_one_bed(store: &dyn Store) {
    let one = patient("BED-1");
    let two = patient("BED-2");
    commit_one(
        store,
        message(
            "BED-A",
            vec![
                person(&one, "Blanc", "Un"),
                admit("BED-V1", &one, place("BED-U", "3", "1"), "2024-03-01T10:00"),
            ],
        ),
    );
    commit_one(
        store,
        message(
            "BED-B",
            vec![
                person(&two, "Noir", "Deux"),
                admit("BED-V2", &two, place("BED-U", "3", "1"), "2024-03-01T11:00"),
            ],
        ),
    );
    let board = store.unit_board("BED-U").unwrap().unwrap();
    assert_eq!(board.beds.len(), 1);
    assert_eq!(board.beds[0].occupants.len(), 2);
    assert_eq!(
        (
            board.unit.beds,
            board.unit.occupied_beds,
            board.unit.patients
        ),
        (1, 1, 2)
    );
}

/// Refused inputs are kept, newest first, and counted per feed.
pub(crate) fn quarantine(store: &dyn Store) {
    let before = store.status().unwrap();
    store
        .quarantine(vec![
            Rejection {
                feed: "QUA-feed".into(),
                received_ms: 1_000,
                message_id: Some("QUA-OLD".into()),
                reason: "PID-3 vide".into(),
                raw: b"MSH|^~\\&|old".to_vec(),
            },
            Rejection {
                feed: "QUA-feed".into(),
                received_ms: 9_999_999_999_999,
                message_id: None,
                reason: "segment MSH absent".into(),
                raw: vec![0xFF, 0x00, 0x41],
            },
        ])
        .unwrap();
    let entries = store.quarantine_entries(2).unwrap();
    assert_eq!(entries[0].reason, "segment MSH absent");
    assert_eq!(entries[0].size, 3);
    let old = store.quarantine_entries(1000).unwrap();
    assert!(
        old.iter()
            .any(|e| e.message_id.as_deref() == Some("QUA-OLD") && e.size == 12)
    );
    let after = store.status().unwrap();
    assert_eq!(after.quarantined, before.quarantined + 2);
    let feed = after
        .feeds
        .iter()
        .find(|f| f.name == "QUA-feed")
        .expect("feed counted");
    assert_eq!(
        (feed.rejected, feed.accepted, feed.last_received_ms),
        (2, 0, None)
    );
}

/// Search by name prefix without accents or case, by birth date, by INS.
pub(crate) fn search(store: &dyn Store) {
    let key = patient("SRC-1");
    commit_one(
        store,
        message(
            "SRC-A",
            vec![
                Fact::PatientUpdated(PatientUpdate {
                    patient: key.clone(),
                    identifiers: vec![
                        ipp("SRC-1"),
                        Identifier {
                            value: "2850312345678".into(),
                            system: Some("1.2.250.1.213.1.4.8".into()),
                            kind: Some("INS".into()),
                        },
                    ],
                    family: Field::Value("Le Hénaff-Écuyer".into()),
                    given: Field::Value("Gwénaëlle Marie".into()),
                    birth_date: Field::Value(at("1985-03-01")),
                    ..PatientUpdate::default()
                }),
                admit("SRC-V", &key, place("SRC-U", "4", "2"), "2024-03-01T10:00"),
            ],
        ),
    );
    let find = |query: PatientQuery| -> Vec<PatientKey> {
        store
            .search_patients(&query, 10)
            .unwrap()
            .into_iter()
            .map(|r| r.patient)
            .collect()
    };
    let name = |n: &str| PatientQuery {
        name: Some(n.into()),
        ..Default::default()
    };
    assert_eq!(find(name("gwenae")), vec![key.clone()]);
    assert_eq!(find(name("HENAFF")), vec![key.clone()]);
    assert_eq!(find(name("écuy mar")), vec![key.clone()]);
    assert!(find(name("gwenae zzz")).is_empty());
    assert_eq!(
        find(PatientQuery {
            birth_date: Some((1985, 3, 1)),
            name: Some("le".into()),
            ..Default::default()
        }),
        vec![key.clone()]
    );
    assert!(
        find(PatientQuery {
            birth_date: Some((1985, 3, 2)),
            name: Some("le".into()),
            ..Default::default()
        })
        .is_empty()
    );
    assert_eq!(
        find(PatientQuery {
            identifier: Some("2850312345678".into()),
            ..Default::default()
        }),
        vec![key.clone()]
    );
    let rows = store.search_patients(&name("gwen"), 10).unwrap();
    assert_eq!(
        (
            rows[0].ipp.as_deref(),
            rows[0].unit.as_deref(),
            rows[0].bed.as_deref()
        ),
        (Some("SRC-1"), Some("SRC-U"), Some("2"))
    );
    let chart = store.patient_chart(&key).unwrap().unwrap();
    assert_eq!(chart.identity.ins.as_deref(), Some("2850312345678"));
    assert!(
        find(PatientQuery::default()).is_empty(),
        "no criterion, no list of everyone"
    );
}

/// A44 moves a stay and its records to another patient.
pub(crate) fn encounter_moved(store: &dyn Store) {
    let wrong = patient("MOV-WRONG");
    let right = patient("MOV-RIGHT");
    let mut lab = observation(
        "MOV-O1",
        &wrong,
        ObservationCategory::Lab,
        "GLU",
        "5.5",
        "2024-03-01T08:00",
    );
    if let Fact::ObservationRecorded(o) = &mut lab {
        o.encounter = Some(EncounterKey("MOV-V".into()));
    }
    commit_one(
        store,
        message(
            "MOV-1",
            vec![
                person(&wrong, "Faux", "Patient"),
                person(&right, "Vrai", "Patient"),
                admit(
                    "MOV-V",
                    &wrong,
                    place("MOV-U", "1", "1"),
                    "2024-03-01T10:00",
                ),
                lab,
            ],
        ),
    );
    commit_one(
        store,
        message(
            "MOV-2",
            vec![Fact::EncounterMoved {
                encounter: EncounterKey("MOV-V".into()),
                from: wrong.clone(),
                to: right.clone(),
            }],
        ),
    );
    assert_eq!(
        unit_patients(store, "MOV-U"),
        vec![(Some("1".into()), Some("1".into()), right.0.clone())]
    );
    assert_eq!(
        store.patient_chart(&right).unwrap().unwrap().results.len(),
        1
    );
    assert!(
        store
            .patient_chart(&wrong)
            .unwrap()
            .unwrap()
            .results
            .is_empty()
    );
}

/// Events come back in log order, whole, from any point.
pub(crate) fn events_after(store: &dyn Store) {
    let all = store.events_after(None, usize::MAX).unwrap();
    let submission = facts(vec![
        person(&patient("EVT-1"), "Log", "Un"),
        person(&patient("EVT-2"), "Log", "Deux"),
    ]);
    let sent = submission.events.clone();
    commit_one(store, submission);
    let last_before = all.last().map(|e| e.id);
    let tail = store.events_after(last_before, 10).unwrap();
    assert_eq!(tail, sent);
    assert_eq!(
        store.events_after(Some(sent[0].id), 10).unwrap(),
        vec![sent[1].clone()]
    );
    assert!(store.events_after(Some(sent[1].id), 10).unwrap().is_empty());
}

/// Crisis facts come back by kind, in order, from any point; a submission
/// from no feed counts in no feed; feed activity is bucketed by reception.
pub(crate) fn crisis_events_and_activity(store: &dyn Store) {
    let before = store.events_of_kind("crisis", None, usize::MAX).unwrap();
    let entry = |text: &str| {
        Fact::Crisis(CrisisFact::LogEntry {
            id: ItemId(text.to_owned()),
            text: text.to_owned(),
            corrects: None,
        })
    };
    let typed = Submission {
        feed: String::new(),
        received_ms: tick() as i64,
        dedup: None,
        events: vec![event(entry("un")), event(entry("deux"))],
    };
    let sent = typed.events.clone();
    let feeds_before = store.feeds().unwrap();
    let activity_before = store.feed_activity(0).unwrap();
    assert_eq!(commit_one(store, typed), Outcome::Stored);
    commit_one(
        store,
        message(
            "CRISIS-ACT-1",
            vec![person(&patient("ACT-1"), "Flux", "Un")],
        ),
    );

    let after = store
        .events_of_kind("crisis", before.last().map(|e| e.id), 10)
        .unwrap();
    assert_eq!(after, sent);
    assert_eq!(
        store
            .events_of_kind("crisis", Some(sent[0].id), 10)
            .unwrap(),
        vec![sent[1].clone()]
    );
    assert!(
        store
            .events_of_kind("patient", Some(sent[1].id), 10)
            .unwrap()
            .len()
            == 1
    );

    let feeds = store.feeds().unwrap();
    assert!(
        feeds.iter().all(|f| !f.name.is_empty()),
        "typed entries count in no feed"
    );
    let adt = |feeds: &[ckisa_store::FeedStatus]| {
        feeds
            .iter()
            .find(|f| f.name == "adt")
            .map_or(0, |f| f.accepted)
    };
    assert_eq!(adt(&feeds), adt(&feeds_before) + 1);
    let total = |activity: &[ckisa_store::FeedActivity]| -> u64 {
        activity
            .iter()
            .filter(|a| a.feed == "adt")
            .flat_map(|a| &a.buckets)
            .map(|b| b.count)
            .sum()
    };
    let activity = store.feed_activity(0).unwrap();
    assert_eq!(total(&activity), total(&activity_before) + 1);
    for feed in &activity {
        for bucket in &feed.buckets {
            assert_eq!(bucket.start_ms % ckisa_store::ACTIVITY_BUCKET_MS, 0);
        }
    }
    assert!(store.feed_activity(i64::MAX).unwrap().is_empty());
}

/// Every story, in order, on one store.
pub(crate) fn all(store: &dyn Store) {
    census_and_chart(store);
    duplicate_control_id(store);
    null_versus_absent(store);
    merge(store);
    out_of_order_transfer(store);
    cancellations(store);
    two_patients_one_bed(store);
    quarantine(store);
    search(store);
    encounter_moved(store);
    events_after(store);
    crisis_events_and_activity(store);
    care::all(store);
    messaging::all(store);
}

/// Everything the pages can show, as text, to compare two stores or the
/// same store before and after a restart or a replay.
pub(crate) fn snapshot(store: &dyn Store) -> String {
    let mut text = String::new();
    let units = store.units().unwrap();
    text.push_str(&format!("{units:#?}\n"));
    for unit in &units {
        text.push_str(&format!("{:#?}\n", store.unit_board(&unit.code).unwrap()));
    }
    let mut patients = Vec::new();
    for event in store.events_after(None, usize::MAX).unwrap() {
        if let Some(key) = event.fact.patient() {
            text.push_str(&format!("{:#?}\n", store.patient_chart(key).unwrap()));
            patients.push(key.clone());
        }
    }
    patients.sort();
    patients.dedup();
    text.push_str(&care::snapshot(store, &patients));
    let mut status = store.status().unwrap();
    status.facts.sort();
    text.push_str(&format!("{status:#?}\n"));
    text.push_str(&format!("{:#?}\n", store.quarantine_entries(100).unwrap()));
    text
}

/// SQL injection through every read parameter: search text, birth date,
/// identifier, unit code, patient key. Each hostile value is data, never
/// SQL: it matches nothing (or only itself), and the stored data is intact.
pub(crate) fn injection(store: &dyn Store) {
    let alice = patient("SQLI-ALICE");
    let hostile = PatientKey::ipp("HOPITAL", "x' OR '1'='1");
    commit_one(
        store,
        message(
            "SQLI-1",
            vec![
                person(&alice, "Martin", "Alice"),
                person(&hostile, "Robert'); DROP TABLE events;--", "Bobby"),
                admit(
                    "SQLI-V1",
                    &alice,
                    place("SQLI-U", "1", "1"),
                    "2024-03-01T10:00",
                ),
            ],
        ),
    );
    let payloads = [
        "' OR '1'='1",
        "'; DROP TABLE events; --",
        "\" OR 1=1 --",
        "%",
        "_",
        "x' UNION SELECT sql FROM sqlite_master --",
        "\\'; DELETE FROM patients; --",
    ];
    for payload in payloads {
        let by_name = PatientQuery {
            name: Some(payload.to_owned()),
            ..PatientQuery::default()
        };
        let found = store.search_patients(&by_name, 50).unwrap();
        assert!(
            found.iter().all(|row| row.patient != alice),
            "name {payload:?} matched Alice"
        );
        let by_id = PatientQuery {
            identifier: Some(payload.to_owned()),
            ..PatientQuery::default()
        };
        assert!(
            store.search_patients(&by_id, 50).unwrap().is_empty(),
            "{payload:?}"
        );
        assert!(store.unit_board(payload).unwrap().is_none(), "{payload:?}");
        let key = PatientKey(payload.to_owned());
        assert!(store.patient_chart(&key).unwrap().is_none(), "{payload:?}");
    }
    // The hostile name is stored and found as the text it is.
    let by_name = PatientQuery {
        name: Some("Robert'); DROP".to_owned()),
        ..PatientQuery::default()
    };
    let found = store.search_patients(&by_name, 50).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].patient, hostile);
    let chart = store
        .patient_chart(&hostile)
        .unwrap()
        .expect("hostile key is a key");
    assert_eq!(chart.identity.given.as_deref(), Some("Bobby"));
    // Nothing was dropped or deleted.
    assert!(store.patient_chart(&alice).unwrap().is_some());
    let board = store.unit_board("SQLI-U").unwrap().expect("unit");
    assert_eq!(board.unit.patients, 1);
}
