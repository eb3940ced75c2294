//! The recall of off-duty staff (plan blanc): who of the roster is called,
//! the recall with each person's reply code and the hash of their answer
//! link, and the reading of an answer sent back by SMS.
//!
//! The secrets come from the caller (a random source), so that this module
//! stays pure and its tests choose them.

use ckisa_domain::{Called, ItemId, Recall, RecallAnswer};

use crate::settings::RosterPerson;

/// Digits of a reply code.
pub const CODE_DIGITS: usize = 6;

/// Longest announced time until arrival, in minutes (12 h).
pub const MAX_ETA_MIN: u32 = 12 * 60;

/// How many times [`build`] asks for new secrets for one person before
/// giving up.
const TRIES: usize = 100;

/// The people of `roster` holding one of `roles` (none given: every role)
/// in one of `units` (none given: every unit), in roster order. A person of
/// no unit works across units and is called whatever the units.
pub fn select<'a>(
    roster: &'a [RosterPerson],
    roles: &[String],
    units: &[String],
) -> Vec<&'a RosterPerson> {
    roster
        .iter()
        .filter(|p| roles.is_empty() || roles.contains(&p.role))
        .filter(|p| units.is_empty() || p.unit.is_empty() || units.contains(&p.unit))
        .collect()
}

/// The recall `id` of `people` with the message `text`, and each person's
/// link secret by roster id (to put in the link sent to them; the recall
/// keeps only its SHA-256).
///
/// `secrets` gives a reply code and a link secret each time it is called; a
/// code that is not 6 digits or already given to someone of this recall,
/// or an empty secret, is asked again. The recall's check
/// ([`crate::MessageBook::check`]) refuses a code already used by an
/// earlier recall.
pub fn build(
    id: ItemId,
    text: &str,
    roles: &[String],
    units: &[String],
    people: &[&RosterPerson],
    mut secrets: impl FnMut() -> (String, String),
) -> Result<(Recall, Vec<(String, String)>), String> {
    let text = crate::text::check_text(text, false)?;
    if people.is_empty() {
        return Err("personne de l'annuaire de rappel ne correspond à ces critères".to_owned());
    }
    let mut called: Vec<Called> = Vec::with_capacity(people.len());
    let mut links = Vec::with_capacity(people.len());
    for person in people {
        let (code, secret) = (0..TRIES)
            .map(|_| secrets())
            .find(|(code, secret)| {
                is_code(code) && !secret.is_empty() && !called.iter().any(|c| c.code == *code)
            })
            .ok_or_else(|| {
                format!(
                    "aucun code de réponse libre obtenu pour {} en {TRIES} essais",
                    person.name
                )
            })?;
        called.push(Called {
            person: person.id.clone(),
            name: person.name.clone(),
            role: person.role.clone(),
            unit: person.unit.clone(),
            phone: person.phone.clone(),
            code,
            link_sha256: sha256_hex(secret.as_bytes()),
        });
        links.push((person.id.clone(), secret));
    }
    let recall = Recall {
        id,
        text: text.to_owned(),
        roles: roles.to_vec(),
        units: units.to_vec(),
        people: called,
    };
    Ok((recall, links))
}

