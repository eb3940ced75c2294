//! The main courante, decisions and tasks through the pages, over a real
//! store: entries with author and time, corrections that leave the
//! original as written, no way to edit or delete, who may read and write,
//! tasks a nurse may follow only for her unit, overdue tasks on the node's
//! clock, precise deadline errors, escaped text, CSRF.

mod support;

use std::sync::LazyLock;
use support::crisis::unit;

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE, LOCATION};
use axum::http::{Method, Request, StatusCode};
use ckisa_auth::{Role, Scope};
use support::crisis::{CrisisNode, advance, clock_now, form_encode};
use support::{Answer, PASSWORD, TestSession, send};
use tokio::sync::RwLock;

/// Tests of this binary share the node clock: the one that moves it takes
/// this lock for writing, so that no other test's session goes idle meanwhile.
static CLOCK_USERS: LazyLock<RwLock<()>> = LazyLock::new(|| RwLock::new(()));

const LOG: &str = "/crise/main-courante";
const NEW_ENTRY: &str = "/crise/main-courante/nouvelle";
const TASKS: &str = "/crise/taches";
const NEW_TASK: &str = "/crise/taches/nouvelle";
const DECISIONS: &str = "/crise/decisions";
const NEW_DECISION: &str = "/crise/decisions/nouvelle";

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

/// `ms` as the pages write it: dd/mm/yyyy HH:MM in Paris.
fn paris(ms: i64) -> String {
    let zone = jiff::tz::TimeZone::get("Europe/Paris").expect("bundled zone");
    jiff::Timestamp::from_millisecond(ms)
        .expect("valid time")
        .to_zoned(zone)
        .strftime("%d/%m/%Y %H:%M")
        .to_string()
}

