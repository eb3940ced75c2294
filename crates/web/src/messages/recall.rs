//! The recall of off-duty staff (plan blanc).
//!
//! The crisis cell picks roles and units among those of the roster
//! (`[messagerie]` config), previews how many people that calls, and sends.
//! Each person gets a reply code (6 random digits) and an answer link
//! holding a secret (32 random bytes in hex, of which the recall keeps only
//! the SHA-256); the notification hook is then run once per person in a
//! task of its own, and each outcome is recorded (`RecallNotified`).
//!
//! Answers come three ways: the person's link (`/rappel/{secret}`, no
//! login: the secret is the capability, and the page shows only that
//! person's first name and the message), the SMS gateway relaying a reply
//! such as `482913 1 45` to `POST /api/v1/rappel/reponse` with a token, or
//! someone of the cell typing an answer taken by phone. A new answer
//! replaces the previous one. The cell follows the counts per role live
//! ([`counts_fragment`], [`recall_push`]).

use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ckisa_auth::{Action, Reach, Role};
use ckisa_domain::{AnswerVia, ItemId, MessageFact, RecallAnswer};
use ckisa_messaging::book::{Reader, RecallState};
use ckisa_messaging::recall::{self as recalling, MAX_ETA_MIN};
use ckisa_messaging::settings::RosterPerson;
use ckisa_watch::HookNotice;
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::json;

use super::escalation::{commit_as_node, notice, notification_hook, notify};
use super::forms::{Choice, form_page, page};
use super::new_id;
use super::render::{encode, excerpt};
use super::stream::Push;
use crate::access::{Audited, Caller, redirect};
use crate::error::{AppError, read_form};
use crate::format::Fmt;
use crate::i18n::{Lang, Tr};
use crate::layout::role_label;
use crate::{AppState, PageCtx};

/// The list of recalls.
const LIST_PATH: &str = "/messagerie/rappels";

/// The form of a new recall.
const NEW_PATH: &str = "/messagerie/rappels/nouveau";

/// Where answer links point, under the node's public address.
const LINK_PATH: &str = "/rappel";

/// Hooks run at once while a recall is notified.
const PARALLEL_CALLS: usize = 4;

/// Attempts at recording a recall whose codes another recall took meanwhile.
const RECORD_TRIES: usize = 3;

/// Longest excerpt of a recall's text in the list, in characters.
const EXCERPT_CHARS: usize = 120;

fn recall_href(id: &str) -> String {
    format!("{LIST_PATH}/{}", encode(id))
}

fn role_name(tr: Tr, code: &str) -> String {
    Role::from_code(code).map_or_else(|| code.to_owned(), |r| role_label(tr, r).to_owned())
}

// ---------------------------------------------------------------------------
// Counts.

/// One row of the counts (a role, or the total).
struct CountView {
    role_code: String,
    role: String,
    called: usize,
    coming: usize,
    within_hour: usize,
    unavailable: usize,
    silent: usize,
    unreachable: usize,
}

#[derive(Template)]
#[template(path = "messages/recall_counts.html")]
struct CountsTemplate {
    tr: Tr,
    rows: Vec<CountView>,
    total: CountView,
}

fn count_rows(tr: Tr, recall: &RecallState) -> (Vec<CountView>, CountView) {
    let mut total = CountView {
        role_code: String::new(),
        role: tr.t("recall.total").to_owned(),
        called: 0,
        coming: 0,
        within_hour: 0,
        unavailable: 0,
        silent: 0,
        unreachable: 0,
    };
    let rows = recall
        .counts()
        .into_iter()
        .map(|count| {
            total.called += count.called;
            total.coming += count.coming;
            total.within_hour += count.within_hour;
            total.unavailable += count.unavailable;
            total.silent += count.silent;
            total.unreachable += count.unreachable;
            CountView {
                role: role_name(tr, &count.role),
                role_code: count.role,
                called: count.called,
                coming: count.coming,
                within_hour: count.within_hour,
                unavailable: count.unavailable,
                silent: count.silent,
                unreachable: count.unreachable,
            }
        })
        .collect();
    (rows, total)
}

/// The inner HTML of a recall's `#rappel-comptes` block: per role, how many
/// were called, are coming (within the hour), cannot come, have not
/// answered, could not be reached.
pub(super) fn counts_fragment(tr: Tr, recall: &RecallState) -> Result<String, AppError> {
    let (rows, total) = count_rows(tr, recall);
    Ok(CountsTemplate { tr, rows, total }.render()?)
}

