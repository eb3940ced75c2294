//! The node's configuration file: parsed into a raw form that mirrors the
//! TOML, then validated into [`Config`], the only form the rest of the binary
//! sees. Every error names the offending key. The reference for each key is
//! `docs/configuration.md`.
//!
//! Relative paths in the file (`node.data`, `node.key_file`, `tls.*`, and
//! the default data folder) are read from the file's folder, not from the
//! working directory: `ckisa serve --config p/site.toml` started from
//! anywhere serves the same hospital.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use anyhow::{Context, bail};
use ckisa_care::settings::{IppRange, Settings};
use ckisa_crisis::plan::{Plan, PlanContext, RawPlan};
use ckisa_ingest::SourceRule;
use ckisa_store::UnitDefinition;
use ckisa_tls::TlsFiles;
use serde::Deserialize;

mod messagerie;

/// A validated node configuration.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Establishment name, shown in page headers.
    pub(crate) site_name: String,
    /// Site time zone: applied to HL7 times without an offset, and used for
    /// display.
    pub(crate) zone: jiff::tz::TimeZone,
    /// Data folder.
    pub(crate) data: PathBuf,
    /// Web UI and API address.
    pub(crate) http: SocketAddr,
    /// Key file of the node (`node.key_file`), when the file names one.
    pub(crate) key_file: Option<PathBuf>,
    /// Certificate and key of the HTTPS interface (`[tls]`).
    pub(crate) tls: Option<TlsFiles>,
    /// MLLP listeners.
    pub(crate) feeds: Vec<FeedConfig>,
    /// Units and beds.
    pub(crate) units: Vec<UnitDefinition>,
    /// The continuity plan (`[plan]`, see `docs/plan.md`); the default
    /// plan, with a warning, when the file has none.
    pub(crate) plan: Arc<Plan>,
    /// Whether the file has a `[plan]` table.
    pub(crate) has_plan: bool,
    /// The clinical capsule (`[soins]`): provisional IPP range, shift hours, the paper
    /// fallback's folder and schedule.
    pub(crate) care: Settings,
    /// The secure messaging (`[messagerie]`): support-service channels, the
    /// crisis cell, escalation delays, retention, attachments, the recall
    /// roster, the public address of answer links and the notification hook
    /// (when it has none, escalations and recalls use `[plan.crisis.hook]`).
    pub(crate) messaging: ckisa_messaging::settings::Settings,
}

/// One MLLP feed.
#[derive(Debug, Clone)]
pub(crate) struct FeedConfig {
    /// Name shown in freshness bars and metrics.
    pub(crate) name: String,
    /// Listening address.
    pub(crate) listen: SocketAddr,
    /// Peers allowed to connect; empty for loopback only.
    pub(crate) allowed_sources: Vec<SourceRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    site: RawSite,
    #[serde(default)]
    node: RawNode,
    #[serde(default)]
    feeds: Vec<RawFeed>,
    #[serde(default)]
    units: Vec<RawUnit>,
    tls: Option<RawTls>,
    plan: Option<RawPlan>,
    soins: Option<RawSoins>,
    messagerie: Option<messagerie::RawMessagerie>,
}

/// `[soins]`: the clinical capsule's degraded mode.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSoins {
    /// Range of provisional IPPs, `"99000000-99999999"`.
    ipp_provisoire: Option<String>,
    /// Assigning authority of provisional IPPs.
    ipp_autorite: Option<String>,
    /// Shift start hours, 0 to 23.
    releves: Option<Vec<i64>>,
    /// Folder of the scheduled paper fallback.
    dossier_secours: Option<PathBuf>,
    /// How often the paper fallback is written, `"1h"`.
    secours_toutes: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    dir: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    name: String,
    #[serde(default = "default_zone")]
    zone: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    data: Option<PathBuf>,
    http: Option<String>,
    key_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    name: String,
    kind: String,
    listen: String,
    #[serde(default)]
    allowed_sources: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    code: String,
    name: String,
    #[serde(default)]
    rooms: Vec<RawRoom>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoom {
    room: String,
    beds: Vec<String>,
}

fn default_zone() -> String {
    String::from("Europe/Paris")
}

