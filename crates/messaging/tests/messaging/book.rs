//! The book folded from events built by hand: who reads what, unread
//! counts, threads, edits, retractions, pins, broadcasts, the live journal,
//! recalls and the purge.

use ckisa_domain::{
    AnswerVia, ChannelKind, ChannelSpec, EscalationStage, ItemId, MessageFact, RecallAnswer,
};
use ckisa_messaging::book::{Change, TallyRow};
use ckisa_messaging::settings::RosterPerson;
use ckisa_messaging::{MessageBook, escalate, recall};

use crate::support::*;

fn ids<'a>(channels: impl Iterator<Item = &'a ckisa_messaging::book::Channel>) -> Vec<String> {
    channels.map(|c| c.def.id.clone()).collect()
}

fn direct(first: &str, second: &str) -> MessageFact {
    MessageFact::ChannelOpened(ChannelSpec {
        id: format!("direct:{first}:{second}"),
        kind: ChannelKind::Direct,
        name: String::new(),
        roles: Vec::new(),
        units: Vec::new(),
        members: vec![first.into(), second.into()],
    })
}

fn refusal(book: &MessageBook, reader: &ckisa_messaging::Reader, fact: &MessageFact) -> String {
    match book.check(reader, fact) {
        Ok(()) => panic!("{fact:?} should be refused"),
        Err(refusal) => refusal.to_string(),
    }
}

#[test]
fn membership_follows_role_unit_and_names() {
    let mut book = new_book();
    let nurse = nurse_cardio();
    assert!(book.may_read("unite:CARDIO", &nurse));
    assert!(!book.may_read("unite:REA", &nurse));
    assert!(!book.may_read("service:pharmacie", &nurse));
    assert!(!book.may_read("cellule", &nurse));
    assert_eq!(ids(book.channels_of(&nurse)), ["unite:CARDIO"]);

    // Establishment-wide roles read their service, no unit channel.
    assert_eq!(ids(book.channels_of(&pharmacist())), ["service:pharmacie"]);
    assert!(book.may_read("cellule", &director()));
    let it = reader("rssi", "securite-si", &[]);
    assert_eq!(ids(book.channels_of(&it)), ["service:informatique"]);

    // A non-member may neither write nor add; a member adds the pharmacist.
    let refused = refusal(
        &book,
        &nurse_rea(),
        &post("m1", "unite:CARDIO", None, "bonjour"),
    );
    assert!(refused.contains("pas membre"), "{refused}");
    let add_pharma = MessageFact::MembersAdded {
        channel: "unite:CARDIO".into(),
        logins: vec!["pharma".into()],
    };
    let refused = refusal(&book, &nurse_rea(), &add_pharma);
    assert!(refused.contains("Seuls les membres"), "{refused}");
    record(&mut book, &nurse, T0, add_pharma);
    assert!(book.may_read("unite:CARDIO", &pharmacist()));
    assert!(book.channel("unite:CARDIO").unwrap().names("pharma"));
    record(
        &mut book,
        &pharmacist(),
        T0 + 1,
        post("m1", "unite:CARDIO", None, "Je passe"),
    );

    // A direct conversation is read by its two members only.
    record(&mut book, &nurse, T0 + 2, direct("ide-cardio", "pharma"));
    assert!(book.may_read("direct:ide-cardio:pharma", &nurse));
    assert!(book.may_read("direct:ide-cardio:pharma", &pharmacist()));
    assert!(!book.may_read("direct:ide-cardio:pharma", &nurse_rea()));
    assert!(!book.may_read("direct:ide-cardio:pharma", &director()));
    let refused = refusal(
        &book,
        &nurse_rea(),
        &post("m2", "direct:ide-cardio:pharma", None, "coucou"),
    );
    assert!(refused.contains("pas membre"), "{refused}");
    let refused = refusal(
        &book,
        &nurse,
        &MessageFact::MembersAdded {
            channel: "direct:ide-cardio:pharma".into(),
            logins: vec!["ide-rea".into()],
        },
    );
    assert!(refused.contains("ouvrez un groupe"), "{refused}");
    let refused = refusal(&book, &nurse_rea(), &direct("ide-cardio", "pharma"));
    assert!(refused.contains("existe déjà"), "{refused}");
    let refused = refusal(&book, &nurse_rea(), &direct("ide-cardio", "pharma2"));
    assert!(refused.contains("en fait partie"), "{refused}");
}

