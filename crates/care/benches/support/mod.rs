//! The establishment the clinical capsule's benchmarks run on: units of
//! beds filled by a HIS feed (identities, stays, allergies, 6 to 8
//! prescriptions of mixed frequencies, a care plan, vitals, a diet, some
//! appointments), then a downtime typed hour by hour on its patients with
//! the volumes of a medical-surgical ward, committed to a real encrypted
//! SQLite store as care events (`ckisa_care::ledger`).
//!
//! Volumes per patient in house and per day of downtime: 4 vitals sets of 6
//! values (NEWS2 set), every dose the prescriptions plan (given, a few not
//! given or held), 2 targeted notes, half a lab request with its 6 results
//! an hour later, 0.3 new prescriptions; for the whole establishment per
//! day: 60 admissions under a provisional identity, 80 transfers and 60
//! discharges. Everything is drawn from a fixed seed: every run measures
//! the same log.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ckisa_care::mar;
use ckisa_care::news2::{self, VitalKind};
use ckisa_care::settings::Settings;
use ckisa_care::{lab, ledger};
use ckisa_domain::{
    Actor, Administration, AdministrationOutcome, Allergy, Appointment, AppointmentStatus,
    CareFact, CarePlan, Coded, Diet, EncounterKey, Event, EventId, Fact, Field, Hlc, Identifier,
    LabRequest, Medication, MedicationKind, Moment, NodeId, NursingNote, Observation,
    ObservationCategory, ObservationValue, PatientKey, PatientUpdate, Place, RecordStatus,
    ResourceRef, Sex, Source, SourceChannel, StayUpdate,
};
use ckisa_store::{Store, Submission, UnitDefinition};
use ckisa_store_sqlite::key::DbKey;
use ckisa_store_sqlite::{SqliteOptions, SqliteStore};
use jiff::tz::TimeZone;

pub(crate) const MINUTE: i64 = 60_000;
pub(crate) const HOUR: i64 = 60 * MINUTE;

/// Prescriptions the patients draw from: drug, dose, route, frequency as
/// the HIS or a physician wrote it.
const DRUGS: [(&str, &str, &str, &str); 16] = [
    ("PARACETAMOL 1 g", "1 g", "PO", "Q6H"),
    (
        "ENOXAPARINE 4000 UI anti-Xa/0,4 mL",
        "4000 UI",
        "SC",
        "le soir",
    ),
    ("AMOXICILLINE 1 g", "1 g", "PO", "3 fois par jour"),
    ("FUROSEMIDE 40 mg", "40 mg", "PO", "1-0-0"),
    ("MORPHINE 5 mg/0,5 mL", "2,5 mg", "SC", "si besoin"),
    (
        "CHLORURE DE SODIUM 0,9 % 1 L",
        "1 L/24 h",
        "IV",
        "en continu",
    ),
    ("PANTOPRAZOLE 40 mg", "40 mg", "PO", "1-0-0"),
    ("METFORMINE 500 mg", "500 mg", "PO", "1-0-1"),
    ("INSULINE ASPART", "selon dextro", "SC", "3 fois par jour"),
    ("AMLODIPINE 5 mg", "5 mg", "PO", "Q1D"),
    ("CEFTRIAXONE 1 g", "1 g", "IV", "Q24H"),
    ("BISOPROLOL 2,5 mg", "2,5 mg", "PO", "BID"),
    (
        "OXYCODONE 5 mg",
        "5 mg",
        "PO",
        "toutes les 4 heures si douleur",
    ),
    (
        "HEPARINE SODIQUE 25000 UI/5 mL",
        "20000 UI/24 h",
        "IV",
        "en continu",
    ),
    ("LACTULOSE 10 g", "10 g", "PO", "matin et soir"),
    ("ZOPICLONE 7,5 mg", "7,5 mg", "PO", "au coucher"),
];

const ALLERGENS: [(&str, &str); 5] = [
    ("Pénicillines", "urticaire généralisée"),
    ("Iode (produits de contraste)", "œdème de Quincke"),
    ("Latex", "eczéma de contact"),
    ("Arachide", "choc anaphylactique"),
    ("Codéine", "nausées, vomissements"),
];

