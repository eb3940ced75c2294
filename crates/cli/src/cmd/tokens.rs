//! `ckisa tokens`: API tokens for machine clients (supervision, exports).
//! A token has a name and a set of allowed actions; its secret is printed
//! once and only its digest is kept.

use std::process::ExitCode;

use anyhow::bail;
use ckisa_auth::{Action, Actor, TokenInfo};

use crate::cmd::admin::FolderArgs;
use crate::node::now_ms;
use crate::out;

/// Friendly scope names and the actions they stand for.
const SCOPES: [(&str, &[Action]); 6] = [
    ("census", &[Action::UnitList, Action::UnitBoard]),
    ("patients", &[Action::PatientSearch, Action::PatientChart]),
    ("status", &[Action::NodeStatus]),
    ("quarantine", &[Action::Quarantine]),
    ("metrics", &[Action::Metrics]),
    // The SMS gateway relaying answers to a staff recall.
    ("rappel", &[Action::StaffRecall]),
];

/// Gérer les jetons d'API des clients machines (supervision, exports) :
/// créer (le secret est affiché une seule fois), lister, révoquer.
///
/// Un nœud en marche relit ses jetons toutes les 2 secondes : un jeton créé
/// ou révoqué ici compte pour lui dans ce délai.
#[derive(Debug, clap::Args)]
#[command(after_long_help = after_help())]
pub(crate) struct Cmd {
    #[command(subcommand)]
    action: TokensAction,
    #[command(flatten)]
    folder: FolderArgs,
}

fn after_help() -> String {
    format!(
        "Droits (--scope, séparés par des virgules) :\n{}\n  ou les codes d'action : {}\n\n{}",
        scopes_text(),
        token_codes().join(", "),
        crate::keys::KEY_RULES
    )
}

fn scopes_text() -> String {
    let lines: Vec<String> = SCOPES
        .iter()
        .map(|(name, actions)| {
            let labels: Vec<&str> = actions.iter().map(|a| a.label_fr()).collect();
            format!("  {name:<11} {}", labels.join(" ; "))
        })
        .collect();
    lines.join("\n")
}

/// The actions a token may carry (the directory's list, which it
/// enforces), in [`Action::ALL`] order.
fn token_actions() -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|action| ckisa_auth::TOKEN_ACTIONS.contains(action))
        .collect()
}

/// The action codes a token may carry.
fn token_codes() -> Vec<&'static str> {
    token_actions().iter().map(|a| a.code()).collect()
}

#[derive(Debug, clap::Subcommand)]
enum TokensAction {
    /// Créer un jeton ; son secret est affiché une seule fois.
    Create {
        /// Nom du jeton (a-z, 0-9, « . », « _ », « - »), par exemple
        /// « supervision ».
        name: String,
        /// Droits : census, patients, status, quarantine, metrics, ou des
        /// codes d'action, séparés par des virgules.
        #[arg(long, required = true)]
        scope: String,
    },
    /// Lister les jetons (sans leur secret).
    List,
    /// Révoquer un jeton (définitif).
    Revoke {
        /// Nom du jeton.
        name: String,
    },
}

impl Cmd {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let scopes = match &self.action {
            TokensAction::Create { scope, .. } => parse_scopes(scope)?,
            _ => Vec::new(),
        };
        let guard = self.folder.open_guard()?;
        let directory = &guard.directory;
        match self.action {
            TokensAction::Create { name, .. } => {
                let secret = directory.create_token(&name, &scopes, &Actor::cli(), now_ms())?;
                let codes: Vec<&str> = scopes.iter().map(|a| a.code()).collect();
                out::line(&format!(
                    "Jeton créé : {name} (droits : {}).",
                    codes.join(", ")
                ));
                out::line(&format!(
                    "Secret (affiché une seule fois ; en-tête « Authorization: Bearer … ») : {secret}"
                ));
            }
            TokensAction::List => list(&directory.tokens()?),
            TokensAction::Revoke { name } => {
                directory.revoke_token(&name, &Actor::cli(), now_ms())?;
                out::line(&format!("Jeton révoqué : {name}."));
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Reads `census,patients,node.metrics` into actions.
fn parse_scopes(text: &str) -> anyhow::Result<Vec<Action>> {
    let mut actions = Vec::new();
    for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let lower = word.to_lowercase();
        if let Some((_, group)) = SCOPES.iter().find(|(name, _)| *name == lower) {
            actions.extend_from_slice(group);
        } else if let Some(action) = token_actions().into_iter().find(|a| a.code() == lower) {
            actions.push(action);
        } else {
            bail!(
                "--scope : droit inconnu « {word} » ; possibles : census, patients, status, \
                 quarantine, metrics, ou les codes {}",
                token_codes().join(", ")
            );
        }
    }
    if actions.is_empty() {
        bail!("--scope : aucun droit donné (par exemple --scope status,metrics)");
    }
    actions.sort_by_key(|action| Action::ALL.iter().position(|a| a == action));
    actions.dedup();
    Ok(actions)
}

fn list(tokens: &[TokenInfo]) {
    if tokens.is_empty() {
        out::line("Aucun jeton.");
        return;
    }
    let header = ["nom", "droits", "créé", "état"].map(String::from);
    let now = now_ms();
    let rows: Vec<[String; 4]> = tokens
        .iter()
        .map(|token| {
            let codes: Vec<&str> = token.scopes.iter().map(|a| a.code()).collect();
            [
                token.name.clone(),
                codes.join(","),
                format!("il y a {}", crate::node::age_text(now - token.created_ms)),
                String::from(if token.revoked { "révoqué" } else { "actif" }),
            ]
        })
        .collect();
    for line in out::table(&header, &rows) {
        out::line(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn friendly_scopes_map_to_actions() {
        assert_eq!(
            parse_scopes("census, status").unwrap(),
            vec![Action::UnitList, Action::UnitBoard, Action::NodeStatus]
        );
        assert_eq!(parse_scopes("node.metrics").unwrap(), vec![Action::Metrics]);
        assert!(parse_scopes("everything").is_err());
        let err = parse_scopes("audit.read").unwrap_err().to_string();
        assert!(err.contains("« audit.read »"), "{err}");
        assert_eq!(
            token_codes(),
            [
                "unit.list",
                "unit.board",
                "patient.chart",
                "patient.search",
                "node.status",
                "node.quarantine",
                "node.metrics",
                "message.recall"
            ]
        );
        assert!(parse_scopes(" , ").is_err());
    }

    #[test]
    fn every_friendly_scope_is_one_the_directory_accepts() {
        for (name, actions) in SCOPES {
            for action in actions {
                assert!(
                    ckisa_auth::TOKEN_ACTIONS.contains(action),
                    "{name}: {action:?}"
                );
            }
        }
    }
}
