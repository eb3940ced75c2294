//! The French reference data the demo draws from: units, names, towns,
//! allergens, diagnoses (CIM-10), drugs, care activities, vital signs and
//! laboratory tests (LOINC, UCUM).
//!
//! Everything is static so that generation allocates only what it emits.
//! Codes are real where a public code system exists (CIM-10, ATC, LOINC,
//! UCUM, HL7 tables); local codes are marked with the `L` coding system.

/// Which ages and sexes a unit receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Population {
    /// Adults, skewed towards older ages.
    Adult,
    /// Patients aged 75 and over.
    Elderly,
    /// Children, from newborns to 17.
    Child,
    /// Women aged 18 to 43.
    Maternity,
    /// Adults 18 to 70.
    YoungAdult,
}

/// A unit of the demo hospital, as the default establishment has it.
#[derive(Debug)]
pub struct UnitProfile {
    /// Unit code as the HIS sends it in PV1-3.1.
    pub code: &'static str,
    /// Display name.
    pub name: &'static str,
    /// UF (unité fonctionnelle) number, sent in ZBE-7.
    pub uf: &'static str,
    /// Beds in the 600-bed default.
    pub beds: u32,
    /// Building floor, first digit of room numbers.
    pub floor: u32,
    /// Share of single rooms (0.0 to 1.0).
    pub single_rooms: f64,
    /// Who the unit admits.
    pub population: Population,
    /// Typical length of stay in hours (mean), for admission times.
    pub stay_hours: u32,
    /// Reasons for admission.
    pub problems: &'static [Problem],
    /// Drugs commonly prescribed there.
    pub drugs: &'static [Drug],
    /// Care activities specific to the unit.
    pub activities: &'static [&'static str],
}

/// A diagnosis coded in CIM-10 (ICD-10, French edition).
#[derive(Debug, PartialEq, Eq)]
pub struct Problem {
    /// CIM-10 code.
    pub code: &'static str,
    /// French label.
    pub label: &'static str,
}

/// Allergy severity, HL7 table 0128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// `SV`.
    Severe,
    /// `MO`.
    Moderate,
    /// `MI`.
    Mild,
}

impl Severity {
    /// HL7 table 0128 code.
    pub fn code(self) -> &'static str {
        match self {
            Severity::Severe => "SV",
            Severity::Moderate => "MO",
            Severity::Mild => "MI",
        }
    }
}

/// Something a patient can be allergic to.
#[derive(Debug, PartialEq, Eq)]
pub struct Allergen {
    /// Code (ATC for drugs, local otherwise).
    pub code: &'static str,
    /// French label.
    pub label: &'static str,
    /// Coding system: `ATC` or `L` (local).
    pub system: &'static str,
    /// HL7 table 0127 allergen type: `DA` drug, `FA` food, `EA` environment.
    pub kind: &'static str,
    /// Drug class this allergen rules out (matches [`Drug::class`]).
    pub class: Option<&'static str>,
    /// Possible reactions with their severity.
    pub reactions: &'static [(&'static str, Severity)],
}

/// A route of administration, HL7 table 0162.
#[derive(Debug, PartialEq, Eq)]
pub struct Route {
    /// HL7 table 0162 code.
    pub code: &'static str,
    /// French label.
    pub label: &'static str,
}

/// A dosing frequency: HL7 table 0335 code and French text.
#[derive(Debug, PartialEq, Eq)]
pub struct Frequency {
    /// HL7 table 0335 code.
    pub code: &'static str,
    /// French label.
    pub label: &'static str,
}

/// A drug as a hospital prescription names it.
#[derive(Debug, PartialEq, Eq)]
pub struct Drug {
    /// ATC code.
    pub atc: &'static str,
    /// Display name with strength, as pharmacy software prints it.
    pub name: &'static str,
    /// Dose per administration.
    pub amount: &'static str,
    /// Unit of the dose, UCUM.
    pub unit_ucum: &'static str,
    /// Unit of the dose, as French staff write it.
    pub unit_label: &'static str,
    /// Dosage form.
    pub form: &'static str,
    /// Route.
    pub route: &'static Route,
    /// Frequency.
    pub frequency: &'static Frequency,
    /// Allergy class that contraindicates the drug.
    pub class: Option<&'static str>,
}

/// A numeric observation type (vital sign or lab test).
#[derive(Debug, PartialEq)]
pub struct Measure {
    /// LOINC code.
    pub loinc: &'static str,
    /// French label.
    pub label: &'static str,
    /// UCUM unit code.
    pub ucum: &'static str,
    /// Unit as displayed.
    pub unit_label: &'static str,
    /// Reference range low bound.
    pub low: f64,
    /// Reference range high bound.
    pub high: f64,
    /// Decimal places to print.
    pub decimals: usize,
}

/// A town for addresses and birth places.
#[derive(Debug)]
pub struct Town {
    /// Name.
    pub name: &'static str,
    /// Postcode.
    pub postcode: &'static str,
    /// INSEE commune code (department + commune), used in NIR-like numbers.
    pub insee: &'static str,
}

// ---- Routes and frequencies -------------------------------------------------

/// Oral route.
pub static PO: Route = Route {
    code: "PO",
    label: "per os",
};
/// Intravenous route.
pub static IV: Route = Route {
    code: "IV",
    label: "intraveineuse",
};
/// Subcutaneous route.
pub static SC: Route = Route {
    code: "SC",
    label: "sous-cutanée",
};
/// Inhalation route.
pub static INH: Route = Route {
    code: "IH",
    label: "inhalation (nébulisation)",
};

static Q4H: Frequency = Frequency {
    code: "Q4H",
    label: "toutes les 4 heures si douleur",
};
static Q6H: Frequency = Frequency {
    code: "Q6H",
    label: "toutes les 6 heures",
};
static Q8H: Frequency = Frequency {
    code: "Q8H",
    label: "toutes les 8 heures",
};
static Q12H: Frequency = Frequency {
    code: "Q12H",
    label: "toutes les 12 heures",
};
static QAM: Frequency = Frequency {
    code: "QAM",
    label: "le matin",
};
static QPM: Frequency = Frequency {
    code: "QPM",
    label: "le soir",
};
static QHS: Frequency = Frequency {
    code: "QHS",
    label: "au coucher",
};
static QD: Frequency = Frequency {
    code: "Q1D",
    label: "une fois par jour",
};
static BID: Frequency = Frequency {
    code: "BID",
    label: "matin et soir",
};
static TID: Frequency = Frequency {
    code: "TID",
    label: "trois fois par jour avant les repas",
};
static CONT: Frequency = Frequency {
    code: "Q24H",
    label: "en continu sur 24 heures",
};

// ---- Drugs ------------------------------------------------------------------

