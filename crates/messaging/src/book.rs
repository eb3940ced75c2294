//! The fold of messaging events: channels and who belongs to them,
//! messages with their threads, edits, retractions and pins, read markers,
//! broadcasts with who read and acknowledged them, escalations, and staff
//! recalls with their answers.
//!
//! Every applied event gets the next number of the messaging log (`seq`,
//! from 1): the live stream of a browser resumes after the last number it
//! saw, so it gets what it missed, in order, once.
//!
//! [`MessageBook::apply`] accepts whatever the log holds (two nodes folding
//! the same events get the same book); [`MessageBook::check`] refuses what
//! makes no sense before it is recorded.

use std::collections::{BTreeSet, HashMap};

use ckisa_domain::{
    AnswerVia, Broadcast, ChannelKind, ChannelSpec, EscalationStage, Event, EventId, Fact, ItemId,
    Mention, MessageFact, Post, Recall, RecallAnswer,
};

use crate::text;

/// Why a messaging fact is refused (a French sentence).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

fn refuse<T>(text: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(text.into()))
}

/// Most people in a group conversation.
pub const MAX_GROUP: usize = 20;

/// The units an account works in, as far as messaging is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Units {
    /// Every unit (pharmacists, lab, on-call physicians): members of no unit
    /// channel unless added.
    All,
    /// These unit codes.
    Only(Vec<String>),
}

impl Units {
    /// The unit codes listed, none for [`Units::All`].
    pub fn listed(&self) -> &[String] {
        match self {
            Units::All => &[],
            Units::Only(codes) => codes,
        }
    }
}

/// Who reads or writes: an account as messaging sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    /// The login.
    pub login: String,
    /// The role code.
    pub role: String,
    /// The units.
    pub units: Units,
}

/// Where a channel comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// One per unit of the establishment.
    Unit,
    /// The crisis cell's.
    Cell,
    /// A support service's (pharmacy, lab, imaging, biomedical, IT).
    Service,
    /// Opened by hand.
    Opened(ChannelKind),
}

/// A channel of the establishment config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelDef {
    /// Its id (`unite:CARDIO`, `cellule`, `service:pharmacie`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Unit, cell or service.
    pub origin: Origin,
    /// Role codes whose holders are members.
    pub roles: Vec<String>,
    /// Units whose staff are members.
    pub units: Vec<String>,
    /// Logins who are members.
    pub members: Vec<String>,
}

/// A channel and what it holds.
#[derive(Debug, Clone)]
pub struct Channel {
    /// How it is defined.
    pub def: ChannelDef,
    /// Logins added by hand (and the opener of a channel opened by hand).
    pub added: BTreeSet<String>,
    /// Who opened it (channels opened by hand).
    pub opened_by: Option<String>,
    /// Its messages, by index in the book, in log order (replies too).
    pub posts: Vec<usize>,
    /// The seq of each of `posts`, for unread counts.
    post_seqs: Vec<u64>,
}

impl Channel {
    fn new(def: ChannelDef) -> Channel {
        Channel {
            def,
            added: BTreeSet::new(),
            opened_by: None,
            posts: Vec::new(),
            post_seqs: Vec::new(),
        }
    }

    /// Whether `reader` belongs to the channel.
    pub fn has_member(&self, reader: &Reader) -> bool {
        self.def.roles.contains(&reader.role)
            || reader
                .units
                .listed()
                .iter()
                .any(|u| self.def.units.contains(u))
            || self.def.members.contains(&reader.login)
            || self.added.contains(&reader.login)
    }

    /// Whether the login was named as a member (config, opening or added by
    /// hand), whatever their role and units.
    pub fn names(&self, login: &str) -> bool {
        self.def.members.iter().any(|m| m == login) || self.added.contains(login)
    }
}

/// A previous text of an edited message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The number of the edit that replaced it in the messaging log.
    pub seq: u64,
    /// When it was replaced, ms since the Unix epoch.
    pub replaced_ms: i64,
    /// The text it had.
    pub text: String,
    /// The mentions of that text.
    pub mentions: Vec<Mention>,
}

/// A withdrawn message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retraction {
    /// Its number in the messaging log.
    pub seq: u64,
    /// Who withdrew it.
    pub by: String,
    /// When, ms since the Unix epoch.
    pub at_ms: i64,
    /// Why.
    pub reason: String,
}

