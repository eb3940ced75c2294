//! The after-action report through its routes: the history of crises, the
//! report page with the figures of a scripted crisis, the same report as a
//! PDF, and who may read them.
//!
//! The crisis is declared and closed through the lifecycle forms; what
//! happens in between (a log entry, a decision and its task finished late,
//! two unit reports, two stock counts, an alert before the declaration) is
//! committed to the store as events at chosen times, as a node would find
//! them in its log, so that every figure is known in advance.

mod support;

use axum::http::StatusCode;
use ckisa_audit::AuditQuery;
use ckisa_auth::{Role, Scope};
use ckisa_domain::{
    Actor, AlertKind, Assignee, CrisisFact, Event, EventId, Fact, Hlc, ItemId, NodeId, Rag, Source,
    SourceChannel, TaskStatus, UnitReport,
};
use ckisa_store::{Outcome, Store, Submission};
use support::crisis::html;
use support::crisis::{CrisisNode, advance, clock_now};

const MIN: i64 = 60_000;

/// The tests of this file share one clock and move it by hours: one at a
/// time, so that no session of another test expires under it.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Commits `fact` by `who` at `at_ms`, as the web or the node would have.
fn commit(node: &CrisisNode, who: &str, at_ms: i64, fact: CrisisFact) {
    let ms = u64::try_from(at_ms).expect("after 1970");
    let event = Event {
        id: EventId::new(ms),
        hlc: Hlc::new(ms, 0),
        origin: NodeId("test".into()),
        actor: if who == "système" {
            Actor::System
        } else {
            Actor::User(who.into())
        },
        source: Source {
            channel: SourceChannel::User,
            origin: "web".into(),
            message_id: None,
            sender: None,
            fhir_id: None,
        },
        fact: Fact::Crisis(fact),
    };
    let outcomes = node
        .store
        .commit(vec![Submission {
            feed: String::new(),
            received_ms: at_ms,
            dedup: None,
            events: vec![event],
        }])
        .expect("commit");
    assert!(
        !matches!(outcomes.first(), Some(Outcome::Refused { .. })),
        "{outcomes:?}"
    );
}

fn report(unit: &str, status: Rag, present: u32, needed: u32) -> CrisisFact {
    CrisisFact::UnitReported(UnitReport {
        unit: unit.into(),
        staff_present: present,
        staff_needed: needed,
        status,
        needs: String::new(),
        comment: String::new(),
    })
}

fn count(quantity: f64) -> CrisisFact {
    CrisisFact::StockCounted {
        stock: "O2-B5".into(),
        quantity,
        comment: String::new(),
    }
}

/// `dd/mm/yyyy HH:MM:SS` in Europe/Paris, as the pages write times.
fn wall(ms: i64) -> String {
    let zone = jiff::tz::TimeZone::get("Europe/Paris").expect("zone");
    jiff::Timestamp::from_millisecond(ms)
        .expect("time")
        .to_zoned(zone)
        .strftime("%d/%m/%Y %H:%M:%S")
        .to_string()
}

/// The `<tr>` of a table whose row header is `header`.
fn row<'a>(body: &'a str, header: &str) -> &'a str {
    let at = body
        .match_indices(&format!(">{header}</th>"))
        .map(|(at, _)| at)
        .find(|&at| {
            body[..at]
                .rfind("<th")
                .is_some_and(|th| body[th..at].contains("scope=\"row\""))
        })
        .unwrap_or_else(|| panic!("no row {header} in {body}"));
    let start = body[..at].rfind("<tr").expect("row starts");
    let end = body[at..].find("</tr>").expect("row ends") + at;
    &body[start..end]
}

