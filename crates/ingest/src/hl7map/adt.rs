//! ADT events (HL7 v2.5.1 ch. 3) to stays, movements, merges and moves, with the IHE PAM FR
//! ZBE movement segment (movement id, time, action, medical unit).
//!
//! Stay key rule: PV1-19 visit number (`vn:<authority>|<number>`), else the patient key and the
//! PV1-44 admission time, else `<patient key>#sans-numero` with a warning. ZBE-1 is a movement
//! id, not a stay id, so it only goes to `movement_id`.

use ckisa_domain::{
    CareFact, EncounterKey, Fact, Field as Tri, Leave, Moment, PatientKey, Place, StayUpdate,
};
use ckisa_hl7::{Repetition, Segment};

use super::read::{Cx, Loc, at};
use super::{MapRejection, clinical, error_code, patient};

/// What an ADT trigger event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    /// A01, A04, A05, A06, A07, A08, A14: the stay as it now is.
    Stay(&'static str),
    /// A28, A31: the person only.
    Person,
    Transfer,
    Discharge,
    CancelAdmit,
    CancelTransfer,
    CancelDischarge,
    Leave(Leave),
    Merge,
    MoveAccount,
}

fn event_of(trigger: &str) -> Option<Event> {
    Some(match trigger {
        "A01" => Event::Stay("A01"),
        "A04" => Event::Stay("A04"),
        "A05" => Event::Stay("A05"),
        "A06" => Event::Stay("A06"),
        "A07" => Event::Stay("A07"),
        "A08" => Event::Stay("A08"),
        "A14" => Event::Stay("A14"),
        "A28" | "A31" | "A60" => Event::Person,
        "A02" => Event::Transfer,
        "A03" => Event::Discharge,
        "A11" | "A38" => Event::CancelAdmit,
        "A12" => Event::CancelTransfer,
        "A13" => Event::CancelDischarge,
        "A21" | "A53" => Event::Leave(Leave::Started),
        "A22" | "A52" => Event::Leave(Leave::Ended),
        "A40" => Event::Merge,
        "A44" => Event::MoveAccount,
        _ => return None,
    })
}

/// Maps an ADT message; `Ok(None)` for events the node does not project.
pub(super) fn map(cx: &mut Cx<'_, '_>, trigger: &str) -> Result<Option<Vec<Fact>>, MapRejection> {
    let trigger = resolve_trigger(cx, trigger)?;
    let Some(event) = event_of(&trigger) else {
        return Ok(None);
    };
    match event {
        Event::Merge => merge(cx).map(Some),
        Event::MoveAccount => move_account(cx).map(Some),
        _ => patient_event(cx, event, &trigger).map(Some),
    }
}

/// MSH-9.2, else EVN-1; PAM FR Z99 (movement update) stands for ZBE-6, the updated event.
fn resolve_trigger(cx: &mut Cx<'_, '_>, trigger: &str) -> Result<String, MapRejection> {
    let evn = cx.msg.segment("EVN");
    let trigger = match trigger {
        "" => evn
            .and_then(|evn| cx.text(evn.field(1), at("EVN", 1)))
            .unwrap_or_default(),
        other => other.to_owned(),
    };
    if trigger.is_empty() {
        return Err(MapRejection::reject(
            "MSH",
            9,
            error_code::UNSUPPORTED_EVENT,
            "MSH-9.2 absent (et EVN-1 vide) : événement ADT obligatoire".to_owned(),
        ));
    }
    if trigger == "Z99" {
        if let Some(original) = read_zbe(cx).and_then(|zbe| zbe.original_trigger) {
            return Ok(original);
        }
        cx.warn("ZBE-6 absent : mise à jour de mouvement (Z99) non exploitée".to_owned());
    }
    Ok(trigger)
}

