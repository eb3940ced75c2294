//! Schema migrations: embedded SQL files applied in order, tracked by
//! `PRAGMA user_version`.
//!
//! Each migration runs in its own transaction together with the version bump,
//! so a failure leaves the database at the previous version. Migrations are
//! append-only: a shipped file is never edited, a change is a new file.
//! A database written by a newer ckisa (higher version) is refused, because
//! this code cannot know what the newer schema means.

use rusqlite::Connection;

use ckisa_store::StoreError;

/// The migrations, in order; version N is `MIGRATIONS[N - 1]`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_crisis.sql"),
    include_str!("../migrations/0003_care.sql"),
    include_str!("../migrations/0004_messages.sql"),
];

/// The schema version this code writes.
pub(crate) const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Why a database cannot be used with this version of the code.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SchemaError {
    /// The database was created or upgraded by a newer ckisa.
    #[error(
        "database schema version {found} is newer than this program knows ({known}); \
         run a ckisa version at least as recent as the one that last wrote it"
    )]
    TooNew { found: u32, known: u32 },
    /// `user_version` holds a value no ckisa ever wrote.
    #[error("database schema version {found} is not a valid ckisa schema version")]
    Invalid { found: i64 },
}

/// Reads the schema version of an open database.
pub(crate) fn current_version(conn: &Connection) -> Result<u32, StoreError> {
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(crate::error::database)?;
    u32::try_from(found).map_err(|_| StoreError::Migration {
        version: SCHEMA_VERSION,
        source: Box::new(SchemaError::Invalid { found }),
    })
}

/// Brings the schema to [`SCHEMA_VERSION`], or refuses a newer database.
pub(crate) fn migrate(conn: &Connection, path: &str) -> Result<u32, StoreError> {
    let found = current_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::Open {
            path: path.to_owned(),
            source: Box::new(SchemaError::TooNew {
                found,
                known: SCHEMA_VERSION,
            }),
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as u32 + 1;
        apply_one(conn, version, sql).map_err(|source| StoreError::Migration {
            version,
            source: Box::new(source),
        })?;
        tracing::info!(version, "schema migrated");
    }
    Ok(SCHEMA_VERSION)
}

/// Runs one migration and sets the version in a single transaction.
fn apply_one(conn: &Connection, version: u32, sql: &str) -> Result<(), rusqlite::Error> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = conn
        .execute_batch(sql)
        .and_then(|()| conn.execute_batch(&format!("PRAGMA user_version = {version}")));
    match result {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(error) => {
            if let Err(rollback) = conn.execute_batch("ROLLBACK") {
                tracing::warn!(error = %rollback, "rollback of a failed migration failed");
            }
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_a_new_database_and_is_idempotent() {
        let conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&conn, "memory").unwrap(), SCHEMA_VERSION);
        assert_eq!(migrate(&conn, "memory").unwrap(), SCHEMA_VERSION);
        assert_eq!(current_version(&conn).unwrap(), SCHEMA_VERSION);
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'events'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 1);
    }

    /// A lab result and a vital stored by version 2 (one row pointing at its
    /// event, one keeping its own payload) get their category in version 3.
    #[test]
    fn version_3_gives_stored_observations_their_category() {
        use ckisa_domain::{Coded, Fact, Observation, ObservationCategory, ObservationValue};

        let conn = Connection::open_in_memory().unwrap();
        apply_one(&conn, 1, MIGRATIONS[0]).unwrap();
        apply_one(&conn, 2, MIGRATIONS[1]).unwrap();
        let observation = |id: &str, category| Observation {
            id: id.into(),
            patient: ckisa_domain::PatientKey::ipp("H", "1"),
            encounter: None,
            category,
            code: Coded::default(),
            value: ObservationValue::None,
            reference_range: None,
            interpretation: None,
            effective: None,
            status: None,
            report: None,
            notes: vec![],
        };
        let lab = Fact::ObservationRecorded(observation("lab", ObservationCategory::Lab));
        conn.execute(
            "INSERT INTO events (seq, id, hlc, origin, actor, channel, source_origin, kind, \
             payload) VALUES (7, x'00', 0, 'n', '\"System\"', 'file', 'f', 'observation', ?1)",
            [serde_json::to_string(&lab).unwrap()],
        )
        .unwrap();
        let vital = observation("vital", ObservationCategory::Vital);
        conn.execute_batch(&format!(
            "INSERT INTO observations (id, patient, panel, code_key, hidden, sort_key, seq, \
             payload) VALUES ('lab', 'p', 'result', 'k', 0, 0, 7, NULL), \
             ('vital', 'p', 'vital', 'k', 0, 0, 8, '{}')",
            serde_json::to_string(&vital).unwrap()
        ))
        .unwrap();

        assert_eq!(migrate(&conn, "memory").unwrap(), SCHEMA_VERSION);
        let categories: Vec<(String, String)> = conn
            .prepare("SELECT id, category FROM observations ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            categories,
            vec![
                ("lab".to_owned(), "Lab".to_owned()),
                ("vital".to_owned(), "Vital".to_owned())
            ]
        );
    }

    #[test]
    fn refuses_a_newer_database() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1))
            .unwrap();
        let error = migrate(&conn, "memory").unwrap_err();
        let StoreError::Open { source, .. } = error else {
            panic!("expected an open error, got {error:?}");
        };
        assert!(source.to_string().contains("newer than this program knows"));
    }

    #[test]
    fn a_failed_migration_leaves_the_previous_version() {
        let conn = Connection::open_in_memory().unwrap();
        let error = apply_one(&conn, 1, "CREATE TABLE a (x); CREATE TABLE a (x);").unwrap_err();
        assert!(error.to_string().contains("already exists"));
        assert_eq!(current_version(&conn).unwrap(), 0);
        let count: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'a'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(count, 0);
    }
}
