//! Texts of the priority broadcasts and the staff recall (`broadcast.`,
//! `recall.`), French and English; see `crate::i18n`.

use crate::i18n::Catalog;

/// Keys sorted; checked by the i18n tests.
pub(crate) const CATALOG: Catalog = &[
    (
        "broadcast.acknowledge",
        ["J'accuse réception", "I acknowledge"],
    ),
    (
        "broadcast.acknowledged_at",
        ["Réception accusée le {when}", "Acknowledged on {when}"],
    ),
    ("broadcast.all_units", ["toutes les unités", "every unit"]),
    ("broadcast.back", ["← Diffusions", "← Broadcasts"]),
    ("broadcast.col_acknowledged", ["Accusé", "Acknowledged"]),
    ("broadcast.col_author", ["Expéditeur", "Sender"]),
    ("broadcast.col_escalations", ["Escalades", "Escalations"]),
    (
        "broadcast.col_pending",
        ["Sans accusé de réception", "Not acknowledged"],
    ),
    ("broadcast.col_priority", ["Priorité", "Priority"]),
    ("broadcast.col_read", ["Lu", "Read"]),
    ("broadcast.col_recipients", ["Destinataires", "Recipients"]),
    ("broadcast.col_sent", ["Envoyée le", "Sent on"]),
    ("broadcast.col_text", ["Message", "Message"]),
    ("broadcast.col_unit", ["Unité", "Unit"]),
    ("broadcast.detail_title", ["Diffusion", "Broadcast"]),
    (
        "broadcast.done_empty",
        [
            "Aucune diffusion accusée pour l'instant.",
            "No broadcast acknowledged yet.",
        ],
    ),
    (
        "broadcast.done_title",
        [
            "Diffusions dont vous avez accusé réception",
            "Broadcasts you acknowledged",
        ],
    ),
    (
        "broadcast.error_no_target",
        [
            "Choisissez les destinataires : des rôles, des unités ou tout l'établissement.",
            "Choose the recipients: roles, units or the whole establishment.",
        ],
    ),
    (
        "broadcast.error_nobody",
        [
            "Aucun compte actif ne correspond à ces destinataires.",
            "No active account matches these recipients.",
        ],
    ),
    (
        "broadcast.error_not_your_unit",
        [
            "L'unité {unit} n'est pas dans votre périmètre : vous ne pouvez diffuser qu'à {units}.",
            "Unit {unit} is outside your scope: you may only broadcast to {units}.",
        ],
    ),
    (
        "broadcast.error_priority",
        [
            "Choisissez une priorité : information, important ou urgent.",
            "Choose a priority: information, important or urgent.",
        ],
    ),
    (
        "broadcast.error_role",
        ["Rôle inconnu : {role}.", "Unknown role: {role}."],
    ),
    (
        "broadcast.error_text",
        [
            "Le texte ne convient pas : {reason}.",
            "The text cannot be sent: {reason}.",
        ],
    ),
    (
        "broadcast.error_unit",
        ["Unité inconnue : {unit}.", "Unknown unit: {unit}."],
    ),
    (
        "broadcast.error_units_only",
        [
            "Vous ne pouvez diffuser qu'à des unités, et seulement aux vôtres : {units}.",
            "You may only broadcast to units, and only to yours: {units}.",
        ],
    ),
    (
        "broadcast.escalate_hook",
        [
            "notification externe après {n} min",
            "external notification after {n} min",
        ],
    ),
    (
        "broadcast.escalate_managers",
        [
            "cadres prévenus après {n} min",
            "unit managers told after {n} min",
        ],
    ),
    (
        "broadcast.escalate_none",
        ["pas d'escalade", "no escalation"],
    ),
    (
        "broadcast.escalated_strip",
        [
            "Diffusions non accusées dans vos unités : {n}",
            "Broadcasts not acknowledged in your units: {n}",
        ],
    ),
    ("broadcast.escalation", ["Escalade :", "Escalation:"]),
    ("broadcast.escalation_failed", ["Échec :", "Failed:"]),
    ("broadcast.escalation_nobody", ["personne", "nobody"]),
    ("broadcast.escalation_notified", ["Prévenus :", "Told:"]),
    (
        "broadcast.escalation_pending",
        [
            "Sans accusé de réception à ce moment :",
            "Not acknowledged at that time:",
        ],
    ),
    (
        "broadcast.escalations_empty",
        ["Aucune escalade pour l'instant.", "No escalation yet."],
    ),
    ("broadcast.escalations_title", ["Escalades", "Escalations"]),
    ("broadcast.field_everyone", ["Tout le monde", "Everyone"]),
    ("broadcast.field_priority", ["Priorité", "Priority"]),
    ("broadcast.field_roles", ["Rôles", "Roles"]),
    ("broadcast.field_text", ["Message", "Message"]),
    ("broadcast.field_units", ["Unités", "Units"]),
    (
        "broadcast.form_hint",
        [
            "Les destinataires sont les comptes actifs au moment de l'envoi qui ont l'un des rôles ou travaillent dans l'une des unités choisies ; chacun devra accuser réception.",
            "The recipients are the accounts active when it is sent that hold one of the roles or work in one of the units chosen; each must acknowledge it.",
        ],
    ),
    ("broadcast.from", ["De", "From"]),
    ("broadcast.inbox_title", ["Diffusions", "Broadcasts"]),
    (
        "broadcast.new_link",
        ["Nouvelle diffusion", "New broadcast"],
    ),
    (
        "broadcast.new_title",
        ["Nouvelle diffusion prioritaire", "New priority broadcast"],
    ),
    ("broadcast.no_unit", ["Sans unité", "No unit"]),
    ("broadcast.no_units", ["aucune unité", "no unit"]),
    (
        "broadcast.open",
        ["Lire et accuser réception", "Read and acknowledge"],
    ),
    (
        "broadcast.others_title",
        [
            "Diffusions des autres expéditeurs",
            "Broadcasts of other senders",
        ],
    ),
    (
        "broadcast.pending_empty",
        [
            "Aucune diffusion en attente de votre accusé de réception.",
            "No broadcast awaits your acknowledgement.",
        ],
    ),
    ("broadcast.pending_title", ["À accuser", "To acknowledge"]),
    (
        "broadcast.please_acknowledge",
        [
            "Merci d'accuser réception de cette diffusion.",
            "Please acknowledge this broadcast.",
        ],
    ),
    ("broadcast.priority_important", ["Important", "Important"]),
    (
        "broadcast.priority_information",
        ["Information", "Information"],
    ),
    ("broadcast.priority_urgent", ["Urgent", "Urgent"]),
    (
        "broadcast.recipients_count",
        ["{n} destinataire(s)", "{n} recipient(s)"],
    ),
    (
        "broadcast.send",
        ["Envoyer la diffusion", "Send the broadcast"],
    ),
    (
        "broadcast.sent_empty",
        [
            "Vous n'avez envoyé aucune diffusion.",
            "You have sent no broadcast.",
        ],
    ),
    (
        "broadcast.sent_title",
        ["Diffusions envoyées", "Broadcasts sent"],
    ),
    (
        "broadcast.stage_hook",
        [
            "Notification externe (crochet)",
            "External notification (hook)",
        ],
    ),
    (
        "broadcast.stage_managers",
        ["Cadres des unités prévenus", "Unit managers told"],
    ),
    (
        "broadcast.tally_title",
        ["Décompte par unité", "Tally per unit"],
    ),
    (
        "broadcast.tally_total",
        [
            "{recipients} destinataire(s) : {read} lu(s), {acknowledged} accusé(s) de réception",
            "{recipients} recipient(s): {read} read, {acknowledged} acknowledged",
        ],
    ),
    ("broadcast.to_acknowledge", ["À accuser", "To acknowledge"]),
    (
        "broadcast.to_everyone",
        ["Tout l'établissement", "The whole establishment"],
    ),
    ("broadcast.to_roles", ["Rôles : {list}", "Roles: {list}"]),
    ("broadcast.to_units", ["Unités : {list}", "Units: {list}"]),
    (
        "broadcast.watch_pending",
        [
            "Sans accusé de réception dans vos unités :",
            "Not acknowledged in your units:",
        ],
    ),
    (
        "broadcast.watch_since",
        ["Escaladée vers vous le", "Escalated to you on"],
    ),
    (
        "broadcast.watch_title",
        [
            "Diffusions non accusées dans vos unités",
            "Unacknowledged broadcasts in your units",
        ],
    ),
    ("recall.all_units", ["toutes les unités", "every unit"]),
    ("recall.back", ["← Rappels du personnel", "← Staff recalls"]),
    ("recall.call_done", ["appelé", "called"]),
    (
        "recall.call_failed",
        ["échec de l'appel : {reason}", "call failed: {reason}"],
    ),
    ("recall.call_pending", ["appel en cours", "calling"]),
    (
        "recall.cannot_come",
        ["Je ne peux pas venir", "I cannot come"],
    ),
    ("recall.col_answer", ["Réponse", "Answer"]),
    ("recall.col_author", ["Lancé par", "Started by"]),
    ("recall.col_call", ["Appel", "Call"]),
    ("recall.col_called", ["Appelés", "Called"]),
    ("recall.col_code", ["Code", "Code"]),
    ("recall.col_coming", ["Viennent", "Coming"]),
    ("recall.col_name", ["Nom", "Name"]),
    ("recall.col_phone", ["Téléphone", "Phone"]),
    ("recall.col_role", ["Rôle", "Role"]),
    ("recall.col_silent", ["Sans réponse", "No answer"]),
    ("recall.col_started", ["Lancé le", "Started on"]),
    ("recall.col_text", ["Message", "Message"]),
    ("recall.col_unavailable", ["Indisponibles", "Unavailable"]),
    ("recall.col_unit", ["Unité", "Unit"]),
    ("recall.col_unreachable", ["Injoignables", "Unreachable"]),
    (
        "recall.col_within_hour",
        ["Dont dans l'heure", "Of whom within the hour"],
    ),
    ("recall.coming", ["J'arrive", "I am coming"]),
    (
        "recall.coming_in",
        [
            "vient, dans {n} min (vers {time})",
            "coming, in {n} min (around {time})",
        ],
    ),
    (
        "recall.coming_no_time",
        ["vient, heure non précisée", "coming, time not given"],
    ),
    (
        "recall.counts_title",
        ["Réponses par rôle", "Answers per role"],
    ),
    (
        "recall.default_text",
        [
            "Plan blanc déclenché : l'établissement rappelle le personnel disponible. Dites-nous si vous venez et dans combien de temps.",
            "The hospital emergency plan is on: available staff are called back. Tell us whether you are coming and how soon.",
        ],
    ),
    (
        "recall.detail_title",
        ["Rappel du personnel", "Staff recall"],
    ),
    (
        "recall.error_answer",
        [
            "Choisissez « J'arrive » ou « Je ne peux pas venir ».",
            "Choose “I am coming” or “I cannot come”.",
        ],
    ),
    (
        "recall.error_code",
        [
            "Aucune personne de ce rappel n'a le code {code}.",
            "Nobody in this recall has the code {code}.",
        ],
    ),
    (
        "recall.error_minutes",
        [
            "« {minutes} » n'est pas un délai d'arrivée : de 0 à {max} minutes.",
            "“{minutes}” is not a time until arrival: 0 to {max} minutes.",
        ],
    ),
    (
        "recall.error_no_code",
        [
            "Tapez le code de réponse de la personne.",
            "Type the person's reply code.",
        ],
    ),
    (
        "recall.error_no_role",
        [
            "Choisissez au moins un rôle à rappeler.",
            "Choose at least one role to call back.",
        ],
    ),
    (
        "recall.error_nobody",
        [
            "Personne de l'annuaire de rappel ne correspond à ces rôles et unités.",
            "Nobody in the recall roster matches these roles and units.",
        ],
    ),
    (
        "recall.error_role",
        [
            "Aucune personne de l'annuaire de rappel n'a le rôle {role}.",
            "Nobody in the recall roster has the role {role}.",
        ],
    ),
    (
        "recall.error_text",
        [
            "Le message ne convient pas : {reason}.",
            "The message cannot be sent: {reason}.",
        ],
    ),
    (
        "recall.error_unit",
        [
            "Aucune personne de l'annuaire de rappel n'est de l'unité {unit}.",
            "Nobody in the recall roster works in unit {unit}.",
        ],
    ),
    ("recall.field_answer", ["Réponse", "Answer"]),
    (
        "recall.field_code",
        ["Code de réponse de la personne", "The person's reply code"],
    ),
    (
        "recall.field_minutes",
        [
            "dans (minutes, vide si non précisé)",
            "in (minutes, empty if not given)",
        ],
    ),
    (
        "recall.field_roles",
        ["Rôles à rappeler", "Roles to call back"],
    ),
    (
        "recall.field_text",
        ["Message envoyé à chacun", "Message sent to each person"],
    ),
    ("recall.field_units", ["Unités", "Units"]),
    (
        "recall.link_current",
        ["Votre réponse enregistrée :", "Your answer on record:"],
    ),
    ("recall.link_hello", ["Bonjour", "Hello"]),
    (
        "recall.link_hint",
        [
            "Vous pouvez changer d'avis : votre nouvelle réponse remplace la précédente.",
            "You may change your mind: a new answer replaces the previous one.",
        ],
    ),
    (
        "recall.link_minutes",
        [
            "Dans combien de minutes arrivez-vous ? (laissez vide si vous ne savez pas)",
            "In how many minutes will you arrive? (leave empty if you do not know)",
        ],
    ),
    ("recall.link_title", ["Rappel du personnel", "Staff recall"]),
    (
        "recall.list_empty",
        ["Aucun rappel lancé.", "No recall started."],
    ),
    (
        "recall.list_title",
        ["Rappels du personnel", "Staff recalls"],
    ),
    ("recall.new_link", ["Nouveau rappel", "New recall"]),
    (
        "recall.new_title",
        [
            "Rappeler le personnel (plan blanc)",
            "Call back staff (emergency plan)",
        ],
    ),
    ("recall.no_answer", ["pas de réponse", "no answer"]),
    (
        "recall.no_roster",
        [
            "Aucun annuaire de rappel n'est configuré ([messagerie] de la configuration).",
            "No recall roster is configured ([messagerie] in the configuration).",
        ],
    ),
    (
        "recall.operator_title",
        [
            "Saisir une réponse reçue par téléphone",
            "Record an answer taken by phone",
        ],
    ),
    (
        "recall.people_title",
        ["Personnes rappelées", "People called back"],
    ),
    (
        "recall.preview",
        [
            "{n} personne(s) seront appelées : {detail}.",
            "{n} person(s) will be called: {detail}.",
        ],
    ),
    (
        "recall.preview_button",
        ["Compter les personnes", "Count the people"],
    ),
    (
        "recall.record_answer",
        ["Enregistrer la réponse", "Record the answer"],
    ),
    ("recall.send", ["Lancer le rappel", "Start the recall"]),
    ("recall.total", ["Total", "Total"]),
    ("recall.unavailable", ["indisponible", "unavailable"]),
    (
        "recall.units_hint",
        [
            "Aucune unité cochée : toutes les unités. Les personnes sans unité sont appelées quelles que soient les unités.",
            "No unit ticked: every unit. People of no unit are called whatever the units.",
        ],
    ),
    ("recall.via_code", ["par SMS", "by SMS"]),
    ("recall.via_link", ["par le lien", "through the link"]),
    (
        "recall.via_operator",
        ["saisie par la cellule", "typed by the cell"],
    ),
];
