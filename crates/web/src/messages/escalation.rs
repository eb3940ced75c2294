//! The escalation round of unacknowledged broadcasts, and what the node
//! records as itself: the round, the recall notifications and the answers
//! that come through a link or the SMS gateway.
//!
//! [`escalation_round`] asks the book which stages are due now
//! (`ckisa_messaging::escalate::due`): for the managers' stage it records
//! who was told (the unit managers of the silent recipients, who then find
//! the broadcast on their inbox page); for the hook's stage it runs the
//! notification hook (`[messagerie.crochet]`, else the continuity plan's
//! alert hook) with the silent recipients, then records the outcome, a
//! failure included, so that a stage runs once. The hook runs with no lock
//! held: a slow SMS gateway holds up no page.
//!
//! The binary calls the round every few seconds from one loop; rounds must
//! not overlap (two at once could run the same hook twice before either
//! records it).

use std::path::PathBuf;
use std::time::Duration;

use ckisa_domain::{Actor, EscalationStage, MessageFact};
use ckisa_messaging::book::{Reader, Units};
use ckisa_messaging::escalate::{self, Due};
use ckisa_watch::{DEFAULT_HOOK_TIMEOUT, HookNotice, HookSpec, run_notice};
use serde_json::json;

use super::People;
use crate::AppState;
use crate::error::AppError;
use crate::format::Fmt;
use crate::i18n::{Lang, Tr};

/// What is recorded when no hook is configured at all.
pub(super) const NO_HOOK: &str = "aucun crochet de notification configuré";

/// Records the escalations due now; returns how many were recorded.
pub async fn escalation_round(state: &AppState) -> Result<usize, AppError> {
    let people = state.people().await?;
    let due = {
        let book = state.messages_book().await?;
        escalate::due(&book, state.now_ms(), &|unit| people.managers_of(unit))
    };
    let mut recorded = 0;
    for item in due {
        let fact = match item.stage {
            EscalationStage::Managers => MessageFact::from(item),
            EscalationStage::Hook => hook_stage(state, &people, item).await?,
        };
        if commit_as_node(state, "noeud", fact).await? {
            recorded += 1;
        }
    }
    Ok(recorded)
}

/// The reader the node stands as in the book's checks (those of the facts
/// it records do not look at the reader).
fn node_reader() -> Reader {
    Reader {
        login: String::new(),
        role: String::new(),
        units: Units::Only(Vec::new()),
    }
}

/// Commits `fact` as the node itself, typed through `origin` (`noeud`,
/// `lien`, `api`). False when the book refuses it (another round or
/// process recorded it first, or it no longer makes sense): not an error.
pub(super) async fn commit_as_node(
    state: &AppState,
    origin: &'static str,
    fact: MessageFact,
) -> Result<bool, AppError> {
    match state
        .message_commit(&node_reader(), Actor::System, origin, fact)
        .await
    {
        Ok(()) => Ok(true),
        Err(AppError::Refused(reason)) => {
            tracing::debug!(%reason, origin, "messaging fact of the node refused");
            Ok(false)
        }
        Err(error) => Err(error),
    }
}

/// The notification hook: the messaging settings', else the continuity
/// plan's alert hook (with the default timeout), else none.
pub(super) fn notification_hook(state: &AppState) -> Option<HookSpec> {
    if let Some(hook) = &state.messages().settings().hook {
        return Some(HookSpec {
            program: PathBuf::from(&hook.program),
            args: hook.args.clone(),
            timeout: Duration::from_secs(hook.timeout_s),
        });
    }
    let plan_hook = state.config().plan.crisis.hook.as_ref()?;
    Some(HookSpec {
        program: PathBuf::from(&plan_hook.program),
        args: plan_hook.args.clone(),
        timeout: DEFAULT_HOOK_TIMEOUT,
    })
}

