//! Orders (HL7 v2.5.1 ch. 4 and 4A): RDE^O11, OMP^O09 and ORM^O01/OML pharmacy orders become
//! [`Medication`] facts, one per ORC group holding an RXE or RXO; an ORC group holding an ODS
//! (a v2.3 diet order in ORM^O01) becomes a diet (see [`super::diet`]). Lab and imaging orders
//! (ORC with OBR only) have no fact yet: the patient, allergies and observations of such
//! messages are mapped and the orders are reported in a warning.

use ckisa_domain::{Fact, Medication, MedicationKind, Moment, PatientKey, RecordStatus};
use ckisa_hl7::{Repetition, Segment};

use super::ids::fact_id;
use super::read::{Cx, at};
use super::{MapRejection, adt, clinical, diet, error_code, patient, type_label};

/// Maps an order message.
pub(super) fn map(cx: &mut Cx<'_, '_>, code: &str) -> Result<Option<Vec<Fact>>, MapRejection> {
    let Some(pid) = cx.msg.segment("PID") else {
        return Err(MapRejection::error(
            "PID",
            0,
            error_code::REQUIRED_FIELD_MISSING,
            "PID absent : commande sans patient refusée".to_owned(),
        ));
    };
    let update = patient::read_pid(cx, pid)?;
    let patient = update.patient.clone();
    let encounter = cx
        .msg
        .segment("PV1")
        .and_then(|pv1| adt::visit_key(cx, pv1.field(19).repetition(1), at("PV1", 19)));
    let mut facts = vec![Fact::PatientUpdated(update)];
    let segments: Vec<Segment<'_>> = cx.msg.segments().collect();
    let starts: Vec<usize> = (0..segments.len())
        .filter(|&i| segments[i].is("ORC"))
        .collect();
    let mut other_orders = 0;
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(segments.len());
        let group = &segments[start + 1..end];
        if !group.iter().any(|s| s.is("RXE") || s.is("RXO")) {
            if group.iter().any(|s| s.is("ODS")) {
                if let Some(mut diet) = diet::diet(cx, segments[start], group, &patient) {
                    diet.encounter = encounter.clone();
                    facts.push(Fact::DietRecorded(diet));
                }
            } else {
                other_orders += 1;
            }
            continue;
        }
        let order = Order {
            orc: segments[start],
            group,
            patient: &patient,
        };
        if let Some(mut medication) = medication(cx, order) {
            medication.encounter = encounter.clone();
            facts.push(Fact::MedicationRecorded(medication));
        }
    }
    if other_orders > 0 {
        let trigger = cx.msg.message_type().trigger;
        cx.warn(format!(
            "{} : {other_orders} commande(s) sans prescription médicamenteuse (ORC/OBR) non \
             exploitée(s)",
            type_label(code, trigger)
        ));
    }
    facts.extend(clinical::map(cx, &patient, encounter.as_ref()));
    Ok(Some(facts))
}

/// One ORC and the segments up to the next ORC.
struct Order<'g, 'a> {
    orc: Segment<'a>,
    group: &'g [Segment<'a>],
    patient: &'g PatientKey,
}

impl<'a> Order<'_, 'a> {
    fn first(&self, name: &str) -> Option<Segment<'a>> {
        self.group.iter().find(|segment| segment.is(name)).copied()
    }
}

fn medication(cx: &mut Cx<'_, '_>, order: Order<'_, '_>) -> Option<Medication> {
    let rxe = order.first("RXE");
    let rxo = order.first("RXO");
    let drug = match (rxe, rxo) {
        (Some(rxe), _) if rxe.field(2).has_value() => {
            cx.coded(rxe.field(2).repetition(1), at("RXE", 2))
        }
        (_, Some(rxo)) => cx.coded(rxo.field(1).repetition(1), at("RXO", 1)),
        _ => None,
    };
    let Some(drug) = drug else {
        cx.warn("RXE-2 et RXO-1 absents : prescription sans médicament ignorée".to_owned());
        return None;
    };
    let id = order_id(cx, order.orc, order.patient).unwrap_or_else(|| {
        cx.warn("ORC-2 et ORC-3 absents : prescription identifiée par le médicament".to_owned());
        let key = drug.code.as_deref().unwrap_or(&drug.text);
        fact_id(order.patient, "RX", &[key])
    });
    let timing = timing(cx, &order, rxe);
    Some(Medication {
        id,
        patient: order.patient.clone(),
        encounter: None,
        kind: MedicationKind::Order,
        drug,
        dose: dose(cx, rxe, rxo),
        route: route(cx, &order),
        frequency: timing.frequency,
        start: timing.start,
        end: timing.end,
        prescriber: cx.xcn(order.orc.field(12).repetition(1), at("ORC", 12)),
        status: status(cx, order.orc),
        note: note(cx, &order, rxe, rxo),
    })
}

