//! `ckisa plan check` and `ckisa crisis` on the real binary: precise plan
//! errors, the lifecycle from the command line for an authorised account
//! only, the JSON status scripts read, and the audit entries.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");
const DEMO_PLAN: &str = include_str!("../../demo/src/plan.toml");

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

/// A site configuration: one feed, the units the demo plan names, and the
/// demo plan with its feed renamed to ours.
fn site_config(dir: &Path, plan: &str) -> PathBuf {
    let table: toml::Table = toml::from_str(DEMO_PLAN).expect("the demo plan is TOML");
    let units: Vec<String> = table["plan"]["activities"]
        .as_array()
        .expect("activities")
        .iter()
        .filter_map(|activity| activity.get("units").and_then(|u| u.as_array()))
        .flatten()
        .filter_map(|unit| unit.as_str().map(str::to_owned))
        .collect();
    let mut config = String::from(
        "[site]\nname = \"CH test\"\n\n[[feeds]]\nname = \"sih-demo\"\nkind = \"mllp\"\nlisten = \"127.0.0.1:2575\"\n",
    );
    let mut seen = Vec::new();
    for unit in units {
        if seen.contains(&unit) {
            continue;
        }
        config.push_str(&format!(
            "\n[[units]]\ncode = \"{unit}\"\nname = \"{unit}\"\nrooms = [{{ room = \"1\", beds = [\"1\"] }}]\n"
        ));
        seen.push(unit);
    }
    config.push('\n');
    config.push_str(plan);
    let path = dir.join("site.toml");
    std::fs::write(&path, config).unwrap();
    path
}

#[test]
fn plan_check_accepts_the_demo_plan_and_lists_every_error_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let good = site_config(dir.path(), DEMO_PLAN);
    let output = run(&["plan", "check", "--config", good.to_str().unwrap()], 0);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("Plan valide"), "{stdout}");
    assert!(stdout.contains("10 activité(s)"), "{stdout}");

    let broken = DEMO_PLAN
        .replacen("dmia = \"", "dmia = \"x", 1)
        .replacen("role = \"cadre\"", "role = \"chef\"", 1)
        .replacen("feeds = [\"sih-demo\"]", "feeds = [\"sih-absent\"]", 1);
    let bad = site_config(dir.path(), &broken);
    let output = run(&["plan", "check", "--config", bad.to_str().unwrap()], 1);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("plan : 3 erreur(s)"), "{stderr}");
    assert!(stderr.contains("plan.activities[0].dmia"), "{stderr}");
    assert!(stderr.contains("\"chef\""), "{stderr}");
    assert!(stderr.contains("sih-absent"), "{stderr}");

    let missing = run(&["plan", "check", "--config", "/nonexistent/site.toml"], 1);
    assert!(text(&missing.stderr).contains("impossible de lire"));
}

/// A node folder with the corpus admission and two accounts.
fn node_with_accounts() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = format!("{CORPUS}/hl7v2/ans_pamfr_ADT_A01_admission_SGL.hl7");
    let data_arg = data.to_str().unwrap();
    run(&["ingest", "--init-key", "--data", data_arg, &file], 0);
    for (login, role) in [("dir", "directeur-crise"), ("ide", "infirmier")] {
        run(
            &[
                "users", "add", login, "--nom", login, "--role", role, "--data", data_arg,
            ],
            0,
        );
    }
    (dir, data)
}

fn status_json(data: &str, config: &str) -> serde_json::Value {
    let output = run(
        &[
            "crisis", "status", "--json", "--data", data, "--config", config,
        ],
        0,
    );
    serde_json::from_slice(&output.stdout).expect("status --json is JSON")
}

