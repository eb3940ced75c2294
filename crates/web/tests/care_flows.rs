//! The clinical capsule's flows in degraded mode, over a real SQLite store:
//! admissions with provisional identities, transfers and discharges (and
//! two terminals on one bed), diets and the kitchen list, the clinics' day
//! lists, who may do what.

mod support;

use axum::http::StatusCode;
use ckisa_auth::{Role, Scope};
use ckisa_domain::{
    Actor, Appointment, AppointmentStatus, Event, EventId, Fact, Field, Hlc, Moment, NodeId,
    PatientKey, PatientUpdate, ResourceRef, Source, SourceChannel,
};
use ckisa_store::{PatientQuery, Store, Submission};
use support::TestSession;
use support::crisis::{CrisisNode, clock_now, unit};

/// Authority of the provisional IPPs (the default `[soins]` range).
const PROVISIONAL: &str = "CKISA-PROVISOIRE";

/// A node with a crisis declared, and its director.
async fn in_crisis() -> (CrisisNode, TestSession) {
    let node = CrisisNode::new();
    let director = node.login_as("directeur", Role::CrisisDirector, Scope::AllUnits);
    let declared = node
        .post(
            &director,
            "/crise/transition/declarer",
            &[("niveau", "2"), ("motif", "SIH hors service")],
        )
        .await;
    assert_eq!(declared.status, StatusCode::SEE_OTHER, "{}", declared.body);
    (node, director)
}

/// The value of the hidden field `name` in a page.
fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {body}"));
    let rest = &body[at + marker.len()..];
    rest[..rest.find('"').expect("value end")].to_owned()
}

/// The patient key a redirect to `...?patient=KEY...` names.
fn key_of(location: &str) -> PatientKey {
    let query = location.split_once("patient=").expect("patient param").1;
    let encoded = query.split('&').next().unwrap_or_default();
    PatientKey(
        percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .expect("utf-8")
            .into_owned(),
    )
}

fn ipp(value: &str) -> PatientKey {
    PatientKey::ipp(PROVISIONAL, value)
}

/// Who lies in `unit`'s bed `room`/`bed`, by key.
fn occupants(node: &CrisisNode, code: &str, room: &str, bed: &str) -> Vec<PatientKey> {
    let board = node
        .store
        .unit_board(code)
        .expect("store reads")
        .expect("unit exists");
    board
        .beds
        .iter()
        .filter(|row| row.room.as_deref() == Some(room) && row.bed.as_deref() == Some(bed))
        .flat_map(|row| row.occupants.iter().map(|o| o.patient.clone()))
        .collect()
}

/// Admits a patient into `unit` bed `lit` as `session`; returns the answer.
async fn admit(
    node: &CrisisNode,
    session: &TestSession,
    code: &str,
    fields: &[(&str, &str)],
) -> support::Answer {
    node.post(session, &format!("/soins/unites/{code}/admission"), fields)
        .await
}

