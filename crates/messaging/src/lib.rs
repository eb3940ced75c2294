//! Secure messaging of a ckisa node during a crisis, without IO beyond the
//! `Store` trait: channels of the establishment (units, crisis cell,
//! support services) and channels opened by hand, direct messages and
//! groups, priority broadcasts that every recipient acknowledges, their
//! escalation, and the recall of off-duty staff.
//!
//! - `book`: the fold of messaging events ([`book::MessageBook`]), the
//!   checks run before recording, membership, unread counts, the search.
//! - `ledger`: reading messaging events from the store and recording new
//!   ones.
//! - `text`: mentions (`@login`, `@role`, `#IPP`), the pieces a page
//!   renders, folding for the search.
//! - `settings`: the `[messagerie]` settings (support services, crisis
//!   cell, escalation delays, retention, attachments, recall roster, hook)
//!   and the channels of the establishment they give.
//! - `escalate`: which broadcasts escalate now, to unit managers then to
//!   the notification hook (pure; the caller gives the time).
//! - `recall`: who a recall calls, reply codes and answer-link hashes, the
//!   reading of SMS answers.
//! - `attachment`: the checks of a file before it is attached (size, type
//!   read from its bytes, name).
//! - `export`: a channel as CSV for the after-action report.
//! - `report`: the messaging figures of the after-action report.

pub mod attachment;
pub mod book;
pub mod escalate;
pub mod export;
pub mod ledger;
pub mod recall;
pub mod report;
pub mod retention;
pub mod settings;
pub mod text;

#[cfg(test)]
mod testing;

pub use book::{MessageBook, Reader, Refusal, Units};
