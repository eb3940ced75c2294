//! Logging in and out, and one's own account: `/connexion`,
//! `/deconnexion`, `/deconnexion-partout`, `/mot-de-passe`, `/verrou`,
//! `/compte`, `/compte/code`.
//!
//! Passwords are checked by `ckisa-auth` on the blocking pool (Argon2id is
//! slow on purpose). The session cookie is `HttpOnly`, `SameSite=Strict`,
//! `Path=/`, and `Secure` with the `__Host-` prefix when the node serves
//! HTTPS; it carries no expiry, so it dies with the browser, and the server
//! ends it after the idle or absolute timeout anyway.

use askama::Template;
use axum::Form;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::Response;
use ckisa_auth::{LoginError, PasswordError};
use serde::Deserialize;

use crate::access::{self, Caller, redirect, session_cookie_name};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::layout::{self, Nav};
use crate::{AppState, PageCtx};

/// Longest login or password the forms accept, in bytes.
const MAX_FIELD: usize = 256;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTemplate<'a> {
    tr: Tr,
    login: &'a str,
    next: &'a str,
    error: Option<String>,
}

/// `?suite=` of the login page: where to go after logging in.
#[derive(Debug, Deserialize)]
pub(crate) struct NextParam {
    suite: Option<String>,
}

/// Only a path of this site: starts with one `/`, no scheme, no `//`, no
/// backslash, no control character. Anything else goes to the home page.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control)
                && path.len() <= 2048 =>
        {
            path
        }
        _ => "/",
    }
}

/// `GET /connexion`.
pub(crate) async fn login_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(param): Query<NextParam>,
) -> Result<Response, AppError> {
    let next = safe_next(param.suite.as_deref());
    login_form(&state, &ctx, "", next, None, StatusCode::OK)
}

fn login_form(
    state: &AppState,
    ctx: &PageCtx,
    login: &str,
    next: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let tr = Tr(ctx.lang);
    let main = LoginTemplate {
        tr,
        login,
        next,
        error,
    }
    .render()?;
    layout::respond_form(state, ctx, tr.t("login.title"), Nav::None, main, status)
}

/// The login form.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    login: String,
    password: String,
    suite: Option<String>,
}

/// `POST /connexion`.
pub(crate) async fn login(
    State(state): State<AppState>,
    ctx: PageCtx,
    request: Request,
) -> Result<Response, AppError> {
    let ip = access::client_ip(request.extensions());
    let Form(form) = Form::<LoginForm>::from_request(request, &state)
        .await
        .map_err(|_| AppError::BadInput(crate::BadInput::FormInvalid))?;
    let next = safe_next(form.suite.as_deref()).to_owned();
    let tr = Tr(ctx.lang);
    if form.login.len() > MAX_FIELD || form.password.len() > MAX_FIELD {
        let error = Some(tr.t("login.bad_credentials").to_owned());
        return login_form(&state, &ctx, "", &next, error, StatusCode::UNAUTHORIZED);
    }
    let login = form.login.trim().to_lowercase();
    let typed = login.clone();
    let outcome = state
        .directory(move |directory, now| directory.login(&typed, &form.password, ip, now))
        .await?;
    match outcome {
        Ok(session) => {
            let target = if session.account.must_change {
                "/mot-de-passe"
            } else {
                &next
            };
            let mut response = redirect(target);
            set_session_cookie(&state, &mut response, &session.token);
            Ok(response)
        }
        Err(error) => {
            let (message, status) = login_error(tr, &state, &error);
            login_form(&state, &ctx, &login, &next, Some(message), status)
        }
    }
}

