//! `/metrics` in the Prometheus text exposition format, version 0.0.4.
//!
//! Figures come from the store's status and units at scrape time; nothing
//! is counted in this process, so a restart loses nothing. Feed names are
//! escaped as label values.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use ckisa_store::{StoreStatus, UnitSummary};

use crate::AppState;
use crate::error::AppError;

/// Content type of the text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`.
pub(crate) async fn metrics(State(state): State<AppState>) -> Result<Response, AppError> {
    let (status, units) = state
        .read(|store| Ok((store.status()?, store.units()?)))
        .await?;
    let body = render(&status, &units, state.now_ms(), state.uptime_seconds());
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT));
    Ok(response)
}

/// The exposition text.
pub(crate) fn render(
    status: &StoreStatus,
    units: &[UnitSummary],
    now_ms: i64,
    uptime: u64,
) -> String {
    let mut out = Exposition::default();
    let beds: u64 = units.iter().map(|u| u64::from(u.beds)).sum();
    let occupied: u64 = units.iter().map(|u| u64::from(u.occupied_beds)).sum();

    out.single(
        "ckisa_events_total",
        "counter",
        "Events in the log.",
        status.events,
    );
    out.single(
        "ckisa_patients",
        "gauge",
        "Patients known.",
        status.patients,
    );
    out.single(
        "ckisa_in_house_patients",
        "gauge",
        "Patients currently in house.",
        status.in_house,
    );
    out.single(
        "ckisa_quarantined_total",
        "counter",
        "Inputs refused to quarantine.",
        status.quarantined,
    );
    out.single("ckisa_units", "gauge", "Units known.", status.units);
    out.single("ckisa_beds", "gauge", "Beds known.", beds);
    out.single(
        "ckisa_occupied_beds",
        "gauge",
        "Beds with a patient.",
        occupied,
    );
    out.single(
        "ckisa_schema_version",
        "gauge",
        "Store schema version.",
        status.schema_version,
    );
    out.single(
        "ckisa_uptime_seconds",
        "gauge",
        "Seconds since the web server started.",
        uptime,
    );

    let feeds = &status.feeds;
    let ages: Vec<(&str, i64)> = feeds
        .iter()
        .filter_map(|f| {
            f.last_received_ms
                .map(|ms| (f.name.as_str(), now_ms.saturating_sub(ms).max(0)))
        })
        .collect();
    out.header(
        "ckisa_feed_last_message_age_seconds",
        "gauge",
        "Seconds since the feed's last accepted input.",
    );
    for (name, age_ms) in ages {
        out.labelled(
            "ckisa_feed_last_message_age_seconds",
            "feed",
            name,
            age_ms as f64 / 1000.0,
        );
    }
    out.family(
        "ckisa_feed_accepted_total",
        "Inputs accepted per feed.",
        "feed",
        feeds.iter().map(|f| (f.name.as_str(), f.accepted)),
    );
    out.family(
        "ckisa_feed_duplicates_total",
        "Duplicate inputs ignored per feed.",
        "feed",
        feeds.iter().map(|f| (f.name.as_str(), f.duplicates)),
    );
    out.family(
        "ckisa_feed_rejected_total",
        "Inputs rejected per feed.",
        "feed",
        feeds.iter().map(|f| (f.name.as_str(), f.rejected)),
    );
    out.family(
        "ckisa_facts_total",
        "Events per fact kind.",
        "kind",
        status.facts.iter().map(|(k, n)| (k.as_str(), *n)),
    );
    out.text
}

#[derive(Default)]
struct Exposition {
    text: String,
}

impl Exposition {
    fn header(&mut self, name: &str, kind: &str, help: &str) {
        // Writing to a String cannot fail.
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
        self.header(name, kind, help);
        let _ = writeln!(self.text, "{name} {value}");
    }

    fn labelled(&mut self, name: &str, label: &str, value: &str, sample: impl std::fmt::Display) {
        let _ = writeln!(
            self.text,
            "{name}{{{label}=\"{}\"}} {sample}",
            escape_label(value)
        );
    }

    fn family<'a>(
        &mut self,
        name: &str,
        help: &str,
        label: &str,
        samples: impl Iterator<Item = (&'a str, u64)>,
    ) {
        self.header(name, "counter", help);
        for (value, sample) in samples {
            self.labelled(name, label, value, sample);
        }
    }
}

/// Escapes a label value: backslash, double quote and line feed.
fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn every_family_has_help_and_type_before_its_samples() {
        let status = StoreStatus {
            events: 3,
            patients: 2,
            in_house: 1,
            units: 1,
            quarantined: 0,
            feeds: vec![ckisa_store::FeedStatus {
                name: "adt\"x".into(),
                last_received_ms: Some(1_000),
                accepted: 5,
                duplicates: 1,
                rejected: 0,
            }],
            facts: vec![("patient".into(), 2)],
            schema_version: 1,
        };
        let text = render(&status, &[], 5_500, 7);
        assert!(text.contains("ckisa_feed_last_message_age_seconds{feed=\"adt\\\"x\"} 4.5\n"));
        assert!(text.contains("ckisa_facts_total{kind=\"patient\"} 2\n"));
        let mut declared = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                declared.push(rest.split(' ').next().unwrap_or_default().to_owned());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap_or_default();
                assert!(
                    declared.iter().any(|d| d == name),
                    "{name} sampled before its TYPE"
                );
            }
        }
    }
}
