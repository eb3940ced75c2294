//! The export of a channel for the after-action report: every message, and
//! every edit and retraction as a row of its own, in log order, as CSV that
//! a spreadsheet opens (`;` separated, UTF-8 with a byte-order mark, CRLF).
//!
//! A patient mention shows the name and birth date recorded with the
//! message, followed by the token as typed, only when the one exporting
//! may open that chart (`shows`); otherwise `[patient]`, as in the pages.

use ckisa_domain::{Mention, PatientKey};
use jiff::tz::TimeZone;

use crate::book::{Message, MessageBook};
use crate::text::{self, Piece};

/// The header row.
const HEADER: &str = "séquence;date;type;message;fil;auteur;nom;texte;pièce jointe;\
                      empreinte sha256;motif";

/// One row before it is written.
struct Row<'a> {
    seq: u64,
    at_ms: i64,
    kind: &'static str,
    message: &'a Message,
    author: &'a str,
    text: String,
    note: &'a str,
    with_attachment: bool,
}

/// Whether the one exporting may see a patient named in a message.
pub type Shows<'a> = &'a dyn Fn(&PatientKey) -> bool;

/// The messages of channel `channel_id` as CSV, with authors' names from
/// `names(login)` and patients shown where `shows` says; none when the
/// channel does not exist.
pub fn channel_csv(
    book: &MessageBook,
    channel_id: &str,
    names: &dyn Fn(&str) -> String,
    shows: Shows<'_>,
) -> Option<String> {
    let channel = book.channel(channel_id)?;
    let mut rows: Vec<Row<'_>> = Vec::new();
    for (_, message) in book.messages_of(channel, false) {
        rows_of(message, &mut rows, shows);
    }
    rows.sort_by_key(|row| row.seq);

    let zone = TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC);
    let mut out = String::from("\u{feff}");
    out.push_str(HEADER);
    out.push_str("\r\n");
    for row in rows {
        let post = &row.message.post;
        let attachment = post.attachment.as_ref().filter(|_| row.with_attachment);
        let fields = [
            row.seq.to_string(),
            paris_time(row.at_ms, &zone),
            row.kind.to_owned(),
            post.id.0.clone(),
            post.reply_to
                .as_ref()
                .map(|r| r.0.clone())
                .unwrap_or_default(),
            row.author.to_owned(),
            names(row.author),
            row.text,
            attachment.map(|a| a.name.clone()).unwrap_or_default(),
            attachment.map(|a| a.sha256.clone()).unwrap_or_default(),
            row.note.to_owned(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(";"));
        out.push_str("\r\n");
    }
    Some(out)
}

/// The rows of one message: as posted, each edit, its retraction.
fn rows_of<'a>(message: &'a Message, rows: &mut Vec<Row<'a>>, shows: Shows<'_>) {
    // Texts in order, each with its own mentions: as posted, then after
    // each edit.
    let texts: Vec<(&str, &[Mention])> = message
        .versions
        .iter()
        .map(|v| (v.text.as_str(), v.mentions.as_slice()))
        .chain([(message.post.text.as_str(), message.post.mentions.as_slice())])
        .collect();
    rows.push(Row {
        seq: message.seq,
        at_ms: message.at_ms,
        kind: if message.post.reply_to.is_some() {
            "réponse"
        } else {
            "message"
        },
        message,
        author: &message.author,
        text: with_labels(texts[0].0, texts[0].1, shows),
        note: if message.purged {
            "effacé selon la politique de conservation"
        } else {
            ""
        },
        with_attachment: true,
    });
    for (version, (text, mentions)) in message.versions.iter().zip(&texts[1..]) {
        rows.push(Row {
            seq: version.seq,
            at_ms: version.replaced_ms,
            kind: "modification",
            message,
            author: &message.author,
            text: with_labels(text, mentions, shows),
            note: "",
            with_attachment: false,
        });
    }
    if let Some(retraction) = &message.retracted {
        rows.push(Row {
            seq: retraction.seq,
            at_ms: retraction.at_ms,
            kind: "retrait",
            message,
            author: &retraction.by,
            text: String::new(),
            note: &retraction.reason,
            with_attachment: false,
        });
    }
}

/// `text` with each patient mention shown as `label (token)`, or as
/// `[patient]` when `shows` says no.
fn with_labels(text: &str, mentions: &[Mention], shows: Shows<'_>) -> String {
    let mut out = String::with_capacity(text.len());
    for piece in text::pieces(text, mentions) {
        match piece {
            Piece::Text(plain) => out.push_str(plain),
            Piece::Mention(index) => match &mentions[index] {
                Mention::Patient { patient, .. } if !shows(patient) => out.push_str("[patient]"),
                Mention::Patient { token, label, .. } => {
                    out.push_str(label);
                    out.push_str(" (");
                    out.push_str(token);
                    out.push(')');
                }
                other => out.push_str(&text::typed_token(other)),
            },
        }
    }
    out
}

/// `dd/mm/yyyy HH:MM:SS` in `zone`.
fn paris_time(at_ms: i64, zone: &TimeZone) -> String {
    match jiff::Timestamp::from_millisecond(at_ms) {
        Ok(at) => at
            .to_zoned(zone.clone())
            .strftime("%d/%m/%Y %H:%M:%S")
            .to_string(),
        Err(_) => at_ms.to_string(),
    }
}

