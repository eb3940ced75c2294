//! Channels, conversations and messages: the messaging home
//! (`/messagerie`), a channel, a thread, writing (with mentions and an
//! attachment), editing, withdrawing, pinning, opening a conversation,
//! adding members, the search, the attachment download and the export of a
//! channel for the after-action report.

use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ckisa_auth::{Action, Reach, Role};
use ckisa_domain::{ChannelKind, ChannelSpec, ItemId, Mention, MessageFact, PatientKey, Post};
use ckisa_messaging::book::{Channel, Message, MessageBook, Origin, Reader};
use ckisa_messaging::text;
use ckisa_store::PatientQuery;
use serde::Deserialize;

use super::forms::{form_page, page, refusal};
use super::render::{self, MessageView, channel_href, message_href};
use super::{People, new_id, reader};
use crate::access::{Audited, Caller, ChartAccess, redirect};
use crate::error::{AppError, read_form};
use crate::format::Fmt;
use crate::i18n::Tr;
use crate::layout::role_label;
use crate::{AppState, PageCtx};

/// Most messages a channel page shows at once (older ones page back).
const PAGE_SIZE: usize = 200;

/// Fewest digits of an IPP named with `#`.
const MIN_IPP_DIGITS: usize = 4;

/// Longest name of a channel or group, in characters.
const MAX_NAME_CHARS: usize = 80;

/// Most results of a search.
const SEARCH_LIMIT: usize = 100;

/// A channel in a list, with what the reader has not read.
pub(crate) struct ChannelLine {
    pub(crate) id: String,
    pub(crate) href: String,
    pub(crate) name: String,
    pub(crate) kind: &'static str,
    pub(crate) unread: usize,
    pub(crate) last: String,
}

#[derive(Template)]
#[template(path = "messages/home.html")]
struct HomeTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    seq: u64,
    establishment: Vec<ChannelLine>,
    opened: Vec<ChannelLine>,
    direct: Vec<ChannelLine>,
    to_acknowledge: usize,
    may_post: bool,
    may_broadcast: bool,
    may_recall: bool,
    people: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
    error: Option<String>,
}

/// The name of a channel as a reader sees it: a direct conversation is
/// named after the other person.
fn channel_name(tr: Tr, people: &People, channel: &Channel, login: &str) -> String {
    match channel.def.origin {
        Origin::Opened(ChannelKind::Direct) => {
            let other = channel
                .def
                .members
                .iter()
                .find(|m| *m != login)
                .map_or_else(|| login.to_owned(), |m| people.name(m));
            tr.fmt("messages.direct_with", &[("who", &other)])
        }
        Origin::Unit => tr.fmt("messages.unit_channel", &[("name", &channel.def.name)]),
        _ => channel.def.name.clone(),
    }
}

fn kind_of(channel: &Channel) -> &'static str {
    match channel.def.origin {
        Origin::Unit => "unit",
        Origin::Cell => "cell",
        Origin::Service => "service",
        Origin::Opened(ChannelKind::AdHoc) => "adhoc",
        Origin::Opened(ChannelKind::Group) => "group",
        Origin::Opened(ChannelKind::Direct) => "direct",
    }
}

fn lines(
    fmt: &Fmt<'_>,
    book: &MessageBook,
    people: &People,
    reader: &Reader,
) -> (Vec<ChannelLine>, Vec<ChannelLine>, Vec<ChannelLine>) {
    let (mut establishment, mut opened, mut direct) = (Vec::new(), Vec::new(), Vec::new());
    for channel in book.channels_of(reader) {
        let last = channel
            .posts
            .last()
            .map(|&i| fmt.wall(book.message_at(i).at_ms))
            .unwrap_or_default();
        let line = ChannelLine {
            id: channel.def.id.clone(),
            href: channel_href(&channel.def.id),
            name: channel_name(fmt.tr, people, channel, &reader.login),
            kind: kind_of(channel),
            unread: book.unread(channel, &reader.login),
            last,
        };
        match channel.def.origin {
            Origin::Unit | Origin::Cell | Origin::Service => establishment.push(line),
            Origin::Opened(ChannelKind::AdHoc) => opened.push(line),
            Origin::Opened(_) => direct.push(line),
        }
    }
    (establishment, opened, direct)
}

/// `GET /messagerie`.
pub(crate) async fn home_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    home_view(&state, &ctx, &caller, None).await
}

