//! The watch over a real SQLite store in a temporary folder: feed activity
//! is made by committing empty submissions at chosen reception times, and
//! rounds run at chosen times, without timers. The task itself (probes and
//! the hook) runs with a short period against loopback.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ckisa_crisis::book::Book;
use ckisa_crisis::ledger::{self, Author};
use ckisa_crisis::plan::{self, Plan, PlanContext};
use ckisa_domain::{Actor, AlertKind, CrisisFact, Hlc, NodeId};
use ckisa_ingest::clock::ManualClock;
use ckisa_ingest::pipeline::EventFactory;
use ckisa_store::{Store, Submission};
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};

use super::*;

/// 12/03/2025 13:00 in Paris (12:00 UTC), a Wednesday.
const T0: i64 = 1_741_780_800_000;
const MINUTE: i64 = 60_000;

const PLAN: &str = r#"
[[plan.applications]]
code = "DPI"
name = "Dossier patient"
feeds = ["adt"]

[[plan.activities]]
code = "URG"
name = "Urgences"
criticality = "vitale"
dmia = "4h"
pdma = "30m"
applications = ["DPI"]

[[plan.stocks]]
code = "O2"
name = "Oxygène"
category = "oxygene"
measure = "m3"
location = "Cuve sud"
alert_threshold = 6000
critical_threshold = 3000

[plan.detection]
learning_silence = "10m"
"#;

fn plan_from(text: &str) -> Arc<Plan> {
    let raw = plan::parse(text).expect("plan reads");
    let context = PlanContext {
        units: Vec::new(),
        feeds: vec!["adt".to_owned()],
        roles: Vec::new(),
    };
    Arc::new(plan::check(&raw, &context).expect("plan checks"))
}

struct Site {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
    plan: Arc<Plan>,
}

impl Site {
    fn new() -> Site {
        Site::with_plan(PLAN)
    }

    fn with_plan(text: &str) -> Site {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open_store(dir.path());
        Site {
            _dir: dir,
            store,
            plan: plan_from(text),
        }
    }

    /// A watcher as the node makes it at start.
    fn watcher(&self) -> Watcher {
        let store: Arc<dyn Store> = self.store.clone();
        Watcher::new(
            store,
            Arc::clone(&self.plan),
            vec!["adt".to_owned()],
            NodeId("noeud-test".to_owned()),
        )
        .expect("settings accepted")
    }

    /// One message of the `adt` feed received at `at_ms`.
    fn message(&self, at_ms: i64) {
        self.store
            .commit(vec![Submission {
                feed: "adt".to_owned(),
                received_ms: at_ms,
                dedup: None,
                events: Vec::new(),
            }])
            .expect("commit");
    }

    /// A message a minute from `from_ms` to `to_ms`, both included.
    fn messages(&self, from_ms: i64, to_ms: i64) {
        let mut at = from_ms;
        while at <= to_ms {
            self.message(at);
            at += MINUTE;
        }
    }

    /// A stock count typed by the pharmacist at `at_ms`.
    fn count(&self, quantity: f64, at_ms: i64) {
        let author = Author {
            actor: Actor::User("pharma".to_owned()),
            node: NodeId("noeud-test".to_owned()),
            origin: "web",
        };
        let fact = CrisisFact::StockCounted {
            stock: "O2".to_owned(),
            quantity,
            comment: String::new(),
        };
        let hlc = Hlc::new(u64::try_from(at_ms).unwrap_or(0), 0);
        let mut book = ledger::load(self.store.as_ref()).expect("book");
        ledger::record(&mut book, self.store.as_ref(), &author, fact, hlc, at_ms)
            .expect("count recorded");
    }

    /// The book as the log holds it now.
    fn book(&self) -> Book {
        ledger::load(self.store.as_ref()).expect("book")
    }
}

fn open_store(dir: &Path) -> Arc<SqliteStore> {
    Arc::new(SqliteStore::open(dir, SqliteOptions::new("Europe/Paris")).expect("store opens"))
}

/// Asserts that a round went well and raised nothing.
#[track_caller]
fn assert_quiet(round: Result<Vec<HookAlert>, StoreError>) {
    let raised = round.expect("the round reads and records");
    assert!(raised.is_empty(), "{raised:?}");
}

