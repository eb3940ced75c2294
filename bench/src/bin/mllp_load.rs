//! MLLP with ACK after commit, against a real `ckisa serve` process over
//! loopback (a demo establishment of 600 beds, its initial load already in
//! the store), fed with the simulated HIS stream:
//! 1. one connection, one message at a time: ACK latency percentiles;
//! 2. 8 connections, one message at a time each: messages/s;
//! 3. replica lag: while 8 connections keep loading, a 9th sends admissions;
//!    after each `AA` it polls `GET /api/v1/patients/{key}` until 200, with
//!    an API token (`ckisa tokens create`, scopes census and patients).
//!
//! The node's folder is encrypted (SQLCipher), as in production.
//!
//! Usage: `mllp_load [--single 3000] [--per-connection 2500] [--probes 300]`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ckisa_bench::access::Credentials;
use ckisa_bench::generate::{StreamLoad, hospital, patient_key, prepare_folder, stream};
use ckisa_bench::{
    HttpClient, MllpClient, NodeProcess, Percentiles, ack_code, arg, ckisa_binary, cpu_secs,
    cpu_secs_by_thread, encode_path, load_average, result_line, runqueue_wait_secs,
    thread_cpu_report,
};

const CONNECTIONS: usize = 8;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let single: usize = arg("--single", 3000);
    let per_connection: usize = arg("--per-connection", 2500);
    let probes: usize = arg("--probes", 300);
    if !ckisa_binary().is_file() {
        return Err(format!("ckisa binary missing at {}", ckisa_binary().display()).into());
    }
    let temp = tempfile::tempdir()?;
    let establishment = hospital(11, 600);
    let none = StreamLoad {
        seed: 0,
        target_events: 0,
        max_messages: 0,
    };
    let prepared = prepare_folder(temp.path(), &establishment, none, |_, _| {})?;
    // Phase 3 keeps 8 connections busy for as long as the probes take.
    let load3 = CONNECTIONS * per_connection * 2;
    let messages = stream(
        &establishment,
        12,
        single + CONNECTIONS * per_connection + load3,
    );
    let admissions: Vec<String> = stream(&establishment, 13, probes * 16)
        .into_iter()
        .filter(|m| m.contains("|ADT^A01"))
        .take(probes)
        .collect();
    println!(
        "node folder: {} messages, {} events; stream of {} messages, {} probe admissions",
        prepared.messages,
        prepared.events,
        messages.len(),
        admissions.len()
    );

    // The replica-lag probes read the API with a token, as a client would.
    let credentials = Credentials::provision(&prepared.data)?;
    let node = NodeProcess::start(&prepared.config, &prepared.data)?;
    let mllp = node.mllp.ok_or("ckisa serve printed no MLLP address")?;
    let pid = node.child.id();
    println!("ckisa serve pid {pid}: http {} mllp {mllp}", node.http);

    let (first, rest) = messages.split_at(single);
    let (second, third) = rest.split_at(CONNECTIONS * per_connection);
    one_connection(mllp, first, pid)?;
    many_connections(mllp, second, pid)?;
    replica_lag(mllp, node.http, &credentials.bearer(), third, &admissions)?;
    if let Some(rss) = node.rss_mib() {
        println!("{}", result_line("mllp.node_rss_after_load", rss, "MiB"));
    }
    node.stop();
    Ok(())
}

