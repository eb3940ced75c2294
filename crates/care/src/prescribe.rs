//! The checks run before a physician signs a downtime prescription: the
//! patient's allergies and the prescriptions already active, and the
//! validation of the prescription form.
//!
//! Matching is word-level on text folded to lower case without accents
//! (`Pénicilline` matches `PENICILLINE`), plus ATC code prefixes when both
//! sides carry an ATC code (an allergy coded `J01CA` covers `J01CA04`), plus
//! a small table of French drug classes and brand names (below). It warns;
//! it never decides: the prescriber reads the warnings and signs or not.
//!
//! Classes (allergy word -> substances it covers; cross-reactions are a
//! caution, not a contraindication):
//! - pénicillines: amoxicilline, ampicilline, pipéracilline, ticarcilline,
//!   oxacilline, cloxacilline, benzylpénicilline, phénoxyméthylpénicilline,
//!   témocilline, mecillinam; caution: céphalosporines, carbapénèmes;
//! - céphalosporines: céfalexine, céfazoline, céfuroxime, céfotaxime,
//!   ceftriaxone, ceftazidime, céfépime, céfixime, cefpodoxime;
//! - aspirine: acide acétylsalicylique, acétylsalicylate de lysine;
//!   caution: the AINS;
//! - AINS: ibuprofène, kétoprofène, diclofénac, naproxène, flurbiprofène,
//!   indométacine, piroxicam, méloxicam, célécoxib, étoricoxib, acide
//!   méfénamique, kétorolac, aspirine;
//! - sulfamides: sulfaméthoxazole, sulfadiazine, sulfasalazine;
//! - iode / produits de contraste iodés: povidone iodée, iohexol,
//!   iopamidol, ioméprol, iodixanol, ioversol, iobitridol, lugol;
//!   caution: amiodarone;
//! - morphine / opiacés: morphine, codéine, oxycodone, hydromorphone,
//!   tramadol (caution);
//! - latex, food and environment: no drug class (a word present in the drug
//!   text still matches: `huile d'arachide`).

use std::fmt;

use ckisa_domain::{Allergy, Coded, Medication, RecordStatus};
use jiff::tz::TimeZone;

use crate::fold::{fold, words};
use crate::mar::Schedule;

/// How serious a warning is, mildest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing (same therapeutic class).
    Info,
    /// To weigh (cross-reaction, duplicate).
    Caution,
    /// Contraindicated unless the prescriber knows better (the allergen
    /// itself or its class).
    Contraindication,
}

impl Severity {
    /// French label.
    pub fn label_fr(self) -> &'static str {
        match self {
            Severity::Info => "information",
            Severity::Caution => "précaution",
            Severity::Contraindication => "contre-indication",
        }
    }
}

/// What a warning is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// An allergy ([`Allergy::id`]).
    Allergy(String),
    /// An active prescription ([`Medication::id`]).
    Prescription(String),
}

/// One warning shown before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// How serious.
    pub severity: Severity,
    /// The allergy or prescription it names.
    pub subject: Subject,
    /// French sentence naming the allergy or prescription.
    pub message: String,
}

/// Checks a drug about to be prescribed against the patient's allergies
/// (active ones) and active prescriptions. Warnings come most serious
/// first.
pub fn check(drug: &Coded, allergies: &[Allergy], current: &[Medication]) -> Vec<Warning> {
    let drug_profile = Profile::of(drug);
    let mut warnings = Vec::new();
    for allergy in allergies {
        if allergy.status != RecordStatus::Active {
            continue;
        }
        if let Some(warning) = allergy_warning(drug, &drug_profile, allergy) {
            warnings.push(warning);
        }
    }
    for medication in current {
        if medication.status != RecordStatus::Active {
            continue;
        }
        if let Some(warning) = duplicate_warning(drug, &drug_profile, medication) {
            warnings.push(warning);
        }
    }
    warnings.sort_by_key(|w| std::cmp::Reverse(w.severity));
    warnings
}