async fn home_view(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    error: Option<String>,
) -> Result<Response, AppError> {
    let failed = error.is_some();
    let reader = reader(caller)?;
    let fmt = ctx.fmt(state);
    let people = state.people().await?;
    let units = state.read(|store| store.units()).await?;
    let (seq, (establishment, opened, direct), to_acknowledge) = {
        let book = state.messages_book().await?;
        (
            book.seq(),
            lines(&fmt, &book, &people, &reader),
            book.to_acknowledge(&reader.login).len(),
        )
    };
    let main = HomeTemplate {
        tr: fmt.tr,
        csrf: caller.csrf()?,
        seq,
        establishment,
        opened,
        direct,
        to_acknowledge,
        may_post: caller.reach(Action::MessagePost) != Reach::Never,
        may_broadcast: caller.reach(Action::Broadcast) != Reach::Never,
        may_recall: caller.reach(Action::StaffRecall) != Reach::Never,
        people: people
            .all
            .iter()
            .filter(|p| !p.disabled && p.login != reader.login)
            .map(|p| {
                (
                    p.login.clone(),
                    format!("{} ({})", p.name, role_label(fmt.tr, p.role)),
                )
            })
            .collect(),
        roles: Role::ALL
            .iter()
            .map(|r| (r.code(), role_label(fmt.tr, *r)))
            .collect(),
        units: units
            .into_iter()
            .filter(|u| u.code != ckisa_store::UNLOCATED_UNIT)
            .map(|u| (u.code, u.name))
            .collect(),
        error,
    }
    .render()?;
    form_page(state, ctx, fmt.tr.t("messages.title"), main, failed)
}

#[derive(Template)]
#[template(path = "messages/channel.html")]
struct ChannelTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    id: &'a str,
    href: String,
    post_action: String,
    name: String,
    kind: &'static str,
    seq: u64,
    members: Vec<String>,
    pinned: Vec<MessageView>,
    messages: Vec<MessageView>,
    older: Option<String>,
    may_post: bool,
    may_export: bool,
    may_add: bool,
    draft: &'a str,
    error: Option<String>,
    max_size: String,
    accept: String,
}

/// Query of a channel page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ChannelParams {
    /// Show messages before this number.
    avant: Option<u64>,
}

/// `GET /messagerie/canal/{id}`: the channel, newest messages last; reading
/// it marks it read.
pub(crate) async fn channel_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<ChannelParams>,
) -> Result<Response, AppError> {
    channel_view(&state, &ctx, &caller, &id, params.avant, "", None).await
}

#[allow(clippy::too_many_arguments)]
async fn channel_view(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    id: &str,
    before: Option<u64>,
    draft: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    let failed = error.is_some();
    let reader = reader(caller)?;
    let fmt = ctx.fmt(state);
    let people = state.people().await?;
    let (snapshot, last_seq, read_up_to) = {
        let book = state.messages_book().await?;
        let channel = member_channel(&book, id, &reader)?;
        // The last page of first messages before `before`; only those are
        // copied out of the book.
        let roots: Vec<&Message> = book
            .messages_of(channel, true)
            .filter(|(_, m)| before.is_none_or(|b| m.seq < b))
            .map(|(_, m)| m)
            .collect();
        let skip = roots.len().saturating_sub(PAGE_SIZE);
        let older = (skip > 0).then(|| roots[skip].seq);
        let pinned: Vec<_> = book
            .messages_of(channel, true)
            .filter(|(_, m)| m.pinned)
            .map(|(_, m)| m.clone())
            .collect();
        let members = members_of(&people, channel);
        let snapshot = ChannelSnapshot {
            name: channel_name(fmt.tr, &people, channel, &reader.login),
            kind: kind_of(channel),
            may_add: channel.def.origin != Origin::Opened(ChannelKind::Direct),
            members,
            roots: roots[skip..].iter().map(|&m| m.clone()).collect(),
            pinned,
            older,
            seq: book.seq(),
        };
        (
            snapshot,
            book.last_post_seq(channel),
            book.read_up_to(id, &reader.login),
        )
    };
    if before.is_none() && last_seq > read_up_to {
        let fact = MessageFact::ChannelRead {
            channel: id.to_owned(),
            seq: last_seq,
        };
        // A read marker that cannot be written only leaves the count up.
        if let Err(error) = state
            .message_record(caller, Action::MessageRead, fact)
            .await
        {
            tracing::warn!(%error, "read marker not recorded");
        }
    }
    let all: Vec<_> = snapshot
        .roots
        .iter()
        .chain(&snapshot.pinned)
        .cloned()
        .collect();
    let visible = render::visible_patients(state, caller, &all).await?;
    let views = |list: &[Message]| -> Vec<MessageView> {
        list.iter()
            .map(|m| render::view(&fmt, &people, &reader.login, &visible, m))
            .collect()
    };
    let settings = state.messages().settings();
    let main = ChannelTemplate {
        tr: fmt.tr,
        csrf: caller.csrf()?,
        id,
        href: channel_href(id),
        post_action: format!("{}/envoyer", channel_href(id)),
        name: snapshot.name.clone(),
        kind: snapshot.kind,
        seq: snapshot.seq,
        members: snapshot.members,
        pinned: views(&snapshot.pinned),
        messages: views(&snapshot.roots),
        older: snapshot
            .older
            .map(|seq| format!("{}?avant={seq}", channel_href(id))),
        may_post: caller.reach(Action::MessagePost) != Reach::Never,
        may_export: caller.reach(Action::MessageExport) != Reach::Never,
        may_add: snapshot.may_add && caller.reach(Action::MessagePost) != Reach::Never,
        draft,
        error,
        max_size: fmt.size(settings.attachment_max_bytes),
        accept: accept(settings),
    }
    .render()?;
    form_page(state, ctx, &snapshot.name, main, failed)
}

