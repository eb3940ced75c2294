//! The views: what the pages read, built from the projection tables.
//!
//! Each public view runs inside one read transaction (see `SqliteStore`), so
//! a page never mixes two commits. Every item carries the patient key it
//! belongs to after merges (the row's `patient` column, which merges keep at
//! the survivor), whatever key its stored payload was recorded under.

use std::collections::{BTreeMap, HashMap};

use ckisa_domain::{
    Address, Allergy, Appointment, Deceased, Diet, Event, EventId, Identifier, Medication, Moment,
    Observation, ObservationCategory, PatientKey, ResourceRef,
};
use ckisa_store::{
    ActivityBucket, AppointmentRow, BedRow, FeedActivity, FeedStatus, Identity,
    OBSERVATION_HISTORY_LIMIT, Occupant, PatientChart, PatientMedications, PatientQuery,
    PatientRow, QuarantineEntry, StayView, StoreError, StoreStatus, StoredAttachment,
    UNLOCATED_UNIT, UnitBoard, UnitSummary,
};
use jiff::tz::TimeZone;
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params, params_from_iter};

use crate::codec::{
    EVENT_COLUMNS, EventRow, RecordFact, category_code, decode_record, json_column, parse_sex, rows,
};
use crate::error::{database, encoding};
use crate::text::{natural_cmp, prefix_end, query_words};

type Result<T> = std::result::Result<T, StoreError>;

/// How many non-vital results the chart shows.
const RESULTS_SHOWN: i64 = 50;
/// How many reports the chart shows.
const REPORTS_SHOWN: i64 = 20;
/// How many procedures the chart shows.
const PROCEDURES_SHOWN: i64 = 20;
/// INS identifier systems: INS-NIR, INS-NIR test, INS-NIA (ANS OIDs).
const INS_SYSTEMS: &[&str] = &[
    "1.2.250.1.213.1.4.8",
    "1.2.250.1.213.1.4.10",
    "1.2.250.1.213.1.4.11",
];

/// Reads views through one connection.
pub(crate) struct Reader<'c> {
    conn: &'c Connection,
    zone: &'c TimeZone,
}

