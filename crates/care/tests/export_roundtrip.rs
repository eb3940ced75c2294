//! Re-integration, end to end on real SQLite stores: a scripted downtime is
//! typed into a node, exported as a FHIR transaction bundle and as HL7 v2
//! messages, and each export is ingested through the real ingestion paths
//! (`ckisa_ingest::files`, the FHIR reader, the HL7 mapping) into a fresh
//! node, which must show the same patients, places and documentation; fed
//! back into the node itself, the export is recognised item by item:
//! nothing counts twice and the worklist shows the items confirmed.

use std::sync::Arc;

use ckisa_care::book::CareBook;
use ckisa_care::export::{
    self, ExportContext, FhirExport, Hl7Export, ItemKind, Window, fhir_bundle, hl7_messages,
};
use ckisa_care::ledger;
use ckisa_care::settings::Settings;
use ckisa_care::worklist::worklist;
use ckisa_domain::{
    Actor, Administration, AdministrationOutcome, CareFact, Coded, EncounterKey, Fact, Field, Hlc,
    Identifier, LabRequest, Medication, MedicationKind, Moment, NodeId, NursingNote, Observation,
    ObservationCategory, ObservationValue, PatientKey, PatientUpdate, Place, ReconciliationStatus,
    RecordStatus, ResourceRef, Sex, StayUpdate,
};
use ckisa_ingest::clock::ManualClock;
use ckisa_ingest::files::{FileReport, IngestContext, ingest_bytes};
use ckisa_ingest::hl7map::MapContext;
use ckisa_ingest::pipeline::EventFactory;
use ckisa_store::{Store, UnitDefinition};
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};

/// 04/12/2026 08:00 Paris, when the crisis was declared.
const DECLARED_MS: i64 = 1_796_367_600_000;
const MINUTE: i64 = 60_000;
const AUTHORITY: &str = "CKISA-PROVISOIRE";

struct Node {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
}

fn node() -> Node {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), SqliteOptions::new("Europe/Paris")).unwrap();
    store
        .define_units(&[
            unit("URG", &[("1", "1"), ("1", "2")]),
            unit("REA", &[("2", "1"), ("2", "2")]),
        ])
        .unwrap();
    Node {
        _dir: dir,
        store: Arc::new(store),
    }
}

fn unit(code: &str, beds: &[(&str, &str)]) -> UnitDefinition {
    UnitDefinition {
        code: code.into(),
        name: code.into(),
        beds: beds
            .iter()
            .map(|(r, b)| ((*r).to_owned(), (*b).to_owned()))
            .collect(),
    }
}

fn at(minutes: i64) -> Moment {
    let ts = jiff::Timestamp::from_millisecond(DECLARED_MS + minutes * MINUTE).unwrap();
    let text = ts
        .to_zoned(jiff::tz::TimeZone::get("Europe/Paris").unwrap())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string();
    Moment::parse_iso(&text).unwrap()
}

fn provisional(n: u32) -> PatientKey {
    PatientKey::ipp(AUTHORITY, &format!("9900000{n}"))
}

fn stay_of(n: u32) -> EncounterKey {
    EncounterKey(format!("vn:{AUTHORITY}|DT000{n}"))
}

fn place(unit: &str, room: &str, bed: &str) -> Place {
    Place {
        unit: unit.into(),
        room: Some(room.into()),
        bed: Some(bed.into()),
        facility: None,
    }
}

fn code(code: &str, text: &str) -> Coded {
    Coded {
        code: Some(code.into()),
        system: None,
        text: text.into(),
    }
}

fn doctor() -> ResourceRef {
    ResourceRef {
        reference: None,
        identifier: None,
        display: Some("Dr Martin".into()),
    }
}

/// The note text of the scenario: every HL7 delimiter, a line break, and
/// spaces that must survive.
const NOTE_DATA: &str = "EVA 7/10 | ^ ~ \\ & (délimiteurs)\n  ligne 2 indentée ";

