//! From [`RawPlan`] to [`Plan`]: every value judged, every reference
//! resolved against the plan itself and against the node's configuration
//! ([`PlanContext`]), every problem collected with its key.
//!
//! A code or a name that is itself wrong still counts as declared for the
//! references to it, so that one mistake gives one error, not a cascade.

use super::duration::{DurationText, format_duration, parse_duration};
use super::model::{
    Activity, Application, Card, Contact, CrisisLevel, CrisisSettings, Criticality,
    DetectionSettings, Hook, Plan, PlanWarning, Probe, ProbeTarget, Stock, StockCategory,
    default_levels,
};
use super::raw::{
    RawActivity, RawApplication, RawCard, RawContact, RawCrisis, RawDetection, RawPlan, RawProbe,
    RawStock,
};
use super::{PlanContext, PlanError};
use std::net::Ipv6Addr;
use std::time::Duration;

/// Checks `raw` against itself and against the node's units, feeds and
/// roles. Returns the typed plan (with its warnings), or every error found.
pub fn check(raw: &RawPlan, context: &PlanContext) -> Result<Plan, Vec<PlanError>> {
    let mut checker = Checker {
        context,
        declared_applications: raw.applications.iter().map(|a| a.code.clone()).collect(),
        declared_activities: raw.activities.iter().map(|a| a.code.clone()).collect(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };

    let applications = checker.applications(&raw.applications);
    let activities = checker.activities(&raw.activities);
    let cards = checker.cards(&raw.cards);
    let contacts = checker.contacts(&raw.contacts);
    let stocks = checker.stocks(&raw.stocks);
    let crisis = checker.crisis(&raw.crisis);
    let detection = checker.detection(&raw.detection);
    checker.unused_applications(raw);

    if !checker.errors.is_empty() {
        return Err(checker.errors);
    }
    Ok(Plan {
        applications,
        activities,
        cards,
        contacts,
        stocks,
        crisis,
        detection,
        warnings: checker.warnings,
    })
}

/// What a reference points at, for its error message.
#[derive(Clone, Copy)]
enum Target {
    Application,
    Activity,
    Unit,
    Feed,
    Role,
}

impl Target {
    /// "application \"X\" inconnue" and where the known ones come from.
    fn unknown(self, value: &str, known: &[String]) -> String {
        let (noun, adjective, source) = match self {
            Target::Application => ("application", "inconnue", "plan.applications"),
            Target::Activity => ("activité", "inconnue", "plan.activities"),
            Target::Unit => ("unité", "inconnue", "[[units]] de la configuration"),
            Target::Feed => ("flux", "inconnu", "[[feeds]] de la configuration"),
            Target::Role => ("rôle", "inconnu", "rôles de ckisa"),
        };
        if known.is_empty() {
            format!("{noun} {value:?} {adjective} ({source} : aucun)")
        } else {
            format!(
                "{noun} {value:?} {adjective} ({source} : {})",
                known.join(", ")
            )
        }
    }
}

struct Checker<'a> {
    context: &'a PlanContext,
    declared_applications: Vec<String>,
    declared_activities: Vec<String>,
    errors: Vec<PlanError>,
    warnings: Vec<PlanWarning>,
}