/// What a drug text is made of: its folded words and the substances it
/// names (brand names resolved).
struct Profile {
    words: Vec<String>,
    substances: Vec<&'static str>,
}

impl Profile {
    fn of(coded: &Coded) -> Profile {
        let folded = fold(&coded.text);
        let words: Vec<String> = words(&folded).map(str::to_owned).collect();
        let mut substances: Vec<&'static str> = Vec::new();
        for word in &words {
            let stem = singular(word);
            if let Some(&(_, substance)) = BRANDS.iter().find(|(brand, _)| *brand == stem) {
                substances.push(substance);
            } else if let Some(&known) = SUBSTANCES.iter().find(|s| **s == stem) {
                substances.push(known);
            }
        }
        if folded.contains("acide acetylsalicylique") || folded.contains("acetylsalicylate") {
            substances.push("aspirine");
        }
        substances.sort_unstable();
        substances.dedup();
        Profile { words, substances }
    }

    /// Its substances and its words (singular), to look class members up.
    fn terms(&self) -> Vec<&str> {
        let mut terms: Vec<&str> = self.substances.clone();
        terms.extend(self.words.iter().map(|w| singular(w)));
        terms
    }

    fn has_word(&self, word: &str) -> bool {
        self.words.iter().any(|w| singular(w) == word)
    }

    /// The first substantial word, when no known substance is named.
    fn main_word(&self) -> Option<&str> {
        self.words
            .iter()
            .map(String::as_str)
            .find(|w| w.len() >= 4 && w.chars().all(char::is_alphabetic))
    }
}

/// A drug class: the allergy words that name it, its substances (a
/// contraindication) and those that cross-react (a caution).
struct Class {
    names: &'static [&'static str],
    label: &'static str,
    members: &'static [&'static str],
    cross: &'static [&'static str],
}

const CEPHALOSPORINS: &[&str] = &[
    "cefalexine",
    "cefazoline",
    "cefuroxime",
    "cefotaxime",
    "ceftriaxone",
    "ceftazidime",
    "cefepime",
    "cefixime",
    "cefpodoxime",
    "cefoxitine",
];

const NSAIDS: &[&str] = &[
    "ibuprofene",
    "ketoprofene",
    "diclofenac",
    "naproxene",
    "flurbiprofene",
    "indometacine",
    "piroxicam",
    "meloxicam",
    "celecoxib",
    "etoricoxib",
    "mefenamique",
    "ketorolac",
    "aspirine",
];

const CLASSES: &[Class] = &[
    Class {
        names: &["penicilline", "penicillin", "betalactamine"],
        label: "pénicillines",
        members: &[
            "amoxicilline",
            "ampicilline",
            "piperacilline",
            "ticarcilline",
            "oxacilline",
            "cloxacilline",
            "benzylpenicilline",
            "phenoxymethylpenicilline",
            "temocilline",
            "mecillinam",
            "penicilline",
            "extencilline",
        ],
        cross: &[
            "cefalexine",
            "cefazoline",
            "cefuroxime",
            "cefotaxime",
            "ceftriaxone",
            "ceftazidime",
            "cefepime",
            "cefixime",
            "cefpodoxime",
            "cefoxitine",
            "imipeneme",
            "meropeneme",
            "ertapeneme",
        ],
    },
    Class {
        names: &["cephalosporine", "cephalosporin"],
        label: "céphalosporines",
        members: CEPHALOSPORINS,
        cross: &[],
    },
    Class {
        names: &["aspirine", "aspirin", "salicyle", "salicylate"],
        label: "aspirine",
        members: &["aspirine"],
        cross: NSAIDS,
    },
    Class {
        names: &["ains", "nsaid", "nsaids", "anti-inflammatoire"],
        label: "AINS",
        members: NSAIDS,
        cross: &[],
    },
    Class {
        names: &["sulfamide", "sulfonamide", "sulfa"],
        label: "sulfamides",
        members: &["sulfamethoxazole", "sulfadiazine", "sulfasalazine"],
        cross: &[],
    },
    Class {
        names: &["iode", "iodine", "iodes", "contraste"],
        label: "iode",
        members: &[
            "povidone",
            "iohexol",
            "iopamidol",
            "iomeprol",
            "iodixanol",
            "ioversol",
            "iobitridol",
            "lugol",
        ],
        cross: &["amiodarone"],
    },
    Class {
        names: &["morphine", "opiace", "opioide", "morphinique"],
        label: "morphiniques",
        members: &["morphine", "codeine", "oxycodone", "hydromorphone"],
        cross: &["tramadol", "fentanyl", "sufentanil"],
    },
];