fn one_connection(
    addr: SocketAddr,
    messages: &[String],
    pid: u32,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut client = MllpClient::connect(addr)?;
    let mut latencies = Vec::with_capacity(messages.len());
    let mut refused = 0usize;
    let (cpu0, wait0, load) = (
        cpu_secs(pid).unwrap_or(0.0),
        runqueue_wait_secs(pid),
        load_average(),
    );
    let threads0 = cpu_secs_by_thread(pid);
    let started = Instant::now();
    for message in messages {
        let sent = Instant::now();
        let ack = client.send(message.as_bytes())?;
        latencies.push(sent.elapsed());
        if ack_code(&ack) != "AA" {
            refused += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let p = Percentiles::of(&mut latencies);
    println!(
        "1 connection: {} messages in {elapsed:.2} s, {:.0} msg/s, ACK {}; not AA: {refused}; \
         node CPU {:.2} s, node runqueue wait {:.2} s, load {load:.1}",
        messages.len(),
        messages.len() as f64 / elapsed,
        p.describe(),
        cpu_secs(pid).unwrap_or(0.0) - cpu0,
        runqueue_wait_secs(pid) - wait0,
    );
    println!(
        "  node CPU by thread, ms/message: {}",
        thread_cpu_report(&threads0, &cpu_secs_by_thread(pid), messages.len())
    );
    println!("{}", result_line("mllp.1conn.ack_p50", p.p50, "ms"));
    println!("{}", result_line("mllp.1conn.ack_p99", p.p99, "ms"));
    println!(
        "{}",
        result_line("mllp.1conn.msg_s", messages.len() as f64 / elapsed, "msg/s")
    );
    println!(
        "{}",
        result_line("mllp.1conn.not_aa", refused as f64, "msgs")
    );
    Ok(())
}

/// Sends `messages` round-robin over 8 connections, each waiting for its
/// ACK before the next; returns after all are acknowledged.
fn many_connections(
    addr: SocketAddr,
    messages: &[String],
    pid: u32,
) -> Result<(), Box<dyn std::error::Error>> {
    let (cpu0, wait0, load) = (
        cpu_secs(pid).unwrap_or(0.0),
        runqueue_wait_secs(pid),
        load_average(),
    );
    let threads0 = cpu_secs_by_thread(pid);
    let started = Instant::now();
    let results: Vec<(Vec<Duration>, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CONNECTIONS)
            .map(|lane| {
                scope.spawn(move || -> std::io::Result<(Vec<Duration>, usize)> {
                    let mut client = MllpClient::connect(addr)?;
                    let mut latencies = Vec::new();
                    let mut refused = 0;
                    for message in messages.iter().skip(lane).step_by(CONNECTIONS) {
                        let sent = Instant::now();
                        let ack = client.send(message.as_bytes())?;
                        latencies.push(sent.elapsed());
                        refused += usize::from(ack_code(&ack) != "AA");
                    }
                    Ok((latencies, refused))
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().ok()?.ok())
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies: Vec<Duration> = results
        .iter()
        .flat_map(|(l, _)| l.iter().copied())
        .collect();
    let refused: usize = results.iter().map(|(_, r)| r).sum();
    let done = latencies.len();
    let p = Percentiles::of(&mut latencies);
    println!(
        "{CONNECTIONS} connections: {done} messages in {elapsed:.2} s, {:.0} msg/s, ACK {}; not AA: {refused}; \
         node CPU {:.2} s, node runqueue wait {:.2} s, load {load:.1}",
        done as f64 / elapsed,
        p.describe(),
        cpu_secs(pid).unwrap_or(0.0) - cpu0,
        runqueue_wait_secs(pid) - wait0,
    );
    println!(
        "  node CPU by thread, ms/message: {}",
        thread_cpu_report(&threads0, &cpu_secs_by_thread(pid), done)
    );
    println!(
        "{}",
        result_line("mllp.8conn.msg_s", done as f64 / elapsed, "msg/s")
    );
    println!("{}", result_line("mllp.8conn.ack_p99", p.p99, "ms"));
    println!(
        "{}",
        result_line("mllp.8conn.not_aa", refused as f64, "msgs")
    );
    Ok(())
}

/// Replica lag under load: admissions on a 9th connection, each followed by
/// polling the JSON API until the patient shows.
fn replica_lag(
    mllp: SocketAddr,
    http: SocketAddr,
    bearer: &str,
    load: &[String],
    admissions: &[String],
) -> Result<(), Box<dyn std::error::Error>> {
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let load = Arc::new(load.to_vec());
    let load_started = Instant::now();
    let loaders: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (stop, next, load) = (stop.clone(), next.clone(), load.clone());
            std::thread::spawn(move || -> std::io::Result<usize> {
                let mut client = MllpClient::connect(mllp)?;
                let mut sent = 0;
                while !stop.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(message) = load.get(index) else {
                        break;
                    };
                    client.send(message.as_bytes())?;
                    sent += 1;
                }
                Ok(sent)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));

    let mut client = MllpClient::connect(mllp)?;
    let mut api = HttpClient::connect(http)?.with_header("Authorization", bearer);
    let mut after_ack = Vec::with_capacity(admissions.len());
    let mut after_send = Vec::with_capacity(admissions.len());
    let mut polls = 0usize;
    let mut missing = 0usize;
    let mut ran_out = false;
    let started = Instant::now();
    for message in admissions {
        let Some(key) = patient_key(message.as_bytes()) else {
            continue;
        };
        let path = format!("/api/v1/patients/{}", encode_path(&key));
        let sent = Instant::now();
        let ack = client.send(message.as_bytes())?;
        let acked = Instant::now();
        if ack_code(&ack) != "AA" {
            missing += 1;
            continue;
        }
        loop {
            polls += 1;
            let answer = api.get(&path)?;
            if answer.status == 200 {
                after_ack.push(acked.elapsed());
                after_send.push(sent.elapsed());
                break;
            }
            if acked.elapsed() > Duration::from_secs(5) {
                missing += 1;
                break;
            }
        }
        ran_out |= load.len() <= next.load(Ordering::Relaxed);
    }
    let probing = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let background: usize = loaders
        .into_iter()
        .filter_map(|h| h.join().ok()?.ok())
        .sum();
    let elapsed = load_started.elapsed().as_secs_f64();
    let lag = Percentiles::of(&mut after_ack);
    let total = Percentiles::of(&mut after_send);
    println!(
        "replica lag (ACK to API 200) under {CONNECTIONS}-connection load ({background} background messages, \
         {:.0} msg/s) over {probing:.1} s of probes: {}; send to visible: {}; {polls} polls; not visible/refused: {missing}",
        background as f64 / elapsed,
        lag.describe(),
        total.describe()
    );
    if ran_out {
        println!("  warning: the background load ran out before the probes finished");
    }
    println!("{}", result_line("lag.ack_to_api.p50", lag.p50, "ms"));
    println!("{}", result_line("lag.ack_to_api.p99", lag.p99, "ms"));
    println!("{}", result_line("lag.send_to_api.p99", total.p99, "ms"));
    println!(
        "{}",
        result_line("lag.background.msg_s", background as f64 / elapsed, "msg/s")
    );
    println!("{}", result_line("lag.missing", missing as f64, "probes"));
    Ok(())
}
