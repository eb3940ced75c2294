//! The main courante (crisis log), decisions and tasks.
//!
//! The log is a list of timestamped entries anyone whose role reaches
//! `CrisisWrite` adds to. Nothing here edits or deletes: there is no route
//! for it, an entry's id is chosen by the node (a form cannot name one), and
//! a correction is a new entry pointing at the old one, which stays as
//! written. Decisions say who decided, why and what follows; tasks have an
//! owner (a person, a role or a unit), a deadline, a status and the history
//! of every change, each change being a new event.
//!
//! Each page shows one period: the crisis open now by default, a past crisis
//! (`?crise=<id>`), what was written while no crisis was open
//! (`?crise=hors`), or everything (`?tout=1`). Outside a crisis the log still
//! works: entries are kept and shown under "hors crise", which is then the
//! default period.
//!
//! The pages are answered without live refresh: they hold forms, and a
//! refresh would wipe what is being typed.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use ckisa_auth::{Action, Reach, Role};
use ckisa_crisis::book::{Book, Crisis, MAX_TEXT, Stamp, Task};
use ckisa_domain::{Assignee, CrisisFact, CrisisId, ItemId, TaskStatus};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use super::new_id;
use crate::access::{Caller, redirect};
use crate::error::{AppError, BadInput, read_form, read_query};
use crate::format::Fmt;
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page, role_label};
use crate::{AppState, PageCtx};

const LOG_PATH: &str = "/crise/main-courante";
const DECISIONS_PATH: &str = "/crise/decisions";
const TASKS_PATH: &str = "/crise/taches";

/// `?crise=` value selecting what was written while no crisis was open.
const OUTSIDE: &str = "hors";

/// Furthest a deadline may be set ahead.
const MAX_AHEAD_MS: i64 = 366 * 24 * 3_600_000;

// ---------------------------------------------------------------------------
// Who and where: names shown beside logins and unit codes.

/// An account as the journal pages show it.
struct Person {
    name: String,
    disabled: bool,
    /// Whether the account's role may follow its tasks in the capsule.
    follows: bool,
}

/// Whether `role` may follow (and update) its tasks in the capsule: the
/// account administrator and exercise observers may not.
fn follows_tasks(role: Role) -> bool {
    ckisa_auth::reach(role, ckisa_auth::Action::CrisisWrite) != ckisa_auth::Reach::Never
}

/// Display names of accounts and units, read once per request.
struct Names {
    people: HashMap<String, Person>,
    /// Unit code and name, in the store's order.
    units: Vec<(String, String)>,
}

impl Names {
    async fn read(state: &AppState) -> Result<Names, AppError> {
        let accounts = state
            .directory(|directory, _| directory.accounts())
            .await?
            .map_err(|error| {
                tracing::error!(%error, "accounts unreadable");
                AppError::SecurityStore
            })?;
        let units = state.read(|store| store.units()).await?;
        Ok(Names {
            people: accounts
                .into_iter()
                .map(|a| {
                    let person = Person {
                        name: a.display_name,
                        disabled: a.disabled,
                        follows: follows_tasks(a.role),
                    };
                    (a.login, person)
                })
                .collect(),
            units: units.into_iter().map(|u| (u.code, u.name)).collect(),
        })
    }

    /// "Name (login)", or the login alone when the account is unknown
    /// (removed, or the node itself).
    fn who(&self, login: &str) -> String {
        match self.people.get(login) {
            Some(person) => format!("{} ({login})", person.name),
            None => login.to_owned(),
        }
    }

    fn unit_name(&self, code: &str) -> Option<&str> {
        self.units
            .iter()
            .find(|(known, _)| known == code)
            .map(|(_, name)| name.as_str())
    }

    /// Who a task is for, in words.
    fn assignee(&self, tr: Tr, assignee: &Assignee) -> String {
        match assignee {
            Assignee::Person(login) => tr.fmt("task.for_person", &[("who", &self.who(login))]),
            Assignee::Role(code) => {
                let label = Role::from_code(code).map_or(code.as_str(), |r| role_label(tr, r));
                tr.fmt("task.for_role", &[("role", label)])
            }
            Assignee::Unit(code) => {
                let unit = match self.unit_name(code) {
                    Some(name) if name != code => format!("{code} — {name}"),
                    _ => code.clone(),
                };
                tr.fmt("task.for_unit", &[("unit", &unit)])
            }
        }
    }

    /// Every possible target, for the form's suggestion list.
    fn targets(&self, tr: Tr) -> Vec<Target> {
        let mut people: Vec<Target> = self
            .people
            .iter()
            .filter(|(_, p)| !p.disabled)
            .map(|(login, p)| Target {
                value: login.clone(),
                label: tr.fmt("task.for_person", &[("who", &p.name)]),
            })
            .collect();
        people.sort_by(|a, b| a.value.cmp(&b.value));
        let roles = Role::ALL.into_iter().map(|role| Target {
            value: role.code().to_owned(),
            label: tr.fmt("task.for_role", &[("role", role_label(tr, role))]),
        });
        let units = self.units.iter().map(|(code, name)| Target {
            value: code.clone(),
            label: tr.fmt("task.for_unit", &[("unit", name)]),
        });
        people.into_iter().chain(roles).chain(units).collect()
    }
}

/// One suggestion of the form's target list.
struct Target {
    value: String,
    label: String,
}

// ---------------------------------------------------------------------------
// Times.

fn civil(fmt: &Fmt<'_>, ms: i64) -> DateTime {
    Timestamp::from_millisecond(ms)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(fmt.zone.clone())
        .datetime()
}

/// `dd/mm/yyyy HH:MM` in the node's zone.
fn minute(fmt: &Fmt<'_>, ms: i64) -> String {
    let dt = civil(fmt, ms);
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}",
        dt.day(),
        dt.month(),
        dt.year(),
        dt.hour(),
        dt.minute()
    )
}

/// `HH:MM` when `ms` falls on the same day as `beside_ms`, else the full
/// `dd/mm/yyyy HH:MM`.
fn time_beside(fmt: &Fmt<'_>, ms: i64, beside_ms: i64) -> String {
    let (at, beside) = (civil(fmt, ms), civil(fmt, beside_ms));
    if at.date() == beside.date() {
        format!("{:02}:{:02}", at.hour(), at.minute())
    } else {
        minute(fmt, ms)
    }
}

// ---------------------------------------------------------------------------
// Periods.

/// Which entries a page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Period {
    /// Written during one crisis.
    Crisis(CrisisId),
    /// Written while no crisis was open.
    Outside,
    /// Everything.
    All,
}

