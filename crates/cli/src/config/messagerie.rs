//! `[messagerie]`: the secure messaging's settings, read as the TOML has
//! them, then validated into [`Settings`] (every error names its key, such
//! as `messagerie.rappel[3].role`). What is left out keeps its default.

use anyhow::bail;
use ckisa_domain::Priority;
use ckisa_messaging::settings::{
    ATTACHMENT_MAX_BYTES_LIMIT, Delays, Escalation, Hook, KIB, MediaType, RosterPerson,
    ServiceChannel, Settings, check_phone, check_public_url, check_service_code,
};
use serde::Deserialize;

/// Longest escalation delay, in minutes (one day).
const MAX_DELAY_MIN: i64 = 24 * 60;

/// Longest retention, in days (ten years).
const MAX_RETENTION_DAYS: i64 = 3650;

/// Longest run of the hook, in seconds.
const MAX_HOOK_TIMEOUT_S: i64 = 300;

/// `[messagerie]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMessagerie {
    /// The support services' channels; replaces the default list.
    canaux_services: Option<Vec<RawService>>,
    /// Role codes whose holders read the crisis cell's channel.
    cellule_roles: Option<Vec<String>>,
    /// Logins who read it too.
    cellule_membres: Option<Vec<String>>,
    /// Escalation delays per priority.
    escalade: Option<RawEscalade>,
    /// Days messages are kept.
    conservation_jours: Option<i64>,
    /// Largest attachment, in Ko (1 Ko = 1024 bytes).
    pieces_jointes_max_ko: Option<i64>,
    /// Media types an attachment may have.
    pieces_jointes_types: Option<Vec<String>>,
    /// The staff a recall may call.
    #[serde(default)]
    rappel: Vec<RawPerson>,
    /// Base of the recall answer links, `https://…`.
    adresse_publique: Option<String>,
    /// The notification hook (SMS gateway).
    crochet: Option<RawCrochet>,
}

/// `[[messagerie.canaux_services]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    code: String,
    nom: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    membres: Vec<String>,
}

/// `[messagerie.escalade]`: a table per priority replaces that priority's
/// defaults; a stage it leaves out does not run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEscalade {
    urgent: Option<RawDelays>,
    important: Option<RawDelays>,
    information: Option<RawDelays>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDelays {
    /// Minutes before the unit managers are told.
    cadre_apres_min: Option<i64>,
    /// Minutes before the hook is run.
    crochet_apres_min: Option<i64>,
}

/// `[[messagerie.rappel]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerson {
    id: String,
    nom: String,
    role: String,
    #[serde(default)]
    unite: String,
    telephone: String,
    /// The person's ckisa login, if she has an account: escalations of
    /// broadcasts she leaves unacknowledged reach this phone.
    identifiant: Option<String>,
}

/// `[messagerie.crochet]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCrochet {
    programme: String,
    #[serde(default)]
    arguments: Vec<String>,
    delai_s: Option<i64>,
}

/// What `[messagerie]` may name: the role codes of accounts and the
/// configured unit codes.
pub(super) struct Known<'a> {
    pub(super) roles: &'a [String],
    pub(super) units: &'a [String],
}

