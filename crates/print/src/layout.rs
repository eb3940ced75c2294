//! Page layout: blocks flow down A4 pages between fixed margins; text is wrapped with the
//! Helvetica widths; tables repeat their header and split rows taller than a page; charts stay
//! whole. Footers are written last, once the page count is known.

use crate::canvas::{Canvas, Rgb, Shifted, Stroke};
use crate::chart;
use crate::document::{Align, Block, Column, Document, FormCell, FormRow, Mark, Row};
use crate::labels::{self, Label, MM};
use crate::page::{self, PAGE_HEIGHT, PAGE_WIDTH, Page};
use crate::winansi::{self, Font};
use crate::wrap;

const LEFT: f32 = 50.0;
const RIGHT: f32 = PAGE_WIDTH - 50.0;
const CONTENT_WIDTH: f32 = RIGHT - LEFT;
/// Where content starts and must end on every page.
const TOP: f32 = 56.0;
const BOTTOM: f32 = PAGE_HEIGHT - 56.0;

const BODY: TextSize = TextSize {
    size: 10.0,
    leading: 13.5,
};
const TABLE: TextSize = TextSize {
    size: 8.5,
    leading: 10.5,
};
const TITLE: TextSize = TextSize {
    size: 18.0,
    leading: 22.0,
};
const SUBTITLE: TextSize = TextSize {
    size: 11.0,
    leading: 14.0,
};
const HEADING: TextSize = TextSize {
    size: 14.0,
    leading: 18.0,
};
const SUBHEADING: TextSize = TextSize {
    size: 11.5,
    leading: 15.0,
};
const SMALL: f32 = 8.0;
/// Size of the "data as of" line at the top of every page.
const AS_OF_SIZE: f32 = 8.5;

const CHART_HEIGHT: f32 = 250.0;
/// The tallest row a form may ask for: half the room of a page, so that its header and a
/// row always fit together.
pub(crate) const MAX_ROW_HEIGHT: f32 = (BOTTOM - TOP) / 2.0;
/// A label in a document has the size of a sheet label, 70 × 37 mm.
const LABEL_SIZE: (f32, f32) = (70.0 * MM, 37.0 * MM);
/// Width of the column of row markers, when a table has any.
const MARK_GUTTER: f32 = 12.0;

/// A font size and the distance between baselines.
#[derive(Debug, Clone, Copy)]
struct TextSize {
    size: f32,
    leading: f32,
}

impl TextSize {
    /// Baseline of a line whose box starts at `top`.
    fn baseline(self, top: f32) -> f32 {
        top + (self.leading - self.size) / 2.0 + self.size * 0.78
    }
}

/// Lays `document` out and writes it as PDF.
pub(crate) fn render(document: &Document) -> Vec<u8> {
    let mut layout = Layout {
        pages: Vec::new(),
        y: TOP,
        running_title: winansi::encode_line(&document.title),
        as_of: document.data_as_of.as_deref().map(winansi::encode_line),
    };
    layout.new_page();
    layout.title_block(&document.title, &document.subtitle);
    // A page break takes effect when something follows it: none leaves a blank last page.
    let mut break_pending = false;
    for (index, block) in document.blocks.iter().enumerate() {
        let keep = keep_with_heading(&document.blocks[index + 1..]);
        if break_pending && !matches!(block, Block::PageBreak) {
            layout.new_page();
            break_pending = false;
        }
        match block {
            Block::Heading(text) => layout.heading(text, HEADING, 14.0, keep),
            Block::Subheading(text) => layout.heading(text, SUBHEADING, 10.0, keep),
            Block::Paragraph(text) => layout.paragraph(text),
            Block::KeyValues(pairs) => layout.key_values(pairs),
            Block::Table { columns, rows } => layout.table(columns, rows),
            Block::Form {
                columns,
                rows,
                min_height,
            } => layout.form(columns, rows, *min_height),
            Block::Label(label) => layout.label(label),
            Block::Chart(chart) => layout.chart(chart),
            Block::PageBreak => break_pending = layout.y > TOP,
        }
    }

    let footer = winansi::encode_line(&document.footer);
    let count = layout.pages.len();
    for (index, page) in layout.pages.iter_mut().enumerate() {
        draw_footer(page, &footer, index + 1, count);
    }
    let metadata = page::Metadata {
        title: &document.title,
        subject: &document.subtitle,
        created: document.created.as_ref(),
    };
    page::assemble(layout.pages, &metadata)
}

