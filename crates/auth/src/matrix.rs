//! The access matrix: which role may do what, and how far. This is the one
//! place in the code that says it; SECURITY.md prints it (see
//! [`markdown_table`]) and the web layer asks [`reach`] before every route.
//!
//! Unit-scoped answers ([`Reach::InScope`]) are narrowed further by the
//! account's [`Scope`](crate::Scope): a nurse of REA reads the board of REA
//! and the charts of patients staying in REA, and nothing else without
//! break-the-glass.

use crate::Role;

/// Something a person or a machine client asks the node to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// The list of units with their occupancy (aggregates, no names).
    UnitList,
    /// A unit's bed board (names, ages, admission dates).
    UnitBoard,
    /// A patient's summary (allergies, prescriptions, results...).
    PatientChart,
    /// Searching patients by name, birth date or identifier.
    PatientSearch,
    /// Opening a chart outside one's units, with a reason.
    BreakGlass,
    /// Feed freshness and node status (counts, no patient data).
    NodeStatus,
    /// Quarantined messages (raw messages: patient data).
    Quarantine,
    /// Prometheus metrics (counts, no patient data).
    Metrics,
    /// Reading and searching the audit trail, break-the-glass alerts.
    AuditRead,
    /// Exporting the audit trail (CSV, FHIR AuditEvent).
    AuditExport,
    /// Listing, disabling and resetting accounts.
    UserAdmin,
    /// The crisis capsule: phase, clocks, dashboard, action cards, log,
    /// tasks, contacts (no patient data).
    CrisisView,
    /// Declaring a crisis, changing its level, announcing recovery, closing.
    CrisisDeclare,
    /// Writing in the main courante, ticking one's action cards, updating
    /// tasks.
    CrisisWrite,
    /// Recording decisions and creating or reassigning tasks.
    CrisisDecide,
    /// A unit's status report (staffing, degraded mode, needs).
    UnitReport,
    /// Counting critical stocks.
    StockCount,
    /// Acknowledging outage alerts.
    AlertAck,
    /// After-action reports of closed crises.
    CrisisReport,
    /// Downtime documentation of care: administrations, vitals, nursing
    /// notes, handover.
    CareDocument,
    /// Writing, changing and stopping downtime prescriptions.
    Prescribe,
    /// Pharmaceutical review of prescriptions.
    PrescriptionReview,
    /// Requesting lab tests and printing specimen labels.
    LabRequest,
    /// Entering lab results against a scanned specimen label.
    LabResult,
    /// Admitting (provisional identity), transferring and discharging.
    Movement,
    /// Appointment day lists of the clinics.
    Schedule,
    /// The kitchen's room and diet lists.
    Kitchen,
    /// A unit's paper fallback reports (PDF).
    PaperReports,
    /// Re-integration: the worklist, matching provisional identities, the
    /// export back to the HIS.
    Reconcile,
    /// Reading one's channels, direct messages and broadcasts; acknowledging
    /// broadcasts.
    MessageRead,
    /// Writing messages, opening conversations, pinning.
    MessagePost,
    /// Sending priority broadcasts that recipients must acknowledge.
    Broadcast,
    /// Calling back off-duty staff (plan blanc) and following the answers.
    StaffRecall,
    /// Exporting a channel for the after-action report.
    MessageExport,
}

impl Action {
    /// Every action, in matrix order.
    pub const ALL: [Action; 34] = [
        Action::UnitList,
        Action::UnitBoard,
        Action::PatientChart,
        Action::PatientSearch,
        Action::BreakGlass,
        Action::NodeStatus,
        Action::Quarantine,
        Action::Metrics,
        Action::AuditRead,
        Action::AuditExport,
        Action::UserAdmin,
        Action::CrisisView,
        Action::CrisisDeclare,
        Action::CrisisWrite,
        Action::CrisisDecide,
        Action::UnitReport,
        Action::StockCount,
        Action::AlertAck,
        Action::CrisisReport,
        Action::CareDocument,
        Action::Prescribe,
        Action::PrescriptionReview,
        Action::LabRequest,
        Action::LabResult,
        Action::Movement,
        Action::Schedule,
        Action::Kitchen,
        Action::PaperReports,
        Action::Reconcile,
        Action::MessageRead,
        Action::MessagePost,
        Action::Broadcast,
        Action::StaffRecall,
        Action::MessageExport,
    ];

