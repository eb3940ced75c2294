//! Acting as a browser against a running node on the loopback, for the
//! benchmarks of live pages (`sse_fanout`, `msg_load`): the node's address
//! (refusing anything but 127.0.0.1 and ::1), logging in through
//! `POST /connexion` with the forced first password change, the CSRF field
//! of a page, and server-sent event streams read over raw HTTP/1.1 (one
//! connection each, chunked body), optionally from a given loopback source
//! address so that many simulated browsers do not share one.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

use crate::HttpClient;

/// Errors of the live benchmarks, as text: they only print them.
pub type BenchError = Box<dyn std::error::Error + Send + Sync>;

/// The socket address of `url`, which must be plain HTTP on the loopback.
pub fn loopback(url: &str) -> Result<SocketAddr, BenchError> {
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

/// The value of the first attribute that follows `marker` in `page`.
pub fn attribute_after(page: &str, marker: &str) -> Option<String> {
    let rest = page.split(marker).nth(1)?;
    rest.split('"').next().map(str::to_owned)
}

/// The CSRF token of a page: the value of its first hidden `csrf` field.
pub fn csrf_field(page: &str) -> Option<String> {
    attribute_after(page, "name=\"csrf\" value=\"")
}

/// Who logs in, and where from.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    /// The node.
    pub addr: SocketAddr,
    /// Loopback source address of the connections (`None`: the system's).
    pub from: Option<IpAddr>,
    /// Login.
    pub login: &'a str,
    /// Current password.
    pub password: &'a str,
    /// Password to set if the node asks for a change at login; empty: do
    /// not change (the login then fails with a message saying so).
    pub new_password: &'a str,
    /// Page to land on after login (`suite`).
    pub next: &'a str,
}

/// A session opened by [`log_in`].
#[derive(Debug, Clone)]
pub struct Session {
    /// `ckisa_session=...`, for the `Cookie` header.
    pub cookie: String,
    /// Whether the node asked for a password change and got `new_password`.
    pub changed_password: bool,
}

/// Logs in as a browser does. `Ok(None)`: the node refused the password
/// (401, the login page again); any other failure is an error (429: the
/// account or the address is locked out).
pub fn log_in(who: &Credentials<'_>) -> Result<Option<Session>, BenchError> {
    let login = who.login;
    let answer = HttpClient::connect_from(who.addr, who.from)?.post_form(
        "/connexion",
        &[
            ("login", login),
            ("password", who.password),
            ("suite", who.next),
        ],
    )?;
    if answer.status != 303 {
        if answer.status == 401 {
            return Ok(None);
        }
        return Err(format!("login of {login}: HTTP {}", answer.status).into());
    }
    let Some(cookie) = session_cookie(&answer.headers) else {
        return Err(
            "no ckisa_session cookie after login (a node over TLS? plain HTTP only)".into(),
        );
    };
    if answer.header("location") != Some("/mot-de-passe") {
        return Ok(Some(Session {
            cookie,
            changed_password: false,
        }));
    }
    if who.new_password.is_empty() {
        return Err(format!("{login} must change its password first: give a new password").into());
    }
    let mut client = HttpClient::connect_from(who.addr, who.from)?.with_header("Cookie", &cookie);
    let form = client.get("/mot-de-passe")?;
    let csrf =
        csrf_field(&String::from_utf8_lossy(&form.body)).ok_or("no CSRF field on /mot-de-passe")?;
    let changed = client.post_form(
        "/mot-de-passe",
        &[
            ("csrf", &csrf),
            ("current", who.password),
            ("new", who.new_password),
            ("confirm", who.new_password),
        ],
    )?;
    if changed.status != 303 {
        return Err(format!(
            "password change of {login} refused: HTTP {}",
            changed.status
        )
        .into());
    }
    Ok(Some(Session {
        cookie,
        changed_password: true,
    }))
}

/// `ckisa_session=...` from the `Set-Cookie` headers of an answer.
fn session_cookie(headers: &[(String, String)]) -> Option<String> {
    headers
        .iter()
        .filter(|(name, _)| name == "set-cookie")
        .find_map(|(_, value)| value.split(';').next()?.strip_prefix("ckisa_session="))
        .map(|value| format!("ckisa_session={value}"))
}

