//! Line and bar charts: the model callers fill, and the one drawing routine that both the PDF
//! pages and [`chart_svg`](crate::chart_svg) use.
//!
//! A chart has axes with ticks, horizontal grid lines, a legend and optional threshold lines
//! (a DMIA, a minimum stock). Each series has its own colour and also its own dash pattern,
//! point marker and bar hatching, so that the chart still reads once printed in black and
//! white. Points with a non-finite coordinate, a value beyond ±10¹⁵, a time outside the
//! calendar or a category index outside the labels are skipped (a skipped value breaks the
//! line), never drawn wrong and never a panic.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::canvas::{Anchor, Canvas, Rgb, Stroke, TextStyle};
use crate::winansi::{self, Font};
use crate::wrap;

/// A chart to print in a [`Document`](crate::Document) or to embed as SVG.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Shown above the plot; also the SVG's accessible name.
    pub title: String,
    /// What the values measure, with their unit ("lits occupés", "jours de stock"); shown above
    /// the value axis.
    pub y_label: String,
    /// Lines or bars.
    pub kind: ChartKind,
    /// How the x of each point is read and labelled.
    pub x_axis: XAxis,
    /// The data, one colour and pattern each, in legend order.
    pub series: Vec<Series>,
    /// Horizontal reference lines, drawn across the plot with their label.
    pub thresholds: Vec<Threshold>,
}

/// How the series are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Points joined by lines, sorted by x.
    Line,
    /// Bars from zero, side by side when several series share an x.
    Bar,
}

/// The horizontal axis.
#[derive(Debug, Clone)]
pub enum XAxis {
    /// x is a Unix time in milliseconds; ticks are labelled dd/mm HH:MM (or dd/mm for steps of
    /// a day or more) in this time zone.
    Time(TimeZone),
    /// x is an index into these labels: 0.0 for the first one.
    Categories(Vec<String>),
}

impl XAxis {
    /// A time axis in Europe/Paris, the display zone of the product.
    pub fn paris_time() -> XAxis {
        XAxis::Time(TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC))
    }
}

/// One named set of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text; "Série N" when empty.
    pub name: String,
    /// (x, y) pairs; see [`XAxis`] for what x means.
    pub points: Vec<(f64, f64)>,
}

/// A horizontal reference line.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// Written at the right end of the line ("DMIA 4 h"); may be empty.
    pub label: String,
    /// Where the line is drawn, in the units of the values.
    pub value: f64,
}

impl Chart {
    /// A chart with no series yet.
    pub fn new(kind: ChartKind, title: &str, x_axis: XAxis) -> Chart {
        Chart {
            title: title.to_owned(),
            y_label: String::new(),
            kind,
            x_axis,
            series: Vec::new(),
            thresholds: Vec::new(),
        }
    }

    /// Sets the label of the value axis.
    pub fn y_label(mut self, label: &str) -> Chart {
        self.y_label = label.to_owned();
        self
    }

    /// Adds a series.
    pub fn series(mut self, name: &str, points: Vec<(f64, f64)>) -> Chart {
        self.series.push(Series {
            name: name.to_owned(),
            points,
        });
        self
    }

    /// Adds a threshold line.
    pub fn threshold(mut self, label: &str, value: f64) -> Chart {
        self.thresholds.push(Threshold {
            label: label.to_owned(),
            value,
        });
        self
    }
}

/// Values beyond this magnitude are skipped: no hospital figure is that large, and the scale
/// arithmetic stays finite.
const VALUE_LIMIT: f64 = 1e15;

/// Where nothing can be drawn, the chart says so.
const NO_DATA: &str = "Aucune donnée";

const TICK_FONT: f32 = 7.5;
const LEGEND_FONT: f32 = 8.0;
const TITLE_FONT: f32 = 10.0;
const PAD: f32 = 6.0;
/// Longest category label before it is shortened, in points.
const CATEGORY_LABEL_MAX: f32 = 90.0;
/// Series with more points than this get no point markers (they would merge into a band).
const MARKER_LIMIT: usize = 48;

