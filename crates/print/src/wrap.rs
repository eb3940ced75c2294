//! Line breaking of WinAnsi text against a width in points, with the real Helvetica widths.
//!
//! Lines break at spaces (never at a no-break space); a line feed forces a break. A word wider
//! than the whole line is cut, after its last hyphen, slash, underscore or period that fits if
//! there is one, else after the last character that fits. No line is ever wider than the
//! width asked for, except when not even one character fits: the line then holds exactly
//! one character, so that text always moves forward.

use crate::winansi::{self, Font};

/// Points of slack when comparing widths, against rounding in sums of floats.
const EPSILON: f32 = 1e-3;

/// Breaks `text` into lines of at most `max_width` points; always returns at least one line
/// (empty text gives one empty line).
pub(crate) fn wrap(text: &[u8], font: Font, size: f32, max_width: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for hard_line in text.split(|&byte| byte == b'\n') {
        wrap_hard_line(hard_line, font, size, max_width, &mut lines);
    }
    lines
}

/// Shortens `text` to fit `max_width`, ending it with an ellipsis when something was cut.
/// Returns an empty line when not even the ellipsis fits.
pub(crate) fn ellipsize(text: &[u8], font: Font, size: f32, max_width: f32) -> Vec<u8> {
    if winansi::width(text, font, size) <= max_width + EPSILON {
        return text.to_vec();
    }
    let room = max_width - winansi::width(&[winansi::ELLIPSIS], font, size);
    if room < -EPSILON {
        return Vec::new();
    }
    let keep = fitting_prefix(text, font, size, room);
    let mut short = text[..keep].trim_ascii_end().to_vec();
    short.push(winansi::ELLIPSIS);
    short
}

fn wrap_hard_line(text: &[u8], font: Font, size: f32, max_width: f32, lines: &mut Vec<Vec<u8>>) {
    let space = winansi::width(b" ", font, size);
    let mut line: Vec<u8> = Vec::new();
    let mut line_width = 0.0;
    for word in text
        .split(|&byte| byte == b' ')
        .filter(|word| !word.is_empty())
    {
        let word_width = winansi::width(word, font, size);
        if !line.is_empty() && line_width + space + word_width <= max_width + EPSILON {
            line.push(b' ');
            line.extend_from_slice(word);
            line_width += space + word_width;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // Each cut scans only the characters it keeps, so a huge word costs linear time.
        let mut rest = word;
        while rest.len() > 1 {
            let fits = fitting_prefix(rest, font, size, max_width);
            if fits == rest.len() {
                break;
            }
            let cut = cut_point(rest, fits);
            lines.push(rest[..cut].to_vec());
            rest = &rest[cut..];
        }
        line = rest.to_vec();
        line_width = winansi::width(rest, font, size);
    }
    lines.push(line);
}

/// Where to cut a word too wide for a line, given that its first `fits` bytes fit: after
/// the last breaking punctuation among them, else after them, and after at least one byte.
fn cut_point(word: &[u8], fits: usize) -> usize {
    let fits = fits.max(1);
    let after_punctuation = word[..fits]
        .iter()
        .rposition(|byte| matches!(byte, b'-' | b'/' | b'_' | b'.'))
        .map(|index| index + 1)
        .filter(|&cut| cut < word.len());
    after_punctuation.unwrap_or(fits)
}

/// The number of leading bytes of `text` whose width stays within `max_width`.
fn fitting_prefix(text: &[u8], font: Font, size: f32, max_width: f32) -> usize {
    let mut total = 0.0;
    for (index, &byte) in text.iter().enumerate() {
        total += winansi::width(&[byte], font, size);
        if total > max_width + EPSILON {
            return index;
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winansi::{encode, width};

    fn lines_of(text: &str, max_width: f32) -> Vec<String> {
        wrap(&encode(text), Font::Regular, 10.0, max_width)
            .iter()
            .map(|line| winansi::decode(line))
            .collect()
    }

    #[test]
    fn breaks_at_spaces_and_keeps_words_whole() {
        let text = "Le plan blanc est déclenché à 21 h 40 par la direction générale.";
        let lines = lines_of(text, 120.0);
        assert!(lines.len() > 1, "{lines:?}");
        assert_eq!(lines.join(" "), text);
        for line in &lines {
            assert!(
                width(&encode(line), Font::Regular, 10.0) <= 120.0 + EPSILON,
                "{line}"
            );
        }
    }

    #[test]
    fn a_line_feed_forces_a_break_and_blank_lines_stay() {
        assert_eq!(lines_of("un\n\ndeux", 500.0), ["un", "", "deux"]);
        assert_eq!(lines_of("", 500.0), [""]);
    }

    #[test]
    fn no_break_space_glues_a_number_to_its_unit() {
        // "12 h" with a no-break space must not be split even if the break would fit better.
        let glued = "aaaaaaaaaa 12\u{A0}h";
        let width_of_a = width(b"aaaaaaaaaa 12", Font::Regular, 10.0);
        let lines = lines_of(glued, width_of_a + 1.0);
        assert_eq!(lines, ["aaaaaaaaaa", "12\u{A0}h"]);
    }

    #[test]
    fn a_long_word_is_cut_after_a_hyphen_when_it_can() {
        let lines = lines_of("anti-inflammatoire-non-stéroïdien", 80.0);
        assert!(lines.len() > 1);
        assert!(lines[0].ends_with('-'), "{lines:?}");
        assert_eq!(lines.concat(), "anti-inflammatoire-non-stéroïdien");
    }

    #[test]
    fn wrapping_never_exceeds_the_width() {
        let samples = [
            "Réanimation médicale — 12 lits, 11 occupés, 1 en nettoyage",
            "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
            "«\u{A0}Œuvre\u{A0}» ’ € ç œ — iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii",
            "http://exemple.fr/un/chemin/tres/long/sans/espace/aucun/du/tout",
        ];
        // The widest WinAnsi glyph is 1015 units (@), 10.15 points at 10 pt: every width from
        // there up must be honoured exactly.
        for text in samples {
            for tenth in 102..=2000 {
                let max_width = tenth as f32 / 10.0;
                for font in [Font::Regular, Font::Bold] {
                    for line in wrap(&encode(text), font, 10.0, max_width) {
                        let line_width = width(&line, font, 10.0);
                        assert!(
                            line_width <= max_width + EPSILON,
                            "{line_width} > {max_width} for {:?}",
                            winansi::decode(&line)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_width_narrower_than_one_glyph_still_moves_forward() {
        let lines = lines_of("abc", 1.0);
        assert_eq!(lines, ["a", "b", "c"]);
    }

    #[test]
    fn ellipsize_shortens_only_what_does_not_fit() {
        let text = encode("Pharmacie à usage intérieur");
        assert_eq!(ellipsize(&text, Font::Regular, 8.0, 500.0), text);
        let short = ellipsize(&text, Font::Regular, 8.0, 40.0);
        assert_eq!(short.last(), Some(&winansi::ELLIPSIS));
        assert!(width(&short, Font::Regular, 8.0) <= 40.0 + EPSILON);
        assert!(ellipsize(&text, Font::Regular, 8.0, 2.0).is_empty());
    }
}
