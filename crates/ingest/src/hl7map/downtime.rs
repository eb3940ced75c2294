//! What caregivers documented during a downtime, read back from HL7 v2: the
//! messages ckisa-care's export writes (and the HIS's own administrations).
//!
//! | message | facts |
//! |---|---|
//! | RAS^O17 (any sender) | `Care(Administered)` per RXA: RXA-20 `CP`/`PA`/empty given, `RE` not given, `NA` not given or held (RXA-18.1 `DIFFERE`), RXA-18 the reason |
//! | OML^O21 with ORC-4 under [`NAMESPACE`] | one `Care(LabRequested)` per placer group: OBR-4 tests, OBR-7 sampling, TQ1-9 `S` urgent, SPM-4 specimen, ORC-12 requester, ORC-13 unit |
//! | MDM^T02 with TXA-12 under [`NAMESPACE`], or a LOINC 34746-8 nurse note | `Care(Note)`: OBX `CIBLE`, `DONNEES`, `ACTIONS`, `RESULTATS`, `RELEVE` |
//! | ORU^R01 with OBX-21 under [`NAMESPACE`] | `Care(Entered(ObservationRecorded))` under the OBX-21 id, category from OBR-24 (`NRS` vital, `LAB` lab), the lab request from OBR-2; several OBX with one id are the components of the OBR-4 panel |
//! | RDE^O11, OMP^O09 with ORC-2 under [`NAMESPACE`] | the pharmacy mapping, each such order wrapped in `Care(Entered)` under the ORC-2 id |
//!
//! An id under [`NAMESPACE`] is ckisa's own: the item the node exported
//! comes back as the same item (the care book counts it once and marks it
//! confirmed; the store updates it in place). Other ids follow
//! [`super::ids`]. Keys under that namespace (PID-3, MRG-1, PV1-19) are
//! taken as they are by [`super::patient`] and [`super::adt`].

use ckisa_domain::{
    Administration, AdministrationOutcome, CareFact, Coded, EncounterKey, Fact, Identifier,
    LabRequest, NursingNote, ObservationCategory, ObservationValue, PatientKey, ResourceRef,
};
use ckisa_hl7::{Repetition, Segment};

use super::ids::fact_id;
use super::read::{Cx, Loc, at};
use super::{MapRejection, adt, error_code, patient, results};

/// Assigning authority of ids and keys written by ckisa (HL7 EI-2, CX-4).
pub(super) const NAMESPACE: &str = "CKISA";

/// LOINC "Nurse note", the document type of a targeted nursing note.
const NURSE_NOTE: &str = "34746-8";

/// Whether this module maps the message rather than the general mappers.
pub(super) fn claims(cx: &mut Cx<'_, '_>, code: &str) -> bool {
    match code {
        "RAS" => true,
        "ORU" => any_ours(cx, "OBX", 21),
        "OML" => any_ours(cx, "ORC", 4),
        "RDE" | "OMP" => any_ours(cx, "ORC", 2),
        "MDM" => {
            let Some(txa) = cx.msg.segment("TXA") else {
                return false;
            };
            ours(cx, txa.field(12).repetition(1), at("TXA", 12)).is_some()
                || cx.text(txa.field(2).component(1), at("TXA", 2)).as_deref() == Some(NURSE_NOTE)
        }
        _ => false,
    }
}

/// Maps a message [`claims`] said this module maps.
pub(super) fn map(cx: &mut Cx<'_, '_>, code: &str) -> Result<Option<Vec<Fact>>, MapRejection> {
    match code {
        "RAS" => administrations(cx),
        "ORU" => observations(cx),
        "OML" => lab_requests(cx),
        "RDE" | "OMP" => prescriptions(cx, code),
        "MDM" => note(cx),
        _ => Ok(None),
    }
}

/// The EI id of `value` when its authority is ckisa's.
fn ours(cx: &mut Cx<'_, '_>, value: Repetition<'_>, loc: Loc) -> Option<String> {
    let id = cx.id_text(value.component(1), loc.comp(1))?;
    let authority = cx.id_text(value.component(2), loc.comp(2))?;
    (authority == NAMESPACE).then_some(id)
}

