//! Probes of HIS endpoints: a TCP connection, or a plain HTTP/1.1 GET written
//! by hand over a TCP stream (no HTTP client library, no TLS).

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ckisa_crisis::detect::ProbeResult;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::target::{HostPort, HttpUrl, TargetError};

/// Time a probe has to succeed when the configuration does not say.
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Most of an HTTP answer a probe reads: the status line is all it needs.
const MAX_ANSWER: usize = 4096;

/// One probe named in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSpec {
    /// The probe's name, the subject of its alerts.
    pub name: String,
    /// What to check.
    pub kind: ProbeKind,
    /// Time allowed for the whole check (connection, request, answer).
    pub timeout: Duration,
}

/// What a probe checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeKind {
    /// A TCP connection can be opened.
    Tcp(HostPort),
    /// A GET answers with a 2xx or 3xx status.
    Http(HttpUrl),
}

impl ProbeSpec {
    /// A TCP probe of `addr` (`host:port`).
    pub fn tcp(name: &str, addr: &str, timeout: Duration) -> Result<ProbeSpec, TargetError> {
        Ok(ProbeSpec {
            name: name.to_owned(),
            kind: ProbeKind::Tcp(HostPort::parse(addr)?),
            timeout,
        })
    }

    /// An HTTP probe of `url` (`http://` only: HTTPS is refused).
    pub fn http(name: &str, url: &str, timeout: Duration) -> Result<ProbeSpec, TargetError> {
        Ok(ProbeSpec {
            name: name.to_owned(),
            kind: ProbeKind::Http(HttpUrl::parse(url)?),
            timeout,
        })
    }
}

/// Runs one probe. Never fails: a failure is a result whose `detail` says
/// why, in French (`refus de connexion`, `délai dépassé (5 s)`, `statut 503
/// Service Unavailable`). `at_ms` is when the probe started.
pub async fn probe(spec: &ProbeSpec) -> ProbeResult {
    let at_ms = wall_clock_ms();
    let started = Instant::now();
    let outcome = tokio::time::timeout(spec.timeout, check(&spec.kind)).await;
    let elapsed = started.elapsed().as_millis();
    let (ok, detail) = match outcome {
        Err(_) => (false, format!("délai dépassé ({})", seconds(spec.timeout))),
        Ok(Ok(detail)) => (true, format!("{detail} en {elapsed} ms")),
        Ok(Err(detail)) => (false, detail),
    };
    tracing::debug!(probe = %spec.name, ok, %detail, "probe done");
    ProbeResult {
        name: spec.name.clone(),
        ok,
        detail,
        at_ms,
    }
}

/// The check itself: what went right, or what went wrong.
async fn check(kind: &ProbeKind) -> Result<String, String> {
    match kind {
        ProbeKind::Tcp(target) => {
            connect(target).await?;
            Ok("connexion établie".to_owned())
        }
        ProbeKind::Http(url) => {
            let mut stream = connect(url.authority()).await?;
            get(&mut stream, url).await
        }
    }
}

async fn connect(target: &HostPort) -> Result<TcpStream, String> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((target.host(), target.port()))
        .await
        .map_err(|_| format!("nom d'hôte introuvable : {}", target.host()))?
        .collect();
    let mut last_error = None;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
    }
    Err(match last_error {
        Some(error) => connect_failure(&error),
        None => format!("aucune adresse pour {}", target.host()),
    })
}

fn connect_failure(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => "refus de connexion".to_owned(),
        io::ErrorKind::TimedOut => "délai de connexion dépassé".to_owned(),
        io::ErrorKind::HostUnreachable => "hôte injoignable".to_owned(),
        io::ErrorKind::NetworkUnreachable => "réseau injoignable".to_owned(),
        _ => format!("connexion impossible : {error}"),
    }
}

