//! The JSON API (`/api/v1/...`): the same data as the pages, as the store's
//! view types serialize them. Codes stay as the feeds sent them (`SV`,
//! `TID`, `mm[Hg]`): scripts want codes, only the pages put them into words.
//!
//! Two additions make the answers easier to use: every moment gets an
//! `iso` text (ISO 8601 at its precision, see `Moment::to_iso`), and an
//! embedded document's Base64 `data` is left out (its size stays): the API
//! is for screens and scripts, the document itself stays in the event log.
//! Errors are `{ "error": code, "message": ..., "message_fr": ... }`.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use ckisa_auth::Action;
use ckisa_domain::Moment;
use ckisa_store::StoreStatus;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::access::{Audited, Caller};
use crate::admin::QUARANTINE_LIMIT;
use crate::error::AppError;
use crate::format::Freshness;
use crate::patient::{check_chart, key_from_path, unknown_patient};
use crate::search::{self, SearchParams};
use crate::units::check_unit;

type ApiResult = Result<Json<Value>, AppError>;

/// `GET /api/v1/units`.
pub(crate) async fn units(State(state): State<AppState>) -> ApiResult {
    let units = state.read(|store| store.units()).await?;
    let sum = |f: fn(&ckisa_store::UnitSummary) -> u32| units.iter().map(|u| u64::from(f(u))).sum();
    let beds: u64 = sum(|u| u.beds);
    let occupied: u64 = sum(|u| u.occupied_beds);
    let totals = json!({
        "beds": beds,
        "occupied_beds": occupied,
        "free_beds": beds.saturating_sub(occupied),
        "patients": sum(|u| u.patients),
    });
    Ok(Json(
        json!({ "totals": totals, "units": to_value(&units)? }),
    ))
}

