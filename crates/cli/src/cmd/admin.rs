//! What the administration commands (`users`, `tokens`, `audit`, `rekey`)
//! share: the data folder and key options, opening the accounts and the
//! trail of an existing node folder, telling whether a node serves the
//! folder, and creating private output files.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::DEFAULT_DATA;
use crate::keys::{self, KeyArgs, Missing, NodeKey};
use crate::node::{Guard, require_node_folder};

/// `--data` and the key options, accepted before or after the subcommand.
#[derive(Debug, clap::Args)]
pub(crate) struct FolderArgs {
    /// Dossier de données du nœud.
    #[arg(long, default_value = DEFAULT_DATA, global = true)]
    pub(crate) data: PathBuf,
    #[command(flatten)]
    pub(crate) key: KeyArgs,
}

impl FolderArgs {
    /// The key of an existing node folder, checked against its databases.
    pub(crate) fn node_key(&self) -> anyhow::Result<NodeKey> {
        require_node_folder(&self.data)?;
        let key = keys::resolve(&self.key, &self.data, None, Missing::Refuse)?;
        keys::check_key(&self.data, &key)?;
        Ok(key)
    }

    /// Opens the accounts and the audit trail of an existing node folder.
    pub(crate) fn open_guard(&self) -> anyhow::Result<Guard> {
        let key = self.node_key()?;
        Guard::open(&self.data, &key)
    }
}

/// Creates a new file readable by its owner only (0600 on Unix); refuses
/// to overwrite one (it may hold secrets or patient identifiers).
pub(crate) fn create_private(path: &Path) -> anyhow::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path).with_context(|| {
        format!(
            "impossible de créer {} (un fichier existant n'est jamais écrasé)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_file_is_new_and_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.csv");
        drop(create_private(&path).unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(create_private(&path).is_err());
    }
}
