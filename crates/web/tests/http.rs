//! HTTP behaviour of the pages and API, through the Router without a socket,
//! over an in-memory fake hospital: what a nurse reads, what a script gets.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures_util::StreamExt;
use support::{app, get, send};

/// Text that a page must never show: the HL7 null, escaped or not.
fn assert_no_hl7_null(body: &str) {
    for null in ["&quot;&quot;", "&#34;&#34;", ">\"\"<"] {
        assert!(!body.contains(null), "page shows an HL7 null {null}");
    }
}

#[tokio::test]
async fn root_redirects_to_units() {
    let (router, _) = app();
    let answer = get(&router, "/").await;
    assert!(answer.status.is_redirection());
    assert_eq!(answer.header("location"), "/unites");
}

#[tokio::test]
async fn units_page_lists_units_with_totals_and_freshness() {
    let (router, _) = app();
    let answer = get(&router, "/unites").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("cache-control"), "no-store");
    let body = &answer.body;
    assert!(body.contains("<html lang=\"fr\">"));
    assert!(body.contains("Cardiologie") && body.contains("Pneumologie"));
    assert!(body.contains("href=\"/unites/CARDIO\""));
    // Establishment: 6 beds, 3 occupied, 3 free, 3 patients, 50 %.
    assert!(
        body.contains("3 lits occupés sur 6, 3 libres, 3 patients (50 %)"),
        "{body}"
    );
    assert!(body.contains("<td class=\"num\">25 %</td>"));
    // Freshness: configured feeds first, then the others.
    assert!(body.contains("<li class=\"feed fresh\">adt : données à jour il y a 4 s</li>"));
    assert!(body.contains("<li class=\"feed stale\">fhir : aucune donnée reçue</li>"));
    assert!(body.contains("class=\"feed late\">lab &#34;main&#34; : données à jour il y a 3 min<"));
    assert!(body.find("adt :") < body.find("fhir :") && body.find("fhir :") < body.find("lab "));
    // Static assets only, no inline script or style.
    assert!(body.contains("<script src=\"/static/app.js?v="));
    assert!(!body.contains("<script>") && !body.contains("style="));
    assert!(body.contains("Nœud noeud-test, page produite le 15/03/2024 12:00:00"));
    assert!(body.contains("<p class=\"site-name\">CH de Cornouaille</p>"));
}

#[tokio::test]
async fn establishment_name_heads_every_page_even_errors() {
    let (router, _) = app();
    for uri in [
        "/unites/CARDIO",
        "/patients/ipp:HOPITAL%7C123456",
        "/recherche",
        "/statut",
        "/quarantaine",
        "/nulle-part",
        "/unites/NOPE",
    ] {
        let answer = get(&router, uri).await;
        let header = answer.body.split("</header>").next().unwrap_or_default();
        assert!(
            header.contains("<p class=\"site-name\">CH de Cornouaille</p>"),
            "{uri}: {header}"
        );
    }
}

#[tokio::test]
async fn no_establishment_name_shows_no_empty_header_line() {
    let mut config = ckisa_web::WebConfig::new("n", "/d");
    assert_eq!(config.site_name, "");
    config.feeds = Vec::new();
    let (router, _, _) = support::app_with(support::FakeStore::hospital(), config);
    let answer = get(&router, "/unites").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(!answer.body.contains("site-name"));
}

#[tokio::test]
async fn bed_board_shows_what_a_nurse_needs() {
    let (router, _) = app();
    let answer = get(&router, "/unites/CARDIO").await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = &answer.body;
    assert!(body.contains("<h1>Cardiologie (CARDIO)</h1>"));
    assert!(body.contains("<a href=\"/patients/ipp:HOPITAL%7C123456\">LE GOFF GWÉNAËLLE</a>"));
    assert!(body.contains("<td>74 ans</td>") && body.contains("<td>6 mois</td>"));
    assert!(body.contains("<td>F</td>") && body.contains("<td>M</td>"));
    assert!(body.contains("<td>10/03/2024 08:30</td>"));
    assert!(body.contains("<td>Dr MARTIN</td>"));
    assert!(body.contains("<strong class=\"badge allergy\">Allergies (2)</strong>"));
    assert!(body.contains("Aucune allergie enregistrée"));
    assert!(body.contains("En permission"));
    assert!(body.contains("Conflit : 2 patients dans ce lit"));
    assert_eq!(body.matches("<tr class=\"conflict\">").count(), 2);
    assert_eq!(body.matches(">Libre</td>").count(), 3);
    assert!(!body.contains("Même patient"));
    // A name with markup is shown as text.
    assert!(body.contains("&#60;SCRIPT&#62;ALERT(1)&#60;/SCRIPT&#62; Léo"));
    assert!(!body.to_lowercase().contains("<script>alert"));
}

