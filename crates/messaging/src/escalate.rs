//! Which broadcasts escalate now: the recipients who have not acknowledged
//! a broadcast after its delays are reported to their unit managers, then
//! handed to the notification hook.
//!
//! Pure: the caller gives the time and the unit managers, runs the hook,
//! and records each [`Due`] as a [`MessageFact::Escalated`], which marks the
//! stage as done so the next round does not repeat it.

use ckisa_domain::{EscalationStage, ItemId, MessageFact};

use crate::book::{BroadcastState, MessageBook};

const MINUTE_MS: i64 = 60_000;

/// A stage of a broadcast's escalation due now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The broadcast.
    pub broadcast: ItemId,
    /// Which stage.
    pub stage: EscalationStage,
    /// The recipients who have not acknowledged, by login, in the order sent.
    pub pending: Vec<String>,
    /// Who is told: the unit managers of the pending recipients' units for
    /// [`EscalationStage::Managers`]; empty for [`EscalationStage::Hook`],
    /// which the caller fills with the phone numbers it gave the hook.
    pub notified: Vec<String>,
}

impl Due {
    /// The fact recording this stage as failed, with why (French).
    pub fn failed(self, reason: String) -> MessageFact {
        MessageFact::Escalated {
            id: self.broadcast,
            stage: self.stage,
            pending: self.pending,
            notified: self.notified,
            failure: Some(reason),
        }
    }
}

impl From<Due> for MessageFact {
    fn from(due: Due) -> MessageFact {
        MessageFact::Escalated {
            id: due.broadcast,
            stage: due.stage,
            pending: due.pending,
            notified: due.notified,
            failure: None,
        }
    }
}

/// The escalation stages due at `now_ms`, in broadcast order, the managers'
/// stage of a broadcast before its hook stage. `managers(unit)` gives the
/// logins of a unit's managers.
///
/// A stage is due once its delay after the sending has fully passed
/// (`now_ms >= sent + delay`), some recipients have not acknowledged, and it
/// has not run yet. The hook stage waits for the managers' stage, unless the
/// broadcast has no managers' delay; after a long pause both come at once.
pub fn due(book: &MessageBook, now_ms: i64, managers: &dyn Fn(&str) -> Vec<String>) -> Vec<Due> {
    let mut found = Vec::new();
    for broadcast in book.broadcasts() {
        let pending = broadcast.pending();
        if pending.is_empty() {
            continue;
        }
        let pending: Vec<String> = pending.into_iter().map(str::to_owned).collect();
        let spec = &broadcast.spec;
        let managers_due = !broadcast.escalated(EscalationStage::Managers)
            && passed(broadcast, spec.manager_after_min, now_ms);
        if managers_due {
            found.push(Due {
                broadcast: spec.id.clone(),
                stage: EscalationStage::Managers,
                pending: pending.clone(),
                notified: unit_managers(broadcast, &pending, managers),
            });
        }
        let managers_done = spec.manager_after_min.is_none()
            || managers_due
            || broadcast.escalated(EscalationStage::Managers);
        if managers_done
            && !broadcast.escalated(EscalationStage::Hook)
            && passed(broadcast, spec.hook_after_min, now_ms)
        {
            found.push(Due {
                broadcast: spec.id.clone(),
                stage: EscalationStage::Hook,
                pending,
                notified: Vec::new(),
            });
        }
    }
    found
}

/// Whether `delay_min` after the sending has passed at `now_ms` (never
/// without a delay).
fn passed(broadcast: &BroadcastState, delay_min: Option<u32>, now_ms: i64) -> bool {
    delay_min.is_some_and(|minutes| {
        let due_ms = broadcast
            .sent_ms
            .saturating_add(i64::from(minutes) * MINUTE_MS);
        now_ms >= due_ms
    })
}

