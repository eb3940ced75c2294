//! How events and records are written to and read from columns: event rows,
//! the codes of enumerations, and the JSON payloads of projection rows.
//!
//! Encoding runs on the caller's thread before a submission reaches the
//! writer, so that the single writer thread spends its time in SQLite only.

use ckisa_domain::{
    Actor, Allergy, AppointmentStatus, CareFact, CarePlan, Condition, Event, EventId, Fact, Hlc,
    Medication, NodeId, Observation, ObservationCategory, ObservationValue, PatientKey, Procedure,
    RecordStatus, Report, Sex, Source, SourceChannel,
};
use ckisa_store::StoreError;
use rusqlite::Row;

use crate::error::{CorruptValue, corrupt, database, encoding};

/// An event with its columns already encoded.
#[derive(Debug)]
pub(crate) struct EncodedEvent {
    /// The event itself, for the projections.
    pub(crate) event: Event,
    /// JSON of the fact.
    pub(crate) payload: String,
    /// JSON of the actor.
    pub(crate) actor: String,
    /// JSON a projection row keeps for the record (see [`record_payload`]).
    pub(crate) record: Option<String>,
}

impl EncodedEvent {
    /// Encodes every column of an event.
    pub(crate) fn new(event: Event) -> Result<EncodedEvent, StoreError> {
        let payload = serde_json::to_string(&event.fact).map_err(encoding)?;
        let actor = serde_json::to_string(&event.actor).map_err(encoding)?;
        let record = record_payload(&event.fact).map_err(encoding)?;
        Ok(EncodedEvent {
            event,
            payload,
            actor,
            record,
        })
    }
}

/// The JSON a projection row keeps for a clinical record, when it differs
/// from the record in the log: an observation with an embedded document,
/// kept once in the log, is kept here with its size only. For every other
/// record the projection row points at its event and keeps no copy. A fact
/// typed in the capsule ([`CareFact::Entered`]) keeps what its inner fact
/// would.
pub(crate) fn record_payload(fact: &Fact) -> Result<Option<String>, serde_json::Error> {
    match fact {
        Fact::ObservationRecorded(record) if has_document(&record.value) => {
            let mut light = record.clone();
            strip_documents(&mut light.value);
            serde_json::to_string(&light).map(Some)
        }
        Fact::Care(CareFact::Entered(inner)) => record_payload(inner),
        _ => Ok(None),
    }
}

/// A clinical record type that projection rows hold, and how to take it out
/// of the fact that recorded it, from a feed or typed in the capsule.
pub(crate) trait RecordFact: serde::de::DeserializeOwned {
    /// The record, when `fact` (or the fact a [`CareFact::Entered`] wraps)
    /// records this type.
    fn from_fact(fact: Fact) -> Option<Self>;
    /// Sets the (resolved) patient key.
    fn set_patient(&mut self, patient: PatientKey);
    /// The patient key.
    fn patient(&self) -> &PatientKey;
}

macro_rules! record_fact {
    ($type:ty, $variant:ident) => {
        impl RecordFact for $type {
            fn from_fact(fact: Fact) -> Option<Self> {
                match fact {
                    Fact::$variant(record) => Some(record),
                    Fact::Care(CareFact::Entered(inner)) => Self::from_fact(*inner),
                    _ => None,
                }
            }

            fn set_patient(&mut self, patient: PatientKey) {
                self.patient = patient;
            }

            fn patient(&self) -> &PatientKey {
                &self.patient
            }
        }
    };
}

record_fact!(Allergy, AllergyRecorded);
record_fact!(Condition, ConditionRecorded);
record_fact!(Medication, MedicationRecorded);
record_fact!(CarePlan, CarePlanRecorded);
record_fact!(Observation, ObservationRecorded);
record_fact!(Report, ReportRecorded);
record_fact!(Procedure, ProcedureRecorded);

/// Decodes a projection row's record: its own payload when it keeps one,
/// else the fact of the event it points at.
pub(crate) fn decode_record<T: RecordFact>(
    own: Option<&str>,
    event: Option<&str>,
) -> Result<T, StoreError> {
    if let Some(json) = own {
        return serde_json::from_str(json).map_err(encoding);
    }
    let json = event.ok_or_else(|| corrupt(CorruptValue::MissingRecord))?;
    let fact: Fact = serde_json::from_str(json).map_err(encoding)?;
    T::from_fact(fact).ok_or_else(|| corrupt(CorruptValue::MissingRecord))
}

