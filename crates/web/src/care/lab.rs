//! Lab requests, specimen labels, results by scanning the label, and
//! critical values flagged to the requesting unit.
//!
//! - `/soins/biologie/demande?patient=` (`LabRequest`): a caregiver of the
//!   patient's unit asks for panels (or tests typed freely), says which
//!   specimen and when it is taken; the request gets an id with a check
//!   digit (`ckisa_care::lab`) and is recorded as `CareFact::LabRequested`.
//! - `/soins/biologie/{id}` and `.../etiquette.pdf`: the specimen label, on
//!   screen and as a PDF for the label printer (`ckisa_care::paper`).
//! - `/soins/labo` (`LabResult`): the lab scans the label (the scanner
//!   types the id and Enter), checks the patient's identity against the
//!   tube, and types the values; each is recorded as a lab observation
//!   (`Entered(ObservationRecorded)`) whose `report` is the request id, with
//!   an id derived from the request and the analyte, so that typing a
//!   value again corrects it instead of adding a second one. A mistyped
//!   scan is refused with the reason (`LabelError`).
//! - `/soins/unites/{code}/biologie` (`LabRequest`): the unit's downtime
//!   requests, pending or resulted, critical results standing out.
//!
//! **Acknowledging a critical result.** A critical result (by the table of
//! `ckisa_care::lab`, or flagged critical by the lab) shows « résultat
//! critique » on the unit's page until a nurse or physician of the unit
//! acknowledges it. The acknowledgment is a targeted nursing note
//! (`CareFact::Note`, target « Résultat critique », for the handover), one
//! per critical result version, whose id names the event that recorded the
//! value (`note-crit-<event id>`): the acknowledgment is then part of the
//! patient's documentation and goes back to the HIS with it, and a value
//! corrected afterwards is a new version, critical again until
//! acknowledged again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use ckisa_auth::Action;
use ckisa_care::book::{CareBook, Entry};
use ckisa_care::lab::{self as carelab, LabelError};
use ckisa_domain::{
    CareFact, Coded, EncounterKey, EventId, Fact, Identifier, LabRequest, Moment, NursingNote,
    Observation, ObservationCategory, ObservationValue, PatientKey, ResourceRef,
};
use ckisa_store::{Identity, Store};
use serde::Deserialize;

use super::StoreCheck;
use super::barcode::Bars;
use super::flows::{
    IdentityView, form_pairs, form_status, key_param, moment_at, moment_ms, not_in_house,
    patient_for, pdf_response, read_local, stay_units, time_field, typed, unit_for, unit_segment,
};
use super::ward::display_name;
use crate::access::{Audited, Caller, redirect};
use crate::error::{AppError, read_query};
use crate::format::{Fmt, clean, full_name};
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page};
use crate::{AppState, PageCtx};

/// Coding system of the panels of the request form.
const PANEL_SYSTEM: &str = "urn:ckisa:bilan";
const LOINC: &str = "http://loinc.org";

/// One analyte of a panel: LOINC code, French name, unit (empty for a
/// text result).
struct Analyte {
    code: &'static str,
    name: &'static str,
    unit: &'static str,
}

/// A panel of the request form.
struct Panel {
    code: &'static str,
    name: &'static str,
    analytes: &'static [Analyte],
}

const fn analyte(code: &'static str, name: &'static str, unit: &'static str) -> Analyte {
    Analyte { code, name, unit }
}

/// The common panels a downtime request offers; anything else is typed.
const PANELS: &[Panel] = &[
    Panel {
        code: "IONO",
        name: "Ionogramme sanguin",
        analytes: &[
            analyte("2951-2", "Sodium (natrémie)", "mmol/L"),
            analyte("2823-3", "Potassium (kaliémie)", "mmol/L"),
            analyte("2075-0", "Chlore", "mmol/L"),
            analyte("1963-8", "Bicarbonates", "mmol/L"),
            analyte("14749-6", "Glucose (glycémie)", "mmol/L"),
            analyte("22664-7", "Urée", "mmol/L"),
            analyte("14682-9", "Créatinine", "µmol/L"),
        ],
    },
    Panel {
        code: "NFS",
        name: "NFS (numération formule sanguine)",
        analytes: &[
            analyte("718-7", "Hémoglobine", "g/dL"),
            analyte("4544-3", "Hématocrite", "%"),
            analyte("6690-2", "Leucocytes", "G/L"),
            analyte("777-3", "Plaquettes", "G/L"),
        ],
    },
    Panel {
        code: "HEPAT",
        name: "Bilan hépatique",
        analytes: &[
            analyte("1920-8", "ASAT", "U/L"),
            analyte("1742-6", "ALAT", "U/L"),
            analyte("2324-2", "Gamma-GT", "U/L"),
            analyte("6768-6", "Phosphatases alcalines", "U/L"),
            analyte("14631-6", "Bilirubine totale", "µmol/L"),
        ],
    },
    Panel {
        code: "TROPO",
        name: "Troponine",
        analytes: &[analyte("89579-7", "Troponine I", "ng/L")],
    },
    Panel {
        code: "LACT",
        name: "Lactates",
        analytes: &[analyte("32693-4", "Lactates", "mmol/L")],
    },
    Panel {
        code: "GDS",
        name: "Gaz du sang",
        analytes: &[
            analyte("2744-1", "pH", ""),
            analyte("2019-8", "pCO2", "mmHg"),
            analyte("2703-7", "pO2", "mmHg"),
            analyte("1960-4", "Bicarbonates", "mmol/L"),
            analyte("2708-6", "SaO2", "%"),
        ],
    },
    Panel {
        code: "HEMOC",
        name: "Hémocultures",
        analytes: &[analyte("600-7", "Culture (germes identifiés)", "")],
    },
    Panel {
        code: "INR",
        name: "TP / INR",
        analytes: &[analyte("6301-6", "INR", "")],
    },
];