/// The six results of a downtime lab request: code, name, value, unit.
const PANEL: [(&str, &str, &str, &str); 6] = [
    ("2951-2", "Sodium", "138", "mmol/L"),
    ("2823-3", "Potassium", "4.1", "mmol/L"),
    ("2160-0", "Créatinine", "82", "umol/L"),
    ("718-7", "Hémoglobine", "12.8", "g/dL"),
    ("6690-2", "Leucocytes", "8.4", "10*9/L"),
    ("777-3", "Plaquettes", "241", "10*9/L"),
];

/// The NEWS2 set typed four times a day.
const VITALS: [(VitalKind, &str); 6] = [
    (VitalKind::Temperature, "37,6"),
    (VitalKind::HeartRate, "88"),
    (VitalKind::BloodPressure, "132/78"),
    (VitalKind::Spo2, "95"),
    (VitalKind::RespiratoryRate, "18"),
    (VitalKind::Consciousness, "A"),
];

pub(crate) fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris").expect("Europe/Paris zone")
}

/// A time as a `Moment` of the site's zone.
pub(crate) fn moment(ms: i64, zone: &TimeZone) -> Moment {
    mar::moment_at(ms, zone).expect("a time in the calendar")
}

fn coded(code: Option<&str>, text: &str) -> Coded {
    Coded {
        code: code.map(str::to_owned),
        system: code.map(|_| "http://loinc.org".to_owned()),
        text: text.to_owned(),
    }
}

/// A small deterministic generator (xorshift64*).
pub(crate) struct Dice(u64);

impl Dice {
    pub(crate) fn new(seed: u64) -> Dice {
        Dice(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).expect("fits")).expect("fits")
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        (self.next() as f64) / ((1u64 << 53) as f64) < p
    }
}

/// An encrypted store in `folder`, as a node opens it.
pub(crate) fn open_store(folder: &std::path::Path) -> Arc<SqliteStore> {
    let key = DbKey::generate().expect("random key");
    let options = SqliteOptions::new("Europe/Paris").with_key(key);
    Arc::new(SqliteStore::open(&folder.join("data"), options).expect("store"))
}

/// A patient in a bed.
#[derive(Clone)]
pub(crate) struct Bedded {
    pub(crate) patient: PatientKey,
    pub(crate) encounter: EncounterKey,
    pub(crate) unit: String,
    pub(crate) bed: String,
}

/// The establishment as the HIS left it when it went dark.
pub(crate) struct Hospital {
    pub(crate) units: Vec<String>,
    pub(crate) beds_per_unit: usize,
    /// Patients in bed, in unit and bed order.
    pub(crate) in_house: Vec<Bedded>,
    /// Active prescriptions of each patient.
    pub(crate) medications: HashMap<PatientKey, Vec<Medication>>,
}

fn bed_name(bed: usize) -> String {
    format!("{bed:02}")
}

fn his_event(at_ms: i64, seq: u16, fact: Fact) -> Event {
    let ms = u64::try_from(at_ms).expect("positive time");
    Event {
        id: EventId::new(ms),
        hlc: Hlc::new(ms, seq),
        origin: NodeId("sih".into()),
        actor: Actor::Feed("adt".into()),
        source: Source {
            channel: SourceChannel::Mllp,
            origin: "adt".into(),
            message_id: None,
            sender: None,
            fhir_id: None,
        },
        fact,
    }
}

