-- Initial schema of the embedded store.
--
-- `events` is the immutable log; every other table except `dedup`, `feeds`,
-- `quarantine` and the configured rows of `units`/`beds` is a projection of it,
-- updated in the same transaction as the events insert and rebuildable by
-- replaying the log (SqliteStore::rebuild_projections).
--
-- Optional text keys use '' for "none" where they are part of a primary key,
-- because SQLite treats NULLs as distinct in unique constraints.

-- The log ---------------------------------------------------------------------

CREATE TABLE events (
    seq            INTEGER PRIMARY KEY,
    id             BLOB    NOT NULL UNIQUE,   -- UUIDv7, 16 bytes
    hlc            INTEGER NOT NULL,
    origin         TEXT    NOT NULL,          -- node id
    actor          TEXT    NOT NULL,          -- JSON of Actor
    channel        TEXT    NOT NULL,          -- mllp, file, fhir_api, user, demo
    source_origin  TEXT    NOT NULL,
    message_id     TEXT,
    sender         TEXT,
    fhir_id        TEXT,
    kind           TEXT    NOT NULL,          -- Fact::kind()
    patient        TEXT,                      -- Fact::patient(), as sent
    payload        TEXT    NOT NULL           -- JSON of Fact
);

-- Ingestion bookkeeping (not projections) -------------------------------------

CREATE TABLE dedup (
    sender       TEXT    NOT NULL,
    control_id   TEXT    NOT NULL,
    digest       TEXT    NOT NULL,
    feed         TEXT    NOT NULL,
    received_ms  INTEGER NOT NULL,
    PRIMARY KEY (sender, control_id, digest)
) WITHOUT ROWID;