/// The crisis of this file, run on `node`; returns the declaration time and
/// the crisis id.
///
/// Minutes from the declaration D: an alert at D-20; a log entry at D+5; a
/// decision at D+10 and its task due D+30, created at D+12, done at D+45;
/// REA reports at D+20, URG at D+150; O2-B5 counted 60 at D+25 and 30 at
/// D+200 (alert threshold 40); closed at D+300.
async fn scripted_crisis(node: &CrisisNode) -> (i64, String) {
    let declared = clock_now();
    commit(
        node,
        "système",
        declared - 20 * MIN,
        CrisisFact::AlertRaised {
            id: ItemId("a1".into()),
            key: "silence:sih-adt".into(),
            kind: AlertKind::FeedSilent,
            subject: "sih-adt".into(),
            since_ms: declared - 25 * MIN,
            evidence: "Aucun message ADT depuis 25 min".into(),
        },
    );
    let director = node.login_as("dir", Role::CrisisDirector, Scope::Units(Vec::new()));
    let declare = node
        .post(
            &director,
            "/crise/transition/declarer",
            &[("niveau", "2"), ("motif", "Panne du DPI <b>totale</b>")],
        )
        .await;
    assert_eq!(declare.status, StatusCode::SEE_OTHER, "{}", declare.body);
    let id = {
        let history = node.get(&director, "/crise/historique").await;
        let at = history.body.find("/crise/rapport/").expect("a report link");
        let rest = &history.body[at + "/crise/rapport/".len()..];
        rest[..rest.find('"').expect("link ends")].to_owned()
    };

    let at = |minutes: i64| declared + minutes * MIN;
    commit(
        node,
        "cellule",
        at(5),
        CrisisFact::LogEntry {
            id: ItemId("e1".into()),
            text: "Appel du SAMU : 3 victimes attendues".into(),
            corrects: None,
        },
    );
    commit(
        node,
        "dir",
        at(10),
        CrisisFact::Decision {
            id: ItemId("d1".into()),
            title: "Passer au dossier papier".into(),
            decided_by: "Dr Martin".into(),
            rationale: "DPI inaccessible".into(),
            follow_up: "Distribuer les kits".into(),
        },
    );
    commit(
        node,
        "dir",
        at(12),
        CrisisFact::TaskCreated {
            id: ItemId("t1".into()),
            title: "Distribuer les kits <papier>".into(),
            detail: String::new(),
            assignee: Assignee::Unit("REA".into()),
            due_ms: Some(at(30)),
            decision: Some(ItemId("d1".into())),
        },
    );
    commit(node, "cadre-rea", at(20), report("REA", Rag::Green, 8, 10));
    commit(node, "pharma", at(25), count(60.0));
    commit(
        node,
        "cadre-rea",
        at(45),
        CrisisFact::TaskUpdated {
            id: ItemId("t1".into()),
            status: TaskStatus::Done,
            assignee: None,
            due_ms: None,
            note: "Kits distribués".into(),
        },
    );
    commit(node, "cadre-urg", at(150), report("URG", Rag::Orange, 5, 9));
    commit(node, "pharma", at(200), count(30.0));

    // Five hours later: the morning session has expired, a new one closes.
    advance(300 * MIN);
    let closer = node.login_as("dir-2", Role::CrisisDirector, Scope::Units(Vec::new()));
    let close = node
        .post(
            &closer,
            "/crise/transition/cloture",
            &[("motif", "SIH rétabli")],
        )
        .await;
    assert_eq!(close.status, StatusCode::SEE_OTHER, "{}", close.body);
    (declared, id)
}

