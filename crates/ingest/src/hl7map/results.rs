//! Results (ORU^R01, HL7 v2.5.1 ch. 7): each OBR group becomes a [`Report`] and each OBX an
//! [`Observation`] valued by its OBX-2 type; NTE after an OBX are its notes, NTE after an OBR
//! its conclusion. Consecutive TX lines of the same OBX-3/OBX-4 are joined into one text, blank
//! lines and leading spaces kept (radiology reports split line by line).
//!
//! Ids (see [`super::ids`]): report `hl7:<patient>|report|<authority>|<filler or placer
//! number>|<OBR-4.1>`; observation `<report id>|<OBX-3.1>|<OBX-4>|<OBX-1>`, or
//! `hl7:<patient>|OBX|<OBX-3.1>|<OBX-4>|<OBX-1>` outside any OBR.

use ckisa_domain::{
    Coded, EncounterKey, Fact, Moment, Observation, ObservationCategory, ObservationValue,
    PatientKey, Report,
};
use ckisa_hl7::{Repetition, Segment};

use super::ids::{extend_id, fact_id};
use super::read::{Cx, Loc, at};
use super::{MapRejection, adt, error_code, patient};

/// Maps an ORU message.
pub(super) fn map(cx: &mut Cx<'_, '_>) -> Result<Option<Vec<Fact>>, MapRejection> {
    if cx.msg.segment("PID").is_none() {
        return Err(MapRejection::error(
            "PID",
            0,
            error_code::REQUIRED_FIELD_MISSING,
            "PID absent : résultats sans patient refusés".to_owned(),
        ));
    }
    let segments: Vec<Segment<'_>> = cx.msg.segments().collect();
    let mut walk = Walk::default();
    for segment in segments {
        walk.step(cx, segment)?;
    }
    walk.flush_report();
    Ok(Some(walk.facts))
}

/// State of the walk through an ORU.
#[derive(Default)]
struct Walk {
    facts: Vec<Fact>,
    patient: Option<PatientKey>,
    encounter: Option<EncounterKey>,
    report: Option<ReportDraft>,
    observation: Option<Draft>,
    /// Whether an NTE now would follow an OBX (notes) or an OBR (conclusion), or neither.
    note_target: NoteTarget,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum NoteTarget {
    #[default]
    Nothing,
    Report,
    Observation,
}

struct ReportDraft {
    report: Report,
}

impl Walk {
    fn step(&mut self, cx: &mut Cx<'_, '_>, segment: Segment<'_>) -> Result<(), MapRejection> {
        match segment.name() {
            "PID" => {
                self.flush_report();
                let update = patient::read_pid(cx, segment)?;
                self.patient = Some(update.patient.clone());
                self.encounter = None;
                self.facts.push(Fact::PatientUpdated(update));
                self.note_target = NoteTarget::Nothing;
            }
            "PV1" => {
                self.encounter = adt::visit_key(cx, segment.field(19).repetition(1), at("PV1", 19));
            }
            "ORC" => {
                self.flush_report();
                self.note_target = NoteTarget::Nothing;
            }
            "OBR" => self.start_report(cx, segment),
            "OBX" => self.observe(cx, segment),
            "NTE" => self.note(cx, segment),
            "SPM" | "TQ1" | "CTD" | "FT1" | "CTI" | "TXA" => {
                self.flush_observation();
                self.note_target = NoteTarget::Nothing;
            }
            _ => {}
        }
        Ok(())
    }

    fn start_report(&mut self, cx: &mut Cx<'_, '_>, obr: Segment<'_>) {
        self.flush_report();
        let Some(patient) = self.patient.clone() else {
            cx.warn("OBR avant tout PID : groupe de résultats ignoré".to_owned());
            return;
        };
        let code = cx
            .coded(obr.field(4).repetition(1), at("OBR", 4))
            .unwrap_or_else(empty_code);
        let number = cx
            .ei(obr.field(3).repetition(1), at("OBR", 3))
            .or_else(|| cx.ei(obr.field(2).repetition(1), at("OBR", 2)));
        let code_key = code.code.as_deref().unwrap_or("");
        let id = match number {
            Some((number, authority)) => {
                fact_id(&patient, "report", &[&authority, &number, code_key])
            }
            None => {
                let set_id = cx.text(obr.field(1), at("OBR", 1)).unwrap_or_default();
                cx.warn("OBR-2 et OBR-3 absents : compte rendu identifié par OBR-4".to_owned());
                fact_id(&patient, "OBR", &[code_key, &set_id])
            }
        };
        let report = Report {
            id,
            patient,
            encounter: self.encounter.clone(),
            code,
            status: cx.text(obr.field(25), at("OBR", 25)),
            effective: cx.moment(obr.field(7), at("OBR", 7)),
            results: Vec::new(),
            conclusion: None,
        };
        self.report = Some(ReportDraft { report });
        self.note_target = NoteTarget::Report;
    }

