//! Property tests: moments survive ISO text, events survive the log's JSON
//! encoding, and the clock never goes backwards.

use ckisa_domain::{
    Actor, Coded, Event, EventId, Fact, Hlc, HlcClock, Moment, NodeId, Observation,
    ObservationCategory, ObservationValue, Offset, OffsetOrigin, PatientKey, Precision, Source,
    SourceChannel,
};
use proptest::prelude::*;

fn moment() -> impl Strategy<Value = Moment> {
    (
        1900i16..2100,
        1u8..=12,
        1u8..=28,
        0u8..24,
        0u8..60,
        0u8..60,
        0u16..1000,
        -720i16..=840,
    )
        .prop_map(
            |(year, month, day, hour, minute, second, millis, offset)| Moment {
                year,
                month,
                day,
                hour,
                minute,
                second,
                millis,
                precision: Precision::Millis,
                offset: Some(Offset {
                    minutes: offset,
                    origin: OffsetOrigin::Stated,
                }),
                dst_gap: false,
            },
        )
}

proptest! {
    #[test]
    fn a_stated_moment_survives_iso_text(m in moment()) {
        let parsed = Moment::parse_iso(&m.to_iso()).unwrap();
        prop_assert_eq!(parsed, m);
        prop_assert_eq!(parsed.timestamp(), m.timestamp());
    }

    #[test]
    fn parsing_never_panics(text in "\\PC{0,40}") {
        let _ = Moment::parse_iso(&text);
    }

    #[test]
    fn events_survive_the_log_encoding(
        text in "\\PC{0,200}",
        m in moment(),
        physical in 0u64..(1u64 << 47),
    ) {
        let event = Event {
            id: EventId::new(physical),
            hlc: Hlc::new(physical, 3),
            origin: NodeId("node".into()),
            actor: Actor::Feed("sih".into()),
            source: Source {
                channel: SourceChannel::Mllp,
                origin: "sih".into(),
                message_id: Some(text.clone()),
                sender: None,
                fhir_id: None,
            },
            fact: Fact::ObservationRecorded(Observation {
                id: text.clone(),
                patient: PatientKey::ipp("A", &text),
                encounter: None,
                category: ObservationCategory::Lab,
                code: Coded { code: None, system: None, text: text.clone() },
                value: ObservationValue::Text(text.clone()),
                reference_range: None,
                interpretation: None,
                effective: Some(m),
                status: None,
                report: None,
                notes: vec![text],
            }),
        };
        let json = serde_json::to_string(&event).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, event);
    }

    #[test]
    fn the_clock_is_strictly_monotonic(steps in proptest::collection::vec(0u64..10_000, 1..200)) {
        let clock = HlcClock::new(1_000);
        let mut last = Hlc(0);
        for physical in steps {
            let next = clock.tick(physical);
            prop_assert!(next > last);
            last = next;
        }
    }
}