/// Units `U01`... of `beds_per_unit` beds, filled by the HIS at `his_ms`
/// (every bed but about one in twenty, every bed of `full_unit`).
pub(crate) fn establishment(
    store: &dyn Store,
    units: usize,
    beds_per_unit: usize,
    full_unit: &str,
    his_ms: i64,
    zone: &TimeZone,
) -> Hospital {
    let codes: Vec<String> = (1..=units).map(|n| format!("U{n:02}")).collect();
    let definitions: Vec<UnitDefinition> = codes
        .iter()
        .map(|code| UnitDefinition {
            code: code.clone(),
            name: format!("Médecine polyvalente {code}"),
            beds: (1..=beds_per_unit)
                .map(|n| (bed_name(n), bed_name(n)))
                .collect(),
        })
        .collect();
    store.define_units(&definitions).expect("units");
    let mut hospital = Hospital {
        units: codes.clone(),
        beds_per_unit,
        in_house: Vec::new(),
        medications: HashMap::new(),
    };
    let mut dice = Dice::new(0x5eed_0001);
    for (u, code) in codes.iter().enumerate() {
        let mut facts = Vec::new();
        for bed in 1..=beds_per_unit {
            if code != full_unit && (bed + u * 7) % 20 == 0 {
                continue;
            }
            let n = u * beds_per_unit + bed;
            let bedded = Bedded {
                patient: PatientKey::ipp("HOPITAL", &format!("{:08}", 10_000_000 + n)),
                encounter: EncounterKey(format!("vn:HOPITAL|{:09}", 500_000_000 + n)),
                unit: code.clone(),
                bed: bed_name(bed),
            };
            let medications = patient_facts(&bedded, n, his_ms, zone, &mut dice, &mut facts);
            hospital
                .medications
                .insert(bedded.patient.clone(), medications);
            hospital.in_house.push(bedded);
        }
        let events = facts
            .into_iter()
            .enumerate()
            .map(|(i, f)| his_event(his_ms, u16::try_from(i).expect("few"), f))
            .collect();
        store
            .commit(vec![Submission {
                feed: "adt".into(),
                received_ms: his_ms,
                dedup: None,
                events,
            }])
            .expect("HIS commit");
    }
    hospital
}

/// What the HIS sent about one patient; returns the prescriptions.
fn patient_facts(
    bedded: &Bedded,
    n: usize,
    his_ms: i64,
    zone: &TimeZone,
    dice: &mut Dice,
    facts: &mut Vec<Fact>,
) -> Vec<Medication> {
    let patient = &bedded.patient;
    let ipp = patient.as_str().rsplit('|').next().unwrap_or_default();
    facts.push(Fact::PatientUpdated(PatientUpdate {
        patient: patient.clone(),
        identifiers: vec![Identifier {
            value: ipp.to_owned(),
            system: Some("HOPITAL".into()),
            kind: Some("PI".into()),
        }],
        family: Field::Value(format!("PATIENT{n:04}")),
        given: Field::Value(["Jeanne", "Paul", "Marie", "Louis"][n % 4].into()),
        birth_date: Field::Value(
            Moment::parse_iso(&format!("19{:02}-0{}-1{}", 30 + n % 60, 1 + n % 9, n % 10))
                .expect("birth date"),
        ),
        sex: Field::Value(if n.is_multiple_of(2) {
            Sex::Female
        } else {
            Sex::Male
        }),
        ..PatientUpdate::default()
    }));
    let admitted = moment(his_ms - (24 + (n % 96) as i64) * HOUR, zone);
    facts.push(Fact::StayUpdated(StayUpdate {
        encounter: bedded.encounter.clone(),
        patient: patient.clone(),
        place: Field::Value(Place {
            unit: bedded.unit.clone(),
            room: Some(bedded.bed.clone()),
            bed: Some(bedded.bed.clone()),
            facility: None,
        }),
        class: Some("I".into()),
        admitted_at: Some(admitted),
        attending: None,
        in_house: true,
        effective_at: Some(admitted),
        movement_id: None,
    }));
    for a in 0..1 + n % 2 {
        let (substance, reaction) = ALLERGENS[(n + a * 2) % ALLERGENS.len()];
        facts.push(Fact::AllergyRecorded(Allergy {
            id: format!("al-{ipp}-{a}"),
            patient: patient.clone(),
            substance: coded(None, substance),
            category: Some("medication".into()),
            severity: Some(["high", "low"][a % 2].into()),
            reactions: vec![reaction.into()],
            onset: None,
            status: RecordStatus::Active,
        }));
    }
    let mut medications = Vec::new();
    let count = 6 + dice.below(3);
    let first = dice.below(DRUGS.len());
    for k in 0..count {
        let (drug, dose, route, frequency) = DRUGS[(first + k * 3) % DRUGS.len()];
        let medication = Medication {
            id: format!("rx-{ipp}-{k}"),
            patient: patient.clone(),
            encounter: Some(bedded.encounter.clone()),
            kind: MedicationKind::Order,
            drug: coded(None, drug),
            dose: Some(dose.into()),
            route: Some(route.into()),
            frequency: Some(frequency.into()),
            start: Some(admitted),
            end: None,
            prescriber: Some(ResourceRef {
                reference: None,
                identifier: None,
                display: Some("Dr SIH".into()),
            }),
            status: RecordStatus::Active,
            note: None,
        };
        facts.push(Fact::MedicationRecorded(medication.clone()));
        medications.push(medication);
    }
    facts.push(Fact::CarePlanRecorded(CarePlan {
        id: format!("pds-{ipp}"),
        patient: patient.clone(),
        title: "Plan de soins infirmiers".into(),
        status: RecordStatus::Active,
        activities: vec![
            "Surveillance des constantes 4 fois par jour (score NEWS2)".into(),
            "Lever au fauteuil matin et après-midi".into(),
            "Prévention d'escarres : changement de position toutes les 3 heures".into(),
            "Réfection du pansement de voie veineuse périphérique tous les 3 jours".into(),
            "Surveillance de la diurèse et de la glycémie capillaire".into(),
        ],
        start: Some(admitted),
        end: None,
    }));
    for (set, hours_before) in [20, 8].into_iter().enumerate() {
        let at = moment(his_ms - hours_before * HOUR, zone);
        for (kind, value) in VITALS {
            facts.push(Fact::ObservationRecorded(vital(
                format!("his-vs-{ipp}-{set}-{kind:?}"),
                patient,
                Some(&bedded.encounter),
                kind,
                value,
                at,
            )));
        }
    }
    facts.push(Fact::DietRecorded(Diet {
        id: format!("reg-{ipp}"),
        patient: patient.clone(),
        encounter: Some(bedded.encounter.clone()),
        diets: vec![coded(
            None,
            ["normal", "sans sel", "diabétique", "mixé"][n % 4],
        )],
        remarks: n.is_multiple_of(5).then(|| "texture hachée".to_owned()),
        start: Some(admitted),
        nil_by_mouth: false,
        active: true,
    }));
    if n.is_multiple_of(5) {
        facts.push(Fact::AppointmentRecorded(Appointment {
            id: format!("rdv-{ipp}"),
            patient: patient.clone(),
            start: moment(his_ms + (30 + (n % 90) as i64) * HOUR, zone),
            minutes: Some(30),
            clinic: Some("Consultation de cardiologie".into()),
            practitioner: Some(ResourceRef {
                reference: None,
                identifier: None,
                display: Some("Dr Cœur".into()),
            }),
            reason: Some("Échographie cardiaque".into()),
            status: AppointmentStatus::Booked,
        }));
    }
    medications
}