/// Every event with one patient: demographics, then the event's fact, then clinical data.
fn patient_event(
    cx: &mut Cx<'_, '_>,
    event: Event,
    trigger: &str,
) -> Result<Vec<Fact>, MapRejection> {
    let pid = required_pid(cx)?;
    let update = patient::read_pid(cx, pid)?;
    let patient = update.patient.clone();
    let own_identity = patient::names_own_key(cx, pid, &patient);
    let mut facts = vec![own_if(own_identity, Fact::PatientUpdated(update))];
    let pv1 = cx.msg.segment("PV1");
    let zbe = read_zbe(cx);
    if let Some(zbe) = &zbe {
        check_zbe_action(cx, zbe, event, trigger);
    }
    let own_movement = zbe.as_ref().is_some_and(|zbe| zbe.own);
    let encounter = match (event, pv1) {
        (Event::Person, _) => None,
        (_, Some(pv1)) => Some(encounter_key(cx, pv1, &patient)),
        (_, None) => {
            cx.warn(format!(
                "PV1 absent : événement {trigger} sans séjour, seul le patient est mis à jour"
            ));
            None
        }
    };
    if let (Some(encounter), Some(pv1)) = (&encounter, pv1) {
        let movement = Movement {
            encounter: encounter.clone(),
            patient: patient.clone(),
            pv1,
            zbe,
        };
        let fact = movement_fact(cx, event, movement)?;
        facts.extend(fact.map(|fact| own_if(own_movement, fact)));
    } else if event == Event::Transfer {
        return Err(missing_destination());
    }
    facts.extend(clinical::map(cx, &patient, encounter.as_ref()));
    Ok(facts)
}

/// A fact of the node's own documentation coming back (an identity or a
/// movement under ckisa's namespace): wrapped as typed documentation, so
/// that the care book recognises the item and marks it confirmed, while
/// the store projects the inner fact as a feed's. Only the facts the care
/// book can recognise ([`ckisa_domain::CareFact`] items with a key:
/// identity, admission, transfer, discharge) are wrapped.
fn own_if(own: bool, fact: Fact) -> Fact {
    let recognised = matches!(
        fact,
        Fact::PatientUpdated(_)
            | Fact::StayUpdated(_)
            | Fact::Transferred { .. }
            | Fact::Discharged { .. }
    );
    if own && recognised {
        Fact::Care(CareFact::Entered(Box::new(fact)))
    } else {
        fact
    }
}

fn required_pid<'a>(cx: &Cx<'_, 'a>) -> Result<Segment<'a>, MapRejection> {
    cx.msg.segment("PID").ok_or_else(|| {
        MapRejection::error(
            "PID",
            0,
            error_code::REQUIRED_FIELD_MISSING,
            "PID absent : identifiant patient obligatoire".to_owned(),
        )
    })
}

/// What a movement needs besides the event.
struct Movement<'a> {
    encounter: EncounterKey,
    patient: PatientKey,
    pv1: Segment<'a>,
    zbe: Option<Zbe>,
}

fn movement_fact(
    cx: &mut Cx<'_, '_>,
    event: Event,
    movement: Movement<'_>,
) -> Result<Option<Fact>, MapRejection> {
    let Movement {
        encounter,
        patient,
        pv1,
        zbe,
    } = movement;
    let movement_id = zbe.as_ref().and_then(|zbe| zbe.movement_id.clone());
    Ok(Some(match event {
        Event::Person | Event::Merge | Event::MoveAccount => return Ok(None),
        Event::Stay(trigger) => {
            Fact::StayUpdated(stay(cx, trigger, pv1, zbe.as_ref(), encounter, patient))
        }
        Event::Transfer => {
            let to = place(cx, pv1, zbe.as_ref())
                .value()
                .cloned()
                .ok_or_else(missing_destination)?;
            let at = effective_time(cx, zbe.as_ref());
            Fact::Transferred {
                encounter,
                patient,
                to,
                at,
                movement_id,
            }
        }
        Event::Discharge => {
            let discharged = cx.moment(pv1.field(45), at("PV1", 45));
            let at = discharged.or_else(|| effective_time(cx, zbe.as_ref()));
            Fact::Discharged {
                encounter,
                patient,
                at,
            }
        }
        Event::CancelAdmit => Fact::AdmissionCancelled { encounter, patient },
        Event::CancelTransfer => Fact::TransferCancelled {
            encounter,
            patient,
            back_to: place(cx, pv1, zbe.as_ref()).value().cloned(),
        },
        Event::CancelDischarge => Fact::DischargeCancelled {
            encounter,
            patient,
            place: place(cx, pv1, zbe.as_ref()).value().cloned(),
        },
        Event::Leave(leave) => Fact::LeaveOfAbsence {
            encounter,
            patient,
            leave,
        },
    }))
}

fn missing_destination() -> MapRejection {
    MapRejection::error(
        "PV1",
        3,
        error_code::REQUIRED_FIELD_MISSING,
        "PV1-3 absent : nouvelle localisation (unité de soins) obligatoire pour un transfert (A02)"
            .to_owned(),
    )
}

