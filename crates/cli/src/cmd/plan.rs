//! `ckisa plan check`: validates the continuity plan of a configuration
//! file before a node uses it, listing every problem with its key.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::out;

/// Le plan de continuité de l'établissement (BIA, fiches réflexes,
/// annuaire de crise, stocks critiques, niveaux, détection), dans la table
/// [plan] du fichier de configuration : voir docs/plan.md.
#[derive(Debug, clap::Args)]
pub(crate) struct Cmd {
    #[command(subcommand)]
    action: PlanAction,
}

#[derive(Debug, clap::Subcommand)]
enum PlanAction {
    /// Vérifier le plan : chaque erreur est donnée avec sa clé
    /// (plan.activities[2].dmia) ; code de sortie 0 si le plan est
    /// utilisable, 1 sinon.
    Check {
        /// Fichier de configuration du nœud.
        #[arg(long, default_value = "ckisa.toml")]
        config: PathBuf,
    },
}

impl Cmd {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let PlanAction::Check { config } = self.action;
        let loaded = match Config::load(&config) {
            Ok(loaded) => loaded,
            Err(error) => {
                out::error(&error);
                return Ok(ExitCode::from(1));
            }
        };
        if !loaded.has_plan {
            out::warn(&format!(
                "{} : table [plan] absente ; le nœud tournerait avec le plan par défaut (trois \
                 niveaux, aucune activité) : voir docs/plan.md",
                config.display()
            ));
            return Ok(ExitCode::from(1));
        }
        let plan = &loaded.plan;
        out::line(&format!(
            "Plan valide ({}) : {} activité(s), {} application(s), {} fiche(s) réflexe(s), \
             {} contact(s), {} stock(s) critique(s), {} niveau(x) de crise, {} sonde(s).",
            config.display(),
            plan.activities.len(),
            plan.applications.len(),
            plan.cards.len(),
            plan.contacts.len(),
            plan.stocks.len(),
            plan.crisis.levels.len(),
            plan.detection.probes.len(),
        ));
        for warning in &plan.warnings {
            out::warn(&warning.to_string());
        }
        Ok(ExitCode::SUCCESS)
    }
}
