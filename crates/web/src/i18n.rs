//! The user-interface language: negotiation and the message catalog.
//!
//! French is the product's language and the default; English is shown only
//! when asked for explicitly, through `?lang=en` (remembered in a `lang`
//! cookie) or the cookie itself. `Accept-Language` is ignored on purpose:
//! hospital terminals and kiosk browsers are often installed in English,
//! and a nurse must not get English pages because of that.
//!
//! Every string a page shows comes from [`CATALOG`] through [`Tr::t`] or
//! [`Tr::fmt`], so a page never mixes languages; codes from the feeds
//! (severities, routes, frequencies...) map to catalog keys in the `codes`
//! module.
//!
//! # Adding a language
//!
//! 1. Add a variant to [`Lang`], and extend [`Lang::ALL`], [`Lang::code`],
//!    [`Lang::native_name`] and `Lang::index` (the index is the column of the catalog).
//! 2. Raise [`LANGS`]: every catalog row then fails to compile until it has
//!    a translation in the new column, so none can be forgotten.
//! 3. Nothing else: the language switch in the page header lists
//!    [`Lang::ALL`], and `?lang=xx` and the cookie accept the new code.
//!
//! The tests check that every key a template uses exists and that no
//! translation is empty.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

/// Number of languages, the width of a catalog row.
pub const LANGS: usize = 2;

/// A language the pages can be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// French, the default.
    #[default]
    Fr,
    /// English.
    En,
}

impl Lang {
    /// Every language, in catalog column order.
    pub const ALL: [Lang; LANGS] = [Lang::Fr, Lang::En];

    /// The BCP 47 code, as used in `lang=` and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Fr => "Français",
            Lang::En => "English",
        }
    }

    fn index(self) -> usize {
        match self {
            Lang::Fr => 0,
            Lang::En => 1,
        }
    }

    /// The language named by a code (`fr`, `en-GB`), if supported.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// Picks the language of a request: the `lang` query parameter, then
    /// the `lang` cookie; French otherwise, whatever `Accept-Language` says.
    pub fn negotiate(query: Option<&str>, headers: &HeaderMap) -> Lang {
        query
            .and_then(query_lang)
            .or_else(|| cookie_lang(headers))
            .unwrap_or_default()
    }
}

/// The `lang` parameter of a query string, when it names a supported language.
pub fn query_lang(query: &str) -> Option<Lang> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "lang")
        .and_then(|(_, value)| Lang::from_code(value))
}

fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "lang")
        .and_then(|(_, value)| Lang::from_code(value))
}

/// A translator for one language, handed to every template as `tr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr(pub Lang);

impl Tr {
    /// The text of `key`; the key itself (and a debug log) when unknown, so
    /// a missing entry shows up on screen instead of breaking the page.
    pub fn t(&self, key: &str) -> &'static str {
        for catalog in CATALOGS {
            if let Ok(at) = catalog.binary_search_by(|(k, _)| (*k).cmp(key)) {
                return catalog[at].1[self.0.index()];
            }
        }
        tracing::debug!(key, "missing translation key");
        "?"
    }

    /// The text of `key` with `{name}` placeholders replaced.
    pub fn fmt(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// The language code, for `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.0.code()
    }
}

