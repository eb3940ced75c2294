//! HTTPS for a ckisa node (issue 3, security).
//!
//! - [`server_config`] loads a certificate chain and key from PEM files into a
//!   rustls server configuration (TLS 1.2 and 1.3, ring, ALPN `http/1.1`),
//!   refusing with a precise French error anything a browser would refuse.
//! - [`init_local_ca`] is `ckisa tls init`: the local certificate authority
//!   of a suitcase network, shared by its nodes and kept in its own folder
//!   away from them, with name constraints, and a node certificate.
//! - [`TlsListener`] serves an axum router over TLS without letting one slow
//!   or hostile client hold up the others.
//!
//! Only the ring crypto provider is compiled in: the default aws-lc-rs one
//! needs a C toolchain and a long build (`cargo tree -i aws-lc-sys` must stay
//! empty).

#![deny(missing_docs)]

mod ca;
mod config;
mod der;
mod error;
mod listener;

pub use ca::{
    CA_CERT_FILE, CA_KEY_FILE, CA_VALIDITY_DAYS, CaCreated, CaInit, CaMoved,
    MAX_NODE_VALIDITY_DAYS, NODE_CERT_FILE, NODE_KEY_FILE, fingerprint, init_local_ca,
    move_ca_out_of_node_dir, sibling_dir,
};
pub use config::{EXPIRY_WARNING_DAYS, TlsFiles, server_config};
pub use error::TlsError;
pub use listener::{HANDSHAKE_TIMEOUT, MAX_PENDING_HANDSHAKES, TlsListener};
