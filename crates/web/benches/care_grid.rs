//! Server time of a unit's medication grid (`GET /soins/unites/{code}`) in
//! degraded mode: a 600-bed establishment (15 units of 40 beds, all
//! occupied), each patient with 6 to 8 active prescriptions of mixed
//! frequencies (`1-0-1`, `Q6H`, `3 fois par jour`, `si besoin`, `en
//! continu`...), a crisis declared 6 hours ago, a care log of 20,000 events
//! about patients of the other units (doses, vitals, notes) and the doses of
//! the current shift recorded for the measured unit; the store encrypted as
//! a node runs it.
//!
//! Each round is one request through `ckisa_web::router` (tower `oneshot`),
//! as a nurse of the unit logged in with a session cookie: the gate, the
//! audit write, two store reads, one pass over the care book, the grid and
//! the page rendered, the body read to its end. Prints the first request
//! (the care book read from the log) apart, then the median, the 99th
//! percentile and the maximum over the rounds, and the page's size.
//!
//! Run: `cargo bench -p ckisa-web --bench care_grid -- [ROUNDS [EVENTS]]`
//! (default 300 rounds, 20,000 events about the other units; 70,000 is the
//! end of a 72-hour downtime). Target (issue 5): under 20 ms of server time
//! for 40 patients.

#![expect(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::header::COOKIE;
use axum::http::{Request, StatusCode};
use ckisa_audit::AuditTrail;
use ckisa_auth::{AuthOptions, Directory, NewUser, Role, Scope};
use ckisa_care::mar;
use ckisa_care::news2::{self, VitalKind};
use ckisa_care::{ledger, settings::Settings};
use ckisa_domain::{
    Actor, Administration, AdministrationOutcome, Allergy, CareFact, Coded, CrisisFact, CrisisId,
    EncounterKey, Event, EventId, Fact, Field, Hlc, Identifier, Medication, MedicationKind, Moment,
    NodeId, NursingNote, Observation, ObservationCategory, PatientKey, PatientUpdate, Place,
    RecordStatus, ResourceRef, Sex, Source, SourceChannel, StayUpdate,
};
use ckisa_store::{Store, Submission, UnitDefinition};
use ckisa_store_sqlite::key::DbKey;
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};
use ckisa_web::{AppState, Security, WebConfig};
use jiff::tz::TimeZone;
use tower::ServiceExt;

/// The unit whose grid is measured.
const UNIT: &str = "U01";
const UNITS: usize = 15;
const BEDS_PER_UNIT: usize = 40;
/// Care events about patients of the other units, unless the second
/// argument says how many.
const OTHER_EVENTS: usize = 20_000;
/// 15/03/2024 12:00 in Paris: the bench's "now", in the morning shift
/// (07:00-14:00), the afternoon one next.
const NOW: i64 = 1_710_500_400_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
/// When the crisis was declared.
const DECLARED: i64 = NOW - 6 * HOUR;
const PASSWORD: &str = "banc d'essai de la grille";

/// Prescriptions the patients draw from: drug, dose, route, frequency as
/// the HIS or a physician wrote it.
const DRUGS: [(&str, &str, &str, &str); 16] = [
    ("PARACETAMOL 1 g", "1 g", "PO", "Q6H"),
    (
        "ENOXAPARINE 4000 UI anti-Xa/0,4 mL",
        "4000 UI",
        "SC",
        "le soir",
    ),
    ("AMOXICILLINE 1 g", "1 g", "PO", "3 fois par jour"),
    ("FUROSEMIDE 40 mg", "40 mg", "PO", "1-0-0"),
    ("MORPHINE 5 mg/0,5 mL", "2,5 mg", "SC", "si besoin"),
    (
        "CHLORURE DE SODIUM 0,9 % 1 L",
        "1 L/24 h",
        "IV",
        "en continu",
    ),
    ("PANTOPRAZOLE 40 mg", "40 mg", "PO", "1-0-0"),
    ("METFORMINE 500 mg", "500 mg", "PO", "1-0-1"),
    ("INSULINE ASPART", "selon dextro", "SC", "3 fois par jour"),
    ("AMLODIPINE 5 mg", "5 mg", "PO", "Q1D"),
    ("CEFTRIAXONE 1 g", "1 g", "IV", "Q24H"),
    ("BISOPROLOL 2,5 mg", "2,5 mg", "PO", "BID"),
    (
        "OXYCODONE 5 mg",
        "5 mg",
        "PO",
        "toutes les 4 heures si douleur",
    ),
    (
        "HEPARINE SODIQUE 25000 UI/5 mL",
        "20000 UI/24 h",
        "IV",
        "en continu",
    ),
    ("LACTULOSE 10 g", "10 g", "PO", "matin et soir"),
    ("ZOPICLONE 7,5 mg", "7,5 mg", "PO", "au coucher"),
];

