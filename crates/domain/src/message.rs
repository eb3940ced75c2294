//! What people write to each other during a crisis: messages in channels,
//! direct messages and groups, priority broadcasts with their
//! acknowledgements and escalations, and the recall of off-duty staff.
//!
//! Like every other fact these are events in the log: the author is the
//! event's actor, the time its clock. Nothing is edited in place: an edit is
//! a new version that readers see as such, a retraction hides a message's
//! text from the channel while the log keeps it for the after-action report.

use serde::{Deserialize, Serialize};

use crate::crisis::ItemId;
use crate::ids::PatientKey;

/// Something said or done in the secure messaging.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MessageFact {
    /// An ad-hoc channel, a direct conversation or a small group opened.
    /// Channels of the establishment config (units, crisis cell, support
    /// services) are not events: every node derives them from its config.
    ChannelOpened(ChannelSpec),
    /// People added to a channel by hand, by login.
    MembersAdded {
        /// The channel's id.
        channel: String,
        /// Who joins.
        logins: Vec<String>,
    },
    /// A message posted in a channel (or a reply in a thread).
    Posted(Post),
    /// The author changed the text of a message: readers see the edit.
    Edited {
        /// The message.
        id: ItemId,
        /// The new text.
        text: String,
        /// The mentions of the new text.
        mentions: Vec<Mention>,
    },
    /// The author (or a moderator) withdrew a message: the channel shows
    /// that it was withdrawn, by whom and why.
    Retracted {
        /// The message.
        id: ItemId,
        /// Why.
        reason: String,
    },
    /// A message pinned to (or unpinned from) the top of its channel.
    Pinned {
        /// The message.
        id: ItemId,
        /// Pinned when true, unpinned when false.
        pinned: bool,
    },
    /// The actor has read a channel up to the message numbered `seq` in the
    /// messaging log (for unread counts on every device).
    ChannelRead {
        /// The channel's id.
        channel: String,
        /// The last message read, by its position in the messaging log.
        seq: u64,
    },
    /// A priority message to roles, units or everyone, which every
    /// recipient must acknowledge.
    BroadcastSent(Broadcast),
    /// A recipient opened a broadcast.
    BroadcastRead {
        /// The broadcast.
        id: ItemId,
    },
    /// A recipient acknowledged a broadcast.
    BroadcastAcknowledged {
        /// The broadcast.
        id: ItemId,
    },
    /// Recipients still had not acknowledged a broadcast after the delay of
    /// a stage: their unit managers were told, or the notification hook was
    /// run.
    Escalated {
        /// The broadcast.
        id: ItemId,
        /// Which stage.
        stage: EscalationStage,
        /// The recipients who had not acknowledged, by login.
        pending: Vec<String>,
        /// Who was told: unit managers' logins, or the phone numbers the
        /// hook was given.
        notified: Vec<String>,
        /// What went wrong, when the hook failed (French).
        failure: Option<String>,
    },
    /// Off-duty staff called back (plan blanc) from the roster.
    RecallStarted(Recall),
    /// The notification hook was run for one person of a recall.
    RecallNotified {
        /// The recall.
        id: ItemId,
        /// The person, by roster id.
        person: String,
        /// What went wrong, when the hook failed (French).
        failure: Option<String>,
    },
    /// One person of a recall answered.
    RecallAnswered {
        /// The recall.
        id: ItemId,
        /// The person, by roster id.
        person: String,
        /// Coming or not.
        answer: RecallAnswer,
        /// How the answer came in.
        via: AnswerVia,
    },
    /// Message bodies and attachments older than the retention policy were
    /// removed from the log (the one rewrite the log allows).
    Purged {
        /// Everything posted before this instant, ms since the Unix epoch.
        before_ms: i64,
        /// How many messages were emptied.
        messages: u64,
        /// How many attachments were deleted.
        attachments: u64,
    },
}

impl MessageFact {
    /// A short stable name of the fact's kind, for the audit trail.
    pub fn kind(&self) -> &'static str {
        match self {
            MessageFact::ChannelOpened(_) => "canal",
            MessageFact::MembersAdded { .. } => "membres",
            MessageFact::Posted(_) => "message",
            MessageFact::Edited { .. } => "modification",
            MessageFact::Retracted { .. } => "retrait",
            MessageFact::Pinned { .. } => "epingle",
            MessageFact::ChannelRead { .. } => "lecture",
            MessageFact::BroadcastSent(_) => "diffusion",
            MessageFact::BroadcastRead { .. } => "diffusion-lue",
            MessageFact::BroadcastAcknowledged { .. } => "diffusion-accusee",
            MessageFact::Escalated { .. } => "escalade",
            MessageFact::RecallStarted(_) => "rappel",
            MessageFact::RecallNotified { .. } => "rappel-appel",
            MessageFact::RecallAnswered { .. } => "rappel-reponse",
            MessageFact::Purged { .. } => "purge",
        }
    }
}

/// What kind of conversation a channel opened by hand is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChannelKind {
    /// A named channel for a purpose (a transfer, a cell working group).
    AdHoc,
    /// Two people.
    Direct,
    /// A small group of named people.
    Group,
}

