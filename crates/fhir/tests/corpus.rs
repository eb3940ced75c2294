//! Reads every file of the shared FHIR corpus and the FHIR edge cases
//! (B14, B15, B16) and checks what came out against the corpus README's
//! tables: entries and resources by type per file, and no problems for
//! valid input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ckisa_domain::{Fact, ObservationValue, PatientKey, Precision};
use ckisa_fhir::{Document, read};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

/// README column headings (truncated by the README) to resource types.
const COLUMNS: [(&str, &str); 10] = [
    ("Patient", "Patient"),
    ("Encounter", "Encounter"),
    ("Location", "Location"),
    ("AllergyIntol", "AllergyIntolerance"),
    ("Condition", "Condition"),
    ("MedicationRe", "MedicationRequest"),
    ("MedicationAd", "MedicationAdministration"),
    ("CarePlan", "CarePlan"),
    ("Observation", "Observation"),
    ("DiagnosticRe", "DiagnosticReport"),
];

fn fhir_dir() -> PathBuf {
    Path::new(CORPUS).join("fhir")
}

fn read_file(path: &Path) -> Document {
    let bytes = std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    read(&bytes, &path.display().to_string())
}

/// Resources by type: mapped items plus skipped ones.
fn by_type(doc: &Document) -> BTreeMap<String, usize> {
    let mut counts = doc.skipped.clone();
    for item in &doc.items {
        let kind = item.fhir_id.split('/').next().unwrap_or_default();
        *counts.entry(kind.to_owned()).or_default() += 1;
    }
    counts
}

/// The markdown table rows of the README that start with a file name.
fn table_rows(section: &str) -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(fhir_dir().join("README.md")).expect("corpus README");
    let start = readme.find(section).expect("README section");
    let mut rows = Vec::new();
    for line in readme[start..].lines().skip(1) {
        if line.starts_with("## ") {
            break;
        }
        let cells: Vec<String> = line.split('|').map(|c| c.trim().to_owned()).collect();
        if cells.len() > 2 && cells[1].starts_with('`') {
            rows.push((
                cells[1].trim_matches('`').to_owned(),
                cells[2..cells.len() - 1].to_vec(),
            ));
        }
    }
    rows
}

fn header_cells(section: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(fhir_dir().join("README.md")).expect("corpus README");
    let start = readme.find(section).expect("README section");
    let header = readme[start..]
        .lines()
        .find(|l| l.starts_with("| File"))
        .expect("table header");
    header
        .split('|')
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .skip(1)
        .collect()
}

#[test]
fn synthea_bundles_match_the_readme_counts() {
    let section = "## synthea/";
    let header = header_cells(section);
    let rows = table_rows(section);
    assert_eq!(rows.len(), 29, "README synthea rows");
    for (file, cells) in rows {
        let doc = read_file(&fhir_dir().join("synthea").join(&file));
        assert_eq!(doc.problems, [], "{file}");
        let cell = |name: &str| {
            let at = header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("column {name}"));
            cells[at].clone()
        };
        assert_eq!(doc.entries.to_string(), cell("Entries"), "{file}: entries");
        let counts = by_type(&doc);
        for (column, kind) in COLUMNS {
            let got = counts.get(kind).copied().unwrap_or(0);
            assert_eq!(got.to_string(), cell(column), "{file}: {kind}");
        }
        check_patient_birth_date(&doc, &cell("Patient birthDate"), &file);
    }
}

/// The patient's birth date is the calendar date of the README, unshifted.
fn check_patient_birth_date(doc: &Document, expected: &str, file: &str) {
    let births: Vec<String> = doc
        .facts()
        .filter_map(|fact| match fact {
            Fact::PatientUpdated(p) => p.birth_date.value().map(|m| m.to_iso()),
            _ => None,
        })
        .collect();
    let expected: Vec<String> = Some(expected.to_owned())
        .filter(|e| !e.is_empty())
        .into_iter()
        .collect();
    assert_eq!(births, expected, "{file}: birthDate");
}