/// Analytes whose value is a number even without a unit.
const NUMERIC_WITHOUT_UNIT: &[&str] = &["2744-1", "6301-6"];

/// Specimens offered by the request form.
const SPECIMENS: &[&str] = &[
    "Sang veineux",
    "Sang artériel",
    "Urines",
    "Liquide céphalo-rachidien",
    "Autre",
];

/// Furthest ahead a sampling time may be (a sample to take later).
const AHEAD_MS: i64 = 24 * 3_600_000;
/// Furthest back a sampling time may be.
const BACK_MS: i64 = 7 * 24 * 3_600_000;
/// How many ids an id clash with another terminal retries.
const ID_ATTEMPTS: usize = 3;
/// Target of the nursing note that acknowledges a critical result.
const ACK_TARGET: &str = "Résultat critique";
/// Id prefix of those notes.
const ACK_PREFIX: &str = "note-crit-";

fn panel(code: &str) -> Option<&'static Panel> {
    PANELS.iter().find(|p| p.code == code)
}

/// The label page of a request.
pub(crate) fn label_href(id: &str) -> String {
    format!("/soins/biologie/{}", unit_segment(id))
}

/// The unit's lab page.
pub(crate) fn unit_href(code: &str) -> String {
    format!("/soins/unites/{}/biologie", unit_segment(code))
}

/// The request form of a patient.
pub(crate) fn request_href(key: &PatientKey) -> String {
    format!("/soins/biologie/demande?patient={}", key_param(key))
}

// ---------------------------------------------------------------------------
// The request.

/// `?patient=KEY`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PatientParams {
    #[serde(default)]
    patient: String,
}

/// The request form's fields (ticked panels repeat `bilan`).
#[derive(Debug, Default)]
struct RequestFields {
    patient: String,
    panels: Vec<String>,
    autres: String,
    prelevement: String,
    heure: String,
    urgent: bool,
    prescripteur: String,
    commentaire: String,
}

impl RequestFields {
    fn read(body: &[u8]) -> RequestFields {
        let mut fields = RequestFields::default();
        for (name, value) in form_pairs(body) {
            match name.as_str() {
                "patient" => fields.patient = value,
                "bilan" => fields.panels.push(value),
                "autres" => fields.autres = value,
                "prelevement" => fields.prelevement = value,
                "heure" => fields.heure = value,
                "urgent" => fields.urgent = !value.is_empty(),
                "prescripteur" => fields.prescripteur = value,
                "commentaire" => fields.commentaire = value,
                _ => {}
            }
        }
        fields
    }

    /// Tests, specimen, sampling time, requester, comment; or what is
    /// wrong.
    fn parse(&self, fmt: &Fmt<'_>) -> Result<Parsed, String> {
        let tr = fmt.tr;
        let too_long = |max: usize| tr.fmt("flow.error_too_long", &[("max", &max.to_string())]);
        let mut tests = Vec::new();
        for code in &self.panels {
            let found = panel(code.trim())
                .ok_or_else(|| tr.fmt("flow.lab.error_panel", &[("panel", code)]))?;
            if !tests
                .iter()
                .any(|t: &Coded| t.code.as_deref() == Some(found.code))
            {
                tests.push(Coded {
                    code: Some(found.code.to_owned()),
                    system: Some(PANEL_SYSTEM.to_owned()),
                    text: found.name.to_owned(),
                });
            }
        }
        if let Some(others) = typed(&self.autres).map_err(too_long)? {
            for name in others.split([',', ';']).filter_map(|t| clean(Some(t))) {
                tests.push(Coded {
                    code: None,
                    system: None,
                    text: name,
                });
            }
        }
        if tests.is_empty() {
            return Err(tr.t("flow.lab.error_no_test").to_owned());
        }
        let specimen = SPECIMENS
            .iter()
            .find(|s| **s == self.prelevement.trim())
            .ok_or_else(|| tr.t("flow.lab.error_specimen").to_owned())?;
        let sampled = match self.heure.trim() {
            "" => moment_at(fmt.zone, fmt.now_ms),
            text => {
                let moment = read_local(fmt.zone, text)
                    .ok_or_else(|| tr.fmt("flow.error_time", &[("time", text)]))?;
                let ms = moment_ms(&moment).unwrap_or(fmt.now_ms);
                if ms > fmt.now_ms + AHEAD_MS || ms < fmt.now_ms - BACK_MS {
                    return Err(tr.t("flow.lab.error_time_range").to_owned());
                }
                moment
            }
        };
        let requester = typed(&self.prescripteur)
            .map_err(too_long)?
            .ok_or_else(|| tr.t("flow.lab.error_requester").to_owned())?;
        Ok(Parsed {
            tests,
            specimen: (*specimen).to_owned(),
            sampled,
            requester,
            comment: typed(&self.commentaire).map_err(too_long)?,
        })
    }
}

#[derive(Debug)]
struct Parsed {
    tests: Vec<Coded>,
    specimen: String,
    sampled: Moment,
    requester: String,
    comment: Option<String>,
}

struct PanelBox {
    code: &'static str,
    name: &'static str,
    checked: bool,
}

struct SpecimenChoice {
    name: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "care/flows/lab_request.html")]
struct RequestTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    open: bool,
    error: Option<String>,
    who: IdentityView,
    key: &'a str,
    panels: Vec<PanelBox>,
    others: &'a str,
    specimens: Vec<SpecimenChoice>,
    time: String,
    urgent: bool,
    requester: String,
    comment: &'a str,
    back: String,
}

