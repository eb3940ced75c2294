//! Getting through the node's gate and its encryption, as a real client
//! does: the node key of a data folder (`<data>.key` beside it, where
//! `ckisa` looks by default), a `bench` account (role `medecin`, every
//! unit) made with `ckisa users add`, logged in through `POST /connexion`
//! with its forced first password change, and an API token made with
//! `ckisa tokens create bench --scope census,patients`.
//!
//! Credentials may be kept in a file (owner-only) next to a reused bench
//! folder, so that a later run logs in without touching the accounts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use ckisa_store_sqlite::DATABASE_FILE;
use ckisa_store_sqlite::key::{DbKey, is_plaintext};

use crate::{HttpClient, ckisa_binary};

/// Errors of this module, as text: the benchmarks only print them.
pub type BenchError = Box<dyn std::error::Error>;

/// Login of the bench account.
pub const LOGIN: &str = "bench";

/// The key file `ckisa` uses by default for `data`: `<data>.key` beside it.
pub fn key_path(data: &Path) -> PathBuf {
    let mut name = data.file_name().unwrap_or_default().to_owned();
    name.push(".key");
    data.with_file_name(name)
}

/// A new node key for a new folder `data`, written where `ckisa` finds it.
pub fn new_folder_key(data: &Path) -> Result<DbKey, BenchError> {
    let key = DbKey::generate()?;
    key.write_file(&key_path(data))?;
    Ok(key)
}

/// Encrypts a data folder built before issue 3 (plaintext databases) in
/// place with `ckisa rekey --chiffrer`, which creates `<data>.key`. Returns
/// whether it had to.
pub fn encrypt_if_plaintext(data: &Path) -> Result<bool, BenchError> {
    let database = data.join(DATABASE_FILE);
    if !database.is_file() || !is_plaintext(&database) {
        return Ok(false);
    }
    let started = std::time::Instant::now();
    let out = ckisa(data, &["rekey", "--chiffrer"])?;
    println!(
        "encrypted the plaintext folder {} in {:.1} s: {}",
        data.display(),
        started.elapsed().as_secs_f64(),
        out.lines().next().unwrap_or_default()
    );
    Ok(true)
}

/// Runs `ckisa ARGS --data DATA` (key from the default place) and returns
/// its standard output, or an error with its standard error.
pub fn ckisa(data: &Path, args: &[&str]) -> Result<String, BenchError> {
    let output = Command::new(ckisa_binary())
        .args(args)
        .arg("--data")
        .arg(data)
        .env("CKISA_LOG", "warn")
        .env_remove("CKISA_PASSPHRASE")
        .env_remove("CKISA_KEY_FILE")
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "ckisa {} failed ({:?}): {}",
            args.join(" "),
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The last word of the first line of `text` that starts with `prefix`:
/// where `ckisa` prints a password or a token secret.
fn secret_after(text: &str, prefix: &str) -> Option<String> {
    text.lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.split_whitespace().last())
        .map(str::to_owned)
}

/// The bench account's password and the API token's secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Current password of [`LOGIN`].
    pub password: String,
    /// Bearer token secret (scopes census and patients).
    pub token: String,
}

impl Credentials {
    /// Creates the `bench` account and token in `data` (a node folder, its
    /// key beside it), or resets the account's password and makes a token
    /// of another name when they already exist. The account's password must
    /// be changed at first login: [`log_in`] does it.
    pub fn provision(data: &Path) -> Result<Credentials, BenchError> {
        let added = ckisa(
            data,
            &[
                "users",
                "add",
                LOGIN,
                "--nom",
                "Banc d'essai",
                "--role",
                "medecin",
                "--unites",
                "*",
            ],
        );
        let out = match added {
            Ok(out) => out,
            Err(_) => ckisa(data, &["users", "reset", LOGIN])?,
        };
        let password = secret_after(&out, "Mot de passe").ok_or("no password printed")?;
        let scope = ["--scope", "census,patients"];
        let created = match ckisa(data, &["tokens", "create", LOGIN, scope[0], scope[1]]) {
            Ok(out) => out,
            Err(_) => {
                let stamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let name = format!("{LOGIN}-{stamp}");
                ckisa(data, &["tokens", "create", &name, scope[0], scope[1]])?
            }
        };
        let token = secret_after(&created, "Secret").ok_or("no token secret printed")?;
        Ok(Credentials { password, token })
    }

    /// Reads credentials saved by [`Credentials::save`].
    pub fn load(file: &Path) -> Option<Credentials> {
        let text = std::fs::read_to_string(file).ok()?;
        let value = |key: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
                .map(str::to_owned)
        };
        Some(Credentials {
            password: value("password")?,
            token: value("token")?,
        })
    }

    /// Writes the credentials to `file`, readable by its owner only.
    pub fn save(&self, file: &Path) -> std::io::Result<()> {
        use std::io::Write as _;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut out = options.open(file)?;
        writeln!(out, "password={}\ntoken={}", self.password, self.token)
    }

    /// `Authorization` header value of the token.
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }
}

