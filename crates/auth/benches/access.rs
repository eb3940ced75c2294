//! What the access gate and the audit trail add to one page request: the
//! session lookup, the matrix, the unit-scope check, and one audit entry
//! appended to the real hash-chained trail (SQLCipher, group commit).
//!
//! Run: `cargo bench -p ckisa-auth --bench access -- [REQUESTS] [RATE]`
//! (default 20,000 requests at 2,000 per second, the rate of a busy
//! hospital's terminals; RATE 0 = as fast as possible). Prints p50, p99
//! and max of the per-request cost, measured around exactly the calls the
//! web gate and a bed-board handler make.

#![expect(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ckisa_audit::{AuditOutcome, AuditRecord, AuditSink, AuditTrail};
use ckisa_auth::{Action, Actor, AuthOptions, Directory, NewUser, Reach, Role, Scope, reach};
use ckisa_store_sqlite::key::DbKey;

const PASSWORD: &str = "cheval-agrafe-batterie";
const T0: i64 = 1_780_000_000_000;

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<u64>().ok());
    let requests = args.next().unwrap_or(20_000);
    let rate = args.next().unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let key = DbKey::generate().expect("a random key");
    let trail = AuditTrail::open(dir.path(), &key).expect("the trail opens");
    let directory = Directory::open(
        dir.path(),
        &key,
        AuthOptions::default(),
        Arc::new(trail.clone()),
    )
    .expect("the directory opens");
    let user = NewUser {
        login: "ide.rea".into(),
        display_name: "IDE réanimation".into(),
        role: Role::Nurse,
        scope: Scope::Units(vec!["REA".into(), "USC".into()]),
        password: Some(PASSWORD.into()),
        must_change: false,
    };
    directory
        .add_user(&user, &Actor::cli(), T0)
        .expect("account");
    let from: IpAddr = "10.1.2.3".parse().expect("address");
    let session = directory
        .login("ide.rea", PASSWORD, from, T0)
        .expect("login");

    let pause = (rate > 0).then(|| Duration::from_nanos(1_000_000_000 / rate));
    let mut costs = Vec::with_capacity(usize::try_from(requests).unwrap_or(0));
    for n in 0..requests {
        let now = T0 + i64::try_from(n).unwrap_or(0);
        let start = Instant::now();
        let view = directory.session(&session.token, now).expect("session");
        let allowed = reach(view.account.role, Action::UnitBoard) != Reach::Never
            && view.account.scope.covers("REA");
        trail.append(AuditRecord {
            at_ms: now,
            actor: view.account.login.clone(),
            role: Some(view.account.role.code().to_owned()),
            source: from.to_string(),
            action: Action::UnitBoard.code().to_owned(),
            outcome: if allowed {
                AuditOutcome::Allowed
            } else {
                AuditOutcome::Denied
            },
            patient: None,
            target: Some("REA".to_owned()),
            detail: String::new(),
        });
        costs.push(start.elapsed());
        if let Some(pause) = pause {
            std::thread::sleep(pause.saturating_sub(start.elapsed()));
        }
    }
    trail.flush().expect("flush");
    costs.sort_unstable();
    let at = |q: f64| costs[((costs.len() as f64 - 1.0) * q) as usize];
    println!(
        "access check + audit append, {requests} requests at {} /s: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        if rate == 0 {
            "max".to_owned()
        } else {
            rate.to_string()
        },
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        costs.last().map_or(0.0, |d| d.as_secs_f64() * 1e6),
    );
}
