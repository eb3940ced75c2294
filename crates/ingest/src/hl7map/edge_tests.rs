//! The edge cases of `shared/corpus/edge` (EXPECTED.md) that concern mapping, run through
//! [`map_message`]. Fragments without MSH are wrapped in a minimal message.

use ckisa_domain::{
    Deceased, Fact, Field as Tri, ObservationValue, OffsetOrigin, PatientUpdate, Sex,
};
use ckisa_hl7::{Message, split_messages};

use super::test_support::{kinds, map, map_ok, msg, patient_update};
use super::{AckKind, MapContext, Mapped, map_message};

fn edge(name: &str) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/edge/");
    std::fs::read(format!("{path}{name}")).expect("edge corpus file is readable")
}

fn edge_text(name: &str) -> String {
    String::from_utf8(edge(name)).expect("edge file is UTF-8")
}

fn map_bytes(bytes: &[u8]) -> Mapped {
    let message = Message::parse(bytes).expect("edge message parses");
    map_message(&message, &MapContext::paris()).expect("edge message is accepted")
}

fn observations(mapped: &Mapped) -> Vec<&ckisa_domain::Observation> {
    mapped
        .facts
        .iter()
        .filter_map(|f| match f {
            Fact::ObservationRecorded(o) => Some(o),
            _ => None,
        })
        .collect()
}

const ORU_HEAD: &str = "PID|1||T1^^^HOSP^PI||TESTPAT^X\rOBR|1||L1|X^X^L|||20240101080000";

#[test]
fn b01_hex_escapes_become_line_breaks_in_notes() {
    let mapped = map_bytes(&edge("B01.hl7"));
    let obs = observations(&mapped);
    assert_eq!(obs.len(), 1);
    assert_eq!(
        obs[0].notes,
        ["Footnotes:\r\n* fasting sample\r\n* repeat if > 7"]
    );
    assert!(!obs[0].notes[0].contains('\0'));
    assert_eq!(
        obs[0].value,
        ObservationValue::Quantity {
            value: "5.4".into(),
            unit: Some("mmol/L".into())
        }
    );
}

#[test]
fn b02_escaped_crlf_inside_a_text_value() {
    let text = msg("ORU^R01", &format!("{ORU_HEAD}\r{}", edge_text("B02.hl7")));
    let mapped = map_ok(&text);
    assert_eq!(
        observations(&mapped)[0].value,
        ObservationValue::Text("Line A\r\nLine B".into())
    );
}

#[test]
fn b04_z_segment_warned_and_message_still_mapped() {
    let bytes = edge("B04.hl7");
    let mapped = map_bytes(&bytes);
    assert_eq!(kinds(&mapped), ["patient", "stay"]);
    assert!(
        mapped
            .warnings
            .iter()
            .any(|w| w.starts_with("segment ZZ1 non exploité")),
        "{:?}",
        mapped.warnings
    );
    // The literal `4\5` is the parser's warning, reported by the caller next to ours.
    assert!(!Message::parse(&bytes).unwrap().warnings().is_empty());
}

#[test]
fn b05_null_phone_clears_and_absent_address_stays() {
    let file = edge("B05.hl7");
    let split = split_messages(&file);
    assert_eq!(split.messages.len(), 2);
    let first = map_bytes(&file[split.messages[0].clone()]);
    let admitted = patient_update(&first);
    assert_eq!(admitted.phones, Tri::Value(vec!["0400000001".into()]));
    assert!(matches!(&admitted.addresses, Tri::Value(list) if list.len() == 1));
    let second = map_bytes(&file[split.messages[1].clone()]);
    let updated = patient_update(&second);
    assert_eq!(updated.phones, Tri::Null);
    assert_eq!(updated.addresses, Tri::Absent);
    assert_eq!(updated.family, Tri::Value("TESTPAT".into()));
    assert_eq!(updated.given, Tri::Value("CHARLIE".into()));
}

#[test]
fn b06_null_birth_date_is_cleared_without_error() {
    let mapped = map_bytes(&edge("B06.hl7"));
    let update = patient_update(&mapped);
    assert_eq!(update.birth_date, Tri::Null);
    assert_eq!(update.sex, Tri::Value(Sex::Male));
    assert_eq!(update.given, Tri::Value("DELTA".into()));
    assert!(
        !mapped.warnings.iter().any(|w| w.starts_with("PID")),
        "{:?}",
        mapped.warnings
    );
}

#[test]
fn b10_stated_offsets_are_kept() {
    let text = msg("ORU^R01", &format!("{ORU_HEAD}\r{}", edge_text("B10.hl7")));
    let mapped = map_ok(&text);
    for obs in observations(&mapped) {
        let effective = obs.effective.unwrap();
        let offset = effective.offset.unwrap();
        assert_eq!(
            (offset.minutes, offset.origin),
            (-300, OffsetOrigin::Stated)
        );
        let instant = effective.timestamp().unwrap().to_string();
        assert!(instant.ends_with("T19:56:24.09Z"), "{instant}");
    }
    assert_eq!(observations(&mapped).len(), 2);
}