#[test]
fn official_examples_match_the_readme() {
    let rows = table_rows("## examples/");
    assert_eq!(rows.len(), 30, "README example rows");
    for (file, cells) in rows {
        let (kind, id) = (&cells[0], &cells[1]);
        let doc = read_file(&fhir_dir().join("examples").join(&file));
        match kind.as_str() {
            "Bundle" => continue,
            _ => {
                assert_eq!(doc.items.len(), 1, "{file}");
                assert_eq!(doc.items[0].fhir_id, format!("{kind}/{id}"), "{file}");
            }
        }
        assert_eq!(doc.problems, [], "{file}");
    }
}

#[test]
fn every_corpus_file_is_read_without_panicking() {
    let mut files = Vec::new();
    collect(&fhir_dir(), &mut files);
    assert!(files.len() >= 60, "{} files", files.len());
    for path in files {
        let doc = read_file(&path);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        match name {
            "package.json" => assert_eq!(doc.problems.len(), 1, "not a FHIR resource"),
            "README.md" => assert!(!doc.problems.is_empty(), "not JSON"),
            "Bundle-bundle-transaction.json" => {
                assert_eq!(doc.problems.len(), 2, "two DELETE entries")
            }
            _ => assert_eq!(doc.problems, [], "{}", path.display()),
        }
    }
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("corpus directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}

#[test]
fn transaction_example_reads_conditional_operations() {
    let doc = read_file(&fhir_dir().join("examples/Bundle-bundle-transaction.json"));
    let ids: Vec<&str> = doc.items.iter().map(|i| i.fhir_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "Patient/61ebe359-bfdc-4613-8bf2-c5e300945f0a",
            "Patient/88f151c0-a954-468a-88bd-5ae15c08e059",
            "Patient/123",
            "Patient/74891afc-ed52-42a2-bcd7-f13d9b60f096",
            "Patient/123a",
        ]
    );
    let entries: Vec<usize> = doc.items.iter().map(|i| i.line_or_entry).collect();
    assert_eq!(entries, [0, 1, 2, 3, 4]);
    assert_eq!(doc.problems[0].location, "entry[5]");
    assert!(
        doc.problems[0]
            .reason
            .starts_with("suppression non prise en charge (DELETE Patient/234)")
    );
    assert_eq!(doc.skipped.get("requête GET"), Some(&2));
    assert_eq!(doc.skipped.get("Parameters"), Some(&1));
}

#[test]
fn synthea_references_resolve_inside_the_bundle_or_stay_conditional() {
    // wasee: practitioners are conditional references.
    let wasee = read_file(
        &fhir_dir().join("synthea/Breana975_Harvey63_47e5d1f6-a017-1481-f0a2-49ef0edb3b72.json"),
    );
    let patient = PatientKey::fhir("47e5d1f6-a017-1481-f0a2-49ef0edb3b72");
    assert!(
        wasee
            .facts()
            .all(|f| f.patient().is_none_or(|p| *p == patient))
    );
    let stay = wasee.facts().find_map(|f| match f {
        Fact::StayUpdated(s) => Some(s),
        _ => None,
    });
    let attending = stay
        .and_then(|s| s.attending.clone())
        .expect("an attending");
    let npi = attending.identifier.expect("a conditional identifier");
    assert_eq!(
        npi.system.as_deref(),
        Some("http://hl7.org/fhir/sid/us-npi")
    );
    assert!(attending.display.is_some_and(|d| d.starts_with("Dr. ")));
    assert_eq!(attending.reference, None);

    // Medication orders by medicationReference get their drug from the bundle's Medication.
    for fact in wasee.facts() {
        if let Fact::MedicationRecorded(m) = fact {
            assert!(!m.drug.text.is_empty(), "{}", m.id);
        }
    }

    // Lab panels: observations know their report, and notes are decoded.
    assert!(
        wasee
            .facts()
            .any(|f| matches!(f, Fact::ObservationRecorded(o) if o.report.is_some()))
    );
    assert!(wasee.facts().any(|f| matches!(f,
        Fact::ReportRecorded(r) if r.conclusion.as_deref().is_some_and(|c| c.contains("# Chief Complaint")))));

    // nimbus: practitioners are urn:uuid entries of the same bundle.
    let nimbus = read_file(&fhir_dir().join(
        "synthea/juvenile-covid-batch/Bibi254_Schowalter414_475d72ca-91c7-7211-97e3-f000af33fc04.json",
    ));
    let resolved = nimbus.facts().filter_map(|f| match f {
        Fact::StayUpdated(s) => s.attending.as_ref()?.reference.clone(),
        _ => None,
    });
    assert!(resolved.into_iter().all(|r| r.starts_with("Practitioner/")));
    assert!(nimbus.facts().any(|f| matches!(f, Fact::StayUpdated(s) if s.attending.as_ref().is_some_and(|a| a.reference.is_some()))));
}

#[test]
fn blood_pressure_example_has_two_components() {
    let doc = read_file(&fhir_dir().join("examples/Observation-blood-pressure.json"));
    let Some(Fact::ObservationRecorded(o)) = doc.facts().next() else {
        panic!("an observation")
    };
    let ObservationValue::Components(parts) = &o.value else {
        panic!("components")
    };
    assert_eq!(parts.len(), 2);
    assert_eq!(
        *parts[0].1,
        ObservationValue::Quantity {
            value: "107".into(),
            unit: Some("mmHg".into())
        }
    );
}

#[test]
fn b14_birth_date_is_a_calendar_date() {
    let doc = read_file(&Path::new(CORPUS).join("edge/B14.json"));
    assert_eq!(doc.problems, []);
    let Some(Fact::PatientUpdated(p)) = doc.facts().next() else {
        panic!("a patient")
    };
    let birth = p.birth_date.value().expect("a birth date");
    assert_eq!((birth.precision, birth.offset), (Precision::Day, None));
    for zone in ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Paris"] {
        let zone = jiff::tz::TimeZone::get(zone).expect("known zone");
        assert_eq!(birth.display_fr(&zone), "01/03/1985");
    }
}