fn has_document(value: &ObservationValue) -> bool {
    match value {
        ObservationValue::Document { .. } => true,
        ObservationValue::Components(parts) => parts.iter().any(|(_, v)| has_document(v)),
        _ => false,
    }
}

fn strip_documents(value: &mut ObservationValue) {
    match value {
        ObservationValue::Document { data, .. } => data.clear(),
        ObservationValue::Components(parts) => {
            parts.iter_mut().for_each(|(_, v)| strip_documents(v));
        }
        _ => {}
    }
}

/// Column code of a channel.
pub(crate) fn channel_code(channel: SourceChannel) -> &'static str {
    match channel {
        SourceChannel::Mllp => "mllp",
        SourceChannel::File => "file",
        SourceChannel::FhirApi => "fhir_api",
        SourceChannel::User => "user",
        SourceChannel::Demo => "demo",
    }
}

fn parse_channel(code: &str) -> Result<SourceChannel, StoreError> {
    Ok(match code {
        "mllp" => SourceChannel::Mllp,
        "file" => SourceChannel::File,
        "fhir_api" => SourceChannel::FhirApi,
        "user" => SourceChannel::User,
        "demo" => SourceChannel::Demo,
        other => return Err(unknown("events.channel", other)),
    })
}

/// Column code of a sex.
pub(crate) fn sex_code(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "F",
        Sex::Male => "M",
        Sex::Other => "O",
        Sex::Unknown => "U",
    }
}

/// Reads a sex column.
pub(crate) fn parse_sex(code: Option<String>) -> Result<Option<Sex>, StoreError> {
    let Some(code) = code else {
        return Ok(None);
    };
    Ok(Some(match code.as_str() {
        "F" => Sex::Female,
        "M" => Sex::Male,
        "O" => Sex::Other,
        "U" => Sex::Unknown,
        _ => return Err(unknown("patients.sex", &code)),
    }))
}

/// Column code of a record status.
pub(crate) fn status_code(status: &RecordStatus) -> &'static str {
    match status {
        RecordStatus::Active => "active",
        RecordStatus::Inactive => "inactive",
        RecordStatus::EnteredInError => "error",
    }
}

/// Column code of an appointment status.
pub(crate) fn appointment_status_code(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Booked => "booked",
        AppointmentStatus::Cancelled => "cancelled",
        AppointmentStatus::NoShow => "noshow",
        AppointmentStatus::Fulfilled => "fulfilled",
    }
}

/// Column code of an observation category (`observations.category`), the
/// variant's name, as migration 0003 derived it from stored JSON.
pub(crate) fn category_code(category: ObservationCategory) -> &'static str {
    match category {
        ObservationCategory::Vital => "Vital",
        ObservationCategory::Lab => "Lab",
        ObservationCategory::Other => "Other",
    }
}

fn unknown(column: &'static str, value: &str) -> StoreError {
    corrupt(CorruptValue::UnknownCode {
        column,
        value: value.to_owned(),
    })
}

/// The columns `decode_event` reads, in order.
pub(crate) const EVENT_COLUMNS: &str = "id, hlc, origin, actor, channel, source_origin, \
     message_id, sender, fhir_id, payload";

/// Raw columns of an event row, copied out of SQLite before decoding so that
/// a decoding failure is an encoding error, not a database error.
pub(crate) struct EventRow {
    id: Vec<u8>,
    hlc: i64,
    origin: String,
    actor: String,
    channel: String,
    source_origin: String,
    message_id: Option<String>,
    sender: Option<String>,
    fhir_id: Option<String>,
    payload: String,
}

impl EventRow {
    /// Copies the [`EVENT_COLUMNS`] of a row.
    pub(crate) fn read(row: &Row<'_>) -> rusqlite::Result<EventRow> {
        Ok(EventRow {
            id: row.get(0)?,
            hlc: row.get(1)?,
            origin: row.get(2)?,
            actor: row.get(3)?,
            channel: row.get(4)?,
            source_origin: row.get(5)?,
            message_id: row.get(6)?,
            sender: row.get(7)?,
            fhir_id: row.get(8)?,
            payload: row.get(9)?,
        })
    }

