//! The single writer thread and its group commit.
//!
//! Every write (commits, quarantine, unit definitions, replays, rewrites of
//! message facts, attachments) is a [`Job`] sent over a channel to one
//! thread that owns the only read-write connection. The thread takes every
//! job already waiting (up to a bound) into one SQLite transaction, gives
//! each job a SAVEPOINT so a failing job is rolled back alone, commits once
//! (`synchronous = FULL` in WAL mode: the commit returns after fsync), then
//! answers each caller. So an `Ok` reply always means durable, and
//! concurrent callers share one fsync.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};

use ckisa_domain::{CareFact, Fact};
use ckisa_store::{ACTIVITY_BUCKET_MS, DedupKey, Outcome, Rejection, StoreError, UnitDefinition};
use jiff::tz::TimeZone;
use rusqlite::OptionalExtension;
use rusqlite::{Connection, params};

use crate::apply::{Projector, rebuild};
use crate::attachments::VerifiedAttachment;
use crate::codec::{EncodedEvent, channel_code};
use crate::error::database;
use crate::rewrite::PreparedRewrite;

/// A caller's answer channel.
pub(crate) type Reply<T> = SyncSender<Result<T, StoreError>>;

/// One submission, encoded on the caller's thread.
#[derive(Debug)]
pub(crate) struct PreparedSubmission {
    pub(crate) feed: String,
    pub(crate) received_ms: i64,
    pub(crate) dedup: Option<DedupKey>,
    pub(crate) events: Vec<EncodedEvent>,
}

/// Work for the writer thread.
pub(crate) enum Job {
    /// Store submissions (all or nothing for one caller).
    Commit {
        batch: Vec<PreparedSubmission>,
        reply: Reply<Vec<Outcome>>,
    },
    /// Keep refused inputs.
    Quarantine {
        rejections: Vec<Rejection>,
        reply: Reply<()>,
    },
    /// Declare units and beds.
    DefineUnits {
        units: Vec<UnitDefinition>,
        reply: Reply<()>,
    },
    /// Replay the log into fresh projections.
    Rebuild { reply: Reply<u64> },
    /// Replace the facts of events in the log (all or nothing).
    Rewrite {
        rewrites: Vec<PreparedRewrite>,
        reply: Reply<usize>,
    },
    /// Keep a message attachment.
    PutAttachment {
        attachment: VerifiedAttachment,
        reply: Reply<()>,
    },
    /// Remove message attachments.
    DeleteAttachments {
        sha256s: Vec<String>,
        reply: Reply<usize>,
    },
}

impl Job {
    /// Whether this job erases content (retention purge), after which the
    /// WAL is emptied.
    fn erases(&self) -> bool {
        matches!(self, Job::Rewrite { .. } | Job::DeleteAttachments { .. })
    }

    /// How much of a group's bound this job uses.
    fn weight(&self) -> usize {
        match self {
            Job::Commit { batch, .. } => batch.len().max(1),
            Job::Quarantine { rejections, .. } => rejections.len().max(1),
            Job::DefineUnits { .. } | Job::PutAttachment { .. } => 1,
            Job::Rebuild { .. } => usize::MAX / 2,
            Job::Rewrite { rewrites, .. } => rewrites.len().max(1),
            Job::DeleteAttachments { sha256s, .. } => sha256s.len().max(1),
        }
    }
}

/// A job's result, waiting for the group's commit before it is sent.
enum Finished {
    Commit(Reply<Vec<Outcome>>, Result<Vec<Outcome>, StoreError>),
    Unit(Reply<()>, Result<(), StoreError>),
    Count(Reply<u64>, Result<u64, StoreError>),
    Changed(Reply<usize>, Result<usize, StoreError>),
}

impl Finished {
    fn succeeded(&self) -> bool {
        match self {
            Finished::Commit(_, result) => result.is_ok(),
            Finished::Unit(_, result) => result.is_ok(),
            Finished::Count(_, result) => result.is_ok(),
            Finished::Changed(_, result) => result.is_ok(),
        }
    }

    /// Replaces a success by `error` (the group's commit failed).
    fn fail(self, error: StoreError) -> Finished {
        match self {
            Finished::Commit(reply, _) => Finished::Commit(reply, Err(error)),
            Finished::Unit(reply, _) => Finished::Unit(reply, Err(error)),
            Finished::Count(reply, _) => Finished::Count(reply, Err(error)),
            Finished::Changed(reply, _) => Finished::Changed(reply, Err(error)),
        }
    }

