//! The clinical capsule's texts (medication grid, prescriptions, vitals, notes and handover), French and
//! English; see `crate::i18n` for how catalogs work.

use crate::i18n::Catalog;

/// Keys sorted; checked by the i18n tests.
pub(crate) const CATALOG: Catalog = &[
    ("ward.acvpu_a", ["alerte", "alert"]),
    ("ward.acvpu_c", ["confusion récente", "new confusion"]),
    ("ward.acvpu_p", ["réagit à la douleur", "responds to pain"]),
    ("ward.acvpu_u", ["aucune réaction", "unresponsive"]),
    ("ward.acvpu_v", ["réagit à la voix", "responds to voice"]),
    ("ward.allergies", ["Allergies", "Allergies"]),
    (
        "ward.already_given",
        [
            "Cette dose est déjà enregistrée comme donnée :",
            "This dose is already recorded as given:",
        ],
    ),
    ("ward.back", ["← Retour", "← Back"]),
    ("ward.cell_due", ["à donner", "due"]),
    ("ward.cell_overdue", ["en retard", "overdue"]),
    ("ward.cell_planned", ["prévu", "planned"]),
    ("ward.change_link", ["Modifier", "Change"]),
    (
        "ward.change_replaces",
        [
            "Cette prescription remplacera (et arrêtera) :",
            "This prescription will replace (and stop):",
        ],
    ),
    (
        "ward.change_title",
        ["Modifier une prescription", "Change a prescription"],
    ),
    (
        "ward.chart_hint",
        [
            "Courbes sur 7 jours : les valeurs reçues du SIH et celles saisies en mode dégradé sont deux séries distinctes.",
            "Charts over 7 days: values received from the HIS and values entered in downtime mode are two separate series.",
        ],
    ),
    ("ward.check_due", ["contrôle à faire", "check due"]),
    ("ward.check_planned", ["contrôle prévu", "check planned"]),
    (
        "ward.current_prescriptions",
        ["Prescriptions en cours", "Current prescriptions"],
    ),
    ("ward.downtime_tag", ["mode dégradé", "downtime"]),
    (
        "ward.error_allergy_unacknowledged",
        [
            "Les allergies du patient contre-indiquent ce médicament : cochez « donner malgré l'allergie » après accord du prescripteur, ou notez la dose non donnée.",
            "The patient's allergies contraindicate this drug: tick « give despite the allergy » once the prescriber agreed, or record the dose as not given.",
        ],
    ),
    (
        "ward.error_already_given",
        [
            "Cette dose est déjà enregistrée comme donnée (par {by}) : rien de plus n'a été enregistré.",
            "This dose is already recorded as given (by {by}): nothing more was recorded.",
        ],
    ),
    (
        "ward.error_dose",
        ["Indiquez la dose donnée.", "Enter the dose given."],
    ),
    (
        "ward.error_flow",
        [
            "Sous oxygène : indiquez le débit en L/min (plus de 0, au plus 60).",
            "On oxygen: enter the flow in L/min (over 0, at most 60).",
        ],
    ),
    (
        "ward.error_flow_without_oxygen",
        [
            "Un débit d'oxygène est indiqué : cochez « sous oxygène ».",
            "An oxygen flow is given: tick “on oxygen”.",
        ],
    ),
    (
        "ward.error_given_ahead",
        [
            "Cette dose est prévue à {at} : elle ne peut pas être notée donnée plus d'une heure à l'avance.",
            "This dose is planned at {at}: it cannot be recorded as given more than an hour ahead.",
        ],
    ),
    (
        "ward.error_no_vital",
        [
            "Saisissez au moins une constante.",
            "Enter at least one vital sign.",
        ],
    ),
    (
        "ward.error_note_empty",
        [
            "Remplissez au moins les données, les actions ou les résultats.",
            "Fill in at least the data, the actions or the results.",
        ],
    ),
    (
        "ward.error_outcome",
        [
            "Choisissez : donné, non donné ou différé.",
            "Choose: given, not given or held.",
        ],
    ),
    (
        "ward.error_oxygen",
        [
            "Air ou oxygène : réponse non reconnue.",
            "Air or oxygen: answer not recognised.",
        ],
    ),
    (
        "ward.error_prescription_stopped",
        [
            "Cette prescription n'est plus active (arrêtée entre-temps) : rien n'a été enregistré.",
            "This prescription is no longer active (stopped meanwhile): nothing was recorded.",
        ],
    ),
    (
        "ward.error_reason",
        [
            "Indiquez le motif (choix ou texte libre).",
            "Give the reason (a choice or free text).",
        ],
    ),
    (
        "ward.error_reason_other",
        [
            "Motif « autre » : précisez-le en texte libre.",
            "Reason “other”: describe it in free text.",
        ],
    ),
    (
        "ward.error_refused_by_pharmacy",
        [
            "La pharmacie a refusé cette prescription ({remark}) : la dose ne peut pas être notée donnée ; voyez le prescripteur.",
            "The pharmacy refused this prescription ({remark}): the dose cannot be recorded as given; see the prescriber.",
        ],
    ),
    (
        "ward.error_remark",
        [
            "Une remarque ou un motif est obligatoire pour une validation avec remarque ou un refus.",
            "A remark or a reason is required to validate with a remark or to refuse.",
        ],
    ),
    (
        "ward.error_route",
        ["Indiquez la voie d'administration.", "Enter the route."],
    ),
    (
        "ward.error_stop_reason",
        [
            "Le motif de l'arrêt est obligatoire.",
            "The reason for stopping is required.",
        ],
    ),
    (
        "ward.error_target",
        ["La cible est obligatoire.", "The target is required."],
    ),
    (
        "ward.error_time",
        [
            "Heure illisible : utilisez jj/mm/aaaa HH:MM.",
            "Unreadable time: use dd/mm/yyyy HH:MM.",
        ],
    ),
    (
        "ward.error_time_future",
        [
            "L'heure indiquée est dans le futur.",
            "The time given is in the future.",
        ],
    ),
    (
        "ward.error_time_old",
        [
            "L'heure indiquée date de plus de 24 heures.",
            "The time given is more than 24 hours ago.",
        ],
    ),
    (
        "ward.error_too_long",
        [
            "{field} : {max} caractères au plus.",
            "{field}: {max} characters at most.",
        ],
    ),
    (
        "ward.error_unknown_prescription",
        [
            "Prescription inconnue ou qui n'est plus active pour ce patient.",
            "Unknown prescription, or no longer active for this patient.",
        ],
    ),
    (
        "ward.error_unknown_review",
        [
            "Cette prescription n'a pas été saisie en mode dégradé : elle ne se valide pas ici.",
            "This prescription was not entered in downtime mode: it is not reviewed here.",
        ],
    ),
    (
        "ward.error_unknown_slot",
        [
            "Cette heure prévue n'est pas une prise de cette prescription.",
            "This planned time is not a dose of this prescription.",
        ],
    ),
    (
        "ward.error_verdict",
        [
            "Choisissez un avis : valider, valider avec remarque ou refuser.",
            "Choose a verdict: validate, validate with a remark or refuse.",
        ],
    ),
    (
        "ward.error_wristband",
        [
            "Le bracelet lu (« {scanned} ») ne correspond pas à {name} (IPP {ipp}) : rien n'a été enregistré. Vérifiez l'identité du patient avant toute administration.",
            "The wristband read (“{scanned}”) does not match {name} (IPP {ipp}): nothing was recorded. Check the patient's identity before any administration.",
        ],
    ),
    (
        "ward.error_wristband_missing",
        [
            "Scannez ou saisissez le numéro du bracelet du patient.",
            "Scan or type the patient's wristband number.",
        ],
    ),
    ("ward.field_actions", ["Actions", "Actions"]),
    ("ward.field_comment", ["Commentaire", "Comment"]),
    ("ward.field_data", ["Données", "Data"]),
    (
        "ward.field_despite_allergy",
        [
            "Donner malgré l'allergie (accord du prescripteur)",
            "Give despite the allergy (prescriber agreed)",
        ],
    ),
    ("ward.field_dose", ["Dose", "Dose"]),
    ("ward.field_drug", ["Médicament", "Drug"]),
    (
        "ward.field_duration",
        [
            "Durée (vide : jusqu'à nouvel ordre)",
            "Duration (empty: until further notice)",
        ],
    ),
    ("ward.field_frequency", ["Fréquence", "Frequency"]),
    (
        "ward.field_handover",
        ["À transmettre à la relève", "For the next shift's handover"],
    ),
    ("ward.field_outcome", ["Administration", "Administration"]),
    ("ward.field_real_time", ["Heure réelle", "Actual time"]),
    (
        "ward.field_reason",
        ["Motif (non donné ou différé)", "Reason (not given or held)"],
    ),
    (
        "ward.field_reason_text",
        ["Précision du motif", "Reason details"],
    ),
    (
        "ward.field_remark",
        ["Remarque ou motif", "Remark or reason"],
    ),
    ("ward.field_results", ["Résultats", "Results"]),
    ("ward.field_route", ["Voie", "Route"]),
    (
        "ward.field_stop_reason",
        ["Motif de l'arrêt", "Reason for stopping"],
    ),
    ("ward.field_target", ["Cible", "Target"]),
    ("ward.field_time", ["Heure", "Time"]),
    (
        "ward.field_wristband",
        [
            "Bracelet du patient (scanner ou saisir l'IPP)",
            "Patient's wristband (scan or type the IPP)",
        ],
    ),
    (
        "ward.grid_empty",
        ["Aucun patient dans l'unité.", "No patient in the unit."],
    ),
    (
        "ward.grid_link",
        ["Plan d'administration", "Administration record"],
    ),
    (
        "ward.grid_prescription",
        ["Lit, patient, prescription", "Bed, patient, prescription"],
    ),
    ("ward.grid_schedule", ["Fréquence", "Frequency"]),
    (
        "ward.grid_window",
        [
            "Équipe en cours depuis le {from}, équipe suivante à partir de {next}, jusqu'au {to}.",
            "Current shift since {from}, next shift from {next}, until {to}.",
        ],
    ),
    (
        "ward.handover_doses",
        [
            "Doses en retard, non données ou différées",
            "Doses overdue, not given or held",
        ],
    ),
    (
        "ward.handover_held",
        [
            "{drug} prévu à {at} : différé — {reason} ({by})",
            "{drug} planned at {at}: held — {reason} ({by})",
        ],
    ),
    ("ward.handover_link", ["Relève", "Handover"]),
    ("ward.handover_no_dose", ["Aucune.", "None."]),
    ("ward.handover_no_prescription", ["Aucune.", "None."]),
    (
        "ward.handover_not_given",
        [
            "{drug} prévu à {at} : non donné — {reason} ({by})",
            "{drug} planned at {at}: not given — {reason} ({by})",
        ],
    ),
    (
        "ward.handover_notes",
        ["Transmissions pour la relève", "Notes for the handover"],
    ),
    (
        "ward.handover_overdue",
        [
            "{drug} prévu à {at} : en retard, non enregistré",
            "{drug} planned at {at}: overdue, not recorded",
        ],
    ),
    (
        "ward.handover_prescriptions",
        [
            "Prescriptions nouvelles ou arrêtées",
            "New or stopped prescriptions",
        ],
    ),
    (
        "ward.handover_signed",
        ["Nouvelle à {at} : {what}", "New at {at}: {what}"],
    ),
    (
        "ward.handover_since",
        ["Relève depuis le {at}.", "Handover since {at}."],
    ),
    (
        "ward.handover_stopped",
        ["Arrêtée à {at} : {what}", "Stopped at {at}: {what}"],
    ),
    ("ward.handover_tag", ["relève", "handover"]),
    (
        "ward.handover_title",
        ["Relève — {unit}", "Handover — {unit}"],
    ),
    (
        "ward.home_kitchen_link",
        ["Régimes pour la cuisine", "Diets for the kitchen"],
    ),
    ("ward.home_lab_link", ["biologie", "lab"]),
    (
        "ward.home_lab_results_link",
        [
            "Saisie des résultats du laboratoire (scanner l'étiquette)",
            "Enter lab results (scan the label)",
        ],
    ),
    ("ward.home_link", ["Soins en mode dégradé", "Downtime care"]),
    ("ward.home_more", ["Autres pages", "Other pages"]),
    (
        "ward.home_movements_link",
        ["admissions et mouvements", "admissions and movements"],
    ),
    (
        "ward.home_no_unit",
        [
            "Aucune unité dans votre périmètre.",
            "No unit in your scope.",
        ],
    ),
    (
        "ward.home_nothing",
        [
            "Votre rôle ne documente pas de soins en mode dégradé.",
            "Your role does not document care in downtime mode.",
        ],
    ),
    ("ward.home_overdue", ["Doses en retard", "Overdue doses"]),
    ("ward.home_pages", ["Pages", "Pages"]),
    (
        "ward.home_paper_link",
        ["dossier papier de secours", "paper fallback"],
    ),
    ("ward.home_patients", ["Patients", "Patients"]),
    (
        "ward.home_pending",
        [
            "{n} prescription(s) à valider",
            "{n} prescription(s) to review",
        ],
    ),
    (
        "ward.home_prescribe_hint",
        [
            "Pour prescrire, ouvrez le dossier de soins d'un patient depuis le plan d'administration de son unité.",
            "To prescribe, open a patient's care page from their unit's administration record.",
        ],
    ),
    (
        "ward.home_reconcile_link",
        ["Réintégration dans le SIH", "Re-integration into the HIS"],
    ),
    (
        "ward.home_schedule_link",
        ["Rendez-vous des consultations", "Clinic appointments"],
    ),
    (
        "ward.home_title",
        ["Soins en mode dégradé", "Downtime care"],
    ),
    ("ward.home_unit", ["Unité", "Unit"]),
    ("ward.home_units", ["Vos unités", "Your units"]),
    (
        "ward.latest_caption",
        ["Dernières valeurs", "Latest values"],
    ),
    ("ward.news2_high", ["risque élevé", "high risk"]),
    (
        "ward.news2_high_response",
        [
            "Réponse d'urgence : surveillance continue, appel de l'équipe d'urgence ou de réanimation.",
            "Emergency response: continuous monitoring, call the emergency or critical care team.",
        ],
    ),
    ("ward.news2_low", ["risque faible", "low risk"]),
    (
        "ward.news2_low_response",
        [
            "Surveillance au moins toutes les 4 à 6 heures ; l'infirmier(e) évalue et décide d'un avis médical.",
            "Monitoring at least every 4 to 6 hours; the nurse assesses and decides on a medical review.",
        ],
    ),
    (
        "ward.news2_lowmedium",
        [
            "risque faible à moyen (un paramètre à 3)",
            "low to medium risk (one parameter at 3)",
        ],
    ),
    (
        "ward.news2_lowmedium_response",
        [
            "Réponse urgente du service : surveillance au moins toutes les heures, avis médical.",
            "Urgent ward response: monitoring at least hourly, medical review.",
        ],
    ),
    ("ward.news2_medium", ["risque moyen", "medium risk"]),
    (
        "ward.news2_medium_response",
        [
            "Réponse urgente : surveillance au moins toutes les heures, avis médical urgent, envisager la réanimation.",
            "Urgent response: monitoring at least hourly, urgent medical review, consider critical care.",
        ],
    ),
    (
        "ward.news2_none",
        [
            "Pas de constante connue : score NEWS2 impossible.",
            "No known vital signs: no NEWS2 score.",
        ],
    ),
    (
        "ward.news2_oldest",
        [
            "Valeur la plus ancienne prise en compte : {at}.",
            "Oldest value scored: {at}.",
        ],
    ),
    (
        "ward.news2_partial",
        [
            "Score partiel (borne basse), manque : {missing}.",
            "Partial score (lower bound), missing: {missing}.",
        ],
    ),
    (
        "ward.news2_routine",
        ["risque faible (score 0)", "low risk (score 0)"],
    ),
    (
        "ward.news2_routine_response",
        [
            "Surveillance habituelle, au moins toutes les 12 heures.",
            "Routine monitoring, at least every 12 hours.",
        ],
    ),
    ("ward.news2_score", ["Score NEWS2 {n}", "NEWS2 score {n}"]),
    (
        "ward.news2_score_partial",
        ["Score NEWS2 partiel ≥ {n}", "Partial NEWS2 score ≥ {n}"],
    ),
    (
        "ward.no_end",
        ["jusqu'à nouvel ordre", "until further notice"],
    ),
    (
        "ward.no_prescription",
        ["Aucune prescription active.", "No active prescription."],
    ),
    (
        "ward.note_submit",
        ["Enregistrer la transmission", "Record the note"],
    ),
    ("ward.notes_new", ["Nouvelle transmission", "New note"]),
    ("ward.notes_none", ["Aucune transmission.", "No note."]),
    (
        "ward.notes_title",
        ["Transmissions ciblées", "Targeted notes"],
    ),
    (
        "ward.nothing_planned",
        [
            "aucune prise prévue sur ces deux équipes",
            "no dose planned in these two shifts",
        ],
    ),
    ("ward.on_air", ["air ambiant", "room air"]),
    ("ward.on_oxygen", ["sous oxygène", "on oxygen"]),
    ("ward.outcome_given", ["Donné", "Given"]),
    ("ward.outcome_held", ["Différé", "Held"]),
    ("ward.outcome_not_given", ["Non donné", "Not given"]),
    (
        "ward.overdue_count",
        ["{n} dose(s) en retard", "{n} overdue dose(s)"],
    ),
    (
        "ward.pharmacy_none",
        [
            "Aucune prescription en attente de validation.",
            "No prescription awaiting review.",
        ],
    ),
    (
        "ward.pharmacy_none_reviewed",
        ["Aucun avis donné pour l'instant.", "No review given yet."],
    ),
    (
        "ward.pharmacy_pending",
        [
            "Prescriptions du mode dégradé à valider",
            "Downtime prescriptions to review",
        ],
    ),
    (
        "ward.pharmacy_reviewed",
        ["Derniers avis donnés", "Latest reviews"],
    ),
    (
        "ward.pharmacy_title",
        ["Validation pharmaceutique", "Pharmaceutical review"],
    ),
    ("ward.planned", ["Prévue", "Planned"]),
    ("ward.planned_at", ["le {at}", "at {at}"]),
    (
        "ward.planned_none",
        [
            "sans heure prévue (si besoin ou à préciser)",
            "no planned time (as needed or to clarify)",
        ],
    ),
    ("ward.prescribe_link", ["Prescrire", "Prescribe"]),
    (
        "ward.prescribe_title",
        ["Nouvelle prescription", "New prescription"],
    ),
    ("ward.prescriber", ["Prescripteur", "Prescriber"]),
    (
        "ward.read_only",
        [
            "Aucune crise en cours : lecture seule, la saisie n'est ouverte que pendant une crise (ou un exercice).",
            "No crisis in progress: read only, entry is open only during a crisis (or an exercise).",
        ],
    ),
    (
        "ward.reason_absent",
        ["patient absent du service", "patient away from the unit"],
    ),
    (
        "ward.reason_clinical",
        [
            "paramètres cliniques (constantes, glycémie)",
            "clinical parameters (vital signs, glucose)",
        ],
    ),
    ("ward.reason_fasting", ["patient à jeun", "nil by mouth"]),
    ("ward.reason_other", ["autre", "other"]),
    (
        "ward.reason_physician",
        ["décision médicale", "physician's decision"],
    ),
    (
        "ward.reason_refused",
        ["refus du patient", "refused by the patient"],
    ),
    (
        "ward.reason_route",
        ["voie d'administration impossible", "route not possible"],
    ),
    (
        "ward.reason_unavailable",
        ["produit indisponible", "drug unavailable"],
    ),
    ("ward.reason_vomiting", ["vomissements", "vomiting"]),
    (
        "ward.record_history",
        [
            "Dernières administrations de cette prescription",
            "Latest administrations of this prescription",
        ],
    ),
    ("ward.record_submit", ["Enregistrer", "Record"]),
    (
        "ward.record_title",
        ["Enregistrer une administration", "Record an administration"],
    ),
    (
        "ward.review",
        ["Validation pharmaceutique", "Pharmaceutical review"],
    ),
    (
        "ward.review_pending",
        ["à valider par la pharmacie", "awaiting pharmacy review"],
    ),
    (
        "ward.review_refused",
        ["refusée par {who}", "refused by {who}"],
    ),
    (
        "ward.review_remark",
        [
            "validée avec remarque par {who}",
            "validated with a remark by {who}",
        ],
    ),
    ("ward.review_submit", ["Donner l'avis", "Give the verdict"]),
    (
        "ward.review_validated",
        ["validée par {who}", "validated by {who}"],
    ),
    (
        "ward.section_mar",
        ["Plan d'administration", "Administration record"],
    ),
    ("ward.section_notes", ["Transmissions", "Notes"]),
    (
        "ward.section_prescriptions",
        ["Prescriptions", "Prescriptions"],
    ),
    (
        "ward.section_vitals",
        ["Constantes et score NEWS2", "Vital signs and NEWS2 score"],
    ),
    ("ward.series_diastolic", ["Diastolique", "Diastolic"]),
    (
        "ward.series_downtime",
        ["saisi en mode dégradé", "entered in downtime"],
    ),
    ("ward.series_his", ["SIH", "HIS"]),
    ("ward.series_systolic", ["Systolique", "Systolic"]),
    (
        "ward.sign",
        ["Signer la prescription", "Sign the prescription"],
    ),
    (
        "ward.sign_anyway",
        [
            "Signer malgré l'alerte : j'ai pris connaissance des alertes ci-dessus.",
            "Sign despite the alert: I have read the alerts above.",
        ],
    ),
    (
        "ward.signed_at",
        [
            "prescrite en mode dégradé le {at}",
            "prescribed in downtime on {at}",
        ],
    ),
    ("ward.stop_link", ["Arrêter", "Stop"]),
    (
        "ward.stop_submit",
        ["Arrêter la prescription", "Stop the prescription"],
    ),
    (
        "ward.stop_title",
        ["Arrêter une prescription", "Stop a prescription"],
    ),
    (
        "ward.stopped_dose",
        [
            "Prescription arrêtée depuis :",
            "Prescription stopped since:",
        ],
    ),
    (
        "ward.to_clarify",
        [
            "{text} — à faire préciser par le prescripteur",
            "{text} — to be clarified by the prescriber",
        ],
    ),
    (
        "ward.unit_title",
        [
            "Plan d'administration — {unit}",
            "Administration record — {unit}",
        ],
    ),
    ("ward.verdict_refuse", ["Refuser", "Refuse"]),
    (
        "ward.verdict_remark",
        ["Valider avec remarque", "Validate with a remark"],
    ),
    ("ward.verdict_validate", ["Valider", "Validate"]),
    (
        "ward.vital_consciousness",
        ["Conscience (ACVPU)", "Consciousness (ACVPU)"],
    ),
    ("ward.vital_flow", ["Débit d'oxygène", "Oxygen flow"]),
    ("ward.vital_oxygen", ["Air ou oxygène", "Air or oxygen"]),
    ("ward.vital_pain", ["Douleur (EVA)", "Pain (VAS)"]),
    (
        "ward.vital_pressure",
        ["Pression artérielle", "Blood pressure"],
    ),
    ("ward.vital_pulse", ["Fréquence cardiaque", "Heart rate"]),
    (
        "ward.vital_rr",
        ["Fréquence respiratoire", "Respiratory rate"],
    ),
    ("ward.vital_spo2", ["SpO2", "SpO2"]),
    (
        "ward.vital_systolic",
        ["Pression artérielle systolique", "Systolic blood pressure"],
    ),
    ("ward.vital_temperature", ["Température", "Temperature"]),
    ("ward.vital_weight", ["Poids", "Weight"]),
    (
        "ward.vitals_submit",
        ["Enregistrer les constantes", "Record the vital signs"],
    ),
    (
        "ward.vitals_title",
        ["Saisir des constantes", "Enter vital signs"],
    ),
    (
        "ward.warnings_title",
        ["Alertes avant signature", "Alerts before signing"],
    ),
    (
        "ward.wristband_hint",
        [
            "Scannez le bracelet en dernier : la lecture valide le formulaire.",
            "Scan the wristband last: the scan submits the form.",
        ],
    ),
];
