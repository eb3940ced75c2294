//! The document builder: what callers add, in order, and the checks on it. Nothing is laid out
//! until [`Document::finish`], which knows the page count and so can number every page.

use jiff::Zoned;

use crate::chart::Chart;
use crate::labels::{self, Label};
use crate::layout;

/// An A4 portrait document: a title block on the first page, then the blocks in the order
/// they were added; each page carries the footer text and "Page i / n", and, once
/// [`data_as_of`](Document::data_as_of) is set, the moment its data is from at the top.
#[derive(Debug, Clone)]
pub struct Document {
    pub(crate) title: String,
    pub(crate) subtitle: String,
    pub(crate) footer: String,
    pub(crate) data_as_of: Option<String>,
    pub(crate) created: Option<Zoned>,
    pub(crate) blocks: Vec<Block>,
}

/// One column of a [`Document::table`].
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header text, repeated at the top of the table on every page.
    pub title: String,
    /// Share of the table width. Shares are normalised: `1, 1, 2` and `0.25, 0.25, 0.5` both
    /// give a quarter, a quarter and a half. Must be finite and positive.
    pub width: f32,
    /// Placement of the text in its cells.
    pub align: Align,
    /// Sets the column's cells in bold (allergies on a census).
    pub bold: bool,
}

/// Horizontal placement of text in a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Flush left (text).
    Left,
    /// Centred (short codes, statuses).
    Center,
    /// Flush right (numbers, durations).
    Right,
}

/// One row of a [`Document::table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Cell texts, in column order; missing trailing cells are blank. A line feed in a cell
    /// starts a new line.
    pub cells: Vec<String>,
    /// A status marker drawn in a narrow column before the first one.
    pub mark: Option<Mark>,
    /// Sets the whole row in bold (a breach, a total).
    pub bold: bool,
}

/// One cell of a [`Document::form`] row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormCell {
    /// Printed text (a drug and its dose, a value already documented); wrapped like a table
    /// cell.
    Text(String),
    /// An empty box to tick or initial, at the top of the cell, placed like the column's
    /// text.
    Tick,
    /// Nothing to write here: the cell is greyed.
    Shaded,
    /// An empty cell to write in.
    Blank,
}

/// One row of a [`Document::form`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRow {
    /// Cells in column order; missing trailing cells are blank.
    pub cells: Vec<FormCell>,
    /// Sets the row's text in bold.
    pub bold: bool,
}

/// A status marker at the start of a table row. Each has its own colour and shape, so that it
/// reads on a black and white print too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Green hollow circle: within its limits.
    Ok,
    /// Orange triangle: close to a limit, or late.
    Warning,
    /// Red filled square: a breach (DMIA exceeded, stock out).
    Critical,
}

/// Why a table was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// The table has no column.
    #[error("un tableau doit avoir au moins une colonne")]
    NoColumns,
    /// A column's width share is zero, negative or not a number (`column` counts from 1).
    #[error(
        "la colonne {column} a une largeur invalide ({width}) : il faut un nombre fini et positif"
    )]
    BadWidth {
        /// Column number, from 1.
        column: usize,
        /// The width given.
        width: f32,
    },
    /// A form's row height is negative, not a number, or taller than a page.
    #[error("hauteur de ligne invalide ({height} pt) : il faut un nombre fini entre 0 et {max} pt")]
    BadRowHeight {
        /// The height given, in points.
        height: f32,
        /// The tallest allowed, in points.
        max: f32,
    },
    /// A row has more cells than the table has columns (`row` counts from 1).
    #[error("la ligne {row} a {cells} cellules pour {columns} colonnes")]
    TooManyCells {
        /// Row number, from 1.
        row: usize,
        /// Cells in that row.
        cells: usize,
        /// Columns of the table.
        columns: usize,
    },
}

#[derive(Debug, Clone)]
pub(crate) enum Block {
    Heading(String),
    Subheading(String),
    Paragraph(String),
    KeyValues(Vec<(String, String)>),
    Table {
        columns: Vec<Column>,
        rows: Vec<Row>,
    },
    Form {
        columns: Vec<Column>,
        rows: Vec<FormRow>,
        min_height: f32,
    },
    Label(Box<Label>),
    Chart(Box<Chart>),
    PageBreak,
}

