//! Appointments (HL7 v2.5.1 ch. 10): SIU^S12 (new booking), S13 (rescheduled), S14 (modified),
//! S15 (cancelled), S17 (deleted) and S26 (no-show) become the patient's demographics and one
//! [`Appointment`]. Other SIU events (S16 discontinued series, S18 to S25 changes of one
//! resource, blocks of time...) are acknowledged and counted as ignored.
//!
//! - Id: SCH-2 filler appointment id, else SCH-1 placer id, under the patient
//!   (`hl7:<patient>|appointment|<authority>|<id>`, see [`super::ids`]), so that the S12, S13,
//!   S14 and S15 of one appointment update one record.
//! - Start and duration: the first resource segment giving a start (AIS-4, else AIL-6, else
//!   AIP-6, with that segment's duration AIS-7/8 or AIx-9/10), else SCH-11 (TQ-4 start; SCH-9/10,
//!   TQ-3 or the TQ-5 end), else TQ1 (TQ1-7 start; TQ1-13 or the TQ1-8 end). Resource segments
//!   come first because a modification (S14) changes them while many senders leave SCH-11 as
//!   first booked; a SCH-11 start that disagrees is reported. Without units a duration is in
//!   minutes.
//! - Resource segments removed from the appointment (action code D or C, table 0206) are
//!   skipped, unless they all are: a cancellation lists what it cancels.
//! - Clinic: AIL-3 (PL-9 description, else PL-1 point of care), else AIL-4 location type.
//!   Practitioner: AIP-3. Reason: SCH-7, else SCH-8 appointment type, else AIS-3 service.
//! - Status: S15 and S17 cancel, S26 is a no-show; for S12 to S14 the SCH-25 filler status
//!   (table 0278) may say cancelled (Cancelled, Deleted, DC), no-show (Noshow) or done
//!   (Complete), anything else is booked.
//!
//! Refused (AE): no SCH, no appointment id, no readable start. A SIU without PID (a slot
//! blocked on a resource) is ignored: it books no one.

use ckisa_domain::{Appointment, AppointmentStatus, Fact, Moment, PatientKey, ResourceRef};
use ckisa_hl7::{Repetition, Segment};

use super::ids::fact_id;
use super::read::{Cx, Loc, at};
use super::{MapRejection, adt, clinical, error_code, patient, time, type_label};

/// The longest duration read as such (a week); anything longer is a sender's mistake.
const MAX_MINUTES: f64 = 7.0 * 24.0 * 60.0;

/// What a SIU event does to its appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    /// S12, S13, S14: the booking as it now stands.
    Booking,
    /// S15 cancelled, S17 deleted.
    Cancellation,
    /// S26: the patient did not come.
    NoShow,
}

fn event_of(trigger: &str) -> Option<Event> {
    Some(match trigger {
        "S12" | "S13" | "S14" => Event::Booking,
        "S15" | "S17" => Event::Cancellation,
        "S26" => Event::NoShow,
        _ => return None,
    })
}

/// Maps a SIU message; `Ok(None)` for events the node does not project.
pub(super) fn map(cx: &mut Cx<'_, '_>, trigger: &str) -> Result<Option<Vec<Fact>>, MapRejection> {
    let Some(event) = event_of(trigger) else {
        return Ok(None);
    };
    let label = type_label("SIU", trigger);
    let Some(sch) = cx.msg.segment("SCH") else {
        return Err(MapRejection::error(
            "SCH",
            0,
            error_code::SEGMENT_SEQUENCE,
            format!("SCH absent : {label} sans segment de rendez-vous refusé"),
        ));
    };
    let Some(pid) = cx.msg.segment("PID") else {
        cx.warn(format!(
            "PID absent : {label} sans patient (créneau ou ressource seule), aucun rendez-vous \
             enregistré"
        ));
        return Ok(None);
    };
    let update = patient::read_pid(cx, pid)?;
    let patient = update.patient.clone();
    let id = appointment_id(cx, sch, &patient)?;
    let resources = Resources::of(cx);
    let (start, minutes) = timing(cx, sch, &resources)?;
    let appointment = Appointment {
        id,
        patient: patient.clone(),
        start,
        minutes,
        clinic: clinic(cx, &resources),
        practitioner: practitioner(cx, &resources),
        reason: reason(cx, sch, &resources),
        status: status(cx, sch, event, &label),
    };
    let encounter = cx
        .msg
        .segment("PV1")
        .and_then(|pv1| adt::visit_key(cx, pv1.field(19).repetition(1), at("PV1", 19)));
    let mut facts = vec![
        Fact::PatientUpdated(update),
        Fact::AppointmentRecorded(appointment),
    ];
    facts.extend(clinical::map(cx, &patient, encounter.as_ref()));
    Ok(Some(facts))
}

