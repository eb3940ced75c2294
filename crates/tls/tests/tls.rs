//! The local CA, the server configuration and the TLS listener end to end on
//! loopback: files and permissions (the CA key never in the node folder), CA
//! reuse within its name constraints, moving a previous version's CA out of
//! a node folder, a real HTTPS round trip with a client that trusts only the
//! generated `ca.pem`, a client that does not trust it, a CA refusing to
//! vouch for a name outside its constraints, a CA permitting an address
//! range, garbage on the port, and the French errors for bad files.

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

/// An init with the node folder `<root>/tls` and the CA folder
/// `<root>/tls-ac`.
fn init_in(root: &Path) -> CaInit {
    CaInit::new(
        root.join("tls"),
        root.join("tls-ac"),
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

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn init_keeps_the_ca_key_in_its_own_folder_readable_by_the_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("tls");
    let ca = dir.path().join("tls-ac");
    let created = init_local_ca(&init_in(dir.path())).unwrap();
    assert_eq!(created.ca_cert, ca.join("ca.pem"));
    assert_eq!(created.ca_key, ca.join("ca-key.pem"));
    assert_eq!(created.node_ca_cert, node.join("ca.pem"));
    assert_eq!(created.node_cert, node.join("node.pem"));
    assert_eq!(created.node_key, node.join("node-key.pem"));
    assert_eq!(file_names(&ca), ["ca-key.pem", "ca.pem"]);
    assert_eq!(file_names(&node), ["ca.pem", "node-key.pem", "node.pem"]);
    assert_eq!(
        std::fs::read(&created.node_ca_cert).unwrap(),
        std::fs::read(&created.ca_cert).unwrap()
    );
    assert!(!created.ca_reused);
    assert_eq!(
        created.ca_permitted,
        Some(vec![
            "ckisa.local".to_owned(),
            "127.0.0.1".to_owned(),
            "localhost".to_owned()
        ])
    );
    let now = time::OffsetDateTime::now_utc();
    assert!(created.ca_not_after > now + time::Duration::days(1825));
    assert!(created.ca_not_after < now + time::Duration::days(1827));
    assert_eq!(pem_count(&created.ca_cert), 1);
    assert_eq!(pem_count(&created.node_cert), 2, "node certificate then CA");
    let ca_bytes = std::fs::read(&created.ca_cert).unwrap();
    let ca_der = CertificateDer::from_pem_slice(&ca_bytes).unwrap();
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
        assert_eq!(mode(&created.node_ca_cert), 0o644);
        assert_eq!(mode(&ca), 0o700);
        assert_eq!(mode(&node), 0o700);
    }
    server_config(&files(&created)).unwrap();
}

