//! The `[messagerie]` settings of a node: the support-service channels and
//! the crisis cell's, escalation delays per priority, how long messages are
//! kept, what may be attached, the roster of staff a recall calls, the base
//! of answer links and the notification hook.
//!
//! The binary reads the TOML table and validates it (every error names its
//! key); this module holds the validated form, its defaults, and the checks
//! that do not depend on the rest of the configuration.

use ckisa_domain::Priority;

use crate::book::{ChannelDef, Origin};

/// A byte count of one kibibyte, the "Ko" of the configuration.
pub const KIB: u64 = 1024;

/// Largest attachment by default: 5 Mio.
pub const DEFAULT_ATTACHMENT_MAX_BYTES: u64 = 5 * 1024 * KIB;

/// Largest attachment a configuration may allow: 20 Mio.
pub const ATTACHMENT_MAX_BYTES_LIMIT: u64 = 20 * 1024 * KIB;

/// Days messages are kept by default.
pub const DEFAULT_RETENTION_DAYS: u32 = 365;

/// The hook is killed after this many seconds by default.
pub const DEFAULT_HOOK_TIMEOUT_S: u64 = 10;

/// The id of the crisis cell's channel.
pub const CELL_CHANNEL: &str = "cellule";

/// A media type an attachment may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// `image/jpeg` (a photo of a paper form).
    Jpeg,
    /// `image/png` (a screenshot).
    Png,
    /// `application/pdf` (a protocol, a scanned page).
    Pdf,
}

impl MediaType {
    /// Every media type, in the order of the default list.
    pub const ALL: [MediaType; 3] = [MediaType::Jpeg, MediaType::Png, MediaType::Pdf];

    /// The media type as written in HTTP and in the configuration.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Pdf => "application/pdf",
        }
    }

    /// What people call it (French).
    pub fn label(self) -> &'static str {
        match self {
            MediaType::Jpeg => "une image JPEG",
            MediaType::Png => "une image PNG",
            MediaType::Pdf => "un document PDF",
        }
    }

    /// The media type of `mime` (case ignored, parameters such as
    /// `; charset=` left out; `image/jpg` and `image/pjpeg` count as JPEG).
    pub fn from_mime(mime: &str) -> Option<MediaType> {
        let essence = mime.split(';').next().unwrap_or("").trim();
        match essence.to_ascii_lowercase().as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(MediaType::Jpeg),
            "image/png" | "image/x-png" => Some(MediaType::Png),
            "application/pdf" | "application/x-pdf" => Some(MediaType::Pdf),
            _ => None,
        }
    }
}

/// The channel of a support service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceChannel {
    /// Its code: the channel's id is `service:<code>`.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Holders of these role codes are members.
    pub roles: Vec<String>,
    /// These logins are members.
    pub members: Vec<String>,
}

/// When a broadcast of one priority escalates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delays {
    /// Minutes after which the unit managers of the silent recipients are
    /// told (none: never).
    pub manager_after_min: Option<u32>,
    /// Minutes after which the notification hook is run for those still
    /// silent (none: never).
    pub hook_after_min: Option<u32>,
}

impl Delays {
    /// No escalation.
    pub const NONE: Delays = Delays {
        manager_after_min: None,
        hook_after_min: None,
    };
}

/// The escalation delays of each priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalation {
    /// Urgent broadcasts (default: managers after 10 min, hook after 20).
    pub urgent: Delays,
    /// Important broadcasts (default: 30 and 60 min).
    pub important: Delays,
    /// Information (default: no escalation).
    pub information: Delays,
}

impl Escalation {
    /// The delays of `priority`.
    pub fn delays(&self, priority: Priority) -> Delays {
        match priority {
            Priority::Urgent => self.urgent,
            Priority::Important => self.important,
            Priority::Information => self.information,
        }
    }
}

impl Default for Escalation {
    fn default() -> Escalation {
        Escalation {
            urgent: Delays {
                manager_after_min: Some(10),
                hook_after_min: Some(20),
            },
            important: Delays {
                manager_after_min: Some(30),
                hook_after_min: Some(60),
            },
            information: Delays::NONE,
        }
    }
}

/// One person of the recall roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterPerson {
    /// A stable id, unique in the roster (a staff number, say).
    pub id: String,
    /// The person's name.
    pub name: String,
    /// The role code.
    pub role: String,
    /// The unit code (empty: no unit, such as a pharmacist).
    pub unit: String,
    /// The phone number the hook is given, as written in the roster.
    pub phone: String,
    /// The person's ckisa login, if she has an account (`identifiant` in
    /// the configuration): the escalation of a broadcast she has not
    /// acknowledged sends this phone number to the hook. Unique in the
    /// roster.
    pub login: Option<String>,
}

/// The program run to reach people outside ckisa (an SMS gateway), without
/// a shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// Absolute path of the program.
    pub program: String,
    /// Its arguments, as given.
    pub args: Vec<String>,
    /// Seconds after which it is killed.
    pub timeout_s: u64,
}

