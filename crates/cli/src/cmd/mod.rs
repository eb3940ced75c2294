//! The subcommand tree: one module per subcommand, each with a `Cmd` type
//! whose doc comments are its `--help`.

mod admin;
mod audit;
mod crisis;
mod demo;
mod demo_accounts;
mod export;
mod ingest;
mod plan;
mod rekey;
mod reports;
mod serve;
mod status;
mod tls;
mod tokens;
mod users;

use std::process::ExitCode;

use clap::Subcommand;

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Démarrer un nœud de démonstration : un hôpital généré d'environ 600
    /// lits, alimenté en direct par un SIH simulé (MLLP), interface web sur
    /// 127.0.0.1.
    Demo(demo::Cmd),
    /// Démarrer le nœud d'un site réel, d'après un fichier de configuration
    /// TOML.
    Serve(serve::Cmd),
    /// Charger des fichiers ou dossiers HL7 v2 et FHIR R4 dans le nœud.
    Ingest(ingest::Cmd),
    /// Afficher la fraîcheur des flux, les volumes et la quarantaine d'un
    /// dossier de données.
    Status(status::Cmd),
    /// Gérer les comptes du nœud : créer, importer (CSV, LDIF), lister,
    /// désactiver, réactiver, réinitialiser, changer de rôle.
    Users(users::Cmd),
    /// Gérer les jetons d'API des clients machines.
    Tokens(tokens::Cmd),
    /// Vérifier ou exporter le journal d'audit.
    Audit(audit::Cmd),
    /// Certificats HTTPS : autorité locale du site et certificat du nœud.
    Tls(tls::Cmd),
    /// Le plan de continuité (BIA, fiches réflexes, annuaire, stocks) :
    /// vérification.
    Plan(plan::Cmd),
    /// La crise : état, déclaration, niveau, retour à la normale, clôture.
    Crisis(crisis::Cmd),
    /// Écrire le dossier papier de secours d'une unité (PDF) : recensement,
    /// administrations, plans de soins, formulaires, étiquettes,
    /// rendez-vous, régimes.
    Reports(reports::Cmd),
    /// Exporter pour le SIH ce qui a été documenté pendant la crise (FHIR R4
    /// ou HL7 v2.5), pour la réintégration.
    Export(export::Cmd),
    /// Changer la clé du dossier de données (nœud arrêté), ou chiffrer un
    /// dossier d'une version précédente (--chiffrer).
    Rekey(rekey::Cmd),
}

impl Command {
    /// Whether the command runs a serving node (as opposed to a one-shot
    /// command whose output is its result).
    pub(crate) fn is_server(&self) -> bool {
        matches!(self, Command::Demo(_) | Command::Serve(_))
    }
}

/// Runs a subcommand and gives the process exit code.
pub(crate) fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Demo(cmd) => cmd.run(),
        Command::Serve(cmd) => cmd.run(),
        Command::Ingest(cmd) => cmd.run(),
        Command::Status(cmd) => cmd.run(),
        Command::Users(cmd) => cmd.run(),
        Command::Tokens(cmd) => cmd.run(),
        Command::Audit(cmd) => cmd.run(),
        Command::Tls(cmd) => cmd.run(),
        Command::Plan(cmd) => cmd.run(),
        Command::Crisis(cmd) => cmd.run(),
        Command::Reports(cmd) => cmd.run(),
        Command::Export(cmd) => cmd.run(),
        Command::Rekey(cmd) => cmd.run(),
    }
}