/// What a channel page needs once the book's lock is released.
struct ChannelSnapshot {
    name: String,
    kind: &'static str,
    may_add: bool,
    members: Vec<String>,
    roots: Vec<Message>,
    pinned: Vec<Message>,
    older: Option<u64>,
    seq: u64,
}

/// The names of a channel's members, as the accounts stand now.
fn members_of(people: &People, channel: &Channel) -> Vec<String> {
    people
        .all
        .iter()
        .filter(|p| !p.disabled && channel.has_member(&p.reader()))
        .map(|p| p.name.clone())
        .collect()
}

/// The channel `id` if `reader` belongs to it; 404 otherwise (a channel one
/// does not belong to does not exist for one).
fn member_channel<'a>(
    book: &'a MessageBook,
    id: &str,
    reader: &Reader,
) -> Result<&'a Channel, AppError> {
    book.channel(id)
        .filter(|c| c.has_member(reader))
        .ok_or(AppError::PageNotFound)
}

/// A message to post, from a URL-encoded form or a multipart one (with a
/// file).
#[derive(Debug, Default)]
pub(crate) struct PostForm {
    texte: String,
    reponse_a: String,
    file: Option<(String, String, Bytes)>,
}

impl<S: Send + Sync> FromRequest<S> for PostForm {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<PostForm, AppError> {
        let multipart = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            #[derive(Deserialize)]
            struct Plain {
                #[serde(default)]
                texte: String,
                #[serde(default)]
                reponse_a: String,
            }
            let form: Result<Form<Plain>, FormRejection> = Form::from_request(request, state).await;
            let plain = read_form(form)?;
            return Ok(PostForm {
                texte: plain.texte,
                reponse_a: plain.reponse_a,
                file: None,
            });
        }
        let mut parts = Multipart::from_request(request, state)
            .await
            .map_err(|_| AppError::BadInput(crate::error::BadInput::FormInvalid))?;
        let mut form = PostForm::default();
        while let Some(field) = parts.next_field().await.map_err(|_| too_large())? {
            let name = field.name().unwrap_or_default().to_owned();
            match name.as_str() {
                "texte" | "reponse_a" => {
                    let value = field.text().await.map_err(|_| too_large())?;
                    if name == "texte" {
                        form.texte = value;
                    } else {
                        form.reponse_a = value;
                    }
                }
                "piece" => {
                    let file_name = field.file_name().unwrap_or_default().to_owned();
                    let mime = field.content_type().unwrap_or_default().to_owned();
                    let bytes = field.bytes().await.map_err(|_| too_large())?;
                    if !bytes.is_empty() || !file_name.is_empty() {
                        form.file = Some((file_name, mime, bytes));
                    }
                }
                _ => {}
            }
        }
        Ok(form)
    }
}

/// A multipart body that could not be read: almost always a file over the
/// upload limit.
fn too_large() -> AppError {
    AppError::Refused(
        "Le message n'a pas pu être lu en entier : la pièce jointe dépasse sans doute la taille \
         permise."
            .to_owned(),
    )
}

