//! `ckisa audit`: check the audit trail's hash chain and anchor offline,
//! and export the trail (CSV for a spreadsheet, FHIR AuditEvent for another
//! system).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ckisa_audit::{AuditOutcome, AuditQuery, AuditRecord, AuditSink};
use ckisa_auth::Action;

use crate::cmd::admin::{FolderArgs, create_private};
use crate::node::now_ms;
use crate::out;

/// Vérifier ou exporter le journal d'audit du nœud.
///
/// `verify` recalcule la chaîne d'empreintes de toutes les entrées et la
/// compare à l'ancre signée (audit.anchor) : code de sortie 0 si le journal
/// est intact, 1 s'il a été modifié, tronqué ou si l'ancre manque, 2 s'il
/// ne peut pas être lu. Notez l'empreinte de tête affichée : un journal
/// ultérieur dont l'entrée de même numéro a une autre empreinte a été
/// réécrit. Les deux commandes marchent pendant que le nœud sert.
#[derive(Debug, clap::Args)]
#[command(after_long_help = crate::keys::KEY_RULES)]
pub(crate) struct Cmd {
    #[command(subcommand)]
    action: AuditAction,
    #[command(flatten)]
    folder: FolderArgs,
}

#[derive(Debug, clap::Subcommand)]
enum AuditAction {
    /// Vérifier l'intégrité du journal (chaîne d'empreintes et ancre).
    Verify,
    /// Exporter le journal, du plus récent au plus ancien, avec la tête de
    /// la chaîne ; l'export est lui-même journalisé.
    Export {
        /// csv (tableur, séparateur « ; ») ou fhir (Bundle d'AuditEvent R4).
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// Seulement les entrées de ce patient (clé patient, telle que
        /// l'affichent les pages et le journal).
        #[arg(long)]
        patient: Option<String>,
        /// Seulement les actes de cet utilisateur (identifiant, « cli », ou
        /// « token:<nom> »).
        #[arg(long)]
        utilisateur: Option<String>,
        /// Écrire dans ce fichier (créé, lisible par son seul propriétaire)
        /// au lieu de la sortie standard.
        #[arg(long, value_name = "FICHIER")]
        sortie: Option<PathBuf>,
    },
}

/// Export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExportFormat {
    /// CSV.
    Csv,
    /// FHIR R4 JSON.
    Fhir,
}

impl Cmd {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        match self.action {
            AuditAction::Verify => verify(&self.folder),
            AuditAction::Export {
                format,
                patient,
                utilisateur,
                sortie,
            } => {
                let query = AuditQuery {
                    patient,
                    actor: utilisateur,
                    limit: 0,
                    ..AuditQuery::default()
                };
                export(&self.folder, format, &query, sortie)
            }
        }
    }
}

fn verify(folder: &FolderArgs) -> anyhow::Result<ExitCode> {
    let key = folder.node_key()?;
    let report = ckisa_audit::verify(&folder.data, &key.key)
        .map_err(|error| match error {
            ckisa_audit::AuditError::Key(error) => crate::keys::explain(error, &folder.data, &key),
            other => anyhow::Error::new(other),
        })
        .context("impossible de vérifier le journal d'audit")?;
    let head = report.head.as_deref().unwrap_or("aucune");
    if report.is_intact() {
        out::line(&format!(
            "journal intact : {} entrée(s), empreinte de tête {head}",
            report.entries
        ));
        return Ok(ExitCode::SUCCESS);
    }
    out::line(&format!(
        "journal ALTÉRÉ : {} problème(s) sur {} entrée(s) lue(s) (empreinte de tête {head}) :",
        report.problems.len(),
        report.entries
    ));
    for problem in &report.problems {
        if problem.seq == 0 {
            out::line(&format!("  journal : {}", problem.reason));
        } else {
            out::line(&format!("  entrée {} : {}", problem.seq, problem.reason));
        }
    }
    Ok(ExitCode::from(1))
}

fn export(
    folder: &FolderArgs,
    format: ExportFormat,
    query: &AuditQuery,
    sortie: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let guard = folder.open_guard()?;
    let trail = &guard.trail;
    // The export is an act on the trail: recorded before the data leaves.
    trail
        .append_durable(AuditRecord {
            at_ms: now_ms(),
            actor: String::from("cli"),
            role: None,
            source: String::from("cli"),
            action: Action::AuditExport.code().to_owned(),
            outcome: AuditOutcome::Allowed,
            patient: query.patient.clone(),
            target: query.actor.clone(),
            detail: format!(
                "export {} du journal{}",
                match format {
                    ExportFormat::Csv => "CSV",
                    ExportFormat::Fhir => "FHIR",
                },
                sortie
                    .as_ref()
                    .map(|p| format!(" vers {}", p.display()))
                    .unwrap_or_default()
            ),
        })
        .context("l'export n'a pas pu être journalisé, il n'est pas fait")?;
    let mut sink: Box<dyn std::io::Write> = match &sortie {
        Some(path) => Box::new(create_private(path)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let count = match format {
        ExportFormat::Csv => trail.write_csv(query, &mut sink)?,
        ExportFormat::Fhir => {
            let bundle = trail.fhir_bundle(query)?;
            let count = bundle["entry"].as_array().map_or(0, Vec::len);
            serde_json::to_writer_pretty(&mut sink, &bundle)?;
            writeln!(sink)?;
            count
        }
    };
    sink.flush().context("impossible d'écrire l'export")?;
    if let Some(path) = &sortie {
        out::line(&format!(
            "{count} entrée(s) exportée(s) dans {}.",
            path.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
