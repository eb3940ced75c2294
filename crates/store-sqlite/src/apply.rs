//! The projections: how each fact changes the tables the pages read.
//!
//! [`Projector::apply`] runs inside the writer's transaction, right after the
//! event row is inserted, so a committed event is always reflected in the
//! views and a restart rebuilds nothing. [`rebuild`] replays the whole log
//! into emptied projection tables with the same code, which is what makes the
//! projections disposable.
//!
//! Merges are applied eagerly: the rows of the absorbed patient move to the
//! survivor, and `patients.merged_into` always points at a root (one hop), so
//! reading a merged key costs one lookup.

use ckisa_domain::{
    Allergy, Appointment, CareFact, CarePlan, Condition, Diet, Directory, EncounterKey, Fact,
    Field, Hlc, Leave, Medication, Moment, Observation, ObservationCategory, PatientKey,
    PatientUpdate, Place, Precision, Procedure, Report, StayUpdate,
};
use ckisa_store::StoreError;
use jiff::tz::TimeZone;
use std::cell::RefCell;
use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use crate::codec::{
    EVENT_COLUMNS, EventRow, appointment_status_code, category_code, record_payload, sex_code,
    status_code,
};
use crate::error::{database, encoding};
use crate::text::{fold, name_terms};

/// Tables whose rows belong to a patient and move with a merge.
const PATIENT_TABLES: &[&str] = &[
    "stays",
    "allergies",
    "conditions",
    "medications",
    "care_plans",
    "observations",
    "reports",
    "procedures",
    "appointments",
    "diets",
];

/// Tables whose rows belong to a stay and move with it (A44).
const ENCOUNTER_TABLES: &[&str] = &[
    "conditions",
    "medications",
    "observations",
    "reports",
    "procedures",
    "diets",
];

/// Projection tables emptied before a replay.
const PROJECTION_TABLES: &[&str] = &[
    "patients",
    "patient_identifiers",
    "patient_names",
    "stays",
    "allergies",
    "conditions",
    "medications",
    "care_plans",
    "observations",
    "reports",
    "procedures",
    "appointments",
    "diets",
    "directory",
    "directory_identifiers",
    "fact_counts",
];

/// Observation statuses that mean "entered in error" (FHIR) or "wrong,
/// withdrawn" (HL7 v2 OBX-11 `W`): kept in the log, hidden from the chart.
const HIDDEN_RESULT_STATUSES: &[&str] = &["entered-in-error", "W"];

/// Whether [`Projector::apply`] builds projection rows from `fact`, which
/// must then never be rewritten in the log (`rewrite::rewrite`): the rows
/// would go on showing the old fact, and some read their record from the
/// event itself. Kept in step with `apply` and `Projector::record`: a fact
/// they ignore is not projected, a new kind of fact included.
pub(crate) fn is_projected(fact: &Fact) -> bool {
    match fact {
        Fact::Care(CareFact::Entered(inner)) => is_projected(inner),
        Fact::PatientUpdated(_)
        | Fact::PatientsMerged { .. }
        | Fact::EncounterMoved { .. }
        | Fact::StayUpdated(_)
        | Fact::Transferred { .. }
        | Fact::Discharged { .. }
        | Fact::AdmissionCancelled { .. }
        | Fact::TransferCancelled { .. }
        | Fact::DischargeCancelled { .. }
        | Fact::LeaveOfAbsence { .. }
        | Fact::DirectoryEntry(_)
        | Fact::AllergyRecorded(_)
        | Fact::ConditionRecorded(_)
        | Fact::MedicationRecorded(_)
        | Fact::CarePlanRecorded(_)
        | Fact::ObservationRecorded(_)
        | Fact::ReportRecorded(_)
        | Fact::ProcedureRecorded(_)
        | Fact::AppointmentRecorded(_)
        | Fact::DietRecorded(_) => true,
        _ => false,
    }
}

/// Applies facts to the projection tables of one connection.
pub(crate) struct Projector<'c> {
    conn: &'c Connection,
    zone: &'c TimeZone,
    /// Patient key -> root key, for the facts of one job. Cleared by merges
    /// and moves; a projector never outlives its job's savepoint.
    roots: RefCell<HashMap<String, String>>,
}

type Result<T> = std::result::Result<T, StoreError>;