/// What the caregivers of the scenario type, in order, minutes after the
/// declaration.
fn downtime() -> Vec<(i64, &'static str, CareFact)> {
    let a = provisional(1);
    let b = provisional(2);
    let identity = |key: &PatientKey, family: &str, sex| {
        CareFact::Entered(Box::new(Fact::PatientUpdated(PatientUpdate {
            patient: key.clone(),
            identifiers: vec![Identifier {
                value: key.as_str().rsplit('|').next().unwrap().to_owned(),
                system: Some(AUTHORITY.into()),
                kind: Some("PI".into()),
            }],
            family: Field::Value(family.into()),
            given: Field::Value("Inconnu".into()),
            birth_date: Field::Value(Moment::date(1960, 1, 1).unwrap()),
            sex: Field::Value(sex),
            ..PatientUpdate::default()
        })))
    };
    let admission = |key: &PatientKey, n: u32, where_: Place, minutes: i64| {
        CareFact::Entered(Box::new(Fact::StayUpdated(StayUpdate {
            encounter: stay_of(n),
            patient: key.clone(),
            place: Field::Value(where_),
            class: Some("I".into()),
            admitted_at: Some(at(minutes)),
            attending: Some(doctor()),
            in_house: true,
            effective_at: Some(at(minutes)),
            movement_id: None,
        })))
    };
    let transfer = |key: &PatientKey, n: u32, to: Place, minutes: i64| {
        CareFact::Entered(Box::new(Fact::Transferred {
            encounter: stay_of(n),
            patient: key.clone(),
            to,
            at: Some(at(minutes)),
            movement_id: None,
        }))
    };
    let observation = |id: &str, category, coded: Coded, value, minutes: i64| {
        CareFact::Entered(Box::new(Fact::ObservationRecorded(Observation {
            id: id.into(),
            patient: a.clone(),
            encounter: Some(stay_of(1)),
            category,
            code: coded,
            value,
            reference_range: None,
            interpretation: None,
            effective: Some(at(minutes)),
            status: Some("final".into()),
            report: None,
            notes: Vec::new(),
        })))
    };
    let quantity = |value: &str, unit: &str| ObservationValue::Quantity {
        value: value.into(),
        unit: Some(unit.into()),
    };
    let dose = |id: &str, minutes: i64, outcome| {
        CareFact::Administered(Administration {
            id: id.into(),
            patient: a.clone(),
            encounter: Some(stay_of(1)),
            medication: "rx-0001".into(),
            drug: code("N02BE01", "Paracétamol 1 g cp"),
            planned: Some(at(minutes - 5)),
            at: at(minutes),
            outcome,
            by: "Marie Une (IDE)".into(),
            comment: None,
        })
    };
    let mut crp = match observation(
        "obs-crp",
        ObservationCategory::Lab,
        code("1988-5", "CRP"),
        quantity("45", "mg/L"),
        95,
    ) {
        CareFact::Entered(inner) => *inner,
        _ => unreachable!(),
    };
    if let Fact::ObservationRecorded(o) = &mut crp {
        o.report = Some("DT1234".into());
        o.interpretation = Some("H".into());
        o.reference_range = Some("< 5 mg/L".into());
    }
    vec![
        (5, "ioa", identity(&a, "INCONNU", Sex::Male)),
        (5, "ioa", admission(&a, 1, place("URG", "1", "1"), 5)),
        (6, "ioa", identity(&b, "ANONYME", Sex::Female)),
        (6, "ioa", admission(&b, 2, place("URG", "1", "2"), 6)),
        (
            15,
            "ide1",
            observation(
                "obs-temp",
                ObservationCategory::Vital,
                code("8310-5", "Température"),
                quantity("38.5", "°C"),
                14,
            ),
        ),
        (
            16,
            "ide1",
            observation(
                "obs-pa",
                ObservationCategory::Vital,
                code("85354-9", "Pression artérielle"),
                ObservationValue::Components(vec![
                    (
                        code("8480-6", "Systolique"),
                        Box::new(quantity("132", "mm[Hg]")),
                    ),
                    (
                        code("8462-4", "Diastolique"),
                        Box::new(quantity("84", "mm[Hg]")),
                    ),
                ]),
                15,
            ),
        ),
        (
            20,
            "dr.martin",
            CareFact::Entered(Box::new(Fact::MedicationRecorded(Medication {
                id: "rx-0001".into(),
                patient: a.clone(),
                encounter: Some(stay_of(1)),
                kind: MedicationKind::Order,
                drug: code("N02BE01", "Paracétamol 1 g cp"),
                dose: Some("1 g".into()),
                route: Some("PO".into()),
                frequency: Some("4 fois par jour".into()),
                start: Some(at(20)),
                end: Some(at(20 + 3 * 24 * 60)),
                prescriber: Some(doctor()),
                status: RecordStatus::Active,
                note: Some("si fièvre > 38,5".into()),
            }))),
        ),
        (
            30,
            "dr.martin",
            CareFact::LabRequested(LabRequest {
                id: "DT1234".into(),
                patient: a.clone(),
                encounter: Some(stay_of(1)),
                unit: "URG".into(),
                tests: vec![code("58410-2", "NFS"), code("1988-5", "CRP")],
                specimen: "sang veineux".into(),
                sampled_at: at(35),
                requester: doctor(),
                urgent: true,
                comment: Some("fièvre | frissons".into()),
            }),
        ),
        (
            40,
            "ide1",
            dose(
                "adm-0001",
                40,
                AdministrationOutcome::Given {
                    dose: "1 g".into(),
                    route: "PO".into(),
                },
            ),
        ),
        (60, "ide1", transfer(&b, 2, place("REA", "2", "2"), 60)),
        (96, "labo", CareFact::Entered(Box::new(crp))),
        (
            100,
            "ide1",
            CareFact::Note(NursingNote {
                id: "note-0001".into(),
                patient: a.clone(),
                encounter: Some(stay_of(1)),
                target: "Douleur | ^~\\&".into(),
                data: NOTE_DATA.into(),
                actions: "Paracétamol donné, glace".into(),
                results: "EVA 3/10 à 10 h".into(),
                at: at(100),
                by: "Marie Une (IDE)".into(),
                for_handover: true,
            }),
        ),
        (
            120,
            "ide2",
            dose(
                "adm-0002",
                120,
                AdministrationOutcome::NotGiven {
                    reason: "patient au bloc".into(),
                },
            ),
        ),
        (
            121,
            "ide2",
            dose(
                "adm-0003",
                121,
                AdministrationOutcome::Held {
                    reason: "somnolence, avis médical".into(),
                },
            ),
        ),
        (130, "ide2", transfer(&a, 1, place("REA", "2", "1"), 130)),
        (
            200,
            "cadre",
            CareFact::Entered(Box::new(Fact::Discharged {
                encounter: stay_of(1),
                patient: a.clone(),
                at: Some(at(200)),
            })),
        ),
    ]
}