    /// Answers the caller; a caller that gave up waiting is not an error.
    fn send(self) {
        let delivered = match self {
            Finished::Commit(reply, result) => reply.send(result).is_ok(),
            Finished::Unit(reply, result) => reply.send(result).is_ok(),
            Finished::Count(reply, result) => reply.send(result).is_ok(),
            Finished::Changed(reply, result) => reply.send(result).is_ok(),
        };
        if !delivered {
            tracing::debug!("a store caller left before its answer");
        }
    }
}

/// Changes to the counters made by successful jobs, written once per group.
#[derive(Default)]
struct Counters {
    feeds: HashMap<String, FeedDelta>,
    kinds: HashMap<&'static str, i64>,
}

#[derive(Default)]
struct FeedDelta {
    last_received_ms: Option<i64>,
    accepted: i64,
    duplicates: i64,
    rejected: i64,
    /// Accepted inputs per activity bucket (start ms), for outage detection.
    buckets: HashMap<i64, i64>,
}

impl Counters {
    fn feed(&mut self, name: &str) -> &mut FeedDelta {
        self.feeds.entry(name.to_owned()).or_default()
    }

    fn absorb(&mut self, other: Counters) {
        for (name, delta) in other.feeds {
            let mine = self.feed(&name);
            mine.last_received_ms = mine.last_received_ms.max(delta.last_received_ms);
            mine.accepted += delta.accepted;
            mine.duplicates += delta.duplicates;
            mine.rejected += delta.rejected;
            for (start, count) in delta.buckets {
                *mine.buckets.entry(start).or_default() += count;
            }
        }
        for (kind, count) in other.kinds {
            *self.kinds.entry(kind).or_default() += count;
        }
    }
}

/// The writer thread's state.
pub(crate) struct Writer {
    conn: Connection,
    zone: TimeZone,
    generation: Arc<AtomicU64>,
    max_group: usize,
}

impl Writer {
    /// A writer over the read-write connection.
    pub(crate) fn new(
        conn: Connection,
        zone: TimeZone,
        generation: Arc<AtomicU64>,
        max_group: usize,
    ) -> Writer {
        Writer {
            conn,
            zone,
            generation,
            max_group: max_group.max(1),
        }
    }

    /// Serves jobs until every sender is dropped.
    pub(crate) fn run(self, jobs: Receiver<Job>) {
        while let Ok(first) = jobs.recv() {
            let mut weight = first.weight();
            let mut group = vec![first];
            while weight < self.max_group {
                let Ok(job) = jobs.try_recv() else {
                    break;
                };
                weight = weight.saturating_add(job.weight());
                group.push(job);
            }
            self.commit_group(group);
        }
        tracing::debug!("store writer stopped");
    }

