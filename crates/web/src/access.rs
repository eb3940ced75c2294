//! Who is asking, and may they: the gate every request passes.
//!
//! [`guard`] runs before every handler. It finds the route's [`Rule`] in
//! [`ROUTES`] (a route missing from the table is refused: the gate fails
//! closed), identifies the caller (a session cookie, or a bearer token for
//! the API and `/metrics`), checks the access matrix of `ckisa-auth`, checks
//! the CSRF token and the origin of every state-changing request, and hands
//! the handler a [`Caller`]. Unit-scoped checks (is this bed board, this
//! chart in the account's units?) need the store and happen in the handlers
//! through [`Caller::may_see_unit`] and [`Caller::chart_access`].
//!
//! **Invariant:** a handler behind a [`Rule::Act`] route only runs for a
//! caller whose role reaches that action; every refusal and every read of
//! patient data is written to the audit trail.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HOST, LOCATION, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ckisa_audit::{AuditOutcome, AuditRecord};
use ckisa_auth::{Action, Reach, Role, SessionView, TokenInfo, reach};
use ckisa_store::StayView;

use crate::AppState;
use crate::error::{AppError, BadInput};

/// Name of the session cookie. With TLS the `__Host-` prefix pins it to
/// this host, path `/` and HTTPS.
pub(crate) fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-ckisa_session"
    } else {
        "ckisa_session"
    }
}

/// Largest form body the gate reads to find a CSRF token.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// Form field and header carrying the CSRF token.
pub(crate) const CSRF_FIELD: &str = "csrf";
const CSRF_HEADER: &str = "x-csrf-token";

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Anyone, logged in or not (login page, static files, health check).
    Public,
    /// Any session, even one that must change its password or is locked
    /// (the password, unlock and logout pages).
    Session,
    /// Any active session or token, no particular action (the root
    /// redirect, the live-refresh stream, one's own account page).
    LoggedIn,
    /// A session or token whose role reaches this action.
    Act(Action),
}