#[test]
fn the_node_folder_as_ca_folder_is_refused_in_french_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut init = init_in(dir.path());
    init.ca_dir = init.dir.join(".");
    let err = init_local_ca(&init).unwrap_err();
    assert!(matches!(err, TlsError::CaDirIsNodeDir { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(
            "le dossier de l'autorité de certification ne peut pas être celui du nœud"
        ),
        "{err}"
    );
    assert!(err.to_string().contains("ca-key.pem"), "{err}");
    assert!(!init.dir.exists());
}

#[test]
fn a_second_init_reuses_the_ca_and_issues_a_new_node_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let first = init_local_ca(&init_in(dir.path())).unwrap();
    let ca_key = std::fs::read(&first.ca_key).unwrap();
    let ca_cert = std::fs::read(&first.ca_cert).unwrap();
    let node = std::fs::read(&first.node_cert).unwrap();

    // The same node again, with fewer names (a renewal).
    let mut other = init_in(dir.path());
    other.hostnames = vec!["ckisa.local".to_owned(), "127.0.0.1".to_owned()];
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

    // The CA folder given as the node folder: said so, not just "missing".
    let ca_dir = created.ca_key.parent().unwrap();
    let err = server_config(&TlsFiles {
        cert: ca_dir.join("node.pem"),
        key: ca_dir.join("node-key.pem"),
    })
    .unwrap_err();
    assert!(matches!(err, TlsError::CaDirGivenForNode { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(&format!(
            "{} est le dossier de l'autorité",
            ca_dir.display()
        )) && err.to_string().contains("tls init --dir"),
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
    let ours = init_local_ca(&init_in(dir.path())).unwrap();
    let other = init_local_ca(&init_in(stranger.path())).unwrap();
    std::fs::remove_file(&ours.ca_key).unwrap();
    std::fs::copy(&other.ca_key, &ours.ca_key).unwrap();
    let before = std::fs::read(&ours.node_cert).unwrap();
    let err = init_local_ca(&init_in(dir.path())).unwrap_err();
    assert!(matches!(err, TlsError::CaUnusable { .. }), "{err:?}");
    assert!(err.to_string().contains("ne correspond pas"), "{err}");
    assert_eq!(std::fs::read(&ours.node_cert).unwrap(), before);
}

#[test]
fn a_reused_ca_issues_only_within_its_domains_and_refuses_other_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = init_in(dir.path());
    first.hostnames = vec!["ckisa-1.chu-test.local".to_owned(), "10.0.0.1".to_owned()];
    first.domains = vec![".chu-test.local".to_owned()];
    let created = init_local_ca(&first).unwrap();
    assert_eq!(
        created.ca_permitted,
        Some(vec![
            "ckisa-1.chu-test.local".to_owned(),
            "10.0.0.1".to_owned(),
            "chu-test.local".to_owned()
        ])
    );

    // A second node of the site, in its own node folder, same CA folder.
    let mut second = first.clone();
    second.dir = dir.path().join("tls-2");
    second.hostnames = vec!["ckisa-2.chu-test.local".to_owned()];
    second.domains = Vec::new();
    let issued = init_local_ca(&second).unwrap();
    assert!(issued.ca_reused);
    assert_eq!(issued.ca_permitted, created.ca_permitted);

    // A name outside the constraints: refused before anything is written.
    let mut outside = second.clone();
    outside.dir = dir.path().join("tls-3");
    outside.hostnames = vec![
        "ckisa-3.chu-test.local".to_owned(),
        "www.banque.fr".to_owned(),
    ];
    let err = init_local_ca(&outside).unwrap_err();
    assert!(
        matches!(&err, TlsError::NameOutsideCaConstraints { name, .. } if name == "www.banque.fr"),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with("« www.banque.fr » n'est pas permis par l'autorité de certification"),
        "{message}"
    );
    assert!(
        message.contains("Créez une nouvelle autorité") && message.contains("chu-test.local"),
        "{message}"
    );
    assert!(!outside.dir.exists());
    let mut address = outside.clone();
    address.hostnames = vec!["10.0.0.2".to_owned()];
    assert!(matches!(
        init_local_ca(&address),
        Err(TlsError::NameOutsideCaConstraints { .. })
    ));
}

#[test]
fn a_ca_key_left_in_the_node_folder_is_refused_then_moved_out() {
    let dir = tempfile::tempdir().unwrap();
    let init = init_in(dir.path());
    // The layout of the previous version: everything in the node folder.
    let old = tempfile::tempdir().unwrap();
    let made = init_local_ca(&init_in(old.path())).unwrap();
    std::fs::create_dir(&init.dir).unwrap();
    std::fs::copy(&made.ca_key, init.dir.join("ca-key.pem")).unwrap();
    std::fs::copy(&made.ca_cert, init.dir.join("ca.pem")).unwrap();

    let err = init_local_ca(&init).unwrap_err();
    assert!(matches!(err, TlsError::CaKeyInNodeDir { .. }), "{err:?}");
    assert!(err.to_string().contains("mkdir -p -m 700"), "{err}");
    assert!(!init.ca_dir.exists());

    let moved = ckisa_tls::move_ca_out_of_node_dir(&init.dir, &init.ca_dir)
        .unwrap()
        .unwrap();
    assert_eq!(moved.ca_key, init.ca_dir.join("ca-key.pem"));
    assert!(!init.dir.join("ca-key.pem").exists());
    assert_eq!(
        std::fs::read(&moved.ca_key).unwrap(),
        std::fs::read(&made.ca_key).unwrap()
    );
    #[cfg(unix)]
    assert_eq!(mode(&init.ca_dir), 0o700);
    let again = ckisa_tls::move_ca_out_of_node_dir(&init.dir, &init.ca_dir).unwrap();
    assert_eq!(again, None);

    // The moved CA is reused: browsers that trust it have nothing to redo.
    let created = init_local_ca(&init).unwrap();
    assert!(created.ca_reused);
    assert_eq!(created.ca_fingerprint_sha256, made.ca_fingerprint_sha256);
    assert!(!init.dir.join("ca-key.pem").exists());

    // A second CA left in the node folder never overwrites the moved one.
    std::fs::copy(&made.ca_key, init.dir.join("ca-key.pem")).unwrap();
    let err = ckisa_tls::move_ca_out_of_node_dir(&init.dir, &init.ca_dir).unwrap_err();
    assert!(matches!(err, TlsError::CaMoveConflict { .. }), "{err:?}");
}

/// Verifies the node certificate of `created` for `name` as a rustls client
/// trusting only the CA would.
fn verify_node_cert(created: &CaCreated, name: &str) -> Result<(), rustls::Error> {
    use rustls::client::danger::ServerCertVerifier;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&created.ca_cert).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(roots.into(), provider)
            .build()
            .unwrap();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&created.node_cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let server = ServerName::try_from(name.to_owned()).unwrap();
    verifier
        .verify_server_cert(
            &chain[0],
            &chain[1..],
            &server,
            &[],
            rustls::pki_types::UnixTime::now(),
        )
        .map(|_| ())
}

#[test]
fn a_ca_with_a_network_certifies_other_nodes_reached_by_address_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = init_in(dir.path());
    first.hostnames = vec!["192.168.10.2".to_owned(), "127.0.0.1".to_owned()];
    first.networks = vec!["192.168.10.0/24".to_owned()];
    let created = init_local_ca(&first).unwrap();
    assert_eq!(
        created.ca_permitted,
        Some(vec![
            "192.168.10.2".to_owned(),
            "127.0.0.1".to_owned(),
            "192.168.10.0/24".to_owned()
        ])
    );

    // A second node of the suitcase network, reached by address only.
    let mut second = first.clone();
    second.dir = dir.path().join("tls-2");
    second.hostnames = vec!["192.168.10.3".to_owned()];
    second.networks = Vec::new();
    let issued = init_local_ca(&second).unwrap();
    assert!(issued.ca_reused);
    verify_node_cert(&issued, "192.168.10.3").unwrap();
    let err = verify_node_cert(&issued, "192.168.10.4").unwrap_err();
    assert!(format!("{err:?}").contains("NotValidForName"), "{err:?}");
    server_config(&files(&issued)).unwrap();

    // An address outside the range is refused before anything is written.
    let mut outside = second.clone();
    outside.dir = dir.path().join("tls-3");
    outside.hostnames = vec!["10.0.0.1".to_owned()];
    let err = init_local_ca(&outside).unwrap_err();
    assert!(
        matches!(&err, TlsError::NameOutsideCaConstraints { name, .. } if name == "10.0.0.1"),
        "{err:?}"
    );
    assert!(err.to_string().contains("192.168.10.0/24"), "{err}");
    assert!(!outside.dir.exists());
}

#[test]
fn a_network_covering_every_address_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for wide in ["0.0.0.0/0", "::/0"] {
        let mut init = init_in(dir.path());
        init.networks = vec![wide.to_owned()];
        let err = init_local_ca(&init).unwrap_err();
        assert!(matches!(err, TlsError::NetworkTooWide { .. }), "{err:?}");
        assert!(err.to_string().contains("toutes les adresses"), "{err}");
        assert!(!init.ca_dir.exists());
    }
}
