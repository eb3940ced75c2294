//! The simulated HIS switch of a demonstration node: shown on the status
//! page to IT security and administrators only, driven by `POST /demo/sih`,
//! absent (404) on a node that is not a demonstration.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE, LOCATION};
use axum::http::{Request, StatusCode};
use ckisa_auth::{Role, Scope};
use support::crisis::form_encode;
use support::{Answer, FakeStore, Harness, TestSession, send};

/// A simulated HIS that remembers its state and how often it was switched,
/// and can be told to refuse.
#[derive(Debug)]
struct FakeHis {
    running: AtomicBool,
    switches: AtomicUsize,
    refuse: Option<&'static str>,
}

impl FakeHis {
    fn new(refuse: Option<&'static str>) -> Arc<FakeHis> {
        Arc::new(FakeHis {
            running: AtomicBool::new(true),
            switches: AtomicUsize::new(0),
            refuse,
        })
    }
}

impl ckisa_web::SimulatedHis for FakeHis {
    fn running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    fn set_running(&self, on: bool) -> Result<(), String> {
        if let Some(reason) = self.refuse {
            return Err(reason.to_owned());
        }
        self.switches.fetch_add(1, Ordering::SeqCst);
        self.running.store(on, Ordering::SeqCst);
        Ok(())
    }
}

fn demo_node(his: &Arc<FakeHis>) -> Harness {
    let mut config = support::test_config();
    config.simulated_his = Some(his.clone());
    Harness::with_config(FakeStore::hospital(), config)
}

async fn get(harness: &Harness, session: &TestSession, uri: &str) -> Answer {
    let request = Request::get(uri)
        .header(COOKIE, &session.cookie)
        .body(Body::empty())
        .expect("request");
    send(&harness.router, request).await
}

async fn post_action(harness: &Harness, session: &TestSession, action: &str) -> Answer {
    let body = form_encode(&[("csrf", session.csrf.as_str()), ("action", action)]);
    let request = Request::post("/demo/sih")
        .header(COOKIE, &session.cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request");
    send(&harness.router, request).await
}

#[tokio::test]
async fn it_security_stops_and_restarts_the_simulated_his_from_the_status_page() {
    let his = FakeHis::new(None);
    let node = demo_node(&his);
    let rssi = node.login_as("rssi", Role::ItSecurity, Scope::Units(Vec::new()));

    let page = get(&node, &rssi, "/statut").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<dt>SIH simulé</dt><dd>en marche</dd>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("name=\"action\" value=\"arreter\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("Arrêter le SIH simulé"), "{}", page.body);

    let stopped = post_action(&node, &rssi, "arreter").await;
    assert_eq!(stopped.status, StatusCode::SEE_OTHER, "{}", stopped.body);
    assert_eq!(stopped.header(LOCATION.as_str()), "/statut");
    assert!(!his.running.load(Ordering::SeqCst));

    let page = get(&node, &rssi, "/statut").await;
    assert!(
        page.body.contains("<dt>SIH simulé</dt><dd>arrêté</dd>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("name=\"action\" value=\"relancer\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Relancer le SIH simulé"),
        "{}",
        page.body
    );

    let english = get(&node, &rssi, "/statut?lang=en").await;
    assert!(
        english
            .body
            .contains("<dt>Simulated HIS</dt><dd>stopped</dd>"),
        "{}",
        english.body
    );

    let restarted = post_action(&node, &rssi, "relancer").await;
    assert_eq!(
        restarted.status,
        StatusCode::SEE_OTHER,
        "{}",
        restarted.body
    );
    assert!(his.running.load(Ordering::SeqCst));
    assert_eq!(his.switches.load(Ordering::SeqCst), 2);

    // Both switches are in the audit trail, under the caller's name.
    node.trail.flush().expect("flush");
    let entries = node
        .trail
        .search(&ckisa_audit::AuditQuery {
            actor: Some("rssi".into()),
            limit: 100,
            ..ckisa_audit::AuditQuery::default()
        })
        .expect("search");
    let switches: Vec<&str> = entries
        .iter()
        .filter(|entry| entry.record.target.as_deref() == Some("sih-simule"))
        .map(|entry| entry.record.detail.as_str())
        .collect();
    assert_eq!(switches.len(), 2, "{switches:?}");
    assert!(switches.contains(&"arreter") && switches.contains(&"relancer"));
}

#[tokio::test]
async fn administrators_may_switch_it_and_other_roles_neither_see_nor_switch_it() {
    let his = FakeHis::new(None);
    let node = demo_node(&his);
    let admin = node.login_as("admin", Role::Administrator, Scope::AllUnits);
    assert!(
        get(&node, &admin, "/statut")
            .await
            .body
            .contains("Arrêter le SIH simulé")
    );
    assert_eq!(
        post_action(&node, &admin, "arreter").await.status,
        StatusCode::SEE_OTHER
    );
    assert!(!his.running.load(Ordering::SeqCst));

    for role in [Role::CrisisCellMember, Role::CrisisDirector, Role::Nurse] {
        let login = format!("u-{}", role.code());
        let session = node.login_as(&login, role, Scope::AllUnits);
        let page = get(&node, &session, "/statut").await;
        assert_eq!(page.status, StatusCode::OK, "{role}");
        assert!(!page.body.contains("SIH simulé"), "{role}: {}", page.body);
        let refused = post_action(&node, &session, "relancer").await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{role}");
    }
    assert!(!his.running.load(Ordering::SeqCst));
    assert_eq!(his.switches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_node_that_is_not_a_demonstration_has_no_switch() {
    let node = Harness::over(FakeStore::hospital());
    let rssi = node.login_as("rssi", Role::ItSecurity, Scope::Units(Vec::new()));
    let page = get(&node, &rssi, "/statut").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("SIH simulé"), "{}", page.body);
    assert_eq!(
        post_action(&node, &rssi, "arreter").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_unknown_action_or_a_refusal_is_reported() {
    let his = FakeHis::new(None);
    let node = demo_node(&his);
    let rssi = node.login_as("rssi", Role::ItSecurity, Scope::Units(Vec::new()));
    let bad = post_action(&node, &rssi, "detruire").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(his.running.load(Ordering::SeqCst));
    assert_eq!(his.switches.load(Ordering::SeqCst), 0);

    let stuck = FakeHis::new(Some("le SIH simulé ne répond pas"));
    let node = demo_node(&stuck);
    let rssi = node.login_as("rssi", Role::ItSecurity, Scope::Units(Vec::new()));
    let refused = post_action(&node, &rssi, "arreter").await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(
        refused.body.contains("le SIH simulé ne répond pas"),
        "{}",
        refused.body
    );
}
