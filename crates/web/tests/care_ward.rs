//! The ward side of the degraded mode through the pages, over a real SQLite
//! store fed like a HIS feed would: the medication grid and recording a
//! dose (wristband check, crisis only, overdue doses as time passes),
//! prescriptions with the allergy check and the pharmacist's review, vitals
//! with NEWS2, notes and the handover, who may do what, and a restart.
//!
//! The clock starts on 15/03/2024 at 12:00 in Paris: the morning shift
//! (07:00-14:00) is in progress, the afternoon one (14:00-21:00) next.

mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use ckisa_auth::{Role, Scope};
use ckisa_care::ledger;
use ckisa_domain::*;
use ckisa_store::{Store, Submission};
use support::crisis::{CrisisNode, advance, clock_now, html, unit};

const HOUR: i64 = 3_600_000;

fn moment(text: &str) -> Moment {
    Moment::parse_iso(text).expect("test moment")
}

fn coded(text: &str) -> Coded {
    Coded {
        code: None,
        system: None,
        text: text.into(),
    }
}

fn key(ipp: &str) -> PatientKey {
    PatientKey::ipp("HOPITAL", ipp)
}

/// `ipp:HOPITAL|100001` as a URL path segment or query value.
fn key_param(ipp: &str) -> String {
    format!("ipp%3AHOPITAL%7C{ipp}")
}

fn his_event(at_ms: i64, seq: u16, fact: Fact) -> Event {
    let ms = u64::try_from(at_ms).expect("positive");
    Event {
        id: EventId::new(ms),
        hlc: Hlc::new(ms, seq),
        origin: NodeId("sih".into()),
        actor: Actor::Feed("adt".into()),
        source: Source {
            channel: SourceChannel::Mllp,
            origin: "adt".into(),
            message_id: None,
            sender: None,
            fhir_id: None,
        },
        fact,
    }
}

/// What the HIS sent before the downtime, as one feed submission.
fn feed(node: &CrisisNode, facts: Vec<Fact>) {
    let at = clock_now() - 48 * HOUR;
    let events = facts
        .into_iter()
        .enumerate()
        .map(|(i, fact)| his_event(at, u16::try_from(i).expect("few facts"), fact))
        .collect();
    let outcomes = node
        .store
        .commit(vec![Submission {
            feed: "adt".into(),
            received_ms: at,
            dedup: None,
            events,
        }])
        .expect("commit");
    assert!(
        matches!(outcomes[0], ckisa_store::Outcome::Stored),
        "{outcomes:?}"
    );
}

fn patient(ipp: &str, family: &str, given: &str) -> Fact {
    Fact::PatientUpdated(PatientUpdate {
        patient: key(ipp),
        identifiers: vec![Identifier {
            value: ipp.into(),
            system: Some("HOPITAL".into()),
            kind: Some("PI".into()),
        }],
        family: Field::Value(family.into()),
        given: Field::Value(given.into()),
        birth_date: Field::Value(moment("1950-02-01")),
        sex: Field::Value(Sex::Female),
        ..PatientUpdate::default()
    })
}

fn stay(ipp: &str, unit: &str, bed: &str) -> Fact {
    Fact::StayUpdated(StayUpdate {
        encounter: EncounterKey(format!("SEJ-{ipp}")),
        patient: key(ipp),
        place: Field::Value(Place {
            unit: unit.into(),
            room: Some(bed.into()),
            bed: Some(bed.into()),
            facility: None,
        }),
        class: Some("I".into()),
        admitted_at: Some(moment("2024-03-12T10:00:00+01:00")),
        attending: None,
        in_house: true,
        effective_at: Some(moment("2024-03-12T10:00:00+01:00")),
        movement_id: None,
    })
}

fn order(ipp: &str, id: &str, drug: &str, dose: &str, route: &str, frequency: &str) -> Fact {
    Fact::MedicationRecorded(Medication {
        id: id.into(),
        patient: key(ipp),
        encounter: Some(EncounterKey(format!("SEJ-{ipp}"))),
        kind: MedicationKind::Order,
        drug: coded(drug),
        dose: Some(dose.into()),
        route: Some(route.into()),
        frequency: Some(frequency.into()),
        start: Some(moment("2024-03-13T07:00:00+01:00")),
        end: None,
        prescriber: Some(ResourceRef {
            reference: None,
            identifier: None,
            display: Some("Dr SIH".into()),
        }),
        status: RecordStatus::Active,
        note: None,
    })
}

fn penicillin_allergy(ipp: &str) -> Fact {
    Fact::AllergyRecorded(Allergy {
        id: format!("al-{ipp}"),
        patient: key(ipp),
        substance: coded("Pénicillines"),
        category: Some("medication".into()),
        severity: Some("high".into()),
        reactions: vec!["choc anaphylactique".into()],
        onset: None,
        status: RecordStatus::Active,
    })
}

fn his_vital(ipp: &str, id: &str, loinc: &str, value: &str, unit: &str, at: &str) -> Fact {
    Fact::ObservationRecorded(Observation {
        id: id.into(),
        patient: key(ipp),
        encounter: None,
        category: ObservationCategory::Vital,
        code: Coded {
            code: Some(loinc.into()),
            system: Some("http://loinc.org".into()),
            text: loinc.into(),
        },
        value: ObservationValue::Quantity {
            value: value.into(),
            unit: Some(unit.into()),
        },
        reference_range: None,
        interpretation: None,
        effective: Some(moment(at)),
        status: Some("F".into()),
        report: None,
        notes: Vec::new(),
    })
}

