//! The `[soins]` settings of the clinical capsule: the downtime IPP range of
//! provisional identities, the shifts of the medication grid and the paper
//! fallback's schedule.

use std::path::PathBuf;

/// A range of IPPs reserved for identities created during a downtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IppRange {
    /// Assigning authority written with the IPP (PID-3.4, FHIR system).
    pub authority: String,
    /// First number of the range.
    pub first: u64,
    /// Last number of the range (inclusive).
    pub last: u64,
    /// Digits the IPP is written with (zero-padded).
    pub width: usize,
}

impl IppRange {
    /// Reads `"99000000-99009999"`; the width is the first bound's length.
    pub fn parse(authority: &str, text: &str) -> Result<IppRange, String> {
        let (first, last) = text.split_once('-').ok_or_else(|| {
            format!("« {text} » n'est pas une plage d'IPP (attendu : 99000000-99009999)")
        })?;
        let (first, last) = (first.trim(), last.trim());
        let number = |bound: &str| {
            if bound.is_empty() || !bound.bytes().all(|b| b.is_ascii_digit()) || bound.len() > 18 {
                return Err(format!(
                    "« {bound} » n'est pas un numéro d'IPP (chiffres seulement)"
                ));
            }
            bound.parse::<u64>().map_err(|e| e.to_string())
        };
        let range = IppRange {
            authority: authority.to_owned(),
            first: number(first)?,
            last: number(last)?,
            width: first.len(),
        };
        if range.first > range.last {
            return Err(format!(
                "la plage d'IPP {text} est vide (début après la fin)"
            ));
        }
        if last.len() > range.width {
            return Err(format!(
                "les bornes de la plage d'IPP {text} n'ont pas le même nombre de chiffres"
            ));
        }
        Ok(range)
    }

    /// Whether `ipp` is in the range.
    pub fn contains(&self, ipp: &str) -> bool {
        ipp.len() == self.width
            && ipp.bytes().all(|b| b.is_ascii_digit())
            && ipp
                .parse::<u64>()
                .is_ok_and(|n| n >= self.first && n <= self.last)
    }

    /// The IPP of the `n`-th provisional identity (0 first), if the range
    /// holds that many.
    pub fn nth(&self, n: u64) -> Option<String> {
        let value = self.first.checked_add(n)?;
        (value <= self.last).then(|| format!("{value:0width$}", width = self.width))
    }

    /// The first IPP of the range that `taken` does not hold.
    pub fn next_free(&self, taken: impl Fn(&str) -> bool) -> Option<String> {
        (0..=self.last - self.first)
            .filter_map(|n| self.nth(n))
            .find(|ipp| !taken(ipp))
    }
}

/// The clinical capsule's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// IPPs of provisional identities.
    pub ipp: IppRange,
    /// Hours (0-23, Europe/Paris) at which shifts start, ascending: the
    /// medication grid shows the current and the next one.
    pub shifts: Vec<u8>,
    /// Folder the paper fallback is written into on schedule, if any.
    pub reports_dir: Option<PathBuf>,
    /// How often, in seconds.
    pub reports_every_s: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            ipp: IppRange {
                authority: "CKISA-PROVISOIRE".to_owned(),
                first: 99_000_000,
                last: 99_999_999,
                width: 8,
            },
            shifts: vec![7, 14, 21],
            reports_dir: None,
            reports_every_s: 3_600,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_is_read_with_its_width_and_hands_out_free_numbers() {
        let range = IppRange::parse("DT", "00990000-00990002").unwrap();
        assert_eq!(range.width, 8);
        assert_eq!(range.nth(0).as_deref(), Some("00990000"));
        assert!(range.contains("00990002"));
        assert!(!range.contains("990002"));
        assert!(!range.contains("00990003"));
        assert_eq!(
            range.next_free(|ipp| ipp == "00990000").as_deref(),
            Some("00990001")
        );
        assert_eq!(range.next_free(|_| true), None);
    }

    #[test]
    fn bad_ranges_say_why() {
        assert!(IppRange::parse("DT", "123").unwrap_err().contains("plage"));
        assert!(IppRange::parse("DT", "9-1").unwrap_err().contains("vide"));
        assert!(
            IppRange::parse("DT", "1a-9")
                .unwrap_err()
                .contains("chiffres")
        );
        assert!(
            IppRange::parse("DT", "1-100")
                .unwrap_err()
                .contains("même nombre")
        );
    }
}