#[tokio::test]
async fn bed_board_marks_one_patient_in_two_beds() {
    let (router, _) = app();
    let body = get(&router, "/unites/PNEUMO").await.body;
    let badge = "<strong class=\"badge conflict-badge\">Même patient dans 2 lits</strong>";
    assert_eq!(body.matches(badge).count(), 2, "{body}");
    assert_eq!(body.matches("<tr class=\"conflict\">").count(), 2);
    assert!(!body.contains("Conflit :"));
    let english = get(&router, "/unites/PNEUMO?lang=en").await.body;
    assert_eq!(english.matches("Same patient in 2 beds").count(), 2);
    // The API keeps both lines as they are.
    let json = get(&router, "/api/v1/units/PNEUMO").await.json();
    assert_eq!(
        json["beds"][1]["occupants"][0]["patient"],
        "ipp:HOPITAL|777"
    );
}

#[tokio::test]
async fn unknown_unit_is_a_french_404() {
    let (router, _) = app();
    let answer = get(&router, "/unites/NOPE").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.body.contains("<h1>Unité inconnue</h1>"));
    assert!(answer.header("content-type").starts_with("text/html"));
}

#[tokio::test]
async fn patient_summary_shows_identity_allergies_first_and_dated_items() {
    let (router, _) = app();
    let answer = get(&router, "/patients/ipp:HOPITAL%7C123456").await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = &answer.body;
    assert!(body.contains("<title>LE GOFF GWÉNAËLLE · ckisa</title>"));
    assert!(body.contains("01/02/1950 (74 ans)"));
    assert!(body.contains("Femme") && body.contains("123456") && body.contains("250027512345678"));
    assert!(body.contains("3 rue de Brest, 29000 Quimper") && body.contains("06 12 34 56 78"));
    // Allergies prominent and before everything clinical.
    let allergies = body.find("Allergies (2)").expect("allergy badge");
    assert!(allergies < body.find("Séjour en cours").expect("stay section"));
    assert!(body.contains("Pénicilline") && body.contains("Arachide") && body.contains("06/2019"));
    // Stay.
    assert!(body.contains("<a href=\"/unites/CARDIO\">Cardiologie (CARDIO)</a>"));
    assert!(body.contains("101 / A"));
    // Items with their dates; unknown dates said so.
    assert!(body.contains("Furosémide 40 mg cp") && body.contains("<td>1 fois par jour</td>"));
    assert!(body.contains("<td>11/03/2024</td>"));
    assert!(body.contains("Insuffisance cardiaque") && body.contains("date inconnue"));
    assert!(body.contains("Surveillance poids") && body.contains("10/03/2024"));
    assert!(body.contains("88 /min") && body.contains("14/03/2024 07:05"));
    assert!(body.contains("135 mmHg") && body.contains("37,8 °C"));
    assert!(body.contains("Échographie cardiaque") && body.contains("12/03/2024 10:00"));
    assert!(body.contains("Coronarographie") && body.contains("11/03/2024 15:00"));
    // Abnormal result highlighted, note indentation kept.
    assert!(body.contains("<tr class=\"abnormal\">"));
    assert!(body.contains("6,9 mmol/L") && body.contains("3,5-5,0"));
    assert!(body.contains("<p class=\"note\">   hémolyse possible</p>"));
    assert!(body.contains("<p class=\"note\">  FEVG 35 %</p>"));
    // A document by its size, never its content.
    assert!(body.contains("document, 220 Ko"));
    assert!(!body.contains("JVBERi0"));
    assert_no_hl7_null(body);
}

