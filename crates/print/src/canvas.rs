//! The few drawing operations charts and page layout need, behind one trait so that the same
//! chart code draws into a PDF page and into an SVG string.
//!
//! Coordinates are in points, x to the right and y downwards from the top-left corner of
//! whatever is being drawn; a text's y is its baseline.

/// A colour with red, green and blue in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rgb(pub(crate) f32, pub(crate) f32, pub(crate) f32);

impl Rgb {
    pub(crate) const BLACK: Rgb = Rgb(0.0, 0.0, 0.0);
    pub(crate) const WHITE: Rgb = Rgb(1.0, 1.0, 1.0);
    pub(crate) const TEXT: Rgb = Rgb(0.1, 0.1, 0.1);
    pub(crate) const MUTED: Rgb = Rgb(0.35, 0.35, 0.35);
    pub(crate) const RULE: Rgb = Rgb(0.6, 0.6, 0.6);
    pub(crate) const GRID: Rgb = Rgb(0.86, 0.86, 0.86);

    pub(crate) fn grey(level: f32) -> Rgb {
        Rgb(level, level, level)
    }
}

/// How a line is stroked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stroke {
    pub(crate) colour: Rgb,
    pub(crate) width: f32,
    /// Dash pattern: lengths of dashes and gaps, in points; empty for a solid line.
    pub(crate) dash: &'static [f32],
}

impl Stroke {
    pub(crate) fn solid(colour: Rgb, width: f32) -> Stroke {
        Stroke {
            colour,
            width,
            dash: &[],
        }
    }
}

/// Which point of a text its x is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

/// How a text is set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextStyle {
    pub(crate) size: f32,
    pub(crate) bold: bool,
    pub(crate) colour: Rgb,
    pub(crate) anchor: Anchor,
    /// Degrees counterclockwise, around the anchor point.
    pub(crate) rotation: f32,
}

impl TextStyle {
    pub(crate) fn new(size: f32) -> TextStyle {
        TextStyle {
            size,
            bold: false,
            colour: Rgb::TEXT,
            anchor: Anchor::Start,
            rotation: 0.0,
        }
    }

    pub(crate) fn bold(self) -> TextStyle {
        TextStyle { bold: true, ..self }
    }

    pub(crate) fn colour(self, colour: Rgb) -> TextStyle {
        TextStyle { colour, ..self }
    }

    pub(crate) fn anchor(self, anchor: Anchor) -> TextStyle {
        TextStyle { anchor, ..self }
    }
}

/// A surface to draw on.
pub(crate) trait Canvas {
    /// An open line through the points.
    fn polyline(&mut self, points: &[(f32, f32)], stroke: &Stroke);
    /// A closed shape, filled and/or outlined.
    fn polygon(&mut self, points: &[(f32, f32)], fill: Option<Rgb>, stroke: Option<&Stroke>);
    /// A circle, filled and/or outlined.
    fn circle(
        &mut self,
        centre: (f32, f32),
        radius: f32,
        fill: Option<Rgb>,
        stroke: Option<&Stroke>,
    );
    /// One line of text; it is never wrapped.
    fn text(&mut self, at: (f32, f32), text: &str, style: &TextStyle);

    /// A rectangle, filled and/or outlined.
    fn rect(
        &mut self,
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        fill: Option<Rgb>,
        stroke: Option<&Stroke>,
    ) {
        let corners = [
            (x, y),
            (x + width, y),
            (x + width, y + height),
            (x, y + height),
        ];
        self.polygon(&corners, fill, stroke);
    }

    /// A straight segment.
    fn line(&mut self, from: (f32, f32), to: (f32, f32), stroke: &Stroke) {
        self.polyline(&[from, to], stroke);
    }
}

/// A canvas seen through a shift of origin, to draw a chart at its place on a page.
pub(crate) struct Shifted<'a, C: Canvas> {
    pub(crate) inner: &'a mut C,
    pub(crate) dx: f32,
    pub(crate) dy: f32,
}

impl<C: Canvas> Shifted<'_, C> {
    fn shift(&self, (x, y): (f32, f32)) -> (f32, f32) {
        (x + self.dx, y + self.dy)
    }

    fn shift_all(&self, points: &[(f32, f32)]) -> Vec<(f32, f32)> {
        points.iter().map(|&point| self.shift(point)).collect()
    }
}

impl<C: Canvas> Canvas for Shifted<'_, C> {
    fn polyline(&mut self, points: &[(f32, f32)], stroke: &Stroke) {
        let points = self.shift_all(points);
        self.inner.polyline(&points, stroke);
    }

    fn polygon(&mut self, points: &[(f32, f32)], fill: Option<Rgb>, stroke: Option<&Stroke>) {
        let points = self.shift_all(points);
        self.inner.polygon(&points, fill, stroke);
    }

    fn circle(
        &mut self,
        centre: (f32, f32),
        radius: f32,
        fill: Option<Rgb>,
        stroke: Option<&Stroke>,
    ) {
        let centre = self.shift(centre);
        self.inner.circle(centre, radius, fill, stroke);
    }

    fn text(&mut self, at: (f32, f32), text: &str, style: &TextStyle) {
        let at = self.shift(at);
        self.inner.text(at, text, style);
    }
}
