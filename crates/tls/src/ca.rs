//! The local certificate authority of a suitcase network (`ckisa tls init`).
//!
//! The nodes of one suitcase network share one CA: the first `init` creates
//! it in a folder, every later `init` with the same folder reuses it and only
//! issues a new node certificate. Browsers and peer nodes then trust the one
//! `ca.pem` and every node's certificate follows. The CA key is never
//! overwritten: losing it would orphan every certificate already handed out.
//!
//! Files written in the folder:
//! - `ca.pem`: the CA certificate (ECDSA P-256, CA:true, pathlen 0, keyCertSign);
//! - `ca-key.pem`: its private key, mode 0600;
//! - `node.pem`: the node certificate followed by the CA certificate;
//! - `node-key.pem`: the node's private key, mode 0600.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
    PublicKeyData, SanType,
};
use rustls_pki_types::{CertificateDer, ServerName};
use time::{Duration, OffsetDateTime};
use tracing::info;

use crate::TlsError;
use crate::config::{format_date, read_chain, read_file};
use crate::der;

/// Longest node certificate validity browsers accept for a private CA, in days.
pub const MAX_NODE_VALIDITY_DAYS: u32 = 825;

/// Validity of a new CA, in days (ten years): a suitcase network outlives
/// many node certificates.
pub const CA_VALIDITY_DAYS: i64 = 3650;

/// File names inside the CA folder.
pub const CA_CERT_FILE: &str = "ca.pem";
/// The CA private key.
pub const CA_KEY_FILE: &str = "ca-key.pem";
/// The node certificate chain.
pub const NODE_CERT_FILE: &str = "node.pem";
/// The node private key.
pub const NODE_KEY_FILE: &str = "node-key.pem";

/// Certificates are dated from one day back, so a node whose clock is a
/// little behind still accepts what it just issued.
const BACKDATE: Duration = Duration::days(1);

/// What `ckisa tls init` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaInit {
    /// Folder of the CA and node files; created if missing.
    pub dir: PathBuf,
    /// The site, named in the CA certificate (for example « CH de Tulle »).
    pub site_name: String,
    /// DNS names and IP addresses for the node certificate, for example
    /// `["ckisa.local", "192.168.10.2", "127.0.0.1", "localhost"]`. The first
    /// is also the certificate's common name.
    pub hostnames: Vec<String>,
    /// Node certificate validity, 1 to [`MAX_NODE_VALIDITY_DAYS`].
    pub validity_days: u32,
}

impl CaInit {
    /// An init with the longest node validity browsers accept.
    pub fn new(dir: PathBuf, site_name: String, hostnames: Vec<String>) -> CaInit {
        CaInit {
            dir,
            site_name,
            hostnames,
            validity_days: MAX_NODE_VALIDITY_DAYS,
        }
    }
}

/// What `ckisa tls init` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCreated {
    /// The CA certificate: give it to browsers and peer nodes.
    pub ca_cert: PathBuf,
    /// The CA private key: keep it off the network, back it up.
    pub ca_key: PathBuf,
    /// The node certificate chain, for [`crate::TlsFiles::cert`].
    pub node_cert: PathBuf,
    /// The node private key, for [`crate::TlsFiles::key`].
    pub node_key: PathBuf,
    /// SHA-256 of the CA certificate, `AA:BB:...`, for checking by eye that
    /// a browser trusts the right CA.
    pub ca_fingerprint_sha256: String,
    /// Whether an existing CA was reused (otherwise it was just created).
    pub ca_reused: bool,
    /// End of the node certificate's validity.
    pub node_not_after: OffsetDateTime,
}

