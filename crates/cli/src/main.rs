//! `ckisa`: the crisis-continuity node.
//!
//! `main` only parses arguments, sets up logging and maps the outcome of
//! [`run`] to an exit code: 0 success, 1 some input was rejected (`ingest`),
//! 2 could not run at all. Each subcommand lives in its own module under
//! `cmd/`, with its `--help` text as doc comments.

mod cmd;
mod config;
mod keys;
mod node;
mod out;
mod paper;
mod watch;

use std::process::ExitCode;

use clap::Parser;

/// ckisa garde l'hôpital en marche quand son système d'information est à
/// l'arrêt : un nœud alimenté en continu par le SIH (HL7 v2 sur MLLP, fichiers,
/// FHIR R4) qui montre aux soignants, dans un navigateur, qui est dans quel lit
/// et la synthèse de chaque patient.
#[derive(Debug, Parser)]
#[command(name = "ckisa", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.command.is_server());
    match cmd::run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            out::error(&err);
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr; the level comes from `CKISA_LOG` (default: `info` for
/// the ckisa crates of a serving node, `warn` for one-shot commands whose
/// output is their result). Logs never carry message payloads.
fn init_logging(server: bool) {
    let default = if server {
        "warn,ckisa=info,ckisa_ingest=info,ckisa_web=info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CKISA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}
