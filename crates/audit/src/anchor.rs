//! The anchor file: the last committed (sequence, hash) of the trail, signed.
//!
//! Deleting the last entries of a hash chain leaves a shorter chain that is
//! still valid, so the chain alone cannot show tail truncation. After every
//! commit the writer rewrites `<data_dir>/audit.anchor` with the head of the
//! chain and an HMAC-SHA256 of it, keyed with
//! `SHA-256("ckisa-audit-anchor" || database key)`. A reader compares the
//! anchor with the database: a database that ends before the anchor was cut.
//! Forging an anchor needs the database key.
//!
//! The file is rewritten atomically (temporary file, fsync, rename, fsync of
//! the folder), after the database commit: a crash between the two leaves an
//! anchor one group behind the database, which is not a problem (the entry
//! it names is still there with the same hash).
//!
//! Format (text, one field a line):
//! ```text
//! ckisa-audit-anchor v1
//! seq 120
//! hash <64 hex digits>
//! mac <64 hex digits>
//! ```

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;

use ckisa_store_sqlite::key::DbKey;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::chain::{HASH_BYTES, Hash, hex, parse_hex};
use crate::record::AuditError;

/// The anchor's file name in the data folder.
pub const ANCHOR_FILE: &str = "audit.anchor";

/// The temporary file an anchor is written to before the rename.
const ANCHOR_TEMP_FILE: &str = "audit.anchor.tmp";

/// First line of the file, also hashed into the MAC.
const HEADER: &str = "ckisa-audit-anchor v1";

/// The head of the chain as last committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Anchor {
    /// Sequence number of the last entry (0 for an empty trail).
    pub(crate) seq: u64,
    /// Its hash ([`crate::chain::GENESIS`] for an empty trail).
    pub(crate) hash: Hash,
}

/// What was found in the anchor file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AnchorRead {
    /// No anchor file.
    Missing,
    /// A file that is not a valid anchor under this key (French reason).
    Forged(String),
    /// A valid anchor.
    Valid(Anchor),
}

/// The key the anchor is signed with, derived from the database key.
#[derive(Clone)]
pub(crate) struct AnchorKey(Zeroizing<[u8; HASH_BYTES]>);

impl AnchorKey {
    /// The anchor key of `key`.
    pub(crate) fn derive(key: &DbKey) -> AnchorKey {
        let mut hasher = Sha256::new();
        hasher.update(b"ckisa-audit-anchor");
        hasher.update(key.bytes());
        AnchorKey(Zeroizing::new(hasher.finalize().into()))
    }

    fn mac(&self, anchor: &Anchor) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256>>::new_from_slice(self.0.as_ref()).expect("HMAC takes keys of any length");
        mac.update(HEADER.as_bytes());
        mac.update(&anchor.seq.to_be_bytes());
        mac.update(&anchor.hash);
        mac
    }
}

/// Reads and checks the anchor of the trail in `data_dir`.
pub(crate) fn read(data_dir: &Path, key: &AnchorKey) -> Result<AnchorRead, AuditError> {
    let path = data_dir.join(ANCHOR_FILE);
    let text = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(AnchorRead::Missing);
        }
        Err(source) => return Err(io_error(&path, source)),
    };
    let Some((anchor, tag)) = std::str::from_utf8(&text).ok().and_then(parse) else {
        return Ok(AnchorRead::Forged("ancre illisible".to_owned()));
    };
    // `verify_slice` compares in constant time.
    match key.mac(&anchor).verify_slice(&tag) {
        Ok(()) => Ok(AnchorRead::Valid(anchor)),
        Err(_) => Ok(AnchorRead::Forged(
            "signature de l'ancre invalide (ancre falsifiée, ou clé différente)".to_owned(),
        )),
    }
}

