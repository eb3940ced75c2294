//! The whole shared corpus, end to end: every file of `../shared/corpus`
//! through `files::ingest` into a real SQLite store, with what each file must
//! yield (accepted, ignored, rejected and why) and what the pages then show.

use std::path::PathBuf;
use std::sync::Arc;

use ckisa_domain::NodeId;
use ckisa_domain::{ObservationValue, PatientKey};
use ckisa_ingest::clock::SystemClock;
use ckisa_ingest::files::{self, FileReport, IngestContext, Summary};
use ckisa_ingest::hl7map::MapContext;
use ckisa_ingest::pipeline::EventFactory;
use ckisa_store::{PatientQuery, Store};
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn ingest_all(store: &Arc<SqliteStore>, paths: &[PathBuf]) -> Summary {
    let factory = EventFactory::new(NodeId("corpus".into()), Arc::new(SystemClock));
    let context = IngestContext {
        feed: String::from("corpus"),
        store: store.clone(),
        factory: &factory,
        map: MapContext::paris(),
    };
    let inputs = files::collect(paths).unwrap();
    files::ingest(&context, &inputs, &mut |_| {}).unwrap()
}

fn open_store() -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), SqliteOptions::new("Europe/Paris")).unwrap();
    (dir, Arc::new(store))
}

fn ingest_bytes(store: &Arc<SqliteStore>, name: &str, bytes: &[u8]) -> FileReport {
    let factory = EventFactory::new(NodeId("corpus".into()), Arc::new(SystemClock));
    let context = IngestContext {
        feed: String::from("corpus"),
        store: store.clone(),
        factory: &factory,
        map: MapContext::paris(),
    };
    files::ingest_bytes(&context, name, bytes).unwrap()
}

/// Wraps an edge-case segment fragment (no MSH) into a valid ADT^A08.
fn wrap_fragment(file: &str) -> Vec<u8> {
    let fragment = std::fs::read(format!("{CORPUS}/edge/{file}")).unwrap();
    let mut message =
        b"MSH|^~\\&|ADT|HOSP|NODE|HOSP|20240110100000||ADT^A08^ADT_A01|WRAP-1|P|2.5\r\
EVN|A08|20240110100000\r"
            .to_vec();
    if !fragment.starts_with(b"PID") {
        message.extend_from_slice(b"PID|1||W1^^^HOSP^PI||TESTPAT^WRAP\r");
    }
    message.extend_from_slice(&fragment);
    message
}

fn report<'a>(summary: &'a Summary, file: &str) -> &'a FileReport {
    summary
        .files
        .iter()
        .find(|f| f.path.ends_with(file))
        .unwrap_or_else(|| panic!("no report for {file}"))
}

/// What one file must yield when loaded alone into an empty store.
struct Expect {
    file: &'static str,
    format: &'static str,
    accepted: u64,
    duplicates: u64,
    ignored: u64,
    rejected: u64,
    /// A word that each rejection reason must contain.
    reason: &'static str,
}

const fn e(
    file: &'static str,
    format: &'static str,
    [accepted, duplicates, ignored, rejected]: [u64; 4],
    reason: &'static str,
) -> Expect {
    Expect {
        file,
        format,
        accepted,
        duplicates,
        ignored,
        rejected,
        reason,
    }
}

