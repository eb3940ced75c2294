//! The HL7 edge cases of corpus/edge/EXPECTED.md (B01-B21), each reproducing a defect reported
//! against a public HL7 tool; test names follow the case ids.

use ckisa_hl7::mllp::MllpDecoder;
use ckisa_hl7::ts::Ts;
use ckisa_hl7::{Charset, Message, WarningKind, split_messages};

use crate::support::{hl7_files, parse_single, read, wrap_fragment};

#[test]
fn every_edge_file_parses_without_problems() {
    for (name, bytes) in hl7_files("edge") {
        let bytes = if bytes.starts_with(b"MSH") {
            bytes
        } else {
            wrap_fragment(&bytes)
        };
        let split = split_messages(&bytes);
        assert!(split.problems.is_empty(), "{name}: {:?}", split.problems);
        for range in split.messages {
            Message::parse(&bytes[range]).unwrap_or_else(|error| panic!("{name}: {error}"));
        }
    }
}

#[test]
fn b01_hex_escapes_are_line_breaks_inside_the_value() {
    let bytes = read("edge", "B01.hl7");
    let msg = parse_single(&bytes);
    assert_eq!(
        msg.segment_count(),
        5,
        "decoded CR LF never splits a segment"
    );
    let nte = msg.segment("NTE").expect("NTE");
    let text = nte.field(3).text().unwrap();
    assert_eq!(text, "Footnotes:\r\n* fasting sample\r\n* repeat if > 7");
    assert!(!text.contains('\0'));
    assert_eq!(
        nte.field(3).raw(),
        b"Footnotes:\\X000D\\\\X0A\\* fasting sample\\x0d\\\\x0a\\* repeat if > 7"
    );
    assert!(msg.warnings().is_empty(), "{:?}", msg.warnings());
}

#[test]
fn b02_escape_split_and_byte_identical_round_trip() {
    let bytes = wrap_fragment(&read("edge", "B02.hl7"));
    let msg = Message::parse(&bytes).expect("parses");
    assert_eq!(msg.get("OBX-5").as_deref(), Some("Line A\r\nLine B"));
    assert_eq!(msg.as_bytes(), bytes.as_slice());
    let rebuilt: Vec<u8> = msg
        .segments()
        .flat_map(|segment| segment.raw().iter().copied().chain([b'\r']))
        .collect();
    assert_eq!(rebuilt, bytes, "segments cover the input exactly");
}

#[test]
fn b04_invalid_escape_is_literal_with_a_warning() {
    let bytes = read("edge", "B04.hl7");
    let msg = parse_single(&bytes);
    assert_eq!(msg.get("ZZ1-2").as_deref(), Some("BSV 4\\5 re."));
    let warnings = msg.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].location.to_string(), "ZZ1-2.1");
    assert!(matches!(
        warnings[0].kind,
        WarningKind::InvalidEscape { .. }
    ));
    assert_eq!(msg.get("PID-5.1").as_deref(), Some("TESTPAT"));
    assert_eq!(msg.get("PV1-3.2").as_deref(), Some("301"));
}

#[test]
fn b05_null_clears_absent_keeps() {
    let bytes = read("edge", "B05.hl7");
    let split = split_messages(&bytes);
    assert_eq!(split.messages.len(), 2);
    let first = Message::parse(&bytes[split.messages[0].clone()]).expect("A01");
    let update = Message::parse(&bytes[split.messages[1].clone()]).expect("A08");
    assert_eq!(first.get("PID-13.1").as_deref(), Some("0400000001"));
    let pid = update.segment("PID").expect("PID");
    assert!(pid.field(13).is_null(), "phone cleared");
    assert!(
        pid.field(11).is_empty() && !pid.field(11).is_null(),
        "address unchanged"
    );
    assert_eq!(pid.field(5).component(1).text().unwrap(), "TESTPAT");
    assert_eq!(update.get("PID-13"), None, "the UI never sees \"\"");
}

#[test]
fn b06_null_in_typed_fields() {
    let bytes = read("edge", "B06.hl7");
    let msg = parse_single(&bytes);
    let pid = msg.segment("PID").expect("PID");
    assert!(pid.field(7).is_null());
    assert_eq!(pid.field(7).text_opt().unwrap(), None);
    assert!(pid.field(5).component(5).is_null());
    assert!(msg.warnings().is_empty());
}

