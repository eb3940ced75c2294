//! Loading files and folders: HL7 v2 (single messages, concatenated
//! messages, FHS/BHS batches, MLLP captures, any segment terminator) and FHIR
//! R4 JSON (resources, bundles, NDJSON).
//!
//! Each input file is read whole, recognised by its first bytes, split into
//! messages or resources, mapped, and committed to the store in batches.
//! A bad message or resource goes to the quarantine with its reason; it never
//! stops the rest of the file or of the run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use ckisa_domain::{Actor, Source, SourceChannel};
use ckisa_store::{Outcome, Rejection, Store, StoreError, Submission};
use serde::Serialize;

use crate::hl7in::{self, Handled};
use crate::hl7map::MapContext;
use crate::pipeline::EventFactory;

/// Submissions committed per store transaction.
const BATCH: usize = 500;

/// What `ingest` needs from the node.
pub struct IngestContext<'a> {
    /// Feed name recorded for freshness figures.
    pub feed: String,
    /// Where to store; commits run on their own thread while the next batch
    /// is parsed.
    pub store: Arc<dyn Store>,
    /// Mints events.
    pub factory: &'a EventFactory,
    /// HL7 v2 mapping settings.
    pub map: MapContext,
}

/// Why a run could not happen at all.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A path given on the command line cannot be read.
    #[error("cannot read {path}")]
    Read {
        /// The path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The store failed; what was committed before stays committed.
    #[error("the store failed")]
    Store(#[from] StoreError),
}

/// One input: a file on disk or bytes in memory.
#[derive(Debug, Clone)]
pub struct Input {
    /// Display name (the path).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    data: InputData,
}

#[derive(Debug, Clone)]
enum InputData {
    File(PathBuf),
    Bytes(Vec<u8>),
    /// Found in a folder but not loadable (dangling link, FIFO, link to a
    /// folder): reported as rejected, never aborting the run.
    Refused(String),
}

impl Input {
    /// An in-memory input.
    pub fn bytes(name: &str, data: Vec<u8>) -> Input {
        Input {
            name: name.to_owned(),
            size: data.len() as u64,
            data: InputData::Bytes(data),
        }
    }

    fn read(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        match &self.data {
            InputData::File(path) => std::fs::read(path).map(std::borrow::Cow::Owned),
            InputData::Bytes(bytes) => Ok(std::borrow::Cow::Borrowed(bytes)),
            InputData::Refused(reason) => Err(std::io::Error::other(reason.clone())),
        }
    }
}

/// Lists the files under `paths` (folders recursively, in name order;
/// hidden files and Markdown skipped).
pub fn collect(paths: &[PathBuf]) -> Result<Vec<Input>, IngestError> {
    let mut inputs = Vec::new();
    for path in paths {
        collect_one(path, true, &mut inputs)?;
    }
    Ok(inputs)
}

fn collect_one(path: &Path, explicit: bool, inputs: &mut Vec<Input>) -> Result<(), IngestError> {
    let read_error = |source| IngestError::Read {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if !explicit && (name.starts_with('.') || name.ends_with(".md")) {
        return Ok(());
    }
    // A path given on the command line must exist; inside a folder, a bad
    // entry is reported and the run goes on.
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(source) if explicit => return Err(read_error(source)),
        Err(err) => return refuse(path, inputs, format!("entrée illisible : {err}")),
    };
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if meta.is_dir() {
        if is_link && !explicit {
            let reason = "lien symbolique vers un dossier non suivi (risque de boucle)";
            return refuse(path, inputs, reason.to_owned());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(read_error)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            collect_one(&entry, false, inputs)?;
        }
        return Ok(());
    }
    if !meta.is_file() {
        let reason = "n'est pas un fichier ordinaire (tube, socket ou périphérique)";
        return refuse(path, inputs, reason.to_owned());
    }
    inputs.push(Input {
        name: path.display().to_string(),
        size: meta.len(),
        data: InputData::File(path.to_path_buf()),
    });
    Ok(())
}

fn refuse(path: &Path, inputs: &mut Vec<Input>, reason: String) -> Result<(), IngestError> {
    inputs.push(Input {
        name: path.display().to_string(),
        size: 0,
        data: InputData::Refused(reason),
    });
    Ok(())
}

/// Progress of a run, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// File being read.
    pub file: &'a str,
    /// Bytes of input finished so far.
    pub bytes_done: u64,
}

