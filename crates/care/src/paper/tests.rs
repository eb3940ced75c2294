//! The pack of a small unit read back from its PDFs: names, the as-of line on every page,
//! allergies in bold on the census, planned times and documented doses on the medication
//! sheets, appointments and diets of the unit's patients only, the specimen label, and the
//! time a 40-bed pack takes.
//!
//! Text comes back through poppler's `pdftotext`. Without it the text checks are skipped with
//! a message, except under CI (the `CI` variable set), where poppler-utils is installed and a
//! missing tool fails, as in ckisa-print's own tests.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::process::Command;

use ckisa_domain::{
    Actor, Administration, AdministrationOutcome, Allergy, Appointment, AppointmentStatus,
    CareFact, CarePlan, Coded, Diet, Event, EventId, Hlc, LabRequest, Medication, MedicationKind,
    Moment, NodeId, Observation, ObservationCategory, ObservationValue, PatientKey, RecordStatus,
    ResourceRef, Sex,
};
use ckisa_store::{
    AppointmentRow, BedRow, FeedActivity, FeedStatus, Identity, Occupant, Outcome, PatientChart,
    PatientMedications, PatientQuery, PatientRow, QuarantineEntry, Rejection, Store, StoreError,
    StoreStatus, Submission, UnitBoard, UnitDefinition, UnitSummary,
};
use jiff::tz::TimeZone;

use super::{PARTS, PaperError, specimen_label, unit_pack};
use crate::book::CareBook;
use crate::ledger;
use crate::settings::Settings;

const AS_OF: &str = "Données du 05/12/2026 à 08:20 (Europe/Paris)";

fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris").expect("bundled zone")
}

/// 05/12/2026 08:20 in Paris.
fn now_ms() -> i64 {
    ms("2026-12-05T08:20:00+01:00")
}

fn ms(text: &str) -> i64 {
    let moment = Moment::parse_iso(text).expect("valid moment");
    moment.timestamp().expect("with offset").as_millisecond()
}

fn coded(text: &str) -> Coded {
    Coded {
        code: None,
        system: None,
        text: text.to_owned(),
    }
}

/// A store holding one unit's board, charts, appointments, diets and feed freshness; what the
/// pack does not read answers `Closed`, so that reading it fails the test.
#[derive(Default)]
struct FakeStore {
    boards: HashMap<String, UnitBoard>,
    charts: HashMap<PatientKey, PatientChart>,
    appointments: Vec<AppointmentRow>,
    diets: Vec<Diet>,
    feeds: Vec<FeedStatus>,
}

