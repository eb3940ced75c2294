//! The patient of a message: its key and identifiers (PID-3, PID-2, MRG-1) and its
//! demographics (PID-5, 7, 8, 11, 13, 14, 29, 30) as a tri-state [`PatientUpdate`]
//! (HL7 v2.5.1 ch. 3.4.2; IHE PAM FR 2.11 for name types and INS).

use ckisa_domain::{Address, Deceased, Field as Tri, Identifier, PatientKey, PatientUpdate, Sex};
use ckisa_hl7::{Field, Repetition, Segment};

use super::read::{Cx, Cxv, Loc, at, presence};
use super::time::date_part;
use super::{MapRejection, error_code};

/// OIDs of the French national health identifier (INS-NIR, INS-NIA, test and demo NIR).
const INS_OIDS: [&str; 4] = [
    "1.2.250.1.213.1.4.8",
    "1.2.250.1.213.1.4.9",
    "1.2.250.1.213.1.4.10",
    "1.2.250.1.213.1.4.11",
];

/// The patient named by a PID: key, identifiers and demographics.
pub(super) fn read_pid(
    cx: &mut Cx<'_, '_>,
    pid: Segment<'_>,
) -> Result<PatientUpdate, MapRejection> {
    let patient = key_from(cx, pid.field(3), "PID", 3)?;
    // ckisa's mark of its own identity (see [`names_own_key`]) is not an
    // identifier of the person.
    let mut found: Vec<Identifier> = identifiers(cx, pid.field(3), at("PID", 3))
        .into_iter()
        .filter(|id| !is_own_mark(id))
        .collect();
    for extra in identifiers(cx, pid.field(2), at("PID", 2)) {
        if !found.contains(&extra) {
            found.push(extra);
        }
    }
    let name = names(cx, pid.field(5));
    Ok(PatientUpdate {
        patient,
        identifiers: found,
        family: name.family,
        given: name.given,
        birth_name: name.birth_name,
        birth_date: birth_date(cx, pid.field(7)),
        sex: sex(cx, pid.field(8)),
        phones: phones(cx, pid.field(13), pid.field(14)),
        addresses: presence(&pid.field(11), || addresses(cx, pid.field(11))),
        deceased: deceased(cx, pid),
    })
}

/// The key from a CX list (PID-3, MRG-1): the first `PI` repetition, else the first one with
/// an id. Missing or all-null is a refusal (AE 101).
pub(super) fn key_from(
    cx: &mut Cx<'_, '_>,
    field: Field<'_>,
    segment: &'static str,
    number: usize,
) -> Result<PatientKey, MapRejection> {
    let loc = at(segment, number);
    let ids: Vec<Cxv> = field
        .repetitions()
        .filter_map(|rep| cx.cx(rep, loc))
        .collect();
    let chosen = ids
        .iter()
        .find(|id| id.kind.as_deref() == Some("PI"))
        .or_else(|| ids.first());
    let Some(chosen) = chosen else {
        return Err(MapRejection::error(
            segment,
            number,
            error_code::REQUIRED_FIELD_MISSING,
            format!("{loc} absent : identifiant patient obligatoire"),
        ));
    };
    let authority = match chosen.namespace.as_ref().or(chosen.universal.as_ref()) {
        Some(authority) => authority.clone(),
        None => cx.sender(),
    };
    // A key ckisa wrote under its own namespace is the key itself.
    if authority == super::downtime::NAMESPACE {
        return Ok(PatientKey(chosen.id.clone()));
    }
    Ok(PatientKey::ipp(&authority, &chosen.id))
}

/// Whether PID-3 names `key` under ckisa's namespace: the patient key of
/// an identity typed on a ckisa node and exported (ckisa-care writes it
/// as an extra repetition of type `RI` when the key is an IPP of another
/// authority, or as the key itself). Such an identity coming back is the
/// typed one, confirmed by the HIS.
pub(super) fn names_own_key(cx: &mut Cx<'_, '_>, pid: Segment<'_>, key: &PatientKey) -> bool {
    let loc = at("PID", 3);
    let ids: Vec<Cxv> = pid
        .field(3)
        .repetitions()
        .filter_map(|rep| cx.cx(rep, loc))
        .collect();
    ids.iter().any(|id| {
        id.namespace.as_deref() == Some(super::downtime::NAMESPACE) && id.id == key.as_str()
    })
}