/// Default data folder.
pub(crate) const DEFAULT_DATA: &str = "./ckisa-data";
/// Default web address.
pub(crate) const DEFAULT_HTTP: &str = "127.0.0.1:8080";
/// Default MLLP address.
pub(crate) const DEFAULT_MLLP: &str = "127.0.0.1:2575";

impl Config {
    /// Reads and validates a configuration file.
    pub(crate) fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "impossible de lire le fichier de configuration {}",
                path.display()
            )
        })?;
        let mut config = Config::parse(&text)
            .with_context(|| format!("configuration invalide dans {}", path.display()))?;
        let absolute = std::path::absolute(path).with_context(|| {
            format!(
                "chemin absolu du fichier de configuration {} introuvable",
                path.display()
            )
        })?;
        if let Some(folder) = absolute.parent() {
            config.resolve_paths(folder);
        }
        check_hook(&config)
            .with_context(|| format!("configuration invalide dans {}", path.display()))?;
        Ok(config)
    }

    /// Makes the relative paths of the file relative to `folder`, the
    /// file's folder.
    fn resolve_paths(&mut self, folder: &Path) {
        let resolve = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = folder.join(&*path);
            }
        };
        resolve(&mut self.data);
        if let Some(key_file) = &mut self.key_file {
            resolve(key_file);
        }
        if let Some(tls) = &mut self.tls {
            resolve(&mut tls.cert);
            resolve(&mut tls.key);
        }
        if let Some(folder) = &mut self.care.reports_dir {
            resolve(folder);
        }
    }

    /// Validates configuration text.
    pub(crate) fn parse(text: &str) -> anyhow::Result<Config> {
        let raw: RawConfig = toml::from_str(text)?;
        let zone = jiff::tz::TimeZone::get(&raw.site.zone)
            .with_context(|| format!("site.zone : fuseau horaire inconnu {:?}", raw.site.zone))?;
        let http = parse_addr(
            "node.http",
            raw.node.http.as_deref().unwrap_or(DEFAULT_HTTP),
        )?;
        let mut feeds = Vec::new();
        for (i, feed) in raw.feeds.iter().enumerate() {
            if feed.kind != "mllp" {
                bail!(
                    "feeds[{i}].kind : {:?} non pris en charge (attendu : \"mllp\")",
                    feed.kind
                );
            }
            if feeds.iter().any(|f: &FeedConfig| f.name == feed.name) {
                bail!("feeds[{i}].name : {:?} est utilisé deux fois", feed.name);
            }
            let listen = parse_addr(&format!("feeds[{i}].listen"), &feed.listen)?;
            let mut allowed_sources = Vec::new();
            for (j, text) in feed.allowed_sources.iter().enumerate() {
                let rule = SourceRule::parse(text)
                    .with_context(|| format!("feeds[{i}].allowed_sources[{j}] : {text:?}"))?;
                allowed_sources.push(rule);
            }
            feeds.push(FeedConfig {
                name: feed.name.clone(),
                listen,
                allowed_sources,
            });
        }
        let units = validate_units(&raw.units)?;
        let plan = check_plan(raw.plan.as_ref(), &units, &feeds)?;
        let care = validate_soins(raw.soins.unwrap_or_default())?;
        let messaging = messagerie::validate(
            raw.messagerie.unwrap_or_default(),
            &messagerie::Known {
                roles: &role_codes(),
                units: &units.iter().map(|u| u.code.clone()).collect::<Vec<_>>(),
            },
        )?;
        Ok(Config {
            site_name: raw.site.name,
            zone,
            data: raw.node.data.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA)),
            http,
            key_file: raw.node.key_file,
            tls: raw.tls.map(validate_tls).transpose()?,
            feeds,
            units,
            plan: Arc::new(plan),
            has_plan: raw.plan.is_some(),
            care,
            messaging,
        })
    }
}

/// The hooks (the plan's alert hook, the messaging's) must be programs
/// this node can run: a file that is missing or not executable would only
/// fail at the first alert.
fn check_hook(config: &Config) -> anyhow::Result<()> {
    if let Some(hook) = &config.plan.crisis.hook {
        check_program("plan.crisis.hook.program", &hook.program)?;
    }
    if let Some(hook) = &config.messaging.hook {
        check_program("messagerie.crochet.programme", &hook.program)?;
    }
    Ok(())
}