fn stay(
    cx: &mut Cx<'_, '_>,
    trigger: &str,
    pv1: Segment<'_>,
    zbe: Option<&Zbe>,
    encounter: EncounterKey,
    patient: PatientKey,
) -> StayUpdate {
    let class = cx.text(pv1.field(2).component(1), at("PV1", 2));
    let discharged = pv1.field(45).has_value();
    let in_house = match trigger {
        "A01" | "A06" => true,
        "A04" => matches!(class.as_deref(), Some("E" | "I")),
        "A08" => !discharged && !matches!(class.as_deref(), Some("O" | "R" | "P" | "B")),
        _ => false,
    };
    StayUpdate {
        encounter,
        patient,
        place: place(cx, pv1, zbe),
        class,
        admitted_at: cx.moment(pv1.field(44), at("PV1", 44)),
        attending: cx.xcn(pv1.field(7).repetition(1), at("PV1", 7)),
        in_house,
        effective_at: effective_time(cx, zbe),
        movement_id: zbe.and_then(|zbe| zbe.movement_id.clone()),
    }
}

/// PV1-3, completed by the ZBE medical unit when PL-1 is empty (PAM FR).
fn place(cx: &mut Cx<'_, '_>, pv1: Segment<'_>, zbe: Option<&Zbe>) -> Tri<Place> {
    let field = pv1.field(3);
    if field.is_null() {
        return Tri::Null;
    }
    let loc = at("PV1", 3);
    let rep = field.repetition(1);
    if let Some(place) = cx.place(rep, loc) {
        return Tri::Value(place);
    }
    if let Some(unit) = zbe.and_then(|zbe| zbe.unit.clone()) {
        return Tri::Value(Place {
            unit,
            room: cx.first_sub(rep.component(2), loc.comp(2)),
            bed: cx.first_sub(rep.component(3), loc.comp(3)),
            facility: cx.first_sub(rep.component(4), loc.comp(4)),
        });
    }
    if !field.is_empty() {
        cx.warn("PV1-3 : pas d'unité de soins (PV1-3.1), localisation non mise à jour".to_owned());
    }
    Tri::Absent
}

/// EVN-6 (event occurred), else ZBE-2 (movement time), else EVN-2 (recorded).
fn effective_time(cx: &mut Cx<'_, '_>, zbe: Option<&Zbe>) -> Option<Moment> {
    let evn = cx.msg.segment("EVN");
    let occurred = evn.and_then(|evn| event_occurred(cx, evn));
    occurred
        .or_else(|| zbe.and_then(|zbe| zbe.at))
        .or_else(|| evn.and_then(|evn| cx.moment(evn.field(2), at("EVN", 2))))
}

/// EVN-6; senders that shift EVN by one put it in EVN-7 (an HD in v2.5): a bare timestamp
/// there is read, with a warning.
fn event_occurred(cx: &mut Cx<'_, '_>, evn: Segment<'_>) -> Option<Moment> {
    if evn.field(6).has_value() {
        return cx.moment(evn.field(6), at("EVN", 6));
    }
    let shifted = evn.field(7);
    let looks_like_time = shifted
        .raw_str()
        .is_some_and(|raw| raw.len() >= 12 && ckisa_hl7::ts::Ts::parse(raw).is_ok());
    if !looks_like_time {
        return None;
    }
    cx.warn(
        "EVN-7 : date trouvée en EVN-7 au lieu d'EVN-6, lue comme date de l'événement".to_owned(),
    );
    cx.moment(shifted, at("EVN", 7))
}

/// The stay named by PV1 (see the module doc for the rule).
fn encounter_key(cx: &mut Cx<'_, '_>, pv1: Segment<'_>, patient: &PatientKey) -> EncounterKey {
    if let Some(key) = visit_key(cx, pv1.field(19).repetition(1), at("PV1", 19)) {
        return key;
    }
    if let Some(admitted) = cx.moment(pv1.field(44), at("PV1", 44)) {
        return EncounterKey(format!("{patient}#{}", admitted.to_iso()));
    }
    cx.warn(
        "PV1-19 et PV1-44 absents : séjour rattaché au séjour sans numéro du patient".to_owned(),
    );
    EncounterKey(format!("{patient}#sans-numero"))
}

