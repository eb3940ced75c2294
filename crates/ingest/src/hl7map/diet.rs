//! Diet orders (HL7 v2.5.1 ch. 4.8): OMD^O03, and the v2.3 form (ORM^O01 whose ORC group holds
//! an ODS, see [`super::pharmacy`]), become one [`Diet`] per ORC group, for the kitchen.
//!
//! - Id: ORC-2 placer, else ORC-3 filler order number, under the patient
//!   (`hl7:<patient>|diet|<authority>|<number>`); without either, `hl7:<patient>|diet`: one
//!   diet per patient, which the next order without number replaces.
//! - Diets: ODS-3 of each ODS of type D (table 0159). Supplements (S), preferences (P), every
//!   ODS-4 text instruction and the NTE after an ODS go to the remarks.
//! - Nil by mouth: a diet coded NPO, or a diet name or remark saying « à jeun » (not « pas à
//!   jeun »), NPO, nil or nothing by mouth.
//! - In force unless ORC-1 is CA, DC, OC, OD, CR or DR, or ORC-5 is CA, DC or CM.
//! - From: TQ1-7, else ORC-7.4 (TQ start), else ORC-15 order effective date, else ORC-9
//!   transaction time.
//!
//! Refused (AE): no PID, no ORC. A group with no diet (a tray instruction only, ODT) is
//! reported, not refused.

use ckisa_domain::{Coded, Diet, Fact, Moment, PatientKey};
use ckisa_hl7::Segment;

use super::ids::fact_id;
use super::read::{Cx, at};
use super::{MapRejection, adt, clinical, error_code, patient};

/// Maps a diet order message (`label` is its type, `OMD^O03`).
pub(super) fn map(cx: &mut Cx<'_, '_>, label: &str) -> Result<Option<Vec<Fact>>, MapRejection> {
    let Some(pid) = cx.msg.segment("PID") else {
        return Err(MapRejection::error(
            "PID",
            0,
            error_code::REQUIRED_FIELD_MISSING,
            format!("PID absent : commande de régime {label} sans patient refusée"),
        ));
    };
    let update = patient::read_pid(cx, pid)?;
    let patient = update.patient.clone();
    let encounter = cx
        .msg
        .segment("PV1")
        .and_then(|pv1| adt::visit_key(cx, pv1.field(19).repetition(1), at("PV1", 19)));
    let segments: Vec<Segment<'_>> = cx.msg.segments().collect();
    let starts: Vec<usize> = (0..segments.len())
        .filter(|&i| segments[i].is("ORC"))
        .collect();
    if starts.is_empty() {
        return Err(MapRejection::error(
            "ORC",
            0,
            error_code::SEGMENT_SEQUENCE,
            format!("ORC absent : commande de régime {label} sans ORC refusée"),
        ));
    }
    let mut facts = vec![Fact::PatientUpdated(update)];
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(segments.len());
        let group = &segments[start + 1..end];
        if let Some(mut diet) = diet(cx, segments[start], group, &patient) {
            diet.encounter = encounter.clone();
            facts.push(Fact::DietRecorded(diet));
        }
    }
    facts.extend(clinical::map(cx, &patient, encounter.as_ref()));
    Ok(Some(facts))
}

/// The diet one ORC and the segments up to the next ORC order; `None`, with a warning, when
/// the group orders no diet. The caller sets the stay.
pub(super) fn diet(
    cx: &mut Cx<'_, '_>,
    orc: Segment<'_>,
    group: &[Segment<'_>],
    patient: &PatientKey,
) -> Option<Diet> {
    let active = in_force(cx, orc);
    let mut diets = Vec::new();
    let mut remarks = Vec::new();
    let mut after_ods = false;
    for segment in group {
        if segment.is("ODS") {
            read_ods(cx, *segment, &mut diets, &mut remarks);
            after_ods = true;
        } else if after_ods && segment.is("NTE") {
            remarks.extend(cx.text(segment.field(3), at("NTE", 3)));
        } else {
            after_ods = false;
        }
    }
    if diets.is_empty() && remarks.is_empty() && active {
        let reason = if group.iter().any(|s| s.is("ODT")) {
            "ODT : instructions de plateau sans régime (ODS) non exploitées"
        } else {
            "ODS absent : commande sans régime ignorée"
        };
        cx.warn(reason.to_owned());
        return None;
    }
    let nil_by_mouth = diets.iter().any(|d| {
        d.code
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("NPO"))
            || says_nil_by_mouth(&d.text)
    }) || remarks.iter().any(|r| says_nil_by_mouth(r));
    Some(Diet {
        id: diet_id(cx, orc, patient),
        patient: patient.clone(),
        encounter: None,
        diets,
        remarks: (!remarks.is_empty()).then(|| remarks.join("; ")),
        start: start(cx, orc, group),
        nil_by_mouth,
        active,
    })
}

