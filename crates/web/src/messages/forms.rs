//! What the messaging pages share to answer: the page in the layout under
//! the messaging tab, a 400 when it shows a form again with its errors, and
//! a refusal of the book told apart from a fault.

use axum::http::StatusCode;
use axum::response::Response;

use crate::error::AppError;
use crate::layout::{self, Nav};
use crate::{AppState, PageCtx};

/// A checkbox or radio button of a form (`messages/form_macros.html`).
pub(super) struct Choice {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) checked: bool,
}

/// `main` in the layout, titled `title`, under the messaging tab: 200.
pub(super) fn page(
    state: &AppState,
    ctx: &PageCtx,
    title: &str,
    main: String,
) -> Result<Response, AppError> {
    layout::respond_form(state, ctx, title, Nav::Messages, main, StatusCode::OK)
}

/// [`page`] for a page holding a form: a 400 when `failed`, the form just
/// posted being shown again with its errors.
pub(super) fn form_page(
    state: &AppState,
    ctx: &PageCtx,
    title: &str,
    main: String,
    failed: bool,
) -> Result<Response, AppError> {
    let status = if failed {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    layout::respond_form(state, ctx, title, Nav::Messages, main, status)
}

/// A refusal (a rule said no, to be shown on the page the form came from)
/// as `Ok(Err(reason))`; any other error stays an error.
pub(super) fn refusal<T>(result: Result<T, AppError>) -> Result<Result<T, String>, AppError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(AppError::Refused(reason)) => Ok(Err(reason)),
        Err(error) => Err(error),
    }
}