#[test]
fn b11_header_offset_is_used_and_recorded() {
    let mapped = map_bytes(&edge("B11.hl7"));
    let Some(Fact::StayUpdated(stay)) = mapped.facts.get(1) else {
        panic!("{:?}", kinds(&mapped))
    };
    for moment in [stay.admitted_at.unwrap(), stay.effective_at.unwrap()] {
        let offset = moment.offset.unwrap();
        assert_eq!(
            (offset.minutes, offset.origin),
            (180, OffsetOrigin::MessageHeader)
        );
        assert_eq!(
            moment.timestamp().unwrap().to_string(),
            "2024-01-10T08:00:00Z"
        );
    }
    // The file puts the event time one field late (EVN-7): read with a warning.
    assert!(
        mapped.warnings.iter().any(|w| w.starts_with("EVN-7")),
        "{:?}",
        mapped.warnings
    );
}

#[test]
fn b13_site_zone_assumed_and_dst_gap_flagged() {
    let mapped = map_bytes(&edge("B13.hl7"));
    let reports: Vec<_> = mapped
        .facts
        .iter()
        .filter_map(|f| match f {
            Fact::ReportRecorded(r) => r.effective,
            _ => None,
        })
        .collect();
    assert_eq!(reports.len(), 2);
    let offset = reports[0].offset.unwrap();
    assert_eq!(
        (offset.minutes, offset.origin),
        (60, OffsetOrigin::SiteZone)
    );
    assert_eq!(
        reports[0].timestamp().unwrap().to_string(),
        "2024-03-31T00:30:00Z"
    );
    assert!(reports[1].dst_gap);
    assert_eq!(reports[1].offset, None);
    assert_eq!((reports[1].hour, reports[1].minute), (2, 30));
}

#[test]
fn b17_two_identifiers_and_two_addresses() {
    let text = msg("ADT^A28", &edge_text("B17.hl7"));
    let mapped = map_ok(&text);
    let update: &PatientUpdate = patient_update(&mapped);
    assert_eq!(update.patient.as_str(), "ipp:HOSP|T1010");
    let ids: Vec<_> = update
        .identifiers
        .iter()
        .map(|id| (id.value.as_str(), id.system.as_deref(), id.kind.as_deref()))
        .collect();
    assert_eq!(
        ids,
        [
            ("T1010", Some("1.2.250.1.999.1"), Some("PI")),
            ("299999999999999", Some("1.2.250.1.213.1.4.10"), Some("INS")),
        ]
    );
    let Tri::Value(addresses) = &update.addresses else {
        panic!("addresses")
    };
    let places: Vec<_> = addresses
        .iter()
        .map(|a| (a.city.as_deref(), a.kind.as_deref()))
        .collect();
    assert_eq!(
        places,
        [(Some("PARIS"), Some("H")), (Some("NANTES"), Some("BDL"))]
    );
    assert_eq!(addresses[0].lines, ["1 RUE A"]);
}

#[test]
fn b18_long_obx5_is_one_document() {
    let mapped = map_bytes(&edge("B18.hl7"));
    let obs = observations(&mapped);
    assert_eq!(obs.len(), 1);
    let ObservationValue::Document {
        media_type,
        size_bytes,
        data,
    } = &obs[0].value
    else {
        panic!("not a document")
    };
    assert_eq!(media_type.as_deref(), Some("application/pdf"));
    assert_eq!(data.len(), 300_008);
    assert_eq!(*size_bytes, 225_006, "about 220 KB once decoded");
    assert!(data.starts_with("JVBERi0xLjQK"));
}

#[test]
fn b20_self_merge_is_refused_at_mrg_1() {
    let message = edge("B20.hl7");
    let parsed = Message::parse(&message).unwrap();
    let rejection = map_message(&parsed, &MapContext::paris()).unwrap_err();
    assert_eq!(rejection.ack_code, AckKind::Error);
    assert_eq!((rejection.segment.as_str(), rejection.field), ("MRG", 1));
    assert_eq!(rejection.hl7_error_code, 207);
    assert!(rejection.reason.contains("MRG-1 identique à PID-3"));
}

#[test]
fn b21_latin1_names_and_pam_fr_transfer() {
    let mapped = map_bytes(&edge("B21.hl7"));
    let update = patient_update(&mapped);
    assert_eq!(update.given, Tri::Value("GWÉNAËLLE".into()));
    assert_eq!(update.family, Tri::Value("KERTEST".into()));
    assert_eq!(update.deceased, Tri::<Deceased>::Absent);
    let Some(Fact::Transferred {
        to,
        at,
        movement_id,
        ..
    }) = mapped.facts.get(1)
    else {
        panic!("{:?}", kinds(&mapped))
    };
    assert_eq!(to.unit, "MATER");
    assert_eq!(
        (to.room.as_deref(), to.bed.as_deref()),
        (Some("12"), Some("1"))
    );
    assert_eq!(movement_id.as_deref(), Some("MVT0001"));
    let at = at.unwrap();
    assert_eq!((at.hour, at.minute), (14, 55));
    assert_eq!(at.offset.unwrap().origin, OffsetOrigin::SiteZone);
}

#[test]
fn b23_times_without_offset_get_the_site_offset() {
    let mapped = map_bytes(&edge("B23.hl7"));
    let Some(Fact::Discharged { at, .. }) = mapped.facts.get(1) else {
        panic!("{:?}", kinds(&mapped))
    };
    assert_eq!(at.unwrap().to_iso(), "2024-03-15T14:30:00+01:00");
}

#[test]
fn fragments_without_patient_are_refused_not_crashed() {
    let rejection = map(&msg("ORU^R01", &edge_text("B10.hl7"))).unwrap_err();
    assert_eq!(rejection.segment, "PID");
}