/// Brand names (folded) to the substance they contain.
const BRANDS: &[(&str, &str)] = &[
    ("doliprane", "paracetamol"),
    ("dafalgan", "paracetamol"),
    ("efferalgan", "paracetamol"),
    ("perfalgan", "paracetamol"),
    ("augmentin", "amoxicilline"),
    ("clamoxyl", "amoxicilline"),
    ("tazocilline", "piperacilline"),
    ("rocephine", "ceftriaxone"),
    ("bactrim", "sulfamethoxazole"),
    ("cotrimoxazole", "sulfamethoxazole"),
    ("kardegic", "aspirine"),
    ("aspegic", "aspirine"),
    ("advil", "ibuprofene"),
    ("nurofen", "ibuprofene"),
    ("profenid", "ketoprofene"),
    ("voltarene", "diclofenac"),
    ("lovenox", "enoxaparine"),
    ("levothyrox", "levothyroxine"),
    ("lasilix", "furosemide"),
    ("eliquis", "apixaban"),
    ("xarelto", "rivaroxaban"),
    ("topalgic", "tramadol"),
    ("contramal", "tramadol"),
    ("skenan", "morphine"),
    ("actiskenan", "morphine"),
    ("oramorph", "morphine"),
    ("sevredol", "morphine"),
    ("moscontin", "morphine"),
    ("oxynorm", "oxycodone"),
    ("mopral", "omeprazole"),
    ("inexium", "esomeprazole"),
    ("inipomp", "pantoprazole"),
    ("cordarone", "amiodarone"),
    ("betadine", "povidone"),
    ("lantus", "glargine"),
    ("toujeo", "glargine"),
    ("novorapid", "asparte"),
    ("humalog", "lispro"),
    ("levemir", "detemir"),
    ("hypnovel", "midazolam"),
    ("tahor", "atorvastatine"),
];

/// Substances recognised in drug texts for duplicates (besides every class
/// member above).
const SUBSTANCES: &[&str] = &[
    "paracetamol",
    "amoxicilline",
    "ampicilline",
    "piperacilline",
    "ceftriaxone",
    "cefotaxime",
    "sulfamethoxazole",
    "aspirine",
    "ibuprofene",
    "ketoprofene",
    "diclofenac",
    "enoxaparine",
    "heparine",
    "calciparine",
    "tinzaparine",
    "levothyroxine",
    "furosemide",
    "apixaban",
    "rivaroxaban",
    "tramadol",
    "morphine",
    "oxycodone",
    "omeprazole",
    "esomeprazole",
    "pantoprazole",
    "amiodarone",
    "glargine",
    "asparte",
    "lispro",
    "detemir",
    "degludec",
    "midazolam",
    "atorvastatine",
    "bisoprolol",
    "ramipril",
    "amlodipine",
    "metformine",
    "noradrenaline",
    "potassium",
    "glucose",
    "sodium",
];

/// Words of an allergy or drug text that name no substance: an allergy to
/// « acide acétylsalicylique » must not match « acide clavulanique ».
const NOT_SUBSTANCES: &[&str] = &[
    "acide",
    "sodium",
    "sodique",
    "potassique",
    "chlorhydrate",
    "chlorure",
    "sulfate",
    "produit",
    "solution",
    "injectable",
    "comprime",
    "gelule",
    "allergie",
    "intolerance",
    "famille",
    "classe",
    "anti",
    "steroidien",
    "inflammatoire",
    "medicament",
];

