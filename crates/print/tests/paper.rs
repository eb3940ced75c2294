//! What the paper fallback needs from the crate: the "data as of" line on every page, forms
//! with boxes to tick, labels on label stock, and Code 128 barcodes whose drawn bars are the
//! symbol's own widths (read back from a poppler rendering).

use ckisa_print::{
    Code128, Column, Document, FormCell, FormRow, Label, LabelFormat, TableError, labels_pdf,
};

use crate::poppler::{available, run, write_temp};
use crate::{census, occurrences, page_count};

const AS_OF: &str = "Données du 04/12/2026 à 23:40 (Europe/Paris)";

fn as_of() -> jiff::Zoned {
    "2026-12-04T23:40:00+01:00[Europe/Paris]"
        .parse()
        .expect("valid date")
}

/// The text of each page of a PDF, by `pdftotext`.
fn pages_text(pdf: &[u8]) -> Vec<String> {
    let file = write_temp(pdf);
    let path = file.path().to_str().expect("UTF-8 temporary path");
    let text = run("pdftotext", &["-enc", "UTF-8", path, "-"]).replace('\u{A0}', " ");
    text.split('\u{C}')
        .filter(|page| !page.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_page_of_a_long_document_says_when_its_data_is_from() {
    if !available("pdftotext") {
        return;
    }
    let (columns, rows) = census(200);
    let mut document = Document::new("Recensement — Réanimation");
    document.data_as_of(&as_of()).footer("CH Exemple");
    document.table(&columns, &rows).expect("valid table");
    let pdf = document.finish();
    let pages = pages_text(&pdf);
    assert!(pages.len() >= 3, "{} pages", pages.len());
    assert_eq!(pages.len(), page_count(&pdf));
    for (index, page) in pages.iter().enumerate() {
        assert!(
            page.contains(AS_OF),
            "page {} lacks the as-of line:\n{page}",
            index + 1
        );
    }

    // Without the setting, no page claims a moment.
    let mut plain = Document::new("Sans date");
    plain.paragraph("Texte.");
    assert!(!pages_text(&plain.finish())[0].contains("Données du"));
}

#[test]
fn a_form_draws_a_box_per_tick_cell_and_keeps_rows_whole() {
    let columns = [
        Column::new("Médicament", 3.0).bold(),
        Column::new("08:00", 1.0),
        Column::new("14:00", 1.0),
    ];
    let rows: Vec<FormRow> = (0..60)
        .map(|index| {
            FormRow::new([
                FormCell::text(format!("Ligne {index}")),
                FormCell::Tick,
                if index % 2 == 0 {
                    FormCell::Shaded
                } else {
                    FormCell::Tick
                },
            ])
        })
        .collect();
    let mut document = Document::new("Administrations");
    document
        .data_as_of(&as_of())
        .form(&columns, &rows, 28.0)
        .expect("valid form");
    let pdf = document.finish();
    // 60 rows of 28 pt do not fit on one page: the header is repeated on each.
    let pages = page_count(&pdf);
    assert!(pages >= 3, "{pages} pages");
    assert_eq!(occurrences(&pdf, b"(08:00) Tj"), pages);
    assert_eq!(occurrences(&pdf, b"(Ligne 59) Tj"), 1);
    // Each tick box is outlined black, 0.8 pt, and filled white.
    assert_eq!(occurrences(&pdf, b"0 0 0 RG\n0.8 w"), 90);

    if available("pdftotext") {
        let text = pages_text(&pdf).join("\n");
        assert!(
            text.contains("Médicament") && text.contains("Ligne 0") && text.contains("Ligne 59")
        );
    }
}

#[test]
fn a_form_refuses_a_bad_row_height_and_too_many_cells() {
    let columns = [Column::new("Cible", 1.0)];
    let mut document = Document::new("t");
    for height in [f32::NAN, -1.0, 10_000.0] {
        let error = document
            .form(&columns, &[], height)
            .expect_err("bad height refused");
        assert!(
            matches!(error, TableError::BadRowHeight { .. }),
            "{error:?}"
        );
    }
    let rows = [FormRow::new([FormCell::Blank, FormCell::Tick])];
    assert_eq!(
        document.form(&columns, &rows, 20.0).err(),
        Some(TableError::TooManyCells {
            row: 1,
            cells: 2,
            columns: 1
        })
    );
    assert!(
        document
            .form(&columns, &[FormRow::new([FormCell::Blank])], 40.0)
            .is_ok()
    );
}

fn patient_label(index: usize) -> Label {
    Label::new()
        .title(&format!("DUPONT-{index} Élise"))
        .line("Née le 03/02/1951 · F · IPP 00123456")
        .line("Réanimation — ch. 12 lit 1")
        .barcode(Code128::new("00123456").expect("digits"))
}

#[test]
fn a_sheet_of_labels_fills_pages_of_24_and_every_label_says_its_moment() {
    let labels: Vec<Label> = (1..=30).map(patient_label).collect();
    let pdf = labels_pdf("Étiquettes", &LabelFormat::A4_3X8_70X37, &labels, &as_of());
    assert_eq!(page_count(&pdf), 2);
    assert_eq!(occurrences(&pdf, b"/MediaBox [0 0 595.27563 841.8898]"), 2);
    if !available("pdftotext") {
        return;
    }
    let pages = pages_text(&pdf);
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].matches(AS_OF).count(), 24);
    assert_eq!(pages[1].matches(AS_OF).count(), 6);
    assert!(pages[1].contains("DUPONT-30 Élise") && pages[0].contains("DUPONT-1 Élise"));
    assert_eq!(pages.join("").matches("00123456").count(), 60);
}

