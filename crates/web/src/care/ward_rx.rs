//! Downtime prescriptions: a physician prescribes, changes and stops
//! (`/soins/prescriptions`, `/soins/prescriptions/arret`), and the pharmacy
//! reviews what was prescribed during the downtime (`/soins/pharmacie`).
//!
//! The first submit of a prescription runs `ckisa_care::prescribe`'s checks
//! against the chart's allergies and active prescriptions; with a warning,
//! nothing is stored until the physician ticks « signer malgré l'alerte »
//! for exactly the warnings shown (a prescription changed after reading them
//! is checked again). Signing records `CareFact::Entered` around a
//! `Fact::MedicationRecorded` with a new id, the physician as prescriber,
//! starting now and ending after its duration: the chart, the grid and the
//! paper sheets follow.
//!
//! A stop is the same prescription again, inactive, ending now, the reason
//! in its note. A change is a stop and a new prescription recorded
//! together (one commit): the new one gets its own id and its own
//! pharmaceutical review, and doses already given stay with the old one, so
//! nothing already documented changes meaning.

use std::collections::{BTreeMap, HashSet};

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use ckisa_auth::Action;
use ckisa_care::mar;
use ckisa_care::prescribe::{self, PrescriptionForm, Severity};
use ckisa_domain::{
    CareFact, Coded, EncounterKey, Fact, Identifier, Medication, MedicationKind, PatientKey,
    PrescriptionReview, RecordStatus, ResourceRef, ReviewVerdict,
};
use ckisa_store::PatientChart;
use serde::Deserialize;

use super::flows::{chart_name, form_status};
use super::ward::{
    self, AllergyLine, BookIndex, MedText, PatientHead, ReviewBadge, allergy_lines,
    back_to_dossier, bounded, chart_in_scope, chart_to_record, dossier_href, query_value,
};
use super::{StoreCheck, new_item_id};
use crate::access::{Audited, Caller, redirect};
use crate::error::{AppError, read_form, read_query};
use crate::format::{Fmt, clean, place};
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page};
use crate::{AppState, PageCtx};

const PRESCRIBE_PATH: &str = "/soins/prescriptions";
const STOP_PATH: &str = "/soins/prescriptions/arret";
const PHARMACY_PATH: &str = "/soins/pharmacie";

// ---------------------------------------------------------------------------
// Prescriptions as the patient's page lists them.

/// One active prescription of a patient.
pub(super) struct PrescriptionLine {
    pub(super) med: MedText,
    pub(super) schedule: String,
    pub(super) statement: bool,
    pub(super) start: String,
    pub(super) end: String,
    pub(super) prescriber: String,
    pub(super) note: Option<String>,
    /// Signed during the downtime, and when.
    pub(super) signed: Option<String>,
    pub(super) review: Option<ReviewBadge>,
    pub(super) change_href: Option<String>,
    pub(super) stop_href: Option<String>,
}

/// The active prescriptions of `chart`; `may_change` adds the physician's
/// change and stop links.
pub(super) fn prescription_lines(
    fmt: &Fmt<'_>,
    chart: &PatientChart,
    index: &BookIndex<'_>,
    may_change: bool,
    back: &str,
) -> Vec<PrescriptionLine> {
    let tr = fmt.tr;
    let patient = query_value(chart.identity.patient.as_str());
    chart
        .medications
        .iter()
        .map(|m| {
            let id = m.id.as_str();
            let order = m.kind == MedicationKind::Order;
            let links = may_change && order;
            PrescriptionLine {
                med: MedText::of(tr, m),
                schedule: mar::Schedule::of(m).label_fr(),
                statement: !order,
                start: fmt.moment(m.start.as_ref()),
                end: m.end.as_ref().map_or_else(
                    || tr.t("ward.no_end").to_owned(),
                    |e| e.display_fr(fmt.zone),
                ),
                prescriber: prescriber_name(m).unwrap_or_else(|| "—".to_owned()),
                note: m.note.as_deref().and_then(crate::format::clean_keep_indent),
                signed: index.signed.get(id).map(|e| {
                    tr.fmt(
                        "ward.signed_at",
                        &[("at", &ward::minute(fmt, e.recorded_ms))],
                    )
                }),
                review: ReviewBadge::of(
                    tr,
                    index.reviews.get(id).copied(),
                    index.signed.contains_key(id),
                ),
                change_href: links.then(|| {
                    format!(
                        "{PRESCRIBE_PATH}?patient={patient}&remplace={}&retour={}",
                        query_value(id),
                        query_value(back)
                    )
                }),
                stop_href: links.then(|| {
                    format!(
                        "{STOP_PATH}?patient={patient}&prescription={}&retour={}",
                        query_value(id),
                        query_value(back)
                    )
                }),
            }
        })
        .collect()
}