/// The look of one series: colour for screens, dash, marker and hatching for paper.
#[derive(Debug, Clone, Copy)]
struct SeriesStyle {
    colour: Rgb,
    dash: &'static [f32],
    marker: Marker,
    hatch: Hatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Disc,
    Square,
    Triangle,
    Diamond,
    Ring,
    OpenSquare,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hatch {
    None,
    Rising,
    Horizontal,
    Cross,
    Falling,
    Vertical,
}

/// Six styles, reused in turn past the sixth series.
const STYLES: [SeriesStyle; 6] = [
    SeriesStyle {
        colour: Rgb(0.00, 0.30, 0.65),
        dash: &[],
        marker: Marker::Disc,
        hatch: Hatch::None,
    },
    SeriesStyle {
        colour: Rgb(0.85, 0.40, 0.00),
        dash: &[6.0, 3.0],
        marker: Marker::Square,
        hatch: Hatch::Rising,
    },
    SeriesStyle {
        colour: Rgb(0.10, 0.55, 0.25),
        dash: &[1.5, 2.0],
        marker: Marker::Triangle,
        hatch: Hatch::Horizontal,
    },
    SeriesStyle {
        colour: Rgb(0.50, 0.25, 0.60),
        dash: &[7.0, 2.5, 1.5, 2.5],
        marker: Marker::Diamond,
        hatch: Hatch::Cross,
    },
    SeriesStyle {
        colour: Rgb(0.55, 0.35, 0.15),
        dash: &[10.0, 4.0],
        marker: Marker::Ring,
        hatch: Hatch::Falling,
    },
    SeriesStyle {
        colour: Rgb(0.00, 0.50, 0.55),
        dash: &[3.0, 3.0],
        marker: Marker::OpenSquare,
        hatch: Hatch::Vertical,
    },
];

const THRESHOLD_STROKE: Stroke = Stroke {
    colour: Rgb(0.75, 0.05, 0.05),
    width: 1.0,
    dash: &[5.0, 2.5],
};

fn style_of(index: usize) -> SeriesStyle {
    STYLES[index % STYLES.len()]
}

/// The series' points ready to draw: sorted by x, `None` where a value was skipped.
struct Prepared {
    series: Vec<Vec<Option<(f64, f64)>>>,
    /// Domain of x, in data units.
    x: (f64, f64),
    /// Value axis: bounds and tick step.
    y: Ticks,
    /// Width of one bar group in data units of x.
    slot: f64,
}

#[derive(Debug, Clone, PartialEq)]
struct Ticks {
    low: f64,
    high: f64,
    step: f64,
}

impl Ticks {
    fn values(&self) -> Vec<f64> {
        let count = ((self.high - self.low) / self.step).round() as usize;
        (0..=count)
            .map(|index| self.low + index as f64 * self.step)
            .collect()
    }