/// SCH-2 filler id, else SCH-1 placer id, under the patient.
fn appointment_id(
    cx: &mut Cx<'_, '_>,
    sch: Segment<'_>,
    patient: &PatientKey,
) -> Result<String, MapRejection> {
    let found = cx
        .ei(sch.field(2).repetition(1), at("SCH", 2))
        .or_else(|| cx.ei(sch.field(1).repetition(1), at("SCH", 1)));
    let Some((number, authority)) = found else {
        return Err(MapRejection::error(
            "SCH",
            2,
            error_code::REQUIRED_FIELD_MISSING,
            "SCH-2 et SCH-1 absents : identifiant du rendez-vous obligatoire".to_owned(),
        ));
    };
    Ok(fact_id(patient, "appointment", &[&authority, &number]))
}

/// A resource segment, in the order their timing is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// AIS: the service booked.
    Service,
    /// AIL: the place.
    Location,
    /// AIP: a person.
    Personnel,
}

impl Kind {
    fn of(name: &str) -> Option<Kind> {
        Some(match name {
            "AIS" => Kind::Service,
            "AIL" => Kind::Location,
            "AIP" => Kind::Personnel,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Service => "AIS",
            Kind::Location => "AIL",
            Kind::Personnel => "AIP",
        }
    }

    /// Field numbers of the start, the duration and its units.
    fn timing_fields(self) -> (usize, usize, usize) {
        match self {
            Kind::Service => (4, 7, 8),
            Kind::Location | Kind::Personnel => (6, 9, 10),
        }
    }
}

/// The resource segments that describe the appointment as it stands.
struct Resources<'a> {
    kept: Vec<(Kind, Segment<'a>)>,
}

impl<'a> Resources<'a> {
    fn of(cx: &mut Cx<'_, 'a>) -> Resources<'a> {
        let all: Vec<(Kind, Segment<'a>)> = cx
            .msg
            .segments()
            .filter_map(|segment| Some((Kind::of(segment.name())?, segment)))
            .collect();
        let mut kept = Vec::with_capacity(all.len());
        for &(kind, segment) in &all {
            let action = cx.text(segment.field(2), at(kind.name(), 2));
            let removed =
                action.is_some_and(|a| a.eq_ignore_ascii_case("D") || a.eq_ignore_ascii_case("C"));
            if !removed {
                kept.push((kind, segment));
            }
        }
        if kept.is_empty() {
            kept = all;
        }
        Resources { kept }
    }

