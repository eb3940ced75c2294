use ckisa_domain::{Moment, ObservationCategory, PatientKey};

use super::*;

fn alert_normal() -> Vitals {
    Vitals {
        respiratory_rate: Some(16.0),
        spo2: Some(97.0),
        on_oxygen: Some(false),
        systolic: Some(120.0),
        pulse: Some(70.0),
        consciousness: Some(Consciousness::Alert),
        temperature: Some(37.0),
    }
}

/// The score of one parameter when it alone changes from a normal set.
fn single(change: impl Fn(&mut Vitals), parameter: Parameter, scale: Spo2Scale) -> Option<u8> {
    let mut vitals = alert_normal();
    change(&mut vitals);
    score(&vitals, scale).score(parameter)
}

#[test]
fn respiration_rate_thresholds() {
    let table = [
        (4.0, 3),
        (8.0, 3),
        (9.0, 1),
        (11.0, 1),
        (12.0, 0),
        (20.0, 0),
        (21.0, 2),
        (24.0, 2),
        (25.0, 3),
        (40.0, 3),
    ];
    for (rate, expected) in table {
        let got = single(
            |v| v.respiratory_rate = Some(rate),
            Parameter::RespiratoryRate,
            Spo2Scale::Scale1,
        );
        assert_eq!(got, Some(expected), "rate {rate}");
    }
}

#[test]
fn spo2_scale_1_thresholds() {
    let table = [
        (85.0, 3),
        (91.0, 3),
        (92.0, 2),
        (93.0, 2),
        (94.0, 1),
        (95.0, 1),
        (96.0, 0),
        (100.0, 0),
    ];
    for (spo2, expected) in table {
        for oxygen in [false, true] {
            let got = single(
                |v| {
                    v.spo2 = Some(spo2);
                    v.on_oxygen = Some(oxygen);
                },
                Parameter::Spo2,
                Spo2Scale::Scale1,
            );
            assert_eq!(got, Some(expected), "SpO2 {spo2} oxygen {oxygen}");
        }
    }
}

#[test]
fn spo2_scale_2_thresholds_depend_on_oxygen_from_93() {
    // (SpO2, on oxygen, expected score)
    let table = [
        (83.0, Some(false), Some(3)),
        (84.0, Some(true), Some(2)),
        (85.0, Some(false), Some(2)),
        (86.0, Some(true), Some(1)),
        (87.0, Some(false), Some(1)),
        (88.0, Some(true), Some(0)),
        (92.0, Some(true), Some(0)),
        (93.0, Some(false), Some(0)),
        (100.0, Some(false), Some(0)),
        (93.0, Some(true), Some(1)),
        (94.0, Some(true), Some(1)),
        (95.0, Some(true), Some(2)),
        (96.0, Some(true), Some(2)),
        (97.0, Some(true), Some(3)),
        (90.0, None, Some(0)),
        (95.0, None, None),
    ];
    for (spo2, oxygen, expected) in table {
        let got = single(
            |v| {
                v.spo2 = Some(spo2);
                v.on_oxygen = oxygen;
            },
            Parameter::Spo2,
            Spo2Scale::for_hypercapnic_target(true),
        );
        assert_eq!(got, expected, "SpO2 {spo2} oxygen {oxygen:?}");
    }
}

#[test]
fn oxygen_systolic_pulse_consciousness_and_temperature_thresholds() {
    let oxygen = [(false, 0), (true, 2)];
    for (on, expected) in oxygen {
        let got = single(
            |v| v.on_oxygen = Some(on),
            Parameter::AirOrOxygen,
            Spo2Scale::Scale1,
        );
        assert_eq!(got, Some(expected));
    }
    let systolic = [
        (70.0, 3),
        (90.0, 3),
        (91.0, 2),
        (100.0, 2),
        (101.0, 1),
        (110.0, 1),
        (111.0, 0),
        (219.0, 0),
        (220.0, 3),
    ];
    for (value, expected) in systolic {
        let got = single(
            |v| v.systolic = Some(value),
            Parameter::Systolic,
            Spo2Scale::Scale1,
        );
        assert_eq!(got, Some(expected), "systolic {value}");
    }
    let pulse = [
        (30.0, 3),
        (40.0, 3),
        (41.0, 1),
        (50.0, 1),
        (51.0, 0),
        (90.0, 0),
        (91.0, 1),
        (110.0, 1),
        (111.0, 2),
        (130.0, 2),
        (131.0, 3),
    ];
    for (value, expected) in pulse {
        let got = single(
            |v| v.pulse = Some(value),
            Parameter::Pulse,
            Spo2Scale::Scale1,
        );
        assert_eq!(got, Some(expected), "pulse {value}");
    }
    for level in Consciousness::ALL {
        let expected = if level == Consciousness::Alert { 0 } else { 3 };
        let got = single(
            |v| v.consciousness = Some(level),
            Parameter::Consciousness,
            Spo2Scale::Scale1,
        );
        assert_eq!(got, Some(expected), "{level:?}");
    }
    let temperature = [
        (34.0, 3),
        (35.0, 3),
        (35.1, 1),
        (36.0, 1),
        (36.1, 0),
        (38.0, 0),
        (38.1, 1),
        (39.0, 1),
        (39.1, 2),
        (41.0, 2),
    ];
    for (value, expected) in temperature {
        let got = single(
            |v| v.temperature = Some(value),
            Parameter::Temperature,
            Spo2Scale::Scale1,
        );
        assert_eq!(got, Some(expected), "temperature {value}");
    }
}

