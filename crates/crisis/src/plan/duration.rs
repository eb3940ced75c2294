//! Durations as people write them in a continuity plan ("30m", "4h", "1h30",
//! "2j") and as the pages show them ("1 h 30", "45 min", "2 j 3 h").
//!
//! The grammar is small on purpose: whole numbers, each followed by a unit
//! (`j` or `d` for days, `h`, `min` or `m` for minutes, `s`), largest unit
//! first, each unit at most once, spaces allowed anywhere between parts.
//! A bare number is accepted only right after hours, as minutes ("1h30").

use serde::de::{self, Deserialize, Deserializer, Visitor};
use std::fmt;
use std::time::Duration;

/// A duration as written in the plan, kept as text until the plan is
/// checked, so that a bad one is reported with its key among all the other
/// problems instead of stopping the TOML reader.
///
/// The TOML value may be a string (`"4h"`) or a bare number (`4`); a number
/// is kept as its text and refused by the check, which asks for a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationText(pub String);

impl From<&str> for DurationText {
    fn from(text: &str) -> Self {
        DurationText(text.to_string())
    }
}

impl fmt::Display for DurationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DurationTextVisitor)
    }
}

struct DurationTextVisitor;

impl Visitor<'_> for DurationTextVisitor {
    type Value = DurationText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("une durée comme \"30m\", \"4h\", \"1h30\" ou \"2j\"")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<DurationText, E> {
        Ok(DurationText(text.to_string()))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<DurationText, E> {
        Ok(DurationText(number.to_string()))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<DurationText, E> {
        Ok(DurationText(number.to_string()))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<DurationText, E> {
        Ok(DurationText(number.to_string()))
    }
}

/// Why a duration text was refused. The French message names the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing was written.
    #[error("durée vide (par ex. \"30m\", \"4h\", \"1h30\", \"2j\")")]
    Empty,
    /// A number without a unit, other than minutes after hours.
    #[error(
        "{text:?} : unité manquante après {number} (j, h, min ou s, par ex. \"{number}m\" ou \"{number}h\")"
    )]
    MissingUnit {
        /// The whole text.
        text: String,
        /// The number left without a unit.
        number: u64,
    },
    /// A unit this grammar does not know.
    #[error("{text:?} : unité {unit:?} inconnue (j, h, min ou s)")]
    UnknownUnit {
        /// The whole text.
        text: String,
        /// The unit as written.
        unit: String,
    },
    /// A character that is neither a digit, a unit letter nor a space.
    #[error(
        "{text:?} : caractère {found:?} inattendu (écrivez par ex. \"1h30\" plutôt que \"1.5h\")"
    )]
    Unexpected {
        /// The whole text.
        text: String,
        /// The character found.
        found: char,
    },
    /// A unit after a smaller one, or twice ("30m1h", "1h2h").
    #[error(
        "{text:?} : les unités vont de la plus grande à la plus petite, une seule fois chacune"
    )]
    Order {
        /// The whole text.
        text: String,
    },
    /// Minutes after hours at 60 or more ("1h75").
    #[error("{text:?} : {minutes} minutes après les heures, attendu moins de 60")]
    Minutes {
        /// The whole text.
        text: String,
        /// The minutes written.
        minutes: u64,
    },
    /// More than this node can count.
    #[error("{text:?} : durée trop grande")]
    Overflow {
        /// The whole text.
        text: String,
    },
    /// Longer than a year.
    #[error("{text:?} : durée trop longue (un an, 366j, au plus)")]
    TooLong {
        /// The whole text.
        text: String,
    },
    /// A duration of zero, meaningless for every duration of the plan.
    #[error("{text:?} : une durée nulle n'a pas de sens ici")]
    Zero {
        /// The whole text.
        text: String,
    },
}

/// Parses a plan duration: `"30m"`, `"45 min"`, `"4h"`, `"1h30"`,
/// `"1 h 30 min"`, `"2j"`, `"2j 3h"`, `"90s"`. Zero is refused.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let lowered = text.trim().to_lowercase();
    if lowered.is_empty() {
        return Err(DurationError::Empty);
    }
    let tokens = tokenize(text, &lowered)?;

    let mut total: u64 = 0;
    let mut last_rank: Option<u8> = None;
    let mut index = 0;
    while index < tokens.len() {
        let (number, unit) = &tokens[index];
        let (rank, seconds) = match unit.as_str() {
            "" => return bare_number(text, &tokens, index, total),
            unit => unit_of(text, unit)?,
        };
        if last_rank.is_some_and(|last| rank <= last) {
            return Err(DurationError::Order {
                text: text.to_string(),
            });
        }
        last_rank = Some(rank);
        total = number
            .checked_mul(seconds)
            .and_then(|part| total.checked_add(part))
            .ok_or_else(|| DurationError::Overflow {
                text: text.to_string(),
            })?;
        index += 1;
    }
    finish(text, total)
}

