//! Every file of the shared HL7 v2 corpus: each one splits and parses, and concrete values are
//! checked for the features each file was collected for (see corpus/hl7v2/README.md).

use ckisa_hl7::mllp::MllpDecoder;
use ckisa_hl7::{Charset, DecodeError, Message, WarningKind, split_messages};

use crate::support::{hl7_files, parse_single, read};

#[test]
fn every_corpus_file_splits_and_parses() {
    let files = hl7_files("hl7v2");
    assert!(
        files.len() >= 40,
        "corpus not found or truncated: {} files",
        files.len()
    );
    for (name, bytes) in &files {
        let split = split_messages(bytes);
        assert!(!split.messages.is_empty(), "{name}: no message found");
        assert!(split.problems.is_empty(), "{name}: {:?}", split.problems);
        for range in &split.messages {
            let msg = Message::parse(&bytes[range.clone()])
                .unwrap_or_else(|error| panic!("{name}: {error}"));
            assert_eq!(msg.as_bytes(), &bytes[range.clone()], "{name}: round trip");
            assert_eq!(msg.msh().name(), "MSH");
            check_every_value_decodes(name, &msg);
        }
    }
}

/// All values decode, except in the one file that holds a Windows-1252 byte.
fn check_every_value_decodes(name: &str, msg: &Message<'_>) {
    for segment in msg.segments() {
        for (number, field) in segment.fields() {
            let result = field.text();
            if name == "pyhl7_cp1252_byte_not_utf8.hl7" && segment.name() == "MSH" && number == 4 {
                assert!(result.is_err());
            } else {
                assert!(
                    result.is_ok(),
                    "{name} {}-{number}: {result:?}",
                    segment.name()
                );
            }
        }
    }
}

#[test]
fn pam_fr_admission_identifiers_and_version() {
    let bytes = read("hl7v2", "ans_pamfr_ADT_A01_admission_SGL.hl7");
    let msg = parse_single(&bytes);
    assert_eq!(msg.version(), Some("2.5"));
    assert_eq!(msg.msh().field(12).raw(), b"2.5^FRA^2.11");
    assert_eq!(msg.charset(), Charset::Utf8);
    let pid = msg.segment("PID").expect("PID");
    let ids: Vec<_> = pid.field(3).repetitions().collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0].component(1).text().unwrap(), "000003");
    assert_eq!(ids[0].component(5).text().unwrap(), "PI");
    assert_eq!(ids[1].component(1).text().unwrap(), "279035121518989");
    assert_eq!(
        ids[1].component(4).subcomponent(1).text().unwrap(),
        "ASIP-SANTE-INS-NIR"
    );
    assert_eq!(
        ids[1].component(4).subcomponent(2).text().unwrap(),
        "1.2.250.1.213.1.4.10"
    );
    assert_eq!(ids[1].component(5).text().unwrap(), "INS");
    assert_eq!(pid.field(11).repetition_count(), 2);
    assert_eq!(
        pid.field(11).repetition(2).component(7).text().unwrap(),
        "BDL"
    );
    assert!(msg.segment("ZBE").is_some());
    assert!(msg.warnings().is_empty(), "{:?}", msg.warnings());
}

#[test]
fn accented_utf8_text() {
    let bytes = read("hl7v2", "ans_pamfr_ADT_A01_consent_IC_INO.hl7");
    let msg = parse_single(&bytes);
    let all_text: String = msg
        .segments()
        .flat_map(|segment| {
            segment
                .fields()
                .map(|(_, field)| field.text().unwrap().into_owned())
        })
        .collect();
    assert!(all_text.contains('é'), "accented text decoded");
    assert_eq!(
        msg.segment_count(),
        11,
        "trailing empty lines are not segments"
    );
}

#[test]
fn all_five_delimiter_escapes() {
    let bytes = read("hl7v2", "dotnet_ORM_all_five_escapes.hl7");
    let msg = parse_single(&bytes);
    assert_eq!(msg.get("PID-5.1").as_deref(), Some("Smith|^~\\&"));
    assert_eq!(msg.get("PID-5.2").as_deref(), Some("John"));
}

