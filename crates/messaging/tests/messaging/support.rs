//! Events, readers and the establishment shared by the tests.

use ckisa_domain::{
    Actor, Broadcast, Event, EventId, Fact, Hlc, ItemId, MessageFact, NodeId, Post, Priority,
    Recipient, Source, SourceChannel,
};
use ckisa_messaging::book::ChannelDef;
use ckisa_messaging::settings::Settings;
use ckisa_messaging::{MessageBook, Reader, Units};

/// 04/12/2026 08:00 Paris.
pub(crate) const T0: i64 = 1_796_367_600_000;
pub(crate) const MIN: i64 = 60_000;

/// An event of `actor` at `at_ms` recording `fact`.
pub(crate) fn event(actor: &str, at_ms: i64, fact: MessageFact) -> Event {
    let at = u64::try_from(at_ms).expect("test times are after 1970");
    Event {
        id: EventId::new(at),
        hlc: Hlc::new(at, 0),
        origin: NodeId("test".into()),
        actor: Actor::User(actor.into()),
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

/// The channels of an establishment of two units (CARDIO, REA) with the
/// default cell and services.
pub(crate) fn channels() -> Vec<ChannelDef> {
    Settings::default().channels(&[
        ("CARDIO".to_owned(), "Cardiologie".to_owned()),
        ("REA".to_owned(), "Réanimation".to_owned()),
    ])
}

pub(crate) fn new_book() -> MessageBook {
    MessageBook::new(channels())
}

/// An account of `role` in `units` (none: every unit).
pub(crate) fn reader(login: &str, role: &str, units: &[&str]) -> Reader {
    Reader {
        login: login.into(),
        role: role.into(),
        units: if units.is_empty() {
            Units::All
        } else {
            Units::Only(units.iter().map(|u| (*u).to_owned()).collect())
        },
    }
}

pub(crate) fn nurse_cardio() -> Reader {
    reader("ide-cardio", "infirmier", &["CARDIO"])
}

pub(crate) fn nurse_rea() -> Reader {
    reader("ide-rea", "infirmier", &["REA"])
}

pub(crate) fn pharmacist() -> Reader {
    reader("pharma", "pharmacien", &[])
}

pub(crate) fn director() -> Reader {
    reader("directeur", "directeur-crise", &[])
}

/// A message `id` in `channel`, answering `reply_to`.
pub(crate) fn post(id: &str, channel: &str, reply_to: Option<&str>, text: &str) -> MessageFact {
    MessageFact::Posted(Post {
        id: ItemId(id.into()),
        channel: channel.into(),
        reply_to: reply_to.map(|r| ItemId(r.into())),
        text: text.into(),
        mentions: Vec::new(),
        attachment: None,
    })
}

/// Checks `fact` of `reader` at `at_ms`, then folds it in.
pub(crate) fn record(book: &mut MessageBook, reader: &Reader, at_ms: i64, fact: MessageFact) {
    book.check(reader, &fact)
        .unwrap_or_else(|refusal| panic!("{fact:?} refused: {refusal}"));
    book.apply(&event(&reader.login, at_ms, fact));
}

pub(crate) fn recipient(login: &str, role: &str, units: &[&str]) -> Recipient {
    Recipient {
        login: login.into(),
        name: login.into(),
        role: role.into(),
        units: units.iter().map(|u| (*u).to_owned()).collect(),
    }
}

/// An urgent broadcast `id` to `recipients`.
pub(crate) fn broadcast(id: &str, recipients: Vec<Recipient>) -> MessageFact {
    MessageFact::BroadcastSent(Broadcast {
        id: ItemId(id.into()),
        priority: Priority::Urgent,
        text: "Passage en mode dégradé : papier pour toutes les prescriptions".into(),
        roles: vec!["cadre".into(), "infirmier".into()],
        units: Vec::new(),
        everyone: false,
        recipients,
        manager_after_min: Some(10),
        hook_after_min: Some(20),
    })
}
