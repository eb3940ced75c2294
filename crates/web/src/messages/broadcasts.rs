//! Priority broadcasts: a message to roles, units or everyone that every
//! recipient must acknowledge.
//!
//! `/messagerie/diffusions` is each person's inbox: what they still have to
//! acknowledge first, then what they acknowledged, what they sent with its
//! tally, and for a unit manager the broadcasts escalated to her that are
//! still unacknowledged in her units. The sender picks a priority and the
//! recipients (roles, units, or everyone); the recipients are resolved from
//! the accounts when sent (active accounts, sender excluded) and kept in the
//! event, so the tally counts those people whatever changes later. A unit
//! manager reaches `Broadcast` only in her scope: she sends to her own units
//! and nothing else.
//!
//! Opening a broadcast records that the recipient read it (once); the
//! button records the acknowledgement. The sender and the crisis cell see
//! the tally per unit (recipients, read, acknowledged, who is still silent,
//! the escalations run), in a block the live stream replaces on every change
//! ([`tally_fragment`], [`broadcast_push`]).

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use ckisa_auth::{Action, Reach, Role, Scope};
use ckisa_domain::{Broadcast, EscalationStage, MessageFact, Priority, Recipient};
use ckisa_messaging::book::{BroadcastState, Escalation, MessageBook, Reader};
use ckisa_messaging::text;

use super::forms::{Choice, form_page, page};
use super::render::{encode, excerpt};
use super::stream::Push;
use super::{People, new_id, reader};
use crate::access::{Audited, Caller, redirect};
use crate::error::{AppError, read_form};
use crate::format::Fmt;
use crate::i18n::{Lang, Tr};
use crate::layout::role_label;
use crate::{AppState, PageCtx};

/// The inbox.
pub(super) const INBOX_PATH: &str = "/messagerie/diffusions";

/// The form of a new broadcast.
const NEW_PATH: &str = "/messagerie/diffusions/nouvelle";

/// Longest excerpt of a broadcast's text in a list, in characters.
const EXCERPT_CHARS: usize = 160;

/// The page of a broadcast.
pub(super) fn broadcast_href(id: &str) -> String {
    format!("{INBOX_PATH}/{}", encode(id))
}

// ---------------------------------------------------------------------------
// Rights.

/// Whether the caller follows every broadcast (the crisis director and
/// cell, who reach `Broadcast` everywhere).
pub(super) fn oversees(caller: &Caller) -> bool {
    caller.reach(Action::Broadcast) == Reach::Everywhere
}

/// Whether the caller sees the tally of `broadcast`: its sender, and the
/// crisis director and cell.
pub(super) fn sees_tally(caller: &Caller, login: &str, broadcast: &BroadcastState) -> bool {
    broadcast.author == login || oversees(caller)
}

/// Whether the caller may open `broadcast` at all.
fn may_open(caller: &Caller, login: &str, broadcast: &BroadcastState) -> bool {
    broadcast.is_recipient(login)
        || sees_tally(caller, login, broadcast)
        || told_of(broadcast, login)
}

/// To whom the caller may send.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SendRights {
    /// Roles, units and everyone (the crisis direction).
    Anyone,
    /// Only units; only these ones (`None`: every unit).
    Units(Option<Vec<String>>),
}

impl SendRights {
    fn of(caller: &Caller) -> Option<SendRights> {
        match caller.reach(Action::Broadcast) {
            Reach::Never => None,
            Reach::Everywhere => Some(SendRights::Anyone),
            Reach::InScope => {
                let scope = &caller.session()?.account.scope;
                Some(SendRights::Units(match scope {
                    Scope::AllUnits => None,
                    Scope::Units(codes) => Some(codes.clone()),
                }))
            }
        }
    }

    fn may_unit(&self, code: &str) -> bool {
        match self {
            SendRights::Anyone | SendRights::Units(None) => true,
            SendRights::Units(Some(codes)) => codes.iter().any(|c| c == code),
        }
    }
}

// ---------------------------------------------------------------------------
// Words.

fn priority_label(tr: Tr, priority: Priority) -> &'static str {
    tr.t(match priority {
        Priority::Information => "broadcast.priority_information",
        Priority::Important => "broadcast.priority_important",
        Priority::Urgent => "broadcast.priority_urgent",
    })
}

/// "cadres prévenus après 10 min, notification externe après 20 min".
fn delays_text(tr: Tr, manager_after_min: Option<u32>, hook_after_min: Option<u32>) -> String {
    let mut parts = Vec::new();
    if let Some(minutes) = manager_after_min {
        let n = minutes.to_string();
        parts.push(tr.fmt("broadcast.escalate_managers", &[("n", &n)]));
    }
    if let Some(minutes) = hook_after_min {
        let n = minutes.to_string();
        parts.push(tr.fmt("broadcast.escalate_hook", &[("n", &n)]));
    }
    if parts.is_empty() {
        return tr.t("broadcast.escalate_none").to_owned();
    }
    parts.join(", ")
}