impl<'c> Projector<'c> {
    /// A projector writing through `conn`; floating times are ordered as
    /// local times of `zone`.
    pub(crate) fn new(conn: &'c Connection, zone: &'c TimeZone) -> Projector<'c> {
        Projector {
            conn,
            zone,
            roots: RefCell::new(HashMap::new()),
        }
    }

    /// Applies one fact recorded as event `seq`. `record` is what
    /// `codec::record_payload` gives for the fact: the JSON a projection row
    /// keeps when it differs from the log. A fact this starts projecting
    /// goes into [`is_projected`] too.
    pub(crate) fn apply(
        &self,
        seq: i64,
        hlc: Hlc,
        fact: &Fact,
        record: Option<&str>,
    ) -> Result<()> {
        let at = Recorded { seq, hlc };
        match fact {
            Fact::PatientUpdated(update) => self.patient_updated(at, update),
            Fact::PatientsMerged { survivor, merged } => self.merge(at, survivor, merged),
            Fact::EncounterMoved {
                encounter,
                from,
                to,
            } => self.encounter_moved(encounter, from, to),
            Fact::StayUpdated(update) => self.stay_updated(at, update),
            Fact::Transferred {
                encounter,
                patient,
                to,
                at: when,
                ..
            } => self.transferred(at, encounter, patient, to, when.as_ref()),
            Fact::Discharged {
                encounter,
                patient,
                at: when,
            } => self.change_stay(at, encounter, patient, |stay| stay.discharge(*when)),
            Fact::AdmissionCancelled { encounter, patient } => {
                self.change_stay(at, encounter, patient, |stay| stay.cancel_admission())
            }
            Fact::TransferCancelled {
                encounter,
                patient,
                back_to,
            } => self.change_stay(at, encounter, patient, |stay| stay.cancel_transfer(back_to)),
            Fact::DischargeCancelled {
                encounter,
                patient,
                place,
            } => self.change_stay(at, encounter, patient, |stay| stay.cancel_discharge(place)),
            Fact::LeaveOfAbsence {
                encounter,
                patient,
                leave,
            } => {
                let on_leave = *leave == Leave::Started;
                self.change_stay(at, encounter, patient, |stay| stay.on_leave = on_leave)
            }
            Fact::DirectoryEntry(entry) => self.directory(entry),
            // Typed in the capsule: projected exactly as the same fact from a
            // feed. The other care facts live in the log only, folded by the
            // care book.
            Fact::Care(CareFact::Entered(inner)) => self.apply(seq, hlc, inner, record),
            Fact::Care(_) | Fact::Crisis(_) | Fact::Message(_) => Ok(()),
            record_fact => self.record(at, record_fact, record),
        }
    }

    /// Ordering key of a moment, floating times read in the site zone; the
    /// recording time when the source gave none.
    fn sort_key(&self, moment: Option<&Moment>, hlc: Hlc) -> i64 {
        match moment {
            Some(m) => m.assume_zone(self.zone).sort_key(),
            None => i64::try_from(hlc.unix_ms()).unwrap_or(i64::MAX),
        }
    }

    /// The root key of a patient, creating an empty patient row for a key
    /// never seen, so that records arriving before demographics are shown.
    fn resolve(&self, key: &PatientKey) -> Result<String> {
        if let Some(root) = self.roots.borrow().get(key.as_str()) {
            return Ok(root.clone());
        }
        let root = self.resolve_stored(key)?;
        self.roots.borrow_mut().insert(key.0.clone(), root.clone());
        Ok(root)
    }

    fn resolve_stored(&self, key: &PatientKey) -> Result<String> {
        let mut select = self
            .conn
            .prepare_cached("SELECT merged_into FROM patients WHERE key = ?1")
            .map_err(database)?;
        let found: Option<Option<String>> = select
            .query_row([key.as_str()], |row| row.get(0))
            .optional()
            .map_err(database)?;
        match found {
            Some(Some(survivor)) => Ok(survivor),
            Some(None) => Ok(key.0.clone()),
            None => {
                self.execute("INSERT INTO patients (key) VALUES (?1)", [key.as_str()])?;
                Ok(key.0.clone())
            }
        }
    }

    fn execute<P: rusqlite::Params>(&self, sql: &str, params: P) -> Result<usize> {
        let mut statement = self.conn.prepare_cached(sql).map_err(database)?;
        statement.execute(params).map_err(database)
    }

    // Patients ------------------------------------------------------------------

    fn patient_updated(&self, at: Recorded, update: &PatientUpdate) -> Result<()> {
        let key = self.resolve(&update.patient)?;
        let old_names = self.names(&key)?;
        let family = text_field(&update.family);
        let given = text_field(&update.given);
        let birth_name = text_field(&update.birth_name);
        let birth_date = json_field(&update.birth_date)?;
        let birth_ymd = update.birth_date.value().and_then(calendar_day);
        let sex = map_field(&update.sex, |s| sex_code(*s).to_owned());
        let phones = json_field(&update.phones)?;
        let addresses = json_field(&update.addresses)?;
        let deceased = json_field(&update.deceased)?;
        self.execute(
            "UPDATE patients SET \
               family     = CASE WHEN ?2  THEN family     ELSE ?3  END, \
               given      = CASE WHEN ?4  THEN given      ELSE ?5  END, \
               birth_name = CASE WHEN ?6  THEN birth_name ELSE ?7  END, \
               birth_date = CASE WHEN ?8  THEN birth_date ELSE ?9  END, \
               birth_ymd  = CASE WHEN ?8  THEN birth_ymd  ELSE ?10 END, \
               sex        = CASE WHEN ?11 THEN sex        ELSE ?12 END, \
               phones     = CASE WHEN ?13 THEN phones     ELSE ?14 END, \
               addresses  = CASE WHEN ?15 THEN addresses  ELSE ?16 END, \
               deceased   = CASE WHEN ?17 THEN deceased   ELSE ?18 END \
             WHERE key = ?1",
            params![
                key,
                family.0,
                family.1,
                given.0,
                given.1,
                birth_name.0,
                birth_name.1,
                birth_date.0,
                birth_date.1,
                birth_ymd,
                sex.0,
                sex.1,
                phones.0,
                phones.1,
                addresses.0,
                addresses.1,
                deceased.0,
                deceased.1
            ],
        )?;
        let new_names = (
            if family.0 {
                old_names.0.clone()
            } else {
                family.1
            },
            if given.0 {
                old_names.1.clone()
            } else {
                given.1
            },
            if birth_name.0 {
                old_names.2.clone()
            } else {
                birth_name.1
            },
        );
        if new_names != old_names {
            self.reindex_names(&key, new_names)?;
        }
        for (pos, identifier) in update.identifiers.iter().enumerate() {
            if identifier.value.trim().is_empty() {
                continue;
            }
            self.execute(
                "INSERT INTO patient_identifiers (patient, system, kind, value, seq, pos) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                params![
                    key,
                    identifier.system.as_deref().unwrap_or(""),
                    identifier.kind.as_deref().unwrap_or(""),
                    identifier.value,
                    at.seq,
                    pos as i64
                ],
            )?;
        }
        Ok(())
    }

    /// Family, given and birth names of a patient.
    fn names(&self, key: &str) -> Result<Names> {
        let mut select = self
            .conn
            .prepare_cached("SELECT family, given, birth_name FROM patients WHERE key = ?1")
            .map_err(database)?;
        let found = select
            .query_row([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
            .map_err(database)?;
        Ok(found.unwrap_or_default())
    }

    /// Rewrites the search terms and sort name of a patient from its names.
    fn reindex_names(&self, key: &str, (family, given, birth_name): Names) -> Result<()> {
        let sort_name = format!(
            "{} {}",
            fold(family.as_deref().unwrap_or("")),
            fold(given.as_deref().unwrap_or(""))
        );
        self.execute(
            "UPDATE patients SET sort_name = ?2 WHERE key = ?1",
            params![key, sort_name],
        )?;
        self.execute("DELETE FROM patient_names WHERE patient = ?1", [key])?;
        let words = [family, given, birth_name]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        for term in name_terms(&words.join(" ")) {
            self.execute(
                "INSERT INTO patient_names (term, patient) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![term, key],
            )?;
        }
        Ok(())
    }

    /// A40: everything of `merged` now belongs to `survivor`.
    fn merge(&self, at: Recorded, survivor: &PatientKey, merged: &PatientKey) -> Result<()> {
        let survivor_root = self.resolve(survivor)?;
        let merged_root = self.resolve(merged)?;
        if survivor_root == merged_root {
            if survivor != merged {
                // Either already merged, or the reverse of an applied merge,
                // which would make a cycle: the event stays in the log only.
                tracing::warn!(seq = at.seq, "merge ignored: it would create a merge cycle");
            }
            return Ok(());
        }
        self.roots.borrow_mut().clear();
        let keys = params![survivor_root, merged_root];
        self.execute(
            "UPDATE patients SET merged_into = ?1 WHERE key = ?2 OR merged_into = ?2",
            keys,
        )?;
        // The absorbed identifiers rank after the survivor's own.
        self.execute(
            "INSERT INTO patient_identifiers (patient, system, kind, value, seq, pos) \
             SELECT ?1, system, kind, value, ?3, pos FROM patient_identifiers WHERE patient = ?2 \
             ON CONFLICT DO NOTHING",
            params![survivor_root, merged_root, at.seq],
        )?;
        self.execute(
            "DELETE FROM patient_identifiers WHERE patient = ?1",
            [&merged_root],
        )?;
        self.execute(
            "DELETE FROM patient_names WHERE patient = ?1",
            [&merged_root],
        )?;
        for table in PATIENT_TABLES {
            self.execute(
                &format!("UPDATE {table} SET patient = ?1 WHERE patient = ?2"),
                keys,
            )?;
        }
        Ok(())
    }

    /// A44: a stay and its records move to another patient.
    fn encounter_moved(
        &self,
        encounter: &EncounterKey,
        from: &PatientKey,
        to: &PatientKey,
    ) -> Result<()> {
        let from = self.resolve(from)?;
        let to = self.resolve(to)?;
        self.execute(
            "UPDATE stays SET patient = ?1 WHERE encounter = ?2",
            params![to, encounter.as_str()],
        )?;
        for table in ENCOUNTER_TABLES {
            self.execute(
                &format!("UPDATE {table} SET patient = ?1 WHERE patient = ?2 AND encounter = ?3"),
                params![to, from, encounter.as_str()],
            )?;
        }
        Ok(())
    }

    // Stays ---------------------------------------------------------------------

    fn stay_updated(&self, at: Recorded, update: &StayUpdate) -> Result<()> {
        let patient = self.resolve(&update.patient)?;
        let original = self.load_stay(&update.encounter, &patient)?;
        let mut stay = original.clone();
        stay.patient = patient;
        let effective = update
            .effective_at
            .as_ref()
            .map(|m| self.sort_key(Some(m), at.hlc));
        let admitted_at = update.admitted_at.as_ref().map(serde_json::to_string);
        let admitted_at = admitted_at.transpose().map_err(encoding)?;
        let attending = update.attending.as_ref().map(serde_json::to_string);
        let attending = attending.transpose().map_err(encoding)?;
        if stay.is_stale(effective) {
            // An older state arriving late: it fills gaps, it does not move.
            stay.class = stay.class.or_else(|| update.class.clone());
            stay.admitted_at = stay.admitted_at.or(admitted_at);
            stay.attending = stay.attending.or(attending);
        } else {
            match &update.place {
                Field::Value(place) => stay.move_to(Some(place.clone())),
                Field::Null => stay.move_to(None),
                Field::Absent => {}
            }
            stay.in_house = update.in_house;
            if update.in_house {
                stay.discharged = false;
                stay.discharged_at = None;
            }
            stay.cancelled = false;
            stay.class = update.class.clone().or(stay.class);
            stay.admitted_at = admitted_at.or(stay.admitted_at);
            stay.attending = attending.or(stay.attending);
            stay.last_effective = effective.or(stay.last_effective);
        }
        self.save_stay(&stay, &original, at)
    }

    fn transferred(
        &self,
        at: Recorded,
        encounter: &EncounterKey,
        patient: &PatientKey,
        to: &Place,
        when: Option<&Moment>,
    ) -> Result<()> {
        let patient = self.resolve(patient)?;
        let original = self.load_stay(encounter, &patient)?;
        let mut stay = original.clone();
        let effective = when.map(|m| self.sort_key(Some(m), at.hlc));
        if stay.is_stale(effective) {
            tracing::debug!(seq = at.seq, "late transfer kept in the log, not applied");
            return Ok(());
        }
        stay.move_to(Some(to.clone()));
        if !stay.discharged && !stay.cancelled {
            stay.in_house = true;
        }
        stay.last_effective = effective.or(stay.last_effective);
        self.save_stay(&stay, &original, at)
    }

    /// Loads a stay (or a new empty one), lets `change` edit it, saves it.
    fn change_stay(
        &self,
        at: Recorded,
        encounter: &EncounterKey,
        patient: &PatientKey,
        change: impl FnOnce(&mut StayRow),
    ) -> Result<()> {
        let patient = self.resolve(patient)?;
        let original = self.load_stay(encounter, &patient)?;
        let mut stay = original.clone();
        change(&mut stay);
        if let Some(when) = stay.pending_discharge.take() {
            let effective = self.sort_key(Some(&when), at.hlc);
            stay.discharged_at = Some(serde_json::to_string(&when).map_err(encoding)?);
            stay.last_effective = Some(stay.last_effective.map_or(effective, |l| l.max(effective)));
        }
        self.save_stay(&stay, &original, at)
    }

    fn load_stay(&self, encounter: &EncounterKey, patient: &str) -> Result<StayRow> {
        let mut select = self
            .conn
            .prepare_cached(
                "SELECT patient, unit, room, bed, facility, prev_unit, prev_room, prev_bed, \
                 prev_facility, class, admitted_at, attending, in_house, on_leave, discharged, \
                 discharged_at, cancelled, last_effective FROM stays WHERE encounter = ?1",
            )
            .map_err(database)?;
        let found = select
            .query_row([encounter.as_str()], |r| {
                Ok(StayRow {
                    encounter: encounter.0.clone(),
                    patient: r.get(0)?,
                    place: place_from(r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
                    prev: place_from(r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?),
                    class: r.get(9)?,
                    admitted_at: r.get(10)?,
                    attending: r.get(11)?,
                    in_house: r.get(12)?,
                    on_leave: r.get(13)?,
                    discharged: r.get(14)?,
                    discharged_at: r.get(15)?,
                    cancelled: r.get(16)?,
                    last_effective: r.get(17)?,
                    pending_discharge: None,
                })
            })
            .optional()
            .map_err(database)?;
        Ok(found.unwrap_or_else(|| StayRow::empty(encounter, patient)))
    }

    /// Writes a stay that differs from what was loaded; an unchanged stay
    /// (a repeated A08) costs no write.
    fn save_stay(&self, stay: &StayRow, original: &StayRow, at: Recorded) -> Result<()> {
        if stay == original {
            return Ok(());
        }
        let place = stay.place.as_ref();
        let prev = stay.prev.as_ref();
        self.execute(
            "INSERT OR REPLACE INTO stays (encounter, patient, unit, room, bed, facility, \
             prev_unit, prev_room, prev_bed, prev_facility, class, admitted_at, attending, \
             in_house, on_leave, discharged, discharged_at, cancelled, last_effective, \
             updated_seq) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
             ?17, ?18, ?19, ?20)",
            params![
                stay.encounter,
                stay.patient,
                place.map(|p| &p.unit),
                place.and_then(|p| p.room.as_ref()),
                place.and_then(|p| p.bed.as_ref()),
                place.and_then(|p| p.facility.as_ref()),
                prev.map(|p| &p.unit),
                prev.and_then(|p| p.room.as_ref()),
                prev.and_then(|p| p.bed.as_ref()),
                prev.and_then(|p| p.facility.as_ref()),
                stay.class,
                stay.admitted_at,
                stay.attending,
                stay.in_house,
                stay.on_leave,
                stay.discharged,
                stay.discharged_at,
                stay.cancelled,
                stay.last_effective,
                at.seq
            ],
        )?;
        match place {
            Some(place) if stay.place != original.place => self.see_place(place),
            _ => Ok(()),
        }
    }

    /// Units and beds seen in feeds appear on the pages even when the
    /// configuration does not list them.
    fn see_place(&self, place: &Place) -> Result<()> {
        if place.unit.is_empty() {
            return Ok(());
        }
        self.execute(
            "INSERT INTO units (code, name, seen) VALUES (?1, ?1, 1) \
             ON CONFLICT (code) DO UPDATE SET seen = 1 WHERE seen = 0",
            [&place.unit],
        )?;
        if let Some(bed) = &place.bed {
            self.execute(
                "INSERT INTO beds (unit, room, bed, seen) VALUES (?1, ?2, ?3, 1) \
                 ON CONFLICT DO UPDATE SET seen = 1 WHERE seen = 0",
                params![place.unit, place.room.as_deref().unwrap_or(""), bed],
            )?;
        }
        Ok(())
    }

    // Clinical records ----------------------------------------------------------

    fn record(&self, at: Recorded, fact: &Fact, payload: Option<&str>) -> Result<()> {
        match fact {
            Fact::AllergyRecorded(a) => self.allergy(at, a, payload),
            Fact::ConditionRecorded(c) => self.condition(at, c, payload),
            Fact::MedicationRecorded(m) => self.medication(at, m, payload),
            Fact::CarePlanRecorded(c) => self.care_plan(at, c, payload),
            Fact::ObservationRecorded(o) => self.observation(at, o, payload),
            Fact::ReportRecorded(r) => self.report(at, r, payload),
            Fact::ProcedureRecorded(p) => self.procedure(at, p, payload),
            Fact::AppointmentRecorded(a) => self.appointment(at, a),
            Fact::DietRecorded(d) => self.diet(at, d),
            _ => Ok(()),
        }
    }

    fn allergy(&self, at: Recorded, allergy: &Allergy, payload: Option<&str>) -> Result<()> {
        let patient = self.resolve(&allergy.patient)?;
        let sort_key = self.sort_key(allergy.onset.as_ref(), at.hlc);
        let status = status_code(&allergy.status);
        self.upsert_patient_record(
            "allergies",
            &allergy.id,
            &patient,
            status,
            sort_key,
            at,
            payload,
        )
    }

    /// Upserts a record kept by patient only (allergies, care plans); `table`
    /// is one of those tables, never input.
    #[expect(
        clippy::too_many_arguments,
        reason = "one column each, named at every call"
    )]
    fn upsert_patient_record(
        &self,
        table: &str,
        id: &str,
        patient: &str,
        status: &str,
        sort_key: i64,
        at: Recorded,
        payload: Option<&str>,
    ) -> Result<()> {
        self.execute(
            &format!(
                "INSERT INTO {table} (id, patient, status, sort_key, seq, payload) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET \
                 patient = excluded.patient, status = excluded.status, \
                 sort_key = excluded.sort_key, seq = excluded.seq, payload = excluded.payload"
            ),
            params![id, patient, status, sort_key, at.seq, payload],
        )?;
        Ok(())
    }

    fn condition(&self, at: Recorded, condition: &Condition, payload: Option<&str>) -> Result<()> {
        let patient = self.resolve(&condition.patient)?;
        let sort_key = self.sort_key(condition.onset.as_ref(), at.hlc);
        self.upsert_encounter_record(
            "conditions",
            EncounterRecord {
                id: &condition.id,
                patient: &patient,
                encounter: condition.encounter.as_ref(),
                status: status_code(&condition.status),
                sort_key,
                payload,
            },
            at,
        )
    }

    fn medication(
        &self,
        at: Recorded,
        medication: &Medication,
        payload: Option<&str>,
    ) -> Result<()> {
        let patient = self.resolve(&medication.patient)?;
        let sort_key = self.sort_key(medication.start.as_ref(), at.hlc);
        self.upsert_encounter_record(
            "medications",
            EncounterRecord {
                id: &medication.id,
                patient: &patient,
                encounter: medication.encounter.as_ref(),
                status: status_code(&medication.status),
                sort_key,
                payload,
            },
            at,
        )
    }

    fn procedure(&self, at: Recorded, procedure: &Procedure, payload: Option<&str>) -> Result<()> {
        let patient = self.resolve(&procedure.patient)?;
        let sort_key = self.sort_key(procedure.performed.as_ref(), at.hlc);
        self.upsert_encounter_record(
            "procedures",
            EncounterRecord {
                id: &procedure.id,
                patient: &patient,
                encounter: procedure.encounter.as_ref(),
                status: status_code(&procedure.status),
                sort_key,
                payload,
            },
            at,
        )
    }

    fn upsert_encounter_record(
        &self,
        table: &str,
        record: EncounterRecord<'_>,
        at: Recorded,
    ) -> Result<()> {
        self.execute(
            &format!(
                "INSERT INTO {table} (id, patient, encounter, status, sort_key, seq, payload) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET \
                 patient = excluded.patient, encounter = excluded.encounter, \
                 status = excluded.status, sort_key = excluded.sort_key, seq = excluded.seq, \
                 payload = excluded.payload"
            ),
            params![
                record.id,
                record.patient,
                record.encounter.map(EncounterKey::as_str),
                record.status,
                record.sort_key,
                at.seq,
                record.payload
            ],
        )?;
        Ok(())
    }

    fn care_plan(&self, at: Recorded, plan: &CarePlan, payload: Option<&str>) -> Result<()> {
        let patient = self.resolve(&plan.patient)?;
        let sort_key = self.sort_key(plan.start.as_ref(), at.hlc);
        let status = status_code(&plan.status);
        self.upsert_patient_record(
            "care_plans",
            &plan.id,
            &patient,
            status,
            sort_key,
            at,
            payload,
        )
    }

    fn observation(
        &self,
        at: Recorded,
        observation: &Observation,
        payload: Option<&str>,
    ) -> Result<()> {
        let patient = self.resolve(&observation.patient)?;
        let sort_key = self.sort_key(observation.effective.as_ref(), at.hlc);
        let panel = match observation.category {
            ObservationCategory::Vital => "vital",
            ObservationCategory::Lab | ObservationCategory::Other => "result",
        };
        let code = &observation.code;
        let code_key = match &code.code {
            Some(c) => format!("{}|{c}", code.system.as_deref().unwrap_or("")),
            None => format!("text:{}", code.text),
        };
        self.execute(
            "INSERT INTO observations (id, patient, encounter, panel, category, code_key, \
             hidden, sort_key, seq, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             ON CONFLICT (id) DO UPDATE SET patient = excluded.patient, \
             encounter = excluded.encounter, panel = excluded.panel, \
             category = excluded.category, code_key = excluded.code_key, \
             hidden = excluded.hidden, sort_key = excluded.sort_key, seq = excluded.seq, \
             payload = excluded.payload",
            params![
                observation.id,
                patient,
                observation.encounter.as_ref().map(EncounterKey::as_str),
                panel,
                category_code(observation.category),
                code_key,
                is_hidden(observation.status.as_deref()),
                sort_key,
                at.seq,
                payload
            ],
        )?;
        Ok(())
    }

    fn report(&self, at: Recorded, report: &Report, payload: Option<&str>) -> Result<()> {
        let patient = self.resolve(&report.patient)?;
        let sort_key = self.sort_key(report.effective.as_ref(), at.hlc);
        self.execute(
            "INSERT INTO reports (id, patient, encounter, hidden, sort_key, seq, payload) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET \
             patient = excluded.patient, encounter = excluded.encounter, \
             hidden = excluded.hidden, sort_key = excluded.sort_key, seq = excluded.seq, \
             payload = excluded.payload",
            params![
                report.id,
                patient,
                report.encounter.as_ref().map(EncounterKey::as_str),
                is_hidden(report.status.as_deref()),
                sort_key,
                at.seq,
                payload
            ],
        )?;
        Ok(())
    }

    /// An appointment booked, changed or cancelled: upserted by id, a
    /// cancelled one kept with its status.
    fn appointment(&self, at: Recorded, appointment: &Appointment) -> Result<()> {
        let patient = self.resolve(&appointment.patient)?;
        let start_ms = self.sort_key(Some(&appointment.start), at.hlc);
        let practitioner = appointment.practitioner.as_ref().and_then(|p| {
            p.display
                .clone()
                .or_else(|| p.identifier.as_ref().map(|i| i.value.clone()))
                .or_else(|| p.reference.clone())
        });
        let payload = serde_json::to_string(appointment).map_err(encoding)?;
        self.execute(
            "INSERT INTO appointments (id, patient, start_ms, minutes, clinic, practitioner, \
             status, seq, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT (id) DO UPDATE SET patient = excluded.patient, \
             start_ms = excluded.start_ms, minutes = excluded.minutes, \
             clinic = excluded.clinic, practitioner = excluded.practitioner, \
             status = excluded.status, seq = excluded.seq, payload = excluded.payload",
            params![
                appointment.id,
                patient,
                start_ms,
                appointment.minutes,
                appointment.clinic,
                practitioner,
                appointment_status_code(appointment.status),
                at.seq,
                payload
            ],
        )?;
        Ok(())
    }

    /// A diet ordered, changed or ended: upserted by id; an inactive one
    /// stays in the table but no longer counts as a current diet.
    fn diet(&self, at: Recorded, diet: &Diet) -> Result<()> {
        let patient = self.resolve(&diet.patient)?;
        let sort_key = self.sort_key(diet.start.as_ref(), at.hlc);
        let payload = serde_json::to_string(diet).map_err(encoding)?;
        self.execute(
            "INSERT INTO diets (id, patient, encounter, active, sort_key, seq, payload) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET \
             patient = excluded.patient, encounter = excluded.encounter, \
             active = excluded.active, sort_key = excluded.sort_key, seq = excluded.seq, \
             payload = excluded.payload",
            params![
                diet.id,
                patient,
                diet.encounter.as_ref().map(EncounterKey::as_str),
                diet.active,
                sort_key,
                at.seq,
                payload
            ],
        )?;
        Ok(())
    }

    fn directory(&self, entry: &Directory) -> Result<()> {
        self.execute(
            "INSERT INTO directory (reference, name) VALUES (?1, ?2) \
             ON CONFLICT (reference) DO UPDATE SET name = excluded.name",
            params![entry.reference, entry.name],
        )?;
        self.execute(
            "DELETE FROM directory_identifiers WHERE reference = ?1",
            [&entry.reference],
        )?;
        for identifier in &entry.identifiers {
            self.execute(
                "INSERT INTO directory_identifiers (system, value, reference) \
                 VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![
                    identifier.system.as_deref().unwrap_or(""),
                    identifier.value,
                    entry.reference
                ],
            )?;
        }
        Ok(())
    }
}

