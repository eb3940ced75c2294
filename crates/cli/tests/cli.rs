//! The command-line contract, on the real binary: exit codes of `ingest`,
//! `status --json`, help texts, the node key rules, the accounts, tokens,
//! audit, TLS and rekey commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ckisa_store_sqlite::key::{DbKey, open_keyed};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn ckisa() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ckisa"));
    command
        .env("CKISA_LOG", "error")
        .env_remove("CKISA_KEY_FILE")
        .env_remove("CKISA_PASSPHRASE")
        .env_remove("CKISA_NEW_PASSPHRASE");
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `ckisa <args>` and checks its exit code, showing its output if not.
fn run(args: &[&str], data: &Path, code: i32) -> Output {
    let output = ckisa().args(args).arg("--data").arg(data).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "ckisa {args:?}\nstdout: {}\nstderr: {}",
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

/// A node folder made by `ingest --init-key`: (temp dir, data folder, its
/// default key file next to it).
fn node_folder() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = format!("{CORPUS}/hl7v2/ans_pamfr_ADT_A01_admission_SGL.hl7");
    let output = run(&["ingest", "--init-key", &file], &data, 0);
    assert!(text(&output.stdout).contains("Clé du nœud créée"));
    let key = dir.path().join("data.key");
    assert!(key.is_file());
    (dir, data, key)
}

#[test]
fn ingest_exits_0_when_all_is_accepted_and_status_reports_it() {
    let data = tempfile::tempdir().unwrap();
    let output = ckisa()
        .args(["ingest", "--init-key", "--data"])
        .arg(data.path())
        .arg(format!(
            "{CORPUS}/hl7v2/ans_pamfr_ADT_A01_admission_SGL.hl7"
        ))
        .arg(format!("{CORPUS}/fhir/examples/Patient-example.json"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("2 fichier(s) : 2 accepté(s)"), "{stdout}");

    let status = ckisa()
        .args(["status", "--json", "--data"])
        .arg(data.path())
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json["store"]["patients"], 2);
    assert_eq!(json["store"]["quarantined"], 0);
    let feed = &json["store"]["feeds"][0];
    assert_eq!(feed["name"], "fichiers");
    assert_eq!(feed["accepted"], 2);
}