/// A unit as the tally names it: `CARDIO — Cardiologie`, the code alone
/// when the book knows no other name, "sans unité" for none.
fn unit_label(tr: Tr, book: &MessageBook, code: &str) -> String {
    if code.is_empty() {
        return tr.t("broadcast.no_unit").to_owned();
    }
    match book.channel(&format!("unite:{code}")) {
        Some(channel) if channel.def.name != code => format!("{code} — {}", channel.def.name),
        _ => code.to_owned(),
    }
}

/// Who a broadcast was sent to, in words.
fn targets_text(tr: Tr, book: &MessageBook, spec: &Broadcast) -> String {
    if spec.everyone {
        return tr.t("broadcast.to_everyone").to_owned();
    }
    let mut parts = Vec::new();
    if !spec.roles.is_empty() {
        let roles: Vec<&str> = spec
            .roles
            .iter()
            .map(|code| Role::from_code(code).map_or(code.as_str(), |r| role_label(tr, r)))
            .collect();
        parts.push(tr.fmt("broadcast.to_roles", &[("list", &roles.join(", "))]));
    }
    if !spec.units.is_empty() {
        let units: Vec<String> = spec.units.iter().map(|u| unit_label(tr, book, u)).collect();
        parts.push(tr.fmt("broadcast.to_units", &[("list", &units.join(", "))]));
    }
    parts.join(" ; ")
}

// ---------------------------------------------------------------------------
// The inbox.

/// A broadcast in a recipient's list (`messages/broadcast_line.html`, also
/// what the live stream pushes to a recipient).
pub(super) struct LineView {
    id: String,
    href: String,
    priority_code: &'static str,
    priority: &'static str,
    author: String,
    sent: String,
    excerpt: String,
    status: String,
    pending: bool,
}

fn line_view(fmt: &Fmt<'_>, people: &People, login: &str, broadcast: &BroadcastState) -> LineView {
    let tr = fmt.tr;
    let spec = &broadcast.spec;
    let status = match broadcast.acknowledged.get(login) {
        Some(&at) => tr.fmt("broadcast.acknowledged_at", &[("when", &fmt.wall(at))]),
        None => tr.t("broadcast.to_acknowledge").to_owned(),
    };
    LineView {
        id: spec.id.0.clone(),
        href: broadcast_href(&spec.id.0),
        priority_code: spec.priority.code(),
        priority: priority_label(tr, spec.priority),
        author: people.name(&broadcast.author),
        sent: fmt.wall(broadcast.sent_ms),
        excerpt: excerpt(&spec.text, EXCERPT_CHARS),
        status,
        pending: !broadcast.acknowledged.contains_key(login),
    }
}

#[derive(Template)]
#[template(path = "messages/broadcast_line.html")]
struct LineTemplate<'a> {
    tr: Tr,
    line: &'a LineView,
}

/// A broadcast in its sender's list, with its tally in numbers.
struct SentView {
    href: String,
    priority_code: &'static str,
    priority: &'static str,
    author: String,
    sent: String,
    excerpt: String,
    recipients: usize,
    read: usize,
    acknowledged: usize,
    escalations: usize,
}

fn sent_view(fmt: &Fmt<'_>, people: &People, broadcast: &BroadcastState) -> SentView {
    let spec = &broadcast.spec;
    SentView {
        href: broadcast_href(&spec.id.0),
        priority_code: spec.priority.code(),
        priority: priority_label(fmt.tr, spec.priority),
        author: people.name(&broadcast.author),
        sent: fmt.wall(broadcast.sent_ms),
        excerpt: excerpt(&spec.text, EXCERPT_CHARS),
        recipients: spec.recipients.len(),
        read: broadcast.read.len(),
        acknowledged: broadcast.acknowledged.len(),
        escalations: broadcast.escalations.len(),
    }
}

/// A broadcast escalated to a unit manager, still unacknowledged by people
/// of her units.
struct WatchView {
    href: String,
    priority_code: &'static str,
    priority: &'static str,
    author: String,
    sent: String,
    escalated: String,
    excerpt: String,
    /// The silent people of her units, by name.
    pending: Vec<String>,
}

/// A broadcast a unit manager watches: the managers' escalation and the
/// silent recipients of her units.
struct Watched<'a> {
    broadcast: &'a BroadcastState,
    escalation: &'a Escalation,
    pending: Vec<&'a str>,
}

