//! A node over a real SQLite store with the demo establishment's continuity
//! plan, for the crisis capsule's tests: crisis facts are committed to the
//! store and folded back, as on a running node.

use std::cell::Cell;
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use axum::http::header::{CONTENT_TYPE, COOKIE};
use ckisa_audit::AuditTrail;
use ckisa_auth::{Actor, ArgonParams, AuthOptions, Directory, NewUser, Role, Scope};
use ckisa_crisis::plan::{self, PlanContext};
use ckisa_store::{Store, UnitDefinition};
use ckisa_store_sqlite::key::DbKey;
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};

use super::{Answer, NOW, PASSWORD, TestSession, send};

thread_local! {
    /// The clock of the crisis nodes of this test's thread (each `#[tokio::test]`
    /// runs on its own thread): starts at [`NOW`], moved forward by [`advance`].
    /// Code on the blocking pool reads [`NOW`]: handlers read the clock on the
    /// test's thread and pass it down.
    static CLOCK: Cell<i64> = const { Cell::new(NOW) };
}

fn clock() -> i64 {
    CLOCK.with(Cell::get)
}

/// Moves this test's crisis clock forward by `ms` (sessions idle out after
/// 15 minutes: log in again after a long jump).
pub(crate) fn advance(ms: i64) {
    CLOCK.with(|c| c.set(c.get() + ms));
}

/// The crisis nodes' clock now.
pub(crate) fn clock_now() -> i64 {
    clock()
}

/// The demo establishment's plan text.
pub(crate) const DEMO_PLAN: &str = include_str!("../../../demo/src/plan.toml");

/// The demo plan, checked against the units, feeds and roles it names.
pub(crate) fn demo_plan() -> plan::Plan {
    let raw = plan::parse(DEMO_PLAN).expect("the demo plan parses");
    let context = PlanContext {
        units: raw
            .activities
            .iter()
            .flat_map(|a| a.units.iter().cloned())
            .chain(UNITS.iter().map(|u| u.to_string()))
            .collect(),
        feeds: raw
            .applications
            .iter()
            .flat_map(|a| a.feeds.iter().cloned())
            .collect(),
        roles: Role::ALL.iter().map(|r| r.code().to_owned()).collect(),
    };
    plan::check(&raw, &context).expect("the demo plan checks")
}

/// Units of the test establishment (codes the demo plan may name too).
pub(crate) const UNITS: &[&str] = &["REA", "URG", "CARDIO"];

/// A node over SQLite in a temporary folder.
pub(crate) struct CrisisNode {
    pub(crate) router: axum::Router,
    pub(crate) state: ckisa_web::AppState,
    pub(crate) store: Arc<SqliteStore>,
    pub(crate) directory: Directory,
    pub(crate) trail: AuditTrail,
    pub(crate) dir: Arc<tempfile::TempDir>,
}

impl CrisisNode {
    /// A node with the demo plan and three units of four beds each.
    pub(crate) fn new() -> CrisisNode {
        CrisisNode::with_plan(demo_plan())
    }

    /// A node with `plan`.
    pub(crate) fn with_plan(plan: plan::Plan) -> CrisisNode {
        let mut config = super::test_config();
        config.plan = Arc::new(plan);
        CrisisNode::with_config(config)
    }

    /// A node with `config` (its plan, messaging settings...), over the same
    /// three units.
    pub(crate) fn with_config(config: ckisa_web::WebConfig) -> CrisisNode {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let key = DbKey::generate().expect("key");
        let store = Arc::new(
            SqliteStore::open(
                &dir.path().join("store"),
                SqliteOptions::new("Europe/Paris"),
            )
            .expect("store opens"),
        );
        let units: Vec<UnitDefinition> = UNITS
            .iter()
            .map(|code| UnitDefinition {
                code: (*code).into(),
                name: format!("Unité {code}"),
                beds: (1..=4).map(|n| (format!("{n}"), format!("{n}"))).collect(),
            })
            .collect();
        store.define_units(&units).expect("units defined");
        let trail = AuditTrail::open(dir.path(), &key).expect("audit trail");
        let options = AuthOptions {
            argon: ArgonParams::fast_for_tests(),
            address_attempts_per_minute: 10_000,
            ..AuthOptions::default()
        };
        let directory =
            Directory::open(dir.path(), &key, options, Arc::new(trail.clone())).expect("directory");
        let security = ckisa_web::Security {
            directory: directory.clone(),
            trail: trail.clone(),
            secure_cookies: false,
        };
        let state = ckisa_web::AppState::with_clock(
            store.clone() as Arc<dyn Store>,
            config,
            security,
            clock,
        );
        let router = ckisa_web::router(state.clone()).layer(axum::Extension(dir.clone()));
        CrisisNode {
            router,
            state,
            store,
            directory,
            trail,
            dir,
        }
    }

    /// Creates the account and logs it in (at the crisis clock's time).
    pub(crate) fn login_as(&self, login: &str, role: Role, scope: Scope) -> TestSession {
        let user = NewUser {
            login: login.into(),
            display_name: format!("Test {login}"),
            role,
            scope,
            password: Some(PASSWORD.into()),
            must_change: false,
        };
        self.directory
            .add_user(&user, &Actor::cli(), clock())
            .expect("account added");
        let session = self
            .directory
            .login(login, PASSWORD, "127.0.0.1".parse().expect("ip"), clock())
            .expect("login");
        TestSession {
            cookie: format!("ckisa_session={}", session.token),
            csrf: session.csrf,
        }
    }

    /// `GET uri` as `session`.
    pub(crate) async fn get(&self, session: &TestSession, uri: &str) -> Answer {
        let request = Request::get(uri)
            .header(COOKIE, &session.cookie)
            .body(Body::empty())
            .expect("request");
        send(&self.router, request).await
    }

    /// `POST uri` with a form (the session's CSRF token added) as `session`.
    pub(crate) async fn post(
        &self,
        session: &TestSession,
        uri: &str,
        fields: &[(&str, &str)],
    ) -> Answer {
        let mut body = form_encode(&[("csrf", session.csrf.as_str())]);
        if !fields.is_empty() {
            body.push('&');
            body.push_str(&form_encode(fields));
        }
        let request = Request::post(uri)
            .header(COOKIE, &session.cookie)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        send(&self.router, request).await
    }
}

/// `application/x-www-form-urlencoded` of `fields`.
pub(crate) fn form_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                percent_encoding::utf8_percent_encode(k, percent_encoding::NON_ALPHANUMERIC),
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `text` as askama escapes it in a page.
pub(crate) fn html(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// The scope of one unit.
pub(crate) fn unit(code: &str) -> Scope {
    Scope::Units(vec![code.into()])
}