fn prescriber_name(m: &Medication) -> Option<String> {
    let prescriber = m.prescriber.as_ref()?;
    clean(prescriber.display.as_deref())
        .or_else(|| {
            prescriber
                .identifier
                .as_ref()
                .and_then(|i| clean(Some(&i.value)))
        })
        .or_else(|| clean(prescriber.reference.as_deref()))
}

/// Prescriptions signed during the downtime that no pharmacist reviewed
/// yet (stopped ones aside).
pub(super) fn pending_count(index: &BookIndex<'_>) -> usize {
    index
        .signed
        .keys()
        .filter(|id| !index.reviews.contains_key(*id) && !index.stopped.contains_key(*id))
        .count()
}

// ---------------------------------------------------------------------------
// Prescribing.

/// A short stable fingerprint of the warnings shown, so that « signer
/// malgré l'alerte » applies to those warnings only (FNV-1a, 64 bits).
fn fingerprint(warnings: &[prescribe::Warning]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for warning in warnings {
        for byte in warning.message.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// The query of the prescription form.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PrescribeQuery {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    remplace: String,
    #[serde(default)]
    retour: String,
}

/// The prescription form as posted.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PrescribeForm {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    remplace: String,
    #[serde(default)]
    retour: String,
    #[serde(default)]
    medicament: String,
    #[serde(default)]
    dose: String,
    #[serde(default)]
    voie: String,
    #[serde(default)]
    frequence: String,
    #[serde(default)]
    duree: String,
    #[serde(default)]
    commentaire: String,
    /// `1` when « signer malgré l'alerte » is ticked.
    #[serde(default)]
    signer_malgre: String,
    /// The fingerprint of the warnings the physician saw.
    #[serde(default)]
    alertes: String,
}

struct WarningLine {
    class: &'static str,
    severity: &'static str,
    message: String,
}

fn warning_lines(warnings: &[prescribe::Warning]) -> Vec<WarningLine> {
    warnings
        .iter()
        .map(|w| WarningLine {
            class: match w.severity {
                Severity::Contraindication => "contraindication",
                Severity::Caution => "caution",
                Severity::Info => "info",
            },
            severity: w.severity.label_fr(),
            message: w.message.clone(),
        })
        .collect()
}

struct PrescribeDraft {
    csrf: String,
    patient: String,
    replaces: String,
    retour: String,
    drug: String,
    dose: String,
    route: String,
    frequency: String,
    duration: String,
    comment: String,
    errors: Vec<String>,
    warnings: Vec<WarningLine>,
    fingerprint: String,
}

#[derive(Template)]
#[template(path = "care/ward/prescribe.html")]
struct PrescribeTemplate {
    tr: Tr,
    open: bool,
    head: PatientHead,
    current: Vec<PrescriptionLine>,
    replaced: Option<MedText>,
    back: String,
    draft: PrescribeDraft,
}

