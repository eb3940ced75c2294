//! The trail's single writer thread: it numbers and chains entries in order
//! and commits them in groups.
//!
//! Producers send [`Job`]s over a bounded channel. The thread takes every
//! job already waiting (up to [`MAX_GROUP`] entries; queued entries wait up
//! to [`GATHER`] for company unless a caller waits), computes each entry's
//! hash from the previous one, inserts the group in one transaction, commits
//! (one fsync for the whole group), rewrites the anchor, then answers the
//! callers that wait (durable appends, flushes).
//!
//! No entry is dropped silently. When a commit fails, the queued (non
//! durable) entries of the group are kept and retried with a growing pause,
//! so the channel fills and producers block instead of losing entries;
//! durable entries of the failed group are answered with the error and not
//! retried (their caller knows they were not recorded). Entries still
//! unwritten when the trail is closed are logged as lost.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior, params};

use crate::anchor::{self, Anchor, AnchorKey};
use crate::chain::{EntryFields, entry_hash};
use crate::db;
use crate::record::{AuditError, AuditRecord};

/// Most entries committed in one transaction.
pub(crate) const MAX_GROUP: usize = 4_096;

/// How long queued entries (page reads) wait for more before their commit,
/// when no caller waits for it: the most a crash can lose of them.
pub(crate) const GATHER: Duration = Duration::from_millis(20);

/// Pause before the first retry of a failed commit.
const FIRST_RETRY: Duration = Duration::from_millis(50);

/// Longest pause between retries.
const LAST_RETRY: Duration = Duration::from_secs(5);

/// A caller's answer channel.
pub(crate) type Reply = SyncSender<Result<(), AuditError>>;

/// Work for the writer thread.
pub(crate) enum Job {
    /// Record an entry; nobody waits.
    Append(AuditRecord),
    /// Record an entry and answer once it is on disk.
    Durable(AuditRecord, Reply),
    /// Answer once everything sent before is on disk.
    Flush(Reply),
    /// Commit what was sent before, then stop.
    Stop,
}

/// The writer thread's state: the only read-write connection and the head
/// of the chain.
pub(crate) struct Writer {
    conn: Connection,
    data_dir: PathBuf,
    anchor_key: AnchorKey,
    head: Anchor,
}

/// The jobs taken in one transaction.
#[derive(Default)]
struct Group {
    /// Entries in order, each with whether its caller waits for it.
    entries: Vec<(AuditRecord, bool)>,
    /// Callers to answer after the commit.
    waiting: Vec<Reply>,
    /// Whether a [`Job::Stop`] was taken.
    stop: bool,
}

impl Group {
    fn take(&mut self, job: Job) {
        match job {
            Job::Append(record) => self.entries.push((record, false)),
            Job::Durable(record, reply) => {
                self.entries.push((record, true));
                self.waiting.push(reply);
            }
            Job::Flush(reply) => self.waiting.push(reply),
            Job::Stop => self.stop = true,
        }
    }

    fn is_full(&self) -> bool {
        self.stop || self.entries.len() >= MAX_GROUP
    }

    /// Answers every waiting caller with `result`.
    fn answer(self, result: impl Fn() -> Result<(), AuditError>) {
        for reply in self.waiting {
            if reply.send(result()).is_err() {
                tracing::debug!("an audit caller left before its answer");
            }
        }
    }
}

impl Writer {
    /// A writer over the read-write connection, whose chain ends at `head`.
    pub(crate) fn new(
        conn: Connection,
        data_dir: PathBuf,
        anchor_key: AnchorKey,
        head: Anchor,
    ) -> Writer {
        Writer {
            conn,
            data_dir,
            anchor_key,
            head,
        }
    }

