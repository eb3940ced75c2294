//! The crisis overview (`/crise`): where the establishment stands, the
//! lifecycle forms (declare, change level, announce recovery, close), the
//! BIA clocks against each activity's DMIA, the activities whose replica is
//! older than their PDMA, the outage alerts, and the action cards: one's
//! own, to tick, and everyone's progress for the crisis cell. Also the
//! contacts directory (`/crise/contacts`).

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use ckisa_auth::{Action, Reach};
use ckisa_crisis::book::{Book, Phase};
use ckisa_crisis::plan::{self, ClockState, Plan};
use ckisa_domain::{AlertKind, CrisisFact, CrisisId, ItemId};
use serde::Deserialize;

use super::new_id;
use crate::access::{Caller, redirect};
use crate::error::{AppError, read_form};
use crate::format::Fmt;
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page};
use crate::{AppState, PageCtx};

/// The four lifecycle transitions, as their URL segment names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transition {
    Declare,
    Level,
    Recover,
    Close,
}

impl Transition {
    fn parse(segment: &str) -> Option<Transition> {
        Some(match segment {
            "declarer" => Transition::Declare,
            "niveau" => Transition::Level,
            "retour" => Transition::Recover,
            "cloture" => Transition::Close,
            _ => return None,
        })
    }

    fn segment(self) -> &'static str {
        match self {
            Transition::Declare => "declarer",
            Transition::Level => "niveau",
            Transition::Recover => "retour",
            Transition::Close => "cloture",
        }
    }

    fn title_key(self) -> &'static str {
        match self {
            Transition::Declare => "crisis.declare",
            Transition::Level => "crisis.level_change",
            Transition::Recover => "crisis.recover",
            Transition::Close => "crisis.close",
        }
    }

    /// Whether the form asks for a level.
    fn takes_level(self) -> bool {
        matches!(self, Transition::Declare | Transition::Level)
    }

    /// The transitions open in `phase`.
    fn open_in(phase: Phase) -> &'static [Transition] {
        match phase {
            Phase::Normal => &[Transition::Declare],
            Phase::Declared => &[Transition::Level, Transition::Recover, Transition::Close],
            Phase::Recovery => &[Transition::Level, Transition::Close],
        }
    }
}

struct ActionLink {
    href: String,
    label: &'static str,
}

struct ClockRow {
    name: String,
    criticality: &'static str,
    dmia: String,
    summary: String,
    class: &'static str,
}

struct BreachRow {
    activity: String,
    application: String,
    feed: String,
    age: String,
    pdma: String,
}

struct AlertRow {
    id: String,
    /// This caller already acknowledged it.
    seen_by_me: bool,
    kind: &'static str,
    subject: String,
    since: String,
    evidence: String,
    acknowledged: String,
}

struct StepRow {
    index: usize,
    text: String,
    done: bool,
    by: String,
}

struct CardView {
    code: String,
    title: String,
    steps: Vec<StepRow>,
}

struct ProgressRow {
    title: String,
    role: String,
    done: usize,
    total: usize,
    complete: bool,
}

#[derive(Template)]
#[template(path = "crisis/overview.html")]
struct OverviewTemplate {
    tr: Tr,
    csrf: String,
    active: bool,
    recovery: bool,
    headline: String,
    reason: String,
    declared: String,
    elapsed: String,
    actions: Vec<ActionLink>,
    clocks: Vec<ClockRow>,
    breaches: Vec<BreachRow>,
    alerts: Vec<AlertRow>,
    may_ack: bool,
    cards: Vec<CardView>,
    may_tick: bool,
    progress: Vec<ProgressRow>,
    may_report: bool,
    warnings: Vec<String>,
}

/// `GET /crise`.
pub(crate) async fn overview_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    let feeds = state.read(|store| store.feeds()).await?;
    let fmt = ctx.fmt(&state);
    let plan = state.hub().plan();
    let book = state.book().await?;
    let main = overview(&fmt, &caller, plan, &book, &feeds, &state.config().feeds).render()?;
    drop(book);
    let page = Page {
        title: fmt.tr.t("crisis.title"),
        nav: Nav::Crisis,
        query: "",
        main,
    };
    layout::respond(&state, &ctx, &feeds, page)
}

