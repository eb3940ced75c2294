-- Issue 5, the clinical capsule: appointments and diets from the HIS feeds
-- (and typed in the capsule), and the category of each observation, so that
-- a patient's history of vitals or of lab results reads one index range.
--
-- Both tables are projections like those of 0001: rebuilt by replaying the
-- log, their rows moved to the survivor by a merge.

CREATE TABLE appointments (
    id            TEXT PRIMARY KEY,
    patient       TEXT    NOT NULL,
    start_ms      INTEGER NOT NULL,           -- sort key of the start
    minutes       INTEGER,
    clinic        TEXT,
    practitioner  TEXT,                       -- display text, reference or identifier
    status        TEXT    NOT NULL,           -- booked, cancelled, noshow, fulfilled
    seq           INTEGER NOT NULL,
    payload       TEXT    NOT NULL            -- JSON of Appointment
);
CREATE INDEX appointments_start ON appointments (start_ms, id);
CREATE INDEX appointments_patient ON appointments (patient);

-- Every diet order; `active = 0` once cancelled or ended, so the current diets
-- of a patient are its active rows.
CREATE TABLE diets (
    id         TEXT PRIMARY KEY,
    patient    TEXT    NOT NULL,
    encounter  TEXT,
    active     INTEGER NOT NULL,
    sort_key   INTEGER NOT NULL,              -- start, else recording time
    seq        INTEGER NOT NULL,
    payload    TEXT    NOT NULL               -- JSON of Diet
);
CREATE INDEX diets_patient ON diets (patient, active);

-- Vital, Lab or Other (ObservationCategory); `panel` keeps Lab and Other
-- together as results. Rows written before this version take the category of
-- the record they show (their own payload, else their event's fact).
ALTER TABLE observations ADD COLUMN category TEXT NOT NULL DEFAULT 'Other';
UPDATE observations SET category = coalesce(
    json_extract(payload, '$.category'),
    (SELECT json_extract(e.payload, '$.data.category') FROM events e
      WHERE e.seq = observations.seq),
    CASE panel WHEN 'vital' THEN 'Vital' ELSE 'Other' END
);