/// ORC-2 placer, else ORC-3 filler order number, under the patient.
fn diet_id(cx: &mut Cx<'_, '_>, orc: Segment<'_>, patient: &PatientKey) -> String {
    let number = cx
        .ei(orc.field(2).repetition(1), at("ORC", 2))
        .or_else(|| cx.ei(orc.field(3).repetition(1), at("ORC", 3)));
    match number {
        Some((number, authority)) => fact_id(patient, "diet", &[&authority, &number]),
        None => {
            cx.warn(
                "ORC-2 et ORC-3 absents : régime sans numéro de commande, il remplace le régime \
                 du patient sans numéro"
                    .to_owned(),
            );
            fact_id(patient, "diet", &[])
        }
    }
}

/// ORC-1 order control, then ORC-5 order status (tables 0119, 0038).
fn in_force(cx: &mut Cx<'_, '_>, orc: Segment<'_>) -> bool {
    let control = cx.text(orc.field(1), at("ORC", 1)).unwrap_or_default();
    let state = cx.text(orc.field(5), at("ORC", 5)).unwrap_or_default();
    let ended = matches!(
        control.to_ascii_uppercase().as_str(),
        "CA" | "DC" | "OC" | "OD" | "CR" | "DR"
    ) || matches!(state.to_ascii_uppercase().as_str(), "CA" | "DC" | "CM");
    !ended
}

/// ODS-1 type, ODS-3 codes and ODS-4 instructions.
fn read_ods(
    cx: &mut Cx<'_, '_>,
    ods: Segment<'_>,
    diets: &mut Vec<Coded>,
    remarks: &mut Vec<String>,
) {
    let kind = cx
        .text(ods.field(1), at("ODS", 1))
        .map(|k| k.to_ascii_uppercase());
    let codes: Vec<Coded> = ods
        .field(3)
        .repetitions()
        .filter_map(|rep| cx.coded(rep, at("ODS", 3)))
        .collect();
    match kind.as_deref() {
        Some("D") => diets.extend(codes),
        Some("S") => remarks.extend(codes.iter().map(|c| format!("Complément : {}", c.text))),
        Some("P") => remarks.extend(codes.iter().map(|c| format!("Préférence : {}", c.text))),
        Some(other) => {
            cx.warn(format!(
                "ODS-1 : type « {other} » absent de la table 0159, lu comme régime (D)"
            ));
            diets.extend(codes);
        }
        None => {
            cx.warn("ODS-1 absent : lu comme régime (D)".to_owned());
            diets.extend(codes);
        }
    }
    for rep in ods.field(4).repetitions() {
        remarks.extend(cx.text(rep, at("ODS", 4)));
    }
}

/// TQ1-7, else ORC-7.4, else ORC-15, else ORC-9.
fn start(cx: &mut Cx<'_, '_>, orc: Segment<'_>, group: &[Segment<'_>]) -> Option<Moment> {
    for tq1 in group.iter().filter(|s| s.is("TQ1")) {
        if let Some(start) = cx.moment(tq1.field(7), at("TQ1", 7)) {
            return Some(start);
        }
    }
    let legacy = orc.field(7).repetition(1).component(4);
    cx.moment(legacy, at("ORC", 7).comp(4))
        .or_else(|| cx.moment(orc.field(15), at("ORC", 15)))
        .or_else(|| cx.moment(orc.field(9), at("ORC", 9)))
}