/// `penicillines` -> `penicilline`, `cephalosporines` -> `cephalosporine`.
fn singular(word: &str) -> &str {
    if word.len() > 4 {
        word.strip_suffix('s').unwrap_or(word)
    } else {
        word
    }
}

fn is_atc(coded: &Coded) -> bool {
    let system_ok = coded.system.as_deref().is_none_or(|s| {
        let s = fold(s);
        s == "atc" || s.contains("whocc") || s.contains("atc")
    });
    let code_ok = coded.code.as_deref().is_some_and(|c| {
        let b = c.trim().as_bytes();
        b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1].is_ascii_digit() && b[2].is_ascii_digit()
    });
    system_ok && code_ok
}

fn allergy_warning(drug: &Coded, profile: &Profile, allergy: &Allergy) -> Option<Warning> {
    let substance = &allergy.substance;
    let name = substance.text.trim();
    let folded = fold(name);
    let allergen = Profile::of(substance);
    let mut allergy_words: Vec<&str> = words(&folded).map(singular).collect();
    allergy_words.extend(allergen.substances.iter().copied());
    let subject = Subject::Allergy(allergy.id.clone());
    let drug_name = drug.text.trim();

    // The allergen's ATC code covers the drug's (class prefix or same code).
    if is_atc(substance)
        && is_atc(drug)
        && let (Some(allergen), Some(code)) = (substance.code.as_deref(), drug.code.as_deref())
        && code.trim().starts_with(allergen.trim())
    {
        return Some(contraindication(subject, drug_name, name, allergy));
    }

    // The allergen is named in the drug, or is one of its substances.
    let named = allergy_words
        .iter()
        .filter(|w| w.len() >= 4 && !NOT_SUBSTANCES.contains(w))
        .any(|w| profile.has_word(w) || profile.substances.contains(w));
    let shared = allergen
        .substances
        .iter()
        .any(|s| profile.substances.contains(s));
    if named || shared {
        return Some(contraindication(subject, drug_name, name, allergy));
    }

    // A class the allergy names contains, or cross-reacts with, the drug.
    let terms = profile.terms();
    for class in CLASSES {
        if !allergy_words.iter().any(|w| class.names.contains(w)) {
            continue;
        }
        let hit = |list: &[&str]| terms.iter().find(|t| list.contains(t)).copied();
        if let Some(member) = hit(class.members) {
            return Some(Warning {
                severity: Severity::Contraindication,
                subject,
                message: format!(
                    "{drug_name} contient {member}, de la classe des {} : allergie connue « {name} »{}",
                    class.label,
                    reaction_suffix(allergy)
                ),
            });
        }
        if let Some(member) = hit(class.cross) {
            return Some(Warning {
                severity: Severity::Caution,
                subject,
                message: format!(
                    "{drug_name} ({member}) : réaction croisée possible avec l'allergie « {name} »{}",
                    reaction_suffix(allergy)
                ),
            });
        }
    }
    None
}

fn contraindication(subject: Subject, drug: &str, name: &str, allergy: &Allergy) -> Warning {
    Warning {
        severity: Severity::Contraindication,
        subject,
        message: format!(
            "{drug} : allergie connue « {name} »{}",
            reaction_suffix(allergy)
        ),
    }
}

/// ` (réaction : choc anaphylactique ; sévérité : high)`.
fn reaction_suffix(allergy: &Allergy) -> String {
    let mut parts = Vec::new();
    if !allergy.reactions.is_empty() {
        parts.push(format!("réaction : {}", allergy.reactions.join(", ")));
    }
    if let Some(severity) = allergy.severity.as_deref().filter(|s| !s.trim().is_empty()) {
        parts.push(format!("sévérité : {}", severity.trim()));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(" ; "))
    }
}

