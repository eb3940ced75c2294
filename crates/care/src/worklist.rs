//! The reconciliation worklist (rapprochement): every item documented
//! during a window, where it stands with the HIS, and the provisional
//! identities still waiting for their real record.
//!
//! An item's status is the care book's ([`CareBook::status`]): confirmed
//! as soon as a feed sends the same item back (its id travels in the
//! export, see [`crate::export`]), or marked by hand with a
//! [`ckisa_domain::CareFact::Reconciled`]; pending otherwise. Items are
//! named by the event that documented them, the id the marks refer to.

use std::collections::{BTreeMap, HashMap};

use ckisa_domain::{
    Actor, AdministrationOutcome, CareFact, EventId, Fact, PatientKey, Place, ReconciliationStatus,
};
use ckisa_store::{Store, StoreError};

use crate::book::{CareBook, Entry};
use crate::export::{ItemKind, Window, documented};
use crate::settings::Settings;

/// One documented item.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkItem {
    /// The event that documented it (what a mark names).
    pub event: EventId,
    /// Its kind.
    pub kind: ItemKind,
    /// The patient, as documented.
    pub patient: Option<PatientKey>,
    /// The record it shows under now (the real one once a provisional
    /// identity was matched).
    pub patient_now: Option<PatientKey>,
    /// `Family Given` of that record, when known.
    pub patient_name: Option<String>,
    /// Who documented it (account).
    pub actor: Actor,
    /// The name the caregiver gave (administrations, notes), else the
    /// account.
    pub by: String,
    /// When it was documented, ms since the Unix epoch.
    pub recorded_ms: i64,
    /// What it says, in French, in a few words.
    pub summary: String,
    /// Where it stands with the HIS.
    pub status: ReconciliationStatus,
    /// When it got that status (the echo or the mark), if not pending.
    pub status_ms: Option<i64>,
    /// The latest mark's note (a rejection's reason).
    pub note: Option<String>,
}

/// How many items stand where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Not confirmed yet.
    pub pending: usize,
    /// Taken by the HIS.
    pub confirmed: usize,
    /// Refused by the HIS.
    pub rejected: usize,
}

impl Counts {
    fn add(&mut self, status: ReconciliationStatus) {
        match status {
            ReconciliationStatus::Pending => self.pending += 1,
            ReconciliationStatus::Confirmed => self.confirmed += 1,
            ReconciliationStatus::Rejected => self.rejected += 1,
        }
    }

    /// All items.
    pub fn total(&self) -> usize {
        self.pending + self.confirmed + self.rejected
    }
}

/// A provisional identity not yet matched to a real record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionalIdentity {
    /// Its record.
    pub patient: PatientKey,
    /// Its provisional IPP.
    pub ipp: String,
    /// `Family Given`, when typed.
    pub name: Option<String>,
    /// The event that created it (its first typed identity).
    pub event: EventId,
    /// When, ms since the Unix epoch.
    pub created_ms: i64,
}

/// The worklist of a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Worklist {
    /// The window.
    pub window: Window,
    /// Items in the order they were documented.
    pub items: Vec<WorkItem>,
    /// Counts of all items.
    pub counts: Counts,
    /// Counts per kind, kinds with items only, in [`ItemKind::ALL`] order.
    pub by_kind: Vec<(ItemKind, Counts)>,
    /// Provisional identities (an IPP of the downtime range) of the whole
    /// log that were never merged into a real record, oldest first.
    pub unmatched: Vec<ProvisionalIdentity>,
}

impl Worklist {
    /// Items with this status.
    pub fn with_status(&self, status: ReconciliationStatus) -> impl Iterator<Item = &WorkItem> {
        self.items.iter().filter(move |i| i.status == status)
    }

    /// One item by its event.
    pub fn item(&self, event: EventId) -> Option<&WorkItem> {
        self.items.iter().find(|i| i.event == event)
    }
}

/// The worklist of the items documented within `window`.
pub fn worklist(
    book: &CareBook,
    window: Window,
    settings: &Settings,
    store: &dyn Store,
) -> Result<Worklist, StoreError> {
    let mut names = Names {
        store,
        known: HashMap::new(),
    };
    let mut items = Vec::new();
    let mut counts = Counts::default();
    let mut per_kind: BTreeMap<ItemKind, Counts> = BTreeMap::new();
    for entry in documented(book, window) {
        let item = work_item(book, entry, &mut names)?;
        counts.add(item.status);
        per_kind.entry(item.kind).or_default().add(item.status);
        items.push(item);
    }
    let unmatched = unmatched(book, settings);
    Ok(Worklist {
        window,
        items,
        counts,
        by_kind: per_kind.into_iter().collect(),
        unmatched,
    })
}

