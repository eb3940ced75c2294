//! The local certificate authority of a suitcase network (`ckisa tls init`).
//!
//! The nodes of one suitcase network share one CA: the first `init` creates
//! it in the CA folder, every later `init` with the same CA folder reuses it
//! and only issues a new node certificate. Browsers and peer nodes then trust
//! the one `ca.pem` and every node's certificate follows. The CA key is never
//! overwritten: losing it would orphan every certificate already handed out.
//!
//! The CA's private key never lives with a node: whoever copies a node's
//! folder must not be able to issue certificates. The CA folder and the node
//! folder are two folders, neither the same nor one inside the other, and a
//! node folder still holding `ca-key.pem` (previous versions) is refused.
//! The CA carries X.509 name constraints: it can only certify the names and
//! addresses given at its creation (and below the `--domaine` suffixes,
//! within the `--reseau` address ranges), so a
//! stolen CA key cannot impersonate other sites to clients that honour them.
//!
//! Files written in the CA folder (mode 0700, kept offline):
//! - `ca.pem`: the CA certificate (ECDSA P-256, CA:true, pathlen 0,
//!   keyCertSign, name constraints);
//! - `ca-key.pem`: its private key, mode 0600.
//!
//! Files written in the node folder (mode 0700, the `[tls] dir` of the node):
//! - `node.pem`: the node certificate followed by the CA certificate;
//! - `node-key.pem`: the node's private key, mode 0600;
//! - `ca.pem`: a copy of the CA certificate, to hand to clients.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Component, Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, PKCS_ECDSA_P256_SHA256, PublicKeyData, SanType,
};
use rustls_pki_types::{CertificateDer, ServerName};
use time::{Duration, OffsetDateTime};
use tracing::info;

use crate::TlsError;
use crate::config::{format_date, read_chain, read_file};
use crate::der::{self, Subtree};

/// Longest node certificate validity browsers accept for a private CA, in days.
pub const MAX_NODE_VALIDITY_DAYS: u32 = 825;

/// Validity of a new CA, in days (five years): a suitcase network outlives
/// many node certificates, and a CA that leaks stops being useful sooner.
pub const CA_VALIDITY_DAYS: i64 = 1826;

/// File names inside the CA folder.
pub const CA_CERT_FILE: &str = "ca.pem";
/// The CA private key, only ever in the CA folder.
pub const CA_KEY_FILE: &str = "ca-key.pem";
/// The node certificate chain.
pub const NODE_CERT_FILE: &str = "node.pem";
/// The node private key.
pub const NODE_KEY_FILE: &str = "node-key.pem";

/// The DNS subtree a CA created without any DNS name permits: the reserved
/// `.invalid` top-level domain (RFC 6761), so it certifies no real DNS name.
const NO_DNS_NAME: &str = "invalid";

/// Certificates are dated from one day back, so a node whose clock is a
/// little behind still accepts what it just issued.
const BACKDATE: Duration = Duration::days(1);

/// What `ckisa tls init` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaInit {
    /// Folder of the node files (`[tls] dir`); created if missing.
    pub dir: PathBuf,
    /// Folder of the CA files; created if missing. Neither `dir` nor inside
    /// it: it holds the CA private key and is kept offline.
    pub ca_dir: PathBuf,
    /// The site, named in the CA certificate (for example « CH de Tulle »).
    pub site_name: String,
    /// DNS names and IP addresses for the node certificate, for example
    /// `["ckisa.local", "192.168.10.2", "127.0.0.1", "localhost"]`. The first
    /// DNS name is also the certificate's common name. A new CA permits
    /// exactly these.
    pub hostnames: Vec<String>,
    /// DNS suffixes a new CA also permits, for the site's other nodes
    /// (`.chu-exemple.local` permits every name under `chu-exemple.local`).
    /// Ignored when the CA already exists.
    pub domains: Vec<String>,
    /// Address ranges a new CA also permits, in CIDR notation
    /// (`192.168.10.0/24`), for the site's other nodes reached by address.
    /// A range covering every address (`0.0.0.0/0`, `::/0`) is refused.
    /// Ignored when the CA already exists.
    pub networks: Vec<String>,
    /// Node certificate validity, 1 to [`MAX_NODE_VALIDITY_DAYS`].
    pub validity_days: u32,
}

