//! The secure messaging's texts (channels, messages, search), French and
//! English; see `crate::i18n` for how catalogs work. Broadcasts and
//! recalls keep theirs in `broadcast_text.rs`.

use crate::i18n::Catalog;

/// Keys sorted; checked by the i18n tests.
pub(crate) const CATALOG: Catalog = &[
    (
        "messages.ack_strip",
        [
            "Diffusions prioritaires à accuser : {n}",
            "Priority broadcasts to acknowledge: {n}",
        ],
    ),
    ("messages.add", ["Ajouter", "Add"]),
    (
        "messages.add_members",
        ["Ajouter des membres (identifiants)", "Add members (logins)"],
    ),
    (
        "messages.broadcasts",
        ["Diffusions prioritaires", "Priority broadcasts"],
    ),
    (
        "messages.channel_hint",
        [
            "Un canal peut aussi réunir tous les titulaires d'un rôle ou le personnel d'une unité (tenez Ctrl pour en choisir plusieurs).",
            "A channel may also gather everyone holding a role or working in a unit (hold Ctrl to pick several).",
        ],
    ),
    (
        "messages.conversations",
        ["Conversations et groupes", "Conversations and groups"],
    ),
    ("messages.direct_label", ["Écrire à", "Write to"]),
    (
        "messages.direct_with",
        ["Conversation avec {who}", "Conversation with {who}"],
    ),
    ("messages.edit", ["Modifier", "Edit"]),
    (
        "messages.edit_hint",
        [
            "La modification est visible de tous : « modifié » s'affiche et les versions précédentes restent consultables.",
            "Everyone sees the edit: « edited » shows and earlier versions stay readable.",
        ],
    ),
    (
        "messages.edit_or_withdraw",
        [
            "Modifier ou retirer ce message",
            "Edit or withdraw this message",
        ],
    ),
    ("messages.edited", ["modifié", "edited"]),
    (
        "messages.empty_channel",
        [
            "Aucun message dans ce canal pour l'instant.",
            "No message in this channel yet.",
        ],
    ),
    (
        "messages.establishment_channels",
        ["Canaux de l'établissement", "Establishment channels"],
    ),
    (
        "messages.export",
        [
            "Exporter le canal (CSV, pour le retour d'expérience)",
            "Export the channel (CSV, for the after-action report)",
        ],
    ),
    ("messages.field_file", ["Pièce jointe", "Attachment"]),
    ("messages.field_members", ["Membres", "Members"]),
    ("messages.field_name", ["Nom", "Name"]),
    ("messages.field_roles", ["Rôles", "Roles"]),
    ("messages.field_text", ["Message", "Message"]),
    ("messages.field_units", ["Unités", "Units"]),
    (
        "messages.file_hint",
        [
            "Photo (JPEG, PNG) ou PDF, au plus",
            "Photo (JPEG, PNG) or PDF, at most",
        ],
    ),
    (
        "messages.kind_channel",
        [
            "Canal (par rôles, unités ou personnes)",
            "Channel (by roles, units or people)",
        ],
    ),
    (
        "messages.kind_group",
        ["Groupe de personnes (3 à 20)", "Group of people (3 to 20)"],
    ),
    ("messages.live", ["mise à jour en direct", "live updates"]),
    (
        "messages.logins_placeholder",
        ["ex. mdupont, jmartin", "e.g. mdupont, jmartin"],
    ),
    (
        "messages.lost",
        [
            "connexion perdue : nouvelle tentative…",
            "connection lost: retrying…",
        ],
    ),
    ("messages.members", ["Membres", "Members"]),
    (
        "messages.mention_hint",
        [
            "@identifiant ou @rôle pour mentionner ; #IPP pour lier le dossier d'un patient (visible seulement de ceux qui peuvent l'ouvrir).",
            "@login or @role to mention; #IPP to link a patient's chart (shown only to those allowed to open it).",
        ],
    ),
    (
        "messages.new_broadcast",
        ["Nouvelle diffusion", "New broadcast"],
    ),
    ("messages.new_text", ["Nouveau texte", "New text"]),
    (
        "messages.no_channel",
        [
            "Vous n'êtes membre d'aucun canal de l'établissement.",
            "You belong to no establishment channel.",
        ],
    ),
    ("messages.none_yet", ["Aucun pour l'instant.", "None yet."]),
    (
        "messages.older",
        ["Messages plus anciens", "Older messages"],
    ),
    (
        "messages.open_direct",
        ["Ouvrir la conversation", "Open the conversation"],
    ),
    (
        "messages.open_group_or_channel",
        ["Ouvrir un groupe ou un canal", "Open a group or a channel"],
    ),
    ("messages.open_submit", ["Ouvrir", "Open"]),
    (
        "messages.open_title",
        ["Nouvelle conversation", "New conversation"],
    ),
    (
        "messages.opened_channels",
        ["Canaux ouverts", "Opened channels"],
    ),
    ("messages.patient_masked", ["[patient]", "[patient]"]),
    ("messages.pin", ["Épingler", "Pin"]),
    ("messages.pinned", ["épinglé", "pinned"]),
    (
        "messages.pinned_title",
        ["Messages épinglés", "Pinned messages"],
    ),
    (
        "messages.purged",
        [
            "Message effacé selon la politique de conservation.",
            "Message erased under the retention policy.",
        ],
    ),
    ("messages.recalls", ["Rappel du personnel", "Staff recall"]),
    (
        "messages.replaced_at",
        ["Version remplacée le", "Version replaced on"],
    ),
    ("messages.replies", ["{n} réponse(s)", "{n} reply(ies)"]),
    ("messages.replies_title", ["Réponses", "Replies"]),
    ("messages.reply", ["Répondre", "Reply"]),
    (
        "messages.retracted",
        [
            "Message retiré par {who} le {when} : {reason}",
            "Message withdrawn by {who} on {when}: {reason}",
        ],
    ),
    (
        "messages.save_edit",
        ["Enregistrer la modification", "Save the edit"],
    ),
    ("messages.search_button", ["Chercher", "Search"]),
    (
        "messages.search_count",
        ["message(s) trouvé(s)", "message(s) found"],
    ),
    (
        "messages.search_hint",
        [
            "Cherche dans les canaux et conversations dont vous êtes membre ; majuscules et accents ignorés, tous les mots doivent y être. Les patients mentionnés (#IPP) ne sont pas cherchés : passez par la recherche de patients.",
            "Searches the channels and conversations you belong to; case and accents ignored, every word must be there. Mentioned patients (#IPP) are not searched: use the patient search.",
        ],
    ),
    (
        "messages.search_label",
        ["Chercher dans les messages", "Search messages"],
    ),
    (
        "messages.search_none",
        [
            "Aucun message ne contient tous ces mots.",
            "No message holds all these words.",
        ],
    ),
    (
        "messages.search_title",
        ["Recherche dans la messagerie", "Message search"],
    ),
    ("messages.send", ["Envoyer", "Send"]),
    ("messages.thread_title", ["Fil de discussion", "Thread"]),
    ("messages.title", ["Messagerie", "Messages"]),
    (
        "messages.to_acknowledge",
        ["Diffusions à accuser", "Broadcasts to acknowledge"],
    ),
    ("messages.unit_channel", ["Unité {name}", "Unit {name}"]),
    ("messages.unpin", ["Désépingler", "Unpin"]),
    ("messages.unread", ["non lus", "unread"]),
    (
        "messages.versions",
        ["Versions précédentes", "Earlier versions"],
    ),
    (
        "messages.withdraw",
        ["Retirer le message", "Withdraw the message"],
    ),
    (
        "messages.withdraw_reason",
        [
            "Motif du retrait (visible de tous)",
            "Reason for withdrawal (shown to all)",
        ],
    ),
    (
        "report_messages.broadcasts",
        ["Diffusions prioritaires", "Priority broadcasts"],
    ),
    (
        "report_messages.col_acknowledged",
        ["Accusés", "Acknowledged"],
    ),
    ("report_messages.col_called", ["Appelés", "Called"]),
    ("report_messages.col_channel", ["Canal", "Channel"]),
    ("report_messages.col_coming", ["En route", "Coming"]),
    (
        "report_messages.col_delay",
        [
            "Délai d'accusé (médian · max)",
            "Time to acknowledge (median · max)",
        ],
    ),
    (
        "report_messages.col_escalations",
        ["Escalades", "Escalations"],
    ),
    ("report_messages.col_export", ["Export", "Export"]),
    ("report_messages.col_messages", ["Messages", "Messages"]),
    ("report_messages.col_priority", ["Priorité", "Priority"]),
    ("report_messages.col_role", ["Rôle", "Role"]),
    ("report_messages.col_sent", ["Envoyée le", "Sent"]),
    ("report_messages.col_silent", ["Sans réponse", "No answer"]),
    ("report_messages.col_started", ["Lancé le", "Started"]),
    ("report_messages.col_text", ["Consigne", "Instruction"]),
    (
        "report_messages.col_unavailable",
        ["Indisponibles", "Unavailable"],
    ),
    (
        "report_messages.direct_row",
        [
            "Conversations privées (nombre seulement)",
            "Private conversations (count only)",
        ],
    ),
    ("report_messages.important", ["Important", "Important"]),
    (
        "report_messages.information",
        ["Information", "Information"],
    ),
    ("report_messages.none", ["Aucune.", "None."]),
    (
        "report_messages.recalls",
        ["Rappel du personnel", "Staff recall"],
    ),
    (
        "report_messages.title",
        ["Messagerie de crise", "Crisis messaging"],
    ),
    (
        "report_messages.total",
        [
            "{n} message(s) échangé(s) pendant la crise dans les canaux et conversations.",
            "{n} message(s) exchanged during the crisis in channels and conversations.",
        ],
    ),
    ("report_messages.urgent", ["Urgent", "Urgent"]),
];
