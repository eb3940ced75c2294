//! The MLLP listener: HL7 v2 messages framed by `<VT> ... <FS><CR>` over
//! TCP, each answered by an ACK.
//!
//! **Invariant:** an `AA` is written only after the store has committed the
//! message durably; if the store fails, the answer is `AE` and the sender
//! keeps the message to send again. Garbage, truncated frames and oversized
//! frames are quarantined with a reason; the connection and the listener go
//! on serving.
//!
//! Only configured source addresses may connect ([`MllpOptions::allowed_sources`],
//! [`SourceRule`]): any other peer is closed before a byte is read and never
//! gets an ACK. With no rule configured, only loopback peers are served.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Peers allowed to connect: the interface engine's addresses or blocks.
    /// Empty means loopback only (127.0.0.0/8 and ::1), never "everyone".
    pub allowed_sources: Vec<SourceRule>,
    /// Connection counters of this listener. Clones of these options share
    /// them, so the caller keeps a handle to read them.
    pub stats: Arc<ConnectionStats>,
}

impl Default for MllpOptions {
    fn default() -> Self {
        MllpOptions {
            max_frame: 16 * 1024 * 1024,
            idle_timeout: Duration::from_secs(600),
            frame_timeout: Duration::from_secs(30),
            max_connections: 256,
            allowed_sources: Vec::new(),
            stats: Arc::default(),
        }
    }
}

impl MllpOptions {
    /// Whether `peer` may connect: it matches a rule, or there is no rule
    /// and it is a loopback address.
    pub fn allows(&self, peer: IpAddr) -> bool {
        if self.allowed_sources.is_empty() {
            return peer.to_canonical().is_loopback();
        }
        self.allowed_sources.iter().any(|rule| rule.matches(peer))
    }
}

/// Connection counters of one MLLP listener, since it started.
#[derive(Debug, Default)]
pub struct ConnectionStats {
    served: AtomicU64,
    refused_source: AtomicU64,
    refused_full: AtomicU64,
}

impl ConnectionStats {
    /// Connections accepted and served.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    /// Connections closed because their source address is not allowed.
    pub fn refused_source(&self) -> u64 {
        self.refused_source.load(Ordering::Relaxed)
    }

    /// Connections closed because `max_connections` were already served.
    pub fn refused_full(&self) -> u64 {
        self.refused_full.load(Ordering::Relaxed)
    }
}

/// One allowed source: an IP address (`10.20.0.5`, `::1`) or a CIDR block
/// (`10.20.0.0/16`, `fd00::/64`). IPv4 peers reaching a dual-stack socket as
/// IPv4-mapped IPv6 addresses (`::ffff:10.20.0.5`) match IPv4 rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceRule {
    network: IpAddr,
    prefix: u8,
}

/// Why a source rule was refused; French, shown to the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceRuleError {
    /// The rule is empty.
    #[error("adresse source vide : indiquez une adresse IP (10.20.0.5) ou un bloc (10.20.0.0/16)")]
    Empty,
    /// `*`, `0.0.0.0/0` or `::/0`: every source.
    #[error(
        "« {text} » autoriserait toutes les sources : listez les adresses des moteurs d'interface (par exemple 10.20.0.5 ou 10.20.0.0/16)"
    )]
    EverySource {
        /// The rule as written.
        text: String,
    },
    /// The address part is not an IP address.
    #[error(
        "adresse source invalide : « {text} » (attendu : une adresse IP comme 10.20.0.5 ou un bloc comme 10.20.0.0/16)"
    )]
    InvalidAddress {
        /// The rule as written.
        text: String,
    },
    /// The prefix length is not a number within the address size.
    #[error("longueur de préfixe invalide dans « {text} » : un nombre de 1 à {max} est attendu")]
    InvalidPrefix {
        /// The rule as written.
        text: String,
        /// 32 for IPv4, 128 for IPv6.
        max: u8,
    },
    /// Address bits are set beyond the prefix, which usually means a typo.
    #[error(
        "bloc « {text} » ambigu : l'adresse a des bits après le préfixe ; écrivez {network} pour le bloc entier, ou l'adresse seule"
    )]
    HostBitsSet {
        /// The rule as written.
        text: String,
        /// The block the operator probably meant.
        network: String,
    },
}

