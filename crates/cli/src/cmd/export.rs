//! `ckisa export`: what caregivers documented during a crisis, written for
//! the HIS's re-integration as one FHIR R4 transaction bundle or one file of
//! HL7 v2.5 messages (`ckisa_care::export`), beside a serving node (SQLite
//! WAL) or on a stopped one.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use ckisa_audit::{AuditOutcome, AuditRecord, AuditSink as _};
use ckisa_auth::Action;
use ckisa_care::export::{
    self, ExportContext, ItemKind, Skipped, Window, fhir_bundle, hl7_messages,
};
use ckisa_care::ledger;
use ckisa_crisis::book::{Book, Crisis};

use crate::cmd::admin::{FolderArgs, create_private};
use crate::cmd::demo::DEMO_CONFIG;
use crate::config::{Config, DEFAULT_DATA};
use crate::node::{Guard, Replica, paris};
use crate::out;

/// Exporter pour la réintégration dans le SIH ce qui a été documenté en
/// mode dégradé pendant la crise en cours ou la dernière (identités
/// provisoires, admissions, mutations, sorties, constantes, résultats,
/// prescriptions, administrations, demandes d'examen, transmissions).
///
/// --format fhir écrit un bundle FHIR R4 de type transaction (JSON) : chaque
/// ressource porte l'identifiant ckisa de l'élément et est écrite par mise à
/// jour conditionnelle (PUT Type?identifier=...), si bien qu'appliquer le
/// bundle deux fois ne crée rien deux fois. --format hl7v2 écrit un message
/// HL7 v2.5 par élément (ADT, ORU^R01, RDE^O11, RAS^O17, OML^O21, MDM^T02) :
/// les segments de chaque message se terminent par CR et chaque message est
/// suivi d'un LF (pas de lot FHS/BHS, pas de trame MLLP) ; le MSH-10 dérive
/// de l'élément, un renvoi est donc reconnu.
///
/// Le fichier --out est créé lisible par son seul propriétaire et n'est
/// jamais écrasé. L'export est inscrit au journal d'audit. Code de sortie :
/// 0 écrit, 1 refusé (aucune crise déclarée), 2 impossible (dossier, clé,
/// crise inconnue, fichier existant).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Code de sortie : 0 écrit, 1 refusé (aucune crise déclarée), \
    2 impossible (dossier, clé, crise inconnue, fichier existant)."
)]
pub(crate) struct Cmd {
    /// Format : fhir, un bundle FHIR R4 de type transaction (un fichier
    /// JSON, mises à jour conditionnelles par identifiant ckisa) ; hl7v2, un
    /// message HL7 v2.5 par élément, segments terminés par CR et chaque
    /// message suivi d'un LF (ni lot FHS/BHS, ni trame MLLP).
    #[arg(long, value_enum)]
    format: Format,
    /// Fichier à écrire (créé lisible par son seul propriétaire, jamais
    /// écrasé).
    #[arg(long)]
    out: PathBuf,
    /// Identifiant de la crise (par défaut : la crise en cours, sinon la
    /// dernière).
    #[arg(long)]
    crisis: Option<String>,
    /// Fichier de configuration du nœud (dossier de données, fuseau horaire).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    folder: FolderArgs,
}

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Bundle FHIR R4 de type transaction.
    Fhir,
    /// Messages HL7 v2.5.
    Hl7v2,
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
        let zone = site.map_or_else(paris, |site| site.zone);
        let replica = Replica::open(&self.folder.data, zone.clone(), &key)?;
        let store = replica.store.as_ref();
        let crises = ckisa_crisis::ledger::load(store).context("lecture de la crise impossible")?;
        let Some(crisis) = self.chosen(&crises)? else {
            out::warn(
                "aucune crise n'a été déclarée sur ce nœud : rien à réintégrer (l'export porte \
                 sur ce qui a été documenté pendant une crise)",
            );
            return Ok(ExitCode::from(1));
        };
        let now = replica.factory.now_ms();
        let window = Window {
            from_ms: crisis.declared_ms(),
            to_ms: crises.aftermath_end(crisis, now),
        };
        let book = ledger::load(store).context("lecture des soins documentés impossible")?;
        let node = replica.factory.node().to_string();
        let ctx = ExportContext {
            store,
            node: &node,
            zone: &zone,
            now_ms: now,
        };
        let items = export::documented(&book, window);
        let (text, written, skipped) = match self.format {
            Format::Fhir => {
                let bundle = fhir_bundle(&book, window, &ctx)?;
                let summary = format!("{} entrée(s) de bundle", bundle.entries.len());
                (bundle.json, summary, bundle.skipped)
            }
            Format::Hl7v2 => {
                let messages = hl7_messages(&book, window, &ctx)?;
                let summary = format!("{} message(s) HL7 v2.5", messages.messages.len());
                (messages.file_text(), summary, messages.skipped)
            }
        };

        // The trail records who took patient data out, before it leaves;
        // the file is created first, so that an existing one stops all.
        let mut file = create_private(&self.out)?;
        let guard = Guard::open(&self.folder.data, &key)?;
        let audited = guard
            .trail
            .append_durable(AuditRecord {
                at_ms: now,
                actor: String::from("cli"),
                role: None,
                source: String::from("cli"),
                action: Action::Reconcile.code().to_owned(),
                outcome: AuditOutcome::Allowed,
                patient: None,
                target: Some(crisis.id.0.clone()),
                detail: format!(
                    "export {} de {} élément(s) documenté(s) vers {}",
                    self.format.code(),
                    items.len(),
                    self.out.display()
                ),
            })
            .context("écriture au journal d'audit impossible");
        if let Err(error) = audited {
            drop(file);
            let _ = std::fs::remove_file(&self.out);
            return Err(error);
        }
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("impossible d'écrire {}", self.out.display()))?;

        let wall = |ms: i64| wall(ms, &zone);
        let until = match crisis.closed_ms() {
            Some(closed) => format!("au {}", wall(closed)),
            None => format!("à maintenant ({}, crise en cours)", wall(now)),
        };
        out::line(&format!(
            "Crise {} : du {} {until}.",
            crisis.id.0,
            wall(crisis.declared_ms())
        ));
        out::line(&format!(
            "Écrit : {} ({written}) pour {} élément(s) documenté(s).",
            self.out.display(),
            items.len()
        ));
        summary(&items, &skipped);
        Ok(ExitCode::SUCCESS)
    }

    /// The crisis asked for, else the open one, else the last one; `None`
    /// when the node never had one.
    fn chosen<'b>(&self, book: &'b Book) -> anyhow::Result<Option<&'b Crisis>> {
        match &self.crisis {
            Some(id) => match book.crisis(id) {
                Some(crisis) => Ok(Some(crisis)),
                None => {
                    let known: Vec<&str> = book.crises().iter().map(|c| c.id.0.as_str()).collect();
                    bail!(
                        "--crisis {id} : crise inconnue de ce nœud (crises : {})",
                        if known.is_empty() {
                            String::from("aucune")
                        } else {
                            known.join(", ")
                        }
                    )
                }
            },
            None => Ok(book.active().or(book.crises().last())),
        }
    }
}

