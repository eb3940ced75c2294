//! Every message of every file of `shared/corpus/hl7v2` through `hl7map::map_message`.
//!
//! The expected outcome of each message (facts by kind, ignored, or the refusal with its
//! location and table 0357 code) was written by reading the files (see the corpus README and
//! `docs/hl7-v2-mapping.md`), then checked against the mapper. A file added to the corpus
//! without an expectation here fails the test.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ckisa_domain::{
    Appointment, AppointmentStatus, Deceased, Fact, Field as Tri, Medication, Observation,
    ObservationCategory, ObservationValue, PatientUpdate, RecordStatus, Report, StayUpdate,
};
use ckisa_hl7::{Message, split_messages};
use ckisa_ingest::hl7map::{MapContext, MapRejection, Mapped, map_message};

fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/hl7v2"
    ))
}

/// Outcome of one message, as text that reads like the table below.
fn outcome(result: &Result<Result<Mapped, MapRejection>, String>) -> String {
    match result {
        Err(parse) => format!("parse error: {parse}"),
        Ok(Err(rejection)) => format!(
            "{} {}-{} {}",
            rejection.ack_code.code(),
            rejection.segment,
            rejection.field,
            rejection.hl7_error_code
        ),
        Ok(Ok(mapped)) if mapped.ignored => {
            assert!(mapped.facts.is_empty());
            "ignored".to_owned()
        }
        Ok(Ok(mapped)) => {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for fact in &mapped.facts {
                *counts.entry(fact.kind()).or_default() += 1;
            }
            let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{k}={n}")).collect();
            parts.join(" ")
        }
    }
}

/// Maps every message of a corpus file.
fn map_file(name: &str) -> Vec<Result<Result<Mapped, MapRejection>, String>> {
    let bytes = std::fs::read(corpus_dir().join(name)).expect("corpus file is readable");
    let split = split_messages(&bytes);
    let mut ranges = split.messages;
    if ranges.is_empty() {
        ranges.push(0..bytes.len());
    }
    let ctx = MapContext::paris();
    ranges
        .into_iter()
        .map(|range| {
            let message = Message::parse(&bytes[range]).map_err(|e| e.to_string())?;
            Ok(map_message(&message, &ctx))
        })
        .collect()
}

fn mapped(name: &str) -> Mapped {
    let mut all = map_file(name);
    assert_eq!(all.len(), 1, "{name} holds one message");
    match all.remove(0) {
        Ok(Ok(mapped)) => mapped,
        other => panic!("{name}: {}", outcome(&other)),
    }
}