fn any_ours(cx: &mut Cx<'_, '_>, segment: &'static str, field: usize) -> bool {
    let found: Vec<Segment<'_>> = cx.msg.segments_named(segment).collect();
    found
        .into_iter()
        .any(|s| ours(cx, s.field(field).repetition(1), at(segment, field)).is_some())
}

/// The patient (PID, required) and the stay (PV1-19) of a message; the
/// demographics go first in the facts.
fn patient_and_stay(
    cx: &mut Cx<'_, '_>,
    what: &str,
) -> Result<(Vec<Fact>, PatientKey, Option<EncounterKey>), MapRejection> {
    let Some(pid) = cx.msg.segment("PID") else {
        return Err(MapRejection::error(
            "PID",
            0,
            error_code::REQUIRED_FIELD_MISSING,
            format!("PID absent : {what} sans patient refusé(e)"),
        ));
    };
    let update = patient::read_pid(cx, pid)?;
    let patient = update.patient.clone();
    let encounter = cx
        .msg
        .segment("PV1")
        .and_then(|pv1| adt::visit_key(cx, pv1.field(19).repetition(1), at("PV1", 19)));
    Ok((vec![Fact::PatientUpdated(update)], patient, encounter))
}

/// The segments after `index` up to the next one named in `stops`.
fn group<'s, 'a>(segments: &'s [Segment<'a>], index: usize, stops: &[&str]) -> &'s [Segment<'a>] {
    let rest = &segments[index + 1..];
    let end = rest
        .iter()
        .position(|s| stops.iter().any(|stop| s.is(stop)))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// A person named by an XCN, as ckisa writes it (login^name shown) or as a
/// HIS does (id^family^given): the name, else the id.
fn person(cx: &mut Cx<'_, '_>, value: Repetition<'_>, loc: Loc) -> Option<String> {
    let family = cx.raw_text(value.component(2), loc.comp(2));
    let given = cx.text(value.component(3), loc.comp(3));
    match (family, given) {
        (Some(family), Some(given)) => Some(format!("{given} {family}")),
        (Some(family), None) => Some(family),
        (None, _) => cx.text(value.component(1), loc.comp(1)),
    }
}

/// An XCN as a reference: id, authority (XCN-9) and type (XCN-13), and the
/// name as written.
fn reference(cx: &mut Cx<'_, '_>, value: Repetition<'_>, loc: Loc) -> Option<ResourceRef> {
    let id = cx.text(value.component(1), loc.comp(1));
    let display = cx.raw_text(value.component(2), loc.comp(2));
    let system = cx.text(value.component(9), loc.comp(9));
    let kind = cx.text(value.component(13), loc.comp(13));
    if id.is_none() && display.is_none() {
        return None;
    }
    Some(ResourceRef {
        reference: None,
        identifier: id.map(|value| Identifier {
            value,
            system,
            kind,
        }),
        display,
    })
}

// RAS^O17 --------------------------------------------------------------------

fn administrations(cx: &mut Cx<'_, '_>) -> Result<Option<Vec<Fact>>, MapRejection> {
    let (mut facts, patient, encounter) = patient_and_stay(cx, "administration")?;
    let segments: Vec<Segment<'_>> = cx.msg.segments().collect();
    let mut orc = None;
    let mut found = 0;
    for (index, segment) in segments.iter().enumerate() {
        if segment.is("ORC") {
            orc = Some(*segment);
        } else if segment.is("RXA") {
            found += 1;
            let after = group(&segments, index, &["RXA", "ORC"]);
            let given = Given {
                orc,
                rxa: *segment,
                after,
                patient: &patient,
                encounter: encounter.as_ref(),
            };
            if let Some(administration) = administration(cx, given) {
                facts.push(Fact::Care(CareFact::Administered(administration)));
            }
        }
    }
    if found == 0 {
        cx.warn("RAS sans RXA : aucune administration à reprendre".to_owned());
    }
    Ok(Some(facts))
}

/// One RXA with its order and what follows it.
struct Given<'g, 'a> {
    orc: Option<Segment<'a>>,
    rxa: Segment<'a>,
    after: &'g [Segment<'a>],
    patient: &'g PatientKey,
    encounter: Option<&'g EncounterKey>,
}