/// The unit of the patient's stays where `caller` reaches `action`.
fn unit_in_scope(
    caller: &Caller,
    action: Action,
    chart: &ckisa_store::PatientChart,
) -> Option<String> {
    stay_units(chart)
        .find(|unit| caller.may_see_unit(action, unit))
        .map(str::to_owned)
}

async fn show_request(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    fields: &RequestFields,
    error: Option<String>,
) -> Result<Response, AppError> {
    let csrf = caller.csrf()?;
    let (key, chart) = patient_for(state, caller, Action::LabRequest, &fields.patient).await?;
    let open = state.downtime_open().await.is_ok();
    let fmt = ctx.fmt(state);
    let unit = unit_in_scope(caller, Action::LabRequest, &chart).unwrap_or_default();
    let status = form_status(error.as_deref());
    let main = RequestTemplate {
        tr: fmt.tr,
        csrf,
        open,
        error,
        who: IdentityView::of(&fmt, &chart.identity, chart.stay.as_ref()),
        key: key.as_str(),
        panels: PANELS
            .iter()
            .map(|p| PanelBox {
                code: p.code,
                name: p.name,
                checked: fields.panels.iter().any(|c| c == p.code),
            })
            .collect(),
        others: &fields.autres,
        specimens: SPECIMENS
            .iter()
            .map(|name| SpecimenChoice {
                name,
                selected: fields.prelevement.trim() == *name
                    || (fields.prelevement.is_empty() && *name == SPECIMENS[0]),
            })
            .collect(),
        time: time_field(&fmt, &fields.heure),
        urgent: fields.urgent,
        requester: if fields.prescripteur.is_empty() {
            display_name(caller)
        } else {
            fields.prescripteur.clone()
        },
        comment: &fields.commentaire,
        back: unit_href(&unit),
    }
    .render()?;
    let title = fmt.tr.t("flow.lab.request_title");
    layout::respond_form(state, ctx, title, Nav::None, main, status)
}

/// `GET /soins/biologie/demande?patient=KEY`.
pub(crate) async fn request_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<PatientParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    let fields = RequestFields {
        patient: params.patient,
        ..RequestFields::default()
    };
    show_request(&state, &ctx, &caller, &fields, None).await
}

/// `POST /soins/biologie/demande`.
pub(crate) async fn request_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let fields = RequestFields::read(&body);
    let (_, chart) = patient_for(&state, &caller, Action::LabRequest, &fields.patient).await?;
    let fmt = ctx.fmt(&state);
    let parsed = match fields.parse(&fmt) {
        Ok(parsed) => parsed,
        Err(error) => return show_request(&state, &ctx, &caller, &fields, Some(error)).await,
    };
    let Some(unit) = unit_in_scope(&caller, Action::LabRequest, &chart) else {
        return Err(not_in_house(fmt.tr, &chart));
    };
    let encounter = chart
        .stay
        .iter()
        .chain(&chart.other_stays)
        .find(|s| s.unit.as_deref() == Some(unit.as_str()))
        .map(|s| EncounterKey(s.encounter.clone()));
    let mut request = LabRequest {
        id: String::new(),
        patient: chart.identity.patient.clone(),
        encounter,
        unit: unit.clone(),
        tests: parsed.tests,
        specimen: parsed.specimen,
        sampled_at: parsed.sampled,
        requester: ResourceRef {
            reference: None,
            identifier: caller.login().map(|login| Identifier {
                value: login.to_owned(),
                system: Some("urn:ckisa:compte".to_owned()),
                kind: None,
            }),
            display: Some(parsed.requester),
        },
        urgent: fields.urgent,
        comment: parsed.comment,
    };
    let mut clashed: HashSet<String> = HashSet::new();
    for _ in 0..ID_ATTEMPTS {
        let (id, seen) = {
            let book = state.care_book().await?;
            let id = carelab::request_id(fmt.now_ms, |id| {
                book.lab_request(id).is_some() || clashed.contains(id)
            })
            .ok_or_else(|| AppError::Refused(fmt.tr.t("flow.lab.no_id").to_owned()))?;
            (id, book.last_care_event())
        };
        request.id = id.clone();
        let clash = Arc::new(AtomicBool::new(false));
        let check: StoreCheck = {
            let (id, clash) = (id.clone(), Arc::clone(&clash));
            Box::new(move |store: &dyn Store| id_still_free(store, &id, seen, &clash))
        };
        let detail = format!("demande {id} {unit}");
        let recorded = state
            .care_record(
                &caller,
                Action::LabRequest,
                Some(request.patient.as_str()),
                &detail,
                vec![CareFact::LabRequested(request.clone())],
                Some(check),
            )
            .await;
        match recorded {
            Ok(_) => return Ok(redirect(&label_href(&id))),
            Err(_) if clash.load(Ordering::Acquire) => {
                clashed.insert(id);
            }
            Err(error) => return Err(error),
        }
    }
    Err(AppError::Refused(fmt.tr.t("flow.lab.no_id").to_owned()))
}

