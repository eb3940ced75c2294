//! Cost of a login with the default (production) Argon2id parameters, and
//! of the session check that every page request makes.
//!
//! Run: `cargo bench -p ckisa-auth --bench login -- [LOGINS]` (default 20).
//! Prints the median and p99 of `Directory::login` (one Argon2id
//! verification, one durable write of the session) and of
//! `Directory::session`. The data folder is a temporary directory (set
//! `TMPDIR` to bench another disk); the audit sink is in memory.

#![expect(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ckisa_audit::MemorySink;
use ckisa_auth::{Actor, AuthOptions, Directory, NewUser, Role, Scope};
use ckisa_store_sqlite::key::DbKey;

const PASSWORD: &str = "cheval-agrafe-batterie";
const T0: i64 = 1_780_000_000_000;

fn main() {
    let logins: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let key = DbKey::generate().expect("a random key");
    let options = AuthOptions {
        address_attempts_per_minute: u32::MAX,
        ..AuthOptions::default()
    };
    println!(
        "argon2id m={} KiB t={} p={}",
        options.argon.m_kib, options.argon.t, options.argon.p
    );
    let sink = Arc::new(MemorySink::default());
    let directory = Directory::open(dir.path(), &key, options, sink).expect("the directory opens");
    let user = NewUser {
        login: "jdupont".into(),
        display_name: "Jeanne Dupont".into(),
        role: Role::Nurse,
        scope: Scope::parse("REA"),
        password: Some(PASSWORD.into()),
        must_change: false,
    };
    directory
        .add_user(&user, &Actor::cli(), T0)
        .expect("the account is created");
    let from = IpAddr::from([127, 0, 0, 1]);

    let mut tokens = Vec::new();
    let mut login_times = Vec::new();
    for i in 0..logins {
        let start = Instant::now();
        let session = directory
            .login("jdupont", PASSWORD, from, T0 + i as i64)
            .expect("the login succeeds");
        login_times.push(start.elapsed());
        tokens.push(session.token);
    }
    report(
        "login (argon2id verify + durable session write)",
        &mut login_times,
    );

    let mut session_times = Vec::new();
    for i in 0..10_000 {
        let token = &tokens[i % tokens.len()];
        let start = Instant::now();
        let view = directory.session(token, T0 + 1_000 + i as i64);
        session_times.push(start.elapsed());
        assert!(view.is_some(), "the session is live");
    }
    report("session (hot path, memory only)", &mut session_times);
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{what}: n={} median={:?} p99={:?} max={:?}",
        times.len(),
        at(0.5),
        at(0.99),
        times[times.len() - 1]
    );
}