impl CaInit {
    /// An init without extra domains and with the longest node validity
    /// browsers accept.
    pub fn new(dir: PathBuf, ca_dir: PathBuf, site_name: String, hostnames: Vec<String>) -> CaInit {
        CaInit {
            dir,
            ca_dir,
            site_name,
            hostnames,
            domains: Vec::new(),
            networks: Vec::new(),
            validity_days: MAX_NODE_VALIDITY_DAYS,
        }
    }
}

/// What `ckisa tls init` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCreated {
    /// The CA certificate in the CA folder: give it to browsers and peer
    /// nodes.
    pub ca_cert: PathBuf,
    /// The CA private key: keep it offline, back it up.
    pub ca_key: PathBuf,
    /// The copy of the CA certificate in the node folder.
    pub node_ca_cert: PathBuf,
    /// The node certificate chain, for [`crate::TlsFiles::cert`].
    pub node_cert: PathBuf,
    /// The node private key, for [`crate::TlsFiles::key`].
    pub node_key: PathBuf,
    /// SHA-256 of the CA certificate, `AA:BB:...`, for checking by eye that
    /// a browser trusts the right CA.
    pub ca_fingerprint_sha256: String,
    /// Whether an existing CA was reused (otherwise it was just created).
    pub ca_reused: bool,
    /// The names the CA may certify (a DNS name covers the names below
    /// it), or `None` when it has no name constraints (CA created by a
    /// previous version).
    pub ca_permitted: Option<Vec<String>>,
    /// End of the CA's validity.
    pub ca_not_after: OffsetDateTime,
    /// End of the node certificate's validity.
    pub node_not_after: OffsetDateTime,
}

/// The CA files [`move_ca_out_of_node_dir`] moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaMoved {
    /// The CA private key where it was.
    pub old_key: PathBuf,
    /// The CA private key now.
    pub ca_key: PathBuf,
    /// The CA certificate now (a copy stays in the node folder).
    pub ca_cert: PathBuf,
}