fn clock() -> i64 {
    NOW
}

fn main() {
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rounds = numbers.first().copied().unwrap_or(300);
    let other_events = numbers.get(1).copied().unwrap_or(OTHER_EVENTS);
    let dir = tempfile::tempdir().expect("temporary directory");
    let key = DbKey::generate().expect("random key");
    let options = SqliteOptions::new("Europe/Paris").with_key(key.clone());
    let store = Arc::new(SqliteStore::open(&dir.path().join("data"), options).expect("store"));
    let zone = TimeZone::get("Europe/Paris").expect("Europe/Paris zone");

    let setup = Instant::now();
    let codes: Vec<String> = (1..=UNITS).map(|n| format!("U{n:02}")).collect();
    let medications = fill(store.as_ref(), &codes);
    declare(store.as_ref());
    let others = other_units(store.as_ref(), &codes, other_events);
    let recorded = this_shift(store.as_ref(), &medications, &zone);
    println!(
        "{} beds, {} prescriptions in {UNIT}; care log: {others} events about other units, \
         {recorded} doses recorded in {UNIT} (built in {:.1} s)",
        BEDS_PER_UNIT,
        medications.len(),
        setup.elapsed().as_secs_f64()
    );

    let (state, directory) = node(dir.path(), &key, store);
    let cookie = login(&directory);
    let router = ckisa_web::router(state);
    let uri = format!("/soins/unites/{UNIT}");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (first, times, size, summary, cpu) = runtime.block_on(async {
        let start = Instant::now();
        let page = get(&router, &uri, &cookie).await;
        let first = start.elapsed();
        let summary = check(&page);
        let mut times = Vec::with_capacity(rounds);
        let cpu_before = cpu_ms();
        for _ in 0..rounds {
            let start = Instant::now();
            let page = get(&router, &uri, &cookie).await;
            times.push(start.elapsed());
            std::hint::black_box(page);
        }
        let cpu = cpu_ms()
            .zip(cpu_before)
            .map(|(after, before)| (after - before) / rounds as f64);
        (first, times, page.len(), summary, cpu)
    });
    let mut times = times;
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "first request (care book read from the log): {:.2} ms; page {:.1} KB, {summary}",
        ms(first),
        size as f64 / 1024.0
    );
    println!(
        "GET {uri} over {rounds} rounds: median {:.2} ms, p99 {:.2} ms, max {:.2} ms \
         (target < 20 ms)",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0))
    );
    if let Some(cpu) = cpu {
        println!("CPU of the process (every thread) per request: {cpu:.2} ms");
    }
}

/// CPU time of the whole process (every thread) so far, in ms, from
/// `/proc/self/stat` (utime + stime, in USER_HZ = 100 ticks a second);
/// `None` where there is no such file.
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 * 10.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The page, whole: status checked, body read to its end.
async fn get(router: &axum::Router, uri: &str, cookie: &str) -> String {
    let request = Request::get(uri)
        .header(COOKIE, cookie)
        .body(Body::empty())
        .expect("request");
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024)
        .await
        .expect("body");
    let body = String::from_utf8(bytes.to_vec()).expect("UTF-8 page");
    assert_eq!(status, StatusCode::OK, "{}", &body[..body.len().min(2_000)]);
    body
}

/// The page is the grid of the unit's 40 patients, open for recording;
/// says what it holds (columns, cells by state).
fn check(page: &str) -> String {
    let named = (1..=BEDS_PER_UNIT)
        .filter(|bed| page.contains(&format!("NOM{UNIT}-{bed:02}")))
        .count();
    assert_eq!(
        named, BEDS_PER_UNIT,
        "every patient of the unit is on the grid"
    );
    assert!(
        page.contains("/soins/administrations"),
        "the grid links to recording"
    );
    let count = |class: &str| page.matches(&format!("class=\"ward-cell {class}")).count();
    let columns = page.matches("<th scope=\"col\"").count().saturating_sub(1);
    format!(
        "{columns} time columns, {} cells ({} given, {} not given or held, {} overdue, {} due, \
         {} planned, {} wide)",
        count(""),
        count("given"),
        count("not-given") + count("held"),
        count("overdue"),
        count("due"),
        count("upcoming"),
        count("prn") + count("unreadable"),
    )
}