fn overview(
    fmt: &Fmt<'_>,
    caller: &Caller,
    plan: &Plan,
    book: &Book,
    feeds: &[ckisa_store::FeedStatus],
    configured: &[String],
) -> OverviewTemplate {
    let tr = fmt.tr;
    let now = fmt.now_ms;
    let active = book.active();
    let may = |action| caller.reach(action) != Reach::Never;
    let role = caller.role().map(|r| r.code()).unwrap_or_default();

    let (headline, reason, declared, elapsed) = match active {
        Some(crisis) => {
            let level = crisis.level();
            let name = plan.level(level).map(|l| l.name.as_str()).unwrap_or("");
            (
                tr.fmt(
                    if crisis.phase() == Phase::Recovery {
                        "crisis.banner_recovery"
                    } else {
                        "crisis.banner"
                    },
                    &[("level", &level.to_string()), ("name", name)],
                ),
                crisis.reason().to_owned(),
                tr.fmt(
                    "crisis.declared_by",
                    &[
                        ("when", &fmt.wall(crisis.declared_ms())),
                        ("who", &crisis.transitions[0].stamp.by),
                    ],
                ),
                fmt.span(now - crisis.declared_ms()),
            )
        }
        None => (
            tr.t("crisis.none").to_owned(),
            String::new(),
            String::new(),
            String::new(),
        ),
    };

    let actions = if may(Action::CrisisDeclare) {
        Transition::open_in(book.phase())
            .iter()
            .map(|t| ActionLink {
                href: format!("/crise/transition/{}", t.segment()),
                label: tr.t(t.title_key()),
            })
            .collect()
    } else {
        Vec::new()
    };

    let clocks = active
        .map(|crisis| {
            plan::activity_clocks(plan, crisis.declared_ms(), now)
                .into_iter()
                .map(|clock| ClockRow {
                    summary: clock_summary(fmt, &clock),
                    name: clock.name,
                    criticality: clock.criticality.code(),
                    dmia: plan::format_duration(clock.dmia),
                    class: match clock.state {
                        ClockState::Green => "rag-green",
                        ClockState::Orange => "rag-orange",
                        ClockState::Red => "rag-red",
                    },
                })
                .collect()
        })
        .unwrap_or_default();

    let mut last_seen: Vec<(String, Option<i64>)> =
        configured.iter().map(|name| (name.clone(), None)).collect();
    for feed in feeds {
        match last_seen.iter_mut().find(|(name, _)| *name == feed.name) {
            Some(entry) => entry.1 = feed.last_received_ms,
            None => last_seen.push((feed.name.clone(), feed.last_received_ms)),
        }
    }
    let breaches = plan::pdma_breaches(plan, &last_seen, now)
        .into_iter()
        .map(|b| BreachRow {
            activity: plan
                .activity(&b.activity)
                .map_or(b.activity.clone(), |a| a.name.clone()),
            application: plan
                .application(&b.application)
                .map_or(b.application.clone(), |a| a.name.clone()),
            feed: b.feed.clone(),
            age: b.age.map_or_else(
                || tr.t("crisis.never_received").to_owned(),
                plan::format_duration,
            ),
            pdma: plan::format_duration(b.pdma),
        })
        .collect();

    let alerts = book
        .open_alerts()
        .into_iter()
        .map(|alert| AlertRow {
            id: alert.id.0.clone(),
            seen_by_me: caller
                .login()
                .is_some_and(|me| alert.acknowledged.iter().any(|s| s.by == me)),
            kind: tr.t(alert_kind_key(alert.kind)),
            subject: alert.subject.clone(),
            since: fmt.wall(alert.since_ms),
            evidence: alert.evidence.clone(),
            acknowledged: alert
                .acknowledged
                .iter()
                .map(|s| format!("{} ({})", s.by, fmt.wall(s.at_ms)))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();

    let crisis_id = active.map(|c| c.id.clone());
    let step_rows = |card: &plan::Card, crisis: &CrisisId| -> Vec<StepRow> {
        card.steps
            .iter()
            .enumerate()
            .map(|(index, text)| {
                let tick = book.tick(crisis, &card.code, index as u32);
                StepRow {
                    index,
                    text: text.clone(),
                    done: tick.is_some_and(|t| t.done),
                    by: tick
                        .filter(|t| t.done)
                        .map(|t| format!("{} · {}", t.stamp.by, fmt.wall(t.stamp.at_ms)))
                        .unwrap_or_default(),
                }
            })
            .collect()
    };
    let cards = match &crisis_id {
        Some(crisis) => plan
            .cards_for_role(role)
            .map(|card| CardView {
                code: card.code.clone(),
                title: card.title.clone(),
                steps: step_rows(card, crisis),
            })
            .collect(),
        None => plan
            .cards_for_role(role)
            .map(|card| CardView {
                code: card.code.clone(),
                title: card.title.clone(),
                steps: card
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(index, text)| StepRow {
                        index,
                        text: text.clone(),
                        done: false,
                        by: String::new(),
                    })
                    .collect(),
            })
            .collect(),
    };
    let progress = match (&crisis_id, may(Action::CrisisDecide)) {
        (Some(crisis), true) => plan
            .cards
            .iter()
            .map(|card| {
                let done = step_rows(card, crisis).iter().filter(|s| s.done).count();
                ProgressRow {
                    title: card.title.clone(),
                    role: ckisa_auth::Role::from_code(&card.role)
                        .map_or(card.role.clone(), |r| layout::role_label(tr, r).to_owned()),
                    done,
                    total: card.steps.len(),
                    complete: done == card.steps.len(),
                }
            })
            .collect(),
        _ => Vec::new(),
    };

    OverviewTemplate {
        tr,
        csrf: caller.csrf().unwrap_or_default().to_owned(),
        active: active.is_some(),
        recovery: book.phase() == Phase::Recovery,
        headline,
        reason,
        declared,
        elapsed,
        actions,
        clocks,
        breaches,
        alerts,
        may_ack: may(Action::AlertAck),
        cards,
        may_tick: crisis_id.is_some() && may(Action::CrisisWrite),
        progress,
        may_report: may(Action::CrisisReport),
        warnings: if may(Action::CrisisDecide) {
            plan.warnings.iter().map(|w| w.to_string()).collect()
        } else {
            Vec::new()
        },
    }
}

/// "3 h 15 left of 4 h" or "DMIA of 4 h exceeded by 20 min", in the page's
/// language.
fn clock_summary(fmt: &Fmt<'_>, clock: &plan::ActivityClock) -> String {
    let dmia = fmt.span(i64::try_from(clock.dmia.as_millis()).unwrap_or(i64::MAX));
    let remaining = clock.remaining_ms();
    if remaining > 0 {
        fmt.tr.fmt(
            "crisis.clock_left",
            &[("left", &fmt.span(remaining)), ("dmia", &dmia)],
        )
    } else {
        fmt.tr.fmt(
            "crisis.clock_over",
            &[("over", &fmt.span(-remaining)), ("dmia", &dmia)],
        )
    }
}

fn alert_kind_key(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::FeedSilent => "crisis.alert_silent",
        AlertKind::FeedRateLow => "crisis.alert_rate",
        AlertKind::ProbeFailed => "crisis.alert_probe",
        AlertKind::PdmaExceeded => "crisis.alert_pdma",
        AlertKind::StockLow => "crisis.alert_stock",
    }
}