/// Creates the CA in `init.dir` unless one is there, then issues a new node
/// certificate signed by it.
pub fn init_local_ca(init: &CaInit) -> Result<CaCreated, TlsError> {
    let names = validate(init)?;
    create_dir(&init.dir)?;
    let paths = Paths::new(&init.dir);
    let now = OffsetDateTime::now_utc();

    let ca_cert_exists = exists(&paths.ca_cert)?;
    let ca_key_exists = exists(&paths.ca_key)?;
    let ca = match (ca_cert_exists, ca_key_exists) {
        (true, true) => load_ca(&paths, now)?,
        (false, false) => create_ca(&paths, &init.site_name, now)?,
        (true, false) => return Err(incomplete(&paths.ca_cert, &paths.ca_key)),
        (false, true) => return Err(incomplete(&paths.ca_key, &paths.ca_cert)),
    };

    let node_not_after = issue_node(init, names, &paths, &ca, now)?;
    let created = CaCreated {
        ca_fingerprint_sha256: fingerprint(&ca.der),
        ca_cert: paths.ca_cert,
        ca_key: paths.ca_key,
        node_cert: paths.node_cert,
        node_key: paths.node_key,
        ca_reused: ca.reused,
        node_not_after,
    };
    info!(
        ca = %created.ca_cert.display(),
        reused = created.ca_reused,
        fingerprint = %created.ca_fingerprint_sha256,
        "node certificate issued by the local CA"
    );
    Ok(created)
}

/// SHA-256 of a DER certificate as uppercase hex pairs joined by colons.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let pairs: Vec<String> = digest
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect();
    pairs.join(":")
}

struct Paths {
    ca_cert: PathBuf,
    ca_key: PathBuf,
    node_cert: PathBuf,
    node_key: PathBuf,
}

impl Paths {
    fn new(dir: &Path) -> Paths {
        Paths {
            ca_cert: dir.join(CA_CERT_FILE),
            ca_key: dir.join(CA_KEY_FILE),
            node_cert: dir.join(NODE_CERT_FILE),
            node_key: dir.join(NODE_KEY_FILE),
        }
    }
}

/// A CA ready to sign.
struct LocalCa {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
    pem: String,
    not_after: OffsetDateTime,
    reused: bool,
}

/// Checks the request and turns the host names into certificate names.
fn validate(init: &CaInit) -> Result<Vec<SanType>, TlsError> {
    if init.site_name.trim().is_empty() {
        return Err(TlsError::EmptySiteName);
    }
    if init.validity_days == 0 || init.validity_days > MAX_NODE_VALIDITY_DAYS {
        return Err(TlsError::ValidityOutOfRange {
            days: init.validity_days,
            max: MAX_NODE_VALIDITY_DAYS,
        });
    }
    if init.hostnames.is_empty() {
        return Err(TlsError::NoHostnames);
    }
    init.hostnames.iter().map(|name| san(name)).collect()
}

fn san(name: &str) -> Result<SanType, TlsError> {
    let invalid = || TlsError::InvalidHostname {
        name: name.to_owned(),
    };
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    // The same rules a rustls client applies to the name it connects to.
    match ServerName::try_from(name) {
        Ok(ServerName::DnsName(_)) if !name.contains('*') => {
            let ia5 = name.try_into().map_err(|_| invalid())?;
            Ok(SanType::DnsName(ia5))
        }
        _ => Err(invalid()),
    }
}

fn incomplete(present: &Path, missing: &Path) -> TlsError {
    TlsError::CaIncomplete {
        present: present.to_owned(),
        missing: missing.to_owned(),
    }
}

fn exists(path: &Path) -> Result<bool, TlsError> {
    path.try_exists().map_err(|source| TlsError::ReadFile {
        path: path.to_owned(),
        source,
    })
}

/// The CA's name and signing rights. Its key identifier method is rcgen's
/// default, so the authority key identifier of a node certificate always
/// matches the CA's subject key identifier.
fn ca_params(name: DistinguishedName) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name;
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

