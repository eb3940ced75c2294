//! Texts of the after-action report pages and PDF (French, English); see
//! `crate::i18n`.

use crate::i18n::Catalog;

/// Keys sorted; checked by the i18n tests.
pub(crate) const CATALOG: Catalog = &[
    (
        "report.alert_feed_rate",
        ["débit du flux effondré", "feed rate collapsed"],
    ),
    (
        "report.alert_feed_silent",
        ["flux silencieux", "feed silent"],
    ),
    ("report.alert_pdma", ["PDMA dépassée", "RPO exceeded"]),
    ("report.alert_probe", ["sonde en échec", "probe failing"]),
    ("report.alert_stock", ["stock bas", "low stock"]),
    ("report.chart_alert", ["Seuil d'alerte", "Alert threshold"]),
    (
        "report.chart_critical",
        ["Seuil critique", "Critical threshold"],
    ),
    ("report.closed", ["Close le", "Closed on"]),
    (
        "report.closing_reason",
        ["Motif de clôture", "Closing note"],
    ),
    ("report.col_activity", ["Activité", "Activity"]),
    ("report.col_alert", ["Alerte", "Alert"]),
    (
        "report.col_alert_at",
        ["Seuil d'alerte atteint le", "Alert threshold reached on"],
    ),
    ("report.col_breach", ["DMIA atteinte le", "RTO reached on"]),
    ("report.col_compliance", ["Conformité", "Compliance"]),
    ("report.col_counts", ["Comptages", "Counts"]),
    (
        "report.col_critical_at",
        ["Seuil critique atteint le", "Critical threshold reached on"],
    ),
    ("report.col_criticality", ["Criticité", "Criticality"]),
    ("report.col_decided_by", ["Décideur", "Decided by"]),
    ("report.col_decision", ["Décision", "Decision"]),
    ("report.col_delay", ["Retard", "Delay"]),
    ("report.col_dmia", ["DMIA", "RTO"]),
    ("report.col_due", ["Échéance", "Deadline"]),
    ("report.col_ended", ["Terminée le", "Ended on"]),
    ("report.col_event", ["Événement", "Event"]),
    ("report.col_evidence", ["Constat", "Evidence"]),
    (
        "report.col_expected",
        ["Points attendus", "Reports expected"],
    ),
    ("report.col_follow_up", ["Suites", "Follow-up"]),
    ("report.col_gap", ["Plus long silence", "Longest silence"]),
    ("report.col_last_status", ["Dernier état", "Last status"]),
    ("report.col_min", ["Minimum atteint", "Lowest count"]),
    ("report.col_outcome", ["Bilan", "Outcome"]),
    ("report.col_overrun", ["Dépassement", "Overrun"]),
    ("report.col_owner", ["Responsable", "Owner"]),
    ("report.col_raised", ["Émise le", "Raised on"]),
    ("report.col_rationale", ["Motif", "Rationale"]),
    ("report.col_received", ["Points reçus", "Reports received"]),
    ("report.col_report", ["Rapport", "Report"]),
    ("report.col_since", ["Constaté depuis", "Condition since"]),
    ("report.col_state", ["État à la fin", "State at the end"]),
    ("report.col_stock", ["Stock", "Stock"]),
    ("report.col_subject", ["Objet", "Subject"]),
    ("report.col_task", ["Tâche", "Task"]),
    ("report.col_text", ["Détail", "Detail"]),
    ("report.col_time", ["Horodatage", "Time"]),
    ("report.col_unit", ["Unité", "Unit"]),
    ("report.col_who", ["Par", "By"]),
    ("report.crit_important", ["importante", "important"]),
    ("report.crit_major", ["majeure", "major"]),
    ("report.crit_secondary", ["secondaire", "secondary"]),
    ("report.crit_vital", ["vitale", "vital"]),
    ("report.decisions", ["Décisions", "Decisions"]),
    (
        "report.decisions_none",
        ["Aucune décision enregistrée.", "No decision recorded."],
    ),
    ("report.declared", ["Déclarée le", "Declared on"]),
    ("report.declared_by", ["Déclarée par", "Declared by"]),
    (
        "report.delay_chart",
        [
            "Retard des tâches à échéance",
            "Delay of tasks with a deadline",
        ],
    ),
    (
        "report.delay_minutes",
        ["minutes de retard", "minutes late"],
    ),
    ("report.delay_series", ["Retard", "Delay"]),
    ("report.detection", ["Détection", "Detection"]),
    (
        "report.detection_lead",
        [
            "Première alerte {lead} avant la déclaration.",
            "First alert {lead} before the declaration.",
        ],
    ),
    (
        "report.detection_none",
        [
            "Aucune alerte ouverte avant la déclaration.",
            "No open alert before the declaration.",
        ],
    ),
    (
        "report.dmia_none",
        [
            "Le plan ne décrit aucune activité.",
            "The plan describes no activity.",
        ],
    ),
    (
        "report.dmia_title",
        ["Activités et DMIA", "Activities and RTO (DMIA)"],
    ),
    ("report.duration", ["Durée", "Duration"]),
    (
        "report.fig_cancelled",
        ["Tâches annulées", "Tasks cancelled"],
    ),
    ("report.fig_decisions", ["Décisions", "Decisions"]),
    (
        "report.fig_dmia_breached",
        [
            "Activités en dépassement de DMIA",
            "Activities past their RTO",
        ],
    ),
    ("report.fig_done", ["Tâches terminées", "Tasks done"]),
    ("report.fig_late", ["Terminées en retard", "Done late"]),
    (
        "report.fig_log",
        ["Entrées de main courante", "Crisis log entries"],
    ),
    ("report.fig_max", ["Retard maximal", "Longest delay"]),
    ("report.fig_median", ["Retard médian", "Median delay"]),
    (
        "report.fig_on_time",
        ["Terminées à l'heure", "Done on time"],
    ),
    (
        "report.fig_open",
        ["Tâches ouvertes à la fin", "Tasks open at the end"],
    ),
    (
        "report.fig_overdue",
        ["Ouvertes et en retard", "Open and overdue"],
    ),
    ("report.fig_tasks", ["Tâches créées", "Tasks created"]),
    ("report.figures", ["Chiffres clés", "Key figures"]),
    (
        "report.generated",
        ["généré le {date} à {time}", "generated on {date} at {time}"],
    ),
    (
        "report.history_empty",
        ["Aucune crise enregistrée.", "No crisis recorded."],
    ),
    (
        "report.history_title",
        ["Historique des crises", "Crisis history"],
    ),
    (
        "report.kind_alert_cleared",
        ["Fin d'alerte : {subject}", "Alert cleared: {subject}"],
    ),
    (
        "report.kind_alert_raised",
        ["Alerte ({kind}) : {subject}", "Alert ({kind}): {subject}"],
    ),
    ("report.kind_closed", ["Crise close", "Crisis closed"]),
    (
        "report.kind_correction",
        ["Correction de la main courante", "Crisis log correction"],
    ),
    (
        "report.kind_decision",
        ["Décision (par {by})", "Decision (by {by})"],
    ),
    (
        "report.kind_declared",
        [
            "Crise déclarée, niveau {level}",
            "Crisis declared, level {level}",
        ],
    ),
    (
        "report.kind_level",
        ["Passage au niveau {level}", "Level changed to {level}"],
    ),
    ("report.kind_log", ["Main courante", "Crisis log"]),
    (
        "report.kind_log_corrected",
        [
            "Main courante (corrigée plus tard)",
            "Crisis log (corrected later)",
        ],
    ),
    (
        "report.kind_recovery",
        ["Retour à la normale annoncé", "Recovery announced"],
    ),
    (
        "report.kind_stock",
        [
            "Comptage {stock} : {quantity}",
            "Count of {stock}: {quantity}",
        ],
    ),
    ("report.kind_task_created", ["Tâche créée", "Task created"]),
    (
        "report.kind_task_updated",
        ["Tâche {status}", "Task {status}"],
    ),
    (
        "report.kind_unit_report",
        [
            "Point de situation {unit} : {status}, {present}/{needed} présents",
            "Status report {unit}: {status}, {present}/{needed} present",
        ],
    ),
    (
        "report.lasted",
        [
            "La crise a duré {duration}.",
            "The crisis lasted {duration}.",
        ],
    ),
    ("report.level_max", ["Niveau maximal", "Highest level"]),
    (
        "report.level_span",
        [
            "Niveau {level} : du {from} au {to} ({span})",
            "Level {level}: from {from} to {to} ({span})",
        ],
    ),
    ("report.link_pdf", ["PDF", "PDF"]),
    (
        "report.link_provisional",
        ["Rapport provisoire", "Provisional report"],
    ),
    ("report.link_web", ["Rapport", "Report"]),
    (
        "report.min_at",
        [
            "{quantity} {measure} le {time}",
            "{quantity} {measure} on {time}",
        ],
    ),
    ("report.no_count", ["aucun comptage", "no count"]),
    ("report.no_deadline", ["sans échéance", "no deadline"]),
    ("report.none", ["—", "—"]),
    (
        "report.none_expected",
        ["aucun point attendu", "no report expected"],
    ),
    ("report.not_reached", ["non atteint", "not reached"]),
    ("report.ongoing", ["en cours", "ongoing"]),
    ("report.outcome_cancelled", ["annulée", "cancelled"]),
    ("report.outcome_late", ["terminée en retard", "done late"]),
    (
        "report.outcome_on_time",
        ["terminée à l'heure", "done on time"],
    ),
    (
        "report.outcome_open",
        ["ouverte à la fin", "open at the end"],
    ),
    (
        "report.outcome_overdue",
        [
            "ouverte et en retard à la fin",
            "open and overdue at the end",
        ],
    ),
    ("report.owner_unit", ["unité {unit}", "unit {unit}"]),
    (
        "report.pdf_link",
        [
            "Télécharger le rapport en PDF",
            "Download the report as PDF",
        ],
    ),
    (
        "report.provisional",
        [
            "La crise est en cours : chiffres arrêtés au {now}, ils changeront d'ici la clôture.",
            "The crisis is ongoing: figures as of {now}, they will change until it is closed.",
        ],
    ),
    (
        "report.provisional_label",
        ["Rapport provisoire.", "Provisional report."],
    ),
    ("report.rag_green", ["vert", "green"]),
    ("report.rag_orange", ["orange", "orange"]),
    ("report.rag_red", ["rouge", "red"]),
    ("report.reason", ["Motif", "Reason"]),
    (
        "report.recovery",
        ["Retour à la normale annoncé le", "Recovery announced on"],
    ),
    ("report.state_green", ["dans la DMIA", "within RTO"]),
    ("report.state_orange", ["proche de la DMIA", "close to RTO"]),
    ("report.state_red", ["DMIA dépassée", "RTO exceeded"]),
    ("report.status_cancelled", ["annulée", "cancelled"]),
    ("report.status_done", ["terminée", "done"]),
    ("report.status_in_progress", ["en cours", "in progress"]),
    ("report.status_open", ["rouverte", "reopened"]),
    ("report.stocks", ["Stocks critiques", "Critical stocks"]),
    (
        "report.stocks_none",
        [
            "Le plan ne décrit aucun stock critique.",
            "The plan describes no critical stock.",
        ],
    ),
    ("report.summary", ["Synthèse", "Summary"]),
    ("report.tasks", ["Tâches et retards", "Tasks and delays"]),
    (
        "report.tasks_none",
        ["Aucune tâche créée.", "No task created."],
    ),
    ("report.timeline", ["Chronologie", "Timeline"]),
    (
        "report.title",
        [
            "Retour d'expérience — crise du {date}",
            "After-action report — crisis of {date}",
        ],
    ),
    (
        "report.units",
        ["Points de situation des unités", "Unit status reports"],
    ),
    (
        "report.units_interval",
        [
            "Le plan attend un point de chaque unité toutes les {interval}.",
            "The plan expects a report from each unit every {interval}.",
        ],
    ),
];
