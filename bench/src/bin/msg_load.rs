//! Load of the secure messaging (issue 6): 1,000 browsers on their live
//! stream, 20 messages a second over the unit channels, a hospital-wide
//! broadcast acknowledged by everyone online, and a census page timed
//! meanwhile.
//!
//! Starts nothing: it talks to a running node on the loopback (plain HTTP,
//! such as `ckisa demo`). Setup (not measured): the unit codes are read
//! from the demo's configuration in `--data` (or `--units`); `--accounts`
//! accounts spread over the units (one cadre, 8 physicians and nurses per
//! unit) are imported once with `ckisa users import` beside the running
//! node, and their passwords kept in `--state` (`<data>.msgbench` by
//! default, owner-only); `--online` of them log in as browsers do, each
//! from its own loopback address (127.1.x.y: the node allows 30 logins a
//! minute per address), changing the generated password the node asks to
//! change at first login, then read their CSRF token on `/messagerie`.
//!
//! Measured, in order:
//! 1. baseline: the census page `GET /unites/{code}` as a cadre of that
//!    unit, `--census-rate` a second for `--baseline-secs`, nothing else;
//! 2. every online browser opens `GET /messagerie/flux` (raw HTTP/1.1, one
//!    connection each), and so does the broadcast's author;
//! 3. for `--secs`, the unit channels get `--rate` messages a second in
//!    turn, each posted by a member of the unit through the form and
//!    carrying a unique marker; every stream notes when each marker of its
//!    channel arrives; the census page is fetched meanwhile;
//! 4. at a quarter of the run, `--drop` streams close and reconnect
//!    `--gap-ms` later from the last event id they saw (`Last-Event-ID`
//!    for half of them, `?depuis=` for the other half);
//! 5. at half of the run, the author (`--author`, the demo's crisis
//!    director) broadcasts an urgent message to everyone; once every online
//!    browser has it (or after 10 s), each acknowledges it, spread over
//!    `--ack-secs`, while the author's stream receives the tally.
//!
//! Reported: delivery delay of every (message, member stream) pair from
//! the post being sent, lost and duplicate deliveries (a stream must see
//! each of its channel's messages exactly once, reconnection included),
//! deliveries of another channel's messages, the broadcast's arrival on
//! every online stream, the tally's delay behind each acknowledgement, the
//! census page's latency with and without the load, and the node's memory
//! (`--pid`). All times come from one monotonic clock of this process.
//!
//! Usage: `msg_load --url http://127.0.0.1:PORT --data DIR [--pid PID]
//! [--ckisa PATH] [--accounts 2000] [--online 1000] [--rate 20] [--secs 60]
//! [--drop 100] [--gap-ms 2000] [--ack-secs 10] [--census-rate 10]
//! [--baseline-secs 30] [--author directeur] [--author-password P]
//! [--logins-in-parallel 4] [--csrf-page /messagerie] [--state FILE]
//! [--units A,B] [--no-broadcast]`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ckisa_bench::browser::{self, BenchError, Credentials, EventReader, csrf_field, loopback};
use ckisa_bench::{
    HttpClient, Percentiles, arg, arg_path, cpu_secs, load_average, result_line, rss_mib,
};
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::sync::{Semaphore, oneshot, watch};

/// The issue's target for a message to reach every online member, p99.
const TARGET_MS: f64 = 200.0;

/// The roles of a unit's accounts, by their index in the unit.
fn role_of(index: usize) -> &'static str {
    match index {
        0 => "cadre",
        1..=8 => "medecin",
        _ => "infirmier",
    }
}

fn main() -> Result<(), BenchError> {
    let options = Options::from_args()?;
    let units = unit_codes(&options)?;
    let plan = plan_accounts(&units, options.accounts, options.online);
    println!(
        "node {}, {} units, {} bench accounts ({} online), load average {:.2}",
        options.addr,
        units.len(),
        plan.len(),
        plan.iter().filter(|m| m.online).count(),
        load_average()
    );
    let mut state = ensure_accounts(&options, &plan)?;
    let browsers = log_in_all(&options, &plan, &mut state)?;
    let author = log_in_author(&options)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let run = Run::new(options, units, browsers, author);
    runtime.block_on(run.measure())
}

// ---------------------------------------------------------------------------
// Options.

struct Options {
    addr: SocketAddr,
    data: PathBuf,
    state: PathBuf,
    ckisa: PathBuf,
    units: Vec<String>,
    pid: Option<u32>,
    accounts: usize,
    online: usize,
    rate: f64,
    secs: f64,
    drop: usize,
    gap: Duration,
    ack_secs: f64,
    census_rate: f64,
    baseline_secs: f64,
    author: String,
    author_password: String,
    parallel_logins: usize,
    csrf_page: String,
    broadcast: bool,
    /// The node's memory when this tool started.
    rss_at_start: Option<f64>,
}

impl Options {
    fn from_args() -> Result<Options, BenchError> {
        let url: String = arg("--url", String::new());
        if url.is_empty() {
            return Err("--url http://127.0.0.1:PORT of a running node is required".into());
        }
        let data =
            arg_path("--data").ok_or("--data DIR, the running node's data folder, is required")?;
        let state = arg_path("--state").unwrap_or_else(|| beside(&data, ".msgbench"));
        let units: String = arg("--units", String::new());
        let pid: u32 = arg("--pid", 0);
        let author: String = arg("--author", String::from("directeur"));
        let author_password = arg("--author-password", format!("demo-{author}-2026"));
        let options = Options {
            addr: loopback(&url)?,
            data,
            state,
            ckisa: arg_path("--ckisa").unwrap_or_else(ckisa_bench::ckisa_binary),
            units: units
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
                .collect(),
            pid: (pid > 0).then_some(pid),
            accounts: arg("--accounts", 2000),
            online: arg("--online", 1000),
            rate: arg("--rate", 20.0),
            secs: arg("--secs", 60.0),
            drop: arg("--drop", 100usize),
            gap: Duration::from_millis(arg("--gap-ms", 2000)),
            ack_secs: arg("--ack-secs", 10.0),
            census_rate: arg("--census-rate", 10.0),
            baseline_secs: arg("--baseline-secs", 30.0),
            author,
            author_password,
            parallel_logins: arg("--logins-in-parallel", 4usize).max(1),
            csrf_page: arg("--csrf-page", String::from("/messagerie")),
            broadcast: !std::env::args().any(|a| a == "--no-broadcast"),
            rss_at_start: (pid > 0).then(|| rss_mib(pid)).flatten(),
        };
        if options.online > options.accounts {
            return Err("--online cannot exceed --accounts".into());
        }
        if options.online > 50_000 {
            return Err("--online: at most 50,000 (one loopback address each)".into());
        }
        if options.drop > options.online {
            return Err("--drop cannot exceed --online".into());
        }
        if options.rate <= 0.0 || options.census_rate <= 0.0 || options.secs <= 0.0 {
            return Err("--rate, --census-rate and --secs must be positive".into());
        }
        Ok(options)
    }
}

/// `<dir><suffix>` beside the folder `dir` (as `ckisa` keeps `<data>.key`).
fn beside(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_owned();
    name.push(suffix);
    dir.with_file_name(name)
}