    fn decimals(&self) -> usize {
        if self.step >= 1.0 {
            0
        } else {
            (-self.step.log10().floor()) as usize
        }
        .min(6)
    }
}

/// A linear map from data to points.
#[derive(Debug, Clone, Copy)]
struct Scale {
    from: (f64, f64),
    to: (f32, f32),
}

impl Scale {
    fn map(&self, value: f64) -> f32 {
        let span = self.from.1 - self.from.0;
        let ratio = if span > 0.0 {
            (value - self.from.0) / span
        } else {
            0.5
        };
        // Data is filtered before it gets here; this keeps any overflow off the page anyway.
        let ratio = if ratio.is_finite() { ratio as f32 } else { 0.5 };
        self.to.0 + ratio * (self.to.1 - self.to.0)
    }
}

/// Draws `chart` into a box of `width` × `height` points at the canvas origin.
pub(crate) fn draw(chart: &Chart, canvas: &mut impl Canvas, width: f32, height: f32) {
    let mut top = PAD;
    let title = chart.title.trim();
    if !title.is_empty() {
        let short = ellipsized(title, Font::Bold, TITLE_FONT, width - 2.0 * PAD);
        canvas.text((PAD, top + 9.0), &short, &TextStyle::new(TITLE_FONT).bold());
        top += 16.0;
    }
    let y_label = chart.y_label.trim();
    if !y_label.is_empty() {
        let short = ellipsized(y_label, Font::Regular, TICK_FONT, width - 2.0 * PAD);
        canvas.text(
            (PAD, top + 7.0),
            &short,
            &TextStyle::new(TICK_FONT).colour(Rgb::MUTED),
        );
        top += 11.0;
    }
    top += 4.0;

    let legend = legend_rows(chart, width - 2.0 * PAD);
    let legend_height = if legend.is_empty() {
        0.0
    } else {
        legend.len() as f32 * 12.0 + 4.0
    };
    let Some(prepared) = prepare(chart) else {
        let centre = (width / 2.0, top + (height - top) / 2.0);
        let style = TextStyle::new(LEGEND_FONT)
            .colour(Rgb::MUTED)
            .anchor(Anchor::Middle);
        canvas.text(centre, NO_DATA, &style);
        return;
    };

    let category_labels = match &chart.x_axis {
        XAxis::Categories(labels) => labels.as_slice(),
        XAxis::Time(_) => &[],
    };
    let rotate = category_labels_rotate(category_labels, width, prepared.x);
    let x_band = if rotate {
        rotated_band(category_labels)
    } else {
        16.0
    };
    let bottom = height - PAD - legend_height - x_band;
    let max_y_ticks = ((bottom - top) / 28.0).clamp(2.0, 8.0) as usize;
    let y_ticks = prepared.y.clone();
    let y_ticks = retick(&y_ticks, max_y_ticks);
    let y_labels: Vec<String> = y_ticks
        .values()
        .iter()
        .map(|&value| format_number(value, y_ticks.decimals()))
        .collect();
    let y_label_width = y_labels
        .iter()
        .map(|label| winansi::text_width(label, Font::Regular, TICK_FONT))
        .fold(0.0, f32::max);
    let left = PAD + y_label_width + 4.0;
    let right_margin = if matches!(chart.x_axis, XAxis::Time(_)) {
        24.0
    } else {
        4.0
    };
    let right = width - PAD - right_margin;
    if right - left < 16.0 || bottom - top < 16.0 {
        return;
    }

    let plot = Plot {
        left,
        right,
        bottom,
        x: Scale {
            from: prepared.x,
            to: (left, right),
        },
        y: Scale {
            from: (y_ticks.low, y_ticks.high),
            to: (bottom, top),
        },
    };
    draw_value_axis(canvas, &plot, &y_ticks, &y_labels);
    match &chart.x_axis {
        XAxis::Time(zone) => draw_time_axis(canvas, &plot, zone),
        XAxis::Categories(labels) => draw_category_axis(canvas, &plot, labels, rotate),
    }
    match chart.kind {
        ChartKind::Line => draw_lines(canvas, &plot, &prepared),
        ChartKind::Bar => draw_bars(canvas, &plot, &prepared),
    }
    draw_thresholds(canvas, &plot, chart);
    canvas.line((left, top), (left, bottom), &Stroke::solid(Rgb::RULE, 0.6));
    canvas.line(
        (left, bottom),
        (right, bottom),
        &Stroke::solid(Rgb::RULE, 0.6),
    );
    draw_legend(canvas, chart.kind, &legend, bottom + x_band + 4.0);
}

/// The plot area and its scales.
struct Plot {
    left: f32,
    right: f32,
    bottom: f32,
    x: Scale,
    y: Scale,
}

/// `text` as it is when it fits, else shortened with an ellipsis.
fn ellipsized(text: &str, font: Font, size: f32, max_width: f32) -> String {
    if winansi::text_width(text, font, size) <= max_width {
        return text.to_owned();
    }
    winansi::decode(&wrap::ellipsize(
        &winansi::encode_line(text),
        font,
        size,
        max_width,
    ))
}

/// Sorts and filters the points; `None` when not one point can be drawn.
fn prepare(chart: &Chart) -> Option<Prepared> {
    let category_count = match &chart.x_axis {
        XAxis::Categories(labels) => Some(labels.len()),
        XAxis::Time(_) => None,
    };
    let x_usable = |x: f64| match category_count {
        Some(count) => x.is_finite() && x >= -0.5 && x <= count as f64 - 0.5,
        None => x.is_finite() && x.abs() < 1e16 && Timestamp::from_millisecond(x as i64).is_ok(),
    };
    let value_usable = |y: f64| y.is_finite() && y.abs() <= VALUE_LIMIT;

    let mut series = Vec::with_capacity(chart.series.len());
    for one in &chart.series {
        let mut points: Vec<(f64, f64)> = one
            .points
            .iter()
            .copied()
            .filter(|&(x, _)| x_usable(x))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let points = points
            .into_iter()
            .map(|(x, y)| value_usable(y).then_some((x, y)))
            .collect::<Vec<_>>();
        series.push(points);
    }
    let drawn: Vec<(f64, f64)> = series.iter().flatten().flatten().copied().collect();
    if drawn.is_empty() {
        return None;
    }

    let mut xs: Vec<f64> = drawn.iter().map(|&(x, _)| x).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let slot = match category_count {
        Some(_) => 1.0,
        None => xs
            .windows(2)
            .map(|pair| pair[1] - pair[0])
            .fold(f64::INFINITY, f64::min),
    };
    let slot = if slot.is_finite() && slot > 0.0 {
        slot
    } else {
        3_600_000.0
    };
    let (first, last) = (xs[0], xs[xs.len() - 1]);
    let x = match (category_count, chart.kind) {
        (Some(count), _) => (-0.5, count as f64 - 0.5),
        (None, ChartKind::Bar) => (first - slot / 2.0, last + slot / 2.0),
        (None, ChartKind::Line) if first == last => (first - 1_800_000.0, last + 1_800_000.0),
        (None, ChartKind::Line) => (first, last),
    };

    let thresholds = chart.thresholds.iter().map(|threshold| threshold.value);
    let values = drawn
        .iter()
        .map(|&(_, y)| y)
        .chain(thresholds)
        .filter(|&y| value_usable(y));
    let (low, high) = values.fold((0.0_f64, 0.0_f64), |(low, high), y| {
        (low.min(y), high.max(y))
    });
    Some(Prepared {
        series,
        x,
        y: nice_ticks(low, high, 5),
        slot,
    })
}

/// Ticks at 1, 2 or 5 times a power of ten covering `low..=high`, about `count` of them.
fn nice_ticks(low: f64, high: f64, count: usize) -> Ticks {
    // Below a billionth the span is noise (and its logarithm may not even be finite).
    let (low, high) = if high - low > 1e-9 {
        (low, high)
    } else {
        (low, low + 1.0)
    };
    let raw = (high - low) / count.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    let step = nice * magnitude;
    Ticks {
        low: (low / step).floor() * step,
        high: (high / step).ceil() * step,
        step,
    }
}

/// Recomputes ticks for the room the plot really has.
fn retick(ticks: &Ticks, max_count: usize) -> Ticks {
    let mut count = max_count.max(2);
    loop {
        let candidate = nice_ticks(ticks.low, ticks.high, count);
        if candidate.values().len() <= max_count + 1 || count <= 1 {
            return candidate;
        }
        count -= 1;
    }
}

/// A number the French way: decimal comma, thin groups of three digits.
pub(crate) fn format_number(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push('\u{A0}');
        }
        grouped.push(digit);
    }
    let is_zero = text.chars().all(|ch| matches!(ch, '0' | '.'));
    let sign = if value < 0.0 && !is_zero { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{fraction}")
    }
}

