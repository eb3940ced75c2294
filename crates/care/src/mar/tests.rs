use ckisa_domain::{AdministrationOutcome, Coded, PatientKey};

use super::*;

fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris").expect("the bundled tz database knows Europe/Paris")
}

/// ms of an RFC 3339 instant.
fn at(text: &str) -> i64 {
    text.parse::<Timestamp>()
        .expect("a valid instant in the test")
        .as_millisecond()
}

/// Local clock times (`HH:MM`) of planned doses, in Paris.
fn clock(planned: &[Planned]) -> Vec<String> {
    let zone = paris();
    planned
        .iter()
        .map(|p| {
            let civil = zone.to_datetime(Timestamp::from_millisecond(p.at_ms).unwrap());
            format!("{:02}:{:02}", civil.hour(), civil.minute())
        })
        .collect()
}

fn minutes(schedule: &Schedule) -> Vec<u16> {
    match schedule {
        Schedule::Daily(doses) => doses.iter().map(|d| d.minute).collect(),
        other => panic!("not a daily schedule: {other:?}"),
    }
}

fn medication(id: &str, frequency: &str) -> Medication {
    Medication {
        id: id.into(),
        patient: PatientKey("P1".into()),
        encounter: None,
        kind: MedicationKind::Order,
        drug: Coded {
            code: Some("N02BE01".into()),
            system: Some("ATC".into()),
            text: "PARACETAMOL 1 g".into(),
        },
        dose: Some("1 g".into()),
        route: Some("PO".into()),
        frequency: Some(frequency.into()),
        start: Moment::parse_iso("2026-01-10T08:00:00+01:00"),
        end: None,
        prescriber: None,
        status: RecordStatus::Active,
        note: None,
    }
}

fn given(medication: &str, planned: Option<&str>, real: &str) -> Administration {
    Administration {
        id: format!("adm-{medication}-{real}"),
        patient: PatientKey("P1".into()),
        encounter: None,
        medication: medication.into(),
        drug: Coded::default(),
        planned: planned.map(|p| Moment::parse_iso(p).expect("valid planned time")),
        at: Moment::parse_iso(real).expect("valid real time"),
        outcome: AdministrationOutcome::Given {
            dose: "1 g".into(),
            route: "PO".into(),
        },
        by: "IDE Une".into(),
        comment: None,
    }
}

const H: u16 = 60;

#[test]
fn frequencies_as_written_become_clock_times() {
    let table: &[(&str, &[u16])] = &[
        ("1-0-1", &[8 * H, 18 * H]),
        ("1-1-1-1", &[8 * H, 12 * H, 18 * H, 22 * H]),
        ("0-1-0", &[12 * H]),
        ("1 – 0 – 1", &[8 * H, 18 * H]),
        ("x3/j", &[8 * H, 12 * H, 18 * H]),
        ("X 3 / J", &[8 * H, 12 * H, 18 * H]),
        ("3x/j", &[8 * H, 12 * H, 18 * H]),
        ("3/j", &[8 * H, 12 * H, 18 * H]),
        ("3 fois par jour", &[8 * H, 12 * H, 18 * H]),
        ("3 fois/jour", &[8 * H, 12 * H, 18 * H]),
        (
            "trois fois par jour avant les repas",
            &[8 * H, 12 * H, 18 * H],
        ),
        ("TID", &[8 * H, 12 * H, 18 * H]),
        ("2 fois par jour", &[8 * H, 18 * H]),
        ("BID", &[8 * H, 18 * H]),
        ("matin et soir", &[8 * H, 18 * H]),
        ("matin, midi et soir", &[8 * H, 12 * H, 18 * H]),
        ("QID", &[8 * H, 12 * H, 18 * H, 22 * H]),
        ("QD", &[8 * H]),
        ("Q1D", &[8 * H]),
        ("une fois par jour", &[8 * H]),
        ("1 fois par jour", &[8 * H]),
        ("tous les jours", &[8 * H]),
        (
            "toutes les heures",
            &(0..24).map(|h| h * H).collect::<Vec<_>>(),
        ),
        ("le matin", &[8 * H]),
        ("QAM", &[8 * H]),
        ("le soir", &[18 * H]),
        ("QPM", &[18 * H]),
        ("au coucher", &[22 * H]),
        ("QHS", &[22 * H]),
        ("au petit déjeuner", &[8 * H]),
        ("avant les repas", &[8 * H, 12 * H, 18 * H]),
        ("toutes les 6 h", &[0, 6 * H, 12 * H, 18 * H]),
        ("toutes les 6 heures", &[0, 6 * H, 12 * H, 18 * H]),
        ("toutes les 6h", &[0, 6 * H, 12 * H, 18 * H]),
        ("q6h", &[0, 6 * H, 12 * H, 18 * H]),
        ("Q6H", &[0, 6 * H, 12 * H, 18 * H]),
        ("/6h", &[0, 6 * H, 12 * H, 18 * H]),
        ("Q8H", &[6 * H, 14 * H, 22 * H]),
        ("toutes les 8 heures", &[6 * H, 14 * H, 22 * H]),
        ("Q12H", &[8 * H, 20 * H]),
        ("Q24H", &[8 * H]),
        ("Q4H", &[2 * H, 6 * H, 10 * H, 14 * H, 18 * H, 22 * H]),
        ("1 fois toutes les 8 heures", &[6 * H, 14 * H, 22 * H]),
        ("3 fois par 24 h", &[8 * H, 12 * H, 18 * H]),
    ];
    for (text, expected) in table {
        let schedule = Schedule::parse(text);
        assert_eq!(minutes(&schedule), *expected, "« {text} »");
    }
}

