//! The outage watch end to end, on the real binary: `ckisa serve` with one
//! MLLP feed receives a few HL7 messages on loopback, then nothing; the
//! silence alert reaches the crisis log (read with `ckisa crisis status
//! --json`) and the plan's hook; traffic resuming clears it.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

/// How long the node has to raise or clear an alert: generous, the
/// thresholds are 5 s and a round runs every 5 s.
const PATIENCE: Duration = Duration::from_secs(90);

fn ckisa() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ckisa"));
    command
        .env("CKISA_LOG", "info")
        .env_remove("CKISA_KEY_FILE")
        .env_remove("CKISA_PASSPHRASE")
        .env_remove("CKISA_NEW_PASSPHRASE");
    command
}

/// The serving node, stopped when dropped (also when a test fails).
struct Serving {
    child: Child,
    log: PathBuf,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serving {
    /// What the node logged so far, for failure messages.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Starts `ckisa serve` and returns it with its MLLP address, once it
/// printed its web address and its feed.
fn serve(dir: &Path, config: &Path, data: &Path) -> (Serving, String) {
    let log = dir.join("serve.log");
    let mut child = ckisa()
        .args(["serve", "--init-key", "--config"])
        .arg(config)
        .arg("--data")
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("ckisa starts");
    let stdout = child.stdout.take().expect("stdout");
    let serving = Serving { child, log };
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = String::new();
    let mut mllp = None;
    let mut web = false;
    while mllp.is_none() || !web {
        let Some(Ok(line)) = lines.next() else {
            panic!("the node stopped:\n{printed}\n{}", serving.log());
        };
        printed.push_str(&line);
        printed.push('\n');
        web |= line.starts_with("Interface web : ");
        if let Some(rest) = line.strip_prefix("Flux MLLP sih-adt : en écoute sur ") {
            mllp = rest.split_whitespace().next().map(str::to_owned);
        }
    }
    // Keep reading, so that the node never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (serving, mllp.expect("address"))
}

/// The corpus admission with its control id replaced.
fn admission(control_id: &str) -> String {
    let text = std::fs::read_to_string(format!(
        "{CORPUS}/hl7v2/ans_pamfr_ADT_A01_admission_SGL.hl7"
    ))
    .expect("corpus message");
    let message = text
        .trim_end_matches(['\r', '\n'])
        .replace("|3975|", &format!("|{control_id}|"));
    assert!(
        message.contains(control_id),
        "the control id moved in the corpus file"
    );
    message
}

/// Sends one message over MLLP and returns the ACK.
fn send(address: &str, message: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("MLLP connection");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut frame = vec![0x0b];
    frame.extend_from_slice(message.as_bytes());
    frame.extend_from_slice(&[0x1c, 0x0d]);
    stream.write_all(&frame).expect("send");
    let mut ack = Vec::new();
    let mut byte = [0u8; 1];
    while !ack.ends_with(&[0x1c, 0x0d]) {
        let read = stream.read(&mut byte).expect("ACK");
        assert_eq!(read, 1, "connection closed before the ACK");
        ack.push(byte[0]);
    }
    String::from_utf8_lossy(&ack).into_owned()
}

/// The open alerts of `ckisa crisis status --json`.
fn open_alerts(config: &Path, data: &Path) -> Vec<serde_json::Value> {
    let output = ckisa()
        .env("CKISA_LOG", "error")
        .args(["crisis", "status", "--json", "--config"])
        .arg(config)
        .arg("--data")
        .arg(data)
        .output()
        .expect("ckisa crisis status runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let status: serde_json::Value = serde_json::from_slice(&output.stdout).expect("status is JSON");
    status["alerts"].as_array().cloned().unwrap_or_default()
}

/// Waits until `check` gives something, at most [`PATIENCE`].
fn eventually<T>(serving: &Serving, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "no {what} after {PATIENCE:?}; node log:\n{}",
            serving.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn a_feed_that_falls_silent_raises_an_alert_and_the_hook_then_clears_when_it_resumes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hook_dir = dir.path().join("crochet");
    std::fs::create_dir(&hook_dir).expect("hook folder");
    let script = hook_dir.join("crochet.sh");
    std::fs::write(
        &script,
        "printf '%s|%s\\n' \"$CKISA_ALERTE_CLE\" \"$CKISA_ALERTE_SUJET\" >> \"$1/recu\"\n",
    )
    .expect("script");
    let config = dir.path().join("site.toml");
    std::fs::write(
        &config,
        format!(
            r#"[site]
name = "CH de test"

[node]
http = "127.0.0.1:0"

[[feeds]]
name = "sih-adt"
kind = "mllp"
listen = "127.0.0.1:0"

[[units]]
code = "CARDIO"
name = "Cardiologie"
rooms = [{{ room = "101", beds = ["1", "2"] }}]

[plan.detection]
silence_floor = "5s"
learning_silence = "5s"

[plan.crisis.hook]
program = "/bin/sh"
args = [{script:?}, {hook_dir:?}]
"#,
            script = script.display().to_string(),
            hook_dir = hook_dir.display().to_string(),
        ),
    )
    .expect("config");
    let data = dir.path().join("data");
    let (serving, mllp) = serve(dir.path(), &config, &data);

    for n in 1..=3 {
        let ack = send(&mllp, &admission(&format!("VEILLE-{n}")));
        assert!(ack.contains("MSA|AA"), "message {n}: {ack}");
    }
    // Then nothing: the silence alert comes, with its evidence.
    let alert = eventually(&serving, "silence alert", || {
        open_alerts(&config, &data)
            .into_iter()
            .find(|alert| alert["key"] == "silence:sih-adt")
    });
    assert_eq!(alert["subject"], "sih-adt");
    assert_eq!(alert["kind"], "silence");
    let evidence = alert["evidence"].as_str().unwrap_or_default();
    assert!(
        evidence.contains("Flux « sih-adt » silencieux")
            && evidence.contains("dernier message reçu le"),
        "{evidence}"
    );
    // The hook was told, once.
    let received = hook_dir.join("recu");
    let told = eventually(&serving, "hook run", || {
        std::fs::read_to_string(&received).ok()
    });
    assert_eq!(told, "silence:sih-adt|sih-adt\n");

    // The feed resumes, a message a second: the alert is cleared.
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let stop = Arc::clone(&stop);
        let mllp = mllp.clone();
        std::thread::spawn(move || {
            let mut n = 4;
            while !stop.load(Ordering::SeqCst) {
                let ack = send(&mllp, &admission(&format!("VEILLE-{n}")));
                assert!(ack.contains("MSA|AA"), "message {n}: {ack}");
                n += 1;
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };
    eventually(&serving, "cleared alert", || {
        let open = open_alerts(&config, &data);
        (!open.iter().any(|alert| alert["key"] == "silence:sih-adt")).then_some(())
    });
    stop.store(true, Ordering::SeqCst);
    sender.join().expect("every message acknowledged");
}
