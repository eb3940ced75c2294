//! The clinical capsule in degraded mode: what caregivers document while the
//! HIS is down (administrations, prescriptions, vitals, notes, lab requests
//! and results, admissions and movements), the clinic and kitchen lists, the
//! paper fallback and the re-integration worklist.
//!
//! Everything written here is a [`CareFact`] event committed to the store;
//! clinical facts the HIS also sends are wrapped as [`CareFact::Entered`] and
//! projected like the feed's, so the bed board, the chart and the crisis
//! dashboard follow. What the pages show of the rest is the [`CareBook`]
//! folded from those events, which the [`CareHub`] keeps in memory and
//! catches up with the log like the crisis hub does.
//!
//! **Invariant:** documentation is accepted only while a crisis is open
//! ([`AppState::downtime_open`]); a check that depends on the store (a bed
//! still free, a patient still in the unit) runs under the hub's write lock,
//! right before the commit, so two terminals cannot both win.

mod barcode;
mod flow_text;
mod flows;
mod lab;
mod lists;
mod movements;
mod paper;
mod reintegration;
mod ward;
mod ward_mar;
mod ward_notes;
mod ward_rx;
mod ward_text;
mod ward_vitals;

/// The capsule's catalogs, registered in `crate::i18n::CATALOGS`.
pub(crate) use flow_text::CATALOG as FLOW_TEXT;
pub(crate) use lab::{acknowledge as lab_acknowledge, bench_page, label_page, label_pdf};
pub(crate) use lab::{request_form, request_submit, results_submit, unit_page as lab_unit_page};
pub(crate) use lists::{appointments_page, diet_form, diet_submit, kitchen_page};
pub(crate) use movements::{admission_form, admission_submit, discharge_form, discharge_submit};
pub(crate) use movements::{
    transfer_form, transfer_submit, unit_page as movements_page, wristband,
};
pub(crate) use paper::{pack_page, part_pdf};
pub(crate) use reintegration::{export_fhir, export_hl7, list_page as reintegration_page};
pub(crate) use reintegration::{mark_submit, match_page, match_submit};
pub(crate) use ward::{home_page as ward_home, patient_page as ward_patient};
pub(crate) use ward_mar::{record_page, record_submit, unit_page as ward_unit};
pub(crate) use ward_notes::{handover_page, note_page, note_submit};
pub(crate) use ward_rx::{pharmacy_page, prescribe_page, prescribe_submit, review_submit};
pub(crate) use ward_rx::{stop_page, stop_submit};
pub(crate) use ward_text::CATALOG as WARD_TEXT;
pub(crate) use ward_vitals::{vitals_page, vitals_submit};

use std::sync::Arc;

use ckisa_auth::Action;
use ckisa_care::book::CareBook;
use ckisa_care::ledger::{self, RecordError};
use ckisa_domain::{Actor, CareFact, EventId, HlcClock, NodeId};
use ckisa_store::Store;
use tokio::sync::{Mutex, RwLock};

use crate::AppState;
use crate::access::{Audited, Caller};
use crate::error::AppError;
use crate::synced::Synced;

/// The care book of the node, kept up to date with the log.
pub(crate) struct CareHub {
    /// Shared with readers as a snapshot: a page or an export clones the
    /// `Arc` and reads without a lock (even on the blocking pool); a catch-up
    /// copies the book only while such a reader still holds the old one.
    book: RwLock<Arc<CareBook>>,
    /// When the book last caught up with the log.
    synced: Synced,
    /// One catch-up or write at a time.
    writing: Mutex<()>,
    clock: HlcClock,
}

impl CareHub {
    pub(crate) fn new() -> CareHub {
        CareHub {
            book: RwLock::new(Arc::new(CareBook::new())),
            synced: Synced::new(),
            writing: Mutex::new(()),
            clock: HlcClock::new(60_000),
        }
    }
}

/// A check run on the store under the hub's write lock, right before the
/// commit; its error refuses the write.
pub(crate) type StoreCheck = Box<dyn FnOnce(&dyn Store) -> Result<(), AppError> + Send>;

impl AppState {
    pub(crate) fn care_hub(&self) -> &CareHub {
        &self.inner.care
    }

    /// Catches the care book up with the log when this process's store
    /// moved or every [`RESYNC_EVERY_MS`](crate::synced::RESYNC_EVERY_MS).
    async fn care_sync(&self) -> Result<(), AppError> {
        let hub = self.care_hub();
        let generation = self.inner.store.generation();
        if hub.synced.is_current(generation) {
            return Ok(());
        }
        let _writing = hub.writing.lock().await;
        if hub.synced.is_current(generation) {
            return Ok(());
        }
        self.care_catch_up(generation).await
    }