impl Column {
    /// A left-aligned column.
    pub fn new(title: &str, width: f32) -> Column {
        Column {
            title: title.to_owned(),
            width,
            align: Align::Left,
            bold: false,
        }
    }

    /// The same column with another alignment.
    pub fn align(self, align: Align) -> Column {
        Column { align, ..self }
    }

    /// The same column with its cells in bold.
    pub fn bold(self) -> Column {
        Column { bold: true, ..self }
    }
}

impl FormRow {
    /// A plain row.
    pub fn new(cells: impl IntoIterator<Item = FormCell>) -> FormRow {
        FormRow {
            cells: cells.into_iter().collect(),
            bold: false,
        }
    }

    /// The same row in bold.
    pub fn bold(self) -> FormRow {
        FormRow { bold: true, ..self }
    }
}

impl FormCell {
    /// A text cell.
    pub fn text(text: impl Into<String>) -> FormCell {
        FormCell::Text(text.into())
    }
}

impl Row {
    /// A plain row.
    pub fn new<S: Into<String>>(cells: impl IntoIterator<Item = S>) -> Row {
        Row {
            cells: cells.into_iter().map(Into::into).collect(),
            mark: None,
            bold: false,
        }
    }

    /// The same row with a status marker.
    pub fn mark(self, mark: Mark) -> Row {
        Row {
            mark: Some(mark),
            ..self
        }
    }

    /// The same row in bold.
    pub fn bold(self) -> Row {
        Row { bold: true, ..self }
    }
}

impl From<Vec<String>> for Row {
    fn from(cells: Vec<String>) -> Row {
        Row {
            cells,
            mark: None,
            bold: false,
        }
    }
}

impl Document {
    /// An empty document; `title` heads the first page, the top of the others, and the PDF
    /// metadata.
    pub fn new(title: &str) -> Document {
        Document {
            title: title.to_owned(),
            subtitle: String::new(),
            footer: String::new(),
            data_as_of: None,
            created: None,
            blocks: Vec::new(),
        }
    }

    /// A line under the title on the first page (also the PDF subject).
    pub fn subtitle(&mut self, text: &str) -> &mut Self {
        self.subtitle = text.to_owned();
        self
    }

    /// Text at the bottom left of every page, e.g. "Établissement X — généré le 04/12/2026 à
    /// 21:40"; shortened with an ellipsis when it would reach the page number.
    pub fn footer(&mut self, text: &str) -> &mut Self {
        self.footer = text.to_owned();
        self
    }

    /// The moment the document's data is from, printed at the top of every page as
    /// "Données du 04/12/2026 à 23:40 (Europe/Paris)" (the zone is `at`'s own). A report made
    /// from the node's data sets it, so that a sheet found on a trolley says how old it is.
    pub fn data_as_of(&mut self, at: &Zoned) -> &mut Self {
        self.data_as_of = Some(labels::data_as_of_text(at));
        self
    }

    /// The creation date written in the PDF metadata. The crate never reads the clock: without
    /// this call the PDF has no creation date.
    pub fn created_at(&mut self, at: &Zoned) -> &mut Self {
        self.created = Some(at.clone());
        self
    }

    /// A section heading; it moves to the next page rather than end a page alone.
    pub fn heading(&mut self, text: &str) -> &mut Self {
        self.blocks.push(Block::Heading(text.to_owned()));
        self
    }

    /// A heading one level below [`heading`](Self::heading).
    pub fn subheading(&mut self, text: &str) -> &mut Self {
        self.blocks.push(Block::Subheading(text.to_owned()));
        self
    }

    /// Body text, wrapped to the page width; a line feed starts a new line.
    pub fn paragraph(&mut self, text: &str) -> &mut Self {
        self.blocks.push(Block::Paragraph(text.to_owned()));
        self
    }

    /// Label and value pairs, labels in bold in a column of their own.
    pub fn key_values<L: AsRef<str>, V: AsRef<str>>(&mut self, pairs: &[(L, V)]) -> &mut Self {
        let pairs = pairs
            .iter()
            .map(|(label, value)| (label.as_ref().to_owned(), value.as_ref().to_owned()))
            .collect();
        self.blocks.push(Block::KeyValues(pairs));
        self
    }