/// What became of one file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileReport {
    /// Path or name.
    pub path: String,
    /// Recognised format: `hl7v2`, `mllp`, `fhir`, or `inconnu`.
    pub format: &'static str,
    /// Messages or resources stored.
    pub accepted: u64,
    /// Messages already received (same sender and control id).
    pub duplicates: u64,
    /// Well-formed messages of a type the node does not project.
    pub ignored: u64,
    /// Messages or resources rejected to the quarantine.
    pub rejected: u64,
    /// Events created.
    pub events: u64,
    /// Resources of types the node does not keep, by type.
    pub skipped: BTreeMap<String, u64>,
    /// Why each rejected item was rejected.
    pub rejections: Vec<String>,
    /// Warnings on accepted items.
    pub problems: Vec<String>,
}

/// The whole run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Per file.
    pub files: Vec<FileReport>,
}

impl Summary {
    /// Items rejected in all files.
    pub fn rejected(&self) -> u64 {
        self.files.iter().map(|f| f.rejected).sum()
    }

    /// One French line with the totals.
    pub fn totals_fr(&self) -> String {
        let sum = |f: fn(&FileReport) -> u64| self.files.iter().map(f).sum::<u64>();
        format!(
            "{} fichier(s) : {} accepté(s), {} doublon(s), {} ignoré(s), {} rejeté(s), {} événement(s)",
            self.files.len(),
            sum(|f| f.accepted),
            sum(|f| f.duplicates),
            sum(|f| f.ignored),
            sum(|f| f.rejected),
            sum(|f| f.events),
        )
    }
}

/// Loads every input, committing as it goes.
pub fn ingest(
    context: &IngestContext<'_>,
    inputs: &[Input],
    on_progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Summary, IngestError> {
    let mut summary = Summary::default();
    let mut done = 0;
    for input in inputs {
        on_progress(Progress {
            file: &input.name,
            bytes_done: done,
        });
        let report = match input.read() {
            Ok(bytes) => ingest_bytes(context, &input.name, &bytes)?,
            Err(err) => unreadable(context, &input.name, &err)?,
        };
        summary.files.push(report);
        done += input.size;
        on_progress(Progress {
            file: &input.name,
            bytes_done: done,
        });
    }
    Ok(summary)
}

fn unreadable(
    context: &IngestContext<'_>,
    name: &str,
    err: &std::io::Error,
) -> Result<FileReport, IngestError> {
    let mut batch = Batch::new(context, name, "inconnu");
    batch.reject(None, format!("fichier non chargé : {err}"), Vec::new())?;
    batch.finish()
}

/// Loads one input already in memory.
pub fn ingest_bytes(
    context: &IngestContext<'_>,
    name: &str,
    bytes: &[u8],
) -> Result<FileReport, IngestError> {
    let body = strip_bom(bytes);
    let first = body.iter().copied().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'{') | Some(b'[') => ingest_fhir(context, name, bytes),
        Some(0x0B) => ingest_hl7_stream(context, name, body, "mllp"),
        _ if looks_like_hl7(body) => ingest_hl7_stream(context, name, body, "hl7v2"),
        _ => {
            let mut batch = Batch::new(context, name, "inconnu");
            batch.reject(None, unrecognised_reason(body), bytes.to_vec())?;
            batch.finish()
        }
    }
}

