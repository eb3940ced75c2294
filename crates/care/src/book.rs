//! The care book: every care fact of the log, folded in log order.
//!
//! Documented items are kept whole with who recorded them, when and from
//! where, so that the pages, the export and the reconciliation worklist read
//! the same list. An item's id (administration, note, lab request, typed
//! observation...) is its identity: the same id arriving again (the HIS
//! sending back what was exported, a re-import) replaces the earlier version
//! and never counts twice. Merges (a provisional identity matched to the
//! real record, typed or sent by the HIS) are followed, so that a patient's
//! documentation shows under the surviving record.

use std::collections::HashMap;

use ckisa_domain::{
    Actor, Administration, CareFact, Event, EventId, Fact, LabRequest, NursingNote, PatientKey,
    PrescriptionReview, Reconciliation, ReconciliationStatus, RecordStatus, SourceChannel,
};

/// One documented item, as the log holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The event that recorded it (or its latest version).
    pub event: EventId,
    /// The event that first recorded it: the item's identity in the
    /// worklist.
    pub first_event: EventId,
    /// When it was recorded, ms since the Unix epoch (event clock).
    pub recorded_ms: i64,
    /// Who recorded it.
    pub actor: Actor,
    /// Typed on a node (`true`) or sent back by a feed or a file.
    pub typed: bool,
    /// The fact.
    pub fact: CareFact,
}

impl Entry {
    /// The patient the item is about, as recorded.
    pub fn patient(&self) -> Option<&PatientKey> {
        self.fact.patient()
    }
}

/// A reconciliation mark with its time.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// The mark.
    pub mark: Reconciliation,
    /// When, ms since the Unix epoch.
    pub at_ms: i64,
    /// Its event.
    pub event: EventId,
}

/// The fold of every care fact in the log.
#[derive(Debug, Default, Clone)]
pub struct CareBook {
    last_care: Option<EventId>,
    last_merge: Option<EventId>,
    applied: u64,
    entries: Vec<Entry>,
    /// Item key to its index in `entries`.
    by_key: HashMap<String, usize>,
    /// Merged record to survivor (one step; `resolve` follows chains).
    merged_into: HashMap<PatientKey, PatientKey>,
    /// Reconciliation marks per item (first event id), oldest first.
    marks: HashMap<EventId, Vec<Mark>>,
    /// Items sent back by a feed after being typed: confirmed by the HIS.
    echoed: HashMap<EventId, i64>,
}

impl CareBook {
    /// An empty book.
    pub fn new() -> CareBook {
        CareBook::default()
    }

    /// The last care event folded in.
    pub fn last_care_event(&self) -> Option<EventId> {
        self.last_care
    }

    /// The last merge event (kind `merge`) folded in.
    pub fn last_merge_event(&self) -> Option<EventId> {
        self.last_merge
    }

    /// How many events were folded in (changes when anything changed).
    pub fn applied(&self) -> u64 {
        self.applied
    }

    /// Folds one event in. Care events and merges are used; anything else
    /// is ignored. Events are expected in log order per kind.
    pub fn apply(&mut self, event: &Event) {
        match &event.fact {
            Fact::Care(fact) => {
                self.last_care = Some(event.id);
                self.apply_care(event, fact);
            }
            Fact::PatientsMerged { survivor, merged } => {
                self.last_merge = Some(event.id);
                self.merge(survivor, merged);
            }
            _ => return,
        }
        self.applied += 1;
    }