/// The messaging settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The channels of the support services.
    pub services: Vec<ServiceChannel>,
    /// Holders of these role codes are members of the crisis cell's channel.
    pub cell_roles: Vec<String>,
    /// These logins are members of the crisis cell's channel too.
    pub cell_members: Vec<String>,
    /// When broadcasts escalate, per priority.
    pub escalation: Escalation,
    /// Days message bodies and attachments are kept.
    pub retention_days: u32,
    /// Largest attachment, in bytes.
    pub attachment_max_bytes: u64,
    /// The media types an attachment may have.
    pub attachment_types: Vec<MediaType>,
    /// The staff a recall may call.
    pub roster: Vec<RosterPerson>,
    /// The address people outside the hospital network reach the node at,
    /// without a final `/`: recall answer links start with it. None: no
    /// link is sent, only the reply code.
    pub public_url: Option<String>,
    /// The program that sends escalations and recalls out (an SMS
    /// gateway). None: callers use the continuity plan's alert hook
    /// (`[plan.crisis.hook]`), if there is one.
    pub hook: Option<Hook>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            services: default_services(),
            cell_roles: strings(&["directeur-crise", "cellule-crise"]),
            cell_members: Vec::new(),
            escalation: Escalation::default(),
            retention_days: DEFAULT_RETENTION_DAYS,
            attachment_max_bytes: DEFAULT_ATTACHMENT_MAX_BYTES,
            attachment_types: MediaType::ALL.to_vec(),
            roster: Vec::new(),
            public_url: None,
            hook: None,
        }
    }
}

/// The support services of an establishment that says nothing.
pub fn default_services() -> Vec<ServiceChannel> {
    let service = |code: &str, name: &str, roles: &[&str]| ServiceChannel {
        code: code.to_owned(),
        name: name.to_owned(),
        roles: strings(roles),
        members: Vec::new(),
    };
    vec![
        service("pharmacie", "Pharmacie", &["pharmacien"]),
        service("laboratoire", "Laboratoire", &["laboratoire"]),
        service("imagerie", "Imagerie", &[]),
        service("biomedical", "Biomédical", &[]),
        service(
            "informatique",
            "Informatique",
            &["securite-si", "administrateur"],
        ),
    ]
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

impl Settings {
    /// The channels of the establishment: one per unit (`unite:<CODE>`,
    /// given as code and name), the crisis cell's (`cellule`), and one per
    /// support service (`service:<code>`).
    pub fn channels(&self, units: &[(String, String)]) -> Vec<ChannelDef> {
        let mut channels = Vec::with_capacity(units.len() + 1 + self.services.len());
        for (code, name) in units {
            channels.push(ChannelDef {
                id: format!("unite:{code}"),
                name: name.clone(),
                origin: Origin::Unit,
                roles: Vec::new(),
                units: vec![code.clone()],
                members: Vec::new(),
            });
        }
        channels.push(ChannelDef {
            id: CELL_CHANNEL.to_owned(),
            name: "Cellule de crise".to_owned(),
            origin: Origin::Cell,
            roles: self.cell_roles.clone(),
            units: Vec::new(),
            members: self.cell_members.clone(),
        });
        for service in &self.services {
            channels.push(ChannelDef {
                id: format!("service:{}", service.code),
                name: service.name.clone(),
                origin: Origin::Service,
                roles: service.roles.clone(),
                units: Vec::new(),
                members: service.members.clone(),
            });
        }
        channels
    }

    /// A roster person by id.
    pub fn person(&self, id: &str) -> Option<&RosterPerson> {
        self.roster.iter().find(|p| p.id == id)
    }

    /// The phone number of the account `login`: the one of the roster
    /// entry whose `login` (`identifiant`) it is. The roster id is not
    /// compared with logins.
    pub fn phone_of_login(&self, login: &str) -> Option<&str> {
        self.roster
            .iter()
            .find(|p| p.login.as_deref() == Some(login))
            .map(|p| p.phone.as_str())
    }
}

/// Checks a service code: lowercase ASCII letters, digits and `-`, as in
/// `service:pharmacie`.
pub fn check_service_code(code: &str) -> Result<(), String> {
    if code.is_empty() {
        return Err("code vide".to_owned());
    }
    if let Some(bad) = code
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "{code:?} contient {bad:?} ; lettres minuscules sans accent, chiffres et '-' \
             conviennent"
        ));
    }
    Ok(())
}

/// Checks a phone number of the roster: digits, spaces, dots, dashes,
/// brackets and a leading `+`, with 6 to 15 digits.
pub fn check_phone(phone: &str) -> Result<(), String> {
    if phone.is_empty() {
        return Err("numéro vide".to_owned());
    }
    let mut digits = 0;
    for (index, c) in phone.chars().enumerate() {
        match c {
            '0'..='9' => digits += 1,
            ' ' | '.' | '-' | '(' | ')' => {}
            '+' if index == 0 => {}
            _ => {
                return Err(format!(
                    "{phone:?} contient {c:?} ; un numéro s'écrit avec des chiffres \
                     (espaces, points et + initial permis)"
                ));
            }
        }
    }
    if !(6..=15).contains(&digits) {
        return Err(format!(
            "{phone:?} a {digits} chiffre(s) ; un numéro en a de 6 à 15"
        ));
    }
    Ok(())
}