fn work_item(
    book: &CareBook,
    entry: &Entry,
    names: &mut Names<'_>,
) -> Result<WorkItem, StoreError> {
    let patient = entry.patient().cloned();
    let patient_now = patient.as_ref().map(|p| book.resolve(p));
    let patient_name = match &patient_now {
        Some(key) => names.name(book, key)?,
        None => None,
    };
    let status = book.status(entry.first_event);
    let last_mark = book.marks(entry.first_event).last();
    let status_ms = match status {
        ReconciliationStatus::Pending => None,
        _ => last_mark
            .map(|m| m.at_ms)
            .or_else(|| book.echoed_ms(entry.first_event)),
    };
    let by = match &entry.fact {
        CareFact::Administered(a) => a.by.clone(),
        CareFact::Note(n) => n.by.clone(),
        CareFact::Reviewed(r) => r.by.clone(),
        _ => account(&entry.actor),
    };
    Ok(WorkItem {
        event: entry.first_event,
        kind: ItemKind::of(&entry.fact),
        patient,
        patient_now,
        patient_name,
        actor: entry.actor.clone(),
        by,
        recorded_ms: entry.recorded_ms,
        summary: summary(&entry.fact, book),
        status,
        status_ms,
        note: last_mark.and_then(|m| m.mark.note.clone()),
    })
}

/// Provisional identities typed in the capsule and never merged away.
fn unmatched(book: &CareBook, settings: &Settings) -> Vec<ProvisionalIdentity> {
    let mut found: Vec<ProvisionalIdentity> = Vec::new();
    for entry in book.entries().iter().filter(|e| e.typed) {
        let CareFact::Entered(inner) = &entry.fact else {
            continue;
        };
        let Fact::PatientUpdated(update) = inner.as_ref() else {
            continue;
        };
        if found.iter().any(|f| f.patient == update.patient) {
            continue;
        }
        let Some(ipp) = provisional_ipp(&update.patient, &update.identifiers, settings) else {
            continue;
        };
        if book.resolve(&update.patient) != update.patient {
            continue;
        }
        let name: Vec<&str> = [update.family.value(), update.given.value()]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        found.push(ProvisionalIdentity {
            patient: update.patient.clone(),
            ipp,
            name: (!name.is_empty()).then(|| name.join(" ")),
            event: entry.first_event,
            created_ms: entry.recorded_ms,
        });
    }
    found
}

/// The downtime-range IPP of a record: its key's, else one of its
/// identifiers of the range's authority.
fn provisional_ipp(
    patient: &PatientKey,
    identifiers: &[ckisa_domain::Identifier],
    settings: &Settings,
) -> Option<String> {
    let range = &settings.ipp;
    let from_key = patient
        .as_str()
        .strip_prefix("ipp:")
        .and_then(|rest| rest.split_once('|'))
        .filter(|(authority, value)| *authority == range.authority && range.contains(value))
        .map(|(_, value)| value.to_owned());
    from_key.or_else(|| {
        identifiers
            .iter()
            .find(|i| {
                i.system.as_deref() == Some(range.authority.as_str()) && range.contains(&i.value)
            })
            .map(|i| i.value.clone())
    })
}

/// Patients' names, read once each.
struct Names<'s> {
    store: &'s dyn Store,
    known: HashMap<PatientKey, Option<String>>,
}

impl Names<'_> {
    fn name(&mut self, book: &CareBook, key: &PatientKey) -> Result<Option<String>, StoreError> {
        if let Some(name) = self.known.get(key) {
            return Ok(name.clone());
        }
        let from_store = self.store.patient_chart(key)?.and_then(|chart| {
            let parts: Vec<String> = [chart.identity.family, chart.identity.given]
                .into_iter()
                .flatten()
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        });
        let name = from_store.or_else(|| typed_name(book, key));
        self.known.insert(key.clone(), name.clone());
        Ok(name)
    }
}