/// The keys of the alerts raised by one round.
fn keys(raised: &[HookAlert]) -> Vec<&str> {
    raised.iter().map(|alert| alert.key.as_str()).collect()
}

fn open_keys(book: &Book) -> Vec<String> {
    let mut keys: Vec<String> = book
        .open_alerts()
        .iter()
        .map(|alert| alert.key.clone())
        .collect();
    keys.sort();
    keys
}

#[test]
fn a_silent_feed_raises_once_survives_a_restart_and_clears_when_traffic_resumes() {
    let site = Site::new();
    site.messages(T0 - 30 * MINUTE, T0);
    let mut watcher = site.watcher();

    // Learning (half an hour of history): the fixed 10-minute threshold.
    assert_quiet(watcher.round(T0 + 5 * MINUTE, Vec::new()));
    let raised = watcher.round(T0 + 11 * MINUTE, Vec::new()).unwrap();
    assert_eq!(keys(&raised), ["silence:adt"]);
    assert_eq!(raised[0].kind, "silence");
    assert_eq!(raised[0].subject, "adt");
    assert_eq!(raised[0].since_ms, T0);

    let book = site.book();
    let alert = book.open_alert("silence:adt").expect("open in the log");
    assert_eq!(alert.kind, AlertKind::FeedSilent);
    assert_eq!(alert.subject, "adt");
    assert_eq!(alert.since_ms, T0);
    assert_eq!(alert.stamp.by, "système");
    for part in [
        "Flux « adt » silencieux",
        "dernier message reçu le 12/03/2025 13:00",
        "seuil fixe de 10 min",
    ] {
        assert!(
            alert.evidence.contains(part),
            "{part:?} in {}",
            alert.evidence
        );
    }
    let id = alert.id.clone();

    // Still silent: nothing more, from this watcher or from a restarted one.
    assert_quiet(watcher.round(T0 + 12 * MINUTE, Vec::new()));
    let mut restarted = site.watcher();
    assert_quiet(restarted.round(T0 + 13 * MINUTE, Vec::new()));
    assert_quiet(restarted.round(T0 + 20 * MINUTE, Vec::new()));
    assert_eq!(site.book().alerts().len(), 1);

    // Traffic resumes: the restarted watcher clears the alert it took over.
    site.message(T0 + 21 * MINUTE);
    assert_quiet(restarted.round(T0 + 21 * MINUTE + 1_000, Vec::new()));
    let book = site.book();
    assert_eq!(open_keys(&book), Vec::<String>::new());
    let alert = book.alerts().iter().find(|a| a.id == id).expect("alert");
    let (stamp, reason) = alert.cleared.as_ref().expect("cleared");
    assert_eq!(stamp.by, "système");
    assert!(
        reason.contains("Flux « adt » repris") && reason.contains("12/03/2025 13:21"),
        "{reason}"
    );
    assert_eq!(restarted.book().alerts().len(), 1);
}

#[test]
fn an_alert_already_open_in_the_log_is_not_raised_again() {
    let site = Site::new();
    site.messages(T0 - 30 * MINUTE, T0);
    let mut first = site.watcher();
    assert_eq!(
        keys(&first.round(T0 + 11 * MINUTE, Vec::new()).unwrap()),
        ["silence:adt"]
    );

    // A detector that knows nothing of it (not resumed from the book) would
    // raise it; the book says it is open.
    let book = site.book();
    let mut detector = Detector::new(site.plan.detection.detect_settings()).unwrap();
    let inputs = read_inputs(site.store.as_ref(), &["adt".to_owned()], T0).unwrap();
    let facts = decide(&book, &site.plan, &mut detector, &inputs, T0 + 12 * MINUTE);
    assert!(facts.is_empty(), "{facts:?}");
}

