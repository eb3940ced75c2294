//! Charts as standalone inline SVG for web pages.
//!
//! The pages run under a strict Content Security Policy without 'unsafe-inline', so the SVG
//! has no `style` attribute, no `<style>` element and no script: every colour, font and dash
//! is a presentation attribute. All text is escaped. The `<title>` and `<desc>` children give
//! screen readers the chart's name and a summary of its series.

use std::fmt::Write as _;

use crate::canvas::{Anchor, Canvas, Rgb, Stroke, TextStyle};
use crate::chart::{self, Chart, ChartKind, XAxis};

/// Largest side accepted, in pixels; larger sizes are reduced to it.
const MAX_SIDE: u32 = 10_000;

/// Draws `chart` as an `<svg>` element of `width` × `height` pixels (each side clamped to
/// 1..=10 000), ready to be inserted into an HTML page.
pub fn chart_svg(chart: &Chart, width: u32, height: u32) -> String {
    let (width, height) = (width.clamp(1, MAX_SIDE), height.clamp(1, MAX_SIDE));
    let title = if chart.title.trim().is_empty() {
        "Graphique"
    } else {
        chart.title.trim()
    };
    let mut svg = Svg {
        out: String::with_capacity(8 * 1024),
    };
    svg.out
        .push_str(r#"<svg xmlns="http://www.w3.org/2000/svg" width=""#);
    // The chart is drawn in points, like on paper, and shown in CSS pixels: 1 pt = 4/3 px.
    let (view_width, view_height) = (width as f32 * 0.75, height as f32 * 0.75);
    let _ = write!(
        svg.out,
        r#"{width}" height="{height}" viewBox="0 0 {} {}" role="img" aria-label=""#,
        number(view_width),
        number(view_height)
    );
    escape_into(&mut svg.out, title);
    svg.out
        .push_str(r#"" font-family="Helvetica, Arial, sans-serif"><title>"#);
    escape_into(&mut svg.out, title);
    svg.out.push_str("</title><desc>");
    escape_into(&mut svg.out, &summary(chart));
    svg.out.push_str("</desc>");
    svg.rect(0.0, 0.0, view_width, view_height, Some(Rgb::WHITE), None);
    chart::draw(chart, &mut svg, view_width, view_height);
    svg.out.push_str("</svg>");
    svg.out
}

/// A text alternative: the kind of chart, its series with their point counts, its thresholds.
fn summary(chart: &Chart) -> String {
    let kind = match chart.kind {
        ChartKind::Line => "Graphique en courbes",
        ChartKind::Bar => "Graphique en barres",
    };
    let axis = match chart.x_axis {
        XAxis::Time(_) => "en fonction du temps",
        XAxis::Categories(_) => "par catégorie",
    };
    let mut text = format!("{kind} {axis}");
    if !chart.y_label.trim().is_empty() {
        let _ = write!(text, " ({})", chart.y_label.trim());
    }
    text.push('.');
    let series: Vec<String> = chart
        .series
        .iter()
        .enumerate()
        .map(|(index, series)| {
            let name = series.name.trim();
            let name = if name.is_empty() {
                format!("Série {}", index + 1)
            } else {
                name.to_owned()
            };
            let count = series.points.len();
            format!("{name} ({count} point{})", if count > 1 { "s" } else { "" })
        })
        .collect();
    if !series.is_empty() {
        let _ = write!(text, " Séries : {}.", series.join(", "));
    }
    let thresholds: Vec<String> = chart
        .thresholds
        .iter()
        .filter(|threshold| threshold.value.is_finite())
        .map(|threshold| {
            let value = chart::format_number(
                threshold.value,
                if threshold.value.fract() == 0.0 { 0 } else { 2 },
            );
            format!("{} = {value}", threshold.label.trim())
        })
        .collect();
    if !thresholds.is_empty() {
        let _ = write!(text, " Seuils : {}.", thresholds.join(", "));
    }
    text
}

struct Svg {
    out: String,
}

impl Svg {
    fn points_attribute(&mut self, points: &[(f32, f32)]) {
        self.out.push_str(r#" points=""#);
        for (index, &(x, y)) in points.iter().enumerate() {
            if index > 0 {
                self.out.push(' ');
            }
            let _ = write!(self.out, "{},{}", number(x), number(y));
        }
        self.out.push('"');
    }

    fn paint_attributes(&mut self, fill: Option<Rgb>, stroke: Option<&Stroke>) {
        match fill {
            Some(colour) => {
                let _ = write!(self.out, r#" fill="{}""#, hex(colour));
            }
            None => self.out.push_str(r#" fill="none""#),
        }
        if let Some(stroke) = stroke {
            self.stroke_attributes(stroke);
        }
    }

    fn stroke_attributes(&mut self, stroke: &Stroke) {
        let _ = write!(
            self.out,
            r#" stroke="{}" stroke-width="{}""#,
            hex(stroke.colour),
            number(stroke.width)
        );
        if !stroke.dash.is_empty() {
            let dash: Vec<String> = stroke.dash.iter().map(|&length| number(length)).collect();
            let _ = write!(self.out, r#" stroke-dasharray="{}""#, dash.join(" "));
        }
    }
}

impl Canvas for Svg {
    fn polyline(&mut self, points: &[(f32, f32)], stroke: &Stroke) {
        if points.len() < 2 {
            return;
        }
        self.out.push_str("<polyline");
        self.points_attribute(points);
        self.out.push_str(r#" fill="none" stroke-linejoin="round""#);
        self.stroke_attributes(stroke);
        self.out.push_str("/>");
    }

    fn polygon(&mut self, points: &[(f32, f32)], fill: Option<Rgb>, stroke: Option<&Stroke>) {
        if points.len() < 2 {
            return;
        }
        self.out.push_str("<polygon");
        self.points_attribute(points);
        self.paint_attributes(fill, stroke);
        self.out.push_str("/>");
    }

    fn circle(
        &mut self,
        (x, y): (f32, f32),
        radius: f32,
        fill: Option<Rgb>,
        stroke: Option<&Stroke>,
    ) {
        let _ = write!(
            self.out,
            r#"<circle cx="{}" cy="{}" r="{}""#,
            number(x),
            number(y),
            number(radius)
        );
        self.paint_attributes(fill, stroke);
        self.out.push_str("/>");
    }

    fn text(&mut self, (x, y): (f32, f32), text: &str, style: &TextStyle) {
        let (x, y) = (number(x), number(y));
        let _ = write!(
            self.out,
            r#"<text x="{x}" y="{y}" font-size="{}" fill="{}""#,
            number(style.size),
            hex(style.colour)
        );
        match style.anchor {
            Anchor::Start => {}
            Anchor::Middle => self.out.push_str(r#" text-anchor="middle""#),
            Anchor::End => self.out.push_str(r#" text-anchor="end""#),
        }
        if style.bold {
            self.out.push_str(r#" font-weight="bold""#);
        }
        if style.rotation != 0.0 {
            let _ = write!(
                self.out,
                r#" transform="rotate({} {x} {y})""#,
                number(-style.rotation)
            );
        }
        self.out.push('>');
        escape_into(&mut self.out, text);
        self.out.push_str("</text>");
    }
}

/// A coordinate with at most two decimals; 0 for a non-finite value.
fn number(value: f32) -> String {
    if !value.is_finite() {
        return "0".to_owned();
    }
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

fn hex(colour: Rgb) -> String {
    let channel = |value: f32| (value.clamp(0.0, 1.0) * 255.0).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        channel(colour.0),
        channel(colour.1),
        channel(colour.2)
    )
}

/// Escapes text for XML content and attribute values; characters XML cannot hold become `?`.
fn escape_into(out: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t'
            | '\n'
            | '\r'
            | '\u{20}'..='\u{D7FF}'
            | '\u{E000}'..='\u{FFFD}'
            | '\u{10000}'.. => out.push(ch),
            _ => out.push('?'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_invalid_characters() {
        let mut out = String::new();
        escape_into(
            &mut out,
            "<script>alert('x')</script> & \"é\" \u{1}\u{FFFE}",
        );
        assert_eq!(
            out,
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;é&quot; ??"
        );
    }

    #[test]
    fn numbers_are_short_and_finite() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(12.346), "12.35");
        assert_eq!(number(-0.001), "0");
        assert_eq!(number(f32::NAN), "0");
        assert_eq!(hex(Rgb(1.0, 0.5, 0.0)), "#ff8000");
    }
}
