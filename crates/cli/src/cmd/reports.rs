//! `ckisa reports`: a unit's paper fallback pack written as PDF files, beside a serving node
//! or on a stopped one (SQLite WAL), the same pack the node writes on schedule.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use ckisa_audit::{AuditOutcome, AuditRecord, AuditSink as _};
use ckisa_auth::Action;
use ckisa_care::ledger;
use ckisa_care::paper::{self, PaperError};
use ckisa_care::settings::Settings;
use ckisa_store::Store as _;

use crate::cmd::admin::FolderArgs;
use crate::cmd::demo::DEMO_CONFIG;
use crate::config::{Config, DEFAULT_DATA};
use crate::node::{Guard, Replica, now_ms, paris};
use crate::out;
use crate::paper::{write_file, write_pack};

/// Écrire le dossier papier de secours d'une unité : recensement avec
/// allergies, feuilles d'administration des 24 heures, plans de soins,
/// formulaires vierges avec étiquettes, planches d'étiquettes, rendez-vous de
/// la semaine et régimes, un PDF par partie.
///
/// Chaque page indique le moment de ses données. Les fichiers sont nommés
/// <unité>-<partie>-<aaaa-mm-jj-hhmm>.pdf. Le fuseau horaire et les heures
/// de relève sont lus dans --config ([site], [soins]), ou dans la
/// configuration d'un dossier de démonstration. La demande est inscrite au
/// journal d'audit. Code de sortie : 0 écrit, 2 impossible (dossier, clé,
/// unité inconnue, dossier de sortie).
#[derive(Debug, clap::Args)]
#[command(after_long_help = crate::keys::KEY_RULES)]
pub(crate) struct Cmd {
    /// Code de l'unité (celui de la configuration, ex. REA).
    #[arg(long)]
    unit: String,
    /// Dossier où écrire les PDF (créé au besoin, lisible par son seul
    /// propriétaire).
    #[arg(long)]
    out: PathBuf,
    /// Fichier de configuration du nœud (fuseau horaire, relèves).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    folder: FolderArgs,
}

impl Cmd {
    pub(crate) fn run(mut self) -> anyhow::Result<ExitCode> {
        let site = match &self.config {
            Some(path) => Some(Config::load(path)?),
            None => demo_config(&self.folder.data)?,
        };
        if let (Some(site), Some(_)) = (&site, &self.config)
            && self.folder.data == Path::new(DEFAULT_DATA)
        {
            self.folder.data = site.data.clone();
        }
        let key = self.folder.node_key()?;
        let (zone, settings) = match site {
            Some(site) => (site.zone, site.care),
            None => (paris(), Settings::default()),
        };
        let replica = Replica::open(&self.folder.data, zone.clone(), &key)?;
        let guard = Guard::open(&self.folder.data, &key)?;
        let store = replica.store.as_ref();
        let book = ledger::load(store).context("lecture des soins documentés impossible")?;
        let now = now_ms();
        let files = match paper::unit_pack(store, &book, &self.unit, now, &zone, &settings) {
            Ok(files) => files,
            Err(PaperError::UnknownUnit(unit)) => {
                let known: Vec<String> = store
                    .units()
                    .context("lecture des unités impossible")?
                    .into_iter()
                    .map(|summary| summary.code)
                    .collect();
                bail!(
                    "unité inconnue : « {unit} » ; unités de ce nœud : {}",
                    if known.is_empty() {
                        String::from("aucune")
                    } else {
                        known.join(", ")
                    }
                );
            }
            Err(error) => return Err(error).context("dossier de secours impossible à produire"),
        };
        guard
            .trail
            .append_durable(AuditRecord {
                at_ms: now,
                actor: String::from("cli"),
                role: None,
                source: String::from("cli"),
                action: Action::PaperReports.code().to_owned(),
                outcome: AuditOutcome::Allowed,
                patient: None,
                target: Some(self.unit.clone()),
                detail: format!(
                    "{} PDF du dossier de secours vers {}",
                    files.len(),
                    self.out.display()
                ),
            })
            .context("écriture au journal d'audit impossible")?;
        let written = write_pack(&self.out, &files, None, &mut write_file)?;
        for path in &written {
            out::line(&path.display().to_string());
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The configuration of a demo folder, if the folder is one.
fn demo_config(data: &Path) -> anyhow::Result<Option<Config>> {
    let demo = data.join(DEMO_CONFIG);
    if !demo.exists() {
        return Ok(None);
    }
    Ok(Some(Config::load(&demo)?))
}
