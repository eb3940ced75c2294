//! Patient to `PatientUpdated`.
//!
//! A FHIR resource replaces its previous version, so every demographic field
//! is set: a value, or `Null` when the resource no longer carries it. An
//! element present but unreadable (an impossible birth date) is left
//! `Absent` with a warning, so a bad update never erases a good value.

use ckisa_domain::{Address, Deceased, Fact, Field, PatientUpdate, Sex};

use super::{Ctx, identifier};
use crate::model;

/// Maps a Patient.
pub(super) fn map(patient: model::Patient, id: &str, ctx: &mut Ctx<'_>) -> Fact {
    // ckisa's own key and event ids are not identifiers of the person.
    let identifiers = patient
        .identifier
        .iter()
        .filter(|i| !super::care::is_own(i))
        .filter_map(identifier)
        .collect();
    let (family, given, birth_name) = names(&patient.name);
    let birth_date = match patient.birth_date.as_deref() {
        None => Field::Null,
        Some(text) => Field::from_option(ctx.moment("Patient.birthDate", Some(text))),
    };
    let deceased = deceased(&patient, ctx);
    let phones: Vec<String> = patient
        .telecom
        .into_iter()
        .filter(|t| matches!(t.system.as_deref(), Some("phone" | "sms")))
        .filter_map(|t| t.value)
        .collect();
    let addresses: Vec<Address> = patient.address.into_iter().map(address).collect();
    Fact::PatientUpdated(PatientUpdate {
        patient: super::care::patient_key(ctx.index, id),
        identifiers,
        family,
        given,
        birth_name,
        birth_date,
        sex: patient
            .gender
            .as_deref()
            .map_or(Field::Null, |g| Field::Value(sex(g))),
        phones: non_empty(phones),
        addresses: non_empty(addresses),
        deceased,
    })
}

/// Family, given and birth names.
///
/// The name shown is the `usual` one, else `official`, else the first
/// without a `use` that marks it stale (old, maiden, anonymous). The birth
/// name is the `maiden` family name, or the official one when a different
/// usual name exists (French practice: the official name is the birth name).
fn names(names: &[model::HumanName]) -> (Field<String>, Field<String>, Field<String>) {
    let with_use = |wanted: &str| names.iter().find(|n| n.usage.as_deref() == Some(wanted));
    let current = with_use("usual")
        .or_else(|| with_use("official"))
        .or_else(|| {
            names
                .iter()
                .find(|n| !matches!(n.usage.as_deref(), Some("old" | "maiden" | "anonymous")))
        });
    let official = with_use("official");
    let family_of = |n: &model::HumanName| n.family.clone().filter(|f| !f.trim().is_empty());
    let given_of = |n: &model::HumanName| Some(n.given.join(" ")).filter(|g| !g.trim().is_empty());
    // A usual name may carry only a given name (`Jim`): the rest comes from the official one.
    let family = current
        .and_then(family_of)
        .or_else(|| official.and_then(family_of));
    let given = current
        .and_then(given_of)
        .or_else(|| official.and_then(given_of));
    let birth_name = with_use("maiden")
        .and_then(family_of)
        .or_else(|| official.and_then(family_of))
        .filter(|birth| Some(birth) != family.as_ref());
    (field(family), field(given), field(birth_name))
}

/// `deceased[x]`.
fn deceased(patient: &model::Patient, ctx: &mut Ctx<'_>) -> Field<Deceased> {
    if let Some(text) = patient.deceased_date_time.as_deref() {
        return match ctx.moment("Patient.deceasedDateTime", Some(text)) {
            Some(at) => Field::Value(Deceased::At(at)),
            None => Field::Value(Deceased::Yes),
        };
    }
    match patient.deceased_boolean {
        Some(true) => Field::Value(Deceased::Yes),
        Some(false) => Field::Value(Deceased::No),
        None => Field::Null,
    }
}

fn sex(gender: &str) -> Sex {
    match gender {
        "female" => Sex::Female,
        "male" => Sex::Male,
        "other" => Sex::Other,
        _ => Sex::Unknown,
    }
}