/// How much of what follows a heading must fit on the heading's page: a whole chart, a table's
/// header and first rows, or about three lines of text, plus the headings in between (up to
/// three).
fn keep_with_heading(following: &[Block]) -> f32 {
    let mut keep = 0.0;
    for block in following.iter().take(4) {
        match block {
            Block::Heading(_) | Block::Subheading(_) => keep += HEADING.leading,
            Block::Chart(_) => return keep + CHART_HEIGHT + 8.0,
            Block::Table { .. } | Block::Form { .. } => return keep + 60.0,
            Block::Label(_) => return keep + LABEL_SIZE.1 + 8.0,
            _ => break,
        }
    }
    keep + 3.0 * BODY.leading
}

fn draw_footer(page: &mut Page, footer: &[u8], number: usize, count: usize) {
    let rule_y = PAGE_HEIGHT - 44.0;
    let baseline = PAGE_HEIGHT - 32.0;
    page.line(
        (LEFT, rule_y),
        (RIGHT, rule_y),
        &Stroke::solid(Rgb::RULE, 0.5),
    );
    let numbering = winansi::encode_line(&format!("Page {number} / {count}"));
    let numbering_width = winansi::width(&numbering, Font::Regular, SMALL);
    page.show(
        (RIGHT - numbering_width, baseline),
        &numbering,
        Font::Regular,
        SMALL,
        Rgb::MUTED,
    );
    let room = CONTENT_WIDTH - numbering_width - 16.0;
    let footer = wrap::ellipsize(footer, Font::Regular, SMALL, room);
    page.show((LEFT, baseline), &footer, Font::Regular, SMALL, Rgb::MUTED);
}

/// The pages so far and the cursor on the last one.
struct Layout {
    pages: Vec<Page>,
    /// Top of the free space on the current page.
    y: f32,
    running_title: Vec<u8>,
    /// "Données du …", at the top right of every page.
    as_of: Option<Vec<u8>>,
}

/// A table row ready to draw: each cell's lines and font.
struct GridRow {
    cells: Vec<(Vec<Vec<u8>>, Font)>,
    mark: Option<Mark>,
}

impl GridRow {
    fn line_count(&self) -> usize {
        self.cells
            .iter()
            .map(|(lines, _)| lines.len())
            .max()
            .unwrap_or(1)
            .max(1)
    }
}

/// The geometry and look of a table (or of a key-value list, a table without rules).
struct Grid {
    /// Left edge and width of each column.
    columns: Vec<(f32, f32, Align)>,
    gutter: f32,
    text: TextSize,
    pad_x: f32,
    pad_y: f32,
    ruled: bool,
}

impl Grid {
    fn row_height(&self, lines: usize) -> f32 {
        lines as f32 * self.text.leading + 2.0 * self.pad_y
    }

    fn wrap_row(
        &self,
        cells: &[String],
        font_of: impl Fn(usize) -> Font,
    ) -> Vec<(Vec<Vec<u8>>, Font)> {
        self.columns
            .iter()
            .enumerate()
            .map(|(index, &(_, width, _))| {
                let font = font_of(index);
                let text = cells.get(index).map(String::as_str).unwrap_or("");
                let lines = wrap::wrap(
                    &winansi::encode(text),
                    font,
                    self.text.size,
                    width - 2.0 * self.pad_x,
                );
                (lines, font)
            })
            .collect()
    }
}

impl Grid {
    /// Keeps a header within a third of the page, ending a cut title with an ellipsis: it is
    /// repeated on every page and must leave room for rows.
    fn shorten_header(&self, header: &mut GridRow) {
        let max_lines =
            (((BOTTOM - TOP) / 3.0 - 2.0 * self.pad_y) / self.text.leading).max(1.0) as usize;
        for ((lines, font), &(_, width, _)) in header.cells.iter_mut().zip(&self.columns) {
            if lines.len() <= max_lines {
                continue;
            }
            lines.truncate(max_lines);
            if let Some(last) = lines.last_mut() {
                last.push(winansi::ELLIPSIS);
                *last = wrap::ellipsize(last, *font, self.text.size, width - 2.0 * self.pad_x);
            }
        }
    }
}