/// Three patients: Jeanne MARTIN in REA bed 1 (allergic to penicillins,
/// paracetamol three times a day, enoxaparin in the evening, morphine if
/// needed, a frequency nobody can read), Paul DURAND in REA bed 2, Luc
/// PETIT in CARDIO bed 1 (furosemide in the morning).
fn hospital(node: &CrisisNode) {
    feed(
        node,
        vec![
            patient("100001", "Martin", "Jeanne"),
            stay("100001", "REA", "1"),
            penicillin_allergy("100001"),
            order(
                "100001",
                "rx-para",
                "Paracétamol 1 g",
                "1 g",
                "PO",
                "3 fois par jour",
            ),
            order(
                "100001",
                "rx-lovenox",
                "Enoxaparine 4000 UI",
                "4000 UI",
                "SC",
                "QPM",
            ),
            order(
                "100001",
                "rx-morphine",
                "Morphine 5 mg",
                "5 mg",
                "SC",
                "si besoin",
            ),
            order(
                "100001",
                "rx-lune",
                "Vitamine D",
                "1 amp",
                "PO",
                "2 fois par lune",
            ),
            his_vital(
                "100001",
                "o-t",
                "8310-5",
                "37.2",
                "Cel",
                "2024-03-14T08:00:00+01:00",
            ),
            his_vital(
                "100001",
                "o-fc",
                "8867-4",
                "78",
                "/min",
                "2024-03-14T08:00:00+01:00",
            ),
            patient("100002", "Durand", "Paul"),
            stay("100002", "REA", "2"),
            patient("100003", "Petit", "Luc"),
            stay("100003", "CARDIO", "1"),
            order(
                "100003",
                "rx-furo",
                "Furosémide 40 mg",
                "40 mg",
                "PO",
                "le matin",
            ),
        ],
    );
}

/// A node with the hospital and a crisis declared by the director through
/// the crisis page.
async fn node_in_crisis() -> CrisisNode {
    let node = CrisisNode::new();
    hospital(&node);
    let director = node.login_as("dir", Role::CrisisDirector, Scope::Units(Vec::new()));
    let declared = node
        .post(
            &director,
            "/crise/transition/declarer",
            &[("niveau", "2"), ("motif", "DPI injoignable")],
        )
        .await;
    assert_eq!(declared.status, StatusCode::SEE_OTHER, "{}", declared.body);
    node
}

/// The care events in the store.
fn care_events(node: &CrisisNode) -> Vec<Event> {
    ledger::events_of_kind(node.store.as_ref(), ledger::KIND, None).expect("care events")
}

/// The value of the hidden field `name` in a page.
fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}"));
    let rest = &body[at + marker.len()..];
    rest[..rest.find('"').expect("end of value")].to_owned()
}

/// 15/03/2024 at `hh:mm` in Paris (CET, UTC+1), in ms.
fn today_at(hour: i64, minute: i64) -> i64 {
    // 15/03/2024 00:00 Paris.
    let midnight = support::NOW - 12 * HOUR;
    midnight + hour * HOUR + minute * 60_000
}

fn give(planned_ms: i64, wristband: &str) -> Vec<(&'static str, String)> {
    vec![
        ("patient", "ipp:HOPITAL|100001".to_owned()),
        ("prescription", "rx-para".to_owned()),
        ("prevue", planned_ms.to_string()),
        ("retour", "/soins/unites/REA".to_owned()),
        ("resultat", "donne".to_owned()),
        ("dose", "1 g".to_owned()),
        ("voie", "PO".to_owned()),
        ("heure", "2024-03-15T12:05".to_owned()),
        ("bracelet", wristband.to_owned()),
    ]
}