/// A visit number (CX) as a stay key.
pub(super) fn visit_key(
    cx: &mut Cx<'_, '_>,
    rep: Repetition<'_>,
    loc: Loc,
) -> Option<EncounterKey> {
    let visit = cx.cx(rep, loc)?;
    let authority = match visit.namespace.or(visit.universal) {
        Some(authority) => authority,
        None => cx.sender(),
    };
    // A stay key ckisa wrote under its own namespace is the key itself.
    if authority == super::downtime::NAMESPACE {
        return Some(EncounterKey(visit.id));
    }
    Some(EncounterKey(format!("vn:{authority}|{}", visit.id)))
}

/// What the node uses of a PAM FR ZBE segment.
#[derive(Debug, Clone, PartialEq)]
struct Zbe {
    movement_id: Option<String>,
    /// ZBE-1.2 is ckisa's namespace: a movement documented on a node.
    own: bool,
    at: Option<Moment>,
    action: Option<String>,
    original_trigger: Option<String>,
    unit: Option<String>,
}

const ACTIONS: [&str; 3] = ["INSERT", "UPDATE", "CANCEL"];

/// Reads ZBE, coping with senders that shift it by one field after ZBE-3.
fn read_zbe(cx: &mut Cx<'_, '_>) -> Option<Zbe> {
    let zbe = cx.msg.segment("ZBE")?;
    let action_at = |cx: &mut Cx<'_, '_>, n: usize| {
        cx.text(zbe.field(n), at("ZBE", n))
            .filter(|word| ACTIONS.contains(&word.as_str()))
    };
    let (action, shift) = match action_at(cx, 4) {
        Some(action) => (Some(action), 0),
        None => match action_at(cx, 5) {
            Some(action) => {
                cx.warn(format!(
                    "ZBE-5 : action « {action} » trouvée en ZBE-5 au lieu de ZBE-4 (segment décalé \
                     d'un champ), ZBE lu avec ce décalage"
                ));
                (Some(action), 1)
            }
            None => {
                if let Some(other) = cx.text(zbe.field(4), at("ZBE", 4)) {
                    cx.warn(format!(
                        "ZBE-4 : action « {other} » inconnue (INSERT/UPDATE/CANCEL)"
                    ));
                }
                (None, 0)
            }
        },
    };
    let movement_id = cx.text(zbe.field(1).component(1), at("ZBE", 1));
    let own = cx
        .text(zbe.field(1).component(2), at("ZBE", 1).comp(2))
        .as_deref()
        == Some(super::downtime::NAMESPACE);
    let at_time = match cx.moment(zbe.field(2), at("ZBE", 2)) {
        Some(time) => Some(time),
        None => cx.moment(zbe.field(3), at("ZBE", 3)),
    };
    let original_trigger = cx.text(zbe.field(6 + shift), at("ZBE", 6 + shift));
    let unit_field = zbe.field(7 + shift);
    let unit_loc = at("ZBE", 7 + shift);
    let unit = cx
        .text(unit_field.component(1), unit_loc.comp(1))
        .or_else(|| cx.text(unit_field.component(10), unit_loc.comp(10)));
    Some(Zbe {
        movement_id,
        own,
        at: at_time,
        action,
        original_trigger,
        unit,
    })
}

/// PAM FR pairs cancellations (A11, A12, A13) with ZBE-4 CANCEL; say so when they disagree.
fn check_zbe_action(cx: &mut Cx<'_, '_>, zbe: &Zbe, event: Event, trigger: &str) {
    let cancel_event = matches!(
        event,
        Event::CancelAdmit | Event::CancelTransfer | Event::CancelDischarge
    );
    match zbe.action.as_deref() {
        Some("CANCEL") if !cancel_event => cx.warn(format!(
            "ZBE-4 : action CANCEL sur un événement {trigger}, traité comme {trigger}"
        )),
        Some(action) if cancel_event && action != "CANCEL" => cx.warn(format!(
            "ZBE-4 : action « {action} » sur une annulation {trigger} (CANCEL attendu)"
        )),
        _ => {}
    }
}