/// Splits the lowered text into (number, unit) pairs; the unit is empty for
/// a bare number.
fn tokenize(text: &str, lowered: &str) -> Result<Vec<(u64, String)>, DurationError> {
    let mut tokens = Vec::new();
    let mut chars = lowered.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else {
            break;
        };
        if !first.is_ascii_digit() {
            return Err(DurationError::Unexpected {
                text: text.to_string(),
                found: first,
            });
        }
        let mut number: u64 = 0;
        while let Some(digit) = chars.next_if(char::is_ascii_digit) {
            number = number
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(digit) - u64::from('0')))
                .ok_or_else(|| DurationError::Overflow {
                    text: text.to_string(),
                })?;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut unit = String::new();
        while let Some(letter) = chars.next_if(|c| c.is_alphabetic()) {
            unit.push(letter);
        }
        if let Some(&other) = chars.peek()
            && !other.is_whitespace()
            && !other.is_ascii_digit()
        {
            return Err(DurationError::Unexpected {
                text: text.to_string(),
                found: other,
            });
        }
        tokens.push((number, unit));
    }
    Ok(tokens)
}

/// The rank (larger for smaller units) and length in seconds of `unit`.
fn unit_of(text: &str, unit: &str) -> Result<(u8, u64), DurationError> {
    match unit {
        "j" | "d" | "jour" | "jours" => Ok((0, 86_400)),
        "h" => Ok((1, 3_600)),
        "min" | "mn" | "m" => Ok((2, 60)),
        "s" => Ok((3, 1)),
        other => Err(DurationError::UnknownUnit {
            text: text.to_string(),
            unit: other.to_string(),
        }),
    }
}

/// A bare number at `tokens[index]`: minutes if it is the last part and
/// comes right after hours, refused otherwise.
fn bare_number(
    text: &str,
    tokens: &[(u64, String)],
    index: usize,
    total: u64,
) -> Result<Duration, DurationError> {
    let number = tokens[index].0;
    let after_hours = index > 0 && tokens[index - 1].1 == "h";
    if !after_hours || index + 1 != tokens.len() {
        return Err(DurationError::MissingUnit {
            text: text.to_string(),
            number,
        });
    }
    if number >= 60 {
        return Err(DurationError::Minutes {
            text: text.to_string(),
            minutes: number,
        });
    }
    let total = total
        .checked_add(number * 60)
        .ok_or_else(|| DurationError::Overflow {
            text: text.to_string(),
        })?;
    finish(text, total)
}

/// Longest duration a plan may give: a year (a DMIA, a silence threshold or
/// a report interval beyond it is a typing mistake).
const MAX_SECONDS: u64 = 366 * 86_400;

fn finish(text: &str, seconds: u64) -> Result<Duration, DurationError> {
    if seconds == 0 {
        return Err(DurationError::Zero {
            text: text.to_string(),
        });
    }
    if seconds > MAX_SECONDS {
        return Err(DurationError::TooLong {
            text: text.to_string(),
        });
    }
    Ok(Duration::from_secs(seconds))
}