#[tokio::test]
async fn an_unknown_patient_is_admitted_with_a_provisional_ipp_then_moved_and_discharged() {
    let (node, _) = in_crisis().await;
    let nurse = node.login_as("ide-rea", Role::Nurse, unit("REA"));

    let form = node.get(&nurse, "/soins/unites/REA/admission").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("99000000-99999999"), "{}", form.body);
    assert!(form.body.contains("value=\"2|2\""), "free beds offered");

    let admitted = admit(
        &node,
        &nurse,
        "REA",
        &[
            ("inconnu", "1"),
            ("sexe", "M"),
            ("age", "45"),
            ("lit", "2|2"),
        ],
    )
    .await;
    assert_eq!(admitted.status, StatusCode::SEE_OTHER, "{}", admitted.body);
    let location = admitted.header("location").to_owned();
    let unknown = key_of(&location);
    assert_eq!(unknown, ipp("99000000"));

    // The wristband: identity, provisional IPP, a barcode.
    let band = node.get(&nurse, &location).await;
    assert_eq!(band.status, StatusCode::OK);
    assert!(band.body.contains("INCONNU"));
    assert!(band.body.contains("99000000"));
    assert!(band.body.contains("identité provisoire"));
    assert!(band.body.contains("<svg class=\"barcode\""));
    assert!(band.body.contains("45 ans"), "approximate age shown");

    // The bed board follows, through the store's projection.
    assert_eq!(occupants(&node, "REA", "2", "2"), vec![unknown.clone()]);
    let units = node.store.units().expect("reads");
    let rea = units.iter().find(|u| u.code == "REA").expect("REA");
    assert_eq!(
        (rea.occupied_beds, rea.patients),
        (1, 1),
        "occupancy follows"
    );
    let board = node.get(&nurse, "/unites/REA").await;
    assert!(board.body.contains("INCONNU"));

    // A second admission takes the next IPP.
    let named = admit(
        &node,
        &nurse,
        "REA",
        &[
            ("nom", "Martin"),
            ("prenom", "Claire"),
            ("sexe", "F"),
            ("naissance", "1960-05-04"),
            ("lit", "3|3"),
        ],
    )
    .await;
    assert_eq!(named.status, StatusCode::SEE_OTHER, "{}", named.body);
    let martin = key_of(named.header("location"));
    assert_eq!(martin, ipp("99000001"));
    let chart = node
        .store
        .patient_chart(&martin)
        .expect("reads")
        .expect("known");
    assert_eq!(chart.identity.family.as_deref(), Some("Martin"));
    assert_eq!(chart.identity.birth_date, Moment::date(1960, 5, 4));
    assert_eq!(chart.identity.ipp.as_deref(), Some("99000001"));

    // Transfer to cardiology.
    let query = format!(
        "/soins/mutation?patient={}&unite=CARDIO",
        percent_encoding::utf8_percent_encode(unknown.as_str(), percent_encoding::NON_ALPHANUMERIC)
    );
    let transfer_form = node.get(&nurse, &query).await;
    assert_eq!(
        transfer_form.status,
        StatusCode::OK,
        "{}",
        transfer_form.body
    );
    assert!(transfer_form.body.contains("Lits libres de CARDIO"));
    let seen = hidden(&transfer_form.body, "vu");
    let moved = node
        .post(
            &nurse,
            "/soins/mutation",
            &[
                ("patient", unknown.as_str()),
                ("vu", &seen),
                ("unite", "CARDIO"),
                ("lit", "1|1"),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    assert!(occupants(&node, "REA", "2", "2").is_empty());
    assert_eq!(occupants(&node, "CARDIO", "1", "1"), vec![unknown.clone()]);

    // The REA nurse no longer reaches the patient; a CARDIO nurse
    // discharges them.
    let param =
        percent_encoding::utf8_percent_encode(unknown.as_str(), percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let outside = node
        .get(&nurse, &format!("/soins/sortie?patient={param}"))
        .await;
    assert_eq!(outside.status, StatusCode::FORBIDDEN);
    let cardio = node.login_as("ide-cardio", Role::Nurse, unit("CARDIO"));
    let discharge_form = node
        .get(&cardio, &format!("/soins/sortie?patient={param}"))
        .await;
    assert_eq!(
        discharge_form.status,
        StatusCode::OK,
        "{}",
        discharge_form.body
    );
    let seen = hidden(&discharge_form.body, "vu");
    let out = node
        .post(
            &cardio,
            "/soins/sortie",
            &[("patient", unknown.as_str()), ("vu", &seen), ("heure", "")],
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.body);
    assert!(occupants(&node, "CARDIO", "1", "1").is_empty());
    let chart = node
        .store
        .patient_chart(&unknown)
        .expect("reads")
        .expect("known");
    assert!(chart.stay.is_none(), "discharged: {:?}", chart.stay);

    // The movements page lists what is left, the provisional badge on.
    let page = node.get(&nurse, "/soins/unites/REA/mouvements").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("MARTIN Claire"));
    assert!(page.body.contains("identité provisoire"));
    assert!(!page.body.contains("INCONNU"));
}

#[tokio::test]
async fn two_terminals_on_one_bed_see_a_conflict_and_the_first_one_stays() {
    let (node, _) = in_crisis().await;
    let first = node.login_as("ide-1", Role::Nurse, unit("REA"));
    let second = node.login_as("ide-2", Role::Nurse, unit("REA"));
    // Both load the form while bed 1 / 1 is free.
    for session in [&first, &second] {
        let form = node.get(session, "/soins/unites/REA/admission").await;
        assert!(form.body.contains("value=\"1|1\""));
    }
    let won = admit(
        &node,
        &first,
        "REA",
        &[("nom", "Premier"), ("sexe", "F"), ("lit", "1|1")],
    )
    .await;
    assert_eq!(won.status, StatusCode::SEE_OTHER, "{}", won.body);
    let lost = admit(
        &node,
        &second,
        "REA",
        &[("nom", "Second"), ("sexe", "M"), ("lit", "1|1")],
    )
    .await;
    assert_eq!(lost.status, StatusCode::CONFLICT, "{}", lost.body);
    assert!(
        lost.body
            .contains("Le lit 1 / 1 vient d&#39;être occupé par PREMIER depuis un autre poste"),
        "{}",
        lost.body
    );
    // The form comes back as typed, with the navigation, to pick another bed.
    assert!(lost.body.contains("value=\"Second\""), "{}", lost.body);
    assert!(lost.body.contains("name=\"lit\""));
    assert!(lost.body.contains("href=\"/soins\""), "navigation kept");
    assert_eq!(occupants(&node, "REA", "1", "1"), vec![ipp("99000000")]);
    let second_ipp = PatientQuery {
        identifier: Some("99000001".into()),
        ..PatientQuery::default()
    };
    assert!(
        node.store
            .search_patients(&second_ipp, 5)
            .expect("reads")
            .is_empty(),
        "the refused admission wrote nothing"
    );

    // Two transfer forms of the same patient: the second one saw a place
    // that no longer holds.
    let key = ipp("99000000");
    let param =
        percent_encoding::utf8_percent_encode(key.as_str(), percent_encoding::NON_ALPHANUMERIC);
    let one = node
        .get(&first, &format!("/soins/mutation?patient={param}"))
        .await;
    let two = node
        .get(&second, &format!("/soins/mutation?patient={param}"))
        .await;
    let (seen_one, seen_two) = (hidden(&one.body, "vu"), hidden(&two.body, "vu"));
    assert_eq!(seen_one, seen_two);
    let moved = node
        .post(
            &first,
            "/soins/mutation",
            &[
                ("patient", key.as_str()),
                ("vu", &seen_one),
                ("unite", "REA"),
                ("lit", "2|2"),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    let stale = node
        .post(
            &second,
            "/soins/mutation",
            &[
                ("patient", key.as_str()),
                ("vu", &seen_two),
                ("unite", "REA"),
                ("lit", "4|4"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale.body.contains("a été déplacé depuis un autre poste"),
        "{}",
        stale.body
    );
    assert_eq!(occupants(&node, "REA", "2", "2"), vec![key.clone()]);
    assert!(occupants(&node, "REA", "4", "4").is_empty());
}

#[tokio::test]
async fn movements_are_refused_outside_a_crisis_and_outside_ones_units() {
    let node = CrisisNode::new();
    let nurse = node.login_as("ide-rea", Role::Nurse, unit("REA"));
    let closed = admit(
        &node,
        &nurse,
        "REA",
        &[("nom", "Martin"), ("sexe", "F"), ("lit", "1|1")],
    )
    .await;
    assert_eq!(closed.status, StatusCode::CONFLICT);
    assert!(closed.body.contains("aucune crise n&#39;est en cours"));
    assert!(occupants(&node, "REA", "1", "1").is_empty());
    let page = node.get(&nurse, "/soins/unites/REA/admission").await;
    assert!(page.body.contains("la saisie en mode dégradé est fermée"));
    assert!(!page.body.contains("name=\"lit\""));

    let director = node.login_as("directeur", Role::CrisisDirector, Scope::AllUnits);
    let declared = node
        .post(
            &director,
            "/crise/transition/declarer",
            &[("niveau", "1"), ("motif", "SIH lent")],
        )
        .await;
    assert_eq!(declared.status, StatusCode::SEE_OTHER);
    let other_unit = node.login_as("ide-urg", Role::Nurse, unit("URG"));
    let refused = admit(
        &node,
        &other_unit,
        "REA",
        &[("nom", "Martin"), ("sexe", "F"), ("lit", "1|1")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let page = node.get(&other_unit, "/soins/unites/REA/mouvements").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let lab = node.login_as("labo", Role::Lab, Scope::AllUnits);
    let lab_admits = admit(
        &node,
        &lab,
        "REA",
        &[("nom", "Martin"), ("sexe", "F"), ("lit", "1|1")],
    )
    .await;
    assert_eq!(lab_admits.status, StatusCode::FORBIDDEN);
    assert!(occupants(&node, "REA", "1", "1").is_empty());

    // A wrong field shows the form again with what to fix.
    let wrong = admit(
        &node,
        &nurse,
        "REA",
        &[("nom", ""), ("sexe", "F"), ("lit", "1|1")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.body.contains("Indiquez le nom du patient"));
    let no_bed = admit(
        &node,
        &nurse,
        "REA",
        &[("nom", "X"), ("sexe", "F"), ("lit", "9|9")],
    )
    .await;
    assert_eq!(no_bed.status, StatusCode::BAD_REQUEST);
    assert!(no_bed.body.contains("Choisissez un lit libre"));
}

#[tokio::test]
async fn a_diet_reaches_the_kitchen_list_and_a_stale_form_is_refused() {
    let (node, director) = in_crisis().await;
    let nurse = node.login_as("ide-rea", Role::Nurse, unit("REA"));
    admit(
        &node,
        &nurse,
        "REA",
        &[("nom", "Durand"), ("sexe", "M"), ("lit", "1|1")],
    )
    .await;
    admit(
        &node,
        &nurse,
        "REA",
        &[("nom", "Petit"), ("sexe", "F"), ("lit", "2|2")],
    )
    .await;
    let durand = ipp("99000000");

    let kitchen = node.get(&director, "/soins/cuisine?unite=REA").await;
    assert_eq!(kitchen.status, StatusCode::OK, "{}", kitchen.body);
    assert_eq!(kitchen.body.matches("régime non renseigné").count(), 2);
    assert!(kitchen.body.contains("Liste établie le 15/03/2024"));

    let param =
        percent_encoding::utf8_percent_encode(durand.as_str(), percent_encoding::NON_ALPHANUMERIC);
    let form = node
        .get(&nurse, &format!("/soins/regime?patient={param}"))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let seen = hidden(&form.body, "vu");
    let saved = node
        .post(
            &nurse,
            "/soins/regime",
            &[
                ("patient", durand.as_str()),
                ("vu", &seen),
                ("regime", "Sans sel"),
                ("regime", "Mixé"),
                ("a_jeun", "1"),
                ("remarques", "allergie arachide"),
                ("debut", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);

    let kitchen = node.get(&director, "/soins/cuisine?unite=REA").await;
    assert!(kitchen.body.contains("À JEUN"));
    assert!(kitchen.body.contains("Sans sel, Mixé"));
    assert!(kitchen.body.contains("allergie arachide"));
    assert_eq!(kitchen.body.matches("régime non renseigné").count(), 1);

    // The same (now stale) form again: refused, the diet stays.
    let stale = node
        .post(
            &nurse,
            "/soins/regime",
            &[
                ("patient", durand.as_str()),
                ("vu", &seen),
                ("regime", "Normal"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale
            .body
            .contains("vient d&#39;être modifié depuis un autre poste")
    );
    // A fresh form replaces the diet in force: one current diet.
    let form = node
        .get(&nurse, &format!("/soins/regime?patient={param}"))
        .await;
    let seen = hidden(&form.body, "vu");
    let replaced = node
        .post(
            &nurse,
            "/soins/regime",
            &[
                ("patient", durand.as_str()),
                ("vu", &seen),
                ("regime", "Normal"),
            ],
        )
        .await;
    assert_eq!(replaced.status, StatusCode::SEE_OTHER, "{}", replaced.body);
    let diets = node
        .store
        .diets(std::slice::from_ref(&durand))
        .expect("reads");
    assert_eq!(diets.len(), 1, "{diets:?}");
    assert_eq!(diets[0].diets[0].text, "Normal");
    assert!(!diets[0].nil_by_mouth);

    // A physician documents but has no kitchen list; a nurse of another
    // unit cannot record this patient's diet.
    let physician = node.login_as("medecin", Role::Physician, unit("REA"));
    assert_eq!(
        node.get(&physician, "/soins/cuisine").await.status,
        StatusCode::FORBIDDEN
    );
    let urg = node.login_as("ide-urg", Role::Nurse, unit("URG"));
    let form = node
        .get(&urg, &format!("/soins/regime?patient={param}"))
        .await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
}

/// Commits `facts` as a feed would.
fn feed(node: &CrisisNode, facts: Vec<Fact>) {
    let now = u64::try_from(clock_now()).expect("positive clock");
    let events = facts
        .into_iter()
        .enumerate()
        .map(|(n, fact)| Event {
            id: EventId::new(now),
            hlc: Hlc::new(now, u16::try_from(n).expect("few facts")),
            origin: NodeId("sih".into()),
            actor: Actor::Feed("rdv".into()),
            source: Source {
                channel: SourceChannel::Mllp,
                origin: "rdv".into(),
                message_id: None,
                sender: None,
                fhir_id: None,
            },
            fact,
        })
        .collect();
    node.store
        .commit(vec![Submission {
            feed: "rdv".into(),
            received_ms: clock_now(),
            dedup: None,
            events,
        }])
        .expect("committed");
}

fn appointment(id: &str, patient: &PatientKey, start: &str, clinic: &str, who: &str) -> Fact {
    Fact::AppointmentRecorded(Appointment {
        id: id.into(),
        patient: patient.clone(),
        start: Moment::parse_iso(start).expect("a moment"),
        minutes: Some(20),
        clinic: Some(clinic.into()),
        practitioner: Some(ResourceRef {
            reference: None,
            identifier: None,
            display: Some(who.into()),
        }),
        reason: Some("Suivi".into()),
        status: AppointmentStatus::Booked,
    })
}

#[tokio::test]
async fn clinic_lists_show_a_day_grouped_with_cancellations_struck() {
    let node = CrisisNode::new();
    let bernard = PatientKey::ipp("HOPITAL", "42");
    let mut cancelled = appointment(
        "rdv-3",
        &bernard,
        "2024-03-15T16:00:00+01:00",
        "Cardiologie",
        "Dr Durand",
    );
    if let Fact::AppointmentRecorded(a) = &mut cancelled {
        a.status = AppointmentStatus::Cancelled;
    }
    feed(
        &node,
        vec![
            Fact::PatientUpdated(PatientUpdate {
                patient: bernard.clone(),
                family: Field::Value("Bernard".into()),
                given: Field::Value("Louis".into()),
                ..PatientUpdate::default()
            }),
            appointment(
                "rdv-1",
                &bernard,
                "2024-03-15T14:30:00+01:00",
                "Cardiologie",
                "Dr Durand",
            ),
            appointment(
                "rdv-2",
                &bernard,
                "2024-03-15T09:00:00+01:00",
                "Pneumologie",
                "Dr Lefèvre",
            ),
            cancelled,
            appointment(
                "rdv-4",
                &bernard,
                "2024-03-16T10:00:00+01:00",
                "Cardiologie",
                "Dr Durand",
            ),
        ],
    );
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    let today = node.get(&nurse, "/soins/rendez-vous").await;
    assert_eq!(today.status, StatusCode::OK, "{}", today.body);
    let body = &today.body;
    assert!(body.contains("Rendez-vous du vendredi 15/03/2024"));
    let cardio = body.find("<h2>Cardiologie").expect("cardiology group");
    let pneumo = body.find("<h2>Pneumologie").expect("pneumology group");
    assert!(cardio < pneumo, "clinics in order");
    assert!(body.contains("14:30"));
    assert!(body.contains("<tr class=\"struck\">"));
    assert!(body.contains("annulé"));
    assert!(body.contains("1 rendez-vous maintenus"));
    assert!(!body.contains("10:00"), "the next day is not listed");
    assert!(
        body.contains("/soins/rendez-vous?jour=2024-03-21"),
        "a week ahead"
    );
    assert!(!body.contains("jour=2024-03-22"));

    let by_doctor = node
        .get(&nurse, "/soins/rendez-vous?jour=2024-03-16&par=praticien")
        .await;
    assert!(by_doctor.body.contains("<h2>Dr Durand"));
    assert!(by_doctor.body.contains("10:00"));

    let bad = node.get(&nurse, "/soins/rendez-vous?jour=2024-02-30").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let lab = node.login_as("labo", Role::Lab, Scope::AllUnits);
    assert_eq!(
        node.get(&lab, "/soins/rendez-vous").await.status,
        StatusCode::FORBIDDEN
    );
}

/// `GET uri` as `session`, the body as bytes (PDF downloads).
async fn get_bytes(
    node: &CrisisNode,
    session: &TestSession,
    uri: &str,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let request = axum::http::Request::get(uri)
        .header(axum::http::header::COOKIE, &session.cookie)
        .body(axum::body::Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(node.router.clone(), request)
        .await
        .expect("answer");
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024)
        .await
        .expect("body");
    (status, headers, bytes.to_vec())
}

/// The text of a PDF through `pdftotext`, when it is installed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("etiquette.pdf");
    std::fs::write(&path, pdf).expect("pdf written");
    let output = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .ok()?;
    assert!(output.status.success(), "pdftotext refused the file");
    Some(String::from_utf8(output.stdout).expect("UTF-8 text"))
}

fn encoded(key: &PatientKey) -> String {
    percent_encoding::utf8_percent_encode(key.as_str(), percent_encoding::NON_ALPHANUMERIC)
        .to_string()
}

/// A provisional patient admitted into `code` bed `bed|bed`.
async fn admitted(
    node: &CrisisNode,
    nurse: &TestSession,
    code: &str,
    name: &str,
    bed: &str,
) -> PatientKey {
    let lit = format!("{bed}|{bed}");
    let answer = admit(
        node,
        nurse,
        code,
        &[("nom", name), ("sexe", "F"), ("lit", &lit)],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    key_of(answer.header("location"))
}

/// The same id with its last digit changed: the check digit no longer
/// matches.
fn mistyped(id: &str) -> String {
    let (head, last) = id.split_at(id.len() - 1);
    let digit = (last.parse::<u8>().expect("a digit") + 1) % 10;
    format!("{head}{digit}")
}

#[tokio::test]
async fn a_lab_request_is_labelled_resulted_by_scan_and_its_critical_value_flagged_to_the_unit() {
    let (node, _) = in_crisis().await;
    let nurse = node.login_as("ide-rea", Role::Nurse, unit("REA"));
    let patient = admitted(&node, &nurse, "REA", "Martin", "1").await;

    let form = node
        .get(
            &nurse,
            &format!("/soins/biologie/demande?patient={}", encoded(&patient)),
        )
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("Ionogramme sanguin") && form.body.contains("Hémocultures"));
    let asked = node
        .post(
            &nurse,
            "/soins/biologie/demande",
            &[
                ("patient", patient.as_str()),
                ("bilan", "IONO"),
                ("bilan", "NFS"),
                ("autres", "Ferritine"),
                ("prelevement", "Sang veineux"),
                ("heure", ""),
                ("urgent", "1"),
                ("prescripteur", "Dr House"),
                ("commentaire", "Douleur thoracique"),
            ],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let label_uri = asked.header("location").to_owned();
    let id = label_uri.rsplit('/').next().expect("an id").to_owned();
    assert!(id.starts_with("DT") && id.len() == 13, "{id}");

    // The label: identity, barcode, the id in groups, urgent.
    let label = node.get(&nurse, &label_uri).await;
    assert_eq!(label.status, StatusCode::OK);
    assert!(label.body.contains("MARTIN"));
    assert!(label.body.contains("<svg class=\"barcode\""));
    assert!(label.body.contains(&ckisa_care::lab::label_text(&id)));
    assert!(label.body.contains("URGENT"));
    let (status, headers, pdf) =
        get_bytes(&node, &nurse, &format!("{label_uri}/etiquette.pdf")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    if let Some(text) = pdf_text(&pdf) {
        assert!(text.contains("MARTIN"), "{text}");
        assert!(text.contains("Ionogramme sanguin"), "{text}");
    }

    // The lab sees it pending; a mistyped scan is refused with the reason.
    let lab = node.login_as("labo", Role::Lab, Scope::Units(Vec::new()));
    let bench = node.get(&lab, "/soins/labo").await;
    assert_eq!(bench.status, StatusCode::OK, "{}", bench.body);
    assert!(bench.body.contains(&ckisa_care::lab::label_text(&id)));
    let wrong = node
        .get(&lab, &format!("/soins/labo?etiquette={}", mistyped(&id)))
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(
        wrong.body.contains("chiffre de contrôle faux"),
        "{}",
        wrong.body
    );
    assert!(
        !wrong.body.contains("MARTIN"),
        "no identity on a refused scan"
    );
    let junk = node.get(&lab, "/soins/labo?etiquette=BONJOUR").await;
    assert!(junk.body.contains("n&#39;est pas un numéro de demande"));

    // The right scan (as a scanner types it: lower case, spaces, Enter).
    let scanned = format!("{}\r", ckisa_care::lab::label_text(&id).to_lowercase());
    let found = node
        .get(
            &lab,
            &format!(
                "/soins/labo?etiquette={}",
                percent_encoding::utf8_percent_encode(&scanned, percent_encoding::NON_ALPHANUMERIC)
            ),
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(found.body.contains("MARTIN"));
    assert!(
        found
            .body
            .contains("Vérifiez que l&#39;identité ci-dessous")
    );
    assert_eq!(hidden(&found.body, "k2"), "IONO-2823-3");
    assert_eq!(hidden(&found.body, "k8"), "NFS-718-7");
    assert_eq!(
        hidden(&found.body, "k12"),
        "T3",
        "the typed test gets one line"
    );

    // A value that is not a number: refused, nothing recorded.
    let refused = node
        .post(
            &lab,
            "/soins/labo/resultats",
            &[
                ("demande", &id),
                ("k2", "IONO-2823-3"),
                ("v2", "six"),
                ("u2", "mmol/L"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused
            .body
            .contains("« six » n&#39;est pas un nombre pour Potassium")
    );
    assert!(
        node.store
            .patient_chart(&patient)
            .expect("reads")
            .expect("known")
            .results
            .is_empty()
    );

    let results = [
        ("demande", id.as_str()),
        ("k1", "IONO-2951-2"),
        ("v1", "138"),
        ("u1", "mmol/L"),
        ("k2", "IONO-2823-3"),
        ("v2", "6,8"),
        ("u2", "mmol/L"),
        ("f2", ""),
        ("k8", "NFS-718-7"),
        ("v8", "12,5"),
        ("u8", "g/dL"),
        ("k12", "T3"),
        ("v12", "250"),
        ("u12", "µg/L"),
    ];
    let saved = node.post(&lab, "/soins/labo/resultats", &results).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let after = node.get(&lab, saved.header("location")).await;
    assert!(after.body.contains("Résultats enregistrés"));
    assert!(
        after.body.contains("value=\"6,8\""),
        "values shown again for correction"
    );

    // In the chart, flagged critical though the lab did not flag it.
    let chart = node
        .store
        .patient_chart(&patient)
        .expect("reads")
        .expect("known");
    let potassium = chart
        .results
        .iter()
        .find(|o| o.code.code.as_deref() == Some("2823-3"))
        .expect("potassium in the chart");
    assert_eq!(potassium.interpretation.as_deref(), Some("HH"));
    assert_eq!(chart.results.len(), 4);

    // The unit sees the critical result until someone acknowledges it.
    let page = node.get(&nurse, "/soins/unites/REA/biologie").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("Résultats critiques à prendre en compte (1)")
    );
    assert!(page.body.contains("6,8 mmol/L"));
    assert!(page.body.contains("résultat critique"));
    let ack = node
        .post(
            &nurse,
            "/soins/unites/REA/biologie/vu",
            &[("demande", &ckisa_care::lab::label_text(&id))],
        )
        .await;
    assert_eq!(ack.status, StatusCode::SEE_OTHER, "{}", ack.body);
    let page = node.get(&nurse, "/soins/unites/REA/biologie").await;
    assert!(
        !page
            .body
            .contains("Résultats critiques à prendre en compte")
    );
    assert!(page.body.contains("pris en compte par Test ide-rea"));

    // A correction is a new version: critical again, one value only.
    let corrected = node
        .post(
            &lab,
            "/soins/labo/resultats",
            &[
                ("demande", &id),
                ("k2", "IONO-2823-3"),
                ("v2", "7,1"),
                ("u2", "mmol/L"),
            ],
        )
        .await;
    assert_eq!(corrected.status, StatusCode::SEE_OTHER);
    let page = node.get(&nurse, "/soins/unites/REA/biologie").await;
    assert!(
        page.body
            .contains("Résultats critiques à prendre en compte (1)")
    );
    assert!(page.body.contains("7,1 mmol/L"));
    assert!(!page.body.contains("6,8 mmol/L"));
    let bench = node.get(&lab, "/soins/labo").await;
    assert!(
        !bench.body.contains(&format!("etiquette={id}")),
        "no longer pending"
    );
}

#[tokio::test]
async fn lab_pages_keep_to_their_roles_and_units() {
    let (node, _) = in_crisis().await;
    let nurse = node.login_as("ide-rea", Role::Nurse, unit("REA"));
    let patient = admitted(&node, &nurse, "REA", "Martin", "1").await;
    let asked = node
        .post(
            &nurse,
            "/soins/biologie/demande",
            &[
                ("patient", patient.as_str()),
                ("bilan", "TROPO"),
                ("prelevement", "Sang veineux"),
                ("prescripteur", "Dr House"),
            ],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let label_uri = asked.header("location").to_owned();

    let urg = node.login_as("ide-urg", Role::Nurse, unit("URG"));
    assert_eq!(
        node.get(&urg, "/soins/unites/REA/biologie").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        node.get(&urg, &label_uri).await.status,
        StatusCode::FORBIDDEN
    );
    let request_other = node
        .post(
            &urg,
            "/soins/biologie/demande",
            &[
                ("patient", patient.as_str()),
                ("bilan", "NFS"),
                ("prelevement", "Sang veineux"),
                ("prescripteur", "Dr X"),
            ],
        )
        .await;
    assert_eq!(request_other.status, StatusCode::FORBIDDEN);
    let lab = node.login_as("labo", Role::Lab, Scope::AllUnits);
    let lab_asks = node
        .post(
            &lab,
            "/soins/biologie/demande",
            &[("patient", patient.as_str()), ("bilan", "NFS")],
        )
        .await;
    assert_eq!(lab_asks.status, StatusCode::FORBIDDEN);
    assert_eq!(
        node.get(&nurse, "/soins/labo").await.status,
        StatusCode::FORBIDDEN
    );
    // A request with nothing asked says so.
    let empty = node
        .post(
            &nurse,
            "/soins/biologie/demande",
            &[
                ("patient", patient.as_str()),
                ("prelevement", "Sang veineux"),
                ("prescripteur", "Dr X"),
            ],
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("Cochez au moins un examen"));
}

#[tokio::test]
async fn a_unit_prints_its_paper_pack_part_by_part() {
    let (node, _) = in_crisis().await;
    let nurse = node.login_as("ide-rea", Role::Nurse, unit("REA"));
    admitted(&node, &nurse, "REA", "Martin", "2").await;
    let page = node.get(&nurse, "/soins/unites/REA/secours").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for part in ckisa_care::paper::PARTS {
        assert!(
            page.body
                .contains(&format!("/soins/unites/REA/secours/{part}.pdf")),
            "{part}"
        );
    }
    let (status, headers, pdf) =
        get_bytes(&node, &nurse, "/soins/unites/REA/secours/recensement.pdf").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert!(
        disposition.starts_with("attachment; filename=\"REA-recensement-2024-03-15-"),
        "{disposition}"
    );
    assert!(pdf.starts_with(b"%PDF-"));
    if let Some(text) = pdf_text(&pdf) {
        assert!(text.contains("MARTIN"), "{text}");
        assert!(
            text.contains("15/03/2024"),
            "the moment of the data: {text}"
        );
    }
    let (missing, _, _) = get_bytes(&node, &nurse, "/soins/unites/REA/secours/inconnu.pdf").await;
    assert_eq!(missing, StatusCode::NOT_FOUND);
    let urg = node.login_as("ide-urg", Role::Nurse, unit("URG"));
    let (outside, _, _) = get_bytes(&node, &urg, "/soins/unites/REA/secours/recensement.pdf").await;
    assert_eq!(outside, StatusCode::FORBIDDEN);
    let lab = node.login_as("labo", Role::Lab, Scope::AllUnits);
    assert_eq!(
        node.get(&lab, "/soins/unites/REA/secours").await.status,
        StatusCode::FORBIDDEN
    );
}

/// The `value` of every hidden `element` field of a page, in order.
fn elements(body: &str) -> Vec<String> {
    body.split("name=\"element\" value=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').expect("value end")].to_owned())
        .collect()
}

#[tokio::test]
async fn reintegration_counts_marks_and_matches_a_provisional_identity() {
    let (node, director) = in_crisis().await;
    let nurse = node.login_as("ide-rea", Role::Nurse, unit("REA"));
    let unknown = {
        let answer = admit(
            &node,
            &nurse,
            "REA",
            &[
                ("inconnu", "1"),
                ("sexe", "M"),
                ("age", "50"),
                ("lit", "1|1"),
            ],
        )
        .await;
        key_of(answer.header("location"))
    };
    let martin = admitted(&node, &nurse, "REA", "Martin", "2").await;
    let asked = node
        .post(
            &nurse,
            "/soins/biologie/demande",
            &[
                ("patient", unknown.as_str()),
                ("bilan", "IONO"),
                ("prelevement", "Sang veineux"),
                ("prescripteur", "Dr House"),
            ],
        )
        .await;
    let id = asked
        .header("location")
        .rsplit('/')
        .next()
        .expect("id")
        .to_owned();
    let lab = node.login_as("labo", Role::Lab, Scope::AllUnits);
    let saved = node
        .post(
            &lab,
            "/soins/labo/resultats",
            &[
                ("demande", &id),
                ("k2", "IONO-2823-3"),
                ("v2", "4,1"),
                ("u2", "mmol/L"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let real = PatientKey::ipp("HOPITAL", "555");
    feed(
        &node,
        vec![Fact::PatientUpdated(PatientUpdate {
            patient: real.clone(),
            identifiers: vec![ckisa_domain::Identifier {
                value: "555".into(),
                system: Some("HOPITAL".into()),
                kind: Some("PI".into()),
            }],
            family: Field::Value("Dupuis".into()),
            given: Field::Value("Marc".into()),
            birth_date: Field::Value(Moment::date(1974, 6, 1).expect("a date")),
            sex: Field::Value(ckisa_domain::Sex::Male),
            ..PatientUpdate::default()
        })],
    );

    // Before recovery: a notice, and marks are refused.
    let early = node.get(&director, "/soins/reintegration").await;
    assert_eq!(early.status, StatusCode::OK);
    assert!(
        early
            .body
            .contains("La réintégration s&#39;ouvre quand le retour du SIH est annoncé")
    );
    assert!(elements(&early.body).is_empty());
    let refused = node
        .post(
            &director,
            "/soins/reintegration/marquer",
            &[
                ("element", "0190d6c2-0000-7000-8000-000000000000"),
                ("statut", "confirme"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);

    let recovered = node
        .post(
            &director,
            "/crise/transition/retour",
            &[("motif", "SIH revenu")],
        )
        .await;
    assert_eq!(
        recovered.status,
        StatusCode::SEE_OTHER,
        "{}",
        recovered.body
    );
    let page = node.get(&director, "/soins/reintegration").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // Two identities, two admissions, a lab request, a result.
    assert!(
        page.body
            .contains("6 éléments saisis en mode dégradé : 6 en attente, 0 confirmés, 0 rejetés"),
        "{}",
        page.body
    );
    assert!(page.body.contains("identité provisoire"));
    assert!(page.body.contains("demande d&#39;examen"));
    let items = elements(&page.body);
    assert_eq!(items.len(), 6);

    let confirmed = node
        .post(
            &director,
            "/soins/reintegration/marquer",
            &[
                ("element", &items[0]),
                ("statut", "confirme"),
                ("motif", ""),
            ],
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
    let no_reason = node
        .post(
            &director,
            "/soins/reintegration/marquer",
            &[("element", &items[1]), ("statut", "rejete"), ("motif", " ")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert!(no_reason.body.contains("Un rejet demande un motif"));
    let rejected = node
        .post(
            &director,
            "/soins/reintegration/marquer",
            &[
                ("element", &items[1]),
                ("statut", "rejete"),
                ("motif", "doublon dans le SIH"),
            ],
        )
        .await;
    assert_eq!(rejected.status, StatusCode::SEE_OTHER);
    let page = node.get(&director, "/soins/reintegration").await;
    assert!(
        page.body
            .contains("6 éléments saisis en mode dégradé : 4 en attente, 1 confirmés, 1 rejetés")
    );
    assert!(page.body.contains("doublon dans le SIH"));
    let only_rejected = node
        .get(&director, "/soins/reintegration?statut=rejete")
        .await;
    assert_eq!(elements(&only_rejected.body), vec![items[1].clone()]);

    // A unit manager of another unit sees none of it, and no export.
    let other = node.login_as("cadre-urg", Role::UnitManager, unit("URG"));
    let theirs = node.get(&other, "/soins/reintegration").await;
    assert!(theirs.body.contains("0 éléments saisis"), "{}", theirs.body);
    let (status, _, _) = get_bytes(&node, &other, "/soins/reintegration/export.json").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let rea = node.login_as("cadre-rea", Role::UnitManager, unit("REA"));
    let ours = node.get(&rea, "/soins/reintegration").await;
    assert!(ours.body.contains("6 éléments saisis"), "{}", ours.body);

    // Exports as attachments.
    let (status, headers, json) =
        get_bytes(&node, &director, "/soins/reintegration/export.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/fhir+json");
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment; filename=\"reintegration-2024-03-15.json\"")
    );
    let bundle: serde_json::Value = serde_json::from_slice(&json).expect("JSON");
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "transaction");
    let (status, _, hl7) = get_bytes(&node, &director, "/soins/reintegration/export.hl7").await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(hl7).expect("text").starts_with("MSH|"));

    // Matching the unknown patient to the real record.
    let provisional = format!(
        "/soins/reintegration/identite?provisoire={}",
        encoded(&unknown)
    );
    assert!(
        page.body.contains(&provisional.replace('&', "&#38;")) || page.body.contains(&provisional)
    );
    let search = node
        .get(&director, &format!("{provisional}&nom=dupuis"))
        .await;
    assert_eq!(search.status, StatusCode::OK, "{}", search.body);
    assert!(search.body.contains("DUPUIS Marc"));
    assert!(
        !search
            .body
            .contains("name=\"reel\" value=\"ipp:CKISA-PROVISOIRE")
    );
    let unconfirmed = node
        .post(
            &director,
            "/soins/reintegration/identite",
            &[("provisoire", unknown.as_str()), ("reel", real.as_str())],
        )
        .await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    let matched = node
        .post(
            &director,
            "/soins/reintegration/identite",
            &[
                ("provisoire", unknown.as_str()),
                ("reel", real.as_str()),
                ("confirme", "1"),
            ],
        )
        .await;
    assert_eq!(matched.status, StatusCode::SEE_OTHER, "{}", matched.body);
    // The chart follows: the provisional key opens the real record, which
    // now holds the result typed under the provisional identity.
    let chart = node
        .store
        .patient_chart(&unknown)
        .expect("reads")
        .expect("known");
    assert_eq!(chart.identity.patient, real);
    assert!(
        chart
            .results
            .iter()
            .any(|o| o.code.code.as_deref() == Some("2823-3"))
    );
    let page = node
        .get(&director, "/soins/reintegration?rapproche=1")
        .await;
    assert!(page.body.contains("Identité rapprochée"));
    assert!(!page.body.contains(&encoded(&unknown)), "no longer waiting");
    assert!(
        page.body.contains("7 éléments saisis"),
        "the match is an item too"
    );
    // The lab page of the unit names the real patient now.
    let unit_page = node.get(&nurse, "/soins/unites/REA/biologie").await;
    assert!(unit_page.body.contains("DUPUIS Marc"), "{}", unit_page.body);
    // Matching twice is refused.
    let again = node
        .post(
            &director,
            "/soins/reintegration/identite",
            &[
                ("provisoire", unknown.as_str()),
                ("reel", real.as_str()),
                ("confirme", "1"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Once the crisis is closed, marking goes on.
    let closed = node
        .post(&director, "/crise/transition/cloture", &[("motif", "Fin")])
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    let late = node
        .post(
            &director,
            "/soins/reintegration/marquer",
            &[("element", &items[2]), ("statut", "confirme")],
        )
        .await;
    assert_eq!(late.status, StatusCode::SEE_OTHER, "{}", late.body);
    let page = node.get(&director, "/soins/reintegration").await;
    assert!(page.body.contains("Crise du 15/03/2024"));
    assert!(page.body.contains("2 confirmés"), "{}", page.body);

    // A provisional identity matched after the closing still reaches the
    // export: both merges are there.
    support::crisis::advance(10 * 60_000);
    // Martin was admitted as a woman: matching her to Marc Dupuis needs the
    // difference acknowledged.
    let mut fields = vec![
        ("provisoire", martin.as_str()),
        ("reel", real.as_str()),
        ("confirme", "1"),
    ];
    let differs = node
        .post(&director, "/soins/reintegration/identite", &fields)
        .await;
    assert_eq!(differs.status, StatusCode::CONFLICT, "{}", differs.body);
    assert!(differs.body.contains("sexe différent"), "{}", differs.body);
    fields.push(("ecart", "1"));
    let after_close = node
        .post(&director, "/soins/reintegration/identite", &fields)
        .await;
    assert_eq!(
        after_close.status,
        StatusCode::SEE_OTHER,
        "{}",
        after_close.body
    );
    let (status, _, hl7) = get_bytes(&node, &director, "/soins/reintegration/export.hl7").await;
    assert_eq!(status, StatusCode::OK);
    let hl7 = String::from_utf8(hl7).expect("text");
    assert_eq!(hl7.matches("ADT^A40").count(), 2, "{hl7}");
}