/// Types the scenario on `node`; returns the window.
fn type_downtime(node: &Node) -> Window {
    let node_id = NodeId("suitcase-1".into());
    for (n, (minutes, login, fact)) in downtime().into_iter().enumerate() {
        let ms = DECLARED_MS + minutes * MINUTE + n as i64;
        let hlc = Hlc::new(ms as u64, 0);
        let event = ledger::event(Actor::User(login.into()), &node_id, "web", fact, hlc);
        ledger::commit(node.store.as_ref(), vec![event], ms).unwrap();
    }
    Window {
        from_ms: DECLARED_MS,
        to_ms: DECLARED_MS + 6 * 60 * MINUTE,
    }
}

fn context<'a>(node: &'a Node, zone: &'a jiff::tz::TimeZone) -> ExportContext<'a> {
    ExportContext {
        store: node.store.as_ref(),
        node: "suitcase-1",
        zone,
        now_ms: DECLARED_MS + 7 * 60 * MINUTE,
    }
}

fn paris() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Europe/Paris").unwrap()
}

fn exports(node: &Node, window: Window) -> (FhirExport, Hl7Export) {
    let book = ledger::load(node.store.as_ref()).unwrap();
    let zone = paris();
    let ctx = context(node, &zone);
    let fhir = fhir_bundle(&book, window, &ctx).unwrap();
    let hl7 = hl7_messages(&book, window, &ctx).unwrap();
    (fhir, hl7)
}

/// Ingests a file as the feed `feed` would, through `ckisa_ingest::files`.
fn ingest(node: &Node, feed: &str, name: &str, bytes: &[u8], now_ms: i64) -> FileReport {
    let store: Arc<dyn Store> = node.store.clone();
    let factory = EventFactory::new(NodeId("hub".into()), ManualClock::new(now_ms));
    let context = IngestContext {
        feed: feed.into(),
        store,
        factory: &factory,
        map: MapContext::paris(),
    };
    ingest_bytes(&context, name, bytes).unwrap()
}

fn book(node: &Node) -> CareBook {
    ledger::load(node.store.as_ref()).unwrap()
}

fn administrations(book: &CareBook) -> Vec<Administration> {
    let mut found: Vec<Administration> = book
        .entries()
        .iter()
        .filter_map(|e| match &e.fact {
            CareFact::Administered(a) => Some(a.clone()),
            _ => None,
        })
        .collect();
    found.sort_by(|x, y| x.id.cmp(&y.id));
    found
}