/// A message as it stands.
#[derive(Debug, Clone)]
pub struct Message {
    /// Its number in the messaging log.
    pub seq: u64,
    /// When it was posted, ms since the Unix epoch.
    pub at_ms: i64,
    /// Its author's login.
    pub author: String,
    /// The message as posted, with its current text and mentions.
    pub post: Post,
    /// Earlier texts, oldest first (empty: never edited).
    pub versions: Vec<Version>,
    /// When it was last edited.
    pub edited_ms: Option<i64>,
    /// Set when withdrawn.
    pub retracted: Option<Retraction>,
    /// Pinned to its channel.
    pub pinned: bool,
    /// Replies, by index in the book (first messages of a thread only).
    pub replies: Vec<usize>,
    /// The text folded for the search, patient tokens left out.
    folded: String,
    /// Emptied by the retention policy.
    pub purged: bool,
}

/// One escalation of a broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// Which stage.
    pub stage: EscalationStage,
    /// When, ms since the Unix epoch.
    pub at_ms: i64,
    /// Who had not acknowledged.
    pub pending: Vec<String>,
    /// Who was told.
    pub notified: Vec<String>,
    /// What went wrong with the hook.
    pub failure: Option<String>,
}

/// A broadcast and who read and acknowledged it.
#[derive(Debug, Clone)]
pub struct BroadcastState {
    /// Its number in the messaging log.
    pub seq: u64,
    /// Who sent it.
    pub author: String,
    /// When, ms since the Unix epoch.
    pub sent_ms: i64,
    /// The broadcast as sent.
    pub spec: Broadcast,
    /// When each recipient first opened it.
    pub read: HashMap<String, i64>,
    /// When each recipient acknowledged it.
    pub acknowledged: HashMap<String, i64>,
    /// Escalations run, in order.
    pub escalations: Vec<Escalation>,
}

impl BroadcastState {
    /// Whether the login is a recipient.
    pub fn is_recipient(&self, login: &str) -> bool {
        self.spec.recipients.iter().any(|r| r.login == login)
    }

    /// Recipients who have not acknowledged, in the order sent.
    pub fn pending(&self) -> Vec<&str> {
        self.spec
            .recipients
            .iter()
            .filter(|r| !self.acknowledged.contains_key(&r.login))
            .map(|r| r.login.as_str())
            .collect()
    }

    /// Whether a stage already ran.
    pub fn escalated(&self, stage: EscalationStage) -> bool {
        self.escalations.iter().any(|e| e.stage == stage)
    }

    /// The tally per unit: a row per unit of the recipients (a recipient of
    /// several units counts in each), then one for those of no unit.
    pub fn tally(&self) -> Vec<TallyRow> {
        let mut rows: Vec<TallyRow> = Vec::new();
        for recipient in &self.spec.recipients {
            let units: Vec<&str> = if recipient.units.is_empty() {
                vec![""]
            } else {
                recipient.units.iter().map(String::as_str).collect()
            };
            for unit in units {
                let index = match rows.iter().position(|r| r.unit == unit) {
                    Some(index) => index,
                    None => {
                        rows.push(TallyRow {
                            unit: unit.to_owned(),
                            ..TallyRow::default()
                        });
                        rows.len() - 1
                    }
                };
                let row = &mut rows[index];
                row.recipients += 1;
                if self.read.contains_key(&recipient.login) {
                    row.read += 1;
                }
                if self.acknowledged.contains_key(&recipient.login) {
                    row.acknowledged += 1;
                } else {
                    row.pending.push(recipient.login.clone());
                }
            }
        }
        rows.sort_by(|a, b| (a.unit.is_empty(), &a.unit).cmp(&(b.unit.is_empty(), &b.unit)));
        rows
    }
}

/// How a broadcast stands in one unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TallyRow {
    /// The unit code (empty: recipients of no unit).
    pub unit: String,
    /// How many recipients.
    pub recipients: usize,
    /// How many opened it.
    pub read: usize,
    /// How many acknowledged it.
    pub acknowledged: usize,
    /// Who has not acknowledged yet, by login.
    pub pending: Vec<String>,
}

/// One answer to a recall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// What was answered.
    pub answer: RecallAnswer,
    /// How.
    pub via: AnswerVia,
    /// When, ms since the Unix epoch.
    pub at_ms: i64,
}

