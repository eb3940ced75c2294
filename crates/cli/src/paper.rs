//! The paper fallback on disk: every unit's pack (`ckisa_care::paper`) written into
//! `<soins.dossier_secours>/<unit>/` 30 seconds after the node starts and then every
//! `soins.secours_toutes`, so that printable paper exists even if the node itself dies; and
//! the writing of one pack, shared with `ckisa reports`.
//!
//! A pack is written whole or not at all: every PDF goes to a hidden `.partiel` file first,
//! and only once all of them are on disk are they renamed to their names. A generation that
//! fails (the store unreadable, the disk full) leaves the previous one untouched. The last
//! [`KEEP_GENERATIONS`] packs of a unit are kept; older ones are removed. Errors are logged,
//! never fatal to the node.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ckisa_care::book::CareBook;
use ckisa_care::ledger;
use ckisa_care::paper::{self, PARTS, PaperFile};
use ckisa_care::settings::Settings;
use ckisa_store::Store;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use crate::node::{Node, now_ms};

/// Packs of a unit kept in its folder, the newest first.
pub(crate) const KEEP_GENERATIONS: usize = 3;
/// Suffix of a PDF being written.
const PARTIAL: &str = ".partiel";
/// Delay of the first round after the node starts (or the interval, if shorter).
const FIRST_ROUND: Duration = Duration::from_secs(30);

/// Writes every unit's pack now and then on the schedule of `settings`, until shutdown;
/// nothing when no folder is configured. Each round runs on a blocking thread.
pub(crate) fn spawn(node: &Node, settings: Arc<Settings>, mut shutdown: watch::Receiver<bool>) {
    let Some(folder) = settings.reports_dir.clone() else {
        return;
    };
    let store: Arc<dyn Store> = node.store.clone();
    let zone = node.zone.clone();
    let every = Duration::from_secs(settings.reports_every_s.max(60));
    tracing::info!(
        folder = %folder.display(),
        every_s = every.as_secs(),
        "paper fallback scheduled"
    );
    tokio::spawn(async move {
        // The first round waits a little, so that a starting node serves first.
        let first = tokio::time::Instant::now() + FIRST_ROUND.min(every);
        let mut ticks = tokio::time::interval_at(first, every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The book is caught up round after round rather than read whole each time.
        let mut book = CareBook::new();
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            let round = Round {
                store: Arc::clone(&store),
                zone: zone.clone(),
                settings: Arc::clone(&settings),
                folder: folder.clone(),
                shutdown: shutdown.clone(),
            };
            let mut current = std::mem::take(&mut book);
            let run = tokio::task::spawn_blocking(move || {
                round.write_all(&mut current, now_ms());
                current
            })
            .await;
            match run {
                Ok(kept) => book = kept,
                Err(error) => tracing::error!(%error, "paper fallback round failed"),
            }
        }
    });
}

/// What one round of the schedule needs.
struct Round {
    store: Arc<dyn Store>,
    zone: jiff::tz::TimeZone,
    settings: Arc<Settings>,
    folder: PathBuf,
    /// Checked between units: a stopping node does not wait for the whole round.
    shutdown: watch::Receiver<bool>,
}

impl Round {
    /// Writes every unit's pack; a unit that fails keeps its previous pack and is logged.
    fn write_all(&self, book: &mut CareBook, now_ms: i64) {
        let store = self.store.as_ref();
        if let Err(error) = ledger::catch_up(book, store) {
            tracing::error!(error = %error, "paper fallback: care events unreadable, nothing written");
            return;
        }
        let units = match store.units() {
            Ok(units) => units,
            Err(error) => {
                tracing::error!(error = %error, "paper fallback: units unreadable, nothing written");
                return;
            }
        };
        let (mut written, mut failed) = (0, 0);
        for unit in units {
            if *self.shutdown.borrow() {
                return;
            }
            let folder = self.folder.join(paper::safe_name(&unit.code));
            let result =
                paper::unit_pack(store, book, &unit.code, now_ms, &self.zone, &self.settings)
                    .context("pack not generated")
                    .and_then(|files| {
                        write_pack(&folder, &files, Some(KEEP_GENERATIONS), &mut write_file)
                    });
            match result {
                Ok(_) => written += 1,
                Err(error) => {
                    failed += 1;
                    tracing::error!(
                        unit = %unit.code,
                        error = %format!("{error:#}"),
                        "paper fallback not written; the previous pack stays"
                    );
                }
            }
        }
        tracing::info!(written, failed, folder = %self.folder.display(), "paper fallback round");
    }
}