#[test]
fn quantities_of_a_moments_pattern_are_kept() {
    let Schedule::Daily(doses) = Schedule::parse("2-0-1/2") else {
        panic!("2-0-1/2 is a daily schedule");
    };
    assert_eq!(
        doses,
        [
            DailyDose {
                minute: 8 * H,
                quantity: Some(2.0)
            },
            DailyDose {
                minute: 18 * H,
                quantity: Some(0.5)
            },
        ]
    );
    assert_eq!(
        Schedule::parse("2-0-1/2").label_fr(),
        "08:00 (×2), 18:00 (×0,5)"
    );
    assert_eq!(Schedule::parse("0,5-0-0").label_fr(), "08:00 (×0,5)");
    assert_eq!(Schedule::parse("1-0-1").label_fr(), "08:00, 18:00");
    let labels = [
        ("toutes les 36 h", "toutes les 36 h"),
        ("QOD", "tous les 2 jours"),
        ("1 fois par semaine", "toutes les semaines"),
        ("Q2W", "toutes les 2 semaines"),
        ("STAT", "dose unique"),
        ("en continu", "en continu"),
        ("Q4H PRN", "si besoin (4 h minimum entre deux prises)"),
        ("PRN", "si besoin"),
    ];
    for (text, label) in labels {
        assert_eq!(Schedule::parse(text).label_fr(), label, "« {text} »");
    }
}

#[test]
fn if_needed_continuous_interval_and_single_doses() {
    let table: &[(&str, Schedule)] = &[
        (
            "si besoin",
            Schedule::AsNeeded {
                min_interval_minutes: None,
            },
        ),
        (
            "PRN",
            Schedule::AsNeeded {
                min_interval_minutes: None,
            },
        ),
        (
            "Q4H PRN",
            Schedule::AsNeeded {
                min_interval_minutes: Some(240),
            },
        ),
        (
            "toutes les 4 heures si douleur",
            Schedule::AsNeeded {
                min_interval_minutes: Some(240),
            },
        ),
        (
            "1 fois toutes les 4 à 6 heures, si besoin",
            Schedule::AsNeeded {
                min_interval_minutes: Some(240),
            },
        ),
        (
            "2 fois toutes les 2 semaines, si besoin",
            Schedule::AsNeeded {
                min_interval_minutes: Some(7 * 24 * 60),
            },
        ),
        ("en continu", Schedule::Continuous),
        ("en continu sur 24 heures", Schedule::Continuous),
        ("IVSE", Schedule::Continuous),
        ("perfusion continue", Schedule::Continuous),
        ("toutes les 36 h", Schedule::Interval { minutes: 36 * 60 }),
        (
            "tous les 2 jours",
            Schedule::Interval {
                minutes: 2 * 24 * 60,
            },
        ),
        (
            "QOD",
            Schedule::Interval {
                minutes: 2 * 24 * 60,
            },
        ),
        (
            "un jour sur deux",
            Schedule::Interval {
                minutes: 2 * 24 * 60,
            },
        ),
        (
            "1 fois par semaine",
            Schedule::Interval {
                minutes: 7 * 24 * 60,
            },
        ),
        ("STAT", Schedule::Once),
        ("dose unique", Schedule::Once),
    ];
    for (text, expected) in table {
        assert_eq!(&Schedule::parse(text), expected, "« {text} »");
    }
}