/// What the live stream sends `caller` about recall number `index`: its
/// counts (`rappel`) to those who follow recalls, nothing to others.
pub(super) async fn recall_push(
    state: &AppState,
    lang: Lang,
    caller: &Caller,
    _reader: &Reader,
    index: usize,
) -> Result<Option<Push>, AppError> {
    if caller.reach(Action::StaffRecall) == Reach::Never {
        return Ok(None);
    }
    let book = state.messages_book().await?;
    let Some(recall) = book.recalls().get(index) else {
        return Ok(None);
    };
    Ok(Some(Push {
        kind: "rappel",
        id: recall.spec.id.0.clone(),
        channel: None,
        root: None,
        html: counts_fragment(Tr(lang), recall)?,
    }))
}

// ---------------------------------------------------------------------------
// The list.

struct RecallRow {
    href: String,
    started: String,
    author: String,
    excerpt: String,
    total: CountView,
}

#[derive(Template)]
#[template(path = "messages/recall_list.html")]
struct ListTemplate {
    tr: Tr,
    rows: Vec<RecallRow>,
    roster: usize,
}

/// `GET /messagerie/rappels`.
pub(crate) async fn recalls_page(
    State(state): State<AppState>,
    ctx: PageCtx,
) -> Result<Response, AppError> {
    let fmt = ctx.fmt(&state);
    let tr = fmt.tr;
    let people = state.people().await?;
    let rows = {
        let book = state.messages_book().await?;
        book.recalls()
            .iter()
            .rev()
            .map(|recall| RecallRow {
                href: recall_href(&recall.spec.id.0),
                started: fmt.wall(recall.started_ms),
                author: people.name(&recall.author),
                excerpt: excerpt(&recall.spec.text, EXCERPT_CHARS),
                total: count_rows(tr, recall).1,
            })
            .collect()
    };
    let main = ListTemplate {
        tr,
        rows,
        roster: state.messages().settings().roster.len(),
    }
    .render()?;
    page(&state, &ctx, tr.t("recall.list_title"), main)
}

// ---------------------------------------------------------------------------
// Starting a recall.

/// The recall form as posted (checkboxes repeat their name).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct StartForm {
    text: String,
    roles: Vec<String>,
    units: Vec<String>,
    /// Count only, send nothing.
    preview: bool,
}

impl StartForm {
    fn of(pairs: Vec<(String, String)>) -> StartForm {
        let mut form = StartForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "texte" => form.text = value,
                "role" => form.roles.push(value),
                "unite" => form.units.push(value),
                "action" => form.preview = value == "apercu",
                _ => {}
            }
        }
        form
    }
}

#[derive(Template)]
#[template(path = "messages/recall_form.html")]
struct FormTemplate<'a> {
    tr: Tr,
    action: &'static str,
    csrf: &'a str,
    text: &'a str,
    roles: Vec<Choice>,
    units: Vec<Choice>,
    preview: Option<String>,
    errors: Vec<String>,
    roster: usize,
}

/// The distinct values of `field` in the roster, in roster order, each
/// with its count.
fn present(roster: &[RosterPerson], field: fn(&RosterPerson) -> &str) -> Vec<(String, usize)> {
    let mut found: Vec<(String, usize)> = Vec::new();
    for person in roster {
        let value = field(person);
        if value.is_empty() {
            continue;
        }
        match found.iter_mut().find(|(known, _)| known == value) {
            Some((_, count)) => *count += 1,
            None => found.push((value.to_owned(), 1)),
        }
    }
    found
}

/// `GET /messagerie/rappels/nouveau`.
pub(crate) async fn recall_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    let draft = StartForm {
        text: Tr(ctx.lang).t("recall.default_text").to_owned(),
        ..StartForm::default()
    };
    form_view(&state, &ctx, &caller, &draft, None, Vec::new())
}

