//! Code 128 barcodes in code set B (ISO/IEC 15417): what a specimen label and a patient label
//! carry so that a hand scanner types the request id or the IPP back into a form.
//!
//! Code set B encodes the printable ASCII characters, one symbol each. A symbol is three bars
//! and three spaces, 11 modules wide; the start symbol of code set B comes first, then the data,
//! then the check symbol (the start value plus each data value times its position, modulo 103),
//! then the stop symbol (four bars and three spaces, 13 modules). Bars are drawn as filled
//! rectangles, with a quiet zone of 10 modules on each side.

use crate::canvas::Rgb;
use crate::page::Page;

/// Value of the start symbol of code set B.
const START_B: u8 = 104;
/// Widths of the stop symbol, bar first.
const STOP: [u8; 7] = [2, 3, 3, 1, 1, 1, 2];
/// Modules of blank space required before and after the symbol.
pub(crate) const QUIET_ZONE: u32 = 10;
/// The most characters a symbol may hold: beyond this a label's bars get too thin to scan.
pub const CODE128_MAX_LENGTH: usize = 40;

/// Bar and space widths of symbol values 0 to 105, in modules, bar first, written as six
/// digits (`212222` is a bar of 2, a space of 1, then 2, 2, 2, 2).
#[rustfmt::skip]
const PATTERNS: [u32; 106] = [
    212222, 222122, 222221, 121223, 121322, 131222, 122213, 122312, 132212, 221213, // 0-9
    221312, 231212, 112232, 122132, 122231, 113222, 123122, 123221, 223211, 221132, // 10-19
    221231, 213212, 223112, 312131, 311222, 321122, 321221, 312212, 322112, 322211, // 20-29
    212123, 212321, 232121, 111323, 131123, 131321, 112313, 132113, 132311, 211313, // 30-39
    231113, 231311, 112133, 112331, 132131, 113123, 113321, 133121, 313121, 211331, // 40-49
    231131, 213113, 213311, 213131, 311123, 311321, 331121, 312113, 312311, 332111, // 50-59
    314111, 221411, 431111, 111224, 111422, 121124, 121421, 141122, 141221, 112214, // 60-69
    112412, 122114, 122411, 142112, 142211, 241211, 221114, 413111, 241112, 134111, // 70-79
    111242, 121142, 121241, 114212, 124112, 124211, 411212, 421112, 421211, 212141, // 80-89
    214121, 412121, 111143, 111341, 131141, 114113, 114311, 411113, 411311, 113141, // 90-99
    114131, 311141, 411131, 211412, 211214, 211232,                                 // 100-105
];

/// A Code 128 symbol in code set B, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code128 {
    text: String,
    /// Start symbol, data symbols, check symbol (the stop symbol is implied).
    values: Vec<u8>,
}

/// Why a text cannot be a Code 128 B symbol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BarcodeError {
    /// Nothing to encode.
    #[error("un code-barres ne peut pas être vide")]
    Empty,
    /// A character outside printable ASCII (`position` counts from 1).
    #[error(
        "le caractère « {character} » (position {position}) ne peut pas figurer dans un \
         code-barres Code 128 B : seuls les caractères ASCII imprimables le peuvent"
    )]
    Unencodable {
        /// The character.
        character: char,
        /// Its position, from 1.
        position: usize,
    },
    /// Too many characters for a label.
    #[error(
        "{length} caractères : trop pour un code-barres lisible sur une étiquette (au plus {max})"
    )]
    TooLong {
        /// Characters given.
        length: usize,
        /// The limit, [`CODE128_MAX_LENGTH`].
        max: usize,
    },
}

impl Code128 {
    /// Encodes `text` (printable ASCII, 1 to [`CODE128_MAX_LENGTH`] characters).
    pub fn new(text: &str) -> Result<Code128, BarcodeError> {
        if text.is_empty() {
            return Err(BarcodeError::Empty);
        }
        let length = text.chars().count();
        if length > CODE128_MAX_LENGTH {
            return Err(BarcodeError::TooLong {
                length,
                max: CODE128_MAX_LENGTH,
            });
        }
        let mut values = Vec::with_capacity(length + 2);
        values.push(START_B);
        for (index, character) in text.chars().enumerate() {
            if !(' '..='~').contains(&character) {
                return Err(BarcodeError::Unencodable {
                    character,
                    position: index + 1,
                });
            }
            values.push(character as u8 - b' ');
        }
        values.push(check_value(&values));
        Ok(Code128 {
            text: text.to_owned(),
            values,
        })
    }

    /// The encoded text, as printed under the bars.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The symbol values in order: the start symbol of code set B (104), one value per
    /// character (its ASCII code minus 32), the check symbol. The stop symbol (106) follows
    /// them in the drawing.
    pub fn values(&self) -> &[u8] {
        &self.values
    }

    /// The check symbol's value: the start value plus each data value times its position
    /// (from 1), modulo 103.
    pub fn check_value(&self) -> u8 {
        *self
            .values
            .last()
            .expect("a symbol holds at least the start and check values")
    }

