//! The crisis dashboard through the pages, over a real SQLite store: the
//! census figures it adds up, unit status reports and their lateness,
//! stock counts and their projection, who may fill which form, what bad
//! input says, and the event stream that pushes every change.
//!
//! Census movements and some crisis facts are committed straight to the
//! store with times in the past, as a feed or another node would, so that
//! no test needs to move the shared clock far (one moves it ten minutes,
//! alone: the others read times on pages and hold [`CLOCK`] shared).

mod support;

use std::time::Duration;
use support::crisis::{html, unit};

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE};
use axum::http::{Request, StatusCode};
use ckisa_auth::{Role, Scope};
use ckisa_domain::{
    Actor, AlertKind, Assignee, CrisisFact, CrisisId, EncounterKey, Event, EventId, Fact, Field,
    Hlc, ItemId, Moment, NodeId, PatientKey, PatientUpdate, Place, Rag, Source, SourceChannel,
    StayUpdate, TaskStatus, UnitReport,
};
use ckisa_store::{Store, Submission};
use futures_util::StreamExt;
use support::TestSession;
use support::crisis::{CrisisNode, advance, clock_now};
use tower::ServiceExt;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// Held shared by tests that read the clock, alone by the one that moves it.
static CLOCK: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

fn director(node: &CrisisNode) -> TestSession {
    node.login_as("dir", Role::CrisisDirector, Scope::Units(Vec::new()))
}

/// An event dated `at_ms`, by a feed (`feed:`) or a person.
fn event(at_ms: i64, by: &str, fact: Fact) -> Event {
    let ms = u64::try_from(at_ms).expect("positive time");
    let actor = match by.strip_prefix("feed:") {
        Some(feed) => Actor::Feed(feed.into()),
        None => Actor::User(by.into()),
    };
    Event {
        id: EventId::new(ms),
        hlc: Hlc::new(ms, 0),
        origin: NodeId("noeud-test".into()),
        actor,
        source: Source {
            channel: SourceChannel::User,
            origin: "test".into(),
            message_id: None,
            sender: None,
            fhir_id: None,
        },
        fact,
    }
}

/// Commits `facts` as one submission, each event dated `at_ms`.
fn commit(node: &CrisisNode, at_ms: i64, by: &str, facts: Vec<Fact>) {
    let submission = Submission {
        feed: by.strip_prefix("feed:").unwrap_or_default().into(),
        received_ms: at_ms,
        dedup: None,
        events: facts.into_iter().map(|f| event(at_ms, by, f)).collect(),
    };
    node.store.commit(vec![submission]).expect("commit");
}

fn declare(node: &CrisisNode, at_ms: i64) {
    let fact = CrisisFact::Declared {
        crisis: CrisisId("crise-test".into()),
        level: 2,
        reason: "DPI injoignable".into(),
    };
    commit(node, at_ms, "dir", vec![Fact::Crisis(fact)]);
}

fn patient(id: &str, family: &str) -> Fact {
    Fact::PatientUpdated(PatientUpdate {
        patient: PatientKey::ipp("HOPITAL", id),
        family: Field::Value(family.into()),
        given: Field::Value("Anne".into()),
        ..PatientUpdate::default()
    })
}

/// Admission of patient `id` to `unit`'s `bed`, at `admitted` (ISO, Paris).
fn admit(id: &str, unit: &str, bed: &str, admitted: &str) -> Fact {
    let moment = Moment::parse_iso(admitted).expect("moment");
    Fact::StayUpdated(StayUpdate {
        encounter: EncounterKey(format!("SEJ-{id}")),
        patient: PatientKey::ipp("HOPITAL", id),
        place: Field::Value(Place {
            unit: unit.into(),
            room: Some(bed.into()),
            bed: Some(bed.into()),
            facility: None,
        }),
        class: Some("I".into()),
        admitted_at: Some(moment),
        attending: None,
        in_house: true,
        effective_at: Some(moment),
        movement_id: None,
    })
}

fn discharge(id: &str, at: &str) -> Fact {
    Fact::Discharged {
        encounter: EncounterKey(format!("SEJ-{id}")),
        patient: PatientKey::ipp("HOPITAL", id),
        at: Moment::parse_iso(at),
    }
}

