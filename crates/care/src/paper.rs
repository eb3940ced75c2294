//! The paper fallback: a unit's pack of PDF reports, for the day the screens go dark too, and
//! the specimen label of a downtime lab request.
//!
//! A pack is one PDF per part, named in French after the unit and the moment its data is from
//! (`REA-recensement-2026-12-04-2340.pdf`):
//!
//! - `recensement`: the census, bed by bed, allergies in bold beside each name;
//! - `administrations`: one medication sheet per patient for the next 24 hours, planned times
//!   as a grid of boxes to tick and initial (from [`crate::mar::medication_sheet`]), doses
//!   already documented in the capsule written in;
//! - `plans-de-soins`: care plans and the latest vitals, one page per patient;
//! - `formulaires`: blank vitals and targeted-notes sheets, each with the patient's label;
//! - `etiquettes`: a sheet of 24 patient labels (70 × 37 mm) per patient, IPP as Code 128;
//! - `rendez-vous`: the unit's patients' appointments for the coming week, day by day;
//! - `regimes`: the rooms and diets, for the kitchen.
//!
//! Every page of every part says the moment its data is from ("Données du 04/12/2026 à 23:40
//! (Europe/Paris)"), and the first page when the HIS last sent anything: a pack printed during
//! a downtime shows how stale the picture is. Nothing here reads the clock or writes files:
//! `now_ms` comes from the caller, and the CLI writes the files.

mod forms;
#[cfg(test)]
mod tests;

use ckisa_domain::{Allergy, Coded, LabRequest, Moment, ObservationValue, PatientKey, Sex};
use ckisa_print::{BarcodeError, Code128, Document, Label, LabelFormat, TableError, labels_pdf};
use ckisa_store::{Identity, Occupant, PatientChart, Store, StoreError, UnitBoard};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

use crate::book::CareBook;
use crate::settings::Settings;

/// One PDF of a pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperFile {
    /// File name: `<unit>-<part>-<yyyy-mm-dd-hhmm>.pdf`, the unit code kept to letters,
    /// digits, `-` and `_`.
    pub name: String,
    /// The PDF bytes.
    pub pdf: Vec<u8>,
}