/// `GET /soins/prescriptions`.
pub(crate) async fn prescribe_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    query: Result<Query<PrescribeQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = read_query(query)?;
    let chart = chart_in_scope(&state, &caller, &query.patient, Action::Prescribe, true).await?;
    let tr = Tr(ctx.lang);
    let replaced = replaced_order(tr, &chart, &query.remplace)?;
    let draft = PrescribeDraft {
        csrf: caller.csrf()?.to_owned(),
        patient: chart.identity.patient.as_str().to_owned(),
        replaces: replaced.map(|m| m.id.clone()).unwrap_or_default(),
        retour: query.retour.clone(),
        drug: replaced.map(|m| m.drug.text.clone()).unwrap_or_default(),
        dose: replaced
            .and_then(|m| clean(m.dose.as_deref()))
            .unwrap_or_default(),
        route: replaced
            .and_then(|m| clean(m.route.as_deref()))
            .unwrap_or_default(),
        frequency: replaced
            .and_then(|m| clean(m.frequency.as_deref()))
            .unwrap_or_default(),
        duration: String::new(),
        comment: String::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        fingerprint: String::new(),
    };
    prescribe_view(&state, &ctx, &chart, draft, StatusCode::OK).await
}

/// The prescription a change replaces: an active order of the chart.
fn replaced_order<'c>(
    tr: Tr,
    chart: &'c PatientChart,
    id: &str,
) -> Result<Option<&'c Medication>, AppError> {
    let id = id.trim();
    if id.is_empty() {
        return Ok(None);
    }
    chart
        .medications
        .iter()
        .find(|m| m.id == id && m.kind == MedicationKind::Order && m.status == RecordStatus::Active)
        .map(Some)
        .ok_or_else(|| AppError::Refused(tr.t("ward.error_unknown_prescription").to_owned()))
}

async fn prescribe_view(
    state: &AppState,
    ctx: &PageCtx,
    chart: &PatientChart,
    draft: PrescribeDraft,
    status: StatusCode,
) -> Result<Response, AppError> {
    let open = state.downtime_open().await.is_ok();
    let fmt = ctx.fmt(state);
    let back = back_to_dossier(&draft.retour, chart);
    let current = {
        let book = state.care_book().await?;
        let patients: HashSet<PatientKey> = [chart.identity.patient.clone()].into();
        let index = BookIndex::of(&book, Some(&patients));
        prescription_lines(&fmt, chart, &index, false, &back)
    };
    let replaced = chart
        .medications
        .iter()
        .find(|m| !draft.replaces.is_empty() && m.id == draft.replaces)
        .map(|m| MedText::of(fmt.tr, m));
    let main = PrescribeTemplate {
        tr: fmt.tr,
        open,
        head: PatientHead::of(&fmt, chart),
        current,
        replaced,
        back,
        draft,
    }
    .render()?;
    let title = fmt.tr.t("ward.prescribe_title");
    layout::respond_form(state, ctx, title, Nav::None, main, status)
}

