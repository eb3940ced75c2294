//! The clinical capsule's part of the storage story: facts typed during a
//! downtime ([`CareFact::Entered`]) projected like the feed's, the care facts
//! kept in the log only, appointments and diets.

use ckisa_domain::{
    Actor, Administration, AdministrationOutcome, Appointment, AppointmentStatus, CareFact, Coded,
    Diet, Directory, EncounterKey, Event, EventId, Fact, Hlc, Identifier, LabRequest, Medication,
    MedicationKind, NodeId, NursingNote, Observation, ObservationCategory, ObservationValue,
    PatientKey, PrescriptionReview, Reconciliation, ReconciliationStatus, RecordStatus,
    ResourceRef, ReviewVerdict, Source, SourceChannel,
};
use ckisa_store::{Outcome, Store, Submission};

use super::{
    admit, allergy, at, commit_one, facts, message, observation, patient, person, place, tick,
    transfer,
};

/// A fact typed by a caregiver in the capsule.
fn entered(fact: Fact) -> Fact {
    Fact::Care(CareFact::Entered(Box::new(fact)))
}

/// Facts typed by a caregiver, as the capsule commits them: in no feed,
/// from a user, without deduplication key.
fn typed(facts: Vec<Fact>) -> Submission {
    Submission {
        feed: String::new(),
        received_ms: tick() as i64,
        dedup: None,
        events: facts
            .into_iter()
            .map(|fact| {
                let ms = tick();
                Event {
                    id: EventId::new(ms),
                    hlc: Hlc::new(ms, 0),
                    origin: NodeId(String::from("story-node")),
                    actor: Actor::User(String::from("ide.martin")),
                    source: Source {
                        channel: SourceChannel::User,
                        origin: String::from("soins"),
                        message_id: None,
                        sender: None,
                        fhir_id: None,
                    },
                    fact,
                }
            })
            .collect(),
    }
}

/// Milliseconds of an ISO moment (with its offset).
fn ms(text: &str) -> i64 {
    at(text).sort_key()
}

fn plain(text: &str) -> Coded {
    Coded {
        code: None,
        system: None,
        text: text.into(),
    }
}

fn appointment(id: &str, key: &PatientKey, start: &str, status: AppointmentStatus) -> Fact {
    Fact::AppointmentRecorded(Appointment {
        id: id.into(),
        patient: key.clone(),
        start: at(start),
        minutes: Some(30),
        clinic: Some("Consultation cardiologie".into()),
        practitioner: Some(ResourceRef {
            reference: None,
            identifier: Some(Identifier {
                value: "RPPS-77".into(),
                system: Some("RPPS".into()),
                kind: None,
            }),
            display: Some("DURAND".into()),
        }),
        reason: Some("Contrôle".into()),
        status,
    })
}

fn diet(id: &str, key: &PatientKey, names: &[&str], start: &str, active: bool) -> Fact {
    Fact::DietRecorded(Diet {
        id: id.into(),
        patient: key.clone(),
        encounter: None,
        diets: names.iter().map(|n| plain(n)).collect(),
        remarks: None,
        start: Some(at(start)),
        nil_by_mouth: false,
        active,
    })
}

fn medication(id: &str, key: &PatientKey, drug: &str, status: RecordStatus) -> Fact {
    Fact::MedicationRecorded(Medication {
        id: id.into(),
        patient: key.clone(),
        encounter: None,
        kind: MedicationKind::Order,
        drug: plain(drug),
        dose: Some("1 g".into()),
        route: Some("PO".into()),
        frequency: Some("3 fois par jour".into()),
        start: Some(at("2024-03-01T08:00")),
        end: None,
        prescriber: None,
        status,
        note: None,
    })
}

fn administration(id: &str, key: &PatientKey) -> Fact {
    Fact::Care(CareFact::Administered(Administration {
        id: id.into(),
        patient: key.clone(),
        encounter: None,
        medication: "CARE-M1".into(),
        drug: plain("Paracétamol"),
        planned: Some(at("2024-03-05T08:00")),
        at: at("2024-03-05T08:10"),
        outcome: AdministrationOutcome::Given {
            dose: "1 g".into(),
            route: "PO".into(),
        },
        by: "IDE Martin".into(),
        comment: None,
    }))
}

