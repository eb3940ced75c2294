//! Fan-out of the live crisis dashboard: how long a change takes to reach
//! every open browser.
//!
//! Starts nothing: it talks to a running node on the loopback (plain HTTP,
//! such as `ckisa demo`), logs in through `POST /connexion` as a browser
//! does, opens `--streams` server-sent event streams on
//! `/crise/tableau/flux` (raw HTTP/1.1, one connection each), waits until
//! each has its first `tableau` event, then counts one critical stock
//! through `POST /crise/stocks` (CSRF token from the page) every
//! `--every-ms`, `--changes` times, each with a quantity never used before.
//! For every (change, stream) pair it measures the delay from the moment
//! the count was sent (and from its answer) to the first event on that
//! stream showing that quantity or a later one (a browser that lags gets
//! the latest snapshot, which holds the change too), and prints p50, p99
//! and max. The account must reach the dashboard and the stock counts
//! (`directeur` or `cellule` of the demo).
//!
//! Usage: `sse_fanout --url http://127.0.0.1:8080 [--login directeur]
//! [--password demo-directeur-2026] [--new-password P] [--streams 500]
//! [--changes 40] [--every-ms 500] [--stock CODE]`. `--new-password` is
//! used only if the node asks for a password change at login.
//!
//! Target (issue 4): every browser within 200 ms of the change, with 500
//! connected. The client runs on the same machine as the node: its own
//! work (reading 500 copies of each fragment) is part of the numbers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ckisa_bench::{HttpClient, Percentiles, arg, result_line};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

