//! Texts of the crisis dashboard, the unit status report form and the
//! stock counts (French, English); see `crate::i18n`.

use crate::i18n::Catalog;

/// Keys sorted; checked by the i18n tests.
pub(crate) const CATALOG: Catalog = &[
    ("dashboard.acknowledged", ["vue", "seen"]),
    (
        "dashboard.admissions",
        [
            "Admissions depuis la déclaration",
            "Admissions since the declaration",
        ],
    ),
    ("dashboard.alert_evidence", ["Éléments", "Evidence"]),
    (
        "dashboard.alert_feed_rate_low",
        ["Débit de flux effondré", "Feed rate collapsed"],
    ),
    (
        "dashboard.alert_feed_silent",
        ["Flux silencieux", "Feed silent"],
    ),
    ("dashboard.alert_kind", ["Alerte", "Alert"]),
    (
        "dashboard.alert_pdma_exceeded",
        ["PDMA dépassée", "Data loss limit (PDMA) exceeded"],
    ),
    (
        "dashboard.alert_probe_failed",
        ["Sonde en échec", "Probe failing"],
    ),
    ("dashboard.alert_since", ["Depuis", "Since"]),
    ("dashboard.alert_stock_low", ["Stock bas", "Stock low"]),
    ("dashboard.alert_subject", ["Objet", "Subject"]),
    ("dashboard.alerts", ["Alertes", "Alerts"]),
    (
        "dashboard.alerts_tally",
        ["Alertes ouvertes : {open}", "Open alerts: {open}"],
    ),
    ("dashboard.all_alerts", ["Toutes les alertes", "All alerts"]),
    ("dashboard.all_tasks", ["Toutes les tâches", "All tasks"]),
    ("dashboard.bed_type", ["Type de lits", "Bed type"]),
    (
        "dashboard.bed_types",
        ["Lits libres par type", "Free beds by type"],
    ),
    ("dashboard.beds", ["Lits", "Beds"]),
    ("dashboard.code", ["Code", "Code"]),
    ("dashboard.consumption", ["Consommation", "Consumption"]),
    (
        "dashboard.count_stocks",
        ["Compter les stocks critiques", "Count critical stocks"],
    ),
    ("dashboard.counted", ["le {at} par {by}", "{at} by {by}"]),
    (
        "dashboard.crisis",
        [
            "Crise en cours : niveau {level} ({name}), déclarée le {since}, depuis {span}",
            "Crisis under way: level {level} ({name}), declared {since}, for {span}",
        ],
    ),
    (
        "dashboard.crisis_recovery",
        [
            "Retour à la normale en cours : niveau {level} ({name}), crise déclarée le {since}, depuis {span}",
            "Recovery under way: level {level} ({name}), crisis declared {since}, for {span}",
        ],
    ),
    ("dashboard.days", ["{n} j", "{n} d"]),
    ("dashboard.days_left", ["Jours restants", "Days left"]),
    (
        "dashboard.discharges",
        [
            "Sorties depuis la déclaration",
            "Discharges since the declaration",
        ],
    ),
    (
        "dashboard.establishment",
        ["Établissement", "Establishment"],
    ),
    ("dashboard.free", ["Libres", "Free"]),
    (
        "dashboard.in_house",
        ["Patients présents", "Patients in house"],
    ),
    ("dashboard.last_count", ["Dernier comptage", "Last count"]),
    ("dashboard.last_report", ["Dernier point", "Last report"]),
    ("dashboard.late_by", ["Retard", "Late by"]),
    ("dashboard.level", ["Niveau", "Level"]),
    ("dashboard.level_alert", ["Alerte", "Alert"]),
    ("dashboard.level_critical", ["Critique", "Critical"]),
    ("dashboard.level_normal", ["Normal", "Normal"]),
    ("dashboard.level_unknown", ["Inconnu", "Unknown"]),
    ("dashboard.live", ["Mise à jour en direct", "Live updates"]),
    (
        "dashboard.lost",
        [
            "Connexion perdue : le tableau n'est plus mis à jour, nouvelle tentative en cours",
            "Connection lost: the dashboard is not updating, trying again",
        ],
    ),
    ("dashboard.more", ["… et {n} de plus", "… and {n} more"]),
    ("dashboard.needs", ["Besoins", "Needs"]),
    (
        "dashboard.never_counted",
        ["Jamais compté", "Never counted"],
    ),
    (
        "dashboard.never_since_declared",
        [
            "Aucun point depuis la déclaration, il y a {span}",
            "No report since the declaration, {span} ago",
        ],
    ),
    (
        "dashboard.no_crisis",
        ["Aucune crise déclarée", "No crisis declared"],
    ),
    (
        "dashboard.no_report_for",
        ["Pas de point depuis {span}", "No report for {span}"],
    ),
    (
        "dashboard.no_stock",
        [
            "Le plan de continuité ne déclare aucun stock critique.",
            "The continuity plan declares no critical stock.",
        ],
    ),
    (
        "dashboard.no_unit",
        ["Aucune unité connue.", "No unit known."],
    ),
    ("dashboard.occupancy", ["Occupation", "Occupancy"]),
    ("dashboard.occupied", ["Occupés", "Occupied"]),
    (
        "dashboard.overdue",
        [
            "Tâches en retard, les plus récentes d'abord",
            "Overdue tasks, newest first",
        ],
    ),
    ("dashboard.owner", ["Pour", "Owner"]),
    ("dashboard.owner_unit", ["unité {unit}", "unit {unit}"]),
    (
        "dashboard.per_day_observed",
        [
            "{n} {measure} par jour (observé)",
            "{n} {measure} a day (observed)",
        ],
    ),
    (
        "dashboard.per_day_plan",
        [
            "{n} {measure} par jour (plan)",
            "{n} {measure} a day (plan)",
        ],
    ),
    ("dashboard.percent", ["{n} %", "{n}%"]),
    ("dashboard.quantity", ["Quantité", "Quantity"]),
    ("dashboard.rag_green", ["Vert", "Green"]),
    ("dashboard.rag_orange", ["Orange", "Orange"]),
    ("dashboard.rag_red", ["Rouge", "Red"]),
    (
        "dashboard.report_awaited",
        ["Premier point attendu", "First report awaited"],
    ),
    (
        "dashboard.report_for",
        ["Faire le point d'une unité :", "Report a unit's status:"],
    ),
    (
        "dashboard.reported",
        ["il y a {span}, par {by}", "{span} ago, by {by}"],
    ),
    (
        "dashboard.reports_not_expected",
        [
            "Hors crise, les unités ne font pas de point de situation.",
            "Outside a crisis, units send no status report.",
        ],
    ),
    (
        "dashboard.reports_tally",
        [
            "Points de situation (un toutes les {interval}) : {on_time} à jour, {late} en retard, {awaited} en attente",
            "Status reports (one every {interval}): {on_time} up to date, {late} late, {awaited} awaited",
        ],
    ),
    (
        "dashboard.snapshot",
        [
            "Tableau au moment du chargement de la page",
            "Dashboard as of page load",
        ],
    ),
    (
        "dashboard.staff",
        [
            "Effectif (présents / nécessaires)",
            "Staff (present / needed)",
        ],
    ),
    (
        "dashboard.stamp",
        ["Mis à jour à {time}", "Updated at {time}"],
    ),
    ("dashboard.status", ["État", "Status"]),
    ("dashboard.stock", ["Stock", "Stock"]),
    ("dashboard.stocks", ["Stocks critiques", "Critical stocks"]),
    ("dashboard.task", ["Tâche", "Task"]),
    ("dashboard.tasks", ["Tâches", "Tasks"]),
    (
        "dashboard.tasks_tally",
        [
            "Tâches ouvertes : {open}, dont {overdue} en retard",
            "Open tasks: {open}, {overdue} overdue",
        ],
    ),
    (
        "dashboard.title",
        ["Tableau de bord de crise", "Crisis dashboard"],
    ),
    (
        "dashboard.type_critical_care",
        ["Réanimation et soins critiques", "Critical care"],
    ),
    ("dashboard.type_emergency", ["Urgences", "Emergency"]),
    (
        "dashboard.type_maternity",
        ["Maternité et naissance", "Maternity"],
    ),
    ("dashboard.type_ward", ["Hospitalisation", "Ward"]),
    ("dashboard.unit", ["Unité", "Unit"]),
    ("dashboard.units", ["Unités", "Units"]),
    (
        "point.back",
        ["Retour au tableau de bord", "Back to the dashboard"],
    ),
    ("point.by", ["Par", "By"]),
    ("point.comment", ["Commentaire", "Comment"]),
    (
        "point.error_staff",
        [
            "« {field} » doit être un nombre entier de 0 à 10 000 (saisi : « {value} »).",
            "“{field}” must be a whole number from 0 to 10,000 (typed: “{value}”).",
        ],
    ),
    (
        "point.error_staff_missing",
        ["Indiquez « {field} ».", "Fill in “{field}”."],
    ),
    (
        "point.error_status",
        [
            "Choisissez l'état de l'unité : vert, orange ou rouge.",
            "Choose the unit's status: green, orange or red.",
        ],
    ),
    (
        "point.error_too_long",
        [
            "« {field} » dépasse {max} caractères ({n}).",
            "“{field}” is longer than {max} characters ({n}).",
        ],
    ),
    (
        "point.hint_green",
        [
            "fonctionnement normal ou maîtrisé en mode dégradé",
            "working normally, or coping in degraded mode",
        ],
    ),
    ("point.hint_orange", ["fonctionnement tendu", "strained"]),
    (
        "point.hint_red",
        ["l'unité ne fait plus face", "the unit is not coping"],
    ),
    (
        "point.history",
        ["Derniers points de l'unité", "The unit's latest reports"],
    ),
    ("point.needed", ["Soignants nécessaires", "Staff needed"]),
    ("point.needs", ["Besoins", "Needs"]),
    (
        "point.no_crisis",
        [
            "Aucune crise n'est déclarée : le point sera enregistré hors crise.",
            "No crisis is declared: the report is recorded outside any crisis.",
        ],
    ),
    (
        "point.no_history",
        ["Aucun point pour cette unité.", "No report for this unit."],
    ),
    ("point.present", ["Soignants présents", "Staff present"]),
    ("point.staff", ["Effectif", "Staff"]),
    ("point.status", ["État de l'unité", "Unit status"]),
    (
        "point.submit",
        ["Enregistrer le point", "Record the report"],
    ),
    (
        "point.title",
        [
            "Point de situation : {unit} ({code})",
            "Status report: {unit} ({code})",
        ],
    ),
    ("point.when", ["Quand", "When"]),
    ("stocks.comment", ["Commentaire", "Comment"]),
    (
        "stocks.error_missing",
        [
            "Indiquez la quantité comptée pour « {stock} ».",
            "Fill in the quantity counted for “{stock}”.",
        ],
    ),
    (
        "stocks.error_negative",
        [
            "La quantité ne peut pas être négative (saisi : « {value} » pour « {stock} »).",
            "The quantity cannot be negative (typed: “{value}” for “{stock}”).",
        ],
    ),
    (
        "stocks.error_not_number",
        [
            "« {value} » n'est pas une quantité : saisissez un nombre comme 12 ou 12,5 (stock « {stock} »).",
            "“{value}” is not a quantity: type a number such as 12 or 12.5 (stock “{stock}”).",
        ],
    ),
    (
        "stocks.error_too_large",
        [
            "Quantité invraisemblable (plus d'un milliard) pour « {stock} » : « {value} ».",
            "Implausible quantity (over a billion) for “{stock}”: “{value}”.",
        ],
    ),
    (
        "stocks.error_unknown",
        [
            "Stock inconnu : « {code} » ne figure pas dans le plan de continuité.",
            "Unknown stock: “{code}” is not in the continuity plan.",
        ],
    ),
    (
        "stocks.hint",
        [
            "Saisissez la quantité comptée sur place ; la consommation et les jours restants se calculent d'un comptage à l'autre (sur 48 heures), ou d'après la consommation habituelle du plan.",
            "Type the quantity counted on site; consumption and days left are worked out from one count to the next (over 48 hours), or from the plan's usual consumption.",
        ],
    ),
    ("stocks.new_count", ["Nouveau comptage", "New count"]),
    (
        "stocks.none",
        [
            "Le plan de continuité ne déclare aucun stock critique.",
            "The continuity plan declares no critical stock.",
        ],
    ),
    (
        "stocks.quantity_in",
        ["Quantité ({measure})", "Quantity ({measure})"],
    ),
    ("stocks.submit", ["Enregistrer", "Record"]),
    (
        "stocks.thresholds",
        [
            "alerte à {alert}, critique à {critical}",
            "alert at {alert}, critical at {critical}",
        ],
    ),
    (
        "stocks.title",
        ["Stocks critiques : comptage", "Critical stocks: counts"],
    ),
];
