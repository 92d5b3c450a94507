"""Knowledge tables of the financial domain: jurisdictions, banks, sectors, reporting rules (plain data)."""

from __future__ import annotations

from typing import NamedTuple


class BbanPart(NamedTuple):
    """One component of a country's BBAN layout: its name, length and character class."""

    name: str
    length: int
    chars: str  # n digits, a letters, c alphanumeric


class Country(NamedTuple):
    """A jurisdiction's facts the graph looks up."""

    currency: str
    weight: int  # how often it is sampled
    lou: str  # LEI issuer prefix: a local LOU's first six characters
    iban_length: int
    bban: tuple[BbanPart, ...]  # the IBAN's BBAN layout, in order


# Jurisdictions by ISO 3166 code.
COUNTRIES: dict[str, Country] = {
    "DE": Country(currency="EUR", weight=25, lou="529900", iban_length=22,
                  bban=(BbanPart("bank", 8, "n"), BbanPart("account", 10, "n"))),
    "FR": Country(currency="EUR", weight=20, lou="969500", iban_length=27,
                  bban=(BbanPart("bank", 5, "n"), BbanPart("branch", 5, "n"), BbanPart("account", 11, "c"),
                        BbanPart("key", 2, "n"))),
    "GB": Country(currency="GBP", weight=20, lou="213800", iban_length=22,
                  bban=(BbanPart("bank", 4, "a"), BbanPart("branch", 6, "n"), BbanPart("account", 8, "n"))),
    "NL": Country(currency="EUR", weight=10, lou="724500", iban_length=18,
                  bban=(BbanPart("bank", 4, "a"), BbanPart("account", 10, "n"))),
    "ES": Country(currency="EUR", weight=12, lou="959800", iban_length=24,
                  bban=(BbanPart("bank", 4, "n"), BbanPart("branch", 4, "n"), BbanPart("key", 2, "n"),
                        BbanPart("account", 10, "n"))),
    "IT": Country(currency="EUR", weight=13, lou="815600", iban_length=27,
                  bban=(BbanPart("key", 1, "a"), BbanPart("bank", 5, "n"), BbanPart("branch", 5, "n"),
                        BbanPart("account", 12, "c"))),
}
EURO_COUNTRIES: tuple[str, ...] = ("DE", "FR", "NL", "ES", "IT")


class Bank(NamedTuple):
    """A real bank: its code as it appears in the IBAN, its BIC, and the branch prefix of GB sort codes."""

    code: str
    bic: str
    branch_prefix: str


# Real banks per country. German banks here all use Bundesbank check-digit method 00 for their account numbers.
BANKS: dict[str, tuple[Bank, ...]] = {
    "DE": (Bank("20050550", "HASPDEHHXXX", ""), Bank("37050198", "COLSDE33XXX", ""), Bank("70150000", "SSKMDEMMXXX", ""),
           Bank("29050101", "SBREDE22XXX", ""), Bank("30050110", "DUSSDEDDXXX", "")),
    "FR": (Bank("30004", "BNPAFRPPXXX", ""), Bank("30003", "SOGEFRPPXXX", ""), Bank("30002", "CRLYFRPPXXX", ""),
           Bank("30066", "CMCIFRPPXXX", "")),
    "GB": (Bank("NWBK", "NWBKGB2LXXX", "60"), Bank("BARC", "BARCGB22XXX", "20"), Bank("MIDL", "MIDLGB22XXX", "40"),
           Bank("LOYD", "LOYDGB21XXX", "30")),
    "NL": (Bank("ABNA", "ABNANL2AXXX", ""), Bank("INGB", "INGBNL2AXXX", ""), Bank("RABO", "RABONL2UXXX", ""),
           Bank("TRIO", "TRIONL2UXXX", "")),
    "ES": (Bank("2100", "CAIXESBBXXX", ""), Bank("0049", "BSCHESMMXXX", ""), Bank("0182", "BBVAESMMXXX", ""),
           Bank("0081", "BSABESBBXXX", ""), Bank("0128", "BKBKESMMXXX", "")),
    "IT": (Bank("03069", "BCITITMMXXX", ""), Bank("02008", "UNCRITMMXXX", ""), Bank("05034", "BAPPIT21XXX", ""),
           Bank("01030", "PASCITMMXXX", "")),
}

