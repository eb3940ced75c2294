//! `ckisa status`: what an IT person checks first: is the data fresh, how
//! much is there, is anything in quarantine.

use std::path::PathBuf;
use std::process::ExitCode;

use ckisa_store::Store;

use crate::config::DEFAULT_DATA;
use crate::keys::{self, KEY_RULES, KeyArgs, Missing};
use crate::node::{Replica, age_text, paris, require_node_folder};
use crate::out;

/// Afficher la fraîcheur des flux, les volumes et la quarantaine d'un dossier
/// de données.
///
/// Les mêmes chiffres sont servis aux outils de supervision sur /metrics.
/// Peut tourner pendant que le nœud sert.
#[derive(Debug, clap::Args)]
#[command(after_long_help = KEY_RULES)]
pub(crate) struct Cmd {
    /// Dossier de données du nœud.
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
    /// Écrire l'état en JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    key: KeyArgs,
}

impl Cmd {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        require_node_folder(&self.data)?;
        let key = keys::resolve(&self.key, &self.data, None, Missing::Refuse)?;
        let node = Replica::open(&self.data, paris(), &key)?;
        let status = node.store.status()?;
        let now_ms = node.factory.now_ms();
        if self.json {
            let json = serde_json::json!({
                "data_dir": node.data.display().to_string(),
                "node_id": node.factory.node().0,
                "now_ms": now_ms,
                "store": status,
            });
            out::line(&serde_json::to_string_pretty(&json)?);
            return Ok(ExitCode::SUCCESS);
        }
        out::line(&format!("Dossier de données : {}", node.data.display()));
        out::line(&format!("Nœud : {}", node.factory.node()));
        out::line(&format!("Clé : {}", key.describe()));
        out::line(&format!(
            "Événements : {} · patients : {} (présents : {}) · unités : {} · schéma v{}",
            status.events, status.patients, status.in_house, status.units, status.schema_version
        ));
        out::line(&format!("Quarantaine : {} entrée(s)", status.quarantined));
        if status.feeds.is_empty() {
            out::line("Flux : aucune donnée reçue");
        }
        for feed in &status.feeds {
            let age = feed
                .last_received_ms
                .map(|last| format!("données à jour il y a {}", age_text(now_ms - last)))
                .unwrap_or_else(|| String::from("aucune donnée reçue"));
            out::line(&format!(
                "Flux {} : {} · acceptés {} · doublons {} · rejetés {}",
                feed.name, age, feed.accepted, feed.duplicates, feed.rejected
            ));
        }
        Ok(ExitCode::SUCCESS)
    }
}