fn create_ca(paths: &Paths, site_name: &str, now: OffsetDateTime) -> Result<LocalCa, TlsError> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .map_err(|source| TlsError::Generate { source })?;
    // A short tag from the key keeps two sites with the same name (or two
    // CAs of one site) apart, for clients and for people reading the name.
    let key_hash = ring::digest::digest(&ring::digest::SHA256, &key.subject_public_key_info());
    let tag: String = key_hash
        .as_ref()
        .iter()
        .take(4)
        .map(|byte| format!("{byte:02X}"))
        .collect();
    let mut name = DistinguishedName::new();
    name.push(
        DnType::CommonName,
        format!(
            "Autorité de certification ckisa – {} ({tag})",
            site_name.trim()
        ),
    );
    name.push(DnType::OrganizationName, site_name.trim());
    let mut params = ca_params(name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.not_before = now - BACKDATE;
    params.not_after = now + Duration::days(CA_VALIDITY_DAYS);
    let cert = params
        .self_signed(&key)
        .map_err(|source| TlsError::Generate { source })?;

    // Key first, created exclusively: an existing key is never replaced.
    create_file(&paths.ca_key, key.serialize_pem().as_bytes(), 0o600)?;
    create_file(&paths.ca_cert, cert.pem().as_bytes(), 0o644)?;
    info!(ca = %paths.ca_cert.display(), "local certificate authority created");
    Ok(LocalCa {
        pem: cert.pem(),
        der: cert.der().clone(),
        not_after: params.not_after,
        issuer: Issuer::new(params, key),
        reused: false,
    })
}

fn load_ca(paths: &Paths, now: OffsetDateTime) -> Result<LocalCa, TlsError> {
    let unusable = |reason: String| TlsError::CaUnusable {
        path: paths.ca_cert.clone(),
        reason,
    };
    let key_text = String::from_utf8(read_file(&paths.ca_key)?)
        .map_err(|_| unusable(format!("{CA_KEY_FILE} n'est pas un fichier PEM")))?;
    let key = KeyPair::from_pem(&key_text)
        .map_err(|err| unusable(format!("clé {CA_KEY_FILE} illisible ({err})")))?;
    let der = read_chain(&paths.ca_cert)?.swap_remove(0);
    let fields =
        der::cert_fields(&der).ok_or_else(|| unusable(String::from("certificat illisible")))?;
    if fields.public_key_info != key.subject_public_key_info().as_slice() {
        return Err(unusable(format!(
            "la clé {CA_KEY_FILE} ne correspond pas au certificat {CA_CERT_FILE}"
        )));
    }
    if fields.not_after <= now {
        return Err(unusable(format!(
            "l'autorité a expiré le {} ; déplacez {CA_CERT_FILE} et {CA_KEY_FILE} pour en créer une nouvelle, puis distribuez-la à tous les postes",
            format_date(fields.not_after)
        )));
    }
    let name = distinguished_name(fields.subject).ok_or_else(|| {
        unusable(String::from(
            "nom de l'autorité non reconnu (autorité non créée par ckisa)",
        ))
    })?;
    let pem = pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()));
    Ok(LocalCa {
        issuer: Issuer::new(ca_params(name), key),
        not_after: fields.not_after,
        der,
        pem,
        reused: true,
    })
}

/// Rebuilds an rcgen name from a DER name, keeping each string's type so the
/// issuer of new certificates encodes exactly as the CA's subject.
fn distinguished_name(subject: &[u8]) -> Option<DistinguishedName> {
    let mut name = DistinguishedName::new();
    for attribute in der::name_attributes(subject)? {
        let value = if der::is_printable_string(attribute.tag) {
            DnValue::PrintableString(attribute.value.try_into().ok()?)
        } else {
            DnValue::Utf8String(attribute.value)
        };
        name.push(DnType::from_oid(&attribute.oid), value);
    }
    Some(name)
}