impl Period {
    /// The period asked for: `tout=1`, `crise=hors`, `crise=<id>`, else the
    /// crisis open now, else what was written outside any crisis.
    fn resolve(book: &Book, crise: Option<&str>, all: Option<&str>) -> Result<Period, AppError> {
        if all == Some("1") {
            return Ok(Period::All);
        }
        match crise.map(str::trim).filter(|c| !c.is_empty()) {
            Some(OUTSIDE) => Ok(Period::Outside),
            Some(id) => book
                .crisis(id)
                .map(|c| Period::Crisis(c.id.clone()))
                .ok_or(AppError::PageNotFound),
            None => Ok(book
                .active()
                .map_or(Period::Outside, |c| Period::Crisis(c.id.clone()))),
        }
    }

    fn holds(&self, stamp: &Stamp) -> bool {
        match self {
            Period::Crisis(id) => stamp.crisis.as_ref() == Some(id),
            Period::Outside => stamp.crisis.is_none(),
            Period::All => true,
        }
    }

    /// The query selecting this period.
    fn query(&self) -> String {
        match self {
            Period::Crisis(id) => format!("crise={}", encode(&id.0)),
            Period::Outside => format!("crise={OUTSIDE}"),
            Period::All => String::from("tout=1"),
        }
    }
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, ID_SAFE).to_string()
}

/// Characters kept as they are in an id put in a URL (UUIDs pass unchanged).
const ID_SAFE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// "Crise en cours (depuis le ...)" or "Crise du ... au ...".
fn crisis_label(fmt: &Fmt<'_>, crisis: &Crisis) -> String {
    let since = minute(fmt, crisis.declared_ms());
    match crisis.closed_ms() {
        Some(end) => fmt.tr.fmt(
            "journal.period_closed",
            &[("since", &since), ("until", &minute(fmt, end))],
        ),
        None => fmt.tr.fmt("journal.period_current", &[("since", &since)]),
    }
}

/// The period switch of a page.
struct Periods {
    /// Title of the period shown.
    title: String,
    /// No crisis is open and the default period is shown.
    outside_default: bool,
    links: Vec<PeriodLink>,
}

struct PeriodLink {
    label: String,
    href: String,
    current: bool,
}

impl Periods {
    fn of(fmt: &Fmt<'_>, book: &Book, shown: &Period, path: &str, extra: &str) -> Periods {
        let tr = fmt.tr;
        let mut choices: Vec<(Period, String)> = book
            .crises()
            .iter()
            .rev()
            .map(|c| (Period::Crisis(c.id.clone()), crisis_label(fmt, c)))
            .collect();
        choices.push((Period::Outside, tr.t("journal.period_outside").to_owned()));
        choices.push((Period::All, tr.t("journal.period_all").to_owned()));
        let title = choices
            .iter()
            .find(|(p, _)| p == shown)
            .map(|(_, label)| label.clone())
            .unwrap_or_default();
        Periods {
            title,
            outside_default: book.active().is_none() && *shown == Period::Outside,
            links: choices
                .into_iter()
                .map(|(period, label)| PeriodLink {
                    href: format!("{path}?{}{extra}", period.query()),
                    current: period == *shown,
                    label,
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------
// Rights.

fn may_write(caller: &Caller) -> bool {
    caller.reach(Action::CrisisWrite) != Reach::Never
}

fn may_decide(caller: &Caller) -> bool {
    caller.reach(Action::CrisisDecide) != Reach::Never
}

/// Whether a task for `assignee` is the caller's: assigned to them, to
/// their role, or to one of their units (an account scoped to every unit
/// counts every unit's task as its own).
fn concerns(caller: &Caller, assignee: &Assignee) -> bool {
    let Some(session) = caller.session() else {
        return false;
    };
    let account = &session.account;
    match assignee {
        Assignee::Person(login) => *login == account.login,
        Assignee::Role(code) => account.role.code() == code,
        Assignee::Unit(code) => account.scope.covers(code),
    }
}

/// A typed text: `None` with the French reason when it is empty but
/// required, or longer than the book accepts.
fn check_text(tr: Tr, field: &str, text: &str, required: bool) -> Option<String> {
    let length = text.chars().count();
    if required && text.trim().is_empty() {
        Some(tr.fmt("journal.error_required", &[("field", field)]))
    } else if length > MAX_TEXT {
        Some(tr.fmt(
            "journal.error_too_long",
            &[
                ("field", field),
                ("max", &MAX_TEXT.to_string()),
                ("length", &length.to_string()),
            ],
        ))
    } else {
        None
    }
}

fn respond(
    state: &AppState,
    ctx: &PageCtx,
    title: &str,
    main: String,
    status: StatusCode,
) -> Result<Response, AppError> {
    if status == StatusCode::OK {
        let page = Page {
            title,
            nav: Nav::Crisis,
            query: "",
            main,
        };
        return layout::respond_bare(state, ctx, page);
    }
    layout::respond_form(state, ctx, title, Nav::Crisis, main, status)
}

// ---------------------------------------------------------------------------
// The main courante.

/// Query of the log page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LogParams {
    crise: Option<String>,
    tout: Option<String>,
    /// `ancien`: oldest first (newest first otherwise).
    ordre: Option<String>,
    /// Open the form to correct this entry.
    corrige: Option<String>,
}

/// The log form as posted.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LogForm {
    #[serde(default)]
    texte: String,
    #[serde(default)]
    corrige: String,
}

/// What the form shows again: the text typed, the entry corrected, the error.
#[derive(Default)]
struct LogDraft {
    text: String,
    corrects: Option<String>,
    error: Option<String>,
}

struct EntryRow {
    id: String,
    time: String,
    author: String,
    text: String,
    /// The period of the entry, shown when every period is listed.
    period: Option<String>,
    corrects: Option<EntryRef>,
    corrected_by: Vec<EntryRef>,
    correct_href: String,
}

/// A link to another entry: where, and its time.
struct EntryRef {
    href: String,
    time: String,
}

/// The entry being corrected, quoted above the form.
struct Quoted {
    id: String,
    time: String,
    author: String,
    text: String,
}

struct LogFormView<'a> {
    csrf: &'a str,
    text: &'a str,
    quoted: Option<Quoted>,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "crisis/log.html")]
struct LogTemplate<'a> {
    tr: Tr,
    tab: &'static str,
    periods: Periods,
    order_href: String,
    oldest_first: bool,
    entries: Vec<EntryRow>,
    form: Option<LogFormView<'a>>,
}

/// `GET /crise/main-courante`.
pub(crate) async fn log_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<LogParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    let draft = LogDraft {
        corrects: params.corrige.clone().filter(|c| !c.trim().is_empty()),
        ..LogDraft::default()
    };
    log_view(&state, &ctx, &caller, &params, draft, StatusCode::OK).await
}