/// Creates the CA in `init.ca_dir` unless one is there, then issues a new
/// node certificate signed by it into `init.dir`. Refuses a CA folder that is
/// the node folder or inside it, a node folder holding a CA key, and, with a
/// reused CA, a host name outside its name constraints; nothing is written
/// then.
pub fn init_local_ca(init: &CaInit) -> Result<CaCreated, TlsError> {
    let names = validate(init)?;
    let domains = validate_domains(&init.domains)?;
    let networks = validate_networks(&init.networks)?;
    check_separate(&init.dir, &init.ca_dir)?;
    let paths = Paths::new(&init.dir, &init.ca_dir);
    if exists(&paths.old_ca_key)? {
        return Err(TlsError::CaKeyInNodeDir {
            key: paths.old_ca_key,
            cert: paths.node_ca_cert,
            ca_dir: init.ca_dir.clone(),
        });
    }
    let now = OffsetDateTime::now_utc();

    let ca_cert_exists = exists(&paths.ca_cert)?;
    let ca_key_exists = exists(&paths.ca_key)?;
    let ca = match (ca_cert_exists, ca_key_exists) {
        (true, true) => load_ca(&paths, now)?,
        (false, false) => {
            let constraints = constraints_for(&names, &domains, &networks);
            create_dir(&init.ca_dir)?;
            create_ca(&paths, &init.site_name, constraints, now)?
        }
        (true, false) => return Err(incomplete(&paths.ca_cert, &paths.ca_key)),
        (false, true) => return Err(incomplete(&paths.ca_key, &paths.ca_cert)),
    };
    if let Some(constraints) = &ca.constraints {
        check_permitted(constraints, init, &names, &paths.ca_cert)?;
    }

    create_dir(&init.dir)?;
    let node_not_after = issue_node(init, names, &paths, &ca, now)?;
    replace_file(&paths.node_ca_cert, ca.pem.as_bytes(), 0o644)?;
    let created = CaCreated {
        ca_fingerprint_sha256: fingerprint(&ca.der),
        ca_cert: paths.ca_cert,
        ca_key: paths.ca_key,
        node_ca_cert: paths.node_ca_cert,
        node_cert: paths.node_cert,
        node_key: paths.node_key,
        ca_reused: ca.reused,
        ca_permitted: ca.constraints.as_ref().map(describe_permitted),
        ca_not_after: ca.not_after,
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

/// Moves the CA that a previous version left in the node folder `dir`
/// (`ca-key.pem` and `ca.pem`) to `ca_dir`, keeping a copy of `ca.pem` in
/// `dir`. Gives `None` when `dir` holds no CA key. Refuses to overwrite a CA
/// already in `ca_dir`.
pub fn move_ca_out_of_node_dir(dir: &Path, ca_dir: &Path) -> Result<Option<CaMoved>, TlsError> {
    let paths = Paths::new(dir, ca_dir);
    if !exists(&paths.old_ca_key)? {
        return Ok(None);
    }
    check_separate(dir, ca_dir)?;
    if !exists(&paths.node_ca_cert)? {
        return Err(incomplete(&paths.old_ca_key, &paths.node_ca_cert));
    }
    for existing in [&paths.ca_key, &paths.ca_cert] {
        if exists(existing)? {
            return Err(TlsError::CaMoveConflict {
                from: dir.to_owned(),
                to: ca_dir.to_owned(),
                existing: existing.clone(),
            });
        }
    }
    create_dir(ca_dir)?;
    create_file(&paths.ca_cert, &read_file(&paths.node_ca_cert)?, 0o644)?;
    move_file(&paths.old_ca_key, &paths.ca_key, 0o600)?;
    info!(
        from = %paths.old_ca_key.display(),
        to = %paths.ca_key.display(),
        "CA key moved out of the node folder"
    );
    Ok(Some(CaMoved {
        old_key: paths.old_ca_key,
        ca_key: paths.ca_key,
        ca_cert: paths.ca_cert,
    }))
}

/// The folder next to `dir` named after it with `suffix` (`/srv/tls` and
/// `-ac` give `/srv/tls-ac`). A relative `dir` with a name stays relative.
pub fn sibling_dir(dir: &Path, suffix: &str) -> Result<PathBuf, TlsError> {
    let path = if dir.file_name().is_some() {
        dir.to_owned()
    } else {
        resolved(dir)
    };
    let Some(name) = path.file_name() else {
        return Err(TlsError::NoSiblingDir {
            dir: dir.to_owned(),
        });
    };
    let mut sibling = name.to_owned();
    sibling.push(suffix);
    Ok(path.with_file_name(sibling))
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
    node_ca_cert: PathBuf,
    node_cert: PathBuf,
    node_key: PathBuf,
    /// Where a previous version kept the CA key: in the node folder.
    old_ca_key: PathBuf,
}

impl Paths {
    fn new(dir: &Path, ca_dir: &Path) -> Paths {
        Paths {
            ca_cert: ca_dir.join(CA_CERT_FILE),
            ca_key: ca_dir.join(CA_KEY_FILE),
            node_ca_cert: dir.join(CA_CERT_FILE),
            node_cert: dir.join(NODE_CERT_FILE),
            node_key: dir.join(NODE_KEY_FILE),
            old_ca_key: dir.join(CA_KEY_FILE),
        }
    }
}

/// A CA ready to sign.
struct LocalCa {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
    pem: String,
    not_after: OffsetDateTime,
    /// `None` for a CA of a previous version, made without constraints.
    constraints: Option<der::NameConstraints>,
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

/// Checks the `--domaine` suffixes and gives them without their leading
/// dot, lowercase: a DNS name constraint covers the names below it.
fn validate_domains(domains: &[String]) -> Result<Vec<String>, TlsError> {
    domains
        .iter()
        .map(|domain| {
            let bare = domain.trim().trim_start_matches('.').to_ascii_lowercase();
            match san(&bare) {
                Ok(SanType::DnsName(_)) => Ok(bare),
                _ => Err(TlsError::InvalidDomain {
                    name: domain.clone(),
                }),
            }
        })
        .collect()
}

/// Checks the `--reseau` ranges (`192.168.10.0/24`, `fd00::/64`) and gives
/// them with their host bits cleared. A prefix of zero is refused: it would
/// permit every address, a constraint that constrains nothing.
fn validate_networks(networks: &[String]) -> Result<Vec<CidrSubnet>, TlsError> {
    networks
        .iter()
        .map(|network| {
            let invalid = || TlsError::InvalidNetwork {
                name: network.clone(),
            };
            let (address, prefix) = network.trim().split_once('/').ok_or_else(invalid)?;
            let address: IpAddr = address.parse().map_err(|_| invalid())?;
            let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
            let bits = if address.is_ipv4() { 32 } else { 128 };
            if prefix > bits {
                return Err(invalid());
            }
            if prefix == 0 {
                return Err(TlsError::NetworkTooWide {
                    name: network.clone(),
                });
            }
            Ok(match CidrSubnet::from_addr_prefix(address, prefix) {
                CidrSubnet::V4(base, mask) => CidrSubnet::V4(masked(base, mask), mask),
                CidrSubnet::V6(base, mask) => CidrSubnet::V6(masked(base, mask), mask),
            })
        })
        .collect()
}

/// `base` with the bits outside `mask` cleared (`192.168.10.7/24` names
/// the range `192.168.10.0/24`).
fn masked<const N: usize>(mut base: [u8; N], mask: [u8; N]) -> [u8; N] {
    for (byte, mask) in base.iter_mut().zip(mask) {
        *byte &= mask;
    }
    base
}

/// Refuses a CA folder that is the node folder or lies inside it, whatever
/// the spelling (relative paths, `..`, symbolic links).
fn check_separate(dir: &Path, ca_dir: &Path) -> Result<(), TlsError> {
    let node = resolved(dir);
    let ca = resolved(ca_dir);
    if node == ca {
        return Err(TlsError::CaDirIsNodeDir {
            dir: dir.to_owned(),
        });
    }
    if ca.starts_with(&node) {
        return Err(TlsError::CaDirInsideNodeDir {
            ca_dir: ca_dir.to_owned(),
            dir: dir.to_owned(),
        });
    }
    Ok(())
}

/// `path` made absolute, with the symbolic links of its existing part
/// resolved and `.` and `..` applied.
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => {
                out.push(other);
                if let Ok(real) = std::fs::canonicalize(&out) {
                    out = real;
                }
            }
        }
    }
    out
}

