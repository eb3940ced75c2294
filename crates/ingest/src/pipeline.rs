//! From facts to submissions: each fact becomes an immutable event with a
//! UUIDv7 id, a hybrid logical clock time, the node's id, its actor and its
//! source; each input message becomes one atomic [`Submission`].

use std::sync::Arc;

use ckisa_domain::{Actor, Event, EventId, Fact, HlcClock, NodeId, Source};
use ckisa_store::{DedupKey, Submission};

use crate::clock::Clock;

/// Largest clock lead accepted from a peer node's events, in milliseconds.
const MAX_DRIFT_MS: u64 = 5 * 60 * 1000;

/// Mints events for one node. Shared by every feed of the node.
pub struct EventFactory {
    node: NodeId,
    hlc: HlcClock,
    clock: Arc<dyn Clock>,
}

impl EventFactory {
    /// A factory for `node`, reading time from `clock`.
    pub fn new(node: NodeId, clock: Arc<dyn Clock>) -> EventFactory {
        EventFactory {
            node,
            hlc: HlcClock::new(MAX_DRIFT_MS),
            clock,
        }
    }

    /// The node's wall clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The node this factory mints events for.
    pub fn node(&self) -> &NodeId {
        &self.node
    }

    /// Wraps one input's facts into a submission.
    pub fn submission(
        &self,
        feed: &str,
        actor: &Actor,
        source: &Source,
        dedup: Option<DedupKey>,
        facts: Vec<Fact>,
    ) -> Submission {
        let now_ms = self.clock.now_ms();
        let physical = u64::try_from(now_ms).unwrap_or(0);
        let events = facts
            .into_iter()
            .map(|fact| {
                let hlc = self.hlc.tick(physical);
                Event {
                    id: EventId::new(hlc.unix_ms()),
                    hlc,
                    origin: self.node.clone(),
                    actor: actor.clone(),
                    source: source.clone(),
                    fact,
                }
            })
            .collect();
        Submission {
            feed: feed.to_owned(),
            received_ms: now_ms,
            dedup,
            events,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use ckisa_domain::{Directory, SourceChannel};

    fn fact(name: &str) -> Fact {
        Fact::DirectoryEntry(Directory {
            reference: format!("Practitioner/{name}"),
            identifiers: vec![],
            name: name.to_owned(),
        })
    }

    #[test]
    fn events_are_ordered_unique_and_carry_node_and_source() {
        let clock = ManualClock::new(1_700_000_000_000);
        let factory = EventFactory::new(NodeId("node-a".into()), clock.clone());
        let source = Source {
            channel: SourceChannel::File,
            origin: "a.hl7".into(),
            message_id: Some("MSG1".into()),
            sender: None,
            fhir_id: None,
        };
        let first = factory.submission(
            "file",
            &Actor::System,
            &source,
            None,
            vec![fact("a"), fact("b")],
        );
        let second = factory.submission("file", &Actor::System, &source, None, vec![fact("c")]);
        let all: Vec<_> = first.events.iter().chain(&second.events).collect();
        assert!(all.windows(2).all(|w| w[0].hlc < w[1].hlc));
        assert!(all.windows(2).all(|w| w[0].id != w[1].id));
        assert!(
            all.iter()
                .all(|e| e.origin.0 == "node-a" && e.source == source)
        );
        assert_eq!(first.received_ms, 1_700_000_000_000);
    }
}