/// Sends the GET and reads the status line of the answer.
async fn get(stream: &mut TcpStream, url: &HttpUrl) -> Result<String, String> {
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: ckisa-sonde\r\nAccept: */*\r\n\
         Connection: close\r\n\r\n",
        url.path(),
        url.host_header()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|error| format!("envoi de la requête impossible : {error}"))?;

    let mut answer = Vec::with_capacity(256);
    let mut chunk = [0u8; 1024];
    while !answer.contains(&b'\n') && answer.len() < MAX_ANSWER {
        let read = stream
            .read(&mut chunk)
            .await
            .map_err(|error| format!("lecture de la réponse impossible : {error}"))?;
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..read]);
    }
    if answer.is_empty() {
        return Err("connexion fermée sans réponse".to_owned());
    }
    let (status, reason) = status_line(&answer)?;
    let detail = format!("statut {status}{reason}");
    if (200..400).contains(&status) {
        Ok(detail)
    } else {
        Err(detail)
    }
}

/// The status code and the reason phrase (with its leading space) of
/// `HTTP/1.x 503 Service Unavailable`.
fn status_line(answer: &[u8]) -> Result<(u16, String), String> {
    let line = answer.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let line = line.trim_end();
    let unreadable = || format!("réponse illisible : « {} »", printable(line, 60));

    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/") || code.len() != 3 {
        return Err(unreadable());
    }
    let status = code.parse::<u16>().map_err(|_| unreadable())?;
    let reason = match parts.next().map(|reason| printable(reason, 60)) {
        Some(reason) if !reason.is_empty() => format!(" {reason}"),
        _ => String::new(),
    };
    Ok((status, reason))
}

/// `text` without control characters, cut to `max` characters.
fn printable(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

fn seconds(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

/// The one read of the wall clock in this crate: probe results are dated
/// when they start.
fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    const SHORT: Duration = Duration::from_secs(2);

    async fn listener() -> (TcpListener, u16) {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let port = listener.local_addr().expect("bound").port();
        (listener, port)
    }

    /// An HTTP server that answers each connection with the next of
    /// `answers`, and sends each request it read on the channel.
    async fn http_server(answers: Vec<&'static str>) -> (u16, mpsc::UnboundedReceiver<String>) {
        let (listener, port) = listener().await;
        let (sender, requests) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            for answer in answers {
                let (mut stream, _) = listener.accept().await.expect("accept");
                let mut request = Vec::new();
                let mut chunk = [0u8; 512];
                while !request.ends_with(b"\r\n\r\n") {
                    let read = stream.read(&mut chunk).await.expect("read request");
                    if read == 0 {
                        break;
                    }
                    request.extend_from_slice(&chunk[..read]);
                }
                let _ = sender.send(String::from_utf8_lossy(&request).into_owned());
                stream.write_all(answer.as_bytes()).await.expect("answer");
            }
        });
        (port, requests)
    }

    #[tokio::test]
    async fn a_tcp_probe_connects() {
        let (_listener, port) = listener().await;
        let spec = ProbeSpec::tcp("his-mllp", &format!("127.0.0.1:{port}"), SHORT).expect("valid");
        let before = wall_clock_ms();
        let result = probe(&spec).await;
        assert!(result.ok, "{result:?}");
        assert_eq!(result.name, "his-mllp");
        assert!(
            result.detail.starts_with("connexion établie en "),
            "{}",
            result.detail
        );
        assert!(result.at_ms >= before && result.at_ms <= wall_clock_ms());
    }

    #[tokio::test]
    async fn a_closed_port_is_refused() {
        let (listener, port) = listener().await;
        drop(listener);
        for spec in [
            ProbeSpec::tcp("his", &format!("127.0.0.1:{port}"), SHORT),
            ProbeSpec::http("his", &format!("http://127.0.0.1:{port}/"), SHORT),
        ] {
            let result = probe(&spec.expect("valid")).await;
            assert!(!result.ok);
            assert_eq!(result.detail, "refus de connexion");
        }
    }

    #[tokio::test]
    async fn http_is_ok_on_200_and_failed_on_503() {
        let (port, mut requests) = http_server(vec![
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.0 302 Found\r\nLocation: /ailleurs\r\n\r\n",
        ])
        .await;
        let url = format!("http://127.0.0.1:{port}/sante?x=1");
        let spec = ProbeSpec::http("dpi-web", &url, SHORT).expect("valid");

        let first = probe(&spec).await;
        assert!(first.ok, "{first:?}");
        assert!(
            first.detail.starts_with("statut 200 OK en "),
            "{}",
            first.detail
        );
        let request = requests.recv().await.expect("a request");
        assert!(
            request.starts_with("GET /sante?x=1 HTTP/1.1\r\n"),
            "{request}"
        );
        assert!(
            request.contains(&format!("\r\nHost: 127.0.0.1:{port}\r\n")),
            "{request}"
        );
        assert!(request.contains("\r\nConnection: close\r\n"), "{request}");

        let second = probe(&spec).await;
        assert!(!second.ok);
        assert_eq!(second.detail, "statut 503 Service Unavailable");

        let third = probe(&spec).await;
        assert!(third.ok, "a redirection means the server is up: {third:?}");
    }

    #[tokio::test]
    async fn odd_answers_fail_with_a_reason() {
        let (port, _requests) = http_server(vec!["", "bonjour\r\n", "HTTP/1.1 abc\r\n"]).await;
        let spec =
            ProbeSpec::http("dpi", &format!("http://127.0.0.1:{port}/"), SHORT).expect("valid");
        let expected = [
            "connexion fermée sans réponse",
            "réponse illisible : « bonjour »",
            "réponse illisible : « HTTP/1.1 abc »",
        ];
        for expected in expected {
            let result = probe(&spec).await;
            assert!(!result.ok);
            assert_eq!(result.detail, expected);
        }
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        let (listener, port) = listener().await;
        // Accepts, keeps the connection open, never writes.
        let held = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(stream);
        });
        let timeout = Duration::from_millis(300);
        let spec =
            ProbeSpec::http("dpi", &format!("http://127.0.0.1:{port}/"), timeout).expect("valid");
        let started = Instant::now();
        let result = probe(&spec).await;
        assert!(!result.ok);
        assert_eq!(result.detail, "délai dépassé (300 ms)");
        assert!(started.elapsed() < Duration::from_secs(2));
        held.abort();
    }

    #[test]
    fn timeouts_read_in_seconds_when_round() {
        assert_eq!(seconds(Duration::from_secs(5)), "5 s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1500 ms");
    }
}