/// The unit codes: `--units`, or the `[[units]]` of the demo's
/// configuration in the data folder.
fn unit_codes(options: &Options) -> Result<Vec<String>, BenchError> {
    if !options.units.is_empty() {
        return Ok(options.units.clone());
    }
    let path = options.data.join("ckisa-demo.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {} ({e}): give the units with --units A,B,...",
            path.display()
        )
    })?;
    let codes = units_of_config(&text);
    if codes.is_empty() {
        return Err(format!("no [[units]] in {}: give --units", path.display()).into());
    }
    Ok(codes)
}

/// The `code` of every `[[units]]` table of a configuration.
fn units_of_config(text: &str) -> Vec<String> {
    let mut codes = Vec::new();
    let mut in_unit = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_unit = line.starts_with("[[units]]");
            continue;
        }
        if in_unit && let Some(value) = line.strip_prefix("code") {
            let value = value.trim_start().trim_start_matches('=').trim();
            if let Some(code) = value.strip_prefix('"').and_then(|v| v.split('"').next()) {
                codes.push(code.to_owned());
                in_unit = false;
            }
        }
    }
    codes
}

// ---------------------------------------------------------------------------
// Accounts.

/// One bench account.
#[derive(Debug, Clone)]
struct Member {
    login: String,
    unit: String,
    role: &'static str,
    online: bool,
}

/// `accounts` accounts spread evenly over `units`, `online` of them (also
/// spread evenly) to log in.
fn plan_accounts(units: &[String], accounts: usize, online: usize) -> Vec<Member> {
    let share =
        |total: usize, unit: usize| total / units.len() + usize::from(unit < total % units.len());
    let mut plan = Vec::with_capacity(accounts);
    for (u, unit) in units.iter().enumerate() {
        let slug: String = unit
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let on = share(online, u);
        for index in 0..share(accounts, u) {
            plan.push(Member {
                login: format!("mb-{slug}-{index:03}"),
                unit: unit.clone(),
                role: role_of(index),
                online: index < on,
            });
        }
    }
    plan
}

/// The password a bench account is given when the node asks for a change.
fn changed_password(login: &str) -> String {
    format!("banc-{login}-messagerie")
}

/// Current passwords of the bench accounts, kept in the state file.
type Passwords = HashMap<String, String>;

/// Imports the planned accounts unless the state file already has them;
/// returns their current passwords.
fn ensure_accounts(options: &Options, plan: &[Member]) -> Result<Passwords, BenchError> {
    if options.state.exists() {
        let passwords = read_state(&options.state)?;
        if let Some(missing) = plan.iter().find(|m| !passwords.contains_key(&m.login)) {
            return Err(format!(
                "{} has no password for {}: the accounts were made for another plan \
                 (use a fresh demo folder, or the same --accounts and units)",
                options.state.display(),
                missing.login
            )
            .into());
        }
        println!(
            "accounts: {} known from {}",
            plan.len(),
            options.state.display()
        );
        return Ok(passwords);
    }
    let work = tempfile::tempdir()?;
    let list = work.path().join("comptes.csv");
    let mut csv = String::from("login;nom;role;unites\n");
    for member in plan {
        csv.push_str(&format!(
            "{};Banc messagerie {};{};{}\n",
            member.login, member.login, member.role, member.unit
        ));
    }
    std::fs::write(&list, csv)?;
    let initial = work.path().join("mots-de-passe.csv");
    let started = Instant::now();
    let output = Command::new(&options.ckisa)
        .args(["users", "import"])
        .arg(&list)
        .arg("--sortie")
        .arg(&initial)
        .arg("--data")
        .arg(&options.data)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", options.ckisa.display()))?;
    if !output.status.success() {
        return Err(format!(
            "ckisa users import failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let passwords = read_state(&initial)?;
    if passwords.len() != plan.len() {
        return Err(format!(
            "ckisa users import created {} accounts of {} (some existed already: use a fresh \
             demo folder):\n{}",
            passwords.len(),
            plan.len(),
            String::from_utf8_lossy(&output.stdout)
        )
        .into());
    }
    write_state(&options.state, &passwords)?;
    println!(
        "accounts: {} imported with `ckisa users import` in {:.1} s; passwords kept in {}",
        passwords.len(),
        started.elapsed().as_secs_f64(),
        options.state.display()
    );
    Ok(passwords)
}

/// `login;password` lines after a header line.
fn read_state(path: &Path) -> Result<Passwords, BenchError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(';'))
        .map(|(login, password)| (login.to_owned(), password.to_owned()))
        .collect())
}

/// Writes the passwords, readable by the owner only.
fn write_state(path: &Path, passwords: &Passwords) -> Result<(), BenchError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut logins: Vec<&String> = passwords.keys().collect();
    logins.sort();
    let mut text = String::from("login;mot_de_passe\n");
    for login in logins {
        text.push_str(&format!("{login};{}\n", passwords[login]));
    }
    let temporary = beside(path, ".new");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    Ok(())
}

/// One logged-in simulated browser.
#[derive(Debug, Clone)]
struct Browser {
    login: String,
    unit: String,
    from: Option<IpAddr>,
    cookie: String,
    csrf: String,
}

impl Browser {
    fn client(&self, addr: SocketAddr) -> std::io::Result<HttpClient> {
        Ok(HttpClient::connect_from(addr, self.from)?.with_header("Cookie", &self.cookie))
    }
}

/// The loopback address of the `n`-th simulated browser: 127.1.x.y.
fn browser_address(n: usize) -> IpAddr {
    let (high, low) = (n / 250, n % 250);
    IpAddr::V4(Ipv4Addr::new(127, 1, high as u8, low as u8 + 1))
}

