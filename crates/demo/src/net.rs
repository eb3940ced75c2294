//! The simulated HIS on the wire: an MLLP client that streams
//! [`HisState::next_message`] to the node over loopback TCP, waits for each
//! ACK, and reconnects with backoff when the connection is lost.
//!
//! A message whose ACK never came is sent again after reconnecting (the
//! node deduplicates by sender and control id), so nothing is skipped.

use crate::clock;
use crate::his::HisState;
use crate::hl7::{ack_code, field, frame, take_frame};
use crate::rng::Rng;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

/// How long to wait for an ACK before treating the connection as lost.
const ACK_TIMEOUT: Duration = Duration::from_secs(30);
/// First and longest wait between connection attempts.
const BACKOFF_MIN: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(10);
/// Largest ACK accepted, in bytes.
const MAX_ACK_BYTES: usize = 64 * 1024;

/// How fast the HIS talks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// About one message every 1.5 s (0.5 to 2.5 s, jittered).
    Realistic,
    /// As fast as ACKs come back (tests).
    Fast,
    /// About one message per given interval, jittered by ±50 %.
    Every(Duration),
}

impl Pace {
    /// About `rate` messages per second, jittered; a rate that is not a
    /// positive finite number gives [`Pace::Realistic`].
    pub fn per_second(rate: f64) -> Pace {
        if rate.is_finite() && rate > 0.0 {
            Duration::try_from_secs_f64(1.0 / rate).map_or(Pace::Fast, Pace::Every)
        } else {
            Pace::Realistic
        }
    }

    fn delay(self, rng: &mut Rng) -> Duration {
        let mean = match self {
            Pace::Realistic => Duration::from_millis(1500),
            Pace::Fast => return Duration::ZERO,
            Pace::Every(mean) => mean,
        };
        mean.mul_f64(rng.float(0.34, 1.67))
    }
}

/// What the simulated HIS did before it stopped.
#[derive(Debug, Clone)]
pub struct HisReport {
    /// Frames written (a message resent after a reconnection counts twice).
    pub sent: u64,
    /// Messages acknowledged with `AA` or `CA`.
    pub accepted: u64,
    /// Messages refused with any other code (`AE`, `AR`, `CE`, `CR`).
    pub refused: u64,
    /// Connections lost or refused, each followed by a new attempt.
    pub reconnections: u64,
    /// The HIS state at shutdown (who is in which bed).
    pub state: HisState,
}

/// Why the simulated HIS could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HisError {
    /// The demo only ever talks to this machine.
    #[error("the simulated HIS only connects to a loopback address, not {target}")]
    NotLoopback {
        /// The refused address.
        target: SocketAddr,
    },
}