#[test]
fn formatting_and_hex_escapes() {
    let bytes = read("hl7v2", "dotnet_Sample-ORM_escapes_br_X0D0A.hl7");
    let msg = parse_single(&bytes);
    let notes: Vec<_> = msg
        .segments_named("NTE")
        .map(|nte| nte.field(3).text().unwrap().into_owned())
        .collect();
    assert_eq!(
        notes,
        [
            "some text\nsome text after new line\nissue Efferent-Health#82",
            "some text\r\nsome text after new line\r\nissue Efferent-Health#81",
        ]
    );
}

#[test]
fn explicit_nulls_and_escaped_name() {
    let bytes = read("hl7v2", "dotnet_ADT_A28_explicit_nulls_escape.hl7");
    let msg = parse_single(&bytes);
    let pid = msg.segment("PID").expect("PID");
    let ids: Vec<_> = pid.field(3).repetitions().collect();
    assert_eq!(ids.len(), 8);
    assert!(ids[2].component(1).is_null());
    assert!(!ids[2].component(1).has_value());
    assert_eq!(ids[2].component(5).text().unwrap(), "PRC");
    assert_eq!(pid.field(5).component(1).text().unwrap(), "TEST|TEST");
    assert!(pid.field(5).component(6).is_null());
    let street = pid.field(11).repetition(2).component(1);
    assert!(street.subcomponent(1).is_empty());
    assert!(
        street
            .subcomponent(2)
            .text()
            .unwrap()
            .starts_with("VIA DEI TIGLI")
    );
}

#[test]
fn latin1_declaration_and_empty_repetitions() {
    let bytes = read("hl7v2", "dotnet_DFT_P03_8859-1_repetition.hl7");
    let msg = parse_single(&bytes);
    assert_eq!(msg.charset(), Charset::Latin1);
    assert_eq!(msg.get_rep("PID-13.1", 2).as_deref(), Some("123456"));
    assert_eq!(msg.get_rep("PID-13.3", 2).as_deref(), Some("CP"));
    // The corpus README says PV1-8; counting separators puts the "~~" repetitions in PV1-9.
    let attending = msg.segment("PV1").expect("PV1").field(9);
    assert_eq!(attending.repetition_count(), 3);
    assert!(attending.repetition(2).is_empty());
    assert_eq!(
        attending.repetition(3).component(3).text().unwrap(),
        "Markus"
    );
}

#[test]
fn leading_spaces_are_kept() {
    let bytes = read("hl7v2", "dotnet_ORU_R01_NTE_leading_spaces.hl7");
    let msg = parse_single(&bytes);
    let first = msg.segments_named("NTE").next().expect("NTE");
    assert_eq!(
        first.field(3).text().unwrap(),
        "      Follikelphase:    2.4 -  12.6 mIU/ml"
    );
}

#[test]
fn blank_line_and_single_space_field() {
    let bytes = read("hl7v2", "dotnet_Sample-ADT_crlf_blank_line.hl7");
    let msg = parse_single(&bytes);
    let names: Vec<_> = msg.segments().map(|segment| segment.name()).collect();
    assert_eq!(names.first(), Some(&"MSH"));
    assert!(!names.contains(&""));
    assert_eq!(msg.message_type().trigger, "O01");
}

#[test]
fn five_encoding_characters_declare_truncation() {
    let bytes = read("hl7v2", "hl7apy_RSP_K22_v27_truncation_char.hl7");
    let msg = parse_single(&bytes);
    assert_eq!(msg.delimiters().truncation, Some(b'#'));
    assert_eq!(msg.msh().field(2).raw(), b"^~\\&#");
    assert_eq!(msg.get("QPD-3.1").as_deref(), Some("@PID.3.1"));
    assert_eq!(
        msg.get("PID-3.4.2").as_deref(),
        Some("1.3.6.1.4.1.21367.2011.2.5.17")
    );
    assert_eq!(msg.version(), Some("2.7"));
}