/// The check under the write lock: no care event recorded since the book
/// was read (`seen`) took the same request id (another terminal in the
/// same tenth of a second).
fn id_still_free(
    store: &dyn Store,
    id: &str,
    seen: Option<EventId>,
    clash: &AtomicBool,
) -> Result<(), AppError> {
    let since = ckisa_care::ledger::events_of_kind(store, ckisa_care::ledger::KIND, seen)?;
    let taken = since
        .iter()
        .any(|event| matches!(&event.fact, Fact::Care(CareFact::LabRequested(l)) if l.id == id));
    if taken {
        clash.store(true, Ordering::Release);
        return Err(AppError::Refused(String::new()));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The label.

/// A request found by its id in the book, with the identity of its patient,
/// for a caller who may see its unit.
async fn request_for(
    state: &AppState,
    caller: &Caller,
    action: Action,
    id: &str,
) -> Result<(LabRequest, Identity), AppError> {
    let request = {
        let book = state.care_book().await?;
        book.lab_request(id).map(|(_, request)| request.clone())
    };
    let Some(request) = request else {
        caller.audit(
            state,
            Audited::failed(action)
                .target(id)
                .detail("demande inconnue"),
        );
        return Err(AppError::PageNotFound);
    };
    if !caller.may_see_unit(action, &request.unit) {
        caller.audit(
            state,
            Audited::denied(action)
                .patient(request.patient.as_str())
                .target(id),
        );
        return Err(AppError::OutsideUnits);
    }
    let asked = request.patient.clone();
    let chart = state
        .read(move |store| store.patient_chart(&asked))
        .await?
        .ok_or(AppError::PatientNotFound)?;
    caller.audit(
        state,
        Audited::allowed(action)
            .patient(request.patient.as_str())
            .target(id),
    );
    Ok((request, chart.identity))
}

/// What a request says, for the label and the lab bench.
struct RequestView {
    id: String,
    grouped: String,
    tests: String,
    specimen: String,
    sampled: String,
    urgent: bool,
    requester: String,
    comment: String,
    unit: String,
}

impl RequestView {
    fn of(fmt: &Fmt<'_>, request: &LabRequest) -> RequestView {
        RequestView {
            id: request.id.clone(),
            grouped: carelab::label_text(&request.id),
            tests: request
                .tests
                .iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            specimen: request.specimen.clone(),
            sampled: request.sampled_at.display_fr(fmt.zone),
            urgent: request.urgent,
            requester: request
                .requester
                .display
                .clone()
                .unwrap_or_else(|| "—".to_owned()),
            comment: request.comment.clone().unwrap_or_default(),
            unit: request.unit.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "care/flows/lab_label.html")]
struct LabelTemplate {
    tr: Tr,
    who: IdentityView,
    request: RequestView,
    barcode: Option<Bars>,
    pdf_href: String,
    back: String,
}

/// `GET /soins/biologie/{id}`: the specimen label on screen.
pub(crate) async fn label_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (request, identity) = request_for(&state, &caller, Action::LabRequest, &id).await?;
    let fmt = ctx.fmt(&state);
    let main = LabelTemplate {
        tr: fmt.tr,
        who: IdentityView::of(&fmt, &identity, None),
        barcode: Bars::of(&request.id),
        pdf_href: format!("{}/etiquette.pdf", label_href(&request.id)),
        back: unit_href(&request.unit),
        request: RequestView::of(&fmt, &request),
    }
    .render()?;
    let page = Page {
        title: fmt.tr.t("flow.lab.label_title"),
        nav: Nav::None,
        query: "",
        main,
    };
    layout::respond_bare(&state, &ctx, page)
}

/// `GET /soins/biologie/{id}/etiquette.pdf`: the label for the printer.
pub(crate) async fn label_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (request, identity) = request_for(&state, &caller, Action::LabRequest, &id).await?;
    let (now_ms, zone) = (state.now_ms(), state.config().zone.clone());
    let pdf = tokio::task::spawn_blocking(move || {
        ckisa_care::paper::specimen_label(&request, &identity, now_ms, &zone)
    })
    .await?
    .map_err(|error| AppError::Refused(error.to_string()))?;
    let disposition = format!("inline; filename=\"etiquette-{}.pdf\"", file_safe(&id));
    Ok(pdf_response(disposition, pdf))
}

/// Letters, digits, `-` and `_` of `text`, for a file name.
fn file_safe(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect()
}

// ---------------------------------------------------------------------------
// The lab bench.

/// `?etiquette=` (what the scanner typed) and `?enregistre=1`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct BenchParams {
    #[serde(default)]
    etiquette: Option<String>,
    #[serde(default)]
    enregistre: Option<String>,
}

/// One value to type.
struct ResultLine {
    index: usize,
    key: String,
    name: String,
    value: String,
    unit: String,
    flag: String,
    critical: Option<String>,
    text: bool,
}

/// A requested test and its values.
struct TestBlock {
    name: String,
    lines: Vec<ResultLine>,
}

struct PendingLine {
    id: String,
    href: String,
    unit: String,
    sampled: String,
    urgent: bool,
    tests: String,
}

#[derive(Template)]
#[template(path = "care/flows/lab_bench.html")]
struct BenchTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    scanned: String,
    error: Option<String>,
    saved: bool,
    found: Option<Found>,
    pending: Vec<PendingLine>,
    flags: Vec<FlagChoice>,
}

struct Found {
    who: IdentityView,
    request: RequestView,
    blocks: Vec<TestBlock>,
}

struct FlagChoice {
    value: &'static str,
    label: &'static str,
}

/// Interpretation flags offered per value (the table may still make a
/// value critical).
fn flag_choices(tr: Tr) -> Vec<FlagChoice> {
    [
        ("", "flow.lab.flag_none"),
        ("L", "flow.lab.flag_low"),
        ("H", "flow.lab.flag_high"),
        ("LL", "flow.lab.flag_critical_low"),
        ("HH", "flow.lab.flag_critical_high"),
        ("AA", "flow.lab.flag_critical"),
    ]
    .into_iter()
    .map(|(value, key)| FlagChoice {
        value,
        label: tr.t(key),
    })
    .collect()
}

/// One value to type for a request.
#[derive(Debug, Clone)]
struct Wanted {
    /// `IONO-2823-3` (panel and analyte), or `T3` for the third test,
    /// typed freely: the observation id is the request id and this key.
    key: String,
    code: Coded,
    /// Default unit.
    unit: &'static str,
    /// A text result (a culture), not a number.
    text: bool,
}