/// `[messagerie]` into the messaging settings.
pub(super) fn validate(raw: RawMessagerie, known: &Known<'_>) -> anyhow::Result<Settings> {
    let defaults = Settings::default();
    let services = match raw.canaux_services {
        Some(list) => services(&list, known)?,
        None => defaults.services,
    };
    let cell_roles = match raw.cellule_roles {
        Some(roles) => check_roles("messagerie.cellule_roles", &roles, known)?,
        None => defaults.cell_roles,
    };
    let cell_members = match raw.cellule_membres {
        Some(logins) => check_logins("messagerie.cellule_membres", &logins)?,
        None => defaults.cell_members,
    };
    if cell_roles.is_empty() && cell_members.is_empty() {
        bail!(
            "messagerie.cellule_roles : ni rôle ni membre pour le canal de la cellule de crise ; \
             personne ne pourrait le lire"
        );
    }
    let escalation = match raw.escalade {
        Some(escalade) => escalation(&escalade, defaults.escalation)?,
        None => defaults.escalation,
    };
    let retention_days = match raw.conservation_jours {
        Some(days) => in_range(
            "messagerie.conservation_jours",
            days,
            1,
            MAX_RETENTION_DAYS,
            "jours",
        )?,
        None => defaults.retention_days,
    };
    let attachment_max_bytes = match raw.pieces_jointes_max_ko {
        Some(ko) => {
            let limit = i64::try_from(ATTACHMENT_MAX_BYTES_LIMIT / KIB).unwrap_or(i64::MAX);
            u64::from(in_range(
                "messagerie.pieces_jointes_max_ko",
                ko,
                1,
                limit,
                "Ko",
            )?) * KIB
        }
        None => defaults.attachment_max_bytes,
    };
    let attachment_types = match raw.pieces_jointes_types {
        Some(types) => media_types(&types)?,
        None => defaults.attachment_types,
    };
    let public_url = raw
        .adresse_publique
        .map(|text| {
            check_public_url(&text)
                .map_err(|reason| anyhow::anyhow!("messagerie.adresse_publique : {reason}"))
        })
        .transpose()?;
    Ok(Settings {
        services,
        cell_roles,
        cell_members,
        escalation,
        retention_days,
        attachment_max_bytes,
        attachment_types,
        roster: roster(&raw.rappel, known)?,
        public_url,
        hook: raw.crochet.map(hook).transpose()?,
    })
}

fn services(raw: &[RawService], known: &Known<'_>) -> anyhow::Result<Vec<ServiceChannel>> {
    let mut services: Vec<ServiceChannel> = Vec::with_capacity(raw.len());
    for (index, service) in raw.iter().enumerate() {
        let key = format!("messagerie.canaux_services[{index}]");
        let code = service.code.trim();
        check_service_code(code).map_err(|reason| anyhow::anyhow!("{key}.code : {reason}"))?;
        if services.iter().any(|s| s.code == code) {
            bail!("{key}.code : {code:?} est défini deux fois");
        }
        let name = service.nom.trim();
        if name.is_empty() {
            bail!("{key}.nom : vide ; donnez le nom affiché du canal");
        }
        services.push(ServiceChannel {
            code: code.to_owned(),
            name: name.to_owned(),
            roles: check_roles(&format!("{key}.roles"), &service.roles, known)?,
            members: check_logins(&format!("{key}.membres"), &service.membres)?,
        });
    }
    Ok(services)
}

/// Role codes, each known and given once.
fn check_roles(key: &str, roles: &[String], known: &Known<'_>) -> anyhow::Result<Vec<String>> {
    let mut checked: Vec<String> = Vec::with_capacity(roles.len());
    for (index, role) in roles.iter().enumerate() {
        let role = role.trim();
        if !known.roles.iter().any(|r| r == role) {
            bail!("{key}[{index}] : {}", unknown_role(role, known));
        }
        if checked.iter().any(|r| r == role) {
            bail!("{key}[{index}] : le rôle {role:?} est donné deux fois");
        }
        checked.push(role.to_owned());
    }
    Ok(checked)
}

fn unknown_role(role: &str, known: &Known<'_>) -> String {
    format!(
        "{role:?} n'est pas un rôle (rôles : {})",
        known.roles.join(", ")
    )
}

/// Logins: not empty, no space, each once.
fn check_logins(key: &str, logins: &[String]) -> anyhow::Result<Vec<String>> {
    let mut checked: Vec<String> = Vec::with_capacity(logins.len());
    for (index, login) in logins.iter().enumerate() {
        let login = login.trim();
        if login.is_empty() || login.contains(char::is_whitespace) {
            bail!("{key}[{index}] : {login:?} n'est pas un identifiant de compte");
        }
        if checked.iter().any(|l| l == login) {
            bail!("{key}[{index}] : {login:?} est donné deux fois");
        }
        checked.push(login.to_owned());
    }
    Ok(checked)
}

