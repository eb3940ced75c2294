//! Text in the two standard PDF fonts the crate uses, Helvetica and Helvetica-Bold, under
//! WinAnsiEncoding: turning Unicode into WinAnsi bytes, and measuring those bytes with the
//! Adobe font metrics (AFM) widths, so that line breaks match what any viewer draws.
//!
//! WinAnsi covers French (é è ê à ç ù ô î œ « » € ’ and the no-break space). Anything else is
//! replaced, never dropped: a decomposed accent is composed, a letter of Latin Extended-A
//! becomes its base letter (ł → l, ğ → g), a few symbols get an ASCII spelling (≤ → <=), and
//! the rest becomes `?`. Only invisible format characters (soft hyphen, zero-width space and
//! joiners, byte order mark, direction marks) are removed, since they have no glyph to replace.

/// One of the two fonts of every document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Font {
    /// Helvetica.
    Regular,
    /// Helvetica-Bold.
    Bold,
}

impl Font {
    /// The resource name the font has on every page.
    pub(crate) fn resource_name(self) -> &'static [u8] {
        match self {
            Font::Regular => b"F1",
            Font::Bold => b"F2",
        }
    }

    /// The PostScript name of the standard font.
    pub(crate) fn base_font(self) -> &'static [u8] {
        match self {
            Font::Regular => b"Helvetica",
            Font::Bold => b"Helvetica-Bold",
        }
    }

    /// Advance widths of WinAnsi codes 32 to 255, in thousandths of the font size.
    pub(crate) fn widths(self) -> &'static [u16; 224] {
        match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        }
    }
}

/// The WinAnsi code of the ellipsis, used to shorten labels that do not fit.
pub(crate) const ELLIPSIS: u8 = 0x85;

/// Width of WinAnsi text in points. Codes below 32 (the line feed kept by [`encode`]) are
/// zero-width.
pub(crate) fn width(text: &[u8], font: Font, size: f32) -> f32 {
    let widths = font.widths();
    let units: u32 = text
        .iter()
        .filter(|&&byte| byte >= 32)
        .map(|&byte| u32::from(widths[usize::from(byte - 32)]))
        .sum();
    units as f32 * size / 1000.0
}

/// Width in points of Unicode text once encoded.
pub(crate) fn text_width(text: &str, font: Font, size: f32) -> f32 {
    width(&encode_line(text), font, size)
}

/// Encodes text to WinAnsi bytes, keeping line feeds (0x0A) as hard breaks; a carriage return
/// or CR LF pair becomes one line feed.
pub(crate) fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '\r' {
            if chars.peek() != Some(&'\n') {
                out.push(b'\n');
            }
            continue;
        }
        if is_combining_mark(ch) {
            attach_mark(&mut out, ch);
            continue;
        }
        push_char(&mut out, ch);
    }
    out
}

/// Encodes text meant for a single line: line breaks become spaces.
pub(crate) fn encode_line(text: &str) -> Vec<u8> {
    let mut out = encode(text);
    for byte in &mut out {
        if *byte == b'\n' {
            *byte = b' ';
        }
    }
    out
}

/// Decodes WinAnsi bytes back to Unicode (for the SVG output and for tests).
pub(crate) fn decode(text: &[u8]) -> String {
    text.iter()
        .map(|&byte| match byte {
            0x80..=0x9F => WINANSI_HIGH
                .iter()
                .find(|&&(_, code)| code == byte)
                .map_or('?', |&(ch, _)| ch),
            _ => char::from(byte),
        })
        .collect()
}

/// Characters of WinAnsi codes 0x80 to 0x9F, the ones that differ from Latin-1.
const WINANSI_HIGH: [(char, u8); 27] = [
    ('€', 0x80),
    ('‚', 0x82),
    ('ƒ', 0x83),
    ('„', 0x84),
    ('…', 0x85),
    ('†', 0x86),
    ('‡', 0x87),
    ('ˆ', 0x88),
    ('‰', 0x89),
    ('Š', 0x8A),
    ('‹', 0x8B),
    ('Œ', 0x8C),
    ('Ž', 0x8E),
    ('‘', 0x91),
    ('’', 0x92),
    ('“', 0x93),
    ('”', 0x94),
    ('•', 0x95),
    ('–', 0x96),
    ('—', 0x97),
    ('˜', 0x98),
    ('™', 0x99),
    ('š', 0x9A),
    ('›', 0x9B),
    ('œ', 0x9C),
    ('ž', 0x9E),
    ('Ÿ', 0x9F),
];

