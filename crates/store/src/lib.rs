//! The storage boundary of a node.
//!
//! [`Store`] is what ingestion writes to and what the web pages read from.
//! The embedded SQLite backend lives in `ckisa-store-sqlite`; a PostgreSQL
//! backend for a hospital group's shared node will implement the same trait
//! and pass the same story tests.
//!
//! **Invariant:** a [`Store::commit`] that returns `Ok` has made its events
//! durable (fsync'd) and applied them to the projections in the same
//! transaction; an MLLP ACK is sent only after it returns.
//!
//! **Invariant:** every view item carries the [`PatientKey`] it belongs to,
//! resolved through merges, so that no page shows one patient's data under
//! another's name.

#![deny(missing_docs)]

pub mod typed;

use ckisa_domain::{
    Allergy, Appointment, CarePlan, Condition, Diet, Event, EventId, Fact, Identifier, Medication,
    Moment, Observation, ObservationCategory, PatientKey, Procedure, Report, Sex,
};
use serde::Serialize;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The data folder or database could not be opened.
    #[error("cannot open the store at {path}")]
    Open {
        /// Data folder or database URL (without secrets).
        path: String,
        /// Cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A schema migration failed; the store was left at the previous version.
    #[error("schema migration to version {version} failed")]
    Migration {
        /// Target version.
        version: u32,
        /// Cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database refused or failed an operation.
    #[error("database error")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored event could not be encoded or decoded.
    #[error("event encoding error")]
    Encoding(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The writer has stopped (the node is shutting down).
    #[error("the store is closed")]
    Closed,
    /// [`Store::put_attachment`] was given a hash that is not the SHA-256
    /// of the bytes (or not 64 lowercase hexadecimal digits): nothing stored.
    #[error(
        "pièce jointe refusée : l'empreinte SHA-256 annoncée « {declared} » ne correspond pas \
         au contenu reçu, dont l'empreinte est {computed}"
    )]
    AttachmentHashMismatch {
        /// The hash the caller gave (cut to 80 characters).
        declared: String,
        /// The SHA-256 of the bytes, in lowercase hexadecimal.
        computed: String,
    },
    /// [`Store::rewrite_events`] named an event that is not in the log:
    /// nothing rewritten.
    #[error(
        "réécriture refusée : l'événement {id} n'est pas dans le journal, rien n'a été modifié"
    )]
    UnknownEvent {
        /// The event asked for.
        id: EventId,
    },
    /// [`Store::rewrite_events`] would have changed an event's kind:
    /// nothing rewritten.
    #[error(
        "réécriture refusée : l'événement {id} est de type « {stored} » et ne peut devenir \
         « {proposed} », rien n'a été modifié"
    )]
    RewriteChangesKind {
        /// The event.
        id: EventId,
        /// Its kind in the log ([`Fact::kind`]).
        stored: String,
        /// The kind of the fact proposed in its place.
        proposed: String,
    },
    /// [`Store::rewrite_events`] named an event whose fact the projections
    /// (census, charts, lists) are built from: rewriting it would leave them
    /// showing the old fact. Nothing rewritten.
    #[error(
        "réécriture refusée : l'événement {id} (type « {kind} ») alimente les vues du dossier \
         patient et ne peut être réécrit, rien n'a été modifié"
    )]
    RewriteOfProjectedEvent {
        /// The event.
        id: EventId,
        /// Its kind.
        kind: String,
    },
}

impl StoreError {
    /// Whether retrying the same operation later may succeed (disk full,
    /// database busy, shutting down) as opposed to a permanent fault.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Database(_) | StoreError::Closed)
    }
}

/// Deduplication key of an HL7 v2 message: the same message (same control
/// id, same content) from the same sender is applied once.
///
/// The content digest is part of the key because senders do reuse control
/// ids (counter resets, test feeds): a reused id with different content is a
/// different message, and dropping it would silently lose a documented act.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DedupKey {
    /// Sending application and facility (MSH-3, MSH-4).
    pub sender: String,
    /// Message control id (MSH-10).
    pub control_id: String,
    /// Digest of the message bytes, as hexadecimal text.
    pub digest: String,
}

