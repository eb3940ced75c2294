//! An in-memory [`Store`] with two units, three patients (one merged, and
//! shown in two beds) and two feeds, and helpers to call the router without
//! a socket.

// Shared by several test binaries, each of which uses only part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::header::COOKIE;
use axum::http::{HeaderValue, Request, StatusCode};
use ckisa_audit::AuditTrail;
use ckisa_auth::{Actor, ArgonParams, AuthOptions, Directory, NewUser, Role, Scope};
use ckisa_domain::*;
use ckisa_store::*;
use ckisa_store_sqlite::key::DbKey;
use tower::ServiceExt;

pub(crate) mod crisis;

/// 15/03/2024 12:00:00 in Paris.
pub(crate) const NOW: i64 = 1_710_500_400_000;

pub(crate) fn now() -> i64 {
    NOW
}

pub(crate) fn gwen() -> PatientKey {
    PatientKey::ipp("HOPITAL", "123456")
}

pub(crate) fn baby() -> PatientKey {
    PatientKey::ipp("HOPITAL", "654321")
}

pub(crate) fn dupont() -> PatientKey {
    PatientKey::ipp("HOPITAL", "777")
}

pub(crate) fn dupont_merged() -> PatientKey {
    PatientKey::ipp("HOPITAL", "999")
}

#[derive(Default)]
pub(crate) struct FakeStore {
    units: Vec<UnitSummary>,
    boards: HashMap<String, UnitBoard>,
    charts: HashMap<PatientKey, PatientChart>,
    merged: HashMap<PatientKey, PatientKey>,
    rows: Vec<PatientRow>,
    quarantine: Vec<QuarantineEntry>,
    status: Option<StoreStatus>,
    pub(crate) generation: AtomicU64,
    pub(crate) failing: AtomicBool,
    pub(crate) last_query: Mutex<Option<PatientQuery>>,
    /// Crisis events committed (the only submissions the fake accepts).
    pub(crate) crisis_events: Mutex<Vec<Event>>,
    /// Message attachments, by SHA-256.
    pub(crate) attachments: Mutex<HashMap<String, StoredAttachment>>,
}

fn failure() -> StoreError {
    let cause = std::io::Error::other("disk /secret/path exploded for DUPONT");
    StoreError::Database(Box::new(cause))
}

impl FakeStore {
    fn check(&self) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            Err(failure())
        } else {
            Ok(())
        }
    }
}

impl Store for FakeStore {
    /// Keeps crisis and care events (typed by people, in no feed) so that
    /// the crisis, clinical and messaging pages work over the fake, which
    /// projects none of them (a care fact typed in the capsule changes no
    /// chart or board here); anything else fails as a closed store.
    fn commit(&self, batch: Vec<Submission>) -> Result<Vec<Outcome>, StoreError> {
        let typed = |s: &Submission| {
            s.events
                .iter()
                .all(|e| matches!(e.fact, Fact::Crisis(_) | Fact::Care(_) | Fact::Message(_)))
        };
        if !batch.iter().all(typed) {
            return Err(StoreError::Closed);
        }
        let mut kept = self.crisis_events.lock().unwrap();
        let outcomes = batch
            .into_iter()
            .map(|submission| {
                kept.extend(submission.events);
                Outcome::Stored
            })
            .collect();
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(outcomes)
    }

    fn quarantine(&self, _rejections: Vec<Rejection>) -> Result<(), StoreError> {
        Err(StoreError::Closed)
    }

    fn define_units(&self, _units: &[UnitDefinition]) -> Result<(), StoreError> {
        Ok(())
    }

    fn units(&self) -> Result<Vec<UnitSummary>, StoreError> {
        self.check()?;
        Ok(self.units.clone())
    }

    fn unit_board(&self, unit: &str) -> Result<Option<UnitBoard>, StoreError> {
        self.check()?;
        Ok(self.boards.get(unit).cloned())
    }

    fn patient_chart(&self, patient: &PatientKey) -> Result<Option<PatientChart>, StoreError> {
        self.check()?;
        let key = self.merged.get(patient).unwrap_or(patient);
        Ok(self.charts.get(key).cloned())
    }

