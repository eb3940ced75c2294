//! The embedded store of a ckisa node: SQLite in WAL mode in the node's data
//! folder (`ckisa.db`), encrypted at rest with SQLCipher.
//!
//! Writes go through one writer thread that group-commits concurrent callers
//! (see `writer`); an `Ok` from [`Store::commit`] means the events are
//! fsync'd and applied to the projections in the same transaction. Reads use
//! a small pool of read-only connections, each view inside one read
//! transaction. The schema is versioned by embedded, append-only migrations
//! (see `migrate`).
//!
//! # Encryption at rest
//!
//! With [`SqliteOptions::with_key`], every connection the store opens (the
//! writer and each reader) is keyed through [`key::open_keyed`] before any
//! other statement. SQLCipher encrypts each page of `ckisa.db` and each frame
//! of `ckisa.db-wal` (AES-256 with a per-page HMAC); `ckisa.db-shm` holds only
//! the WAL index. A stolen data folder without the key shows file sizes and
//! nothing else. The `ckisa` binary always passes a key, from a key file or
//! from a passphrase ([`key::DbKey::from_passphrase`] with the folder's
//! [`key::passphrase_salt`]). Without a key (the default of
//! [`SqliteOptions::new`]) the database is plain SQLite: for unit tests and
//! benchmarks only.
//!
//! Opening fails with [`StoreError::Open`] whose source is a
//! [`key::KeyError`] (find it with [`key::KeyError::from_store_error`]):
//! `WrongKey` (the key does not match; only its fingerprint is shown),
//! `Plaintext` (a folder written by a ckisa older than encryption: run
//! `ckisa rekey --chiffrer`, i.e. [`key::encrypt_plaintext_folder`]) or
//! `KeyMissing` (an encrypted file opened without a key).
//!
//! Key rotation is [`key::rekey_folder`] on the stopped node's folder. Cost:
//! see the crate's `commit` bench (`-- --key` to run it encrypted).
//!
//! **Invariant:** only the writer thread writes; projection tables change only
//! in the transaction that inserts the events they reflect, or in a full
//! replay ([`SqliteStore::rebuild_projections`]).

#![deny(missing_docs)]

mod apply;
mod attachments;
mod codec;
mod error;
pub mod files;
pub mod hex;
pub mod key;
mod migrate;
mod read;
mod rewrite;
mod text;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ckisa_domain::{Diet, Event, EventId, Fact, Observation, ObservationCategory, PatientKey};
use ckisa_store::{
    AppointmentRow, FeedActivity, FeedStatus, Outcome, PatientChart, PatientMedications,
    PatientQuery, PatientRow, QuarantineEntry, Rejection, Store, StoreError, StoreStatus,
    StoredAttachment, Submission, UnitBoard, UnitDefinition, UnitSummary,
};
use jiff::tz::TimeZone;
use rusqlite::{Connection, OpenFlags};

use crate::attachments::VerifiedAttachment;
use crate::codec::EncodedEvent;
use crate::key::{DbKey, KeyError};
use crate::read::Reader;
use crate::rewrite::PreparedRewrite;
use crate::writer::{Job, PreparedSubmission, Reply, Writer};

/// File name of the database inside the data folder.
pub const DATABASE_FILE: &str = "ckisa.db";

/// The schema version this code writes.
pub const SCHEMA_VERSION: u32 = migrate::SCHEMA_VERSION;

/// How waiting writers and readers behave when the database is locked by
/// another process (a `ckisa status` run, a backup).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How to open the store. Built with [`SqliteOptions::new`], then adjusted.
/// `Debug` shows the key's fingerprint only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    /// IANA zone of the site (`Europe/Paris`): floating times are ordered as
    /// local times of this zone, and dates of death are shown in it.
    pub site_zone: String,
    /// Read-only connections kept open for the pages.
    pub read_connections: usize,
    /// Most submissions the writer puts in one transaction.
    pub max_group_submissions: usize,
    /// SQLite page cache of each connection, in MiB.
    pub cache_mib: u32,
    /// Key of the SQLCipher database. `None` stores plain SQLite, which only
    /// unit tests and benchmarks may do: the `ckisa` binary always passes a
    /// key (see [`SqliteOptions::with_key`]).
    pub key: Option<DbKey>,
}

