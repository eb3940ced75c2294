//! The documented TOML configuration written for the demo establishment.
//!
//! The text follows the node's configuration schema (`docs/configuration.md`;
//! the parser in `crates/cli` refuses unknown keys), and is produced by hand,
//! not serialised, so that it carries a comment header explaining every key.
//! Facts the schema has no key for (FINESS, UF numbers, seed) are written as
//! comments.

use crate::DemoOptions;
use crate::patient::DemoUnit;
use std::fmt::Write as _;

const HEADER: &str = r#"# ckisa configuration of the demo establishment, written by `ckisa demo`.
# Unknown keys are refused; see docs/configuration.md for the reference.
#
# [site]              the establishment this node serves
#   name              display name shown in page headers
#   zone              IANA time zone for HL7 times that carry no offset, and display
#
# [node]              (optional) data = data folder, http = web UI address
#
# [[feeds]]           one table per input feed
#   name              feed name, shown with its freshness on the status page
#   kind              "mllp": HL7 v2 over MLLP/TCP (an ACK is sent once stored)
#   listen            address:port the node listens on (loopback for the demo)
#
# [[units]]           one table per unit (UF / service), with its beds
#   code              unit code as the HIS sends it in PV1-3.1
#   name              display name shown to caregivers
#   rooms             rooms and their beds, as in PV1-3.2 and PV1-3.3
"#;

/// Name of the demo feed, as `ckisa demo` names it.
const FEED_NAME: &str = "sih-demo";

/// The configuration text for `units` under `options`, generated with `seed`.
pub(crate) fn config_toml(seed: u64, options: &DemoOptions, units: &[DemoUnit]) -> String {
    let mut out = String::from(HEADER);
    let _ = write!(
        out,
        "\n# Generated from seed {seed}. FINESS {}.\n[site]\nname = {}\nzone = \"Europe/Paris\"\n",
        comment(&options.finess),
        quote(&options.site_name),
    );
    let _ = write!(
        out,
        "\n[[feeds]]\nname = {}\nkind = \"mllp\"\nlisten = {}\n",
        quote(FEED_NAME),
        quote(&options.listen)
    );
    for unit in units {
        write_unit(&mut out, unit);
    }
    out.push_str(SOINS);
    out.push('\n');
    out.push_str(PLAN);
    out
}

/// The clinical capsule's settings of the demo: the paper fallback written
/// every hour into the data folder's `secours/` (the first round 30 s after
/// start), the default shifts and downtime IPP range.
const SOINS: &str = "
[soins]
# IPPs of identities created during a downtime, and their authority
ipp_provisoire = \"99000000-99999999\"
ipp_autorite = \"CKISA-PROVISOIRE\"
# shift start hours (the medication grid shows the current and next shift)
releves = [7, 14, 21]
# the paper fallback of every unit, written on schedule (relative to this file)
dossier_secours = \"secours\"
secours_toutes = \"1h\"
";

/// The demo establishment's continuity plan (`[plan]`, see `docs/plan.md`),
/// appended to the generated configuration.
pub const PLAN: &str = include_str!("plan.toml");

fn write_unit(out: &mut String, unit: &DemoUnit) {
    let profile = unit.profile;
    let _ = write!(
        out,
        "\n[[units]]  # UF {}\ncode = {}\nname = {}\nrooms = [\n",
        comment(profile.uf),
        quote(profile.code),
        quote(profile.name),
    );
    // Beds come grouped by room, in order.
    let mut rooms: Vec<(&str, Vec<&str>)> = Vec::new();
    for (room, bed) in &unit.beds {
        match rooms.last_mut() {
            Some((last, beds)) if *last == room.as_str() => beds.push(bed),
            _ => rooms.push((room, vec![bed])),
        }
    }
    for chunk in rooms.chunks(3) {
        let line: Vec<String> = chunk
            .iter()
            .map(|(room, beds)| {
                let beds: Vec<String> = beds.iter().map(|b| quote(b)).collect();
                format!("{{ room = {}, beds = [{}] }}", quote(room), beds.join(", "))
            })
            .collect();
        let _ = writeln!(out, "  {},", line.join(", "));
    }
    out.push_str("]\n");
}

/// Text safe inside a TOML comment (one line).
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_toml_specials() {
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(quote("Réa\u{1}\n"), "\"Réa\\u0001\\u000A\"");
        assert_eq!(comment("a\nb"), "a b");
    }
}