#[test]
fn a_replica_older_than_the_pdma_is_told_and_cleared_when_fresh_again() {
    // A long learning silence, so that only the PDMA speaks.
    let site = Site::with_plan(&PLAN.replace("\"10m\"", "\"2h\""));
    let mut watcher = site.watcher();

    // A feed that never received anything raises nothing, however long.
    assert_quiet(watcher.round(T0 - 3 * 60 * MINUTE, Vec::new()));
    assert_quiet(watcher.round(T0 - MINUTE, Vec::new()));

    site.message(T0);
    assert_quiet(watcher.round(T0 + 29 * MINUTE, Vec::new()));
    let raised = watcher.round(T0 + 31 * MINUTE, Vec::new()).unwrap();
    assert_eq!(keys(&raised), ["pdma:URG"]);
    assert_eq!(raised[0].kind, "pdma");
    let book = site.book();
    let alert = book.open_alert("pdma:URG").expect("open");
    assert_eq!(alert.kind, AlertKind::PdmaExceeded);
    assert_eq!(alert.subject, "URG");
    assert_eq!(alert.since_ms, T0 + 30 * MINUTE);
    assert_eq!(
        alert.evidence,
        "URG : réplique de DPI âgée de 31 min (flux adt), au-delà de la PDMA de 30 min."
    );
    assert_quiet(watcher.round(T0 + 40 * MINUTE, Vec::new()));

    site.message(T0 + 41 * MINUTE);
    assert_quiet(watcher.round(T0 + 41 * MINUTE, Vec::new()));
    let book = site.book();
    assert_eq!(open_keys(&book), Vec::<String>::new());
    let (_, reason) = book.alerts()[0].cleared.as_ref().expect("cleared");
    assert_eq!(
        reason,
        "URG : réplique de nouveau plus récente que la PDMA de 30 min."
    );
}

#[test]
fn a_stock_at_or_below_its_alert_threshold_is_told_until_counted_above() {
    let site = Site::new();
    let mut watcher = site.watcher();
    assert_quiet(watcher.round(T0, Vec::new()));

    site.count(7_000.0, T0);
    assert_quiet(watcher.round(T0 + MINUTE, Vec::new()));

    site.count(6_000.0, T0 + 2 * MINUTE);
    let raised = watcher.round(T0 + 3 * MINUTE, Vec::new()).unwrap();
    assert_eq!(keys(&raised), ["stock:O2"]);
    let book = site.book();
    let alert = book.open_alert("stock:O2").expect("open");
    assert_eq!(alert.kind, AlertKind::StockLow);
    assert_eq!(alert.since_ms, T0 + 2 * MINUTE);
    assert_eq!(
        alert.evidence,
        "Stock « Oxygène » (O2, Cuve sud) : 6000 m3 comptés le 12/03/2025 13:02, niveau alerte \
         (seuil d'alerte : 6000, seuil critique : 3000)."
    );

    // Lower still: the alert stays open, not raised twice.
    site.count(2_500.5, T0 + 4 * MINUTE);
    assert_quiet(watcher.round(T0 + 5 * MINUTE, Vec::new()));
    assert_eq!(site.book().alerts().len(), 1);

    site.count(8_000.0, T0 + 6 * MINUTE);
    assert_quiet(watcher.round(T0 + 7 * MINUTE, Vec::new()));
    let book = site.book();
    assert_eq!(open_keys(&book), Vec::<String>::new());
    let (_, reason) = book.alerts()[0].cleared.as_ref().expect("cleared");
    assert!(
        reason.contains("recompté au-dessus du seuil d'alerte : 8000 m3 le 12/03/2025 13:06"),
        "{reason}"
    );

    // A critical count is told as such.
    site.count(2_500.5, T0 + 8 * MINUTE);
    assert_eq!(
        keys(&watcher.round(T0 + 9 * MINUTE, Vec::new()).unwrap()),
        ["stock:O2"]
    );
    let book = site.book();
    let evidence = &book.open_alert("stock:O2").expect("open").evidence;
    assert!(
        evidence.contains("2500,5 m3") && evidence.contains("niveau critique"),
        "{evidence}"
    );
}

#[test]
fn every_plan_probe_becomes_a_probe_slot() {
    let plan = plan_from(&format!(
        "{PLAN}\n[[plan.detection.probes]]\nname = \"mllp\"\nkind = \"tcp\"\n\
         target = \"[::1]:2575\"\n\n[[plan.detection.probes]]\nname = \"web\"\n\
         kind = \"http\"\ntarget = \"http://127.0.0.1:8081/sante\"\nevery = \"30s\"\n\
         timeout = \"3s\"\n"
    ));
    let slots = probe_slots(&plan);
    assert_eq!(slots.len(), 2);
    assert_eq!(
        slots[0].spec,
        Arc::new(ProbeSpec::tcp("mllp", "[::1]:2575", Duration::from_secs(5)).unwrap())
    );
    assert_eq!(slots[0].every, Duration::from_secs(60));
    assert_eq!(
        slots[1].spec,
        Arc::new(
            ProbeSpec::http("web", "http://127.0.0.1:8081/sante", Duration::from_secs(3)).unwrap()
        )
    );
    assert_eq!(slots[1].every, Duration::from_secs(30));
}