# Combined statutory corporate income tax rate in hundredths of a percent, by country and year of period end.
TAX_RATE_BP: dict[str, dict[int, int]] = {
    "DE": {y: 2983 for y in range(2019, 2026)},
    "FR": {2019: 3443, 2020: 3202, 2021: 2841, 2022: 2583, 2023: 2583, 2024: 2583, 2025: 2583},
    "GB": {2019: 1900, 2020: 1900, 2021: 1900, 2022: 1900, 2023: 2352, 2024: 2500, 2025: 2500},
    "NL": {2019: 2500, 2020: 2500, 2021: 2500, 2022: 2580, 2023: 2580, 2024: 2580, 2025: 2580},
    "ES": {y: 2500 for y in range(2019, 2026)},
    "IT": {y: 2790 for y in range(2019, 2026)},
}
PERIOD_END_YEARS: tuple[int, ...] = tuple(range(2019, 2026))

# Cash transactions at or above this amount (local currency, whole units) are reported to the FIU.
CASH_REPORT_THRESHOLD: dict[str, int] = {"DE": 10_000, "FR": 10_000, "GB": 10_000, "NL": 10_000, "ES": 10_000, "IT": 10_000}

# Internal control: outgoing payments at or above the limit need a second approver; limit scales with size.
APPROVAL_LIMITS: tuple[int, ...] = (25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000)


class ReportSchedule(NamedTuple):
    """A periodic report: the months it covers and the months after period end by which it must be filed."""

    months: int
    filing_months: int


class YearEnds(NamedTuple):
    """Fiscal year-end months and how often each is drawn."""

    months: tuple[int, ...]
    weights: tuple[int, ...]


# Report kinds and their filing deadlines (EU Transparency Directive / UK DTR 4).
REPORT_KINDS: dict[str, ReportSchedule] = {
    "Annual Financial Report": ReportSchedule(12, 4),
    "Half-Yearly Financial Report": ReportSchedule(6, 3),
}
REPORT_KIND_WEIGHTS: tuple[int, ...] = (65, 35)
# Fiscal year-end months per country (UK groups often close in March).
YEAR_END_MONTHS: dict[str, YearEnds] = {
    "GB": YearEnds((12, 3, 6, 9), (50, 30, 12, 8)),
}
DEFAULT_YEAR_END_MONTHS = YearEnds((12, 3, 6, 9), (75, 8, 10, 7))

# Payment methods by currency; the cash method is the one the cash-reporting rule watches.
CASH_METHOD = "cash deposit at branch"
TRANSFER_METHODS: dict[str, tuple[str, ...]] = {
    "EUR": ("SEPA credit transfer", "SEPA instant credit transfer", "T2 (TARGET) payment"),
    "GBP": ("Faster Payments transfer", "CHAPS payment", "Bacs Direct Credit"),
}


class Sector(NamedTuple):
    """A sector profile (annual, listed mid-caps): the (low, high) range each ratio is drawn from."""

    revenue_m: tuple[float, float]  # revenue, millions
    gross_margin: tuple[float, float]
    opex: tuple[float, float]  # operating expenses / revenue
    dso: tuple[float, float]  # days sales outstanding
    dio: tuple[float, float]  # days inventory outstanding
    nca: tuple[float, float]  # non-current assets / revenue
    cash: tuple[float, float]  # cash / revenue
    capex: tuple[float, float]  # capital expenditure / revenue


SECTORS: dict[str, Sector] = {
    "Industrial machinery": Sector(
        revenue_m=(80, 950), gross_margin=(0.24, 0.38), opex=(0.12, 0.22), dso=(55, 85),
        dio=(70, 130), nca=(0.35, 0.8), cash=(0.04, 0.14), capex=(0.03, 0.06)),
    "Software and IT services": Sector(
        revenue_m=(30, 950), gross_margin=(0.6, 0.85), opex=(0.38, 0.62), dso=(45, 75),
        dio=(0, 4), nca=(0.3, 0.9), cash=(0.1, 0.35), capex=(0.02, 0.05)),
    "Food retail": Sector(
        revenue_m=(250, 950), gross_margin=(0.22, 0.3), opex=(0.17, 0.25), dso=(3, 10),
        dio=(18, 40), nca=(0.3, 0.6), cash=(0.03, 0.08), capex=(0.02, 0.04)),
    "Pharmaceuticals": Sector(
        revenue_m=(100, 950), gross_margin=(0.55, 0.78), opex=(0.3, 0.5), dso=(60, 95),
        dio=(100, 190), nca=(0.8, 1.5), cash=(0.08, 0.25), capex=(0.04, 0.08)),
    "Electric utilities": Sector(
        revenue_m=(150, 600), gross_margin=(0.3, 0.45), opex=(0.1, 0.2), dso=(40, 60),
        dio=(8, 25), nca=(1.5, 3.0), cash=(0.03, 0.1), capex=(0.1, 0.2)),
    "Logistics": Sector(
        revenue_m=(60, 950), gross_margin=(0.1, 0.2), opex=(0.04, 0.1), dso=(40, 65),
        dio=(2, 10), nca=(0.3, 0.7), cash=(0.04, 0.1), capex=(0.03, 0.07)),
    "Construction": Sector(
        revenue_m=(100, 950), gross_margin=(0.08, 0.16), opex=(0.03, 0.08), dso=(60, 95),
        dio=(20, 45), nca=(0.15, 0.4), cash=(0.06, 0.15), capex=(0.01, 0.03)),
    "Consumer goods": Sector(
        revenue_m=(50, 950), gross_margin=(0.4, 0.56), opex=(0.26, 0.4), dso=(30, 60),
        dio=(60, 110), nca=(0.4, 0.8), cash=(0.05, 0.15), capex=(0.03, 0.05)),
}