    fn search_patients(
        &self,
        query: &PatientQuery,
        limit: usize,
    ) -> Result<Vec<PatientRow>, StoreError> {
        self.check()?;
        *self.last_query.lock().unwrap() = Some(query.clone());
        let name = query.name.as_deref().map(str::to_lowercase);
        let rows = self.rows.iter().filter(|row| {
            let family = row.family.as_deref().unwrap_or_default().to_lowercase();
            name.as_deref().is_none_or(|n| family.starts_with(n))
                && query.birth_date.is_none_or(|(y, m, d)| {
                    row.birth_date
                        .is_some_and(|b| (b.year, b.month, b.day) == (y, m, d))
                })
                && query
                    .identifier
                    .as_deref()
                    .is_none_or(|id| row.ipp.as_deref() == Some(id))
        });
        Ok(rows.take(limit).cloned().collect())
    }

    fn quarantine_entries(&self, limit: usize) -> Result<Vec<QuarantineEntry>, StoreError> {
        self.check()?;
        Ok(self.quarantine.iter().take(limit).cloned().collect())
    }

    fn status(&self) -> Result<StoreStatus, StoreError> {
        self.check()?;
        Ok(self.status.clone().expect("status is set"))
    }

    fn feeds(&self) -> Result<Vec<FeedStatus>, StoreError> {
        Ok(self.status()?.feeds)
    }

    fn events_after(
        &self,
        _after: Option<EventId>,
        _limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        Ok(Vec::new())
    }

    fn events_of_kind(
        &self,
        kind: &str,
        after: Option<EventId>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        let kept = self.crisis_events.lock().unwrap();
        let start = after
            .and_then(|id| kept.iter().position(|e| e.id == id))
            .map_or(0, |at| at + 1);
        Ok(kept[start..]
            .iter()
            .filter(|e| e.fact.kind() == kind)
            .take(limit)
            .cloned()
            .collect())
    }

    fn feed_activity(&self, _since_ms: i64) -> Result<Vec<ckisa_store::FeedActivity>, StoreError> {
        self.check()?;
        Ok(Vec::new())
    }

    /// The fake keeps no history: what it knows of a patient's observations
    /// are the chart's latest vitals and results, given oldest first.
    fn observations(
        &self,
        patient: &PatientKey,
        category: ObservationCategory,
        since_ms: Option<i64>,
    ) -> Result<Vec<Observation>, StoreError> {
        self.check()?;
        let key = self.merged.get(patient).unwrap_or(patient);
        let Some(chart) = self.charts.get(key) else {
            return Ok(Vec::new());
        };
        let at = |o: &Observation| o.effective.as_ref().map_or(NOW, Moment::sort_key);
        let mut history: Vec<Observation> = chart
            .vitals
            .iter()
            .chain(&chart.results)
            .filter(|o| o.category == category && since_ms.is_none_or(|since| at(o) >= since))
            .cloned()
            .collect();
        history.sort_by_key(at);
        Ok(history)
    }

    /// The fake has no appointments.
    fn appointments(&self, _from_ms: i64, _to_ms: i64) -> Result<Vec<AppointmentRow>, StoreError> {
        self.check()?;
        Ok(Vec::new())
    }

    /// The fake has no diets.
    fn diets(&self, _patients: &[PatientKey]) -> Result<Vec<Diet>, StoreError> {
        self.check()?;
        Ok(Vec::new())
    }

    /// The occupants of the fake's bed board, with their charts' active
    /// medications and allergies (a patient without a chart has none).
    fn unit_medications(&self, unit: &str) -> Result<Vec<PatientMedications>, StoreError> {
        self.check()?;
        let Some(board) = self.boards.get(unit) else {
            return Ok(Vec::new());
        };
        let mut patients: Vec<&PatientKey> = board
            .beds
            .iter()
            .flat_map(|bed| bed.occupants.iter().map(|o| &o.patient))
            .collect();
        patients.sort();
        patients.dedup();
        Ok(patients
            .into_iter()
            .map(|patient| {
                let chart = self.charts.get(patient);
                PatientMedications {
                    patient: patient.clone(),
                    medications: chart.map(|c| c.medications.clone()).unwrap_or_default(),
                    allergies: chart.map(|c| c.allergies.clone()).unwrap_or_default(),
                }
            })
            .collect())
    }