// ---------------------------------------------------------------------------
// The establishment.

fn coded(text: &str) -> Coded {
    Coded {
        code: None,
        system: None,
        text: text.into(),
    }
}

fn moment(ms: i64, zone: &TimeZone) -> Moment {
    mar::moment_at(ms, zone).expect("a time in the calendar")
}

fn his_event(at_ms: i64, seq: u16, actor: Actor, fact: Fact) -> Event {
    let ms = u64::try_from(at_ms).expect("positive time");
    Event {
        id: EventId::new(ms),
        hlc: Hlc::new(ms, seq),
        origin: NodeId("sih".into()),
        actor,
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

fn submit(store: &dyn Store, at_ms: i64, actor: &Actor, facts: Vec<Fact>) {
    let events = facts
        .into_iter()
        .enumerate()
        .map(|(i, fact)| {
            let seq = u16::try_from(i).expect("fewer than 65,536 facts");
            his_event(at_ms, seq, actor.clone(), fact)
        })
        .collect();
    let submission = Submission {
        feed: String::from("adt"),
        received_ms: at_ms,
        dedup: None,
        events,
    };
    store.commit(vec![submission]).expect("commit");
}

fn patient_key(unit: &str, bed: usize) -> PatientKey {
    PatientKey::ipp("HOPITAL", &format!("{unit}-{bed:02}"))
}

/// Defines the units, fills every bed and gives each patient 6 to 8
/// prescriptions (and an allergy to one patient in three), as the HIS sent
/// them two days ago; returns the prescriptions of the measured unit.
fn fill(store: &dyn Store, codes: &[String]) -> Vec<Medication> {
    let units: Vec<UnitDefinition> = codes
        .iter()
        .map(|code| UnitDefinition {
            code: code.clone(),
            name: format!("Médecine {code}"),
            beds: (1..=BEDS_PER_UNIT)
                .map(|n| (format!("{n:02}"), format!("{n:02}")))
                .collect(),
        })
        .collect();
    store.define_units(&units).expect("units");
    let admitted = Moment::parse_iso("2024-03-12T10:00:00+01:00").expect("moment");
    let started = Moment::parse_iso("2024-03-12T14:00:00+01:00").expect("moment");
    let feed = Actor::Feed("adt".into());
    let mut measured = Vec::new();
    for (u, code) in codes.iter().enumerate() {
        let mut facts = Vec::new();
        for bed in 1..=BEDS_PER_UNIT {
            let patient = patient_key(code, bed);
            let ipp = format!("{code}-{bed:02}");
            let encounter = EncounterKey(format!("SEJ-{ipp}"));
            facts.push(Fact::PatientUpdated(PatientUpdate {
                patient: patient.clone(),
                identifiers: vec![Identifier {
                    value: ipp.clone(),
                    system: Some("HOPITAL".into()),
                    kind: Some("PI".into()),
                }],
                family: Field::Value(format!("NOM{ipp}")),
                given: Field::Value("Prénom".into()),
                birth_date: Field::Value(Moment::parse_iso("1948-06-01").expect("date")),
                sex: Field::Value(if bed % 2 == 0 { Sex::Female } else { Sex::Male }),
                ..PatientUpdate::default()
            }));
            facts.push(Fact::StayUpdated(StayUpdate {
                encounter: encounter.clone(),
                patient: patient.clone(),
                place: Field::Value(Place {
                    unit: code.clone(),
                    room: Some(format!("{bed:02}")),
                    bed: Some(format!("{bed:02}")),
                    facility: None,
                }),
                class: Some("I".into()),
                admitted_at: Some(admitted),
                attending: None,
                in_house: true,
                effective_at: Some(admitted),
                movement_id: None,
            }));
            if bed % 3 == 0 {
                facts.push(Fact::AllergyRecorded(Allergy {
                    id: format!("al-{ipp}"),
                    patient: patient.clone(),
                    substance: coded("Pénicillines"),
                    category: Some("medication".into()),
                    severity: Some("high".into()),
                    reactions: vec!["urticaire".into()],
                    onset: None,
                    status: RecordStatus::Active,
                }));
            }
            let count = 6 + (u + bed) % 3;
            for n in 0..count {
                let (drug, dose, route, frequency) = DRUGS[(bed * 5 + u + n * 3) % DRUGS.len()];
                let medication = Medication {
                    id: format!("rx-{ipp}-{n}"),
                    patient: patient.clone(),
                    encounter: Some(encounter.clone()),
                    kind: MedicationKind::Order,
                    drug: coded(drug),
                    dose: Some(dose.into()),
                    route: Some(route.into()),
                    frequency: Some(frequency.into()),
                    start: Some(started),
                    end: None,
                    prescriber: Some(ResourceRef {
                        reference: None,
                        identifier: None,
                        display: Some("Dr SIH".into()),
                    }),
                    status: RecordStatus::Active,
                    note: None,
                };
                if code == UNIT {
                    measured.push(medication.clone());
                }
                facts.push(Fact::MedicationRecorded(medication));
            }
        }
        submit(store, NOW - 48 * HOUR, &feed, facts);
    }
    measured
}

/// The crisis, declared 6 hours before now.
fn declare(store: &dyn Store) {
    let declare = CrisisFact::Declared {
        crisis: CrisisId("crise-banc".into()),
        level: 2,
        reason: "Cyberattaque : DPI injoignable".into(),
    };
    submit(
        store,
        DECLARED,
        &Actor::User("directeur".into()),
        vec![Fact::Crisis(declare)],
    );
}

/// A small deterministic generator (xorshift64*), so that every run
/// measures the same log.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let value = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33;
        usize::try_from(value).expect("32 bits fit") % n
    }
}

