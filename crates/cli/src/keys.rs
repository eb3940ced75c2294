//! Where the node key comes from, for every command that opens a data
//! folder: one set of rules (written in [`KEY_RULES`], the `--help` of those
//! commands, and in docs/configuration.md), one resolution ([`resolve`]),
//! and one check of the key against the folder's databases before anything
//! is opened for writing ([`check_key`]).
//!
//! **Invariant:** key bytes are never printed; messages name the key file
//! or the passphrase variable and the key's fingerprint only.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ckisa_store_sqlite::DATABASE_FILE;
use ckisa_store_sqlite::key::{
    self, DATABASE_FILES, DbKey, KeyError, SALT_FILE, is_plaintext, open_keyed,
};
use rusqlite::OpenFlags;

use crate::out;

/// Environment variable holding the passphrase the key is derived from.
pub(crate) const PASSPHRASE_VAR: &str = "CKISA_PASSPHRASE";

/// The rules, as every command that needs the key prints them in `--help`.
pub(crate) const KEY_RULES: &str = "\
Clé du nœud (toutes les bases du dossier de données sont chiffrées avec elle), \
dans cet ordre :
  1. --key-file FICHIER (ou la variable CKISA_KEY_FILE) : fichier de 64 chiffres \
hexadécimaux ;
  2. sinon une phrase de passe dans la variable CKISA_PASSPHRASE (au moins 12 \
caractères ; clé dérivée par Argon2id avec le sel du dossier, key.salt) ;
  3. sinon node.key_file du fichier de configuration (serve) ;
  4. sinon le fichier <dossier de données>.key, À CÔTÉ du dossier (./ckisa-data.key \
pour ./ckisa-data), jamais dedans.
En production, gardez la clé sur un support séparé des données, ou utilisez une \
phrase de passe. Une mauvaise clé est refusée (seule son empreinte est affichée).";

/// Options saying where the node key is.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct KeyArgs {
    /// Fichier de la clé du nœud (64 chiffres hexadécimaux). Par défaut :
    /// CKISA_PASSPHRASE si elle est définie, sinon node.key_file du fichier
    /// de configuration (serve), sinon <dossier de données>.key à côté du
    /// dossier (voir plus bas).
    #[arg(
        long = "key-file",
        env = "CKISA_KEY_FILE",
        value_name = "FICHIER",
        global = true
    )]
    pub(crate) key_file: Option<PathBuf>,
}

/// Where a key came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeySource {
    /// A key file.
    File(PathBuf),
    /// The passphrase in [`PASSPHRASE_VAR`].
    Passphrase,
}

/// The node key and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct NodeKey {
    /// The key.
    pub(crate) key: DbKey,
    /// Where it came from.
    pub(crate) source: KeySource,
}

impl NodeKey {
    /// "fichier de clé ./ckisa-data.key (empreinte 1a2b3c4d)".
    pub(crate) fn describe(&self) -> String {
        let fingerprint = self.key.fingerprint();
        match &self.source {
            KeySource::File(path) => {
                format!(
                    "fichier de clé {} (empreinte {fingerprint})",
                    path.display()
                )
            }
            KeySource::Passphrase => {
                format!("phrase de passe de {PASSPHRASE_VAR} (empreinte {fingerprint})")
            }
        }
    }
}

/// What to do when the key file the rules point to does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Missing {
    /// Refuse, telling how to give or create the key.
    Refuse,
    /// Create it, unless the folder already holds a database (whose key
    /// exists elsewhere, or which is a plaintext folder to encrypt first).
    CreateForNewFolder,
    /// Create it unless the folder holds an encrypted database: for
    /// `rekey --chiffrer` of a plaintext folder.
    CreateForPlaintextFolder,
}

/// The key file a data folder uses by default: `<folder>.key`, next to the
/// folder (`./ckisa-data` → `./ckisa-data.key`).
pub(crate) fn sibling_key_path(data: &Path) -> anyhow::Result<PathBuf> {
    let resolved;
    let path = if data.file_name().is_some() {
        data
    } else {
        resolved = std::path::absolute(data)
            .ok()
            .and_then(|p| std::fs::canonicalize(&p).ok().or(Some(p)))
            .unwrap_or_else(|| data.to_path_buf());
        &resolved
    };
    let Some(name) = path.file_name() else {
        bail!(
            "impossible de placer une clé à côté du dossier de données {} : \
             donnez-la avec --key-file",
            data.display()
        );
    };
    let mut file = name.to_owned();
    file.push(".key");
    Ok(path.with_file_name(file))
}