/// One CSV field, neutralised and quoted as needed.
///
/// A spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (some also
/// after a leading tab or carriage return) as a formula, so a message typed
/// by anyone could run in the crisis cell's spreadsheet: such a field gets
/// a leading `'`, shown as text (OWASP "CSV Injection"). The audit trail's
/// export does the same (`ckisa-audit`, private to that crate).
fn csv_field(text: &str) -> String {
    let neutral = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if neutral.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::{ChannelDef, Origin};
    use crate::testing::event;
    use ckisa_domain::{Attachment, ItemId, MessageFact, PatientKey, Post};

    /// 04/12/2026 08:00:00 Paris (UTC+1 in December).
    const T0: i64 = 1_796_367_600_000;

    fn post(id: &str, reply_to: Option<&str>, text: &str, mentions: Vec<Mention>) -> MessageFact {
        MessageFact::Posted(Post {
            id: ItemId(id.into()),
            channel: "unite:REA".into(),
            reply_to: reply_to.map(|r| ItemId(r.into())),
            text: text.into(),
            mentions,
            attachment: None,
        })
    }

    fn book() -> MessageBook {
        MessageBook::new(vec![ChannelDef {
            id: "unite:REA".into(),
            name: "Réanimation".into(),
            origin: Origin::Unit,
            roles: Vec::new(),
            units: vec!["REA".into()],
            members: Vec::new(),
        }])
    }

    fn patient() -> Mention {
        Mention::Patient {
            patient: PatientKey("p1".into()),
            token: "#123456".into(),
            label: "MARTIN Paul, 03/02/1950".into(),
        }
    }

    fn names(login: &str) -> String {
        match login {
            "ide1" => "Claire Dubois".into(),
            "labo" => "Laboratoire".into(),
            _ => login.to_uppercase(),
        }
    }

    fn lines(csv: &str) -> Vec<&str> {
        csv.trim_start_matches('\u{feff}')
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .collect()
    }

    #[test]
    fn messages_edits_and_retractions_are_rows_in_log_order() {
        let mut book = book();
        let mut first = post("m1", None, "K+ de #123456 ?", vec![patient()]);
        if let MessageFact::Posted(p) = &mut first {
            p.attachment = Some(Attachment {
                sha256: "ab".repeat(32),
                name: "bilan.pdf".into(),
                mime: "application/pdf".into(),
                size: 10,
            });
        }
        book.apply(&event("ide1", T0, first));
        book.apply(&event(
            "labo",
            T0 + 61_000,
            post("m2", Some("m1"), "=5,1; \"hémolysé\"", vec![]),
        ));
        book.apply(&event(
            "ide1",
            T0 + 120_000,
            MessageFact::Edited {
                id: ItemId("m1".into()),
                text: "Kaliémie de #123456 ?".into(),
                mentions: vec![patient()],
            },
        ));
        book.apply(&event(
            "labo",
            T0 + 180_000,
            MessageFact::Retracted {
                id: ItemId("m2".into()),
                reason: "-erreur de tube".into(),
            },
        ));

        let csv = channel_csv(&book, "unite:REA", &names, &|_| true).unwrap();
        assert!(csv.starts_with('\u{feff}'));
        let lines = lines(&csv);
        assert_eq!(lines[0], HEADER);
        assert_eq!(
            lines[1],
            format!(
                "1;04/12/2026 08:00:00;message;m1;;ide1;Claire Dubois;\
                 K+ de MARTIN Paul, 03/02/1950 (#123456) ?;bilan.pdf;{};",
                "ab".repeat(32)
            )
        );
        assert_eq!(
            lines[2],
            "2;04/12/2026 08:01:01;réponse;m2;m1;labo;Laboratoire;\
             \"'=5,1; \"\"hémolysé\"\"\";;;"
        );
        assert_eq!(
            lines[3],
            "3;04/12/2026 08:02:00;modification;m1;;ide1;Claire Dubois;\
             Kaliémie de MARTIN Paul, 03/02/1950 (#123456) ?;;;"
        );
        assert_eq!(
            lines[4],
            "4;04/12/2026 08:03:00;retrait;m2;m1;labo;Laboratoire;;;;'-erreur de tube"
        );
        assert_eq!(lines.len(), 5);
        assert!(channel_csv(&book, "unite:CARDIO", &names, &|_| true).is_none());

        // Exported by someone who may not open the chart: no name, no IPP.
        let masked = channel_csv(&book, "unite:REA", &names, &|_| false).unwrap();
        assert!(
            !masked.contains("MARTIN") && !masked.contains("123456"),
            "{masked}"
        );
        assert!(
            masked
                .lines()
                .nth(1)
                .unwrap_or_default()
                .contains(";K+ de [patient] ?;"),
            "{masked}"
        );
    }

    #[test]
    fn purged_messages_say_so() {
        let mut book = book();
        book.apply(&event("ide1", T0, post("m1", None, "ancien", vec![])));
        book.apply(&event(
            "system",
            T0 + 1_000,
            MessageFact::Purged {
                before_ms: T0 + 1,
                messages: 1,
                attachments: 0,
            },
        ));
        let csv = channel_csv(&book, "unite:REA", &names, &|_| true).unwrap();
        assert_eq!(
            lines(&csv)[1],
            "1;04/12/2026 08:00:00;message;m1;;ide1;Claire Dubois;;;;\
             effacé selon la politique de conservation"
        );
    }

    #[test]
    fn fields_are_neutralised_and_quoted() {
        assert_eq!(csv_field("@cadre viens"), "'@cadre viens");
        assert_eq!(csv_field("+33"), "'+33");
        assert_eq!(csv_field("a;b"), "\"a;b\"");
        assert_eq!(csv_field("deux\nlignes"), "\"deux\nlignes\"");
        assert_eq!(csv_field("simple"), "simple");
    }
}
