//! Shared helpers of the benchmark binaries under `src/bin/`: timing loops,
//! percentiles, the `RESULT` lines that `run.sh` gathers into its table, a
//! minimal HTTP/1.1 keep-alive client and an MLLP client (loopback only),
//! starting a `ckisa` node process and reading its bound addresses, and
//! acting as a browser on live pages ([`browser`]).
//!
//! Nothing here asserts a timing: the binaries print numbers, and
//! `BENCHMARKS.md` compares them with the targets.

#[cfg(feature = "node")]
pub mod access;
pub mod browser;
#[cfg(feature = "node")]
pub mod generate;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One line for `run.sh`: `RESULT<TAB>name<TAB>value<TAB>unit`.
pub fn result_line(name: &str, value: f64, unit: &str) -> String {
    format!("RESULT\t{name}\t{value:.3}\t{unit}")
}

/// Runs `work` in rounds of about `round` each and returns the median time
/// per call, in nanoseconds. The first round is a warm-up and is dropped.
pub fn median_ns_per_call(rounds: usize, round: Duration, mut work: impl FnMut() -> usize) -> f64 {
    let mut sink = 0usize;
    // Calibrate: how many calls fill about a tenth of a round.
    let mut batch = 1usize;
    loop {
        let start = Instant::now();
        for _ in 0..batch {
            sink = sink.wrapping_add(work());
        }
        if start.elapsed() >= round / 10 || batch >= 1 << 30 {
            break;
        }
        batch *= 2;
    }
    let mut per_call = Vec::with_capacity(rounds);
    for round_index in 0..=rounds {
        let start = Instant::now();
        let mut calls = 0usize;
        while start.elapsed() < round {
            for _ in 0..batch {
                sink = sink.wrapping_add(work());
            }
            calls += batch;
        }
        if round_index > 0 {
            per_call.push(start.elapsed().as_nanos() as f64 / calls as f64);
        }
    }
    std::hint::black_box(sink);
    per_call.sort_by(f64::total_cmp);
    per_call[per_call.len() / 2]
}

/// Latency percentiles of a sample, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
    /// Sample size.
    pub count: usize,
}

impl Percentiles {
    /// Percentiles of `samples` (nearest-rank).
    pub fn of(samples: &mut [Duration]) -> Percentiles {
        samples.sort();
        let rank = |q: f64| -> f64 {
            if samples.is_empty() {
                return f64::NAN;
            }
            let index = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
            samples[index].as_secs_f64() * 1000.0
        };
        Percentiles {
            p50: rank(0.50),
            p90: rank(0.90),
            p99: rank(0.99),
            max: rank(1.0),
            count: samples.len(),
        }
    }

    /// `p50 0.41 ms, p90 ..., p99 ..., max ... (n = ...)`.
    pub fn describe(&self) -> String {
        format!(
            "p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms (n = {})",
            self.p50, self.p90, self.p99, self.max, self.count
        )
    }
}

/// A blocking HTTP/1.1 client over one keep-alive connection. Headers set
/// with [`HttpClient::with_header`] (a session cookie, a bearer token) go
/// with every request.
pub struct HttpClient {
    addr: SocketAddr,
    from: Option<IpAddr>,
    reader: BufReader<TcpStream>,
    headers: String,
}

/// One answer: status, headers and body.
#[derive(Debug)]
pub struct HttpAnswer {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl HttpAnswer {
    /// The first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

impl HttpClient {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> std::io::Result<HttpClient> {
        HttpClient::connect_from(addr, None)
    }

    /// Connects to `addr` from the local address `from` (any port), or from
    /// the system's choice when `None`; a reconnection uses it again. Many
    /// simulated browsers on one machine each take their own loopback
    /// address (127.x.y.z), as the node limits logins per address.
    pub fn connect_from(addr: SocketAddr, from: Option<IpAddr>) -> std::io::Result<HttpClient> {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )?;
        if let Some(ip) = from {
            socket.bind(&SocketAddr::new(ip, 0).into())?;
        }
        socket.connect(&addr.into())?;
        let stream: TcpStream = socket.into();
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(HttpClient {
            addr,
            from,
            reader: BufReader::new(stream),
            headers: String::new(),
        })
    }

    /// Sends `name: value` with every later request.
    pub fn with_header(mut self, name: &str, value: &str) -> HttpClient {
        self.headers.push_str(&format!("{name}: {value}\r\n"));
        self
    }

    /// `GET path`; reconnects once if the server closed the connection.
    pub fn get(&mut self, path: &str) -> std::io::Result<HttpAnswer> {
        self.send("GET", path, None)
    }

