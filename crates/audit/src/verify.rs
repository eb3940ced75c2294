//! The offline check of a trail (`ckisa audit verify`).
//!
//! Walks every entry in sequence order, recomputes each hash, checks that
//! sequence numbers follow each other and that each entry names its
//! predecessor's hash, then compares the end of the chain with the signed
//! anchor. See the crate documentation for what this can and cannot detect.

use std::path::Path;

use ckisa_store_sqlite::key::DbKey;
use rusqlite::{Connection, Row};

use crate::anchor::{self, Anchor, AnchorKey, AnchorRead};
use crate::chain::{EntryFields, GENESIS, Hash, entry_hash, hex};
use crate::db::{self, ENTRY_COLUMNS};
use crate::record::{AuditError, actions};

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries read.
    pub entries: u64,
    /// Hash of the last entry (hex), if any: compare it with a printed or
    /// exported head to detect a rewritten trail.
    pub head: Option<String>,
    /// Sequence number the anchor vouches for, when the anchor is valid.
    pub anchor: Option<u64>,
    /// What is wrong; empty when the trail is intact.
    pub problems: Vec<ChainProblem>,
}

impl VerifyReport {
    /// Whether no problem was found.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One thing wrong with a trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainProblem {
    /// The entry concerned (0 for the anchor or the trail as a whole).
    pub seq: u64,
    /// What is wrong, in French, for the operator.
    pub reason: String,
}

/// Checks the trail in `data_dir`, read only. Errors are for a trail that
/// cannot be read at all (no database, wrong key); everything else is a
/// problem in the report.
pub fn verify(data_dir: &Path, key: &DbKey) -> Result<VerifyReport, AuditError> {
    let conn = db::open_reader(data_dir, key)?;
    let mut walk = ChainWalk::new();
    let mut statement = conn.prepare(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_entry ORDER BY seq"
    ))?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        walk.step(row)?;
    }

    let anchored = anchor::read(data_dir, &AnchorKey::derive(key))?;
    let mut problems = walk.problems;
    problems.extend(anchor_problem(&conn, &anchored, walk.head, false)?);
    Ok(VerifyReport {
        entries: walk.entries,
        head: (walk.entries > 0).then(|| hex(&walk.head.hash)),
        anchor: match anchored {
            AnchorRead::Valid(anchor) => Some(anchor.seq),
            AnchorRead::Missing | AnchorRead::Forged(_) => None,
        },
        problems,
    })
}

/// What the anchor says about a database whose chain ends at `head`, if
/// something is wrong. `fresh` is true for a database just created, which
/// has no anchor yet.
pub(crate) fn anchor_problem(
    conn: &Connection,
    anchored: &AnchorRead,
    head: Anchor,
    fresh: bool,
) -> Result<Option<ChainProblem>, AuditError> {
    let anchor = match anchored {
        AnchorRead::Missing if fresh => return Ok(None),
        AnchorRead::Missing => {
            return Ok(Some(ChainProblem {
                seq: 0,
                reason: "ancre absente : la fin du journal ne peut pas être vérifiée \
                         (fichier audit.anchor supprimé ?)"
                    .to_owned(),
            }));
        }
        AnchorRead::Forged(reason) => {
            return Ok(Some(ChainProblem {
                seq: 0,
                reason: reason.clone(),
            }));
        }
        AnchorRead::Valid(anchor) => anchor,
    };
    if anchor.seq > head.seq {
        return Ok(Some(ChainProblem {
            seq: head.seq + 1,
            reason: format!(
                "fin du journal tronquée : l'ancre indique {} entrées, la base {}",
                anchor.seq, head.seq
            ),
        }));
    }
    // The anchor may be behind the database (a crash between the commit and
    // the anchor's rewrite); the entry it names must still be the same.
    let stored = if anchor.seq == 0 {
        Some(GENESIS.to_vec())
    } else {
        db::hash_at(conn, anchor.seq)?
    };
    match stored {
        Some(hash) if hash == anchor.hash => Ok(None),
        // A missing entry is already reported by the chain walk.
        None => Ok(None),
        Some(_) => Ok(Some(ChainProblem {
            seq: anchor.seq,
            reason: format!(
                "l'entrée {} ne correspond pas à l'ancre : journal réécrit",
                anchor.seq
            ),
        })),
    }
}