fn administration(cx: &mut Cx<'_, '_>, given: Given<'_, '_>) -> Option<Administration> {
    let Given {
        orc,
        rxa,
        after,
        patient,
        encounter,
    } = given;
    let Some(at_time) = cx.moment(rxa.field(3), at("RXA", 3)) else {
        cx.warn("RXA-3 absent ou invalide : administration sans heure ignorée".to_owned());
        return None;
    };
    let medication = orc
        .and_then(|orc| order_id(cx, orc.field(2).repetition(1), at("ORC", 2), patient))
        .unwrap_or_default();
    let own = orc.and_then(|orc| ours(cx, orc.field(3).repetition(1), at("ORC", 3)));
    let id = match own {
        Some(id) => id,
        None => {
            let filler = orc
                .and_then(|orc| cx.ei(orc.field(3).repetition(1), at("ORC", 3)))
                .map(|(id, authority)| format!("{authority}/{id}"))
                .unwrap_or_else(|| medication.clone());
            let give = cx.text(rxa.field(1), at("RXA", 1)).unwrap_or_default();
            let sub = cx.text(rxa.field(2), at("RXA", 2)).unwrap_or_default();
            fact_id(patient, "adm", &[&filler, &give, &sub, &at_time.to_iso()])
        }
    };
    let planned = after
        .iter()
        .filter(|s| s.is("OBX"))
        .find(|obx| {
            obx.field(3)
                .component(1)
                .raw_str()
                .is_some_and(|c| c == "HEURE-PREVUE")
        })
        .and_then(|obx| cx.moment(obx.field(5), at("OBX", 5)));
    let comments: Vec<String> = rxa
        .field(9)
        .repetitions()
        .filter_map(|rep| {
            cx.raw_text(rep.component(2), at("RXA", 9).comp(2))
                .or_else(|| cx.text(rep.component(1), at("RXA", 9).comp(1)))
        })
        .collect();
    Some(Administration {
        id,
        patient: patient.clone(),
        encounter: encounter.cloned(),
        medication,
        drug: cx
            .coded(rxa.field(5).repetition(1), at("RXA", 5))
            .unwrap_or_default(),
        planned,
        at: at_time,
        outcome: outcome(cx, rxa, after),
        by: person(cx, rxa.field(10).repetition(1), at("RXA", 10))
            .unwrap_or_else(|| "non renseigné".to_owned()),
        comment: (!comments.is_empty()).then(|| comments.join("\n")),
    })
}

/// A prescription id from a placer order number: ckisa's own as is, else
/// the id the pharmacy mapping gives that order.
fn order_id(
    cx: &mut Cx<'_, '_>,
    value: Repetition<'_>,
    loc: Loc,
    patient: &PatientKey,
) -> Option<String> {
    if let Some(id) = ours(cx, value, loc) {
        return Some(id);
    }
    let (number, authority) = cx.ei(value, loc)?;
    Some(fact_id(patient, "order", &[&authority, &number]))
}