impl Format {
    fn code(self) -> &'static str {
        match self {
            Format::Fhir => "FHIR",
            Format::Hl7v2 => "HL7 v2",
        }
    }
}

/// Counts per kind, then what was left out and why.
fn summary(items: &[&ckisa_care::book::Entry], skipped: &[Skipped]) {
    for kind in ItemKind::ALL {
        let count = items
            .iter()
            .filter(|e| ItemKind::of(&e.fact) == kind)
            .count();
        if count > 0 {
            out::line(&format!("  {} : {count}", kind.label_fr()));
        }
    }
    if !skipped.is_empty() {
        out::line(&format!("Non exporté(s) : {}", skipped.len()));
        for item in skipped {
            out::line(&format!(
                "  {} (événement {}) : {}",
                item.kind.label_fr(),
                item.event,
                item.reason
            ));
        }
    }
}

/// `dd/mm/yyyy hh:mm` in the site zone.
fn wall(ms: i64, zone: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(zone.clone())
                .strftime("%d/%m/%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// The configuration of a demo folder, if the folder is one.
fn demo_config(data: &Path) -> anyhow::Result<Option<Config>> {
    let demo = data.join(DEMO_CONFIG);
    if !demo.exists() {
        return Ok(None);
    }
    Ok(Some(Config::load(&demo)?))
}
