//! The crisis lifecycle through the pages: who may declare, change the
//! level, announce recovery and close; what refuses; the banner every page
//! then shows; action cards ticked by their role; alerts acknowledged.

mod support;

use axum::http::StatusCode;
use ckisa_auth::{Role, Scope};
use support::crisis::{CrisisNode, advance};
use support::crisis::{html, unit};

#[tokio::test]
async fn only_the_crisis_director_runs_the_lifecycle_and_each_step_is_recorded() {
    let node = CrisisNode::new();
    let director = node.login_as("dir", Role::CrisisDirector, Scope::Units(Vec::new()));
    let cell = node.login_as("cell", Role::CrisisCellMember, Scope::Units(Vec::new()));
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));

    let page = node.get(&director, "/crise").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Aucune crise déclarée"), "{}", page.body);
    assert!(page.body.contains("/crise/transition/declarer"));
    let page = node.get(&cell, "/crise").await;
    assert!(
        !page.body.contains("/crise/transition/declarer"),
        "no button for the cell"
    );

    // The cell and a nurse may not declare.
    for who in [&cell, &nurse] {
        let refused = node
            .post(
                who,
                "/crise/transition/declarer",
                &[("niveau", "2"), ("motif", "panne")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
    // A level the plan does not know, or no reason, shows the form again.
    let bad = node
        .post(
            &director,
            "/crise/transition/declarer",
            &[("niveau", "9"), ("motif", "panne")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Choisissez un niveau"), "{}", bad.body);
    let empty = node
        .post(
            &director,
            "/crise/transition/declarer",
            &[("niveau", "2"), ("motif", "   ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("obligatoire"), "{}", empty.body);
    assert!(
        node.get(&director, "/crise")
            .await
            .body
            .contains("Aucune crise déclarée")
    );

    let declared = node
        .post(
            &director,
            "/crise/transition/declarer",
            &[
                ("niveau", "2"),
                ("motif", "DPI injoignable, rançongiciel suspecté"),
            ],
        )
        .await;
    assert_eq!(declared.status, StatusCode::SEE_OTHER, "{}", declared.body);
    assert_eq!(declared.header("location"), "/crise");

    // Every page now shows the banner, for every role.
    for (who, uri) in [
        (&nurse, "/unites"),
        (&cell, "/crise"),
        (&director, "/compte"),
    ] {
        let page = node.get(who, uri).await;
        assert!(
            page.body.contains("Crise déclarée — niveau 2"),
            "{uri}: {}",
            page.body
        );
        assert!(
            page.body.contains("data-since="),
            "{uri}: the banner carries its start"
        );
    }
    // Declaring twice is refused with the reason.
    let twice = node
        .post(
            &director,
            "/crise/transition/declarer",
            &[("niveau", "3"), ("motif", "encore")],
        )
        .await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert!(twice.body.contains("déjà ouverte"), "{}", twice.body);

    advance(10 * 60_000);
    let level = node
        .post(
            &director,
            "/crise/transition/niveau",
            &[("niveau", "3"), ("motif", "plan blanc")],
        )
        .await;
    assert_eq!(level.status, StatusCode::SEE_OTHER, "{}", level.body);
    let page = node.get(&cell, "/crise").await;
    assert!(page.body.contains("niveau 3"), "{}", page.body);
    assert!(
        page.body.contains("10 min"),
        "elapsed time shown: {}",
        page.body
    );

    let recovery = node
        .post(
            &director,
            "/crise/transition/retour",
            &[("motif", "flux ADT revenu")],
        )
        .await;
    assert_eq!(recovery.status, StatusCode::SEE_OTHER);
    assert!(
        node.get(&nurse, "/unites")
            .await
            .body
            .contains("Retour à la normale en cours")
    );
    let again = node
        .post(
            &director,
            "/crise/transition/retour",
            &[("motif", "encore")],
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);

    let closed = node
        .post(
            &director,
            "/crise/transition/cloture",
            &[("motif", "SIH rétabli")],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    let page = node.get(&nurse, "/unites").await;
    assert!(
        !page.body.contains("crisis-banner"),
        "no banner once closed"
    );
    let closed_twice = node
        .post(
            &director,
            "/crise/transition/cloture",
            &[("motif", "encore")],
        )
        .await;
    assert_eq!(closed_twice.status, StatusCode::CONFLICT);

    // Four transitions in the log, each by the director.
    let events = ckisa_store::Store::events_of_kind(node.store.as_ref(), "crisis", None, 100)
        .expect("events");
    let kinds: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.fact {
            ckisa_domain::Fact::Crisis(f) => Some(f.kind()),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, ["declared", "level", "recovery", "closed"]);
    assert!(
        events
            .iter()
            .all(|e| e.actor == ckisa_domain::Actor::User("dir".into()))
    );
}

#[tokio::test]
async fn unknown_transitions_are_not_found() {
    let node = CrisisNode::new();
    let director = node.login_as("dir2", Role::CrisisDirector, Scope::Units(Vec::new()));
    let page = node.get(&director, "/crise/transition/abolir").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let form = node.get(&director, "/crise/transition/declarer").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("Plan blanc"),
        "levels from the plan: {}",
        form.body
    );
}

#[tokio::test]
async fn each_role_ticks_its_own_cards_and_the_cell_sees_progress() {
    let node = CrisisNode::new();
    let plan = support::crisis::demo_plan();
    let director = node.login_as("dir3", Role::CrisisDirector, Scope::Units(Vec::new()));
    let manager = node.login_as("cadre3", Role::UnitManager, unit("REA"));
    let observer = node.login_as("obs3", Role::ExerciseObserver, Scope::Units(Vec::new()));
    let card = plan
        .cards_for_role("cadre")
        .next()
        .expect("a card for unit managers");
    let other = plan
        .cards_for_role("pharmacien")
        .next()
        .expect("a pharmacist card");
    let tick = format!("/crise/fiches/{}/0", card.code);

    // Before a crisis: the card is shown as a preview, ticking is refused.
    let page = node.get(&manager, "/crise").await;
    assert!(page.body.contains(&html(&card.title)), "{}", page.body);
    assert!(
        !page.body.contains(&tick),
        "no tick button outside a crisis"
    );
    let early = node.post(&manager, &tick, &[("fait", "1")]).await;
    assert_eq!(early.status, StatusCode::CONFLICT);

    node.post(
        &director,
        "/crise/transition/declarer",
        &[("niveau", "1"), ("motif", "test")],
    )
    .await;
    let ticked = node.post(&manager, &tick, &[("fait", "1")]).await;
    assert_eq!(ticked.status, StatusCode::SEE_OTHER, "{}", ticked.body);
    let other_tick = format!("/crise/fiches/{}/0", other.code);
    let refused = node.post(&manager, &other_tick, &[("fait", "1")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let past_end = format!("/crise/fiches/{}/{}", card.code, card.steps.len());
    assert_eq!(
        node.post(&manager, &past_end, &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        node.post(&observer, &tick, &[("fait", "1")]).await.status,
        StatusCode::FORBIDDEN
    );

    let page = node.get(&manager, "/crise").await;
    assert!(page.body.contains("aria-pressed=\"true\""), "{}", page.body);
    let progress = node.get(&director, "/crise").await;
    let expected = format!("1 / {}", card.steps.len());
    assert!(progress.body.contains(&expected), "{}", progress.body);

    // Unticking is a new event too.
    node.post(&manager, &tick, &[("fait", "0")]).await;
    let progress = node.get(&director, "/crise").await;
    assert!(progress.body.contains(&format!("0 / {}", card.steps.len())));
}

#[tokio::test]
async fn clocks_turn_orange_then_red_against_the_dmia() {
    let node = CrisisNode::new();
    let plan = support::crisis::demo_plan();
    let director = node.login_as("dir4", Role::CrisisDirector, Scope::Units(Vec::new()));
    node.post(
        &director,
        "/crise/transition/declarer",
        &[("niveau", "2"), ("motif", "test")],
    )
    .await;
    let page = node.get(&director, "/crise").await;
    let shortest = plan
        .activities
        .iter()
        .map(|a| a.dmia)
        .min()
        .expect("activities");
    assert!(page.body.contains("rag-green"), "{}", page.body);
    assert!(
        !page.body.contains("class=\"rag-red\""),
        "nothing red at the start"
    );
    // Past the shortest DMIA (sessions idle out after 15 min: log in again).
    advance(shortest.as_millis() as i64 + 60_000);
    let director = node.login_as("dir4b", Role::CrisisDirector, Scope::Units(Vec::new()));
    let page = node.get(&director, "/crise").await;
    assert!(page.body.contains("class=\"rag-red\""), "{}", page.body);
    assert!(page.body.contains("dépassée"), "{}", page.body);
    let english = node.get(&director, "/crise?lang=en").await;
    assert!(english.body.contains("exceeded by"), "{}", english.body);
    assert!(english.body.contains("left of"), "{}", english.body);
}

#[tokio::test]
async fn contacts_show_every_means_in_order() {
    let node = CrisisNode::new();
    let plan = support::crisis::demo_plan();
    let nurse = node.login_as("ide5", Role::Nurse, unit("REA"));
    let page = node.get(&nurse, "/crise/contacts").await;
    assert_eq!(page.status, StatusCode::OK);
    for contact in &plan.contacts {
        assert!(page.body.contains(&html(&contact.name)), "{}", contact.name);
    }
    let admin = node.login_as("admin5", Role::Administrator, Scope::Units(Vec::new()));
    assert_eq!(
        node.get(&admin, "/crise/contacts").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn an_open_alert_shows_on_every_page_of_those_who_acknowledge_it() {
    use ckisa_crisis::ledger::{self, Author};
    use ckisa_domain::{Actor, AlertKind, CrisisFact, Hlc, ItemId, NodeId};

    let node = CrisisNode::new();
    let director = node.login_as("dir6", Role::CrisisDirector, Scope::Units(Vec::new()));
    let rssi = node.login_as("rssi6", Role::ItSecurity, Scope::Units(Vec::new()));
    let nurse = node.login_as("ide6", Role::Nurse, unit("REA"));
    // The node's watch raises an alert (as it would after a silence).
    let now = support::crisis::clock_now();
    let mut book = ledger::load(node.store.as_ref()).expect("book");
    let author = Author {
        actor: Actor::System,
        node: NodeId("noeud-test".into()),
        origin: "veille",
    };
    let alert = CrisisFact::AlertRaised {
        id: ItemId("alerte-1".into()),
        key: "silence:adt".into(),
        kind: AlertKind::FeedSilent,
        subject: "adt".into(),
        since_ms: now - 600_000,
        evidence: "Le flux adt est silencieux depuis 10 min <script>x</script>".into(),
    };
    let hlc = Hlc::new(u64::try_from(now).unwrap(), 0);
    ledger::record(&mut book, node.store.as_ref(), &author, alert, hlc, now).expect("recorded");

    for who in [&director, &rssi] {
        let page = node.get(who, "/unites").await;
        assert!(
            page.body.contains("Alertes de panne en cours : 1"),
            "{}",
            page.body
        );
    }
    assert!(
        !node
            .get(&nurse, "/unites")
            .await
            .body
            .contains("Alertes de panne")
    );
    let overview = node.get(&director, "/crise").await;
    assert!(
        overview.body.contains("Flux silencieux"),
        "{}",
        overview.body
    );
    assert!(
        overview.body.contains("&lt;script&gt;") || overview.body.contains("&#60;script&#62;"),
        "evidence escaped: {}",
        overview.body
    );
    assert!(!overview.body.contains("<script>x"));

    // The nurse may not acknowledge it; the director may, once.
    let refused = node.post(&nurse, "/crise/alertes/alerte-1/vu", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let seen = node
        .post(&director, "/crise/alertes/alerte-1/vu", &[])
        .await;
    assert_eq!(seen.status, StatusCode::SEE_OTHER);
    let form = "/crise/alertes/alerte-1/vu";
    assert!(
        !node.get(&director, "/crise").await.body.contains(form),
        "already seen by her"
    );
    assert!(
        node.get(&rssi, "/crise").await.body.contains(form),
        "not yet by IT security"
    );
    let overview = node.get(&rssi, "/crise").await;
    assert!(
        overview.body.contains("Pris en compte par dir6"),
        "{}",
        overview.body
    );
    let unknown = node
        .post(&director, "/crise/alertes/inconnue/vu", &[])
        .await;
    assert_eq!(unknown.status, StatusCode::CONFLICT);
}

/// What another process (`ckisa crisis declare` beside the node) records
/// reaches the pages within the resync delay, and the web checks the next
/// transition against it: no second crisis, no lost change.
#[tokio::test]
async fn a_transition_made_by_another_process_is_seen_and_checked_against() {
    use ckisa_crisis::ledger::{self, Author};
    use ckisa_domain::{Actor, CrisisFact, CrisisId, Hlc, NodeId};
    use ckisa_store_sqlite::{SqliteOptions, SqliteStore};

    let node = CrisisNode::new();
    let director = node.login_as("dir7", Role::CrisisDirector, Scope::Units(Vec::new()));
    assert!(
        node.get(&director, "/crise")
            .await
            .body
            .contains("Aucune crise déclarée")
    );
    // A second store over the same folder: its commits do not move the
    // node's own generation counter, as with another process.
    let other = SqliteStore::open(
        &node.dir.path().join("store"),
        SqliteOptions::new("Europe/Paris"),
    )
    .expect("second store");
    let mut book = ledger::load(&other).expect("book");
    let author = Author {
        actor: Actor::User("dir7".into()),
        node: NodeId("noeud-test".into()),
        origin: "cli",
    };
    let now = support::crisis::clock_now();
    let declared = CrisisFact::Declared {
        crisis: CrisisId("par-la-ligne-de-commande".into()),
        level: 2,
        reason: "déclarée en ligne de commande".into(),
    };
    let hlc = Hlc::new(u64::try_from(now).unwrap(), 0);
    ledger::record(&mut book, &other, &author, declared, hlc, now).expect("declared");

    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let page = node.get(&director, "/crise").await;
    assert!(
        page.body.contains("Crise déclarée — niveau 2"),
        "{}",
        page.body
    );
    // Declaring again on the web is refused, not a second crisis.
    let again = node
        .post(
            &director,
            "/crise/transition/declarer",
            &[("niveau", "3"), ("motif", "encore")],
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("déjà ouverte"), "{}", again.body);

    // The other process closes it; the web's level change right after is
    // refused, not silently lost.
    let close = CrisisFact::Closed {
        crisis: CrisisId("par-la-ligne-de-commande".into()),
        reason: "close en ligne de commande".into(),
    };
    let hlc = Hlc::new(u64::try_from(now).unwrap() + 1, 0);
    ledger::record(&mut book, &other, &author, close, hlc, now).expect("closed");
    let level = node
        .post(
            &director,
            "/crise/transition/niveau",
            &[("niveau", "3"), ("motif", "aggravation")],
        )
        .await;
    assert!(
        level.status == StatusCode::CONFLICT || level.status == StatusCode::BAD_REQUEST,
        "{} {}",
        level.status,
        level.body
    );
    assert!(
        level.body.contains("Aucune crise n&#39;est ouverte"),
        "{}",
        level.body
    );
}

/// A pasted text too long for any form of ours is a typing mistake: it is
/// said so in French, not refused as a forged request; a step that is not a
/// number is no step.
#[tokio::test]
async fn an_oversized_form_and_an_odd_step_get_plain_answers() {
    let node = CrisisNode::new();
    let director = node.login_as("dir8", Role::CrisisDirector, Scope::Units(Vec::new()));
    let huge = "y".repeat(70_000);
    let answer = node
        .post(
            &director,
            "/crise/main-courante/nouvelle",
            &[("texte", &huge)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(
        answer.body.contains("Formulaire trop long"),
        "{}",
        answer.body
    );
    node.trail.flush().expect("flush");
    let refused = node
        .trail
        .search(&ckisa_audit::AuditQuery {
            actor: Some("dir8".into()),
            limit: 100,
            ..ckisa_audit::AuditQuery::default()
        })
        .expect("search");
    assert!(
        refused.iter().all(|e| !e.record.action.contains("csrf")),
        "not audited as a forged request"
    );
    for step in ["99999999999999999999", "-1", "deux"] {
        let uri = format!("/crise/fiches/DIR-DECLENCHER/{step}");
        let answer = node.post(&director, &uri, &[("fait", "1")]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{step}");
        assert!(
            answer.body.contains("<html"),
            "a French page: {}",
            answer.body
        );
    }
}
