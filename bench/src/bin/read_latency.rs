//! Reading a big node: a generated 1,500-bed establishment whose store holds
//! one million events (initial census, then the simulated HIS stream loaded
//! through the file ingestion path), served by a real `ckisa serve`:
//! - restart to serving: spawn to the first `/healthz` 200, on a folder that
//!   is already built (page cache warm);
//! - census pages (`/unites/{code}`, `/api/v1/units/{code}`) and patient
//!   summaries (`/patients/{key}`, `/api/v1/patients/{key}`): many sequential
//!   requests over one keep-alive loopback connection; the round trip seen
//!   by the client bounds the server time from above. Every request passes
//!   the node's gate as a real client's does: pages with the session cookie
//!   of a `bench` account (role `medecin`, every unit; made with `ckisa users
//!   add`, logged in once through `/connexion`, first password changed), API
//!   calls with a token (`ckisa tokens create`, scopes census and patients);
//!   so the numbers include the gate, the audit record of each patient
//!   read, and the SQLCipher decryption of the store's pages;
//! - node resident memory (VmRSS, VmHWM) after the requests.
//!
//! The data folder is kept (default `/tmp/ckisa-bench-1m`) and reused when it
//! already holds the target (a plaintext folder of an earlier version is
//! encrypted in place with `ckisa rekey --chiffrer`, its key written beside
//! it); the bench account's password and token are kept, owner-only, in
//! `<folder>/bench-credentials`. `--rebuild` starts over.
//! Usage: `read_latency [--events 1000000] [--requests 2000] [--folder DIR] [--rebuild]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ckisa_bench::access;
use ckisa_bench::generate::{Prepared, StreamLoad, hospital, prepare_folder};
use ckisa_bench::{
    HttpClient, NodeProcess, Percentiles, arg, arg_path, ckisa_binary, cpu_secs,
    cpu_secs_by_thread, encode_path, load_average, result_line, runqueue_wait_secs,
    thread_cpu_report,
};

/// Builds the request path of the i-th request of a case.
type PathOf<'a> = Box<dyn Fn(usize) -> String + 'a>;

/// Written in the folder once it is complete: `<events> <messages>`.
const MARKER: &str = "bench-complete";