/// Every route pattern of the router and its rule. The route matrix test
/// walks this table with every role.
pub const ROUTES: &[(&str, Rule)] = &[
    ("/", Rule::LoggedIn),
    ("/connexion", Rule::Public),
    ("/deconnexion", Rule::Session),
    ("/deconnexion-partout", Rule::Session),
    ("/mot-de-passe", Rule::Session),
    ("/verrou", Rule::Session),
    ("/compte", Rule::LoggedIn),
    ("/compte/code", Rule::LoggedIn),
    ("/unites", Rule::Act(Action::UnitList)),
    ("/unites/{code}", Rule::Act(Action::UnitBoard)),
    ("/patients/{*key}", Rule::Act(Action::PatientChart)),
    ("/acces-exceptionnel", Rule::Act(Action::BreakGlass)),
    ("/recherche", Rule::Act(Action::PatientSearch)),
    ("/quarantaine", Rule::Act(Action::Quarantine)),
    ("/statut", Rule::Act(Action::NodeStatus)),
    ("/demo/sih", Rule::Act(Action::Metrics)),
    ("/audit", Rule::Act(Action::AuditRead)),
    ("/audit/export.csv", Rule::Act(Action::AuditExport)),
    ("/audit/export.json", Rule::Act(Action::AuditExport)),
    ("/comptes", Rule::Act(Action::UserAdmin)),
    ("/comptes/{login}/desactiver", Rule::Act(Action::UserAdmin)),
    ("/comptes/{login}/activer", Rule::Act(Action::UserAdmin)),
    ("/crise", Rule::Act(Action::CrisisView)),
    ("/crise/transition/{kind}", Rule::Act(Action::CrisisDeclare)),
    (
        "/crise/fiches/{card}/{step}",
        Rule::Act(Action::CrisisWrite),
    ),
    ("/crise/alertes/{id}/vu", Rule::Act(Action::AlertAck)),
    ("/crise/contacts", Rule::Act(Action::CrisisView)),
    ("/crise/tableau", Rule::Act(Action::CrisisView)),
    ("/crise/tableau/flux", Rule::Act(Action::CrisisView)),
    ("/crise/unites/{code}/point", Rule::Act(Action::UnitReport)),
    ("/crise/stocks", Rule::Act(Action::StockCount)),
    ("/crise/main-courante", Rule::Act(Action::CrisisView)),
    (
        "/crise/main-courante/nouvelle",
        Rule::Act(Action::CrisisWrite),
    ),
    ("/crise/decisions", Rule::Act(Action::CrisisView)),
    ("/crise/decisions/nouvelle", Rule::Act(Action::CrisisDecide)),
    ("/crise/taches", Rule::Act(Action::CrisisView)),
    ("/crise/taches/nouvelle", Rule::Act(Action::CrisisDecide)),
    ("/crise/taches/{id}", Rule::Act(Action::CrisisView)),
    ("/crise/taches/{id}/suivi", Rule::Act(Action::CrisisWrite)),
    ("/crise/historique", Rule::Act(Action::CrisisReport)),
    ("/crise/rapport/{id}", Rule::Act(Action::CrisisReport)),
    ("/crise/rapport/{id}/pdf", Rule::Act(Action::CrisisReport)),
    // care: ward (medication grid, prescriptions, vitals, notes)
    // The entry shows each role its part (units to document, the pharmacy
    // list) and no patient data: every account may open it.
    ("/soins", Rule::LoggedIn),
    ("/soins/unites/{code}", Rule::Act(Action::CareDocument)),
    (
        "/soins/unites/{code}/releve",
        Rule::Act(Action::CareDocument),
    ),
    ("/soins/dossier/{*key}", Rule::Act(Action::CareDocument)),
    ("/soins/administrations", Rule::Act(Action::CareDocument)),
    ("/soins/prescriptions", Rule::Act(Action::Prescribe)),
    ("/soins/prescriptions/arret", Rule::Act(Action::Prescribe)),
    ("/soins/pharmacie", Rule::Act(Action::PrescriptionReview)),
    (
        "/soins/pharmacie/avis",
        Rule::Act(Action::PrescriptionReview),
    ),
    ("/soins/constantes", Rule::Act(Action::CareDocument)),
    ("/soins/transmissions", Rule::Act(Action::CareDocument)),
    // care: flows (lab, movements, lists, paper, re-integration)
    ("/soins/biologie/demande", Rule::Act(Action::LabRequest)),
    ("/soins/biologie/{id}", Rule::Act(Action::LabRequest)),
    (
        "/soins/biologie/{id}/etiquette.pdf",
        Rule::Act(Action::LabRequest),
    ),
    ("/soins/labo", Rule::Act(Action::LabResult)),
    ("/soins/labo/resultats", Rule::Act(Action::LabResult)),
    (
        "/soins/unites/{code}/biologie",
        Rule::Act(Action::LabRequest),
    ),
    (
        "/soins/unites/{code}/biologie/vu",
        Rule::Act(Action::LabRequest),
    ),
    (
        "/soins/unites/{code}/mouvements",
        Rule::Act(Action::Movement),
    ),
    (
        "/soins/unites/{code}/admission",
        Rule::Act(Action::Movement),
    ),
    (
        "/soins/unites/{code}/secours",
        Rule::Act(Action::PaperReports),
    ),
    (
        "/soins/unites/{code}/secours/{part}",
        Rule::Act(Action::PaperReports),
    ),
    ("/soins/mutation", Rule::Act(Action::Movement)),
    ("/soins/sortie", Rule::Act(Action::Movement)),
    ("/soins/bracelet", Rule::Act(Action::Movement)),
    ("/soins/rendez-vous", Rule::Act(Action::Schedule)),
    ("/soins/cuisine", Rule::Act(Action::Kitchen)),
    ("/soins/regime", Rule::Act(Action::CareDocument)),
    ("/soins/reintegration", Rule::Act(Action::Reconcile)),
    ("/soins/reintegration/marquer", Rule::Act(Action::Reconcile)),
    (
        "/soins/reintegration/identite",
        Rule::Act(Action::Reconcile),
    ),
    (
        "/soins/reintegration/export.json",
        Rule::Act(Action::Reconcile),
    ),
    (
        "/soins/reintegration/export.hl7",
        Rule::Act(Action::Reconcile),
    ),
    ("/messagerie", Rule::Act(Action::MessageRead)),
    ("/messagerie/flux", Rule::Act(Action::MessageRead)),
    ("/messagerie/recherche", Rule::Act(Action::MessageRead)),
    ("/messagerie/ouvrir", Rule::Act(Action::MessagePost)),
    ("/messagerie/canal/{id}", Rule::Act(Action::MessageRead)),
    (
        "/messagerie/canal/{id}/envoyer",
        Rule::Act(Action::MessagePost),
    ),
    ("/messagerie/canal/{id}/lu", Rule::Act(Action::MessageRead)),
    (
        "/messagerie/canal/{id}/membres",
        Rule::Act(Action::MessagePost),
    ),
    (
        "/messagerie/canal/{id}/export.csv",
        Rule::Act(Action::MessageExport),
    ),
    ("/messagerie/message/{id}", Rule::Act(Action::MessageRead)),
    (
        "/messagerie/message/{id}/modifier",
        Rule::Act(Action::MessagePost),
    ),
    (
        "/messagerie/message/{id}/retirer",
        Rule::Act(Action::MessagePost),
    ),
    (
        "/messagerie/message/{id}/epingler",
        Rule::Act(Action::MessagePost),
    ),
    ("/messagerie/piece/{id}", Rule::Act(Action::MessageRead)),
    ("/messagerie/diffusions", Rule::Act(Action::MessageRead)),
    (
        "/messagerie/diffusions/nouvelle",
        Rule::Act(Action::Broadcast),
    ),
    (
        "/messagerie/diffusions/{id}",
        Rule::Act(Action::MessageRead),
    ),
    (
        "/messagerie/diffusions/{id}/accuser",
        Rule::Act(Action::MessageRead),
    ),
    ("/messagerie/rappels", Rule::Act(Action::StaffRecall)),
    (
        "/messagerie/rappels/nouveau",
        Rule::Act(Action::StaffRecall),
    ),
    ("/messagerie/rappels/{id}", Rule::Act(Action::StaffRecall)),
    (
        "/messagerie/rappels/{id}/reponse",
        Rule::Act(Action::StaffRecall),
    ),
    // The answer link of a recall: the secret in the path is the capability.
    ("/rappel/{secret}", Rule::Public),
    ("/api/v1/rappel/reponse", Rule::Act(Action::StaffRecall)),
    ("/evenements", Rule::LoggedIn),
    ("/api/v1/units", Rule::Act(Action::UnitList)),
    ("/api/v1/units/{code}", Rule::Act(Action::UnitBoard)),
    ("/api/v1/patients", Rule::Act(Action::PatientSearch)),
    ("/api/v1/patients/{*key}", Rule::Act(Action::PatientChart)),
    ("/api/v1/status", Rule::Act(Action::NodeStatus)),
    ("/api/v1/quarantine", Rule::Act(Action::Quarantine)),
    ("/healthz", Rule::Public),
    ("/metrics", Rule::Act(Action::Metrics)),
    ("/static/{file}", Rule::Public),
];