fn decode_reads(reads: &[&str]) -> Vec<Vec<Vec<u8>>> {
    let mut decoder = MllpDecoder::new();
    reads
        .iter()
        .map(|name| {
            decoder.push(&read("edge", name));
            std::iter::from_fn(|| decoder.next_frame())
                .map(|frame| frame.expect("valid frame"))
                .collect()
        })
        .collect()
}

#[test]
fn b07_partial_frame_is_buffered_until_fs_cr() {
    let frames = decode_reads(&["B07.read1.bin", "B07.read2.bin", "B07.read3.bin"]);
    assert!(frames[0].is_empty() && frames[1].is_empty());
    assert_eq!(frames[2].len(), 1);
    let ack = Message::parse(&frames[2][0]).expect("ACK parses");
    assert_eq!(ack.get("MSA-1").as_deref(), Some("AA"));
    assert_eq!(ack.get("MSA-2").as_deref(), Some("MSG0001"));
}

#[test]
fn b08_fs_without_cr_is_held() {
    let frames = decode_reads(&["B08.read1.bin", "B08.read2.bin", "B08.read3.bin"]);
    assert_eq!(frames.iter().map(Vec::len).collect::<Vec<_>>(), [0, 0, 1]);
    let msg = Message::parse(&frames[2][0]).expect("ADT parses");
    assert_eq!(msg.message_type().trigger, "A03");
    assert_eq!(msg.segment_count(), 4);
}

#[test]
fn b10_offsets_are_kept_as_stated() {
    let bytes = wrap_fragment(&read("edge", "B10.hl7"));
    let msg = Message::parse(&bytes).expect("parses");
    let times: Vec<_> = msg
        .segments_named("OBX")
        .map(|obx| Ts::parse(&obx.field(14).text().unwrap()).expect("valid TS"))
        .collect();
    assert_eq!(times.len(), 2);
    for ts in &times {
        assert_eq!(ts.offset_minutes, Some(-300));
        assert_eq!((ts.hour, ts.minute, ts.second, ts.millis), (14, 56, 24, 90));
    }
    assert_eq!((times[0].month, times[1].month), (1, 7));
}

#[test]
fn b11_times_without_offset_next_to_msh7_offset() {
    let bytes = read("edge", "B11.hl7");
    let msg = parse_single(&bytes);
    let header = Ts::parse(msg.header_time_raw().expect("MSH-7")).expect("valid");
    assert_eq!(header.offset_minutes, Some(180));
    // EXPECTED.md says EVN-6; the file carries the event time in EVN-7 (7th separator).
    assert_eq!(msg.get("EVN-6"), None);
    let evn6 = Ts::parse(&msg.get("EVN-7").expect("EVN-7")).expect("valid");
    let pv1_44 = Ts::parse(&msg.get("PV1-44").expect("PV1-44")).expect("valid");
    for ts in [evn6, pv1_44] {
        assert_eq!(ts.offset_minutes, None);
        assert_eq!((ts.hour, ts.minute), (11, 0));
    }
}

#[test]
fn b13_no_offset_is_never_invented() {
    let bytes = read("edge", "B13.hl7");
    let msg = parse_single(&bytes);
    assert_eq!(
        Ts::parse(msg.header_time_raw().unwrap())
            .unwrap()
            .offset_minutes,
        None
    );
    let hours: Vec<_> = msg
        .segments_named("OBR")
        .map(|obr| Ts::parse(&obr.field(7).text().unwrap()).unwrap())
        .map(|ts| (ts.hour, ts.minute, ts.offset_minutes))
        .collect();
    assert_eq!(hours, [(1, 30, None), (2, 30, None)]);
}