/// Says why a file is not input, as precisely as its first bytes allow.
fn unrecognised_reason(body: &[u8]) -> String {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head = &body[start..];
    let segment_like = head.len() > 4
        && head[..3]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && head[3] == b'|';
    if segment_like {
        let name = String::from_utf8_lossy(&head[..3]);
        return format!(
            "segments HL7 v2 sans en-tête MSH (commence par {name}) : un message doit commencer par MSH"
        );
    }
    String::from("format non reconnu : ni HL7 v2 (MSH, FHS, BHS), ni trame MLLP, ni JSON FHIR")
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn looks_like_hl7(body: &[u8]) -> bool {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head = &body[start..];
    [b"MSH".as_slice(), b"FHS", b"BHS"]
        .iter()
        .any(|tag| head.starts_with(tag))
}

fn ingest_hl7_stream(
    context: &IngestContext<'_>,
    name: &str,
    body: &[u8],
    format: &'static str,
) -> Result<FileReport, IngestError> {
    let mut batch = Batch::new(context, name, format);
    let (messages, problems) = if format == "mllp" {
        let capture = hl7in::split_mllp_capture(body);
        if let Some(truncated) = capture.truncated {
            let reason = format!(
                "trame MLLP tronquée : {} octet(s) sans fin de trame en fin de fichier",
                truncated.len()
            );
            batch.reject(None, reason, truncated.to_vec())?;
        }
        (capture.messages, capture.problems)
    } else {
        hl7in::split_file(body)
    };
    batch.report.problems.extend(problems);
    for message in messages {
        let source = Source {
            channel: SourceChannel::File,
            origin: name.to_owned(),
            message_id: None,
            sender: None,
            fhir_id: None,
        };
        match hl7in::handle(
            message,
            &context.map,
            context.factory,
            &context.feed,
            source,
        ) {
            Handled::Store {
                submission,
                warnings,
                ignored,
                ..
            } => {
                batch.report.problems.extend(warnings);
                batch.submit(submission, ignored)?;
            }
            Handled::Reject { rejection, .. } => batch.quarantine(rejection)?,
        }
    }
    batch.finish()
}

fn ingest_fhir(
    context: &IngestContext<'_>,
    name: &str,
    bytes: &[u8],
) -> Result<FileReport, IngestError> {
    let mut batch = Batch::new(context, name, "fhir");
    let document = ckisa_fhir::read(bytes, name);
    for (kind, count) in &document.skipped {
        *batch.report.skipped.entry(kind.clone()).or_default() += *count as u64;
    }
    for problem in document.problems {
        let reason = format!("{} : {}", problem.location, problem.reason);
        if problem.dropped {
            batch.reject(None, reason, Vec::new())?;
        } else {
            batch.report.problems.push(reason);
        }
    }
    let actor = Actor::Feed(context.feed.clone());
    for item in document.items {
        let source = Source {
            channel: SourceChannel::File,
            origin: name.to_owned(),
            message_id: None,
            sender: None,
            fhir_id: Some(item.fhir_id.clone()),
        };
        let submission =
            context
                .factory
                .submission(&context.feed, &actor, &source, None, item.facts);
        batch.submit(submission, false)?;
    }
    batch.finish()
}

/// Accumulates one file's submissions and rejections and commits them in
/// batches.
struct Batch<'c, 'a> {
    context: &'c IngestContext<'a>,
    report: FileReport,
    pending: Vec<(Submission, bool)>,
    rejections: Vec<Rejection>,
    /// The previous batch's commit, running while this one is parsed.
    in_flight: Option<InFlight>,
}

/// A commit running on its own thread, with what is needed to count it.
struct InFlight {
    commit: JoinHandle<Result<Vec<Outcome>, StoreError>>,
    ignored: Vec<bool>,
    events: Vec<u64>,
    /// Control ids, to name a refused message in the quarantine.
    message_ids: Vec<Option<String>>,
}

impl<'c, 'a> Batch<'c, 'a> {
    fn new(context: &'c IngestContext<'a>, name: &str, format: &'static str) -> Self {
        let report = FileReport {
            path: name.to_owned(),
            format,
            ..FileReport::default()
        };
        Batch {
            context,
            report,
            pending: Vec::new(),
            rejections: Vec::new(),
            in_flight: None,
        }
    }

    fn submit(&mut self, submission: Submission, ignored: bool) -> Result<(), IngestError> {
        self.pending.push((submission, ignored));
        if self.pending.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn reject(
        &mut self,
        message_id: Option<String>,
        reason: String,
        raw: Vec<u8>,
    ) -> Result<(), IngestError> {
        let rejection = Rejection {
            feed: self.context.feed.clone(),
            received_ms: self.context.factory.now_ms(),
            message_id,
            reason,
            raw,
        };
        self.quarantine(rejection)
    }

    fn quarantine(&mut self, rejection: Rejection) -> Result<(), IngestError> {
        self.report.rejected += 1;
        let id = rejection
            .message_id
            .as_deref()
            .map(|id| format!("[{id}] "))
            .unwrap_or_default();
        self.report
            .rejections
            .push(format!("{id}{}", rejection.reason));
        self.rejections.push(rejection);
        if self.rejections.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends the pending submissions to the store on a thread of their own,
    /// after the previous batch's commit has finished and been counted, so
    /// that parsing and committing overlap.
    fn flush(&mut self) -> Result<(), IngestError> {
        if !self.rejections.is_empty() {
            self.context
                .store
                .quarantine(std::mem::take(&mut self.rejections))?;
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        self.wait()?;
        let pending = std::mem::take(&mut self.pending);
        let ignored: Vec<bool> = pending.iter().map(|(_, ignored)| *ignored).collect();
        let events: Vec<u64> = pending.iter().map(|(s, _)| s.events.len() as u64).collect();
        let message_ids = pending
            .iter()
            .map(|(s, _)| s.events.first().and_then(|e| e.source.message_id.clone()))
            .collect();
        let submissions: Vec<Submission> = pending.into_iter().map(|(s, _)| s).collect();
        let store = Arc::clone(&self.context.store);
        let commit = std::thread::spawn(move || store.commit(submissions));
        self.in_flight = Some(InFlight {
            commit,
            ignored,
            events,
            message_ids,
        });
        Ok(())
    }

    /// Waits for the commit in flight, if any, and counts its outcomes.
    fn wait(&mut self) -> Result<(), IngestError> {
        let Some(in_flight) = self.in_flight.take() else {
            return Ok(());
        };
        let outcomes = in_flight.commit.join().map_err(|_| StoreError::Closed)??;
        let counted = outcomes
            .into_iter()
            .zip(in_flight.ignored)
            .zip(in_flight.events)
            .zip(in_flight.message_ids);
        for (((outcome, ignored), events), message_id) in counted {
            match outcome {
                Outcome::Refused { reason } => self.reject(message_id, reason, Vec::new())?,
                Outcome::Duplicate => self.report.duplicates += 1,
                Outcome::Stored if ignored => self.report.ignored += 1,
                Outcome::Stored => {
                    self.report.accepted += 1;
                    self.report.events += events;
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<FileReport, IngestError> {
        self.flush()?;
        self.wait()?;
        Ok(self.report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn bad_folder_entries_are_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.hl7"), b"MSH|^~\\&|A\r").unwrap();
        std::os::unix::fs::symlink(root.join("missing.hl7"), root.join("dangling.hl7")).unwrap();
        std::os::unix::fs::symlink(root, root.join("loop")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(root.join("fifo"))
            .status();
        let fifo = status.is_ok_and(|s| s.success());
        let inputs = collect(&[root.to_path_buf()]).unwrap();
        let refused: Vec<&str> = inputs
            .iter()
            .filter(|i| matches!(i.data, InputData::Refused(_)))
            .map(|i| i.name.rsplit('/').next().unwrap_or_default())
            .collect();
        let mut expected = vec!["dangling.hl7", "loop"];
        if fifo {
            expected.insert(1, "fifo");
        }
        assert_eq!(refused, expected);
        assert_eq!(inputs.len(), refused.len() + 1);
        assert!(
            collect(&[root.join("nowhere")]).is_err(),
            "an explicit path must exist"
        );
    }
}
