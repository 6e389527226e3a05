"""NIK (Nomor Induk Kependudukan) rules, vectorised over pandas Series.

Layout of the 16 digits: PP KK CC (province, kabupaten/kota, kecamatan of first issue),
DD MM YY (birth date; women add 40 to the day), SSSS (serial). Every check here takes
normalised strings and answers True for values it does not own (wrong length, missing):
the format rule reports those, so each row gets exactly the reasons that apply to it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ektp.reference import code_lists

NIT_PREFIX = "99"  # Nomor Identitas Tunggal, citizens abroad (PP 40/2019 art. 32)
_STRIP = re.compile(r"[\s.\-]+")
_DIGITS16 = r"[0-9]{16}"
# 1-based month -> longest month length over any year (February: 29, valid when YY % 4 == 0)
_MONTH_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def normalise(values: pd.Series) -> pd.Series:
    """Strip surrounding whitespace and drop inner whitespace, dots and dashes (contract §2.2)."""
    return values.astype("string").str.replace(_STRIP, "", regex=True)


def normalise_one(value: str) -> str:
    return _STRIP.sub("", value)


def is_well_formed(niks: pd.Series) -> pd.Series:
    """Exactly 16 ASCII digits (``str.isdigit`` would also accept other scripts' digits)."""
    return niks.astype("string").str.fullmatch(_DIGITS16).fillna(False).astype(bool)


def _digits(niks: pd.Series) -> tuple[pd.Series, pd.Series]:
    s = niks.astype("string")
    ok = is_well_formed(s)
    return s.where(ok, "0" * 16), ok


def is_nit(niks: pd.Series) -> pd.Series:
    s, ok = _digits(niks)
    return ok & s.str.startswith(NIT_PREFIX).astype(bool)


def has_valid_region(niks: pd.Series) -> pd.Series:
    """Province and kabupaten/kota in some code list, and kecamatan digits not ``00``; NITs pass."""
    s, ok = _digits(niks)
    lists = code_lists()
    valid = (
        s.str[:2].isin(lists.provinces)
        & s.str[:4].isin(lists.regencies)
        & (s.str[4:6] != "00")
    )
    return (~ok | s.str.startswith(NIT_PREFIX) | valid).astype(bool)


def has_listed_prefix(niks: pd.Series) -> pd.Series:
    """Digits 1-6 are a kecamatan in some code list (a warning only when not)."""
    s, ok = _digits(niks)
    return (~ok | s.str[:6].isin(code_lists().districts)).astype(bool)


def birth_parts(niks: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(day as written, month, two-digit year) as integer arrays; zeros where not 16 digits."""
    s, _ = _digits(niks)
    day = s.str[6:8].astype(int).to_numpy()
    month = s.str[8:10].astype(int).to_numpy()
    year = s.str[10:12].astype(int).to_numpy()
    return day, month, year


def has_valid_birth_date(niks: pd.Series) -> pd.Series:
    """Day 01-31 or 41-71, month 01-12, and a real date in 19YY or 20YY."""
    _, ok = _digits(niks)
    day, month, year = birth_parts(niks)
    real_day = day % 40
    day_ok = ((day >= 1) & (day <= 31)) | ((day >= 41) & (day <= 71))
    month_ok = (month >= 1) & (month <= 12)
    longest = _MONTH_DAYS[np.clip(month, 0, 12)]
    # 29 February exists in 19YY or 20YY exactly when YY % 4 == 0 (2000 is a leap year, 1900 is not).
    fits = (real_day <= longest) & ~((month == 2) & (real_day == 29) & (year % 4 != 0))
    return pd.Series(~ok.to_numpy() | (day_ok & month_ok & fits), index=niks.index)


def has_valid_serial(niks: pd.Series) -> pd.Series:
    s, ok = _digits(niks)
    return (~ok | (s.str[12:16] != "0000")).astype(bool)


def encoded_sex(niks: pd.Series) -> pd.Series:
    """``P`` when the day has 40 added, else ``L``; missing where the NIK is not 16 digits."""
    _, ok = _digits(niks)
    day, _, _ = birth_parts(niks)
    sex = pd.Series(np.where(day > 40, "P", "L"), index=niks.index, dtype="string")
    return sex.where(ok.to_numpy())


def encoded_birth_ddmmyy(niks: pd.Series) -> pd.Series:
    """``DDMMYY`` with the day's +40 removed, to compare with a birth date."""
    s, ok = _digits(niks)
    day, _, _ = birth_parts(niks)
    out = pd.Series(day % 40, index=niks.index).astype("string").str.zfill(2) + s.str[8:12]
    return out.where(ok.to_numpy())