/// The state of a walk along the chain.
struct ChainWalk {
    /// Entries seen.
    entries: u64,
    /// The last entry seen (seq 0 and the genesis hash before the first).
    head: Anchor,
    problems: Vec<ChainProblem>,
}

impl ChainWalk {
    fn new() -> ChainWalk {
        ChainWalk {
            entries: 0,
            head: Anchor {
                seq: 0,
                hash: GENESIS,
            },
            problems: Vec::new(),
        }
    }

    /// Checks one row (read in sequence order).
    fn step(&mut self, row: &Row<'_>) -> Result<(), AuditError> {
        self.entries += 1;
        let stored_seq: i64 = row.get(0)?;
        let Ok(seq) = u64::try_from(stored_seq) else {
            self.problem(0, format!("numéro de séquence invalide : {stored_seq}"));
            return Ok(());
        };
        let expected = self.head.seq + 1;
        let Ok(entry) = StoredEntry::read(row) else {
            self.problem(
                seq,
                "entrée illisible (colonne d'un type inattendu)".to_owned(),
            );
            let hash = row.get::<_, Vec<u8>>(11).ok();
            self.head = Anchor {
                seq,
                hash: hash
                    .and_then(|hash| Hash::try_from(hash.as_slice()).ok())
                    .unwrap_or(GENESIS),
            };
            return Ok(());
        };

        // The links: this entry follows the previous one.
        if seq != expected {
            self.problem(
                seq,
                format!(
                    "entrée supprimée ou insérée (séquence {expected} attendue, {seq} trouvée)"
                ),
            );
        } else if entry.prev_hash[..] != self.head.hash[..] {
            self.problem(
                seq,
                format!(
                    "chaînage rompu : l'empreinte précédente ne correspond pas à l'entrée {}",
                    self.head.seq
                ),
            );
        }

        // The content: the stored hash is the hash of the stored fields.
        let prev = Hash::try_from(entry.prev_hash.as_slice()).unwrap_or(GENESIS);
        let computed = entry_hash(&prev, &entry.fields(seq));
        if entry.hash[..] != computed[..] {
            self.problem(seq, "entrée modifiée".to_owned());
        }
        if entry.action == actions::AUDIT_ANOMALY {
            self.problem(
                seq,
                format!(
                    "anomalie constatée par ckisa à l'ouverture du journal : {}",
                    entry.detail
                ),
            );
        }

        // Go on from the stored hash, so one edit is reported once.
        self.head = Anchor {
            seq,
            hash: Hash::try_from(entry.hash.as_slice()).unwrap_or(GENESIS),
        };
        Ok(())
    }

    fn problem(&mut self, seq: u64, reason: String) {
        self.problems.push(ChainProblem { seq, reason });
    }
}

/// A row as stored, without interpretation.
struct StoredEntry {
    at_ms: i64,
    actor: String,
    role: Option<String>,
    source: String,
    action: String,
    outcome: String,
    patient: Option<String>,
    target: Option<String>,
    detail: String,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

impl StoredEntry {
    fn read(row: &Row<'_>) -> rusqlite::Result<StoredEntry> {
        Ok(StoredEntry {
            at_ms: row.get(1)?,
            actor: row.get(2)?,
            role: row.get(3)?,
            source: row.get(4)?,
            action: row.get(5)?,
            outcome: row.get(6)?,
            patient: row.get(7)?,
            target: row.get(8)?,
            detail: row.get(9)?,
            prev_hash: row.get(10)?,
            hash: row.get(11)?,
        })
    }

    fn fields(&self, seq: u64) -> EntryFields<'_> {
        EntryFields {
            seq,
            at_ms: self.at_ms,
            actor: &self.actor,
            role: self.role.as_deref(),
            source: &self.source,
            action: &self.action,
            outcome: &self.outcome,
            patient: self.patient.as_deref(),
            target: self.target.as_deref(),
            detail: &self.detail,
        }
    }
}