fn address(address: model::Address) -> Address {
    let mut lines = address.line;
    if lines.is_empty() {
        lines.extend(address.text);
    }
    Address {
        lines,
        city: address.city,
        postal_code: address.postal_code,
        country: address.country,
        kind: address.usage,
    }
}

fn field(value: Option<String>) -> Field<String> {
    value
        .filter(|v| !v.trim().is_empty())
        .map_or(Field::Null, Field::Value)
}

fn non_empty<T>(values: Vec<T>) -> Field<Vec<T>> {
    if values.is_empty() {
        Field::Null
    } else {
        Field::Value(values)
    }
}

#[cfg(test)]
mod tests {
    use ckisa_domain::{Moment, Precision};

    use super::*;
    use crate::resolve::Index;

    fn check(json: &str) -> (PatientUpdate, Vec<String>) {
        let patient: model::Patient = serde_json::from_str(json).unwrap();
        let index = Index::default();
        let mut ctx = Ctx {
            index: &index,
            warnings: Vec::new(),
        };
        let Fact::PatientUpdated(update) = map(patient, "p1", &mut ctx) else {
            panic!("a patient update")
        };
        (
            update,
            ctx.warnings.iter().map(ToString::to_string).collect(),
        )
    }

    #[test]
    fn demographics_are_all_set() {
        let (p, warnings) = check(
            r#"{"identifier":[{"system":"urn:oid:1.2.250.1.213.1.4.8","value":"285"},
                {"type":{"coding":[{"code":"PI"}]},"system":"urn:oid:1.2.3","value":"IPP9"}],
               "name":[{"use":"official","family":"DUPONT","given":["Marie","Anne"]},
                       {"use":"usual","family":"MARTIN","given":["Marie"]}],
               "telecom":[{"system":"email","value":"a@b"},{"system":"phone","value":"0102"}],
               "gender":"female","birthDate":"1985-03-01",
               "address":[{"use":"home","line":["1 rue X"],"city":"Lyon","postalCode":"69001"}]}"#,
        );
        assert!(warnings.is_empty());
        assert_eq!(p.patient, ckisa_domain::PatientKey::fhir("p1"));
        assert_eq!(p.identifiers[0].kind.as_deref(), Some("INS"));
        assert_eq!(p.identifiers[1].kind.as_deref(), Some("PI"));
        assert_eq!(p.family, Field::Value("MARTIN".into()));
        assert_eq!(p.given, Field::Value("Marie".into()));
        assert_eq!(p.birth_name, Field::Value("DUPONT".into()));
        assert_eq!(
            p.birth_date,
            Field::Value(Moment::date(1985, 3, 1).unwrap())
        );
        assert_eq!(p.sex, Field::Value(Sex::Female));
        assert_eq!(p.phones, Field::Value(vec!["0102".to_owned()]));
        assert_eq!(
            p.addresses.value().unwrap()[0].city.as_deref(),
            Some("Lyon")
        );
        assert_eq!(p.deceased, Field::Null);
    }

    #[test]
    fn missing_elements_are_null_and_bad_dates_absent() {
        let (p, warnings) = check(r#"{"birthDate":"1985-02-30","deceasedBoolean":true}"#);
        assert_eq!(p.family, Field::Null);
        assert_eq!(p.sex, Field::Null);
        assert_eq!(p.phones, Field::Null);
        assert_eq!(p.birth_date, Field::Absent);
        assert_eq!(p.deceased, Field::Value(Deceased::Yes));
        assert_eq!(
            warnings,
            ["Patient.birthDate : date invalide « 1985-02-30 », élément ignoré"]
        );
    }

    #[test]
    fn partial_birth_dates_keep_their_precision() {
        let (p, _) =
            check(r#"{"birthDate":"1974-12","deceasedDateTime":"2015-02-14T13:42:00+10:00"}"#);
        assert_eq!(p.birth_date.value().unwrap().precision, Precision::Month);
        assert!(
            matches!(p.deceased, Field::Value(Deceased::At(m)) if m.precision == Precision::Second)
        );
    }
}