fn rule_of(pattern: &str) -> Option<Rule> {
    ROUTES
        .iter()
        .find(|(known, _)| *known == pattern)
        .map(|(_, rule)| *rule)
}

/// Who is calling.
#[derive(Clone)]
pub(crate) enum Principal {
    /// A person, through a session.
    Session(Arc<SessionView>),
    /// A machine client, through an API token.
    Token(Arc<TokenInfo>),
}

/// The caller of a request past the gate, with its address.
#[derive(Clone)]
pub(crate) struct Caller {
    pub(crate) principal: Principal,
    pub(crate) ip: IpAddr,
    /// The session cookie's value, for the handlers that act on the
    /// session itself (logout, lock, password); none for a token.
    token: Option<Arc<str>>,
}

/// Whether a chart may be shown, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ChartAccess {
    /// The patient stays in one of the caller's units (or the caller reaches
    /// every unit).
    InScope,
    /// Through an active break-the-glass grant; the reason given.
    BrokenGlass(String),
    /// Not without break-the-glass; `can_break` says if this caller may.
    Refused { can_break: bool },
}

impl Caller {
    /// The session's secret token, for calls that act on the session.
    pub(crate) fn session_token(&self) -> Result<String, AppError> {
        self.token
            .as_deref()
            .map(str::to_owned)
            .ok_or(AppError::NotLoggedIn)
    }

    /// The account's role; none for a token.
    pub(crate) fn role(&self) -> Option<Role> {
        match &self.principal {
            Principal::Session(session) => Some(session.account.role),
            Principal::Token(_) => None,
        }
    }

    /// The account's login; none for a token.
    pub(crate) fn login(&self) -> Option<&str> {
        match &self.principal {
            Principal::Session(session) => Some(&session.account.login),
            Principal::Token(_) => None,
        }
    }