fn draw_value_axis(canvas: &mut impl Canvas, plot: &Plot, ticks: &Ticks, labels: &[String]) {
    let grid = Stroke::solid(Rgb::GRID, 0.5);
    let style = TextStyle::new(TICK_FONT)
        .colour(Rgb::MUTED)
        .anchor(Anchor::End);
    for (value, label) in ticks.values().into_iter().zip(labels) {
        let y = plot.y.map(value);
        canvas.line((plot.left, y), (plot.right, y), &grid);
        canvas.line(
            (plot.left - 3.0, y),
            (plot.left, y),
            &Stroke::solid(Rgb::RULE, 0.6),
        );
        canvas.text((plot.left - 4.0, y + 2.6), label, &style);
    }
}

/// Candidate tick steps of a time axis, in milliseconds.
const TIME_STEPS: [i64; 17] = [
    60_000,
    300_000,
    600_000,
    900_000,
    1_800_000,
    3_600_000,
    7_200_000,
    10_800_000,
    21_600_000,
    43_200_000,
    86_400_000,
    172_800_000,
    604_800_000,
    1_209_600_000,
    2_592_000_000,
    7_776_000_000,
    31_536_000_000,
];

/// Tick times (ms) and their labels for `domain`, at most `max_count` of them, aligned on
/// round local times of `zone`.
fn time_ticks(domain: (f64, f64), max_count: usize, zone: &TimeZone) -> Vec<(f64, String)> {
    let span = domain.1 - domain.0;
    let max_count = max_count.max(1) as f64;
    let last = TIME_STEPS[TIME_STEPS.len() - 1] as f64;
    let step = TIME_STEPS
        .iter()
        .map(|&step| step as f64)
        .find(|&step| span / step <= max_count)
        .unwrap_or_else(|| last * (span / last / max_count).ceil());
    let Ok(start) = Timestamp::from_millisecond(domain.0 as i64) else {
        return Vec::new();
    };
    let offset = f64::from(zone.to_offset(start).seconds()) * 1000.0;
    let first = ((domain.0 + offset) / step).ceil() * step - offset;
    let pattern = if step >= 86_400_000.0 {
        "%d/%m"
    } else {
        "%d/%m %H:%M"
    };
    (0..=max_count as usize + 1)
        .map(|index| first + index as f64 * step)
        .take_while(|&tick| tick <= domain.1)
        .filter_map(|tick| {
            let time = Timestamp::from_millisecond(tick as i64).ok()?;
            Some((
                tick,
                time.to_zoned(zone.clone()).strftime(pattern).to_string(),
            ))
        })
        .collect()
}

