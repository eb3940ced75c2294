//! The vocabulary of ckisa: what a hospital fact is, how it is identified, and
//! the immutable event that carries it through the log.
//!
//! Every other crate speaks these types. They derive serde because they are the
//! event-log payload, the format nodes will exchange when they sync.
//! Nothing here does IO or reads the wall clock: [`event::HlcClock`] is fed the
//! physical time by its caller.

#![deny(missing_docs)]

pub mod care;
pub mod crisis;
pub mod event;
pub mod fact;
pub mod ids;
pub mod message;
pub mod time;

pub use care::{
    Administration, AdministrationOutcome, Appointment, AppointmentStatus, CareFact, Diet,
    LabRequest, NursingNote, PrescriptionReview, Reconciliation, ReconciliationStatus,
    ReviewVerdict,
};
pub use crisis::{AlertKind, Assignee, CrisisFact, CrisisId, ItemId, Rag, TaskStatus, UnitReport};
pub use event::{Actor, Event, EventId, Hlc, HlcClock, NodeId, Source, SourceChannel};
pub use fact::*;
pub use ids::{EncounterKey, Identifier, PatientKey, ResourceRef};
pub use message::{
    AnswerVia, Attachment, Broadcast, Called, ChannelKind, ChannelSpec, EscalationStage, Mention,
    MessageFact, Post, Priority, Recall, RecallAnswer, Recipient,
};
pub use time::{Moment, Offset, OffsetOrigin, Precision};
