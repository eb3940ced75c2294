//! The subcommand tree: one module per subcommand, each with a `Cmd` type
//! whose doc comments are its `--help`.

mod demo;
mod ingest;
mod serve;
mod status;

use std::process::ExitCode;

use clap::Subcommand;

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Start a demonstration node: a generated hospital of about 600 beds,
    /// fed live by a simulated HIS over MLLP, with the web UI on 127.0.0.1.
    Demo(demo::Cmd),
    /// Start a node for a real site, from a TOML configuration file.
    Serve(serve::Cmd),
    /// Load HL7 v2 and FHIR R4 files or folders into the node's store.
    Ingest(ingest::Cmd),
    /// Show feed freshness, counts and quarantine of a node's data folder.
    Status(status::Cmd),
}

/// Runs a subcommand and gives the process exit code.
pub(crate) fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Demo(cmd) => cmd.run(),
        Command::Serve(cmd) => cmd.run(),
        Command::Ingest(cmd) => cmd.run(),
        Command::Status(cmd) => cmd.run(),
    }
}