/// The broadcasts whose managers' escalation told `reader` or, for a unit
/// manager, concerns her units (she may have been named since), with the
/// silent recipients of her units (of every unit when she manages none and
/// was told); newest first. Those everybody acknowledged are left out.
fn watching<'a>(book: &'a MessageBook, reader: &Reader) -> Vec<Watched<'a>> {
    let mine = reader.units.listed();
    let manages = reader.role == Role::UnitManager.code();
    let mut found = Vec::new();
    for broadcast in book.broadcasts().iter().rev() {
        let Some(escalation) = managers_stage(broadcast) else {
            continue;
        };
        let told = escalation.notified.contains(&reader.login);
        let concerns = |units: &[String]| units.iter().any(|u| mine.contains(u));
        let ours = manages && broadcast.spec.recipients.iter().any(|r| concerns(&r.units));
        if !told && !ours {
            continue;
        }
        let pending: Vec<&str> = broadcast
            .spec
            .recipients
            .iter()
            .filter(|r| !broadcast.acknowledged.contains_key(&r.login))
            .filter(|r| concerns(&r.units) || (mine.is_empty() && told))
            .map(|r| r.login.as_str())
            .collect();
        if !pending.is_empty() {
            found.push(Watched {
                broadcast,
                escalation,
                pending,
            });
        }
    }
    found
}

/// How many broadcasts escalated to `reader` still wait for people of her
/// units (the page header's second broadcast line).
pub(super) fn watched_count(book: &MessageBook, reader: &Reader) -> usize {
    watching(book, reader).len()
}

/// Whether the managers' escalation of `broadcast` told `login`.
pub(super) fn told_of(broadcast: &BroadcastState, login: &str) -> bool {
    managers_stage(broadcast).is_some_and(|e| e.notified.iter().any(|n| n == login))
}

/// The escalation of `broadcast` to unit managers, once it ran.
fn managers_stage(broadcast: &BroadcastState) -> Option<&Escalation> {
    broadcast
        .escalations
        .iter()
        .find(|e| e.stage == EscalationStage::Managers)
}

/// [`watching`] as the inbox shows it. Nobody else sees who is silent.
fn watched(fmt: &Fmt<'_>, people: &People, book: &MessageBook, reader: &Reader) -> Vec<WatchView> {
    watching(book, reader)
        .into_iter()
        .map(|w| {
            let spec = &w.broadcast.spec;
            WatchView {
                href: broadcast_href(&spec.id.0),
                priority_code: spec.priority.code(),
                priority: priority_label(fmt.tr, spec.priority),
                author: people.name(&w.broadcast.author),
                sent: fmt.wall(w.broadcast.sent_ms),
                escalated: fmt.wall(w.escalation.at_ms),
                excerpt: excerpt(&spec.text, EXCERPT_CHARS),
                pending: w.pending.iter().map(|login| people.name(login)).collect(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "messages/broadcast_inbox.html")]
struct InboxTemplate {
    tr: Tr,
    /// The book's number the page shows, where the live stream resumes.
    seq: u64,
    may_send: bool,
    to_acknowledge: Vec<LineView>,
    watched: Vec<WatchView>,
    acknowledged: Vec<LineView>,
    sent: Vec<SentView>,
    others: Vec<SentView>,
}

/// `GET /messagerie/diffusions`.
pub(crate) async fn broadcasts_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    let reader = reader(&caller)?;
    let fmt = ctx.fmt(&state);
    let tr = fmt.tr;
    let people = state.people().await?;
    let main = {
        let book = state.messages_book().await?;
        let login = reader.login.as_str();
        let (to_acknowledge, acknowledged): (Vec<LineView>, Vec<LineView>) = book
            .inbox(login)
            .map(|(_, b)| line_view(&fmt, &people, login, b))
            .partition(|line| line.pending);
        let newest_first = book.broadcasts().iter().rev();
        let sent = newest_first
            .clone()
            .filter(|b| b.author == login)
            .map(|b| sent_view(&fmt, &people, b))
            .collect();
        let others = if oversees(&caller) {
            newest_first
                .filter(|b| b.author != login)
                .map(|b| sent_view(&fmt, &people, b))
                .collect()
        } else {
            Vec::new()
        };
        InboxTemplate {
            tr,
            seq: book.seq(),
            may_send: SendRights::of(&caller).is_some(),
            to_acknowledge,
            watched: watched(&fmt, &people, &book, &reader),
            acknowledged,
            sent,
            others,
        }
        .render()?
    };
    page(&state, &ctx, tr.t("broadcast.inbox_title"), main)
}

// ---------------------------------------------------------------------------
// Sending.

/// The new-broadcast form as posted (checkboxes repeat their name, so the
/// form is read as pairs).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct SendForm {
    text: String,
    priority: String,
    roles: Vec<String>,
    units: Vec<String>,
    everyone: bool,
}

impl SendForm {
    fn of(pairs: Vec<(String, String)>) -> SendForm {
        let mut form = SendForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "texte" => form.text = value,
                "priorite" => form.priority = value,
                "role" => form.roles.push(value),
                "unite" => form.units.push(value),
                "tous" => form.everyone = value == "1",
                _ => {}
            }
        }
        form
    }
}

