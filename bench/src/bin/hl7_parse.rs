//! HL7 v2 parse throughput on one core: ckisa-hl7 against hl7kit 0.2 and
//! hl7-parser 0.3, on the same two messages (`fixtures/adt_a01.hl7`, 245
//! bytes; `fixtures/oru_r01.hl7`, 40 OBX, 3.4 KB), each parser doing
//! comparable work: parse, then read the fields a mapper reads (11 for the
//! ADT, 1 + 4 per OBX for the ORU). Prints MB/s and messages/s.
//!
//! Run pinned: `taskset -c 0 hl7_parse [--secs 0.5]` (seconds per round;
//! 5 rounds, median kept).

use std::hint::black_box;
use std::time::Duration;

use ckisa_bench::{arg, median_ns_per_call, result_line};
use ckisa_hl7::Message;

const ADT: &[u8] = include_bytes!("../../fixtures/adt_a01.hl7");
const ORU: &[u8] = include_bytes!("../../fixtures/oru_r01.hl7");

/// The ADT fields every parser reads (HL7 path notation).
const ADT_PATHS: [&str; 11] = [
    "MSH-9.2", "MSH-10", "PID-3.1", "PID-3.5", "PID-5.1", "PID-5.2", "PID-7", "PID-8", "PV1-2",
    "PV1-3.1", "PV1-3.2",
];
/// The fields read in each OBX: (field, component).
const OBX_FIELDS: [(usize, usize); 4] = [(3, 1), (5, 1), (6, 1), (11, 1)];

fn main() {
    let secs: f64 = arg("--secs", 0.5);
    let round = Duration::from_secs_f64(secs);
    let cases: [(&str, &[u8], &[Parser]); 2] =
        [("adt", ADT, &ADT_PARSERS), ("oru", ORU, &ORU_PARSERS)];
    println!("HL7 v2 parse + read, one thread, {secs} s rounds x 5 (median)");
    for (case, input, parsers) in cases {
        println!("{case}: {} bytes", input.len());
        for (name, run) in parsers.iter() {
            // Check once that the parser reads the message before timing it.
            let read = run(input);
            assert!(read > 0, "{name} read nothing from {case}");
            let ns = median_ns_per_call(5, round, || run(black_box(input)));
            let mb_s = input.len() as f64 / ns * 1000.0;
            let msg_s = 1e9 / ns;
            println!("  {name:<28} {ns:>10.0} ns/msg {mb_s:>9.1} MB/s {msg_s:>12.0} msg/s");
            println!(
                "{}",
                result_line(&format!("hl7.{case}.{name}.mb_s"), mb_s, "MB/s")
            );
            println!(
                "{}",
                result_line(&format!("hl7.{case}.{name}.msg_s"), msg_s, "msg/s")
            );
        }
    }
}