/// The SHA-256 of `bytes` in lowercase hexadecimal, as recalls keep link
/// secrets and attachments are named.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write as _;
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest.iter() {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

fn is_code(code: &str) -> bool {
    code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

/// How to answer, appended to the errors of [`parse_reply`].
const HOW: &str = "répondez le code reçu puis 1 (je viens, avec le délai d'arrivée si vous le \
                   connaissez) ou 2 (indisponible), par exemple « 482913 1 45 » ou \
                   « 482913 1 1h30 »";

/// How to write a time until arrival, appended to the errors about one.
const HOW_TIME: &str = "donnez des minutes (45, 45 min) ou des heures (2h, 1h30, 1 h 30)";

/// Words naming minutes after a number.
const MINUTE_WORDS: [&str; 5] = ["min", "mn", "minute", "minutes", "m"];

/// Words naming hours after a number.
const HOUR_WORDS: [&str; 3] = ["h", "heure", "heures"];

/// Reads an answer sent back by SMS: the 6-digit code, then `1`/`oui`
/// (coming) or `2`/`non` (unavailable). A person coming may give the time
/// until arrival anywhere after the answer (`1 45`, `oui dans 20 min`,
/// `oui, j'arrive dans 1h30`, `1 1 h 30`, `oui vers 2h`); the first number
/// found is read as that time, and without any the answer records that no
/// time was given. Case, extra spaces, separators (`,` `;` `:` `/`) and
/// final `.` or `!` are ignored, the code may be typed in groups
/// (`482 913`), and other words are left out (`482913 non désolé`).
pub fn parse_reply(text: &str) -> Result<(String, RecallAnswer), String> {
    let lowered = text.to_lowercase();
    let words: Vec<&str> = lowered
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '/'))
        .map(|w| w.trim_end_matches(['.', '!']))
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Err(format!("réponse vide : {HOW}"));
    }

    // The code, possibly typed in groups of digits.
    let mut code = String::new();
    let mut next = 0;
    while code.len() < CODE_DIGITS
        && next < words.len()
        && words[next].bytes().all(|b| b.is_ascii_digit())
    {
        code.push_str(words[next]);
        next += 1;
    }
    if code.is_empty() {
        return Err(format!(
            "« {} » : la réponse commence par le code à {CODE_DIGITS} chiffres ; {HOW}",
            words[0]
        ));
    }
    if code.len() != CODE_DIGITS {
        return Err(format!(
            "« {code} » : le code a {CODE_DIGITS} chiffres, pas {} ; {HOW}",
            code.len()
        ));
    }

    let Some(&answer) = words.get(next) else {
        return Err(format!("il manque la réponse après le code ; {HOW}"));
    };
    let answer = match answer {
        "1" | "oui" | "o" => RecallAnswer::Coming {
            eta_min: time_in(&words[next + 1..])?,
        },
        "2" | "non" | "n" => RecallAnswer::Unavailable,
        other => return Err(format!("« {other} » n'est pas une réponse ; {HOW}")),
    };
    Ok((code, answer))
}

/// The time until arrival given among `words` (what follows the answer):
/// the first word starting with a number (or a sign and a number), with
/// the unit words that follow it (`20 min`, `1 h 30`). None when no word
/// holds a number.
fn time_in(words: &[&str]) -> Result<Option<u32>, String> {
    let starts_number = |w: &str| {
        let unsigned = w.strip_prefix(['-', '+', '−']).unwrap_or(w);
        unsigned.starts_with(|c: char| c.is_ascii_digit())
    };
    let Some(start) = words.iter().position(|w| starts_number(w)) else {
        return Ok(None);
    };
    let first = words[start];
    if first.starts_with(['-', '−']) {
        return Err(format!(
            "« {first} » : un délai d'arrivée ne peut pas être négatif ; {HOW_TIME}"
        ));
    }
    let first = first.strip_prefix('+').unwrap_or(first);
    // Join `1 h 30 min` into `1h30min`, `20 min` into `20min`.
    let mut joined = first.to_owned();
    let mut rest = words[start + 1..].iter().copied().peekable();
    let is_number = |w: &&str| w.bytes().all(|b| b.is_ascii_digit());
    let is_unit = |w: &&str| MINUTE_WORDS.contains(w) || HOUR_WORDS.contains(w);
    if is_number(&first)
        && let Some(unit) = rest.next_if(is_unit)
    {
        joined.push_str(if HOUR_WORDS.contains(&unit) {
            "h"
        } else {
            unit
        });
    }
    if joined.ends_with('h')
        && let Some(extra) = rest.next_if(is_number)
    {
        joined.push_str(extra);
        if let Some(unit) = rest.next_if(|w| MINUTE_WORDS.contains(w)) {
            joined.push_str(unit);
        }
    }
    minutes(&joined).map(Some)
}

