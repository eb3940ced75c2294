//! Static files (`/static/{file}`): the style sheet and the live-refresh
//! script, compiled into the binary.
//!
//! Only the names listed here are served; nothing is read from disk, so no
//! path can walk out of the crate's files. URLs carry `?v=<version>` from the
//! layout, so the files can be cached for a day.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// Name, content type, content.
const FILES: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/app.js"),
    ),
    (
        "dashboard.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/dashboard.js"),
    ),
    (
        "messages.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/messages.js"),
    ),
];

/// `GET /static/{file}`.
pub(crate) async fn file(Path(name): Path<String>) -> Result<Response, AppError> {
    let (_, content_type, body) = FILES
        .iter()
        .find(|(known, _, _)| *known == name)
        .ok_or(AppError::PageNotFound)?;
    let headers = [
        (CONTENT_TYPE, *content_type),
        (CACHE_CONTROL, "public, max-age=86400"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    Ok((headers, *body).into_response())
}
