//! The hook command: a program named in the configuration (an SMS gateway
//! client, a siren driver) run for each alert or other notice, without a
//! shell.
//!
//! A notice ([`HookNotice`]) reaches the program twice: in environment
//! variables and as one line of JSON on its standard input. For an alert
//! ([`run_hook`]) they are `CKISA_ALERTE_CLE`, `CKISA_ALERTE_TYPE`,
//! `CKISA_ALERTE_SUJET`, `CKISA_ALERTE_TEXTE`, `CKISA_ALERTE_DEPUIS`, and the
//! JSON keys `cle`, `type`, `sujet`, `texte`, `depuis`, `depuis_ms`; other
//! notices (the escalation of an unacknowledged broadcast, a staff recall)
//! name their own, built with [`json_string`] for the same escaping.
//! The program is killed when it outlives its timeout; only the program
//! itself is killed, so a script should `exec` a long-running last command
//! rather than leave children behind.

use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use ckisa_crisis::detect::{Alert, local_time_label};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use tokio::task::JoinHandle;

/// Time a hook has to finish when the configuration does not say.
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// Most of each of standard output and error kept for the log.
const MAX_OUTPUT: usize = 4096;

/// Time given to the output pipes to close once the program has exited
/// (they stay open while a child of the program holds them).
const OUTPUT_GRACE: Duration = Duration::from_millis(500);

/// The command run for each alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSpec {
    /// The program, run directly (no shell).
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Time it has to finish before it is killed.
    pub timeout: Duration,
}

impl HookSpec {
    /// `program` without arguments and with the default timeout (10 s).
    pub fn new(program: impl Into<PathBuf>) -> HookSpec {
        HookSpec {
            program: program.into(),
            args: Vec::new(),
            timeout: DEFAULT_HOOK_TIMEOUT,
        }
    }
}

/// What the hook is told. Built from an [`Alert`], or by hand for other
/// notices (the end of an alert, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookAlert {
    /// `CKISA_ALERTE_CLE`: the alert's key (`silence:adt-principal`).
    pub key: String,
    /// `CKISA_ALERTE_TYPE`: `silence`, `debit`, `sonde`, `pdma` or `stock`.
    pub kind: String,
    /// `CKISA_ALERTE_SUJET`: the feed or probe name.
    pub subject: String,
    /// `CKISA_ALERTE_TEXTE`: the evidence, in French.
    pub text: String,
    /// `CKISA_ALERTE_DEPUIS` (as `dd/mm/yyyy HH:MM`, Europe/Paris): since when.
    pub since_ms: i64,
}

impl From<&Alert> for HookAlert {
    fn from(alert: &Alert) -> HookAlert {
        HookAlert {
            key: alert.key.clone(),
            kind: alert.kind.code().to_owned(),
            subject: alert.subject.clone(),
            text: alert.evidence.clone(),
            since_ms: alert.since_ms,
        }
    }
}

/// What a hook program is told: environment variables and one line of JSON
/// on its standard input. Built from a [`HookAlert`], or by hand for other
/// notices (with [`json_string`] for the values of the JSON line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookNotice {
    /// Environment variables, as (name, value), added to those the node
    /// runs with. A name must be non-empty and hold neither `=` nor a NUL
    /// byte ([`HookError::VariableName`]); a NUL byte in a value, which no
    /// environment can hold, becomes a space.
    pub env: Vec<(String, String)>,
    /// One JSON value, written on standard input followed by a newline. Line
    /// breaks in it become spaces, which keeps valid JSON valid (they can
    /// only stand between its tokens) and the notice on one line.
    pub json: String,
}

