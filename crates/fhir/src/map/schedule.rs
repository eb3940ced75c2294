//! Appointment and NutritionOrder to the facts the clinics and the kitchen need:
//! `AppointmentRecorded` and `DietRecorded`.
//!
//! Appointment (<https://hl7.org/fhir/R4/appointment.html>): the Patient participant is
//! required; the first Practitioner (or PractitionerRole) participant is the practitioner and
//! the first Location (else HealthcareService) participant the clinic, declined participants
//! skipped. Status: proposed, pending, booked, arrived, checked-in, waitlist are booked;
//! cancelled and entered-in-error cancelled; noshow; fulfilled. `start` is required; the
//! duration is `minutesDuration`, else `end - start`. The reason is the first `reasonCode`, else
//! `appointmentType`, else the first `serviceType`, else `description` (as SCH-7, SCH-8 and
//! AIS-3 are read in HL7 v2).
//!
//! NutritionOrder (<https://hl7.org/fhir/R4/nutritionorder.html>): `oralDiet.type` gives the
//! diets; textures, fluid consistency, foods to exclude, preferences, supplements, enteral
//! formula, instructions and notes give the remarks. Active and on-hold orders are in force,
//! any other status is not. `dateTime` is the start. Nil by mouth: a diet coded NPO, or a
//! diet or instruction saying « à jeun », NPO, nil or nothing by mouth.

use ckisa_domain::{Appointment, AppointmentStatus, Diet, Fact, Moment, ResourceRef};

use super::{Ctx, coded, concept_text, notes, stable_id};
use crate::error::EntryError;
use crate::model;
use crate::resolve::Resolved;

/// The longest duration read as such (a week).
const MAX_MINUTES: i64 = 7 * 24 * 60;