    /// Stable code, used in the audit trail and in token scopes.
    pub fn code(self) -> &'static str {
        match self {
            Action::UnitList => "unit.list",
            Action::UnitBoard => "unit.board",
            Action::PatientChart => "patient.chart",
            Action::PatientSearch => "patient.search",
            Action::BreakGlass => "patient.break-glass",
            Action::NodeStatus => "node.status",
            Action::Quarantine => "node.quarantine",
            Action::Metrics => "node.metrics",
            Action::AuditRead => "audit.read",
            Action::AuditExport => "audit.export",
            Action::UserAdmin => "user.admin",
            Action::CrisisView => "crisis.view",
            Action::CrisisDeclare => "crisis.declare",
            Action::CrisisWrite => "crisis.write",
            Action::CrisisDecide => "crisis.decide",
            Action::UnitReport => "crisis.unit-report",
            Action::StockCount => "crisis.stock",
            Action::AlertAck => "crisis.alert",
            Action::CrisisReport => "crisis.report",
            Action::CareDocument => "care.document",
            Action::Prescribe => "care.prescribe",
            Action::PrescriptionReview => "care.review",
            Action::LabRequest => "care.lab-request",
            Action::LabResult => "care.lab-result",
            Action::Movement => "care.movement",
            Action::Schedule => "care.schedule",
            Action::Kitchen => "care.kitchen",
            Action::PaperReports => "care.paper",
            Action::Reconcile => "care.reconcile",
            Action::MessageRead => "message.read",
            Action::MessagePost => "message.post",
            Action::Broadcast => "message.broadcast",
            Action::StaffRecall => "message.recall",
            Action::MessageExport => "message.export",
        }
    }

    /// What the action is, in French, for the documentation and refusals.
    pub fn label_fr(self) -> &'static str {
        match self {
            Action::UnitList => "liste des unités (effectifs)",
            Action::UnitBoard => "tableau des lits d'une unité",
            Action::PatientChart => "dossier de synthèse d'un patient",
            Action::PatientSearch => "recherche de patients",
            Action::BreakGlass => "accès exceptionnel (bris de glace)",
            Action::NodeStatus => "état du nœud et des flux",
            Action::Quarantine => "messages en quarantaine",
            Action::Metrics => "métriques",
            Action::AuditRead => "journal d'audit",
            Action::AuditExport => "export du journal d'audit",
            Action::UserAdmin => "gestion des comptes",
            Action::CrisisView => "capsule de crise (tableau de bord, fiches, main courante)",
            Action::CrisisDeclare => "déclarer, changer de niveau, retour à la normale, clore",
            Action::CrisisWrite => "écrire en main courante, cocher ses fiches, suivre ses tâches",
            Action::CrisisDecide => "décisions, création et attribution de tâches",
            Action::UnitReport => "point de situation d'une unité",
            Action::StockCount => "comptage des stocks critiques",
            Action::AlertAck => "prise en compte des alertes de panne",
            Action::CrisisReport => "rapport de retour d'expérience",
            Action::CareDocument => {
                "soins en mode dégradé (administrations, constantes, transmissions)"
            }
            Action::Prescribe => "prescrire, modifier, arrêter une prescription",
            Action::PrescriptionReview => "validation pharmaceutique des prescriptions",
            Action::LabRequest => "demande d'examen de biologie et étiquette de prélèvement",
            Action::LabResult => "saisie des résultats de biologie",
            Action::Movement => "admettre, muter, faire sortir un patient",
            Action::Schedule => "listes de rendez-vous des consultations",
            Action::Kitchen => "listes des régimes pour la cuisine",
            Action::PaperReports => "dossiers papier de secours d'une unité (PDF)",
            Action::Reconcile => {
                "réintégration dans le SIH (export, rapprochement, identités provisoires)"
            }
            Action::MessageRead => "lire ses canaux, messages et diffusions ; accuser réception",
            Action::MessagePost => "écrire, ouvrir une conversation, épingler",
            Action::Broadcast => "diffusion prioritaire avec accusé de réception",
            Action::StaffRecall => "rappel du personnel (plan blanc)",
            Action::MessageExport => "export d'un canal pour le retour d'expérience",
        }
    }
}