impl Layout {
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.new_page();
        }
        self.pages
            .last_mut()
            .expect("a page exists once new_page ran")
    }

    /// Starts a page; every page after the first is headed by the document title, and every
    /// page by the moment the data is from.
    fn new_page(&mut self) {
        let mut page = Page::new();
        let mut title_room = CONTENT_WIDTH;
        if let Some(as_of) = &self.as_of {
            let as_of = wrap::ellipsize(as_of, Font::Bold, AS_OF_SIZE, CONTENT_WIDTH);
            let width = winansi::width(&as_of, Font::Bold, AS_OF_SIZE);
            page.show(
                (RIGHT - width, 34.0),
                &as_of,
                Font::Bold,
                AS_OF_SIZE,
                Rgb::TEXT,
            );
            title_room = (CONTENT_WIDTH - width - 16.0).max(0.0);
        }
        if !self.pages.is_empty() {
            let title = wrap::ellipsize(&self.running_title, Font::Regular, SMALL, title_room);
            page.show((LEFT, 34.0), &title, Font::Regular, SMALL, Rgb::MUTED);
        }
        if !self.pages.is_empty() || self.as_of.is_some() {
            page.line((LEFT, 40.0), (RIGHT, 40.0), &Stroke::solid(Rgb::RULE, 0.5));
        }
        self.pages.push(page);
        self.y = TOP;
    }

    /// Adds vertical space, except at the top of a page.
    fn space(&mut self, points: f32) {
        if self.y > TOP {
            self.y += points;
        }
    }

    /// Moves to a new page unless `height` fits below the cursor.
    fn reserve(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > TOP {
            self.new_page();
        }
    }

    /// Draws wrapped lines, breaking pages between lines as needed.
    fn lines(&mut self, lines: &[Vec<u8>], font: Font, text: TextSize, colour: Rgb) {
        for line in lines {
            self.reserve(text.leading);
            let baseline = text.baseline(self.y);
            self.page()
                .show((LEFT, baseline), line, font, text.size, colour);
            self.y += text.leading;
        }
    }

    fn title_block(&mut self, title: &str, subtitle: &str) {
        let title = wrap::wrap(
            &winansi::encode(title),
            Font::Bold,
            TITLE.size,
            CONTENT_WIDTH,
        );
        self.lines(&title, Font::Bold, TITLE, Rgb::BLACK);
        if !subtitle.trim().is_empty() {
            let subtitle = wrap::wrap(
                &winansi::encode(subtitle),
                Font::Regular,
                SUBTITLE.size,
                CONTENT_WIDTH,
            );
            self.y += 2.0;
            self.lines(&subtitle, Font::Regular, SUBTITLE, Rgb::MUTED);
        }
        self.y += 6.0;
        let y = self.y;
        self.page()
            .line((LEFT, y), (RIGHT, y), &Stroke::solid(Rgb::RULE, 0.8));
        self.y += 8.0;
    }

    /// A heading, moved to the next page unless `keep` points of what follows fit under it.
    fn heading(&mut self, text: &str, size: TextSize, space_before: f32, keep: f32) {
        let lines = wrap::wrap(&winansi::encode(text), Font::Bold, size.size, CONTENT_WIDTH);
        self.space(space_before);
        self.reserve(lines.len() as f32 * size.leading + keep);
        self.lines(&lines, Font::Bold, size, Rgb::BLACK);
        self.y += 4.0;
    }

    fn paragraph(&mut self, text: &str) {
        let lines = wrap::wrap(
            &winansi::encode(text),
            Font::Regular,
            BODY.size,
            CONTENT_WIDTH,
        );
        self.lines(&lines, Font::Regular, BODY, Rgb::TEXT);
        self.y += 6.0;
    }

    fn key_values(&mut self, pairs: &[(String, String)]) {
        let widest = pairs
            .iter()
            .map(|(label, _)| winansi::text_width(label, Font::Bold, BODY.size))
            .fold(0.0, f32::max);
        let label_width = (widest + 14.0).min(CONTENT_WIDTH * 0.4);
        let grid = Grid {
            columns: vec![
                (LEFT, label_width, Align::Left),
                (LEFT + label_width, CONTENT_WIDTH - label_width, Align::Left),
            ],
            gutter: 0.0,
            text: TextSize {
                size: BODY.size,
                leading: 13.0,
            },
            pad_x: 2.0,
            pad_y: 1.0,
            ruled: false,
        };
        let rows: Vec<GridRow> = pairs
            .iter()
            .map(|(label, value)| {
                let cells = [label.clone(), value.clone()];
                let font_of = |index| {
                    if index == 0 {
                        Font::Bold
                    } else {
                        Font::Regular
                    }
                };
                GridRow {
                    cells: grid.wrap_row(&cells, font_of),
                    mark: None,
                }
            })
            .collect();
        self.grid(&grid, None, &rows);
        self.y += 6.0;
    }

    fn table(&mut self, columns: &[Column], rows: &[Row]) {
        let gutter = if rows.iter().any(|row| row.mark.is_some()) {
            MARK_GUTTER
        } else {
            0.0
        };
        let grid = Grid {
            columns: column_geometry(columns, gutter),
            gutter,
            text: TABLE,
            pad_x: 3.0,
            pad_y: 2.5,
            ruled: true,
        };
        let titles: Vec<String> = columns.iter().map(|column| column.title.clone()).collect();
        let mut header = GridRow {
            cells: grid.wrap_row(&titles, |_| Font::Bold),
            mark: None,
        };
        grid.shorten_header(&mut header);
        let rows: Vec<GridRow> = rows
            .iter()
            .map(|row| {
                let font_of = |index: usize| {
                    let bold = row.bold || columns.get(index).is_some_and(|c| c.bold);
                    if bold { Font::Bold } else { Font::Regular }
                };
                GridRow {
                    cells: grid.wrap_row(&row.cells, font_of),
                    mark: row.mark,
                }
            })
            .collect();
        self.space(4.0);
        self.grid(&grid, Some(&header), &rows);
        self.y += 8.0;
    }

    /// Draws rows, repeating `header` at the top of each page.
    fn grid(&mut self, grid: &Grid, header: Option<&GridRow>, rows: &[GridRow]) {
        let header_height = header.map_or(0.0, |header| grid.row_height(header.line_count()));
        // Start on a new page unless the header and the first lines of the first row fit.
        let first_lines = rows.first().map_or(1, |row| row.line_count().min(2));
        self.reserve(header_height + grid.row_height(first_lines));
        if let Some(header) = header {
            self.grid_slice(grid, header, 0..header.line_count(), Shade::Header);
        }
        for (index, row) in rows.iter().enumerate() {
            let shade = if grid.ruled && index % 2 == 1 {
                Shade::Alternate
            } else {
                Shade::None
            };
            let total = row.line_count();
            let mut start = 0;
            // The first row may split right away: moving it would leave the header alone.
            let mut fresh = index == 0;
            while start < total {
                let room = ((BOTTOM - self.y - 2.0 * grid.pad_y) / grid.text.leading)
                    .floor()
                    .max(0.0) as usize;
                let whole_page = ((BOTTOM - TOP - header_height - 2.0 * grid.pad_y)
                    / grid.text.leading) as usize;
                let remaining = total - start;
                let keep_whole = start == 0 && remaining > room && remaining <= whole_page;
                if !fresh && (keep_whole || room == 0) {
                    self.new_page();
                    if let Some(header) = header {
                        self.grid_slice(grid, header, 0..header.line_count(), Shade::Header);
                    }
                    fresh = true;
                    continue;
                }
                let end = start + remaining.min(room.max(1));
                self.grid_slice(grid, row, start..end, shade);
                start = end;
                fresh = false;
            }
        }
    }

    /// Draws lines `lines` of every cell of `row` at the cursor, with its background, marker
    /// and rules.
    fn grid_slice(
        &mut self,
        grid: &Grid,
        row: &GridRow,
        lines: std::ops::Range<usize>,
        shade: Shade,
    ) {
        let top = self.y;
        let height = grid.row_height(lines.len());
        let (left, right) = (
            LEFT,
            grid.columns
                .last()
                .map_or(RIGHT, |&(x, width, _)| x + width),
        );
        let page = self.page();
        match shade {
            Shade::Header => {
                page.rect(left, top, right - left, height, Some(Rgb::grey(0.87)), None)
            }
            Shade::Alternate => page.rect(
                left,
                top,
                right - left,
                height,
                Some(Rgb::grey(0.955)),
                None,
            ),
            Shade::None => {}
        }
        if let (Some(mark), 0) = (row.mark, lines.start) {
            draw_mark(
                page,
                (
                    left + grid.gutter / 2.0,
                    top + grid.pad_y + grid.text.leading / 2.0,
                ),
                mark,
            );
        }
        for (&(x, width, align), (cell_lines, font)) in grid.columns.iter().zip(&row.cells) {
            let visible = cell_lines.iter().skip(lines.start).take(lines.len());
            for (offset, line) in visible.enumerate() {
                let line_top = top + grid.pad_y + offset as f32 * grid.text.leading;
                let line_width = winansi::width(line, *font, grid.text.size);
                let line_x = match align {
                    Align::Left => x + grid.pad_x,
                    Align::Center => x + (width - line_width) / 2.0,
                    Align::Right => x + width - grid.pad_x - line_width,
                };
                page.show(
                    (line_x, grid.text.baseline(line_top)),
                    line,
                    *font,
                    grid.text.size,
                    Rgb::TEXT,
                );
            }
        }
        if grid.ruled {
            let rule = Stroke::solid(Rgb::grey(0.7), 0.4);
            if matches!(shade, Shade::Header) {
                page.line((left, top), (right, top), &rule);
            }
            page.line((left, top + height), (right, top + height), &rule);
            let mut edges: Vec<f32> = grid.columns.iter().map(|&(x, _, _)| x).collect();
            edges.push(left);
            edges.push(right);
            for x in edges {
                page.line((x, top), (x, top + height), &rule);
            }
        }
        self.y += height;
    }

    /// A form: fixed-height rows with boxes, greyed and blank cells; rows never split.
    fn form(&mut self, columns: &[Column], rows: &[FormRow], min_height: f32) {
        let grid = Grid {
            columns: column_geometry(columns, 0.0),
            gutter: 0.0,
            text: TABLE,
            pad_x: 3.0,
            pad_y: 2.5,
            ruled: true,
        };
        let titles: Vec<String> = columns.iter().map(|column| column.title.clone()).collect();
        let mut header = GridRow {
            cells: grid.wrap_row(&titles, |_| Font::Bold),
            mark: None,
        };
        grid.shorten_header(&mut header);
        let header_height = grid.row_height(header.line_count());
        // Text past what a row may hold on a page is cut with an ellipsis.
        let max_lines = ((BOTTOM - TOP - header_height - 2.0 * grid.pad_y) / grid.text.leading)
            .max(1.0) as usize;
        let prepared: Vec<(Vec<PreparedCell>, f32)> = rows
            .iter()
            .map(|row| {
                let cells = prepare_form_row(&grid, columns, row, max_lines);
                let lines = cells
                    .iter()
                    .map(PreparedCell::line_count)
                    .max()
                    .unwrap_or(1);
                (cells, grid.row_height(lines).max(min_height))
            })
            .collect();

        self.space(4.0);
        let first = prepared.first().map_or(0.0, |(_, height)| *height);
        self.reserve(header_height + first);
        self.grid_slice(&grid, &header, 0..header.line_count(), Shade::Header);
        for (cells, height) in &prepared {
            if self.y + height > BOTTOM {
                self.new_page();
                self.grid_slice(&grid, &header, 0..header.line_count(), Shade::Header);
            }
            self.form_row(&grid, cells, *height);
        }
        self.y += 8.0;
    }

    /// Draws one form row at the cursor.
    fn form_row(&mut self, grid: &Grid, cells: &[PreparedCell], height: f32) {
        let top = self.y;
        let (left, right) = (
            LEFT,
            grid.columns
                .last()
                .map_or(RIGHT, |&(x, width, _)| x + width),
        );
        let page = self.page();
        for (&(x, width, align), cell) in grid.columns.iter().zip(cells) {
            match cell {
                PreparedCell::Text(lines, font) => {
                    for (offset, line) in lines.iter().enumerate() {
                        let line_top = top + grid.pad_y + offset as f32 * grid.text.leading;
                        let line_width = winansi::width(line, *font, grid.text.size);
                        let line_x = match align {
                            Align::Left => x + grid.pad_x,
                            Align::Center => x + (width - line_width) / 2.0,
                            Align::Right => x + width - grid.pad_x - line_width,
                        };
                        page.show(
                            (line_x, grid.text.baseline(line_top)),
                            line,
                            *font,
                            grid.text.size,
                            Rgb::TEXT,
                        );
                    }
                }
                PreparedCell::Tick => {
                    let side = TICK_SIDE
                        .min(height - 2.0 * grid.pad_y)
                        .min(width - 2.0 * grid.pad_x);
                    let left = match align {
                        Align::Left => x + grid.pad_x,
                        Align::Center => x + (width - side) / 2.0,
                        Align::Right => x + width - grid.pad_x - side,
                    };
                    page.rect(
                        left,
                        top + grid.pad_y,
                        side,
                        side,
                        Some(Rgb::WHITE),
                        Some(&Stroke::solid(Rgb::BLACK, 0.8)),
                    );
                }
                PreparedCell::Shaded => {
                    page.rect(x, top, width, height, Some(Rgb::grey(0.82)), None);
                }
                PreparedCell::Blank => {}
            }
        }
        let rule = Stroke::solid(Rgb::grey(0.45), 0.5);
        page.line((left, top + height), (right, top + height), &rule);
        let mut edges: Vec<f32> = grid.columns.iter().map(|&(x, _, _)| x).collect();
        edges.push(right);
        for x in edges {
            page.line((x, top), (x, top + height), &rule);
        }
        self.y += height;
    }

    /// A framed label at the left of the page.
    fn label(&mut self, label: &Label) {
        self.space(4.0);
        self.reserve(LABEL_SIZE.1);
        let top = self.y;
        labels::draw_framed(self.page(), label, (LEFT, top), LABEL_SIZE);
        self.y += LABEL_SIZE.1 + 8.0;
    }

    fn chart(&mut self, chart: &chart::Chart) {
        self.space(8.0);
        self.reserve(CHART_HEIGHT);
        let top = self.y;
        let mut canvas = Shifted {
            inner: self.page(),
            dx: LEFT,
            dy: top,
        };
        chart::draw(chart, &mut canvas, CONTENT_WIDTH, CHART_HEIGHT);
        self.y += CHART_HEIGHT + 8.0;
    }
}