/// Empties the projections and replays the whole log into them, inside the
/// caller's transaction. Returns the number of events replayed.
pub(crate) fn rebuild(conn: &Connection, zone: &TimeZone) -> Result<u64> {
    for table in PROJECTION_TABLES {
        conn.execute_batch(&format!("DELETE FROM {table}"))
            .map_err(database)?;
    }
    conn.execute_batch(
        "DELETE FROM units WHERE configured = 0; UPDATE units SET seen = 0; \
         DELETE FROM beds WHERE configured = 0; UPDATE beds SET seen = 0;",
    )
    .map_err(database)?;

    const PAGE: i64 = 5_000;
    let projector = Projector::new(conn, zone);
    let mut counts: std::collections::BTreeMap<&'static str, i64> = Default::default();
    let mut after = 0_i64;
    let mut replayed = 0_u64;
    loop {
        let page = read_page(conn, after, PAGE)?;
        let Some((last_seq, _)) = page.last() else {
            break;
        };
        after = *last_seq;
        for (seq, row) in page {
            let event = row.decode()?;
            let record = record_payload(&event.fact).map_err(encoding)?;
            projector.apply(seq, event.hlc, &event.fact, record.as_deref())?;
            *counts.entry(event.fact.kind()).or_default() += 1;
            replayed += 1;
        }
    }
    for (kind, count) in counts {
        conn.execute(
            "INSERT INTO fact_counts (kind, count) VALUES (?1, ?2)",
            params![kind, count],
        )
        .map_err(database)?;
    }
    Ok(replayed)
}