const EXPECTED: &[(&str, &[&str])] = &[
    ("ans_ACK_R01.hl7", &["ignored"]),
    (
        "ans_ORU_R01_cda_doc_short.hl7",
        &["observation=13 patient=1 report=1"],
    ),
    (
        "ans_ORU_R01_long_obx5_base64.hl7",
        &["observation=12 patient=1 report=1"],
    ),
    ("ans_pamfr_ADT_A01_admission_SGL.hl7", &["patient=1 stay=1"]),
    (
        "ans_pamfr_ADT_A01_consent_IC_INO.hl7",
        &["patient=1 stay=1"],
    ),
    (
        "ans_pamfr_ADT_A01_consent_INC_INO.hl7",
        &["patient=1 stay=1"],
    ),
    ("ans_pamfr_ADT_A01_consent_NA.hl7", &["patient=1 stay=1"]),
    (
        "ans_pamfr_ADT_A03_sortie_SGL.hl7",
        &["discharge=1 patient=1"],
    ),
    ("dotnet_ADT_A28_explicit_nulls_escape.hl7", &["patient=1"]),
    ("dotnet_DFT_P03_8859-1_repetition.hl7", &["ignored"]),
    ("dotnet_ORM_all_five_escapes.hl7", &["patient=1"]),
    // PID-2, PID-3 and PID-4 are all empty: no patient can be keyed.
    ("dotnet_ORU_R01_NTE_leading_spaces.hl7", &["AE PID-3 101"]),
    // ADT^O01 is not an ADT event.
    ("dotnet_Sample-ADT_crlf_blank_line.hl7", &["ignored"]),
    ("dotnet_Sample-ORM_escapes_br_X0D0A.hl7", &["patient=1"]),
    ("hl7apy_OML_O33_repeating_groups.hl7", &["patient=1"]),
    ("hl7apy_RSP_K22_v27_truncation_char.hl7", &["ignored"]),
    ("lfh_ADT_A01_escapes_xml_chars.hl7", &["patient=1 stay=1"]),
    (
        "lfh_ADT_A01_lf_doubled_escape_char.hl7",
        &["allergy=2 condition=1 observation=1 patient=1 stay=1"],
    ),
    (
        "lfh_OMP_O09_pharmacy_order.hl7",
        &["allergy=1 medication=1 observation=1 patient=1"],
    ),
    (
        "lfh_ORU_R01_tx_multi_obx.hl7",
        &["observation=1 patient=1 report=1"],
    ),
    // S12, S14 and S15 of one appointment (SCH-2 2196178).
    (
        "mirth_batch01_concatenated_SIU.hl7",
        &[
            "appointment=1 patient=1",
            "appointment=1 patient=1",
            "appointment=1 patient=1",
        ],
    ),
    (
        "ms_ADT-A01-01.hl7",
        &["allergy=1 condition=1 observation=1 patient=1 procedure=1 stay=1"],
    ),
    ("ms_ADT-A02-01.hl7", &["observation=1 patient=1 transfer=1"]),
    (
        "ms_ADT-A03-01.hl7",
        &["allergy=1 condition=1 discharge=1 observation=1 patient=1 procedure=1"],
    ),
    (
        "ms_ADT-A04-01.hl7",
        &["allergy=1 condition=1 observation=1 patient=1 procedure=1 stay=1"],
    ),
    (
        "ms_ADT-A08-01.hl7",
        &["allergy=1 condition=1 observation=1 patient=1 procedure=1 stay=1"],
    ),
    (
        "ms_ADT-A11-01.hl7",
        &["admission_cancelled=1 observation=1 patient=1"],
    ),
    (
        "ms_ADT-A13-01.hl7",
        &["allergy=1 condition=1 discharge_cancelled=1 observation=1 patient=1 procedure=1"],
    ),
    ("ms_ADT-A40-01.hl7", &["merge=1 patient=1"]),
    ("ms_ADT01-23.hl7", &["condition=1 patient=1 stay=1"]),
    ("ms_LAB-ORU-1.hl7", &["observation=10 patient=1 report=2"]),
    ("ms_ORU-R01-01.hl7", &["observation=5 patient=1 report=1"]),
    (
        "ms_ORU-R01-RMGEAD.hl7",
        &["observation=1 patient=1 report=1"],
    ),
    (
        "ms_RDE-O11-01.hl7",
        &["medication=1 observation=1 patient=1"],
    ),
    (
        "pyhl7_ORU_R01_SN_FN_types.hl7",
        &["observation=2 patient=1 report=1"],
    ),
    (
        "pyhl7_batch_BHS_no_FHS.hl7",
        &["patient=1 stay=1", "patient=1 stay=1"],
    ),
    // A bare MSH fragment: no MSH-9.
    ("pyhl7_cp1252_byte_not_utf8.hl7", &["AR MSH-9 200"]),
    (
        "pyhl7_file_FHS_BHS_two_batches.hl7",
        &["patient=1 stay=1", "patient=1 stay=1", "patient=1 stay=1"],
    ),
    (
        "pyhl7_file_FHS_no_BHS.hl7",
        &["patient=1 stay=1", "patient=1 stay=1"],
    ),
    ("pyhl7_mllp_framed_message.bin", &["AR MSH-9 200"]),
    ("pyhl7_nonstandard_separators.hl7", &["AR MSH-9 200"]),
    ("pyhl7_repetition_subcomponents.hl7", &["patient=1"]),
    (
        "pyhl7_two_messages_crlf_stream.hl7",
        &["AR MSH-9 200", "AR MSH-9 200"],
    ),
    ("simhosp_ADT_A01_1.hl7", &["patient=1 stay=1"]),
    (
        "simhosp_ORU_R01_2.hl7",
        &["observation=4 patient=1 report=1"],
    ),
];