fn form_view(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    draft: &StartForm,
    preview: Option<String>,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let tr = Tr(ctx.lang);
    let roster = &state.messages().settings().roster;
    let roles = present(roster, |p| &p.role)
        .into_iter()
        .map(|(code, count)| Choice {
            label: format!("{} ({count})", role_name(tr, &code)),
            checked: draft.roles.contains(&code),
            value: code,
        })
        .collect();
    let units = present(roster, |p| &p.unit)
        .into_iter()
        .map(|(code, count)| Choice {
            label: format!("{code} ({count})"),
            checked: draft.units.contains(&code),
            value: code,
        })
        .collect();
    let failed = !errors.is_empty();
    let main = FormTemplate {
        tr,
        action: NEW_PATH,
        csrf: caller.csrf()?,
        text: &draft.text,
        roles,
        units,
        preview,
        errors,
        roster: roster.len(),
    }
    .render()?;
    form_page(state, ctx, tr.t("recall.new_title"), main, failed)
}

/// The people a well-formed form calls, or every French error of it.
fn check_start<'a>(
    tr: Tr,
    roster: &'a [RosterPerson],
    draft: &StartForm,
) -> Result<Vec<&'a RosterPerson>, Vec<String>> {
    let mut errors = Vec::new();
    if let Err(reason) = ckisa_messaging::text::check_text(&draft.text, false) {
        errors.push(tr.fmt("recall.error_text", &[("reason", &reason)]));
    }
    if draft.roles.is_empty() {
        errors.push(tr.t("recall.error_no_role").to_owned());
    }
    for role in &draft.roles {
        if !roster.iter().any(|p| p.role == *role) {
            errors.push(tr.fmt("recall.error_role", &[("role", role)]));
        }
    }
    for unit in &draft.units {
        if !roster.iter().any(|p| p.unit == *unit) {
            errors.push(tr.fmt("recall.error_unit", &[("unit", unit)]));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let people = recalling::select(roster, &draft.roles, &draft.units);
    if people.is_empty() {
        return Err(vec![tr.t("recall.error_nobody").to_owned()]);
    }
    Ok(people)
}

/// "12 personnes seront appelées : 8 Infirmier, 4 Médecin."
fn preview_text(tr: Tr, people: &[&RosterPerson]) -> String {
    let mut per_role: Vec<(String, usize)> = Vec::new();
    for person in people {
        match per_role.iter_mut().find(|(role, _)| *role == person.role) {
            Some((_, count)) => *count += 1,
            None => per_role.push((person.role.clone(), 1)),
        }
    }
    let detail: Vec<String> = per_role
        .iter()
        .map(|(role, count)| format!("{count} {}", role_name(tr, role)))
        .collect();
    tr.fmt(
        "recall.preview",
        &[
            ("n", &people.len().to_string()),
            ("detail", &detail.join(", ")),
        ],
    )
}

/// `POST /messagerie/rappels/nouveau`: previews the count, or starts the
/// recall and calls everyone in the background.
pub(crate) async fn recall_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, AppError> {
    let draft = StartForm::of(read_form(form)?);
    let tr = Tr(ctx.lang);
    let settings = state.messages().settings();
    let people = match check_start(tr, &settings.roster, &draft) {
        Ok(people) => people,
        Err(errors) => return form_view(&state, &ctx, &caller, &draft, None, errors),
    };
    if draft.preview {
        let preview = preview_text(tr, &people);
        return form_view(&state, &ctx, &caller, &draft, Some(preview), Vec::new());
    }
    let people: Vec<RosterPerson> = people.into_iter().cloned().collect();
    let mut tries = 0;
    let (recall, links) = loop {
        tries += 1;
        let (recall, links) = build(&state, &draft, &people).await?;
        let fact = MessageFact::RecallStarted(recall.clone());
        match state
            .message_record(&caller, Action::StaffRecall, fact)
            .await
        {
            Ok(()) => break (recall, links),
            // Another recall took one of these codes meanwhile: new codes.
            Err(AppError::Refused(reason))
                if tries < RECORD_TRIES && reason.contains("code de réponse") => {}
            Err(error) => return Err(error),
        }
    };
    let calls = calls(&state, &recall, links);
    let notifying = state.clone();
    let id = recall.id.clone();
    tokio::spawn(async move { notify_all(notifying, id, calls).await });
    Ok(redirect(&recall_href(&recall.id.0)))
}

/// The recall of `people`, with codes no earlier recall holds and fresh
/// link secrets.
async fn build(
    state: &AppState,
    draft: &StartForm,
    people: &[RosterPerson],
) -> Result<(ckisa_domain::Recall, Vec<(String, String)>), AppError> {
    let book = state.messages_book().await?;
    let secrets = || match (reply_code(), link_secret()) {
        (Ok(code), Ok(secret)) if book.by_reply_code(&code).is_none() => (code, secret),
        // Asked again by the builder, which gives up after many tries.
        _ => (String::new(), String::new()),
    };
    let chosen: Vec<&RosterPerson> = people.iter().collect();
    recalling::build(
        new_id(state.now_ms()),
        &draft.text,
        &draft.roles,
        &draft.units,
        &chosen,
        secrets,
    )
    .map_err(|reason| AppError::Refused(sentence(&reason)))
}

/// Six random digits, uniformly drawn.
fn reply_code() -> Result<String, getrandom::Error> {
    // The largest multiple of 1,000,000 below 2^32: values above it would
    // make the low codes likelier.
    const LIMIT: u32 = 4_294_000_000;
    loop {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes)?;
        let value = u32::from_le_bytes(bytes);
        if value < LIMIT {
            return Ok(format!("{:06}", value % 1_000_000));
        }
    }
}