fn read_page(conn: &Connection, after: i64, limit: i64) -> Result<Vec<(i64, EventRow)>> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS}, seq FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))
        .map_err(database)?;
    let rows = statement
        .query_map(params![after, limit], |r| {
            Ok((r.get::<_, i64>(10)?, EventRow::read(r)?))
        })
        .map_err(database)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(database)
}

/// Family, given and birth names.
type Names = (Option<String>, Option<String>, Option<String>);

/// Where an event sits in the log.
#[derive(Debug, Clone, Copy)]
struct Recorded {
    seq: i64,
    hlc: Hlc,
}

struct EncounterRecord<'a> {
    id: &'a str,
    patient: &'a str,
    encounter: Option<&'a EncounterKey>,
    status: &'static str,
    sort_key: i64,
    payload: Option<&'a str>,
}

/// A stay row being edited.
#[derive(Debug, Clone, PartialEq)]
struct StayRow {
    encounter: String,
    patient: String,
    place: Option<Place>,
    prev: Option<Place>,
    class: Option<String>,
    admitted_at: Option<String>,
    attending: Option<String>,
    in_house: bool,
    on_leave: bool,
    discharged: bool,
    discharged_at: Option<String>,
    cancelled: bool,
    last_effective: Option<i64>,
    /// Discharge moment to encode after the edit.
    pending_discharge: Option<Moment>,
}

