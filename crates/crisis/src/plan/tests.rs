//! Tests of the plan: the demo plan, each family of errors with its key,
//! the warnings, the clocks and the PDMA breaches.

use super::*;
use std::time::Duration;

const DEMO_PLAN: &str = include_str!("../../../demo/src/plan.toml");

/// The 20 unit codes of the demo establishment (`ckisa_demo::catalog::UNITS`).
const DEMO_UNITS: &[&str] = &[
    "URG", "REA", "USIC", "CARDIO", "PNEUMO", "MEDINT", "GERIA", "NEURO", "GASTRO", "NEPHRO",
    "ONCO", "MALINF", "CHIRDIG", "ORTHO", "CHIRVASC", "UROLOGIE", "PEDIA", "MATER", "SSR", "PSY",
];

/// The role codes of ckisa (`docs/configuration.md`).
const ROLES: &[&str] = &[
    "directeur-crise",
    "cellule-crise",
    "cadre",
    "infirmier",
    "medecin",
    "pharmacien",
    "laboratoire",
    "securite-si",
    "administrateur",
    "observateur",
];

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn demo_context() -> PlanContext {
    PlanContext {
        units: strings(DEMO_UNITS),
        feeds: strings(&["sih-demo"]),
        roles: strings(ROLES),
    }
}

fn context() -> PlanContext {
    PlanContext {
        units: strings(&["URG", "REA"]),
        feeds: strings(&["sih-adt", "sih-labo"]),
        roles: strings(ROLES),
    }
}

/// A small valid plan that the error tests extend.
const BASE: &str = r#"
[[plan.applications]]
code = "DPI"
name = "Dossier patient"
feeds = ["sih-adt"]

[[plan.applications]]
code = "SIL"
name = "Laboratoire"
feeds = ["sih-labo", "sih-adt"]

[[plan.activities]]
code = "URG"
name = "Urgences"
criticality = "vitale"
dmia = "4h"
pdma = "30m"
applications = ["DPI", "SIL"]
units = ["URG"]

[[plan.activities]]
code = "ADM"
name = "Admissions"
criticality = "importante"
dmia = "1j"
pdma = "4h"
applications = ["DPI"]
"#;

fn checked(text: &str) -> Result<Plan, Vec<PlanError>> {
    let raw = parse(text).unwrap_or_else(|err| panic!("parse: {err}"));
    check(&raw, &context())
}

/// The errors of BASE followed by `extra`.
fn errors_with(extra: &str) -> Vec<PlanError> {
    match checked(&format!("{BASE}{extra}")) {
        Ok(_) => panic!("accepted:\n{extra}"),
        Err(errors) => errors,
    }
}

/// Asserts that one error sits at `path` and that its message holds each of
/// `needles`.
#[track_caller]
fn assert_error(errors: &[PlanError], path: &str, needles: &[&str]) {
    let found: Vec<&PlanError> = errors.iter().filter(|e| e.path() == Some(path)).collect();
    assert!(!found.is_empty(), "no error at {path} in {errors:#?}");
    let text = found[0].to_string();
    assert!(text.starts_with(&format!("{path} : ")), "{text}");
    for needle in needles {
        assert!(text.contains(needle), "{text:?} lacks {needle:?}");
    }
}

#[test]
fn the_demo_plan_checks_clean() {
    let raw = parse(DEMO_PLAN).unwrap();
    let plan = match check(&raw, &demo_context()) {
        Ok(plan) => plan,
        Err(errors) => panic!("{errors:#?}"),
    };
    assert_eq!(
        plan.warnings,
        vec![],
        "the demo plan should give no warning"
    );
    assert!((8..=10).contains(&plan.activities.len()));
    assert!((10..=15).contains(&plan.contacts.len()));
    assert!((8..=10).contains(&plan.stocks.len()));
    assert_eq!(plan.crisis.levels.len(), 3);
    assert_eq!(plan.level(3).unwrap().name, "Plan blanc");
    assert_eq!(plan.detection.probes, vec![]);

    let urgences = plan.activity("URGENCES").unwrap();
    assert_eq!(urgences.criticality, Criticality::Vital);
    assert_eq!(urgences.dmia, Duration::from_secs(4 * 3_600));
    assert_eq!(urgences.pdma, Duration::from_secs(15 * 60));
    assert_eq!(
        plan.activities_of_unit("URG").next().unwrap().code,
        "URGENCES"
    );

    // Every role that acts in a crisis has at least one card of 3 to 8 steps.
    for role in &ROLES[..8] {
        let cards: Vec<&Card> = plan.cards_for_role(role).collect();
        assert!(!cards.is_empty(), "no card for {role}");
        for card in cards {
            assert!((3..=8).contains(&card.steps.len()), "{}", card.code);
        }
    }
    assert_eq!(
        plan.card("PHARMA-DISPENSER").unwrap().activity.as_deref(),
        Some("PHARMACIE")
    );
    let oxygen = plan.stock("O2-CUVE").unwrap();
    assert_eq!(oxygen.category, StockCategory::Oxygen);
    assert_eq!(oxygen.level(2_500.0), StockLevel::Critical);
    assert_eq!(oxygen.days_remaining(4_500.0), Some(3.0));
}

