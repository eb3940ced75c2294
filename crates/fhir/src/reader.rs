//! The reading pipeline: input framing into units (a bundle, a resource, an
//! NDJSON line), then for each unit: entries to typed resources, an index of
//! what references can reach, and the facts of each resource.
//!
//! Every failure is local: an entry that cannot be read becomes a problem
//! at its own location and the others go on (edge case B16).

use serde_json::value::RawValue;

use crate::error::EntryError;
use crate::input::{self, EntrySlot, Framing, RawBundle};
use crate::map::{self, Ctx, Resource, coded, first_code};
use crate::model::EntryRequest;
use crate::resolve::{Index, LocationInfo, Resolved, Target, id_from_full_url};
use crate::{Document, Item, Problem};

/// Reads framed input into `doc`.
pub(crate) fn read_into(bytes: &[u8], doc: &mut Document) {
    match input::framing(input::strip_bom(bytes)) {
        Framing::Single(bytes) => read_value(bytes, None, doc),
        Framing::Lines(bytes) => {
            for (at, line) in bytes.split(|&b| b == b'\n').enumerate() {
                let line = line.trim_ascii();
                if !line.is_empty() {
                    read_value(line, Some(at + 1), doc);
                }
            }
        }
    }
}

/// One JSON value: a Bundle, whose entries form one unit, or a resource.
/// `line` is its NDJSON line number.
fn read_value(bytes: &[u8], line: Option<usize>, doc: &mut Document) {
    let whole = line.map_or_else(|| String::from("document"), |line| format!("ligne {line}"));
    let fail = |doc: &mut Document, err: EntryError| {
        doc.entries += 1;
        doc.problems.push(Problem {
            location: whole.clone(),
            reason: err.to_string(),
            dropped: true,
        });
    };
    if bytes.is_empty() {
        return fail(doc, EntryError::EmptyDocument);
    }
    let text = match input::utf8(bytes) {
        Ok(text) => text,
        Err(err) => return fail(doc, err),
    };
    // A bundle is validated by its own parse; anything else is checked to be JSON first.
    if input::sniff_resource_type(text) != Some("Bundle") {
        let raw = match serde_json::from_str::<&RawValue>(text) {
            Ok(raw) => raw,
            Err(err) => return fail(doc, EntryError::InvalidJson(err)),
        };
        if input::resource_type(raw.get()).ok().as_deref() != Some("Bundle") {
            let slot = Slot::resource(line, raw.get());
            return read_unit(vec![slot], doc);
        }
    }
    match serde_json::from_str::<RawBundle<'_>>(text) {
        Ok(bundle) => {
            let slots = bundle.entry.into_iter().enumerate();
            read_unit(
                slots
                    .map(|(at, entry)| Slot::entry(line, at, entry))
                    .collect(),
                doc,
            );
        }
        Err(err) => fail(
            doc,
            EntryError::InvalidResource {
                resource_type: "Bundle".into(),
                source: err,
            },
        ),
    }
}

/// Where an entry is; shown in problems as `entry[3]`, `ligne 4`,
/// `ligne 4, entry[3]` or `ressource`.
#[derive(Debug, Clone, Copy)]
struct Place {
    line: Option<usize>,
    entry: Option<usize>,
}

impl Place {
    /// Entry index, else line number, else 0.
    fn position(self) -> usize {
        self.entry.or(self.line).unwrap_or(0)
    }

    /// The place, and the resource when known: `entry[3] (Observation/abc)`.
    fn describe(self, resource: Option<(&str, Option<&str>)>) -> String {
        let place = match (self.line, self.entry) {
            (Some(line), Some(entry)) => format!("ligne {line}, entry[{entry}]"),
            (Some(line), None) => format!("ligne {line}"),
            (None, Some(entry)) => format!("entry[{entry}]"),
            (None, None) => String::from("ressource"),
        };
        match resource {
            Some((kind, Some(id))) => format!("{place} ({kind}/{id})"),
            Some((kind, None)) => format!("{place} ({kind})"),
            None => place,
        }
    }
}

