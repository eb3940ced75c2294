//! Writes a sample after-action report to look at: `cargo run -p ckisa-print --example
//! after_action -- report.pdf` writes `report.pdf` and, beside it, `report.svg` with its
//! stock chart as the web pages would embed it.

use std::path::PathBuf;

use ckisa_print::{Align, Chart, ChartKind, Column, Document, Mark, Row, XAxis, chart_svg};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: after_action <output.pdf>")?,
    );

    let created: jiff::Zoned = "2026-12-06T09:15:00+01:00[Europe/Paris]".parse()?;
    let mut report = Document::new("Retour d'expérience — cyberattaque du 04/12/2026");
    report
        .subtitle(
            "Cellule de crise du CH Exemple — plan blanc niveau 2, du 04/12 21:40 au 06/12 08:00",
        )
        .footer("CH Exemple — généré le 06/12/2026 à 09:15")
        .created_at(&created);

    report.heading("Synthèse").key_values(&[
        (
            "Déclenchement",
            "04/12/2026 à 21:40, par la directrice de garde",
        ),
        ("Fin de crise", "06/12/2026 à 08:00"),
        ("Durée", "34 h 20"),
        ("Décisions", "17, dont 3 révisées"),
        ("Tâches", "42 ouvertes, 39 closes, 11 en retard"),
    ]);
    report.paragraph(
        "La messagerie et le dossier patient informatisé sont tombés à 21\u{A0}h\u{A0}32. \
         Le «\u{A0}plan blanc\u{A0}» a été déclenché à 21\u{A0}h\u{A0}40\u{A0}; l’équipe de \
         réanimation médicale a basculé sur les procédures dégradées papier en moins de \
         vingt minutes. Le laboratoire a repris les résultats critiques par téléphone.",
    );

    let start = 1_796_420_400_000.0; // 04/12/2026 22:00, Paris time.
    let hour = 3_600_000.0;
    let stock = |base: f64, slope: f64| {
        (0..=34)
            .map(|h| {
                (
                    start + f64::from(h) * hour,
                    (base - slope * f64::from(h)).max(0.0),
                )
            })
            .collect()
    };
    let chart = Chart::new(ChartKind::Line, "Stocks critiques", XAxis::paris_time())
        .y_label("jours de stock")
        .series("Héparine", stock(9.0, 0.12))
        .series("Insuline rapide", stock(6.0, 0.15))
        .series("CGR O négatif", stock(4.0, 0.05))
        .threshold("Seuil d'alerte", 2.0);
    report.heading("Stocks").chart(&chart);

    let units = [
        "Urgences",
        "Réanimation médicale",
        "Maternité",
        "Pédiatrie",
        "Chirurgie viscérale",
        "Cardiologie",
    ];
    let reporting = Chart::new(
        ChartKind::Bar,
        "Comptes rendus d'unité",
        XAxis::Categories(units.iter().map(|&u| u.into()).collect()),
    )
    .y_label("comptes rendus")
    .series("Attendus", (0..6).map(|u| (f64::from(u), 12.0)).collect())
    .series(
        "Reçus à l'heure",
        vec![
            (0.0, 12.0),
            (1.0, 11.0),
            (2.0, 9.0),
            (3.0, 12.0),
            (4.0, 6.0),
            (5.0, 10.0),
        ],
    );
    report
        .heading("Conformité des comptes rendus")
        .chart(&reporting);

    let columns = [
        Column::new("Tâche", 3.0),
        Column::new("Responsable", 1.6),
        Column::new("Échéance", 1.2).align(Align::Center),
        Column::new("Retard", 0.8).align(Align::Right),
    ];
    let mut rows = Vec::new();
    for index in 1..=60 {
        let late = (index * 7) % 95;
        let row = Row::new([
            format!(
                "Tâche n° {index} : vérifier les prescriptions en cours de l’unité {}",
                units[index % 6]
            ),
            "Cadre de santé".to_owned(),
            format!("{:02}/12 {:02}:00", 4 + index / 24, index % 24),
            format!("{late} min"),
        ]);
        rows.push(match late {
            0..=15 => row.mark(Mark::Ok),
            16..=60 => row.mark(Mark::Warning),
            _ => row.mark(Mark::Critical).bold(),
        });
    }
    report
        .page_break()
        .heading("Tâches et retards")
        .table(&columns, &rows)?;

    std::fs::write(&path, report.finish())?;
    std::fs::write(path.with_extension("svg"), chart_svg(&chart, 720, 320))?;
    Ok(())
}
