//! Server time of the crisis dashboard for a 1,500-bed establishment: 60
//! units of 25 beds, about 85 % occupied, a crisis declared, every unit
//! reporting, 10 critical stocks counted, 20 tasks (half overdue) and 5
//! open alerts; the store encrypted as a node runs it.
//!
//! Each round is what the dashboard's producer does on a change: read the
//! census (one query) and the movements since the declaration, fold the
//! crisis book, build the model and render the French fragment
//! (`ckisa_web::dashboard_fragment`). Prints the median and the 99th
//! percentile over the rounds, and the fragment's size.
//!
//! Run: `cargo bench -p ckisa-web --bench dashboard -- [ROUNDS]` (default
//! 500). Target (issue 4): under 20 ms.

#![expect(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use ckisa_audit::AuditTrail;
use ckisa_auth::{AuthOptions, Directory, Role};
use ckisa_crisis::plan::{self, PlanContext};
use ckisa_domain::{
    Actor, Assignee, CrisisFact, CrisisId, EncounterKey, Event, EventId, Fact, Field, Hlc, ItemId,
    Moment, NodeId, PatientKey, PatientUpdate, Place, Rag, Source, SourceChannel, StayUpdate,
    UnitReport,
};
use ckisa_store::{Store, Submission, UnitDefinition};
use ckisa_store_sqlite::key::DbKey;
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};
use ckisa_web::{AppState, Lang, Security, WebConfig};

const UNITS: usize = 60;
const BEDS_PER_UNIT: usize = 25;
const STOCKS: usize = 10;
/// 15/03/2024 12:00 in Paris: the bench's "now".
const NOW: i64 = 1_710_500_400_000;
const HOUR: i64 = 3_600_000;

fn clock() -> i64 {
    NOW
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir().expect("temporary directory");
    let key = DbKey::generate().expect("random key");
    let options = SqliteOptions::new("Europe/Paris").with_key(key.clone());
    let store = Arc::new(SqliteStore::open(&dir.path().join("data"), options).expect("store"));
    let codes: Vec<String> = (1..=UNITS).map(|n| format!("U{n:02}")).collect();
    let occupied = fill(store.as_ref(), &codes);
    crisis(store.as_ref(), &codes);
    let state = node(dir.path(), &key, store, &codes);

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (times, size) = runtime.block_on(async {
        // The first round reads the whole crisis and the movements; later
        // rounds are what a change costs.
        let first = Instant::now();
        let fragment = ckisa_web::dashboard_fragment(&state, Lang::Fr)
            .await
            .expect("fragment");
        println!(
            "first build (book and movements read from the log): {:.2} ms",
            ms(first.elapsed())
        );
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let start = Instant::now();
            let fragment = ckisa_web::dashboard_fragment(&state, Lang::Fr)
                .await
                .expect("fragment");
            times.push(start.elapsed());
            std::hint::black_box(fragment);
        }
        (times, fragment.len())
    });
    let mut times = times;
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "dashboard of {} units, {} beds, {occupied} occupied: fragment {:.1} KB",
        UNITS,
        UNITS * BEDS_PER_UNIT,
        size as f64 / 1024.0
    );
    println!(
        "build + render over {rounds} rounds: median {:.2} ms, p99 {:.2} ms, max {:.2} ms (target < 20 ms)",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0))
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn event(at_ms: i64, actor: Actor, fact: Fact) -> Event {
    let ms = u64::try_from(at_ms).expect("positive time");
    Event {
        id: EventId::new(ms),
        hlc: Hlc::new(ms, 0),
        origin: NodeId("banc".into()),
        actor,
        source: Source {
            channel: SourceChannel::User,
            origin: "banc".into(),
            message_id: None,
            sender: None,
            fhir_id: None,
        },
        fact,
    }
}

fn commit(store: &dyn Store, at_ms: i64, actor: Actor, facts: Vec<Fact>) {
    let submission = Submission {
        feed: String::from("adt"),
        received_ms: at_ms,
        dedup: None,
        events: facts
            .into_iter()
            .map(|f| event(at_ms, actor.clone(), f))
            .collect(),
    };
    store.commit(vec![submission]).expect("commit");
}

/// Defines the units and admits a patient in about 85 % of the beds (every
/// bed but those whose number is a multiple of 7, or of 6 for the last
/// ones); returns how many.
fn fill(store: &dyn Store, codes: &[String]) -> usize {
    let units: Vec<UnitDefinition> = codes
        .iter()
        .map(|code| UnitDefinition {
            code: code.clone(),
            name: format!("Unité d'hospitalisation {code}"),
            beds: (1..=BEDS_PER_UNIT)
                .map(|n| (format!("{n}"), format!("{n}")))
                .collect(),
        })
        .collect();
    store.define_units(&units).expect("units");
    let admitted = Moment::parse_iso("2024-03-14T10:00").expect("moment");
    let mut count = 0;
    for (u, code) in codes.iter().enumerate() {
        let mut facts = Vec::new();
        for bed in 1..=BEDS_PER_UNIT {
            let empty = if u % 2 == 0 {
                bed % 7 == 0
            } else {
                bed % 6 == 0
            };
            if empty {
                continue;
            }
            let id = format!("{code}-{bed}");
            let patient = PatientKey::ipp("BANC", &id);
            facts.push(Fact::PatientUpdated(PatientUpdate {
                patient: patient.clone(),
                family: Field::Value(format!("NOM{id}")),
                given: Field::Value("Prénom".into()),
                ..PatientUpdate::default()
            }));
            facts.push(Fact::StayUpdated(StayUpdate {
                encounter: EncounterKey(format!("SEJ-{id}")),
                patient,
                place: Field::Value(Place {
                    unit: code.clone(),
                    room: Some(bed.to_string()),
                    bed: Some(bed.to_string()),
                    facility: None,
                }),
                class: Some("I".into()),
                admitted_at: Some(admitted),
                attending: None,
                in_house: true,
                effective_at: Some(admitted),
                movement_id: None,
            }));
            count += 1;
        }
        commit(store, NOW - 48 * HOUR, Actor::Feed("adt".into()), facts);
    }
    count
}

