//! `ckisa reports` on the real binary: a demo-like node (the generated hospital loaded through
//! `ckisa ingest`) gets a unit's pack of seven PDFs whose pages all say when their data is
//! from and whose census lists the unit's patients with their allergies; an unknown unit is
//! refused in French with the units the node knows, and nothing is written.
//!
//! PDF text comes back through poppler's `pdftotext`; without it the text checks are skipped
//! with a message, except under CI (the `CI` variable set), as in ckisa-print's tests.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ckisa_demo::{DemoOptions, DemoPatient, generate};

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

/// A node folder holding a generated hospital of 200 beds, loaded by `ckisa ingest`, its
/// configuration next to it, and the patients.
fn demo_like_node(dir: &Path) -> (PathBuf, PathBuf, Vec<DemoPatient>) {
    let options = DemoOptions {
        total_beds: 200,
        ..DemoOptions::default()
    };
    let establishment = generate(11, &options);
    let inputs = dir.join("entrees");
    std::fs::create_dir_all(&inputs).unwrap();
    std::fs::write(
        inputs.join("initial.hl7"),
        establishment.initial_messages.concat(),
    )
    .unwrap();
    for (index, resource) in establishment.initial_fhir.iter().enumerate() {
        std::fs::write(inputs.join(format!("plan-{index}.json")), resource).unwrap();
    }
    let data = dir.join("data");
    run(
        &[
            "ingest",
            "--init-key",
            "--data",
            data.to_str().unwrap(),
            inputs.to_str().unwrap(),
        ],
        0,
    );
    let config = dir.join("site.toml");
    std::fs::write(&config, &establishment.config_toml).unwrap();
    (data, config, establishment.patients)
}

/// Whether `pdftotext` can run. Outside CI a missing tool skips the text checks, saying so.
#[expect(
    clippy::print_stderr,
    reason = "a skipped check says why on the test output"
)]
fn poppler_available() -> bool {
    match Command::new("pdftotext").arg("-v").output() {
        Ok(_) => true,
        Err(error) if error.kind() == ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "pdftotext is missing: CI must install Debian's poppler-utils"
            );
            eprintln!("skipped: pdftotext not found (install poppler-utils to run this check)");
            false
        }
        Err(error) => panic!("pdftotext cannot run: {error}"),
    }
}

/// Each page's text, white space runs as one space.
fn pages(pdf: &Path) -> Vec<String> {
    let output = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "{}",
        text(&output.stderr)
    );
    text(&output.stdout)
        .replace('\u{A0}', " ")
        .split('\u{C}')
        .filter(|page| !page.trim().is_empty())
        .map(|page| page.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn reports_writes_a_units_pack_and_refuses_an_unknown_unit() {
    let dir = tempfile::tempdir().unwrap();
    let (data, config, patients) = demo_like_node(dir.path());
    // The unit of the first patient with an allergy and prescriptions.
    let patient = patients
        .iter()
        .find(|p| !p.allergies.is_empty() && !p.prescriptions.is_empty())
        .expect("the demo has allergic patients on treatment");
    let unit = patient.location.unit.clone();
    let out_dir = dir.path().join("papier");
    let args = |unit: &str| {
        vec![
            String::from("reports"),
            String::from("--unit"),
            unit.to_owned(),
            String::from("--out"),
            out_dir.display().to_string(),
            String::from("--config"),
            config.display().to_string(),
            String::from("--data"),
            data.display().to_string(),
        ]
    };

    // An unknown unit: exit 2, the units the node knows, nothing written.
    let refused_args = args("NEANT");
    let refused_args: Vec<&str> = refused_args.iter().map(String::as_str).collect();
    let refused = run(&refused_args, 2);
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("unité inconnue : « NEANT »"), "{stderr}");
    assert!(
        stderr.contains(&unit),
        "the known units are listed: {stderr}"
    );
    assert!(!out_dir.exists());

    let written_args = args(&unit);
    let written_args: Vec<&str> = written_args.iter().map(String::as_str).collect();
    let output = run(&written_args, 0);
    let stdout = text(&output.stdout);
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 7, "{names:?}");
    for part in [
        "recensement",
        "administrations",
        "plans-de-soins",
        "formulaires",
        "etiquettes",
        "rendez-vous",
        "regimes",
    ] {
        let name = names
            .iter()
            .find(|name| name.starts_with(&format!("{unit}-{part}-")) && name.ends_with(".pdf"))
            .unwrap_or_else(|| panic!("no {part} in {names:?}"));
        assert!(stdout.contains(name.as_str()), "{stdout}");
    }

    if !poppler_available() {
        return;
    }
    for name in &names {
        for (index, page) in pages(&out_dir.join(name)).iter().enumerate() {
            assert!(
                page.contains("Données du ") && page.contains("(Europe/Paris)"),
                "{name} page {} lacks the as-of line:\n{page}",
                index + 1
            );
        }
    }
    let census_name = names.iter().find(|n| n.contains("-recensement-")).unwrap();
    let census = pages(&out_dir.join(census_name)).join(" ");
    let family = patient.family.to_uppercase();
    assert!(census.contains(&family), "{family} missing:\n{census}");
    for allergy in &patient.allergies {
        assert!(
            census.contains(allergy.allergen.label),
            "{} missing:\n{census}",
            allergy.allergen.label
        );
    }
    let sheets_name = names
        .iter()
        .find(|n| n.contains("-administrations-"))
        .unwrap();
    let sheets = pages(&out_dir.join(sheets_name)).join(" ");
    assert!(sheets.contains(&family), "{sheets}");
    assert!(
        sheets.contains("Médicament") && sheets.contains("Équipes"),
        "{sheets}"
    );

    // The request is in the audit trail.
    let audit = run(
        &[
            "audit",
            "export",
            "--format",
            "csv",
            "--data",
            data.to_str().unwrap(),
        ],
        0,
    );
    let trail = text(&audit.stdout);
    assert!(
        trail.contains("care.paper") && trail.contains(&unit),
        "{trail}"
    );
}
