//! `GET /messagerie/flux`: the live stream of one person's messaging.
//!
//! Every entry of the messaging log has a number (`seq`). A stream starts
//! after the number its page was rendered at (`?depuis=`), or after the
//! `Last-Event-ID` the browser sends when it reconnects, and sends each
//! later entry this person may see as one `messagerie` event whose id is
//! that number: new and changed messages of their channels (rendered for
//! them: a patient mention shows only to those who may open the chart),
//! broadcasts addressed to them and the tally of those they follow, the
//! escalations that told them (unit managers) and the receipts after,
//! recalls, their own read markers. Every event carries the person's counts
//! (unread, to acknowledge, escalated broadcasts waiting in her units). Entries are sent in order and once per
//! connection; the browser's script ignores a number it already has, so a
//! reconnection gets what it missed, in order, exactly once.
//!
//! The stream wakes when the hub publishes a new number (a commit here) and
//! every second otherwise (to catch what another process wrote); it ends as
//! soon as the caller's session no longer lets it in.

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use ckisa_auth::Action;
use ckisa_domain::PatientKey;
use ckisa_messaging::book::{Change, Message, Reader};
use futures_util::Stream;
use futures_util::stream;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::broadcasts::{BroadcastChange, sees_tally, told_of};
use super::render::{self, MessageTemplate};
use super::{People, reader};
use crate::access::Caller;
use crate::error::AppError;
use crate::format::Fmt;
use crate::i18n::{Lang, Tr};
use crate::{AppState, PageCtx};

/// Interval between keep-alive comments, and between checks of the
/// caller's session on a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How long a stream waits for a publication before it reads the log
/// itself (what another process on the same folder wrote).
const RESYNC: Duration = Duration::from_secs(1);

/// How long a stream waits, once woken, for the entries that follow.
const GATHER: Duration = Duration::from_millis(10);

/// Most entries looked at per wake-up: a browser far behind catches up in
/// several rounds rather than in one huge batch.
const MOST_PER_ROUND: usize = 500;

/// What a stream sends for one entry.
pub(crate) struct Push {
    /// `message`, `maj`, `canal`, `lu`, `diffusion`, `decompte`,
    /// `escalade`, `rappel`, `purge`.
    pub(crate) kind: &'static str,
    /// The message, broadcast or recall.
    pub(crate) id: String,
    /// The channel of a message.
    pub(crate) channel: Option<String>,
    /// The first message of the thread of a reply.
    pub(crate) root: Option<String>,
    /// The HTML the page swaps in.
    pub(crate) html: String,
}

/// The JSON of one event.
#[derive(Serialize)]
struct Wire<'a> {
    seq: u64,
    #[serde(rename = "type")]
    kind: &'a str,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    canal: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    racine: Option<&'a str>,
    html: &'a str,
    non_lus: usize,
    a_accuser: usize,
    /// Broadcasts escalated to this person still unacknowledged in her
    /// units.
    escalades: usize,
}

/// Query of the stream.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct StreamParams {
    /// The number the page was rendered at.
    depuis: Option<u64>,
}