#[test]
fn an_ad_hoc_channel_admits_those_added_by_hand() {
    let mut book = new_book();
    let opening = MessageFact::ChannelOpened(ChannelSpec {
        id: "canal:transfert-rea".into(),
        kind: ChannelKind::AdHoc,
        name: "Transferts vers la réa".into(),
        roles: Vec::new(),
        units: Vec::new(),
        members: vec!["directeur".into()],
    });
    record(&mut book, &director(), T0, opening);
    assert!(!book.may_read("canal:transfert-rea", &nurse_rea()));
    record(
        &mut book,
        &director(),
        T0 + 1,
        MessageFact::MembersAdded {
            channel: "canal:transfert-rea".into(),
            logins: vec!["ide-rea".into()],
        },
    );
    assert!(book.may_read("canal:transfert-rea", &nurse_rea()));
    assert!(!book.may_read("canal:transfert-rea", &nurse_cardio()));
    let channel = book.channel("canal:transfert-rea").unwrap();
    assert_eq!(channel.opened_by.as_deref(), Some("directeur"));
}

#[test]
fn unread_counts_follow_posts_and_read_markers() {
    let mut book = new_book();
    let writer = nurse_rea();
    let colleague = reader("ide-rea2", "infirmier", &["REA"]);
    record(
        &mut book,
        &writer,
        T0,
        post("m1", "unite:REA", None, "Lit 4 libre"),
    );
    record(
        &mut book,
        &writer,
        T0 + MIN,
        post("m2", "unite:REA", None, "Lit 6 libre"),
    );
    let channel = book.channel("unite:REA").unwrap();
    assert_eq!(book.unread(channel, "ide-rea2"), 2);
    assert_eq!(book.unread(channel, "ide-rea"), 0);
    assert_eq!(book.unread_total(&colleague), 2);
    let first_seq = book.message("m1").unwrap().1.seq;

    record(
        &mut book,
        &colleague,
        T0 + 2 * MIN,
        MessageFact::ChannelRead {
            channel: "unite:REA".into(),
            seq: first_seq,
        },
    );
    let channel = book.channel("unite:REA").unwrap();
    assert_eq!(book.unread(channel, "ide-rea2"), 1);
    assert_eq!(book.read_up_to("unite:REA", "ide-rea2"), first_seq);

    // A marker from an older device never moves back.
    record(
        &mut book,
        &colleague,
        T0 + 3 * MIN,
        MessageFact::ChannelRead {
            channel: "unite:REA".into(),
            seq: 0,
        },
    );
    assert_eq!(book.read_up_to("unite:REA", "ide-rea2"), first_seq);

    // Writing in a channel reads it.
    record(
        &mut book,
        &colleague,
        T0 + 4 * MIN,
        post("m3", "unite:REA", None, "Vu"),
    );
    let channel = book.channel("unite:REA").unwrap();
    assert_eq!(book.unread(channel, "ide-rea2"), 0);
    assert_eq!(book.unread(channel, "ide-rea"), 1);
    assert_eq!(
        book.last_post_seq(channel),
        book.message("m3").unwrap().1.seq
    );

    let refused = refusal(
        &book,
        &nurse_cardio(),
        &MessageFact::ChannelRead {
            channel: "unite:REA".into(),
            seq: 1,
        },
    );
    assert!(refused.contains("pas membre"), "{refused}");
}

#[test]
fn replies_gather_under_the_first_message_of_their_thread() {
    let mut book = new_book();
    let nurse = nurse_rea();
    record(
        &mut book,
        &nurse,
        T0,
        post("m1", "unite:REA", None, "Qui a la clé du chariot ?"),
    );
    record(
        &mut book,
        &nurse,
        T0 + 1,
        post("m2", "unite:REA", Some("m1"), "Moi"),
    );
    record(
        &mut book,
        &nurse,
        T0 + 2,
        post("m3", "unite:REA", None, "Autre sujet"),
    );
    let (root, message) = book.message("m1").unwrap();
    let (reply, _) = book.message("m2").unwrap();
    assert_eq!(message.replies, [reply]);
    let channel = book.channel("unite:REA").unwrap();
    let roots: Vec<&str> = book
        .messages_of(channel, true)
        .map(|(_, m)| m.post.id.0.as_str())
        .collect();
    assert_eq!(roots, ["m1", "m3"]);
    assert_eq!(book.messages_of(channel, false).count(), 3);
    assert_eq!(book.message_at(root).post.id.0, "m1");

    let refused = refusal(
        &book,
        &nurse,
        &post("m4", "unite:REA", Some("m2"), "Et moi"),
    );
    assert!(refused.contains("premier message du fil"), "{refused}");
    let refused = refusal(&book, &nurse, &post("m4", "unite:REA", Some("m9"), "?"));
    assert!(refused.contains("n'existe pas"), "{refused}");
    let cardio = nurse_cardio();
    let refused = refusal(&book, &cardio, &post("m4", "unite:CARDIO", Some("m1"), "?"));
    assert!(refused.contains("dans le canal du message"), "{refused}");
    let refused = refusal(&book, &nurse, &post("m1", "unite:REA", None, "encore"));
    assert!(refused.contains("existe déjà"), "{refused}");
    let refused = refusal(&book, &nurse, &post("m5", "unite:REA", None, "   "));
    assert_eq!(refused, "Le message est vide.");
}