/// One entry or resource to read, still raw.
struct Slot<'a> {
    place: Place,
    full_url: Option<String>,
    resource: Option<&'a str>,
    request: Option<EntryRequest>,
    not_an_object: bool,
}

impl<'a> Slot<'a> {
    fn resource(line: Option<usize>, raw: &'a str) -> Slot<'a> {
        let place = Place { line, entry: None };
        Slot {
            place,
            full_url: None,
            resource: Some(raw),
            request: None,
            not_an_object: false,
        }
    }

    fn entry(line: Option<usize>, at: usize, entry: EntrySlot<'a>) -> Slot<'a> {
        let place = Place {
            line,
            entry: Some(at),
        };
        match entry {
            EntrySlot::Entry(entry) => Slot {
                place,
                full_url: input::full_url(entry.full_url),
                resource: entry.resource.map(RawValue::get),
                request: input::request(entry.request),
                not_an_object: false,
            },
            EntrySlot::NotAnObject => Slot {
                place,
                full_url: None,
                resource: None,
                request: None,
                not_an_object: true,
            },
        }
    }
}

/// A resource ready to map.
struct Parsed {
    place: Place,
    full_url: Option<String>,
    kind: String,
    id: String,
    resource: Resource,
}

/// What became of a slot before mapping.
enum Prepared {
    Parsed(Box<Parsed>),
    /// Not mapped; counted under this key. A skipped resource still
    /// resolves by its fullUrl, so a subject pointing at it gets a clear problem.
    Skipped(String, Option<(String, Target)>),
    Failed(Problem),
}

/// Reads the entries of one unit into `doc`; problems come out in entry order.
fn read_unit(slots: Vec<Slot<'_>>, doc: &mut Document) {
    let mut problems: Vec<(usize, Problem)> = Vec::new();
    let mut parsed = Vec::with_capacity(slots.len());
    let mut index = Index::default();
    doc.entries += slots.len();
    for slot in slots {
        let position = slot.place.position();
        match prepare(slot) {
            Prepared::Parsed(p) => parsed.push(*p),
            Prepared::Skipped(kind, target) => {
                *doc.skipped.entry(kind).or_default() += 1;
                if let Some((url, target)) = target {
                    index.add_url(&url, target);
                }
            }
            Prepared::Failed(problem) => problems.push((position, problem)),
        }
    }

    fill_index(&mut index, &parsed);
    for p in parsed {
        map_one(p, &index, doc, &mut problems);
    }
    problems.sort_by_key(|(position, _)| *position);
    doc.problems
        .extend(problems.into_iter().map(|(_, problem)| problem));
}

/// Maps one resource into an item of `doc`, or into problems.
fn map_one(p: Parsed, index: &Index, doc: &mut Document, problems: &mut Vec<(usize, Problem)>) {
    let position = p.place.position();
    let problem = |err: EntryError, dropped: bool| {
        let location = p.place.describe(Some((&p.kind, Some(&p.id))));
        let reason = err.to_string();
        (
            position,
            Problem {
                location,
                reason,
                dropped,
            },
        )
    };
    let mut ctx = Ctx {
        index,
        warnings: Vec::new(),
    };
    match map::facts(p.resource, &p.id, &mut ctx) {
        Ok(facts) if facts.is_empty() => *doc.skipped.entry(p.kind.clone()).or_default() += 1,
        Ok(facts) => {
            let fhir_id = format!("{}/{}", p.kind, p.id);
            doc.items.push(Item {
                fhir_id,
                line_or_entry: position,
                facts,
            });
        }
        Err(err) => problems.push(problem(err, true)),
    }
    problems.extend(
        ctx.warnings
            .into_iter()
            .map(|warning| problem(warning, false)),
    );
}

/// Request method, resource type, typed parse and id of one slot.
fn prepare(slot: Slot<'_>) -> Prepared {
    let place = slot.place;
    let fail = |resource: Option<(&str, Option<&str>)>, err: EntryError| {
        let location = place.describe(resource);
        Prepared::Failed(Problem {
            location,
            reason: err.to_string(),
            dropped: true,
        })
    };
    let raw = match slot_resource(&slot) {
        Ok(raw) => raw,
        Err(Some(prepared)) => return prepared,
        Err(None) => return fail(None, EntryError::MissingResource),
    };
    let kind = match input::resource_type(raw) {
        Ok(kind) => kind,
        Err(err) => return fail(None, err),
    };
    let url_id = slot.full_url.as_deref().and_then(id_from_full_url);
    let resource = match Resource::parse(&kind, raw) {
        Some(Ok(resource)) => resource,
        Some(Err(source)) => {
            let err = EntryError::InvalidResource {
                resource_type: kind.clone(),
                source,
            };
            return fail(Some((&kind, url_id.as_deref())), err);
        }
        None => {
            let target = slot.full_url.zip(url_id).map(|(url, id)| {
                (
                    url,
                    Target {
                        kind: kind.clone(),
                        id,
                    },
                )
            });
            return Prepared::Skipped(kind, target);
        }
    };
    let Some(id) = resource.id().map(str::to_owned).or(url_id) else {
        return fail(
            Some((&kind, None)),
            EntryError::MissingId {
                resource_type: kind.clone(),
            },
        );
    };
    let full_url = slot.full_url;
    Prepared::Parsed(Box::new(Parsed {
        place,
        full_url,
        kind,
        id,
        resource,
    }))
}

/// The resource text of a slot; `Err(Some(_))` when the request says what
/// to do instead (DELETE, GET), `Err(None)` when there is nothing to read.
fn slot_resource<'a>(slot: &Slot<'a>) -> Result<&'a str, Option<Prepared>> {
    let fail = |err: EntryError| {
        let location = slot.place.describe(None);
        Some(Prepared::Failed(Problem {
            location,
            reason: err.to_string(),
            dropped: true,
        }))
    };
    if slot.not_an_object {
        return Err(fail(EntryError::NotAnObject));
    }
    let request = slot.request.as_ref();
    let method = request.and_then(|r| r.method.as_deref()).unwrap_or("");
    if method.eq_ignore_ascii_case("DELETE") {
        let url = request.and_then(|r| r.url.clone()).unwrap_or_default();
        return Err(fail(EntryError::DeleteNotSupported { url }));
    }
    match slot.resource {
        Some(raw) => Ok(raw),
        // A read or search inside a transaction carries no data.
        None if method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD") => {
            Err(Some(Prepared::Skipped(
                format!("requête {}", method.to_ascii_uppercase()),
                None,
            )))
        }
        None => Err(None),
    }
}