#[test]
fn ingest_exits_1_when_some_input_is_rejected_after_loading_the_rest() {
    let data = tempfile::tempdir().unwrap();
    let output = ckisa()
        .args(["ingest", "--init-key", "--data"])
        .arg(data.path())
        .arg(format!("{CORPUS}/edge/B20.hl7"))
        .arg(format!("{CORPUS}/edge/B21.hl7"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("MRG-1 identique à PID-3"), "{stdout}");
    assert!(
        stdout.contains("1 accepté(s)") && stdout.contains("1 rejeté(s)"),
        "{stdout}"
    );
}

#[test]
fn ingest_exits_2_when_it_cannot_run() {
    let data = tempfile::tempdir().unwrap();
    let output = ckisa()
        .args(["ingest", "--init-key", "--data"])
        .arg(data.path())
        .arg("/nonexistent/ckisa-input.hl7")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/ckisa-input.hl7"));
}

#[test]
fn status_on_a_folder_that_is_not_a_node_says_so() {
    let empty = tempfile::tempdir().unwrap();
    let output = ckisa()
        .args(["status", "--data"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--data"));
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        "demo", "serve", "ingest", "status", "users", "tokens", "audit", "rekey",
    ] {
        let output = ckisa().args([sub, "--help"]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{sub}");
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("--data") || sub == "serve", "{sub}: {help}");
        assert!(help.contains("CKISA_PASSPHRASE"), "{sub}: {help}");
        assert!(help.contains("--key-file"), "{sub}: {help}");
    }
    let output = ckisa().args(["tls", "init", "--help"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("--nom-hote"));
    assert!(text(&output.stdout).contains("--reseau <CIDR>"));
    // The --key-file entry of serve names every default, node.key_file too.
    let serve = text(&ckisa().args(["serve", "--help"]).output().unwrap().stdout);
    let key_file = serve
        .split("--key-file <FICHIER>")
        .nth(1)
        .and_then(|rest| rest.split("--init-key").next())
        .unwrap_or_default();
    assert!(key_file.contains("node.key_file"), "{serve}");
    let users = text(&ckisa().args(["users", "--help"]).output().unwrap().stdout);
    assert!(
        users.contains("securite-si") && users.contains("Sécurité SI"),
        "{users}"
    );
    assert!(users.contains("relit les comptes"), "{users}");
}

#[test]
fn accounts_are_added_listed_and_disabled() {
    let (_dir, data, _key) = node_folder();
    let added = run(
        &[
            "users",
            "add",
            "jdupont",
            "--nom",
            "Jeanne Dupont",
            "--role",
            "infirmier",
            "--unites",
            "REA,CARDIO",
        ],
        &data,
        0,
    );
    let stdout = text(&added.stdout);
    assert!(stdout.contains("Mot de passe initial"), "{stdout}");
    // Units this establishment does not have are warned about.
    let stderr = text(&added.stderr);
    assert!(
        stderr.contains("unité(s) inconnue(s)") && stderr.contains("REA"),
        "{stderr}"
    );
    let password = stdout.trim_end().rsplit(' ').next().unwrap();
    assert!(password.chars().count() >= 12, "{stdout}");

    let list = text(&run(&["users", "list"], &data, 0).stdout);
    let line = list.lines().find(|l| l.starts_with("jdupont")).unwrap();
    assert!(
        line.contains("infirmier") && line.contains("CARDIO,REA"),
        "{list}"
    );
    assert!(
        line.contains("actif") && line.contains("mot de passe à changer"),
        "{list}"
    );
    assert!(!list.contains(password), "passwords are never listed");

    run(&["users", "disable", "jdupont"], &data, 0);
    let list = text(&run(&["users", "list"], &data, 0).stdout);
    let line = list.lines().find(|l| l.starts_with("jdupont")).unwrap();
    assert!(line.contains("désactivé"), "{list}");

    let again = run(
        &["users", "add", "jdupont", "--nom", "X", "--role", "medecin"],
        &data,
        2,
    );
    assert!(text(&again.stderr).contains("existe déjà"));
    let bad_role = run(
        &["users", "add", "x", "--nom", "X", "--role", "chef"],
        &data,
        2,
    );
    assert!(text(&bad_role.stderr).contains("rôle inconnu"));
}

#[test]
fn an_import_with_a_bad_line_exits_1_and_adds_the_good_lines() {
    let (dir, data, _key) = node_folder();
    let csv = dir.path().join("comptes.csv");
    std::fs::write(
        &csv,
        "login;nom;role;unites\nalice;Alice Martin;infirmier;REA\nbob;Bob;chef;REA\n\
         carol;Carol Petit;medecin;*\n",
    )
    .unwrap();
    let output = run(&["users", "import", csv.to_str().unwrap()], &data, 1);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("ligne 3") && stdout.contains("chef"),
        "{stdout}"
    );
    assert!(stdout.contains("2 compte(s) créé(s)"), "{stdout}");
    let list = text(&run(&["users", "list"], &data, 0).stdout);
    assert!(list.lines().any(|l| l.starts_with("alice")), "{list}");
    assert!(list.lines().any(|l| l.starts_with("carol")), "{list}");
    assert!(!list.lines().any(|l| l.starts_with("bob")), "{list}");

    // Passwords to a private file instead of the terminal.
    std::fs::write(&csv, "login;nom;role;unites\ndavid;David;cadre;REA\n").unwrap();
    let secrets = dir.path().join("mots-de-passe.csv");
    let output = run(
        &[
            "users",
            "import",
            csv.to_str().unwrap(),
            "--sortie",
            secrets.to_str().unwrap(),
        ],
        &data,
        0,
    );
    let written = std::fs::read_to_string(&secrets).unwrap();
    let password = written.lines().nth(1).unwrap().split(';').nth(1).unwrap();
    assert!(!text(&output.stdout).contains(password));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&secrets).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn audit_verify_is_clean_then_names_a_tampered_entry() {
    let (_dir, data, key_file) = node_folder();
    run(
        &["users", "add", "alice", "--nom", "Alice", "--role", "cadre"],
        &data,
        0,
    );
    run(
        &[
            "tokens",
            "create",
            "supervision",
            "--scope",
            "status,metrics",
        ],
        &data,
        0,
    );
    run(&["users", "disable", "alice"], &data, 0);
    let clean = text(&run(&["audit", "verify"], &data, 0).stdout);
    assert!(clean.starts_with("journal intact : 3 entrée(s)"), "{clean}");

    let csv = text(&run(&["audit", "export", "--utilisateur", "cli"], &data, 0).stdout);
    assert!(
        csv.contains("user.add") && csv.contains("token.create"),
        "{csv}"
    );
    assert!(csv.contains("# tête du journal"), "{csv}");

    let key = DbKey::read_file(&key_file).unwrap();
    let conn = open_keyed(
        &data.join("audit.db"),
        &key,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE,
    )
    .unwrap();
    let changed = conn
        .execute(
            "UPDATE audit_entry SET actor = 'personne' WHERE seq = 2",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    let output = run(&["audit", "verify"], &data, 1);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("journal ALTÉRÉ"), "{stdout}");
    assert!(stdout.contains("entrée 2 :"), "{stdout}");
}

#[test]
fn a_wrong_key_is_refused_without_showing_key_bytes() {
    let (dir, data, key_file) = node_folder();
    let wrong = dir.path().join("autre.key");
    DbKey::generate().unwrap().write_file(&wrong).unwrap();
    for args in [&["status"][..], &["users", "list"], &["audit", "verify"]] {
        let output = ckisa()
            .args(args)
            .arg("--data")
            .arg(&data)
            .arg("--key-file")
            .arg(&wrong)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains("ne s'ouvre pas avec cette clé"), "{stderr}");
        assert!(stderr.contains("autre.key"), "{stderr}");
        let all = format!("{stderr}{}", text(&output.stdout));
        for file in [&wrong, &key_file] {
            let hex = std::fs::read_to_string(file).unwrap();
            assert!(!all.contains(hex.trim()), "key bytes shown: {all}");
            assert!(!all.contains(&hex.trim()[..16]), "key bytes shown: {all}");
        }
    }
    // The default key file is found next to the folder, and used.
    let status = text(&run(&["status"], &data, 0).stdout);
    assert!(status.contains("data.key"), "{status}");
}

#[test]
fn status_needs_the_key() {
    let (dir, data, key_file) = node_folder();
    let moved = dir.path().join("ailleurs.key");
    std::fs::rename(&key_file, &moved).unwrap();
    let output = run(&["status"], &data, 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--key-file") && stderr.contains("CKISA_PASSPHRASE"),
        "{stderr}"
    );
    assert!(!key_file.exists(), "a one-shot command never creates a key");
    let output = ckisa()
        .args(["status", "--data"])
        .arg(&data)
        .env("CKISA_KEY_FILE", &moved)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn rekey_round_trip_and_the_old_key_is_refused() {
    let (dir, data, old) = node_folder();
    run(
        &["users", "add", "alice", "--nom", "Alice", "--role", "cadre"],
        &data,
        0,
    );
    let new = dir.path().join("nouvelle.key");
    let output = run(
        &["rekey", "--nouvelle-cle", new.to_str().unwrap()],
        &data,
        0,
    );
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("Nouvelle clé créée") && stdout.contains("auth.db"),
        "{stdout}"
    );
    assert!(new.is_file());

    let refused = run(&["status"], &data, 2);
    assert!(text(&refused.stderr).contains("ne s'ouvre pas avec cette clé"));
    let stray = dir.path().join("jamais.key");
    run(
        &["rekey", "--nouvelle-cle", stray.to_str().unwrap()],
        &data,
        2,
    );
    assert!(!stray.exists(), "no new key is made for a wrong old key");
    let with_new = ["status", "--key-file", new.to_str().unwrap()];
    run(&with_new, &data, 0);
    let list = ["users", "list", "--key-file", new.to_str().unwrap()];
    assert!(text(&run(&list, &data, 0).stdout).contains("alice"));
    let export = ["audit", "export", "--key-file", new.to_str().unwrap()];
    assert!(text(&run(&export, &data, 0).stdout).contains("node.rekey"));

    // And back to the first key.
    let back = [
        "rekey",
        "--ancienne-cle",
        new.to_str().unwrap(),
        "--nouvelle-cle",
        old.to_str().unwrap(),
    ];
    run(&back, &data, 0);
    run(&["status"], &data, 0);
    run(&with_new, &data, 2);
}

#[test]
fn rekey_refuses_while_the_node_holds_the_folder() {
    let (dir, data, _key) = node_folder();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data.join("node.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let new = dir.path().join("nouvelle.key");
    let output = run(
        &["rekey", "--nouvelle-cle", new.to_str().unwrap()],
        &data,
        2,
    );
    assert!(text(&output.stderr).contains("un autre nœud ckisa utilise déjà"));
    assert!(!new.exists());
    // Account commands work while the node runs.
    run(&["users", "list"], &data, 0);
    drop(lock);
}

#[test]
fn a_folder_of_the_previous_version_is_encrypted_by_rekey_chiffrer() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ancien");
    let options = ckisa_store_sqlite::SqliteOptions::new("Europe/Paris");
    drop(ckisa_store_sqlite::SqliteStore::open(&data, options).unwrap());
    std::fs::write(data.join("node-id"), "ancien-noeud\n").unwrap();

    let refused = run(&["status"], &data, 2);
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("rekey --chiffrer"), "{stderr}");

    let output = run(&["rekey", "--chiffrer"], &data, 0);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("Chiffrée") && stdout.contains("ckisa.db"),
        "{stdout}"
    );
    assert!(dir.path().join("ancien.key").is_file());
    let bytes = std::fs::read(data.join("ckisa.db")).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"));
    run(&["status"], &data, 0);
}