    fn apply_care(&mut self, event: &Event, fact: &CareFact) {
        let recorded_ms = i64::try_from(event.hlc.unix_ms()).unwrap_or(i64::MAX);
        if let CareFact::Reconciled(mark) = fact {
            if let Ok(uuid) = mark.item.parse() {
                self.marks.entry(EventId(uuid)).or_default().push(Mark {
                    mark: mark.clone(),
                    at_ms: recorded_ms,
                    event: event.id,
                });
            }
            return;
        }
        if let CareFact::Entered(inner) = fact
            && let Fact::PatientsMerged { survivor, merged } = inner.as_ref()
        {
            self.merge(survivor, merged);
        }
        let typed = event.source.channel == SourceChannel::User;
        let mut entry = Entry {
            event: event.id,
            first_event: event.id,
            recorded_ms,
            actor: event.actor.clone(),
            typed,
            fact: fact.clone(),
        };
        let Some(key) = item_key(fact, event.id) else {
            self.entries.push(entry);
            return;
        };
        match self.by_key.get(&key) {
            Some(&index) => {
                let earlier = &self.entries[index];
                entry.first_event = earlier.first_event;
                if earlier.typed && !typed {
                    // The HIS (or a re-import) sent back what was typed
                    // here: confirmed, and kept as the typed version says
                    // who documented it.
                    self.echoed.insert(earlier.first_event, recorded_ms);
                    return;
                }
                entry.typed = earlier.typed || typed;
                self.entries[index] = entry;
            }
            None => {
                self.by_key.insert(key, self.entries.len());
                self.entries.push(entry);
            }
        }
    }

    fn merge(&mut self, survivor: &PatientKey, merged: &PatientKey) {
        if self.resolve(survivor) != *merged {
            self.merged_into.insert(merged.clone(), survivor.clone());
        }
    }

    /// The record a patient's documentation now shows under (itself unless
    /// it was merged into another).
    pub fn resolve(&self, patient: &PatientKey) -> PatientKey {
        self.resolve_ref(patient).clone()
    }

    /// [`CareBook::resolve`] without a copy: what a page scanning the whole
    /// book calls for every item.
    pub fn resolve_ref<'a>(&'a self, patient: &'a PatientKey) -> &'a PatientKey {
        let mut current = patient;
        if self.merged_into.is_empty() {
            return current;
        }
        for _ in 0..64 {
            match self.merged_into.get(current) {
                Some(next) => current = next,
                None => break,
            }
        }
        current
    }

    /// Every documented item in log order (reconciliation marks excluded).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Items recorded within `[from_ms, to_ms]`.
    pub fn entries_between(&self, from_ms: i64, to_ms: i64) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(move |e| e.recorded_ms >= from_ms && e.recorded_ms <= to_ms)
    }

    /// The items about a patient (following merges), in log order.
    pub fn of_patient<'a>(&'a self, patient: &PatientKey) -> impl Iterator<Item = &'a Entry> {
        let target = self.resolve(patient);
        self.entries.iter().filter(move |e| {
            e.patient()
                .is_some_and(|p| p == &target || self.resolve_ref(p) == &target)
        })
    }

    /// A patient's administrations, in log order.
    pub fn administrations<'a>(
        &'a self,
        patient: &PatientKey,
    ) -> impl Iterator<Item = (&'a Entry, &'a Administration)> {
        self.of_patient(patient).filter_map(|e| match &e.fact {
            CareFact::Administered(a) => Some((e, a)),
            _ => None,
        })
    }

    /// A patient's nursing notes, in log order.
    pub fn notes<'a>(
        &'a self,
        patient: &PatientKey,
    ) -> impl Iterator<Item = (&'a Entry, &'a NursingNote)> {
        self.of_patient(patient).filter_map(|e| match &e.fact {
            CareFact::Note(n) => Some((e, n)),
            _ => None,
        })
    }

    /// A patient's lab requests, in log order.
    pub fn lab_requests<'a>(
        &'a self,
        patient: &PatientKey,
    ) -> impl Iterator<Item = (&'a Entry, &'a LabRequest)> {
        self.of_patient(patient).filter_map(|e| match &e.fact {
            CareFact::LabRequested(l) => Some((e, l)),
            _ => None,
        })
    }

    /// A lab request by its id (as printed on the label).
    pub fn lab_request(&self, id: &str) -> Option<(&Entry, &LabRequest)> {
        let entry = self.by_item_key(&lab_key(id))?;
        match &entry.fact {
            CareFact::LabRequested(l) => Some((entry, l)),
            _ => None,
        }
    }

    /// Every lab request, in log order.
    pub fn all_lab_requests(&self) -> impl Iterator<Item = (&Entry, &LabRequest)> {
        self.entries.iter().filter_map(|e| match &e.fact {
            CareFact::LabRequested(l) => Some((e, l)),
            _ => None,
        })
    }

    /// The reviews of a prescription, oldest first.
    pub fn reviews<'a>(
        &'a self,
        medication: &'a str,
    ) -> impl Iterator<Item = (&'a Entry, &'a PrescriptionReview)> {
        self.entries.iter().filter_map(move |e| match &e.fact {
            CareFact::Reviewed(r) if r.medication == medication => Some((e, r)),
            _ => None,
        })
    }

    /// The latest review of a prescription.
    pub fn latest_review<'a>(
        &'a self,
        medication: &'a str,
    ) -> Option<(&'a Entry, &'a PrescriptionReview)> {
        self.reviews(medication).last()
    }

    /// The latest version of the item of key `key` (see [`item_key`]).
    pub fn by_item_key(&self, key: &str) -> Option<&Entry> {
        self.by_key.get(key).map(|&index| &self.entries[index])
    }

    /// An item by the id of the event that first recorded it.
    pub fn item(&self, first_event: EventId) -> Option<&Entry> {
        self.entries.iter().find(|e| e.first_event == first_event)
    }

    /// Where an item stands with the HIS: the latest mark, else confirmed
    /// when a feed sent it back, else pending.
    pub fn status(&self, first_event: EventId) -> ReconciliationStatus {
        if let Some(mark) = self.marks.get(&first_event).and_then(|m| m.last()) {
            return mark.mark.status;
        }
        if self.echoed.contains_key(&first_event) {
            return ReconciliationStatus::Confirmed;
        }
        ReconciliationStatus::Pending
    }

    /// The marks of an item, oldest first.
    pub fn marks(&self, first_event: EventId) -> &[Mark] {
        self.marks.get(&first_event).map_or(&[], Vec::as_slice)
    }

    /// When a feed sent the item back, if it did.
    pub fn echoed_ms(&self, first_event: EventId) -> Option<i64> {
        self.echoed.get(&first_event).copied()
    }
}

