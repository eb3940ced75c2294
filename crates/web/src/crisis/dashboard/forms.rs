//! The two short forms that feed the dashboard: a unit's status report
//! (`/crise/unites/{code}/point`, by its unit manager or the crisis cell)
//! and the critical stock counts (`/crise/stocks`).
//!
//! A wrong field shows the form again (400) with a precise message and
//! what was typed; nothing is recorded until every field is right.

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use ckisa_auth::Action;
use ckisa_crisis::book::MAX_TEXT;
use ckisa_crisis::plan::Plan;
use ckisa_domain::{CrisisFact, Rag, UnitReport};
use ckisa_store::{UNLOCATED_UNIT, UnitSummary};
use serde::Deserialize;

use super::model::stocks;
use super::view::{StockRow, rag_class, rag_label, stock_row};
use crate::access::{Audited, Caller, redirect};
use crate::error::{AppError, read_form};
use crate::format::Fmt;
use crate::i18n::Tr;
use crate::layout::{self, Nav};
use crate::{AppState, PageCtx};

/// Most past reports shown under the form.
const HISTORY: usize = 20;

/// Largest staff figure accepted (the book refuses more too).
const MAX_STAFF: u32 = 10_000;

/// Largest stock quantity accepted.
const MAX_QUANTITY: f64 = 1e9;

/// The report form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReportFields {
    #[serde(default)]
    presents: String,
    #[serde(default)]
    necessaires: String,
    #[serde(default)]
    statut: String,
    #[serde(default)]
    besoins: String,
    #[serde(default)]
    commentaire: String,
}

/// The three statuses a unit may report, as the form names them.
const STATUSES: [(&str, Rag); 3] = [
    ("vert", Rag::Green),
    ("orange", Rag::Orange),
    ("rouge", Rag::Red),
];

impl ReportFields {
    /// The report for `unit`, or the message of the first wrong field.
    fn parse(&self, tr: Tr, unit: &str) -> Result<UnitReport, String> {
        let staff_present = staff(tr, tr.t("point.present"), &self.presents)?;
        let staff_needed = staff(tr, tr.t("point.needed"), &self.necessaires)?;
        let status = STATUSES
            .iter()
            .find(|(name, _)| *name == self.statut.trim())
            .map(|(_, rag)| *rag)
            .ok_or_else(|| tr.t("point.error_status").to_owned())?;
        text(tr, tr.t("point.needs"), &self.besoins)?;
        text(tr, tr.t("point.comment"), &self.commentaire)?;
        Ok(UnitReport {
            unit: unit.to_owned(),
            staff_present,
            staff_needed,
            status,
            needs: self.besoins.trim().to_owned(),
            comment: self.commentaire.trim().to_owned(),
        })
    }
}

/// A staff figure: a whole number from 0 to [`MAX_STAFF`].
fn staff(tr: Tr, field: &str, typed: &str) -> Result<u32, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(tr.fmt("point.error_staff_missing", &[("field", field)]));
    }
    typed
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= MAX_STAFF)
        .ok_or_else(|| tr.fmt("point.error_staff", &[("field", field), ("value", typed)]))
}

/// A free text no longer than the book accepts.
fn text(tr: Tr, field: &str, typed: &str) -> Result<(), String> {
    let length = typed.trim().chars().count();
    if length > MAX_TEXT {
        return Err(tr.fmt(
            "point.error_too_long",
            &[
                ("field", field),
                ("max", &MAX_TEXT.to_string()),
                ("n", &length.to_string()),
            ],
        ));
    }
    Ok(())
}

struct StatusChoice {
    value: &'static str,
    class: &'static str,
    label: &'static str,
    hint: &'static str,
    checked: bool,
}

struct HistoryRow {
    at: String,
    by: String,
    class: &'static str,
    status: &'static str,
    staff: String,
    needs: String,
    comment: String,
}