struct LevelOption {
    level: u8,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "crisis/transition.html")]
struct TransitionTemplate<'a> {
    tr: Tr,
    csrf: String,
    title: &'static str,
    segment: &'static str,
    levels: Vec<LevelOption>,
    reason: &'a str,
    error: Option<String>,
}

/// The form of one transition.
#[derive(Debug, Deserialize)]
pub(crate) struct TransitionForm {
    niveau: Option<String>,
    #[serde(default)]
    motif: String,
}

fn transition_of(segment: &str) -> Result<Transition, AppError> {
    Transition::parse(segment).ok_or(AppError::PageNotFound)
}

/// `GET /crise/transition/{kind}`.
pub(crate) async fn transition_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(segment): Path<String>,
) -> Result<Response, AppError> {
    let transition = transition_of(&segment)?;
    let current = state.book().await?.active().map(|c| c.level());
    transition_form(&state, &ctx, &caller, transition, current, "", None)
}

fn transition_form(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    transition: Transition,
    level: Option<u8>,
    reason: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    let tr = ctx.fmt(state).tr;
    let plan = state.hub().plan();
    let levels = if transition.takes_level() {
        plan.crisis
            .levels
            .iter()
            .map(|l| LevelOption {
                level: l.level,
                label: format!("{} — {} : {}", l.level, l.name, l.description),
                selected: Some(l.level) == level,
            })
            .collect()
    } else {
        Vec::new()
    };
    let status = if error.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    let main = TransitionTemplate {
        tr,
        csrf: caller.csrf()?.to_owned(),
        title: tr.t(transition.title_key()),
        segment: transition.segment(),
        levels,
        reason,
        error,
    }
    .render()?;
    layout::respond_form(
        state,
        ctx,
        tr.t(transition.title_key()),
        Nav::Crisis,
        main,
        status,
    )
}

