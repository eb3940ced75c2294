use std::collections::HashSet;

use ckisa_domain::{Moment, ObservationCategory, PatientKey};

use super::*;

#[test]
fn damm_check_digits() {
    // The published example: 572 has check digit 4, and 5724 checks to 0.
    assert_eq!(check_digit("572"), Some(4));
    assert_eq!(check_digit("5724"), Some(0));
    assert_eq!(check_digit(""), Some(0));
    assert_eq!(check_digit("12a"), None);
}

#[test]
fn request_ids_are_short_unique_and_derived_from_the_event_time() {
    // 2026-01-15T09:00:00Z is 379 days and 9 hours after the origin.
    let at_ms = 1_768_467_600_000;
    let id = request_id(at_ms, |_| false).unwrap();
    assert_eq!(id.len(), 13);
    assert!(id.starts_with("DT0327780000"), "{id}");
    assert_eq!(check_digit(&id[2..]), Some(0));
    assert_eq!(parse_label(&id), Ok(id.clone()));

    // Requests in the same tenth of a second get the next free ids.
    let mut taken = HashSet::new();
    for _ in 0..5 {
        let next = request_id(at_ms + 42, |candidate| taken.contains(candidate)).unwrap();
        assert!(taken.insert(next));
    }
    assert_eq!(taken.len(), 5);
    let counters: HashSet<&str> = taken.iter().map(|id| &id[2..12]).collect();
    assert!(counters.contains("0327780000") && counters.contains("0327780004"));
    assert_eq!(request_id(at_ms, |_| true), None);

    // A clock before the origin still gives a valid id.
    let early = request_id(0, |_| false).unwrap();
    assert_eq!(parse_label(&early), Ok(early.clone()));
}

#[test]
fn labels_are_printed_in_groups() {
    assert_eq!(label_text("DT03277800001"), "DT 0327 7800 001");
    assert_eq!(label_text("XYZ"), "XYZ");
}

#[test]
fn scanned_and_typed_labels_read_back_to_the_id() {
    let id = request_id(1_768_467_600_000, |_| false).unwrap();
    let digits = &id[2..];
    let azerty: String = digits
        .chars()
        .map(|c| match c {
            '1' => '&',
            '2' => 'é',
            '3' => '"',
            '4' => '\'',
            '5' => '(',
            '6' => '-',
            '7' => 'è',
            '8' => '_',
            '9' => 'ç',
            _ => 'à',
        })
        .collect();
    let variants = [
        id.clone(),
        format!("  {id}\r\n"),
        format!("{id}\t"),
        id.to_lowercase(),
        label_text(&id),
        label_text(&id).replace(' ', "-"),
        format!("]C0{id}"),
        format!("*{id}*"),
        format!("DT{azerty}\r"),
    ];
    for scanned in variants {
        assert_eq!(parse_label(&scanned), Ok(id.clone()), "{scanned:?}");
    }
}

#[test]
fn a_mistyped_or_foreign_label_is_refused() {
    let id = request_id(1_768_467_600_000, |_| false).unwrap();
    let bytes = id.as_bytes();
    // Every single wrong digit, at every position.
    for position in 2..bytes.len() {
        for digit in b'0'..=b'9' {
            if digit == bytes[position] {
                continue;
            }
            let mut wrong = bytes.to_vec();
            wrong[position] = digit;
            let wrong = String::from_utf8(wrong).unwrap();
            assert_eq!(
                parse_label(&wrong),
                Err(LabelError::CheckDigit(wrong.clone()))
            );
        }
    }
    // Every swap of two different adjacent digits.
    for position in 2..bytes.len() - 1 {
        if bytes[position] == bytes[position + 1] {
            continue;
        }
        let mut swapped = bytes.to_vec();
        swapped.swap(position, position + 1);
        let swapped = String::from_utf8(swapped).unwrap();
        assert!(
            matches!(parse_label(&swapped), Err(LabelError::CheckDigit(_))),
            "{swapped}"
        );
    }
    assert_eq!(parse_label("  \r\n"), Err(LabelError::Empty));
    assert_eq!(
        parse_label("IPP 12345"),
        Err(LabelError::NotALabId("IPP 12345".into()))
    );
    assert_eq!(
        parse_label("DT1234"),
        Err(LabelError::WrongLength("DT1234".into()))
    );
    assert_eq!(
        LabelError::CheckDigit("DT03277800003".into()).to_string(),
        "« DT03277800003 » : chiffre de contrôle faux, numéro mal saisi ou mal lu ; ressaisir ou rescanner"
    );
}

fn loinc(code: &str) -> Coded {
    Coded {
        code: Some(code.into()),
        system: Some("LN".into()),
        text: String::new(),
    }
}

fn named(text: &str) -> Coded {
    Coded {
        code: None,
        system: None,
        text: text.into(),
    }
}

fn check(code: &Coded, value: &str, unit: Option<&str>) -> Option<Direction> {
    critical(&LabValue {
        code,
        value,
        unit,
        interpretation: None,
    })
    .map(|c| c.direction)
}