# Long-term debt interest rates (annual) and balance-sheet structure ranges shared by all sectors.
INTEREST_RATE = (0.025, 0.065)
EQUITY_RATIO = (0.28, 0.55)
SHARE_CAPITAL_SHARE = (0.05, 0.35)
CURRENT_RATIO = (0.9, 2.2)
DIVIDEND_PAYOUT = (0.0, 0.6)

CITIES: dict[str, tuple[str, ...]] = {
    "DE": ("Frankfurt am Main", "Munich", "Hamburg", "Stuttgart", "Düsseldorf", "Berlin", "Cologne", "Hanover"),
    "FR": ("Paris", "Lyon", "Toulouse", "Courbevoie", "Marseille", "Nantes", "Lille", "Bordeaux"),
    "GB": ("London", "Manchester", "Edinburgh", "Birmingham", "Leeds", "Bristol", "Glasgow", "Reading"),
    "NL": ("Amsterdam", "Rotterdam", "Eindhoven", "Utrecht", "The Hague", "Groningen"),
    "ES": ("Madrid", "Barcelona", "Bilbao", "Valencia", "Seville", "Zaragoza"),
    "IT": ("Milan", "Rome", "Turin", "Bologna", "Verona", "Florence", "Genoa"),
}

NAME_STEMS: dict[str, tuple[str, ...]] = {
    "DE": ("Rheinwerk", "Nordstern", "Alpenland", "Hanseatische", "Weserland", "Isartal", "Elbtal", "Brandt",
           "Hartmann", "Falkenberg", "Lindner", "Vogelsang", "Steinbach", "Kronberg"),
    "FR": ("Valmont", "Lumière", "Beaulieu", "Dufresne", "Arcadie", "Séquana", "Méridia", "Rocheval",
           "Lemaire", "Garonne", "Vauban", "Castelnau"),
    "GB": ("Thamesgate", "Pennine", "Caledonian", "Ashworth", "Whitmore", "Hawthorne", "Kestrel", "Sterling",
           "Albion", "Greystone", "Marlowe", "Redbridge"),
    "NL": ("Van Dijk", "Oranje", "Zuiderzee", "De Vries", "Noordhoek", "Hollandia", "Van Leeuwen", "Rijnmond",
           "Amstelland", "Kempen"),
    "ES": ("Ibérica", "Cantábrico", "Alhambra", "Montserrat", "Levante", "Navarra", "Guadalquivir", "Castellana",
           "Mediterránea", "Duero"),
    "IT": ("Ferrante", "Aurora", "Adriatica", "Lombarda", "Dolomiti", "Bellini", "Marconi", "Tirrena",
           "Vesuvio", "Sforza"),
}