/// `GET /api/v1/units/{code}`.
pub(crate) async fn unit_board(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult {
    check_unit(&state, &caller, &code)?;
    let board = state.read(move |store| store.unit_board(&code)).await?;
    let board = board.ok_or(AppError::UnitNotFound)?;
    Ok(Json(to_value(&board)?))
}

/// `GET /api/v1/patients/{key}`.
pub(crate) async fn patient(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let key = key_from_path(path)?;
    let asked = key.clone();
    let chart = state.read(move |store| store.patient_chart(&key)).await?;
    let Some(chart) = chart else {
        return Err(unknown_patient(&state, &caller, &asked));
    };
    check_chart(&state, &caller, &asked, &chart)?;
    Ok(Json(to_value(&chart)?))
}

/// `GET /api/v1/patients?q=...`: at most `limit` patients, with
/// `truncated: true` when more matched.
pub(crate) async fn search(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> ApiResult {
    let found = search::run(&state, &caller, params).await?;
    let mut patients = to_value(&found.rows.unwrap_or_default())?;
    if let Some(items) = patients.as_array_mut() {
        for (item, outside) in items.iter_mut().zip(&found.outside) {
            item["outside_units"] = Value::Bool(*outside);
        }
    }
    let parsed = search::parse_query(&found.text).ok().flatten().map(|q| {
        json!({
            "name": q.name,
            "birth_date": q.birth_date.map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
            "identifier": q.identifier,
        })
    });
    Ok(Json(json!({
        "query": parsed,
        "limit": search::SEARCH_LIMIT,
        "truncated": found.truncated,
        "no_units": found.no_units,
        "patients": patients,
    })))
}

/// `GET /api/v1/status`.
pub(crate) async fn status(State(state): State<AppState>) -> ApiResult {
    let (status, generation) = state
        .read(|store| Ok((store.status()?, store.generation())))
        .await?;
    let now_ms = state.now_ms();
    let config = state.config();
    let mut value = to_value(&status)?;
    if let Some(feeds) = value.get_mut("feeds").and_then(Value::as_array_mut) {
        for (feed, figures) in feeds.iter_mut().zip(&status.feeds) {
            add_freshness(feed, figures.last_received_ms, now_ms);
        }
    }
    value["facts"] = facts_object(&status);
    value["node"] = json!({
        "node_id": config.node_id,
        "data_dir": config.data_dir,
        "uptime_seconds": state.uptime_seconds(),
        "generation": generation,
        "now": iso_ms(now_ms),
    });
    Ok(Json(value))
}

/// `GET /api/v1/quarantine`.
pub(crate) async fn quarantine(State(state): State<AppState>, caller: Caller) -> ApiResult {
    caller.audit(&state, Audited::allowed(Action::Quarantine));
    let entries = state
        .read(|store| store.quarantine_entries(QUARANTINE_LIMIT))
        .await?;
    let mut value = to_value(&entries)?;
    if let Some(items) = value.as_array_mut() {
        for (item, entry) in items.iter_mut().zip(&entries) {
            item["received"] = Value::String(iso_ms(entry.received_ms));
        }
    }
    Ok(Json(json!({ "entries": value })))
}

/// Facts per kind as `{ kind: count }`.
fn facts_object(status: &StoreStatus) -> Value {
    let map: Map<String, Value> = status
        .facts
        .iter()
        .map(|(kind, count)| (kind.clone(), json!(count)))
        .collect();
    Value::Object(map)
}

fn add_freshness(feed: &mut Value, last_ms: Option<i64>, now_ms: i64) {
    let (last, age, freshness) = match last_ms {
        Some(ms) => {
            let age_ms = now_ms.saturating_sub(ms).max(0);
            (
                json!(iso_ms(ms)),
                json!(age_ms / 1000),
                Freshness::of_age_ms(age_ms).class(),
            )
        }
        None => (Value::Null, Value::Null, Freshness::Stale.class()),
    };
    feed["last_received"] = last;
    feed["age_seconds"] = age;
    feed["freshness"] = json!(freshness);
}

/// A node wall-clock time as RFC 3339 UTC text.
fn iso_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Serializes a view and enriches it (moments get `iso`, documents lose
/// their data).
fn to_value<T: Serialize>(view: &T) -> Result<Value, AppError> {
    let mut value = serde_json::to_value(view).map_err(AppError::Json)?;
    enrich(&mut value);
    Ok(value)
}

fn enrich(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(enrich),
        Value::Object(map) => {
            if looks_like_moment(map) {
                if let Ok(moment) = serde_json::from_value::<Moment>(Value::Object(map.clone())) {
                    map.insert("iso".into(), Value::String(moment.to_iso()));
                }
                return;
            }
            if let Some(Value::Object(doc)) = map.get_mut("Document")
                && doc.remove("data").is_some()
            {
                doc.insert("data_omitted".into(), Value::Bool(true));
            }
            map.values_mut().for_each(enrich);
        }
        _ => {}
    }
}

fn looks_like_moment(map: &Map<String, Value>) -> bool {
    ["year", "month", "day", "precision", "dst_gap"]
        .iter()
        .all(|k| map.contains_key(*k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ckisa_domain::ObservationValue;

    #[test]
    fn moments_gain_iso_text() {
        let moment = Moment::parse_iso("2024-03-15T14:56:24+01:00").expect("valid");
        let value = to_value(&vec![Some(moment)]).expect("serializes");
        assert_eq!(value[0]["iso"], "2024-03-15T14:56:24+01:00");
        assert_eq!(value[0]["year"], 2024);
    }

    #[test]
    fn documents_lose_their_data_not_their_size() {
        let doc = ObservationValue::Document {
            media_type: None,
            size_bytes: 225_280,
            data: "JVBERi0xLjQK".into(),
        };
        let value = to_value(&doc).expect("serializes");
        assert_eq!(value["Document"]["size_bytes"], 225_280);
        assert_eq!(value["Document"]["data_omitted"], true);
        assert!(!value.to_string().contains("JVBERi0"));
    }
}
