//! The crisis lifecycle of a ckisa node, without IO: the establishment's
//! continuity plan (BIA, action cards, contacts, critical stocks), outage
//! detection from feed activity, the crisis book folded from the event log,
//! and the figures of the after-action report.

pub mod book;
pub mod detect;
pub mod ledger;
pub mod plan;
pub mod report;
