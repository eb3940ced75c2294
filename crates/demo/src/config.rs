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
    out.push_str(MESSAGERIE);
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

/// The secure messaging of the demo: the default service channels and
/// delays written out, and a recall roster of 42 fictional people across
/// the units, plus the demo accounts that receive broadcasts (by their
/// login, `identifiant`, so that escalations reach their numbers); numbers
/// in the 06 39 98 range ARCEP reserves for fiction.
const MESSAGERIE: &str = r#"
[messagerie]
# canaux des services support : les titulaires des rôles en sont membres
canaux_services = [
  { code = "pharmacie", nom = "Pharmacie", roles = ["pharmacien"] },
  { code = "laboratoire", nom = "Laboratoire", roles = ["laboratoire"] },
  { code = "imagerie", nom = "Imagerie" },
  { code = "biomedical", nom = "Biomédical" },
  { code = "informatique", nom = "Informatique", roles = ["securite-si", "administrateur"] },
]
# le canal de la cellule de crise : ces rôles, et ces comptes en plus
cellule_roles = ["directeur-crise", "cellule-crise"]
cellule_membres = []
# messages et pièces jointes conservés 365 jours, puis effacés
conservation_jours = 365
# pièces jointes : 5 Mo au plus (20 Mo au maximum), images JPEG et PNG, PDF
pieces_jointes_max_ko = 5120
pieces_jointes_types = ["image/jpeg", "image/png", "application/pdf"]
# adresse des liens de réponse au rappel, vue des téléphones du personnel :
# adresse_publique = "https://crise.ch-demo.example"
# programme qui envoie les SMS (sans lui, le crochet du plan sert s'il existe) :
# crochet = { programme = "/usr/local/bin/envoi-sms", arguments = [], delai_s = 10 }