/// A40: each PID/MRG pair merges MRG-1 into PID-3.
fn merge(cx: &mut Cx<'_, '_>) -> Result<Vec<Fact>, MapRejection> {
    let mut facts = Vec::new();
    let mut current: Option<(PatientKey, Segment<'_>)> = None;
    let segments: Vec<Segment<'_>> = cx.msg.segments().collect();
    for segment in segments {
        if segment.is("PID") {
            let update = patient::read_pid(cx, segment)?;
            current = Some((update.patient.clone(), segment));
            facts.push(Fact::PatientUpdated(update));
        } else if segment.is("MRG") {
            let Some((survivor, pid)) = &current else {
                return Err(missing_pid_before_mrg());
            };
            let merged = merged_key(cx, segment, *pid, survivor)?;
            facts.push(Fact::PatientsMerged {
                survivor: survivor.clone(),
                merged,
            });
        }
    }
    if !facts
        .iter()
        .any(|fact| matches!(fact, Fact::PatientsMerged { .. }))
    {
        return Err(MapRejection::error(
            "MRG",
            0,
            error_code::SEGMENT_SEQUENCE,
            "segment MRG absent : fusion (A40) impossible sans le patient à fusionner".to_owned(),
        ));
    }
    Ok(facts)
}

fn missing_pid_before_mrg() -> MapRejection {
    MapRejection::error(
        "PID",
        0,
        error_code::SEGMENT_SEQUENCE,
        "PID absent avant MRG : patient conservé inconnu".to_owned(),
    )
}

/// MRG-1's key, refusing a merge of a patient with itself (B20).
fn merged_key(
    cx: &mut Cx<'_, '_>,
    mrg: Segment<'_>,
    pid: Segment<'_>,
    survivor: &PatientKey,
) -> Result<PatientKey, MapRejection> {
    let merged = patient::key_from(cx, mrg.field(1), "MRG", 1).map_err(|_| {
        MapRejection::error(
            "MRG",
            1,
            error_code::REQUIRED_FIELD_MISSING,
            "MRG-1 absent : identifiant du patient à fusionner obligatoire".to_owned(),
        )
    })?;
    let old_ids = patient::identifiers(cx, mrg.field(1), at("MRG", 1));
    let new_ids = patient::identifiers(cx, pid.field(3), at("PID", 3));
    let shared = old_ids.iter().any(|id| new_ids.contains(id));
    if merged == *survivor || shared {
        return Err(MapRejection::error(
            "MRG",
            1,
            error_code::APPLICATION_ERROR,
            "MRG-1 identique à PID-3 : fusion d'un patient avec lui-même refusée".to_owned(),
        ));
    }
    Ok(merged)
}

/// A44: the stay MRG-5 moves from patient MRG-1 to patient PID-3.
fn move_account(cx: &mut Cx<'_, '_>) -> Result<Vec<Fact>, MapRejection> {
    let pid = required_pid(cx)?;
    let update = patient::read_pid(cx, pid)?;
    let to = update.patient.clone();
    let mrg = cx.msg.segment("MRG").ok_or_else(|| {
        MapRejection::error(
            "MRG",
            0,
            error_code::SEGMENT_SEQUENCE,
            "segment MRG absent : déplacement de séjour (A44) impossible".to_owned(),
        )
    })?;
    let from = merged_key(cx, mrg, pid, &to)?;
    let encounter = visit_key(cx, mrg.field(5).repetition(1), at("MRG", 5)).ok_or_else(|| {
        MapRejection::error(
            "MRG",
            5,
            error_code::REQUIRED_FIELD_MISSING,
            "MRG-5 absent : numéro du séjour à déplacer obligatoire".to_owned(),
        )
    })?;
    Ok(vec![
        Fact::PatientUpdated(update),
        Fact::EncounterMoved {
            encounter,
            from,
            to,
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{kinds, map, map_ok, msg, seg};
    use super::super::{AckKind, Mapped};
    use super::*;
    use ckisa_domain::OffsetOrigin;

    const PID: &str = "PID|1||P1^^^HOSP^PI||DOE^JOHN||19600101|M";

    fn adt(trigger: &str, rest: &str) -> Mapped {
        map_ok(&msg(
            &format!("ADT^{trigger}"),
            &format!("EVN|{trigger}|20240101120000\r{PID}\r{rest}"),
        ))
    }

    fn fact(mapped: &Mapped, kind: &str) -> Fact {
        mapped
            .facts
            .iter()
            .find(|f| f.kind() == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} in {:?}", kinds(mapped)))
    }

    #[test]
    fn admission_builds_a_stay() {
        let pv1 = seg(
            "PV1",
            &[
                (2, "I"),
                (3, "CARDIO^12^2^HOSP"),
                (7, "123^Martin^Paul"),
                (19, "V42^^^HOSP"),
                (44, "20240101110000"),
            ],
        );
        let mapped = adt("A01", &pv1);
        assert_eq!(kinds(&mapped), ["patient", "stay"]);
        let Fact::StayUpdated(stay) = fact(&mapped, "stay") else {
            unreachable!()
        };
        assert_eq!(stay.encounter.as_str(), "vn:HOSP|V42");
        assert_eq!(stay.patient.as_str(), "ipp:HOSP|P1");
        assert_eq!(stay.place.value().unwrap().unit, "CARDIO");
        assert_eq!(stay.place.value().unwrap().bed.as_deref(), Some("2"));
        assert_eq!(stay.class.as_deref(), Some("I"));
        assert!(stay.in_house);
        assert_eq!(
            stay.attending.unwrap().display.as_deref(),
            Some("Dr Paul MARTIN")
        );
        assert_eq!(stay.admitted_at.unwrap().hour, 11);
        assert_eq!(stay.effective_at.unwrap().hour, 12);
    }

    #[test]
    fn in_house_depends_on_the_event() {
        let pv1 = |class: &str| format!("PV1|1|{class}|U1|||||||||||||||||V1");
        let stay_of = |mapped: Mapped| match fact(&mapped, "stay") {
            Fact::StayUpdated(stay) => stay,
            _ => unreachable!(),
        };
        assert!(!stay_of(adt("A05", &pv1("I"))).in_house);
        assert!(!stay_of(adt("A04", &pv1("O"))).in_house);
        assert!(stay_of(adt("A04", &pv1("E"))).in_house);
        assert!(stay_of(adt("A08", &pv1("I"))).in_house);
        assert!(!stay_of(adt("A08", &pv1("O"))).in_house);
    }

    #[test]
    fn person_updates_have_no_stay_and_a08_without_pv1_is_patient_only() {
        assert_eq!(kinds(&adt("A31", "PV1|1|I|U1")), ["patient"]);
        assert_eq!(kinds(&adt("A28", "")), ["patient"]);
        let mapped = adt("A08", "");
        assert_eq!(kinds(&mapped), ["patient"]);
        assert!(mapped.warnings.iter().any(|w| w.starts_with("PV1 absent")));
    }

    #[test]
    fn stay_key_fallbacks() {
        let mapped = adt("A01", &seg("PV1", &[(3, "U1"), (44, "20240101110000")]));
        let Fact::StayUpdated(stay) = fact(&mapped, "stay") else {
            unreachable!()
        };
        assert_eq!(
            stay.encounter.as_str(),
            "ipp:HOSP|P1#2024-01-01T11:00:00+01:00"
        );
        let mapped = adt("A01", "PV1|1|I|U1");
        let Fact::StayUpdated(stay) = fact(&mapped, "stay") else {
            unreachable!()
        };
        assert_eq!(stay.encounter.as_str(), "ipp:HOSP|P1#sans-numero");
        assert!(mapped.warnings.iter().any(|w| w.starts_with("PV1-19")));
    }

    #[test]
    fn transfer_needs_a_destination() {
        let mapped = adt("A02", "PV1|1|I|NEURO^3^1|||CARDIO^12^2||||||||||||||V1");
        let Fact::Transferred { to, at, .. } = fact(&mapped, "transfer") else {
            unreachable!()
        };
        assert_eq!(to.unit, "NEURO");
        assert_eq!(at.unwrap().hour, 12);
        for rest in ["PV1|1|I|||||||||||||||||V1", "PV1|1|I|^^^HOSP", ""] {
            let text = msg("ADT^A02", &format!("EVN|A02|20240101120000\r{PID}\r{rest}"));
            let rejection = map(&text).unwrap_err();
            assert_eq!(rejection.ack_code, AckKind::Error);
            assert_eq!((rejection.segment.as_str(), rejection.field), ("PV1", 3));
            assert_eq!(rejection.hl7_error_code, 101);
        }
    }

    #[test]
    fn discharge_time_prefers_pv1_45() {
        let pv1 = seg(
            "PV1",
            &[
                (3, "U1"),
                (19, "V1"),
                (44, "202401010900"),
                (45, "202401011430"),
            ],
        );
        let Fact::Discharged { at, .. } = fact(&adt("A03", &pv1), "discharge") else {
            unreachable!()
        };
        let at = at.unwrap();
        assert_eq!((at.hour, at.minute), (14, 30));
        assert_eq!(at.offset.unwrap().origin, OffsetOrigin::SiteZone);
        let Fact::Discharged { at, .. } = fact(&adt("A03", "PV1|1|I|U1"), "discharge") else {
            unreachable!()
        };
        assert_eq!(at.unwrap().hour, 12);
    }

    #[test]
    fn cancellations_and_leaves() {
        let pv1 = "PV1|1|I|CARDIO^12^2||||||||||||||||V1";
        assert_eq!(kinds(&adt("A11", pv1)), ["patient", "admission_cancelled"]);
        assert_eq!(kinds(&adt("A38", pv1)), ["patient", "admission_cancelled"]);
        let Fact::TransferCancelled { back_to, .. } = fact(&adt("A12", pv1), "transfer_cancelled")
        else {
            unreachable!()
        };
        assert_eq!(back_to.unwrap().unit, "CARDIO");
        assert_eq!(kinds(&adt("A13", pv1)), ["patient", "discharge_cancelled"]);
        let Fact::LeaveOfAbsence { leave, .. } = fact(&adt("A21", pv1), "leave") else {
            unreachable!()
        };
        assert_eq!(leave, Leave::Started);
        let Fact::LeaveOfAbsence { leave, .. } = fact(&adt("A22", pv1), "leave") else {
            unreachable!()
        };
        assert_eq!(leave, Leave::Ended);
    }

    #[test]
    fn zbe_gives_movement_id_time_and_unit() {
        let mapped = map_ok(&msg(
            "ADT^A02",
            &format!(
                "EVN||20240101120000\r{PID}\rPV1|1|I|^^^HOSP||||||||||||||||V1\r\
                 ZBE|MVT7^HOSP|20240101113000||INSERT|N||URG^^^^^HOSP^UF^^^4401|"
            ),
        ));
        let Fact::Transferred {
            to,
            at,
            movement_id,
            ..
        } = fact(&mapped, "transfer")
        else {
            unreachable!()
        };
        assert_eq!(to.unit, "URG");
        assert_eq!(to.facility.as_deref(), Some("HOSP"));
        assert_eq!(movement_id.as_deref(), Some("MVT7"));
        assert_eq!((at.unwrap().hour, at.unwrap().minute), (11, 30));
        assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
    }

    #[test]
    fn shifted_zbe_is_read_with_a_warning() {
        let mapped = adt(
            "A03",
            "PV1|1|I|||||||||||||||||V1\rZBE|002^H|20240306110000|20260309102840||INSERT|N||Urgences^^^^^^UF^^^8782||HMS",
        );
        assert!(
            mapped
                .warnings
                .iter()
                .any(|w| w.starts_with("ZBE-5 : action « INSERT »"))
        );
        assert_eq!(kinds(&mapped), ["patient", "discharge"]);
    }

    #[test]
    fn z99_updates_the_movement_named_in_zbe6() {
        let mapped = map_ok(&msg(
            "ADT^Z99",
            &format!(
                "EVN||20240101120000\r{PID}\rPV1|1|I|NEURO||||||||||||||||V1\rZBE|M1|20240101100000||UPDATE|N|A02|NEURO"
            ),
        ));
        assert_eq!(kinds(&mapped), ["patient", "transfer"]);
    }

    #[test]
    fn merge_pairs_and_self_merge_b20() {
        let mapped = map_ok(&msg(
            "ADT^A40",
            "EVN|A40|20240101\rPID|1||P1^^^H^PI\rMRG|P2^^^H^PI\rPID|1||P3^^^H^PI\rMRG|P4^^^H^PI",
        ));
        assert_eq!(kinds(&mapped), ["patient", "merge", "patient", "merge"]);
        let Fact::PatientsMerged { survivor, merged } = &mapped.facts[3] else {
            unreachable!()
        };
        assert_eq!(
            (survivor.as_str(), merged.as_str()),
            ("ipp:H|P3", "ipp:H|P4")
        );
        let rejection = map(&msg("ADT^A40", "PID|1||P1^^^H^PI\rMRG|P1^^^H^PI")).unwrap_err();
        assert_eq!((rejection.segment.as_str(), rejection.field), ("MRG", 1));
        assert_eq!(rejection.ack_code, AckKind::Error);
        assert_eq!(rejection.hl7_error_code, 207);
        assert_eq!(
            rejection.reason,
            "MRG-1 identique à PID-3 : fusion d'un patient avec lui-même refusée"
        );
        let rejection = map(&msg("ADT^A40", "PID|1||P1^^^H^PI\rMRG|")).unwrap_err();
        assert_eq!((rejection.field, rejection.hl7_error_code), (1, 101));
        let rejection = map(&msg("ADT^A40", "PID|1||P1^^^H^PI")).unwrap_err();
        assert_eq!(
            (rejection.segment.as_str(), rejection.hl7_error_code),
            ("MRG", 100)
        );
    }

    #[test]
    fn move_account_a44() {
        let mapped = map_ok(&msg("ADT^A44", "PID|1||P2^^^H^PI\rMRG|P1^^^H^PI||||V9^^^H"));
        let Fact::EncounterMoved {
            encounter,
            from,
            to,
        } = &mapped.facts[1]
        else {
            panic!("{:?}", kinds(&mapped))
        };
        assert_eq!(
            (encounter.as_str(), from.as_str(), to.as_str()),
            ("vn:H|V9", "ipp:H|P1", "ipp:H|P2")
        );
        let rejection = map(&msg("ADT^A44", "PID|1||P2^^^H^PI\rMRG|P1^^^H^PI")).unwrap_err();
        assert_eq!((rejection.segment.as_str(), rejection.field), ("MRG", 5));
    }

    #[test]
    fn unknown_events_are_ignored_and_missing_events_rejected() {
        let mapped = map_ok(&msg("ADT^O01", PID));
        assert!(mapped.ignored);
        assert!(
            mapped
                .warnings
                .iter()
                .any(|w| w == "type de message non exploité : ADT^O01")
        );
        let mapped = map_ok(&msg("ADT", &format!("EVN|A31|20240101\r{PID}")));
        assert_eq!(kinds(&mapped), ["patient"]);
        let rejection = map(&msg("ADT", PID)).unwrap_err();
        assert_eq!(
            (rejection.ack_code, rejection.hl7_error_code),
            (AckKind::Reject, 201)
        );
    }

    #[test]
    fn adt_without_pid_is_rejected() {
        let rejection = map(&msg("ADT^A01", "EVN|A01|20240101\rPV1|1|I|U1")).unwrap_err();
        assert_eq!(
            (rejection.segment.as_str(), rejection.hl7_error_code),
            ("PID", 101)
        );
        assert_eq!(
            rejection.reason,
            "PID absent : identifiant patient obligatoire"
        );
    }

    /// What ckisa exported comes back wrapped as typed documentation: the
    /// identity whose key PID-3 names under CKISA, the movement whose ZBE-1
    /// is under CKISA. The HIS's own identity and movements are not.
    #[test]
    fn own_identity_and_movements_come_back_as_typed_documentation() {
        let pid = "PID|1||99000001^^^PROV^PI~ipp:PROV\\F\\99000001^^^CKISA^RI||X^Y";
        let a28 = map_ok(&msg(
            "ADT^A28",
            &format!("EVN|A28|20240101\r{pid}\rPV1|1|N"),
        ));
        let [Fact::Care(CareFact::Entered(inner))] = &a28.facts[..] else {
            panic!("{:?}", a28.facts)
        };
        let Fact::PatientUpdated(update) = inner.as_ref() else {
            panic!("{inner:?}")
        };
        assert_eq!(update.patient.as_str(), "ipp:PROV|99000001");
        assert_eq!(update.identifiers.len(), 1, "the mark is no identifier");

        let pv1 = "PV1|1|I|REA^2^1||||||||||||||||DT1^^^PROV^VN";
        let ours = map_ok(&msg(
            "ADT^A02",
            &format!("EVN|A02|20240101\r{PID}\r{pv1}\rZBE|m-1^CKISA|20240101||INSERT|N"),
        ));
        assert_eq!(kinds(&ours), ["patient", "care"]);
        let Fact::Care(CareFact::Entered(inner)) = &ours.facts[1] else {
            unreachable!()
        };
        assert!(
            matches!(inner.as_ref(), Fact::Transferred { movement_id: Some(id), .. } if id == "m-1"),
            "{inner:?}"
        );
        let theirs = map_ok(&msg(
            "ADT^A02",
            &format!("EVN|A02|20240101\r{PID}\r{pv1}\rZBE|m-1^SIH|20240101||INSERT|N"),
        ));
        assert_eq!(kinds(&theirs), ["patient", "transfer"]);
        // A cancellation has no key in the care book: never wrapped.
        let cancel = map_ok(&msg(
            "ADT^A12",
            &format!("EVN|A12|20240101\r{PID}\r{pv1}\rZBE|m-1^CKISA|20240101||CANCEL|N"),
        ));
        assert_eq!(kinds(&cancel), ["patient", "transfer_cancelled"]);
    }
}