/// `POST /messagerie/canal/{id}/envoyer`.
pub(crate) async fn post_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
    form: Result<PostForm, AppError>,
) -> Result<Response, AppError> {
    let form = match refusal(form)? {
        Ok(form) => form,
        Err(reason) => {
            return channel_view(&state, &ctx, &caller, &id, None, "", Some(reason)).await;
        }
    };
    let reader = reader(&caller)?;
    {
        let book = state.messages_book().await?;
        member_channel(&book, &id, &reader)?;
    }
    let reply_to = Some(form.reponse_a.trim())
        .filter(|r| !r.is_empty())
        .map(|r| ItemId(r.to_owned()));
    let back = |error: String| {
        let state = state.clone();
        let ctx_id = id.clone();
        let draft = form.texte.clone();
        let reply = reply_to.clone();
        let caller = caller.clone();
        async move {
            match reply {
                Some(root) => {
                    thread_view(&state, &ctx, &caller, &root.0, &draft, Some(error)).await
                }
                None => {
                    channel_view(&state, &ctx, &caller, &ctx_id, None, &draft, Some(error)).await
                }
            }
        }
    };
    let attachment = match &form.file {
        Some((name, mime, bytes)) => {
            let settings = state.messages().settings();
            match ckisa_messaging::attachment::check(name, mime, bytes, settings) {
                Ok(checked) => Some((checked, bytes.clone())),
                Err(reason) => return back(capitalised(&reason)).await,
            }
        }
        None => None,
    };
    let text = match text::check_text(&form.texte, attachment.is_some()) {
        Ok(text) => text.to_owned(),
        Err(reason) => return back(capitalised(&reason)).await,
    };
    let mentions = match resolve_mentions(&state, &caller, &text).await {
        Ok(mentions) => mentions,
        Err(reason) => return back(reason).await,
    };
    let now = state.now_ms();
    let attachment = match attachment {
        Some((checked, bytes)) => {
            let (hash, mime) = (checked.sha256.clone(), checked.mime.clone());
            state
                .read(move |store| store.put_attachment(&hash, &mime, &bytes, now))
                .await?;
            Some(checked.attachment())
        }
        None => None,
    };
    let post_id = new_id(now);
    let fact = MessageFact::Posted(Post {
        id: post_id.clone(),
        channel: id.clone(),
        reply_to: reply_to.clone(),
        text,
        mentions,
        attachment,
    });
    let recorded = state
        .message_record(&caller, Action::MessagePost, fact)
        .await;
    if let Err(reason) = refusal(recorded)? {
        return back(reason).await;
    }
    let target = match &reply_to {
        Some(root) => format!("{}#m-{}", message_href(&root.0), post_id.0),
        None => format!("{}#m-{}", channel_href(&id), post_id.0),
    };
    Ok(redirect(&target))
}

/// The media types the file input proposes.
fn accept(settings: &ckisa_messaging::settings::Settings) -> String {
    let types: Vec<&str> = settings.attachment_types.iter().map(|t| t.mime()).collect();
    types.join(",")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// The mentions of `text`: `@login` and `@role` resolved against the
/// accounts and roles (other `@words` stay plain text), `#IPP` against the
/// patients the author may see (another `#IPP` is refused, so that nobody
/// learns whose it is).
async fn resolve_mentions(
    state: &AppState,
    caller: &Caller,
    text: &str,
) -> Result<Vec<Mention>, String> {
    let people = state.people().await.map_err(|e| e.to_string())?;
    let mut mentions = Vec::new();
    for token in text::tokens(text) {
        match token.sigil {
            '@' => {
                if let Some(person) = people.get(token.word) {
                    mentions.push(Mention::Person {
                        login: person.login.clone(),
                    });
                } else if let Some(role) = Role::from_code(token.word) {
                    mentions.push(Mention::Role {
                        role: role.code().to_owned(),
                    });
                }
            }
            _ => {
                // A patient is `#` and the IPP's digits; `#1`, `#urgent` or
                // a link's `#anchor` stay plain text.
                let word = token.word.to_owned();
                if word.len() < MIN_IPP_DIGITS || !word.chars().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                let (patient, label) =
                    find_patient(state, caller, &word).await.ok_or_else(|| {
                        format!(
                            "Aucun patient #{word} dans vos unités : vérifiez l'IPP, ou \
                             écrivez-le sans # pour ne pas lier le dossier."
                        )
                    })?;
                mentions.push(Mention::Patient {
                    patient,
                    token: format!("#{}", token.word),
                    label,
                });
            }
        }
    }
    Ok(mentions)
}

/// The patient whose identifier is `ipp`, if the caller may see the chart,
/// with the label readers allowed to see it get.
async fn find_patient(
    state: &AppState,
    caller: &Caller,
    ipp: &str,
) -> Option<(PatientKey, String)> {
    let query = PatientQuery {
        identifier: Some(ipp.to_owned()),
        ..PatientQuery::default()
    };
    let rows = state
        .read(move |store| store.search_patients(&query, 2))
        .await
        .ok()?;
    let [row] = rows.as_slice() else {
        return None;
    };
    let key = row.patient.clone();
    let lookup = key.clone();
    let chart = state
        .read(move |store| store.patient_chart(&lookup))
        .await
        .ok()??;
    let stays = chart.stay.iter().chain(&chart.other_stays);
    match caller.chart_access(state, &key.0, stays) {
        ChartAccess::InScope | ChartAccess::BrokenGlass(_) => {}
        ChartAccess::Refused { .. } => return None,
    }
    let name = crate::format::full_name(row.family.as_deref(), row.given.as_deref());
    let born = row
        .birth_date
        .as_ref()
        .map(|b| format!(", {}", b.display_fr(&state.config().zone)))
        .unwrap_or_default();
    Some((key, format!("{name}{born} (IPP {ipp})")))
}

#[derive(Template)]
#[template(path = "messages/thread.html")]
struct ThreadTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    channel_href: String,
    channel_name: String,
    post_action: String,
    seq: u64,
    root: MessageView,
    replies: Vec<MessageView>,
    versions: Vec<(String, Vec<render::PieceView>)>,
    /// The text as typed, for its author's edit form.
    edit_text: String,
    may_post: bool,
    draft: &'a str,
    error: Option<String>,
    max_size: String,
    accept: String,
}