#[derive(Template)]
#[template(path = "crisis/report_form.html")]
struct ReportTemplate<'a> {
    tr: Tr,
    title: &'a str,
    action: String,
    csrf: &'a str,
    crisis: bool,
    error: Option<String>,
    fields: &'a ReportFields,
    choices: Vec<StatusChoice>,
    history: Vec<HistoryRow>,
}

/// The unit `code`, if the caller may report for it: 403 outside the
/// caller's units (audited), 404 for a code the establishment does not
/// have.
async fn reportable_unit(
    state: &AppState,
    caller: &Caller,
    code: &str,
) -> Result<UnitSummary, AppError> {
    if !caller.may_see_unit(Action::UnitReport, code) {
        caller.audit(state, Audited::denied(Action::UnitReport).target(code));
        return Err(AppError::OutsideUnits);
    }
    if code == UNLOCATED_UNIT {
        return Err(AppError::UnitNotFound);
    }
    let units = state.read(|store| store.units()).await?;
    units
        .into_iter()
        .find(|u| u.code == code)
        .ok_or(AppError::UnitNotFound)
}

/// Shows the report form of `unit` with `fields`, and `error` if any.
async fn show_report(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    unit: &UnitSummary,
    fields: &ReportFields,
    error: Option<String>,
) -> Result<Response, AppError> {
    let session = caller.session().ok_or(AppError::Forbidden)?;
    let fmt = ctx.fmt(state);
    let tr = fmt.tr;
    let (crisis, history) = {
        let book = state.book().await?;
        let active = book.active().map(|c| c.id.clone());
        let history: Vec<HistoryRow> = book
            .reports(active.as_ref())
            .iter()
            .rev()
            .filter(|r| r.report.unit == unit.code)
            .take(HISTORY)
            .map(|entry| HistoryRow {
                at: fmt.wall(entry.stamp.at_ms),
                by: entry.stamp.by.clone(),
                class: rag_class(entry.report.status),
                status: rag_label(tr, entry.report.status),
                staff: format!(
                    "{} / {}",
                    entry.report.staff_present, entry.report.staff_needed
                ),
                needs: entry.report.needs.clone(),
                comment: entry.report.comment.clone(),
            })
            .collect();
        (active.is_some(), history)
    };
    let name = if unit.name.trim().is_empty() {
        unit.code.as_str()
    } else {
        unit.name.trim()
    };
    let title = tr.fmt("point.title", &[("unit", name), ("code", &unit.code)]);
    let typed = fields.statut.trim();
    let choices = STATUSES
        .iter()
        .map(|(value, rag)| StatusChoice {
            value,
            class: rag_class(*rag),
            label: rag_label(tr, *rag),
            hint: tr.t(match rag {
                Rag::Green => "point.hint_green",
                Rag::Orange => "point.hint_orange",
                Rag::Red => "point.hint_red",
            }),
            checked: typed == *value,
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let main = ReportTemplate {
        tr,
        title: &title,
        action: point_href(&unit.code),
        csrf: &session.csrf,
        crisis,
        error,
        fields,
        choices,
        history,
    }
    .render()?;
    layout::respond_form(state, ctx, &title, Nav::Crisis, main, status)
}

/// The URL of unit `code`'s report form.
pub(super) fn point_href(code: &str) -> String {
    format!("/crise{}/point", crate::format::unit_href(code))
}

/// `GET /crise/unites/{code}/point`.
pub(crate) async fn report_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let unit = reportable_unit(&state, &caller, &code).await?;
    show_report(&state, &ctx, &caller, &unit, &ReportFields::default(), None).await
}

/// `POST /crise/unites/{code}/point`.
pub(crate) async fn report_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    Path(code): Path<String>,
    form: Result<Form<ReportFields>, FormRejection>,
) -> Result<Response, AppError> {
    let unit = reportable_unit(&state, &caller, &code).await?;
    let fields = read_form(form)?;
    match fields.parse(ctx.fmt(&state).tr, &unit.code) {
        Ok(report) => {
            state
                .record(&caller, CrisisFact::UnitReported(report))
                .await?;
            Ok(redirect("/crise/tableau"))
        }
        Err(error) => show_report(&state, &ctx, &caller, &unit, &fields, Some(error)).await,
    }
}

