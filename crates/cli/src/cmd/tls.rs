//! `ckisa tls init`: the local certificate authority of a site without a
//! PKI (a crisis network in a suitcase), kept in its own folder away from the
//! nodes, and the node's certificate.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ckisa_tls::{CaCreated, CaInit, MAX_NODE_VALIDITY_DAYS};

use crate::out;

/// Certificats HTTPS du nœud.
#[derive(Debug, clap::Args)]
pub(crate) struct Cmd {
    #[command(subcommand)]
    action: TlsAction,
}

#[derive(Debug, clap::Subcommand)]
enum TlsAction {
    /// Créer l'autorité de certification locale du site (si son dossier n'en
    /// a pas déjà une) et émettre le certificat du nœud.
    ///
    /// Écrit dans --dossier-ac : ca.pem et ca-key.pem, la clé privée de
    /// l'autorité, à garder hors réseau (par exemple sur une clé USB gardée
    /// par la sécurité informatique) ; elle ne sert qu'à émettre les
    /// certificats des nœuds. Écrit dans --dir, le dossier [tls] du nœud :
    /// node.pem, node-key.pem et une copie de ca.pem (à faire approuver par
    /// les navigateurs et les autres nœuds). L'autorité ne peut certifier que
    /// les noms et adresses donnés à sa création (--nom-hote, --domaine,
    /// --reseau) : donnez dès la création les domaines et réseaux de tous les
    /// nœuds du site, on ne peut pas en ajouter ensuite. Relancée avec le
    /// même --dossier-ac, elle garde l'autorité et émet un nouveau
    /// certificat de nœud (autre nœud, renouvellement).
    Init {
        /// Dossier du nœud : certificat, clé et copie de ca.pem (créé s'il
        /// n'existe pas) ; c'est le `dir` de la section [tls].
        #[arg(long)]
        dir: PathBuf,
        /// Dossier de l'autorité de certification (ca.pem, ca-key.pem), hors
        /// du dossier du nœud. Par défaut : à côté de --dir, nommé
        /// « <dir>-ac ».
        #[arg(long = "dossier-ac")]
        ca_dir: Option<PathBuf>,
        /// Nom du site, inscrit dans le certificat de l'autorité.
        #[arg(long)]
        site: String,
        /// Noms DNS et adresses IP du nœud, séparés par des virgules
        /// (« ckisa.local,192.168.10.2,localhost,127.0.0.1 »).
        #[arg(long = "nom-hote", value_delimiter = ',', required = true)]
        hostnames: Vec<String>,
        /// Suffixes DNS que l'autorité pourra aussi certifier, pour les
        /// autres nœuds du site (« .chu-exemple.local ») ; pris en compte à
        /// la création de l'autorité seulement.
        #[arg(long = "domaine", value_delimiter = ',')]
        domains: Vec<String>,
        /// Plages d'adresses IP que l'autorité pourra aussi certifier, pour
        /// les autres nœuds du site joints par adresse (« 192.168.10.0/24 »,
        /// séparées par des virgules) ; pris en compte à la création de
        /// l'autorité seulement. 0.0.0.0/0 et ::/0 sont refusés.
        #[arg(long = "reseau", value_name = "CIDR", value_delimiter = ',')]
        networks: Vec<String>,
        /// Durée de validité du certificat du nœud, en jours.
        #[arg(long, default_value_t = MAX_NODE_VALIDITY_DAYS)]
        jours: u32,
    },
}

impl Cmd {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let TlsAction::Init {
            dir,
            ca_dir,
            site,
            hostnames,
            domains,
            networks,
            jours,
        } = self.action;
        let ca_dir = match ca_dir {
            Some(ca_dir) => ca_dir,
            None => ckisa_tls::sibling_dir(&dir, "-ac")?,
        };
        let init = CaInit {
            validity_days: jours,
            domains: trimmed(domains),
            networks: trimmed(networks),
            ..CaInit::new(dir.clone(), ca_dir.clone(), site, trimmed(hostnames))
        };
        let created = ckisa_tls::init_local_ca(&init)
            .context("impossible de créer les certificats du nœud")?;
        print_ca(&created, &init);
        out::line(&format!(
            "Certificat du nœud : {} ; clé : {} ; noms : {} ; valable jusqu'au {}",
            created.node_cert.display(),
            created.node_key.display(),
            init.hostnames.join(", "),
            created.node_not_after.date()
        ));
        out::line(&format!(
            "Configuration du nœud (ckisa serve) : seul le dossier {} va sur le nœud",
            dir.display()
        ));
        out::line("  [tls]");
        // Absolute: a relative path in the configuration file is read from
        // the file's folder, not from here.
        let absolute = std::path::absolute(&dir)
            .with_context(|| format!("chemin absolu de {} introuvable", dir.display()))?;
        out::line(&format!("  dir = {:?}", absolute.display().to_string()));
        out::line(&format!(
            "Faites approuver ca.pem (copie : {}) par les navigateurs des postes (vérifiez \
             l'empreinte ci-dessus).",
            created.node_ca_cert.display()
        ));
        Ok(ExitCode::SUCCESS)
    }
}

/// The non-empty entries of a comma-separated list, trimmed.
fn trimmed(list: Vec<String>) -> Vec<String> {
    list.iter()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect()
}

/// What the operator must know about the CA: which one, what it may
/// certify, and where its private key is and how to keep it.
fn print_ca(created: &CaCreated, init: &CaInit) {
    let ca_state = if created.ca_reused {
        "reprise (existait déjà)"
    } else {
        "créée"
    };
    out::line(&format!(
        "Autorité de certification {ca_state} : {} ; valable jusqu'au {}",
        created.ca_cert.display(),
        created.ca_not_after.date()
    ));
    out::line(&format!(
        "  empreinte SHA-256 : {}",
        created.ca_fingerprint_sha256
    ));
    match &created.ca_permitted {
        Some(names) => out::line(&format!(
            "  noms qu'elle peut certifier : {} (un nom DNS couvre aussi les noms en dessous)",
            names.join(", ")
        )),
        None => out::warn(
            "cette autorité n'a pas de contraintes de noms (créée par une version précédente) : \
             sa clé volée permettrait de se faire passer pour n'importe quel site auprès des \
             postes qui l'approuvent ; créez-en une nouvelle (autre --dossier-ac) dès que possible",
        ),
    }
    if created.ca_reused && !init.domains.is_empty() {
        out::warn("--domaine ignoré : il ne sert qu'à la création d'une autorité");
    }
    if created.ca_reused && !init.networks.is_empty() {
        out::warn("--reseau ignoré : il ne sert qu'à la création d'une autorité");
    }
    out::line(&format!(
        "CLÉ PRIVÉE DE L'AUTORITÉ : {} (dossier {})",
        created.ca_key.display(),
        init.ca_dir.display()
    ));
    out::line(
        "  Qui la possède peut se faire passer pour les nœuds du site auprès de tous les postes \
         qui approuvent l'autorité.",
    );
    out::line(
        "  Gardez ce dossier hors ligne (par exemple sur une clé USB gardée par la sécurité \
         informatique), jamais sur un nœud ni dans ses sauvegardes ; il ne sert qu'à émettre les \
         certificats de nouveaux nœuds ou à les renouveler.",
    );
}