async fn log_view(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    params: &LogParams,
    mut draft: LogDraft,
    status: StatusCode,
) -> Result<Response, AppError> {
    let names = Names::read(state).await?;
    let fmt = ctx.fmt(state);
    let tr = fmt.tr;
    let book = state.book().await?;
    let period = Period::resolve(&book, params.crise.as_deref(), params.tout.as_deref())?;
    let oldest_first = params.ordre.as_deref() == Some("ancien");
    let mut entries = log_rows(&fmt, &book, &names, &period);
    if !oldest_first {
        entries.reverse();
    }
    let quoted = match draft.corrects.as_deref() {
        Some(id) => match book.log_entry(id) {
            Some(old) => Some(Quoted {
                id: old.id.0.clone(),
                time: minute(&fmt, old.stamp.at_ms),
                author: names.who(&old.stamp.by),
                text: old.text.clone(),
            }),
            None => {
                draft.error = Some(tr.t("journal.error_unknown_entry").to_owned());
                None
            }
        },
        None => None,
    };
    let order = if oldest_first { "" } else { "&ordre=ancien" };
    let periods = Periods::of(&fmt, &book, &period, LOG_PATH, "");
    drop(book);
    let form = if may_write(caller) {
        Some(LogFormView {
            csrf: caller.csrf()?,
            text: &draft.text,
            quoted,
            error: draft.error.as_deref(),
        })
    } else {
        None
    };
    let main = LogTemplate {
        tr,
        tab: "log",
        order_href: format!("{LOG_PATH}?{}{order}", period.query()),
        periods,
        oldest_first,
        entries,
        form,
    }
    .render()?;
    respond(state, ctx, tr.t("journal.log_title"), main, status)
}

/// The entries of `period`, oldest first.
fn log_rows(fmt: &Fmt<'_>, book: &Book, names: &Names, period: &Period) -> Vec<EntryRow> {
    let shown: Vec<_> = book
        .log(None)
        .into_iter()
        .filter(|e| period.holds(&e.stamp))
        .collect();
    let link = |id: &ItemId, beside_ms: i64| -> Option<EntryRef> {
        let target = book.log_entry(&id.0)?;
        let anchor = format!("#e-{}", id.0);
        let visible = shown.iter().any(|e| e.id == *id);
        Some(EntryRef {
            href: if visible {
                anchor
            } else {
                format!("{LOG_PATH}?tout=1{anchor}")
            },
            time: time_beside(fmt, target.stamp.at_ms, beside_ms),
        })
    };
    let query = period.query();
    shown
        .iter()
        .map(|entry| EntryRow {
            id: entry.id.0.clone(),
            time: minute(fmt, entry.stamp.at_ms),
            author: names.who(&entry.stamp.by),
            text: entry.text.clone(),
            period: (*period == Period::All).then(|| stamp_period(fmt, book, &entry.stamp)),
            corrects: entry
                .corrects
                .as_ref()
                .and_then(|old| link(old, entry.stamp.at_ms)),
            corrected_by: entry
                .corrected_by
                .iter()
                .filter_map(|new| link(new, entry.stamp.at_ms))
                .collect(),
            correct_href: format!("{LOG_PATH}?{query}&corrige={}#saisie", encode(&entry.id.0)),
        })
        .collect()
}

/// The crisis a stamp was written in, or "hors crise".
fn stamp_period(fmt: &Fmt<'_>, book: &Book, stamp: &Stamp) -> String {
    match stamp.crisis.as_ref().and_then(|id| book.crisis(&id.0)) {
        Some(crisis) => crisis_label(fmt, crisis),
        None => fmt.tr.t("journal.period_outside").to_owned(),
    }
}

/// `POST /crise/main-courante/nouvelle`.
pub(crate) async fn log_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<LogForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    let tr = Tr(ctx.lang);
    let text = form.texte.trim_end().to_owned();
    let corrects = Some(form.corrige.trim())
        .filter(|c| !c.is_empty())
        .map(|c| ItemId(c.to_owned()));
    let mut error = check_text(tr, tr.t("journal.field_text"), &text, true);
    if let Some(old) = &corrects {
        let book = state.book().await?;
        if book.log_entry(&old.0).is_none() {
            error = Some(tr.t("journal.error_unknown_entry").to_owned());
        }
    }
    if let Some(error) = error {
        let draft = LogDraft {
            text,
            corrects: corrects.map(|c| c.0),
            error: Some(error),
        };
        let params = LogParams::default();
        return log_view(
            &state,
            &ctx,
            &caller,
            &params,
            draft,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let id = new_id(state.now_ms());
    let anchor = format!("{LOG_PATH}#e-{}", id.0);
    let fact = CrisisFact::LogEntry { id, text, corrects };
    state.record(&caller, fact).await?;
    Ok(redirect(&anchor))
}

// ---------------------------------------------------------------------------
// Decisions.

/// Query of the decisions and tasks pages.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    crise: Option<String>,
    tout: Option<String>,
    /// Tasks: `1` for the caller's own.
    mes: Option<String>,
    /// Tasks: one status (`ouverte`, `en-cours`, `faite`, `annulee`).
    statut: Option<String>,
}

/// The decision form as posted, with an optional task to create.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    decideur: String,
    #[serde(default)]
    motif: String,
    #[serde(default)]
    suites: String,
    #[serde(flatten)]
    task: TaskForm,
}

/// The task form as posted (also part of the decision form).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TaskForm {
    #[serde(default)]
    titre: String,
    #[serde(default)]
    detail: String,
    /// `personne`, `role` or `unite`.
    #[serde(default)]
    pour: String,
    /// Login, role code or unit code.
    #[serde(default)]
    cible: String,
    /// `dd/mm/yyyy HH:MM`, `HH:MM` or `+2h`.
    #[serde(default)]
    echeance: String,
}

struct DecisionRow {
    id: String,
    time: String,
    title: String,
    decided_by: String,
    recorded_by: String,
    rationale: String,
    follow_up: String,
    tasks: Vec<TaskLink>,
}

/// A task named on another page.
struct TaskLink {
    href: String,
    title: String,
    assignee: String,
    status: &'static str,
    status_class: &'static str,
}

struct DecisionFormView<'a> {
    csrf: &'a str,
    draft: &'a DecisionForm,
    errors: Vec<String>,
}

/// What the task fields (`crisis/tasks_fields.html`) show.
struct TaskFieldsView<'a> {
    titre: &'a str,
    detail: &'a str,
    pour: &'a str,
    cible: &'a str,
    echeance: &'a str,
    targets: Vec<Target>,
}

impl<'a> TaskFieldsView<'a> {
    fn of(tr: Tr, names: &Names, form: &'a TaskForm) -> TaskFieldsView<'a> {
        TaskFieldsView {
            titre: &form.titre,
            detail: &form.detail,
            pour: &form.pour,
            cible: &form.cible,
            echeance: &form.echeance,
            targets: names.targets(tr),
        }
    }
}

#[derive(Template)]
#[template(path = "crisis/decisions.html")]
struct DecisionsTemplate<'a> {
    tr: Tr,
    tab: &'static str,
    periods: Periods,
    rows: Vec<DecisionRow>,
    form: Option<DecisionFormView<'a>>,
    task: TaskFieldsView<'a>,
}

