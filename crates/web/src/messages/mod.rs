//! Secure messaging, shared by both capsules: channels of the establishment
//! and channels opened by hand, direct messages and groups (`channels`),
//! the live stream every page listens to (`stream`), priority broadcasts
//! with their acknowledgements and escalation (`broadcasts`), and the recall
//! of off-duty staff (`recall`).
//!
//! Everything written here is a [`MessageFact`] event committed to the
//! store; what pages show is the [`MessageBook`] folded from those events,
//! which the [`MessageHub`] keeps in memory and catches up with the log
//! like the crisis hub does. Every commit publishes the book's new number
//! on a `watch` channel: each open stream then sends its browser the
//! entries it may see, in order, each with its number as the event id.
//!
//! **Invariant:** a fact is checked against the book
//! ([`MessageBook::check`]) under the hub's write lock, then committed, then
//! folded in.

mod broadcast_text;
mod broadcasts;
mod channels;
mod escalation;
mod forms;
mod recall;
mod render;
mod report;
mod stream;
mod text;

/// The broadcast and recall catalog, registered in `crate::i18n::CATALOGS`.
pub(crate) use broadcast_text::CATALOG as BROADCAST_TEXT;
pub(crate) use broadcasts::{
    acknowledge_submit, broadcast_form, broadcast_page, broadcast_submit, broadcasts_page,
};
pub(crate) use channels::{
    attachment, channel_page, edit_submit, export_csv, home_page, members_submit, message_page,
    open_submit, pin_submit, post_submit, read_submit, retract_submit, search_page,
};
pub use escalation::escalation_round;
pub(crate) use recall::{
    answer_submit, api_answer, link_page, link_submit, recall_form, recall_page, recall_submit,
    recalls_page,
};
pub(crate) use report::section as report_section;
pub(crate) use report::{Section as ReportSection, html as report_html, pdf as report_pdf};
pub(crate) use stream::stream;
/// The messaging catalog, registered in `crate::i18n::CATALOGS`.
pub(crate) use text::CATALOG;

use std::collections::HashMap;
use std::sync::Arc;

use ckisa_auth::{Account, Role, Scope};
use ckisa_domain::{Actor, EventId, HlcClock, ItemId, MessageFact, NodeId};
use ckisa_messaging::book::{MessageBook, Reader, Units};
use ckisa_messaging::ledger::{self, RecordError};
use ckisa_messaging::retention;
use ckisa_messaging::settings::Settings;
use tokio::sync::{Mutex, RwLock, RwLockReadGuard, watch};

use crate::AppState;
use crate::access::{Audited, Caller};
use crate::error::AppError;
use crate::synced::Synced;

/// How long the list of accounts is kept before it is read again.
const PEOPLE_EVERY_MS: u64 = 5_000;

/// The messaging book of the node, kept up to date with the log.
pub(crate) struct MessageHub {
    /// `None` until the first sync reads the units the unit channels are
    /// made of.
    book: RwLock<Option<MessageBook>>,
    settings: Arc<Settings>,
    /// When the book last caught up with the log.
    synced: Synced,
    /// One catch-up or write at a time.
    writing: Mutex<()>,
    clock: HlcClock,
    /// The book's last entry number, for the live streams.
    published: watch::Sender<u64>,
    /// The accounts, as last read, and when (ms since `started`).
    people: std::sync::RwLock<(Arc<People>, u64)>,
}

impl MessageHub {
    pub(crate) fn new(settings: Arc<Settings>) -> MessageHub {
        MessageHub {
            book: RwLock::new(None),
            settings,
            synced: Synced::new(),
            writing: Mutex::new(()),
            clock: HlcClock::new(60_000),
            published: watch::Sender::new(0),
            people: std::sync::RwLock::new((Arc::new(People::default()), 0)),
        }
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// A receiver of the book's last entry number.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.published.subscribe()
    }
}

/// One account as messaging shows it.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) login: String,
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) scope: Scope,
    pub(crate) disabled: bool,
}

impl Person {
    pub(crate) fn reader(&self) -> Reader {
        reader_of(&self.login, self.role, &self.scope)
    }
}