#[test]
fn a_roll_label_has_the_label_size_and_an_empty_batch_still_says_its_moment() {
    let pdf = labels_pdf(
        "Étiquette",
        &LabelFormat::ROLL_62X29,
        &[patient_label(1), patient_label(2)],
        &as_of(),
    );
    assert_eq!(page_count(&pdf), 2);
    assert_eq!(occurrences(&pdf, b"/MediaBox [0 0 175.74803 82.20473]"), 2);
    let empty = labels_pdf("Vide", &LabelFormat::ROLL_62X29, &[], &as_of());
    assert_eq!(page_count(&empty), 1);
    if available("pdftotext") {
        assert!(pages_text(&empty)[0].contains(AS_OF));
    }
}

/// A grey image read from a binary PGM file (`P5`, 8 bits).
struct Grey {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

fn read_pgm(bytes: &[u8]) -> Grey {
    // Header: magic, width, height, maximum, each followed by white space.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let width: usize = fields[1].parse().expect("width");
    let height: usize = fields[2].parse().expect("height");
    let pixels = bytes[at + 1..].to_vec();
    assert_eq!(pixels.len(), width * height);
    Grey {
        width,
        height,
        pixels,
    }
}

/// Runs of dark and light pixels along one row, from the first dark pixel to the last.
fn dark_runs(image: &Grey, row: usize) -> Vec<usize> {
    let line = &image.pixels[row * image.width..(row + 1) * image.width];
    let dark: Vec<bool> = line.iter().map(|&level| level < 128).collect();
    let (Some(first), Some(last)) = (dark.iter().position(|&d| d), dark.iter().rposition(|&d| d))
    else {
        return Vec::new();
    };
    let mut runs = Vec::new();
    let mut current = dark[first];
    let mut length = 0;
    for &pixel in &dark[first..=last] {
        if pixel == current {
            length += 1;
        } else {
            runs.push(length);
            current = pixel;
            length = 1;
        }
    }
    runs.push(length);
    runs
}

#[test]
fn the_drawn_bars_read_back_as_the_symbol_widths() {
    if !available("pdftoppm") {
        return;
    }
    let code = Code128::new("DT0001").expect("printable ASCII");
    // Start B, D 36, T 52, 0 16, 0 16, 0 16, 1 17; check (104 + 36 + 104 + 48 + 64 + 80 + 102)
    // = 538 = 5 × 103 + 23.
    assert_eq!(code.values(), &[104, 36, 52, 16, 16, 16, 17, 23]);
    let pdf = labels_pdf(
        "Code",
        &LabelFormat::ROLL_62X29,
        &[Label::new().barcode(code.clone())],
        &as_of(),
    );
    let file = write_temp(&pdf);
    let dir = tempfile::tempdir().expect("temporary folder");
    let prefix = dir.path().join("code");
    run(
        "pdftoppm",
        &[
            "-r",
            "600",
            "-gray",
            "-singlefile",
            file.path().to_str().expect("UTF-8 path"),
            prefix.to_str().expect("UTF-8 path"),
        ],
    );
    let image = read_pgm(&std::fs::read(dir.path().join("code.pgm")).expect("rendered page"));

    // Rows crossing the bars have exactly one run per bar and space; their widths, divided by
    // the narrowest, are the symbol's widths in modules.
    let expected: Vec<usize> = code.widths().iter().map(|&w| usize::from(w)).collect();
    let mut matching = 0;
    for row in 0..image.height {
        let runs = dark_runs(&image, row);
        if runs.len() != expected.len() {
            continue;
        }
        let total: usize = runs.iter().sum();
        let module = total as f64 / f64::from(code.module_count());
        let modules: Vec<usize> = runs
            .iter()
            .map(|&run| (run as f64 / module).round() as usize)
            .collect();
        assert_eq!(modules, expected, "row {row}");
        matching += 1;
    }
    // The bars are at least 8 pt tall: over 60 rows at 600 dpi.
    assert!(matching > 60, "only {matching} rows cross the bars");
}

#[test]
fn oversized_forms_and_labels_never_panic_and_stay_bounded() {
    // A cell longer than a page is cut, so its row still fits on one page.
    let huge = "transmission ".repeat(5_000);
    let columns = [Column::new("Cible", 1.0), Column::new("Données", 3.0)];
    let rows = [
        FormRow::new([FormCell::text(huge.clone()), FormCell::Tick]),
        FormRow::new(Vec::new()),
        FormRow::new([FormCell::Shaded, FormCell::text("")]).bold(),
    ];
    let mut document = Document::new("Démesure");
    document
        .data_as_of(&as_of())
        .form(&columns, &rows, 0.0)
        .expect("valid form");
    assert!(page_count(&document.finish()) <= 3);

    let crowded = (0..50).fold(Label::new(), |label, index| {
        label.line(&format!("ligne {index} {huge}"))
    });
    for format in [LabelFormat::ROLL_62X29, LabelFormat::A4_3X8_70X37] {
        let labels = vec![crowded.clone(), Label::new(), crowded.clone()];
        let pdf = labels_pdf("", &format, &labels, &as_of());
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