/// `GET /crise/decisions`.
pub(crate) async fn decisions_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    let draft = DecisionForm {
        decideur: caller
            .session()
            .map(|s| s.account.display_name.clone())
            .unwrap_or_default(),
        ..DecisionForm::default()
    };
    decisions_view(&state, &ctx, &caller, &params, &draft, Vec::new()).await
}

async fn decisions_view(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    params: &ListParams,
    draft: &DecisionForm,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let names = Names::read(state).await?;
    let fmt = ctx.fmt(state);
    let tr = fmt.tr;
    let book = state.book().await?;
    let period = Period::resolve(&book, params.crise.as_deref(), params.tout.as_deref())?;
    let rows: Vec<DecisionRow> = book
        .decisions(None)
        .into_iter()
        .rev()
        .filter(|d| period.holds(&d.stamp))
        .map(|d| DecisionRow {
            id: d.id.0.clone(),
            time: minute(&fmt, d.stamp.at_ms),
            title: d.title.clone(),
            decided_by: d.decided_by.clone(),
            recorded_by: names.who(&d.stamp.by),
            rationale: d.rationale.clone(),
            follow_up: d.follow_up.clone(),
            tasks: book
                .tasks(None)
                .into_iter()
                .filter(|t| t.decision.as_ref() == Some(&d.id))
                .map(|t| task_link(tr, &names, t))
                .collect(),
        })
        .collect();
    let periods = Periods::of(&fmt, &book, &period, DECISIONS_PATH, "");
    drop(book);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let form = if may_decide(caller) {
        Some(DecisionFormView {
            csrf: caller.csrf()?,
            draft,
            errors,
        })
    } else {
        None
    };
    let main = DecisionsTemplate {
        tr,
        tab: "decisions",
        periods,
        rows,
        form,
        task: TaskFieldsView::of(tr, &names, &draft.task),
    }
    .render()?;
    respond(state, ctx, tr.t("decision.title"), main, status)
}

fn task_link(tr: Tr, names: &Names, task: &Task) -> TaskLink {
    TaskLink {
        href: format!("{TASKS_PATH}/{}", encode(&task.id.0)),
        title: task.title.clone(),
        assignee: names.assignee(tr, &task.assignee),
        status: status_label(tr, task.status),
        status_class: status_code(task.status),
    }
}

/// `POST /crise/decisions/nouvelle`.
pub(crate) async fn decision_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    let tr = Tr(ctx.lang);
    let names = Names::read(&state).await?;
    let mut errors: Vec<String> = [
        ("decision.field_decision", form.decision.as_str(), true),
        ("decision.field_decided_by", form.decideur.as_str(), true),
        ("decision.field_rationale", form.motif.as_str(), false),
        ("decision.field_follow_up", form.suites.as_str(), false),
    ]
    .into_iter()
    .filter_map(|(key, text, required)| check_text(tr, tr.t(key), text, required))
    .collect();
    let task = if has_task(&form.task) {
        match task_draft(tr, &names, &form.task, state.now_ms(), &state.config().zone) {
            Ok(task) => Some(task),
            Err(task_errors) => {
                errors.extend(task_errors);
                None
            }
        }
    } else {
        None
    };
    if !errors.is_empty() {
        let params = ListParams::default();
        return decisions_view(&state, &ctx, &caller, &params, &form, errors).await;
    }
    let decision = new_id(state.now_ms());
    let anchor = format!("{DECISIONS_PATH}#d-{}", decision.0);
    let fact = CrisisFact::Decision {
        id: decision.clone(),
        title: form.decision.trim().to_owned(),
        decided_by: form.decideur.trim().to_owned(),
        rationale: form.motif.trim().to_owned(),
        follow_up: form.suites.trim().to_owned(),
    };
    state.record(&caller, fact).await?;
    if let Some(task) = task {
        state
            .record(&caller, task.fact(new_id(state.now_ms()), Some(decision)))
            .await?;
    }
    Ok(redirect(&anchor))
}

/// Whether the decision form's task part was filled in.
fn has_task(form: &TaskForm) -> bool {
    [&form.titre, &form.detail, &form.cible, &form.echeance]
        .iter()
        .any(|field| !field.trim().is_empty())
}

// ---------------------------------------------------------------------------
// Tasks.

/// A task checked and ready to record.
struct TaskDraft {
    title: String,
    detail: String,
    assignee: Assignee,
    due_ms: Option<i64>,
}

impl TaskDraft {
    fn fact(self, id: ItemId, decision: Option<ItemId>) -> CrisisFact {
        CrisisFact::TaskCreated {
            id,
            title: self.title,
            detail: self.detail,
            assignee: self.assignee,
            due_ms: self.due_ms,
            decision,
        }
    }
}

/// Checks a task form; every problem, in French, when it is wrong.
fn task_draft(
    tr: Tr,
    names: &Names,
    form: &TaskForm,
    now_ms: i64,
    zone: &TimeZone,
) -> Result<TaskDraft, Vec<String>> {
    let mut errors: Vec<String> = [
        ("task.field_title", form.titre.as_str(), true),
        ("task.field_detail", form.detail.as_str(), false),
    ]
    .into_iter()
    .filter_map(|(key, text, required)| check_text(tr, tr.t(key), text, required))
    .collect();
    let assignee = parse_assignee(tr, names, &form.pour, &form.cible)
        .map_err(|error| errors.push(error))
        .ok();
    let due_ms = parse_due(&form.echeance, now_ms, zone)
        .map_err(|error| errors.push(error.message(tr)))
        .ok();
    match (assignee, due_ms) {
        (Some(assignee), Some(due_ms)) if errors.is_empty() => Ok(TaskDraft {
            title: form.titre.trim().to_owned(),
            detail: form.detail.trim().to_owned(),
            assignee,
            due_ms,
        }),
        _ => Err(errors),
    }
}

