//! The frame around every page: header with navigation, search box,
//! language switch and feed freshness bar; the footer; and the partial
//! answer (`X-Partial: 1`) that the live-refresh script swaps in.
//!
//! Page modules render their own body with their own template and hand the
//! HTML here; this module is the only place that marks HTML as safe, and
//! only HTML our templates produced.

use askama::Template;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use ckisa_auth::{Action, Reach, Role};
use ckisa_store::FeedStatus;

use crate::access::Caller;
use crate::crisis::Banner;
use crate::error::AppError;
use crate::format::{Fmt, Freshness};
use crate::i18n::{Lang, Tr};
use crate::{AppState, PageCtx};

/// Version appended to static URLs so browsers fetch new assets after an
/// upgrade while caching them otherwise.
const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Which navigation entry is the current page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    /// The crisis capsule's pages.
    Crisis,
    /// The clinical capsule's degraded-mode pages.
    Care,
    /// The secure messaging.
    Messages,
    Units,
    Search,
    Quarantine,
    Status,
    Audit,
    Accounts,
    Account,
    /// A page no entry stands for (a patient summary).
    None,
}

impl Nav {
    fn name(self) -> &'static str {
        match self {
            Nav::Crisis => "crisis",
            Nav::Care => "care",
            Nav::Messages => "messages",
            Nav::Units => "units",
            Nav::Search => "search",
            Nav::Quarantine => "quarantine",
            Nav::Status => "status",
            Nav::Audit => "audit",
            Nav::Accounts => "accounts",
            Nav::Account => "account",
            Nav::None => "",
        }
    }
}

/// One feed in the freshness bar.
pub(crate) struct FreshItem {
    class: &'static str,
    text: String,
}

/// The logged-in person in the header: name, role, and the token their
/// logout and lock buttons post.
struct UserBar {
    name: String,
    role: &'static str,
    csrf: String,
    /// The account has a PIN, so the session can be locked and unlocked.
    can_lock: bool,
}

/// The actions of the clinical capsule: reaching any of them shows its
/// navigation entry.
const CARE_ACTIONS: [Action; 10] = [
    Action::CareDocument,
    Action::Prescribe,
    Action::PrescriptionReview,
    Action::LabRequest,
    Action::LabResult,
    Action::Movement,
    Action::Schedule,
    Action::Kitchen,
    Action::PaperReports,
    Action::Reconcile,
];

/// Which navigation entries the caller may follow.
struct NavAllowed {
    crisis: bool,
    care: bool,
    messages: bool,
    units: bool,
    search: bool,
    quarantine: bool,
    status: bool,
    audit: bool,
    accounts: bool,
}

impl NavAllowed {
    fn of(caller: Option<&Caller>) -> NavAllowed {
        let may = |action| caller.is_some_and(|c| c.reach(action) != Reach::Never);
        NavAllowed {
            crisis: may(Action::CrisisView),
            care: CARE_ACTIONS.into_iter().any(may),
            messages: may(Action::MessageRead) && caller.is_some_and(|c| c.session().is_some()),
            units: may(Action::UnitList),
            search: may(Action::PatientSearch)
                && !caller.is_some_and(|c| c.reaches_no_unit(Action::PatientSearch)),
            quarantine: may(Action::Quarantine),
            status: may(Action::NodeStatus),
            audit: may(Action::AuditRead),
            accounts: may(Action::UserAdmin),
        }
    }
}

/// A role's name in the page's language.
pub(crate) fn role_label(tr: Tr, role: Role) -> &'static str {
    if tr.code() == "fr" {
        role.label_fr()
    } else {
        role.label_en()
    }
}

fn user_bar(tr: Tr, caller: Option<&Caller>) -> Option<UserBar> {
    let session = caller?.session()?;
    Some(UserBar {
        name: session.account.display_name.clone(),
        role: role_label(tr, session.account.role),
        csrf: session.csrf.clone(),
        can_lock: session.account.has_pin,
    })
}