fn duplicate_warning(drug: &Coded, profile: &Profile, current: &Medication) -> Option<Warning> {
    let other = Profile::of(&current.drug);
    let subject = Subject::Prescription(current.id.clone());
    let name = drug.text.trim();
    let other_name = current.drug.text.trim();
    let described = describe(current);

    let codes = (drug.code.as_deref(), current.drug.code.as_deref());
    let same_code =
        matches!(codes, (Some(a), Some(b)) if a.trim() == b.trim() && !a.trim().is_empty());
    let shared = profile
        .substances
        .iter()
        .find(|s| other.substances.contains(s));
    let same_main = profile.substances.is_empty()
        && other.substances.is_empty()
        && profile.main_word().is_some()
        && profile.main_word() == other.main_word();
    if same_code || shared.is_some() || same_main {
        let what = shared
            .map(|s| s.to_string())
            .or_else(|| profile.main_word().map(str::to_owned))
            .unwrap_or_else(|| name.to_owned());
        return Some(Warning {
            severity: Severity::Caution,
            subject,
            message: format!("doublon : {what} est déjà prescrit ({other_name}{described})"),
        });
    }

    // Same ATC chemical subgroup (five characters): same class.
    if is_atc(drug)
        && is_atc(&current.drug)
        && let (Some(a), Some(b)) = codes
        && a.trim().len() >= 5
        && b.trim().len() >= 5
        && a.trim()[..5] == b.trim()[..5]
    {
        return Some(Warning {
            severity: Severity::Info,
            subject,
            message: format!(
                "même classe thérapeutique que {other_name}{described}, déjà prescrit"
            ),
        });
    }
    None
}

/// `, 1 g PO toutes les 6 heures`.
fn describe(medication: &Medication) -> String {
    let parts: Vec<&str> = [
        medication.dose.as_deref(),
        medication.route.as_deref(),
        medication.frequency.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .filter(|s| !s.is_empty())
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(", {}", parts.join(" "))
    }
}

// ---- The prescription form -----------------------------------------------

/// The prescription form as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrescriptionForm {
    /// Drug (name, strength).
    pub drug: String,
    /// Dose with its unit (`1 g`, `500 mg`, `2 cp`).
    pub dose: String,
    /// Route (`PO`, `IV`, `SC`...).
    pub route: String,
    /// Frequency, readable by [`Schedule::parse`].
    pub frequency: String,
    /// Duration (`5 j`, `7 jours`, `48 h`), empty for « jusqu'à nouvel
    /// ordre ».
    pub duration: String,
    /// Comments.
    pub comment: String,
}

/// A form field, for placing an error next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    /// Drug.
    Drug,
    /// Dose.
    Dose,
    /// Route.
    Route,
    /// Frequency.
    Frequency,
    /// Duration.
    Duration,
}

/// One error of the form, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    /// The field.
    pub field: FormField,
    /// What is wrong, in French.
    pub message: String,
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A prescription duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duration {
    /// Hours.
    Hours(u32),
    /// Calendar days (the same clock time `n` days later, DST included).
    Days(u32),
}

/// A validated prescription form.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidPrescription {
    /// Drug as typed, trimmed.
    pub drug: String,
    /// Dose, trimmed.
    pub dose: String,
    /// Route, normalised to its usual code (`PO`, `IV`...).
    pub route: String,
    /// Frequency as typed, trimmed.
    pub frequency: String,
    /// Its schedule (never unreadable).
    pub schedule: Schedule,
    /// Duration, if given.
    pub duration: Option<Duration>,
    /// End, ms since the Unix epoch, if a duration was given.
    pub end_ms: Option<i64>,
    /// Comment, if any.
    pub comment: Option<String>,
}