/// Why a pack or a label could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PaperError {
    /// The unit is not known to the node.
    #[error("unité inconnue : « {0} » (les codes des unités sont ceux de la configuration)")]
    UnknownUnit(String),
    /// `now_ms` is outside the calendar jiff knows.
    #[error("moment hors calendrier : {now_ms} ms depuis 1970")]
    BadClock {
        /// The value given.
        now_ms: i64,
    },
    /// A request id cannot be printed as a barcode.
    #[error("l'identifiant « {id} » ne peut pas être imprimé en code-barres")]
    Barcode {
        /// The id.
        id: String,
        /// Why.
        #[source]
        source: BarcodeError,
    },
    /// A table of the pack was refused by the layout (a bug: tables are built here).
    #[error("mise en page refusée")]
    Layout(#[from] TableError),
    /// The store could not be read.
    #[error("lecture des données du nœud impossible")]
    Store(#[from] StoreError),
}

/// The parts of a pack, in order, as they appear in file names.
pub const PARTS: [&str; 7] = [
    "recensement",
    "administrations",
    "plans-de-soins",
    "formulaires",
    "etiquettes",
    "rendez-vous",
    "regimes",
];

/// The pack of `unit` from what `store` and `book` hold at `now_ms`: one PDF per part of
/// [`PARTS`], in that order. Times are shown in `zone`; `settings` gives the shift hours of
/// the medication sheets.
pub fn unit_pack(
    store: &dyn Store,
    book: &CareBook,
    unit: &str,
    now_ms: i64,
    zone: &TimeZone,
    settings: &Settings,
) -> Result<Vec<PaperFile>, PaperError> {
    let board = store
        .unit_board(unit)?
        .ok_or_else(|| PaperError::UnknownUnit(unit.to_owned()))?;
    let as_of = zoned(now_ms, zone)?;
    let his_last_ms = store
        .feeds()?
        .iter()
        .filter_map(|f| f.last_received_ms)
        .max();
    let patients = unit_patients(store, &board)?;
    let pack = Pack {
        unit_code: board.unit.code.clone(),
        unit_name: board.unit.name.clone(),
        free_beds: free_beds(&board),
        as_of,
        now_ms,
        zone,
        settings,
        book,
        his_last_ms,
        patients,
    };

    let stamp = pack.as_of.strftime("%Y-%m-%d-%H%M").to_string();
    let code = safe_name(&pack.unit_code);
    let appointments = forms::appointments(store, &pack)?;
    let diets = forms::diets(store, &pack)?;
    let parts = [
        forms::census(&pack)?,
        forms::medication_sheets(&pack)?,
        forms::care_plans(&pack)?,
        forms::blank_forms(&pack)?,
        patient_labels(&pack),
        appointments,
        diets,
    ];
    Ok(PARTS
        .iter()
        .zip(parts)
        .map(|(part, pdf)| PaperFile {
            name: format!("{code}-{part}-{stamp}.pdf"),
            pdf,
        })
        .collect())
}

/// The specimen label of a lab request, on a 62 × 29 mm label: the patient's name, birth
/// date, sex and IPP, the request id as Code 128 (what the lab scans), the tests, the
/// specimen and when it was taken, and the moment the data is from.
pub fn specimen_label(
    request: &LabRequest,
    patient: &Identity,
    now_ms: i64,
    zone: &TimeZone,
) -> Result<Vec<u8>, PaperError> {
    let as_of = zoned(now_ms, zone)?;
    let code = Code128::new(&request.id).map_err(|source| PaperError::Barcode {
        id: request.id.clone(),
        source,
    })?;
    let mut title = full_name(patient.family.as_deref(), patient.given.as_deref());
    if request.urgent {
        title = format!("URGENT — {title}");
    }
    let tests: Vec<&str> = request.tests.iter().map(|t| t.text.as_str()).collect();
    let label = Label::new()
        .title(&title)
        .line(&identity_line(
            patient.birth_date.as_ref(),
            patient.sex,
            patient.ipp.as_deref(),
            zone,
        ))
        .barcode(code)
        .small(&format!("{} — {}", tests.join(", "), request.specimen))
        .small(&format!(
            "Prélevé le {} · unité {}",
            request.sampled_at.display_fr(zone),
            request.unit
        ));
    Ok(labels_pdf(
        &format!("Étiquette de prélèvement {}", request.id),
        &LabelFormat::ROLL_62X29,
        &[label],
        &as_of,
    ))
}

/// What every part of a pack is made from.
pub(crate) struct Pack<'a> {
    pub(crate) unit_code: String,
    pub(crate) unit_name: String,
    /// Free beds as `room / bed`.
    pub(crate) free_beds: Vec<String>,
    pub(crate) as_of: Zoned,
    pub(crate) now_ms: i64,
    pub(crate) zone: &'a TimeZone,
    pub(crate) settings: &'a Settings,
    pub(crate) book: &'a CareBook,
    /// When the HIS last sent anything, ms since the Unix epoch.
    pub(crate) his_last_ms: Option<i64>,
    /// Patients in bed order, then those without a bed.
    pub(crate) patients: Vec<Patient>,
}

/// One patient of the unit.
pub(crate) struct Patient {
    /// `room / bed`, or « sans lit ».
    pub(crate) place: String,
    /// Several stays in that bed: to check.
    pub(crate) shared_bed: bool,
    pub(crate) occupant: Occupant,
    /// The chart, when the store still has it.
    pub(crate) chart: Option<PatientChart>,
}

impl Pack<'_> {
    /// A document of the pack: the title, the unit and the HIS freshness under it, the moment
    /// the data is from on every page.
    pub(crate) fn document(&self, title: &str) -> Document {
        let mut document = Document::new(&format!("{title} — {}", self.unit_name));
        let freshness = match self.his_last_ms {
            Some(ms) => format!(
                "dernier message reçu du SIH le {}",
                self.wall(ms).unwrap_or_else(|| String::from("?"))
            ),
            None => String::from("aucun message reçu du SIH"),
        };
        document
            .subtitle(&format!(
                "Unité {} ({}) — {freshness}",
                self.unit_name, self.unit_code
            ))
            .footer(&format!(
                "{} — document de secours ckisa : à vérifier dès le retour du dossier patient",
                self.unit_code
            ))
            .data_as_of(&self.as_of)
            .created_at(&self.as_of);
        document
    }

    /// A node time as `dd/mm/yyyy hh:mm` in the site's zone.
    pub(crate) fn wall(&self, ms: i64) -> Option<String> {
        let at = Timestamp::from_millisecond(ms)
            .ok()?
            .to_zoned(self.zone.clone());
        Some(at.strftime("%d/%m/%Y %H:%M").to_string())
    }
}

impl Patient {
    pub(crate) fn key(&self) -> &PatientKey {
        &self.occupant.patient
    }

    fn identity(&self) -> Option<&Identity> {
        self.chart.as_ref().map(|chart| &chart.identity)
    }