fn check_program(key: &str, program: &str) -> anyhow::Result<()> {
    let meta = std::fs::metadata(Path::new(program))
        .with_context(|| format!("{key} : {program} introuvable"))?;
    if !meta.is_file() {
        bail!("{key} : {program} n'est pas un fichier");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if meta.permissions().mode() & 0o111 == 0 {
            bail!("{key} : {program} n'est pas exécutable (chmod +x)");
        }
    }
    Ok(())
}

/// Checks the `[plan]` table against the units, feeds and roles; every
/// problem is listed, one per line.
fn check_plan(
    raw: Option<&RawPlan>,
    units: &[UnitDefinition],
    feeds: &[FeedConfig],
) -> anyhow::Result<Plan> {
    let context = plan_context(units, feeds);
    let empty = RawPlan::default();
    ckisa_crisis::plan::check(raw.unwrap_or(&empty), &context).map_err(|errors| {
        let mut text = format!("plan : {} erreur(s)", errors.len());
        for error in &errors {
            text.push_str("\n  - ");
            text.push_str(&error.to_string());
        }
        anyhow::anyhow!(text)
    })
}

/// What a plan may name: the configured units and feeds, ckisa's roles, and
/// `fichiers` (the feed `ckisa ingest` counts files under by default).
fn plan_context(units: &[UnitDefinition], feeds: &[FeedConfig]) -> PlanContext {
    PlanContext {
        units: units.iter().map(|u| u.code.clone()).collect(),
        feeds: feeds
            .iter()
            .map(|f| f.name.clone())
            .chain([String::from("fichiers")])
            .collect(),
        roles: role_codes(),
    }
}

/// The role codes of accounts.
fn role_codes() -> Vec<String> {
    ckisa_auth::Role::ALL
        .iter()
        .map(|r| r.code().to_owned())
        .collect()
}

/// `[tls]`: either `dir` (a folder made by `ckisa tls init`), or `cert` and
/// `key`.
fn validate_tls(raw: RawTls) -> anyhow::Result<TlsFiles> {
    match (raw.dir, raw.cert, raw.key) {
        (Some(dir), None, None) => Ok(TlsFiles {
            cert: dir.join(ckisa_tls::NODE_CERT_FILE),
            key: dir.join(ckisa_tls::NODE_KEY_FILE),
        }),
        (None, Some(cert), Some(key)) => Ok(TlsFiles { cert, key }),
        (Some(_), _, _) => {
            bail!("tls.dir : donnez soit tls.dir, soit tls.cert et tls.key, pas les deux")
        }
        (None, Some(_), None) => bail!("tls.key : manquant (tls.cert est donné)"),
        (None, None, Some(_)) => bail!("tls.cert : manquant (tls.key est donné)"),
        (None, None, None) => bail!(
            "tls : section vide ; donnez tls.dir (dossier de `ckisa tls init`), ou tls.cert et \
             tls.key"
        ),
    }
}

fn validate_units(raw: &[RawUnit]) -> anyhow::Result<Vec<UnitDefinition>> {
    let mut units: Vec<UnitDefinition> = Vec::new();
    for (i, unit) in raw.iter().enumerate() {
        if unit.code.trim().is_empty() {
            bail!("units[{i}].code : code d'unité vide");
        }
        if units.iter().any(|u| u.code == unit.code) {
            bail!("units[{i}].code : {:?} est défini deux fois", unit.code);
        }
        let mut beds = Vec::new();
        for room in &unit.rooms {
            for bed in &room.beds {
                if beds.contains(&(room.room.clone(), bed.clone())) {
                    bail!(
                        "units[{i}] ({}) : le lit {} de la chambre {} est listé deux fois",
                        unit.code,
                        bed,
                        room.room
                    );
                }
                beds.push((room.room.clone(), bed.clone()));
            }
        }
        units.push(UnitDefinition {
            code: unit.code.clone(),
            name: unit.name.clone(),
            beds,
        });
    }
    Ok(units)
}

/// Shortest and longest interval of the scheduled paper fallback.
const REPORTS_EVERY: std::ops::RangeInclusive<u64> = 60..=7 * 24 * 3600;