/// Checks the public address of the node and returns it without its final
/// `/`: `http://` or `https://`, a host, no space, no query or fragment.
pub fn check_public_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("{text:?} ne commence ni par http:// ni par https://"))?;
    if let Some(bad) = text.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{text:?} contient un espace ou un caractère de contrôle ({bad:?})"
        ));
    }
    if text.contains(['?', '#']) {
        return Err(format!(
            "{text:?} contient '?' ou '#' ; donnez l'adresse de base seulement"
        ));
    }
    let host = rest.split(['/', ':']).next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("{text:?} ne nomme aucun hôte"));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_establishment_habits() {
        let settings = Settings::default();
        let codes: Vec<&str> = settings.services.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "pharmacie",
                "laboratoire",
                "imagerie",
                "biomedical",
                "informatique"
            ]
        );
        assert_eq!(
            settings.services[4].roles,
            ["securite-si", "administrateur"]
        );
        assert_eq!(settings.cell_roles, ["directeur-crise", "cellule-crise"]);
        let urgent = settings.escalation.delays(Priority::Urgent);
        assert_eq!(
            (urgent.manager_after_min, urgent.hook_after_min),
            (Some(10), Some(20))
        );
        let important = settings.escalation.delays(Priority::Important);
        assert_eq!(
            (important.manager_after_min, important.hook_after_min),
            (Some(30), Some(60))
        );
        assert_eq!(
            settings.escalation.delays(Priority::Information),
            Delays::NONE
        );
        assert_eq!(settings.retention_days, 365);
        assert_eq!(settings.attachment_max_bytes, 5 * 1024 * 1024);
        assert_eq!(settings.attachment_types.len(), 3);
    }

    #[test]
    fn channels_come_from_units_cell_and_services() {
        let settings = Settings {
            cell_members: vec!["dupont".into()],
            ..Settings::default()
        };
        let units = vec![
            ("CARDIO".to_owned(), "Cardiologie".to_owned()),
            ("REA".to_owned(), "Réanimation".to_owned()),
        ];
        let channels = settings.channels(&units);
        let ids: Vec<&str> = channels.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "unite:CARDIO",
                "unite:REA",
                "cellule",
                "service:pharmacie",
                "service:laboratoire",
                "service:imagerie",
                "service:biomedical",
                "service:informatique",
            ]
        );
        assert_eq!(channels[1].name, "Réanimation");
        assert_eq!(channels[1].units, ["REA"]);
        assert_eq!(channels[1].origin, Origin::Unit);
        assert_eq!(channels[2].origin, Origin::Cell);
        assert_eq!(channels[2].roles, ["directeur-crise", "cellule-crise"]);
        assert_eq!(channels[2].members, ["dupont"]);
        assert_eq!(channels[3].roles, ["pharmacien"]);
        assert_eq!(channels[3].origin, Origin::Service);
    }

    #[test]
    fn media_types_are_read_loosely() {
        assert_eq!(MediaType::from_mime("IMAGE/JPEG"), Some(MediaType::Jpeg));
        assert_eq!(MediaType::from_mime("image/jpg"), Some(MediaType::Jpeg));
        assert_eq!(
            MediaType::from_mime("application/pdf; charset=binary"),
            Some(MediaType::Pdf)
        );
        assert_eq!(MediaType::from_mime("image/svg+xml"), None);
        assert_eq!(MediaType::from_mime("text/html"), None);
    }

    #[test]
    fn addresses_codes_and_phones_are_checked() {
        assert_eq!(
            check_public_url(" https://ckisa.ch-exemple.fr/ ").as_deref(),
            Ok("https://ckisa.ch-exemple.fr")
        );
        assert_eq!(
            check_public_url("http://10.0.0.5:8443/crise").as_deref(),
            Ok("http://10.0.0.5:8443/crise")
        );
        assert!(check_public_url("ftp://x").unwrap_err().contains("http://"));
        assert!(check_public_url("https://").unwrap_err().contains("hôte"));
        assert!(
            check_public_url("https://a b")
                .unwrap_err()
                .contains("espace")
        );
        assert!(
            check_public_url("https://a/?x=1")
                .unwrap_err()
                .contains("'?'")
        );

        assert!(check_service_code("soins-palliatifs").is_ok());
        assert!(check_service_code("").unwrap_err().contains("vide"));
        assert!(check_service_code("Pharma").unwrap_err().contains("'P'"));

        assert!(check_phone("06 39 98 12 34").is_ok());
        assert!(check_phone("+33 6 39 98 12 34").is_ok());
        assert!(check_phone("06 39 98 12 3a").unwrap_err().contains("'a'"));
        assert!(check_phone("12 34").unwrap_err().contains("4 chiffre"));
        assert!(check_phone("06+39").unwrap_err().contains("'+'"));
    }
}