#[tokio::test]
async fn patient_summary_shows_codes_in_words_with_the_code_as_title() {
    let (router, _) = app();
    let body = get(&router, "/patients/ipp:HOPITAL%7C123456").await.body;
    for (code, label) in [
        ("SV", "sévère"),
        ("MO", "modérée"),
        ("I", "hospitalisation complète"),
        ("PO", "per os"),
        ("IV", "intraveineuse"),
        ("SC", "sous-cutanée"),
        ("Q6H PRN", "toutes les 6 heures, si besoin"),
        ("QPM", "le soir"),
        ("F", "définitif"),
    ] {
        let shown = format!("<span class=\"coded\" title=\"{code}\">{label}</span>");
        assert!(body.contains(&shown), "missing {shown}");
    }
    assert!(body.contains("(<span class=\"coded\" title=\"F\">définitif</span>)"));
    for raw in [
        ">SV<",
        ">MO<",
        ">I<",
        ">PO<",
        ">Q6H PRN<",
        "(F)",
        "mm[Hg]",
        ">Cel<",
    ] {
        assert!(!body.contains(raw), "raw code {raw} shown");
    }
    let english = get(&router, "/patients/ipp:HOPITAL%7C123456?lang=en")
        .await
        .body;
    assert!(english.contains("title=\"SV\">severe</span>"));
    assert!(english.contains("title=\"I\">inpatient</span>"));
    assert!(english.contains("title=\"Q6H PRN\">every 6 hours, as needed</span>"));
    assert!(english.contains("title=\"PO\">oral</span>"));
}

#[tokio::test]
async fn patient_summary_flags_critical_results_and_writes_numbers_per_language() {
    let (router, _) = app();
    let body = get(&router, "/patients/ipp:HOPITAL%7C123456").await.body;
    // The critical potassium: a red badge whose words say "critique", the
    // raw flag in its title, its row marked critical.
    let potassium = body.find(">Potassium<").expect("potassium row");
    let row = &body[body[..potassium].rfind("<tr").expect("row start")..];
    let row = &row[..row.find("</tr>").expect("row end")];
    assert!(row.starts_with("<tr class=\"abnormal critical\">"), "{row}");
    assert!(row.contains(
        "<strong class=\"badge flag critical\" title=\"HH\"><span aria-hidden=\"true\">⚠ </span>critique haut</strong>"
    ));
    assert!(row.contains("6,9 mmol/L") && row.contains("3,5-5,0"));
    assert!(row.contains("<span class=\"coded\" title=\"final\">définitif</span>"));
    // A low sodium: visible, but not as loud; a preliminary status.
    assert!(body.contains("<strong class=\"badge flag\" title=\"L\">bas</strong>"));
    assert!(body.contains("<span class=\"coded\" title=\"P\">préliminaire</span>"));
    // A normal weight: said plainly, decimal comma.
    assert!(body.contains("<strong class=\"flag-normal\" title=\"N\">normal</strong>"));
    assert!(body.contains("77,3 kg") && !body.contains("77.3"));
    // The dose unit reads like the line below it.
    assert!(body.contains("<td>4000 UI</td>") && !body.contains("[iU]"));
    for raw in [">HH<", ">L<", ">N<", ">final<"] {
        assert!(!body.contains(raw), "raw code {raw} shown");
    }

    let english = get(&router, "/patients/ipp:HOPITAL%7C123456?lang=en")
        .await
        .body;
    assert!(
        english
            .contains("title=\"HH\"><span aria-hidden=\"true\">⚠ </span>critically high</strong>")
    );
    assert!(english.contains("title=\"final\">final</span>"));
    assert!(english.contains("title=\"L\">low</strong>"));
    assert!(english.contains("77.3 kg") && !english.contains("77,3"));
    assert!(english.contains("6.9 mmol/L") && english.contains("3.5-5.0"));
    assert!(english.contains("<td>4000 IU</td>"));
}

#[tokio::test]
async fn json_api_keeps_the_raw_codes() {
    let (router, _) = app();
    let json = get(&router, "/api/v1/patients/ipp:HOPITAL%7C123456")
        .await
        .json();
    assert_eq!(json["allergies"][0]["severity"], "SV");
    assert_eq!(json["stay"]["class"], "I");
    assert_eq!(json["medications"][1]["route"], "IV");
    assert_eq!(json["medications"][1]["frequency"], "Q6H PRN");
    assert_eq!(json["reports"][0]["status"], "F");
    assert_eq!(json["vitals"][1]["value"]["Quantity"]["unit"], "mm[Hg]");
    assert_eq!(json["vitals"][3]["value"]["Quantity"]["value"], "77.3");
    assert_eq!(json["results"][0]["interpretation"], "HH");
    assert_eq!(json["results"][0]["status"], "final");
    assert_eq!(json["medications"][2]["dose"], "4000 [iU]");
}