/// `GET /messagerie/message/{id}`: a message with its replies, its earlier
/// versions, and the forms to reply, edit or withdraw it.
pub(crate) async fn message_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    thread_view(&state, &ctx, &caller, &id, "", None).await
}

async fn thread_view(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    id: &str,
    draft: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    let failed = error.is_some();
    let reader = reader(caller)?;
    let fmt = ctx.fmt(state);
    let people = state.people().await?;
    let (root, replies, channel_id, channel_name, seq) = {
        let book = state.messages_book().await?;
        let (_, message) = book.message(id).ok_or(AppError::PageNotFound)?;
        let channel = member_channel(&book, &message.post.channel, &reader)?;
        // A reply's page is its thread's.
        let root = match &message.post.reply_to {
            Some(root) => book.message(&root.0).ok_or(AppError::PageNotFound)?.1,
            None => message,
        };
        let replies: Vec<_> = root
            .replies
            .iter()
            .map(|&i| book.message_at(i).clone())
            .collect();
        (
            root.clone(),
            replies,
            channel.def.id.clone(),
            channel_name(fmt.tr, &people, channel, &reader.login),
            book.seq(),
        )
    };
    let all: Vec<_> = std::iter::once(root.clone())
        .chain(replies.iter().cloned())
        .collect();
    let visible = render::visible_patients(state, caller, &all).await?;
    let versions = if root.retracted.is_none() {
        root.versions
            .iter()
            .map(|v| {
                let pieces = render::pieces_view(fmt.tr, &people, &visible, &v.text, &v.mentions);
                (fmt.wall(v.replaced_ms), pieces)
            })
            .collect()
    } else {
        Vec::new()
    };
    let edit_text = if root.author == reader.login {
        root.post.text.clone()
    } else {
        String::new()
    };
    let settings = state.messages().settings();
    let main = ThreadTemplate {
        tr: fmt.tr,
        csrf: caller.csrf()?,
        channel_href: channel_href(&channel_id),
        channel_name: channel_name.clone(),
        post_action: format!("{}/envoyer", channel_href(&channel_id)),
        seq,
        root: render::view(&fmt, &people, &reader.login, &visible, &root),
        replies: replies
            .iter()
            .map(|m| render::view(&fmt, &people, &reader.login, &visible, m))
            .collect(),
        versions,
        edit_text,
        may_post: caller.reach(Action::MessagePost) != Reach::Never,
        draft,
        error,
        max_size: fmt.size(settings.attachment_max_bytes),
        accept: accept(settings),
    }
    .render()?;
    form_page(state, ctx, &channel_name, main, failed)
}

/// The edit form.
#[derive(Debug, Deserialize)]
pub(crate) struct EditForm {
    #[serde(default)]
    texte: String,
}

/// `POST /messagerie/message/{id}/modifier`: a new version of one's own
/// message, shown as edited.
pub(crate) async fn edit_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
    form: Result<Form<EditForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    let text = match text::check_text(&form.texte, true) {
        Ok(text) => text.to_owned(),
        Err(reason) => {
            return thread_view(&state, &ctx, &caller, &id, "", Some(capitalised(&reason))).await;
        }
    };
    let mentions = match resolve_mentions(&state, &caller, &text).await {
        Ok(mentions) => mentions,
        Err(reason) => return thread_view(&state, &ctx, &caller, &id, "", Some(reason)).await,
    };
    let fact = MessageFact::Edited {
        id: ItemId(id.clone()),
        text,
        mentions,
    };
    finish(&state, &ctx, &caller, &id, fact).await
}

