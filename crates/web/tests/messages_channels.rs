//! The channels of the secure messaging through their routes, over a real
//! SQLite store: who belongs to which channel and sees what, mentions of
//! people, roles and patients (a patient shows only to those who may open
//! the chart), script typed into messages, channel names and file names,
//! attachments checked by content and size, edits and withdrawals that stay
//! visible, threads and pins, unread counts, the search, the live stream
//! (resumed after the last id it sent, exactly once), and the crisis
//! report's messaging section.
//!
//! The establishment has three units (REA, URG, CARDIO); Anne KERGUELEN
//! (IPP 100001) lies in REA, Yann MORVAN (IPP 200002) in URG.

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE};
use axum::http::{HeaderMap, Request, StatusCode};
use ckisa_auth::{Role, Scope};
use ckisa_domain::{
    Actor, EncounterKey, Event, EventId, Fact, Field, Hlc, Identifier, MessageFact, Moment, NodeId,
    PatientKey, PatientUpdate, Place, Sex, Source, SourceChannel, StayUpdate,
};
use ckisa_messaging::settings::Settings;
use ckisa_store::{Store, Submission};
use futures_util::StreamExt;
use support::crisis::{CrisisNode, advance, clock_now, demo_plan, html, unit};
use support::{Answer, TestSession, send};
use tower::ServiceExt;

const MIN: i64 = 60_000;

/// What an attacker types into a text field.
const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";

/// The smallest PNG header the content check recognises, and some bytes.
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xDE, 0xFF, 0x00, 0x7F,
];

// ---------------------------------------------------------------- the node

/// A node with its two patients, and the settings it was given.
fn node_with(settings: Settings) -> CrisisNode {
    let mut config = support::test_config();
    config.plan = Arc::new(demo_plan());
    config.messaging = Arc::new(settings);
    let node = CrisisNode::with_config(config);
    patients(&node);
    node
}

fn node() -> CrisisNode {
    node_with(Settings::default())
}

fn key(ipp: &str) -> PatientKey {
    PatientKey::ipp("HOPITAL", ipp)
}

fn moment(text: &str) -> Moment {
    Moment::parse_iso(text).expect("test moment")
}

/// A patient and their stay in `unit`, as the HIS sent them two days ago.
fn admitted(ipp: &str, family: &str, given: &str, unit: &str) -> Vec<Fact> {
    let patient = Fact::PatientUpdated(PatientUpdate {
        patient: key(ipp),
        identifiers: vec![Identifier {
            value: ipp.into(),
            system: Some("HOPITAL".into()),
            kind: Some("PI".into()),
        }],
        family: Field::Value(family.into()),
        given: Field::Value(given.into()),
        birth_date: Field::Value(moment("1961-07-14")),
        sex: Field::Value(Sex::Female),
        ..PatientUpdate::default()
    });
    let stay = Fact::StayUpdated(StayUpdate {
        encounter: EncounterKey(format!("SEJ-{ipp}")),
        patient: key(ipp),
        place: Field::Value(Place {
            unit: unit.into(),
            room: Some("1".into()),
            bed: Some("1".into()),
            facility: None,
        }),
        class: Some("I".into()),
        admitted_at: Some(moment("2024-03-12T10:00:00+01:00")),
        attending: None,
        in_house: true,
        effective_at: Some(moment("2024-03-12T10:00:00+01:00")),
        movement_id: None,
    });
    vec![patient, stay]
}

fn patients(node: &CrisisNode) {
    let at = clock_now() - 48 * 60 * MIN;
    let ms = u64::try_from(at).expect("after 1970");
    let facts = [
        admitted("100001", "Kerguelen", "Anne", "REA"),
        admitted("200002", "Morvan", "Yann", "URG"),
    ];
    let events = facts
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, fact)| Event {
            id: EventId::new(ms),
            hlc: Hlc::new(ms, u16::try_from(i).expect("few facts")),
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
        })
        .collect();
    let outcomes = node
        .store
        .commit(vec![Submission {
            feed: "adt".into(),
            received_ms: at,
            dedup: None,
            events,
        }])
        .expect("commit");
    assert!(
        matches!(outcomes[0], ckisa_store::Outcome::Stored),
        "{outcomes:?}"
    );
}

/// The messaging facts in the log.
fn message_facts(node: &CrisisNode) -> Vec<MessageFact> {
    node.store
        .events_of_kind("message", None, 10_000)
        .expect("log reads")
        .into_iter()
        .filter_map(|e| match e.fact {
            Fact::Message(fact) => Some(fact),
            _ => None,
        })
        .collect()
}

/// How many messages were posted.
fn posted(node: &CrisisNode) -> usize {
    message_facts(node)
        .iter()
        .filter(|f| matches!(f, MessageFact::Posted(_)))
        .count()
}

// ---------------------------------------------------------------- requests

/// A channel or message id as one path segment, as the pages write it
/// (letters, digits and `-_.:` kept).
fn segment(id: &str) -> String {
    const KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b':');
    percent_encoding::utf8_percent_encode(id, KEPT).to_string()
}

fn channel_uri(id: &str) -> String {
    format!("/messagerie/canal/{}", segment(id))
}

fn message_uri(id: &str) -> String {
    format!("/messagerie/message/{}", segment(id))
}

fn location(answer: &Answer) -> String {
    answer.header("location").to_owned()
}

/// Posts `text` in channel `id`; returns the answer.
async fn say(node: &CrisisNode, who: &TestSession, id: &str, text: &str) -> Answer {
    node.post(
        who,
        &format!("{}/envoyer", channel_uri(id)),
        &[("texte", text)],
    )
    .await
}

/// Posts `text` in channel `id` and returns the new message's id.
async fn said(node: &CrisisNode, who: &TestSession, id: &str, text: &str) -> String {
    let answer = say(node, who, id, text).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let target = location(&answer);
    target
        .split_once("#m-")
        .unwrap_or_else(|| panic!("no message anchor in {target}"))
        .1
        .to_owned()
}