/// The lines to type for a request, per requested test: the analytes of
/// each panel, one line for a test typed freely.
fn result_keys(request: &LabRequest) -> Vec<(String, Vec<Wanted>)> {
    request
        .tests
        .iter()
        .enumerate()
        .map(|(n, test)| {
            let found = test
                .code
                .as_deref()
                .filter(|_| test.system.as_deref() == Some(PANEL_SYSTEM))
                .and_then(panel);
            let lines = match found {
                Some(panel) => panel
                    .analytes
                    .iter()
                    .map(|a| {
                        let coded = Coded {
                            code: Some(a.code.to_owned()),
                            system: Some(LOINC.to_owned()),
                            text: a.name.to_owned(),
                        };
                        Wanted {
                            key: format!("{}-{}", panel.code, a.code),
                            code: coded,
                            unit: a.unit,
                            text: a.unit.is_empty() && !NUMERIC_WITHOUT_UNIT.contains(&a.code),
                        }
                    })
                    .collect(),
                None => vec![Wanted {
                    key: format!("T{}", n + 1),
                    code: test.clone(),
                    unit: "",
                    text: false,
                }],
            };
            (test.text.clone(), lines)
        })
        .collect()
}

/// The id of the observation for `request`'s line `key`.
fn observation_id(request: &str, key: &str) -> String {
    format!("{request}-{key}")
}

/// The results recorded for each request, by request id (latest version
/// of each, in log order).
fn results_by_request(book: &CareBook) -> HashMap<&str, Vec<(&Entry, &Observation)>> {
    let mut found: HashMap<&str, Vec<(&Entry, &Observation)>> = HashMap::new();
    for entry in book.entries() {
        if let CareFact::Entered(fact) = &entry.fact
            && let Fact::ObservationRecorded(observation) = fact.as_ref()
            && observation.category == ObservationCategory::Lab
            && let Some(report) = observation.report.as_deref()
        {
            found.entry(report).or_default().push((entry, observation));
        }
    }
    found
}

fn value_text(value: &ObservationValue) -> (String, String) {
    match value {
        ObservationValue::Quantity { value, unit } => {
            (value.replace('.', ","), unit.clone().unwrap_or_default())
        }
        ObservationValue::Text(text) => (text.clone(), String::new()),
        _ => (String::new(), String::new()),
    }
}