/// `GET /messagerie/flux`.
pub(crate) async fn stream(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    headers: HeaderMap,
    Query(params): Query<StreamParams>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let reader = reader(&caller)?;
    // The browser's own resume point wins over the page's.
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let current = state.messages_book().await?.seq();
    let last = resume.or(params.depuis).unwrap_or(current).min(current);
    let listening = Listening {
        receiver: state.messages().subscribe(),
        closing: state.inner.live.closing(),
        state,
        caller,
        reader,
        lang: ctx.lang,
        last,
        queue: Vec::new(),
    };
    let events = stream::unfold(listening, next_event);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// Where one stream stands.
struct Listening {
    state: AppState,
    caller: Caller,
    reader: Reader,
    lang: Lang,
    /// The last entry looked at.
    last: u64,
    receiver: watch::Receiver<u64>,
    closing: watch::Receiver<bool>,
    /// Events ready to send, oldest last.
    queue: Vec<Event>,
}

async fn next_event(mut listening: Listening) -> Option<(Result<Event, Infallible>, Listening)> {
    loop {
        // The session is checked before every event, queued ones included:
        // nothing reaches a browser once its session ended.
        if *listening.closing.borrow_and_update() || !listening.caller.still_valid(&listening.state)
        {
            return None;
        }
        if let Some(event) = listening.queue.pop() {
            return Some((Ok(event), listening));
        }
        let published = *listening.receiver.borrow_and_update();
        if published <= listening.last {
            tokio::select! {
                changed = listening.receiver.changed() => {
                    changed.ok()?;
                    // Entries come in bursts (a hospital acknowledging a
                    // broadcast): one look at a few of them beats a look
                    // at each, for a delay no one sees.
                    tokio::time::sleep(GATHER).await;
                }
                _ = listening.closing.changed() => return None,
                () = tokio::time::sleep(RESYNC) => {}
            }
        }
        match round(&mut listening).await {
            Ok(mut events) => {
                events.reverse();
                listening.queue = events;
            }
            Err(error) => {
                tracing::warn!(%error, "messaging stream round failed");
                tokio::time::sleep(RESYNC).await;
            }
        }
    }
}

/// What one entry needs once the book's lock is released.
enum Pending {
    Message {
        seq: u64,
        kind: &'static str,
        message: Box<Message>,
    },
    Plain {
        seq: u64,
        kind: &'static str,
        id: String,
    },
    Broadcast {
        seq: u64,
        index: usize,
        /// Who moved it; `None` when it was sent.
        actor: Option<String>,
    },
    Recall {
        seq: u64,
        index: usize,
    },
}

/// Looks at the entries after `last`, renders those this reader may see.
async fn round(listening: &mut Listening) -> Result<Vec<Event>, AppError> {
    let state = listening.state.clone();
    let reader = &listening.reader;
    let may_recall = listening.caller.reach(Action::StaffRecall) != ckisa_auth::Reach::Never;
    let (pending, last, counts) = {
        let book = state.messages_book().await?;
        let entries = book.entries_after(listening.last);
        let entries = &entries[..entries.len().min(MOST_PER_ROUND)];
        let last = entries.last().map_or(listening.last, |e| e.seq);
        let mut pending = Vec::new();
        for entry in entries {
            let seq = entry.seq;
            match &entry.change {
                Change::Posted(index) | Change::Updated(index) => {
                    let message = book.message_at(*index);
                    if book.may_read(&message.post.channel, reader) {
                        let kind = if matches!(entry.change, Change::Posted(_)) {
                            "message"
                        } else {
                            "maj"
                        };
                        pending.push(Pending::Message {
                            seq,
                            kind,
                            message: Box::new(message.clone()),
                        });
                    }
                }
                Change::Channel(id) => {
                    if book.may_read(id, reader) {
                        pending.push(Pending::Plain {
                            seq,
                            kind: "canal",
                            id: id.clone(),
                        });
                    }
                }
                Change::Read { login, channel } => {
                    if *login == reader.login {
                        pending.push(Pending::Plain {
                            seq,
                            kind: "lu",
                            id: channel.clone(),
                        });
                    }
                }
                Change::Broadcast(index) => pending.push(Pending::Broadcast {
                    seq,
                    index: *index,
                    actor: None,
                }),
                Change::Tally(index) => {
                    // Someone read or acknowledged: it matters to those who
                    // follow the tally, and to that someone; to the other
                    // recipients (up to the whole hospital) it changes
                    // nothing, so it is not even looked at for them.
                    // It matters too to the unit managers its escalation
                    // told: the escalation itself, and every receipt after
                    // it, changes how many broadcasts wait in their units.
                    let broadcast = book.broadcast_at(*index);
                    let watcher = sees_tally(&listening.caller, &reader.login, broadcast)
                        || told_of(broadcast, &reader.login);
                    if watcher {
                        // A tally carries the whole state: of several moves
                        // of one broadcast in a round, the last is enough.
                        pending.retain(|p| {
                            !matches!(p, Pending::Broadcast { index: i, actor: Some(_), .. } if i == index)
                        });
                    }
                    if watcher || entry.actor == reader.login {
                        pending.push(Pending::Broadcast {
                            seq,
                            index: *index,
                            actor: Some(entry.actor.clone()),
                        });
                    }
                }
                Change::Recall(index) => {
                    if may_recall {
                        pending.push(Pending::Recall { seq, index: *index });
                    }
                }
                Change::Purged => pending.push(Pending::Plain {
                    seq,
                    kind: "purge",
                    id: String::new(),
                }),
            }
        }
        // The counts travel with what is sent: nothing to send (most
        // entries concern other people), nothing to count.
        let counts = if pending.is_empty() {
            super::Counts::default()
        } else {
            super::Counts::of(&book, reader)
        };
        (pending, last, counts)
    };
    listening.last = last;
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let people = state.people().await?;
    let messages = pending.iter().filter_map(|p| match p {
        Pending::Message { message, .. } => Some(&**message),
        _ => None,
    });
    let visible = render::visible_patients(&state, &listening.caller, messages).await?;
    let mut events = Vec::with_capacity(pending.len());
    for item in pending {
        let (seq, push) = match item {
            Pending::Message { seq, kind, message } => {
                let push = message_push(&state, listening, &people, &visible, kind, &message)?;
                (seq, Some(push))
            }
            Pending::Plain { seq, kind, id } => (
                seq,
                Some(Push {
                    kind,
                    id,
                    channel: None,
                    root: None,
                    html: String::new(),
                }),
            ),
            Pending::Broadcast { seq, index, actor } => {
                let change = match &actor {
                    None => BroadcastChange::Sent,
                    Some(actor) => BroadcastChange::Moved { actor },
                };
                let push = super::broadcasts::broadcast_push(
                    &state,
                    listening.lang,
                    &listening.caller,
                    reader,
                    index,
                    change,
                )
                .await?;
                (seq, push)
            }
            Pending::Recall { seq, index } => (
                seq,
                super::recall::recall_push(
                    &state,
                    listening.lang,
                    &listening.caller,
                    reader,
                    index,
                )
                .await?,
            ),
        };
        if let Some(push) = push {
            events.push(encode(seq, &push, counts)?);
        }
    }
    Ok(events)
}

fn message_push(
    state: &AppState,
    listening: &Listening,
    people: &People,
    visible: &HashSet<PatientKey>,
    kind: &'static str,
    message: &Message,
) -> Result<Push, AppError> {
    let fmt = Fmt {
        tr: Tr(listening.lang),
        zone: &state.config().zone,
        now_ms: state.now_ms(),
    };
    let view = render::view(&fmt, people, &listening.reader.login, visible, message);
    let html = MessageTemplate {
        tr: fmt.tr,
        m: &view,
        in_channel: true,
        csrf: listening.caller.csrf().unwrap_or(""),
        may_post: listening.caller.reach(Action::MessagePost) != ckisa_auth::Reach::Never,
    }
    .render()?;
    Ok(Push {
        kind,
        id: view.id.clone(),
        channel: Some(view.channel.clone()),
        root: view.root.clone(),
        html,
    })
}

fn encode(seq: u64, push: &Push, counts: super::Counts) -> Result<Event, AppError> {
    let wire = Wire {
        seq,
        kind: push.kind,
        id: &push.id,
        canal: push.channel.as_deref(),
        racine: push.root.as_deref(),
        html: &push.html,
        non_lus: counts.unread,
        a_accuser: counts.to_acknowledge,
        escalades: counts.escalated,
    };
    let data = serde_json::to_string(&wire).map_err(AppError::Json)?;
    Ok(Event::default()
        .id(seq.to_string())
        .event("messagerie")
        .data(data))
}
