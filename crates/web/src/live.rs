//! Live refresh: `GET /evenements`, a server-sent event stream of the
//! store's generation number.
//!
//! One poller per server reads `Store::generation` on the blocking pool
//! every 100 ms while at least one page listens, and publishes changes on a
//! `watch` channel; each stream sends the current generation on connect and
//! every change after, plus keep-alive comments. `static/app.js` re-fetches
//! the page's live parts when the number changes. A stream ends as soon as
//! its caller's session no longer lets it in (logout, account disabled,
//! expiry): checked before each event and every [`CHECK_EVERY`] in between.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use futures_util::stream;
use tokio::sync::watch;

use crate::AppState;
use crate::access::Caller;

/// How often the poller reads the store's generation.
const POLL_EVERY: Duration = Duration::from_millis(100);

/// Interval between keep-alive comments, and between checks of the
/// caller's session on a stream without change.
const CHECK_EVERY: Duration = Duration::from_secs(15);

/// The shared generation channel, whether its poller runs, and the signal
/// that ends every stream at shutdown.
pub(crate) struct Generation {
    sender: watch::Sender<u64>,
    polling: Arc<AtomicBool>,
    closing: watch::Sender<bool>,
}

impl Default for Generation {
    fn default() -> Generation {
        Generation {
            sender: watch::Sender::new(0),
            polling: Arc::new(AtomicBool::new(false)),
            closing: watch::Sender::new(false),
        }
    }
}

impl Generation {
    /// Ends every open event stream, now and for later requests.
    pub(crate) fn close(&self) {
        self.closing.send_replace(true);
    }

    /// The signal that ends every stream at shutdown, for the streams of
    /// other modules (the crisis dashboard's `/crise/tableau/flux`).
    pub(crate) fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }
}

/// `GET /evenements`.
pub(crate) async fn events(
    State(state): State<AppState>,
    caller: Caller,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = subscribe(&state).await;
    let closing = state.inner.live.closing.subscribe();
    let first = Listening {
        state,
        caller,
        receiver,
        closing,
        first: true,
    };
    let stream = stream::unfold(first, next_event);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(CHECK_EVERY))
}

/// Where one stream stands.
struct Listening {
    state: AppState,
    caller: Caller,
    receiver: watch::Receiver<u64>,
    closing: watch::Receiver<bool>,
    /// Nothing was sent yet.
    first: bool,
}

/// The next event: the current generation on the first call, then each
/// change; nothing once the server closes the streams or the caller's
/// session ended.
async fn next_event(mut listening: Listening) -> Option<(Result<Event, Infallible>, Listening)> {
    // The first event goes at once; later ones wait for a change. The
    // session is checked before each, and on every quiet interval.
    let mut ready = listening.first;
    loop {
        if *listening.closing.borrow_and_update() || !listening.caller.still_valid(&listening.state)
        {
            return None;
        }
        if ready {
            break;
        }
        tokio::select! {
            changed = listening.receiver.changed() => {
                changed.ok()?;
                ready = true;
            }
            _ = listening.closing.changed() => return None,
            () = tokio::time::sleep(CHECK_EVERY) => {}
        }
    }
    listening.first = false;
    let generation = *listening.receiver.borrow_and_update();
    let event = Event::default()
        .event("generation")
        .data(generation.to_string());
    Some((Ok(event), listening))
}

/// A receiver holding the current generation, starting the poller when no
/// page was listening.
async fn subscribe(state: &AppState) -> watch::Receiver<u64> {
    let live = &state.inner.live;
    let receiver = live.sender.subscribe();
    if !live.polling.swap(true, Ordering::SeqCst) {
        // Read once now so the first event carries the real number.
        if let Ok(generation) = state.read(|store| Ok(store.generation())).await {
            live.sender
                .send_if_modified(|held| std::mem::replace(held, generation) != generation);
        }
        tokio::spawn(poll(state.clone()));
    }
    receiver
}

/// Publishes generation changes until no page listens.
async fn poll(state: AppState) {
    let live = &state.inner.live;
    let mut ticker = tokio::time::interval(POLL_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if live.sender.receiver_count() == 0 {
            live.polling.store(false, Ordering::SeqCst);
            // A page that subscribed after the count was read and saw the
            // flag still set relies on this poller: keep going for it,
            // unless it already started its own.
            if live.sender.receiver_count() == 0 || live.polling.swap(true, Ordering::SeqCst) {
                return;
            }
        }
        match state.read(|store| Ok(store.generation())).await {
            Ok(generation) => {
                live.sender
                    .send_if_modified(|held| std::mem::replace(held, generation) != generation);
            }
            Err(error) => tracing::warn!(%error, "reading the store generation failed"),
        }
    }
}
