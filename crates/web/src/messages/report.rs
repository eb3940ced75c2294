//! The messaging's part of the after-action report of a crisis: messages
//! per channel over the crisis, each broadcast with how many acknowledged
//! it and how fast, and each staff recall with its answers per role. The
//! crisis report page and its PDF both take it from here.

use askama::Template;
use ckisa_messaging::report::{self, Figures};
use ckisa_print::{Align, Column, Document, Row, TableError};

use crate::AppState;
use crate::error::AppError;
use crate::format::Fmt;
use crate::i18n::Tr;
use crate::layout::role_label;

/// The section in words.
pub(crate) struct Section {
    channels: Vec<(String, String, String)>,
    broadcasts: Vec<[String; 6]>,
    recalls: Vec<[String; 6]>,
    total: String,
}

/// A minute figure such as `3,5 min`, or a dash.
fn minutes(tr: Tr, value: Option<f64>) -> String {
    match value {
        Some(min) => {
            let text = format!("{min:.1}");
            let text = text.replace('.', tr.t("number.decimal_separator"));
            format!("{text} min")
        }
        None => "—".to_owned(),
    }
}

/// The section of the crisis that ran from `from_ms` to `to_ms`.
pub(crate) async fn section(
    state: &AppState,
    fmt: &Fmt<'_>,
    from_ms: i64,
    to_ms: i64,
) -> Result<Section, AppError> {
    let figures: Figures = {
        let book = state.messages_book().await?;
        report::figures(&book, from_ms, to_ms)
    };
    let tr = fmt.tr;
    let total: usize = figures.channels.iter().map(|c| c.messages).sum();
    let channels = figures
        .channels
        .iter()
        .map(|c| {
            let name = if c.id == report::DIRECT_ROW {
                tr.t("report_messages.direct_row").to_owned()
            } else {
                c.name.clone()
            };
            let href = if c.id == report::DIRECT_ROW {
                String::new()
            } else {
                format!("{}/export.csv", super::render::channel_href(&c.id))
            };
            (name, c.messages.to_string(), href)
        })
        .collect();
    let broadcasts = figures
        .broadcasts
        .iter()
        .map(|b| {
            [
                fmt.wall(b.sent_ms),
                b.text.clone(),
                tr.t(match b.priority {
                    ckisa_domain::Priority::Urgent => "report_messages.urgent",
                    ckisa_domain::Priority::Important => "report_messages.important",
                    ckisa_domain::Priority::Information => "report_messages.information",
                })
                .to_owned(),
                format!("{} / {}", b.acknowledged, b.recipients),
                format!(
                    "{} · {}",
                    minutes(tr, b.median_ack_min),
                    minutes(tr, b.max_ack_min)
                ),
                b.escalations.to_string(),
            ]
        })
        .collect();
    let recalls = figures
        .recalls
        .iter()
        .flat_map(|r| {
            let started = fmt.wall(r.started_ms);
            r.roles.iter().map(move |count| {
                let role = ckisa_auth::Role::from_code(&count.role)
                    .map_or(count.role.clone(), |role| role_label(tr, role).to_owned());
                [
                    started.clone(),
                    role,
                    count.called.to_string(),
                    count.coming.to_string(),
                    count.unavailable.to_string(),
                    count.silent.to_string(),
                ]
            })
        })
        .collect();
    Ok(Section {
        channels,
        broadcasts,
        recalls,
        total: tr.fmt("report_messages.total", &[("n", &total.to_string())]),
    })
}

#[derive(Template)]
#[template(path = "messages/report_section.html")]
struct SectionTemplate<'a> {
    tr: Tr,
    s: &'a Section,
    may_export: bool,
}

/// The section as HTML for the report page.
pub(crate) fn html(tr: Tr, section: &Section, may_export: bool) -> Result<String, AppError> {
    Ok(SectionTemplate {
        tr,
        s: section,
        may_export,
    }
    .render()?)
}

/// The section appended to the report's PDF.
pub(crate) fn pdf(tr: Tr, document: &mut Document, section: &Section) -> Result<(), TableError> {
    document.heading(tr.t("report_messages.title"));
    document.paragraph(&section.total);
    if !section.channels.is_empty() {
        let columns = [
            Column::new(tr.t("report_messages.col_channel"), 4.0),
            Column::new(tr.t("report_messages.col_messages"), 1.0).align(Align::Right),
        ];
        let rows: Vec<Row> = section
            .channels
            .iter()
            .map(|(name, count, _)| Row::new([name.as_str(), count.as_str()]))
            .collect();
        document.table(&columns, &rows)?;
    }
    document.heading(tr.t("report_messages.broadcasts"));
    if section.broadcasts.is_empty() {
        document.paragraph(tr.t("report_messages.none"));
    } else {
        let columns = [
            Column::new(tr.t("report_messages.col_sent"), 1.6),
            Column::new(tr.t("report_messages.col_text"), 3.0),
            Column::new(tr.t("report_messages.col_priority"), 1.1),
            Column::new(tr.t("report_messages.col_acknowledged"), 1.2).align(Align::Right),
            Column::new(tr.t("report_messages.col_delay"), 1.6),
            Column::new(tr.t("report_messages.col_escalations"), 1.0).align(Align::Right),
        ];
        let rows: Vec<Row> = section
            .broadcasts
            .iter()
            .map(|r| Row::new(r.iter().map(String::as_str)))
            .collect();
        document.table(&columns, &rows)?;
    }
    document.heading(tr.t("report_messages.recalls"));
    if section.recalls.is_empty() {
        document.paragraph(tr.t("report_messages.none"));
    } else {
        let columns = [
            Column::new(tr.t("report_messages.col_started"), 1.6),
            Column::new(tr.t("report_messages.col_role"), 2.0),
            Column::new(tr.t("report_messages.col_called"), 1.0).align(Align::Right),
            Column::new(tr.t("report_messages.col_coming"), 1.0).align(Align::Right),
            Column::new(tr.t("report_messages.col_unavailable"), 1.2).align(Align::Right),
            Column::new(tr.t("report_messages.col_silent"), 1.2).align(Align::Right),
        ];
        let rows: Vec<Row> = section
            .recalls
            .iter()
            .map(|r| Row::new(r.iter().map(String::as_str)))
            .collect();
        document.table(&columns, &rows)?;
    }
    Ok(())
}
