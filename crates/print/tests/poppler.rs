//! Text extraction by poppler (`pdftotext`, `pdfinfo`, Debian package poppler-utils): French
//! text, page numbers and metadata must come back from the PDF as written. When the tools are
//! missing the tests are skipped with a reason, except under CI (the `CI` variable set), where
//! they fail: CI installs poppler-utils.

use std::io::ErrorKind;
use std::process::Command;

use ckisa_print::{Chart, ChartKind, Document, Mark, Row, XAxis};

use crate::{census, page_count};

/// Whether `tool` can run. Outside CI a missing tool skips the test, with the reason printed.
#[expect(
    clippy::print_stderr,
    reason = "a skipped test says why on the test output"
)]
pub(crate) fn available(tool: &str) -> bool {
    match Command::new(tool).arg("-v").output() {
        Ok(_) => true,
        Err(error) if error.kind() == ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{tool} is missing: CI must install Debian's poppler-utils"
            );
            eprintln!("skipped: {tool} not found (install poppler-utils to run this test)");
            false
        }
        Err(error) => panic!("{tool} cannot run: {error}"),
    }
}

/// Runs a poppler tool and returns its standard output; its standard error must be
/// empty, so that any complaint about the file fails the test.
pub(crate) fn run(tool: &str, args: &[&str]) -> String {
    let output = Command::new(tool)
        .args(args)
        .output()
        .expect("poppler tool runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.is_empty(),
        "{tool} failed: {stderr}"
    );
    String::from_utf8(output.stdout).expect("poppler writes UTF-8")
}

pub(crate) fn write_temp(pdf: &[u8]) -> tempfile::NamedTempFile {
    let file = tempfile::Builder::new()
        .suffix(".pdf")
        .tempfile()
        .expect("temporary file");
    std::fs::write(file.path(), pdf).expect("PDF written");
    file
}

fn after_action_report() -> Document {
    let created: jiff::Zoned = "2026-12-06T09:15:00+01:00[Europe/Paris]"
        .parse()
        .expect("valid date");
    let mut report = Document::new("Retour d'expérience — crise du 04/12/2026");
    report
        .subtitle("Cyberattaque, plan blanc niveau 2")
        .footer("CH Exemple — généré le 06/12/2026 à 09:15")
        .created_at(&created);
    report.heading("Chronologie").paragraph(
        "Le «\u{A0}plan blanc\u{A0}» a été déclenché à 21\u{A0}h\u{A0}40 ; l’équipe de \
         Réanimation médicale a basculé sur papier. Coût estimé\u{A0}: 1\u{A0}200\u{A0}€. \
         Œdème pulmonaire signalé chez M. Łódź. Ambulance 🚑 arrivée.",
    );
    report.key_values(&[("Durée", "41 h 20"), ("Décisions prises", "17")]);
    let (columns, mut rows) = census(150);
    rows[2] = rows[2].clone().mark(Mark::Critical).bold();
    rows[3] = Row::new([
        "004",
        "Dépassement DMIA",
        "Pharmacie à usage intérieur",
        "04/12/2026",
    ])
    .mark(Mark::Warning);
    report.table(&columns, &rows).expect("valid table");
    let chart = Chart::new(
        ChartKind::Bar,
        "Comptes rendus d'unité reçus",
        XAxis::Categories(vec!["Urgences".into(), "Maternité".into()]),
    )
    .y_label("comptes rendus")
    .series("Attendus", vec![(0.0, 6.0), (1.0, 6.0)])
    .series("Reçus", vec![(0.0, 6.0), (1.0, 3.0)]);
    report.chart(&chart);
    report
}

#[test]
fn french_text_and_page_numbers_come_back_from_the_pdf() {
    if !available("pdftotext") {
        return;
    }
    let pdf = after_action_report().finish();
    let file = write_temp(&pdf);
    // pdftotext writes no-break spaces as spaces or U+00A0 depending on its version.
    let path = file.path().to_str().expect("UTF-8 temporary path");
    let text = run("pdftotext", &["-enc", "UTF-8", path, "-"]).replace('\u{A0}', " ");

    // Lines wrap where the page ends: compare with all white space as single spaces.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Retour d'expérience — crise du 04/12/2026",
        "« plan blanc » a été déclenché à 21 h 40",
        "l’équipe de",
        "Réanimation médicale a basculé sur papier",
        "Coût estimé : 1 200 €",
        "Œdème pulmonaire signalé chez M. Lódz.",
        "Ambulance ? arrivée",
        "Décisions prises",
        "Pharmacie à usage intérieur",
        "Comptes rendus d'unité reçus",
        "Maternité",
    ] {
        assert!(flat.contains(expected), "missing {expected:?} in:\n{text}");
    }

    let pages: Vec<&str> = text
        .split('\u{C}')
        .filter(|page| !page.trim().is_empty())
        .collect();
    let count = page_count(&pdf);
    assert!(
        count >= 3,
        "the report should span several pages, got {count}"
    );
    assert_eq!(pages.len(), count);
    for (index, page) in pages.iter().enumerate() {
        let number = format!("Page {} / {count}", index + 1);
        assert!(
            page.contains(&number),
            "page {} lacks {number:?}:\n{page}",
            index + 1
        );
        assert!(
            page.contains("CH Exemple — généré le 06/12/2026 à 09:15"),
            "footer on page {}",
            index + 1
        );
    }
    // The table starts on page 1 and runs over the following pages with its header each time.
    let with_rows = pages.iter().filter(|page| page.contains("NOM")).count();
    let with_header = pages
        .iter()
        .filter(|page| page.contains("NOM") && page.contains("Allergies"))
        .count();
    assert!(with_rows >= 2);
    assert_eq!(with_header, with_rows);
}

#[test]
fn pdfinfo_reads_the_metadata_and_page_count() {
    if !available("pdfinfo") {
        return;
    }
    let pdf = after_action_report().finish();
    let file = write_temp(&pdf);
    let info = run(
        "pdfinfo",
        &[file.path().to_str().expect("UTF-8 temporary path")],
    );
    let field = |name: &str| {
        info.lines()
            .find_map(|line| line.strip_prefix(name).map(|rest| rest.trim().to_owned()))
            .unwrap_or_default()
    };
    assert_eq!(field("Title:"), "Retour d'expérience — crise du 04/12/2026");
    assert_eq!(field("Subject:"), "Cyberattaque, plan blanc niveau 2");
    assert_eq!(field("Producer:"), "ckisa");
    assert_eq!(field("Pages:"), page_count(&pdf).to_string());
    assert!(field("Page size:").starts_with("595.28 x 841.89"), "{info}");
    assert!(field("CreationDate:").contains("2026"), "{info}");
}