    fn event(&self, id: EventId) -> Result<Option<Event>, StoreError> {
        self.check()?;
        let kept = self.crisis_events.lock().unwrap();
        Ok(kept.iter().find(|e| e.id == id).cloned())
    }

    /// Rewrites kept events all or nothing, refusing unknown ids and
    /// changes of kind like the real store (the fake projects nothing, so
    /// it has no projected facts to refuse).
    fn rewrite_events(&self, rewrites: Vec<(EventId, Fact)>) -> Result<usize, StoreError> {
        self.check()?;
        let mut kept = self.crisis_events.lock().unwrap();
        let mut places = Vec::with_capacity(rewrites.len());
        for (id, fact) in &rewrites {
            let Some(place) = kept.iter().position(|e| e.id == *id) else {
                return Err(StoreError::UnknownEvent { id: *id });
            };
            let stored = kept[place].fact.kind();
            if stored != fact.kind() {
                return Err(StoreError::RewriteChangesKind {
                    id: *id,
                    stored: stored.to_owned(),
                    proposed: fact.kind().to_owned(),
                });
            }
            places.push(place);
        }
        let mut changed = 0;
        for (place, (_, fact)) in places.into_iter().zip(rewrites) {
            if kept[place].fact != fact {
                kept[place].fact = fact;
                changed += 1;
            }
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(changed)
    }

    /// Keeps the attachment in memory; the fake trusts the caller's hash.
    fn put_attachment(
        &self,
        sha256: &str,
        mime: &str,
        bytes: &[u8],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.check()?;
        let mut attachments = self.attachments.lock().unwrap();
        attachments
            .entry(sha256.to_owned())
            .or_insert_with(|| StoredAttachment {
                mime: mime.to_owned(),
                bytes: bytes.to_vec(),
                stored_ms: now_ms,
            });
        Ok(())
    }

    fn attachment(&self, sha256: &str) -> Result<Option<StoredAttachment>, StoreError> {
        self.check()?;
        Ok(self.attachments.lock().unwrap().get(sha256).cloned())
    }

    fn delete_attachments(&self, sha256s: &[String]) -> Result<usize, StoreError> {
        self.check()?;
        let mut attachments = self.attachments.lock().unwrap();
        Ok(sha256s
            .iter()
            .filter(|sha256| attachments.remove(sha256.as_str()).is_some())
            .count())
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
}

fn date(text: &str) -> Moment {
    Moment::parse_iso(text).expect("valid test moment")
}

fn coded(text: &str) -> Coded {
    Coded {
        code: None,
        system: None,
        text: text.into(),
    }
}

fn occupant(key: PatientKey, family: &str, given: &str, sex: Sex, birth: &str) -> Occupant {
    Occupant {
        patient: key,
        encounter: "V1".into(),
        family: Some(family.into()),
        given: Some(given.into()),
        sex: Some(sex),
        birth_date: Some(date(birth)),
        ipp: None,
        admitted_at: Some(date("2024-03-10T08:30:00+01:00")),
        attending: Some("Dr MARTIN".into()),
        allergies: 0,
        on_leave: false,
    }
}

fn bed(room: &str, bed: &str, occupants: Vec<Occupant>) -> BedRow {
    BedRow {
        room: Some(room.into()),
        bed: Some(bed.into()),
        occupants,
    }
}

fn observation(
    id: &str,
    category: ObservationCategory,
    name: &str,
    value: ObservationValue,
) -> Observation {
    Observation {
        id: id.into(),
        patient: gwen(),
        encounter: None,
        category,
        code: coded(name),
        value,
        reference_range: None,
        interpretation: None,
        effective: Some(date("2024-03-14T07:05:00+01:00")),
        status: Some("F".into()),
        report: None,
        notes: Vec::new(),
    }
}

fn gwen_chart() -> PatientChart {
    let mut potassium = observation(
        "o2",
        ObservationCategory::Lab,
        "Potassium",
        ObservationValue::Quantity {
            value: "6.9".into(),
            unit: Some("mmol/L".into()),
        },
    );
    potassium.reference_range = Some("3.5-5.0".into());
    // A critical value, status as FHIR writes it.
    potassium.interpretation = Some("HH".into());
    potassium.status = Some("final".into());
    potassium.notes = vec!["   hémolyse possible".into()];
    let document = observation(
        "o3",
        ObservationCategory::Other,
        "Compte rendu PDF",
        ObservationValue::Document {
            media_type: Some("application/pdf".into()),
            size_bytes: 225_280,
            data: "JVBERi0xLjQKLh+pclU9".into(),
        },
    );
    let vital = |id: &str, name: &str, value: &str, unit: &str| {
        let value = ObservationValue::Quantity {
            value: value.into(),
            unit: Some(unit.into()),
        };
        observation(id, ObservationCategory::Vital, name, value)
    };
    let pulse = vital("o1", "Fréquence cardiaque", "88", "/min");
    let pressure = vital("o4", "Pression artérielle systolique", "135", "mm[Hg]");
    let temperature = vital("o5", "Température", "37.8", "Cel");
    let mut weight = vital("o6", "Poids", "77.3", "kg");
    weight.interpretation = Some("N".into());
    let mut sodium = observation(
        "o7",
        ObservationCategory::Lab,
        "Sodium",
        ObservationValue::Quantity {
            value: "131".into(),
            unit: Some("mmol/L".into()),
        },
    );
    sodium.reference_range = Some("135-145".into());
    sodium.interpretation = Some("L".into());
    sodium.status = Some("P".into());
    let allergy = |id: &str, text: &str, severity: &str| Allergy {
        id: id.into(),
        patient: gwen(),
        substance: coded(text),
        category: Some("medication".into()),
        severity: Some(severity.into()),
        reactions: vec!["urticaire".into()],
        onset: Some(date("2019-06")),
        status: RecordStatus::Active,
    };
    PatientChart {
        identity: Identity {
            patient: gwen(),
            family: Some("Le Goff".into()),
            given: Some("GWÉNAËLLE".into()),
            birth_name: Some("\"\"".into()),
            birth_date: Some(date("1950-02-01")),
            sex: Some(Sex::Female),
            ipp: Some("123456".into()),
            ins: Some("250027512345678".into()),
            identifiers: Vec::new(),
            phones: vec!["\"\"".into(), "06 12 34 56 78".into()],
            addresses: vec!["3 rue de Brest, 29000 Quimper".into()],
            deceased: None,
        },
        stay: Some(StayView {
            encounter: "V1".into(),
            unit: Some("CARDIO".into()),
            unit_name: Some("Cardiologie".into()),
            room: Some("101".into()),
            bed: Some("A".into()),
            class: Some("I".into()),
            admitted_at: Some(date("2024-03-10T08:30:00+01:00")),
            attending: Some("Dr MARTIN".into()),
            on_leave: false,
        }),
        other_stays: vec![StayView {
            encounter: "V0".into(),
            unit: Some("REA".into()),
            unit_name: Some("Réanimation".into()),
            room: Some("7".into()),
            bed: Some("B".into()),
            class: Some("I".into()),
            admitted_at: Some(date("2024-03-10T08:15:00+01:00")),
            attending: None,
            on_leave: false,
        }],
        allergies: vec![
            allergy("a1", "Pénicilline", "SV"),
            allergy("a2", "Arachide", "MO"),
        ],
        conditions: vec![Condition {
            id: "c1".into(),
            patient: gwen(),
            encounter: None,
            code: coded("Insuffisance cardiaque"),
            onset: None,
            abated: None,
            status: RecordStatus::Active,
        }],
        medications: vec![
            medication("m1", "Furosémide 40 mg cp", "PO", "1 fois par jour"),
            medication("m2", "Paracétamol 1 g", "IV", "Q6H PRN"),
            Medication {
                dose: Some("4000 [iU]".into()),
                ..medication("m3", "Enoxaparine 4000 UI", "SC", "QPM")
            },
        ],
        care_plans: vec![CarePlan {
            id: "p1".into(),
            patient: gwen(),
            title: "Surveillance poids".into(),
            status: RecordStatus::Active,
            activities: vec!["Pesée quotidienne".into()],
            start: Some(date("2024-03-10")),
            end: None,
        }],
        vitals: vec![pulse, pressure, temperature, weight],
        results: vec![potassium, document, sodium],
        reports: vec![Report {
            id: "r1".into(),
            patient: gwen(),
            encounter: None,
            code: coded("Échographie cardiaque"),
            status: Some("F".into()),
            effective: Some(date("2024-03-12T10:00:00+01:00")),
            results: Vec::new(),
            conclusion: Some("  FEVG 35 %".into()),
        }],
        procedures: vec![Procedure {
            id: "pr1".into(),
            patient: gwen(),
            encounter: None,
            code: coded("Coronarographie"),
            performed: Some(date("2024-03-11T15:00:00+01:00")),
            status: RecordStatus::Inactive,
        }],
    }
}

fn medication(id: &str, drug: &str, route: &str, frequency: &str) -> Medication {
    Medication {
        id: id.into(),
        patient: gwen(),
        encounter: None,
        kind: MedicationKind::Order,
        drug: coded(drug),
        dose: None,
        route: Some(route.into()),
        frequency: Some(frequency.into()),
        start: Some(date("2024-03-11")),
        end: None,
        prescriber: None,
        status: RecordStatus::Active,
        note: None,
    }
}

fn bare_chart(key: PatientKey, family: &str, given: &str, birth: &str) -> PatientChart {
    PatientChart {
        identity: Identity {
            patient: key,
            family: Some(family.into()),
            given: Some(given.into()),
            birth_name: None,
            birth_date: Some(date(birth)),
            sex: Some(Sex::Male),
            ipp: None,
            ins: None,
            identifiers: Vec::new(),
            phones: Vec::new(),
            addresses: Vec::new(),
            deceased: None,
        },
        stay: None,
        other_stays: Vec::new(),
        allergies: Vec::new(),
        conditions: Vec::new(),
        medications: Vec::new(),
        care_plans: Vec::new(),
        vitals: Vec::new(),
        results: Vec::new(),
        reports: Vec::new(),
        procedures: Vec::new(),
    }
}

impl FakeStore {
    pub(crate) fn hospital() -> FakeStore {
        let mut gwen_bed = occupant(gwen(), "Le Goff", "GWÉNAËLLE", Sex::Female, "1950-02-01");
        gwen_bed.allergies = 2;
        let mut baby_bed = occupant(
            baby(),
            "<script>alert(1)</script>",
            "Léo",
            Sex::Male,
            "2023-09-01",
        );
        baby_bed.on_leave = true;
        let dupont_bed = occupant(dupont(), "DUPONT", "Jean", Sex::Male, "1940-05-12");
        // The merged record kept its bed: the survivor now shows in two.
        let mut dupont_second_bed = dupont_bed.clone();
        dupont_second_bed.encounter = "V9".into();

        let cardio = UnitSummary {
            code: "CARDIO".into(),
            name: "Cardiologie".into(),
            beds: 4,
            occupied_beds: 1,
            patients: 2,
        };
        let pneumo = UnitSummary {
            code: "PNEUMO".into(),
            name: "Pneumologie".into(),
            beds: 2,
            occupied_beds: 2,
            patients: 1,
        };
        let mut boards = HashMap::new();
        boards.insert(
            "CARDIO".to_owned(),
            UnitBoard {
                unit: cardio.clone(),
                beds: vec![
                    bed("101", "A", vec![gwen_bed, baby_bed]),
                    bed("101", "B", Vec::new()),
                    bed("102", "A", Vec::new()),
                    bed("102", "B", Vec::new()),
                ],
            },
        );
        boards.insert(
            "PNEUMO".to_owned(),
            UnitBoard {
                unit: pneumo.clone(),
                beds: vec![
                    bed("201", "B", vec![dupont_bed]),
                    bed("202", "A", vec![dupont_second_bed]),
                ],
            },
        );

        let mut charts = HashMap::new();
        charts.insert(gwen(), gwen_chart());
        charts.insert(
            baby(),
            bare_chart(baby(), "<script>alert(1)</script>", "Léo", "2023-09-01"),
        );
        charts.insert(
            dupont(),
            bare_chart(dupont(), "DUPONT", "Jean", "1940-05-12"),
        );
        let merged = HashMap::from([(dupont_merged(), dupont())]);

        let rows = vec![PatientRow {
            patient: dupont(),
            family: Some("DUPONT".into()),
            given: Some("Jean".into()),
            birth_date: Some(date("1940-05-12")),
            sex: Some(Sex::Male),
            ipp: Some("777".into()),
            unit: Some("PNEUMO".into()),
            room: Some("201".into()),
            bed: Some("B".into()),
        }];
        let feed = |name: &str, last: Option<i64>| FeedStatus {
            name: name.into(),
            last_received_ms: last,
            accepted: 10,
            duplicates: 1,
            rejected: 2,
        };
        let status = StoreStatus {
            events: 42,
            patients: 3,
            in_house: 3,
            units: 2,
            quarantined: 1,
            feeds: vec![
                feed("adt", Some(NOW - 4_000)),
                feed("lab \"main\"", Some(NOW - 180_000)),
            ],
            facts: vec![
                ("allergy".into(), 2),
                ("careplan".into(), 1),
                ("patient".into(), 3),
                ("stay".into(), 3),
            ],
            schema_version: 3,
        };
        FakeStore {
            units: vec![cardio, pneumo],
            boards,
            charts,
            merged,
            rows,
            quarantine: vec![QuarantineEntry {
                id: 1,
                feed: "adt".into(),
                received_ms: NOW - 60_000,
                message_id: Some("MSG0042".into()),
                reason: "PID-3 vide".into(),
                size: 2_048,
            }],
            status: Some(status),
            generation: AtomicU64::new(7),
            ..FakeStore::default()
        }
    }
}

impl FakeStore {
    /// The hospital with `count` more patients named DUPONT Jean, all born
    /// on 12/05/1940 (a search for them matches `count + 1` patients).
    pub(crate) fn with_namesakes(mut self, count: usize) -> FakeStore {
        let template = self.rows[0].clone();
        for n in 0..count {
            let mut row = template.clone();
            row.patient = PatientKey::ipp("HOPITAL", &format!("N{n}"));
            row.ipp = Some(format!("N{n}"));
            self.rows.push(row);
        }
        self
    }
}

/// The router over a fresh fake hospital, and the store to poke at.
pub(crate) fn app() -> (axum::Router, Arc<FakeStore>) {
    let (router, _, store) = app_with_state();
    (router, store)
}

/// Same, with the state.
pub(crate) fn app_with_state() -> (axum::Router, ckisa_web::AppState, Arc<FakeStore>) {
    app_over(FakeStore::hospital())
}

/// The router over `store`, with the test node's config, whose requests
/// carry the session of a physician of every unit unless they bring their
/// own session cookie.
pub(crate) fn app_over(store: FakeStore) -> (axum::Router, ckisa_web::AppState, Arc<FakeStore>) {
    app_with(store, test_config())
}

/// The test node's config: two declared feeds and an establishment name.
pub(crate) fn test_config() -> ckisa_web::WebConfig {
    let mut config = ckisa_web::WebConfig::new("noeud-test", "/var/lib/ckisa");
    config.feeds = vec!["adt".into(), "fhir".into()];
    config.site_name = "CH de Cornouaille".into();
    config
}

/// [`app_over`] with another config.
pub(crate) fn app_with(
    store: FakeStore,
    config: ckisa_web::WebConfig,
) -> (axum::Router, ckisa_web::AppState, Arc<FakeStore>) {
    let harness = Harness::with_config(store, config);
    let session = harness.login_as("dr.test", Role::Physician, Scope::AllUnits);
    (harness.router_as(&session), harness.state, harness.store)
}

/// The test hospital seen by the IT security role.
pub(crate) fn app_for_it() -> axum::Router {
    let harness = Harness::over(FakeStore::hospital());
    let session = harness.login_as("rssi", Role::ItSecurity, Scope::Units(Vec::new()));
    harness.router_as(&session)
}

impl Harness {
    /// The router, with `session`'s cookie added to every request that
    /// brings no session cookie of its own.
    pub(crate) fn router_as(&self, session: &TestSession) -> axum::Router {
        let cookie = session.cookie.clone();
        self.router.clone().layer(axum::middleware::map_request(
            move |mut request: Request<Body>| {
                let cookie = cookie.clone();
                async move {
                    let headers = request.headers_mut();
                    let current = headers
                        .get(COOKIE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    if !current.contains("ckisa_session=") {
                        let joined = if current.is_empty() {
                            cookie
                        } else {
                            format!("{current}; {cookie}")
                        };
                        headers.insert(COOKIE, HeaderValue::from_str(&joined).expect("cookie"));
                    }
                    request
                }
            },
        ))
    }
}

/// A node over a fake store with a real accounts directory and audit trail
/// in a temporary folder (removed when the last router clone is dropped).
pub(crate) struct Harness {
    pub(crate) router: axum::Router,
    pub(crate) state: ckisa_web::AppState,
    pub(crate) store: Arc<FakeStore>,
    pub(crate) directory: Directory,
    pub(crate) trail: AuditTrail,
}

/// A logged-in test session: the `Cookie` header value and the CSRF token.
#[derive(Clone)]
pub(crate) struct TestSession {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

/// Password of every test account.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

impl Harness {
    pub(crate) fn over(store: FakeStore) -> Harness {
        Harness::with_config(store, test_config())
    }

    pub(crate) fn with_config(store: FakeStore, config: ckisa_web::WebConfig) -> Harness {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let key = DbKey::generate().expect("key");
        let trail = AuditTrail::open(dir.path(), &key).expect("audit trail");
        let options = AuthOptions {
            argon: ArgonParams::fast_for_tests(),
            address_attempts_per_minute: 10_000,
            ..AuthOptions::default()
        };
        let directory =
            Directory::open(dir.path(), &key, options, Arc::new(trail.clone())).expect("directory");
        let store = Arc::new(store);
        let security = ckisa_web::Security {
            directory: directory.clone(),
            trail: trail.clone(),
            secure_cookies: false,
        };
        let state = ckisa_web::AppState::with_clock(store.clone(), config, security, now);
        let router = ckisa_web::router(state.clone()).layer(axum::Extension(dir));
        Harness {
            router,
            state,
            store,
            directory,
            trail,
        }
    }

    /// Creates the account (password [`PASSWORD`], no forced change) and
    /// logs it in.
    pub(crate) fn login_as(&self, login: &str, role: Role, scope: Scope) -> TestSession {
        self.add(login, role, scope);
        self.session_of(login)
    }

    /// A new session of an existing account.
    pub(crate) fn session_of(&self, login: &str) -> TestSession {
        let session = self
            .directory
            .login(login, PASSWORD, "127.0.0.1".parse().expect("ip"), NOW)
            .expect("login");
        TestSession {
            cookie: format!("ckisa_session={}", session.token),
            csrf: session.csrf,
        }
    }

    pub(crate) fn add(&self, login: &str, role: Role, scope: Scope) {
        let user = NewUser {
            login: login.into(),
            display_name: format!("Test {login}"),
            role,
            scope,
            password: Some(PASSWORD.into()),
            must_change: false,
        };
        self.directory
            .add_user(&user, &Actor::cli(), NOW)
            .expect("account added");
    }
}

/// A response's status, headers and body text.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("body is JSON")
    }
}

pub(crate) async fn send(router: &axum::Router, request: Request<Body>) -> Answer {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router is infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .expect("body reads");
    Answer {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
    }
}

pub(crate) async fn get(router: &axum::Router, uri: &str) -> Answer {
    send(
        router,
        Request::get(uri)
            .body(Body::empty())
            .expect("valid request"),
    )
    .await
}