/// The identity of a documented item across versions and round trips:
/// its own id, qualified by its kind. `None` for facts without an id of
/// their own (their event is their identity).
///
/// Movements have no id of their own when typed: an admission or a
/// transfer is named by its movement id, else by `event`, the event that
/// records it (the id the export writes in ZBE-1 and in the Encounter's
/// movement identifiers), so that a second transfer of the same stay is a
/// new item. An identity is named by its patient key (a typed correction
/// of the identity replaces it), a discharge by its stay (a stay ends
/// once).
pub fn item_key(fact: &CareFact, event: EventId) -> Option<String> {
    Some(match fact {
        CareFact::Administered(a) => format!("adm:{}", a.id),
        CareFact::Note(n) => format!("note:{}", n.id),
        CareFact::LabRequested(l) => lab_key(&l.id),
        CareFact::Entered(inner) => match inner.as_ref() {
            Fact::ObservationRecorded(o) => format!("obs:{}", o.id),
            Fact::MedicationRecorded(m) => prescription_key(&m.id, &m.status),
            Fact::DietRecorded(d) => format!("diet:{}", d.id),
            Fact::PatientUpdated(p) => identity_key(&p.patient),
            Fact::StayUpdated(s) => movement_key(s.movement_id.as_deref(), event),
            Fact::Transferred { movement_id, .. } => movement_key(movement_id.as_deref(), event),
            Fact::Discharged { encounter, .. } => format!("sortie:{encounter}"),
            _ => return None,
        },
        CareFact::Reviewed(_) | CareFact::Reconciled(_) => return None,
    })
}

/// The key of a lab request, by its id.
pub fn lab_key(id: &str) -> String {
    format!("lab:{id}")
}

/// The key of a prescription's version of `status`: a prescription and its
/// stop are two items.
pub fn prescription_key(id: &str, status: &RecordStatus) -> String {
    let status = match status {
        RecordStatus::Active => "active",
        RecordStatus::Inactive => "inactive",
        RecordStatus::EnteredInError => "erreur",
    };
    format!("med:{id}:{status}")
}