#[test]
fn b15_partial_dates_keep_their_precision() {
    let doc = read_file(&Path::new(CORPUS).join("edge/B15.ndjson"));
    assert_eq!(doc.problems, []);
    let lines: Vec<(usize, &str)> = doc
        .items
        .iter()
        .map(|i| (i.line_or_entry, i.fhir_id.as_str()))
        .collect();
    assert_eq!(lines, [(1, "Condition/c1"), (2, "AllergyIntolerance/a1")]);
    let onsets: Vec<String> = doc
        .facts()
        .filter_map(|f| match f {
            Fact::ConditionRecorded(c) => c.onset,
            Fact::AllergyRecorded(a) => a.onset,
            _ => None,
        })
        .map(|m| m.display_fr(&jiff::tz::TimeZone::UTC))
        .collect();
    assert_eq!(onsets, ["2020", "06/2004"]);
}

#[test]
fn b16_conditional_references_never_reject_the_bundle() {
    let doc = read_file(&Path::new(CORPUS).join("edge/B16.json"));
    assert_eq!(doc.problems, []);
    assert_eq!(doc.items.len(), 2);
    let patient = PatientKey::fhir("00000000-0000-0000-0000-000000000001");
    let facts: Vec<&Fact> = doc.facts().collect();
    let Fact::StayUpdated(stay) = facts[1] else {
        panic!("a stay")
    };
    assert_eq!(stay.patient, patient);
    assert_eq!(
        stay.encounter.as_str(),
        "fhir:Encounter/00000000-0000-0000-0000-000000000002"
    );
    assert_eq!(stay.place.value().map(|p| p.unit.as_str()), Some("Ward 5"));
    let attending = stay
        .attending
        .as_ref()
        .expect("the practitioner reference is kept");
    assert_eq!(attending.reference, None);
    assert_eq!(attending.display.as_deref(), Some("Dr. Test Kilo"));
    let npi = attending
        .identifier
        .as_ref()
        .expect("an identifier to resolve later");
    assert_eq!(
        (npi.system.as_deref(), npi.value.as_str()),
        (Some("http://hl7.org/fhir/sid/us-npi"), "9999990001")
    );
    assert!(matches!(facts[2], Fact::Discharged { at: Some(at), .. } if at.day == 12));
}