#[test]
fn the_lifecycle_runs_from_the_command_line_for_the_crisis_director_only() {
    let (dir, data) = node_with_accounts();
    let data = data.to_str().unwrap();
    let config = site_config(dir.path(), DEMO_PLAN);
    let config = config.to_str().unwrap();

    let status = status_json(data, config);
    assert_eq!(status["phase"], "normal");
    assert!(status["crisis"].is_null());
    assert!(status["clocks"].as_array().unwrap().is_empty());

    // A nurse, an unknown account, a level the plan lacks: refused.
    let nurse = run(
        &[
            "crisis", "declare", "--level", "2", "--reason", "panne", "--compte", "ide", "--data",
            data, "--config", config,
        ],
        2,
    );
    assert!(
        text(&nurse.stderr).contains("ne permet pas"),
        "{}",
        text(&nurse.stderr)
    );
    run(
        &[
            "crisis", "declare", "--level", "2", "--reason", "panne", "--compte", "inconnu",
            "--data", data, "--config", config,
        ],
        2,
    );
    let level = run(
        &[
            "crisis", "declare", "--level", "9", "--reason", "panne", "--compte", "dir", "--data",
            data, "--config", config,
        ],
        2,
    );
    assert!(
        text(&level.stderr).contains("niveau inconnu"),
        "{}",
        text(&level.stderr)
    );
    // Nothing to close yet.
    run(
        &[
            "crisis", "close", "--reason", "fin", "--compte", "dir", "--data", data, "--config",
            config,
        ],
        1,
    );

    let declared = run(
        &[
            "crisis",
            "declare",
            "--level",
            "2",
            "--reason",
            "DPI injoignable",
            "--compte",
            "dir",
            "--data",
            data,
            "--config",
            config,
        ],
        0,
    );
    assert!(
        text(&declared.stdout).contains("crise déclarée"),
        "{}",
        text(&declared.stdout)
    );
    let status = status_json(data, config);
    assert_eq!(status["phase"], "declared");
    assert_eq!(status["crisis"]["level"], 2);
    assert_eq!(status["crisis"]["declared_by"], "dir");
    assert_eq!(status["crisis"]["reason"], "DPI injoignable");
    let clocks = status["clocks"].as_array().unwrap();
    assert_eq!(clocks.len(), 10, "one clock per BIA activity");
    assert!(clocks.iter().all(|c| c["state"] == "green"), "{clocks:?}");

    // Declaring twice is refused (exit 1) with the reason.
    let twice = run(
        &[
            "crisis", "declare", "--level", "3", "--reason", "encore", "--compte", "dir", "--data",
            data, "--config", config,
        ],
        1,
    );
    assert!(
        text(&twice.stderr).contains("déjà ouverte"),
        "{}",
        text(&twice.stderr)
    );
    run(
        &[
            "crisis",
            "level",
            "--level",
            "3",
            "--reason",
            "plan blanc",
            "--compte",
            "dir",
            "--data",
            data,
            "--config",
            config,
        ],
        0,
    );
    run(
        &[
            "crisis",
            "recover",
            "--reason",
            "flux revenu",
            "--compte",
            "dir",
            "--data",
            data,
            "--config",
            config,
        ],
        0,
    );
    assert_eq!(status_json(data, config)["phase"], "recovery");
    run(
        &[
            "crisis",
            "close",
            "--reason",
            "SIH rétabli",
            "--compte",
            "dir",
            "--data",
            data,
            "--config",
            config,
        ],
        0,
    );
    let status = status_json(data, config);
    assert_eq!(status["phase"], "normal");
    assert_eq!(status["crises"], 1);

    // Every act, refusals too, is in the audit trail.
    let export = dir.path().join("audit.csv");
    run(
        &[
            "audit",
            "export",
            "--format",
            "csv",
            "--sortie",
            export.to_str().unwrap(),
            "--data",
            data,
        ],
        0,
    );
    let csv = std::fs::read_to_string(&export).unwrap();
    let acts: Vec<&str> = csv
        .lines()
        .filter(|l| l.contains(";crisis.declare;"))
        .collect();
    let by_director = acts
        .iter()
        .filter(|l| l.contains(";dir;") && l.contains(";autorisé;"))
        .count();
    assert_eq!(by_director, 4, "declared, level, recovery, closed:\n{csv}");
    assert!(
        acts.iter()
            .any(|l| l.contains(";ide;") && l.contains(";refusé;")),
        "{csv}"
    );
}

#[test]
fn plan_check_refuses_a_file_without_a_plan_and_a_hook_that_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    let bare = site_config(dir.path(), "");
    let output = run(&["plan", "check", "--config", bare.to_str().unwrap()], 1);
    assert!(
        text(&output.stderr).contains("table [plan] absente"),
        "{}",
        text(&output.stderr)
    );

    let plain = dir.path().join("alerte.txt");
    std::fs::write(&plain, "pas un programme").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let folder = dir.path().to_str().unwrap().to_owned();
    for (program, says) in [
        ("/nonexistent/alerte.sh", "introuvable"),
        (folder.as_str(), "n'est pas un fichier"),
        (plain.to_str().unwrap(), "n'est pas exécutable"),
    ] {
        let plan = format!("{DEMO_PLAN}\n[plan.crisis.hook]\nprogram = \"{program}\"\nargs = []\n");
        // The demo plan may already have a [plan.crisis] table: the hook goes
        // into it rather than a second one.
        let plan = if DEMO_PLAN.contains("[plan.crisis]\n") {
            DEMO_PLAN.replacen(
                "[plan.crisis]\n",
                &format!("[plan.crisis]\nhook = {{ program = \"{program}\", args = [] }}\n"),
                1,
            )
        } else {
            plan
        };
        let path = site_config(dir.path(), &plan);
        let output = run(&["plan", "check", "--config", path.to_str().unwrap()], 1);
        let stderr = text(&output.stderr);
        assert!(stderr.contains("plan.crisis.hook.program"), "{stderr}");
        assert!(stderr.contains(says), "{program}: {stderr}");
    }
    let long = DEMO_PLAN.replacen("dmia = \"", "dmia = \"9999j", 1);
    let path = site_config(dir.path(), &long);
    let output = run(&["plan", "check", "--config", path.to_str().unwrap()], 1);
    assert!(
        text(&output.stderr).contains("trop longue"),
        "{}",
        text(&output.stderr)
    );
}