#[test]
fn escalation_levels_and_their_french_labels() {
    let normal = score(&alert_normal(), Spo2Scale::Scale1);
    assert_eq!((normal.total, normal.level), (0, Level::Routine));
    assert!(normal.is_complete());
    assert_eq!(normal.summary_fr(), "NEWS2 0 : risque faible");

    // 1-4 without a red score: low.
    let mut vitals = alert_normal();
    vitals.pulse = Some(95.0); // 1
    vitals.temperature = Some(38.5); // 1
    vitals.respiratory_rate = Some(22.0); // 2
    let low = score(&vitals, Spo2Scale::Scale1);
    assert_eq!((low.total, low.level), (4, Level::Low));
    assert_eq!(low.level.label_fr(), "faible - surveillance rapprochée");

    // A single 3 with a total under 5: low-medium.
    let mut vitals = alert_normal();
    vitals.consciousness = Some(Consciousness::NewConfusion);
    let red = score(&vitals, Spo2Scale::Scale1);
    assert_eq!((red.total, red.level), (3, Level::LowMedium));

    // 5-6: medium, whether or not a parameter scores 3.
    vitals.on_oxygen = Some(true);
    let medium = score(&vitals, Spo2Scale::Scale1);
    assert_eq!((medium.total, medium.level), (5, Level::Medium));
    assert_eq!(medium.summary_fr(), "NEWS2 5 : moyen - réponse urgente");
    vitals.pulse = Some(95.0);
    assert_eq!(score(&vitals, Spo2Scale::Scale1).level, Level::Medium);

    // 7 and more: high.
    vitals.temperature = Some(39.5);
    let high = score(&vitals, Spo2Scale::Scale1);
    assert_eq!((high.total, high.level), (8, Level::High));
    assert_eq!(high.level.label_fr(), "élevé - réponse d'urgence");
    assert!(Level::High > Level::Medium && Level::LowMedium > Level::Low);
}

#[test]
fn a_partial_score_says_what_is_missing() {
    let vitals = Vitals {
        respiratory_rate: Some(22.0),
        pulse: Some(120.0),
        ..Vitals::default()
    };
    let partial = score(&vitals, Spo2Scale::Scale1);
    assert!(!partial.is_complete());
    assert_eq!(partial.total, 4);
    assert_eq!(partial.level, Level::Low);
    assert_eq!(
        partial.missing,
        [
            Parameter::Spo2,
            Parameter::AirOrOxygen,
            Parameter::Systolic,
            Parameter::Consciousness,
            Parameter::Temperature
        ]
    );
    assert_eq!(partial.score(Parameter::Spo2), None);
    assert_eq!(
        partial.summary_fr(),
        "NEWS2 partiel ≥ 4 : faible - surveillance rapprochée (manque : SpO2, air ou oxygène, \
         pression artérielle systolique, conscience, température)"
    );
    let nothing = score(&Vitals::default(), Spo2Scale::Scale1);
    assert_eq!((nothing.total, nothing.missing.len()), (0, 7));
}

fn observation(code: &str, value: ObservationValue, effective: &str) -> Observation {
    Observation {
        id: format!("obs-{code}-{effective}"),
        patient: PatientKey("P1".into()),
        encounter: None,
        category: ObservationCategory::Vital,
        code: Coded {
            code: Some(code.into()),
            system: Some("LN".into()),
            text: String::new(),
        },
        value,
        reference_range: None,
        interpretation: None,
        effective: Moment::parse_iso(effective),
        status: Some("F".into()),
        report: None,
        notes: Vec::new(),
    }
}