/// Maps an Appointment.
pub(super) fn appointment(
    appointment: model::Appointment,
    id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Fact, EntryError> {
    let participants: Vec<(Option<String>, &model::AppointmentParticipant)> = appointment
        .participant
        .iter()
        .map(|p| (p.actor.as_ref().and_then(|a| actor_kind(ctx, a)), p))
        .collect();
    let of_kind = |kinds: &[&str]| {
        participants
            .iter()
            .filter(|(kind, p)| {
                kind.as_deref().is_some_and(|k| kinds.contains(&k))
                    && p.status.as_deref() != Some("declined")
            })
            .find_map(|(_, p)| p.actor.as_ref())
    };
    let patient_actor = participants
        .iter()
        .find(|(kind, _)| kind.as_deref() == Some("Patient"))
        .and_then(|(_, p)| p.actor.as_ref());
    let Some(patient_actor) = patient_actor else {
        return Err(EntryError::MissingSubject {
            element: "Appointment.participant.actor",
        });
    };
    let patient = ctx.patient("Appointment.participant.actor", Some(patient_actor))?;
    let practitioner = of_kind(&["Practitioner", "PractitionerRole"]).cloned();
    let location = of_kind(&["Location"]).cloned();
    let service = of_kind(&["HealthcareService"]).cloned();

    let start = required_start(appointment.start.as_deref())?;
    let minutes = match appointment.minutes_duration.filter(|&m| m > 0) {
        Some(minutes) => Some(minutes),
        None => {
            let end = ctx.moment("Appointment.end", appointment.end.as_deref());
            end.and_then(|end| minutes_between(&start, &end))
        }
    };
    let status = appointment_status(ctx, appointment.status.as_deref());
    let practitioner: Option<ResourceRef> =
        ctx.resource_ref("Appointment.participant.actor", practitioner.as_ref());
    let clinic = location
        .as_ref()
        .and_then(|l| clinic_name(ctx, l))
        .or_else(|| service.as_ref().and_then(|s| clinic_name(ctx, s)));
    let reason = appointment
        .reason_code
        .iter()
        .find_map(concept_text)
        .or_else(|| appointment.appointment_type.as_ref().and_then(concept_text))
        .or_else(|| appointment.service_type.iter().find_map(concept_text))
        .or_else(|| non_blank(appointment.description.clone()));
    Ok(Fact::AppointmentRecorded(Appointment {
        id: stable_id("Appointment", id),
        patient,
        start,
        minutes,
        clinic,
        practitioner,
        reason,
        status,
    }))
}

/// The resource type an actor reference designates: the resolved target, the type before
/// `?` of a conditional reference, else `Reference.type`.
fn actor_kind(ctx: &Ctx<'_>, actor: &model::Reference) -> Option<String> {
    match actor.reference.as_deref().map(|r| ctx.index.resolve(r)) {
        Some(Resolved::Local(target)) => Some(target.kind),
        Some(Resolved::Conditional { kind, .. }) => Some(kind.to_owned()),
        _ => actor.kind.clone(),
    }
}

/// A Location's name when it is in the document, else the reference's display, else the
/// identifier or id it names.
fn clinic_name(ctx: &Ctx<'_>, actor: &model::Reference) -> Option<String> {
    let resolved = actor.reference.as_deref().map(|r| ctx.index.resolve(r));
    let (named, fallback) = match resolved {
        Some(Resolved::Local(target)) => (
            ctx.index
                .locations
                .get(&target.reference())
                .and_then(|info| info.name.clone()),
            Some(target.id),
        ),
        Some(Resolved::Conditional { identifier, .. }) => (None, identifier.map(|i| i.value)),
        _ => (None, None),
    };
    non_blank(named)
        .or_else(|| non_blank(actor.display.clone()))
        .or(fallback)
}

/// `Appointment.start`: without it the appointment cannot be listed.
fn required_start(text: Option<&str>) -> Result<Moment, EntryError> {
    let Some(text) = text else {
        return Err(EntryError::MissingElement {
            element: "Appointment.start",
            consequence: "rendez-vous sans heure de début non repris",
        });
    };
    Moment::parse_iso(text).ok_or_else(|| EntryError::InvalidRequiredDate {
        element: "Appointment.start",
        value: text.to_owned(),
    })
}

/// Minutes from `start` to `end` when both have a time and `end` comes after, within a week.
fn minutes_between(start: &Moment, end: &Moment) -> Option<u32> {
    if !start.has_time() || !end.has_time() {
        return None;
    }
    let minutes = (end.sort_key() - start.sort_key()) / 60_000;
    (1..=MAX_MINUTES)
        .contains(&minutes)
        .then(|| u32::try_from(minutes).ok())
        .flatten()
}

/// `Appointment.status` (value set appointmentstatus).
fn appointment_status(ctx: &mut Ctx<'_>, status: Option<&str>) -> AppointmentStatus {
    const ELEMENT: &str = "Appointment.status";
    let Some(code) = status.map(str::trim) else {
        ctx.warnings.push(EntryError::MissingCode {
            element: ELEMENT,
            read_as: "booked",
        });
        return AppointmentStatus::Booked;
    };
    match code {
        "proposed" | "pending" | "booked" | "arrived" | "checked-in" | "waitlist" => {
            AppointmentStatus::Booked
        }
        "cancelled" | "entered-in-error" => AppointmentStatus::Cancelled,
        "noshow" => AppointmentStatus::NoShow,
        "fulfilled" => AppointmentStatus::Fulfilled,
        other => {
            ctx.warnings.push(EntryError::UnknownCode {
                element: ELEMENT,
                value: other.to_owned(),
                read_as: "booked",
            });
            AppointmentStatus::Booked
        }
    }
}

/// Maps a NutritionOrder.
pub(super) fn nutrition_order(
    order: model::NutritionOrder,
    id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<Fact, EntryError> {
    let patient = ctx.patient("NutritionOrder.patient", order.patient.as_ref())?;
    let encounter = ctx.encounter("NutritionOrder.encounter", order.encounter.as_ref());
    let start = ctx.moment("NutritionOrder.dateTime", order.date_time.as_deref());
    let active = order_in_force(ctx, order.status.as_deref());
    let oral = order.oral_diet.unwrap_or_default();
    let npo_coded = oral.kind.iter().any(|concept| {
        concept.coding.iter().any(|c| {
            c.code
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case("NPO"))
        })
    });
    let diets: Vec<_> = oral.kind.into_iter().map(|c| coded(Some(c))).collect();

    let mut remarks: Vec<String> = Vec::new();
    for texture in &oral.texture {
        let modifier = texture.modifier.as_ref().and_then(concept_text);
        let food = texture.food_type.as_ref().and_then(concept_text);
        remarks.extend(match (modifier, food) {
            (Some(modifier), Some(food)) => Some(format!("Texture : {modifier} ({food})")),
            (Some(modifier), None) => Some(format!("Texture : {modifier}")),
            (None, Some(food)) => Some(format!("Texture : {food}")),
            (None, None) => None,
        });
    }
    let labelled = [
        ("Liquides", &oral.fluid_consistency_type),
        ("Exclure", &order.exclude_food_modifier),
        ("Préférence", &order.food_preference_modifier),
    ];
    for (label, concepts) in labelled {
        remarks.extend(
            concepts
                .iter()
                .filter_map(concept_text)
                .map(|text| format!("{label} : {text}")),
        );
    }
    for supplement in &order.supplement {
        let name = non_blank(supplement.product_name.clone())
            .or_else(|| supplement.kind.as_ref().and_then(concept_text));
        remarks.extend(name.map(|name| format!("Complément : {name}")));
        remarks.extend(non_blank(supplement.instruction.clone()));
    }
    if let Some(formula) = &order.enteral_formula {
        let name = non_blank(formula.base_formula_product_name.clone())
            .or_else(|| formula.base_formula_type.as_ref().and_then(concept_text));
        remarks.extend(name.map(|name| format!("Nutrition entérale : {name}")));
        remarks.extend(non_blank(formula.administration_instruction.clone()));
    }
    remarks.extend(non_blank(oral.instruction));
    remarks.extend(notes(order.note));

    let nil_by_mouth = npo_coded
        || diets.iter().any(|d| says_nil_by_mouth(&d.text))
        || remarks.iter().any(|r| says_nil_by_mouth(r));
    Ok(Fact::DietRecorded(Diet {
        id: stable_id("NutritionOrder", id),
        patient,
        encounter,
        diets,
        remarks: (!remarks.is_empty()).then(|| remarks.join("; ")),
        start,
        nil_by_mouth,
        active,
    }))
}

/// `NutritionOrder.status`: active and on-hold orders are in force.
fn order_in_force(ctx: &mut Ctx<'_>, status: Option<&str>) -> bool {
    const ELEMENT: &str = "NutritionOrder.status";
    match status.map(str::trim) {
        Some("active" | "on-hold") => true,
        Some("draft" | "revoked" | "completed" | "entered-in-error" | "unknown") => false,
        Some(other) => {
            ctx.warnings.push(EntryError::UnknownCode {
                element: ELEMENT,
                value: other.to_owned(),
                read_as: "unknown",
            });
            false
        }
        None => {
            ctx.warnings.push(EntryError::MissingCode {
                element: ELEMENT,
                read_as: "unknown",
            });
            false
        }
    }
}

/// The text unless blank.
fn non_blank(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}

fn says_nil_by_mouth(text: &str) -> bool {
    ckisa_domain::Diet::says_nil_by_mouth(text)
}

#[cfg(test)]
mod tests {
    use ckisa_domain::{PatientKey, Precision};

    use super::*;
    use crate::read;
    use crate::resolve::{Index, LocationInfo, Target};

    fn ctx(index: &Index) -> Ctx<'_> {
        Ctx {
            index,
            warnings: Vec::new(),
        }
    }

    fn check_appointment(json: &str, index: &Index) -> Result<(Appointment, Vec<String>), String> {
        let mut ctx = ctx(index);
        let resource = serde_json::from_str(json).map_err(|e| e.to_string())?;
        match appointment(resource, "rv1", &mut ctx) {
            Ok(Fact::AppointmentRecorded(a)) => {
                Ok((a, ctx.warnings.iter().map(ToString::to_string).collect()))
            }
            Ok(other) => panic!("{other:?}"),
            Err(err) => Err(err.to_string()),
        }
    }

    fn check_diet(json: &str) -> Result<(Diet, Vec<String>), String> {
        let index = Index::default();
        let mut ctx = ctx(&index);
        let resource = serde_json::from_str(json).map_err(|e| e.to_string())?;
        match nutrition_order(resource, "no1", &mut ctx) {
            Ok(Fact::DietRecorded(d)) => {
                Ok((d, ctx.warnings.iter().map(ToString::to_string).collect()))
            }
            Ok(other) => panic!("{other:?}"),
            Err(err) => Err(err.to_string()),
        }
    }

    const PARTICIPANTS: &str = r#""participant":[
        {"actor":{"reference":"Patient/p1","display":"Jeanne DUPONT"},"status":"accepted"},
        {"actor":{"reference":"Practitioner/dr9","display":"Dr Luc MARTIN"},"status":"accepted"},
        {"actor":{"reference":"Location/cs-cardio","display":"Consultation de cardiologie"},"status":"accepted"}]"#;

    #[test]
    fn a_booked_appointment_reads_every_element() {
        let json = format!(
            r#"{{"status":"booked","start":"2024-03-15T09:30:00+01:00","end":"2024-03-15T10:00:00+01:00",
                "appointmentType":{{"coding":[{{"code":"FOLLOWUP","display":"Suivi"}}]}},
                "reasonCode":[{{"text":"Suivi d'infarctus"}}],{PARTICIPANTS}}}"#
        );
        let (a, warnings) = check_appointment(&json, &Index::default()).unwrap();
        assert_eq!(a.id, "fhir:Appointment/rv1");
        assert_eq!(a.patient, PatientKey::fhir("p1"));
        assert_eq!(a.start.to_iso(), "2024-03-15T09:30:00+01:00");
        assert_eq!(a.minutes, Some(30), "end - start");
        assert_eq!(a.clinic.as_deref(), Some("Consultation de cardiologie"));
        let doctor = a.practitioner.unwrap();
        assert_eq!(doctor.reference.as_deref(), Some("Practitioner/dr9"));
        assert_eq!(doctor.display.as_deref(), Some("Dr Luc MARTIN"));
        assert_eq!(a.reason.as_deref(), Some("Suivi d'infarctus"));
        assert_eq!(a.status, AppointmentStatus::Booked);
        assert_eq!(warnings, Vec::<String>::new());
    }

    #[test]
    fn statuses_follow_the_value_set() {
        let cases = [
            ("pending", AppointmentStatus::Booked),
            ("arrived", AppointmentStatus::Booked),
            ("cancelled", AppointmentStatus::Cancelled),
            ("entered-in-error", AppointmentStatus::Cancelled),
            ("noshow", AppointmentStatus::NoShow),
            ("fulfilled", AppointmentStatus::Fulfilled),
        ];
        for (status, expected) in cases {
            let json = format!(r#"{{"status":"{status}","start":"2024-03-15",{PARTICIPANTS}}}"#);
            let (a, warnings) = check_appointment(&json, &Index::default()).unwrap();
            assert_eq!(a.status, expected, "{status}");
            assert!(warnings.is_empty(), "{status}: {warnings:?}");
        }
        let odd = format!(r#"{{"status":"reporté","start":"2024-03-15",{PARTICIPANTS}}}"#);
        let (a, warnings) = check_appointment(&odd, &Index::default()).unwrap();
        assert_eq!(a.status, AppointmentStatus::Booked);
        assert_eq!(
            warnings,
            ["Appointment.status : code « reporté » inconnu, lu comme « booked »"]
        );
        let none = format!(r#"{{"start":"2024-03-15",{PARTICIPANTS}}}"#);
        let (_, warnings) = check_appointment(&none, &Index::default()).unwrap();
        assert_eq!(warnings, ["Appointment.status absent, lu comme « booked »"]);
    }

    #[test]
    fn minutes_duration_wins_and_reason_falls_back() {
        let json = format!(
            r#"{{"status":"booked","start":"2024-03-15T09:30:00+01:00","end":"2024-03-15T11:00:00+01:00",
                "minutesDuration":20,"serviceType":[{{"text":"Cardiologie"}}],{PARTICIPANTS}}}"#
        );
        let (a, _) = check_appointment(&json, &Index::default()).unwrap();
        assert_eq!(a.minutes, Some(20));
        assert_eq!(a.reason.as_deref(), Some("Cardiologie"));
        let typed = format!(
            r#"{{"status":"booked","start":"2024-03-15","appointmentType":{{"text":"Suivi"}},
                "serviceType":[{{"text":"Cardiologie"}}],"description":"Contrôle",{PARTICIPANTS}}}"#
        );
        let (a, _) = check_appointment(&typed, &Index::default()).unwrap();
        assert_eq!(a.reason.as_deref(), Some("Suivi"));
        assert_eq!((a.start.precision, a.minutes), (Precision::Day, None));
        let described = format!(
            r#"{{"status":"booked","start":"2024-03-15","description":"Contrôle",{PARTICIPANTS}}}"#
        );
        let (a, _) = check_appointment(&described, &Index::default()).unwrap();
        assert_eq!(a.reason.as_deref(), Some("Contrôle"));
        let backwards = format!(
            r#"{{"status":"booked","start":"2024-03-15T10:00:00+01:00","end":"2024-03-15T09:00:00+01:00",{PARTICIPANTS}}}"#
        );
        assert_eq!(
            check_appointment(&backwards, &Index::default())
                .unwrap()
                .0
                .minutes,
            None
        );
    }

    #[test]
    fn participants_resolve_within_the_bundle_and_declined_ones_are_skipped() {
        let mut index = Index::default();
        let url = |index: &mut Index, url: &str, kind: &str, id: &str| {
            index.add_url(
                url,
                Target {
                    kind: kind.into(),
                    id: id.into(),
                },
            );
        };
        url(&mut index, "urn:uuid:p", "Patient", "p7");
        url(&mut index, "urn:uuid:l", "Location", "l3");
        index.locations.insert(
            "Location/l3".into(),
            LocationInfo {
                name: Some("Consultation de pneumologie".into()),
                ..LocationInfo::default()
            },
        );
        let json = r#"{"status":"booked","start":"2024-03-15T14:00:00+01:00","minutesDuration":15,
            "participant":[
              {"actor":{"reference":"Practitioner/absent"},"status":"declined"},
              {"actor":{"reference":"Practitioner?identifier=urn:oid:1.2.250.1.71.4.2.1|10101","display":"Dr Y"}},
              {"actor":{"reference":"urn:uuid:l"}},
              {"actor":{"reference":"urn:uuid:p"}}]}"#;
        let (a, _) = check_appointment(json, &index).unwrap();
        assert_eq!(a.patient, PatientKey::fhir("p7"));
        assert_eq!(a.clinic.as_deref(), Some("Consultation de pneumologie"));
        let doctor = a.practitioner.unwrap();
        assert_eq!(doctor.reference, None);
        assert_eq!(doctor.identifier.unwrap().value, "10101");
        assert_eq!(doctor.display.as_deref(), Some("Dr Y"));

        let service = r#"{"status":"booked","start":"2024-03-15",
            "participant":[{"actor":{"type":"Patient","identifier":{"system":"CHU","value":"42"}}},
                           {"actor":{"reference":"HealthcareService/hs1","display":"Hôpital de jour"}}]}"#;
        let (a, _) = check_appointment(service, &Index::default()).unwrap();
        assert_eq!(
            a.patient,
            PatientKey::ipp("CHU", "42"),
            "a patient named by identifier"
        );
        assert_eq!(a.clinic.as_deref(), Some("Hôpital de jour"));
        assert_eq!(a.practitioner, None);
    }

    #[test]
    fn refusals_name_the_element() {
        let no_patient = r#"{"status":"booked","start":"2024-03-15",
            "participant":[{"actor":{"reference":"Practitioner/dr9"}}]}"#;
        assert_eq!(
            check_appointment(no_patient, &Index::default()).unwrap_err(),
            "Appointment.participant.actor absent : la ressource ne désigne pas son patient"
        );
        let no_start = format!(r#"{{"status":"booked",{PARTICIPANTS}}}"#);
        assert_eq!(
            check_appointment(&no_start, &Index::default()).unwrap_err(),
            "Appointment.start absent : rendez-vous sans heure de début non repris"
        );
        let bad_start = format!(r#"{{"status":"booked","start":"15/03/2024",{PARTICIPANTS}}}"#);
        assert_eq!(
            check_appointment(&bad_start, &Index::default()).unwrap_err(),
            "Appointment.start : date invalide « 15/03/2024 », ressource non reprise"
        );
        let dangling = r#"{"status":"booked","start":"2024-03-15",
            "participant":[{"actor":{"reference":"urn:uuid:gone","type":"Patient"}}]}"#;
        assert_eq!(
            check_appointment(dangling, &Index::default()).unwrap_err(),
            "Appointment.participant.actor : la référence « urn:uuid:gone » ne désigne aucun patient identifiable"
        );
    }

    #[test]
    fn a_nutrition_order_gives_diets_and_remarks() {
        let (diet, warnings) = check_diet(
            r#"{"status":"active","patient":{"reference":"Patient/p1"},"dateTime":"2024-03-10T12:00:00+01:00",
               "excludeFoodModifier":[{"text":"Arachide"}],
               "oralDiet":{"type":[{"coding":[{"system":"http://snomed.info/sct","code":"160670007","display":"Diabetic diet"}],"text":"Diabétique"},
                                   {"text":"Sans sel"}],
                           "texture":[{"modifier":{"text":"Mixé"},"foodType":{"text":"Viande"}}],
                           "fluidConsistencyType":[{"text":"Épaissis"}],
                           "instruction":"Sucre en dosettes"},
               "supplement":[{"productName":"Crème hyperprotéinée","instruction":"2 par jour"}],
               "note":[{"text":"Aide au repas"}]}"#,
        )
        .unwrap();
        assert_eq!(diet.id, "fhir:NutritionOrder/no1");
        assert_eq!(diet.patient, PatientKey::fhir("p1"));
        let names: Vec<&str> = diet.diets.iter().map(|d| d.text.as_str()).collect();
        assert_eq!(names, ["Diabétique", "Sans sel"]);
        assert_eq!(diet.diets[0].code.as_deref(), Some("160670007"));
        assert_eq!(
            diet.remarks.as_deref(),
            Some(
                "Texture : Mixé (Viande); Liquides : Épaissis; Exclure : Arachide; \
                 Complément : Crème hyperprotéinée; 2 par jour; Sucre en dosettes; Aide au repas"
            )
        );
        assert_eq!(diet.start.map(|s| (s.day, s.hour)), Some((10, 12)));
        assert!(diet.active);
        assert!(!diet.nil_by_mouth);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn status_decides_whether_the_order_is_in_force() {
        for (status, active) in [
            ("active", true),
            ("on-hold", true),
            ("draft", false),
            ("revoked", false),
            ("completed", false),
            ("entered-in-error", false),
        ] {
            let json = format!(
                r#"{{"status":"{status}","patient":{{"reference":"Patient/p1"}},"oralDiet":{{"type":[{{"text":"Normal"}}]}}}}"#
            );
            assert_eq!(check_diet(&json).unwrap().0.active, active, "{status}");
        }
        let (diet, warnings) = check_diet(r#"{"patient":{"reference":"Patient/p1"}}"#).unwrap();
        assert!(!diet.active);
        assert_eq!(
            warnings,
            ["NutritionOrder.status absent, lu comme « unknown »"]
        );
        assert_eq!(
            check_diet(r#"{"status":"active"}"#).unwrap_err(),
            "NutritionOrder.patient absent : la ressource ne désigne pas son patient"
        );
    }

    #[test]
    fn nil_by_mouth_from_a_code_or_words() {
        let cases = [
            (r#""oralDiet":{"type":[{"coding":[{"code":"NPO"}]}]}"#, true),
            (r#""oralDiet":{"type":[{"text":"À jeun"}]}"#, true),
            (
                r#""oralDiet":{"type":[{"text":"Normal"}],"instruction":"A jeun à partir de minuit"}"#,
                true,
            ),
            (
                r#""oralDiet":{"type":[{"text":"Normal"}],"instruction":"Nil by mouth after 22:00"}"#,
                true,
            ),
            (
                r#""oralDiet":{"type":[{"text":"Normal"}],"instruction":"Plus à jeun depuis 8 h"}"#,
                false,
            ),
            (r#""oralDiet":{"type":[{"text":"Normal"}]}"#, false),
        ];
        for (diet, expected) in cases {
            let json =
                format!(r#"{{"status":"active","patient":{{"reference":"Patient/p1"}},{diet}}}"#);
            assert_eq!(
                check_diet(&json).unwrap().0.nil_by_mouth,
                expected,
                "{diet}"
            );
        }
    }

    #[test]
    fn a_bundle_and_a_lone_resource_read_through_the_reader() {
        let bundle = r#"{"resourceType":"Bundle","type":"transaction","entry":[
          {"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","id":"p1","name":[{"family":"DUPONT"}]}},
          {"fullUrl":"urn:uuid:l","resource":{"resourceType":"Location","id":"cs","name":"Consultation d'ORL"}},
          {"fullUrl":"urn:uuid:e","resource":{"resourceType":"Encounter","id":"e1","status":"in-progress","subject":{"reference":"urn:uuid:p"}}},
          {"resource":{"resourceType":"Appointment","id":"rv1","status":"booked","start":"2024-03-15T09:00:00+01:00","minutesDuration":30,
            "participant":[{"actor":{"reference":"urn:uuid:p"}},{"actor":{"reference":"urn:uuid:l"}}]}},
          {"resource":{"resourceType":"NutritionOrder","id":"no1","status":"active","patient":{"reference":"urn:uuid:p"},
            "encounter":{"reference":"urn:uuid:e"},"oralDiet":{"type":[{"text":"Sans sel"}]}}}]}"#;
        let doc = read(bundle.as_bytes(), "bundle");
        assert_eq!(doc.problems, []);
        let kinds: Vec<&str> = doc.facts().map(Fact::kind).collect();
        assert_eq!(
            kinds,
            ["patient", "directory", "stay", "appointment", "diet"]
        );
        let facts: Vec<&Fact> = doc.facts().collect();
        let Fact::AppointmentRecorded(a) = facts[3] else {
            panic!("{:?}", facts[3])
        };
        assert_eq!(a.clinic.as_deref(), Some("Consultation d'ORL"));
        assert_eq!(a.patient, PatientKey::fhir("p1"));
        let Fact::DietRecorded(d) = facts[4] else {
            panic!("{:?}", facts[4])
        };
        assert_eq!(
            d.encounter.as_ref().map(|e| e.as_str()),
            Some("fhir:Encounter/e1")
        );

        // Across files: the patient and the practitioner arrive in other documents.
        let lone = r#"{"resourceType":"Appointment","id":"rv2","status":"cancelled","start":"2024-03-16T10:00:00+01:00",
            "participant":[{"actor":{"reference":"Patient/p1"}},{"actor":{"reference":"Practitioner/dr9"}},
                           {"actor":{"reference":"Location/cs"}}]}"#;
        let doc = read(lone.as_bytes(), "lone");
        assert_eq!(doc.problems, []);
        let Some(Fact::AppointmentRecorded(a)) = doc.facts().next() else {
            panic!("{:?}", doc.items)
        };
        assert_eq!(a.patient, PatientKey::fhir("p1"));
        assert_eq!(a.status, AppointmentStatus::Cancelled);
        assert_eq!(
            a.practitioner.as_ref().and_then(|p| p.reference.as_deref()),
            Some("Practitioner/dr9"),
            "kept for the store to resolve from its directory"
        );
        assert_eq!(
            a.clinic.as_deref(),
            Some("cs"),
            "the Location's id when its name is elsewhere"
        );

        let problems = read(
            br#"{"resourceType":"Appointment","id":"rv3","status":"booked","participant":[{"actor":{"reference":"Patient/p1"}}]}"#,
            "x",
        )
        .problems;
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].location, "ressource (Appointment/rv3)");
        assert!(problems[0].dropped);
    }
}