fn report(unit: &str, status: Rag, present: u32, needed: u32) -> Fact {
    Fact::Crisis(CrisisFact::UnitReported(UnitReport {
        unit: unit.into(),
        staff_present: present,
        staff_needed: needed,
        status,
        needs: String::new(),
        comment: String::new(),
    }))
}

fn count(stock: &str, quantity: f64) -> Fact {
    Fact::Crisis(CrisisFact::StockCounted {
        stock: stock.into(),
        quantity,
        comment: String::new(),
    })
}

/// How many crisis events the log holds.
fn crisis_events(node: &CrisisNode) -> usize {
    node.store
        .events_of_kind("crisis", None, 10_000)
        .expect("log reads")
        .len()
}

/// The text of `html` without its tags, entities decoded, spaces collapsed.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of the table row holding `marker`.
fn row(page: &str, marker: &str) -> String {
    let at = page
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in {page}"));
    let start = page[..at].rfind("<tr").expect("row start");
    let end = at + page[at..].find("</tr>").expect("row end");
    text_of(&page[start..end])
}

/// The row of unit `code` on the dashboard.
fn unit_row(page: &str, code: &str) -> String {
    row(page, &format!("data-unit-code=\"{code}\""))
}

/// The value of the establishment figure labelled `label`.
fn figure(page: &str, label: &str) -> String {
    let marker = format!("<dt>{}</dt><dd>", html(label));
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("{label} not in {page}"))
        + marker.len();
    page[at..at + page[at..].find("</dd>").expect("end")].to_owned()
}

#[tokio::test]
async fn the_dashboard_adds_up_the_census_without_naming_anyone() {
    let _clock = CLOCK.read().await;
    let node = CrisisNode::new();
    let now = clock_now();
    // 15/03/2024, Paris: three admitted in the morning, a crisis at 08:00,
    // then two admissions and one discharge.
    commit(
        &node,
        now - 6 * HOUR,
        "feed:adt",
        vec![
            patient("1", "MARTIN"),
            admit("1", "REA", "1", "2024-03-15T06:00"),
            patient("2", "BERNARD"),
            admit("2", "REA", "2", "2024-03-15T06:10"),
            patient("3", "THOMAS"),
            admit("3", "CARDIO", "1", "2024-03-15T06:20"),
        ],
    );
    let session = director(&node);
    let page = node.get(&session, "/crise/tableau").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("Admissions depuis"),
        "no movement count outside a crisis"
    );
    assert!(text_of(&page.body).contains("Aucune crise déclarée"));

    declare(&node, now - 4 * HOUR);
    commit(
        &node,
        now - 3 * HOUR,
        "feed:adt",
        vec![
            patient("4", "PETIT"),
            admit("4", "REA", "3", "2024-03-15T09:00"),
            patient("5", "ROBERT"),
            admit("5", "URG", "1", "2024-03-15T09:30"),
            // An update of a stay admitted before the crisis: no admission.
            admit("1", "REA", "1", "2024-03-15T06:00"),
            discharge("3", "2024-03-15T10:00"),
        ],
    );
    let page = node.get(&session, "/crise/tableau").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert_eq!(figure(body, "Lits"), "12");
    assert_eq!(figure(body, "Occupés"), "4");
    assert_eq!(figure(body, "Libres"), "8");
    assert_eq!(figure(body, "Occupation"), "33 %");
    assert_eq!(figure(body, "Patients présents"), "4");
    assert_eq!(figure(body, "Admissions depuis la déclaration"), "2");
    assert_eq!(figure(body, "Sorties depuis la déclaration"), "1");
    // Code, name, beds, occupied, free, occupancy.
    assert!(
        unit_row(body, "REA").starts_with("REA Unité REA 4 3 1 75 %"),
        "{}",
        unit_row(body, "REA")
    );
    assert!(unit_row(body, "URG").starts_with("URG Unité URG 4 1 3 25 %"));
    assert!(unit_row(body, "CARDIO").starts_with("CARDIO Unité CARDIO 4 0 4 0 %"));
    // Bed types from the plan's activities: type, beds, occupied, free.
    assert_eq!(
        row(body, "Réanimation et soins critiques</th>"),
        "Réanimation et soins critiques 4 3 1"
    );
    assert_eq!(row(body, "Urgences</th>"), "Urgences 4 1 3");
    assert_eq!(row(body, "Hospitalisation</th>"), "Hospitalisation 4 0 4");
    assert!(text_of(body).contains(
        "Crise en cours : niveau 2 (Cellule de crise activée), déclarée le 15/03/2024 08:00:00, depuis 4 h 00"
    ));
    for name in ["MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT"] {
        assert!(!body.contains(name), "{name} shown on the dashboard");
    }
    // The live part and its script.
    assert!(body.contains("data-flux=\"/crise/tableau/flux?lang=fr\""));
    assert!(body.contains("<script src=\"/static/dashboard.js?v="));
    let script = node.get(&session, "/static/dashboard.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.body.contains("new EventSource(url)"));
}

