//! `ckisa demo`: a whole node on a laptop in one command: a generated
//! hospital, a simulated HIS feeding it over MLLP on loopback, and the web UI.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context;
use ckisa_ingest::files::{self, IngestContext, Input};
use ckisa_ingest::pipeline::EventFactory;
use ckisa_store::Store;
use ckisa_store_sqlite::SqliteStore;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cmd::demo_accounts;
use crate::config::{Config, DEFAULT_DATA, DEFAULT_HTTP, DEFAULT_MLLP, FeedConfig, parse_addr};
use crate::keys::{self, KEY_RULES, KeyArgs, Missing};
use crate::node::{Node, Site, bind_web, check_web_exposure, shutdown_on_signal};
use crate::out;

/// Name of the generated configuration file in the data folder.
pub(crate) const DEMO_CONFIG: &str = "ckisa-demo.toml";

/// Démarrer un nœud de démonstration : un hôpital généré d'environ 600 lits
/// en 20 unités, alimenté en direct par un SIH simulé (HL7 v2 sur MLLP), avec
/// l'interface web sur 127.0.0.1.
///
/// Le premier démarrage génère l'hôpital dans le dossier de données, crée la
/// clé du nœud à côté du dossier (<dossier>.key) si aucune n'est donnée, et
/// un compte par rôle avec un mot de passe de démonstration fixe, affiché à
/// chaque démarrage. Les suivants gardent les données et reprennent le flux.
/// Avec --tls, l'interface est servie en HTTPS : certificat du nœud dans
/// <dossier>/tls, autorité de certification locale à côté du dossier, dans
/// <dossier>.ac (jamais dans le dossier de données). Arrêt : Ctrl-C.
#[derive(Debug, clap::Args)]
#[command(after_long_help = KEY_RULES)]
pub(crate) struct Cmd {
    /// Dossier de données (créé s'il n'existe pas).
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
    /// Adresse de l'interface web ; le port 0 prend un port libre.
    #[arg(long, default_value = DEFAULT_HTTP)]
    http: String,
    /// Adresse d'écoute MLLP ; le port 0 prend un port libre.
    #[arg(long, default_value = DEFAULT_MLLP)]
    mllp: String,
    /// Graine de l'hôpital généré.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Messages par seconde envoyés par le SIH simulé (0 : pas de flux).
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// Servir l'interface en HTTPS, avec un certificat (dans <dossier>/tls)
    /// émis par une autorité locale créée à côté du dossier, dans
    /// <dossier>.ac (à faire approuver par le navigateur).
    #[arg(long)]
    tls: bool,
    /// Silence du flux au bout duquel la veille lève une alerte tant
    /// qu'elle apprend le rythme des flux (« 30s », « 2m » ; par défaut
    /// celui du plan de démonstration, 2 minutes) : pour montrer la
    /// détection d'une panne sans attendre.
    #[arg(long, value_name = "DURÉE")]
    alerte_silence: Option<String>,
    #[command(flatten)]
    key: KeyArgs,
}