/// Side of the box to tick in a form cell.
const TICK_SIDE: f32 = 9.0;

/// A form cell ready to draw.
enum PreparedCell {
    Text(Vec<Vec<u8>>, Font),
    Tick,
    Shaded,
    Blank,
}

impl PreparedCell {
    fn line_count(&self) -> usize {
        match self {
            PreparedCell::Text(lines, _) => lines.len().max(1),
            _ => 1,
        }
    }
}

/// Wraps the text cells of a form row, at most `max_lines` lines each.
fn prepare_form_row(
    grid: &Grid,
    columns: &[Column],
    row: &FormRow,
    max_lines: usize,
) -> Vec<PreparedCell> {
    grid.columns
        .iter()
        .enumerate()
        .map(|(index, &(_, width, _))| match row.cells.get(index) {
            Some(FormCell::Text(text)) => {
                let bold = row.bold || columns.get(index).is_some_and(|c| c.bold);
                let font = if bold { Font::Bold } else { Font::Regular };
                let room = width - 2.0 * grid.pad_x;
                let mut lines = wrap::wrap(&winansi::encode(text), font, grid.text.size, room);
                if lines.len() > max_lines {
                    lines.truncate(max_lines);
                    if let Some(last) = lines.last_mut() {
                        last.push(winansi::ELLIPSIS);
                        *last = wrap::ellipsize(last, font, grid.text.size, room);
                    }
                }
                PreparedCell::Text(lines, font)
            }
            Some(FormCell::Tick) => PreparedCell::Tick,
            Some(FormCell::Shaded) => PreparedCell::Shaded,
            Some(FormCell::Blank) | None => PreparedCell::Blank,
        })
        .collect()
}