/// ORC-2 placer, else ORC-3 filler order number, under the patient (see [`super::ids`]).
fn order_id(cx: &mut Cx<'_, '_>, orc: Segment<'_>, patient: &PatientKey) -> Option<String> {
    let (number, authority) = cx
        .ei(orc.field(2).repetition(1), at("ORC", 2))
        .or_else(|| cx.ei(orc.field(3).repetition(1), at("ORC", 3)))?;
    Some(fact_id(patient, "order", &[&authority, &number]))
}

/// ORC-1 order control, then ORC-5 order status (tables 0119, 0038).
fn status(cx: &mut Cx<'_, '_>, orc: Segment<'_>) -> RecordStatus {
    let control = cx.text(orc.field(1), at("ORC", 1)).unwrap_or_default();
    let state = cx.text(orc.field(5), at("ORC", 5)).unwrap_or_default();
    match (control.as_str(), state.as_str()) {
        ("DE", _) => RecordStatus::EnteredInError,
        ("CA" | "DC" | "OC" | "OD" | "CR" | "DR", _) | (_, "CA" | "DC" | "CM") => {
            RecordStatus::Inactive
        }
        _ => RecordStatus::Active,
    }
}

/// RXE-3 + RXE-5, else RXO-2 + RXO-4 (`500 MG`).
fn dose(cx: &mut Cx<'_, '_>, rxe: Option<Segment<'_>>, rxo: Option<Segment<'_>>) -> Option<String> {
    let read = |cx: &mut Cx<'_, '_>,
                segment: Segment<'_>,
                name: &'static str,
                amount: usize,
                units: usize| {
        let amount = cx.text(segment.field(amount), at(name, amount))?;
        let unit = cx.unit(segment.field(units).repetition(1), at(name, units));
        Some(match unit {
            Some(unit) => format!("{amount} {unit}"),
            None => amount,
        })
    };
    rxe.and_then(|rxe| read(cx, rxe, "RXE", 3, 5))
        .or_else(|| rxo.and_then(|rxo| read(cx, rxo, "RXO", 2, 4)))
}

/// RXR-1 of the first RXR: the code (`PO`, `IV`), else its text.
fn route(cx: &mut Cx<'_, '_>, order: &Order<'_, '_>) -> Option<String> {
    let rxr = order.first("RXR")?;
    let route = rxr.field(1).repetition(1);
    cx.text(route.component(1), at("RXR", 1))
        .or_else(|| cx.text(route.component(2), at("RXR", 1)))
}

struct Timing {
    frequency: Option<String>,
    start: Option<Moment>,
    end: Option<Moment>,
}

/// TQ1-3 repeat pattern and TQ1-7/TQ1-8, else the TQ of ORC-7 or RXE-1 (interval, start, end).
fn timing(cx: &mut Cx<'_, '_>, order: &Order<'_, '_>, rxe: Option<Segment<'_>>) -> Timing {
    let mut timing = Timing {
        frequency: None,
        start: None,
        end: None,
    };
    for tq1 in order.group.iter().filter(|segment| segment.is("TQ1")) {
        let pattern = tq1.field(3).repetition(1).component(1);
        if timing.frequency.is_none() {
            timing.frequency = cx
                .text(pattern.subcomponent(1), at("TQ1", 3))
                .or_else(|| cx.text(pattern.subcomponent(2), at("TQ1", 3)));
        }
        if timing.start.is_none() {
            timing.start = cx.moment(tq1.field(7), at("TQ1", 7));
        }
        if timing.end.is_none() {
            timing.end = cx.moment(tq1.field(8), at("TQ1", 8));
        }
    }
    let legacy = [(order.orc, "ORC", 7)]
        .into_iter()
        .chain(rxe.map(|rxe| (rxe, "RXE", 1)));
    for (segment, name, number) in legacy {
        let tq = segment.field(number).repetition(1);
        legacy_timing(cx, tq, name, number, &mut timing);
    }
    timing
}

/// Fills what is still missing from a TQ: TQ-2 interval, TQ-4 start, TQ-5 end.
fn legacy_timing(
    cx: &mut Cx<'_, '_>,
    tq: Repetition<'_>,
    name: &'static str,
    number: usize,
    timing: &mut Timing,
) {
    let loc = at(name, number);
    if timing.frequency.is_none() {
        timing.frequency = cx.text(tq.component(2).subcomponent(1), loc.comp(2));
    }
    if timing.start.is_none() {
        timing.start = cx.moment(tq.component(4), loc.comp(4));
    }
    if timing.end.is_none() {
        timing.end = cx.moment(tq.component(5), loc.comp(5));
    }
}