/// The bench account's password and token, in the folder (not in `data/`).
const CREDENTIALS: &str = "bench-credentials";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target: u64 = arg("--events", 1_000_000);
    let requests: usize = arg("--requests", 2000);
    let folder = arg_path("--folder").unwrap_or_else(|| PathBuf::from("/tmp/ckisa-bench-1m"));
    let rebuild = std::env::args().any(|a| a == "--rebuild");
    if !ckisa_binary().is_file() {
        return Err(format!("ckisa binary missing at {}", ckisa_binary().display()).into());
    }
    let prepared = folder_with(&folder, target, rebuild)?;
    println!(
        "folder {}: {} messages, {} events, database {:.0} MB",
        folder.display(),
        prepared.messages,
        prepared.events,
        database_mb(&prepared.data)
    );

    let credentials_file = folder.join(CREDENTIALS);
    let mut credentials = access::for_folder(&prepared.data, Some(&credentials_file))?;

    // A first start warms the page cache and the folder; the second one is
    // the measured restart.
    let first = NodeProcess::start(&prepared.config, &prepared.data)?;
    let first_ready = wait_healthy(&first)?;
    first.stop();
    let node = NodeProcess::start(&prepared.config, &prepared.data)?;
    let ready = wait_healthy(&node)?;
    println!(
        "restart to serving: first start {:.0} ms, restart {:.0} ms (web line after {:.0} ms)",
        first_ready.as_secs_f64() * 1000.0,
        ready.as_secs_f64() * 1000.0,
        node.started_in.as_secs_f64() * 1000.0
    );
    println!(
        "{}",
        result_line("read.restart_ms", ready.as_secs_f64() * 1000.0, "ms")
    );
    println!(
        "{}",
        result_line("read.rss_idle", node.rss_mib().unwrap_or(f64::NAN), "MiB")
    );

    let cookie = access::session(
        node.http,
        &prepared.data,
        &mut credentials,
        Some(&credentials_file),
    )?;
    let mut api =
        HttpClient::connect(node.http)?.with_header("Authorization", &credentials.bearer());
    let mut pages = HttpClient::connect(node.http)?.with_header("Cookie", &cookie);
    let (units, patients) = discover(&mut api)?;
    println!(
        "{} units, {} patients in beds found",
        units.len(),
        patients.len()
    );
    let load = load_average();
    // (name, through the pages' session rather than the API token, path)
    let cases: [(&str, bool, PathOf<'_>); 4] = [
        (
            "read.api_unit",
            false,
            Box::new(|i| format!("/api/v1/units/{}", encode_path(&units[i % units.len()]))),
        ),
        (
            "read.page_unit",
            true,
            Box::new(|i| format!("/unites/{}", encode_path(&units[i % units.len()]))),
        ),
        (
            "read.api_patient",
            false,
            Box::new(|i| {
                format!(
                    "/api/v1/patients/{}",
                    encode_path(&patients[(i * 7919) % patients.len()])
                )
            }),
        ),
        (
            "read.page_patient",
            true,
            Box::new(|i| {
                format!(
                    "/patients/{}",
                    encode_path(&patients[(i * 7919) % patients.len()])
                )
            }),
        ),
    ];
    for (name, is_page, path) in cases.iter() {
        let client = if *is_page { &mut pages } else { &mut api };
        let mut latencies = Vec::with_capacity(requests);
        let mut bytes = 0usize;
        let mut bad = 0usize;
        let pid = node.child.id();
        let (mut cpu0, mut wait0) = (0.0, 0.0);
        let mut threads0 = BTreeMap::new();
        for i in 0..requests + 50 {
            if i == 50 {
                (cpu0, wait0) = (cpu_secs(pid).unwrap_or(0.0), runqueue_wait_secs(pid));
                threads0 = cpu_secs_by_thread(pid);
            }
            let target = path(i);
            let sent = Instant::now();
            let answer = client.get(&target)?;
            let took = sent.elapsed();
            if i >= 50 {
                latencies.push(took);
                bytes += answer.body.len();
                // A page that is the login form is a session lost: bad too.
                let login_form = *is_page && contains(&answer.body, b"action=\"/connexion\"");
                bad += usize::from(answer.status != 200 || login_form);
            }
        }
        let cpu_ms = (cpu_secs(pid).unwrap_or(0.0) - cpu0) * 1000.0 / requests as f64;
        let wait_ms = (runqueue_wait_secs(pid) - wait0) * 1000.0 / requests as f64;
        let threads = thread_cpu_report(&threads0, &cpu_secs_by_thread(pid), requests);
        let p = Percentiles::of(&mut latencies);
        println!(
            "  {name:<18} {} ; mean body {:.0} KB; node CPU {cpu_ms:.2} ms/request, node runqueue \
             wait {wait_ms:.2} ms/request; non-200: {bad}",
            p.describe(),
            bytes as f64 / requests as f64 / 1024.0
        );
        println!("    node CPU by thread, ms/request: {threads}");
        println!("{}", result_line(&format!("{name}.cpu_ms"), cpu_ms, "ms"));
        println!("{}", result_line(&format!("{name}.p50"), p.p50, "ms"));
        println!("{}", result_line(&format!("{name}.p99"), p.p99, "ms"));
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", node.child.id()))?;
    let field = |key: &str| -> f64 {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .map_or(f64::NAN, |kib| kib / 1024.0)
    };
    println!(
        "node memory after {} requests: VmRSS {:.1} MiB, VmHWM {:.1} MiB (load average {load:.1})",
        requests * 4,
        field("VmRSS:"),
        field("VmHWM:")
    );
    println!("{}", result_line("read.rss", field("VmRSS:"), "MiB"));
    println!("{}", result_line("read.rss_peak", field("VmHWM:"), "MiB"));
    node.stop();
    Ok(())
}

/// The prepared folder: reused when its marker says it is complete.
fn folder_with(
    folder: &Path,
    target: u64,
    rebuild: bool,
) -> Result<Prepared, Box<dyn std::error::Error>> {
    let config = folder.join("ckisa.toml");
    let data = folder.join("data");
    if !rebuild
        && let Ok(marker) = std::fs::read_to_string(folder.join(MARKER))
        && let Some((events, messages)) = marker.trim().split_once(' ')
        && events.parse::<u64>().is_ok_and(|e| e >= target)
    {
        println!("reusing {} (--rebuild to start over)", folder.display());
        access::encrypt_if_plaintext(&data)?;
        return Ok(Prepared {
            config,
            data,
            messages: messages.parse().unwrap_or(0),
            events: events.parse().unwrap_or(0),
        });
    }
    if folder.exists() {
        std::fs::remove_dir_all(folder)?;
    }
    std::fs::create_dir_all(folder)?;
    let started = Instant::now();
    let establishment = hospital(1500, 1500);
    println!(
        "building {}: 1,500 beds, {} patients, {} initial messages; streaming up to {target} events",
        folder.display(),
        establishment.patients.len(),
        establishment.initial_messages.len()
    );
    let load = StreamLoad {
        seed: 1501,
        target_events: target,
        max_messages: 2_000_000,
    };
    let prepared = prepare_folder(folder, &establishment, load, |messages, events| {
        println!(
            "  {messages} messages, {events} events, {:.0} s",
            started.elapsed().as_secs_f64()
        );
    })?;
    std::fs::write(
        folder.join(MARKER),
        format!("{} {}\n", prepared.events, prepared.messages),
    )?;
    println!(
        "{}",
        result_line(
            "read.build_msg_s",
            prepared.messages as f64 / started.elapsed().as_secs_f64(),
            "msg/s"
        )
    );
    Ok(prepared)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn database_mb(data: &Path) -> f64 {
    std::fs::read_dir(data)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len() as f64)
                .sum::<f64>()
        })
        .unwrap_or(0.0)
        / 1e6
}

