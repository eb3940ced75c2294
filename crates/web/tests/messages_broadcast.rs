//! Priority broadcasts and the staff recall through the pages and the API,
//! over a real SQLite store and the node's controllable clock: recipients
//! resolved from the accounts, the tally per unit as people read and
//! acknowledge, who may open and send what, the escalation to unit
//! managers and then through the notification hook (a script written to a
//! temporary folder that records what it is told), a failing or missing
//! hook, the recall of the roster with answers by link (no session), by
//! SMS through the API and typed by the cell, and escaped text.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE, LOCATION};
use axum::http::{Request, StatusCode};
use ckisa_audit::AuditTrail;
use ckisa_auth::{Action, ArgonParams, AuthOptions, Directory, NewUser, Role, Scope};
use ckisa_messaging::settings::{Delays, Escalation, Hook, RosterPerson, Settings};
use ckisa_store::{Store, UnitDefinition};
use ckisa_store_sqlite::key::DbKey;
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};
use futures_util::StreamExt as _;
use support::crisis::{CrisisNode, UNITS, advance, clock_now, form_encode, html, unit};
use support::{Answer, PASSWORD, TestSession, send};

const MINUTE: i64 = 60_000;
const INBOX: &str = "/messagerie/diffusions";
const NEW: &str = "/messagerie/diffusions/nouvelle";
const RECALLS: &str = "/messagerie/rappels";
const NEW_RECALL: &str = "/messagerie/rappels/nouveau";

fn clock() -> i64 {
    clock_now()
}

