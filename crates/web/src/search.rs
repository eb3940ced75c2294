//! Patient search (`/recherche?q=...`): reading what a caregiver types into
//! a [`PatientQuery`], and the results page.
//!
//! One box takes a name, a birth date (dd/mm/yyyy) and/or an identifier,
//! in any order: `DUPONT 01/02/1950`, `123456`, `ipp:HOPITAL|123456`.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use ckisa_auth::{Action, Reach};
use ckisa_store::{PatientQuery, PatientRow};
use serde::Deserialize;

use crate::access::{Audited, Caller};
use crate::error::{AppError, BadInput};
use crate::format::{Fmt, clean, full_name, patient_href, place, unit_href};
use crate::i18n::Tr;
use crate::layout::{self, Nav, Page};
use crate::{AppState, PageCtx};

/// Most results a search returns.
pub(crate) const SEARCH_LIMIT: usize = 50;

/// Longest search text accepted, in characters.
const MAX_QUERY_CHARS: usize = 200;

/// Query string of the search page and API.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchParams {
    /// What was typed.
    pub(crate) q: Option<String>,
}

/// Reads typed text into a query: a date token is the birth date, a token
/// with a digit or a `|` is an identifier, the rest is the name.
/// `Ok(None)` when nothing was typed.
pub(crate) fn parse_query(text: &str) -> Result<Option<PatientQuery>, BadInput> {
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(BadInput::QueryTooLong);
    }
    let mut query = PatientQuery::default();
    let mut name = Vec::new();
    for token in text.split_whitespace() {
        if let Some(date) = date_token(token)? {
            query.birth_date = Some(date);
        } else if token.contains('|') || token.bytes().any(|b| b.is_ascii_digit()) {
            query.identifier = Some(token.to_owned());
        } else {
            name.push(token);
        }
    }
    if !name.is_empty() {
        query.name = Some(name.join(" "));
    }
    Ok((query != PatientQuery::default()).then_some(query))
}

/// A `dd/mm/yyyy` (or `dd-mm-yyyy`, `dd.mm.yyyy`, `yyyy-mm-dd`) token as a
/// date; an error when it has that shape but is not a calendar date.
fn date_token(token: &str) -> Result<Option<(i16, u8, u8)>, BadInput> {
    let parts: Vec<&str> = token.split(['/', '-', '.']).collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if parts.len() != 3 || !numeric {
        return Ok(None);
    }
    let (day, month, year) = match (parts[0].len(), parts[1].len(), parts[2].len()) {
        (1 | 2, 1 | 2, 4) => (parts[0], parts[1], parts[2]),
        (4, 1 | 2, 1 | 2) => (parts[2], parts[1], parts[0]),
        _ => return Ok(None),
    };
    let invalid = || BadInput::DateInvalid(token.to_owned());
    let year: i16 = year.parse().map_err(|_| invalid())?;
    let month: u8 = month.parse().map_err(|_| invalid())?;
    let day: u8 = day.parse().map_err(|_| invalid())?;
    jiff::civil::Date::new(year, month as i8, day as i8).map_err(|_| invalid())?;
    Ok(Some((year, month, day)))
}

/// What a search found.
pub(crate) struct Found {
    /// The text typed.
    pub(crate) text: String,
    /// Matching patients, at most [`SEARCH_LIMIT`]; `None` when nothing was
    /// typed. Patients outside the caller's units have no location and are
    /// flagged, or are left out for a caller who cannot break the glass.
    pub(crate) rows: Option<Vec<PatientRow>>,
    /// For each row of `rows`: whether it is outside the caller's units.
    pub(crate) outside: Vec<bool>,
    /// The caller's role shows names in no unit (a crisis role without a
    /// granted unit): nothing was searched, and the page says why.
    pub(crate) no_units: bool,
    /// More than [`SEARCH_LIMIT`] patients matched: `rows` holds only the
    /// first ones, and the caregiver must narrow the search.
    pub(crate) truncated: bool,
}

