//! The MLLP listener: HL7 v2 messages framed by `<VT> ... <FS><CR>` over
//! TCP, each answered by an ACK.
//!
//! **Invariant:** an `AA` is written only after the store has committed the
//! message durably; if the store fails, the answer is `AE` and the sender
//! keeps the message to send again. Garbage, truncated frames and oversized
//! frames are quarantined with a reason; the connection and the listener go
//! on serving.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ckisa_domain::{Source, SourceChannel};
use ckisa_hl7::mllp::{FrameError, MllpDecoder};
use ckisa_store::{Outcome, Rejection, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::hl7in::{self, Handled};
use crate::hl7map::MapContext;
use crate::pipeline::EventFactory;

/// Limits of a listener. They keep a misbehaving or hostile peer from
/// starving the node (file descriptors, memory) and with it the web pages.
#[derive(Debug, Clone)]
pub struct MllpOptions {
    /// Largest accepted frame, in bytes.
    pub max_frame: usize,
    /// A connection silent for this long is closed.
    pub idle_timeout: Duration,
    /// A frame not finished this long after its first byte is dropped to the
    /// quarantine and the connection closed; a new connection that sends no
    /// message within this time is closed too.
    pub frame_timeout: Duration,
    /// Connections served at once; more are closed on arrival.
    pub max_connections: usize,
}

impl Default for MllpOptions {
    fn default() -> Self {
        MllpOptions {
            max_frame: 16 * 1024 * 1024,
            idle_timeout: Duration::from_secs(600),
            frame_timeout: Duration::from_secs(30),
            max_connections: 256,
        }
    }
}

/// Everything one feed's connections share.
pub struct FeedContext {
    /// Feed name, for freshness figures and logs.
    pub name: String,
    /// Where to store.
    pub store: Arc<dyn Store>,
    /// Mints events.
    pub factory: Arc<EventFactory>,
    /// HL7 v2 mapping settings.
    pub map: MapContext,
    /// Limits.
    pub options: MllpOptions,
}

/// Accepts connections until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    feed: Arc<FeedContext>,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(feed.options.max_connections));
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                    warn!(feed = %feed.name, %peer, "too many MLLP connections, new one closed");
                    drop(stream);
                    continue;
                };
                let span = info_span!("mllp_connection", feed = %feed.name, %peer);
                let connection = handle_connection(stream, peer, feed.clone(), shutdown.clone());
                tokio::spawn(
                    async move {
                        connection.await;
                        drop(permit);
                    }
                    .instrument(span),
                );
            }
            Err(err) => {
                warn!(error = %err, feed = %feed.name, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn handle_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    feed: Arc<FeedContext>,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    info!("connection opened");
    let mut decoder = MllpDecoder::with_max_frame_size(feed.options.max_frame);
    let mut buffer = vec![0u8; 64 * 1024];
    // A frame must arrive whole within `frame_timeout` of its first byte, and
    // a connection that has not yet delivered a message gets no longer than
    // that either: silent or trickling peers cannot hold the feed's slots.
    let mut frame_started: Option<tokio::time::Instant> = None;
    let mut delivered = false;
    loop {
        let now = tokio::time::Instant::now();
        let limit = match (decoder.has_partial_frame(), delivered) {
            (true, _) => {
                let started = *frame_started.get_or_insert(now);
                feed.options.frame_timeout.saturating_sub(now - started)
            }
            (false, false) => feed.options.frame_timeout,
            (false, true) => feed.options.idle_timeout,
        };
        if !decoder.has_partial_frame() {
            frame_started = None;
        }
        let read = tokio::select! {
            read = tokio::time::timeout(limit, stream.read(&mut buffer)) => read,
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let count = match read {
            Ok(Ok(0)) => break,
            Ok(Ok(count)) => count,
            Ok(Err(err)) => {
                debug!(error = %err, "read failed");
                break;
            }
            Err(_) => {
                info!("silent connection or unfinished frame: connection closed");
                break;
            }
        };
        decoder.push(&buffer[..count]);
        while let Some(frame) = decoder.next_frame() {
            delivered = true;
            let reply = match frame {
                Ok(payload) => handle_message(&feed, peer, payload).await,
                Err(err) => handle_frame_error(&feed, err).await,
            };
            if let Some(reply) = reply
                && let Err(err) = stream.write_all(&ckisa_hl7::mllp::frame(&reply)).await
            {
                debug!(error = %err, "write failed");
                return;
            }
        }
    }
    if decoder.has_partial_frame() {
        let reason = format!(
            "trame MLLP tronquée : connexion fermée après {} octet(s) sans fin de trame",
            decoder.buffered_len()
        );
        warn!(reason = %reason, "truncated MLLP frame");
        quarantine(&feed, None, reason, Vec::new()).await;
    }
    info!("connection closed");
}

/// Handles one framed message and gives the ACK to send; none for an
/// incoming ACK, which HL7 forbids acknowledging (two peers would loop).
async fn handle_message(
    feed: &Arc<FeedContext>,
    peer: SocketAddr,
    payload: Vec<u8>,
) -> Option<Vec<u8>> {
    let source = Source {
        channel: SourceChannel::Mllp,
        origin: format!("{} ({peer})", feed.name),
        message_id: None,
        sender: None,
        fhir_id: None,
    };
    match hl7in::handle(&payload, &feed.map, &feed.factory, &feed.name, source) {
        Handled::Store {
            submission,
            ack,
            warnings,
            is_ack,
            ..
        } => {
            let control_id = submission
                .events
                .first()
                .and_then(|event| event.source.message_id.clone());
            if !warnings.is_empty() {
                // Counts only: warnings quote field values, which may be
                // patient data.
                warn!(warnings = warnings.len(), "message accepted with warnings");
            }
            let store = feed.store.clone();
            let committed =
                tokio::task::spawn_blocking(move || store.commit(vec![submission])).await;
            let reply = match committed {
                Ok(Ok(outcomes)) => match outcomes.into_iter().next() {
                    Some(Outcome::Refused { reason }) => {
                        warn!("message refused by the store: merged-away patient");
                        quarantine(feed, control_id, reason.clone(), payload).await;
                        ack.refused(&reason)
                    }
                    _ => ack.accepted(),
                },
                Ok(Err(err)) => {
                    warn!(error = %err, "store failed; message refused with AE for a later retry");
                    ack.internal_error()
                }
                Err(err) => {
                    warn!(error = %err, "store task failed; message refused with AE");
                    ack.internal_error()
                }
            };
            (!is_ack).then_some(reply)
        }
        Handled::Reject { rejection, ack } => {
            warn!(control_id = ?rejection.message_id, "message rejected to the quarantine");
            store_rejection(feed, rejection).await;
            Some(ack)
        }
    }
}

/// Quarantines what the framing refused; answers only when the sender waits
/// for an answer (an oversized frame).
async fn handle_frame_error(feed: &Arc<FeedContext>, err: FrameError) -> Option<Vec<u8>> {
    let reason = err.reason_fr();
    warn!(reason = %reason, "MLLP framing error");
    // A sender that finished its frame waits for an answer; stray bytes
    // between frames expect none.
    let answer = matches!(
        err,
        FrameError::FrameTooLarge { .. } | FrameError::MissingCarriageReturn
    );
    quarantine(feed, None, reason.clone(), Vec::new()).await;
    answer.then(|| hl7in::nack_unparseable(&reason))
}

async fn quarantine(
    feed: &Arc<FeedContext>,
    message_id: Option<String>,
    reason: String,
    raw: Vec<u8>,
) {
    let rejection = Rejection {
        feed: feed.name.clone(),
        received_ms: feed.factory.now_ms(),
        message_id,
        reason,
        raw,
    };
    store_rejection(feed, rejection).await;
}

async fn store_rejection(feed: &Arc<FeedContext>, rejection: Rejection) {
    let store = feed.store.clone();
    match tokio::task::spawn_blocking(move || store.quarantine(vec![rejection])).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => warn!(error = %err, "quarantine write failed"),
        Err(err) => warn!(error = %err, "quarantine task failed"),
    }
}