#[derive(Template)]
#[template(path = "messages/broadcast_form.html")]
struct SendTemplate<'a> {
    tr: Tr,
    action: &'static str,
    csrf: &'a str,
    text: &'a str,
    priorities: Vec<Choice>,
    roles: Vec<Choice>,
    units: Vec<Choice>,
    /// The caller may send to everyone and to roles.
    anyone: bool,
    everyone: bool,
    errors: Vec<String>,
}

/// The units of the establishment, code and name, in the store's order.
async fn store_units(state: &AppState) -> Result<Vec<(String, String)>, AppError> {
    let units = state.read(|store| store.units()).await?;
    Ok(units
        .into_iter()
        .filter(|u| u.code != ckisa_store::UNLOCATED_UNIT)
        .map(|u| (u.code, u.name))
        .collect())
}

/// `GET /messagerie/diffusions/nouvelle`.
pub(crate) async fn broadcast_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    let draft = SendForm {
        priority: Priority::Important.code().to_owned(),
        ..SendForm::default()
    };
    form_view(&state, &ctx, &caller, &draft, Vec::new()).await
}

async fn form_view(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    draft: &SendForm,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let rights = SendRights::of(caller).ok_or(AppError::Forbidden)?;
    let tr = Tr(ctx.lang);
    let escalation = state.messages().settings().escalation;
    let priorities = Priority::ALL
        .into_iter()
        .rev()
        .map(|priority| {
            let delays = escalation.delays(priority);
            let words = delays_text(tr, delays.manager_after_min, delays.hook_after_min);
            Choice {
                value: priority.code().to_owned(),
                label: format!("{} ({words})", priority_label(tr, priority)),
                checked: draft.priority == priority.code(),
            }
        })
        .collect();
    let anyone = rights == SendRights::Anyone;
    let roles = if anyone {
        Role::ALL
            .into_iter()
            .map(|role| Choice {
                value: role.code().to_owned(),
                label: role_label(tr, role).to_owned(),
                checked: draft.roles.iter().any(|r| r == role.code()),
            })
            .collect()
    } else {
        Vec::new()
    };
    let units = store_units(state)
        .await?
        .into_iter()
        .filter(|(code, _)| rights.may_unit(code))
        .map(|(code, name)| Choice {
            checked: draft.units.contains(&code),
            label: if name == code {
                code.clone()
            } else {
                format!("{code} — {name}")
            },
            value: code,
        })
        .collect();
    let failed = !errors.is_empty();
    let main = SendTemplate {
        tr,
        action: NEW_PATH,
        csrf: caller.csrf()?,
        text: &draft.text,
        priorities,
        roles,
        units,
        anyone,
        everyone: draft.everyone,
        errors,
    }
    .render()?;
    form_page(state, ctx, tr.t("broadcast.new_title"), main, failed)
}

/// `POST /messagerie/diffusions/nouvelle`.
pub(crate) async fn broadcast_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, AppError> {
    let draft = SendForm::of(read_form(form)?);
    let sender = reader(&caller)?;
    let rights = SendRights::of(&caller).ok_or(AppError::Forbidden)?;
    let tr = Tr(ctx.lang);
    let known_units: Vec<String> = store_units(&state)
        .await?
        .into_iter()
        .map(|(code, _)| code)
        .collect();
    let people = state.people().await?;
    let now_ms = state.now_ms();
    let checked = check_send(tr, &rights, &known_units, &draft).and_then(|priority| {
        let recipients = recipients(
            &people,
            &sender.login,
            &draft.roles,
            &draft.units,
            draft.everyone,
        );
        if recipients.is_empty() {
            return Err(vec![tr.t("broadcast.error_nobody").to_owned()]);
        }
        let delays = state.messages().settings().escalation.delays(priority);
        Ok(Broadcast {
            id: new_id(now_ms),
            priority,
            text: draft.text.trim().to_owned(),
            roles: draft.roles.clone(),
            units: draft.units.clone(),
            everyone: draft.everyone,
            recipients,
            manager_after_min: delays.manager_after_min,
            hook_after_min: delays.hook_after_min,
        })
    });
    match checked {
        Ok(broadcast) => {
            let target = broadcast_href(&broadcast.id.0);
            let fact = MessageFact::BroadcastSent(broadcast);
            state
                .message_record(&caller, Action::Broadcast, fact)
                .await?;
            Ok(redirect(&target))
        }
        Err(errors) => form_view(&state, &ctx, &caller, &draft, errors).await,
    }
}