fn vital(
    id: String,
    patient: &PatientKey,
    encounter: Option<&EncounterKey>,
    kind: VitalKind,
    value: &str,
    at: Moment,
) -> Observation {
    Observation {
        id,
        patient: patient.clone(),
        encounter: encounter.cloned(),
        category: ObservationCategory::Vital,
        code: news2::vital_code(kind),
        value: news2::validate_vital(kind, value).expect("a plausible vital"),
        reference_range: None,
        interpretation: None,
        effective: Some(at),
        status: Some("final".into()),
        report: None,
        notes: Vec::new(),
    }
}

/// How many care events of each kind a downtime typed.
#[derive(Debug, Default)]
pub(crate) struct Volumes {
    pub(crate) events: usize,
    pub(crate) vitals: usize,
    pub(crate) administrations: usize,
    pub(crate) notes: usize,
    pub(crate) lab_requests: usize,
    pub(crate) lab_results: usize,
    pub(crate) prescriptions: usize,
    pub(crate) admissions: usize,
    pub(crate) transfers: usize,
    pub(crate) discharges: usize,
    /// Patient-days in house.
    pub(crate) patient_days: f64,
}

/// One typed fact at its time, by whom.
type Typed = (i64, String, CareFact);

/// A downtime of `hours` from `from_ms`, typed hour by hour and committed;
/// `full_unit` keeps its patients (no movement in or out).
pub(crate) fn downtime(
    store: &dyn Store,
    hospital: &mut Hospital,
    from_ms: i64,
    hours: i64,
    full_unit: &str,
    zone: &TimeZone,
) -> Volumes {
    let mut sim = Simulation {
        zone,
        dice: Dice::new(0x5eed_0002),
        volumes: Volumes::default(),
        lab_ids: HashSet::new(),
        next_ipp: 0,
        shifts: Settings::default().shifts,
        ipp: Settings::default().ipp,
    };
    let mut free: Vec<(String, String)> = free_beds(hospital);
    // Fractions of a movement carried from one hour to the next.
    let (mut admissions, mut transfers, mut discharges) = (0.0, 0.0, 0.0);
    // What the hour typed for later (lab results, late doses) is committed
    // with the hour it belongs to, so that the log stays in time order.
    let mut later: Vec<Typed> = Vec::new();
    for hour in 0..hours {
        let start = from_ms + hour * HOUR;
        let mut typed: Vec<Typed> = std::mem::take(&mut later);
        discharges += 60.0 / 24.0;
        while discharges >= 1.0 {
            discharges -= 1.0;
            sim.discharge(hospital, &mut free, full_unit, start, &mut typed);
        }
        admissions += 60.0 / 24.0;
        while admissions >= 1.0 {
            admissions -= 1.0;
            sim.admit(hospital, &mut free, full_unit, start, &mut typed);
        }
        transfers += 80.0 / 24.0;
        while transfers >= 1.0 {
            transfers -= 1.0;
            sim.transfer(hospital, &mut free, full_unit, start, &mut typed);
        }
        for index in 0..hospital.in_house.len() {
            sim.care_hour(hospital, index, hour, start, &mut typed);
        }
        sim.volumes.patient_days += hospital.in_house.len() as f64 / 24.0;
        let (now, next): (Vec<Typed>, Vec<Typed>) =
            typed.into_iter().partition(|(at, _, _)| *at < start + HOUR);
        later = next;
        sim.volumes.events += now.len();
        record(store, now);
    }
    sim.volumes.events += later.len();
    record(store, later);
    sim.volumes
}

