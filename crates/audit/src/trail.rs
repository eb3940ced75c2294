//! [`AuditTrail`]: the node's audit trail, an [`AuditSink`] over the
//! hash-chained SQLCipher database and its writer thread.
//!
//! Opening the trail checks its anchor against its database before anything
//! else is written: if the end was cut, or the anchor is missing or forged,
//! the trail records that finding as its first new entry
//! ([`actions::AUDIT_ANOMALY`], durably) before the anchor is rewritten, so
//! the evidence is not lost when the node restarts, and `ckisa audit verify`
//! keeps reporting it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use ckisa_store_sqlite::key::DbKey;
use rusqlite::Connection;

use crate::anchor::{self, AnchorKey};
use crate::chain::hex;
use crate::db;
use crate::export;
use crate::query::{self, AuditEntry, AuditQuery};
use crate::record::{AuditError, AuditOutcome, AuditRecord, AuditSink, actions};
use crate::verify::anchor_problem;
use crate::writer::{Job, Writer};

/// How many entries may wait for the writer before `append` blocks.
pub const QUEUE_CAPACITY: usize = 65_536;

/// The node's audit trail. Cheap to clone; every clone feeds the same writer.
/// The writer stops, after writing everything queued, when the last clone is
/// dropped.
#[derive(Clone)]
pub struct AuditTrail {
    inner: Arc<Inner>,
}

/// The last entry of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// Its sequence number (the number of entries of an intact trail).
    pub seq: u64,
    /// Its hash, 64 hex digits.
    pub hash: String,
}

struct Inner {
    jobs: SyncSender<Job>,
    /// The read connection (searches, exports). Lock held for one query.
    reader: Mutex<Connection>,
    writer: Option<JoinHandle<()>>,
    data_dir: PathBuf,
}

impl AuditTrail {
    /// Opens (creating if needed) the trail in `data_dir` and starts its
    /// writer thread. Open one trail per data folder and clone it: two
    /// trails on one folder would race on the anchor file.
    pub fn open(data_dir: &Path, key: &DbKey) -> Result<AuditTrail, AuditError> {
        let (conn, fresh) = db::open_writer(data_dir, key)?;
        let head = db::head(&conn)?;
        let anchor_key = AnchorKey::derive(key);
        let anchored = anchor::read(data_dir, &anchor_key)?;
        let problem = anchor_problem(&conn, &anchored, head, fresh)?;
        let mut writer = Writer::new(conn, data_dir.to_owned(), anchor_key, head);

        // Keep the evidence of a cut or forged anchor in the chain itself
        // before the anchor is rewritten.
        if let Some(problem) = problem {
            tracing::error!(reason = %problem.reason, "audit trail anchor mismatch");
            writer.commit([&anomaly_record(&problem.reason)])?;
        }
        writer.write_anchor()?;

        let reader = db::open_reader(data_dir, key)?;
        let (jobs, receiver) = sync_channel(QUEUE_CAPACITY);
        let handle = std::thread::Builder::new()
            .name("audit-writer".to_owned())
            .spawn(move || writer.run(receiver))
            .map_err(|error| AuditError::Unavailable(error.to_string()))?;
        Ok(AuditTrail {
            inner: Arc::new(Inner {
                jobs,
                reader: Mutex::new(reader),
                writer: Some(handle),
                data_dir: data_dir.to_owned(),
            }),
        })
    }

    /// Waits until every entry appended before this call is on disk.
    pub fn flush(&self) -> Result<(), AuditError> {
        let (reply, answer) = sync_channel(1);
        self.send(Job::Flush(reply))?;
        wait(&answer)
    }

