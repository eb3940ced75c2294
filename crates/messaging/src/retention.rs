//! The retention policy: message bodies and attachments older than the
//! configured number of days are removed from the log. This is the one
//! rewrite the log allows (`Store::rewrite_events`): the events stay, in
//! place, with their authors, times, channels, acknowledgements and
//! answers, so counts and the after-action report still add up; what was
//! written in them is emptied. The purge itself is then recorded as a
//! `MessageFact::Purged` event, so that every book forgets the same texts.

use std::collections::HashSet;

use ckisa_domain::{Event, EventId, Fact, MessageFact};

/// One day, in ms.
const DAY_MS: i64 = 86_400_000;

/// What a purge changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Purge {
    /// Everything written before this instant is emptied.
    pub before_ms: i64,
    /// Events to rewrite, with their emptied fact.
    pub rewrites: Vec<(EventId, Fact)>,
    /// Attachments no longer referenced by any message kept.
    pub attachments: Vec<String>,
    /// How many messages (posts and broadcasts) are emptied.
    pub messages: u64,
}

/// The cut-off of a retention of `days` days at `now_ms`.
pub fn cutoff(now_ms: i64, days: u32) -> i64 {
    now_ms - i64::from(days) * DAY_MS
}

/// The purge of the messaging `events` (the whole messaging log, oldest
/// first) for everything written before `before_ms`. Events already emptied
/// are left alone, so running it twice changes nothing the second time.
pub fn plan(events: &[Event], before_ms: i64) -> Purge {
    let mut purge = Purge {
        before_ms,
        ..Purge::default()
    };
    let mut dropped: Vec<String> = Vec::new();
    let mut kept: HashSet<String> = HashSet::new();
    for event in events {
        let Fact::Message(fact) = &event.fact else {
            continue;
        };
        let old = i64::try_from(event.hlc.unix_ms()).unwrap_or(i64::MAX) < before_ms;
        if !old {
            if let MessageFact::Posted(post) = fact
                && let Some(file) = &post.attachment
            {
                kept.insert(file.sha256.clone());
            }
            continue;
        }
        let emptied = match fact {
            MessageFact::Posted(post) => {
                if let Some(file) = &post.attachment {
                    dropped.push(file.sha256.clone());
                }
                let mut post = post.clone();
                post.text.clear();
                post.mentions.clear();
                post.attachment = None;
                purge.messages += 1;
                MessageFact::Posted(post)
            }
            MessageFact::Edited { id, .. } => MessageFact::Edited {
                id: id.clone(),
                text: String::new(),
                mentions: Vec::new(),
            },
            MessageFact::Retracted { id, .. } => MessageFact::Retracted {
                id: id.clone(),
                reason: String::new(),
            },
            MessageFact::BroadcastSent(broadcast) => {
                let mut broadcast = broadcast.clone();
                broadcast.text.clear();
                purge.messages += 1;
                MessageFact::BroadcastSent(broadcast)
            }
            MessageFact::RecallStarted(recall) => {
                let mut recall = recall.clone();
                recall.text.clear();
                MessageFact::RecallStarted(recall)
            }
            _ => continue,
        };
        if emptied != *fact {
            purge.rewrites.push((event.id, Fact::Message(emptied)));
        } else if matches!(fact, MessageFact::Posted(_) | MessageFact::BroadcastSent(_)) {
            purge.messages -= 1;
        }
    }
    dropped.retain(|hash| !kept.contains(hash));
    dropped.sort();
    dropped.dedup();
    purge.attachments = dropped;
    purge
}

#[cfg(test)]
mod tests {
    use super::*;
    use ckisa_domain::{Actor, Attachment, Hlc, ItemId, NodeId, Post, Source, SourceChannel};

    fn event(ms: u64, fact: MessageFact) -> Event {
        Event {
            id: EventId::new(ms),
            hlc: Hlc::new(ms, 0),
            origin: NodeId("n".into()),
            actor: Actor::User("a".into()),
            source: Source {
                channel: SourceChannel::User,
                origin: "web".into(),
                message_id: None,
                sender: None,
                fhir_id: None,
            },
            fact: Fact::Message(fact),
        }
    }

    fn post(id: &str, text: &str, file: Option<&str>) -> MessageFact {
        MessageFact::Posted(Post {
            id: ItemId(id.into()),
            channel: "cellule".into(),
            reply_to: None,
            text: text.into(),
            mentions: Vec::new(),
            attachment: file.map(|hash| Attachment {
                sha256: hash.into(),
                name: "f.pdf".into(),
                mime: "application/pdf".into(),
                size: 3,
            }),
        })
    }

    #[test]
    fn old_texts_and_unreferenced_files_go_recent_ones_stay() {
        let events = vec![
            event(1_000, post("a", "ancien", Some("h1"))),
            event(2_000, post("b", "ancien aussi", Some("h2"))),
            event(
                3_000,
                MessageFact::Edited {
                    id: ItemId("a".into()),
                    text: "ancien modifié".into(),
                    mentions: Vec::new(),
                },
            ),
            event(9_000, post("c", "récent", Some("h2"))),
            event(
                9_500,
                MessageFact::ChannelRead {
                    channel: "cellule".into(),
                    seq: 3,
                },
            ),
        ];
        let purge = plan(&events, 5_000);
        assert_eq!(purge.messages, 2);
        assert_eq!(purge.rewrites.len(), 3);
        // h2 is still attached to the recent message.
        assert_eq!(purge.attachments, vec!["h1".to_owned()]);
        let Fact::Message(MessageFact::Posted(first)) = &purge.rewrites[0].1 else {
            panic!("a post");
        };
        assert!(first.text.is_empty() && first.attachment.is_none());
        assert_eq!(first.id.0, "a");

        // Applying the rewrites and planning again finds nothing left.
        let mut after = events.clone();
        for (id, fact) in &purge.rewrites {
            let slot = after.iter_mut().find(|e| e.id == *id).unwrap();
            slot.fact = fact.clone();
        }
        let again = plan(&after, 5_000);
        assert!(again.rewrites.is_empty());
        assert_eq!(again.messages, 0);
    }

    #[test]
    fn the_cutoff_counts_whole_days() {
        assert_eq!(cutoff(10 * DAY_MS, 3), 7 * DAY_MS);
    }
}