/// Finds the node key of `data` by the rules of [`KEY_RULES`].
/// `config_key_file` is `node.key_file` of a configuration file, if any.
pub(crate) fn resolve(
    args: &KeyArgs,
    data: &Path,
    config_key_file: Option<&Path>,
    missing: Missing,
) -> anyhow::Result<NodeKey> {
    let passphrase = std::env::var(PASSPHRASE_VAR).ok().filter(|p| !p.is_empty());
    if let Some(path) = &args.key_file {
        if passphrase.is_some() {
            bail!(
                "deux clés données : --key-file (ou CKISA_KEY_FILE) et {PASSPHRASE_VAR} ; \
                 n'en gardez qu'une"
            );
        }
        return from_file(path, data, missing, false);
    }
    if let Some(passphrase) = passphrase {
        return from_passphrase(&passphrase, data, false);
    }
    if let Some(path) = config_key_file {
        return from_file(path, data, missing, false);
    }
    from_file(&sibling_key_path(data)?, data, missing, true)
}

/// Derives the key from a passphrase and the folder's salt. Unless
/// `new_salt_ok` (a rotation to a passphrase), refuses to draw a new salt
/// for a folder that already holds an encrypted database: the passphrase
/// would then give another key.
pub(crate) fn from_passphrase(
    passphrase: &str,
    data: &Path,
    new_salt_ok: bool,
) -> anyhow::Result<NodeKey> {
    let database = data.join(DATABASE_FILE);
    let encrypted = database.is_file() && !is_plaintext(&database);
    if encrypted && !new_salt_ok && !data.join(SALT_FILE).exists() {
        bail!(
            "{} manque alors que le dossier {} contient une base chiffrée : sans ce sel, \
             la phrase de passe ne redonne pas la clé ; restaurez-le depuis une sauvegarde",
            data.join(SALT_FILE).display(),
            data.display()
        );
    }
    let salt = key::passphrase_salt(data)?;
    let key = DbKey::from_passphrase(passphrase, &salt)?;
    Ok(NodeKey {
        key,
        source: KeySource::Passphrase,
    })
}

/// Warns when a key file (the node key, the HTTPS private key) can be read
/// by others than its owner (a copy made with the wrong mode): whoever reads
/// the node key reads the data folder, whoever reads the HTTPS key can pass
/// for the node.
pub(crate) fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            out::warn(&format!(
                "le fichier de clé {} est lisible par d'autres comptes que le sien \
                 (droits {:o}) : faites `chmod 600 {}`",
                path.display(),
                meta.permissions().mode() & 0o777,
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn from_file(path: &Path, data: &Path, missing: Missing, default: bool) -> anyhow::Result<NodeKey> {
    let source = KeySource::File(path.to_path_buf());
    match DbKey::read_file(path) {
        Ok(key) => {
            warn_if_shared(path);
            return Ok(NodeKey { key, source });
        }
        Err(KeyError::Read { source: error, .. })
            if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error.into()),
    }
    let database = data.join(DATABASE_FILE);
    let plaintext = database.is_file() && is_plaintext(&database);
    let encrypted = database.is_file() && !plaintext;
    let create = match missing {
        Missing::Refuse => false,
        Missing::CreateForNewFolder => !database.is_file(),
        Missing::CreateForPlaintextFolder => !encrypted,
    };
    if create {
        return create_key(path);
    }
    if plaintext {
        bail!(
            "le dossier de données {} vient d'une version précédente de ckisa (bases non \
             chiffrées) : arrêtez le nœud puis chiffrez-le avec `ckisa rekey --chiffrer --data {}` \
             (la clé {} sera créée)",
            data.display(),
            data.display(),
            path.display()
        );
    }
    if encrypted {
        bail!(
            "clé introuvable : {} n'existe pas, et le dossier de données {} contient une base \
             chiffrée ; donnez sa clé avec --key-file FICHIER (ou CKISA_KEY_FILE), ou sa phrase \
             de passe dans {PASSPHRASE_VAR}",
            path.display(),
            data.display()
        );
    }
    if default {
        bail!(
            "aucune clé pour le dossier de données {} : le fichier {} n'existe pas. Donnez la clé \
             avec --key-file FICHIER (ou CKISA_KEY_FILE), ou une phrase de passe dans \
             {PASSPHRASE_VAR} ; pour un nouveau nœud, `ckisa serve --init-key` crée {}",
            data.display(),
            path.display(),
            path.display()
        );
    }
    bail!(
        "le fichier de clé {} n'existe pas (pour un nouveau nœud, `ckisa serve --init-key` le \
         crée)",
        path.display()
    )
}

fn create_key(path: &Path) -> anyhow::Result<NodeKey> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("impossible de créer le dossier {}", parent.display()))?;
    }
    let key = DbKey::generate()?;
    key.write_file(path)?;
    out::line(&format!(
        "Clé du nœud créée : {} (empreinte {}, lisible par son seul propriétaire).",
        path.display(),
        key.fingerprint()
    ));
    out::warn(
        "en production, la clé doit être sur un support séparé du dossier de données \
         (ou venir d'une phrase de passe, CKISA_PASSPHRASE) ; sauvegardez-la : sans elle, \
         les données sont perdues",
    );
    Ok(NodeKey {
        key,
        source: KeySource::File(path.to_path_buf()),
    })
}