/// RXA-20 completion status (HL7 table 0322), RXA-18 reason, RXA-6/7 dose
/// and RXR route.
fn outcome(cx: &mut Cx<'_, '_>, rxa: Segment<'_>, after: &[Segment<'_>]) -> AdministrationOutcome {
    let status = cx.text(rxa.field(20), at("RXA", 20)).unwrap_or_default();
    let reason_field = rxa.field(18).repetition(1);
    let reason_code = cx.text(reason_field.component(1), at("RXA", 18).comp(1));
    let reason = cx
        .raw_text(reason_field.component(2), at("RXA", 18).comp(2))
        .or_else(|| reason_code.clone())
        .unwrap_or_else(|| "non précisé".to_owned());
    match status.as_str() {
        "RE" => AdministrationOutcome::NotGiven { reason },
        "NA" if reason_code.as_deref() == Some("DIFFERE") => AdministrationOutcome::Held { reason },
        "NA" => AdministrationOutcome::NotGiven { reason },
        _ => {
            let amount = cx.text(rxa.field(6), at("RXA", 6));
            let units = rxa.field(7).repetition(1);
            let unit = cx.text(units.component(1), at("RXA", 7).comp(1));
            let words = cx.raw_text(units.component(2), at("RXA", 7).comp(2));
            let dose = match (amount.as_deref(), unit, words) {
                // 999: amount unknown, the dose is in words.
                (Some("999") | None, None, Some(words)) => words,
                (Some(amount), Some(unit), _) => format!("{amount} {unit}"),
                (Some(amount), None, Some(words)) => format!("{amount} {words}"),
                (Some(amount), None, None) => amount.to_owned(),
                (None, unit, _) => unit.unwrap_or_default(),
            };
            let route = after
                .iter()
                .find(|s| s.is("RXR"))
                .and_then(|rxr| {
                    let route = rxr.field(1).repetition(1);
                    cx.text(route.component(1), at("RXR", 1))
                        .or_else(|| cx.text(route.component(2), at("RXR", 1)))
                })
                .unwrap_or_default();
            AdministrationOutcome::Given { dose, route }
        }
    }
}

// ORU^R01 ----------------------------------------------------------------------

fn observations(cx: &mut Cx<'_, '_>) -> Result<Option<Vec<Fact>>, MapRejection> {
    let (mut facts, patient, encounter) = patient_and_stay(cx, "résultats")?;
    let segments: Vec<Segment<'_>> = cx.msg.segments().collect();
    let mut request = Request::default();
    let mut index = 0;
    while index < segments.len() {
        let segment = segments[index];
        index += 1;
        if segment.is("OBR") {
            request = Request::read(cx, segment);
            continue;
        }
        if !segment.is("OBX") {
            continue;
        }
        let own = ours(cx, segment.field(21).repetition(1), at("OBX", 21));
        // The OBX of one item (a panel's components) follow each other.
        let mut members = vec![index - 1];
        while let Some(next) = segments.get(index).filter(|s| s.is("OBX") || s.is("NTE")) {
            if next.is("OBX") {
                let next_id = ours(cx, next.field(21).repetition(1), at("OBX", 21));
                if own.is_none() || next_id != own {
                    break;
                }
                members.push(index);
            }
            index += 1;
        }
        let read: Vec<ckisa_domain::Observation> = members
            .iter()
            .filter_map(|&at_index| {
                let notes = results::notes_after(cx, &segments[at_index + 1..]);
                match results::loose_observation(
                    cx,
                    segments[at_index],
                    &patient,
                    encounter.as_ref(),
                    notes,
                ) {
                    Some(Fact::ObservationRecorded(observation)) => Some(observation),
                    _ => None,
                }
            })
            .collect();
        facts.extend(observation(read, own, &request));
    }
    Ok(Some(facts))
}

/// What an OBR says of the observations under it.
#[derive(Default)]
struct Request {
    code: Option<Coded>,
    report: Option<String>,
    category: Option<ObservationCategory>,
}

impl Request {
    fn read(cx: &mut Cx<'_, '_>, obr: Segment<'_>) -> Request {
        let category = match cx.text(obr.field(24), at("OBR", 24)).as_deref() {
            Some("NRS") => Some(ObservationCategory::Vital),
            Some("LAB") => Some(ObservationCategory::Lab),
            Some("OTH") => Some(ObservationCategory::Other),
            _ => None,
        };
        Request {
            code: cx.coded(obr.field(4).repetition(1), at("OBR", 4)),
            report: ours(cx, obr.field(2).repetition(1), at("OBR", 2)),
            category,
        }
    }
}

