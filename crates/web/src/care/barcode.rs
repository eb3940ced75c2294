//! A Code 128 barcode as the rectangles of an inline SVG, for the label
//! and wristband pages (the PDF labels draw the same symbol through
//! `ckisa_print`). Only numbers reach the template: no text of the symbol
//! is written into the SVG, so nothing needs escaping beyond askama's.

use ckisa_print::Code128;

/// Modules of blank space before and after the bars, so that a scanner
/// finds where the symbol starts.
const QUIET: u32 = 10;

/// One bar: its left edge and width, in modules.
pub(super) struct Bar {
    pub(super) x: u32,
    pub(super) width: u32,
}

/// The bars of a symbol and the width of the whole drawing, in modules.
pub(super) struct Bars {
    pub(super) bars: Vec<Bar>,
    pub(super) width: u32,
    /// The encoded text, printed under the bars.
    pub(super) text: String,
}

impl Bars {
    /// The symbol of `text`; `None` when Code 128 B cannot carry it (empty,
    /// too long, not printable ASCII): the page then shows the text alone.
    pub(super) fn of(text: &str) -> Option<Bars> {
        let symbol = Code128::new(text).ok()?;
        let mut bars = Vec::new();
        let mut x = QUIET;
        for (index, width) in symbol.widths().into_iter().enumerate() {
            let width = u32::from(width);
            if index % 2 == 0 {
                bars.push(Bar { x, width });
            }
            x += width;
        }
        Some(Bars {
            bars,
            width: x + QUIET,
            text: symbol.text().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_alternate_with_spaces_between_quiet_zones() {
        let bars = Bars::of("DT1").expect("encodable");
        // Start, three characters, check: 5 symbols of 11 modules, then
        // the 13-module stop, with 10 modules of quiet zone each side.
        assert_eq!(bars.width, 5 * 11 + 13 + 2 * QUIET);
        assert_eq!(bars.bars.len(), 5 * 3 + 4);
        assert_eq!(bars.bars[0].x, QUIET);
        assert!(bars.bars.windows(2).all(|w| w[0].x + w[0].width < w[1].x));
        assert_eq!(bars.text, "DT1");
        assert!(Bars::of("").is_none());
        assert!(Bars::of("é").is_none());
    }
}
