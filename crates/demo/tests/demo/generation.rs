//! The generated establishment: determinism, size, occupancy, and the
//! shape of every initial message and resource.

use super::support::{check_well_formed, field, ipp, segments};
use ckisa_demo::{DemoOptions, Establishment, catalog, generate};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Default options at a fixed moment, so that runs compare equal.
pub(crate) fn fixed_options() -> DemoOptions {
    DemoOptions::at(super::support::fixed_now())
}

fn default_establishment() -> &'static Establishment {
    static ESTABLISHMENT: OnceLock<Establishment> = OnceLock::new();
    ESTABLISHMENT.get_or_init(|| generate(42, &fixed_options()))
}

#[test]
fn same_seed_gives_the_same_establishment_and_another_seed_does_not() {
    let a = default_establishment();
    let b = generate(42, &fixed_options());
    let c = generate(43, &fixed_options());
    assert_eq!(a.initial_messages, b.initial_messages);
    assert_eq!(a.initial_fhir, b.initial_fhir);
    assert_eq!(a.config_toml, b.config_toml);
    assert_eq!(a.units, b.units);
    assert_ne!(a.initial_messages, c.initial_messages);
}

#[test]
fn about_600_beds_in_20_units_at_80_to_90_percent() {
    let est = default_establishment();
    assert_eq!(est.name, "Centre hospitalier de démonstration");
    assert_eq!(est.units.len(), 20);
    let beds: usize = est.units.iter().map(|u| u.beds.len()).sum();
    assert!((590..=610).contains(&beds), "{beds} beds");
    let occupancy = est.patients.len() as f64 / beds as f64;
    assert!((0.80..=0.90).contains(&occupancy), "occupancy {occupancy}");
    for unit in &est.units {
        let unique: HashSet<_> = unit.beds.iter().collect();
        assert_eq!(
            unique.len(),
            unit.beds.len(),
            "bed listed twice in {}",
            unit.code
        );
    }
    assert!(
        est.units
            .iter()
            .any(|u| u.code == "CARDIO" && u.name == "Cardiologie")
    );
}

#[test]
fn no_two_patients_share_a_bed_and_every_bed_exists() {
    let est = default_establishment();
    let mut taken = HashSet::new();
    for p in &est.patients {
        let loc = &p.location;
        let unit = est
            .units
            .iter()
            .find(|u| u.code == loc.unit)
            .expect("known unit");
        assert!(unit.beds.contains(&(loc.room.clone(), loc.bed.clone())));
        assert!(taken.insert(loc.clone()), "bed shared: {loc:?}");
    }
}

#[test]
fn every_initial_message_is_well_formed_with_unique_control_ids() {
    let est = default_establishment();
    let mut ids = HashSet::new();
    for message in &est.initial_messages {
        let id = check_well_formed(message);
        assert!(ids.insert(id.clone()), "control id {id} reused");
    }
    let count = |kind: &str| {
        est.initial_messages
            .iter()
            .filter(|m| field(m, "MSH", 9) == Some(kind))
            .count()
    };
    let prescriptions: usize = est.patients.iter().map(|p| p.prescriptions.len()).sum();
    assert_eq!(count("ADT^A01^ADT_A01"), est.patients.len());
    assert_eq!(count("RDE^O11^RDE_O11"), prescriptions);
    assert_eq!(count("ORU^R01^ORU_R01"), 2 * est.patients.len());
}