SECTOR_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "Industrial machinery": {"DE": ("Maschinenbau", "Antriebstechnik"), "FR": ("Industries", "Mécanique"),
                             "GB": ("Engineering", "Industrial"), "NL": ("Machinefabriek", "Techniek"),
                             "ES": ("Maquinaria", "Industrial"), "IT": ("Meccanica", "Macchine")},
    "Software and IT services": {"DE": ("Software", "Digital"), "FR": ("Informatique", "Systèmes"),
                                 "GB": ("Software", "Digital"), "NL": ("Software", "Digital"),
                                 "ES": ("Sistemas", "Tecnologías"), "IT": ("Informatica", "Sistemi")},
    "Food retail": {"DE": ("Handel", "Lebensmittel"), "FR": ("Distribution", "Alimentation"),
                    "GB": ("Retail", "Stores"), "NL": ("Retail", "Supermarkten"),
                    "ES": ("Distribución", "Alimentación"), "IT": ("Distribuzione", "Alimentari")},
    "Pharmaceuticals": {"DE": ("Pharma", "Biotech"), "FR": ("Pharma", "Laboratoires"),
                        "GB": ("Pharmaceuticals", "Therapeutics"), "NL": ("Pharma", "Biosciences"),
                        "ES": ("Farma", "Laboratorios"), "IT": ("Farmaceutici", "Pharma")},
    "Electric utilities": {"DE": ("Energie", "Stadtwerke"), "FR": ("Énergie", "Électricité"),
                           "GB": ("Energy", "Power"), "NL": ("Energie", "Netbeheer"),
                           "ES": ("Energía", "Eléctrica"), "IT": ("Energia", "Elettrica")},
    "Logistics": {"DE": ("Logistik", "Spedition"), "FR": ("Logistique", "Transports"),
                  "GB": ("Logistics", "Freight"), "NL": ("Logistiek", "Transport"),
                  "ES": ("Logística", "Transportes"), "IT": ("Logistica", "Trasporti")},
    "Construction": {"DE": ("Bau", "Immobilien"), "FR": ("Construction", "Bâtiment"),
                     "GB": ("Construction", "Building"), "NL": ("Bouw", "Infra"),
                     "ES": ("Construcciones", "Infraestructuras"), "IT": ("Costruzioni", "Edilizia")},
    "Consumer goods": {"DE": ("Konsumgüter", "Markenartikel"), "FR": ("Consommation", "Maison"),
                       "GB": ("Brands", "Consumer"), "NL": ("Consumentengoederen", "Brands"),
                       "ES": ("Consumo", "Marcas"), "IT": ("Consumo", "Marchi")},
}

# Legal forms: listed issuers (who have an ISIN) and private counterparties.
LISTED_FORMS: dict[str, tuple[str, ...]] = {
    "DE": ("AG", "SE"), "FR": ("SA", "SE"), "GB": ("plc",), "NL": ("N.V.",), "ES": ("S.A.",), "IT": ("S.p.A.",),
}
PRIVATE_FORMS: dict[str, tuple[str, ...]] = {
    "DE": ("GmbH", "GmbH & Co. KG"), "FR": ("SAS", "SARL"), "GB": ("Ltd",), "NL": ("B.V.",), "ES": ("S.L.",),
    "IT": ("S.r.l.",),
}
COUNTERPARTY_WORDS: tuple[str, ...] = (
    "Components", "Trading", "Services", "Supplies", "Solutions", "Packaging", "Facility Services", "Consulting",
    "Metals", "Plastics", "Electronics", "Industrial Supplies", "Freight", "Chemicals",
)

# Statutory auditors registered in each jurisdiction (the audit must be signed by a locally approved firm).
AUDITORS: dict[str, tuple[str, ...]] = {
    "DE": ("KPMG AG Wirtschaftsprüfungsgesellschaft", "PricewaterhouseCoopers GmbH WPG",
           "Ernst & Young GmbH WPG", "Deloitte GmbH Wirtschaftsprüfungsgesellschaft", "BDO AG WPG"),
    "FR": ("KPMG S.A.", "PricewaterhouseCoopers Audit", "Ernst & Young et Autres", "Deloitte & Associés",
           "Forvis Mazars SA"),
    "GB": ("KPMG LLP", "PricewaterhouseCoopers LLP", "Ernst & Young LLP", "Deloitte LLP", "BDO LLP"),
    "NL": ("KPMG Accountants N.V.", "PricewaterhouseCoopers Accountants N.V.", "EY Accountants B.V.",
           "Deloitte Accountants B.V.", "BDO Audit & Assurance B.V."),
    "ES": ("KPMG Auditores, S.L.", "PricewaterhouseCoopers Auditores, S.L.", "Ernst & Young, S.L.",
           "Deloitte Auditores, S.L.", "BDO Auditores S.L.P."),
    "IT": ("KPMG S.p.A.", "PricewaterhouseCoopers S.p.A.", "EY S.p.A.", "Deloitte & Touche S.p.A.",
           "BDO Italia S.p.A."),
}

MONTH_ABBREVIATIONS: tuple[str, ...] = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)
