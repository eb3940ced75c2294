//! `ckisa export` on the real binary and a real data folder: refused
//! without a crisis, a FHIR bundle and an HL7 v2 file of what was typed
//! during the crisis, never overwriting, an unknown crisis named, and the
//! bundle loaded back by `ckisa ingest` into another folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ckisa_care::ledger;
use ckisa_domain::{
    Actor, Administration, AdministrationOutcome, CareFact, Coded, Hlc, Moment, NodeId, PatientKey,
};
use ckisa_store_sqlite::key::DbKey;
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn ckisa() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ckisa"));
    command
        .env("CKISA_LOG", "error")
        .env_remove("CKISA_KEY_FILE")
        .env_remove("CKISA_PASSPHRASE");
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run(args: &[&str], code: i32) -> Output {
    let output = ckisa().args(args).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "ckisa {args:?}\nstdout: {}\nstderr: {}",
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

/// A node folder with the corpus admission, a crisis director and a site
/// configuration with the default plan.
fn node(dir: &Path) -> (PathBuf, PathBuf) {
    let data = dir.join("data");
    let file = format!("{CORPUS}/hl7v2/ans_pamfr_ADT_A01_admission_SGL.hl7");
    let data_arg = data.to_str().unwrap();
    run(&["ingest", "--init-key", "--data", data_arg, &file], 0);
    run(
        &[
            "users",
            "add",
            "dir",
            "--nom",
            "Directeur",
            "--role",
            "directeur-crise",
            "--data",
            data_arg,
        ],
        0,
    );
    let config = dir.join("site.toml");
    std::fs::write(&config, "[site]\nname = \"CH test\"\n").unwrap();
    (data, config)
}

/// Records one administration typed now in the node's store, as the web
/// capsule would.
fn type_an_administration(data: &Path) {
    let key = DbKey::read_file(&data.with_extension("key")).unwrap();
    let store = SqliteStore::open(data, SqliteOptions::new("Europe/Paris").with_key(key)).unwrap();
    let now = jiff::Timestamp::now().as_millisecond() + 5;
    let at = jiff::Timestamp::from_millisecond(now)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Paris").unwrap())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string();
    let fact = CareFact::Administered(Administration {
        id: "adm-cli-1".into(),
        patient: PatientKey::ipp("CKISA-PROVISOIRE", "99000042"),
        encounter: None,
        medication: "rx-cli-1".into(),
        drug: Coded {
            code: None,
            system: None,
            text: "Amoxicilline 1 g".into(),
        },
        planned: None,
        at: Moment::parse_iso(&at).unwrap(),
        outcome: AdministrationOutcome::Held {
            reason: "allergie à vérifier | SIH".into(),
        },
        by: "IDE de nuit".into(),
        comment: None,
    });
    let event = ledger::event(
        Actor::User("ide".into()),
        &NodeId("test".into()),
        "web",
        fact,
        Hlc::new(now as u64, 0),
    );
    ledger::commit(&store, vec![event], now).unwrap();
}

#[test]
fn export_writes_the_crisis_documentation_in_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    let (data, config) = node(dir.path());
    let data_arg = data.to_str().unwrap();
    let config_arg = config.to_str().unwrap();
    let bundle = dir.path().join("retour.json");
    let bundle_arg = bundle.to_str().unwrap();

    // No crisis yet: refused, nothing written.
    let refused = run(
        &[
            "export", "--format", "fhir", "--out", bundle_arg, "--data", data_arg,
        ],
        1,
    );
    assert!(
        text(&refused.stderr).contains("aucune crise"),
        "{}",
        text(&refused.stderr)
    );
    assert!(!bundle.exists());

    run(
        &[
            "crisis",
            "declare",
            "--level",
            "1",
            "--reason",
            "DPI à l'arrêt",
            "--compte",
            "dir",
            "--data",
            data_arg,
            "--config",
            config_arg,
        ],
        0,
    );
    type_an_administration(&data);

    let written = run(
        &[
            "export", "--format", "fhir", "--out", bundle_arg, "--data", data_arg, "--config",
            config_arg,
        ],
        0,
    );
    let stdout = text(&written.stdout);
    assert!(stdout.contains("crise en cours"), "{stdout}");
    assert!(
        stdout.contains("pour 1 élément(s) documenté(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("administration : 1"), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    assert_eq!(json["type"], "transaction");
    let resource = &json["entry"][0]["resource"];
    assert_eq!(resource["resourceType"], "MedicationAdministration");
    assert_eq!(resource["status"], "on-hold");
    assert_eq!(
        resource["statusReason"][0]["text"],
        "allergie à vérifier | SIH"
    );
    assert_eq!(json["entry"][0]["request"]["method"], "PUT");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&bundle).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner only");
    }

    let messages = dir.path().join("retour.hl7");
    let messages_arg = messages.to_str().unwrap();
    run(
        &[
            "export",
            "--format",
            "hl7v2",
            "--out",
            messages_arg,
            "--data",
            data_arg,
        ],
        0,
    );
    let hl7 = std::fs::read_to_string(&messages).unwrap();
    assert!(hl7.starts_with("MSH|^~\\&|CKISA|"), "{hl7}");
    assert!(hl7.contains("|RAS^O17^RAS_O17|"), "{hl7}");
    assert!(
        hl7.contains("DIFFERE^allergie à vérifier \\F\\ SIH^L"),
        "{hl7}"
    );

    // An existing file is never overwritten; an unknown crisis is named.
    let again = run(
        &[
            "export",
            "--format",
            "hl7v2",
            "--out",
            messages_arg,
            "--data",
            data_arg,
        ],
        2,
    );
    assert!(
        text(&again.stderr).contains("jamais écrasé"),
        "{}",
        text(&again.stderr)
    );
    let other = dir.path().join("autre.json");
    let unknown = run(
        &[
            "export",
            "--format",
            "fhir",
            "--crisis",
            "nope",
            "--out",
            other.to_str().unwrap(),
            "--data",
            data_arg,
        ],
        2,
    );
    assert!(
        text(&unknown.stderr).contains("--crisis nope : crise inconnue"),
        "{}",
        text(&unknown.stderr)
    );
    assert!(!other.exists());

    // The bundle loads into another node through the ordinary ingestion.
    let fresh = dir.path().join("fresh");
    let loaded = run(
        &[
            "ingest",
            "--init-key",
            "--data",
            fresh.to_str().unwrap(),
            bundle_arg,
        ],
        0,
    );
    assert!(
        text(&loaded.stdout).contains("1 accepté(s)"),
        "{}",
        text(&loaded.stdout)
    );
}
