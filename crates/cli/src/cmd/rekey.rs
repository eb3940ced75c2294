//! `ckisa rekey`: moves every database of a stopped node's data folder to a
//! new key, or encrypts once a folder written by a ckisa older than
//! encryption at rest (`--chiffrer`). Holds the folder's lock for the whole
//! run, and records the change in the audit trail afterwards.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use ckisa_audit::{AuditOutcome, AuditRecord, AuditSink, AuditTrail, actions};
use ckisa_store_sqlite::key::{self, DbKey};

use crate::config::DEFAULT_DATA;
use crate::keys::{self, KeyArgs, KeySource, Missing, NodeKey};
use crate::node::{lock_data_folder, now_ms, require_node_folder};
use crate::out;

/// Environment variable holding the new passphrase of `--nouvelle-phrase`.
const NEW_PASSPHRASE_VAR: &str = "CKISA_NEW_PASSPHRASE";

/// Changer la clé du dossier de données (toutes ses bases), ou chiffrer un
/// dossier écrit par une version précédente de ckisa (--chiffrer).
///
/// Le nœud doit être arrêté : la commande prend le verrou du dossier
/// (node.lock) et refuse si un nœud le tient.
///
/// Changement de clé : l'ancienne clé vient de --ancienne-cle (ou
/// --key-file, CKISA_KEY_FILE), sinon de CKISA_PASSPHRASE, sinon de
/// <dossier>.key ; la nouvelle de --nouvelle-cle FICHIER (créé s'il
/// n'existe pas, sinon lu) ou de --nouvelle-phrase (phrase dans la variable
/// CKISA_NEW_PASSPHRASE). Une rotation interrompue se termine en relançant
/// la même commande. Gardez l'ancienne clé jusqu'à ce que le nœud ait
/// redémarré avec la nouvelle.
///
/// --chiffrer : chiffre les bases non chiffrées avec la clé du dossier
/// (--key-file, CKISA_PASSPHRASE, ou <dossier>.key, créé s'il n'existe pas).
#[derive(Debug, clap::Args)]
#[command(after_long_help = crate::keys::KEY_RULES)]
pub(crate) struct Cmd {
    /// Dossier de données du nœud (arrêté).
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
    /// Fichier de la clé actuelle (avec --chiffrer : la clé à utiliser).
    #[arg(
        long = "ancienne-cle",
        visible_alias = "key-file",
        env = "CKISA_KEY_FILE",
        value_name = "FICHIER"
    )]
    old_key: Option<PathBuf>,
    /// Fichier de la nouvelle clé : créé s'il n'existe pas, lu sinon.
    #[arg(
        long = "nouvelle-cle",
        value_name = "FICHIER",
        conflicts_with_all = ["new_passphrase", "chiffrer"]
    )]
    new_key: Option<PathBuf>,
    /// Dériver la nouvelle clé de la phrase de passe de la variable
    /// CKISA_NEW_PASSPHRASE (au moins 12 caractères).
    #[arg(
        long = "nouvelle-phrase",
        id = "new_passphrase",
        conflicts_with = "chiffrer"
    )]
    new_passphrase: bool,
    /// Chiffrer un dossier écrit par une version précédente de ckisa (bases
    /// non chiffrées).
    #[arg(long)]
    chiffrer: bool,
}

impl Cmd {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        require_node_folder(&self.data)?;
        let _lock = lock_data_folder(&self.data)?;
        let key_args = KeyArgs {
            key_file: self.old_key.clone(),
        };
        if self.chiffrer {
            return encrypt(&self.data, &key_args);
        }
        let old = keys::resolve(&key_args, &self.data, None, Missing::Refuse)?;
        opens_something(&self.data, &old)?;
        let new = self.new_key(&self.data)?;
        let report = key::rekey_folder_report(&self.data, &old.key, &new.key)?;
        // The trail's anchor is signed with a key derived from the database
        // key: sign it again under the new key, or the trail would look
        // tampered with. A forged or missing anchor is not re-signed: the
        // rotation stands, and `ckisa audit verify` keeps reporting it.
        let anchor = ckisa_audit::rekey_anchor(&self.data, &old.key, &new.key);
        if let Err(error) = &anchor {
            out::warn(&format!(
                "l'ancre du journal d'audit n'a pas été re-signée : {error}"
            ));
        }
        for path in &report.rekeyed {
            out::line(&format!("Rechiffrée : {}", path.display()));
        }
        for path in &report.already_new {
            out::line(&format!(
                "Déjà sous la nouvelle clé (rotation précédente interrompue) : {}",
                path.display()
            ));
        }
        let detail = format!(
            "changement de clé : {} base(s) rechiffrée(s), {} déjà sous la nouvelle ; \
             ancienne empreinte {}, nouvelle empreinte {}",
            report.rekeyed.len(),
            report.already_new.len(),
            old.key.fingerprint(),
            new.key.fingerprint()
        );
        record(&self.data, &new.key, detail)?;
        out::line(&format!(
            "Clé du dossier changée ; nouvelle clé : {}.",
            new.describe()
        ));
        print_next_steps(&self.data, &old, &new)?;
        Ok(ExitCode::SUCCESS)
    }

    fn new_key(&self, data: &Path) -> anyhow::Result<NodeKey> {
        if self.new_passphrase {
            let Some(passphrase) = std::env::var(NEW_PASSPHRASE_VAR)
                .ok()
                .filter(|p| !p.is_empty())
            else {
                bail!("--nouvelle-phrase : la variable {NEW_PASSPHRASE_VAR} est vide ou absente");
            };
            return keys::from_passphrase(&passphrase, data, true);
        }
        let Some(path) = &self.new_key else {
            bail!(
                "nouvelle clé absente : donnez --nouvelle-cle FICHIER (créé s'il n'existe pas) \
                 ou --nouvelle-phrase (phrase dans {NEW_PASSPHRASE_VAR}) ; pour chiffrer un \
                 dossier d'une version précédente, --chiffrer"
            );
        };
        if path.exists() {
            let key = DbKey::read_file(path)?;
            return Ok(NodeKey {
                key,
                source: KeySource::File(path.clone()),
            });
        }
        let key = DbKey::generate()?;
        key.write_file(path)?;
        out::line(&format!(
            "Nouvelle clé créée : {} (empreinte {}, lisible par son seul propriétaire).",
            path.display(),
            key.fingerprint()
        ));
        Ok(NodeKey {
            key,
            source: KeySource::File(path.clone()),
        })
    }
}