/// One item from its OBX (one, or a panel's components); a foreign OBX in
/// the message stays an ordinary observation.
fn observation(
    mut read: Vec<ckisa_domain::Observation>,
    own: Option<String>,
    request: &Request,
) -> Option<Fact> {
    let Some(id) = own else {
        return read.pop().map(Fact::ObservationRecorded);
    };
    let several = read.len() > 1;
    let parts: Vec<(Coded, Box<ObservationValue>)> = read
        .iter()
        .map(|o| (o.code.clone(), Box::new(o.value.clone())))
        .collect();
    let mut observation = read.into_iter().next()?;
    if several {
        observation.code = request.code.clone().unwrap_or_default();
        observation.value = ObservationValue::Components(parts);
    }
    observation.id = id;
    observation.report = request.report.clone();
    if let Some(category) = request.category {
        observation.category = category;
    }
    Some(Fact::Care(CareFact::Entered(Box::new(
        Fact::ObservationRecorded(observation),
    ))))
}

// OML^O21 ------------------------------------------------------------------------

fn lab_requests(cx: &mut Cx<'_, '_>) -> Result<Option<Vec<Fact>>, MapRejection> {
    let (mut facts, patient, encounter) = patient_and_stay(cx, "demande d'examen")?;
    let segments: Vec<Segment<'_>> = cx.msg.segments().collect();
    let mut requests: Vec<LabRequest> = Vec::new();
    for (index, orc) in segments.iter().enumerate().filter(|(_, s)| s.is("ORC")) {
        let Some(id) = ours(cx, orc.field(4).repetition(1), at("ORC", 4)) else {
            cx.warn("ORC-4 sans numéro de groupe ckisa : commande non reprise".to_owned());
            continue;
        };
        let order = group(&segments, index, &["ORC"]);
        let find = |name: &str| order.iter().find(|s| s.is(name)).copied();
        let test = find("OBR").and_then(|obr| cx.coded(obr.field(4).repetition(1), at("OBR", 4)));
        if let Some(request) = requests.iter_mut().find(|r| r.id == id) {
            request.tests.extend(test);
            continue;
        }
        let Some(obr) = find("OBR") else {
            cx.warn(format!("demande {id} sans OBR : non reprise"));
            continue;
        };
        let Some(sampled_at) = cx.moment(obr.field(7), at("OBR", 7)) else {
            return Err(MapRejection::error(
                "OBR",
                7,
                error_code::REQUIRED_FIELD_MISSING,
                "OBR-7 absent : demande d'examen sans heure de prélèvement".to_owned(),
            ));
        };
        let specimen = find("SPM")
            .or_else(|| segments.iter().find(|s| s.is("SPM")).copied())
            .and_then(|spm| {
                let kind = spm.field(4).repetition(1);
                cx.raw_text(kind.component(2), at("SPM", 4).comp(2))
                    .or_else(|| cx.text(kind.component(1), at("SPM", 4).comp(1)))
            })
            .unwrap_or_default();
        let urgent = find("TQ1")
            .and_then(|tq1| cx.text(tq1.field(9).component(1), at("TQ1", 9)))
            .is_some_and(|priority| priority == "S");
        requests.push(LabRequest {
            id,
            patient: patient.clone(),
            encounter: encounter.clone(),
            unit: cx
                .text(orc.field(13).component(1), at("ORC", 13))
                .unwrap_or_default(),
            tests: test.into_iter().collect(),
            specimen,
            sampled_at,
            requester: reference(cx, orc.field(12).repetition(1), at("ORC", 12))
                .unwrap_or_default(),
            urgent,
            comment: cx.raw_text(obr.field(13), at("OBR", 13)),
        });
    }
    facts.extend(
        requests
            .into_iter()
            .map(|r| Fact::Care(CareFact::LabRequested(r))),
    );
    Ok(Some(facts))
}

// RDE^O11, OMP^O09 --------------------------------------------------------------

/// A prescription written by ckisa: the id the pharmacy mapping gives it,
/// its own id, and what the pharmacy mapping reads differently.
struct OwnOrder {
    mapped_id: String,
    id: String,
    prescriber: Option<ResourceRef>,
    dose_words: Option<String>,
}

