//! What [`Directory::refresh`] costs the running node, which calls it (via
//! `sweep`) every few seconds: once with no change by another process (one
//! `PRAGMA data_version`), and once after the CLI changed an account (a full
//! reload of accounts, tokens, grants and session rows); and a whole
//! `sweep` with nothing to do.
//!
//! Run: `cargo bench -p ckisa-auth --bench refresh -- [ACCOUNTS]` (default
//! 500 accounts, each with one open session, and 20 API tokens). Prints the
//! mean and p99 of each case.

#![expect(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ckisa_audit::MemorySink;
use ckisa_auth::{Action, Actor, ArgonParams, AuthOptions, Directory, NewUser, Role, Scope};
use ckisa_store_sqlite::key::DbKey;

const PASSWORD: &str = "cheval-agrafe-batterie";
const T0: i64 = 1_780_000_000_000;

fn main() {
    let accounts = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let key = DbKey::generate().expect("a random key");
    // Cheap hashes: this measures the reload, not Argon2.
    let options = AuthOptions {
        argon: ArgonParams::fast_for_tests(),
        ..AuthOptions::default()
    };
    let open = || {
        let sink = Arc::new(MemorySink::default());
        Directory::open(dir.path(), &key, options.clone(), sink).expect("the directory opens")
    };
    let node = open();
    for n in 0..accounts {
        let user = NewUser {
            login: format!("ide{n:04}"),
            display_name: format!("IDE {n}"),
            role: Role::Nurse,
            scope: Scope::Units(vec!["REA".into()]),
            password: Some(PASSWORD.into()),
            must_change: false,
        };
        node.add_user(&user, &Actor::cli(), T0).expect("account");
        // One address each: logins from one address are throttled.
        let from = IpAddr::from(std::net::Ipv4Addr::from_bits(
            0x0a00_0000 + u32::try_from(n).unwrap_or(0),
        ));
        node.login(&user.login, PASSWORD, from, T0).expect("login");
    }
    for n in 0..20 {
        node.create_token(&format!("jeton{n}"), &[Action::Metrics], &Actor::cli(), T0)
            .expect("token");
    }
    let cli = open();

    let idle = measure(100_000, |n| {
        assert!(!node.refresh(T0 + n).expect("refresh"), "no change");
    });
    report("no change", &idle);

    // Alternate, starting away from the current units: an update that
    // changes no byte commits nothing, and rightly reloads nothing.
    let units = [Scope::parse("URG"), Scope::parse("REA")];
    let changed = measure(200, |n| {
        let scope = &units[usize::try_from(n % 2).unwrap_or(0)];
        cli.set_role("ide0000", Role::Nurse, scope, &Actor::cli(), T0 + n)
            .expect("role change");
        let start = Instant::now();
        assert!(node.refresh(T0 + n).expect("refresh"), "a change at {n}");
        start.elapsed()
    });
    report(&format!("after a change ({accounts} accounts)"), &changed);

    // The whole periodic call when nothing changed and no session was used.
    let sweep = measure(10_000, |n| {
        assert_eq!(node.sweep(T0 + 1_000 + n), 0, "nothing expired");
    });
    report_as("sweep", "nothing to do", &sweep);
}

/// Runs `step` `count` times; each returns its own cost, or `()` to be
/// timed whole.
fn measure<R: Cost>(count: i64, mut step: impl FnMut(i64) -> R) -> Vec<Duration> {
    (0..count)
        .map(|n| {
            let start = Instant::now();
            step(n).cost(start.elapsed())
        })
        .collect()
}

/// What a step returns: its own measured cost, or nothing.
trait Cost {
    fn cost(self, whole: Duration) -> Duration;
}

impl Cost for () {
    fn cost(self, whole: Duration) -> Duration {
        whole
    }
}

impl Cost for Duration {
    fn cost(self, _whole: Duration) -> Duration {
        self
    }
}

fn report(what: &str, costs: &[Duration]) {
    report_as("refresh", what, costs);
}

fn report_as(call: &str, what: &str, costs: &[Duration]) {
    let mut sorted = costs.to_vec();
    sorted.sort();
    let total: Duration = sorted.iter().sum();
    let count = u32::try_from(sorted.len()).unwrap_or(u32::MAX).max(1);
    let p99 = sorted[sorted.len() * 99 / 100];
    println!(
        "{call}, {what}: {} calls, mean {:?}, p99 {:?}",
        sorted.len(),
        total / count,
        p99
    );
}
