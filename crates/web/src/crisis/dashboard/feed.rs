//! Pushing the dashboard to every open browser: `GET /crise/tableau/flux`.
//!
//! One producer task per server runs while at least one browser listens.
//! Every [`POLL_EVERY`] it compares the store's generation (census
//! ingestion and crisis events both move it) with the one of the latest
//! snapshot; when it moved, or when the snapshot is [`REFRESH_EVERY`] old
//! (ages and lateness grow without any event), it builds the model once,
//! renders the fragment once per language someone listens in (French
//! always), encodes each as a server-sent event, and publishes the snapshot
//! on a `watch` channel. Each stream sends its language's event on connect
//! and after every publication, plus keep-alive comments: the encoded bytes
//! are shared, never rendered or copied per browser, and a browser that
//! lags simply gets the latest snapshot. A stream ends as soon as its
//! caller's session no longer lets it in (logout, account disabled,
//! expiry): checked before each event and each keep-alive.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use tokio::sync::{Mutex, Notify, watch};
use tokio::time::Instant;

use super::movements::Counter;
use crate::AppState;
use crate::access::Caller;
use crate::i18n::{LANGS, Lang};

/// How often the producer looks at the store's generation.
const POLL_EVERY: Duration = Duration::from_millis(100);

/// Longest time a snapshot is kept when nothing changes, so that ages and
/// lateness move on screen.
const REFRESH_EVERY: Duration = Duration::from_secs(30);

/// Interval between keep-alive comments on an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// What a browser is told on connect: wait 3 s before reconnecting.
const RETRY: &[u8] = b"retry: 3000\n\n";

/// The dashboard's pushed snapshot, its producer and its listeners; one per
/// server, kept in the crisis hub.
pub(crate) struct Feed {
    latest: watch::Sender<Option<Arc<Snapshot>>>,
    producing: AtomicBool,
    /// Open streams per language, in [`Lang::ALL`] order.
    listeners: [AtomicUsize; LANGS],
    /// Wakes the producer before its next tick (a stream needs a language
    /// the latest snapshot lacks).
    wake: Notify,
    /// The running count of admissions and discharges.
    pub(super) counter: Mutex<Option<Counter>>,
}

impl Feed {
    /// Wakes the producer now (a crisis fact was just recorded here), so
    /// that the browsers do not wait for the next poll.
    pub(crate) fn changed(&self) {
        self.wake.notify_one();
    }
}

impl Default for Feed {
    fn default() -> Feed {
        Feed {
            latest: watch::Sender::new(None),
            producing: AtomicBool::new(false),
            listeners: std::array::from_fn(|_| AtomicUsize::new(0)),
            wake: Notify::new(),
            counter: Mutex::new(None),
        }
    }
}

/// One publication: the fragment in each language someone listens in.
pub(super) struct Snapshot {
    /// Store generation the model was read at.
    generation: u64,
    /// Crisis events folded into the book when it was built (catches what
    /// another process, `ckisa crisis`, recorded: that moves no generation
    /// here).
    applied: u64,
    /// When it was built (monotonic).
    built: Instant,
    /// The `tableau` event in each language, in [`Lang::ALL`] order.
    events: [Option<Bytes>; LANGS],
}

impl Snapshot {
    fn event(&self, lang: Lang) -> Option<&Bytes> {
        self.events[index(lang)].as_ref()
    }
}

fn index(lang: Lang) -> usize {
    Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0)
}