/// A duration the French way, truncated to its two largest units:
/// `"2 j 3 h"`, `"2 j"`, `"1 h 30"`, `"1 h 05"`, `"4 h"`, `"45 min"`, `"12 s"`.
pub fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let (minutes, hours, days) = (seconds / 60 % 60, seconds / 3_600 % 24, seconds / 86_400);
    if seconds < 60 {
        format!("{seconds} s")
    } else if seconds < 3_600 {
        format!("{minutes} min")
    } else if seconds < 86_400 && minutes == 0 {
        format!("{hours} h")
    } else if seconds < 86_400 {
        format!("{hours} h {minutes:02}")
    } else if hours == 0 {
        format!("{days} j")
    } else {
        format!("{days} j {hours} h")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> u64 {
        match parse_duration(text) {
            Ok(duration) => duration.as_secs(),
            Err(err) => panic!("{text:?} refused: {err}"),
        }
    }

    #[test]
    fn accepts_the_usual_spellings() {
        assert_eq!(secs("30m"), 1_800);
        assert_eq!(secs("45 min"), 2_700);
        assert_eq!(secs("4h"), 14_400);
        assert_eq!(secs("1h30"), 5_400);
        assert_eq!(secs("1 h 30"), 5_400);
        assert_eq!(secs("1h30m"), 5_400);
        assert_eq!(secs("1h05"), 3_900);
        assert_eq!(secs("2j"), 172_800);
        assert_eq!(secs("2J 3H"), 183_600);
        assert_eq!(secs("1d"), 86_400);
        assert_eq!(secs("3 jours"), 259_200);
        assert_eq!(secs("90s"), 90);
        assert_eq!(secs(" 36h "), 129_600);
        assert_eq!(secs("1j2h3m4s"), 93_784);
    }

    #[test]
    fn refuses_with_a_reason_naming_the_text() {
        type Expected = fn(&DurationError) -> bool;
        let cases: &[(&str, Expected)] = &[
            ("", |e| matches!(e, DurationError::Empty)),
            ("   ", |e| matches!(e, DurationError::Empty)),
            ("30", |e| {
                matches!(e, DurationError::MissingUnit { number: 30, .. })
            }),
            ("2j3", |e| {
                matches!(e, DurationError::MissingUnit { number: 3, .. })
            }),
            ("1h30 2", |e| {
                matches!(e, DurationError::MissingUnit { number: 30, .. })
            }),
            (
                "4x",
                |e| matches!(e, DurationError::UnknownUnit { unit, .. } if unit == "x"),
            ),
            (
                "4 heures",
                |e| matches!(e, DurationError::UnknownUnit { unit, .. } if unit == "heures"),
            ),
            ("1.5h", |e| {
                matches!(e, DurationError::Unexpected { found: '.', .. })
            }),
            ("-1h", |e| {
                matches!(e, DurationError::Unexpected { found: '-', .. })
            }),
            ("h", |e| {
                matches!(e, DurationError::Unexpected { found: 'h', .. })
            }),
            ("30m1h", |e| matches!(e, DurationError::Order { .. })),
            ("1h2h", |e| matches!(e, DurationError::Order { .. })),
            ("1h75", |e| {
                matches!(e, DurationError::Minutes { minutes: 75, .. })
            }),
            ("0m", |e| matches!(e, DurationError::Zero { .. })),
            ("0h0", |e| matches!(e, DurationError::Zero { .. })),
            ("99999999999999999999s", |e| {
                matches!(e, DurationError::Overflow { .. })
            }),
            ("999999999999999j", |e| {
                matches!(e, DurationError::Overflow { .. })
            }),
        ];
        for (text, expected) in cases {
            let err = parse_duration(text).expect_err(text);
            assert!(expected(&err), "{text:?} gave {err:?}");
            if !text.trim().is_empty() {
                assert!(err.to_string().contains(&format!("{text:?}")), "{err}");
            }
        }
    }

    #[test]
    fn formats_in_french() {
        let f = |s: u64| format_duration(Duration::from_secs(s));
        assert_eq!(f(0), "0 s");
        assert_eq!(f(59), "59 s");
        assert_eq!(f(60), "1 min");
        assert_eq!(f(2_700), "45 min");
        assert_eq!(f(3_600), "1 h");
        assert_eq!(f(3_900), "1 h 05");
        assert_eq!(f(5_400), "1 h 30");
        assert_eq!(f(5_459), "1 h 30");
        assert_eq!(f(86_399), "23 h 59");
        assert_eq!(f(86_400), "1 j");
        assert_eq!(f(183_600), "2 j 3 h");
        assert_eq!(f(183_600 + 1_800), "2 j 3 h");
        assert_eq!(format_duration(Duration::from_millis(1_999)), "1 s");
    }

    #[test]
    fn a_bare_number_in_toml_is_kept_for_the_check() {
        #[derive(serde::Deserialize)]
        struct Doc {
            a: DurationText,
            b: DurationText,
        }
        let doc: Doc = toml::from_str("a = 30\nb = \"4h\"").unwrap();
        assert_eq!(doc.a, DurationText::from("30"));
        assert!(matches!(
            parse_duration(&doc.a.0),
            Err(DurationError::MissingUnit { number: 30, .. })
        ));
        assert_eq!(parse_duration(&doc.b.0).unwrap().as_secs(), 14_400);
    }
}