async fn show_bench(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    scanned: &str,
    saved: bool,
    typed_back: Option<(&HashMap<String, String>, String)>,
) -> Result<Response, AppError> {
    let csrf = caller.csrf()?;
    let fmt = ctx.fmt(state);
    let tr = fmt.tr;
    let mut error = typed_back.as_ref().map(|(_, e)| e.clone());
    let mut found = None;
    let mut status = StatusCode::OK;
    if !scanned.trim().is_empty() {
        match carelab::parse_label(scanned) {
            Err(refusal) => {
                caller.audit(
                    state,
                    Audited::failed(Action::LabResult).detail("étiquette illisible"),
                );
                error = Some(label_refusal(tr, &refusal));
                status = StatusCode::BAD_REQUEST;
            }
            Ok(id) => match request_for(state, caller, Action::LabResult, &id).await {
                Ok((request, identity)) => {
                    let book = state.care_book().await?;
                    let recorded = results_by_request(&book);
                    let done = recorded.get(request.id.as_str());
                    found = Some(Found {
                        who: IdentityView::of(&fmt, &identity, None),
                        blocks: blocks(
                            &request,
                            done.map_or(&[][..], Vec::as_slice),
                            typed_back.as_ref().map(|(t, _)| *t),
                        ),
                        request: RequestView::of(&fmt, &request),
                    });
                }
                Err(AppError::PageNotFound) => {
                    error = Some(tr.fmt("flow.lab.unknown_request", &[("id", &id)]));
                    status = StatusCode::NOT_FOUND;
                }
                Err(other) => return Err(other),
            },
        }
    }
    if typed_back.is_some() {
        status = StatusCode::BAD_REQUEST;
    }
    let pending = {
        let book = state.care_book().await?;
        let recorded = results_by_request(&book);
        let mut pending: Vec<PendingLine> = book
            .all_lab_requests()
            .filter(|(_, r)| !recorded.contains_key(r.id.as_str()))
            .map(|(_, r)| PendingLine {
                id: carelab::label_text(&r.id),
                href: format!("/soins/labo?etiquette={}", r.id),
                unit: r.unit.clone(),
                sampled: r.sampled_at.display_fr(fmt.zone),
                urgent: r.urgent,
                tests: r
                    .tests
                    .iter()
                    .map(|t| t.text.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect();
        pending.sort_by_key(|p| !p.urgent);
        pending
    };
    let main = BenchTemplate {
        tr,
        csrf,
        scanned: if found.is_some() {
            String::new()
        } else {
            scanned.trim().to_owned()
        },
        error,
        saved: saved && found.is_some(),
        found,
        pending,
        flags: flag_choices(tr),
    }
    .render()?;
    let title = tr.t("flow.lab.bench_title");
    layout::respond_form(state, ctx, title, Nav::None, main, status)
}

fn label_refusal(tr: Tr, refusal: &LabelError) -> String {
    tr.fmt("flow.lab.bad_label", &[("reason", &refusal.to_string())])
}

/// The lines of a request, filled with what was recorded (or typed back
/// after a refusal).
fn blocks(
    request: &LabRequest,
    recorded: &[(&Entry, &Observation)],
    typed: Option<&HashMap<String, String>>,
) -> Vec<TestBlock> {
    let mut index = 0;
    result_keys(request)
        .into_iter()
        .map(|(name, lines)| TestBlock {
            name,
            lines: lines
                .into_iter()
                .map(
                    |Wanted {
                         key,
                         code: coded,
                         unit,
                         text,
                     }| {
                        index += 1;
                        let id = observation_id(&request.id, &key);
                        let before = recorded.iter().find(|(_, o)| o.id == id).map(|(_, o)| *o);
                        let (mut value, mut shown_unit) = before.map_or_else(
                            || (String::new(), unit.to_owned()),
                            |o| value_text(&o.value),
                        );
                        if shown_unit.is_empty() {
                            shown_unit = unit.to_owned();
                        }
                        let mut flag = before
                            .and_then(|o| o.interpretation.clone())
                            .unwrap_or_default();
                        if let Some(typed) = typed {
                            value = typed.get(&format!("v{index}")).cloned().unwrap_or_default();
                            shown_unit =
                                typed.get(&format!("u{index}")).cloned().unwrap_or_default();
                            flag = typed.get(&format!("f{index}")).cloned().unwrap_or_default();
                        }
                        ResultLine {
                            index,
                            key,
                            name: coded.text,
                            value,
                            unit: shown_unit,
                            flag,
                            critical: before
                                .and_then(carelab::critical_observation)
                                .map(|c| c.message),
                            text,
                        }
                    },
                )
                .collect(),
        })
        .collect()
}

/// `GET /soins/labo[?etiquette=...]`.
pub(crate) async fn bench_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<BenchParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    let scanned = params.etiquette.unwrap_or_default();
    show_bench(
        &state,
        &ctx,
        &caller,
        &scanned,
        params.enregistre.is_some(),
        None,
    )
    .await
}

/// A value typed for one line, checked.
fn read_value(
    tr: Tr,
    name: &str,
    typed: &str,
    unit: &str,
    text: bool,
) -> Result<ObservationValue, String> {
    let typed = typed.trim();
    if text {
        return Ok(ObservationValue::Text(typed.to_owned()));
    }
    let unit = clean(Some(unit));
    let number = typed.replace(',', ".");
    let digits = number.trim_start_matches(['<', '>', '≤', '≥', '=']).trim();
    let numeric = !digits.is_empty()
        && digits.parse::<f64>().is_ok_and(f64::is_finite)
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'));
    if numeric {
        return Ok(ObservationValue::Quantity {
            value: number,
            unit,
        });
    }
    Err(tr.fmt("flow.lab.error_value", &[("value", typed), ("test", name)]))
}

/// `POST /soins/labo/resultats`.
pub(crate) async fn results_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let typed: HashMap<String, String> = form_pairs(&body).into_iter().collect();
    let id = typed.get("demande").cloned().unwrap_or_default();
    let fmt = ctx.fmt(&state);
    let id = match carelab::parse_label(&id) {
        Ok(id) => id,
        Err(refusal) => return Err(AppError::Refused(label_refusal(fmt.tr, &refusal))),
    };
    let (request, _) = request_for(&state, &caller, Action::LabResult, &id).await?;
    let by = display_name(&caller);
    let mut facts = Vec::new();
    let mut index = 0;
    let mut problem = None;
    'lines: for (_, lines) in result_keys(&request) {
        for Wanted {
            key,
            code: coded,
            text,
            ..
        } in lines
        {
            index += 1;
            let value = typed.get(&format!("v{index}")).map_or("", |v| v.trim());
            if value.is_empty() {
                continue;
            }
            if typed.get(&format!("k{index}")).map(String::as_str) != Some(key.as_str()) {
                problem = Some(fmt.tr.t("flow.lab.error_stale").to_owned());
                break 'lines;
            }
            let unit = typed.get(&format!("u{index}")).map_or("", String::as_str);
            let flag = typed.get(&format!("f{index}")).map_or("", |f| f.trim());
            if !matches!(flag, "" | "L" | "H" | "LL" | "HH" | "AA") {
                problem = Some(fmt.tr.t("flow.lab.error_flag").to_owned());
                break 'lines;
            }
            match read_value(fmt.tr, &coded.text, value, unit, text) {
                Ok(value) => facts.push(result_fact(&request, &key, coded, value, flag, &by)),
                Err(error) => {
                    problem = Some(error);
                    break 'lines;
                }
            }
        }
    }
    if problem.is_none() && facts.is_empty() {
        problem = Some(fmt.tr.t("flow.lab.error_no_value").to_owned());
    }
    if let Some(error) = problem {
        return show_bench(&state, &ctx, &caller, &id, false, Some((&typed, error))).await;
    }
    let detail = format!("résultats {id} ({})", facts.len());
    state
        .care_record(
            &caller,
            Action::LabResult,
            Some(request.patient.as_str()),
            &detail,
            facts,
            None,
        )
        .await?;
    Ok(redirect(&format!(
        "/soins/labo?etiquette={id}&enregistre=1"
    )))
}

/// The observation of one value: the table's verdict makes a value
/// critical even if the lab did not flag it so.
fn result_fact(
    request: &LabRequest,
    key: &str,
    code: Coded,
    value: ObservationValue,
    flag: &str,
    by: &str,
) -> CareFact {
    let mut observation = Observation {
        id: observation_id(&request.id, key),
        patient: request.patient.clone(),
        encounter: request.encounter.clone(),
        category: ObservationCategory::Lab,
        code,
        value,
        reference_range: None,
        interpretation: (!flag.is_empty()).then(|| flag.to_owned()),
        effective: Some(request.sampled_at),
        status: Some("F".to_owned()),
        report: Some(request.id.clone()),
        notes: vec![format!("Saisi en mode dégradé par {by}")],
    };
    if let Some(critical) = carelab::critical_observation(&observation) {
        let upgraded = match critical.direction {
            carelab::Direction::Low => "LL",
            carelab::Direction::High => "HH",
            carelab::Direction::Flagged => flag,
        };
        observation.interpretation = Some(upgraded.to_owned());
    }
    CareFact::Entered(Box::new(Fact::ObservationRecorded(observation)))
}