#[test]
fn every_corpus_message_has_its_expected_outcome() {
    let mut files: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("corpus folder is readable")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name != "README.md")
        .collect();
    files.sort();
    let listed: Vec<&str> = EXPECTED.iter().map(|(name, _)| *name).collect();
    assert_eq!(files, listed, "corpus files and expectations differ");
    let mut wrong = Vec::new();
    for (name, expected) in EXPECTED {
        let got: Vec<String> = map_file(name).iter().map(outcome).collect();
        if got != *expected {
            wrong.push(format!("{name}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

fn patient(mapped: &Mapped) -> &PatientUpdate {
    mapped
        .facts
        .iter()
        .find_map(|f| match f {
            Fact::PatientUpdated(p) => Some(p),
            _ => None,
        })
        .expect("patient fact")
}

fn stay(mapped: &Mapped) -> &StayUpdate {
    mapped
        .facts
        .iter()
        .find_map(|f| match f {
            Fact::StayUpdated(s) => Some(s),
            _ => None,
        })
        .expect("stay fact")
}

fn observations(mapped: &Mapped) -> Vec<&Observation> {
    mapped
        .facts
        .iter()
        .filter_map(|f| match f {
            Fact::ObservationRecorded(o) => Some(o),
            _ => None,
        })
        .collect()
}

fn reports(mapped: &Mapped) -> Vec<&Report> {
    mapped
        .facts
        .iter()
        .filter_map(|f| match f {
            Fact::ReportRecorded(r) => Some(r),
            _ => None,
        })
        .collect()
}

fn value(text: &str) -> Tri<String> {
    Tri::Value(text.to_owned())
}

#[test]
fn pam_fr_admission_identity_stay_and_unit() {
    let mapped = mapped("ans_pamfr_ADT_A01_admission_SGL.hl7");
    let p = patient(&mapped);
    assert_eq!(p.patient.as_str(), "ipp:CHU-X|000003");
    assert_eq!(
        (p.family.clone(), p.given.clone()),
        (value("PAT-TROIS"), value("DOMINIQUE"))
    );
    let kinds: Vec<_> = p.identifiers.iter().map(|i| i.kind.as_deref()).collect();
    assert_eq!(kinds, [Some("PI"), Some("INS")]);
    assert_eq!(p.identifiers[1].value, "279035121518989");
    assert_eq!(
        p.identifiers[1].system.as_deref(),
        Some("1.2.250.1.213.1.4.10")
    );
    let Tri::Value(birth) = p.birth_date else {
        panic!("birth date")
    };
    assert_eq!((birth.year, birth.month, birth.day), (1979, 3, 28));
    let s = stay(&mapped);
    assert_eq!(s.encounter.as_str(), "vn:CHU-X|000897406");
    let place = s.place.value().expect("place from ZBE-7");
    assert_eq!(
        (place.unit.as_str(), place.facility.as_deref()),
        ("Chir V", Some("CHU-X"))
    );
    assert_eq!(s.movement_id.as_deref(), Some("001"));
    assert!(s.in_house);
    assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
}

#[test]
fn pam_fr_accented_attending_and_discharge_of_the_same_stay() {
    let admission = mapped("ans_pamfr_ADT_A01_consent_IC_INO.hl7");
    let attending = stay(&admission).attending.clone().expect("PV1-7");
    assert_eq!(attending.display.as_deref(), Some("Dr Pierre RÉAULT"));
    assert_eq!(attending.identifier.unwrap().value, "801234567897");
    let admitted = stay(&admission).admitted_at.expect("PV1-44");
    assert_eq!(admitted.to_iso(), "2024-03-06T11:00:00+01:00");

    let discharge = mapped("ans_pamfr_ADT_A03_sortie_SGL.hl7");
    let Some(Fact::Discharged { encounter, at, .. }) = discharge.facts.get(1) else {
        panic!("no discharge")
    };
    assert_eq!(encounter.as_str(), "vn:CHU-X|000897406");
    assert_eq!(at.expect("EVN-6").to_iso(), "2024-03-06T11:11:54+01:00");
    assert!(
        discharge.warnings.iter().any(|w| w.starts_with("ZBE-5")),
        "{:?}",
        discharge.warnings
    );
}

#[test]
fn ans_cda_results_decode_accents_and_documents() {
    let mapped = mapped("ans_ORU_R01_cda_doc_short.hl7");
    assert_eq!(
        patient(&mapped).patient.as_str(),
        "ipp:ASIP-SANTE-INS-NIR|279035121518989"
    );
    let obs = observations(&mapped);
    assert_eq!(obs[2].code.text, "Masqué aux professionnels de Santé");
    let ObservationValue::Document {
        media_type,
        size_bytes,
        ..
    } = &obs[0].value
    else {
        panic!("{:?}", obs[0].value)
    };
    assert_eq!(media_type.as_deref(), Some("text/xml"));
    assert_eq!(*size_bytes, 39);
    assert_eq!(
        reports(&mapped)[0].id,
        "hl7:ipp:ASIP-SANTE-INS-NIR|279035121518989|report|labo|1001-E1|11502-2"
    );
    assert_eq!(reports(&mapped)[0].results.len(), 13);

    let long = mapped_long();
    let ObservationValue::Document { size_bytes, .. } = &observations(&long)[0].value else {
        panic!("long OBX-5 is a document")
    };
    assert!(*size_bytes > 200_000, "{size_bytes}");
}

fn mapped_long() -> Mapped {
    mapped("ans_ORU_R01_long_obx5_base64.hl7")
}

#[test]
fn explicit_nulls_and_escapes_in_a28() {
    let mapped = mapped("dotnet_ADT_A28_explicit_nulls_escape.hl7");
    let p = patient(&mapped);
    assert_eq!(p.patient.as_str(), "ipp:SAP|704251200");
    assert_eq!(p.identifiers.len(), 3, "the \"\" repetitions are skipped");
    assert_eq!(p.family, value("TEST|TEST"));
    assert_eq!(p.phones, Tri::Value(vec!["349 0000000".to_owned()]));
    let Tri::Value(addresses) = &p.addresses else {
        panic!("addresses")
    };
    assert_eq!(addresses.len(), 2);
    assert_eq!(addresses[1].lines, ["VIA DEI TIGLI 99 TRALLaae"]);
}

#[test]
fn all_five_escapes_in_a_family_name() {
    let p = patient(&mapped("dotnet_ORM_all_five_escapes.hl7")).clone();
    assert_eq!(p.family, value("Smith|^~\\&"));
    assert_eq!(p.given, value("John"));
}

#[test]
fn tx_report_lines_are_joined() {
    let mapped = mapped("lfh_ORU_R01_tx_multi_obx.hl7");
    let text = "\n[PII] Emergency Department\nED Encounter Arrival Date: [ADDRESS] [PERSONALNAME]:";
    assert_eq!(
        observations(&mapped)[0].value,
        ObservationValue::Text(text.to_owned())
    );
}

#[test]
fn pharmacy_orders() {
    let omp = mapped("lfh_OMP_O09_pharmacy_order.hl7");
    let med: &Medication = omp
        .facts
        .iter()
        .find_map(|f| match f {
            Fact::MedicationRecorded(m) => Some(m),
            _ => None,
        })
        .expect("medication");
    assert_eq!(med.id, "hl7:ipp:MPI|555444222111|order|OE|1000");
    assert_eq!(med.drug.text, "Polycillin 500 mg TAB");
    assert_eq!(med.dose.as_deref(), Some("500 MG"));
    assert_eq!(med.route.as_deref(), Some("PO"));
    assert_eq!(med.frequency.as_deref(), Some("QID"));
    assert_eq!(med.start.expect("TQ1-7").year, 1994);
    assert_eq!(med.status, RecordStatus::Active);
    assert!(
        med.note
            .as_deref()
            .is_some_and(|n| n.contains("comment after RXO"))
    );

    let rde = mapped("ms_RDE-O11-01.hl7");
    let Some(Fact::MedicationRecorded(med)) = rde.facts.get(1) else {
        panic!("medication")
    };
    assert_eq!(med.id, "hl7:ipp:test1|PATID1234|order|EPC|1163422591");
    assert_eq!(med.drug.code.as_deref(), Some("0143963401"));
    assert_eq!(med.dose.as_deref(), Some("5 mg/hr"));
    assert_eq!(med.route.as_deref(), Some("IV"));
    assert_eq!(med.frequency.as_deref(), Some("TID"));
    let start = med.start.expect("second TQ1-7");
    assert_eq!(start.offset.expect("stated").minutes, 135);
    assert_eq!(med.note.as_deref().map(|n| n.lines().count()), Some(3));
}

#[test]
fn lab_results_values_ranges_and_notes() {
    let simhosp = mapped("simhosp_ORU_R01_2.hl7");
    let obs = observations(&simhosp);
    assert_eq!(obs[0].reference_range.as_deref(), Some("[ < 4.5]"));
    assert_eq!(obs[0].notes, ["Memory stair anguish"]);
    assert_eq!(obs[0].category, ObservationCategory::Lab);
    assert_eq!(
        reports(&simhosp)[0].id,
        "hl7:ipp:SIMULATOR MRN|3463070384|report|SFAC|3652643406|us-0001"
    );

    let sn = mapped("pyhl7_ORU_R01_SN_FN_types.hl7");
    let obs = observations(&sn);
    assert_eq!(
        obs[0].value,
        ObservationValue::Quantity {
            value: "182".into(),
            unit: Some("mg/dl".into())
        }
    );
    assert_eq!(obs[0].interpretation.as_deref(), Some("H"));
    assert_eq!(patient(&sn).birth_date, Tri::Absent);
    assert!(
        sn.warnings
            .iter()
            .any(|w| w.starts_with("PID-7") && w.contains("196203520"))
    );

    let lab = mapped("ms_LAB-ORU-1.hl7");
    let reports = reports(&lab);
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].results.len(), 5);
    assert_eq!(observations(&lab)[0].value, ObservationValue::None);
}

#[test]
fn merges_and_vitals_in_adt() {
    let merge = mapped("ms_ADT-A40-01.hl7");
    let Some(Fact::PatientsMerged { survivor, merged }) = merge.facts.get(1) else {
        panic!("merge")
    };
    assert_eq!(
        (survivor.as_str(), merged.as_str()),
        ("ipp:BCBS|12345", "ipp:BCBS|56789")
    );

    let admission = mapped("ms_ADT-A01-01.hl7");
    let p = patient(&admission);
    assert_eq!(
        (p.family.clone(), p.given.clone()),
        (value("EVERYMAN"), value("ADAM A"))
    );
    assert_eq!(p.birth_name, value("Josh"));
    assert!(matches!(p.deceased, Tri::Value(Deceased::At(_))));
    assert_eq!(
        observations(&admission)[0].category,
        ObservationCategory::Vital
    );
    let s = stay(&admission);
    assert_eq!(s.encounter.as_str(), "vn:AccMng|40007716");
    assert_eq!(s.place.value().map(|p| p.unit.as_str()), Some("HUH AE OMU"));
}

#[test]
fn simulated_hospital_admission() {
    let mapped = mapped("simhosp_ADT_A01_1.hl7");
    let p = patient(&mapped);
    assert_eq!(p.patient.as_str(), "ipp:SIMULATOR MRN|2338887614");
    assert_eq!(p.identifiers.len(), 2);
    let s = stay(&mapped);
    assert_eq!(s.encounter.as_str(), "vn:SFAC|2756244404586167887");
    assert_eq!(
        s.attending.as_ref().and_then(|a| a.display.as_deref()),
        Some("Dr Natasha LITHERLAND")
    );
    let place = s.place.value().expect("place");
    assert_eq!(
        (place.unit.as_str(), place.bed.as_deref()),
        ("OtherWard", Some("Bed 1"))
    );
}

#[test]
fn one_appointment_booked_modified_then_cancelled() {
    let messages: Vec<Mapped> = map_file("mirth_batch01_concatenated_SIU.hl7")
        .into_iter()
        .map(|result| match result {
            Ok(Ok(mapped)) => mapped,
            other => panic!("{}", outcome(&other)),
        })
        .collect();
    let appointments: Vec<&Appointment> = messages
        .iter()
        .flat_map(|mapped| &mapped.facts)
        .filter_map(|fact| match fact {
            Fact::AppointmentRecorded(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(appointments.len(), 3);

    // Applied in order by id, as the store does: one appointment, cancelled at the end.
    let mut by_id: BTreeMap<&str, &Appointment> = BTreeMap::new();
    let mut states = Vec::new();
    for appointment in &appointments {
        by_id.insert(appointment.id.as_str(), appointment);
        states.push((appointment.status, appointment.minutes));
    }
    assert_eq!(by_id.len(), 1, "S12, S14 and S15 update one appointment");
    let last = by_id.values().next().unwrap();
    assert_eq!(
        last.id,
        "hl7:ipp:SENDING_FACILITY|42|appointment|2196178|2196178"
    );
    assert_eq!(last.patient.as_str(), "ipp:SENDING_FACILITY|42");
    assert_eq!(
        states,
        [
            (AppointmentStatus::Booked, Some(45)),
            (AppointmentStatus::Booked, Some(60)),
            (AppointmentStatus::Cancelled, Some(60)),
        ],
        "S14 lengthened the booking from 45 to 60 minutes (AIL-9, AIP-9)"
    );

    // AIL-6 and AIP-6 say 14/06 08:45, SCH-11 says 17/06: the booking of the resources is
    // kept and the difference reported.
    assert_eq!(last.start.to_iso(), "2011-06-14T08:45:00+02:00");
    assert!(
        messages[0]
            .warnings
            .iter()
            .any(|w| w.starts_with("SCH-11.4 : début 17/06/2011 08:45 différent de AIL-6")),
        "{:?}",
        messages[0].warnings
    );
    assert_eq!(last.clinic.as_deref(), Some("OFFICE"));
    let doctor = last.practitioner.as_ref().expect("AIP-3");
    assert_eq!(doctor.display.as_deref(), Some("Dr Douglas ADAMS"));
    assert_eq!(
        doctor.identifier.as_ref().map(|i| i.value.as_str()),
        Some("1")
    );
    assert_eq!(last.reason.as_deref(), Some("reason for the appointment"));
    let patient = patient(&messages[0]);
    assert_eq!(
        (patient.family.clone(), patient.given.clone()),
        (value("BEEBLEBROX"), value("ZAPHOD"))
    );
}