/// Base letters of U+0100 to U+017F (Latin Extended-A), in order. Œ œ Š š Ÿ Ž ž are in
/// WinAnsi and never reach this table.
const LATIN_EXTENDED_A: &[u8; 128] = b"AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGg\
GgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlL\
lLlNnNnNnnNnOoOoOoOoRrRrRrSsSsSs\
SsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";

/// Precomposed letters for a base letter followed by a combining mark, as pairs of
/// (base, composed) characters per mark.
const COMPOSITIONS: [(char, &str); 8] = [
    ('\u{300}', "AÀEÈIÌOÒUÙaàeèiìoòuù"),
    ('\u{301}', "AÁEÉIÍOÓUÚYÝaáeéiíoóuúyý"),
    ('\u{302}', "AÂEÊIÎOÔUÛaâeêiîoôuû"),
    ('\u{303}', "AÃNÑOÕaãnñoõ"),
    ('\u{308}', "AÄEËIÏOÖUÜYŸaäeëiïoöuüyÿ"),
    ('\u{30A}', "AÅaå"),
    ('\u{30C}', "SŠsšZŽzž"),
    ('\u{327}', "CÇcç"),
];

fn is_combining_mark(ch: char) -> bool {
    matches!(ch, '\u{300}'..='\u{36F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{20D0}'..='\u{20FF}')
}

/// Composes a combining mark with the letter before it when WinAnsi has the result. A mark
/// that does not compose leaves its base letter as the closest equivalent; a mark with no
/// letter before it becomes `?`.
fn attach_mark(out: &mut Vec<u8>, mark: char) {
    let Some(last) = out.last_mut() else {
        out.push(b'?');
        return;
    };
    let base = char::from(*last);
    let composed = COMPOSITIONS
        .iter()
        .find(|(candidate, _)| *candidate == mark)
        .and_then(|(_, pairs)| {
            let pairs: Vec<char> = pairs.chars().collect();
            pairs
                .chunks(2)
                .find(|pair| pair[0] == base)
                .map(|pair| pair[1])
        });
    if let Some(composed) = composed {
        let mut encoded = Vec::with_capacity(1);
        push_char(&mut encoded, composed);
        *last = encoded[0];
    }
}

fn push_char(out: &mut Vec<u8>, ch: char) {
    let code = u32::from(ch);
    match ch {
        ' '..='~' | '\n' => out.push(code as u8),
        '\t' => out.push(b' '),
        // Invisible format characters: nothing to draw, nothing to replace.
        '\u{AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' => {}
        '\u{A0}'..='\u{FF}' => out.push(code as u8),
        '\u{100}'..='\u{17F}' => match WINANSI_HIGH.iter().find(|&&(known, _)| known == ch) {
            Some(&(_, byte)) => out.push(byte),
            None => out.push(LATIN_EXTENDED_A[(code - 0x100) as usize]),
        },
        _ => {
            if let Some(&(_, byte)) = WINANSI_HIGH.iter().find(|&&(known, _)| known == ch) {
                out.push(byte);
            } else {
                out.extend_from_slice(replacement(ch));
            }
        }
    }
}

/// WinAnsi stand-ins (mostly ASCII) for characters outside WinAnsi; `?` when there is none.
fn replacement(ch: char) -> &'static [u8] {
    match ch {
        // Narrow and figure spaces do not break in French typography: keep them unbreakable.
        '\u{202F}' | '\u{2007}' => b"\xA0",
        '\u{2000}'..='\u{200A}' | '\u{205F}' | '\u{3000}' => b" ",
        '\u{2010}' | '\u{2011}' | '\u{2212}' | '\u{2043}' => b"-",
        '\u{2012}' => b"\x96",
        '\u{2015}' => b"\x97",
        '\u{201B}' | '\u{2032}' => b"'",
        '\u{201F}' | '\u{2033}' => b"\"",
        '\u{2264}' => b"<=",
        '\u{2265}' => b">=",
        '\u{2260}' => b"!=",
        '\u{2248}' => b"~",
        '\u{2190}' => b"<-",
        '\u{2192}' => b"->",
        '\u{2194}' => b"<->",
        '\u{21D2}' => b"=>",
        '\u{2116}' => b"No",
        '\u{2103}' => b"\xB0C",
        '\u{3BC}' => b"\xB5",
        '\u{2713}' | '\u{2714}' => b"v",
        '\u{2717}' | '\u{2718}' => b"x",
        '\u{25CF}' | '\u{25A0}' | '\u{2023}' | '\u{2219}' => b"\x95",
        '\u{FB00}' => b"ff",
        '\u{FB01}' => b"fi",
        '\u{FB02}' => b"fl",
        '\u{218}' => b"S",
        '\u{219}' => b"s",
        '\u{21A}' => b"T",
        '\u{21B}' => b"t",
        _ => b"?",
    }
}