/// Records fullUrls, then what mappers read from other entries.
fn fill_index(index: &mut Index, parsed: &[Parsed]) {
    for p in parsed {
        map::index_keys(index, &p.resource, &p.kind, &p.id);
        if let Some(url) = &p.full_url {
            index.add_url(
                url,
                Target {
                    kind: p.kind.clone(),
                    id: p.id.clone(),
                },
            );
        }
    }
    for p in parsed {
        match &p.resource {
            Resource::Location(location) => {
                let part_of = location
                    .part_of
                    .as_ref()
                    .and_then(|r| r.reference.as_deref());
                let part_of = match part_of.map(|r| index.resolve(r)) {
                    Some(Resolved::Local(target)) => Some(target.reference()),
                    _ => None,
                };
                let info = LocationInfo {
                    name: location.name.clone(),
                    physical_type: first_code(location.physical_type.as_ref()).map(str::to_owned),
                    part_of,
                };
                index.locations.insert(format!("Location/{}", p.id), info);
            }
            Resource::Medication(medication) => {
                index.medications.insert(
                    format!("Medication/{}", p.id),
                    coded(medication.code.clone()),
                );
            }
            Resource::DiagnosticReport(report) => {
                let report_id = map::stable_id("DiagnosticReport", &p.id);
                for reference in report.result.iter().filter_map(|r| r.reference.as_deref()) {
                    if let Resolved::Local(target) = index.resolve(reference) {
                        index
                            .report_of
                            .insert(target.reference(), report_id.clone());
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::read;

    fn locations_and_reasons(text: &str) -> Vec<(String, String)> {
        let doc = read(text.as_bytes(), "test");
        doc.problems
            .into_iter()
            .map(|p| (p.location, p.reason))
            .collect()
    }

    #[test]
    fn one_bad_entry_spoils_only_itself() {
        let text = r#"{"resourceType":"Bundle","type":"collection","entry":[
          {"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","id":"p"}},
          {"resource":{"resourceType":"Observation","id":"o1","code":{"text":"x"}}},
          "oops",
          {"resource":{"resourceType":"Observation","id":"o2","status":5,"subject":{"reference":"urn:uuid:p"}}},
          {"resource":{"resourceType":"Observation","id":"o3","subject":{"reference":"urn:uuid:p"},"effectiveDateTime":"2024-02-30"}},
          {"resource":{"resourceType":"Condition","id":"c","subject":{"reference":"urn:uuid:gone"}}},
          {"fullUrl":"urn:uuid:x"}]}"#;
        let doc = read(text.as_bytes(), "test");
        let ids: Vec<&str> = doc.items.iter().map(|i| i.fhir_id.as_str()).collect();
        assert_eq!(ids, ["Patient/p", "Observation/o3"]);
        let problems: Vec<(&str, &str)> = doc
            .problems
            .iter()
            .map(|p| (p.location.as_str(), p.reason.as_str()))
            .collect();
        assert_eq!(problems.len(), 6, "{problems:#?}");
        assert_eq!(
            problems[0],
            (
                "entry[1] (Observation/o1)",
                "Observation.subject absent : la ressource ne désigne pas son patient"
            )
        );
        assert_eq!(
            problems[1],
            ("entry[2]", "l'entrée n'est pas un objet JSON")
        );
        assert_eq!(problems[2].0, "entry[3] (Observation)");
        assert!(
            problems[2]
                .1
                .starts_with("Observation non conforme : élément de type inattendu ligne 1"),
            "{}",
            problems[2].1
        );
        assert_eq!(
            problems[3],
            (
                "entry[4] (Observation/o3)",
                "Observation.effective[x] : date invalide « 2024-02-30 », élément ignoré"
            )
        );
        assert_eq!(
            problems[4],
            (
                "entry[5] (Condition/c)",
                "Condition.subject : la référence « urn:uuid:gone » ne désigne aucun patient identifiable"
            )
        );
        assert_eq!(problems[5], ("entry[6]", "entrée sans ressource"));
        let dropped: Vec<bool> = doc.problems.iter().map(|p| p.dropped).collect();
        assert_eq!(dropped, [true, true, true, false, true, true]);
        assert_eq!(doc.entries, 7);
    }

    #[test]
    fn ndjson_lines_are_independent() {
        let text = "\u{feff}{\"resourceType\":\"Patient\",\"id\":\"a\"}\r\n\n{\"resourceType\":\"Patient\",\"id\"\n\
                    {\"resourceType\":\"Patient\"}\n{\"resourceType\":\"Claim\",\"id\":\"c\"}\n\
                    {\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"b\"}}]}\n";
        let doc = read(text.as_bytes(), "export.ndjson");
        let items: Vec<(usize, &str)> = doc
            .items
            .iter()
            .map(|i| (i.line_or_entry, i.fhir_id.as_str()))
            .collect();
        assert_eq!(items, [(1, "Patient/a"), (0, "Patient/b")]);
        let problems = locations_and_reasons(text);
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].0, "ligne 3");
        assert!(
            problems[0]
                .1
                .starts_with("JSON invalide : fin de texte prématurée"),
            "{}",
            problems[0].1
        );
        assert_eq!(
            problems[1],
            (
                "ligne 4 (Patient)".into(),
                "ressource Patient sans id ni fullUrl exploitable".into()
            )
        );
        assert_eq!(doc.skipped.get("Claim"), Some(&1));
        assert_eq!(doc.entries, 5);
    }

    #[test]
    fn whole_document_failures_are_one_problem() {
        assert_eq!(
            locations_and_reasons("  \n ")[0],
            ("document".into(), "document vide".into())
        );
        assert_eq!(
            locations_and_reasons("{\"resourceType\":\"Patient\",}")[0].0,
            "document"
        );
        let utf8 = read(b"{\"resourceType\":\"Patient\",\"id\":\"\xff\"}", "x");
        assert_eq!(
            utf8.problems[0].reason,
            "texte non UTF-8 (octet invalide n° 33)"
        );
        let bundle = locations_and_reasons(r#"{"resourceType":"Bundle","entry":{}}"#);
        assert!(
            bundle[0].1.starts_with("Bundle non conforme"),
            "{}",
            bundle[0].1
        );
    }

    #[test]
    fn resource_type_need_not_come_first() {
        let doc = read(
            br#"{"id":"p","resourceType":"Patient","gender":"male"}"#,
            "x",
        );
        assert_eq!(doc.items[0].fhir_id, "Patient/p");
        let doc = read(br#"{"entry":[{"resource":{"id":"q","resourceType":"Patient"}}],"resourceType":"Bundle"}"#, "x");
        assert_eq!(doc.items[0].fhir_id, "Patient/q");
    }

    #[test]
    fn deep_nesting_is_no_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(read(deep.as_bytes(), "x").problems.len(), 1);
        let bundle = format!(r#"{{"resourceType":"Bundle","entry":[{{"resource":{deep}}}]}}"#);
        assert_eq!(read(bundle.as_bytes(), "x").problems.len(), 1);
        // Unread elements are skipped without recursion: the patient is read.
        let resource = format!(r#"{{"resourceType":"Patient","id":"p","extension":{deep}}}"#);
        let doc = read(resource.as_bytes(), "x");
        assert_eq!((doc.items.len(), doc.problems.len()), (1, 0));
        let deep_object = format!("{}1{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
        let read_element =
            format!(r#"{{"resourceType":"Patient","id":"p","name":[{deep_object}]}}"#);
        assert_eq!(read(read_element.as_bytes(), "x").problems, []);
    }

    const SAMPLE: &str = r#"{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","id":"1","birthDate":"1999-09-09","name":[{"family":"T"}]},"request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"urn:uuid:2","resource":{"resourceType":"Encounter","id":"2","status":"finished","subject":{"reference":"urn:uuid:1"},"participant":[{"individual":{"reference":"Practitioner?identifier=a|b"}}],"location":[{"location":{"reference":"Location?identifier=c|d","display":"W"}}],"period":{"start":"2024-01-11T08:00:00+01:00"}}},
 {"resource":{"resourceType":"Observation","id":"3","subject":{"reference":"Patient/1"},"valueQuantity":{"value":1.50,"unit":"g"},"component":[{"code":{"text":"c"}}]}}]}"#;

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let doc = read(&bytes, "fuzz");
            prop_assert!(doc.entries >= doc.items.len());
        }

        #[test]
        fn mutated_bundles_never_panic(at in 0..SAMPLE.len(), byte in any::<u8>(), cut in 0..SAMPLE.len()) {
            let mut bytes = SAMPLE.as_bytes().to_vec();
            bytes[at] = byte;
            let _ = read(&bytes, "fuzz");
            let _ = read(&SAMPLE.as_bytes()[..cut], "fuzz");
        }
    }

    #[test]
    fn the_sample_reads_cleanly() {
        let doc = read(SAMPLE.as_bytes(), "sample");
        assert_eq!(doc.problems, []);
        assert_eq!(doc.facts().count(), 4);
    }
}