/// `POST /soins/prescriptions`.
pub(crate) async fn prescribe_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<PrescribeForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    let tr = Tr(ctx.lang);
    let chart = chart_to_record(&state, &caller, &form.patient, Action::Prescribe).await?;
    let replaced = replaced_order(tr, &chart, &form.remplace)?.cloned();
    let fmt = ctx.fmt(&state);
    let typed = PrescriptionForm {
        drug: form.medicament.clone(),
        dose: form.dose.clone(),
        route: form.voie.clone(),
        frequency: form.frequence.clone(),
        duration: form.duree.clone(),
        comment: form.commentaire.clone(),
    };
    let mut errors: Vec<String> = Vec::new();
    for (label, text, max) in [
        (tr.t("ward.field_drug"), &form.medicament, ward::MAX_SHORT),
        (tr.t("ward.field_dose"), &form.dose, ward::MAX_SHORT),
        (tr.t("ward.field_route"), &form.voie, ward::MAX_SHORT),
        (
            tr.t("ward.field_frequency"),
            &form.frequence,
            ward::MAX_SHORT,
        ),
        (tr.t("ward.field_duration"), &form.duree, ward::MAX_SHORT),
        (
            tr.t("ward.field_comment"),
            &form.commentaire,
            ward::MAX_TEXT,
        ),
    ] {
        if let Err(error) = bounded(tr, label, text, max) {
            errors.push(error);
        }
    }
    let valid = match prescribe::validate(&typed, fmt.now_ms, fmt.zone) {
        Ok(valid) if errors.is_empty() => Some(valid),
        Ok(_) => None,
        Err(found) => {
            errors.extend(found.into_iter().map(|e| capitalised(&e.message)));
            None
        }
    };
    let drug = Coded {
        code: None,
        system: None,
        text: typed.drug.trim().to_owned(),
    };
    let others: Vec<Medication> = chart
        .medications
        .iter()
        .filter(|m| replaced.as_ref().is_none_or(|r| r.id != m.id))
        .cloned()
        .collect();
    let warnings = if drug.text.is_empty() {
        Vec::new()
    } else {
        prescribe::check(&drug, &chart.allergies, &others)
    };
    let print = fingerprint(&warnings);
    let confirmed = form.signer_malgre.trim() == "1" && form.alertes.trim() == print;
    let Some(valid) = valid.filter(|_| warnings.is_empty() || confirmed) else {
        let draft = PrescribeDraft {
            csrf: caller.csrf()?.to_owned(),
            patient: chart.identity.patient.as_str().to_owned(),
            replaces: replaced.as_ref().map(|m| m.id.clone()).unwrap_or_default(),
            retour: form.retour.clone(),
            drug: form.medicament.trim().to_owned(),
            dose: form.dose.trim().to_owned(),
            route: form.voie.trim().to_owned(),
            frequency: form.frequence.trim().to_owned(),
            duration: form.duree.trim().to_owned(),
            comment: form.commentaire.trim().to_owned(),
            // The warnings are shown only once the form itself is right:
            // confirming them before that would confirm nothing.
            warnings: if errors.is_empty() {
                warning_lines(&warnings)
            } else {
                Vec::new()
            },
            fingerprint: print,
            errors,
        };
        // Errors are a 400; warnings waiting for a signature are a page
        // like any other, nothing having been refused yet.
        let status = if draft.errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        return prescribe_view(&state, &ctx, &chart, draft, status).await;
    };
    let now = fmt.now_ms;
    let zone = fmt.zone;
    let prescriber = ResourceRef {
        reference: None,
        identifier: caller.login().map(|login| Identifier {
            value: login.to_owned(),
            system: Some("urn:ckisa:compte".to_owned()),
            kind: None,
        }),
        display: Some(ward::display_name(&caller)),
    };
    let medication = Medication {
        id: new_item_id("rx", now),
        patient: chart.identity.patient.clone(),
        encounter: chart
            .stay
            .as_ref()
            .map(|s| EncounterKey(s.encounter.clone())),
        kind: MedicationKind::Order,
        drug,
        dose: Some(valid.dose.clone()),
        route: Some(valid.route.clone()),
        frequency: Some(valid.frequency.clone()),
        start: mar::moment_at(now, zone),
        end: valid.end_ms.and_then(|end| mar::moment_at(end, zone)),
        prescriber: Some(prescriber),
        status: RecordStatus::Active,
        note: valid.comment.clone(),
    };
    let mut facts = Vec::with_capacity(2);
    let mut detail = format!("prescription {} signée", medication.id);
    if let Some(old) = &replaced {
        let reason = format!(
            "Modifiée le {} par {} : remplacée par la prescription {}",
            ward::minute(&fmt, now),
            ward::display_name(&caller),
            medication.id
        );
        facts.push(entered(stopped(old, now, zone, &reason)));
        detail.push_str(&format!(", remplace {}", old.id));
    }
    if !warnings.is_empty() {
        detail.push_str(", malgré alerte");
    }
    facts.push(entered(medication));
    let root = chart.identity.patient.as_str().to_owned();
    let check = replaced
        .as_ref()
        .map(|old| still_active(&chart.identity.patient, &old.id, tr));
    state
        .care_record(
            &caller,
            Action::Prescribe,
            Some(&root),
            &detail,
            facts,
            check,
        )
        .await?;
    Ok(redirect(&back_to_dossier(&form.retour, &chart)))
}

/// `Médicament manquant` from `médicament manquant`.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn entered(medication: Medication) -> CareFact {
    CareFact::Entered(Box::new(Fact::MedicationRecorded(medication)))
}