#[test]
fn the_demo_encrypts_a_demo_folder_of_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let options = ckisa_store_sqlite::SqliteOptions::new("Europe/Paris");
    drop(ckisa_store_sqlite::SqliteStore::open(&data, options).unwrap());
    let printed = demo_start(&data, &[]);
    assert!(printed.contains("version précédente"), "{printed}");
    assert!(printed.contains("Interface web : http://"), "{printed}");
    let bytes = std::fs::read(data.join("ckisa.db")).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"));
    assert!(dir.path().join("demo.key").is_file());
}

#[test]
fn tokens_are_created_listed_and_revoked() {
    let (_dir, data, _key) = node_folder();
    let output = run(
        &[
            "tokens",
            "create",
            "supervision",
            "--scope",
            "status,metrics",
        ],
        &data,
        0,
    );
    let stdout = text(&output.stdout);
    assert!(stdout.contains("ckisa_"), "{stdout}");
    assert!(stdout.contains("node.status, node.metrics"), "{stdout}");
    run(&["tokens", "revoke", "supervision"], &data, 0);
    let list = text(&run(&["tokens", "list"], &data, 0).stdout);
    assert!(
        list.contains("supervision") && list.contains("révoqué"),
        "{list}"
    );
    assert!(!list.contains("ckisa_"), "{list}");
    let bad = run(&["tokens", "create", "x", "--scope", "tout"], &data, 2);
    let stderr = text(&bad.stderr);
    assert!(stderr.contains("droit inconnu"), "{stderr}");
    // Only what a token may take is offered.
    assert!(
        stderr.contains("node.metrics") && !stderr.contains("audit."),
        "{stderr}"
    );
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn tls_init_keeps_the_ca_key_out_of_the_node_folder() {
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    let tls_init = |extra: &[&std::ffi::OsStr]| {
        ckisa()
            .args([
                "tls",
                "init",
                "--site",
                "CH de Test",
                "--nom-hote",
                "ckisa.local,127.0.0.1",
            ])
            .arg("--dir")
            .arg(&tls)
            .args(extra)
            .output()
            .unwrap()
    };
    let output = tls_init(&[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    // Default CA folder: next to the node folder, never inside it.
    let ca = dir.path().join("tls-ac");
    for file in ["ca.pem", "node.pem", "node-key.pem"] {
        assert!(tls.join(file).is_file(), "{file}");
    }
    assert!(!tls.join("ca-key.pem").exists());
    assert!(ca.join("ca-key.pem").is_file() && ca.join("ca.pem").is_file());
    #[cfg(unix)]
    assert_eq!(mode(&ca.join("ca-key.pem")), 0o600);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("empreinte SHA-256") && stdout.contains("[tls]"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("dir = {:?}", tls.display().to_string())),
        "{stdout}"
    );
    assert!(
        stdout.contains("CLÉ PRIVÉE DE L'AUTORITÉ")
            && stdout.contains(&ca.join("ca-key.pem").display().to_string())
            && stdout.contains("hors ligne"),
        "{stdout}"
    );
    assert!(stdout.contains("ckisa.local, 127.0.0.1"), "{stdout}");

    // The node folder as CA folder is refused, in French, exit 2.
    let same = tls_init(&[std::ffi::OsStr::new("--dossier-ac"), tls.as_os_str()]);
    assert_eq!(same.status.code(), Some(2));
    assert!(
        text(&same.stderr).contains("ne peut pas être celui du nœud"),
        "{}",
        text(&same.stderr)
    );
    assert!(!tls.join("ca-key.pem").exists());
}

#[test]
fn serve_refuses_plain_http_on_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("site.toml");
    std::fs::write(
        &config,
        "[site]\nname = \"CH\"\n[node]\nhttp = \"0.0.0.0:0\"\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let output = ckisa()
        .args(["serve", "--init-key", "--config"])
        .arg(&config)
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("node.http") && stderr.contains("HTTPS"),
        "{stderr}"
    );
    assert!(!data.exists() && !dir.path().join("data.key").exists());
}

#[test]
fn serve_without_a_key_refuses_and_says_how() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("site.toml");
    std::fs::write(
        &config,
        "[site]\nname = \"CH\"\n[node]\nhttp = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let output = ckisa()
        .args(["serve", "--config"])
        .arg(&config)
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--init-key") && stderr.contains("CKISA_PASSPHRASE"),
        "{stderr}"
    );
    assert!(!dir.path().join("data.key").exists());
}