/// The priority of a well-formed form, or every French error of it.
fn check_send(
    tr: Tr,
    rights: &SendRights,
    known_units: &[String],
    draft: &SendForm,
) -> Result<Priority, Vec<String>> {
    let mut errors = Vec::new();
    if let Err(reason) = text::check_text(&draft.text, false) {
        errors.push(tr.fmt("broadcast.error_text", &[("reason", &reason)]));
    }
    let priority = Priority::from_code(draft.priority.trim());
    if priority.is_none() {
        errors.push(tr.t("broadcast.error_priority").to_owned());
    }
    if draft.roles.is_empty() && draft.units.is_empty() && !draft.everyone {
        errors.push(tr.t("broadcast.error_no_target").to_owned());
    }
    for role in &draft.roles {
        if Role::from_code(role).is_none_or(|r| r.code() != role) {
            errors.push(tr.fmt("broadcast.error_role", &[("role", role)]));
        }
    }
    for unit in &draft.units {
        if !known_units.contains(unit) {
            errors.push(tr.fmt("broadcast.error_unit", &[("unit", unit)]));
        }
    }
    if let SendRights::Units(own) = rights {
        let allowed = match own {
            None => tr.t("broadcast.all_units").to_owned(),
            Some(codes) if codes.is_empty() => tr.t("broadcast.no_units").to_owned(),
            Some(codes) => codes.join(", "),
        };
        if !draft.roles.is_empty() || draft.everyone {
            errors.push(tr.fmt("broadcast.error_units_only", &[("units", &allowed)]));
        }
        for unit in draft.units.iter().filter(|u| !rights.may_unit(u)) {
            errors.push(tr.fmt(
                "broadcast.error_not_your_unit",
                &[("unit", unit), ("units", &allowed)],
            ));
        }
    }
    match priority {
        Some(priority) if errors.is_empty() => Ok(priority),
        _ => Err(errors),
    }
}

/// The active accounts a broadcast reaches, sender excluded, in the order
/// of `people` (by name). A recipient counts under her units: all of them
/// when she is reached by her role or as one of everyone, the targeted ones
/// when reached by her units only. Accounts of every unit belong to none.
fn recipients(
    people: &People,
    sender: &str,
    roles: &[String],
    units: &[String],
    everyone: bool,
) -> Vec<Recipient> {
    let mut found = Vec::new();
    for person in people
        .all
        .iter()
        .filter(|p| !p.disabled && p.login != sender)
    {
        let own: &[String] = match &person.scope {
            Scope::AllUnits => &[],
            Scope::Units(codes) => codes,
        };
        let by_role = everyone || roles.iter().any(|r| r == person.role.code());
        let targeted: Vec<String> = own.iter().filter(|u| units.contains(u)).cloned().collect();
        if !by_role && targeted.is_empty() {
            continue;
        }
        found.push(Recipient {
            login: person.login.clone(),
            name: person.name.clone(),
            role: person.role.code().to_owned(),
            units: if by_role { own.to_vec() } else { targeted },
        });
    }
    found
}

// ---------------------------------------------------------------------------
// One broadcast.

/// A broadcast in full.
struct DetailView {
    id: String,
    priority_code: &'static str,
    priority: &'static str,
    author: String,
    sent: String,
    targets: String,
    recipients: String,
    delays: String,
    text: String,
}

struct AckForm<'a> {
    csrf: &'a str,
    action: String,
}

#[derive(Template)]
#[template(path = "messages/broadcast_detail.html")]
struct DetailTemplate<'a> {
    tr: Tr,
    seq: u64,
    d: DetailView,
    status: Option<String>,
    ack: Option<AckForm<'a>>,
    /// The tally block's inner HTML, rendered by [`tally_fragment`].
    tally: Option<String>,
}

