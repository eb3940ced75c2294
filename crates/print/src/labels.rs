//! Labels: a few lines of identity and a barcode in a small box, printed on label stock (a roll
//! of 62 × 29 mm for a label printer, an A4 sheet of 3 × 8 labels of 70 × 37 mm) or inside a
//! form page. Every label ends with the moment its data is from, so that a label peeled off its
//! sheet still says it.

use jiff::Zoned;

use crate::barcode::{self, Code128};
use crate::canvas::{Canvas, Rgb, Stroke};
use crate::page::{self, Page};
use crate::winansi::{self, Font};
use crate::wrap;

/// Points per millimetre.
pub(crate) const MM: f32 = 72.0 / 25.4;

/// What a label holds, top to bottom: text lines and at most a few barcodes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Label {
    pub(crate) items: Vec<LabelItem>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LabelItem {
    Line { text: String, style: LineStyle },
    Barcode(Code128),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineStyle {
    Title,
    Text,
    Small,
}

/// A label stock: the page, the size of each label and how they are laid out on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelFormat {
    /// Page width, in millimetres.
    pub page_width_mm: f32,
    /// Page height, in millimetres.
    pub page_height_mm: f32,
    /// Label width, in millimetres.
    pub label_width_mm: f32,
    /// Label height, in millimetres.
    pub label_height_mm: f32,
    /// Labels across.
    pub columns: u32,
    /// Labels down.
    pub rows: u32,
    /// Left edge of the first column, in millimetres from the page's left edge.
    pub left_mm: f32,
    /// Top edge of the first row, in millimetres from the page's top edge.
    pub top_mm: f32,
    /// Space between two columns, in millimetres.
    pub column_gap_mm: f32,
    /// Space between two rows, in millimetres.
    pub row_gap_mm: f32,
    /// Blank margin kept inside each label (printers seldom reach the edge of a sheet).
    pub padding_mm: f32,
}

impl LabelFormat {
    /// One 62 × 29 mm label per page: the die-cut rolls of Brother QL and similar thermal
    /// label printers.
    pub const ROLL_62X29: LabelFormat = LabelFormat {
        page_width_mm: 62.0,
        page_height_mm: 29.0,
        label_width_mm: 62.0,
        label_height_mm: 29.0,
        columns: 1,
        rows: 1,
        left_mm: 0.0,
        top_mm: 0.0,
        column_gap_mm: 0.0,
        row_gap_mm: 0.0,
        padding_mm: 1.5,
    };

    /// An A4 sheet of 24 labels of 70 × 37 mm, 3 across and 8 down, edge to edge (the
    /// common patient label sheet).
    pub const A4_3X8_70X37: LabelFormat = LabelFormat {
        page_width_mm: 210.0,
        page_height_mm: 297.0,
        label_width_mm: 70.0,
        label_height_mm: 37.0,
        columns: 3,
        rows: 8,
        left_mm: 0.0,
        top_mm: 0.5,
        column_gap_mm: 0.0,
        row_gap_mm: 0.0,
        padding_mm: 4.0,
    };

    /// Labels on one page.
    pub fn per_page(&self) -> usize {
        (self.columns as usize * self.rows as usize).max(1)
    }

    /// Top-left corner, in points, of the label in place `index` of a page.
    fn origin(&self, index: usize) -> (f32, f32) {
        let columns = self.columns.max(1) as usize;
        let (row, column) = (index / columns, index % columns);
        (
            (self.left_mm + column as f32 * (self.label_width_mm + self.column_gap_mm)) * MM,
            (self.top_mm + row as f32 * (self.label_height_mm + self.row_gap_mm)) * MM,
        )
    }
}

impl Label {
    /// An empty label.
    pub fn new() -> Label {
        Label::default()
    }

    /// A line in bold, larger than the others (the patient's name).
    pub fn title(mut self, text: &str) -> Label {
        self.items.push(LabelItem::Line {
            text: text.to_owned(),
            style: LineStyle::Title,
        });
        self
    }

    /// A line of text; shortened with an ellipsis when too long for the label.
    pub fn line(mut self, text: &str) -> Label {
        self.items.push(LabelItem::Line {
            text: text.to_owned(),
            style: LineStyle::Text,
        });
        self
    }

    /// A line in small type.
    pub fn small(mut self, text: &str) -> Label {
        self.items.push(LabelItem::Line {
            text: text.to_owned(),
            style: LineStyle::Small,
        });
        self
    }

    /// A barcode with its text printed under the bars; it takes the height the lines leave.
    pub fn barcode(mut self, code: Code128) -> Label {
        self.items.push(LabelItem::Barcode(code));
        self
    }
}

/// "Données du 04/12/2026 à 23:40 (Europe/Paris)": the line every page and every label carries.
pub fn data_as_of_text(at: &Zoned) -> String {
    let zone = match at.time_zone().iana_name() {
        Some(name) => name.to_owned(),
        None => format!("UTC{}", at.offset()),
    };
    format!(
        "Données du {:02}/{:02}/{:04} à {:02}:{:02} ({zone})",
        at.day(),
        at.month(),
        at.year(),
        at.hour(),
        at.minute()
    )
}

