//! Property tests: escaping round-trips, written messages parse back to the same values, and
//! no input (however broken) panics the parser, the file splitter or the MLLP decoder.

use ckisa_hl7::mllp::{MllpDecoder, frame};
use ckisa_hl7::{Delimiters, Message, MessageWriter, escape, split_messages};
use proptest::prelude::*;

fn delimiter_sets() -> impl Strategy<Value = Delimiters> {
    prop_oneof![
        Just(Delimiters::default()),
        Just(Delimiters {
            truncation: Some(b'#'),
            ..Delimiters::default()
        }),
        Just(Delimiters {
            field: b'$',
            component: b'%',
            repetition: b'~',
            escape: b'\\',
            subcomponent: b'&',
            truncation: None,
        }),
    ]
}

/// Text mixing letters, accents, delimiters, escape-looking sequences and line breaks.
fn awkward_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9 ]{1,6}",
            Just("é".to_owned()),
            Just("Ë".to_owned()),
            Just("\\".to_owned()),
            Just("\\F\\".to_owned()),
            Just("|".to_owned()),
            Just("^".to_owned()),
            Just("~".to_owned()),
            Just("&".to_owned()),
            Just("#".to_owned()),
            Just("$%".to_owned()),
            Just("\r\n".to_owned()),
            Just("\u{1c}\u{0b}".to_owned()),
            Just("\"\"".to_owned()),
        ],
        1..8,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn escape_then_unescape_is_identity(delims in delimiter_sets(), text in awkward_text()) {
        let mut writer = MessageWriter::new(delims);
        writer.msh().field("APP");
        writer.segment("NTE").field("1").empty_fields(1).field(&text);
        let written = writer.finish();
        let msg = Message::parse(written.as_bytes()).expect("written message parses");
        prop_assert_eq!(msg.segment_count(), 2);
        let value = msg.segment("NTE").unwrap().field(3).text().unwrap();
        prop_assert_eq!(value.as_ref(), text.as_str());
        let escaped = escape(&text, &delims);
        prop_assert!(!escaped.bytes().any(|b| b == b'\r' || b == b'\n' || b == delims.field));
    }

    #[test]
    fn written_fields_parse_back(
        delims in delimiter_sets(),
        rows in prop::collection::vec(
            prop::collection::vec(prop::collection::vec(awkward_text(), 1..4), 1..3),
            1..6,
        ),
    ) {
        let mut writer = MessageWriter::new(delims);
        writer.msh().field("APP").field("FAC");
        {
            let mut segment = writer.segment("ZZZ");
            for repetitions in &rows {
                let refs: Vec<Vec<&str>> = repetitions
                    .iter()
                    .map(|components| components.iter().map(String::as_str).collect())
                    .collect();
                let slices: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
                segment.repetitions(&slices);
            }
        }
        let written = writer.finish();
        let msg = Message::parse(written.as_bytes()).expect("written message parses");
        prop_assert_eq!(msg.get("MSH-4").unwrap_or_default(), "FAC");
        let segment = msg.segment("ZZZ").expect("ZZZ");
        for (index, repetitions) in rows.iter().enumerate() {
            let field = segment.field(index + 1);
            for (rep_index, components) in repetitions.iter().enumerate() {
                let repetition = field.repetition(rep_index + 1);
                for (comp_index, text) in components.iter().enumerate() {
                    let value = repetition.component(comp_index + 1).text().unwrap();
                    prop_assert_eq!(value.as_ref(), text.as_str());
                }
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }

    #[test]
    fn mutated_messages_never_panic(
        cut in 0usize..200,
        noise in prop::collection::vec(any::<u8>(), 0..40),
        position in 0usize..200,
    ) {
        let base = b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01^ADT_A01|1|P|2.5|||||FRA|8859/1\rPID|1||X^^^H&1.2&ISO^PI~Y||N\\X0D\\\\T\\^P\\|\"\"\rOBX|1|TX|||a\\.br\\b\r";
        let mut bytes = base[..cut.min(base.len())].to_vec();
        let at = position.min(bytes.len());
        bytes.splice(at..at, noise);
        exercise(&bytes);
    }

    #[test]
    fn mllp_decoder_survives_any_chunks(
        chunks in prop::collection::vec(prop::collection::vec(
            prop_oneof![any::<u8>(), Just(0x0B), Just(0x1C), Just(0x0D)], 0..64), 0..16),
        limit in 1usize..64,
    ) {
        let mut decoder = MllpDecoder::with_max_frame_size(limit);
        for chunk in &chunks {
            decoder.push(chunk);
            while let Some(frame) = decoder.next_frame() {
                if let Ok(payload) = frame {
                    prop_assert!(payload.len() <= limit);
                }
            }
        }
    }

    #[test]
    fn framed_payloads_come_back_whatever_the_chunking(
        payloads in prop::collection::vec(prop::collection::vec(0x20u8..0x7F, 0..100), 1..5),
        chunk in 1usize..40,
    ) {
        let stream: Vec<u8> = payloads.iter().flat_map(|payload| frame(payload)).collect();
        let mut decoder = MllpDecoder::new();
        let mut received = Vec::new();
        for piece in stream.chunks(chunk) {
            decoder.push(piece);
            while let Some(frame) = decoder.next_frame() {
                received.push(frame.expect("clean stream"));
            }
        }
        prop_assert_eq!(received, payloads);
    }
}

/// Parses, splits and reads every value of `bytes`; only panics count as failures.
fn exercise(bytes: &[u8]) {
    let split = split_messages(bytes);
    for range in split.messages {
        assert!(range.start <= range.end && range.end <= bytes.len());
        let _ = Message::parse(&bytes[range]);
    }
    if let Ok(msg) = Message::parse(bytes) {
        let _ = msg.message_type();
        let _ = msg.get("PID-3.4.2");
        for warning in msg.warnings() {
            let _ = warning.reason_fr();
        }
        for segment in msg.segments() {
            for (_, field) in segment.fields() {
                for repetition in field.repetitions() {
                    for component in repetition.components() {
                        for sub in component.subcomponents() {
                            let _ = sub.text();
                        }
                    }
                }
                let _ = field.text();
            }
        }
        let _ = ckisa_hl7::ack::ack(&msg, ckisa_hl7::ack::AckCode::AE, None, "1", "2");
    }
    let mut decoder = MllpDecoder::with_max_frame_size(64);
    decoder.push(bytes);
    while decoder.next_frame().is_some() {}
}
