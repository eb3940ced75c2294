//! `ckisa users`: the node's offline accounts from the command line:
//! create, import from a CSV sheet or an LDIF export, list, disable, enable,
//! reset a password, change a role. Every act is written to the audit trail
//! with the actor `cli`.
//!
//! These commands work while the node runs (SQLite WAL); what a running
//! node sees of them is said in [`RUNNING_NODE`].

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use ckisa_auth::{Account, Actor, ImportProblem, NewUser, Role, Scope};
use ckisa_store::Store as _;

use crate::cmd::admin::FolderArgs;
use crate::node::{Replica, now_ms, paris};
use crate::out;

/// What a running node sees of these commands, for the help and hints.
const RUNNING_NODE: &str = "\
Ces commandes marchent pendant que le nœud sert. Un nœud en marche relit les \
comptes toutes les 2 secondes : une création, une désactivation, un changement \
de rôle ou une réinitialisation faits ici s'appliquent aussi aux sessions déjà \
ouvertes sur lui (une désactivation ou une réinitialisation les ferme).";

/// Gérer les comptes du nœud (connexion hors ligne) : créer, importer
/// (CSV ou LDIF), lister, désactiver, réactiver, réinitialiser un mot de
/// passe, changer de rôle.
///
/// Chaque acte est écrit dans le journal d'audit (acteur « cli »). Code de
/// sortie : 0 fait, 1 import partiel (des lignes refusées, les autres
/// importées), 2 impossible.
#[derive(Debug, clap::Args)]
#[command(after_long_help = after_help())]
pub(crate) struct Cmd {
    #[command(subcommand)]
    action: UsersAction,
    #[command(flatten)]
    folder: FolderArgs,
}

fn after_help() -> String {
    format!(
        "{RUNNING_NODE}\n\nRôles (--role) :\n{}\n\n{}",
        roles_text(),
        crate::keys::KEY_RULES
    )
}

fn roles_text() -> String {
    let lines: Vec<String> = Role::ALL
        .iter()
        .map(|role| format!("  {:<16} {}", role.code(), role.label_fr()))
        .collect();
    lines.join("\n")
}

#[derive(Debug, clap::Subcommand)]
enum UsersAction {
    /// Créer un compte ; son mot de passe initial, à changer à la première
    /// connexion, est affiché une seule fois.
    Add {
        /// Identifiant (a-z, 0-9, « . », « _ », « - »).
        login: String,
        /// Nom affiché de la personne.
        #[arg(long)]
        nom: String,
        /// Rôle (voir `ckisa users roles`).
        #[arg(long)]
        role: String,
        /// Unités : codes séparés par des virgules (« REA,CARDIO »), « * »
        /// pour toutes ; aucune par défaut.
        #[arg(long, default_value = "")]
        unites: String,
    },
    /// Importer des comptes d'un fichier CSV (en-tête login;nom;role;unites)
    /// ou d'un export LDIF de l'annuaire. Les nouveaux comptes reçoivent un
    /// mot de passe initial à changer ; les comptes existants prennent le
    /// nom, le rôle et les unités du fichier (mot de passe inchangé).
    Import {
        /// Fichier .csv ou .ldif.
        file: PathBuf,
        /// Format, si l'extension ne le dit pas.
        #[arg(long, value_enum)]
        format: Option<ImportFormat>,
        /// Écrire les mots de passe initiaux dans ce fichier (créé, lisible
        /// par son seul propriétaire) au lieu de les afficher.
        #[arg(long, value_name = "FICHIER")]
        sortie: Option<PathBuf>,
    },
    /// Lister les comptes.
    List,
    /// Désactiver un compte (connexions refusées, sessions fermées).
    Disable {
        /// Identifiant.
        login: String,
    },
    /// Réactiver un compte désactivé.
    Enable {
        /// Identifiant.
        login: String,
    },
    /// Donner un mot de passe temporaire (à changer à la connexion suivante),
    /// lever le verrouillage, fermer les sessions.
    Reset {
        /// Identifiant.
        login: String,
    },
    /// Changer le rôle et, si --unites est donné, les unités d'un compte.
    Role {
        /// Identifiant.
        login: String,
        /// Nouveau rôle.
        #[arg(long)]
        role: String,
        /// Nouvelles unités (« REA,CARDIO », « * », « » pour aucune) ;
        /// inchangées si absent.
        #[arg(long)]
        unites: Option<String>,
    },
    /// Lister les rôles et leur code.
    Roles,
}

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ImportFormat {
    /// CSV (séparateur « ; » ou « , »).
    Csv,
    /// LDIF (RFC 2849).
    Ldif,
}