#[test]
fn the_demo_plan_refers_only_to_the_demo_configuration() {
    // Without the demo's feed, every application is reported, with its key.
    let raw = parse(DEMO_PLAN).unwrap();
    let context = PlanContext {
        feeds: strings(&["sih-adt"]),
        ..demo_context()
    };
    let errors = check(&raw, &context).unwrap_err();
    assert_eq!(errors.len(), raw.applications.len(), "{errors:#?}");
    assert_error(
        &errors,
        "plan.applications[0].feeds[0]",
        &["flux \"sih-demo\" inconnu", "sih-adt"],
    );
}

#[test]
fn the_base_plan_is_valid_and_defaults_apply() {
    let plan = checked(BASE).unwrap();
    assert_eq!(plan.warnings, vec![]);
    assert_eq!(plan.crisis, CrisisSettings::default());
    assert_eq!(plan.crisis.orange_at, 0.75);
    assert_eq!(plan.crisis.unit_report_interval, Duration::from_secs(7_200));
    assert_eq!(plan.crisis.levels.len(), 3);
    assert_eq!(plan.detection, DetectionSettings::default());
    assert_eq!(plan.detection.silence_floor, Duration::from_secs(300));
    assert_eq!(plan.detection.silence_cap, Duration::from_secs(7_200));
    assert_eq!(plan.detection.learning_days, 7);
    assert_eq!(plan.detection.learning_silence, Duration::from_secs(3_600));
    assert_eq!(plan.detection.rate_ratio, 0.2);
    // The plan's defaults are the detector's.
    assert_eq!(
        plan.detection.detect_settings(),
        crate::detect::DetectSettings::default()
    );
}

#[test]
fn an_absent_plan_is_reported() {
    let err = parse("[site]\nname = \"CH\"\n").unwrap_err();
    assert_eq!(err.path(), Some("plan"));
    assert_eq!(err.to_string(), "plan : table [plan] absente");
}