/// Replaces the anchor of the trail in `data_dir` atomically.
pub(crate) fn write(data_dir: &Path, key: &AnchorKey, anchor: &Anchor) -> Result<(), AuditError> {
    let tag = key.mac(anchor).finalize().into_bytes();
    let text = format!(
        "{HEADER}\nseq {}\nhash {}\nmac {}\n",
        anchor.seq,
        hex(&anchor.hash),
        hex(&tag)
    );

    // Write and fsync a temporary file, then rename it over the anchor.
    let temp = data_dir.join(ANCHOR_TEMP_FILE);
    let mut file = private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temp)
        .map_err(|source| io_error(&temp, source))?;
    restrict(&file)
        .and_then(|()| file.write_all(text.as_bytes()))
        .and_then(|()| file.sync_all())
        .map_err(|source| io_error(&temp, source))?;
    drop(file);
    let path = data_dir.join(ANCHOR_FILE);
    std::fs::rename(&temp, &path).map_err(|source| io_error(&path, source))?;

    // Make the rename itself durable.
    sync_folder(data_dir)
}

/// Options that create a file readable by the node's user only.
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Makes an open file readable by the node's user only (the creation mode
/// does not apply to a leftover temporary file).
fn restrict(file: &File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Parses the anchor text into the anchor and its MAC.
fn parse(text: &str) -> Option<(Anchor, Vec<u8>)> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let seq = lines.next()?.strip_prefix("seq ")?.parse().ok()?;
    let hash = parse_hex(lines.next()?.strip_prefix("hash ")?)?;
    let tag = parse_hex(lines.next()?.strip_prefix("mac ")?)?;
    if lines.next().is_some() {
        return None;
    }
    let hash = Hash::try_from(hash.as_slice()).ok()?;
    Some((Anchor { seq, hash }, tag))
}

#[cfg(unix)]
fn sync_folder(data_dir: &Path) -> Result<(), AuditError> {
    File::open(data_dir)
        .and_then(|folder| folder.sync_all())
        .map_err(|source| io_error(data_dir, source))
}

#[cfg(not(unix))]
fn sync_folder(_data_dir: &Path) -> Result<(), AuditError> {
    // Folders cannot be opened for fsync on this system; the rename is
    // durable once the file system commits its metadata.
    Ok(())
}

fn io_error(path: &Path, source: std::io::Error) -> AuditError {
    AuditError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> AnchorKey {
        AnchorKey::derive(&DbKey::from_bytes([byte; 32]))
    }

    #[test]
    fn an_anchor_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path(), &key(1)).unwrap(), AnchorRead::Missing);
        let anchor = Anchor {
            seq: 120,
            hash: [7; HASH_BYTES],
        };
        write(dir.path(), &key(1), &anchor).unwrap();
        assert_eq!(
            read(dir.path(), &key(1)).unwrap(),
            AnchorRead::Valid(anchor)
        );
        assert!(!dir.path().join(ANCHOR_TEMP_FILE).exists());
    }

    #[cfg(unix)]
    #[test]
    fn the_anchor_is_private_to_the_node_user() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        // A leftover temporary file readable by all does not stay so.
        let temp = dir.path().join(ANCHOR_TEMP_FILE);
        std::fs::write(&temp, "").unwrap();
        std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o644)).unwrap();
        let anchor = Anchor {
            seq: 1,
            hash: [7; HASH_BYTES],
        };
        write(dir.path(), &key(1), &anchor).unwrap();
        let mode = std::fs::metadata(dir.path().join(ANCHOR_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn another_key_or_an_edit_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let anchor = Anchor {
            seq: 120,
            hash: [7; HASH_BYTES],
        };
        write(dir.path(), &key(1), &anchor).unwrap();
        assert!(matches!(
            read(dir.path(), &key(2)).unwrap(),
            AnchorRead::Forged(_)
        ));

        let path = dir.path().join(ANCHOR_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("seq 120", "seq 118")).unwrap();
        assert!(matches!(
            read(dir.path(), &key(1)).unwrap(),
            AnchorRead::Forged(_)
        ));

        std::fs::write(&path, "garbage").unwrap();
        assert!(matches!(
            read(dir.path(), &key(1)).unwrap(),
            AnchorRead::Forged(_)
        ));
    }
}