#[test]
fn a_passphrase_gives_the_key_and_a_wrong_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = format!("{CORPUS}/hl7v2/ans_pamfr_ADT_A01_admission_SGL.hl7");
    let with = |passphrase: &str, args: &[&str]| {
        ckisa()
            .args(args)
            .arg("--data")
            .arg(&data)
            .env("CKISA_PASSPHRASE", passphrase)
            .output()
            .unwrap()
    };
    let ingest = with("cheval agrafe batterie correcte", &["ingest", &file]);
    assert_eq!(ingest.status.code(), Some(0), "{}", text(&ingest.stderr));
    assert!(data.join("key.salt").is_file());
    assert!(!dir.path().join("data.key").exists());
    let status = with("cheval agrafe batterie correcte", &["status"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    assert!(text(&status.stdout).contains("phrase de passe de CKISA_PASSPHRASE"));
    let wrong = with("cheval agrafe batterie fausse", &["status"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong.stderr).contains("ne s'ouvre pas avec cette clé"));
}

/// Sends one HTTP/1.1 request on loopback and returns the whole answer.
fn http(addr: &str, request: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn demo_creates_its_key_next_to_the_folder_and_a_nurse_logs_in() {
    use std::io::{BufRead as _, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let mut child = ckisa()
        .args([
            "demo",
            "--http",
            "127.0.0.1:0",
            "--mllp",
            "127.0.0.1:0",
            "--rate",
            "0",
        ])
        .arg("--data")
        .arg(&data)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut printed = String::new();
    let mut addr = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(url) = line.strip_prefix("Interface web : http://") {
            addr = Some(url.trim_end_matches('/').to_owned());
            break;
        }
    }
    let Some(addr) = addr else {
        let _ = child.kill();
        panic!("no URL printed:\n{printed}");
    };
    let body = "login=infirmiere&password=demo-infirmiere-2026";
    let answer = http(
        &addr,
        &format!(
            "POST /connexion HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    let _ = child.kill();
    let _ = child.wait();

    assert!(printed.contains("Clé du nœud créée"), "{printed}");
    assert!(dir.path().join("demo.key").is_file());
    assert!(!data.join("demo.key").exists());
    let nurse = printed
        .lines()
        .find(|l| l.trim_start().starts_with("infirmiere"))
        .unwrap();
    assert!(
        nurse.contains("infirmier") && nurse.contains("demo-infirmiere-2026"),
        "{printed}"
    );
    assert!(printed.contains("démonstration"), "{printed}");
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    assert!(answer.to_lowercase().contains("set-cookie"), "{answer}");
}

/// Starts `ckisa demo --tls` on `data` until it prints its URL, then stops
/// it; gives what it printed (stdout then stderr).
fn demo_tls_start(data: &Path) -> String {
    demo_start(data, &["--tls"])
}

/// Starts `ckisa demo` with `extra` arguments on `data`, reads what it
/// prints up to the web address, and stops it.
fn demo_start(data: &Path, extra: &[&str]) -> String {
    let mut command = ckisa();
    command
        .arg("demo")
        .args(extra)
        .args([
            "--http",
            "127.0.0.1:0",
            "--mllp",
            "127.0.0.1:0",
            "--rate",
            "0",
        ])
        .arg("--data")
        .arg(data);
    start_until_web(command)
}

/// Runs a serving command until it prints its web address, then stops it;
/// gives what it printed (stdout then stderr).
fn start_until_web(mut command: Command) -> String {
    use std::io::{BufRead as _, BufReader, Read as _};
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut printed = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if line.starts_with("Interface web : ") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    printed + &stderr
}

#[test]
fn demo_tls_keeps_the_ca_key_outside_the_data_folder_and_moves_an_old_one_out() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let ca = dir.path().join("demo.ac");
    let printed = demo_tls_start(&data);
    assert!(printed.contains("Interface web : https://"), "{printed}");
    assert!(data.join("tls/node.pem").is_file(), "{printed}");
    assert!(data.join("tls/ca.pem").is_file());
    assert!(!data.join("tls/ca-key.pem").exists());
    assert!(ca.join("ca-key.pem").is_file() && ca.join("ca.pem").is_file());
    assert!(
        printed.contains(&ca.join("ca-key.pem").display().to_string()),
        "{printed}"
    );
    let fingerprint = |printed: &str| {
        printed
            .split("empreinte SHA-256 ")
            .nth(1)
            .map(|rest| rest.chars().take(95).collect::<String>())
    };
    let first = fingerprint(&printed).unwrap();

    // The layout of the previous version: the CA inside the data folder.
    std::fs::rename(ca.join("ca-key.pem"), data.join("tls/ca-key.pem")).unwrap();
    std::fs::remove_dir_all(&ca).unwrap();
    let printed = demo_tls_start(&data);
    assert!(
        printed.contains("était dans le dossier de données") && printed.contains("déplacée vers"),
        "{printed}"
    );
    assert!(!data.join("tls/ca-key.pem").exists());
    assert!(ca.join("ca-key.pem").is_file());
    #[cfg(unix)]
    assert_eq!(mode(&ca.join("ca-key.pem")), 0o600);
    assert_eq!(fingerprint(&printed).unwrap(), first, "the same CA, reused");
}

/// `ckisa tls init` for 127.0.0.1 with `extra` arguments, run from `cwd`.
fn tls_init_in(cwd: &Path, dir: &str, extra: &[&str]) -> Output {
    let output = ckisa()
        .current_dir(cwd)
        .args([
            "tls",
            "init",
            "--site",
            "CH de Test",
            "--nom-hote",
            "127.0.0.1",
        ])
        .args(["--dir", dir])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    output
}

#[test]
fn tls_init_with_a_network_prints_an_absolute_dir_and_warns_when_reused() {
    let dir = tempfile::tempdir().unwrap();
    let output = tls_init_in(dir.path(), "tls", &["--reseau", "192.168.10.0/24"]);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("127.0.0.1, 192.168.10.0/24"), "{stdout}");
    let absolute = dir.path().join("tls").display().to_string();
    assert!(stdout.contains(&format!("dir = {absolute:?}")), "{stdout}");

    // A second node of the network with the same CA folder.
    let output = ckisa()
        .current_dir(dir.path())
        .args(["tls", "init", "--site", "CH", "--nom-hote", "192.168.10.3"])
        .args(["--dir", "tls-2", "--dossier-ac", "tls-ac"])
        .args(["--reseau", "10.0.0.0/8"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("--reseau ignoré"),
        "{}",
        text(&output.stderr)
    );

    let wide = ckisa()
        .current_dir(dir.path())
        .args(["tls", "init", "--site", "CH", "--nom-hote", "127.0.0.1"])
        .args(["--dir", "autre", "--reseau", "0.0.0.0/0"])
        .output()
        .unwrap();
    assert_eq!(wide.status.code(), Some(2));
    assert!(text(&wide.stderr).contains("toutes les adresses"));
    assert!(!dir.path().join("autre-ac").exists());
}

#[test]
fn serve_reads_relative_paths_from_the_config_folder() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("p");
    std::fs::create_dir(&site).unwrap();
    tls_init_in(&site, "tls", &[]);
    let config = site.join("site.toml");
    std::fs::write(
        &config,
        "[site]\nname = \"CH\"\n[node]\ndata = \"pdata\"\nhttp = \"127.0.0.1:0\"\n\
         [tls]\ndir = \"tls\"\n",
    )
    .unwrap();
    // A TLS key file others can read is served, with a warning.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = site.join("tls/node-key.pem");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    let elsewhere = dir.path().join("ailleurs");
    std::fs::create_dir(&elsewhere).unwrap();
    let mut command = ckisa();
    command
        .current_dir(&elsewhere)
        .args(["serve", "--init-key", "--config", "../p/site.toml"]);
    let printed = start_until_web(command);
    assert!(printed.contains("Interface web : https://"), "{printed}");
    let data = site.join("pdata");
    assert!(data.join("node-id").is_file(), "{printed}");
    assert!(site.join("pdata.key").is_file(), "{printed}");
    assert!(!elsewhere.join("pdata").exists());
    #[cfg(unix)]
    {
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("node-id")), 0o600);
        assert!(
            printed.contains("node-key.pem est lisible par d'autres comptes"),
            "{printed}"
        );
    }

    // The CA folder given as [tls] dir is named as such; an existing data
    // folder others can enter is narrowed at start.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let text_config = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text_config.replace("\"tls\"", "\"tls-ac\"")).unwrap();
    let output = ckisa()
        .current_dir(&elsewhere)
        .args(["serve", "--config", "../p/site.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("est le dossier de l'autorité de certification")
            && stderr.contains("tls init --dir"),
        "{stderr}"
    );
    #[cfg(unix)]
    assert_eq!(mode(&data), 0o700);
}

#[test]
fn the_demo_keeps_its_folder_and_files_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let printed = demo_start(&data, &[]);
    assert!(printed.contains("Interface web : http://"), "{printed}");
    #[cfg(unix)]
    {
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("node-id")), 0o600);
        assert_eq!(mode(&data.join("ckisa-demo.toml")), 0o600);
    }
}