/// How far a role may take an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reach {
    /// Not at all.
    Never,
    /// Only within the account's units (see [`Scope`](crate::Scope)).
    InScope,
    /// Everywhere in the establishment.
    Everywhere,
}

/// The matrix itself.
pub fn reach(role: Role, action: Action) -> Reach {
    use Action as A;
    use Reach::{Everywhere as E, InScope as S, Never as N};
    use Role as R;
    match (role, action) {
        // Aggregates and feed freshness: everyone.
        (_, A::UnitList | A::NodeStatus) => E,

        // Names and charts: caregivers in their units; crisis roles only in
        // units they were granted (none by default).
        (
            R::UnitManager
            | R::Nurse
            | R::Physician
            | R::Pharmacist
            | R::Lab
            | R::CrisisDirector
            | R::CrisisCellMember,
            A::UnitBoard | A::PatientChart | A::PatientSearch,
        ) => S,
        (_, A::UnitBoard | A::PatientChart | A::PatientSearch) => N,

        // Break-the-glass: those who care for patients.
        (R::UnitManager | R::Nurse | R::Physician | R::Pharmacist, A::BreakGlass) => E,
        (_, A::BreakGlass) => N,

        // The IT and security side.
        (R::ItSecurity, A::Quarantine | A::Metrics | A::AuditRead | A::AuditExport) => E,
        (R::Administrator, A::Metrics | A::UserAdmin) => E,
        (_, A::Quarantine | A::Metrics | A::AuditRead | A::AuditExport | A::UserAdmin) => N,

        // The crisis capsule: aggregates and organisation, no patient data.
        // Everyone but the account administrator follows it; observers of
        // an exercise read without writing.
        (R::Administrator, A::CrisisView | A::CrisisWrite) => N,
        (_, A::CrisisView) => E,
        (R::ExerciseObserver, A::CrisisWrite) => N,
        (_, A::CrisisWrite) => E,
        (R::CrisisDirector, A::CrisisDeclare) => E,
        (_, A::CrisisDeclare) => N,
        (R::CrisisDirector | R::CrisisCellMember, A::CrisisDecide | A::AlertAck) => E,
        (R::ItSecurity, A::AlertAck) => E,
        (_, A::CrisisDecide | A::AlertAck) => N,
        // Unit managers report for their units; the cell for any unit.
        (R::CrisisDirector | R::CrisisCellMember, A::UnitReport) => E,
        (R::UnitManager, A::UnitReport) => S,
        (_, A::UnitReport) => N,
        (R::CrisisDirector | R::CrisisCellMember | R::Pharmacist | R::Lab, A::StockCount) => E,
        (_, A::StockCount) => N,
        (
            R::CrisisDirector | R::CrisisCellMember | R::ItSecurity | R::ExerciseObserver,
            A::CrisisReport,
        ) => E,
        (_, A::CrisisReport) => N,

        // The clinical capsule in degraded mode: caregivers in their units;
        // the pharmacy and the lab across the establishment for their part.
        (R::UnitManager | R::Nurse | R::Physician, A::CareDocument | A::LabRequest) => S,
        (_, A::CareDocument | A::LabRequest) => N,
        (R::Physician, A::Prescribe) => S,
        (_, A::Prescribe) => N,
        (R::Pharmacist, A::PrescriptionReview) => E,
        (_, A::PrescriptionReview) => N,
        (R::Lab, A::LabResult) => E,
        (_, A::LabResult) => N,
        (R::UnitManager | R::Nurse | R::Physician, A::Movement | A::PaperReports) => S,
        (_, A::Movement | A::PaperReports) => N,
        // Clinic lists and kitchen lists are establishment-wide by nature.
        (R::UnitManager | R::Nurse | R::Physician, A::Schedule) => E,
        (_, A::Schedule) => N,
        (R::UnitManager | R::Nurse | R::CrisisDirector | R::CrisisCellMember, A::Kitchen) => E,
        (_, A::Kitchen) => N,
        // Re-integration: unit managers for their units, the crisis
        // direction for the establishment.
        (R::UnitManager, A::Reconcile) => S,
        (R::CrisisDirector | R::CrisisCellMember, A::Reconcile) => E,
        (_, A::Reconcile) => N,

        // Secure messaging: everyone reads their channels; observers of an
        // exercise do not write. The crisis direction broadcasts to anyone,
        // unit managers to their units; the cell recalls staff and exports.
        (_, A::MessageRead) => E,
        (R::ExerciseObserver, A::MessagePost) => N,
        (_, A::MessagePost) => E,
        (R::CrisisDirector | R::CrisisCellMember, A::Broadcast) => E,
        (R::UnitManager, A::Broadcast) => S,
        (_, A::Broadcast) => N,
        (R::CrisisDirector | R::CrisisCellMember, A::StaffRecall) => E,
        (_, A::StaffRecall) => N,
        (R::CrisisDirector | R::CrisisCellMember | R::ItSecurity, A::MessageExport) => E,
        (_, A::MessageExport) => N,
    }
}

