//! `ckisa serve`: a node for a real site, from its configuration file.

use std::path::PathBuf;
use std::process::ExitCode;

use ckisa_store::Store;

use crate::config::{Config, parse_addr};
use crate::keys::{self, KEY_RULES, KeyArgs, Missing};
use crate::node::{Node, Site, bind_web, check_web_exposure, shutdown_on_signal};
use crate::out;

/// Démarrer le nœud d'un site réel, d'après un fichier de configuration TOML.
///
/// Le fichier donne le site, son fuseau horaire, le dossier de données,
/// l'adresse web, le certificat HTTPS ([tls]), les flux MLLP à écouter et
/// leurs sources admises, les unités et les lits de l'établissement (voir
/// docs/configuration.md). Les options données ici l'emportent sur le
/// fichier.
///
/// Sans [tls], l'interface web n'écoute que sur une adresse de bouclage
/// (127.0.0.1, ::1). Le nœud ne crée jamais de clé sans qu'on le lui
/// demande : --init-key la crée au premier démarrage.
#[derive(Debug, clap::Args)]
#[command(after_long_help = KEY_RULES)]
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
    #[command(flatten)]
    key: KeyArgs,
    /// Créer le fichier de clé s'il n'existe pas encore (à l'emplacement
    /// donné par --key-file, node.key_file, ou <dossier>.key à côté du
    /// dossier), pour un dossier de données nouveau seulement.
    #[arg(long)]
    init_key: bool,
}

impl Cmd {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let mut config = Config::load(&self.config)?;
        if let Some(data) = self.data.clone() {
            config.data = data;
        }
        let http_key = match &self.http {
            Some(http) => {
                config.http = parse_addr("--http", http)?;
                "--http"
            }
            None => "node.http",
        };
        if let Some(mllp) = &self.mllp {
            let addr = parse_addr("--mllp", mllp)?;
            match config.feeds.first_mut() {
                Some(feed) => feed.listen = addr,
                None => out::warn("--mllp ignoré : la configuration ne déclare aucun flux"),
            }
        }
        check_web_exposure(
            http_key,
            config.http,
            config.tls.is_some(),
            "Configurez [tls] (certificats d'un site : `ckisa tls init`)",
        )?;
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(self.serve(config))?;
        Ok(ExitCode::SUCCESS)
    }

    async fn serve(self, config: Config) -> anyhow::Result<()> {
        // The key first: a node without one stops before touching the folder.
        let missing = if self.init_key {
            Missing::CreateForNewFolder
        } else {
            Missing::Refuse
        };
        let key = keys::resolve(&self.key, &config.data, config.key_file.as_deref(), missing)?;
        let _lock = crate::node::lock_data_folder(&config.data)?;
        out::line(&format!("Site : {}", config.site_name));
        out::line(&format!("Clé : {}", key.describe()));
        let node = Node::open(&config.data, config.zone.clone(), &key)?;
        let store = node.store.clone();
        let units = config.units.clone();
        tokio::task::spawn_blocking(move || store.define_units(&units)).await??;
        let shutdown = shutdown_on_signal();
        // The web port first: if it is taken, nothing has been announced yet.
        let listener = bind_web(config.http, config.tls.as_ref()).await?;
        node.start_feeds(&config.feeds, &shutdown).await?;
        out::line("Ctrl-C pour arrêter.");
        let feeds: Vec<String> = config.feeds.iter().map(|f| f.name.clone()).collect();
        let site = Site {
            name: &config.site_name,
            feeds: &feeds,
            plan: &config.plan,
            simulated_his: None,
            care: &config.care,
            messaging: &config.messaging,
        };
        node.serve_web(listener, site, shutdown).await
    }
}
