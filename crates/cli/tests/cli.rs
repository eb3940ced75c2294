//! The command-line contract, on the real binary: exit codes of `ingest`,
//! `status --json`, and help texts.

use std::process::Command;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn ckisa() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ckisa"));
    command.env("CKISA_LOG", "error");
    command
}

#[test]
fn ingest_exits_0_when_all_is_accepted_and_status_reports_it() {
    let data = tempfile::tempdir().unwrap();
    let output = ckisa()
        .args(["ingest", "--data"])
        .arg(data.path())
        .arg(format!(
            "{CORPUS}/hl7v2/ans_pamfr_ADT_A01_admission_SGL.hl7"
        ))
        .arg(format!("{CORPUS}/fhir/examples/Patient-example.json"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("2 fichier(s) : 2 accepté(s)"), "{stdout}");

    let status = ckisa()
        .args(["status", "--json", "--data"])
        .arg(data.path())
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json["store"]["patients"], 2);
    assert_eq!(json["store"]["quarantined"], 0);
    let feed = &json["store"]["feeds"][0];
    assert_eq!(feed["name"], "fichiers");
    assert_eq!(feed["accepted"], 2);
}

#[test]
fn ingest_exits_1_when_some_input_is_rejected_after_loading_the_rest() {
    let data = tempfile::tempdir().unwrap();
    let output = ckisa()
        .args(["ingest", "--data"])
        .arg(data.path())
        .arg(format!("{CORPUS}/edge/B20.hl7"))
        .arg(format!("{CORPUS}/edge/B21.hl7"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("MRG-1 identique à PID-3"), "{stdout}");
    assert!(
        stdout.contains("1 accepté(s)") && stdout.contains("1 rejeté(s)"),
        "{stdout}"
    );
}

#[test]
fn ingest_exits_2_when_it_cannot_run() {
    let data = tempfile::tempdir().unwrap();
    let output = ckisa()
        .args(["ingest", "--data"])
        .arg(data.path())
        .arg("/nonexistent/ckisa-input.hl7")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/ckisa-input.hl7"));
}

#[test]
fn status_on_a_folder_that_is_not_a_node_says_so() {
    let empty = tempfile::tempdir().unwrap();
    let output = ckisa()
        .args(["status", "--data"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--data"));
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["demo", "serve", "ingest", "status"] {
        let output = ckisa().args([sub, "--help"]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{sub}");
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("--data") || sub == "serve", "{sub}: {help}");
    }
}