/// The watch's task over `site` with the node clock stopped at `now_ms`,
/// a round every 100 ms; returns the shutdown sender and the task.
fn start(
    site: &Site,
    now_ms: i64,
    hook: Option<Arc<HookSpec>>,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let factory = Arc::new(EventFactory::new(
        NodeId("noeud-test".to_owned()),
        ManualClock::new(now_ms),
    ));
    let (stop, shutdown) = watch::channel(false);
    let task = tokio::spawn(run(
        site.watcher(),
        factory,
        probe_slots(&site.plan),
        hook,
        Duration::from_millis(100),
        shutdown,
    ));
    (stop, task)
}

/// Waits (at most 30 s) until `check` holds.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "still waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hook_receives_each_alert_raised() {
    let site = Site::new();
    site.messages(T0 - 30 * MINUTE, T0);
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("crochet.sh");
    std::fs::write(
        &script,
        "printf '%s|%s|%s|%s\\n' \"$CKISA_ALERTE_CLE\" \"$CKISA_ALERTE_TYPE\" \
         \"$CKISA_ALERTE_SUJET\" \"$CKISA_ALERTE_DEPUIS\" >> \"$1/recu\"\n\
         cat >> \"$1/entree\"\n",
    )
    .expect("script written");
    let hook = Arc::new(HookSpec {
        program: "/bin/sh".into(),
        args: vec![
            script.display().to_string(),
            dir.path().display().to_string(),
        ],
        timeout: Duration::from_secs(10),
    });

    // Eleven minutes of silence and a count under the threshold: two alerts.
    site.count(5_000.0, T0 + 5 * MINUTE);
    let (stop, task) = start(&site, T0 + 11 * MINUTE, Some(hook));
    let received = dir.path().join("recu");
    eventually("two hook runs", || {
        std::fs::read_to_string(&received).is_ok_and(|text| text.lines().count() >= 2)
    })
    .await;
    // Several more rounds: nothing is raised, nor told, again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.send(true).expect("the task listens");
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the task ends on shutdown")
        .expect("the task did not panic");

    let mut lines: Vec<String> = std::fs::read_to_string(&received)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "silence:adt|silence|adt|12/03/2025 13:00",
            "stock:O2|stock|O2|12/03/2025 13:05",
        ]
    );
    let input = std::fs::read_to_string(dir.path().join("entree")).unwrap();
    assert!(
        input.contains("\"cle\":\"silence:adt\"") && input.contains("Flux « adt » silencieux"),
        "{input}"
    );
    assert_eq!(open_keys(&site.book()), ["silence:adt", "stock:O2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_probe_raises_and_clears_when_the_endpoint_answers() {
    // A loopback port with nothing behind it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let site = Site::with_plan(&format!(
        "{PLAN}\n[[plan.detection.probes]]\nname = \"sih-mllp\"\nkind = \"tcp\"\n\
         target = \"127.0.0.1:{port}\"\nevery = \"2s\"\ntimeout = \"1s\"\n"
    ));
    let (stop, task) = start(&site, T0, None);
    eventually("the probe alert", || {
        site.book().open_alert("sonde:sih-mllp").is_some()
    })
    .await;
    let book = site.book();
    let alert = book.open_alert("sonde:sih-mllp").expect("open");
    assert_eq!(alert.kind, AlertKind::ProbeFailed);
    assert!(
        alert.evidence.contains("refus de connexion")
            && alert.evidence.contains("2 échecs consécutifs (seuil : 2)"),
        "{}",
        alert.evidence
    );

    // The endpoint comes back.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the port is free again");
    let accepting = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            drop(stream);
        }
    });
    eventually("the probe alert cleared", || {
        site.book().open_alert("sonde:sih-mllp").is_none()
    })
    .await;
    let book = site.book();
    let (_, reason) = book.alerts()[0].cleared.as_ref().expect("cleared");
    assert!(reason.contains("de nouveau en succès"), "{reason}");
    stop.send(true).expect("the task listens");
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the task ends on shutdown")
        .expect("the task did not panic");
    accepting.abort();
}