impl Store for FakeStore {
    fn commit(&self, _: Vec<Submission>) -> Result<Vec<Outcome>, StoreError> {
        Err(StoreError::Closed)
    }
    fn quarantine(&self, _: Vec<Rejection>) -> Result<(), StoreError> {
        Err(StoreError::Closed)
    }
    fn define_units(&self, _: &[UnitDefinition]) -> Result<(), StoreError> {
        Err(StoreError::Closed)
    }
    fn units(&self) -> Result<Vec<UnitSummary>, StoreError> {
        Err(StoreError::Closed)
    }
    fn unit_board(&self, unit: &str) -> Result<Option<UnitBoard>, StoreError> {
        Ok(self.boards.get(unit).cloned())
    }
    fn patient_chart(&self, patient: &PatientKey) -> Result<Option<PatientChart>, StoreError> {
        Ok(self.charts.get(patient).cloned())
    }
    fn search_patients(&self, _: &PatientQuery, _: usize) -> Result<Vec<PatientRow>, StoreError> {
        Err(StoreError::Closed)
    }
    fn quarantine_entries(&self, _: usize) -> Result<Vec<QuarantineEntry>, StoreError> {
        Err(StoreError::Closed)
    }
    fn status(&self) -> Result<StoreStatus, StoreError> {
        Err(StoreError::Closed)
    }
    fn feeds(&self) -> Result<Vec<FeedStatus>, StoreError> {
        Ok(self.feeds.clone())
    }
    fn events_after(&self, _: Option<EventId>, _: usize) -> Result<Vec<Event>, StoreError> {
        Err(StoreError::Closed)
    }
    fn events_of_kind(
        &self,
        _: &str,
        _: Option<EventId>,
        _: usize,
    ) -> Result<Vec<Event>, StoreError> {
        Err(StoreError::Closed)
    }
    fn observations(
        &self,
        _: &PatientKey,
        _: ObservationCategory,
        _: Option<i64>,
    ) -> Result<Vec<Observation>, StoreError> {
        Err(StoreError::Closed)
    }
    fn appointments(&self, from_ms: i64, to_ms: i64) -> Result<Vec<AppointmentRow>, StoreError> {
        Ok(self
            .appointments
            .iter()
            .filter(|row| {
                let start = row.appointment.start.sort_key();
                start >= from_ms && start < to_ms
            })
            .cloned()
            .collect())
    }
    fn diets(&self, patients: &[PatientKey]) -> Result<Vec<Diet>, StoreError> {
        Ok(self
            .diets
            .iter()
            .filter(|diet| patients.contains(&diet.patient))
            .cloned()
            .collect())
    }
    fn unit_medications(&self, _: &str) -> Result<Vec<PatientMedications>, StoreError> {
        Err(StoreError::Closed)
    }
    fn feed_activity(&self, _: i64) -> Result<Vec<FeedActivity>, StoreError> {
        Err(StoreError::Closed)
    }
    fn event(&self, _: EventId) -> Result<Option<Event>, StoreError> {
        Err(StoreError::Closed)
    }
    fn rewrite_events(&self, _: Vec<(EventId, ckisa_domain::Fact)>) -> Result<usize, StoreError> {
        Err(StoreError::Closed)
    }
    fn put_attachment(&self, _: &str, _: &str, _: &[u8], _: i64) -> Result<(), StoreError> {
        Err(StoreError::Closed)
    }
    fn attachment(&self, _: &str) -> Result<Option<ckisa_store::StoredAttachment>, StoreError> {
        Err(StoreError::Closed)
    }
    fn delete_attachments(&self, _: &[String]) -> Result<usize, StoreError> {
        Err(StoreError::Closed)
    }
    fn generation(&self) -> u64 {
        0
    }
}

struct Person<'a> {
    key: &'a str,
    family: &'a str,
    given: &'a str,
    sex: Sex,
    ipp: &'a str,
}

fn occupant(person: &Person<'_>) -> Occupant {
    Occupant {
        patient: PatientKey(person.key.to_owned()),
        encounter: format!("enc-{}", person.key),
        family: Some(person.family.to_owned()),
        given: Some(person.given.to_owned()),
        sex: Some(person.sex),
        birth_date: Moment::date(1951, 2, 3),
        ipp: Some(person.ipp.to_owned()),
        admitted_at: Moment::parse_iso("2026-12-01T14:05:00+01:00"),
        attending: Some(String::from("Dr Bernard")),
        allergies: 0,
        on_leave: false,
    }
}

fn chart(person: &Person<'_>) -> PatientChart {
    PatientChart {
        identity: Identity {
            patient: PatientKey(person.key.to_owned()),
            family: Some(person.family.to_owned()),
            given: Some(person.given.to_owned()),
            birth_name: None,
            birth_date: Moment::date(1951, 2, 3),
            sex: Some(person.sex),
            ipp: Some(person.ipp.to_owned()),
            ins: None,
            identifiers: Vec::new(),
            phones: Vec::new(),
            addresses: Vec::new(),
            deceased: None,
        },
        stay: None,
        other_stays: Vec::new(),
        allergies: Vec::new(),
        conditions: Vec::new(),
        medications: Vec::new(),
        care_plans: Vec::new(),
        vitals: Vec::new(),
        results: Vec::new(),
        reports: Vec::new(),
        procedures: Vec::new(),
    }
}

