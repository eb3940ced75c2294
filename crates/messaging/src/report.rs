//! The messaging figures of the after-action report over a period: how much
//! each channel was used, how fast broadcasts were acknowledged and how
//! often they escalated, and what each recall brought.

use ckisa_domain::{ChannelKind, Priority};

use crate::book::{BroadcastState, MessageBook, Origin, RecallCount};

/// Longest broadcast text kept in the figures, in characters.
pub const TEXT_CHARS: usize = 80;

/// The id and name under which direct conversations are counted together:
/// the report says how much people wrote to each other, not who to whom.
pub const DIRECT_ROW: &str = "direct";

/// The messaging figures of a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Start of the period, ms since the Unix epoch (included).
    pub from_ms: i64,
    /// End of the period (included).
    pub to_ms: i64,
    /// Messages posted per channel, most first (channels without any left
    /// out; direct conversations as one row).
    pub channels: Vec<ChannelCount>,
    /// Broadcasts sent in the period, oldest first.
    pub broadcasts: Vec<BroadcastFigures>,
    /// Recalls started in the period, oldest first.
    pub recalls: Vec<RecallFigures>,
}

/// Messages of one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelCount {
    /// The channel's id ([`DIRECT_ROW`] for direct conversations).
    pub id: String,
    /// Its name (French).
    pub name: String,
    /// Messages posted (replies included).
    pub messages: usize,
}

/// How one broadcast went.
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastFigures {
    /// When it was sent, ms since the Unix epoch.
    pub sent_ms: i64,
    /// Its text, cut to [`TEXT_CHARS`] characters (`…` added when cut).
    pub text: String,
    /// Its priority.
    pub priority: Priority,
    /// How many recipients.
    pub recipients: usize,
    /// How many acknowledged by the end of the period.
    pub acknowledged: usize,
    /// Median time to acknowledge, in minutes (none: nobody acknowledged).
    pub median_ack_min: Option<f64>,
    /// Longest time to acknowledge, in minutes.
    pub max_ack_min: Option<f64>,
    /// Escalation stages run by the end of the period.
    pub escalations: usize,
}

/// What one recall brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallFigures {
    /// When it started, ms since the Unix epoch.
    pub started_ms: i64,
    /// The message sent, cut to [`TEXT_CHARS`] characters.
    pub text: String,
    /// Called, coming, unavailable and silent, per role, in the order the
    /// roles were called, as they stood at the end of the period (answers
    /// and hook outcomes logged later are left out).
    pub roles: Vec<RecallCount>,
}

/// The figures of the period from `from_ms` to `to_ms`, both included.
pub fn figures(book: &MessageBook, from_ms: i64, to_ms: i64) -> Figures {
    let within = |at_ms: i64| (from_ms..=to_ms).contains(&at_ms);
    let broadcasts = book
        .broadcasts()
        .iter()
        .filter(|b| within(b.sent_ms))
        .map(|b| broadcast_figures(b, to_ms))
        .collect();
    let recalls = book
        .recalls()
        .iter()
        .filter(|r| within(r.started_ms))
        .map(|r| RecallFigures {
            started_ms: r.started_ms,
            text: cut(&r.spec.text),
            roles: r.counts_until(to_ms),
        })
        .collect();
    Figures {
        from_ms,
        to_ms,
        channels: channel_counts(book, from_ms, to_ms),
        broadcasts,
        recalls,
    }
}

fn channel_counts(book: &MessageBook, from_ms: i64, to_ms: i64) -> Vec<ChannelCount> {
    let mut rows: Vec<ChannelCount> = Vec::new();
    let mut direct = 0;
    for channel in book.channels() {
        let messages = book
            .messages_of(channel, false)
            .filter(|(_, m)| (from_ms..=to_ms).contains(&m.at_ms))
            .count();
        if messages == 0 {
            continue;
        }
        if matches!(
            channel.def.origin,
            Origin::Opened(ChannelKind::Direct | ChannelKind::Group)
        ) {
            direct += messages;
        } else {
            rows.push(ChannelCount {
                id: channel.def.id.clone(),
                name: channel.def.name.clone(),
                messages,
            });
        }
    }
    if direct > 0 {
        rows.push(ChannelCount {
            id: DIRECT_ROW.to_owned(),
            name: "Conversations à deux".to_owned(),
            messages: direct,
        });
    }
    rows.sort_by(|a, b| {
        b.messages
            .cmp(&a.messages)
            .then_with(|| a.name.cmp(&b.name))
    });
    rows
}