/// The crisis banner in words: level, name, since when, elapsed. Shown by
/// `templates/crisis_banner.html`, in every page's banner and in the
/// crisis dashboard's pushed fragment.
pub(crate) struct BannerView {
    pub(crate) text: String,
    pub(crate) since: String,
    pub(crate) elapsed: String,
    pub(crate) since_ms: i64,
    pub(crate) recovery: bool,
}

/// The words of `banner` as of `fmt.now_ms`; none outside a crisis.
pub(crate) fn banner_view(fmt: &Fmt<'_>, banner: Option<&Banner>) -> Option<BannerView> {
    let banner = banner?;
    let level = banner.level.to_string();
    let key = if banner.recovery {
        "crisis.banner_recovery"
    } else {
        "crisis.banner"
    };
    Some(BannerView {
        text: fmt
            .tr
            .fmt(key, &[("level", &level), ("name", &banner.level_name)]),
        since: fmt.wall(banner.since_ms),
        elapsed: fmt.span(fmt.now_ms - banner.since_ms),
        since_ms: banner.since_ms,
        recovery: banner.recovery,
    })
}

/// "2 diffusions prioritaires à accuser", on every page until done.
fn broadcast_strip(fmt: &Fmt<'_>, ctx: &PageCtx) -> Option<String> {
    let n = ctx.messages.to_acknowledge;
    (n > 0).then(|| fmt.tr.fmt("messages.ack_strip", &[("n", &n.to_string())]))
}

/// "Diffusions non accusées dans vos unités : 1", on every page of a unit
/// manager while broadcasts escalated to her wait for people of her units.
fn escalation_strip(fmt: &Fmt<'_>, ctx: &PageCtx) -> Option<String> {
    let n = ctx.messages.escalated;
    (n > 0).then(|| {
        fmt.tr
            .fmt("broadcast.escalated_strip", &[("n", &n.to_string())])
    })
}

/// "(3)" beside the messaging entry: unread messages.
fn unread_badge(ctx: &PageCtx) -> String {
    match ctx.messages.unread {
        0 => String::new(),
        n => format!(" ({n})"),
    }
}

/// "2 alertes de panne en cours", for those who acknowledge them.
fn alert_strip(fmt: &Fmt<'_>, ctx: &PageCtx) -> Option<String> {
    (ctx.open_alerts > 0).then(|| {
        fmt.tr
            .fmt("crisis.alert_strip", &[("n", &ctx.open_alerts.to_string())])
    })
}

struct LangLink {
    code: &'static str,
    label: &'static str,
    href: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "layout.html")]
struct LayoutTemplate<'a> {
    tr: Tr,
    site_name: &'a str,
    title: &'a str,
    nav: &'static str,
    allowed: NavAllowed,
    user: Option<UserBar>,
    query: &'a str,
    langs: Vec<LangLink>,
    fresh: &'a [FreshItem],
    banner: Option<BannerView>,
    alert_strip: Option<String>,
    broadcast_strip: Option<String>,
    escalation_strip: Option<String>,
    unread: String,
    live: bool,
    main: &'a str,
    footer: String,
    version: &'static str,
}

#[derive(Template)]
#[template(path = "partial.html")]
struct PartialTemplate<'a> {
    tr: Tr,
    fresh: &'a [FreshItem],
    banner: Option<BannerView>,
    alert_strip: Option<String>,
    broadcast_strip: Option<String>,
    escalation_strip: Option<String>,
    main: &'a str,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate<'a> {
    tr: Tr,
    title: &'a str,
    message: &'a str,
}

/// A page ready to frame.
pub(crate) struct Page<'a> {
    /// `<title>` and usually the `<h1>`.
    pub(crate) title: &'a str,
    /// Current navigation entry.
    pub(crate) nav: Nav,
    /// Text to keep in the search box.
    pub(crate) query: &'a str,
    /// The body, rendered by a page template.
    pub(crate) main: String,
}