fn draw_time_axis(canvas: &mut impl Canvas, plot: &Plot, zone: &TimeZone) {
    let label_width = winansi::text_width("00/00 00:00", Font::Regular, TICK_FONT) + 10.0;
    let max_count = ((plot.right - plot.left) / label_width).floor() as usize;
    let style = TextStyle::new(TICK_FONT)
        .colour(Rgb::MUTED)
        .anchor(Anchor::Middle);
    for (tick, label) in time_ticks(plot.x.from, max_count, zone) {
        let x = plot.x.map(tick);
        canvas.line(
            (x, plot.bottom),
            (x, plot.bottom + 3.0),
            &Stroke::solid(Rgb::RULE, 0.6),
        );
        canvas.text((x, plot.bottom + 11.0), &label, &style);
    }
}

/// Whether category labels are too wide to stand side by side under their bars.
fn category_labels_rotate(labels: &[String], width: f32, domain: (f64, f64)) -> bool {
    let count = (domain.1 - domain.0).max(1.0) as f32;
    let slot = (width - 60.0) / count;
    labels
        .iter()
        .any(|label| winansi::text_width(label, Font::Regular, TICK_FONT) > slot - 3.0)
}

/// Height taken by labels drawn at 45 degrees.
fn rotated_band(labels: &[String]) -> f32 {
    let longest = labels
        .iter()
        .map(|label| winansi::text_width(label, Font::Regular, TICK_FONT))
        .fold(0.0, f32::max)
        .min(CATEGORY_LABEL_MAX);
    longest * std::f32::consts::FRAC_1_SQRT_2 + 12.0
}

fn draw_category_axis(canvas: &mut impl Canvas, plot: &Plot, labels: &[String], rotate: bool) {
    let slot = plot.x.map(1.0) - plot.x.map(0.0);
    // Below about one text line per label, show every few labels only.
    let every = if slot >= 9.0 {
        1
    } else {
        (9.0 / slot.max(0.01)).ceil() as usize
    };
    let tick = Stroke::solid(Rgb::RULE, 0.6);
    for (index, label) in labels.iter().enumerate() {
        let x = plot.x.map(index as f64);
        canvas.line((x, plot.bottom), (x, plot.bottom + 3.0), &tick);
        if index % every != 0 {
            continue;
        }
        let style = TextStyle::new(TICK_FONT).colour(Rgb::MUTED);
        if rotate {
            let short = ellipsized(label, Font::Regular, TICK_FONT, CATEGORY_LABEL_MAX);
            let style = TextStyle {
                rotation: 45.0,
                ..style.anchor(Anchor::End)
            };
            canvas.text((x + 2.0, plot.bottom + 8.0), &short, &style);
        } else {
            canvas.text(
                (x, plot.bottom + 11.0),
                label,
                &style.anchor(Anchor::Middle),
            );
        }
    }
}