    /// `POST path` with a URL-encoded form body.
    pub fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> std::io::Result<HttpAnswer> {
        let body: Vec<String> = form
            .iter()
            .map(|(key, value)| format!("{}={}", encode_path(key), encode_path(value)))
            .collect();
        self.send("POST", path, Some(body.join("&").as_bytes()))
    }

    fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> std::io::Result<HttpAnswer> {
        match self.try_send(method, path, body) {
            Ok(answer) => Ok(answer),
            Err(_) => {
                let headers = std::mem::take(&mut self.headers);
                *self = HttpClient::connect_from(self.addr, self.from)?;
                self.headers = headers;
                self.try_send(method, path, body)
            }
        }
    }

    fn try_send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> std::io::Result<HttpAnswer> {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n{}",
            self.headers
        );
        if let Some(body) = body {
            request.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        self.reader.get_mut().write_all(&bytes)?;
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = None;
        let mut chunked = false;
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let Some((name, value)) = line.trim_end().split_once(':') else {
                break;
            };
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
            if name == "content-length" {
                length = value.parse::<usize>().ok();
            }
            if name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            }
            headers.push((name, value));
        }
        let body = if chunked {
            self.read_chunked()?
        } else {
            let mut body = vec![0u8; length.unwrap_or(0)];
            self.reader.read_exact(&mut body)?;
            body
        };
        Ok(HttpAnswer {
            status,
            headers,
            body,
        })
    }

    fn read_chunked(&mut self) -> std::io::Result<Vec<u8>> {
        let mut body = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim(), 16)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            let mut chunk = vec![0u8; size + 2];
            self.reader.read_exact(&mut chunk)?;
            if size == 0 {
                return Ok(body);
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
}

/// A blocking MLLP client: sends one framed message, waits for its ACK.
pub struct MllpClient {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl MllpClient {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> std::io::Result<MllpClient> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        Ok(MllpClient {
            stream,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends `message` (CR-separated segments) and returns the ACK payload.
    pub fn send(&mut self, message: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut frame = Vec::with_capacity(message.len() + 3);
        frame.push(0x0B);
        frame.extend_from_slice(message);
        frame.extend_from_slice(&[0x1C, 0x0D]);
        self.stream.write_all(&frame)?;
        self.read_ack()
    }

    fn read_ack(&mut self) -> std::io::Result<Vec<u8>> {
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == [0x1C, 0x0D]) {
                let start = self
                    .buffer
                    .iter()
                    .position(|&b| b == 0x0B)
                    .map_or(0, |p| p + 1);
                let payload = self.buffer[start.min(end)..end].to_vec();
                self.buffer.drain(..end + 2);
                return Ok(payload);
            }
            let count = self.stream.read(&mut chunk)?;
            if count == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "no ACK",
                ));
            }
            self.buffer.extend_from_slice(&chunk[..count]);
        }
    }
}

/// MSA-1 of an ACK payload (`AA`, `AE`, `AR`), or `?`.
pub fn ack_code(ack: &[u8]) -> String {
    let text = String::from_utf8_lossy(ack);
    text.split(['\r', '\n'])
        .find(|segment| segment.starts_with("MSA"))
        .and_then(|msa| msa.split('|').nth(1))
        .unwrap_or("?")
        .to_owned()
}

/// The `ckisa` binary: `$CKISA_BIN`, or the release build in the bench
/// target dir.
pub fn ckisa_binary() -> PathBuf {
    std::env::var_os("CKISA_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/work/targets/bench"));
            target.join("release/ckisa")
        })
}

/// A running `ckisa serve` and the addresses it printed.
pub struct NodeProcess {
    /// The process.
    pub child: Child,
    /// Web UI / JSON API address.
    pub http: SocketAddr,
    /// First MLLP feed address, when the config declares one.
    pub mllp: Option<SocketAddr>,
    /// From spawn to the web address line.
    pub started_in: Duration,
    /// When the process was spawned.
    pub spawned_at: Instant,
}

