//! The local CA, the server configuration and the TLS listener end to end on
//! loopback: files and permissions, CA reuse, a real HTTPS round trip with a
//! client that trusts only the generated `ca.pem`, a client that does not
//! trust it, garbage on the port, and the French errors for bad files.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::serve::ListenerExt;
use ckisa_tls::{CaCreated, CaInit, TlsError, TlsFiles, TlsListener, init_local_ca, server_config};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;

fn init_in(dir: &Path) -> CaInit {
    CaInit::new(
        dir.to_owned(),
        "CH de Test".to_owned(),
        vec![
            "ckisa.local".to_owned(),
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ],
    )
}

fn files(created: &CaCreated) -> TlsFiles {
    TlsFiles {
        cert: created.node_cert.clone(),
        key: created.node_key.clone(),
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn pem_count(path: &Path) -> usize {
    CertificateDer::pem_file_iter(path).unwrap().count()
}

#[test]
fn init_writes_the_four_files_with_private_keys_readable_by_the_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let created = init_local_ca(&init_in(dir.path())).unwrap();
    assert_eq!(created.ca_cert, dir.path().join("ca.pem"));
    assert_eq!(created.ca_key, dir.path().join("ca-key.pem"));
    assert_eq!(created.node_cert, dir.path().join("node.pem"));
    assert_eq!(created.node_key, dir.path().join("node-key.pem"));
    assert!(!created.ca_reused);
    assert_eq!(pem_count(&created.ca_cert), 1);
    assert_eq!(pem_count(&created.node_cert), 2, "node certificate then CA");
    let ca = std::fs::read(&created.ca_cert).unwrap();
    let ca_der = CertificateDer::from_pem_slice(&ca).unwrap();
    assert_eq!(
        created.ca_fingerprint_sha256,
        ckisa_tls::fingerprint(&ca_der)
    );
    assert_eq!(created.ca_fingerprint_sha256.len(), 95);
    assert!(created.node_not_after > time::OffsetDateTime::now_utc() + time::Duration::days(820));
    assert!(created.node_not_after < time::OffsetDateTime::now_utc() + time::Duration::days(825));
    #[cfg(unix)]
    {
        assert_eq!(mode(&created.ca_key), 0o600);
        assert_eq!(mode(&created.node_key), 0o600);
        assert_eq!(mode(&created.ca_cert), 0o644);
    }
    server_config(&files(&created)).unwrap();
}

#[test]
fn a_second_init_reuses_the_ca_and_issues_a_new_node_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let first = init_local_ca(&init_in(dir.path())).unwrap();
    let ca_key = std::fs::read(&first.ca_key).unwrap();
    let ca_cert = std::fs::read(&first.ca_cert).unwrap();
    let node = std::fs::read(&first.node_cert).unwrap();

    // A second node of the same suitcase network, with other names.
    let mut other = init_in(dir.path());
    other.hostnames = vec!["ckisa-2.local".to_owned(), "127.0.0.1".to_owned()];
    other.validity_days = 30;
    let second = init_local_ca(&other).unwrap();
    assert!(second.ca_reused);
    assert_eq!(second.ca_fingerprint_sha256, first.ca_fingerprint_sha256);
    assert_eq!(std::fs::read(&second.ca_key).unwrap(), ca_key);
    assert_eq!(std::fs::read(&second.ca_cert).unwrap(), ca_cert);
    assert_ne!(std::fs::read(&second.node_cert).unwrap(), node);
    assert!(second.node_not_after < first.node_not_after);
    #[cfg(unix)]
    assert_eq!(mode(&second.node_key), 0o600);
    server_config(&files(&second)).unwrap();
}

/// A client config trusting only the CA in `ca_pem`.
fn client_trusting(ca_pem: &Path) -> TlsConnector {
    client_with_versions(ca_pem, rustls::DEFAULT_VERSIONS)
}

fn client_with_versions(
    ca_pem: &Path,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_pem).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    TlsConnector::from(Arc::new(config))
}

