//! Helpers of the unit tests: events built by hand.

use ckisa_domain::{Actor, Event, EventId, Fact, Hlc, MessageFact, NodeId, Source, SourceChannel};

/// An event of `actor` (a login) at `at_ms` recording `fact`.
pub(crate) fn event(actor: &str, at_ms: i64, fact: MessageFact) -> Event {
    let at = u64::try_from(at_ms).expect("test times are after 1970");
    Event {
        id: EventId::new(at),
        hlc: Hlc::new(at, 0),
        origin: NodeId("n1".into()),
        actor: Actor::User(actor.into()),
        source: Source {
            channel: SourceChannel::User,
            origin: "test".into(),
            message_id: None,
            sender: None,
            fhir_id: None,
        },
        fact: Fact::Message(fact),
    }
}