/// `fragment` as one server-sent event named `tableau`: one `data:` line
/// per line of HTML (carriage returns dropped), which the browser joins
/// back with line feeds.
fn encode(fragment: &str) -> Bytes {
    let mut out = String::with_capacity(fragment.len() + fragment.len() / 16 + 32);
    out.push_str("event: tableau\n");
    for line in fragment.lines() {
        out.push_str("data: ");
        out.push_str(&line.replace('\r', ""));
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

/// The stream of one browser, in `lang`, for as long as `caller`'s session
/// stays valid.
pub(super) fn respond(state: AppState, lang: Lang, caller: Caller) -> Response {
    let listener = Listener::join(state.clone(), lang);
    let receiver = listener.feed().latest.subscribe();
    start(&state);
    let closing = state.inner.live.closing();
    let first = Step {
        listener,
        caller,
        receiver,
        closing,
        sent: None,
        greeted: false,
    };
    let body = Body::from_stream(stream::unfold(first, next));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// Counts an open stream in its language while it lives.
struct Listener {
    state: AppState,
    lang: Lang,
}

impl Listener {
    fn join(state: AppState, lang: Lang) -> Listener {
        let listener = Listener { state, lang };
        listener.feed().listeners[index(lang)].fetch_add(1, Ordering::SeqCst);
        listener
    }

    fn feed(&self) -> &Feed {
        &self.state.hub().dashboard
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.feed().listeners[index(self.lang)].fetch_sub(1, Ordering::SeqCst);
    }
}

/// Where one stream stands.
struct Step {
    listener: Listener,
    /// Who listens: checked again before each send.
    caller: Caller,
    receiver: watch::Receiver<Option<Arc<Snapshot>>>,
    closing: watch::Receiver<bool>,
    /// The last event sent, to send each one once.
    sent: Option<Bytes>,
    /// The retry delay was sent.
    greeted: bool,
}

type Item = Result<Bytes, Infallible>;

/// The next bytes of a stream: the retry delay, then the latest snapshot's
/// event in the stream's language whenever it is new, keep-alive comments
/// in between; nothing once the server closes the streams or the caller's
/// session ended.
async fn next(mut step: Step) -> Option<(Item, Step)> {
    if !step.greeted {
        step.greeted = true;
        return Some((Ok(Bytes::from_static(RETRY)), step));
    }
    loop {
        if *step.closing.borrow_and_update() || !step.caller.still_valid(&step.listener.state) {
            return None;
        }
        let current = step.receiver.borrow_and_update().clone();
        // A snapshot left by a producer that stopped may be old: wait for
        // the new one rather than show it.
        let usable = current
            .as_deref()
            .filter(|s| s.built.elapsed() < 2 * REFRESH_EVERY)
            .and_then(|s| s.event(step.listener.lang));
        match usable {
            Some(event) if !step.sent.as_ref().is_some_and(|sent| same(sent, event)) => {
                let event = event.clone();
                step.sent = Some(event.clone());
                return Some((Ok(event), step));
            }
            Some(_) => {}
            None => step.listener.feed().wake.notify_one(),
        }
        tokio::select! {
            changed = step.receiver.changed() => changed.ok()?,
            _ = step.closing.changed() => return None,
            () = tokio::time::sleep(KEEP_ALIVE) => {
                if !step.caller.still_valid(&step.listener.state) {
                    return None;
                }
                return Some((Ok(Bytes::from_static(b": ...\n\n")), step));
            }
        }
    }
}

/// Whether two events are the same publication (shared bytes, compared by
/// address rather than by content).
fn same(a: &Bytes, b: &Bytes) -> bool {
    a.as_ptr() == b.as_ptr() && a.len() == b.len()
}

/// Starts the producer if it does not run.
fn start(state: &AppState) {
    let feed = &state.hub().dashboard;
    if !feed.producing.swap(true, Ordering::SeqCst) {
        tokio::spawn(produce(state.clone()));
    }
}

/// Publishes snapshots until no browser listens or the server closes.
async fn produce(state: AppState) {
    let feed = &state.hub().dashboard;
    let mut closing = state.inner.live.closing();
    let mut ticker = tokio::time::interval(POLL_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = feed.wake.notified() => {}
            _ = closing.changed() => {}
        }
        if *closing.borrow() {
            feed.producing.store(false, Ordering::SeqCst);
            return;
        }
        if feed.latest.receiver_count() == 0 {
            feed.producing.store(false, Ordering::SeqCst);
            if feed.latest.receiver_count() == 0 {
                // Nobody to show it to: drop the snapshot rather than keep
                // an old one for the next browser.
                feed.latest.send_replace(None);
                return;
            }
            // A stream that subscribed after the count was read and saw
            // the flag still set relies on this producer: keep going for
            // it, unless it already started its own.
            if feed.producing.swap(true, Ordering::SeqCst) {
                return;
            }
        }
        if let Err(error) = publish_if_stale(&state).await {
            tracing::warn!(%error, "the crisis dashboard could not be rebuilt");
        }
    }
}

/// Builds and publishes a snapshot when the store moved, the latest one is
/// old, or a listener's language is missing from it.
async fn publish_if_stale(state: &AppState) -> Result<(), crate::error::AppError> {
    let feed = &state.hub().dashboard;
    let wanted: [bool; LANGS] = std::array::from_fn(|i| {
        Lang::ALL[i] == Lang::Fr || feed.listeners[i].load(Ordering::SeqCst) > 0
    });
    let generation = state.read(|store| Ok(store.generation())).await?;
    let applied = state.book().await?.applied();
    let fresh = feed.latest.borrow().as_ref().is_some_and(|latest| {
        latest.generation == generation
            && latest.applied == applied
            && latest.built.elapsed() < REFRESH_EVERY
            && wanted
                .iter()
                .zip(&latest.events)
                .all(|(want, event)| !want || event.is_some())
    });
    if fresh {
        return Ok(());
    }
    let model = super::build_model(state).await?;
    let mut events: [Option<Bytes>; LANGS] = Default::default();
    for (i, lang) in Lang::ALL.into_iter().enumerate() {
        if wanted[i] {
            events[i] = Some(encode(&super::render_fragment(state, &model, lang)?));
        }
    }
    let snapshot = Snapshot {
        generation: model.version,
        applied,
        built: Instant::now(),
        events,
    };
    feed.latest.send_replace(Some(Arc::new(snapshot)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fragment_is_one_event_with_a_data_line_per_line() {
        let event = encode("<p>a</p>\r\n<p>b</p>\n");
        assert_eq!(
            &event[..],
            b"event: tableau\ndata: <p>a</p>\ndata: <p>b</p>\n\n"
        );
    }
}