/// Writes `files` into `folder` (created, owner only) all or nothing: each to a hidden
/// partial file, then, once every one is on disk, renamed to its name. On failure the
/// partial files are removed and what the folder held stays as it was. With `keep`, packs
/// older than the `keep` newest are then removed. Returns the paths written.
pub(crate) fn write_pack(
    folder: &Path,
    files: &[PaperFile],
    keep: Option<usize>,
    write: &mut dyn FnMut(&Path, &[u8]) -> std::io::Result<()>,
) -> anyhow::Result<Vec<PathBuf>> {
    create_private_folder(folder)?;
    remove_partials(folder);
    let partials: Vec<PathBuf> = files
        .iter()
        .map(|file| folder.join(format!(".{}{PARTIAL}", file.name)))
        .collect();
    for (file, partial) in files.iter().zip(&partials) {
        if let Err(error) = write(partial, &file.pdf) {
            remove_all(&partials);
            return Err(error)
                .with_context(|| format!("impossible d'écrire {}", partial.display()));
        }
    }
    let mut written = Vec::with_capacity(files.len());
    for (file, partial) in files.iter().zip(&partials) {
        let target = folder.join(&file.name);
        if let Err(error) = std::fs::rename(partial, &target) {
            remove_all(&partials);
            return Err(error)
                .with_context(|| format!("impossible de nommer {}", target.display()));
        }
        written.push(target);
    }
    sync_folder(folder);
    if let Some(keep) = keep {
        prune(folder, keep)?;
    }
    Ok(written)
}

/// Writes a new file readable by its owner only, and flushes it to disk.
pub(crate) fn write_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

fn create_private_folder(folder: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(folder)
        .with_context(|| format!("impossible de créer le dossier {}", folder.display()))
}

fn remove_all(paths: &[PathBuf]) {
    for path in paths {
        let _ = std::fs::remove_file(path);
    }
}

/// Removes what an interrupted run left half-written.
fn remove_partials(folder: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.ends_with(PARTIAL) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Makes the renames durable (a no-op where folders cannot be opened).
fn sync_folder(folder: &Path) {
    if let Ok(handle) = std::fs::File::open(folder) {
        let _ = handle.sync_all();
    }
}

/// Removes the packs older than the `keep` newest; other files are left alone.
fn prune(folder: &Path, keep: usize) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(folder)
        .with_context(|| format!("impossible de lire le dossier {}", folder.display()))?;
    let packs: Vec<(PathBuf, String)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            generation_of(&name).map(|stamp| (entry.path(), stamp.to_owned()))
        })
        .collect();
    let stamps: BTreeSet<&str> = packs.iter().map(|(_, stamp)| stamp.as_str()).collect();
    let kept: Vec<&str> = stamps.iter().rev().take(keep).copied().collect();
    for (path, stamp) in &packs {
        if !kept.contains(&stamp.as_str()) {
            std::fs::remove_file(path)
                .with_context(|| format!("impossible de retirer {}", path.display()))?;
        }
    }
    Ok(())
}