/// Logs every online account in, `--logins-in-parallel` at a time.
fn log_in_all(
    options: &Options,
    plan: &[Member],
    passwords: &mut Passwords,
) -> Result<Vec<Browser>, BenchError> {
    let online: Vec<&Member> = plan.iter().filter(|m| m.online).collect();
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let shared = Mutex::new(std::mem::take(passwords));
    let results: Mutex<Vec<Option<Browser>>> = Mutex::new(vec![None; online.len()]);
    let failure: Mutex<Option<String>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..options.parallel_logins {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if n >= online.len() || lock(&failure).is_some() {
                        return;
                    }
                    match log_in_one(options, n, online[n], &shared) {
                        Ok(browser) => {
                            lock(&results)[n] = Some(browser);
                            if (n + 1).is_multiple_of(100) {
                                println!(
                                    "  {} logged in after {:.0} s",
                                    n + 1,
                                    started.elapsed().as_secs_f64()
                                );
                            }
                        }
                        Err(error) => {
                            let login = &online[n].login;
                            lock(&failure).get_or_insert(format!("{login}: {error}"));
                        }
                    }
                }
            });
        }
    });
    *passwords = shared.into_inner().unwrap_or_default();
    write_state(&options.state, passwords)?;
    if let Some(error) = failure.into_inner().unwrap_or_default() {
        return Err(error.into());
    }
    let browsers: Vec<Browser> = results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    println!(
        "{} browsers logged in (and CSRF read) in {:.1} s",
        browsers.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(browsers)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Logs the `n`-th online account in from its own address, notes its
/// current password in `passwords` at once, then reads its CSRF token.
fn log_in_one(
    options: &Options,
    n: usize,
    member: &Member,
    passwords: &Mutex<Passwords>,
) -> Result<Browser, BenchError> {
    let password = lock(passwords)
        .get(&member.login)
        .cloned()
        .unwrap_or_default();
    let from = browser_address(n);
    let (cookie, current) = open_session(options.addr, from, member, &password)?;
    lock(passwords).insert(member.login.clone(), current);
    let mut browser = Browser {
        login: member.login.clone(),
        unit: member.unit.clone(),
        from: Some(from),
        cookie,
        csrf: String::new(),
    };
    browser.csrf = read_csrf(options, &browser)?;
    Ok(browser)
}

/// Opens a session for `member` (changing its password if the node asks;
/// trying the changed one if an earlier run changed it but could not note
/// it); returns the cookie and the current password.
fn open_session(
    addr: SocketAddr,
    from: IpAddr,
    member: &Member,
    password: &str,
) -> Result<(String, String), BenchError> {
    let changed = changed_password(&member.login);
    let mut who = Credentials {
        addr,
        from: Some(from),
        login: &member.login,
        password,
        new_password: &changed,
        next: "/messagerie",
    };
    let mut session = browser::log_in(&who)?;
    if session.is_none() && password != changed {
        who.password = &changed;
        session = browser::log_in(&who)?;
    }
    let session = session.ok_or("password refused")?;
    let current = if session.changed_password {
        changed
    } else {
        who.password.to_owned()
    };
    Ok((session.cookie, current))
}

/// The CSRF token of the session, from `--csrf-page` (the messaging home
/// page by default).
fn read_csrf(options: &Options, browser: &Browser) -> Result<String, BenchError> {
    let path = &options.csrf_page;
    let page = browser.client(options.addr)?.get(path)?;
    if page.status != 200 {
        return Err(format!("GET {path} as {}: HTTP {}", browser.login, page.status).into());
    }
    Ok(csrf_field(&String::from_utf8_lossy(&page.body))
        .ok_or_else(|| format!("no CSRF field on {path} for {}", browser.login))?)
}

/// The broadcast's author, logged in from 127.0.0.1.
fn log_in_author(options: &Options) -> Result<Browser, BenchError> {
    let who = Credentials {
        addr: options.addr,
        from: None,
        login: &options.author,
        password: &options.author_password,
        new_password: "",
        next: "/messagerie",
    };
    let session = browser::log_in(&who)?
        .ok_or_else(|| format!("login of the author {} refused", options.author))?;
    let mut author = Browser {
        login: options.author.clone(),
        unit: String::new(),
        from: None,
        cookie: session.cookie,
        csrf: String::new(),
    };
    author.csrf = read_csrf(options, &author)?;
    Ok(author)
}

// ---------------------------------------------------------------------------
// The run.

/// A message as posted.
#[derive(Debug, Clone, Copy)]
struct Sent {
    unit: usize,
    at: Instant,
    answered: Instant,
    ok: bool,
}

/// One timed request: when it started, how long it took, its status.
#[derive(Debug, Clone, Copy)]
struct Timed {
    at: Instant,
    took: Duration,
    status: u16,
}

/// What one stream saw.
#[derive(Debug, Default)]
struct StreamLog {
    /// When each connection's answer head arrived.
    ready: Vec<Instant>,
    /// When each connection was asked for.
    connecting: Vec<Instant>,
    /// Messages of this run: (message number, message id, arrival,
    /// connection number).
    messages: Vec<(usize, String, Instant, usize)>,
    /// The first `diffusion` event of the broadcast.
    broadcast: Option<Instant>,
    /// Later `diffusion` events of it (its line, updated).
    broadcast_updates: usize,
    /// `decompte` events of the broadcast: arrival and acknowledgements.
    tallies: Vec<(Instant, usize)>,
    /// Events received, all kinds.
    events: usize,
    /// Last event id seen.
    last_seq: Option<u64>,
    /// How it ended, if not by the stop signal.
    error: Option<String>,
}

/// How a dropped stream resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resume {
    Header,
    Query,
}

struct Run {
    addr: SocketAddr,
    pid: Option<u32>,
    units: Vec<String>,
    browsers: Vec<Browser>,
    author: Browser,
    /// Marker prefix of this run's texts.
    tag: String,
    /// Marker of the broadcast's text.
    broadcast_marker: String,
    rate: f64,
    secs: f64,
    drop: usize,
    gap: Duration,
    ack_secs: f64,
    census_rate: f64,
    baseline_secs: f64,
    with_broadcast: bool,
    rss_at_start: Option<f64>,
    /// Streams whose answer head arrived, first connections.
    opened: AtomicUsize,
    /// Why streams could not open.
    refused: Mutex<Vec<String>>,
    /// Online streams that have the broadcast.
    reached: AtomicUsize,
    census: usize,
}

impl Run {
    fn new(options: Options, units: Vec<String>, browsers: Vec<Browser>, author: Browser) -> Run {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // The census reader: the first browser of the first unit (its cadre).
        let census = browsers
            .iter()
            .position(|b| b.unit == units[0])
            .unwrap_or(0);
        let tag = format!("mb{:05x}", seconds % 0x10_0000);
        Run {
            addr: options.addr,
            pid: options.pid,
            units,
            browsers,
            author,
            broadcast_marker: format!("{tag}-diffusion"),
            tag,
            rate: options.rate,
            secs: options.secs,
            drop: options.drop,
            gap: options.gap,
            ack_secs: options.ack_secs,
            census_rate: options.census_rate,
            baseline_secs: options.baseline_secs,
            with_broadcast: options.broadcast,
            rss_at_start: options.rss_at_start,
            opened: AtomicUsize::new(0),
            refused: Mutex::new(Vec::new()),
            reached: AtomicUsize::new(0),
            census,
        }
    }

    fn rss(&self) -> Option<f64> {
        self.pid.and_then(rss_mib)
    }