// ---------------------------------------------------------------------------
// The unit's requests.

struct ResultView {
    name: String,
    value: String,
    flag: String,
    critical: Option<String>,
    acknowledged: Option<String>,
}

struct UnitRequest {
    id: String,
    label_href: String,
    patient: String,
    sampled: String,
    urgent: bool,
    tests: String,
    resulted: bool,
    results: Vec<ResultView>,
    /// Critical results not acknowledged yet.
    to_acknowledge: usize,
}

#[derive(Template)]
#[template(path = "care/flows/lab_unit.html")]
struct UnitTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    title: String,
    open: bool,
    ack_action: String,
    beds_href: String,
    critical_count: usize,
    requests: Vec<UnitRequest>,
}

/// The acknowledgment notes of the book, by id.
fn acknowledgments(book: &CareBook) -> HashMap<&str, (&Entry, &NursingNote)> {
    book.entries()
        .iter()
        .filter_map(|entry| match &entry.fact {
            CareFact::Note(note) if note.id.starts_with(ACK_PREFIX) => {
                Some((note.id.as_str(), (entry, note)))
            }
            _ => None,
        })
        .collect()
}

fn ack_id(entry: &Entry) -> String {
    format!("{ACK_PREFIX}{}", entry.event)
}

/// `GET /soins/unites/{code}/biologie`.
pub(crate) async fn unit_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    unit_for(&state, &caller, Action::LabRequest, &code)?;
    let csrf = caller.csrf()?;
    let fmt = ctx.fmt(&state);
    let (mut requests, keys) = {
        let book = state.care_book().await?;
        let recorded = results_by_request(&book);
        let acks = acknowledgments(&book);
        let mut keys: Vec<PatientKey> = Vec::new();
        let requests: Vec<(PatientKey, UnitRequest)> = book
            .all_lab_requests()
            .filter(|(_, r)| r.unit == code)
            .map(|(_, r)| {
                keys.push(r.patient.clone());
                let done = recorded.get(r.id.as_str()).map_or(&[][..], Vec::as_slice);
                (r.patient.clone(), unit_request(&fmt, r, done, &acks))
            })
            .collect();
        (requests, keys)
    };
    let (names, feeds) = state
        .read(move |store| {
            let mut names = HashMap::new();
            for key in keys {
                if names.contains_key(&key) {
                    continue;
                }
                if let Some(chart) = store.patient_chart(&key)? {
                    let identity = chart.identity;
                    names.insert(
                        key,
                        full_name(identity.family.as_deref(), identity.given.as_deref()),
                    );
                }
            }
            Ok((names, store.feeds()?))
        })
        .await?;
    for (key, request) in &mut requests {
        request.patient = names.get(key).cloned().unwrap_or_else(|| key.0.clone());
    }
    let mut requests: Vec<UnitRequest> = requests.into_iter().map(|(_, r)| r).collect();
    requests.reverse();
    let critical_count = requests.iter().map(|r| r.to_acknowledge).sum();
    let title = fmt.tr.fmt("flow.lab.unit_title", &[("unit", &code)]);
    let main = UnitTemplate {
        tr: fmt.tr,
        csrf,
        title: title.clone(),
        open: state.downtime_open().await.is_ok(),
        ack_action: format!("{}/vu", unit_href(&code)),
        beds_href: super::movements::unit_href(&code),
        critical_count,
        requests,
    }
    .render()?;
    let page = Page {
        title: &title,
        nav: Nav::Units,
        query: "",
        main,
    };
    layout::respond(&state, &ctx, &feeds, page)
}

fn unit_request(
    fmt: &Fmt<'_>,
    request: &LabRequest,
    recorded: &[(&Entry, &Observation)],
    acks: &HashMap<&str, (&Entry, &NursingNote)>,
) -> UnitRequest {
    let results: Vec<ResultView> = recorded
        .iter()
        .map(|(entry, observation)| {
            let critical = carelab::critical_observation(observation).map(|c| c.message);
            let acknowledged = critical.as_ref().and_then(|_| {
                acks.get(ack_id(entry).as_str()).map(|(ack, note)| {
                    fmt.tr.fmt(
                        "flow.lab.acknowledged",
                        &[("who", &note.by), ("at", &fmt.wall(ack.recorded_ms))],
                    )
                })
            });
            ResultView {
                name: observation.code.text.clone(),
                value: fmt.observation_value(&observation.value),
                flag: observation
                    .interpretation
                    .as_deref()
                    .map(|raw| crate::codes::flag(fmt.tr, raw).shown.text)
                    .unwrap_or_default(),
                critical,
                acknowledged,
            }
        })
        .collect();
    UnitRequest {
        id: carelab::label_text(&request.id),
        label_href: label_href(&request.id),
        patient: String::new(),
        sampled: request.sampled_at.display_fr(fmt.zone),
        urgent: request.urgent,
        tests: request
            .tests
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        resulted: !results.is_empty(),
        to_acknowledge: results
            .iter()
            .filter(|r| r.critical.is_some() && r.acknowledged.is_none())
            .count(),
        results,
    }
}

