//! When an in-memory book (crisis, care, messaging) last caught up with the
//! log: the store generation it saw, and when it last read. A book reads
//! the log again when this process's store moved, or every
//! [`RESYNC_EVERY_MS`] for what another process on the same data folder
//! wrote (the generation counts only this process's commits).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// How often a book reads the log even when this process committed
/// nothing: what `ckisa crisis` records beside a serving node shows within
/// this delay.
pub(crate) const RESYNC_EVERY_MS: u64 = 1_000;

/// The catch-up mark of one book.
pub(crate) struct Synced {
    /// Store generation the book last caught up with.
    seen: AtomicU64,
    /// When it last read the log, in ms since `started`.
    synced_ms: AtomicU64,
    started: Instant,
}

impl Synced {
    pub(crate) fn new() -> Synced {
        Synced {
            seen: AtomicU64::new(u64::MAX),
            synced_ms: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// Milliseconds since the book was created.
    pub(crate) fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether the book is as fresh as it needs to be at store
    /// `generation`: cheap (two atomic reads).
    pub(crate) fn is_current(&self, generation: u64) -> bool {
        self.seen.load(Ordering::Acquire) == generation
            && self.elapsed_ms() < self.synced_ms.load(Ordering::Acquire) + RESYNC_EVERY_MS
    }

    /// The book just caught up at store `generation`.
    pub(crate) fn mark(&self, generation: u64) {
        self.seen.store(generation, Ordering::Release);
        self.synced_ms.store(self.elapsed_ms(), Ordering::Release);
    }
}
