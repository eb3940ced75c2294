//! Exports of the trail for auditors: CSV for a spreadsheet, FHIR R4
//! AuditEvent resources for another system.
//!
//! Both carry the head of the chain (last sequence number and hash) at the
//! time of the export. Kept outside the node (printed, mailed to the DPO,
//! filed on another system), that head is what later shows a trail
//! rewritten by someone who holds the database key.
//!
//! CSV: UTF-8 with a byte order mark (so that spreadsheet programs read the
//! accents), `;` separator (the French spreadsheet default), CRLF line ends,
//! French column names, one line per entry, then one last line
//! `# tête du journal : séquence N, empreinte H`.

use rusqlite::Connection;
use serde_json::{Value, json};

use crate::anchor::Anchor;
use crate::chain::hex;
use crate::query::{self, AuditEntry, AuditQuery};
use crate::record::{AuditError, AuditOutcome, actions};
use crate::trail::ChainHead;

/// The CSV header line.
pub const CSV_HEADER: &str = "horodatage;acteur;rôle;origine;action;résultat;patient;cible;\
                              détail;séquence;empreinte";

/// The DICOM controlled terminology (event types and subtypes).
const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";

/// Writes the entries `query` finds as CSV, newest first; returns how many.
pub(crate) fn write_csv(
    conn: &Connection,
    query: &AuditQuery,
    head: Anchor,
    out: &mut dyn std::io::Write,
) -> Result<usize, AuditError> {
    let mut put = |text: &str| out.write_all(text.as_bytes()).map_err(AuditError::Export);
    put("\u{feff}")?;
    put(CSV_HEADER)?;
    put("\r\n")?;
    let written = query::for_each(conn, query, |entry| put(&csv_line(&entry)))?;
    put(&format!(
        "# tête du journal : séquence {}, empreinte {}\r\n",
        head.seq,
        hex(&head.hash)
    ))?;
    Ok(written)
}

/// One CSV line (with its CRLF) for `entry`.
fn csv_line(entry: &AuditEntry) -> String {
    let record = &entry.record;
    let fields = [
        instant(record.at_ms),
        record.actor.clone(),
        record.role.clone().unwrap_or_default(),
        record.source.clone(),
        record.action.clone(),
        outcome_text(record.outcome).to_owned(),
        record.patient.clone().unwrap_or_default(),
        record.target.clone().unwrap_or_default(),
        record.detail.clone(),
        entry.seq.to_string(),
        entry.hash.clone(),
    ];
    let mut line = fields
        .iter()
        .map(|field| csv_field(field))
        .collect::<Vec<_>>()
        .join(";");
    line.push_str("\r\n");
    line
}

/// One CSV field, neutralised and quoted as needed.
///
/// Formula injection: a spreadsheet runs a cell that starts with `=`, `+`,
/// `-` or `@` (and some also after a leading tab or carriage return) as a
/// formula, so a login or a search text typed by anyone could execute in the
/// auditor's spreadsheet. Such fields get a leading `'`, which spreadsheets
/// show as text (OWASP "CSV Injection").
fn csv_field(text: &str) -> String {
    let neutral = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if neutral.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

fn outcome_text(outcome: AuditOutcome) -> &'static str {
    match outcome {
        AuditOutcome::Allowed => "autorisé",
        AuditOutcome::Denied => "refusé",
        AuditOutcome::Failed => "échoué",
    }
}

/// An ISO 8601 UTC instant with milliseconds.
fn instant(at_ms: i64) -> String {
    // Out of range only for a clock that is wildly wrong: show the bound.
    let timestamp = jiff::Timestamp::from_millisecond(at_ms).unwrap_or(if at_ms < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    });
    format!("{timestamp:.3}")
}

/// A FHIR R4 Bundle (type `collection`) with one AuditEvent per entry.
/// `Bundle.identifier` carries the chain head at export time.
pub(crate) fn fhir_bundle(entries: &[AuditEntry], head: Option<&ChainHead>) -> Value {
    let mut bundle = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": instant(jiff::Timestamp::now().as_millisecond()),
        "entry": entries
            .iter()
            .map(|entry| json!({ "resource": audit_event(entry) }))
            .collect::<Vec<_>>(),
    });
    if let Some(head) = head {
        bundle["identifier"] = json!({
            "system": "urn:ckisa:audit-head",
            "value": format!("{}:{}", head.seq, head.hash),
        });
    }
    bundle
}

