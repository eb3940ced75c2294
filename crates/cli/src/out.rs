//! The one place where the binary prints to the terminal: results on
//! stdout, errors on stderr with their whole cause chain.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "this module is the CLI's output"
)]

/// Prints a line of results. A closed stdout (`ckisa status | head`) ends
/// the output quietly instead of panicking.
pub(crate) fn line(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{text}");
}

/// Prints an error and its causes.
pub(crate) fn error(err: &anyhow::Error) {
    eprintln!("erreur : {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  cause : {cause}");
    }
}

/// Prints a warning for the operator.
pub(crate) fn warn(text: &str) {
    eprintln!("attention : {text}");
}