#[tokio::test]
async fn merged_patient_shows_the_survivor_with_a_notice() {
    let (router, _) = app();
    let answer = get(&router, "/patients/ipp:HOPITAL%7C999").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer
            .body
            .contains("<h1 id=\"patient-name\">DUPONT Jean</h1>")
    );
    assert!(
        answer.body.contains(
            "Dossier fusionné : ipp:HOPITAL|999 est désormais affiché sous ipp:HOPITAL|777"
        )
    );
    assert!(answer.body.contains("Pas de séjour en cours"));
}

#[tokio::test]
async fn unknown_patient_is_a_404_in_the_asked_language() {
    let (router, _) = app();
    let answer = get(&router, "/patients/ipp:HOPITAL%7C000").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.body.contains("<h1>Patient introuvable</h1>"));
    let answer = get(&router, "/patients/ipp:HOPITAL%7C000?lang=en").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.body.contains("<h1>Patient not found</h1>"));
}

#[tokio::test]
async fn unknown_route_is_a_french_404_page() {
    let (router, _) = app();
    let answer = get(&router, "/nulle-part").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.body.contains("<h1>Page introuvable</h1>"));
    assert!(answer.body.contains("Retour à la liste des unités"));
}

#[tokio::test]
async fn search_reads_name_and_birth_date() {
    let (router, store) = app();
    let answer = get(&router, "/recherche?q=dupont+12%2F05%2F1940").await;
    assert_eq!(answer.status, StatusCode::OK);
    let query = store
        .last_query
        .lock()
        .unwrap()
        .clone()
        .expect("store was searched");
    assert_eq!(query.name.as_deref(), Some("dupont"));
    assert_eq!(query.birth_date, Some((1940, 5, 12)));
    let body = &answer.body;
    assert!(body.contains("<a href=\"/patients/ipp:HOPITAL%7C777\">DUPONT Jean</a>"));
    assert!(body.contains("12/05/1940 (83 ans)"));
    assert!(body.contains("PNEUMO — 201 / B"));
    assert!(body.contains("value=\"dupont 12/05/1940\""));
}

#[tokio::test]
async fn search_by_identifier_and_empty_search() {
    let (router, store) = app();
    let answer = get(&router, "/recherche?q=777").await;
    assert!(answer.body.contains("DUPONT Jean"));
    let query = store
        .last_query
        .lock()
        .unwrap()
        .clone()
        .expect("store was searched");
    assert_eq!(query.identifier.as_deref(), Some("777"));
    let answer = get(&router, "/recherche?q=ZZZ").await;
    assert!(
        answer
            .body
            .contains("Aucun patient ne correspond à cette recherche.")
    );
    let answer = get(&router, "/recherche").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(!answer.body.contains("Aucun patient ne correspond"));
    assert!(!answer.body.contains("Plus de 50"));
}

#[tokio::test]
async fn search_says_when_results_are_cut_at_the_limit() {
    let truncated = "Plus de 50 résultats : affinez la recherche (nom et date de naissance)";
    // 51 matches: 50 shown, and the page says there are more.
    let (router, _, _) = support::app_over(support::FakeStore::hospital().with_namesakes(50));
    let body = get(&router, "/recherche?q=DUPONT").await.body;
    assert!(body.contains(truncated), "{body}");
    assert!(body.contains("Patients trouvés (50)"));
    assert_eq!(
        body.matches("<a href=\"/patients/ipp:HOPITAL%7C").count(),
        50
    );
    let english = get(&router, "/recherche?q=DUPONT&lang=en").await.body;
    assert!(english.contains("More than 50 results: refine the search (name and birth date)"));
    let json = get(&router, "/api/v1/patients?q=DUPONT").await.json();
    assert_eq!(json["truncated"], true);
    assert_eq!(json["patients"].as_array().map(Vec::len), Some(50));

    // Exactly 50 matches: all shown, nothing cut.
    let (router, _, _) = support::app_over(support::FakeStore::hospital().with_namesakes(49));
    let body = get(&router, "/recherche?q=DUPONT").await.body;
    assert!(!body.contains("Plus de 50"));
    assert!(body.contains("Patients trouvés (50)"));
    let json = get(&router, "/api/v1/patients?q=DUPONT").await.json();
    assert_eq!(json["truncated"], false);
    assert_eq!(json["patients"].as_array().map(Vec::len), Some(50));
}