/// Polls `/healthz` until 200; returns the time since spawn.
fn wait_healthy(node: &NodeProcess) -> Result<Duration, Box<dyn std::error::Error>> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut client) = HttpClient::connect(node.http)
            && client.get("/healthz").is_ok_and(|a| a.status == 200)
        {
            return Ok(node.spawned_at.elapsed());
        }
        if Instant::now() > deadline {
            return Err("no /healthz 200 within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Unit codes, and patient keys found in the unit boards.
fn discover(
    client: &mut HttpClient,
) -> Result<(Vec<String>, Vec<String>), Box<dyn std::error::Error>> {
    let answer = client.get("/api/v1/units")?;
    let units: serde_json::Value = serde_json::from_slice(&answer.body)?;
    let codes: Vec<String> = units["units"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|u| u["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut patients = Vec::new();
    for code in &codes {
        let board = client.get(&format!("/api/v1/units/{}", encode_path(code)))?;
        let board: serde_json::Value = serde_json::from_slice(&board.body)?;
        for bed in board["beds"].as_array().into_iter().flatten() {
            for occupant in bed["occupants"].as_array().into_iter().flatten() {
                if let Some(key) = occupant["patient"].as_str() {
                    patients.push(key.to_owned());
                }
            }
        }
    }
    if codes.is_empty() || patients.is_empty() {
        return Err(format!(
            "no units or patients from the API: {}",
            String::from_utf8_lossy(&answer.body)
        )
        .into());
    }
    Ok((codes, patients))
}
