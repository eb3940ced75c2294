//! Integration tests of ckisa-print, one binary: the PDF structure, text extracted back by
//! poppler's `pdftotext`, the SVG output, odd inputs that must never panic, and the paper
//! fallback's pieces (data-as-of line, forms, labels, barcodes read back from a rendering).

mod odd;
mod paper;
mod pdf;
mod poppler;
mod svg;

use ckisa_print::{Align, Column, Document, Row};

/// The number of page objects in a PDF written by the crate.
fn page_count(pdf: &[u8]) -> usize {
    let needle = b"/Type /Page";
    pdf.windows(needle.len() + 1)
        .filter(|window| window.starts_with(needle) && window[needle.len()] != b's')
        .count()
}

/// How many times `needle` occurs in `haystack`.
fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle)
        .count()
}

/// A census-like table of `rows` patients.
fn census(rows: usize) -> (Vec<Column>, Vec<Row>) {
    let columns = vec![
        Column::new("Lit", 0.6).align(Align::Center),
        Column::new("Patient", 2.0),
        Column::new("Allergies", 2.5),
        Column::new("Entrée", 1.0).align(Align::Right),
    ];
    let rows = (1..=rows)
        .map(|index| {
            Row::new([
                format!("{index:03}"),
                format!("NOM{index} Jean"),
                if index % 7 == 0 {
                    "Pénicilline, iode, latex".to_owned()
                } else {
                    String::new()
                },
                format!("{:02}/12/2026", 1 + index % 28),
            ])
        })
        .collect();
    (columns, rows)
}

/// A document holding only a census table of `rows` rows.
fn census_document(rows: usize) -> Document {
    let (columns, rows) = census(rows);
    let mut document = Document::new("Recensement des patients");
    document.footer("CH Exemple — généré le 04/12/2026 à 21:40");
    document.table(&columns, &rows).expect("valid table");
    document
}