/// Who a task is for, from the form's kind (`personne`, `role`, `unite`)
/// and target (login, role code or label, unit code).
fn parse_assignee(tr: Tr, names: &Names, kind: &str, target: &str) -> Result<Assignee, String> {
    let target = target.trim();
    if target.is_empty() {
        return Err(tr.t("task.error_no_target").to_owned());
    }
    match kind.trim() {
        "personne" => {
            let login = target.to_lowercase();
            match names.people.get(&login) {
                Some(person) if person.disabled => {
                    Err(tr.fmt("task.error_person_disabled", &[("login", &login)]))
                }
                Some(person) if !person.follows => {
                    Err(tr.fmt("task.error_cannot_follow", &[("who", &login)]))
                }
                Some(_) => Ok(Assignee::Person(login)),
                None => Err(tr.fmt("task.error_person_unknown", &[("login", target)])),
            }
        }
        "role" => match ckisa_auth::rules::role_from_text(target) {
            Some(role) if follows_tasks(role) => Ok(Assignee::Role(role.code().to_owned())),
            Some(role) => Err(tr.fmt("task.error_cannot_follow", &[("who", role.code())])),
            None => {
                let codes: Vec<&str> = Role::ALL
                    .iter()
                    .filter(|r| follows_tasks(**r))
                    .map(|r| r.code())
                    .collect();
                Err(tr.fmt(
                    "task.error_role_unknown",
                    &[("role", target), ("roles", &codes.join(", "))],
                ))
            }
        },
        "unite" => names
            .units
            .iter()
            .find(|(code, _)| code.eq_ignore_ascii_case(target))
            .map(|(code, _)| Assignee::Unit(code.clone()))
            .ok_or_else(|| {
                let codes: Vec<&str> = names.units.iter().map(|(c, _)| c.as_str()).collect();
                tr.fmt(
                    "task.error_unit_unknown",
                    &[("unit", target), ("units", &codes.join(", "))],
                )
            }),
        _ => Err(tr.t("task.error_no_kind").to_owned()),
    }
}

/// Why a typed deadline cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DueError {
    /// Neither a date and time, a time, nor a delay.
    Unreadable(String),
    /// A date without a time.
    NoTime(String),
    /// A day that is not in the calendar (31/02/2024).
    NoSuchDay(String),
    /// An hour or minute out of range.
    NoSuchTime(String),
    /// A time of today already past.
    PassedToday {
        time: String,
        now: String,
        tomorrow: String,
    },
    /// A date and time already past.
    Past(String),
    /// A delay that is unreadable or zero.
    BadDelay(String),
    /// More than a year ahead.
    TooFar(String),
}

impl DueError {
    fn message(&self, tr: Tr) -> String {
        match self {
            DueError::Unreadable(text) => tr.fmt("task.due_unreadable", &[("text", text)]),
            DueError::NoTime(text) => tr.fmt("task.due_no_time", &[("text", text)]),
            DueError::NoSuchDay(text) => tr.fmt("task.due_no_such_day", &[("text", text)]),
            DueError::NoSuchTime(text) => tr.fmt("task.due_no_such_time", &[("text", text)]),
            DueError::PassedToday {
                time,
                now,
                tomorrow,
            } => tr.fmt(
                "task.due_passed_today",
                &[("time", time), ("now", now), ("tomorrow", tomorrow)],
            ),
            DueError::Past(text) => tr.fmt("task.due_past", &[("text", text)]),
            DueError::BadDelay(text) => tr.fmt("task.due_bad_delay", &[("text", text)]),
            DueError::TooFar(text) => tr.fmt("task.due_too_far", &[("text", text)]),
        }
    }
}

/// A deadline as typed: `dd/mm/yyyy HH:MM`, `HH:MM` (today in `zone`), or a
/// delay from now (`+2h`, `+1h30`, `+30min`, `+1j`); `None` when empty.
/// Hours may be written `14h30` or `14h` too. A deadline already past is
/// refused: it is a typing mistake more often than not.
fn parse_due(text: &str, now_ms: i64, zone: &TimeZone) -> Result<Option<i64>, DueError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let due = if let Some(delay) = text.strip_prefix('+') {
        let delay = parse_delay(delay).ok_or_else(|| DueError::BadDelay(text.to_owned()))?;
        now_ms.saturating_add(delay)
    } else if text.contains('/') {
        let due = parse_date_time(text, zone)?;
        if due <= now_ms {
            return Err(DueError::Past(text.to_owned()));
        }
        due
    } else {
        today_at(text, now_ms, zone)?
    };
    if due - now_ms > MAX_AHEAD_MS {
        return Err(DueError::TooFar(text.to_owned()));
    }
    Ok(Some(due))
}

/// `HH:MM` today; refused when that time has passed.
fn today_at(text: &str, now_ms: i64, zone: &TimeZone) -> Result<i64, DueError> {
    let time = parse_time(text)?;
    let now = Timestamp::from_millisecond(now_ms)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(zone.clone());
    let due = at(now.date().to_datetime(time), zone, text)?;
    if due > now_ms {
        return Ok(due);
    }
    let tomorrow = now.date().tomorrow().unwrap_or(now.date());
    Err(DueError::PassedToday {
        time: format!("{:02}:{:02}", time.hour(), time.minute()),
        now: format!("{:02}:{:02}", now.hour(), now.minute()),
        tomorrow: format!(
            "{:02}/{:02}/{:04} {:02}:{:02}",
            tomorrow.day(),
            tomorrow.month(),
            tomorrow.year(),
            time.hour(),
            time.minute()
        ),
    })
}

/// `dd/mm/yyyy HH:MM` (an `à` between the two is allowed).
fn parse_date_time(text: &str, zone: &TimeZone) -> Result<i64, DueError> {
    let words: Vec<&str> = text
        .split_whitespace()
        .filter(|w| !w.eq_ignore_ascii_case("à") && !w.eq_ignore_ascii_case("a"))
        .collect();
    let (day, time) = match words.as_slice() {
        [day] => {
            parse_date(day, text)?;
            return Err(DueError::NoTime(text.to_owned()));
        }
        [day, time] => (parse_date(day, text)?, parse_time(time)?),
        _ => return Err(DueError::Unreadable(text.to_owned())),
    };
    at(day.to_datetime(time), zone, text)
}

fn parse_date(word: &str, text: &str) -> Result<Date, DueError> {
    let parts: Vec<&str> = word.split('/').collect();
    let [day, month, year] = parts.as_slice() else {
        return Err(DueError::Unreadable(text.to_owned()));
    };
    let number = |part: &str, widths: &[usize]| -> Option<i16> {
        let digits = widths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
        digits.then(|| part.parse().ok()).flatten()
    };
    let (Some(day), Some(month), Some(year)) = (
        number(day, &[1, 2]),
        number(month, &[1, 2]),
        number(year, &[4]),
    ) else {
        return Err(DueError::Unreadable(text.to_owned()));
    };
    let (Ok(day), Ok(month)) = (i8::try_from(day), i8::try_from(month)) else {
        return Err(DueError::NoSuchDay(word.to_owned()));
    };
    Date::new(year, month, day).map_err(|_| DueError::NoSuchDay(word.to_owned()))
}