#[test]
fn admissions_carry_location_movement_allergies_and_problems() {
    let est = default_establishment();
    let patient = est
        .patients
        .iter()
        .find(|p| !p.allergies.is_empty())
        .expect("an allergic patient");
    let a01 = est
        .initial_messages
        .iter()
        .find(|m| {
            field(m, "MSH", 9) == Some("ADT^A01^ADT_A01") && ipp(m).as_deref() == Some(&patient.ipp)
        })
        .expect("admission of the patient");
    let loc = &patient.location;
    let pv1_3 = format!("{}^{}^{}^CHDEMO", loc.unit, loc.room, loc.bed);
    assert_eq!(field(a01, "PV1", 3), Some(pv1_3.as_str()));
    assert_eq!(field(a01, "PV1", 2), Some("I"));
    assert_eq!(field(a01, "PV1", 44), Some(patient.admitted_at.as_str()));
    assert!(field(a01, "PV1", 7).is_some_and(|x| x.starts_with(&patient.attending.rpps)));
    assert_eq!(field(a01, "ZBE", 4), Some("INSERT"));
    assert!(field(a01, "ZBE", 7).is_some_and(|x| x.ends_with(&patient.uf)));
    let al1 = segments(a01)
        .iter()
        .filter(|s| s.starts_with("AL1|"))
        .count();
    let dg1: Vec<&str> = segments(a01)
        .into_iter()
        .filter(|s| s.starts_with("DG1|"))
        .collect();
    assert_eq!(al1, patient.allergies.len());
    assert_eq!(dg1.len(), patient.problems.len());
    assert!(dg1.iter().all(|s| s.contains("^CIM10")));
    let name = field(a01, "PID", 5).unwrap_or_default();
    assert!(name.starts_with(&patient.family.to_uppercase()) && name.ends_with("^^^^^L"));
}

#[test]
fn names_and_labels_keep_their_accents() {
    let est = default_establishment();
    let accented = est
        .patients
        .iter()
        .filter(|p| !p.family.is_ascii() || !p.given.is_ascii())
        .count();
    assert!(
        accented * 4 > est.patients.len(),
        "{accented} accented names"
    );
    assert!(
        est.initial_messages
            .iter()
            .any(|m| m.contains("LEFÈVRE^") || m.contains("^Hélène^"))
    );
    // The one catalog label holding '&' is escaped, never sent raw.
    let crustaceans = est.initial_messages.iter().find(|m| m.contains("CRUST^"));
    let message = crustaceans.expect("a seafood allergy among 500 patients");
    assert!(message.contains("CRUST^Fruits de mer \\T\\ crustacés^L"));
}

#[test]
fn patients_are_clinically_plausible() {
    let est = default_establishment();
    for p in &est.patients {
        assert!(p.allergies.len() <= 3);
        assert!(
            (1..=4).contains(&p.problems.len()),
            "{} problems",
            p.problems.len()
        );
        assert!(
            (2..=8).contains(&p.prescriptions.len()),
            "{} prescriptions",
            p.prescriptions.len()
        );
        assert!((2..=5).contains(&p.care_plan.activities.len()));
        assert_eq!(p.vitals.len(), 8);
        assert!(!p.labs.is_empty());
        assert_eq!(p.ins.len(), 15);
        for rx in &p.prescriptions {
            let class = rx.drug.class;
            assert!(
                !p.allergies
                    .iter()
                    .any(|a| class.is_some() && a.allergen.class == class),
                "{} given to a patient allergic to it",
                rx.drug.name
            );
        }
        match p.location.unit.as_str() {
            "PEDIA" => assert!(p.age < 18, "child aged {}", p.age),
            "GERIA" => assert!(p.age >= 75, "geriatric patient aged {}", p.age),
            "MATER" => assert_eq!(p.sex.code(), "F"),
            _ => {}
        }
    }
    let flagged = est
        .patients
        .iter()
        .flat_map(|p| &p.labs)
        .filter(|o| o.flag() == "H")
        .count();
    assert!(flagged > 0, "some lab results are abnormal");
}

#[test]
fn care_plans_reference_the_hl7_patient_by_identifier() {
    let est = default_establishment();
    let ipps: HashSet<&str> = est.patients.iter().map(|p| p.ipp.as_str()).collect();
    assert_eq!(est.initial_fhir.len(), est.patients.len());
    for text in &est.initial_fhir {
        let json: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
        assert_eq!(json["resourceType"], "CarePlan");
        assert_eq!(json["status"], "active");
        assert_eq!(json["subject"]["identifier"]["system"], "CHDEMO");
        let ipp = json["subject"]["identifier"]["value"]
            .as_str()
            .expect("IPP");
        assert!(ipps.contains(ipp));
        let activities = json["activity"].as_array().expect("activities");
        assert!((2..=5).contains(&activities.len()));
        assert!(
            json["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Plan de soins"))
        );
    }
}