impl Checker<'_> {
    fn error(&mut self, path: &str, message: String) {
        self.errors.push(PlanError::Invalid {
            path: path.to_string(),
            message,
        });
    }

    fn warn(&mut self, path: &str, message: String) {
        self.warnings.push(PlanWarning {
            path: path.to_string(),
            message,
        });
    }

    /// `value` trimmed, with an error if nothing is left.
    fn text(&mut self, path: &str, value: &str) -> String {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.error(path, "ne peut pas être vide".to_string());
        }
        trimmed.to_string()
    }

    /// An optional text: absent stays absent, present must not be blank.
    fn optional_text(&mut self, path: &str, value: Option<&String>) -> Option<String> {
        value.map(|v| self.text(path, v))
    }

    /// A code: letters, digits, `-`, `_`, `.`, unique among `seen` (the
    /// codes before it, with their paths).
    fn code(&mut self, path: &str, value: &str, seen: &mut Vec<(String, String)>) -> String {
        let well_formed = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !well_formed {
            self.error(
                path,
                format!(
                    "{value:?} n'est pas un code valide \
                     (lettres, chiffres, « - », « _ » ou « . », sans espace)"
                ),
            );
        } else if let Some((_, first)) = seen.iter().find(|(code, _)| code == value) {
            let first = first.clone();
            self.error(path, format!("{value:?} est déjà le code de {first}"));
        }
        let owner = path.rsplit_once('.').map_or(path, |(owner, _)| owner);
        seen.push((value.to_string(), owner.to_string()));
        value.to_string()
    }

    /// A reference to something declared in `target`'s list.
    fn reference(&mut self, path: &str, value: &str, target: Target) -> String {
        let known = match target {
            Target::Application => &self.declared_applications,
            Target::Activity => &self.declared_activities,
            Target::Unit => &self.context.units,
            Target::Feed => &self.context.feeds,
            Target::Role => &self.context.roles,
        };
        if !known.iter().any(|k| k == value) {
            let message = target.unknown(value, known);
            self.error(path, message);
        }
        value.to_string()
    }

    /// A list of references, each once.
    fn references(&mut self, path: &str, values: &[String], target: Target) -> Vec<String> {
        let mut out: Vec<String> = Vec::with_capacity(values.len());
        for (i, value) in values.iter().enumerate() {
            let item = format!("{path}[{i}]");
            if out.contains(value) {
                self.error(&item, format!("{value:?} est cité deux fois"));
            }
            out.push(self.reference(&item, value, target));
        }
        out
    }

    fn duration(&mut self, path: &str, value: &DurationText) -> Duration {
        match parse_duration(&value.0) {
            Ok(duration) => duration,
            Err(err) => {
                self.error(path, err.to_string());
                Duration::ZERO
            }
        }
    }

    fn duration_or(
        &mut self,
        path: &str,
        value: Option<&DurationText>,
        default: Duration,
    ) -> Duration {
        value.map_or(default, |v| self.duration(path, v))
    }

    /// A fraction strictly between 0 and 1.
    fn fraction(&mut self, path: &str, value: Option<f64>, default: f64) -> f64 {
        let value = value.unwrap_or(default);
        if !(value > 0.0 && value < 1.0) {
            self.error(
                path,
                format!("{value} : attendu une fraction strictement entre 0 et 1 (par ex. 0.75)"),
            );
        }
        value
    }

    /// A quantity: finite, not negative.
    fn quantity(&mut self, path: &str, value: f64) -> f64 {
        if !value.is_finite() || value < 0.0 {
            self.error(
                path,
                format!("{value} : attendu une quantité positive ou nulle"),
            );
        }
        value
    }

    fn applications(&mut self, raw: &[RawApplication]) -> Vec<Application> {
        let mut seen = Vec::new();
        let mut out = Vec::with_capacity(raw.len());
        for (i, application) in raw.iter().enumerate() {
            let path = format!("plan.applications[{i}]");
            let code = self.code(&format!("{path}.code"), &application.code, &mut seen);
            let name = self.text(&format!("{path}.name"), &application.name);
            let feeds = self.references(&format!("{path}.feeds"), &application.feeds, Target::Feed);
            if feeds.is_empty() {
                self.warn(
                    &format!("{path}.feeds"),
                    format!(
                        "aucun flux : l'âge de la réplique de {code:?} ne peut pas être surveillé"
                    ),
                );
            }
            out.push(Application { code, name, feeds });
        }
        out
    }

    fn activities(&mut self, raw: &[RawActivity]) -> Vec<Activity> {
        if raw.is_empty() {
            self.warn(
                "plan.activities",
                "aucune activité : le BIA est vide".to_string(),
            );
        }
        let mut seen = Vec::new();
        let mut out = Vec::with_capacity(raw.len());
        for (i, activity) in raw.iter().enumerate() {
            let path = format!("plan.activities[{i}]");
            let code = self.code(&format!("{path}.code"), &activity.code, &mut seen);
            let name = self.text(&format!("{path}.name"), &activity.name);
            let criticality =
                self.criticality(&format!("{path}.criticality"), &activity.criticality);
            let dmia = self.duration(&format!("{path}.dmia"), &activity.dmia);
            let pdma = self.duration(&format!("{path}.pdma"), &activity.pdma);
            if !dmia.is_zero() && pdma > dmia {
                self.warn(
                    &format!("{path}.pdma"),
                    format!(
                        "PDMA de {} plus longue que la DMIA de {} : l'activité tolérerait de \
                         perdre plus de données qu'elle ne tolère d'arrêt ; à vérifier",
                        format_duration(pdma),
                        format_duration(dmia)
                    ),
                );
            }
            let applications = self.references(
                &format!("{path}.applications"),
                &activity.applications,
                Target::Application,
            );
            if applications.is_empty() {
                self.warn(
                    &format!("{path}.applications"),
                    "aucune application : la PDMA de cette activité ne peut pas être surveillée"
                        .to_string(),
                );
            }
            let units = self.references(&format!("{path}.units"), &activity.units, Target::Unit);
            out.push(Activity {
                code,
                name,
                criticality,
                dmia,
                pdma,
                applications,
                units,
            });
        }
        out
    }

    fn criticality(&mut self, path: &str, value: &str) -> Criticality {
        Criticality::from_code(value).unwrap_or_else(|| {
            self.error(
                path,
                format!(
                    "{value:?} n'est pas une criticité (vitale, majeure, importante ou secondaire)"
                ),
            );
            Criticality::Secondary
        })
    }

    fn cards(&mut self, raw: &[RawCard]) -> Vec<Card> {
        let mut seen = Vec::new();
        let mut out = Vec::with_capacity(raw.len());
        for (i, card) in raw.iter().enumerate() {
            let path = format!("plan.cards[{i}]");
            let code = self.code(&format!("{path}.code"), &card.code, &mut seen);
            let title = self.text(&format!("{path}.title"), &card.title);
            let role = self.reference(&format!("{path}.role"), &card.role, Target::Role);
            let activity = card
                .activity
                .as_ref()
                .map(|a| self.reference(&format!("{path}.activity"), a, Target::Activity));
            if card.steps.is_empty() {
                self.error(&format!("{path}.steps"), "aucune étape".to_string());
            }
            let steps = card
                .steps
                .iter()
                .enumerate()
                .map(|(j, step)| self.text(&format!("{path}.steps[{j}]"), step))
                .collect();
            out.push(Card {
                code,
                title,
                role,
                activity,
                steps,
            });
        }
        out
    }

    fn contacts(&mut self, raw: &[RawContact]) -> Vec<Contact> {
        let mut out: Vec<Contact> = Vec::with_capacity(raw.len());
        for (i, contact) in raw.iter().enumerate() {
            let path = format!("plan.contacts[{i}]");
            let name = self.text(&format!("{path}.name"), &contact.name);
            if let Some(first) = out.iter().position(|c| c.name == name && !name.is_empty()) {
                self.warn(
                    &format!("{path}.name"),
                    format!("{name:?} figure déjà en plan.contacts[{first}]"),
                );
            }
            let checked = Contact {
                function: self.text(&format!("{path}.function"), &contact.function),
                role: contact
                    .role
                    .as_ref()
                    .map(|r| self.reference(&format!("{path}.role"), r, Target::Role)),
                unit: contact
                    .unit
                    .as_ref()
                    .map(|u| self.reference(&format!("{path}.unit"), u, Target::Unit)),
                direct_line: self
                    .optional_text(&format!("{path}.direct_line"), contact.direct_line.as_ref()),
                mobile: self.optional_text(&format!("{path}.mobile"), contact.mobile.as_ref()),
                radio: self.optional_text(&format!("{path}.radio"), contact.radio.as_ref()),
                runner: self.optional_text(&format!("{path}.runner"), contact.runner.as_ref()),
                email: self.email(&format!("{path}.email"), contact.email.as_ref()),
                name,
            };
            if checked.means().is_empty() {
                self.error(
                    &path,
                    format!(
                        "aucun moyen de joindre {:?} (direct_line, mobile, radio, runner ou email)",
                        checked.name
                    ),
                );
            }
            out.push(checked);
        }
        out
    }

    fn email(&mut self, path: &str, value: Option<&String>) -> Option<String> {
        let email = self.optional_text(path, value)?;
        let well_formed = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && !email.contains(char::is_whitespace)
            }
            None => false,
        };
        if !email.is_empty() && !well_formed {
            self.error(
                path,
                format!("{email:?} n'est pas une adresse électronique"),
            );
        }
        Some(email)
    }

    fn stocks(&mut self, raw: &[RawStock]) -> Vec<Stock> {
        let mut seen = Vec::new();
        let mut out = Vec::with_capacity(raw.len());
        for (i, stock) in raw.iter().enumerate() {
            let path = format!("plan.stocks[{i}]");
            let code = self.code(&format!("{path}.code"), &stock.code, &mut seen);
            let category = StockCategory::from_code(&stock.category).unwrap_or_else(|| {
                self.error(
                    &format!("{path}.category"),
                    format!(
                        "{:?} n'est pas une catégorie de stock (medicament, sang, oxygene ou consommable)",
                        stock.category
                    ),
                );
                StockCategory::Consumable
            });
            let alert = self.quantity(&format!("{path}.alert_threshold"), stock.alert_threshold);
            let critical = self.quantity(
                &format!("{path}.critical_threshold"),
                stock.critical_threshold,
            );
            if critical >= alert {
                self.error(
                    &format!("{path}.critical_threshold"),
                    format!(
                        "le seuil critique ({critical}) doit être inférieur au seuil d'alerte ({alert})"
                    ),
                );
            }
            let daily_consumption = self.daily_consumption(&path, &code, stock.daily_consumption);
            out.push(Stock {
                name: self.text(&format!("{path}.name"), &stock.name),
                measure: self.text(&format!("{path}.measure"), &stock.measure),
                location: self.text(&format!("{path}.location"), &stock.location),
                code,
                category,
                alert_threshold: alert,
                critical_threshold: critical,
                daily_consumption,
            });
        }
        out
    }

    fn daily_consumption(&mut self, path: &str, code: &str, value: Option<f64>) -> Option<f64> {
        let path = format!("{path}.daily_consumption");
        match value {
            None => self.warn(
                &path,
                format!("consommation absente : les jours restants de {code:?} ne pourront pas être estimés"),
            ),
            Some(daily) if !(daily.is_finite() && daily > 0.0) => self.error(
                &path,
                format!("{daily} : attendu une consommation journalière strictement positive"),
            ),
            Some(_) => {}
        }
        value
    }

    fn crisis(&mut self, raw: &RawCrisis) -> CrisisSettings {
        let defaults = CrisisSettings::default();
        let levels = match &raw.levels {
            None => default_levels(),
            Some(levels) => self.levels(levels),
        };
        let unit_report_interval = self.duration_or(
            "plan.crisis.unit_report_interval",
            raw.unit_report_interval.as_ref(),
            defaults.unit_report_interval,
        );
        let orange_at = self.fraction("plan.crisis.orange_at", raw.orange_at, defaults.orange_at);
        let hook = raw.hook.as_ref().map(|hook| {
            let program = self.text("plan.crisis.hook.program", &hook.program);
            if !program.is_empty() && !program.starts_with('/') {
                self.error(
                    "plan.crisis.hook.program",
                    format!(
                        "{program:?} : donnez le chemin absolu du programme (il est lancé sans shell ni PATH)"
                    ),
                );
            }
            Hook {
                program,
                args: hook.args.clone(),
            }
        });
        CrisisSettings {
            levels,
            unit_report_interval,
            orange_at,
            hook,
        }
    }

    fn levels(&mut self, raw: &[super::raw::RawLevel]) -> Vec<CrisisLevel> {
        if raw.is_empty() {
            self.error(
                "plan.crisis.levels",
                "aucun niveau : supprimez la clé pour les trois niveaux par défaut".to_string(),
            );
        }
        let mut out: Vec<CrisisLevel> = Vec::with_capacity(raw.len());
        for (i, level) in raw.iter().enumerate() {
            let path = format!("plan.crisis.levels[{i}]");
            let number = match u8::try_from(level.level) {
                Ok(number) if number >= 1 => number,
                _ => {
                    self.error(
                        &format!("{path}.level"),
                        format!("{} : attendu un numéro de 1 à 255", level.level),
                    );
                    0
                }
            };
            if let Some(previous) = out.last()
                && number != 0
                && previous.level != 0
                && number <= previous.level
            {
                let previous = previous.level;
                self.error(
                    &format!("{path}.level"),
                    format!("{number} après {previous} : les niveaux doivent croître strictement"),
                );
            }
            out.push(CrisisLevel {
                level: number,
                name: self.text(&format!("{path}.name"), &level.name),
                description: level.description.trim().to_string(),
            });
        }
        out
    }

    fn detection(&mut self, raw: &RawDetection) -> DetectionSettings {
        let defaults = DetectionSettings::default();
        let silence_floor = self.duration_or(
            "plan.detection.silence_floor",
            raw.silence_floor.as_ref(),
            defaults.silence_floor,
        );
        let silence_cap = self.duration_or(
            "plan.detection.silence_cap",
            raw.silence_cap.as_ref(),
            defaults.silence_cap,
        );
        if !silence_cap.is_zero() && silence_cap < silence_floor {
            self.error(
                "plan.detection.silence_cap",
                format!(
                    "{} est plus court que silence_floor ({})",
                    format_duration(silence_cap),
                    format_duration(silence_floor)
                ),
            );
        }
        let learning_days = match raw.learning_days {
            None => defaults.learning_days,
            Some(days @ 1..=365) => days as u32,
            Some(days) => {
                self.error(
                    "plan.detection.learning_days",
                    format!("{days} : attendu un nombre de jours de 1 à 365"),
                );
                0
            }
        };
        let learning_silence = self.duration_or(
            "plan.detection.learning_silence",
            raw.learning_silence.as_ref(),
            defaults.learning_silence,
        );
        let rate_ratio = self.fraction(
            "plan.detection.rate_ratio",
            raw.rate_ratio,
            defaults.rate_ratio,
        );
        let mut seen: Vec<String> = Vec::new();
        let probes = raw
            .probes
            .iter()
            .enumerate()
            .map(|(i, probe)| self.probe(i, probe, &mut seen))
            .collect();
        DetectionSettings {
            silence_floor,
            silence_cap,
            learning_days,
            learning_silence,
            rate_ratio,
            probes,
        }
    }

    fn probe(&mut self, i: usize, raw: &RawProbe, seen: &mut Vec<String>) -> Probe {
        let path = format!("plan.detection.probes[{i}]");
        let name = self.text(&format!("{path}.name"), &raw.name);
        if let Some(first) = seen.iter().position(|n| *n == name && !name.is_empty()) {
            self.error(
                &format!("{path}.name"),
                format!("{name:?} est déjà le nom de plan.detection.probes[{first}]"),
            );
        }
        seen.push(name.clone());
        let target = match raw.kind.as_str() {
            "tcp" => parse_host_port(&raw.target, None)
                .map(|(host, port)| ProbeTarget::Tcp { host, port }),
            "http" => parse_http(&raw.target),
            other => {
                self.error(
                    &format!("{path}.kind"),
                    format!("{other:?} n'est pas un type de sonde (tcp ou http)"),
                );
                Ok(ProbeTarget::Tcp {
                    host: String::new(),
                    port: 0,
                })
            }
        };
        let target = target.unwrap_or_else(|reason| {
            self.error(
                &format!("{path}.target"),
                format!("{:?} : {reason}", raw.target),
            );
            ProbeTarget::Tcp {
                host: String::new(),
                port: 0,
            }
        });
        let every = self.duration_or(
            &format!("{path}.every"),
            raw.every.as_ref(),
            Duration::from_secs(60),
        );
        let timeout = self.duration_or(
            &format!("{path}.timeout"),
            raw.timeout.as_ref(),
            Duration::from_secs(5),
        );
        if !every.is_zero() && timeout >= every {
            self.error(
                &format!("{path}.timeout"),
                format!(
                    "{} : le délai doit être plus court que l'intervalle every ({})",
                    format_duration(timeout),
                    format_duration(every)
                ),
            );
        }
        let application = raw
            .application
            .as_ref()
            .map(|a| self.reference(&format!("{path}.application"), a, Target::Application));
        Probe {
            name,
            target,
            every,
            timeout,
            application,
        }
    }

    /// Applications no activity and no probe uses.
    fn unused_applications(&mut self, raw: &RawPlan) {
        for (i, application) in raw.applications.iter().enumerate() {
            let code = &application.code;
            let used = raw.activities.iter().any(|a| a.applications.contains(code))
                || raw
                    .detection
                    .probes
                    .iter()
                    .any(|p| p.application.as_ref() == Some(code));
            if !used {
                self.warn(
                    &format!("plan.applications[{i}]"),
                    format!("{code:?} n'est utilisée par aucune activité ni aucune sonde"),
                );
            }
        }
    }
}