/// The extra repetition ckisa writes to mark its own identity.
fn is_own_mark(identifier: &Identifier) -> bool {
    identifier.system.as_deref() == Some(super::downtime::NAMESPACE)
        && identifier.kind.as_deref() == Some("RI")
}

/// Every identifier of a CX list, `""` and empty repetitions skipped.
pub(super) fn identifiers(cx: &mut Cx<'_, '_>, field: Field<'_>, loc: Loc) -> Vec<Identifier> {
    let mut found: Vec<Identifier> = Vec::new();
    for rep in field.repetitions() {
        let Some(id) = cx.cx(rep, loc) else { continue };
        let identifier = to_identifier(cx, id);
        if !found.contains(&identifier) {
            found.push(identifier);
        }
    }
    found
}

fn to_identifier(cx: &mut Cx<'_, '_>, id: Cxv) -> Identifier {
    let is_ins = matches!(id.kind.as_deref(), Some("INS" | "INS-NIR" | "INS-NIA"))
        || id
            .universal
            .as_deref()
            .is_some_and(|oid| INS_OIDS.contains(&oid));
    let kind = if is_ins {
        Some(String::from("INS"))
    } else {
        id.kind
    };
    let system = match (id.universal, id.universal_type.as_deref(), id.namespace) {
        (Some(oid), Some("ISO"), _) => oid,
        (_, _, Some(namespace)) => namespace,
        (Some(universal), _, None) => universal,
        (None, _, None) => cx.sender(),
    };
    Identifier {
        value: id.id,
        system: Some(system),
        kind,
    }
}

struct Names {
    family: Tri<String>,
    given: Tri<String>,
    birth_name: Tri<String>,
}