macro_rules! drug {
    ($atc:expr, $name:expr, $amount:expr, $ucum:expr, $unit:expr, $form:expr, $route:expr, $freq:expr, $class:expr) => {
        Drug {
            atc: $atc,
            name: $name,
            amount: $amount,
            unit_ucum: $ucum,
            unit_label: $unit,
            form: $form,
            route: &$route,
            frequency: &$freq,
            class: $class,
        }
    };
}

const PARACETAMOL: Drug = drug!(
    "N02BE01",
    "PARACETAMOL 1 g",
    "1",
    "g",
    "g",
    "comprimé",
    PO,
    Q6H,
    None
);
const PARACETAMOL_IV: Drug = drug!(
    "N02BE01",
    "PARACETAMOL 1 g/100 mL",
    "1",
    "g",
    "g",
    "solution injectable",
    IV,
    Q6H,
    None
);
const ENOXAPARINE: Drug = drug!(
    "B01AB05",
    "ENOXAPARINE 4000 UI anti-Xa/0,4 mL",
    "4000",
    "[iU]",
    "UI",
    "seringue préremplie",
    SC,
    QD,
    None
);
const AMOXICILLINE: Drug = drug!(
    "J01CA04",
    "AMOXICILLINE 1 g",
    "1",
    "g",
    "g",
    "comprimé",
    PO,
    Q8H,
    Some("penicillin")
);
const AUGMENTIN_IV: Drug = drug!(
    "J01CR02",
    "AMOXICILLINE/ACIDE CLAVULANIQUE 1 g/200 mg",
    "1",
    "g",
    "g",
    "poudre pour solution injectable",
    IV,
    Q8H,
    Some("penicillin")
);
const CEFTRIAXONE: Drug = drug!(
    "J01DD04",
    "CEFTRIAXONE 1 g",
    "1",
    "g",
    "g",
    "poudre pour solution injectable",
    IV,
    QD,
    Some("cephalosporin")
);
const FUROSEMIDE: Drug = drug!(
    "C03CA01",
    "FUROSEMIDE 40 mg",
    "40",
    "mg",
    "mg",
    "comprimé",
    PO,
    QAM,
    None
);
const INSULINE_GLARGINE: Drug = drug!(
    "A10AE04",
    "INSULINE GLARGINE 100 UI/mL",
    "20",
    "[iU]",
    "UI",
    "stylo prérempli",
    SC,
    QPM,
    None
);
const INSULINE_ASPARTE: Drug = drug!(
    "A10AB05",
    "INSULINE ASPARTE 100 UI/mL",
    "6",
    "[iU]",
    "UI",
    "stylo prérempli",
    SC,
    TID,
    None
);
const MORPHINE: Drug = drug!(
    "N02AA01",
    "MORPHINE CHLORHYDRATE 10 mg/mL",
    "5",
    "mg",
    "mg",
    "solution injectable",
    SC,
    Q4H,
    Some("morphine")
);
const TRAMADOL: Drug = drug!(
    "N02AX02",
    "TRAMADOL 50 mg",
    "50",
    "mg",
    "mg",
    "gélule",
    PO,
    Q6H,
    None
);
const KETOPROFENE: Drug = drug!(
    "M01AE03",
    "KETOPROFENE 100 mg",
    "100",
    "mg",
    "mg",
    "solution injectable",
    IV,
    Q12H,
    Some("nsaid")
);
const IBUPROFENE: Drug = drug!(
    "M01AE01",
    "IBUPROFENE 400 mg",
    "400",
    "mg",
    "mg",
    "comprimé",
    PO,
    Q8H,
    Some("nsaid")
);
const OMEPRAZOLE: Drug = drug!(
    "A02BC01",
    "OMEPRAZOLE 20 mg",
    "20",
    "mg",
    "mg",
    "gélule",
    PO,
    QAM,
    None
);
const PANTOPRAZOLE_IV: Drug = drug!(
    "A02BC02",
    "PANTOPRAZOLE 40 mg",
    "40",
    "mg",
    "mg",
    "poudre pour solution injectable",
    IV,
    QD,
    None
);
const BISOPROLOL: Drug = drug!(
    "C07AB07",
    "BISOPROLOL 2,5 mg",
    "2.5",
    "mg",
    "mg",
    "comprimé",
    PO,
    QAM,
    None
);
const RAMIPRIL: Drug = drug!(
    "C09AA05",
    "RAMIPRIL 5 mg",
    "5",
    "mg",
    "mg",
    "gélule",
    PO,
    QAM,
    None
);
const AMLODIPINE: Drug = drug!(
    "C08CA01",
    "AMLODIPINE 5 mg",
    "5",
    "mg",
    "mg",
    "gélule",
    PO,
    QAM,
    None
);
const ATORVASTATINE: Drug = drug!(
    "C10AA05",
    "ATORVASTATINE 40 mg",
    "40",
    "mg",
    "mg",
    "comprimé",
    PO,
    QPM,
    None
);
const KARDEGIC: Drug = drug!(
    "B01AC06",
    "ACIDE ACETYLSALICYLIQUE 75 mg",
    "75",
    "mg",
    "mg",
    "poudre pour solution buvable",
    PO,
    QD,
    Some("aspirin")
);
const APIXABAN: Drug = drug!(
    "B01AF02",
    "APIXABAN 5 mg",
    "5",
    "mg",
    "mg",
    "comprimé",
    PO,
    BID,
    None
);
const AMIODARONE: Drug = drug!(
    "C01BD01",
    "AMIODARONE 200 mg",
    "200",
    "mg",
    "mg",
    "comprimé",
    PO,
    QD,
    Some("iodine")
);
const METFORMINE: Drug = drug!(
    "A10BA02",
    "METFORMINE 1000 mg",
    "1000",
    "mg",
    "mg",
    "comprimé",
    PO,
    BID,
    None
);
const LEVOTHYROX: Drug = drug!(
    "H03AA01",
    "LEVOTHYROXINE 75 µg",
    "75",
    "ug",
    "µg",
    "comprimé",
    PO,
    QAM,
    None
);
const NACL: Drug = drug!(
    "B05XA03",
    "CHLORURE DE SODIUM 0,9 % 1000 mL",
    "1000",
    "mL",
    "mL",
    "solution pour perfusion",
    IV,
    CONT,
    None
);
const KCL: Drug = drug!(
    "A12BA01",
    "CHLORURE DE POTASSIUM 600 mg",
    "600",
    "mg",
    "mg",
    "gélule",
    PO,
    TID,
    None
);
const SALBUTAMOL: Drug = drug!(
    "R03AC02",
    "SALBUTAMOL 5 mg/2,5 mL",
    "5",
    "mg",
    "mg",
    "solution pour inhalation",
    INH,
    Q6H,
    None
);
const IPRATROPIUM: Drug = drug!(
    "R03BB01",
    "IPRATROPIUM 0,5 mg/2 mL",
    "0.5",
    "mg",
    "mg",
    "solution pour inhalation",
    INH,
    Q8H,
    None
);
const PREDNISOLONE: Drug = drug!(
    "H02AB06",
    "PREDNISOLONE 20 mg",
    "20",
    "mg",
    "mg",
    "comprimé orodispersible",
    PO,
    QAM,
    None
);
const ONDANSETRON: Drug = drug!(
    "A04AA01",
    "ONDANSETRON 4 mg",
    "4",
    "mg",
    "mg",
    "solution injectable",
    IV,
    Q8H,
    None
);
const MACROGOL: Drug = drug!(
    "A06AD15",
    "MACROGOL 4000 10 g",
    "10",
    "g",
    "g",
    "poudre pour solution buvable",
    PO,
    QAM,
    None
);
const ZOPICLONE: Drug = drug!(
    "N05CF01",
    "ZOPICLONE 7,5 mg",
    "7.5",
    "mg",
    "mg",
    "comprimé",
    PO,
    QHS,
    None
);
const OXAZEPAM: Drug = drug!(
    "N05BA04",
    "OXAZEPAM 10 mg",
    "10",
    "mg",
    "mg",
    "comprimé",
    PO,
    TID,
    None
);
const OLANZAPINE: Drug = drug!(
    "N05AH03",
    "OLANZAPINE 10 mg",
    "10",
    "mg",
    "mg",
    "comprimé",
    PO,
    QPM,
    None
);
const SERTRALINE: Drug = drug!(
    "N06AB06",
    "SERTRALINE 50 mg",
    "50",
    "mg",
    "mg",
    "gélule",
    PO,
    QAM,
    None
);
const NORADRENALINE: Drug = drug!(
    "C01CA03",
    "NORADRENALINE 8 mg/50 mL",
    "0.5",
    "mg/h",
    "mg/h",
    "solution pour perfusion",
    IV,
    CONT,
    None
);
const MIDAZOLAM: Drug = drug!(
    "N05CD08",
    "MIDAZOLAM 50 mg/50 mL",
    "2",
    "mg/h",
    "mg/h",
    "solution pour perfusion",
    IV,
    CONT,
    None
);
const PIPERACILLINE: Drug = drug!(
    "J01CR05",
    "PIPERACILLINE/TAZOBACTAM 4 g/500 mg",
    "4",
    "g",
    "g",
    "poudre pour solution injectable",
    IV,
    Q8H,
    Some("penicillin")
);
const SULFATE_FERREUX: Drug = drug!(
    "B03AA07",
    "SULFATE FERREUX 80 mg",
    "80",
    "mg",
    "mg",
    "comprimé",
    PO,
    QAM,
    None
);
const PARACETAMOL_PED: Drug = drug!(
    "N02BE01",
    "PARACETAMOL 250 mg",
    "250",
    "mg",
    "mg",
    "poudre pour suspension buvable",
    PO,
    Q6H,
    None
);
const AMOXICILLINE_PED: Drug = drug!(
    "J01CA04",
    "AMOXICILLINE 500 mg",
    "500",
    "mg",
    "mg",
    "poudre pour suspension buvable",
    PO,
    Q8H,
    Some("penicillin")
);
const IBUPROFENE_PED: Drug = drug!(
    "M01AE01",
    "IBUPROFENE 100 mg",
    "100",
    "mg",
    "mg",
    "suspension buvable",
    PO,
    Q8H,
    Some("nsaid")
);
const SERUM_GLUCOSE: Drug = drug!(
    "B05BA03",
    "GLUCOSE 5 % 500 mL",
    "500",
    "mL",
    "mL",
    "solution pour perfusion",
    IV,
    CONT,
    None
);
const CALCIPARINE: Drug = drug!(
    "B01AB01",
    "HEPARINE CALCIQUE 5000 UI/0,2 mL",
    "5000",
    "[iU]",
    "UI",
    "solution injectable",
    SC,
    Q12H,
    None
);
const ERYTHROPOIETINE: Drug = drug!(
    "B03XA01",
    "EPOETINE ALFA 4000 UI",
    "4000",
    "[iU]",
    "UI",
    "seringue préremplie",
    SC,
    QD,
    None
);
const CARBONATE_CALCIUM: Drug = drug!(
    "A12AA04",
    "CARBONATE DE CALCIUM 500 mg",
    "500",
    "mg",
    "mg",
    "comprimé",
    PO,
    TID,
    None
);
const DEXAMETHASONE: Drug = drug!(
    "H02AB02",
    "DEXAMETHASONE 4 mg",
    "4",
    "mg",
    "mg",
    "comprimé",
    PO,
    QAM,
    None
);
const LEVETIRACETAM: Drug = drug!(
    "N03AX14",
    "LEVETIRACETAM 500 mg",
    "500",
    "mg",
    "mg",
    "comprimé",
    PO,
    BID,
    None
);
const DONEPEZIL: Drug = drug!(
    "N06DA02",
    "DONEPEZIL 5 mg",
    "5",
    "mg",
    "mg",
    "comprimé",
    PO,
    QHS,
    None
);

