//! The web pages and JSON API of a ckisa node.
//!
//! Caregivers read the replica here during an outage of the hospital
//! information system: the units and their occupancy, each unit's bed
//! board, a patient's summary (allergies first), a patient search; IT reads
//! the node status, the quarantine and `/metrics`. Pages are server-rendered
//! HTML in French (English only on explicit request), print-friendly, and work
//! without JavaScript; a small static script refreshes them live.
//!
//! **Invariant:** every store call runs on the blocking pool
//! (`AppState::read`), never on an executor thread.
//!
//! **Invariant:** nothing from the store reaches a page unescaped: templates
//! escape by default, and only HTML rendered by our own templates is marked
//! safe (the page body inside the layout), plus the report's charts, drawn
//! by `ckisa_print::chart_svg`, which escapes every text it writes.
//!
//! **Invariant:** pages and API answers carry `Cache-Control: no-store`:
//! patient data never sits in a browser or proxy cache.

#![deny(missing_docs)]

mod access;
mod account;
mod admin;
mod api;
mod assets;
mod breakglass;
mod care;
mod codes;
mod crisis;
mod demo;
mod error;
mod format;
pub mod i18n;
mod layout;
mod live;
mod messages;
mod metrics;
mod patient;
mod search;
mod security;
mod synced;
mod units;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::routing::{get, post};
use ckisa_audit::AuditTrail;
use ckisa_auth::Directory;
use ckisa_store::{Store, StoreError};
use jiff::tz::TimeZone;

pub use access::{ROUTES, Rule};
#[doc(hidden)]
pub use crisis::dashboard_fragment;
pub use demo::SimulatedHis;
pub use error::{AppError, BadInput};
pub use i18n::Lang;
pub use messages::{escalation_round, retention_round};

/// What the web layer needs to know about the node, from its config.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Zone dates are shown in (Europe/Paris unless configured).
    pub zone: TimeZone,
    /// Data folder, shown on the status page.
    pub data_dir: String,
    /// This node's id, shown on the status page and in page footers.
    pub node_id: String,
    /// Establishment name (`site.name` in the config), shown in every page
    /// header; empty shows none.
    pub site_name: String,
    /// Configured feed names, so that a feed that never sent anything still
    /// shows as "aucune donnée reçue".
    pub feeds: Vec<String>,
    /// The establishment's continuity plan (BIA, action cards, contacts,
    /// stocks, crisis levels); the default plan when the config has none.
    pub plan: Arc<ckisa_crisis::plan::Plan>,
    /// The clinical capsule's settings (`[soins]`: downtime IPP range,
    /// shifts, paper fallback schedule).
    pub care: Arc<ckisa_care::settings::Settings>,
    /// The secure messaging's settings (`[messagerie]`: service channels,
    /// escalation delays, retention, attachments, recall roster, hook).
    pub messaging: Arc<ckisa_messaging::settings::Settings>,
    /// The simulated HIS of `ckisa demo`, which the status page can stop
    /// and start again; `None` on any other node.
    pub simulated_his: Option<Arc<dyn SimulatedHis>>,
}

impl WebConfig {
    /// A config with the Europe/Paris zone (UTC if the system has no time
    /// zone database), no declared feed and no establishment name.
    pub fn new(node_id: impl Into<String>, data_dir: impl Into<String>) -> WebConfig {
        let zone = TimeZone::get("Europe/Paris").unwrap_or_else(|error| {
            tracing::warn!(%error, "no Europe/Paris zone in the system database; showing UTC");
            TimeZone::UTC
        });
        WebConfig {
            zone,
            data_dir: data_dir.into(),
            node_id: node_id.into(),
            site_name: String::new(),
            feeds: Vec::new(),
            plan: Arc::default(),
            care: Arc::default(),
            messaging: Arc::default(),
            simulated_his: None,
        }
    }
}

/// Who may see what: the accounts directory and the audit trail.
#[derive(Clone)]
pub struct Security {
    /// Accounts, sessions, grants, tokens.
    pub directory: Directory,
    /// The audit trail every read and refusal goes to.
    pub trail: AuditTrail,
    /// The node serves HTTPS: cookies get `Secure` and the `__Host-`
    /// prefix, answers get HSTS. False only for plain HTTP on loopback.
    pub secure_cookies: bool,
}

/// Shared state of the web server; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    config: WebConfig,
    security: Security,
    clock: fn() -> i64,
    started: Instant,
    live: live::Generation,
    crisis: crisis::Hub,
    care: care::CareHub,
    messages: messages::MessageHub,
}

