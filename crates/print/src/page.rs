//! One A4 page as a PDF content stream, drawn with y downwards from the top of the page like
//! every other canvas, and the assembly of pages into a PDF file (fonts, page tree, metadata).

use jiff::Zoned;
use pdf_writer::{Content, Date, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::canvas::{Anchor, Canvas, Rgb, Stroke, TextStyle};
use crate::winansi::{self, Font};

/// A4 portrait, in points.
pub(crate) const PAGE_WIDTH: f32 = 595.28;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;

/// Control point distance of the four Bézier quarter circles approximating a circle.
const KAPPA: f32 = 0.552_284_8;

/// A page being drawn, with its size in points.
pub(crate) struct Page {
    content: Content,
    width: f32,
    height: f32,
}

impl Page {
    /// An A4 portrait page.
    pub(crate) fn new() -> Page {
        Page::sized(PAGE_WIDTH, PAGE_HEIGHT)
    }

    /// A page of any size (a label), in points.
    pub(crate) fn sized(width: f32, height: f32) -> Page {
        Page {
            content: Content::new(),
            width,
            height,
        }
    }

    /// Fills rectangles given by their top-left corner and size as one path: the bars of a
    /// barcode, one `re` operator each and a single fill.
    pub(crate) fn fill_rects(&mut self, rects: &[(f32, f32, f32, f32)], colour: Rgb) {
        if rects.is_empty() {
            return;
        }
        self.content.set_fill_rgb(colour.0, colour.1, colour.2);
        for &(x, y, width, height) in rects {
            self.content
                .rect(x, self.height - y - height, width, height);
        }
        self.content.fill_nonzero();
    }

    /// Shows WinAnsi text with its baseline starting at `(x, y)`.
    pub(crate) fn show(
        &mut self,
        (x, y): (f32, f32),
        text: &[u8],
        font: Font,
        size: f32,
        colour: Rgb,
    ) {
        self.show_rotated((x, y), text, font, size, colour, 0.0);
    }

    fn show_rotated(
        &mut self,
        (x, y): (f32, f32),
        text: &[u8],
        font: Font,
        size: f32,
        colour: Rgb,
        degrees: f32,
    ) {
        if text.is_empty() {
            return;
        }
        let (sin, cos) = degrees.to_radians().sin_cos();
        self.content.set_fill_rgb(colour.0, colour.1, colour.2);
        self.content.begin_text();
        self.content.set_font(Name(font.resource_name()), size);
        self.content
            .set_text_matrix([cos, sin, -sin, cos, x, self.height - y]);
        self.content.show(Str(text));
        self.content.end_text();
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.content.finish().into_vec()
    }

    fn set_stroke(&mut self, stroke: &Stroke) {
        let Stroke {
            colour,
            width,
            dash,
        } = *stroke;
        self.content.set_stroke_rgb(colour.0, colour.1, colour.2);
        self.content.set_line_width(width);
        self.content.set_dash_pattern(dash.iter().copied(), 0.0);
    }

    fn trace(&mut self, points: &[(f32, f32)]) {
        for (index, &(x, y)) in points.iter().enumerate() {
            if index == 0 {
                self.content.move_to(x, self.height - y);
            } else {
                self.content.line_to(x, self.height - y);
            }
        }
    }

    /// Fills and/or strokes the path just traced, closing it.
    fn paint_closed(&mut self, fill: Option<Rgb>, stroke: Option<&Stroke>) {
        if let Some(colour) = fill {
            self.content.set_fill_rgb(colour.0, colour.1, colour.2);
        }
        if let Some(stroke) = stroke {
            self.set_stroke(stroke);
        }
        match (fill.is_some(), stroke.is_some()) {
            (true, true) => self.content.close_fill_nonzero_and_stroke(),
            (true, false) => self.content.close_path().fill_nonzero(),
            (false, true) => self.content.close_and_stroke(),
            (false, false) => self.content.end_path(),
        };
    }
}

impl Canvas for Page {
    fn polyline(&mut self, points: &[(f32, f32)], stroke: &Stroke) {
        if points.len() < 2 {
            return;
        }
        self.set_stroke(stroke);
        self.trace(points);
        self.content.stroke();
    }

    fn polygon(&mut self, points: &[(f32, f32)], fill: Option<Rgb>, stroke: Option<&Stroke>) {
        if points.len() < 2 {
            return;
        }
        self.trace(points);
        self.paint_closed(fill, stroke);
    }

    fn circle(
        &mut self,
        (x, y): (f32, f32),
        radius: f32,
        fill: Option<Rgb>,
        stroke: Option<&Stroke>,
    ) {
        let (cx, cy, r, k) = (x, self.height - y, radius, radius * KAPPA);
        self.content.move_to(cx + r, cy);
        self.content
            .cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
        self.content
            .cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
        self.content
            .cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
        self.content
            .cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
        self.paint_closed(fill, stroke);
    }

    fn text(&mut self, (x, y): (f32, f32), text: &str, style: &TextStyle) {
        let font = if style.bold {
            Font::Bold
        } else {
            Font::Regular
        };
        let encoded = winansi::encode_line(text);
        let width = winansi::width(&encoded, font, style.size);
        let shift = match style.anchor {
            Anchor::Start => 0.0,
            Anchor::Middle => width / 2.0,
            Anchor::End => width,
        };
        let (sin, cos) = style.rotation.to_radians().sin_cos();
        let start = (x - shift * cos, y + shift * sin);
        self.show_rotated(
            start,
            &encoded,
            font,
            style.size,
            style.colour,
            style.rotation,
        );
    }
}

/// What the document information dictionary says.
pub(crate) struct Metadata<'a> {
    pub(crate) title: &'a str,
    pub(crate) subject: &'a str,
    pub(crate) created: Option<&'a Zoned>,
}

