//! Fuzz target: any bytes through the file splitter, the message parser, every value's text,
//! path lookups, warnings and the ACK builders. Only panics, hangs and overflows are findings.

#![no_main]

use ckisa_hl7::ack::{AckCode, AckError, ack, nack_for_unparseable};
use ckisa_hl7::{Message, split_messages};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = split_messages(data);
    for range in split.messages {
        exercise(&data[range]);
    }
    exercise(data);
});

fn exercise(bytes: &[u8]) {
    let error = AckError {
        segment: "PID".into(),
        sequence: 1,
        field: 3,
        code: 207,
        text: "erreur « fuzz » | ^~\\&".into(),
    };
    let Ok(msg) = Message::parse(bytes) else {
        let _ = nack_for_unparseable(bytes, AckCode::AR, &error, "1", "20240101");
        return;
    };
    let _ = (
        msg.message_type(),
        msg.control_id(),
        msg.version(),
        msg.header_time_raw(),
    );
    for path in ["PID-3.4.2", "MSH-9.2", "OBX-5", "PID.5.1", "X-0"] {
        let _ = msg.get(path);
        let _ = msg.get_rep(path, 2);
    }
    for warning in msg.warnings() {
        let _ = warning.to_string();
        let _ = msg.location_of(warning.location.segment_index);
    }
    for segment in msg.segments() {
        let _ = msg.location_of(segment.offset() + segment.raw().len() / 2);
        for (_, field) in segment.fields() {
            let _ = field.text();
            for repetition in field.repetitions() {
                for component in repetition.components() {
                    let _ = component.text();
                    for subcomponent in component.subcomponents() {
                        if let Ok(text) = subcomponent.text() {
                            let _ = ckisa_hl7::ts::Ts::parse(&text);
                        }
                    }
                }
            }
        }
    }
    let _ = ack(&msg, AckCode::AE, Some(&error), "1", "20240101");
}