fn values(history: &[Observation]) -> Vec<(&str, String)> {
    history
        .iter()
        .map(|o| {
            let value = match &o.value {
                ObservationValue::Quantity { value, .. } => value.clone(),
                other => format!("{other:?}"),
            };
            (o.id.as_str(), value)
        })
        .collect()
}

// Stories ----------------------------------------------------------------------

/// A vital typed in the capsule shows in the chart and in the history next
/// to the feed's values; typed results go to their category; an entry
/// corrected as entered in error leaves the history; an embedded document
/// typed in the capsule is kept once, like the feed's.
pub(crate) fn care_entered_observations(store: &dyn Store) {
    let anne = patient("CAREOBS-ANNE");
    commit_one(
        store,
        message(
            "CAREOBS-1",
            vec![
                person(&anne, "Petit", "Anne"),
                observation(
                    "CAREOBS-T1",
                    &anne,
                    ObservationCategory::Vital,
                    "TEMP",
                    "37.2",
                    "2024-03-04T08:00",
                ),
                observation(
                    "CAREOBS-K1",
                    &anne,
                    ObservationCategory::Lab,
                    "K",
                    "4.1",
                    "2024-03-04T07:00",
                ),
            ],
        ),
    );
    let typed_vitals = typed(vec![
        entered(observation(
            "obs-CAREOBS-T2",
            &anne,
            ObservationCategory::Vital,
            "TEMP",
            "38.9",
            "2024-03-05T08:00",
        )),
        entered(observation(
            "obs-CAREOBS-HR",
            &anne,
            ObservationCategory::Vital,
            "HR",
            "112",
            "2024-03-05T08:00",
        )),
        entered(observation(
            "obs-CAREOBS-K2",
            &anne,
            ObservationCategory::Lab,
            "K",
            "5.9",
            "2024-03-05T07:30",
        )),
    ]);
    assert_eq!(commit_one(store, typed_vitals), Outcome::Stored);

    let chart = store.patient_chart(&anne).unwrap().expect("chart");
    let latest: Vec<(&str, String)> = values(&chart.vitals);
    assert!(
        latest.contains(&("obs-CAREOBS-T2", "38.9".into())),
        "the typed temperature is the latest: {latest:?}"
    );
    assert!(!latest.iter().any(|(id, _)| *id == "CAREOBS-T1"));
    assert!(chart.results.iter().any(|r| r.id == "obs-CAREOBS-K2"));

    let vitals = store
        .observations(&anne, ObservationCategory::Vital, None)
        .unwrap();
    assert_eq!(
        values(&vitals),
        vec![
            ("CAREOBS-T1", "37.2".into()),
            ("obs-CAREOBS-T2", "38.9".into()),
            ("obs-CAREOBS-HR", "112".into()),
        ],
        "feed and typed values together, oldest first (same time: by log order)"
    );
    assert!(vitals.iter().all(|o| o.patient == anne));
    let labs = store
        .observations(&anne, ObservationCategory::Lab, None)
        .unwrap();
    assert_eq!(
        values(&labs),
        vec![
            ("CAREOBS-K1", "4.1".into()),
            ("obs-CAREOBS-K2", "5.9".into())
        ]
    );
    assert!(
        store
            .observations(&anne, ObservationCategory::Other, None)
            .unwrap()
            .is_empty(),
        "lab results are not 'other' results"
    );
    let since = store
        .observations(
            &anne,
            ObservationCategory::Vital,
            Some(ms("2024-03-05T00:00:00+01:00")),
        )
        .unwrap();
    assert_eq!(since.len(), 2, "since_ms leaves older values out");

    // The caregiver corrects a typo: the typed heart rate was entered in error.
    let Fact::ObservationRecorded(mut wrong) = observation(
        "obs-CAREOBS-HR",
        &anne,
        ObservationCategory::Vital,
        "HR",
        "112",
        "2024-03-05T08:00",
    ) else {
        unreachable!("an observation fact")
    };
    wrong.status = Some("entered-in-error".into());
    commit_one(
        store,
        typed(vec![entered(Fact::ObservationRecorded(wrong))]),
    );
    let vitals = store
        .observations(&anne, ObservationCategory::Vital, None)
        .unwrap();
    assert!(!vitals.iter().any(|o| o.id == "obs-CAREOBS-HR"));
    let chart = store.patient_chart(&anne).unwrap().unwrap();
    assert!(!chart.vitals.iter().any(|o| o.id == "obs-CAREOBS-HR"));

    // A typed document (a scanned ECG) is summarised by size, as from a feed.
    let Fact::ObservationRecorded(mut ecg) = observation(
        "obs-CAREOBS-ECG",
        &anne,
        ObservationCategory::Other,
        "ECG",
        "",
        "2024-03-05T09:00",
    ) else {
        unreachable!("an observation fact")
    };
    ecg.value = ObservationValue::Document {
        media_type: Some("application/pdf".into()),
        size_bytes: 3_000,
        data: "JVBERi0xLjQK".repeat(250),
    };
    commit_one(store, typed(vec![entered(Fact::ObservationRecorded(ecg))]));
    let others = store
        .observations(&anne, ObservationCategory::Other, None)
        .unwrap();
    assert_eq!(others.len(), 1);
    assert!(matches!(
        &others[0].value,
        ObservationValue::Document { size_bytes: 3_000, data, .. } if data.is_empty()
    ));

    // An unknown patient has no history.
    assert!(
        store
            .observations(&patient("CAREOBS-NOBODY"), ObservationCategory::Vital, None)
            .unwrap()
            .is_empty()
    );
}