/// Writes the pages into a PDF file with both fonts and the metadata.
pub(crate) fn assemble(pages: Vec<Page>, metadata: &Metadata<'_>) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let info_id = Ref::new(3);
    let font_ids = [(Font::Regular, Ref::new(4)), (Font::Bold, Ref::new(5))];
    let first_page = 6;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|index| Ref::new(first_page + 2 * index as i32))
        .collect();

    let mut pdf = Pdf::new();
    let mut catalog = pdf.catalog(catalog_id);
    catalog.pages(tree_id).lang(TextStr("fr-FR"));
    catalog.viewer_preferences().display_doc_title(true);
    drop(catalog);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);

    for (font, id) in font_ids {
        pdf.type1_font(id)
            .base_font(Name(font.base_font()))
            .encoding_predefined(Name(b"WinAnsiEncoding"))
            .first_char(32)
            .last_char(255)
            .widths(font.widths().iter().map(|&width| f32::from(width)));
    }

    for (page, &page_id) in pages.into_iter().zip(&page_ids) {
        let content_id = Ref::new(page_id.get() + 1);
        let media_box = Rect::new(0.0, 0.0, page.width, page.height);
        let mut writer = pdf.page(page_id);
        writer
            .parent(tree_id)
            .media_box(media_box)
            .contents(content_id);
        let mut resources = writer.resources();
        let mut fonts = resources.fonts();
        for (font, id) in font_ids {
            fonts.pair(Name(font.resource_name()), id);
        }
        drop(fonts);
        drop(resources);
        drop(writer);
        pdf.stream(content_id, &page.into_bytes());
    }

    let mut info = pdf.document_info(info_id);
    info.title(TextStr(metadata.title))
        .producer(TextStr("ckisa"))
        .creator(TextStr("ckisa"));
    if !metadata.subject.is_empty() {
        info.subject(TextStr(metadata.subject));
    }
    if let Some(created) = metadata.created {
        info.creation_date(pdf_date(created));
    }
    drop(info);
    pdf.finish()
}

fn pdf_date(at: &Zoned) -> Date {
    let offset = at.offset().seconds();
    let hours = (offset / 3600) as i8;
    let minutes = ((offset.abs() % 3600) / 60) as u8;
    Date::new(at.year().clamp(0, 9999) as u16)
        .month(at.month() as u8)
        .day(at.day() as u8)
        .hour(at.hour() as u8)
        .minute(at.minute() as u8)
        .second(at.second() as u8)
        .utc_offset_hour(hours)
        .utc_offset_minute(minutes)
}
