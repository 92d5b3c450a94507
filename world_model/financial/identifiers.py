"""Identifier arithmetic (ISO 6166 ISIN, ISO 17442 LEI, ISO 13616 IBAN, national BBAN checks), kept apart so checks and samplers agree."""

from __future__ import annotations

import random
import re
import string
from functools import lru_cache
from operator import mul
from typing import Callable

from world_model.financial.tables import BANKS, COUNTRIES, Bank


def pick(rng: random.Random, options: tuple[str, ...]) -> str:
    """One uniform draw from a sequence in a single random() call."""
    return options[int(rng.random() * len(options))]


_LETTER_VALUES = str.maketrans({c: str(i) for i, c in enumerate(string.ascii_uppercase, start=10)})
# Each digit to the digit sum of its double (Luhn), as a one-character translation table.
_DOUBLED = str.maketrans({str(d): str((2 * d) // 10 + (2 * d) % 10) for d in range(10)})
_WKN_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_SEDOL_CHARS = "0123456789BCDFGHJKLMNPQRSTVWXYZ"
LEI_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_IT_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)
_IT_EVEN_VALUE = {**{str(d): d for d in range(10)}, **{c: i for i, c in enumerate(string.ascii_uppercase)}}
_IT_ODD_VALUE = {c: _IT_ODD[v] for c, v in _IT_EVEN_VALUE.items()}


def _is_code(s: str) -> bool:
    """Upper-case ASCII letters and digits only, so the check-digit arithmetic cannot fail."""
    return s.isascii() and s.isalnum() and s == s.upper()


def _luhn_digit(digits: str) -> str:
    """Luhn check digit of a digit string; digit sums via bytes, so the loop runs in C."""
    doubled, kept = digits[::-2].translate(_DOUBLED), digits[-2::-2]
    return str((48 * len(digits) - sum(doubled.encode()) - sum(kept.encode())) % 10)


def _mod97(s: str) -> int:
    return int(s.translate(_LETTER_VALUES)) % 97


def isin_check_digit(body: str) -> str:
    """Luhn check digit over the 11 leading characters, letters expanded to two digits (ISO 6166)."""
    return _luhn_digit(body.translate(_LETTER_VALUES))


def isin_is_valid(isin: str) -> bool:
    return (len(isin) == 12 and isin.isascii() and isin.isalnum() and isin.isupper() and isin[:2].isalpha()
            and isin[11] == isin_check_digit(isin[:11]))


def lei_check_digits(body: str) -> str:
    """ISO 17442 check digits: the 20 characters read as a number are 1 modulo 97."""
    return f"{98 - _mod97(body + '00'):02d}"


def lei_is_valid(lei: str) -> bool:
    return len(lei) == 20 and _is_code(lei) and lei[18:].isdigit() and _mod97(lei) == 1


def iban_check_digits(country: str, bban: str) -> str:
    return f"{98 - _mod97(bban + country + '00'):02d}"


def iban_checksum_ok(iban: str) -> bool:
    """ISO 13616 mod-97 over BBAN + country + check digits; 00, 01 and 99 are never issued."""
    return (len(iban) > 4 and _is_code(iban) and iban[2:4].isdigit() and iban[2:4] not in ("00", "01", "99")
            and _mod97(iban[4:] + iban[:4]) == 1)


_POW10 = tuple(10**n for n in range(16))


def random_digits(rng: random.Random, n: int) -> str:
    """n random digits (n <= 15, within a double's exact integers)."""
    return str(int(rng.random() * _POW10[n])).zfill(n)


def random_chars(rng: random.Random, alphabet: str, n: int) -> str:
    """n characters drawn uniformly from an alphabet."""
    r, k = rng.random, len(alphabet)
    return "".join([alphabet[int(r() * k)] for _ in range(n)])


def _de_method00(body: str) -> str:
    """Bundesbank check method 00: weights 2,1 from the right, digit sums, 10-complement."""
    return _luhn_digit(body)


def _fr_rib_key(bank: str, branch: str, account: str) -> str:
    """Clé RIB: 97 minus (89 bank + 15 branch + 3 account) mod 97."""
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def _es_keys(bank_branch: str, account: str) -> str:
    """Spanish CCC control digits (mod 11 with weights 1,2,4,8,5,10,9,7,3,6)."""
    weights = (1, 2, 4, 8, 5, 10, 9, 7, 3, 6)

    def one(value: str, w: tuple[int, ...]) -> str:
        d = 11 - sum(map(mul, map(int, value), w)) % 11
        return str({11: 0, 10: 1}.get(d, d))

    return one(bank_branch, weights[2:]) + one(account, weights)


def _it_cin(value: str) -> str:
    """Italian CIN letter over ABI + CAB + account: odd positions through the official table."""
    total = sum(map(_IT_ODD_VALUE.__getitem__, value[0::2])) + sum(map(_IT_EVEN_VALUE.__getitem__, value[1::2]))
    return string.ascii_uppercase[total % 26]


def _bban_de(rng: random.Random, bank: Bank) -> str:
    body = random_digits(rng, 9)
    return bank.code + body + _de_method00(body)


def _bban_fr(rng: random.Random, bank: Bank) -> str:
    branch, account = random_digits(rng, 5), random_digits(rng, 11)
    return bank.code + branch + account + _fr_rib_key(bank.code, branch, account)


def _bban_gb(rng: random.Random, bank: Bank) -> str:
    return bank.code + bank.branch_prefix + random_digits(rng, 4) + random_digits(rng, 8)


def _bban_nl(rng: random.Random, bank: Bank) -> str:
    return bank.code + random_digits(rng, 10)


def _bban_es(rng: random.Random, bank: Bank) -> str:
    branch, account = random_digits(rng, 4), random_digits(rng, 10)
    return bank.code + branch + _es_keys(bank.code + branch, account) + account


def _bban_it(rng: random.Random, bank: Bank) -> str:
    rest = bank.code + random_digits(rng, 5) + random_digits(rng, 12)
    return _it_cin(rest) + rest


BBAN_BUILDERS: dict[str, Callable[[random.Random, Bank], str]] = {
    "DE": _bban_de, "FR": _bban_fr, "GB": _bban_gb, "NL": _bban_nl, "ES": _bban_es, "IT": _bban_it,
}


def _national_ok_de(bban: str) -> bool:
    return _de_method00(bban[8:17]) == bban[17]


def _national_ok_fr(bban: str) -> bool:
    return bban[5:21].isdigit() and _fr_rib_key(bban[:5], bban[5:10], bban[10:21]) == bban[21:]


def _national_ok_es(bban: str) -> bool:
    return _es_keys(bban[:8], bban[10:]) == bban[8:10]


def _national_ok_it(bban: str) -> bool:
    return _it_cin(bban[1:]) == bban[0]


NATIONAL_CHECKS: dict[str, Callable[[str], bool]] = {
    "DE": _national_ok_de, "FR": _national_ok_fr, "ES": _national_ok_es, "IT": _national_ok_it,
}
_CLASS_PATTERNS = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}
# Per country: the whole IBAN's registered layout as one compiled pattern, built from the table.
_IBAN_PATTERNS: dict[str, re.Pattern[str]] = {
    cc: re.compile(cc + "[0-9]{2}" + "".join(f"{_CLASS_PATTERNS[part.chars]}{{{part.length}}}" for part in spec.bban))
    for cc, spec in COUNTRIES.items()
}
_BIC_BY_BANK: dict[tuple[str, str], str] = {(cc, b.code): b.bic for cc, banks in BANKS.items() for b in banks}
_BANK_CODE_END: dict[str, int] = {"DE": 12, "FR": 9, "GB": 8, "NL": 8, "ES": 8, "IT": 10}
_BANK_CODE_START: dict[str, int] = {"IT": 5}


def iban_format_problem(iban: str) -> str | None:
    """Why an IBAN breaks its country's registered layout or national check digits, else None."""
    cc = iban[:2]
    pattern = _IBAN_PATTERNS.get(cc)
    if pattern is None:
        return f"IBAN {iban}: country {cc!r} is not a supported IBAN country"
    length = COUNTRIES[cc].iban_length
    if len(iban) != length:
        return f"IBAN {iban}: {cc} IBANs have {length} characters, not {len(iban)}"
    if pattern.fullmatch(iban) is None:
        return f"IBAN {iban}: BBAN does not follow the {cc} structure"
    national = NATIONAL_CHECKS.get(cc)
    if national is not None and not national(iban[4:]):
        return f"IBAN {iban}: national check digits of the {cc} BBAN are wrong"
    return None


@lru_cache(maxsize=8192)
def iban_report(iban: str) -> tuple[bool, str | None, str | None]:
    """(mod-97 ok, layout problem, BIC of its bank): three rules read one IBAN, so work it out once."""
    return iban_checksum_ok(iban), iban_format_problem(iban), iban_bank_bic(iban)


def make_iban(rng: random.Random, country: str, bank: Bank) -> str:
    bban = BBAN_BUILDERS[country](rng, bank)
    return country + iban_check_digits(country, bban) + bban


def iban_bank_bic(iban: str) -> str | None:
    """The BIC of the bank an IBAN's bank code names, from the bank table."""
    cc = iban[:2]
    return _BIC_BY_BANK.get((cc, iban[_BANK_CODE_START.get(cc, 4) : _BANK_CODE_END.get(cc, 8)]))


def _isin_nsin_de(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "000A" + random_chars(rng, _WKN_CHARS, 5)
    return "000" + random_digits(rng, 6)


def _isin_nsin_gb(rng: random.Random) -> str:
    body = "B" + random_chars(rng, _SEDOL_CHARS, 5)
    weights = (1, 3, 1, 7, 3, 9)
    total = sum(int(c, 36) * w for c, w in zip(body, weights))
    return "00" + body + str(-total % 10)


def _isin_nsin_es(rng: random.Random) -> str:
    return "01" + random_digits(rng, 5) + random_chars(rng, _WKN_CHARS, 1) + random_digits(rng, 1)


NSIN_BUILDERS: dict[str, Callable[[random.Random], str]] = {
    "DE": _isin_nsin_de,
    "FR": lambda rng: pick(rng, ("0000", "0010", "0013")) + random_digits(rng, 5),
    "GB": _isin_nsin_gb,
    "NL": lambda rng: pick(rng, ("0000", "0010", "0015")) + random_digits(rng, 5),
    "ES": _isin_nsin_es,
    "IT": lambda rng: pick(rng, ("000", "000", "004")) + random_digits(rng, 6),
}