    fn observe(&mut self, cx: &mut Cx<'_, '_>, obx: Segment<'_>) {
        if self.patient.is_none() {
            cx.warn("OBX avant tout PID : résultat ignoré".to_owned());
            return;
        }
        let default_time = self
            .report
            .as_ref()
            .and_then(|draft| draft.report.effective);
        let draft = read_obx(cx, obx, default_time);
        self.note_target = NoteTarget::Observation;
        if let Some(current) = &mut self.observation
            && current.joins(&draft)
        {
            current.absorb(draft);
            return;
        }
        self.flush_observation();
        self.observation = Some(draft);
    }

    fn note(&mut self, cx: &mut Cx<'_, '_>, nte: Segment<'_>) {
        let Some(text) = note_text(cx, nte) else {
            return;
        };
        match self.note_target {
            NoteTarget::Observation => {
                if let Some(draft) = &mut self.observation {
                    draft.notes.push(text);
                }
            }
            NoteTarget::Report => {
                if let Some(draft) = &mut self.report {
                    let conclusion = draft.report.conclusion.get_or_insert_with(String::new);
                    if !conclusion.is_empty() {
                        conclusion.push('\n');
                    }
                    conclusion.push_str(&text);
                }
            }
            NoteTarget::Nothing => {}
        }
    }

    fn flush_observation(&mut self) {
        let (Some(draft), Some(patient)) = (self.observation.take(), self.patient.clone()) else {
            return;
        };
        let observation = match &mut self.report {
            Some(report) => {
                let observation = draft.finish(
                    |parts| extend_id(&report.report.id, parts),
                    ObservationCategory::Lab,
                    patient,
                    self.encounter.clone(),
                    Some(report.report.id.clone()),
                );
                report.report.results.push(observation.id.clone());
                observation
            }
            None => {
                let key = patient.clone();
                draft.finish(
                    |parts| fact_id(&key, "OBX", parts),
                    ObservationCategory::Other,
                    patient,
                    self.encounter.clone(),
                    None,
                )
            }
        };
        self.facts.push(Fact::ObservationRecorded(observation));
    }

