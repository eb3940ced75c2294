//! The rustls server configuration built from a PEM certificate chain and a
//! PEM private key: TLS 1.2 and 1.3 only, the ring provider, ALPN
//! `http/1.1`. Every way the two files can be wrong gets its own French
//! error, because the operator fixing them is on site during a crisis.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use time::{Duration, OffsetDateTime};
use tracing::{info, warn};

use crate::TlsError;
use crate::der;

/// Below this many days of validity left, loading a certificate logs a
/// warning.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Where a node's certificate chain and private key live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM certificate chain: the node certificate first, then intermediates.
    pub cert: PathBuf,
    /// PEM private key: PKCS#8, RSA (PKCS#1) or EC (SEC1).
    pub key: PathBuf,
}

/// Loads `files` into a server configuration. Refuses a missing file (and
/// says so when its folder is a CA folder), a file without certificate or
/// key, a key that is not the certificate's, and an expired certificate;
/// warns when fewer than [`EXPIRY_WARNING_DAYS`] remain.
pub fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = read_chain(&files.cert).map_err(|err| ca_folder_instead(err, &files.cert))?;
    let key = read_key(&files.key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certified = certified_key(files, &provider, chain, key)?;
    check_validity(&files.cert, &certified.cert[0], OffsetDateTime::now_utc())?;

    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|source| TlsError::Config { source })?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(certified)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    info!(cert = %files.cert.display(), "TLS certificate loaded");
    Ok(Arc::new(config))
}

/// A missing certificate in a folder holding a CA key: the operator gave
/// the CA folder where the node folder was expected.
fn ca_folder_instead(err: TlsError, cert: &Path) -> TlsError {
    let Some(dir) = cert.parent() else {
        return err;
    };
    let is_ca_folder =
        matches!(err, TlsError::FileMissing { .. }) && dir.join(crate::CA_KEY_FILE).is_file();
    if is_ca_folder {
        TlsError::CaDirGivenForNode {
            dir: dir.to_owned(),
        }
    } else {
        err
    }
}

/// Reads a whole file, telling a missing file apart from other failures.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => TlsError::FileMissing {
            path: path.to_owned(),
        },
        _ => TlsError::ReadFile {
            path: path.to_owned(),
            source,
        },
    })
}

/// Reads every certificate of a PEM file, in order; at least one.
pub(crate) fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read_file(path)?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::PemUnreadable {
            path: path.to_owned(),
            source,
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read_file(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|source| match source {
        pem::Error::NoItemsFound => TlsError::NoPrivateKey {
            path: path.to_owned(),
        },
        source => TlsError::PemUnreadable {
            path: path.to_owned(),
            source,
        },
    })
}

/// Loads the key and checks it is the one the first certificate names.
fn certified_key(
    files: &TlsFiles,
    provider: &CryptoProvider,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<CertifiedKey, TlsError> {
    let signing_key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|source| TlsError::KeyUnsupported {
            path: files.key.clone(),
            source,
        })?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        Ok(()) => Ok(certified),
        Err(rustls::Error::InconsistentKeys(_)) => Err(TlsError::KeyMismatch {
            cert: files.cert.clone(),
            key: files.key.clone(),
        }),
        Err(err) => Err(TlsError::CertificateUnreadable {
            path: files.cert.clone(),
            reason: err.to_string(),
        }),
    }
}

/// Refuses an expired certificate and warns about one close to expiry or not
/// yet valid (a node clock set wrong is the likely cause of the latter, and
/// refusing to serve would make things worse).
fn check_validity(
    path: &Path,
    cert: &CertificateDer<'_>,
    now: OffsetDateTime,
) -> Result<(), TlsError> {
    let fields = der::cert_fields(cert).ok_or_else(|| TlsError::CertificateUnreadable {
        path: path.to_owned(),
        reason: String::from("dates de validité illisibles"),
    })?;
    if fields.not_after <= now {
        return Err(TlsError::CertificateExpired {
            path: path.to_owned(),
            not_after: format_date(fields.not_after),
        });
    }
    let left = fields.not_after - now;
    if left < Duration::days(EXPIRY_WARNING_DAYS) {
        warn!(
            cert = %path.display(),
            not_after = %format_date(fields.not_after),
            days_left = left.whole_days(),
            "TLS certificate expires soon"
        );
    }
    if fields.not_before > now {
        warn!(
            cert = %path.display(),
            not_before = %format_date(fields.not_before),
            "TLS certificate not yet valid: check the node clock"
        );
    }
    Ok(())
}

/// `AAAA-MM-JJ HH:MM UTC`.
pub(crate) fn format_date(moment: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        moment.year(),
        u8::from(moment.month()),
        moment.day(),
        moment.hour(),
        moment.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moment(year: i32, month: u8, day: u8, hour: u8, minute: u8) -> OffsetDateTime {
        let month = time::Month::try_from(month).unwrap();
        let date = time::Date::from_calendar_date(year, month, day).unwrap();
        let time = time::Time::from_hms(hour, minute, 0).unwrap();
        time::PrimitiveDateTime::new(date, time).assume_utc()
    }

    fn cert_valid_until(not_after: OffsetDateTime) -> CertificateDer<'static> {
        let mut params = rcgen::CertificateParams::new(vec!["node.test".to_owned()]).unwrap();
        params.not_before = not_after - Duration::days(400);
        params.not_after = not_after;
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().clone()
    }

    #[test]
    fn an_expired_certificate_is_refused_with_its_date() {
        let not_after = moment(2026, 1, 2, 10, 30);
        let cert = cert_valid_until(not_after);
        let now = not_after + Duration::days(1);
        let err = check_validity(Path::new("node.pem"), &cert, now).unwrap_err();
        assert!(
            matches!(err, TlsError::CertificateExpired { .. }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "le certificat node.pem a expiré le 2026-01-02 10:30 UTC : renouvelez-le (`ckisa tls init` pour l'autorité locale)"
        );
    }

    #[test]
    fn a_certificate_close_to_expiry_or_not_yet_valid_is_accepted() {
        let not_after = moment(2026, 1, 2, 10, 30);
        let cert = cert_valid_until(not_after);
        let soon = not_after - Duration::days(3);
        assert!(check_validity(Path::new("node.pem"), &cert, soon).is_ok());
        let early = not_after - Duration::days(500);
        assert!(check_validity(Path::new("node.pem"), &cert, early).is_ok());
    }
}
