"""Clinical knowledge tables for the medical domain: labs, problems (ICD-10-CM), drugs, procedures, names.

Named rows only; world_model.medical.clinical indexes them at import. Reference ranges are common adult US
laboratory ranges; codes are billable ICD-10-CM codes and LOINC codes; drug regimens are usual adult
doses with contraindications from product labels and common clinical practice.
"""

from __future__ import annotations

from typing import NamedTuple


class LabRow(NamedTuple):
    """A laboratory test as reference tables list it; a range is (low, high), high None meaning "at least low"."""

    loinc: str
    unit: str
    female: tuple[float, float | None]
    male: tuple[float, float | None]
    decimals: int
    low: tuple[float, float]  # where abnormally low values are drawn
    high: tuple[float, float]  # where abnormally high values are drawn
    normal: tuple[float, float] | None  # where normal values are drawn; None: well inside the range
    wrong_unit: str  # a plausible unit that is not this test's


class VitalRow(NamedTuple):
    """A vital sign: its normal band, the abnormal state a condition can cause and its band, hard limits."""

    normal: tuple[float, float]
    state: str
    abnormal: tuple[float, float]
    limits: tuple[float, float]  # physiological limits
    decimals: int


class VitalState(NamedTuple):
    """What a condition's vital-sign expectation means when checked: vital `op` threshold."""

    vital: str
    op: str
    threshold: float


class ProblemRow(NamedTuple):
    """A diagnosis (ICD-10-CM) with who can have it and, for active problems, what it implies."""

    code: str
    roles: str  # P = reason for admission, C = comorbidity under treatment, H = past history entry
    sex: str | None
    min_age: int
    group: str | None  # problems of one group exclude each other
    weight: float
    labs: dict[str, str] = {}
    vitals: tuple[str, ...] = ()
    symptoms: tuple[str, ...] = ()
    drugs: tuple[str, ...] = ()
    procedures: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    stay: tuple[int, int] = (0, 0)


class DrugRow(NamedTuple):
    """A drug's usual adult regimen and what rules it out; a rule (name, "<" or ">", threshold) fires on crossing."""

    doses: tuple[float, ...]
    unit: str
    routes: tuple[str, ...]
    frequencies: tuple[str, ...]
    contra: set[str]
    lab_rules: tuple[tuple[str, str, float], ...]
    vital_rules: tuple[tuple[str, str, float], ...]

EGFR = "eGFR (CKD-EPI 2021)"

# name: (LOINC, unit, female range, male range, decimals, low band, high band, normal band or None, wrong unit)
# A range is (low, high); high None means "at least low". Bands are where abnormal values are drawn.
LABS: dict[str, LabRow] = {
    "Hemoglobin": LabRow("718-7", "g/dL", (12.0, 15.5), (13.5, 17.5), 1, (7.0, 10.8), (18.2, 20.0), None, "g/L"),
    "Ferritin": LabRow("2276-4", "ng/mL", (11.0, 307.0), (24.0, 336.0), 0, (3.0, 10.0), (700.0, 1500.0), (40.0, 220.0), "pmol/L"),
    "Mean corpuscular volume": LabRow("787-2", "fL", (80.0, 100.0), (80.0, 100.0), 0, (62.0, 76.0), (104.0, 118.0), None, "pg"),
    "Leukocytes": LabRow("6690-2", "10^3/uL", (4.0, 11.0), (4.0, 11.0), 1, (1.2, 3.4), (12.6, 24.0), None, "10^6/uL"),
    "Sodium": LabRow("2951-2", "mmol/L", (135.0, 145.0), (135.0, 145.0), 0, (120.0, 131.0), (148.0, 156.0), None, "mg/dL"),
    "Potassium": LabRow("2823-3", "mmol/L", (3.5, 5.0), (3.5, 5.0), 1, (2.6, 3.2), (5.6, 6.8), (3.7, 4.8), "mg/dL"),
    "Creatinine": LabRow("2160-0", "mg/dL", (0.59, 1.04), (0.74, 1.35), 2, (0.3, 0.5), (1.6, 4.0), None, "umol/L"),
    EGFR: LabRow("98979-8", "mL/min/1.73m2", (60.0, None), (60.0, None), 0, (5.0, 14.0), (130.0, 140.0), None, "mL/min"),
    "Urea nitrogen": LabRow("3094-0", "mg/dL", (7.0, 20.0), (7.0, 20.0), 0, (2.0, 5.0), (28.0, 75.0), (9.0, 18.0), "mmol/L"),
    "Glucose": LabRow("2345-7", "mg/dL", (70.0, 99.0), (70.0, 99.0), 0, (40.0, 62.0), (380.0, 880.0), (76.0, 96.0), "mmol/L"),
    "Glucose, fasting": LabRow("1558-6", "mg/dL", (70.0, 99.0), (70.0, 99.0), 0, (40.0, 62.0), (132.0, 280.0), (76.0, 96.0), "mmol/L"),
    "Hemoglobin A1c": LabRow("4548-4", "%", (4.0, 5.6), (4.0, 5.6), 1, (3.0, 3.8), (6.8, 12.5), (4.6, 5.4), "mmol/mol"),
    "Thyrotropin (TSH)": LabRow("3016-3", "mIU/L", (0.45, 4.5), (0.45, 4.5), 2, (0.01, 0.08), (6.5, 48.0), (0.8, 3.9), "ng/dL"),
    "Free thyroxine (FT4)": LabRow("3024-7", "ng/dL", (0.82, 1.77), (0.82, 1.77), 2, (0.3, 0.7), (2.1, 4.8), None, "pmol/L"),
    "LDL cholesterol (calculated)": LabRow("13457-7", "mg/dL", (0.0, 99.0), (0.0, 99.0), 0, (5.0, 20.0), (165.0, 245.0), (58.0, 96.0), "mmol/L"),
    "NT-proBNP": LabRow("33762-6", "pg/mL", (0.0, 125.0), (0.0, 125.0), 0, (0.0, 0.0), (1400.0, 16000.0), (18.0, 110.0), "pmol/L"),
    "C-reactive protein": LabRow("1988-5", "mg/L", (0.0, 5.0), (0.0, 5.0), 1, (0.0, 0.0), (45.0, 290.0), (0.4, 4.4), "mg/dL"),
    "Lactate": LabRow("2524-7", "mmol/L", (0.5, 2.2), (0.5, 2.2), 1, (0.1, 0.3), (2.9, 7.8), (0.7, 1.9), "mg/dL"),
    "Bicarbonate": LabRow("1963-8", "mmol/L", (22.0, 29.0), (22.0, 29.0), 0, (6.0, 15.0), (33.0, 40.0), None, "mg/dL"),
    "pCO2, arterial": LabRow("2019-8", "mm[Hg]", (35.0, 45.0), (35.0, 45.0), 0, (22.0, 31.0), (52.0, 78.0), None, "kPa"),
    "D-dimer (FEU)": LabRow("48065-7", "ng/mL", (0.0, 500.0), (0.0, 500.0), 0, (0.0, 0.0), (1300.0, 8200.0), (120.0, 440.0), "ug/mL"),
    "Lipase": LabRow("3040-3", "U/L", (13.0, 60.0), (13.0, 60.0), 0, (3.0, 9.0), (420.0, 3200.0), None, "mg/dL"),
    "Uric acid": LabRow("3084-1", "mg/dL", (2.6, 6.0), (3.5, 7.2), 1, (0.8, 2.0), (8.2, 12.4), None, "umol/L"),
    "25-hydroxyvitamin D": LabRow("62292-8", "ng/mL", (30.0, 100.0), (30.0, 100.0), 0, (6.0, 18.0), (150.0, 220.0), (34.0, 78.0), "nmol/L"),
}