# annuaire du rappel des personnels (plan blanc) ; personnes et numéros fictifs
rappel = [
  { id = "M0001", nom = "Camille Lefèvre", role = "medecin", unite = "URG", telephone = "06 39 98 00 01" },
  { id = "M0002", nom = "Youssef Benali", role = "medecin", unite = "URG", telephone = "06 39 98 00 02" },
  { id = "M0003", nom = "Hélène Marchand", role = "medecin", unite = "REA", telephone = "06 39 98 00 03" },
  { id = "M0004", nom = "Thomas Girard", role = "medecin", unite = "REA", telephone = "06 39 98 00 04" },
  { id = "M0005", nom = "Nadia Haddad", role = "medecin", unite = "USIC", telephone = "06 39 98 00 05" },
  { id = "M0006", nom = "Julien Roux", role = "medecin", unite = "CARDIO", telephone = "06 39 98 00 06" },
  { id = "M0007", nom = "Sophie Lambert", role = "medecin", unite = "PNEUMO", telephone = "06 39 98 00 07" },
  { id = "M0008", nom = "Antoine Mercier", role = "medecin", unite = "CHIRDIG", telephone = "06 39 98 00 08" },
  { id = "M0009", nom = "Léa Fontaine", role = "infirmier", unite = "URG", telephone = "06 39 98 00 09" },
  { id = "M0010", nom = "Mathieu Chevalier", role = "infirmier", unite = "URG", telephone = "06 39 98 00 10" },
  { id = "M0011", nom = "Inès Garnier", role = "infirmier", unite = "URG", telephone = "06 39 98 00 11" },
  { id = "M0012", nom = "Claire Dubois", role = "infirmier", unite = "REA", telephone = "06 39 98 00 12" },
  { id = "M0013", nom = "Hugo Faure", role = "infirmier", unite = "REA", telephone = "06 39 98 00 13" },
  { id = "M0014", nom = "Manon Perrin", role = "infirmier", unite = "REA", telephone = "06 39 98 00 14" },
  { id = "M0015", nom = "Karim Saidi", role = "infirmier", unite = "USIC", telephone = "06 39 98 00 15" },
  { id = "M0016", nom = "Émilie Rousseau", role = "infirmier", unite = "CARDIO", telephone = "06 39 98 00 16" },
  { id = "M0017", nom = "Nicolas Blanc", role = "infirmier", unite = "CARDIO", telephone = "06 39 98 00 17" },
  { id = "M0018", nom = "Aurélie Guérin", role = "infirmier", unite = "PNEUMO", telephone = "06 39 98 00 18" },
  { id = "M0019", nom = "Sarah Boyer", role = "infirmier", unite = "MEDINT", telephone = "06 39 98 00 19" },
  { id = "M0020", nom = "Pauline Muller", role = "infirmier", unite = "GERIA", telephone = "06 39 98 00 20" },
  { id = "M0021", nom = "Jérôme Lemaire", role = "infirmier", unite = "GERIA", telephone = "06 39 98 00 21" },
  { id = "M0022", nom = "Chloé Bertin", role = "infirmier", unite = "NEURO", telephone = "06 39 98 00 22" },
  { id = "M0023", nom = "Maxime Colin", role = "infirmier", unite = "CHIRDIG", telephone = "06 39 98 00 23" },
  { id = "M0024", nom = "Laura Vidal", role = "infirmier", unite = "ORTHO", telephone = "06 39 98 00 24" },
  { id = "M0025", nom = "Amandine Caron", role = "infirmier", unite = "PEDIA", telephone = "06 39 98 00 25" },
  { id = "M0026", nom = "Océane Picard", role = "infirmier", unite = "MATER", telephone = "06 39 98 00 26" },
  { id = "M0027", nom = "Fatou Diallo", role = "infirmier", unite = "NEPHRO", telephone = "06 39 98 00 27" },
  { id = "M0028", nom = "Benoît Arnaud", role = "infirmier", unite = "ONCO", telephone = "06 39 98 00 28" },
  { id = "M0029", nom = "Valérie Morel", role = "cadre", unite = "URG", telephone = "06 39 98 00 29" },
  { id = "M0030", nom = "Stéphane Masson", role = "cadre", unite = "REA", telephone = "06 39 98 00 30" },
  { id = "M0031", nom = "Isabelle Renaud", role = "cadre", unite = "CARDIO", telephone = "06 39 98 00 31" },
  { id = "M0032", nom = "Frédéric Aubert", role = "cadre", unite = "MEDINT", telephone = "06 39 98 00 32" },
  { id = "M0033", nom = "Nathalie Brunet", role = "cadre", unite = "CHIRDIG", telephone = "06 39 98 00 33" },
  { id = "M0034", nom = "Céline Noël", role = "cadre", unite = "PEDIA", telephone = "06 39 98 00 34" },
  { id = "M0035", nom = "Marc Leroy", role = "pharmacien", unite = "", telephone = "06 39 98 00 35" },
  { id = "M0036", nom = "Lucie Benoit", role = "pharmacien", unite = "", telephone = "06 39 98 00 36" },
  { id = "M0037", nom = "Samia Khelifi", role = "pharmacien", unite = "", telephone = "06 39 98 00 37" },
  { id = "M0038", nom = "Olivier Charpentier", role = "pharmacien", unite = "", telephone = "06 39 98 00 38" },
  { id = "M0039", nom = "Agnès Lacroix", role = "laboratoire", unite = "", telephone = "06 39 98 00 39" },
  { id = "M0040", nom = "David Moulin", role = "laboratoire", unite = "", telephone = "06 39 98 00 40" },
  { id = "M0041", nom = "Élodie Gauthier", role = "laboratoire", unite = "", telephone = "06 39 98 00 41" },
  { id = "M0042", nom = "Vincent Barbier", role = "laboratoire", unite = "", telephone = "06 39 98 00 42" },
  # les comptes de démonstration qui reçoivent des diffusions : « identifiant » est leur
  # compte ckisa, d'où l'escalade d'une diffusion non accusée prend leur numéro
  { id = "D0001", nom = "Cadre de santé (démo)", role = "cadre", unite = "URG", telephone = "06 39 98 00 43", identifiant = "cadre" },
  { id = "D0002", nom = "Infirmière (démo)", role = "infirmier", unite = "URG", telephone = "06 39 98 00 44", identifiant = "infirmiere" },
  { id = "D0003", nom = "Médecin (démo)", role = "medecin", unite = "URG", telephone = "06 39 98 00 45", identifiant = "medecin" },
  { id = "D0004", nom = "Pharmacien (démo)", role = "pharmacien", unite = "", telephone = "06 39 98 00 46", identifiant = "pharmacien" },
  { id = "D0005", nom = "Laboratoire (démo)", role = "laboratoire", unite = "", telephone = "06 39 98 00 47", identifiant = "labo" },
]

# diffusions non accusées : les cadres des unités sont prévenus, puis le crochet est lancé
[messagerie.escalade]
urgent = { cadre_apres_min = 10, crochet_apres_min = 20 }
important = { cadre_apres_min = 30, crochet_apres_min = 60 }
information = {}
"#;

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
