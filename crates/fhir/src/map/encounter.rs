//! Encounter to stay facts: `StayUpdated`, plus `Discharged` for a finished
//! encounter or `AdmissionCancelled` for a cancelled one.
//!
//! An Encounter of ckisa's own export (a stay key under
//! `https://ckisa.fr/id/encounter`) lists its movements as identifiers
//! under `https://ckisa.fr/id/movement`, one per `location` entry: the
//! stay carries the admission's id, each transfer becomes a `Transferred`
//! with its id, and all of them, with the discharge, are wrapped in
//! `Care(Entered)` so that the node that typed them sees them confirmed.
//!
//! The place is the current `Encounter.location` (the last active one). When
//! the Location is in the document its name and `partOf` chain give unit,
//! room and bed; otherwise the reference's display text (or conditional
//! identifier) names the unit, as Synthea's `Location?identifier=` does.

use ckisa_domain::{Fact, Field, Place, ResourceRef, StayUpdate};

use super::Ctx;
use crate::error::EntryError;
use crate::model;
use crate::resolve::Resolved;

/// How far up a `Location.partOf` chain ckisa looks.
const MAX_LOCATION_DEPTH: usize = 6;

/// Maps an Encounter.
pub(super) fn map(
    encounter: model::Encounter,
    id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Vec<Fact>, EntryError> {
    let patient = ctx.patient("Encounter.subject", encounter.subject.as_ref())?;
    let key = super::care::stay_key(ctx.index, id);
    let status = encounter.status.as_deref().unwrap_or("unknown");
    if matches!(status, "cancelled" | "entered-in-error") {
        return Ok(vec![Fact::AdmissionCancelled {
            encounter: key,
            patient,
        }]);
    }

    let period = encounter.period.as_ref();
    let admitted_at = ctx.moment(
        "Encounter.period.start",
        period.and_then(|p| p.start.as_deref()),
    );
    let ended_at = ctx.moment(
        "Encounter.period.end",
        period.and_then(|p| p.end.as_deref()),
    );
    let place = place(&encounter, ctx);
    let attending = attending(&encounter.participant, ctx);
    let own = super::care::is_own_stay(&encounter);
    let movements = super::care::movements(&encounter);
    let admission = movements
        .iter()
        .find(|(_, trigger)| matches!(trigger.as_str(), "A01" | "A05"))
        .map(|(id, _)| id.clone());
    // Triaged and on-leave patients are still the ward's: the bed stays theirs.
    let in_house = matches!(status, "arrived" | "triaged" | "in-progress" | "onleave");
    let stay = StayUpdate {
        encounter: key.clone(),
        patient: patient.clone(),
        place,
        class: encounter.class.as_ref().and_then(|c| c.code.clone()),
        admitted_at,
        attending,
        in_house,
        effective_at: admitted_at,
        movement_id: admission.clone(),
    };

    // A stay of the node's export comes back as the documentation typed
    // there (the care book confirms each movement by its id); the store
    // projects the inner facts as a feed's.
    let mut facts = vec![wrap(admission.is_some(), Fact::StayUpdated(stay.clone()))];
    facts.extend(transfers(&encounter, &movements, &stay, ctx));
    if status == "finished" {
        let discharge = Fact::Discharged {
            encounter: key,
            patient,
            at: ended_at,
        };
        facts.push(wrap(own, discharge));
    }
    Ok(facts)
}

/// The transfers an Encounter of the node's export lists (movement
/// identifiers of event `A02`), each to the place of its `location`
/// entry when there is one per movement, else to the current place.
///
/// Each transfer is dated by its `location.period.start` (the stay's start
/// when the entry has none), so that a stay the store already moved further
/// is not moved back (a late movement is stale), while a new stay ends at
/// its current place.
fn transfers(
    encounter: &model::Encounter,
    movements: &[(String, String)],
    stay: &StayUpdate,
    ctx: &mut Ctx<'_>,
) -> Vec<Fact> {
    let aligned = movements.len() == encounter.location.len();
    let mut facts = Vec::new();
    for (n, (id, trigger)) in movements.iter().enumerate() {
        if trigger != "A02" {
            continue;
        }
        let entry = if aligned {
            encounter.location.get(n)
        } else {
            None
        };
        let to = if aligned {
            place_of(entry, encounter, ctx)
        } else {
            stay.place.clone()
        };
        let since = entry
            .and_then(|e| e.period.as_ref())
            .and_then(|p| p.start.as_deref());
        let at = ctx
            .moment("Encounter.location.period.start", since)
            .or(stay.admitted_at);
        let Some(to) = to.value().or(stay.place.value()).cloned() else {
            continue;
        };
        facts.push(super::care::entered(Fact::Transferred {
            encounter: stay.encounter.clone(),
            patient: stay.patient.clone(),
            to,
            at,
            movement_id: Some(id.clone()),
        }));
    }
    facts
}

fn wrap(own: bool, fact: Fact) -> Fact {
    if own {
        super::care::entered(fact)
    } else {
        fact
    }
}

/// The attending (`ATND`), else the primary performer (`PPRF`), else the
/// first participant without any type (B16 sends just an individual);
/// a participant typed otherwise (admitter, referrer...) is not attending.
fn attending(
    participants: &[model::EncounterParticipant],
    ctx: &mut Ctx<'_>,
) -> Option<ResourceRef> {
    let with_type = |wanted: &str| {
        participants.iter().find(|p| {
            p.kind
                .iter()
                .any(|k| k.coding.iter().any(|c| c.code.as_deref() == Some(wanted)))
        })
    };
    let untyped = || participants.iter().find(|p| p.kind.is_empty());
    let chosen = with_type("ATND")
        .or_else(|| with_type("PPRF"))
        .or_else(untyped)?;
    ctx.resource_ref(
        "Encounter.participant.individual",
        chosen.individual.as_ref(),
    )
}

/// The current place, `Null` when the encounter names none.
fn place(encounter: &model::Encounter, ctx: &mut Ctx<'_>) -> Field<Place> {
    let locations = &encounter.location;
    let current = locations
        .iter()
        .rev()
        .find(|l| l.status.as_deref() == Some("active"))
        .or(locations.last());
    place_of(current, encounter, ctx)
}

/// The place of one `location` entry, `Null` when it names none.
fn place_of(
    entry: Option<&model::EncounterLocation>,
    encounter: &model::Encounter,
    ctx: &mut Ctx<'_>,
) -> Field<Place> {
    let Some(reference) = entry.and_then(|l| l.location.as_ref()) else {
        return Field::Null;
    };

    let mut place = Place::default();
    let mut fallback = reference.display.clone();
    match reference.reference.as_deref().map(|r| ctx.index.resolve(r)) {
        Some(Resolved::Local(target)) if target.kind == "Location" => {
            fill_from_chain(&mut place, &target.reference(), ctx);
            fallback = fallback.or(Some(target.id));
        }
        Some(Resolved::Conditional { identifier, .. }) => {
            fallback = fallback.or(identifier.map(|i| i.value));
        }
        _ => {}
    }
    if place.unit.is_empty() {
        place.unit = fallback.unwrap_or_default();
    }
    if place.facility.is_none() {
        place.facility = encounter
            .service_provider
            .as_ref()
            .and_then(|s| s.display.clone());
    }
    if place.unit.trim().is_empty() {
        Field::Null
    } else {
        Field::Value(place)
    }
}

/// Unit, room, bed and facility from a Location and its `partOf` parents
/// (physical types `bd` bed, `ro` room, `bu`/`si` building or site; any
/// other level names the unit).
fn fill_from_chain(place: &mut Place, start: &str, ctx: &Ctx<'_>) {
    let mut key = Some(start.to_owned());
    for _ in 0..MAX_LOCATION_DEPTH {
        let Some(info) = key.as_deref().and_then(|k| ctx.index.locations.get(k)) else {
            return;
        };
        if let Some(name) = info.name.clone() {
            match info.physical_type.as_deref() {
                Some("bd") => place.bed = place.bed.take().or(Some(name)),
                Some("ro") => place.room = place.room.take().or(Some(name)),
                Some("bu" | "si") => place.facility = place.facility.take().or(Some(name)),
                _ if place.unit.is_empty() => place.unit = name,
                _ => {}
            }
        }
        key = info.part_of.clone();
    }
}

#[cfg(test)]
mod tests {
    use ckisa_domain::{EncounterKey, PatientKey};

    use super::*;
    use crate::resolve::{Index, LocationInfo, Target};

    fn check(json: &str, index: &Index) -> Result<Vec<Fact>, EntryError> {
        let encounter: model::Encounter = serde_json::from_str(json).unwrap();
        let mut ctx = Ctx {
            index,
            warnings: Vec::new(),
        };
        let facts = map(encounter, "e1", &mut ctx);
        assert!(ctx.warnings.is_empty(), "{:?}", ctx.warnings);
        facts
    }

    fn stay(fact: &Fact) -> &StayUpdate {
        match fact {
            Fact::StayUpdated(stay) => stay,
            other => panic!("not a stay: {other:?}"),
        }
    }

    #[test]
    fn finished_encounter_is_a_stay_then_a_discharge() {
        let facts = check(
            r#"{"status":"finished","class":{"code":"IMP"},"subject":{"reference":"Patient/p1"},
                "participant":[{"type":[{"coding":[{"code":"PPRF"}]}],
                  "individual":{"reference":"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|42","display":"Dr X"}}],
                "location":[{"location":{"reference":"Location?identifier=https://e.org|W5","display":"Ward 5"}}],
                "period":{"start":"2024-01-11T08:00:00+01:00","end":"2024-01-12T10:00:00+01:00"}}"#,
            &Index::default(),
        )
        .unwrap();
        assert_eq!(facts.len(), 2);
        let stay = stay(&facts[0]);
        assert_eq!(stay.encounter, EncounterKey("fhir:Encounter/e1".into()));
        assert_eq!(stay.patient, PatientKey::fhir("p1"));
        assert_eq!(stay.place.value().unwrap().unit, "Ward 5");
        assert_eq!(stay.class.as_deref(), Some("IMP"));
        assert!(!stay.in_house);
        let attending = stay.attending.as_ref().unwrap();
        assert_eq!(attending.identifier.as_ref().unwrap().value, "42");
        assert_eq!(attending.display.as_deref(), Some("Dr X"));
        assert_eq!(stay.admitted_at.unwrap().hour, 8);
        let Fact::Discharged { at, .. } = &facts[1] else {
            panic!("a discharge")
        };
        assert_eq!(at.unwrap().day, 12);
    }

    #[test]
    fn in_progress_encounter_is_in_house_at_its_last_active_location() {
        let facts = check(
            r#"{"status":"in-progress","subject":{"reference":"Patient/p1"},
                "location":[{"location":{"display":"Urgences"},"status":"completed"},
                            {"location":{"display":"Cardio"},"status":"active"},
                            {"location":{"display":"Réa"},"status":"planned"}]}"#,
            &Index::default(),
        )
        .unwrap();
        let stay = stay(&facts[0]);
        assert!(stay.in_house);
        assert_eq!(stay.place.value().unwrap().unit, "Cardio");
        assert_eq!(stay.admitted_at, None);
    }

    #[test]
    fn location_chain_in_the_document_gives_unit_room_and_bed() {
        let mut index = Index::default();
        let info = |name: &str, kind: &str, parent: Option<&str>| LocationInfo {
            name: Some(name.into()),
            physical_type: Some(kind.into()),
            part_of: parent.map(Into::into),
        };
        index
            .locations
            .insert("Location/b".into(), info("Lit 2", "bd", Some("Location/r")));
        index.locations.insert(
            "Location/r".into(),
            info("Ch. 12", "ro", Some("Location/w")),
        );
        index
            .locations
            .insert("Location/w".into(), info("Cardiologie", "wa", None));
        index.add_url(
            "urn:uuid:b",
            Target {
                kind: "Location".into(),
                id: "b".into(),
            },
        );
        let facts = check(
            r#"{"status":"arrived","subject":{"reference":"Patient/p1"},
                "location":[{"location":{"reference":"urn:uuid:b"}}]}"#,
            &index,
        )
        .unwrap();
        let place = stay(&facts[0]).place.value().unwrap().clone();
        assert_eq!(
            (
                place.unit.as_str(),
                place.room.as_deref(),
                place.bed.as_deref()
            ),
            ("Cardiologie", Some("Ch. 12"), Some("Lit 2"))
        );
    }

    #[test]
    fn untyped_participant_attends_but_a_referrer_does_not() {
        let untyped = check(
            r#"{"status":"planned","subject":{"reference":"Patient/p1"},
                "participant":[{"individual":{"reference":"Practitioner/f201"}}]}"#,
            &Index::default(),
        )
        .unwrap();
        let attending = stay(&untyped[0]).attending.clone().unwrap();
        assert_eq!(attending.reference.as_deref(), Some("Practitioner/f201"));
        let referrer = check(
            r#"{"status":"planned","subject":{"reference":"Patient/p1"},
                "participant":[{"type":[{"coding":[{"code":"REF"}]}],"individual":{"reference":"Practitioner/x"}}]}"#,
            &Index::default(),
        )
        .unwrap();
        assert_eq!(stay(&referrer[0]).attending, None);
    }

    #[test]
    fn cancelled_encounter_cancels_the_admission_and_subjectless_is_an_error() {
        let facts = check(
            r#"{"status":"cancelled","subject":{"reference":"Patient/p1"}}"#,
            &Index::default(),
        );
        assert!(matches!(
            facts.unwrap()[..],
            [Fact::AdmissionCancelled { .. }]
        ));
        let err = check(r#"{"status":"finished"}"#, &Index::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Encounter.subject absent : la ressource ne désigne pas son patient"
        );
    }
}