CREATE TABLE feeds (
    name              TEXT PRIMARY KEY,
    last_received_ms  INTEGER,
    accepted          INTEGER NOT NULL DEFAULT 0,
    duplicates        INTEGER NOT NULL DEFAULT 0,
    rejected          INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE quarantine (
    id           INTEGER PRIMARY KEY,
    feed         TEXT    NOT NULL,
    received_ms  INTEGER NOT NULL,
    message_id   TEXT,
    reason       TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    raw          BLOB    NOT NULL
);
CREATE INDEX quarantine_newest ON quarantine (received_ms DESC, id DESC);

-- Counts per fact kind, kept with each commit so status() reads no log scan.
CREATE TABLE fact_counts (
    kind   TEXT PRIMARY KEY,
    count  INTEGER NOT NULL
) WITHOUT ROWID;

-- Units and beds: configured (define_units) or seen in feeds ------------------

CREATE TABLE units (
    code        TEXT PRIMARY KEY,
    name        TEXT    NOT NULL,
    configured  INTEGER NOT NULL DEFAULT 0,
    seen        INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE beds (
    unit        TEXT    NOT NULL,
    room        TEXT    NOT NULL,             -- '' when the bed has no room
    bed         TEXT    NOT NULL,
    configured  INTEGER NOT NULL DEFAULT 0,
    seen        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (unit, room, bed)
) WITHOUT ROWID;

-- Patients ----------------------------------------------------------------------

CREATE TABLE patients (
    key          TEXT PRIMARY KEY,
    family       TEXT,
    given        TEXT,
    birth_name   TEXT,
    birth_date   TEXT,                        -- JSON of Moment
    birth_ymd    TEXT,                        -- YYYY-MM-DD when day-precise
    sex          TEXT,                        -- F, M, O, U
    phones       TEXT,                        -- JSON array
    addresses    TEXT,                        -- JSON array of Address
    deceased     TEXT,                        -- JSON of Deceased
    merged_into  TEXT,                        -- survivor key, one hop
    sort_name    TEXT                         -- normalised family + given
) WITHOUT ROWID;
CREATE INDEX patients_merged_into ON patients (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX patients_birth ON patients (birth_ymd) WHERE birth_ymd IS NOT NULL;

CREATE TABLE patient_identifiers (
    patient  TEXT    NOT NULL,
    system   TEXT    NOT NULL,                -- '' when none
    kind     TEXT    NOT NULL,                -- '' when none
    value    TEXT    NOT NULL,
    seq      INTEGER NOT NULL,                -- first event that gave it
    pos      INTEGER NOT NULL,                -- position in that event
    PRIMARY KEY (patient, system, kind, value)
) WITHOUT ROWID;
CREATE INDEX patient_identifiers_value ON patient_identifiers (value);

-- Normalised name words (uppercase ASCII) for prefix search.
CREATE TABLE patient_names (
    term     TEXT NOT NULL,
    patient  TEXT NOT NULL,
    PRIMARY KEY (term, patient)
) WITHOUT ROWID;
CREATE INDEX patient_names_patient ON patient_names (patient);

-- Stays -------------------------------------------------------------------------

CREATE TABLE stays (
    encounter       TEXT PRIMARY KEY,
    patient         TEXT    NOT NULL,
    unit            TEXT,
    room            TEXT,
    bed             TEXT,
    facility        TEXT,
    prev_unit       TEXT,
    prev_room       TEXT,
    prev_bed        TEXT,
    prev_facility   TEXT,
    class           TEXT,
    admitted_at     TEXT,                     -- JSON of Moment
    attending       TEXT,                     -- JSON of ResourceRef
    in_house        INTEGER NOT NULL DEFAULT 0,
    on_leave        INTEGER NOT NULL DEFAULT 0,
    discharged      INTEGER NOT NULL DEFAULT 0,
    discharged_at   TEXT,                     -- JSON of Moment
    cancelled       INTEGER NOT NULL DEFAULT 0,
    last_effective  INTEGER,                  -- sort key of the last movement applied
    updated_seq     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX stays_patient ON stays (patient, in_house);
CREATE INDEX stays_census ON stays (unit, room, bed) WHERE in_house = 1;

-- Clinical records: upserted by id. `seq` is the event that recorded the current
-- version; `payload` is NULL when that event's fact holds the record as it is
-- shown (no copy), else the record's JSON (an observation without its embedded
-- document, which the log keeps once).

CREATE TABLE allergies (
    id        TEXT PRIMARY KEY,
    patient   TEXT    NOT NULL,
    status    TEXT    NOT NULL,               -- active, inactive, error
    sort_key  INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    payload   TEXT
);
CREATE INDEX allergies_patient ON allergies (patient, status);

CREATE TABLE conditions (
    id         TEXT PRIMARY KEY,
    patient    TEXT    NOT NULL,
    encounter  TEXT,
    status     TEXT    NOT NULL,
    sort_key   INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    payload    TEXT
);
CREATE INDEX conditions_patient ON conditions (patient, status);

CREATE TABLE medications (
    id         TEXT PRIMARY KEY,
    patient    TEXT    NOT NULL,
    encounter  TEXT,
    status     TEXT    NOT NULL,
    sort_key   INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    payload    TEXT
);
CREATE INDEX medications_patient ON medications (patient, status);

CREATE TABLE care_plans (
    id        TEXT PRIMARY KEY,
    patient   TEXT    NOT NULL,
    status    TEXT    NOT NULL,
    sort_key  INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    payload   TEXT
);
CREATE INDEX care_plans_patient ON care_plans (patient, status);

CREATE TABLE observations (
    id         TEXT PRIMARY KEY,
    patient    TEXT    NOT NULL,
    encounter  TEXT,
    panel      TEXT    NOT NULL,              -- vital, result
    code_key   TEXT    NOT NULL,              -- system|code, or text
    hidden     INTEGER NOT NULL,              -- entered in error
    sort_key   INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    payload    TEXT                           -- Document data stripped
);
CREATE INDEX observations_patient ON observations (patient, panel, sort_key, seq);

CREATE TABLE reports (
    id         TEXT PRIMARY KEY,
    patient    TEXT    NOT NULL,
    encounter  TEXT,
    hidden     INTEGER NOT NULL,
    sort_key   INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    payload    TEXT
);
CREATE INDEX reports_patient ON reports (patient, sort_key, seq);

CREATE TABLE procedures (
    id         TEXT PRIMARY KEY,
    patient    TEXT    NOT NULL,
    encounter  TEXT,
    status     TEXT    NOT NULL,
    sort_key   INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    payload    TEXT
);
CREATE INDEX procedures_patient ON procedures (patient, sort_key, seq);

-- Directory: practitioners, locations, organisations ----------------------------

CREATE TABLE directory (
    reference  TEXT PRIMARY KEY,
    name       TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE directory_identifiers (
    system     TEXT NOT NULL,                 -- '' when none
    value      TEXT NOT NULL,
    reference  TEXT NOT NULL,
    PRIMARY KEY (system, value, reference)
) WITHOUT ROWID;
CREATE INDEX directory_identifiers_value ON directory_identifiers (value);
CREATE INDEX directory_identifiers_reference ON directory_identifiers (reference);