/// A recall and its answers.
#[derive(Debug, Clone)]
pub struct RecallState {
    /// Its number in the messaging log.
    pub seq: u64,
    /// Who started it.
    pub author: String,
    /// When, ms since the Unix epoch.
    pub started_ms: i64,
    /// The recall as started.
    pub spec: Recall,
    /// The hook's outcome per person (`None`: called; `Some`: failed).
    pub notified: HashMap<String, Option<String>>,
    /// The last answer of each person.
    pub answers: HashMap<String, Answer>,
    /// Every hook outcome in log order: person, outcome, when (ms).
    pub notified_log: Vec<(String, Option<String>, i64)>,
    /// Every answer in log order, by person (a later one replaces an
    /// earlier one in [`RecallState::answers`]).
    pub answer_log: Vec<(String, Answer)>,
}

/// How many people of one role a recall reached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecallCount {
    /// The role code.
    pub role: String,
    /// How many were called.
    pub called: usize,
    /// How many are coming.
    pub coming: usize,
    /// Of those, how many said they arrive within the hour (a person
    /// coming without a time is not counted here).
    pub within_hour: usize,
    /// How many cannot come.
    pub unavailable: usize,
    /// How many have not answered.
    pub silent: usize,
    /// How many the hook could not reach.
    pub unreachable: usize,
}

impl RecallState {
    /// The counts per role, in the order the roles were called.
    pub fn counts(&self) -> Vec<RecallCount> {
        self.counts_until(i64::MAX)
    }

    /// The counts per role as they stood at `to_ms` (included): answers and
    /// hook outcomes logged later are left out.
    pub fn counts_until(&self, to_ms: i64) -> Vec<RecallCount> {
        let mut answers: HashMap<&str, RecallAnswer> = HashMap::new();
        for (person, answer) in self.answer_log.iter().filter(|(_, a)| a.at_ms <= to_ms) {
            answers.insert(person, answer.answer);
        }
        let mut unreachable: HashMap<&str, bool> = HashMap::new();
        for (person, failure, _) in self.notified_log.iter().filter(|n| n.2 <= to_ms) {
            unreachable.insert(person, failure.is_some());
        }
        let mut rows: Vec<RecallCount> = Vec::new();
        for person in &self.spec.people {
            let index = match rows.iter().position(|r| r.role == person.role) {
                Some(index) => index,
                None => {
                    rows.push(RecallCount {
                        role: person.role.clone(),
                        ..RecallCount::default()
                    });
                    rows.len() - 1
                }
            };
            let row = &mut rows[index];
            row.called += 1;
            match answers.get(person.person.as_str()) {
                Some(RecallAnswer::Coming { eta_min }) => {
                    row.coming += 1;
                    if eta_min.is_some_and(|eta| eta <= 60) {
                        row.within_hour += 1;
                    }
                }
                Some(RecallAnswer::Unavailable) => row.unavailable += 1,
                None => row.silent += 1,
            }
            if unreachable.get(person.person.as_str()) == Some(&true) {
                row.unreachable += 1;
            }
        }
        rows
    }
}

/// What an entry of the messaging log changed, for the live streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A channel opened by hand, or members added to it.
    Channel(String),
    /// A message posted, by index in the book.
    Posted(usize),
    /// A message edited, withdrawn, pinned or unpinned.
    Updated(usize),
    /// Someone read a channel up to here.
    Read {
        /// Who.
        login: String,
        /// Which channel.
        channel: String,
    },
    /// A broadcast sent, by index.
    Broadcast(usize),
    /// A broadcast read, acknowledged or escalated, by index.
    Tally(usize),
    /// A recall started or answered, by index.
    Recall(usize),
    /// Old messages were emptied.
    Purged,
}

/// One entry of the messaging log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its number.
    pub seq: u64,
    /// Who wrote it.
    pub actor: String,
    /// What it changed.
    pub change: Change,
}

/// The messaging as the log tells it.
#[derive(Debug, Clone, Default)]
pub struct MessageBook {
    channels: Vec<Channel>,
    channel_index: HashMap<String, usize>,
    messages: Vec<Message>,
    message_index: HashMap<String, usize>,
    /// Last message seq read, per (login, channel).
    reads: HashMap<(String, String), u64>,
    broadcasts: Vec<BroadcastState>,
    broadcast_index: HashMap<String, usize>,
    /// Broadcasts per recipient login.
    inbox: HashMap<String, Vec<usize>>,
    recalls: Vec<RecallState>,
    recall_index: HashMap<String, usize>,
    /// (recall, person) per reply code and per link hash.
    by_code: HashMap<String, (usize, String)>,
    by_link: HashMap<String, (usize, String)>,
    journal: Vec<Entry>,
    seq: u64,
    last_event: Option<EventId>,
}