/// One input message's events, to be stored atomically.
#[derive(Debug, Clone)]
pub struct Submission {
    /// Feed name (config) or `file`, for freshness figures; empty for
    /// entries typed by people, which count in no feed.
    pub feed: String,
    /// Node wall-clock time of reception, milliseconds since the Unix epoch.
    pub received_ms: i64,
    /// Deduplication key, when the input has one.
    pub dedup: Option<DedupKey>,
    /// The events, in order.
    pub events: Vec<Event>,
}

/// What happened to one submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored and applied.
    Stored,
    /// Same sender, control id and content seen before: not applied again.
    Duplicate,
    /// Not stored, because applying it would put data under the wrong
    /// identity (a message for a patient record already merged into
    /// another). The caller quarantines the input and answers `AE`.
    Refused {
        /// Why, in French, naming the identifiers involved.
        reason: String,
    },
}

/// An input that was refused, kept with its reason.
#[derive(Debug, Clone)]
pub struct Rejection {
    /// Feed name or file path.
    pub feed: String,
    /// Node wall-clock time of reception, milliseconds since the Unix epoch.
    pub received_ms: i64,
    /// Message control id, when one could be read.
    pub message_id: Option<String>,
    /// Human-readable reason, in French, naming the field (`PID-3 vide`).
    pub reason: String,
    /// The input as received (may hold patient data: shown only to
    /// authorised roles).
    pub raw: Vec<u8>,
}

/// A unit (UF / service) of the establishment and its beds, from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitDefinition {
    /// Unit code as the HIS sends it in PV1-3.1.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Beds as (room, bed).
    pub beds: Vec<(String, String)>,
}

/// Code of the virtual unit that lists in-house patients whose feed gave no
/// unit: `units()` adds it when there are any, and `unit_board` answers for
/// it, so that a patient present in the hospital is never missing from the
/// census. The `~` cannot come from an HL7 v2 PV1-3 unescaped, so no real
/// unit code collides with it.
pub const UNLOCATED_UNIT: &str = "~sans-unite";

/// One line of the units page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitSummary {
    /// Unit code.
    pub code: String,
    /// Display name (the code when the config does not name it).
    pub name: String,
    /// Beds known (configured or seen in feeds).
    pub beds: u32,
    /// Beds with a patient.
    pub occupied_beds: u32,
    /// Patients in the unit, with or without a bed.
    pub patients: u32,
}

/// A patient in a bed, as the bed board shows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Occupant {
    /// The patient.
    pub patient: PatientKey,
    /// The stay.
    pub encounter: String,
    /// Family name.
    pub family: Option<String>,
    /// Given names.
    pub given: Option<String>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Birth date.
    pub birth_date: Option<Moment>,
    /// IPP.
    pub ipp: Option<String>,
    /// Admission moment.
    pub admitted_at: Option<Moment>,
    /// Attending physician, resolved to a display name when possible.
    pub attending: Option<String>,
    /// Number of active allergies.
    pub allergies: u32,
    /// On leave of absence.
    pub on_leave: bool,
}

/// One bed of a unit, free or occupied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BedRow {
    /// Room.
    pub room: Option<String>,
    /// Bed.
    pub bed: Option<String>,
    /// Who is in it; several when the HIS put two stays in one bed (shown as
    /// a conflict, never hidden).
    pub occupants: Vec<Occupant>,
}

/// A unit's bed board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitBoard {
    /// The unit.
    pub unit: UnitSummary,
    /// Beds in room/bed order, then patients of the unit without a bed.
    pub beds: Vec<BedRow>,
}

/// A patient's identity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identity {
    /// The patient.
    pub patient: PatientKey,
    /// Family name.
    pub family: Option<String>,
    /// Given names.
    pub given: Option<String>,
    /// Birth name.
    pub birth_name: Option<String>,
    /// Birth date.
    pub birth_date: Option<Moment>,
    /// Sex.
    pub sex: Option<Sex>,
    /// IPP.
    pub ipp: Option<String>,
    /// INS (national health identity), when known.
    pub ins: Option<String>,
    /// Every identifier.
    pub identifiers: Vec<Identifier>,
    /// Phones.
    pub phones: Vec<String>,
    /// Addresses, one line each.
    pub addresses: Vec<String>,
    /// Deceased flag or date as text.
    pub deceased: Option<String>,
}