/// Every HL7 v2 and edge file, alone. Counts were checked against the
/// files: e.g. the FHS/BHS file repeats its first message byte for byte (a
/// retransmission, applied once), while the Microsoft samples reuse the
/// control id MSG00001 for different messages (all applied).
const ALONE: &[Expect] = &[
    e("edge/B01.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("edge/B02.hl7", "inconnu", [0, 0, 0, 1], "sans en-tête MSH"),
    e("edge/B04.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("edge/B05.hl7", "hl7v2", [2, 0, 0, 0], ""),
    e("edge/B06.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e(
        "edge/B07.read1.bin",
        "mllp",
        [0, 0, 0, 1],
        "trame MLLP tronquée",
    ),
    e(
        "edge/B08.read1.bin",
        "mllp",
        [0, 0, 0, 1],
        "trame MLLP tronquée",
    ),
    e("edge/B10.hl7", "inconnu", [0, 0, 0, 1], "sans en-tête MSH"),
    e("edge/B11.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("edge/B13.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("edge/B14.json", "fhir", [1, 0, 0, 0], ""),
    e("edge/B15.ndjson", "fhir", [2, 0, 0, 0], ""),
    e("edge/B16.json", "fhir", [2, 0, 0, 0], ""),
    e("edge/B17.hl7", "inconnu", [0, 0, 0, 1], "sans en-tête MSH"),
    e("edge/B18.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("edge/B20.hl7", "hl7v2", [0, 0, 0, 1], "MRG-1"),
    e("edge/B21.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("edge/B23.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("hl7v2/ans_ACK_R01.hl7", "hl7v2", [0, 0, 1, 0], ""),
    e(
        "hl7v2/ans_ORU_R01_cda_doc_short.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/ans_ORU_R01_long_obx5_base64.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/ans_pamfr_ADT_A01_admission_SGL.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/ans_pamfr_ADT_A01_consent_IC_INO.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/ans_pamfr_ADT_A01_consent_INC_INO.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/ans_pamfr_ADT_A01_consent_NA.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/ans_pamfr_ADT_A03_sortie_SGL.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/dotnet_ADT_A28_explicit_nulls_escape.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/dotnet_DFT_P03_8859-1_repetition.hl7",
        "hl7v2",
        [0, 0, 1, 0],
        "",
    ),
    e(
        "hl7v2/dotnet_ORM_all_five_escapes.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/dotnet_ORU_R01_NTE_leading_spaces.hl7",
        "hl7v2",
        [0, 0, 0, 1],
        "PID-3",
    ),
    e(
        "hl7v2/dotnet_Sample-ADT_crlf_blank_line.hl7",
        "hl7v2",
        [0, 0, 1, 0],
        "",
    ),
    e(
        "hl7v2/dotnet_Sample-ORM_escapes_br_X0D0A.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/hl7apy_OML_O33_repeating_groups.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/hl7apy_RSP_K22_v27_truncation_char.hl7",
        "hl7v2",
        [0, 0, 1, 0],
        "",
    ),
    e(
        "hl7v2/lfh_ADT_A01_escapes_xml_chars.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/lfh_ADT_A01_lf_doubled_escape_char.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/lfh_OMP_O09_pharmacy_order.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/lfh_ORU_R01_tx_multi_obx.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/mirth_batch01_concatenated_SIU.hl7",
        "hl7v2",
        [3, 0, 0, 0],
        "",
    ),
    e("hl7v2/ms_ADT-A01-01.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("hl7v2/ms_ADT-A02-01.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("hl7v2/ms_ADT-A03-01.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("hl7v2/ms_ADT-A04-01.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("hl7v2/ms_ADT-A08-01.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("hl7v2/ms_ADT-A11-01.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("hl7v2/ms_ADT-A13-01.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("hl7v2/ms_ADT-A40-01.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("hl7v2/ms_ADT01-23.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("hl7v2/ms_LAB-ORU-1.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("hl7v2/ms_ORU-R01-01.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("hl7v2/ms_ORU-R01-RMGEAD.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("hl7v2/ms_RDE-O11-01.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e(
        "hl7v2/pyhl7_ORU_R01_SN_FN_types.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/pyhl7_batch_BHS_no_FHS.hl7",
        "hl7v2",
        [2, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/pyhl7_cp1252_byte_not_utf8.hl7",
        "hl7v2",
        [0, 0, 0, 1],
        "MSH-9",
    ),
    e(
        "hl7v2/pyhl7_file_FHS_BHS_two_batches.hl7",
        "hl7v2",
        [2, 1, 0, 0],
        "",
    ),
    e("hl7v2/pyhl7_file_FHS_no_BHS.hl7", "hl7v2", [2, 0, 0, 0], ""),
    e(
        "hl7v2/pyhl7_mllp_framed_message.bin",
        "mllp",
        [0, 0, 0, 1],
        "MSH-9",
    ),
    e(
        "hl7v2/pyhl7_nonstandard_separators.hl7",
        "hl7v2",
        [0, 0, 0, 1],
        "MSH-9",
    ),
    e(
        "hl7v2/pyhl7_repetition_subcomponents.hl7",
        "hl7v2",
        [1, 0, 0, 0],
        "",
    ),
    e(
        "hl7v2/pyhl7_two_messages_crlf_stream.hl7",
        "hl7v2",
        [0, 0, 0, 2],
        "MSH-9",
    ),
    e("hl7v2/simhosp_ADT_A01_1.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e("hl7v2/simhosp_ORU_R01_2.hl7", "hl7v2", [1, 0, 0, 0], ""),
    e(
        "fhir/examples/Bundle-bundle-transaction.json",
        "fhir",
        [5, 0, 0, 2],
        "suppression",
    ),
    e(
        "fhir/examples/package.json",
        "fhir",
        [0, 0, 0, 1],
        "resourceType",
    ),
    // A medication administration is a care fact since the downtime
    // documentation reads it back (issue 5).
    e(
        "fhir/examples/MedicationAdministration-medadmin0301.json",
        "fhir",
        [1, 0, 0, 0],
        "",
    ),
];

#[test]
fn each_file_alone_yields_what_it_must() {
    let mut failures = Vec::new();
    for expect in ALONE {
        let (_dir, store) = open_store();
        let path = PathBuf::from(format!("{CORPUS}/{}", expect.file));
        let summary = ingest_all(&store, &[path]);
        let got = &summary.files[0];
        let counts = [got.accepted, got.duplicates, got.ignored, got.rejected];
        let wanted = [
            expect.accepted,
            expect.duplicates,
            expect.ignored,
            expect.rejected,
        ];
        if got.format != expect.format || counts != wanted {
            failures.push(format!(
                "{}: format {} counts {counts:?}, expected {} {wanted:?} ({:?})",
                expect.file, got.format, expect.format, got.rejections
            ));
        }
        if !got.rejections.iter().all(|r| r.contains(expect.reason)) {
            failures.push(format!("{}: reasons {:?}", expect.file, got.rejections));
        }
        // Nothing rejected is lost: it is in the quarantine with its reason.
        assert_eq!(
            store.status().unwrap().quarantined,
            got.rejected,
            "{}",
            expect.file
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_hl7_file_of_the_corpus_has_an_expectation() {
    for folder in ["hl7v2", "edge"] {
        for entry in std::fs::read_dir(format!("{CORPUS}/{folder}")).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let covered = name.ends_with(".md")
                || name.contains(".read2")
                || name.contains(".read3")
                || ALONE.iter().any(|e| e.file == format!("{folder}/{name}"));
            assert!(covered, "{folder}/{name} has no expectation in ALONE");
        }
    }
}

#[test]
fn the_whole_corpus_loads_into_one_store_and_reads_right() {
    let (_dir, store) = open_store();
    let summary = ingest_all(&store, &[PathBuf::from(CORPUS)]);

    // Synthea bundles: every entry of a kept type accepted, none rejected.
    for file in summary
        .files
        .iter()
        .filter(|f| f.path.contains("/synthea/"))
    {
        assert_eq!(file.rejected, 0, "{}: {:?}", file.path, file.rejections);
        assert!(file.accepted > 0, "{}", file.path);
    }
    let rosie = report(
        &summary,
        "Rosie394_Tiny880_Gutmann970_0815aec4-d24d-d388-63bd-eada54ce5ff9.json",
    );
    assert_eq!(rosie.skipped.get("Claim"), Some(&69));
    let rosie = search(
        &store,
        PatientQuery {
            name: Some("Gutmann".into()),
            ..PatientQuery::default()
        },
    );
    let chart = store.patient_chart(&rosie).unwrap().unwrap();
    assert_eq!(chart.identity.given.as_deref(), Some("Rosie394 Tiny880"));
    assert_eq!(
        chart.allergies.len(),
        4,
        "the README counts 4 AllergyIntolerance"
    );

    // B21: Latin-1 declared in MSH-18, decoded right.
    let b21 = store
        .patient_chart(&PatientKey::ipp("HOSP", "T1012"))
        .unwrap()
        .unwrap();
    assert_eq!(b21.identity.family.as_deref(), Some("KERTEST"));
    assert_eq!(b21.identity.given.as_deref(), Some("GWÉNAËLLE"));

    // IHE PAM FR: accented UTF-8 name and the INS from PID-3.
    // The lab's ORU names this patient by INS only, the PAM FR ADTs by IPP
    // and INS: two records, never one patient's data under another's key.
    // FIXME(issue 2): link records that share a qualified INS (PID-32 VALI)
    // once identity reliability is read; until then both show in a search.
    let query = PatientQuery {
        identifier: Some("279035121518989".into()),
        ..PatientQuery::default()
    };
    let rows = store.search_patients(&query, 10).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .all(|row| row.family.as_deref() == Some("PAT-TROIS"))
    );
    let ans = store
        .patient_chart(&PatientKey::ipp("CHU-X", "000003"))
        .unwrap()
        .unwrap();
    assert_eq!(ans.identity.ins.as_deref(), Some("279035121518989"));

    // B05: phone cleared by "", address untouched by its absence.
    let b05 = store
        .patient_chart(&PatientKey::ipp("HOSP", "T1003"))
        .unwrap()
        .unwrap();
    assert!(b05.identity.phones.is_empty(), "{:?}", b05.identity.phones);
    assert_eq!(b05.identity.addresses.len(), 1);
    assert!(b05.identity.addresses[0].contains("LYON"));
    assert_eq!(b05.identity.family.as_deref(), Some("TESTPAT"));

    // B06: "" birth date is unknown, not an error.
    let b06 = store
        .patient_chart(&PatientKey::ipp("HOSP", "T1004"))
        .unwrap()
        .unwrap();
    assert_eq!(b06.identity.birth_date, None);

    // A40: the merged record's key shows the survivor.
    let merged = store
        .patient_chart(&PatientKey::ipp("BCBS", "56789"))
        .unwrap()
        .unwrap();
    assert_eq!(merged.identity.patient, PatientKey::ipp("BCBS", "12345"));

    // B20: the self-merge left its patient untouched and went to quarantine.
    let quarantine = store.quarantine_entries(500).unwrap();
    assert!(quarantine.iter().any(|q| q.reason.contains("MRG-1")));
    assert_eq!(quarantine.len() as u64, summary.rejected());
}

#[test]
fn edge_fragments_inside_a_message_read_right() {
    let (_dir, store) = open_store();

    // B17: two identifiers with their own authorities; lookup by INS works;
    // two addresses.
    let report = ingest_bytes(&store, "B17", &wrap_fragment("B17.hl7"));
    assert_eq!(report.accepted, 1, "{:?}", report.rejections);
    let by_ins = search(
        &store,
        PatientQuery {
            identifier: Some("299999999999999".into()),
            ..PatientQuery::default()
        },
    );
    let chart = store.patient_chart(&by_ins).unwrap().unwrap();
    assert_eq!(chart.identity.ipp.as_deref(), Some("T1010"));
    assert_eq!(chart.identity.ins.as_deref(), Some("299999999999999"));
    assert_eq!(chart.identity.addresses.len(), 2);

    // B02: hex escapes decode to a line break inside the value.
    let report = ingest_bytes(&store, "B02", &wrap_fragment("B02.hl7"));
    assert_eq!(report.accepted, 1, "{:?}", report.rejections);
    let chart = store
        .patient_chart(&PatientKey::ipp("HOSP", "W1"))
        .unwrap()
        .unwrap();
    let texts: Vec<&str> = chart
        .results
        .iter()
        .filter_map(|o| match &o.value {
            ObservationValue::Text(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["Line A\r\nLine B"]);

    // B01 (a whole message): padded, lower-case hex escapes in a note.
    let bytes = std::fs::read(format!("{CORPUS}/edge/B01.hl7")).unwrap();
    assert_eq!(ingest_bytes(&store, "B01", &bytes).accepted, 1);
    let chart = store
        .patient_chart(&PatientKey::ipp("HOSP", "T1001"))
        .unwrap()
        .unwrap();
    let glucose = chart
        .results
        .iter()
        .find(|o| o.code.code.as_deref() == Some("GLU"))
        .unwrap();
    assert_eq!(
        glucose.notes,
        ["Footnotes:\r\n* fasting sample\r\n* repeat if > 7"]
    );
}

#[test]
fn a_conditional_practitioner_reference_resolves_when_the_practitioner_arrives_later() {
    // B16's kind of fault: the encounter arrives before its practitioner.
    let (_dir, store) = open_store();
    let encounter = br#"{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1","name":[{"family":"TESTPAT","given":["Juliet"]}]}},
 {"fullUrl":"urn:uuid:e1","resource":{"resourceType":"Encounter","id":"e1","status":"in-progress","class":{"code":"IMP"},"subject":{"reference":"urn:uuid:p1"},
  "participant":[{"individual":{"reference":"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999990001","display":"Dr. Test Kilo"}}],
  "location":[{"location":{"display":"Ward 5"}}],"period":{"start":"2024-01-11T08:00:00+01:00"}}}]}"#;
    let report = ingest_bytes(&store, "encounter.json", encounter);
    assert_eq!(
        (report.accepted, report.rejected),
        (2, 0),
        "{:?}",
        report.rejections
    );
    let before = store
        .patient_chart(&PatientKey::fhir("p1"))
        .unwrap()
        .unwrap();
    assert_eq!(
        before.stay.unwrap().attending.as_deref(),
        Some("Dr. Test Kilo")
    );

    let practitioner = br#"{"resourceType":"Practitioner","id":"pr9","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"9999990001"}],"name":[{"family":"KILO-ANNUAIRE","given":["Test"],"prefix":["Dr"]}]}"#;
    ingest_bytes(&store, "practitioner.json", practitioner);
    let after = store
        .patient_chart(&PatientKey::fhir("p1"))
        .unwrap()
        .unwrap();
    let attending = after.stay.unwrap().attending.unwrap();
    assert!(
        attending.contains("KILO-ANNUAIRE"),
        "resolved from the directory: {attending}"
    );
}

#[test]
fn a_long_obx5_is_shown_as_a_document_of_its_size() {
    let (_dir, store) = open_store();
    let bytes = std::fs::read(format!("{CORPUS}/edge/B18.hl7")).unwrap();
    let report = ingest_bytes(&store, "B18.hl7", &bytes);
    assert_eq!(report.accepted, 1);
    let patient = report_patient(&store);
    let chart = store.patient_chart(&patient).unwrap().unwrap();
    let sizes: Vec<u64> = chart
        .results
        .iter()
        .filter_map(|o| match &o.value {
            ObservationValue::Document { size_bytes, .. } => Some(*size_bytes),
            _ => None,
        })
        .collect();
    assert_eq!(sizes.len(), 1, "{:?}", chart.results);
    assert!((200_000..240_000).contains(&sizes[0]), "{}", sizes[0]);
}

fn report_patient(store: &SqliteStore) -> PatientKey {
    let units = store.units().unwrap();
    for unit in units {
        let board = store.unit_board(&unit.code).unwrap().unwrap();
        if let Some(occupant) = board.beds.iter().flat_map(|b| &b.occupants).next() {
            return occupant.patient.clone();
        }
    }
    let rows = store
        .search_patients(
            &PatientQuery {
                name: Some("TEST".into()),
                ..PatientQuery::default()
            },
            5,
        )
        .unwrap();
    rows.first().expect("a patient").patient.clone()
}

fn search(store: &SqliteStore, query: PatientQuery) -> PatientKey {
    let rows = store.search_patients(&query, 10).unwrap();
    assert_eq!(rows.len(), 1, "{query:?}: {rows:?}");
    rows[0].patient.clone()
}

/// Milliseconds since the Unix epoch at midnight UTC of a day.
fn day_ms(year: i16, month: i8, day: i8) -> i64 {
    jiff::civil::date(year, month, day)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_millisecond()
}

#[test]
fn an_appointment_booked_modified_then_cancelled_is_one_row() {
    use ckisa_domain::AppointmentStatus;

    let (_dir, store) = open_store();
    let bytes =
        std::fs::read(format!("{CORPUS}/hl7v2/mirth_batch01_concatenated_SIU.hl7")).unwrap();
    let ranges = ckisa_hl7::split_messages(&bytes).messages;
    assert_eq!(ranges.len(), 3, "S12, S14, S15");
    let june = (day_ms(2011, 6, 1), day_ms(2011, 7, 1));
    let rows = |store: &SqliteStore| store.appointments(june.0, june.1).unwrap();

    let mut states = Vec::new();
    for (n, range) in ranges.into_iter().enumerate() {
        let report = ingest_bytes(&store, &format!("siu-{n}"), &bytes[range]);
        assert_eq!(report.accepted, 1, "{:?}", report.rejections);
        let rows = rows(&store);
        assert_eq!(rows.len(), 1, "one appointment after message {n}");
        let row = &rows[0];
        states.push((row.appointment.status, row.appointment.minutes));
        assert_eq!(row.family.as_deref(), Some("BEEBLEBROX"));
        assert_eq!(row.ipp.as_deref(), Some("42"));
    }
    assert_eq!(
        states,
        [
            (AppointmentStatus::Booked, Some(45)),
            (AppointmentStatus::Booked, Some(60)),
            (AppointmentStatus::Cancelled, Some(60)),
        ]
    );
}

#[test]
fn a_diet_order_then_its_cancellation_and_a_fhir_appointment() {
    let (_dir, store) = open_store();
    let order = |control: &str, id: &str| {
        format!(
            "MSH|^~\\&|CUISINE|CHU|NODE|CHU|20240310120000+0100||OMD^O03^OMD_O03|{id}|P|2.5\r\
             PID|1||D1^^^CHU^PI||REPAS^Jean\r\
             ORC|{control}|CMD1^CHU\r\
             ODS|D||NPO^À jeun^L|Bloc demain matin\r"
        )
    };
    let patient = PatientKey::ipp("CHU", "D1");
    let report = ingest_bytes(&store, "omd-nw", order("NW", "M1").as_bytes());
    assert_eq!(report.accepted, 1, "{:?}", report.rejections);
    let diets = store.diets(std::slice::from_ref(&patient)).unwrap();
    assert_eq!(diets.len(), 1);
    assert!(diets[0].nil_by_mouth);
    assert_eq!(diets[0].remarks.as_deref(), Some("Bloc demain matin"));

    let report = ingest_bytes(&store, "omd-ca", order("CA", "M2").as_bytes());
    assert_eq!(report.accepted, 1, "{:?}", report.rejections);
    assert_eq!(store.diets(std::slice::from_ref(&patient)).unwrap(), []);

    let appointment = br#"{"resourceType":"Appointment","id":"rv9","status":"booked",
      "start":"2024-03-15T09:30:00+01:00","minutesDuration":20,
      "participant":[{"actor":{"reference":"Patient/p9"}},{"actor":{"display":"Dr Ana LOPEZ","type":"Practitioner"}}]}"#;
    let report = ingest_bytes(&store, "rv9.json", appointment);
    assert_eq!(
        (report.accepted, report.rejected),
        (1, 0),
        "{:?}",
        report.rejections
    );
    let rows = store
        .appointments(day_ms(2024, 3, 15), day_ms(2024, 3, 16))
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].appointment.minutes, Some(20));
    assert_eq!(rows[0].practitioner.as_deref(), Some("Dr Ana LOPEZ"));
}