    /// Reads what the book has not seen; the caller holds `writing`.
    async fn care_catch_up(&self, generation: u64) -> Result<(), AppError> {
        let hub = self.care_hub();
        let (care, merges) = {
            let book = hub.book.read().await;
            (book.last_care_event(), book.last_merge_event())
        };
        let (merge_events, care_events) = self
            .read(move |store| {
                Ok((
                    ledger::events_of_kind(store, ledger::MERGE_KIND, merges)?,
                    ledger::events_of_kind(store, ledger::KIND, care)?,
                ))
            })
            .await?;
        if !merge_events.is_empty() || !care_events.is_empty() {
            let mut shared = hub.book.write().await;
            let book = Arc::make_mut(&mut shared);
            for event in merge_events.iter().chain(&care_events) {
                book.apply(event);
            }
        }
        hub.synced.mark(generation);
        Ok(())
    }

    /// The care book, caught up with the log: a snapshot that later writes
    /// do not change, cheap to take and to send to the blocking pool.
    pub(crate) async fn care_book(&self) -> Result<Arc<CareBook>, AppError> {
        self.care_sync().await?;
        Ok(Arc::clone(&*self.care_hub().book.read().await))
    }

    /// Whether downtime documentation is open: a crisis is declared and not
    /// closed. Otherwise the French reason to show.
    pub(crate) async fn downtime_open(&self) -> Result<(), AppError> {
        let book = self.book().await?;
        match book.active() {
            Some(_) => Ok(()),
            None => Err(AppError::Refused(
                "La saisie en mode dégradé n'est ouverte que pendant une crise déclarée \
                 (ou un exercice) : aucune crise n'est en cours."
                    .to_owned(),
            )),
        }
    }

    /// Records `facts` as events of `caller`, atomically, after `check`
    /// passed on the store under the hub's write lock; audits the act with
    /// `action`, `patient` and `detail` (ids, never free text). Returns the
    /// events' ids in order. Refused unless a crisis is open.
    pub(crate) async fn care_record(
        &self,
        caller: &Caller,
        action: Action,
        patient: Option<&str>,
        detail: &str,
        facts: Vec<CareFact>,
        check: Option<StoreCheck>,
    ) -> Result<Vec<EventId>, AppError> {
        self.downtime_open().await?;
        self.commit_care(caller, action, patient, detail, facts, check)
            .await
    }

    /// [`AppState::care_record`] without the crisis check: re-integration
    /// (marks, identity matches) goes on after the crisis is closed; its
    /// callers check the period themselves.
    pub(crate) async fn commit_care(
        &self,
        caller: &Caller,
        action: Action,
        patient: Option<&str>,
        detail: &str,
        facts: Vec<CareFact>,
        check: Option<StoreCheck>,
    ) -> Result<Vec<EventId>, AppError> {
        let actor = match caller.login() {
            Some(login) => Actor::User(login.to_owned()),
            None => Actor::System,
        };
        let hub = self.care_hub();
        let _writing = hub.writing.lock().await;
        // The book first catches up with what another process on the same
        // folder may have written, so that a check reading it (a dose
        // already given) sees everything committed before this write.
        self.care_catch_up(self.inner.store.generation()).await?;
        if let Some(check) = check {
            self.read(move |store| Ok(check(store))).await??;
        }
        let node = NodeId(self.config().node_id.clone());
        let now = self.now_ms();
        let events: Vec<_> = facts
            .into_iter()
            .map(|fact| {
                let hlc = hub.clock.tick(u64::try_from(now).unwrap_or(0));
                ledger::event(actor.clone(), &node, "web", fact, hlc)
            })
            .collect();
        let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
        let committed = self
            .read(move |store| Ok(ledger::commit(store, events, now)))
            .await?;
        match committed {
            Ok(()) => {
                let mut audited = Audited::allowed(action).detail(detail);
                if let Some(patient) = patient {
                    audited = audited.patient(patient);
                }
                caller.audit(self, audited);
            }
            Err(RecordError::StoreRefused(reason)) => return Err(AppError::Refused(reason)),
            Err(RecordError::Store(error)) => return Err(AppError::Store(error)),
        }
        self.care_catch_up(self.inner.store.generation()).await?;
        Ok(ids)
    }
}

/// A fresh item id (`<prefix>-<UUIDv7>`) for an administration, a note, a
/// typed observation.
pub(crate) fn new_item_id(prefix: &str, now_ms: i64) -> String {
    format!(
        "{prefix}-{}",
        EventId::new(u64::try_from(now_ms).unwrap_or(0))
    )
}