/// Frames `page`, or answers only the live parts for `X-Partial: 1`. The
/// freshness bar reads `Store::feeds`, which counts nothing.
pub(crate) fn respond(
    state: &AppState,
    ctx: &PageCtx,
    feeds: &[FeedStatus],
    page: Page<'_>,
) -> Result<Response, AppError> {
    let fmt = ctx.fmt(state);
    let fresh = freshness(&fmt, &state.config().feeds, feeds);
    let html = if ctx.partial {
        PartialTemplate {
            tr: fmt.tr,
            fresh: &fresh,
            banner: banner_view(&fmt, ctx.banner.as_ref()),
            alert_strip: alert_strip(&fmt, ctx),
            broadcast_strip: broadcast_strip(&fmt, ctx),
            escalation_strip: escalation_strip(&fmt, ctx),
            main: &page.main,
        }
        .render()?
    } else {
        let footer = footer(state, &fmt, ctx);
        LayoutTemplate {
            tr: fmt.tr,
            site_name: &state.config().site_name,
            title: page.title,
            nav: page.nav.name(),
            allowed: NavAllowed::of(ctx.caller.as_ref()),
            user: user_bar(fmt.tr, ctx.caller.as_ref()),
            query: page.query,
            langs: lang_links(ctx),
            fresh: &fresh,
            banner: banner_view(&fmt, ctx.banner.as_ref()),
            alert_strip: alert_strip(&fmt, ctx),
            broadcast_strip: broadcast_strip(&fmt, ctx),
            escalation_strip: escalation_strip(&fmt, ctx),
            unread: unread_badge(ctx),
            live: true,
            main: &page.main,
            footer,
            version: ASSET_VERSION,
        }
        .render()?
    };
    let mut response = Html(html).into_response();
    let vary = HeaderValue::from_static("X-Partial, Cookie");
    response.headers_mut().insert(VARY, vary);
    Ok(response)
}

/// "Nœud X, page produite le ...".
fn footer(state: &AppState, fmt: &Fmt<'_>, ctx: &PageCtx) -> String {
    fmt.tr.fmt(
        "footer.node",
        &[
            ("node", &state.config().node_id),
            ("now", &fmt.wall(ctx.now_ms)),
        ],
    )
}

/// Frames `page` without the freshness bar and without live refresh: the
/// login, account and security pages, which must not re-fetch themselves
/// (a form being typed would be lost).
pub(crate) fn respond_bare(
    state: &AppState,
    ctx: &PageCtx,
    page: Page<'_>,
) -> Result<Response, AppError> {
    let fmt = ctx.fmt(state);
    let footer = footer(state, &fmt, ctx);
    let html = LayoutTemplate {
        tr: fmt.tr,
        site_name: &state.config().site_name,
        title: page.title,
        nav: page.nav.name(),
        allowed: NavAllowed::of(ctx.caller.as_ref()),
        user: user_bar(fmt.tr, ctx.caller.as_ref()),
        query: page.query,
        langs: lang_links(ctx),
        fresh: &[],
        banner: banner_view(&fmt, ctx.banner.as_ref()),
        alert_strip: alert_strip(&fmt, ctx),
        broadcast_strip: broadcast_strip(&fmt, ctx),
        escalation_strip: escalation_strip(&fmt, ctx),
        unread: unread_badge(ctx),
        live: false,
        main: &page.main,
        footer,
        version: ASSET_VERSION,
    }
    .render()?;
    let mut response = Html(html).into_response();
    response
        .headers_mut()
        .insert(VARY, HeaderValue::from_static("Cookie"));
    Ok(response)
}

/// [`respond_bare`] for a page titled `title`, answered with `status` (a
/// form shown again with its error is a 400, a refused login a 401...).
pub(crate) fn respond_form(
    state: &AppState,
    ctx: &PageCtx,
    title: &str,
    nav: Nav,
    main: String,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    let page = Page {
        title,
        nav,
        query: "",
        main,
    };
    let mut response = respond_bare(state, ctx, page)?;
    *response.status_mut() = status;
    Ok(response)
}