impl MessageBook {
    /// A book over the channels of the establishment config.
    pub fn new(configured: Vec<ChannelDef>) -> MessageBook {
        let mut book = MessageBook::default();
        for def in configured {
            book.add_channel(Channel::new(def));
        }
        book
    }

    fn add_channel(&mut self, channel: Channel) -> usize {
        let index = self.channels.len();
        self.channel_index.insert(channel.def.id.clone(), index);
        self.channels.push(channel);
        index
    }

    /// The last event folded in.
    pub fn last_event(&self) -> Option<EventId> {
        self.last_event
    }

    /// The number of the last entry of the messaging log (0: none).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Entries after `seq`, in order.
    pub fn entries_after(&self, seq: u64) -> &[Entry] {
        let start = self.journal.partition_point(|e| e.seq <= seq);
        &self.journal[start..]
    }

    /// Every channel, configured ones first.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// A channel by id.
    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.channel_index.get(id).map(|&i| &self.channels[i])
    }

    /// The channels `reader` belongs to.
    pub fn channels_of<'a>(&'a self, reader: &'a Reader) -> impl Iterator<Item = &'a Channel> {
        self.channels.iter().filter(|c| c.has_member(reader))
    }

    /// Whether `reader` may read the channel `id`.
    pub fn may_read(&self, id: &str, reader: &Reader) -> bool {
        self.channel(id).is_some_and(|c| c.has_member(reader))
    }

    /// A message by index.
    pub fn message_at(&self, index: usize) -> &Message {
        &self.messages[index]
    }

    /// A message by id, with its index.
    pub fn message(&self, id: &str) -> Option<(usize, &Message)> {
        self.message_index.get(id).map(|&i| (i, &self.messages[i]))
    }

    /// The messages of a channel, in order: first messages of threads only
    /// when `roots_only`.
    pub fn messages_of<'a>(
        &'a self,
        channel: &'a Channel,
        roots_only: bool,
    ) -> impl Iterator<Item = (usize, &'a Message)> + 'a {
        channel
            .posts
            .iter()
            .map(|&i| (i, &self.messages[i]))
            .filter(move |(_, m)| !roots_only || m.post.reply_to.is_none())
    }

    /// How many messages of `channel` by others `login` has not read.
    pub fn unread(&self, channel: &Channel, login: &str) -> usize {
        let read = self.read_up_to(&channel.def.id, login);
        let start = channel.post_seqs.partition_point(|&s| s <= read);
        channel.posts[start..]
            .iter()
            .filter(|&&i| self.messages[i].author != login)
            .count()
    }

    /// The seq of the last message of `channel` that `login` has read.
    pub fn read_up_to(&self, channel: &str, login: &str) -> u64 {
        self.reads
            .get(&(login.to_owned(), channel.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Unread messages over every channel of `reader`.
    pub fn unread_total(&self, reader: &Reader) -> usize {
        self.channels_of(reader)
            .map(|c| self.unread(c, &reader.login))
            .sum()
    }

    /// The seq of the last message of a channel (0: none).
    pub fn last_post_seq(&self, channel: &Channel) -> u64 {
        channel.post_seqs.last().copied().unwrap_or(0)
    }

    /// Every broadcast, oldest first.
    pub fn broadcasts(&self) -> &[BroadcastState] {
        &self.broadcasts
    }

    /// A broadcast by id, with its index.
    pub fn broadcast(&self, id: &str) -> Option<(usize, &BroadcastState)> {
        self.broadcast_index
            .get(id)
            .map(|&i| (i, &self.broadcasts[i]))
    }

    /// A broadcast by index.
    pub fn broadcast_at(&self, index: usize) -> &BroadcastState {
        &self.broadcasts[index]
    }

    /// The broadcasts sent to `login`, newest first.
    pub fn inbox(&self, login: &str) -> impl Iterator<Item = (usize, &BroadcastState)> {
        self.inbox
            .get(login)
            .into_iter()
            .flat_map(|list| list.iter().rev())
            .map(|&i| (i, &self.broadcasts[i]))
    }

    /// The broadcasts `login` still has to acknowledge, newest first.
    pub fn to_acknowledge(&self, login: &str) -> Vec<(usize, &BroadcastState)> {
        self.inbox(login)
            .filter(|(_, b)| !b.acknowledged.contains_key(login))
            .collect()
    }

    /// Every recall, oldest first.
    pub fn recalls(&self) -> &[RecallState] {
        &self.recalls
    }

    /// A recall by id, with its index.
    pub fn recall(&self, id: &str) -> Option<(usize, &RecallState)> {
        self.recall_index.get(id).map(|&i| (i, &self.recalls[i]))
    }

    /// A recall by index.
    pub fn recall_at(&self, index: usize) -> &RecallState {
        &self.recalls[index]
    }

    /// The recall and person a reply code belongs to.
    pub fn by_reply_code(&self, code: &str) -> Option<(&RecallState, &str)> {
        self.by_code
            .get(code)
            .map(|(i, person)| (&self.recalls[*i], person.as_str()))
    }

    /// The recall and person the hash of an answer link's secret belongs to.
    pub fn by_link_hash(&self, sha256: &str) -> Option<(&RecallState, &str)> {
        self.by_link
            .get(sha256)
            .map(|(i, person)| (&self.recalls[*i], person.as_str()))
    }

    /// Messages `reader` may read whose text holds every word of `query`
    /// (case and accents ignored), newest first, at most `limit`.
    pub fn search(&self, reader: &Reader, query: &str, limit: usize) -> Vec<(usize, &Message)> {
        let folded = text::fold(query);
        let mut found = Vec::new();
        for channel in self.channels_of(reader) {
            for &index in &channel.posts {
                let message = &self.messages[index];
                if message.retracted.is_none() && text::matches(&message.folded, &folded) {
                    found.push((index, message));
                }
            }
        }
        found.sort_by_key(|(_, m)| std::cmp::Reverse(m.seq));
        found.truncate(limit);
        found
    }

    /// Checks a fact `actor` wants to record now. Membership of configured
    /// channels depends on the account, so the caller passes `reader`
    /// (the actor as an account).
    pub fn check(&self, reader: &Reader, fact: &MessageFact) -> Result<(), Refusal> {
        let actor = reader.login.as_str();
        match fact {
            MessageFact::ChannelOpened(spec) => self.check_opening(actor, spec),
            MessageFact::MembersAdded { channel, logins } => {
                let Some(found) = self.channel(channel) else {
                    return refuse("Ce canal n'existe pas.");
                };
                if !found.has_member(reader) {
                    return refuse("Seuls les membres d'un canal peuvent y ajouter quelqu'un.");
                }
                if found.def.origin == Origin::Opened(ChannelKind::Direct) {
                    return refuse(
                        "On n'ajoute personne à une conversation à deux : ouvrez un groupe.",
                    );
                }
                if logins.is_empty() {
                    return refuse("Personne à ajouter.");
                }
                Ok(())
            }
            MessageFact::Posted(post) => self.check_post(reader, post),
            MessageFact::Edited { id, text, .. } => {
                let message = self.own_message(actor, id, "modifier")?;
                text::check_text(text, message.post.attachment.is_some()).map_err(sentence)?;
                if *text == message.post.text {
                    return refuse("Le texte n'a pas changé.");
                }
                Ok(())
            }
            MessageFact::Retracted { id, reason } => {
                self.own_message(actor, id, "retirer")?;
                if reason.trim().chars().count() < 3 {
                    return refuse("Dites pourquoi le message est retiré.");
                }
                Ok(())
            }
            MessageFact::Pinned { id, pinned } => {
                let Some((_, message)) = self.message(&id.0) else {
                    return refuse("Ce message n'existe pas.");
                };
                if !self.may_read(&message.post.channel, reader) {
                    return refuse("Seuls les membres du canal peuvent y épingler un message.");
                }
                if message.retracted.is_some() {
                    return refuse("Un message retiré ne s'épingle pas.");
                }
                if message.pinned == *pinned {
                    return refuse(if *pinned {
                        "Ce message est déjà épinglé."
                    } else {
                        "Ce message n'est pas épinglé."
                    });
                }
                Ok(())
            }
            MessageFact::ChannelRead { channel, .. } => {
                if self.may_read(channel, reader) {
                    Ok(())
                } else {
                    refuse("Vous n'êtes pas membre de ce canal.")
                }
            }
            MessageFact::BroadcastSent(broadcast) => {
                if self.broadcast_index.contains_key(&broadcast.id.0) {
                    return refuse("Cette diffusion existe déjà.");
                }
                text::check_text(&broadcast.text, false).map_err(sentence)?;
                if broadcast.recipients.is_empty() {
                    return refuse("Aucun compte ne correspond aux destinataires choisis.");
                }
                Ok(())
            }
            MessageFact::BroadcastRead { id } | MessageFact::BroadcastAcknowledged { id } => {
                let Some((_, broadcast)) = self.broadcast(&id.0) else {
                    return refuse("Cette diffusion n'existe pas.");
                };
                if !broadcast.is_recipient(actor) {
                    return refuse("Cette diffusion ne vous est pas adressée.");
                }
                let done = match fact {
                    MessageFact::BroadcastRead { .. } => broadcast.read.contains_key(actor),
                    _ => broadcast.acknowledged.contains_key(actor),
                };
                if done {
                    return refuse("C'est déjà noté.");
                }
                Ok(())
            }
            MessageFact::Escalated { id, stage, .. } => match self.broadcast(&id.0) {
                None => refuse("Cette diffusion n'existe pas."),
                Some((_, b)) if b.escalated(*stage) => refuse("Cette escalade a déjà eu lieu."),
                Some(_) => Ok(()),
            },
            MessageFact::RecallStarted(recall) => {
                if self.recall_index.contains_key(&recall.id.0) {
                    return refuse("Ce rappel existe déjà.");
                }
                if recall.people.is_empty() {
                    return refuse(
                        "Personne de l'annuaire de rappel ne correspond à ces critères.",
                    );
                }
                if let Some(person) = recall
                    .people
                    .iter()
                    .find(|p| self.by_code.contains_key(&p.code))
                {
                    return refuse(format!(
                        "Le code de réponse de {} sert déjà : recommencez.",
                        person.name
                    ));
                }
                Ok(())
            }
            MessageFact::RecallNotified { id, person, .. }
            | MessageFact::RecallAnswered { id, person, .. } => {
                let Some((_, recall)) = self.recall(&id.0) else {
                    return refuse("Ce rappel n'existe pas.");
                };
                if !recall.spec.people.iter().any(|p| p.person == *person) {
                    return refuse("Cette personne n'a pas été rappelée.");
                }
                Ok(())
            }
            MessageFact::Purged { .. } => Ok(()),
        }
    }

    fn check_opening(&self, actor: &str, spec: &ChannelSpec) -> Result<(), Refusal> {
        if self.channel_index.contains_key(&spec.id) {
            return refuse("Ce canal existe déjà.");
        }
        if !spec.members.iter().any(|m| m == actor) {
            return refuse("Celui qui ouvre une conversation en fait partie.");
        }
        let distinct: BTreeSet<&String> = spec.members.iter().collect();
        match spec.kind {
            ChannelKind::Direct if distinct.len() != 2 => {
                refuse("Une conversation à deux réunit deux personnes distinctes.")
            }
            ChannelKind::Group if !(3..=MAX_GROUP).contains(&distinct.len()) => refuse(format!(
                "Un groupe réunit de 3 à {MAX_GROUP} personnes ; pour deux, ouvrez une \
                 conversation."
            )),
            ChannelKind::AdHoc | ChannelKind::Group if spec.name.trim().is_empty() => {
                refuse("Donnez un nom au canal.")
            }
            _ => Ok(()),
        }
    }

    fn check_post(&self, reader: &Reader, post: &Post) -> Result<(), Refusal> {
        if self.message_index.contains_key(&post.id.0) {
            return refuse("Ce message existe déjà.");
        }
        let Some(channel) = self.channel(&post.channel) else {
            return refuse("Ce canal n'existe pas.");
        };
        if !channel.has_member(reader) {
            return refuse("Vous n'êtes pas membre de ce canal.");
        }
        text::check_text(&post.text, post.attachment.is_some()).map_err(sentence)?;
        if let Some(root) = &post.reply_to {
            match self.message(&root.0) {
                Some((_, m)) if m.post.channel != post.channel => {
                    return refuse("On répond dans le canal du message.");
                }
                Some((_, m)) if m.post.reply_to.is_some() => {
                    return refuse("On répond au premier message du fil.");
                }
                Some(_) => {}
                None => return refuse("Le message auquel vous répondez n'existe pas."),
            }
        }
        Ok(())
    }

    fn own_message(&self, actor: &str, id: &ItemId, verb: &str) -> Result<&Message, Refusal> {
        let Some((_, message)) = self.message(&id.0) else {
            return refuse("Ce message n'existe pas.");
        };
        if message.author != actor {
            return refuse(format!("Seul son auteur peut {verb} un message."));
        }
        if message.retracted.is_some() {
            return refuse("Ce message a été retiré.");
        }
        if message.purged {
            return refuse("Ce message a été effacé selon la politique de conservation.");
        }
        Ok(message)
    }

    /// Folds one event in; events of other kinds are ignored.
    pub fn apply(&mut self, event: &Event) {
        let Fact::Message(fact) = &event.fact else {
            return;
        };
        self.last_event = Some(event.id);
        let actor = match &event.actor {
            ckisa_domain::Actor::User(login) => login.clone(),
            ckisa_domain::Actor::Feed(name) => name.clone(),
            ckisa_domain::Actor::System => String::new(),
        };
        let at_ms = i64::try_from(event.hlc.unix_ms()).unwrap_or(i64::MAX);
        let seq = self.seq + 1;
        let Some(change) = self.fold(seq, &actor, at_ms, fact) else {
            return;
        };
        self.seq = seq;
        self.journal.push(Entry { seq, actor, change });
    }

    fn fold(&mut self, seq: u64, actor: &str, at_ms: i64, fact: &MessageFact) -> Option<Change> {
        match fact {
            MessageFact::ChannelOpened(spec) => {
                if self.channel_index.contains_key(&spec.id) {
                    return None;
                }
                let mut channel = Channel::new(ChannelDef {
                    id: spec.id.clone(),
                    name: spec.name.clone(),
                    origin: Origin::Opened(spec.kind),
                    roles: spec.roles.clone(),
                    units: spec.units.clone(),
                    members: spec.members.clone(),
                });
                channel.opened_by = Some(actor.to_owned());
                channel.added.insert(actor.to_owned());
                self.add_channel(channel);
                Some(Change::Channel(spec.id.clone()))
            }
            MessageFact::MembersAdded { channel, logins } => {
                let &index = self.channel_index.get(channel)?;
                self.channels[index].added.extend(logins.iter().cloned());
                Some(Change::Channel(channel.clone()))
            }
            MessageFact::Posted(post) => {
                if self.message_index.contains_key(&post.id.0) {
                    return None;
                }
                let &channel = self.channel_index.get(&post.channel)?;
                let index = self.messages.len();
                let root = post
                    .reply_to
                    .as_ref()
                    .and_then(|r| self.message_index.get(&r.0).copied());
                self.messages.push(Message {
                    seq,
                    at_ms,
                    author: actor.to_owned(),
                    folded: text::fold(&text::without_patients(&post.text, &post.mentions)),
                    post: post.clone(),
                    versions: Vec::new(),
                    edited_ms: None,
                    retracted: None,
                    pinned: false,
                    replies: Vec::new(),
                    purged: false,
                });
                self.message_index.insert(post.id.0.clone(), index);
                if let Some(root) = root {
                    self.messages[root].replies.push(index);
                }
                let channel = &mut self.channels[channel];
                channel.posts.push(index);
                channel.post_seqs.push(seq);
                // Writing in a channel reads it.
                self.reads
                    .insert((actor.to_owned(), post.channel.clone()), seq);
                Some(Change::Posted(index))
            }
            MessageFact::Edited { id, text, mentions } => {
                let &index = self.message_index.get(&id.0)?;
                let message = &mut self.messages[index];
                let old = std::mem::replace(&mut message.post.text, text.clone());
                let old_mentions = std::mem::replace(&mut message.post.mentions, mentions.clone());
                message.versions.push(Version {
                    seq,
                    replaced_ms: at_ms,
                    text: old,
                    mentions: old_mentions,
                });
                message.edited_ms = Some(at_ms);
                message.folded = text::fold(&text::without_patients(text, mentions));
                Some(Change::Updated(index))
            }
            MessageFact::Retracted { id, reason } => {
                let &index = self.message_index.get(&id.0)?;
                let message = &mut self.messages[index];
                message.retracted = Some(Retraction {
                    seq,
                    by: actor.to_owned(),
                    at_ms,
                    reason: reason.clone(),
                });
                message.pinned = false;
                Some(Change::Updated(index))
            }
            MessageFact::Pinned { id, pinned } => {
                let &index = self.message_index.get(&id.0)?;
                self.messages[index].pinned = *pinned;
                Some(Change::Updated(index))
            }
            MessageFact::ChannelRead { channel, seq: read } => {
                let key = (actor.to_owned(), channel.clone());
                let held = self.reads.entry(key).or_insert(0);
                *held = (*held).max(*read);
                Some(Change::Read {
                    login: actor.to_owned(),
                    channel: channel.clone(),
                })
            }
            MessageFact::BroadcastSent(spec) => {
                if self.broadcast_index.contains_key(&spec.id.0) {
                    return None;
                }
                let index = self.broadcasts.len();
                for recipient in &spec.recipients {
                    self.inbox
                        .entry(recipient.login.clone())
                        .or_default()
                        .push(index);
                }
                self.broadcast_index.insert(spec.id.0.clone(), index);
                self.broadcasts.push(BroadcastState {
                    seq,
                    author: actor.to_owned(),
                    sent_ms: at_ms,
                    spec: spec.clone(),
                    read: HashMap::new(),
                    acknowledged: HashMap::new(),
                    escalations: Vec::new(),
                });
                Some(Change::Broadcast(index))
            }
            MessageFact::BroadcastRead { id } | MessageFact::BroadcastAcknowledged { id } => {
                let &index = self.broadcast_index.get(&id.0)?;
                let broadcast = &mut self.broadcasts[index];
                if !broadcast.is_recipient(actor) {
                    return None;
                }
                broadcast.read.entry(actor.to_owned()).or_insert(at_ms);
                if matches!(fact, MessageFact::BroadcastAcknowledged { .. }) {
                    broadcast
                        .acknowledged
                        .entry(actor.to_owned())
                        .or_insert(at_ms);
                }
                Some(Change::Tally(index))
            }
            MessageFact::Escalated {
                id,
                stage,
                pending,
                notified,
                failure,
            } => {
                let &index = self.broadcast_index.get(&id.0)?;
                self.broadcasts[index].escalations.push(Escalation {
                    stage: *stage,
                    at_ms,
                    pending: pending.clone(),
                    notified: notified.clone(),
                    failure: failure.clone(),
                });
                Some(Change::Tally(index))
            }
            MessageFact::RecallStarted(spec) => {
                if self.recall_index.contains_key(&spec.id.0) {
                    return None;
                }
                let index = self.recalls.len();
                for person in &spec.people {
                    self.by_code
                        .insert(person.code.clone(), (index, person.person.clone()));
                    self.by_link
                        .insert(person.link_sha256.clone(), (index, person.person.clone()));
                }
                self.recall_index.insert(spec.id.0.clone(), index);
                self.recalls.push(RecallState {
                    seq,
                    author: actor.to_owned(),
                    started_ms: at_ms,
                    spec: spec.clone(),
                    notified: HashMap::new(),
                    answers: HashMap::new(),
                    notified_log: Vec::new(),
                    answer_log: Vec::new(),
                });
                Some(Change::Recall(index))
            }
            MessageFact::RecallNotified {
                id,
                person,
                failure,
            } => {
                let &index = self.recall_index.get(&id.0)?;
                let recall = &mut self.recalls[index];
                recall.notified.insert(person.clone(), failure.clone());
                recall
                    .notified_log
                    .push((person.clone(), failure.clone(), at_ms));
                Some(Change::Recall(index))
            }
            MessageFact::RecallAnswered {
                id,
                person,
                answer,
                via,
            } => {
                let &index = self.recall_index.get(&id.0)?;
                let given = Answer {
                    answer: *answer,
                    via: *via,
                    at_ms,
                };
                let recall = &mut self.recalls[index];
                recall.answers.insert(person.clone(), given);
                recall.answer_log.push((person.clone(), given));
                Some(Change::Recall(index))
            }
            MessageFact::Purged { before_ms, .. } => {
                for message in &mut self.messages {
                    if message.at_ms < *before_ms && !message.purged {
                        message.purged = true;
                        message.post.text.clear();
                        message.post.mentions.clear();
                        message.post.attachment = None;
                        message.versions.clear();
                        message.folded.clear();
                    }
                }
                for broadcast in &mut self.broadcasts {
                    if broadcast.sent_ms < *before_ms {
                        broadcast.spec.text.clear();
                    }
                }
                for recall in &mut self.recalls {
                    if recall.started_ms < *before_ms {
                        recall.spec.text.clear();
                    }
                }
                Some(Change::Purged)
            }
        }
    }
}

/// A message of the text module as a sentence.
fn sentence(text: String) -> Refusal {
    let mut chars = text.chars();
    let first: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    Refusal(format!("{first}{}.", chars.as_str()))
}
