//! The HL7 v2.5 messages the demo HIS sends, with the French IHE PAM
//! extension: ADT A01/A02/A03/A08 with ZBE movements, RDE^O11 pharmacy
//! orders, ORU^R01 vital signs and lab results.
//!
//! Every message is UTF-8 (MSH-18 `UNICODE UTF-8`), segments end with a
//! carriage return, and all free text goes through [`escape`].

use crate::hl7::{Segment, components, escape, message};
use crate::patient::{DemoObservation, DemoPatient, DemoPrescription, Location};

/// Sending application (MSH-3).
pub const SENDING_APPLICATION: &str = "DEMO-HIS";
/// Sending facility (MSH-4) and IPP assigning authority namespace (PID-3.4.1).
pub const FACILITY: &str = "CHDEMO";
/// OID of the demo IPP assigning authority (under the ITU-T `2.999` example arc).
pub const IPP_AUTHORITY_OID: &str = "2.999.250.1.1";
/// OID of the INS-NIR assigning authority.
pub const INS_NIR_OID: &str = "1.2.250.1.213.1.4.8";

const INS_AUTHORITY: &str = "ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO";
const RPPS_AUTHORITY: &str = "ASIP-SANTE-PS&1.2.250.1.71.4.2.1&ISO";

/// What every message needs in its MSH: control id and time.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    /// MSH-10.
    pub control_id: String,
    /// MSH-7, HL7 timestamp with offset.
    pub time: String,
}

/// A movement to record in ZBE.
#[derive(Debug, Clone)]
pub(crate) struct Movement {
    /// ZBE-1.
    pub id: String,
    /// ZBE-2.
    pub time: String,
}

/// ADT^A01: admission, with allergies and problems.
pub(crate) fn admission(header: &Header, patient: &DemoPatient, movement: &Movement) -> String {
    let mut segments = vec![
        msh(header, "ADT^A01^ADT_A01"),
        evn(header, &movement.time),
        pid(patient),
        pv1(patient).build(),
        zbe(patient, movement),
    ];
    segments.extend(clinical_segments(patient, &patient.admitted_at));
    message(segments)
}

/// ADT^A08: patient information update (full snapshot of identity,
/// allergies and problems; no movement).
pub(crate) fn update(header: &Header, patient: &DemoPatient) -> String {
    let mut segments = vec![
        msh(header, "ADT^A08^ADT_A01"),
        evn(header, &header.time),
        pid(patient),
        pv1(patient).build(),
    ];
    segments.extend(clinical_segments(patient, &header.time));
    message(segments)
}

/// ADT^A02: transfer to the patient's (already updated) location from `from`.
pub(crate) fn transfer(
    header: &Header,
    patient: &DemoPatient,
    from: &Location,
    movement: &Movement,
) -> String {
    let prior = components(&[
        &escape(&from.unit),
        &escape(&from.room),
        &escape(&from.bed),
        FACILITY,
    ]);
    message(vec![
        msh(header, "ADT^A02^ADT_A02"),
        evn(header, &movement.time),
        pid(patient),
        pv1(patient).set(6, prior).build(),
        zbe(patient, movement),
    ])
}

/// ADT^A03: discharge from the patient's current location.
pub(crate) fn discharge(header: &Header, patient: &DemoPatient, movement: &Movement) -> String {
    message(vec![
        msh(header, "ADT^A03^ADT_A03"),
        evn(header, &movement.time),
        pid(patient),
        pv1(patient).set(45, movement.time.as_str()).build(),
        zbe(patient, movement),
    ])
}

/// RDE^O11: one pharmacy order.
pub(crate) fn prescription(
    header: &Header,
    patient: &DemoPatient,
    rx: &DemoPrescription,
) -> String {
    let drug = rx.drug;
    let orc = Segment::new("ORC")
        .set(1, "NW")
        .set(
            2,
            components(&[&escape(&rx.order_number), SENDING_APPLICATION]),
        )
        .set(9, header.time.as_str())
        .set(12, physician(patient))
        .build();
    let rxe = Segment::new("RXE")
        .set(2, components(&[drug.atc, &escape(drug.name), "ATC"]))
        .set(3, drug.amount)
        .set(
            5,
            components(&[&escape(drug.unit_ucum), &escape(drug.unit_label), "UCUM"]),
        )
        .set(6, components(&["", &escape(drug.form)]))
        .set(7, components(&["", &escape(&rx.instructions())]))
        .build();
    let tq1 = Segment::new("TQ1")
        .set(1, "1")
        .set(
            3,
            format!(
                "{}&{}&HL70335",
                drug.frequency.code,
                escape(drug.frequency.label)
            ),
        )
        .set(7, rx.start.as_str())
        .build();
    let rxr = Segment::new("RXR")
        .set(
            1,
            components(&[drug.route.code, &escape(drug.route.label), "HL70162"]),
        )
        .build();
    message(vec![
        msh(header, "RDE^O11^RDE_O11"),
        pid(patient),
        pv1(patient).build(),
        orc,
        rxe,
        tq1,
        rxr,
    ])
}