/// The withdrawal form.
#[derive(Debug, Deserialize)]
pub(crate) struct RetractForm {
    #[serde(default)]
    motif: String,
}

/// `POST /messagerie/message/{id}/retirer`: one's own message withdrawn,
/// with a reason every reader sees.
pub(crate) async fn retract_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
    form: Result<Form<RetractForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    let fact = MessageFact::Retracted {
        id: ItemId(id.clone()),
        reason: form.motif.trim().chars().take(500).collect(),
    };
    finish(&state, &ctx, &caller, &id, fact).await
}

/// The pin form.
#[derive(Debug, Deserialize)]
pub(crate) struct PinForm {
    #[serde(default)]
    epingle: String,
}

/// `POST /messagerie/message/{id}/epingler`.
pub(crate) async fn pin_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
    form: Result<Form<PinForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    let fact = MessageFact::Pinned {
        id: ItemId(id.clone()),
        pinned: form.epingle != "0",
    };
    let channel = {
        let book = state.messages_book().await?;
        book.message(&id)
            .map(|(_, m)| m.post.channel.clone())
            .ok_or(AppError::PageNotFound)?
    };
    let recorded = state
        .message_record(&caller, Action::MessagePost, fact)
        .await;
    match refusal(recorded)? {
        Ok(()) => Ok(redirect(&channel_href(&channel))),
        Err(reason) => channel_view(&state, &ctx, &caller, &channel, None, "", Some(reason)).await,
    }
}

/// Records an edit or withdrawal of message `id`, then shows its thread
/// (with the refusal, if any).
async fn finish(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    id: &str,
    fact: MessageFact,
) -> Result<Response, AppError> {
    {
        let reader = reader(caller)?;
        let book = state.messages_book().await?;
        let (_, message) = book.message(id).ok_or(AppError::PageNotFound)?;
        member_channel(&book, &message.post.channel, &reader)?;
    }
    let recorded = state
        .message_record(caller, Action::MessagePost, fact)
        .await;
    match refusal(recorded)? {
        Ok(()) => Ok(redirect(&format!("{}#m-{id}", message_href(id)))),
        Err(reason) => thread_view(state, ctx, caller, id, "", Some(reason)).await,
    }
}

/// The read-marker form the live script posts.
#[derive(Debug, Deserialize)]
pub(crate) struct ReadForm {
    seq: u64,
}

/// `POST /messagerie/canal/{id}/lu`: the channel read up to `seq` (the
/// script posts it while the channel is on screen). 204.
pub(crate) async fn read_submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    form: Result<Form<ReadForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    let reader = reader(&caller)?;
    let (last, held) = {
        let book = state.messages_book().await?;
        let channel = member_channel(&book, &id, &reader)?;
        (
            book.last_post_seq(channel),
            book.read_up_to(&id, &reader.login),
        )
    };
    let seq = form.seq.min(last);
    if seq > held {
        let fact = MessageFact::ChannelRead { channel: id, seq };
        state
            .message_record(&caller, Action::MessageRead, fact)
            .await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The form opening a conversation.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OpenForm {
    /// `direct`, `groupe` or `canal`.
    #[serde(default)]
    genre: String,
    #[serde(default)]
    nom: String,
    /// Logins, separated by commas or spaces (the form's select posts one
    /// value per field; both are read).
    #[serde(default)]
    membres: String,
    #[serde(default)]
    roles: String,
    #[serde(default)]
    unites: String,
}

/// `POST /messagerie/ouvrir`: a direct conversation (found again if it
/// exists), a group or an ad-hoc channel.
pub(crate) async fn open_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = open_form(&body);
    let reader = reader(&caller)?;
    let people = state.people().await?;
    let mut members: Vec<String> = split_list(&form.membres);
    if let Some(unknown) = members.iter().find(|m| people.get(m).is_none()) {
        let error = format!("Aucun compte « {unknown} ».");
        return home_view(&state, &ctx, &caller, Some(error)).await;
    }
    members.push(reader.login.clone());
    members.sort();
    members.dedup();
    let kind = match form.genre.as_str() {
        "direct" => ChannelKind::Direct,
        "groupe" => ChannelKind::Group,
        "canal" => ChannelKind::AdHoc,
        _ => return Err(AppError::BadInput(crate::error::BadInput::FormInvalid)),
    };
    if kind == ChannelKind::Direct {
        let existing = {
            let book = state.messages_book().await?;
            book.channels_of(&reader)
                .find(|c| {
                    c.def.origin == Origin::Opened(ChannelKind::Direct)
                        && c.def.members.len() == members.len()
                        && members.iter().all(|m| c.def.members.contains(m))
                })
                .map(|c| c.def.id.clone())
        };
        if let Some(existing) = existing {
            return Ok(redirect(&channel_href(&existing)));
        }
    }
    let roles = split_list(&form.roles);
    let units = split_list(&form.unites);
    let known_units: Vec<String> = state
        .read(|store| store.units())
        .await?
        .into_iter()
        .map(|u| u.code)
        .collect();
    let wrong = if let Err(reason) = checked_name(&form.nom) {
        Some(reason)
    } else if let Some(role) = roles.iter().find(|r| Role::from_code(r).is_none()) {
        Some(format!("Aucun rôle « {role} »."))
    } else {
        units
            .iter()
            .find(|u| !known_units.contains(u))
            .map(|unit| format!("Aucune unité « {unit} »."))
    };
    if let Some(error) = wrong {
        return home_view(&state, &ctx, &caller, Some(error)).await;
    }
    let prefix = match kind {
        ChannelKind::Direct => "direct",
        ChannelKind::Group => "groupe",
        ChannelKind::AdHoc => "canal",
    };
    let id = format!("{prefix}:{}", new_id(state.now_ms()).0);
    let spec = ChannelSpec {
        id: id.clone(),
        kind,
        name: form.nom.trim().to_owned(),
        roles: if kind == ChannelKind::AdHoc {
            roles
        } else {
            Vec::new()
        },
        units: if kind == ChannelKind::AdHoc {
            units
        } else {
            Vec::new()
        },
        members,
    };
    let fact = MessageFact::ChannelOpened(spec);
    let recorded = state
        .message_record(&caller, Action::MessagePost, fact)
        .await;
    match refusal(recorded)? {
        Ok(()) => Ok(redirect(&channel_href(&id))),
        Err(reason) => home_view(&state, &ctx, &caller, Some(reason)).await,
    }
}