static BASE_DRUGS: &[Drug] = &[
    PARACETAMOL,
    ENOXAPARINE,
    OMEPRAZOLE,
    MACROGOL,
    ZOPICLONE,
    TRAMADOL,
];
static CARDIO_DRUGS: &[Drug] = &[
    PARACETAMOL,
    ENOXAPARINE,
    FUROSEMIDE,
    BISOPROLOL,
    RAMIPRIL,
    ATORVASTATINE,
    KARDEGIC,
    APIXABAN,
    AMIODARONE,
    KCL,
];
static PNEUMO_DRUGS: &[Drug] = &[
    PARACETAMOL,
    ENOXAPARINE,
    SALBUTAMOL,
    IPRATROPIUM,
    PREDNISOLONE,
    AUGMENTIN_IV,
    CEFTRIAXONE,
    OMEPRAZOLE,
];
static MED_DRUGS: &[Drug] = &[
    PARACETAMOL,
    ENOXAPARINE,
    CEFTRIAXONE,
    AMOXICILLINE,
    FUROSEMIDE,
    INSULINE_GLARGINE,
    INSULINE_ASPARTE,
    METFORMINE,
    LEVOTHYROX,
    NACL,
    KCL,
    OMEPRAZOLE,
    RAMIPRIL,
];
static GERIA_DRUGS: &[Drug] = &[
    PARACETAMOL,
    CALCIPARINE,
    FUROSEMIDE,
    MACROGOL,
    DONEPEZIL,
    LEVOTHYROX,
    APIXABAN,
    AMLODIPINE,
    SERUM_GLUCOSE,
    OMEPRAZOLE,
    TRAMADOL,
];
static SURGERY_DRUGS: &[Drug] = &[
    PARACETAMOL_IV,
    ENOXAPARINE,
    MORPHINE,
    KETOPROFENE,
    ONDANSETRON,
    PANTOPRAZOLE_IV,
    NACL,
    AUGMENTIN_IV,
    TRAMADOL,
    MACROGOL,
];
static ICU_DRUGS: &[Drug] = &[
    NORADRENALINE,
    MIDAZOLAM,
    PIPERACILLINE,
    CALCIPARINE,
    PANTOPRAZOLE_IV,
    NACL,
    INSULINE_ASPARTE,
    PARACETAMOL_IV,
    MORPHINE,
];
static NEURO_DRUGS: &[Drug] = &[
    PARACETAMOL,
    ENOXAPARINE,
    KARDEGIC,
    ATORVASTATINE,
    LEVETIRACETAM,
    DEXAMETHASONE,
    OMEPRAZOLE,
    AMLODIPINE,
];
static NEPHRO_DRUGS: &[Drug] = &[
    PARACETAMOL,
    CALCIPARINE,
    FUROSEMIDE,
    ERYTHROPOIETINE,
    CARBONATE_CALCIUM,
    AMLODIPINE,
    INSULINE_GLARGINE,
    SULFATE_FERREUX,
];
static ONCO_DRUGS: &[Drug] = &[
    PARACETAMOL,
    ENOXAPARINE,
    MORPHINE,
    ONDANSETRON,
    DEXAMETHASONE,
    MACROGOL,
    OMEPRAZOLE,
    PIPERACILLINE,
];
static PEDIA_DRUGS: &[Drug] = &[
    PARACETAMOL_PED,
    AMOXICILLINE_PED,
    IBUPROFENE_PED,
    SALBUTAMOL,
    SERUM_GLUCOSE,
    ONDANSETRON,
];
static MATER_DRUGS: &[Drug] = &[
    PARACETAMOL,
    IBUPROFENE,
    SULFATE_FERREUX,
    ENOXAPARINE,
    MACROGOL,
];
static PSY_DRUGS: &[Drug] = &[
    OLANZAPINE,
    SERTRALINE,
    OXAZEPAM,
    ZOPICLONE,
    PARACETAMOL,
    MACROGOL,
];
static INFECT_DRUGS: &[Drug] = &[
    PARACETAMOL,
    CEFTRIAXONE,
    AMOXICILLINE,
    PIPERACILLINE,
    AUGMENTIN_IV,
    ENOXAPARINE,
    NACL,
];