/// `14:30`, `14h30`, `14h` or `9:05`.
fn parse_time(word: &str) -> Result<Time, DueError> {
    let lower = word.trim().to_lowercase();
    let unreadable = || DueError::Unreadable(word.trim().to_owned());
    let (hour, minute) = lower
        .split_once(':')
        .or_else(|| lower.split_once('h'))
        .ok_or_else(unreadable)?;
    let is_number = |part: &str, widths: &[usize]| {
        widths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    let minute_ok = is_number(minute, &[2]) || (minute.is_empty() && lower.contains('h'));
    if !is_number(hour, &[1, 2]) || !minute_ok {
        return Err(unreadable());
    }
    let hour: i8 = hour.parse().map_err(|_| unreadable())?;
    let minute: i8 = if minute.is_empty() {
        0
    } else {
        minute.parse().map_err(|_| unreadable())?
    };
    Time::new(hour, minute, 0, 0).map_err(|_| DueError::NoSuchTime(word.trim().to_owned()))
}

/// A civil date and time in `zone`, as ms since the Unix epoch (a time
/// skipped by a clock change moves forward, as clocks do).
fn at(datetime: DateTime, zone: &TimeZone, text: &str) -> Result<i64, DueError> {
    datetime
        .to_zoned(zone.clone())
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|_| DueError::Unreadable(text.to_owned()))
}

/// A delay after the `+`: `2h`, `1h30`, `30min`, `30mn`, `30m`, `1j`;
/// positive, in ms.
fn parse_delay(text: &str) -> Option<i64> {
    let text: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() || number.len() > 6 {
        return None;
    }
    let number: i64 = number.parse().ok()?;
    let ms = match unit {
        "min" | "mn" | "m" => number * 60_000,
        "h" => number * 3_600_000,
        "j" | "d" => number * 86_400_000,
        _ => {
            let minutes = unit.strip_prefix('h')?;
            if minutes.len() != 2 || !minutes.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let minutes: i64 = minutes.parse().ok()?;
            if minutes >= 60 {
                return None;
            }
            number * 3_600_000 + minutes * 60_000
        }
    };
    (ms > 0).then_some(ms)
}

fn status_code(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Open => "ouverte",
        TaskStatus::InProgress => "en-cours",
        TaskStatus::Done => "faite",
        TaskStatus::Cancelled => "annulee",
    }
}

fn parse_status(code: &str) -> Option<TaskStatus> {
    STATUSES
        .into_iter()
        .find(|status| status_code(*status) == code.trim())
}

const STATUSES: [TaskStatus; 4] = [
    TaskStatus::Open,
    TaskStatus::InProgress,
    TaskStatus::Done,
    TaskStatus::Cancelled,
];

fn status_label(tr: Tr, status: TaskStatus) -> &'static str {
    tr.t(match status {
        TaskStatus::Open => "task.status_open",
        TaskStatus::InProgress => "task.status_in_progress",
        TaskStatus::Done => "task.status_done",
        TaskStatus::Cancelled => "task.status_cancelled",
    })
}

/// One choice of a status list.
struct StatusChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn status_choices(tr: Tr, selected: Option<TaskStatus>) -> Vec<StatusChoice> {
    STATUSES
        .into_iter()
        .map(|status| StatusChoice {
            value: status_code(status),
            label: status_label(tr, status),
            selected: selected == Some(status),
        })
        .collect()
}

struct TaskRow {
    href: String,
    title: String,
    assignee: String,
    due: String,
    /// "en retard de 1 h 05" when open past its deadline.
    late: Option<String>,
    status: &'static str,
    status_class: &'static str,
    created: String,
    decision_href: Option<String>,
}

fn task_row(fmt: &Fmt<'_>, names: &Names, task: &Task) -> TaskRow {
    let tr = fmt.tr;
    TaskRow {
        href: format!("{TASKS_PATH}/{}", encode(&task.id.0)),
        title: task.title.clone(),
        assignee: names.assignee(tr, &task.assignee),
        due: task
            .due_ms
            .map_or_else(|| tr.t("task.no_due").to_owned(), |ms| minute(fmt, ms)),
        late: late(fmt, task),
        status: status_label(tr, task.status),
        status_class: status_code(task.status),
        created: tr.fmt(
            "task.created_by",
            &[
                ("time", &minute(fmt, task.stamp.at_ms)),
                ("who", &names.who(&task.stamp.by)),
            ],
        ),
        decision_href: task.decision.as_ref().map(decision_href),
    }
}

fn late(fmt: &Fmt<'_>, task: &Task) -> Option<String> {
    task.overdue(fmt.now_ms).then(|| {
        let span = fmt.span(task.delay_ms(fmt.now_ms));
        fmt.tr.fmt("task.late", &[("span", &span)])
    })
}

fn decision_href(id: &ItemId) -> String {
    format!("{DECISIONS_PATH}?tout=1#d-{}", id.0)
}

/// The tasks page's filter form.
struct TaskFilter {
    mine: bool,
    statuses: Vec<StatusChoice>,
    /// Hidden fields keeping the period.
    crise: Option<String>,
    all: bool,
}

#[derive(Template)]
#[template(path = "crisis/tasks.html")]
struct TasksTemplate<'a> {
    tr: Tr,
    tab: &'static str,
    periods: Periods,
    filter: TaskFilter,
    overdue: Option<String>,
    /// Open tasks, then finished or cancelled ones.
    sections: [TaskSection; 2],
    form: Option<TaskFormView<'a>>,
    task: TaskFieldsView<'a>,
}

struct TaskFormView<'a> {
    csrf: &'a str,
    errors: Vec<String>,
}

struct TaskSection {
    title: &'static str,
    empty: &'static str,
    rows: Vec<TaskRow>,
}

/// `GET /crise/taches`.
pub(crate) async fn tasks_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    let draft = TaskForm {
        pour: String::from("unite"),
        ..TaskForm::default()
    };
    tasks_view(&state, &ctx, &caller, &params, &draft, Vec::new()).await
}