impl SqliteOptions {
    /// Options for a site in `site_zone`, with 4 read connections, groups of
    /// at most 4,096 submissions, a 32 MiB cache and no key (unencrypted:
    /// add one with [`SqliteOptions::with_key`]).
    pub fn new(site_zone: &str) -> SqliteOptions {
        SqliteOptions {
            site_zone: site_zone.to_owned(),
            read_connections: 4,
            max_group_submissions: 4096,
            cache_mib: 32,
            key: None,
        }
    }

    /// The same options, with the database encrypted under `key`.
    pub fn with_key(self, key: DbKey) -> SqliteOptions {
        SqliteOptions {
            key: Some(key),
            ..self
        }
    }
}

/// The embedded SQLite store. Dropping it stops the writer after the jobs
/// already sent, and closes the database.
pub struct SqliteStore {
    jobs: Option<SyncSender<Job>>,
    writer: Option<JoinHandle<()>>,
    readers: Mutex<Vec<Connection>>,
    read_connections: usize,
    path: PathBuf,
    zone: TimeZone,
    cache_mib: u32,
    key: Option<DbKey>,
    generation: Arc<AtomicU64>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `data_dir`, migrating its
    /// schema. Refuses a database written by a newer ckisa, and (with a key)
    /// a wrong key or an unencrypted database, with a [`key::KeyError`] as
    /// the source of [`StoreError::Open`].
    pub fn open(data_dir: &Path, options: SqliteOptions) -> Result<SqliteStore, StoreError> {
        let path = data_dir.join(DATABASE_FILE);
        let shown = path.display().to_string();
        let open_error = |source: Box<dyn std::error::Error + Send + Sync>| StoreError::Open {
            path: shown.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(|e| open_error(Box::new(e)))?;
        let zone = TimeZone::get(&options.site_zone).map_err(|e| open_error(Box::new(e)))?;

        let conn =
            connect_writer(&path, options.key.as_ref()).map_err(|e| open_error(Box::new(e)))?;
        configure_writer(&conn, options.cache_mib).map_err(|e| open_error(Box::new(e)))?;
        migrate::migrate(&conn, &shown)?;
        owner_only(&path);

        let mut readers = Vec::with_capacity(options.read_connections);
        for _ in 0..options.read_connections {
            let reader =
                open_reader(&path, options.key.as_ref(), options.cache_mib).map_err(&open_error)?;
            readers.push(reader);
        }

        let generation = Arc::new(AtomicU64::new(0));
        let (jobs, receiver) = mpsc::sync_channel(256);
        let writer = Writer::new(
            conn,
            zone.clone(),
            Arc::clone(&generation),
            options.max_group_submissions,
        );
        let handle = std::thread::Builder::new()
            .name(String::from("ckisa-store-writer"))
            .spawn(move || writer.run(receiver))
            .map_err(|e| open_error(Box::new(e)))?;
        tracing::info!(
            path = %shown,
            encrypted = options.key.is_some(),
            "store opened"
        );
        Ok(SqliteStore {
            jobs: Some(jobs),
            writer: Some(handle),
            readers: Mutex::new(readers),
            read_connections: options.read_connections,
            path,
            zone,
            cache_mib: options.cache_mib,
            key: options.key,
            generation,
        })
    }

    /// Empties every projection and replays the whole log into it, in one
    /// transaction. Returns the number of events replayed.
    pub fn rebuild_projections(&self) -> Result<u64, StoreError> {
        self.call(|reply| Job::Rebuild { reply })
    }

    /// The database file.
    pub fn database_path(&self) -> &Path {
        &self.path
    }

    /// Sends a job to the writer and waits for its answer.
    fn call<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> Result<T, StoreError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let jobs = self.jobs.as_ref().ok_or(StoreError::Closed)?;
        jobs.send(job(reply)).map_err(|_| StoreError::Closed)?;
        answer.recv().map_err(|_| StoreError::Closed)?
    }