/// Drugs any adult may receive on top of the unit's own list.
pub fn base_drugs() -> &'static [Drug] {
    BASE_DRUGS
}

// ---- Diagnoses (CIM-10) -------------------------------------------------------

macro_rules! cim {
    ($code:expr, $label:expr) => {
        Problem {
            code: $code,
            label: $label,
        }
    };
}

static URG_PB: &[Problem] = &[
    cim!("R55", "Syncope et collapsus"),
    cim!("S06.0", "Commotion cérébrale"),
    cim!("R07.4", "Douleur thoracique, sans précision"),
    cim!("E86", "Hypovolémie (déshydratation)"),
    cim!("T39.1", "Intoxication par des dérivés du 4-aminophénol"),
    cim!("R10.4", "Douleurs abdominales, autres et non précisées"),
];
static REA_PB: &[Problem] = &[
    cim!("A41.9", "Sepsis, sans précision"),
    cim!("J96.0", "Insuffisance respiratoire aiguë"),
    cim!("R57.0", "Choc cardiogénique"),
    cim!("I46.0", "Arrêt cardiaque réanimé avec succès"),
];
static USIC_PB: &[Problem] = &[
    cim!("I21.4", "Infarctus sous-endocardique aigu du myocarde"),
    cim!(
        "I21.0",
        "Infarctus transmural aigu du myocarde, de la paroi antérieure"
    ),
    cim!("I44.2", "Bloc auriculo-ventriculaire complet"),
];
static CARDIO_PB: &[Problem] = &[
    cim!("I50.9", "Insuffisance cardiaque, sans précision"),
    cim!(
        "I48.9",
        "Fibrillation et flutter auriculaires, sans précision"
    ),
    cim!("I20.0", "Angine de poitrine instable"),
    cim!(
        "I26.9",
        "Embolie pulmonaire, sans mention de cœur pulmonaire aigu"
    ),
];
static PNEUMO_PB: &[Problem] = &[
    cim!(
        "J44.1",
        "Maladie pulmonaire obstructive chronique avec épisodes aigus"
    ),
    cim!("J18.9", "Pneumopathie, sans précision"),
    cim!("J45.9", "Asthme, sans précision"),
    cim!("J90", "Épanchement pleural, non classé ailleurs"),
];
static MEDINT_PB: &[Problem] = &[
    cim!("D50.9", "Anémie par carence en fer, sans précision"),
    cim!(
        "M31.5",
        "Artérite à cellules géantes avec pseudopolyarthrite rhizomélique"
    ),
    cim!("R50.9", "Fièvre, sans précision"),
    cim!("E87.1", "Hypo-osmolarité et hyponatrémie"),
];
static GERIA_PB: &[Problem] = &[
    cim!("R29.6", "Chutes à répétition, non classées ailleurs"),
    cim!("G30.9", "Maladie d'Alzheimer, sans précision"),
    cim!("N39.0", "Infection des voies urinaires, siège non précisé"),
    cim!("E86", "Hypovolémie (déshydratation)"),
    cim!("R41.0", "Désorientation, sans précision"),
];
static NEURO_PB: &[Problem] = &[
    cim!("I63.9", "Infarctus cérébral, sans précision"),
    cim!("G40.9", "Épilepsie, sans précision"),
    cim!("G35", "Sclérose en plaques"),
    cim!("I61.9", "Hémorragie intracérébrale, sans précision"),
];
static GASTRO_PB: &[Problem] = &[
    cim!("K85.9", "Pancréatite aiguë, sans précision"),
    cim!("K92.2", "Hémorragie gastro-intestinale, sans précision"),
    cim!("K70.3", "Cirrhose alcoolique (du foie)"),
    cim!("K50.9", "Maladie de Crohn, sans précision"),
];
static NEPHRO_PB: &[Problem] = &[
    cim!("N17.9", "Insuffisance rénale aiguë, sans précision"),
    cim!("N18.5", "Maladie rénale chronique, stade 5"),
    cim!("N10", "Néphrite tubulo-interstitielle aiguë"),
];
static ONCO_PB: &[Problem] = &[
    cim!(
        "C34.9",
        "Tumeur maligne des bronches ou du poumon, sans précision"
    ),
    cim!("C50.9", "Tumeur maligne du sein, sans précision"),
    cim!("C18.9", "Tumeur maligne du côlon, sans précision"),
    cim!("C61", "Tumeur maligne de la prostate"),
    cim!("D70", "Agranulocytose (neutropénie fébrile)"),
];
static INFECT_PB: &[Problem] = &[
    cim!("A41.9", "Sepsis, sans précision"),
    cim!("L03.1", "Phlegmon d'autres parties d'un membre"),
    cim!("N10", "Néphrite tubulo-interstitielle aiguë"),
    cim!("A04.7", "Entérocolite due à Clostridium difficile"),
];
static CHIRDIG_PB: &[Problem] = &[
    cim!("K35.8", "Appendicite aiguë, autre et sans précision"),
    cim!(
        "K80.0",
        "Calcul de la vésicule biliaire avec cholécystite aiguë"
    ),
    cim!("K56.6", "Occlusion intestinale, autre et sans précision"),
    cim!(
        "K57.3",
        "Diverticulose du gros intestin sans perforation ni abcès"
    ),
];
static ORTHO_PB: &[Problem] = &[
    cim!("S72.0", "Fracture du col du fémur"),
    cim!("M17.1", "Autres gonarthroses primaires"),
    cim!("M16.1", "Autres coxarthroses primaires"),
    cim!("S82.6", "Fracture de la malléole externe"),
];
static VASC_PB: &[Problem] = &[
    cim!("I70.2", "Athérosclérose des artères distales"),
    cim!(
        "I71.4",
        "Anévrisme aortique abdominal, sans mention de rupture"
    ),
    cim!("I65.2", "Occlusion et sténose de l'artère carotide"),
];
static URO_PB: &[Problem] = &[
    cim!("N20.0", "Calcul du rein"),
    cim!("N40", "Hyperplasie de la prostate"),
    cim!("R33", "Rétention d'urine"),
];
static PEDIA_PB: &[Problem] = &[
    cim!("J21.9", "Bronchiolite aiguë, sans précision"),
    cim!("A09.9", "Gastro-entérite et colite d'origine non précisée"),
    cim!("J45.9", "Asthme, sans précision"),
    cim!("R56.0", "Convulsions fébriles"),
];
static MATER_PB: &[Problem] = &[
    cim!("O80", "Accouchement unique et spontané"),
    cim!("O82", "Accouchement unique par césarienne"),
    cim!("O72.1", "Autres hémorragies immédiates du post-partum"),
    cim!("O14.9", "Prééclampsie, sans précision"),
];
static SSR_PB: &[Problem] = &[
    cim!("Z50.1", "Autres thérapies physiques"),
    cim!("Z47.8", "Autres soins de contrôle orthopédiques précisés"),
    cim!("I69.3", "Séquelles d'infarctus cérébral"),
];
static PSY_PB: &[Problem] = &[
    cim!(
        "F32.2",
        "Épisode dépressif sévère sans symptômes psychotiques"
    ),
    cim!("F20.9", "Schizophrénie, sans précision"),
    cim!("F31.9", "Trouble affectif bipolaire, sans précision"),
    cim!("F10.2", "Troubles liés à l'alcool : syndrome de dépendance"),
];