impl StayRow {
    fn empty(encounter: &EncounterKey, patient: &str) -> StayRow {
        StayRow {
            encounter: encounter.0.clone(),
            patient: patient.to_owned(),
            place: None,
            prev: None,
            class: None,
            admitted_at: None,
            attending: None,
            in_house: false,
            on_leave: false,
            discharged: false,
            discharged_at: None,
            cancelled: false,
            last_effective: None,
            pending_discharge: None,
        }
    }

    /// Whether a movement that took effect at `effective` is older than the
    /// last one applied (out of order): it must not move the patient back.
    fn is_stale(&self, effective: Option<i64>) -> bool {
        matches!((self.last_effective, effective), (Some(last), Some(new)) if new < last)
    }

    /// Moves to a place, remembering the previous one for a cancelled
    /// transfer.
    fn move_to(&mut self, place: Option<Place>) {
        if place != self.place {
            self.prev = std::mem::replace(&mut self.place, place);
        }
    }

    fn discharge(&mut self, when: Option<Moment>) {
        self.in_house = false;
        self.on_leave = false;
        self.discharged = true;
        self.discharged_at = None;
        self.pending_discharge = when;
    }

    fn cancel_admission(&mut self) {
        self.cancelled = true;
        self.in_house = false;
        self.on_leave = false;
    }