type Parser = (&'static str, fn(&[u8]) -> usize);

const ADT_PARSERS: [Parser; 6] = [
    ("ckisa_views", ckisa_adt_views),
    ("ckisa_paths", ckisa_adt_paths),
    ("ckisa_parse_only", ckisa_parse_only),
    ("hl7kit", hl7kit_adt),
    ("hl7_parser", hl7_parser_adt),
    ("hl7_parser_parse_only", hl7_parser_parse_only),
];

const ORU_PARSERS: [Parser; 6] = [
    ("ckisa_views", ckisa_oru_views),
    ("ckisa_raw", ckisa_oru_raw),
    ("ckisa_parse_only", ckisa_parse_only),
    ("hl7kit", hl7kit_oru),
    ("hl7_parser", hl7_parser_oru),
    ("hl7_parser_parse_only", hl7_parser_parse_only),
];

fn text_len(text: Option<std::borrow::Cow<'_, str>>) -> usize {
    text.map_or(0, |t| t.len())
}

/// ckisa as the mapper uses it: typed views, unescaped text.
fn ckisa_adt_views(input: &[u8]) -> usize {
    let Ok(msg) = Message::parse(input) else {
        return 0;
    };
    let mut total = msg.message_type().trigger.len() + msg.control_id().map_or(0, str::len);
    let (Some(pid), Some(pv1)) = (msg.segment("PID"), msg.segment("PV1")) else {
        return 0;
    };
    for view in [
        pid.field(3).component(1),
        pid.field(3).component(5),
        pid.field(5).component(1),
        pid.field(5).component(2),
        pid.field(7).component(1),
        pid.field(8).component(1),
        pv1.field(2).component(1),
        pv1.field(3).component(1),
        pv1.field(3).component(2),
    ] {
        total += view.text().map_or(0, |t| t.len());
    }
    total
}

/// ckisa through string paths, like the peers' `get("PID-5.1")`.
fn ckisa_adt_paths(input: &[u8]) -> usize {
    let Ok(msg) = Message::parse(input) else {
        return 0;
    };
    ADT_PATHS.iter().map(|path| text_len(msg.get(path))).sum()
}

fn ckisa_parse_only(input: &[u8]) -> usize {
    Message::parse(input).map_or(0, |msg| msg.segment_count())
}

fn ckisa_oru_views(input: &[u8]) -> usize {
    let Ok(msg) = Message::parse(input) else {
        return 0;
    };
    let mut total = msg.control_id().map_or(0, str::len);
    for obx in msg.segments_named("OBX") {
        for (field, component) in OBX_FIELDS {
            total += obx
                .field(field)
                .component(component)
                .text()
                .map_or(0, |t| t.len());
        }
    }
    total
}

/// ckisa reading raw bytes (no unescaping, no charset decoding), as
/// hl7-parser does below. Paths address the first OBX only, so per-OBX reads
/// go through views in every variant.
fn ckisa_oru_raw(input: &[u8]) -> usize {
    let Ok(msg) = Message::parse(input) else {
        return 0;
    };
    let mut total = msg.control_id().map_or(0, str::len);
    for obx in msg.segments_named("OBX") {
        for (field, component) in OBX_FIELDS {
            total += obx.field(field).component(component).raw().len();
        }
    }
    total
}

/// hl7kit: `Message::parse(text)` (owns a copy of the text) + `get_decoded`.
fn hl7kit_adt(input: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(input) else {
        return 0;
    };
    let Ok(msg) = hl7kit::Message::parse(text) else {
        return 0;
    };
    ADT_PATHS
        .iter()
        .map(|path| msg.get_decoded(path).map_or(0, |t| t.len()))
        .sum()
}

fn hl7kit_oru(input: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(input) else {
        return 0;
    };
    let Ok(msg) = hl7kit::Message::parse(text) else {
        return 0;
    };
    let mut total = msg.control_id().map_or(0, str::len);
    for obx in msg.segments_named("OBX") {
        for (field, component) in OBX_FIELDS {
            total += obx
                .field(field)
                .and_then(|f| f.component(component))
                .map_or(0, |c| c.decoded().len());
        }
    }
    total
}

/// hl7-parser: `Message::parse(text)` + `query("PID.5.1")` raw values (no
/// unescaping: slightly less work than ckisa does).
fn hl7_parser_adt(input: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(input) else {
        return 0;
    };
    let Ok(msg) = hl7_parser::Message::parse(text) else {
        return 0;
    };
    ADT_PATHS
        .iter()
        .map(|path| {
            let query = path.replace('-', ".");
            msg.query(query.as_str()).map_or(0, |r| r.raw_value().len())
        })
        .sum()
}

fn hl7_parser_oru(input: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(input) else {
        return 0;
    };
    let Ok(msg) = hl7_parser::Message::parse(text) else {
        return 0;
    };
    let mut total = msg
        .segment("MSH")
        .and_then(|msh| msh.field(10))
        .map_or(0, |f| f.raw_value().len());
    for obx in msg.segments().filter(|s| s.name == "OBX") {
        for (field, component) in OBX_FIELDS {
            total += obx
                .field(field)
                .and_then(|f| f.component(component))
                .map_or(0, |c| c.raw_value().len());
        }
    }
    total
}

fn hl7_parser_parse_only(input: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(input) else {
        return 0;
    };
    hl7_parser::Message::parse(text).map_or(0, |msg| msg.segments().count())
}