/// Chronic conditions adults commonly carry besides their reason for admission.
pub static COMORBIDITIES: &[Problem] = &[
    cim!("I10", "Hypertension essentielle (primitive)"),
    cim!("E11.9", "Diabète sucré de type 2, sans complication"),
    cim!("E78.0", "Hypercholestérolémie essentielle"),
    cim!("N18.3", "Maladie rénale chronique, stade 3"),
    cim!("E66.9", "Obésité, sans précision"),
    cim!(
        "I48.9",
        "Fibrillation et flutter auriculaires, sans précision"
    ),
    cim!("E03.9", "Hypothyroïdie, sans précision"),
    cim!("F17.2", "Troubles liés au tabac : syndrome de dépendance"),
    cim!(
        "J44.9",
        "Maladie pulmonaire obstructive chronique, sans précision"
    ),
    cim!("M81.9", "Ostéoporose, sans précision"),
];

// ---- Care activities --------------------------------------------------------

/// Activities that suit any inpatient.
pub static GENERAL_ACTIVITIES: &[&str] = &[
    "Évaluation de la douleur (EVA) toutes les 4 h",
    "Surveillance des constantes (pouls, TA, température, SpO2) toutes les 6 h",
    "Surveillance de la voie veineuse périphérique",
    "Bilan hydrique: hydratation 1,5 L/j",
    "Surveillance du transit et de la diurèse",
    "Aide à la toilette au lavabo",
];

/// Activity for diabetic patients.
pub const GLYCEMIA_ACTIVITY: &str = "Surveillance glycémie capillaire 3x/j";
/// Activities for elderly or bedridden patients.
pub static ELDERLY_ACTIVITIES: &[&str] = &[
    "Prévention escarres: changement de position toutes les 3 h",
    "Prévention des chutes: lit en position basse, sonnette à portée de main",
    "Lever au fauteuil 2 fois par jour avec aide",
];

static ICU_ACT: &[&str] = &[
    "Surveillance scope continue, alarmes réglées",
    "Soins de bouche toutes les 4 h (patient intubé)",
    "Surveillance de la sédation (score de RASS) toutes les 4 h",
    "Prévention escarres: changement de position toutes les 3 h",
];
static CARDIO_ACT: &[&str] = &[
    "Surveillance scope et pression artérielle toutes les 4 h",
    "Pesée quotidienne à jeun",
    "Régime sans sel strict",
    "Éducation thérapeutique: anticoagulants",
];
static PNEUMO_ACT: &[&str] = &[
    "Oxygénothérapie: objectif SpO2 88-92 %",
    "Kinésithérapie respiratoire quotidienne",
    "Aérosols: vérifier la technique d'inhalation",
];
static SURGERY_ACT: &[&str] = &[
    "Surveillance du pansement et de la cicatrice",
    "Surveillance des drains (aspect, quantité) toutes les 8 h",
    "Lever précoce J1 avec le kinésithérapeute",
    "Reprise alimentaire progressive selon tolérance",
];
static NEURO_ACT: &[&str] = &[
    "Surveillance neurologique (Glasgow, pupilles) toutes les 4 h",
    "Test de déglutition avant toute alimentation",
    "Installation du membre hémiplégique en position de fonction",
];
static NEPHRO_ACT: &[&str] = &[
    "Surveillance de la fistule artério-veineuse (thrill)",
    "Restriction hydrique 750 mL/j",
    "Pesée avant et après dialyse",
];
static ONCO_ACT: &[&str] = &[
    "Surveillance de la chambre implantable",
    "Prévention des nausées: antiémétique 30 min avant les repas",
    "Soins de bouche après chaque repas (bain de bouche au bicarbonate)",
];
static PEDIA_ACT: &[&str] = &[
    "Surveillance de l'hydratation: pesée des couches",
    "Désobstruction rhinopharyngée avant les biberons",
    "Présence parentale encouragée, information des parents",
];
static MATER_ACT: &[&str] = &[
    "Surveillance des lochies et de la rétraction utérine",
    "Accompagnement de l'allaitement maternel",
    "Surveillance du périnée",
];
static PSY_ACT: &[&str] = &[
    "Entretien infirmier quotidien",
    "Surveillance du risque suicidaire à chaque poste",
    "Vérification de la prise effective des traitements",
];
static SSR_ACT: &[&str] = &[
    "Rééducation à la marche 2 fois par jour",
    "Ergothérapie: autonomie pour l'habillage",
    "Préparation de la sortie avec l'assistante sociale",
];

