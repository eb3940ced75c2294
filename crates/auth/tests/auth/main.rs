//! Stories of the accounts directory, through its public API only: logins
//! and lock-outs, sessions and timeouts, passwords and PINs,
//! break-the-glass, API tokens, imports, the audit trail it writes, what
//! reaches the disk, and what another process (the CLI) changed. Every test
//! uses the cheapest Argon2 parameters and explicit clocks.

mod admin;
mod audit;
mod common;
mod glass;
mod login;
mod password;
mod refresh;
mod sessions;
mod storage;
mod tokens;
