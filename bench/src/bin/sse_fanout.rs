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

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ckisa_bench::browser::{
    self, BenchError, Credentials, EventReader, attribute_after, csrf_field, find, loopback,
};
use ckisa_bench::{HttpClient, Percentiles, arg, result_line};
use tokio::io::AsyncReadExt;
use tokio::sync::watch;

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
    let csrf = csrf_field(&page).ok_or("no CSRF field on /crise/stocks")?;
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

/// A session cookie for `login`, changing the password first if the node
/// asks and `new_password` is given.
fn log_in(
    addr: SocketAddr,
    login: &str,
    password: &str,
    new_password: &str,
) -> Result<String, BenchError> {
    let who = Credentials {
        addr,
        from: None,
        login,
        password,
        new_password,
        next: "/crise/tableau",
    };
    let session = browser::log_in(&who)?.ok_or_else(|| format!("login of {login} refused"))?;
    if session.changed_password {
        println!("password of {login} changed as asked by the node");
    }
    Ok(session.cookie)
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
        let mut tcp =
            browser::open_stream(self.addr, None, "/crise/tableau/flux", &self.cookie, None)
                .await?;
        let mut reader = EventReader::default();
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
    fn the_quantity_of_a_stock_is_read_in_its_row() {
        let event = b"event: tableau\ndata: <tr><th scope=\"row\">O2</th><td class=\"num quantity\">1000012 m3</td>\n\n";
        assert_eq!(quantity_of(event, "O2"), Some(1_000_012));
        assert_eq!(quantity_of(event, "N2"), None);
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