/// 32 random bytes in lowercase hex.
fn link_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A message of the messaging crate (lowercase, no final stop) as a
/// sentence.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let first: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

/// One person to call.
struct Call {
    person: String,
    name: String,
    phone: String,
    code: String,
    link: Option<String>,
}

fn calls(
    state: &AppState,
    recall: &ckisa_domain::Recall,
    links: Vec<(String, String)>,
) -> Vec<Call> {
    let base = state.messages().settings().public_url.clone();
    recall
        .people
        .iter()
        .map(|called| {
            let secret = links
                .iter()
                .find(|(person, _)| *person == called.person)
                .map(|(_, secret)| secret.as_str());
            Call {
                person: called.person.clone(),
                name: called.name.clone(),
                phone: called.phone.clone(),
                code: called.code.clone(),
                link: base
                    .as_deref()
                    .zip(secret)
                    .map(|(base, secret)| format!("{base}{LINK_PATH}/{secret}")),
            }
        })
        .collect()
}

/// Runs the hook for every person of recall `id`, a few at a time, and
/// records each outcome.
async fn notify_all(state: AppState, id: ItemId, calls: Vec<Call>) {
    let text = {
        let Ok(book) = state.messages_book().await else {
            tracing::error!(recall = %id.0, "recall unreadable: nobody called");
            return;
        };
        match book.recall(&id.0) {
            Some((_, recall)) => recall.spec.text.clone(),
            None => return,
        }
    };
    let hook = notification_hook(&state);
    futures_util::stream::iter(calls)
        .map(|call| {
            let (state, hook, text, id) = (&state, hook.as_ref(), &text, &id);
            async move {
                let failure = notify(hook, &recall_notice(id, text, &call)).await;
                let fact = MessageFact::RecallNotified {
                    id: id.clone(),
                    person: call.person,
                    failure,
                };
                if let Err(error) = commit_as_node(state, "noeud", fact).await {
                    tracing::error!(%error, recall = %id.0, "recall call not recorded");
                }
            }
        })
        .buffer_unordered(PARALLEL_CALLS)
        .collect::<Vec<()>>()
        .await;
}

/// What the hook is told to call one person: in the environment
/// `CKISA_NOTIF_TYPE=rappel`, `CKISA_NOTIF_RAPPEL`, `CKISA_NOTIF_TELEPHONE`,
/// `CKISA_NOTIF_NOM`, `CKISA_NOTIF_TEXTE`, `CKISA_NOTIF_LIEN` (empty without
/// a public address), `CKISA_NOTIF_CODE`, and `CKISA_NOTIF_SMS`, a ready
/// text saying how to answer; on standard input the same as JSON.
fn recall_notice(id: &ItemId, text: &str, call: &Call) -> HookNotice {
    let how = format!(
        "Répondez « {code} 1 » (je viens), suivi si vous le savez du délai d'arrivée \
         (« {code} 1 45 » ou « {code} 1 1h30 »), ou « {code} 2 » (indisponible)",
        code = call.code
    );
    let sms = match &call.link {
        Some(link) => format!("{text}\n{how}, ou ouvrez {link}"),
        None => format!("{text}\n{how}."),
    };
    let json = json!({
        "type": "rappel",
        "rappel": id.0,
        "personne": call.person,
        "nom": call.name,
        "telephone": call.phone,
        "texte": text,
        "lien": call.link,
        "code": call.code,
        "sms": sms,
    });
    let env = [
        ("CKISA_NOTIF_TYPE", "rappel".to_owned()),
        ("CKISA_NOTIF_RAPPEL", id.0.clone()),
        ("CKISA_NOTIF_TELEPHONE", call.phone.clone()),
        ("CKISA_NOTIF_NOM", call.name.clone()),
        ("CKISA_NOTIF_TEXTE", text.to_owned()),
        ("CKISA_NOTIF_LIEN", call.link.clone().unwrap_or_default()),
        ("CKISA_NOTIF_CODE", call.code.clone()),
        ("CKISA_NOTIF_SMS", sms),
    ];
    notice(env, &json)
}