#[tokio::test]
async fn a_unit_report_shows_on_the_dashboard_with_its_status() {
    let _clock = CLOCK.read().await;
    let node = CrisisNode::new();
    declare(&node, clock_now() - 30 * MINUTE);
    let cadre = node.login_as("cadre-rea", Role::UnitManager, unit("REA"));

    let dashboard = node.get(&cadre, "/crise/tableau").await;
    assert!(
        dashboard.body.contains("href=\"/crise/unites/REA/point\""),
        "the cadre's own unit is offered"
    );
    assert!(!dashboard.body.contains("/crise/unites/URG/point"));
    assert!(
        !dashboard.body.contains("href=\"/crise/stocks\""),
        "no stock count for a cadre"
    );
    assert!(text_of(&unit_row(&dashboard.body, "REA")).contains("Premier point attendu"));

    let form = node.get(&cadre, "/crise/unites/REA/point").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"presents\""));
    assert!(form.body.contains("Aucun point pour cette unité."));
    let sent = node
        .post(
            &cadre,
            "/crise/unites/REA/point",
            &[
                ("presents", "8"),
                ("necessaires", "11"),
                ("statut", "rouge"),
                ("besoins", "2 IDE de nuit, 1 respirateur"),
                ("commentaire", "Relève assurée jusqu'à 20 h"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(sent.header("location"), "/crise/tableau");

    let page = node.get(&director(&node), "/crise/tableau").await;
    let rea = unit_row(&page.body, "REA");
    assert!(
        rea.contains("Rouge 8 / 11 2 IDE de nuit, 1 respirateur il y a 0 min, par cadre-rea"),
        "{rea}"
    );
    assert!(page.body.contains("<span class=\"rag red\">Rouge</span>"));
    assert!(page.body.contains("<td class=\"num short\">8 / 11</td>"));
    assert!(text_of(&page.body).contains("1 à jour, 0 en retard, 2 en attente"));

    let form = node.get(&cadre, "/crise/unites/REA/point").await;
    let history = text_of(&form.body);
    assert!(history.contains("cadre-rea Rouge 8 / 11"), "{history}");
    assert!(history.contains("Relève assurée jusqu'à 20 h"));
}

#[tokio::test]
async fn units_silent_longer_than_the_interval_are_flagged() {
    let _clock = CLOCK.write().await;
    let node = CrisisNode::new();
    let now = clock_now();
    declare(&node, now - 3 * HOUR);
    commit(
        &node,
        now - 150 * MINUTE,
        "cadre-rea",
        vec![report("REA", Rag::Green, 9, 9)],
    );
    commit(
        &node,
        now - 115 * MINUTE,
        "cadre-urg",
        vec![report("URG", Rag::Orange, 5, 7)],
    );
    let session = director(&node);

    let page = node.get(&session, "/crise/tableau").await;
    let body = &page.body;
    assert!(unit_row(body, "REA").ends_with("Vert 9 / 9 Pas de point depuis 2 h 30"));
    assert!(body.contains("<tr class=\"late\"><td data-unit-code=\"REA\">"));
    assert!(unit_row(body, "URG").ends_with("Orange 5 / 7 il y a 1 h 55, par cadre-urg"));
    assert!(
        body.contains("<tr><td data-unit-code=\"URG\">"),
        "URG on time"
    );
    assert!(
        unit_row(body, "CARDIO").ends_with("Aucun point depuis la déclaration, il y a 3 h 00"),
        "{}",
        unit_row(body, "CARDIO")
    );
    assert!(text_of(body).contains("(un toutes les 2 h 00) : 1 à jour, 2 en retard, 0 en attente"));

    // Ten minutes on, URG's report is 2 h 05 old: late too.
    advance(10 * MINUTE);
    let page = node.get(&session, "/crise/tableau").await;
    assert!(unit_row(&page.body, "URG").ends_with("Pas de point depuis 2 h 05"));
    assert!(text_of(&page.body).contains("0 à jour, 3 en retard"));
}

#[tokio::test]
async fn stocks_are_projected_from_their_counts_or_the_plan() {
    let _clock = CLOCK.read().await;
    let node = CrisisNode::new();
    let now = clock_now();
    declare(&node, now - 30 * HOUR);
    // 60 oxygen bottles a day ago, 36 now: 24 a day observed, 1.5 days left.
    commit(&node, now - 24 * HOUR, "pharma", vec![count("O2-B5", 60.0)]);
    commit(&node, now, "pharma", vec![count("O2-B5", 36.0)]);
    // One count only: the plan's 2 a day.
    commit(&node, now, "pharma", vec![count("CGR-ONEG", 10.0)]);
    let pharmacist = node.login_as("pharma", Role::Pharmacist, Scope::AllUnits);
    let sent = node
        .post(
            &pharmacist,
            "/crise/stocks",
            &[
                ("stock", "PFC-AB"),
                ("quantite", "2,5"),
                ("commentaire", ""),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(sent.header("location"), "/crise/stocks");

    let page = node.get(&director(&node), "/crise/tableau").await;
    let body = &page.body;
    assert_eq!(
        row(body, "Bouteilles d&#39;oxygène B5"),
        "Bouteilles d'oxygène B5 36 bouteilles Alerte 24 bouteilles par jour (observé) 1,5 j le 15/03/2024 12:00:00 par pharma"
    );
    assert_eq!(
        row(body, "Concentrés de globules rouges O négatif"),
        "Concentrés de globules rouges O négatif 10 poches Normal 2 poches par jour (plan) 5 j le 15/03/2024 12:00:00 par pharma"
    );
    let plasma = row(body, "Plasma frais congelé AB");
    assert!(
        plasma.starts_with(
            "Plasma frais congelé AB 2,5 poches Critique 1 poches par jour (plan) 2,5 j"
        ),
        "{plasma}"
    );
    assert!(
        body.contains("<tr class=\"stock-critical\"><th scope=\"row\">Plasma frais congelé AB")
    );
    assert!(row(body, "Noradrénaline").contains("Jamais compté Inconnu"));

    let form = node.get(&pharmacist, "/crise/stocks").await;
    assert_eq!(form.status, StatusCode::OK);
    let oxygen = row(&form.body, "Bouteilles d&#39;oxygène B5");
    assert!(oxygen.contains("alerte à 40, critique à 15"), "{oxygen}");
    assert!(oxygen.contains("36 bouteilles Alerte 24 bouteilles par jour (observé) 1,5 j"));
}

#[tokio::test]
async fn open_and_overdue_tasks_and_open_alerts_are_listed_newest_first() {
    let _clock = CLOCK.read().await;
    let node = CrisisNode::new();
    let now = clock_now();
    declare(&node, now - 2 * HOUR);
    let task = |id: &str, title: &str, owner: Assignee, due_ms: i64| {
        Fact::Crisis(CrisisFact::TaskCreated {
            id: ItemId(id.into()),
            title: title.into(),
            detail: String::new(),
            assignee: owner,
            due_ms: Some(due_ms),
            decision: None,
        })
    };
    commit(
        &node,
        now - 90 * MINUTE,
        "dir",
        vec![
            task(
                "t1",
                "Imprimer les plans de soins",
                Assignee::Unit("REA".into()),
                now - 75 * MINUTE,
            ),
            task(
                "t2",
                "Rappeler les renforts",
                Assignee::Role("cadre".into()),
                now - 30 * MINUTE,
            ),
            task(
                "t3",
                "Prévenir l'ARS",
                Assignee::Person("dir".into()),
                now + HOUR,
            ),
            task(
                "t4",
                "Ouvrir la salle de crise",
                Assignee::Person("dir".into()),
                now - HOUR,
            ),
        ],
    );
    let done = CrisisFact::TaskUpdated {
        id: ItemId("t4".into()),
        status: TaskStatus::Done,
        assignee: None,
        due_ms: None,
        note: String::new(),
    };
    commit(&node, now - 80 * MINUTE, "dir", vec![Fact::Crisis(done)]);
    let alert = |id: &str, subject: &str, since_ms: i64| {
        Fact::Crisis(CrisisFact::AlertRaised {
            id: ItemId(id.into()),
            key: format!("silence:{subject}"),
            kind: AlertKind::FeedSilent,
            subject: subject.into(),
            since_ms,
            evidence: format!("Aucun message de {subject} depuis 40 min"),
        })
    };
    commit(
        &node,
        now - 3 * HOUR,
        "système",
        vec![alert("a1", "sih-adt", now - 4 * HOUR)],
    );
    commit(
        &node,
        now - 2 * HOUR,
        "système",
        vec![alert("a2", "sih-labo", now - 3 * HOUR)],
    );
    let seen = CrisisFact::AlertAcknowledged {
        id: ItemId("a1".into()),
    };
    commit(&node, now - HOUR, "dir", vec![Fact::Crisis(seen)]);

    let page = node.get(&director(&node), "/crise/tableau").await;
    let text = text_of(&page.body);
    assert!(
        text.contains("Tâches ouvertes : 3, dont 2 en retard · Toutes les tâches"),
        "{text}"
    );
    let newest = page.body.find("Rappeler les renforts").expect("t2 listed");
    let oldest = page
        .body
        .find("Imprimer les plans de soins")
        .expect("t1 listed");
    assert!(newest < oldest, "newest first");
    assert_eq!(
        row(&page.body, "Rappeler les renforts"),
        "Rappeler les renforts Cadre de santé 30 min"
    );
    assert_eq!(
        row(&page.body, "Imprimer les plans de soins"),
        "Imprimer les plans de soins unité REA 1 h 15"
    );
    assert!(page.body.contains("<a href=\"/crise/taches/t2\">"));
    assert!(!page.body.contains("Prévenir l&#39;ARS"), "not overdue");
    assert!(!page.body.contains("Ouvrir la salle de crise"), "done");

    assert!(
        text.contains("Alertes ouvertes : 2 · Toutes les alertes"),
        "{text}"
    );
    assert_eq!(
        row(&page.body, "sih-labo"),
        "Flux silencieux sih-labo 15/03/2024 09:00:00 Aucun message de sih-labo depuis 40 min"
    );
    assert_eq!(
        row(&page.body, "sih-adt"),
        "Flux silencieux (vue) sih-adt 15/03/2024 08:00:00 Aucun message de sih-adt depuis 40 min"
    );
    assert!(
        page.body.find("sih-labo") < page.body.find("sih-adt"),
        "newest first"
    );
}

#[tokio::test]
async fn forms_are_refused_outside_ones_units_and_roles() {
    let _clock = CLOCK.read().await;
    let node = CrisisNode::new();
    let cadre = node.login_as("cadre-rea", Role::UnitManager, unit("REA"));
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    let before = crisis_events(&node);

    let other = node.get(&cadre, "/crise/unites/URG/point").await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let fields = [("presents", "3"), ("necessaires", "3"), ("statut", "vert")];
    let other = node.post(&cadre, "/crise/unites/URG/point", &fields).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let unknown = node.get(&director(&node), "/crise/unites/NOPE/point").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    assert_eq!(
        node.get(&nurse, "/crise/stocks").await.status,
        StatusCode::FORBIDDEN
    );
    let count = [("stock", "O2-B5"), ("quantite", "12")];
    let refused = node.post(&nurse, "/crise/stocks", &count).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        node.get(&nurse, "/crise/unites/REA/point").await.status,
        StatusCode::FORBIDDEN,
        "a nurse sends no unit report"
    );
    assert_eq!(crisis_events(&node), before, "nothing recorded");
}

#[tokio::test]
async fn bad_input_is_explained_in_french_and_records_nothing() {
    let _clock = CLOCK.read().await;
    let node = CrisisNode::new();
    let cadre = node.login_as("cadre-rea", Role::UnitManager, unit("REA"));
    let pharmacist = node.login_as("pharma", Role::Pharmacist, Scope::AllUnits);
    let before = crisis_events(&node);

    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[
                ("presents", "-3"),
                ("necessaires", "10"),
                ("statut", "vert"),
            ],
            "« Soignants présents » doit être un nombre entier de 0 à 10 000 (saisi : « -3 »).",
        ),
        (
            &[("presents", "3"), ("necessaires", ""), ("statut", "vert")],
            "Indiquez « Soignants nécessaires ».",
        ),
        (
            &[
                ("presents", "3"),
                ("necessaires", "4"),
                ("statut", "violet"),
            ],
            "Choisissez l'état de l'unité : vert, orange ou rouge.",
        ),
    ];
    for (fields, message) in cases {
        let answer = node.post(&cadre, "/crise/unites/REA/point", fields).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{message}");
        assert!(
            answer.body.contains(&html(message)),
            "{message}: {}",
            answer.body
        );
    }
    let kept = node
        .post(
            &cadre,
            "/crise/unites/REA/point",
            &[
                ("presents", "abc"),
                ("necessaires", "4"),
                ("besoins", "oxygène"),
            ],
        )
        .await;
    assert!(
        kept.body.contains(">oxygène</textarea>"),
        "what was typed stays"
    );

    let cases = [
        (
            ("O2-B5", "abc"),
            "« abc » n'est pas une quantité : saisissez un nombre comme 12 ou 12,5 (stock « Bouteilles d'oxygène B5 »).",
        ),
        (
            ("O2-B5", "-4"),
            "La quantité ne peut pas être négative (saisi : « -4 » pour « Bouteilles d'oxygène B5 »).",
        ),
        (
            ("XYZ", "12"),
            "Stock inconnu : « XYZ » ne figure pas dans le plan de continuité.",
        ),
    ];
    for ((stock, quantity), message) in cases {
        let fields = [
            ("stock", stock),
            ("quantite", quantity),
            ("commentaire", ""),
        ];
        let answer = node.post(&pharmacist, "/crise/stocks", &fields).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{message}");
        assert!(
            answer.body.contains(&html(message)),
            "{message}: {}",
            answer.body
        );
    }
    assert_eq!(crisis_events(&node), before, "nothing recorded");
}

/// The `tableau` events of a dashboard stream, read as they come.
struct Events {
    body: axum::body::BodyDataStream,
    buffer: Vec<u8>,
}

impl Events {
    async fn open(node: &CrisisNode, session: &TestSession, uri: &str) -> Events {
        let request = Request::get(uri)
            .header(COOKIE, &session.cookie)
            .body(Body::empty())
            .expect("request");
        let response = node.router.clone().oneshot(request).await.expect("answer");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers().get(CONTENT_TYPE).expect("type"),
            "text/event-stream"
        );
        Events {
            body: response.into_body().into_data_stream(),
            buffer: Vec::new(),
        }
    }

    /// The data of the first coming `tableau` event that holds `needle`
    /// (a snapshot published meanwhile for another reason may come first).
    async fn next_with(&mut self, needle: &str) -> String {
        loop {
            let event = self.next().await;
            if event.contains(needle) {
                return event;
            }
        }
    }

    /// The data of the next `tableau` event (its lines joined), waiting at
    /// most five seconds.
    async fn next(&mut self) -> String {
        loop {
            let block = self.block().await.expect("the stream stays open");
            if block.lines().any(|l| l == "event: tableau") {
                return block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data: "))
                    .collect::<Vec<_>>()
                    .join("\n");
            }
        }
    }

    /// The next block of the stream (an event or a comment), waiting at
    /// most five seconds; `None` once the stream ended.
    async fn block(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                return Some(String::from_utf8(block).expect("UTF-8 event"));
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), self.body.next())
                .await
                .expect("a block or the end within 5 s")?;
            self.buffer
                .extend_from_slice(&chunk.expect("the stream reads"));
        }
    }

    /// Waits for the stream to end, failing if a block holding `needle`
    /// comes before the end.
    async fn ends_without(&mut self, needle: &str) {
        while let Some(block) = self.block().await {
            assert!(!block.contains(needle), "sent after the end: {block}");
        }
    }
}