/// One observation request of an ORU: panel code, label, section, ids.
pub(crate) struct Panel<'a> {
    /// LOINC panel code.
    pub code: &'a str,
    /// French label.
    pub label: &'a str,
    /// OBR-24 diagnostic service section (empty for vitals).
    pub section: &'a str,
    /// Placer order number.
    pub placer: String,
    /// Filler order number.
    pub filler: String,
    /// The observations.
    pub observations: &'a [DemoObservation],
}

/// ORU^R01: one or more panels of numeric results for a patient.
pub(crate) fn results(header: &Header, patient: &DemoPatient, panels: &[Panel<'_>]) -> String {
    let mut segments = vec![
        msh(header, "ORU^R01^ORU_R01"),
        pid(patient),
        pv1(patient).build(),
    ];
    for (i, panel) in panels.iter().enumerate() {
        let time = panel
            .observations
            .first()
            .map_or(header.time.as_str(), |o| o.time.as_str());
        segments.push(
            Segment::new("OBR")
                .set(1, (i + 1).to_string())
                .set(
                    2,
                    components(&[&escape(&panel.placer), SENDING_APPLICATION]),
                )
                .set(3, components(&[&escape(&panel.filler), "DEMO-LAB"]))
                .set(4, components(&[panel.code, &escape(panel.label), "LN"]))
                .set(7, time)
                .set(16, physician(patient))
                .set(22, header.time.as_str())
                .set(24, panel.section)
                .set(25, "F")
                .build(),
        );
        segments.extend(
            panel
                .observations
                .iter()
                .enumerate()
                .map(|(j, o)| obx(j + 1, o)),
        );
    }
    message(segments)
}

fn msh(header: &Header, kind: &str) -> String {
    format!(
        "MSH|^~\\&|{SENDING_APPLICATION}|{FACILITY}|CKISA|{FACILITY}|{}||{kind}|{}|P|2.5^FRA^2.11|||||FRA|UNICODE UTF-8|FR",
        header.time,
        escape(&header.control_id)
    )
}

fn evn(header: &Header, occurred: &str) -> String {
    Segment::new("EVN")
        .set(2, header.time.as_str())
        .set(6, occurred)
        .build()
}

/// PID; the INS, address and phone are left out when unknown (empty), so
/// that the node keeps what it already holds for them.
fn pid(p: &DemoPatient) -> String {
    let mut identifiers = format!("{}^^^{FACILITY}&{IPP_AUTHORITY_OID}&ISO^PI", escape(&p.ipp));
    if !p.ins.is_empty() {
        identifiers.push_str(&format!("~{}^^^{INS_AUTHORITY}^INS", escape(&p.ins)));
    }
    let name = components(&[
        &escape(&p.family.to_uppercase()),
        &escape(&p.given),
        "",
        "",
        "",
        "",
        "L",
    ]);
    let known_address = [&p.address.street, &p.address.city, &p.address.postcode]
        .iter()
        .any(|part| !part.is_empty());
    let address = components(&[
        &escape(&p.address.street),
        "",
        &escape(&p.address.city),
        "",
        &escape(&p.address.postcode),
        "FRA",
        "H",
    ]);
    let equipment = if p.phone.starts_with("06") || p.phone.starts_with("07") {
        "CP"
    } else {
        "PH"
    };
    Segment::new("PID")
        .set(1, "1")
        .set(3, identifiers)
        .set(5, name)
        .set(7, p.birth_date.as_str())
        .set(8, p.sex.code())
        .set(
            11,
            if known_address {
                address
            } else {
                String::new()
            },
        )
        .set(
            13,
            if p.phone.is_empty() {
                String::new()
            } else {
                components(&[&escape(&p.phone), "PRN", equipment])
            },
        )
        .build()
}

fn pv1(p: &DemoPatient) -> Segment {
    let location = components(&[
        &escape(&p.location.unit),
        &escape(&p.location.room),
        &escape(&p.location.bed),
        FACILITY,
    ]);
    Segment::new("PV1")
        .set(1, "1")
        .set(2, "I")
        .set(3, location)
        .set(7, physician(p))
        .set(
            19,
            components(&[&escape(&p.visit_number), "", "", FACILITY, "VN"]),
        )
        .set(44, p.admitted_at.as_str())
}

fn physician(p: &DemoPatient) -> String {
    let doctor = &p.attending;
    components(&[
        &escape(&doctor.rpps),
        &escape(&doctor.family.to_uppercase()),
        &escape(&doctor.given),
        "",
        "",
        "Dr",
        "",
        "",
        RPPS_AUTHORITY,
    ])
}

fn zbe(p: &DemoPatient, movement: &Movement) -> String {
    let ward = format!(
        "{}^^^^^{FACILITY}^UF^^^{}",
        escape(&p.unit_name),
        escape(&p.uf)
    );
    Segment::new("ZBE")
        .set(1, components(&[&escape(&movement.id), SENDING_APPLICATION]))
        .set(2, movement.time.as_str())
        .set(4, "INSERT")
        .set(5, "N")
        .set(7, ward)
        .set(9, "HMS")
        .build()
}

fn clinical_segments(p: &DemoPatient, time: &str) -> Vec<String> {
    let allergies = p.allergies.iter().enumerate().map(|(i, a)| {
        Segment::new("AL1")
            .set(1, (i + 1).to_string())
            .set(2, a.allergen.kind)
            .set(
                3,
                components(&[
                    a.allergen.code,
                    &escape(a.allergen.label),
                    a.allergen.system,
                ]),
            )
            .set(4, a.severity.code())
            .set(5, escape(a.reaction))
            .build()
    });
    let problems = p.problems.iter().enumerate().map(|(i, problem)| {
        Segment::new("DG1")
            .set(1, (i + 1).to_string())
            .set(
                3,
                components(&[problem.code, &escape(problem.label), "CIM10"]),
            )
            .set(5, time)
            .set(6, if i == 0 { "A" } else { "W" })
            .build()
    });
    allergies.chain(problems).collect()
}

fn obx(set_id: usize, o: &DemoObservation) -> String {
    let m = o.measure;
    Segment::new("OBX")
        .set(1, set_id.to_string())
        .set(2, "NM")
        .set(3, components(&[m.loinc, &escape(m.label), "LN"]))
        .set(5, o.value_text())
        .set(
            6,
            components(&[&escape(m.ucum), &escape(m.unit_label), "UCUM"]),
        )
        .set(7, o.range_text())
        .set(8, o.flag())
        .set(11, "F")
        .set(14, o.time.as_str())
        .build()
}

/// A diet: code, label, and whether it means nil by mouth.
pub(crate) type DietCode = (&'static str, &'static str, bool);

/// OMD^O03: the patient's diet order (new, `NW`).
pub(crate) fn diet_order(
    header: &Header,
    patient: &DemoPatient,
    order: &str,
    diet: DietCode,
) -> String {
    let (code, label, _) = diet;
    message(vec![
        msh(header, "OMD^O03^OMD_O03"),
        pid(patient),
        pv1(patient).build(),
        Segment::new("ORC")
            .set(1, "NW")
            .set(2, components(&[&escape(order), FACILITY]))
            .set(9, header.time.as_str())
            .build(),
        Segment::new("ODS")
            .set(1, "D")
            .set(3, components(&[code, &escape(label), "L"]))
            .build(),
    ])
}

/// A consultation booked for a patient.
#[derive(Debug, Clone)]
pub(crate) struct DemoAppointment {
    /// Filler appointment id (SCH-2).
    pub id: String,
    /// Start, HL7 timestamp with offset.
    pub start: String,
    /// Duration in minutes.
    pub minutes: u32,
    /// Clinic code and name.
    pub clinic: (&'static str, &'static str),
    /// The consultant.
    pub practitioner: crate::patient::Physician,
    /// Reason.
    pub reason: &'static str,
}

/// SIU^S12: a new appointment booking.
pub(crate) fn appointment(
    header: &Header,
    patient: &DemoPatient,
    appointment: &DemoAppointment,
) -> String {
    let minutes = appointment.minutes.to_string();
    let (clinic_code, clinic_name) = appointment.clinic;
    let doctor = &appointment.practitioner;
    let consultant = components(&[
        &escape(&doctor.rpps),
        &escape(&doctor.family.to_uppercase()),
        &escape(&doctor.given),
        "",
        "",
        "Dr",
    ]);
    message(vec![
        msh(header, "SIU^S12^SIU_S12"),
        Segment::new("SCH")
            .set(2, components(&[&escape(&appointment.id), FACILITY]))
            .set(7, components(&["", &escape(appointment.reason)]))
            .set(9, minutes.as_str())
            .set(10, "min")
            .set(11, components(&["", "", &minutes, &appointment.start]))
            .set(25, "Booked")
            .build(),
        pid(patient),
        Segment::new("PV1").set(1, "1").set(2, "O").build(),
        Segment::new("RGS").set(1, "1").set(2, "A").build(),
        Segment::new("AIL")
            .set(1, "1")
            .set(2, "A")
            .set(
                3,
                components(&[
                    clinic_code,
                    "",
                    "",
                    FACILITY,
                    "",
                    "",
                    "",
                    "",
                    &escape(clinic_name),
                ]),
            )
            .set(6, appointment.start.as_str())
            .set(9, minutes.as_str())
            .set(10, "min")
            .build(),
        Segment::new("AIP")
            .set(1, "1")
            .set(2, "A")
            .set(3, consultant)
            .set(6, appointment.start.as_str())
            .set(9, minutes.as_str())
            .set(10, "min")
            .build(),
    ])
}