fn escalation(raw: &RawEscalade, defaults: Escalation) -> anyhow::Result<Escalation> {
    let one = |priority: Priority, given: &Option<RawDelays>| match given {
        Some(delays) => self::delays(priority, delays),
        None => Ok(defaults.delays(priority)),
    };
    Ok(Escalation {
        urgent: one(Priority::Urgent, &raw.urgent)?,
        important: one(Priority::Important, &raw.important)?,
        information: one(Priority::Information, &raw.information)?,
    })
}

fn delays(priority: Priority, raw: &RawDelays) -> anyhow::Result<Delays> {
    let key = format!("messagerie.escalade.{}", priority.code());
    let minutes = |name: &str, value: Option<i64>| {
        value
            .map(|v| in_range(&format!("{key}.{name}"), v, 1, MAX_DELAY_MIN, "minutes"))
            .transpose()
    };
    let manager_after_min = minutes("cadre_apres_min", raw.cadre_apres_min)?;
    let hook_after_min = minutes("crochet_apres_min", raw.crochet_apres_min)?;
    if let (Some(manager), Some(hook)) = (manager_after_min, hook_after_min)
        && hook <= manager
    {
        bail!(
            "{key}.crochet_apres_min : {hook} min ne vient pas après cadre_apres_min ({manager} \
             min) ; le crochet est la seconde étape"
        );
    }
    Ok(Delays {
        manager_after_min,
        hook_after_min,
    })
}

/// A whole number from `low` to `high`.
fn in_range(key: &str, value: i64, low: i64, high: i64, unit: &str) -> anyhow::Result<u32> {
    if !(low..=high).contains(&value) {
        bail!("{key} : {value} hors limites (de {low} à {high} {unit})");
    }
    Ok(u32::try_from(value)?)
}

fn media_types(raw: &[String]) -> anyhow::Result<Vec<MediaType>> {
    let mut types: Vec<MediaType> = Vec::with_capacity(raw.len());
    for (index, text) in raw.iter().enumerate() {
        let key = format!("messagerie.pieces_jointes_types[{index}]");
        let text = text.trim();
        let Some(media) = MediaType::ALL.into_iter().find(|m| m.mime() == text) else {
            let accepted: Vec<&str> = MediaType::ALL.iter().map(|m| m.mime()).collect();
            let why = if text.contains("svg") || text.contains("html") {
                " : ces fichiers peuvent contenir du script"
            } else {
                ""
            };
            bail!(
                "{key} : {text:?} n'est pas accepté{why} (types possibles : {})",
                accepted.join(", ")
            );
        };
        if types.contains(&media) {
            bail!("{key} : {text:?} est donné deux fois");
        }
        types.push(media);
    }
    Ok(types)
}

