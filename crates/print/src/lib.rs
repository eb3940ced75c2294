//! Printable documents written by the node itself, without IO: A4 PDF reports (the after-action
//! report of a crisis, the paper fallback of the clinical capsule), labels with Code 128
//! barcodes on label stock, and the same charts as inline SVG for web pages.
//!
//! PDFs use the two standard fonts every viewer has, Helvetica and Helvetica-Bold, under
//! WinAnsiEncoding, so nothing is embedded and French prints as it should (é è ê à ç ù ô î œ
//! « » € ’ and the no-break space). Text is wrapped with the fonts' real widths. Characters
//! outside WinAnsi are replaced, never dropped: decomposed accents are composed, other Latin
//! letters lose their accent (ł → l, ğ → g), a few symbols get an ASCII spelling (≤ → <=), the
//! rest becomes `?`. The crate never reads the clock: dates come from the caller.
//!
//! # A report
//!
//! ```
//! use ckisa_print::{Align, Chart, ChartKind, Column, Document, Mark, Row, XAxis, chart_svg};
//!
//! let mut report = Document::new("Retour d'expérience — cyberattaque du 04/12/2026");
//! report.subtitle("Cellule de crise, plan blanc niveau 2").footer("CH Exemple — généré le 06/12/2026 à 09:15");
//! report.heading("Chronologie").paragraph("La messagerie est tombée à 21 h 40 ; le plan blanc a été déclenché à 22 h 05.");
//! report.key_values(&[("Durée de la crise", "41 h 20"), ("Décisions", "17")]);
//! let columns = [Column::new("Unité", 3.0), Column::new("Retard", 1.0).align(Align::Right)];
//! let rows = [Row::new(["Urgences", "0 min"]).mark(Mark::Ok), Row::new(["Réanimation", "95 min"]).mark(Mark::Critical).bold()];
//! report.table(&columns, &rows)?;
//! let stock = Chart::new(ChartKind::Line, "Stock d'O-négatif", XAxis::paris_time())
//!     .y_label("poches")
//!     .series("CGR O-", vec![(1_796_420_400_000.0, 12.0), (1_796_431_200_000.0, 7.0)])
//!     .threshold("Seuil d'alerte", 5.0);
//! report.chart(&stock);
//! let pdf = report.finish();
//! assert!(pdf.starts_with(b"%PDF-"));
//!
//! let svg = chart_svg(&stock, 640, 320);
//! assert!(svg.starts_with("<svg") && svg.contains("<title>Stock d&#39;O-négatif</title>"));
//! # Ok::<(), ckisa_print::TableError>(())
//! ```
//!
//! # API map
//!
//! - [`Document`]: [`new`](Document::new), [`subtitle`](Document::subtitle),
//!   [`footer`](Document::footer), [`created_at`](Document::created_at), then blocks in order:
//!   [`heading`](Document::heading), [`subheading`](Document::subheading),
//!   [`paragraph`](Document::paragraph), [`key_values`](Document::key_values),
//!   [`table`](Document::table) ([`Column`], [`Align`], [`Row`], [`Mark`]; refusals are
//!   [`TableError`]), [`chart`](Document::chart), [`page_break`](Document::page_break); and
//!   [`finish`](Document::finish) for the PDF bytes.
//! - [`Document::data_as_of`]: the moment the data is from, at the top of every page
//!   ("Données du 04/12/2026 à 23:40 (Europe/Paris)", [`data_as_of_text`]); every report made
//!   from the node's data sets it.
//! - [`Document::form`] ([`FormRow`], [`FormCell`]): tables with boxes to tick or initial,
//!   greyed and blank cells, rows of a minimum height (medication sheets, blank forms);
//!   [`Document::label`]: a framed patient label on a page.
//! - [`Code128`] ([`BarcodeError`]): Code 128 code set B with its check symbol, drawn as filled
//!   bars; [`Label`] and [`LabelFormat`] (a 62 × 29 mm roll, an A4 sheet of 3 × 8 labels of
//!   70 × 37 mm) for [`labels_pdf`], where every label ends with the data-as-of line.
//! - [`Chart`] ([`ChartKind`], [`XAxis`], [`Series`], [`Threshold`]): drawn in a document, or
//!   alone by [`chart_svg`].
//!
//! Only Code 128 is drawn: no QR code (no small pure crate for it is in the dependency tree).

#![deny(missing_docs)]

mod barcode;
mod canvas;
mod chart;
mod document;
mod labels;
mod layout;
mod page;
mod svg;
mod winansi;
mod wrap;

pub use barcode::{BarcodeError, CODE128_MAX_LENGTH, Code128};
pub use chart::{Chart, ChartKind, Series, Threshold, XAxis};
pub use document::{Align, Column, Document, FormCell, FormRow, Mark, Row, TableError};
pub use labels::{Label, LabelFormat, data_as_of_text, labels_pdf};
pub use svg::chart_svg;