async fn tasks_view(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    params: &ListParams,
    draft: &TaskForm,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let names = Names::read(state).await?;
    let fmt = ctx.fmt(state);
    let tr = fmt.tr;
    let mine = params.mes.as_deref() == Some("1");
    let status = match params.statut.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(parse_status(code).ok_or(AppError::BadInput(BadInput::QueryInvalid))?),
    };
    let book = state.book().await?;
    let period = Period::resolve(&book, params.crise.as_deref(), params.tout.as_deref())?;
    let tasks: Vec<&Task> = book
        .tasks(None)
        .into_iter()
        .filter(|t| period.holds(&t.stamp))
        .filter(|t| !mine || concerns(caller, &t.assignee))
        .filter(|t| status.is_none_or(|s| t.status == s))
        .collect();
    let (mut open, mut closed): (Vec<&Task>, Vec<&Task>) =
        tasks.into_iter().partition(|t| t.status.is_open());
    open.sort_by_key(|t| (t.due_ms.is_none(), t.due_ms, t.stamp.at_ms));
    closed.sort_by_key(|t| std::cmp::Reverse(t.ended_ms()));
    let overdue = open.iter().filter(|t| t.overdue(fmt.now_ms)).count();
    let mut extra = String::new();
    if mine {
        extra.push_str("&mes=1");
    }
    if let Some(status) = status {
        extra.push_str("&statut=");
        extra.push_str(status_code(status));
    }
    let periods = Periods::of(&fmt, &book, &period, TASKS_PATH, &extra);
    let open: Vec<TaskRow> = open.iter().map(|t| task_row(&fmt, &names, t)).collect();
    let closed: Vec<TaskRow> = closed.iter().map(|t| task_row(&fmt, &names, t)).collect();
    drop(book);
    let filter = TaskFilter {
        mine,
        statuses: status_choices(tr, status),
        crise: match &period {
            Period::Crisis(id) => Some(id.0.clone()),
            Period::Outside => Some(OUTSIDE.to_owned()),
            Period::All => None,
        },
        all: period == Period::All,
    };
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let form = if may_decide(caller) {
        Some(TaskFormView {
            csrf: caller.csrf()?,
            errors,
        })
    } else {
        None
    };
    let main = TasksTemplate {
        tr,
        tab: "tasks",
        periods,
        filter,
        overdue: overdue_text(tr, overdue),
        sections: [
            TaskSection {
                title: tr.t("task.open_title"),
                empty: tr.t("task.open_empty"),
                rows: open,
            },
            TaskSection {
                title: tr.t("task.closed_title"),
                empty: tr.t("task.closed_empty"),
                rows: closed,
            },
        ],
        form,
        task: TaskFieldsView::of(tr, &names, draft),
    }
    .render()?;
    respond(state, ctx, tr.t("task.title"), main, code)
}

fn overdue_text(tr: Tr, count: usize) -> Option<String> {
    match count {
        0 => None,
        1 => Some(tr.t("task.overdue_one").to_owned()),
        n => Some(tr.fmt("task.overdue_many", &[("n", &n.to_string())])),
    }
}

/// `POST /crise/taches/nouvelle`.
pub(crate) async fn task_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<TaskForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    let tr = Tr(ctx.lang);
    let names = Names::read(&state).await?;
    match task_draft(tr, &names, &form, state.now_ms(), &state.config().zone) {
        Ok(task) => {
            let id = new_id(state.now_ms());
            let target = format!("{TASKS_PATH}/{}", encode(&id.0));
            state.record(&caller, task.fact(id, None)).await?;
            Ok(redirect(&target))
        }
        Err(errors) => {
            let params = ListParams::default();
            tasks_view(&state, &ctx, &caller, &params, &form, errors).await
        }
    }
}

/// The follow-up form as posted.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct UpdateForm {
    #[serde(default)]
    statut: String,
    #[serde(default)]
    note: String,
    /// Reassignment (crisis cell only): kind and target.
    #[serde(default)]
    pour: String,
    #[serde(default)]
    cible: String,
    /// New deadline (crisis cell only).
    #[serde(default)]
    echeance: String,
}

struct ChangeRow {
    time: String,
    by: String,
    status: &'static str,
    assignee: Option<String>,
    due: Option<String>,
    note: String,
}

struct UpdateView<'a> {
    csrf: &'a str,
    statuses: Vec<StatusChoice>,
    decide: bool,
    draft: &'a UpdateForm,
    error: Option<&'a str>,
    targets: Vec<Target>,
}

#[derive(Template)]
#[template(path = "crisis/tasks_one.html")]
struct TaskTemplate<'a> {
    tr: Tr,
    tab: &'static str,
    row: TaskRow,
    detail: String,
    history: Vec<ChangeRow>,
    /// Why the caller may not update it, when they may write but not here.
    blocked: Option<String>,
    form: Option<UpdateView<'a>>,
}

/// `GET /crise/taches/{id}`.
pub(crate) async fn task_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let draft = UpdateForm::default();
    task_view(&state, &ctx, &caller, &id, &draft, None, StatusCode::OK).await
}

async fn task_view(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    id: &str,
    draft: &UpdateForm,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let names = Names::read(state).await?;
    let fmt = ctx.fmt(state);
    let tr = fmt.tr;
    let book = state.book().await?;
    let task = book.task(id).ok_or(AppError::PageNotFound)?;
    let row = task_row(&fmt, &names, task);
    let detail = task.detail.clone();
    let history = task
        .history
        .iter()
        .map(|change| ChangeRow {
            time: minute(&fmt, change.stamp.at_ms),
            by: names.who(&change.stamp.by),
            status: status_label(tr, change.status),
            assignee: change.assignee.as_ref().map(|a| names.assignee(tr, a)),
            due: change.due_ms.map(|ms| minute(&fmt, ms)),
            note: change.note.clone(),
        })
        .collect();
    let current = task.status;
    let allowed = may_update(caller, task);
    let blocked = (!allowed && may_write(caller)).then(|| not_yours(tr, &names, task));
    drop(book);
    let form = if allowed {
        let selected = parse_status(&draft.statut).or(Some(current));
        Some(UpdateView {
            csrf: caller.csrf()?,
            statuses: status_choices(tr, selected),
            decide: may_decide(caller),
            draft,
            error,
            targets: names.targets(tr),
        })
    } else {
        None
    };
    let title = row.title.clone();
    let main = TaskTemplate {
        tr,
        tab: "tasks",
        row,
        detail,
        history,
        blocked,
        form,
    }
    .render()?;
    respond(state, ctx, &title, main, status)
}

/// Whether the caller may follow `task` up: the crisis cell always; others
/// who may write only for a task of theirs (see [`concerns`]).
fn may_update(caller: &Caller, task: &Task) -> bool {
    may_decide(caller) || (may_write(caller) && concerns(caller, &task.assignee))
}

/// Why a caller who may write cannot follow `task` up.
fn not_yours(tr: Tr, names: &Names, task: &Task) -> String {
    tr.fmt(
        "task.error_not_yours",
        &[("assignee", &names.assignee(tr, &task.assignee))],
    )
}

/// `POST /crise/taches/{id}/suivi`.
pub(crate) async fn task_update(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
    form: Result<Form<UpdateForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    let tr = Tr(ctx.lang);
    let names = Names::read(&state).await?;
    let checked = {
        let book = state.book().await?;
        let task = book.task(&id).ok_or(AppError::PageNotFound)?;
        let (now_ms, zone) = (state.now_ms(), &state.config().zone);
        if !may_update(&caller, task) {
            Err((not_yours(tr, &names, task), StatusCode::FORBIDDEN))
        } else if moves(&form) && !may_decide(&caller) {
            let error = tr.t("task.error_decide_only").to_owned();
            Err((error, StatusCode::FORBIDDEN))
        } else {
            update_fact(tr, &names, task, &form, now_ms, zone)
                .map_err(|error| (error, StatusCode::BAD_REQUEST))
        }
    };
    match checked {
        Ok(fact) => {
            state.record(&caller, fact).await?;
            Ok(redirect(&format!("{TASKS_PATH}/{}", encode(&id))))
        }
        Err((error, status)) => {
            task_view(&state, &ctx, &caller, &id, &form, Some(&error), status).await
        }
    }
}