fn broadcast_figures(broadcast: &BroadcastState, to_ms: i64) -> BroadcastFigures {
    let mut delays: Vec<i64> = broadcast
        .spec
        .recipients
        .iter()
        .filter_map(|r| broadcast.acknowledged.get(&r.login))
        .filter(|&&at| at <= to_ms)
        .map(|&at| (at - broadcast.sent_ms).max(0))
        .collect();
    delays.sort_unstable();
    BroadcastFigures {
        sent_ms: broadcast.sent_ms,
        text: cut(&broadcast.spec.text),
        priority: broadcast.spec.priority,
        recipients: broadcast.spec.recipients.len(),
        acknowledged: delays.len(),
        median_ack_min: median(&delays).map(minutes),
        max_ack_min: delays.last().map(|&ms| minutes(ms as f64)),
        escalations: broadcast
            .escalations
            .iter()
            .filter(|e| e.at_ms <= to_ms)
            .count(),
    }
}

/// The median of sorted values (the mean of the middle two for an even
/// count).
fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0),
    }
}

/// Milliseconds as minutes, to a tenth.
fn minutes(ms: f64) -> f64 {
    (ms / 6_000.0).round() / 10.0
}

fn cut(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(TEXT_CHARS).collect();
    if chars.next().is_some() {
        format!("{}…", head.trim_end())
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::{ChannelDef, Origin};
    use crate::testing::event;
    use ckisa_domain::{
        AnswerVia, Broadcast, Called, ChannelSpec, EscalationStage, ItemId, MessageFact, Post,
        Recall, RecallAnswer, Recipient,
    };

    const T0: i64 = 1_796_367_600_000;
    const MIN: i64 = 60_000;

    fn unit(code: &str, name: &str) -> ChannelDef {
        ChannelDef {
            id: format!("unite:{code}"),
            name: name.into(),
            origin: Origin::Unit,
            roles: Vec::new(),
            units: vec![code.into()],
            members: Vec::new(),
        }
    }

    fn post(id: &str, channel: &str) -> MessageFact {
        MessageFact::Posted(Post {
            id: ItemId(id.into()),
            channel: channel.into(),
            reply_to: None,
            text: "texte".into(),
            mentions: Vec::new(),
            attachment: None,
        })
    }

    fn recipient(login: &str) -> Recipient {
        Recipient {
            login: login.into(),
            name: login.into(),
            role: "cadre".into(),
            units: Vec::new(),
        }
    }

    fn called(person: &str, role: &str) -> Called {
        Called {
            person: person.into(),
            name: person.into(),
            role: role.into(),
            unit: String::new(),
            phone: "06 39 98 00 00".into(),
            code: format!("00000{}", &person[1..]),
            link_sha256: person.into(),
        }
    }

    #[test]
    fn channels_are_counted_within_the_period_most_used_first() {
        let mut book = MessageBook::new(vec![unit("REA", "Réanimation"), unit("URG", "Urgences")]);
        book.apply(&event("a", T0 - 1, post("m0", "unite:REA")));
        book.apply(&event("a", T0, post("m1", "unite:REA")));
        book.apply(&event("a", T0 + MIN, post("m2", "unite:URG")));
        book.apply(&event("a", T0 + 2 * MIN, post("m3", "unite:URG")));
        book.apply(&event(
            "a",
            T0 + 2 * MIN,
            MessageFact::ChannelOpened(ChannelSpec {
                id: "direct:a:b".into(),
                kind: ChannelKind::Direct,
                name: String::new(),
                roles: Vec::new(),
                units: Vec::new(),
                members: vec!["a".into(), "b".into()],
            }),
        ));
        book.apply(&event("a", T0 + 3 * MIN, post("m4", "direct:a:b")));
        book.apply(&event("b", T0 + 10 * MIN + 1, post("m5", "unite:REA")));

        let figures = figures(&book, T0, T0 + 10 * MIN);
        let rows: Vec<(&str, &str, usize)> = figures
            .channels
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str(), c.messages))
            .collect();
        assert_eq!(
            rows,
            [
                ("unite:URG", "Urgences", 2),
                ("direct", "Conversations à deux", 1),
                ("unite:REA", "Réanimation", 1),
            ]
        );
    }

    #[test]
    fn broadcasts_give_acknowledgement_times_and_escalations() {
        let mut book = MessageBook::new(Vec::new());
        let text = "Confinement du bâtiment B : fermez les portes coupe-feu et attendez les \
                    consignes de la cellule de crise";
        book.apply(&event(
            "directeur",
            T0,
            MessageFact::BroadcastSent(Broadcast {
                id: ItemId("b1".into()),
                priority: Priority::Urgent,
                text: text.into(),
                roles: vec!["cadre".into()],
                units: Vec::new(),
                everyone: false,
                recipients: ["c1", "c2", "c3", "c4", "c5"].map(recipient).to_vec(),
                manager_after_min: Some(10),
                hook_after_min: Some(20),
            }),
        ));
        let ack = |login: &str, at_ms: i64| {
            event(
                login,
                at_ms,
                MessageFact::BroadcastAcknowledged {
                    id: ItemId("b1".into()),
                },
            )
        };
        book.apply(&ack("c1", T0 + 2 * MIN));
        book.apply(&ack("c2", T0 + 3 * MIN));
        book.apply(&ack("c3", T0 + 7 * MIN));
        book.apply(&ack("c4", T0 + 12 * MIN + 30_000));
        book.apply(&event(
            "",
            T0 + 10 * MIN,
            MessageFact::Escalated {
                id: ItemId("b1".into()),
                stage: EscalationStage::Managers,
                pending: vec!["c4".into(), "c5".into()],
                notified: vec!["chef".into()],
                failure: None,
            },
        ));
        book.apply(&ack("c5", T0 + 90 * MIN));

        let figures = figures(&book, T0, T0 + 60 * MIN);
        let b = &figures.broadcasts[0];
        assert_eq!(b.text.chars().count(), TEXT_CHARS + 1);
        assert!(b.text.starts_with("Confinement du bâtiment B") && b.text.ends_with('…'));
        assert_eq!(b.priority, Priority::Urgent);
        assert_eq!((b.recipients, b.acknowledged, b.escalations), (5, 4, 1));
        assert_eq!(b.median_ack_min, Some(5.0));
        assert_eq!(b.max_ack_min, Some(12.5));

        // The whole day: the last acknowledgement counts, odd count.
        let day = super::figures(&book, T0, T0 + 24 * 60 * MIN);
        assert_eq!(day.broadcasts[0].acknowledged, 5);
        assert_eq!(day.broadcasts[0].median_ack_min, Some(7.0));
        assert_eq!(day.broadcasts[0].max_ack_min, Some(90.0));

        // A period before the broadcast has none.
        assert!(
            super::figures(&book, T0 - 60 * MIN, T0 - 1)
                .broadcasts
                .is_empty()
        );
    }

    #[test]
    fn recalls_give_counts_per_role() {
        let mut book = MessageBook::new(Vec::new());
        book.apply(&event(
            "directeur",
            T0,
            MessageFact::RecallStarted(Recall {
                id: ItemId("r1".into()),
                text: "Plan blanc".into(),
                roles: vec!["infirmier".into(), "medecin".into()],
                units: Vec::new(),
                people: vec![
                    called("p1", "infirmier"),
                    called("p2", "infirmier"),
                    called("p3", "medecin"),
                    called("p4", "infirmier"),
                ],
            }),
        ));
        let answer = |person: &str, answer: RecallAnswer, at_ms: i64| {
            event(
                "",
                at_ms,
                MessageFact::RecallAnswered {
                    id: ItemId("r1".into()),
                    person: person.into(),
                    answer,
                    via: AnswerVia::Code,
                },
            )
        };
        let coming = |eta_min| RecallAnswer::Coming { eta_min };
        book.apply(&answer("p1", coming(Some(20)), T0 + MIN));
        book.apply(&answer("p2", RecallAnswer::Unavailable, T0 + MIN));
        book.apply(&answer("p3", coming(Some(90)), T0 + MIN));
        // After the end of the period: p2 changes her mind, p4 answers
        // without a time, and the hook fails to reach p1.
        book.apply(&answer("p2", coming(Some(10)), T0 + 2 * MIN));
        book.apply(&answer("p4", coming(None), T0 + 2 * MIN));
        book.apply(&event(
            "",
            T0 + 2 * MIN,
            MessageFact::RecallNotified {
                id: ItemId("r1".into()),
                person: "p1".into(),
                failure: Some("injoignable".into()),
            },
        ));

        // Role: called, coming (within the hour), unavailable, silent,
        // unreachable.
        let rows = |to_ms: i64| -> Vec<String> {
            let figures = figures(&book, T0, to_ms);
            let recall = &figures.recalls[0];
            assert_eq!(recall.text, "Plan blanc");
            recall
                .roles
                .iter()
                .map(|r| {
                    format!(
                        "{} {} {}({}) {} {} {}",
                        r.role,
                        r.called,
                        r.coming,
                        r.within_hour,
                        r.unavailable,
                        r.silent,
                        r.unreachable
                    )
                })
                .collect()
        };
        assert_eq!(
            rows(T0 + MIN),
            ["infirmier 3 1(1) 1 1 0", "medecin 1 1(0) 0 0 0"]
        );
        // Later on, every answer counts; a time not given is not within the
        // hour.
        assert_eq!(
            rows(T0 + 2 * MIN),
            ["infirmier 3 3(2) 0 0 1", "medecin 1 1(0) 0 0 0"]
        );
    }
}