fn order(
    patient: &str,
    id: &str,
    drug: &str,
    dose: &str,
    route: &str,
    frequency: &str,
) -> Medication {
    Medication {
        id: id.to_owned(),
        patient: PatientKey(patient.to_owned()),
        encounter: None,
        kind: MedicationKind::Order,
        drug: coded(drug),
        dose: Some(dose.to_owned()),
        route: Some(route.to_owned()),
        frequency: Some(frequency.to_owned()),
        start: Moment::parse_iso("2026-12-01T10:00:00+01:00"),
        end: None,
        prescriber: None,
        status: RecordStatus::Active,
        note: None,
    }
}

const DUPONT: Person<'static> = Person {
    key: "P1",
    family: "Dupont",
    given: "Élise",
    sex: Sex::Female,
    ipp: "00123456",
};
const MARTIN: Person<'static> = Person {
    key: "P2",
    family: "Martin",
    given: "Louis",
    sex: Sex::Male,
    ipp: "00654321",
};

/// Réanimation: Élise Dupont (allergic, three prescriptions, a care plan, a temperature, a
/// diet, an appointment) and Louis Martin (nothing) in room 12, bed 14/1 free.
fn small_unit() -> FakeStore {
    let mut store = FakeStore::default();
    let mut dupont = chart(&DUPONT);
    dupont.allergies.push(Allergy {
        id: String::from("al1"),
        patient: PatientKey(DUPONT.key.to_owned()),
        substance: coded("Pénicilline"),
        category: Some(String::from("drug")),
        severity: Some(String::from("sévère")),
        reactions: vec![String::from("urticaire")],
        onset: None,
        status: RecordStatus::Active,
    });
    dupont.medications = vec![
        order(
            "P1",
            "rx-para",
            "Paracétamol",
            "1 g",
            "PO",
            "3 fois par jour",
        ),
        order(
            "P1",
            "rx-enox",
            "Énoxaparine",
            "4000 UI",
            "SC",
            "1 fois par jour",
        ),
        order(
            "P1",
            "rx-morph",
            "Morphine",
            "5 mg",
            "SC",
            "toutes les 4 h si douleur",
        ),
    ];
    dupont.care_plans.push(CarePlan {
        id: String::from("cp1"),
        patient: PatientKey(DUPONT.key.to_owned()),
        title: String::from("Prévention des escarres"),
        status: RecordStatus::Active,
        activities: vec![
            String::from("Changement de position toutes les 3 h"),
            String::from("Surveillance cutanée"),
        ],
        start: Moment::date(2026, 12, 2),
        end: None,
    });
    dupont.vitals.push(Observation {
        id: String::from("obs1"),
        patient: PatientKey(DUPONT.key.to_owned()),
        encounter: None,
        category: ObservationCategory::Vital,
        code: coded("Température"),
        value: ObservationValue::Quantity {
            value: String::from("38.2"),
            unit: Some(String::from("°C")),
        },
        reference_range: None,
        interpretation: None,
        effective: Moment::parse_iso("2026-12-05T06:00:00+01:00"),
        status: None,
        report: None,
        notes: Vec::new(),
    });
    let mut dupont_occupant = occupant(&DUPONT);
    dupont_occupant.allergies = 1;
    store
        .charts
        .insert(PatientKey(DUPONT.key.to_owned()), dupont);
    store
        .charts
        .insert(PatientKey(MARTIN.key.to_owned()), chart(&MARTIN));
    let bed = |room: &str, bed: &str, occupants: Vec<Occupant>| BedRow {
        room: Some(room.to_owned()),
        bed: Some(bed.to_owned()),
        occupants,
    };
    store.boards.insert(
        String::from("REA"),
        UnitBoard {
            unit: UnitSummary {
                code: String::from("REA"),
                name: String::from("Réanimation"),
                beds: 3,
                occupied_beds: 2,
                patients: 2,
            },
            beds: vec![
                bed("12", "1", vec![dupont_occupant]),
                bed("12", "2", vec![occupant(&MARTIN)]),
                bed("14", "1", Vec::new()),
            ],
        },
    );
    store.appointments = vec![
        appointment(
            "rdv1",
            DUPONT.key,
            "2026-12-07T10:30:00+01:00",
            AppointmentStatus::Booked,
        ),
        appointment(
            "rdv2",
            MARTIN.key,
            "2026-12-08T09:00:00+01:00",
            AppointmentStatus::Cancelled,
        ),
        appointment(
            "rdv3",
            "P-AILLEURS",
            "2026-12-07T11:00:00+01:00",
            AppointmentStatus::Booked,
        ),
    ];
    store.diets.push(Diet {
        id: String::from("diet1"),
        patient: PatientKey(DUPONT.key.to_owned()),
        encounter: None,
        diets: vec![coded("sans sel")],
        remarks: Some(String::from("texture mixée")),
        start: None,
        nil_by_mouth: true,
        active: true,
    });
    store.feeds.push(FeedStatus {
        name: String::from("sih-adt"),
        last_received_ms: Some(ms("2026-12-04T21:40:00+01:00")),
        accepted: 10,
        duplicates: 0,
        rejected: 0,
    });
    store
}

