//! FHIR R4 resources of the demo: one CarePlan per patient, since HL7 v2 has
//! no care plan segment.
//!
//! The CarePlan names its patient by identifier (`CHDEMO` + IPP), not by a
//! FHIR logical id: the patient came through HL7 v2, where the node keys it
//! as `ipp:CHDEMO|<ipp>`, so a conditional reference is the only way to
//! land on the same record.

use crate::messages::FACILITY;
use crate::patient::DemoPatient;
use serde_json::json;

/// The FHIR CarePlan of `patient`, as compact JSON.
pub(crate) fn care_plan(patient: &DemoPatient, period_start: &str) -> String {
    let activities: Vec<serde_json::Value> = patient
        .care_plan
        .activities
        .iter()
        .map(|activity| json!({ "detail": { "status": "in-progress", "description": activity } }))
        .collect();
    json!({
        "resourceType": "CarePlan",
        "id": format!("demo-cp-{}", patient.ipp),
        "identifier": [{ "system": "urn:oid:2.999.250.1.2", "value": format!("CP-{}", patient.ipp) }],
        "status": "active",
        "intent": "plan",
        "category": [{ "text": "Plan de soins infirmiers" }],
        "title": patient.care_plan.title,
        "subject": {
            "identifier": { "system": FACILITY, "value": patient.ipp },
            "display": format!("{} {}", patient.family.to_uppercase(), patient.given),
        },
        "encounter": { "identifier": { "system": FACILITY, "value": patient.visit_number } },
        "period": { "start": period_start },
        "activity": activities,
    })
    .to_string()
}