// ---- Units -------------------------------------------------------------------

macro_rules! unit {
    ($code:expr, $name:expr, $uf:expr, $beds:expr, $floor:expr, $single:expr, $pop:ident, $stay:expr, $pb:expr, $drugs:expr, $act:expr) => {
        UnitProfile {
            code: $code,
            name: $name,
            uf: $uf,
            beds: $beds,
            floor: $floor,
            single_rooms: $single,
            population: Population::$pop,
            stay_hours: $stay,
            problems: $pb,
            drugs: $drugs,
            activities: $act,
        }
    };
}

/// The 20 units of the default establishment (600 beds).
pub static UNITS: &[UnitProfile] = &[
    unit!(
        "URG",
        "Urgences - UHCD",
        "1001",
        16,
        0,
        0.5,
        Adult,
        20,
        URG_PB,
        MED_DRUGS,
        GENERAL_ACTIVITIES
    ),
    unit!(
        "REA",
        "Réanimation polyvalente",
        "1101",
        16,
        1,
        1.0,
        Adult,
        200,
        REA_PB,
        ICU_DRUGS,
        ICU_ACT
    ),
    unit!(
        "USIC",
        "Soins intensifs de cardiologie",
        "1102",
        10,
        1,
        1.0,
        Adult,
        96,
        USIC_PB,
        CARDIO_DRUGS,
        CARDIO_ACT
    ),
    unit!(
        "CARDIO",
        "Cardiologie",
        "1201",
        40,
        2,
        0.4,
        Adult,
        130,
        CARDIO_PB,
        CARDIO_DRUGS,
        CARDIO_ACT
    ),
    unit!(
        "PNEUMO",
        "Pneumologie",
        "1202",
        36,
        2,
        0.4,
        Adult,
        170,
        PNEUMO_PB,
        PNEUMO_DRUGS,
        PNEUMO_ACT
    ),
    unit!(
        "MEDINT",
        "Médecine interne",
        "1203",
        38,
        3,
        0.4,
        Adult,
        190,
        MEDINT_PB,
        MED_DRUGS,
        GENERAL_ACTIVITIES
    ),
    unit!(
        "GERIA",
        "Gériatrie aiguë",
        "1204",
        40,
        3,
        0.3,
        Elderly,
        250,
        GERIA_PB,
        GERIA_DRUGS,
        ELDERLY_ACTIVITIES
    ),
    unit!(
        "NEURO",
        "Neurologie",
        "1205",
        30,
        4,
        0.5,
        Adult,
        160,
        NEURO_PB,
        NEURO_DRUGS,
        NEURO_ACT
    ),
    unit!(
        "GASTRO",
        "Hépato-gastro-entérologie",
        "1206",
        30,
        4,
        0.4,
        Adult,
        150,
        GASTRO_PB,
        MED_DRUGS,
        GENERAL_ACTIVITIES
    ),
    unit!(
        "NEPHRO",
        "Néphrologie",
        "1207",
        24,
        5,
        0.5,
        Adult,
        170,
        NEPHRO_PB,
        NEPHRO_DRUGS,
        NEPHRO_ACT
    ),
    unit!(
        "ONCO",
        "Oncologie médicale",
        "1208",
        30,
        5,
        0.6,
        Adult,
        180,
        ONCO_PB,
        ONCO_DRUGS,
        ONCO_ACT
    ),
    unit!(
        "MALINF",
        "Maladies infectieuses",
        "1209",
        20,
        6,
        1.0,
        Adult,
        190,
        INFECT_PB,
        INFECT_DRUGS,
        GENERAL_ACTIVITIES
    ),
    unit!(
        "CHIRDIG",
        "Chirurgie digestive",
        "1301",
        36,
        6,
        0.4,
        Adult,
        140,
        CHIRDIG_PB,
        SURGERY_DRUGS,
        SURGERY_ACT
    ),
    unit!(
        "ORTHO",
        "Orthopédie - traumatologie",
        "1302",
        40,
        7,
        0.4,
        Adult,
        150,
        ORTHO_PB,
        SURGERY_DRUGS,
        SURGERY_ACT
    ),
    unit!(
        "CHIRVASC",
        "Chirurgie vasculaire",
        "1303",
        22,
        7,
        0.5,
        Adult,
        140,
        VASC_PB,
        SURGERY_DRUGS,
        SURGERY_ACT
    ),
    unit!(
        "UROLOGIE",
        "Urologie",
        "1304",
        24,
        8,
        0.5,
        Adult,
        90,
        URO_PB,
        SURGERY_DRUGS,
        SURGERY_ACT
    ),
    unit!(
        "PEDIA",
        "Pédiatrie",
        "1401",
        28,
        8,
        0.8,
        Child,
        70,
        PEDIA_PB,
        PEDIA_DRUGS,
        PEDIA_ACT
    ),
    unit!(
        "MATER",
        "Maternité - suites de couches",
        "1501",
        30,
        9,
        0.8,
        Maternity,
        90,
        MATER_PB,
        MATER_DRUGS,
        MATER_ACT
    ),
    unit!(
        "SSR",
        "Soins de suite et de réadaptation",
        "1601",
        50,
        10,
        0.4,
        Elderly,
        600,
        SSR_PB,
        GERIA_DRUGS,
        SSR_ACT
    ),
    unit!(
        "PSY",
        "Psychiatrie adulte",
        "1701",
        40,
        11,
        0.7,
        YoungAdult,
        500,
        PSY_PB,
        PSY_DRUGS,
        PSY_ACT
    ),
];

// ---- Allergens ---------------------------------------------------------------

