//! A running node: its data folder, store, event factory, and the servers
//! (web, MLLP feeds) that `demo` and `serve` start the same way.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use ckisa_domain::NodeId;
use ckisa_ingest::clock::{Clock, SystemClock};
use ckisa_ingest::hl7map::MapContext;
use ckisa_ingest::mllp::{FeedContext, MllpOptions};
use ckisa_ingest::pipeline::EventFactory;
use ckisa_store::Store;
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::FeedConfig;
use crate::out;

/// File in the data folder holding the node's id, chosen at first start.
const NODE_ID_FILE: &str = "node-id";
/// The store's database file, whose presence marks a data folder.
const DATABASE_FILE: &str = "ckisa.db";
/// Lock file held by the node serving a data folder.
const LOCK_FILE: &str = "node.lock";

/// Takes the data folder for one serving node: a second `demo` or `serve` on
/// the same folder would run two feeds into one store. The lock is released
/// when the returned file is dropped or the process ends.
pub(crate) fn lock_data_folder(data: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::create_dir_all(data).with_context(|| {
        format!(
            "impossible de créer le dossier de données {}",
            data.display()
        )
    })?;
    let path = data.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("impossible d'ouvrir {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "un autre nœud ckisa utilise déjà {} : arrêtez-le ou donnez un autre --data",
            data.display()
        ),
        Err(std::fs::TryLockError::Error(err)) => {
            Err(err).with_context(|| format!("impossible de verrouiller {}", path.display()))
        }
    }
}

/// An opened data folder.
pub(crate) struct Node {
    /// The data folder.
    pub(crate) data: PathBuf,
    /// The store.
    pub(crate) store: Arc<SqliteStore>,
    /// Mints events for this node.
    pub(crate) factory: Arc<EventFactory>,
    /// Site zone.
    pub(crate) zone: jiff::tz::TimeZone,
}

impl Node {
    /// Opens (creating if needed) a data folder.
    pub(crate) fn open(data: &Path, zone: jiff::tz::TimeZone) -> anyhow::Result<Node> {
        std::fs::create_dir_all(data).with_context(|| {
            format!(
                "impossible de créer le dossier de données {}",
                data.display()
            )
        })?;
        let node_id = read_or_create_node_id(data)?;
        let options = SqliteOptions::new(&zone_name(&zone));
        let store = SqliteStore::open(data, options)
            .with_context(|| format!("impossible d'ouvrir la base dans {}", data.display()))?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        Ok(Node {
            data: data.to_path_buf(),
            store: Arc::new(store),
            factory: Arc::new(EventFactory::new(node_id, clock)),
            zone,
        })
    }

    /// Opens a data folder that must already hold a store.
    pub(crate) fn open_existing(data: &Path) -> anyhow::Result<Node> {
        if !data.join(DATABASE_FILE).is_file() {
            bail!(
                "{} n'est pas un dossier de données ckisa (pas de {DATABASE_FILE}) : donnez le bon avec --data",
                data.display()
            );
        }
        Node::open(data, paris())
    }

    /// The mapping context for HL7 v2 input.
    pub(crate) fn map_context(&self) -> MapContext {
        MapContext::new(self.zone.clone())
    }

    /// Starts one MLLP listener per feed; returns the bound addresses.
    pub(crate) async fn start_feeds(
        &self,
        feeds: &[FeedConfig],
        shutdown: &watch::Receiver<bool>,
    ) -> anyhow::Result<Vec<SocketAddr>> {
        let mut bound = Vec::new();
        for feed in feeds {
            let listener = TcpListener::bind(feed.listen).await.with_context(|| {
                format!(
                    "impossible d'écouter pour le flux {} sur {}",
                    feed.name, feed.listen
                )
            })?;
            let addr = listener.local_addr()?;
            let store: Arc<dyn Store> = self.store.clone();
            let context = Arc::new(FeedContext {
                name: feed.name.clone(),
                store,
                factory: self.factory.clone(),
                map: self.map_context(),
                options: MllpOptions::default(),
            });
            tokio::spawn(ckisa_ingest::mllp::serve(
                listener,
                context,
                shutdown.clone(),
            ));
            out::line(&format!("Flux MLLP {} : en écoute sur {addr}", feed.name));
            bound.push(addr);
        }
        Ok(bound)
    }

    /// Serves the web UI and API until `shutdown` turns true.
    pub(crate) async fn serve_web(
        &self,
        listener: TcpListener,
        site_name: &str,
        feeds: &[String],
        mut shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let store: Arc<dyn Store> = self.store.clone();
        let mut config = ckisa_web::WebConfig::new(
            self.factory.node().0.clone(),
            self.data.display().to_string(),
        );
        config.zone = self.zone.clone();
        config.feeds = feeds.to_vec();
        config.site_name = site_name.to_owned();
        let state = ckisa_web::AppState::new(store, config);
        let app = ckisa_web::router(state.clone());
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = shutdown.wait_for(|stop| *stop).await;
                // Open live streams would otherwise keep the server running.
                state.close_event_streams();
            })
            .await
            .context("le serveur web s'est arrêté")
    }
}

/// Europe/Paris, the default site zone.
pub(crate) fn paris() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC)
}

fn zone_name(zone: &jiff::tz::TimeZone) -> String {
    zone.iana_name().unwrap_or("Europe/Paris").to_owned()
}

fn read_or_create_node_id(data: &Path) -> anyhow::Result<NodeId> {
    let path = data.join(NODE_ID_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => return Ok(NodeId(text.trim().to_owned())),
        Ok(_) => bail!(
            "{} est vide : restaurez-le depuis une sauvegarde ou supprimez-le",
            path.display()
        ),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => {
            return Err(err).with_context(|| format!("impossible de lire {}", path.display()));
        }
    }
    let id = uuid::Uuid::now_v7().to_string();
    std::fs::write(&path, format!("{id}\n"))
        .with_context(|| format!("impossible d'écrire {}", path.display()))?;
    Ok(NodeId(id))
}

/// Binds the web listener and prints its URL.
pub(crate) async fn bind_web(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("impossible d'écouter pour l'interface web sur {addr}"))?;
    let bound = listener.local_addr()?;
    out::line(&format!("Interface web : http://{bound}/"));
    Ok(listener)
}

/// A watch channel that turns true on Ctrl-C or SIGTERM.
pub(crate) fn shutdown_on_signal() -> watch::Receiver<bool> {
    let (sender, receiver) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        out::line("Arrêt demandé, fermeture propre…");
        let _ = sender.send(true);
    });
    receiver
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// "4 s", "3 min", "2 h", "5 j": how long ago, in French.
pub(crate) fn age_text(age_ms: i64) -> String {
    let seconds = age_ms.max(0) / 1000;
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min", seconds / 60),
        3600..86_400 => format!("{} h", seconds / 3600),
        _ => format!("{} j", seconds / 86_400),
    }
}