/// Runs a search. The store is asked for one row more than the limit, to
/// know whether the answer is cut.
pub(crate) async fn run(
    state: &AppState,
    caller: &Caller,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Found, AppError> {
    let Ok(Query(params)) = params else {
        return Err(AppError::BadInput(BadInput::QueryInvalid));
    };
    let text = params.q.unwrap_or_default();
    if caller.reaches_no_unit(Action::PatientSearch) {
        caller.audit(state, Audited::denied(Action::PatientSearch).detail(&text));
        return Ok(Found {
            text,
            rows: Some(Vec::new()),
            outside: Vec::new(),
            no_units: true,
            truncated: false,
        });
    }
    let Some(query) = parse_query(&text).map_err(AppError::BadInput)? else {
        return Ok(Found {
            text,
            rows: None,
            outside: Vec::new(),
            no_units: false,
            truncated: false,
        });
    };
    let found = state
        .read(move |store| store.search_patients(&query, SEARCH_LIMIT + 1))
        .await?;
    let truncated = found.len() > SEARCH_LIMIT;
    let can_break = caller.reach(Action::BreakGlass) != Reach::Never;
    let mut rows = Vec::new();
    let mut outside = Vec::new();
    for mut row in found.into_iter().take(SEARCH_LIMIT) {
        let in_scope = row
            .unit
            .as_deref()
            .is_some_and(|unit| caller.may_see_unit(Action::PatientSearch, unit))
            || caller.reaches_all_units(Action::PatientSearch);
        if !in_scope {
            if !can_break {
                continue;
            }
            row.unit = None;
            row.room = None;
            row.bed = None;
        }
        rows.push(row);
        outside.push(!in_scope);
    }
    caller.audit(state, Audited::allowed(Action::PatientSearch).detail(&text));
    Ok(Found {
        text,
        rows: Some(rows),
        outside,
        no_units: false,
        truncated,
    })
}

struct ResultRow {
    name: String,
    href: String,
    birth: String,
    sex: &'static str,
    ipp: String,
    location: String,
    unit_href: Option<String>,
    /// Outside the caller's units: the link asks for break-the-glass.
    outside: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchTemplate<'a> {
    tr: Tr,
    query: &'a str,
    searched: bool,
    rows: Vec<ResultRow>,
    /// "Plus de 50 résultats..." when the list is cut.
    truncated: Option<String>,
    /// The caller's role shows no names: say so instead of "no patient".
    no_units: bool,
}

/// `GET /recherche`.
pub(crate) async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    caller: Caller,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let found = run(&state, &caller, params).await?;
    let feeds = state.read(|store| store.feeds()).await?;
    let fmt = ctx.fmt(&state);
    let searched = found.rows.is_some();
    let rows = found
        .rows
        .unwrap_or_default()
        .iter()
        .zip(&found.outside)
        .map(|(row, outside)| result_row(&fmt, row, *outside))
        .collect();
    let truncated = found.truncated.then(|| {
        fmt.tr
            .fmt("search.truncated", &[("n", &SEARCH_LIMIT.to_string())])
    });
    let main = SearchTemplate {
        tr: fmt.tr,
        query: &found.text,
        searched,
        rows,
        truncated,
        no_units: found.no_units,
    }
    .render()?;
    let page = Page {
        title: fmt.tr.t("search.title"),
        nav: Nav::Search,
        query: &found.text,
        main,
    };
    layout::respond(&state, &ctx, &feeds, page)
}

fn result_row(fmt: &Fmt<'_>, row: &PatientRow, outside: bool) -> ResultRow {
    let birth = match row.birth_date.as_ref() {
        Some(birth) => match fmt.age(birth) {
            Some(age) => format!("{} ({age})", birth.display_fr(fmt.zone)),
            None => birth.display_fr(fmt.zone),
        },
        None => fmt.tr.t("date.unknown").to_owned(),
    };
    let unit = clean(row.unit.as_deref());
    let bed = place(row.room.as_deref(), row.bed.as_deref());
    let location = match (&unit, bed) {
        _ if outside => fmt.tr.t("search.outside").to_owned(),
        (Some(unit), Some(bed)) => format!("{unit} — {bed}"),
        (Some(unit), None) => unit.clone(),
        (None, Some(bed)) => bed,
        (None, None) => fmt.tr.t("patient.not_hospitalised").to_owned(),
    };
    ResultRow {
        name: full_name(row.family.as_deref(), row.given.as_deref()),
        href: if outside {
            crate::breakglass::href(&row.patient)
        } else {
            patient_href(&row.patient)
        },
        outside,
        birth,
        sex: fmt.sex_short(row.sex),
        ipp: clean(row.ipp.as_deref()).unwrap_or_else(|| "—".into()),
        location,
        unit_href: unit.as_deref().map(unit_href),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: Option<&str>, date: Option<(i16, u8, u8)>, id: Option<&str>) -> PatientQuery {
        PatientQuery {
            name: name.map(str::to_owned),
            birth_date: date,
            identifier: id.map(str::to_owned),
        }
    }

    #[test]
    fn names_dates_and_identifiers_combine() {
        let parsed = parse_query("DUPONT 01/02/1950").unwrap();
        assert_eq!(
            parsed,
            Some(query(Some("DUPONT"), Some((1950, 2, 1)), None))
        );
        let parsed = parse_query("  Le Goff  ").unwrap();
        assert_eq!(parsed, Some(query(Some("Le Goff"), None, None)));
        let parsed = parse_query("123456").unwrap();
        assert_eq!(parsed, Some(query(None, None, Some("123456"))));
        let parsed = parse_query("ipp:HOPITAL|123456").unwrap();
        assert_eq!(parsed, Some(query(None, None, Some("ipp:HOPITAL|123456"))));
        let parsed = parse_query("1950-02-01 T1011").unwrap();
        assert_eq!(parsed, Some(query(None, Some((1950, 2, 1)), Some("T1011"))));
        assert_eq!(
            parse_query("5/3/2024").unwrap(),
            Some(query(None, Some((2024, 3, 5)), None))
        );
    }

    #[test]
    fn empty_text_is_no_search() {
        assert_eq!(parse_query("").unwrap(), None);
        assert_eq!(parse_query("   ").unwrap(), None);
    }

    #[test]
    fn impossible_dates_and_long_text_are_refused() {
        assert_eq!(
            parse_query("31/02/1950"),
            Err(BadInput::DateInvalid("31/02/1950".into()))
        );
        assert_eq!(parse_query(&"A".repeat(201)), Err(BadInput::QueryTooLong));
    }
}