/// A channel or group name as typed, or why it cannot be one (French):
/// at most [`MAX_NAME_CHARS`] characters, no control character and no
/// character that reverses the direction of the text.
fn checked_name(name: &str) -> Result<&str, String> {
    let name = name.trim();
    let count = name.chars().count();
    if count > MAX_NAME_CHARS {
        return Err(format!(
            "Le nom fait {count} caractères ; {MAX_NAME_CHARS} au plus."
        ));
    }
    if let Some(bad) = name.chars().find(|&c| {
        c.is_control()
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    }) {
        return Err(format!(
            "Le nom contient un caractère invisible ou de contrôle (U+{:04X}).",
            u32::from(bad)
        ));
    }
    Ok(name)
}

/// The open form, where `membres`, `roles` and `unites` may come once per
/// selected option.
fn open_form(body: &[u8]) -> OpenForm {
    let mut form = OpenForm::default();
    for (key, value) in form_urlencoded_pairs(body) {
        let slot = match key.as_str() {
            "genre" => &mut form.genre,
            "nom" => &mut form.nom,
            "membres" | "membre" => &mut form.membres,
            "roles" | "role" => &mut form.roles,
            "unites" | "unite" => &mut form.unites,
            _ => continue,
        };
        if !slot.is_empty() {
            slot.push(',');
        }
        slot.push_str(&value);
    }
    form
}

/// The pairs of a URL-encoded body; a pair that is not UTF-8 is skipped.
fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    body.split(|b| *b == b'&')
        .filter_map(|pair| {
            let text = std::str::from_utf8(pair).ok()?;
            let (key, value) = text.split_once('=').unwrap_or((text, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8()
                    .ok()
                    .map(|c| c.into_owned())
            };
            Some((decode(key)?, decode(value)?))
        })
        .collect()
}

fn split_list(text: &str) -> Vec<String> {
    let mut list: Vec<String> = text
        .split([',', ' ', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    list.sort();
    list.dedup();
    list
}

/// `POST /messagerie/canal/{id}/membres`: people added by hand.
pub(crate) async fn members_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = open_form(&body);
    let people = state.people().await?;
    let logins = split_list(&form.membres);
    if let Some(unknown) = logins.iter().find(|m| people.get(m).is_none()) {
        let error = format!("Aucun compte « {unknown} ».");
        return channel_view(&state, &ctx, &caller, &id, None, "", Some(error)).await;
    }
    let fact = MessageFact::MembersAdded {
        channel: id.clone(),
        logins,
    };
    let recorded = state
        .message_record(&caller, Action::MessagePost, fact)
        .await;
    match refusal(recorded)? {
        Ok(()) => Ok(redirect(&channel_href(&id))),
        Err(reason) => channel_view(&state, &ctx, &caller, &id, None, "", Some(reason)).await,
    }
}

#[derive(Template)]
#[template(path = "messages/search.html")]
struct SearchTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    query: &'a str,
    results: Vec<(String, MessageView)>,
    searched: bool,
}