impl Cmd {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let http = parse_addr("--http", &self.http)?;
        let mllp = parse_addr("--mllp", &self.mllp)?;
        check_web_exposure("--http", http, self.tls, "Ajoutez --tls")?;
        if !http.ip().is_loopback() {
            out::warn(&format!(
                "{http} est joignable depuis le réseau, et les mots de passe des comptes de \
                 démonstration sont publics : n'y chargez aucune donnée réelle"
            ));
        }
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(self.serve(http, mllp))?;
        Ok(ExitCode::SUCCESS)
    }

    async fn serve(
        self,
        http: std::net::SocketAddr,
        mllp: std::net::SocketAddr,
    ) -> anyhow::Result<()> {
        let _lock = crate::node::lock_data_folder(&self.data)?;
        let establishment = generate(&self.data, self.seed)?;
        let config_path = self.data.join(DEMO_CONFIG);
        if !config_path.exists() {
            crate::node::write_private(&config_path, establishment.config_toml.as_bytes())?;
        }
        let mut config = Config::load(&config_path)?;
        if let Some(text) = &self.alerte_silence {
            let silence = ckisa_crisis::plan::parse_duration(text)
                .map_err(|error| anyhow::anyhow!("--alerte-silence {text:?} : {error}"))?;
            let plan = Arc::make_mut(&mut config.plan);
            plan.detection.learning_silence = silence;
            plan.detection.silence_floor = plan.detection.silence_floor.min(silence);
        }
        out::line(&format!("Site : {}", config.site_name));
        simulate_sms_gateway(&mut config.messaging, &self.data, http, self.tls)?;
        let key = demo_key(&self.key, &self.data)?;
        out::line(&format!("Clé : {}", key.describe()));
        let node = Node::open(&self.data, config.zone.clone(), &key)?;
        let directory = node.guard.directory.clone();
        let units = establishment.units.clone();
        tokio::task::spawn_blocking(move || demo_accounts::ensure(&directory, &units)).await??;
        demo_accounts::print(&establishment.units);
        let tls = if self.tls {
            Some(demo_tls(&self.data, &config.site_name)?)
        } else {
            None
        };
        let shutdown = shutdown_on_signal();

        // The first start loads the generated hospital through the same
        // ingestion path as real files; later starts keep what is stored.
        let store = node.store.clone();
        let fresh = tokio::task::spawn_blocking(move || store.status())
            .await??
            .events
            == 0;
        if fresh {
            load_initial(&node, &config, &establishment).await?;
        } else {
            out::line("Données existantes conservées.");
        }

        // The demo feed keeps the default: loopback sources only.
        let feeds = [FeedConfig {
            name: String::from("sih-demo"),
            listen: mllp,
            allowed_sources: Vec::new(),
        }];
        // The web port first: if it is taken, nothing has been announced yet.
        let listener = bind_web(http, tls.as_ref()).await?;
        let bound = node.start_feeds(&feeds, &shutdown).await?;
        let mut simulated_his: Option<Arc<dyn ckisa_web::SimulatedHis>> = None;
        if self.rate > 0.0 {
            let his = Arc::new(HisSwitch {
                target: bound[0],
                establishment: Arc::new(establishment),
                store: node.store.clone(),
                factory: node.factory.clone(),
                seed: self.seed,
                pace: ckisa_demo::Pace::per_second(self.rate),
                runtime: tokio::runtime::Handle::current(),
                node_shutdown: shutdown.clone(),
                switching: Mutex::new(()),
                current: Mutex::new(None),
            });
            let starting = his.clone();
            tokio::task::spawn_blocking(move || starting.start()).await??;
            out::line(&format!(
                "SIH simulé : {} message(s)/s vers {} (arrêt et relance : page Statut, \
                 comptes securite-si et administrateur)",
                self.rate, bound[0]
            ));
            simulated_his = Some(his);
        }
        out::line("Ctrl-C pour arrêter.");
        let site = Site {
            name: &config.site_name,
            feeds: &[String::from("sih-demo")],
            plan: &config.plan,
            simulated_his,
            care: &config.care,
            messaging: &config.messaging,
        };
        node.serve_web(listener, site, shutdown).await
    }
}

/// The demo's SMS gateway, when the config names none: a script in the data
/// folder that appends each notice (escalation, staff recall: phone, text,
/// answer link and reply code) to `sms-simules.jsonl` beside it, so that a
/// recall can be answered from the links it wrote. Answer links point at
/// the demo's own address.
fn simulate_sms_gateway(
    messaging: &mut ckisa_messaging::settings::Settings,
    data: &std::path::Path,
    http: std::net::SocketAddr,
    tls: bool,
) -> anyhow::Result<()> {
    if messaging.public_url.is_none() {
        let scheme = if tls { "https" } else { "http" };
        messaging.public_url = Some(format!("{scheme}://{http}"));
    }
    if messaging.hook.is_some() {
        return Ok(());
    }
    let data = std::fs::canonicalize(data)
        .with_context(|| format!("dossier {} illisible", data.display()))?;
    let script = data.join("passerelle-sms-simulee.sh");
    let log = data.join("sms-simules.jsonl");
    if !script.exists() {
        let text = "#!/bin/sh\n# Passerelle SMS simulée de la démo : chaque avis (escalade, rappel) est\n\
                    # ajouté, en une ligne JSON, à sms-simules.jsonl à côté de ce script.\n\
                    cat >> \"$(dirname \"$0\")/sms-simules.jsonl\"\n";
        crate::node::write_private(&script, text.as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("impossible de rendre {} exécutable", script.display()))?;
        }
    }
    messaging.hook = Some(ckisa_messaging::settings::Hook {
        program: script.display().to_string(),
        args: Vec::new(),
        timeout_s: ckisa_messaging::settings::DEFAULT_HOOK_TIMEOUT_S,
    });
    out::line(&format!(
        "SMS simulés (rappel, escalades) : {}",
        log.display()
    ));
    Ok(())
}