fn draw_lines(canvas: &mut impl Canvas, plot: &Plot, prepared: &Prepared) {
    for (index, points) in prepared.series.iter().enumerate() {
        let style = style_of(index);
        let stroke = Stroke {
            colour: style.colour,
            width: 1.6,
            dash: style.dash,
        };
        let all_markers = points.iter().flatten().count() <= MARKER_LIMIT;
        for run in points.split(Option::is_none) {
            let run: Vec<(f32, f32)> = run
                .iter()
                .flatten()
                .map(|&(x, y)| (plot.x.map(x), plot.y.map(y)))
                .collect();
            if run.len() > 1 {
                canvas.polyline(&run, &stroke);
            }
            if all_markers || run.len() == 1 {
                for &point in &run {
                    draw_marker(canvas, point, style);
                }
            }
        }
    }
}

fn draw_bars(canvas: &mut impl Canvas, plot: &Plot, prepared: &Prepared) {
    let series_count = prepared.series.len().max(1);
    let group = (plot.x.map(prepared.slot) - plot.x.map(0.0)).abs() * 0.8;
    let bar = group / series_count as f32;
    let base = plot.y.map(0.0);
    for (index, points) in prepared.series.iter().enumerate() {
        let style = style_of(index);
        for &(x, y) in points.iter().flatten() {
            let left = plot.x.map(x) - group / 2.0 + index as f32 * bar;
            let top = plot.y.map(y);
            let (top, height) = if top <= base {
                (top, base - top)
            } else {
                (base, top - base)
            };
            draw_hatched_box(canvas, (left, top, bar, height), style);
        }
    }
}

/// A bar or legend swatch: filled with the series colour, hatched with its pattern.
fn draw_hatched_box(
    canvas: &mut impl Canvas,
    (x, y, width, height): (f32, f32, f32, f32),
    style: SeriesStyle,
) {
    let outline = Stroke::solid(
        Rgb(
            style.colour.0 * 0.6,
            style.colour.1 * 0.6,
            style.colour.2 * 0.6,
        ),
        0.5,
    );
    canvas.rect(x, y, width, height, Some(style.colour), Some(&outline));
    let hatch = Stroke::solid(Rgb::WHITE, 0.7);
    for (from, to) in hatch_segments(style.hatch, (x, y, width, height), 3.5) {
        canvas.line(from, to, &hatch);
    }
}

/// Segments of a hatching pattern clipped to a box, `gap` points apart.
fn hatch_segments(
    hatch: Hatch,
    (x, y, width, height): (f32, f32, f32, f32),
    gap: f32,
) -> Vec<((f32, f32), (f32, f32))> {
    let mut segments = Vec::new();
    if width <= 0.0 || height <= 0.0 || !(width * height).is_finite() {
        return segments;
    }
    let (x1, y1) = (x + width, y + height);
    let horizontal = |segments: &mut Vec<_>| {
        let mut at = y + gap;
        while at < y1 {
            segments.push(((x, at), (x1, at)));
            at += gap;
        }
    };
    let vertical = |segments: &mut Vec<_>| {
        let mut at = x + gap;
        while at < x1 {
            segments.push(((at, y), (at, y1)));
            at += gap;
        }
    };
    // Rising lines are x + y = c, falling ones x - y = c (y grows downwards).
    let diagonal = |segments: &mut Vec<_>, rising: bool| {
        let step = gap * std::f32::consts::SQRT_2;
        let (start, end) = if rising {
            (x + y, x1 + y1)
        } else {
            (x - y1, x1 - y)
        };
        let mut c = start + step;
        while c < end {
            let (from_x, to_x) = if rising {
                ((c - y1).max(x), (c - y).min(x1))
            } else {
                ((c + y).max(x), (c + y1).min(x1))
            };
            let at = |px: f32| if rising { (px, c - px) } else { (px, px - c) };
            if to_x > from_x {
                segments.push((at(from_x), at(to_x)));
            }
            c += step;
        }
    };
    match hatch {
        Hatch::None => {}
        Hatch::Horizontal => horizontal(&mut segments),
        Hatch::Vertical => vertical(&mut segments),
        Hatch::Rising => diagonal(&mut segments, true),
        Hatch::Falling => diagonal(&mut segments, false),
        Hatch::Cross => {
            diagonal(&mut segments, true);
            diagonal(&mut segments, false);
        }
    }
    segments
}

