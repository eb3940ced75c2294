//! Searching the trail: by patient, by actor, by action, by period.
//!
//! Every search returns entries newest first (by sequence number, which is
//! the order the writer recorded them in). The indexes on `(patient, seq)`
//! and `(actor, seq)` serve the two searches an auditor runs most: who
//! opened this patient's chart, and what this account did.

use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};
use serde::Serialize;

use crate::chain::hex;
use crate::db::ENTRY_COLUMNS;
use crate::record::{AuditError, AuditOutcome, AuditRecord};

/// Which entries to find. Every field set narrows the search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Entries about this patient (`PatientKey` text), exactly.
    pub patient: Option<String>,
    /// Entries by this actor, exactly.
    pub actor: Option<String>,
    /// Entries with this action code, exactly.
    pub action: Option<String>,
    /// Entries at or after this instant (ms since the Unix epoch).
    pub from_ms: Option<i64>,
    /// Entries strictly before this instant (ms since the Unix epoch).
    pub to_ms: Option<i64>,
    /// Most entries returned, newest first; 0 means no bound (exports).
    pub limit: usize,
}

impl Default for AuditQuery {
    fn default() -> Self {
        AuditQuery {
            patient: None,
            actor: None,
            action: None,
            from_ms: None,
            to_ms: None,
            limit: 200,
        }
    }
}

/// One entry of the trail as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// What was recorded.
    pub record: AuditRecord,
    /// The entry's hash in the chain (64 hex digits).
    pub hash: String,
}

/// Calls `each` on every entry `query` finds, newest first; returns how many.
pub(crate) fn for_each(
    conn: &Connection,
    query: &AuditQuery,
    mut each: impl FnMut(AuditEntry) -> Result<(), AuditError>,
) -> Result<usize, AuditError> {
    let (sql, values) = select(query);
    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement.query(params_from_iter(values))?;
    let mut found = 0;
    while let Some(row) = rows.next()? {
        each(entry(row)?)?;
        found += 1;
    }
    Ok(found)
}

/// The SQL of `query` and its parameters.
fn select(query: &AuditQuery) -> (String, Vec<Value>) {
    let mut sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_entry WHERE 1 = 1");
    let mut values = Vec::new();
    let texts = [
        ("patient", &query.patient),
        ("actor", &query.actor),
        ("action", &query.action),
    ];
    for (column, value) in texts {
        if let Some(value) = value {
            sql.push_str(&format!(" AND {column} = ?"));
            values.push(Value::Text(value.clone()));
        }
    }
    if let Some(from_ms) = query.from_ms {
        sql.push_str(" AND at_ms >= ?");
        values.push(Value::Integer(from_ms));
    }
    if let Some(to_ms) = query.to_ms {
        sql.push_str(" AND at_ms < ?");
        values.push(Value::Integer(to_ms));
    }
    sql.push_str(" ORDER BY seq DESC");
    if query.limit > 0 {
        sql.push_str(" LIMIT ?");
        values.push(Value::Integer(
            i64::try_from(query.limit).unwrap_or(i64::MAX),
        ));
    }
    (sql, values)
}

/// The entry in `row` (columns in [`ENTRY_COLUMNS`] order).
fn entry(row: &Row<'_>) -> Result<AuditEntry, AuditError> {
    let seq = u64::try_from(row.get::<_, i64>(0)?).map_err(|_| AuditError::Malformed { seq: 0 })?;
    let outcome: String = row.get(6)?;
    let outcome = AuditOutcome::from_code(&outcome).ok_or(AuditError::Malformed { seq })?;
    let hash: Vec<u8> = row.get(11)?;
    Ok(AuditEntry {
        seq,
        record: AuditRecord {
            at_ms: row.get(1)?,
            actor: row.get(2)?,
            role: row.get(3)?,
            source: row.get(4)?,
            action: row.get(5)?,
            outcome,
            patient: row.get(7)?,
            target: row.get(8)?,
            detail: row.get(9)?,
        },
        hash: hex(&hash),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_becomes_one_bound_parameter() {
        let query = AuditQuery {
            patient: Some("ipp:CHU|1' OR 1=1 --".into()),
            actor: Some("mdupont".into()),
            action: None,
            from_ms: Some(10),
            to_ms: Some(20),
            limit: 5,
        };
        let (sql, values) = select(&query);
        assert!(!sql.contains("mdupont") && !sql.contains("OR 1=1"), "{sql}");
        assert_eq!(sql.matches('?').count(), values.len());
        assert_eq!(values.len(), 5);
        assert!(sql.ends_with("ORDER BY seq DESC LIMIT ?"));
    }

    #[test]
    fn a_zero_limit_means_no_bound() {
        let (sql, values) = select(&AuditQuery {
            limit: 0,
            ..AuditQuery::default()
        });
        assert!(!sql.contains("LIMIT"));
        assert!(values.is_empty());
        assert_eq!(AuditQuery::default().limit, 200);
    }
}