// ---------------------------------------------------------------------------
// One recall.

/// An answer as typed in a form: `arrive` with minutes, or `absent`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AnswerForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    reponse: String,
    #[serde(default)]
    minutes: String,
}

/// The answer of a form, or why it cannot be one (in the page's language).
fn parse_answer(tr: Tr, form: &AnswerForm) -> Result<RecallAnswer, String> {
    match form.reponse.trim() {
        "arrive" => {
            let minutes = form.minutes.trim();
            if minutes.is_empty() {
                return Ok(RecallAnswer::Coming { eta_min: None });
            }
            match minutes.parse::<u32>() {
                Ok(eta_min) if eta_min <= MAX_ETA_MIN => Ok(RecallAnswer::Coming {
                    eta_min: Some(eta_min),
                }),
                _ => Err(tr.fmt(
                    "recall.error_minutes",
                    &[("minutes", minutes), ("max", &MAX_ETA_MIN.to_string())],
                )),
            }
        }
        "absent" => Ok(RecallAnswer::Unavailable),
        _ => Err(tr.t("recall.error_answer").to_owned()),
    }
}

/// An answer in words: "vient, dans 45 min (vers 14:35)", "vient, heure
/// non précisée", "indisponible".
fn answer_text(fmt: &Fmt<'_>, answer: RecallAnswer, at_ms: i64) -> String {
    match answer {
        RecallAnswer::Coming { eta_min: None } => fmt.tr.t("recall.coming_no_time").to_owned(),
        RecallAnswer::Coming {
            eta_min: Some(eta_min),
        } => {
            let arrival = fmt.wall(at_ms + i64::from(eta_min) * 60_000);
            // `dd/mm/yyyy HH:MM:SS`: the time of day is enough.
            let time = arrival.get(11..16).unwrap_or(&arrival);
            fmt.tr.fmt(
                "recall.coming_in",
                &[("n", &eta_min.to_string()), ("time", time)],
            )
        }
        RecallAnswer::Unavailable => fmt.tr.t("recall.unavailable").to_owned(),
    }
}

fn via_text(tr: Tr, via: AnswerVia) -> &'static str {
    tr.t(match via {
        AnswerVia::Link => "recall.via_link",
        AnswerVia::Code => "recall.via_code",
        AnswerVia::Operator => "recall.via_operator",
    })
}

struct PersonRow {
    name: String,
    role: String,
    unit: String,
    phone: String,
    code: String,
    call: String,
    call_failed: bool,
    answer: String,
    via: String,
}

#[derive(Template)]
#[template(path = "messages/recall_detail.html")]
struct DetailTemplate<'a> {
    tr: Tr,
    /// The book's number the page shows, where the live stream resumes.
    seq: u64,
    id: String,
    started: String,
    author: String,
    targets: String,
    text: String,
    counts: String,
    people: Vec<PersonRow>,
    csrf: &'a str,
    action: String,
    form: &'a AnswerForm,
    error: Option<&'a str>,
}

/// `GET /messagerie/rappels/{id}`.
pub(crate) async fn recall_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    detail_view(&state, &ctx, &caller, &id, &AnswerForm::default(), None).await
}