fn draw_marker(canvas: &mut impl Canvas, (x, y): (f32, f32), style: SeriesStyle) {
    let r = 2.6;
    let edge = Stroke::solid(style.colour, 1.1);
    let fill = Some(style.colour);
    let open = Some(Rgb::WHITE);
    match style.marker {
        Marker::Disc => canvas.circle((x, y), r, fill, None),
        Marker::Ring => canvas.circle((x, y), r, open, Some(&edge)),
        Marker::Square => canvas.rect(x - r, y - r, 2.0 * r, 2.0 * r, fill, None),
        Marker::OpenSquare => canvas.rect(x - r, y - r, 2.0 * r, 2.0 * r, open, Some(&edge)),
        Marker::Triangle => canvas.polygon(
            &[
                (x, y - r * 1.2),
                (x + r * 1.1, y + r * 0.8),
                (x - r * 1.1, y + r * 0.8),
            ],
            fill,
            None,
        ),
        Marker::Diamond => canvas.polygon(
            &[
                (x, y - r * 1.3),
                (x + r * 1.1, y),
                (x, y + r * 1.3),
                (x - r * 1.1, y),
            ],
            fill,
            None,
        ),
    }
}

fn draw_thresholds(canvas: &mut impl Canvas, plot: &Plot, chart: &Chart) {
    let style = TextStyle::new(7.0)
        .colour(THRESHOLD_STROKE.colour)
        .anchor(Anchor::End);
    for threshold in &chart.thresholds {
        if !threshold.value.is_finite() || threshold.value.abs() > VALUE_LIMIT {
            continue;
        }
        let y = plot.y.map(threshold.value);
        canvas.line((plot.left, y), (plot.right, y), &THRESHOLD_STROKE);
        let label = threshold.label.trim();
        if !label.is_empty() {
            let short = ellipsized(label, Font::Regular, 7.0, (plot.right - plot.left) / 2.0);
            // A white box under the label keeps it readable across the data it may cross.
            let width = winansi::text_width(&short, Font::Regular, 7.0);
            canvas.rect(
                plot.right - width - 4.0,
                y - 9.5,
                width + 4.0,
                8.5,
                Some(Rgb::WHITE),
                None,
            );
            canvas.text((plot.right - 2.0, y - 2.5), &short, &style);
        }
    }
}

/// One legend entry: its series index, its text and where it starts on its row.
struct LegendItem {
    series: usize,
    text: String,
    x: f32,
}

const SWATCH: f32 = 22.0;

/// Legend entries flowed into rows no wider than `width`.
fn legend_rows(chart: &Chart, width: f32) -> Vec<Vec<LegendItem>> {
    let mut rows: Vec<Vec<LegendItem>> = Vec::new();
    let mut x = PAD;
    for (index, series) in chart.series.iter().enumerate() {
        let name = series.name.trim();
        let name = if name.is_empty() {
            format!("Série {}", index + 1)
        } else {
            name.to_owned()
        };
        let text = ellipsized(&name, Font::Regular, LEGEND_FONT, width - SWATCH - 4.0);
        let item_width =
            SWATCH + 4.0 + winansi::text_width(&text, Font::Regular, LEGEND_FONT) + 12.0;
        if rows.is_empty() || (x > PAD && x + item_width > PAD + width) {
            rows.push(Vec::new());
            x = PAD;
        }
        if let Some(row) = rows.last_mut() {
            row.push(LegendItem {
                series: index,
                text,
                x,
            });
        }
        x += item_width;
    }
    rows
}