#[test]
fn syntax_and_schema_errors_carry_line_and_column() {
    let text = "[[plan.activities]]\ncode = \"URG\"\nnom = \"Urgences\"\n";
    let err = parse(text).unwrap_err();
    match &err {
        PlanError::Syntax { line, column, .. } => {
            assert_eq!((*line, *column), (Some(3), Some(1)));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().starts_with("ligne 3, colonne 1 : "),
        "{err}"
    );
    assert!(err.to_string().contains("nom"), "{err}");

    let err = parse("[plan]\ncards = 3\n").unwrap_err();
    assert!(
        err.to_string().starts_with("ligne 2, colonne 9 : "),
        "{err}"
    );

    let err = parse("[plan\n").unwrap_err();
    assert!(
        matches!(err, PlanError::Syntax { line: Some(1), .. }),
        "{err:?}"
    );
}

#[test]
fn duplicate_codes_name_the_first_holder() {
    let errors = errors_with(
        r#"
[[plan.applications]]
code = "DPI"
name = "Autre"
feeds = ["sih-adt"]

[[plan.activities]]
code = "URG"
name = "Encore"
criticality = "vitale"
dmia = "1h"
pdma = "30m"
applications = ["DPI"]

[[plan.cards]]
code = "C1"
title = "Un"
role = "cadre"
steps = ["a"]

[[plan.cards]]
code = "C1"
title = "Deux"
role = "cadre"
steps = ["b"]

[[plan.stocks]]
code = "O2"
name = "Oxygène"
category = "oxygene"
measure = "m3"
location = "Cuve"
alert_threshold = 10
critical_threshold = 5
daily_consumption = 1

[[plan.stocks]]
code = "O2"
name = "Oxygène bis"
category = "oxygene"
measure = "m3"
location = "Cuve"
alert_threshold = 10
critical_threshold = 5
daily_consumption = 1
"#,
    );
    assert_error(
        &errors,
        "plan.applications[2].code",
        &["\"DPI\" est déjà le code de plan.applications[0]"],
    );
    assert_error(
        &errors,
        "plan.activities[2].code",
        &["\"URG\" est déjà le code de plan.activities[0]"],
    );
    assert_error(&errors, "plan.cards[1].code", &["plan.cards[0]"]);
    assert_error(&errors, "plan.stocks[1].code", &["plan.stocks[0]"]);
    assert_eq!(errors.len(), 4, "{errors:#?}");
}

#[test]
fn malformed_codes_are_refused() {
    let errors = errors_with(
        r#"
[[plan.applications]]
code = "RIS PACS"
name = "Imagerie"
feeds = ["sih-adt"]

[[plan.cards]]
code = ""
title = "Sans code"
role = "cadre"
steps = ["a"]
"#,
    );
    assert_error(
        &errors,
        "plan.applications[2].code",
        &["\"RIS PACS\" n'est pas un code valide"],
    );
    assert_error(
        &errors,
        "plan.cards[0].code",
        &["\"\" n'est pas un code valide"],
    );
}

#[test]
fn unknown_references_list_what_is_known() {
    let errors = errors_with(
        r#"
[[plan.applications]]
code = "PACS"
name = "Imagerie"
feeds = ["sih-imagerie"]

[[plan.activities]]
code = "IMG"
name = "Imagerie"
criticality = "majeure"
dmia = "8h"
pdma = "1h"
applications = ["PACS", "RIS"]
units = ["RADIO"]

[[plan.cards]]
code = "C1"
title = "Carte"
role = "chirurgien"
activity = "BLOC"
steps = ["a"]

[[plan.contacts]]
name = "Cadre"
function = "Cadre"
role = "cadre"
unit = "CARDIO"
mobile = "06 39 98 00 00"
"#,
    );
    assert_error(
        &errors,
        "plan.applications[2].feeds[0]",
        &[
            "flux \"sih-imagerie\" inconnu",
            "[[feeds]]",
            "sih-adt, sih-labo",
        ],
    );
    assert_error(
        &errors,
        "plan.activities[2].applications[1]",
        &["application \"RIS\" inconnue", "DPI, SIL, PACS"],
    );
    assert_error(
        &errors,
        "plan.activities[2].units[0]",
        &["unité \"RADIO\" inconnue", "URG, REA"],
    );
    assert_error(
        &errors,
        "plan.cards[0].role",
        &["rôle \"chirurgien\" inconnu", "cadre"],
    );
    assert_error(
        &errors,
        "plan.cards[0].activity",
        &["activité \"BLOC\" inconnue", "URG, ADM, IMG"],
    );
    assert_error(
        &errors,
        "plan.contacts[0].unit",
        &["unité \"CARDIO\" inconnue"],
    );
    assert_eq!(errors.len(), 6, "{errors:#?}");
}

#[test]
fn a_reference_cited_twice_is_refused() {
    let errors = errors_with(
        r#"
[[plan.activities]]
code = "LABO"
name = "Laboratoire"
criticality = "majeure"
dmia = "2h"
pdma = "30m"
applications = ["SIL", "SIL"]
"#,
    );
    assert_error(
        &errors,
        "plan.activities[2].applications[1]",
        &["\"SIL\" est cité deux fois"],
    );
}

#[test]
fn bad_durations_and_criticality_are_reported() {
    let errors = errors_with(
        r#"
[[plan.activities]]
code = "A1"
name = "Un"
criticality = "critique"
dmia = "4x"
pdma = 30

[[plan.activities]]
code = "A2"
name = "Deux"
criticality = "vitale"
dmia = "0h"
pdma = "1.5h"
"#,
    );
    assert_error(
        &errors,
        "plan.activities[2].criticality",
        &[
            "\"critique\" n'est pas une criticité",
            "vitale, majeure, importante ou secondaire",
        ],
    );
    assert_error(
        &errors,
        "plan.activities[2].dmia",
        &["\"4x\"", "unité \"x\" inconnue"],
    );
    assert_error(
        &errors,
        "plan.activities[2].pdma",
        &["\"30\"", "unité manquante"],
    );
    assert_error(
        &errors,
        "plan.activities[3].dmia",
        &["\"0h\"", "durée nulle"],
    );
    assert_error(&errors, "plan.activities[3].pdma", &["\"1.5h\"", "'.'"]);
}

#[test]
fn cards_need_steps() {
    let errors = errors_with(
        r#"
[[plan.cards]]
code = "C1"
title = "Sans étapes"
role = "cadre"

[[plan.cards]]
code = "C2"
title = "  "
role = "cadre"
steps = ["Ouvrir la valise", "   "]
"#,
    );
    assert_error(&errors, "plan.cards[0].steps", &["aucune étape"]);
    assert_error(&errors, "plan.cards[1].title", &["vide"]);
    assert_error(&errors, "plan.cards[1].steps[1]", &["vide"]);
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

#[test]
fn contacts_need_a_means() {
    let errors = errors_with(
        r#"
[[plan.contacts]]
name = "Injoignable"
function = "Personne"

[[plan.contacts]]
name = "Mauvais courriel"
function = "Test"
email = "rssi.ch-demo.example"

[[plan.contacts]]
name = "Ligne vide"
function = "Test"
direct_line = " "
runner = "Loge"
"#,
    );
    assert_error(
        &errors,
        "plan.contacts[0]",
        &["aucun moyen de joindre \"Injoignable\""],
    );
    assert_error(
        &errors,
        "plan.contacts[1].email",
        &["\"rssi.ch-demo.example\" n'est pas une adresse électronique"],
    );
    assert_error(&errors, "plan.contacts[2].direct_line", &["vide"]);
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

#[test]
fn stock_thresholds_are_checked() {
    let stock = |code: &str, category: &str, alert: &str, critical: &str, daily: &str| {
        format!(
            r#"
[[plan.stocks]]
code = "{code}"
name = "Stock"
category = "{category}"
measure = "flacons"
location = "PUI"
alert_threshold = {alert}
critical_threshold = {critical}
{daily}
"#
        )
    };
    let text = [
        stock("S0", "medicament", "20", "20", "daily_consumption = 5"),
        stock("S1", "medicaments", "20", "5", "daily_consumption = 5"),
        stock("S2", "sang", "-1", "-3", "daily_consumption = 0"),
        stock("S3", "oxygene", "inf", "5", "daily_consumption = 1.5"),
    ]
    .concat();
    let errors = errors_with(&text);
    assert_error(
        &errors,
        "plan.stocks[0].critical_threshold",
        &["seuil critique (20) doit être inférieur au seuil d'alerte (20)"],
    );
    assert_error(
        &errors,
        "plan.stocks[1].category",
        &[
            "\"medicaments\" n'est pas une catégorie",
            "medicament, sang, oxygene ou consommable",
        ],
    );
    assert_error(
        &errors,
        "plan.stocks[2].alert_threshold",
        &["-1", "positive ou nulle"],
    );
    assert_error(&errors, "plan.stocks[2].critical_threshold", &["-3"]);
    assert_error(
        &errors,
        "plan.stocks[2].daily_consumption",
        &["0", "strictement positive"],
    );
    assert_error(&errors, "plan.stocks[3].alert_threshold", &["inf"]);
    assert_eq!(errors.len(), 6, "{errors:#?}");
}

#[test]
fn crisis_settings_are_checked() {
    let errors = errors_with(
        r#"
[plan.crisis]
unit_report_interval = "toutes les 2h"
orange_at = 1.2
hook = { program = "alerte.sh", args = ["--canal", "crise"] }

[[plan.crisis.levels]]
level = 1
name = "Veille"

[[plan.crisis.levels]]
level = 1
name = "Cellule"

[[plan.crisis.levels]]
level = 0
name = "Zéro"

[[plan.crisis.levels]]
level = 3
name = ""
"#,
    );
    assert_error(
        &errors,
        "plan.crisis.unit_report_interval",
        &["\"toutes les 2h\""],
    );
    assert_error(&errors, "plan.crisis.orange_at", &["1.2", "entre 0 et 1"]);
    assert_error(
        &errors,
        "plan.crisis.hook.program",
        &["\"alerte.sh\"", "chemin absolu"],
    );
    assert_error(
        &errors,
        "plan.crisis.levels[1].level",
        &["1 après 1", "croître strictement"],
    );
    assert_error(&errors, "plan.crisis.levels[2].level", &["0", "de 1 à 255"]);
    assert_error(&errors, "plan.crisis.levels[3].name", &["vide"]);
    assert_eq!(errors.len(), 6, "{errors:#?}");

    let errors = errors_with("\n[plan.crisis]\nlevels = []\n");
    assert_error(&errors, "plan.crisis.levels", &["aucun niveau"]);
}

#[test]
fn declared_levels_and_hook_are_kept() {
    let plan = checked(&format!(
        r#"{BASE}
[plan.crisis]
orange_at = 0.5
hook = {{ program = "/usr/bin/logger", args = ["-t", "ckisa"] }}

[[plan.crisis.levels]]
level = 2
name = "Alerte"

[[plan.crisis.levels]]
level = 5
name = "Plan blanc"
description = "Tout le monde"
"#
    ))
    .unwrap();
    assert_eq!(plan.crisis.levels.len(), 2);
    assert_eq!(plan.level(5).unwrap().description, "Tout le monde");
    assert_eq!(plan.level(1), None);
    assert_eq!(plan.crisis.orange_at, 0.5);
    assert_eq!(
        plan.crisis.hook,
        Some(Hook {
            program: "/usr/bin/logger".to_string(),
            args: strings(&["-t", "ckisa"]),
        })
    );
}

#[test]
fn detection_settings_are_checked() {
    let errors = errors_with(
        r#"
[plan.detection]
silence_floor = "30m"
silence_cap = "10m"
learning_days = 0
learning_silence = "0m"
rate_ratio = 0
"#,
    );
    assert_error(
        &errors,
        "plan.detection.silence_cap",
        &["10 min est plus court que silence_floor (30 min)"],
    );
    assert_error(
        &errors,
        "plan.detection.learning_days",
        &["0", "de 1 à 365"],
    );
    assert_error(&errors, "plan.detection.learning_silence", &["\"0m\""]);
    assert_error(&errors, "plan.detection.rate_ratio", &["0", "entre 0 et 1"]);
    assert_eq!(errors.len(), 4, "{errors:#?}");
}

#[test]
fn every_detection_setting_reaches_the_detector() {
    let plan = checked(&format!(
        r#"{BASE}
[plan.detection]
silence_floor = "2m"
silence_cap = "3h"
learning_days = 3
learning_silence = "10m"
rate_ratio = 0.5
"#
    ))
    .unwrap();
    let settings = plan.detection.detect_settings();
    let defaults = crate::detect::DetectSettings::default();
    assert_eq!(
        settings,
        crate::detect::DetectSettings {
            silence_floor: Duration::from_secs(120),
            silence_cap: Duration::from_secs(3 * 3_600),
            learning_days: 3,
            learning_silence: Duration::from_secs(600),
            rate_ratio: 0.5,
            ..defaults
        }
    );
    assert_eq!(settings.check(), Ok(()));
}

#[test]
fn probes_are_checked() {
    let probe = |name: &str, kind: &str, target: &str, extra: &str| {
        format!(
            r#"
[[plan.detection.probes]]
name = "{name}"
kind = "{kind}"
target = "{target}"
{extra}
"#
        )
    };
    let text = [
        probe("p0", "tcp", "127.0.0.1", ""),
        probe("p1", "tcp", "127.0.0.1:99999", ""),
        probe("p2", "tcp", "::1:443", ""),
        probe("p3", "http", "https://127.0.0.1/sante", ""),
        probe("p4", "http", "127.0.0.1:8080/sante", ""),
        probe("p5", "icmp", "127.0.0.1", ""),
        probe(
            "p6",
            "tcp",
            "127.0.0.1:2575",
            "every = \"10s\"\ntimeout = \"10s\"",
        ),
        probe("p6", "tcp", "127.0.0.1:2575", "application = \"PACS\""),
        probe("p8", "tcp", "hôte local:80", ""),
    ]
    .concat();
    let errors = errors_with(&text);
    let target = |i: usize| format!("plan.detection.probes[{i}].target");
    assert_error(&errors, &target(0), &["\"127.0.0.1\"", "port manquant"]);
    assert_error(&errors, &target(1), &["\"99999\" n'est pas un port"]);
    assert_error(&errors, &target(2), &["entre crochets"]);
    assert_error(&errors, &target(3), &["TLS", "kind = \"tcp\""]);
    assert_error(&errors, &target(4), &["http://hôte:port/chemin"]);
    assert_error(
        &errors,
        "plan.detection.probes[5].kind",
        &["\"icmp\" n'est pas un type de sonde"],
    );
    assert_error(
        &errors,
        "plan.detection.probes[6].timeout",
        &["plus court que l'intervalle every (10 s)"],
    );
    assert_error(
        &errors,
        "plan.detection.probes[7].name",
        &["\"p6\" est déjà le nom de plan.detection.probes[6]"],
    );
    assert_error(
        &errors,
        "plan.detection.probes[7].application",
        &["application \"PACS\" inconnue"],
    );
    assert_error(
        &errors,
        &target(8),
        &["\"hôte local\" n'est pas un nom d'hôte"],
    );
    assert_eq!(errors.len(), 10, "{errors:#?}");
}

#[test]
fn probe_targets_are_parsed() {
    let plan = checked(&format!(
        r#"{BASE}
[[plan.detection.probes]]
name = "mllp"
kind = "tcp"
target = "[::1]:2575"
application = "DPI"

[[plan.detection.probes]]
name = "web"
kind = "http"
target = "http://127.0.0.1:8081/sante?format=court"
every = "30s"
timeout = "3s"

[[plan.detection.probes]]
name = "web-defaut"
kind = "http"
target = "http://localhost"
"#
    ))
    .unwrap();
    let probes = &plan.detection.probes;
    assert_eq!(
        probes[0].target,
        ProbeTarget::Tcp {
            host: "::1".to_string(),
            port: 2575
        }
    );
    assert_eq!(probes[0].target.to_string(), "[::1]:2575");
    assert_eq!(probes[0].every, Duration::from_secs(60));
    assert_eq!(probes[0].timeout, Duration::from_secs(5));
    assert_eq!(probes[0].application.as_deref(), Some("DPI"));
    assert_eq!(
        probes[1].target,
        ProbeTarget::Http {
            host: "127.0.0.1".to_string(),
            port: 8081,
            path: "/sante?format=court".to_string()
        }
    );
    assert_eq!(probes[1].every, Duration::from_secs(30));
    assert_eq!(probes[2].target.to_string(), "http://localhost:80/");
}

#[test]
fn every_error_is_collected_at_once() {
    let errors = errors_with(
        r#"
[[plan.activities]]
code = "X"
name = ""
criticality = "haute"
dmia = "jamais"
pdma = "1h"
applications = ["NOPE"]

[[plan.cards]]
code = "C"
title = "T"
role = "nope"
steps = []
"#,
    );
    let paths: Vec<&str> = errors.iter().filter_map(PlanError::path).collect();
    assert_eq!(
        paths,
        vec![
            "plan.activities[2].name",
            "plan.activities[2].criticality",
            "plan.activities[2].dmia",
            "plan.activities[2].applications[0]",
            "plan.cards[0].role",
            "plan.cards[0].steps",
        ]
    );
}

#[test]
fn doubtful_values_are_warnings() {
    let plan = checked(
        r#"
[[plan.applications]]
code = "DPI"
name = "Dossier patient"
feeds = ["sih-adt"]

[[plan.applications]]
code = "PACS"
name = "Imagerie"

[[plan.activities]]
code = "URG"
name = "Urgences"
criticality = "vitale"
dmia = "1h"
pdma = "2h"
applications = ["DPI"]

[[plan.activities]]
code = "REPAS"
name = "Restauration"
criticality = "secondaire"
dmia = "2j"
pdma = "1j"

[[plan.stocks]]
code = "GANTS"
name = "Gants"
category = "consommable"
measure = "boîtes"
location = "Magasin"
alert_threshold = 50
critical_threshold = 10

[[plan.contacts]]
name = "PC sécurité"
function = "Loge"
runner = "Entrée"

[[plan.contacts]]
name = "PC sécurité"
function = "Loge bis"
radio = "Canal 3"
"#,
    )
    .unwrap();
    let warnings: Vec<String> = plan.warnings.iter().map(ToString::to_string).collect();
    let expected_starts = [
        "plan.applications[1].feeds : aucun flux",
        "plan.activities[0].pdma : PDMA de 2 h plus longue que la DMIA de 1 h",
        "plan.activities[1].applications : aucune application",
        "plan.contacts[1].name : \"PC sécurité\" figure déjà en plan.contacts[0]",
        "plan.stocks[0].daily_consumption : consommation absente",
        "plan.applications[1] : \"PACS\" n'est utilisée par aucune activité",
    ];
    assert_eq!(warnings.len(), expected_starts.len(), "{warnings:#?}");
    for (warning, start) in warnings.iter().zip(expected_starts) {
        assert!(
            warning.starts_with(start),
            "{warning:?} should start with {start:?}"
        );
    }
    assert_eq!(plan.stock("GANTS").unwrap().days_remaining(100.0), None);
}

#[test]
fn an_empty_plan_warns_that_the_bia_is_empty() {
    let plan = check(&RawPlan::default(), &PlanContext::default()).unwrap();
    assert_eq!(plan.warnings.len(), 1);
    assert_eq!(plan.warnings[0].path, "plan.activities");
    assert_eq!(plan.crisis.levels[0].name, "Veille renforcée");
}

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;

#[test]
fn clocks_turn_orange_then_red_at_the_right_moments() {
    let plan = checked(BASE).unwrap();
    let declared = 1_750_000_000_000;
    let state_at = |elapsed: i64, code: &str| {
        activity_clocks(&plan, declared, declared + elapsed)
            .into_iter()
            .find(|c| c.activity == code)
            .unwrap()
    };
    // URG: DMIA 4 h, orange from 3 h (0.75).
    assert_eq!(state_at(0, "URG").state, ClockState::Green);
    assert_eq!(state_at(3 * HOUR - 1, "URG").state, ClockState::Green);
    assert_eq!(state_at(3 * HOUR, "URG").state, ClockState::Orange);
    assert_eq!(state_at(4 * HOUR - 1, "URG").state, ClockState::Orange);
    assert_eq!(state_at(4 * HOUR, "URG").state, ClockState::Red);
    // ADM: DMIA 1 day, still green when URG is red.
    assert_eq!(state_at(4 * HOUR, "ADM").state, ClockState::Green);
    assert_eq!(state_at(18 * HOUR, "ADM").state, ClockState::Orange);
    assert_eq!(state_at(24 * HOUR, "ADM").state, ClockState::Red);

    let clock = state_at(45 * MINUTE, "URG");
    assert_eq!(clock.elapsed, Duration::from_secs(45 * 60));
    assert_eq!(clock.remaining_ms(), 3 * HOUR + 15 * MINUTE);
    assert_eq!(clock.summary(), "3 h 15 restantes sur 4 h");
    let clock = state_at(4 * HOUR + 20 * MINUTE, "URG");
    assert_eq!(clock.remaining_ms(), -20 * MINUTE);
    assert_eq!(clock.summary(), "DMIA de 4 h dépassée de 20 min");

    // A declaration in the future of `now` (clock skew) counts as just made.
    let early = state_at(-5 * MINUTE, "URG");
    assert_eq!(
        (early.elapsed, early.state),
        (Duration::ZERO, ClockState::Green)
    );
}

#[test]
fn orange_follows_the_configured_fraction() {
    let plan = checked(&format!("{BASE}\n[plan.crisis]\norange_at = 0.7\n")).unwrap();
    let declared = 0;
    let urg = |elapsed| {
        activity_clocks(&plan, declared, elapsed)
            .into_iter()
            .find(|c| c.activity == "URG")
            .unwrap()
            .state
    };
    // 70 % of 4 h is 2 h 48 exactly.
    assert_eq!(urg(2 * HOUR + 48 * MINUTE - 1), ClockState::Green);
    assert_eq!(urg(2 * HOUR + 48 * MINUTE), ClockState::Orange);
}

#[test]
fn clocks_are_ordered_by_criticality_then_time_left() {
    let plan = checked(&format!(
        r#"{BASE}
[[plan.activities]]
code = "REA"
name = "Réanimation"
criticality = "vitale"
dmia = "2h"
pdma = "15m"
applications = ["DPI"]

[[plan.activities]]
code = "LABO"
name = "Laboratoire"
criticality = "majeure"
dmia = "1h"
pdma = "15m"
applications = ["SIL"]
"#
    ))
    .unwrap();
    let order: Vec<String> = activity_clocks(&plan, 0, HOUR)
        .into_iter()
        .map(|c| format!("{}:{}", c.activity, c.state.code()))
        .collect();
    assert_eq!(
        order,
        vec!["REA:green", "URG:green", "LABO:red", "ADM:green"]
    );
}

#[test]
fn pdma_breaches_follow_the_stalest_feed() {
    let plan = checked(BASE).unwrap();
    let now = 1_750_000_000_000;
    // URG: PDMA 30 min, needs DPI (sih-adt) and SIL (sih-labo, sih-adt).
    // ADM: PDMA 4 h, needs DPI (sih-adt).
    let feeds = |adt: Option<i64>, labo: Option<i64>| {
        vec![
            ("sih-adt".to_string(), adt.map(|ago| now - ago)),
            ("sih-labo".to_string(), labo.map(|ago| now - ago)),
        ]
    };

    // Everything fresh: no breach; exactly at the PDMA is not beyond it.
    assert_eq!(
        pdma_breaches(&plan, &feeds(Some(MINUTE), Some(30 * MINUTE)), now),
        vec![]
    );

    // The lab feed 45 min late: URG breaches through SIL only.
    let breaches = pdma_breaches(&plan, &feeds(Some(MINUTE), Some(45 * MINUTE)), now);
    assert_eq!(
        breaches,
        vec![PdmaBreach {
            activity: "URG".to_string(),
            application: "SIL".to_string(),
            feed: "sih-labo".to_string(),
            age: Some(Duration::from_secs(45 * 60)),
            pdma: Duration::from_secs(30 * 60),
        }]
    );
    assert_eq!(
        breaches[0].to_string(),
        "URG : réplique de SIL âgée de 45 min (flux sih-labo), au-delà de la PDMA de 30 min"
    );

    // The ADT feed 5 h late: DPI and SIL (through sih-adt) for URG, DPI for ADM.
    let breaches = pdma_breaches(&plan, &feeds(Some(5 * HOUR), Some(MINUTE)), now);
    let summary: Vec<(&str, &str, &str)> = breaches
        .iter()
        .map(|b| (b.activity.as_str(), b.application.as_str(), b.feed.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("URG", "DPI", "sih-adt"),
            ("URG", "SIL", "sih-adt"),
            ("ADM", "DPI", "sih-adt"),
        ]
    );
    assert!(
        breaches
            .iter()
            .all(|b| b.age == Some(Duration::from_secs(5 * 3_600)))
    );

    // ADT 3 h late: beyond URG's 30 min, within ADM's 4 h.
    let breaches = pdma_breaches(&plan, &feeds(Some(3 * HOUR), Some(MINUTE)), now);
    assert_eq!(breaches.len(), 2);
    assert!(breaches.iter().all(|b| b.activity == "URG"));
}

#[test]
fn a_feed_never_heard_from_is_infinitely_old() {
    let plan = checked(BASE).unwrap();
    let now = 1_750_000_000_000;
    // sih-labo never received anything; sih-adt is fresh.
    let feeds = vec![
        ("sih-adt".to_string(), Some(now - MINUTE)),
        ("sih-labo".to_string(), None),
    ];
    let breaches = pdma_breaches(&plan, &feeds, now);
    assert_eq!(breaches.len(), 1);
    assert_eq!(
        (breaches[0].application.as_str(), breaches[0].age),
        ("SIL", None)
    );
    assert_eq!(
        breaches[0].to_string(),
        "URG : réplique de SIL jamais alimentée (le flux sih-labo n'a jamais rien reçu), PDMA de 30 min"
    );

    // A feed missing from the caller's table counts the same; the never-fed
    // breach comes before the old one of the same activity.
    let feeds = vec![("sih-adt".to_string(), Some(now - HOUR))];
    let breaches = pdma_breaches(&plan, &feeds, now);
    let summary: Vec<(&str, Option<Duration>)> = breaches
        .iter()
        .map(|b| (b.application.as_str(), b.age))
        .collect();
    assert_eq!(
        summary,
        vec![("SIL", None), ("DPI", Some(Duration::from_secs(3_600)))]
    );
}

#[test]
fn a_last_message_in_the_future_is_fresh() {
    let plan = checked(BASE).unwrap();
    let now = 1_000 * HOUR;
    let feeds = vec![
        ("sih-adt".to_string(), Some(now + MINUTE)),
        ("sih-labo".to_string(), Some(now)),
    ];
    assert_eq!(pdma_breaches(&plan, &feeds, now), vec![]);
}

const PLAN_DOC: &str = include_str!("../../../../docs/plan.md");

/// The TOML blocks of `docs/plan.md`, in order.
fn doc_toml_blocks() -> Vec<&'static str> {
    PLAN_DOC
        .split("```toml\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap_or(""))
        .collect()
}

#[test]
fn the_examples_of_the_documentation_read() {
    let blocks = doc_toml_blocks();
    assert!(blocks.len() >= 8, "{} blocks", blocks.len());
    for block in &blocks {
        if let Err(err) = parse(block) {
            panic!("{err}\n{block}");
        }
    }
    // The last block is an excerpt of the demo plan, table by table.
    let excerpt = blocks.last().unwrap();
    for table in excerpt.split("\n\n") {
        assert!(
            DEMO_PLAN.contains(table.trim()),
            "not in the demo plan:\n{table}"
        );
    }
}
