//! What can fail while loading certificates or creating the local
//! certificate authority, with French messages that tell the operator what to
//! change or run.

use std::path::PathBuf;

/// A TLS setup failure. Messages are French: they reach the operator through
/// the `ckisa` command line.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate or key file does not exist.
    #[error(
        "fichier introuvable : {} (indiquez le bon chemin dans la configuration, ou lancez `ckisa tls init`)",
        path.display()
    )]
    FileMissing {
        /// The missing file.
        path: PathBuf,
    },
    /// The certificate was looked for in the CA folder (it holds
    /// `ca-key.pem`) instead of the node folder.
    #[error(
        "{} est le dossier de l'autorité de certification (il contient sa clé privée ca-key.pem, \
         à garder hors ligne), pas celui du nœud : [tls] dir doit nommer le dossier du nœud créé \
         par `ckisa tls init --dir` (node.pem, node-key.pem). Ne copiez pas le dossier de \
         l'autorité sur le nœud",
        dir.display()
    )]
    CaDirGivenForNode {
        /// The CA folder given.
        dir: PathBuf,
    },
    /// A file exists but could not be read.
    #[error("impossible de lire {} : {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not valid PEM.
    #[error("{} n'est pas un fichier PEM lisible : {source}", path.display())]
    PemUnreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rustls_pki_types::pem::Error,
    },
    /// The certificate file holds no `CERTIFICATE` block.
    #[error(
        "aucun certificat dans {} (un bloc « -----BEGIN CERTIFICATE----- » est attendu)",
        path.display()
    )]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The key file holds no private key block.
    #[error(
        "aucune clé privée dans {} (PKCS#8, RSA ou EC au format PEM attendue)",
        path.display()
    )]
    NoPrivateKey {
        /// The file.
        path: PathBuf,
    },
    /// The private key's algorithm or encoding is not supported.
    #[error("clé privée inutilisable dans {} : {source}", path.display())]
    KeyUnsupported {
        /// The file.
        path: PathBuf,
        /// Why, from rustls.
        source: rustls::Error,
    },
    /// The first certificate could not be parsed.
    #[error("certificat illisible dans {} : {reason}", path.display())]
    CertificateUnreadable {
        /// The file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The private key is not the one the certificate was issued for.
    #[error(
        "la clé privée {} ne correspond pas au certificat {} : vérifiez que les deux fichiers vont ensemble",
        key.display(),
        cert.display()
    )]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// The certificate's validity has ended.
    #[error(
        "le certificat {} a expiré le {not_after} : renouvelez-le (`ckisa tls init` pour l'autorité locale)",
        path.display()
    )]
    CertificateExpired {
        /// The file.
        path: PathBuf,
        /// The end of validity, `AAAA-MM-JJ HH:MM UTC`.
        not_after: String,
    },
    /// rustls refused the configuration.
    #[error("configuration TLS impossible : {source}")]
    Config {
        /// Why, from rustls.
        source: rustls::Error,
    },
    /// `ckisa tls init` was given nothing to put in the node certificate.
    #[error("aucun nom d'hôte ni adresse IP pour le certificat du nœud : indiquez-en au moins un")]
    NoHostnames,
    /// A host name cannot go in a certificate.
    #[error("nom d'hôte invalide pour un certificat : « {name} »")]
    InvalidHostname {
        /// The name.
        name: String,
    },
    /// The site name is empty.
    #[error("le nom du site est vide : il sert à nommer l'autorité de certification")]
    EmptySiteName,
    /// The requested validity is zero or too long for browsers.
    #[error(
        "durée de validité refusée : {days} jour(s) ; entre 1 et {max} jours (limite des navigateurs)"
    )]
    ValidityOutOfRange {
        /// What was asked.
        days: u32,
        /// The largest accepted value.
        max: u32,
    },
    /// Only one of the CA certificate and CA key exists.
    #[error(
        "autorité de certification incomplète : {} existe mais {} manque ; restaurez le fichier manquant depuis une sauvegarde (la clé de l'autorité n'est jamais écrasée)",
        present.display(),
        missing.display()
    )]
    CaIncomplete {
        /// The file found.
        present: PathBuf,
        /// The file missing.
        missing: PathBuf,
    },
    /// An existing CA cannot be reused.
    #[error("autorité de certification existante inutilisable ({}) : {reason}", path.display())]
    CaUnusable {
        /// The CA certificate.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The CA folder is the node folder.
    #[error(
        "le dossier de l'autorité de certification ne peut pas être celui du nœud ({}) : \
         sa clé privée (ca-key.pem) serait copiée avec les fichiers du nœud ; indiquez un autre \
         dossier, hors de celui du nœud et hors réseau (par exemple une clé USB gardée par la \
         sécurité informatique)",
        dir.display()
    )]
    CaDirIsNodeDir {
        /// The folder given for both.
        dir: PathBuf,
    },
    /// The CA folder lies inside the node folder.
    #[error(
        "le dossier de l'autorité de certification {} est dans le dossier du nœud {} : sa clé \
         privée (ca-key.pem) serait copiée avec les fichiers du nœud ; choisissez un dossier hors \
         de {}, hors réseau",
        ca_dir.display(),
        dir.display(),
        dir.display()
    )]
    CaDirInsideNodeDir {
        /// The CA folder.
        ca_dir: PathBuf,
        /// The node folder.
        dir: PathBuf,
    },
    /// The node folder holds a CA private key (layout of a previous version).
    #[error(
        "le dossier du nœud contient la clé privée d'une autorité de certification ({}) \
         (disposition d'une version précédente) : quiconque copie ce dossier peut se faire passer \
         pour les nœuds du site. Déplacez-la avec son certificat dans le dossier de l'autorité, \
         hors réseau : `mkdir -p -m 700 {} && mv {} {} {}/`, puis relancez la commande \
         (l'autorité est reprise, les navigateurs qui l'approuvent n'ont rien à refaire)",
        key.display(),
        ca_dir.display(),
        key.display(),
        cert.display(),
        ca_dir.display()
    )]
    CaKeyInNodeDir {
        /// The CA key found in the node folder.
        key: PathBuf,
        /// The CA certificate next to it.
        cert: PathBuf,
        /// Where it should go.
        ca_dir: PathBuf,
    },
    /// Moving a CA out of a node folder would overwrite another CA.
    #[error(
        "impossible de déplacer l'autorité de certification de {} vers {} : {} existe déjà ; \
         gardez l'autorité que les navigateurs approuvent et retirez l'autre à la main",
        from.display(),
        to.display(),
        existing.display()
    )]
    CaMoveConflict {
        /// The node folder holding the old CA.
        from: PathBuf,
        /// The CA folder.
        to: PathBuf,
        /// The file already there.
        existing: PathBuf,
    },
    /// A host name is outside the name constraints of the reused CA.
    #[error(
        "« {name} » n'est pas permis par l'autorité de certification {} (noms permis : \
         {permitted}) : elle ne peut pas certifier ce nœud. Créez une nouvelle autorité (un autre \
         --dossier-ac, vide) avec les noms de ce nœud, ou avec --domaine et --reseau couvrant \
         tous les nœuds du site, puis faites-la approuver par les navigateurs",
        ca_cert.display()
    )]
    NameOutsideCaConstraints {
        /// The refused name.
        name: String,
        /// The CA certificate.
        ca_cert: PathBuf,
        /// The names the CA permits, for the message.
        permitted: String,
    },
    /// A `--domaine` suffix cannot be a DNS name constraint.
    #[error(
        "domaine invalide pour les contraintes de noms de l'autorité : « {name} » (un suffixe DNS \
         comme .chu-exemple.local est attendu)"
    )]
    InvalidDomain {
        /// The domain as given.
        name: String,
    },
    /// A `--reseau` range is not an address with a prefix length.
    #[error(
        "réseau invalide pour les contraintes de noms de l'autorité : « {name} » (une plage \
         d'adresses comme 192.168.10.0/24 ou fd00::/64 est attendue)"
    )]
    InvalidNetwork {
        /// The range as given.
        name: String,
    },
    /// A `--reseau` range covers every address, so it would constrain
    /// nothing.
    #[error(
        "réseau refusé : « {name} » couvre toutes les adresses, l'autorité pourrait alors \
         certifier n'importe quelle adresse ; donnez le réseau du site (par exemple \
         192.168.10.0/24)"
    )]
    NetworkTooWide {
        /// The range as given.
        name: String,
    },
    /// A folder without a name has no sibling folder.
    #[error(
        "impossible de placer un dossier à côté de {} : indiquez le dossier de l'autorité \
         explicitement",
        dir.display()
    )]
    NoSiblingDir {
        /// The folder.
        dir: PathBuf,
    },
    /// Key or certificate generation failed.
    #[error("génération du certificat impossible : {source}")]
    Generate {
        /// Why, from rcgen.
        source: rcgen::Error,
    },
    /// A folder could not be created.
    #[error("impossible de créer le dossier {} : {source}", path.display())]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("impossible d'écrire {} : {source}", path.display())]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}