async fn detail_view(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    id: &str,
    form: &AnswerForm,
    error: Option<&str>,
) -> Result<Response, AppError> {
    let fmt = ctx.fmt(state);
    let tr = fmt.tr;
    let people = state.people().await?;
    let book = state.messages_book().await?;
    let (_, recall) = book.recall(id).ok_or(AppError::PageNotFound)?;
    let spec = &recall.spec;
    let mut targets: Vec<String> = spec.roles.iter().map(|r| role_name(tr, r)).collect();
    targets.push(if spec.units.is_empty() {
        tr.t("recall.all_units").to_owned()
    } else {
        spec.units.join(", ")
    });
    let rows = spec
        .people
        .iter()
        .map(|called| {
            let (call, call_failed) = match recall.notified.get(&called.person) {
                None => (tr.t("recall.call_pending").to_owned(), false),
                Some(None) => (tr.t("recall.call_done").to_owned(), false),
                Some(Some(failure)) => (tr.fmt("recall.call_failed", &[("reason", failure)]), true),
            };
            let answer = recall.answers.get(&called.person);
            PersonRow {
                name: called.name.clone(),
                role: role_name(tr, &called.role),
                unit: called.unit.clone(),
                phone: called.phone.clone(),
                code: called.code.clone(),
                call,
                call_failed,
                answer: answer.map_or_else(
                    || tr.t("recall.no_answer").to_owned(),
                    |a| answer_text(&fmt, a.answer, a.at_ms),
                ),
                via: answer.map_or_else(String::new, |a| {
                    format!("{} · {}", via_text(tr, a.via), fmt.wall(a.at_ms))
                }),
            }
        })
        .collect();
    let main = DetailTemplate {
        tr,
        seq: book.seq(),
        id: spec.id.0.clone(),
        started: fmt.wall(recall.started_ms),
        author: people.name(&recall.author),
        targets: targets.join(" · "),
        text: spec.text.clone(),
        counts: counts_fragment(tr, recall)?,
        people: rows,
        csrf: caller.csrf()?,
        action: format!("{}/reponse", recall_href(id)),
        form,
        error,
    }
    .render()?;
    drop(book);
    form_page(
        state,
        ctx,
        tr.t("recall.detail_title"),
        main,
        error.is_some(),
    )
}

/// `POST /messagerie/rappels/{id}/reponse`: an answer taken by phone.
pub(crate) async fn answer_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
    form: Result<Form<AnswerForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    let tr = Tr(ctx.lang);
    let checked = {
        let book = state.messages_book().await?;
        book.recall(&id).ok_or(AppError::PageNotFound)?;
        let code = form.code.trim();
        match book.by_reply_code(code) {
            Some((recall, person)) if recall.spec.id.0 == id => {
                parse_answer(tr, &form).map(|answer| (person.to_owned(), answer))
            }
            _ if code.is_empty() => Err(tr.t("recall.error_no_code").to_owned()),
            _ => Err(tr.fmt("recall.error_code", &[("code", code)])),
        }
    };
    match checked {
        Ok((person, answer)) => {
            let fact = MessageFact::RecallAnswered {
                id: ItemId(id.clone()),
                person,
                answer,
                via: AnswerVia::Operator,
            };
            state
                .message_record(&caller, Action::StaffRecall, fact)
                .await?;
            Ok(redirect(&recall_href(&id)))
        }
        Err(error) => detail_view(&state, &ctx, &caller, &id, &form, Some(&error)).await,
    }
}

// ---------------------------------------------------------------------------
// The answer link (public).

/// What a person's link shows: theirs only.
#[derive(Template)]
#[template(path = "messages/recall_answer.html")]
struct LinkTemplate<'a> {
    tr: Tr,
    first_name: String,
    text: String,
    current: Option<String>,
    minutes: &'a str,
    error: Option<&'a str>,
}

/// The first name in a roster name: the first word with a lowercase letter
/// (`DUPONT Marie` and `Marie Dupont` give `Marie`), else the first word.
fn first_name(full: &str) -> &str {
    let mut words = full.split_whitespace();
    full.split_whitespace()
        .find(|w| w.chars().any(char::is_lowercase))
        .or_else(|| words.next())
        .unwrap_or_default()
}

/// The recall and person of a link's secret: only 64 hex digits are looked
/// up, by their SHA-256.
fn link_target(secret: &str) -> Option<String> {
    let well_formed = secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then(|| recalling::sha256_hex(secret.to_ascii_lowercase().as_bytes()))
}

/// `GET /rappel/{secret}`.
pub(crate) async fn link_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(secret): Path<String>,
) -> Result<Response, AppError> {
    let form = AnswerForm::default();
    link_view(&state, &ctx, &secret, &form, None).await
}

