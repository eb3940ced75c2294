use ckisa_domain::{MedicationKind, PatientKey};

use super::*;

fn coded(code: Option<&str>, system: Option<&str>, text: &str) -> Coded {
    Coded {
        code: code.map(str::to_owned),
        system: system.map(str::to_owned),
        text: text.to_owned(),
    }
}

fn drug(text: &str) -> Coded {
    coded(None, None, text)
}

fn atc(code: &str, text: &str) -> Coded {
    coded(Some(code), Some("ATC"), text)
}

fn allergy(id: &str, substance: Coded) -> Allergy {
    Allergy {
        id: id.into(),
        patient: PatientKey("P1".into()),
        substance,
        category: None,
        severity: None,
        reactions: Vec::new(),
        onset: None,
        status: RecordStatus::Active,
    }
}

fn prescription(id: &str, drug: Coded) -> Medication {
    Medication {
        id: id.into(),
        patient: PatientKey("P1".into()),
        encounter: None,
        kind: MedicationKind::Order,
        drug,
        dose: Some("1 g".into()),
        route: Some("PO".into()),
        frequency: Some("Q6H".into()),
        start: None,
        end: None,
        prescriber: None,
        status: RecordStatus::Active,
        note: None,
    }
}

/// (severity, subject id) of each warning.
fn summary(warnings: &[Warning]) -> Vec<(Severity, String)> {
    warnings
        .iter()
        .map(|w| {
            let id = match &w.subject {
                Subject::Allergy(id) | Subject::Prescription(id) => id.clone(),
            };
            (w.severity, id)
        })
        .collect()
}

#[test]
fn allergies_match_by_text_class_and_atc_code() {
    use Severity::{Caution, Contraindication};
    let penicillins = allergy("al-peni", drug("Pénicillines"));
    let penicillins_atc = allergy("al-peni-atc", atc("J01CA", "Pénicillines"));
    let nsaids = allergy(
        "al-ains",
        atc("M01A", "AINS (anti-inflammatoires non stéroïdiens)"),
    );
    let aspirin = allergy("al-aspirine", drug("Aspirine"));
    let iodine = allergy("al-iode", drug("Iode (produits de contraste iodés)"));
    let latex = allergy("al-latex", coded(Some("LATEX"), Some("L"), "Latex"));
    let morphine = allergy("al-morph", drug("morphine"));
    let acetylsalicylic = allergy("al-asa", drug("Acide acétylsalicylique"));
    // (drug, allergy, expected warning)
    let table: Vec<(Coded, &Allergy, Option<Severity>)> = vec![
        (
            drug("AMOXICILLINE 1 g"),
            &penicillins,
            Some(Contraindication),
        ),
        (drug("amoxicilline"), &penicillins, Some(Contraindication)),
        (
            drug("Pipéracilline/tazobactam 4 g"),
            &penicillins,
            Some(Contraindication),
        ),
        (drug("Augmentin 1 g"), &penicillins, Some(Contraindication)),
        (drug("CEFTRIAXONE 1 g"), &penicillins, Some(Caution)),
        (drug("PARACETAMOL 1 g"), &penicillins, None),
        (
            atc("J01CA04", "CLAMOXYL"),
            &penicillins_atc,
            Some(Contraindication),
        ),
        (
            atc("J01DD04", "CEFTRIAXONE 1 g"),
            &penicillins_atc,
            Some(Caution),
        ),
        (drug("IBUPROFENE 400 mg"), &nsaids, Some(Contraindication)),
        (drug("Kétoprofène 100 mg"), &nsaids, Some(Contraindication)),
        (atc("M01AE03", "PROFENID"), &nsaids, Some(Contraindication)),
        (drug("KARDEGIC 75 mg"), &aspirin, Some(Contraindication)),
        (
            drug("acétylsalicylate de lysine 75 mg"),
            &aspirin,
            Some(Contraindication),
        ),
        (drug("IBUPROFENE 400 mg"), &aspirin, Some(Caution)),
        (drug("IOHEXOL 300 mg I/mL"), &iodine, Some(Contraindication)),
        (
            drug("Bétadine dermique 10 %"),
            &iodine,
            Some(Contraindication),
        ),
        (drug("AMIODARONE 200 mg"), &iodine, Some(Caution)),
        (drug("PARACETAMOL 1 g"), &iodine, None),
        (drug("GANTS LATEX"), &latex, Some(Contraindication)),
        (drug("AMOXICILLINE 1 g"), &latex, None),
        (
            drug("MORPHINE CHLORHYDRATE 10 mg/mL"),
            &morphine,
            Some(Contraindication),
        ),
        (drug("TRAMADOL 50 mg"), &morphine, Some(Caution)),
        (
            drug("AMOXICILLINE/ACIDE CLAVULANIQUE 1 g"),
            &acetylsalicylic,
            None,
        ),
        (
            drug("aspirine 500 mg"),
            &acetylsalicylic,
            Some(Contraindication),
        ),
    ];
    for (drug, allergy, expected) in table {
        let warnings = check(&drug, std::slice::from_ref(allergy), &[]);
        assert_eq!(
            warnings.first().map(|w| w.severity),
            expected,
            "{} against allergy « {} »: {warnings:?}",
            drug.text,
            allergy.substance.text
        );
        if let Some(warning) = warnings.first() {
            assert_eq!(warning.subject, Subject::Allergy(allergy.id.clone()));
            assert!(
                warning.message.contains(&allergy.substance.text),
                "the message names the allergy: {}",
                warning.message
            );
        }
    }
}