    /// The session, for pages (name, CSRF token).
    pub(crate) fn session(&self) -> Option<&SessionView> {
        match &self.principal {
            Principal::Session(session) => Some(session),
            Principal::Token(_) => None,
        }
    }

    /// The session's CSRF token, for the forms of a page; a token caller
    /// has none (forms are for people).
    pub(crate) fn csrf(&self) -> Result<&str, AppError> {
        self.session()
            .map(|s| s.csrf.as_str())
            .ok_or(AppError::Forbidden)
    }

    /// Who, as the audit trail writes it.
    pub(crate) fn actor(&self) -> String {
        match &self.principal {
            Principal::Session(session) => session.account.login.clone(),
            Principal::Token(token) => format!("token:{}", token.name),
        }
    }

    /// How far this caller reaches `action`: the matrix for a person, the
    /// token's scopes (all or nothing) for a machine client.
    pub(crate) fn reach(&self, action: Action) -> Reach {
        match &self.principal {
            Principal::Session(session) => reach(session.account.role, action),
            Principal::Token(token) if token.scopes.contains(&action) => Reach::Everywhere,
            Principal::Token(_) => Reach::Never,
        }
    }

    /// Whether the caller may see the names of unit `code`'s patients.
    pub(crate) fn may_see_unit(&self, action: Action, code: &str) -> bool {
        match self.reach(action) {
            Reach::Everywhere => true,
            Reach::Never => false,
            Reach::InScope => match &self.principal {
                Principal::Session(session) => session.account.scope.covers(code),
                Principal::Token(_) => false,
            },
        }
    }

    /// Whether the caller reaches `action` somewhere in principle but in no
    /// unit in fact (a crisis role with no granted unit): a search would
    /// find nobody, and must say why instead of "no patient".
    pub(crate) fn reaches_no_unit(&self, action: Action) -> bool {
        match (&self.principal, self.reach(action)) {
            (Principal::Session(session), Reach::InScope) => {
                session.account.scope == ckisa_auth::Scope::Units(Vec::new())
            }
            _ => false,
        }
    }

    /// Whether the caller reaches `action` in every unit, and so for patients
    /// not staying in any unit (discharged, or never placed) as well.
    pub(crate) fn reaches_all_units(&self, action: Action) -> bool {
        match self.reach(action) {
            Reach::Everywhere => true,
            Reach::Never => false,
            Reach::InScope => matches!(
                &self.principal,
                Principal::Session(session) if session.account.scope == ckisa_auth::Scope::AllUnits
            ),
        }
    }

    /// Whether a patient whose open stays are `stays` may be shown in full.
    pub(crate) fn chart_access<'a>(
        &self,
        state: &AppState,
        patient: &str,
        stays: impl IntoIterator<Item = &'a StayView>,
    ) -> ChartAccess {
        let units: Vec<&str> = stays.into_iter().filter_map(unit_of).collect();
        if units
            .iter()
            .any(|unit| self.may_see_unit(Action::PatientChart, unit))
            || self.reaches_all_units(Action::PatientChart)
        {
            return ChartAccess::InScope;
        }
        if let Some(login) = self.login()
            && let Some(grant) = state
                .security()
                .directory
                .grant(login, patient, state.now_ms())
        {
            return ChartAccess::BrokenGlass(grant.reason);
        }
        ChartAccess::Refused {
            can_break: self.reach(Action::BreakGlass) != Reach::Never,
        }
    }

    /// Whether this caller's session still lets it in as it did at the gate:
    /// not ended (logout, expiry), its account not disabled, not locked
    /// since, role and scope unchanged. For the event streams, which outlive
    /// the gate's single check: they end when this turns false, and the
    /// browser's reconnection meets the gate again. The lookup is the
    /// gate's own (memory only, well under a microsecond), but it only peeks
    /// at the session: it does not restart its idle time, so a page left
    /// open on a live stream still idles out after 15 minutes. A token is
    /// never still valid here: the streams take sessions only, and its
    /// secret is not kept to check it again.
    pub(crate) fn still_valid(&self, state: &AppState) -> bool {
        let (Principal::Session(then), Some(token)) = (&self.principal, &self.token) else {
            return false;
        };
        let now_ms = state.now_ms();
        let peeked = state.security().directory.peek_session(token, now_ms);
        peeked.is_some_and(|now| {
            !now.locked
                && !now.must_change
                && now.account.role == then.account.role
                && now.account.scope == then.account.scope
        })
    }

    /// Writes one audited act of this caller (queued, see `AuditSink::append`).
    pub(crate) fn audit(&self, state: &AppState, act: Audited<'_>) {
        let record = AuditRecord {
            at_ms: state.now_ms(),
            actor: self.actor(),
            role: self.role().map(|r| r.code().to_owned()),
            source: self.ip.to_string(),
            action: act.action.to_owned(),
            outcome: act.outcome,
            patient: act.patient.map(printable),
            target: act.target.map(printable),
            detail: printable(act.detail),
        };
        ckisa_audit::AuditSink::append(&state.security().trail, record);
    }
}