/// `[soins]` into the capsule's settings; defaults for what is left out.
fn validate_soins(raw: RawSoins) -> anyhow::Result<Settings> {
    let defaults = Settings::default();
    let authority = match raw.ipp_autorite {
        Some(text) => check_authority(&text)?,
        None => defaults.ipp.authority.clone(),
    };
    let ipp = match raw.ipp_provisoire {
        Some(text) => IppRange::parse(&authority, &text)
            .map_err(|reason| anyhow::anyhow!("soins.ipp_provisoire : {reason}"))?,
        None => IppRange {
            authority,
            ..defaults.ipp
        },
    };
    let shifts = match raw.releves {
        Some(hours) => check_shifts(&hours)?,
        None => defaults.shifts,
    };
    if let Some(folder) = &raw.dossier_secours
        && folder.as_os_str().is_empty()
    {
        bail!("soins.dossier_secours : chemin vide ; donnez un dossier, ou retirez la clé");
    }
    let reports_every_s = match (&raw.secours_toutes, &raw.dossier_secours) {
        (Some(text), None) => bail!(
            "soins.secours_toutes : {text:?} sans soins.dossier_secours ; donnez aussi le              dossier où écrire les rapports de secours"
        ),
        (Some(text), Some(_)) => {
            let every = ckisa_crisis::plan::parse_duration(text)
                .map_err(|error| anyhow::anyhow!("soins.secours_toutes : {error}"))?
                .as_secs();
            if !REPORTS_EVERY.contains(&every) {
                bail!(
                    "soins.secours_toutes : {text:?} hors limites (de 1 min à 7 j entre deux                      écritures)"
                );
            }
            every
        }
        (None, _) => defaults.reports_every_s,
    };
    Ok(Settings {
        ipp,
        shifts,
        reports_dir: raw.dossier_secours,
        reports_every_s,
    })
}

/// The authority goes into HL7 PID-3.4 and FHIR `identifier.system`: no delimiter.
fn check_authority(text: &str) -> anyhow::Result<String> {
    let text = text.trim();
    if text.is_empty() {
        bail!("soins.ipp_autorite : vide ; donnez le nom de l'autorité des IPP provisoires");
    }
    if let Some(bad) = text
        .chars()
        .find(|c| matches!(c, '|' | '^' | '~' | '\\' | '&') || c.is_control())
    {
        bail!(
            "soins.ipp_autorite : {text:?} contient {bad:?}, un séparateur HL7 ; lettres,              chiffres, '-', '.' et '_' conviennent"
        );
    }
    Ok(text.to_owned())
}

/// Shift hours: 0 to 23, each once, in any order (kept ascending).
fn check_shifts(hours: &[i64]) -> anyhow::Result<Vec<u8>> {
    if hours.is_empty() {
        bail!(
            "soins.releves : liste vide ; donnez les heures de début des relèves, ex. [7, 14, 21]"
        );
    }
    let mut shifts = Vec::with_capacity(hours.len());
    for (index, &hour) in hours.iter().enumerate() {
        let hour = u8::try_from(hour)
            .ok()
            .filter(|hour| *hour <= 23)
            .ok_or_else(|| {
                anyhow::anyhow!("soins.releves[{index}] : {hour} n'est pas une heure (0 à 23)")
            })?;
        if shifts.contains(&hour) {
            bail!("soins.releves[{index}] : l'heure {hour} est donnée deux fois");
        }
        shifts.push(hour);
    }
    shifts.sort_unstable();
    Ok(shifts)
}

