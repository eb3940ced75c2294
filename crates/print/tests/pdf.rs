//! The PDF file itself: structure, page count, header repetition, metadata, determinism.

use ckisa_print::{Chart, ChartKind, Column, Document, Row, XAxis};

use crate::{census_document, occurrences, page_count};

#[test]
fn a_document_is_a_complete_pdf_file() {
    let mut document = Document::new("Retour d'expérience");
    document.paragraph("Une ligne.");
    let pdf = document.finish();
    assert!(pdf.starts_with(b"%PDF-1.7"));
    assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
    assert!(occurrences(&pdf, b"startxref") == 1 && occurrences(&pdf, b"trailer") == 1);
    assert_eq!(page_count(&pdf), 1);
    assert_eq!(occurrences(&pdf, b"/BaseFont /Helvetica\n"), 1);
    assert_eq!(occurrences(&pdf, b"/BaseFont /Helvetica-Bold"), 1);
    assert_eq!(occurrences(&pdf, b"/Encoding /WinAnsiEncoding"), 2);
    assert_eq!(occurrences(&pdf, b"/Producer (ckisa)"), 1);
}

#[test]
fn a_long_table_spans_pages_and_repeats_its_header_on_each() {
    let short = census_document(10).finish();
    assert_eq!(page_count(&short), 1);
    assert_eq!(occurrences(&short, b"(Patient) Tj"), 1);

    let long = census_document(300).finish();
    let pages = page_count(&long);
    assert!((5..=12).contains(&pages), "300 rows on {pages} pages");
    assert_eq!(occurrences(&long, format!("/Count {pages}").as_bytes()), 1);
    // The header is written once per page, and every row is written once.
    assert_eq!(occurrences(&long, b"(Patient) Tj"), pages);
    assert_eq!(occurrences(&long, b"(NOM300 Jean)"), 1);
    assert_eq!(occurrences(&long, b"(NOM1 Jean)"), 1);
}

#[test]
fn a_row_taller_than_a_page_is_split_between_pages() {
    let tall: Vec<String> = (1..=150).map(|line| format!("ligne {line}")).collect();
    let columns = [Column::new("Note", 1.0)];
    let mut document = Document::new("Note très longue");
    document
        .table(&columns, &[Row::new([tall.join("\n")])])
        .expect("valid table");
    let pdf = document.finish();
    assert!(page_count(&pdf) >= 2);
    assert_eq!(occurrences(&pdf, b"(Note) Tj"), page_count(&pdf));
    assert_eq!(occurrences(&pdf, b"(ligne 1) Tj"), 1);
    assert_eq!(occurrences(&pdf, b"(ligne 150) Tj"), 1);
}

#[test]
fn page_breaks_start_pages_but_never_leave_one_blank() {
    let mut document = Document::new("Sauts de page");
    document
        .paragraph("un")
        .page_break()
        .page_break()
        .paragraph("deux")
        .page_break();
    assert_eq!(page_count(&document.finish()), 2);
}

#[test]
fn metadata_carries_the_given_date_and_the_output_is_deterministic() {
    let created: jiff::Zoned = "2026-12-04T21:40:00+01:00[Europe/Paris]"
        .parse()
        .expect("valid date");
    let mut document = Document::new("Rapport");
    document.created_at(&created).subtitle("Cellule de crise");
    document.chart(&Chart::new(ChartKind::Bar, "Vide", XAxis::paris_time()));
    let pdf = document.finish();
    assert_eq!(
        occurrences(&pdf, b"/CreationDate (D:20261204214000+01'00"),
        1
    );
    assert_eq!(occurrences(&pdf, b"/Subject (Cellule de crise)"), 1);
    assert_eq!(pdf, document.finish());

    let without_date = Document::new("Rapport").finish();
    assert_eq!(occurrences(&without_date, b"/CreationDate"), 0);
}

#[test]
fn a_header_too_tall_is_shortened_so_rows_still_fit() {
    let title = "Titre ".repeat(300);
    let columns = [Column::new(&title, 1.0), Column::new("Valeur", 1.0)];
    let rows: Vec<Row> = (0..100)
        .map(|index| Row::new([format!("ligne {index}"), "1".to_owned()]))
        .collect();
    let mut document = Document::new("En-tête trop long");
    document.table(&columns, &rows).expect("valid table");
    let pdf = document.finish();
    let pages = page_count(&pdf);
    // Uncut, the header would take 40 lines on every page; it keeps at most 22.
    let header_lines = occurrences(&pdf, b"(Titre");
    assert!(
        header_lines <= 22 * pages,
        "{header_lines} header lines on {pages} pages"
    );
    assert_eq!(occurrences(&pdf, b"(Valeur) Tj"), pages);
    assert_eq!(occurrences(&pdf, b"(ligne 99) Tj"), 1);
}

/// The content stream of each page, in page order.
fn page_streams(pdf: &[u8]) -> Vec<&[u8]> {
    let mut streams = Vec::new();
    let mut rest = pdf;
    while let Some(start) = rest.windows(7).position(|window| window == b"stream\n") {
        let body = &rest[start + 7..];
        let Some(end) = body.windows(9).position(|window| window == b"endstream") else {
            break;
        };
        streams.push(&body[..end]);
        rest = &body[end + 9..];
    }
    streams
}

#[test]
fn a_heading_stays_with_the_chart_that_follows_it() {
    let mut document = Document::new("Rapport");
    for _ in 0..25 {
        document.paragraph("Ligne de texte.");
    }
    let chart = Chart::new(ChartKind::Line, "Stock critique", XAxis::paris_time()).series(
        "s",
        vec![(1_796_414_400_000.0, 3.0), (1_796_418_000_000.0, 4.0)],
    );
    document.heading("Stocks").chart(&chart);
    let pdf = document.finish();
    let streams = page_streams(&pdf);
    assert_eq!(streams.len(), 2);
    assert_eq!(
        occurrences(streams[0], b"(Stocks) Tj"),
        0,
        "heading left alone on page 1"
    );
    assert_eq!(occurrences(streams[1], b"(Stocks) Tj"), 1);
    assert_eq!(occurrences(streams[1], b"(Stock critique) Tj"), 1);
}