/// The stock form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CountFields {
    #[serde(default)]
    stock: String,
    #[serde(default)]
    quantite: String,
    #[serde(default)]
    commentaire: String,
}

impl CountFields {
    /// The stock code and quantity, or the message of the first wrong
    /// field.
    fn parse(&self, tr: Tr, plan: &Plan) -> Result<(String, f64), String> {
        let code = self.stock.trim();
        let stock = plan
            .stock(code)
            .ok_or_else(|| tr.fmt("stocks.error_unknown", &[("code", code)]))?;
        let quantity = quantity(tr, &stock.name, &self.quantite)?;
        text(tr, tr.t("stocks.comment"), &self.commentaire)?;
        Ok((stock.code.clone(), quantity))
    }
}

/// A counted quantity: a number, positive or zero, with a decimal comma or
/// point, spaces between thousands allowed (`1 500`, `12,5`).
fn quantity(tr: Tr, stock: &str, typed: &str) -> Result<f64, String> {
    let typed = typed.trim();
    let compact: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if compact.is_empty() {
        return Err(tr.fmt("stocks.error_missing", &[("stock", stock)]));
    }
    let (negative, digits) = match compact.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, compact.strip_prefix('+').unwrap_or(&compact)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let well_formed = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit());
    let value = well_formed
        .then(|| digits.parse::<f64>().ok())
        .flatten()
        .filter(|v| v.is_finite());
    let args = [("stock", stock), ("value", typed)];
    match value {
        None => Err(tr.fmt("stocks.error_not_number", &args)),
        Some(v) if negative && v > 0.0 => Err(tr.fmt("stocks.error_negative", &args)),
        Some(v) if v > MAX_QUANTITY => Err(tr.fmt("stocks.error_too_large", &args)),
        Some(v) => Ok(v),
    }
}

struct CountRow {
    code: String,
    /// "Quantité (bouteilles)".
    quantity_label: String,
    location: String,
    thresholds: String,
    shown: StockRow,
    /// What was typed, when this row's count was refused.
    quantity: String,
    comment: String,
    refused: bool,
}

#[derive(Template)]
#[template(path = "crisis/stocks.html")]
struct StocksTemplate<'a> {
    tr: Tr,
    csrf: &'a str,
    error: Option<String>,
    rows: Vec<CountRow>,
}

/// Shows the stock counts, with `refused` (what was typed and why) if a
/// count was refused.
async fn show_stocks(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Caller,
    refused: Option<(&CountFields, String)>,
) -> Result<Response, AppError> {
    let session = caller.session().ok_or(AppError::Forbidden)?;
    let fmt: Fmt<'_> = ctx.fmt(state);
    let tr = fmt.tr;
    let plan = state.hub().plan();
    let lines = {
        let book = state.book().await?;
        stocks(&book, plan, fmt.now_ms)
    };
    let typed_code = refused.as_ref().map(|(fields, _)| fields.stock.trim());
    let rows = plan
        .stocks
        .iter()
        .zip(&lines)
        .map(|(stock, line)| {
            let typed = refused
                .as_ref()
                .filter(|_| typed_code == Some(stock.code.as_str()))
                .map(|(fields, _)| *fields);
            CountRow {
                code: stock.code.clone(),
                quantity_label: tr.fmt("stocks.quantity_in", &[("measure", &stock.measure)]),
                location: stock.location.clone(),
                thresholds: tr.fmt(
                    "stocks.thresholds",
                    &[
                        ("alert", &super::view::amount(tr, stock.alert_threshold)),
                        (
                            "critical",
                            &super::view::amount(tr, stock.critical_threshold),
                        ),
                    ],
                ),
                shown: stock_row(line, &fmt),
                quantity: typed.map(|f| f.quantite.clone()).unwrap_or_default(),
                comment: typed.map(|f| f.commentaire.clone()).unwrap_or_default(),
                refused: typed.is_some(),
            }
        })
        .collect();
    let (error, status) = match refused {
        Some((_, message)) => (Some(message), StatusCode::BAD_REQUEST),
        None => (None, StatusCode::OK),
    };
    let main = StocksTemplate {
        tr,
        csrf: &session.csrf,
        error,
        rows,
    }
    .render()?;
    layout::respond_form(state, ctx, tr.t("stocks.title"), Nav::Crisis, main, status)
}