/// Reads `5 j`, `7 jours`, `48 h`, `2 semaines`, `1 sem`, `3j`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let folded = fold(text.trim());
    let digits = folded.bytes().take_while(u8::is_ascii_digit).count();
    let refuse = || {
        format!(
            "durée « {} » non reconnue (exemples : 5 j, 7 jours, 48 h)",
            text.trim()
        )
    };
    if digits == 0 {
        return Err(refuse());
    }
    let count: u32 = folded[..digits].parse().map_err(|_| refuse())?;
    if count == 0 {
        return Err(format!("durée « {} » nulle", text.trim()));
    }
    let duration = match folded[digits..].trim() {
        "h" | "heure" | "heures" => Duration::Hours(count),
        "j" | "jour" | "jours" | "jr" | "jrs" => Duration::Days(count),
        "sem" | "semaine" | "semaines" => Duration::Days(count.checked_mul(7).ok_or_else(refuse)?),
        _ => return Err(refuse()),
    };
    let days = match duration {
        Duration::Hours(h) => h.div_ceil(24),
        Duration::Days(d) => d,
    };
    if days > 366 {
        return Err(format!(
            "durée « {} » trop longue (un an au plus)",
            text.trim()
        ));
    }
    Ok(duration)
}

/// The end of a prescription starting at `start_ms` and lasting `duration`.
pub fn end_of(start_ms: i64, duration: Duration, zone: &TimeZone) -> Option<i64> {
    let start = jiff::Timestamp::from_millisecond(start_ms).ok()?;
    let end = match duration {
        Duration::Hours(hours) => start
            .checked_add(jiff::Span::new().hours(i64::from(hours)))
            .ok()?,
        Duration::Days(days) => start
            .to_zoned(zone.clone())
            .checked_add(jiff::Span::new().days(i64::from(days)))
            .ok()?
            .timestamp(),
    };
    Some(end.as_millisecond())
}

/// Routes accepted on the form: what is typed (folded) and its code.
const ROUTES: &[(&str, &str)] = &[
    ("po", "PO"),
    ("per os", "PO"),
    ("orale", "PO"),
    ("voie orale", "PO"),
    ("os", "PO"),
    ("iv", "IV"),
    ("ivd", "IV"),
    ("ivl", "IV"),
    ("ivse", "IV"),
    ("intraveineuse", "IV"),
    ("sc", "SC"),
    ("sous-cutanee", "SC"),
    ("sous cutanee", "SC"),
    ("im", "IM"),
    ("intramusculaire", "IM"),
    ("sl", "SL"),
    ("sublinguale", "SL"),
    ("ih", "IH"),
    ("inhalation", "IH"),
    ("inhale", "IH"),
    ("nebulisation", "IH"),
    ("aerosol", "IH"),
    ("rectale", "PR"),
    ("intrarectale", "PR"),
    ("pr", "PR"),
    ("td", "TD"),
    ("transdermique", "TD"),
    ("cutanee", "TOP"),
    ("locale", "TOP"),
    ("top", "TOP"),
    ("sng", "NG"),
    ("sonde nasogastrique", "NG"),
    ("ng", "NG"),
    ("collyre", "OPH"),
    ("ophtalmique", "OPH"),
];

/// Units a dose may be written with (folded).
const DOSE_UNITS: &[&str] = &[
    "mg",
    "g",
    "ug",
    "mcg",
    "ng",
    "ml",
    "l",
    "ui",
    "u",
    "mmol",
    "meq",
    "cp",
    "comprime",
    "comprimes",
    "gelule",
    "gelules",
    "sachet",
    "sachets",
    "goutte",
    "gouttes",
    "bouffee",
    "bouffees",
    "amp",
    "ampoule",
    "ampoules",
    "suppositoire",
    "patch",
    "dose",
    "doses",
    "mg/h",
    "ml/h",
    "ug/h",
    "ui/h",
    "mg/kg",
    "application",
    "unite",
    "unites",
    "flacon",
    "seringue",
];