/// Issues the demo's HTTPS certificate, for localhost, the loopback
/// addresses and the machine's name. The node files go in `<data>/tls`; the
/// local CA (created at the first `--tls` start, reused after) lives in
/// `<data>.ac`, next to the data folder like `<data>.key`, never inside it:
/// a copy of the data folder must not carry the CA key. A CA that a previous
/// version left in `<data>/tls` is moved there first, with a notice.
fn demo_tls(data: &Path, site_name: &str) -> anyhow::Result<ckisa_tls::TlsFiles> {
    let dir = data.join("tls");
    let ca_dir = ckisa_tls::sibling_dir(data, ".ac")?;
    let moved = ckisa_tls::move_ca_out_of_node_dir(&dir, &ca_dir)
        .context("impossible de sortir l'autorité de démonstration du dossier de données")?;
    if let Some(moved) = moved {
        out::warn(&format!(
            "la clé de l'autorité de démonstration était dans le dossier de données ({}) : \
             déplacée vers {}. Les copies du dossier de données faites avant ce démarrage la \
             contiennent encore : supprimez-les, ou supprimez {} pour créer une nouvelle \
             autorité (à faire approuver de nouveau par le navigateur)",
            moved.old_key.display(),
            moved.ca_key.display(),
            ca_dir.display()
        ));
    }
    let mut hostnames: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .map(String::from)
        .collect();
    let machine = machine_hostname().filter(|name| !hostnames.contains(name));
    hostnames.extend(machine.clone());
    let mut init = ckisa_tls::CaInit::new(dir, ca_dir, site_name.to_owned(), hostnames);
    let created = match ckisa_tls::init_local_ca(&init) {
        // The machine was renamed since the CA was made: its constraints do
        // not cover the new name, the loopback names still work.
        Err(ckisa_tls::TlsError::NameOutsideCaConstraints { name, .. })
            if machine.as_ref() == Some(&name) =>
        {
            out::warn(&format!(
                "le nom de la machine « {name} » n'est pas permis par l'autorité de \
                 démonstration (créée sous un autre nom) : certificat émis pour localhost \
                 seulement ; supprimez {} pour en créer une nouvelle",
                init.ca_dir.display()
            ));
            init.hostnames.retain(|own| *own != name);
            ckisa_tls::init_local_ca(&init)
        }
        other => other,
    }
    .context("impossible de préparer le certificat HTTPS de démonstration")?;
    out::line(&format!(
        "HTTPS : autorité locale {} ({}), empreinte SHA-256 {}",
        created.ca_cert.display(),
        if created.ca_reused {
            "reprise"
        } else {
            "créée"
        },
        created.ca_fingerprint_sha256
    ));
    out::line(&format!(
        "  clé privée de l'autorité : {} (hors du dossier de données ; en production, gardez-la \
         hors ligne : voir ckisa tls init)",
        created.ca_key.display()
    ));
    out::line(&format!(
        "  certificat du nœud : {} (copie de l'autorité : {})",
        created.node_cert.display(),
        created.node_ca_cert.display()
    ));
    out::line(
        "  Faites approuver ce certificat d'autorité par le navigateur (vérifiez l'empreinte).",
    );
    Ok(ckisa_tls::TlsFiles {
        cert: created.node_cert,
        key: created.node_key,
    })
}

/// The machine's name, if it is a plain DNS label sequence.
fn machine_hostname() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .map(|text| text.trim().to_lowercase())
        .filter(|name| {
            !name.is_empty()
                && name.len() <= 253
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                && !name.starts_with(['-', '.'])
        })
}

/// Time a stopped HIS has to close its connection before its task is
/// dropped.
const HIS_STOP_GRACE: Duration = Duration::from_secs(5);

/// The simulated HIS of the demo, which IT security and administrators stop
/// and start again from the status page (`ckisa_web::SimulatedHis`), to
/// show the outage watch at work. It owns the running HIS task and its stop
/// signal; the node's shutdown stops it too.
struct HisSwitch {
    /// The demo feed's MLLP address.
    target: SocketAddr,
    establishment: Arc<ckisa_demo::Establishment>,
    store: Arc<SqliteStore>,
    factory: Arc<EventFactory>,
    /// The establishment's seed, mixed with the start time for each stream.
    seed: u64,
    pace: ckisa_demo::Pace,
    runtime: tokio::runtime::Handle,
    node_shutdown: watch::Receiver<bool>,
    /// One switch at a time (held while the store is read or the old task
    /// is waited for; `current` is only locked briefly).
    switching: Mutex<()>,
    current: Mutex<Option<RunningHis>>,
}