#[test]
fn an_edit_keeps_the_versions_and_changes_what_search_finds() {
    let mut book = new_book();
    let nurse = nurse_rea();
    record(
        &mut book,
        &nurse,
        T0,
        post("m1", "unite:REA", None, "Tube hémolysé"),
    );
    let edit = MessageFact::Edited {
        id: ItemId("m1".into()),
        text: "Tube coagulé".into(),
        mentions: Vec::new(),
    };
    let refused = refusal(&book, &reader("ide-rea2", "infirmier", &["REA"]), &edit);
    assert!(refused.contains("Seul son auteur"), "{refused}");
    record(&mut book, &nurse, T0 + 5 * MIN, edit);

    let (_, message) = book.message("m1").unwrap();
    assert_eq!(message.post.text, "Tube coagulé");
    assert_eq!(message.versions.len(), 1);
    assert_eq!(message.versions[0].text, "Tube hémolysé");
    assert_eq!(message.versions[0].replaced_ms, T0 + 5 * MIN);
    assert_eq!(message.edited_ms, Some(T0 + 5 * MIN));
    assert!(book.search(&nurse, "hemolyse", 10).is_empty());
    let found = book.search(&nurse, "COAGULE", 10);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1.post.id.0, "m1");
    // Only members find it.
    assert!(book.search(&nurse_cardio(), "coagule", 10).is_empty());

    let same = MessageFact::Edited {
        id: ItemId("m1".into()),
        text: "Tube coagulé".into(),
        mentions: Vec::new(),
    };
    assert!(refusal(&book, &nurse, &same).contains("pas changé"));
}

#[test]
fn a_retraction_hides_the_message_from_search_and_keeps_why() {
    let mut book = new_book();
    let nurse = nurse_rea();
    record(
        &mut book,
        &nurse,
        T0,
        post("m1", "unite:REA", None, "Patient du lit 3 transféré"),
    );
    record(
        &mut book,
        &nurse,
        T0 + 1,
        MessageFact::Pinned {
            id: ItemId("m1".into()),
            pinned: true,
        },
    );
    let short = MessageFact::Retracted {
        id: ItemId("m1".into()),
        reason: "x".into(),
    };
    assert!(refusal(&book, &nurse, &short).contains("pourquoi"));
    record(
        &mut book,
        &nurse,
        T0 + MIN,
        MessageFact::Retracted {
            id: ItemId("m1".into()),
            reason: "Mauvais patient".into(),
        },
    );
    let (_, message) = book.message("m1").unwrap();
    let retraction = message.retracted.as_ref().unwrap();
    assert_eq!(
        (
            retraction.by.as_str(),
            retraction.at_ms,
            retraction.reason.as_str()
        ),
        ("ide-rea", T0 + MIN, "Mauvais patient")
    );
    // The log keeps the text for the report; readers no longer find it.
    assert_eq!(message.post.text, "Patient du lit 3 transféré");
    assert!(!message.pinned);
    assert!(book.search(&nurse, "transfere", 10).is_empty());

    let edit = MessageFact::Edited {
        id: ItemId("m1".into()),
        text: "autre".into(),
        mentions: Vec::new(),
    };
    assert!(refusal(&book, &nurse, &edit).contains("retiré"));
    let pin = MessageFact::Pinned {
        id: ItemId("m1".into()),
        pinned: true,
    };
    assert!(refusal(&book, &nurse, &pin).contains("retiré"));
}