/// The content of the fragment's hidden banner, which the script puts in
/// place of the page's.
fn pushed_banner(fragment: &str) -> String {
    let start = fragment
        .find("<template id=\"tableau-bandeau\">")
        .expect("a banner in the fragment");
    let rest = &fragment[start..];
    rest[rest.find('>').expect("tag ends") + 1..rest.find("</template>").expect("template ends")]
        .trim()
        .to_owned()
}

fn level_changed(node: &CrisisNode, at_ms: i64, level: u8) {
    let fact = CrisisFact::LevelChanged {
        crisis: CrisisId("crise-test".into()),
        level,
        reason: "plan blanc".into(),
    };
    commit(node, at_ms, "dir", vec![Fact::Crisis(fact)]);
}

fn closed(node: &CrisisNode, at_ms: i64) {
    let fact = CrisisFact::Closed {
        crisis: CrisisId("crise-test".into()),
        reason: "SIH rétabli".into(),
    };
    commit(node, at_ms, "dir", vec![Fact::Crisis(fact)]);
}

#[tokio::test]
async fn the_stream_sends_the_dashboard_on_connect_and_after_each_change() {
    let _clock = CLOCK.read().await;
    let node = CrisisNode::new();
    let session = director(&node);
    let pharmacist = node.login_as("pharma", Role::Pharmacist, Scope::AllUnits);

    let mut french = Events::open(&node, &session, "/crise/tableau/flux").await;
    let first = french.next().await;
    assert!(first.contains("Mis à jour à 12:00:00"), "{first}");
    assert!(first.contains("data-unit-code=\"REA\""));
    let oxygen = row(&first, "Bouteilles d&#39;oxygène B5");
    assert!(oxygen.contains("Jamais compté"), "{oxygen}");

    let mut english = Events::open(&node, &session, "/crise/tableau/flux?lang=en").await;
    let first = english.next().await;
    assert!(first.contains("Updated at 12:00:00"), "{first}");

    let fields = [("stock", "O2-B5"), ("quantite", "777"), ("commentaire", "")];
    let sent = node.post(&pharmacist, "/crise/stocks", &fields).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let update = french.next_with("777").await;
    let oxygen = row(&update, "Bouteilles d&#39;oxygène B5");
    assert!(oxygen.contains("777 bouteilles Normal"), "{oxygen}");
    let update = english.next_with("777").await;
    let oxygen = row(&update, "Bouteilles d&#39;oxygène B5");
    assert!(
        oxygen.contains("777 bouteilles Normal 12 bouteilles a day (plan)"),
        "{oxygen}"
    );
}

