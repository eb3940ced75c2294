//! Admissions and discharges since the crisis was declared.
//!
//! The store keeps no such count, so it is made here from the movement
//! events recorded after the declaration's event: those of kinds `stay`,
//! `admission_cancelled`, `discharge` and `discharge_cancelled`, read with
//! [`Store::events_of_kind`] (the log's index on kind and position keeps
//! the cost proportional to the crisis's own movements, not to the log) and
//! folded incrementally: each rebuild of the dashboard reads only the
//! events since the previous one.
//!
//! An admission is a stay coming in house (a stay update marked in house)
//! whose admission time, or the movement's time when the source gives
//! none, is at or after the declaration; later updates of the same stay
//! count once, and a cancelled admission (A11) no longer counts. A
//! discharge is a discharge fact at or after the declaration (or without
//! time), once per stay, unless cancelled (A13).

use std::collections::HashSet;

use ckisa_domain::{CrisisId, Event, EventId, Fact, Moment, Precision};
use ckisa_store::{Store, StoreError};
use jiff::tz::TimeZone;

/// Admissions and discharges since the declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Movements {
    pub(super) admissions: u32,
    pub(super) discharges: u32,
}

/// The event kinds read, each from its own position in the log.
const KINDS: [&str; 4] = [
    "stay",
    "admission_cancelled",
    "discharge",
    "discharge_cancelled",
];

/// Events read from the log in one go.
const BATCH: usize = 2_000;

/// The running count of one crisis.
pub(crate) struct Counter {
    crisis: CrisisId,
    declared_ms: i64,
    /// Last event read of each of [`KINDS`].
    last: [Option<EventId>; KINDS.len()],
    admitted: HashSet<String>,
    discharged: HashSet<String>,
}

impl Counter {
    /// A count for `crisis`, declared by event `declared` at `declared_ms`.
    pub(super) fn new(crisis: CrisisId, declared: EventId, declared_ms: i64) -> Counter {
        Counter {
            crisis,
            declared_ms,
            last: [Some(declared); KINDS.len()],
            admitted: HashSet::new(),
            discharged: HashSet::new(),
        }
    }

    /// The crisis counted.
    pub(super) fn crisis(&self) -> &CrisisId {
        &self.crisis
    }

    /// Reads and folds the movements recorded since the last call.
    pub(super) fn catch_up(
        &mut self,
        store: &dyn Store,
        zone: &TimeZone,
    ) -> Result<(), StoreError> {
        let mut events: Vec<Event> = Vec::new();
        for (kind, last) in KINDS.iter().zip(self.last.iter_mut()) {
            loop {
                let batch = store.events_of_kind(kind, *last, BATCH)?;
                let full = batch.len() == BATCH;
                if let Some(event) = batch.last() {
                    *last = Some(event.id);
                }
                events.extend(batch);
                if !full {
                    break;
                }
            }
        }
        // Kinds were read apart: put a cancellation back after what it
        // cancels.
        events.sort_by_key(|e| e.hlc);
        for event in &events {
            self.apply(&event.fact, zone);
        }
        Ok(())
    }

    fn apply(&mut self, fact: &Fact, zone: &TimeZone) {
        let since = |moment: &Moment| at_or_after(moment, self.declared_ms, zone);
        match fact {
            Fact::StayUpdated(stay)
                if stay.in_house
                    && stay
                        .admitted_at
                        .as_ref()
                        .or(stay.effective_at.as_ref())
                        .is_some_and(since) =>
            {
                self.admitted.insert(stay.encounter.0.clone());
            }
            Fact::AdmissionCancelled { encounter, .. } => {
                self.admitted.remove(&encounter.0);
            }
            Fact::Discharged { encounter, at, .. } if at.as_ref().is_none_or(since) => {
                self.discharged.insert(encounter.0.clone());
            }
            Fact::DischargeCancelled { encounter, .. } => {
                self.discharged.remove(&encounter.0);
            }
            _ => {}
        }
    }