/// Allergens, drugs first.
pub static ALLERGENS: &[Allergen] = &[
    Allergen {
        code: "J01CA",
        label: "Pénicillines",
        system: "ATC",
        kind: "DA",
        class: Some("penicillin"),
        reactions: &[
            ("Urticaire généralisée", Severity::Moderate),
            ("Œdème de Quincke", Severity::Severe),
            ("Choc anaphylactique", Severity::Severe),
            ("Éruption cutanée", Severity::Mild),
        ],
    },
    Allergen {
        code: "V08A",
        label: "Iode (produits de contraste iodés)",
        system: "ATC",
        kind: "DA",
        class: Some("iodine"),
        reactions: &[
            ("Urticaire", Severity::Moderate),
            ("Bronchospasme", Severity::Severe),
        ],
    },
    Allergen {
        code: "B01AC06",
        label: "Aspirine",
        system: "ATC",
        kind: "DA",
        class: Some("aspirin"),
        reactions: &[
            ("Bronchospasme", Severity::Severe),
            ("Urticaire", Severity::Moderate),
        ],
    },
    Allergen {
        code: "M01A",
        label: "AINS (anti-inflammatoires non stéroïdiens)",
        system: "ATC",
        kind: "DA",
        class: Some("nsaid"),
        reactions: &[
            ("Angio-œdème", Severity::Severe),
            ("Éruption cutanée", Severity::Mild),
        ],
    },
    Allergen {
        code: "J01D",
        label: "Céphalosporines",
        system: "ATC",
        kind: "DA",
        class: Some("cephalosporin"),
        reactions: &[("Éruption maculo-papuleuse", Severity::Moderate)],
    },
    Allergen {
        code: "N02AA01",
        label: "Morphine",
        system: "ATC",
        kind: "DA",
        class: Some("morphine"),
        reactions: &[
            ("Prurit intense", Severity::Mild),
            ("Nausées et vomissements", Severity::Mild),
        ],
    },
    Allergen {
        code: "J01EE01",
        label: "Sulfaméthoxazole-triméthoprime (Bactrim)",
        system: "ATC",
        kind: "DA",
        class: Some("sulfonamide"),
        reactions: &[
            ("Syndrome de Lyell", Severity::Severe),
            ("Éruption cutanée", Severity::Moderate),
        ],
    },
    Allergen {
        code: "LATEX",
        label: "Latex",
        system: "L",
        kind: "EA",
        class: None,
        reactions: &[
            ("Eczéma de contact", Severity::Mild),
            ("Choc anaphylactique", Severity::Severe),
        ],
    },
    Allergen {
        code: "ARACH",
        label: "Arachide",
        system: "L",
        kind: "FA",
        class: None,
        reactions: &[
            ("Œdème de Quincke", Severity::Severe),
            ("Urticaire", Severity::Moderate),
        ],
    },
    Allergen {
        code: "CRUST",
        label: "Fruits de mer & crustacés",
        system: "L",
        kind: "FA",
        class: None,
        reactions: &[
            ("Œdème des lèvres", Severity::Moderate),
            ("Urticaire", Severity::Moderate),
        ],
    },
    Allergen {
        code: "OEUF",
        label: "Œuf",
        system: "L",
        kind: "FA",
        class: None,
        reactions: &[
            ("Urticaire", Severity::Mild),
            ("Vomissements", Severity::Mild),
        ],
    },
    Allergen {
        code: "CHLORHEX",
        label: "Chlorhexidine",
        system: "L",
        kind: "EA",
        class: None,
        reactions: &[("Eczéma de contact", Severity::Mild)],
    },
];

// ---- Vitals and labs ---------------------------------------------------------

macro_rules! measure {
    ($loinc:expr, $label:expr, $ucum:expr, $unit:expr, $low:expr, $high:expr, $dec:expr) => {
        Measure {
            loinc: $loinc,
            label: $label,
            ucum: $ucum,
            unit_label: $unit,
            low: $low,
            high: $high,
            decimals: $dec,
        }
    };
}

/// Body temperature.
pub static TEMPERATURE: Measure = measure!("8310-5", "Température", "Cel", "°C", 36.0, 37.8, 1);
/// Heart rate.
pub static HEART_RATE: Measure = measure!(
    "8867-4",
    "Fréquence cardiaque",
    "/min",
    "/min",
    50.0,
    100.0,
    0
);
/// Systolic blood pressure.
pub static SYSTOLIC: Measure = measure!(
    "8480-6",
    "Pression artérielle systolique",
    "mm[Hg]",
    "mmHg",
    90.0,
    140.0,
    0
);
/// Diastolic blood pressure.
pub static DIASTOLIC: Measure = measure!(
    "8462-4",
    "Pression artérielle diastolique",
    "mm[Hg]",
    "mmHg",
    50.0,
    90.0,
    0
);
/// Oxygen saturation by pulse oximetry.
pub static SPO2: Measure = measure!(
    "59408-5",
    "Saturation en oxygène (SpO2)",
    "%",
    "%",
    94.0,
    100.0,
    0
);
/// Respiratory rate.
pub static RESP_RATE: Measure = measure!(
    "9279-1",
    "Fréquence respiratoire",
    "/min",
    "/min",
    12.0,
    20.0,
    0
);
/// Pain on the visual analogue scale.
pub static PAIN: Measure = measure!("72514-3", "Douleur (EVA)", "{score}", "/10", 0.0, 3.0, 0);
/// Body weight.
pub static WEIGHT: Measure = measure!("29463-7", "Poids", "kg", "kg", 0.0, 0.0, 1);

/// Haemoglobin.
pub static HEMOGLOBIN: Measure = measure!("718-7", "Hémoglobine", "g/dL", "g/dL", 12.0, 16.0, 1);
/// White cells.
pub static LEUKOCYTES: Measure = measure!("6690-2", "Leucocytes", "10*9/L", "G/L", 4.0, 10.0, 1);
/// Platelets.
pub static PLATELETS: Measure = measure!("777-3", "Plaquettes", "10*9/L", "G/L", 150.0, 400.0, 0);
/// Sodium.
pub static SODIUM: Measure = measure!("2951-2", "Natrémie", "mmol/L", "mmol/L", 135.0, 145.0, 0);
/// Potassium.
pub static POTASSIUM: Measure = measure!("2823-3", "Kaliémie", "mmol/L", "mmol/L", 3.5, 5.0, 1);
/// Creatinine (molar).
pub static CREATININE: Measure =
    measure!("14682-9", "Créatinine", "umol/L", "µmol/L", 45.0, 104.0, 0);
/// C-reactive protein.
pub static CRP: Measure = measure!(
    "1988-5",
    "Protéine C réactive (CRP)",
    "mg/L",
    "mg/L",
    0.0,
    5.0,
    1
);
/// Glucose (molar).
pub static GLUCOSE: Measure = measure!("14749-6", "Glycémie", "mmol/L", "mmol/L", 3.9, 5.8, 1);