# Drawn in every record (haemoglobin and renal function), before the condition-specific tests.
BASELINE_LABS = ("Hemoglobin", "Creatinine", EGFR)

# eGFR bands that define CKD stages (inclusive), and the stages the sampler may draw.
EGFR_STAGES: dict[str, tuple[int, int]] = {
    "normal": (60, 150),
    "stage3a": (45, 59),
    "stage3b": (30, 44),
    "stage4": (15, 29),
}

# vital sign: (normal band, abnormal state, abnormal band, physiological limits, decimals)
VITALS: dict[str, VitalRow] = {
    "temperature_c": VitalRow((36.3, 37.4), "fever", (38.1, 39.9), (32.0, 43.0), 1),
    "heart_rate": VitalRow((62, 96), "tachycardia", (104, 136), (25, 250), 0),
    "systolic_bp": VitalRow((108, 134), "hypertension", (146, 182), (60, 260), 0),
    "diastolic_bp": VitalRow((62, 84), "hypertension", (86, 104), (30, 200), 0),
    "respiratory_rate": VitalRow((12, 18), "tachypnea", (22, 32), (5, 60), 0),
    "spo2": VitalRow((95, 99), "hypoxemia", (84, 92), (50, 100), 0),
    "bmi": VitalRow((19.5, 29.4), "obesity", (30.6, 44.0), (12.0, 80.0), 1),
    "weight_kg": VitalRow((0, 0), "", (0, 0), (30.0, 300.0), 1),
    "height_cm": VitalRow((0, 0), "", (0, 0), (130, 215), 0),
}

# state -> (vital, predicate name, threshold): what a condition's vital expectation means when checked.
VITAL_STATES: dict[str, VitalState] = {
    "fever": VitalState("temperature_c", ">=", 38.0),
    "tachycardia": VitalState("heart_rate", ">", 100),
    "hypertension": VitalState("systolic_bp", ">=", 140),
    "tachypnea": VitalState("respiratory_rate", ">", 20),
    "hypoxemia": VitalState("spo2", "<", 94),
    "obesity": VitalState("bmi", ">=", 30.0),
}

HEIGHT_CM = {"female": (150, 178), "male": (161, 193)}