#[test]
fn unreadable_frequencies_keep_their_text_and_ask_for_details() {
    for text in [
        "2 fois par lune",
        "toutes les 4 à 6 heures",
        "toutes les 10 min",
        "1-1",
        "0-0-0",
        "selon glycémie",
        "Q7X",
    ] {
        let schedule = Schedule::parse(text);
        assert_eq!(
            schedule,
            Schedule::Unreadable(text.to_owned()),
            "« {text} »"
        );
        assert_eq!(schedule.label_fr(), format!("à préciser : « {text} »"));
    }
    let mut none = medication("rx", "");
    none.frequency = None;
    assert_eq!(
        Schedule::of(&none),
        Schedule::Unreadable("fréquence absente".into())
    );
    let mut no_start = medication("rx", "toutes les 36 h");
    no_start.start = None;
    assert_eq!(
        Schedule::of(&no_start),
        Schedule::Unreadable("toutes les 36 h (début inconnu)".into())
    );
    assert!(planned(&no_start, i64::MIN + 1, i64::MAX, &paris(), &[7, 14, 21]).is_empty());
}

#[test]
fn demo_codes_are_qualified_by_the_instructions_that_restate_them() {
    // The demo writes TQ1-3 `Q24H` for an infusion and `Q4H` for morphine
    // « si douleur »; RXE-7 carries the French instructions.
    let mut infusion = medication("nacl", "Q24H");
    infusion.note = Some("1000 mL intraveineuse en continu sur 24 heures".into());
    assert_eq!(Schedule::of(&infusion), Schedule::Continuous);

    let mut morphine = medication("morph", "Q4H");
    morphine.note = Some("5 mg sous-cutanée toutes les 4 heures si douleur".into());
    assert_eq!(
        Schedule::of(&morphine),
        Schedule::AsNeeded {
            min_interval_minutes: Some(240)
        }
    );

    // A remark that does not restate the frequency never hides a dose.
    let mut remark = medication("para", "Q6H");
    remark.note = Some("si douleur persistante, appeler l'interne".into());
    assert_eq!(minutes(&Schedule::of(&remark)), [0, 6 * H, 12 * H, 18 * H]);
    let mut plain = medication("para", "Q6H");
    plain.note = Some("1 g per os toutes les 6 heures".into());
    assert_eq!(minutes(&Schedule::of(&plain)), [0, 6 * H, 12 * H, 18 * H]);
    let mut bid = medication("apix", "BID");
    bid.note = Some("en continu".into());
    assert_eq!(minutes(&Schedule::of(&bid)), [8 * H, 18 * H]);
}