/// Longest request text the trail keeps of one entry's field (a 3,000-
/// character unit code in a URL is a probe, not a name to keep whole).
const MAX_AUDITED_CHARS: usize = 256;

/// Request text as the trail keeps it: control characters (a NUL typed
/// into a URL, a line break) become U+FFFD, so that an export stays text.
fn printable(text: &str) -> String {
    let mut kept: String = text
        .chars()
        .take(MAX_AUDITED_CHARS)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if text.chars().nth(MAX_AUDITED_CHARS).is_some() {
        kept.push('…');
    }
    kept
}

fn unit_of(stay: &StayView) -> Option<&str> {
    stay.unit.as_deref()
}

/// One act to audit, see [`Caller::audit`].
pub(crate) struct Audited<'a> {
    pub(crate) action: &'a str,
    pub(crate) outcome: AuditOutcome,
    pub(crate) patient: Option<&'a str>,
    pub(crate) target: Option<&'a str>,
    pub(crate) detail: &'a str,
}

impl<'a> Audited<'a> {
    /// An allowed read or act of `action`.
    pub(crate) fn allowed(action: Action) -> Audited<'a> {
        Audited {
            action: action.code(),
            outcome: AuditOutcome::Allowed,
            patient: None,
            target: None,
            detail: "",
        }
    }

    /// An attempt at `action` that found nothing (an unknown patient key:
    /// a probe, or a typo).
    pub(crate) fn failed(action: Action) -> Audited<'a> {
        Audited {
            outcome: AuditOutcome::Failed,
            ..Audited::allowed(action)
        }
    }

    /// A refused `action`.
    pub(crate) fn denied(action: Action) -> Audited<'a> {
        Audited {
            outcome: AuditOutcome::Denied,
            ..Audited::allowed(action)
        }
    }

    pub(crate) fn patient(self, key: &'a str) -> Audited<'a> {
        Audited {
            patient: Some(key),
            ..self
        }
    }

    pub(crate) fn target(self, target: &'a str) -> Audited<'a> {
        Audited {
            target: Some(target),
            ..self
        }
    }

    pub(crate) fn detail(self, detail: &'a str) -> Audited<'a> {
        Audited { detail, ..self }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Caller, AppError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(AppError::NotLoggedIn)
    }
}

/// The client's address: the TCP peer (no proxy header is trusted).
pub(crate) fn client_ip(parts_extensions: &axum::http::Extensions) -> IpAddr {
    parts_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip())
}

/// The value of cookie `name` in the request headers.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The gate. See the module documentation.
pub(crate) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(pattern) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
    else {
        // No route matched: the 404 fallback, which shows nothing.
        return next.run(request).await;
    };
    let Some(rule) = rule_of(&pattern) else {
        tracing::error!(route = %pattern, "route missing from the access table; refused");
        return AppError::Forbidden.into_response();
    };
    if rule == Rule::Public {
        if is_state_changing(request.method()) && !same_origin(request.headers()) {
            return AppError::CsrfRefused.into_response();
        }
        return next.run(request).await;
    }
    let ip = client_ip(request.extensions());
    let is_api = pattern.starts_with("/api/") || pattern == "/metrics";
    let (principal, token) = match identify(&state, &request, is_api) {
        Ok(found) => found,
        Err(refusal) => return refusal.respond(&request),
    };
    let caller = Caller {
        principal,
        ip,
        token,
    };
    if let Principal::Session(session) = &caller.principal
        && rule != Rule::Session
    {
        let blocked = if session.locked {
            Some("/verrou")
        } else if session.must_change {
            Some("/mot-de-passe")
        } else {
            None
        };
        if let Some(page) = blocked {
            return if wants_html(&request) {
                redirect(page)
            } else {
                AppError::SessionBlocked.into_response()
            };
        }
    }
    if let Rule::Act(action) = rule
        && caller.reach(action) == Reach::Never
    {
        caller.audit(&state, Audited::denied(action).target(&pattern));
        return AppError::Forbidden.into_response();
    }
    let mut request = request;
    if is_state_changing(request.method()) {
        let upload_limit = crate::messages::upload_limit(&state);
        request = match check_csrf(&caller, request, upload_limit).await {
            Ok(request) => request,
            Err(error @ AppError::BadInput(_)) => return error.into_response(),
            Err(error) => {
                caller.audit(
                    &state,
                    Audited {
                        action: "csrf.refused",
                        outcome: AuditOutcome::Denied,
                        patient: None,
                        target: Some(&pattern),
                        detail: "",
                    },
                );
                return error.into_response();
            }
        };
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// Why the gate could not identify the caller.
enum Refusal {
    /// No session or an expired one: log in.
    NotLoggedIn,
    /// A bearer token that is unknown or revoked.
    BadToken,
}

impl Refusal {
    fn respond(self, request: &Request) -> Response {
        match self {
            Refusal::BadToken => AppError::BadToken.into_response(),
            Refusal::NotLoggedIn if wants_html(request) => {
                let next = request
                    .uri()
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_owned();
                let target = format!(
                    "/connexion?suite={}",
                    percent_encoding::utf8_percent_encode(
                        &next,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                );
                redirect(&target)
            }
            Refusal::NotLoggedIn => AppError::NotLoggedIn.into_response(),
        }
    }
}

fn wants_html(request: &Request) -> bool {
    let path = request.uri().path();
    !path.starts_with("/api/")
        && path != "/metrics"
        && path != "/evenements"
        && path != "/messagerie/flux"
        && matches!(*request.method(), Method::GET | Method::HEAD)
}

/// The caller, and the session token when it is a session.
fn identify(
    state: &AppState,
    request: &Request,
    is_api: bool,
) -> Result<(Principal, Option<Arc<str>>), Refusal> {
    let headers = request.headers();
    if let Some(secret) = bearer(headers) {
        if !is_api {
            return Err(Refusal::BadToken);
        }
        return state
            .security()
            .directory
            .check_token(secret, state.now_ms())
            .map(|info| (Principal::Token(Arc::new(info)), None))
            .ok_or(Refusal::BadToken);
    }
    let name = session_cookie_name(state.security().secure_cookies);
    let token = cookie(headers, name).ok_or(Refusal::NotLoggedIn)?;
    live_session(state, token)
        .map(|view| (Principal::Session(Arc::new(view)), Some(Arc::from(token))))
        .ok_or(Refusal::NotLoggedIn)
}

/// The live session of the cookie value `token`, touched; `None` once it
/// ended or its account was disabled.
fn live_session(state: &AppState, token: &str) -> Option<SessionView> {
    state.security().directory.session(token, state.now_ms())
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A 303 to `target` (same site only: every caller passes a path).
pub(crate) fn redirect(target: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(target) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// Whether a state-changing request comes from our own pages: the browser
/// says so through `Sec-Fetch-Site`, or the `Origin` names our host. A
/// request with neither header (an old browser, a script) passes this check
/// and relies on the CSRF token alone.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host))
}

/// Checks the origin and the synchronizer token of a state-changing request
/// from a session (a bearer token carries no ambient authority: no check).
/// The token comes from the `X-CSRF-Token` header or the `csrf` field of a
/// URL-encoded form, or of a multipart form (a message with an attachment,
/// at most `upload_limit` bytes), whose body is read here and handed on
/// unchanged.
async fn check_csrf(
    caller: &Caller,
    request: Request,
    upload_limit: usize,
) -> Result<Request, AppError> {
    let Principal::Session(session) = &caller.principal else {
        return Ok(request);
    };
    if !same_origin(request.headers()) {
        return Err(AppError::CsrfRefused);
    }
    if let Some(sent) = request.headers().get(CSRF_HEADER) {
        let ok = constant_time_eq(sent.as_bytes(), session.csrf.as_bytes());
        return if ok {
            Ok(request)
        } else {
            Err(AppError::CsrfRefused)
        };
    }
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if let Some(boundary) = multipart_boundary(&content_type) {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, upload_limit)
            .await
            .map_err(|_| {
                let max = upload_limit.saturating_sub(crate::messages::FORM_ROOM);
                AppError::BadInput(BadInput::UploadTooLarge(u64::try_from(max).unwrap_or(0)))
            })?;
        let sent = multipart_value(&bytes, &boundary, CSRF_FIELD).ok_or(AppError::CsrfRefused)?;
        if !constant_time_eq(sent.as_bytes(), session.csrf.as_bytes()) {
            return Err(AppError::CsrfRefused);
        }
        return Ok(Request::from_parts(parts, Body::from(bytes)));
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(AppError::CsrfRefused);
    }
    let (parts, body) = request.into_parts();
    // Too long to be a form of ours: a typing or paste mistake, not an
    // attack; said as such (and not audited as a forged request).
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| AppError::BadInput(BadInput::FormTooLarge))?;
    let sent = form_urlencoded_value(&bytes, CSRF_FIELD).ok_or(AppError::CsrfRefused)?;
    if !constant_time_eq(sent.as_bytes(), session.csrf.as_bytes()) {
        return Err(AppError::CsrfRefused);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The boundary of a `multipart/form-data` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty())
    })
}