/// A channel opened by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSpec {
    /// Its id (`canal:…`, `direct:…`, `groupe:…`).
    pub id: String,
    /// What kind.
    pub kind: ChannelKind,
    /// Its name (empty for a direct conversation).
    pub name: String,
    /// Every account holding one of these role codes is a member.
    pub roles: Vec<String>,
    /// Every account working in one of these units is a member.
    pub units: Vec<String>,
    /// These accounts are members, by login (the opener included).
    pub members: Vec<String>,
}

/// A message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    /// Its id (a UUIDv7 in text).
    pub id: ItemId,
    /// The channel's id.
    pub channel: String,
    /// The thread it answers, by the id of the thread's first message.
    pub reply_to: Option<ItemId>,
    /// The text as typed.
    pub text: String,
    /// People, roles and patients named in the text.
    pub mentions: Vec<Mention>,
    /// A file attached to it.
    pub attachment: Option<Attachment>,
}

/// Someone or something named in a message with `@` or `#`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mention {
    /// `@login`: one account.
    Person {
        /// The login.
        login: String,
    },
    /// `@role`: everyone holding a role, by role code.
    Role {
        /// The role code.
        role: String,
    },
    /// `#IPP`: a patient. Only readers allowed to open the chart see who it
    /// is; others see that a patient was named, nothing more.
    Patient {
        /// The patient.
        patient: PatientKey,
        /// The token as typed (`#123456`), replaced on display.
        token: String,
        /// Name and birth date when posted, shown to readers allowed to see
        /// the chart.
        label: String,
    },
}

/// A file attached to a message. Its bytes are kept by the store under
/// their SHA-256, not in the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// The file's name as sent (cleaned of any path).
    pub name: String,
    /// Its media type, checked against its first bytes.
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
}

/// How urgent a broadcast is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Priority {
    /// To know.
    Information,
    /// To act on in the hour.
    Important,
    /// To act on now.
    Urgent,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 3] = [Priority::Information, Priority::Important, Priority::Urgent];

    /// The stable code (forms, config, exports).
    pub fn code(self) -> &'static str {
        match self {
            Priority::Information => "information",
            Priority::Important => "important",
            Priority::Urgent => "urgent",
        }
    }

    /// The priority of a code.
    pub fn from_code(code: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// A priority broadcast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Broadcast {
    /// Its id (a UUIDv7 in text).
    pub id: ItemId,
    /// How urgent.
    pub priority: Priority,
    /// The instruction.
    pub text: String,
    /// To everyone holding these role codes...
    pub roles: Vec<String>,
    /// ...or working in these units...
    pub units: Vec<String>,
    /// ...or to every account.
    pub everyone: bool,
    /// Who it was sent to, resolved from the accounts when sent: the tally
    /// and the escalation count these people, whatever changes later.
    pub recipients: Vec<Recipient>,
    /// Delay after which the unit managers of those who have not
    /// acknowledged are told, in minutes (none: no escalation).
    pub manager_after_min: Option<u32>,
    /// Delay after which the notification hook is run for those who still
    /// have not acknowledged, in minutes.
    pub hook_after_min: Option<u32>,
}

/// One recipient of a broadcast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// The login.
    pub login: String,
    /// The person's name.
    pub name: String,
    /// The role code.
    pub role: String,
    /// The units the tally counts them under (empty: establishment-wide).
    pub units: Vec<String>,
}

/// Which escalation stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EscalationStage {
    /// The unit managers of the silent recipients were told.
    Managers,
    /// The notification hook (an SMS gateway, say) was run.
    Hook,
}

/// A recall of off-duty staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recall {
    /// Its id (a UUIDv7 in text).
    pub id: ItemId,
    /// The message sent to each person.
    pub text: String,
    /// The role codes called.
    pub roles: Vec<String>,
    /// The units called (empty: all).
    pub units: Vec<String>,
    /// The people called, from the roster.
    pub people: Vec<Called>,
}

/// One person called back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Called {
    /// The roster id.
    pub person: String,
    /// The person's name.
    pub name: String,
    /// The role code.
    pub role: String,
    /// The unit (empty: none).
    pub unit: String,
    /// The phone number the hook is given.
    pub phone: String,
    /// The reply code the person can answer with (by SMS or phone).
    pub code: String,
    /// SHA-256 (hex) of the secret of the person's answer link; the secret
    /// itself is only in the link sent.
    pub link_sha256: String,
}

/// What a recalled person answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecallAnswer {
    /// Coming, in about this many minutes when the person said.
    Coming {
        /// Minutes until arrival (none: the person gave no time).
        #[serde(default)]
        eta_min: Option<u32>,
    },
    /// Cannot come.
    Unavailable,
}

/// How a recall answer came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AnswerVia {
    /// The person's answer link.
    Link,
    /// A reply code (relayed by the SMS gateway through the API).
    Code,
    /// Typed by someone of the crisis cell who took the call.
    Operator,
}