/// One catalog: key -> text per language, in [`Lang::ALL`] order, sorted
/// by key (a test checks the order, lookups use a binary search).
pub type Catalog = &'static [(&'static str, [&'static str; LANGS])];

/// Every catalog: the general one, then one per page family that keeps its
/// texts beside its code (keys never repeat across catalogs).
pub const CATALOGS: &[Catalog] = &[
    CATALOG,
    crate::crisis::CATALOG,
    crate::crisis::DASHBOARD_TEXT,
    crate::crisis::JOURNAL_TEXT,
    crate::crisis::REPORT_TEXT,
    crate::care::WARD_TEXT,
    crate::care::FLOW_TEXT,
    crate::messages::CATALOG,
    crate::messages::BROADCAST_TEXT,
];

/// The general catalog.
pub const CATALOG: &[(&str, [&str; LANGS])] = &[
    ("account.all_units", ["Toutes les unités", "All units"]),
    (
        "account.expires",
        ["Fin de session au plus tard", "Session ends at the latest"],
    ),
    (
        "account.logout_everywhere",
        [
            "Fermer toutes mes sessions (tous les postes)",
            "End all my sessions (every terminal)",
        ],
    ),
    ("account.name", ["Nom", "Name"]),
    (
        "account.no_units",
        ["Aucune (vue d'ensemble seulement)", "None (overview only)"],
    ),
    (
        "account.pin_label",
        ["Nouveau code (4 à 8 chiffres)", "New code (4 to 8 digits)"],
    ),
    (
        "account.pin_none",
        [
            "Aucun code défini : définissez-en un pour pouvoir verrouiller votre session sans la fermer.",
            "No code set: set one to lock your session without ending it.",
        ],
    ),
    (
        "account.pin_set",
        [
            "Un code est défini : il déverrouille votre session sur un poste partagé.",
            "A code is set: it unlocks your session on a shared terminal.",
        ],
    ),
    ("account.pin_submit", ["Définir le code", "Set the code"]),
    ("account.pin_title", ["Code de verrouillage", "Lock code"]),
    ("account.role", ["Rôle", "Role"]),
    ("account.sessions_title", ["Sécurité", "Security"]),
    ("account.title", ["Mon compte", "My account"]),
    ("account.units", ["Unités", "Units"]),
    ("accounts.actions", ["Actions", "Actions"]),
    ("accounts.active", ["actif", "active"]),
    ("accounts.disable", ["Désactiver", "Disable"]),
    ("accounts.disabled", ["désactivé", "disabled"]),
    ("accounts.enable", ["Réactiver", "Enable"]),
    (
        "accounts.hint",
        [
            "Création, import et réinitialisation : commande « ckisa users » sur le nœud. Chaque changement est tracé.",
            "Creation, import and reset: the \"ckisa users\" command on the node. Every change is recorded.",
        ],
    ),
    ("accounts.last_login", ["Dernière connexion", "Last login"]),
    (
        "accounts.locked",
        ["verrouillé jusqu'à {until}", "locked until {until}"],
    ),
    (
        "accounts.must_change",
        ["mot de passe à changer", "must change password"],
    ),
    ("accounts.state", ["État", "State"]),
    ("accounts.title", ["Comptes", "Accounts"]),
    ("age.days", ["{n} j", "{n} d"]),
    ("age.months", ["{n} mois", "{n} mo"]),
    ("age.years", ["{n} ans", "{n} y"]),
    ("allergy.count", ["Allergies ({n})", "Allergies ({n})"]),
    (
        "allergy.none",
        ["Aucune allergie enregistrée", "No allergy recorded"],
    ),
    ("audit.action", ["Action", "Action"]),
    ("audit.actor", ["Utilisateur", "User"]),
    ("audit.allowed", ["autorisé", "allowed"]),
    ("audit.denied", ["refusé", "denied"]),
    ("audit.detail", ["Détail", "Detail"]),
    (
        "audit.empty",
        ["Aucune entrée ne correspond.", "No entry matches."],
    ),
    ("audit.export_csv", ["Exporter (CSV)", "Export (CSV)"]),
    (
        "audit.export_fhir",
        ["Exporter (FHIR AuditEvent)", "Export (FHIR AuditEvent)"],
    ),
    ("audit.failed", ["échec", "failed"]),
    ("audit.from", ["Du", "From"]),
    (
        "audit.glass_none",
        ["Aucun accès exceptionnel.", "No emergency access."],
    ),
    (
        "audit.glass_title",
        [
            "Accès exceptionnels des 7 derniers jours",
            "Emergency accesses of the last 7 days",
        ],
    ),
    ("audit.outcome", ["Résultat", "Outcome"]),
    ("audit.source", ["Origine", "From"]),
    ("audit.target", ["Cible", "Target"]),
    ("audit.time", ["Horodatage", "Time"]),
    ("audit.title", ["Journal d'audit", "Audit trail"]),
    ("audit.to", ["Au", "To"]),
    (
        "audit.total",
        ["Entrées dans le journal :", "Entries in the trail:"],
    ),
    (
        "audit.trail_title",
        ["Recherche dans le journal", "Search the trail"],
    ),
    ("audit.until", ["Jusqu'à", "Until"]),
    ("board.admitted", ["Entrée", "Admitted"]),
    ("board.age", ["Âge", "Age"]),
    ("board.allergies", ["Allergies", "Allergies"]),
    ("board.attending", ["Médecin", "Attending"]),
    ("board.bed", ["Lit", "Bed"]),
    (
        "board.caption",
        [
            "Lits de l'unité et leurs occupants",
            "Beds of the unit and their occupants",
        ],
    ),
    (
        "board.conflict",
        [
            "Conflit : {n} patients dans ce lit",
            "Conflict: {n} patients in this bed",
        ],
    ),
    ("board.free", ["Libre", "Free"]),
    ("board.no_bed", ["Sans lit", "No bed"]),
    (
        "board.no_beds",
        [
            "Aucun lit connu dans cette unité.",
            "No bed known in this unit.",
        ],
    ),
    ("board.on_leave", ["En permission", "On leave"]),
    ("board.patient", ["Patient", "Patient"]),
    ("board.room", ["Chambre", "Room"]),
    (
        "board.same_patient",
        ["Même patient dans {n} lits", "Same patient in {n} beds"],
    ),
    ("board.sex", ["Sexe", "Sex"]),
    ("board.status", ["Statut", "Status"]),
    (
        "board.summary",
        [
            "{occupied} lits occupés sur {beds}, {free} libres, {patients} patients",
            "{occupied} of {beds} beds occupied, {free} free, {patients} patients",
        ],
    ),
    ("class.emergency", ["urgences", "emergency"]),
    ("class.field", ["intervention extérieure", "field"]),
    ("class.home", ["hospitalisation à domicile", "home health"]),
    ("class.inpatient", ["hospitalisation complète", "inpatient"]),
    (
        "class.non_acute",
        ["hospitalisation non aiguë", "non-acute inpatient"],
    ),
    ("class.not_applicable", ["non applicable", "not applicable"]),
    ("class.observation", ["mise en observation", "observation"]),
    ("class.obstetrics", ["obstétrique", "obstetrics"]),
    ("class.outpatient", ["consultation externe", "outpatient"]),
    ("class.preadmission", ["pré-admission", "pre-admission"]),
    (
        "class.recurring",
        ["patient récurrent", "recurring patient"],
    ),
    ("class.short_stay", ["séjour de courte durée", "short stay"]),
    ("class.unknown", ["inconnu", "unknown"]),
    ("class.virtual", ["téléconsultation", "virtual"]),
    ("date.unknown", ["date inconnue", "date unknown"]),
    (
        "error.back",
        ["Retour à la liste des unités", "Back to the list of units"],
    ),
    ("error.bad_request", ["Requête invalide", "Bad request"]),
    (
        "error.bad_token",
        ["Jeton d'API invalide", "Invalid API token"],
    ),
    ("error.csrf", ["Requête refusée", "Request refused"]),
    (
        "error.csrf_detail",
        [
            "Le formulaire a expiré ou ne vient pas de ce site. Rechargez la page et recommencez.",
            "The form expired or does not come from this site. Reload the page and try again.",
        ],
    ),
    ("error.forbidden", ["Accès refusé", "Access denied"]),
    (
        "error.forbidden_detail",
        [
            "Votre rôle ne permet pas cette action. La tentative a été tracée.",
            "Your role does not allow this. The attempt was recorded.",
        ],
    ),
    ("error.internal", ["Erreur interne", "Internal error"]),
    (
        "error.internal_detail",
        [
            "La page n'a pas pu être affichée. Donnez cette référence au support informatique : {id}",
            "The page could not be shown. Give this reference to IT support: {id}",
        ],
    ),
    ("error.not_found", ["Page introuvable", "Page not found"]),
    (
        "error.not_logged_in",
        ["Connexion requise", "Login required"],
    ),
    (
        "error.outside_units",
        ["Hors de vos unités", "Outside your units"],
    ),
    (
        "error.outside_units_detail",
        [
            "Ce patient ou cette unité n'est pas dans vos unités. La tentative a été tracée.",
            "This patient or unit is not in your units. The attempt was recorded.",
        ],
    ),
    (
        "error.patient_not_found",
        ["Patient introuvable", "Patient not found"],
    ),
    ("error.refused", ["Action refusée", "Action refused"]),
    (
        "error.session_blocked",
        [
            "Session verrouillée ou mot de passe à changer",
            "Session locked or password to change",
        ],
    ),
    (
        "error.session_blocked_detail",
        [
            "Déverrouillez la session (/verrou) ou changez le mot de passe (/mot-de-passe) avant de continuer.",
            "Unlock the session (/verrou) or change the password (/mot-de-passe) before going on.",
        ],
    ),
    (
        "error.unavailable",
        [
            "Service momentanément indisponible",
            "Service temporarily unavailable",
        ],
    ),
    ("error.unit_not_found", ["Unité inconnue", "Unknown unit"]),
    (
        "fact.admission_cancelled",
        ["Annulations d'admission", "Cancelled admissions"],
    ),
    ("fact.allergy", ["Allergies", "Allergies"]),
    ("fact.careplan", ["Plans de soins", "Care plans"]),
    ("fact.condition", ["Problèmes", "Problems"]),
    (
        "fact.directory",
        [
            "Annuaire (médecins, unités)",
            "Directory (physicians, units)",
        ],
    ),
    ("fact.discharge", ["Sorties", "Discharges"]),
    (
        "fact.discharge_cancelled",
        ["Annulations de sortie", "Cancelled discharges"],
    ),
    (
        "fact.encounter_moved",
        [
            "Séjours rattachés à un autre patient",
            "Stays moved to another patient",
        ],
    ),
    ("fact.leave", ["Permissions", "Leaves of absence"]),
    ("fact.medication", ["Prescriptions", "Medications"]),
    ("fact.merge", ["Fusions de dossiers", "Record merges"]),
    (
        "fact.observation",
        ["Résultats et constantes", "Results and vital signs"],
    ),
    (
        "fact.patient",
        [
            "Identités (créations, modifications)",
            "Identities (new, updated)",
        ],
    ),
    ("fact.procedure", ["Actes", "Procedures"]),
    ("fact.report", ["Comptes rendus", "Reports"]),
    ("fact.stay", ["Séjours", "Stays"]),
    ("fact.transfer", ["Mutations", "Transfers"]),
    (
        "fact.transfer_cancelled",
        ["Annulations de mutation", "Cancelled transfers"],
    ),
    ("flag.abnormal", ["anormal", "abnormal"]),
    (
        "flag.above_scale",
        ["au-dessus de l'échelle", "above scale"],
    ),
    ("flag.below_scale", ["sous l'échelle", "below scale"]),
    ("flag.critical", ["critique", "critical"]),
    ("flag.critical_high", ["critique haut", "critically high"]),
    ("flag.critical_low", ["critique bas", "critically low"]),
    (
        "flag.critical_other",
        ["critique ({flag})", "critical ({flag})"],
    ),
    ("flag.high", ["élevé", "high"]),
    ("flag.low", ["bas", "low"]),
    ("flag.normal", ["normal", "normal"]),
    (
        "footer.node",
        [
            "Nœud {node}, page produite le {now}",
            "Node {node}, page produced on {now}",
        ],
    ),
    ("frequency.as_needed", ["si besoin", "as needed"]),
    ("frequency.bedtime", ["au coucher", "at bedtime"]),
    ("frequency.daily", ["une fois par jour", "once a day"]),
    ("frequency.evening", ["le soir", "in the evening"]),
    (
        "frequency.every_days",
        ["tous les {n} jours", "every {n} days"],
    ),
    (
        "frequency.every_hours",
        ["toutes les {n} heures", "every {n} hours"],
    ),
    (
        "frequency.every_minutes",
        ["toutes les {n} minutes", "every {n} minutes"],
    ),
    (
        "frequency.every_other_day",
        ["un jour sur deux", "every other day"],
    ),
    (
        "frequency.four_times_daily",
        ["4 fois par jour", "4 times a day"],
    ),
    ("frequency.hourly", ["toutes les heures", "every hour"]),
    ("frequency.immediately", ["immédiatement", "immediately"]),
    ("frequency.morning", ["le matin", "in the morning"]),
    ("frequency.once", ["une seule fois", "once"]),
    (
        "frequency.three_times_daily",
        ["3 fois par jour", "3 times a day"],
    ),
    ("frequency.twice_daily", ["2 fois par jour", "twice a day"]),
    (
        "fresh.ago",
        [
            "{feed} : données à jour il y a {age}",
            "{feed}: data up to date {age} ago",
        ],
    ),
    ("fresh.label", ["Fraîcheur des données", "Data freshness"]),
    (
        "fresh.never",
        ["{feed} : aucune donnée reçue", "{feed}: no data received"],
    ),
    ("fresh.no_feed", ["Aucune donnée reçue", "No data received"]),
    (
        "glass.banner",
        [
            "Accès exceptionnel (tracé) — motif :",
            "Emergency access (recorded) — reason:",
        ],
    ),
    ("glass.cancel", ["Annuler", "Cancel"]),
    (
        "glass.explain",
        [
            "Ce patient n'est pas dans vos unités. Vous pouvez ouvrir son dossier en indiquant le motif : l'accès est limité dans le temps, tracé et signalé à la sécurité du SI.",
            "This patient is not in your units. You may open the chart by giving the reason: the access is time-limited, recorded and reported to IT security.",
        ],
    ),
    ("glass.reason", ["Motif", "Reason"]),
    (
        "glass.reason_too_short",
        [
            "Motif trop court : au moins {min} caractères.",
            "Reason too short: at least {min} characters.",
        ],
    ),
    ("glass.submit", ["Ouvrir le dossier", "Open the chart"]),
    ("glass.title", ["Accès exceptionnel", "Emergency access"]),
    (
        "input.date_invalid",
        ["Date invalide : {date}", "Invalid date: {date}"],
    ),
    (
        "input.form_invalid",
        [
            "Formulaire illisible ou incomplet.",
            "Unreadable or incomplete form.",
        ],
    ),
    (
        "input.form_too_large",
        [
            "Formulaire trop long (plus de 64 Kio) : aucun champ ne dépasse 4 000 caractères, raccourcissez le texte et envoyez-le de nouveau.",
            "Form too long (over 64 KiB): no field takes more than 4,000 characters; shorten the text and send it again.",
        ],
    ),
    (
        "input.key_invalid",
        [
            "Identifiant de patient invalide",
            "Invalid patient identifier",
        ],
    ),
    (
        "input.query_invalid",
        [
            "Paramètres de requête invalides",
            "Invalid query parameters",
        ],
    ),
    (
        "input.query_too_long",
        ["Recherche trop longue", "Search too long"],
    ),
    (
        "input.self_disable",
        [
            "Vous ne pouvez pas désactiver votre propre compte.",
            "You cannot disable your own account.",
        ],
    ),
    (
        "input.upload_too_large",
        [
            "Pièce jointe trop grande : {max} au plus. Réduisez la photo (ou scannez en plus basse résolution) et envoyez de nouveau.",
            "Attachment too large: {max} at most. Shrink the photo (or scan at a lower resolution) and send again.",
        ],
    ),
    (
        "live.offline",
        [
            "Connexion au nœud perdue : les données affichées peuvent être anciennes.",
            "Connection to the node lost: the data shown may be old.",
        ],
    ),
    (
        "lock.no_pin",
        [
            "Définissez d'abord votre code de verrouillage ci-dessous : sans code, une session verrouillée ne pourrait pas être rouverte.",
            "Set your lock code below first: without a code, a locked session could not be reopened.",
        ],
    ),
    (
        "lock.other_user",
        [
            "Autre utilisateur (fermer cette session)",
            "Another user (end this session)",
        ],
    ),
    ("lock.pin", ["Code personnel", "Personal code"]),
    ("lock.submit", ["Déverrouiller", "Unlock"]),
    ("lock.title", ["Session verrouillée", "Session locked"]),
    (
        "lock.who",
        [
            "Session de {name}, verrouillée sur ce poste partagé.",
            "Session of {name}, locked on this shared terminal.",
        ],
    ),
    (
        "login.bad_credentials",
        [
            "Identifiant ou mot de passe incorrect.",
            "Wrong login or password.",
        ],
    ),
    (
        "login.disabled",
        [
            "Ce compte est désactivé. Adressez-vous à l'administrateur.",
            "This account is disabled. Ask the administrator.",
        ],
    ),
    (
        "login.hint",
        [
            "Compte local du nœud de continuité : il fonctionne sans l'annuaire de l'hôpital. En cas d'oubli, demandez une réinitialisation à l'administrateur.",
            "Local account of the continuity node: it works without the hospital directory. If you forgot it, ask the administrator for a reset.",
        ],
    ),
    (
        "login.locked",
        [
            "Compte verrouillé après trop d'échecs, jusqu'à {until}. Un administrateur peut le débloquer en réinitialisant le mot de passe.",
            "Account locked after too many failures, until {until}. An administrator can unlock it by resetting the password.",
        ],
    ),
    ("login.login", ["Identifiant", "Login"]),
    ("login.password", ["Mot de passe", "Password"]),
    ("login.submit", ["Se connecter", "Log in"]),
    (
        "login.throttled",
        [
            "Trop de tentatives depuis ce poste. Réessayez dans {seconds} s.",
            "Too many attempts from this terminal. Try again in {seconds} s.",
        ],
    ),
    ("login.title", ["Connexion", "Log in"]),
    ("nav.accounts", ["Comptes", "Accounts"]),
    ("nav.audit", ["Audit", "Audit"]),
    ("nav.care", ["Soins", "Care"]),
    ("nav.crisis", ["Crise", "Crisis"]),
    ("nav.label", ["Navigation principale", "Main navigation"]),
    ("nav.messages", ["Messagerie", "Messages"]),
    ("nav.quarantine", ["Quarantaine", "Quarantine"]),
    ("nav.search", ["Recherche", "Search"]),
    ("nav.skip", ["Aller au contenu", "Skip to content"]),
    ("nav.status", ["Statut", "Status"]),
    ("nav.units", ["Unités", "Units"]),
    ("number.decimal_separator", [",", "."]),
    (
        "password.confirm",
        [
            "Confirmer le nouveau mot de passe",
            "Confirm the new password",
        ],
    ),
    (
        "password.current",
        ["Mot de passe actuel", "Current password"],
    ),
    (
        "password.failed",
        [
            "Le changement n'a pas pu être enregistré ; réessayez ou contactez l'équipe informatique.",
            "The change could not be saved; try again or contact IT.",
        ],
    ),
    (
        "password.forced",
        [
            "Première connexion ou mot de passe réinitialisé : choisissez votre propre mot de passe pour continuer.",
            "First login or reset password: choose your own password to go on.",
        ],
    ),
    (
        "password.mismatch",
        [
            "Les deux saisies du nouveau mot de passe diffèrent.",
            "The two entries of the new password differ.",
        ],
    ),
    ("password.new", ["Nouveau mot de passe", "New password"]),
    (
        "password.rules",
        [
            "Au moins 12 caractères, différent de l'identifiant et de l'ancien mot de passe. Une phrase de passe est plus facile à retenir.",
            "At least 12 characters, different from the login and from the old password. A passphrase is easier to remember.",
        ],
    ),
    (
        "password.same_as_login",
        [
            "Le mot de passe ne peut pas être l'identifiant.",
            "The password cannot be the login.",
        ],
    ),
    (
        "password.same_as_old",
        [
            "Le nouveau mot de passe doit différer de l'ancien.",
            "The new password must differ from the old one.",
        ],
    ),
    (
        "password.single_character",
        [
            "Le mot de passe ne peut pas répéter un seul et même caractère.",
            "The password cannot repeat one single character.",
        ],
    ),
    ("password.submit", ["Enregistrer", "Save"]),
    (
        "password.title",
        ["Changer de mot de passe", "Change password"],
    ),
    (
        "password.too_long",
        [
            "Mot de passe trop long : au plus {max} caractères.",
            "Password too long: at most {max} characters.",
        ],
    ),
    (
        "password.too_short",
        [
            "Mot de passe trop court : au moins {min} caractères.",
            "Password too short: at least {min} characters.",
        ],
    ),
    (
        "password.wrong_current",
        [
            "Mot de passe actuel incorrect.",
            "Current password is wrong.",
        ],
    ),
    ("patient.address", ["Adresse", "Address"]),
    ("patient.admitted", ["Entrée le", "Admitted on"]),
    ("patient.attending", ["Médecin", "Attending"]),
    ("patient.bed", ["Lit", "Bed"]),
    ("patient.birth_date", ["Né(e) le", "Born on"]),
    ("patient.birth_name", ["Nom de naissance", "Birth name"]),
    ("patient.care_plans", ["Plans de soins", "Care plans"]),
    ("patient.class", ["Type de séjour", "Stay type"]),
    ("patient.conditions", ["Problèmes", "Problems"]),
    ("patient.date", ["Date", "Date"]),
    ("patient.deceased", ["Décédé(e)", "Deceased"]),
    ("patient.dose", ["Dose", "Dose"]),
    ("patient.drug", ["Médicament", "Drug"]),
    ("patient.end", ["Fin", "End"]),
    ("patient.flag", ["Anomalie", "Flag"]),
    ("patient.frequency", ["Fréquence", "Frequency"]),
    ("patient.ins", ["INS", "INS"]),
    ("patient.ipp", ["IPP", "IPP"]),
    (
        "patient.medications",
        ["Prescriptions en cours", "Active prescriptions"],
    ),
    (
        "patient.merged",
        [
            "Dossier fusionné : {old} est désormais affiché sous {new}",
            "Merged record: {old} is now shown under {new}",
        ],
    ),
    (
        "patient.no_stay",
        ["Pas de séjour en cours", "No current stay"],
    ),
    ("patient.none", ["Aucun élément", "None"]),
    (
        "patient.not_hospitalised",
        ["non hospitalisé(e)", "not in house"],
    ),
    ("patient.onset", ["Début", "Onset"]),
    (
        "patient.other_stay",
        [
            "Ce patient a aussi un autre séjour en cours",
            "This patient also has another open stay",
        ],
    ),
    ("patient.phones", ["Téléphone", "Phone"]),
    ("patient.procedures", ["Actes", "Procedures"]),
    ("patient.range", ["Normales", "Range"]),
    ("patient.reaction", ["Réaction", "Reaction"]),
    ("patient.reports", ["Comptes rendus", "Reports"]),
    ("patient.results", ["Résultats", "Results"]),
    ("patient.route", ["Voie", "Route"]),
    ("patient.severity", ["Gravité", "Severity"]),
    ("patient.sex", ["Sexe", "Sex"]),
    ("patient.start", ["Début", "Start"]),
    (
        "patient.statement",
        ["traitement déclaré", "reported medication"],
    ),
    ("patient.status", ["Statut", "Status"]),
    ("patient.stay", ["Séjour en cours", "Current stay"]),
    ("patient.substance", ["Substance", "Substance"]),
    ("patient.test", ["Examen", "Test"]),
    ("patient.unit", ["Unité", "Unit"]),
    ("patient.value", ["Valeur", "Value"]),
    (
        "patient.vitals",
        ["Dernières constantes", "Latest vital signs"],
    ),
    (
        "pin.invalid",
        [
            "Le code doit compter 4 à 8 chiffres.",
            "The code must have 4 to 8 digits.",
        ],
    ),
    ("pin.wrong", ["Code incorrect.", "Wrong code."]),
    (
        "quarantine.caption",
        [
            "Entrées refusées, les plus récentes d'abord",
            "Refused inputs, newest first",
        ],
    ),
    (
        "quarantine.empty",
        ["Aucune entrée en quarantaine.", "Nothing in quarantine."],
    ),
    ("quarantine.feed", ["Flux", "Feed"]),
    (
        "quarantine.message_id",
        ["Identifiant du message", "Message id"],
    ),
    ("quarantine.reason", ["Motif", "Reason"]),
    ("quarantine.size", ["Taille", "Size"]),
    ("quarantine.time", ["Reçu le", "Received"]),
    ("quarantine.title", ["Quarantaine", "Quarantine"]),
    ("report_status.amended", ["corrigé", "amended"]),
    ("report_status.appended", ["complété", "appended"]),
    ("report_status.cancelled", ["annulé", "cancelled"]),
    ("report_status.corrected", ["corrigé", "corrected"]),
    ("report_status.deleted", ["supprimé", "deleted"]),
    (
        "report_status.entered_in_error",
        ["saisi par erreur", "entered in error"],
    ),
    ("report_status.final", ["définitif", "final"]),
    (
        "report_status.not_obtained",
        ["non obtenu", "could not be obtained"],
    ),
    ("report_status.ordered", ["demandé", "ordered"]),
    ("report_status.partial", ["partiel", "partial"]),
    ("report_status.pending", ["en attente", "pending"]),
    ("report_status.preliminary", ["préliminaire", "preliminary"]),
    ("report_status.registered", ["enregistré", "registered"]),
    ("report_status.scheduled", ["programmé", "scheduled"]),
    ("report_status.unknown", ["inconnu", "unknown"]),
    ("report_status.unverified", ["non vérifié", "not verified"]),
    ("route.ear", ["auriculaire", "otic"]),
    ("route.eye", ["ophtalmique", "ophthalmic"]),
    ("route.inhaled", ["inhalée", "inhaled"]),
    ("route.intradermal", ["intradermique", "intradermal"]),
    ("route.intramuscular", ["intramusculaire", "intramuscular"]),
    ("route.intravenous", ["intraveineuse", "intravenous"]),
    ("route.nasal", ["nasale", "nasal"]),
    (
        "route.nasogastric",
        ["sonde nasogastrique", "nasogastric tube"],
    ),
    ("route.oral", ["per os", "oral"]),
    ("route.rectal", ["voie rectale", "rectal"]),
    ("route.subcutaneous", ["sous-cutanée", "subcutaneous"]),
    ("route.sublingual", ["sublinguale", "sublingual"]),
    ("route.topical", ["cutanée", "topical"]),
    ("route.transdermal", ["transdermique", "transdermal"]),
    ("route.vaginal", ["vaginale", "vaginal"]),
    ("search.button", ["Rechercher", "Search"]),
    ("search.caption", ["Patients trouvés", "Patients found"]),
    (
        "search.empty",
        [
            "Aucun patient ne correspond à cette recherche.",
            "No patient matches this search.",
        ],
    ),
    (
        "search.hint",
        [
            "Saisissez un nom, une date de naissance (jj/mm/aaaa) ou un IPP/INS, par exemple « DUPONT 01/02/1950 ».",
            "Type a name, a birth date (dd/mm/yyyy) or an IPP/INS, for example \"DUPONT 01/02/1950\".",
        ],
    ),
    (
        "search.label",
        ["Rechercher un patient", "Search a patient"],
    ),
    ("search.location", ["Localisation", "Location"]),
    (
        "search.no_units",
        [
            "Votre rôle ne montre les noms des patients d'aucune unité : la recherche ne peut rien afficher. Demandez à l'administrateur l'accès aux unités dont vous avez besoin.",
            "Your role shows patient names in no unit: the search cannot show anything. Ask the administrator for access to the units you need.",
        ],
    ),
    (
        "search.outside",
        ["Hors de vos unités", "Outside your units"],
    ),
    (
        "search.placeholder",
        ["NOM, jj/mm/aaaa ou IPP", "NAME, dd/mm/yyyy or IPP"],
    ),
    ("search.title", ["Recherche de patient", "Patient search"]),
    (
        "search.truncated",
        [
            "Plus de {n} résultats : affinez la recherche (nom et date de naissance)",
            "More than {n} results: refine the search (name and birth date)",
        ],
    ),
    ("severity.high", ["élevée", "high"]),
    ("severity.low", ["faible", "low"]),
    ("severity.mild", ["légère", "mild"]),
    ("severity.moderate", ["modérée", "moderate"]),
    ("severity.severe", ["sévère", "severe"]),
    (
        "severity.unassessable",
        ["non évaluable", "unable to assess"],
    ),
    ("severity.unknown", ["inconnue", "unknown"]),
    ("sex.female", ["Femme", "Female"]),
    ("sex.female_short", ["F", "F"]),
    ("sex.male", ["Homme", "Male"]),
    ("sex.male_short", ["M", "M"]),
    ("sex.other", ["Autre", "Other"]),
    ("sex.other_short", ["A", "O"]),
    ("sex.unknown", ["Inconnu", "Unknown"]),
    ("sex.unknown_short", ["?", "?"]),
    ("size.bytes", ["{n} octets", "{n} bytes"]),
    ("size.document", ["document, {size}", "document, {size}"]),
    ("size.kilo", ["{n} Ko", "{n} KB"]),
    ("size.mega", ["{n} Mo", "{n} MB"]),
    ("span.days", ["{d} j {h} h", "{d} d {h} h"]),
    ("status.accepted", ["Acceptés", "Accepted"]),
    ("status.count", ["Nombre", "Count"]),
    ("status.data_dir", ["Dossier de données", "Data folder"]),
    ("status.demo", ["Démonstration", "Demonstration"]),
    ("status.duplicates", ["Doublons", "Duplicates"]),
    ("status.events", ["Événements", "Events"]),
    ("status.facts", ["Faits par type", "Facts by kind"]),
    ("status.feed", ["Flux", "Feed"]),
    ("status.feeds", ["Flux", "Feeds"]),
    ("status.his", ["SIH simulé", "Simulated HIS"]),
    (
        "status.his_hint",
        [
            "Démonstration : arrêter le SIH simulé reproduit une panne ; la cellule de crise voit l'alerte de silence du flux sih-demo sur la page Crise en deux minutes environ.",
            "Demonstration: stopping the simulated HIS reproduces an outage; the crisis cell sees the silence alert of the sih-demo feed on the Crisis page within about two minutes.",
        ],
    ),
    ("status.his_running", ["en marche", "running"]),
    (
        "status.his_start",
        ["Relancer le SIH simulé", "Restart the simulated HIS"],
    ),
    (
        "status.his_stop",
        ["Arrêter le SIH simulé", "Stop the simulated HIS"],
    ),
    ("status.his_stopped", ["arrêté", "stopped"]),
    (
        "status.in_house",
        ["Patients hospitalisés", "Patients in house"],
    ),
    ("status.kind", ["Type", "Kind"]),
    ("status.last", ["Dernière réception", "Last received"]),
    ("status.never", ["jamais", "never"]),
    ("status.node", ["Nœud", "Node"]),
    ("status.patients", ["Patients connus", "Patients known"]),
    (
        "status.quarantined",
        ["Entrées en quarantaine", "Inputs in quarantine"],
    ),
    ("status.rejected", ["Refusés", "Rejected"]),
    ("status.schema", ["Version du schéma", "Schema version"]),
    ("status.title", ["Statut du nœud", "Node status"]),
    ("status.units", ["Unités", "Units"]),
    ("status.uptime", ["En service depuis", "Up for"]),
    ("unit.celsius", ["°C", "°C"]),
    ("unit.giga_per_litre", ["G/L", "10⁹/L"]),
    ("unit.iu", ["UI", "IU"]),
    ("unit.tera_per_litre", ["T/L", "10¹²/L"]),
    ("units.beds", ["Lits", "Beds"]),
    (
        "units.caption",
        ["Unités de l'établissement", "Units of the establishment"],
    ),
    ("units.code", ["Code", "Code"]),
    ("units.empty", ["Aucune unité connue.", "No unit known."]),
    ("units.free", ["Libres", "Free"]),
    ("units.name", ["Unité", "Unit"]),
    ("units.occupancy", ["Occupation", "Occupancy"]),
    ("units.occupied", ["Occupés", "Occupied"]),
    ("units.patients", ["Patients", "Patients"]),
    ("units.title", ["Unités", "Units"]),
    ("units.total", ["Établissement", "Establishment"]),
    ("user.lock", ["Verrouiller", "Lock"]),
    ("user.logout", ["Se déconnecter", "Log out"]),
    ("value.none", ["pas de valeur", "no value"]),
];

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn all_keys() -> impl Iterator<Item = &'static (&'static str, [&'static str; LANGS])> {
        CATALOGS.iter().flat_map(|c| c.iter())
    }

    /// Every file under `folder`, recursively.
    fn files(folder: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(folder).expect("folder exists") {
            let path = entry.expect("readable dir entry").path();
            if path.is_dir() {
                files(&path, out);
            } else {
                out.push(path);
            }
        }
    }

    fn sources() -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for folder in ["templates", "src"] {
            files(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder),
                &mut out,
            );
        }
        out
    }

    #[test]
    fn catalog_is_sorted_unique_and_complete() {
        for catalog in CATALOGS {
            for pair in catalog.windows(2) {
                assert!(
                    pair[0].0 < pair[1].0,
                    "{} must sort before {}",
                    pair[0].0,
                    pair[1].0
                );
            }
        }
        let mut keys: Vec<&str> = all_keys().map(|(k, _)| *k).collect();
        let count = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), count, "a key is in two catalogs");
        for (key, texts) in all_keys() {
            assert!(
                texts.iter().all(|t| !t.trim().is_empty()),
                "{key} has an empty text"
            );
        }
    }

    #[test]
    fn every_key_used_by_templates_and_code_exists() {
        let mut used = 0;
        for path in sources() {
            let text = std::fs::read_to_string(&path).expect("readable file");
            for marker in ["tr.t(\"", "tr.fmt(\""] {
                for piece in text.split(marker).skip(1) {
                    let key = piece.split('"').next().unwrap_or_default();
                    assert!(
                        all_keys().any(|(k, _)| *k == key),
                        "{key} used in {path:?} is missing from the catalog"
                    );
                    used += 1;
                }
            }
        }
        assert!(used > 50, "only {used} keys found: the scan is broken");
    }

    #[test]
    fn every_catalog_key_is_used_somewhere() {
        let mut text = String::new();
        for path in sources() {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name != "i18n.rs" && !name.ends_with("text.rs") {
                text.push_str(&std::fs::read_to_string(&path).expect("readable file"));
            }
        }
        let sources = text;
        for (key, _) in all_keys() {
            assert!(
                sources.contains(&format!("\"{key}\"")),
                "{key} is never used"
            );
        }
    }

    #[test]
    fn french_by_default_english_on_request() {
        assert_eq!(Lang::negotiate(None, &HeaderMap::new()), Lang::Fr);
        assert_eq!(
            Lang::negotiate(Some("q=x&lang=en"), &HeaderMap::new()),
            Lang::En
        );
        let cookie = headers(&[("cookie", "a=b; lang=en")]);
        assert_eq!(Lang::negotiate(None, &cookie), Lang::En);
        assert_eq!(Lang::negotiate(Some("lang=fr"), &cookie), Lang::Fr);
    }

    #[test]
    fn accept_language_alone_never_switches_to_english() {
        for header in [
            "en-US",
            "en-US,en;q=0.9",
            "en-GB,en;q=0.8",
            "de-DE,en;q=0.5",
        ] {
            let headers = headers(&[("accept-language", header)]);
            assert_eq!(Lang::negotiate(None, &headers), Lang::Fr, "{header}");
        }
        let both = headers(&[("accept-language", "en-US"), ("cookie", "lang=en")]);
        assert_eq!(Lang::negotiate(None, &both), Lang::En);
        let english = headers(&[("accept-language", "en-US")]);
        assert_eq!(Lang::negotiate(Some("lang=en"), &english), Lang::En);
        let unsupported = headers(&[("cookie", "lang=de")]);
        assert_eq!(Lang::negotiate(Some("lang=xx"), &unsupported), Lang::Fr);
    }

    #[test]
    fn fmt_fills_placeholders() {
        let fr = Tr(Lang::Fr);
        assert_eq!(fr.fmt("allergy.count", &[("n", "2")]), "Allergies (2)");
        assert_eq!(Tr(Lang::En).t("board.free"), "Free");
        assert_eq!(fr.t("no.such.key"), "?");
    }
}