/// Administration instructions (RXE-7 + RXE-21, else RXO-7 + RXO-6) and the NTE right after
/// the RXE or RXO, one per line.
fn note(
    cx: &mut Cx<'_, '_>,
    order: &Order<'_, '_>,
    rxe: Option<Segment<'_>>,
    rxo: Option<Segment<'_>>,
) -> Option<String> {
    let mut lines = Vec::new();
    let sources = match (rxe, rxo) {
        (Some(rxe), _) => [(rxe, "RXE", 7), (rxe, "RXE", 21)],
        (None, Some(rxo)) => [(rxo, "RXO", 7), (rxo, "RXO", 6)],
        (None, None) => return None,
    };
    for (segment, name, number) in sources {
        for rep in segment.field(number).repetitions() {
            if let Some(coded) = cx.coded(rep, at(name, number)) {
                lines.push(coded.text);
            }
        }
    }
    let mut after_order = false;
    for segment in order.group {
        if segment.is("RXE") || segment.is("RXO") {
            after_order = true;
        } else if after_order && segment.is("NTE") {
            lines.extend(cx.text(segment.field(3), at("NTE", 3)));
        } else {
            after_order = false;
        }
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{kinds, map_ok, msg};
    use super::*;

    fn medications(kind: &str, body: &str) -> (Vec<Medication>, Vec<String>) {
        let mapped = map_ok(&msg(
            kind,
            &format!("PID|1||P1^^^H^PI\rPV1|1|I|U1||||||||||||||||V1\r{body}"),
        ));
        let meds = mapped
            .facts
            .iter()
            .filter_map(|f| match f {
                Fact::MedicationRecorded(m) => Some(m.clone()),
                _ => None,
            })
            .collect();
        (meds, mapped.warnings)
    }

    #[test]
    fn rde_with_tq1_rxr_and_instructions() {
        let (meds, _) = medications(
            "RDE^O11",
            "ORC|NW|1163422591^EPC||||||||||1542^Yardy^Tom\rTQ1|1||TID||||20240101080000|20240110080000\r\
             RXE||0143963401^NICARDIPINE^NDC|5||mg/hr|128|Titrate~Light sensitive\rNTE|1||Keep cold\rRXR|IV^Intravenous",
        );
        let med = &meds[0];
        assert_eq!(med.id, "hl7:ipp:H|P1|order|EPC|1163422591");
        assert_eq!(med.drug.text, "NICARDIPINE");
        assert_eq!(med.dose.as_deref(), Some("5 mg/hr"));
        assert_eq!(med.route.as_deref(), Some("IV"));
        assert_eq!(med.frequency.as_deref(), Some("TID"));
        assert_eq!(med.start.unwrap().day, 1);
        assert_eq!(med.end.unwrap().day, 10);
        assert_eq!(med.status, RecordStatus::Active);
        assert_eq!(med.kind, MedicationKind::Order);
        assert_eq!(
            med.note.as_deref(),
            Some("Titrate\nLight sensitive\nKeep cold")
        );
        assert_eq!(
            med.prescriber.as_ref().unwrap().display.as_deref(),
            Some("Dr Tom YARDY")
        );
        assert_eq!(med.encounter.as_ref().unwrap().as_str(), "vn:FAC|V1");
    }

    #[test]
    fn omp_with_rxo_and_legacy_timing() {
        let (meds, _) = medications(
            "OMP^O09",
            "ORC|NW|1000^OE|9999999^RX|||E|40^QID^D10^200601010800\rRXO|RX2111^Polycillin 500 mg TAB|500||MG||pharm|admin1~admin2\rRXR|^PO",
        );
        let med = &meds[0];
        assert_eq!(med.id, "hl7:ipp:H|P1|order|OE|1000");
        assert_eq!(med.dose.as_deref(), Some("500 MG"));
        assert_eq!(med.route.as_deref(), Some("PO"));
        assert_eq!(med.frequency.as_deref(), Some("QID"));
        assert_eq!(med.start.unwrap().year, 2006);
        assert_eq!(med.note.as_deref(), Some("admin1\nadmin2\npharm"));
    }

    #[test]
    fn cancelled_orders_are_inactive() {
        for control in ["CA", "DC"] {
            let (meds, _) = medications("RDE^O11", &format!("ORC|{control}|1^X\rRXE||D1^Drug"));
            assert_eq!(meds[0].status, RecordStatus::Inactive);
        }
        let (meds, _) = medications("RDE^O11", "ORC|HD|1^X\rRXE||D1^Drug");
        assert_eq!(meds[0].status, RecordStatus::Active);
    }

    #[test]
    fn two_orders_two_medications() {
        let (meds, _) = medications(
            "RDE^O11",
            "ORC|NW|1^X\rRXE||D1^One\rORC|NW|2^X\rRXE||D2^Two",
        );
        let ids: Vec<_> = meds.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["hl7:ipp:H|P1|order|X|1", "hl7:ipp:H|P1|order|X|2"]);
    }

    #[test]
    fn lab_orders_map_the_patient_and_warn() {
        let mapped = map_ok(&msg(
            "ORM^O01",
            "PID|1||P1^^^H^PI||Smith\\F\\\\S\\\\R\\\\E\\\\T\\^John\rORC|NW|11777-60\rOBR|1|11777-60||4241^NUT IGE",
        ));
        assert!(!mapped.ignored);
        assert_eq!(kinds(&mapped), ["patient"]);
        let update = super::super::test_support::patient_update(&mapped);
        assert_eq!(
            update.family,
            ckisa_domain::Field::Value("Smith|^~\\&".into())
        );
        assert!(
            mapped
                .warnings
                .iter()
                .any(|w| w.starts_with("ORM^O01 : 1 commande(s)"))
        );
    }
}
