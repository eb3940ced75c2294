//! Who the exported items are about: patient identities (typed in the
//! capsule, else read from the store once per patient) and how patient and
//! stay keys are written for the HIS.

use std::collections::HashMap;

use ckisa_domain::{
    CareFact, EncounterKey, Fact, Identifier, Moment, PatientKey, PatientUpdate, Sex,
};
use ckisa_store::{StayView, Store, StoreError};

use crate::book::CareBook;

/// A patient as the export writes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Person {
    pub(super) family: Option<String>,
    pub(super) given: Option<String>,
    pub(super) birth_name: Option<String>,
    pub(super) birth_date: Option<Moment>,
    pub(super) sex: Option<Sex>,
    /// Identifiers besides the key (INS, other IPPs...).
    pub(super) identifiers: Vec<Identifier>,
    pub(super) phones: Vec<String>,
}

impl Person {
    /// What a typed identity says; fields it leaves out or clears are empty.
    pub(super) fn from_update(update: &PatientUpdate) -> Person {
        Person {
            family: update.family.value().cloned(),
            given: update.given.value().cloned(),
            birth_name: update.birth_name.value().cloned(),
            birth_date: update.birth_date.value().copied(),
            sex: update.sex.value().copied(),
            identifiers: update.identifiers.clone(),
            phones: update.phones.value().cloned().unwrap_or_default(),
        }
    }

    /// `Family Given`, or the key when no name is known.
    pub(super) fn display(&self, key: &PatientKey) -> String {
        let name: Vec<&str> = [self.family.as_deref(), self.given.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if name.is_empty() {
            key.to_string()
        } else {
            name.join(" ")
        }
    }
}

/// Patients' identities and stays, read once each.
pub(super) struct People<'a> {
    store: &'a dyn Store,
    /// The latest identity typed in the capsule for each patient key.
    typed: HashMap<&'a PatientKey, &'a PatientUpdate>,
    /// The patient class of each stay admitted in the capsule.
    classes: HashMap<&'a EncounterKey, &'a str>,
    people: HashMap<PatientKey, Person>,
    stays: HashMap<PatientKey, Option<StayView>>,
}

impl<'a> People<'a> {
    pub(super) fn new(book: &'a CareBook, store: &'a dyn Store) -> People<'a> {
        let mut typed = HashMap::new();
        let mut classes = HashMap::new();
        for entry in book.entries().iter().filter(|e| e.typed) {
            let CareFact::Entered(inner) = &entry.fact else {
                continue;
            };
            match inner.as_ref() {
                Fact::PatientUpdated(update) => {
                    typed.insert(&update.patient, update);
                }
                Fact::StayUpdated(stay) => {
                    if let Some(class) = &stay.class {
                        classes.insert(&stay.encounter, class.as_str());
                    }
                }
                _ => {}
            }
        }
        People {
            store,
            typed,
            classes,
            people: HashMap::new(),
            stays: HashMap::new(),
        }
    }

    /// The identity of `key`: the typed one if any, else the store's; an
    /// unknown patient has no name.
    pub(super) fn person(&mut self, key: &PatientKey) -> Result<Person, StoreError> {
        if let Some(update) = self.typed.get(key) {
            return Ok(Person::from_update(update));
        }
        if let Some(person) = self.people.get(key) {
            return Ok(person.clone());
        }
        let chart = self.store.patient_chart(key)?;
        let person = match &chart {
            Some(chart) => {
                let identity = &chart.identity;
                Person {
                    family: identity.family.clone(),
                    given: identity.given.clone(),
                    birth_name: identity.birth_name.clone(),
                    birth_date: identity.birth_date,
                    sex: identity.sex,
                    identifiers: identity.identifiers.clone(),
                    phones: identity.phones.clone(),
                }
            }
            None => Person::default(),
        };
        self.stays
            .insert(key.clone(), chart.and_then(|chart| chart.stay));
        self.people.insert(key.clone(), person.clone());
        Ok(person)
    }

    /// The patient class of a stay: as typed at its admission, else as the
    /// store shows it while the patient is in house.
    pub(super) fn class(
        &mut self,
        key: &PatientKey,
        encounter: &EncounterKey,
    ) -> Result<Option<String>, StoreError> {
        if let Some(class) = self.classes.get(encounter) {
            return Ok(Some((*class).to_owned()));
        }
        Ok(self.stay(key, encounter)?.and_then(|stay| stay.class))
    }

    /// The current stay the store shows for `key`, if it is `encounter`.
    pub(super) fn stay(
        &mut self,
        key: &PatientKey,
        encounter: &EncounterKey,
    ) -> Result<Option<StayView>, StoreError> {
        if !self.stays.contains_key(key) {
            let chart = self.store.patient_chart(key)?;
            self.stays
                .insert(key.clone(), chart.and_then(|chart| chart.stay));
        }
        Ok(self
            .stays
            .get(key)
            .and_then(Option::as_ref)
            .filter(|stay| stay.encounter == encounter.as_str())
            .cloned())
    }
}