    fn flush_report(&mut self) {
        self.flush_observation();
        if let Some(draft) = self.report.take() {
            // The report goes before its observations so that readers meet the group first.
            let first_result = self.facts.len().saturating_sub(draft.report.results.len());
            self.facts
                .insert(first_result, Fact::ReportRecorded(draft.report));
        }
    }
}

/// An OBX outside any OBR (ADT, pharmacy and order messages).
pub(super) fn loose_observation(
    cx: &mut Cx<'_, '_>,
    obx: Segment<'_>,
    patient: &PatientKey,
    encounter: Option<&EncounterKey>,
    notes: Vec<String>,
) -> Option<Fact> {
    let mut draft = read_obx(cx, obx, None);
    draft.notes = notes;
    let observation = draft.finish(
        |parts| fact_id(patient, "OBX", parts),
        ObservationCategory::Other,
        patient.clone(),
        encounter.cloned(),
        None,
    );
    Some(Fact::ObservationRecorded(observation))
}

/// The texts of the NTE segments that directly follow.
pub(super) fn notes_after(cx: &mut Cx<'_, '_>, following: &[Segment<'_>]) -> Vec<String> {
    following
        .iter()
        .take_while(|segment| segment.is("NTE"))
        .filter_map(|nte| note_text(cx, *nte))
        .collect()
}

/// NTE-3, repetitions as lines, leading spaces kept.
fn note_text(cx: &mut Cx<'_, '_>, nte: Segment<'_>) -> Option<String> {
    let lines: Vec<String> = nte
        .field(3)
        .repetitions()
        .map(|rep| cx.raw_text(rep, at("NTE", 3)).unwrap_or_default())
        .collect();
    let text = lines.join("\n");
    (!text.trim().is_empty()).then_some(text)
}

fn empty_code() -> Coded {
    Coded {
        code: None,
        system: None,
        text: String::new(),
    }
}

/// One OBX being read, before it gets its id.
struct Draft {
    set_id: String,
    sub_id: String,
    value_type: String,
    code: Coded,
    /// OBX-3.1 as written, for ids and TX joining.
    code_key: String,
    value: ObservationValue,
    /// Lines of a text value, kept apart so that TX lines can be joined.
    lines: Option<Vec<String>>,
    reference_range: Option<String>,
    interpretation: Option<String>,
    effective: Option<Moment>,
    status: Option<String>,
    notes: Vec<String>,
}

impl Draft {
    fn joins(&self, next: &Draft) -> bool {
        matches!(self.value_type.as_str(), "TX" | "FT")
            && self.value_type == next.value_type
            && self.code_key == next.code_key
            && self.sub_id == next.sub_id
            && self.lines.is_some()
            && next.lines.is_some()
            && self.notes.is_empty()
    }

    fn absorb(&mut self, next: Draft) {
        if let (Some(lines), Some(more)) = (&mut self.lines, next.lines) {
            lines.extend(more);
        }
    }

    /// The observation, its id made by `id_of` from OBX-3.1, OBX-4 and OBX-1.
    fn finish(
        self,
        id_of: impl FnOnce(&[&str]) -> String,
        grouped: ObservationCategory,
        patient: PatientKey,
        encounter: Option<EncounterKey>,
        report: Option<String>,
    ) -> Observation {
        let id = id_of(&[&self.code_key, &self.sub_id, &self.set_id]);
        let value = match self.lines {
            Some(lines) if lines.iter().all(|line| line.is_empty()) => ObservationValue::None,
            Some(lines) => ObservationValue::Text(lines.join("\n")),
            None => self.value,
        };
        let category = if is_vital(&self.code) {
            ObservationCategory::Vital
        } else {
            grouped
        };
        Observation {
            id,
            patient,
            encounter,
            category,
            code: self.code,
            value,
            reference_range: self.reference_range,
            interpretation: self.interpretation,
            effective: self.effective,
            status: self.status,
            report,
            notes: self.notes,
        }
    }
}

fn read_obx(cx: &mut Cx<'_, '_>, obx: Segment<'_>, default_time: Option<Moment>) -> Draft {
    let value_type = cx
        .text(obx.field(2), at("OBX", 2))
        .unwrap_or_default()
        .to_ascii_uppercase();
    let code = cx
        .coded(obx.field(3).repetition(1), at("OBX", 3))
        .unwrap_or_else(empty_code);
    let code_key = code.code.clone().unwrap_or_default();
    let (value, lines) = value_of(cx, obx, &value_type);
    let flags: Vec<String> = obx
        .field(8)
        .repetitions()
        .filter_map(|rep| cx.text(rep.component(1), at("OBX", 8)))
        .collect();
    let effective = cx.moment(obx.field(14), at("OBX", 14)).or(default_time);
    Draft {
        set_id: cx.text(obx.field(1), at("OBX", 1)).unwrap_or_default(),
        sub_id: cx.text(obx.field(4), at("OBX", 4)).unwrap_or_default(),
        value_type,
        code,
        code_key,
        value,
        lines,
        reference_range: cx.text(obx.field(7), at("OBX", 7)),
        interpretation: (!flags.is_empty()).then(|| flags.join(",")),
        effective,
        status: cx.text(obx.field(11), at("OBX", 11)),
        notes: Vec::new(),
    }
}

/// OBX-5 read by its OBX-2 type; text types return their lines apart.
fn value_of(
    cx: &mut Cx<'_, '_>,
    obx: Segment<'_>,
    value_type: &str,
) -> (ObservationValue, Option<Vec<String>>) {
    let field = obx.field(5);
    let loc = at("OBX", 5);
    if matches!(value_type, "ST" | "TX" | "FT") {
        let mut lines: Vec<String> = field
            .repetitions()
            .map(|rep| cx.raw_text(rep, loc).unwrap_or_default())
            .collect();
        if lines.is_empty() {
            // An empty TX line is a blank line of the report.
            lines.push(String::new());
        }
        return (ObservationValue::None, Some(lines));
    }
    if !field.has_value() {
        return (ObservationValue::None, None);
    }
    if field.repetition_count() > 1 && !matches!(value_type, "CE" | "CWE" | "CNE") {
        cx.warn(format!(
            "{loc} : valeur répétée, seule la première est retenue"
        ));
    }
    let first = field.repetition(1);
    let value = match value_type {
        "NM" => number(cx, first, obx),
        "SN" => structured_number(cx, first, obx),
        "CE" | "CWE" | "CNE" | "CF" => cx
            .coded(first, loc)
            .map_or(ObservationValue::None, ObservationValue::Coded),
        "ED" => document(cx, first, loc),
        "RP" => cx
            .text(first.component(1), loc.comp(1))
            .map_or(ObservationValue::None, ObservationValue::Text),
        other => {
            if !matches!(
                other,
                "DT" | "TS" | "DTM" | "TM" | "ID" | "IS" | "NA" | "XCN" | "XPN" | "XAD"
            ) {
                cx.warn(format!(
                    "OBX-2 : type « {other} » non géré, OBX-5 lu comme texte"
                ));
            }
            let parts: Vec<String> = first
                .components()
                .filter_map(|comp| cx.text(comp, loc))
                .collect();
            ObservationValue::Text(parts.join(" "))
        }
    };
    (value, None)
}

fn unit_of(cx: &mut Cx<'_, '_>, obx: Segment<'_>) -> Option<String> {
    cx.unit(obx.field(6).repetition(1), at("OBX", 6))
}

fn number(cx: &mut Cx<'_, '_>, value: Repetition<'_>, obx: Segment<'_>) -> ObservationValue {
    match cx.text(value, at("OBX", 5)) {
        Some(value) => ObservationValue::Quantity {
            value,
            unit: unit_of(cx, obx),
        },
        None => ObservationValue::None,
    }
}

/// SN: comparator^num1^separator^num2 (`<^4.5` → `<4.5`, `^10^-^20` → `10-20`).
fn structured_number(
    cx: &mut Cx<'_, '_>,
    value: Repetition<'_>,
    obx: Segment<'_>,
) -> ObservationValue {
    let loc = at("OBX", 5);
    let text: String = (1..=4)
        .filter_map(|n| cx.text(value.component(n), loc.comp(n)))
        .collect();
    if text.is_empty() {
        return ObservationValue::None;
    }
    ObservationValue::Quantity {
        value: text,
        unit: unit_of(cx, obx),
    }
}

/// ED: source^type^subtype^encoding^data.
fn document(cx: &mut Cx<'_, '_>, value: Repetition<'_>, loc: Loc) -> ObservationValue {
    let kind = cx.text(value.component(2), loc.comp(2));
    let subtype = cx.text(value.component(3), loc.comp(3));
    let encoding = cx.text(value.component(4), loc.comp(4)).unwrap_or_default();
    let Some(data) = cx.text(value.component(5), loc.comp(5)) else {
        cx.warn(format!("{loc} : document (ED) sans données"));
        return ObservationValue::None;
    };
    let significant = data
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .count();
    let size_bytes = match encoding.to_ascii_uppercase().as_str() {
        "BASE64" => significant * 3 / 4,
        "HEX" => significant / 2,
        _ => significant,
    };
    ObservationValue::Document {
        media_type: media_type(kind.as_deref(), subtype.as_deref()),
        size_bytes: u64::try_from(size_bytes).unwrap_or(u64::MAX),
        data,
    }
}

/// MIME type from ED-2 (type of data, table 0191) and ED-3 (subtype, table 0291).
fn media_type(kind: Option<&str>, subtype: Option<&str>) -> Option<String> {
    let subtype = subtype.map(str::to_ascii_lowercase);
    let known = match subtype.as_deref() {
        Some(full) if full.contains('/') => return Some(full.to_owned()),
        Some("pdf") => "application/pdf",
        Some("xml") => "text/xml",
        Some("html") => "text/html",
        Some("rtf") => "application/rtf",
        Some("jpeg" | "jpg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("tiff") => "image/tiff",
        Some("octet-stream") => "application/octet-stream",
        Some("plain") => "text/plain",
        Some(other) => {
            let kind = kind.unwrap_or("application").to_ascii_lowercase();
            let kind = if kind == "ap" {
                "application".to_owned()
            } else {
                kind
            };
            return Some(format!("{kind}/{other}"));
        }
        None => match kind.map(str::to_ascii_uppercase).as_deref() {
            Some("TEXT") => "text/plain",
            Some("IM" | "IMAGE") => "image/*",
            Some("AP" | "APPLICATION") => "application/octet-stream",
            _ => return None,
        },
    };
    Some(known.to_owned())
}

/// Vital-sign LOINC codes (temperature, heart rate, blood pressure, SpO2, respiratory rate,
/// weight, height, pain).
/// Codes of vital signs, including those the clinical capsule writes for
/// NEWS2 (80288-4 consciousness, 3151-8 oxygen flow), so that what comes
/// back from the HIS after a downtime is a vital sign again.
const VITAL_LOINC: [&str; 15] = [
    "8310-5", "8867-4", "8480-6", "8462-4", "85354-9", "59408-5", "2708-6", "9279-1", "29463-7",
    "8302-2", "72514-3", "38208-5", "3141-9", "80288-4", "3151-8",
];

/// Names of vital signs, lower case, accents kept and removed.
const VITAL_WORDS: [&str; 20] = [
    "température",
    "temperature",
    "fréquence cardiaque",
    "frequence cardiaque",
    "heart rate",
    "heartrate",
    "pouls",
    "pression artérielle",
    "pression arterielle",
    "tension artérielle",
    "blood pressure",
    "spo2",
    "saturation en oxygène",
    "fréquence respiratoire",
    "frequence respiratoire",
    "respiratory rate",
    "poids",
    "body weight",
    "douleur",
    "body height",
];

fn is_vital(code: &Coded) -> bool {
    if code
        .code
        .as_deref()
        .is_some_and(|c| VITAL_LOINC.contains(&c))
    {
        return true;
    }
    let text = code.text.to_lowercase();
    VITAL_WORDS.iter().any(|word| text.contains(word))
        || text
            .split(|c: char| !c.is_alphanumeric())
            .any(|word| word == "eva")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{kinds, map, map_ok, msg};
    use super::*;

    const HEAD: &str = "PID|1||P1^^^H^PI||DOE^JANE\rPV1|1|I|U1||||||||||||||||V1";

    fn oru(body: &str) -> Vec<Fact> {
        map_ok(&msg("ORU^R01", &format!("{HEAD}\r{body}"))).facts
    }

    fn observations(facts: &[Fact]) -> Vec<&Observation> {
        facts
            .iter()
            .filter_map(|f| match f {
                Fact::ObservationRecorded(o) => Some(o),
                _ => None,
            })
            .collect()
    }

    fn report(facts: &[Fact]) -> &Report {
        facts
            .iter()
            .find_map(|f| match f {
                Fact::ReportRecorded(r) => Some(r),
                _ => None,
            })
            .expect("a report")
    }

    #[test]
    fn report_and_numeric_observation() {
        let facts = oru("OBR|1|PL1^LAB|FL1^LAB|GLU^Glucose^L|||20240105080000\r\
             OBX|1|NM|GLU^Glucose^L||5.4|mmol/L|3.9-5.8|H~A|||F");
        assert_eq!(
            facts.iter().map(Fact::kind).collect::<Vec<_>>(),
            ["patient", "report", "observation"]
        );
        let report = report(&facts);
        assert_eq!(report.id, "hl7:ipp:H|P1|report|LAB|FL1|GLU");
        assert_eq!(report.encounter.as_ref().unwrap().as_str(), "vn:FAC|V1");
        let obs = observations(&facts)[0];
        assert_eq!(obs.id, "hl7:ipp:H|P1|report|LAB|FL1|GLU|GLU||1");
        assert_eq!(report.results.as_slice(), std::slice::from_ref(&obs.id));
        assert_eq!(
            obs.value,
            ObservationValue::Quantity {
                value: "5.4".into(),
                unit: Some("mmol/L".into())
            }
        );
        assert_eq!(obs.reference_range.as_deref(), Some("3.9-5.8"));
        assert_eq!(obs.interpretation.as_deref(), Some("H,A"));
        assert_eq!(obs.status.as_deref(), Some("F"));
        assert_eq!(obs.category, ObservationCategory::Lab);
        assert_eq!(obs.effective.unwrap().hour, 8, "OBR-7 when OBX-14 is empty");
    }

    #[test]
    fn structured_numbers_keep_the_comparator() {
        let facts = oru(
            "OBR|1||F1|X\rOBX|1|SN|A^A||^182|mg/dl\rOBX|2|SN|B^B||<^4.5\rOBX|3|SN|C^C||^1^:^128",
        );
        let values: Vec<_> = observations(&facts)
            .iter()
            .map(|o| match &o.value {
                ObservationValue::Quantity { value, .. } => value.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(values, ["182", "<4.5", "1:128"]);
    }

    #[test]
    fn tx_lines_are_joined_with_blank_lines_and_spaces_kept() {
        let facts = oru(
            "OBR|1||F1|ECHO\rOBX|1|TX|||||||||F\rOBX|2|TX|||  Line two||||||F\rOBX|3|TX|||Line three||||||F\r\
             OBX|4|TX|IMP^Impression||Normal||||||F",
        );
        let obs = observations(&facts);
        assert_eq!(obs.len(), 2);
        assert_eq!(
            obs[0].value,
            ObservationValue::Text("\n  Line two\nLine three".into())
        );
        assert_eq!(obs[0].id, "hl7:ipp:H|P1|report|FAC|F1|ECHO|||1");
        assert_eq!(obs[1].value, ObservationValue::Text("Normal".into()));
    }

    #[test]
    fn notes_keep_leading_spaces_and_report_notes_become_conclusion() {
        let facts = oru(
            "OBR|1||F1|LH\rNTE|1||Commentaire\rOBX|1|NM|LH^LH||20.00|mIU/ml\r\
             NTE|1||      Follikelphase:    2.4 -  12.6 mIU/ml\rNTE|2||      Lutealphase:      1.0 - 11.4",
        );
        let obs = observations(&facts)[0];
        assert_eq!(
            obs.notes,
            [
                "      Follikelphase:    2.4 -  12.6 mIU/ml",
                "      Lutealphase:      1.0 - 11.4"
            ]
        );
        assert_eq!(report(&facts).conclusion.as_deref(), Some("Commentaire"));
    }

    #[test]
    fn coded_rp_and_document_values() {
        let facts = oru(
            "OBR|1||F1|X\rOBX|1|CE|MASQUE_PS^Masqué^MetaDMPMSS||N^^expandedYes-NoIndicator\r\
             OBX|2|RP|1063-7^Serum||https://testurl.com^^image^PICT\r\
             OBX|3|ED|11502-2^CR^LN||^TEXT^XML^Base64^QUJDRA==",
        );
        let obs = observations(&facts);
        let ObservationValue::Coded(coded) = &obs[0].value else {
            panic!("{:?}", obs[0].value)
        };
        assert_eq!(
            (coded.code.as_deref(), coded.text.as_str()),
            (Some("N"), "N")
        );
        assert_eq!(obs[0].code.text, "Masqué");
        assert_eq!(
            obs[1].value,
            ObservationValue::Text("https://testurl.com".into())
        );
        let ObservationValue::Document {
            media_type,
            size_bytes,
            data,
        } = &obs[2].value
        else {
            panic!("{:?}", obs[2].value)
        };
        assert_eq!(media_type.as_deref(), Some("text/xml"));
        assert_eq!(*size_bytes, 4);
        assert_eq!(data, "QUJDRA==");
    }

    #[test]
    fn vitals_by_loinc_or_french_name() {
        let facts = oru(
            "OBR|1||F1|X\rOBX|1|NM|8867-4^FC^LN||72|/min\rOBX|2|NM|T1^Température^L||37.2|Cel\r\
             OBX|3|NM|EV^EVA douleur||3\rOBX|4|NM|K^Potassium||4.1|mmol/L",
        );
        let categories: Vec<_> = observations(&facts).iter().map(|o| o.category).collect();
        use ObservationCategory::{Lab, Vital};
        assert_eq!(categories, [Vital, Vital, Vital, Lab]);
    }

    #[test]
    fn observation_before_any_obr_is_keyed_by_patient() {
        let facts = oru("OBX|1|RP|8867-4^heartrate^LN||https://x||||||F");
        let obs = observations(&facts)[0];
        assert_eq!(obs.id, "hl7:ipp:H|P1|OBX|8867-4||1");
        assert_eq!(obs.report, None);
    }

    /// Tester report: a reused OBR-3 for another patient replaced patient 1004's glucose with
    /// patient 1005's, because the store upserts by id and the ids did not hold the patient.
    #[test]
    fn reused_report_number_for_another_patient_keeps_both_results() {
        let glucose = |ipp: &str, value: &str| {
            let body = format!(
                "PID|1||{ipp}^^^H^PI||DOE^JANE\rOBR|1|P100|R100^LAB|GLU^Glucose^L|||20240105080000\r\
                 OBX|1|NM|GLU^Glucose^L||{value}|mmol/L|||||F"
            );
            map_ok(&msg("ORU^R01", &body)).facts
        };
        let first = glucose("1004", "5.0");
        let second = glucose("1005", "19.9");
        let (first_obs, second_obs) = (observations(&first)[0], observations(&second)[0]);
        assert_ne!(first_obs.id, second_obs.id);
        assert_ne!(report(&first).id, report(&second).id);
        assert_eq!(first_obs.patient, PatientKey::ipp("H", "1004"));
        assert_eq!(report(&first).patient, PatientKey::ipp("H", "1004"));
        assert_eq!(second_obs.patient, PatientKey::ipp("H", "1005"));
        assert_eq!(report(&second).patient, PatientKey::ipp("H", "1005"));
        assert_eq!(
            first_obs.id, "hl7:ipp:H|1004|report|LAB|R100|GLU|GLU||1",
            "the patient key leads the id"
        );

        // A corrected result for the same patient keeps its ids, so it replaces the first.
        let corrected = glucose("1004", "5.2");
        assert_eq!(observations(&corrected)[0].id, first_obs.id);
        assert_eq!(report(&corrected).id, report(&first).id);
    }

    #[test]
    fn two_patients_of_one_message_never_share_a_report_id() {
        let facts = map_ok(&msg(
            "ORU^R01",
            "PID|1||A1^^^H^PI\rOBR|1||R1^LAB|GLU\rOBX|1|NM|GLU||5\r\
             PID|2||B2^^^H^PI\rOBR|1||R1^LAB|GLU\rOBX|1|NM|GLU||6",
        ))
        .facts;
        let obs = observations(&facts);
        assert_eq!(obs.len(), 2);
        assert_ne!(obs[0].id, obs[1].id);
        assert_eq!(obs[0].patient, PatientKey::ipp("H", "A1"));
        assert_eq!(obs[1].patient, PatientKey::ipp("H", "B2"));
        assert!(obs[1].report.as_deref().is_some_and(|r| r.contains("B2")));
    }

    #[test]
    fn same_filler_number_in_two_groups_gives_two_reports() {
        let facts =
            oru("OBR|1|049|049|LH^LH\rOBX|1|NM|LH||20\rOBR|2|049|049|FSH^FSH\rOBX|1|NM|FSH||30");
        let reports: Vec<_> = facts.iter().filter(|f| f.kind() == "report").collect();
        assert_eq!(reports.len(), 2);
        assert_eq!(
            kinds(&map_ok(&msg("ORU^R01", &format!("{HEAD}\rOBR|1||F|X")))),
            ["patient", "report"]
        );
    }

    #[test]
    fn oru_without_pid_is_rejected() {
        let rejection = map(&msg("ORU^R01", "OBR|1||F1|X\rOBX|1|NM|A||1")).unwrap_err();
        assert_eq!(
            (rejection.segment.as_str(), rejection.hl7_error_code),
            ("PID", 101)
        );
        assert!(rejection.reason.starts_with("PID absent"));
    }

    #[test]
    fn media_types() {
        assert_eq!(
            media_type(Some("TEXT"), Some("PDF")).as_deref(),
            Some("application/pdf")
        );
        assert_eq!(
            media_type(Some("AP"), Some("msword")).as_deref(),
            Some("application/msword")
        );
        assert_eq!(
            media_type(Some("TEXT"), None).as_deref(),
            Some("text/plain")
        );
        assert_eq!(media_type(None, None), None);
    }
}