/// PID-5: the usual name (type D, else L, else the first) and the birth name (type M, else L
/// when a D exists).
fn names(cx: &mut Cx<'_, '_>, field: Field<'_>) -> Names {
    if field.is_empty() || field.is_null() {
        let state = presence(&field, String::new);
        return Names {
            family: state.clone(),
            given: state.clone(),
            birth_name: state,
        };
    }
    let loc = at("PID", 5);
    let reps: Vec<(Repetition<'_>, Option<String>)> = field
        .repetitions()
        .filter(|rep| !rep.is_empty() && !rep.is_null())
        .map(|rep| {
            let kind = cx.text(rep.component(7), loc.comp(7));
            (rep, kind)
        })
        .collect();
    let of_kind = |kind: &str| reps.iter().find(|(_, k)| k.as_deref() == Some(kind));
    let usual = of_kind("D")
        .or_else(|| of_kind("L"))
        .or(reps.first())
        .map(|(rep, _)| *rep);
    let birth = of_kind("M")
        .or_else(|| of_kind("D").and(of_kind("L")))
        .map(|(rep, _)| *rep);
    let family = usual.and_then(|rep| cx.first_sub(rep.component(1), loc.comp(1)));
    let given = usual.and_then(|rep| given_names(cx, rep, loc));
    let birth_name = birth.and_then(|rep| cx.first_sub(rep.component(1), loc.comp(1)));
    Names {
        family: Tri::from_option(family).or_null(),
        given: Tri::from_option(given).or_null(),
        birth_name: Tri::from_option(birth_name).or_null(),
    }
}

/// XPN-2 plus XPN-3 unless XPN-3 repeats XPN-2 (PAM FR lists all given names in XPN-3).
fn given_names(cx: &mut Cx<'_, '_>, rep: Repetition<'_>, loc: Loc) -> Option<String> {
    let first = cx.text(rep.component(2), loc.comp(2));
    let others = cx.text(rep.component(3), loc.comp(3));
    match (first, others) {
        (Some(first), Some(others)) if others.starts_with(&first) => Some(first),
        (Some(first), Some(others)) => Some(format!("{first} {others}")),
        (first, others) => first.or(others),
    }
}

/// A name sent in PID-5 replaces the stored one: an absent part is a cleared part.
trait OrNull {
    fn or_null(self) -> Self;
}

impl OrNull for Tri<String> {
    fn or_null(self) -> Self {
        match self {
            Tri::Absent => Tri::Null,
            other => other,
        }
    }
}

fn birth_date(cx: &mut Cx<'_, '_>, field: Field<'_>) -> Tri<ckisa_domain::Moment> {
    match presence(&field, || ()) {
        Tri::Value(()) => {
            let date = cx.moment(field, at("PID", 7)).map(date_part);
            let implausible = date.filter(|d| !PLAUSIBLE_BIRTH_YEARS.contains(&d.year));
            if let Some(date) = implausible {
                cx.warn(format!(
                    "PID-7 : année de naissance {} invraisemblable, date ignorée",
                    date.year
                ));
                return Tri::Absent;
            }
            Tri::from_option(date)
        }
        Tri::Null => Tri::Null,
        Tri::Absent => Tri::Absent,
    }
}

/// Birth years a living or recently deceased patient can have; a date outside
/// (`00000229`, `99991231`) is a sender's placeholder or typo, never shown.
const PLAUSIBLE_BIRTH_YEARS: std::ops::RangeInclusive<i16> = 1870..=2200;

fn sex(cx: &mut Cx<'_, '_>, field: Field<'_>) -> Tri<Sex> {
    if field.is_empty() || field.is_null() {
        return presence(&field, || Sex::Unknown);
    }
    let code = cx
        .text(field.component(1), at("PID", 8))
        .unwrap_or_default();
    Tri::Value(match code.to_ascii_uppercase().as_str() {
        "F" => Sex::Female,
        "M" => Sex::Male,
        "O" | "A" | "X" => Sex::Other,
        "U" | "N" => Sex::Unknown,
        _ => {
            cx.warn(format!(
                "PID-8 : sexe « {code} » inconnu (table 0001), lu comme inconnu"
            ));
            Sex::Unknown
        }
    })
}

/// PID-13 and PID-14 together: absent when both are, cleared when the ones given are `""`.
fn phones(cx: &mut Cx<'_, '_>, home: Field<'_>, work: Field<'_>) -> Tri<Vec<String>> {
    if home.is_empty() && work.is_empty() {
        return Tri::Absent;
    }
    if !home.has_value() && !work.has_value() {
        return Tri::Null;
    }
    // FIXME(issue 2): PID-13 absent with PID-14 given replaces the stored home phones too;
    // PatientUpdate has one phone list.
    let mut numbers = Vec::new();
    for (field, loc) in [(home, at("PID", 13)), (work, at("PID", 14))] {
        for rep in field.repetitions() {
            if let Some(number) = phone(cx, rep, loc) {
                numbers.push(number);
            }
        }
    }
    Tri::Value(numbers)
}

/// XTN: XTN-1 (formatted), else XTN-12 (unformatted, PAM FR), else country/area/local.
fn phone(cx: &mut Cx<'_, '_>, rep: Repetition<'_>, loc: Loc) -> Option<String> {
    if let Some(number) = cx.text(rep.component(1), loc.comp(1)) {
        return Some(number);
    }
    if let Some(number) = cx.text(rep.component(12), loc.comp(12)) {
        return Some(number);
    }
    let parts: Vec<String> = [5, 6, 7]
        .iter()
        .filter_map(|&n| cx.text(rep.component(n), loc.comp(n)))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// PID-11: every repetition that says something of the place.
fn addresses(cx: &mut Cx<'_, '_>, field: Field<'_>) -> Vec<Address> {
    let loc = at("PID", 11);
    let mut found = Vec::new();
    for rep in field.repetitions() {
        let mut lines = Vec::new();
        lines.extend(cx.joined_subcomponents(rep.component(1), loc.comp(1)));
        lines.extend(cx.text(rep.component(2), loc.comp(2)));
        let address = Address {
            lines,
            city: cx.text(rep.component(3), loc.comp(3)),
            postal_code: cx.text(rep.component(5), loc.comp(5)),
            country: cx.text(rep.component(6), loc.comp(6)),
            kind: cx.text(rep.component(7), loc.comp(7)),
        };
        let says_something = !address.lines.is_empty()
            || address.city.is_some()
            || address.postal_code.is_some()
            || address.country.is_some();
        if says_something {
            found.push(address);
        }
    }
    found
}

/// PID-29 death date, else PID-30 indicator.
fn deceased(cx: &mut Cx<'_, '_>, pid: Segment<'_>) -> Tri<Deceased> {
    let date = pid.field(29);
    let flag = pid.field(30);
    if date.has_value()
        && let Some(moment) = cx.moment(date, at("PID", 29))
    {
        return Tri::Value(Deceased::At(moment));
    }
    match cx
        .text(flag, at("PID", 30))
        .map(|f| f.to_ascii_uppercase())
        .as_deref()
    {
        Some("Y" | "YES") => Tri::Value(Deceased::Yes),
        Some("N" | "NO") => Tri::Value(Deceased::No),
        Some(other) => {
            cx.warn(format!(
                "PID-30 : indicateur de décès « {other} » inconnu, ignoré"
            ));
            Tri::Absent
        }
        None if date.is_null() || flag.is_null() => Tri::Null,
        None => Tri::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{map_ok, msg, patient_update};
    use super::*;

    fn update(pid: &str) -> (PatientUpdate, Vec<String>) {
        let mapped = map_ok(&msg("ADT^A31", pid));
        (patient_update(&mapped).clone(), mapped.warnings)
    }

    #[test]
    fn key_prefers_pi_and_authority_falls_back_to_msh4() {
        let (p, _) = update("PID|1||X1^^^^MR~P1^^^HOSP^PI");
        assert_eq!(p.patient.as_str(), "ipp:HOSP|P1");
        let (p, _) = update("PID|1||555-44-4444");
        assert_eq!(p.patient.as_str(), "ipp:FAC|555-44-4444");
        let (p, _) = update("PID|1||\"\"~9^^^&1.2.3&ISO");
        assert_eq!(p.patient.as_str(), "ipp:1.2.3|9");
    }

    #[test]
    fn pid3_missing_or_all_null_is_rejected_ae_101() {
        for pid in ["PID|1||", "PID|1||\"\"~\"\"^^^H^PI", "PID|1|||||DOE"] {
            let rejection = super::super::test_support::map(&msg("ADT^A31", pid)).unwrap_err();
            assert_eq!(rejection.ack_code, super::super::AckKind::Error);
            assert_eq!((rejection.segment.as_str(), rejection.field), ("PID", 3));
            assert_eq!(rejection.hl7_error_code, 101);
            assert_eq!(
                rejection.reason,
                "PID-3 absent : identifiant patient obligatoire"
            );
        }
    }

    #[test]
    fn identifiers_keep_kind_and_detect_ins() {
        let (p, _) = update(
            "PID|1|OLD1^^^OLDSYS|T1^^^HOSP&1.2.250.1.999.1&ISO^PI~299^^^ASIP&1.2.250.1.213.1.4.10&ISO^NH~\"\"^^^^PRC",
        );
        assert_eq!(p.identifiers.len(), 3);
        assert_eq!(p.identifiers[0].kind.as_deref(), Some("PI"));
        assert_eq!(p.identifiers[0].system.as_deref(), Some("1.2.250.1.999.1"));
        assert_eq!(p.identifiers[1].kind.as_deref(), Some("INS"));
        assert_eq!(p.identifiers[1].value, "299");
        assert_eq!(p.identifiers[2].value, "OLD1");
        assert_eq!(p.identifiers[2].system.as_deref(), Some("OLDSYS"));
    }

    #[test]
    fn placeholder_birth_years_are_ignored_with_a_warning() {
        for raw in ["00000229", "99991231"] {
            let text = format!(
                "MSH|^~\\&|A|B|C|D|20240101||ADT^A08|X|P|2.5\rEVN|A08\rPID|1||1^^^H^PI||N^P||{raw}\r"
            );
            let mapped = map_ok(&text);
            let Some(ckisa_domain::Fact::PatientUpdated(update)) = mapped.facts.first() else {
                panic!("{:?}", mapped.facts);
            };
            assert_eq!(update.birth_date, ckisa_domain::Field::Absent, "{raw}");
            assert!(
                mapped
                    .warnings
                    .iter()
                    .any(|w| w.contains("invraisemblable")),
                "{raw}"
            );
        }
    }

    #[test]
    fn usual_and_birth_names_pam_fr() {
        let (p, _) = update("PID|1||1^^^H^PI||NAISS^MARIE^MARIE ANNE^^^^L~USAGE^MARIE^^^^^D");
        assert_eq!(p.family, Tri::Value("USAGE".into()));
        assert_eq!(p.given, Tri::Value("MARIE".into()));
        assert_eq!(p.birth_name, Tri::Value("NAISS".into()));
        let (p, _) = update("PID|1||1^^^H^PI||DOE^JOHN^A");
        assert_eq!(p.family, Tri::Value("DOE".into()));
        assert_eq!(p.given, Tri::Value("JOHN A".into()));
        assert_eq!(p.birth_name, Tri::Null);
        let (p, _) = update("PID|1||1^^^H^PI||SMITH^ANN~JONES^^^^^^M");
        assert_eq!(p.birth_name, Tri::Value("JONES".into()));
    }

    #[test]
    fn empty_versus_null_demographics() {
        let (p, _) = update("PID|1||1^^^H^PI");
        assert_eq!(p.family, Tri::Absent);
        assert_eq!(p.birth_date, Tri::Absent);
        assert_eq!(p.phones, Tri::Absent);
        assert_eq!(p.deceased, Tri::Absent);
        let (p, _) = update("PID|1||1^^^H^PI||\"\"||\"\"|\"\"|||\"\"||\"\"");
        assert_eq!(p.family, Tri::Null);
        assert_eq!(p.birth_date, Tri::Null);
        assert_eq!(p.sex, Tri::Null);
        assert_eq!(p.addresses, Tri::Null);
        assert_eq!(p.phones, Tri::Null);
    }

    #[test]
    fn invalid_birth_date_is_a_warning_not_a_rejection() {
        let (p, warnings) = update("PID|1||1^^^H^PI||DOE||196203520|F");
        assert_eq!(p.birth_date, Tri::Absent);
        assert_eq!(p.sex, Tri::Value(Sex::Female));
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("PID-7 : ") && w.contains("196203520"))
        );
    }

    #[test]
    fn addresses_phones_sex_and_death() {
        let (p, warnings) = update(
            "PID|1||1^^^H^PI||||19700101|Z|||1000&Hospital Lane^Ste. 123^Ann Arbor ^MI^99999^USA^M~^^^^^^BDL^^63220||^PRN^PH^^^^^^^^^0600000000~0102030405|0147|||||||||||||||20240101120000+0100|Y",
        );
        let Tri::Value(addresses) = p.addresses else {
            panic!("addresses")
        };
        assert_eq!(addresses.len(), 1);
        assert_eq!(addresses[0].lines, ["1000 Hospital Lane", "Ste. 123"]);
        assert_eq!(addresses[0].city.as_deref(), Some("Ann Arbor"));
        assert_eq!(
            p.phones,
            Tri::Value(vec![
                "0600000000".into(),
                "0102030405".into(),
                "0147".into()
            ])
        );
        assert_eq!(p.sex, Tri::Value(Sex::Unknown));
        assert!(warnings.iter().any(|w| w.starts_with("PID-8")));
        let Tri::Value(Deceased::At(at)) = p.deceased else {
            panic!("deceased")
        };
        assert_eq!(at.year, 2024);
    }
}
