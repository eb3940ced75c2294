//! Texts of the crisis journal pages (main courante, decisions, tasks),
//! French and English; see `crate::i18n`.

use crate::i18n::Catalog;

/// Keys sorted; checked by the i18n tests.
pub(crate) const CATALOG: Catalog = &[
    (
        "decision.empty",
        [
            "Aucune décision pour cette période.",
            "No decision for this period.",
        ],
    ),
    ("decision.field_decided_by", ["Décideur", "Decided by"]),
    ("decision.field_decision", ["Décision", "Decision"]),
    ("decision.field_follow_up", ["Suites", "What follows"]),
    ("decision.field_rationale", ["Motif", "Rationale"]),
    (
        "decision.list_title",
        ["Décisions prises", "Decisions taken"],
    ),
    ("decision.new_title", ["Nouvelle décision", "New decision"]),
    ("decision.recorded_by", ["Enregistrée par", "Recorded by"]),
    (
        "decision.submit",
        ["Enregistrer la décision", "Record the decision"],
    ),
    (
        "decision.task_hint",
        [
            "Facultatif : remplissez ces champs pour créer en même temps une tâche qui découle de la décision.",
            "Optional: fill in these fields to create, at the same time, a task that follows from the decision.",
        ],
    ),
    ("decision.task_legend", ["Créer une tâche", "Create a task"]),
    (
        "decision.tasks",
        [
            "Tâches issues de cette décision :",
            "Tasks following from this decision:",
        ],
    ),
    ("decision.title", ["Décisions", "Decisions"]),
    ("decision.when", ["Enregistrée le", "Recorded at"]),
    (
        "journal.cancel_correction",
        ["Annuler la correction", "Cancel the correction"],
    ),
    ("journal.correct", ["Corriger", "Correct"]),
    (
        "journal.correct_hint",
        [
            "L'entrée d'origine reste telle qu'elle a été écrite ; votre correction est une nouvelle entrée qui la cite.",
            "The original entry stays as written; your correction is a new entry that refers to it.",
        ],
    ),
    (
        "journal.correct_title",
        ["Corriger une entrée", "Correct an entry"],
    ),
    (
        "journal.corrected_by",
        ["Corrigée par l'entrée de", "Corrected by the entry of"],
    ),
    (
        "journal.corrects",
        ["Corrige l'entrée de", "Corrects the entry of"],
    ),
    ("journal.entries", ["Entrées", "Entries"]),
    (
        "journal.error_required",
        [
            "le champ « {field} » est obligatoire",
            "the field “{field}” is required",
        ],
    ),
    (
        "journal.error_too_long",
        [
            "le champ « {field} » dépasse {max} caractères ({length})",
            "the field “{field}” is longer than {max} characters ({length})",
        ],
    ),
    (
        "journal.error_unknown_entry",
        [
            "l'entrée à corriger n'existe pas : ouvrez la correction depuis le lien « Corriger » de l'entrée",
            "the entry to correct does not exist: open the correction from the entry's “Correct” link",
        ],
    ),
    ("journal.field_text", ["Texte", "Text"]),
    (
        "journal.log_empty",
        [
            "Aucune entrée pour cette période.",
            "No entry for this period.",
        ],
    ),
    ("journal.log_title", ["Main courante", "Crisis log"]),
    ("journal.new_title", ["Nouvelle entrée", "New entry"]),
    (
        "journal.newest_first",
        ["Afficher les plus récentes d'abord", "Show newest first"],
    ),
    (
        "journal.no_crisis",
        [
            "Aucune crise n'est ouverte : ce qui est écrit maintenant est conservé et rangé « hors crise ».",
            "No crisis is open: what is written now is kept and filed “outside any crisis”.",
        ],
    ),
    (
        "journal.oldest_first",
        ["Afficher les plus anciennes d'abord", "Show oldest first"],
    ),
    ("journal.period_all", ["Toutes les périodes", "All periods"]),
    (
        "journal.period_closed",
        [
            "Crise du {since} au {until}",
            "Crisis from {since} to {until}",
        ],
    ),
    (
        "journal.period_current",
        [
            "Crise en cours (depuis le {since})",
            "Current crisis (since {since})",
        ],
    ),
    (
        "journal.period_outside",
        ["Hors crise", "Outside any crisis"],
    ),
    (
        "journal.period_shown",
        ["Période affichée :", "Period shown:"],
    ),
    ("journal.periods", ["Périodes", "Periods"]),
    (
        "journal.submit",
        ["Enregistrer dans la main courante", "Record in the log"],
    ),
    (
        "journal.tabs",
        [
            "Main courante, décisions et tâches",
            "Log, decisions and tasks",
        ],
    ),
    ("task.assignee", ["Pour", "For"]),
    ("task.back", ["← Toutes les tâches", "← All tasks"]),
    (
        "task.closed_empty",
        [
            "Aucune tâche faite ou annulée.",
            "No done or cancelled task.",
        ],
    ),
    (
        "task.closed_title",
        ["Tâches faites ou annulées", "Done or cancelled tasks"],
    ),
    ("task.created", ["Créée", "Created"]),
    ("task.created_by", ["{time} par {who}", "{time} by {who}"]),
    ("task.decision", ["Décision", "Decision"]),
    (
        "task.due_bad_delay",
        [
            "délai illisible « {text} » : écrivez par exemple +2h, +1h30, +30min ou +1j",
            "unreadable delay “{text}”: write for instance +2h, +1h30, +30min or +1j (days)",
        ],
    ),
    (
        "task.due_hint",
        [
            "Une date et une heure (16/03/2024 14:30), une heure d'aujourd'hui (14:30) ou un délai (+2h, +30min) ; heure de Paris.",
            "A date and time (16/03/2024 14:30), a time today (14:30) or a delay (+2h, +30min); Paris time.",
        ],
    ),
    (
        "task.due_no_such_day",
        [
            "le {text} n'existe pas dans le calendrier",
            "{text} is not a calendar date",
        ],
    ),
    (
        "task.due_no_such_time",
        [
            "heure impossible « {text} » : les heures vont de 00:00 à 23:59",
            "impossible time “{text}”: times run from 00:00 to 23:59",
        ],
    ),
    (
        "task.due_no_time",
        [
            "il manque l'heure de l'échéance : écrivez par exemple « {text} 14:30 »",
            "the deadline has no time: write for instance “{text} 14:30”",
        ],
    ),
    (
        "task.due_passed_today",
        [
            "{time} est déjà passé aujourd'hui (il est {now}) : pour demain, écrivez {tomorrow}",
            "{time} has already passed today (it is {now}): for tomorrow, write {tomorrow}",
        ],
    ),
    (
        "task.due_past",
        [
            "l'échéance {text} est déjà passée",
            "the deadline {text} has already passed",
        ],
    ),
    (
        "task.due_placeholder",
        [
            "14:30, +2h ou 16/03/2024 08:00",
            "14:30, +2h or 16/03/2024 08:00",
        ],
    ),
    (
        "task.due_too_far",
        [
            "échéance « {text} » trop lointaine : un an au plus",
            "deadline “{text}” too far ahead: one year at most",
        ],
    ),
    (
        "task.due_unreadable",
        [
            "échéance illisible « {text} » : écrivez une date et une heure (16/03/2024 14:30), une heure d'aujourd'hui (14:30) ou un délai (+2h, +30min)",
            "unreadable deadline “{text}”: write a date and time (16/03/2024 14:30), a time today (14:30) or a delay (+2h, +30min)",
        ],
    ),
    (
        "task.error_cancel_reason",
        [
            "indiquez dans la note pourquoi la tâche est annulée",
            "say in the note why the task is cancelled",
        ],
    ),
    (
        "task.error_cannot_follow",
        [
            "« {who} » ne peut pas suivre de tâche dans la capsule de crise (administration des comptes ou observation d'exercice) : confiez-la à un autre rôle ou à une autre personne.",
            "“{who}” cannot follow tasks in the crisis capsule (account administration or exercise observation): assign it to another role or person.",
        ],
    ),
    (
        "task.error_decide_only",
        [
            "seules la direction et la cellule de crise peuvent réattribuer une tâche ou changer son échéance",
            "only the crisis director and the crisis cell may reassign a task or move its deadline",
        ],
    ),
    (
        "task.error_no_kind",
        [
            "choisissez à qui confier la tâche : une personne, un rôle ou une unité",
            "choose who the task is for: a person, a role or a unit",
        ],
    ),
    (
        "task.error_no_target",
        [
            "indiquez à qui la tâche est confiée : identifiant de connexion, code du rôle ou code de l'unité",
            "say who the task is for: login, role code or unit code",
        ],
    ),
    (
        "task.error_not_yours",
        [
            "cette tâche est confiée à {assignee} : vous ne pouvez la mettre à jour que si elle vous est confiée, à votre rôle ou à l'une de vos unités",
            "this task is for {assignee}: you may update it only if it is for you, your role or one of your units",
        ],
    ),
    (
        "task.error_nothing",
        [
            "rien à enregistrer : changez le statut, ajoutez une note ou modifiez l'attribution",
            "nothing to record: change the status, add a note or change the assignment",
        ],
    ),
    (
        "task.error_person_disabled",
        [
            "le compte « {login} » est désactivé : confiez la tâche à quelqu'un d'autre",
            "the account “{login}” is disabled: give the task to someone else",
        ],
    ),
    (
        "task.error_person_unknown",
        [
            "aucun compte « {login} » : indiquez l'identifiant de connexion de la personne",
            "no account “{login}”: give the person's login",
        ],
    ),
    (
        "task.error_role_unknown",
        [
            "« {role} » n'est pas un rôle ; rôles possibles : {roles}",
            "“{role}” is not a role; roles: {roles}",
        ],
    ),
    (
        "task.error_status",
        [
            "statut inconnu « {status} » : ouverte, en-cours, faite ou annulee",
            "unknown status “{status}”: ouverte, en-cours, faite or annulee",
        ],
    ),
    (
        "task.error_unit_unknown",
        [
            "l'unité « {unit} » n'existe pas ; unités : {units}",
            "there is no unit “{unit}”; units: {units}",
        ],
    ),
    ("task.field_detail", ["Détail", "Details"]),
    ("task.field_due", ["Échéance", "Deadline"]),
    ("task.field_kind", ["Confiée à", "Assigned to"]),
    ("task.field_note", ["Note", "Note"]),
    ("task.field_status", ["Statut", "Status"]),
    (
        "task.field_target",
        [
            "Qui (identifiant, code du rôle ou de l'unité)",
            "Who (login, role code or unit code)",
        ],
    ),
    ("task.field_title", ["Tâche", "Task"]),
    ("task.filter_any", ["Tous", "Any"]),
    (
        "task.filter_mine",
        [
            "Seulement les miennes (moi, mon rôle, mes unités)",
            "Only mine (me, my role, my units)",
        ],
    ),
    ("task.filter_submit", ["Filtrer", "Filter"]),
    ("task.for_person", ["personne : {who}", "person: {who}"]),
    ("task.for_role", ["rôle : {role}", "role: {role}"]),
    ("task.for_unit", ["unité : {unit}", "unit: {unit}"]),
    ("task.history", ["Historique", "History"]),
    ("task.history_due", ["Nouvelle échéance", "New deadline"]),
    (
        "task.history_empty",
        [
            "Aucun changement depuis la création.",
            "No change since it was created.",
        ],
    ),
    (
        "task.history_reassigned",
        ["Réattribuée à", "Reassigned to"],
    ),
    ("task.history_when", ["Quand", "When"]),
    ("task.history_who", ["Qui", "Who"]),
    ("task.kind_person", ["Une personne", "A person"]),
    ("task.kind_role", ["Un rôle", "A role"]),
    ("task.kind_unit", ["Une unité", "A unit"]),
    ("task.late", ["en retard de {span}", "{span} late"]),
    ("task.new_due", ["Nouvelle échéance", "New deadline"]),
    ("task.new_title", ["Nouvelle tâche", "New task"]),
    ("task.no_due", ["sans échéance", "no deadline"]),
    (
        "task.open_empty",
        ["Aucune tâche à faire.", "No task to do."],
    ),
    ("task.open_title", ["Tâches à faire", "Tasks to do"]),
    (
        "task.overdue_many",
        ["{n} tâches en retard", "{n} tasks overdue"],
    ),
    ("task.overdue_one", ["1 tâche en retard", "1 task overdue"]),
    (
        "task.reassign_hint",
        [
            "Laissez vide pour garder l'attribution et l'échéance.",
            "Leave empty to keep the assignment and the deadline.",
        ],
    ),
    (
        "task.reassign_legend",
        [
            "Réattribuer ou changer l'échéance (direction et cellule de crise)",
            "Reassign or move the deadline (crisis director and cell)",
        ],
    ),
    (
        "task.see_decision",
        ["voir la décision", "see the decision"],
    ),
    ("task.status_cancelled", ["Annulée", "Cancelled"]),
    ("task.status_done", ["Faite", "Done"]),
    ("task.status_in_progress", ["En cours", "In progress"]),
    ("task.status_open", ["Ouverte", "Open"]),
    ("task.submit", ["Créer la tâche", "Create the task"]),
    (
        "task.target_hint",
        [
            "Personne : son identifiant de connexion ; rôle : infirmier, cadre, pharmacien… ; unité : son code (REA, URG…).",
            "Person: their login; role: infirmier, cadre, pharmacien…; unit: its code (REA, URG…).",
        ],
    ),
    ("task.title", ["Tâches", "Tasks"]),
    (
        "task.update_submit",
        ["Enregistrer le suivi", "Record the update"],
    ),
    ("task.update_title", ["Mettre à jour", "Update"]),
];
