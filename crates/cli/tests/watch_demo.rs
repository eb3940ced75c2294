//! The simulated HIS of `ckisa demo`, stopped and restarted from the status
//! page by the demo's IT security account: its messages stop, then resume.
//!
//! With `CKISA_SLOW_TESTS=1`, the test also waits, HIS stopped, for the
//! silence alert of the demo feed (about two minutes: the demo plan's
//! `learning_silence`), the done-when of the outage watch.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn ckisa() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ckisa"));
    command
        .env("CKISA_LOG", "warn")
        .env_remove("CKISA_KEY_FILE")
        .env_remove("CKISA_PASSPHRASE")
        .env_remove("CKISA_NEW_PASSPHRASE");
    command
}

/// The demo node, stopped when dropped, and what it printed so far.
struct Demo {
    child: Child,
    printed: Arc<Mutex<String>>,
    web: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    fn start(data: &Path) -> Demo {
        let mut child = ckisa()
            .args([
                "demo",
                "--http",
                "127.0.0.1:0",
                "--mllp",
                "127.0.0.1:0",
                "--rate",
                "20",
            ])
            .arg("--data")
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ckisa demo starts");
        let stdout = child.stdout.take().expect("stdout");
        let printed = Arc::new(Mutex::new(String::new()));
        let (found, web) = std::sync::mpsc::channel();
        let shared = Arc::clone(&printed);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if let Some(url) = line.strip_prefix("Interface web : http://") {
                    let _ = found.send(url.trim_end_matches('/').to_owned());
                }
                let mut printed = shared.lock().unwrap();
                printed.push_str(&line);
                printed.push('\n');
            }
        });
        let mut demo = Demo {
            child,
            printed,
            web: String::new(),
        };
        demo.web = web
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("no web address:\n{}", demo.printed()));
        demo
    }

    fn printed(&self) -> String {
        self.printed.lock().unwrap().clone()
    }

    /// One HTTP/1.1 request; the whole answer.
    fn http(&self, method: &str, path: &str, cookie: &str, body: &str) -> String {
        let web = &self.web;
        let mut stream = TcpStream::connect(web).expect("web connection");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {web}\r\nOrigin: http://{web}\r\n\
             Cookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("request");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("answer");
        answer
    }
}

/// Messages the demo feed accepted so far, from `ckisa status --json`.
fn accepted(data: &Path) -> u64 {
    let output = ckisa()
        .args(["status", "--json", "--data"])
        .arg(data)
        .output()
        .expect("ckisa status runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let status: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    status["store"]["feeds"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|feed| feed["name"] == "sih-demo")
        .and_then(|feed| feed["accepted"].as_u64())
        .unwrap_or(0)
}

/// Waits until `check` gives something, at most `patience`.
fn eventually<T>(patience: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + patience;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "no {what} after {patience:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The value of the hidden `csrf` field of the simulated HIS form.
fn csrf_of(page: &str) -> String {
    let form = page
        .split("action=\"/demo/sih\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no HIS form:\n{page}"));
    let value = form
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .expect("csrf field");
    value.split('"').next().unwrap_or_default().to_owned()
}

#[test]
fn the_demo_his_is_stopped_and_restarted_from_the_status_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("demo");
    let demo = Demo::start(&data);
    eventually(Duration::from_secs(60), "the HIS started", || {
        demo.printed()
            .contains("arrêt et relance : page Statut")
            .then_some(())
    });

    let body = "login=rssi&password=demo-rssi-2026";
    let login = demo.http("POST", "/connexion", "", body);
    assert!(login.starts_with("HTTP/1.1 303"), "{login}");
    let cookie = login
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie").then(|| {
                value
                    .trim()
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
        })
        .expect("session cookie");

    let status = demo.http("GET", "/statut", &cookie, "");
    assert!(
        status.contains("<dt>SIH simulé</dt><dd>en marche</dd>"),
        "{status}"
    );
    let csrf = csrf_of(&status);
    let before = accepted(&data);
    eventually(Duration::from_secs(60), "message from the HIS", || {
        (accepted(&data) > before).then_some(())
    });

    // Stopped: the page says so, the log too, and the feed falls silent.
    let stop = demo.http(
        "POST",
        "/demo/sih",
        &cookie,
        &format!("csrf={csrf}&action=arreter"),
    );
    assert!(stop.starts_with("HTTP/1.1 303"), "{stop}");
    assert!(stop.to_lowercase().contains("location: /statut"), "{stop}");
    let status = demo.http("GET", "/statut", &cookie, "");
    assert!(
        status.contains("<dt>SIH simulé</dt><dd>arrêté</dd>")
            && status.contains("name=\"action\" value=\"relancer\""),
        "{status}"
    );
    eventually(Duration::from_secs(10), "stop in the log", || {
        demo.printed()
            .contains("SIH simulé : arrêté depuis l'interface web")
            .then_some(())
    });
    let stopped = accepted(&data);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(accepted(&data), stopped, "the HIS still sends");

    if std::env::var_os("CKISA_SLOW_TESTS").is_some() {
        let alerts = eventually(Duration::from_secs(240), "silence alert", || {
            let output = ckisa()
                .args(["crisis", "status", "--json", "--data"])
                .arg(&data)
                .output()
                .ok()?;
            let status: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
            let alerts = status["alerts"].as_array()?.clone();
            alerts
                .iter()
                .any(|alert| alert["key"] == "silence:sih-demo")
                .then_some(alerts)
        });
        let evidence = alerts
            .iter()
            .find(|alert| alert["key"] == "silence:sih-demo")
            .and_then(|alert| alert["evidence"].as_str())
            .unwrap_or_default()
            .to_owned();
        assert!(evidence.contains("seuil fixe de 2 min"), "{evidence}");
    }

    // Restarted: messages come again.
    let restart = demo.http(
        "POST",
        "/demo/sih",
        &cookie,
        &format!("csrf={csrf}&action=relancer"),
    );
    assert!(restart.starts_with("HTTP/1.1 303"), "{restart}");
    eventually(
        Duration::from_secs(60),
        "messages after the restart",
        || (accepted(&data) > stopped).then_some(()),
    );
    assert!(
        demo.printed()
            .contains("SIH simulé : relancé depuis l'interface web"),
        "{}",
        demo.printed()
    );
    let status = demo.http("GET", "/statut", &cookie, "");
    assert!(
        status.contains("<dt>SIH simulé</dt><dd>en marche</dd>"),
        "{status}"
    );
}