#[test]
fn pins_are_set_and_cleared_by_members() {
    let mut book = new_book();
    let nurse = nurse_rea();
    record(
        &mut book,
        &nurse,
        T0,
        post("m1", "unite:REA", None, "Code porte : 4521"),
    );
    let pin = |pinned| MessageFact::Pinned {
        id: ItemId("m1".into()),
        pinned,
    };
    assert!(refusal(&book, &nurse_cardio(), &pin(true)).contains("Seuls les membres"));
    assert!(refusal(&book, &nurse, &pin(false)).contains("n'est pas épinglé"));
    let colleague = reader("ide-rea2", "infirmier", &["REA"]);
    record(&mut book, &colleague, T0 + 1, pin(true));
    assert!(book.message("m1").unwrap().1.pinned);
    assert!(refusal(&book, &nurse, &pin(true)).contains("déjà épinglé"));
    record(&mut book, &nurse, T0 + 2, pin(false));
    assert!(!book.message("m1").unwrap().1.pinned);
}

fn tally_row(unit: &str, counts: (usize, usize, usize), pending: &[&str]) -> TallyRow {
    TallyRow {
        unit: unit.into(),
        recipients: counts.0,
        read: counts.1,
        acknowledged: counts.2,
        pending: pending.iter().map(|p| (*p).to_owned()).collect(),
    }
}

#[test]
fn a_broadcast_is_tallied_per_unit_read_apart_from_acknowledged() {
    let mut book = new_book();
    let recipients = vec![
        recipient("cadre-cardio", "cadre", &["CARDIO"]),
        recipient("ide-cardio", "infirmier", &["CARDIO"]),
        recipient("ide-rea", "infirmier", &["REA"]),
        recipient("ide-both", "infirmier", &["CARDIO", "REA"]),
        recipient("pharma", "pharmacien", &[]),
    ];
    record(&mut book, &director(), T0, broadcast("b1", recipients));
    let read = || MessageFact::BroadcastRead {
        id: ItemId("b1".into()),
    };
    let ack = || MessageFact::BroadcastAcknowledged {
        id: ItemId("b1".into()),
    };
    let both = reader("ide-both", "infirmier", &["CARDIO", "REA"]);
    record(&mut book, &nurse_cardio(), T0 + MIN, read());
    record(&mut book, &nurse_rea(), T0 + 2 * MIN, ack());
    record(&mut book, &both, T0 + 3 * MIN, read());
    record(&mut book, &both, T0 + 4 * MIN, ack());

    let (_, state) = book.broadcast("b1").unwrap();
    assert_eq!(
        state.tally(),
        [
            tally_row("CARDIO", (3, 2, 1), &["cadre-cardio", "ide-cardio"]),
            tally_row("REA", (2, 2, 2), &[]),
            tally_row("", (1, 0, 0), &["pharma"]),
        ]
    );
    // Acknowledging counts as reading, at the time of the acknowledgement.
    assert_eq!(state.read.get("ide-rea"), Some(&(T0 + 2 * MIN)));
    assert_eq!(state.read.get("ide-both"), Some(&(T0 + 3 * MIN)));
    assert_eq!(state.pending(), ["cadre-cardio", "ide-cardio", "pharma"]);

    assert_eq!(refusal(&book, &nurse_rea(), &ack()), "C'est déjà noté.");
    assert_eq!(refusal(&book, &nurse_rea(), &read()), "C'est déjà noté.");
    assert_eq!(refusal(&book, &nurse_cardio(), &read()), "C'est déjà noté.");
    let outsider = reader("ide-x", "infirmier", &["REA"]);
    assert!(refusal(&book, &outsider, &ack()).contains("pas adressée"));

    let waiting: Vec<&str> = book
        .to_acknowledge("ide-cardio")
        .iter()
        .map(|(_, b)| b.spec.id.0.as_str())
        .collect();
    assert_eq!(waiting, ["b1"]);
    assert!(book.to_acknowledge("ide-rea").is_empty());
    assert_eq!(book.inbox("ide-rea").count(), 1);
    assert_eq!(book.inbox("ide-x").count(), 0);
}

#[test]
fn an_escalation_stage_is_recorded_once() {
    let mut book = new_book();
    record(
        &mut book,
        &director(),
        T0,
        broadcast("b1", vec![recipient("ide-rea", "infirmier", &["REA"])]),
    );
    let managers = |unit: &str| vec![format!("cadre-{}", unit.to_lowercase())];
    let due = escalate::due(&book, T0 + 10 * MIN, &managers);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].notified, ["cadre-rea"]);
    let node = reader("", "", &[]);
    let fact: MessageFact = due[0].clone().into();
    record(&mut book, &node, T0 + 10 * MIN, fact.clone());
    assert_eq!(
        refusal(&book, &node, &fact),
        "Cette escalade a déjà eu lieu."
    );
    let (_, state) = book.broadcast("b1").unwrap();
    assert_eq!(state.escalations[0].stage, EscalationStage::Managers);
    assert_eq!(state.escalations[0].at_ms, T0 + 10 * MIN);
}