# Roles: P = reason for admission (primary), C = comorbidity under treatment, H = past history entry.
# name: (ICD-10-CM code, roles, sex or None, minimum age, exclusive group or None, weight,
#        {lab: state}, (vital states...), (symptoms...), (drugs...), (procedures...), (services...), (min, max) stay)
PROBLEMS: dict[str, ProblemRow] = {
    # --- reasons for admission -------------------------------------------------------------
    "Pneumonia, unspecified organism": ProblemRow(
        "J18.9", "P", None, 0, None, 3.0,
        {"Leukocytes": "high", "C-reactive protein": "high"}, ("fever", "tachypnea"),
        ("productive cough", "fever", "shortness of breath", "pleuritic chest pain"),
        ("ceftriaxone", "azithromycin", "doxycycline", "levofloxacin"), ("Chest radiograph",),
        ("Internal Medicine", "Pulmonology"), (2, 7)),
    "Sepsis, unspecified organism": ProblemRow(
        "A41.9", "P", None, 0, None, 2.0,
        {"Leukocytes": "high", "Lactate": "high", "C-reactive protein": "high"}, ("fever", "tachycardia"),
        ("fever", "chills", "confusion", "malaise"),
        ("piperacillin-tazobactam", "meropenem"), ("Chest radiograph", "Abdominal ultrasound"),
        ("Internal Medicine", "Infectious Diseases", "Critical Care"), (4, 12)),
    "Acute on chronic systolic (congestive) heart failure": ProblemRow(
        "I50.23", "P", None, 30, "heart failure", 2.5,
        {"NT-proBNP": "high"}, ("tachypnea", "hypoxemia"),
        ("shortness of breath", "orthopnea", "leg swelling", "fatigue"),
        ("furosemide",), ("Transthoracic echocardiogram", "Chest radiograph"),
        ("Cardiology", "Internal Medicine"), (3, 9)),
    "Chronic obstructive pulmonary disease with (acute) exacerbation": ProblemRow(
        "J44.1", "P", None, 40, "copd", 2.0,
        {"pCO2, arterial": "high"}, ("hypoxemia", "tachypnea"),
        ("shortness of breath", "wheezing", "productive cough"),
        ("prednisone", "methylprednisolone"), ("Chest radiograph",),
        ("Pulmonology", "Internal Medicine"), (3, 8)),
    "Type 1 diabetes mellitus with ketoacidosis without coma": ProblemRow(
        "E10.10", "P", None, 0, "diabetes", 1.0,
        {"Glucose": "high", "Bicarbonate": "low"}, ("tachypnea", "tachycardia"),
        ("nausea", "vomiting", "abdominal pain", "polyuria", "excessive thirst"),
        ("insulin regular",), ("Electrocardiogram",),
        ("Endocrinology", "Internal Medicine", "Critical Care"), (2, 5)),
    "Type 2 diabetes mellitus with hyperosmolarity without nonketotic hyperglycemic-hyperosmolar coma (NKHHC)": ProblemRow(
        "E11.00", "P", None, 18, "diabetes", 0.8,
        {"Glucose": "high", "Urea nitrogen": "high"}, ("tachycardia",),
        ("polyuria", "excessive thirst", "confusion", "weakness"),
        ("insulin regular",), ("Electrocardiogram",),
        ("Endocrinology", "Internal Medicine"), (3, 7)),
    "Other pulmonary embolism without acute cor pulmonale": ProblemRow(
        "I26.99", "P", None, 18, None, 1.5,
        {"D-dimer (FEU)": "high"}, ("tachycardia", "hypoxemia"),
        ("shortness of breath", "pleuritic chest pain", "hemoptysis", "leg swelling"),
        ("apixaban", "rivaroxaban", "enoxaparin"), ("CT pulmonary angiography", "Lower extremity venous duplex ultrasound"),
        ("Internal Medicine", "Pulmonology"), (3, 7)),
    "Acute pyelonephritis": ProblemRow(
        "N10", "P", None, 0, None, 1.5,
        {"Leukocytes": "high", "C-reactive protein": "high"}, ("fever",),
        ("flank pain", "dysuria", "fever", "nausea"),
        ("ceftriaxone", "ciprofloxacin", "levofloxacin"), ("Renal ultrasound",),
        ("Internal Medicine", "Infectious Diseases"), (2, 6)),
    "Cellulitis of right lower limb": ProblemRow(
        "L03.115", "P", None, 0, None, 1.5,
        {"Leukocytes": "high", "C-reactive protein": "high"}, ("fever",),
        ("leg redness", "leg swelling", "leg pain", "fever"),
        ("cefazolin", "cephalexin", "clindamycin"), ("Lower extremity venous duplex ultrasound",),
        ("Internal Medicine", "Infectious Diseases"), (2, 6)),
    "Iron deficiency anemia secondary to blood loss (chronic)": ProblemRow(
        "D50.0", "P", None, 0, "anemia", 1.2,
        {"Hemoglobin": "low", "Ferritin": "low", "Mean corpuscular volume": "low"}, ("tachycardia",),
        ("fatigue", "exertional dyspnea", "pallor", "dizziness"),
        ("iron sucrose", "ferrous sulfate"), ("Upper endoscopy", "Colonoscopy", "Red blood cell transfusion"),
        ("Internal Medicine", "Gastroenterology", "Hematology"), (1, 4)),
    "Acute pancreatitis without necrosis or infection, unspecified": ProblemRow(
        "K85.90", "P", None, 0, None, 1.2,
        {"Lipase": "high", "Leukocytes": "high"}, ("tachycardia",),
        ("epigastric pain", "nausea", "vomiting"),
        ("hydromorphone", "morphine", "ondansetron"), ("Abdominal ultrasound", "CT abdomen and pelvis"),
        ("Gastroenterology", "Internal Medicine"), (3, 8)),
    "Gastrointestinal hemorrhage, unspecified": ProblemRow(
        "K92.2", "P", None, 0, None, 1.2,
        {"Hemoglobin": "low", "Urea nitrogen": "high"}, ("tachycardia",),
        ("black tarry stools", "vomiting blood", "dizziness", "fatigue"),
        ("pantoprazole",), ("Upper endoscopy", "Red blood cell transfusion"),
        ("Gastroenterology", "Internal Medicine"), (2, 6)),
    # --- comorbidities under treatment ---------------------------------------------------------
    "Type 2 diabetes mellitus with hyperglycemia": ProblemRow(
        "E11.65", "C", None, 18, "diabetes", 4.0,
        {"Hemoglobin A1c": "high", "Glucose, fasting": "high"}, (),
        ("polyuria", "excessive thirst", "blurred vision"),
        ("metformin", "insulin glargine", "linagliptin", "dapagliflozin"), (), (), (0, 0)),
    "Essential (primary) hypertension": ProblemRow(
        "I10", "C", None, 18, None, 5.0, {}, ("hypertension",), ("headache",),
        ("lisinopril", "losartan", "amlodipine", "hydrochlorothiazide"), ("Electrocardiogram",), (), (0, 0)),
    "Hyperlipidemia, unspecified": ProblemRow(
        "E78.5", "C", None, 18, None, 4.0, {"LDL cholesterol (calculated)": "high"}, (), (),
        ("atorvastatin", "rosuvastatin"), (), (), (0, 0)),
    "Chronic kidney disease, stage 3a": ProblemRow(
        "N18.31", "C", None, 18, "ckd", 1.5, {EGFR: "stage3a"}, (), ("fatigue",),
        ("dapagliflozin", "losartan"), ("Renal ultrasound",), (), (0, 0)),
    "Chronic kidney disease, stage 3b": ProblemRow(
        "N18.32", "C", None, 18, "ckd", 1.2, {EGFR: "stage3b"}, (), ("fatigue",),
        ("dapagliflozin", "losartan"), ("Renal ultrasound",), (), (0, 0)),
    "Chronic kidney disease, stage 4 (severe)": ProblemRow(
        "N18.4", "C", None, 18, "ckd", 0.8, {EGFR: "stage4"}, (), ("fatigue", "itching"),
        ("calcitriol",), ("Renal ultrasound",), (), (0, 0)),
    "Hypothyroidism, unspecified": ProblemRow(
        "E03.9", "C", None, 0, "thyroid", 2.0, {"Thyrotropin (TSH)": "high", "Free thyroxine (FT4)": "low"}, (),
        ("fatigue", "cold intolerance", "weight gain", "constipation"),
        ("levothyroxine",), (), (), (0, 0)),
    "Thyrotoxicosis, unspecified without thyrotoxic crisis or storm": ProblemRow(
        "E05.90", "C", None, 0, "thyroid", 0.8, {"Thyrotropin (TSH)": "low", "Free thyroxine (FT4)": "high"},
        ("tachycardia",), ("palpitations", "heat intolerance", "weight loss", "tremor"),
        ("methimazole", "propranolol"), (), (), (0, 0)),
    "Iron deficiency anemia, unspecified": ProblemRow(
        "D50.9", "C", None, 0, "anemia", 1.5,
        {"Hemoglobin": "low", "Ferritin": "low", "Mean corpuscular volume": "low"}, (), ("fatigue", "pallor"),
        ("ferrous sulfate", "iron sucrose"), ("Colonoscopy", "Upper endoscopy"), (), (0, 0)),
    "Vitamin B12 deficiency anemia, unspecified": ProblemRow(
        "D51.9", "C", None, 0, "anemia", 0.7, {"Hemoglobin": "low", "Mean corpuscular volume": "high"}, (),
        ("fatigue", "numbness in the feet", "pallor"), ("cyanocobalamin",), (), (), (0, 0)),
    "Obesity, unspecified": ProblemRow(
        "E66.9", "C", None, 18, None, 3.0, {}, ("obesity",), (), ("semaglutide",), (), (), (0, 0)),
    "Gout, unspecified": ProblemRow(
        "M10.9", "C", None, 18, None, 1.2, {"Uric acid": "high"}, (), ("joint pain", "joint swelling"),
        ("allopurinol",), (), (), (0, 0)),
    "Chronic systolic (congestive) heart failure": ProblemRow(
        "I50.22", "C", None, 30, "heart failure", 1.5, {"NT-proBNP": "high"}, (),
        ("shortness of breath", "fatigue", "leg swelling"),
        ("metoprolol succinate", "spironolactone", "dapagliflozin"), ("Transthoracic echocardiogram",), (), (0, 0)),
    "Paroxysmal atrial fibrillation": ProblemRow(
        "I48.0", "C", None, 18, None, 2.0, {}, (), ("palpitations",),
        ("apixaban", "rivaroxaban", "metoprolol succinate", "diltiazem"),
        ("Electrocardiogram", "Transthoracic echocardiogram"), (), (0, 0)),
    "Major depressive disorder, single episode, unspecified": ProblemRow(
        "F32.9", "CH", None, 18, None, 1.5, {}, (), ("low mood", "insomnia"),
        ("sertraline", "escitalopram"), (), (), (0, 0)),
    "Unilateral primary osteoarthritis, right knee": ProblemRow(
        "M17.11", "CH", None, 40, None, 1.5, {}, (), ("knee pain", "joint stiffness"),
        ("acetaminophen", "naproxen"), ("Knee radiograph",), (), (0, 0)),
    "Age-related osteoporosis without current pathological fracture": ProblemRow(
        "M81.0", "CH", None, 50, None, 1.2, {}, (), ("back pain",),
        ("alendronate",), ("Bone densitometry (DXA)",), (), (0, 0)),
    "Benign prostatic hyperplasia with lower urinary tract symptoms": ProblemRow(
        "N40.1", "C", "male", 40, "bph", 1.5, {}, (), ("urinary frequency", "nocturia", "weak urinary stream"),
        ("tamsulosin",), (), (), (0, 0)),
    "Menopausal and female climacteric states": ProblemRow(
        "N95.1", "C", "female", 40, None, 1.5, {}, (), ("hot flashes", "night sweats", "insomnia"),
        ("estradiol",), (), (), (0, 0)),
    "Mild intermittent asthma, uncomplicated": ProblemRow(
        "J45.20", "CH", None, 0, "asthma", 1.2, {}, (), ("wheezing", "chest tightness"),
        ("albuterol",), (), (), (0, 0)),
    "Migraine, unspecified, not intractable, without status migrainosus": ProblemRow(
        "G43.909", "CH", None, 10, None, 1.0, {}, (), ("headache", "nausea", "light sensitivity"),
        ("sumatriptan", "propranolol"), (), (), (0, 0)),
    "Atherosclerotic heart disease of native coronary artery without angina pectoris": ProblemRow(
        "I25.10", "CH", None, 30, None, 1.5, {}, (), (),
        ("aspirin", "atorvastatin", "clopidogrel"), ("Electrocardiogram",), (), (0, 0)),
    "Alzheimer's disease with late onset": ProblemRow(
        "G30.1", "C", None, 65, None, 0.6, {}, (), ("memory loss", "confusion"),
        ("donepezil",), (), (), (0, 0)),
    "Hyperkalemia": ProblemRow(
        "E87.5", "C", None, 0, "potassium", 0.6, {"Potassium": "high"}, (), ("muscle weakness",),
        ("sodium zirconium cyclosilicate",), ("Electrocardiogram",), (), (0, 0)),
    "Hypokalemia": ProblemRow(
        "E87.6", "C", None, 0, "potassium", 0.8, {"Potassium": "low"}, (), ("muscle weakness", "palpitations"),
        ("potassium chloride",), ("Electrocardiogram",), (), (0, 0)),
    "Vitamin D deficiency, unspecified": ProblemRow(
        "E55.9", "C", None, 0, None, 1.0, {"25-hydroxyvitamin D": "low"}, (), ("bone pain", "muscle weakness"),
        ("cholecalciferol",), (), (), (0, 0)),
    "Gastro-esophageal reflux disease without esophagitis": ProblemRow(
        "K21.9", "CH", None, 0, None, 1.5, {}, (), ("heartburn",), ("pantoprazole",), (), (), (0, 0)),
    "Chronic obstructive pulmonary disease, unspecified": ProblemRow(
        "J44.9", "C", None, 40, "copd", 1.2, {}, (), ("shortness of breath", "chronic cough"),
        ("tiotropium",), (), (), (0, 0)),
    # --- past history only ---------------------------------------------------------------------
    "Unspecified cirrhosis of liver": ProblemRow("K74.60", "H", None, 18, None, 0.4),
    "Primary adrenocortical insufficiency": ProblemRow("E27.1", "H", None, 0, None, 0.2),
    "Atrioventricular block, second degree": ProblemRow("I44.1", "H", None, 18, None, 0.3),
    "Sick sinus syndrome": ProblemRow("I49.5", "H", None, 18, None, 0.3),
    "Personal history of pulmonary embolism": ProblemRow("Z86.711", "H", None, 18, None, 0.4),
    "Personal history of other venous thrombosis and embolism": ProblemRow("Z86.718", "H", None, 18, None, 0.4),
    "Presence of prosthetic heart valve": ProblemRow("Z95.2", "H", None, 18, None, 0.3),
    "Hereditary hemochromatosis": ProblemRow("E83.110", "H", None, 18, None, 0.2),
    "Achalasia of cardia": ProblemRow("K22.0", "H", None, 18, None, 0.1),
    "Long QT syndrome": ProblemRow("I45.81", "H", None, 0, None, 0.2),
    "Personal history of malignant neoplasm of thyroid": ProblemRow("Z85.850", "H", None, 18, None, 0.2),
    "Multiple endocrine neoplasia [MEN] type IIA": ProblemRow("E31.22", "H", None, 0, None, 0.1),
    "Heparin-induced thrombocytopenia, unspecified": ProblemRow("D75.829", "H", None, 18, None, 0.1),
    "Unspecified age-related cataract": ProblemRow("H25.9", "H", None, 50, None, 1.0),
    "Presence of right artificial knee joint": ProblemRow("Z96.651", "H", None, 40, None, 0.6),
    "Nicotine dependence, cigarettes, uncomplicated": ProblemRow("F17.210", "H", None, 14, None, 1.5),
    "Obstructive sleep apnea (adult) (pediatric)": ProblemRow("G47.33", "H", None, 0, None, 1.2),
    "Myasthenia gravis without (acute) exacerbation": ProblemRow("G70.00", "H", None, 0, None, 0.1),
    "Nonrheumatic aortic (valve) stenosis": ProblemRow("I35.0", "H", None, 40, None, 0.4),
    "Personal history of peptic ulcer disease": ProblemRow("Z87.11", "H", None, 18, None, 0.6),
    "Gastroparesis": ProblemRow("K31.84", "H", None, 18, None, 0.2),
    "Hereditary optic atrophy": ProblemRow("H47.22", "H", None, 0, None, 0.05),
    "Neutropenia, unspecified": ProblemRow("D70.9", "H", None, 0, None, 0.2),
    "Orthostatic hypotension": ProblemRow("I95.1", "H", None, 18, None, 0.4),
    "Alcohol dependence, uncomplicated": ProblemRow("F10.20", "H", None, 18, None, 0.5),
    "Pre-excitation syndrome": ProblemRow("I45.6", "H", None, 0, None, 0.1),
    "Hypercalcemia": ProblemRow("E83.52", "H", None, 0, None, 0.1),
    "Personal history of malignant neoplasm of breast": ProblemRow("Z85.3", "H", None, 25, None, 0.4),
    "Leiomyoma of uterus, unspecified": ProblemRow("D25.9", "H", "female", 20, None, 1.0),
    "Polycystic ovarian syndrome": ProblemRow("E28.2", "H", "female", 14, None, 0.6),
    "Endometriosis of the uterus, unspecified": ProblemRow("N80.00", "H", "female", 15, None, 0.5),
    "Personal history of pre-term labor": ProblemRow("Z87.51", "H", "female", 15, None, 0.3),
    "Benign prostatic hyperplasia without lower urinary tract symptoms": ProblemRow("N40.0", "H", "male", 40, "bph", 1.0),
    "Male erectile dysfunction, unspecified": ProblemRow("N52.9", "H", "male", 18, None, 0.6),
    "Personal history of malignant neoplasm of prostate": ProblemRow("Z85.46", "H", "male", 45, None, 0.3),
    "Testicular hypofunction": ProblemRow("E29.1", "H", "male", 14, None, 0.3),
    "Hydrocele, unspecified": ProblemRow("N43.3", "H", "male", 0, None, 0.3),
    # --- drug allergy statuses (the Z88 family) -------------------------------------------------
    "Allergy to penicillin": ProblemRow("Z88.0", "H", None, 0, None, 3.0),
    "Allergy to cephalosporins": ProblemRow("Z88.1", "H", None, 0, None, 0.6),
    "Allergy to macrolides": ProblemRow("Z88.1", "H", None, 0, None, 0.4),
    "Allergy to tetracyclines": ProblemRow("Z88.1", "H", None, 0, None, 0.3),
    "Allergy to fluoroquinolones": ProblemRow("Z88.1", "H", None, 0, None, 0.4),
    "Allergy to carbapenems": ProblemRow("Z88.1", "H", None, 0, None, 0.1),
    "Allergy to clindamycin": ProblemRow("Z88.1", "H", None, 0, None, 0.2),
    "Allergy to sulfonamides": ProblemRow("Z88.2", "H", None, 0, None, 1.5),
    "Allergy to opioids": ProblemRow("Z88.5", "H", None, 0, None, 0.8),
    "Allergy to aspirin and other NSAIDs": ProblemRow("Z88.6", "H", None, 0, None, 0.8),
    "Allergy to acetaminophen": ProblemRow("Z88.6", "H", None, 0, None, 0.1),
    "Allergy to ACE inhibitors": ProblemRow("Z88.8", "H", None, 0, None, 0.4),
    "Allergy to angiotensin receptor blockers": ProblemRow("Z88.8", "H", None, 0, None, 0.1),
    "Allergy to beta blockers": ProblemRow("Z88.8", "H", None, 0, None, 0.1),
    "Allergy to calcium channel blockers": ProblemRow("Z88.8", "H", None, 0, None, 0.1),
    "Allergy to statins": ProblemRow("Z88.8", "H", None, 0, None, 0.3),
    "Allergy to heparin": ProblemRow("Z88.8", "H", None, 0, None, 0.1),
    "Allergy to factor Xa inhibitors": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to metformin": ProblemRow("Z88.8", "H", None, 0, None, 0.1),
    "Allergy to insulin": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to DPP-4 inhibitors": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to SGLT2 inhibitors": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to GLP-1 receptor agonists": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to levothyroxine": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to thionamides": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to iron preparations": ProblemRow("Z88.8", "H", None, 0, None, 0.1),
    "Allergy to cyanocobalamin": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to corticosteroids": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to albuterol": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to tiotropium": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to proton pump inhibitors": ProblemRow("Z88.8", "H", None, 0, None, 0.1),
    "Allergy to ondansetron": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to tamsulosin": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to estrogens": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to SSRIs": ProblemRow("Z88.8", "H", None, 0, None, 0.1),
    "Allergy to bisphosphonates": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to donepezil": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to triptans": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to allopurinol": ProblemRow("Z88.8", "H", None, 0, None, 0.1),
    "Allergy to vitamin D analogues": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to spironolactone": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to potassium binders": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
    "Allergy to clopidogrel": ProblemRow("Z88.8", "H", None, 0, None, 0.05),
}

