//! `ckisa tls init`: the local certificate authority of a site without a
//! PKI (a crisis network in a suitcase), and the node's certificate.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ckisa_tls::{CaInit, MAX_NODE_VALIDITY_DAYS};

use crate::out;

/// Certificats HTTPS du nœud.
#[derive(Debug, clap::Args)]
pub(crate) struct Cmd {
    #[command(subcommand)]
    action: TlsAction,
}

#[derive(Debug, clap::Subcommand)]
enum TlsAction {
    /// Créer l'autorité de certification locale du site (si le dossier n'en
    /// a pas déjà une) et émettre le certificat du nœud.
    ///
    /// Écrit dans --dir : ca.pem (à faire approuver par les navigateurs et
    /// les autres nœuds), ca-key.pem (à garder hors réseau et à
    /// sauvegarder), node.pem et node-key.pem (pour [tls] de la
    /// configuration). Relancée sur le même dossier, elle garde l'autorité et
    /// émet un nouveau certificat de nœud (nouveaux noms, renouvellement).
    Init {
        /// Dossier des certificats (créé s'il n'existe pas).
        #[arg(long)]
        dir: PathBuf,
        /// Nom du site, inscrit dans le certificat de l'autorité.
        #[arg(long)]
        site: String,
        /// Noms DNS et adresses IP du nœud, séparés par des virgules
        /// (« ckisa.local,192.168.10.2,localhost,127.0.0.1 »).
        #[arg(long = "nom-hote", value_delimiter = ',', required = true)]
        hostnames: Vec<String>,
        /// Durée de validité du certificat du nœud, en jours.
        #[arg(long, default_value_t = MAX_NODE_VALIDITY_DAYS)]
        jours: u32,
    },
}

impl Cmd {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let TlsAction::Init {
            dir,
            site,
            hostnames,
            jours,
        } = self.action;
        let hostnames: Vec<String> = hostnames
            .iter()
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .collect();
        let init = CaInit {
            validity_days: jours,
            ..CaInit::new(dir.clone(), site, hostnames.clone())
        };
        let created = ckisa_tls::init_local_ca(&init)
            .context("impossible de créer les certificats du nœud")?;
        let ca_state = if created.ca_reused {
            "reprise (existait déjà)"
        } else {
            "créée"
        };
        out::line(&format!(
            "Autorité de certification {ca_state} : {}",
            created.ca_cert.display()
        ));
        out::line(&format!(
            "  empreinte SHA-256 : {}",
            created.ca_fingerprint_sha256
        ));
        out::line(&format!(
            "  clé de l'autorité : {} (hors réseau, à sauvegarder)",
            created.ca_key.display()
        ));
        out::line(&format!(
            "Certificat du nœud : {} ; clé : {} ; noms : {} ; valable jusqu'au {}",
            created.node_cert.display(),
            created.node_key.display(),
            hostnames.join(", "),
            created.node_not_after.date()
        ));
        out::line("Configuration du nœud (ckisa serve) :");
        out::line("  [tls]");
        out::line(&format!("  dir = {:?}", dir.display().to_string()));
        out::line(
            "Faites approuver ca.pem par les navigateurs des postes (vérifiez l'empreinte ci-dessus).",
        );
        Ok(ExitCode::SUCCESS)
    }
}