impl Cmd {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        if matches!(self.action, UsersAction::Roles) {
            out::line(&roles_text());
            return Ok(ExitCode::SUCCESS);
        }
        let guard = self.folder.open_guard()?;
        let directory = &guard.directory;
        let by = Actor::cli();
        match self.action {
            UsersAction::Roles => {}
            UsersAction::Add {
                login,
                nom,
                role,
                unites,
            } => {
                let user = NewUser {
                    login: login.clone(),
                    display_name: nom,
                    role: parse_role(&role)?,
                    scope: Scope::parse(&unites),
                    password: None,
                    must_change: true,
                };
                let password = directory.add_user(&user, &by, now_ms())?;
                warn_unknown_units(&self.folder, &user.scope);
                out::line(&format!(
                    "Compte créé : {login} ({}, unités : {}).",
                    user.role.code(),
                    scope_text(&user.scope)
                ));
                out::line(&format!(
                    "Mot de passe initial (affiché une seule fois, à changer à la première \
                     connexion) : {password}"
                ));
            }
            UsersAction::Import {
                file,
                format,
                sortie,
            } => return import(directory, &file, format, sortie.as_deref()),
            UsersAction::List => list(&directory.accounts()?),
            UsersAction::Disable { login } => {
                directory.disable_user(&login, &by, now_ms())?;
                out::line(&format!("Compte désactivé : {login}."));
            }
            UsersAction::Enable { login } => {
                directory.enable_user(&login, &by, now_ms())?;
                out::line(&format!("Compte réactivé : {login}."));
            }
            UsersAction::Reset { login } => {
                let password = directory.reset_password(&login, &by, now_ms())?;
                out::line(&format!(
                    "Mot de passe temporaire de {login} (affiché une seule fois, à changer à la \
                     connexion) : {password}"
                ));
            }
            UsersAction::Role {
                login,
                role,
                unites,
            } => {
                let role = parse_role(&role)?;
                let scope = match unites {
                    Some(text) => Scope::parse(&text),
                    None => {
                        directory
                            .account(&login)?
                            .with_context(|| format!("compte inconnu : {login}"))?
                            .scope
                    }
                };
                directory.set_role(&login, role, &scope, &by, now_ms())?;
                warn_unknown_units(&self.folder, &scope);
                out::line(&format!(
                    "{login} : rôle {}, unités {}.",
                    role.code(),
                    scope_text(&scope)
                ));
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn parse_role(text: &str) -> anyhow::Result<Role> {
    match ckisa_auth::rules::role_from_text(text) {
        Some(role) => Ok(role),
        None => bail!(
            "--role : rôle inconnu « {text} » ; rôles possibles :\n{}",
            roles_text()
        ),
    }
}

/// Warns about unit codes the establishment does not know (a typo gives
/// no access, never more; units may also be declared later, so this does
/// not refuse). Best effort: a store that cannot be read says nothing.
fn warn_unknown_units(folder: &FolderArgs, scope: &Scope) {
    let Scope::Units(codes) = scope else { return };
    if codes.is_empty() {
        return;
    }
    let known = folder
        .node_key()
        .and_then(|key| Replica::open(&folder.data, paris(), &key))
        .and_then(|replica| Ok(replica.store.units()?));
    let Ok(known) = known else { return };
    let unknown: Vec<&str> = codes
        .iter()
        .map(String::as_str)
        .filter(|code| !known.iter().any(|unit| unit.code == *code))
        .collect();
    if !unknown.is_empty() {
        out::warn(&format!(
            "unité(s) inconnue(s) de l'établissement : {} ; le compte n'y verra rien tant \
             qu'elles n'existent pas (vérifiez l'orthographe ; `ckisa status` ou la page /unites \
             listent les unités)",
            unknown.join(", ")
        ));
    }
}

fn scope_text(scope: &Scope) -> String {
    match scope {
        Scope::AllUnits => String::from("toutes"),
        Scope::Units(codes) if codes.is_empty() => String::from("aucune"),
        Scope::Units(codes) => codes.join(","),
    }
}

fn list(accounts: &[Account]) {
    if accounts.is_empty() {
        out::line("Aucun compte.");
        return;
    }
    let header = [
        "identifiant",
        "nom",
        "rôle",
        "unités",
        "état",
        "dernière connexion",
    ]
    .map(String::from);
    let now = now_ms();
    let rows: Vec<[String; 6]> = accounts
        .iter()
        .map(|account| {
            [
                account.login.clone(),
                account.display_name.clone(),
                account.role.code().to_owned(),
                scope_text(&account.scope),
                state_text(account, now),
                account
                    .last_login_ms
                    .map(|ms| format!("il y a {}", crate::node::age_text(now - ms)))
                    .unwrap_or_else(|| String::from("jamais")),
            ]
        })
        .collect();
    for line in out::table(&header, &rows) {
        out::line(&line);
    }
}

fn state_text(account: &Account, now: i64) -> String {
    let mut states = Vec::new();
    if account.disabled {
        states.push("désactivé");
    } else {
        states.push("actif");
    }
    if account.locked_until_ms.is_some_and(|until| until > now) {
        states.push("verrouillé");
    }
    if account.must_change {
        states.push("mot de passe à changer");
    }
    states.join(", ")
}

fn import(
    directory: &ckisa_auth::Directory,
    file: &Path,
    format: Option<ImportFormat>,
    sortie: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let format = match format {
        Some(format) => format,
        None => format_of(file)?,
    };
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("impossible de lire {}", file.display()))?;
    let (users, parse_problems) = match format {
        ImportFormat::Csv => ckisa_auth::import::parse_csv(&text),
        ImportFormat::Ldif => ckisa_auth::import::parse_ldif(&text),
    };
    let report = directory.import(&users, &Actor::cli(), now_ms());
    if let Some(path) = sortie {
        write_passwords(path, &report.added)?;
        out::line(&format!(
            "{} compte(s) créé(s) ; mots de passe initiaux écrits dans {} (à remettre une \
             seule fois, puis à détruire).",
            report.added.len(),
            path.display()
        ));
    } else if !report.added.is_empty() {
        out::line(&format!(
            "{} compte(s) créé(s), mots de passe initiaux (affichés une seule fois, à changer \
             à la première connexion) :",
            report.added.len()
        ));
        for (login, password) in &report.added {
            out::line(&format!("  {login}  {password}"));
        }
    }
    if !report.updated.is_empty() {
        out::line(&format!(
            "{} compte(s) mis à jour : {}",
            report.updated.len(),
            report.updated.join(", ")
        ));
    }
    if !report.unchanged.is_empty() {
        out::line(&format!(
            "{} compte(s) inchangé(s).",
            report.unchanged.len()
        ));
    }
    let problems = parse_problems.len() + report.problems.len();
    for problem in &parse_problems {
        out::line(&format!("refusé, {problem}"));
    }
    for problem in &report.problems {
        out::line(&format!("refusé, {}", entry_problem(problem)));
    }
    if problems == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    out::line(&format!(
        "{problems} entrée(s) refusée(s) ; les autres sont importées."
    ));
    Ok(ExitCode::from(1))
}

/// A problem of the directory's import: its line is the entry's position.
fn entry_problem(problem: &ImportProblem) -> String {
    if problem.line == 0 {
        return problem.reason.clone();
    }
    format!("entrée n° {} : {}", problem.line, problem.reason)
}

fn format_of(file: &Path) -> anyhow::Result<ImportFormat> {
    let extension = file
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "csv" | "txt" => Ok(ImportFormat::Csv),
        "ldif" | "ldf" => Ok(ImportFormat::Ldif),
        _ => bail!(
            "format de {} inconnu : donnez --format csv ou --format ldif",
            file.display()
        ),
    }
}

/// Writes `login;mot_de_passe` lines to a new file readable by its owner
/// only. Refuses to overwrite a file.
fn write_passwords(path: &Path, added: &[(String, String)]) -> anyhow::Result<()> {
    let mut file = crate::cmd::admin::create_private(path)?;
    let mut text = String::from("login;mot_de_passe_initial\n");
    for (login, password) in added {
        text.push_str(&format!("{login};{password}\n"));
    }
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("impossible d'écrire {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_extensions() {
        assert_eq!(
            format_of(Path::new("a/Comptes.CSV")).unwrap(),
            ImportFormat::Csv
        );
        assert_eq!(
            format_of(Path::new("export.ldif")).unwrap(),
            ImportFormat::Ldif
        );
        let error = format_of(Path::new("export.xlsx")).unwrap_err().to_string();
        assert!(error.contains("--format"), "{error}");
    }

    #[test]
    fn roles_are_read_by_code_or_label() {
        assert_eq!(parse_role("infirmier").unwrap(), Role::Nurse);
        assert_eq!(parse_role("Médecin").unwrap(), Role::Physician);
        let error = parse_role("chef").unwrap_err().to_string();
        assert!(error.contains("securite-si"), "{error}");
    }
}