#[test]
fn allergy_messages_name_the_class_and_the_reaction() {
    let mut penicillins = allergy("al-1", drug("Pénicillines"));
    penicillins.reactions = vec!["Choc anaphylactique".into()];
    penicillins.severity = Some("SV".into());
    let warnings = check(&drug("AMOXICILLINE 1 g"), &[penicillins], &[]);
    assert_eq!(
        warnings[0].message,
        "AMOXICILLINE 1 g contient amoxicilline, de la classe des pénicillines : allergie connue \
         « Pénicillines » (réaction : Choc anaphylactique ; sévérité : SV)"
    );
    let aspirin = allergy("al-2", drug("Aspirine"));
    let warnings = check(&drug("IBUPROFENE 400 mg"), &[aspirin], &[]);
    assert_eq!(
        warnings[0].message,
        "IBUPROFENE 400 mg (ibuprofene) : réaction croisée possible avec l'allergie « Aspirine »"
    );
}

#[test]
fn inactive_allergies_are_ignored() {
    let mut old = allergy("al-old", drug("Pénicillines"));
    old.status = RecordStatus::Inactive;
    assert!(check(&drug("AMOXICILLINE 1 g"), &[old], &[]).is_empty());
}

#[test]
fn duplicates_and_same_class_prescriptions_are_flagged() {
    let current = [
        prescription("rx-para", atc("N02BE01", "PARACETAMOL 1 g")),
        prescription("rx-keto", atc("M01AE03", "KETOPROFENE 100 mg")),
        prescription(
            "rx-enox",
            atc("B01AB05", "ENOXAPARINE 4000 UI anti-Xa/0,4 mL"),
        ),
        prescription("rx-glar", atc("A10AE04", "INSULINE GLARGINE 100 UI/mL")),
        prescription("rx-nacl", drug("CHLORURE DE SODIUM 0,9 % 1000 mL")),
    ];
    // (drug, expected (severity, prescription id) warnings)
    let table: Vec<(Coded, Vec<(Severity, &str)>)> = vec![
        (
            atc("N02BE01", "PARACETAMOL 1 g/100 mL"),
            vec![(Severity::Caution, "rx-para")],
        ),
        (
            drug("Doliprane 1000 mg"),
            vec![(Severity::Caution, "rx-para")],
        ),
        (drug("paracétamol"), vec![(Severity::Caution, "rx-para")]),
        (
            atc("M01AE01", "IBUPROFENE 400 mg"),
            vec![(Severity::Info, "rx-keto")],
        ),
        (
            atc("B01AB01", "CALCIPARINE 5000 UI"),
            vec![(Severity::Info, "rx-enox")],
        ),
        (
            drug("Lovenox 4000 UI"),
            vec![(Severity::Caution, "rx-enox")],
        ),
        (atc("A10AB05", "INSULINE ASPARTE 100 UI/mL"), vec![]),
        (drug("CHLORURE DE POTASSIUM 600 mg"), vec![]),
        (
            drug("chlorure de sodium 0,9 %"),
            vec![(Severity::Caution, "rx-nacl")],
        ),
        (drug("FUROSEMIDE 40 mg"), vec![]),
    ];
    for (new, expected) in table {
        let warnings = check(&new, &[], &current);
        let expected: Vec<(Severity, String)> = expected
            .into_iter()
            .map(|(s, id)| (s, id.to_owned()))
            .collect();
        assert_eq!(summary(&warnings), expected, "{}", new.text);
    }
    let warnings = check(&drug("Doliprane 1000 mg"), &[], &current);
    assert_eq!(
        warnings[0].message,
        "doublon : paracetamol est déjà prescrit (PARACETAMOL 1 g, 1 g PO Q6H)"
    );
    let mut stopped = prescription("rx-old", drug("PARACETAMOL 1 g"));
    stopped.status = RecordStatus::Inactive;
    assert!(check(&drug("PARACETAMOL 1 g"), &[], &[stopped]).is_empty());
}