impl SourceRule {
    /// Parses `10.20.0.5`, `10.20.0.0/16`, `::1` or `fd00::/64`. Refuses
    /// rules that allow every source and blocks with bits after the prefix.
    pub fn parse(text: &str) -> Result<SourceRule, SourceRuleError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SourceRuleError::Empty);
        }
        if text == "*" {
            return Err(SourceRuleError::EverySource { text: text.into() });
        }
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| SourceRuleError::InvalidAddress { text: text.into() })?;
        let max = max_prefix(address);
        let prefix = match prefix {
            None => max,
            Some(digits) => digits
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= max && digits.bytes().all(|b| b.is_ascii_digit()))
                .ok_or(SourceRuleError::InvalidPrefix {
                    text: text.into(),
                    max,
                })?,
        };
        if prefix == 0 {
            return Err(SourceRuleError::EverySource { text: text.into() });
        }
        let network = mask(address, prefix);
        if network != address {
            return Err(SourceRuleError::HostBitsSet {
                text: text.into(),
                network: SourceRule { network, prefix }.to_string(),
            });
        }
        let rule = SourceRule { network, prefix }.canonical();
        if rule.prefix == 0 {
            return Err(SourceRuleError::EverySource { text: text.into() });
        }
        Ok(rule)
    }

    /// Whether `peer` is inside this rule's block.
    pub fn matches(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        let same_family = peer.is_ipv4() == self.network.is_ipv4();
        same_family && mask(peer, self.prefix) == self.network
    }

    /// An IPv4-mapped IPv6 block (`::ffff:10.0.0.0/104`) becomes the IPv4
    /// block it stands for, so it matches canonicalized peers.
    fn canonical(self) -> SourceRule {
        match self.network {
            IpAddr::V6(v6) if self.prefix >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => SourceRule {
                    network: IpAddr::V4(v4),
                    prefix: self.prefix - 96,
                },
                None => self,
            },
            _ => self,
        }
    }
}

impl FromStr for SourceRule {
    type Err = SourceRuleError;

    fn from_str(text: &str) -> Result<SourceRule, SourceRuleError> {
        SourceRule::parse(text)
    }
}

impl fmt::Display for SourceRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix == max_prefix(self.network) {
            write!(f, "{}", self.network)
        } else {
            write!(f, "{}/{}", self.network, self.prefix)
        }
    }
}

impl<'de> serde::Deserialize<'de> for SourceRule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        SourceRule::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn max_prefix(address: IpAddr) -> u8 {
    match address {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// Keeps the first `prefix` bits of `address`.
fn mask(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let kept = u32::MAX
                .checked_shl(32 - u32::from(prefix.min(32)))
                .unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits & kept))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let kept = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits & kept))
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
                let stats = &feed.options.stats;
                // Refused before a byte is read: an unknown peer never gets
                // an ACK, nor a slot.
                if !feed.options.allows(peer.ip()) {
                    stats.refused_source.fetch_add(1, Ordering::Relaxed);
                    warn!(feed = %feed.name, %peer, "MLLP source not allowed, connection closed");
                    drop(stream);
                    continue;
                }
                let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                    stats.refused_full.fetch_add(1, Ordering::Relaxed);
                    warn!(feed = %feed.name, %peer, "too many MLLP connections, new one closed");
                    drop(stream);
                    continue;
                };
                stats.served.fetch_add(1, Ordering::Relaxed);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> SourceRule {
        SourceRule::parse(text).unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_rules_and_only_them() {
        let block = rule("10.20.0.0/16");
        assert!(block.matches(ip("10.20.3.4")));
        assert!(block.matches(ip("::ffff:10.20.3.4")));
        assert!(!block.matches(ip("::ffff:10.21.3.4")));
        assert!(!block.matches(ip("10.21.0.1")));
        // An IPv6 rule never matches an IPv4 peer, mapped or not.
        let v6 = rule("::/1");
        assert!(!v6.matches(ip("10.20.3.4")));
        assert!(!v6.matches(ip("::ffff:10.20.3.4")));
        assert!(v6.matches(ip("::1")));
        // A rule written as a mapped address is the IPv4 rule it stands for.
        let mapped = rule("::ffff:10.20.0.0/112");
        assert_eq!(mapped, block);
        assert!(mapped.matches(ip("10.20.9.9")));
    }

    #[test]
    fn no_rule_means_loopback_only_including_mapped_loopback() {
        let options = MllpOptions::default();
        assert!(options.allows(ip("127.0.0.1")));
        assert!(options.allows(ip("127.5.6.7")));
        assert!(options.allows(ip("::1")));
        assert!(options.allows(ip("::ffff:127.0.0.1")));
        assert!(!options.allows(ip("10.0.0.1")));
        assert!(!options.allows(ip("::ffff:10.0.0.1")));
        assert!(!options.allows(ip("fe80::1")));
        let engines = MllpOptions {
            allowed_sources: vec![rule("192.0.2.10"), rule("fd00:1::/64")],
            ..MllpOptions::default()
        };
        assert!(engines.allows(ip("192.0.2.10")));
        assert!(engines.allows(ip("fd00:1::42")));
        assert!(!engines.allows(ip("192.0.2.11")));
        assert!(
            !engines.allows(ip("127.0.0.1")),
            "rules replace the loopback default"
        );
    }

    #[test]
    fn masks_keep_the_prefix_bits_only() {
        assert_eq!(mask(ip("10.20.30.40"), 16), ip("10.20.0.0"));
        assert_eq!(mask(ip("10.20.30.40"), 32), ip("10.20.30.40"));
        assert_eq!(mask(ip("10.20.30.40"), 0), ip("0.0.0.0"));
        assert_eq!(mask(ip("fd00:1:2:3::9"), 48), ip("fd00:1:2::"));
        assert_eq!(mask(ip("fd00::9"), 0), ip("::"));
    }
}