/// Opens, posts, reads, acknowledges: a bit of everything.
fn busy_book() -> MessageBook {
    let mut book = new_book();
    let nurse = nurse_rea();
    record(&mut book, &nurse, T0, post("m1", "unite:REA", None, "un"));
    record(
        &mut book,
        &nurse,
        T0 + 1,
        post("m2", "unite:REA", Some("m1"), "deux"),
    );
    record(
        &mut book,
        &director(),
        T0 + 2,
        broadcast("b1", vec![recipient("ide-rea", "infirmier", &["REA"])]),
    );
    // The log may hold what makes no sense any more: it takes no number.
    book.apply(&event(
        "x",
        T0 + 3,
        MessageFact::MembersAdded {
            channel: "canal:disparu".into(),
            logins: vec!["x".into()],
        },
    ));
    record(
        &mut book,
        &nurse,
        T0 + 4,
        MessageFact::BroadcastAcknowledged {
            id: ItemId("b1".into()),
        },
    );
    record(
        &mut book,
        &nurse,
        T0 + 5,
        MessageFact::Pinned {
            id: ItemId("m1".into()),
            pinned: true,
        },
    );
    book
}

#[test]
fn the_journal_gives_every_entry_in_order_once_from_any_point() {
    let mut book = busy_book();
    let last = book.seq();
    assert_eq!(last, 5);
    for from in 0..=last + 2 {
        let seqs: Vec<u64> = book.entries_after(from).iter().map(|e| e.seq).collect();
        let expected: Vec<u64> = (from + 1..=last).collect();
        assert_eq!(seqs, expected, "after {from}");
    }
    let changes: Vec<&Change> = book.entries_after(0).iter().map(|e| &e.change).collect();
    assert!(matches!(changes[0], Change::Posted(_)));
    assert!(matches!(changes[2], Change::Broadcast(0)));
    assert!(matches!(changes[3], Change::Tally(0)));
    assert!(matches!(changes[4], Change::Updated(_)));
    assert_eq!(book.entries_after(0)[3].actor, "ide-rea");

    // A stream that saw up to 3 reconnects after more was written: it gets
    // the rest, each once, then nothing more.
    let seen: Vec<u64> = book.entries_after(0)[..3].iter().map(|e| e.seq).collect();
    record(
        &mut book,
        &nurse_rea(),
        T0 + 6,
        post("m3", "unite:REA", None, "trois"),
    );
    let resumed: Vec<u64> = book.entries_after(3).iter().map(|e| e.seq).collect();
    let mut all = seen.clone();
    all.extend(&resumed);
    assert_eq!(all, [1, 2, 3, 4, 5, 6]);
    assert!(book.entries_after(6).is_empty());
}

fn roster() -> Vec<RosterPerson> {
    [
        ("p1", "Claire Dubois", "infirmier", "REA"),
        ("p2", "Hugo Martin", "infirmier", "CARDIO"),
        ("p3", "Inès Petit", "medecin", "REA"),
    ]
    .into_iter()
    .map(|(id, name, role, unit)| RosterPerson {
        id: id.into(),
        name: name.into(),
        role: role.into(),
        unit: unit.into(),
        phone: "06 39 98 10 10".into(),
        login: None,
    })
    .collect()
}