/// A session cookie (`ckisa_session=...`) for [`LOGIN`] on the node at
/// `http`. When the node asks for a new password (first login, or after a
/// reset), sets one through `/mot-de-passe` and updates `credentials`.
pub fn log_in(http: SocketAddr, credentials: &mut Credentials) -> Result<String, BenchError> {
    let mut client = HttpClient::connect(http)?;
    let answer = client.post_form(
        "/connexion",
        &[
            ("login", LOGIN),
            ("password", &credentials.password),
            ("suite", "/unites"),
        ],
    )?;
    if answer.status != 303 {
        return Err(format!("login refused: HTTP {}", answer.status).into());
    }
    let cookie = answer
        .headers
        .iter()
        .filter(|(name, _)| name == "set-cookie")
        .find_map(|(_, value)| value.split(';').next()?.strip_prefix("ckisa_session="))
        .map(|value| format!("ckisa_session={value}"))
        .ok_or("no ckisa_session cookie after login")?;
    if answer.header("location") == Some("/mot-de-passe") {
        let mut client = HttpClient::connect(http)?.with_header("Cookie", &cookie);
        let form = client.get("/mot-de-passe")?;
        let csrf = hidden_csrf(&String::from_utf8_lossy(&form.body)).ok_or("no csrf field")?;
        let new = new_password();
        let changed = client.post_form(
            "/mot-de-passe",
            &[
                ("csrf", &csrf),
                ("current", &credentials.password),
                ("new", &new),
                ("confirm", &new),
            ],
        )?;
        if changed.status != 303 {
            return Err(format!("password change refused: HTTP {}", changed.status).into());
        }
        credentials.password = new;
    }
    Ok(cookie)
}

/// [`log_in`], then checks the token on `GET /api/v1/units`.
fn log_in_and_check(http: SocketAddr, credentials: &mut Credentials) -> Result<String, BenchError> {
    let cookie = log_in(http, credentials)?;
    let mut api = HttpClient::connect(http)?.with_header("Authorization", &credentials.bearer());
    let status = api.get("/api/v1/units")?.status;
    if status != 200 {
        return Err(format!("token refused: HTTP {status}").into());
    }
    Ok(cookie)
}

/// `value` of the first `name="csrf" value="..."` hidden field of a page.
fn hidden_csrf(page: &str) -> Option<String> {
    let rest = page.split("name=\"csrf\" value=\"").nth(1)?;
    rest.split('"').next().map(str::to_owned)
}

/// A password the node accepts (12+ characters, not the login), different
/// at every call.
fn new_password() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("banc-essai-{}-{nanos:x}", std::process::id())
}

/// The credentials of a node folder: read from `file` when it holds some,
/// else provisioned with the CLI (and saved to `file` when given).
pub fn for_folder(data: &Path, file: Option<&Path>) -> Result<Credentials, BenchError> {
    if let Some(saved) = file.and_then(Credentials::load) {
        return Ok(saved);
    }
    let credentials = Credentials::provision(data)?;
    if let Some(file) = file {
        credentials.save(file)?;
    }
    Ok(credentials)
}

/// Logs in to the node at `http` serving `data` with `credentials`; if
/// they are refused (saved ones gone stale), provisions new ones, waits
/// for the running node to reload its accounts (every 2 s), and tries once
/// more. Saves the credentials in use to `file` when given.
pub fn session(
    http: SocketAddr,
    data: &Path,
    credentials: &mut Credentials,
    file: Option<&Path>,
) -> Result<String, BenchError> {
    let cookie = match log_in_and_check(http, credentials) {
        Ok(cookie) => cookie,
        Err(error) => {
            println!("saved bench credentials refused ({error}): provisioning new ones");
            *credentials = Credentials::provision(data)?;
            std::thread::sleep(std::time::Duration::from_millis(2500));
            log_in_and_check(http, credentials)?
        }
    };
    if let Some(file) = file {
        credentials.save(file)?;
    }
    Ok(cookie)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_read_from_the_cli_output() {
        let out = "Compte créé : bench (medecin, unités : toutes).\nMot de passe initial \
                   (affiché une seule fois, à changer à la première connexion) : Ab3dEf\n";
        assert_eq!(secret_after(out, "Mot de passe").as_deref(), Some("Ab3dEf"));
        assert_eq!(secret_after(out, "Secret"), None);
    }

    #[test]
    fn the_csrf_field_is_found() {
        let page = r#"<form><input type="hidden" name="csrf" value="x-Y_z"><input name="new">"#;
        assert_eq!(hidden_csrf(page).as_deref(), Some("x-Y_z"));
        assert_eq!(hidden_csrf("<form></form>"), None);
    }

    #[test]
    fn credentials_round_trip_through_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("creds");
        let credentials = Credentials {
            password: String::from("p=ss"),
            token: String::from("ckt_1"),
        };
        credentials.save(&file).unwrap();
        assert_eq!(Credentials::load(&file), Some(credentials));
        assert_eq!(
            key_path(Path::new("/tmp/x/data")),
            Path::new("/tmp/x/data.key")
        );
    }
}