    /// Runs a group of jobs in one transaction and answers their callers.
    // FIXME(issue 2): the brief's target is 20,000 submissions/s of ~10 facts.
    // Measured (benches/commit.rs, release, 2-core VM at load average ~7 from
    // parallel builds): 2,600-5,000 submissions/s wall, about 7,000 per CPU
    // second, the writer thread using ~2/3 of the CPU (B-tree inserts of the
    // log and the observation indexes, WAL writes, checkpoints). Not met; next
    // steps are measuring on an idle machine, pipelining the caller's encoding
    // with the writer (two loader threads), and a checkpoint thread.
    fn commit_group(&self, group: Vec<Job>) {
        if let Err(error) = self.conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(%error, "cannot begin a write transaction");
            let message = error.to_string();
            for job in group {
                finish_early(job, &message).send();
            }
            return;
        }
        let mut totals = Counters::default();
        let erases = group.iter().any(Job::erases);
        let finished: Vec<Finished> = group
            .into_iter()
            .map(|job| self.run_isolated(job, &mut totals))
            .collect();
        let any_success = finished.iter().any(Finished::succeeded);
        let outcome = write_counters(&self.conn, &totals)
            .and_then(|()| self.conn.execute_batch("COMMIT").map_err(database));
        match outcome {
            Ok(()) => {
                if any_success {
                    self.generation.fetch_add(1, Ordering::Release);
                }
                if erases && any_success {
                    self.empty_the_wal();
                }
                finished.into_iter().for_each(Finished::send);
            }
            Err(error) => {
                tracing::error!(%error, "group commit failed; every job of the group refused");
                if let Err(rollback) = self.conn.execute_batch("ROLLBACK") {
                    tracing::error!(error = %rollback, "rollback after a failed commit failed");
                }
                let message = error.to_string();
                for job in finished {
                    job.fail(group_failed(&message)).send();
                }
            }
        }
    }

    /// Copies the WAL into the database and truncates it, after a group that
    /// erased content: the WAL's older frames still hold the pages as they
    /// were before the erasure, and would keep them until overwritten. Waits
    /// for readers at most the busy timeout; a WAL that could not be emptied
    /// (a long read in another process) is logged and emptied by a later
    /// checkpoint. The group is durable either way.
    fn empty_the_wal(&self) {
        let checkpoint = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            });
        match checkpoint {
            Ok(0) => tracing::debug!("WAL emptied after an erasure"),
            Ok(_) => {
                tracing::warn!("WAL held by a reader: erased content stays until a checkpoint")
            }
            Err(error) => tracing::warn!(%error, "WAL checkpoint after an erasure failed"),
        }
    }

    /// Runs one job inside a savepoint; its changes are undone if it fails.
    fn run_isolated(&self, job: Job, totals: &mut Counters) -> Finished {
        if let Err(error) = self.conn.execute_batch("SAVEPOINT job") {
            return finish_with(job, database(error));
        }
        let mut counters = Counters::default();
        let finished = self.run_job(job, &mut counters);
        let closing = if finished.succeeded() {
            totals.absorb(counters);
            self.conn.execute_batch("RELEASE job")
        } else {
            self.conn.execute_batch("ROLLBACK TO job; RELEASE job")
        };
        match closing {
            Ok(()) => finished,
            Err(error) => finished.fail(database(error)),
        }
    }

    fn run_job(&self, job: Job, counters: &mut Counters) -> Finished {
        match job {
            Job::Commit { batch, reply } => {
                Finished::Commit(reply, self.commit_batch(&batch, counters))
            }
            Job::Quarantine { rejections, reply } => {
                Finished::Unit(reply, self.quarantine(&rejections, counters))
            }
            Job::DefineUnits { units, reply } => Finished::Unit(reply, self.define_units(&units)),
            Job::Rebuild { reply } => Finished::Count(reply, rebuild(&self.conn, &self.zone)),
            Job::Rewrite { rewrites, reply } => {
                Finished::Changed(reply, crate::rewrite::rewrite(&self.conn, &rewrites))
            }
            Job::PutAttachment { attachment, reply } => {
                Finished::Unit(reply, crate::attachments::insert(&self.conn, &attachment))
            }
            Job::DeleteAttachments { sha256s, reply } => {
                Finished::Changed(reply, crate::attachments::delete(&self.conn, &sha256s))
            }
        }
    }

    fn commit_batch(
        &self,
        batch: &[PreparedSubmission],
        counters: &mut Counters,
    ) -> Result<Vec<Outcome>, StoreError> {
        let projector = Projector::new(&self.conn, &self.zone);
        let mut outcomes = Vec::with_capacity(batch.len());
        for submission in batch {
            outcomes.push(self.commit_one(&projector, submission, counters)?);
        }
        Ok(outcomes)
    }

    fn commit_one(
        &self,
        projector: &Projector<'_>,
        submission: &PreparedSubmission,
        counters: &mut Counters,
    ) -> Result<Outcome, StoreError> {
        if let Some(reason) = self.retired_patient(submission)? {
            return Ok(Outcome::Refused { reason });
        }
        if let Some(key) = &submission.dedup
            && !self.record_dedup(key, submission)?
        {
            counters.feed(&submission.feed).duplicates += 1;
            return Ok(Outcome::Duplicate);
        }
        for encoded in &submission.events {
            let Some(seq) = self.insert_event(encoded)? else {
                tracing::debug!(id = %encoded.event.id, "event already in the log, not applied again");
                continue;
            };
            let event = &encoded.event;
            projector.apply(seq, event.hlc, &event.fact, encoded.record.as_deref())?;
            *counters.kinds.entry(event.fact.kind()).or_default() += 1;
        }
        if submission.feed.is_empty() {
            return Ok(Outcome::Stored);
        }
        let feed = counters.feed(&submission.feed);
        feed.accepted += 1;
        feed.last_received_ms = feed.last_received_ms.max(Some(submission.received_ms));
        let bucket = submission.received_ms - submission.received_ms.rem_euclid(ACTIVITY_BUCKET_MS);
        *feed.buckets.entry(bucket).or_default() += 1;
        Ok(Outcome::Stored)
    }

    /// Says why a submission must be refused when one of its facts is about
    /// a patient record already merged into another (A40): a late message
    /// for the retired identifier would otherwise rename, move or add to the
    /// surviving patient under the wrong identity. Merge facts themselves
    /// are let through; the projections guard against merge cycles.
    fn retired_patient(
        &self,
        submission: &PreparedSubmission,
    ) -> Result<Option<String>, StoreError> {
        let mut select = self
            .conn
            .prepare_cached("SELECT merged_into FROM patients WHERE key = ?1")
            .map_err(database)?;
        for encoded in &submission.events {
            // A fact typed in the capsule follows the rule of the fact it
            // wraps (a provisional identity merged into the real one included).
            let fact = match &encoded.event.fact {
                Fact::Care(CareFact::Entered(inner)) => inner.as_ref(),
                fact => fact,
            };
            if matches!(fact, Fact::PatientsMerged { .. }) {
                continue;
            }
            let Some(patient) = fact.patient() else {
                continue;
            };
            let survivor: Option<Option<String>> = select
                .query_row([patient.as_str()], |row| row.get(0))
                .optional()
                .map_err(database)?;
            if let Some(Some(survivor)) = survivor {
                return Ok(Some(format!(
                    "patient {patient} fusionné dans {survivor} : message refusé, \
                     à renvoyer avec l'identifiant conservé"
                )));
            }
        }
        Ok(None)
    }

    /// Records a deduplication key; false when it was already there.
    fn record_dedup(
        &self,
        key: &DedupKey,
        submission: &PreparedSubmission,
    ) -> Result<bool, StoreError> {
        let mut insert = self
            .conn
            .prepare_cached(
                "INSERT INTO dedup (sender, control_id, digest, feed, received_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            )
            .map_err(database)?;
        let inserted = insert
            .execute(params![
                key.sender,
                key.control_id,
                key.digest,
                submission.feed,
                submission.received_ms
            ])
            .map_err(database)?;
        Ok(inserted == 1)
    }

    /// Appends an event to the log and returns its sequence number; `None`
    /// when an event with the same id is already there (the same event
    /// received twice, e.g. through sync), which is not an error.
    fn insert_event(&self, encoded: &EncodedEvent) -> Result<Option<i64>, StoreError> {
        let event = &encoded.event;
        let hlc = i64::try_from(event.hlc.0).map_err(|_| hlc_out_of_range())?;
        let mut insert = self
            .conn
            .prepare_cached(
                "INSERT INTO events (id, hlc, origin, actor, channel, source_origin, message_id, \
                 sender, fhir_id, kind, patient, payload) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .map_err(database)?;
        let inserted = insert
            .execute(params![
                event.id.0.as_bytes().as_slice(),
                hlc,
                event.origin.0,
                encoded.actor,
                channel_code(event.source.channel),
                event.source.origin,
                event.source.message_id,
                event.source.sender,
                event.source.fhir_id,
                event.fact.kind(),
                event.fact.patient().map(|p| p.as_str()),
                encoded.payload
            ])
            .map_err(database)?;
        Ok((inserted == 1).then(|| self.conn.last_insert_rowid()))
    }

    fn quarantine(
        &self,
        rejections: &[Rejection],
        counters: &mut Counters,
    ) -> Result<(), StoreError> {
        let mut insert = self
            .conn
            .prepare_cached(
                "INSERT INTO quarantine (feed, received_ms, message_id, reason, size, raw) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(database)?;
        for rejection in rejections {
            insert
                .execute(params![
                    rejection.feed,
                    rejection.received_ms,
                    rejection.message_id,
                    rejection.reason,
                    i64::try_from(rejection.raw.len()).unwrap_or(i64::MAX),
                    rejection.raw
                ])
                .map_err(database)?;
            counters.feed(&rejection.feed).rejected += 1;
        }
        Ok(())
    }

    fn define_units(&self, units: &[UnitDefinition]) -> Result<(), StoreError> {
        for unit in units {
            self.conn
                .execute(
                    "INSERT INTO units (code, name, configured) VALUES (?1, ?2, 1) \
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, configured = 1",
                    params![unit.code, unit.name],
                )
                .and_then(|_| {
                    self.conn.execute(
                        "UPDATE beds SET configured = 0 WHERE unit = ?1",
                        [&unit.code],
                    )
                })
                .map_err(database)?;
            for (room, bed) in &unit.beds {
                self.conn
                    .execute(
                        "INSERT INTO beds (unit, room, bed, configured) VALUES (?1, ?2, ?3, 1) \
                         ON CONFLICT DO UPDATE SET configured = 1",
                        params![unit.code, room, bed],
                    )
                    .map_err(database)?;
            }
            self.conn
                .execute(
                    "DELETE FROM beds WHERE unit = ?1 AND configured = 0 AND seen = 0",
                    [&unit.code],
                )
                .map_err(database)?;
        }
        Ok(())
    }
}

/// Adds a group's counters to the tables, inside its transaction.
fn write_counters(conn: &Connection, totals: &Counters) -> Result<(), StoreError> {
    let mut feeds = conn
        .prepare_cached(
            "INSERT INTO feeds (name, last_received_ms, accepted, duplicates, rejected) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET \
             last_received_ms = CASE \
               WHEN excluded.last_received_ms IS NULL THEN last_received_ms \
               WHEN last_received_ms IS NULL THEN excluded.last_received_ms \
               ELSE max(last_received_ms, excluded.last_received_ms) END, \
             accepted = accepted + excluded.accepted, \
             duplicates = duplicates + excluded.duplicates, \
             rejected = rejected + excluded.rejected",
        )
        .map_err(database)?;
    let mut activity = conn
        .prepare_cached(
            "INSERT INTO feed_activity (feed, start_ms, count) VALUES (?1, ?2, ?3) \
             ON CONFLICT (feed, start_ms) DO UPDATE SET count = count + excluded.count",
        )
        .map_err(database)?;
    for (name, delta) in &totals.feeds {
        feeds
            .execute(params![
                name,
                delta.last_received_ms,
                delta.accepted,
                delta.duplicates,
                delta.rejected
            ])
            .map_err(database)?;
        for (start, count) in &delta.buckets {
            activity
                .execute(params![name, start, count])
                .map_err(database)?;
        }
    }
    let mut kinds = conn
        .prepare_cached(
            "INSERT INTO fact_counts (kind, count) VALUES (?1, ?2) \
             ON CONFLICT (kind) DO UPDATE SET count = count + excluded.count",
        )
        .map_err(database)?;
    for (kind, count) in &totals.kinds {
        kinds.execute(params![kind, count]).map_err(database)?;
    }
    Ok(())
}

/// The whole group's transaction failed; each caller gets its own error.
#[derive(Debug, thiserror::Error)]
#[error("the group commit failed: {message}")]
pub(crate) struct GroupCommitFailed {
    message: String,
}

fn group_failed(message: &str) -> StoreError {
    StoreError::Database(Box::new(GroupCommitFailed {
        message: message.to_owned(),
    }))
}

fn finish_early(job: Job, message: &str) -> Finished {
    finish_with(job, group_failed(message))
}

fn finish_with(job: Job, error: StoreError) -> Finished {
    match job {
        Job::Commit { reply, .. } => Finished::Commit(reply, Err(error)),
        Job::Quarantine { reply, .. }
        | Job::DefineUnits { reply, .. }
        | Job::PutAttachment { reply, .. } => Finished::Unit(reply, Err(error)),
        Job::Rebuild { reply } => Finished::Count(reply, Err(error)),
        Job::Rewrite { reply, .. } | Job::DeleteAttachments { reply, .. } => {
            Finished::Changed(reply, Err(error))
        }
    }
}

/// An HLC beyond what SQLite's signed integers hold (year 10889).
#[derive(Debug, thiserror::Error)]
#[error("hybrid logical clock value out of the storable range")]
struct HlcOutOfRange;

fn hlc_out_of_range() -> StoreError {
    StoreError::Encoding(Box::new(HlcOutOfRange))
}