/// The current stay of a patient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StayView {
    /// Stay key.
    pub encounter: String,
    /// Unit code.
    pub unit: Option<String>,
    /// Unit name.
    pub unit_name: Option<String>,
    /// Room.
    pub room: Option<String>,
    /// Bed.
    pub bed: Option<String>,
    /// Patient class.
    pub class: Option<String>,
    /// Admission moment.
    pub admitted_at: Option<Moment>,
    /// Attending physician, resolved when possible.
    pub attending: Option<String>,
    /// On leave of absence.
    pub on_leave: bool,
}

/// Everything the patient summary shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatientChart {
    /// Identity.
    pub identity: Identity,
    /// Current stay, if in house (the most recently updated one).
    pub stay: Option<StayView>,
    /// Other stays still open in house for the same patient (two beds after a
    /// merge, a transfer the HIS never closed): shown as a warning, never
    /// hidden.
    pub other_stays: Vec<StayView>,
    /// Active allergies.
    pub allergies: Vec<Allergy>,
    /// Active problems.
    pub conditions: Vec<Condition>,
    /// Active prescriptions and statements.
    pub medications: Vec<Medication>,
    /// Active care plans.
    pub care_plans: Vec<CarePlan>,
    /// Latest value of each vital sign, newest first.
    pub vitals: Vec<Observation>,
    /// Latest lab and other results, newest first (bounded).
    pub results: Vec<Observation>,
    /// Reports, newest first (bounded).
    pub reports: Vec<Report>,
    /// Procedures, newest first (bounded).
    pub procedures: Vec<Procedure>,
}

/// A patient found by a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatientRow {
    /// The patient.
    pub patient: PatientKey,
    /// Family name.
    pub family: Option<String>,
    /// Given names.
    pub given: Option<String>,
    /// Birth date.
    pub birth_date: Option<Moment>,
    /// Sex.
    pub sex: Option<Sex>,
    /// IPP.
    pub ipp: Option<String>,
    /// Current unit, room and bed.
    pub unit: Option<String>,
    /// Room.
    pub room: Option<String>,
    /// Bed.
    pub bed: Option<String>,
}

/// How to search patients. Empty fields are ignored; all given fields must
/// match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatientQuery {
    /// Prefix of family or given name, accent- and case-insensitive.
    pub name: Option<String>,
    /// Exact birth date.
    pub birth_date: Option<(i16, u8, u8)>,
    /// Exact identifier value (IPP, INS or any other).
    pub identifier: Option<String>,
}

/// Most observations [`Store::observations`] returns: the newest this many
/// of the asked category and period.
pub const OBSERVATION_HISTORY_LIMIT: usize = 2_000;

/// An appointment with the identity of its patient, for the day lists of a
/// clinic or a practitioner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppointmentRow {
    /// The appointment, its patient key resolved through merges.
    pub appointment: Appointment,
    /// Practitioner's name, resolved through the directory when possible
    /// (else the display text or identifier the source gave).
    pub practitioner: Option<String>,
    /// Family name.
    pub family: Option<String>,
    /// Given names.
    pub given: Option<String>,
    /// Birth date.
    pub birth_date: Option<Moment>,
    /// IPP.
    pub ipp: Option<String>,
}

/// What the medication grid needs of one in-house patient of a unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatientMedications {
    /// The patient (a root key: merges already followed).
    pub patient: PatientKey,
    /// Active prescriptions and statements, newest first, as in
    /// [`PatientChart::medications`].
    pub medications: Vec<Medication>,
    /// Active allergies, newest first, as in [`PatientChart::allergies`].
    pub allergies: Vec<Allergy>,
}

/// Freshness and volume of one feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedStatus {
    /// Feed name.
    pub name: String,
    /// Last accepted input, node wall clock, ms since the Unix epoch.
    pub last_received_ms: Option<i64>,
    /// Inputs accepted.
    pub accepted: u64,
    /// Duplicates ignored.
    pub duplicates: u64,
    /// Inputs rejected to quarantine.
    pub rejected: u64,
}

/// A quarantined input, for the quarantine page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantineEntry {
    /// Row id.
    pub id: i64,
    /// Feed or file.
    pub feed: String,
    /// When.
    pub received_ms: i64,
    /// Control id.
    pub message_id: Option<String>,
    /// Why.
    pub reason: String,
    /// Size of the raw input in bytes.
    pub size: u64,
}

/// Width of a feed activity bucket: 15 minutes.
pub const ACTIVITY_BUCKET_MS: i64 = 15 * 60 * 1000;