/// The key of a typed identity, by its patient.
pub fn identity_key(patient: &PatientKey) -> String {
    format!("pat:{patient}")
}

/// The key of an admission or a transfer: its movement id, else the id of
/// the event that records it.
fn movement_key(movement_id: Option<&str>, event: EventId) -> String {
    match movement_id.map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => format!("mvt:{id}"),
        None => format!("mvt:{event}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ckisa_domain::{
        AdministrationOutcome, Coded, Hlc, Moment, NodeId, ReconciliationStatus, Source,
    };

    fn event(ms: u64, channel: SourceChannel, fact: Fact) -> Event {
        Event {
            id: EventId::new(ms),
            hlc: Hlc::new(ms, 0),
            origin: NodeId("n1".into()),
            actor: Actor::User("inf1".into()),
            source: Source {
                channel,
                origin: "web".into(),
                message_id: None,
                sender: None,
                fhir_id: None,
            },
            fact,
        }
    }

    fn given(id: &str, patient: &str) -> Fact {
        Fact::Care(CareFact::Administered(Administration {
            id: id.into(),
            patient: PatientKey(patient.into()),
            encounter: None,
            medication: "rx1".into(),
            drug: Coded {
                code: None,
                system: None,
                text: "Paracétamol".into(),
            },
            planned: None,
            at: Moment::parse_iso("2026-12-04T08:05:00+01:00").unwrap(),
            outcome: AdministrationOutcome::Given {
                dose: "1 g".into(),
                route: "PO".into(),
            },
            by: "Infirmière Une".into(),
            comment: None,
        }))
    }

    #[test]
    fn an_item_sent_back_by_the_his_is_confirmed_and_counted_once() {
        let mut book = CareBook::new();
        let typed = event(1_000, SourceChannel::User, given("adm-1", "P1"));
        book.apply(&typed);
        assert_eq!(book.status(typed.id), ReconciliationStatus::Pending);
        book.apply(&event(9_000, SourceChannel::Mllp, given("adm-1", "P1")));
        assert_eq!(book.entries().len(), 1);
        assert!(book.entries()[0].typed);
        assert_eq!(book.status(typed.id), ReconciliationStatus::Confirmed);
        assert_eq!(book.echoed_ms(typed.id), Some(9_000));
    }

    #[test]
    fn a_mark_overrides_the_echo_and_the_latest_mark_wins() {
        let mut book = CareBook::new();
        let typed = event(1_000, SourceChannel::User, given("adm-1", "P1"));
        book.apply(&typed);
        let mark = |status, ms| {
            event(
                ms,
                SourceChannel::User,
                Fact::Care(CareFact::Reconciled(Reconciliation {
                    item: typed.id.to_string(),
                    status,
                    note: Some("refusé par le SIH".into()),
                    by: "Cadre".into(),
                })),
            )
        };
        book.apply(&mark(ReconciliationStatus::Rejected, 2_000));
        assert_eq!(book.status(typed.id), ReconciliationStatus::Rejected);
        book.apply(&mark(ReconciliationStatus::Confirmed, 3_000));
        assert_eq!(book.status(typed.id), ReconciliationStatus::Confirmed);
        assert_eq!(book.marks(typed.id).len(), 2);
        assert_eq!(book.entries().len(), 1, "marks are not items");
    }

    #[test]
    fn documentation_follows_a_provisional_identity_into_the_real_record() {
        let mut book = CareBook::new();
        book.apply(&event(1_000, SourceChannel::User, given("adm-1", "PROV")));
        book.apply(&event(2_000, SourceChannel::User, given("adm-2", "REAL")));
        assert_eq!(book.administrations(&PatientKey("REAL".into())).count(), 1);
        book.apply(&event(
            3_000,
            SourceChannel::User,
            Fact::Care(CareFact::Entered(Box::new(Fact::PatientsMerged {
                survivor: PatientKey("REAL".into()),
                merged: PatientKey("PROV".into()),
            }))),
        ));
        assert_eq!(book.administrations(&PatientKey("REAL".into())).count(), 2);
        assert_eq!(book.resolve(&PatientKey("PROV".into())).0, "REAL");
        // A merge back the other way cannot make a loop.
        let back = event(
            4_000,
            SourceChannel::Mllp,
            Fact::PatientsMerged {
                survivor: PatientKey("PROV".into()),
                merged: PatientKey("REAL".into()),
            },
        );
        book.apply(&back);
        assert_eq!(book.resolve(&PatientKey("PROV".into())).0, "REAL");
        assert_eq!(book.last_merge_event(), Some(back.id));
    }

    fn transfer(movement_id: Option<&str>, unit: &str) -> Fact {
        Fact::Care(CareFact::Entered(Box::new(Fact::Transferred {
            encounter: ckisa_domain::EncounterKey("S1".into()),
            patient: PatientKey("P1".into()),
            to: ckisa_domain::Place {
                unit: unit.into(),
                ..ckisa_domain::Place::default()
            },
            at: None,
            movement_id: movement_id.map(Into::into),
        })))
    }

    #[test]
    fn each_typed_transfer_is_its_own_item_confirmed_by_its_movement_id() {
        let mut book = CareBook::new();
        let first = event(1_000, SourceChannel::User, transfer(None, "REA"));
        let second = event(2_000, SourceChannel::User, transfer(None, "CARDIO"));
        book.apply(&first);
        book.apply(&second);
        assert_eq!(book.entries().len(), 2, "a second transfer is a new item");

        // The HIS sends back a transfer of the same stay under another id:
        // not ours. Then the first one under the id the export wrote.
        let other = event(9_000, SourceChannel::Mllp, transfer(Some("MVT9"), "REA"));
        book.apply(&other);
        assert_eq!(book.status(first.id), ReconciliationStatus::Pending);
        let id = first.id.to_string();
        book.apply(&event(
            9_500,
            SourceChannel::Mllp,
            transfer(Some(&id), "REA"),
        ));
        assert_eq!(book.status(first.id), ReconciliationStatus::Confirmed);
        assert_eq!(book.status(second.id), ReconciliationStatus::Pending);
        assert_eq!(book.entries().len(), 3, "the other movement is the HIS's");
    }

    #[test]
    fn identities_and_discharges_are_keyed_by_patient_and_stay() {
        let identity = |family: &str| {
            Fact::Care(CareFact::Entered(Box::new(Fact::PatientUpdated(
                ckisa_domain::PatientUpdate {
                    patient: PatientKey("P1".into()),
                    family: ckisa_domain::Field::Value(family.into()),
                    ..ckisa_domain::PatientUpdate::default()
                },
            ))))
        };
        let discharge = Fact::Care(CareFact::Entered(Box::new(Fact::Discharged {
            encounter: ckisa_domain::EncounterKey("S1".into()),
            patient: PatientKey("P1".into()),
            at: None,
        })));
        let mut book = CareBook::new();
        let typed = event(1_000, SourceChannel::User, identity("INCONNU"));
        book.apply(&typed);
        book.apply(&event(1_500, SourceChannel::User, identity("DUPONT")));
        assert_eq!(book.entries().len(), 1, "a corrected identity is one item");
        let left = event(2_000, SourceChannel::User, discharge.clone());
        book.apply(&left);
        book.apply(&event(9_000, SourceChannel::File, identity("DUPONT")));
        book.apply(&event(9_000, SourceChannel::File, discharge));
        assert_eq!(book.status(typed.id), ReconciliationStatus::Confirmed);
        assert_eq!(book.status(left.id), ReconciliationStatus::Confirmed);
        assert_eq!(book.entries().len(), 2);
    }

    #[test]
    fn a_typed_correction_replaces_the_earlier_version() {
        let mut book = CareBook::new();
        let first = event(1_000, SourceChannel::User, given("adm-1", "P1"));
        book.apply(&first);
        let second = event(2_000, SourceChannel::User, given("adm-1", "P1"));
        book.apply(&second);
        assert_eq!(book.entries().len(), 1);
        assert_eq!(book.entries()[0].event, second.id);
        assert_eq!(book.entries()[0].first_event, first.id);
        assert_eq!(book.applied(), 2);
    }
}