fn draw_legend(canvas: &mut impl Canvas, kind: ChartKind, rows: &[Vec<LegendItem>], top: f32) {
    for (row_index, row) in rows.iter().enumerate() {
        let middle = top + row_index as f32 * 12.0 + 6.0;
        for item in row {
            let style = style_of(item.series);
            match kind {
                ChartKind::Line => {
                    let stroke = Stroke {
                        colour: style.colour,
                        width: 1.6,
                        dash: style.dash,
                    };
                    canvas.line((item.x, middle), (item.x + SWATCH, middle), &stroke);
                    draw_marker(canvas, (item.x + SWATCH / 2.0, middle), style);
                }
                ChartKind::Bar => draw_hatched_box(
                    canvas,
                    (item.x + 4.0, middle - 4.5, SWATCH - 8.0, 9.0),
                    style,
                ),
            }
            let text_style = TextStyle::new(LEGEND_FONT);
            canvas.text(
                (item.x + SWATCH + 4.0, middle + 2.8),
                &item.text,
                &text_style,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_cover_the_values_with_round_steps() {
        let ticks = nice_ticks(0.0, 87.0, 5);
        assert_eq!(
            ticks,
            Ticks {
                low: 0.0,
                high: 100.0,
                step: 20.0
            }
        );
        assert_eq!(ticks.values(), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        let small = nice_ticks(-0.3, 0.7, 5);
        assert_eq!(small.step, 0.2);
        assert!(small.low <= -0.3 && small.high >= 0.7);
        assert_eq!(small.decimals(), 1);
        let tiny = nice_ticks(0.0, 5e-324, 5);
        assert!(tiny.step > 0.0 && tiny.high.is_finite() && tiny.values().len() <= 6);
        let flat = nice_ticks(4.0, 4.0, 5);
        assert!(flat.low <= 4.0 && flat.high >= 5.0 && flat.step > 0.0);
    }

    #[test]
    fn numbers_are_written_the_french_way() {
        assert_eq!(format_number(12500.0, 0), "12\u{A0}500");
        assert_eq!(format_number(2.5, 1), "2,5");
        assert_eq!(format_number(-1234567.25, 2), "-1\u{A0}234\u{A0}567,25");
        assert_eq!(format_number(-0.0001, 1), "0,0");
        assert_eq!(format_number(999.0, 0), "999");
    }

    #[test]
    fn time_ticks_are_round_local_times() {
        let zone = TimeZone::get("Europe/Paris").expect("bundled zone");
        // 04/12/2026 20:10 to 05/12/2026 02:50, Paris time (UTC+1 in December).
        let start = "2026-12-04T19:10:00Z"
            .parse::<Timestamp>()
            .expect("valid")
            .as_millisecond();
        let end = "2026-12-05T01:50:00Z"
            .parse::<Timestamp>()
            .expect("valid")
            .as_millisecond();
        let ticks = time_ticks((start as f64, end as f64), 6, &zone);
        let labels: Vec<&str> = ticks.iter().map(|(_, label)| label.as_str()).collect();
        // Two-hour steps fall on even local hours, not on even UTC hours.
        assert_eq!(labels, ["04/12 22:00", "05/12 00:00", "05/12 02:00"]);
    }

    #[test]
    fn hatching_stays_inside_its_box() {
        let area = (10.0, 20.0, 14.0, 30.0);
        for hatch in [
            Hatch::Rising,
            Hatch::Falling,
            Hatch::Cross,
            Hatch::Horizontal,
            Hatch::Vertical,
        ] {
            let segments = hatch_segments(hatch, area, 3.5);
            assert!(!segments.is_empty(), "{hatch:?}");
            for ((ax, ay), (bx, by)) in segments {
                for (x, y) in [(ax, ay), (bx, by)] {
                    assert!((10.0 - 1e-3..=24.0 + 1e-3).contains(&x), "{hatch:?} x {x}");
                    assert!((20.0 - 1e-3..=50.0 + 1e-3).contains(&y), "{hatch:?} y {y}");
                }
            }
        }
        assert!(hatch_segments(Hatch::Cross, (0.0, 0.0, 0.0, 10.0), 3.5).is_empty());
    }

    #[test]
    fn unusable_points_are_skipped_and_break_the_line() {
        let chart = Chart::new(
            ChartKind::Line,
            "t",
            XAxis::Categories(vec!["a".into(), "b".into(), "c".into()]),
        )
        .series(
            "s",
            vec![
                (0.0, 1.0),
                (1.0, f64::NAN),
                (2.0, 3.0),
                (7.0, 9.0),
                (f64::INFINITY, 1.0),
            ],
        );
        let prepared = prepare(&chart).expect("two points remain");
        assert_eq!(
            prepared.series[0],
            [Some((0.0, 1.0)), None, Some((2.0, 3.0))]
        );
        assert_eq!(prepared.x, (-0.5, 2.5));
        let empty =
            Chart::new(ChartKind::Bar, "t", XAxis::paris_time()).series("s", vec![(f64::NAN, 1.0)]);
        assert!(prepare(&empty).is_none());
    }
}
