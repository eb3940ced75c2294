//! One entry of the audit trail, and the sink that takes entries.
//!
//! The record says who did what, when, from where, to which patient, and
//! whether it was allowed. Producers (the web layer for reads, the accounts
//! directory for logins and permission changes, the CLI) only see
//! [`AuditSink`]; the hash-chained trail behind it is [`crate::AuditTrail`].

use serde::{Deserialize, Serialize};

/// Whether the audited act happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditOutcome {
    /// Done (a page read, a login that succeeded, a change applied).
    Allowed,
    /// Refused by the access rules (not in the account's units, no role).
    Denied,
    /// Attempted and failed (a wrong password, a locked account).
    Failed,
}

impl AuditOutcome {
    /// Stable code stored in the trail.
    pub fn code(self) -> &'static str {
        match self {
            AuditOutcome::Allowed => "allowed",
            AuditOutcome::Denied => "denied",
            AuditOutcome::Failed => "failed",
        }
    }

    /// The outcome with this code.
    pub fn from_code(code: &str) -> Option<AuditOutcome> {
        match code {
            "allowed" => Some(AuditOutcome::Allowed),
            "denied" => Some(AuditOutcome::Denied),
            "failed" => Some(AuditOutcome::Failed),
            _ => None,
        }
    }
}

/// Action codes that are not reads of a route (reads use the access
/// matrix's action codes, e.g. `patient.chart`).
pub mod actions {
    /// A login succeeded.
    pub const LOGIN: &str = "login";
    /// A login failed (wrong password, unknown account, disabled).
    pub const LOGIN_FAILED: &str = "login.failed";
    /// A login was refused because the account or address is locked out.
    pub const LOGIN_LOCKED: &str = "login.locked";
    /// A session ended on request.
    pub const LOGOUT: &str = "logout";
    /// Every session of an account ended.
    pub const LOGOUT_EVERYWHERE: &str = "logout.everywhere";
    /// A session ended by timeout.
    pub const SESSION_EXPIRED: &str = "session.expired";
    /// A password was changed by its owner.
    pub const PASSWORD_CHANGE: &str = "password.change";
    /// A PIN was set by its owner.
    pub const PIN_SET: &str = "pin.set";
    /// A shared terminal was locked.
    pub const SESSION_LOCK: &str = "session.lock";
    /// A locked session was unlocked with the PIN (or a failed attempt).
    pub const SESSION_UNLOCK: &str = "session.unlock";
    /// An account was created.
    pub const USER_ADD: &str = "user.add";
    /// An account was disabled.
    pub const USER_DISABLE: &str = "user.disable";
    /// An account was enabled again.
    pub const USER_ENABLE: &str = "user.enable";
    /// A password was reset by an administrator.
    pub const USER_RESET: &str = "user.reset";
    /// An account's role or units changed.
    pub const USER_ROLE: &str = "user.role";
    /// An API token was created.
    pub const TOKEN_CREATE: &str = "token.create";
    /// An API token was revoked.
    pub const TOKEN_REVOKE: &str = "token.revoke";
    /// A chart was opened outside the account's units, with a reason.
    pub const BREAK_GLASS: &str = "patient.break-glass";
    /// The data folder was re-encrypted under a new key.
    pub const REKEY: &str = "node.rekey";
    /// The trail itself found, when it was opened, that its anchor and its
    /// database disagree (end of the trail cut, anchor forged or missing).
    /// Written by the trail only; `ckisa audit verify` reports every such
    /// entry as a problem.
    pub const AUDIT_ANOMALY: &str = "audit.anomaly";
}

/// One audited act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When, in ms since the Unix epoch (wall clock of the node).
    pub at_ms: i64,
    /// Who: an account login, `token:<name>` for a machine client, `cli` for
    /// the command line, `-` when unknown (a failed login with an unknown
    /// account keeps the typed login in `target`).
    pub actor: String,
    /// The actor's role code, when known.
    pub role: Option<String>,
    /// From where: the client address, or `cli`.
    pub source: String,
    /// What: an action code (see [`actions`] and the access matrix).
    pub action: String,
    /// Whether it happened.
    pub outcome: AuditOutcome,
    /// The patient concerned (`PatientKey` text), if any.
    pub patient: Option<String>,
    /// The other object concerned: a unit code, an account, a route.
    pub target: Option<String>,
    /// Free text: the break-the-glass reason, why a login failed, a search.
    pub detail: String,
}