#[test]
fn shift_window_covers_the_current_and_the_next_shift() {
    let zone = paris();
    let shifts = [7, 14, 21];
    let table: &[(&str, &str, &str)] = &[
        // now, start, end (winter, +01:00)
        (
            "2026-01-15T10:00:00+01:00",
            "2026-01-15T07:00:00+01:00",
            "2026-01-15T21:00:00+01:00",
        ),
        (
            "2026-01-15T03:00:00+01:00",
            "2026-01-14T21:00:00+01:00",
            "2026-01-15T14:00:00+01:00",
        ),
        (
            "2026-01-15T14:00:00+01:00",
            "2026-01-15T14:00:00+01:00",
            "2026-01-16T07:00:00+01:00",
        ),
        (
            "2026-01-15T13:59:59+01:00",
            "2026-01-15T07:00:00+01:00",
            "2026-01-15T21:00:00+01:00",
        ),
        (
            "2026-01-15T22:00:00+01:00",
            "2026-01-15T21:00:00+01:00",
            "2026-01-16T14:00:00+01:00",
        ),
        // Spring forward on 29/03/2026: the night shift lasts 9 hours.
        (
            "2026-03-29T05:00:00+02:00",
            "2026-03-28T21:00:00+01:00",
            "2026-03-29T14:00:00+02:00",
        ),
        // Fall back on 25/10/2026: the night shift lasts 11 hours.
        (
            "2026-10-25T02:30:00+01:00",
            "2026-10-24T21:00:00+02:00",
            "2026-10-25T14:00:00+01:00",
        ),
    ];
    for (now, start, end) in table {
        assert_eq!(
            shift_window(at(now), &zone, &shifts),
            (at(start), at(end)),
            "now {now}"
        );
    }
    let (start, _) = shift_window(at("2026-03-29T05:00:00+02:00"), &zone, &shifts);
    let (night_end, _) = shift_window(at("2026-03-29T08:00:00+02:00"), &zone, &shifts);
    assert_eq!(night_end - start, 9 * 3_600_000);
    let (start, _) = shift_window(at("2026-10-25T05:00:00+01:00"), &zone, &shifts);
    let (night_end, _) = shift_window(at("2026-10-25T08:00:00+01:00"), &zone, &shifts);
    assert_eq!(night_end - start, 11 * 3_600_000);
}

#[test]
fn shift_hours_are_cleaned_and_a_missing_hour_moves_out_of_the_gap() {
    let zone = paris();
    let now = at("2026-01-15T10:00:00+01:00");
    assert_eq!(
        shift_window(now, &zone, &[21, 7, 30, 14, 7]),
        shift_window(now, &zone, &[7, 14, 21])
    );
    assert_eq!(
        shift_window(now, &zone, &[]),
        (
            at("2026-01-15T00:00:00+01:00"),
            at("2026-01-17T00:00:00+01:00")
        )
    );
    // A shift at 02:00 on the spring-forward day starts at 03:00 summer time.
    assert_eq!(
        shift_window(at("2026-03-29T04:00:00+02:00"), &zone, &[2, 14]),
        (
            at("2026-03-29T03:00:00+02:00"),
            at("2026-03-30T02:00:00+02:00")
        )
    );
}

#[test]
fn planned_doses_respect_start_end_and_status() {
    let zone = paris();
    let shifts = [7, 14, 21];
    let from = at("2026-01-15T00:00:00+01:00");
    let to = at("2026-01-17T00:00:00+01:00");

    let mut rx = medication("rx", "1-0-1");
    rx.start = Moment::parse_iso("2026-01-15T10:00:00+01:00");
    rx.end = Moment::parse_iso("2026-01-16T18:00:00+01:00");
    let doses = planned(&rx, from, to, &zone, &shifts);
    assert_eq!(clock(&doses), ["18:00", "08:00"], "end is excluded");
    assert_eq!(doses[0].at_ms, at("2026-01-15T18:00:00+01:00"));
    assert_eq!(doses[0].quantity, Some(1.0));
    assert!(doses.iter().all(|d| d.kind == PlannedKind::Dose));

    // An end date alone includes its whole day.
    rx.end = Moment::parse_iso("2026-01-15");
    assert_eq!(clock(&planned(&rx, from, to, &zone, &shifts)), ["18:00"]);

    // A stopped prescription plans up to its end, never after; without an
    // end it plans nothing; entered in error or a statement, nothing.
    rx.status = RecordStatus::Inactive;
    assert_eq!(clock(&planned(&rx, from, to, &zone, &shifts)), ["18:00"]);
    rx.end = None;
    assert!(planned(&rx, from, to, &zone, &shifts).is_empty());
    let mut wrong = medication("rx", "1-0-1");
    wrong.status = RecordStatus::EnteredInError;
    assert!(planned(&wrong, from, to, &zone, &shifts).is_empty());
    let mut home = medication("rx", "1-0-1");
    home.kind = MedicationKind::Statement;
    assert!(planned(&home, from, to, &zone, &shifts).is_empty());

    // The window is half-open.
    let active = medication("rx", "1-0-1");
    let eight = at("2026-01-15T08:00:00+01:00");
    assert_eq!(planned(&active, eight, eight + 1, &zone, &shifts).len(), 1);
    assert!(planned(&active, eight - 1, eight, &zone, &shifts).is_empty());
}