    /// Decodes the event.
    pub(crate) fn decode(self) -> Result<Event, StoreError> {
        let id = uuid::Uuid::from_slice(&self.id).map_err(|e| corrupt(CorruptValue::EventId(e)))?;
        let hlc = u64::try_from(self.hlc).map_err(|_| {
            corrupt(CorruptValue::Negative {
                column: "events.hlc",
            })
        })?;
        let actor: Actor = serde_json::from_str(&self.actor).map_err(encoding)?;
        let fact: Fact = serde_json::from_str(&self.payload).map_err(encoding)?;
        Ok(Event {
            id: EventId(id),
            hlc: Hlc(hlc),
            origin: NodeId(self.origin),
            actor,
            source: Source {
                channel: parse_channel(&self.channel)?,
                origin: self.source_origin,
                message_id: self.message_id,
                sender: self.sender,
                fhir_id: self.fhir_id,
            },
            fact,
        })
    }
}

/// Reads and decodes a JSON column.
pub(crate) fn json_column<T: serde::de::DeserializeOwned>(
    text: Option<String>,
) -> Result<Option<T>, StoreError> {
    text.map(|t| serde_json::from_str(&t).map_err(encoding))
        .transpose()
}

/// Maps a row-reading closure's SQLite error.
pub(crate) fn rows<T>(result: rusqlite::Result<T>) -> Result<T, StoreError> {
    result.map_err(database)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ckisa_domain::{Coded, ObservationCategory};

    fn document_observation() -> Observation {
        Observation {
            id: "obs-1".into(),
            patient: PatientKey::ipp("H", "1"),
            encounter: None,
            category: ObservationCategory::Other,
            code: Coded {
                code: Some("PDF".into()),
                system: None,
                text: "Compte rendu".into(),
            },
            value: ObservationValue::Document {
                media_type: Some("application/pdf".into()),
                size_bytes: 220_000,
                data: "JVBERi0xLjQK".repeat(100),
            },
            reference_range: None,
            interpretation: None,
            effective: None,
            status: Some("F".into()),
            report: None,
            notes: vec![],
        }
    }

    #[test]
    fn projection_payload_drops_document_data_but_keeps_its_size() {
        let fact = Fact::ObservationRecorded(document_observation());
        let json = record_payload(&fact).unwrap().unwrap();
        let back: Observation = serde_json::from_str(&json).unwrap();
        let ObservationValue::Document {
            size_bytes, data, ..
        } = back.value
        else {
            panic!("document expected");
        };
        assert_eq!((size_bytes, data.as_str()), (220_000, ""));
    }

    #[test]
    fn records_without_documents_are_read_from_their_event() {
        let mut plain = document_observation();
        plain.value = ObservationValue::Text("normal".into());
        let fact = Fact::ObservationRecorded(plain.clone());
        assert_eq!(record_payload(&fact).unwrap(), None);
        let event_json = serde_json::to_string(&fact).unwrap();
        let back: Observation = decode_record(None, Some(&event_json)).unwrap();
        assert_eq!(back, plain);
        let wrong = decode_record::<Allergy>(None, Some(&event_json));
        assert!(matches!(wrong, Err(StoreError::Encoding(_))));
    }

    #[test]
    fn a_record_typed_in_the_capsule_is_read_and_stripped_like_the_feeds() {
        let entered = |record: Observation| {
            Fact::Care(CareFact::Entered(Box::new(Fact::ObservationRecorded(
                record,
            ))))
        };
        let json = record_payload(&entered(document_observation()))
            .unwrap()
            .expect("a typed document is kept without its data");
        let back: Observation = serde_json::from_str(&json).unwrap();
        assert!(
            matches!(back.value, ObservationValue::Document { ref data, .. } if data.is_empty())
        );

        let mut plain = document_observation();
        plain.value = ObservationValue::Text("normal".into());
        let event_json = serde_json::to_string(&entered(plain.clone())).unwrap();
        assert_eq!(record_payload(&entered(plain.clone())).unwrap(), None);
        let read: Observation = decode_record(None, Some(&event_json)).unwrap();
        assert_eq!(read, plain);
        let wrong = decode_record::<Medication>(None, Some(&event_json));
        assert!(matches!(wrong, Err(StoreError::Encoding(_))));
    }

    #[test]
    fn unknown_codes_are_encoding_errors() {
        assert!(matches!(
            parse_channel("carrier-pigeon"),
            Err(StoreError::Encoding(_))
        ));
        assert!(matches!(
            parse_sex(Some("Z".into())),
            Err(StoreError::Encoding(_))
        ));
        assert_eq!(
            parse_sex(Some(sex_code(Sex::Other).into())).unwrap(),
            Some(Sex::Other)
        );
    }
}