fn prescriptions(cx: &mut Cx<'_, '_>, code: &str) -> Result<Option<Vec<Fact>>, MapRejection> {
    let own = own_orders(cx)?;
    let Some(facts) = super::pharmacy::map(cx, code)? else {
        return Ok(None);
    };
    let facts = facts
        .into_iter()
        .map(|fact| match fact {
            Fact::MedicationRecorded(mut medication) => {
                let Some(order) = own.iter().find(|o| o.mapped_id == medication.id) else {
                    return Fact::MedicationRecorded(medication);
                };
                medication.id = order.id.clone();
                if order.prescriber.is_some() {
                    medication.prescriber = order.prescriber.clone();
                }
                if medication.dose.is_none() {
                    medication.dose = order.dose_words.clone();
                }
                Fact::Care(CareFact::Entered(Box::new(Fact::MedicationRecorded(
                    medication,
                ))))
            }
            other => other,
        })
        .collect();
    Ok(Some(facts))
}

fn own_orders(cx: &mut Cx<'_, '_>) -> Result<Vec<OwnOrder>, MapRejection> {
    let Some(pid) = cx.msg.segment("PID") else {
        return Ok(Vec::new());
    };
    let patient = patient::key_from(cx, pid.field(3), "PID", 3)?;
    let segments: Vec<Segment<'_>> = cx.msg.segments().collect();
    let mut found = Vec::new();
    for (index, orc) in segments.iter().enumerate().filter(|(_, s)| s.is("ORC")) {
        let Some(id) = ours(cx, orc.field(2).repetition(1), at("ORC", 2)) else {
            continue;
        };
        let rxe = group(&segments, index, &["ORC"])
            .iter()
            .find(|s| s.is("RXE"))
            .copied();
        let dose_words = rxe
            .filter(|rxe| !rxe.field(3).has_value())
            .and_then(|rxe| cx.raw_text(rxe.field(5).component(2), at("RXE", 5).comp(2)));
        found.push(OwnOrder {
            mapped_id: fact_id(&patient, "order", &[NAMESPACE, &id]),
            prescriber: reference(cx, orc.field(12).repetition(1), at("ORC", 12)),
            id,
            dose_words,
        });
    }
    Ok(found)
}

// MDM^T02 ------------------------------------------------------------------------

fn note(cx: &mut Cx<'_, '_>) -> Result<Option<Vec<Fact>>, MapRejection> {
    let Some(txa) = cx.msg.segment("TXA") else {
        return Ok(None);
    };
    let (mut facts, patient, encounter) = patient_and_stay(cx, "transmission")?;
    let number = txa.field(12).repetition(1);
    let id = match ours(cx, number, at("TXA", 12)) {
        Some(id) => id,
        None => {
            let (document, authority) = cx
                .ei(number, at("TXA", 12))
                .or_else(|| {
                    let control = cx.msg.control_id()?.to_owned();
                    Some((control, cx.sender()))
                })
                .unwrap_or_default();
            fact_id(&patient, "note", &[&authority, &document])
        }
    };
    let evn_time = cx
        .msg
        .segment("EVN")
        .and_then(|evn| cx.moment(evn.field(6), at("EVN", 6)));
    let Some(at_time) = cx.moment(txa.field(4), at("TXA", 4)).or(evn_time) else {
        return Err(MapRejection::error(
            "TXA",
            4,
            error_code::REQUIRED_FIELD_MISSING,
            "TXA-4 absent : transmission sans date refusée".to_owned(),
        ));
    };
    let mut parts = Parts::default();
    let segments: Vec<Segment<'_>> = cx.msg.segments_named("OBX").collect();
    for obx in segments {
        let code = cx.text(obx.field(3).component(1), at("OBX", 3));
        let lines: Vec<String> = obx
            .field(5)
            .repetitions()
            .map(|rep| cx.raw_text(rep, at("OBX", 5)).unwrap_or_default())
            .collect();
        parts.add(code.as_deref(), lines.join("\n"));
    }
    facts.push(Fact::Care(CareFact::Note(NursingNote {
        id,
        patient,
        encounter,
        target: parts.target,
        data: parts.data,
        actions: parts.actions,
        results: parts.results,
        at: at_time,
        by: person(cx, txa.field(5).repetition(1), at("TXA", 5))
            .unwrap_or_else(|| "non renseigné".to_owned()),
        for_handover: parts.handover,
    })));
    Ok(Some(facts))
}