#[tokio::test]
async fn the_pushed_fragment_carries_the_banner_of_the_crisis_as_it_is_now() {
    let _clock = CLOCK.read().await;
    let node = CrisisNode::new();
    let session = director(&node);
    let now = clock_now();
    declare(&node, now - 30 * MINUTE);

    // The page's banner and the one pushed are the same markup.
    let page = node.get(&session, "/crise/tableau").await;
    let at = page
        .body
        .find("<div id=\"banner\"")
        .expect("the layout's banner");
    let layout = &page.body[at..];
    let layout = &layout[layout.find('>').expect("banner tag") + 1..];
    let layout = &layout[..layout.find("</p>").expect("banner paragraph") + 4];
    let mut stream = Events::open(&node, &session, "/crise/tableau/flux").await;
    let first = pushed_banner(&stream.next().await);
    assert!(
        first.starts_with("<p class=\"crisis-banner\" role=\"status\">"),
        "{first}"
    );
    assert!(
        first.contains("Crise déclarée — niveau 2 (Cellule de crise activée)"),
        "{first}"
    );
    assert!(layout.ends_with(&first), "{layout}\n{first}");

    level_changed(&node, now - 20 * MINUTE, 3);
    let update = stream.next_with("niveau 3").await;
    let banner = pushed_banner(&update);
    assert!(
        banner.contains("Crise déclarée — niveau 3 (Plan blanc)"),
        "{banner}"
    );
    assert!(!banner.contains("niveau 2"), "{banner}");

    let mut english = Events::open(&node, &session, "/crise/tableau/flux?lang=en").await;
    let banner = pushed_banner(&english.next().await);
    assert!(
        banner.contains("Crisis declared — level 3 (Plan blanc)"),
        "{banner}"
    );

    closed(&node, now - 10 * MINUTE);
    loop {
        let update = stream.next().await;
        let banner = pushed_banner(&update);
        if !banner.contains("crisis-banner") {
            assert_eq!(banner, "", "nothing once closed");
            break;
        }
    }
}