/// Why the trail could not take or give entries.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The trail's writer has stopped (node shutting down, disk failure).
    #[error("le journal d'audit n'accepte plus d'écritures : {0}")]
    Unavailable(String),
    /// The trail's database failed.
    #[error("journal d'audit : erreur de la base : {0}")]
    Database(#[from] rusqlite::Error),
    /// The trail's database could not be opened with the key.
    #[error(transparent)]
    Key(#[from] ckisa_store_sqlite::key::KeyError),
    /// An entry could not be committed to disk (the writer keeps retrying
    /// queued entries; this one was not recorded).
    #[error("le journal d'audit n'a pas pu enregistrer l'entrée sur le disque : {0}")]
    WriteFailed(String),
    /// The database refused WAL mode.
    #[error("journal d'audit : mode de journalisation {0} au lieu de WAL")]
    JournalMode(String),
    /// The database was written by another version of ckisa.
    #[error(
        "journal d'audit : version de schéma {found} inconnue (version {supported} attendue) : \
         mettez ckisa à jour"
    )]
    SchemaVersion {
        /// The version in the file.
        found: i64,
        /// The version this build reads.
        supported: i64,
    },
    /// There is no trail in the data folder.
    #[error("aucun journal d'audit : {path} n'existe pas")]
    NotFound {
        /// The database file looked for.
        path: String,
    },
    /// A stored entry does not hold a valid record (tampered row).
    #[error("journal d'audit : l'entrée {seq} est illisible (modifiée hors de ckisa ?)")]
    Malformed {
        /// Its sequence number (0 when not even that is readable).
        seq: u64,
    },
    /// An export could not be written to its destination.
    #[error("journal d'audit : écriture de l'export impossible : {0}")]
    Export(#[source] std::io::Error),
    /// Key rotation: the anchor is missing while the trail holds entries,
    /// so there is nothing trustworthy to re-sign.
    #[error(
        "ancre du journal d'audit absente ({path}) alors que le journal compte {entries} \
         entrée(s) : elle n'est pas re-signée sous la nouvelle clé, et `ckisa audit verify` \
         continuera de le signaler"
    )]
    AnchorMissing {
        /// The anchor file looked for.
        path: String,
        /// Entries in the trail.
        entries: u64,
    },
    /// Key rotation: the anchor is valid under neither the old key nor the
    /// new one (forged, garbled, or signed with a third key), so it is not
    /// re-signed.
    #[error(
        "ancre du journal d'audit {path} non re-signée sous la nouvelle clé : {reason} ; \
         elle est laissée telle quelle et `ckisa audit verify` continuera de le signaler"
    )]
    AnchorInvalid {
        /// The anchor file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file of the trail could not be read or written.
    #[error("journal d'audit : {path} : {source}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
}

/// Where audited acts go. Implemented by [`crate::AuditTrail`], and by
/// in-memory sinks in tests.
pub trait AuditSink: Send + Sync {
    /// Queues an entry; returns at once (page reads must not wait for a
    /// disk). Entries queued before a crash may be lost; see
    /// [`AuditSink::append_durable`].
    fn append(&self, record: AuditRecord);

    /// Appends an entry and returns once it is on disk (logins, permission
    /// changes, break-the-glass).
    fn append_durable(&self, record: AuditRecord) -> Result<(), AuditError>;
}

/// A sink that keeps entries in memory, for tests of the producers.
#[derive(Debug, Default)]
pub struct MemorySink {
    records: std::sync::Mutex<Vec<AuditRecord>>,
}

impl MemorySink {
    /// Every entry appended so far.
    pub fn records(&self) -> Vec<AuditRecord> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl AuditSink for MemorySink {
    fn append(&self, record: AuditRecord) {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(record);
    }

    fn append_durable(&self, record: AuditRecord) -> Result<(), AuditError> {
        self.append(record);
        Ok(())
    }
}
