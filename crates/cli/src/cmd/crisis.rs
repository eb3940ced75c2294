//! `ckisa crisis`: the crisis lifecycle for scripts and IT staff. `status`
//! prints the phase, level, elapsed time, BIA clocks and open alerts (also as
//! JSON); `declare`, `level`, `recover` and `close` record the same events as
//! the web capsule, for an account whose role may make them, checked and
//! audited the same way.
//!
//! These commands work while the node serves (SQLite WAL): a running node
//! shows what they record within a second.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use ckisa_audit::{AuditOutcome, AuditRecord, AuditSink as _};
use ckisa_auth::{Action, Reach};
use ckisa_crisis::book::{Book, Phase};
use ckisa_crisis::ledger::{self, Author};
use ckisa_crisis::plan::{self, Plan};
use ckisa_domain::{Actor, CrisisFact, CrisisId, EventId, HlcClock};
use ckisa_store::Store as _;

use crate::cmd::admin::FolderArgs;
use crate::cmd::demo::DEMO_CONFIG;
use crate::config::{Config, DEFAULT_DATA};
use crate::node::{Guard, Replica, paris};
use crate::out;

/// La crise : état (phase, niveau, durée, horloges des activités, alertes),
/// déclaration, changement de niveau, retour à la normale, clôture.
///
/// Les transitions sont faites au nom d'un compte (--compte) dont le rôle
/// le permet (directeur de crise), vérifiées et écrites au journal d'audit
/// comme celles de l'interface web. Le plan (niveaux, activités) est lu
/// dans --config, ou dans la configuration d'un dossier de démonstration.
/// Code de sortie : 0 fait, 1 refusé (transition impossible maintenant),
/// 2 impossible (dossier, clé, compte).
#[derive(Debug, clap::Args)]
pub(crate) struct Cmd {
    #[command(subcommand)]
    action: CrisisAction,
    #[command(flatten)]
    folder: FolderArgs,
    /// Fichier de configuration du nœud (pour le plan : niveaux, activités).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
enum CrisisAction {
    /// État de la crise : phase, niveau, durée, horloges DMIA, alertes.
    Status {
        /// Écrire l'état en JSON.
        #[arg(long)]
        json: bool,
    },
    /// Déclarer une crise.
    Declare {
        /// Niveau prévu par le plan.
        #[arg(long)]
        level: u8,
        #[command(flatten)]
        act: Act,
    },
    /// Changer le niveau de la crise en cours.
    Level {
        /// Nouveau niveau.
        #[arg(long)]
        level: u8,
        #[command(flatten)]
        act: Act,
    },
    /// Annoncer le retour à la normale (le SIH revient).
    Recover {
        #[command(flatten)]
        act: Act,
    },
    /// Clore la crise.
    Close {
        #[command(flatten)]
        act: Act,
    },
}

/// Who makes a transition, and why.
#[derive(Debug, clap::Args)]
struct Act {
    /// Motif (obligatoire).
    #[arg(long)]
    reason: String,
    /// Compte au nom duquel la transition est faite.
    #[arg(long)]
    compte: String,
}

impl Cmd {
    pub(crate) fn run(mut self) -> anyhow::Result<ExitCode> {
        // The site's configuration gives the plan, and the data folder when
        // --data is not given.
        let site = match &self.config {
            Some(path) => Some(Config::load(path)?),
            None => None,
        };
        if let Some(site) = &site
            && self.folder.data == Path::new(DEFAULT_DATA)
        {
            self.folder.data = site.data.clone();
        }
        let key = self.folder.node_key()?;
        let replica = Replica::open(&self.folder.data, paris(), &key)?;
        let plan = match site {
            Some(site) => Some(site.plan),
            None => demo_plan(&self.folder.data)?,
        };
        let book = ledger::load(replica.store.as_ref())?;
        let (act, wanted) = match self.action {
            CrisisAction::Status { json } => {
                if plan.is_none() && !json {
                    out::warn(NO_PLAN);
                }
                let plan = plan.unwrap_or_else(default_plan);
                status(&replica, &plan, &book, json)?;
                return Ok(ExitCode::SUCCESS);
            }
            CrisisAction::Declare { level, act } => (act, Wanted::Declare(level)),
            CrisisAction::Level { level, act } => (act, Wanted::Level(level)),
            CrisisAction::Recover { act } => (act, Wanted::Recover),
            CrisisAction::Close { act } => (act, Wanted::Close),
        };
        let Some(plan) = plan else {
            bail!("{NO_PLAN}");
        };
        let guard = Guard::open(&self.folder.data, &key)?;
        transition(&replica, &guard, &plan, book, &act, wanted)
    }
}

/// Said when the site's plan is not at hand.
const NO_PLAN: &str = "donnez --config FICHIER : les niveaux de crise et les activités du BIA \
    sont dans le plan de la configuration du site (sans lui, seuls les niveaux par défaut sont \
    connus)";

/// The plan of a demo folder's own configuration, if the folder is one.
fn demo_plan(data: &Path) -> anyhow::Result<Option<Arc<Plan>>> {
    let demo = data.join(DEMO_CONFIG);
    if !demo.exists() {
        return Ok(None);
    }
    Ok(Some(Config::load(&demo)?.plan))
}

/// The default plan: three levels, no activity.
fn default_plan() -> Arc<Plan> {
    let plan =
        plan::check(&plan::RawPlan::default(), &plan::PlanContext::default()).unwrap_or_default();
    Arc::new(plan)
}

#[derive(Debug, Clone, Copy)]
enum Wanted {
    Declare(u8),
    Level(u8),
    Recover,
    Close,
}

fn transition(
    replica: &Replica,
    guard: &Guard,
    plan: &Plan,
    mut book: Book,
    act: &Act,
    wanted: Wanted,
) -> anyhow::Result<ExitCode> {
    let now = replica.factory.now_ms();
    let login = act.compte.trim().to_lowercase();
    let account = guard
        .directory
        .account(&login)
        .context("lecture des comptes impossible")?;
    let allowed = account.as_ref().is_some_and(|a| {
        !a.disabled && ckisa_auth::reach(a.role, Action::CrisisDeclare) != Reach::Never
    });
    let audit = |outcome, detail: String| {
        guard.trail.append(AuditRecord {
            at_ms: now,
            actor: login.clone(),
            role: account.as_ref().map(|a| a.role.code().to_owned()),
            source: String::from("cli"),
            action: Action::CrisisDeclare.code().to_owned(),
            outcome,
            patient: None,
            target: Some(String::from("crisis")),
            detail,
        })
    };
    if !allowed {
        audit(
            AuditOutcome::Denied,
            String::from("transition refusée au compte"),
        );
        bail!(
            "le compte « {login} » n'existe pas, est désactivé, ou son rôle ne permet pas de \
             conduire une crise (directeur de crise)"
        );
    }
    if let Wanted::Declare(level) | Wanted::Level(level) = wanted
        && plan.level(level).is_none()
    {
        let known: Vec<String> = plan
            .crisis
            .levels
            .iter()
            .map(|l| l.level.to_string())
            .collect();
        bail!(
            "--level {level} : niveau inconnu du plan (niveaux : {})",
            known.join(", ")
        );
    }
    let current = book.active().map(|c| c.id.clone());
    let reason = act.reason.trim().to_owned();
    let fact = match (wanted, current) {
        (Wanted::Declare(level), _) => CrisisFact::Declared {
            crisis: CrisisId(EventId::new(u64::try_from(now).unwrap_or(0)).to_string()),
            level,
            reason,
        },
        (_, None) => {
            out::warn("aucune crise n'est ouverte");
            return Ok(ExitCode::from(1));
        }
        (Wanted::Level(level), Some(crisis)) => CrisisFact::LevelChanged {
            crisis,
            level,
            reason,
        },
        (Wanted::Recover, Some(crisis)) => CrisisFact::RecoveryAnnounced { crisis, reason },
        (Wanted::Close, Some(crisis)) => CrisisFact::Closed { crisis, reason },
    };
    let kind = fact.kind();
    let author = Author {
        actor: Actor::User(login.clone()),
        node: replica.factory.node().clone(),
        origin: "cli",
    };
    let clock = HlcClock::new(60_000);
    let hlc = clock.tick(u64::try_from(now).unwrap_or(0));
    match ledger::record(&mut book, replica.store.as_ref(), &author, fact, hlc, now) {
        Ok(event) => {
            audit(AuditOutcome::Allowed, format!("{kind} {}", event.id));
            out::line(&format!(
                "Fait : {} (événement {}).",
                kind_label(kind),
                event.id
            ));
            status(replica, plan, &book, false)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(ledger::RecordError::Refused(refusal)) => {
            out::warn(&format!("refusé : {refusal}"));
            Ok(ExitCode::from(1))
        }
        Err(other) => Err(other.into()),
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "declared" => "crise déclarée",
        "level" => "niveau changé",
        "recovery" => "retour à la normale annoncé",
        _ => "crise close",
    }
}

fn phase_code(phase: Phase) -> &'static str {
    match phase {
        Phase::Normal => "normal",
        Phase::Declared => "declared",
        Phase::Recovery => "recovery",
    }
}

fn status(replica: &Replica, plan: &Plan, book: &Book, json: bool) -> anyhow::Result<()> {
    let now = replica.factory.now_ms();
    let zone = paris();
    let wall = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| {
                t.to_zoned(zone.clone())
                    .strftime("%d/%m/%Y %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let active = book.active();
    let clocks = active
        .map(|c| plan::activity_clocks(plan, c.declared_ms(), now))
        .unwrap_or_default();
    let feeds: Vec<(String, Option<i64>)> = replica
        .store
        .feeds()?
        .into_iter()
        .map(|f| (f.name, f.last_received_ms))
        .collect();
    let breaches = plan::pdma_breaches(plan, &feeds, now);
    let alerts = book.open_alerts();
    if json {
        let value = serde_json::json!({
            "now_ms": now,
            "phase": phase_code(book.phase()),
            "crisis": active.map(|c| serde_json::json!({
                "id": c.id.0,
                "level": c.level(),
                "level_name": plan.level(c.level()).map(|l| l.name.clone()),
                "reason": c.reason(),
                "declared_ms": c.declared_ms(),
                "declared": wall(c.declared_ms()),
                "declared_by": c.transitions.first().map(|t| t.stamp.by.clone()),
                "elapsed_s": (now - c.declared_ms()).max(0) / 1000,
            })),
            "clocks": clocks.iter().map(|k| serde_json::json!({
                "activity": k.activity,
                "name": k.name,
                "criticality": k.criticality.code(),
                "dmia_s": k.dmia.as_secs(),
                "elapsed_s": k.elapsed.as_secs(),
                "remaining_s": k.remaining_ms() / 1000,
                "state": k.state.code(),
            })).collect::<Vec<_>>(),
            "alerts": alerts.iter().map(|a| serde_json::json!({
                "id": a.id.0,
                "key": a.key,
                "kind": crate::watch::kind_code(a.kind),
                "raised_ms": a.stamp.at_ms,
                "subject": a.subject,
                "since_ms": a.since_ms,
                "evidence": a.evidence,
                "acknowledged": !a.acknowledged.is_empty(),
            })).collect::<Vec<_>>(),
            "pdma_breaches": breaches.iter().map(|b| serde_json::json!({
                "activity": b.activity,
                "application": b.application,
                "feed": b.feed,
                "age_s": b.age.map(|a| a.as_secs()),
                "pdma_s": b.pdma.as_secs(),
            })).collect::<Vec<_>>(),
            "crises": book.crises().len(),
        });
        out::line(&serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    match active {
        None => out::line("Aucune crise déclarée."),
        Some(crisis) => {
            let level = crisis.level();
            let name = plan.level(level).map(|l| l.name.as_str()).unwrap_or("");
            let phase = if crisis.phase() == Phase::Recovery {
                "retour à la normale en cours"
            } else {
                "crise déclarée"
            };
            out::line(&format!(
                "{phase} : niveau {level} ({name}), depuis le {} ({}), motif : {}",
                wall(crisis.declared_ms()),
                plan::format_duration(std::time::Duration::from_millis(
                    (now - crisis.declared_ms()).max(0).unsigned_abs()
                )),
                out::plain(crisis.reason())
            ));
        }
    }
    for clock in &clocks {
        out::line(&format!(
            "  [{}] {} ({}) : {}",
            clock.state.label(),
            clock.name,
            clock.criticality.code(),
            clock.summary()
        ));
    }
    for alert in &alerts {
        out::line(&out::plain(&format!(
            "Alerte : {} — {}",
            alert.subject, alert.evidence
        )));
    }
    for breach in &breaches {
        out::line(&out::plain(&format!("PDMA : {breach}")));
    }
    Ok(())
}