fn number_value(value: &str, unit: &str) -> ObservationValue {
    ObservationValue::Quantity {
        value: value.into(),
        unit: Some(unit.into()),
    }
}

#[test]
fn latest_vitals_mix_his_values_and_typed_ones_newest_first() {
    let zone = TimeZone::get("Europe/Paris").unwrap();
    let [systolic, diastolic] = blood_pressure_components();
    let panel = ObservationValue::Components(vec![
        (systolic, Box::new(number_value("95", "mm[Hg]"))),
        (diastolic, Box::new(number_value("60", "mm[Hg]"))),
    ]);
    let mut void = observation(
        "8867-4",
        number_value("200", "/min"),
        "2026-01-15T11:00:00+01:00",
    );
    void.status = Some("entered-in-error".into());
    let mut by_name = observation(
        "X-FR",
        number_value("18", "/min"),
        "2026-01-15T10:00:00+01:00",
    );
    by_name.code = Coded {
        code: Some("FR".into()),
        system: Some("L".into()),
        text: "Fréquence respiratoire".into(),
    };
    let observations = [
        observation(
            "8867-4",
            number_value("88", "/min"),
            "2026-01-15T08:00:00+01:00",
        ),
        observation(
            "8867-4",
            number_value("112", "/min"),
            "2026-01-15T10:00:00+01:00",
        ),
        void,
        observation("85354-9", panel, "2026-01-15T10:00:00+01:00"),
        observation(
            "2708-6",
            number_value("93", "%"),
            "2026-01-15T10:00:00+01:00",
        ),
        observation(
            "3151-8",
            number_value("2", "L/min"),
            "2026-01-15T10:00:00+01:00",
        ),
        observation(
            "8331-1",
            number_value("101,3", "[degF]"),
            "2026-01-15T10:00:00+01:00",
        ),
        observation(
            "80288-4",
            ObservationValue::Text("V".into()),
            "2026-01-15T10:00:00+01:00",
        ),
        observation(
            "72514-3",
            number_value("6", "{score}"),
            "2026-01-15T10:00:00+01:00",
        ),
        observation(
            "29463-7",
            number_value("72500", "g"),
            "2026-01-15T10:00:00+01:00",
        ),
        by_name,
        // No time: cannot be placed, so not used.
        observation("8310-5", number_value("40", "Cel"), "2026-01-15"),
    ];
    let latest = latest_vitals(&observations, &zone);
    let vitals = latest.vitals;
    assert_eq!(vitals.pulse, Some(112.0));
    assert_eq!(
        (vitals.systolic, latest.diastolic),
        (Some(95.0), Some(60.0))
    );
    assert_eq!(vitals.spo2, Some(93.0));
    assert_eq!(vitals.on_oxygen, Some(true));
    assert!((vitals.temperature.unwrap() - 38.5).abs() < 0.01);
    assert_eq!(vitals.consciousness, Some(Consciousness::Voice));
    assert_eq!(vitals.respiratory_rate, Some(18.0));
    assert_eq!(latest.pain, Some(6.0));
    assert_eq!(latest.weight_kg, Some(72.5));
    let ten = 1_768_467_600_000; // 2026-01-15T10:00:00+01:00
    assert_eq!(latest.taken(Parameter::Pulse), Some(ten));
    assert_eq!(latest.oldest_ms(), Some(ten));

    let news = score(&vitals, Spo2Scale::Scale1);
    assert!(news.is_complete());
    // resp 0, SpO2 2, oxygen 2, systolic 2, pulse 2, V 3, temp 1.
    assert_eq!((news.total, news.level), (12, Level::High));
}

#[test]
fn separate_systolic_and_text_pressures_are_read() {
    let zone = TimeZone::get("Europe/Paris").unwrap();
    let observations = [
        observation(
            "8480-6",
            number_value("150", "mm[Hg]"),
            "2026-01-15T08:00:00+01:00",
        ),
        observation(
            "8462-4",
            number_value("85", "mm[Hg]"),
            "2026-01-15T08:00:00+01:00",
        ),
    ];
    let latest = latest_vitals(&observations, &zone);
    assert_eq!(
        (latest.vitals.systolic, latest.diastolic),
        (Some(150.0), Some(85.0))
    );
    let text = [observation(
        "55284-4",
        ObservationValue::Text("132/78".into()),
        "2026-01-15T09:00:00+01:00",
    )];
    let latest = latest_vitals(&text, &zone);
    assert_eq!(
        (latest.vitals.systolic, latest.diastolic),
        (Some(132.0), Some(78.0))
    );
}