/// `medication` stopped at `now_ms`, the reason first in its note.
fn stopped(
    medication: &Medication,
    now_ms: i64,
    zone: &jiff::tz::TimeZone,
    reason: &str,
) -> Medication {
    let mut stopped = medication.clone();
    stopped.status = RecordStatus::Inactive;
    stopped.end = mar::moment_at(now_ms, zone);
    stopped.note = Some(match clean(medication.note.as_deref()) {
        Some(note) => format!("{reason}\n{note}"),
        None => reason.to_owned(),
    });
    stopped
}

/// The check run under the care hub's write lock: the prescription to stop
/// or replace is still active (another physician may have stopped it).
fn still_active(patient: &PatientKey, medication: &str, tr: Tr) -> StoreCheck {
    let patient = patient.clone();
    let medication = medication.to_owned();
    Box::new(move |store| {
        let chart = store.patient_chart(&patient)?;
        let active = chart.is_some_and(|c| {
            c.medications
                .iter()
                .any(|m| m.id == medication && m.status == RecordStatus::Active)
        });
        if active {
            Ok(())
        } else {
            Err(AppError::Refused(
                tr.t("ward.error_prescription_stopped").to_owned(),
            ))
        }
    })
}

// ---------------------------------------------------------------------------
// Stopping.

/// The query of the stop form.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct StopQuery {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    prescription: String,
    #[serde(default)]
    retour: String,
}

/// The stop form as posted.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct StopForm {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    prescription: String,
    #[serde(default)]
    retour: String,
    #[serde(default)]
    motif: String,
}

#[derive(Template)]
#[template(path = "care/ward/stop.html")]
struct StopTemplate {
    tr: Tr,
    open: bool,
    head: PatientHead,
    med: MedText,
    schedule: String,
    csrf: String,
    patient: String,
    prescription: String,
    retour: String,
    back: String,
    reason: String,
    error: Option<String>,
}

/// `GET /soins/prescriptions/arret`.
pub(crate) async fn stop_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    query: Result<Query<StopQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = read_query(query)?;
    let chart = chart_in_scope(&state, &caller, &query.patient, Action::Prescribe, true).await?;
    let tr = Tr(ctx.lang);
    let medication = replaced_order(tr, &chart, &query.prescription)?
        .ok_or_else(|| AppError::Refused(tr.t("ward.error_unknown_prescription").to_owned()))?
        .clone();
    let csrf = caller.csrf()?.to_owned();
    stop_view(
        &state,
        &ctx,
        &chart,
        &medication,
        csrf,
        &query.retour,
        String::new(),
        None,
    )
    .await
}

#[expect(clippy::too_many_arguments, reason = "one page, its form's fields")]
async fn stop_view(
    state: &AppState,
    ctx: &PageCtx,
    chart: &PatientChart,
    medication: &Medication,
    csrf: String,
    retour: &str,
    reason: String,
    error: Option<String>,
) -> Result<Response, AppError> {
    let open = state.downtime_open().await.is_ok();
    let fmt = ctx.fmt(state);
    let status = form_status(error.as_deref());
    let main = StopTemplate {
        tr: fmt.tr,
        open,
        head: PatientHead::of(&fmt, chart),
        med: MedText::of(fmt.tr, medication),
        schedule: mar::Schedule::of(medication).label_fr(),
        csrf,
        patient: chart.identity.patient.as_str().to_owned(),
        prescription: medication.id.clone(),
        retour: retour.to_owned(),
        back: back_to_dossier(retour, chart),
        reason,
        error,
    }
    .render()?;
    let title = fmt.tr.t("ward.stop_title");
    layout::respond_form(state, ctx, title, Nav::None, main, status)
}