/// The stamp (`2026-12-04-2340`) of a pack's file name `<unit>-<part>-<stamp>.pdf`.
fn generation_of(name: &str) -> Option<&str> {
    let stem = name.strip_suffix(".pdf")?;
    let split = stem.len().checked_sub(16)?;
    let (head, stamp) = (stem.get(..split)?, stem.get(split + 1..)?);
    let shape = stamp.bytes().enumerate().all(|(index, byte)| match index {
        4 | 7 | 10 => byte == b'-',
        _ => byte.is_ascii_digit(),
    });
    let known_part = PARTS.iter().any(|part| head.ends_with(&format!("-{part}")));
    (stem.as_bytes()[split] == b'-' && stamp.len() == 15 && shape && known_part).then_some(stamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(stamp: &str) -> Vec<PaperFile> {
        ["recensement", "administrations", "regimes"]
            .iter()
            .map(|part| PaperFile {
                name: format!("REA-{part}-{stamp}.pdf"),
                pdf: format!("%PDF-1.7 {part} {stamp}").into_bytes(),
            })
            .collect()
    }

    fn listing(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_pack_that_fails_halfway_leaves_the_last_good_one_whole() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("REA");
        let good = write_pack(&folder, &pack("2026-12-04-2200"), Some(3), &mut write_file).unwrap();
        assert_eq!(good.len(), 3);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&folder).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "a new folder is its owner's only");
        }

        // The second file of the next pack cannot be written (disk full).
        let mut calls = 0;
        let mut failing = |path: &Path, contents: &[u8]| {
            calls += 1;
            if calls == 2 {
                std::fs::write(path, &contents[..4])?;
                return Err(std::io::Error::other("disque plein"));
            }
            write_file(path, contents)
        };
        let error = write_pack(&folder, &pack("2026-12-04-2300"), Some(3), &mut failing)
            .expect_err("the write fails");
        assert!(format!("{error:#}").contains("disque plein"), "{error:#}");
        assert_eq!(listing(&folder), listing_of(&pack("2026-12-04-2200")));
        for path in &good {
            let text = std::fs::read_to_string(path).unwrap();
            assert!(text.ends_with("2026-12-04-2200"), "{text}");
        }
    }

    fn listing_of(files: &[PaperFile]) -> Vec<String> {
        let mut names: Vec<String> = files.iter().map(|file| file.name.clone()).collect();
        names.sort();
        names
    }

    #[test]
    fn only_the_newest_packs_are_kept_and_other_files_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("REA");
        std::fs::create_dir_all(&folder).unwrap();
        for other in [
            "notes.txt",
            "REA-autre-2020-01-01-0000.pdf",
            ".REA-regimes-x.pdf.partiel",
        ] {
            std::fs::write(folder.join(other), "x").unwrap();
        }
        for stamp in [
            "2026-12-04-2100",
            "2026-12-04-2200",
            "2026-12-04-2300",
            "2026-12-05-0000",
        ] {
            write_pack(
                &folder,
                &pack(stamp),
                Some(KEEP_GENERATIONS),
                &mut write_file,
            )
            .unwrap();
        }
        let names = listing(&folder);
        assert_eq!(names.len(), 9 + 2, "{names:?}");
        assert!(!names.iter().any(|name| name.contains("2026-12-04-2100")));
        assert!(names.contains(&String::from("notes.txt")));
        assert!(names.contains(&String::from("REA-autre-2020-01-01-0000.pdf")));
        assert!(
            !names.iter().any(|name| name.ends_with(PARTIAL)),
            "{names:?}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let file = folder.join("REA-regimes-2026-12-05-0000.pdf");
            assert_eq!(
                std::fs::metadata(file).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn only_pack_names_are_read_as_generations() {
        assert_eq!(
            generation_of("REA-recensement-2026-12-04-2340.pdf"),
            Some("2026-12-04-2340")
        );
        assert_eq!(
            generation_of("_sans-unite-plans-de-soins-2026-12-04-2340.pdf"),
            Some("2026-12-04-2340")
        );
        for name in [
            "REA-recensement-2026-12-04-2340.txt",
            "REA-inconnu-2026-12-04-2340.pdf",
            "REA-recensement-2026-12-04-23h0.pdf",
            "recensement-2026-12-04-2340.pdf",
            ".pdf",
            "é",
        ] {
            assert_eq!(generation_of(name), None, "{name}");
        }
    }
}