/// Helvetica advance widths (Adobe AFM), WinAnsi codes 32 to 255; 0 for the unused codes.
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, //
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, //
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, //
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, //
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, //
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0, //
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, //
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, //
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, //
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, //
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, //
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, //
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, //
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, //
];

/// Helvetica-Bold advance widths (Adobe AFM), WinAnsi codes 32 to 255; 0 for the unused codes.
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, //
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, //
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, //
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, //
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, //
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0, //
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, //
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, //
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, //
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, //
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, //
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, //
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, //
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, //
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_text_is_in_winansi() {
        let text = "é è ê à ç ù ô î œ Œ « » € ’ Ÿ\u{A0}ï";
        let encoded = encode(text);
        assert_eq!(
            encoded.len(),
            text.chars().count(),
            "one byte per character"
        );
        assert_eq!(decode(&encoded), text);
        assert_eq!(encode("€’œ«»"), [0x80, 0x92, 0x9C, 0xAB, 0xBB]);
    }

    #[test]
    fn characters_outside_winansi_are_replaced_never_dropped() {
        assert_eq!(
            decode(&encode("Łódź Gdańsk İstanbul Ştefan")),
            "Lódz Gdansk Istanbul Stefan"
        );
        assert_eq!(
            decode(&encode("≤ 5 → ≥ 2 µg/kg μg")),
            "<= 5 -> >= 2 µg/kg µg"
        );
        assert_eq!(decode(&encode("🚑 Ω 病院")), "? ? ??");
        assert_eq!(decode(&encode("10\u{202F}%")), "10\u{A0}%");
        assert_eq!(decode(&encode("a\u{7}b\u{85}c")), "a?b?c");
    }

    #[test]
    fn decomposed_accents_are_composed() {
        assert_eq!(decode(&encode("e\u{301}le\u{300}ve c\u{327}a")), "élève ça");
        // A mark with no WinAnsi composition keeps its letter; a mark alone becomes '?'.
        assert_eq!(decode(&encode("q\u{301}")), "q");
        assert_eq!(decode(&encode("\u{301}x")), "?x");
    }

    #[test]
    fn invisible_format_characters_and_line_ends() {
        assert_eq!(encode("co\u{AD}operation\u{200B}\u{FEFF}"), b"cooperation");
        assert_eq!(encode("a\r\nb\rc\td"), b"a\nb\nc d");
        assert_eq!(encode_line("a\nb"), b"a b");
    }

    #[test]
    fn every_character_encodes_without_panicking() {
        let invisible = [
            '\u{AD}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{2060}',
            '\u{FEFF}',
        ];
        let samples = (0..0x3100)
            .chain(0x1F300..0x1F400)
            .filter_map(char::from_u32);
        for ch in samples {
            let encoded = encode(&ch.to_string());
            let kept = !encoded.is_empty()
                || invisible.contains(&ch)
                || is_combining_mark(ch)
                || ch == '\r';
            assert!(kept, "U+{:04X} dropped", u32::from(ch));
            assert!(
                encoded.iter().all(|&byte| byte == b'\n' || byte >= 32),
                "U+{:04X}",
                u32::from(ch)
            );
        }
    }

    #[test]
    fn widths_come_from_the_helvetica_metrics() {
        // "Helvetica" in Helvetica: H722 e556 l222 v500 e556 t278 i222 c500 a556 = 4112 units.
        assert!((width(b"Helvetica", Font::Regular, 10.0) - 41.12).abs() < 1e-4);
        // Bold is wider: H722 e556 l278 v556 e556 t333 i278 c556 a556 = 4391 units.
        assert!((width(b"Helvetica", Font::Bold, 10.0) - 43.91).abs() < 1e-4);
        assert!((text_width("é€", Font::Regular, 1000.0) - 1112.0).abs() < 1e-2);
        assert_eq!(width(b"\n", Font::Regular, 10.0), 0.0);
    }
}