fn fields<'a>(owned: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    owned.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn a_dose_is_recorded_with_the_right_wristband() {
    let node = node_in_crisis().await;
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));

    let grid = node.get(&nurse, "/soins/unites/REA").await;
    assert_eq!(grid.status, StatusCode::OK, "{}", grid.body);
    let body = &grid.body;
    // Rows: the patients in bed order, then their prescriptions.
    let martin = body.find("MARTIN Jeanne").expect("bed 1");
    let durand = body.find("DURAND Paul").expect("bed 2");
    assert!(martin < durand);
    assert!(!body.contains("PETIT"), "another unit's patient");
    assert!(body.contains("Paracétamol 1 g"));
    // Columns: 08:00, 12:00 (morning shift), 18:00 (next shift).
    for time in ["08:00", "12:00", "18:00"] {
        assert!(body.contains(time), "{time}");
    }
    // 08:00 is overdue at noon, 12:00 is due, « si besoin » and the
    // unreadable frequency have their own cells.
    assert!(body.contains("en retard"), "{body}");
    assert!(body.contains("à donner"));
    assert!(body.contains("si besoin"));
    assert!(body.contains("à préciser"));
    assert!(body.contains("1 dose(s) en retard"), "{body}");
    // The allergy shows on the patient's line.
    assert!(body.contains("Allergies (1)"));

    // The 12:00 cell links to the form, which prefills dose and route.
    let noon = today_at(12, 0);
    let form_uri = format!(
        "/soins/administrations?patient={}&prescription=rx-para&prevue={noon}&retour=%2Fsoins%2Funites%2FREA",
        key_param("100001")
    );
    assert!(
        body.contains(&html(&format!(
            "/soins/administrations?patient={}&prescription=rx-para&prevue={noon}",
            key_param("100001")
        ))),
        "the 12:00 cell links to its form"
    );
    let form = node.get(&nurse, &form_uri).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("Pénicillines"), "allergies first");
    assert!(form.body.find("Pénicillines") < form.body.find("name=\"bracelet\""));
    assert!(form.body.contains("value=\"1 g\""));
    assert!(form.body.contains("value=\"PO\""));
    assert!(form.body.contains("15/03/2024 12:00"));

    let given = node
        .post(
            &nurse,
            "/soins/administrations",
            &fields(&give(noon, " 100001 ")),
        )
        .await;
    assert_eq!(given.status, StatusCode::SEE_OTHER, "{}", given.body);
    assert_eq!(given.header("location"), "/soins/unites/REA");

    let events = care_events(&node);
    assert_eq!(events.len(), 1);
    let Fact::Care(CareFact::Administered(administration)) = &events[0].fact else {
        panic!("an administration: {:?}", events[0].fact);
    };
    assert_eq!(administration.patient, key("100001"));
    assert_eq!(administration.medication, "rx-para");
    assert_eq!(administration.by, "Test ide");
    assert_eq!(
        administration.planned.map(|p| p.to_iso()),
        Some("2024-03-15T12:00:00+01:00".to_owned())
    );
    assert_eq!(administration.at.to_iso(), "2024-03-15T12:05:00+01:00");
    assert_eq!(
        administration.outcome,
        AdministrationOutcome::Given {
            dose: "1 g".into(),
            route: "PO".into()
        }
    );
    assert!(administration.id.starts_with("adm-"));
    assert_eq!(events[0].actor, Actor::User("ide".into()));

    // The grid shows who gave it and when; the dose cannot be given twice.
    let grid = node.get(&nurse, "/soins/unites/REA").await;
    assert!(grid.body.contains("Donné 12:05"), "{}", grid.body);
    assert!(grid.body.contains("Test ide"));
    let twice = node
        .post(
            &nurse,
            "/soins/administrations",
            &fields(&give(noon, "100001")),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert!(twice.body.contains("déjà"), "{}", twice.body);
    assert_eq!(care_events(&node).len(), 1);

    // Not given needs a reason; with one, it is recorded as typed.
    let eight = today_at(8, 0);
    let mut refused = give(eight, "100001");
    refused[4] = ("resultat", "non-donne".to_owned());
    let no_reason = node
        .post(&nurse, "/soins/administrations", &fields(&refused))
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert!(
        no_reason.body.contains("Indiquez le motif"),
        "{}",
        no_reason.body
    );
    refused.push(("motif", "refus".to_owned()));
    refused.push(("motif_texte", "nausées <fortes>".to_owned()));
    let recorded = node
        .post(&nurse, "/soins/administrations", &fields(&refused))
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    let page = node
        .get(&nurse, &format!("/soins/dossier/{}", key_param("100001")))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains(&html("refus du patient : nausées <fortes>")),
        "free text shown as typed"
    );
    assert!(!page.body.contains("<fortes>"));
    assert_eq!(care_events(&node).len(), 2);
}