/// The accounts of the node, for names, recipients and mentions.
#[derive(Debug, Default)]
pub(crate) struct People {
    pub(crate) all: Vec<Person>,
    index: HashMap<String, usize>,
}

impl People {
    fn of(accounts: Vec<Account>) -> People {
        let mut all: Vec<Person> = accounts
            .into_iter()
            .map(|a| Person {
                login: a.login,
                name: a.display_name,
                role: a.role,
                scope: a.scope,
                disabled: a.disabled,
            })
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name).then(a.login.cmp(&b.login)));
        let index = all
            .iter()
            .enumerate()
            .map(|(i, p)| (p.login.clone(), i))
            .collect();
        People { all, index }
    }

    pub(crate) fn get(&self, login: &str) -> Option<&Person> {
        self.index.get(login).map(|&i| &self.all[i])
    }

    /// The person's name, or the login when the account is gone.
    pub(crate) fn name(&self, login: &str) -> String {
        self.get(login)
            .map_or_else(|| login.to_owned(), |p| p.name.clone())
    }

    /// The active unit managers whose units list `unit`.
    pub(crate) fn managers_of(&self, unit: &str) -> Vec<String> {
        self.all
            .iter()
            .filter(|p| !p.disabled && p.role == Role::UnitManager)
            .filter(|p| matches!(&p.scope, Scope::Units(codes) if codes.iter().any(|c| c == unit)))
            .map(|p| p.login.clone())
            .collect()
    }
}

/// An account as the messaging book sees it.
pub(crate) fn reader_of(login: &str, role: Role, scope: &Scope) -> Reader {
    Reader {
        login: login.to_owned(),
        role: role.code().to_owned(),
        units: match scope {
            Scope::AllUnits => Units::All,
            Scope::Units(codes) => Units::Only(codes.clone()),
        },
    }
}

/// The caller as a reader of messages: people only (an API token reads no
/// message).
pub(crate) fn reader(caller: &Caller) -> Result<Reader, AppError> {
    let session = caller.session().ok_or(AppError::Forbidden)?;
    Ok(reader_of(
        &session.account.login,
        session.account.role,
        &session.account.scope,
    ))
}

/// What every page's header shows of the messaging.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    /// Unread messages over the person's channels.
    pub(crate) unread: usize,
    /// Broadcasts the person still has to acknowledge.
    pub(crate) to_acknowledge: usize,
    /// Broadcasts escalated to the person (a unit manager) that people of
    /// her units have still not acknowledged.
    pub(crate) escalated: usize,
}

impl Counts {
    /// The counts of `reader` in `book`.
    pub(crate) fn of(book: &MessageBook, reader: &Reader) -> Counts {
        Counts {
            unread: book.unread_total(reader),
            to_acknowledge: book.to_acknowledge(&reader.login).len(),
            escalated: broadcasts::watched_count(book, reader),
        }
    }
}

impl AppState {
    pub(crate) fn messages(&self) -> &MessageHub {
        &self.inner.messages
    }

    /// Catches the book up with the log when this process's store moved or
    /// every [`RESYNC_EVERY_MS`](crate::synced::RESYNC_EVERY_MS); builds it on first use.
    pub(crate) async fn messages_sync(&self) -> Result<(), AppError> {
        let hub = self.messages();
        let generation = self.inner.store.generation();
        if hub.synced.is_current(generation) {
            return Ok(());
        }
        let _writing = hub.writing.lock().await;
        if hub.synced.is_current(generation) {
            return Ok(());
        }
        self.messages_catch_up(generation).await
    }