impl<'c> Reader<'c> {
    /// A reader over `conn`; dates are shown in `zone`.
    pub(crate) fn new(conn: &'c Connection, zone: &'c TimeZone) -> Reader<'c> {
        Reader { conn, zone }
    }

    fn query<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut statement = self.conn.prepare_cached(sql).map_err(database)?;
        let mapped = statement.query_map(params, map).map_err(database)?;
        rows(mapped.collect())
    }

    fn query_one<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        let mut statement = self.conn.prepare_cached(sql).map_err(database)?;
        rows(statement.query_row(params, map).optional())
    }

    // Units ---------------------------------------------------------------------

    const UNIT_SUMMARY: &'static str = "SELECT u.code, u.name, \
         (SELECT count(*) FROM beds b WHERE b.unit = u.code), \
         (SELECT count(*) FROM (SELECT DISTINCT s.room, s.bed FROM stays s \
            WHERE s.in_house = 1 AND s.unit = u.code AND s.bed IS NOT NULL)), \
         (SELECT count(*) FROM stays s WHERE s.in_house = 1 AND s.unit = u.code) \
         FROM units u";

    fn unit_summary(row: &Row<'_>) -> rusqlite::Result<UnitSummary> {
        Ok(UnitSummary {
            code: row.get(0)?,
            name: row.get(1)?,
            beds: row.get(2)?,
            occupied_beds: row.get(3)?,
            patients: row.get(4)?,
        })
    }

    /// All units with occupancy, by code.
    pub(crate) fn units(&self) -> Result<Vec<UnitSummary>> {
        let sql = format!("{} ORDER BY u.code", Self::UNIT_SUMMARY);
        let mut units = self.query(&sql, [], Self::unit_summary)?;
        let taken = units.iter().any(|unit| unit.code == UNLOCATED_UNIT);
        if let Some(unlocated) = self.unlocated_summary()?.filter(|_| !taken) {
            units.push(unlocated);
        }
        Ok(units)
    }

    /// In-house patients whose feed gave no unit, as a unit of their own, so
    /// that a patient present in the hospital is never missing from the
    /// census.
    fn unlocated_summary(&self) -> Result<Option<UnitSummary>> {
        let count: u32 = self
            .query_one(
                "SELECT count(*) FROM stays s WHERE s.in_house = 1 \
                 AND (s.unit IS NULL OR s.unit = '')",
                [],
                |r| r.get(0),
            )?
            .unwrap_or(0);
        Ok((count > 0).then(|| UnitSummary {
            code: String::from(UNLOCATED_UNIT),
            name: String::from("Présents sans unité connue"),
            beds: 0,
            occupied_beds: 0,
            patients: count,
        }))
    }

    /// One unit's bed board.
    pub(crate) fn unit_board(&self, unit: &str) -> Result<Option<UnitBoard>> {
        let sql = format!("{} WHERE u.code = ?1", Self::UNIT_SUMMARY);
        let summary = match self.query_one(&sql, [unit], Self::unit_summary)? {
            Some(summary) => summary,
            None if unit == UNLOCATED_UNIT => match self.unlocated_summary()? {
                Some(summary) => summary,
                None => return Ok(None),
            },
            None => return Ok(None),
        };
        let mut beds: BTreeMap<(String, String), BedRow> = BTreeMap::new();
        let known = self.query("SELECT room, bed FROM beds WHERE unit = ?1", [unit], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for (room, bed) in known {
            let row = BedRow {
                room: non_empty(&room),
                bed: Some(bed.clone()),
                occupants: vec![],
            };
            beds.insert((room, bed), row);
        }
        let mut without_bed = Vec::new();
        for (room, bed, occupant) in self.occupants(unit)? {
            match bed {
                Some(bed) => {
                    let key = (room.clone().unwrap_or_default(), bed.clone());
                    beds.entry(key)
                        .or_insert_with(|| BedRow {
                            room,
                            bed: Some(bed),
                            occupants: vec![],
                        })
                        .occupants
                        .push(occupant);
                }
                None => without_bed.push(BedRow {
                    room,
                    bed: None,
                    occupants: vec![occupant],
                }),
            }
        }
        let mut rows: Vec<BedRow> = beds.into_values().collect();
        rows.sort_by(|a, b| {
            natural_cmp(
                a.room.as_deref().unwrap_or(""),
                b.room.as_deref().unwrap_or(""),
            )
            .then_with(|| {
                natural_cmp(
                    a.bed.as_deref().unwrap_or(""),
                    b.bed.as_deref().unwrap_or(""),
                )
            })
        });
        without_bed.sort_by(|a, b| {
            natural_cmp(
                a.room.as_deref().unwrap_or(""),
                b.room.as_deref().unwrap_or(""),
            )
            .then_with(|| first_family(a).cmp(&first_family(b)))
        });
        rows.extend(without_bed);
        Ok(Some(UnitBoard {
            unit: summary,
            beds: rows,
        }))
    }

    /// In-house stays of a unit as (room, bed, occupant).
    #[expect(clippy::type_complexity, reason = "a private row shape used once")]
    fn occupants(&self, unit: &str) -> Result<Vec<(Option<String>, Option<String>, Occupant)>> {
        struct Raw {
            encounter: String,
            patient: String,
            room: Option<String>,
            bed: Option<String>,
            admitted_at: Option<String>,
            attending: Option<String>,
            on_leave: bool,
            family: Option<String>,
            given: Option<String>,
            sex: Option<String>,
            birth_date: Option<String>,
            allergies: u32,
        }
        let sql = format!(
            "SELECT s.encounter, s.patient, s.room, s.bed, s.admitted_at, s.attending, \
             s.on_leave, p.family, p.given, p.sex, p.birth_date, \
             (SELECT count(*) FROM allergies a WHERE a.patient = s.patient AND a.status = 'active') \
             FROM stays s LEFT JOIN patients p ON p.key = s.patient \
             WHERE s.in_house = 1 AND {} ORDER BY s.encounter",
            stays_of(unit)
        );
        let raws = self.query(&sql, [unit], |r| {
            Ok(Raw {
                encounter: r.get(0)?,
                patient: r.get(1)?,
                room: r.get(2)?,
                bed: r.get(3)?,
                admitted_at: r.get(4)?,
                attending: r.get(5)?,
                on_leave: r.get(6)?,
                family: r.get(7)?,
                given: r.get(8)?,
                sex: r.get(9)?,
                birth_date: r.get(10)?,
                allergies: r.get(11)?,
            })
        })?;
        // One query for every occupant's identifiers, and one directory lookup
        // per distinct attending physician, instead of two queries per bed.
        let mut identifiers = self.unit_identifiers(unit)?;
        let mut attendings: std::collections::HashMap<Option<String>, Option<String>> =
            std::collections::HashMap::new();
        let mut occupants = Vec::with_capacity(raws.len());
        for raw in raws {
            let known = identifiers.remove(&raw.patient).unwrap_or_default();
            let attending = match attendings.get(&raw.attending) {
                Some(name) => name.clone(),
                None => {
                    let name = self.attending(raw.attending.clone())?;
                    attendings.insert(raw.attending.clone(), name.clone());
                    name
                }
            };
            let occupant = Occupant {
                ipp: ipp(&raw.patient, &known),
                patient: PatientKey(raw.patient),
                encounter: raw.encounter,
                family: raw.family,
                given: raw.given,
                sex: parse_sex(raw.sex)?,
                birth_date: json_column(raw.birth_date)?,
                admitted_at: json_column(raw.admitted_at)?,
                attending,
                allergies: raw.allergies,
                on_leave: raw.on_leave,
            };
            occupants.push((raw.room, raw.bed, occupant));
        }
        Ok(occupants)
    }

    /// The identifiers of every in-house patient of a unit, by patient, in
    /// the order `identifiers` gives them.
    fn unit_identifiers(
        &self,
        unit: &str,
    ) -> Result<std::collections::HashMap<String, Vec<Identifier>>> {
        let sql = format!(
            "SELECT i.patient, i.system, i.kind, i.value FROM patient_identifiers i \
             WHERE i.patient IN (SELECT s.patient FROM stays s WHERE s.in_house = 1 AND {}) \
             ORDER BY i.patient, i.seq, i.pos",
            stays_of(unit)
        );
        let rows = self.query(&sql, [unit], identifier_row)?;
        Ok(group_identifiers(rows))
    }

    /// Resolves a stored reference to a display name: by reference, else by
    /// identifier, else its display text, else the identifier value.
    fn attending(&self, json: Option<String>) -> Result<Option<String>> {
        match json_column::<ResourceRef>(json)? {
            Some(reference) => self.reference_name(reference),
            None => Ok(None),
        }
    }

    /// The display name of a reference, resolved as [`Reader::attending`]
    /// says.
    fn reference_name(&self, reference: ResourceRef) -> Result<Option<String>> {
        if let Some(target) = &reference.reference
            && let Some(name) = self.query_one(
                "SELECT name FROM directory WHERE reference = ?1",
                [target],
                |r| r.get(0),
            )?
        {
            return Ok(Some(name));
        }
        if let Some(identifier) = &reference.identifier
            && let Some(name) = self.directory_by_identifier(identifier)?
        {
            return Ok(Some(name));
        }
        Ok(reference.display.or(reference.identifier.map(|i| i.value)))
    }

    fn directory_by_identifier(&self, identifier: &Identifier) -> Result<Option<String>> {
        match &identifier.system {
            Some(system) => self.query_one(
                "SELECT d.name FROM directory_identifiers i JOIN directory d \
                 ON d.reference = i.reference WHERE i.system = ?1 AND i.value = ?2 \
                 ORDER BY d.reference LIMIT 1",
                params![system, identifier.value],
                |r| r.get(0),
            ),
            None => self.query_one(
                "SELECT d.name FROM directory_identifiers i JOIN directory d \
                 ON d.reference = i.reference WHERE i.value = ?1 ORDER BY d.reference LIMIT 1",
                [&identifier.value],
                |r| r.get(0),
            ),
        }
    }

    // Patients ------------------------------------------------------------------

    /// The root key of a patient after merges; `None` for an unknown key.
    fn root(&self, key: &PatientKey) -> Result<Option<String>> {
        let found: Option<Option<String>> = self.query_one(
            "SELECT merged_into FROM patients WHERE key = ?1",
            [key.as_str()],
            |r| r.get(0),
        )?;
        Ok(found.map(|merged_into| merged_into.unwrap_or_else(|| key.0.clone())))
    }

    fn identifiers(&self, patient: &str) -> Result<Vec<Identifier>> {
        self.query(
            "SELECT system, kind, value FROM patient_identifiers WHERE patient = ?1 \
             ORDER BY seq, pos",
            [patient],
            |r| {
                let system: String = r.get(0)?;
                let kind: String = r.get(1)?;
                Ok(Identifier {
                    value: r.get(2)?,
                    system: non_empty(&system),
                    kind: non_empty(&kind),
                })
            },
        )
    }

    /// One patient's summary.
    pub(crate) fn patient_chart(&self, key: &PatientKey) -> Result<Option<PatientChart>> {
        let Some(root) = self.root(key)? else {
            return Ok(None);
        };
        let Some(identity) = self.identity(&root)? else {
            return Ok(None);
        };
        let mut stays = self.current_stays(&root)?.into_iter();
        Ok(Some(PatientChart {
            identity,
            stay: stays.next(),
            other_stays: stays.collect(),
            allergies: self.active_records("allergies", &root)?,
            conditions: self.active_records("conditions", &root)?,
            medications: self.active_records("medications", &root)?,
            care_plans: self.active_records("care_plans", &root)?,
            vitals: self.records(
                "SELECT r.patient, r.payload, e.payload FROM observations r JOIN ( \
                   SELECT rowid AS id, row_number() OVER ( \
                     PARTITION BY code_key ORDER BY sort_key DESC, seq DESC) AS rank \
                   FROM observations WHERE patient = ?1 AND panel = 'vital' AND hidden = 0 \
                 ) latest ON r.rowid = latest.id \
                 LEFT JOIN events e ON e.seq = r.seq AND r.payload IS NULL \
                 WHERE latest.rank = 1 ORDER BY r.sort_key DESC, r.seq DESC",
                &root,
            )?,
            results: self.records(
                &format!(
                    "SELECT r.patient, r.payload, e.payload FROM observations r \
                     LEFT JOIN events e ON e.seq = r.seq AND r.payload IS NULL \
                     WHERE r.patient = ?1 AND r.panel = 'result' AND r.hidden = 0 \
                     ORDER BY r.sort_key DESC, r.seq DESC LIMIT {RESULTS_SHOWN}"
                ),
                &root,
            )?,
            reports: self.records(
                &format!(
                    "SELECT r.patient, r.payload, e.payload FROM reports r \
                     LEFT JOIN events e ON e.seq = r.seq AND r.payload IS NULL \
                     WHERE r.patient = ?1 AND r.hidden = 0 \
                     ORDER BY r.sort_key DESC, r.seq DESC LIMIT {REPORTS_SHOWN}"
                ),
                &root,
            )?,
            procedures: self.records(
                &format!(
                    "SELECT r.patient, r.payload, e.payload FROM procedures r \
                     LEFT JOIN events e ON e.seq = r.seq AND r.payload IS NULL \
                     WHERE r.patient = ?1 AND r.status != 'error' \
                     ORDER BY r.sort_key DESC, r.seq DESC LIMIT {PROCEDURES_SHOWN}"
                ),
                &root,
            )?,
        }))
    }

    /// Decodes the records a query selects as (patient, own payload, event
    /// payload) and stamps them with the resolved patient key.
    fn records<T: RecordFact>(&self, sql: &str, patient: &str) -> Result<Vec<T>> {
        self.records_with(sql, [patient])
    }

    /// [`Reader::records`] with any parameters.
    fn records_with<T: RecordFact>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<T>> {
        let raws = self.query(sql, params, |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        raws.into_iter()
            .map(|(patient, own, event)| {
                let mut record: T = decode_record(own.as_deref(), event.as_deref())?;
                record.set_patient(PatientKey(patient));
                Ok(record)
            })
            .collect()
    }

    fn identity(&self, root: &str) -> Result<Option<Identity>> {
        type Raw = (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let raw: Option<Raw> = self.query_one(
            "SELECT family, given, birth_name, birth_date, sex, phones, addresses, deceased \
             FROM patients WHERE key = ?1",
            [root],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            },
        )?;
        let Some((family, given, birth_name, birth_date, sex, phones, addresses, deceased)) = raw
        else {
            return Ok(None);
        };
        let identifiers = self.identifiers(root)?;
        let addresses: Vec<Address> = json_column(addresses)?.unwrap_or_default();
        let deceased: Option<Deceased> = json_column(deceased)?;
        Ok(Some(Identity {
            ipp: ipp(root, &identifiers),
            ins: ins(&identifiers),
            patient: PatientKey(root.to_owned()),
            family,
            given,
            birth_name,
            birth_date: json_column::<Moment>(birth_date)?,
            sex: parse_sex(sex)?,
            identifiers,
            phones: json_column(phones)?.unwrap_or_default(),
            addresses: addresses
                .iter()
                .map(address_line)
                .filter(|l| !l.is_empty())
                .collect(),
            deceased: deceased.and_then(|d| self.deceased_text(d)),
        }))
    }

    fn deceased_text(&self, deceased: Deceased) -> Option<String> {
        match deceased {
            Deceased::At(moment) => Some(moment.display_fr(self.zone)),
            Deceased::Yes => Some(String::from("oui")),
            Deceased::No => None,
        }
    }

    /// A patient's active records of one kind, newest first; `table` is one
    /// of the record tables, never user input.
    fn active_records<T: RecordFact>(&self, table: &'static str, root: &str) -> Result<Vec<T>> {
        let sql = format!(
            "SELECT r.patient, r.payload, e.payload FROM {table} r LEFT JOIN events e \
             ON e.seq = r.seq AND r.payload IS NULL WHERE r.patient = ?1 \
             AND r.status = 'active' ORDER BY r.sort_key DESC, r.seq DESC"
        );
        self.records(&sql, root)
    }

    /// The patient's in-house stays, most recently updated first.
    fn current_stays(&self, root: &str) -> Result<Vec<StayView>> {
        type Raw = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            bool,
        );
        let raws: Vec<Raw> = self.query(
            "SELECT s.encounter, s.unit, u.name, s.room, s.bed, s.class, s.admitted_at, \
             s.attending, s.on_leave FROM stays s LEFT JOIN units u ON u.code = s.unit \
             WHERE s.patient = ?1 AND s.in_house = 1 ORDER BY s.updated_seq DESC LIMIT 10",
            [root],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            },
        )?;
        let mut stays = Vec::with_capacity(raws.len());
        for (encounter, unit, unit_name, room, bed, class, admitted_at, attending, on_leave) in raws
        {
            stays.push(StayView {
                encounter,
                unit_name: unit_name.or_else(|| unit.clone()),
                unit,
                room,
                bed,
                class,
                admitted_at: json_column(admitted_at)?,
                attending: self.attending(attending)?,
                on_leave,
            });
        }
        Ok(stays)
    }

    /// Patients matching every given criterion; none when no criterion is
    /// given.
    pub(crate) fn search_patients(
        &self,
        query: &PatientQuery,
        limit: usize,
    ) -> Result<Vec<PatientRow>> {
        let mut sql = String::from(
            "SELECT p.key, p.family, p.given, p.birth_date, p.sex FROM patients p \
             WHERE p.merged_into IS NULL",
        );
        let mut values: Vec<Box<dyn ToSql>> = Vec::new();
        let mut criteria = 0;
        for word in query.name.as_deref().map(query_words).unwrap_or_default() {
            sql.push_str(&format!(
                " AND p.key IN (SELECT patient FROM patient_names WHERE term >= ?{} AND term < ?{})",
                values.len() + 1,
                values.len() + 2
            ));
            let end = prefix_end(&word);
            values.push(Box::new(word));
            values.push(Box::new(end));
            criteria += 1;
        }
        if let Some((year, month, day)) = query.birth_date {
            sql.push_str(&format!(" AND p.birth_ymd = ?{}", values.len() + 1));
            values.push(Box::new(format!("{year:04}-{month:02}-{day:02}")));
            criteria += 1;
        }
        if let Some(value) = query
            .identifier
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            sql.push_str(&format!(
                " AND p.key IN (SELECT patient FROM patient_identifiers WHERE value = ?{})",
                values.len() + 1
            ));
            values.push(Box::new(value.to_owned()));
            criteria += 1;
        }
        if criteria == 0 {
            return Ok(Vec::new());
        }
        sql.push_str(&format!(
            " ORDER BY p.sort_name, p.key LIMIT {}",
            i64::try_from(limit).unwrap_or(i64::MAX)
        ));
        type Raw = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let raws: Vec<Raw> = self.query(&sql, params_from_iter(values.iter()), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        raws.into_iter().map(|raw| self.patient_row(raw)).collect()
    }

    fn patient_row(
        &self,
        (key, family, given, birth_date, sex): (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        ),
    ) -> Result<PatientRow> {
        let identifiers = self.identifiers(&key)?;
        let place: Option<(Option<String>, Option<String>, Option<String>)> = self.query_one(
            "SELECT unit, room, bed FROM stays WHERE patient = ?1 AND in_house = 1 \
             ORDER BY updated_seq DESC LIMIT 1",
            [&key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let (unit, room, bed) = place.unwrap_or_default();
        Ok(PatientRow {
            ipp: ipp(&key, &identifiers),
            patient: PatientKey(key),
            family,
            given,
            birth_date: json_column(birth_date)?,
            sex: parse_sex(sex)?,
            unit,
            room,
            bed,
        })
    }

    // Clinical capsule ----------------------------------------------------------

    /// One patient's observations of a category, oldest first, the newest
    /// [`OBSERVATION_HISTORY_LIMIT`] at most.
    pub(crate) fn observations(
        &self,
        key: &PatientKey,
        category: ObservationCategory,
        since_ms: Option<i64>,
    ) -> Result<Vec<Observation>> {
        let Some(root) = self.root(key)? else {
            return Ok(Vec::new());
        };
        let panel = match category {
            ObservationCategory::Vital => "vital",
            ObservationCategory::Lab | ObservationCategory::Other => "result",
        };
        // Newest first so that the bound keeps the latest values, then
        // reversed; the (patient, panel, sort_key, seq) index serves it.
        let sql = format!(
            "SELECT r.patient, r.payload, e.payload FROM observations r \
             LEFT JOIN events e ON e.seq = r.seq AND r.payload IS NULL \
             WHERE r.patient = ?1 AND r.panel = ?2 AND r.category = ?3 AND r.hidden = 0 \
             AND r.sort_key >= ?4 ORDER BY r.sort_key DESC, r.seq DESC LIMIT {}",
            OBSERVATION_HISTORY_LIMIT
        );
        let since = since_ms.unwrap_or(i64::MIN);
        let mut history: Vec<Observation> =
            self.records_with(&sql, params![root, panel, category_code(category), since])?;
        history.reverse();
        Ok(history)
    }

    /// Appointments starting in `[from_ms, to_ms)` with their patients'
    /// identities.
    pub(crate) fn appointments(&self, from_ms: i64, to_ms: i64) -> Result<Vec<AppointmentRow>> {
        type Raw = (
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let raws: Vec<Raw> = self.query(
            "SELECT a.patient, a.payload, p.family, p.given, p.birth_date \
             FROM appointments a LEFT JOIN patients p ON p.key = a.patient \
             WHERE a.start_ms >= ?1 AND a.start_ms < ?2 ORDER BY a.start_ms, a.id",
            params![from_ms, to_ms],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        let identifiers = self.appointment_identifiers(from_ms, to_ms)?;
        // A day list names few practitioners: one directory lookup each.
        let mut practitioners: Vec<(ResourceRef, Option<String>)> = Vec::new();
        let mut appointments = Vec::with_capacity(raws.len());
        for (patient, payload, family, given, birth_date) in raws {
            let mut appointment: Appointment = serde_json::from_str(&payload).map_err(encoding)?;
            let ipp = ipp(
                &patient,
                identifiers.get(&patient).map_or(&[], Vec::as_slice),
            );
            appointment.patient = PatientKey(patient);
            let practitioner = match &appointment.practitioner {
                None => None,
                Some(reference) => match practitioners.iter().find(|(r, _)| r == reference) {
                    Some((_, name)) => name.clone(),
                    None => {
                        let name = self.reference_name(reference.clone())?;
                        practitioners.push((reference.clone(), name.clone()));
                        name
                    }
                },
            };
            appointments.push(AppointmentRow {
                appointment,
                practitioner,
                family,
                given,
                birth_date: json_column(birth_date)?,
                ipp,
            });
        }
        Ok(appointments)
    }

    /// The identifiers of every patient with an appointment in a period.
    fn appointment_identifiers(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<HashMap<String, Vec<Identifier>>> {
        let rows = self.query(
            "SELECT i.patient, i.system, i.kind, i.value FROM patient_identifiers i \
             WHERE i.patient IN (SELECT a.patient FROM appointments a \
               WHERE a.start_ms >= ?1 AND a.start_ms < ?2) \
             ORDER BY i.patient, i.seq, i.pos",
            params![from_ms, to_ms],
            identifier_row,
        )?;
        Ok(group_identifiers(rows))
    }

    /// The active diets of these patients after merges.
    pub(crate) fn diets(&self, patients: &[PatientKey]) -> Result<Vec<Diet>> {
        let mut roots = std::collections::BTreeSet::new();
        for key in patients {
            if let Some(root) = self.root(key)? {
                roots.insert(root);
            }
        }
        let mut diets = Vec::new();
        for root in roots {
            let payloads: Vec<String> = self.query(
                "SELECT payload FROM diets WHERE patient = ?1 AND active = 1 \
                 ORDER BY sort_key DESC, seq DESC",
                [&root],
                |r| r.get(0),
            )?;
            for payload in payloads {
                let mut diet: Diet = serde_json::from_str(&payload).map_err(encoding)?;
                diet.patient = PatientKey(root.clone());
                diets.push(diet);
            }
        }
        Ok(diets)
    }

    /// A unit's in-house patients with their active medications and
    /// allergies.
    pub(crate) fn unit_medications(&self, unit: &str) -> Result<Vec<PatientMedications>> {
        let patients: Vec<String> = self.query(
            &format!(
                "SELECT DISTINCT s.patient FROM stays s WHERE s.in_house = 1 AND {} \
                 ORDER BY s.patient",
                stays_of(unit)
            ),
            [unit],
            |r| r.get(0),
        )?;
        let mut medications: HashMap<String, Vec<Medication>> =
            self.unit_records("medications", unit)?;
        let mut allergies: HashMap<String, Vec<Allergy>> = self.unit_records("allergies", unit)?;
        Ok(patients
            .into_iter()
            .map(|patient| PatientMedications {
                medications: medications.remove(&patient).unwrap_or_default(),
                allergies: allergies.remove(&patient).unwrap_or_default(),
                patient: PatientKey(patient),
            })
            .collect())
    }

    /// The active records of one table of every in-house patient of a unit,
    /// by patient, newest first; `table` is a record table, never input.
    fn unit_records<T: RecordFact>(
        &self,
        table: &'static str,
        unit: &str,
    ) -> Result<HashMap<String, Vec<T>>> {
        let sql = format!(
            "SELECT r.patient, r.payload, e.payload FROM {table} r LEFT JOIN events e \
             ON e.seq = r.seq AND r.payload IS NULL WHERE r.status = 'active' \
             AND r.patient IN (SELECT s.patient FROM stays s WHERE s.in_house = 1 AND {}) \
             ORDER BY r.patient, r.sort_key DESC, r.seq DESC",
            stays_of(unit)
        );
        let records: Vec<T> = self.records_with(&sql, [unit])?;
        let mut by_patient: HashMap<String, Vec<T>> = HashMap::new();
        for record in records {
            by_patient
                .entry(record.patient().0.clone())
                .or_default()
                .push(record);
        }
        Ok(by_patient)
    }

    // Bookkeeping ---------------------------------------------------------------

    /// Latest quarantined inputs, newest first.
    pub(crate) fn quarantine_entries(&self, limit: usize) -> Result<Vec<QuarantineEntry>> {
        self.query(
            "SELECT id, feed, received_ms, message_id, reason, size FROM quarantine \
             ORDER BY received_ms DESC, id DESC LIMIT ?1",
            [i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                Ok(QuarantineEntry {
                    id: r.get(0)?,
                    feed: r.get(1)?,
                    received_ms: r.get(2)?,
                    message_id: r.get(3)?,
                    reason: r.get(4)?,
                    size: r.get::<_, i64>(5)?.unsigned_abs(),
                })
            },
        )
    }

    /// Freshness and volume of each feed.
    pub(crate) fn feeds(&self) -> Result<Vec<FeedStatus>> {
        self.query(
            "SELECT name, last_received_ms, accepted, duplicates, rejected FROM feeds \
             ORDER BY name",
            [],
            |r| {
                Ok(FeedStatus {
                    name: r.get(0)?,
                    last_received_ms: r.get(1)?,
                    accepted: r.get::<_, i64>(2)?.unsigned_abs(),
                    duplicates: r.get::<_, i64>(3)?.unsigned_abs(),
                    rejected: r.get::<_, i64>(4)?.unsigned_abs(),
                })
            },
        )
    }

    /// Counts and feed freshness.
    pub(crate) fn status(&self) -> Result<StoreStatus> {
        let count = |sql: &str| -> Result<u64> {
            let value: Option<i64> = self.query_one(sql, [], |r| r.get(0))?;
            Ok(value.unwrap_or(0).unsigned_abs())
        };
        let feeds = self.feeds()?;
        let facts = self.query(
            "SELECT kind, count FROM fact_counts ORDER BY kind",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.unsigned_abs())),
        )?;
        Ok(StoreStatus {
            events: facts.iter().map(|(_, n)| n).sum(),
            patients: count("SELECT count(*) FROM patients WHERE merged_into IS NULL")?,
            in_house: count("SELECT count(*) FROM stays WHERE in_house = 1")?,
            units: count("SELECT count(*) FROM units")?,
            quarantined: count("SELECT count(*) FROM quarantine")?,
            feeds,
            facts,
            schema_version: u32::try_from(count("PRAGMA user_version")?).unwrap_or(u32::MAX),
        })
    }

    /// Events after `after` in log order.
    pub(crate) fn events_after(&self, after: Option<EventId>, limit: usize) -> Result<Vec<Event>> {
        let start = self.seq_of(after)?;
        let raws = self.query(
            &format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"),
            params![start, i64::try_from(limit).unwrap_or(i64::MAX)],
            EventRow::read,
        )?;
        raws.into_iter().map(EventRow::decode).collect()
    }

    pub(crate) fn events_of_kind(
        &self,
        kind: &str,
        after: Option<EventId>,
        limit: usize,
    ) -> Result<Vec<Event>> {
        let start = self.seq_of(after)?;
        let raws = self.query(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE kind = ?1 AND seq > ?2 \
                 ORDER BY seq LIMIT ?3"
            ),
            params![kind, start, i64::try_from(limit).unwrap_or(i64::MAX)],
            EventRow::read,
        )?;
        raws.into_iter().map(EventRow::decode).collect()
    }

    pub(crate) fn event(&self, id: EventId) -> Result<Option<Event>> {
        let raw = self.query_one(
            &format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"),
            [id.0.as_bytes().as_slice()],
            EventRow::read,
        )?;
        raw.map(EventRow::decode).transpose()
    }

    /// The log position of an event, 0 for `None`; an unknown id reads from
    /// the start, with a warning.
    fn seq_of(&self, after: Option<EventId>) -> Result<i64> {
        let Some(id) = after else { return Ok(0) };
        let seq: Option<i64> = self.query_one(
            "SELECT seq FROM events WHERE id = ?1",
            [id.0.as_bytes().as_slice()],
            |r| r.get(0),
        )?;
        Ok(seq.unwrap_or_else(|| {
            tracing::warn!(%id, "unknown event id, reading the log from the start");
            0
        }))
    }

    pub(crate) fn attachment(&self, sha256: &str) -> Result<Option<StoredAttachment>> {
        self.query_one(
            "SELECT mime, bytes, stored_ms FROM attachments WHERE sha256 = ?1",
            [sha256],
            |r| {
                Ok(StoredAttachment {
                    mime: r.get(0)?,
                    bytes: r.get(1)?,
                    stored_ms: r.get(2)?,
                })
            },
        )
    }

    pub(crate) fn feed_activity(&self, since_ms: i64) -> Result<Vec<FeedActivity>> {
        let rows = self.query(
            "SELECT feed, start_ms, count FROM feed_activity WHERE start_ms >= ?1 \
             ORDER BY feed, start_ms",
            [since_ms],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )?;
        let mut feeds: Vec<FeedActivity> = Vec::new();
        for (feed, start_ms, count) in rows {
            let bucket = ActivityBucket {
                start_ms,
                count: u64::try_from(count).unwrap_or(0),
            };
            match feeds.last_mut() {
                Some(last) if last.feed == feed => last.buckets.push(bucket),
                _ => feeds.push(FeedActivity {
                    feed,
                    buckets: vec![bucket],
                }),
            }
        }
        Ok(feeds)
    }
}

/// A row of (patient, system, kind, value) as a patient and an identifier.
fn identifier_row(r: &Row<'_>) -> rusqlite::Result<(String, Identifier)> {
    let system: String = r.get(1)?;
    let kind: String = r.get(2)?;
    Ok((
        r.get(0)?,
        Identifier {
            value: r.get(3)?,
            system: non_empty(&system),
            kind: non_empty(&kind),
        },
    ))
}

/// Identifiers by patient, in the order the rows give them.
fn group_identifiers(rows: Vec<(String, Identifier)>) -> HashMap<String, Vec<Identifier>> {
    let mut by_patient: HashMap<String, Vec<Identifier>> = HashMap::new();
    for (patient, identifier) in rows {
        by_patient.entry(patient).or_default().push(identifier);
    }
    by_patient
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn first_family(row: &BedRow) -> Option<&str> {
    row.occupants.first().and_then(|o| o.family.as_deref())
}

/// The IPP: the first identifier of type PI; for a patient keyed by an HL7
/// IPP, the first identifier the HL7 source gave.
/// The condition selecting a unit's stays, as a literal SQL fragment taking
/// the unit as `?1`: the plain form uses the census index; the virtual unit
/// of unlocated patients has its own.
fn stays_of(unit: &str) -> &'static str {
    if unit == UNLOCATED_UNIT {
        "(s.unit IS NULL OR s.unit = '' OR ?1 IS NULL)"
    } else {
        "s.unit = ?1"
    }
}

fn ipp(key: &str, identifiers: &[Identifier]) -> Option<String> {
    identifiers
        .iter()
        .find(|i| {
            i.kind
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("PI"))
        })
        .or_else(|| identifiers.first().filter(|_| key.starts_with("ipp:")))
        .map(|i| i.value.clone())
}

