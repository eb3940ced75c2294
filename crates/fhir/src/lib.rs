//! Reads FHIR R4 JSON into ckisa domain facts. Pure: takes bytes, does no IO.
//!
//! # Entry point
//!
//! [`read`]`(bytes, origin) -> `[`Document`] accepts, with or without a UTF-8
//! byte-order mark:
//! - a single resource;
//! - a Bundle of any type (transaction, batch, collection, searchset,
//!   document, history...);
//! - NDJSON (bulk export): one resource per line, blank lines skipped, a bad
//!   line is a problem for that line only.
//!
//! It never fails as a whole and never panics: every entry that cannot be
//! used becomes a [`Problem`] at its location (`entry[12] (Observation/abc)`,
//! `ligne 3`) with a French reason, and the other entries are read
//! (edge case B16: no whole-bundle rejection). Resource types ckisa does not
//! map (Claim, ExplanationOfBenefit, Immunization, Provenance,
//! PractitionerRole...), and ServiceRequests and DocumentReferences that
//! are not downtime documentation (see below), are counted in
//! [`Document::skipped`], not reported as problems; so are Medication
//! resources, which only serve `medicationReference`, and GET/HEAD requests
//! of a transaction. DELETE entries are problems ("suppression non prise en
//! charge"): the deletion is not applied.
//!
//! # Mapping
//!
//! | FHIR | Fact |
//! |---|---|
//! | Patient | `PatientUpdated`: every field set (`Value` or `Null`), identifiers with INS detection by OID |
//! | Encounter | `StayUpdated` (+ `Discharged` when finished, or only `AdmissionCancelled` when cancelled / entered-in-error) |
//! | AllergyIntolerance, Condition, Procedure, CarePlan | their `*Recorded` facts |
//! | MedicationRequest / MedicationStatement | `MedicationRecorded` (kind `Order` / `Statement`) |
//! | Observation | `ObservationRecorded` (category from `vital-signs` / `laboratory`) |
//! | DiagnosticReport | `ReportRecorded` (short Base64 text notes decoded into the conclusion) |
//! | Practitioner, Organization, Location | `DirectoryEntry` |
//! | Appointment | `AppointmentRecorded` (patient participant required, `start` required) |
//! | NutritionOrder | `DietRecorded` (in force when active or on-hold) |
//! | MedicationAdministration | `Care(Administered)`: given, not given (`not-done`) or held (`on-hold`) |
//! | ServiceRequest, DocumentReference written by ckisa | `Care(LabRequested)`, `Care(Note)` |
//! | Observation, MedicationRequest written by ckisa | their fact under ckisa's id, as `Care(Entered)` |
//! | Patient `link` replaced-by | also `PatientsMerged` |
//!
//! Fact ids are `fhir:<Type>/<id>`, patient keys `fhir:Patient/<id>`,
//! stay keys `fhir:Encounter/<id>`, except for resources carrying a ckisa
//! id (`https://ckisa.fr/id/item`, `.../patient`, `.../encounter`: the
//! re-integration export of `ckisa-care`), which keep it, so that what the
//! node exported comes back as the same item. A subject named by identifier
//! (`Patient?identifier=sys|val` or a logical reference) is keyed as HL7 v2
//! keys that IPP (`ipp:<sys>|<val>`), a stay named so as its visit number
//! (`vn:<sys>|<val>`). `Encounter.class` is kept as its code (`IMP`, `AMB`,
//! `EMER`).
//!
//! References resolve within the document: `urn:uuid:` fullUrls (to the
//! entry's id, or the uuid when the resource has none), relative and
//! absolute literal references, contained `#id`. Conditional references
//! (`Practitioner?identifier=sys|val`) become a
//! [`ckisa_domain::ResourceRef`] carrying the identifier and the display
//! text, for the store to resolve. A clinical resource whose subject names
//! no patient is a problem for that entry only.
//!
//! Dates go through [`ckisa_domain::Moment::parse_iso`]: partial dates keep
//! their precision (B15) and a `date` stays a calendar date (B14). An
//! invalid date is a problem naming the element path; the entry is kept
//! without that element ([`Problem::dropped`] is false for such warnings).

#![deny(missing_docs)]

mod attachment;
mod error;
mod input;
mod map;
mod model;
mod reader;
mod resolve;

use std::collections::BTreeMap;

use ckisa_domain::Fact;

/// What one input yielded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// The `origin` given to [`read`] (a file name, a feed name).
    pub origin: String,
    /// Entries, resources or lines seen, whatever became of them.
    pub entries: usize,
    /// One item per mapped resource, in input order.
    pub items: Vec<Item>,
    /// Entries or elements that could not be used, in input order.
    pub problems: Vec<Problem>,
    /// Resources not mapped, counted by resource type (`Claim`,
    /// `Immunization`...) or by request (`requête GET`).
    pub skipped: BTreeMap<String, usize>,
}

impl Document {
    /// All facts of all items, in input order.
    pub fn facts(&self) -> impl Iterator<Item = &Fact> {
        self.items.iter().flat_map(|item| &item.facts)
    }
}

/// The facts one resource asserts.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// `Type/id`, e.g. `Patient/123` (the id is the fullUrl's uuid when the
    /// resource has none).
    pub fhir_id: String,
    /// Bundle entry index (from 0), NDJSON line number (from 1), or 0 for a
    /// single resource.
    pub line_or_entry: usize,
    /// What it asserts (two facts for a finished Encounter).
    pub facts: Vec<Fact>,
}

/// Something in the input ckisa could not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: `document`, `entry[12] (Observation/abc)`, `ligne 3`,
    /// `ligne 3, entry[0] (Patient/p)`.
    pub location: String,
    /// Why, in French.
    pub reason: String,
    /// Whether the entry was dropped (`true`), or read without the faulty
    /// element (`false`: an invalid date, a dangling reference), in which
    /// case its item is in [`Document::items`] too.
    pub dropped: bool,
}

/// Reads FHIR R4 JSON (resource, Bundle or NDJSON) into facts.
///
/// `origin` names the input in the returned [`Document`]; it is not used to
/// guess the format.
pub fn read(bytes: &[u8], origin: &str) -> Document {
    let mut doc = Document {
        origin: origin.to_owned(),
        ..Document::default()
    };
    reader::read_into(bytes, &mut doc);
    doc
}