/// Minutes until arrival from `word` (`45`, `45min`, `45mn`, `2h`,
/// `2heures`, `1h30`, `1h30min`).
fn minutes(word: &str) -> Result<u32, String> {
    let digits_end = word
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(word.len());
    let (number, unit) = word.split_at(digits_end);
    let bad = || format!("« {word} » n'est pas un délai d'arrivée ; {HOW_TIME}");
    let number: u32 = number.parse().map_err(|_| bad())?;
    let total = if unit.is_empty() || MINUTE_WORDS.contains(&unit) {
        Some(number)
    } else if HOUR_WORDS.contains(&unit) {
        number.checked_mul(60)
    } else {
        let rest = unit.strip_prefix('h').ok_or_else(bad)?;
        let rest = MINUTE_WORDS
            .iter()
            .find_map(|m| rest.strip_suffix(m))
            .unwrap_or(rest);
        if rest.is_empty() || rest.len() > 2 || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let extra: u32 = rest.parse().map_err(|_| bad())?;
        if extra >= 60 {
            return Err(format!(
                "« {word} » : {extra} minutes après l'heure, c'est plus d'une heure ; {HOW_TIME}"
            ));
        }
        number.checked_mul(60).and_then(|h| h.checked_add(extra))
    };
    match total {
        Some(total) if total <= MAX_ETA_MIN => Ok(total),
        _ => Err(format!(
            "« {word} » : un délai d'arrivée va jusqu'à {} h ({MAX_ETA_MIN} min) ; {HOW_TIME}",
            MAX_ETA_MIN / 60
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, role: &str, unit: &str) -> RosterPerson {
        RosterPerson {
            id: id.into(),
            name: format!("Nom {id}"),
            role: role.into(),
            unit: unit.into(),
            phone: format!("06 39 98 00 {}", &id[id.len() - 2..]),
            login: None,
        }
    }

    fn roster() -> Vec<RosterPerson> {
        vec![
            person("p01", "infirmier", "REA"),
            person("p02", "infirmier", "CARDIO"),
            person("p03", "medecin", "REA"),
            person("p04", "pharmacien", ""),
            person("p05", "infirmier", "URG"),
        ]
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn ids(people: &[&RosterPerson]) -> Vec<String> {
        people.iter().map(|p| p.id.clone()).collect()
    }

    #[test]
    fn people_are_selected_by_role_and_unit() {
        let roster = roster();
        let nurses_rea = select(&roster, &strings(&["infirmier"]), &strings(&["REA", "URG"]));
        assert_eq!(ids(&nurses_rea), ["p01", "p05"]);
        let every_nurse = select(&roster, &strings(&["infirmier"]), &[]);
        assert_eq!(ids(&every_nurse), ["p01", "p02", "p05"]);
        // A pharmacist of no unit is called whatever the units.
        let pharmacists = select(&roster, &strings(&["pharmacien"]), &strings(&["REA"]));
        assert_eq!(ids(&pharmacists), ["p04"]);
        let rea = select(&roster, &[], &strings(&["REA"]));
        assert_eq!(ids(&rea), ["p01", "p03", "p04"]);
        assert!(select(&roster, &strings(&["laboratoire"]), &[]).is_empty());
    }

    #[test]
    fn a_recall_keeps_the_hash_of_each_link_and_unique_codes() {
        let roster = roster();
        let people = select(&roster, &strings(&["infirmier"]), &[]);
        // The source repeats a code and gives a bad one: both are asked again.
        let mut given = vec![
            ("111111", "s1"),
            ("111111", "s2"),
            ("12345", "s3"),
            ("22222x", "s4"),
            ("222222", ""),
            ("222222", "s5"),
            ("333333", "s6"),
        ]
        .into_iter();
        let (recall, links) = build(
            ItemId("r1".into()),
            "  Plan blanc : rappel des infirmiers.  ",
            &strings(&["infirmier"]),
            &[],
            &people,
            || {
                let (code, secret) = given.next().unwrap_or(("999999", "fin"));
                (code.to_owned(), secret.to_owned())
            },
        )
        .unwrap();
        assert_eq!(recall.text, "Plan blanc : rappel des infirmiers.");
        let codes: Vec<&str> = recall.people.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, ["111111", "222222", "333333"]);
        assert_eq!(
            links,
            [
                ("p01".to_owned(), "s1".to_owned()),
                ("p02".to_owned(), "s5".to_owned()),
                ("p05".to_owned(), "s6".to_owned()),
            ]
        );
        assert_eq!(recall.people[0].link_sha256, sha256_hex(b"s1"));
        assert_ne!(recall.people[0].link_sha256, "s1");
        assert_eq!(recall.people[1].phone, "06 39 98 00 02");
        assert_eq!(recall.people[2].unit, "URG");
    }

    #[test]
    fn a_recall_without_people_or_codes_is_refused() {
        let roster = roster();
        let none = select(&roster, &strings(&["laboratoire"]), &[]);
        let err = build(ItemId("r".into()), "Rappel", &[], &[], &none, || {
            ("123456".into(), "s".into())
        })
        .unwrap_err();
        assert!(err.contains("personne"), "{err}");

        let people = select(&roster, &strings(&["infirmier"]), &[]);
        let err = build(ItemId("r".into()), "Rappel", &[], &[], &people, || {
            ("123456".into(), "s".into())
        })
        .unwrap_err();
        assert!(
            err.contains("Nom p02") && err.contains("100 essais"),
            "{err}"
        );

        let err = build(ItemId("r".into()), " ", &[], &[], &people, || {
            ("123456".into(), "s".into())
        })
        .unwrap_err();
        assert!(err.contains("vide"), "{err}");
    }

    #[test]
    fn sha256_is_the_standard_one() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    fn coming(eta_min: Option<u32>) -> RecallAnswer {
        RecallAnswer::Coming { eta_min }
    }

    #[test]
    fn replies_are_read_tolerantly() {
        for (text, eta) in [
            ("482913 1 45", Some(45)),
            ("  482913   OUI 20 ", Some(20)),
            ("482 913 1 45", Some(45)),
            ("482913, oui, 45 min", Some(45)),
            ("482913 o 45mn", Some(45)),
            ("482913 1 1h30", Some(90)),
            ("482913 1 2h", Some(120)),
            ("482913 1 1 h", Some(60)),
            ("482913 1 0", Some(0)),
            // The time is found anywhere after the answer.
            ("005883 oui, j'arrive dans 1h30", Some(90)),
            ("005883 1 dans 20 min", Some(20)),
            ("005883 1 dans 20mn.", Some(20)),
            ("005883 oui vers 2h", Some(120)),
            ("005883 oui dans 1 h 30", Some(90)),
            ("005883 oui dans 1 h 30 min", Some(90)),
            ("005883 oui dans 1h 05", Some(65)),
            ("005883 oui dans 2 heures", Some(120)),
            ("005883 oui 1h30min", Some(90)),
            ("005883 oui +45", Some(45)),
            // No time given: none is invented.
            ("005883 1", None),
            ("482913 Oui j'arrive", None),
            ("482913 oui j'arrive dès que possible !", None),
        ] {
            let code = if text.starts_with("005883") {
                "005883"
            } else {
                "482913"
            };
            assert_eq!(
                parse_reply(text),
                Ok((code.to_owned(), coming(eta))),
                "{text}"
            );
        }
        for text in ["482913 2", "482913 non", "482913 NON désolée", "482913 n"] {
            assert_eq!(
                parse_reply(text),
                Ok(("482913".to_owned(), RecallAnswer::Unavailable)),
                "{text}"
            );
        }
        // A refusal with a number in it is still a refusal.
        assert_eq!(
            parse_reply("482913 non, pas avant 3h"),
            Ok(("482913".to_owned(), RecallAnswer::Unavailable))
        );
    }

    #[test]
    fn bad_replies_say_what_is_wrong() {
        for (text, expected) in [
            ("", "réponse vide"),
            ("   ", "réponse vide"),
            ("oui 482913", "« oui » : la réponse commence par le code"),
            ("48291 oui", "« 48291 » : le code a 6 chiffres, pas 5"),
            ("4829131 1", "« 4829131 » : le code a 6 chiffres, pas 7"),
            ("482913", "il manque la réponse"),
            ("482913 peut-être", "« peut-être » n'est pas une réponse"),
            ("482913 3", "« 3 » n'est pas une réponse"),
        ] {
            let err = parse_reply(text).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(err.contains("482913 1 45"), "{err}");
        }
        for (text, expected) in [
            ("482913 1 45x", "« 45x » n'est pas un délai d'arrivée"),
            ("482913 1 1h75", "« 1h75 » : 75 minutes après l'heure"),
            (
                "005883 1 -5",
                "« -5 » : un délai d'arrivée ne peut pas être négatif",
            ),
            (
                "005883 oui dans -1h",
                "« -1h » : un délai d'arrivée ne peut pas être négatif",
            ),
            (
                "482913 1 900",
                "« 900 » : un délai d'arrivée va jusqu'à 12 h (720 min)",
            ),
            (
                "482913 oui dans 13 h",
                "« 13h » : un délai d'arrivée va jusqu'à 12 h",
            ),
            ("482913 1 99999999999", "« 99999999999 » n'est pas un délai"),
        ] {
            let err = parse_reply(text).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(err.contains("1h30"), "{err}");
        }
    }
}
