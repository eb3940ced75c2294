//! `ckisa serve`: a node for a real site, from its configuration file.

use std::path::PathBuf;
use std::process::ExitCode;

use ckisa_store::Store;

use crate::config::{Config, parse_addr};
use crate::node::{Node, bind_web, shutdown_on_signal};
use crate::out;

/// Démarrer le nœud d'un site réel, d'après un fichier de configuration TOML.
///
/// Le fichier donne le site, son fuseau horaire, le dossier de données,
/// l'adresse web, les flux MLLP à écouter, les unités et les lits de
/// l'établissement (voir docs/configuration.md). Les options données ici
/// l'emportent sur le fichier.
#[derive(Debug, clap::Args)]
pub(crate) struct Cmd {
    /// Fichier de configuration.
    #[arg(long)]
    config: PathBuf,
    /// Dossier de données (remplace node.data).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Adresse de l'interface web, port 0 pour un port libre (remplace
    /// node.http).
    #[arg(long)]
    http: Option<String>,
    /// Adresse du premier flux MLLP, port 0 pour un port libre.
    #[arg(long)]
    mllp: Option<String>,
}

impl Cmd {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let mut config = Config::load(&self.config)?;
        if let Some(data) = self.data {
            config.data = data;
        }
        if let Some(http) = &self.http {
            config.http = parse_addr("--http", http)?;
        }
        if let Some(mllp) = &self.mllp {
            let addr = parse_addr("--mllp", mllp)?;
            match config.feeds.first_mut() {
                Some(feed) => feed.listen = addr,
                None => out::warn("--mllp ignoré : la configuration ne déclare aucun flux"),
            }
        }
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(serve(config))?;
        Ok(ExitCode::SUCCESS)
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let _lock = crate::node::lock_data_folder(&config.data)?;
    out::line(&format!("Site : {}", config.site_name));
    let node = Node::open(&config.data, config.zone.clone())?;
    let store = node.store.clone();
    let units = config.units.clone();
    tokio::task::spawn_blocking(move || store.define_units(&units)).await??;
    let shutdown = shutdown_on_signal();
    // The web port first: if it is taken, nothing has been announced yet.
    let listener = bind_web(config.http).await?;
    node.start_feeds(&config.feeds, &shutdown).await?;
    out::line("Ctrl-C pour arrêter.");
    let feeds: Vec<String> = config.feeds.iter().map(|f| f.name.clone()).collect();
    node.serve_web(listener, &config.site_name, &feeds, shutdown)
        .await
}