/// The AuditEvent resource of one entry.
fn audit_event(entry: &AuditEntry) -> Value {
    let record = &entry.record;
    let kind = EventKind::of(&record.action, record.patient.is_some());
    let mut event = json!({
        "resourceType": "AuditEvent",
        "id": format!("audit-{}", entry.seq),
        "extension": [
            { "url": "urn:ckisa:audit-sequence", "valueString": entry.seq.to_string() },
            { "url": "urn:ckisa:audit-entry-hash", "valueString": entry.hash },
        ],
        "type": { "system": DCM, "code": kind.code, "display": kind.display },
        "subtype": subtypes(&record.action),
        "action": kind.action,
        "recorded": instant(record.at_ms),
        "outcome": if record.outcome == AuditOutcome::Allowed { "0" } else { "4" },
        "agent": [agent(record)],
        "source": {
            "observer": { "display": "ckisa" },
            "type": [{
                "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                "code": "4",
                "display": "Application Server",
            }],
        },
    });
    if record.outcome != AuditOutcome::Allowed && !record.detail.is_empty() {
        event["outcomeDesc"] = json!(record.detail);
    }
    let break_glass = record.action == actions::BREAK_GLASS;
    if break_glass {
        event["purposeOfEvent"] = json!([{
            "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                "code": "BTG",
                "display": "break the glass",
            }],
            "text": record.detail,
        }]);
    }
    let entities = entities(entry, !break_glass);
    if !entities.is_empty() {
        event["entity"] = json!(entities);
    }
    event
}

/// The DICOM event type and FHIR action of an action code.
struct EventKind {
    code: &'static str,
    display: &'static str,
    /// C, R, U, D or E.
    action: &'static str,
}

impl EventKind {
    fn of(action: &str, has_patient: bool) -> EventKind {
        let kind = |code, display, action| EventKind {
            code,
            display,
            action,
        };
        match action {
            actions::LOGIN
            | actions::LOGIN_FAILED
            | actions::LOGIN_LOCKED
            | actions::LOGOUT
            | actions::LOGOUT_EVERYWHERE
            | actions::SESSION_EXPIRED
            | actions::SESSION_LOCK
            | actions::SESSION_UNLOCK => kind("110114", "User Authentication", "E"),
            actions::USER_ROLE => kind("110136", "Security Roles Changed", "U"),
            actions::USER_ADD | actions::TOKEN_CREATE => {
                kind("110137", "User Security Attributes Changed", "C")
            }
            actions::TOKEN_REVOKE => kind("110137", "User Security Attributes Changed", "D"),
            actions::USER_DISABLE
            | actions::USER_ENABLE
            | actions::USER_RESET
            | actions::PASSWORD_CHANGE
            | actions::PIN_SET => kind("110137", "User Security Attributes Changed", "U"),
            actions::BREAK_GLASS | actions::AUDIT_ANOMALY => kind("110113", "Security Alert", "E"),
            actions::REKEY => kind("110129", "Security Configuration", "U"),
            "audit.export" => kind("110106", "Export", "E"),
            "patient.search" => kind("110112", "Query", "E"),
            _ if action.starts_with("audit.") => kind("110101", "Audit Log Used", "R"),
            _ if has_patient || action.starts_with("patient.") || action == "unit.board" => {
                kind("110110", "Patient Record", "R")
            }
            _ => kind("110100", "Application Activity", "R"),
        }
    }
}

/// The subtypes: a DICOM one where it exists, then the ckisa action code.
fn subtypes(action: &str) -> Value {
    let dicom = match action {
        actions::LOGIN | actions::LOGIN_FAILED | actions::LOGIN_LOCKED => Some(("110122", "Login")),
        actions::LOGOUT | actions::LOGOUT_EVERYWHERE | actions::SESSION_EXPIRED => {
            Some(("110123", "Logout"))
        }
        actions::BREAK_GLASS => Some(("110127", "Emergency Override Started")),
        _ => None,
    };
    let mut codings = Vec::new();
    if let Some((code, display)) = dicom {
        codings.push(json!({ "system": DCM, "code": code, "display": display }));
    }
    codings.push(json!({ "system": "urn:ckisa:audit-action", "code": action }));
    Value::Array(codings)
}

/// Who acted.
fn agent(record: &crate::record::AuditRecord) -> Value {
    let mut agent = json!({
        "who": { "identifier": { "value": record.actor }, "display": record.actor },
        "requestor": true,
    });
    if let Some(role) = &record.role {
        agent["role"] = json!([{ "text": role }]);
    }
    if record.source != "cli" && !record.source.is_empty() {
        let address_type = if record.source.parse::<std::net::IpAddr>().is_ok() {
            "2"
        } else {
            "1"
        };
        agent["network"] = json!({ "address": record.source, "type": address_type });
    }
    agent
}

/// What was acted on: the patient, the other target, and the detail text
/// (on the first entity when `with_detail`; break-the-glass puts it in
/// `purposeOfEvent` instead).
fn entities(entry: &AuditEntry, with_detail: bool) -> Vec<Value> {
    let record = &entry.record;
    let mut entities = Vec::new();
    if let Some(patient) = &record.patient {
        entities.push(json!({
            "what": patient_reference(patient),
            "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                "code": "1",
                "display": "Person",
            },
            "role": {
                "system": "http://terminology.hl7.org/CodeSystem/object-role",
                "code": "1",
                "display": "Patient",
            },
        }));
    }
    if let Some(target) = &record.target {
        entities.push(json!({
            "what": { "display": target },
            "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                "code": "2",
                "display": "System Object",
            },
        }));
    }
    if with_detail && !record.detail.is_empty() {
        match entities.first_mut() {
            Some(first) => first["description"] = json!(record.detail),
            None => entities.push(json!({ "description": record.detail })),
        }
    }
    entities
}

