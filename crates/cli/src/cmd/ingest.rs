//! `ckisa ingest`: load files and folders, with a progress bar and a
//! summary. Exit code 0 when everything was accepted, 1 when some input was
//! rejected (after loading all the rest), 2 when it could not run at all.

use std::path::PathBuf;
use std::process::ExitCode;

use ckisa_ingest::files::{self, FileReport, IngestContext, Progress};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::DEFAULT_DATA;
use crate::keys::{self, KEY_RULES, KeyArgs, Missing};
use crate::node::{Replica, paris};
use crate::out;

/// Charger des fichiers ou dossiers HL7 v2 et FHIR R4 dans le nœud.
///
/// HL7 v2 : messages seuls ou à la suite, lots FHS/BHS, captures MLLP ; toute
/// fin de segment (CR, LF, CRLF). FHIR R4 JSON : ressources, bundles de tout
/// type, NDJSON. Les dossiers sont lus récursivement (fichiers Markdown
/// ignorés). Ce qui est rejeté va en quarantaine avec sa raison ; le reste est
/// chargé.
///
/// Code de sortie : 0 tout accepté, 1 une partie rejetée (le reste chargé),
/// 2 impossible de s'exécuter.
///
/// Un nouveau dossier de données a besoin d'une clé : --init-key la crée (à
/// côté du dossier, ou à l'emplacement de --key-file), ou donnez
/// CKISA_PASSPHRASE.
#[derive(Debug, clap::Args)]
#[command(after_long_help = KEY_RULES)]
pub(crate) struct Cmd {
    /// Fichiers ou dossiers à charger.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Dossier de données du nœud (créé s'il n'existe pas).
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
    /// Nom du flux, pour les indicateurs de fraîcheur.
    #[arg(long, default_value = "fichiers")]
    feed: String,
    /// Écrire le bilan en JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    key: KeyArgs,
    /// Créer le fichier de clé s'il n'existe pas encore (dossier de données
    /// nouveau seulement).
    #[arg(long)]
    init_key: bool,
}

impl Cmd {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let missing = if self.init_key {
            Missing::CreateForNewFolder
        } else {
            Missing::Refuse
        };
        let key = keys::resolve(&self.key, &self.data, None, missing)?;
        let node = Replica::open(&self.data, paris(), &key)?;
        let inputs = files::collect(&self.paths)?;
        let total: u64 = inputs.iter().map(|input| input.size).sum();
        let bar = progress_bar(total, self.json);
        let context = IngestContext {
            feed: self.feed.clone(),
            store: node.store.clone(),
            factory: node.factory.as_ref(),
            map: node.map_context(),
        };
        let mut on_progress = |progress: Progress<'_>| {
            bar.set_position(progress.bytes_done);
            bar.set_message(progress.file.to_owned());
        };
        let summary = files::ingest(&context, &inputs, &mut on_progress)?;
        bar.finish_and_clear();
        if self.json {
            out::line(&serde_json::to_string_pretty(&summary)?);
        } else {
            print_summary(&summary.files);
            out::line(&summary.totals_fr());
        }
        Ok(if summary.rejected() == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

fn progress_bar(total: u64, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let style =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

fn print_summary(reports: &[FileReport]) {
    for report in reports {
        if report.rejections.is_empty() && report.problems.is_empty() {
            continue;
        }
        out::line(&format!("{} :", report.path));
        for rejection in &report.rejections {
            out::line(&format!("  rejeté : {rejection}"));
        }
        for problem in &report.problems {
            out::line(&format!("  avertissement : {problem}"));
        }
    }
}