fn appointment(id: &str, patient: &str, start: &str, status: AppointmentStatus) -> AppointmentRow {
    AppointmentRow {
        appointment: Appointment {
            id: id.to_owned(),
            patient: PatientKey(patient.to_owned()),
            start: Moment::parse_iso(start).expect("valid start"),
            minutes: Some(30),
            clinic: Some(String::from("Consultation de cardiologie")),
            practitioner: None,
            reason: Some(String::from("Contrôle")),
            status,
        },
        practitioner: Some(format!("Dr Praticien-{id}")),
        family: Some(if patient == "P-AILLEURS" {
            String::from("Ailleurs")
        } else {
            String::from("Patient")
        }),
        given: Some(String::from("Test")),
        birth_date: None,
        ipp: None,
    }
}

/// The book holding one dose of paracetamol given at 08:05 for 08:00.
fn book_with_one_dose() -> CareBook {
    let administration = Administration {
        id: String::from("adm-1"),
        patient: PatientKey(DUPONT.key.to_owned()),
        encounter: None,
        medication: String::from("rx-para"),
        drug: coded("Paracétamol"),
        planned: Moment::parse_iso("2026-12-05T08:00:00+01:00"),
        at: Moment::parse_iso("2026-12-05T08:05:00+01:00").expect("valid"),
        outcome: AdministrationOutcome::Given {
            dose: String::from("1 g"),
            route: String::from("PO"),
        },
        by: String::from("Infirmière Une"),
        comment: None,
    };
    let recorded = u64::try_from(ms("2026-12-05T08:06:00+01:00")).expect("positive");
    let event = ledger::event(
        Actor::User(String::from("ide1")),
        &NodeId(String::from("n1")),
        "web",
        CareFact::Administered(administration),
        Hlc::new(recorded, 0),
    );
    let mut book = CareBook::new();
    book.apply(&event);
    book
}

fn pack() -> Vec<super::PaperFile> {
    unit_pack(
        &small_unit(),
        &book_with_one_dose(),
        "REA",
        now_ms(),
        &paris(),
        &Settings::default(),
    )
    .expect("the pack is made")
}

/// Whether `pdftotext` can run. Outside CI a missing tool skips the test, with the reason
/// printed.
#[expect(
    clippy::print_stderr,
    reason = "a skipped test says why on the test output"
)]
fn poppler_available() -> bool {
    match Command::new("pdftotext").arg("-v").output() {
        Ok(_) => true,
        Err(error) if error.kind() == ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "pdftotext is missing: CI must install Debian's poppler-utils"
            );
            eprintln!("skipped: pdftotext not found (install poppler-utils to run this test)");
            false
        }
        Err(error) => panic!("pdftotext cannot run: {error}"),
    }
}

/// The text of each page, by `pdftotext`, with every run of white space as one space: text
/// wrapped in a table cell reads as one line.
fn pages(pdf: &[u8]) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("ckisa-paper-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let path = dir.join(format!("{}.pdf", EventId::new(0)));
    std::fs::write(&path, pdf).expect("PDF written");
    let output = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8 text")
        .replace('\u{A0}', " ")
        .split('\u{C}')
        .filter(|page| !page.trim().is_empty())
        .map(|page| page.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn part<'a>(pack: &'a [super::PaperFile], name: &str) -> &'a [u8] {
    &pack
        .iter()
        .find(|file| file.name.contains(&format!("-{name}-")))
        .unwrap_or_else(|| panic!("no part {name}"))
        .pdf
}

fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle)
        .count()
}

#[test]
fn a_pack_has_one_pdf_per_part_named_after_the_unit_and_the_moment() {
    let pack = pack();
    let names: Vec<&str> = pack.iter().map(|file| file.name.as_str()).collect();
    let expected: Vec<String> = PARTS
        .iter()
        .map(|part| format!("REA-{part}-2026-12-05-0820.pdf"))
        .collect();
    assert_eq!(names, expected);
    for file in &pack {
        assert!(file.pdf.starts_with(b"%PDF-"), "{}", file.name);
    }
}

#[test]
fn every_page_of_every_part_says_when_its_data_is_from() {
    if !poppler_available() {
        return;
    }
    for file in pack() {
        let pages = pages(&file.pdf);
        assert!(!pages.is_empty(), "{}", file.name);
        for (index, page) in pages.iter().enumerate() {
            let count = page.matches(AS_OF).count();
            assert!(
                count >= 1,
                "{} page {} lacks {AS_OF:?}:\n{page}",
                file.name,
                index + 1
            );
        }
    }
    // The label sheet carries it on each of its 24 labels per patient.
    let labels = pages(part(&pack(), "etiquettes"));
    assert_eq!(labels.len(), 2);
    assert_eq!(labels[0].matches(AS_OF).count(), 24);
}