/// Opens a conversation (`direct`, `groupe` or `canal`) from `who` with
/// `members`; returns the channel's id.
async fn open(
    node: &CrisisNode,
    who: &TestSession,
    kind: &str,
    name: &str,
    members: &[&str],
) -> String {
    let mut fields = vec![("genre", kind), ("nom", name)];
    fields.extend(members.iter().map(|m| ("membres", *m)));
    let answer = node.post(who, "/messagerie/ouvrir", &fields).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let target = location(&answer);
    let encoded = target
        .strip_prefix("/messagerie/canal/")
        .unwrap_or_else(|| panic!("not a channel: {target}"));
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .expect("UTF-8 id")
        .into_owned()
}

/// The value of `data-seq` of a messaging page's live box.
fn page_seq(body: &str) -> u64 {
    let start = body.find("id=\"messagerie\"").expect("a live box");
    let rest = &body[start..];
    let at = rest.find("data-seq=\"").expect("data-seq") + "data-seq=\"".len();
    rest[at..at + rest[at..].find('"').expect("value ends")]
        .parse()
        .expect("a number")
}

/// The stream address the page's script opens: the box's `data-flux`, with
/// `depuis` set to its `data-seq` (as `static/messages.js` builds it).
fn script_stream_uri(body: &str) -> String {
    let start = body.find("id=\"messagerie\"").expect("a live box");
    let rest = &body[start..];
    let at = rest.find("data-flux=\"").expect("data-flux") + "data-flux=\"".len();
    let url = &rest[at..at + rest[at..].find('"').expect("value ends")];
    let join = if url.contains('?') { '&' } else { '?' };
    format!("{url}{join}depuis={}", page_seq(body))
}

/// The `<li>` of channel `id` on the messaging home page.
fn channel_line<'a>(home: &'a str, id: &str) -> Option<&'a str> {
    let at = home.find(&format!("data-canal-lien=\"{id}\""))?;
    let end = home[at..].find("</li>").expect("line ends") + at;
    Some(&home[at..end])
}

/// A multipart message form: the CSRF field (if any), the text and a file.
fn multipart(
    csrf: Option<&str>,
    text: &str,
    file: Option<(&str, &str, &[u8])>,
) -> (String, Vec<u8>) {
    let boundary = "----ckisa-essai-7f3a9c";
    let mut body = Vec::new();
    let mut field = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    if let Some(csrf) = csrf {
        field("csrf", csrf);
    }
    field("texte", text);
    if let Some((name, mime, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"piece\"; \
                 filename=\"{name}\"\r\nContent-Type: {mime}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts a multipart message form in channel `id` as `who`.
async fn upload(node: &CrisisNode, who: &TestSession, id: &str, form: (String, Vec<u8>)) -> Answer {
    let request = Request::post(format!("{}/envoyer", channel_uri(id)))
        .header(COOKIE, &who.cookie)
        .header(CONTENT_TYPE, form.0)
        .body(Body::from(form.1))
        .expect("request");
    send(&node.router, request).await
}

/// `GET uri` as `who`, the body as bytes.
async fn get_bytes(
    node: &CrisisNode,
    who: &TestSession,
    uri: &str,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let request = Request::get(uri)
        .header(COOKIE, &who.cookie)
        .body(Body::empty())
        .expect("request");
    let response = node.router.clone().oneshot(request).await.expect("answer");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .expect("body");
    (status, headers, bytes.to_vec())
}

// ---------------------------------------------------------------- the stream

/// One `messagerie` event of the live stream.
#[derive(Debug)]
struct Pushed {
    id: u64,
    data: serde_json::Value,
}

impl Pushed {
    fn kind(&self) -> &str {
        self.data["type"].as_str().unwrap_or_default()
    }

    fn html(&self) -> &str {
        self.data["html"].as_str().unwrap_or_default()
    }
}

/// The live stream of one browser, read block by block.
struct Flux {
    body: axum::body::BodyDataStream,
    buffer: Vec<u8>,
}

impl Flux {
    /// Opens `uri` as `who`, resuming after `last_event_id` if given.
    async fn open(
        node: &CrisisNode,
        who: &TestSession,
        uri: &str,
        last_event_id: Option<u64>,
    ) -> Flux {
        let mut request = Request::get(uri).header(COOKIE, &who.cookie);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let request = request.body(Body::empty()).expect("request");
        let response = node.router.clone().oneshot(request).await.expect("answer");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers().get(CONTENT_TYPE).expect("a type"),
            "text/event-stream"
        );
        Flux {
            body: response.into_body().into_data_stream(),
            buffer: Vec::new(),
        }
    }

    /// The next block (event or comment), waiting at most `wait`: `Err`
    /// when nothing came in time, `Ok(None)` once the stream ended.
    async fn block(&mut self, wait: Duration) -> Result<Option<String>, ()> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                return Ok(Some(String::from_utf8(block).expect("UTF-8 block")));
            }
            match tokio::time::timeout(wait, self.body.next()).await {
                Err(_) => return Err(()),
                Ok(None) => return Ok(None),
                Ok(Some(chunk)) => self.buffer.extend_from_slice(&chunk.expect("stream reads")),
            }
        }
    }

    /// The next `messagerie` event, within five seconds.
    async fn next(&mut self) -> Pushed {
        loop {
            let block = self
                .block(Duration::from_secs(5))
                .await
                .expect("an event within 5 s")
                .expect("the stream stays open");
            if let Some(pushed) = parse(&block) {
                return pushed;
            }
        }
    }

    /// The next event of type `message`, within five seconds.
    async fn next_message(&mut self) -> Pushed {
        loop {
            let pushed = self.next().await;
            if pushed.kind() == "message" {
                return pushed;
            }
        }
    }

    /// Waits (at most five seconds) for the stream to end, failing on any
    /// event that comes before.
    async fn ends(&mut self) {
        loop {
            match self.block(Duration::from_secs(5)).await {
                Err(()) => panic!("the stream did not end within 5 s"),
                Ok(None) => return,
                Ok(Some(block)) => assert!(parse(&block).is_none(), "sent: {block}"),
            }
        }
    }
}