/// Issues and writes the node certificate and key; gives the end of validity.
fn issue_node(
    init: &CaInit,
    names: Vec<SanType>,
    paths: &Paths,
    ca: &LocalCa,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, TlsError> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .map_err(|source| TlsError::Generate { source })?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, init.hostnames[0].as_str());
    name.push(DnType::OrganizationName, init.site_name.trim());
    params.distinguished_name = name;
    params.subject_alt_names = names;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = now - BACKDATE;
    // Browsers count validity from not-before: the backdating is part of it.
    params.not_after =
        (params.not_before + Duration::days(i64::from(init.validity_days))).min(ca.not_after);
    let cert = params
        .signed_by(&key, &ca.issuer)
        .map_err(|source| TlsError::Generate { source })?;

    // A reused CA's name was rebuilt from its certificate: make sure it
    // encodes to the very same bytes, or clients could not chain to it.
    let ca_subject = der::cert_fields(&ca.der).map(|fields| fields.subject);
    let node_issuer = der::cert_fields(cert.der()).map(|fields| fields.issuer);
    if ca_subject.is_none() || ca_subject != node_issuer {
        return Err(TlsError::CaUnusable {
            path: paths.ca_cert.clone(),
            reason: String::from("nom de l'autorité non reproductible"),
        });
    }

    replace_file(&paths.node_key, key.serialize_pem().as_bytes(), 0o600)?;
    let chain = format!("{}{}", cert.pem(), ca.pem);
    replace_file(&paths.node_cert, chain.as_bytes(), 0o644)?;
    Ok(params.not_after)
}

fn create_dir(dir: &Path) -> Result<(), TlsError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| TlsError::CreateDir {
        path: dir.to_owned(),
        source,
    })
}

/// Writes a file that must not exist yet, with `mode` from its creation on
/// (a key is never readable by others, not even for an instant).
fn create_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), TlsError> {
    let write_error = |source| TlsError::WriteFile {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(write_error)?;
    file.write_all(contents).map_err(write_error)?;
    file.sync_all().map_err(write_error)
}

/// Replaces a file through a temporary sibling and a rename, so a crash
/// leaves either the old or the new file whole.
fn replace_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), TlsError> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    match std::fs::remove_file(&temporary) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(TlsError::WriteFile {
                path: temporary,
                source,
            });
        }
    }
    create_file(&temporary, contents, mode)?;
    std::fs::rename(&temporary, path).map_err(|source| TlsError::WriteFile {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_become_dns_or_ip_names_and_bad_ones_are_refused() {
        assert!(matches!(san("ckisa.local"), Ok(SanType::DnsName(_))));
        assert!(matches!(san("localhost"), Ok(SanType::DnsName(_))));
        assert!(matches!(san("192.168.10.2"), Ok(SanType::IpAddress(_))));
        assert!(matches!(san("::1"), Ok(SanType::IpAddress(_))));
        for bad in ["", "has space.local", "*.local", "bad..name", "é.local"] {
            let err = san(bad).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("nom d'hôte invalide pour un certificat : « {bad} »")
            );
        }
    }

    #[test]
    fn the_request_is_checked_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let base = CaInit::new(
            dir.path().join("ca"),
            "CH Test".to_owned(),
            vec!["ckisa.local".to_owned()],
        );
        let cases = [
            CaInit {
                site_name: " ".to_owned(),
                ..base.clone()
            },
            CaInit {
                hostnames: vec![],
                ..base.clone()
            },
            CaInit {
                validity_days: 0,
                ..base.clone()
            },
            CaInit {
                validity_days: MAX_NODE_VALIDITY_DAYS + 1,
                ..base.clone()
            },
        ];
        for case in cases {
            assert!(init_local_ca(&case).is_err());
            assert!(!base.dir.exists(), "nothing written for {case:?}");
        }
    }

    #[test]
    fn a_lone_ca_certificate_or_key_is_never_completed_by_a_new_ca() {
        let dir = tempfile::tempdir().unwrap();
        let init = CaInit::new(
            dir.path().to_owned(),
            "CH Test".to_owned(),
            vec!["127.0.0.1".to_owned()],
        );
        std::fs::write(dir.path().join(CA_KEY_FILE), "precious").unwrap();
        let err = init_local_ca(&init).unwrap_err();
        assert!(matches!(err, TlsError::CaIncomplete { .. }), "{err:?}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join(CA_KEY_FILE)).unwrap(),
            "precious"
        );
        assert!(!dir.path().join(CA_CERT_FILE).exists());
    }

    #[test]
    fn a_fingerprint_is_colon_separated_uppercase_hex() {
        let print = fingerprint(b"abc");
        assert_eq!(print.len(), 32 * 3 - 1);
        assert!(print.starts_with("BA:78:16:BF:"), "{print}");
    }
}
