//! The parts of a unit's pack, one function per PDF.

use std::collections::{BTreeMap, HashMap, HashSet};

use ckisa_domain::{
    Administration, AdministrationOutcome, AppointmentStatus, Moment, ReviewVerdict,
};
use ckisa_print::{Align, Column, Document, FormCell, FormRow, Row};
use ckisa_store::Store;
use jiff::civil::Weekday;
use jiff::{Timestamp, Zoned};

use super::{Pack, PaperError, Patient, clean, coded_text, full_name, value_text};
use crate::mar::{self, Schedule, SheetLine};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Planned times per grid on a medication sheet; more continue in a second grid.
const TIMES_PER_GRID: usize = 8;

/// The census: every patient bed by bed, allergies in bold next to the name.
pub(crate) fn census(pack: &Pack<'_>) -> Result<Vec<u8>, PaperError> {
    let mut document = pack.document("Recensement des patients et allergies");
    document.paragraph(&format!(
        "{} patient(s) présent(s), {} lit(s) libre(s).",
        pack.patients.len(),
        pack.free_beds.len()
    ));
    let columns = [
        Column::new("Lit", 0.8).align(Align::Center),
        Column::new("Patient", 2.0),
        Column::new("Allergies", 2.6).bold(),
        Column::new("Né(e) le", 1.0),
        Column::new("IPP", 1.0),
        Column::new("Entrée le", 1.0),
        Column::new("Médecin", 1.4),
    ];
    let rows: Vec<Row> = pack
        .patients
        .iter()
        .map(|patient| {
            let mut place = patient.place.clone();
            if patient.shared_bed {
                place.push_str("\nplusieurs patients : à vérifier");
            }
            let mut name = patient.name();
            if patient.occupant.on_leave {
                name.push_str("\n(en permission)");
            }
            Row::new([
                place,
                name,
                patient.allergy_text(),
                date_text(patient.birth_date(), pack),
                patient.ipp().unwrap_or("?").to_owned(),
                date_only(patient.occupant.admitted_at.as_ref(), pack),
                patient.occupant.attending.clone().unwrap_or_default(),
            ])
        })
        .collect();
    if rows.is_empty() {
        document.paragraph("Aucun patient dans l'unité.");
    } else {
        document.table(&columns, &rows)?;
    }
    if !pack.free_beds.is_empty() {
        document.paragraph(&format!("Lits libres : {}.", pack.free_beds.join(", ")));
    }
    Ok(document.finish())
}

/// One medication sheet per patient for the next 24 hours.
pub(crate) fn medication_sheets(pack: &Pack<'_>) -> Result<Vec<u8>, PaperError> {
    let from_ms = hour_start(&pack.as_of);
    let to_ms = from_ms + DAY_MS;
    let mut document = pack.document("Feuilles d'administration des 24 heures");
    document.paragraph(&format!(
        "Du {} au {}. Une case par prise prévue : cocher et parapher ; case grise : rien de \
         prévu à cette heure. Les traitements « si besoin » ou « à préciser » sont en bas de \
         chaque feuille.",
        pack.wall(from_ms).unwrap_or_default(),
        pack.wall(to_ms).unwrap_or_default()
    ));
    if pack.patients.is_empty() {
        document.paragraph("Aucun patient dans l'unité.");
    }
    for (index, patient) in pack.patients.iter().enumerate() {
        if index > 0 {
            document.page_break();
        }
        patient_heading(&mut document, patient, pack)?;
        let medications = patient
            .chart
            .as_ref()
            .map_or(&[][..], |chart| chart.medications.as_slice());
        let lines = mar::medication_sheet(
            medications,
            from_ms,
            to_ms,
            pack.zone,
            &pack.settings.shifts,
        );
        medication_grid(&mut document, patient, &lines, pack)?;
        signatures(&mut document, pack)?;
    }
    Ok(document.finish())
}