#[test]
fn recall_answers_are_found_by_code_and_link_and_counted() {
    let mut book = new_book();
    let roster = roster();
    let roles = vec!["infirmier".to_owned(), "medecin".to_owned()];
    let people = recall::select(&roster, &roles, &[]);
    let mut codes = ["482913", "100200", "300400"].into_iter();
    let mut n = 0;
    let (spec, links) = recall::build(
        ItemId("r1".into()),
        "Plan blanc déclenché : pouvez-vous venir ?",
        &roles,
        &[],
        &people,
        || {
            n += 1;
            (codes.next().unwrap().to_owned(), format!("secret-{n}"))
        },
    )
    .unwrap();
    record(&mut book, &director(), T0, MessageFact::RecallStarted(spec));

    let (code, answer) = recall::parse_reply("482 913 oui 25").unwrap();
    let (state, person) = book.by_reply_code(&code).unwrap();
    assert_eq!((state.spec.id.0.as_str(), person), ("r1", "p1"));
    let answered = MessageFact::RecallAnswered {
        id: state.spec.id.clone(),
        person: person.to_owned(),
        answer,
        via: AnswerVia::Code,
    };
    let gateway = reader("passerelle-sms", "administrateur", &[]);
    record(&mut book, &gateway, T0 + 5 * MIN, answered);

    let hash = recall::sha256_hex(links[1].1.as_bytes());
    let (_, person) = book.by_link_hash(&hash).unwrap();
    assert_eq!(person, "p2");
    assert!(book.by_link_hash(&links[1].1).is_none());
    record(
        &mut book,
        &gateway,
        T0 + 6 * MIN,
        MessageFact::RecallAnswered {
            id: ItemId("r1".into()),
            person: "p2".into(),
            answer: RecallAnswer::Unavailable,
            via: AnswerVia::Link,
        },
    );
    record(
        &mut book,
        &gateway,
        T0 + 6 * MIN,
        MessageFact::RecallNotified {
            id: ItemId("r1".into()),
            person: "p3".into(),
            failure: Some("numéro injoignable".into()),
        },
    );

    let (_, state) = book.recall("r1").unwrap();
    assert_eq!(
        state.answers["p1"].answer,
        RecallAnswer::Coming { eta_min: Some(25) }
    );
    let counts = state.counts();
    assert_eq!(counts.len(), 2);
    assert_eq!(counts[0].role, "infirmier");
    assert_eq!(
        (
            counts[0].called,
            counts[0].coming,
            counts[0].within_hour,
            counts[0].unavailable
        ),
        (2, 1, 1, 1)
    );
    assert_eq!(
        (
            counts[1].role.as_str(),
            counts[1].silent,
            counts[1].unreachable
        ),
        ("medecin", 1, 1)
    );

    // A later recall may not reuse a code; nobody outside the recall answers.
    let again = recall::build(
        ItemId("r2".into()),
        "Encore",
        &roles,
        &[],
        &people[..1],
        || ("482913".into(), "s".into()),
    )
    .unwrap()
    .0;
    let refused = refusal(&book, &director(), &MessageFact::RecallStarted(again));
    assert!(refused.contains("Claire Dubois"), "{refused}");
    let stranger = MessageFact::RecallAnswered {
        id: ItemId("r1".into()),
        person: "p9".into(),
        answer: RecallAnswer::Unavailable,
        via: AnswerVia::Operator,
    };
    assert!(refusal(&book, &director(), &stranger).contains("pas été rappelée"));
    assert!(book.by_reply_code("999999").is_none());
}

#[test]
fn the_purge_empties_old_messages_and_keeps_recent_ones() {
    let mut book = new_book();
    let nurse = nurse_rea();
    let day = 24 * 60 * MIN;
    record(
        &mut book,
        &nurse,
        T0,
        post("old", "unite:REA", None, "Ancienne consigne"),
    );
    record(
        &mut book,
        &nurse,
        T0 + MIN,
        MessageFact::Edited {
            id: ItemId("old".into()),
            text: "Ancienne consigne corrigée".into(),
            mentions: Vec::new(),
        },
    );
    record(
        &mut book,
        &nurse,
        T0 + 10 * day,
        post("new", "unite:REA", None, "Nouvelle consigne"),
    );
    book.apply(&event(
        "",
        T0 + 11 * day,
        MessageFact::Purged {
            before_ms: T0 + day,
            messages: 1,
            attachments: 0,
        },
    ));
    let (_, old) = book.message("old").unwrap();
    assert!(old.purged);
    assert!(old.post.text.is_empty() && old.versions.is_empty());
    let (_, new) = book.message("new").unwrap();
    assert!(!new.purged);
    assert_eq!(new.post.text, "Nouvelle consigne");
    let found: Vec<&str> = book
        .search(&nurse, "consigne", 10)
        .iter()
        .map(|(_, m)| m.post.id.0.as_str())
        .collect();
    assert_eq!(found, ["new"]);
    let edit = MessageFact::Edited {
        id: ItemId("old".into()),
        text: "Retour".into(),
        mentions: Vec::new(),
    };
    assert!(refusal(&book, &nurse, &edit).contains("conservation"));
    assert!(matches!(
        book.entries_after(book.seq() - 1)[0].change,
        Change::Purged
    ));
}