/// The name of the latest identity typed for `key`.
fn typed_name(book: &CareBook, key: &PatientKey) -> Option<String> {
    let entry = book.by_item_key(&crate::book::identity_key(key))?;
    let CareFact::Entered(inner) = &entry.fact else {
        return None;
    };
    let Fact::PatientUpdated(update) = inner.as_ref() else {
        return None;
    };
    let parts: Vec<&str> = [update.family.value(), update.given.value()]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn account(actor: &Actor) -> String {
    match actor {
        Actor::User(login) => login.clone(),
        Actor::Feed(feed) => format!("flux {feed}"),
        Actor::System => String::from("nœud"),
    }
}

/// What an item says, in French, in a few words.
pub fn summary(fact: &CareFact, book: &CareBook) -> String {
    match fact {
        CareFact::Entered(inner) => entered_summary(inner),
        CareFact::Administered(a) => match &a.outcome {
            AdministrationOutcome::Given { dose, route } => {
                format!("{} : donné, {dose} {route}", a.drug.text)
                    .trim_end()
                    .to_owned()
            }
            AdministrationOutcome::NotGiven { reason } => {
                format!("{} : non donné ({reason})", a.drug.text)
            }
            AdministrationOutcome::Held { reason } => {
                format!("{} : différé ({reason})", a.drug.text)
            }
        },
        CareFact::Reviewed(r) => {
            let verdict = match r.verdict {
                ckisa_domain::ReviewVerdict::Validated => "validée",
                ckisa_domain::ReviewVerdict::WithRemark => "validée avec remarque",
                ckisa_domain::ReviewVerdict::Refused => "refusée",
            };
            match prescribed_drug(book, &r.medication) {
                Some(drug) => format!("prescription de {drug} {verdict} par la pharmacie"),
                None => format!("prescription {} {verdict} par la pharmacie", r.medication),
            }
        }
        CareFact::Note(n) => format!("cible : {}", n.target),
        CareFact::LabRequested(l) => {
            let tests: Vec<&str> = l.tests.iter().map(|t| t.text.as_str()).collect();
            format!("{} : {}", l.id, tests.join(", "))
        }
        CareFact::Reconciled(_) => String::from("rapprochement"),
    }
}

fn entered_summary(fact: &Fact) -> String {
    match fact {
        Fact::PatientUpdated(update) => {
            let name: Vec<&str> = [update.family.value(), update.given.value()]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            format!("identité : {}", name.join(" "))
        }
        Fact::StayUpdated(stay) => match stay.place.value() {
            Some(place) => format!("admission en {}", place_text(place)),
            None => String::from("admission"),
        },
        Fact::Transferred { to, .. } => format!("mutation vers {}", place_text(to)),
        Fact::Discharged { .. } => String::from("sortie"),
        Fact::AdmissionCancelled { .. } => String::from("annulation d'admission"),
        Fact::TransferCancelled { .. } => String::from("annulation de mutation"),
        Fact::DischargeCancelled { .. } => String::from("annulation de sortie"),
        Fact::LeaveOfAbsence { .. } => String::from("absence temporaire"),
        Fact::PatientsMerged { survivor, merged } => {
            format!("identité {merged} rapprochée de {survivor}")
        }
        Fact::ObservationRecorded(o) => {
            format!("{} : {}", o.code.text, crate::paper::value_text(&o.value))
        }
        Fact::MedicationRecorded(m) => {
            let parts: Vec<&str> = [
                Some(m.drug.text.as_str()),
                m.dose.as_deref(),
                m.route.as_deref(),
                m.frequency.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect();
            match m.status {
                ckisa_domain::RecordStatus::Active => parts.join(" "),
                _ => format!("arrêt : {}", m.drug.text),
            }
        }
        Fact::DietRecorded(d) => {
            let diets: Vec<&str> = d.diets.iter().map(|c| c.text.as_str()).collect();
            format!("régime : {}", diets.join(", "))
        }
        other => other.kind().to_owned(),
    }
}

fn place_text(place: &Place) -> String {
    let mut text = place.unit.clone();
    if let Some(room) = &place.room {
        text.push_str(&format!(", ch. {room}"));
    }
    if let Some(bed) = &place.bed {
        text.push_str(&format!(", lit {bed}"));
    }
    text
}

/// The drug of a prescription typed in the capsule, by its id.
fn prescribed_drug<'a>(book: &'a CareBook, medication: &str) -> Option<&'a str> {
    let key = crate::book::prescription_key(medication, &ckisa_domain::RecordStatus::Active);
    match &book.by_item_key(&key)?.fact {
        CareFact::Entered(inner) => match inner.as_ref() {
            Fact::MedicationRecorded(m) => Some(m.drug.text.as_str()),
            _ => None,
        },
        _ => None,
    }
}