type BenchError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BenchError> {
    let url: String = arg("--url", String::new());
    if url.is_empty() {
        return Err("--url http://127.0.0.1:PORT of a running node is required".into());
    }
    let addr = loopback(&url)?;
    let login: String = arg("--login", String::from("directeur"));
    let password: String = arg("--password", String::from("demo-directeur-2026"));
    let new_password: String = arg("--new-password", String::new());
    let streams: usize = arg("--streams", 500);
    let changes: usize = arg("--changes", 40);
    let every = Duration::from_millis(arg("--every-ms", 500));
    let wanted_stock: String = arg("--stock", String::new());

    let cookie = log_in(addr, &login, &password, &new_password)?;
    let page = HttpClient::connect(addr)?
        .with_header("Cookie", &cookie)
        .get("/crise/stocks")?;
    if page.status != 200 {
        return Err(format!(
            "GET /crise/stocks: HTTP {} (may {login} count stocks?)",
            page.status
        )
        .into());
    }
    let page = String::from_utf8_lossy(&page.body).into_owned();
    let csrf =
        attribute_after(&page, "name=\"csrf\" value=\"").ok_or("no CSRF field on /crise/stocks")?;
    let stock = pick_stock(&page, &wanted_stock)?;
    println!(
        "node {addr}, account {login}, stock {} ({}), {streams} streams, {changes} changes every {} ms",
        stock.code,
        stock.name,
        every.as_millis()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let run = Run {
        addr,
        cookie,
        csrf,
        stock,
        streams,
        changes,
        every,
        base: base_quantity(changes),
    };
    runtime.block_on(run.measure())
}

/// The socket address of `url`, which must be plain HTTP on the loopback.
fn loopback(url: &str) -> Result<SocketAddr, BenchError> {
    if url.starts_with("https://") {
        return Err("plain HTTP only: run the node without --tls".into());
    }
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or_default();
    let (host, port) = authority
        .rsplit_once(':')
        .ok_or("the URL needs a port: http://127.0.0.1:PORT")?;
    let port: u16 = port.parse().map_err(|_| format!("bad port in {url}"))?;
    let ip = match host {
        "localhost" | "127.0.0.1" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        "[::1]" => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => {
            return Err(format!(
                "{other} is not the loopback: this tool only talks to 127.0.0.1 or ::1"
            )
            .into());
        }
    };
    Ok(SocketAddr::new(ip, port))
}

/// A session cookie for `login`, changing the password first if the node
/// asks and `new_password` is given.
fn log_in(
    addr: SocketAddr,
    login: &str,
    password: &str,
    new_password: &str,
) -> Result<String, BenchError> {
    let answer = HttpClient::connect(addr)?.post_form(
        "/connexion",
        &[
            ("login", login),
            ("password", password),
            ("suite", "/crise/tableau"),
        ],
    )?;
    if answer.status != 303 {
        return Err(format!("login of {login} refused: HTTP {}", answer.status).into());
    }
    let cookie = answer
        .headers
        .iter()
        .filter(|(name, _)| name == "set-cookie")
        .find_map(|(_, value)| value.split(';').next()?.strip_prefix("ckisa_session="))
        .map(|value| format!("ckisa_session={value}"))
        .ok_or("no ckisa_session cookie after login (a node over TLS? plain HTTP only)")?;
    if answer.header("location") != Some("/mot-de-passe") {
        return Ok(cookie);
    }
    if new_password.is_empty() {
        return Err(format!("{login} must change its password first: pass --new-password").into());
    }
    let mut client = HttpClient::connect(addr)?.with_header("Cookie", &cookie);
    let form = client.get("/mot-de-passe")?;
    let csrf = attribute_after(
        &String::from_utf8_lossy(&form.body),
        "name=\"csrf\" value=\"",
    )
    .ok_or("no CSRF field on /mot-de-passe")?;
    let changed = client.post_form(
        "/mot-de-passe",
        &[
            ("csrf", &csrf),
            ("current", password),
            ("new", new_password),
            ("confirm", new_password),
        ],
    )?;
    if changed.status != 303 {
        return Err(format!("password change refused: HTTP {}", changed.status).into());
    }
    println!("password of {login} changed as asked by the node");
    Ok(cookie)
}

/// The value of the first attribute that follows `marker` in `page`.
fn attribute_after(page: &str, marker: &str) -> Option<String> {
    let rest = page.split(marker).nth(1)?;
    rest.split('"').next().map(str::to_owned)
}

/// A stock of the count page: its code, and its name as the dashboard
/// writes it (HTML-escaped).
struct Stock {
    code: String,
    name: String,
}

/// The stock `wanted`, or the first of the page.
fn pick_stock(page: &str, wanted: &str) -> Result<Stock, BenchError> {
    let marker = "name=\"stock\" value=\"";
    let mut rest = page;
    while let Some(at) = rest.find(marker) {
        let row_start = rest[..at].rfind("<tr").ok_or("stock outside a table row")?;
        let code = attribute_after(&rest[at..], marker).unwrap_or_default();
        let row = &rest[row_start..at];
        let name = row
            .split("<th scope=\"row\">")
            .nth(1)
            .and_then(|cell| cell.split("<br>").next())
            .ok_or("no stock name in its row")?
            .to_owned();
        if wanted.is_empty() || wanted == code {
            return Ok(Stock { code, name });
        }
        rest = &rest[at + marker.len()..];
    }
    Err(if wanted.is_empty() {
        "the plan has no critical stock to count".into()
    } else {
        format!("no stock {wanted} on /crise/stocks").into()
    })
}

/// A first quantity no earlier run used: the stock shows base, base + 1...
fn base_quantity(changes: usize) -> u64 {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let span = (changes as u64 + 1).max(1000);
    1_000_000 + (seconds % 10_000) * span
}

struct Run {
    addr: SocketAddr,
    cookie: String,
    csrf: String,
    stock: Stock,
    streams: usize,
    changes: usize,
    every: Duration,
    base: u64,
}

impl Run {
    async fn measure(self) -> Result<(), BenchError> {
        let run = Arc::new(self);
        let (stop, stopped) = watch::channel(false);
        let greeted = Arc::new(AtomicUsize::new(0));
        let opening = Instant::now();
        let mut listeners = Vec::with_capacity(run.streams);
        for _ in 0..run.streams {
            let run = Arc::clone(&run);
            let stopped = stopped.clone();
            let greeted = Arc::clone(&greeted);
            listeners.push(tokio::spawn(
                async move { run.listen(stopped, greeted).await },
            ));
        }
        while greeted.load(Ordering::SeqCst) < run.streams {
            if opening.elapsed() > Duration::from_secs(60) {
                return Err(format!(
                    "only {} of {} streams had their first event after 60 s",
                    greeted.load(Ordering::SeqCst),
                    run.streams
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        println!(
            "{} streams open, each with its first event, after {:.0} ms",
            run.streams,
            opening.elapsed().as_secs_f64() * 1000.0
        );

        let sent = run.post_changes().await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.send_replace(true);
        let mut seen = Vec::with_capacity(run.streams);
        for listener in listeners {
            seen.push(listener.await??);
        }
        run.report(&sent, &seen);
        Ok(())
    }

    /// Posts the counts; returns when each was sent and answered.
    async fn post_changes(&self) -> Result<Vec<(Instant, Instant)>, BenchError> {
        let mut client = Some(HttpClient::connect(self.addr)?.with_header("Cookie", &self.cookie));
        let mut sent = Vec::with_capacity(self.changes);
        let mut ticker = tokio::time::interval(self.every);
        let mut posts = Vec::with_capacity(self.changes);
        for i in 0..self.changes {
            ticker.tick().await;
            let quantity = (self.base + i as u64).to_string();
            let (csrf, code) = (self.csrf.clone(), self.stock.code.clone());
            let mut http = client.take().ok_or("client lost")?;
            let start = Instant::now();
            let (http, status) = tokio::task::spawn_blocking(move || {
                let fields = [
                    ("csrf", csrf.as_str()),
                    ("stock", code.as_str()),
                    ("quantite", quantity.as_str()),
                    ("commentaire", "banc sse_fanout"),
                ];
                let status = http.post_form("/crise/stocks", &fields).map(|a| a.status);
                (http, status)
            })
            .await?;
            let answered = Instant::now();
            let status = status?;
            if status != 303 {
                return Err(format!("POST /crise/stocks: HTTP {status}").into());
            }
            client = Some(http);
            posts.push(answered - start);
            sent.push((start, answered));
        }
        println!(
            "stock counts posted: {}",
            Percentiles::of(&mut posts).describe()
        );
        Ok(sent)
    }

    /// One stream: the time each change's quantity was first seen on it.
    async fn listen(
        &self,
        mut stopped: watch::Receiver<bool>,
        greeted: Arc<AtomicUsize>,
    ) -> Result<Vec<Option<Instant>>, BenchError> {
        let mut seen = vec![None; self.changes];
        let mut tcp = TcpStream::connect(self.addr).await?;
        tcp.set_nodelay(true)?;
        let request = format!(
            "GET /crise/tableau/flux HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {}\r\n\
             Accept: text/event-stream\r\n\r\n",
            self.cookie
        );
        tcp.write_all(request.as_bytes()).await?;
        let mut reader = Reader::default();
        let mut buffer = vec![0u8; 64 * 1024];
        let mut first = true;
        loop {
            let read = tokio::select! {
                read = tcp.read(&mut buffer) => read?,
                _ = stopped.changed() => return Ok(seen),
            };
            let now = Instant::now();
            if read == 0 {
                return Err("the node closed a stream".into());
            }
            for event in reader.feed(&buffer[..read])? {
                if !event.starts_with(b"event: tableau\n") {
                    continue;
                }
                if first {
                    first = false;
                    greeted.fetch_add(1, Ordering::SeqCst);
                }
                let Some(quantity) = quantity_of(&event, &self.stock.name) else {
                    continue;
                };
                if let Some(index) = quantity.checked_sub(self.base)
                    && let Some(slot) = seen.get_mut(index as usize)
                {
                    slot.get_or_insert(now);
                }
            }
        }
    }

    fn report(&self, sent: &[(Instant, Instant)], seen: &[Vec<Option<Instant>>]) {
        let mut from_post = Vec::new();
        let mut from_answer = Vec::new();
        let mut missing = 0;
        for stream in seen {
            // A later quantity holds the earlier change too.
            let mut arrival: Option<Instant> = None;
            let mut arrivals = vec![None; stream.len()];
            for i in (0..stream.len()).rev() {
                arrival = match (arrival, stream[i]) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                arrivals[i] = arrival;
            }
            for ((start, answered), arrival) in sent.iter().zip(arrivals) {
                match arrival {
                    Some(at) => {
                        from_post.push(at.saturating_duration_since(*start));
                        from_answer.push(at.saturating_duration_since(*answered));
                    }
                    None => missing += 1,
                }
            }
        }
        let post = Percentiles::of(&mut from_post);
        let answer = Percentiles::of(&mut from_answer);
        println!("delivery from the count sent: {}", post.describe());
        println!("delivery from the count answered: {}", answer.describe());
        println!("(change, stream) pairs never delivered: {missing}");
        println!("{}", result_line("sse_fanout_p50", post.p50, "ms"));
        println!("{}", result_line("sse_fanout_p99", post.p99, "ms"));
        println!("{}", result_line("sse_fanout_max", post.max, "ms"));
    }
}

/// Reads an HTTP/1.1 response with a chunked body of server-sent events.
#[derive(Default)]
struct Reader {
    head_done: bool,
    raw: Vec<u8>,
    events: Vec<u8>,
}

impl Reader {
    /// Takes bytes read from the socket; returns the events they complete.
    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<Vec<u8>>, BenchError> {
        self.raw.extend_from_slice(bytes);
        if !self.head_done {
            let Some(end) = find(&self.raw, b"\r\n\r\n", 0) else {
                return Ok(Vec::new());
            };
            let head = String::from_utf8_lossy(&self.raw[..end]).to_ascii_lowercase();
            if !head.starts_with("http/1.1 200") {
                let status = head.lines().next().unwrap_or_default().to_owned();
                return Err(format!("stream refused: {status}").into());
            }
            if !head.contains("transfer-encoding: chunked") {
                return Err("the stream is not chunked".into());
            }
            self.raw.drain(..end + 4);
            self.head_done = true;
        }
        // Chunks: "<hex size>\r\n<data>\r\n".
        while let Some(line_end) = find(&self.raw, b"\r\n", 0) {
            let size_text = String::from_utf8_lossy(&self.raw[..line_end]);
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| format!("bad chunk size {size_text:?}"))?;
            if size == 0 {
                return Err("the node ended a stream".into());
            }
            let start = line_end + 2;
            if self.raw.len() < start + size + 2 {
                break;
            }
            self.events
                .extend_from_slice(&self.raw[start..start + size]);
            self.raw.drain(..start + size + 2);
        }
        let mut done = Vec::new();
        while let Some(end) = find(&self.events, b"\n\n", 0) {
            let event: Vec<u8> = self.events.drain(..end + 2).collect();
            done.push(event);
        }
        Ok(done)
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|at| at + from)
}

/// The quantity the dashboard shows for stock `name` in one event: the
/// number opening the quantity cell of the stock's row.
fn quantity_of(event: &[u8], name: &str) -> Option<u64> {
    let row = find(
        event,
        format!("<th scope=\"row\">{name}</th>").as_bytes(),
        0,
    )?;
    let marker = b"quantity\">";
    let cell = find(event, marker, row)? + marker.len();
    let digits: Vec<u8> = event[cell..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_loopback_is_accepted() {
        assert_eq!(
            loopback("http://127.0.0.1:8080").unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(
            loopback("http://[::1]:80/").unwrap(),
            "[::1]:80".parse().unwrap()
        );
        assert!(loopback("http://10.0.0.1:8080").is_err());
        assert!(loopback("https://127.0.0.1:8443").is_err());
        assert!(loopback("http://example.org:80").is_err());
    }

    #[test]
    fn chunked_events_are_put_back_together() {
        let mut reader = Reader::default();
        let head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
        assert!(reader.feed(head).unwrap().is_empty());
        let event = b"event: tableau\ndata: <tr><th scope=\"row\">O2</th><td class=\"num quantity\">1000012 m3</td>\n\n";
        let chunk = [format!("{:x}\r\n", event.len()).as_bytes(), event, b"\r\n"].concat();
        let (a, b) = chunk.split_at(30);
        assert!(reader.feed(a).unwrap().is_empty());
        let events = reader.feed(b).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(quantity_of(&events[0], "O2"), Some(1_000_012));
        assert_eq!(quantity_of(&events[0], "N2"), None);
    }

    #[test]
    fn the_first_stock_of_the_page_is_found() {
        let page = r#"<tr class="stock-normal">
<th scope="row">Bouteilles d&#39;oxygène B5<br><span class="tag">x</span></th>
<td><form><input type="hidden" name="csrf" value="t"><input type="hidden" name="stock" value="O2-B5">"#;
        let stock = pick_stock(page, "").unwrap();
        assert_eq!(stock.code, "O2-B5");
        assert_eq!(stock.name, "Bouteilles d&#39;oxygène B5");
        assert!(pick_stock(page, "NOPE").is_err());
        assert_eq!(
            attribute_after(page, "name=\"csrf\" value=\"").as_deref(),
            Some("t")
        );
    }
}