/// `host:port`, `[v6]:port`, or `host` alone when `default_port` is given.
/// The French reason on failure.
fn parse_host_port(text: &str, default_port: Option<u16>) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or("crochet fermant « ] » manquant")?;
        if inside.parse::<Ipv6Addr>().is_err() {
            return Err(format!("{inside:?} n'est pas une adresse IPv6"));
        }
        match after {
            "" => (inside, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (inside, Some(port)),
                None => return Err(format!("{after:?} inattendu après l'adresse IPv6")),
            },
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, _)) if host.contains(':') => {
                return Err("une adresse IPv6 s'écrit entre crochets : \"[::1]:443\"".to_string());
            }
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err("hôte manquant".to_string());
    }
    let is_ipv6 = host.contains(':');
    if !is_ipv6
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(format!("{host:?} n'est pas un nom d'hôte ni une adresse"));
    }
    let port = match (port, default_port) {
        (Some(port), _) => match port.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => return Err(format!("{port:?} n'est pas un port (1 à 65535)")),
        },
        (None, Some(port)) => port,
        (None, None) => {
            return Err(
                "port manquant (attendu \"hôte:port\", par ex. \"127.0.0.1:2575\")".to_string(),
            );
        }
    };
    Ok((host.to_string(), port))
}

/// `http://host[:port][/path]`.
fn parse_http(text: &str) -> Result<ProbeTarget, String> {
    let Some(rest) = text.strip_prefix("http://") else {
        if text.starts_with("https://") {
            return Err(
                "les sondes http ne font pas de TLS : sondez le port HTTPS avec kind = \"tcp\""
                    .to_string(),
            );
        }
        return Err("attendu une adresse \"http://hôte:port/chemin\"".to_string());
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    if authority.contains('@') {
        return Err("les identifiants dans l'adresse ne sont pas acceptés".to_string());
    }
    if path.contains(char::is_whitespace) {
        return Err("le chemin contient un espace (écrivez %20)".to_string());
    }
    let (host, port) = parse_host_port(authority, Some(80))?;
    let path = match path {
        "" => "/".to_string(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_string(),
    };
    Ok(ProbeTarget::Http { host, port, path })
}