    async fn measure(self) -> Result<(), BenchError> {
        let run = Arc::new(self);
        let mut memory = vec![
            ("at the start", run.rss_at_start),
            ("after logins, no stream", run.rss()),
        ];

        let reader = &run.browsers[run.census];
        println!(
            "baseline: census page GET /unites/{} as {}, {}/s for {:.0} s, no stream open",
            reader.unit, reader.login, run.census_rate, run.baseline_secs
        );
        let (stop_census, census_stopped) = watch::channel(false);
        let census = tokio::spawn(Arc::clone(&run).census(census_stopped));
        tokio::time::sleep(Duration::from_secs_f64(run.baseline_secs)).await;
        stop_census.send_replace(true);
        let baseline = census.await??;

        let (stop, stopped) = watch::channel(false);
        let (listeners, drops) = run.open_streams(&stopped).await?;
        memory.push(("streams open", run.rss()));

        let (stop_census, census_stopped) = watch::channel(false);
        let census = tokio::spawn(Arc::clone(&run).census(census_stopped));
        let load_start = Instant::now();
        let cpu_before = run.pid.and_then(cpu_secs);
        let sender = tokio::spawn(Arc::clone(&run).send_messages());
        let dropper = tokio::spawn(Arc::clone(&run).drop_streams(drops));
        tokio::time::sleep(Duration::from_secs_f64(run.secs / 2.0)).await;
        let broadcast = if run.with_broadcast {
            Arc::clone(&run).broadcast().await?
        } else {
            BroadcastRun::default()
        };
        let sent = sender.await??;
        let load_end = Instant::now();
        let cpu_used = run
            .pid
            .and_then(cpu_secs)
            .zip(cpu_before)
            .map(|(after, before)| after - before);
        if let Some(cpu) = cpu_used {
            let wall = (load_end - load_start).as_secs_f64();
            println!(
                "node CPU over the load: {cpu:.1} s in {wall:.1} s ({:.0} % of one core)",
                cpu / wall * 100.0
            );
        }
        dropper.await?;
        stop_census.send_replace(true);
        let during = census.await??;
        println!("load done; waiting 5 s for late deliveries");
        tokio::time::sleep(Duration::from_secs(5)).await;
        memory.push(("after the load, streams open", run.rss()));
        stop.send_replace(true);
        let mut logs = Vec::with_capacity(listeners.len());
        for listener in listeners {
            logs.push(listener.await?);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        memory.push(("streams closed", run.rss()));

        let census = CensusFigures {
            baseline,
            during,
            load: (load_start, load_end),
            broadcast: broadcast.sent.map(|sent| (sent.at, broadcast.acks_done)),
        };
        run.report(&sent, &logs, &broadcast, &census, &memory);
        Ok(())
    }

    /// Opens every stream (64 opening at a time) and waits until each has
    /// its answer head. Returns the listeners (the author's last) and the
    /// drop orders of the streams to drop.
    async fn open_streams(
        self: &Arc<Self>,
        stopped: &watch::Receiver<bool>,
    ) -> Result<
        (
            Vec<tokio::task::JoinHandle<StreamLog>>,
            Vec<oneshot::Sender<()>>,
        ),
        BenchError,
    > {
        let opening = Instant::now();
        let gate = Arc::new(Semaphore::new(64));
        let every = (self.browsers.len() / self.drop.max(1)).max(1);
        let mut drops = Vec::new();
        let mut listeners = Vec::with_capacity(self.browsers.len() + 1);
        for n in 0..=self.browsers.len() {
            let dropped = if n < self.browsers.len()
                && self.drop > 0
                && n % every == every / 2
                && drops.len() < self.drop
            {
                let (order, ordered) = oneshot::channel();
                let resume = if drops.len() % 2 == 0 {
                    Resume::Header
                } else {
                    Resume::Query
                };
                drops.push(order);
                Some((ordered, resume))
            } else {
                None
            };
            let run = Arc::clone(self);
            let stopped = stopped.clone();
            let gate = Arc::clone(&gate);
            listeners.push(tokio::spawn(async move {
                run.listen(n, gate, stopped, dropped).await
            }));
        }
        while self.opened.load(Ordering::SeqCst) < listeners.len() {
            if opening.elapsed() > Duration::from_secs(120) {
                return Err(format!(
                    "only {} of {} streams open after 120 s",
                    self.opened.load(Ordering::SeqCst),
                    listeners.len()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let refused = lock(&self.refused);
        if let Some(first) = refused.first() {
            return Err(format!("{} streams could not open; first: {first}", refused.len()).into());
        }
        drop(refused);
        println!(
            "{} streams open (answer head read) in {:.2} s",
            listeners.len(),
            opening.elapsed().as_secs_f64()
        );
        Ok((listeners, drops))
    }

    /// The browser of stream `n` (the author after the online browsers).
    fn browser(&self, n: usize) -> &Browser {
        self.browsers.get(n).unwrap_or(&self.author)
    }

    /// One stream, until the stop signal; closes and resumes once if told.
    async fn listen(
        self: Arc<Self>,
        n: usize,
        gate: Arc<Semaphore>,
        mut stopped: watch::Receiver<bool>,
        mut dropped: Option<(oneshot::Receiver<()>, Resume)>,
    ) -> StreamLog {
        let mut log = StreamLog::default();
        let browser = self.browser(n);
        let mut resume = None;
        loop {
            let permit = if log.ready.is_empty() {
                gate.acquire().await.ok()
            } else {
                None
            };
            let path = match resume {
                Some((seq, Resume::Query)) => format!("/messagerie/flux?depuis={seq}"),
                _ => String::from("/messagerie/flux"),
            };
            let header = match resume {
                Some((seq, Resume::Header)) => Some(seq),
                _ => None,
            };
            log.connecting.push(Instant::now());
            let tcp =
                browser::open_stream(self.addr, browser.from, &path, &browser.cookie, header).await;
            let tcp = match tcp {
                Ok(tcp) => tcp,
                Err(error) => {
                    self.fail(&mut log, format!("connect: {error}"));
                    return log;
                }
            };
            let outcome = self
                .read_stream(n, tcp, &mut log, permit, &mut stopped, &mut dropped)
                .await;
            match outcome {
                Ok(true) => {
                    let how = dropped.take().map_or(Resume::Header, |(_, how)| how);
                    tokio::time::sleep(self.gap).await;
                    // A stream that saw nothing yet starts afresh.
                    resume = log.last_seq.map(|seq| (seq, how));
                }
                Ok(false) => return log,
                Err(error) => {
                    self.fail(&mut log, error);
                    return log;
                }
            }
        }
    }

    /// Reads one connection of stream `n` until the stop signal
    /// (`Ok(false)`), its drop order (`Ok(true)`, the connection closed)
    /// or an error; releases `permit` once the answer head is read.
    async fn read_stream(
        &self,
        n: usize,
        mut tcp: tokio::net::TcpStream,
        log: &mut StreamLog,
        mut permit: Option<tokio::sync::SemaphorePermit<'_>>,
        stopped: &mut watch::Receiver<bool>,
        dropped: &mut Option<(oneshot::Receiver<()>, Resume)>,
    ) -> Result<bool, String> {
        let mut reader = EventReader::default();
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            let read = tokio::select! {
                read = tcp.read(&mut buffer) => read,
                _ = stopped.changed() => return Ok(false),
                () = drop_order(dropped) => return Ok(true),
            };
            let now = Instant::now();
            let read = match read {
                Ok(0) => return Err("the node closed the stream".to_owned()),
                Ok(read) => read,
                Err(error) => return Err(format!("read: {error}")),
            };
            let was_open = reader.is_open();
            let events = reader.feed(&buffer[..read]).map_err(|e| e.to_string())?;
            if !was_open && reader.is_open() {
                if log.ready.is_empty() {
                    self.opened.fetch_add(1, Ordering::SeqCst);
                }
                log.ready.push(now);
                permit.take();
            }
            for raw in events {
                self.note(n, log, &raw, now);
            }
        }
    }

    /// Notes how a stream ended early; one that never opened is counted
    /// as done opening, and its error kept for [`Run::open_streams`].
    fn fail(&self, log: &mut StreamLog, error: String) {
        if log.ready.is_empty() {
            lock(&self.refused).push(error.clone());
            self.opened.fetch_add(1, Ordering::SeqCst);
        }
        log.error = Some(error);
    }

    /// Notes one event of stream `n`.
    fn note(&self, n: usize, log: &mut StreamLog, raw: &[u8], now: Instant) {
        let event = browser::Event::parse(raw);
        if event.name != "messagerie" {
            return;
        }
        log.events += 1;
        if event.id.is_some() {
            log.last_seq = event.id;
        }
        // Markers are plain ASCII, so they read the same in the JSON text:
        // only a tally needs the JSON decoded.
        let data = event.data.as_str();
        match string_field(data, "type") {
            Some("message") => {
                if let Some(number) = marker_number(data, &self.tag) {
                    let id = string_field(data, "id").unwrap_or_default().to_owned();
                    log.messages
                        .push((number, id, now, log.ready.len().saturating_sub(1)));
                }
            }
            Some("diffusion") if data.contains(&self.broadcast_marker) => {
                if log.broadcast.is_none() {
                    log.broadcast = Some(now);
                    if n < self.browsers.len() {
                        self.reached.fetch_add(1, Ordering::SeqCst);
                    }
                } else {
                    log.broadcast_updates += 1;
                }
            }
            Some("decompte") => {
                let json: Value = serde_json::from_str(data).unwrap_or_default();
                if let Some(count) = acknowledged_in(json["html"].as_str().unwrap_or_default()) {
                    log.tallies.push((now, count));
                }
            }
            _ => {}
        }
    }

    /// Posts `rate` messages a second for `secs`, to the units in turn,
    /// each by the unit's first online browser.
    async fn send_messages(self: Arc<Self>) -> Result<Vec<Option<Sent>>, BenchError> {
        let mut senders = Vec::with_capacity(self.units.len());
        for unit in &self.units {
            let browser = self
                .browsers
                .iter()
                .find(|b| &b.unit == unit)
                .ok_or_else(|| format!("no online browser in unit {unit}"))?;
            senders.push(Arc::new(Mutex::new(browser.client(self.addr)?)));
        }
        let count = (self.rate * self.secs).round() as usize;
        let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / self.rate));
        let mut posts = Vec::with_capacity(count);
        for i in 0..count {
            ticker.tick().await;
            let unit = i % self.units.len();
            let client = Arc::clone(&senders[unit]);
            let run = Arc::clone(&self);
            posts.push(tokio::task::spawn_blocking(move || {
                run.post(i, unit, &client)
            }));
        }
        let mut sent = Vec::with_capacity(count);
        let mut failures = 0;
        for post in posts {
            let one = post.await?;
            failures += usize::from(one.is_none_or(|s| !s.ok));
            sent.push(one);
        }
        if failures > 0 {
            println!("{failures} posts of {count} failed");
        }
        Ok(sent)
    }

    /// Posts message `i` to `unit`'s channel.
    fn post(&self, i: usize, unit: usize, client: &Mutex<HttpClient>) -> Option<Sent> {
        let browser = self.browsers.iter().find(|b| b.unit == self.units[unit])?;
        let text = format!(
            "Banc {}-{i:06} : lit {} libéré, brancardage <urgent> & point à 14 h",
            self.tag,
            i % 40 + 1
        );
        let path = format!("/messagerie/canal/unite:{}/envoyer", self.units[unit]);
        let mut client = lock(client);
        let at = Instant::now();
        let answer = client.post_form(&path, &[("csrf", &browser.csrf), ("texte", &text)]);
        let answered = Instant::now();
        let ok = matches!(&answer, Ok(a) if a.status == 303);
        if !ok {
            let status = answer.map_or_else(|e| e.to_string(), |a| a.status.to_string());
            eprintln!("POST {path}: {status}");
        }
        Some(Sent {
            unit,
            at,
            answered,
            ok,
        })
    }

    /// At a quarter of the run, sends the drop orders.
    async fn drop_streams(self: Arc<Self>, drops: Vec<oneshot::Sender<()>>) {
        tokio::time::sleep(Duration::from_secs_f64(self.secs / 4.0)).await;
        println!(
            "dropping {} streams, resuming {} ms later",
            drops.len(),
            self.gap.as_millis()
        );
        for order in drops {
            let _ = order.send(());
        }
    }

    /// Fetches the census page `census_rate` times a second until stopped.
    async fn census(
        self: Arc<Self>,
        mut stopped: watch::Receiver<bool>,
    ) -> Result<Vec<Timed>, BenchError> {
        let browser = &self.browsers[self.census];
        let path = format!("/unites/{}", ckisa_bench::encode_path(&browser.unit));
        let client = Arc::new(Mutex::new(browser.client(self.addr)?));
        let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / self.census_rate));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut samples = Vec::new();
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stopped.changed() => return Ok(samples),
            }
            let (client, path) = (Arc::clone(&client), path.clone());
            let sample = tokio::task::spawn_blocking(move || {
                let at = Instant::now();
                let status = lock(&client).get(&path).map_or(0, |a| a.status);
                Timed {
                    at,
                    took: at.elapsed(),
                    status,
                }
            })
            .await?;
            samples.push(sample);
        }
    }

    /// Sends the broadcast, waits until every online stream has it (10 s
    /// at most), then has every online browser acknowledge it.
    async fn broadcast(self: Arc<Self>) -> Result<BroadcastRun, BenchError> {
        let (sent, id) = Arc::clone(&self).send_broadcast().await?;
        println!(
            "broadcast {id} sent ({:.1} ms)",
            (sent.answered - sent.at).as_secs_f64() * 1000.0
        );

        let waiting = Instant::now();
        while self.reached.load(Ordering::SeqCst) < self.browsers.len()
            && waiting.elapsed() < Duration::from_secs(10)
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        println!(
            "broadcast on {} of {} online streams after {:.0} ms; acknowledging over {} s",
            self.reached.load(Ordering::SeqCst),
            self.browsers.len(),
            (Instant::now() - sent.at).as_secs_f64() * 1000.0,
            self.ack_secs
        );

        let acks = self.acknowledge_all(&id).await?;
        Ok(BroadcastRun {
            sent: Some(sent),
            acks,
            acks_done: Instant::now(),
        })
    }

    /// The author posts the broadcast to everyone; returns when it was sent
    /// and answered, and its id (from the page it leads to).
    async fn send_broadcast(self: Arc<Self>) -> Result<(Sent, String), BenchError> {
        let text = format!(
            "{} : bascule en mode dégradé, appliquez la fiche réflexe n° 3 et accusez réception",
            self.broadcast_marker
        );
        let (sent, location) = tokio::task::spawn_blocking(move || -> Result<_, BenchError> {
            let author = &self.author;
            let mut client = author.client(self.addr)?;
            let at = Instant::now();
            let answer = client.post_form(
                "/messagerie/diffusions/nouvelle",
                &[
                    ("csrf", &author.csrf),
                    ("texte", &text),
                    ("priorite", "urgent"),
                    ("tous", "1"),
                ],
            )?;
            let answered = Instant::now();
            if answer.status != 303 {
                let status = answer.status;
                return Err(format!("POST /messagerie/diffusions/nouvelle: HTTP {status}").into());
            }
            let location = answer.header("location").unwrap_or_default().to_owned();
            let sent = Sent {
                unit: usize::MAX,
                at,
                answered,
                ok: true,
            };
            Ok((sent, location))
        })
        .await??;
        let id = location
            .strip_prefix("/messagerie/diffusions/")
            .filter(|id| !id.is_empty() && !id.contains('/'))
            .map(percent_decoded)
            .ok_or_else(|| format!("the broadcast went to {location:?}, not to its page"))?;
        Ok((sent, id))
    }

    /// Every online browser acknowledges broadcast `id`, evenly spread
    /// over `ack_secs`; prints the node's CPU meanwhile.
    async fn acknowledge_all(self: &Arc<Self>, id: &str) -> Result<Vec<Timed>, BenchError> {
        let start = Instant::now();
        let cpu_before = self.pid.and_then(cpu_secs);
        let step = Duration::from_secs_f64(self.ack_secs / self.browsers.len().max(1) as f64);
        let mut handles = Vec::with_capacity(self.browsers.len());
        for n in 0..self.browsers.len() {
            tokio::time::sleep_until((start + step * n as u32).into()).await;
            let run = Arc::clone(self);
            let id = id.to_owned();
            handles.push(tokio::task::spawn_blocking(move || run.acknowledge(n, &id)));
        }
        let mut acks = Vec::with_capacity(handles.len());
        for handle in handles {
            acks.push(handle.await?);
        }
        if let Some((after, before)) = self.pid.and_then(cpu_secs).zip(cpu_before) {
            let wall = start.elapsed().as_secs_f64();
            println!(
                "node CPU over the acknowledgements: {:.1} s in {wall:.1} s ({:.0} % of one core)",
                after - before,
                (after - before) / wall * 100.0
            );
        }
        Ok(acks)
    }

    /// Browser `n` acknowledges broadcast `id` (a new connection).
    fn acknowledge(&self, n: usize, id: &str) -> Timed {
        let browser = &self.browsers[n];
        let path = format!("/messagerie/diffusions/{id}/accuser");
        let at = Instant::now();
        let status = browser
            .client(self.addr)
            .and_then(|mut client| client.post_form(&path, &[("csrf", &browser.csrf)]))
            .map_or(0, |a| a.status);
        Timed {
            at,
            took: at.elapsed(),
            status,
        }
    }
}