/// How a patient or stay key is written for the HIS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyForm<'k> {
    /// `ipp:<authority>|<value>` (patients), `vn:<authority>|<value>`
    /// (stays): an identifier of that assigning authority.
    Assigned { authority: &'k str, value: &'k str },
    /// `fhir:<Type>/<id>`: a resource of the HIS's FHIR server.
    Fhir { id: &'k str },
    /// Anything else: written as is under ckisa's own system.
    Own(&'k str),
}

/// The form of a patient key.
pub(super) fn patient_form(key: &PatientKey) -> KeyForm<'_> {
    key_form(key.as_str(), "ipp:", "fhir:Patient/")
}

/// The form of a stay key.
pub(super) fn encounter_form(key: &EncounterKey) -> KeyForm<'_> {
    key_form(key.as_str(), "vn:", "fhir:Encounter/")
}

fn key_form<'k>(key: &'k str, assigned: &str, fhir: &str) -> KeyForm<'k> {
    if let Some(rest) = key.strip_prefix(assigned)
        && let Some((authority, value)) = rest.split_once('|')
        && !authority.is_empty()
        && !value.is_empty()
    {
        return KeyForm::Assigned { authority, value };
    }
    if let Some(id) = key.strip_prefix(fhir)
        && !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return KeyForm::Fhir { id };
    }
    KeyForm::Own(key)
}

/// The placer order number an HL7 feed's prescription id was made from
/// (`hl7:<patient>|order|<authority>|<number>`, see the ingest crate's
/// `hl7map::ids`), so that a stop or a change names the HIS's own order.
pub(super) fn his_order_number(id: &str, patient: &PatientKey) -> Option<(String, String)> {
    let rest = id.strip_prefix(&format!("hl7:{patient}|order|"))?;
    let (authority, number) = split_escaped(rest)?;
    Some((unescape_part(authority), unescape_part(number)))
}

/// `a|b` split on the one unescaped `|` (parts never hold a raw one).
fn split_escaped(text: &str) -> Option<(&str, &str)> {
    let (left, right) = text.split_once('|')?;
    (!right.contains('|')).then_some((left, right))
}

/// Undoes the `\F\` and `\E\` of an id part.
fn unescape_part(part: &str) -> String {
    part.replace("\\F\\", "|").replace("\\E\\", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_in_their_three_forms() {
        let ipp = PatientKey::ipp("CKISA-PROVISOIRE", "99000001");
        assert_eq!(
            patient_form(&ipp),
            KeyForm::Assigned {
                authority: "CKISA-PROVISOIRE",
                value: "99000001"
            }
        );
        assert_eq!(
            patient_form(&PatientKey::fhir("p-1")),
            KeyForm::Fhir { id: "p-1" }
        );
        let odd = PatientKey("dt:1".into());
        assert_eq!(patient_form(&odd), KeyForm::Own("dt:1"));
        let stay = EncounterKey("vn:H|V1".into());
        assert_eq!(
            encounter_form(&stay),
            KeyForm::Assigned {
                authority: "H",
                value: "V1"
            }
        );
    }

    #[test]
    fn his_order_numbers_are_read_back_from_hl7_ids() {
        let patient = PatientKey::ipp("H", "P1");
        assert_eq!(
            his_order_number("hl7:ipp:H|P1|order|OE|1000", &patient),
            Some(("OE".into(), "1000".into()))
        );
        assert_eq!(
            his_order_number("hl7:ipp:H|P1|order|OE|A\\F\\B", &patient),
            Some(("OE".into(), "A|B".into()))
        );
        assert_eq!(his_order_number("rx-1", &patient), None);
        assert_eq!(
            his_order_number("hl7:ipp:H|P2|order|OE|1000", &patient),
            None
        );
    }
}