/// Commits care events in batches as the capsule would, by `ide-<unit>`.
fn record(store: &dyn Store, facts: Vec<(i64, CareFact)>) {
    let node = NodeId("banc".into());
    let mut facts = facts;
    facts.sort_by_key(|(at, _)| *at);
    for (n, chunk) in facts.chunks(500).enumerate() {
        let events: Vec<Event> = chunk
            .iter()
            .enumerate()
            .map(|(i, (at, fact))| {
                let ms = u64::try_from(*at).expect("positive time");
                let seq = u16::try_from(i).expect("small batch");
                let actor = Actor::User(format!("ide-{n}"));
                ledger::event(actor, &node, "web", fact.clone(), Hlc::new(ms, seq))
            })
            .collect();
        let last = chunk.last().map_or(NOW, |(at, _)| *at);
        ledger::commit(store, events, last).expect("care commit");
    }
}

/// `events` care events about the patients of the other units since the
/// declaration: doses given (6 in 10), vitals (3 in 10), notes.
fn other_units(store: &dyn Store, codes: &[String], events: usize) -> usize {
    let zone = TimeZone::get("Europe/Paris").expect("zone");
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let mut facts = Vec::with_capacity(events);
    for n in 0..events {
        let code = &codes[1 + dice.below(codes.len() - 1)];
        let bed = 1 + dice.below(BEDS_PER_UNIT);
        let patient = patient_key(code, bed);
        let encounter = Some(EncounterKey(format!("SEJ-{code}-{bed:02}")));
        let at = DECLARED + i64::try_from(dice.below(6 * 60)).expect("minutes") * MINUTE;
        let fact = match n % 10 {
            0..=5 => {
                let (drug, dose, route, _) = DRUGS[dice.below(DRUGS.len())];
                CareFact::Administered(Administration {
                    id: format!("adm-autre-{n}"),
                    patient,
                    encounter,
                    medication: format!("rx-{code}-{bed:02}-{}", n % 6),
                    drug: coded(drug),
                    planned: Some(moment(at, &zone)),
                    at: moment(at + 5 * MINUTE, &zone),
                    outcome: AdministrationOutcome::Given {
                        dose: dose.into(),
                        route: route.into(),
                    },
                    by: format!("IDE {code}"),
                    comment: None,
                })
            }
            6..=8 => {
                let (kind, value) = [
                    (VitalKind::HeartRate, "84"),
                    (VitalKind::Temperature, "37,8"),
                    (VitalKind::BloodPressure, "128/76"),
                    (VitalKind::Spo2, "95"),
                    (VitalKind::RespiratoryRate, "18"),
                ][dice.below(5)];
                CareFact::Entered(Box::new(Fact::ObservationRecorded(Observation {
                    id: format!("obs-autre-{n}"),
                    patient,
                    encounter,
                    category: ObservationCategory::Vital,
                    code: news2::vital_code(kind),
                    value: news2::validate_vital(kind, value).expect("a plausible vital"),
                    reference_range: None,
                    interpretation: None,
                    effective: Some(moment(at, &zone)),
                    status: Some("final".into()),
                    report: None,
                    notes: Vec::new(),
                })))
            }
            _ => CareFact::Note(NursingNote {
                id: format!("note-autre-{n}"),
                patient,
                encounter,
                target: "Douleur".into(),
                data: "EVA 6/10 au lever, grimace à la mobilisation".into(),
                actions: "Paracétamol 1 g PO, installation en décubitus latéral".into(),
                results: "EVA 3/10 une heure après".into(),
                at: moment(at, &zone),
                by: format!("IDE {code}"),
                for_handover: n % 20 == 9,
            }),
        };
        facts.push((at, fact));
    }
    let count = facts.len();
    record(store, facts);
    count
}