    /// Runs `view` in one read transaction on a pooled connection.
    fn read<T>(
        &self,
        view: impl FnOnce(&Reader<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.take_reader()?;
        conn.execute_batch("BEGIN").map_err(error::database)?;
        let result = view(&Reader::new(&conn, &self.zone));
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        match conn.execute_batch(end) {
            Ok(()) => self.give_back(conn),
            Err(error) => tracing::warn!(%error, "read connection dropped after a failed end"),
        }
        result
    }

    fn take_reader(&self) -> Result<Connection, StoreError> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(conn) => Ok(conn),
            // Every pooled connection is busy: open one more for this read.
            None => open_reader(&self.path, self.key.as_ref(), self.cache_mib)
                .map_err(StoreError::Database),
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < self.read_connections {
            pool.push(conn);
        }
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(handle) = self.writer.take()
            && handle.join().is_err()
        {
            tracing::error!("the store writer thread panicked");
        }
    }
}

fn configure_writer(conn: &Connection, cache_mib: u32) -> rusqlite::Result<()> {
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "journal_mode is {mode}, WAL required"
        )));
    }
    conn.set_prepared_statement_cache_capacity(64);
    // FULL in WAL mode fsyncs the log at every commit: an ACK means durable.
    conn.execute_batch(&format!(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY; \
         PRAGMA cache_size = -{}; PRAGMA wal_autocheckpoint = 10000;",
        u64::from(cache_mib) * 1024
    ))
}

/// Opens a connection to the database with the busy timeout set and, when
/// there is a key, keyed before any statement runs on it.
fn connect(path: &Path, key: Option<&DbKey>, flags: OpenFlags) -> Result<Connection, KeyError> {
    let sqlite_error = |source| KeyError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let conn = match key {
        Some(_) => Connection::open_with_flags(path, flags).map_err(sqlite_error)?,
        None => key::open_unkeyed(path, flags)?,
    };
    // Not a statement: it may precede the key, and covers the key check's
    // first read of the database.
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite_error)?;
    if let Some(key) = key {
        key.apply(&conn, path)?;
    }
    Ok(conn)
}

/// Opens the writer's connection. An existing database is first tried with
/// a read-only connection: a read-write connection that fails on a wrong key
/// would still checkpoint the WAL when closed, changing the files.
fn connect_writer(path: &Path, key: Option<&DbKey>) -> Result<Connection, KeyError> {
    if key.is_some() && path.exists() {
        drop(connect(path, key, OpenFlags::SQLITE_OPEN_READ_ONLY)?);
    }
    connect(path, key, OpenFlags::default())
}

/// Narrows the database and its WAL files to their owner: encrypted or
/// not, patient data is nobody else's business. A failure is logged, not
/// fatal (a file system without modes).
fn owner_only(database: &Path) {
    if let Err((path, error)) = files::restrict_to_owner(database) {
        tracing::warn!(path = %path.display(), %error, "could not restrict the database file");
    }
}

fn open_reader(
    path: &Path,
    key: Option<&DbKey>,
    cache_mib: u32,
) -> Result<Connection, Box<dyn std::error::Error + Send + Sync>> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = connect(path, key, flags)?;
    configure_reader(&conn, cache_mib)?;
    Ok(conn)
}

fn configure_reader(conn: &Connection, cache_mib: u32) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(64);
    conn.execute_batch(&format!(
        "PRAGMA cache_size = -{}; PRAGMA temp_store = MEMORY;",
        u64::from(cache_mib) * 1024
    ))
}