/// Runs `notice` through the hook; the failure in words (French) if any.
pub(super) async fn notify(hook: Option<&HookSpec>, notice: &HookNotice) -> Option<String> {
    let Some(hook) = hook else {
        return Some(NO_HOOK.to_owned());
    };
    match run_notice(hook, notice).await {
        Ok(_) => None,
        Err(error) => {
            tracing::warn!(%error, "notification hook failed");
            Some(error.to_string())
        }
    }
}

/// One silent recipient as the hook is told about them.
struct Silent {
    login: String,
    name: String,
    /// From the roster entry naming this login (`identifiant`), if any.
    phone: Option<String>,
}

/// Runs the hook for the silent recipients of `due`'s broadcast and
/// returns the fact recording how it went.
async fn hook_stage(state: &AppState, people: &People, due: Due) -> Result<MessageFact, AppError> {
    let (notice, phones) = {
        let book = state.messages_book().await?;
        let Some((_, broadcast)) = book.broadcast(&due.broadcast.0) else {
            return Ok(due.failed("diffusion introuvable".to_owned()));
        };
        let settings = state.messages().settings();
        let silent: Vec<Silent> = due
            .pending
            .iter()
            .map(|login| Silent {
                login: login.clone(),
                name: broadcast
                    .spec
                    .recipients
                    .iter()
                    .find(|r| r.login == *login)
                    .map_or_else(|| people.name(login), |r| r.name.clone()),
                phone: settings.phone_of_login(login).map(str::to_owned),
            })
            .collect();
        let fmt = Fmt {
            tr: Tr(Lang::Fr),
            zone: &state.config().zone,
            now_ms: state.now_ms(),
        };
        let phones: Vec<String> = silent.iter().filter_map(|s| s.phone.clone()).collect();
        (escalation_notice(&fmt, broadcast, &silent), phones)
    };
    let hook = notification_hook(state);
    let failure = notify(hook.as_ref(), &notice).await;
    let fact = MessageFact::Escalated {
        id: due.broadcast,
        stage: EscalationStage::Hook,
        pending: due.pending,
        notified: phones,
        failure,
    };
    Ok(fact)
}

/// What the hook is told of an escalated broadcast: in the environment
/// `CKISA_NOTIF_TYPE=escalade`, `CKISA_NOTIF_DIFFUSION`, `CKISA_NOTIF_TEXTE`,
/// `CKISA_NOTIF_PRIORITE`, `CKISA_NOTIF_DESTINATAIRES` (the phone numbers
/// known, comma-separated); on standard input the same with every silent
/// recipient's login, name and phone (null when unknown).
fn escalation_notice(
    fmt: &Fmt<'_>,
    broadcast: &ckisa_messaging::book::BroadcastState,
    silent: &[Silent],
) -> HookNotice {
    let spec = &broadcast.spec;
    let phones: Vec<&str> = silent.iter().filter_map(|s| s.phone.as_deref()).collect();
    let recipients: Vec<serde_json::Value> = silent
        .iter()
        .map(|s| json!({ "login": s.login, "nom": s.name, "telephone": s.phone }))
        .collect();
    let json = json!({
        "type": "escalade",
        "diffusion": spec.id.0,
        "priorite": spec.priority.code(),
        "texte": spec.text,
        "envoyee": fmt.wall(broadcast.sent_ms),
        "envoyee_ms": broadcast.sent_ms,
        "destinataires": recipients,
    });
    let env = [
        ("CKISA_NOTIF_TYPE", "escalade".to_owned()),
        ("CKISA_NOTIF_DIFFUSION", spec.id.0.clone()),
        ("CKISA_NOTIF_TEXTE", spec.text.clone()),
        ("CKISA_NOTIF_PRIORITE", spec.priority.code().to_owned()),
        ("CKISA_NOTIF_DESTINATAIRES", phones.join(",")),
    ];
    notice(env, &json)
}

/// A notice of the hook: `env` in its environment, `json` on its standard
/// input.
pub(super) fn notice(
    env: impl IntoIterator<Item = (&'static str, String)>,
    json: &serde_json::Value,
) -> HookNotice {
    HookNotice {
        env: env
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
        json: json.to_string(),
    }
}