/// Serves a router answering `GET /` with a body naming the peer address.
async fn serve_https(created: &CaCreated) -> SocketAddr {
    let config = server_config(&files(created)).unwrap();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listener = TlsListener::new(tcp, config);
    let addr = listener.local_addr().unwrap();
    let router = Router::new().route(
        "/",
        get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
            format!("bonjour {}", peer.ip())
        }),
    );
    tokio::spawn(async move {
        axum::serve(
            listener.tap_io(|_| {}),
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    addr
}

/// Sends a hand-written HTTP/1.1 GET and returns the whole response.
async fn get_root(connector: &TlsConnector, addr: SocketAddr) -> std::io::Result<String> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::IpAddress(addr.ip().into());
    let mut tls = connector.connect(name, tcp).await?;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    tls.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await?;
    let mut response = Vec::new();
    tls.read_to_end(&mut response).await?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

#[tokio::test]
async fn a_client_trusting_only_the_local_ca_gets_the_page_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let created = init_local_ca(&init_in(dir.path())).unwrap();
    let addr = serve_https(&created).await;
    let response = tokio::time::timeout(
        Duration::from_secs(10),
        get_root(&client_trusting(&created.ca_cert), addr),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("bonjour 127.0.0.1"), "{response}");

    // TLS 1.2 clients (older hospital workstations) are served too.
    let tls12 = client_with_versions(&created.ca_cert, &[&rustls::version::TLS12]);
    let response = get_root(&tls12, addr).await.unwrap();
    assert!(response.ends_with("bonjour 127.0.0.1"), "{response}");
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_ca_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let created = init_local_ca(&init_in(dir.path())).unwrap();
    let addr = serve_https(&created).await;

    // Another suitcase network's CA.
    let stranger = tempfile::tempdir().unwrap();
    let other = init_local_ca(&init_in(stranger.path())).unwrap();
    let err = get_root(&client_trusting(&other.ca_cert), addr)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");

    // The server goes on serving clients that trust it.
    let response = get_root(&client_trusting(&created.ca_cert), addr)
        .await
        .unwrap();
    assert!(response.ends_with("bonjour 127.0.0.1"), "{response}");
}

#[tokio::test]
async fn garbage_and_silent_clients_do_not_stop_the_listener() {
    let dir = tempfile::tempdir().unwrap();
    let created = init_local_ca(&init_in(dir.path())).unwrap();
    let addr = serve_https(&created).await;

    // A silent client holds a handshake slot without sending a byte.
    let _silent = TcpStream::connect(addr).await.unwrap();
    // A client speaking plain HTTP, then garbage, to the TLS port.
    let mut plain = TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut garbage = TcpStream::connect(addr).await.unwrap();
    garbage
        .write_all(&[0x16, 0x03, 0x01, 0xFF, 0xFF, 0x00, 0x13, 0x37])
        .await
        .unwrap();
    let mut sink = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut sink)).await;
    assert!(
        closed.is_ok(),
        "the plain-HTTP client is dropped, not left hanging"
    );

    let response = tokio::time::timeout(
        Duration::from_secs(5),
        get_root(&client_trusting(&created.ca_cert), addr),
    )
    .await
    .expect("served while a silent client is still connected")
    .unwrap();
    assert!(response.ends_with("bonjour 127.0.0.1"), "{response}");
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused_in_french() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let a = init_local_ca(&init_in(first.path())).unwrap();
    let b = init_local_ca(&init_in(second.path())).unwrap();
    let mixed = TlsFiles {
        cert: a.node_cert.clone(),
        key: b.node_key.clone(),
    };
    let err = server_config(&mixed).unwrap_err();
    assert!(matches!(err, TlsError::KeyMismatch { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "la clé privée {} ne correspond pas au certificat {} : vérifiez que les deux fichiers vont ensemble",
            b.node_key.display(),
            a.node_cert.display()
        )
    );
}

#[test]
fn files_without_certificate_or_key_or_missing_are_refused_in_french() {
    let dir = tempfile::tempdir().unwrap();
    let created = init_local_ca(&init_in(dir.path())).unwrap();

    // The key file given as the certificate: PEM, but no certificate in it.
    let swapped = TlsFiles {
        cert: created.node_key.clone(),
        key: created.node_key.clone(),
    };
    let err = server_config(&swapped).unwrap_err();
    assert!(matches!(err, TlsError::NoCertificate { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("aucun certificat dans "),
        "{err}"
    );

    let no_key = TlsFiles {
        cert: created.node_cert.clone(),
        key: created.ca_cert.clone(),
    };
    let err = server_config(&no_key).unwrap_err();
    assert!(matches!(err, TlsError::NoPrivateKey { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("aucune clé privée dans "),
        "{err}"
    );

    let missing = TlsFiles {
        cert: dir.path().join("absent.pem"),
        key: created.node_key.clone(),
    };
    let err = server_config(&missing).unwrap_err();
    assert!(matches!(err, TlsError::FileMissing { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("fichier introuvable : "),
        "{err}"
    );

    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "rien ici\n").unwrap();
    let err = server_config(&TlsFiles {
        cert: empty,
        key: created.node_key.clone(),
    })
    .unwrap_err();
    assert!(matches!(err, TlsError::NoCertificate { .. }), "{err:?}");
}

#[test]
fn a_ca_key_that_does_not_match_the_ca_certificate_stops_init() {
    let dir = tempfile::tempdir().unwrap();
    let stranger = tempfile::tempdir().unwrap();
    init_local_ca(&init_in(dir.path())).unwrap();
    let other = init_local_ca(&init_in(stranger.path())).unwrap();
    std::fs::copy(&other.ca_key, dir.path().join("ca-key.pem")).unwrap();
    let before = std::fs::read(dir.path().join("node.pem")).unwrap();
    let err = init_local_ca(&init_in(dir.path())).unwrap_err();
    assert!(matches!(err, TlsError::CaUnusable { .. }), "{err:?}");
    assert!(err.to_string().contains("ne correspond pas"), "{err}");
    assert_eq!(std::fs::read(dir.path().join("node.pem")).unwrap(), before);
}
