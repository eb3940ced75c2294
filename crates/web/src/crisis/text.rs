//! The crisis capsule's texts (lifecycle, cards, clocks, alerts, contacts,
//! banner), French and English; see `crate::i18n` for how catalogs work.
//! Page families with many texts keep their own catalog beside their code
//! (`journal_text.rs`, `dashboard_text.rs`, `report_text.rs`).

use crate::i18n::Catalog;

/// Keys sorted; checked by the i18n tests.
pub(crate) const CATALOG: Catalog = &[
    ("crisis.acknowledge", ["Pris en compte", "Acknowledge"]),
    (
        "crisis.acknowledged_by",
        ["Pris en compte par", "Acknowledged by"],
    ),
    ("crisis.activity", ["Activité", "Activity"]),
    ("crisis.alert_pdma", ["PDMA dépassée", "RPO exceeded"]),
    ("crisis.alert_probe", ["Sonde en échec", "Probe failing"]),
    (
        "crisis.alert_rate",
        ["Débit du flux effondré", "Feed rate collapsed"],
    ),
    ("crisis.alert_silent", ["Flux silencieux", "Silent feed"]),
    (
        "crisis.alert_stock",
        ["Stock sous le seuil", "Stock below threshold"],
    ),
    (
        "crisis.alert_strip",
        [
            "Alertes de panne en cours : {n} (voir Crise)",
            "Open outage alerts: {n} (see Crisis)",
        ],
    ),
    ("crisis.alerts", ["Alertes de panne", "Outage alerts"]),
    ("crisis.application", ["Application", "Application"]),
    (
        "crisis.banner",
        [
            "Crise déclarée — niveau {level} ({name})",
            "Crisis declared — level {level} ({name})",
        ],
    ),
    (
        "crisis.banner_recovery",
        [
            "Retour à la normale en cours — niveau {level} ({name})",
            "Recovery under way — level {level} ({name})",
        ],
    ),
    ("crisis.banner_since", ["depuis le", "since"]),
    ("crisis.cancel", ["Annuler", "Cancel"]),
    ("crisis.card", ["Fiche", "Card"]),
    (
        "crisis.cards_preview",
        [
            "Aperçu : les étapes se cochent une fois la crise déclarée.",
            "Preview: steps can be ticked once a crisis is declared.",
        ],
    ),
    ("crisis.clock", ["Temps écoulé", "Elapsed time"]),
    (
        "crisis.clock_left",
        ["{left} restantes sur {dmia}", "{left} left of {dmia}"],
    ),
    (
        "crisis.clock_over",
        [
            "DMIA de {dmia} dépassée de {over}",
            "RTO of {dmia} exceeded by {over}",
        ],
    ),
    (
        "crisis.clocks",
        ["Horloges des activités (DMIA)", "Activity clocks (RTO)"],
    ),
    ("crisis.close", ["Clore la crise", "Close the crisis"]),
    ("crisis.contacts", ["Annuaire de crise", "Crisis directory"]),
    (
        "crisis.contacts_hint",
        [
            "Moyens de joindre chacun, dans l'ordre où les essayer.",
            "Ways to reach each contact, in the order to try them.",
        ],
    ),
    ("crisis.criticality", ["Criticité", "Criticality"]),
    ("crisis.declare", ["Déclarer une crise", "Declare a crisis"]),
    (
        "crisis.declared_by",
        [
            "Déclarée le {when} par {who}",
            "Declared on {when} by {who}",
        ],
    ),
    ("crisis.dmia", ["DMIA", "RTO"]),
    ("crisis.elapsed", ["Durée :", "Elapsed:"]),
    ("crisis.feed", ["Flux", "Feed"]),
    ("crisis.function", ["Fonction", "Function"]),
    ("crisis.level", ["Niveau", "Level"]),
    ("crisis.level_change", ["Changer de niveau", "Change level"]),
    (
        "crisis.level_unknown",
        [
            "Choisissez un niveau prévu par le plan.",
            "Choose a level from the plan.",
        ],
    ),
    ("crisis.link_dashboard", ["Tableau de bord", "Dashboard"]),
    ("crisis.link_decisions", ["Décisions", "Decisions"]),
    (
        "crisis.link_history",
        ["Crises passées et rapports", "Past crises and reports"],
    ),
    ("crisis.link_log", ["Main courante", "Crisis log"]),
    ("crisis.link_tasks", ["Tâches", "Tasks"]),
    ("crisis.means", ["Moyens de contact", "Means of contact"]),
    (
        "crisis.my_cards",
        ["Mes fiches réflexes", "My action cards"],
    ),
    ("crisis.never_received", ["jamais reçu", "never received"]),
    (
        "crisis.no_alert",
        ["Aucune alerte en cours.", "No open alert."],
    ),
    (
        "crisis.no_card",
        [
            "Aucune fiche réflexe pour votre rôle dans le plan.",
            "No action card for your role in the plan.",
        ],
    ),
    (
        "crisis.none",
        ["Aucune crise déclarée", "No crisis declared"],
    ),
    ("crisis.pdma", ["PDMA", "RPO"]),
    (
        "crisis.pdma_none",
        [
            "Toutes les activités ont une réplique plus récente que leur PDMA.",
            "Every activity has a replica newer than its RPO.",
        ],
    ),
    (
        "crisis.pdma_title",
        ["Réplique trop ancienne (PDMA)", "Replica too old (RPO)"],
    ),
    (
        "crisis.plan_warnings",
        ["Avertissements sur le plan", "Plan warnings"],
    ),
    (
        "crisis.progress",
        ["Avancement des fiches réflexes", "Action card progress"],
    ),
    ("crisis.reason", ["Motif", "Reason"]),
    (
        "crisis.recover",
        ["Annoncer le retour à la normale", "Announce recovery"],
    ),
    ("crisis.replica_age", ["Âge de la réplique", "Replica age"]),
    ("crisis.since", ["depuis le", "since"]),
    ("crisis.steps_done", ["Étapes faites", "Steps done"]),
    ("crisis.title", ["Cellule de crise", "Crisis cell"]),
    ("crisis.unit", ["Unité", "Unit"]),
];