/// The value of the plain field `name` of a multipart body.
fn multipart_value(body: &[u8], boundary: &str, name: &str) -> Option<String> {
    let delimiter = format!("--{boundary}");
    let wanted = format!("name=\"{name}\"");
    let mut rest = body;
    while let Some(at) = find(rest, delimiter.as_bytes()) {
        rest = &rest[at + delimiter.len()..];
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let value_start = head_end + 4;
        let value_end = find(&rest[value_start..], delimiter.as_bytes())? + value_start;
        let is_field = head.lines().any(|line| {
            let lower = line.to_ascii_lowercase();
            lower.starts_with("content-disposition:")
                && line.split(';').any(|part| part.trim() == wanted)
        });
        if is_field {
            let value = rest[value_start..value_end].strip_suffix(b"\r\n")?;
            return std::str::from_utf8(value).ok().map(str::to_owned);
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

fn form_urlencoded_value(body: &[u8], name: &str) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let text = std::str::from_utf8(pair).ok()?;
        let (key, value) = text.split_once('=')?;
        (key == name).then(|| {
            percent_encoding::percent_decode_str(&value.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("lang=fr; xckisa_session=bad; ckisa_session=good"),
        );
        assert_eq!(cookie(&headers, "ckisa_session"), Some("good"));
        assert_eq!(cookie(&headers, "other"), None);
    }

    #[test]
    fn cross_site_requests_are_not_same_origin() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("ckisa.local:8443"));
        assert!(same_origin(&headers));
        headers.insert(ORIGIN, HeaderValue::from_static("https://ckisa.local:8443"));
        assert!(same_origin(&headers));
        headers.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin(&headers));
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&headers));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&headers));
    }

    #[test]
    fn form_values_are_decoded() {
        let body = b"reason=urgence+vitale&csrf=a%2Bb";
        assert_eq!(form_urlencoded_value(body, "csrf").as_deref(), Some("a+b"));
        assert_eq!(
            form_urlencoded_value(body, "reason").as_deref(),
            Some("urgence vitale")
        );
        assert_eq!(form_urlencoded_value(body, "x"), None);
    }

    /// The router's patterns, read from its source: a route added to the
    /// router but not to [`ROUTES`] would be refused to everyone by the gate;
    /// this test says so before anyone finds out in production.
    #[test]
    fn every_route_of_the_router_has_a_rule() {
        let source = include_str!("lib.rs");
        let mut patterns = Vec::new();
        let mut rest = source;
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let open = rest.find('"').expect("pattern string");
            let close = rest[open + 1..].find('"').expect("pattern end");
            patterns.push(&rest[open + 1..open + 1 + close]);
        }
        assert!(patterns.len() > 20, "{patterns:?}");
        for pattern in &patterns {
            assert!(rule_of(pattern).is_some(), "{pattern} has no access rule");
        }
        for (pattern, _) in ROUTES {
            assert!(patterns.contains(pattern), "{pattern} is not a route");
        }
    }

    #[test]
    fn every_route_pattern_is_listed_once() {
        for (i, (pattern, _)) in ROUTES.iter().enumerate() {
            assert!(
                ROUTES[i + 1..].iter().all(|(other, _)| other != pattern),
                "{pattern} twice"
            );
        }
    }
}