#[test]
fn b17_repeated_identifiers_and_addresses() {
    let bytes = wrap_fragment(&read("edge", "B17.hl7"));
    let msg = Message::parse(&bytes).expect("parses");
    let pid = msg.segment("PID").expect("PID");
    let ids: Vec<_> = pid
        .field(3)
        .repetitions()
        .map(|rep| {
            let authority = rep.component(4);
            (
                rep.component(1).text().unwrap().into_owned(),
                rep.component(5).text().unwrap().into_owned(),
                authority.subcomponent(1).text().unwrap().into_owned(),
                authority.subcomponent(2).text().unwrap().into_owned(),
            )
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(
        ids[0],
        (
            "T1010".into(),
            "PI".into(),
            "HOSP".into(),
            "1.2.250.1.999.1".into()
        )
    );
    assert_eq!(ids[1].1, "INS");
    assert_eq!(ids[1].3, "1.2.250.1.213.1.4.10");
    let addresses: Vec<_> = pid.field(11).repetitions().collect();
    assert_eq!(addresses.len(), 2);
    assert_eq!(addresses[0].component(3).text().unwrap(), "PARIS");
    assert_eq!(addresses[1].component(3).text().unwrap(), "NANTES");
    assert_eq!(addresses[1].component(7).text().unwrap(), "BDL");
}

#[test]
fn b18_very_long_obx5_through_mllp() {
    let bytes = read("edge", "B18.hl7");
    let msg = parse_single(&bytes);
    let obx5 = msg.segment("OBX").expect("OBX").field(5);
    assert_eq!(obx5.component(4).text().unwrap(), "Base64");
    assert!(obx5.component(5).raw().len() > 200_000);
    let mut decoder = MllpDecoder::new();
    decoder.push(&ckisa_hl7::mllp::frame(&bytes));
    let payload = decoder
        .next_frame()
        .expect("frame")
        .expect("under the default limit");
    assert_eq!(payload, bytes);
}

#[test]
fn b18_ten_megabyte_segment_passes_the_default_limit() {
    let mut message =
        b"MSH|^~\\&|A|B|C|D|1||ORU^R01|1|P|2.5\rOBX|1|ED|X||^TEXT^PDF^Base64^".to_vec();
    message.resize(message.len() + 10 * 1024 * 1024, b'A');
    message.push(b'\r');
    let framed = ckisa_hl7::mllp::frame(&message);
    let mut decoder = MllpDecoder::new();
    for chunk in framed.chunks(64 * 1024) {
        decoder.push(chunk);
        assert!(decoder.next_frame().is_none() || decoder.buffered_len() == 0);
    }
    let mut decoder = MllpDecoder::new();
    decoder.push(&framed);
    let payload = decoder.next_frame().expect("frame").expect("valid");
    let msg = Message::parse(&payload).expect("parses");
    assert_eq!(
        msg.segment("OBX")
            .expect("OBX")
            .field(5)
            .component(5)
            .raw()
            .len(),
        10 * 1024 * 1024
    );
}

#[test]
fn b21_latin1_accents() {
    let bytes = read("edge", "B21.hl7");
    let msg = parse_single(&bytes);
    assert_eq!(msg.charset(), Charset::Latin1);
    assert_eq!(msg.get("PID-5.1").as_deref(), Some("KERTEST"));
    assert_eq!(msg.get("PID-5.2").as_deref(), Some("GWÉNAËLLE"));
    assert!(msg.warnings().is_empty(), "{:?}", msg.warnings());
}

#[test]
fn b21_invalid_bytes_for_declared_charset_are_reported() {
    let latin1_with_c1 =
        b"MSH|^~\\&|A|B|C|D|1||ADT^A08|1|P|2.5|||||FRA|8859/1\rPID|1||X||NOM\x92S\r";
    let msg = Message::parse(latin1_with_c1).expect("parses");
    let error = msg
        .segment("PID")
        .unwrap()
        .field(5)
        .text()
        .expect_err("0x92 is a C1 control");
    assert_eq!(error.offset(), latin1_with_c1.len() - 3);
    assert!(
        msg.warnings()
            .iter()
            .any(|w| matches!(w.kind, WarningKind::InvalidBytes { .. }))
    );
    let utf8_declared =
        b"MSH|^~\\&|A|B|C|D|1||ADT^A08|1|P|2.5|||||FRA|UNICODE UTF-8\rPID|1||X||GW\xC9\r";
    let msg = Message::parse(utf8_declared).expect("parses");
    assert!(msg.get("PID-5.1").is_none());
    assert!(msg.try_get("PID-5.1", 1).is_err());
}