    /// `FAMILY Given`.
    pub(crate) fn name(&self) -> String {
        match self.identity() {
            Some(identity) => full_name(identity.family.as_deref(), identity.given.as_deref()),
            None => full_name(
                self.occupant.family.as_deref(),
                self.occupant.given.as_deref(),
            ),
        }
    }

    pub(crate) fn birth_date(&self) -> Option<&Moment> {
        self.identity()
            .and_then(|identity| identity.birth_date.as_ref())
            .or(self.occupant.birth_date.as_ref())
    }

    pub(crate) fn sex(&self) -> Option<Sex> {
        self.identity()
            .and_then(|identity| identity.sex)
            .or(self.occupant.sex)
    }

    pub(crate) fn ipp(&self) -> Option<&str> {
        self.identity()
            .and_then(|identity| identity.ipp.as_deref())
            .or(self.occupant.ipp.as_deref())
    }

    pub(crate) fn allergies(&self) -> &[Allergy] {
        self.chart
            .as_ref()
            .map_or(&[], |chart| chart.allergies.as_slice())
    }

    /// The allergies as one text, or what is known when none is listed.
    pub(crate) fn allergy_text(&self) -> String {
        if self.chart.is_none() && self.occupant.allergies > 0 {
            return format!(
                "{} allergie(s) : détail indisponible, voir le dossier",
                self.occupant.allergies
            );
        }
        if self.allergies().is_empty() {
            return String::from("aucune allergie enregistrée");
        }
        let items: Vec<String> = self.allergies().iter().map(allergy_item).collect();
        items.join(" ; ")
    }

    /// The label of this patient: name, identity line, unit and bed, IPP as Code 128.
    pub(crate) fn label(&self, pack: &Pack<'_>) -> Label {
        let mut label = Label::new().title(&self.name()).line(&identity_line(
            self.birth_date(),
            self.sex(),
            self.ipp(),
            pack.zone,
        ));
        label = label.line(&format!("{} — {}", pack.unit_name, self.place_text()));
        match self.ipp().map(Code128::new) {
            Some(Ok(code)) => label.barcode(code),
            Some(Err(_)) => label.small("IPP non imprimable en code-barres"),
            None => label.small("IPP inconnu : pas de code-barres"),
        }
    }

    /// « lit 12 / 1 » or « sans lit ».
    pub(crate) fn place_text(&self) -> String {
        if self.place == NO_BED {
            self.place.clone()
        } else {
            format!("lit {}", self.place)
        }
    }
}

/// What a patient without a bed shows instead.
pub(crate) const NO_BED: &str = "sans lit";

/// The unit's patients with their charts, in bed order.
fn unit_patients(store: &dyn Store, board: &UnitBoard) -> Result<Vec<Patient>, StoreError> {
    let mut patients = Vec::new();
    for bed in &board.beds {
        let place = place(bed.room.as_deref(), bed.bed.as_deref());
        for occupant in &bed.occupants {
            patients.push(Patient {
                place: place.clone().unwrap_or_else(|| NO_BED.to_owned()),
                shared_bed: bed.occupants.len() > 1,
                occupant: occupant.clone(),
                chart: store.patient_chart(&occupant.patient)?,
            });
        }
    }
    Ok(patients)
}

fn free_beds(board: &UnitBoard) -> Vec<String> {
    board
        .beds
        .iter()
        .filter(|bed| bed.occupants.is_empty())
        .filter_map(|bed| place(bed.room.as_deref(), bed.bed.as_deref()))
        .collect()
}

/// One sheet of 24 labels per patient.
fn patient_labels(pack: &Pack<'_>) -> Vec<u8> {
    let format = LabelFormat::A4_3X8_70X37;
    let labels: Vec<Label> = pack
        .patients
        .iter()
        .flat_map(|patient| std::iter::repeat_n(patient.label(pack), format.per_page()))
        .collect();
    labels_pdf(
        &format!("Étiquettes patients — {}", pack.unit_name),
        &format,
        &labels,
        &pack.as_of,
    )
}

fn zoned(now_ms: i64, zone: &TimeZone) -> Result<Zoned, PaperError> {
    Timestamp::from_millisecond(now_ms)
        .map(|at| at.to_zoned(zone.clone()))
        .map_err(|_| PaperError::BadClock { now_ms })
}

/// A unit code as it appears in file and folder names: letters, digits, `-` and `_` kept,
/// anything else replaced by `_` (`~sans-unite` gives `_sans-unite`).
pub fn safe_name(code: &str) -> String {
    let safe: String = code
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.trim_matches('_').is_empty() {
        String::from("unite")
    } else {
        safe
    }
}