#[tokio::test]
async fn the_report_of_a_scripted_crisis_shows_its_figures() {
    let _serial = SERIAL.lock().await;
    let node = CrisisNode::new();
    let (declared, id) = scripted_crisis(&node).await;
    let at = |minutes: i64| declared + minutes * MIN;
    let cell = node.login_as("cell", Role::CrisisCellMember, Scope::Units(Vec::new()));

    let history = node.get(&cell, "/crise/historique").await;
    assert_eq!(history.status, StatusCode::OK);
    assert!(history.body.contains(&wall(declared)), "{}", history.body);
    assert!(history.body.contains(&wall(at(300))));
    assert!(history.body.contains("5 h 00"), "duration");
    assert!(history.body.contains("2 — Cellule de crise activée"));
    assert!(
        history.body.contains(&html("Panne du DPI <b>totale</b>")),
        "reason escaped: {}",
        history.body
    );
    assert!(history.body.contains(&format!("/crise/rapport/{id}/pdf")));

    let page = node.get(&cell, &format!("/crise/rapport/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(!body.contains("Rapport provisoire"), "the crisis is closed");
    // Summary.
    assert!(
        body.contains("Retour d&#39;expérience — crise du"),
        "{body}"
    );
    assert!(body.contains(&wall(at(300))));
    assert!(body.contains("SIH rétabli"));
    assert!(body.contains("La crise a duré 5 h 00."));

    // DMIA: REA (2 h) breached at D+2 h by 3 h, URGENCES (4 h) at D+4 h by
    // 1 h, hospitalisation (12 h) within it.
    let rea = row(body, "Réanimation et soins intensifs");
    assert!(rea.contains(&wall(at(120))), "{rea}");
    assert!(rea.contains("3 h 00"), "{rea}");
    assert!(rea.contains("DMIA dépassée"), "{rea}");
    let urgences = row(body, "Accueil et prise en charge des urgences");
    assert!(urgences.contains(&wall(at(240))), "{urgences}");
    assert!(urgences.contains("1 h 00"), "{urgences}");
    assert!(body.contains("class=\"rag-red\"><th scope=\"row\">Réanimation et soins intensifs"));
    assert!(
        body.contains("class=\"rag-green\"><th scope=\"row\">"),
        "some activity within its DMIA"
    );

    // Detection: the alert 20 minutes before.
    assert!(body.contains("Première alerte 20 min avant la déclaration."));
    assert!(body.contains("Aucun message ADT depuis 25 min"));

    // Timeline, decisions, tasks.
    assert!(body.contains("Appel du SAMU : 3 victimes attendues"));
    assert!(body.contains("Décision (par Dr Martin)"));
    assert!(body.contains("Point de situation URG : orange, 5/9 présents"));
    assert!(body.contains("Tâche terminée"));
    assert!(
        !body.contains("<papier>"),
        "task titles are escaped, in tables and charts"
    );
    let task = row(body, &html("Distribuer les kits <papier>"));
    assert!(task.contains(&wall(at(30))), "{task}");
    assert!(task.contains(&wall(at(45))), "{task}");
    assert!(task.contains("15 min"), "{task}");
    assert!(task.contains("terminée en retard"), "{task}");
    assert!(task.contains("unité REA"), "{task}");

    // Figures.
    let figure = |label: &str| {
        let start = body
            .find(&format!("<dt>{label}</dt>"))
            .unwrap_or_else(|| panic!("no figure {label}"));
        let rest = &body[start..];
        let value = &rest[rest.find("<dd>").expect("value") + 4..];
        value[..value.find("</dd>").expect("value ends")].to_owned()
    };
    assert_eq!(figure("Entrées de main courante"), "1");
    assert_eq!(figure("Décisions"), "1");
    assert_eq!(figure("Tâches créées"), "1");
    assert_eq!(figure("Terminées en retard"), "1");
    assert_eq!(figure("Terminées à l&#39;heure"), "0");
    assert_eq!(figure("Retard médian"), "15 min");
    assert_eq!(figure("Retard maximal"), "15 min");
    // REA and LABO (2 h), URGENCES, BLOC and NAISSANCE (4 h).
    assert_eq!(figure("Activités en dépassement de DMIA"), "5");

    // Units: 300 min at one report every 2 h, 2 expected.
    let cells = |row: &str| -> Vec<String> {
        row.split("<td class=\"num\">")
            .skip(1)
            .map(|cell| cell.split("</td>").next().unwrap_or_default().to_owned())
            .collect()
    };
    let badge = |colour: &str, text: &str| format!("<span class=\"rag {colour}\">{text}</span>");
    assert_eq!(
        cells(row(body, "REA")),
        ["2", "1", "4 h 40", &badge("orange", "50 %")]
    );
    assert_eq!(
        cells(row(body, "URG")),
        ["2", "1", "2 h 30", &badge("orange", "50 %")]
    );
    assert_eq!(
        cells(row(body, "CARDIO")),
        ["2", "0", "5 h 00", &badge("red", "0 %")]
    );

    // Stocks: the lowest count, the alert threshold reached, and the chart.
    let stock = row(body, "Bouteilles d&#39;oxygène B5");
    assert!(
        stock.contains(&format!("30 bouteilles le {}", wall(at(200)))),
        "{stock}"
    );
    assert!(stock.contains("non atteint"), "critical threshold: {stock}");
    assert!(body.contains("<svg"), "charts drawn inline");
    assert!(body.contains("<title>Bouteilles d&#39;oxygène B5</title>"));
    assert!(body.contains("<title>Retard des tâches à échéance</title>"));

    // Each read of the report is in the audit trail.
    node.trail.flush().expect("flush");
    let reads = node
        .trail
        .search(&AuditQuery {
            actor: Some("cell".into()),
            action: Some("crisis.report".into()),
            limit: 10,
            ..AuditQuery::default()
        })
        .expect("search");
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert_eq!(reads[0].record.target.as_deref(), Some(id.as_str()));
}

#[tokio::test]
async fn the_pdf_is_a_download_with_the_french_headings() {
    let _serial = SERIAL.lock().await;
    let node = CrisisNode::new();
    let (declared, id) = scripted_crisis(&node).await;
    let cell = node.login_as("cell", Role::CrisisCellMember, Scope::Units(Vec::new()));
    let uri = format!("/crise/rapport/{id}/pdf");
    let request = axum::http::Request::get(&uri)
        .header(axum::http::header::COOKIE, &cell.cookie)
        .body(axum::body::Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(node.router.clone(), request)
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/pdf");
    let date = wall(declared)[..10].replace('/', "-");
    assert_eq!(
        header("content-disposition"),
        format!("attachment; filename=\"rapport-crise-{date}.pdf\"")
    );
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024)
        .await
        .expect("body");
    assert!(bytes.starts_with(b"%PDF-"));

    let Some(text) = pdf_text(&bytes) else {
        return;
    };
    for heading in [
        "Retour d'expérience — crise du",
        "Synthèse",
        "Activités et DMIA",
        "Détection",
        "Chronologie",
        "Décisions",
        "Tâches et retards",
        "Chiffres clés",
        "Points de situation des unités",
        "Stocks critiques",
        "généré le",
    ] {
        assert!(text.contains(heading), "{heading} missing from:\n{text}");
    }
    assert!(text.contains("Appel du SAMU : 3 victimes attendues"));
    assert!(text.contains("Distribuer les kits <papier>"));
}

/// The text of a PDF through `pdftotext`, when it is installed (the CI
/// installs poppler-utils); `None` otherwise.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rapport.pdf");
    std::fs::write(&path, pdf).expect("pdf written");
    let output = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .ok()?;
    assert!(output.status.success(), "pdftotext refused the file");
    let text = String::from_utf8(output.stdout).expect("UTF-8 text");
    // A line wrapped in a table cell reads as two lines: join them.
    Some(text.replace('\n', " ").replace("  ", " "))
}

#[tokio::test]
async fn an_open_crisis_has_a_provisional_report() {
    let _serial = SERIAL.lock().await;
    let node = CrisisNode::new();
    let director = node.login_as("dir", Role::CrisisDirector, Scope::Units(Vec::new()));
    let declared = clock_now();
    let declare = node
        .post(
            &director,
            "/crise/transition/declarer",
            &[("niveau", "1"), ("motif", "Lenteurs du DPI")],
        )
        .await;
    assert_eq!(declare.status, StatusCode::SEE_OTHER, "{}", declare.body);
    advance(10 * MIN);
    let history = node.get(&director, "/crise/historique").await;
    assert!(history.body.contains("en cours"), "{}", history.body);
    assert!(history.body.contains("Rapport provisoire"));
    let at = history.body.find("/crise/rapport/").expect("a report link");
    let rest = &history.body[at..];
    let link = &rest[..rest.find('"').expect("link ends")];
    let page = node.get(&director, link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Rapport provisoire."), "{}", page.body);
    assert!(page.body.contains(&format!(
        "chiffres arrêtés au {}",
        wall(declared + 10 * MIN)
    )));
    assert!(page.body.contains("La crise a duré 10 min."));
    assert!(page.body.contains("Aucune décision enregistrée."));
    // 10 minutes at one report every 2 h: no report due yet, so no unit
    // is behind and none shows a percentage or a colour.
    for unit in ["REA", "URG", "CARDIO"] {
        let line = row(&page.body, unit);
        assert!(
            line.contains("<td class=\"num\">0</td><td class=\"num\">0</td>"),
            "{line}"
        );
        assert!(line.contains("aucun point attendu"), "{line}");
        assert!(!line.contains('%') && !line.contains("rag"), "{line}");
    }
}

#[tokio::test]
async fn a_nurse_may_not_read_reports_and_an_unknown_crisis_is_not_found() {
    let _serial = SERIAL.lock().await;
    let node = CrisisNode::new();
    let nurse = node.login_as("ide", Role::Nurse, Scope::Units(vec!["REA".into()]));
    let cell = node.login_as("cell", Role::CrisisCellMember, Scope::Units(Vec::new()));
    for uri in [
        "/crise/historique",
        "/crise/rapport/inconnue",
        "/crise/rapport/inconnue/pdf",
    ] {
        let refused = node.get(&nurse, uri).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{uri}");
    }
    let empty = node.get(&cell, "/crise/historique").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("Aucune crise enregistrée."));
    for uri in ["/crise/rapport/inconnue", "/crise/rapport/inconnue/pdf"] {
        let missing = node.get(&cell, uri).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{uri}");
    }
}