/// Opens a server-sent event stream: `GET path` with the session cookie
/// and, when resuming, `Last-Event-ID`. Read the answer with an
/// [`EventReader`].
pub async fn open_stream(
    addr: SocketAddr,
    from: Option<IpAddr>,
    path: &str,
    cookie: &str,
    last_event_id: Option<u64>,
) -> std::io::Result<TcpStream> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    if let Some(ip) = from {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let mut tcp = socket.connect(addr).await?;
    tcp.set_nodelay(true)?;
    let resume = last_event_id
        .map(|id| format!("Last-Event-ID: {id}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\
         Accept: text/event-stream\r\n{resume}\r\n"
    );
    tcp.write_all(request.as_bytes()).await?;
    Ok(tcp)
}

/// Reads an HTTP/1.1 response with a chunked body of server-sent events.
#[derive(Default)]
pub struct EventReader {
    head_done: bool,
    raw: Vec<u8>,
    events: Vec<u8>,
}

impl EventReader {
    /// Whether the answer's head (`200`, chunked) has been read.
    pub fn is_open(&self) -> bool {
        self.head_done
    }

    /// Takes bytes read from the socket; returns the events they complete,
    /// raw (`event: ...\ndata: ...\n\n`). A refused stream, a body that is
    /// not chunked and the end of the body are errors.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<Vec<u8>>, BenchError> {
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

/// One server-sent event, its fields read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// The `id:` field, if numeric.
    pub id: Option<u64>,
    /// The `event:` field (empty for a comment or an unnamed event).
    pub name: String,
    /// The `data:` lines, joined by `\n`.
    pub data: String,
}

impl Event {
    /// Reads the fields of a raw event; comment lines (`:`) are skipped.
    pub fn parse(raw: &[u8]) -> Event {
        let mut event = Event::default();
        let text = String::from_utf8_lossy(raw);
        for line in text.lines() {
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "id" => event.id = value.trim().parse().ok(),
                "event" => value.clone_into(&mut event.name),
                "data" => {
                    if !event.data.is_empty() {
                        event.data.push('\n');
                    }
                    event.data.push_str(value);
                }
                _ => {}
            }
        }
        event
    }
}

/// Where `needle` first occurs in `haystack` at or after `from`.
pub fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|at| at + from)
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
        assert!(loopback("http://127.0.0.1").is_err());
    }

    #[test]
    fn chunked_events_are_put_back_together() {
        let mut reader = EventReader::default();
        let head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
        assert!(reader.feed(head).unwrap().is_empty());
        assert!(reader.is_open());
        let event = b"id: 41\nevent: messagerie\ndata: {\"seq\":41}\n\n: ping\n\n";
        let chunk = [format!("{:x}\r\n", event.len()).as_bytes(), event, b"\r\n"].concat();
        let (a, b) = chunk.split_at(30);
        assert!(reader.feed(a).unwrap().is_empty());
        let events = reader.feed(b).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(
            Event::parse(&events[0]),
            Event {
                id: Some(41),
                name: "messagerie".to_owned(),
                data: "{\"seq\":41}".to_owned(),
            }
        );
        assert_eq!(Event::parse(&events[1]), Event::default());
        assert!(reader.feed(b"0\r\n\r\n").is_err());
    }

    #[test]
    fn a_refused_stream_says_its_status() {
        let mut reader = EventReader::default();
        let error = reader
            .feed(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            .unwrap_err();
        assert!(error.to_string().contains("403"), "{error}");
    }

    #[test]
    fn the_session_cookie_and_csrf_field_are_read() {
        let headers = vec![
            ("set-cookie".to_owned(), "lang=fr; Path=/".to_owned()),
            (
                "set-cookie".to_owned(),
                "ckisa_session=abc; HttpOnly; Path=/".to_owned(),
            ),
        ];
        assert_eq!(
            session_cookie(&headers).as_deref(),
            Some("ckisa_session=abc")
        );
        let page = r#"<form><input type="hidden" name="csrf" value="t0k"></form>"#;
        assert_eq!(csrf_field(page).as_deref(), Some("t0k"));
        assert_eq!(csrf_field("<form></form>"), None);
    }
}