    fn of_kind(&self, kind: Kind) -> impl Iterator<Item = Segment<'a>> + '_ {
        self.kept
            .iter()
            .filter(move |(k, _)| *k == kind)
            .map(|(_, segment)| *segment)
    }
}

/// Where a start is read from.
#[derive(Clone, Copy)]
enum Source<'a> {
    Resource(Kind, Segment<'a>),
    Sch(Segment<'a>),
    Tq1(Segment<'a>),
}

impl Source<'_> {
    /// The start as text, and where it is.
    fn start_text(self, cx: &mut Cx<'_, '_>) -> Option<(String, Loc)> {
        let (value, loc) = match self {
            Source::Resource(kind, segment) => {
                let number = kind.timing_fields().0;
                let loc = at(kind.name(), number);
                (cx.text(segment.field(number).component(1), loc), loc)
            }
            Source::Sch(sch) => {
                let loc = at("SCH", 11).comp(4);
                let tq = sch.field(11).repetition(1);
                (cx.text(tq.component(4).subcomponent(1), loc), loc)
            }
            Source::Tq1(tq1) => {
                let loc = at("TQ1", 7);
                (cx.text(tq1.field(7).component(1), loc), loc)
            }
        };
        Some((value?, loc))
    }
}

/// The start and duration (see the module doc for the order of the sources).
fn timing(
    cx: &mut Cx<'_, '_>,
    sch: Segment<'_>,
    resources: &Resources<'_>,
) -> Result<(Moment, Option<u32>), MapRejection> {
    let mut sources: Vec<Source<'_>> = Vec::new();
    for kind in [Kind::Service, Kind::Location, Kind::Personnel] {
        sources.extend(resources.of_kind(kind).map(|s| Source::Resource(kind, s)));
    }
    sources.push(Source::Sch(sch));
    sources.extend(cx.msg.segments_named("TQ1").map(Source::Tq1));

    let mut unreadable: Option<(Loc, String)> = None;
    for source in sources {
        let Some((text, loc)) = source.start_text(cx) else {
            continue;
        };
        match time::moment(&text, cx.header_offset, Some(&cx.ctx.site_zone)) {
            Ok(start) => {
                if let Some((first, reason)) = unreadable {
                    cx.warn(format!("{first} : {reason}, {loc} retenu"));
                }
                if !matches!(source, Source::Sch(_)) {
                    check_against_sch(cx, sch, &start, loc);
                }
                let minutes = duration(cx, source, sch, &start);
                return Ok((start, minutes));
            }
            Err(reason) => {
                let reason = format!("heure de début illisible ({reason})");
                unreadable.get_or_insert((loc, reason));
            }
        }
    }
    Err(match unreadable {
        Some((loc, reason)) => MapRejection::error(
            loc.segment,
            loc.field,
            error_code::DATA_TYPE,
            format!("{loc} : {reason}"),
        ),
        None => MapRejection::error(
            "SCH",
            11,
            error_code::REQUIRED_FIELD_MISSING,
            "SCH-11 absent : heure de début du rendez-vous obligatoire (ni AIS-4, AIL-6, AIP-6 \
             ni TQ1-7)"
                .to_owned(),
        ),
    })
}

/// Reports a SCH-11 start that says another time than the one kept.
fn check_against_sch(cx: &mut Cx<'_, '_>, sch: Segment<'_>, start: &Moment, kept: Loc) {
    let Some((text, loc)) = Source::Sch(sch).start_text(cx) else {
        return;
    };
    let Ok(stated) = time::moment(&text, cx.header_offset, Some(&cx.ctx.site_zone)) else {
        cx.warn(format!("{loc} : début illisible « {text} », {kept} retenu"));
        return;
    };
    if stated.sort_key() != start.sort_key() {
        let zone = &cx.ctx.site_zone;
        let (stated, start) = (stated.display_fr(zone), start.display_fr(zone));
        cx.warn(format!(
            "{loc} : début {stated} différent de {kept} ({start}), {kept} retenu"
        ));
    }
}

/// The duration that goes with the chosen start.
fn duration(
    cx: &mut Cx<'_, '_>,
    source: Source<'_>,
    sch: Segment<'_>,
    start: &Moment,
) -> Option<u32> {
    match source {
        Source::Resource(kind, segment) => {
            let (_, amount, units) = kind.timing_fields();
            let name = kind.name();
            let units = (segment.field(units).repetition(1), at(name, units));
            amount_in_minutes(cx, segment.field(amount), at(name, amount), units)
                .or_else(|| appointment_minutes(cx, sch))
        }
        Source::Sch(sch) => appointment_minutes(cx, sch).or_else(|| {
            let loc = at("SCH", 11).comp(5);
            let end = sch.field(11).repetition(1).component(5).subcomponent(1);
            let end = cx.moment(end, loc)?;
            minutes_between(cx, start, &end, loc)
        }),
        Source::Tq1(tq1) => tq1_minutes(cx, tq1)
            .or_else(|| appointment_minutes(cx, sch))
            .or_else(|| {
                let end = cx.moment(tq1.field(8), at("TQ1", 8))?;
                minutes_between(cx, start, &end, at("TQ1", 8))
            }),
    }
}

/// TQ1-13 occurrence duration (CQ: quantity^units).
fn tq1_minutes(cx: &mut Cx<'_, '_>, tq1: Segment<'_>) -> Option<u32> {
    let quantity = tq1.field(13).repetition(1);
    let loc = at("TQ1", 13);
    let amount = cx.text(quantity.component(1), loc.comp(1))?;
    let units = quantity.component(2);
    let unit = cx
        .text(units.subcomponent(1), loc.comp(2))
        .or_else(|| cx.text(units.subcomponent(2), loc.comp(2)));
    let factor = factor_of(cx, unit, loc.comp(2))?;
    in_minutes(cx, &amount, factor, loc.comp(1))
}

/// The appointment's own duration: SCH-9 in SCH-10 units, else SCH-11.3 (TQ-3: `M30`, `H1`,
/// or a number in SCH-10 units).
fn appointment_minutes(cx: &mut Cx<'_, '_>, sch: Segment<'_>) -> Option<u32> {
    let units = (sch.field(10).repetition(1), at("SCH", 10));
    if let Some(minutes) = amount_in_minutes(cx, sch.field(9), at("SCH", 9), units) {
        return Some(minutes);
    }
    let loc = at("SCH", 11).comp(3);
    let text = cx.text(sch.field(11).repetition(1).component(3), loc)?;
    if text.eq_ignore_ascii_case("INDEF") {
        return None;
    }
    let (factor, amount) = match text.chars().next() {
        Some(letter) if letter.is_ascii_alphabetic() => {
            let factor = match letter.to_ascii_uppercase() {
                'S' => 1.0 / 60.0,
                'M' => 1.0,
                'H' => 60.0,
                'D' => 24.0 * 60.0,
                'W' => 7.0 * 24.0 * 60.0,
                _ => {
                    cx.warn(format!(
                        "{loc} : durée « {text} » illisible (S, M, H, D ou W suivi d'un nombre \
                         attendu), ignorée"
                    ));
                    return None;
                }
            };
            (Some(factor), &text[1..])
        }
        _ => (units_of(cx, units.0, units.1)?, text.as_str()),
    };
    in_minutes(cx, amount, factor, loc)
}

/// A duration field and the CE naming its units.
fn amount_in_minutes(
    cx: &mut Cx<'_, '_>,
    amount: ckisa_hl7::Field<'_>,
    amount_loc: Loc,
    (units, units_loc): (Repetition<'_>, Loc),
) -> Option<u32> {
    let text = cx.text(amount, amount_loc)?;
    let factor = units_of(cx, units, units_loc)?;
    in_minutes(cx, &text, factor, amount_loc)
}

/// Minutes per unit named by a CE (its code, else its text); see [`factor_of`].
fn units_of(cx: &mut Cx<'_, '_>, units: Repetition<'_>, loc: Loc) -> Option<Option<f64>> {
    let unit = cx
        .text(units.component(1), loc)
        .or_else(|| cx.text(units.component(2), loc));
    factor_of(cx, unit, loc)
}

/// Minutes per unit; `Some(None)` when no unit is given (minutes are meant), `None` (with a
/// warning) for a unit the node does not know.
fn factor_of(cx: &mut Cx<'_, '_>, unit: Option<String>, loc: Loc) -> Option<Option<f64>> {
    let Some(unit) = unit else {
        return Some(None);
    };
    match minutes_per(&unit) {
        Some(factor) => Some(Some(factor)),
        None => {
            cx.warn(format!(
                "{loc} : unité de durée « {unit} » inconnue, durée ignorée"
            ));
            None
        }
    }
}

/// Minutes in one unit of time, for the codes and words senders use (ISO+, ANSI, UCUM, TQ-3
/// letters, French and English words).
fn minutes_per(unit: &str) -> Option<f64> {
    Some(match unit.trim().to_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" | "seconde" | "secondes" => 1.0 / 60.0,
        "m" | "min" | "mins" | "mn" | "minute" | "minutes" => 1.0,
        "h" | "hr" | "hrs" | "hour" | "hours" | "heure" | "heures" => 60.0,
        "d" | "day" | "days" | "j" | "jour" | "jours" => 24.0 * 60.0,
        _ => return None,
    })
}

/// `amount` units as whole minutes; a warning naming `loc` when it is not a plausible duration.
fn in_minutes(cx: &mut Cx<'_, '_>, amount: &str, factor: Option<f64>, loc: Loc) -> Option<u32> {
    let value = amount.trim().replace(',', ".").parse::<f64>().ok();
    let minutes = value.map(|v| (v * factor.unwrap_or(1.0)).round());
    match minutes {
        Some(minutes) if (1.0..=MAX_MINUTES).contains(&minutes) => Some(minutes as u32),
        _ => {
            cx.warn(format!(
                "{loc} : durée « {amount} » illisible ou invraisemblable, ignorée"
            ));
            None
        }
    }
}

/// Minutes from `start` to `end`, both with a time of day; a warning when `end` is not after.
fn minutes_between(cx: &mut Cx<'_, '_>, start: &Moment, end: &Moment, loc: Loc) -> Option<u32> {
    if !start.has_time() || !end.has_time() {
        return None;
    }
    let minutes = (end.sort_key() - start.sort_key()) / 60_000;
    match u32::try_from(minutes) {
        Ok(minutes) if minutes > 0 && f64::from(minutes) <= MAX_MINUTES => Some(minutes),
        _ => {
            cx.warn(format!(
                "{loc} : fin du rendez-vous avant son début ou trop lointaine, durée ignorée"
            ));
            None
        }
    }
}

/// AIL-3 (PL-9 description, else PL-1 point of care), else AIL-4 location type.
fn clinic(cx: &mut Cx<'_, '_>, resources: &Resources<'_>) -> Option<String> {
    let loc = at("AIL", 3);
    for ail in resources.of_kind(Kind::Location) {
        for place in ail.field(3).repetitions() {
            let named = cx
                .text(place.component(9), loc.comp(9))
                .or_else(|| cx.first_sub(place.component(1), loc.comp(1)));
            if named.is_some() {
                return named;
            }
        }
        if let Some(kind) = cx.coded(ail.field(4).repetition(1), at("AIL", 4)) {
            return Some(kind.text);
        }
    }
    None
}

/// AIP-3: the first person named.
fn practitioner(cx: &mut Cx<'_, '_>, resources: &Resources<'_>) -> Option<ResourceRef> {
    for aip in resources.of_kind(Kind::Personnel) {
        for person in aip.field(3).repetitions() {
            if let Some(found) = cx.xcn(person, at("AIP", 3)) {
                return Some(found);
            }
        }
    }
    None
}

/// SCH-7 appointment reason, else SCH-8 appointment type, else AIS-3 service.
fn reason(cx: &mut Cx<'_, '_>, sch: Segment<'_>, resources: &Resources<'_>) -> Option<String> {
    for number in [7, 8] {
        if let Some(coded) = cx.coded(sch.field(number).repetition(1), at("SCH", number)) {
            return Some(coded.text);
        }
    }
    for ais in resources.of_kind(Kind::Service) {
        if let Some(service) = cx.coded(ais.field(3).repetition(1), at("AIS", 3)) {
            return Some(service.text);
        }
    }
    None
}

/// The event, then for a booking the SCH-25 filler status (table 0278).
fn status(cx: &mut Cx<'_, '_>, sch: Segment<'_>, event: Event, label: &str) -> AppointmentStatus {
    match event {
        Event::Cancellation => return AppointmentStatus::Cancelled,
        Event::NoShow => return AppointmentStatus::NoShow,
        Event::Booking => {}
    }
    let field = sch.field(25);
    let loc = at("SCH", 25);
    let code = cx
        .text(field.component(1), loc.comp(1))
        .or_else(|| cx.text(field.component(2), loc.comp(2)));
    let Some(code) = code else {
        return AppointmentStatus::Booked;
    };
    match code.to_ascii_lowercase().as_str() {
        "booked" | "pending" | "waitlist" | "started" | "overbook" | "blocked" => {
            AppointmentStatus::Booked
        }
        "cancelled" | "canceled" | "deleted" | "dc" => AppointmentStatus::Cancelled,
        "noshow" => AppointmentStatus::NoShow,
        "complete" => AppointmentStatus::Fulfilled,
        _ => {
            cx.warn(format!(
                "SCH-25 : statut « {code} » absent de la table 0278, rendez-vous {label} lu \
                 comme réservé"
            ));
            AppointmentStatus::Booked
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{kinds, map, map_ok, msg, seg};
    use super::super::{AckKind, Mapped};
    use super::*;

    fn appointment(mapped: &Mapped) -> &Appointment {
        mapped
            .facts
            .iter()
            .find_map(|fact| match fact {
                Fact::AppointmentRecorded(a) => Some(a),
                _ => None,
            })
            .expect("an appointment")
    }

    /// A SIU of event `trigger` with these SCH fields and resource segments.
    fn siu(trigger: &str, sch: &[(usize, &str)], rest: &str) -> String {
        msg(
            &format!("SIU^{trigger}"),
            &format!(
                "{}\rPID|1||P1^^^H^PI||DUPONT^JEANNE\r{rest}",
                seg("SCH", sch)
            ),
        )
    }

    const AIL: &str = "AIL|1|A|CS-CARDIO^^^CHU^^^^^Consultation de cardiologie||\
                       |20240315093000+0100|||30|min";
    const AIP: &str = "AIP|1|A|10101^MARTIN^Luc^^^Dr^^^RPPS|D||20240315093000+0100|||30|min";

    #[test]
    fn new_booking_reads_every_field() {
        let text = siu(
            "S12",
            &[(2, "RV42^CHU"), (7, "^Suivi d'infarctus"), (25, "Booked")],
            &format!("RGS|1|A\r{AIL}\r{AIP}"),
        );
        let mapped = map_ok(&text);
        assert_eq!(kinds(&mapped), ["patient", "appointment"]);
        let a = appointment(&mapped);
        assert_eq!(a.id, "hl7:ipp:H|P1|appointment|CHU|RV42");
        assert_eq!(a.patient, PatientKey::ipp("H", "P1"));
        assert_eq!(a.start.to_iso(), "2024-03-15T09:30:00+01:00");
        assert_eq!(a.minutes, Some(30));
        assert_eq!(a.clinic.as_deref(), Some("Consultation de cardiologie"));
        let doctor = a.practitioner.as_ref().expect("AIP-3");
        assert_eq!(doctor.display.as_deref(), Some("Dr Luc MARTIN"));
        let id = doctor.identifier.as_ref().expect("XCN-1");
        assert_eq!(
            (id.value.as_str(), id.system.as_deref()),
            ("10101", Some("RPPS"))
        );
        assert_eq!(a.reason.as_deref(), Some("Suivi d'infarctus"));
        assert_eq!(a.status, AppointmentStatus::Booked);
        assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
    }

    #[test]
    fn events_give_the_status() {
        let cases = [
            ("S13", AppointmentStatus::Booked),
            ("S14", AppointmentStatus::Booked),
            ("S15", AppointmentStatus::Cancelled),
            ("S17", AppointmentStatus::Cancelled),
            ("S26", AppointmentStatus::NoShow),
        ];
        for (trigger, expected) in cases {
            let text = siu(trigger, &[(2, "RV42^CHU"), (25, "Booked")], AIL);
            assert_eq!(appointment(&map_ok(&text)).status, expected, "{trigger}");
        }
        for (filler, expected) in [
            ("Cancelled", AppointmentStatus::Cancelled),
            ("Deleted", AppointmentStatus::Cancelled),
            ("Noshow", AppointmentStatus::NoShow),
            ("Complete", AppointmentStatus::Fulfilled),
            ("Pending", AppointmentStatus::Booked),
        ] {
            let text = siu("S14", &[(2, "RV42^CHU"), (25, filler)], AIL);
            assert_eq!(appointment(&map_ok(&text)).status, expected, "{filler}");
        }
        let odd = map_ok(&siu("S12", &[(2, "RV42^CHU"), (25, "Scheduled")], AIL));
        assert_eq!(appointment(&odd).status, AppointmentStatus::Booked);
        assert_eq!(
            odd.warnings,
            [
                "SCH-25 : statut « Scheduled » absent de la table 0278, rendez-vous SIU^S12 lu \
                 comme réservé"
            ]
        );
    }

    #[test]
    fn the_filler_id_wins_and_the_placer_id_stands_in() {
        let both = siu("S12", &[(1, "P7^CAB"), (2, "F9^CHU")], AIL);
        assert_eq!(
            appointment(&map_ok(&both)).id,
            "hl7:ipp:H|P1|appointment|CHU|F9"
        );
        let placer = siu("S12", &[(1, "P7^CAB")], AIL);
        assert_eq!(
            appointment(&map_ok(&placer)).id,
            "hl7:ipp:H|P1|appointment|CAB|P7"
        );
        let sender = siu("S12", &[(2, "F9")], AIL);
        assert_eq!(
            appointment(&map_ok(&sender)).id,
            "hl7:ipp:H|P1|appointment|FAC|F9",
            "MSH-4 is the authority of an id without one"
        );
    }

    #[test]
    fn sch_11_alone_gives_start_and_duration() {
        let cases = [
            (
                vec![(9, "45"), (10, "min"), (11, "^^^20240315100000")],
                Some(45),
            ),
            (
                vec![(9, "1"), (10, "h^heure"), (11, "^^^20240315100000")],
                Some(60),
            ),
            (vec![(11, "^^M20^20240315100000")], Some(20)),
            (vec![(10, "s"), (11, "^^1800^20240315100000")], Some(30)),
            (vec![(11, "^^^20240315100000^20240315104500")], Some(45)),
            (vec![(11, "^^INDEF^20240315100000")], None),
        ];
        for (fields, minutes) in cases {
            let mut sch = vec![(2, "RV1")];
            sch.extend(fields.iter().copied());
            let mapped = map_ok(&siu("S12", &sch, ""));
            let a = appointment(&mapped);
            assert_eq!(a.minutes, minutes, "{fields:?}");
            assert_eq!((a.start.hour, a.start.minute), (10, 0));
            assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
            assert_eq!((a.clinic.clone(), a.practitioner.clone()), (None, None));
        }
    }

    #[test]
    fn tq1_is_read_when_sch_11_is_empty() {
        let mapped = map_ok(&siu(
            "S12",
            &[(2, "RV1")],
            "TQ1|1||||||20240315140000|20240315141500",
        ));
        let a = appointment(&mapped);
        assert_eq!((a.start.hour, a.minutes), (14, Some(15)));
        let quantity = map_ok(&siu(
            "S12",
            &[(2, "RV1")],
            "TQ1|1||||||20240315140000||||||90^min",
        ));
        assert_eq!(appointment(&quantity).minutes, Some(90));
    }

    #[test]
    fn a_resource_start_wins_over_sch_11_and_a_difference_is_reported() {
        let text = siu(
            "S14",
            &[
                (2, "RV1"),
                (9, "60"),
                (10, "m"),
                (11, "^^60^20240315080000"),
            ],
            "AIL|1|U|CS1|||20240315093000|||45|m^Minutes",
        );
        let mapped = map_ok(&text);
        let a = appointment(&mapped);
        assert_eq!((a.start.hour, a.start.minute, a.minutes), (9, 30, Some(45)));
        assert_eq!(a.clinic.as_deref(), Some("CS1"));
        assert_eq!(
            mapped.warnings,
            [
                "SCH-11.4 : début 15/03/2024 08:00 différent de AIL-6 (15/03/2024 09:30), AIL-6 retenu"
            ]
        );
        let no_duration = siu(
            "S14",
            &[(2, "RV1"), (9, "20"), (11, "^^20^20240315093000")],
            "AIP|1|U|7^DOC|||20240315093000",
        );
        assert_eq!(
            appointment(&map_ok(&no_duration)).minutes,
            Some(20),
            "SCH-9 stands in for a resource without duration"
        );
    }

    #[test]
    fn removed_resources_are_skipped_unless_all_are() {
        let text = siu(
            "S14",
            &[(2, "RV1"), (11, "^^^20240315093000")],
            "AIP|1|D|1^ANCIEN^Paul\rAIP|2|A|2^NOUVEAU^Marie",
        );
        let a = appointment(&map_ok(&text)).clone();
        assert_eq!(
            a.practitioner.and_then(|p| p.display).as_deref(),
            Some("Dr Marie NOUVEAU")
        );
        let cancel = siu(
            "S15",
            &[(2, "RV1"), (11, "^^^20240315093000")],
            "AIL|1|C|CS1\rAIP|1|C|1^ANCIEN^Paul",
        );
        let a = appointment(&map_ok(&cancel)).clone();
        assert_eq!(a.clinic.as_deref(), Some("CS1"));
        assert!(a.practitioner.is_some());
    }

    #[test]
    fn reason_falls_back_to_type_then_service() {
        let typed = siu(
            "S12",
            &[(2, "RV1"), (8, "FOLLOWUP^Suivi"), (11, "^^^20240315")],
            "",
        );
        assert_eq!(
            appointment(&map_ok(&typed)).reason.as_deref(),
            Some("Suivi")
        );
        let service = siu(
            "S12",
            &[(2, "RV1")],
            "AIS|1|A|ECHO^Échographie cardiaque|20240315110000|||20|min",
        );
        let a = appointment(&map_ok(&service)).clone();
        assert_eq!(a.reason.as_deref(), Some("Échographie cardiaque"));
        assert_eq!((a.start.hour, a.minutes), (11, Some(20)));
    }

    #[test]
    fn bad_durations_are_warnings_not_refusals() {
        let cases = [
            (
                "AIL|1|A|CS1|||20240315093000|||trente|min",
                "AIL-9 : durée « trente »",
            ),
            (
                "AIL|1|A|CS1|||20240315093000|||30|parsecs",
                "AIL-10 : unité de durée « parsecs »",
            ),
            ("AIL|1|A|CS1|||20240315093000|||-5", "AIL-9 : durée « -5 »"),
        ];
        for (ail, warning) in cases {
            let mapped = map_ok(&siu("S12", &[(2, "RV1")], ail));
            assert_eq!(appointment(&mapped).minutes, None, "{ail}");
            assert!(
                mapped.warnings.iter().any(|w| w.starts_with(warning)),
                "{ail}: {:?}",
                mapped.warnings
            );
        }
        let backwards = map_ok(&siu(
            "S12",
            &[(2, "RV1"), (11, "^^^20240315100000^20240315090000")],
            "",
        ));
        assert_eq!(appointment(&backwards).minutes, None);
        assert!(backwards.warnings[0].starts_with("SCH-11.5 : fin du rendez-vous avant"));
    }

    #[test]
    fn refusals_name_their_field() {
        let no_sch = map(&msg("SIU^S12", "PID|1||P1^^^H^PI")).unwrap_err();
        assert_eq!((no_sch.segment.as_str(), no_sch.field), ("SCH", 0));
        assert_eq!(no_sch.hl7_error_code, error_code::SEGMENT_SEQUENCE);
        assert_eq!(
            no_sch.reason,
            "SCH absent : SIU^S12 sans segment de rendez-vous refusé"
        );

        let no_id = map(&siu("S12", &[(7, "x"), (11, "^^^20240315")], "")).unwrap_err();
        assert_eq!(no_id.ack_code, AckKind::Error);
        assert_eq!((no_id.segment.as_str(), no_id.field), ("SCH", 2));
        assert_eq!(
            no_id.reason,
            "SCH-2 et SCH-1 absents : identifiant du rendez-vous obligatoire"
        );

        let no_start = map(&siu("S12", &[(2, "RV1"), (9, "30")], "AIL|1|A|CS1")).unwrap_err();
        assert_eq!((no_start.segment.as_str(), no_start.field), ("SCH", 11));
        assert_eq!(no_start.hl7_error_code, error_code::REQUIRED_FIELD_MISSING);
        assert!(
            no_start
                .reason
                .starts_with("SCH-11 absent : heure de début")
        );

        let bad = map(&siu("S12", &[(2, "RV1"), (11, "^^^2024031X0930")], "")).unwrap_err();
        assert_eq!((bad.segment.as_str(), bad.field), ("SCH", 11));
        assert_eq!(bad.hl7_error_code, error_code::DATA_TYPE);
        assert_eq!(
            bad.reason,
            "SCH-11.4 : heure de début illisible (date mal formée « 2024031X0930 »)"
        );
    }

    #[test]
    fn an_unreadable_resource_start_falls_back_to_sch_11_with_a_warning() {
        let mapped = map_ok(&siu(
            "S12",
            &[(2, "RV1"), (11, "^^^20240315100000")],
            "AIL|1|A|CS1|||demain",
        ));
        assert_eq!(appointment(&mapped).start.hour, 10);
        assert_eq!(
            mapped.warnings,
            ["AIL-6 : heure de début illisible (date mal formée « demain »), SCH-11.4 retenu"]
        );
    }

    #[test]
    fn other_events_and_patientless_slots_are_ignored() {
        let discontinued = map_ok(&siu("S16", &[(2, "RV1"), (11, "^^^20240315")], ""));
        assert!(discontinued.ignored);
        assert!(discontinued.facts.is_empty());
        let block = map_ok(&msg("SIU^S12", "SCH||RV1|||||||||^^^20240315\rAIL|1|A|CS1"));
        assert!(block.ignored);
        assert!(
            block.warnings[0].starts_with("PID absent : SIU^S12 sans patient"),
            "{:?}",
            block.warnings
        );
    }

    #[test]
    fn a_diagnosis_riding_along_is_kept() {
        let mapped = map_ok(&siu(
            "S12",
            &[(2, "RV1"), (11, "^^^20240315")],
            "PV1|1|O|||||||||||||||||V1\rDG1|1|I10|I21^Infarctus",
        ));
        assert_eq!(kinds(&mapped), ["patient", "appointment", "condition"]);
    }
}