/// A crisis declared 6 hours ago, a report per unit, counts of every stock,
/// tasks and alerts.
fn crisis(store: &dyn Store, codes: &[String]) {
    let person = |login: &str| Actor::User(login.into());
    let declared = NOW - 6 * HOUR;
    let declare = CrisisFact::Declared {
        crisis: CrisisId("crise-banc".into()),
        level: 2,
        reason: "Cyberattaque : DPI injoignable".into(),
    };
    commit(
        store,
        declared,
        person("directeur"),
        vec![Fact::Crisis(declare)],
    );
    for (u, code) in codes.iter().enumerate() {
        let status = [Rag::Green, Rag::Orange, Rag::Red][u % 3];
        let report = CrisisFact::UnitReported(UnitReport {
            unit: code.clone(),
            staff_present: 8,
            staff_needed: 10,
            status,
            needs: "Deux infirmiers de nuit, un chariot d'urgence".into(),
            comment: String::new(),
        });
        let at = NOW - (u as i64 % 4) * HOUR;
        commit(store, at, person("cadre"), vec![Fact::Crisis(report)]);
    }
    for s in 1..=STOCKS {
        for (hours, quantity) in [(30, 400.0), (20, 330.0), (2, 250.0)] {
            let count = CrisisFact::StockCounted {
                stock: format!("S{s:02}"),
                quantity: quantity - s as f64 * 20.0,
                comment: String::new(),
            };
            commit(
                store,
                NOW - hours * HOUR,
                person("pharmacien"),
                vec![Fact::Crisis(count)],
            );
        }
    }
    for t in 0..20 {
        let task = CrisisFact::TaskCreated {
            id: ItemId(format!("tache-{t}")),
            title: format!("Imprimer les plans de soins, lot {t}"),
            detail: String::new(),
            assignee: Assignee::Unit(codes[t % codes.len()].clone()),
            due_ms: Some(NOW + (t as i64 - 10) * HOUR),
            decision: None,
        };
        commit(
            store,
            declared + HOUR,
            person("directeur"),
            vec![Fact::Crisis(task)],
        );
    }
    for a in 0..5 {
        let alert = CrisisFact::AlertRaised {
            id: ItemId(format!("alerte-{a}")),
            key: format!("silence:flux-{a}"),
            kind: ckisa_domain::AlertKind::FeedSilent,
            subject: format!("flux-{a}"),
            since_ms: declared - HOUR,
            evidence: "Aucun message depuis 47 minutes (attendu : un toutes les 2 minutes)".into(),
        };
        commit(store, declared, Actor::System, vec![Fact::Crisis(alert)]);
    }
}

/// The plan: the units spread over BIA activities (critical care,
/// emergency, maternity, wards) and ten critical stocks.
fn plan_text(codes: &[String]) -> String {
    let list = |range: std::ops::Range<usize>| {
        codes[range]
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = String::from(
        "[[plan.applications]]\ncode = \"DPI\"\nname = \"Dossier patient\"\nfeeds = [\"adt\"]\n",
    );
    for (code, name, units) in [
        ("REA", "Réanimation et soins intensifs", list(0..6)),
        ("URGENCES", "Urgences", list(6..8)),
        ("NAISSANCE", "Salle de naissance et maternité", list(8..10)),
        (
            "HOSPIT",
            "Hospitalisation conventionnelle",
            list(10..codes.len()),
        ),
    ] {
        text.push_str(&format!(
            "[[plan.activities]]\ncode = \"{code}\"\nname = \"{name}\"\ncriticality = \"vitale\"\n\
             dmia = \"4h\"\npdma = \"30m\"\napplications = [\"DPI\"]\nunits = [{units}]\n"
        ));
    }
    for s in 1..=STOCKS {
        text.push_str(&format!(
            "[[plan.stocks]]\ncode = \"S{s:02}\"\nname = \"Stock critique numéro {s}\"\n\
             category = \"medicament\"\nmeasure = \"ampoules\"\nlocation = \"Pharmacie\"\n\
             alert_threshold = 150\ncritical_threshold = 60\ndaily_consumption = 40\n"
        ));
    }
    text.push_str("[plan.crisis]\nunit_report_interval = \"2h\"\n");
    text
}

fn node(
    folder: &std::path::Path,
    key: &DbKey,
    store: Arc<SqliteStore>,
    codes: &[String],
) -> AppState {
    let raw = plan::parse(&plan_text(codes)).expect("plan parses");
    let context = PlanContext {
        units: codes.to_vec(),
        feeds: vec!["adt".into()],
        roles: Role::ALL.iter().map(|r| r.code().to_owned()).collect(),
    };
    let plan = plan::check(&raw, &context).expect("plan checks");
    let trail = AuditTrail::open(folder, key).expect("audit trail");
    let directory = Directory::open(folder, key, AuthOptions::default(), Arc::new(trail.clone()))
        .expect("accounts");
    let mut config = WebConfig::new("banc", folder.display().to_string());
    config.feeds = vec!["adt".into()];
    config.plan = Arc::new(plan);
    let security = Security {
        directory,
        trail,
        secure_cookies: false,
    };
    AppState::with_clock(store as Arc<dyn Store>, config, security, clock)
}