impl From<&HookAlert> for HookNotice {
    fn from(alert: &HookAlert) -> HookNotice {
        let since = local_time_label(alert.since_ms);
        let json = format!(
            "{{\"cle\":{},\"type\":{},\"sujet\":{},\"texte\":{},\"depuis\":{},\"depuis_ms\":{}}}",
            json_string(&alert.key),
            json_string(&alert.kind),
            json_string(&alert.subject),
            json_string(&alert.text),
            json_string(&since),
            alert.since_ms
        );
        let env = [
            ("CKISA_ALERTE_CLE", &alert.key),
            ("CKISA_ALERTE_TYPE", &alert.kind),
            ("CKISA_ALERTE_SUJET", &alert.subject),
            ("CKISA_ALERTE_TEXTE", &alert.text),
            ("CKISA_ALERTE_DEPUIS", &since),
        ];
        HookNotice {
            env: env
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.clone()))
                .collect(),
            json,
        }
    }
}

impl HookNotice {
    /// The environment as the program gets it, or the first name no
    /// environment can hold.
    fn environment(&self) -> Result<Vec<(&str, String)>, &str> {
        self.env
            .iter()
            .map(|(name, value)| {
                if name.is_empty() || name.contains(['=', '\0']) {
                    Err(name.as_str())
                } else {
                    Ok((name.as_str(), value.replace('\0', " ")))
                }
            })
            .collect()
    }

    /// The standard input: the JSON on one line, newline included.
    fn line(&self) -> String {
        let mut line = self.json.trim_end().replace(['\n', '\r'], " ");
        line.push('\n');
        line
    }
}

/// What a hook printed, cut to 4 KiB each, for the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookOutput {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// A hook that did not do its job.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// The program could not be started.
    #[error("lancement du crochet {} impossible : {source}", program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Waiting for the program failed.
    #[error("attente du crochet {} impossible : {source}", program.display())]
    Wait {
        /// The program.
        program: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The program outlived its timeout and was killed.
    #[error(
        "le crochet {} n'a pas fini en {} s : arrêté",
        program.display(),
        after.as_secs_f32()
    )]
    TimedOut {
        /// The program.
        program: PathBuf,
        /// The timeout.
        after: Duration,
    },
    /// The notice named an environment variable no environment can hold
    /// (empty, or with `=` or a NUL byte): the program was not run.
    #[error(
        "crochet {} non lancé : nom de variable d'environnement invalide {name:?}",
        program.display()
    )]
    VariableName {
        /// The program.
        program: PathBuf,
        /// The name.
        name: String,
    },
    /// The program exited with a failure.
    #[error("le crochet {} a échoué ({status}) : {}", program.display(), output.stderr.trim())]
    Failed {
        /// The program.
        program: PathBuf,
        /// `code de sortie 3`, `arrêté par le signal 9`.
        status: String,
        /// What it printed.
        output: HookOutput,
    },
}

/// Runs the hook for `alert` and waits for it, at most `hook.timeout`:
/// [`run_notice`] with the alert's [`HookNotice`].
pub async fn run_hook(hook: &HookSpec, alert: &HookAlert) -> Result<HookOutput, HookError> {
    run_notice(hook, &HookNotice::from(alert)).await
}

/// Runs the hook with `notice` in its environment and on its standard input,
/// and waits for it, at most `hook.timeout`. Success is an exit status of 0;
/// the output is returned for the log.
pub async fn run_notice(hook: &HookSpec, notice: &HookNotice) -> Result<HookOutput, HookError> {
    let program = hook.program.clone();
    let environment = notice
        .environment()
        .map_err(|name| HookError::VariableName {
            program: program.clone(),
            name: name.to_owned(),
        })?;
    let mut child = Command::new(&hook.program)
        .args(&hook.args)
        .envs(environment)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| HookError::Spawn {
            program: program.clone(),
            source,
        })?;

    // A program that does not read its input is fine: write errors are ignored.
    let line = notice.line();
    let stdin = child.stdin.take();
    let feeding = tokio::spawn(async move {
        if let Some(mut stdin) = stdin {
            let _ = stdin.write_all(line.as_bytes()).await;
            let _ = stdin.shutdown().await;
        }
    });
    let stdout = child
        .stdout
        .take()
        .map(|pipe| tokio::spawn(read_capped(pipe)));
    let stderr = child
        .stderr
        .take()
        .map(|pipe| tokio::spawn(read_capped(pipe)));

    let waited = tokio::time::timeout(hook.timeout, child.wait()).await;
    feeding.abort();
    let status = match waited {
        Ok(Ok(status)) => status,
        Ok(Err(source)) => return Err(HookError::Wait { program, source }),
        Err(_) => {
            let _ = child.start_kill();
            let _ = child.wait().await;
            for reader in [stdout, stderr].into_iter().flatten() {
                reader.abort();
            }
            return Err(HookError::TimedOut {
                program,
                after: hook.timeout,
            });
        }
    };

    let output = HookOutput {
        stdout: collect(stdout).await,
        stderr: collect(stderr).await,
    };
    tracing::debug!(program = %program.display(), %status, "hook done");
    if status.success() {
        Ok(output)
    } else {
        Err(HookError::Failed {
            program,
            status: describe(status),
            output,
        })
    }
}