#[tokio::test]
async fn impossible_date_is_a_400() {
    let (router, _) = app();
    let answer = get(&router, "/recherche?q=31%2F02%2F1950").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("Date invalide : 31/02/1950"));
    let answer = get(&router, "/api/v1/patients?q=31%2F02%2F1950").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["error"], "bad_request");
    assert_eq!(answer.json()["message_fr"], "Date invalide : 31/02/1950");
}

#[tokio::test]
async fn quarantine_and_status_pages() {
    let router = support::app_for_it();
    let answer = get(&router, "/quarantaine").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.contains("15/03/2024 11:59:00"));
    assert!(answer.body.contains("MSG0042") && answer.body.contains("PID-3 vide"));
    assert!(answer.body.contains("2 Ko"));
    let answer = get(&router, "/statut").await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = &answer.body;
    assert!(body.contains("noeud-test") && body.contains("/var/lib/ckisa"));
    assert!(body.contains("<dd>3</dd>") && body.contains("<dd>42</dd>"));
    assert!(body.contains("15/03/2024 11:59:56 (4 s)"));
    assert!(body.contains("<tr class=\"stale\">\n<th scope=\"row\">fhir</th>\n<td>jamais</td>"));
    // Fact kinds in words, the raw kind kept as a title.
    let facts = body.split("Faits par type").nth(1).expect("facts table");
    for (kind, label) in [
        ("allergy", "Allergies"),
        ("careplan", "Plans de soins"),
        ("patient", "Identités (créations, modifications)"),
        ("stay", "Séjours"),
    ] {
        let shown = format!("<span class=\"coded\" title=\"{kind}\">{label}</span>");
        assert!(facts.contains(&shown), "missing {shown} in {facts}");
    }
    let english = get(&router, "/statut?lang=en").await.body;
    assert!(english.contains("title=\"careplan\">Care plans</span>"));
}

#[tokio::test]
async fn english_only_on_explicit_request_by_query_or_cookie() {
    let (router, _) = app();
    let answer = get(&router, "/unites/CARDIO?lang=en").await;
    assert!(answer.body.contains("<html lang=\"en\">"));
    assert!(answer.body.contains("No allergy recorded") && answer.body.contains("Free"));
    assert!(answer.body.contains("adt: data up to date 4 s ago"));
    assert!(answer.body.contains("74 y"));
    assert!(answer.header("set-cookie").starts_with("lang=en;"));

    let request = Request::get("/unites")
        .header("cookie", "lang=en")
        .body(Body::empty())
        .unwrap();
    assert!(send(&router, request).await.body.contains("<h1>Units</h1>"));

    // A browser installed in English (headless Chromium sends en-US) still
    // gets French pages and errors.
    for header in ["en-US", "en-US,en;q=0.9", "en-GB,en;q=0.8"] {
        let request = Request::get("/unites")
            .header("accept-language", header)
            .body(Body::empty())
            .unwrap();
        let answer = send(&router, request).await;
        assert!(answer.body.contains("<h1>Unités</h1>"), "{header}");
        assert!(answer.body.contains("<html lang=\"fr\">"), "{header}");
        assert!(!answer.header("vary").contains("Accept-Language"));
    }
    let request = Request::get("/nulle-part")
        .header("accept-language", "en-US")
        .body(Body::empty())
        .unwrap();
    assert!(
        send(&router, request)
            .await
            .body
            .contains("<h1>Page introuvable</h1>")
    );
}

