//! A TLS listener for `axum::serve`.
//!
//! TCP connections are accepted by one background task; each TLS handshake
//! runs in its own task with a deadline, and finished handshakes reach
//! [`axum::serve::Listener::accept`] through a channel. A client that is slow,
//! silent or sends garbage therefore only ever holds its own task, never the
//! accept loop, and a failed handshake is logged at debug and dropped: the
//! web pages stay up whatever arrives on the port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tracing::{debug, error, warn};

/// Longest time a client gets to complete its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshakes in progress at once; connections beyond are closed on arrival
/// so a flood cannot exhaust file descriptors and memory.
pub const MAX_PENDING_HANDSHAKES: usize = 512;

/// Finished handshakes waiting for the server to take them.
const READY_QUEUE: usize = 64;

type Ready = (TlsStream<TcpStream>, SocketAddr);

/// A TCP listener that hands out TLS streams. Use it in place of the
/// `TcpListener` given to `axum::serve`. To get `ConnectInfo<SocketAddr>`,
/// wrap it with `axum::serve::ListenerExt::tap_io(listener, |_| {})` and
/// serve `router.into_make_service_with_connect_info::<SocketAddr>()`.
pub struct TlsListener {
    tcp: Arc<TcpListener>,
    acceptor: TlsAcceptor,
    local_addr: Option<SocketAddr>,
    ready: Option<mpsc::Receiver<Ready>>,
    accept_task: Option<JoinHandle<()>>,
}

impl TlsListener {
    /// Wraps a bound TCP listener. The accept task starts with the first
    /// `accept`, so this may run outside a tokio runtime.
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> TlsListener {
        let local_addr = tcp.local_addr().ok();
        TlsListener {
            tcp: Arc::new(tcp),
            acceptor: TlsAcceptor::from(config),
            local_addr,
            ready: None,
            accept_task: None,
        }
    }

    /// The bound address, as the TCP listener reported it when wrapped.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.local_addr.ok_or_else(|| {
            std::io::Error::other("adresse d'écoute inconnue (le système ne l'a pas donnée)")
        })
    }

    /// Starts (or, had it ever stopped, restarts) the accept task.
    fn start(&mut self) {
        let (sender, receiver) = mpsc::channel(READY_QUEUE);
        let task = tokio::spawn(accept_loop(
            Arc::clone(&self.tcp),
            self.acceptor.clone(),
            sender,
        ));
        if let Some(old) = self.accept_task.replace(task) {
            old.abort();
        }
        self.ready = Some(receiver);
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        if let Some(task) = self.accept_task.take() {
            task.abort();
        }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            if self.ready.is_none() {
                self.start();
            }
            if let Some(ready) = self.ready.as_mut()
                && let Some(connection) = ready.recv().await
            {
                return connection;
            }
            // The accept loop never returns; if its task died anyway, log
            // it and start a new one rather than stop serving.
            error!("TLS accept task stopped unexpectedly; restarting it");
            self.ready = None;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        TlsListener::local_addr(self)
    }
}

async fn accept_loop(tcp: Arc<TcpListener>, acceptor: TlsAcceptor, ready: mpsc::Sender<Ready>) {
    let slots = Arc::new(Semaphore::new(MAX_PENDING_HANDSHAKES));
    loop {
        let (stream, peer) = match tcp.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                accept_failed(err).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            warn!(%peer, "too many TLS handshakes in progress, new connection closed");
            continue;
        };
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            if let Some(tls) = handshake(&acceptor, stream, peer).await {
                // The permit is held until the server takes the stream, so a
                // stalled server also bounds the handshakes in flight.
                let _ = ready.send((tls, peer)).await;
            }
            drop(permit);
        });
    }
}

async fn handshake(
    acceptor: &TlsAcceptor,
    stream: TcpStream,
    peer: SocketAddr,
) -> Option<TlsStream<TcpStream>> {
    let _ = stream.set_nodelay(true);
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Some(tls),
        Ok(Err(err)) => {
            debug!(%peer, error = %err, "TLS handshake failed");
            None
        }
        Err(_) => {
            debug!(%peer, "TLS handshake timed out");
            None
        }
    }
}

/// Per-connection errors are the client's; others (out of file descriptors)
/// get a pause so the loop does not spin.
async fn accept_failed(err: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        debug!(error = %err, "TCP accept failed");
        return;
    }
    error!(error = %err, "TCP accept failed; pausing one second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