/// A HIS task and the sender of its stop signal.
#[derive(Debug)]
struct RunningHis {
    stop: Arc<watch::Sender<bool>>,
    task: JoinHandle<()>,
}

impl HisSwitch {
    /// Starts a HIS that resumes from the store's occupancy, exactly as at
    /// the demo's start. Blocks on the store: call it on the blocking pool.
    fn start(&self) -> anyhow::Result<()> {
        // A new stream seed per start, so that a restarted HIS sends new
        // control ids instead of replaying the previous stream's.
        let stream_seed = self.seed ^ self.factory.now_ms() as u64;
        let occupied = occupancy(self.store.as_ref())?;
        // The feed resumes from who the store says is in which bed, so a
        // restarted HIS never admits into an occupied bed or moves a patient
        // who has left.
        let state = ckisa_demo::HisState::resume(&self.establishment, stream_seed, &occupied);
        let (stop, stopped) = watch::channel(false);
        let stop = Arc::new(stop);
        let his = ckisa_demo::run_simulated_his(self.target, state, self.pace, stopped);
        let task = self.runtime.spawn(async move {
            if let Err(err) = his.await {
                tracing::warn!(error = %err, "the simulated HIS stopped");
            }
        });
        // The node's shutdown stops this HIS; the relay ends with the HIS
        // (its receiver dropped).
        let relay = stop.clone();
        let mut node_shutdown = self.node_shutdown.clone();
        self.runtime.spawn(async move {
            tokio::select! {
                _ = node_shutdown.wait_for(|stop| *stop) => {
                    let _ = relay.send(true);
                }
                () = relay.closed() => {}
            }
        });
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(RunningHis { stop, task });
        Ok(())
    }

    /// Stops the HIS and waits for its task to end (its MLLP connection
    /// closed), at most [`HIS_STOP_GRACE`]; a task that outlives it is
    /// aborted. Blocks: call it on the blocking pool.
    fn stop(&self) {
        let running = self
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(RunningHis { stop, task }) = running else {
            return;
        };
        let _ = stop.send(true);
        let abort = task.abort_handle();
        let ended = self
            .runtime
            .block_on(async { tokio::time::timeout(HIS_STOP_GRACE, task).await });
        if ended.is_err() {
            tracing::warn!("the simulated HIS did not stop in time: its task is aborted");
            abort.abort();
        }
    }
}

impl std::fmt::Debug for HisSwitch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HisSwitch")
            .field("target", &self.target)
            .field("pace", &self.pace)
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl ckisa_web::SimulatedHis for HisSwitch {
    fn running(&self) -> bool {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|running| !running.task.is_finished())
    }

    fn set_running(&self, on: bool) -> Result<(), String> {
        let _switching = self
            .switching
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if on == self.running() {
            return Ok(());
        }
        if !on {
            self.stop();
            tracing::info!("simulated HIS stopped from the web interface");
            out::line("SIH simulé : arrêté depuis l'interface web (flux sih-demo interrompu).");
            return Ok(());
        }
        if *self.node_shutdown.borrow() {
            return Err("le nœud s'arrête : le SIH simulé ne peut plus être relancé".to_owned());
        }
        // A HIS whose task ended by itself leaves its handle behind.
        self.stop();
        if let Err(error) = self.start() {
            tracing::error!(error = format!("{error:#}"), "simulated HIS restart failed");
            return Err(format!("relance du SIH simulé impossible : {error:#}"));
        }
        tracing::info!("simulated HIS restarted from the web interface");
        out::line("SIH simulé : relancé depuis l'interface web (flux sih-demo repris).");
        Ok(())
    }
}

