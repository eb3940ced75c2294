//! The messaging book and ledger from the outside: events built by hand,
//! folded and checked as the web capsule and the node's rounds do, then the
//! same through a real SQLite store.

mod book;
mod ledger;
mod support;