/// Validates the form; every error is reported at once, with its field.
/// `start_ms` is when the prescription starts (the end is computed from
/// it).
pub fn validate(
    form: &PrescriptionForm,
    start_ms: i64,
    zone: &TimeZone,
) -> Result<ValidPrescription, Vec<FormError>> {
    let mut errors = Vec::new();
    let mut error = |field, message: String| errors.push(FormError { field, message });

    let drug = form.drug.trim();
    if drug.is_empty() {
        error(FormField::Drug, String::from("médicament manquant"));
    } else if !drug.chars().any(char::is_alphabetic) {
        error(
            FormField::Drug,
            format!("médicament « {drug} » : un nom est attendu"),
        );
    }

    let dose = form.dose.trim();
    if dose.is_empty() {
        error(
            FormField::Dose,
            String::from("dose manquante (exemple : 1 g)"),
        );
    } else if let Err(message) = check_dose(dose) {
        error(FormField::Dose, message);
    }

    let route_text = form.route.trim();
    let route = ROUTES
        .iter()
        .find(|(typed, _)| *typed == fold(route_text))
        .map(|(_, code)| (*code).to_owned());
    if route_text.is_empty() {
        error(
            FormField::Route,
            String::from("voie d'administration manquante (exemple : PO, IV, SC)"),
        );
    } else if route.is_none() {
        error(
            FormField::Route,
            format!(
                "voie « {route_text} » non reconnue (exemples : PO, IV, SC, IM, SL, inhalation)"
            ),
        );
    }

    let frequency = form.frequency.trim();
    let schedule = Schedule::parse(frequency);
    if frequency.is_empty() {
        error(
            FormField::Frequency,
            String::from(
                "fréquence manquante (exemples : 1-0-1, 3 fois par jour, toutes les 8 h, si besoin)",
            ),
        );
    } else if schedule.is_unreadable() {
        error(
            FormField::Frequency,
            format!(
                "fréquence « {frequency} » non reconnue (exemples : 1-0-1, 3 fois par jour, toutes les 8 h, si besoin)"
            ),
        );
    }

    let duration_text = form.duration.trim();
    let duration = if duration_text.is_empty() {
        None
    } else {
        match parse_duration(duration_text) {
            Ok(duration) => Some(duration),
            Err(message) => {
                error(FormField::Duration, message);
                None
            }
        }
    };
    let end_ms = duration.and_then(|d| end_of(start_ms, d, zone));
    if duration.is_some() && end_ms.is_none() {
        error(
            FormField::Duration,
            String::from("date de fin impossible à calculer"),
        );
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    let comment = form.comment.trim();
    Ok(ValidPrescription {
        drug: drug.to_owned(),
        dose: dose.to_owned(),
        route: route.unwrap_or_default(),
        frequency: frequency.to_owned(),
        schedule,
        duration,
        end_ms,
        comment: (!comment.is_empty()).then(|| comment.to_owned()),
    })
}

/// A dose is a positive number and a known unit: `1 g`, `0,5 mg`, `4000
/// UI`, `1/2 cp`, `2 mg/h`.
fn check_dose(dose: &str) -> Result<(), String> {
    let folded = fold(dose);
    let split = folded
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.' || c == '/' || c == ' '))
        .unwrap_or(folded.len());
    let (amount, unit) = folded.split_at(split);
    let amount = amount.trim();
    let unit = unit.trim();
    let value = match amount.split_once('/') {
        Some((n, d)) => crate::fold::number(n)
            .zip(crate::fold::number(d))
            .and_then(|(n, d)| (d != 0.0).then(|| n / d)),
        None => crate::fold::number(amount),
    };
    let Some(value) = value else {
        return Err(format!(
            "dose « {dose} » : une quantité et une unité sont attendues (exemple : 1 g, 500 mg)"
        ));
    };
    if value <= 0.0 {
        return Err(format!("dose « {dose} » : la quantité doit être positive"));
    }
    if unit.is_empty() {
        return Err(format!(
            "dose « {dose} » : unité manquante (mg, g, mL, UI, cp...)"
        ));
    }
    if !DOSE_UNITS.contains(&unit) {
        return Err(format!(
            "dose « {dose} » : unité « {unit} » non reconnue (mg, g, µg, mL, UI, cp, sachet, goutte, mg/h...)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