    fn cancel_transfer(&mut self, back_to: &Option<Place>) {
        match back_to {
            Some(place) => {
                self.place = Some(place.clone());
                self.prev = None;
            }
            None => {
                if let Some(previous) = self.prev.take() {
                    self.place = Some(previous);
                }
            }
        }
    }

    fn cancel_discharge(&mut self, place: &Option<Place>) {
        self.in_house = !self.cancelled;
        self.discharged = false;
        self.discharged_at = None;
        if let Some(place) = place {
            self.move_to(Some(place.clone()));
        }
    }
}

fn place_from(
    unit: Option<String>,
    room: Option<String>,
    bed: Option<String>,
    facility: Option<String>,
) -> Option<Place> {
    unit.map(|unit| Place {
        unit,
        room,
        bed,
        facility,
    })
}

/// `(keep, value)` for a text field: keep the stored value when absent.
fn text_field(field: &Field<String>) -> (bool, Option<String>) {
    map_field(field, |text| text.trim().to_owned())
}

fn map_field<T, U>(field: &Field<T>, map: impl FnOnce(&T) -> U) -> (bool, Option<U>) {
    match field {
        Field::Absent => (true, None),
        Field::Null => (false, None),
        Field::Value(value) => (false, Some(map(value))),
    }
}

fn json_field<T: serde::Serialize>(field: &Field<T>) -> Result<(bool, Option<String>)> {
    match field {
        Field::Absent => Ok((true, None)),
        Field::Null => Ok((false, None)),
        Field::Value(value) => Ok((false, Some(serde_json::to_string(value).map_err(encoding)?))),
    }
}