impl Store for SqliteStore {
    fn commit(&self, batch: Vec<Submission>) -> Result<Vec<Outcome>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let prepared = batch
            .into_iter()
            .map(|submission| {
                Ok(PreparedSubmission {
                    feed: submission.feed,
                    received_ms: submission.received_ms,
                    dedup: submission.dedup,
                    events: submission
                        .events
                        .into_iter()
                        .map(EncodedEvent::new)
                        .collect::<Result<_, StoreError>>()?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.call(|reply| Job::Commit {
            batch: prepared,
            reply,
        })
    }

    fn quarantine(&self, rejections: Vec<Rejection>) -> Result<(), StoreError> {
        if rejections.is_empty() {
            return Ok(());
        }
        self.call(|reply| Job::Quarantine { rejections, reply })
    }

    fn define_units(&self, units: &[UnitDefinition]) -> Result<(), StoreError> {
        let units = units.to_vec();
        self.call(|reply| Job::DefineUnits { units, reply })
    }

    fn units(&self) -> Result<Vec<UnitSummary>, StoreError> {
        self.read(|reader| reader.units())
    }

    fn unit_board(&self, unit: &str) -> Result<Option<UnitBoard>, StoreError> {
        self.read(|reader| reader.unit_board(unit))
    }

    fn patient_chart(&self, patient: &PatientKey) -> Result<Option<PatientChart>, StoreError> {
        self.read(|reader| reader.patient_chart(patient))
    }

    fn search_patients(
        &self,
        query: &PatientQuery,
        limit: usize,
    ) -> Result<Vec<PatientRow>, StoreError> {
        self.read(|reader| reader.search_patients(query, limit))
    }

    fn quarantine_entries(&self, limit: usize) -> Result<Vec<QuarantineEntry>, StoreError> {
        self.read(|reader| reader.quarantine_entries(limit))
    }

    fn status(&self) -> Result<StoreStatus, StoreError> {
        self.read(|reader| reader.status())
    }

    fn feeds(&self) -> Result<Vec<FeedStatus>, StoreError> {
        self.read(|reader| reader.feeds())
    }

    fn events_after(&self, after: Option<EventId>, limit: usize) -> Result<Vec<Event>, StoreError> {
        self.read(|reader| reader.events_after(after, limit))
    }

    fn events_of_kind(
        &self,
        kind: &str,
        after: Option<EventId>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        self.read(|reader| reader.events_of_kind(kind, after, limit))
    }

    fn observations(
        &self,
        patient: &PatientKey,
        category: ObservationCategory,
        since_ms: Option<i64>,
    ) -> Result<Vec<Observation>, StoreError> {
        self.read(|reader| reader.observations(patient, category, since_ms))
    }

    fn appointments(&self, from_ms: i64, to_ms: i64) -> Result<Vec<AppointmentRow>, StoreError> {
        self.read(|reader| reader.appointments(from_ms, to_ms))
    }

    fn diets(&self, patients: &[PatientKey]) -> Result<Vec<Diet>, StoreError> {
        self.read(|reader| reader.diets(patients))
    }

    fn unit_medications(&self, unit: &str) -> Result<Vec<PatientMedications>, StoreError> {
        self.read(|reader| reader.unit_medications(unit))
    }

    fn feed_activity(&self, since_ms: i64) -> Result<Vec<FeedActivity>, StoreError> {
        self.read(|reader| reader.feed_activity(since_ms))
    }

    fn event(&self, id: EventId) -> Result<Option<Event>, StoreError> {
        self.read(|reader| reader.event(id))
    }

    fn rewrite_events(&self, rewrites: Vec<(EventId, Fact)>) -> Result<usize, StoreError> {
        if rewrites.is_empty() {
            return Ok(0);
        }
        let rewrites = rewrites
            .into_iter()
            .map(|(id, fact)| PreparedRewrite::new(id, fact))
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.call(|reply| Job::Rewrite { rewrites, reply })
    }

    fn put_attachment(
        &self,
        sha256: &str,
        mime: &str,
        bytes: &[u8],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let attachment = VerifiedAttachment::new(sha256, mime, bytes, now_ms)?;
        self.call(|reply| Job::PutAttachment { attachment, reply })
    }

    fn attachment(&self, sha256: &str) -> Result<Option<StoredAttachment>, StoreError> {
        self.read(|reader| reader.attachment(sha256))
    }

    fn delete_attachments(&self, sha256s: &[String]) -> Result<usize, StoreError> {
        if sha256s.is_empty() {
            return Ok(0);
        }
        let sha256s = sha256s.to_vec();
        self.call(|reply| Job::DeleteAttachments { sha256s, reply })
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
}