fn says_nil_by_mouth(text: &str) -> bool {
    ckisa_domain::Diet::says_nil_by_mouth(text)
}

#[cfg(test)]
mod tests {
    use super::super::Mapped;
    use super::super::test_support::{kinds, map, map_ok, msg};
    use super::*;

    fn diets(mapped: &Mapped) -> Vec<&Diet> {
        mapped
            .facts
            .iter()
            .filter_map(|fact| match fact {
                Fact::DietRecorded(d) => Some(d),
                _ => None,
            })
            .collect()
    }

    fn omd(body: &str) -> Mapped {
        map_ok(&msg(
            "OMD^O03",
            &format!("PID|1||P1^^^H^PI\rPV1|1|I|U1||||||||||||||||V1\r{body}"),
        ))
    }

    #[test]
    fn a_new_diet_order() {
        let mapped = omd("ORC|NW|CMD7^CHU|||||||||||||20240310120000\r\
             ODS|D|B^Petit-déjeuner|DIAB^Diabétique^L~SS^Sans sel^L|Sucre en dosettes\r\
             NTE|1||Pas de pamplemousse\r\
             ODS|S||HP^Boisson hyperprotéinée^L\r\
             ODS|P||VEG^Végétarien^L");
        assert_eq!(kinds(&mapped), ["patient", "diet"]);
        let diet = diets(&mapped)[0];
        assert_eq!(diet.id, "hl7:ipp:H|P1|diet|CHU|CMD7");
        assert_eq!(
            diet.encounter.as_ref().map(|e| e.as_str()),
            Some("vn:FAC|V1")
        );
        let names: Vec<&str> = diet.diets.iter().map(|d| d.text.as_str()).collect();
        assert_eq!(names, ["Diabétique", "Sans sel"]);
        assert_eq!(diet.diets[0].code.as_deref(), Some("DIAB"));
        assert_eq!(
            diet.remarks.as_deref(),
            Some(
                "Sucre en dosettes; Pas de pamplemousse; Complément : Boisson hyperprotéinée; \
                 Préférence : Végétarien"
            )
        );
        assert_eq!(diet.start.map(|s| (s.day, s.hour)), Some((10, 12)));
        assert!(diet.active);
        assert!(!diet.nil_by_mouth);
        assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
    }

    #[test]
    fn nil_by_mouth_from_the_code_or_the_words() {
        let cases = [
            ("ODS|D||NPO^Diète^L", true),
            ("ODS|D||AJ^À jeun à partir de minuit^L", true),
            ("ODS|D||N^Normal^L|Patient A JEUN pour bloc", true),
            ("ODS|D||N^Normal^L|nothing by mouth after 22:00", true),
            ("ODS|D||N^Normal^L|Plus à jeun depuis 8 h", false),
            ("ODS|D||N^Normal^L|pas à jeun", false),
            ("ODS|D||N^Normal^L|Pesée le matin", false),
        ];
        for (ods, expected) in cases {
            let mapped = omd(&format!("ORC|NW|1^X\r{ods}"));
            assert_eq!(diets(&mapped)[0].nil_by_mouth, expected, "{ods}");
        }
    }

    #[test]
    fn cancelled_or_ended_orders_are_no_longer_in_force() {
        for orc in ["ORC|CA|1^X", "ORC|DC|1^X", "ORC|SC|1^X|||CM"] {
            let mapped = omd(&format!("{orc}\rODS|D||N^Normal"));
            let diet = diets(&mapped)[0];
            assert!(!diet.active, "{orc}");
            assert_eq!(diet.id, "hl7:ipp:H|P1|diet|X|1");
        }
        for orc in ["ORC|NW|1^X", "ORC|XO|1^X"] {
            assert!(
                diets(&omd(&format!("{orc}\rODS|D||N^Normal")))[0].active,
                "{orc}"
            );
        }
        let bare_cancel = omd("ORC|CA|1^X");
        let diet = diets(&bare_cancel)[0];
        assert!(!diet.active && diet.diets.is_empty());
    }