/// `GET /messagerie/diffusions/{id}`: records that a recipient read it,
/// the first time.
pub(crate) async fn broadcast_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let reader = reader(&caller)?;
    let login = reader.login.clone();
    let first_read = {
        let book = state.messages_book().await?;
        let (_, broadcast) = book.broadcast(&id).ok_or(AppError::PageNotFound)?;
        if !may_open(&caller, &login, broadcast) {
            caller.audit(
                &state,
                Audited::denied(Action::MessageRead)
                    .target("diffusion")
                    .detail(&id),
            );
            // The same answer as an unknown id: whether a broadcast exists
            // is none of the caller's business.
            return Err(AppError::PageNotFound);
        }
        broadcast.is_recipient(&login) && !broadcast.read.contains_key(&login)
    };
    if first_read {
        let fact = MessageFact::BroadcastRead {
            id: ckisa_domain::ItemId(id.clone()),
        };
        record_receipt(&state, &caller, fact).await?;
    }

    let fmt = ctx.fmt(&state);
    let tr = fmt.tr;
    let people = state.people().await?;
    let book = state.messages_book().await?;
    let (index, broadcast) = book.broadcast(&id).ok_or(AppError::PageNotFound)?;
    let spec = &broadcast.spec;
    let d = DetailView {
        id: spec.id.0.clone(),
        priority_code: spec.priority.code(),
        priority: priority_label(tr, spec.priority),
        author: people.name(&broadcast.author),
        sent: fmt.wall(broadcast.sent_ms),
        targets: targets_text(tr, &book, spec),
        recipients: tr.fmt(
            "broadcast.recipients_count",
            &[("n", &spec.recipients.len().to_string())],
        ),
        delays: delays_text(tr, spec.manager_after_min, spec.hook_after_min),
        text: spec.text.clone(),
    };
    let status = if broadcast.is_recipient(&login) {
        Some(match broadcast.acknowledged.get(&login) {
            Some(&at) => tr.fmt("broadcast.acknowledged_at", &[("when", &fmt.wall(at))]),
            None => tr.t("broadcast.please_acknowledge").to_owned(),
        })
    } else {
        None
    };
    let ack = if broadcast.is_recipient(&login) && !broadcast.acknowledged.contains_key(&login) {
        Some(AckForm {
            csrf: caller.csrf()?,
            action: format!("{}/accuser", broadcast_href(&id)),
        })
    } else {
        None
    };
    let tally = if sees_tally(&caller, &login, broadcast) {
        Some(tally_fragment(&fmt, &book, &people, index)?)
    } else {
        None
    };
    let seq = book.seq();
    drop(book);
    let main = DetailTemplate {
        tr,
        seq,
        d,
        status,
        ack,
        tally,
    }
    .render()?;
    page(&state, &ctx, tr.t("broadcast.detail_title"), main)
}

/// `POST /messagerie/diffusions/{id}/accuser`: a second acknowledgement is
/// no error.
pub(crate) async fn acknowledge_submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let reader = reader(&caller)?;
    let done = {
        let book = state.messages_book().await?;
        let (_, broadcast) = book.broadcast(&id).ok_or(AppError::PageNotFound)?;
        if !broadcast.is_recipient(&reader.login) {
            // As for an unknown id (see `broadcast_page`).
            return Err(AppError::PageNotFound);
        }
        broadcast.acknowledged.contains_key(&reader.login)
    };
    if !done {
        let fact = MessageFact::BroadcastAcknowledged {
            id: ckisa_domain::ItemId(id.clone()),
        };
        record_receipt(&state, &caller, fact).await?;
    }
    Ok(redirect(&broadcast_href(&id)))
}

/// Records that the caller read or acknowledged a broadcast. A refusal is
/// no error: another tab of the same person has just recorded it.
async fn record_receipt(
    state: &AppState,
    caller: &Caller,
    fact: MessageFact,
) -> Result<(), AppError> {
    match state
        .message_record(caller, Action::MessageRead, fact)
        .await
    {
        Ok(()) | Err(AppError::Refused(_)) => Ok(()),
        Err(error) => Err(error),
    }
}

// ---------------------------------------------------------------------------
// The tally.

struct TallyRowView {
    code: String,
    unit: String,
    recipients: usize,
    read: usize,
    acknowledged: usize,
    pending: String,
    complete: bool,
}

struct EscalationView {
    stage: &'static str,
    when: String,
    pending: String,
    notified: String,
    failure: Option<String>,
}

#[derive(Template)]
#[template(path = "messages/broadcast_tally.html")]
struct TallyTemplate {
    tr: Tr,
    total: String,
    rows: Vec<TallyRowView>,
    escalations: Vec<EscalationView>,
}

