//! Pages of the security and administration roles: the audit trail
//! (`/audit`, searchable by patient and by user, exported as CSV or as a
//! FHIR R4 Bundle of AuditEvent), the break-the-glass alerts, and the
//! account list (`/comptes`) with disable / enable.
//!
//! Reading the trail is itself audited, and so is every export.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use ckisa_audit::{AuditEntry, AuditError, AuditQuery};
use ckisa_auth::{Action, Grant, Scope};
use serde::Deserialize;

use crate::access::{Audited, Caller, redirect};
use crate::account::actor_of;
use crate::error::{AppError, BadInput};
use crate::format::Fmt;
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page, role_label};
use crate::{AppState, PageCtx};

/// Most entries the audit page lists; exports take up to [`EXPORT_LIMIT`].
const PAGE_LIMIT: usize = 200;
const EXPORT_LIMIT: usize = 100_000;

/// How far back the break-the-glass alerts go.
const ALERT_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

/// The search form of the audit page (all optional).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AuditParams {
    patient: Option<String>,
    acteur: Option<String>,
    action: Option<String>,
    /// First day, dd/mm/yyyy (site zone).
    du: Option<String>,
    /// Last day, dd/mm/yyyy (site zone), included.
    au: Option<String>,
}

impl AuditParams {
    fn query(&self, state: &AppState, limit: usize) -> Result<AuditQuery, AppError> {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        for value in [&self.patient, &self.acteur, &self.action] {
            if value.as_deref().is_some_and(|v| v.chars().count() > 200) {
                return Err(AppError::BadInput(BadInput::QueryTooLong));
            }
        }
        let zone = &state.config().zone;
        let day = |v: &Option<String>, next: bool| -> Result<Option<i64>, AppError> {
            let Some(text) = text(v) else { return Ok(None) };
            let date = parse_day(&text).ok_or(AppError::BadInput(BadInput::DateInvalid(text)))?;
            let date = if next {
                date.tomorrow()
                    .map_err(|_| AppError::BadInput(BadInput::QueryInvalid))?
            } else {
                date
            };
            let start = date
                .to_zoned(zone.clone())
                .map_err(|_| AppError::BadInput(BadInput::QueryInvalid))?;
            Ok(Some(start.timestamp().as_millisecond()))
        };
        Ok(AuditQuery {
            patient: text(&self.patient),
            actor: text(&self.acteur).map(|a| a.to_lowercase()),
            action: text(&self.action),
            from_ms: day(&self.du, false)?,
            // Exclusive: the start of the day after the last one asked.
            to_ms: day(&self.au, true)?,
            limit,
        })
    }