fn login_error(tr: Tr, state: &AppState, error: &LoginError) -> (String, StatusCode) {
    match error {
        LoginError::AccountLocked { until_ms } => (
            tr.fmt(
                "login.locked",
                &[("until", &ctx_time(state, tr, *until_ms))],
            ),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        LoginError::AddressThrottled { retry_after_s } => (
            tr.fmt(
                "login.throttled",
                &[("seconds", &retry_after_s.to_string())],
            ),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        LoginError::Disabled => (tr.t("login.disabled").to_owned(), StatusCode::FORBIDDEN),
        _ => (
            tr.t("login.bad_credentials").to_owned(),
            StatusCode::UNAUTHORIZED,
        ),
    }
}

fn ctx_time(state: &AppState, tr: Tr, ms: i64) -> String {
    crate::format::Fmt {
        tr,
        zone: &state.config().zone,
        now_ms: state.now_ms(),
    }
    .wall(ms)
}

fn set_session_cookie(state: &AppState, response: &mut Response, token: &str) {
    let secure = state.security().secure_cookies;
    let cookie = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict{}",
        session_cookie_name(secure),
        if secure { "; Secure" } else { "" }
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

fn clear_session_cookie(state: &AppState, response: &mut Response) {
    let secure = state.security().secure_cookies;
    let cookie = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        session_cookie_name(secure),
        if secure { "; Secure" } else { "" }
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// `POST /deconnexion`: ends this session.
pub(crate) async fn logout(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, AppError> {
    let token = caller.session_token()?;
    let ip = caller.ip;
    state
        .directory(move |directory, now| directory.logout(&token, ip, now))
        .await?;
    let mut response = redirect("/connexion");
    clear_session_cookie(&state, &mut response);
    Ok(response)
}

/// `POST /deconnexion-partout`: ends every session of the account (a
/// stolen or forgotten session on another terminal).
pub(crate) async fn logout_everywhere(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, AppError> {
    let Some(login) = caller.login().map(str::to_owned) else {
        return Err(AppError::Forbidden);
    };
    let actor = actor_of(&caller);
    state
        .directory(move |directory, now| directory.logout_everywhere(&login, &actor, now))
        .await?;
    let mut response = redirect("/connexion");
    clear_session_cookie(&state, &mut response);
    Ok(response)
}

/// The directory's view of who acts, for permission changes.
pub(crate) fn actor_of(caller: &Caller) -> ckisa_auth::Actor {
    ckisa_auth::Actor {
        login: caller.actor(),
        role: caller.role(),
        source: caller.ip.to_string(),
    }
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    forced: bool,
    error: Option<String>,
}

/// `GET /mot-de-passe`.
pub(crate) async fn password_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    password_form(&state, &ctx, &caller, None, StatusCode::OK)
}

fn password_form(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let session = caller.session().ok_or(AppError::Forbidden)?;
    let tr = Tr(ctx.lang);
    let main = PasswordTemplate {
        tr,
        csrf: &session.csrf,
        forced: session.must_change,
        error,
    }
    .render()?;
    layout::respond_form(state, ctx, tr.t("password.title"), Nav::None, main, status)
}

/// The password change form.
#[derive(Debug, Deserialize)]
pub(crate) struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

/// `POST /mot-de-passe`.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let tr = Tr(ctx.lang);
    if form.new != form.confirm {
        let error = Some(tr.t("password.mismatch").to_owned());
        return password_form(&state, &ctx, &caller, error, StatusCode::BAD_REQUEST);
    }
    let token = caller.session_token()?;
    let ip = caller.ip;
    let outcome = state
        .directory(move |directory, now| {
            directory.change_password(&token, &form.current, &form.new, ip, now)
        })
        .await?;
    match outcome {
        Ok(()) => Ok(redirect("/")),
        Err(error) => {
            let message = password_error(tr, &error);
            password_form(
                &state,
                &ctx,
                &caller,
                Some(message),
                StatusCode::BAD_REQUEST,
            )
        }
    }
}

fn password_error(tr: Tr, error: &PasswordError) -> String {
    match error {
        PasswordError::WrongCurrent => tr.t("password.wrong_current").to_owned(),
        PasswordError::TooShort { min } => {
            tr.fmt("password.too_short", &[("min", &min.to_string())])
        }
        PasswordError::SameAsLogin => tr.t("password.same_as_login").to_owned(),
        PasswordError::SameAsOld => tr.t("password.same_as_old").to_owned(),
        PasswordError::BadPin => tr.t("pin.invalid").to_owned(),
        PasswordError::TooLong { max } => tr.fmt("password.too_long", &[("max", &max.to_string())]),
        PasswordError::SingleCharacter => tr.t("password.single_character").to_owned(),
        other => {
            tracing::warn!(error = %other, "password change failed");
            tr.t("password.failed").to_owned()
        }
    }
}

#[derive(Template)]
#[template(path = "lock.html")]
struct LockTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    who: String,
    error: Option<String>,
}

/// `GET /verrou`: the unlock form of a locked session (a shared
/// terminal), or the account page when the session is not locked.
pub(crate) async fn lock_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    let session = caller.session().ok_or(AppError::Forbidden)?;
    if !session.locked {
        return Ok(redirect("/compte"));
    }
    lock_form(&state, &ctx, &caller, None, StatusCode::OK)
}

fn lock_form(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let session = caller.session().ok_or(AppError::Forbidden)?;
    let tr = Tr(ctx.lang);
    let main = LockTemplate {
        tr,
        csrf: &session.csrf,
        who: tr.fmt("lock.who", &[("name", &session.account.display_name)]),
        error,
    }
    .render()?;
    layout::respond_form(state, ctx, tr.t("lock.title"), Nav::None, main, status)
}

/// The lock form: `action=verrouiller`, or `action=deverrouiller` with the
/// PIN.
#[derive(Debug, Deserialize)]
pub(crate) struct LockForm {
    action: String,
    pin: Option<String>,
}

/// `POST /verrou`.
pub(crate) async fn lock(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Form(form): Form<LockForm>,
) -> Result<Response, AppError> {
    let token = caller.session_token()?;
    let ip = caller.ip;
    let has_pin = caller.session().is_some_and(|s| s.account.has_pin);
    if form.action == "verrouiller" && !has_pin {
        // Without a PIN the session could not be unlocked: refuse, and say
        // how to set one, rather than strand the caregiver.
        let notice = Some(Tr(ctx.lang).t("lock.no_pin").to_owned());
        return account_view(&state, &ctx, &caller, notice, StatusCode::BAD_REQUEST);
    }
    if form.action == "verrouiller" {
        state
            .directory(move |directory, now| directory.lock(&token, ip, now))
            .await?;
        return Ok(redirect("/verrou"));
    }
    let pin = form.pin.unwrap_or_default();
    let outcome = state
        .directory(move |directory, now| {
            let outcome = directory.unlock(&token, &pin, ip, now);
            (outcome, directory.session(&token, now).is_some())
        })
        .await?;
    let tr = Tr(ctx.lang);
    match outcome {
        (Ok(()), _) => Ok(redirect("/")),
        (Err(error), still_open) => {
            if !still_open {
                let mut response = redirect("/connexion");
                clear_session_cookie(&state, &mut response);
                return Ok(response);
            }
            let (message, status) = login_error(tr, &state, &error);
            let message = if matches!(error, LoginError::WrongPin) {
                tr.t("pin.wrong").to_owned()
            } else {
                message
            };
            lock_form(&state, &ctx, &caller, Some(message), status)
        }
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    name: &'a str,
    login: &'a str,
    role: &'a str,
    units: String,
    has_pin: bool,
    expires: String,
    notice: Option<String>,
}

/// `GET /compte`: who I am, my units, my PIN, logout everywhere.
pub(crate) async fn account_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    account_view(&state, &ctx, &caller, None, StatusCode::OK)
}

fn account_view(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let session = caller.session().ok_or(AppError::Forbidden)?;
    let tr = Tr(ctx.lang);
    let account = &session.account;
    let units = match &account.scope {
        ckisa_auth::Scope::AllUnits => tr.t("account.all_units").to_owned(),
        ckisa_auth::Scope::Units(codes) if codes.is_empty() => tr.t("account.no_units").to_owned(),
        ckisa_auth::Scope::Units(codes) => codes.join(", "),
    };
    let fmt = ctx.fmt(state);
    let main = AccountTemplate {
        tr,
        csrf: &session.csrf,
        name: &account.display_name,
        login: &account.login,
        role: crate::layout::role_label(tr, account.role),
        units,
        has_pin: account.has_pin,
        expires: fmt.wall(session.expires_ms),
        notice,
    }
    .render()?;
    layout::respond_form(
        state,
        ctx,
        tr.t("account.title"),
        Nav::Account,
        main,
        status,
    )
}

/// The PIN form.
#[derive(Debug, Deserialize)]
pub(crate) struct PinForm {
    pin: String,
}

/// `POST /compte/code`: sets the PIN that unlocks a locked session.
pub(crate) async fn set_pin(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Form(form): Form<PinForm>,
) -> Result<Response, AppError> {
    let token = caller.session_token()?;
    let ip = caller.ip;
    let outcome = state
        .directory(move |directory, now| directory.set_pin(&token, &form.pin, ip, now))
        .await?;
    let tr = Tr(ctx.lang);
    match outcome {
        Ok(()) => Ok(redirect("/compte")),
        Err(error) => {
            let message = password_error(tr, &error);
            account_view(
                &state,
                &ctx,
                &caller,
                Some(message),
                StatusCode::BAD_REQUEST,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/unites/REA?x=1")), "/unites/REA?x=1");
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
