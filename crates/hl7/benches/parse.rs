//! Parse throughput: a ~250-byte ADT^A01 and larger ORU^R01 messages, parsed and then read
//! (about ten fields, as a mapper would), plus parse-only and the hl7kit / hl7-parser oracles
//! for a ratio. Run with `cargo bench -p ckisa-hl7 --bench parse`; divan prints bytes/s and
//! messages/s per benchmark.

use ckisa_hl7::Message;
use divan::counter::{BytesCount, ItemsCount};
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

const ADT: &[u8] = b"MSH|^~\\&|GAM|CHU-X|DPI|CHU-X|20240306111154||ADT^A01^ADT_A01|3975|P|2.5^FRA^2.11|||||FRA|UNICODE UTF-8\r\
EVN||20240306111154\r\
PID|1||000003^^^CHU-X^PI||DUPONT^JEAN^^^M.||19790328|M|||28 AV DE BRETEUIL^^PARIS^^75007^FRA^H\r\
PV1|1|I|CARDIO^101^1^CHU-X\r";

/// A lab result with 40 OBX lines (about 3.7 KB), as a medium-sized ORU.
fn synthetic_oru() -> Vec<u8> {
    let mut oru = b"MSH|^~\\&|LAB|LABO|NODE|HOSP|20240105093000+0100||ORU^R01^ORU_R01|B1|P|2.5\r\
PID|1||T1001^^^HOSP^PI||TESTPAT^ALPHA||19700101|F\r\
OBR|1||L1|24323-8^Metabolic panel^LN|||20240105080000+0100\r"
        .to_vec();
    for index in 1..=40 {
        let line = format!(
            "OBX|{index}|NM|{index:04}-1^Analyte {index}^LN||{}.{}|mmol/L|3.9-5.8|N|||F|||20240105083000+0100\r",
            index * 3,
            index % 10
        );
        oru.extend_from_slice(line.as_bytes());
    }
    oru
}

/// The corpus' 7.5 KB public-health ORU when the shared corpus is present.
fn corpus_oru() -> Option<Vec<u8>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/hl7v2/ms_ORU-R01-01.hl7"
    );
    std::fs::read(path).ok()
}

/// Reads what an ADT mapper reads: header, identifiers, name, birth, sex, location.
fn read_adt(msg: &Message<'_>) -> usize {
    let mut total = msg.message_type().trigger.len() + msg.control_id().map_or(0, str::len);
    let pid = msg.segment("PID").expect("PID");
    let pv1 = msg.segment("PV1").expect("PV1");
    for field in [
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
        total += field.text().map_or(0, |text| text.len());
    }
    total
}

/// Reads every OBX's code, value, unit and status.
fn read_oru(msg: &Message<'_>) -> usize {
    let mut total = msg.control_id().map_or(0, str::len);
    for obx in msg.segments_named("OBX") {
        for field in [
            obx.field(3).component(1),
            obx.field(5).component(1),
            obx.field(6).component(1),
            obx.field(11).component(1),
        ] {
            total += field.text().map_or(0, |text| text.len());
        }
    }
    total
}

fn bench_bytes(bencher: Bencher, input: &[u8], read: fn(&Message<'_>) -> usize) {
    bencher
        .counter(BytesCount::new(input.len()))
        .counter(ItemsCount::new(1usize))
        .bench(|| {
            let msg = Message::parse(black_box(input)).expect("valid message");
            read(&msg)
        });
}

#[divan::bench]
fn adt_a01_parse_and_read(bencher: Bencher) {
    bench_bytes(bencher, ADT, read_adt);
}

#[divan::bench]
fn adt_a01_parse_only(bencher: Bencher) {
    bench_bytes(bencher, ADT, |msg| msg.segment_count());
}

#[divan::bench]
fn oru_synthetic_parse_and_read(bencher: Bencher) {
    bench_bytes(bencher, &synthetic_oru(), read_oru);
}

#[divan::bench]
fn oru_corpus_parse_and_read(bencher: Bencher) {
    let Some(oru) = corpus_oru() else { return };
    bench_bytes(bencher, &oru, read_oru);
}

#[divan::bench]
fn oracle_hl7kit_adt_a01_parse_and_read(bencher: Bencher) {
    bencher
        .counter(BytesCount::new(ADT.len()))
        .counter(ItemsCount::new(1usize))
        .bench(|| {
            let msg = hl7kit::Message::parse_bytes(black_box(ADT)).expect("valid");
            [
                "PID-3.1", "PID-3.5", "PID-5.1", "PID-5.2", "PID-7", "PID-8", "PV1-2", "PV1-3.1",
                "PV1-3.2",
            ]
            .iter()
            .map(|path| msg.get_decoded(path).map_or(0, |text| text.len()))
            .sum::<usize>()
        });
}

#[divan::bench]
fn oracle_hl7_parser_adt_a01_parse_only(bencher: Bencher) {
    let text = std::str::from_utf8(ADT).expect("ASCII");
    bencher
        .counter(BytesCount::new(ADT.len()))
        .counter(ItemsCount::new(1usize))
        .bench(|| hl7_parser::Message::parse(black_box(text)).map(|msg| msg.segments.len()));
}
