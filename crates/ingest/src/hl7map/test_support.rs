//! Helpers shared by the mapping tests: a minimal MSH around segment lines, and accessors for
//! the facts a test looks at.

use ckisa_domain::{Fact, PatientUpdate};
use ckisa_hl7::Message;

use super::{MapContext, MapRejection, Mapped, map_message};

/// A message of type `kind` (`ADT^A01`) with these segments (`\r`-separated).
pub(super) fn msg(kind: &str, body: &str) -> String {
    format!("MSH|^~\\&|APP|FAC|NODE|HOSP|20240101120000||{kind}|CTRL1|P|2.5\r{body}")
}

/// Parses and maps with the Paris context.
pub(super) fn map(text: &str) -> Result<Mapped, MapRejection> {
    let message = Message::parse(text.as_bytes()).expect("test message parses");
    map_message(&message, &MapContext::paris())
}

/// Parses and maps, failing the test on a refusal.
pub(super) fn map_ok(text: &str) -> Mapped {
    match map(text) {
        Ok(mapped) => mapped,
        Err(rejection) => panic!("unexpected refusal: {rejection}"),
    }
}

/// The first demographics fact.
pub(super) fn patient_update(mapped: &Mapped) -> &PatientUpdate {
    mapped
        .facts
        .iter()
        .find_map(|fact| match fact {
            Fact::PatientUpdated(update) => Some(update),
            _ => None,
        })
        .expect("a PatientUpdated fact")
}

/// The kinds of the facts, in order (`["patient", "stay"]`).
pub(super) fn kinds(mapped: &Mapped) -> Vec<&'static str> {
    mapped.facts.iter().map(Fact::kind).collect()
}

/// A segment with the given fields set (HL7 numbering), the others empty.
pub(super) fn seg(name: &str, fields: &[(usize, &str)]) -> String {
    let last = fields.iter().map(|(n, _)| *n).max().unwrap_or(0);
    let mut values = vec![""; last];
    for (n, value) in fields {
        values[n - 1] = value;
    }
    format!("{name}|{}", values.join("|"))
}