#[tokio::test]
async fn partial_answer_carries_only_live_parts() {
    let (router, _) = app();
    let request = Request::get("/unites")
        .header("x-partial", "1")
        .body(Body::empty())
        .unwrap();
    let answer = send(&router, request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(!answer.body.contains("<html") && !answer.body.contains("<nav"));
    assert!(answer.body.contains("<section id=\"fresh\""));
    assert!(answer.body.contains("<main id=\"main\">") && answer.body.contains("Cardiologie"));
}

#[tokio::test]
async fn store_failure_is_a_500_with_a_reference_and_no_detail() {
    let (router, store) = app();
    store.failing.store(true, Ordering::SeqCst);
    let answer = get(&router, "/unites").await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(answer.body.contains("Erreur interne"));
    assert!(
        answer
            .body
            .contains("Donnez cette référence au support informatique : ")
    );
    assert!(!answer.body.contains("secret") && !answer.body.contains("DUPONT"));
    let answer = get(&router, "/api/v1/units").await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    let json = answer.json();
    assert_eq!(json["error"], "internal_error");
    assert_eq!(json["request_id"].as_str().map(str::len), Some(32));
    assert!(!answer.body.contains("secret"));
}

#[tokio::test]
async fn api_units_and_board() {
    let (router, _) = app();
    let answer = get(&router, "/api/v1/units").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer
            .header("content-type")
            .starts_with("application/json")
    );
    let json = answer.json();
    assert_eq!(json["totals"]["beds"], 6);
    assert_eq!(json["totals"]["free_beds"], 3);
    assert_eq!(json["units"][0]["code"], "CARDIO");
    assert_eq!(json["units"][0]["occupied_beds"], 1);

    let json = get(&router, "/api/v1/units/CARDIO").await.json();
    let first = &json["beds"][0]["occupants"][0];
    assert_eq!(first["family"], "Le Goff");
    assert_eq!(first["patient"], "ipp:HOPITAL|123456");
    assert_eq!(first["admitted_at"]["iso"], "2024-03-10T08:30:00+01:00");
    assert_eq!(first["birth_date"]["iso"], "1950-02-01");
    assert_eq!(
        json["beds"][0]["occupants"].as_array().map(Vec::len),
        Some(2)
    );

    let answer = get(&router, "/api/v1/units/NOPE").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.json()["error"], "unit_not_found");
    assert_eq!(answer.json()["message_fr"], "Unité inconnue");
}

#[tokio::test]
async fn api_patient_chart_and_search() {
    let (router, _) = app();
    let json = get(&router, "/api/v1/patients/ipp:HOPITAL%7C123456")
        .await
        .json();
    assert_eq!(json["identity"]["given"], "GWÉNAËLLE");
    assert_eq!(json["allergies"].as_array().map(Vec::len), Some(2));
    let document = &json["results"][1]["value"]["Document"];
    assert_eq!(document["size_bytes"], 225_280);
    assert_eq!(document["data_omitted"], true);
    assert!(document.get("data").is_none());

    let answer = get(&router, "/api/v1/patients/ipp:HOPITAL%7C000").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.json()["error"], "patient_not_found");
    assert_eq!(answer.json()["message_fr"], "Patient introuvable");

    let json = get(&router, "/api/v1/patients?q=DUPONT%2012/05/1940")
        .await
        .json();
    assert_eq!(json["query"]["name"], "DUPONT");
    assert_eq!(json["query"]["birth_date"], "1940-05-12");
    assert_eq!(json["patients"][0]["patient"], "ipp:HOPITAL|777");
}

#[tokio::test]
async fn api_status_and_quarantine() {
    let router = support::app_for_it();
    let json = get(&router, "/api/v1/status").await.json();
    assert_eq!(json["events"], 42);
    assert_eq!(json["schema_version"], 3);
    assert_eq!(json["feeds"][0]["age_seconds"], 4);
    assert_eq!(json["feeds"][0]["freshness"], "fresh");
    assert_eq!(json["feeds"][1]["freshness"], "late");
    assert_eq!(json["facts"]["patient"], 3);
    assert_eq!(json["node"]["node_id"], "noeud-test");
    assert_eq!(json["node"]["generation"], 7);

    let json = get(&router, "/api/v1/quarantine").await.json();
    assert_eq!(json["entries"][0]["reason"], "PID-3 vide");
    assert_eq!(json["entries"][0]["received"], "2024-03-15T10:59:00Z");
}