fn roster(raw: &[RawPerson], known: &Known<'_>) -> anyhow::Result<Vec<RosterPerson>> {
    let mut roster: Vec<RosterPerson> = Vec::with_capacity(raw.len());
    for (index, person) in raw.iter().enumerate() {
        let key = format!("messagerie.rappel[{index}]");
        let id = person.id.trim();
        if id.is_empty() {
            bail!("{key}.id : vide ; donnez un identifiant unique (matricule)");
        }
        if let Some(other) = roster.iter().position(|p| p.id == id) {
            bail!("{key}.id : {id:?} est déjà celui de messagerie.rappel[{other}]");
        }
        let name = person.nom.trim();
        if name.is_empty() {
            bail!("{key}.nom : vide");
        }
        let role = person.role.trim();
        if !known.roles.iter().any(|r| r == role) {
            bail!("{key}.role : {}", unknown_role(role, known));
        }
        let unit = person.unite.trim();
        if !unit.is_empty() && !known.units.iter().any(|u| u == unit) {
            bail!("{key}.unite : {unit:?} n'est pas une unité de la configuration ([[units]])");
        }
        let phone = person.telephone.trim();
        check_phone(phone).map_err(|reason| anyhow::anyhow!("{key}.telephone : {reason}"))?;
        let login = match person.identifiant.as_deref().map(str::trim) {
            None => None,
            Some(login) => {
                if login.is_empty() || login.contains(char::is_whitespace) {
                    bail!(
                        "{key}.identifiant : {login:?} n'est pas un identifiant de compte ; \
                         donnez celui avec lequel la personne se connecte à ckisa, ou retirez la \
                         clé"
                    );
                }
                let taken = roster
                    .iter()
                    .position(|p| p.login.as_deref() == Some(login));
                if let Some(other) = taken {
                    bail!(
                        "{key}.identifiant : {login:?} est déjà celui de \
                         messagerie.rappel[{other}]"
                    );
                }
                Some(login.to_owned())
            }
        };
        roster.push(RosterPerson {
            id: id.to_owned(),
            name: name.to_owned(),
            role: role.to_owned(),
            unit: unit.to_owned(),
            phone: phone.to_owned(),
            login,
        });
    }
    Ok(roster)
}

fn hook(raw: RawCrochet) -> anyhow::Result<Hook> {
    let program = raw.programme.trim();
    if !program.starts_with('/') {
        bail!(
            "messagerie.crochet.programme : {program:?} ; donnez le chemin absolu du programme \
             (il est lancé sans shell ni PATH)"
        );
    }
    let timeout_s = match raw.delai_s {
        Some(seconds) => in_range(
            "messagerie.crochet.delai_s",
            seconds,
            1,
            MAX_HOOK_TIMEOUT_S,
            "secondes",
        )?
        .into(),
        None => ckisa_messaging::settings::DEFAULT_HOOK_TIMEOUT_S,
    };
    Ok(Hook {
        program: program.to_owned(),
        args: raw.arguments,
        timeout_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(id: &str, login: Option<&str>) -> RawPerson {
        RawPerson {
            id: id.to_owned(),
            nom: format!("Nom {id}"),
            role: "infirmier".to_owned(),
            unite: String::new(),
            telephone: "06 39 98 00 01".to_owned(),
            identifiant: login.map(str::to_owned),
        }
    }

    fn known_roster(raw: &[RawPerson]) -> anyhow::Result<Vec<RosterPerson>> {
        let roles = ["infirmier".to_owned()];
        let known = Known {
            roles: &roles,
            units: &[],
        };
        roster(raw, &known)
    }

    #[test]
    fn roster_entries_may_name_their_login() {
        let roster = known_roster(&[raw("M1", Some(" ide-rea ")), raw("M2", None)]).expect("valid");
        assert_eq!(roster[0].login.as_deref(), Some("ide-rea"));
        assert_eq!(roster[1].login, None);
        let settings = Settings {
            roster,
            ..Settings::default()
        };
        assert_eq!(settings.phone_of_login("ide-rea"), Some("06 39 98 00 01"));
        // The roster id is no login.
        assert_eq!(settings.phone_of_login("M2"), None);
    }

    #[test]
    fn bad_logins_of_the_roster_are_refused_naming_their_key() {
        let twice = known_roster(&[raw("M1", Some("ide")), raw("M2", Some("ide"))])
            .unwrap_err()
            .to_string();
        assert_eq!(
            twice,
            "messagerie.rappel[1].identifiant : \"ide\" est déjà celui de messagerie.rappel[0]"
        );
        for bad in ["", "  ", "jean dupont"] {
            let error = known_roster(&[raw("M1", Some(bad))])
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with("messagerie.rappel[0].identifiant : ")
                    && error.contains("n'est pas un identifiant de compte"),
                "{bad:?}: {error}"
            );
        }
    }
}