/// An admission and a transfer typed in the capsule move the bed board; the
/// unit's medication grid reads its in-house patients at once.
pub(crate) fn care_entered_movements(store: &dyn Store) {
    let known = patient("CAREMOV-KNOWN");
    commit_one(
        store,
        message(
            "CAREMOV-1",
            vec![
                person(&known, "Roux", "Paul"),
                admit(
                    "CAREMOV-V1",
                    &known,
                    place("CAREMOV-U", "1", "1"),
                    "2024-03-01T10:00",
                ),
                medication("CAREMOV-M1", &known, "Paracétamol", RecordStatus::Active),
                medication("CAREMOV-M2", &known, "Morphine", RecordStatus::Inactive),
                allergy("CAREMOV-AL1", &known, "Pénicilline", RecordStatus::Active),
            ],
        ),
    );
    // A provisional identity from the downtime IPP range, admitted in bed 2.
    let provisional = patient("CAREMOV-DT0001");
    let admission = typed(vec![
        entered(person(&provisional, "Inconnu", "Homme")),
        entered(admit(
            "CAREMOV-DTV1",
            &provisional,
            place("CAREMOV-U", "1", "2"),
            "2024-03-05T03:10",
        )),
        entered(medication(
            "rx-CAREMOV-1",
            &provisional,
            "Amoxicilline",
            RecordStatus::Active,
        )),
    ]);
    assert_eq!(commit_one(store, admission), Outcome::Stored);
    let beds = |store: &dyn Store| -> Vec<(Option<String>, String)> {
        let board = store.unit_board("CAREMOV-U").unwrap().expect("unit seen");
        board
            .beds
            .iter()
            .flat_map(|row| {
                row.occupants
                    .iter()
                    .map(|o| (row.bed.clone(), o.patient.0.clone()))
            })
            .collect()
    };
    assert_eq!(
        beds(store),
        vec![
            (Some("1".into()), known.0.clone()),
            (Some("2".into()), provisional.0.clone())
        ]
    );

    let grid = store.unit_medications("CAREMOV-U").unwrap();
    let summary: Vec<(&str, Vec<&str>, Vec<&str>)> = grid
        .iter()
        .map(|p| {
            (
                p.patient.as_str(),
                p.medications.iter().map(|m| m.id.as_str()).collect(),
                p.allergies.iter().map(|a| a.id.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                provisional.as_str(),
                vec!["rx-CAREMOV-1"],
                Vec::<&str>::new()
            ),
            (known.as_str(), vec!["CAREMOV-M1"], vec!["CAREMOV-AL1"]),
        ],
        "every in-house patient, active records only"
    );
    assert!(store.unit_medications("CAREMOV-NONE").unwrap().is_empty());

    // Transferred to bed 3 during the downtime, then the known patient leaves.
    commit_one(
        store,
        typed(vec![entered(transfer(
            "CAREMOV-DTV1",
            &provisional,
            place("CAREMOV-U", "1", "3"),
            "2024-03-05T09:00",
        ))]),
    );
    commit_one(
        store,
        typed(vec![entered(Fact::Discharged {
            encounter: EncounterKey("CAREMOV-V1".into()),
            patient: known.clone(),
            at: Some(at("2024-03-05T11:00")),
        })]),
    );
    assert_eq!(
        beds(store),
        vec![(Some("3".into()), provisional.0.clone())],
        "bed 2 freed, bed 1 freed by the discharge"
    );
    let chart = store.patient_chart(&provisional).unwrap().unwrap();
    assert_eq!(chart.stay.and_then(|s| s.bed).as_deref(), Some("3"));
    let grid = store.unit_medications("CAREMOV-U").unwrap();
    assert_eq!(
        grid.iter().map(|p| &p.patient).collect::<Vec<_>>(),
        vec![&provisional]
    );
}

/// An appointment booked, moved, then cancelled stays one line, at its new
/// time, with its status; the day list joins the patient's identity and the
/// practitioner's name.
pub(crate) fn appointments_booked_changed_cancelled(store: &dyn Store) {
    let jean = patient("CAREAPT-JEAN");
    commit_one(
        store,
        facts(vec![
            person(&jean, "Blanc", "Jean"),
            Fact::DirectoryEntry(Directory {
                reference: "Practitioner/CAREAPT-DR".into(),
                identifiers: vec![Identifier {
                    value: "RPPS-77".into(),
                    system: Some("RPPS".into()),
                    kind: None,
                }],
                name: "Dr Claire Durand".into(),
            }),
        ]),
    );
    let day = (
        ms("2024-04-02T00:00:00+02:00"),
        ms("2024-04-03T00:00:00+02:00"),
    );
    commit_one(
        store,
        message(
            "CAREAPT-S12",
            vec![
                appointment(
                    "CAREAPT-A1",
                    &jean,
                    "2024-04-02T14:00:00+02:00",
                    AppointmentStatus::Booked,
                ),
                appointment(
                    "CAREAPT-A2",
                    &jean,
                    "2024-04-02T09:00:00+02:00",
                    AppointmentStatus::Booked,
                ),
                appointment(
                    "CAREAPT-A3",
                    &jean,
                    "2024-04-03T09:00:00+02:00",
                    AppointmentStatus::Booked,
                ),
            ],
        ),
    );
    let list = |store: &dyn Store| -> Vec<(String, i64, AppointmentStatus)> {
        store
            .appointments(day.0, day.1)
            .unwrap()
            .into_iter()
            .map(|row| {
                (
                    row.appointment.id,
                    row.appointment.start.sort_key(),
                    row.appointment.status,
                )
            })
            .collect()
    };
    assert_eq!(
        list(store),
        vec![
            (
                "CAREAPT-A2".into(),
                ms("2024-04-02T09:00:00+02:00"),
                AppointmentStatus::Booked
            ),
            (
                "CAREAPT-A1".into(),
                ms("2024-04-02T14:00:00+02:00"),
                AppointmentStatus::Booked
            ),
        ],
        "by start; the next day's is out of the range"
    );
    let rows = store.appointments(day.0, day.1).unwrap();
    let first = &rows[0];
    assert_eq!(first.family.as_deref(), Some("Blanc"));
    assert_eq!(first.given.as_deref(), Some("Jean"));
    assert_eq!(first.ipp.as_deref(), Some("CAREAPT-JEAN"));
    assert_eq!(first.birth_date, Some(at("1950-04-02")));
    assert_eq!(first.practitioner.as_deref(), Some("Dr Claire Durand"));
    assert_eq!(
        first.appointment.clinic.as_deref(),
        Some("Consultation cardiologie")
    );

    // S14: A1 moved to 08:00; S15: A2 cancelled.
    commit_one(
        store,
        message(
            "CAREAPT-S14",
            vec![appointment(
                "CAREAPT-A1",
                &jean,
                "2024-04-02T08:00:00+02:00",
                AppointmentStatus::Booked,
            )],
        ),
    );
    commit_one(
        store,
        message(
            "CAREAPT-S15",
            vec![appointment(
                "CAREAPT-A2",
                &jean,
                "2024-04-02T09:00:00+02:00",
                AppointmentStatus::Cancelled,
            )],
        ),
    );
    assert_eq!(
        list(store),
        vec![
            (
                "CAREAPT-A1".into(),
                ms("2024-04-02T08:00:00+02:00"),
                AppointmentStatus::Booked
            ),
            (
                "CAREAPT-A2".into(),
                ms("2024-04-02T09:00:00+02:00"),
                AppointmentStatus::Cancelled
            ),
        ]
    );
    // The bounds are [from, to): an appointment at `to` belongs to the next day.
    let next = store
        .appointments(day.1, ms("2024-04-04T00:00:00+02:00"))
        .unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].appointment.id, "CAREAPT-A3");
    assert!(store.appointments(day.1, day.0).unwrap().is_empty());
}