# name: (doses, dose unit, routes, frequencies, {contraindicating problems}, lab rules, vital rules)
# A lab or vital rule (name, "<" or ">", threshold) contraindicates the drug when the stated value crosses it.
DRUGS: dict[str, DrugRow] = {
    "ceftriaxone": DrugRow((1000, 2000), "mg", ("intravenous",), ("once daily",),
                    {"Allergy to cephalosporins"}, (), ()),
    "azithromycin": DrugRow((500,), "mg", ("oral", "intravenous"), ("once daily",),
                     {"Allergy to macrolides", "Long QT syndrome"}, (), ()),
    "doxycycline": DrugRow((100,), "mg", ("oral",), ("twice daily",), {"Allergy to tetracyclines"}, (), ()),
    "levofloxacin": DrugRow((500, 750), "mg", ("oral", "intravenous"), ("once daily",),
                     {"Allergy to fluoroquinolones", "Myasthenia gravis without (acute) exacerbation",
                      "Long QT syndrome"}, (), ()),
    "ciprofloxacin": DrugRow((250, 500), "mg", ("oral",), ("twice daily",),
                      {"Allergy to fluoroquinolones", "Myasthenia gravis without (acute) exacerbation"}, (), ()),
    "piperacillin-tazobactam": DrugRow((3375, 4500), "mg", ("intravenous",), ("every 6 hours", "every 8 hours"),
                                {"Allergy to penicillin"}, (), ()),
    "meropenem": DrugRow((1000, 2000), "mg", ("intravenous",), ("every 8 hours",), {"Allergy to carbapenems"}, (), ()),
    "cefazolin": DrugRow((1000, 2000), "mg", ("intravenous",), ("every 8 hours",), {"Allergy to cephalosporins"}, (), ()),
    "cephalexin": DrugRow((500,), "mg", ("oral",), ("four times daily",), {"Allergy to cephalosporins"}, (), ()),
    "clindamycin": DrugRow((300, 450), "mg", ("oral",), ("three times daily",), {"Allergy to clindamycin"}, (), ()),
    "furosemide": DrugRow((20, 40, 80), "mg", ("oral", "intravenous"), ("once daily", "twice daily"),
                   {"Allergy to sulfonamides", "Hypokalemia"}, (("Potassium", "<", 3.0),), ()),
    "metoprolol succinate": DrugRow((25, 50, 100, 200), "mg", ("oral",), ("once daily",),
                             {"Allergy to beta blockers", "Atrioventricular block, second degree", "Sick sinus syndrome"},
                             (), (("heart_rate", "<", 50), ("systolic_bp", "<", 90))),
    "propranolol": DrugRow((10, 20, 40), "mg", ("oral",), ("twice daily", "three times daily"),
                    {"Allergy to beta blockers", "Mild intermittent asthma, uncomplicated",
                     "Chronic obstructive pulmonary disease, unspecified",
                     "Chronic obstructive pulmonary disease with (acute) exacerbation",
                     "Atrioventricular block, second degree", "Sick sinus syndrome"},
                    (), (("heart_rate", "<", 50),)),
    "lisinopril": DrugRow((5, 10, 20, 40), "mg", ("oral",), ("once daily",),
                   {"Allergy to ACE inhibitors", "Hyperkalemia"}, (("Potassium", ">", 5.5),), ()),
    "losartan": DrugRow((25, 50, 100), "mg", ("oral",), ("once daily",),
                 {"Allergy to angiotensin receptor blockers", "Hyperkalemia"}, (("Potassium", ">", 5.5),), ()),
    "amlodipine": DrugRow((2.5, 5, 10), "mg", ("oral",), ("once daily",),
                   {"Allergy to calcium channel blockers"}, (), (("systolic_bp", "<", 90),)),
    "hydrochlorothiazide": DrugRow((12.5, 25), "mg", ("oral",), ("once daily",),
                            {"Allergy to sulfonamides", "Gout, unspecified", "Hypokalemia"}, (), ()),
    "spironolactone": DrugRow((12.5, 25, 50), "mg", ("oral",), ("once daily",),
                       {"Allergy to spironolactone", "Hyperkalemia", "Chronic kidney disease, stage 4 (severe)",
                        "Primary adrenocortical insufficiency"},
                       (("Potassium", ">", 5.0), (EGFR, "<", 30)), ()),
    "dapagliflozin": DrugRow((10,), "mg", ("oral",), ("once daily",),
                      {"Allergy to SGLT2 inhibitors", "Type 1 diabetes mellitus with ketoacidosis without coma",
                       "Chronic kidney disease, stage 4 (severe)"}, ((EGFR, "<", 25),), ()),
    "diltiazem": DrugRow((120, 180, 240), "mg", ("oral",), ("once daily",),
                  {"Allergy to calcium channel blockers", "Atrioventricular block, second degree", "Sick sinus syndrome",
                   "Chronic systolic (congestive) heart failure",
                   "Acute on chronic systolic (congestive) heart failure"},
                  (), (("systolic_bp", "<", 90), ("heart_rate", "<", 50))),
    "apixaban": DrugRow((2.5, 5, 10), "mg", ("oral",), ("twice daily",),
                 {"Allergy to factor Xa inhibitors", "Gastrointestinal hemorrhage, unspecified",
                  "Presence of prosthetic heart valve"}, (), ()),
    "rivaroxaban": DrugRow((15, 20), "mg", ("oral",), ("once daily", "twice daily"),
                    {"Allergy to factor Xa inhibitors", "Gastrointestinal hemorrhage, unspecified",
                     "Presence of prosthetic heart valve"}, ((EGFR, "<", 15),), ()),
    "enoxaparin": DrugRow((60, 80, 100, 120), "mg", ("subcutaneous",), ("every 12 hours",),
                   {"Allergy to heparin", "Heparin-induced thrombocytopenia, unspecified",
                    "Gastrointestinal hemorrhage, unspecified"}, (), ()),
    "atorvastatin": DrugRow((10, 20, 40, 80), "mg", ("oral",), ("once daily",),
                     {"Allergy to statins", "Unspecified cirrhosis of liver"}, (), ()),
    "rosuvastatin": DrugRow((5, 10, 20, 40), "mg", ("oral",), ("once daily",),
                     {"Allergy to statins", "Unspecified cirrhosis of liver"}, (), ()),
    "aspirin": DrugRow((81,), "mg", ("oral",), ("once daily",),
                {"Allergy to aspirin and other NSAIDs", "Gastrointestinal hemorrhage, unspecified",
                 "Personal history of peptic ulcer disease"}, (), ()),
    "clopidogrel": DrugRow((75,), "mg", ("oral",), ("once daily",),
                    {"Allergy to clopidogrel", "Gastrointestinal hemorrhage, unspecified"}, (), ()),
    "metformin": DrugRow((500, 850, 1000), "mg", ("oral",), ("twice daily",),
                  {"Allergy to metformin", "Chronic kidney disease, stage 4 (severe)", "Unspecified cirrhosis of liver",
                   "Alcohol dependence, uncomplicated"}, ((EGFR, "<", 30),), ()),
    "insulin glargine": DrugRow((10, 14, 18, 24, 30), "units", ("subcutaneous",), ("once daily at bedtime",),
                         {"Allergy to insulin"}, (("Glucose", "<", 70), ("Glucose, fasting", "<", 70)), ()),
    "insulin regular": DrugRow((4, 6, 8, 10), "units/h", ("intravenous",), ("continuous infusion",),
                        {"Allergy to insulin", "Hypokalemia"}, (("Potassium", "<", 3.3),), ()),
    "linagliptin": DrugRow((5,), "mg", ("oral",), ("once daily",),
                    {"Allergy to DPP-4 inhibitors",
                     "Acute pancreatitis without necrosis or infection, unspecified"}, (), ()),
    "semaglutide": DrugRow((0.25, 0.5, 1, 2), "mg", ("subcutaneous",), ("once weekly",),
                    {"Allergy to GLP-1 receptor agonists", "Personal history of malignant neoplasm of thyroid",
                     "Multiple endocrine neoplasia [MEN] type IIA",
                     "Acute pancreatitis without necrosis or infection, unspecified"}, (), ()),
    "levothyroxine": DrugRow((25, 50, 75, 100, 125), "mcg", ("oral",), ("once daily",),
                      {"Allergy to levothyroxine", "Primary adrenocortical insufficiency",
                       "Thyrotoxicosis, unspecified without thyrotoxic crisis or storm"},
                      (("Thyrotropin (TSH)", "<", 0.1),), ()),
    "methimazole": DrugRow((5, 10, 20), "mg", ("oral",), ("once daily",),
                    {"Allergy to thionamides", "Neutropenia, unspecified"}, (("Leukocytes", "<", 1.0),), ()),
    "ferrous sulfate": DrugRow((325,), "mg", ("oral",), ("once daily", "every other day"),
                        {"Allergy to iron preparations", "Hereditary hemochromatosis"}, (("Ferritin", ">", 1000),), ()),
    "iron sucrose": DrugRow((100, 200), "mg", ("intravenous",), ("once daily",),
                     {"Allergy to iron preparations", "Hereditary hemochromatosis"}, (("Ferritin", ">", 1000),), ()),
    "cyanocobalamin": DrugRow((1000,), "mcg", ("intramuscular",), ("once weekly", "once monthly"),
                       {"Allergy to cyanocobalamin", "Hereditary optic atrophy"}, (), ()),
    "allopurinol": DrugRow((100, 200, 300), "mg", ("oral",), ("once daily",), {"Allergy to allopurinol"}, (), ()),
    "calcitriol": DrugRow((0.25, 0.5), "mcg", ("oral",), ("once daily",),
                   {"Allergy to vitamin D analogues", "Hypercalcemia"}, (), ()),
    "cholecalciferol": DrugRow((1000, 2000, 4000), "IU", ("oral",), ("once daily",),
                        {"Allergy to vitamin D analogues", "Hypercalcemia"}, (), ()),
    "potassium chloride": DrugRow((20, 40), "mEq", ("oral",), ("once daily", "twice daily"),
                           {"Hyperkalemia", "Gastroparesis"}, (("Potassium", ">", 5.0),), ()),
    "sodium zirconium cyclosilicate": DrugRow((5, 10), "g", ("oral",), ("once daily", "three times daily"),
                                       {"Allergy to potassium binders", "Hypokalemia"}, (("Potassium", "<", 3.5),), ()),
    "sertraline": DrugRow((50, 100, 150), "mg", ("oral",), ("once daily",), {"Allergy to SSRIs"}, (), ()),
    "escitalopram": DrugRow((5, 10, 20), "mg", ("oral",), ("once daily",), {"Allergy to SSRIs", "Long QT syndrome"}, (), ()),
    "acetaminophen": DrugRow((500, 650, 1000), "mg", ("oral",), ("every 6 hours as needed",),
                      {"Allergy to acetaminophen", "Unspecified cirrhosis of liver"}, (), ()),
    "naproxen": DrugRow((250, 375, 500), "mg", ("oral",), ("twice daily",),
                 {"Allergy to aspirin and other NSAIDs", "Gastrointestinal hemorrhage, unspecified",
                  "Personal history of peptic ulcer disease", "Chronic kidney disease, stage 3a",
                  "Chronic kidney disease, stage 3b", "Chronic kidney disease, stage 4 (severe)",
                  "Chronic systolic (congestive) heart failure",
                  "Acute on chronic systolic (congestive) heart failure"}, ((EGFR, "<", 30),), ()),
    "alendronate": DrugRow((70,), "mg", ("oral",), ("once weekly",),
                    {"Allergy to bisphosphonates", "Achalasia of cardia", "Chronic kidney disease, stage 3b",
                     "Chronic kidney disease, stage 4 (severe)"}, ((EGFR, "<", 35),), ()),
    "tamsulosin": DrugRow((0.4, 0.8), "mg", ("oral",), ("once daily",),
                   {"Allergy to tamsulosin", "Orthostatic hypotension"}, (), (("systolic_bp", "<", 90),)),
    "estradiol": DrugRow((0.5, 1, 2), "mg", ("oral",), ("once daily",),
                  {"Allergy to estrogens", "Personal history of malignant neoplasm of breast",
                   "Personal history of pulmonary embolism", "Personal history of other venous thrombosis and embolism",
                   "Other pulmonary embolism without acute cor pulmonale", "Unspecified cirrhosis of liver"}, (), ()),
    "albuterol": DrugRow((2.5,), "mg", ("inhaled",), ("every 4 hours as needed",), {"Allergy to albuterol"}, (), ()),
    "tiotropium": DrugRow((18,), "mcg", ("inhaled",), ("once daily",), {"Allergy to tiotropium"}, (), ()),
    "sumatriptan": DrugRow((50, 100), "mg", ("oral",), ("at migraine onset",),
                    {"Allergy to triptans", "Atherosclerotic heart disease of native coronary artery without angina pectoris",
                     "Essential (primary) hypertension", "Pre-excitation syndrome"}, (), ()),
    "donepezil": DrugRow((5, 10), "mg", ("oral",), ("once daily at bedtime",),
                  {"Allergy to donepezil", "Sick sinus syndrome"}, (), ()),
    "pantoprazole": DrugRow((40,), "mg", ("oral", "intravenous"), ("once daily", "twice daily"),
                     {"Allergy to proton pump inhibitors"}, (), ()),
    "ondansetron": DrugRow((4, 8), "mg", ("oral", "intravenous"), ("every 8 hours as needed",),
                    {"Allergy to ondansetron", "Long QT syndrome"}, (), ()),
    "hydromorphone": DrugRow((0.5, 1), "mg", ("intravenous",), ("every 3 hours as needed",), {"Allergy to opioids"}, (), ()),
    "morphine": DrugRow((2, 4), "mg", ("intravenous",), ("every 4 hours as needed",), {"Allergy to opioids"}, (), ()),
    "prednisone": DrugRow((40,), "mg", ("oral",), ("once daily",), {"Allergy to corticosteroids"}, (), ()),
    "methylprednisolone": DrugRow((40, 60), "mg", ("intravenous",), ("once daily", "every 12 hours"),
                           {"Allergy to corticosteroids"}, (), ()),
}