    /// The counts so far.
    pub(super) fn counts(&self) -> Movements {
        let count = |set: &HashSet<String>| u32::try_from(set.len()).unwrap_or(u32::MAX);
        Movements {
            admissions: count(&self.admitted),
            discharges: count(&self.discharged),
        }
    }
}

/// Whether `moment` is at or after `declared_ms`: a time (floating ones
/// read in `zone`) is compared as an instant, a date as a day of `zone`;
/// a month or a year alone is too vague to count.
fn at_or_after(moment: &Moment, declared_ms: i64, zone: &TimeZone) -> bool {
    if moment.has_time() {
        let moment = moment.assume_zone(zone);
        let ms = moment
            .timestamp()
            .map_or_else(|| moment.sort_key(), |t| t.as_millisecond());
        return ms >= declared_ms;
    }
    if moment.precision < Precision::Day {
        return false;
    }
    let Ok(declared) = jiff::Timestamp::from_millisecond(declared_ms) else {
        return false;
    };
    let day = declared.to_zoned(zone.clone()).date();
    (moment.year, moment.month, moment.day)
        >= (
            day.year(),
            u8::try_from(day.month()).unwrap_or(0),
            u8::try_from(day.day()).unwrap_or(0),
        )
}

#[cfg(test)]
mod tests {
    use ckisa_domain::{EncounterKey, Field, PatientKey, StayUpdate};

    use super::*;

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").expect("zone")
    }

    /// 15/03/2024 12:00 in Paris.
    const DECLARED: i64 = 1_710_500_400_000;

    fn stay(encounter: &str, admitted: &str) -> Fact {
        Fact::StayUpdated(StayUpdate {
            encounter: EncounterKey(encounter.into()),
            patient: PatientKey::ipp("H", encounter),
            place: Field::Absent,
            class: Some("I".into()),
            admitted_at: Moment::parse_iso(admitted),
            attending: None,
            in_house: true,
            effective_at: None,
            movement_id: None,
        })
    }

    fn counter() -> Counter {
        Counter::new(CrisisId("c".into()), EventId::new(1), DECLARED)
    }

    #[test]
    fn admissions_count_stays_admitted_since_the_declaration_once() {
        let zone = paris();
        let mut counter = counter();
        counter.apply(&stay("E1", "2024-03-15T12:30"), &zone);
        counter.apply(&stay("E1", "2024-03-15T12:30"), &zone);
        counter.apply(&stay("E2", "2024-03-15T11:59"), &zone);
        counter.apply(&stay("E3", "2024-03-15"), &zone);
        counter.apply(&stay("E4", "2024-03-14"), &zone);
        counter.apply(&stay("E5", "2024-03"), &zone);
        assert_eq!(counter.counts().admissions, 2, "E1 and E3");
        let cancel = Fact::AdmissionCancelled {
            encounter: EncounterKey("E1".into()),
            patient: PatientKey::ipp("H", "E1"),
        };
        counter.apply(&cancel, &zone);
        assert_eq!(counter.counts().admissions, 1);
    }

    #[test]
    fn discharges_count_once_unless_cancelled() {
        let zone = paris();
        let mut counter = counter();
        let out = |e: &str, at: Option<&str>| Fact::Discharged {
            encounter: EncounterKey(e.into()),
            patient: PatientKey::ipp("H", e),
            at: at.and_then(Moment::parse_iso),
        };
        counter.apply(&out("E1", Some("2024-03-15T13:00+01:00")), &zone);
        counter.apply(&out("E1", Some("2024-03-15T13:00+01:00")), &zone);
        counter.apply(&out("E2", None), &zone);
        counter.apply(&out("E3", Some("2024-03-15T10:00+01:00")), &zone);
        assert_eq!(counter.counts().discharges, 2);
        counter.apply(
            &Fact::DischargeCancelled {
                encounter: EncounterKey("E2".into()),
                patient: PatientKey::ipp("H", "E2"),
                place: None,
            },
            &zone,
        );
        assert_eq!(
            counter.counts(),
            Movements {
                admissions: 0,
                discharges: 1
            }
        );
    }
}