/// A diet replaced then ended: the current diet follows, an ended one no
/// longer counts; typed and feed diets mix.
pub(crate) fn diets_replaced_and_ended(store: &dyn Store) {
    let lucie = patient("CAREDIET-LUCIE");
    let marc = patient("CAREDIET-MARC");
    let none = patient("CAREDIET-NONE");
    commit_one(
        store,
        message(
            "CAREDIET-1",
            vec![
                person(&lucie, "Noir", "Lucie"),
                person(&marc, "Vert", "Marc"),
                person(&none, "Gris", "Rien"),
                diet(
                    "CAREDIET-D1",
                    &lucie,
                    &["sans sel"],
                    "2024-03-01T12:00",
                    true,
                ),
                diet("CAREDIET-D9", &marc, &["mixé"], "2024-03-01T12:00", true),
            ],
        ),
    );
    let current = |store: &dyn Store, keys: &[PatientKey]| -> Vec<(String, String, Vec<String>)> {
        store
            .diets(keys)
            .unwrap()
            .into_iter()
            .map(|d| {
                (
                    d.patient.0,
                    d.id,
                    d.diets.into_iter().map(|c| c.text).collect(),
                )
            })
            .collect()
    };
    let everyone = [lucie.clone(), marc.clone(), none.clone(), lucie.clone()];
    assert_eq!(
        current(store, &everyone),
        vec![
            (
                lucie.0.clone(),
                "CAREDIET-D1".into(),
                vec!["sans sel".into()]
            ),
            (marc.0.clone(), "CAREDIET-D9".into(), vec!["mixé".into()]),
        ],
        "by patient, once each; a patient without a diet has none"
    );

    // The same order changed in place.
    commit_one(
        store,
        message(
            "CAREDIET-2",
            vec![diet(
                "CAREDIET-D1",
                &lucie,
                &["sans sel", "diabétique"],
                "2024-03-01T12:00",
                true,
            )],
        ),
    );
    assert_eq!(
        current(store, std::slice::from_ref(&lucie)),
        vec![(
            lucie.0.clone(),
            "CAREDIET-D1".into(),
            vec!["sans sel".into(), "diabétique".into()]
        )]
    );

    // Replaced during the downtime: a typed order, the old one ended.
    commit_one(
        store,
        typed(vec![
            entered(diet(
                "diet-CAREDIET-2",
                &lucie,
                &["à jeun"],
                "2024-03-05T06:00",
                true,
            )),
            entered(diet(
                "CAREDIET-D1",
                &lucie,
                &["sans sel", "diabétique"],
                "2024-03-01T12:00",
                false,
            )),
        ]),
    );
    assert_eq!(
        current(store, std::slice::from_ref(&lucie)),
        vec![(
            lucie.0.clone(),
            "diet-CAREDIET-2".into(),
            vec!["à jeun".into()]
        )]
    );
    // Two orders in force are both shown, the newest first.
    commit_one(
        store,
        message(
            "CAREDIET-3",
            vec![diet(
                "CAREDIET-D10",
                &marc,
                &["sans gluten"],
                "2024-03-02T12:00",
                true,
            )],
        ),
    );
    assert_eq!(
        current(store, std::slice::from_ref(&marc))
            .into_iter()
            .map(|(_, id, _)| id)
            .collect::<Vec<_>>(),
        vec!["CAREDIET-D10".to_owned(), "CAREDIET-D9".to_owned()]
    );
    // Ended: no current diet.
    commit_one(
        store,
        typed(vec![entered(diet(
            "diet-CAREDIET-2",
            &lucie,
            &["à jeun"],
            "2024-03-05T06:00",
            false,
        ))]),
    );
    assert!(current(store, std::slice::from_ref(&lucie)).is_empty());
    assert!(current(store, &[patient("CAREDIET-UNKNOWN")]).is_empty());
    assert!(current(store, &[]).is_empty());
}