#[test]
fn every_vital_kind_has_its_own_loinc_code_and_unit() {
    let codes: Vec<String> = VitalKind::ALL
        .iter()
        .map(|k| vital_code(*k).code.unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "8310-5", "8867-4", "85354-9", "59408-5", "9279-1", "80288-4", "72514-3", "29463-7"
        ]
    );
    assert!(
        VitalKind::ALL
            .iter()
            .all(|k| vital_code(*k).system.as_deref() == Some("http://loinc.org"))
    );
    assert_eq!(VitalKind::Temperature.unit_ucum(), Some("Cel"));
    assert_eq!(VitalKind::BloodPressure.unit_ucum(), Some("mm[Hg]"));
    assert_eq!(VitalKind::Consciousness.unit_ucum(), None);
    let [systolic, diastolic] = blood_pressure_components();
    assert_eq!(
        (systolic.code.as_deref(), diastolic.code.as_deref()),
        (Some("8480-6"), Some("8462-4"))
    );
}

#[test]
fn typed_vitals_are_checked_with_french_errors() {
    let ok = validate_vital(VitalKind::Temperature, " 38,5 ").unwrap();
    assert_eq!(
        ok,
        ObservationValue::Quantity {
            value: "38.5".into(),
            unit: Some("Cel".into())
        }
    );
    let errors: &[(VitalKind, &str, &str)] = &[
        (
            VitalKind::Temperature,
            "52",
            "Température 52 °C hors des limites plausibles (25–45 °C)",
        ),
        (
            VitalKind::Temperature,
            "24,9",
            "Température 24,9 °C hors des limites plausibles (25–45 °C)",
        ),
        (
            VitalKind::HeartRate,
            "300",
            "Fréquence cardiaque 300/min hors des limites plausibles (20–250/min)",
        ),
        (
            VitalKind::Spo2,
            "101",
            "SpO2 101 % hors des limites plausibles (50–100 %)",
        ),
        (
            VitalKind::Weight,
            "0,2",
            "Poids 0,2 kg hors des limites plausibles (0,3–400 kg)",
        ),
        (
            VitalKind::HeartRate,
            "soixante",
            "Fréquence cardiaque : « soixante » n'est pas un nombre (exemple : 72)",
        ),
        (VitalKind::Pain, "", "Douleur (EVA) : valeur manquante"),
        (
            VitalKind::Pain,
            "3,5",
            "Douleur (EVA) 3,5 : un entier de 0 à 10 est attendu",
        ),
        (
            VitalKind::BloodPressure,
            "120",
            "Pression artérielle : « 120 » n'est pas de la forme systolique/diastolique (exemple : 120/80)",
        ),
        (
            VitalKind::BloodPressure,
            "80/120",
            "Pression artérielle 80/120 : la systolique doit être supérieure à la diastolique",
        ),
        (
            VitalKind::BloodPressure,
            "120/10",
            "Pression artérielle diastolique 10 mmHg hors des limites plausibles (20–200 mmHg)",
        ),
        (
            VitalKind::Consciousness,
            "Z",
            "Conscience : « Z » n'est pas un niveau ACVPU (A, C, V, P ou U)",
        ),
    ];
    for (kind, text, message) in errors {
        let error = validate_vital(*kind, text).expect_err(text);
        assert_eq!(error.to_string(), *message, "{kind:?} « {text} »");
    }
    // Limits are inclusive.
    assert!(validate_vital(VitalKind::Temperature, "25").is_ok());
    assert!(validate_vital(VitalKind::Temperature, "45").is_ok());
    assert!(validate_vital(VitalKind::Pain, "10").is_ok());

    let ObservationValue::Components(parts) =
        validate_vital(VitalKind::BloodPressure, "120/80").unwrap()
    else {
        panic!("a blood pressure is a panel");
    };
    assert_eq!(parts[0].0.code.as_deref(), Some("8480-6"));
    assert_eq!(*parts[1].1, number_value("80", "mm[Hg]"));
    let ObservationValue::Coded(level) =
        validate_vital(VitalKind::Consciousness, "confus").unwrap()
    else {
        panic!("consciousness is coded");
    };
    assert_eq!(level.code.as_deref(), Some("C"));
}