/// Labels printed on `format` stock, as many pages as needed; each label ends with the moment
/// its data is from. No label gives one page holding only that line, so that the file still
/// says what it was made from. `title` is the PDF's title.
pub fn labels_pdf(title: &str, format: &LabelFormat, labels: &[Label], as_of: &Zoned) -> Vec<u8> {
    let as_of_text = data_as_of_text(as_of);
    let (page_width, page_height) = (format.page_width_mm * MM, format.page_height_mm * MM);
    let size = (format.label_width_mm * MM, format.label_height_mm * MM);
    let padding = format.padding_mm * MM;
    let mut pages = Vec::new();
    let empty = [Label::new()];
    let labels = if labels.is_empty() {
        &empty[..]
    } else {
        labels
    };
    for chunk in labels.chunks(format.per_page()) {
        let mut page = Page::sized(page_width, page_height);
        for (index, label) in chunk.iter().enumerate() {
            let (x, y) = format.origin(index);
            draw(
                &mut page,
                label,
                (x + padding, y + padding),
                (size.0 - 2.0 * padding, size.1 - 2.0 * padding),
                Some(&as_of_text),
            );
        }
        pages.push(page);
    }
    let metadata = page::Metadata {
        title,
        subject: &as_of_text,
        created: Some(as_of),
    };
    page::assemble(pages, &metadata)
}

/// Font size of a style on a label whose inner height is `height` points.
fn font_size(style: LineStyle, height: f32) -> f32 {
    let base = (height / 9.0).clamp(5.0, 9.0);
    match style {
        LineStyle::Title => base * 1.25,
        LineStyle::Text => base,
        LineStyle::Small => base * 0.8,
    }
}

/// Draws `label` in the box at `origin` of `size` points (padding already removed), with the
/// as-of line at the bottom when given.
pub(crate) fn draw(
    page: &mut Page,
    label: &Label,
    origin: (f32, f32),
    size: (f32, f32),
    as_of: Option<&str>,
) {
    let ((x, y), (width, height)) = (origin, size);
    let mut lines: Vec<(&str, LineStyle)> = Vec::new();
    let mut codes: Vec<(usize, &Code128)> = Vec::new();
    for item in &label.items {
        match item {
            LabelItem::Line { text, style } => lines.push((text, *style)),
            LabelItem::Barcode(code) => codes.push((lines.len(), code)),
        }
    }
    if let Some(as_of) = as_of {
        lines.push((as_of, LineStyle::Small));
    }

    // Text takes what it needs, scaled down when the label is too small; barcodes share the
    // rest, each with its text under the bars.
    let leading = |style| font_size(style, height) * 1.18;
    let code_text = font_size(LineStyle::Small, height);
    let text_height: f32 = lines.iter().map(|&(_, style)| leading(style)).sum();
    let code_min = 12.0 + code_text * 1.2;
    let needed = text_height + codes.len() as f32 * code_min;
    let scale = if needed > height && text_height > 0.0 {
        ((height - codes.len() as f32 * code_min) / text_height).clamp(0.5, 1.0)
    } else {
        1.0
    };
    let bar_height = if codes.is_empty() {
        0.0
    } else {
        ((height - text_height * scale) / codes.len() as f32 - code_text * 1.2).clamp(8.0, 40.0)
    };

    let mut top = y;
    let mut next_code = codes.iter().peekable();
    for (index, &(text, style)) in lines.iter().enumerate() {
        while let Some(&&(at, code)) = next_code.peek() {
            if at != index {
                break;
            }
            top = draw_code(page, code, (x, top), (width, bar_height), code_text);
            next_code.next();
        }
        let size = font_size(style, height) * scale;
        let font = if style == LineStyle::Title {
            Font::Bold
        } else {
            Font::Regular
        };
        let encoded = wrap::ellipsize(&winansi::encode_line(text), font, size, width);
        page.show((x, top + size * 0.9), &encoded, font, size, Rgb::BLACK);
        top += size * 1.18;
    }
    for &(_, code) in next_code {
        top = draw_code(page, code, (x, top), (width, bar_height), code_text);
    }
}

/// Draws a barcode and its text at `(x, top)`; returns the top of what follows.
fn draw_code(
    page: &mut Page,
    code: &Code128,
    (x, top): (f32, f32),
    (width, bar_height): (f32, f32),
    text_size: f32,
) -> f32 {
    let top = top + 1.0;
    barcode::draw(page, code, (x, top), (width, bar_height), 1.5);
    let text = winansi::encode_line(code.text());
    let text_width = winansi::width(&text, Font::Regular, text_size);
    let baseline = top + bar_height + text_size * 0.95;
    page.show(
        (x + (width - text_width).max(0.0) / 2.0, baseline),
        &text,
        Font::Regular,
        text_size,
        Rgb::BLACK,
    );
    baseline + text_size * 0.3
}

/// A label inside a page of a document: a thin frame, like a sticker, around `label`.
pub(crate) fn draw_framed(page: &mut Page, label: &Label, origin: (f32, f32), size: (f32, f32)) {
    let ((x, y), (width, height)) = (origin, size);
    page.rect(
        x,
        y,
        width,
        height,
        None,
        Some(&Stroke::solid(Rgb::grey(0.45), 0.6)),
    );
    let padding = 2.5 * MM;
    draw(
        page,
        label,
        (x + padding, y + padding),
        (width - 2.0 * padding, height - 2.0 * padding),
        None,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_as_of_line_is_french_and_names_the_zone() {
        let at: Zoned = "2026-12-04T23:40:00+01:00[Europe/Paris]"
            .parse()
            .expect("valid date");
        assert_eq!(
            data_as_of_text(&at),
            "Données du 04/12/2026 à 23:40 (Europe/Paris)"
        );
    }

    #[test]
    fn a_sheet_places_labels_row_by_row_within_the_page() {
        let format = LabelFormat::A4_3X8_70X37;
        assert_eq!(format.per_page(), 24);
        let (x, y) = format.origin(4);
        assert!((x - 70.0 * MM).abs() < 0.01 && (y - 37.5 * MM).abs() < 0.01);
        let (x, y) = format.origin(23);
        assert!(x + format.label_width_mm * MM <= format.page_width_mm * MM + 0.01);
        assert!(y + format.label_height_mm * MM <= format.page_height_mm * MM + 0.01);
    }
}