#[test]
fn doubled_escape_character_is_tolerated() {
    let bytes = read("hl7v2", "lfh_ADT_A01_lf_doubled_escape_char.hl7");
    let msg = parse_single(&bytes);
    assert_eq!(msg.delimiters().subcomponent, b'&');
    assert!(
        msg.warnings()
            .iter()
            .any(|w| w.kind == WarningKind::DoubledEscapeCharacter)
    );
    assert_eq!(msg.get("PID-5.1").as_deref(), Some("DOE"));
    assert_eq!(msg.message_type().code, "ADT");
}

#[test]
fn escapes_next_to_xml_characters() {
    let bytes = read("hl7v2", "lfh_ADT_A01_escapes_xml_chars.hl7");
    let msg = parse_single(&bytes);
    let text = msg.get("PV2-12").expect("PV2-12");
    assert!(text.starts_with("<This field> should be found \"Encounter.text\" & formatted"));
    assert!(text.contains("characters.~HL7 newline"));
}

#[test]
fn nonstandard_separators() {
    let bytes = read("hl7v2", "pyhl7_nonstandard_separators.hl7");
    let msg = parse_single(&bytes);
    assert_eq!(msg.delimiters().field, b'$');
    assert_eq!(msg.delimiters().component, b'%');
    assert_eq!(msg.get("MSH-3").as_deref(), Some("GHH LAB"));
    assert_eq!(msg.get("PID-3").as_deref(), Some("555-44-4444"));
    assert_eq!(msg.get("PID-5.1").as_deref(), Some("EVERYWOMAN"));
    assert_eq!(msg.get("PID-5.2").as_deref(), Some("EVE"));
    assert_eq!(msg.get("PID-5.6").as_deref(), Some("L"));
}

#[test]
fn repetitions_and_subcomponents() {
    let bytes = read("hl7v2", "pyhl7_repetition_subcomponents.hl7");
    let msg = parse_single(&bytes);
    let pid = msg.segment("PID").expect("PID");
    assert_eq!(pid.field(1).text().unwrap(), "Field1");
    assert_eq!(pid.field(2).component(2).text().unwrap(), "Component2");
    assert_eq!(
        pid.field(3).component(2).subcomponent(2).text().unwrap(),
        "Sub-Component2"
    );
    assert_eq!(pid.field(4).repetition(2).text().unwrap(), "Repeat2");
}

#[test]
fn cp1252_byte_gives_a_precise_decode_error() {
    let bytes = read("hl7v2", "pyhl7_cp1252_byte_not_utf8.hl7");
    let msg = parse_single(&bytes);
    assert_eq!(msg.charset(), Charset::Utf8);
    let error = msg.msh().field(4).text().expect_err("0x96 is not UTF-8");
    assert_eq!(
        error,
        DecodeError::InvalidByte {
            charset: Charset::Utf8,
            offset: 21,
            byte: 0x96
        }
    );
    assert!(error.reason_fr().contains("position 21"));
    let warning = msg
        .warnings()
        .iter()
        .find(|w| matches!(w.kind, WarningKind::InvalidBytes { .. }));
    assert_eq!(
        warning.expect("charset warning").location.to_string(),
        "MSH-4.1"
    );
    assert_eq!(msg.msh().field(3).text().unwrap(), "GHH LAB");
}