/// `POST /soins/prescriptions/arret`.
pub(crate) async fn stop_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<StopForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    let tr = Tr(ctx.lang);
    let chart = chart_to_record(&state, &caller, &form.patient, Action::Prescribe).await?;
    let medication = replaced_order(tr, &chart, &form.prescription)?
        .ok_or_else(|| AppError::Refused(tr.t("ward.error_unknown_prescription").to_owned()))?
        .clone();
    let reason = match bounded(
        tr,
        tr.t("ward.field_stop_reason"),
        &form.motif,
        ward::MAX_TEXT,
    ) {
        Ok(reason) if reason.is_empty() => Err(tr.t("ward.error_stop_reason").to_owned()),
        other => other,
    };
    let reason = match reason {
        Ok(reason) => reason,
        Err(error) => {
            let csrf = caller.csrf()?.to_owned();
            let typed = form.motif.trim().to_owned();
            return stop_view(
                &state,
                &ctx,
                &chart,
                &medication,
                csrf,
                &form.retour,
                typed,
                Some(error),
            )
            .await;
        }
    };
    let fmt = ctx.fmt(&state);
    let note = format!(
        "Arrêtée le {} par {} : {reason}",
        ward::minute(&fmt, fmt.now_ms),
        ward::display_name(&caller)
    );
    let fact = entered(stopped(&medication, fmt.now_ms, fmt.zone, &note));
    let root = chart.identity.patient.as_str().to_owned();
    let detail = format!("prescription {} arrêtée", medication.id);
    let check = still_active(&chart.identity.patient, &medication.id, tr);
    state
        .care_record(
            &caller,
            Action::Prescribe,
            Some(&root),
            &detail,
            vec![fact],
            Some(check),
        )
        .await?;
    Ok(redirect(&back_to_dossier(&form.retour, &chart)))
}

// ---------------------------------------------------------------------------
// The pharmacy.

/// One prescription waiting for its review.
struct PendingLine {
    id: String,
    patient: String,
    patient_href: Option<String>,
    place: String,
    allergy_badge: String,
    allergies: Vec<AllergyLine>,
    med: MedText,
    schedule: String,
    note: Option<String>,
    prescriber: String,
    signed: String,
    warnings: Vec<WarningLine>,
}

/// A review already given.
struct ReviewedLine {
    drug: String,
    patient: String,
    badge: Option<ReviewBadge>,
    at: String,
}

#[derive(Template)]
#[template(path = "care/ward/pharmacy.html")]
struct PharmacyTemplate {
    tr: Tr,
    open: bool,
    csrf: String,
    pending: Vec<PendingLine>,
    reviewed: Vec<ReviewedLine>,
    error: Option<String>,
    /// The prescription the error is about.
    error_for: String,
    remark: String,
}

/// How many reviews the page lists under « déjà validées ».
const REVIEWED_SHOWN: usize = 30;

/// `GET /soins/pharmacie`.
pub(crate) async fn pharmacy_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    pharmacy_view(&state, &ctx, &caller, None, StatusCode::OK).await
}

/// An error of the review form: the prescription, the message, the remark
/// as typed.
struct ReviewError {
    prescription: String,
    message: String,
    remark: String,
}