impl NodeProcess {
    /// Starts `ckisa serve --config CONFIG --data DATA --http 127.0.0.1:0
    /// --mllp 127.0.0.1:0` and waits for the web address line on stdout.
    pub fn start(config: &Path, data: &Path) -> std::io::Result<NodeProcess> {
        let started = Instant::now();
        let mut child = Command::new(ckisa_binary())
            .args(["serve", "--config"])
            .arg(config)
            .arg("--data")
            .arg(data)
            .args(["--http", "127.0.0.1:0", "--mllp", "127.0.0.1:0"])
            .env("CKISA_LOG", "warn")
            // The key is the folder's own, `<data>.key` beside it.
            .env_remove("CKISA_KEY_FILE")
            .env_remove("CKISA_PASSPHRASE")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        // The node prints one line per MLLP feed ("... en écoute sur ADDR
        // (sources admises : ...)"), then "Ctrl-C pour arrêter.", then its web
        // address once the web server runs.
        let mut mllp = None;
        let mut http = None;
        let mut feeds_done = false;
        loop {
            let Some(line) = lines.next().transpose()? else {
                let _ = child.kill();
                return Err(std::io::Error::other(
                    "ckisa serve stopped before listening",
                ));
            };
            if let Some(rest) = line.split("en écoute sur ").nth(1)
                && mllp.is_none()
            {
                mllp = rest.split_whitespace().next().and_then(|a| a.parse().ok());
            }
            feeds_done |= line.starts_with("Ctrl-C");
            if let Some(rest) = line.split("http://").nth(1)
                && let Ok(addr) = rest.trim().trim_end_matches('/').parse()
            {
                http = Some(addr);
            }
            if http.is_some() && (feeds_done || mllp.is_some()) {
                break;
            }
        }
        let Some(http) = http else {
            let _ = child.kill();
            return Err(std::io::Error::other("ckisa serve printed no web address"));
        };
        let started_in = started.elapsed();
        // Keep draining stdout so the node never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Ok(NodeProcess {
            child,
            http,
            mllp,
            started_in,
            spawned_at: started,
        })
    }

    /// Resident memory of the process (VmRSS), in MiB.
    pub fn rss_mib(&self) -> Option<f64> {
        rss_mib(self.child.id())
    }

    /// Sends SIGTERM-like stop (kill) and waits.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// VmRSS of process `pid`, in MiB, from `/proc/<pid>/status`.
pub fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// CPU time (user + system) used so far by process `pid`, all threads, in
/// seconds (`/proc/<pid>/stat`, 100 ticks per second).
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// CPU time (user + system) used so far by the threads of process `pid`
/// alive now, summed by thread name (`tokio-rt-worker`, `audit-writer`,
/// `ckisa-store-wri`...), in seconds.
pub fn cpu_secs_by_thread(pid: u32) -> BTreeMap<String, f64> {
    let mut by_name = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return by_name;
    };
    for task in tasks.filter_map(|task| task.ok()) {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let name = head.split_once('(').map_or("?", |(_, name)| name);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
        if let (Some(user), Some(system)) = (ticks(11), ticks(12)) {
            *by_name.entry(name.to_owned()).or_insert(0.0) += (user + system) / 100.0;
        }
    }
    by_name
}

/// `name 1.23, other 0.45`: the CPU each thread group used between two
/// readings of [`cpu_secs_by_thread`], in ms per item (`count` items),
/// largest first (ticks of 10 ms: small groups round to 0 on short runs).
pub fn thread_cpu_report(
    before: &BTreeMap<String, f64>,
    after: &BTreeMap<String, f64>,
    count: usize,
) -> String {
    let mut groups: Vec<(&String, f64)> = after
        .iter()
        .map(|(name, secs)| {
            let used = secs - before.get(name).copied().unwrap_or(0.0);
            (name, used * 1000.0 / count as f64)
        })
        .filter(|(_, ms)| *ms > 0.0)
        .collect();
    groups.sort_by(|a, b| b.1.total_cmp(&a.1));
    let parts: Vec<String> = groups
        .iter()
        .map(|(name, ms)| format!("{name} {ms:.2}"))
        .collect();
    parts.join(", ")
}

/// Time the threads of process `pid` alive now spent runnable but waiting
/// for a CPU, in seconds (`/proc/<pid>/task/*/schedstat`): a measure of how
/// much other work on the machine slowed a run down.
pub fn runqueue_wait_secs(pid: u32) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    tasks
        .filter_map(|task| task.ok())
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().nth(1)?.parse::<f64>().ok())
        .sum::<f64>()
        / 1e9
}

/// The 1-minute load average.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Percent-encodes a path segment (patient keys hold `|` and `:`).
pub fn encode_path(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `--name value` from the command line, parsed, or `default`.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `--name value` as a path, if given.
pub fn arg_path(name: &str) -> Option<PathBuf> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let p = Percentiles::of(&mut samples);
        assert_eq!((p.p50, p.p99, p.max), (50.0, 99.0, 100.0));
    }

    #[test]
    fn ack_code_reads_msa_1() {
        assert_eq!(ack_code(b"MSH|^~\\&|A\rMSA|AE|42\r"), "AE");
        assert_eq!(ack_code(b"garbage"), "?");
    }

    #[test]
    fn keys_are_percent_encoded() {
        assert_eq!(encode_path("ipp:1.2|77"), "ipp%3A1.2%7C77");
    }
}