    #[test]
    fn the_filler_number_stands_in_and_no_number_is_one_diet_per_patient() {
        let filler = omd("ORC|NW||F5^DIET\rODS|D||N^Normal");
        assert_eq!(diets(&filler)[0].id, "hl7:ipp:H|P1|diet|DIET|F5");
        let none = omd("ORC|NW\rODS|D||N^Normal");
        assert_eq!(diets(&none)[0].id, "hl7:ipp:H|P1|diet");
        assert!(none.warnings[0].starts_with("ORC-2 et ORC-3 absents"));
    }

    #[test]
    fn start_falls_back_through_tq1_orc_7_orc_15_orc_9() {
        let tq1 = omd("ORC|NW|1^X|||||||20240101\rTQ1|1||||||20240305\rODS|D||N^Normal");
        assert_eq!(diets(&tq1)[0].start.map(|s| s.month), Some(3));
        let legacy = omd("ORC|NW|1^X|||||^^^20240405||20240101\rODS|D||N^Normal");
        assert_eq!(diets(&legacy)[0].start.map(|s| s.month), Some(4));
        let transaction = omd("ORC|NW|1^X|||||||20240101\rODS|D||N^Normal");
        assert_eq!(diets(&transaction)[0].start.map(|s| s.month), Some(1));
    }

    #[test]
    fn odd_groups_are_reported() {
        let mapped = omd("ORC|NW|1^X\rODT|EARLY^Plateau tôt\rORC|NW|2^X\rODS|Z||N^Normal");
        assert_eq!(diets(&mapped).len(), 1);
        assert!(
            mapped
                .warnings
                .iter()
                .any(|w| w.starts_with("ODT : instructions de plateau")),
            "{:?}",
            mapped.warnings
        );
        assert!(
            mapped
                .warnings
                .iter()
                .any(|w| w == "ODS-1 : type « Z » absent de la table 0159, lu comme régime (D)")
        );
    }

    #[test]
    fn allergies_ride_along() {
        let mapped = omd("AL1|1|FA|ARA^Arachide\rORC|NW|1^X\rODS|D||N^Normal");
        assert_eq!(kinds(&mapped), ["patient", "diet", "allergy"]);
    }

    #[test]
    fn refusals_name_the_missing_segment() {
        let no_pid = map(&msg("OMD^O03", "ORC|NW|1^X\rODS|D||N")).unwrap_err();
        assert_eq!((no_pid.segment.as_str(), no_pid.field), ("PID", 0));
        assert_eq!(
            no_pid.reason,
            "PID absent : commande de régime OMD^O03 sans patient refusée"
        );
        let no_orc = map(&msg("OMD^O03", "PID|1||P1^^^H^PI\rODS|D||N")).unwrap_err();
        assert_eq!((no_orc.segment.as_str(), no_orc.field), ("ORC", 0));
        assert_eq!(
            no_orc.reason,
            "ORC absent : commande de régime OMD^O03 sans ORC refusée"
        );
    }

    #[test]
    fn ods_o03_is_read_as_omd_o03_with_a_warning() {
        let mapped = map_ok(&msg(
            "ODS^O03^ODS_O03",
            "PID|1||P1^^^H^PI\rORC|NW|1^X\rODS|D||N^Normal",
        ));
        assert_eq!(kinds(&mapped), ["patient", "diet"]);
        assert_eq!(
            mapped.warnings,
            [
                "MSH-9 : « ODS^O03 » n'est pas un type de message HL7 (ODS est le segment du \
                 régime), lu comme OMD^O03"
            ]
        );
        assert!(map(&msg("ODS^O01", "PID|1||P1^^^H^PI")).is_err());
    }

    #[test]
    fn v2_3_diet_orders_in_orm_are_read() {
        let mapped = map_ok(&msg(
            "ORM^O01",
            "PID|1||P1^^^H^PI\rORC|NW|1^X\rODS|D||SS^Sans sel\rORC|NW|2^X\rRXO|D1^Doliprane|1|",
        ));
        assert_eq!(kinds(&mapped), ["patient", "diet", "medication"]);
        assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
    }
}
