//! The clinical capsule's texts (lab, admissions and movements, clinic and kitchen lists, paper fallback, re-integration), French and
//! English; see `crate::i18n` for how catalogs work.

use crate::i18n::Catalog;

/// Keys sorted; checked by the i18n tests.
pub(crate) const CATALOG: Catalog = &[
    (
        "flow.adm.age",
        [
            "Âge approximatif (identité inconnue)",
            "Approximate age (unknown identity)",
        ],
    ),
    (
        "flow.adm.birth",
        ["Date de naissance (si connue)", "Birth date (if known)"],
    ),
    (
        "flow.adm.error_age",
        [
            "« {age} » n'est pas un âge : indiquez un nombre d'années entre 0 et 120.",
            "“{age}” is not an age: give a number of years between 0 and 120.",
        ],
    ),
    (
        "flow.adm.error_birth",
        [
            "« {date} » n'est pas une date de naissance (attendu : jj/mm/aaaa).",
            "“{date}” is not a birth date (expected: dd/mm/yyyy).",
        ],
    ),
    (
        "flow.adm.error_birth_range",
        [
            "La date de naissance {date} est dans le futur ou il y a plus de 120 ans.",
            "The birth date {date} is in the future or more than 120 years ago.",
        ],
    ),
    (
        "flow.adm.error_name",
        [
            "Indiquez le nom du patient, ou cochez « identité inconnue ».",
            "Give the patient's family name, or tick “unknown identity”.",
        ],
    ),
    (
        "flow.adm.error_name_long",
        [
            "Le nom et le prénom tiennent en {max} caractères chacun au plus.",
            "Family and given names hold {max} characters each at most.",
        ],
    ),
    (
        "flow.adm.error_sex",
        [
            "Choisissez le sexe du patient (« inconnu » si vous ne savez pas).",
            "Choose the patient's sex (“unknown” if you do not know).",
        ],
    ),
    ("flow.adm.family", ["Nom", "Family name"]),
    ("flow.adm.given", ["Prénom", "Given name"]),
    (
        "flow.adm.hint",
        [
            "Le patient reçoit une identité provisoire : le prochain IPP libre de la plage de mode dégradé {range}. Elle sera rapprochée de sa vraie identité à la réintégration.",
            "The patient gets a provisional identity: the next free IPP of the downtime range {range}. It is matched to the real identity at re-integration.",
        ],
    ),
    ("flow.adm.identity", ["Identité", "Identity"]),
    (
        "flow.adm.ipp_busy",
        [
            "D'autres postes admettent en même temps et ont pris les IPP provisoires suivants : réessayez.",
            "Other terminals are admitting at the same time and took the next provisional IPPs: try again.",
        ],
    ),
    (
        "flow.adm.range_full",
        [
            "La plage d'IPP provisoires est épuisée : élargissez [soins] ipp dans la configuration.",
            "The provisional IPP range is used up: widen [soins] ipp in the configuration.",
        ],
    ),
    (
        "flow.adm.submit",
        [
            "Admettre et imprimer le bracelet",
            "Admit and print the wristband",
        ],
    ),
    (
        "flow.adm.title",
        [
            "Admission en mode dégradé — {unit}",
            "Downtime admission — {unit}",
        ],
    ),
    (
        "flow.adm.unknown",
        [
            "Identité inconnue (patient non identifié : nom « INCONNU »)",
            "Unknown identity (unidentified patient: name “INCONNU”)",
        ],
    ),
    ("flow.back_unit", ["Retour à l'unité", "Back to the unit"]),
    (
        "flow.band.admitted",
        [
            "Patient admis avec une identité provisoire : imprimez et posez le bracelet.",
            "Patient admitted with a provisional identity: print and put on the wristband.",
        ],
    ),
    (
        "flow.band.hint",
        [
            "Imprimez cette page (Ctrl+P) sur l'imprimante à bracelets.",
            "Print this page (Ctrl+P) on the wristband printer.",
        ],
    ),
    (
        "flow.band.title",
        ["Bracelet d'identification", "Identification wristband"],
    ),
    ("flow.barcode", ["Code-barres", "Barcode"]),
    (
        "flow.closed",
        [
            "Aucune crise n'est déclarée : la saisie en mode dégradé est fermée, cette page est en lecture seule.",
            "No crisis is declared: downtime entry is closed, this page is read-only.",
        ],
    ),
    ("flow.day.fri", ["vendredi", "Friday"]),
    ("flow.day.mon", ["lundi", "Monday"]),
    ("flow.day.sat", ["samedi", "Saturday"]),
    ("flow.day.sun", ["dimanche", "Sunday"]),
    ("flow.day.thu", ["jeudi", "Thursday"]),
    ("flow.day.tue", ["mardi", "Tuesday"]),
    ("flow.day.wed", ["mercredi", "Wednesday"]),
    (
        "flow.diet.changed",
        [
            "Le régime de {name} vient d'être modifié depuis un autre poste : rechargez la page avant d'en saisir un nouveau.",
            "{name}'s diet was just changed from another terminal: reload the page before recording a new one.",
        ],
    ),
    ("flow.diet.current", ["Régime en vigueur", "Diet in force"]),
    (
        "flow.diet.error_empty",
        [
            "Cochez au moins un régime, écrivez-en un, ou cochez « À jeun ».",
            "Tick at least one diet, type one, or tick “Nil by mouth”.",
        ],
    ),
    (
        "flow.diet.error_unknown",
        [
            "« {diet} » n'est pas un régime de la liste : écrivez-le dans « Autre régime ».",
            "“{diet}” is not a diet of the list: type it in “Other diet”.",
        ],
    ),
    ("flow.diet.fasting", ["À jeun", "Nil by mouth"]),
    (
        "flow.diet.hint",
        [
            "Le nouveau régime remplace celui en vigueur.",
            "The new diet replaces the one in force.",
        ],
    ),
    ("flow.diet.new", ["Nouveau régime", "New diet"]),
    (
        "flow.diet.other",
        [
            "Autre régime (séparer par des virgules)",
            "Other diet (separate with commas)",
        ],
    ),
    (
        "flow.diet.saved",
        [
            "Régime enregistré : la cuisine le voit dès maintenant.",
            "Diet recorded: the kitchen sees it now.",
        ],
    ),
    ("flow.diet.since", ["depuis le", "since"]),
    ("flow.diet.start", ["À partir de", "From"]),
    (
        "flow.diet.submit",
        ["Enregistrer le régime", "Record the diet"],
    ),
    ("flow.diet.title", ["Régime du patient", "Patient diet"]),
    (
        "flow.drawn_at",
        [
            "Liste établie le {at} (données du nœud à cet instant).",
            "List drawn up on {at} (the node's data at that moment).",
        ],
    ),
    (
        "flow.error_time",
        [
            "« {time} » n'est pas une heure (attendu : jj/mm/aaaa hh:mm).",
            "“{time}” is not a time (expected: dd/mm/yyyy hh:mm).",
        ],
    ),
    (
        "flow.error_too_long",
        [
            "Texte trop long : {max} caractères au plus.",
            "Text too long: {max} characters at most.",
        ],
    ),
    ("flow.identity", ["Identité du patient", "Patient identity"]),
    ("flow.kitchen.all", ["Toutes les unités", "All units"]),
    ("flow.kitchen.also", ["aussi en vigueur", "also in force"]),
    ("flow.kitchen.diet", ["Régime", "Diet"]),
    (
        "flow.kitchen.edit",
        ["modifier le régime", "change the diet"],
    ),
    (
        "flow.kitchen.empty",
        [
            "Aucun patient dans cette unité.",
            "No patient in this unit.",
        ],
    ),
    ("flow.kitchen.fasting", ["À JEUN", "NIL BY MOUTH"]),
    (
        "flow.kitchen.no_diet",
        ["régime non renseigné", "diet not recorded"],
    ),
    (
        "flow.kitchen.remarks",
        [
            "Texture, allergies, remarques",
            "Texture, allergies, remarks",
        ],
    ),
    (
        "flow.kitchen.summary",
        [
            "{trays} patients, dont {fasting} à jeun et {missing} sans régime renseigné.",
            "{trays} patients, {fasting} nil by mouth and {missing} without a recorded diet.",
        ],
    ),
    (
        "flow.kitchen.title",
        ["Régimes pour la cuisine", "Diets for the kitchen"],
    ),
    ("flow.kitchen.units", ["Unités", "Units"]),
    (
        "flow.lab.acknowledge",
        [
            "Résultat critique pris en compte",
            "Critical result acknowledged",
        ],
    ),
    (
        "flow.lab.acknowledged",
        [
            "pris en compte par {who} le {at}",
            "acknowledged by {who} on {at}",
        ],
    ),
    ("flow.lab.analyte", ["Examen", "Test"]),
    (
        "flow.lab.back_unit",
        ["Demandes de biologie de l'unité", "The unit's lab requests"],
    ),
    (
        "flow.lab.bad_label",
        ["Étiquette refusée : {reason}.", "Label refused: {reason}."],
    ),
    (
        "flow.lab.beds",
        [
            "Lits et patients de l'unité (admissions, demandes)",
            "The unit's beds and patients (admissions, requests)",
        ],
    ),
    (
        "flow.lab.bench_title",
        ["Laboratoire : saisie des résultats", "Lab: result entry"],
    ),
    (
        "flow.lab.check_tube",
        [
            "Vérifiez que l'identité ci-dessous est celle écrite sur le tube avant toute saisie.",
            "Check that the identity below is the one written on the tube before typing anything.",
        ],
    ),
    (
        "flow.lab.comment",
        ["Renseignements cliniques", "Clinical information"],
    ),
    (
        "flow.lab.critical",
        ["résultat critique", "critical result"],
    ),
    (
        "flow.lab.critical_strip",
        [
            "Résultats critiques à prendre en compte",
            "Critical results to acknowledge",
        ],
    ),
    (
        "flow.lab.error_flag",
        [
            "Interprétation inconnue : rechargez la page.",
            "Unknown interpretation: reload the page.",
        ],
    ),
    (
        "flow.lab.error_no_test",
        [
            "Cochez au moins un examen ou écrivez-en un.",
            "Tick at least one test or type one.",
        ],
    ),
    (
        "flow.lab.error_no_value",
        [
            "Aucune valeur saisie : rien n'a été enregistré.",
            "No value typed: nothing was recorded.",
        ],
    ),
    (
        "flow.lab.error_panel",
        [
            "« {panel} » n'est pas un bilan de la liste.",
            "“{panel}” is not a panel of the list.",
        ],
    ),
    (
        "flow.lab.error_requester",
        [
            "Indiquez le prescripteur.",
            "Give the requesting physician.",
        ],
    ),
    (
        "flow.lab.error_specimen",
        [
            "Choisissez la nature du prélèvement.",
            "Choose the specimen.",
        ],
    ),
    (
        "flow.lab.error_stale",
        [
            "Le formulaire ne correspond plus à la demande : rescannez l'étiquette.",
            "The form no longer matches the request: scan the label again.",
        ],
    ),
    (
        "flow.lab.error_time_range",
        [
            "L'heure de prélèvement doit être dans les 7 derniers jours ou les prochaines 24 heures.",
            "The sampling time must be within the last 7 days or the next 24 hours.",
        ],
    ),
    (
        "flow.lab.error_value",
        [
            "« {value} » n'est pas un nombre pour {test} (exemples : 4,2 ; <0,5).",
            "“{value}” is not a number for {test} (examples: 4.2; <0.5).",
        ],
    ),
    ("flow.lab.flag", ["Interprétation", "Interpretation"]),
    ("flow.lab.flag_critical", ["critique", "critical"]),
    (
        "flow.lab.flag_critical_high",
        ["critique haut", "critically high"],
    ),
    (
        "flow.lab.flag_critical_low",
        ["critique bas", "critically low"],
    ),
    ("flow.lab.flag_high", ["haut", "high"]),
    ("flow.lab.flag_low", ["bas", "low"]),
    ("flow.lab.flag_none", ["—", "—"]),
    (
        "flow.lab.label_hint",
        [
            "Collez l'étiquette sur le tube avant le prélèvement.",
            "Stick the label on the tube before sampling.",
        ],
    ),
    (
        "flow.lab.label_pdf",
        ["Imprimer l'étiquette (PDF)", "Print the label (PDF)"],
    ),
    (
        "flow.lab.label_title",
        ["Étiquette de prélèvement", "Specimen label"],
    ),
    (
        "flow.lab.no_id",
        [
            "Aucun numéro de demande libre : réessayez dans une seconde.",
            "No free request number: try again in a second.",
        ],
    ),
    (
        "flow.lab.none_pending",
        [
            "Aucune demande en attente de résultat.",
            "No request waiting for results.",
        ],
    ),
    (
        "flow.lab.others",
        [
            "Autres examens (séparer par des virgules)",
            "Other tests (separate with commas)",
        ],
    ),
    (
        "flow.lab.pending",
        [
            "Demandes en attente de résultat",
            "Requests waiting for results",
        ],
    ),
    ("flow.lab.request", ["Demande", "Request"]),
    (
        "flow.lab.request_submit",
        [
            "Enregistrer la demande et imprimer l'étiquette",
            "Record the request and print the label",
        ],
    ),
    (
        "flow.lab.request_title",
        ["Demande d'examen de biologie", "Lab request"],
    ),
    ("flow.lab.requester", ["Prescripteur", "Requested by"]),
    ("flow.lab.resulted", ["résultat rendu", "resulted"]),
    (
        "flow.lab.results_hint",
        [
            "Seules les valeurs saisies sont enregistrées ; une valeur ressaisie corrige la précédente.",
            "Only the values typed are recorded; a value typed again corrects the previous one.",
        ],
    ),
    (
        "flow.lab.results_submit",
        ["Enregistrer les résultats", "Record the results"],
    ),
    ("flow.lab.sampled", ["Prélevé le", "Sampled on"]),
    (
        "flow.lab.saved",
        [
            "Résultats enregistrés : l'unité les voit dès maintenant.",
            "Results recorded: the unit sees them now.",
        ],
    ),
    (
        "flow.lab.scan",
        [
            "Scanner l'étiquette du tube (ou saisir le numéro)",
            "Scan the tube's label (or type the number)",
        ],
    ),
    ("flow.lab.scan_submit", ["Chercher", "Find"]),
    ("flow.lab.specimen", ["Prélèvement", "Specimen"]),
    ("flow.lab.tests", ["Examens", "Tests"]),
    ("flow.lab.unit", ["Unité", "Unit"]),
    (
        "flow.lab.unit_none",
        [
            "Aucune demande de biologie en mode dégradé pour cette unité.",
            "No downtime lab request for this unit.",
        ],
    ),
    ("flow.lab.unit_of", ["Unité de mesure", "Unit of measure"]),
    (
        "flow.lab.unit_title",
        ["Biologie en mode dégradé — {unit}", "Downtime lab — {unit}"],
    ),
    (
        "flow.lab.unknown_request",
        [
            "Aucune demande {id} sur ce nœud : vérifiez l'étiquette.",
            "No request {id} on this node: check the label.",
        ],
    ),
    ("flow.lab.urgent", ["Urgent", "Urgent"]),
    ("flow.lab.urgent_short", ["URGENT", "URGENT"]),
    ("flow.lab.value", ["Valeur", "Value"]),
    ("flow.lab.waiting", ["en attente", "pending"]),
    ("flow.move.actions", ["Actions", "Actions"]),
    (
        "flow.move.admit",
        ["Admettre un patient", "Admit a patient"],
    ),
    ("flow.move.admit_here", ["Admettre ici", "Admit here"]),
    ("flow.move.bed", ["Lit", "Bed"]),
    (
        "flow.move.bed_taken",
        [
            "Le lit {bed} vient d'être occupé par {name} depuis un autre poste : rechargez la page et choisissez un autre lit.",
            "Bed {bed} has just been taken by {name} from another terminal: reload the page and choose another bed.",
        ],
    ),
    ("flow.move.discharge", ["Sortie", "Discharge"]),
    (
        "flow.move.discharge_submit",
        ["Enregistrer la sortie", "Record the discharge"],
    ),
    (
        "flow.move.discharge_time",
        ["Heure de sortie", "Discharge time"],
    ),
    (
        "flow.move.discharge_title",
        ["Sortie du patient", "Patient discharge"],
    ),
    (
        "flow.move.error_bed",
        [
            "Choisissez un lit libre de l'unité.",
            "Choose a free bed of the unit.",
        ],
    ),
    (
        "flow.move.error_future",
        [
            "L'heure de sortie est dans le futur.",
            "The discharge time is in the future.",
        ],
    ),
    (
        "flow.move.error_same_bed",
        [
            "Le patient est déjà dans ce lit.",
            "The patient is already in this bed.",
        ],
    ),
    (
        "flow.move.error_unit",
        [
            "Choisissez l'unité d'accueil.",
            "Choose the receiving unit.",
        ],
    ),
    (
        "flow.move.free_beds_of",
        ["Lits libres de {unit}", "Free beds of {unit}"],
    ),
    ("flow.move.lab", ["Demande de biologie", "Lab request"]),
    (
        "flow.move.moved_out",
        [
            "{name} est déjà sorti depuis un autre poste : rechargez la page.",
            "{name} was already discharged from another terminal: reload the page.",
        ],
    ),
    (
        "flow.move.moved_to",
        [
            "{name} a été déplacé depuis un autre poste (maintenant : {place}) : rechargez la page.",
            "{name} was moved from another terminal (now: {place}): reload the page.",
        ],
    ),
    (
        "flow.move.no_free_bed",
        [
            "Aucun lit libre dans cette unité.",
            "No free bed in this unit.",
        ],
    ),
    (
        "flow.move.not_in_house",
        [
            "{name} n'est hospitalisé dans aucune unité.",
            "{name} is not staying in any unit.",
        ],
    ),
    (
        "flow.move.provisional",
        ["identité provisoire", "provisional identity"],
    ),
    (
        "flow.move.show_beds",
        ["Voir les lits libres", "Show free beds"],
    ),
    (
        "flow.move.target_unit",
        ["Unité d'accueil", "Receiving unit"],
    ),
    ("flow.move.transfer", ["Mutation", "Transfer"]),
    (
        "flow.move.transfer_submit",
        ["Enregistrer la mutation", "Record the transfer"],
    ),
    (
        "flow.move.transfer_title",
        ["Mutation du patient", "Patient transfer"],
    ),
    (
        "flow.move.unit_title",
        [
            "Admissions, mutations, sorties — {unit}",
            "Admissions, transfers, discharges — {unit}",
        ],
    ),
    ("flow.move.wristband", ["Bracelet", "Wristband"]),
    ("flow.paper.appointments", ["Rendez-vous", "Appointments"]),
    (
        "flow.paper.appointments_hint",
        [
            "rendez-vous des patients de l'unité pour la semaine",
            "the unit's patients' appointments for the week",
        ],
    ),
    ("flow.paper.census", ["Recensement", "Census"]),
    (
        "flow.paper.census_hint",
        [
            "lit par lit, allergies en gras",
            "bed by bed, allergies in bold",
        ],
    ),
    ("flow.paper.diets", ["Régimes", "Diets"]),
    (
        "flow.paper.diets_hint",
        [
            "chambres et régimes, pour la cuisine",
            "rooms and diets, for the kitchen",
        ],
    ),
    ("flow.paper.forms", ["Formulaires vierges", "Blank forms"]),
    (
        "flow.paper.forms_hint",
        [
            "constantes et transmissions, avec l'étiquette du patient",
            "vitals and notes, with the patient's label",
        ],
    ),
    (
        "flow.paper.hint",
        [
            "Chaque document est produit à la demande avec les données du nœud à cet instant, indiquées sur chaque page. Imprimez-les avant que les écrans ne s'éteignent.",
            "Each document is made on demand from the node's data at that moment, stated on every page. Print them before the screens go dark.",
        ],
    ),
    (
        "flow.paper.labels",
        ["Étiquettes patients", "Patient labels"],
    ),
    (
        "flow.paper.labels_hint",
        [
            "planche de 24 étiquettes par patient, IPP en code-barres",
            "a sheet of 24 labels per patient, IPP as a barcode",
        ],
    ),
    (
        "flow.paper.link",
        ["Dossier papier de secours", "Paper fallback pack"],
    ),
    (
        "flow.paper.mar",
        ["Feuilles d'administration", "Medication sheets"],
    ),
    (
        "flow.paper.mar_hint",
        [
            "une par patient, prochaines 24 heures",
            "one per patient, next 24 hours",
        ],
    ),
    ("flow.paper.plans", ["Plans de soins", "Care plans"]),
    (
        "flow.paper.plans_hint",
        [
            "plans de soins et dernières constantes",
            "care plans and latest vitals",
        ],
    ),
    (
        "flow.paper.title",
        [
            "Dossier papier de secours — {unit}",
            "Paper fallback pack — {unit}",
        ],
    ),
    ("flow.place", ["Unité et lit", "Unit and bed"]),
    (
        "flow.rdv.by_clinic",
        ["Regrouper par consultation", "Group by clinic"],
    ),
    (
        "flow.rdv.by_practitioner",
        ["Regrouper par praticien", "Group by practitioner"],
    ),
    ("flow.rdv.cancelled", ["annulé", "cancelled"]),
    (
        "flow.rdv.count",
        ["{n} rendez-vous maintenus", "{n} appointments kept"],
    ),
    (
        "flow.rdv.days",
        ["Jours de la semaine à venir", "Days of the coming week"],
    ),
    ("flow.rdv.fulfilled", ["venu", "attended"]),
    ("flow.rdv.minutes", ["{n} min", "{n} min"]),
    (
        "flow.rdv.no_clinic",
        ["Consultation non précisée", "Clinic not given"],
    ),
    (
        "flow.rdv.no_practitioner",
        ["Praticien non précisé", "Practitioner not given"],
    ),
    ("flow.rdv.no_show", ["absent", "no-show"]),
    (
        "flow.rdv.none",
        [
            "Aucun rendez-vous ce jour-là.",
            "No appointment on that day.",
        ],
    ),
    ("flow.rdv.reason", ["Motif", "Reason"]),
    ("flow.rdv.time", ["Heure", "Time"]),
    (
        "flow.rdv.title",
        ["Rendez-vous du {day}", "Appointments on {day}"],
    ),
    ("flow.reint.all", ["tous", "all"]),
    (
        "flow.reint.already_matched",
        [
            "Cette identité provisoire vient d'être rapprochée depuis un autre poste : rechargez la page.",
            "This provisional identity was just matched from another terminal: reload the page.",
        ],
    ),
    (
        "flow.reint.back",
        ["Retour à la réintégration", "Back to re-integration"],
    ),
    (
        "flow.reint.by_kind",
        ["Par type d'élément", "By kind of item"],
    ),
    ("flow.reint.confirm", ["Confirmer", "Confirm"]),
    ("flow.reint.confirmed", ["confirmé", "confirmed"]),
    ("flow.reint.created", ["Créée le", "Created on"]),
    (
        "flow.reint.despite_mismatch",
        [
            "Malgré l'écart (identité vérifiée)",
            "Despite the difference (identity checked)",
        ],
    ),
    (
        "flow.reint.error_confirm",
        [
            "Cochez la confirmation : le rapprochement fusionne les deux dossiers.",
            "Tick the confirmation: matching merges the two records.",
        ],
    ),
    (
        "flow.reint.error_mismatch",
        [
            "Rapprochement refusé : {reason} de l'identité provisoire. Vérifiez l'identité ; si c'est bien la même personne, cochez aussi « malgré l'écart ».",
            "Match refused: {reason} from the provisional identity. Check the identity; if it is the same person, also tick « despite the difference ».",
        ],
    ),
    (
        "flow.reint.error_reason",
        [
            "Un rejet demande un motif : indiquez pourquoi le SIH a refusé cet élément.",
            "A rejection needs a reason: say why the HIS refused this item.",
        ],
    ),
    (
        "flow.reint.error_same",
        [
            "Choisissez le dossier réel du patient, pas une autre identité provisoire.",
            "Choose the patient's real record, not another provisional identity.",
        ],
    ),
    (
        "flow.reint.error_status",
        [
            "Choisissez « confirmer » ou « rejeter ».",
            "Choose “confirm” or “reject”.",
        ],
    ),
    (
        "flow.reint.export_fhir",
        [
            "Télécharger l'export FHIR R4 (JSON)",
            "Download the FHIR R4 export (JSON)",
        ],
    ),
    (
        "flow.reint.export_hl7",
        ["Télécharger l'export HL7 v2", "Download the HL7 v2 export"],
    ),
    (
        "flow.reint.filter",
        ["Filtrer par statut", "Filter by status"],
    ),
    (
        "flow.reint.items",
        ["Éléments à rapprocher", "Items to reconcile"],
    ),
    ("flow.reint.kind", ["Type", "Kind"]),
    (
        "flow.reint.kind_administration",
        ["administration", "administration"],
    ),
    ("flow.reint.kind_admission", ["admission", "admission"]),
    ("flow.reint.kind_diet", ["régime", "diet"]),
    ("flow.reint.kind_discharge", ["sortie", "discharge"]),
    (
        "flow.reint.kind_identity",
        ["identité provisoire", "provisional identity"],
    ),
    (
        "flow.reint.kind_lab_request",
        ["demande d'examen", "lab request"],
    ),
    (
        "flow.reint.kind_lab_result",
        ["résultat d'examen", "lab result"],
    ),
    (
        "flow.reint.kind_merge",
        ["rapprochement d'identité", "identity match"],
    ),
    (
        "flow.reint.kind_movement",
        [
            "mouvement (annulation, absence)",
            "movement (cancellation, leave)",
        ],
    ),
    (
        "flow.reint.kind_note",
        ["transmission ciblée", "targeted note"],
    ),
    (
        "flow.reint.kind_observation",
        ["observation", "observation"],
    ),
    ("flow.reint.kind_other", ["autre saisie", "other item"]),
    (
        "flow.reint.kind_prescription",
        ["prescription", "prescription"],
    ),
    (
        "flow.reint.kind_prescription_stop",
        ["arrêt de prescription", "prescription stop"],
    ),
    (
        "flow.reint.kind_review",
        ["validation pharmaceutique", "pharmacist review"],
    ),
    ("flow.reint.kind_transfer", ["mutation", "transfer"]),
    ("flow.reint.kind_vital", ["constantes", "vitals"]),
    ("flow.reint.mark", ["Rapprochement", "Reconciliation"]),
    ("flow.reint.match", ["Rapprocher", "Match"]),
    ("flow.reint.match_submit", ["Rapprocher", "Match"]),
    (
        "flow.reint.match_title",
        [
            "Rapprocher une identité provisoire",
            "Match a provisional identity",
        ],
    ),
    (
        "flow.reint.matched",
        [
            "Identité rapprochée : la documentation suit le dossier réel.",
            "Identity matched: the documentation follows the real record.",
        ],
    ),
    (
        "flow.reint.mismatch_birth",
        ["année de naissance différente", "different birth year"],
    ),
    (
        "flow.reint.mismatch_sex",
        ["sexe différent", "different sex"],
    ),
    (
        "flow.reint.no_candidate",
        ["Aucun patient ne correspond.", "No patient matches."],
    ),
    (
        "flow.reint.no_crisis",
        [
            "Aucune crise n'a été déclarée sur ce nœud : rien à réintégrer.",
            "No crisis was declared on this node: nothing to re-integrate.",
        ],
    ),
    ("flow.reint.none", ["Aucun élément.", "No item."]),
    (
        "flow.reint.not_provisional",
        [
            "« {key} » n'est pas une identité provisoire en attente de rapprochement.",
            "“{key}” is not a provisional identity waiting to be matched.",
        ],
    ),
    (
        "flow.reint.not_yet",
        [
            "La réintégration s'ouvre quand le retour du SIH est annoncé ou la crise close : d'ici là, rien ne peut être rapproché.",
            "Re-integration opens once the HIS's return is announced or the crisis closed: until then nothing can be reconciled.",
        ],
    ),
    ("flow.reint.pending", ["en attente", "pending"]),
    (
        "flow.reint.period_closed",
        ["Crise du {from} au {to}.", "Crisis from {from} to {to}."],
    ),
    (
        "flow.reint.period_declared",
        [
            "Crise déclarée le {from}, toujours en cours.",
            "Crisis declared on {from}, still going on.",
        ],
    ),
    (
        "flow.reint.period_open",
        [
            "Crise déclarée le {from}, en cours de sortie.",
            "Crisis declared on {from}, recovering.",
        ],
    ),
    (
        "flow.reint.provisional",
        ["Identité provisoire", "Provisional identity"],
    ),
    (
        "flow.reint.reason",
        [
            "Motif (obligatoire pour rejeter)",
            "Reason (required to reject)",
        ],
    ),
    ("flow.reint.reject", ["Rejeter", "Reject"]),
    ("flow.reint.rejected", ["rejeté", "rejected"]),
    (
        "flow.reint.same_person",
        [
            "Je confirme qu'il s'agit de la même personne",
            "I confirm this is the same person",
        ],
    ),
    (
        "flow.reint.search",
        ["Rechercher le patient réel", "Find the real patient"],
    ),
    ("flow.reint.search_submit", ["Rechercher", "Search"]),
    (
        "flow.reint.summary",
        [
            "{total} éléments saisis en mode dégradé : {pending} en attente, {confirmed} confirmés, {rejected} rejetés.",
            "{total} items documented in degraded mode: {pending} pending, {confirmed} confirmed, {rejected} rejected.",
        ],
    ),
    (
        "flow.reint.title",
        ["Réintégration dans le SIH", "Re-integration into the HIS"],
    ),
    ("flow.reint.total", ["Total", "Total"]),
    (
        "flow.reint.unmatched",
        [
            "Identités provisoires à rapprocher",
            "Provisional identities to match",
        ],
    ),
    (
        "flow.reint.unmatched_none",
        [
            "Aucune identité provisoire en attente.",
            "No provisional identity waiting.",
        ],
    ),
    ("flow.reint.what", ["Élément", "Item"]),
    ("flow.reint.who", ["Saisi par", "Documented by"]),
];