#[test]
fn intervals_single_doses_and_continuous_checks() {
    let zone = paris();
    let shifts = [7, 14, 21];
    let from = at("2026-01-15T00:00:00+01:00");
    let to = at("2026-01-17T00:00:00+01:00");

    let mut every_36 = medication("rx", "toutes les 36 h");
    every_36.start = Moment::parse_iso("2026-01-14T20:00:00+01:00");
    let doses = planned(&every_36, from, to, &zone, &shifts);
    let expected = [at("2026-01-16T08:00:00+01:00")];
    assert_eq!(doses.iter().map(|d| d.at_ms).collect::<Vec<_>>(), expected);

    // A start date alone anchors an interval at 08:00.
    every_36.start = Moment::parse_iso("2026-01-15");
    let doses = planned(&every_36, from, to, &zone, &shifts);
    assert_eq!(clock(&doses), ["08:00", "20:00"]);

    let mut once = medication("rx", "STAT");
    once.start = Moment::parse_iso("2026-01-15T09:12:00+01:00");
    assert_eq!(clock(&planned(&once, from, to, &zone, &shifts)), ["09:12"]);

    let infusion = medication("rx", "en continu");
    let checks = planned(&infusion, from, to, &zone, &shifts);
    assert_eq!(
        clock(&checks),
        ["07:00", "14:00", "21:00", "07:00", "14:00", "21:00"]
    );
    assert!(
        checks
            .iter()
            .all(|c| c.kind == PlannedKind::ContinuousCheck)
    );

    for text in ["si besoin", "2 fois par lune"] {
        assert!(planned(&medication("rx", text), from, to, &zone, &shifts).is_empty());
    }
}

#[test]
fn clock_times_follow_the_clock_across_daylight_saving_changes() {
    let zone = paris();
    let shifts = [7, 14, 21];

    // Spring forward (29/03/2026): 02:00 does not exist, the dose is due at
    // 03:00 summer time; 00:00 to 06:00 is then five hours.
    let q4h = medication("rx", "Q4H");
    let day = (
        at("2026-03-29T00:00:00+01:00"),
        at("2026-03-30T00:00:00+02:00"),
    );
    let doses = planned(&q4h, day.0, day.1, &zone, &shifts);
    assert_eq!(
        clock(&doses),
        ["03:00", "06:00", "10:00", "14:00", "18:00", "22:00"]
    );
    assert_eq!(doses[0].at_ms, at("2026-03-29T01:00:00Z"));
    let q6h = planned(&medication("rx", "Q6H"), day.0, day.1, &zone, &shifts);
    assert_eq!(q6h[1].at_ms - q6h[0].at_ms, 5 * 3_600_000);

    // Fall back (25/10/2026): 02:00 happens twice, the dose is planned once,
    // at the first.
    let day = (
        at("2026-10-25T00:00:00+02:00"),
        at("2026-10-26T00:00:00+01:00"),
    );
    let doses = planned(&q4h, day.0, day.1, &zone, &shifts);
    assert_eq!(doses.len(), 6);
    assert_eq!(doses[0].at_ms, at("2026-10-25T02:00:00+02:00"));
    let q6h = planned(&medication("rx", "Q6H"), day.0, day.1, &zone, &shifts);
    assert_eq!(q6h[1].at_ms - q6h[0].at_ms, 7 * 3_600_000);
}