/// The name constraints of a new CA: exactly the node's names and
/// addresses, and the extra domains and address ranges. A kind of name
/// nothing uses is closed off too (no DNS name: only `.invalid`; no
/// address: none).
fn constraints_for(
    names: &[SanType],
    domains: &[String],
    networks: &[CidrSubnet],
) -> NameConstraints {
    let mut permitted = Vec::new();
    for name in names {
        let subtree = match name {
            SanType::DnsName(dns) => GeneralSubtree::DnsName(dns.as_str().to_ascii_lowercase()),
            SanType::IpAddress(ip) => {
                let bits = if ip.is_ipv4() { 32 } else { 128 };
                GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(*ip, bits))
            }
            _ => continue,
        };
        permitted.push(subtree);
    }
    permitted.extend(domains.iter().cloned().map(GeneralSubtree::DnsName));
    permitted.extend(networks.iter().cloned().map(GeneralSubtree::IpAddress));
    let mut unique = Vec::with_capacity(permitted.len());
    for subtree in permitted {
        if !unique.contains(&subtree) {
            unique.push(subtree);
        }
    }
    let mut permitted = unique;
    let has_dns = permitted
        .iter()
        .any(|subtree| matches!(subtree, GeneralSubtree::DnsName(_)));
    let has_ip = permitted
        .iter()
        .any(|subtree| matches!(subtree, GeneralSubtree::IpAddress(_)));
    if !has_dns {
        permitted.push(GeneralSubtree::DnsName(NO_DNS_NAME.to_owned()));
    }
    let excluded = if has_ip {
        Vec::new()
    } else {
        vec![
            GeneralSubtree::IpAddress(CidrSubnet::V4([0; 4], [0; 4])),
            GeneralSubtree::IpAddress(CidrSubnet::V6([0; 16], [0; 16])),
        ]
    };
    NameConstraints {
        permitted_subtrees: permitted,
        excluded_subtrees: excluded,
    }
}