impl AppState {
    /// State over `store`, reading the system wall clock.
    pub fn new(store: Arc<dyn Store>, config: WebConfig, security: Security) -> AppState {
        AppState::with_clock(store, config, security, system_clock_ms)
    }

    /// State with an explicit wall clock (ms since the Unix epoch), for tests
    /// and exercises.
    pub fn with_clock(
        store: Arc<dyn Store>,
        config: WebConfig,
        security: Security,
        clock: fn() -> i64,
    ) -> AppState {
        let inner = Inner {
            crisis: crisis::Hub::new(Arc::clone(&config.plan)),
            care: care::CareHub::new(),
            messages: messages::MessageHub::new(Arc::clone(&config.messaging)),
            store,
            config,
            security,
            clock,
            started: Instant::now(),
            live: live::Generation::default(),
        };
        AppState {
            inner: Arc::new(inner),
        }
    }

    /// Ends the live-refresh event streams (`/evenements`), so that a
    /// graceful shutdown does not wait for them forever: call it when the
    /// shutdown signal arrives. Pages keep working; browsers reconnect to
    /// the next server.
    pub fn close_event_streams(&self) {
        self.inner.live.close();
    }

    /// Runs a store read on the blocking pool.
    pub(crate) async fn read<T, F>(&self, read: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.inner.store);
        Ok(tokio::task::spawn_blocking(move || read(store.as_ref())).await??)
    }

    /// Runs an accounts-directory call on the blocking pool (password and
    /// PIN checks are slow on purpose), with the wall clock of now.
    pub(crate) async fn directory<T, F>(&self, call: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Directory, i64) -> T + Send + 'static,
    {
        let directory = self.inner.security.directory.clone();
        let now = self.now_ms();
        Ok(tokio::task::spawn_blocking(move || call(&directory, now)).await?)
    }

    pub(crate) fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    pub(crate) fn security(&self) -> &Security {
        &self.inner.security
    }

    pub(crate) fn now_ms(&self) -> i64 {
        (self.inner.clock)()
    }

    pub(crate) fn uptime_seconds(&self) -> u64 {
        self.inner.started.elapsed().as_secs()
    }
}

fn system_clock_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Everything a page handler needs to know about the request.
pub(crate) struct PageCtx {
    /// Negotiated language.
    pub(crate) lang: Lang,
    /// `X-Partial: 1`: answer with the live parts only.
    pub(crate) partial: bool,
    /// Path and query, for the language switch links.
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    /// Wall clock when the request arrived.
    pub(crate) now_ms: i64,
    /// Who is asking, once past the gate (none on public pages).
    pub(crate) caller: Option<access::Caller>,
    /// The crisis open now, for the banner every logged-in page shows.
    pub(crate) banner: Option<crisis::Banner>,
    /// Outage alerts still open, shown on every page to those who
    /// acknowledge them (crisis director and cell, IT security).
    pub(crate) open_alerts: usize,
    /// Unread messages and broadcasts to acknowledge, shown on every page.
    pub(crate) messages: messages::Counts,
}

impl PageCtx {
    pub(crate) fn fmt<'a>(&self, state: &'a AppState) -> format::Fmt<'a> {
        format::Fmt {
            tr: i18n::Tr(self.lang),
            zone: &state.config().zone,
            now_ms: self.now_ms,
        }
    }
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<PageCtx, Self::Rejection> {
        let lang = match parts.extensions.get::<Lang>() {
            Some(lang) => *lang,
            None => Lang::negotiate(parts.uri.query(), &parts.headers),
        };
        let partial = parts
            .headers
            .get("x-partial")
            .is_some_and(|v| v.as_bytes() == b"1");
        let caller = parts.extensions.get::<access::Caller>().cloned();
        let (banner, open_alerts) = match &caller {
            Some(caller) => {
                let reach = caller.reach(ckisa_auth::Action::AlertAck);
                state.page_header(reach != ckisa_auth::Reach::Never).await
            }
            None => (None, 0),
        };
        let messages = match &caller {
            Some(caller) if caller.session().is_some() => state.message_counts(caller).await,
            _ => messages::Counts::default(),
        };
        Ok(PageCtx {
            lang,
            partial,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            now_ms: state.now_ms(),
            caller,
            banner,
            open_alerts,
            messages,
        })
    }
}

/// The span of one request: method and route pattern only, never the URI,
/// which may hold a patient key or a searched name.
fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(none)", |m| m.as_str());
    tracing::debug_span!("http", method = %request.method(), route)
}