/// Checks that `key` opens every database of `data` that exists, read only,
/// before anything opens one for writing (an auth or audit database must
/// never be created under a wrong key next to a store it does not open).
pub(crate) fn check_key(data: &Path, key: &NodeKey) -> anyhow::Result<()> {
    for name in DATABASE_FILES {
        let path = data.join(name);
        if !path.is_file() {
            continue;
        }
        if let Err(error) = open_keyed(&path, &key.key, OpenFlags::SQLITE_OPEN_READ_ONLY) {
            return Err(explain(error, data, key));
        }
    }
    Ok(())
}

/// Turns a key error into the operator's message, naming the key tried.
pub(crate) fn explain(error: KeyError, data: &Path, key: &NodeKey) -> anyhow::Error {
    match error {
        KeyError::WrongKey { .. } => anyhow::Error::new(error).context(format!(
            "la clé donnée ({}) n'ouvre pas le dossier de données {}",
            key.describe(),
            data.display()
        )),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_key_file_sits_next_to_the_folder() {
        assert_eq!(
            sibling_key_path(Path::new("./ckisa-data")).unwrap(),
            PathBuf::from("./ckisa-data.key")
        );
        assert_eq!(
            sibling_key_path(Path::new("/srv/ckisa/data/")).unwrap(),
            PathBuf::from("/srv/ckisa/data.key")
        );
        assert_eq!(
            sibling_key_path(Path::new("ckisa-data")).unwrap(),
            PathBuf::from("ckisa-data.key")
        );
        let dot = sibling_key_path(Path::new(".")).unwrap();
        assert!(dot.to_string_lossy().ends_with(".key"), "{}", dot.display());
        assert_ne!(dot.parent(), Some(Path::new(".")));
    }

    #[test]
    fn a_missing_default_key_is_refused_with_both_options() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let error = resolve(&KeyArgs::default(), &data, None, Missing::Refuse).unwrap_err();
        let text = format!("{error:#}");
        assert!(text.contains("--key-file"), "{text}");
        assert!(text.contains(PASSPHRASE_VAR), "{text}");
        assert!(text.contains("data.key"), "{text}");
        assert!(!data.with_file_name("data.key").exists());
    }

    #[test]
    fn a_new_folder_gets_its_key_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = resolve(
            &KeyArgs::default(),
            &data,
            None,
            Missing::CreateForNewFolder,
        )
        .unwrap();
        let again = resolve(&KeyArgs::default(), &data, None, Missing::Refuse).unwrap();
        assert_eq!(first.key, again.key);
        assert_eq!(first.source, KeySource::File(dir.path().join("data.key")));
        assert!(!first.describe().contains(&"0".repeat(64)));
    }
}