/// Left edge, width and alignment of each column over the page width, after a gutter.
fn column_geometry(columns: &[Column], gutter: f32) -> Vec<(f32, f32, Align)> {
    let total: f32 = columns.iter().map(|column| column.width).sum();
    let mut x = LEFT + gutter;
    let mut geometry = Vec::with_capacity(columns.len());
    for column in columns {
        let width = (CONTENT_WIDTH - gutter) * column.width / total;
        geometry.push((x, width, column.align));
        x += width;
    }
    geometry
}

#[derive(Debug, Clone, Copy)]
enum Shade {
    None,
    Alternate,
    Header,
}

fn draw_mark(page: &mut Page, (x, y): (f32, f32), mark: Mark) {
    let r = 3.0;
    match mark {
        Mark::Critical => page.rect(
            x - r,
            y - r,
            2.0 * r,
            2.0 * r,
            Some(Rgb(0.8, 0.1, 0.1)),
            None,
        ),
        Mark::Warning => {
            let corners = [
                (x, y - r * 1.1),
                (x + r * 1.1, y + r * 0.9),
                (x - r * 1.1, y + r * 0.9),
            ];
            page.polygon(&corners, Some(Rgb(0.9, 0.5, 0.0)), None);
        }
        Mark::Ok => page.circle(
            (x, y),
            r * 0.85,
            None,
            Some(&Stroke::solid(Rgb(0.1, 0.55, 0.25), 1.2)),
        ),
    }
}