/// Refuses the first node name the CA's constraints do not permit.
fn check_permitted(
    constraints: &der::NameConstraints,
    init: &CaInit,
    names: &[SanType],
    ca_cert: &Path,
) -> Result<(), TlsError> {
    for (name, san) in init.hostnames.iter().zip(names) {
        if !permits(constraints, san) {
            return Err(TlsError::NameOutsideCaConstraints {
                name: name.clone(),
                ca_cert: ca_cert.to_owned(),
                permitted: describe_permitted(constraints).join(", "),
            });
        }
    }
    Ok(())
}

/// RFC 5280 name constraints for one name: a kind of name with permitted
/// subtrees must match one of them, and no excluded subtree.
fn permits(constraints: &der::NameConstraints, name: &SanType) -> bool {
    let matching = |subtree: &Subtree| -> Option<bool> {
        match (name, subtree) {
            (SanType::DnsName(dns), Subtree::Dns(base)) => Some(dns_within(dns.as_str(), base)),
            (SanType::IpAddress(ip), Subtree::Ip(range)) => Some(ip_within(*ip, range)),
            _ => None,
        }
    };
    let permitted: Vec<bool> = constraints.permitted.iter().filter_map(matching).collect();
    let excluded = constraints
        .excluded
        .iter()
        .filter_map(matching)
        .any(|hit| hit);
    (permitted.is_empty() || permitted.contains(&true)) && !excluded
}

/// Whether `name` is `base` or below it (`base` with a leading dot: only
/// below it). Case-insensitive.
fn dns_within(name: &str, base: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let base = base.to_ascii_lowercase();
    if base.is_empty() {
        return true;
    }
    if base.starts_with('.') {
        return name.ends_with(&base);
    }
    name == base || name.ends_with(&format!(".{base}"))
}

/// Whether `ip` is in `range`, an address then its mask, of its family.
fn ip_within(ip: IpAddr, range: &[u8]) -> bool {
    let octets = match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    if range.len() != octets.len() * 2 {
        return false;
    }
    let (base, mask) = range.split_at(octets.len());
    octets
        .iter()
        .zip(base)
        .zip(mask)
        .all(|((byte, base), mask)| byte & mask == base & mask)
}

/// The permitted names for people: DNS names, addresses (with `/prefix`
/// for a range); the `.invalid` placeholder is left out.
fn describe_permitted(constraints: &der::NameConstraints) -> Vec<String> {
    constraints
        .permitted
        .iter()
        .filter_map(|subtree| match subtree {
            Subtree::Dns(name) if name == NO_DNS_NAME => None,
            Subtree::Dns(name) => Some(name.clone()),
            Subtree::Ip(range) => Some(describe_range(range)),
            Subtree::Other(tag) => Some(format!("autre nom (type {tag:#04x})")),
        })
        .collect()
}