    /// The entries `query` finds, newest first.
    pub fn search(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, AuditError> {
        let mut entries = Vec::new();
        query::for_each(&self.reader(), query, |entry| {
            entries.push(entry);
            Ok(())
        })?;
        Ok(entries)
    }

    /// How many entries are on disk.
    pub fn count(&self) -> Result<u64, AuditError> {
        let count: i64 =
            self.reader()
                .query_row("SELECT count(*) FROM audit_entry", [], |row| row.get(0))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// The last entry on disk, if any. Print or export it: a later trail
    /// whose entry at this sequence has another hash was rewritten.
    pub fn head(&self) -> Result<Option<ChainHead>, AuditError> {
        let head = db::head(&self.reader())?;
        Ok((head.seq > 0).then(|| ChainHead {
            seq: head.seq,
            hash: hex(&head.hash),
        }))
    }

    /// Writes the entries `query` finds as CSV, newest first; returns how
    /// many. UTF-8 with a byte order mark, `;` separator, CRLF line ends, the
    /// [`CSV_HEADER`](crate::CSV_HEADER) line first and a last line
    /// `# tête du journal : séquence N, empreinte H`. Fields a spreadsheet
    /// would run as a formula get a leading `'`.
    pub fn write_csv(
        &self,
        query: &AuditQuery,
        out: &mut dyn std::io::Write,
    ) -> Result<usize, AuditError> {
        let reader = self.reader();
        let head = db::head(&reader)?;
        export::write_csv(&reader, query, head, out)
    }

    /// The entries `query` finds as a FHIR R4 Bundle (type `collection`) of
    /// AuditEvent resources, newest first; `Bundle.identifier`
    /// (`urn:ckisa:audit-head`, value `<seq>:<hash>`) is the chain head.
    pub fn fhir_bundle(&self, query: &AuditQuery) -> Result<serde_json::Value, AuditError> {
        let head = self.head()?;
        let entries = self.search(query)?;
        Ok(export::fhir_bundle(&entries, head.as_ref()))
    }

    fn send(&self, job: Job) -> Result<(), AuditError> {
        self.inner
            .jobs
            .send(job)
            .map_err(|_| AuditError::Unavailable("le rédacteur du journal est arrêté".to_owned()))
    }

    fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.inner
            .reader
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl AuditSink for AuditTrail {
    fn append(&self, record: AuditRecord) {
        // Blocks only when QUEUE_CAPACITY entries already wait: an entry is
        // never dropped to keep a page fast.
        if let Err(error) = self.inner.jobs.send(Job::Append(record)) {
            let Job::Append(record) = error.0 else {
                return;
            };
            tracing::error!(
                action = %record.action,
                actor = %record.actor,
                "audit entry lost: the audit writer has stopped"
            );
        }
    }

    fn append_durable(&self, record: AuditRecord) -> Result<(), AuditError> {
        let (reply, answer) = sync_channel(1);
        self.send(Job::Durable(record, reply))?;
        wait(&answer)
    }
}

impl std::fmt::Debug for AuditTrail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditTrail")
            .field("data_dir", &self.inner.data_dir)
            .finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The stop job comes after every queued entry, which the writer
        // commits before it ends.
        if self.jobs.send(Job::Stop).is_err() {
            tracing::error!("audit writer already stopped");
        }
        if let Some(handle) = self.writer.take()
            && handle.join().is_err()
        {
            tracing::error!("audit writer thread panicked");
        }
    }
}

/// Waits for the writer's answer.
fn wait(answer: &std::sync::mpsc::Receiver<Result<(), AuditError>>) -> Result<(), AuditError> {
    answer.recv().unwrap_or_else(|_| {
        Err(AuditError::Unavailable(
            "le rédacteur du journal s'est arrêté avant de répondre".to_owned(),
        ))
    })
}

/// The entry recording that the trail found its anchor and its database in
/// disagreement.
fn anomaly_record(reason: &str) -> AuditRecord {
    AuditRecord {
        at_ms: jiff::Timestamp::now().as_millisecond(),
        actor: "ckisa".to_owned(),
        role: None,
        source: "ckisa".to_owned(),
        action: actions::AUDIT_ANOMALY.to_owned(),
        outcome: AuditOutcome::Failed,
        patient: None,
        target: Some(anchor::ANCHOR_FILE.to_owned()),
        detail: reason.to_owned(),
    }
}