async fn pharmacy_view(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    error: Option<ReviewError>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let open = state.downtime_open().await.is_ok();
    let fmt = ctx.fmt(state);
    let tr = fmt.tr;
    // The prescriptions to review, from the book; then their patients'
    // charts (names, allergies, other prescriptions) in one read.
    let (waiting, reviewed_raw) = {
        let book = state.care_book().await?;
        let index = BookIndex::of(&book, Some(&HashSet::new()));
        let mut waiting: Vec<(Medication, i64)> = index
            .signed
            .iter()
            .filter(|(id, _)| !index.reviews.contains_key(*id) && !index.stopped.contains_key(*id))
            .filter_map(|(_, entry)| match &entry.fact {
                CareFact::Entered(inner) => match inner.as_ref() {
                    Fact::MedicationRecorded(m) => Some((m.clone(), entry.recorded_ms)),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        waiting.sort_by_key(|(_, at)| *at);
        let reviewed: Vec<(PrescriptionReview, i64)> = book
            .entries()
            .iter()
            .rev()
            .filter_map(|e| match &e.fact {
                CareFact::Reviewed(r) => Some((r.clone(), e.recorded_ms)),
                _ => None,
            })
            .take(REVIEWED_SHOWN)
            .collect();
        (waiting, reviewed)
    };
    let mut keys: Vec<PatientKey> = waiting
        .iter()
        .map(|(m, _)| m.patient.clone())
        .chain(reviewed_raw.iter().map(|(r, _)| r.patient.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    let wanted = keys.clone();
    let charts: BTreeMap<PatientKey, PatientChart> = state
        .read(move |store| {
            let mut charts = BTreeMap::new();
            for key in wanted {
                if let Some(chart) = store.patient_chart(&key)? {
                    charts.insert(key, chart);
                }
            }
            Ok(charts)
        })
        .await?;
    for key in &keys {
        caller.audit(
            state,
            Audited::allowed(Action::PrescriptionReview)
                .patient(key.as_str())
                .detail("validation pharmaceutique"),
        );
    }
    let name_of = |key: &PatientKey| {
        charts
            .get(key)
            .map_or_else(|| key.as_str().to_owned(), chart_name)
    };
    let pending = waiting
        .iter()
        .map(|(m, at)| {
            let chart = charts.get(&m.patient);
            let (allergies, others): (&[ckisa_domain::Allergy], Vec<Medication>) = match chart {
                Some(c) => (
                    &c.allergies,
                    c.medications
                        .iter()
                        .filter(|o| o.id != m.id)
                        .cloned()
                        .collect(),
                ),
                None => (&[], Vec::new()),
            };
            PendingLine {
                id: m.id.clone(),
                patient: name_of(&m.patient),
                patient_href: (caller.reach(Action::CareDocument) != ckisa_auth::Reach::Never)
                    .then(|| dossier_href(&m.patient)),
                place: chart
                    .and_then(|c| c.stay.as_ref())
                    .map(|s| {
                        let unit = clean(s.unit.as_deref()).unwrap_or_default();
                        match place(s.room.as_deref(), s.bed.as_deref()) {
                            Some(bed) => format!("{unit} · {bed}"),
                            None => unit,
                        }
                    })
                    .unwrap_or_default(),
                allergy_badge: crate::units::allergy_text(tr, allergies.len() as u32),
                allergies: allergy_lines(tr, allergies),
                med: MedText::of(tr, m),
                schedule: mar::Schedule::of(m).label_fr(),
                note: m.note.as_deref().and_then(crate::format::clean_keep_indent),
                prescriber: prescriber_name(m).unwrap_or_else(|| "—".to_owned()),
                signed: ward::minute(&fmt, *at),
                warnings: warning_lines(&prescribe::check(&m.drug, allergies, &others)),
            }
        })
        .collect();
    let reviewed = reviewed_raw
        .iter()
        .map(|(r, at)| {
            let drug = charts
                .get(&r.patient)
                .and_then(|c| c.medications.iter().find(|m| m.id == r.medication))
                .map_or_else(|| r.medication.clone(), |m| m.drug.text.clone());
            ReviewedLine {
                drug,
                patient: name_of(&r.patient),
                badge: ReviewBadge::of(tr, Some(r), true),
                at: ward::minute(&fmt, *at),
            }
        })
        .collect();
    let (error, error_for, remark) = match error {
        Some(e) => (Some(e.message), e.prescription, e.remark),
        None => (None, String::new(), String::new()),
    };
    let main = PharmacyTemplate {
        tr,
        open,
        csrf: caller.csrf()?.to_owned(),
        pending,
        reviewed,
        error,
        error_for,
        remark,
    }
    .render()?;
    let title = tr.t("ward.pharmacy_title");
    if status == StatusCode::OK {
        // Forms on the page: no live refresh.
        layout::respond_bare(
            state,
            ctx,
            Page {
                title,
                nav: Nav::None,
                query: "",
                main,
            },
        )
    } else {
        layout::respond_form(state, ctx, title, Nav::None, main, status)
    }
}

/// The review form as posted.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReviewForm {
    #[serde(default)]
    prescription: String,
    /// `valider`, `remarque` or `refuser`.
    #[serde(default)]
    avis: String,
    #[serde(default)]
    remarque: String,
}

/// `POST /soins/pharmacie/avis`.
pub(crate) async fn review_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<ReviewForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = read_form(form)?;
    state.downtime_open().await?;
    let tr = Tr(ctx.lang);
    let id = form.prescription.trim().to_owned();
    let patient = {
        let book = state.care_book().await?;
        let index = BookIndex::of(&book, Some(&HashSet::new()));
        index
            .signed
            .get(id.as_str())
            .and_then(|e| e.patient().cloned())
    };
    let patient =
        patient.ok_or_else(|| AppError::Refused(tr.t("ward.error_unknown_review").to_owned()))?;
    let verdict = match form.avis.trim() {
        "valider" => Some(ReviewVerdict::Validated),
        "remarque" => Some(ReviewVerdict::WithRemark),
        "refuser" => Some(ReviewVerdict::Refused),
        _ => None,
    };
    let remark = bounded(
        tr,
        tr.t("ward.field_remark"),
        &form.remarque,
        ward::MAX_TEXT,
    );
    let error = match (&verdict, &remark) {
        (None, _) => Some(tr.t("ward.error_verdict").to_owned()),
        (_, Err(error)) => Some(error.clone()),
        (Some(ReviewVerdict::WithRemark | ReviewVerdict::Refused), Ok(text)) if text.is_empty() => {
            Some(tr.t("ward.error_remark").to_owned())
        }
        _ => None,
    };
    let (Some(verdict), Ok(remark), None) = (verdict, remark, &error) else {
        let error = ReviewError {
            prescription: id,
            message: error.unwrap_or_default(),
            remark: form.remarque.trim().to_owned(),
        };
        return pharmacy_view(&state, &ctx, &caller, Some(error), StatusCode::BAD_REQUEST).await;
    };
    let review = PrescriptionReview {
        medication: id.clone(),
        patient: patient.clone(),
        verdict,
        remark: Some(remark).filter(|r| !r.is_empty()),
        by: ward::display_name(&caller),
    };
    let detail = format!("avis pharmaceutique sur {id}");
    state
        .care_record(
            &caller,
            Action::PrescriptionReview,
            Some(patient.as_str()),
            &detail,
            vec![CareFact::Reviewed(review)],
            None,
        )
        .await?;
    Ok(redirect(PHARMACY_PATH))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ckisa_care::prescribe::Subject;

    fn warning(message: &str) -> prescribe::Warning {
        prescribe::Warning {
            severity: Severity::Contraindication,
            subject: Subject::Allergy("a1".into()),
            message: message.into(),
        }
    }

    #[test]
    fn a_confirmation_holds_for_the_warnings_shown_only() {
        let shown = fingerprint(&[warning("amoxicilline : allergie connue « pénicillines »")]);
        assert_eq!(
            shown,
            fingerprint(&[warning("amoxicilline : allergie connue « pénicillines »")])
        );
        assert_ne!(
            shown,
            fingerprint(&[warning("ibuprofène : allergie connue « AINS »")])
        );
        assert_ne!(shown, fingerprint(&[]));
        assert_eq!(shown.len(), 16);
    }

    #[test]
    fn a_stop_keeps_the_prescription_and_says_why_first() {
        let zone = jiff::tz::TimeZone::get("Europe/Paris").expect("zone");
        let medication = Medication {
            id: "rx-1".into(),
            patient: PatientKey::ipp("H", "1"),
            encounter: None,
            kind: MedicationKind::Order,
            drug: Coded {
                code: None,
                system: None,
                text: "Paracétamol 1 g".into(),
            },
            dose: Some("1 g".into()),
            route: Some("PO".into()),
            frequency: Some("3 fois par jour".into()),
            start: None,
            end: None,
            prescriber: None,
            status: RecordStatus::Active,
            note: Some("si fièvre".into()),
        };
        let now = 1_710_500_400_000;
        let stop = stopped(&medication, now, &zone, "Arrêtée : apyrexie");
        assert_eq!(stop.id, "rx-1");
        assert_eq!(stop.status, RecordStatus::Inactive);
        assert_eq!(stop.note.as_deref(), Some("Arrêtée : apyrexie\nsi fièvre"));
        assert_eq!(stop.end.and_then(|e| mar::moment_ms(&e, &zone)), Some(now));
        assert_eq!(capitalised("médicament manquant"), "Médicament manquant");
    }
}