#[tokio::test]
async fn the_streams_end_when_the_session_is_logged_out() {
    let _clock = CLOCK.read().await;
    let node = CrisisNode::new();
    let session = director(&node);
    let pharmacist = node.login_as("pharma", Role::Pharmacist, Scope::AllUnits);
    let mut dashboard = Events::open(&node, &session, "/crise/tableau/flux").await;
    dashboard.next().await;
    let mut generations = Events::open(&node, &session, "/evenements").await;
    let block = generations.block().await.expect("the first generation");
    assert!(block.contains("event: generation"), "{block}");

    let out = node.post(&session, "/deconnexion", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let fields = [("stock", "O2-B5"), ("quantite", "777"), ("commentaire", "")];
    let sent = node.post(&pharmacist, "/crise/stocks", &fields).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    dashboard.ends_without("777").await;
    generations.ends_without("event: generation").await;
}

#[tokio::test]
async fn the_streams_end_when_the_account_is_disabled() {
    let _clock = CLOCK.read().await;
    let node = CrisisNode::new();
    let session = director(&node);
    let pharmacist = node.login_as("pharma", Role::Pharmacist, Scope::AllUnits);
    let mut dashboard = Events::open(&node, &session, "/crise/tableau/flux").await;
    dashboard.next().await;
    let mut generations = Events::open(&node, &session, "/evenements").await;
    generations.block().await.expect("the first generation");

    node.directory
        .disable_user("dir", &ckisa_auth::Actor::cli(), clock_now())
        .expect("account disabled");
    let fields = [("stock", "O2-B5"), ("quantite", "777"), ("commentaire", "")];
    let sent = node.post(&pharmacist, "/crise/stocks", &fields).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    dashboard.ends_without("777").await;
    generations.ends_without("event: generation").await;
}

/// A count recorded by another process on the same folder (no commit in
/// this one, so no generation change here) still reaches the open streams.
#[tokio::test]
async fn a_change_recorded_by_another_process_reaches_the_stream() {
    use ckisa_crisis::ledger::{self, Author};
    use ckisa_domain::{Actor, CrisisFact, Hlc, NodeId};
    use ckisa_store_sqlite::{SqliteOptions, SqliteStore};

    let _clock = CLOCK.read().await;
    let node = CrisisNode::new();
    let session = director(&node);
    let mut stream = Events::open(&node, &session, "/crise/tableau/flux").await;
    let first = stream.next().await;
    assert!(!first.contains("4242"), "{first}");

    let other = SqliteStore::open(
        &node.dir.path().join("store"),
        SqliteOptions::new("Europe/Paris"),
    )
    .expect("second store");
    let mut book = ledger::load(&other).expect("book");
    let author = Author {
        actor: Actor::User("pharma".into()),
        node: NodeId("noeud-test".into()),
        origin: "cli",
    };
    let now = support::crisis::clock_now();
    let counted = CrisisFact::StockCounted {
        stock: "O2-B5".into(),
        quantity: 4242.0,
        comment: String::new(),
    };
    let hlc = Hlc::new(u64::try_from(now).unwrap(), 0);
    ledger::record(&mut book, &other, &author, counted, hlc, now).expect("counted");
    let update = stream.next_with("4242").await;
    assert!(
        row(&update, "Bouteilles d&#39;oxygène B5").contains("4242"),
        "{update}"
    );
}