/// The INS: an identifier of type INS, or one issued under an INS OID.
fn ins(identifiers: &[Identifier]) -> Option<String> {
    identifiers
        .iter()
        .find(|i| {
            i.kind
                .as_deref()
                .is_some_and(|k| k.to_ascii_uppercase().starts_with("INS"))
                || i.system
                    .as_deref()
                    .is_some_and(|s| INS_SYSTEMS.contains(&s.trim().trim_start_matches("urn:oid:")))
        })
        .map(|i| i.value.clone())
}

/// One line of an address: street lines, postal code and city, country.
fn address_line(address: &Address) -> String {
    let mut parts: Vec<String> = address
        .lines
        .iter()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    let town = [address.postal_code.as_deref(), address.city.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !town.is_empty() {
        parts.push(town);
    }
    if let Some(country) = address
        .country
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        parts.push(country.to_owned());
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(value: &str, system: Option<&str>, kind: Option<&str>) -> Identifier {
        Identifier {
            value: value.into(),
            system: system.map(Into::into),
            kind: kind.map(Into::into),
        }
    }

    #[test]
    fn ipp_prefers_type_pi_then_the_first_hl7_identifier() {
        let ids = [
            id("999", Some("X"), Some("NH")),
            id("123", Some("H"), Some("PI")),
        ];
        assert_eq!(ipp("ipp:H|123", &ids).as_deref(), Some("123"));
        let untyped = [id("555", Some("H"), None)];
        assert_eq!(ipp("ipp:H|555", &untyped).as_deref(), Some("555"));
        assert_eq!(ipp("fhir:Patient/1", &untyped), None);
    }

    #[test]
    fn ins_is_found_by_type_or_by_oid() {
        let by_kind = [
            id("1", None, Some("PI")),
            id("2850312345678", None, Some("INS")),
        ];
        assert_eq!(ins(&by_kind).as_deref(), Some("2850312345678"));
        let by_oid = [id(
            "2850312345678",
            Some("urn:oid:1.2.250.1.213.1.4.8"),
            None,
        )];
        assert_eq!(ins(&by_oid).as_deref(), Some("2850312345678"));
        assert_eq!(
            ins(&[id("1", Some("1.2.250.1.71.4.2.7"), Some("PI"))]),
            None
        );
    }

    #[test]
    fn address_is_one_line() {
        let address = Address {
            lines: vec!["12 rue des Lilas".into(), " ".into()],
            city: Some("Lyon".into()),
            postal_code: Some("69003".into()),
            country: Some("FRA".into()),
            kind: Some("H".into()),
        };
        assert_eq!(address_line(&address), "12 rue des Lilas, 69003 Lyon, FRA");
    }
}