/// Inputs a feed accepted during one activity bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ActivityBucket {
    /// Bucket start, ms since the Unix epoch (a multiple of
    /// [`ACTIVITY_BUCKET_MS`]).
    pub start_ms: i64,
    /// Inputs accepted (by reception time).
    pub count: u64,
}

/// One feed's activity history, for outage detection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedActivity {
    /// Feed name.
    pub feed: String,
    /// Buckets with at least one input, oldest first.
    pub buckets: Vec<ActivityBucket>,
}

/// A file attached to messages (a photo of a paper form, a PDF), kept once
/// under the SHA-256 of its bytes. `Debug` shows its type and size only.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    /// Media type, as given when it was first stored (`image/jpeg`).
    pub mime: String,
    /// The content (may hold patient data).
    pub bytes: Vec<u8>,
    /// When it was first stored, node wall clock, ms since the Unix epoch.
    pub stored_ms: i64,
}

impl std::fmt::Debug for StoredAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredAttachment")
            .field("mime", &self.mime)
            .field("size", &self.bytes.len())
            .field("stored_ms", &self.stored_ms)
            .finish()
    }
}

/// Figures for `ckisa status` and `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreStatus {
    /// Events in the log.
    pub events: u64,
    /// Patients known.
    pub patients: u64,
    /// Patients currently in house.
    pub in_house: u64,
    /// Units.
    pub units: u64,
    /// Inputs in quarantine.
    pub quarantined: u64,
    /// Per-feed figures.
    pub feeds: Vec<FeedStatus>,
    /// Events per fact kind.
    pub facts: Vec<(String, u64)>,
    /// Schema version.
    pub schema_version: u32,
}