/// A merge (from a feed, or typed to match a provisional identity with its
/// real IPP) carries appointments, diets and observations to the survivor;
/// a care fact still naming the retired key is refused like any other.
pub(crate) fn merge_carries_care_records(store: &dyn Store) {
    let real = patient("CAREMRG-REAL");
    let provisional = patient("CAREMRG-DT0042");
    commit_one(
        store,
        message("CAREMRG-1", vec![person(&real, "Lefèvre", "Hugo")]),
    );
    commit_one(
        store,
        typed(vec![
            entered(person(&provisional, "Inconnu", "Homme")),
            entered(diet(
                "diet-CAREMRG-1",
                &provisional,
                &["sans porc"],
                "2024-03-05T06:00",
                true,
            )),
            entered(observation(
                "obs-CAREMRG-T1",
                &provisional,
                ObservationCategory::Vital,
                "TEMP",
                "36.8",
                "2024-03-05T08:00",
            )),
        ]),
    );
    commit_one(
        store,
        message(
            "CAREMRG-2",
            vec![appointment(
                "CAREMRG-A1",
                &provisional,
                "2024-04-10T10:00:00+02:00",
                AppointmentStatus::Booked,
            )],
        ),
    );

    // The downtime identity is matched to the real IPP in the capsule.
    let matched = typed(vec![entered(Fact::PatientsMerged {
        survivor: real.clone(),
        merged: provisional.clone(),
    })]);
    assert_eq!(commit_one(store, matched), Outcome::Stored);

    let diets = store.diets(std::slice::from_ref(&provisional)).unwrap();
    assert_eq!(diets.len(), 1);
    assert_eq!(
        (diets[0].id.as_str(), &diets[0].patient),
        ("diet-CAREMRG-1", &real)
    );
    assert_eq!(store.diets(std::slice::from_ref(&real)).unwrap(), diets);
    let rows = store
        .appointments(
            ms("2024-04-10T00:00:00+02:00"),
            ms("2024-04-11T00:00:00+02:00"),
        )
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.appointment.id == "CAREMRG-A1")
        .expect("the appointment follows the merge");
    assert_eq!(row.appointment.patient, real);
    assert_eq!(row.family.as_deref(), Some("Lefèvre"));
    assert_eq!(row.ipp.as_deref(), Some("CAREMRG-REAL"));
    let history = store
        .observations(&provisional, ObservationCategory::Vital, None)
        .unwrap();
    assert_eq!(values(&history), vec![("obs-CAREMRG-T1", "36.8".into())]);
    assert_eq!(history[0].patient, real);

    // A dose recorded on a terminal still showing the provisional identity.
    let late = commit_one(
        store,
        typed(vec![administration("adm-CAREMRG-1", &provisional)]),
    );
    assert!(
        matches!(&late, Outcome::Refused { reason } if reason.contains("fusionné")),
        "{late:?}"
    );
    let late_diet = commit_one(
        store,
        typed(vec![entered(diet(
            "diet-CAREMRG-2",
            &provisional,
            &["mixé"],
            "2024-03-06T06:00",
            true,
        ))]),
    );
    assert!(
        matches!(late_diet, Outcome::Refused { .. }),
        "{late_diet:?}"
    );
    assert_eq!(store.diets(std::slice::from_ref(&real)).unwrap().len(), 1);
}