/// Trims a text; `None` when nothing is left.
pub(crate) fn clean(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// `FAMILY Given`, from whatever is known.
pub(crate) fn full_name(family: Option<&str>, given: Option<&str>) -> String {
    match (clean(family), clean(given)) {
        (Some(f), Some(g)) => format!("{} {g}", f.to_uppercase()),
        (Some(f), None) => f.to_uppercase(),
        (None, Some(g)) => g.to_owned(),
        (None, None) => String::from("?"),
    }
}

/// `room / bed`.
pub(crate) fn place(room: Option<&str>, bed: Option<&str>) -> Option<String> {
    match (clean(room), clean(bed)) {
        (Some(r), Some(b)) => Some(format!("{r} / {b}")),
        (Some(r), None) => Some(r.to_owned()),
        (None, Some(b)) => Some(b.to_owned()),
        (None, None) => None,
    }
}

/// « Né(e) le 03/02/1951 · F · IPP 00123456 ».
pub(crate) fn identity_line(
    birth: Option<&Moment>,
    sex: Option<Sex>,
    ipp: Option<&str>,
    zone: &TimeZone,
) -> String {
    let born = match (birth, sex) {
        (Some(date), Some(Sex::Female)) => format!("Née le {}", date.display_fr(zone)),
        (Some(date), Some(Sex::Male)) => format!("Né le {}", date.display_fr(zone)),
        (Some(date), _) => format!("Né(e) le {}", date.display_fr(zone)),
        (None, _) => String::from("Date de naissance inconnue"),
    };
    let mut parts = vec![born];
    if let Some(sex) = sex {
        parts.push(sex_letter(sex).to_owned());
    }
    parts.push(match clean(ipp) {
        Some(ipp) => format!("IPP {ipp}"),
        None => String::from("IPP inconnu"),
    });
    parts.join(" · ")
}

pub(crate) fn sex_letter(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "F",
        Sex::Male => "M",
        Sex::Other => "autre",
        Sex::Unknown => "?",
    }
}

/// « Pénicilline (urticaire ; sévère) ».
fn allergy_item(allergy: &Allergy) -> String {
    let mut details: Vec<&str> = allergy.reactions.iter().map(String::as_str).collect();
    if let Some(severity) = clean(allergy.severity.as_deref()) {
        details.push(severity);
    }
    if details.is_empty() {
        allergy.substance.text.clone()
    } else {
        format!("{} ({})", allergy.substance.text, details.join(", "))
    }
}

/// A number as French writes it (`38,5`), a unit as people read it (`°C`,
/// `mmHg`): the worklist is read by people.
pub(crate) fn quantity_text(value: &str, unit: Option<&str>) -> String {
    let number = if value
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        value.replace('.', ",")
    } else {
        value.to_owned()
    };
    let unit = match unit.map(str::trim) {
        None | Some("") => return number,
        Some("Cel") => "°C",
        Some("mm[Hg]") => "mmHg",
        Some("/min") => "/min",
        Some("{score}") => "",
        Some(other) => other,
    };
    if unit.is_empty() {
        number
    } else {
        format!("{number} {unit}")
    }
}

/// An observation's value as people read it: `38,2 °C`, `120 / 80 mmHg`.
pub(crate) fn value_text(value: &ObservationValue) -> String {
    match value {
        ObservationValue::Quantity { value, unit } => quantity_text(value, unit.as_deref()),
        ObservationValue::Text(text) => text.clone(),
        ObservationValue::Coded(coded) => coded_text(coded),
        ObservationValue::Document { size_bytes, .. } => format!("document ({size_bytes} octets)"),
        ObservationValue::Components(parts) => {
            let values: Vec<String> = parts.iter().map(|(_, part)| value_text(part)).collect();
            values.join(" / ")
        }
        ObservationValue::None => String::from("—"),
    }
}

pub(crate) fn coded_text(coded: &Coded) -> String {
    if coded.text.trim().is_empty() {
        coded.code.clone().unwrap_or_default()
    } else {
        coded.text.clone()
    }
}

#[cfg(test)]
mod value_tests {
    use super::*;

    #[test]
    fn quantities_read_as_french_people_write_them() {
        assert_eq!(quantity_text("38.5", Some("Cel")), "38,5 °C");
        assert_eq!(quantity_text("95", Some("mm[Hg]")), "95 mmHg");
        assert_eq!(quantity_text("3", Some("{score}")), "3");
        assert_eq!(quantity_text("<0.5", Some("mmol/L")), "<0.5 mmol/L");
        assert_eq!(quantity_text("7.1", None), "7,1");
    }
}