async fn link_view(
    state: &AppState,
    ctx: &PageCtx,
    secret: &str,
    form: &AnswerForm,
    error: Option<&str>,
) -> Result<Response, AppError> {
    let fmt = ctx.fmt(state);
    let tr = fmt.tr;
    let hash = link_target(secret).ok_or(AppError::PageNotFound)?;
    let book = state.messages_book().await?;
    let (recall, person) = book.by_link_hash(&hash).ok_or(AppError::PageNotFound)?;
    let called = recall
        .spec
        .people
        .iter()
        .find(|p| p.person == person)
        .ok_or(AppError::PageNotFound)?;
    let current = recall
        .answers
        .get(person)
        .map(|a| answer_text(&fmt, a.answer, a.at_ms));
    let minutes = form.minutes.trim().to_owned();
    let main = LinkTemplate {
        tr,
        first_name: first_name(&called.name).to_owned(),
        text: recall.spec.text.clone(),
        current,
        minutes: &minutes,
        error,
    }
    .render()?;
    drop(book);
    form_page(state, ctx, tr.t("recall.link_title"), main, error.is_some())
}

/// `POST /rappel/{secret}`: the person answers; a new answer replaces the
/// previous one.
pub(crate) async fn link_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(secret): Path<String>,
    form: Result<Form<AnswerForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    let tr = Tr(ctx.lang);
    let hash = link_target(&secret).ok_or(AppError::PageNotFound)?;
    let (id, person) = {
        let book = state.messages_book().await?;
        let (recall, person) = book.by_link_hash(&hash).ok_or(AppError::PageNotFound)?;
        (recall.spec.id.clone(), person.to_owned())
    };
    match parse_answer(tr, &form) {
        Ok(answer) => {
            let fact = MessageFact::RecallAnswered {
                id,
                person,
                answer,
                via: AnswerVia::Link,
            };
            if !commit_as_node(&state, "lien", fact).await? {
                return Err(AppError::PageNotFound);
            }
            Ok(redirect(&format!("{LINK_PATH}/{secret}")))
        }
        Err(error) => link_view(&state, &ctx, &secret, &form, Some(&error)).await,
    }
}

// ---------------------------------------------------------------------------
// The SMS gateway.