    /// Reads what the book has not seen and folds it in; the caller holds
    /// `writing`.
    async fn messages_catch_up(&self, generation: u64) -> Result<(), AppError> {
        let hub = self.messages();
        let built = hub.book.read().await.is_some();
        if !built {
            let settings = Arc::clone(&hub.settings);
            let book = self
                .read(move |store| {
                    let units: Vec<(String, String)> = store
                        .units()?
                        .into_iter()
                        .filter(|u| u.code != ckisa_store::UNLOCATED_UNIT)
                        .map(|u| (u.code, u.name))
                        .collect();
                    let mut book = MessageBook::new(settings.channels(&units));
                    ledger::catch_up(&mut book, store)?;
                    Ok(book)
                })
                .await?;
            *hub.book.write().await = Some(book);
        } else {
            let last = hub
                .book
                .read()
                .await
                .as_ref()
                .and_then(MessageBook::last_event);
            let events = self
                .read(move |store| ledger::new_events(store, last))
                .await?;
            if !events.is_empty() {
                let mut guard = hub.book.write().await;
                if let Some(book) = guard.as_mut() {
                    for event in &events {
                        book.apply(event);
                    }
                }
            }
        }
        let seq = hub.book.read().await.as_ref().map_or(0, MessageBook::seq);
        hub.published
            .send_if_modified(|held| std::mem::replace(held, seq) != seq);
        hub.synced.mark(generation);
        Ok(())
    }

    /// The book, caught up with the log.
    pub(crate) async fn messages_book(&self) -> Result<RwLockReadGuard<'_, MessageBook>, AppError> {
        self.messages_sync().await?;
        let guard = self.messages().book.read().await;
        RwLockReadGuard::try_map(guard, Option::as_ref).map_err(|_| not_loaded())
    }

    /// The accounts, read again when older than [`PEOPLE_EVERY_MS`].
    pub(crate) async fn people(&self) -> Result<Arc<People>, AppError> {
        let hub = self.messages();
        {
            let held = hub
                .people
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if held.1 != 0 && hub.synced.elapsed_ms() < held.1 + PEOPLE_EVERY_MS {
                return Ok(Arc::clone(&held.0));
            }
        }
        let accounts = self
            .directory(|directory, _| directory.accounts())
            .await?
            .map_err(|_| AppError::SecurityStore)?;
        let people = Arc::new(People::of(accounts));
        let mut held = hub
            .people
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *held = (Arc::clone(&people), hub.synced.elapsed_ms().max(1));
        Ok(people)
    }

    /// The counts a page header shows; zero when the book cannot be read
    /// (logged: a page must not fail for its header).
    pub(crate) async fn message_counts(&self, caller: &Caller) -> Counts {
        let Ok(reader) = reader(caller) else {
            return Counts::default();
        };
        match self.messages_book().await {
            Ok(book) => Counts::of(&book, &reader),
            Err(error) => {
                tracing::warn!(%error, "messaging book unreadable for the page header");
                Counts::default()
            }
        }
    }

    /// Checks `fact` of `caller` against the book, commits it, folds it in
    /// and wakes the live streams. A refusal is [`AppError::Refused`]
    /// carrying the French reason. Audited under `action`.
    pub(crate) async fn message_record(
        &self,
        caller: &Caller,
        action: ckisa_auth::Action,
        fact: MessageFact,
    ) -> Result<(), AppError> {
        let reader = reader(caller)?;
        let audited = (fact.kind(), summary(&fact));
        self.message_commit(&reader, Actor::User(reader.login.clone()), "web", fact)
            .await?;
        caller.audit(
            self,
            Audited::allowed(action)
                .target(audited.0)
                .detail(&audited.1),
        );
        Ok(())
    }

    /// Checks and commits a fact as `actor` (a person, or the node itself
    /// for escalations, recall answers by link and hook outcomes), with
    /// `reader` standing for the actor in the book's checks.
    pub(crate) async fn message_commit(
        &self,
        reader: &Reader,
        actor: Actor,
        origin: &'static str,
        fact: MessageFact,
    ) -> Result<(), AppError> {
        let hub = self.messages();
        let _writing = hub.writing.lock().await;
        self.messages_catch_up(self.inner.store.generation())
            .await?;
        {
            let guard = hub.book.read().await;
            let book = guard.as_ref().ok_or_else(not_loaded)?;
            book.check(reader, &fact)
                .map_err(|refusal| AppError::Refused(refusal.0))?;
        }
        let now = self.now_ms();
        let hlc = hub.clock.tick(u64::try_from(now).unwrap_or(0));
        let node = NodeId(self.config().node_id.clone());
        let event = ledger::event(actor, &node, origin, fact, hlc);
        let committed = self
            .read(move |store| Ok(ledger::commit(store, event, now)))
            .await?;
        match committed {
            Ok(()) => {}
            Err(RecordError::StoreRefused(reason)) => return Err(AppError::Refused(reason)),
            Err(RecordError::Refused(refusal)) => return Err(AppError::Refused(refusal.0)),
            Err(RecordError::Store(error)) => return Err(AppError::Store(error)),
        }
        self.messages_catch_up(self.inner.store.generation()).await
    }
}

