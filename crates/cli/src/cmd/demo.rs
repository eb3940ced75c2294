//! `ckisa demo`: a whole node on a laptop in one command: a generated
//! hospital, a simulated HIS feeding it over MLLP on loopback, and the web UI.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use ckisa_ingest::files::{self, IngestContext, Input};
use ckisa_store::Store;

use crate::cmd::demo_accounts;
use crate::config::{Config, DEFAULT_DATA, DEFAULT_HTTP, DEFAULT_MLLP, FeedConfig, parse_addr};
use crate::keys::{self, KEY_RULES, KeyArgs, Missing};
use crate::node::{Node, bind_web, check_web_exposure, shutdown_on_signal};
use crate::out;

/// Name of the generated configuration file in the data folder.
const DEMO_CONFIG: &str = "ckisa-demo.toml";

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
        let config = Config::load(&config_path)?;
        out::line(&format!("Site : {}", config.site_name));
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
        if self.rate > 0.0 {
            let pace = ckisa_demo::Pace::per_second(self.rate);
            // A new stream seed per start, so that a restarted demo sends new
            // control ids instead of replaying the previous run's.
            let stream_seed = self.seed ^ node.factory.now_ms() as u64;
            let store = node.store.clone();
            let occupied = tokio::task::spawn_blocking(move || occupancy(store.as_ref())).await??;
            // The feed resumes from who the store says is in which bed, so a
            // restarted demo never admits into an occupied bed or moves a
            // patient who has left.
            let state = ckisa_demo::HisState::resume(&establishment, stream_seed, &occupied);
            let his = ckisa_demo::run_simulated_his(bound[0], state, pace, shutdown.clone());
            tokio::spawn(async move {
                if let Err(err) = his.await {
                    tracing::warn!(error = %err, "the simulated HIS stopped");
                }
            });
            out::line(&format!(
                "SIH simulé : {} message(s)/s vers {}",
                self.rate, bound[0]
            ));
        }
        out::line("Ctrl-C pour arrêter.");
        node.serve_web(
            listener,
            &config.site_name,
            &[String::from("sih-demo")],
            shutdown,
        )
        .await
    }
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