/// The storage boundary. Implementations are shared across threads; every
/// method may block on IO and must not be called on an async executor thread
/// without `spawn_blocking`.
pub trait Store: Send + Sync + 'static {
    /// Stores each submission atomically, durably, in order, and applies it to
    /// the projections. Concurrent callers are group-committed.
    fn commit(&self, batch: Vec<Submission>) -> Result<Vec<Outcome>, StoreError>;

    /// Keeps refused inputs with their reasons.
    fn quarantine(&self, rejections: Vec<Rejection>) -> Result<(), StoreError>;

    /// Declares the establishment's units and beds (idempotent).
    fn define_units(&self, units: &[UnitDefinition]) -> Result<(), StoreError>;

    /// All units with occupancy, by code.
    fn units(&self) -> Result<Vec<UnitSummary>, StoreError>;

    /// One unit's bed board.
    fn unit_board(&self, unit: &str) -> Result<Option<UnitBoard>, StoreError>;

    /// One patient's summary; a merged patient's key gives the survivor's
    /// chart.
    fn patient_chart(&self, patient: &PatientKey) -> Result<Option<PatientChart>, StoreError>;

    /// Patients matching a query, at most `limit`.
    fn search_patients(
        &self,
        query: &PatientQuery,
        limit: usize,
    ) -> Result<Vec<PatientRow>, StoreError>;

    /// Latest quarantined inputs, newest first.
    fn quarantine_entries(&self, limit: usize) -> Result<Vec<QuarantineEntry>, StoreError>;

    /// Counts and feed freshness.
    fn status(&self) -> Result<StoreStatus, StoreError>;

    /// Feed freshness alone, cheap enough for every page's freshness bar.
    fn feeds(&self) -> Result<Vec<FeedStatus>, StoreError>;

    /// Events recorded after `after` (all when `None`), oldest first, at
    /// most `limit`: what export and sync read.
    fn events_after(&self, after: Option<EventId>, limit: usize) -> Result<Vec<Event>, StoreError>;

    /// Events of one kind ([`Fact::kind`](ckisa_domain::Fact::kind)) recorded
    /// after `after` (all when `None`), oldest first, at most `limit`.
    fn events_of_kind(
        &self,
        kind: &str,
        after: Option<EventId>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError>;

    /// The history of one patient's observations of `category` (not only the
    /// latest of each code), oldest first: those observed at or after
    /// `since_ms` when given (ms since the Unix epoch; an observation without
    /// a time counts at its recording time), at most the newest
    /// [`OBSERVATION_HISTORY_LIMIT`]. Follows merges: a merged patient's key
    /// gives the survivor's history, every item carrying the survivor's key.
    /// Observations entered in error are left out. Feed values and values
    /// typed in the capsule ([`CareFact::Entered`](ckisa_domain::CareFact))
    /// come together. An unknown patient has none.
    fn observations(
        &self,
        patient: &PatientKey,
        category: ObservationCategory,
        since_ms: Option<i64>,
    ) -> Result<Vec<Observation>, StoreError>;

    /// Appointments starting in `[from_ms, to_ms)` (ms since the Unix epoch),
    /// by start then id, with their patient's identity (after merges).
    /// Cancelled and missed appointments are included with their status, so
    /// that a day list can show them struck out.
    fn appointments(&self, from_ms: i64, to_ms: i64) -> Result<Vec<AppointmentRow>, StoreError>;

    /// The diets in force (active) of these patients, following merges:
    /// grouped by (root) patient key in key order, newest first within a
    /// patient. A patient without a diet in force has no item; one with
    /// several orders left in force by its sources has them all (shown,
    /// never hidden), the first being the current one. A key given twice,
    /// or two keys merged into one patient, give that patient's diets once.
    fn diets(&self, patients: &[PatientKey]) -> Result<Vec<Diet>, StoreError>;

    /// Every in-house patient of a unit (as on its bed board, the virtual
    /// [`UNLOCATED_UNIT`] included) with their active medications and
    /// allergies, in patient key order, read in one transaction: what the
    /// medication grid needs without one chart per bed. A patient without
    /// medications is listed with an empty list. An unknown unit has none.
    fn unit_medications(&self, unit: &str) -> Result<Vec<PatientMedications>, StoreError>;

    /// Every feed's activity buckets starting at or after `since_ms`.
    fn feed_activity(&self, since_ms: i64) -> Result<Vec<FeedActivity>, StoreError>;

    /// One event of the log by id, as [`Store::events_after`] gives it;
    /// `None` when the log has no such event.
    fn event(&self, id: EventId) -> Result<Option<Event>, StoreError>;

    /// Replaces the fact of events already in the log, keeping everything
    /// else of each (id, place in the log, kind, clock, origin, actor,
    /// source), in one durable transaction. Returns how many events got a
    /// different fact (a rewrite to the fact already stored counts none, so
    /// a purge run twice changes nothing the second time).
    ///
    /// **This is the one exception to the append-only log.** Every other
    /// correction is a new event. It exists for the retention of messages:
    /// the establishment's policy removes message bodies after a number of
    /// days, and a body kept in the log forever would defeat it. The caller
    /// records the purge itself as a new event, so the log still says what
    /// was removed, when and by which rule.
    ///
    /// All or nothing: an unknown id ([`StoreError::UnknownEvent`]), a
    /// rewrite that would change an event's kind
    /// ([`StoreError::RewriteChangesKind`]) or one of an event the
    /// projections are built from ([`StoreError::RewriteOfProjectedEvent`])
    /// refuses the whole list and changes nothing. Readers see the new facts
    /// in place (same order in [`Store::events_after`] and
    /// [`Store::events_of_kind`]) and [`Store::generation`] moves, so caches
    /// refresh. A backend must not leave the old facts readable in its
    /// files (the SQLite store overwrites them, it does not only unlink them).
    fn rewrite_events(&self, rewrites: Vec<(EventId, Fact)>) -> Result<usize, StoreError>;

    /// Keeps a message attachment under `sha256`, the lowercase hexadecimal
    /// SHA-256 of `bytes` that the caller computed, durably when it returns
    /// `Ok`. The store computes it again and refuses a mismatch with
    /// [`StoreError::AttachmentHashMismatch`]. Idempotent: the same content
    /// stored twice is kept once, with its first media type and time. Size
    /// and type limits are the caller's.
    fn put_attachment(
        &self,
        sha256: &str,
        mime: &str,
        bytes: &[u8],
        now_ms: i64,
    ) -> Result<(), StoreError>;

    /// The attachment stored under `sha256`, if any.
    fn attachment(&self, sha256: &str) -> Result<Option<StoredAttachment>, StoreError>;

    /// Removes the attachments stored under these hashes (unknown ones are
    /// skipped), for the retention purge, without leaving their content
    /// readable in the backend's files. Returns how many were removed.
    fn delete_attachments(&self, sha256s: &[String]) -> Result<usize, StoreError>;

    /// A number that grows with every commit, for cheap change detection by
    /// live pages.
    fn generation(&self) -> u64;
}