/// The matrix as a Markdown table (roles as columns), as SECURITY.md shows
/// it: `✓` everywhere, `unités` within the account's units, `—` never.
pub fn markdown_table() -> String {
    let mut table = String::from("| Action |");
    for role in Role::ALL {
        table.push_str(&format!(" {} |", role.code()));
    }
    table.push_str("\n|---|");
    for _ in Role::ALL {
        table.push_str("---|");
    }
    for action in Action::ALL {
        table.push_str(&format!("\n| {} |", action.label_fr()));
        for role in Role::ALL {
            let cell = match reach(role, action) {
                Reach::Everywhere => "✓",
                Reach::InScope => "unités",
                Reach::Never => "—",
            };
            table.push_str(&format!(" {cell} |"));
        }
    }
    table.push('\n');
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_data_is_never_shown_to_the_it_side_or_observers() {
        for role in [
            Role::ItSecurity,
            Role::Administrator,
            Role::ExerciseObserver,
        ] {
            for action in [Action::UnitBoard, Action::PatientChart, Action::BreakGlass] {
                assert_eq!(reach(role, action), Reach::Never, "{role} {action:?}");
            }
        }
    }

    #[test]
    fn only_security_reads_the_audit_and_only_administrators_manage_accounts() {
        for role in Role::ALL {
            let audit = reach(role, Action::AuditRead);
            assert_eq!(audit == Reach::Everywhere, role == Role::ItSecurity);
            let users = reach(role, Action::UserAdmin);
            assert_eq!(users == Reach::Everywhere, role == Role::Administrator);
        }
    }

    /// SECURITY.md prints this matrix; the two must not drift apart.
    #[test]
    fn security_md_shows_this_matrix() {
        let doc = include_str!("../../../SECURITY.md");
        assert!(
            doc.contains(&markdown_table()),
            "SECURITY.md's matrix differs from the code: paste markdown_table() again"
        );
    }

    #[test]
    fn the_table_has_one_row_per_action() {
        let table = markdown_table();
        assert_eq!(table.lines().count(), 2 + Action::ALL.len());
        assert!(table.contains("| dossier de synthèse d'un patient | unités | unités | unités |"));
    }
}