/// Care facts other than entered ones are kept in the log, found by kind in
/// order, and project nothing.
pub(crate) fn care_events_by_kind(store: &dyn Store) {
    let before = store.events_of_kind("care", None, usize::MAX).unwrap();
    let nina = patient("CAREEVT-NINA");
    let dr = ResourceRef {
        reference: Some("Practitioner/CAREEVT-DR".into()),
        identifier: None,
        display: Some("Dr House".into()),
    };
    let submission = typed(vec![
        administration("adm-CAREEVT-1", &nina),
        Fact::Care(CareFact::Reviewed(PrescriptionReview {
            medication: "CARE-M1".into(),
            patient: nina.clone(),
            verdict: ReviewVerdict::Validated,
            remark: None,
            by: "Pharmacien".into(),
        })),
        Fact::Care(CareFact::Note(NursingNote {
            id: "note-CAREEVT-1".into(),
            patient: nina.clone(),
            encounter: None,
            target: "Douleur".into(),
            data: "EVA 7".into(),
            actions: "Antalgique".into(),
            results: String::new(),
            at: at("2024-03-05T10:00"),
            by: "IDE Martin".into(),
            for_handover: true,
        })),
        Fact::Care(CareFact::LabRequested(LabRequest {
            id: "DT000123".into(),
            patient: nina.clone(),
            encounter: None,
            unit: "CAREEVT-U".into(),
            tests: vec![plain("Kaliémie")],
            specimen: "sang veineux".into(),
            sampled_at: at("2024-03-05T10:05"),
            requester: dr,
            urgent: true,
            comment: None,
        })),
        Fact::Care(CareFact::Reconciled(Reconciliation {
            item: "0190f000-0000-7000-8000-000000000000".into(),
            status: ReconciliationStatus::Confirmed,
            note: None,
            by: "DPI".into(),
        })),
    ]);
    let sent = submission.events.clone();
    assert_eq!(commit_one(store, submission), Outcome::Stored);

    let after = store
        .events_of_kind("care", before.last().map(|e| e.id), usize::MAX)
        .unwrap();
    assert_eq!(after, sent, "every care fact, in log order, as sent");
    assert_eq!(
        store.events_of_kind("care", Some(sent[2].id), 1).unwrap(),
        vec![sent[3].clone()]
    );
    assert!(
        store.patient_chart(&nina).unwrap().is_none(),
        "care facts other than entered ones project nothing"
    );
    let status = store.status().unwrap();
    let care = status
        .facts
        .iter()
        .find(|(kind, _)| kind == "care")
        .map_or(0, |(_, n)| *n);
    assert!(care >= sent.len() as u64);
}

/// Every care story, in order, on one store.
pub(crate) fn all(store: &dyn Store) {
    care_entered_observations(store);
    care_entered_movements(store);
    appointments_booked_changed_cancelled(store);
    diets_replaced_and_ended(store);
    merge_carries_care_records(store);
    care_events_by_kind(store);
}

/// What the capsule reads that the rest of [`super::snapshot`] does not show:
/// observation histories, appointments, diets and medication grids.
pub(crate) fn snapshot(store: &dyn Store, patients: &[PatientKey]) -> String {
    let mut text = String::new();
    for key in patients {
        for category in [
            ObservationCategory::Vital,
            ObservationCategory::Lab,
            ObservationCategory::Other,
        ] {
            let history = store.observations(key, category, None).unwrap();
            text.push_str(&format!("{key} {category:?} {history:#?}\n"));
        }
    }
    let appointments = store.appointments(i64::MIN, i64::MAX).unwrap();
    text.push_str(&format!("{appointments:#?}\n"));
    text.push_str(&format!("{:#?}\n", store.diets(patients).unwrap()));
    for unit in store.units().unwrap() {
        let grid = store.unit_medications(&unit.code).unwrap();
        text.push_str(&format!("{} {grid:#?}\n", unit.code));
    }
    text
}