/// The grids of planned times, then the lines without any.
fn medication_grid(
    document: &mut Document,
    patient: &Patient,
    lines: &[SheetLine<'_>],
    pack: &Pack<'_>,
) -> Result<(), PaperError> {
    if lines.is_empty() {
        document.paragraph("Aucune prescription active.");
        return Ok(());
    }
    let done = documented(pack, patient);
    let mut times: Vec<i64> = lines
        .iter()
        .flat_map(|line| line.times.iter().map(|planned| planned.at_ms))
        .collect();
    times.sort_unstable();
    times.dedup();
    // Grids of equal width: ten times make two grids of five, not eight and two.
    let grids = times.len().div_ceil(TIMES_PER_GRID).max(1);
    let chunks: Vec<&[i64]> = times.chunks(times.len().div_ceil(grids).max(1)).collect();
    for (number, chunk) in chunks.iter().enumerate() {
        if chunks.len() > 1 {
            document.subheading(&format!(
                "Prises prévues ({} / {})",
                number + 1,
                chunks.len()
            ));
        }
        let mut columns = drug_columns();
        columns.extend(
            chunk
                .iter()
                .map(|&at| Column::new(&time_header(at, pack), 0.75).align(Align::Center)),
        );
        let rows: Vec<FormRow> = lines
            .iter()
            .filter(|line| line.times.iter().any(|p| chunk.contains(&p.at_ms)))
            .map(|line| {
                let mut cells = drug_cells(line, pack);
                cells.extend(chunk.iter().map(|&at| {
                    if !line.times.iter().any(|planned| planned.at_ms == at) {
                        return FormCell::Shaded;
                    }
                    match done.get(&(line.medication.id.as_str(), at)) {
                        Some(administration) => FormCell::text(outcome_text(administration, pack)),
                        None => FormCell::Tick,
                    }
                }));
                FormRow::new(cells)
            })
            .collect();
        document.form(&columns, &rows, 26.0)?;
    }

    let unplanned: Vec<FormRow> = lines
        .iter()
        .filter(|line| line.times.is_empty())
        .map(|line| {
            let mut cells = drug_cells(line, pack);
            cells.push(FormCell::Blank);
            FormRow::new(cells)
        })
        .collect();
    if !unplanned.is_empty() {
        document.subheading("Si besoin, à préciser, ou sans prise prévue dans les 24 heures");
        let mut columns = drug_columns();
        columns.push(Column::new("Prises : heure, dose, initiales", 4.0));
        document.form(&columns, &unplanned, 30.0)?;
    }
    Ok(())
}

fn drug_columns() -> Vec<Column> {
    vec![
        Column::new("Médicament", 2.4),
        Column::new("Dose", 0.9),
        Column::new("Voie", 0.6),
        Column::new("Fréquence", 1.2),
    ]
}

/// Drug (with its instructions and the pharmacist's refusal), dose, route, frequency.
fn drug_cells(line: &SheetLine<'_>, pack: &Pack<'_>) -> Vec<FormCell> {
    let medication = line.medication;
    let mut drug = coded_text(&medication.drug);
    if let Some(note) = clean(medication.note.as_deref()) {
        drug.push('\n');
        drug.push_str(note);
    }
    if let Some((_, review)) = pack.book.latest_review(&medication.id)
        && review.verdict == ReviewVerdict::Refused
    {
        drug.push_str("\nREFUSÉ par la pharmacie");
        if let Some(remark) = clean(review.remark.as_deref()) {
            drug.push_str(" : ");
            drug.push_str(remark);
        }
    }
    let written = clean(medication.frequency.as_deref());
    let frequency = match (&line.schedule, written) {
        (Schedule::AsNeeded { .. } | Schedule::Unreadable(_), _) | (_, None) => {
            line.schedule.label_fr()
        }
        // A code (`Q8H`, `BID`) is printed in words, the code kept beside.
        (schedule, Some(code)) if is_code(code) => format!("{} ({code})", schedule.label_fr()),
        (_, Some(text)) => text.to_owned(),
    };
    vec![
        FormCell::text(drug),
        FormCell::text(clean(medication.dose.as_deref()).unwrap_or("—")),
        FormCell::text(clean(medication.route.as_deref()).unwrap_or("—")),
        FormCell::text(frequency),
    ]
}

/// Doses already documented in the capsule, by prescription and planned time (the latest
/// recorded wins).
fn documented<'a>(
    pack: &'a Pack<'_>,
    patient: &Patient,
) -> HashMap<(&'a str, i64), &'a Administration> {
    let mut done = HashMap::new();
    for (_, administration) in pack.book.administrations(patient.key()) {
        let planned = administration
            .planned
            .as_ref()
            .and_then(|planned| mar::moment_ms(planned, pack.zone));
        if let Some(at) = planned {
            done.insert((administration.medication.as_str(), at), administration);
        }
    }
    done
}

/// « donné 08:05 Martin », « non donné : refus », « différé : à jeun ».
fn outcome_text(administration: &Administration, pack: &Pack<'_>) -> String {
    let at = mar::moment_ms(&administration.at, pack.zone)
        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .map(|ts| ts.to_zoned(pack.zone.clone()).strftime("%H:%M").to_string())
        .unwrap_or_default();
    match &administration.outcome {
        AdministrationOutcome::Given { .. } => format!("donné {at}\n{}", administration.by),
        AdministrationOutcome::NotGiven { reason } => format!("non donné : {reason}"),
        AdministrationOutcome::Held { reason } => format!("différé : {reason}"),
    }
}

/// Who gave the doses of each shift signs under the grid.
fn signatures(document: &mut Document, pack: &Pack<'_>) -> Result<(), PaperError> {
    let columns = [
        Column::new("Relève", 1.0),
        Column::new("Nom", 2.5),
        Column::new("Initiales", 1.0),
        Column::new("Signature", 2.0),
    ];
    let rows: Vec<FormRow> = pack
        .settings
        .shifts
        .iter()
        .map(|hour| {
            FormRow::new([
                FormCell::text(format!("{hour:02} h")),
                FormCell::Blank,
                FormCell::Blank,
                FormCell::Blank,
            ])
        })
        .collect();
    if !rows.is_empty() {
        document.subheading("Équipes");
        document.form(&columns, &rows, 22.0)?;
    }
    Ok(())
}

/// Care plans, latest vitals and the notes of the last 24 hours, one page per patient.
pub(crate) fn care_plans(pack: &Pack<'_>) -> Result<Vec<u8>, PaperError> {
    let mut document = pack.document("Plans de soins et dernières constantes");
    if pack.patients.is_empty() {
        document.paragraph("Aucun patient dans l'unité.");
    }
    for (index, patient) in pack.patients.iter().enumerate() {
        if index > 0 {
            document.page_break();
        }
        patient_heading(&mut document, patient, pack)?;
        let Some(chart) = &patient.chart else {
            document.paragraph("Dossier indisponible sur ce nœud.");
            continue;
        };
        document.subheading("Plans de soins");
        if chart.care_plans.is_empty() {
            document.paragraph("Aucun plan de soins actif.");
        } else {
            let columns = [
                Column::new("Plan", 1.6),
                Column::new("Activités prévues", 4.0),
                Column::new("Début", 1.0),
                Column::new("Fin", 1.0),
            ];
            let rows: Vec<Row> = chart
                .care_plans
                .iter()
                .map(|plan| {
                    let activities: Vec<String> =
                        plan.activities.iter().map(|a| format!("• {a}")).collect();
                    Row::new([
                        plan.title.clone(),
                        activities.join("\n"),
                        date_only(plan.start.as_ref(), pack),
                        date_only(plan.end.as_ref(), pack),
                    ])
                })
                .collect();
            document.table(&columns, &rows)?;
        }
        document.subheading("Dernières constantes");
        if chart.vitals.is_empty() {
            document.paragraph("Aucune constante enregistrée.");
        } else {
            let columns = [
                Column::new("Constante", 2.0),
                Column::new("Valeur", 1.5),
                Column::new("Mesurée le", 1.2),
            ];
            let rows: Vec<Row> = chart
                .vitals
                .iter()
                .map(|vital| {
                    Row::new([
                        coded_text(&vital.code),
                        value_text(&vital.value),
                        date_text(vital.effective.as_ref(), pack),
                    ])
                })
                .collect();
            document.table(&columns, &rows)?;
        }
        recent_notes(&mut document, patient, pack)?;
    }
    Ok(document.finish())
}

/// The targeted notes written in the capsule over the last 24 hours.
fn recent_notes(
    document: &mut Document,
    patient: &Patient,
    pack: &Pack<'_>,
) -> Result<(), PaperError> {
    let since = pack.now_ms - DAY_MS;
    let rows: Vec<Row> = pack
        .book
        .notes(patient.key())
        .filter(|(entry, _)| entry.recorded_ms >= since)
        .map(|(_, note)| {
            Row::new([
                date_text(Some(&note.at), pack),
                note.target.clone(),
                note.data.clone(),
                note.actions.clone(),
                note.results.clone(),
                note.by.clone(),
            ])
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    document.subheading("Transmissions ciblées des dernières 24 heures");
    let columns = [
        Column::new("Le", 1.1),
        Column::new("Cible", 1.1),
        Column::new("Données", 2.0),
        Column::new("Actions", 2.0),
        Column::new("Résultats", 2.0),
        Column::new("Par", 1.0),
    ];
    document.table(&columns, &rows)?;
    Ok(())
}

/// A vitals sheet and a targeted-notes sheet per patient, each with the patient's label.
pub(crate) fn blank_forms(pack: &Pack<'_>) -> Result<Vec<u8>, PaperError> {
    let mut document = pack.document("Formulaires de secours");
    if pack.patients.is_empty() {
        document.paragraph("Aucun patient dans l'unité.");
    }
    let mut vitals_columns = vec![Column::new("Constante", 2.2)];
    vitals_columns.extend((0..8).map(|_| Column::new("", 1.0)));
    let vitals: Vec<FormRow> = VITALS
        .iter()
        .map(|name| {
            let mut cells = vec![FormCell::text(*name)];
            cells.extend((0..8).map(|_| FormCell::Blank));
            FormRow::new(cells)
        })
        .collect();
    let notes_columns = [
        Column::new("Date, heure", 1.0),
        Column::new("Cible", 1.2),
        Column::new("Données", 2.0),
        Column::new("Actions", 2.0),
        Column::new("Résultats", 2.0),
        Column::new("Initiales", 0.8),
    ];
    let notes: Vec<FormRow> = (0..11)
        .map(|_| FormRow::new((0..6).map(|_| FormCell::Blank)))
        .collect();
    for (index, patient) in pack.patients.iter().enumerate() {
        if index > 0 {
            document.page_break();
        }
        let label = patient.label(pack);
        document
            .heading(&format!("Surveillance des constantes — {}", patient.name()))
            .label(&label)
            .form(&vitals_columns, &vitals, 26.0)?
            .page_break()
            .heading(&format!("Transmissions ciblées — {}", patient.name()))
            .label(&label)
            .form(&notes_columns, &notes, 44.0)?;
    }
    Ok(document.finish())
}

/// Rows of the vitals sheet.
const VITALS: [&str; 13] = [
    "Date, heure",
    "Température (°C)",
    "Fréquence cardiaque (/min)",
    "Pression artérielle (mmHg)",
    "SpO2 (%)",
    "Oxygène (L/min)",
    "Fréquence respiratoire (/min)",
    "Conscience (AVPU)",
    "Douleur (EVA 0-10)",
    "Poids (kg)",
    "Diurèse (mL)",
    "Score NEWS2",
    "Initiales",
];

/// The unit's patients' appointments of the coming seven days, day by day.
pub(crate) fn appointments(store: &dyn Store, pack: &Pack<'_>) -> Result<Vec<u8>, PaperError> {
    let to_ms = pack.now_ms + 7 * DAY_MS;
    let mut document = pack.document("Rendez-vous de la semaine");
    document.paragraph(&format!(
        "Rendez-vous des patients présents dans l'unité, du {} au {}.",
        pack.wall(pack.now_ms).unwrap_or_default(),
        pack.wall(to_ms).unwrap_or_default()
    ));
    let places: HashMap<&str, &Patient> = pack
        .patients
        .iter()
        .map(|patient| (patient.key().as_str(), patient))
        .collect();
    let mut days: BTreeMap<(i64, String), Vec<Row>> = BTreeMap::new();
    for row in store.appointments(pack.now_ms, to_ms)? {
        let Some(patient) = places.get(row.appointment.patient.as_str()) else {
            continue;
        };
        let (day_key, day, time) = day_and_time(&row.appointment.start, pack);
        let name = full_name(row.family.as_deref(), row.given.as_deref());
        days.entry((day_key, day)).or_default().push(Row::new([
            time,
            name,
            patient.place.clone(),
            row.appointment.clinic.clone().unwrap_or_default(),
            row.practitioner.clone().unwrap_or_default(),
            row.appointment.reason.clone().unwrap_or_default(),
            status_text(row.appointment.status).to_owned(),
        ]));
    }
    if days.is_empty() {
        document.paragraph("Aucun rendez-vous prévu pour les patients de l'unité.");
    }
    let columns = [
        Column::new("Heure", 0.7),
        Column::new("Patient", 1.8),
        Column::new("Lit", 0.7),
        Column::new("Consultation, lieu", 1.8),
        Column::new("Praticien", 1.4),
        Column::new("Motif", 1.6),
        Column::new("Statut", 0.8),
    ];
    for ((_, day), rows) in days {
        document.subheading(&day);
        document.table(&columns, &rows)?;
    }
    Ok(document.finish())
}

/// Rooms and diets for the kitchen.
pub(crate) fn diets(store: &dyn Store, pack: &Pack<'_>) -> Result<Vec<u8>, PaperError> {
    let mut document = pack.document("Régimes pour la cuisine");
    let keys: Vec<_> = pack.patients.iter().map(|p| p.key().clone()).collect();
    let mut by_patient: HashMap<String, Vec<ckisa_domain::Diet>> = HashMap::new();
    if !keys.is_empty() {
        for diet in store.diets(&keys)? {
            by_patient
                .entry(diet.patient.as_str().to_owned())
                .or_default()
                .push(diet);
        }
    }
    let columns = [
        Column::new("Chambre / lit", 0.9).align(Align::Center),
        Column::new("Patient", 1.8),
        Column::new("Régime", 2.2),
        Column::new("À jeun", 0.7).align(Align::Center).bold(),
        Column::new("Remarques", 2.2),
    ];
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    for patient in &pack.patients {
        if !seen.insert(patient.key().as_str()) {
            continue;
        }
        let diets = by_patient.get(patient.key().as_str());
        let (regimen, fasting, remarks) = match diets.map(Vec::as_slice) {
            None | Some([]) => (
                String::from("pas de régime prescrit"),
                String::new(),
                String::new(),
            ),
            Some([current, others @ ..]) => {
                let names: Vec<String> = current.diets.iter().map(coded_text).collect();
                let mut remarks = current.remarks.clone().unwrap_or_default();
                if !others.is_empty() {
                    if !remarks.is_empty() {
                        remarks.push('\n');
                    }
                    remarks.push_str(&format!(
                        "{} autre(s) prescription(s) en vigueur : à vérifier",
                        others.len()
                    ));
                }
                let fasting = if current.nil_by_mouth { "À JEUN" } else { "" };
                (names.join(", "), fasting.to_owned(), remarks)
            }
        };
        rows.push(Row::new([
            patient.place.clone(),
            patient.name(),
            regimen,
            fasting,
            remarks,
        ]));
    }
    if rows.is_empty() {
        document.paragraph("Aucun patient dans l'unité.");
    } else {
        document.table(&columns, &rows)?;
    }
    Ok(document.finish())
}

/// Name, place, identity and allergies (in bold) at the head of a patient's page.
fn patient_heading(
    document: &mut Document,
    patient: &Patient,
    pack: &Pack<'_>,
) -> Result<(), PaperError> {
    document.heading(&format!("{} — {}", patient.name(), patient.place_text()));
    document.paragraph(&super::identity_line(
        patient.birth_date(),
        patient.sex(),
        patient.ipp(),
        pack.zone,
    ));
    document.table(
        &[Column::new("Allergies", 1.0).bold()],
        &[Row::new([patient.allergy_text()])],
    )?;
    Ok(())
}

fn status_text(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Booked => "prévu",
        AppointmentStatus::Cancelled => "annulé",
        AppointmentStatus::NoShow => "absent",
        AppointmentStatus::Fulfilled => "fait",
    }
}

/// The day (sort key and « lundi 07/12/2026 ») and the time (« 10:30 ») of a moment in the
/// site's zone; a date alone has no time.
fn day_and_time(moment: &Moment, pack: &Pack<'_>) -> (i64, String, String) {
    let local = moment
        .timestamp()
        .map(|ts| ts.to_zoned(pack.zone.clone()).datetime())
        .or_else(|| moment.civil());
    let Some(local) = local else {
        return (i64::MAX, String::from("Date inconnue"), String::new());
    };
    let date = local.date();
    let day = format!(
        "{} {:02}/{:02}/{:04}",
        weekday(date.weekday()),
        date.day(),
        date.month(),
        date.year()
    );
    let key =
        i64::from(date.year()) * 10_000 + i64::from(date.month()) * 100 + i64::from(date.day());
    let time = if moment.has_time() {
        format!("{:02}:{:02}", local.hour(), local.minute())
    } else {
        String::from("dans la journée")
    };
    (key, day, time)
}

fn weekday(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Lundi",
        Weekday::Tuesday => "Mardi",
        Weekday::Wednesday => "Mercredi",
        Weekday::Thursday => "Jeudi",
        Weekday::Friday => "Vendredi",
        Weekday::Saturday => "Samedi",
        Weekday::Sunday => "Dimanche",
    }
}

/// « 04/12 » over « 22:00 »: a grid column's planned time.
fn time_header(at_ms: i64, pack: &Pack<'_>) -> String {
    Timestamp::from_millisecond(at_ms)
        .map(|ts| {
            ts.to_zoned(pack.zone.clone())
                .strftime("%d/%m\n%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// The start of the hour `at` is in, ms since the Unix epoch.
fn hour_start(at: &Zoned) -> i64 {
    let ms = at.timestamp().as_millisecond();
    let into_hour = i64::from(at.minute()) * 60_000
        + i64::from(at.second()) * 1_000
        + i64::from(at.millisecond());
    ms - into_hour
}

fn date_text(moment: Option<&Moment>, pack: &Pack<'_>) -> String {
    moment.map_or_else(String::new, |m| m.display_fr(pack.zone))
}

/// The date part of a moment (« 02/12/2026 »).
fn date_only(moment: Option<&Moment>, pack: &Pack<'_>) -> String {
    let text = date_text(moment, pack);
    text.split(' ').next().unwrap_or_default().to_owned()
}

/// Whether a frequency is written as a code (`Q8H`, `QAM`, `BID`) rather
/// than in words.
fn is_code(text: &str) -> bool {
    text.len() <= 8
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod code_tests {
    use super::is_code;

    #[test]
    fn frequency_codes_are_told_from_words() {
        for code in ["Q8H", "QAM", "BID", "Q24H"] {
            assert!(is_code(code), "{code}");
        }
        for words in [
            "3 fois par jour",
            "1-0-1",
            "le soir",
            "si besoin",
            "Q8H si douleur",
        ] {
            assert!(!is_code(words), "{words}");
        }
    }
}