/// Whether a follow-up form reassigns the task or moves its deadline,
/// which only the crisis cell may do.
fn moves(form: &UpdateForm) -> bool {
    !form.cible.trim().is_empty() || !form.echeance.trim().is_empty()
}

/// The update a follow-up form asks for, or the French reason it cannot be
/// recorded.
fn update_fact(
    tr: Tr,
    names: &Names,
    task: &Task,
    form: &UpdateForm,
    now_ms: i64,
    zone: &TimeZone,
) -> Result<CrisisFact, String> {
    let status = parse_status(&form.statut)
        .ok_or_else(|| tr.fmt("task.error_status", &[("status", form.statut.trim())]))?;
    let note = form.note.trim().to_owned();
    if let Some(error) = check_text(tr, tr.t("task.field_note"), &note, false) {
        return Err(error);
    }
    let assignee = if form.cible.trim().is_empty() {
        None
    } else {
        Some(parse_assignee(tr, names, &form.pour, &form.cible)?)
    };
    let due_ms = parse_due(&form.echeance, now_ms, zone).map_err(|error| error.message(tr))?;
    if status == TaskStatus::Cancelled && note.is_empty() {
        return Err(tr.t("task.error_cancel_reason").to_owned());
    }
    let unchanged = status == task.status
        && assignee.as_ref().is_none_or(|a| *a == task.assignee)
        && due_ms.is_none_or(|due| Some(due) == task.due_ms)
        && note.is_empty();
    if unchanged {
        return Err(tr.t("task.error_nothing").to_owned());
    }
    Ok(CrisisFact::TaskUpdated {
        id: task.id.clone(),
        status,
        assignee,
        due_ms,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 15/03/2024 12:00:00 in Paris.
    const NOON: i64 = 1_710_500_400_000;
    const HOUR: i64 = 3_600_000;

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").expect("bundled zone database")
    }

    fn due(text: &str) -> Result<Option<i64>, DueError> {
        parse_due(text, NOON, &paris())
    }

    #[test]
    fn deadlines_are_read_in_every_accepted_form() {
        assert_eq!(due(""), Ok(None));
        assert_eq!(due("  "), Ok(None));
        assert_eq!(due("14:30"), Ok(Some(NOON + 2 * HOUR + 30 * 60_000)));
        assert_eq!(due("14h30"), Ok(Some(NOON + 2 * HOUR + 30 * 60_000)));
        assert_eq!(due("14h"), Ok(Some(NOON + 2 * HOUR)));
        assert_eq!(due("16/03/2024 08:00"), Ok(Some(NOON + 20 * HOUR)));
        assert_eq!(due("16/03/2024 à 8h00"), Ok(Some(NOON + 20 * HOUR)));
        assert_eq!(due("+2h"), Ok(Some(NOON + 2 * HOUR)));
        assert_eq!(due("+ 2 h"), Ok(Some(NOON + 2 * HOUR)));
        assert_eq!(due("+1h30"), Ok(Some(NOON + 90 * 60_000)));
        assert_eq!(due("+30min"), Ok(Some(NOON + 30 * 60_000)));
        assert_eq!(due("+45mn"), Ok(Some(NOON + 45 * 60_000)));
        assert_eq!(due("+1j"), Ok(Some(NOON + 24 * HOUR)));
    }

    #[test]
    fn deadlines_follow_the_clock_change() {
        // 31/03/2024 03:30 Paris is summer time (UTC+2): 01:30 UTC.
        let due = parse_due("31/03/2024 03:30", NOON, &paris());
        assert_eq!(due, Ok(Some(1_711_848_600_000)));
    }

    #[test]
    fn wrong_deadlines_say_what_is_wrong() {
        assert_eq!(due("demain"), Err(DueError::Unreadable("demain".into())));
        assert_eq!(due("14.30"), Err(DueError::Unreadable("14.30".into())));
        assert_eq!(
            due("16/03/24 08:00"),
            Err(DueError::Unreadable("16/03/24 08:00".into()))
        );
        assert_eq!(
            due("16/03/2024"),
            Err(DueError::NoTime("16/03/2024".into()))
        );
        assert_eq!(
            due("31/02/2024 10:00"),
            Err(DueError::NoSuchDay("31/02/2024".into()))
        );
        assert_eq!(due("25:00"), Err(DueError::NoSuchTime("25:00".into())));
        assert_eq!(due("14:75"), Err(DueError::NoSuchTime("14:75".into())));
        assert_eq!(
            due("09:15"),
            Err(DueError::PassedToday {
                time: "09:15".into(),
                now: "12:00".into(),
                tomorrow: "16/03/2024 09:15".into(),
            })
        );
        assert_eq!(
            due("12:00"),
            Err(DueError::PassedToday {
                time: "12:00".into(),
                now: "12:00".into(),
                tomorrow: "16/03/2024 12:00".into(),
            })
        );
        assert_eq!(
            due("14/03/2024 18:00"),
            Err(DueError::Past("14/03/2024 18:00".into()))
        );
        assert_eq!(due("+0h"), Err(DueError::BadDelay("+0h".into())));
        assert_eq!(
            due("+2 heures"),
            Err(DueError::BadDelay("+2 heures".into()))
        );
        assert_eq!(due("+1h75"), Err(DueError::BadDelay("+1h75".into())));
        assert_eq!(due("+h"), Err(DueError::BadDelay("+h".into())));
        assert_eq!(due("+400j"), Err(DueError::TooFar("+400j".into())));
        assert_eq!(
            due("15/03/2026 10:00"),
            Err(DueError::TooFar("15/03/2026 10:00".into()))
        );
    }

    #[test]
    fn deadline_errors_read_as_french_sentences() {
        let fr = Tr(crate::Lang::Fr);
        let passed = due("09:15").expect_err("passed");
        assert_eq!(
            passed.message(fr),
            "09:15 est déjà passé aujourd'hui (il est 12:00) : pour demain, écrivez 16/03/2024 09:15"
        );
        let day = due("31/02/2024 10:00").expect_err("no such day");
        assert_eq!(
            day.message(fr),
            "le 31/02/2024 n'existe pas dans le calendrier"
        );
    }

    #[test]
    fn status_codes_round_trip() {
        for status in STATUSES {
            assert_eq!(parse_status(status_code(status)), Some(status));
        }
        assert_eq!(parse_status("terminée"), None);
    }
}