fn describe_range(range: &[u8]) -> String {
    let (base, mask) = range.split_at(range.len() / 2);
    let prefix: u32 = mask.iter().map(|byte| byte.count_ones()).sum();
    let address = match base.len() {
        4 => <[u8; 4]>::try_from(base).map(IpAddr::from).ok(),
        _ => <[u8; 16]>::try_from(base).map(IpAddr::from).ok(),
    };
    match address {
        Some(ip) if prefix as usize == base.len() * 8 => ip.to_string(),
        Some(ip) => format!("{ip}/{prefix}"),
        None => String::from("?"),
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

fn create_ca(
    paths: &Paths,
    site_name: &str,
    constraints: NameConstraints,
    now: OffsetDateTime,
) -> Result<LocalCa, TlsError> {
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
    params.name_constraints = Some(constraints);
    let cert = params
        .self_signed(&key)
        .map_err(|source| TlsError::Generate { source })?;
    // Read back as a reused CA's will be: what the checks see is what the
    // certificate says.
    let Some(Some(written)) = der::name_constraints(cert.der()) else {
        return Err(TlsError::CaUnusable {
            path: paths.ca_cert.clone(),
            reason: String::from("contraintes de noms illisibles"),
        });
    };

    // Key first, created exclusively: an existing key is never replaced.
    create_file(&paths.ca_key, key.serialize_pem().as_bytes(), 0o600)?;
    create_file(&paths.ca_cert, cert.pem().as_bytes(), 0o644)?;
    info!(ca = %paths.ca_cert.display(), "local certificate authority created");
    Ok(LocalCa {
        pem: cert.pem(),
        der: cert.der().clone(),
        not_after: params.not_after,
        issuer: Issuer::new(params, key),
        constraints: Some(written),
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
    let constraints = der::name_constraints(&der)
        .ok_or_else(|| unusable(String::from("contraintes de noms illisibles")))?;
    let pem = pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()));
    Ok(LocalCa {
        issuer: Issuer::new(ca_params(name), key),
        not_after: fields.not_after,
        der,
        pem,
        constraints,
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
    // The first DNS name is also the common name. An address is not: some
    // clients (OpenSSL) check a common name that looks like a DNS name
    // against the CA's DNS constraints when no DNS name is in the SANs.
    if let Some(SanType::DnsName(first)) = names
        .iter()
        .find(|name| matches!(name, SanType::DnsName(_)))
    {
        name.push(DnType::CommonName, first.as_str());
    }
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

/// Moves a file, by a rename or, across file systems, by a copy created
/// with `mode` then the removal of the original.
fn move_file(from: &Path, to: &Path, mode: u32) -> Result<(), TlsError> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    create_file(to, &read_file(from)?, mode)?;
    std::fs::remove_file(from).map_err(|source| TlsError::WriteFile {
        path: from.to_owned(),
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
            dir.path().join("node"),
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
            CaInit {
                domains: vec!["*.chu.local".to_owned()],
                ..base.clone()
            },
            CaInit {
                domains: vec!["10.0.0.0".to_owned()],
                ..base.clone()
            },
            CaInit {
                networks: vec!["0.0.0.0/0".to_owned()],
                ..base.clone()
            },
            CaInit {
                networks: vec!["192.168.10.0".to_owned()],
                ..base.clone()
            },
            CaInit {
                ca_dir: base.dir.clone(),
                ..base.clone()
            },
            CaInit {
                ca_dir: base.dir.join("ac"),
                ..base.clone()
            },
        ];
        for case in cases {
            assert!(init_local_ca(&case).is_err());
            assert!(!base.dir.exists(), "nothing written for {case:?}");
            assert!(!base.ca_dir.exists(), "nothing written for {case:?}");
        }
    }

    #[test]
    fn a_lone_ca_certificate_or_key_is_never_completed_by_a_new_ca() {
        let dir = tempfile::tempdir().unwrap();
        let ca_dir = dir.path().join("ac");
        let init = CaInit::new(
            dir.path().join("node"),
            ca_dir.clone(),
            "CH Test".to_owned(),
            vec!["127.0.0.1".to_owned()],
        );
        std::fs::create_dir(&ca_dir).unwrap();
        std::fs::write(ca_dir.join(CA_KEY_FILE), "precious").unwrap();
        let err = init_local_ca(&init).unwrap_err();
        assert!(matches!(err, TlsError::CaIncomplete { .. }), "{err:?}");
        assert_eq!(
            std::fs::read_to_string(ca_dir.join(CA_KEY_FILE)).unwrap(),
            "precious"
        );
        assert!(!ca_dir.join(CA_CERT_FILE).exists());
        assert!(!init.dir.exists());
    }

    #[test]
    fn a_fingerprint_is_colon_separated_uppercase_hex() {
        let print = fingerprint(b"abc");
        assert_eq!(print.len(), 32 * 3 - 1);
        assert!(print.starts_with("BA:78:16:BF:"), "{print}");
    }

    fn names(list: &[&str]) -> Vec<SanType> {
        list.iter().map(|name| san(name).unwrap()).collect()
    }

    /// The constraints as a reused CA reads them back from its certificate.
    fn read_back(constraints: NameConstraints) -> der::NameConstraints {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = ca_params(DistinguishedName::new());
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.name_constraints = Some(constraints);
        let cert = params.self_signed(&key).unwrap();
        der::name_constraints(cert.der()).unwrap().unwrap()
    }

    #[test]
    fn a_new_ca_permits_its_names_addresses_and_domains_only() {
        let constraints = read_back(constraints_for(
            &names(&["ckisa.local", "Localhost", "127.0.0.1", "::1"]),
            &validate_domains(&[".CHU-exemple.local".to_owned()]).unwrap(),
            &[],
        ));
        assert_eq!(
            describe_permitted(&constraints),
            [
                "ckisa.local",
                "localhost",
                "127.0.0.1",
                "::1",
                "chu-exemple.local"
            ]
        );
        assert!(constraints.excluded.is_empty());
        for good in [
            "ckisa.local",
            "node.ckisa.local",
            "LOCALHOST",
            "127.0.0.1",
            "::1",
            "ckisa-2.chu-exemple.local",
            "chu-exemple.local",
        ] {
            assert!(permits(&constraints, &san(good).unwrap()), "{good}");
        }
        for bad in [
            "www.banque.fr",
            "xckisa.local",
            "local",
            "127.0.0.2",
            "192.168.1.1",
            "::2",
            "chu-exemple.local.evil.com",
        ] {
            assert!(!permits(&constraints, &san(bad).unwrap()), "{bad}");
        }
    }

    #[test]
    fn a_ca_without_dns_names_or_addresses_closes_that_kind_off() {
        let only_ip = read_back(constraints_for(&names(&["192.168.10.2"]), &[], &[]));
        assert!(permits(&only_ip, &san("192.168.10.2").unwrap()));
        assert!(!permits(&only_ip, &san("www.banque.fr").unwrap()));
        assert_eq!(describe_permitted(&only_ip), ["192.168.10.2"]);

        let only_dns = read_back(constraints_for(&names(&["ckisa.local"]), &[], &[]));
        assert!(permits(&only_dns, &san("ckisa.local").unwrap()));
        assert!(!permits(&only_dns, &san("10.0.0.1").unwrap()));
        assert!(!permits(&only_dns, &san("fe80::1").unwrap()));
    }

    #[test]
    fn networks_become_address_ranges_and_unbounded_ones_are_refused() {
        let networks = validate_networks(&[
            "192.168.10.7/24".to_owned(),
            " fd00::/64".to_owned(),
            "10.0.0.1/32".to_owned(),
        ])
        .unwrap();
        let constraints = read_back(constraints_for(&names(&["ckisa.local"]), &[], &networks));
        assert_eq!(
            describe_permitted(&constraints),
            ["ckisa.local", "192.168.10.0/24", "fd00::/64", "10.0.0.1"]
        );
        assert!(constraints.excluded.is_empty());
        for good in ["192.168.10.3", "192.168.10.254", "fd00::1", "10.0.0.1"] {
            assert!(permits(&constraints, &san(good).unwrap()), "{good}");
        }
        for bad in ["192.168.11.3", "10.0.0.2", "fd01::1", "www.banque.fr"] {
            assert!(!permits(&constraints, &san(bad).unwrap()), "{bad}");
        }
        for wide in ["0.0.0.0/0", "::/0", "10.0.0.0/0"] {
            let err = validate_networks(&[wide.to_owned()]).unwrap_err();
            assert!(matches!(err, TlsError::NetworkTooWide { .. }), "{wide}");
        }
        for bad in [
            "192.168.10.0",
            "192.168.10.0/33",
            "::/129",
            "ckisa.local/24",
            "1.2.3.4/x",
        ] {
            let err = validate_networks(&[bad.to_owned()]).unwrap_err();
            assert!(matches!(err, TlsError::InvalidNetwork { .. }), "{bad}");
            assert!(err.to_string().contains("192.168.10.0/24"), "{err}");
        }
    }

    #[test]
    fn address_ranges_match_by_mask_and_family() {
        let range = [10, 1, 0, 0, 255, 255, 0, 0];
        assert!(ip_within("10.1.200.3".parse().unwrap(), &range));
        assert!(!ip_within("10.2.0.1".parse().unwrap(), &range));
        assert!(!ip_within("::ffff:10.1.0.1".parse().unwrap(), &range));
        assert_eq!(describe_range(&range), "10.1.0.0/16");
        assert!(dns_within("a.b.lan", ".b.lan"));
        assert!(!dns_within("b.lan", ".b.lan"));
    }

    #[test]
    fn the_ca_folder_must_be_outside_the_node_folder_however_spelled() {
        let dir = tempfile::tempdir().unwrap();
        let node = dir.path().join("tls");
        std::fs::create_dir(&node).unwrap();
        let same = [
            node.clone(),
            node.join("."),
            node.join("x").join(".."),
            dir.path().join("autre").join("..").join("tls"),
        ];
        for ca in same {
            let err = check_separate(&node, &ca).unwrap_err();
            assert!(matches!(err, TlsError::CaDirIsNodeDir { .. }), "{ca:?}");
        }
        #[cfg(unix)]
        {
            let link = dir.path().join("lien");
            std::os::unix::fs::symlink(&node, &link).unwrap();
            assert!(check_separate(&node, &link).is_err());
            assert!(check_separate(&link, &node).is_err());
        }
        let err = check_separate(&node, &node.join("ac")).unwrap_err();
        assert!(
            matches!(err, TlsError::CaDirInsideNodeDir { .. }),
            "{err:?}"
        );
        assert!(check_separate(&node, &dir.path().join("tls-ac")).is_ok());
        assert!(check_separate(&node, dir.path()).is_ok());
    }

    #[test]
    fn a_sibling_folder_takes_the_name_and_the_suffix() {
        assert_eq!(
            sibling_dir(Path::new("/srv/ckisa/tls"), "-ac").unwrap(),
            PathBuf::from("/srv/ckisa/tls-ac")
        );
        assert_eq!(
            sibling_dir(Path::new("ckisa-data/"), ".ac").unwrap(),
            PathBuf::from("ckisa-data.ac")
        );
        let dot = sibling_dir(Path::new("."), "-ac").unwrap();
        assert!(dot.is_absolute() && dot.to_string_lossy().ends_with("-ac"));
        assert!(matches!(
            sibling_dir(Path::new("/"), "-ac"),
            Err(TlsError::NoSiblingDir { .. })
        ));
    }

    #[test]
    fn a_stolen_ca_key_cannot_vouch_for_a_name_outside_the_constraints() {
        use rustls::client::danger::ServerCertVerifier;
        let dir = tempfile::tempdir().unwrap();
        let init = CaInit::new(
            dir.path().join("tls"),
            dir.path().join("ac"),
            "CH Test".to_owned(),
            vec!["ckisa.local".to_owned(), "127.0.0.1".to_owned()],
        );
        init_local_ca(&init).unwrap();
        let now = OffsetDateTime::now_utc();
        // The thief has the CA key and certificate: ca.rs's own loader will do.
        let ca = load_ca(&Paths::new(&init.dir, &init.ca_dir), now).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.der.clone()).unwrap();
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            rustls::client::WebPkiServerVerifier::builder_with_provider(roots.into(), provider)
                .build()
                .unwrap();
        for (name, valid) in [
            ("ckisa.local", true),
            ("noeud.ckisa.local", true),
            ("127.0.0.1", true),
            ("www.banque.fr", false),
            ("10.0.0.1", false),
        ] {
            let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
            let mut params = CertificateParams::default();
            params.subject_alt_names = vec![san(name).unwrap()];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            params.not_before = now - BACKDATE;
            params.not_after = now + Duration::days(30);
            let forged = params.signed_by(&key, &ca.issuer).unwrap();
            let server = ServerName::try_from(name.to_owned()).unwrap();
            let result = verifier.verify_server_cert(
                forged.der(),
                &[],
                &server,
                &[],
                rustls_pki_types::UnixTime::now(),
            );
            match (valid, result) {
                (true, Ok(_)) => {}
                (false, Err(err)) => {
                    assert!(
                        format!("{err:?}").contains("NameConstraint"),
                        "{name}: {err:?}"
                    )
                }
                (_, result) => panic!("{name}: {result:?}"),
            }
        }
    }
}