/// Query of the search.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchParams {
    #[serde(default)]
    q: String,
}

/// `GET /messagerie/recherche?q=`: messages of one's channels holding every
/// word (accents and case ignored).
pub(crate) async fn search_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Query(params): Query<SearchParams>,
) -> Result<Response, AppError> {
    let reader = reader(&caller)?;
    let fmt = ctx.fmt(&state);
    let people = state.people().await?;
    let query = params.q.trim().chars().take(200).collect::<String>();
    let found: Vec<(String, Message)> = if query.is_empty() {
        Vec::new()
    } else {
        let book = state.messages_book().await?;
        book.search(&reader, &query, SEARCH_LIMIT)
            .into_iter()
            .map(|(_, m)| {
                let name = book
                    .channel(&m.post.channel)
                    .map(|c| channel_name(fmt.tr, &people, c, &reader.login))
                    .unwrap_or_default();
                (name, m.clone())
            })
            .collect()
    };
    if !query.is_empty() {
        caller.audit(
            &state,
            Audited::allowed(Action::MessageRead)
                .target("recherche")
                .detail(&format!("{} résultats", found.len())),
        );
    }
    let messages: Vec<_> = found.iter().map(|(_, m)| m.clone()).collect();
    let visible = render::visible_patients(&state, &caller, &messages).await?;
    let main = SearchTemplate {
        tr: fmt.tr,
        csrf: caller.csrf()?,
        query: &query,
        results: found
            .iter()
            .map(|(name, m)| {
                (
                    name.clone(),
                    render::view(&fmt, &people, &reader.login, &visible, m),
                )
            })
            .collect(),
        searched: !query.is_empty(),
    }
    .render()?;
    page(&state, &ctx, fmt.tr.t("messages.search_title"), main)
}

/// `GET /messagerie/piece/{id}`: the attachment of message `id`, for
/// members of its channel, always as a download.
pub(crate) async fn attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let reader = reader(&caller)?;
    let file = {
        let book = state.messages_book().await?;
        let (_, message) = book.message(&id).ok_or(AppError::PageNotFound)?;
        member_channel(&book, &message.post.channel, &reader)?;
        if message.retracted.is_some() {
            return Err(AppError::PageNotFound);
        }
        message
            .post
            .attachment
            .clone()
            .ok_or(AppError::PageNotFound)?
    };
    let hash = file.sha256.clone();
    let stored = state
        .read(move |store| store.attachment(&hash))
        .await?
        .ok_or(AppError::PageNotFound)?;
    caller.audit(
        &state,
        Audited::allowed(Action::MessageRead)
            .target("piece-jointe")
            .detail(&id),
    );
    let mut response = stored.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(&file.mime)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let disposition = format!(
        "attachment; filename=\"piece\"; filename*=UTF-8''{}",
        render::encode(&file.name)
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(response)
}

/// `GET /messagerie/canal/{id}/export.csv`: every message of the channel,
/// edits and withdrawals included, for the after-action report. The
/// crisis cell exports any channel but the conversations it is not in.
pub(crate) async fn export_csv(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let reader = reader(&caller)?;
    let people = state.people().await?;
    let messages: Vec<Message> = {
        let book = state.messages_book().await?;
        let channel = book.channel(&id).ok_or(AppError::PageNotFound)?;
        let private = matches!(
            channel.def.origin,
            Origin::Opened(ChannelKind::Direct | ChannelKind::Group)
        );
        if !channel.has_member(&reader) && private {
            return Err(AppError::PageNotFound);
        }
        book.messages_of(channel, false)
            .map(|(_, m)| m.clone())
            .collect()
    };
    // Patients are named only to someone who may open their chart, as in
    // the pages; each one named is an audited read of that patient.
    let visible = render::visible_patients(&state, &caller, &messages).await?;
    let csv = {
        let book = state.messages_book().await?;
        ckisa_messaging::export::channel_csv(
            &book,
            &id,
            &|login: &str| people.name(login),
            &|patient| visible.contains(patient),
        )
        .ok_or(AppError::PageNotFound)?
    };
    caller.audit(
        &state,
        Audited::allowed(Action::MessageExport)
            .target("export-canal")
            .detail(&id),
    );
    for patient in &visible {
        caller.audit(
            &state,
            Audited::allowed(Action::MessageExport)
                .patient(&patient.0)
                .detail(&id),
        );
    }
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let name: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"messagerie-{name}.csv\""))
    {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