/// The parts of a targeted note; the text of a note written otherwise goes
/// to the data.
#[derive(Default)]
struct Parts {
    target: String,
    data: String,
    actions: String,
    results: String,
    handover: bool,
}

impl Parts {
    fn add(&mut self, code: Option<&str>, text: String) {
        let slot = match code {
            Some("CIBLE") => &mut self.target,
            Some("DONNEES") => &mut self.data,
            Some("ACTIONS") => &mut self.actions,
            Some("RESULTATS") => &mut self.results,
            Some("RELEVE") => {
                self.handover = text.trim() == "Y";
                return;
            }
            _ => &mut self.data,
        };
        if !slot.is_empty() {
            slot.push('\n');
        }
        slot.push_str(&text);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{map_ok, msg};
    use super::*;

    const HEAD: &str = "PID|1||99000001^^^CKISA-PROVISOIRE^PI||INCONNU^Homme\r\
                        PV1|1|I|||||||||||||||||DT1^^^CKISA-PROVISOIRE^VN";

    fn care(mapped: &super::super::Mapped) -> Vec<&CareFact> {
        mapped
            .facts
            .iter()
            .filter_map(|f| match f {
                Fact::Care(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_his_ras_gives_administrations_with_their_outcome() {
        let mapped = map_ok(&msg(
            "RAS^O17",
            &format!(
                "{HEAD}\rORC|RE|1000^OE|77^PHARMA\r\
                 RXA|0|1|20261204080500+0100|20261204080500+0100|PARA^Paracétamol^L|1|g||\
                 |inf1^Une^Marie||||||||||CP\rRXR|PO\r\
                 RXA|0|2|20261204140000+0100||PARA^Paracétamol^L|0||||||||||||RE^Refus du patient^L||NA"
            ),
        ));
        let care = care(&mapped);
        assert_eq!(care.len(), 2);
        let CareFact::Administered(given) = care[0] else {
            panic!("{care:?}")
        };
        let patient = PatientKey::ipp("CKISA-PROVISOIRE", "99000001");
        assert_eq!(
            given.medication,
            fact_id(&patient, "order", &["OE", "1000"])
        );
        assert_eq!(
            given.outcome,
            AdministrationOutcome::Given {
                dose: "1 g".into(),
                route: "PO".into()
            }
        );
        assert_eq!(given.by, "Marie Une");
        assert_eq!(
            given.encounter,
            Some(EncounterKey("vn:CKISA-PROVISOIRE|DT1".into()))
        );
        assert!(
            given
                .id
                .starts_with("hl7:ipp:CKISA-PROVISOIRE|99000001|adm|PHARMA/77|")
        );
        let CareFact::Administered(refused) = care[1] else {
            panic!("{care:?}")
        };
        assert_eq!(
            refused.outcome,
            AdministrationOutcome::NotGiven {
                reason: "Refus du patient".into()
            }
        );
        assert_ne!(given.id, refused.id);
    }

    #[test]
    fn a_foreign_mdm_or_oml_is_left_to_the_general_mapping() {
        let report = map_ok(&msg(
            "MDM^T02",
            &format!("{HEAD}\rTXA|1|CR^Compte rendu^L|TX|20261204080000+0100\rOBX|1|TX|X||texte"),
        ));
        assert!(report.ignored);
        let lab = map_ok(&msg(
            "OML^O21",
            &format!("{HEAD}\rORC|NW|1^LAB\rOBR|1|1^LAB||GLU^Glycémie^L"),
        ));
        assert!(care(&lab).is_empty());
    }

    #[test]
    fn a_ras_without_time_is_reported_not_guessed() {
        let mapped = map_ok(&msg(
            "RAS^O17",
            &format!("{HEAD}\rORC|RE|1^CKISA|a1^CKISA\rRXA|0|1||||PARA"),
        ));
        assert!(care(&mapped).is_empty());
        assert!(
            mapped.warnings.iter().any(|w| w.starts_with("RXA-3")),
            "{:?}",
            mapped.warnings
        );
    }
}
