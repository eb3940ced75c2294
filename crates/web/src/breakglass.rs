//! Break-the-glass (`/acces-exceptionnel`): a caregiver opens the chart of
//! a patient outside their units by giving a reason.
//!
//! The form shows only what identifies the patient (name, birth date, IPP),
//! so that the caregiver confirms it is the right person before opening the
//! chart. The grant itself, its duration, its durable audit entry and the
//! alert to the security role belong to `ckisa-auth`; the chart page then
//! shows the reason in a banner for the whole grant.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use ckisa_auth::{Action, AuthError};
use ckisa_domain::PatientKey;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use crate::access::{Audited, Caller, redirect};
use crate::error::{AppError, BadInput};
use crate::format::{full_name, patient_href};
use crate::i18n::Tr;
use crate::layout::{self, Nav};
use crate::patient::{unknown_patient, valid_key};
use crate::{AppState, PageCtx};

/// The break-the-glass form's URL for `key`.
pub(crate) fn href(key: &PatientKey) -> String {
    format!(
        "/acces-exceptionnel?patient={}",
        utf8_percent_encode(key.as_str(), NON_ALPHANUMERIC)
    )
}

#[derive(Template)]
#[template(path = "breakglass.html")]
struct GlassTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    key: &'a str,
    name: String,
    birth: String,
    ipp: String,
    reason: &'a str,
    error: Option<String>,
}

/// `?patient=` of the form.
#[derive(Debug, Deserialize)]
pub(crate) struct GlassParams {
    patient: Option<String>,
}

/// `GET /acces-exceptionnel?patient=KEY`.
pub(crate) async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Query(params): Query<GlassParams>,
) -> Result<Response, AppError> {
    let key = valid_key(params.patient.as_deref().unwrap_or_default())?;
    form(&state, &ctx, &caller, &key, "", None, StatusCode::OK).await
}

async fn form(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    key: &PatientKey,
    reason: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let session = caller.session().ok_or(AppError::Forbidden)?;
    let asked = key.clone();
    let Some(chart) = state.read(move |store| store.patient_chart(&asked)).await? else {
        return Err(unknown_patient(state, caller, key));
    };
    caller.audit(
        state,
        Audited::allowed(Action::BreakGlass)
            .patient(key.as_str())
            .detail("formulaire affiché (identité seule)"),
    );
    let fmt = ctx.fmt(state);
    let identity = &chart.identity;
    let main = GlassTemplate {
        tr: fmt.tr,
        csrf: &session.csrf,
        key: key.as_str(),
        name: full_name(identity.family.as_deref(), identity.given.as_deref()),
        birth: identity
            .birth_date
            .as_ref()
            .map_or_else(|| "—".to_owned(), |b| b.display_fr(fmt.zone)),
        ipp: identity.ipp.clone().unwrap_or_else(|| "—".to_owned()),
        reason,
        error,
    }
    .render()?;
    layout::respond_form(state, ctx, fmt.tr.t("glass.title"), Nav::None, main, status)
}

/// The form's fields.
#[derive(Debug, Deserialize)]
pub(crate) struct GlassForm {
    patient: String,
    reason: String,
}

/// `POST /acces-exceptionnel`: opens the grant, then the chart.
pub(crate) async fn open(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Form(glass): Form<GlassForm>,
) -> Result<Response, AppError> {
    let key = valid_key(&glass.patient)?;
    let exists = {
        let asked = key.clone();
        state
            .read(move |store| Ok(store.patient_chart(&asked)?.is_some()))
            .await?
    };
    if !exists {
        return Err(unknown_patient(&state, &caller, &key));
    }
    let token = caller.session_token()?;
    let (patient, reason, ip) = (key.as_str().to_owned(), glass.reason.clone(), caller.ip);
    let outcome = state
        .directory(move |directory, now| directory.break_glass(&token, &patient, &reason, ip, now))
        .await?;
    match outcome {
        Ok(_) => Ok(redirect(&patient_href(&key))),
        Err(AuthError::ReasonTooShort { min }) => {
            let tr = Tr(ctx.lang);
            let error = Some(tr.fmt("glass.reason_too_short", &[("min", &min.to_string())]));
            form(
                &state,
                &ctx,
                &caller,
                &key,
                &glass.reason,
                error,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(AuthError::NotAllowed) => Err(AppError::Forbidden),
        Err(error) => {
            tracing::error!(%error, "break-the-glass failed");
            Err(AppError::BadInput(BadInput::FormInvalid))
        }
    }
}
