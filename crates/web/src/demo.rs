//! The demonstration's simulated HIS, driven from the status page: IT
//! security and administrators stop it to watch the node detect the outage,
//! and start it again to watch the feed resume (`POST /demo/sih`).
//!
//! Only `ckisa demo` hands the web layer a [`SimulatedHis`]; on any other
//! node the route answers 404 and the status page shows nothing of it.

use std::fmt;

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::Response;
use ckisa_auth::{Action, Reach};
use serde::Deserialize;

use crate::access::{Audited, Caller, redirect};
use crate::error::{AppError, BadInput, read_form};
use crate::{AppState, PageCtx};

/// The simulated HIS of a demonstration node, as the web layer sees it.
///
/// `Debug` lets [`WebConfig`](crate::WebConfig) keep its derived `Debug`.
pub trait SimulatedHis: Send + Sync + fmt::Debug {
    /// Whether the HIS is sending (or trying to send) to the node.
    fn running(&self) -> bool;

    /// Starts (`true`) or stops (`false`) the HIS; doing what is already
    /// done is not an error. May block briefly (it waits for a stopped HIS
    /// to close its connection, and reads the store to restart it): the web
    /// layer calls it on the blocking pool. The error is French, for the
    /// page.
    fn set_running(&self, on: bool) -> Result<(), String>;
}

/// What the status page shows of the simulated HIS, for callers who may
/// drive it.
pub(crate) struct HisPanel {
    /// Whether it is sending.
    pub(crate) running: bool,
    /// The caller's CSRF token for the button.
    pub(crate) csrf: String,
}

/// The panel for the status page: only on a demonstration node, and only
/// for callers who reach [`Action::Metrics`] through a session.
pub(crate) fn panel(state: &AppState, ctx: &PageCtx) -> Option<HisPanel> {
    let his = state.config().simulated_his.as_ref()?;
    let caller = ctx.caller.as_ref()?;
    if caller.reach(Action::Metrics) == Reach::Never {
        return None;
    }
    let session = caller.session()?;
    Some(HisPanel {
        running: his.running(),
        csrf: session.csrf.clone(),
    })
}

/// The form of `POST /demo/sih`.
#[derive(Debug, Deserialize)]
pub(crate) struct HisForm {
    action: String,
}

/// `POST /demo/sih`: `action=arreter` stops the simulated HIS,
/// `action=relancer` starts it again; back to the status page.
pub(crate) async fn control(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Form<HisForm>, FormRejection>,
) -> Result<Response, AppError> {
    let Some(his) = state.config().simulated_his.clone() else {
        return Err(AppError::PageNotFound);
    };
    let form = read_form(form)?;
    let on = match form.action.as_str() {
        "arreter" => false,
        "relancer" => true,
        _ => return Err(AppError::BadInput(BadInput::FormInvalid)),
    };
    let changed = tokio::task::spawn_blocking(move || his.set_running(on)).await?;
    match changed {
        Ok(()) => {
            caller.audit(
                &state,
                Audited::allowed(Action::Metrics)
                    .target("sih-simule")
                    .detail(&form.action),
            );
            Ok(redirect("/statut"))
        }
        Err(reason) => Err(AppError::Refused(reason)),
    }
}