/// Resolves when the stream's drop order comes; never if it has none.
async fn drop_order(dropped: &mut Option<(oneshot::Receiver<()>, Resume)>) {
    if let Some((order, _)) = dropped
        && order.await.is_ok()
    {
        return;
    }
    std::future::pending().await
}

/// The broadcast and its acknowledgements (none with `--no-broadcast`).
struct BroadcastRun {
    sent: Option<Sent>,
    acks: Vec<Timed>,
    acks_done: Instant,
}

impl Default for BroadcastRun {
    fn default() -> BroadcastRun {
        BroadcastRun {
            sent: None,
            acks: Vec::new(),
            acks_done: Instant::now(),
        }
    }
}

/// `text` with its `%XX` escapes decoded (ids in a `Location` header).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The number in the first `<tag>-NNNNNN` marker of `html`.
fn marker_number(html: &str, tag: &str) -> Option<usize> {
    let prefix = format!("{tag}-");
    let at = html.find(&prefix)? + prefix.len();
    let digits: String = html[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The value of `"name":"..."` in one-line JSON, for values without
/// escapes (types, ids).
fn string_field<'a>(json: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("\"{name}\":\"");
    let start = json.find(&key)? + key.len();
    json[start..].split('"').next()
}

/// Acknowledgements in a tally fragment: the sum of its
/// `<td class="acknowledged">` cells (one row per unit).
fn acknowledged_in(html: &str) -> Option<usize> {
    let marker = "<td class=\"acknowledged\">";
    let mut total = None;
    for cell in html.split(marker).skip(1) {
        let digits: String = cell.chars().take_while(char::is_ascii_digit).collect();
        *total.get_or_insert(0) += digits.parse::<usize>().ok()?;
    }
    total
}

// ---------------------------------------------------------------------------
// Figures.

struct CensusFigures {
    baseline: Vec<Timed>,
    during: Vec<Timed>,
    load: (Instant, Instant),
    broadcast: Option<(Instant, Instant)>,
}

/// Delivery accounting over every (message, member stream) pair.
#[derive(Default)]
struct Deliveries {
    /// Pairs delivered on the connection open when the post was sent:
    /// when it was sent, and the delay.
    live: Vec<(Instant, Duration)>,
    replayed: Vec<Duration>,
    /// From the stream's reconnection (connect called) to a replayed
    /// message's arrival.
    replay_after_resume: Vec<Duration>,
    expected: usize,
    lost: usize,
    duplicates: usize,
    /// A marker seen under two message ids: the post was made twice.
    posted_twice: usize,
    foreign: usize,
    lost_on_resumed: usize,
    duplicates_on_resumed: usize,
}

impl Run {
    fn deliveries(&self, sent: &[Option<Sent>], logs: &[StreamLog]) -> Deliveries {
        let mut figures = Deliveries::default();
        for (n, log) in logs.iter().enumerate().take(self.browsers.len()) {
            let unit = self.units.iter().position(|u| *u == self.browsers[n].unit);
            let mut seen: HashMap<usize, Vec<(&str, Instant, usize)>> = HashMap::new();
            for (number, id, at, connection) in &log.messages {
                seen.entry(*number)
                    .or_default()
                    .push((id, *at, *connection));
            }
            let resumed = log.ready.len() > 1;
            for (number, post) in sent.iter().enumerate() {
                let Some(post) = post.filter(|p| p.ok) else {
                    continue;
                };
                let arrivals = seen.remove(&number).unwrap_or_default();
                if Some(post.unit) != unit {
                    figures.foreign += arrivals.len();
                    continue;
                }
                figures.expected += 1;
                let Some(&(first_id, at, connection)) = arrivals.first() else {
                    figures.lost += 1;
                    figures.lost_on_resumed += usize::from(resumed);
                    continue;
                };
                let same = arrivals.iter().filter(|(id, ..)| *id == first_id).count();
                figures.duplicates += same - 1;
                figures.duplicates_on_resumed += if resumed { same - 1 } else { 0 };
                figures.posted_twice += usize::from(same < arrivals.len());
                let ready = log.ready[connection];
                if connection > 0 && post.at < ready {
                    figures.replayed.push(at.saturating_duration_since(post.at));
                    let asked = log.connecting[connection];
                    figures
                        .replay_after_resume
                        .push(at.saturating_duration_since(asked));
                } else {
                    figures
                        .live
                        .push((post.at, at.saturating_duration_since(post.at)));
                }
            }
            // Markers of this run that match no post made.
            figures.foreign += seen.values().map(Vec::len).sum::<usize>();
        }
        figures
    }

    fn report(
        &self,
        sent: &[Option<Sent>],
        logs: &[StreamLog],
        broadcast: &BroadcastRun,
        census: &CensusFigures,
        memory: &[(&str, Option<f64>)],
    ) {
        println!();
        let messages = self.report_messages(sent, logs, census.broadcast);
        let cast = self
            .with_broadcast
            .then(|| self.report_broadcast(logs, broadcast));
        let pages = report_census(census);
        for (when, rss) in memory {
            if let Some(rss) = rss {
                println!("node memory (VmRSS), {when}: {rss:.1} MiB");
            }
        }
        println!("load average at the end: {:.2}", load_average());

        println!();
        println!("| Figure | p50 | p99 | max | n | Target | Ratio |");
        println!("|---|---:|---:|---:|---:|---|---|");
        let d = &messages.deliveries;
        table_row(
            "message to each online member (live pairs)",
            &messages.live,
            "< 200 ms p99",
            ratio(messages.live.p99),
        );
        if self.with_broadcast {
            table_row(
                "  posted outside the broadcast window",
                &messages.calm,
                "< 200 ms p99",
                ratio(messages.calm.p99),
            );
            table_row(
                "  posted during the broadcast and acknowledgements",
                &messages.busy,
                "< 200 ms p99",
                ratio(messages.busy.p99),
            );
        }
        table_row(
            "message missed while away, from the reconnection",
            &messages.resume,
            "exactly once",
            format!(
                "lost {}, dup. {}",
                d.lost_on_resumed, d.duplicates_on_resumed
            ),
        );
        if let Some(cast) = &cast {
            table_row(
                "broadcast to every online browser",
                &cast.reach,
                "< 200 ms p99",
                ratio(cast.reach.p99),
            );
            table_row(
                "tally on the author's stream after an acknowledgement",
                &cast.tally,
                "live",
                String::from("-"),
            );
        }
        let slowed = |p: &Percentiles| format!("{:.2}x baseline p99", p.p99 / pages.baseline.p99);
        table_row(
            "census page, no load",
            &pages.baseline,
            "not slowed",
            String::from("-"),
        );
        table_row(
            "census page, message load (outside the broadcast window)",
            &pages.load,
            "not slowed",
            slowed(&pages.load),
        );
        if self.with_broadcast {
            table_row(
                "census page, broadcast and acknowledgements",
                &pages.broadcast,
                "not slowed",
                slowed(&pages.broadcast),
            );
        }

        println!("{}", result_line("msg_fanout_p50", messages.live.p50, "ms"));
        println!("{}", result_line("msg_fanout_p99", messages.live.p99, "ms"));
        println!("{}", result_line("msg_fanout_max", messages.live.max, "ms"));
        println!("{}", result_line("msg_lost", d.lost as f64, "pairs"));
        println!(
            "{}",
            result_line("msg_duplicates", d.duplicates as f64, "pairs")
        );
        if let Some(cast) = &cast {
            println!("{}", result_line("msg_broadcast_p99", cast.reach.p99, "ms"));
            println!("{}", result_line("msg_tally_p99", cast.tally.p99, "ms"));
        }
        println!(
            "{}",
            result_line("msg_census_baseline_p99", pages.baseline.p99, "ms")
        );
        println!(
            "{}",
            result_line("msg_census_load_p99", pages.load.p99, "ms")
        );
    }

    /// Prints the posts and their deliveries.
    fn report_messages(
        &self,
        sent: &[Option<Sent>],
        logs: &[StreamLog],
        broadcast: Option<(Instant, Instant)>,
    ) -> MessageFigures {
        let posted: Vec<Sent> = sent.iter().flatten().copied().filter(|s| s.ok).collect();
        let mut post_times: Vec<Duration> = posted.iter().map(|s| s.answered - s.at).collect();
        let posts = Percentiles::of(&mut post_times);
        let span = match (posted.first(), posted.last()) {
            (Some(first), Some(last)) => (last.at - first.at).as_secs_f64(),
            _ => 0.0,
        };
        println!(
            "posted {} of {} messages over {:.1} s ({:.1}/s); POST answered: {}",
            posted.len(),
            sent.len(),
            span,
            posted.len() as f64 / span.max(f64::EPSILON),
            posts.describe()
        );
        let errors: Vec<&String> = logs.iter().filter_map(|l| l.error.as_ref()).collect();
        if let Some(first) = errors.first() {
            println!("{} streams ended early, first: {first}", errors.len());
        }
        let events: usize = logs.iter().map(|l| l.events).sum();
        println!("events received over all streams: {events}");

        let mut deliveries = self.deliveries(sent, logs);
        let live = Percentiles::of(&mut delays(&deliveries.live, |_| true));
        let (calm, busy) = match broadcast {
            Some((from, to)) => {
                let during = |at: Instant| at >= from && at <= to;
                (
                    Percentiles::of(&mut delays(&deliveries.live, |at| !during(at))),
                    Percentiles::of(&mut delays(&deliveries.live, during)),
                )
            }
            None => (live, Percentiles::of(&mut [])),
        };
        let replayed = Percentiles::of(&mut deliveries.replayed);
        let resume = Percentiles::of(&mut deliveries.replay_after_resume);
        let d = &deliveries;
        println!("message to member stream, live: {}", live.describe());
        if broadcast.is_some() {
            println!("  posted outside the broadcast window: {}", calm.describe());
            println!(
                "  posted from the broadcast to the last acknowledgement: {}",
                busy.describe()
            );
        }
        print_timeline(&deliveries.live);
        println!(
            "pairs {}, lost {}, duplicates {}, other channels' messages {}, posts seen under two ids {}",
            d.expected, d.lost, d.duplicates, d.foreign, d.posted_twice
        );
        let resumed = logs.iter().filter(|l| l.ready.len() > 1).count();
        println!(
            "reconnection: {resumed} streams resumed; {} messages sent while they were away came \
             back {} ms p50 / {} ms p99 after the reconnection began ({} ms max from the post); \
             lost {}, duplicates {}",
            replayed.count,
            fmt_ms(resume.p50),
            fmt_ms(resume.p99),
            fmt_ms(replayed.max),
            d.lost_on_resumed,
            d.duplicates_on_resumed
        );
        MessageFigures {
            live,
            calm,
            busy,
            resume,
            deliveries,
        }
    }

    /// Prints the broadcast's arrival, the acknowledgements and the tally.
    fn report_broadcast(&self, logs: &[StreamLog], broadcast: &BroadcastRun) -> BroadcastFigures {
        let (mut arrivals, missing, extra) = self.broadcast_arrivals(logs, broadcast.sent);
        let reach = Percentiles::of(&mut arrivals);
        println!(
            "broadcast to every online browser: {}; missing {missing}; later `diffusion` events \
             of it (its line updated) {extra}",
            reach.describe()
        );
        let (mut tally, final_count, ok_acks, mut ack_times) = self.tally(logs, broadcast);
        let tally = Percentiles::of(&mut tally);
        let acks = Percentiles::of(&mut ack_times);
        println!(
            "acknowledgements: {ok_acks} of {} answered 303, POST {}",
            broadcast.acks.len(),
            acks.describe()
        );
        println!(
            "tally on the author's stream, from each acknowledgement sent: {}; the last tally \
             shows {} acknowledged",
            tally.describe(),
            final_count.map_or_else(|| "none".to_owned(), |c| c.to_string())
        );
        BroadcastFigures { reach, tally }
    }

    /// Delay from the broadcast sent to its first `diffusion` event on each
    /// online stream; how many never got it; how many more came after.
    fn broadcast_arrivals(
        &self,
        logs: &[StreamLog],
        sent: Option<Sent>,
    ) -> (Vec<Duration>, usize, usize) {
        let mut arrivals = Vec::new();
        let (mut missing, mut extra) = (0, 0);
        let Some(sent) = sent.map(|s| s.at) else {
            return (arrivals, missing, extra);
        };
        for log in logs.iter().take(self.browsers.len()) {
            match log.broadcast {
                Some(at) => arrivals.push(at.saturating_duration_since(sent)),
                None => missing += 1,
            }
            extra += log.broadcast_updates;
        }
        (arrivals, missing, extra)
    }

    /// For the k-th acknowledgement sent (in order of sending), the delay
    /// until the author's stream first shows k acknowledgements; the last
    /// count shown; acknowledgements answered 303; their POST times.
    fn tally(
        &self,
        logs: &[StreamLog],
        broadcast: &BroadcastRun,
    ) -> (Vec<Duration>, Option<usize>, usize, Vec<Duration>) {
        let tallies = logs
            .last()
            .map(|l| l.tallies.as_slice())
            .unwrap_or_default();
        let mut sent: Vec<Instant> = broadcast
            .acks
            .iter()
            .filter(|a| a.status == 303)
            .map(|a| a.at)
            .collect();
        sent.sort();
        let mut delays = Vec::with_capacity(sent.len());
        for (k, at) in sent.iter().enumerate() {
            if let Some((shown, _)) = tallies.iter().find(|(_, count)| *count > k) {
                delays.push(shown.saturating_duration_since(*at));
            }
        }
        let times = broadcast.acks.iter().map(|a| a.took).collect();
        (delays, tallies.last().map(|t| t.1), sent.len(), times)
    }
}

/// Delivery figures of the messages.
struct MessageFigures {
    live: Percentiles,
    /// Posted outside the broadcast window.
    calm: Percentiles,
    /// Posted from the broadcast to the last acknowledgement.
    busy: Percentiles,
    resume: Percentiles,
    deliveries: Deliveries,
}

/// Figures of the broadcast.
struct BroadcastFigures {
    reach: Percentiles,
    tally: Percentiles,
}

/// The census page's latency in each phase.
struct PageFigures {
    baseline: Percentiles,
    load: Percentiles,
    broadcast: Percentiles,
}

/// Prints the census page's latency in each phase.
fn report_census(census: &CensusFigures) -> PageFigures {
    let in_broadcast = |at: Instant| {
        census
            .broadcast
            .is_some_and(|(from, to)| at >= from && at <= to)
    };
    let mut baseline: Vec<Duration> = census.baseline.iter().map(|t| t.took).collect();
    let (mut load, mut broadcast): (Vec<Duration>, Vec<Duration>) = (Vec::new(), Vec::new());
    for sample in census
        .during
        .iter()
        .filter(|t| t.at >= census.load.0 && t.at <= census.load.1)
    {
        if in_broadcast(sample.at) {
            broadcast.push(sample.took);
        } else {
            load.push(sample.took);
        }
    }
    let figures = PageFigures {
        baseline: Percentiles::of(&mut baseline),
        load: Percentiles::of(&mut load),
        broadcast: Percentiles::of(&mut broadcast),
    };
    println!("census page, baseline: {}", figures.baseline.describe());
    println!(
        "census page, during the message load (outside the broadcast window): {}",
        figures.load.describe()
    );
    if census.broadcast.is_some() {
        println!(
            "census page, from the broadcast to the last acknowledgement: {}",
            figures.broadcast.describe()
        );
    }
    let bad = census
        .baseline
        .iter()
        .chain(&census.during)
        .filter(|t| t.status != 200)
        .count();
    if bad > 0 {
        println!("census page: {bad} answers were not 200");
    }
    figures
}

/// The delays of the pairs whose post time passes `keep`.
fn delays(pairs: &[(Instant, Duration)], keep: impl Fn(Instant) -> bool) -> Vec<Duration> {
    pairs
        .iter()
        .filter(|(at, _)| keep(*at))
        .map(|(_, delay)| *delay)
        .collect()
}

/// Prints p50 and p99 of the live pairs by 5-second slice of post time.
fn print_timeline(pairs: &[(Instant, Duration)]) {
    let Some(start) = pairs.iter().map(|(at, _)| *at).min() else {
        return;
    };
    let mut slices: Vec<Vec<Duration>> = Vec::new();
    for (at, delay) in pairs {
        let slice = ((*at - start).as_secs() / 5) as usize;
        if slices.len() <= slice {
            slices.resize_with(slice + 1, Vec::new);
        }
        slices[slice].push(*delay);
    }
    let parts: Vec<String> = slices
        .iter_mut()
        .enumerate()
        .map(|(i, slice)| {
            let p = Percentiles::of(slice);
            format!("{}s {}/{}", i * 5, fmt_ms(p.p50), fmt_ms(p.p99))
        })
        .collect();
    println!("  by 5 s of post time (p50/p99 ms): {}", parts.join(", "));
}

/// One row of the summary table.
fn table_row(name: &str, p: &Percentiles, target: &str, ratio: String) {
    println!(
        "| {name} | {} ms | {} ms | {} ms | {} | {target} | {ratio} |",
        fmt_ms(p.p50),
        fmt_ms(p.p99),
        fmt_ms(p.max),
        p.count
    );
}

fn fmt_ms(ms: f64) -> String {
    if ms.is_nan() {
        "-".to_owned()
    } else {
        format!("{ms:.1}")
    }
}

fn ratio(p99: f64) -> String {
    if p99.is_nan() || p99 <= 0.0 {
        return "-".to_owned();
    }
    if p99 <= TARGET_MS {
        format!("{:.1}x under", TARGET_MS / p99)
    } else {
        format!("{:.1}x over", p99 / TARGET_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_come_from_the_demo_configuration() {
        let text = r#"
site_name = "x"
[[units]]  # UF 1001
code = "CARDIO"
name = "Cardiologie"
rooms = [
  ["101", ["101-A"]],
]
[plan]
code = "NOT-A-UNIT"
[[units]]
code="REA"
"#;
        assert_eq!(units_of_config(text), ["CARDIO", "REA"]);
    }

    #[test]
    fn accounts_and_online_ones_spread_over_units() {
        let units = vec!["A".to_owned(), "B_2".to_owned(), "C".to_owned()];
        let plan = plan_accounts(&units, 10, 5);
        assert_eq!(plan.len(), 10);
        let count = |unit: &str, online: bool| {
            plan.iter()
                .filter(|m| m.unit == unit && (m.online || !online))
                .count()
        };
        assert_eq!(
            (count("A", false), count("B_2", false), count("C", false)),
            (4, 3, 3)
        );
        assert_eq!(
            (count("A", true), count("B_2", true), count("C", true)),
            (2, 2, 1)
        );
        assert_eq!(plan[4].login, "mb-b-2-000");
        assert_eq!(plan[4].role, "cadre");
        assert_eq!(plan[5].role, "medecin");
        assert!(plan.iter().all(|m| ckisa_login_ok(&m.login)));
    }

    fn ckisa_login_ok(login: &str) -> bool {
        login
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
    }

    #[test]
    fn browsers_get_distinct_loopback_addresses() {
        let addresses: std::collections::HashSet<IpAddr> = (0..5000).map(browser_address).collect();
        assert_eq!(addresses.len(), 5000);
        assert!(addresses.iter().all(IpAddr::is_loopback));
    }

    #[test]
    fn markers_and_tallies_are_read_from_the_html() {
        let html = "<p>Banc mb0a1f2-000123 : lit 4 lib&eacute;r&eacute; &lt;urgent&gt;</p>";
        assert_eq!(marker_number(html, "mb0a1f2"), Some(123));
        assert_eq!(marker_number(html, "mb0a1f3"), None);
        let tally = r#"<tr data-unite="A"><td class="acknowledged">12</td></tr>
<tr data-unite="B"><td class="acknowledged">3</td></tr>"#;
        assert_eq!(acknowledged_in(tally), Some(15));
        assert_eq!(acknowledged_in("<p>rien</p>"), None);
        let data =
            r#"{"seq":7,"type":"message","id":"019a-b","canal":"unite:REA","html":"<p>x</p>"}"#;
        assert_eq!(string_field(data, "type"), Some("message"));
        assert_eq!(string_field(data, "id"), Some("019a-b"));
        assert_eq!(string_field(data, "racine"), None);
    }

    #[test]
    fn ids_in_a_location_are_decoded() {
        assert_eq!(percent_decoded("01a2%2D353c%2d7a"), "01a2-353c-7a");
        assert_eq!(percent_decoded("100%"), "100%");
        assert_eq!(percent_decoded("%zz"), "%zz");
    }

    #[test]
    fn changed_passwords_follow_the_policy() {
        let password = changed_password("mb-rea-001");
        assert!(password.chars().count() >= 12);
        assert_ne!(password, "mb-rea-001");
    }
}