#[test]
fn the_grid_states_each_planned_dose_and_shows_what_matches_none() {
    let zone = paris();
    let shifts = [7, 14, 21];
    let key = PatientKey("P1".into());
    let mut prn = medication("prn", "si besoin");
    prn.drug.text = "TRAMADOL 50 mg".into();
    let medications = vec![
        medication("q6h", "Q6H"),
        prn,
        medication("bad", "selon INR"),
    ];
    let adm_06 = given(
        "q6h",
        Some("2026-01-15T06:00:00+01:00"),
        "2026-01-15T06:10:00+01:00",
    );
    // A floating planned time is read in the site zone.
    let adm_12 = given(
        "q6h",
        Some("2026-01-15T12:00:00"),
        "2026-01-15T12:05:00+01:00",
    );
    let adm_prn = given("prn", None, "2026-01-15T09:30:00+01:00");
    let adm_odd = given(
        "q6h",
        Some("2026-01-15T09:00:00+01:00"),
        "2026-01-15T09:00:00+01:00",
    );
    let adm_gone = given("stopped", None, "2026-01-15T08:00:00+01:00");
    let adm_old = given("prn", None, "2026-01-14T08:00:00+01:00");
    let administrations = [&adm_06, &adm_12, &adm_prn, &adm_odd, &adm_gone, &adm_old];
    let patients = [GridPatient {
        patient: &key,
        display: "DUPONT Jeanne",
        bed: Some("12-A"),
        medications: &medications,
        administrations: &administrations,
    }];
    let now = at("2026-01-15T19:30:00+01:00");
    let clock_now = Clock {
        now_ms: now,
        zone: &zone,
        shifts: &shifts,
    };
    let (from, to) = shift_window(now, &zone, &shifts);
    let grid = grid(&patients, from - 14 * 3_600_000, to, &clock_now);
    let block = &grid.patients[0];
    assert_eq!((block.display, block.bed), ("DUPONT Jeanne", Some("12-A")));
    assert_eq!(block.rows.len(), 3);

    let q6h = &block.rows[0];
    let states: Vec<&str> = q6h
        .cells
        .iter()
        .map(|c| match c.state {
            CellState::Done(_) => "done",
            CellState::Due => "due",
            CellState::Overdue => "overdue",
            CellState::Upcoming => "upcoming",
        })
        .collect();
    // 00:00 (overdue), 06:00 (given), 12:00 (given), 18:00 (overdue: 90
    // min late), 00:00 and 06:00 next day (upcoming; the window ends at
    // 07:00).
    assert_eq!(
        states,
        ["overdue", "done", "done", "overdue", "upcoming", "upcoming"]
    );
    assert_eq!(q6h.cells[1].state, CellState::Done(&adm_06));
    assert_eq!(q6h.extra, [&adm_odd], "recorded against a time not planned");

    let prn_row = &block.rows[1];
    assert!(prn_row.cells.is_empty());
    assert_eq!(prn_row.extra, [&adm_prn], "yesterday's dose is outside");
    assert_eq!(
        block.rows[2].schedule.label_fr(),
        "à préciser : « selon INR »"
    );
    assert_eq!(block.unmatched, [&adm_gone]);
    assert_eq!(block.overdue, 2);
    assert_eq!(grid.overdue_count(), 2);
    assert_eq!(
        overdue_count(&patients, from - 14 * 3_600_000, &clock_now),
        2
    );
    assert_eq!(overdue_count(&patients, from, &clock_now), 1);
}