/// Every route of the web server. Each pattern must also be in
/// `access::ROUTES`, or the gate refuses it.
pub fn router(state: AppState) -> Router {
    let upload_limit = messages::upload_limit(&state);
    Router::new()
        .route("/", get(home))
        .route("/connexion", get(account::login_page).post(account::login))
        .route("/deconnexion", post(account::logout))
        .route("/deconnexion-partout", post(account::logout_everywhere))
        .route(
            "/mot-de-passe",
            get(account::password_page).post(account::change_password),
        )
        .route("/verrou", get(account::lock_page).post(account::lock))
        .route("/compte", get(account::account_page))
        .route("/compte/code", post(account::set_pin))
        .route("/unites", get(units::list_page))
        .route("/unites/{code}", get(units::board_page))
        .route("/patients/{*key}", get(patient::page))
        .route(
            "/acces-exceptionnel",
            get(breakglass::page).post(breakglass::open),
        )
        .route("/recherche", get(search::page))
        .route("/quarantaine", get(admin::quarantine_page))
        .route("/statut", get(admin::status_page))
        .route("/demo/sih", post(demo::control))
        .route("/audit", get(security::audit_page))
        .route("/audit/export.csv", get(security::export_csv))
        .route("/audit/export.json", get(security::export_fhir))
        .route("/comptes", get(security::accounts_page))
        .route("/comptes/{login}/desactiver", post(security::disable))
        .route("/comptes/{login}/activer", post(security::enable))
        .route("/crise", get(crisis::overview_page))
        .route(
            "/crise/transition/{kind}",
            get(crisis::transition_page).post(crisis::transition_submit),
        )
        .route("/crise/fiches/{card}/{step}", post(crisis::tick_card))
        .route("/crise/alertes/{id}/vu", post(crisis::acknowledge_alert))
        .route("/crise/contacts", get(crisis::contacts_page))
        .route("/crise/tableau", get(crisis::dashboard_page))
        .route("/crise/tableau/flux", get(crisis::dashboard_stream))
        .route(
            "/crise/unites/{code}/point",
            get(crisis::report_form).post(crisis::report_submit),
        )
        .route(
            "/crise/stocks",
            get(crisis::stock_form).post(crisis::stock_submit),
        )
        .route("/crise/main-courante", get(crisis::log_page))
        .route("/crise/main-courante/nouvelle", post(crisis::log_submit))
        .route("/crise/decisions", get(crisis::decisions_page))
        .route("/crise/decisions/nouvelle", post(crisis::decision_submit))
        .route("/crise/taches", get(crisis::tasks_page))
        .route("/crise/taches/nouvelle", post(crisis::task_submit))
        .route("/crise/taches/{id}", get(crisis::task_page))
        .route("/crise/taches/{id}/suivi", post(crisis::task_update))
        .route("/crise/historique", get(crisis::history_page))
        .route("/crise/rapport/{id}", get(crisis::report_page))
        .route("/crise/rapport/{id}/pdf", get(crisis::report_pdf))
        // care: ward (medication grid, prescriptions, vitals, notes)
        .route("/soins", get(care::ward_home))
        .route("/soins/unites/{code}", get(care::ward_unit))
        .route("/soins/unites/{code}/releve", get(care::handover_page))
        .route("/soins/dossier/{*key}", get(care::ward_patient))
        .route(
            "/soins/administrations",
            get(care::record_page).post(care::record_submit),
        )
        .route(
            "/soins/prescriptions",
            get(care::prescribe_page).post(care::prescribe_submit),
        )
        .route(
            "/soins/prescriptions/arret",
            get(care::stop_page).post(care::stop_submit),
        )
        .route("/soins/pharmacie", get(care::pharmacy_page))
        .route("/soins/pharmacie/avis", post(care::review_submit))
        .route(
            "/soins/constantes",
            get(care::vitals_page).post(care::vitals_submit),
        )
        .route(
            "/soins/transmissions",
            get(care::note_page).post(care::note_submit),
        )
        // care: flows (lab, movements, lists, paper, re-integration)
        .route(
            "/soins/biologie/demande",
            get(care::request_form).post(care::request_submit),
        )
        .route("/soins/biologie/{id}", get(care::label_page))
        .route("/soins/biologie/{id}/etiquette.pdf", get(care::label_pdf))
        .route("/soins/labo", get(care::bench_page))
        .route("/soins/labo/resultats", post(care::results_submit))
        .route("/soins/unites/{code}/biologie", get(care::lab_unit_page))
        .route(
            "/soins/unites/{code}/biologie/vu",
            post(care::lab_acknowledge),
        )
        .route("/soins/unites/{code}/mouvements", get(care::movements_page))
        .route("/soins/unites/{code}/secours", get(care::pack_page))
        .route("/soins/unites/{code}/secours/{part}", get(care::part_pdf))
        .route(
            "/soins/unites/{code}/admission",
            get(care::admission_form).post(care::admission_submit),
        )
        .route(
            "/soins/mutation",
            get(care::transfer_form).post(care::transfer_submit),
        )
        .route(
            "/soins/sortie",
            get(care::discharge_form).post(care::discharge_submit),
        )
        .route("/soins/bracelet", get(care::wristband))
        .route("/soins/rendez-vous", get(care::appointments_page))
        .route("/soins/cuisine", get(care::kitchen_page))
        .route(
            "/soins/regime",
            get(care::diet_form).post(care::diet_submit),
        )
        .route("/soins/reintegration", get(care::reintegration_page))
        .route("/soins/reintegration/marquer", post(care::mark_submit))
        .route(
            "/soins/reintegration/identite",
            get(care::match_page).post(care::match_submit),
        )
        .route("/soins/reintegration/export.json", get(care::export_fhir))
        .route("/soins/reintegration/export.hl7", get(care::export_hl7))
        // secure messaging
        .route("/messagerie", get(messages::home_page))
        .route("/messagerie/flux", get(messages::stream))
        .route("/messagerie/recherche", get(messages::search_page))
        .route("/messagerie/ouvrir", post(messages::open_submit))
        .route("/messagerie/canal/{id}", get(messages::channel_page))
        .route(
            "/messagerie/canal/{id}/envoyer",
            post(messages::post_submit).layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route("/messagerie/canal/{id}/lu", post(messages::read_submit))
        .route(
            "/messagerie/canal/{id}/membres",
            post(messages::members_submit),
        )
        .route(
            "/messagerie/canal/{id}/export.csv",
            get(messages::export_csv),
        )
        .route("/messagerie/message/{id}", get(messages::message_page))
        .route(
            "/messagerie/message/{id}/modifier",
            post(messages::edit_submit),
        )
        .route(
            "/messagerie/message/{id}/retirer",
            post(messages::retract_submit),
        )
        .route(
            "/messagerie/message/{id}/epingler",
            post(messages::pin_submit),
        )
        .route("/messagerie/piece/{id}", get(messages::attachment))
        .route("/messagerie/diffusions", get(messages::broadcasts_page))
        .route(
            "/messagerie/diffusions/nouvelle",
            get(messages::broadcast_form).post(messages::broadcast_submit),
        )
        .route("/messagerie/diffusions/{id}", get(messages::broadcast_page))
        .route(
            "/messagerie/diffusions/{id}/accuser",
            post(messages::acknowledge_submit),
        )
        .route("/messagerie/rappels", get(messages::recalls_page))
        .route(
            "/messagerie/rappels/nouveau",
            get(messages::recall_form).post(messages::recall_submit),
        )
        .route("/messagerie/rappels/{id}", get(messages::recall_page))
        .route(
            "/messagerie/rappels/{id}/reponse",
            post(messages::answer_submit),
        )
        .route(
            "/rappel/{secret}",
            get(messages::link_page).post(messages::link_submit),
        )
        .route("/api/v1/rappel/reponse", post(messages::api_answer))
        .route("/evenements", get(live::events))
        .route("/api/v1/units", get(api::units))
        .route("/api/v1/units/{code}", get(api::unit_board))
        .route("/api/v1/patients", get(api::search))
        .route("/api/v1/patients/{*key}", get(api::patient))
        .route("/api/v1/status", get(api::status))
        .route("/api/v1/quarantine", get(api::quarantine))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::metrics))
        .route("/static/{file}", get(assets::file))
        .fallback(error::not_found)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::finish,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            layout::headers,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// `GET /`: the first page the caller may read (the units for most roles).
async fn home(caller: access::Caller) -> axum::response::Response {
    use ckisa_auth::{Action, Reach};
    let first = [
        (Action::UnitList, "/unites"),
        (Action::AuditRead, "/audit"),
        (Action::UserAdmin, "/comptes"),
    ]
    .into_iter()
    .find(|(action, _)| caller.reach(*action) != Reach::Never)
    .map_or("/compte", |(_, path)| path);
    access::redirect(first)
}