/// A node over SQLite (units REA, URG and CARDIO) whose messaging settings
/// are `settings`.
fn node_with(settings: Settings) -> CrisisNode {
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
            beds: (1..=2).map(|n| (format!("{n}"), format!("{n}"))).collect(),
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
    let mut config = support::test_config();
    config.messaging = Arc::new(settings);
    let security = ckisa_web::Security {
        directory: directory.clone(),
        trail: trail.clone(),
        secure_cookies: false,
    };
    let state =
        ckisa_web::AppState::with_clock(store.clone() as Arc<dyn Store>, config, security, clock);
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

/// The notification hook: `/bin/sh` running `body` with the folder as its
/// first argument.
fn hook_script(folder: &Path, body: &str) -> Hook {
    let path = folder.join("crochet.sh");
    std::fs::write(&path, body).expect("write the hook script");
    Hook {
        program: "/bin/sh".into(),
        args: vec![path.display().to_string(), folder.display().to_string()],
        timeout_s: 5,
    }
}

/// A hook that writes each `CKISA_NOTIF_*` variable it gets, and its input,
/// to files named after the notice (`escalade-<broadcast>.TEXTE`,
/// `rappel-<code>.LIEN`, `...json`).
const RECORDING_HOOK: &str = r#"d="$1"
name="$CKISA_NOTIF_TYPE-${CKISA_NOTIF_CODE:-$CKISA_NOTIF_DIFFUSION}"
for v in TYPE TEXTE PRIORITE DESTINATAIRES DIFFUSION RAPPEL TELEPHONE NOM LIEN CODE SMS; do
  printenv "CKISA_NOTIF_$v" > "$d/$name.$v" || true
done
cat > "$d/$name.json"
"#;

const FAILING_HOOK: &str = "echo 'passerelle SMS injoignable' >&2\nexit 3\n";

/// What the recording hook wrote for `name` and variable `var`.
fn recorded(folder: &Path, name: &str, var: &str) -> String {
    let path = folder.join(format!("{name}.{var}"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    text.strip_suffix('\n').unwrap_or(&text).to_owned()
}

/// Settings with urgent broadcasts escalating to managers after 10 min and
/// through the hook after 20, important ones straight to the hook after 5.
fn settings(hook: Option<Hook>) -> Settings {
    Settings {
        escalation: Escalation {
            urgent: Delays {
                manager_after_min: Some(10),
                hook_after_min: Some(20),
            },
            important: Delays {
                manager_after_min: None,
                hook_after_min: Some(5),
            },
            information: Delays::NONE,
        },
        hook,
        ..Settings::default()
    }
}

/// A page's text with askama's escapes undone, to look for sentences.
fn text(answer: &Answer) -> String {
    [
        ("&#39;", "'"),
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#60;", "<"),
        ("&lt;", "<"),
        ("&#62;", ">"),
        ("&gt;", ">"),
        ("&#38;", "&"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(answer.body.clone(), |body, (escape, plain)| {
        body.replace(escape, plain)
    })
}

/// A new session of an account created earlier (after the clock moved).
fn session_of(node: &CrisisNode, login: &str) -> TestSession {
    let session = node
        .directory
        .login(
            login,
            PASSWORD,
            "127.0.0.1".parse().expect("ip"),
            clock_now(),
        )
        .expect("login");
    TestSession {
        cookie: format!("ckisa_session={}", session.token),
        csrf: session.csrf,
    }
}

/// The id at the end of a 303's location, after `prefix`.
fn redirected_id(answer: &Answer, prefix: &str) -> String {
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let location = answer.header(LOCATION.as_str());
    location
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{location} does not start with {prefix}"))
        .to_owned()
}

/// Sends a broadcast as `who`; its id.
async fn broadcast(node: &CrisisNode, who: &TestSession, fields: &[(&str, &str)]) -> String {
    let answer = node.post(who, NEW, fields).await;
    redirected_id(&answer, &format!("{INBOX}/"))
}

/// The numbers of one unit's row of a tally: recipients, read, acknowledged,
/// and the pending names.
fn tally_row(page: &str, unit: &str) -> (usize, usize, usize, String) {
    let marker = format!("data-unite=\"{unit}\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no row for {unit} in {page}"));
    let row = &page[start..start + page[start..].find("</tr>").expect("row end")];
    let cell = |class: &str| -> String {
        let open = format!("<td class=\"{class}\">");
        let at = row
            .find(&open)
            .unwrap_or_else(|| panic!("{class} in {row}"))
            + open.len();
        row[at..at + row[at..].find("</td>").expect("cell end")].to_owned()
    };
    let number = |class: &str| cell(class).parse::<usize>().expect("a count");
    (
        number("recipients"),
        number("read"),
        number("acknowledged"),
        cell("pending"),
    )
}

/// The units a tally has rows for, in order.
fn tally_units(page: &str) -> Vec<String> {
    page.split("data-unite=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// The `#decompte` block of a broadcast page.
fn tally_block(page: &str) -> &str {
    let start = page.find("id=\"decompte\"").expect("the tally block");
    let end = page[start..].find("</section>").expect("its end") + start;
    &page[start..end]
}

/// Creates an account without logging it in.
fn add(node: &CrisisNode, login: &str, name: &str, role: Role, scope: Scope) {
    let user = NewUser {
        login: login.into(),
        display_name: name.into(),
        role,
        scope,
        password: Some(PASSWORD.into()),
        must_change: false,
    };
    node.directory
        .add_user(&user, &ckisa_auth::Actor::cli(), clock_now())
        .expect("account added");
}

#[tokio::test]
async fn a_director_broadcasts_and_follows_reading_and_acknowledgement_per_unit() {
    let node = node_with(settings(None));
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    let cadre_rea = node.login_as("cadre-rea", Role::UnitManager, unit("REA"));
    let cadre_cardio = node.login_as("cadre-cardio", Role::UnitManager, unit("CARDIO"));
    let nurse_urg = node.login_as("ide-urg", Role::Nurse, unit("URG"));
    let nurse_rea = node.login_as("ide-rea", Role::Nurse, unit("REA"));
    node.login_as("pharma", Role::Pharmacist, Scope::AllUnits);
    add(
        &node,
        "ide-partie",
        "Test ide-partie",
        Role::Nurse,
        unit("URG"),
    );
    node.directory
        .disable_user("ide-partie", &ckisa_auth::Actor::cli(), clock_now())
        .expect("disabled");

    let id = broadcast(
        &node,
        &director,
        &[
            (
                "texte",
                "Passage en mode dégradé : papier pour toutes les prescriptions.",
            ),
            ("priorite", "urgent"),
            ("role", "cadre"),
            ("unite", "URG"),
        ],
    )
    .await;
    let page_of = format!("{INBOX}/{id}");

    // Recipients: the unit managers under their units, the active staff of
    // URG; not the pharmacist, not the disabled account, not the sender.
    let page = node.get(&director, &page_of).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let tally = tally_block(&page.body);
    assert_eq!(tally_units(tally), ["CARDIO", "REA", "URG"]);
    assert_eq!(tally_row(tally, "REA"), (1, 0, 0, "Test cadre-rea".into()));
    assert_eq!(
        tally_row(tally, "CARDIO"),
        (1, 0, 0, "Test cadre-cardio".into())
    );
    assert_eq!(tally_row(tally, "URG"), (1, 0, 0, "Test ide-urg".into()));
    assert!(text(&page).contains("3 destinataire(s) : 0 lu(s), 0 accusé(s) de réception"));
    assert!(page.body.contains(&format!("data-diffusion=\"{id}\"")));

    // Someone who is not a recipient may open nothing, and learns no more
    // than with an id that does not exist: both answer 404.
    let refused = node.get(&nurse_rea, &page_of).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let refused = node
        .post(&nurse_rea, &format!("{page_of}/accuser"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let unknown = node.get(&nurse_rea, &format!("{INBOX}/inconnue")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let unknown = node
        .post(&nurse_rea, &format!("{INBOX}/inconnue/accuser"), &[])
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let inbox = node.get(&nurse_rea, INBOX).await;
    assert!(!inbox.body.contains(&id), "not in her inbox");

    // The manager finds it to acknowledge; opening it counts as read, once.
    let inbox = node.get(&cadre_rea, INBOX).await;
    assert_eq!(inbox.status, StatusCode::OK);
    let pending = &inbox.body[inbox.body.find("id=\"diffusions-recues\"").expect("list")..];
    assert!(
        pending.contains(&format!("id=\"d-{id}\"")),
        "{}",
        inbox.body
    );
    let opened = node.get(&cadre_rea, &page_of).await;
    assert_eq!(opened.status, StatusCode::OK);
    assert!(text(&opened).contains("J'accuse réception"));
    assert!(
        !opened.body.contains("id=\"decompte\""),
        "a recipient sees no tally"
    );
    node.get(&cadre_rea, &page_of).await;
    let page = node.get(&director, &page_of).await;
    assert_eq!(
        tally_row(tally_block(&page.body), "REA"),
        (1, 1, 0, "Test cadre-rea".into())
    );

    // Acknowledging counts; a second acknowledgement is harmless.
    let acked = node
        .post(&cadre_rea, &format!("{page_of}/accuser"), &[])
        .await;
    assert_eq!(acked.status, StatusCode::SEE_OTHER, "{}", acked.body);
    assert_eq!(acked.header(LOCATION.as_str()), page_of);
    let again = node
        .post(&cadre_rea, &format!("{page_of}/accuser"), &[])
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    let page = node.get(&director, &page_of).await;
    let tally = tally_block(&page.body);
    assert_eq!(tally_row(tally, "REA"), (1, 1, 1, String::new()));
    assert_eq!(tally_row(tally, "URG"), (1, 0, 0, "Test ide-urg".into()));
    assert!(text(&page).contains("3 destinataire(s) : 1 lu(s), 1 accusé(s) de réception"));
    let mine = node.get(&cadre_rea, &page_of).await;
    assert!(text(&mine).contains("Réception accusée le"));
    assert!(!text(&mine).contains("J'accuse réception</button>"));

    // Acknowledging straight from the inbox counts as read too.
    let acked = node
        .post(&nurse_urg, &format!("{page_of}/accuser"), &[])
        .await;
    assert_eq!(acked.status, StatusCode::SEE_OTHER);
    let page = node.get(&director, &page_of).await;
    assert_eq!(
        tally_row(tally_block(&page.body), "URG"),
        (1, 1, 1, String::new())
    );

    // The sender's inbox sums it up; the crisis cell's too.
    let sent = node.get(&director, INBOX).await;
    let sent_text = text(&sent);
    assert!(sent_text.contains("Diffusions envoyées"), "{sent_text}");
    assert!(
        sent.body.contains("<td class=\"recipients\">3</td>"),
        "{}",
        sent.body
    );
    assert!(sent.body.contains("<td class=\"acknowledged\">2</td>"));
    let cell = node.login_as("cellule", Role::CrisisCellMember, Scope::AllUnits);
    assert_eq!(node.get(&cell, &page_of).await.status, StatusCode::OK);
    let cardio_page = node.get(&cadre_cardio, INBOX).await;
    assert!(cardio_page.body.contains(&format!("id=\"d-{id}\"")));
}

#[tokio::test]
async fn a_unit_manager_broadcasts_to_her_own_units_only() {
    let node = node_with(settings(None));
    let cadre = node.login_as("cadre-rea", Role::UnitManager, unit("REA"));
    let nurse = node.login_as("ide-rea", Role::Nurse, unit("REA"));
    node.login_as("ide-cardio", Role::Nurse, unit("CARDIO"));

    let form = node.get(&cadre, NEW).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("value=\"REA\""));
    assert!(!form.body.contains("value=\"CARDIO\""), "only her units");
    assert!(!form.body.contains("name=\"role\""), "no roles for her");

    let other = node
        .post(
            &cadre,
            NEW,
            &[
                ("texte", "Réunion"),
                ("priorite", "important"),
                ("unite", "CARDIO"),
            ],
        )
        .await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    assert!(
        text(&other).contains(
            "L'unité CARDIO n'est pas dans votre périmètre : vous ne pouvez diffuser qu'à REA."
        ),
        "{}",
        other.body
    );
    assert!(text(&other).contains("Réunion"), "the form is given back");
    let by_role = node
        .post(
            &cadre,
            NEW,
            &[
                ("texte", "Réunion"),
                ("priorite", "important"),
                ("role", "infirmier"),
            ],
        )
        .await;
    assert_eq!(by_role.status, StatusCode::BAD_REQUEST);
    assert!(
        text(&by_role)
            .contains("Vous ne pouvez diffuser qu'à des unités, et seulement aux vôtres : REA.")
    );
    let everyone = node
        .post(
            &cadre,
            NEW,
            &[
                ("texte", "Réunion"),
                ("priorite", "important"),
                ("tous", "1"),
            ],
        )
        .await;
    assert_eq!(everyone.status, StatusCode::BAD_REQUEST);

    let id = broadcast(
        &node,
        &cadre,
        &[
            ("texte", "Réunion à 14 h"),
            ("priorite", "important"),
            ("unite", "REA"),
        ],
    )
    .await;
    let page = node.get(&cadre, &format!("{INBOX}/{id}")).await;
    assert_eq!(tally_units(tally_block(&page.body)), ["REA"]);
    assert_eq!(
        tally_row(tally_block(&page.body), "REA"),
        (1, 0, 0, "Test ide-rea".into())
    );

    // Nurses send no broadcast.
    assert_eq!(node.get(&nurse, NEW).await.status, StatusCode::FORBIDDEN);
    let refused = node
        .post(
            &nurse,
            NEW,
            &[("texte", "x"), ("priorite", "urgent"), ("unite", "REA")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // An empty text and no target are said precisely.
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    let bad = node
        .post(&director, NEW, &[("texte", " "), ("priorite", "urgent")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad = text(&bad);
    assert!(
        bad.contains("Le texte ne convient pas : le message est vide."),
        "{bad}"
    );
    assert!(bad.contains("Choisissez les destinataires"), "{bad}");
}

#[tokio::test]
async fn silent_recipients_escalate_to_their_managers_then_through_the_hook() {
    let folder = tempfile::tempdir().expect("temp dir");
    let mut settings = settings(Some(hook_script(folder.path(), RECORDING_HOOK)));
    // The roster id is a staff number: the phone is found by the login
    // the entry names (`identifiant`), and an entry whose id happens to be
    // a pending login is not used.
    let entry = |id: &str, phone: &str, login: Option<&str>| RosterPerson {
        id: id.into(),
        name: "Test ide-urg".into(),
        role: "infirmier".into(),
        unit: "URG".into(),
        phone: phone.into(),
        login: login.map(str::to_owned),
    };
    settings.roster = vec![
        entry("ide-urg", "06 99 99 99 99", None),
        entry("M0042", "06 11 22 33 44", Some("ide-urg")),
    ];
    let node = node_with(settings);
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    node.login_as("cadre-urg", Role::UnitManager, unit("URG"));
    node.login_as(
        "cadre-nuit",
        Role::UnitManager,
        Scope::Units(vec!["URG".into(), "REA".into()]),
    );
    node.login_as("cadre-rea", Role::UnitManager, unit("REA"));
    node.login_as("ide-urg", Role::Nurse, unit("URG"));
    node.login_as("ide-urg2", Role::Nurse, unit("URG"));
    let nurse2 = session_of(&node, "ide-urg2");

    let id = broadcast(
        &node,
        &director,
        &[
            ("texte", "Confinement des urgences"),
            ("priorite", "urgent"),
            ("role", "infirmier"),
        ],
    )
    .await;
    let acked = node
        .post(&nurse2, &format!("{INBOX}/{id}/accuser"), &[])
        .await;
    assert_eq!(acked.status, StatusCode::SEE_OTHER);

    // Nothing a millisecond before the managers' delay, then once.
    advance(10 * MINUTE - 1);
    assert_eq!(
        ckisa_web::escalation_round(&node.state)
            .await
            .expect("round"),
        0
    );
    // A manager of URG follows her messaging live from now on.
    let mut manager_stream = live_stream(&node, &session_of(&node, "cadre-urg")).await;
    advance(1);
    assert_eq!(
        ckisa_web::escalation_round(&node.state)
            .await
            .expect("round"),
        1
    );
    assert_eq!(
        ckisa_web::escalation_round(&node.state)
            .await
            .expect("round"),
        0
    );
    let director = session_of(&node, "dir");
    let page = node.get(&director, &format!("{INBOX}/{id}")).await;
    let tally = text(&page);
    assert!(tally.contains("Cadres des unités prévenus"), "{tally}");
    assert!(
        tally.contains("Prévenus : Test cadre-nuit, Test cadre-urg"),
        "{tally}"
    );
    assert!(
        !tally.contains("Test cadre-rea"),
        "REA has nobody silent: {tally}"
    );

    // The escalation reaches her live stream, with the count of broadcasts
    // waiting in her units.
    let seen = read_until(&mut manager_stream, "\"type\":\"escalade\"").await;
    assert!(seen.contains(&format!("\"id\":\"{id}\"")), "{seen}");
    assert!(seen.contains("\"escalades\":1"), "{seen}");
    drop(manager_stream);

    // Every page header of the managers told says so.
    for manager in ["cadre-urg", "cadre-nuit"] {
        let session = session_of(&node, manager);
        let page = node.get(&session, "/messagerie").await;
        assert!(
            page.body.contains("class=\"escalation-strip\""),
            "{manager}: {}",
            page.body
        );
        assert!(
            text(&page).contains("Diffusions non accusées dans vos unités : 1"),
            "{manager}: {}",
            text(&page)
        );
    }
    let rea = session_of(&node, "cadre-rea");
    let page = node.get(&rea, "/messagerie").await;
    assert!(!page.body.contains("escalation-strip\""), "{}", page.body);

    // The managers told see it, with the silent people of their units.
    let cadre_urg = session_of(&node, "cadre-urg");
    let inbox = text(&node.get(&cadre_urg, INBOX).await);
    let watch = &inbox[inbox
        .find("class=\"broadcast-section broadcast-watch\"")
        .unwrap_or_else(|| panic!("{inbox}"))..];
    assert!(watch.contains("Confinement des urgences"), "{watch}");
    assert!(watch.contains("Test ide-urg"), "{watch}");
    assert!(
        !watch.contains("Test ide-urg2"),
        "she acknowledged: {watch}"
    );
    for other in ["cadre-rea", "ide-urg2"] {
        let session = session_of(&node, other);
        let inbox = text(&node.get(&session, INBOX).await);
        // Neither the inbox's block nor the header's line (the script's
        // label for that line is on every page).
        assert!(!inbox.contains("broadcast-watch"), "{other}: {inbox}");
        assert!(!inbox.contains("escalation-strip\""), "{other}: {inbox}");
    }

    // Then the hook, with the silent people.
    assert!(!folder.path().join(format!("escalade-{id}.json")).exists());
    advance(10 * MINUTE);
    assert_eq!(
        ckisa_web::escalation_round(&node.state)
            .await
            .expect("round"),
        1
    );
    let name = format!("escalade-{id}");
    assert_eq!(recorded(folder.path(), &name, "TYPE"), "escalade");
    assert_eq!(recorded(folder.path(), &name, "PRIORITE"), "urgent");
    assert_eq!(
        recorded(folder.path(), &name, "TEXTE"),
        "Confinement des urgences"
    );
    assert_eq!(
        recorded(folder.path(), &name, "DESTINATAIRES"),
        "06 11 22 33 44"
    );
    let input: serde_json::Value =
        serde_json::from_str(&recorded(folder.path(), &name, "json")).expect("JSON input");
    assert_eq!(input["type"], "escalade");
    assert_eq!(input["diffusion"], id.as_str());
    assert_eq!(
        input["destinataires"],
        serde_json::json!([
            { "login": "ide-urg", "nom": "Test ide-urg", "telephone": "06 11 22 33 44" }
        ])
    );
    assert_eq!(
        ckisa_web::escalation_round(&node.state)
            .await
            .expect("round"),
        0
    );
    let director = session_of(&node, "dir");
    let page = text(&node.get(&director, &format!("{INBOX}/{id}")).await);
    assert!(page.contains("Notification externe (crochet)"), "{page}");
    assert!(page.contains("Prévenus : 06 11 22 33 44"), "{page}");
    assert!(!page.contains("Échec"), "{page}");

    // Once the last silent nurse acknowledges, the manager's count drops to
    // zero, live and in her header.
    let mut manager_stream = live_stream(&node, &session_of(&node, "cadre-urg")).await;
    let nurse = session_of(&node, "ide-urg");
    let acked = node
        .post(&nurse, &format!("{INBOX}/{id}/accuser"), &[])
        .await;
    assert_eq!(acked.status, StatusCode::SEE_OTHER);
    let seen = read_until(&mut manager_stream, "\"escalades\":0").await;
    assert!(seen.contains("\"type\":\"escalade\""), "{seen}");
    let page = node
        .get(&session_of(&node, "cadre-urg"), "/messagerie")
        .await;
    assert!(!page.body.contains("escalation-strip\""), "{}", page.body);
}

/// The live stream of `session` from now on.
async fn live_stream(
    node: &CrisisNode,
    session: &TestSession,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin + use<> {
    let request = Request::get("/messagerie/flux")
        .header(COOKIE, &session.cookie)
        .body(Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(node.router.clone(), request)
        .await
        .expect("stream");
    assert_eq!(response.status(), StatusCode::OK);
    response.into_body().into_data_stream()
}

#[tokio::test]
async fn a_failing_or_missing_hook_is_recorded_as_such() {
    let folder = tempfile::tempdir().expect("temp dir");
    let failing = node_with(settings(Some(hook_script(folder.path(), FAILING_HOOK))));
    let missing = node_with(settings(None));
    for (node, expected) in [
        (
            &failing,
            "Échec : le crochet /bin/sh a échoué (code de sortie 3) : passerelle SMS injoignable",
        ),
        (&missing, "Échec : aucun crochet de notification configuré"),
    ] {
        let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
        node.login_as("ide-urg", Role::Nurse, unit("URG"));
        let id = broadcast(
            node,
            &director,
            &[
                ("texte", "Point de situation"),
                ("priorite", "important"),
                ("unite", "URG"),
            ],
        )
        .await;
        let page = text(&node.get(&director, &format!("{INBOX}/{id}")).await);
        assert!(
            page.contains("Escalade : notification externe après 5 min"),
            "{page}"
        );
        advance(5 * MINUTE);
        assert_eq!(
            ckisa_web::escalation_round(&node.state)
                .await
                .expect("round"),
            1
        );
        assert_eq!(
            ckisa_web::escalation_round(&node.state)
                .await
                .expect("round"),
            0
        );
        let director = session_of(node, "dir");
        let page = text(&node.get(&director, &format!("{INBOX}/{id}")).await);
        assert!(page.contains(expected), "{page}");
    }
}

/// A roster of four: two nurses (REA, URG), a physician of REA, a
/// pharmacist of no unit.
fn roster() -> Vec<RosterPerson> {
    let person = |id: &str, name: &str, role: &str, unit: &str, phone: &str| RosterPerson {
        id: id.into(),
        name: name.into(),
        role: role.into(),
        unit: unit.into(),
        phone: phone.into(),
        login: None,
    };
    vec![
        person("p1", "DUPONT Marie", "infirmier", "REA", "06 01 01 01 01"),
        person("p2", "Paul Martin", "infirmier", "URG", "06 02 02 02 02"),
        person("p3", "LEROY Anne", "medecin", "REA", "06 03 03 03 03"),
        person("p4", "Jean Bon", "pharmacien", "", "06 04 04 04 04"),
    ]
}

/// The numbers of one role's row of a recall's counts: called, coming,
/// within the hour, unavailable, silent, unreachable.
fn counts(page: &str, role: &str) -> [usize; 6] {
    let start = page
        .find("id=\"rappel-comptes\"")
        .expect("the counts block");
    let block = &page[start..];
    let marker = format!("data-role=\"{role}\"");
    let at = block
        .find(&marker)
        .unwrap_or_else(|| panic!("{role} in {block}"));
    let row = &block[at..at + block[at..].find("</tr>").expect("row end")];
    [
        "called",
        "coming",
        "within-hour",
        "unavailable",
        "silent",
        "unreachable",
    ]
    .map(|class| {
        let open = format!("<td class=\"{class}\">");
        let from = row.find(&open).expect("cell") + open.len();
        row[from..from + row[from..].find('<').expect("cell end")]
            .parse()
            .expect("a count")
    })
}

/// Waits (real time, at most 10 s) until the recall page shows no call in
/// progress.
async fn calls_done(node: &CrisisNode, who: &TestSession, page: &str) -> Answer {
    for _ in 0..200 {
        let answer = node.get(who, page).await;
        if !answer.body.contains("appel en cours") {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the calls of {page} never ended");
}

async fn public(node: &CrisisNode, request: Request<Body>) -> Answer {
    send(&node.router, request).await
}

/// Who relays an SMS to the API: the gateway's token, or a person of the
/// cell from a page's script (session and CSRF header).
enum Relay<'a> {
    Token(&'a str),
    Session(&'a TestSession),
}

async fn sms(node: &CrisisNode, relay: &Relay<'_>, content_type: &str, body: &str) -> Answer {
    let mut request = Request::post("/api/v1/rappel/reponse").header(CONTENT_TYPE, content_type);
    request = match relay {
        Relay::Token(token) => request.header("authorization", format!("Bearer {token}")),
        Relay::Session(session) => request
            .header(COOKIE, &session.cookie)
            .header("x-csrf-token", &session.csrf),
    };
    let request = request.body(Body::from(body.to_owned())).expect("request");
    send(&node.router, request).await
}

#[tokio::test]
async fn a_recall_calls_each_person_and_counts_answers_by_link_and_phone() {
    let folder = tempfile::tempdir().expect("temp dir");
    let mut settings = settings(Some(hook_script(folder.path(), RECORDING_HOOK)));
    settings.roster = roster();
    settings.public_url = Some("https://ckisa.ch-exemple.fr".into());
    let node = node_with(settings);
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    let nurse = node.login_as("ide-rea", Role::Nurse, unit("REA"));

    let form = node.get(&director, NEW_RECALL).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let shown = text(&form);
    assert!(shown.contains("Infirmier (2)"), "{shown}");
    assert!(shown.contains("REA (2)"), "{shown}");
    assert_eq!(
        node.get(&nurse, RECALLS).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        node.get(&nurse, NEW_RECALL).await.status,
        StatusCode::FORBIDDEN
    );

    // A preview counts and sends nothing.
    let chosen = [
        ("texte", "Plan blanc : venez renforcer la réanimation."),
        ("role", "infirmier"),
        ("role", "medecin"),
        ("unite", "REA"),
    ];
    let mut preview = chosen.to_vec();
    preview.push(("action", "apercu"));
    let counted = node.post(&director, NEW_RECALL, &preview).await;
    assert_eq!(counted.status, StatusCode::OK, "{}", counted.body);
    assert!(
        text(&counted).contains("2 personne(s) seront appelées : 1 Infirmier, 1 Médecin."),
        "{}",
        counted.body
    );
    assert!(!text(&node.get(&director, RECALLS).await).contains("Plan blanc : venez"));

    let mut start = chosen.to_vec();
    start.push(("action", "envoyer"));
    let started = node.post(&director, NEW_RECALL, &start).await;
    let id = redirected_id(&started, &format!("{RECALLS}/"));
    let page_of = format!("{RECALLS}/{id}");
    let page = calls_done(&node, &director, &page_of).await;
    assert_eq!(counts(&page.body, "infirmier"), [1, 0, 0, 0, 1, 0]);
    assert_eq!(counts(&page.body, "medecin"), [1, 0, 0, 0, 1, 0]);
    assert_eq!(counts(&page.body, ""), [2, 0, 0, 0, 2, 0]);
    assert!(page.body.contains(&format!("data-rappel=\"{id}\"")));
    assert!(!text(&page).contains("Paul Martin"), "URG was not called");

    // The hook was run once per person, with the link and the code.
    let (marie, anne) = (
        code_of(&page.body, "DUPONT Marie"),
        code_of(&page.body, "LEROY Anne"),
    );
    assert_ne!(marie, anne);
    let call = format!("rappel-{marie}");
    assert_eq!(recorded(folder.path(), &call, "TYPE"), "rappel");
    assert_eq!(recorded(folder.path(), &call, "NOM"), "DUPONT Marie");
    assert_eq!(
        recorded(folder.path(), &call, "TELEPHONE"),
        "06 01 01 01 01"
    );
    assert_eq!(recorded(folder.path(), &call, "CODE"), marie);
    assert_eq!(
        recorded(folder.path(), &call, "TEXTE"),
        "Plan blanc : venez renforcer la réanimation."
    );
    let link = recorded(folder.path(), &call, "LIEN");
    let secret = link
        .strip_prefix("https://ckisa.ch-exemple.fr/rappel/")
        .unwrap_or_else(|| panic!("{link}"))
        .to_owned();
    assert_eq!(secret.len(), 64);
    assert!(recorded(folder.path(), &call, "SMS").contains(&format!("{marie} 1")));
    let input: serde_json::Value =
        serde_json::from_str(&recorded(folder.path(), &call, "json")).expect("JSON input");
    assert_eq!(input["lien"], link.as_str());
    assert_eq!(input["code"], marie.as_str());
    assert!(folder.path().join(format!("rappel-{anne}.json")).exists());
    let calls = std::fs::read_dir(folder.path())
        .expect("folder")
        .filter(|e| {
            let name = e.as_ref().expect("entry").file_name();
            name.to_string_lossy().ends_with(".json")
        })
        .count();
    assert_eq!(calls, 2, "one call per person");

    // The link, without any session: her first name and the message only.
    let answer_page = format!("/rappel/{secret}");
    let shown = public(
        &node,
        Request::get(&answer_page)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    let shown_text = text(&shown);
    assert!(shown_text.contains("Bonjour Marie,"), "{shown_text}");
    assert!(shown_text.contains("Plan blanc : venez renforcer la réanimation."));
    for other in ["LEROY", "Anne", &anne, "06 03", "06 01", "DUPONT"] {
        assert!(!shown_text.contains(other), "{other} shown: {shown_text}");
    }
    let post_answer = |fields: &[(&str, &str)]| {
        Request::post(&answer_page)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form_encode(fields)))
            .expect("request")
    };
    let answered = public(
        &node,
        post_answer(&[("reponse", "arrive"), ("minutes", "45")]),
    )
    .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    let shown = text(
        &public(
            &node,
            Request::get(&answer_page).body(Body::empty()).unwrap(),
        )
        .await,
    );
    assert!(
        shown.contains("Votre réponse enregistrée : vient, dans 45 min"),
        "{shown}"
    );
    let page = node.get(&director, &page_of).await;
    assert_eq!(counts(&page.body, "infirmier"), [1, 1, 1, 0, 0, 0]);
    assert!(text(&page).contains("par le lien"));
    // The time left empty: coming, with no time made up.
    let untimed = public(
        &node,
        post_answer(&[("reponse", "arrive"), ("minutes", "")]),
    )
    .await;
    assert_eq!(untimed.status, StatusCode::SEE_OTHER, "{}", untimed.body);
    let shown = text(
        &public(
            &node,
            Request::get(&answer_page).body(Body::empty()).unwrap(),
        )
        .await,
    );
    assert!(
        shown.contains("Votre réponse enregistrée : vient, heure non précisée"),
        "{shown}"
    );
    let page = node.get(&director, &page_of).await;
    assert_eq!(counts(&page.body, "infirmier"), [1, 1, 0, 0, 0, 0]);
    let bad = public(
        &node,
        post_answer(&[("reponse", "arrive"), ("minutes", "900")]),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(text(&bad).contains("« 900 » n'est pas un délai d'arrivée : de 0 à 720 minutes."));
    // A new answer replaces the previous one.
    let changed = public(&node, post_answer(&[("reponse", "absent")])).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    let page = node.get(&director, &page_of).await;
    assert_eq!(counts(&page.body, "infirmier"), [1, 0, 0, 1, 0, 0]);
    // Another site cannot answer for her.
    let forged = Request::post(&answer_page)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from("reponse=arrive&minutes=5"))
        .expect("request");
    assert_eq!(public(&node, forged).await.status, StatusCode::FORBIDDEN);
    // Unknown and malformed secrets find nothing, and say nothing.
    for wrong in [
        "/rappel/".to_owned() + &"0".repeat(64),
        "/rappel/abc".to_owned(),
    ] {
        let answer = public(&node, Request::get(&wrong).body(Body::empty()).unwrap()).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{wrong}");
        assert!(!text(&answer).contains("Plan blanc"), "{wrong}");
    }

    let unknown = if marie == "000000" || anne == "000000" {
        "999999"
    } else {
        "000000"
    };

    // Someone of the cell types an answer taken by phone.
    let typed = node
        .post(
            &director,
            &format!("{page_of}/reponse"),
            &[("code", &marie), ("reponse", "arrive"), ("minutes", "20")],
        )
        .await;
    assert_eq!(typed.status, StatusCode::SEE_OTHER, "{}", typed.body);
    let page = node.get(&director, &page_of).await;
    assert_eq!(counts(&page.body, "infirmier"), [1, 1, 1, 0, 0, 0]);
    assert!(text(&page).contains("saisie par la cellule"));
    let wrong = node
        .post(
            &director,
            &format!("{page_of}/reponse"),
            &[("code", unknown), ("reponse", "absent")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(text(&wrong).contains(&format!(
        "Aucune personne de ce rappel n'a le code {unknown}."
    )));

    // The list sums it up.
    let list = node.get(&director, RECALLS).await;
    assert!(text(&list).contains("Plan blanc : venez renforcer la réanimation."));
    assert!(
        list.body.contains("<td class=\"coming\">1</td>"),
        "{}",
        list.body
    );
}

/// The reply code of `name` on a recall's page.
fn code_of(page: &str, name: &str) -> String {
    let row = &page[page.find(name).unwrap_or_else(|| panic!("{name}"))..];
    let open = "<td class=\"code\">";
    let at = row.find(open).expect("code cell") + open.len();
    row[at..at + 6].to_owned()
}

/// A node whose roster's physician was called back; her reply code.
async fn physician_recalled() -> (CrisisNode, TestSession, String, String) {
    let mut settings = settings(None);
    settings.roster = roster();
    let node = node_with(settings);
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    let started = node
        .post(
            &director,
            NEW_RECALL,
            &[
                ("texte", "Rappel"),
                ("role", "medecin"),
                ("action", "envoyer"),
            ],
        )
        .await;
    let id = redirected_id(&started, &format!("{RECALLS}/"));
    let page_of = format!("{RECALLS}/{id}");
    let page = calls_done(&node, &director, &page_of).await;
    let anne = code_of(&page.body, "LEROY Anne");
    (node, director, page_of, anne)
}

#[tokio::test]
async fn sms_answers_are_read_counted_and_refused_precisely() {
    let (node, director, page_of, anne) = physician_recalled().await;
    let relay = Relay::Session(&director);
    let reply = sms(&node, &relay, "text/plain", &format!("{anne} 1 1h30")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["ok"], true);
    assert_eq!(reply.json()["personne"], "LEROY Anne");
    assert_eq!(reply.json()["minutes"], 90);
    let page = node.get(&director, &page_of).await;
    assert_eq!(
        counts(&page.body, "medecin"),
        [1, 1, 0, 0, 0, 1],
        "90 min is not within the hour"
    );
    assert!(text(&page).contains("par SMS"));
    let reply = sms(
        &node,
        &relay,
        "application/x-www-form-urlencoded",
        &format!("de=0603030303&texte={anne}+oui+20"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let page = node.get(&director, &page_of).await;
    assert_eq!(counts(&page.body, "medecin"), [1, 1, 1, 0, 0, 1]);
    // The time is found further on in the sentence.
    let said = format!("{anne} oui, j'arrive dans 1 h 30");
    let reply = sms(&node, &relay, "text/plain", &said).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["minutes"], 90);
    // Coming without a time: none is invented, and she does not count as
    // within the hour.
    let reply = sms(&node, &relay, "text/plain", &format!("{anne} 1")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["reponse"], "arrive");
    assert!(reply.json()["minutes"].is_null(), "{}", reply.body);
    let page = node.get(&director, &page_of).await;
    assert_eq!(counts(&page.body, "medecin"), [1, 1, 0, 0, 0, 1]);
    assert!(
        text(&page).contains("vient, heure non précisée"),
        "{}",
        text(&page)
    );
    let reply = sms(&node, &relay, "text/plain", &format!("{anne} 2")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["reponse"], "indisponible");
    let page = node.get(&director, &page_of).await;
    assert_eq!(counts(&page.body, "medecin"), [1, 0, 0, 1, 0, 1]);

    let unknown = if anne == "000000" { "999999" } else { "000000" };
    let reply = sms(&node, &relay, "text/plain", &format!("{unknown} 1")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(reply.json()["ok"], false);
    assert_eq!(
        reply.json()["message"],
        format!("Aucun rappel n'a donné le code {unknown}.")
    );
    for (sent, expected) in [
        (
            "bonjour, j'arrive",
            "la réponse commence par le code à 6 chiffres",
        ),
        (
            &format!("{anne} 1 900") as &str,
            "un délai d'arrivée va jusqu'à 12 h",
        ),
        (
            &format!("{anne} 1 -5") as &str,
            "« -5 » : un délai d'arrivée ne peut pas être négatif",
        ),
        (anne.as_str(), "Il manque la réponse après le code"),
    ] {
        let reply = sms(&node, &relay, "text/plain", sent).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        let message = reply.json()["message"]
            .as_str()
            .expect("message")
            .to_owned();
        assert!(message.contains(expected), "{sent}: {message}");
    }
    let page = node.get(&director, &page_of).await;
    assert_eq!(counts(&page.body, "medecin"), [1, 0, 0, 1, 0, 1]);

    // A person who does not follow recalls relays nothing.
    let nurse = node.login_as("ide-rea", Role::Nurse, unit("REA"));
    let reply = sms(
        &node,
        &Relay::Session(&nurse),
        "text/plain",
        &format!("{anne} 1"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_sms_gateway_relays_answers_with_a_token_reaching_staff_recall() {
    let (node, director, page_of, anne) = physician_recalled().await;
    let token = node
        .directory
        .create_token(
            "passerelle-sms",
            &[Action::StaffRecall],
            &ckisa_auth::Actor::cli(),
            clock_now(),
        )
        .expect("a token may reach StaffRecall");
    let reply = sms(
        &node,
        &Relay::Token(&token),
        "text/plain",
        &format!("{anne} 1 45"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let page = node.get(&director, &page_of).await;
    assert_eq!(counts(&page.body, "medecin"), [1, 1, 1, 0, 0, 1]);

    // A token without the scope, or a wrong one, answers nothing.
    let other = node
        .directory
        .create_token(
            "tableau",
            &[Action::UnitList],
            &ckisa_auth::Actor::cli(),
            clock_now(),
        )
        .expect("token");
    let reply = sms(
        &node,
        &Relay::Token(&other),
        "text/plain",
        &format!("{anne} 2"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = sms(
        &node,
        &Relay::Token("ckisa_faux"),
        "text/plain",
        &format!("{anne} 2"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let page = node.get(&director, &page_of).await;
    assert_eq!(counts(&page.body, "medecin"), [1, 1, 1, 0, 0, 1]);
}

#[tokio::test]
async fn a_recall_without_hook_marks_everyone_unreachable() {
    let mut settings = settings(None);
    settings.roster = roster();
    let node = node_with(settings);
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    let started = node
        .post(
            &director,
            NEW_RECALL,
            &[
                ("texte", "Rappel"),
                ("role", "pharmacien"),
                ("action", "envoyer"),
            ],
        )
        .await;
    let id = redirected_id(&started, &format!("{RECALLS}/"));
    let page = calls_done(&node, &director, &format!("{RECALLS}/{id}")).await;
    assert_eq!(counts(&page.body, "pharmacien"), [1, 0, 0, 0, 1, 1]);
    assert!(text(&page).contains("échec de l'appel : aucun crochet de notification configuré"));

    let none = node
        .post(
            &director,
            NEW_RECALL,
            &[("texte", "Rappel"), ("action", "envoyer")],
        )
        .await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert!(text(&none).contains("Choisissez au moins un rôle à rappeler."));
}

#[tokio::test]
async fn broadcast_text_and_names_are_escaped_everywhere() {
    let node = node_with(settings(None));
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    add(&node, "ide-x", "<b>Léa</b>", Role::Nurse, unit("REA"));
    let nurse = session_of(&node, "ide-x");
    let script = "<script>alert(1)</script>";
    let id = broadcast(
        &node,
        &director,
        &[("texte", script), ("priorite", "urgent"), ("unite", "REA")],
    )
    .await;
    let pages = [
        node.get(&nurse, INBOX).await,
        node.get(&nurse, &format!("{INBOX}/{id}")).await,
        node.get(&director, INBOX).await,
        node.get(&director, &format!("{INBOX}/{id}")).await,
    ];
    for page in &pages {
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains(script), "{}", page.body);
        assert!(!page.body.contains("<b>Léa</b>"), "{}", page.body);
    }
    assert!(pages[0].body.contains(&html(script)));
    assert!(pages[1].body.contains(&html(script)));
    assert!(pages[2].body.contains(&html(script)));
    assert!(tally_block(&pages[3].body).contains(&html("<b>Léa</b>")));
}

#[tokio::test]
async fn the_sender_is_pushed_the_tally_when_someone_acknowledges() {
    let node = node_with(settings(None));
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    let nurse = node.login_as("ide-rea", Role::Nurse, unit("REA"));
    let id = broadcast(
        &node,
        &director,
        &[
            ("texte", "Point à 15 h"),
            ("priorite", "important"),
            ("unite", "REA"),
        ],
    )
    .await;
    let request = |session: &TestSession| {
        Request::get("/messagerie/flux?depuis=0")
            .header(COOKIE, &session.cookie)
            .body(Body::empty())
            .expect("request")
    };
    let open = |session: &TestSession| {
        let router = node.router.clone();
        let request = request(session);
        async move {
            let response = tower::ServiceExt::oneshot(router, request)
                .await
                .expect("stream");
            assert_eq!(response.status(), StatusCode::OK);
            response.into_body().into_data_stream()
        }
    };
    let mut director_stream = open(&director).await;
    let mut nurse_stream = open(&nurse).await;

    // What each was sent when the broadcast went out.
    let seen = read_until(&mut nurse_stream, "\"type\":\"diffusion\"").await;
    assert!(seen.contains(&format!("id=\\\"d-{id}\\\"")), "{seen}");
    assert!(seen.contains("Point à 15 h"), "{seen}");
    assert!(
        !seen.contains("decompte"),
        "a recipient gets no tally: {seen}"
    );
    let seen = read_until(&mut director_stream, "\"type\":\"decompte\"").await;
    assert!(seen.contains(&format!("\"id\":\"{id}\"")), "{seen}");
    assert!(seen.contains("\\\"acknowledged\\\">0<"), "{seen}");

    // Her acknowledgement moves the sender's tally live.
    let acked = node
        .post(&nurse, &format!("{INBOX}/{id}/accuser"), &[])
        .await;
    assert_eq!(acked.status, StatusCode::SEE_OTHER);
    let seen = read_until(&mut director_stream, "\\\"acknowledged\\\">1<").await;
    assert!(seen.contains("\"type\":\"decompte\""), "{seen}");
}

/// Reads a server-sent event stream until `needle` shows (at most 5 s).
async fn read_until(
    stream: &mut (impl futures_util::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin),
    needle: &str,
) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !seen.contains(needle) {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap_or_else(|_| panic!("{needle} never came: {seen}"))
            .expect("stream open")
            .expect("chunk");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}