impl Volumes {
    /// The volumes in one line.
    pub(crate) fn summary(&self) -> String {
        let per_day = |n: usize| n as f64 / self.patient_days.max(1.0);
        format!(
            "{} care events over {:.0} patient-days: {} vitals ({:.1}/patient-day), {} doses \
             ({:.1}), {} notes ({:.1}), {} lab requests ({:.2}) with {} results, {} \
             prescriptions ({:.2}), {} admissions, {} transfers, {} discharges",
            self.events,
            self.patient_days,
            self.vitals,
            per_day(self.vitals),
            self.administrations,
            per_day(self.administrations),
            self.notes,
            per_day(self.notes),
            self.lab_requests,
            per_day(self.lab_requests),
            self.lab_results,
            self.prescriptions,
            per_day(self.prescriptions),
            self.admissions,
            self.transfers,
            self.discharges,
        )
    }
}

fn free_beds(hospital: &Hospital) -> Vec<(String, String)> {
    let taken: HashSet<(&str, &str)> = hospital
        .in_house
        .iter()
        .map(|b| (b.unit.as_str(), b.bed.as_str()))
        .collect();
    let mut free = Vec::new();
    for unit in &hospital.units {
        for bed in 1..=hospital.beds_per_unit {
            let bed = bed_name(bed);
            if !taken.contains(&(unit.as_str(), bed.as_str())) {
                free.push((unit.clone(), bed));
            }
        }
    }
    free
}

/// Commits typed facts as the capsule does, time order, at most 500 events
/// per commit.
pub(crate) fn record(store: &dyn Store, typed: Vec<Typed>) {
    let node = NodeId("banc".into());
    let mut typed = typed;
    typed.sort_by_key(|(at, _, _)| *at);
    for chunk in typed.chunks(500) {
        let events: Vec<Event> = chunk
            .iter()
            .enumerate()
            .map(|(i, (at, who, fact))| {
                let ms = u64::try_from(*at).expect("positive time");
                let seq = u16::try_from(i).expect("small batch");
                let actor = Actor::User(who.clone());
                ledger::event(actor, &node, "web", fact.clone(), Hlc::new(ms, seq))
            })
            .collect();
        let last = chunk.last().map_or(0, |(at, _, _)| *at);
        ledger::commit(store, events, last).expect("care commit");
    }
}