/// The inner HTML of the `#decompte` block of broadcast number `index` of
/// `book`: totals, one row per unit, the escalations run.
pub(super) fn tally_fragment(
    fmt: &Fmt<'_>,
    book: &MessageBook,
    people: &People,
    index: usize,
) -> Result<String, AppError> {
    let tr = fmt.tr;
    let broadcast = book.broadcasts().get(index).ok_or(AppError::PageNotFound)?;
    let names = |logins: &[String]| -> String {
        logins
            .iter()
            .map(|l| people.name(l))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rows = broadcast
        .tally()
        .into_iter()
        .map(|row| TallyRowView {
            unit: unit_label(tr, book, &row.unit),
            recipients: row.recipients,
            read: row.read,
            acknowledged: row.acknowledged,
            pending: names(&row.pending),
            complete: row.pending.is_empty(),
            code: row.unit,
        })
        .collect();
    let total = tr.fmt(
        "broadcast.tally_total",
        &[
            ("recipients", &broadcast.spec.recipients.len().to_string()),
            ("read", &broadcast.read.len().to_string()),
            ("acknowledged", &broadcast.acknowledged.len().to_string()),
        ],
    );
    let escalations = broadcast
        .escalations
        .iter()
        .map(|e| EscalationView {
            stage: tr.t(match e.stage {
                EscalationStage::Managers => "broadcast.stage_managers",
                EscalationStage::Hook => "broadcast.stage_hook",
            }),
            when: fmt.wall(e.at_ms),
            pending: names(&e.pending),
            notified: match e.stage {
                EscalationStage::Managers => names(&e.notified),
                EscalationStage::Hook => e.notified.join(", "),
            },
            failure: e.failure.clone(),
        })
        .collect();
    Ok(TallyTemplate {
        tr,
        total,
        rows,
        escalations,
    }
    .render()?)
}

/// What happened to a broadcast, for [`broadcast_push`].
#[derive(Debug, Clone, Copy)]
pub(super) enum BroadcastChange<'a> {
    /// It was sent.
    Sent,
    /// Someone (`actor`, empty for the node) read or acknowledged it, or it
    /// escalated.
    Moved { actor: &'a str },
}

/// What the live stream sends `caller` about broadcast number `index` (sent,
/// read, acknowledged or escalated): the tally to its sender and the crisis
/// cell (`decompte`), the inbox line to a recipient who has not
/// acknowledged it yet (`diffusion`; a cell member who has not opened it yet
/// gets the line first), to a unit manager its managers' escalation told
/// an `escalade` without HTML (the stream's counts carry what changed),
/// nothing to anyone else. Every open stream asks on
/// every acknowledgement: who gets nothing is found without a scan of the
/// recipients.
pub(super) async fn broadcast_push(
    state: &AppState,
    lang: Lang,
    caller: &Caller,
    reader: &Reader,
    index: usize,
    change: BroadcastChange<'_>,
) -> Result<Option<Push>, AppError> {
    let people = state.people().await?;
    let book = state.messages_book().await?;
    let Some(broadcast) = book.broadcasts().get(index) else {
        return Ok(None);
    };
    let login = reader.login.as_str();
    let recipient = book.inbox(login).any(|(at, _)| at == index);
    let unread = recipient && !broadcast.read.contains_key(login);
    let tally = sees_tally(caller, login, broadcast) && !unread;
    // A recipient's own line changes when the broadcast arrives and when
    // she reads or acknowledges it, not when someone else does.
    let own = match change {
        BroadcastChange::Sent => true,
        BroadcastChange::Moved { actor } => actor == login,
    };
    let line = !tally && own && recipient && !broadcast.acknowledged.contains_key(login);
    if !tally && !line {
        if told_of(broadcast, login) {
            return Ok(Some(Push {
                kind: "escalade",
                id: broadcast.spec.id.0.clone(),
                channel: None,
                root: None,
                html: String::new(),
            }));
        }
        return Ok(None);
    }
    let fmt = Fmt {
        tr: Tr(lang),
        zone: &state.config().zone,
        now_ms: state.now_ms(),
    };
    let (kind, html) = if tally {
        ("decompte", tally_fragment(&fmt, &book, &people, index)?)
    } else {
        let line = line_view(&fmt, &people, login, broadcast);
        (
            "diffusion",
            LineTemplate {
                tr: fmt.tr,
                line: &line,
            }
            .render()?,
        )
    };
    Ok(Some(Push {
        kind,
        id: broadcast.spec.id.0.clone(),
        channel: None,
        root: None,
        html,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::Person;

    fn person(login: &str, role: Role, scope: Scope, disabled: bool) -> Person {
        Person {
            login: login.into(),
            name: format!("Nom {login}"),
            role,
            scope,
            disabled,
        }
    }

    fn units(codes: &[&str]) -> Scope {
        Scope::Units(codes.iter().map(|c| (*c).to_owned()).collect())
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn people() -> People {
        People {
            all: vec![
                person("dir", Role::CrisisDirector, Scope::AllUnits, false),
                person("cadre-cardio", Role::UnitManager, units(&["CARDIO"]), false),
                person("ide-both", Role::Nurse, units(&["CARDIO", "REA"]), false),
                person("ide-rea", Role::Nurse, units(&["REA"]), false),
                person("ide-gone", Role::Nurse, units(&["REA"]), true),
                person("pharma", Role::Pharmacist, Scope::AllUnits, false),
            ],
            ..People::default()
        }
    }

    fn logins_and_units(found: &[Recipient]) -> Vec<(String, Vec<String>)> {
        found
            .iter()
            .map(|r| (r.login.clone(), r.units.clone()))
            .collect()
    }

    #[test]
    fn recipients_are_active_accounts_without_the_sender() {
        let everyone = recipients(&people(), "dir", &[], &[], true);
        let logins: Vec<&str> = everyone.iter().map(|r| r.login.as_str()).collect();
        assert_eq!(
            logins,
            ["cadre-cardio", "ide-both", "ide-rea", "pharma"],
            "disabled accounts and the sender are left out"
        );
        assert_eq!(everyone[0].role, "cadre");
        assert_eq!(everyone[0].name, "Nom cadre-cardio");
    }

    #[test]
    fn a_unit_target_counts_people_under_the_targeted_units_only() {
        let found = recipients(&people(), "dir", &[], &strings(&["CARDIO"]), false);
        assert_eq!(
            logins_and_units(&found),
            [
                ("cadre-cardio".to_owned(), strings(&["CARDIO"])),
                ("ide-both".to_owned(), strings(&["CARDIO"])),
            ]
        );
        // Reached by role, a person counts under all her units.
        let found = recipients(
            &people(),
            "dir",
            &strings(&["infirmier"]),
            &strings(&["CARDIO"]),
            false,
        );
        assert_eq!(
            logins_and_units(&found),
            [
                ("cadre-cardio".to_owned(), strings(&["CARDIO"])),
                ("ide-both".to_owned(), strings(&["CARDIO", "REA"])),
                ("ide-rea".to_owned(), strings(&["REA"])),
            ]
        );
        // Accounts of every unit are in no unit.
        let found = recipients(&people(), "dir", &strings(&["pharmacien"]), &[], false);
        assert_eq!(
            logins_and_units(&found),
            [("pharma".to_owned(), Vec::new())]
        );
    }

    fn form(roles: &[&str], units: &[&str], everyone: bool) -> SendForm {
        SendForm {
            text: "Confinement des unités".into(),
            priority: "urgent".into(),
            roles: strings(roles),
            units: strings(units),
            everyone,
        }
    }

    #[test]
    fn a_unit_manager_sends_to_her_units_only() {
        let fr = Tr(Lang::Fr);
        let known = strings(&["CARDIO", "REA"]);
        let own = SendRights::Units(Some(strings(&["CARDIO"])));
        assert_eq!(
            check_send(fr, &own, &known, &form(&[], &["CARDIO"], false)),
            Ok(Priority::Urgent)
        );
        let errors = check_send(fr, &own, &known, &form(&[], &["REA"], false)).unwrap_err();
        assert_eq!(
            errors,
            ["L'unité REA n'est pas dans votre périmètre : vous ne pouvez diffuser qu'à CARDIO."]
        );
        let errors = check_send(fr, &own, &known, &form(&["infirmier"], &[], true)).unwrap_err();
        assert_eq!(
            errors,
            ["Vous ne pouvez diffuser qu'à des unités, et seulement aux vôtres : CARDIO."]
        );
        assert!(
            check_send(
                fr,
                &SendRights::Anyone,
                &known,
                &form(&["infirmier"], &[], true)
            )
            .is_ok()
        );
    }

    #[test]
    fn a_bad_form_says_every_problem() {
        let fr = Tr(Lang::Fr);
        let known = strings(&["CARDIO"]);
        let draft = SendForm {
            text: "  ".into(),
            priority: "tres-urgent".into(),
            roles: strings(&["chirurgien"]),
            units: strings(&["NEURO"]),
            everyone: false,
        };
        let errors = check_send(fr, &SendRights::Anyone, &known, &draft).unwrap_err();
        assert_eq!(
            errors,
            [
                "Le texte ne convient pas : le message est vide.",
                "Choisissez une priorité : information, important ou urgent.",
                "Rôle inconnu : chirurgien.",
                "Unité inconnue : NEURO.",
            ]
        );
        let nobody = SendForm {
            roles: Vec::new(),
            units: Vec::new(),
            ..form(&[], &[], false)
        };
        let errors = check_send(fr, &SendRights::Anyone, &known, &nobody).unwrap_err();
        assert_eq!(
            errors,
            ["Choisissez les destinataires : des rôles, des unités ou tout l'établissement."]
        );
    }

    #[test]
    fn forms_are_read_from_repeated_fields() {
        let pairs = [
            ("csrf", "x"),
            ("texte", "Bonjour"),
            ("priorite", "important"),
            ("role", "cadre"),
            ("role", "infirmier"),
            ("unite", "REA"),
            ("tous", "1"),
        ];
        let form = SendForm::of(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        assert_eq!(form.roles, ["cadre", "infirmier"]);
        assert_eq!(form.units, ["REA"]);
        assert!(form.everyone);
        assert_eq!(form.priority, "important");
    }

    #[test]
    fn delays_read_as_words() {
        let fr = Tr(Lang::Fr);
        assert_eq!(
            delays_text(fr, Some(10), Some(20)),
            "cadres prévenus après 10 min, notification externe après 20 min"
        );
        assert_eq!(delays_text(fr, None, None), "pas d'escalade");
    }
}