#[test]
fn batch_files_split_into_messages() {
    let cases = [
        ("pyhl7_file_FHS_BHS_two_batches.hl7", 3),
        ("pyhl7_batch_BHS_no_FHS.hl7", 2),
        ("pyhl7_file_FHS_no_BHS.hl7", 2),
        ("mirth_batch01_concatenated_SIU.hl7", 3),
        ("pyhl7_two_messages_crlf_stream.hl7", 2),
    ];
    for (name, expected) in cases {
        let bytes = read("hl7v2", name);
        let split = split_messages(&bytes);
        assert_eq!(split.messages.len(), expected, "{name}");
        assert!(split.problems.is_empty(), "{name}: {:?}", split.problems);
        for range in split.messages {
            let msg = Message::parse(&bytes[range]).expect("batch message parses");
            assert!(
                msg.segments()
                    .all(|s| !["BHS", "BTS", "FHS", "FTS"].contains(&s.name()))
            );
        }
    }
    let bytes = read("hl7v2", "pyhl7_file_FHS_BHS_two_batches.hl7");
    let split = split_messages(&bytes);
    let ids: Vec<_> = split
        .messages
        .iter()
        .map(|range| {
            Message::parse(&bytes[range.clone()])
                .unwrap()
                .control_id()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, ["12334456778890", "12334456778891", "12334456778890"]);
}

#[test]
fn bom_before_msh() {
    for name in ["ms_ADT01-23.hl7", "ms_LAB-ORU-1.hl7"] {
        let bytes = read("hl7v2", name);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let msg = Message::parse(&bytes).expect("parses with BOM");
        assert_eq!(msg.msh().offset(), 3);
    }
}

#[test]
fn very_long_obx5() {
    let bytes = read("hl7v2", "ans_ORU_R01_long_obx5_base64.hl7");
    let msg = parse_single(&bytes);
    let longest = msg
        .segments_named("OBX")
        .map(|obx| obx.field(5).component(5).raw().len())
        .max()
        .expect("OBX present");
    assert!(longest > 280_000, "OBX-5.5 length {longest}");
}

#[test]
fn mllp_framed_file() {
    let bytes = read("hl7v2", "pyhl7_mllp_framed_message.bin");
    let mut decoder = MllpDecoder::new();
    decoder.push(&bytes);
    let payload = decoder
        .next_frame()
        .expect("one frame")
        .expect("valid frame");
    assert!(decoder.next_frame().is_none());
    let msg = Message::parse(&payload).expect("payload parses");
    assert_eq!(msg.get("MSH-3").as_deref(), Some("GHH LAB"));
}

#[test]
fn header_helpers_on_real_files() {
    let bytes = read("hl7v2", "ms_ADT-A01-01.hl7");
    let msg = parse_single(&bytes);
    let kind = msg.message_type();
    assert_eq!(
        (kind.code, kind.trigger, kind.structure),
        ("ADT", "A01", Some("ADT_A01"))
    );
    assert_eq!(msg.control_id(), Some("MSG00001"));
    assert_eq!(msg.version(), Some("2.8"));
    assert!(msg.header_time_raw().is_some());
    let bytes = read("hl7v2", "ms_ORU-R01-RMGEAD.hl7");
    let msg = parse_single(&bytes);
    assert_eq!(msg.message_type().structure, None);
    let bytes = read("hl7v2", "simhosp_ADT_A01_1.hl7");
    let msg = parse_single(&bytes);
    assert_eq!(msg.charset(), Charset::Ascii);
    assert_eq!(msg.get_rep("PID-3.1", 2).map(|id| id.len()), Some(10));
}

#[test]
fn invalid_birth_date_is_a_ts_error() {
    let bytes = read("hl7v2", "pyhl7_ORU_R01_SN_FN_types.hl7");
    let msg = parse_single(&bytes);
    let birth = msg.get("PID-7").expect("PID-7");
    assert_eq!(birth, "196203520");
    assert!(ckisa_hl7::ts::Ts::parse(&birth).is_err());
}

#[test]
fn groups_can_be_walked_in_order() {
    let bytes = read("hl7v2", "dotnet_ORU_R01_NTE_leading_spaces.hl7");
    let msg = parse_single(&bytes);
    let mut groups: Vec<(String, usize)> = Vec::new();
    for segment in msg.segments() {
        match segment.name() {
            "OBR" => groups.push((
                segment.field(4).component(1).text().unwrap().into_owned(),
                0,
            )),
            "OBX" => {
                if let Some(group) = groups.last_mut() {
                    group.1 += 1;
                }
            }
            _ => {}
        }
    }
    assert_eq!(groups.len(), 2);
    assert!(
        groups.iter().all(|(_, results)| *results >= 1),
        "{groups:?}"
    );
}