struct Simulation<'z> {
    zone: &'z TimeZone,
    dice: Dice,
    volumes: Volumes,
    lab_ids: HashSet<String>,
    next_ipp: u64,
    shifts: Vec<u8>,
    ipp: ckisa_care::settings::IppRange,
}

impl Simulation<'_> {
    /// A minute within the hour starting at `start`.
    fn within(&mut self, start: i64) -> i64 {
        start + i64::try_from(self.dice.below(60)).expect("minutes") * MINUTE
    }

    /// A patient in house outside `full_unit`, if any.
    fn pick(&mut self, hospital: &Hospital, full_unit: &str) -> Option<usize> {
        for _ in 0..20 {
            let index = self.dice.below(hospital.in_house.len());
            if hospital.in_house[index].unit != full_unit {
                return Some(index);
            }
        }
        None
    }

    fn free_bed(&mut self, free: &mut Vec<(String, String)>, full_unit: &str) -> Option<Place> {
        let candidates: Vec<usize> = (0..free.len())
            .filter(|&i| free[i].0 != full_unit)
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let (unit, bed) = free.swap_remove(candidates[self.dice.below(candidates.len())]);
        Some(Place {
            unit,
            room: Some(bed.clone()),
            bed: Some(bed),
            facility: None,
        })
    }

    fn discharge(
        &mut self,
        hospital: &mut Hospital,
        free: &mut Vec<(String, String)>,
        full_unit: &str,
        start: i64,
        typed: &mut Vec<Typed>,
    ) {
        let Some(index) = self.pick(hospital, full_unit) else {
            return;
        };
        let gone = hospital.in_house.swap_remove(index);
        let at = self.within(start);
        typed.push((
            at,
            format!("cadre-{}", gone.unit),
            CareFact::Entered(Box::new(Fact::Discharged {
                encounter: gone.encounter.clone(),
                patient: gone.patient.clone(),
                at: Some(moment(at, self.zone)),
            })),
        ));
        free.push((gone.unit, gone.bed));
        self.volumes.discharges += 1;
    }

    fn admit(
        &mut self,
        hospital: &mut Hospital,
        free: &mut Vec<(String, String)>,
        full_unit: &str,
        start: i64,
        typed: &mut Vec<Typed>,
    ) {
        let Some(place) = self.free_bed(free, full_unit) else {
            return;
        };
        let ipp = self.ipp.nth(self.next_ipp).expect("IPP range");
        self.next_ipp += 1;
        let patient = PatientKey::ipp(&self.ipp.authority, &ipp);
        let encounter = EncounterKey(format!(
            "vn:{}|sej-{}",
            self.ipp.authority,
            EventId::new(u64::try_from(start).expect("positive") + self.next_ipp)
        ));
        let at = self.within(start);
        let now = moment(at, self.zone);
        let who = format!("urg-{}", place.unit);
        typed.push((
            at,
            who.clone(),
            CareFact::Entered(Box::new(Fact::PatientUpdated(PatientUpdate {
                patient: patient.clone(),
                identifiers: vec![Identifier {
                    value: ipp.clone(),
                    system: Some(self.ipp.authority.clone()),
                    kind: Some("PI".into()),
                }],
                family: Field::Value(format!("INCONNU{ipp}")),
                given: Field::Value("X".into()),
                birth_date: Field::Value(Moment::parse_iso("1960-01-01").expect("date")),
                sex: Field::Value(Sex::Unknown),
                ..PatientUpdate::default()
            }))),
        ));
        typed.push((
            at,
            who,
            CareFact::Entered(Box::new(Fact::StayUpdated(StayUpdate {
                encounter: encounter.clone(),
                patient: patient.clone(),
                place: Field::Value(place.clone()),
                class: Some("I".into()),
                admitted_at: Some(now),
                attending: None,
                in_house: true,
                effective_at: Some(now),
                movement_id: None,
            }))),
        ));
        hospital.in_house.push(Bedded {
            patient: patient.clone(),
            encounter,
            unit: place.unit,
            bed: place.bed.unwrap_or_default(),
        });
        hospital.medications.insert(patient, Vec::new());
        self.volumes.admissions += 1;
    }

    fn transfer(
        &mut self,
        hospital: &mut Hospital,
        free: &mut Vec<(String, String)>,
        full_unit: &str,
        start: i64,
        typed: &mut Vec<Typed>,
    ) {
        let Some(index) = self.pick(hospital, full_unit) else {
            return;
        };
        let Some(to) = self.free_bed(free, full_unit) else {
            return;
        };
        let at = self.within(start);
        let moving = &mut hospital.in_house[index];
        typed.push((
            at,
            format!("cadre-{}", moving.unit),
            CareFact::Entered(Box::new(Fact::Transferred {
                encounter: moving.encounter.clone(),
                patient: moving.patient.clone(),
                to: to.clone(),
                at: Some(moment(at, self.zone)),
                movement_id: None,
            })),
        ));
        free.push((
            std::mem::replace(&mut moving.unit, to.unit),
            std::mem::replace(&mut moving.bed, to.bed.unwrap_or_default()),
        ));
        self.volumes.transfers += 1;
    }

    /// One hour of care of the `index`-th patient in house.
    fn care_hour(
        &mut self,
        hospital: &mut Hospital,
        index: usize,
        hour: i64,
        start: i64,
        typed: &mut Vec<Typed>,
    ) {
        let bedded = hospital.in_house[index].clone();
        let nurse = format!("ide-{}", bedded.unit);
        let phase = i64::try_from(index % 6).expect("small");
        // Vitals: a NEWS2 set every 6 hours.
        if (hour + phase) % 6 == 0 {
            let at = self.within(start);
            for (kind, value) in VITALS {
                let id = format!("obs-{}", EventId::new(u64::try_from(at).expect("positive")));
                let observation = vital(
                    id,
                    &bedded.patient,
                    Some(&bedded.encounter),
                    kind,
                    value,
                    moment(at, self.zone),
                );
                typed.push((
                    at,
                    nurse.clone(),
                    CareFact::Entered(Box::new(Fact::ObservationRecorded(observation))),
                ));
                self.volumes.vitals += 1;
            }
        }
        // Doses: every planned one of the hour, given 5 to 20 minutes after.
        let medications = hospital
            .medications
            .get(&bedded.patient)
            .cloned()
            .unwrap_or_default();
        for medication in &medications {
            for dose in mar::planned(medication, start, start + HOUR, self.zone, &self.shifts) {
                let at = dose.at_ms + i64::try_from(5 + self.dice.below(15)).expect("m") * MINUTE;
                let outcome = match self.dice.below(40) {
                    0 => AdministrationOutcome::NotGiven {
                        reason: "patient au bloc opératoire".into(),
                    },
                    1 => AdministrationOutcome::Held {
                        reason: "pression artérielle basse".into(),
                    },
                    _ => AdministrationOutcome::Given {
                        dose: medication.dose.clone().unwrap_or_default(),
                        route: medication.route.clone().unwrap_or_default(),
                    },
                };
                let administration = Administration {
                    id: format!("adm-{}", EventId::new(u64::try_from(at).expect("positive"))),
                    patient: bedded.patient.clone(),
                    encounter: Some(bedded.encounter.clone()),
                    medication: medication.id.clone(),
                    drug: medication.drug.clone(),
                    planned: Some(moment(dose.at_ms, self.zone)),
                    at: moment(at, self.zone),
                    outcome,
                    by: format!("IDE {}", bedded.unit),
                    comment: None,
                };
                typed.push((at, nurse.clone(), CareFact::Administered(administration)));
                self.volumes.administrations += 1;
            }
        }
        // Notes: two a day.
        if (hour + phase) % 12 == 3 {
            let at = self.within(start);
            typed.push((
                at,
                nurse.clone(),
                CareFact::Note(NursingNote {
                    id: format!(
                        "note-{}",
                        EventId::new(u64::try_from(at).expect("positive"))
                    ),
                    patient: bedded.patient.clone(),
                    encounter: Some(bedded.encounter.clone()),
                    target: "Douleur".into(),
                    data: "EVA 6/10 au lever, grimace à la mobilisation".into(),
                    actions: "Paracétamol 1 g PO, installation en décubitus latéral".into(),
                    results: "EVA 3/10 une heure après".into(),
                    at: moment(at, self.zone),
                    by: format!("IDE {}", bedded.unit),
                    for_handover: hour % 2 == 0,
                }),
            ));
            self.volumes.notes += 1;
        }
        // Lab: half a request a day, its six results an hour later.
        if self.dice.chance(0.5 / 24.0) {
            self.lab_request(&bedded, start, typed);
        }
        // Prescriptions: 0.3 a day, planned from the next hour.
        if self.dice.chance(0.3 / 24.0) {
            let at = self.within(start);
            let (drug, dose, route, frequency) = DRUGS[self.dice.below(DRUGS.len())];
            let medication = Medication {
                id: format!("rx-{}", EventId::new(u64::try_from(at).expect("positive"))),
                patient: bedded.patient.clone(),
                encounter: Some(bedded.encounter.clone()),
                kind: MedicationKind::Order,
                drug: coded(None, drug),
                dose: Some(dose.into()),
                route: Some(route.into()),
                frequency: Some(frequency.into()),
                start: Some(moment(start + HOUR, self.zone)),
                end: None,
                prescriber: Some(ResourceRef {
                    reference: None,
                    identifier: None,
                    display: Some("Dr Garde".into()),
                }),
                status: RecordStatus::Active,
                note: None,
            };
            typed.push((
                at,
                format!("medecin-{}", bedded.unit),
                CareFact::Entered(Box::new(Fact::MedicationRecorded(medication.clone()))),
            ));
            hospital
                .medications
                .entry(bedded.patient.clone())
                .or_default()
                .push(medication);
            self.volumes.prescriptions += 1;
        }
    }

    fn lab_request(&mut self, bedded: &Bedded, start: i64, typed: &mut Vec<Typed>) {
        let at = self.within(start);
        let taken = &self.lab_ids;
        let id = lab::request_id(at, |id| taken.contains(id)).expect("a free request id");
        self.lab_ids.insert(id.clone());
        let request = LabRequest {
            id: id.clone(),
            patient: bedded.patient.clone(),
            encounter: Some(bedded.encounter.clone()),
            unit: bedded.unit.clone(),
            tests: vec![
                coded(Some("24326-1"), "Ionogramme sanguin"),
                coded(Some("58410-2"), "Numération formule sanguine"),
            ],
            specimen: "sang veineux".into(),
            sampled_at: moment(at, self.zone),
            requester: ResourceRef {
                reference: None,
                identifier: None,
                display: Some("Dr Garde".into()),
            },
            urgent: false,
            comment: None,
        };
        typed.push((
            at,
            format!("medecin-{}", bedded.unit),
            CareFact::LabRequested(request),
        ));
        self.volumes.lab_requests += 1;
        for (code, name, value, unit) in PANEL {
            let observation = Observation {
                id: format!("{id}-{code}"),
                patient: bedded.patient.clone(),
                encounter: Some(bedded.encounter.clone()),
                category: ObservationCategory::Lab,
                code: coded(Some(code), name),
                value: ObservationValue::Quantity {
                    value: value.into(),
                    unit: Some(unit.into()),
                },
                reference_range: None,
                interpretation: None,
                effective: Some(moment(at, self.zone)),
                status: Some("F".into()),
                report: Some(id.clone()),
                notes: vec!["Saisi en mode dégradé par labo".into()],
            };
            typed.push((
                at + HOUR,
                "labo".into(),
                CareFact::Entered(Box::new(Fact::ObservationRecorded(observation))),
            ));
            self.volumes.lab_results += 1;
        }
    }
}

/// CPU time of the whole process (every thread) so far, in ms, from
/// `/proc/self/stat` (utime + stime, in USER_HZ = 100 ticks a second);
/// `None` where there is no such file.
pub(crate) fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 * 10.0)
}

/// Peak resident memory of the process (`VmHWM` of `/proc/self/status`),
/// in MiB; `None` where there is no such file.
pub(crate) fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