#[test]
fn the_census_lists_every_bed_with_allergies_in_bold() {
    let pack = pack();
    let census = part(&pack, "recensement");
    // The allergy cell is set in Helvetica-Bold (F2): the font selected just before it.
    let allergy = winansi_hex("Pénicilline (urticaire, sévère)");
    let at = find(census, allergy.as_bytes()).expect("allergy written");
    let before = &census[..at];
    let font = before
        .windows(3)
        .rposition(|window| window == b"/F2" || window == b"/F1")
        .map(|index| &before[index..index + 3]);
    assert_eq!(font, Some(&b"/F2"[..]));

    if !poppler_available() {
        return;
    }
    let text = pages(census).join("\n");
    for expected in [
        "DUPONT Élise",
        "MARTIN Louis",
        "Pénicilline (urticaire, sévère)",
        "aucune allergie enregistrée",
        "00123456",
        "03/02/1951",
        "01/12/2026",
        "Lits libres : 14 / 1.",
        "2 patient(s) présent(s), 1 lit(s) libre(s).",
        "dernier message reçu du SIH le 04/12/2026 21:40",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

/// A string as the PDF writes non-ASCII text: WinAnsi bytes in hexadecimal.
fn winansi_hex(text: &str) -> String {
    let bytes: String = text
        .chars()
        .map(|c| format!("{:02X}", u32::from(c)))
        .collect();
    format!("<{bytes}>")
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[test]
fn the_medication_sheet_shows_planned_times_boxes_and_documented_doses() {
    let pack = pack();
    let sheets = part(&pack, "administrations");
    // Paracetamol at 08:00 (given), 12:00, 18:00 and enoxaparin at 08:00: three boxes to tick.
    assert_eq!(occurrences(sheets, b"0 0 0 RG\n0.8 w"), 3);
    if !poppler_available() {
        return;
    }
    let pages = pages(sheets);
    assert_eq!(pages.len(), 2, "one page per patient");
    let dupont = &pages[0];
    for expected in [
        "DUPONT Élise — lit 12 / 1",
        "Pénicilline (urticaire, sévère)",
        "Paracétamol",
        "3 fois par jour",
        "Énoxaparine",
        "05/12",
        "08:00",
        "12:00",
        "18:00",
        "donné 08:05",
        "Infirmière Une",
        "Si besoin, à préciser, ou sans prise prévue dans les 24 heures",
        "Morphine",
        "si besoin (4 h minimum entre deux prises)",
        "Du 05/12/2026 08:00 au 06/12/2026 08:00",
    ] {
        assert!(
            dupont.contains(expected),
            "missing {expected:?} in:\n{dupont}"
        );
    }
    assert!(pages[1].contains("MARTIN Louis") && pages[1].contains("Aucune prescription active."));
}

#[test]
fn many_planned_times_are_split_into_grids_of_equal_width() {
    let mut store = small_unit();
    let chart = store
        .charts
        .get_mut(&PatientKey(DUPONT.key.to_owned()))
        .expect("Dupont's chart");
    chart.medications = vec![order(
        "P1",
        "rx-nebul",
        "Salbutamol",
        "5 mg",
        "inhalée",
        "toutes les 2 h",
    )];
    let pack = unit_pack(
        &store,
        &CareBook::new(),
        "REA",
        now_ms(),
        &paris(),
        &Settings::default(),
    )
    .expect("pack made");
    let sheets = part(&pack, "administrations");
    // Twelve doses from 08:00 to 06:00, in two grids of six: the drug is written once per
    // grid.
    assert_eq!(occurrences(sheets, b"0 0 0 RG\n0.8 w"), 12);
    assert_eq!(occurrences(sheets, b"(Salbutamol) Tj"), 2);
    // The first grid ends at 18:00: its row is drawn before the second grid's 20:00 header.
    let at = |needle: &[u8]| find(sheets, needle).expect("written");
    let first_row = at(b"(Salbutamol) Tj");
    assert!(at(b"(18:00) Tj") < first_row && first_row < at(b"(20:00) Tj"));
    if !poppler_available() {
        return;
    }
    let text = &pages(sheets)[0];
    assert!(text.contains("Prises prévues (1 / 2)") && text.contains("Prises prévues (2 / 2)"));
    for time in ["05/12 08:00", "05/12 18:00", "05/12 20:00", "06/12 06:00"] {
        assert!(text.contains(time), "{time} missing: {text}");
    }
}

#[test]
fn appointments_and_diets_are_those_of_the_units_patients() {
    if !poppler_available() {
        return;
    }
    let pack = pack();
    let appointments = pages(part(&pack, "rendez-vous")).join("\n");
    for expected in [
        "Lundi 07/12/2026",
        "10:30",
        "Dr Praticien-rdv1",
        "Consultation de cardiologie",
        "Mardi 08/12/2026",
        "annulé",
    ] {
        assert!(
            appointments.contains(expected),
            "missing {expected:?}:\n{appointments}"
        );
    }
    assert!(!appointments.contains("AILLEURS"), "{appointments}");

    let diets = pages(part(&pack, "regimes")).join("\n");
    for expected in [
        "sans sel",
        "À JEUN",
        "texture mixée",
        "pas de régime prescrit",
        "12 / 2",
    ] {
        assert!(diets.contains(expected), "missing {expected:?}:\n{diets}");
    }

    let plans = pages(part(&pack, "plans-de-soins")).join("\n");
    for expected in [
        "Prévention des escarres",
        "Changement de position toutes les 3 h",
        "Température",
        "38,2 °C",
        "Aucun plan de soins actif.",
    ] {
        assert!(plans.contains(expected), "missing {expected:?}:\n{plans}");
    }

    let forms = pages(part(&pack, "formulaires"));
    assert_eq!(
        forms.len(),
        4,
        "a vitals sheet and a notes sheet per patient"
    );
    assert!(forms[0].contains("Surveillance des constantes — DUPONT Élise"));
    assert!(forms[0].contains("IPP 00123456") && forms[0].contains("Réanimation — lit 12 / 1"));
    assert!(forms[3].contains("Transmissions ciblées — MARTIN Louis"));
}

#[test]
fn an_unknown_unit_or_an_impossible_time_is_refused_in_french() {
    let error = unit_pack(
        &small_unit(),
        &CareBook::new(),
        "CARDIO",
        now_ms(),
        &paris(),
        &Settings::default(),
    )
    .expect_err("no such unit");
    assert!(matches!(error, PaperError::UnknownUnit(ref unit) if unit == "CARDIO"));
    assert!(error.to_string().starts_with("unité inconnue : « CARDIO »"));
    let error = unit_pack(
        &small_unit(),
        &CareBook::new(),
        "REA",
        i64::MAX,
        &paris(),
        &Settings::default(),
    )
    .expect_err("out of range");
    assert!(matches!(error, PaperError::BadClock { .. }));
}

fn lab_request(id: &str) -> LabRequest {
    LabRequest {
        id: id.to_owned(),
        patient: PatientKey(DUPONT.key.to_owned()),
        encounter: None,
        unit: String::from("REA"),
        tests: vec![coded("NFS"), coded("Ionogramme")],
        specimen: String::from("sang veineux"),
        sampled_at: Moment::parse_iso("2026-12-05T08:10:00+01:00").expect("valid"),
        requester: ResourceRef {
            reference: None,
            identifier: None,
            display: Some(String::from("Dr Bernard")),
        },
        urgent: true,
        comment: None,
    }
}

#[test]
fn a_specimen_label_carries_identity_request_barcode_and_moment() {
    let identity = chart(&DUPONT).identity;
    let pdf =
        specimen_label(&lab_request("DT0001"), &identity, now_ms(), &paris()).expect("label made");
    assert_eq!(occurrences(&pdf, b"/MediaBox [0 0 175.74803 82.20473]"), 1);
    // The bars: start B, DT0001, check 23, stop: 8 symbols of 3 bars and the stop's 4, filled
    // as one path.
    assert_eq!(occurrences(&pdf, b" re\n"), 8 * 3 + 4);
    assert_eq!(occurrences(&pdf, b" re\nf\n"), 1);

    let error = specimen_label(&lab_request("DT-é"), &identity, now_ms(), &paris())
        .expect_err("not printable");
    assert!(error.to_string().contains("« DT-é »"), "{error}");

    if !poppler_available() {
        return;
    }
    let text = pages(&pdf).join("\n");
    for expected in [
        "URGENT — DUPONT Élise",
        "Née le 03/02/1951 · F · IPP 00123456",
        "DT0001",
        "NFS, Ionogramme — sang veineux",
        "Prélevé le 05/12/2026 08:10 · unité REA",
        AS_OF,
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

/// A unit of 40 beds, each patient with eight prescriptions.
fn forty_beds() -> FakeStore {
    let mut store = small_unit();
    let template = store.charts[&PatientKey(DUPONT.key.to_owned())].clone();
    let mut beds = Vec::new();
    for index in 0..40 {
        let key = format!("B{index}");
        let person = Person {
            key: &key,
            family: "Patient",
            given: "Quarante",
            sex: Sex::Other,
            ipp: &format!("{:08}", 1000 + index),
        };
        let mut patient_chart = template.clone();
        patient_chart.identity = chart(&person).identity;
        patient_chart.medications = (0..8)
            .map(|n| {
                let frequency = ["1-0-1", "3 fois par jour", "toutes les 6 h", "le soir"][n % 4];
                order(
                    &key,
                    &format!("rx{n}"),
                    "Médicament",
                    "1 cp",
                    "PO",
                    frequency,
                )
            })
            .collect();
        store.charts.insert(PatientKey(key.clone()), patient_chart);
        beds.push(BedRow {
            room: Some(format!("{}", 100 + index / 2)),
            bed: Some(format!("{}", 1 + index % 2)),
            occupants: vec![occupant(&person)],
        });
    }
    let board = store.boards.get_mut("REA").expect("REA");
    board.beds = beds;
    store
}

#[test]
fn a_forty_bed_pack_has_a_sheet_per_patient() {
    // Its speed is measured by `cargo bench -p ckisa-care --bench
    // paper_pack` (BENCHMARKS.md), never asserted here.
    let store = forty_beds();
    let pack = unit_pack(
        &store,
        &CareBook::new(),
        "REA",
        now_ms(),
        &paris(),
        &Settings::default(),
    )
    .expect("pack made");
    let sheets = part(&pack, "administrations");
    assert!(occurrences(sheets, b"/Type /Page\n") >= 40);
}
