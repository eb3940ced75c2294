//! Printable documents written by the node itself, without IO: A4 PDF reports (the after-action
//! report of a crisis now, the paper fallback later) and the same charts as inline SVG for web
//! pages.
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
//! - [`Chart`] ([`ChartKind`], [`XAxis`], [`Series`], [`Threshold`]): drawn in a document, or
//!   alone by [`chart_svg`].

#![deny(missing_docs)]

mod canvas;
mod chart;
mod document;
mod layout;
mod page;
mod svg;
mod winansi;
mod wrap;

pub use chart::{Chart, ChartKind, Series, Threshold, XAxis};
pub use document::{Align, Column, Document, Mark, Row, TableError};
pub use svg::chart_svg;