/// Complete blood count panel (LOINC panel code, French label, section).
pub const CBC_PANEL: (&str, &str, &str) = ("58410-2", "Numération formule sanguine", "HM");
/// Chemistry panel.
pub const CHEM_PANEL: (&str, &str, &str) =
    ("24326-1", "Ionogramme, créatinine, CRP, glycémie", "CH");
/// Vital signs panel.
pub const VITALS_PANEL: (&str, &str) = ("85353-1", "Constantes vitales");

// ---- People and places -------------------------------------------------------

/// Female given names.
pub static GIVEN_FEMALE: &[&str] = &[
    "Hélène",
    "Zoé",
    "Léa",
    "Béatrice",
    "Anne",
    "Marie",
    "Françoise",
    "Chloé",
    "Inès",
    "Élodie",
    "Agnès",
    "Noémie",
    "Céline",
    "Sophie",
    "Maëlle",
    "Louise",
    "Jeanne",
    "Thérèse",
    "Josée",
    "Mathilde",
    "Cécile",
    "Geneviève",
    "Éva",
    "Manon",
    "Nathalie",
    "Renée",
    "Amélie",
    "Gaëlle",
];
/// Male given names.
pub static GIVEN_MALE: &[&str] = &[
    "François",
    "Gaël",
    "Jérôme",
    "Noël",
    "Côme",
    "Jean",
    "Pierre",
    "Luc",
    "Théo",
    "Hugo",
    "André",
    "Benoît",
    "Raphaël",
    "Joël",
    "Mathéo",
    "Étienne",
    "Grégoire",
    "Michel",
    "Thierry",
    "Loïc",
    "Frédéric",
    "René",
    "Clément",
    "Aurélien",
    "Léon",
    "Stéphane",
    "Maël",
    "Cédric",
];
/// Family names.
pub static FAMILY_NAMES: &[&str] = &[
    "Martin",
    "Bernard",
    "Lefèvre",
    "Dubois",
    "Faure",
    "Lemaître",
    "Caron",
    "Gaillard",
    "Mercier",
    "Benoît",
    "Roussel",
    "Leroy",
    "Petit",
    "Durand",
    "Moreau",
    "Laurent",
    "Girard",
    "Bonnet",
    "Fontaine",
    "Chevalier",
    "Rousseau",
    "Blanchard",
    "Guérin",
    "Boucher",
    "Lefèbvre",
    "Barbier",
    "Brunet",
    "Gauthier",
    "Perrin",
    "Morel",
    "Marchand",
    "Renaud",
    "Dupré",
    "Lacroix",
    "Bréhier",
    "Clément",
    "Noël",
    "Lévêque",
    "Ménard",
    "Hébert",
    "Giraud",
    "Château",
    "Vallée",
    "Prévost",
    "Besançon",
    "Joly",
    "Aubépine",
    "Le Goff",
    "N'Diaye",
    "Da Silva",
];

/// Towns around the demo hospital (Burgundy), for addresses.
pub static LOCAL_TOWNS: &[Town] = &[
    Town {
        name: "Dijon",
        postcode: "21000",
        insee: "21231",
    },
    Town {
        name: "Chenôve",
        postcode: "21300",
        insee: "21166",
    },
    Town {
        name: "Talant",
        postcode: "21240",
        insee: "21617",
    },
    Town {
        name: "Quetigny",
        postcode: "21800",
        insee: "21515",
    },
    Town {
        name: "Beaune",
        postcode: "21200",
        insee: "21054",
    },
    Town {
        name: "Nuits-Saint-Georges",
        postcode: "21700",
        insee: "21464",
    },
    Town {
        name: "Is-sur-Tille",
        postcode: "21120",
        insee: "21317",
    },
    Town {
        name: "Genlis",
        postcode: "21110",
        insee: "21292",
    },
    Town {
        name: "Semur-en-Auxois",
        postcode: "21140",
        insee: "21603",
    },
    Town {
        name: "Montbard",
        postcode: "21500",
        insee: "21425",
    },
    Town {
        name: "Chalon-sur-Saône",
        postcode: "71100",
        insee: "71076",
    },
    Town {
        name: "Auxonne",
        postcode: "21130",
        insee: "21038",
    },
    Town {
        name: "Fontaine-lès-Dijon",
        postcode: "21121",
        insee: "21278",
    },
    Town {
        name: "Saint-Apollinaire",
        postcode: "21850",
        insee: "21540",
    },
    Town {
        name: "Longvic",
        postcode: "21600",
        insee: "21355",
    },
    Town {
        name: "Châtillon-sur-Seine",
        postcode: "21400",
        insee: "21154",
    },
];
/// Towns elsewhere in France, for birth places.
pub static BIRTH_TOWNS: &[Town] = &[
    Town {
        name: "Paris",
        postcode: "75000",
        insee: "75056",
    },
    Town {
        name: "Lyon",
        postcode: "69000",
        insee: "69123",
    },
    Town {
        name: "Besançon",
        postcode: "25000",
        insee: "25056",
    },
    Town {
        name: "Nancy",
        postcode: "54000",
        insee: "54395",
    },
    Town {
        name: "Lille",
        postcode: "59000",
        insee: "59350",
    },
    Town {
        name: "Nantes",
        postcode: "44000",
        insee: "44109",
    },
    Town {
        name: "Marseille",
        postcode: "13000",
        insee: "13055",
    },
    Town {
        name: "Strasbourg",
        postcode: "67000",
        insee: "67482",
    },
];
/// Street names.
pub static STREETS: &[&str] = &[
    "rue Victor Hugo",
    "avenue Jean Jaurès",
    "rue des Écoles",
    "place de l'Église",
    "chemin des Vignes",
    "allée des Tilleuls",
    "rue du Château",
    "boulevard de la Trémouille",
    "rue Berbisey",
    "rue de la Préfecture",
    "impasse des Mûriers",
    "route de Beaune",
    "rue Pasteur",
    "avenue du Drapeau",
    "rue des Forges",
    "quai Nicolas Rolin",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_units_have_600_beds_and_unique_codes() {
        assert_eq!(UNITS.len(), 20);
        assert_eq!(UNITS.iter().map(|u| u.beds).sum::<u32>(), 600);
        let mut codes: Vec<&str> = UNITS.iter().map(|u| u.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 20);
        assert!(
            UNITS
                .iter()
                .all(|u| !u.problems.is_empty() && !u.drugs.is_empty())
        );
    }

    #[test]
    fn every_drug_class_has_a_matching_allergen() {
        let all_drugs = UNITS.iter().flat_map(|u| u.drugs.iter()).chain(BASE_DRUGS);
        for drug in all_drugs {
            if let Some(class) = drug.class {
                assert!(ALLERGENS.iter().any(|a| a.class == Some(class)), "{class}");
            }
        }
    }
}