/// The ids of the log entries a page shows, in page order.
fn entry_ids(answer: &Answer) -> Vec<String> {
    answer
        .body
        .split("<li id=\"e-")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// The id at the end of a redirect (`...#e-<id>`, `.../taches/<id>`).
fn redirected_id(answer: &Answer, marker: &str) -> String {
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let location = answer.header(LOCATION.as_str());
    let at = location.rfind(marker).expect("marker in the location");
    location[at + marker.len()..].to_owned()
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

/// A request with any method, a form body, and the CSRF header if asked.
async fn request(
    node: &CrisisNode,
    session: &TestSession,
    method: Method,
    uri: &str,
    fields: &[(&str, &str)],
    with_csrf: bool,
) -> Answer {
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header(COOKIE, &session.cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    if with_csrf {
        builder = builder.header("x-csrf-token", &session.csrf);
    }
    let body = Body::from(form_encode(fields));
    send(&node.router, builder.body(body).expect("request")).await
}

async fn write(node: &CrisisNode, who: &TestSession, body: &str) -> String {
    let answer = node.post(who, NEW_ENTRY, &[("texte", body)]).await;
    redirected_id(&answer, "#e-")
}

async fn new_task(node: &CrisisNode, who: &TestSession, fields: &[(&str, &str)]) -> String {
    let answer = node.post(who, NEW_TASK, fields).await;
    redirected_id(&answer, "/crise/taches/")
}

#[tokio::test]
async fn the_log_works_outside_a_crisis_and_shows_author_and_time() {
    let _clock = CLOCK_USERS.read().await;
    let node = CrisisNode::new();
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);

    let empty = node.get(&director, LOG).await;
    assert_eq!(empty.status, StatusCode::OK);
    let page = text(&empty);
    assert!(page.contains("Hors crise"), "{page}");
    assert!(page.contains("Aucune crise n'est ouverte"), "{page}");
    assert!(page.contains("Aucune entrée pour cette période."), "{page}");

    let written_at = clock_now();
    let first = write(&node, &director, "Appel du standard : messagerie coupée").await;
    let second = write(&node, &director, "Réunion de la cellule à 13:00").await;
    let page = node.get(&director, LOG).await;
    let body = text(&page);
    assert!(
        body.contains("Appel du standard : messagerie coupée"),
        "{body}"
    );
    assert!(
        body.contains("Test dir (dir)"),
        "the author is named: {body}"
    );
    assert!(body.contains(&paris(written_at)), "the time: {body}");
    // Newest first by default, oldest first on request.
    assert_eq!(entry_ids(&page), vec![second.clone(), first.clone()]);
    let oldest = node.get(&director, &format!("{LOG}?ordre=ancien")).await;
    assert_eq!(entry_ids(&oldest), vec![first, second]);
    assert!(text(&oldest).contains("Afficher les plus récentes d'abord"));
}

#[tokio::test]
async fn entries_are_filed_under_the_crisis_open_when_written() {
    let _clock = CLOCK_USERS.read().await;
    let node = CrisisNode::new();
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    let before = write(&node, &director, "Avant la crise").await;

    let declared = node
        .post(
            &director,
            "/crise/transition/declarer",
            &[("niveau", "2"), ("motif", "SIH hors service")],
        )
        .await;
    assert_eq!(declared.status, StatusCode::SEE_OTHER, "{}", declared.body);
    let during = write(&node, &director, "Pendant la crise").await;

    let current = node.get(&director, LOG).await;
    assert_eq!(entry_ids(&current), vec![during.clone()]);
    assert!(text(&current).contains("Crise en cours (depuis le"));
    let outside = node.get(&director, &format!("{LOG}?crise=hors")).await;
    assert_eq!(entry_ids(&outside), vec![before.clone()]);
    let all = node.get(&director, &format!("{LOG}?tout=1")).await;
    assert_eq!(entry_ids(&all), vec![during.clone(), before.clone()]);
    let unknown = node.get(&director, &format!("{LOG}?crise=inconnue")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let closed = node
        .post(
            &director,
            "/crise/transition/cloture",
            &[("motif", "SIH revenu")],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    let after = write(&node, &director, "Après la crise").await;
    let page = node.get(&director, LOG).await;
    assert_eq!(
        entry_ids(&page),
        vec![after, before],
        "outside any crisis again"
    );
    // The closed crisis stays reachable from the period links.
    let body = text(&page);
    assert!(body.contains("Crise du "), "{body}");
    let link = body
        .split("href=\"/crise/main-courante?crise=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the closed crisis");
    let past = node.get(&director, &format!("{LOG}?crise={link}")).await;
    assert_eq!(entry_ids(&past), vec![during]);
}

#[tokio::test]
async fn a_correction_leaves_the_original_as_written_and_links_both() {
    let _clock = CLOCK_USERS.read().await;
    let node = CrisisNode::new();
    let cell = node.login_as("cell", Role::CrisisCellMember, Scope::AllUnits);
    let original = write(&node, &cell, "Panne du SIH constatée à 11:40").await;

    // The "Corriger" link opens the form with the old text quoted.
    let page = node.get(&cell, LOG).await;
    let href = format!("corrige={original}#saisie");
    assert!(page.body.contains(&href), "{}", page.body);
    let form = node.get(&cell, &format!("{LOG}?corrige={original}")).await;
    assert_eq!(form.status, StatusCode::OK);
    let body = text(&form);
    assert!(body.contains("Corriger une entrée"), "{body}");
    assert!(body.contains("<blockquote class=\"log-quoted\">"), "{body}");
    assert!(
        body.contains(&format!("name=\"corrige\" value=\"{original}\"")),
        "{body}"
    );

    let answer = node
        .post(
            &cell,
            NEW_ENTRY,
            &[
                ("texte", "Correction : la panne date de 11:20"),
                ("corrige", &original),
            ],
        )
        .await;
    let correction = redirected_id(&answer, "#e-");
    let page = node.get(&cell, LOG).await;
    assert_eq!(entry_ids(&page), vec![correction.clone(), original.clone()]);
    let body = text(&page);
    let hour = &paris(clock_now())[11..];
    assert!(
        body.contains("Panne du SIH constatée à 11:40"),
        "the original is unchanged: {body}"
    );
    assert!(body.contains(&format!(
        "Corrigée par l'entrée de <a href=\"#e-{correction}\">{hour}</a>"
    )));
    assert!(body.contains(&format!(
        "Corrige l'entrée de <a href=\"#e-{original}\">{hour}</a>"
    )));

    // Correcting an entry that does not exist is refused, nothing recorded.
    let bad = node
        .post(
            &cell,
            NEW_ENTRY,
            &[("texte", "autre chose"), ("corrige", "pas-une-entree")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(text(&bad).contains("l'entrée à corriger n'existe pas"));
    assert_eq!(entry_ids(&node.get(&cell, LOG).await).len(), 2);
}

/// The test: the main courante refuses edits.
#[tokio::test]
async fn the_main_courante_refuses_edits() {
    let _clock = CLOCK_USERS.read().await;
    let node = CrisisNode::new();
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    let original = write(&node, &director, "Texte d'origine").await;
    let before = node.get(&director, LOG).await.body;

    // No method but GET on the log, no route per entry.
    for method in [Method::PUT, Method::PATCH, Method::DELETE] {
        for uri in [
            LOG.to_owned(),
            format!("{LOG}/{original}"),
            NEW_ENTRY.to_owned(),
        ] {
            let answer = request(
                &node,
                &director,
                method.clone(),
                &uri,
                &[("texte", "Texte modifié"), ("id", &original)],
                true,
            )
            .await;
            assert!(
                matches!(
                    answer.status,
                    StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_FOUND
                ),
                "{method} {uri}: {}",
                answer.status
            );
        }
    }
    let answer = node
        .post(
            &director,
            &format!("{LOG}/{original}"),
            &[("texte", "Texte modifié")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        node.get(&director, LOG).await.body,
        before,
        "nothing changed"
    );

    // A form naming the entry's id is a new entry: the node picks ids.
    let answer = node
        .post(
            &director,
            NEW_ENTRY,
            &[("texte", "Texte modifié"), ("id", &original)],
        )
        .await;
    let other = redirected_id(&answer, "#e-");
    assert_ne!(other, original);
    let page = node.get(&director, LOG).await;
    assert_eq!(entry_ids(&page), vec![other, original]);
    let body = text(&page);
    assert!(body.contains("Texte d'origine"), "{body}");
    assert!(body.contains("Texte modifié"), "{body}");
}

#[tokio::test]
async fn empty_or_too_long_entries_show_the_form_again() {
    let _clock = CLOCK_USERS.read().await;
    let node = CrisisNode::new();
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    let empty = node.post(&nurse, NEW_ENTRY, &[("texte", "  \n ")]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(text(&empty).contains("le champ « Texte » est obligatoire"));

    let long = "é".repeat(4001);
    let answer = node.post(&nurse, NEW_ENTRY, &[("texte", &long)]).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let body = text(&answer);
    assert!(
        body.contains("le champ « Texte » dépasse 4000 caractères (4001)"),
        "{body}"
    );
    assert!(body.contains(&long), "what was typed is kept");
    assert!(entry_ids(&node.get(&nurse, LOG).await).is_empty());
}

#[tokio::test]
async fn an_observer_reads_but_cannot_write_and_an_administrator_reads_nothing() {
    let _clock = CLOCK_USERS.read().await;
    let node = CrisisNode::new();
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    let observer = node.login_as("obs", Role::ExerciseObserver, Scope::AllUnits);
    let admin = node.login_as("admin", Role::Administrator, Scope::AllUnits);
    write(&node, &director, "Entrée visible par l'observateur").await;
    let task = new_task(
        &node,
        &director,
        &[
            ("titre", "Compter les lits"),
            ("pour", "unite"),
            ("cible", "REA"),
        ],
    )
    .await;

    for page in [LOG, DECISIONS, TASKS, &format!("{TASKS}/{task}")] {
        let answer = node.get(&observer, page).await;
        assert_eq!(answer.status, StatusCode::OK, "{page}");
        assert!(!answer.body.contains("/nouvelle\""), "{page}: no form");
        assert!(!answer.body.contains("/suivi\""), "{page}: no update form");
    }
    assert!(text(&node.get(&observer, LOG).await).contains("Entrée visible par l'observateur"));
    for (uri, fields) in [
        (NEW_ENTRY, vec![("texte", "essai")]),
        (
            NEW_DECISION,
            vec![("decision", "essai"), ("decideur", "obs")],
        ),
        (
            NEW_TASK,
            vec![("titre", "essai"), ("pour", "unite"), ("cible", "REA")],
        ),
    ] {
        let answer = node.post(&observer, uri, &fields).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{uri}");
    }
    let follow = node
        .post(
            &observer,
            &format!("{TASKS}/{task}/suivi"),
            &[("statut", "faite")],
        )
        .await;
    assert_eq!(follow.status, StatusCode::FORBIDDEN);
    assert_eq!(entry_ids(&node.get(&director, LOG).await).len(), 1);

    for page in [LOG, DECISIONS, TASKS, &format!("{TASKS}/{task}")] {
        let answer = node.get(&admin, page).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{page}");
        assert!(!answer.body.contains("Compter les lits"));
    }
}

#[tokio::test]
async fn a_nurse_writes_in_the_log_and_follows_only_her_units_tasks() {
    let _clock = CLOCK_USERS.read().await;
    let node = CrisisNode::new();
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));

    write(&node, &nurse, "Réa : 2 lits libres").await;
    let refused = node
        .post(
            &nurse,
            NEW_TASK,
            &[("titre", "Essai"), ("pour", "unite"), ("cible", "REA")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let ours = new_task(
        &node,
        &director,
        &[
            ("titre", "Recenser les pousse-seringues"),
            ("pour", "unite"),
            ("cible", "rea"),
            ("echeance", "+2h"),
        ],
    )
    .await;
    let theirs = new_task(
        &node,
        &director,
        &[
            ("titre", "Ouvrir le box 4"),
            ("pour", "unite"),
            ("cible", "URG"),
        ],
    )
    .await;
    let by_role = new_task(
        &node,
        &director,
        &[
            ("titre", "Relever les glycémies"),
            ("pour", "role"),
            ("cible", "infirmier"),
        ],
    )
    .await;

    // Her own task shows the update form; the other unit's says why not.
    let page = node.get(&nurse, &format!("{TASKS}/{ours}")).await;
    assert!(
        page.body.contains(&format!("{TASKS}/{ours}/suivi")),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("name=\"cible\""),
        "no reassignment for her"
    );
    let page = text(&node.get(&nurse, &format!("{TASKS}/{theirs}")).await);
    assert!(
        page.contains("cette tâche est confiée à unité : URG — Unité URG"),
        "{page}"
    );
    assert!(!page.contains(&format!("{TASKS}/{theirs}/suivi")));

    let done = node
        .post(
            &nurse,
            &format!("{TASKS}/{ours}/suivi"),
            &[("statut", "faite"), ("note", "12 comptés")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = text(&node.get(&director, &format!("{TASKS}/{ours}")).await);
    assert!(
        page.contains("Test ide (ide)"),
        "the history says who: {page}"
    );
    assert!(page.contains("12 comptés"), "{page}");
    assert!(
        page.contains("<span class=\"task-status faite\">Faite</span>"),
        "{page}"
    );

    let other = node
        .post(
            &nurse,
            &format!("{TASKS}/{theirs}/suivi"),
            &[("statut", "faite")],
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert!(text(&other).contains("vous ne pouvez la mettre à jour que si elle vous est confiée"));
    let page = text(&node.get(&director, &format!("{TASKS}/{theirs}")).await);
    assert!(page.contains("<span class=\"task-status ouverte\">Ouverte</span>"));

    // A task for her role is hers too; moving its deadline is not.
    let moved = node
        .post(
            &nurse,
            &format!("{TASKS}/{by_role}/suivi"),
            &[("statut", "en-cours"), ("echeance", "+1h")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::FORBIDDEN);
    assert!(text(&moved).contains("seules la direction et la cellule de crise"));
    let started = node
        .post(
            &nurse,
            &format!("{TASKS}/{by_role}/suivi"),
            &[("statut", "en-cours")],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);

    // "Mine": her unit's and her role's tasks, not the emergency unit's.
    let mine = text(&node.get(&nurse, &format!("{TASKS}?mes=1")).await);
    assert!(mine.contains("Recenser les pousse-seringues"));
    assert!(mine.contains("Relever les glycémies"));
    assert!(!mine.contains("Ouvrir le box 4"), "{mine}");
    let open = text(&node.get(&nurse, &format!("{TASKS}?statut=ouverte")).await);
    assert!(open.contains("Ouvrir le box 4"));
    assert!(!open.contains("Recenser les pousse-seringues"));
    let bad = node.get(&nurse, &format!("{TASKS}?statut=finie")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_crisis_cell_reassigns_and_cancels_with_a_reason() {
    let _clock = CLOCK_USERS.read().await;
    let node = CrisisNode::new();
    let cell = node.login_as("cell", Role::CrisisCellMember, Scope::AllUnits);
    node.login_as("pharma", Role::Pharmacist, Scope::AllUnits);
    let task = new_task(
        &node,
        &cell,
        &[
            ("titre", "Inventaire morphine"),
            ("pour", "role"),
            ("cible", "cadre"),
        ],
    )
    .await;
    let uri = format!("{TASKS}/{task}/suivi");

    let nothing = node.post(&cell, &uri, &[("statut", "ouverte")]).await;
    assert_eq!(nothing.status, StatusCode::BAD_REQUEST);
    assert!(text(&nothing).contains("rien à enregistrer"));
    let unknown = node.post(&cell, &uri, &[("statut", "finie")]).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(text(&unknown).contains("statut inconnu « finie »"));

    let reassigned = node
        .post(
            &cell,
            &uri,
            &[
                ("statut", "en-cours"),
                ("pour", "personne"),
                ("cible", "pharma"),
                ("echeance", "+45min"),
                ("note", "la pharmacie s'en charge"),
            ],
        )
        .await;
    assert_eq!(
        reassigned.status,
        StatusCode::SEE_OTHER,
        "{}",
        reassigned.body
    );
    let page = text(&node.get(&cell, &format!("{TASKS}/{task}")).await);
    assert!(page.contains("personne : Test pharma (pharma)"), "{page}");
    assert!(page.contains(&paris(clock_now() + 45 * 60_000)), "{page}");
    assert!(page.contains("la pharmacie s'en charge"));

    let no_reason = node.post(&cell, &uri, &[("statut", "annulee")]).await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert!(text(&no_reason).contains("pourquoi la tâche est annulée"));
    let cancelled = node
        .post(
            &cell,
            &uri,
            &[("statut", "annulee"), ("note", "stock retrouvé")],
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    let list = text(&node.get(&cell, TASKS).await);
    assert!(list.contains("Aucune tâche à faire."), "{list}");
    assert!(list.contains("<span class=\"task-status annulee\">Annulée</span>"));
}

#[tokio::test]
async fn overdue_tasks_are_flagged_and_counted_on_the_node_clock() {
    let _clock = CLOCK_USERS.write().await;
    let node = CrisisNode::new();
    node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    let director = session_of(&node, "dir");
    let soon = new_task(
        &node,
        &director,
        &[
            ("titre", "Prévenir l'ARS"),
            ("pour", "personne"),
            ("cible", "dir"),
            ("echeance", "+1h"),
        ],
    )
    .await;
    new_task(
        &node,
        &director,
        &[
            ("titre", "Point presse"),
            ("pour", "role"),
            ("cible", "directeur-crise"),
            ("echeance", "+3h"),
        ],
    )
    .await;
    let page = text(&node.get(&director, TASKS).await);
    assert!(!page.contains("en retard"), "{page}");

    advance(2 * 3_600_000 + 5 * 60_000);
    let director = session_of(&node, "dir");
    let page = text(&node.get(&director, TASKS).await);
    assert!(page.contains("1 tâche en retard"), "{page}");
    assert!(page.contains("en retard de 1 h 05"), "{page}");
    // Overdue first, then by deadline.
    let first = page.find("Prévenir l'ARS").expect("listed");
    let second = page.find("Point presse").expect("listed");
    assert!(first < second);
    let one = text(&node.get(&director, &format!("{TASKS}/{soon}")).await);
    assert!(one.contains("en retard de 1 h 05"), "{one}");

    advance(60 * 60_000);
    let director = session_of(&node, "dir");
    let page = text(&node.get(&director, TASKS).await);
    assert!(page.contains("2 tâches en retard"), "{page}");
    assert!(page.contains("en retard de 2 h 05"), "{page}");
    assert!(page.contains("en retard de 5 min"), "{page}");

    let done = node
        .post(
            &director,
            &format!("{TASKS}/{soon}/suivi"),
            &[("statut", "faite")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = text(&node.get(&director, TASKS).await);
    assert!(page.contains("1 tâche en retard"), "{page}");
    assert!(
        !page.contains("en retard de 2 h 05"),
        "a done task is no longer late: {page}"
    );
}

#[tokio::test]
async fn wrong_deadlines_and_targets_get_precise_errors() {
    let _clock = CLOCK_USERS.read().await;
    let node = CrisisNode::new();
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    let earlier = &paris(clock_now() - 3_600_000)[11..];
    let now = &paris(clock_now())[11..];
    let cases: Vec<(Vec<(&str, &str)>, String)> = vec![
        (
            vec![
                ("titre", "T"),
                ("pour", "unite"),
                ("cible", "REA"),
                ("echeance", "demain"),
            ],
            "échéance illisible « demain »".into(),
        ),
        (
            vec![
                ("titre", "T"),
                ("pour", "unite"),
                ("cible", "REA"),
                ("echeance", "31/02/2024 10:00"),
            ],
            "le 31/02/2024 n'existe pas dans le calendrier".into(),
        ),
        (
            vec![
                ("titre", "T"),
                ("pour", "unite"),
                ("cible", "REA"),
                ("echeance", earlier),
            ],
            format!("{earlier} est déjà passé aujourd'hui (il est {now})"),
        ),
        (
            vec![
                ("titre", "T"),
                ("pour", "unite"),
                ("cible", "REA"),
                ("echeance", "+0h"),
            ],
            "délai illisible « +0h »".into(),
        ),
        (
            vec![
                ("titre", "T"),
                ("pour", "unite"),
                ("cible", "REA"),
                ("echeance", "26:00"),
            ],
            "heure impossible « 26:00 »".into(),
        ),
        (
            vec![("titre", "T"), ("pour", "unite"), ("cible", "XYZ")],
            "l'unité « XYZ » n'existe pas ; unités : ".into(),
        ),
        (
            vec![("titre", "T"), ("pour", "role"), ("cible", "chef")],
            "« chef » n'est pas un rôle ; rôles possibles : directeur-crise".into(),
        ),
        (
            vec![("titre", "T"), ("pour", "personne"), ("cible", "inconnu")],
            "aucun compte « inconnu »".into(),
        ),
        (
            vec![("titre", " "), ("pour", "unite"), ("cible", "REA")],
            "le champ « Tâche » est obligatoire".into(),
        ),
        (
            vec![("titre", "T"), ("pour", "unite"), ("cible", "")],
            "indiquez à qui la tâche est confiée".into(),
        ),
    ];
    for (fields, expected) in &cases {
        let answer = node.post(&director, NEW_TASK, fields).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{fields:?}");
        let body = text(&answer);
        assert!(body.contains(expected.as_str()), "{fields:?}: {body}");
        if let Some((_, typed)) = fields.iter().find(|(name, _)| *name == "echeance") {
            assert!(
                body.contains(&format!("value=\"{typed}\"")),
                "kept: {typed}"
            );
        }
    }
    let list = text(&node.get(&director, TASKS).await);
    assert!(
        list.contains("Aucune tâche à faire."),
        "nothing recorded: {list}"
    );
}

#[tokio::test]
async fn a_decision_records_who_why_what_follows_and_its_task() {
    let _clock = CLOCK_USERS.read().await;
    let node = CrisisNode::new();
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);

    let form = text(&node.get(&director, DECISIONS).await);
    assert!(
        form.contains("name=\"decideur\" value=\"Test dir\""),
        "prefilled: {form}"
    );

    // A wrong task part records neither the decision nor the task.
    let bad = node
        .post(
            &director,
            NEW_DECISION,
            &[
                ("decision", "Déclencher le plan blanc"),
                ("decideur", "Dr Martin"),
                ("titre", "Rappeler le personnel"),
                ("pour", "unite"),
                ("cible", "NEANT"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let body = text(&bad);
    assert!(body.contains("l'unité « NEANT » n'existe pas"), "{body}");
    assert!(body.contains("Déclencher le plan blanc"), "kept: {body}");
    assert!(
        text(&node.get(&director, DECISIONS).await).contains("Aucune décision pour cette période.")
    );

    let answer = node
        .post(
            &director,
            NEW_DECISION,
            &[
                ("decision", "Déclencher le plan blanc"),
                ("decideur", "Dr Martin, directeur de garde"),
                ("motif", "Afflux de victimes attendu"),
                ("suites", "Rappel du personnel, déprogrammation"),
                ("titre", "Rappeler le personnel de réanimation"),
                ("pour", "unite"),
                ("cible", "REA"),
                ("echeance", "+30min"),
            ],
        )
        .await;
    let decision = redirected_id(&answer, "#d-");
    let page = text(&node.get(&director, DECISIONS).await);
    for expected in [
        "Déclencher le plan blanc",
        "Dr Martin, directeur de garde",
        "Test dir (dir)",
        "Afflux de victimes attendu",
        "Rappel du personnel, déprogrammation",
        "Rappeler le personnel de réanimation",
        "unité : REA — Unité REA",
    ] {
        assert!(page.contains(expected), "{expected}: {page}");
    }
    let task_href = page
        .split(&format!("id=\"d-{decision}\""))
        .nth(1)
        .and_then(|rest| rest.split("href=\"/crise/taches/").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the decision links its task")
        .to_owned();
    let task = text(&node.get(&director, &format!("{TASKS}/{task_href}")).await);
    assert!(
        task.contains(&format!("/crise/decisions?tout=1#d-{decision}")),
        "{task}"
    );
    assert!(task.contains("Rappeler le personnel de réanimation"));

    // A decision without a task is fine; the decider is required.
    let missing = node
        .post(
            &director,
            NEW_DECISION,
            &[("decision", "Fermer le parking"), ("decideur", " ")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(text(&missing).contains("le champ « Décideur » est obligatoire"));
}

#[tokio::test]
async fn typed_text_comes_back_escaped() {
    let _clock = CLOCK_USERS.read().await;
    let node = CrisisNode::new();
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    let attack = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";
    write(&node, &director, attack).await;
    let decided = node
        .post(
            &director,
            NEW_DECISION,
            &[
                ("decision", attack),
                ("decideur", attack),
                ("motif", attack),
            ],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER);
    let task = new_task(
        &node,
        &director,
        &[
            ("titre", attack),
            ("detail", attack),
            ("pour", "unite"),
            ("cible", "REA"),
        ],
    )
    .await;
    let noted = node
        .post(
            &director,
            &format!("{TASKS}/{task}/suivi"),
            &[("statut", "en-cours"), ("note", attack)],
        )
        .await;
    assert_eq!(noted.status, StatusCode::SEE_OTHER);
    let refused = node
        .post(
            &director,
            NEW_TASK,
            &[("titre", attack), ("pour", "unite"), ("cible", attack)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    let pages = [
        node.get(&director, LOG).await,
        node.get(&director, DECISIONS).await,
        node.get(&director, TASKS).await,
        node.get(&director, &format!("{TASKS}/{task}")).await,
        refused,
    ];
    for page in &pages {
        assert!(!page.body.contains("<script>alert"), "{}", page.body);
        assert!(!page.body.contains("<img src=x"), "{}", page.body);
        let escaped = [
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "&#60;script&#62;alert(1)&#60;/script&#62;",
        ];
        assert!(
            escaped.iter().any(|e| page.body.contains(e)),
            "{}",
            page.body
        );
    }
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused() {
    let _clock = CLOCK_USERS.read().await;
    let node = CrisisNode::new();
    let director = node.login_as("dir", Role::CrisisDirector, Scope::AllUnits);
    let task = new_task(
        &node,
        &director,
        &[
            ("titre", "Vérifier les groupes"),
            ("pour", "unite"),
            ("cible", "REA"),
        ],
    )
    .await;
    for (uri, fields) in [
        (NEW_ENTRY.to_owned(), vec![("texte", "sans jeton")]),
        (
            NEW_DECISION.to_owned(),
            vec![("decision", "sans jeton"), ("decideur", "x")],
        ),
        (
            NEW_TASK.to_owned(),
            vec![("titre", "sans jeton"), ("pour", "unite"), ("cible", "REA")],
        ),
        (format!("{TASKS}/{task}/suivi"), vec![("statut", "faite")]),
    ] {
        let answer = request(&node, &director, Method::POST, &uri, &fields, false).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{uri}");
    }
    assert!(entry_ids(&node.get(&director, LOG).await).is_empty());
    let page = text(&node.get(&director, TASKS).await);
    assert!(!page.contains("sans jeton"));
    assert!(page.contains("<span class=\"task-status ouverte\">Ouverte</span>"));
}

#[tokio::test]
async fn tasks_go_only_to_roles_and_people_who_can_follow_them() {
    let node = CrisisNode::new();
    let director = node.login_as("dir-admin", Role::CrisisDirector, Scope::AllUnits);
    node.login_as("admin-x", Role::Administrator, Scope::Units(Vec::new()));
    node.login_as("obs-x", Role::ExerciseObserver, Scope::Units(Vec::new()));
    for (kind, target) in [
        ("role", "administrateur"),
        ("role", "observateur"),
        ("personne", "admin-x"),
        ("personne", "obs-x"),
    ] {
        let fields = [
            ("titre", "Relancer les imprimantes"),
            ("detail", ""),
            ("pour", kind),
            ("cible", target),
            ("echeance", ""),
        ];
        let answer = node.post(&director, NEW_TASK, &fields).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{kind} {target}");
        assert!(
            answer.body.contains("ne peut pas suivre de tâche"),
            "{kind} {target}: {}",
            answer.body
        );
    }
    let fields = [
        ("titre", "Relancer les imprimantes"),
        ("detail", ""),
        ("pour", "role"),
        ("cible", "securite-si"),
        ("echeance", ""),
    ];
    let answer = node.post(&director, NEW_TASK, &fields).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
}