    /// Every bar and space from the start symbol to the end of the stop symbol, in modules,
    /// beginning with a bar (quiet zones excluded).
    pub fn widths(&self) -> Vec<u8> {
        let mut widths = Vec::with_capacity(self.values.len() * 6 + STOP.len());
        for &value in &self.values {
            widths.extend(pattern(value));
        }
        widths.extend(STOP);
        widths
    }

    /// Width of the symbol in modules, quiet zones excluded.
    pub fn module_count(&self) -> u32 {
        self.values.len() as u32 * 11 + 13
    }
}

/// The six widths of a symbol value (0 to 105).
fn pattern(value: u8) -> [u8; 6] {
    let mut packed = PATTERNS[usize::from(value)];
    let mut widths = [0; 6];
    for width in widths.iter_mut().rev() {
        *width = (packed % 10) as u8;
        packed /= 10;
    }
    widths
}

fn check_value(values: &[u8]) -> u8 {
    let sum: u32 = values
        .iter()
        .enumerate()
        .map(|(position, &value)| u32::from(value) * (position as u32).max(1))
        .sum();
    (sum % 103) as u8
}

/// Draws the bars of `code` centred in the box at `(x, y)` (top-left) of `width` by `height`
/// points, quiet zones included in the width. Modules are at most `max_module` points wide.
pub(crate) fn draw(
    page: &mut Page,
    code: &Code128,
    (x, y): (f32, f32),
    (width, height): (f32, f32),
    max_module: f32,
) {
    let total = code.module_count() + 2 * QUIET_ZONE;
    let module = (width / total as f32).min(max_module);
    let mut left = x + (width - module * total as f32) / 2.0 + module * QUIET_ZONE as f32;
    let mut bars = Vec::with_capacity(code.values.len() * 3 + 4);
    for (index, &modules) in code.widths().iter().enumerate() {
        let span = module * f32::from(modules);
        if index % 2 == 0 {
            bars.push((left, y, span, height));
        }
        left += span;
    }
    page.fill_rects(&bars, Rgb::BLACK);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_is_eleven_modules_with_an_even_bar_total_and_all_differ() {
        let mut seen = std::collections::HashSet::new();
        for value in 0..=105 {
            let widths = pattern(value);
            assert_eq!(
                widths.iter().map(|&w| u32::from(w)).sum::<u32>(),
                11,
                "{value}"
            );
            assert!(widths.iter().all(|&w| (1..=4).contains(&w)), "{value}");
            let bars: u8 = widths.iter().step_by(2).sum();
            assert_eq!(bars % 2, 0, "value {value}: bars must total an even number");
            assert!(seen.insert(widths), "value {value} repeats a pattern");
        }
        assert_eq!(STOP.iter().map(|&w| u32::from(w)).sum::<u32>(), 13);
    }

    #[test]
    fn the_check_symbol_weights_each_value_by_its_position() {
        // Start B (104) + P 48×1 + J 42×2 + J 42×3 + 1 17×4 + 2 18×5 + 3 19×6 + C 35×7 = 879,
        // and 879 = 8 × 103 + 55.
        let code = Code128::new("PJJ123C").expect("printable ASCII");
        assert_eq!(code.values(), &[104, 48, 42, 42, 17, 18, 19, 35, 55]);
        assert_eq!(code.check_value(), 55);
        assert_eq!(code.module_count(), 9 * 11 + 13);
    }

    #[test]
    fn widths_start_with_start_b_and_end_with_the_stop_symbol() {
        let code = Code128::new(" ").expect("a space is printable");
        // Start B 211214, space (0) 212222, check (104 + 0) % 103 = 1: 222122, stop 2331112.
        assert_eq!(
            code.widths(),
            [
                2, 1, 1, 2, 1, 4, 2, 1, 2, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 3, 3, 1, 1, 1, 2
            ]
        );
        assert_eq!(
            code.widths().iter().map(|&w| u32::from(w)).sum::<u32>(),
            code.module_count()
        );
    }

    #[test]
    fn texts_a_scanner_cannot_read_back_are_refused() {
        assert_eq!(Code128::new(""), Err(BarcodeError::Empty));
        assert_eq!(
            Code128::new("DTé1"),
            Err(BarcodeError::Unencodable {
                character: 'é',
                position: 3
            })
        );
        assert!(matches!(
            Code128::new("a\tb"),
            Err(BarcodeError::Unencodable { position: 2, .. })
        ));
        let long = "9".repeat(CODE128_MAX_LENGTH + 1);
        assert_eq!(
            Code128::new(&long),
            Err(BarcodeError::TooLong {
                length: 41,
                max: 40
            })
        );
        assert!(Code128::new(&long[1..]).is_ok());
        assert_eq!(
            Code128::new("DTé1").unwrap_err().to_string(),
            "le caractère « é » (position 3) ne peut pas figurer dans un code-barres Code 128 B : \
             seuls les caractères ASCII imprimables le peuvent"
        );
    }
}
