//! A message as one reader sees it: the pieces of its text (a patient
//! mention shows who it is only to a reader allowed to open the chart), its
//! edits and withdrawal, its attachment. One template
//! (`templates/messages/message.html`) renders it for the pages and for the
//! live stream alike.

use std::collections::HashSet;

use askama::Template;
use ckisa_domain::{Mention, PatientKey};
use ckisa_messaging::book::Message;
use ckisa_messaging::text::{self, Piece};

use super::People;
use crate::AppState;
use crate::access::{Caller, ChartAccess};
use crate::error::AppError;
use crate::format::{Fmt, patient_href};
use crate::i18n::Tr;

/// One piece of a message's text.
pub(crate) struct PieceView {
    /// `text`, `person`, `role`, `patient` (with a link) or `masked` (a
    /// patient this reader may not see).
    pub(crate) kind: &'static str,
    pub(crate) text: String,
    pub(crate) href: String,
}

/// A message's attachment.
pub(crate) struct AttachmentView {
    pub(crate) name: String,
    pub(crate) size: String,
    pub(crate) href: String,
    pub(crate) image: bool,
}

/// A message in words.
pub(crate) struct MessageView {
    pub(crate) id: String,
    pub(crate) seq: u64,
    pub(crate) channel: String,
    pub(crate) root: Option<String>,
    pub(crate) author: String,
    pub(crate) when: String,
    pub(crate) pieces: Vec<PieceView>,
    /// When it was last edited, and how many earlier versions.
    pub(crate) edited: Option<(String, usize)>,
    /// "Retiré par … le … : motif".
    pub(crate) retracted: Option<String>,
    pub(crate) purged: bool,
    pub(crate) pinned: bool,
    /// "Répondre", or "3 réponses".
    pub(crate) replies: String,
    pub(crate) attachment: Option<AttachmentView>,
    /// Written by the reader: may be edited and withdrawn.
    pub(crate) mine: bool,
    pub(crate) href: String,
}

#[derive(Template)]
#[template(path = "messages/message.html")]
pub(crate) struct MessageTemplate<'a> {
    pub(crate) tr: Tr,
    pub(crate) m: &'a MessageView,
    /// Show the thread link and reply count (channel view).
    pub(crate) in_channel: bool,
    pub(crate) csrf: &'a str,
    /// The reader may post (edit, withdraw, pin).
    pub(crate) may_post: bool,
}

/// The patients named in `messages` that `caller` may see (chart in scope
/// or an active break-the-glass grant). Reads each chart once.
pub(crate) async fn visible_patients<'a>(
    state: &AppState,
    caller: &Caller,
    messages: impl IntoIterator<Item = &'a Message>,
) -> Result<HashSet<PatientKey>, AppError> {
    let mut keys: Vec<PatientKey> = messages
        .into_iter()
        .flat_map(|m| {
            m.versions
                .iter()
                .flat_map(|v| &v.mentions)
                .chain(&m.post.mentions)
        })
        .filter_map(|mention| match mention {
            Mention::Patient { patient, .. } => Some(patient.clone()),
            Mention::Person { .. } | Mention::Role { .. } => None,
        })
        .collect();
    keys.sort();
    keys.dedup();
    let mut visible = HashSet::new();
    for key in keys {
        let lookup = key.clone();
        let chart = state
            .read(move |store| store.patient_chart(&lookup))
            .await?;
        let Some(chart) = chart else {
            continue;
        };
        let stays = chart.stay.iter().chain(&chart.other_stays);
        match caller.chart_access(state, &key.0, stays) {
            ChartAccess::InScope | ChartAccess::BrokenGlass(_) => {
                visible.insert(key);
            }
            ChartAccess::Refused { .. } => {}
        }
    }
    Ok(visible)
}