/// The SMS of a gateway's request: the `texte` field of a form, or the
/// whole body as text.
fn sms_text(headers: &HeaderMap, body: &[u8]) -> Result<String, String> {
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let text = std::str::from_utf8(body).map_err(|_| "le message n'est pas du texte UTF-8")?;
    if !is_form {
        return Ok(text.to_owned());
    }
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "texte")
        .map(|(_, value)| {
            percent_encoding::percent_decode_str(&value.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
        .ok_or_else(|| "le champ « texte » manque".to_owned())
}

fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({
        "ok": false,
        "error": code,
        "message": message,
        "message_fr": message,
    });
    (status, axum::Json(body)).into_response()
}

/// `POST /api/v1/rappel/reponse`: the SMS gateway relays an answer such as
/// `482913 1 45` (body in `text/plain`, or a form field `texte`).
pub(crate) async fn api_answer(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let parsed = sms_text(&headers, &body).and_then(|text| recalling::parse_reply(&text));
    let (code, answer) = match parsed {
        Ok(found) => found,
        Err(reason) => {
            return Ok(api_error(
                StatusCode::BAD_REQUEST,
                "bad_request",
                &sentence(&reason),
            ));
        }
    };
    let found = {
        let book = state.messages_book().await?;
        book.by_reply_code(&code).map(|(recall, person)| {
            let name = recall
                .spec
                .people
                .iter()
                .find(|p| p.person == person)
                .map_or_else(String::new, |p| p.name.clone());
            (recall.spec.id.clone(), person.to_owned(), name)
        })
    };
    let Some((id, person, name)) = found else {
        let message = format!("Aucun rappel n'a donné le code {code}.");
        return Ok(api_error(StatusCode::NOT_FOUND, "not_found", &message));
    };
    let fact = MessageFact::RecallAnswered {
        id: id.clone(),
        person,
        answer,
        via: AnswerVia::Code,
    };
    if !commit_as_node(&state, "api", fact).await? {
        let message = format!("Aucun rappel n'a donné le code {code}.");
        return Ok(api_error(StatusCode::NOT_FOUND, "not_found", &message));
    }
    caller.audit(
        &state,
        Audited::allowed(Action::StaffRecall)
            .target("rappel-reponse")
            .detail(&id.0),
    );
    let (reponse, minutes) = match answer {
        RecallAnswer::Coming { eta_min } => ("arrive", eta_min),
        RecallAnswer::Unavailable => ("indisponible", None),
    };
    let body = json!({
        "ok": true,
        "personne": name,
        "rappel": id.0,
        "reponse": reponse,
        "minutes": minutes,
    });
    Ok(axum::Json(body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, role: &str, unit: &str) -> RosterPerson {
        RosterPerson {
            id: id.into(),
            name: format!("Nom {id}"),
            role: role.into(),
            unit: unit.into(),
            phone: "06 00 00 00 00".into(),
            login: None,
        }
    }

    #[test]
    fn first_names_are_found_in_either_order() {
        assert_eq!(first_name("DUPONT Marie"), "Marie");
        assert_eq!(first_name("Marie Dupont"), "Marie");
        assert_eq!(first_name("LE GOFF Anne-Marie"), "Anne-Marie");
        assert_eq!(first_name("MARTIN"), "MARTIN");
        assert_eq!(first_name("  "), "");
    }

    #[test]
    fn codes_and_secrets_have_their_shape() {
        for _ in 0..50 {
            let code = reply_code().expect("random");
            assert_eq!(code.len(), 6, "{code}");
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        }
        let secret = link_secret().expect("random");
        assert_eq!(secret.len(), 64);
        assert!(link_target(&secret).is_some());
        assert_ne!(secret, link_secret().expect("random"));
        assert_eq!(link_target("zz"), None);
        assert_eq!(link_target(&"g".repeat(64)), None);
    }

    #[test]
    fn answers_of_forms_are_checked() {
        let fr = Tr(Lang::Fr);
        let form = |reponse: &str, minutes: &str| AnswerForm {
            code: String::new(),
            reponse: reponse.into(),
            minutes: minutes.into(),
        };
        assert_eq!(
            parse_answer(fr, &form("arrive", "")),
            Ok(RecallAnswer::Coming { eta_min: None })
        );
        assert_eq!(
            parse_answer(fr, &form("arrive", " 45 ")),
            Ok(RecallAnswer::Coming { eta_min: Some(45) })
        );
        assert_eq!(
            parse_answer(fr, &form("absent", "abc")),
            Ok(RecallAnswer::Unavailable)
        );
        assert_eq!(
            parse_answer(fr, &form("arrive", "721")),
            Err("« 721 » n'est pas un délai d'arrivée : de 0 à 720 minutes.".to_owned())
        );
        assert!(parse_answer(fr, &form("arrive", "-1")).is_err());
        assert!(parse_answer(fr, &form("peut-etre", "")).is_err());
    }

    #[test]
    fn the_form_calls_only_roles_and_units_of_the_roster() {
        let fr = Tr(Lang::Fr);
        let roster = vec![
            person("p1", "infirmier", "REA"),
            person("p2", "infirmier", "CARDIO"),
            person("p3", "medecin", "REA"),
        ];
        let draft = |roles: &[&str], units: &[&str]| StartForm {
            text: "Plan blanc".into(),
            roles: roles.iter().map(|s| (*s).to_owned()).collect(),
            units: units.iter().map(|s| (*s).to_owned()).collect(),
            preview: false,
        };
        let people = check_start(fr, &roster, &draft(&["infirmier"], &["REA"])).unwrap();
        assert_eq!(people.len(), 1);
        assert_eq!(
            preview_text(
                fr,
                &check_start(fr, &roster, &draft(&["infirmier", "medecin"], &[])).unwrap()
            ),
            "3 personne(s) seront appelées : 2 Infirmier, 1 Médecin."
        );
        assert_eq!(
            check_start(fr, &roster, &draft(&[], &["URG"])).unwrap_err(),
            [
                "Choisissez au moins un rôle à rappeler.",
                "Aucune personne de l'annuaire de rappel n'est de l'unité URG.",
            ]
        );
        assert_eq!(
            present(&roster, |p| &p.role),
            [("infirmier".to_owned(), 2), ("medecin".to_owned(), 1)]
        );
    }

    #[test]
    fn sms_come_as_text_or_as_a_form_field() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            sms_text(&headers, b"482913 1 45").as_deref(),
            Ok("482913 1 45")
        );
        headers.insert(
            CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        assert_eq!(
            sms_text(&headers, b"de=0612&texte=482913+oui+20").as_deref(),
            Ok("482913 oui 20")
        );
        assert!(
            sms_text(&headers, b"de=0612")
                .unwrap_err()
                .contains("texte")
        );
        assert!(sms_text(&HeaderMap::new(), &[0xff, 0xfe]).is_err());
    }
}