ROUTES = ("oral", "intravenous", "subcutaneous", "intramuscular", "inhaled", "topical", "rectal")

# Procedures a condition can call for come from PROBLEMS; these never fit any condition here.
UNRELATED_PROCEDURES = ("Lumbar puncture", "Cystoscopy", "Electroencephalogram", "Skin biopsy",
                        "Carpal tunnel release", "Cataract extraction")

# Services a medical admission is never under; the service rule's breaker draws from these.
UNRELATED_SERVICES = ("Orthopedic Surgery", "Obstetrics", "Psychiatry", "Ophthalmology", "Otolaryngology",
                      "Plastic Surgery")

# Symptoms that none of the conditions explain; the symptom rule's breaker may also use other conditions' symptoms.
UNRELATED_SYMPTOMS = ("hair loss", "tinnitus", "double vision", "hoarseness", "skin rash", "hearing loss",
                      "eye pain", "jaw pain", "nosebleeds", "loss of smell")

FACILITIES = (
    "St. Vincent Regional Medical Center", "Mercy General Hospital", "Riverside University Hospital",
    "Lakeview Community Hospital", "Northshore Medical Center", "Good Samaritan Hospital",
    "Valley Presbyterian Hospital", "Memorial Hermann Southwest", "Baystate Franklin Medical Center",
    "Providence Sacred Heart Medical Center", "Summit Health Regional Hospital", "Harbor View Medical Center",
)

FIRST_NAMES = {
    "female": ("Maria", "Linda", "Patricia", "Jennifer", "Elizabeth", "Susan", "Margaret", "Dorothy", "Aisha",
               "Grace", "Helen", "Sandra", "Nicole", "Rosa", "Mei", "Priya", "Fatima", "Olga", "Emily", "Carmen"),
    "male": ("James", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles", "Daniel",
             "Ahmed", "Luis", "Wei", "Rajesh", "Samuel", "George", "Kenneth", "Andre", "Ivan", "Tomas"),
}
LAST_NAMES = ("Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
              "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
              "Nguyen", "Patel", "Kim", "Okafor", "Schneider", "Kowalski", "O'Brien", "Haddad", "Chen", "Novak",
              "Ferreira")
PHYSICIAN_FIRST = ("Alan", "Beatriz", "Catherine", "Dmitri", "Elena", "Farid", "Hannah", "Isaac", "Julia", "Kwame",
                   "Laura", "Marcus", "Naomi", "Owen", "Rachel", "Sanjay", "Teresa", "Victor", "Yuki", "Zoe")