/// The doses of the measured unit planned from the declaration until half
/// an hour ago: most given 10 minutes after their time, some not given or
/// held, one in eleven left unrecorded (overdue on the grid).
fn this_shift(store: &dyn Store, medications: &[Medication], zone: &TimeZone) -> usize {
    let shifts = Settings::default().shifts;
    let mut facts = Vec::new();
    let mut n = 0;
    for medication in medications {
        for dose in mar::planned(medication, DECLARED, NOW - 30 * MINUTE, zone, &shifts) {
            n += 1;
            if n % 11 == 0 {
                continue;
            }
            let outcome = if n % 17 == 0 {
                AdministrationOutcome::NotGiven {
                    reason: "patient au bloc".into(),
                }
            } else if n % 23 == 0 {
                AdministrationOutcome::Held {
                    reason: "pression artérielle basse".into(),
                }
            } else {
                AdministrationOutcome::Given {
                    dose: medication.dose.clone().unwrap_or_default(),
                    route: medication.route.clone().unwrap_or_default(),
                }
            };
            let at = dose.at_ms + 10 * MINUTE;
            facts.push((
                at,
                CareFact::Administered(Administration {
                    id: format!("adm-{UNIT}-{n}"),
                    patient: medication.patient.clone(),
                    encounter: medication.encounter.clone(),
                    medication: medication.id.clone(),
                    drug: medication.drug.clone(),
                    planned: Some(moment(dose.at_ms, zone)),
                    at: moment(at, zone),
                    outcome,
                    by: "IDE de jour".into(),
                    comment: None,
                }),
            ));
        }
    }
    let count = facts.len();
    record(store, facts);
    count
}

// ---------------------------------------------------------------------------
// The node and the nurse.

fn node(folder: &std::path::Path, key: &DbKey, store: Arc<SqliteStore>) -> (AppState, Directory) {
    let trail = AuditTrail::open(folder, key).expect("audit trail");
    let directory = Directory::open(folder, key, AuthOptions::default(), Arc::new(trail.clone()))
        .expect("accounts");
    let mut config = WebConfig::new("banc", folder.display().to_string());
    config.feeds = vec!["adt".into()];
    let security = Security {
        directory: directory.clone(),
        trail,
        secure_cookies: false,
    };
    let state = AppState::with_clock(store as Arc<dyn Store>, config, security, clock);
    (state, directory)
}

/// Creates a nurse of the unit and logs her in; returns the cookie.
fn login(directory: &Directory) -> String {
    let user = NewUser {
        login: "ide.u01".into(),
        display_name: "Infirmière U01".into(),
        role: Role::Nurse,
        scope: Scope::Units(vec![UNIT.into()]),
        password: Some(PASSWORD.into()),
        must_change: false,
    };
    directory
        .add_user(&user, &ckisa_auth::Actor::cli(), NOW)
        .expect("account added");
    let session = directory
        .login("ide.u01", PASSWORD, "127.0.0.1".parse().expect("ip"), NOW)
        .expect("login");
    format!("ckisa_session={}", session.token)
}