    /// Serves jobs until [`Job::Stop`] (or until every sender is gone).
    pub(crate) fn run(mut self, jobs: Receiver<Job>) {
        let mut retry: Vec<AuditRecord> = Vec::new();
        let mut pause = FIRST_RETRY;
        loop {
            // Start with the entries of a failed group, or wait for a job.
            let mut group = Group {
                entries: retry.drain(..).map(|record| (record, false)).collect(),
                ..Group::default()
            };
            if group.entries.is_empty() {
                match jobs.recv() {
                    Ok(job) => group.take(job),
                    Err(_) => break,
                }
            } else {
                std::thread::sleep(pause);
            }

            // Take everything already waiting, up to the bound.
            while !group.is_full() {
                let Ok(job) = jobs.try_recv() else {
                    break;
                };
                group.take(job);
            }
            // Queued reads wait a little for company while nobody waits for
            // the commit: one commit (three fsyncs with the anchor) per page
            // read would cost the node more CPU than the read itself.
            let deadline = Instant::now() + GATHER;
            while !group.is_full() && group.waiting.is_empty() {
                let left = deadline.saturating_duration_since(Instant::now());
                match jobs.recv_timeout(left) {
                    Ok(job) => group.take(job),
                    Err(_) => break,
                }
            }

            let stop = group.stop;
            match self.commit(group.entries.iter().map(|(record, _)| record)) {
                Ok(()) => {
                    pause = FIRST_RETRY;
                    group.answer(|| Ok(()));
                }
                Err(error) => {
                    let message = error.to_string();
                    tracing::error!(
                        error = %message,
                        entries = group.entries.len(),
                        "audit commit failed; queued entries will be retried"
                    );
                    pause = (pause * 2).min(LAST_RETRY);
                    retry = std::mem::take(&mut group.entries)
                        .into_iter()
                        .filter_map(|(record, durable)| (!durable).then_some(record))
                        .collect();
                    group.answer(|| Err(AuditError::WriteFailed(message.clone())));
                }
            }
            if stop {
                break;
            }
        }
        if !retry.is_empty() {
            tracing::error!(
                lost = retry.len(),
                "audit trail closed with entries it could not write"
            );
        }
        self.checkpoint();
        tracing::debug!("audit writer stopped");
    }

    /// Moves the WAL into the database file, so a closed trail is one file.
    fn checkpoint(&self) {
        let result = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            });
        match result {
            Ok(0) => {}
            Ok(_) => tracing::debug!("audit checkpoint left pages in the WAL (a reader was busy)"),
            Err(error) => tracing::warn!(%error, "audit checkpoint failed"),
        }
    }

    /// Chains and commits `records` in one transaction, then moves the
    /// anchor. Nothing changes if it fails.
    pub(crate) fn commit<'a>(
        &mut self,
        records: impl IntoIterator<Item = &'a AuditRecord>,
    ) -> Result<(), AuditError> {
        let mut records = records.into_iter().peekable();
        if records.peek().is_none() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Read the head under the write lock: the chain stays one line even
        // if another program appended since (a second node process on the
        // same folder, which the node's folder lock should prevent).
        let mut head = db::head(&tx)?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO audit_entry (seq, at_ms, actor, role, source, action, outcome, \
                 patient, target, detail, prev_hash, hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            for record in records {
                let seq = head.seq + 1;
                let fields = EntryFields::of(seq, record);
                let hash = entry_hash(&head.hash, &fields);
                let stored_seq = i64::try_from(seq).map_err(|_| AuditError::Malformed { seq })?;
                insert.execute(params![
                    stored_seq,
                    fields.at_ms,
                    fields.actor,
                    fields.role,
                    fields.source,
                    fields.action,
                    fields.outcome,
                    fields.patient,
                    fields.target,
                    fields.detail,
                    &head.hash[..],
                    &hash[..],
                ])?;
                head = Anchor { seq, hash };
            }
        }
        tx.commit()?;
        self.head = head;

        // The entries are durable now; a failed anchor only weakens the
        // detection of a cut end until the next commit rewrites it.
        if let Err(error) = anchor::write(&self.data_dir, &self.anchor_key, &head) {
            tracing::error!(%error, seq = head.seq, "audit anchor not updated");
        }
        Ok(())
    }

    /// Writes the anchor for the current head.
    pub(crate) fn write_anchor(&self) -> Result<(), AuditError> {
        anchor::write(&self.data_dir, &self.anchor_key, &self.head)
    }
}
