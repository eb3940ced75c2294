//! Who may see what on a ckisa node.
//!
//! Accounts live on the node itself (`auth.db`, encrypted like the store), so
//! that logging in works with the hospital's directory and network down.
//! Each account has one [`Role`] and a [`Scope`] of units; the [`matrix`]
//! says what each role may do. Sessions, lock-outs, break-the-glass grants
//! and API tokens are kept here too; every login and every permission change
//! is written to the audit trail by this crate.

#![deny(missing_docs)]

pub mod matrix;
mod role;

pub use matrix::{Action, Reach, reach};
pub use role::{Role, Scope};