fn notes(book: &CareBook) -> Vec<NursingNote> {
    book.entries()
        .iter()
        .filter_map(|e| match &e.fact {
            CareFact::Note(n) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

fn lab_requests(book: &CareBook) -> Vec<LabRequest> {
    book.all_lab_requests().map(|(_, l)| l.clone()).collect()
}

/// Typed observations, by id, status left aside (`F` and `final` say the
/// same).
fn observations(book: &CareBook) -> Vec<Observation> {
    let mut found: Vec<Observation> = book
        .entries()
        .iter()
        .filter_map(|e| match &e.fact {
            CareFact::Entered(inner) => match inner.as_ref() {
                Fact::ObservationRecorded(o) => Some(Observation {
                    status: None,
                    ..o.clone()
                }),
                _ => None,
            },
            _ => None,
        })
        .collect();
    found.sort_by(|x, y| x.id.cmp(&y.id));
    found
}

fn prescriptions(book: &CareBook) -> Vec<Medication> {
    book.entries()
        .iter()
        .filter_map(|e| match &e.fact {
            CareFact::Entered(inner) => match inner.as_ref() {
                Fact::MedicationRecorded(m) => Some(m.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Who lies where in a unit: (room, bed, patient).
fn board(node: &Node, unit: &str) -> Vec<(String, String, PatientKey)> {
    let board = node.store.unit_board(unit).unwrap().unwrap();
    board
        .beds
        .iter()
        .flat_map(|bed| {
            bed.occupants.iter().map(|o| {
                (
                    bed.room.clone().unwrap_or_default(),
                    bed.bed.clone().unwrap_or_default(),
                    o.patient.clone(),
                )
            })
        })
        .collect()
}

/// What a fresh node must show the same as the node that typed it.
fn assert_same_documentation(original: &Node, fresh: &Node, how: &str) {
    let (before, after) = (book(original), book(fresh));
    assert_eq!(
        administrations(&after),
        administrations(&before),
        "{how}: administrations"
    );
    assert_eq!(administrations(&after).len(), 3, "{how}");
    assert_eq!(notes(&after), notes(&before), "{how}: notes");
    assert_eq!(notes(&after)[0].data, NOTE_DATA, "{how}: note text");
    assert_eq!(
        lab_requests(&after),
        lab_requests(&before),
        "{how}: lab requests"
    );
    assert_eq!(
        observations(&after),
        observations(&before),
        "{how}: observations"
    );
    assert_eq!(observations(&after).len(), 3, "{how}");
    assert_eq!(
        prescriptions(&after),
        prescriptions(&before),
        "{how}: prescriptions"
    );

    for key in [provisional(1), provisional(2)] {
        let was = original.store.patient_chart(&key).unwrap().unwrap();
        let is = fresh.store.patient_chart(&key).unwrap().unwrap();
        let identity = |c: &ckisa_store::PatientChart| {
            (
                c.identity.family.clone(),
                c.identity.given.clone(),
                c.identity.birth_date,
                c.identity.sex,
                c.identity.ipp.clone(),
            )
        };
        assert_eq!(identity(&is), identity(&was), "{how}: identity of {key}");
        let stay = |c: &ckisa_store::PatientChart| {
            c.stay.as_ref().map(|s| {
                (
                    s.encounter.clone(),
                    s.unit.clone(),
                    s.room.clone(),
                    s.bed.clone(),
                )
            })
        };
        assert_eq!(stay(&is), stay(&was), "{how}: stay of {key}");
        let medications = |c: &ckisa_store::PatientChart| {
            c.medications
                .iter()
                .map(|m| (m.id.clone(), m.dose.clone(), m.status.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(medications(&is), medications(&was), "{how}: chart of {key}");
    }
    assert_eq!(board(fresh, "REA"), board(original, "REA"), "{how}: REA");
    assert_eq!(
        board(fresh, "REA"),
        [("2".to_owned(), "2".to_owned(), provisional(2))],
        "{how}: B moved to REA, A discharged"
    );
    assert_eq!(board(fresh, "URG"), [], "{how}: URG empty");
    for category in [ObservationCategory::Vital, ObservationCategory::Lab] {
        let count = |node: &Node| {
            node.store
                .observations(&provisional(1), category, None)
                .unwrap()
                .len()
        };
        assert_eq!(count(fresh), count(original), "{how}: {category:?} history");
    }
}

#[test]
fn the_fhir_export_reimports_into_a_fresh_node() {
    let original = node();
    let window = type_downtime(&original);
    let (fhir, _) = exports(&original, window);
    assert_eq!(fhir.count("Patient"), 2);
    assert_eq!(fhir.count("Encounter"), 2);
    assert_eq!(fhir.count("MedicationAdministration"), 3);
    assert_eq!(fhir.count("Observation"), 3);
    assert_eq!(fhir.count("MedicationRequest"), 1);
    assert_eq!(fhir.count("ServiceRequest"), 1);
    assert_eq!(fhir.count("DocumentReference"), 1);
    assert!(fhir.count("Location") >= 6, "units, rooms and beds");
    assert!(fhir.skipped.is_empty(), "{:?}", fhir.skipped);
    // Each documented item is named by the event that documented it.
    let typed = export::documented(&book(&original), window).len();
    let carried: usize = fhir.entries.iter().map(|e| e.events.len()).sum();
    assert_eq!(carried, typed);

    let fresh = node();
    let report = ingest(
        &fresh,
        "reintegration",
        "export.json",
        fhir.json.as_bytes(),
        DECLARED_MS,
    );
    assert_eq!(report.rejected, 0, "{:?}", report.rejections);
    assert_eq!(report.problems, Vec::<String>::new());
    assert_same_documentation(&original, &fresh, "FHIR");

    // Applying the bundle twice creates nothing twice.
    let again = ingest(
        &fresh,
        "reintegration",
        "export.json",
        fhir.json.as_bytes(),
        DECLARED_MS,
    );
    assert_eq!(again.rejected, 0, "{:?}", again.rejections);
    assert_same_documentation(&original, &fresh, "FHIR twice");
}

#[test]
fn the_hl7_export_reimports_into_a_fresh_node() {
    let original = node();
    let window = type_downtime(&original);
    let (_, hl7) = exports(&original, window);
    let types: Vec<&str> = hl7.messages.iter().map(|m| m.message_type).collect();
    assert_eq!(
        types,
        [
            "ADT^A28", "ADT^A01", "ADT^A28", "ADT^A01", "ORU^R01", "ORU^R01", "RDE^O11", "OML^O21",
            "RAS^O17", "ADT^A02", "ORU^R01", "MDM^T02", "RAS^O17", "RAS^O17", "ADT^A02", "ADT^A03"
        ]
    );
    assert!(hl7.skipped.is_empty(), "{:?}", hl7.skipped);
    let mdm = hl7
        .messages
        .iter()
        .find(|m| m.message_type == "MDM^T02")
        .unwrap();
    assert!(
        mdm.text
            .contains("EVA 7/10 \\F\\ \\S\\ \\R\\ \\E\\ \\T\\ (délimiteurs)\\X0A\\"),
        "{}",
        mdm.text
    );
    for message in &hl7.messages {
        assert!(message.control_id.len() <= 20);
        assert!(
            message
                .text
                .contains(&format!("|{}|P|2.5|", message.control_id))
        );
    }

    let fresh = node();
    let text = hl7.file_text();
    let report = ingest(
        &fresh,
        "reintegration",
        "export.hl7",
        text.as_bytes(),
        DECLARED_MS,
    );
    assert_eq!(report.rejected, 0, "{:?}", report.rejections);
    assert_eq!(report.accepted, 16);
    assert_same_documentation(&original, &fresh, "HL7 v2");

    // The same file again is recognised message by message.
    let again = ingest(
        &fresh,
        "reintegration",
        "export.hl7",
        text.as_bytes(),
        DECLARED_MS,
    );
    assert_eq!((again.accepted, again.duplicates), (0, 16));
}

#[test]
fn the_export_fed_back_to_its_node_confirms_items_and_counts_nothing_twice() {
    let node = node();
    let window = type_downtime(&node);
    let settings = Settings::default();
    let (fhir, hl7) = exports(&node, window);
    let before = worklist(&book(&node), window, &settings, node.store.as_ref()).unwrap();
    assert_eq!(before.counts.pending, before.items.len());
    assert_eq!(before.counts.confirmed, 0);
    assert_eq!(before.unmatched.len(), 2, "two provisional identities");
    let kinds: Vec<(ItemKind, usize)> = before
        .by_kind
        .iter()
        .map(|(kind, counts)| (*kind, counts.total()))
        .collect();
    assert_eq!(
        kinds,
        [
            (ItemKind::Identity, 2),
            (ItemKind::Admission, 2),
            (ItemKind::Transfer, 2),
            (ItemKind::Discharge, 1),
            (ItemKind::Vital, 2),
            (ItemKind::LabResult, 1),
            (ItemKind::Prescription, 1),
            (ItemKind::Administration, 3),
            (ItemKind::Note, 1),
            (ItemKind::LabRequest, 1),
        ]
    );
    let vitals = |n: &Node| {
        n.store
            .observations(&provisional(1), ObservationCategory::Vital, None)
            .unwrap()
            .len()
    };
    let vitals_before = vitals(&node);
    let entries_before = book(&node).entries().len();

    // The HIS sends everything back (as the export, through a feed).
    let later = DECLARED_MS + 8 * 60 * MINUTE;
    let report = ingest(&node, "sih", "retour.json", fhir.json.as_bytes(), later);
    assert_eq!(report.rejected, 0, "{:?}", report.rejections);
    let report = ingest(
        &node,
        "sih",
        "retour.hl7",
        hl7.file_text().as_bytes(),
        later,
    );
    assert_eq!(report.rejected, 0, "{:?}", report.rejections);

    let after_book = book(&node);
    assert_eq!(
        after_book.entries().len(),
        entries_before,
        "nothing counted twice"
    );
    assert_eq!(administrations(&after_book).len(), 3);
    assert_eq!(vitals(&node), vitals_before);
    assert_eq!(
        board(&node, "REA"),
        [("2".to_owned(), "2".to_owned(), provisional(2))],
        "an old admission sent back moves nobody"
    );
    assert_each_patient_once(&node);
    let after = worklist(&after_book, window, &settings, node.store.as_ref()).unwrap();
    for item in &after.items {
        assert_eq!(
            item.status,
            ReconciliationStatus::Confirmed,
            "{:?} {}",
            item.kind,
            item.summary
        );
        assert!(item.status_ms.is_some(), "{:?}", item.kind);
    }
    assert_eq!(after.counts.confirmed, 16);
    assert_eq!(after.counts.pending, 0);
}

/// The statuses of the movements and identities of the worklist, by kind,
/// in the order they were documented.
fn movement_statuses(node: &Node, window: Window) -> Vec<(ItemKind, ReconciliationStatus)> {
    let list = worklist(
        &book(node),
        window,
        &Settings::default(),
        node.store.as_ref(),
    )
    .unwrap();
    list.items
        .iter()
        .filter(|i| {
            matches!(
                i.kind,
                ItemKind::Identity | ItemKind::Admission | ItemKind::Transfer | ItemKind::Discharge
            )
        })
        .map(|i| (i.kind, i.status))
        .collect()
}

/// The bed board and the census after the echo: B alone in REA, once; A
/// discharged; nobody in URG.
fn assert_each_patient_once(node: &Node) {
    assert_eq!(
        board(node, "REA"),
        [("2".to_owned(), "2".to_owned(), provisional(2))],
        "B once in REA, A discharged"
    );
    assert_eq!(board(node, "URG"), [], "URG empty");
    let census: Vec<(String, u32, u32)> = node
        .store
        .units()
        .unwrap()
        .into_iter()
        .map(|u| (u.code, u.occupied_beds, u.patients))
        .collect();
    assert_eq!(
        census,
        [("REA".to_owned(), 1, 1), ("URG".to_owned(), 0, 0)],
        "census"
    );
    // A's stay ended, B's goes on.
    let stays: Vec<Option<String>> = [provisional(1), provisional(2)]
        .iter()
        .map(|key| {
            let chart = node.store.patient_chart(key).unwrap().unwrap();
            chart.stay.map(|s| s.encounter)
        })
        .collect();
    assert_eq!(stays, [None, Some(stay_of(2).as_str().to_owned())]);
}

const ALL_CONFIRMED: [(ItemKind, ReconciliationStatus); 7] = [
    (ItemKind::Identity, ReconciliationStatus::Confirmed),
    (ItemKind::Admission, ReconciliationStatus::Confirmed),
    (ItemKind::Identity, ReconciliationStatus::Confirmed),
    (ItemKind::Admission, ReconciliationStatus::Confirmed),
    (ItemKind::Transfer, ReconciliationStatus::Confirmed),
    (ItemKind::Transfer, ReconciliationStatus::Confirmed),
    (ItemKind::Discharge, ReconciliationStatus::Confirmed),
];

#[test]
fn the_hl7_echo_alone_confirms_identities_and_movements() {
    let node = node();
    let window = type_downtime(&node);
    let (_, hl7) = exports(&node, window);
    let pending = movement_statuses(&node, window);
    assert!(
        pending
            .iter()
            .all(|(_, s)| *s == ReconciliationStatus::Pending)
    );
    assert_eq!(pending.len(), 7);

    // The typed identity is marked as ckisa's own, each movement carries
    // its own id under ckisa's namespace.
    let a28 = &hl7.messages[0];
    assert!(
        a28.text.contains(
            "99000001^^^CKISA-PROVISOIRE^PI~ipp:CKISA-PROVISOIRE\\F\\99000001^^^CKISA^RI"
        ),
        "{}",
        a28.text
    );
    let movement_ids: Vec<String> = hl7
        .messages
        .iter()
        .filter(|m| matches!(m.message_type, "ADT^A01" | "ADT^A02"))
        .map(|m| {
            let zbe = m.text.split('\r').find(|s| s.starts_with("ZBE|")).unwrap();
            assert!(zbe.contains(&format!("|{}^CKISA|", m.event)), "{zbe}");
            m.event.to_string()
        })
        .collect();
    let mut distinct = movement_ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "each movement has its own id");

    let entries_before = book(&node).entries().len();
    let later = DECLARED_MS + 8 * 60 * MINUTE;
    let report = ingest(
        &node,
        "sih",
        "retour.hl7",
        hl7.file_text().as_bytes(),
        later,
    );
    assert_eq!(report.rejected, 0, "{:?}", report.rejections);
    assert_eq!(book(&node).entries().len(), entries_before);
    assert_eq!(movement_statuses(&node, window), ALL_CONFIRMED);
    assert_each_patient_once(&node);
    // The identity kept what was typed, not a second identifier.
    let chart = node.store.patient_chart(&provisional(1)).unwrap().unwrap();
    assert!(
        chart
            .identity
            .identifiers
            .iter()
            .all(|i| i.system.as_deref() != Some("CKISA")),
        "{:?}",
        chart.identity.identifiers
    );
}

#[test]
fn the_fhir_echo_alone_confirms_identities_and_movements() {
    let node = node();
    let window = type_downtime(&node);
    let (fhir, _) = exports(&node, window);
    let bundle: serde_json::Value = serde_json::from_str(&fhir.json).unwrap();
    let encounters: Vec<&serde_json::Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "Encounter")
        .collect();
    for encounter in &encounters {
        let movements = encounter["identifier"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["system"] == export::MOVEMENT_SYSTEM)
            .map(|i| i["type"]["coding"][0]["code"].as_str().unwrap())
            .collect::<Vec<_>>();
        assert_eq!(movements, ["A01", "A02"], "one movement per location");
        assert_eq!(encounter["location"].as_array().unwrap().len(), 2);
    }

    let entries_before = book(&node).entries().len();
    let later = DECLARED_MS + 8 * 60 * MINUTE;
    let report = ingest(&node, "sih", "retour.json", fhir.json.as_bytes(), later);
    assert_eq!(report.rejected, 0, "{:?}", report.rejections);
    assert_eq!(book(&node).entries().len(), entries_before);
    assert_eq!(movement_statuses(&node, window), ALL_CONFIRMED);
    assert_each_patient_once(&node);
}

/// A movement of the HIS's own (another id, or no ckisa mark) is not the
/// one typed on the node: ours stays pending.
#[test]
fn a_different_movement_from_the_his_does_not_confirm_ours() {
    let node = node();
    let window = type_downtime(&node);
    let (fhir, _) = exports(&node, window);
    let later = DECLARED_MS + 8 * 60 * MINUTE;

    // HL7: the HIS's own transfer of B (its own movement id), its own
    // identity of A and its own discharge of A, none under CKISA; then a
    // transfer of B under CKISA but with an id the node never wrote.
    let his = "MSH|^~\\&|SIH|CHU|CKISA|CHU|20261204150000+0100||ADT^A28^ADT_A05|H1|P|2.5\r\
               EVN|A28|20261204150000+0100\r\
               PID|1||99000001^^^CKISA-PROVISOIRE^PI||INCONNU^Inconnu||19600101|M\r\
               PV1|1|N\n\
               MSH|^~\\&|SIH|CHU|CKISA|CHU|20261204150100+0100||ADT^A02^ADT_A02|H2|P|2.5\r\
               EVN|A02|20261204150100+0100\r\
               PID|1||99000002^^^CKISA-PROVISOIRE^PI||ANONYME^Inconnu||19600101|F\r\
               PV1|1|I|REA^2^2||||||||||||||||DT0002^^^CKISA-PROVISOIRE^VN\r\
               ZBE|MVT77^SIH|20261204090000+0100||INSERT|N\n\
               MSH|^~\\&|SIH|CHU|CKISA|CHU|20261204150200+0100||ADT^A02^ADT_A02|H3|P|2.5\r\
               EVN|A02|20261204150200+0100\r\
               PID|1||99000002^^^CKISA-PROVISOIRE^PI||ANONYME^Inconnu||19600101|F\r\
               PV1|1|I|REA^2^2||||||||||||||||DT0002^^^CKISA-PROVISOIRE^VN\r\
               ZBE|AUTRE-ID^CKISA|20261204090000+0100||INSERT|N\n\
               MSH|^~\\&|SIH|CHU|CKISA|CHU|20261204150300+0100||ADT^A03^ADT_A03|H4|P|2.5\r\
               EVN|A03|20261204150300+0100\r\
               PID|1||99000001^^^CKISA-PROVISOIRE^PI||INCONNU^Inconnu||19600101|M\r\
               PV1|1|I|REA^2^1||||||||||||||||DT0001^^^CKISA-PROVISOIRE^VN||||||||||||||||||||||||||20261204112000+0100\r\
               ZBE|MVT78^SIH|20261204112000+0100||INSERT|N\n";
    let report = ingest(&node, "sih", "sih.hl7", his.as_bytes(), later);
    assert_eq!(report.rejected, 0, "{:?}", report.rejections);
    assert!(
        movement_statuses(&node, window)
            .iter()
            .all(|(_, s)| *s == ReconciliationStatus::Pending),
        "{:?}",
        movement_statuses(&node, window)
    );

    // FHIR: our bundle, but B's transfer renamed by the HIS: everything
    // else is confirmed, B's transfer is not.
    let mut bundle: serde_json::Value = serde_json::from_str(&fhir.json).unwrap();
    for entry in bundle["entry"].as_array_mut().unwrap() {
        let resource = &mut entry["resource"];
        let is_b = resource["resourceType"] == "Encounter"
            && resource["identifier"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["value"] == stay_of(2).as_str());
        if !is_b {
            continue;
        }
        for identifier in resource["identifier"].as_array_mut().unwrap() {
            if identifier["system"] == export::MOVEMENT_SYSTEM
                && identifier["type"]["coding"][0]["code"] == "A02"
            {
                identifier["value"] = "MVT-SIH-1".into();
            }
        }
    }
    let renamed = serde_json::to_string(&bundle).unwrap();
    let report = ingest(
        &node,
        "sih",
        "retour.json",
        renamed.as_bytes(),
        later + MINUTE,
    );
    assert_eq!(report.rejected, 0, "{:?}", report.rejections);
    let mut expected = ALL_CONFIRMED;
    // B's transfer, typed at minute 60, is the first transfer.
    expected[4].1 = ReconciliationStatus::Pending;
    assert_eq!(movement_statuses(&node, window), expected);
    assert_each_patient_once(&node);
}

/// A provisional identity matched to the HIS's record: `ADT^A40` and a
/// Patient `link` of type replaced-by; a fresh node applies the merge and
/// files the documentation under the real record.
#[test]
fn a_matched_identity_travels_as_a_merge_in_both_formats() {
    let original = node();
    let his = "MSH|^~\\&|SIH|CHU|CKISA|CHU|20261201100000+0100||ADT^A28^ADT_A05|H1|P|2.5\r\
               PID|1||123456^^^CHU^PI||DUPONT^Jean||19600101|M\r";
    ingest(
        &original,
        "sih",
        "sih.hl7",
        his.as_bytes(),
        DECLARED_MS - MINUTE,
    );
    let real = PatientKey::ipp("CHU", "123456");
    let typed: Vec<(i64, &str, CareFact)> = downtime().into_iter().take(5).collect();
    let node_id = NodeId("suitcase-1".into());
    let merge = CareFact::Entered(Box::new(Fact::PatientsMerged {
        survivor: real.clone(),
        merged: provisional(1),
    }));
    for (n, (minutes, login, fact)) in typed.into_iter().chain([(300, "cadre", merge)]).enumerate()
    {
        let ms = DECLARED_MS + minutes * MINUTE + n as i64;
        let event = ledger::event(
            Actor::User(login.into()),
            &node_id,
            "web",
            fact,
            Hlc::new(ms as u64, 0),
        );
        ledger::commit(original.store.as_ref(), vec![event], ms).unwrap();
    }
    let window = Window {
        from_ms: DECLARED_MS,
        to_ms: DECLARED_MS + 6 * 60 * MINUTE,
    };
    let list = worklist(
        &book(&original),
        window,
        &Settings::default(),
        original.store.as_ref(),
    )
    .unwrap();
    let unmatched: Vec<&PatientKey> = list.unmatched.iter().map(|u| &u.patient).collect();
    assert_eq!(unmatched, [&provisional(2)], "A is matched, B is not");
    let merge_item = list
        .items
        .iter()
        .find(|i| i.kind == ItemKind::Merge)
        .unwrap();
    assert_eq!(merge_item.patient_now.as_ref(), Some(&real));
    assert_eq!(merge_item.patient_name.as_deref(), Some("DUPONT Jean"));

    let (fhir, hl7) = exports(&original, window);
    let a40 = hl7.messages.last().unwrap();
    assert_eq!(a40.message_type, "ADT^A40");
    assert!(
        a40.text
            .contains("PID|1||123456^^^CHU^PI||DUPONT^Jean^^^^^D||19600101|M\r"),
        "{}",
        a40.text
    );
    assert!(
        a40.text.contains("MRG|99000001^^^CKISA-PROVISOIRE^PI"),
        "{}",
        a40.text
    );
    let bundle: serde_json::Value = serde_json::from_str(&fhir.json).unwrap();
    let last = &bundle["entry"].as_array().unwrap().last().unwrap()["resource"];
    assert_eq!(last["resourceType"], "Patient");
    assert_eq!(last["active"], false);
    assert_eq!(last["link"][0]["type"], "replaced-by");
    assert_eq!(
        last["link"][0]["other"]["reference"],
        "Patient?identifier=CHU|123456"
    );

    for (name, bytes) in [
        ("export.json", fhir.json.into_bytes()),
        ("export.hl7", hl7.file_text().into_bytes()),
    ] {
        let fresh = node();
        let report = ingest(&fresh, "reintegration", name, &bytes, DECLARED_MS);
        assert_eq!(report.rejected, 0, "{name}: {:?}", report.rejections);
        assert_eq!(book(&fresh).resolve(&provisional(1)), real, "{name}");
        let vitals = fresh
            .store
            .observations(&real, ObservationCategory::Vital, None)
            .unwrap();
        assert_eq!(vitals.len(), 1, "{name}: the vital sign follows the merge");
        assert_eq!(vitals[0].patient, real, "{name}");
    }
}

/// A rejection marked by hand wins over the HIS's echo, and is counted.
#[test]
fn a_rejection_marked_by_hand_shows_in_the_worklist() {
    let node = node();
    let window = type_downtime(&node);
    let first = worklist(
        &book(&node),
        window,
        &Settings::default(),
        node.store.as_ref(),
    )
    .unwrap();
    let note = first
        .items
        .iter()
        .find(|i| i.kind == ItemKind::Note)
        .unwrap();
    let mark = CareFact::Reconciled(ckisa_domain::Reconciliation {
        item: note.event.to_string(),
        status: ReconciliationStatus::Rejected,
        note: Some("patient inconnu du SIH".into()),
        by: "Cadre de santé".into(),
    });
    let ms = DECLARED_MS + 400 * MINUTE;
    let event = ledger::event(
        Actor::User("cadre".into()),
        &NodeId("suitcase-1".into()),
        "web",
        mark,
        Hlc::new(ms as u64, 0),
    );
    ledger::commit(node.store.as_ref(), vec![event], ms).unwrap();
    let list = worklist(
        &book(&node),
        window,
        &Settings::default(),
        node.store.as_ref(),
    )
    .unwrap();
    let marked = list.item(note.event).unwrap();
    assert_eq!(marked.status, ReconciliationStatus::Rejected);
    assert_eq!(marked.note.as_deref(), Some("patient inconnu du SIH"));
    assert_eq!(marked.status_ms, Some(ms));
    assert_eq!(list.counts.rejected, 1);
    assert_eq!(list.items.len(), first.items.len(), "a mark is not an item");
    assert_eq!(
        list.by_kind
            .iter()
            .find(|(k, _)| *k == ItemKind::Note)
            .unwrap()
            .1
            .rejected,
        1
    );
}
