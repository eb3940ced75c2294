//! The IO side of outage detection: probes of HIS endpoints named in the
//! configuration, and the hook command that relays alerts to the outside
//! world (an SMS gateway, a siren).
//!
//! Deciding what is an outage is [`ckisa_crisis::detect`]'s job, without IO;
//! this crate only produces its [`ProbeResult`]s and carries its alerts out.
//!
//! Probes are a TCP connection or a plain `http://` GET. HTTPS is refused
//! when the probe is configured: ckisa carries no TLS client for its probes,
//! so an HTTPS endpoint is probed with a TCP connection to its port instead.
//!
//! [`ProbeResult`]: ckisa_crisis::detect::ProbeResult

mod hook;
mod probe;
mod target;

pub use hook::{
    DEFAULT_HOOK_TIMEOUT, HookAlert, HookError, HookNotice, HookOutput, HookSpec, json_string,
    run_hook, run_notice,
};
pub use probe::{DEFAULT_PROBE_TIMEOUT, ProbeKind, ProbeSpec, probe};
pub use target::{HostPort, HttpUrl, TargetError};
