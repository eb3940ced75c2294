//! The clinical capsule's degraded mode, without IO beyond the `Store`
//! trait: what caregivers document while the HIS is down, folded from the
//! event log into a [`book::CareBook`], and the clinical logic the pages,
//! the paper fallback and the export share.
//!
//! - `book`: the fold of care facts (and of merges, so that a provisional
//!   identity matched to its real record carries its documentation along).
//! - `ledger`: reading care events from the store and recording new ones.
//! - `mar`: planned administrations from prescriptions (frequencies, shifts,
//!   overdue doses).
//! - `news2`: the NEWS2 early-warning score and its escalation level.
//! - `prescribe`: the checks run before a prescription is signed (allergies,
//!   duplicates).
//! - `lab`: downtime lab request ids and critical values.
//! - `ipp`: the downtime IPP range of provisional identities.
//! - `export`: what was documented, as a FHIR R4 transaction bundle and as
//!   HL7 v2 messages; `worklist`: where each item stands with the HIS.
//! - `paper`: the paper fallback pack of a unit (PDF).

pub mod book;
pub mod export;
mod fold;
pub mod lab;
pub mod ledger;
pub mod mar;
pub mod news2;
pub mod paper;
pub mod prescribe;
pub mod settings;
pub mod worklist;
