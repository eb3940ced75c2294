//! The one error type of the web crate and how it reaches the browser.
//!
//! A handler returns [`AppError`]; its `IntoResponse` only sets the status
//! and attaches an [`ErrorReport`] extension. The [`finish`] middleware,
//! which knows the request (its language, whether it is an API call), turns
//! that report into a French or English HTML page or a JSON body, and logs
//! server faults once with their request id. A client never sees internal
//! details: a 500 shows only the request id to give to IT support.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use ckisa_store::StoreError;

use crate::i18n::{Lang, Tr, query_lang};
use crate::{AppState, layout};

/// What made a request fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No patient has this key.
    #[error("patient not found")]
    PatientNotFound,
    /// No unit has this code.
    #[error("unit not found")]
    UnitNotFound,
    /// No route matches.
    #[error("page not found")]
    PageNotFound,
    /// No session (or an expired one) on a route that needs one.
    #[error("not logged in")]
    NotLoggedIn,
    /// A bearer token that is unknown, revoked, or used outside the API.
    #[error("bad API token")]
    BadToken,
    /// The caller's role does not reach this action.
    #[error("forbidden")]
    Forbidden,
    /// The session is locked (shared terminal) or must change its password
    /// first: an API call or a form post cannot go on.
    #[error("session locked or password change required")]
    SessionBlocked,
    /// A unit or a patient outside the caller's units, without
    /// break-the-glass.
    #[error("outside the caller's units")]
    OutsideUnits,
    /// A state-changing request without a valid CSRF token or from another
    /// site.
    #[error("CSRF check failed")]
    CsrfRefused,
    /// The accounts directory failed.
    #[error("accounts directory failed")]
    SecurityStore,
    /// The audit trail failed.
    #[error("audit trail failed")]
    Audit(#[from] ckisa_audit::AuditError),
    /// The request itself is wrong.
    #[error("bad input: {0:?}")]
    BadInput(BadInput),
    /// The store failed.
    #[error("store failed")]
    Store(#[from] StoreError),
    /// A blocking store task panicked or was cancelled.
    #[error("store task failed")]
    StoreTask(#[from] tokio::task::JoinError),
    /// A template failed to render.
    #[error("template rendering failed")]
    Render(#[from] askama::Error),
    /// A view could not be encoded as JSON.
    #[error("JSON encoding failed")]
    Json(#[source] serde_json::Error),
    /// A crisis action that makes no sense now or a crisis form with a
    /// wrong field; the French reason is shown as is.
    #[error("refused: {0}")]
    Refused(String),
}

/// A client mistake, with a message safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadInput {
    /// A date in a search that is not a calendar date.
    DateInvalid(String),
    /// A search longer than we accept.
    QueryTooLong,
    /// Query parameters that cannot be read.
    QueryInvalid,
    /// A patient key that cannot be read.
    KeyInvalid,
    /// A form that cannot be read.
    FormInvalid,
    /// A form body over the 64 KiB a form of ours can need.
    FormTooLarge,
    /// A message with an attachment over the configured limit (in bytes).
    UploadTooLarge(u64),
    /// An administrator tried to disable their own account.
    SelfDisable,
}

impl BadInput {
    fn message(&self, tr: Tr) -> String {
        match self {
            BadInput::DateInvalid(date) => tr.fmt("input.date_invalid", &[("date", date)]),
            BadInput::QueryTooLong => tr.t("input.query_too_long").to_owned(),
            BadInput::QueryInvalid => tr.t("input.query_invalid").to_owned(),
            BadInput::KeyInvalid => tr.t("input.key_invalid").to_owned(),
            BadInput::FormInvalid => tr.t("input.form_invalid").to_owned(),
            BadInput::FormTooLarge => tr.t("input.form_too_large").to_owned(),
            BadInput::UploadTooLarge(max) => tr.fmt(
                "input.upload_too_large",
                &[("max", &ckisa_messaging::attachment::size_text(*max))],
            ),
            BadInput::SelfDisable => tr.t("input.self_disable").to_owned(),
        }
    }
}

/// A form extracted by axum, or the "form cannot be read" error.
pub(crate) fn read_form<T>(
    form: Result<axum::Form<T>, axum::extract::rejection::FormRejection>,
) -> Result<T, AppError> {
    form.map(|axum::Form(form)| form)
        .map_err(|_| AppError::BadInput(BadInput::FormInvalid))
}

/// Query parameters extracted by axum, or the "query cannot be read" error.
pub(crate) fn read_query<T>(
    query: Result<axum::extract::Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, AppError> {
    query
        .map(|axum::extract::Query(query)| query)
        .map_err(|_| AppError::BadInput(BadInput::QueryInvalid))
}

/// The failure as the response carries it to [`finish`].
#[derive(Debug, Clone)]
pub(crate) struct ErrorReport {
    kind: ErrorKind,
    /// Set for server faults: the id shown to the user and logged.
    request_id: Option<String>,
    /// Set for server faults: the cause chain, logged, never sent.
    detail: Option<Arc<String>>,
}

#[derive(Debug, Clone)]
enum ErrorKind {
    PatientNotFound,
    UnitNotFound,
    PageNotFound,
    NotLoggedIn,
    BadToken,
    Forbidden,
    SessionBlocked,
    OutsideUnits,
    CsrfRefused,
    BadInput(BadInput),
    Refused(String),
    Unavailable,
    Internal,
}

impl ErrorKind {
    fn status(&self) -> StatusCode {
        match self {
            ErrorKind::PatientNotFound | ErrorKind::UnitNotFound | ErrorKind::PageNotFound => {
                StatusCode::NOT_FOUND
            }
            ErrorKind::NotLoggedIn | ErrorKind::BadToken => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden
            | ErrorKind::SessionBlocked
            | ErrorKind::OutsideUnits
            | ErrorKind::CsrfRefused => StatusCode::FORBIDDEN,
            ErrorKind::BadInput(_) => StatusCode::BAD_REQUEST,
            ErrorKind::Refused(_) => StatusCode::CONFLICT,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ErrorKind::PatientNotFound => "patient_not_found",
            ErrorKind::UnitNotFound => "unit_not_found",
            ErrorKind::PageNotFound => "not_found",
            ErrorKind::NotLoggedIn => "not_logged_in",
            ErrorKind::BadToken => "bad_token",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::SessionBlocked => "session_blocked",
            ErrorKind::OutsideUnits => "outside_units",
            ErrorKind::CsrfRefused => "csrf_refused",
            ErrorKind::BadInput(_) => "bad_request",
            ErrorKind::Refused(_) => "refused",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal_error",
        }
    }

    fn title(&self, tr: Tr) -> &'static str {
        tr.t(match self {
            ErrorKind::PatientNotFound => "error.patient_not_found",
            ErrorKind::UnitNotFound => "error.unit_not_found",
            ErrorKind::PageNotFound => "error.not_found",
            ErrorKind::NotLoggedIn => "error.not_logged_in",
            ErrorKind::BadToken => "error.bad_token",
            ErrorKind::Forbidden => "error.forbidden",
            ErrorKind::SessionBlocked => "error.session_blocked",
            ErrorKind::OutsideUnits => "error.outside_units",
            ErrorKind::CsrfRefused => "error.csrf",
            ErrorKind::BadInput(_) => "error.bad_request",
            ErrorKind::Refused(_) => "error.refused",
            ErrorKind::Unavailable => "error.unavailable",
            ErrorKind::Internal => "error.internal",
        })
    }

    fn message(&self, tr: Tr, request_id: Option<&str>) -> String {
        match self {
            ErrorKind::BadInput(bad) => bad.message(tr),
            ErrorKind::Refused(reason) => reason.clone(),
            ErrorKind::Internal | ErrorKind::Unavailable => tr.fmt(
                "error.internal_detail",
                &[("id", request_id.unwrap_or("-"))],
            ),
            ErrorKind::OutsideUnits => tr.t("error.outside_units_detail").to_owned(),
            ErrorKind::Forbidden => tr.t("error.forbidden_detail").to_owned(),
            ErrorKind::SessionBlocked => tr.t("error.session_blocked_detail").to_owned(),
            ErrorKind::CsrfRefused => tr.t("error.csrf_detail").to_owned(),
            _ => self.title(tr).to_owned(),
        }
    }
}

impl AppError {
    fn kind(&self) -> ErrorKind {
        match self {
            AppError::PatientNotFound => ErrorKind::PatientNotFound,
            AppError::UnitNotFound => ErrorKind::UnitNotFound,
            AppError::PageNotFound => ErrorKind::PageNotFound,
            AppError::NotLoggedIn => ErrorKind::NotLoggedIn,
            AppError::BadToken => ErrorKind::BadToken,
            AppError::Forbidden => ErrorKind::Forbidden,
            AppError::SessionBlocked => ErrorKind::SessionBlocked,
            AppError::OutsideUnits => ErrorKind::OutsideUnits,
            AppError::CsrfRefused => ErrorKind::CsrfRefused,
            AppError::BadInput(bad) => ErrorKind::BadInput(bad.clone()),
            AppError::Refused(reason) => ErrorKind::Refused(reason.clone()),
            AppError::Store(StoreError::Closed) => ErrorKind::Unavailable,
            AppError::Store(_)
            | AppError::StoreTask(_)
            | AppError::Render(_)
            | AppError::Json(_)
            | AppError::SecurityStore
            | AppError::Audit(_) => ErrorKind::Internal,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let kind = self.kind();
        let server_fault = matches!(kind, ErrorKind::Internal | ErrorKind::Unavailable);
        let report = ErrorReport {
            request_id: server_fault.then(|| uuid::Uuid::now_v7().simple().to_string()),
            detail: server_fault.then(|| Arc::new(cause_chain(&self))),
            kind,
        };
        let mut response = report.kind.status().into_response();
        response.extensions_mut().insert(report);
        response
    }
}

fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Router fallback: a French (or English) 404 page for unknown routes.
pub(crate) async fn not_found() -> AppError {
    AppError::PageNotFound
}

/// Outermost middleware: negotiates the language for handlers, renders
/// error reports in that language (HTML, or JSON under `/api/`), logs
/// server faults once, and remembers a `?lang=` choice in a cookie.
pub(crate) async fn finish(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let query = request.uri().query().map(str::to_owned);
    let lang = Lang::negotiate(query.as_deref(), request.headers());
    let is_api = request.uri().path().starts_with("/api/");
    request.extensions_mut().insert(lang);

    let mut response = next.run(request).await;

    if let Some(report) = response.extensions_mut().remove::<ErrorReport>() {
        response = render(&report, Tr(lang), is_api, &state.config().site_name);
    }
    if let Some(chosen) = query.as_deref().and_then(query_lang) {
        let cookie = format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
            chosen.code()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

fn render(report: &ErrorReport, tr: Tr, is_api: bool, site_name: &str) -> Response {
    let status = report.kind.status();
    if let (Some(id), Some(detail)) = (&report.request_id, &report.detail) {
        tracing::error!(request_id = %id, error = %detail, "request failed");
    }
    let message = report.kind.message(tr, report.request_id.as_deref());
    let mut response = if is_api {
        let body = serde_json::json!({
            "error": report.kind.code(),
            "message": message,
            "message_fr": report.kind.message(Tr(Lang::Fr), report.request_id.as_deref()),
            "request_id": report.request_id,
        });
        (status, axum::Json(body)).into_response()
    } else {
        let title = report.kind.title(tr);
        let html = layout::error_page(tr, site_name, title, &message);
        (status, Html(html)).into_response()
    };
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if !is_api {
        let html = HeaderValue::from_static("text/html; charset=utf-8");
        response.headers_mut().insert(CONTENT_TYPE, html);
    }
    response
}