#[tokio::test]
async fn a_wrong_wristband_stores_nothing() {
    let node = node_in_crisis().await;
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    let noon = today_at(12, 0);
    for (wristband, expected) in [
        ("100002", "ne correspond pas à MARTIN Jeanne (IPP 100001)"),
        ("10000", "ne correspond pas"),
        ("", "Scannez ou saisissez"),
    ] {
        let refused = node
            .post(
                &nurse,
                "/soins/administrations",
                &fields(&give(noon, wristband)),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{wristband}");
        assert!(
            refused.body.contains(&html(expected)) || refused.body.contains(expected),
            "{wristband}: {}",
            refused.body
        );
        if !wristband.is_empty() {
            assert!(
                refused.body.contains("rien n&#39;a été enregistré"),
                "{}",
                refused.body
            );
        }
        // The form comes back filled, the wristband empty for a new scan.
        assert!(refused.body.contains("value=\"1 g\""));
        assert!(refused.body.contains("name=\"bracelet\" required"));
    }
    assert!(care_events(&node).is_empty());
}

#[tokio::test]
async fn nothing_is_recorded_outside_a_crisis() {
    let node = CrisisNode::new();
    hospital(&node);
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    let doctor = node.login_as("dr", Role::Physician, unit("REA"));
    for uri in ["/soins", "/soins/unites/REA"] {
        let page = node.get(&nurse, uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert!(
            page.body
                .contains("la saisie n&#39;est ouverte que pendant une crise"),
            "{uri}: {}",
            page.body
        );
    }
    // Read-only: no link to record a dose.
    let grid = node.get(&nurse, "/soins/unites/REA").await;
    assert!(!grid.body.contains("/soins/administrations?"));
    assert!(grid.body.contains("Paracétamol 1 g"));

    let refused = node
        .post(
            &nurse,
            "/soins/administrations",
            &fields(&give(today_at(12, 0), "100001")),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.body.contains("aucune crise n&#39;est en cours"),
        "{}",
        refused.body
    );
    let note = node
        .post(
            &nurse,
            "/soins/transmissions",
            &[
                ("patient", "ipp:HOPITAL|100001"),
                ("cible", "douleur"),
                ("donnees", "EVA 6"),
                ("heure", "2024-03-15T11:50"),
            ],
        )
        .await;
    assert_eq!(note.status, StatusCode::CONFLICT);
    let rx = node
        .post(
            &doctor,
            "/soins/prescriptions",
            &[
                ("patient", "ipp:HOPITAL|100001"),
                ("medicament", "Tramadol 50 mg"),
                ("dose", "50 mg"),
                ("voie", "PO"),
                ("frequence", "3 fois par jour"),
            ],
        )
        .await;
    assert_eq!(rx.status, StatusCode::CONFLICT);
    assert!(care_events(&node).is_empty());
}

#[tokio::test]
async fn a_dose_becomes_overdue_as_time_passes() {
    let node = node_in_crisis().await;
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    let home = node.get(&nurse, "/soins").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("/soins/unites/REA"));
    assert!(
        !home.body.contains("/soins/unites/CARDIO"),
        "outside the nurse's units"
    );
    let grid = node.get(&nurse, "/soins/unites/REA").await;
    assert!(grid.body.contains("1 dose(s) en retard"), "{}", grid.body);

    // 13:30: the 12:00 dose was never recorded.
    advance(90 * 60_000);
    let nurse = node.login_as("ide2", Role::Nurse, unit("REA"));
    let grid = node.get(&nurse, "/soins/unites/REA").await;
    assert!(grid.body.contains("2 dose(s) en retard"), "{}", grid.body);
    assert!(!grid.body.contains("à donner"), "{}", grid.body);
    let home = node.get(&nurse, "/soins").await;
    assert!(
        home.body
            .contains("<strong class=\"badge ward-late\">2</strong>"),
        "{}",
        home.body
    );

    // 14:30: a new shift; its window starts at 14:00, the handover still
    // lists the morning's missed doses.
    advance(HOUR);
    let nurse = node.login_as("ide3", Role::Nurse, unit("REA"));
    let grid = node.get(&nurse, "/soins/unites/REA").await;
    assert!(grid.body.contains("0 dose(s) en retard"), "{}", grid.body);
    let handover = node.get(&nurse, "/soins/unites/REA/releve").await;
    assert_eq!(handover.status, StatusCode::OK, "{}", handover.body);
    assert!(
        handover.body.contains("Relève depuis le 15/03/2024 07:00"),
        "{}",
        handover.body
    );
    assert!(
        handover
            .body
            .contains("Paracétamol 1 g prévu à 08:00 : en retard"),
        "{}",
        handover.body
    );
    assert!(
        handover
            .body
            .contains("Paracétamol 1 g prévu à 12:00 : en retard")
    );
}

#[tokio::test]
async fn an_allergy_warning_must_be_confirmed_before_signing() {
    let node = node_in_crisis().await;
    let doctor = node.login_as("dr", Role::Physician, unit("REA"));
    let page = node
        .get(
            &doctor,
            &format!("/soins/prescriptions?patient={}", key_param("100001")),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Pénicillines"));

    let amoxicillin = [
        ("patient", "ipp:HOPITAL|100001"),
        ("medicament", "Amoxicilline 1 g"),
        ("dose", "1 g"),
        ("voie", "PO"),
        ("frequence", "3 fois par jour"),
        ("duree", "5 j"),
        ("commentaire", "pneumopathie"),
    ];
    let warned = node
        .post(&doctor, "/soins/prescriptions", &amoxicillin)
        .await;
    assert_eq!(warned.status, StatusCode::OK, "{}", warned.body);
    assert!(
        warned.body.contains("Alertes avant signature"),
        "{}",
        warned.body
    );
    assert!(warned.body.contains("contre-indication"));
    assert!(warned.body.contains("Pénicillines"));
    assert!(warned.body.contains("name=\"signer_malgre\""));
    assert!(
        warned.body.contains("value=\"Amoxicilline 1 g\""),
        "the form is kept"
    );
    assert!(care_events(&node).is_empty(), "nothing signed yet");

    // Ticking the box for other warnings than those shown signs nothing.
    let mut confirmed: Vec<(&str, &str)> = amoxicillin.to_vec();
    confirmed.push(("signer_malgre", "1"));
    confirmed.push(("alertes", "0000000000000000"));
    let stale = node.post(&doctor, "/soins/prescriptions", &confirmed).await;
    assert_eq!(stale.status, StatusCode::OK);
    assert!(care_events(&node).is_empty());

    let print = hidden(&warned.body, "alertes");
    confirmed.pop();
    confirmed.push(("alertes", &print));
    let signed = node.post(&doctor, "/soins/prescriptions", &confirmed).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    assert_eq!(
        signed.header("location"),
        "/soins/dossier/ipp:HOPITAL%7C100001"
    );

    let events = care_events(&node);
    assert_eq!(events.len(), 1);
    let Fact::Care(CareFact::Entered(inner)) = &events[0].fact else {
        panic!("a prescription: {:?}", events[0].fact);
    };
    let Fact::MedicationRecorded(rx) = inner.as_ref() else {
        panic!("a prescription: {inner:?}");
    };
    assert!(rx.id.starts_with("rx-"));
    assert_eq!(rx.status, RecordStatus::Active);
    assert_eq!(rx.kind, MedicationKind::Order);
    assert_eq!(rx.route.as_deref(), Some("PO"));
    assert_eq!(rx.note.as_deref(), Some("pneumopathie"));
    assert_eq!(
        rx.prescriber.as_ref().and_then(|p| p.display.as_deref()),
        Some("Test dr")
    );
    assert_eq!(
        rx.start.map(|s| s.to_iso()).as_deref(),
        Some("2024-03-15T12:00:00+01:00")
    );
    assert_eq!(
        rx.end.map(|s| s.to_iso()).as_deref(),
        Some("2024-03-20T12:00:00+01:00")
    );

    // The chart, and so the grid, have it, waiting for the pharmacy.
    let chart = node
        .store
        .patient_chart(&key("100001"))
        .expect("chart")
        .expect("known");
    assert!(chart.medications.iter().any(|m| m.id == rx.id));
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    let grid = node.get(&nurse, "/soins/unites/REA").await;
    assert!(grid.body.contains("Amoxicilline 1 g"));
    assert!(grid.body.contains("à valider par la pharmacie"));

    // A form error is a 400, before any warning.
    let wrong = node
        .post(
            &doctor,
            "/soins/prescriptions",
            &[
                ("patient", "ipp:HOPITAL|100001"),
                ("medicament", "Amoxicilline 1 g"),
                ("dose", "beaucoup"),
                ("voie", "PO"),
                ("frequence", "2 fois par lune"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.body.contains("non reconnue"), "{}", wrong.body);
    assert!(!wrong.body.contains("Alertes avant signature"));

    // Stopping asks for a reason and keeps the prescription, inactive.
    let stop = [
        ("patient", "ipp:HOPITAL|100001"),
        ("prescription", rx.id.as_str()),
        ("motif", ""),
    ];
    let no_reason = node
        .post(&doctor, "/soins/prescriptions/arret", &stop)
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    let stop = [
        ("patient", "ipp:HOPITAL|100001"),
        ("prescription", rx.id.as_str()),
        ("motif", "allergie confirmée"),
    ];
    let stopped = node
        .post(&doctor, "/soins/prescriptions/arret", &stop)
        .await;
    assert_eq!(stopped.status, StatusCode::SEE_OTHER, "{}", stopped.body);
    let chart = node
        .store
        .patient_chart(&key("100001"))
        .expect("chart")
        .expect("known");
    assert!(
        !chart.medications.iter().any(|m| m.id == rx.id),
        "no longer active"
    );
    let last = care_events(&node).pop().expect("the stop");
    let Fact::Care(CareFact::Entered(inner)) = &last.fact else {
        panic!("a stop");
    };
    let Fact::MedicationRecorded(stop) = inner.as_ref() else {
        panic!("a stop");
    };
    assert_eq!(stop.id, rx.id);
    assert_eq!(stop.status, RecordStatus::Inactive);
    assert!(
        stop.note
            .as_deref()
            .is_some_and(|n| n.contains("allergie confirmée"))
    );
}

#[tokio::test]
async fn a_change_stops_the_old_prescription_and_signs_a_new_one() {
    let node = node_in_crisis().await;
    let doctor = node.login_as("dr", Role::Physician, unit("REA"));
    let page = node
        .get(&doctor, &format!("/soins/dossier/{}", key_param("100001")))
        .await;
    assert!(page.body.contains("remplace=rx-para"), "{}", page.body);
    let form = node
        .get(
            &doctor,
            &format!(
                "/soins/prescriptions?patient={}&remplace=rx-para",
                key_param("100001")
            ),
        )
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("value=\"Paracétamol 1 g\""), "prefilled");
    let changed = node
        .post(
            &doctor,
            "/soins/prescriptions",
            &[
                ("patient", "ipp:HOPITAL|100001"),
                ("remplace", "rx-para"),
                ("medicament", "Paracétamol 1 g"),
                ("dose", "1 g"),
                ("voie", "IV"),
                ("frequence", "4 fois par jour"),
            ],
        )
        .await;
    // The old one is not a duplicate of the new one: no warning.
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let chart = node
        .store
        .patient_chart(&key("100001"))
        .expect("chart")
        .expect("known");
    let paracetamol: Vec<&Medication> = chart
        .medications
        .iter()
        .filter(|m| m.drug.text == "Paracétamol 1 g")
        .collect();
    assert_eq!(paracetamol.len(), 1);
    assert_ne!(paracetamol[0].id, "rx-para");
    assert_eq!(paracetamol[0].route.as_deref(), Some("IV"));
    assert_eq!(care_events(&node).len(), 2, "the stop and the new one");
}

#[tokio::test]
async fn the_pharmacist_review_shows_to_nurses() {
    let node = node_in_crisis().await;
    let doctor = node.login_as("dr", Role::Physician, unit("REA"));
    let signed = node
        .post(
            &doctor,
            "/soins/prescriptions",
            &[
                ("patient", "ipp:HOPITAL|100002"),
                ("medicament", "Tramadol 50 mg"),
                ("dose", "50 mg"),
                ("voie", "PO"),
                ("frequence", "3 fois par jour"),
            ],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let rx_id = match &care_events(&node)[0].fact {
        Fact::Care(CareFact::Entered(inner)) => match inner.as_ref() {
            Fact::MedicationRecorded(m) => m.id.clone(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };

    let pharmacist = node.login_as("pharma", Role::Pharmacist, Scope::Units(Vec::new()));
    let home = node.get(&pharmacist, "/soins").await;
    assert!(
        home.body.contains("1 prescription(s) à valider"),
        "{}",
        home.body
    );
    let list = node.get(&pharmacist, "/soins/pharmacie").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("DURAND Paul"));
    assert!(list.body.contains("Tramadol 50 mg"));
    assert!(list.body.contains("Test dr"));
    assert!(list.body.contains(&rx_id));

    let no_remark = node
        .post(
            &pharmacist,
            "/soins/pharmacie/avis",
            &[
                ("prescription", &rx_id),
                ("avis", "refuser"),
                ("remarque", " "),
            ],
        )
        .await;
    assert_eq!(no_remark.status, StatusCode::BAD_REQUEST);
    assert!(no_remark.body.contains("obligatoire"), "{}", no_remark.body);
    let reviewed = node
        .post(
            &pharmacist,
            "/soins/pharmacie/avis",
            &[
                ("prescription", &rx_id),
                ("avis", "remarque"),
                ("remarque", "prendre au cours des repas"),
            ],
        )
        .await;
    assert_eq!(reviewed.status, StatusCode::SEE_OTHER, "{}", reviewed.body);
    let list = node.get(&pharmacist, "/soins/pharmacie").await;
    assert!(
        list.body.contains("Aucune prescription en attente"),
        "{}",
        list.body
    );
    assert!(list.body.contains("validée avec remarque par Test pharma"));

    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    let page = node
        .get(&nurse, &format!("/soins/dossier/{}", key_param("100002")))
        .await;
    assert!(
        page.body.contains("validée avec remarque par Test pharma"),
        "{}",
        page.body
    );
    assert!(page.body.contains("prendre au cours des repas"));
    let grid = node.get(&nurse, "/soins/unites/REA").await;
    assert!(grid.body.contains("validée avec remarque par Test pharma"));

    // A prescription from the HIS is not reviewed here.
    let his = node
        .post(
            &pharmacist,
            "/soins/pharmacie/avis",
            &[("prescription", "rx-para"), ("avis", "valider")],
        )
        .await;
    assert_eq!(his.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn vitals_give_news2_with_its_level() {
    let node = node_in_crisis().await;
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    let dossier = format!("/soins/dossier/{}", key_param("100001"));
    // Before: the HIS's temperature and pulse alone, a partial score.
    let page = node.get(&nurse, &dossier).await;
    assert!(page.body.contains("Score NEWS2 partiel"), "{}", page.body);

    let out_of_range = node
        .post(
            &nurse,
            "/soins/constantes",
            &[
                ("patient", "ipp:HOPITAL|100001"),
                ("fc", "400"),
                ("heure", "2024-03-15T11:55"),
            ],
        )
        .await;
    assert_eq!(out_of_range.status, StatusCode::BAD_REQUEST);
    assert!(
        out_of_range.body.contains("hors des limites plausibles"),
        "{}",
        out_of_range.body
    );
    assert!(care_events(&node).is_empty());

    let recorded = node
        .post(
            &nurse,
            "/soins/constantes",
            &[
                ("patient", "ipp:HOPITAL|100001"),
                ("temperature", "39,5"),
                ("fc", "125"),
                ("pa", "95/60"),
                ("spo2", "93"),
                ("oxygene", "non"),
                ("fr", "25"),
                ("conscience", "A"),
                ("douleur", "4"),
                ("poids", "61,5"),
                ("heure", "2024-03-15T11:55"),
            ],
        )
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    let events = care_events(&node);
    assert_eq!(events.len(), 9, "one observation per value");
    for event in &events {
        let Fact::Care(CareFact::Entered(inner)) = &event.fact else {
            panic!("{:?}", event.fact);
        };
        let Fact::ObservationRecorded(o) = inner.as_ref() else {
            panic!("{inner:?}");
        };
        assert_eq!(o.category, ObservationCategory::Vital);
        assert!(o.id.starts_with("obs-"));
        assert_eq!(o.code.system.as_deref(), Some("http://loinc.org"));
        assert_eq!(
            o.effective.map(|e| e.to_iso()).as_deref(),
            Some("2024-03-15T11:55:00+01:00")
        );
    }

    // The HIS's blood pressure of the day before, sent as two values.
    feed(
        &node,
        vec![
            his_vital(
                "100001",
                "o-sys",
                "8480-6",
                "130",
                "mm[Hg]",
                "2024-03-14T08:00:00+01:00",
            ),
            his_vital(
                "100001",
                "o-dia",
                "8462-4",
                "77",
                "mm[Hg]",
                "2024-03-14T08:00:00+01:00",
            ),
        ],
    );
    // RR 25 (3) + SpO2 93 (2) + air (0) + systolic 95 (2) + pulse 125 (2) +
    // alert (0) + 39.5 °C (2) = 11: high.
    let page = node.get(&nurse, &dossier).await;
    assert!(
        page.body.contains("Diastolique — SIH (1 point)"),
        "the HIS's diastolic is charted: {}",
        page.body
    );
    assert!(page.body.contains("Score NEWS2 11"), "{}", page.body);
    assert!(page.body.contains("risque élevé"));
    assert!(page.body.contains("ward-news2 news-high"));
    assert!(page.body.contains("Réponse d&#39;urgence"), "{}", page.body);
    // The charts mix the HIS's values and the typed ones.
    assert!(page.body.contains("<svg"));
    assert!(page.body.contains("saisi en mode dégradé"));
    assert!(page.body.contains("SIH"));
    // The handover shows the level too.
    let handover = node.get(&nurse, "/soins/unites/REA/releve").await;
    assert!(
        handover.body.contains("Score NEWS2 11"),
        "{}",
        handover.body
    );

    // Oxygen needs its flow.
    let no_flow = node
        .post(
            &nurse,
            "/soins/constantes",
            &[
                ("patient", "ipp:HOPITAL|100001"),
                ("spo2", "95"),
                ("oxygene", "oui"),
                ("heure", "2024-03-15T12:00"),
            ],
        )
        .await;
    assert_eq!(no_flow.status, StatusCode::BAD_REQUEST);
    assert!(
        no_flow.body.contains("indiquez le débit"),
        "{}",
        no_flow.body
    );
}

#[tokio::test]
async fn a_note_for_the_handover_appears_in_it() {
    let node = node_in_crisis().await;
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    let flagged = node
        .post(
            &nurse,
            "/soins/transmissions",
            &[
                ("patient", "ipp:HOPITAL|100002"),
                ("cible", "Douleur <abdominale>"),
                ("donnees", "EVA 7 à 10 h"),
                ("actions", "Appel du médecin"),
                ("resultats", ""),
                ("releve", "1"),
                ("heure", "2024-03-15T10:30"),
            ],
        )
        .await;
    assert_eq!(flagged.status, StatusCode::SEE_OTHER, "{}", flagged.body);
    let quiet = node
        .post(
            &nurse,
            "/soins/transmissions",
            &[
                ("patient", "ipp:HOPITAL|100002"),
                ("cible", "Toilette"),
                ("actions", "Toilette au lit"),
                ("heure", "2024-03-15T09:00"),
            ],
        )
        .await;
    assert_eq!(quiet.status, StatusCode::SEE_OTHER, "{}", quiet.body);
    let empty = node
        .post(
            &nurse,
            "/soins/transmissions",
            &[
                ("patient", "ipp:HOPITAL|100002"),
                ("cible", "Rien"),
                ("heure", "2024-03-15T09:00"),
            ],
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);

    let handover = node.get(&nurse, "/soins/unites/REA/releve").await;
    assert_eq!(handover.status, StatusCode::OK, "{}", handover.body);
    let body = &handover.body;
    assert!(body.contains(&html("Douleur <abdominale>")), "{body}");
    assert!(body.contains("EVA 7 à 10 h"));
    assert!(
        !body.contains("Toilette au lit"),
        "not flagged for the handover"
    );
    assert!(body.contains("Pénicillines"), "allergies per bed");
    // The patient's page lists both, newest first.
    let page = node
        .get(&nurse, &format!("/soins/dossier/{}", key_param("100002")))
        .await;
    let pain = page.body.find("EVA 7 à 10 h").expect("flagged note");
    let wash = page.body.find("Toilette au lit").expect("other note");
    assert!(pain < wash, "newest first");
    let Fact::Care(CareFact::Note(note)) = &care_events(&node)[0].fact else {
        panic!("a note");
    };
    assert!(note.for_handover);
    assert_eq!(note.by, "Test ide");
    assert_eq!(note.target, "Douleur <abdominale>");
}

#[tokio::test]
async fn roles_outside_the_matrix_are_refused() {
    let node = node_in_crisis().await;
    let p1 = key_param("100001");
    let dossier = format!("/soins/dossier/{p1}");
    for role in [
        Role::ExerciseObserver,
        Role::ItSecurity,
        Role::Administrator,
        Role::Lab,
        Role::CrisisCellMember,
    ] {
        let login = format!("u-{}", role.code());
        let session = node.login_as(&login, role, Scope::AllUnits);
        for uri in [
            "/soins/unites/REA",
            "/soins/unites/REA/releve",
            dossier.as_str(),
        ] {
            let page = node.get(&session, uri).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{role} {uri}");
        }
        let home = node.get(&session, "/soins").await;
        assert_eq!(home.status, StatusCode::OK, "{role}");
        assert!(!home.body.contains("/soins/unites/"), "{role}");
    }
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    for uri in [
        "/soins/pharmacie",
        &format!("/soins/prescriptions?patient={p1}"),
    ] {
        let page = node.get(&nurse, uri).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "nurse {uri}");
    }
    let pharmacist = node.login_as("pharma", Role::Pharmacist, Scope::AllUnits);
    let refused = node
        .post(
            &pharmacist,
            "/soins/administrations",
            &fields(&give(today_at(12, 0), "100001")),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(care_events(&node).is_empty());
}

#[tokio::test]
async fn a_nurse_outside_the_unit_can_neither_see_nor_record() {
    let node = node_in_crisis().await;
    let cardio = node.login_as("ide-cardio", Role::Nurse, unit("CARDIO"));
    let home = node.get(&cardio, "/soins").await;
    assert!(home.body.contains("/soins/unites/CARDIO"));
    assert!(!home.body.contains("/soins/unites/REA"));
    for uri in [
        "/soins/unites/REA".to_owned(),
        "/soins/unites/REA/releve".to_owned(),
        format!("/soins/dossier/{}", key_param("100001")),
        format!(
            "/soins/administrations?patient={}&prescription=rx-para",
            key_param("100001")
        ),
        format!("/soins/constantes?patient={}", key_param("100001")),
    ] {
        let page = node.get(&cardio, &uri).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{uri}");
        assert!(!page.body.contains("MARTIN"), "{uri}");
    }
    let refused = node
        .post(
            &cardio,
            "/soins/administrations",
            &fields(&give(today_at(12, 0), "100001")),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let note = node
        .post(
            &cardio,
            "/soins/transmissions",
            &[
                ("patient", "ipp:HOPITAL|100001"),
                ("cible", "x"),
                ("donnees", "y"),
                ("heure", "2024-03-15T11:00"),
            ],
        )
        .await;
    assert_eq!(note.status, StatusCode::FORBIDDEN);
    assert!(care_events(&node).is_empty());
    // Their own unit works.
    let grid = node.get(&cardio, "/soins/unites/CARDIO").await;
    assert_eq!(grid.status, StatusCode::OK);
    assert!(grid.body.contains("PETIT Luc"));
    assert!(grid.body.contains("Furosémide 40 mg"));
    // The refusals are in the audit trail.
    node.trail.flush().expect("flush");
    let denied = node
        .trail
        .search(&ckisa_audit::AuditQuery {
            actor: Some("ide-cardio".into()),
            limit: 100,
            ..ckisa_audit::AuditQuery::default()
        })
        .expect("search");
    assert!(
        denied
            .iter()
            .any(|e| e.record.outcome == ckisa_audit::AuditOutcome::Denied
                && e.record.patient.as_deref() == Some("ipp:HOPITAL|100001")),
        "{denied:?}"
    );
}

#[tokio::test]
async fn pages_speak_english_on_request() {
    let node = node_in_crisis().await;
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    let grid = node.get(&nurse, "/soins/unites/REA?lang=en").await;
    assert_eq!(grid.status, StatusCode::OK);
    assert!(grid.body.contains("Administration record"), "{}", grid.body);
    assert!(grid.body.contains("1 overdue dose(s)"));
    // Dates stay French-style.
    assert!(grid.body.contains("15/03/2024 07:00"));
}

#[tokio::test]
async fn the_record_survives_a_restart() {
    let node = node_in_crisis().await;
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    let given = node
        .post(
            &nurse,
            "/soins/administrations",
            &fields(&give(today_at(12, 0), "100001")),
        )
        .await;
    assert_eq!(given.status, StatusCode::SEE_OTHER, "{}", given.body);
    let folder = Arc::clone(&node.dir);
    drop(nurse);
    drop(node);

    // A new node process over the same data folder: a new store handle,
    // new web state; accounts are kept elsewhere here (new key).
    let store = Arc::new(
        ckisa_store_sqlite::SqliteStore::open(
            &folder.path().join("store"),
            ckisa_store_sqlite::SqliteOptions::new("Europe/Paris"),
        )
        .expect("store reopens"),
    );
    let accounts = tempfile::tempdir().expect("temp dir");
    let key = ckisa_store_sqlite::key::DbKey::generate().expect("key");
    let trail = ckisa_audit::AuditTrail::open(accounts.path(), &key).expect("trail");
    let options = ckisa_auth::AuthOptions {
        argon: ckisa_auth::ArgonParams::fast_for_tests(),
        ..ckisa_auth::AuthOptions::default()
    };
    let directory =
        ckisa_auth::Directory::open(accounts.path(), &key, options, Arc::new(trail.clone()))
            .expect("directory");
    let mut config = support::test_config();
    config.plan = Arc::new(support::crisis::demo_plan());
    let state = ckisa_web::AppState::with_clock(
        store.clone() as Arc<dyn Store>,
        config,
        ckisa_web::Security {
            directory: directory.clone(),
            trail: trail.clone(),
            secure_cookies: false,
        },
        clock_now,
    );
    let reopened = CrisisNode {
        router: ckisa_web::router(state.clone()),
        state,
        store,
        directory,
        trail,
        dir: folder,
    };
    let nurse = reopened.login_as("ide", Role::Nurse, unit("REA"));
    let grid = reopened.get(&nurse, "/soins/unites/REA").await;
    assert_eq!(grid.status, StatusCode::OK, "{}", grid.body);
    assert!(grid.body.contains("Donné 12:05"), "{}", grid.body);
    assert!(grid.body.contains("Test ide"));
    // Still in crisis: recording stays open.
    assert!(!grid.body.contains("lecture seule"));
    assert_eq!(care_events(&reopened).len(), 1);
}

#[tokio::test]
async fn a_dose_is_not_given_ahead_against_an_allergy_or_a_pharmacy_refusal() {
    let node = node_in_crisis().await;
    // An amoxicillin order from the HIS for the patient allergic to
    // penicillins (signed before the allergy was known, or carried over by a
    // merge of identities).
    feed(
        &node,
        vec![order(
            "100001",
            "rx-amox",
            "Amoxicilline 1 g",
            "1 g",
            "PO",
            "3 fois par jour",
        )],
    );
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    let noon = today_at(12, 0);
    let form = node
        .get(
            &nurse,
            &format!(
                "/soins/administrations?patient={}&prescription=rx-amox&prevue={noon}",
                key_param("100001")
            ),
        )
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("ward-allergy-alert"), "{}", form.body);
    assert!(form.body.contains("name=\"malgre_allergie\""));

    let mut amox = give(noon, "100001");
    amox[1] = ("prescription", "rx-amox".to_owned());
    let refused = node
        .post(&nurse, "/soins/administrations", &fields(&amox))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(
        refused.body.contains("contre-indiquent"),
        "{}",
        refused.body
    );
    assert!(care_events(&node).is_empty(), "nothing stored");
    amox.push(("malgre_allergie", "1".to_owned()));
    let given = node
        .post(&nurse, "/soins/administrations", &fields(&amox))
        .await;
    assert_eq!(given.status, StatusCode::SEE_OTHER, "{}", given.body);
    assert_eq!(care_events(&node).len(), 1);

    // The 18:00 paracetamol cannot be noted given at noon.
    let ahead = node
        .post(
            &nurse,
            "/soins/administrations",
            &fields(&give(today_at(18, 0), "100001")),
        )
        .await;
    assert_eq!(ahead.status, StatusCode::BAD_REQUEST, "{}", ahead.body);
    assert!(
        ahead.body.contains("plus d&#39;une heure"),
        "{}",
        ahead.body
    );
    assert_eq!(care_events(&node).len(), 1);
}

#[tokio::test]
async fn a_dose_given_from_another_process_is_seen_before_recording() {
    let node = node_in_crisis().await;
    let nurse = node.login_as("ide", Role::Nurse, unit("REA"));
    // The node has its care book in memory.
    let grid = node.get(&nurse, "/soins/unites/REA").await;
    assert_eq!(grid.status, StatusCode::OK);
    // Another process on the same folder records the 12:00 dose.
    let noon = today_at(12, 0);
    let zone = jiff::tz::TimeZone::get("Europe/Paris").expect("zone");
    let elsewhere = CareFact::Administered(Administration {
        id: "adm-ailleurs".into(),
        patient: key("100001"),
        encounter: None,
        medication: "rx-para".into(),
        drug: coded("Paracétamol 1 g"),
        planned: ckisa_care::mar::moment_at(noon, &zone),
        at: ckisa_care::mar::moment_at(noon + 60_000, &zone).expect("moment"),
        outcome: AdministrationOutcome::Given {
            dose: "1 g".into(),
            route: "PO".into(),
        },
        by: "Infirmière de l'autre poste".into(),
        comment: None,
    });
    let now = u64::try_from(clock_now()).expect("positive");
    let event = ledger::event(
        Actor::User("autre".into()),
        &NodeId("autre-processus".into()),
        "cli",
        elsewhere,
        Hlc::new(now, 0),
    );
    // A second handle on the same folder: its commits do not move this
    // node's store generation, as with `ckisa` commands beside a node.
    let other = ckisa_store_sqlite::SqliteStore::open(
        &node.dir.path().join("store"),
        ckisa_store_sqlite::SqliteOptions::new("Europe/Paris"),
    )
    .expect("second handle");
    ledger::commit(&other, vec![event], clock_now()).expect("committed");
    // Within the book's one-second resync, the same dose is refused.
    let twice = node
        .post(
            &nurse,
            "/soins/administrations",
            &fields(&give(noon, "100001")),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert!(
        twice.body.contains("Infirmière de l&#39;autre poste"),
        "{}",
        twice.body
    );
    assert_eq!(care_events(&node).len(), 1);
}