/// `YYYY-MM-DD` of a day-precise (or finer) date, for search.
fn calendar_day(moment: &Moment) -> Option<String> {
    (moment.precision >= Precision::Day)
        .then(|| format!("{:04}-{:02}-{:02}", moment.year, moment.month, moment.day))
}

fn is_hidden(status: Option<&str>) -> bool {
    status.is_some_and(|s| {
        HIDDEN_RESULT_STATUSES
            .iter()
            .any(|h| s.trim().eq_ignore_ascii_case(h))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stay() -> StayRow {
        StayRow::empty(&EncounterKey("V1".into()), "p")
    }

    fn place(unit: &str, bed: &str) -> Place {
        Place {
            unit: unit.into(),
            room: None,
            bed: Some(bed.into()),
            facility: None,
        }
    }

    #[test]
    fn a_cancelled_transfer_goes_back_to_the_previous_place() {
        let mut stay = stay();
        stay.move_to(Some(place("CARDIO", "1")));
        stay.move_to(Some(place("REA", "7")));
        stay.cancel_transfer(&None);
        assert_eq!(stay.place, Some(place("CARDIO", "1")));
    }

    #[test]
    fn only_strictly_older_movements_are_stale() {
        let mut stay = stay();
        assert!(!stay.is_stale(Some(5)));
        stay.last_effective = Some(10);
        assert!(stay.is_stale(Some(5)));
        assert!(!stay.is_stale(Some(10)));
        assert!(!stay.is_stale(None));
    }

    #[test]
    fn hidden_statuses_are_case_insensitive() {
        assert!(is_hidden(Some("Entered-In-Error")));
        assert!(is_hidden(Some("W")));
        assert!(!is_hidden(Some("F")));
        assert!(!is_hidden(None));
    }
}