fn sorted_keys(table: &toml::Table) -> Vec<&str> {
    let mut keys: Vec<&str> = table.keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[test]
fn config_is_valid_toml_in_the_node_schema_matching_the_units() {
    let est = default_establishment();
    assert!(est.config_toml.starts_with("# "), "documented header");
    let config: toml::Table = est.config_toml.parse().expect("valid TOML");
    // The node's parser refuses unknown keys: only these may appear.
    let top = sorted_keys(&config);
    assert_eq!(
        top,
        ["feeds", "messagerie", "plan", "site", "soins", "units"]
    );
    // The continuity plan and the recall roster name only units of this
    // establishment.
    let codes: HashSet<&str> = est.units.iter().map(|u| u.code.as_str()).collect();
    let roster = config["messagerie"]["rappel"].as_array().expect("roster");
    for person in roster {
        let unit = person["unite"].as_str().expect("unit code");
        assert!(
            unit.is_empty() || codes.contains(unit),
            "the roster names unit {unit}"
        );
    }
    // The demo accounts that receive broadcasts are in the roster by login,
    // once each, so that an escalation reaches their phone.
    let logins: Vec<&str> = roster
        .iter()
        .filter_map(|person| person.get("identifiant"))
        .map(|login| login.as_str().expect("login"))
        .collect();
    assert_eq!(
        logins,
        ["cadre", "infirmiere", "medecin", "pharmacien", "labo"]
    );
    let activities = config["plan"]["activities"].as_array().expect("BIA");
    for activity in activities {
        for unit in activity
            .get("units")
            .and_then(|u| u.as_array())
            .into_iter()
            .flatten()
        {
            let code = unit.as_str().expect("unit code");
            assert!(codes.contains(code), "the plan names unit {code}");
        }
    }
    let site = sorted_keys(config["site"].as_table().expect("site"));
    assert_eq!(site, ["name", "zone"]);
    assert_eq!(config["site"]["zone"].as_str(), Some("Europe/Paris"));
    let units = config["units"].as_array().expect("units");
    assert_eq!(units.len(), est.units.len());
    for (table, unit) in units.iter().zip(&est.units) {
        let keys = sorted_keys(table.as_table().expect("unit"));
        assert_eq!(keys, ["code", "name", "rooms"]);
        assert_eq!(table["code"].as_str(), Some(unit.code.as_str()));
        let beds: Vec<(String, String)> = table["rooms"]
            .as_array()
            .expect("rooms")
            .iter()
            .flat_map(|room| {
                let name = room["room"].as_str().expect("room").to_string();
                let beds = room["beds"].as_array().expect("beds").clone();
                beds.into_iter()
                    .map(move |b| (name.clone(), b.as_str().expect("bed").to_string()))
            })
            .collect();
        assert_eq!(beds, unit.beds);
    }
    let feed = &config["feeds"].as_array().expect("feeds")[0];
    let keys = sorted_keys(feed.as_table().expect("feed"));
    assert_eq!(keys, ["kind", "listen", "name"]);
    assert_eq!(feed["kind"].as_str(), Some("mllp"));
    assert_eq!(feed["listen"].as_str(), Some("127.0.0.1:2575"));
}

#[test]
fn smaller_establishments_scale_the_units() {
    let options = DemoOptions {
        total_beds: 60,
        ..fixed_options()
    };
    let est = generate(1, &options);
    let beds: usize = est.units.iter().map(|u| u.beds.len()).sum();
    assert!((55..=70).contains(&beds), "{beds} beds");
    assert_eq!(est.units.len(), catalog::UNITS.len());
}

#[test]
fn generation_is_fast() {
    let start = std::time::Instant::now();
    let est = generate(7, &fixed_options());
    let elapsed = start.elapsed();
    assert!(est.initial_messages.len() > 3000);
    // Release builds take a small fraction of this; the bound catches gross regressions in debug.
    assert!(elapsed.as_secs_f64() < 5.0, "took {elapsed:?}");
}
