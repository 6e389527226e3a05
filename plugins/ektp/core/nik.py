"""NIK (Nomor Induk Kependudukan) rules, vectorised over pandas Series.

Layout of the 16 digits: PP KK CC (province, kabupaten/kota, kecamatan of first issue),
DD MM YY (birth date; women add 40 to the day), SSSS (serial). Every check here takes
normalised strings and answers True for values it does not own (wrong length, missing):
the format rule reports those, so each row gets exactly the reasons that apply to it.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ektp.core.regions import code_lists

NIT_PREFIX = "99"  # Nomor Identitas Tunggal, citizens abroad (PP 40/2019 art. 32)
_STRIP = re.compile(r"[\s.\-]+")
_DIGITS16 = r"[0-9]{16}"
# 1-based month -> longest month length over any year (February: 29, valid when YY % 4 == 0)
_MONTH_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def normalise(values: pd.Series) -> pd.Series:
    """Strip surrounding whitespace and drop inner whitespace, dots and dashes (contract §2.2).

    Values that already are 16 ASCII digits (nearly all) have nothing to drop; the Unicode-aware
    regular expression (Python's, element by element) runs on the others only.
    """
    s = values.astype("string")
    clean = s.str.fullmatch(_DIGITS16).fillna(True).to_numpy(dtype=bool)
    if clean.all():
        return s
    out = s.copy()
    out[~clean] = s[~clean].str.replace(_STRIP, "", regex=True)
    return out


def is_well_formed(niks: pd.Series) -> pd.Series:
    """Exactly 16 ASCII digits (``str.isdigit`` would also accept other scripts' digits).

    16 bytes that are all ASCII decimal digits: the same as ``fullmatch("[0-9]{16}")``, three times faster
    (every NIK rule asks this first, several times a chunk).
    """
    s = niks.astype("string")
    arr = pa.array(s.array) if len(s) else pa.array([], pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    ok = pc.and_(pc.equal(pc.binary_length(arr), 16), pc.ascii_is_decimal(arr)).fill_null(False)
    return pd.Series(ok.to_numpy(zero_copy_only=False), index=niks.index, dtype=bool)


def _digits(niks: pd.Series) -> tuple[pd.Series, pd.Series]:
    s = niks.astype("string")
    ok = is_well_formed(s)
    return s.where(ok, "0" * 16), ok


def _digit_matrix(niks: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(rows x 16 digit values as uint8, well-formed mask); zeros where the NIK is not 16 ASCII digits.

    Every value is then exactly 16 ASCII bytes, so the Arrow string data is one contiguous block that
    numpy reads without a copy: the rules below are integer arithmetic, not string slicing per part.
    """
    s, ok = _digits(niks)
    okv = ok.to_numpy(dtype=bool)
    n = len(s)
    arr = pa.array(s.array) if n else pa.array([], pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + n + 1]
    if n and offsets[-1] - offsets[0] == 16 * n:
        data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)
        matrix = data[offsets[0]:offsets[-1]].reshape(n, 16) - 48
    else:  # not one contiguous block (never expected): the slow, obvious way
        matrix = np.frombuffer("".join(s.tolist()).encode("ascii"), dtype=np.uint8).reshape(n, 16) - 48
    return matrix, okv


def _number(matrix: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Digits ``start:stop`` (0-based, like a slice) of each row as an integer."""
    out = np.zeros(matrix.shape[0], dtype=np.int64)
    for i in range(start, stop):
        out = out * 10 + matrix[:, i]
    return out


@cache
def _code_numbers(codes: frozenset[str], width: int) -> np.ndarray:
    """The codes of ``width`` ASCII digits as sorted integers (the NIK digits they are compared with)."""
    return np.array(sorted(int(c) for c in codes if len(c) == width and c.isdigit() and c.isascii()), dtype=np.int64)


def _in_codes(numbers: np.ndarray, codes: frozenset[str], width: int) -> np.ndarray:
    return np.isin(numbers, _code_numbers(codes, width))


def as_integers(niks: pd.Series) -> np.ndarray:
    """16-digit NIKs as int64 (16 digits fit: < 2**63), 0 where not well-formed: for counting, not storing."""
    m, ok = _digit_matrix(niks)
    return np.where(ok, _number(m, 0, 16), 0)


def is_nit(niks: pd.Series) -> pd.Series:
    m, ok = _digit_matrix(niks)
    return pd.Series(ok & (_number(m, 0, 2) == int(NIT_PREFIX)), index=niks.index)


def has_valid_region(niks: pd.Series) -> pd.Series:
    """Province and kabupaten/kota in some code list, and kecamatan digits not ``00``; NITs pass."""
    m, ok = _digit_matrix(niks)
    lists = code_lists()
    province, regency = _number(m, 0, 2), _number(m, 0, 4)
    valid = _in_codes(province, lists.provinces, 2) & _in_codes(regency, lists.regencies, 4) & (_number(m, 4, 6) != 0)
    return pd.Series(~ok | (province == int(NIT_PREFIX)) | valid, index=niks.index)


def has_listed_prefix(niks: pd.Series) -> pd.Series:
    """Digits 1-6 are a kecamatan in some code list (a warning only when not)."""
    m, ok = _digit_matrix(niks)
    return pd.Series(~ok | _in_codes(_number(m, 0, 6), code_lists().districts, 6), index=niks.index)


def has_valid_birth_date(niks: pd.Series) -> pd.Series:
    """Day 01-31 or 41-71, month 01-12, and a real date in 19YY or 20YY."""
    m, ok = _digit_matrix(niks)
    day, month, year = _number(m, 6, 8), _number(m, 8, 10), _number(m, 10, 12)
    real_day = day % 40
    day_ok = ((day >= 1) & (day <= 31)) | ((day >= 41) & (day <= 71))
    month_ok = (month >= 1) & (month <= 12)
    longest = _MONTH_DAYS[np.clip(month, 0, 12)]
    # 29 February exists in 19YY or 20YY exactly when YY % 4 == 0 (2000 is a leap year, 1900 is not).
    fits = (real_day <= longest) & ~((month == 2) & (real_day == 29) & (year % 4 != 0))
    return pd.Series(~ok | (day_ok & month_ok & fits), index=niks.index)


def has_valid_serial(niks: pd.Series) -> pd.Series:
    m, ok = _digit_matrix(niks)
    return pd.Series(~ok | (_number(m, 12, 16) != 0), index=niks.index)


def encoded_sex(niks: pd.Series) -> pd.Series:
    """``P`` when the day has 40 added, else ``L``; missing where the NIK is not 16 digits."""
    m, ok = _digit_matrix(niks)
    sex = pd.Series(np.where(_number(m, 6, 8) > 40, "P", "L"), index=niks.index, dtype="string")
    return sex.where(ok)


def encoded_birth_ddmmyy(niks: pd.Series) -> pd.Series:
    """``DDMMYY`` with the day's +40 removed, to compare with a birth date."""
    m, ok = _digit_matrix(niks)
    digits = m[:, 6:12].copy()
    day = _number(m, 6, 8) % 40
    digits[:, 0], digits[:, 1] = day // 10, day % 10
    n = len(digits)
    text = pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(np.arange(0, 6 * n + 1, 6, dtype=np.int64)),
                                                         pa.py_buffer((digits + 48).astype(np.uint8).tobytes())])
    out = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([text], pa.large_string())), index=niks.index)
    return out.where(ok)


@cache
def _value_set(codes: frozenset[str]) -> pa.Array:
    return pa.array(sorted(codes), type=pa.large_string())


def isin(values: pd.Series, codes: frozenset[str]) -> pd.Series:
    """``values.isin(codes)`` for text: pandas turns every code into an Arrow scalar on each call
    (slow for the 84,000 kelurahan codes); Arrow's hash lookup with a cached set does not."""
    arr = pa.array(values.astype("string").array) if len(values) else pa.array([], pa.large_string())
    found = pc.is_in(arr.cast(pa.large_string()), value_set=_value_set(codes))
    return pd.Series(found.fill_null(False).to_numpy(zero_copy_only=False), index=values.index, dtype=bool)