/// `message` as `login` sees it.
pub(crate) fn view(
    fmt: &Fmt<'_>,
    people: &People,
    login: &str,
    visible: &HashSet<PatientKey>,
    message: &Message,
) -> MessageView {
    let tr = fmt.tr;
    let post = &message.post;
    let pieces = pieces_view(tr, people, visible, &post.text, &post.mentions);
    let retracted = message.retracted.as_ref().map(|r| {
        tr.fmt(
            "messages.retracted",
            &[
                ("who", &people.name(&r.by)),
                ("when", &fmt.wall(r.at_ms)),
                ("reason", &r.reason),
            ],
        )
    });
    let attachment = post.attachment.as_ref().map(|a| AttachmentView {
        name: a.name.clone(),
        size: fmt.size(a.size),
        href: format!("/messagerie/piece/{}", post.id.0),
        image: a.mime.starts_with("image/"),
    });
    MessageView {
        id: post.id.0.clone(),
        seq: message.seq,
        channel: post.channel.clone(),
        root: post.reply_to.as_ref().map(|r| r.0.clone()),
        author: people.name(&message.author),
        when: fmt.wall(message.at_ms),
        pieces,
        edited: message
            .edited_ms
            .map(|ms| (fmt.wall(ms), message.versions.len())),
        retracted,
        purged: message.purged,
        pinned: message.pinned,
        replies: match message.replies.len() {
            0 => tr.t("messages.reply").to_owned(),
            n => tr.fmt("messages.replies", &[("n", &n.to_string())]),
        },
        attachment,
        mine: message.author == login,
        href: message_href(&post.id.0),
    }
}

/// The pieces of `text` (the current one, or an earlier version) as this
/// reader sees them.
pub(crate) fn pieces_view(
    tr: Tr,
    people: &People,
    visible: &HashSet<PatientKey>,
    text: &str,
    mentions: &[Mention],
) -> Vec<PieceView> {
    text::pieces(text, mentions)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(plain) => PieceView {
                kind: "text",
                text: plain.to_owned(),
                href: String::new(),
            },
            Piece::Mention(index) => mention_view(tr, people, visible, &mentions[index]),
        })
        .collect()
}

fn mention_view(
    tr: Tr,
    people: &People,
    visible: &HashSet<PatientKey>,
    mention: &Mention,
) -> PieceView {
    match mention {
        Mention::Person { login } => PieceView {
            kind: "person",
            text: format!("@{}", people.name(login)),
            href: String::new(),
        },
        Mention::Role { role } => PieceView {
            kind: "role",
            text: format!(
                "@{}",
                ckisa_auth::Role::from_code(role)
                    .map_or(role.as_str(), |r| crate::layout::role_label(tr, r))
            ),
            href: String::new(),
        },
        Mention::Patient { patient, label, .. } if visible.contains(patient) => PieceView {
            kind: "patient",
            text: label.clone(),
            href: patient_href(patient),
        },
        Mention::Patient { .. } => PieceView {
            kind: "masked",
            text: tr.t("messages.patient_masked").to_owned(),
            href: String::new(),
        },
    }
}

/// The page of a message (its thread).
pub(crate) fn message_href(id: &str) -> String {
    format!("/messagerie/message/{}", encode(id))
}

/// The page of a channel.
pub(crate) fn channel_href(id: &str) -> String {
    format!("/messagerie/canal/{}", encode(id))
}

/// What a path segment keeps as is: letters, digits and `-_.:` (ids such
/// as `unite:REA` or a UUID read as typed).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b':');

/// A path segment, percent-encoded.
pub(crate) fn encode(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string()
}

/// The first `most_chars` characters of a text, on one line, with an
/// ellipsis when it was cut.
pub(super) fn excerpt(text: &str, most_chars: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= most_chars {
        return flat;
    }
    let mut cut: String = flat.chars().take(most_chars).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_one_line_and_short() {
        assert_eq!(excerpt("Ligne 1\n\nLigne  2", 160), "Ligne 1 Ligne 2");
        let long = "a".repeat(170);
        assert_eq!(excerpt(&long, 160).chars().count(), 161);
        assert!(excerpt(&long, 160).ends_with('…'));
        assert_eq!(excerpt(&"b".repeat(160), 160), "b".repeat(160));
    }
}