/// Reads a pipe to its end, keeping the first [`MAX_OUTPUT`] bytes and
/// draining the rest so that the program never blocks on a full pipe.
async fn read_capped(mut pipe: impl AsyncRead + Unpin) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut cut = false;
    let mut chunk = [0u8; 4096];
    loop {
        match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => return (kept, cut),
            Ok(read) => {
                let room = MAX_OUTPUT - kept.len();
                kept.extend_from_slice(&chunk[..read.min(room)]);
                cut |= read > room;
            }
        }
    }
}

async fn collect(reader: Option<JoinHandle<(Vec<u8>, bool)>>) -> String {
    let Some(mut reader) = reader else {
        return String::new();
    };
    match tokio::time::timeout(OUTPUT_GRACE, &mut reader).await {
        Ok(Ok((bytes, cut))) => {
            let mut text = String::from_utf8_lossy(&bytes).into_owned();
            if cut {
                text.push_str(" [tronqué]");
            }
            text
        }
        Ok(Err(_)) => String::new(),
        Err(_) => {
            reader.abort();
            "[sortie restée ouverte]".to_owned()
        }
    }
}

fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("code de sortie {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            return format!("arrêté par le signal {signal}");
        }
    }
    status.to_string()
}

/// `text` as a JSON string literal, quotes included: what a notice's JSON
/// line holds for each text value (`"Rappel \"bloc\"\nà 14 h"`).
pub fn json_string(text: &str) -> String {
    let mut json = String::with_capacity(text.len() + 2);
    json.push('"');
    for c in text.chars() {
        match c {
            '"' => json.push_str("\\\""),
            '\\' => json.push_str("\\\\"),
            '\n' => json.push_str("\\n"),
            '\r' => json.push_str("\\r"),
            '\t' => json.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(json, "\\u{:04x}", u32::from(c));
            }
            c => json.push(c),
        }
    }
    json.push('"');
    json
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::time::Instant;

    /// 12/03/2025 13:50 in Paris.
    const SINCE_MS: i64 = 1_741_783_800_000;

    fn alert() -> HookAlert {
        HookAlert {
            key: "silence:adt-principal".to_owned(),
            kind: "silence".to_owned(),
            subject: "adt-principal".to_owned(),
            text: "Flux « adt-principal » silencieux\nseuil \"5 min\"".to_owned(),
            since_ms: SINCE_MS,
        }
    }

    /// `/bin/sh` running `body` as a script whose first argument is `dir`.
    fn script(dir: &Path, body: &str) -> HookSpec {
        let path = dir.join("crochet.sh");
        std::fs::write(&path, body).expect("write the script");
        HookSpec {
            program: "/bin/sh".into(),
            args: vec![path.display().to_string(), dir.display().to_string()],
            timeout: Duration::from_secs(5),
        }
    }

    fn read(dir: &Path, name: &str) -> String {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
    }

    #[tokio::test]
    async fn the_hook_gets_the_alert_in_its_environment_and_input() {
        let dir = tempfile::tempdir().expect("temp dir");
        let hook = script(
            dir.path(),
            r#"printf '%s' "$CKISA_ALERTE_CLE" > "$1/cle"
printf '%s' "$CKISA_ALERTE_TYPE" > "$1/type"
printf '%s' "$CKISA_ALERTE_SUJET" > "$1/sujet"
printf '%s' "$CKISA_ALERTE_TEXTE" > "$1/texte"
printf '%s' "$CKISA_ALERTE_DEPUIS" > "$1/depuis"
cat > "$1/entree"
echo "SMS envoyé"
echo "avertissement" >&2
"#,
        );
        let output = run_hook(&hook, &alert()).await.expect("the hook succeeds");
        assert_eq!(output.stdout, "SMS envoyé\n");
        assert_eq!(output.stderr, "avertissement\n");

        let dir = dir.path();
        assert_eq!(read(dir, "cle"), "silence:adt-principal");
        assert_eq!(read(dir, "type"), "silence");
        assert_eq!(read(dir, "sujet"), "adt-principal");
        assert_eq!(read(dir, "texte"), alert().text);
        assert_eq!(read(dir, "depuis"), "12/03/2025 13:50");
        assert_eq!(
            read(dir, "entree"),
            "{\"cle\":\"silence:adt-principal\",\"type\":\"silence\",\
             \"sujet\":\"adt-principal\",\
             \"texte\":\"Flux « adt-principal » silencieux\\nseuil \\\"5 min\\\"\",\
             \"depuis\":\"12/03/2025 13:50\",\"depuis_ms\":1741783800000}\n"
        );
    }

    /// A staff recall, as messaging builds it: its own variables, its own
    /// JSON, pretty-printed by its caller.
    fn recall() -> HookNotice {
        let text = "Rappel du personnel : bloc « B2 »\nrépondre \"oui\" ou \"non\"";
        HookNotice {
            env: vec![
                ("CKISA_RAPPEL_ID".to_owned(), "rappel-42".to_owned()),
                ("CKISA_RAPPEL_TEXTE".to_owned(), text.to_owned()),
                (
                    "CKISA_RAPPEL_NUMERO".to_owned(),
                    "+33 6 12\u{0}45 78".to_owned(),
                ),
            ],
            json: format!(
                "{{\n  \"rappel\": {},\n  \"texte\": {},\n  \"destinataires\": 12\n}}\n",
                json_string("rappel-42"),
                json_string(text)
            ),
        }
    }

    #[tokio::test]
    async fn a_notice_reaches_the_hook_with_its_own_variables_and_one_json_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let hook = script(
            dir.path(),
            r#"printf '%s' "$CKISA_RAPPEL_ID" > "$1/id"
printf '%s' "$CKISA_RAPPEL_TEXTE" > "$1/texte"
printf '%s' "$CKISA_RAPPEL_NUMERO" > "$1/numero"
printf '%s' "${CKISA_ALERTE_CLE-absente}" > "$1/alerte"
cat > "$1/entree"
echo "appels lancés"
"#,
        );
        let output = run_notice(&hook, &recall())
            .await
            .expect("the hook succeeds");
        assert_eq!(output.stdout, "appels lancés\n");

        let dir = dir.path();
        assert_eq!(read(dir, "id"), "rappel-42");
        assert_eq!(read(dir, "texte"), recall().env[1].1);
        assert_eq!(
            read(dir, "numero"),
            "+33 6 12 45 78",
            "a NUL becomes a space"
        );
        assert_eq!(read(dir, "alerte"), "absente", "no alert variable");
        assert_eq!(
            read(dir, "entree"),
            "{   \"rappel\": \"rappel-42\",   \
             \"texte\": \"Rappel du personnel : bloc « B2 »\\nrépondre \\\"oui\\\" \
             ou \\\"non\\\"\",   \"destinataires\": 12 }\n"
        );
    }

    #[tokio::test]
    async fn a_notice_with_an_impossible_variable_name_runs_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let hook = script(dir.path(), "touch \"$1/lance\"\n");
        for name in ["", "CKISA=RAPPEL", "CKISA\0RAPPEL"] {
            let mut notice = recall();
            notice.env.push((name.to_owned(), "x".to_owned()));
            let error = run_notice(&hook, &notice).await.expect_err("refused");
            assert!(
                matches!(&error, HookError::VariableName { name: bad, .. } if bad == name),
                "{error:?}"
            );
            assert!(error.to_string().contains("nom de variable"), "{error}");
        }
        assert!(!dir.path().join("lance").exists(), "the program never ran");
    }

    #[test]
    fn an_alert_notice_is_what_the_hook_always_got() {
        let notice = HookNotice::from(&alert());
        let names: Vec<&str> = notice.env.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "CKISA_ALERTE_CLE",
                "CKISA_ALERTE_TYPE",
                "CKISA_ALERTE_SUJET",
                "CKISA_ALERTE_TEXTE",
                "CKISA_ALERTE_DEPUIS"
            ]
        );
        assert!(!notice.json.contains('\n'), "{}", notice.json);
        assert_eq!(notice.line().matches('\n').count(), 1);
    }

    #[tokio::test]
    async fn a_failing_hook_reports_its_status_and_error_output() {
        let dir = tempfile::tempdir().expect("temp dir");
        let hook = script(
            dir.path(),
            "echo 'passerelle SMS injoignable' >&2\nexit 3\n",
        );
        match run_hook(&hook, &alert()).await {
            Err(HookError::Failed { status, output, .. }) => {
                assert_eq!(status, "code de sortie 3");
                assert_eq!(output.stderr, "passerelle SMS injoignable\n");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_hook_that_hangs_is_killed_after_its_timeout() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut hook = script(dir.path(), "echo $$ > \"$1/pid\"\nexec sleep 30\n");
        hook.timeout = Duration::from_millis(500);

        let started = Instant::now();
        let error = run_hook(&hook, &alert()).await.expect_err("killed");
        assert!(matches!(error, HookError::TimedOut { .. }), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            error.to_string().contains("n'a pas fini en 0.5 s"),
            "{error}"
        );

        let pid = read(dir.path(), "pid");
        let proc_entry = Path::new("/proc").join(pid.trim());
        if Path::new("/proc/self").exists() {
            assert!(!proc_entry.exists(), "process {} still there", pid.trim());
        }
    }

    #[tokio::test]
    async fn a_missing_program_is_a_spawn_error() {
        let hook = HookSpec::new("/nulle/part/crochet-sms");
        let error = run_hook(&hook, &alert())
            .await
            .expect_err("no such program");
        assert!(matches!(error, HookError::Spawn { .. }), "{error:?}");
        assert!(
            error.to_string().contains("/nulle/part/crochet-sms"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn long_output_is_cut_and_input_may_be_ignored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let hook = script(
            dir.path(),
            "i=0\nwhile [ $i -lt 3000 ]; do echo ligne-$i; i=$((i+1)); done\n",
        );
        let output = run_hook(&hook, &alert()).await.expect("the hook succeeds");
        assert!(output.stdout.starts_with("ligne-0\nligne-1\n"));
        assert!(
            output.stdout.ends_with(" [tronqué]"),
            "{}",
            &output.stdout[4000..]
        );
        assert_eq!(output.stdout.len(), MAX_OUTPUT + " [tronqué]".len());
    }

    #[test]
    fn alerts_convert_for_the_hook() {
        let alert = Alert {
            key: "sonde:dpi-web".to_owned(),
            kind: ckisa_crisis::detect::AlertKind::ProbeFailed,
            subject: "dpi-web".to_owned(),
            since_ms: SINCE_MS,
            evidence: "Sonde « dpi-web » en échec".to_owned(),
        };
        let hook_alert = HookAlert::from(&alert);
        assert_eq!(hook_alert.kind, "sonde");
        assert_eq!(hook_alert.text, alert.evidence);
        assert_eq!(json_string("a\u{1}b"), "\"a\\u0001b\"");
    }
}