    /// A table over the page width. Its header is repeated on each page it spans; cells wrap;
    /// a row too tall for what is left of a page moves to the next one, and a row taller than
    /// a whole page is split between pages.
    pub fn table(&mut self, columns: &[Column], rows: &[Row]) -> Result<&mut Self, TableError> {
        check_columns(columns)?;
        check_cells(rows.iter().map(|row| row.cells.len()), columns.len())?;
        self.blocks.push(Block::Table {
            columns: columns.to_vec(),
            rows: rows.to_vec(),
        });
        Ok(self)
    }

    /// A form: a table whose rows are at least `min_height` points tall, with empty boxes to
    /// tick or initial, greyed cells and blank cells to write in besides text. Its header is
    /// repeated on each page; a row is never split (text too long for a whole page is cut).
    pub fn form(
        &mut self,
        columns: &[Column],
        rows: &[FormRow],
        min_height: f32,
    ) -> Result<&mut Self, TableError> {
        check_columns(columns)?;
        let max = layout::MAX_ROW_HEIGHT;
        if !(min_height.is_finite() && (0.0..=max).contains(&min_height)) {
            return Err(TableError::BadRowHeight {
                height: min_height,
                max,
            });
        }
        check_cells(rows.iter().map(|row| row.cells.len()), columns.len())?;
        self.blocks.push(Block::Form {
            columns: columns.to_vec(),
            rows: rows.to_vec(),
            min_height,
        });
        Ok(self)
    }

    /// A patient label in a thin frame (70 × 37 mm, the size of a sheet label) at the left of
    /// the page, as on a form where a label would be stuck.
    pub fn label(&mut self, label: &Label) -> &mut Self {
        self.blocks.push(Block::Label(Box::new(label.clone())));
        self
    }

    /// A chart over the page width, kept whole on one page.
    pub fn chart(&mut self, chart: &Chart) -> &mut Self {
        self.blocks.push(Block::Chart(Box::new(chart.clone())));
        self
    }

    /// Starts a new page (nothing happens at the top of a page that is still empty).
    pub fn page_break(&mut self) -> &mut Self {
        self.blocks.push(Block::PageBreak);
        self
    }

    /// Lays the document out and writes the PDF file. The same document always gives the same
    /// bytes.
    pub fn finish(&self) -> Vec<u8> {
        layout::render(self)
    }
}

/// A table needs columns of finite positive width shares.
fn check_columns(columns: &[Column]) -> Result<(), TableError> {
    if columns.is_empty() {
        return Err(TableError::NoColumns);
    }
    match columns
        .iter()
        .enumerate()
        .find(|(_, column)| !(column.width.is_finite() && column.width > 0.0))
    {
        Some((index, column)) => Err(TableError::BadWidth {
            column: index + 1,
            width: column.width,
        }),
        None => Ok(()),
    }
}

/// No row may have more cells than there are columns.
fn check_cells(cell_counts: impl Iterator<Item = usize>, columns: usize) -> Result<(), TableError> {
    for (index, cells) in cell_counts.enumerate() {
        if cells > columns {
            return Err(TableError::TooManyCells {
                row: index + 1,
                cells,
                columns,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_checked_with_precise_reasons() {
        let mut document = Document::new("t");
        assert_eq!(document.table(&[], &[]).err(), Some(TableError::NoColumns));

        let columns = [Column::new("Unité", 2.0), Column::new("Lits", f32::NAN)];
        let error = document.table(&columns, &[]).expect_err("refused");
        assert!(
            matches!(error, TableError::BadWidth { column: 2, .. }),
            "{error:?}"
        );

        let columns = [Column::new("Unité", 2.0), Column::new("Lits", 1.0)];
        let rows = [Row::new(["a", "1"]), Row::new(["b", "2", "extra"])];
        let error = document.table(&columns, &rows).expect_err("refused");
        assert_eq!(
            error,
            TableError::TooManyCells {
                row: 2,
                cells: 3,
                columns: 2
            }
        );
        assert_eq!(error.to_string(), "la ligne 2 a 3 cellules pour 2 colonnes");
        assert!(document.blocks.is_empty());

        let rows = [
            Row::new(["a"]),
            Row::new(["b", "2"]).mark(Mark::Critical).bold(),
        ];
        assert!(document.table(&columns, &rows).is_ok());
        assert_eq!(document.blocks.len(), 1);
    }
}