#[test]
fn critical_value_table_with_its_boundaries() {
    use Direction::{High, Low};
    let table: &[(&str, &str, Option<&str>, Option<Direction>)] = &[
        ("2823-3", "2.7", Some("mmol/L"), Some(Low)),
        ("2823-3", "2,8", Some("mmol/L"), None),
        ("2823-3", "6.2", Some("mmol/L"), None),
        ("2823-3", "6.3", Some("mmol/L"), Some(High)),
        ("6298-4", "7", Some("mEq/L"), Some(High)),
        ("2951-2", "119", Some("mmol/L"), Some(Low)),
        ("2951-2", "120", Some("mmol/L"), None),
        ("2951-2", "160", Some("mmol/L"), None),
        ("2951-2", "161", Some("mmol/L"), Some(High)),
        ("14749-6", "2.7", Some("mmol/L"), Some(Low)),
        ("14749-6", "2.8", Some("mmol/L"), None),
        ("14749-6", "25", Some("mmol/L"), None),
        ("14749-6", "25.1", Some("mmol/L"), Some(High)),
        ("2345-7", "40", Some("mg/dL"), Some(Low)),
        ("2345-7", "100", Some("mg/dL"), None),
        ("2345-7", "500", Some("mg/dL"), Some(High)),
        ("14749-6", "0,45", Some("g/L"), Some(Low)),
        ("14749-6", "4,6", Some("g/L"), Some(High)),
        ("718-7", "6.9", Some("g/dL"), Some(Low)),
        ("718-7", "7", Some("g/dL"), None),
        ("718-7", "65", Some("g/L"), Some(Low)),
        ("718-7", "70", Some("g/L"), None),
        ("20509-6", "6.5", Some("g/dL"), Some(Low)),
        ("777-3", "19", Some("10*9/L"), Some(Low)),
        ("777-3", "20", Some("G/L"), None),
        ("777-3", "15000", Some("/mm3"), Some(Low)),
        ("777-3", "900", Some("10*9/L"), None),
        ("6301-6", "5", None, None),
        ("6301-6", "5.1", None, Some(High)),
        ("34714-6", "6", Some("{INR}"), Some(High)),
        ("67151-1", "14", Some("ng/L"), None),
        ("67151-1", "15", Some("ng/L"), Some(High)),
        ("6598-7", "0.1", Some("ng/mL"), Some(High)),
        ("89579-7", "26", Some("ng/L"), None),
        ("89579-7", "27", Some("pg/mL"), Some(High)),
        // Comparators: `<2.0` is surely below 2.8, `<5` says nothing.
        ("2823-3", "<2.0", Some("mmol/L"), Some(Low)),
        ("2823-3", "<5", Some("mmol/L"), None),
        ("14749-6", ">33.3", Some("mmol/L"), Some(High)),
        ("14749-6", ">10", Some("mmol/L"), None),
        // An unknown unit is not judged on its value.
        ("2823-3", "9", Some("mg/L"), None),
        // Not a number, not in the table.
        ("2823-3", "hémolysé", Some("mmol/L"), None),
        ("1988-5", "300", Some("mg/L"), None),
    ];
    for (code, value, unit, expected) in table {
        assert_eq!(
            check(&loinc(code), value, *unit),
            *expected,
            "{code} {value} {unit:?}"
        );
    }
}

#[test]
fn results_named_in_text_are_recognised() {
    use Direction::{High, Low};
    let table: &[(&str, &str, Option<Direction>)] = &[
        ("Kaliémie", "6,5", Some(High)),
        ("K+", "2.5", Some(Low)),
        ("Natrémie", "118", Some(Low)),
        ("Glycémie capillaire", "1,9", Some(Low)),
        ("HEMOGLOBIN", "5.2", Some(Low)),
        ("Plaquettes", "12", Some(Low)),
        ("INR", "6,2", Some(High)),
        ("Troponine T hypersensible", "80", Some(High)),
        ("Troponine I", "30", Some(High)),
        ("Troponine", "3000", None),
        ("Vitamine K", "1", None),
        ("HbA1c", "5", None),
    ];
    for (text, value, expected) in table {
        assert_eq!(
            check(&named(text), value, None),
            *expected,
            "{text} {value}"
        );
    }
}

#[test]
fn a_critical_flag_from_the_sender_is_respected() {
    let crp = loinc("1988-5");
    let result = |flag: &'static str| LabValue {
        code: &crp,
        value: "300",
        unit: Some("mg/L"),
        interpretation: Some(flag),
    };
    for flag in ["HH", "LL", "AA", "hh", "H~HH", "critique", "critical"] {
        let found = critical(&result(flag)).expect(flag);
        assert_eq!(found.direction, Direction::Flagged, "{flag}");
    }
    for flag in ["H", "L", "A", "N", ""] {
        assert_eq!(critical(&result(flag)), None, "{flag}");
    }
    let flagged = critical(&result("HH")).unwrap();
    assert_eq!(
        flagged.message,
        "1988-5 300 mg/L : signalé critique par le laboratoire (HH)"
    );
}

#[test]
fn critical_messages_and_observations() {
    let observation = Observation {
        id: "obs-k".into(),
        patient: PatientKey("P1".into()),
        encounter: None,
        category: ObservationCategory::Lab,
        code: Coded {
            code: Some("2823-3".into()),
            system: Some("LN".into()),
            text: "Kaliémie".into(),
        },
        value: ObservationValue::Quantity {
            value: "6.8".into(),
            unit: Some("mmol/L".into()),
        },
        reference_range: Some("3.5-5.0".into()),
        interpretation: Some("H".into()),
        effective: Moment::parse_iso("2026-01-15T10:00:00+01:00"),
        status: Some("F".into()),
        report: None,
        notes: Vec::new(),
    };
    let found = critical_observation(&observation).unwrap();
    assert_eq!(found.analyte, "Potassium (kaliémie)");
    assert_eq!(found.direction, Direction::High);
    assert_eq!(
        found.message,
        "Potassium (kaliémie) 6.8 mmol/L : valeur critique (> 6,2 mmol/L)"
    );
    let inr = critical(&LabValue {
        code: &loinc("6301-6"),
        value: "7",
        unit: None,
        interpretation: None,
    })
    .unwrap();
    assert_eq!(inr.message, "INR 7 : valeur critique (> 5)");
}