#[test]
fn warnings_come_most_serious_first() {
    let allergies = [allergy("al", drug("Pénicillines"))];
    let current = [prescription("rx", drug("AMOXICILLINE 500 mg"))];
    let warnings = check(&drug("AMOXICILLINE 1 g"), &allergies, &current);
    assert_eq!(
        summary(&warnings),
        [
            (Severity::Contraindication, "al".to_owned()),
            (Severity::Caution, "rx".to_owned())
        ]
    );
}

fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris").unwrap()
}

fn at(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

fn form(drug: &str, dose: &str, route: &str, frequency: &str, duration: &str) -> PrescriptionForm {
    PrescriptionForm {
        drug: drug.into(),
        dose: dose.into(),
        route: route.into(),
        frequency: frequency.into(),
        duration: duration.into(),
        comment: String::new(),
    }
}

#[test]
fn durations_are_read_and_end_on_the_same_clock_time() {
    let table = [
        ("5 j", Duration::Days(5)),
        ("7 jours", Duration::Days(7)),
        ("7jours", Duration::Days(7)),
        ("48 h", Duration::Hours(48)),
        ("48h", Duration::Hours(48)),
        ("2 semaines", Duration::Days(14)),
        ("1 Jour", Duration::Days(1)),
    ];
    for (text, expected) in table {
        assert_eq!(parse_duration(text), Ok(expected), "« {text} »");
    }
    for (text, message) in [
        (
            "cinq jours",
            "durée « cinq jours » non reconnue (exemples : 5 j, 7 jours, 48 h)",
        ),
        ("0 j", "durée « 0 j » nulle"),
        (
            "5 mois",
            "durée « 5 mois » non reconnue (exemples : 5 j, 7 jours, 48 h)",
        ),
        ("400 j", "durée « 400 j » trop longue (un an au plus)"),
    ] {
        assert_eq!(parse_duration(text), Err(message.to_owned()), "« {text} »");
    }
    let zone = paris();
    // Across the spring change: 5 days later at 08:00 is 119 hours later.
    let start = at("2026-03-27T08:00:00+01:00");
    assert_eq!(
        end_of(start, Duration::Days(5), &zone),
        Some(at("2026-04-01T08:00:00+02:00"))
    );
    assert_eq!(
        end_of(start, Duration::Hours(48), &zone),
        Some(start + 48 * 3_600_000)
    );
}

#[test]
fn a_complete_form_is_valid() {
    let zone = paris();
    let start = at("2026-01-15T10:00:00+01:00");
    let mut typed = form(
        " Amoxicilline 1 g ",
        "1 g",
        "per os",
        "3 fois par jour",
        "7 jours",
    );
    typed.comment = " pendant les repas ".into();
    let valid = validate(&typed, start, &zone).unwrap();
    assert_eq!(valid.drug, "Amoxicilline 1 g");
    assert_eq!(valid.route, "PO");
    assert_eq!(valid.schedule, Schedule::parse("3 fois par jour"));
    assert_eq!(valid.duration, Some(Duration::Days(7)));
    assert_eq!(valid.end_ms, Some(at("2026-01-22T10:00:00+01:00")));
    assert_eq!(valid.comment.as_deref(), Some("pendant les repas"));

    for (dose, route, frequency) in [
        ("500 mg", "IV", "toutes les 8 h"),
        ("1/2 cp", "PO", "1-0-1"),
        ("4000 UI", "SC", "le soir"),
        ("2 mg/h", "IVSE", "en continu"),
        ("0,5 mg", "sous-cutanée", "si besoin"),
    ] {
        let typed = form("Médicament", dose, route, frequency, "");
        let valid = validate(&typed, start, &zone)
            .unwrap_or_else(|e| panic!("{dose} {route} {frequency}: {e:?}"));
        assert_eq!(valid.end_ms, None);
    }
}

#[test]
fn every_error_of_a_form_is_reported_with_its_field() {
    let zone = paris();
    let start = at("2026-01-15T10:00:00+01:00");
    let errors = validate(&form("", "", "", "", ""), start, &zone).unwrap_err();
    let fields: Vec<FormField> = errors.iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        [
            FormField::Drug,
            FormField::Dose,
            FormField::Route,
            FormField::Frequency
        ]
    );
    let errors = validate(
        &form(
            "Paracétamol",
            "beaucoup",
            "anale",
            "2 fois par lune",
            "longtemps",
        ),
        start,
        &zone,
    )
    .unwrap_err();
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "dose « beaucoup » : une quantité et une unité sont attendues (exemple : 1 g, 500 mg)",
            "voie « anale » non reconnue (exemples : PO, IV, SC, IM, SL, inhalation)",
            "fréquence « 2 fois par lune » non reconnue (exemples : 1-0-1, 3 fois par jour, toutes les 8 h, si besoin)",
            "durée « longtemps » non reconnue (exemples : 5 j, 7 jours, 48 h)",
        ]
    );
    for (dose, message) in [
        ("1", "dose « 1 » : unité manquante (mg, g, mL, UI, cp...)"),
        ("0 mg", "dose « 0 mg » : la quantité doit être positive"),
        (
            "1 brouette",
            "dose « 1 brouette » : unité « brouette » non reconnue (mg, g, µg, mL, UI, cp, sachet, goutte, mg/h...)",
        ),
    ] {
        let errors = validate(&form("X", dose, "PO", "QD", ""), start, &zone).unwrap_err();
        assert_eq!(errors[0].message, message);
    }
}

#[test]
fn generic_and_brand_names_of_the_allergen_are_caught() {
    let bactrim = allergy("a1", drug("Sulfaméthoxazole-triméthoprime (Bactrim)"));
    let morphine = allergy("a2", drug("Morphine"));
    for (text, allergies) in [
        ("Cotrimoxazole 800 mg", &bactrim),
        ("ORAMORPH 10 mg/5 ml", &morphine),
        ("Moscontin LP 30 mg", &morphine),
    ] {
        let warnings = check(&drug(text), std::slice::from_ref(allergies), &[]);
        assert!(
            warnings
                .iter()
                .any(|w| w.severity == Severity::Contraindication),
            "{text}: {warnings:?}"
        );
    }
}