#[tokio::test]
async fn metrics_in_prometheus_text_format() {
    let router = support::app_for_it();
    let answer = get(&router, "/metrics").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer
            .header("content-type")
            .starts_with("text/plain; version=0.0.4")
    );
    let body = &answer.body;
    for line in [
        "# TYPE ckisa_events_total counter",
        "ckisa_events_total 42",
        "ckisa_patients 3",
        "ckisa_in_house_patients 3",
        "ckisa_quarantined_total 1",
        "ckisa_units 2",
        "ckisa_beds 6",
        "ckisa_occupied_beds 3",
        "ckisa_schema_version 3",
        "ckisa_feed_last_message_age_seconds{feed=\"adt\"} 4",
        "ckisa_feed_last_message_age_seconds{feed=\"lab \\\"main\\\"\"} 180",
        "ckisa_feed_accepted_total{feed=\"adt\"} 10",
        "ckisa_feed_duplicates_total{feed=\"adt\"} 1",
        "ckisa_feed_rejected_total{feed=\"adt\"} 2",
        "ckisa_facts_total{kind=\"stay\"} 3",
    ] {
        assert!(
            body.lines().any(|l| l == line),
            "missing line {line:?} in\n{body}"
        );
    }
    assert!(body.contains("# HELP ckisa_beds "));
}

#[tokio::test]
async fn healthz_answers_ok() {
    let (router, _) = app();
    let answer = get(&router, "/healthz").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, "ok");
}

#[tokio::test]
async fn static_files_are_known_names_only() {
    let (router, _) = app();
    let css = get(&router, "/static/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
    assert!(css.header("cache-control").contains("max-age"));
    assert!(css.body.contains("@media print"));
    let js = get(&router, "/static/app.js").await;
    assert_eq!(js.header("content-type"), "text/javascript; charset=utf-8");
    assert!(js.body.contains("EventSource"));
    for bad in [
        "/static/lib.rs",
        "/static/..%2FCargo.toml",
        "/static/../Cargo.toml",
    ] {
        assert_eq!(
            get(&router, bad).await.status,
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn event_stream_sends_the_generation_and_its_changes() {
    let (router, store) = app();
    let response = router
        .clone()
        .oneshot_request(Request::get("/evenements").body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = response.into_body().into_data_stream();
    assert_eq!(
        next_event(&mut stream).await,
        "event: generation\ndata: 7\n\n"
    );
    store.generation.store(8, Ordering::SeqCst);
    assert_eq!(
        next_event(&mut stream).await,
        "event: generation\ndata: 8\n\n"
    );
}

#[tokio::test]
async fn event_streams_end_when_closed_for_shutdown() {
    let (router, state, _store) = support::app_with_state();
    let request = Request::get("/evenements").body(Body::empty()).unwrap();
    let response = router.oneshot_request(request).await;
    let mut stream = response.into_body().into_data_stream();
    assert_eq!(
        next_event(&mut stream).await,
        "event: generation\ndata: 7\n\n"
    );
    state.close_event_streams();
    let end = tokio::time::timeout(Duration::from_secs(5), stream.next()).await;
    assert!(end.expect("stream ends within 5 s").is_none());
}

async fn next_event(stream: &mut axum::body::BodyDataStream) -> String {
    let frame = tokio::time::timeout(Duration::from_secs(5), stream.next()).await;
    let bytes = frame
        .expect("event within 5 s")
        .expect("stream open")
        .expect("bytes");
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// `oneshot` without reading the body, for streams.
trait OneshotRequest {
    async fn oneshot_request(self, request: Request<Body>) -> axum::response::Response;
}

impl OneshotRequest for axum::Router {
    async fn oneshot_request(self, request: Request<Body>) -> axum::response::Response {
        use tower::ServiceExt;
        self.oneshot(request).await.expect("router is infallible")
    }
}

#[tokio::test]
async fn a_patient_with_two_open_stays_is_flagged_on_the_summary() {
    let (router, _store) = app();
    let answer = get(&router, "/patients/ipp:HOPITAL%7C123456").await;
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .body
            .contains("Ce patient a aussi un autre séjour en cours"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("Réanimation"));
    assert!(
        answer.body.contains("7 / B") || answer.body.contains("7/B"),
        "{}",
        answer.body
    );
}