/// A full error page, without freshness bar or live refresh (the store may
/// be what failed). Never fails: falls back to plain escaped text.
pub(crate) fn error_page(tr: Tr, site_name: &str, title: &str, message: &str) -> String {
    let main = ErrorTemplate { tr, title, message }.render();
    let page = main.and_then(|main| {
        LayoutTemplate {
            tr,
            site_name,
            title,
            nav: "",
            allowed: NavAllowed::of(None),
            user: None,
            query: "",
            langs: Vec::new(),
            fresh: &[],
            banner: None,
            alert_strip: None,
            broadcast_strip: None,
            escalation_strip: None,
            unread: String::new(),
            live: false,
            main: &main,
            footer: String::new(),
            version: ASSET_VERSION,
        }
        .render()
    });
    page.unwrap_or_else(|error| {
        tracing::error!(%error, "error page failed to render");
        String::from("<!DOCTYPE html><title>ckisa</title><h1>Erreur / Error</h1>")
    })
}

/// Configured feeds first, in config order, then any other feed the store
/// knows, by name; a single "no data" item when there is no feed at all.
fn freshness(fmt: &Fmt<'_>, configured: &[String], feeds: &[FeedStatus]) -> Vec<FreshItem> {
    let mut names: Vec<&str> = configured.iter().map(String::as_str).collect();
    let mut others: Vec<&str> = feeds
        .iter()
        .map(|f| f.name.as_str())
        .filter(|n| !names.contains(n))
        .collect();
    others.sort_unstable();
    others.dedup();
    names.extend(others);
    if names.is_empty() {
        let text = fmt.tr.t("fresh.no_feed").to_owned();
        return vec![FreshItem {
            class: Freshness::Stale.class(),
            text,
        }];
    }
    names
        .into_iter()
        .map(|name| {
            let last = feeds
                .iter()
                .find(|f| f.name == name)
                .and_then(|f| f.last_received_ms);
            fresh_item(fmt, name, last)
        })
        .collect()
}

fn fresh_item(fmt: &Fmt<'_>, name: &str, last: Option<i64>) -> FreshItem {
    match last {
        Some(ms) => FreshItem {
            class: Freshness::of_age_ms(fmt.now_ms.saturating_sub(ms)).class(),
            text: fmt.tr.fmt(
                "fresh.ago",
                &[("feed", name), ("age", &fmt.elapsed_since(ms))],
            ),
        },
        None => FreshItem {
            class: Freshness::Stale.class(),
            text: fmt.tr.fmt("fresh.never", &[("feed", name)]),
        },
    }
}

/// The current URL in each language, other query parameters kept.
fn lang_links(ctx: &PageCtx) -> Vec<LangLink> {
    let kept: Vec<&str> = ctx
        .query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("lang="))
        .collect();
    Lang::ALL
        .into_iter()
        .map(|lang| {
            let mut query = kept.clone();
            let param = format!("lang={}", lang.code());
            query.push(&param);
            LangLink {
                code: lang.code(),
                label: lang.native_name(),
                href: format!("{}?{}", ctx.path, query.join("&")),
                current: lang == ctx.lang,
            }
        })
        .collect()
}

/// Marks every answer without its own cache policy as not storable (pages
/// and API answers carry patient data), and sets the security headers of
/// every answer: a content security policy without inline script or style,
/// no framing, no MIME sniffing, no referrer, and HSTS over HTTPS.
pub(crate) async fn headers(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    for (name, value) in SECURITY_HEADERS {
        // A handler's own policy is stricter (a downloaded attachment is
        // sandboxed): it stays.
        if *name == "content-security-policy" && headers.contains_key(*name) {
            continue;
        }
        headers.insert(*name, HeaderValue::from_static(value));
    }
    if state.security().secure_cookies {
        headers.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// Headers every answer carries.
const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=()",
    ),
];