#[test]
fn due_and_overdue_boundaries() {
    let planned = at("2026-01-15T08:00:00+01:00");
    let table: &[(i64, CellState<'static>)] = &[
        (planned - DUE_BEFORE_MS - 1, CellState::Upcoming),
        (planned - DUE_BEFORE_MS, CellState::Due),
        (planned, CellState::Due),
        (planned + OVERDUE_AFTER_MS, CellState::Due),
        (planned + OVERDUE_AFTER_MS + 1, CellState::Overdue),
    ];
    for (now, expected) in table {
        assert_eq!(slot_state(planned, *now), *expected, "now {now}");
    }
}

#[test]
fn the_medication_sheet_lists_every_line_with_its_times() {
    let zone = paris();
    let mut stopped = medication("stopped", "1-0-1");
    stopped.status = RecordStatus::EnteredInError;
    let medications = vec![
        medication("q8h", "Q8H"),
        medication("prn", "si besoin"),
        medication("bad", "selon INR"),
        stopped,
    ];
    let from = at("2026-01-15T10:00:00+01:00");
    let sheet = medication_sheet(
        &medications,
        from,
        from + 24 * 3_600_000,
        &zone,
        &[7, 14, 21],
    );
    let ids: Vec<&str> = sheet.iter().map(|l| l.medication.id.as_str()).collect();
    assert_eq!(ids, ["q8h", "prn", "bad"]);
    assert_eq!(clock(&sheet[0].times), ["14:00", "22:00", "06:00"]);
    assert!(sheet[1].times.is_empty() && sheet[2].times.is_empty());
    assert_eq!(sheet[1].schedule.label_fr(), "si besoin");
    assert!(sheet[2].schedule.is_unreadable());
}

#[test]
fn a_slot_written_as_a_moment_reads_back_to_the_same_instant() {
    let zone = paris();
    for text in [
        "2026-01-15T08:00:00+01:00",
        "2026-07-15T22:00:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
    ] {
        let ms = at(text);
        let moment = moment_at(ms, &zone).expect("a representable instant");
        assert_eq!(moment_ms(&moment, &zone), Some(ms), "{text}");
        assert_eq!(moment.to_iso(), text, "{text}");
    }
    assert_eq!(moment_ms(&Moment::date(2026, 1, 15).unwrap(), &zone), None);
}

#[test]
fn a_forty_patient_grid_has_every_row() {
    // 40 patients x 8 prescriptions x ~10 administrations each, over two
    // shifts; the lead's benchmark gives the release figure.
    let zone = paris();
    let shifts = [7, 14, 21];
    let frequencies = [
        "Q6H",
        "1-0-1",
        "3 fois par jour",
        "toutes les 8 h",
        "le soir",
        "si besoin",
        "en continu",
        "toutes les 36 h",
    ];
    let keys: Vec<PatientKey> = (0..40).map(|i| PatientKey(format!("P{i}"))).collect();
    let medications: Vec<Vec<Medication>> = keys
        .iter()
        .map(|key| {
            frequencies
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let mut m = medication(&format!("{}-{i}", key.0), f);
                    m.patient = key.clone();
                    m
                })
                .collect()
        })
        .collect();
    let administrations: Vec<Vec<Administration>> = medications
        .iter()
        .map(|list| {
            list.iter()
                .take(5)
                .flat_map(|m| {
                    [
                        given(
                            &m.id,
                            Some("2026-01-15T08:00:00+01:00"),
                            "2026-01-15T08:03:00+01:00",
                        ),
                        given(
                            &m.id,
                            Some("2026-01-15T12:00:00+01:00"),
                            "2026-01-15T12:03:00+01:00",
                        ),
                    ]
                })
                .collect()
        })
        .collect();
    let references: Vec<Vec<&Administration>> =
        administrations.iter().map(|l| l.iter().collect()).collect();
    let patients: Vec<GridPatient<'_>> = keys
        .iter()
        .zip(&medications)
        .zip(&references)
        .map(|((key, medications), administrations)| GridPatient {
            patient: key,
            display: "PATIENT Test",
            bed: None,
            medications,
            administrations,
        })
        .collect();
    let now = at("2026-01-15T15:00:00+01:00");
    let clock_now = Clock {
        now_ms: now,
        zone: &zone,
        shifts: &shifts,
    };
    let (from, to) = shift_window(now, &zone, &shifts);
    // Its speed is measured by `cargo bench -p ckisa-web --bench care_grid`
    // (BENCHMARKS.md), never asserted here.
    let built = grid(&patients, from, to, &clock_now);
    assert_eq!(built.patients.len(), 40);
    assert!(built.patients.iter().all(|p| p.rows.len() == 8));
}