/// `Patient/<id>` for a FHIR patient key, else an identifier with the IPP
/// (`ipp:<authority>|<value>`) or the key text.
fn patient_reference(patient: &str) -> Value {
    if let Some(id) = patient.strip_prefix("fhir:Patient/") {
        return json!({ "reference": format!("Patient/{id}") });
    }
    match patient
        .strip_prefix("ipp:")
        .and_then(|rest| rest.split_once('|'))
    {
        Some((authority, value)) => json!({
            "identifier": {
                "type": { "text": "IPP" },
                "value": value,
                "assigner": { "display": authority },
            },
        }),
        None => json!({ "identifier": { "value": patient } }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::AuditRecord;

    fn entry(action: &str, patient: Option<&str>, detail: &str) -> AuditEntry {
        AuditEntry {
            seq: 7,
            record: AuditRecord {
                at_ms: 1_700_000_000_123,
                actor: "mdupont".into(),
                role: Some("ide".into()),
                source: "192.0.2.10".into(),
                action: action.into(),
                outcome: AuditOutcome::Allowed,
                patient: patient.map(str::to_owned),
                target: None,
                detail: detail.into(),
            },
            hash: "ab".repeat(32),
        }
    }

    #[test]
    fn fields_are_neutralised_and_quoted() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+33 1"), "'+33 1");
        assert_eq!(csv_field("-2"), "'-2");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("\tx"), "'\tx");
        assert_eq!(csv_field("\rx"), "\"'\rx\"");
        assert_eq!(csv_field("a;b"), "\"a;b\"");
        assert_eq!(csv_field("dit \"non\""), "\"dit \"\"non\"\"\"");
        assert_eq!(csv_field("ligne\nsuivante"), "\"ligne\nsuivante\"");
        assert_eq!(csv_field("a=b"), "a=b");
    }

    #[test]
    fn instants_are_utc_with_milliseconds() {
        assert_eq!(instant(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(instant(0), "1970-01-01T00:00:00.000Z");
        assert!(
            instant(i64::MAX).starts_with("9999-"),
            "{}",
            instant(i64::MAX)
        );
    }

    #[test]
    fn a_chart_read_is_a_patient_record_read() {
        let event = audit_event(&entry("patient.chart", Some("fhir:Patient/p1"), ""));
        assert_eq!(event["type"]["code"], "110110");
        assert_eq!(event["action"], "R");
        assert_eq!(event["outcome"], "0");
        assert_eq!(event["recorded"], "2023-11-14T22:13:20.123Z");
        assert_eq!(event["entity"][0]["what"]["reference"], "Patient/p1");
        assert_eq!(event["agent"][0]["network"]["address"], "192.0.2.10");
        assert_eq!(event["agent"][0]["network"]["type"], "2");
        assert_eq!(event["agent"][0]["role"][0]["text"], "ide");
        assert_eq!(event["source"]["observer"]["display"], "ckisa");
    }

    #[test]
    fn an_ipp_patient_is_an_identifier() {
        let event = audit_event(&entry("patient.chart", Some("ipp:CHU-X|000123"), "vu"));
        let what = &event["entity"][0]["what"]["identifier"];
        assert_eq!(what["value"], "000123");
        assert_eq!(what["assigner"]["display"], "CHU-X");
        assert_eq!(event["entity"][0]["description"], "vu");
    }

    #[test]
    fn break_the_glass_carries_its_reason_as_purpose() {
        let event = audit_event(&entry(
            actions::BREAK_GLASS,
            Some("ipp:CHU|1"),
            "urgence vitale",
        ));
        assert_eq!(event["type"]["code"], "110113");
        assert_eq!(event["subtype"][0]["code"], "110127");
        assert_eq!(event["purposeOfEvent"][0]["coding"][0]["code"], "BTG");
        assert_eq!(event["purposeOfEvent"][0]["text"], "urgence vitale");
        assert!(event["entity"][0].get("description").is_none());
    }

    #[test]
    fn logins_and_role_changes_have_security_types() {
        let mut failed = entry(actions::LOGIN_FAILED, None, "mot de passe erroné");
        failed.record.outcome = AuditOutcome::Failed;
        let event = audit_event(&failed);
        assert_eq!(event["type"]["code"], "110114");
        assert_eq!(event["subtype"][0]["code"], "110122");
        assert_eq!(event["action"], "E");
        assert_eq!(event["outcome"], "4");
        assert_eq!(event["outcomeDesc"], "mot de passe erroné");
        assert_eq!(event["entity"][0]["description"], "mot de passe erroné");

        let event = audit_event(&entry(actions::USER_ROLE, None, ""));
        assert_eq!(event["type"]["code"], "110136");
        assert_eq!(event["action"], "U");
        assert!(event.get("entity").is_none());
    }
}
