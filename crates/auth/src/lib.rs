//! Who may see what on a ckisa node.
//!
//! Accounts live on the node itself (`auth.db`, encrypted like the store), so
//! that logging in works with the hospital's directory and network down.
//! Each account has one [`Role`] and a [`Scope`] of units; the [`matrix`]
//! says what each role may do. Sessions, lock-outs, break-the-glass grants
//! and API tokens are kept here too, in the [`Directory`]; every login, every
//! logout and every permission change is written to the audit trail by the
//! directory itself.
//!
//! All [`Directory`] methods are synchronous: password checks run Argon2id
//! (tens of milliseconds by design), so async callers use `spawn_blocking`.
//! The hot paths ([`Directory::session`], [`Directory::grant`],
//! [`Directory::check_token`]) only read memory; [`Directory::refresh`]
//! (run by [`Directory::sweep`]) brings that memory in line with changes
//! another process, such as the CLI, committed to `auth.db`.

#![deny(missing_docs)]

mod db;
mod directory;
mod error;
mod glass;
pub mod import;
mod login;
pub mod matrix;
mod model;
mod options;
mod refresh;
mod role;
pub mod rules;
mod secret;
mod session;
mod token;

pub use directory::Directory;
pub use error::{AuthError, LoginError, PasswordError};
pub use import::{ImportProblem, ImportReport};
pub use matrix::{Action, Reach, reach};
pub use model::{Account, Actor, Grant, NewSession, NewUser, SessionView, TokenInfo};
pub use options::{ArgonParams, AuthOptions};
pub use role::{Role, Scope};
pub use token::{TOKEN_ACTIONS, TOKEN_PREFIX};