/// `GET /crise/stocks`.
pub(crate) async fn stock_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
) -> Result<Response, AppError> {
    show_stocks(&state, &ctx, &caller, None).await
}

/// `POST /crise/stocks`.
pub(crate) async fn stock_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    form: Result<Form<CountFields>, FormRejection>,
) -> Result<Response, AppError> {
    let fields = read_form(form)?;
    let tr = ctx.fmt(&state).tr;
    match fields.parse(tr, state.hub().plan()) {
        Ok((stock, quantity)) => {
            let fact = CrisisFact::StockCounted {
                stock,
                quantity,
                comment: fields.commentaire.trim().to_owned(),
            };
            state.record(&caller, fact).await?;
            Ok(redirect("/crise/stocks"))
        }
        Err(error) => show_stocks(&state, &ctx, &caller, Some((&fields, error))).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    const FR: Tr = Tr(Lang::Fr);

    #[test]
    fn quantities_take_a_decimal_comma_and_spaced_thousands() {
        assert_eq!(quantity(FR, "O2", "12,5"), Ok(12.5));
        assert_eq!(quantity(FR, "O2", " 12.5 "), Ok(12.5));
        assert_eq!(quantity(FR, "O2", "1 500"), Ok(1500.0));
        assert_eq!(quantity(FR, "O2", "0"), Ok(0.0));
        assert_eq!(quantity(FR, "O2", "-0"), Ok(0.0));
    }

    #[test]
    fn wrong_quantities_say_why() {
        let negative = quantity(FR, "Oxygène", "-4").unwrap_err();
        assert!(negative.contains("négative"), "{negative}");
        assert!(negative.contains("-4"), "{negative}");
        for typed in ["abc", "12,5,3", "1e5", ",5", "12 kg", "NaN", "inf"] {
            let error = quantity(FR, "Oxygène", typed).unwrap_err();
            assert!(error.contains("n'est pas une quantité"), "{typed}: {error}");
        }
        let missing = quantity(FR, "Oxygène", "  ").unwrap_err();
        assert!(missing.contains("Indiquez la quantité"), "{missing}");
        let huge = quantity(FR, "Oxygène", "5000000000").unwrap_err();
        assert!(huge.contains("invraisemblable"), "{huge}");
    }

    #[test]
    fn staff_figures_are_whole_numbers_up_to_ten_thousand() {
        assert_eq!(staff(FR, "Présents", " 12 "), Ok(12));
        assert_eq!(staff(FR, "Présents", "10000"), Ok(10_000));
        for typed in ["-3", "10001", "2,5", "douze"] {
            let error = staff(FR, "Présents", typed).unwrap_err();
            assert!(error.contains("nombre entier"), "{typed}: {error}");
            assert!(error.contains(typed), "{typed}: {error}");
        }
        assert!(staff(FR, "Présents", "").unwrap_err().contains("Présents"));
    }

    #[test]
    fn a_report_needs_a_known_status() {
        let fields = ReportFields {
            presents: "8".into(),
            necessaires: "10".into(),
            statut: "bleu".into(),
            ..ReportFields::default()
        };
        let error = fields.parse(FR, "REA").unwrap_err();
        assert!(error.contains("vert, orange ou rouge"), "{error}");
        let fields = ReportFields {
            statut: "rouge".into(),
            besoins: "  2 IDE de nuit ".into(),
            ..fields
        };
        let report = fields.parse(FR, "REA").expect("valid report");
        assert_eq!(report.status, Rag::Red);
        assert_eq!(report.needs, "2 IDE de nuit");
        assert_eq!((report.staff_present, report.staff_needed), (8, 10));
    }
}