    fn query_string(&self) -> String {
        let pairs = [
            ("patient", &self.patient),
            ("acteur", &self.acteur),
            ("action", &self.action),
            ("du", &self.du),
            ("au", &self.au),
        ];
        pairs
            .iter()
            .filter_map(|(name, value)| {
                let value = value.as_deref()?.trim();
                (!value.is_empty()).then(|| {
                    format!(
                        "{name}={}",
                        percent_encoding::utf8_percent_encode(
                            value,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    )
                })
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn parse_day(text: &str) -> Option<jiff::civil::Date> {
    let mut parts = text.split(['/', '-', '.']);
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (day, month, year) = if a.len() == 4 { (c, b, a) } else { (a, b, c) };
    jiff::civil::Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).ok()
}

struct EntryRow {
    seq: u64,
    time: String,
    actor: String,
    role: String,
    source: String,
    action: String,
    outcome: &'static str,
    denied: bool,
    patient: String,
    patient_href: Option<String>,
    target: String,
    detail: String,
}

struct GrantRow {
    time: String,
    until: String,
    login: String,
    patient: String,
    patient_href: String,
    reason: String,
    source: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTemplate<'a> {
    tr: Tr,
    params: &'a AuditParams,
    export_query: String,
    total: u64,
    rows: Vec<EntryRow>,
    grants: Vec<GrantRow>,
}

/// `GET /audit`.
pub(crate) async fn audit_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Ok(Query(params)) = params else {
        return Err(AppError::BadInput(BadInput::QueryInvalid));
    };
    let query = params.query(&state, PAGE_LIMIT)?;
    caller.audit(
        &state,
        Audited::allowed(Action::AuditRead).detail(&params.query_string()),
    );
    let security = state.security().clone();
    let since = state.now_ms() - ALERT_WINDOW_MS;
    let (entries, total, grants) = tokio::task::spawn_blocking(move || {
        let entries = security.trail.search(&query)?;
        let total = security.trail.count()?;
        let grants = security.directory.grants_since(since);
        Ok::<_, AppError>((entries, total, grants))
    })
    .await??;
    let grants = grants.map_err(|error| {
        tracing::error!(%error, "break-the-glass grants unreadable");
        AppError::SecurityStore
    })?;
    let fmt = ctx.fmt(&state);
    let main = AuditTemplate {
        tr: fmt.tr,
        params: &params,
        export_query: params.query_string(),
        total,
        rows: entries.iter().map(|e| entry_row(&fmt, e)).collect(),
        grants: grants.iter().map(|g| grant_row(&fmt, g)).collect(),
    }
    .render()?;
    let page = Page {
        title: fmt.tr.t("audit.title"),
        nav: Nav::Audit,
        query: "",
        main,
    };
    layout::respond_bare(&state, &ctx, page)
}

fn entry_row(fmt: &Fmt<'_>, entry: &AuditEntry) -> EntryRow {
    let record = &entry.record;
    let patient = record.patient.clone().unwrap_or_default();
    EntryRow {
        seq: entry.seq,
        time: fmt.wall(record.at_ms),
        actor: record.actor.clone(),
        role: record.role.clone().unwrap_or_default(),
        source: record.source.clone(),
        action: record.action.clone(),
        outcome: fmt.tr.t(match record.outcome {
            ckisa_audit::AuditOutcome::Allowed => "audit.allowed",
            ckisa_audit::AuditOutcome::Denied => "audit.denied",
            ckisa_audit::AuditOutcome::Failed => "audit.failed",
        }),
        denied: record.outcome != ckisa_audit::AuditOutcome::Allowed,
        patient_href: (!patient.is_empty()).then(|| audit_href("patient", &patient)),
        patient,
        target: record.target.clone().unwrap_or_default(),
        detail: record.detail.clone(),
    }
}

fn grant_row(fmt: &Fmt<'_>, grant: &Grant) -> GrantRow {
    GrantRow {
        time: fmt.wall(grant.from_ms),
        until: fmt.wall(grant.until_ms),
        login: grant.login.clone(),
        patient_href: audit_href("patient", &grant.patient),
        patient: grant.patient.clone(),
        reason: grant.reason.clone(),
        source: grant.source.clone(),
    }
}

fn audit_href(field: &str, value: &str) -> String {
    format!(
        "/audit?{field}={}",
        percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// The two export formats of the trail.
#[derive(Debug, Clone, Copy)]
enum Export {
    Csv,
    Fhir,
}

/// `GET /audit/export.csv`.
pub(crate) async fn export_csv(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Response, AppError> {
    export(state, caller, params, Export::Csv).await
}

/// `GET /audit/export.json`: a FHIR R4 Bundle of AuditEvent.
pub(crate) async fn export_fhir(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Response, AppError> {
    export(state, caller, params, Export::Fhir).await
}

/// Audits the export, then writes the matching entries in `format`.
async fn export(
    state: AppState,
    caller: Caller,
    params: Result<Query<AuditParams>, QueryRejection>,
    format: Export,
) -> Result<Response, AppError> {
    let Ok(Query(params)) = params else {
        return Err(AppError::BadInput(BadInput::QueryInvalid));
    };
    let query = params.query(&state, EXPORT_LIMIT)?;
    let target = match format {
        Export::Csv => "csv",
        Export::Fhir => "fhir",
    };
    caller.audit(
        &state,
        Audited::allowed(Action::AuditExport)
            .target(target)
            .detail(&params.query_string()),
    );
    let trail = state.security().trail.clone();
    let body = tokio::task::spawn_blocking(move || match format {
        Export::Csv => {
            let mut out = Vec::new();
            trail.write_csv(&query, &mut out).map(|_| out)
        }
        Export::Fhir => trail.fhir_bundle(&query).and_then(|bundle| {
            serde_json::to_vec_pretty(&bundle)
                .map_err(|e| AuditError::Export(std::io::Error::other(e)))
        }),
    })
    .await?
    .map_err(|error| {
        tracing::error!(%error, "audit export failed");
        AppError::SecurityStore
    })?;
    Ok(match format {
        Export::Csv => download(body, "text/csv; charset=utf-8", "journal-audit.csv"),
        Export::Fhir => download(
            body,
            "application/fhir+json; charset=utf-8",
            "journal-audit.fhir.json",
        ),
    })
}

/// A file download: the name is ours, never taken from the request.
fn download(body: Vec<u8>, content_type: &'static str, file_name: &'static str) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

struct AccountRow {
    login: String,
    name: String,
    role: &'static str,
    units: String,
    state: String,
    disabled: bool,
    last_login: String,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    rows: Vec<AccountRow>,
}

/// `GET /comptes`.
pub(crate) async fn accounts_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    let session = caller.session().ok_or(AppError::Forbidden)?;
    let accounts = state
        .directory(|directory, _| directory.accounts())
        .await?
        .map_err(|error| {
            tracing::error!(%error, "accounts unreadable");
            AppError::SecurityStore
        })?;
    caller.audit(&state, Audited::allowed(Action::UserAdmin));
    let fmt = ctx.fmt(&state);
    let tr = fmt.tr;
    let rows = accounts
        .iter()
        .map(|account| AccountRow {
            login: account.login.clone(),
            name: account.display_name.clone(),
            role: role_label(tr, account.role),
            units: match &account.scope {
                Scope::AllUnits => tr.t("account.all_units").to_owned(),
                Scope::Units(codes) if codes.is_empty() => "—".to_owned(),
                Scope::Units(codes) => codes.join(", "),
            },
            state: if account.disabled {
                tr.t("accounts.disabled").to_owned()
            } else if let Some(until) = account.locked_until_ms.filter(|u| *u > fmt.now_ms) {
                tr.fmt("accounts.locked", &[("until", &fmt.wall(until))])
            } else if account.must_change {
                tr.t("accounts.must_change").to_owned()
            } else {
                tr.t("accounts.active").to_owned()
            },
            disabled: account.disabled,
            last_login: account
                .last_login_ms
                .map_or_else(|| "—".to_owned(), |ms| fmt.wall(ms)),
        })
        .collect();
    let main = AccountsTemplate {
        tr,
        csrf: &session.csrf,
        rows,
    }
    .render()?;
    let page = Page {
        title: tr.t("accounts.title"),
        nav: Nav::Accounts,
        query: "",
        main,
    };
    layout::respond_bare(&state, &ctx, page)
}

/// `POST /comptes/{login}/desactiver`.
pub(crate) async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(login): Path<String>,
) -> Result<Response, AppError> {
    set_enabled(state, caller, login, false).await
}

/// `POST /comptes/{login}/activer`.
pub(crate) async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(login): Path<String>,
) -> Result<Response, AppError> {
    set_enabled(state, caller, login, true).await
}

async fn set_enabled(
    state: AppState,
    caller: Caller,
    login: String,
    enabled: bool,
) -> Result<Response, AppError> {
    if caller.login() == Some(login.as_str()) && !enabled {
        return Err(AppError::BadInput(BadInput::SelfDisable));
    }
    let actor = actor_of(&caller);
    let outcome = state
        .directory(move |directory, now| {
            if enabled {
                directory.enable_user(&login, &actor, now)
            } else {
                directory.disable_user(&login, &actor, now)
            }
        })
        .await?;
    match outcome {
        Ok(()) => Ok(redirect("/comptes")),
        Err(ckisa_auth::AuthError::UnknownAccount(_)) => Err(AppError::PageNotFound),
        Err(error) => {
            tracing::error!(%error, "account change failed");
            Err(AppError::SecurityStore)
        }
    }
}