/// `POST /soins/unites/{code}/biologie/vu`: acknowledges the critical
/// results of one request (`demande`).
pub(crate) async fn acknowledge(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(code): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    unit_for(&state, &caller, Action::LabRequest, &code)?;
    let typed: HashMap<String, String> = form_pairs(&body).into_iter().collect();
    let fmt = ctx.fmt(&state);
    let id = carelab::parse_label(typed.get("demande").map_or("", String::as_str))
        .map_err(|refusal| AppError::Refused(label_refusal(fmt.tr, &refusal)))?;
    let by = display_name(&caller);
    let (patient, notes) = {
        let book = state.care_book().await?;
        let Some((_, request)) = book.lab_request(&id) else {
            return Err(AppError::PageNotFound);
        };
        if request.unit != code {
            return Err(AppError::PageNotFound);
        }
        let acks = acknowledgments(&book);
        let recorded = results_by_request(&book);
        let now = moment_at(fmt.zone, fmt.now_ms);
        let notes: Vec<CareFact> = recorded
            .get(id.as_str())
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter(|(entry, _)| !acks.contains_key(ack_id(entry).as_str()))
            .filter_map(|(entry, observation)| {
                let critical = carelab::critical_observation(observation)?;
                Some(CareFact::Note(NursingNote {
                    id: ack_id(entry),
                    patient: request.patient.clone(),
                    encounter: request.encounter.clone(),
                    target: ACK_TARGET.to_owned(),
                    data: format!("{} — {}", carelab::label_text(&id), critical.message),
                    actions: format!("Résultat critique pris en compte par {by}"),
                    results: String::new(),
                    at: now,
                    by: by.clone(),
                    for_handover: true,
                }))
            })
            .collect();
        (request.patient.clone(), notes)
    };
    if !notes.is_empty() {
        let detail = format!("résultat critique vu {id}");
        state
            .care_record(
                &caller,
                Action::LabRequest,
                Some(patient.as_str()),
                &detail,
                notes,
                None,
            )
            .await?;
    }
    Ok(redirect(&unit_href(&code)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    const FR: Tr = Tr(Lang::Fr);

    #[test]
    fn values_are_numbers_with_a_decimal_comma_or_text() {
        let quantity = read_value(FR, "Potassium", " 6,8 ", "mmol/L", false).expect("a number");
        assert_eq!(
            quantity,
            ObservationValue::Quantity {
                value: "6.8".into(),
                unit: Some("mmol/L".into())
            }
        );
        let below = read_value(FR, "Troponine", "<3", "ng/L", false).expect("a bound");
        assert!(matches!(below, ObservationValue::Quantity { value, .. } if value == "<3"));
        let error = read_value(FR, "Potassium", "six", "mmol/L", false).unwrap_err();
        assert!(
            error.contains("« six »") && error.contains("Potassium"),
            "{error}"
        );
        let text = read_value(FR, "Culture", "E. coli", "", true).expect("text");
        assert_eq!(text, ObservationValue::Text("E. coli".into()));
    }

    #[test]
    fn a_value_past_the_table_is_recorded_critical_even_unflagged() {
        let request = LabRequest {
            id: "DT00000000000".into(),
            patient: PatientKey("p".into()),
            encounter: None,
            unit: "REA".into(),
            tests: vec![Coded {
                code: Some("IONO".into()),
                system: Some(PANEL_SYSTEM.into()),
                text: "Ionogramme sanguin".into(),
            }],
            specimen: "Sang veineux".into(),
            sampled_at: Moment::date(2026, 12, 4).expect("a date"),
            requester: ResourceRef::default(),
            urgent: false,
            comment: None,
        };
        let keys = result_keys(&request);
        assert_eq!(keys.len(), 1);
        let Wanted {
            key,
            code: coded,
            unit,
            text,
        } = keys[0].1[1].clone();
        assert_eq!((key.as_str(), unit, text), ("IONO-2823-3", "mmol/L", false));
        let value = ObservationValue::Quantity {
            value: "6.8".into(),
            unit: Some("mmol/L".into()),
        };
        let CareFact::Entered(fact) = result_fact(&request, &key, coded, value, "", "IDE") else {
            panic!("an entered fact");
        };
        let Fact::ObservationRecorded(observation) = *fact else {
            panic!("an observation");
        };
        assert_eq!(observation.interpretation.as_deref(), Some("HH"));
        assert_eq!(observation.id, "DT00000000000-IONO-2823-3");
        assert_eq!(observation.report.as_deref(), Some("DT00000000000"));
    }

    #[test]
    fn a_request_needs_a_test_a_specimen_and_a_requester() {
        let zone = jiff::tz::TimeZone::get("Europe/Paris").expect("zone");
        let fmt = Fmt {
            tr: FR,
            zone: &zone,
            now_ms: 1_796_382_000_000,
        };
        let fields = RequestFields::read(
            b"patient=p&bilan=IONO&bilan=NFS&bilan=IONO&autres=Ferritine%3B+CRP&prelevement=Urines&prescripteur=Dr+A&heure=",
        );
        let parsed = fields.parse(&fmt).expect("valid");
        let names: Vec<&str> = parsed.tests.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            names,
            [
                "Ionogramme sanguin",
                "NFS (numération formule sanguine)",
                "Ferritine",
                "CRP"
            ]
        );
        assert_eq!(parsed.specimen, "Urines");
        let none = RequestFields::read(b"patient=p&prelevement=Urines&prescripteur=A");
        assert!(none.parse(&fmt).unwrap_err().contains("examen"));
        let forged = RequestFields::read(b"patient=p&bilan=XYZ&prelevement=Urines&prescripteur=A");
        assert!(forged.parse(&fmt).unwrap_err().contains("XYZ"));
        let far = RequestFields::read(
            b"patient=p&bilan=NFS&prelevement=Urines&prescripteur=A&heure=2027-01-04T08%3A00",
        );
        assert!(far.parse(&fmt).unwrap_err().contains("prélèvement"));
    }
}