/// Every occupied bed of the store, as the simulated HIS resumes from it.
fn occupancy(store: &dyn Store) -> anyhow::Result<Vec<ckisa_demo::Occupancy>> {
    let mut occupied = Vec::new();
    for unit in store.units()? {
        let Some(board) = store.unit_board(&unit.code)? else {
            continue;
        };
        for row in &board.beds {
            let (Some(room), Some(bed)) = (&row.room, &row.bed) else {
                continue;
            };
            for occupant in &row.occupants {
                let Some(ipp) = occupant.ipp.clone() else {
                    continue;
                };
                occupied.push(ckisa_demo::Occupancy {
                    unit: unit.code.clone(),
                    room: room.clone(),
                    bed: bed.clone(),
                    ipp,
                    visit: occupant
                        .encounter
                        .rsplit_once('|')
                        .map(|(_, visit)| visit.to_owned()),
                    family: occupant.family.clone(),
                    given: occupant.given.clone(),
                    sex: occupant.sex.and_then(|sex| match sex {
                        ckisa_domain::Sex::Female => Some('F'),
                        ckisa_domain::Sex::Male => Some('M'),
                        _ => None,
                    }),
                    birth_date: occupant.birth_date.map(|d| (d.year, d.month, d.day)),
                    admitted: occupant.admitted_at.filter(|m| m.has_time()).map(|m| {
                        format!(
                            "{:04}{:02}{:02}{:02}{:02}",
                            m.year, m.month, m.day, m.hour, m.minute
                        )
                    }),
                });
            }
        }
    }
    Ok(occupied)
}

/// File recording the moment the demo hospital was generated, so that a
/// restart regenerates the very same establishment.
const DEMO_EPOCH: &str = "demo-epoch";

/// The demo folder's key, created for a new folder. A demo folder written
/// by the previous, unencrypted version is encrypted in place first (it is
/// a demo: the visitor should not have to run `ckisa rekey --chiffrer`).
fn demo_key(args: &KeyArgs, data: &Path) -> anyhow::Result<keys::NodeKey> {
    let database = data.join(ckisa_store_sqlite::DATABASE_FILE);
    if !(database.is_file() && ckisa_store_sqlite::key::is_plaintext(&database)) {
        return keys::resolve(args, data, None, Missing::CreateForNewFolder);
    }
    let key = keys::resolve(args, data, None, Missing::CreateForPlaintextFolder)?;
    let encrypted = ckisa_store_sqlite::key::encrypt_plaintext_folder(data, &key.key)
        .map_err(|error| keys::explain(error, data, &key))?;
    out::line(&format!(
        "Dossier de démonstration d'une version précédente : {} base(s) chiffrée(s) ; clé : {}.",
        encrypted.len(),
        key.describe()
    ));
    Ok(key)
}

/// Generates the establishment at the moment of the first start.
fn generate(data: &Path, seed: u64) -> anyhow::Result<ckisa_demo::Establishment> {
    let path = data.join(DEMO_EPOCH);
    let options = match std::fs::read_to_string(&path) {
        Ok(text) => {
            let epoch: jiff::Timestamp = text.trim().parse().with_context(|| {
                format!(
                    "{} est abîmé : supprimez-le, ou le dossier de données",
                    path.display()
                )
            })?;
            ckisa_demo::DemoOptions::at(epoch.to_zoned(crate::node::paris()))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let options = ckisa_demo::DemoOptions::default();
            std::fs::write(&path, format!("{}\n", options.now.timestamp()))
                .with_context(|| format!("impossible d'écrire {}", path.display()))?;
            options
        }
        Err(err) => {
            return Err(err).with_context(|| format!("impossible de lire {}", path.display()));
        }
    };
    Ok(ckisa_demo::generate(seed, &options))
}

async fn load_initial(
    node: &Node,
    config: &Config,
    establishment: &ckisa_demo::Establishment,
) -> anyhow::Result<()> {
    let mut inputs = Vec::new();
    let hl7: Vec<u8> = establishment.initial_messages.concat().into_bytes();
    inputs.push(Input::bytes("demo-initial.hl7", hl7));
    for (i, resource) in establishment.initial_fhir.iter().enumerate() {
        inputs.push(Input::bytes(
            &format!("demo-careplan-{i}.json"),
            resource.clone().into_bytes(),
        ));
    }
    let store = node.store.clone();
    let factory = node.factory.clone();
    let map = node.map_context();
    let units = config.units.clone();
    let summary = tokio::task::spawn_blocking(move || {
        store.define_units(&units)?;
        let context = IngestContext {
            feed: String::from("sih-demo"),
            store: store.clone(),
            factory: factory.as_ref(),
            map,
        };
        files::ingest(&context, &inputs, &mut |_| {})
    })
    .await??;
    out::line(&format!(
        "Hôpital de démonstration généré : {}",
        summary.totals_fr()
    ));
    Ok(())
}
