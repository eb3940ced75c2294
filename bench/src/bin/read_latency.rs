//! Reading a big node: a generated 1,500-bed establishment whose store holds
//! one million events (initial census, then the simulated HIS stream loaded
//! through the file ingestion path), served by a real `ckisa serve`:
//! - restart to serving: spawn to the first `/healthz` 200, on a folder that
//!   is already built (page cache warm);
//! - census pages (`/unites/{code}`, `/api/v1/units/{code}`) and patient
//!   summaries (`/patients/{key}`, `/api/v1/patients/{key}`): many sequential
//!   requests over one keep-alive loopback connection; the round trip seen
//!   by the client bounds the server time from above;
//! - node resident memory (VmRSS, VmHWM) after the requests.
//!
//! The data folder is kept (default `/tmp/ckisa-bench-1m`) and reused when it
//! already holds the target; `--rebuild` starts over.
//! Usage: `read_latency [--events 1000000] [--requests 2000] [--folder DIR] [--rebuild]`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ckisa_bench::generate::{Prepared, StreamLoad, hospital, prepare_folder};
use ckisa_bench::{
    HttpClient, NodeProcess, Percentiles, arg, arg_path, ckisa_binary, cpu_secs, encode_path,
    load_average, result_line, runqueue_wait_secs,
};

/// Builds the request path of the i-th request of a case.
type PathOf<'a> = Box<dyn Fn(usize) -> String + 'a>;

/// Written in the folder once it is complete: `<events> <messages>`.
const MARKER: &str = "bench-complete";

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

    let mut client = HttpClient::connect(node.http)?;
    let (units, patients) = discover(&mut client)?;
    println!(
        "{} units, {} patients in beds found",
        units.len(),
        patients.len()
    );
    let load = load_average();
    let cases: [(&str, PathOf<'_>); 4] = [
        (
            "read.api_unit",
            Box::new(|i| format!("/api/v1/units/{}", encode_path(&units[i % units.len()]))),
        ),
        (
            "read.page_unit",
            Box::new(|i| format!("/unites/{}", encode_path(&units[i % units.len()]))),
        ),
        (
            "read.api_patient",
            Box::new(|i| {
                format!(
                    "/api/v1/patients/{}",
                    encode_path(&patients[(i * 7919) % patients.len()])
                )
            }),
        ),
        (
            "read.page_patient",
            Box::new(|i| {
                format!(
                    "/patients/{}",
                    encode_path(&patients[(i * 7919) % patients.len()])
                )
            }),
        ),
    ];
    for (name, path) in cases.iter() {
        let mut latencies = Vec::with_capacity(requests);
        let mut bytes = 0usize;
        let mut bad = 0usize;
        let pid = node.child.id();
        let (mut cpu0, mut wait0) = (0.0, 0.0);
        for i in 0..requests + 50 {
            if i == 50 {
                (cpu0, wait0) = (cpu_secs(pid).unwrap_or(0.0), runqueue_wait_secs(pid));
            }
            let target = path(i);
            let sent = Instant::now();
            let answer = client.get(&target)?;
            let took = sent.elapsed();
            if i >= 50 {
                latencies.push(took);
                bytes += answer.body.len();
                bad += usize::from(answer.status != 200);
            }
        }
        let cpu_ms = (cpu_secs(pid).unwrap_or(0.0) - cpu0) * 1000.0 / requests as f64;
        let wait_ms = (runqueue_wait_secs(pid) - wait0) * 1000.0 / requests as f64;
        let p = Percentiles::of(&mut latencies);
        println!(
            "  {name:<18} {} ; mean body {:.0} KB; node CPU {cpu_ms:.2} ms/request, node runqueue \
             wait {wait_ms:.2} ms/request; non-200: {bad}",
            p.describe(),
            bytes as f64 / requests as f64 / 1024.0
        );
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