/// Checks that the old key opens at least one database of `data` before a
/// new key file is made for it (a wrong old key would leave a useless new
/// key behind). A database under either key is enough: an interrupted
/// rotation leaves some under each.
fn opens_something(data: &Path, old: &NodeKey) -> anyhow::Result<()> {
    let mut first_error = None;
    for name in key::DATABASE_FILES {
        let path = data.join(name);
        if !path.is_file() {
            continue;
        }
        match key::open_keyed(&path, &old.key, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY) {
            Ok(_) => return Ok(()),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(keys::explain(error, data, old)),
        None => Ok(()),
    }
}

/// `rekey --chiffrer`: encrypts the plaintext databases of `data`.
fn encrypt(data: &Path, key_args: &KeyArgs) -> anyhow::Result<ExitCode> {
    let key = keys::resolve(key_args, data, None, Missing::CreateForPlaintextFolder)?;
    let encrypted = key::encrypt_plaintext_folder(data, &key.key)
        .map_err(|error| keys::explain(error, data, &key))?;
    if encrypted.is_empty() {
        out::line(&format!(
            "Rien à chiffrer : les bases de {} sont déjà chiffrées avec cette clé ({}).",
            data.display(),
            key.describe()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    for path in &encrypted {
        out::line(&format!("Chiffrée : {}", path.display()));
    }
    let names: Vec<String> = encrypted.iter().map(|p| p.display().to_string()).collect();
    record(
        data,
        &key.key,
        format!(
            "dossier d'une version précédente chiffré (empreinte {}) : {}",
            key.key.fingerprint(),
            names.join(", ")
        ),
    )?;
    out::line(&format!("Dossier chiffré ; clé : {}.", key.describe()));
    out::warn(
        "les anciens blocs non chiffrés ne sont pas effacés du disque (système de fichiers, \
         SSD) : utilisez aussi un chiffrement du disque là où cela compte",
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the rotation to the folder's audit trail, under the new key.
fn record(data: &Path, key: &DbKey, detail: String) -> anyhow::Result<()> {
    let trail = AuditTrail::open(data, key).context(
        "la clé a été changée, mais le journal d'audit n'a pas pu être ouvert pour le noter",
    )?;
    trail
        .append_durable(AuditRecord {
            at_ms: now_ms(),
            actor: String::from("cli"),
            role: None,
            source: String::from("cli"),
            action: actions::REKEY.to_owned(),
            outcome: AuditOutcome::Allowed,
            patient: None,
            target: Some(data.display().to_string()),
            detail,
        })
        .context("la clé a été changée, mais le journal d'audit n'a pas pu le noter")?;
    Ok(())
}

fn print_next_steps(data: &Path, old: &NodeKey, new: &NodeKey) -> anyhow::Result<()> {
    let default = keys::sibling_key_path(data)?;
    match &new.source {
        KeySource::File(path) if *path == default => {
            out::line("Le nœud la trouvera à sa place par défaut.");
        }
        KeySource::File(path) => out::line(&format!(
            "Démarrez le nœud avec --key-file {} (ou node.key_file dans sa configuration){}.",
            path.display(),
            if old.source == KeySource::File(default.clone()) {
                format!(", ou remplacez {} par ce fichier", default.display())
            } else {
                String::new()
            }
        )),
        KeySource::Passphrase => out::line(&format!(
            "Démarrez le nœud avec la nouvelle phrase dans {} (sans --key-file).",
            keys::PASSPHRASE_VAR
        )),
    }
    out::line(
        "Gardez l'ancienne clé jusqu'à ce que le nœud ait redémarré avec la nouvelle, puis \
         détruisez-la, ainsi que ses copies.",
    );
    Ok(())
}