/// Runs the simulated HIS against the node's MLLP listener at `target` until
/// `shutdown` turns true (or its sender is dropped).
pub async fn run_simulated_his(
    target: SocketAddr,
    state: HisState,
    pace: Pace,
    mut shutdown: watch::Receiver<bool>,
) -> Result<HisReport, HisError> {
    if !target.ip().is_loopback() {
        return Err(HisError::NotLoopback { target });
    }
    let mut client = Client {
        state,
        pace,
        jitter: Rng::new(0x6A17_7E55),
        pending: None,
        sent: 0,
        accepted: 0,
        refused: 0,
    };
    let mut reconnections = 0;
    let mut backoff = BACKOFF_MIN;
    while !is_shutdown(&shutdown) {
        let connected = tokio::select! {
            result = TcpStream::connect(target) => result,
            () = wait_shutdown(&mut shutdown) => break,
        };
        let lost = match connected {
            Ok(stream) => {
                backoff = BACKOFF_MIN;
                match client.session(stream, &mut shutdown).await {
                    Some(error) => error,
                    None => break,
                }
            }
            Err(error) => error,
        };
        tracing::warn!(%target, error = %lost, "connection to the node lost, retrying");
        reconnections += 1;
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = wait_shutdown(&mut shutdown) => break,
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
    Ok(HisReport {
        sent: client.sent,
        accepted: client.accepted,
        refused: client.refused,
        reconnections,
        state: client.state,
    })
}

/// The sending side of the HIS across connections.
struct Client {
    state: HisState,
    pace: Pace,
    jitter: Rng,
    /// A message sent but not acknowledged, to send again first.
    pending: Option<String>,
    sent: u64,
    accepted: u64,
    refused: u64,
}

impl Client {
    /// Sends messages on `stream` until shutdown (`None`) or a connection
    /// error (returned).
    async fn session(
        &mut self,
        mut stream: TcpStream,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Option<std::io::Error> {
        let mut buffer = Vec::with_capacity(1024);
        loop {
            if is_shutdown(shutdown) {
                return None;
            }
            let message = match self.pending.take() {
                Some(message) => message,
                None => self.state.next_message(&clock::now_hl7()),
            };
            let written = tokio::select! {
                result = write_message(&mut stream, &message) => result,
                () = wait_shutdown(shutdown) => return None,
            };
            if let Err(error) = written {
                self.pending = Some(message);
                return Some(error);
            }
            self.sent += 1;
            let acknowledged = tokio::select! {
                result = read_ack(&mut stream, &mut buffer) => result,
                () = wait_shutdown(shutdown) => return None,
            };
            match acknowledged {
                Ok(ack) => self.record_ack(&message, &ack),
                Err(error) => {
                    self.pending = Some(message);
                    return Some(error);
                }
            }
            let delay = self.pace.delay(&mut self.jitter);
            tokio::select! {
                () = pause(delay) => {}
                () = wait_shutdown(shutdown) => return None,
            }
        }
    }

    fn record_ack(&mut self, message: &str, ack: &[u8]) {
        let control_id = field(message, "MSH", 10).unwrap_or_default();
        match ack_code(ack).as_deref() {
            Some("AA" | "CA") => self.accepted += 1,
            code => {
                self.refused += 1;
                tracing::warn!(
                    control_id,
                    code = code.unwrap_or("none"),
                    "message refused by the node, continuing"
                );
            }
        }
    }
}

/// Writes one framed message.
async fn write_message(stream: &mut TcpStream, message: &str) -> std::io::Result<()> {
    stream.write_all(&frame(message)).await?;
    stream.flush().await
}

/// Reads the ACK frame, giving up after [`ACK_TIMEOUT`].
async fn read_ack(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
    tokio::time::timeout(ACK_TIMEOUT, read_frame(stream, buffer))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no ACK from the node"))?
}

async fn read_frame(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
    loop {
        if let Some(payload) = take_frame(buffer) {
            return Ok(payload);
        }
        if buffer.len() > MAX_ACK_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "ACK too large",
            ));
        }
        if stream.read_buf(buffer).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "node closed the connection",
            ));
        }
    }
}

async fn pause(delay: Duration) {
    if delay.is_zero() {
        tokio::task::yield_now().await;
    } else {
        tokio::time::sleep(delay).await;
    }
}

fn is_shutdown(shutdown: &watch::Receiver<bool>) -> bool {
    *shutdown.borrow()
}

/// Resolves once shutdown is requested or its sender is gone.
async fn wait_shutdown(shutdown: &mut watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_second_turns_a_rate_into_a_mean_interval() {
        assert_eq!(
            Pace::per_second(2.0),
            Pace::Every(Duration::from_millis(500))
        );
        assert_eq!(Pace::per_second(0.0), Pace::Realistic);
        assert_eq!(Pace::per_second(f64::NAN), Pace::Realistic);
        let mut rng = Rng::new(1);
        for _ in 0..100 {
            let delay = Pace::Every(Duration::from_secs(1)).delay(&mut rng);
            assert!(delay >= Duration::from_millis(340) && delay < Duration::from_millis(1670));
        }
        assert_eq!(Pace::Fast.delay(&mut rng), Duration::ZERO);
    }
}