/// The managers of the units of the pending recipients, each once, in the
/// order met.
fn unit_managers(
    broadcast: &BroadcastState,
    pending: &[String],
    managers: &dyn Fn(&str) -> Vec<String>,
) -> Vec<String> {
    let mut units: Vec<&str> = Vec::new();
    for recipient in &broadcast.spec.recipients {
        if !pending.contains(&recipient.login) {
            continue;
        }
        for unit in &recipient.units {
            if !units.contains(&unit.as_str()) {
                units.push(unit);
            }
        }
    }
    let mut notified: Vec<String> = Vec::new();
    for unit in units {
        for login in managers(unit) {
            if !notified.contains(&login) {
                notified.push(login);
            }
        }
    }
    notified
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::event;
    use ckisa_domain::{Broadcast, Priority, Recipient};

    const SENT: i64 = 1_796_367_600_000;
    const MIN: i64 = 60_000;

    fn recipient(login: &str, units: &[&str]) -> Recipient {
        Recipient {
            login: login.into(),
            name: login.into(),
            role: "infirmier".into(),
            units: units.iter().map(|u| (*u).to_owned()).collect(),
        }
    }

    /// A book with one broadcast sent at `SENT` to a nurse of CARDIO, one
    /// of CARDIO and REA, and one of REA.
    fn book(manager: Option<u32>, hook: Option<u32>) -> MessageBook {
        let mut book = MessageBook::new(Vec::new());
        book.apply(&event(
            "directeur",
            SENT,
            MessageFact::BroadcastSent(Broadcast {
                id: ItemId("b1".into()),
                priority: Priority::Urgent,
                text: "Confinement".into(),
                roles: vec!["infirmier".into()],
                units: Vec::new(),
                everyone: false,
                recipients: vec![
                    recipient("ide1", &["CARDIO"]),
                    recipient("ide2", &["CARDIO", "REA"]),
                    recipient("ide3", &["REA"]),
                ],
                manager_after_min: manager,
                hook_after_min: hook,
            }),
        ));
        book
    }

    fn managers(unit: &str) -> Vec<String> {
        match unit {
            "CARDIO" => vec!["cadre-cardio".into(), "cadre-nuit".into()],
            "REA" => vec!["cadre-rea".into(), "cadre-nuit".into()],
            _ => Vec::new(),
        }
    }

    fn stages(found: &[Due]) -> Vec<EscalationStage> {
        found.iter().map(|d| d.stage).collect()
    }

    fn acknowledge(book: &mut MessageBook, login: &str, at_ms: i64) {
        book.apply(&event(
            login,
            at_ms,
            MessageFact::BroadcastAcknowledged {
                id: ItemId("b1".into()),
            },
        ));
    }

    fn record(book: &mut MessageBook, found: Vec<Due>, at_ms: i64) {
        for due in found {
            book.apply(&event("", at_ms, due.into()));
        }
    }

    #[test]
    fn managers_are_told_exactly_at_the_delay_not_a_millisecond_before() {
        let book = book(Some(10), Some(20));
        assert!(due(&book, SENT + 10 * MIN - 1, &managers).is_empty());
        let found = due(&book, SENT + 10 * MIN, &managers);
        assert_eq!(
            found,
            vec![Due {
                broadcast: ItemId("b1".into()),
                stage: EscalationStage::Managers,
                pending: vec!["ide1".into(), "ide2".into(), "ide3".into()],
                notified: vec![
                    "cadre-cardio".into(),
                    "cadre-nuit".into(),
                    "cadre-rea".into()
                ],
            }]
        );
    }

    #[test]
    fn only_the_units_of_the_silent_are_escalated_and_a_stage_runs_once() {
        let mut book = book(Some(10), Some(20));
        acknowledge(&mut book, "ide2", SENT + 2 * MIN);
        acknowledge(&mut book, "ide3", SENT + 3 * MIN);
        let found = due(&book, SENT + 10 * MIN, &managers);
        assert_eq!(found[0].pending, ["ide1"]);
        assert_eq!(found[0].notified, ["cadre-cardio", "cadre-nuit"]);
        record(&mut book, found, SENT + 10 * MIN);
        assert!(due(&book, SENT + 15 * MIN, &managers).is_empty());

        let found = due(&book, SENT + 20 * MIN, &managers);
        assert_eq!(stages(&found), [EscalationStage::Hook]);
        assert_eq!(found[0].pending, ["ide1"]);
        assert!(found[0].notified.is_empty());
        record(&mut book, found, SENT + 20 * MIN);
        assert!(due(&book, SENT + 500 * MIN, &managers).is_empty());
    }

    #[test]
    fn an_acknowledgement_before_the_delay_stops_everything() {
        let mut book = book(Some(10), Some(20));
        for login in ["ide1", "ide2", "ide3"] {
            acknowledge(&mut book, login, SENT + 9 * MIN);
        }
        assert!(due(&book, SENT + 60 * MIN, &managers).is_empty());
    }

    #[test]
    fn after_a_long_pause_both_stages_come_at_once_managers_first() {
        let book = book(Some(10), Some(20));
        let found = due(&book, SENT + 45 * MIN, &managers);
        assert_eq!(
            stages(&found),
            [EscalationStage::Managers, EscalationStage::Hook]
        );
        assert_eq!(found[1].pending, found[0].pending);
    }

    #[test]
    fn the_hook_waits_for_the_managers_unless_there_is_no_managers_stage() {
        // A hook delay shorter than the managers' still waits for them.
        let book_short_hook = book(Some(30), Some(5));
        assert!(due(&book_short_hook, SENT + 10 * MIN, &managers).is_empty());

        let direct = book(None, Some(20));
        assert!(due(&direct, SENT + 20 * MIN - 1, &managers).is_empty());
        assert_eq!(
            stages(&due(&direct, SENT + 20 * MIN, &managers)),
            [EscalationStage::Hook]
        );
    }

    #[test]
    fn no_delays_no_escalation() {
        let silent = book(None, None);
        assert!(due(&silent, SENT + 10_000 * MIN, &managers).is_empty());
        let managers_only = book(Some(10), None);
        assert_eq!(
            stages(&due(&managers_only, SENT + 10_000 * MIN, &managers)),
            [EscalationStage::Managers]
        );
    }

    #[test]
    fn a_failed_hook_is_recorded_as_run() {
        let mut book = book(None, Some(1));
        let found = due(&book, SENT + MIN, &managers);
        let fact = found[0].clone().failed("passerelle SMS injoignable".into());
        assert!(matches!(
            &fact,
            MessageFact::Escalated { failure: Some(reason), .. } if reason.contains("SMS")
        ));
        book.apply(&event("", SENT + MIN, fact));
        assert!(due(&book, SENT + 2 * MIN, &managers).is_empty());
        let (_, state) = book.broadcast("b1").unwrap();
        assert_eq!(
            state.escalations[0].failure.as_deref(),
            Some("passerelle SMS injoignable")
        );
    }
}