/// Purges the message bodies and attachments older than the retention
/// policy (`[messagerie] conservation_jours`) and records the purge;
/// returns how many messages were emptied. Run hourly by the node.
pub async fn retention_round(state: &AppState) -> Result<u64, AppError> {
    let hub = state.messages();
    let before_ms = retention::cutoff(state.now_ms(), hub.settings.retention_days);
    let _writing = hub.writing.lock().await;
    let purge = state
        .read(move |store| {
            let events = ledger::new_events(store, None)?;
            Ok(retention::plan(&events, before_ms))
        })
        .await?;
    if purge.rewrites.is_empty() && purge.attachments.is_empty() {
        return Ok(0);
    }
    let messages = purge.messages;
    let now = state.now_ms();
    let fact = MessageFact::Purged {
        before_ms,
        messages,
        attachments: u64::try_from(purge.attachments.len()).unwrap_or(u64::MAX),
    };
    let hlc = hub.clock.tick(u64::try_from(now).unwrap_or(0));
    let node = NodeId(state.config().node_id.clone());
    let event = ledger::event(Actor::System, &node, "noeud", fact, hlc);
    state
        .read(move |store| {
            store.rewrite_events(purge.rewrites)?;
            store.delete_attachments(&purge.attachments)?;
            ledger::commit(store, event, now).map_err(|error| match error {
                ledger::RecordError::Store(error) => error,
                other => ckisa_store::StoreError::Database(Box::new(other)),
            })
        })
        .await?;
    state
        .messages_catch_up(state.inner.store.generation())
        .await?;
    Ok(messages)
}

/// What the audit entry of a messaging fact says: ids and counts, not the
/// text (which stays in the log).
fn summary(fact: &MessageFact) -> String {
    match fact {
        MessageFact::ChannelOpened(spec) => spec.id.clone(),
        MessageFact::MembersAdded { channel, logins } => {
            format!("{channel} +{}", logins.join(","))
        }
        MessageFact::Posted(post) => format!("{} {}", post.channel, post.id.0),
        MessageFact::Edited { id, .. }
        | MessageFact::Retracted { id, .. }
        | MessageFact::Pinned { id, .. }
        | MessageFact::BroadcastRead { id }
        | MessageFact::BroadcastAcknowledged { id }
        | MessageFact::Escalated { id, .. }
        | MessageFact::RecallNotified { id, .. }
        | MessageFact::RecallAnswered { id, .. } => id.0.clone(),
        MessageFact::ChannelRead { channel, seq } => format!("{channel} {seq}"),
        MessageFact::BroadcastSent(b) => {
            format!("{} {} destinataires", b.id.0, b.recipients.len())
        }
        MessageFact::RecallStarted(r) => format!("{} {} personnes", r.id.0, r.people.len()),
        MessageFact::Purged { messages, .. } => format!("{messages} messages"),
    }
}

/// Largest request body of a message form: the attachment limit and room
/// for the text and the multipart framing.
pub(crate) fn upload_limit(state: &AppState) -> usize {
    let attachment = state.messages().settings().attachment_max_bytes;
    usize::try_from(attachment).unwrap_or(usize::MAX / 2) + FORM_ROOM
}

/// Room for the text and the multipart framing beside an attachment.
pub(crate) const FORM_ROOM: usize = 64 * 1024;

/// A fresh id (UUIDv7 text) for a message, broadcast, recall or channel.
pub(crate) fn new_id(now_ms: i64) -> ItemId {
    ItemId(EventId::new(u64::try_from(now_ms).unwrap_or(0)).to_string())
}

/// The book is built by the first sync, which failed if it is missing.
fn not_loaded() -> AppError {
    AppError::Refused("La messagerie n'est pas encore chargée : réessayez.".to_owned())
}