/// Parses a socket address, naming the key on error.
pub(crate) fn parse_addr(key: &str, text: &str) -> anyhow::Result<SocketAddr> {
    text.parse()
        .with_context(|| format!("{key} : {text:?} n'est pas une adresse comme 127.0.0.1:8080"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
[site]
name = "CH test"

[[feeds]]
name = "sih-adt"
kind = "mllp"
listen = "127.0.0.1:2575"

[[units]]
code = "CARDIO"
name = "Cardiologie"
rooms = [{ room = "101", beds = ["1", "2"] }, { room = "102", beds = ["1"] }]
"#;

    #[test]
    fn a_sample_config_validates() {
        let config = Config::parse(SAMPLE).unwrap();
        assert_eq!(config.zone.iana_name(), Some("Europe/Paris"));
        assert_eq!(config.http.to_string(), DEFAULT_HTTP);
        assert_eq!(config.feeds[0].listen.port(), 2575);
        assert_eq!(config.units[0].beds.len(), 3);
    }

    #[test]
    fn errors_name_the_key() {
        let bad_zone = SAMPLE.replace(
            "name = \"CH test\"",
            "name = \"x\"\nzone = \"Mars/Olympus\"",
        );
        let err = format!("{:#}", Config::parse(&bad_zone).unwrap_err());
        assert!(err.contains("site.zone"), "{err}");
        let bad_addr = SAMPLE.replace("127.0.0.1:2575", "localhost");
        let err = format!("{:#}", Config::parse(&bad_addr).unwrap_err());
        assert!(err.contains("feeds[0].listen"), "{err}");
        let unknown = format!("{SAMPLE}\n[extra]\nx = 1\n");
        let err = format!("{:#}", Config::parse(&unknown).unwrap_err());
        assert!(err.contains("extra"), "{err}");
        let bad_source = SAMPLE.replace(
            "listen = \"127.0.0.1:2575\"",
            "listen = \"127.0.0.1:2575\"\nallowed_sources = [\"10.1.2.3\", \"10.20.0.0/99\"]",
        );
        let err = format!("{:#}", Config::parse(&bad_source).unwrap_err());
        assert!(err.contains("feeds[0].allowed_sources[1]"), "{err}");
        let half_tls = format!("{SAMPLE}\n[tls]\ncert = \"node.pem\"\n");
        let err = format!("{:#}", Config::parse(&half_tls).unwrap_err());
        assert!(err.contains("tls.key"), "{err}");
    }

    #[test]
    fn relative_paths_are_read_from_the_files_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.toml");
        let text = format!(
            "{SAMPLE}\n[node]\ndata = \"pdata\"\nkey_file = \"../cle/ckisa.key\"\n\n\
             [tls]\ndir = \"tls\"\n\n[soins]\ndossier_secours = \"secours\"\n"
        );
        std::fs::write(&path, text).unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.data, dir.path().join("pdata"));
        assert_eq!(config.care.reports_dir, Some(dir.path().join("secours")));
        assert_eq!(config.key_file, Some(dir.path().join("../cle/ckisa.key")));
        let tls = config.tls.unwrap();
        assert_eq!(tls.cert, dir.path().join("tls/node.pem"));
        assert_eq!(tls.key, dir.path().join("tls/node-key.pem"));

        // Absolute paths stay; the default folder sits next to the file.
        std::fs::write(&path, SAMPLE).unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.data, dir.path().join(DEFAULT_DATA));
        let absolute = format!("{SAMPLE}\n[node]\ndata = \"/srv/ckisa\"\n");
        std::fs::write(&path, absolute).unwrap();
        assert_eq!(
            Config::load(&path).unwrap().data,
            PathBuf::from("/srv/ckisa")
        );
    }

    #[test]
    fn the_soins_table_gives_the_capsule_settings() {
        assert_eq!(Config::parse(SAMPLE).unwrap().care, Settings::default());
        let text = format!(
            "{SAMPLE}\n[soins]\nipp_provisoire = \"88000000-88000999\"\n\
             ipp_autorite = \"CH-TEST\"\nreleves = [21, 7, 13]\n\
             dossier_secours = \"/srv/secours\"\nsecours_toutes = \"30m\"\n"
        );
        let care = Config::parse(&text).unwrap().care;
        assert_eq!(care.ipp.authority, "CH-TEST");
        assert_eq!((care.ipp.first, care.ipp.last), (88_000_000, 88_000_999));
        assert_eq!(care.shifts, [7, 13, 21]);
        assert_eq!(care.reports_dir, Some(PathBuf::from("/srv/secours")));
        assert_eq!(care.reports_every_s, 1800);

        // The authority alone keeps the default range under that authority.
        let text = format!("{SAMPLE}\n[soins]\nipp_autorite = \"CH-TEST\"\n");
        let care = Config::parse(&text).unwrap().care;
        assert_eq!(care.ipp.authority, "CH-TEST");
        assert_eq!(care.ipp.first, Settings::default().ipp.first);
    }

    #[test]
    fn bad_soins_values_are_refused_naming_their_key() {
        for (soins, key, reason) in [
            ("ipp_provisoire = \"99-1\"", "soins.ipp_provisoire", "vide"),
            ("ipp_provisoire = \"abc\"", "soins.ipp_provisoire", "plage"),
            ("ipp_autorite = \" \"", "soins.ipp_autorite", "vide"),
            (
                "ipp_autorite = \"CH|X\"",
                "soins.ipp_autorite",
                "séparateur HL7",
            ),
            ("releves = []", "soins.releves", "liste vide"),
            ("releves = [7, 24]", "soins.releves[1]", "0 à 23"),
            ("releves = [-1]", "soins.releves[0]", "0 à 23"),
            ("releves = [7, 14, 7]", "soins.releves[2]", "deux fois"),
            ("dossier_secours = \"\"", "soins.dossier_secours", "vide"),
            (
                "secours_toutes = \"1h\"",
                "soins.secours_toutes",
                "sans soins.dossier_secours",
            ),
            (
                "dossier_secours = \"/x\"\nsecours_toutes = \"une heure\"",
                "soins.secours_toutes",
                "",
            ),
            (
                "dossier_secours = \"/x\"\nsecours_toutes = \"30s\"",
                "soins.secours_toutes",
                "hors limites",
            ),
            ("papier = true", "papier", ""),
        ] {
            let text = format!("{SAMPLE}\n[soins]\n{soins}\n");
            let err = format!("{:#}", Config::parse(&text).unwrap_err());
            assert!(err.contains(key) && err.contains(reason), "{soins}: {err}");
        }
    }

    #[test]
    fn the_messagerie_table_gives_the_messaging_settings() {
        use ckisa_messaging::settings::{Delays, MediaType, Settings as Messaging};

        assert_eq!(
            Config::parse(SAMPLE).unwrap().messaging,
            Messaging::default()
        );
        let text = format!(
            r#"{SAMPLE}
[messagerie]
cellule_roles = ["directeur-crise"]
cellule_membres = ["dupont", "martin"]
conservation_jours = 730
pieces_jointes_max_ko = 20480
pieces_jointes_types = ["application/pdf", "image/jpeg"]
adresse_publique = "https://crise.ch-test.fr/"

[[messagerie.canaux_services]]
code = "pharmacie"
nom = "Pharmacie centrale"
roles = ["pharmacien"]
membres = ["preparateur1"]

[[messagerie.canaux_services]]
code = "brancardage"
nom = "Brancardage"

[messagerie.escalade]
urgent = {{ cadre_apres_min = 5 }}
information = {{ cadre_apres_min = 120, crochet_apres_min = 240 }}

[messagerie.crochet]
programme = "/usr/local/bin/envoi-sms"
arguments = ["--site", "test"]
delai_s = 30

[[messagerie.rappel]]
id = "M0001"
nom = "Claire Dubois"
role = "infirmier"
unite = "CARDIO"
telephone = "06 39 98 01 01"

[[messagerie.rappel]]
id = "M0002"
nom = "Paul Bernard"
role = "pharmacien"
telephone = "+33 6 39 98 01 02"
"#
        );
        let messaging = Config::parse(&text).unwrap().messaging;
        assert_eq!(messaging.cell_roles, ["directeur-crise"]);
        assert_eq!(messaging.cell_members, ["dupont", "martin"]);
        assert_eq!(messaging.retention_days, 730);
        assert_eq!(messaging.attachment_max_bytes, 20 * 1024 * 1024);
        assert_eq!(
            messaging.attachment_types,
            [MediaType::Pdf, MediaType::Jpeg]
        );
        assert_eq!(
            messaging.public_url.as_deref(),
            Some("https://crise.ch-test.fr")
        );
        let codes: Vec<&str> = messaging.services.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["pharmacie", "brancardage"]);
        assert_eq!(messaging.services[0].name, "Pharmacie centrale");
        assert_eq!(messaging.services[0].members, ["preparateur1"]);
        assert!(messaging.services[1].roles.is_empty());
        // A priority's table replaces its defaults; the others keep theirs.
        let urgent = Delays {
            manager_after_min: Some(5),
            hook_after_min: None,
        };
        assert_eq!(messaging.escalation.urgent, urgent);
        assert_eq!(
            messaging.escalation.important,
            Messaging::default().escalation.important
        );
        assert_eq!(messaging.escalation.information.hook_after_min, Some(240));
        let hook = messaging.hook.unwrap();
        assert_eq!(hook.program, "/usr/local/bin/envoi-sms");
        assert_eq!(hook.args, ["--site", "test"]);
        assert_eq!(hook.timeout_s, 30);
        assert_eq!(messaging.roster.len(), 2);
        assert_eq!(messaging.roster[0].unit, "CARDIO");
        assert_eq!(messaging.roster[1].unit, "");
        assert_eq!(messaging.roster[1].phone, "+33 6 39 98 01 02");

        // No service channel at all, and attachments switched off.
        let text =
            format!("{SAMPLE}\n[messagerie]\ncanaux_services = []\npieces_jointes_types = []\n");
        let messaging = Config::parse(&text).unwrap().messaging;
        assert!(messaging.services.is_empty() && messaging.attachment_types.is_empty());
    }

    #[test]
    fn bad_messagerie_values_are_refused_naming_their_key() {
        let person = |id: &str, role: &str, unit: &str, phone: &str| {
            format!(
                "[[messagerie.rappel]]\nid = \"{id}\"\nnom = \"X\"\nrole = \"{role}\"\n\
                 unite = \"{unit}\"\ntelephone = \"{phone}\"\n"
            )
        };
        let ok = person("A1", "infirmier", "CARDIO", "06 39 98 00 01");
        let cases = [
            (
                format!(
                    "{ok}{}{}{}",
                    person("A2", "medecin", "", "0639980002"),
                    person("A3", "cadre", "CARDIO", "0639980003"),
                    person("B", "chef", "", "0639980000")
                ),
                "messagerie.rappel[3].role",
                "\"chef\" n'est pas un rôle",
            ),
            (
                format!("{ok}{ok}"),
                "messagerie.rappel[1].id",
                "déjà celui de messagerie.rappel[0]",
            ),
            (
                person("A1", "infirmier", "REA", "0639980000"),
                "messagerie.rappel[0].unite",
                "\"REA\" n'est pas une unité",
            ),
            (
                person("A1", "infirmier", "", "06 39 98 xx 01"),
                "messagerie.rappel[0].telephone",
                "'x'",
            ),
            (
                person(" ", "infirmier", "", "0639980000"),
                "messagerie.rappel[0].id",
                "vide",
            ),
            (
                "cellule_roles = [\"medecin\", \"medecin\"]".to_owned(),
                "messagerie.cellule_roles[1]",
                "deux fois",
            ),
            (
                "cellule_roles = []".to_owned(),
                "messagerie.cellule_roles",
                "personne ne pourrait le lire",
            ),
            (
                "cellule_membres = [\"jean dupont\"]".to_owned(),
                "messagerie.cellule_membres[0]",
                "identifiant de compte",
            ),
            (
                "conservation_jours = 0".to_owned(),
                "messagerie.conservation_jours",
                "de 1 à 3650 jours",
            ),
            (
                "pieces_jointes_max_ko = 20481".to_owned(),
                "messagerie.pieces_jointes_max_ko",
                "de 1 à 20480 Ko",
            ),
            (
                "pieces_jointes_types = [\"image/png\", \"image/svg+xml\"]".to_owned(),
                "messagerie.pieces_jointes_types[1]",
                "script",
            ),
            (
                "pieces_jointes_types = [\"image/gif\"]".to_owned(),
                "messagerie.pieces_jointes_types[0]",
                "image/jpeg, image/png, application/pdf",
            ),
            (
                "pieces_jointes_types = [\"image/png\", \"image/png\"]".to_owned(),
                "messagerie.pieces_jointes_types[1]",
                "deux fois",
            ),
            (
                "adresse_publique = \"crise.ch.fr\"".to_owned(),
                "messagerie.adresse_publique",
                "http://",
            ),
            (
                "escalade = { urgent = { cadre_apres_min = 20, crochet_apres_min = 10 } }"
                    .to_owned(),
                "messagerie.escalade.urgent.crochet_apres_min",
                "après cadre_apres_min",
            ),
            (
                "escalade = { important = { cadre_apres_min = 0 } }".to_owned(),
                "messagerie.escalade.important.cadre_apres_min",
                "hors limites",
            ),
            (
                "escalade = { urgent = { manager = 3 } }".to_owned(),
                "manager",
                "",
            ),
            (
                "crochet = { programme = \"envoi-sms\" }".to_owned(),
                "messagerie.crochet.programme",
                "chemin absolu",
            ),
            (
                "crochet = { programme = \"/bin/sms\", delai_s = 900 }".to_owned(),
                "messagerie.crochet.delai_s",
                "hors limites",
            ),
            (
                "[[messagerie.canaux_services]]\ncode = \"Pharma\"\nnom = \"P\"".to_owned(),
                "messagerie.canaux_services[0].code",
                "'P'",
            ),
            (
                "[[messagerie.canaux_services]]\ncode = \"p\"\nnom = \"P\"\n\
                 [[messagerie.canaux_services]]\ncode = \"p\"\nnom = \"Q\""
                    .to_owned(),
                "messagerie.canaux_services[1].code",
                "deux fois",
            ),
            (
                "[[messagerie.canaux_services]]\ncode = \"p\"\nnom = \"P\"\n\
                 roles = [\"pharmacie\"]"
                    .to_owned(),
                "messagerie.canaux_services[0].roles[0]",
                "n'est pas un rôle",
            ),
            ("sms = true".to_owned(), "sms", ""),
        ];
        for (messagerie, key, reason) in cases {
            let text = format!("{SAMPLE}\n[messagerie]\n{messagerie}\n");
            let err = format!("{:#}", Config::parse(&text).unwrap_err());
            assert!(
                err.contains(key) && err.contains(reason),
                "{messagerie}: {err}"
            );
        }
    }

    #[test]
    fn the_messaging_hook_must_be_a_program_of_this_machine() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.toml");
        let missing = dir.path().join("absent-sms");
        let text = format!(
            "{SAMPLE}\n[messagerie]\ncrochet = {{ programme = \"{}\" }}\n",
            missing.display()
        );
        std::fs::write(&path, text).unwrap();
        let err = format!("{:#}", Config::load(&path).unwrap_err());
        assert!(
            err.contains("messagerie.crochet.programme") && err.contains("introuvable"),
            "{err}"
        );
    }

    #[test]
    fn tls_sources_and_key_file_are_read() {
        let text = SAMPLE
            .replace(
                "listen = \"127.0.0.1:2575\"",
                "listen = \"0.0.0.0:2575\"\nallowed_sources = [\"10.1.2.3\", \"10.20.0.0/16\"]",
            )
            .replace(
                "[[feeds]]",
                "[node]\nkey_file = \"/media/cle/ckisa.key\"\n\n[tls]\ndir = \"/etc/ckisa/tls\"\n\n[[feeds]]",
            );
        let config = Config::parse(&text).unwrap();
        assert_eq!(config.feeds[0].allowed_sources.len(), 2);
        assert_eq!(config.key_file, Some(PathBuf::from("/media/cle/ckisa.key")));
        let tls = config.tls.unwrap();
        assert_eq!(tls.cert, PathBuf::from("/etc/ckisa/tls/node.pem"));
        assert_eq!(tls.key, PathBuf::from("/etc/ckisa/tls/node-key.pem"));
        assert!(
            Config::parse(SAMPLE).unwrap().feeds[0]
                .allowed_sources
                .is_empty()
        );
    }
}

#[cfg(test)]
mod demo_config_tests {
    use super::Config;

    #[test]
    fn the_generated_demo_configuration_validates() {
        let now = jiff::civil::date(2026, 12, 4)
            .at(10, 0, 0, 0)
            .in_tz("Europe/Paris")
            .unwrap();
        let establishment = ckisa_demo::generate(7, &ckisa_demo::DemoOptions::at(now));
        let config = Config::parse(&establishment.config_toml).unwrap();
        assert_eq!(config.units.len(), 20);
        assert_eq!(
            config.units.iter().map(|u| u.beds.len()).sum::<usize>(),
            600
        );
        assert_eq!(config.units, establishment.units);
        assert_eq!(config.feeds.len(), 1);
        let roster = &config.messaging.roster;
        assert!(roster.len() >= 40, "{} people", roster.len());
        for role in ["infirmier", "medecin", "cadre", "pharmacien", "laboratoire"] {
            assert!(
                roster.iter().any(|p| p.role == role),
                "no {role} in the roster"
            );
        }
        let units: std::collections::BTreeSet<&str> =
            roster.iter().map(|p| p.unit.as_str()).collect();
        assert!(units.len() >= 6, "{units:?}");
    }
}