/// `POST /crise/transition/{kind}`.
pub(crate) async fn transition_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(segment): Path<String>,
    form: Result<Form<TransitionForm>, FormRejection>,
) -> Result<Response, AppError> {
    let transition = transition_of(&segment)?;
    let form = read_form(form)?;
    let tr = ctx.fmt(&state).tr;
    let plan = state.hub().plan();
    let level = match (transition.takes_level(), form.niveau.as_deref()) {
        (false, _) => None,
        (true, text) => {
            let parsed = text.and_then(|t| t.trim().parse::<u8>().ok());
            match parsed.filter(|l| plan.level(*l).is_some()) {
                Some(level) => Some(level),
                None => {
                    let error = tr.t("crisis.level_unknown").to_owned();
                    return transition_form(
                        &state,
                        &ctx,
                        &caller,
                        transition,
                        None,
                        &form.motif,
                        Some(error),
                    );
                }
            }
        }
    };
    let reason = form.motif.trim().to_owned();
    let active = state.book().await?.active().map(|c| c.id.clone());
    let current = |active: Option<CrisisId>| active.ok_or_else(|| no_crisis(tr));
    let fact = match transition {
        Transition::Declare => CrisisFact::Declared {
            crisis: CrisisId(new_id(state.now_ms()).0),
            level: level.unwrap_or(1),
            reason,
        },
        Transition::Level => CrisisFact::LevelChanged {
            crisis: current(active)?,
            level: level.unwrap_or(1),
            reason,
        },
        Transition::Recover => CrisisFact::RecoveryAnnounced {
            crisis: current(active)?,
            reason,
        },
        Transition::Close => CrisisFact::Closed {
            crisis: current(active)?,
            reason,
        },
    };
    match state.record(&caller, fact).await {
        Ok(()) => Ok(redirect("/crise")),
        Err(AppError::Refused(why)) => transition_form(
            &state,
            &ctx,
            &caller,
            transition,
            level,
            &form.motif,
            Some(why),
        ),
        Err(other) => Err(other),
    }
}

fn no_crisis(tr: Tr) -> AppError {
    AppError::Refused(tr.t("crisis.none").to_owned())
}

/// The form of a card tick.
#[derive(Debug, Deserialize)]
pub(crate) struct TickForm {
    fait: Option<String>,
}

/// `POST /crise/fiches/{card}/{step}`: ticks (`fait=1`) or unticks
/// (`fait=0`) one step of one of the caller's cards; the crisis cell's
/// deciders may tick any card (a card read out over the radio).
pub(crate) async fn tick_card(
    State(state): State<AppState>,
    caller: Caller,
    Path((card, step)): Path<(String, String)>,
    form: Result<Form<TickForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    let plan = state.hub().plan();
    // A step that is not a small number is no step of the plan: 404, not
    // the router's English rejection.
    let step: u32 = step.parse().map_err(|_| AppError::PageNotFound)?;
    let Some(found) = plan.card(&card).filter(|c| (step as usize) < c.steps.len()) else {
        return Err(AppError::PageNotFound);
    };
    let role = caller.role().map(|r| r.code()).unwrap_or_default();
    if found.role != role && caller.reach(Action::CrisisDecide) == Reach::Never {
        return Err(AppError::Forbidden);
    }
    let done = form.fait.as_deref() != Some("0");
    let fact = CrisisFact::CardStep { card, step, done };
    state.record(&caller, fact).await?;
    Ok(redirect("/crise#fiches"))
}

/// `POST /crise/alertes/{id}/vu`.
pub(crate) async fn acknowledge_alert(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let fact = CrisisFact::AlertAcknowledged { id: ItemId(id) };
    state.record(&caller, fact).await?;
    Ok(redirect("/crise#alertes"))
}

struct ContactRow {
    name: String,
    function: String,
    role: String,
    unit: String,
    means: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "crisis/contacts.html")]
struct ContactsTemplate {
    tr: Tr,
    rows: Vec<ContactRow>,
}

/// `GET /crise/contacts`: the crisis directory, each contact's means in
/// the order a caller tries them.
pub(crate) async fn contacts_page(
    State(state): State<AppState>,
    ctx: PageCtx,
) -> Result<Response, AppError> {
    let tr = ctx.fmt(&state).tr;
    let rows = state
        .hub()
        .plan()
        .contacts
        .iter()
        .map(|c| ContactRow {
            name: c.name.clone(),
            function: c.function.clone(),
            role: c
                .role
                .as_deref()
                .and_then(ckisa_auth::Role::from_code)
                .map(|r| layout::role_label(tr, r).to_owned())
                .unwrap_or_default(),
            unit: c.unit.clone().unwrap_or_default(),
            means: c
                .means()
                .into_iter()
                .map(|(means, value)| (means.label(), value.to_owned()))
                .collect(),
        })
        .collect();
    let main = ContactsTemplate { tr, rows }.render()?;
    let page = Page {
        title: tr.t("crisis.contacts"),
        nav: Nav::Crisis,
        query: "",
        main,
    };
    layout::respond_bare(&state, &ctx, page)
}