fn parse(block: &str) -> Option<Pushed> {
    if !block.lines().any(|l| l == "event: messagerie") {
        return None;
    }
    let id = block
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .expect("an event id")
        .parse()
        .expect("a numeric id");
    let data: String = block
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect::<Vec<_>>()
        .join("\n");
    let data: serde_json::Value = serde_json::from_str(&data).expect("JSON data");
    assert_eq!(
        data["seq"].as_u64(),
        Some(id),
        "the id is the entry's number"
    );
    Some(Pushed { id, data })
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn channels_follow_roles_units_and_hand_additions() {
    let node = node();
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let pharmacist = node.login_as("pharma", Role::Pharmacist, Scope::AllUnits);
    let director = node.login_as("dir", Role::CrisisDirector, Scope::Units(Vec::new()));
    let lab = node.login_as("labo", Role::Lab, Scope::Units(Vec::new()));
    let observer = node.login_as("obs", Role::ExerciseObserver, unit("REA"));

    // Each person's home lists the channels of their units, role and cell.
    let home = node.get(&nurse, "/messagerie").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    assert!(
        channel_line(&home.body, "unite:REA").is_some(),
        "{}",
        home.body
    );
    for other in ["unite:URG", "unite:CARDIO", "cellule", "service:pharmacie"] {
        assert!(
            channel_line(&home.body, other).is_none(),
            "nurse sees {other}"
        );
    }
    let home = node.get(&pharmacist, "/messagerie").await;
    assert!(
        channel_line(&home.body, "service:pharmacie").is_some(),
        "{}",
        home.body
    );
    assert!(
        channel_line(&home.body, "unite:REA").is_none(),
        "all units, no unit channel"
    );
    assert!(channel_line(&home.body, "cellule").is_none());
    let home = node.get(&director, "/messagerie").await;
    assert!(
        channel_line(&home.body, "cellule").is_some(),
        "{}",
        home.body
    );
    assert!(channel_line(&home.body, "service:pharmacie").is_none());

    // The nurse reads her unit's channel and writes in it; another unit's
    // channel and a conversation of others do not exist for her.
    let first = said(
        &node,
        &nurse,
        "unite:REA",
        "Passage au dossier papier en REA",
    )
    .await;
    let page = node.get(&nurse, &channel_uri("unite:REA")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Passage au dossier papier en REA"));
    assert_eq!(
        node.get(&nurse, &channel_uri("unite:URG")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        say(&node, &nurse, "unite:URG", "intrusion").await.status,
        StatusCode::NOT_FOUND
    );
    let private = open(&node, &director, "direct", "", &["pharma"]).await;
    said(&node, &director, &private, "Stock de morphine ?").await;
    let answer = node.get(&pharmacist, &channel_uri(&private)).await;
    assert!(
        answer.body.contains("Stock de morphine ?"),
        "{}",
        answer.body
    );
    for (who, what) in [(&nurse, "nurse"), (&lab, "lab")] {
        let answer = node.get(who, &channel_uri(&private)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{what}");
        assert!(!answer.body.contains("morphine"), "{what}");
        let thread = node.get(who, &message_uri(&first)).await;
        assert_eq!(
            thread.status,
            if what == "nurse" {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            },
            "{what}"
        );
    }
    let crisis = node.get(&nurse, &channel_uri("cellule")).await;
    assert_eq!(crisis.status, StatusCode::NOT_FOUND);

    // Someone added by hand reads the unit's channel from then on.
    assert_eq!(
        node.get(&lab, &channel_uri("unite:REA")).await.status,
        StatusCode::NOT_FOUND
    );
    let added = node
        .post(
            &nurse,
            &format!("{}/membres", channel_uri("unite:REA")),
            &[("membres", "labo")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let page = node.get(&lab, &channel_uri("unite:REA")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Passage au dossier papier en REA"));
    assert!(channel_line(&node.get(&lab, "/messagerie").await.body, "unite:REA").is_some());
    // An unknown login is named back, nobody is added.
    let before = message_facts(&node).len();
    let unknown = node
        .post(
            &nurse,
            &format!("{}/membres", channel_uri("unite:REA")),
            &[("membres", "personne")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.body.contains("Aucun compte « personne »"),
        "{}",
        unknown.body
    );
    assert_eq!(message_facts(&node).len(), before);

    // An exercise observer reads her unit's channel but may not write.
    let page = node.get(&observer, &channel_uri("unite:REA")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Passage au dossier papier en REA"));
    assert!(
        !page.body.contains("class=\"composer\""),
        "no composer for an observer"
    );
    let before = posted(&node);
    assert_eq!(
        say(&node, &observer, "unite:REA", "Je peux écrire ?")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(posted(&node), before);

    // The export is the crisis direction's, not a nurse's.
    let export = format!("{}/export.csv", channel_uri("unite:REA"));
    assert!(!page.body.contains("export.csv"));
    assert_eq!(
        node.get(&nurse, &export).await.status,
        StatusCode::FORBIDDEN
    );
    let csv = node.get(&director, &export).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.body.contains("Passage au dossier papier en REA"));
    // ...but not of a conversation it is not part of.
    let others = open(&node, &nurse, "direct", "", &["labo"]).await;
    said(&node, &nurse, &others, "Tube hémolysé").await;
    let export = format!("{}/export.csv", channel_uri(&others));
    assert_eq!(
        node.get(&director, &export).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_patient_mention_links_the_chart_for_those_who_may_see_it_and_nothing_for_others() {
    let node = node();
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let lab = node.login_as("labo", Role::Lab, Scope::Units(Vec::new()));
    node.login_as("pharma", Role::Pharmacist, Scope::AllUnits);
    let conversation = open(&node, &nurse, "direct", "", &["labo"]).await;

    let text = "@labo @pharmacien kaliémie de #100001 à contrôler";
    let id = said(&node, &nurse, &conversation, text).await;
    let chart = "href=\"/patients/ipp:HOPITAL%7C100001\"";

    // The nurse of REA sees the patient, linked to the chart, and the
    // person and role mentioned.
    let page = node.get(&nurse, &channel_uri(&conversation)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(chart), "{}", page.body);
    assert!(
        page.body
            .contains("KERGUELEN Anne, 14/07/1961 (IPP 100001)"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<span class=\"mention person\">@Test labo</span>")
    );
    assert!(
        page.body
            .contains("<span class=\"mention role\">@Pharmacien</span>")
    );

    // The lab, in the same conversation, may not open the chart: it reads
    // "[patient]", neither the name nor the IPP, on every page.
    let search = format!("/messagerie/recherche?q={}", segment("kaliemie"));
    for uri in [channel_uri(&conversation), message_uri(&id), search] {
        let page = node.get(&lab, &uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert!(page.body.contains("kaliémie de "), "{uri}: {}", page.body);
        assert!(
            page.body
                .contains("<span class=\"mention masked\">[patient]</span>"),
            "{uri}: {}",
            page.body
        );
        for secret in ["KERGUELEN", "Kerguelen", "100001", "/patients/"] {
            assert!(!page.body.contains(secret), "{uri} shows {secret}");
        }
    }
    // The IPP is not a search word for anyone.
    let found = node.get(&lab, "/messagerie/recherche?q=100001").await;
    assert!(
        found.body.contains("Aucun message ne contient"),
        "{}",
        found.body
    );
}

#[tokio::test]
async fn an_earlier_version_shows_no_patient_to_those_who_may_not_see_it() {
    let node = node();
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let lab = node.login_as("labo", Role::Lab, Scope::Units(Vec::new()));
    let conversation = open(&node, &nurse, "direct", "", &["labo"]).await;
    let id = said(
        &node,
        &nurse,
        &conversation,
        "kaliémie de #100001 à contrôler",
    )
    .await;
    let chart = "href=\"/patients/ipp:HOPITAL%7C100001\"";

    // An edit keeps the earlier version readable, still without the
    // patient for the lab.
    let edited = node
        .post(
            &nurse,
            &format!("{}/modifier", message_uri(&id)),
            &[("texte", "kaliémie de #100001 à recontrôler à 14 h")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let thread = node.get(&lab, &message_uri(&id)).await;
    assert!(
        thread.body.contains("Versions précédentes (1)"),
        "{}",
        thread.body
    );
    assert!(thread.body.contains("à recontrôler à 14 h"));
    for secret in ["KERGUELEN", "100001"] {
        assert!(
            !thread.body.contains(secret),
            "the thread shows {secret}: {}",
            thread.body
        );
    }
    let thread = node.get(&nurse, &message_uri(&id)).await;
    assert!(thread.body.contains(chart));
}

#[tokio::test]
async fn the_edit_form_gives_the_text_back_as_it_was_typed() {
    let node = node();
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    node.login_as("labo", Role::Lab, Scope::Units(Vec::new()));
    let text = "@labo kaliémie de #100001 à contrôler";
    let id = said(&node, &nurse, "unite:REA", text).await;

    // Saving the form unchanged must keep the mentions.
    let thread = node.get(&nurse, &message_uri(&id)).await;
    let form = &thread.body[thread.body.find("id=\"nouveau\"").expect("the edit form")..];
    let prefilled =
        &form[form.find('>').expect("tag ends") + 1..form.find("</textarea>").expect("end")];
    assert_eq!(prefilled, html(text));
}

#[tokio::test]
async fn a_patient_the_author_may_not_see_cannot_be_mentioned() {
    let node = node();
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let before = posted(&node);

    // Yann MORVAN lies in URG; 424242 is nobody.
    for ipp in ["200002", "424242"] {
        let text = format!("Qui a la chambre de #{ipp} ?");
        let answer = say(&node, &nurse, "unite:REA", &text).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        assert!(
            answer
                .body
                .contains(&format!("Aucun patient #{ipp} dans vos unités")),
            "{}",
            answer.body
        );
        // The text comes back in the form, to be corrected.
        assert!(
            answer
                .body
                .contains(&format!(">{}</textarea>", html(&text))),
            "{}",
            answer.body
        );
        assert!(!answer.body.contains("MORVAN"));
    }
    assert_eq!(posted(&node), before, "nothing stored");

    // Written without the #, it is plain text.
    let id = said(&node, &nurse, "unite:REA", "Qui a la chambre de 200002 ?").await;
    let thread = node.get(&nurse, &message_uri(&id)).await;
    assert!(thread.body.contains("Qui a la chambre de 200002 ?"));
    assert!(!thread.body.contains("MORVAN"));

    // A `#` before anything but an IPP's digits is plain text too.
    let text = "Priorité #1 : voir http://intranet/#ancre et #urgent";
    let id = said(&node, &nurse, "unite:REA", text).await;
    let thread = node.get(&nurse, &message_uri(&id)).await;
    assert!(thread.body.contains(&html(text)), "{}", thread.body);
}

/// A patient the HIS sent (a real admission of the corpus, IHE PAM France,
/// ingested through the same path as a feed) is named by its IPP: a
/// physician who reaches every unit sees who it is; a nurse of another unit
/// in the same conversation sees "[patient]".
#[tokio::test]
async fn a_patient_sent_by_the_his_is_named_by_its_ipp() {
    use ckisa_ingest::files::{IngestContext, ingest_bytes};
    use ckisa_ingest::hl7map::MapContext;
    use ckisa_ingest::pipeline::EventFactory;

    let node = node();
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/hl7v2/ans_pamfr_ADT_A01_admission_SGL.hl7"
    );
    let bytes = std::fs::read(file).expect("the corpus sits beside the repository");
    let factory = EventFactory::new(
        NodeId("corpus".into()),
        ckisa_ingest::clock::ManualClock::new(clock_now()),
    );
    let context = IngestContext {
        feed: "corpus".into(),
        store: node.store.clone(),
        factory: &factory,
        map: MapContext::paris(),
    };
    let report = ingest_bytes(&context, "ans_pamfr_ADT_A01_admission_SGL.hl7", &bytes).unwrap();
    assert_eq!((report.accepted, report.rejected), (1, 0), "{report:?}");

    let physician = node.login_as("med", Role::Physician, Scope::AllUnits);
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let conversation = open(&node, &physician, "direct", "", &["inf-rea"]).await;
    let id = said(
        &node,
        &physician,
        &conversation,
        "Admission de #000003 : à voir",
    )
    .await;

    let seen = node.get(&physician, &message_uri(&id)).await;
    assert!(seen.body.contains("PAT-TROIS DOMINIQUE"), "{}", seen.body);
    assert!(seen.body.contains("(IPP 000003)"), "{}", seen.body);
    let masked = node.get(&nurse, &message_uri(&id)).await;
    assert_eq!(masked.status, StatusCode::OK);
    assert!(
        masked
            .body
            .contains("Admission de <span class=\"mention masked\">[patient]</span>")
    );
    for secret in ["PAT-TROIS", "000003"] {
        assert!(!masked.body.contains(secret), "the nurse sees {secret}");
    }
}

/// The crisis cell exports a unit channel for the after-action report; a
/// patient named there stays "[patient]" for it, as on the pages, and is
/// named only to someone who may open the chart.
#[tokio::test]
async fn the_channel_export_names_a_patient_only_to_who_may_see_the_chart() {
    let node = node();
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let director = node.login_as("dir", Role::CrisisDirector, Scope::Units(Vec::new()));
    said(
        &node,
        &nurse,
        "unite:REA",
        "Kaliémie de #100001 à contrôler",
    )
    .await;

    let export = format!("{}/export.csv", channel_uri("unite:REA"));
    let csv = node.get(&director, &export).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(
        csv.body.contains("Kaliémie de [patient] à contrôler"),
        "{}",
        csv.body
    );
    for secret in ["KERGUELEN", "100001"] {
        assert!(!csv.body.contains(secret), "the export shows {secret}");
    }
}

/// A channel's name is checked like a message's text, and its roles and
/// units must exist.
#[tokio::test]
async fn a_channel_name_roles_and_units_are_checked() {
    let node = node();
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let before = message_facts(&node).len();
    let long = "n".repeat(81);
    for (name, roles, units, refusal) in [
        (
            "a\u{202e}gpj.exe",
            "",
            "",
            "caractère invisible ou de contrôle (U+202E)",
        ),
        ("x\u{1b}[31m", "", "", "U+001B"),
        (
            long.as_str(),
            "",
            "",
            "Le nom fait 81 caractères ; 80 au plus.",
        ),
        ("Transferts", "superadmin", "", "Aucun rôle « superadmin »."),
        ("Transferts", "", "NOPE", "Aucune unité « NOPE »."),
    ] {
        let fields = [
            ("genre", "canal"),
            ("nom", name),
            ("roles", roles),
            ("unites", units),
        ];
        let answer = node.post(&nurse, "/messagerie/ouvrir", &fields).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{name}: {}",
            answer.body
        );
        assert!(
            answer.body.contains(&html(refusal)),
            "{name}: {}",
            answer.body
        );
    }
    assert_eq!(message_facts(&node).len(), before, "nothing stored");
}

#[tokio::test]
async fn script_typed_anywhere_comes_out_as_text() {
    let node = node();
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let lab = node.login_as("labo", Role::Lab, Scope::Units(Vec::new()));

    // A channel named with markup, a message and a file name holding some.
    let name = format!("{SCRIPT}{IMG}");
    let channel = open(&node, &nurse, "canal", &name, &["labo"]).await;
    let home = node.get(&lab, "/messagerie").await;
    let mut flux = Flux::open(&node, &lab, &script_stream_uri(&home.body), None).await;

    let text = format!("alerte {SCRIPT} puis {IMG} fin");
    let file_name = "x%22><img src=x onerror=alert(1)>.png";
    let answer = upload(
        &node,
        &nurse,
        &channel,
        multipart(
            Some(&nurse.csrf),
            &text,
            Some((file_name, "image/png", PNG)),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let id = location(&answer)
        .split_once("#m-")
        .expect("anchor")
        .1
        .to_owned();

    let search = format!("/messagerie/recherche?q={}", segment("onerror alerte"));
    let pages = [
        ("home", "/messagerie".to_owned()),
        ("channel", channel_uri(&channel)),
        ("thread", message_uri(&id)),
        ("search", search),
    ];
    for (what, uri) in pages {
        let page = node.get(&lab, &uri).await;
        assert_eq!(page.status, StatusCode::OK, "{what}");
        assert_no_markup(what, &page.body);
        assert!(
            page.body.contains(&html(SCRIPT)),
            "{what}: the name or text is shown escaped"
        );
        if what != "home" {
            assert!(page.body.contains(&html(IMG)), "{what}: {}", page.body);
            assert!(
                page.body
                    .contains(&html("<img src=x onerror=alert(1)>.png")),
                "{what}"
            );
        }
    }

    // The live stream carries the same escaped rendering.
    let pushed = flux.next_message().await;
    assert_eq!(pushed.data["id"], id.as_str());
    assert_no_markup("stream", pushed.html());
    assert!(pushed.html().contains(&html(SCRIPT)), "{}", pushed.html());
    assert!(pushed.html().contains(&html(IMG)));

    // A refused message gives its text back escaped too.
    let refused = say(&node, &nurse, &channel, &format!("{SCRIPT} #424242")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_no_markup("refusal", &refused.body);
}

/// Fails if `body` holds markup an attacker typed.
fn assert_no_markup(what: &str, body: &str) {
    for raw in [SCRIPT, "<img src=x", "onerror=alert(1)>"] {
        assert!(!body.contains(raw), "{what} holds {raw}: {body}");
    }
}

#[tokio::test]
async fn attachments_are_checked_by_content_and_size_and_come_back_as_they_were() {
    let node = node_with(Settings {
        attachment_max_bytes: 4 * 1024,
        ..Settings::default()
    });
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let colleague = node.login_as("inf-rea-2", Role::Nurse, unit("REA"));
    let outsider = node.login_as("inf-urg", Role::Nurse, unit("URG"));

    // A small PNG goes through and downloads back byte for byte.
    let answer = upload(
        &node,
        &nurse,
        "unite:REA",
        multipart(
            Some(&nurse.csrf),
            "Photo de la feuille de surveillance",
            Some(("feuille.png", "image/png", PNG)),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let id = location(&answer)
        .split_once("#m-")
        .expect("anchor")
        .1
        .to_owned();
    let page = node.get(&colleague, &channel_uri("unite:REA")).await;
    let link = format!("/messagerie/piece/{id}");
    assert!(
        page.body.contains(&format!("href=\"{link}\" download")),
        "{}",
        page.body
    );
    assert!(page.body.contains("feuille.png"));
    let (status, headers, bytes) = get_bytes(&node, &colleague, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, PNG);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    assert_eq!(header("content-type"), "image/png");
    assert!(
        header("content-disposition").starts_with("attachment;"),
        "{headers:?}"
    );
    let disposition = header("content-disposition");
    let encoded = disposition
        .split_once("filename*=UTF-8''")
        .expect("a UTF-8 file name")
        .1;
    let name = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .expect("UTF-8");
    assert_eq!(name, "feuille.png", "{disposition}");
    // The download keeps its own, stricter policy: sandboxed.
    assert_eq!(
        header("content-security-policy"),
        "sandbox; default-src 'none'"
    );
    assert_eq!(header("x-content-type-options"), "nosniff");
    // Not for someone outside the channel.
    let (status, _, bytes) = get_bytes(&node, &outsider, &link).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!bytes.starts_with(&PNG[..8]));

    let before = posted(&node);
    let stored = |bytes: &[u8]| {
        let hash = ckisa_messaging::recall::sha256_hex(bytes);
        node.store.attachment(&hash).expect("store reads").is_some()
    };
    assert!(stored(PNG));

    // A web page named like a picture is refused, whatever it claims.
    let page = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>";
    for mime in ["image/png", "text/html"] {
        let answer = upload(
            &node,
            &nurse,
            "unite:REA",
            multipart(Some(&nurse.csrf), "voir pièce", Some(("x.png", mime, page))),
        )
        .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{mime}");
        assert!(
            answer
                .body
                .contains("une page HTML, qui peut contenir du script")
                || answer.body.contains("ne sont jamais acceptés"),
            "{mime}: {}",
            answer.body
        );
        // What was typed comes back.
        assert!(
            answer.body.contains(">voir pièce</textarea>"),
            "{}",
            answer.body
        );
    }
    assert!(!stored(page));

    // A file over the limit is refused with both sizes.
    let mut big = PNG.to_vec();
    big.resize(6 * 1024, 0);
    let answer = upload(
        &node,
        &nurse,
        "unite:REA",
        multipart(
            Some(&nurse.csrf),
            "scan",
            Some(("scan.png", "image/png", &big)),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.body.contains("Le fichier fait 6 Ko ; 4 Ko au plus."),
        "{}",
        answer.body
    );
    assert!(!stored(&big));
    // Far over it, the body is not even read.
    // Far over the limit, the gate refuses before the handler reads the
    // file, and says what the limit is.
    let mut huge = PNG.to_vec();
    huge.resize(200 * 1024, 0);
    let answer = upload(
        &node,
        &nurse,
        "unite:REA",
        multipart(
            Some(&nurse.csrf),
            "scan",
            Some(("scan.png", "image/png", &huge)),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer
            .body
            .contains("Pièce jointe trop grande : 4 Ko au plus"),
        "{}",
        answer.body
    );
    assert!(!stored(&huge));

    // The CSRF check reads multipart forms too.
    let mut other = PNG.to_vec();
    other.push(1);
    for csrf in [None, Some("pas-le-bon-jeton")] {
        let answer = upload(
            &node,
            &nurse,
            "unite:REA",
            multipart(csrf, "forgé", Some(("f.png", "image/png", &other))),
        )
        .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{csrf:?}");
    }
    assert!(!stored(&other));
    assert_eq!(posted(&node), before, "nothing posted by the refused forms");
}

#[tokio::test]
async fn edits_and_withdrawals_stay_visible_as_such_and_are_exported() {
    let node = node();
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let colleague = node.login_as("inf-rea-2", Role::Nurse, unit("REA"));
    let director = node.login_as("dir", Role::CrisisDirector, Scope::Units(Vec::new()));

    let id = said(
        &node,
        &nurse,
        "unite:REA",
        "Réunion de crise à 14 h salle Bleue",
    )
    .await;
    advance(MIN);
    let edited = node
        .post(
            &nurse,
            &format!("{}/modifier", message_uri(&id)),
            &[("texte", "Réunion de crise à 15 h salle Bleue")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);

    // Everyone sees that it was edited, and the earlier text on its thread.
    let channel = node.get(&colleague, &channel_uri("unite:REA")).await;
    assert!(channel.body.contains("Réunion de crise à 15 h salle Bleue"));
    assert!(channel.body.contains(">modifié</span>"), "{}", channel.body);
    let thread = node.get(&colleague, &message_uri(&id)).await;
    assert!(
        thread.body.contains("Versions précédentes (1)"),
        "{}",
        thread.body
    );
    assert!(thread.body.contains("Réunion de crise à 14 h salle Bleue"));

    // Only the author edits or withdraws.
    let before = message_facts(&node).len();
    let refused = node
        .post(
            &colleague,
            &format!("{}/modifier", message_uri(&id)),
            &[("texte", "Réunion annulée")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused
            .body
            .contains("Seul son auteur peut modifier un message."),
        "{}",
        refused.body
    );
    let refused = node
        .post(
            &colleague,
            &format!("{}/retirer", message_uri(&id)),
            &[("motif", "erreur")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused
            .body
            .contains("Seul son auteur peut retirer un message.")
    );
    assert_eq!(message_facts(&node).len(), before);
    assert!(
        node.get(&colleague, "/messagerie/recherche?q=bleue")
            .await
            .body
            .contains("15 h")
    );

    // Withdrawn: the reason in place of the text, gone from the search.
    advance(MIN);
    let withdrawn = node
        .post(
            &nurse,
            &format!("{}/retirer", message_uri(&id)),
            &[("motif", "Erreur de salle")],
        )
        .await;
    assert_eq!(
        withdrawn.status,
        StatusCode::SEE_OTHER,
        "{}",
        withdrawn.body
    );
    let channel = node.get(&colleague, &channel_uri("unite:REA")).await;
    assert!(
        channel
            .body
            .contains("Message retiré par Test inf-rea le 15/03/2024 12:02:00 : Erreur de salle"),
        "{}",
        channel.body
    );
    assert!(!channel.body.contains("salle Bleue"));
    let thread = node.get(&colleague, &message_uri(&id)).await;
    assert!(!thread.body.contains("salle Bleue"), "{}", thread.body);
    let search = node.get(&colleague, "/messagerie/recherche?q=bleue").await;
    assert!(
        search.body.contains("Aucun message ne contient"),
        "{}",
        search.body
    );

    // The export keeps the whole story.
    let csv = node
        .get(
            &director,
            &format!("{}/export.csv", channel_uri("unite:REA")),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let rows: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        rows.len(),
        4,
        "header, message, edit, withdrawal: {}",
        csv.body
    );
    assert!(
        rows[1].contains(";message;") && rows[1].contains("14 h salle Bleue"),
        "{}",
        rows[1]
    );
    assert!(rows[2].contains(";modification;") && rows[2].contains("15 h salle Bleue"));
    assert!(rows[3].contains(";retrait;") && rows[3].contains("Erreur de salle"));
}

#[tokio::test]
async fn replies_make_a_thread_and_pins_stay_on_top() {
    let node = node();
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let colleague = node.login_as("inf-rea-2", Role::Nurse, unit("REA"));

    let root = said(
        &node,
        &nurse,
        "unite:REA",
        "Qui a les clés de la pharmacie ?",
    )
    .await;
    said(&node, &nurse, "unite:REA", "Autre sujet").await;
    let answer = node
        .post(
            &colleague,
            &format!("{}/envoyer", channel_uri("unite:REA")),
            &[("texte", "Le cadre de garde"), ("reponse_a", &root)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert!(
        location(&answer).starts_with(&message_uri(&root)),
        "back to the thread"
    );

    let thread = node.get(&nurse, &message_uri(&root)).await;
    let replies = &thread.body[thread.body.find("id=\"fil\"").expect("replies")..];
    assert!(replies.contains("Le cadre de garde"), "{}", thread.body);
    let channel = node.get(&nurse, &channel_uri("unite:REA")).await;
    assert!(channel.body.contains("1 réponse(s)"), "{}", channel.body);
    let list = &channel.body[channel.body.find("id=\"fil\"").expect("messages")..];
    assert!(
        !list.contains("Le cadre de garde"),
        "a reply stays in its thread"
    );
    assert!(!channel.body.contains("Messages épinglés"));

    let pinned = node
        .post(
            &colleague,
            &format!("{}/epingler", message_uri(&root)),
            &[("epingle", "1")],
        )
        .await;
    assert_eq!(pinned.status, StatusCode::SEE_OTHER, "{}", pinned.body);
    let channel = node.get(&nurse, &channel_uri("unite:REA")).await;
    let pins = channel
        .body
        .find("Messages épinglés")
        .expect("a pinned section");
    let list = channel.body.find("id=\"fil\"").expect("messages");
    assert!(pins < list);
    assert!(channel.body[pins..list].contains("Qui a les clés de la pharmacie ?"));
    assert!(!channel.body[pins..list].contains("Autre sujet"));
    // Pinned twice is refused.
    let again = node
        .post(
            &colleague,
            &format!("{}/epingler", message_uri(&root)),
            &[("epingle", "1")],
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("Ce message est déjà épinglé."));
}

#[tokio::test]
async fn unread_counts_follow_posts_and_reading() {
    let node = node();
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let colleague = node.login_as("inf-rea-2", Role::Nurse, unit("REA"));

    let home = node.get(&colleague, "/messagerie").await;
    assert!(home.body.contains(">Messagerie</a>"), "{}", home.body);
    said(&node, &nurse, "unite:REA", "Chariot d'urgence vérifié").await;

    // The colleague's header and channel line count it; not the author's.
    let home = node.get(&colleague, "/messagerie").await;
    assert!(home.body.contains(">Messagerie (1)</a>"), "{}", home.body);
    let line = channel_line(&home.body, "unite:REA").expect("her unit's channel");
    assert!(
        line.contains("<span class=\"badge\" aria-label=\"non lus\">1</span>"),
        "{line}"
    );
    let other_page = node.get(&colleague, "/crise").await;
    assert!(
        other_page.body.contains(">Messagerie (1)</a>"),
        "every page's header"
    );
    let home = node.get(&nurse, "/messagerie").await;
    assert!(home.body.contains(">Messagerie</a>"), "{}", home.body);
    assert!(
        !channel_line(&home.body, "unite:REA")
            .expect("line")
            .contains("badge")
    );

    // Opening the channel reads it.
    node.get(&colleague, &channel_uri("unite:REA")).await;
    let home = node.get(&colleague, "/messagerie").await;
    assert!(home.body.contains(">Messagerie</a>"), "{}", home.body);
    assert!(
        !channel_line(&home.body, "unite:REA")
            .expect("line")
            .contains("badge")
    );

    // Two more, then the script's read marker up to the first of them.
    let first = said(&node, &nurse, "unite:REA", "Un").await;
    said(&node, &nurse, "unite:REA", "Deux").await;
    let home = node.get(&colleague, "/messagerie").await;
    assert!(home.body.contains(">Messagerie (2)</a>"), "{}", home.body);
    let thread = node.get(&colleague, &message_uri(&first)).await;
    let seq: u64 = {
        let at = thread
            .body
            .find(&format!("id=\"m-{first}\" data-seq=\""))
            .expect("message");
        let rest = &thread.body[at..];
        let start = rest.find("data-seq=\"").expect("seq") + "data-seq=\"".len();
        rest[start..start + rest[start..].find('"').expect("end")]
            .parse()
            .expect("number")
    };
    let read = node
        .post(
            &colleague,
            &format!("{}/lu", channel_uri("unite:REA")),
            &[("seq", &seq.to_string())],
        )
        .await;
    assert_eq!(read.status, StatusCode::NO_CONTENT, "{}", read.body);
    let home = node.get(&colleague, "/messagerie").await;
    assert!(home.body.contains(">Messagerie (1)</a>"), "{}", home.body);
}

#[tokio::test]
async fn the_search_ignores_case_and_accents_and_keeps_to_ones_channels() {
    let node = node();
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let other = node.login_as("inf-urg", Role::Nurse, unit("URG"));

    said(
        &node,
        &nurse,
        "unite:REA",
        "Prélèvement HÉMOLYSÉ pour le lit 4",
    )
    .await;
    said(&node, &other, "unite:URG", "Hémolyse aussi aux urgences").await;

    let found = node.get(&nurse, "/messagerie/recherche?q=hemolyse").await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(
        found.body.contains("1 message(s) trouvé(s)"),
        "{}",
        found.body
    );
    assert!(found.body.contains("Prélèvement HÉMOLYSÉ pour le lit 4"));
    assert!(
        !found.body.contains("aux urgences"),
        "another unit's channel"
    );
    let found = node
        .get(
            &nurse,
            &format!("/messagerie/recherche?q={}", segment("PRELEVEMENT lit")),
        )
        .await;
    assert!(
        found.body.contains("1 message(s) trouvé(s)"),
        "{}",
        found.body
    );
    let found = node
        .get(
            &nurse,
            &format!(
                "/messagerie/recherche?q={}",
                segment("prelevement urgences")
            ),
        )
        .await;
    assert!(
        found.body.contains("Aucun message ne contient"),
        "every word must be there"
    );
    let found = node.get(&other, "/messagerie/recherche?q=hemolyse").await;
    assert!(
        found.body.contains("1 message(s) trouvé(s)"),
        "{}",
        found.body
    );
    assert!(found.body.contains("aux urgences"));
    assert!(!found.body.contains("lit 4"));
}

#[tokio::test]
async fn the_live_stream_resumes_after_the_last_id_exactly_once() {
    let node = node();
    let writer = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let reader = node.login_as("inf-rea-2", Role::Nurse, unit("REA"));

    // The stream as the channel page's script opens it.
    let page = node.get(&reader, &channel_uri("unite:REA")).await;
    let seq = page_seq(&page.body);
    let uri = script_stream_uri(&page.body);
    let mut flux = Flux::open(&node, &reader, &uri, None).await;
    for text in ["Premier message", "Deuxième message", "Troisième message"] {
        said(&node, &writer, "unite:REA", text).await;
    }
    let mut received = Vec::new();
    for expected in ["Premier message", "Deuxième message", "Troisième message"] {
        let pushed = flux.next().await;
        assert_eq!(pushed.kind(), "message", "{:?}", pushed.data);
        assert_eq!(pushed.data["canal"], "unite:REA");
        assert!(pushed.html().contains(expected), "{}", pushed.html());
        received.push(pushed);
    }
    assert!(received[0].id > seq);
    assert!(received.windows(2).all(|w| w[0].id < w[1].id), "ids grow");
    assert_eq!(received[2].data["non_lus"], 3);
    drop(flux);

    // The browser comes back after the first: it gets the two others, in
    // order, then what is new, and nothing twice.
    let mut flux = Flux::open(&node, &reader, &uri, Some(received[0].id)).await;
    for expected in &received[1..] {
        let pushed = flux.next().await;
        assert_eq!(pushed.id, expected.id);
        assert_eq!(pushed.data["id"], expected.data["id"]);
    }
    said(&node, &writer, "unite:REA", "Quatrième message").await;
    let pushed = flux.next().await;
    assert!(pushed.id > received[2].id);
    assert!(
        pushed.html().contains("Quatrième message"),
        "{}",
        pushed.html()
    );
    // A resume point past the end is brought back to it.
    let mut ahead = Flux::open(&node, &reader, "/messagerie/flux?depuis=999999", None).await;
    said(&node, &writer, "unite:REA", "Cinquième message").await;
    let pushed = ahead.next().await;
    assert!(
        pushed.html().contains("Cinquième message"),
        "{}",
        pushed.html()
    );
}

#[tokio::test]
async fn a_stream_shows_nothing_of_others_channels_and_ends_at_logout() {
    let node = node();
    let writer = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    let outsider = node.login_as("inf-urg", Role::Nurse, unit("URG"));
    let colleague = node.login_as("inf-urg-2", Role::Nurse, unit("URG"));

    let mut flux = Flux::open(&node, &outsider, "/messagerie/flux", None).await;
    for text in ["Secret REA un", "Secret REA deux", "Secret REA trois"] {
        said(&node, &writer, "unite:REA", text).await;
    }
    said(&node, &colleague, "unite:URG", "Nouvelles des urgences").await;
    // The first event the outsider gets is her own unit's.
    let pushed = flux.next().await;
    assert!(
        pushed.html().contains("Nouvelles des urgences"),
        "{:?}",
        pushed.data
    );
    assert_eq!(pushed.data["non_lus"], 1);

    let logout = node.post(&outsider, "/deconnexion", &[]).await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER, "{}", logout.body);
    said(&node, &colleague, "unite:URG", "Après la déconnexion").await;
    flux.ends().await;
    let again = node.get(&outsider, "/messagerie/flux").await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_crisis_report_counts_the_messages_of_the_crisis() {
    let node = node();
    let director = node.login_as("dir", Role::CrisisDirector, Scope::Units(Vec::new()));
    let nurse = node.login_as("inf-rea", Role::Nurse, unit("REA"));
    node.login_as("labo", Role::Lab, Scope::Units(Vec::new()));

    said(&node, &nurse, "unite:REA", "Avant la crise").await;
    advance(MIN);
    let declared = node
        .post(
            &director,
            "/crise/transition/declarer",
            &[("niveau", "2"), ("motif", "SIH hors service")],
        )
        .await;
    assert_eq!(declared.status, StatusCode::SEE_OTHER, "{}", declared.body);
    advance(MIN);
    said(&node, &nurse, "unite:REA", "Passage au papier").await;
    said(&node, &nurse, "unite:REA", "Kits distribués").await;
    said(&node, &director, "cellule", "Point de situation à 13 h").await;
    let conversation = open(&node, &nurse, "direct", "", &["labo"]).await;
    said(&node, &nurse, &conversation, "Tube hémolysé lit 2").await;
    advance(MIN);
    let closed = node
        .post(
            &director,
            "/crise/transition/cloture",
            &[("motif", "SIH rétabli")],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    advance(MIN);
    said(&node, &nurse, "unite:REA", "Après la crise").await;

    let history = node.get(&director, "/crise/historique").await;
    let at = history.body.find("/crise/rapport/").expect("a report link");
    let rest = &history.body[at..];
    let uri = &rest[..rest.find('"').expect("link ends")];
    let report = node.get(&director, uri).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let start = report
        .body
        .find("<h2 id=\"r-messages\">Messagerie de crise</h2>")
        .expect("section");
    let section =
        &report.body[start..start + report.body[start..].find("</section>").expect("end")];
    assert!(
        section.contains("4 message(s) échangé(s) pendant la crise"),
        "{section}"
    );
    let row = |name: &str| {
        let at = section
            .find(&format!(">{name}</th>"))
            .unwrap_or_else(|| panic!("{name}: {section}"));
        let end = section[at..].find("</tr>").expect("row ends") + at;
        section[at..end].to_owned()
    };
    assert!(
        row("Unité REA").contains("<td class=\"num\">2</td>"),
        "{section}"
    );
    assert!(row("Cellule de crise").contains("<td class=\"num\">1</td>"));
    let private = row("Conversations privées (nombre seulement)");
    assert!(private.contains("<td class=\"num\">1</td>"), "{private}");
    assert!(
        !section.contains("hémolysé"),
        "no text of a private conversation"
    );
    assert!(section.contains(&format!("{}/export.csv", channel_uri("unite:REA"))));
}
