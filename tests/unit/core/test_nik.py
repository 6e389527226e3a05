"""NIK rules and warnings of contract §2.2, by hand and against an independent oracle.

Hand-written cases pin every rule at its edges. Property-based tests (hypothesis) then check
the rules against python-stdnum's ``stdnum.id.nik`` (an independent implementation, test-only)
on the aspects both implement, and that any NIK built from valid parts is accepted.

stdnum is not the contract, and differs from it in ways the tests pin down explicitly
(``test_where_stdnum_differs_from_the_contract``), so the property is limited to their overlap:

- Region: stdnum checks digits 1-4 against its own table, which uses **BPS** codes (``3174`` is
  Jakarta Barat there; in Kemendagri codes, the ones NIKs use, it is Jakarta Selatan) and lacks
  the newer provinces (Kalimantan Utara ``65``, the Papua splits ``92``-``96``). The contract uses the
  union of the Kemendagri lists since 2016. So the comparison keeps only NIKs whose first four
  digits are in both tables.
- stdnum does not check the kecamatan digits (``00``), nor the serial (``0000``): looser.
- stdnum accepts any day whose value mod 40 is a day of the month (``81`` = the 1st): looser.
- stdnum maps fullwidth and other Unicode digits to ASCII before checking: looser (the contract
  wants 16 ASCII digits), so generated candidates are ASCII.
- stdnum knows nothing of NIT (prefix ``99``): NITs are left out.
"""

from __future__ import annotations

import csv
import random
from datetime import date

import pandas as pd
import pytest
from ektp.core import nik
from ektp.core.regions import CURRENT_LIST, PREFIX_HISTORY
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from stdnum import numdb
from stdnum.id import nik as stdnum_nik

RULES = ("format", "region", "birthdate", "serial")


def check(values: list[str], index=None) -> pd.DataFrame:
    """Every rule and warning of the nik module for each raw value (normalised first, as the loader does)."""
    raw = pd.Series(values, dtype="string", index=index)
    n = nik.normalise(raw)
    return pd.DataFrame({
        "normalised": n,
        "format": nik.is_well_formed(n),
        "region": nik.has_valid_region(n),
        "birthdate": nik.has_valid_birth_date(n),
        "serial": nik.has_valid_serial(n),
        "listed": nik.has_listed_prefix(n),
        "nit": nik.is_nit(n),
        "sex": nik.encoded_sex(n),
        "ddmmyy": nik.encoded_birth_ddmmyy(n),
    })


_SEEN: dict[str, dict] = {}


def one(value: str) -> dict:
    """The rules for one value. The nik module works on whole columns with a fixed cost per call (looking
    codes up in the lists), so the hand-written values of this module are checked together, once."""
    if value not in _SEEN:
        values = list(dict.fromkeys([value, *HAND_WRITTEN]))
        frame = check(values)
        _SEEN.update(zip(values, (frame.iloc[i].to_dict() for i in range(len(values))), strict=True))
    return _SEEN[value]


def failing(value: str) -> list[str]:
    """The rejection rules a value fails, in contract order (format failures own the row alone)."""
    row = one(value)
    return [rule for rule in RULES if not row[rule]]


def accepted(frame: pd.DataFrame) -> pd.Series:
    return frame[list(RULES)].all(axis=1)


# --- the reference data the cases below rely on ------------------------------------------------

def _codes(path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["kode"]: row.get("in_lists", "current") for row in csv.DictReader(fh)}


HISTORY = _codes(PREFIX_HISTORY)
CURRENT = _codes(CURRENT_LIST)
KECAMATAN_DIGITS = sorted(code.replace(".", "") for code in HISTORY if len(code) == 8)


def test_reference_facts_the_cases_rely_on():
    assert "31.74.01" in CURRENT and "31.74" in CURRENT  # Tebet, Kota Jakarta Selatan
    # Kabupaten Sorong was 92.01 and kecamatan Beraur 92.01.04: only in old lists now
    assert "92.01.04" in HISTORY and "92.01" in HISTORY and "92" in HISTORY
    assert "92.01.04" not in CURRENT and "92.01" not in CURRENT
    assert HISTORY["92.01.04"] == "2016 2018 2020 2022 2023"
    for unlisted in ("10", "99", "31.99", "31.74.99", "31.74.00", "92.01.99"):
        assert unlisted not in HISTORY


# --- format and normalisation ----------------------------------------------------------------

SEPARATED = [
    ("3174011508050001", "3174011508050001"),
    ("  3174011508050001\t", "3174011508050001"),
    ("3174 0115 0805 0001", "3174011508050001"),
    ("31.74.01.150805.0001", "3174011508050001"),
    ("3174-0115-0805-0001", "3174011508050001"),
    (" 31.74 01-150805 - 0001 ", "3174011508050001"),
    ("3174\u00a00115\u20030805\n0001", "3174011508050001"),  # no-break and em spaces, a newline: whitespace
]


@pytest.mark.parametrize(("raw", "normalised"), SEPARATED)
def test_spaces_dots_and_dashes_inside_a_nik_are_removed(raw, normalised):
    row = one(raw)
    assert row["normalised"] == normalised
    assert failing(raw) == []


NOT_16_DIGITS = [
    "317401150805001",  # 15 digits
    "31740115080500011",  # 17 digits
    "",
    "3174O11508050001",  # letter O
    "3.17401E+15",  # a spreadsheet's scientific notation
    "3,17401E+15",
    "3174011508050001.0",  # a spreadsheet's float: ".0" leaves an extra 0
    "'3174011508050001",  # a spreadsheet's text marker stays (decisions.md)
    "\uff13\uff11\uff17\uff14\uff10\uff11\uff11\uff15\uff10\uff18\uff10\uff15\uff10\uff10\uff10\uff11",  # fullwidth
    "\u0663\u0661\u0667\u0664\u0660\u0661\u0661\u0665\u0660\u0668\u0660\u0665\u0660\u0660\u0660\u0661",  # Arabic-Indic
    "\u0969\u0967\u096d\u096a\u0966\u0967\u0967\u096b\u0966\u096e\u0966\u096b\u0966\u0966\u0966\u0967",  # Devanagari
    "317401150805000\u00b9",  # superscript one (str.isdigit() says True)
    "3174011508050001\u200b",  # zero-width space: not whitespace
    "3174\u201301150805\u20130001",  # en dashes are not '-'
]


@pytest.mark.parametrize("raw", NOT_16_DIGITS)
def test_anything_but_16_ascii_digits_is_nik_format_only(raw):
    # the other NIK rules do not own a value that is not 16 digits: the row gets nik_format alone
    assert failing(raw) == ["format"]
    row = one(raw)
    assert row["listed"] and not row["nit"]
    assert pd.isna(row["sex"]) and pd.isna(row["ddmmyy"])


def test_scientific_notation_keeps_its_letters_after_normalisation():
    assert one("3.17401E+15")["normalised"] == "317401E+15"


# --- region -----------------------------------------------------------------------------------

REGIONS = [
    ("3174011508050001", [], True),  # 31 DKI, 31.74 Jakarta Selatan, 31.74.01 Tebet
    ("1001011508050001", ["region"], False),  # no province 10
    ("3199011508050001", ["region"], False),  # province 31 has no kabupaten/kota 99
    ("3174001508050001", ["region"], False),  # kecamatan digits 00
    ("3174991508050001", [], False),  # province and kota known, kecamatan 99 in no list: a warning only
    ("9201041508050001", [], True),  # legacy Beraur, Kab. Sorong: in the old lists, so listed
    ("9201991508050001", [], False),  # legacy kabupaten, unknown kecamatan: passes, warning
    ("9601021508050001", [], True),  # Beraur today (96.01.02)
]
NITS = ["9901011508050001", "9900001508050001", "9999991508050001"]


@pytest.mark.parametrize(("value", "fails", "listed"), REGIONS)
def test_region(value, fails, listed):
    assert failing(value) == fails
    assert one(value)["listed"] is listed


@pytest.mark.parametrize("value", NITS)
def test_a_nit_passes_the_region_rule_and_is_flagged(value):
    row = one(value)
    assert failing(value) == []  # even kecamatan digits 00: the region rule does not apply to a NIT
    assert row["nit"]
    assert not row["listed"]  # 99 is in no code list: nik_prefix_unlisted applies too (decisions.md)


def test_only_prefix_99_is_a_nit():
    assert not one("9201041508050001")["nit"]
    assert not one("3199011508050001")["nit"]
    assert not one("3.17401E+15")["nit"]


# --- birth date --------------------------------------------------------------------------------

BIRTH_DIGITS = [
    ("150805", True, "L", "150805"),
    ("550805", True, "P", "150805"),  # women: day + 40
    ("010100", True, "L", "010100"),
    ("410100", True, "P", "010100"),  # day 41 = the 1st
    ("311299", True, "L", "311299"),
    ("711299", True, "P", "311299"),  # day 71 = the 31st
    ("000805", False, "L", "000805"),
    ("320805", False, "L", "320805"),
    ("400805", False, "L", "000805"),  # 40 is neither a man's day nor a woman's (41-71)
    ("720805", False, "P", "320805"),
    ("810805", False, "P", "010805"),  # 81 mod 40 is 1, but 81 is outside 41-71
    ("991205", False, "P", "191205"),
    ("150005", False, "L", "150005"),  # month 00
    ("151305", False, "L", "151305"),  # month 13
    ("310405", False, "L", "310405"),  # 31 April
    ("710405", False, "P", "310405"),  # a woman born on 31 April
    ("300205", False, "L", "300205"),  # 30 February
    ("290200", True, "L", "290200"),  # 29 February: 1900 is not a leap year, but 2000 is
    ("690200", True, "P", "290200"),
    ("290201", False, "L", "290201"),  # neither 1901 nor 2001 is a leap year
    ("290204", True, "L", "290204"),  # 2004
    ("290296", True, "L", "290296"),  # 1996
    ("290298", False, "L", "290298"),
    ("280201", True, "L", "280201"),
]
OTHERS = [
    "3174011508050000", "3174011508059999", "3174011508051000", "1001013208050000", "3174003208050000",
    "9901013208050000", "3171012902001234", "3171012902011234", "6501011508050001", "9201041508050001",
    "9601021508050001", "3174001508050001", "3174018108050001", "3199011508050001",
]
HAND_WRITTEN = ([raw for raw, _ in SEPARATED] + NOT_16_DIGITS + [v for v, _, _ in REGIONS] + NITS
                + [f"317401{digits}0001" for digits, _, _, _ in BIRTH_DIGITS] + OTHERS)


@pytest.mark.parametrize(("digits", "ok", "sex", "ddmmyy"), BIRTH_DIGITS)
def test_birth_date_digits(digits, ok, sex, ddmmyy):
    value = f"317401{digits}0001"
    assert failing(value) == ([] if ok else ["birthdate"])
    row = one(value)
    assert (row["sex"], row["ddmmyy"]) == (sex, ddmmyy)


def test_a_leap_day_nik_matches_stdnum_century_choice():
    # stdnum documents the same case: 29-02-00 is not 1900 (not a leap year), so it is 2000
    assert stdnum_nik.get_birth_date("3171012902001234") == date(2000, 2, 29)
    assert failing("3171012902001234") == []
    assert failing("3171012902011234") == ["birthdate"]


# --- serial and combinations -------------------------------------------------------------------

def test_serial():
    assert failing("3174011508050000") == ["serial"]
    assert failing("3174011508050001") == []
    assert failing("3174011508059999") == []
    assert failing("3174011508051000") == []


def test_every_failing_nik_rule_is_reported_in_contract_order():
    assert failing("1001013208050000") == ["region", "birthdate", "serial"]
    assert failing("3174003208050000") == ["region", "birthdate", "serial"]
    assert failing("9901013208050000") == ["birthdate", "serial"]  # a NIT still needs a date and a serial


def test_rules_keep_the_index_of_the_values():
    """The loader validates frames whose index is not 0..n-1: results must stay with their row."""
    values = ["3174011508050001", "3.17401E+15", "1001011508050001", "3174013208050001", "3174011508050000"]
    frame = check(values, index=[40, 7, 13, 2, 99])
    assert frame.index.tolist() == [40, 7, 13, 2, 99]
    assert frame.loc[40, list(RULES)].all()
    assert not frame.loc[7, "format"] and frame.loc[7, ["region", "birthdate", "serial"]].all()
    assert not frame.loc[13, "region"] and not frame.loc[2, "birthdate"] and not frame.loc[99, "serial"]
    assert frame.loc[7, "sex"] is pd.NA and frame.loc[40, "sex"] == "L"


def test_missing_values_are_not_owned_by_the_nik_rules():
    # the loader passes missing NIKs (empty after trimming) as NA: missing_value reports them
    raw = pd.Series([pd.NA, "3174011508050001"], dtype="string")
    assert nik.has_valid_region(raw).tolist() == [True, True]
    assert nik.has_valid_birth_date(raw).tolist() == [True, True]
    assert nik.has_valid_serial(raw).tolist() == [True, True]
    assert nik.has_listed_prefix(raw).tolist() == [True, True]
    assert nik.is_nit(raw).tolist() == [False, False]
    assert nik.is_well_formed(raw).tolist() == [False, True]


# --- properties, against python-stdnum as an independent oracle ----------------------------------

_STDNUM_LOC = numdb.get("id/loc")


def stdnum_knows_region(value: str) -> bool:
    """Digits 1-4 are a province + kabupaten/kota in stdnum's (BPS-based) table."""
    return bool(_STDNUM_LOC.info(value[:4])[0][1])


def test_where_stdnum_differs_from_the_contract():
    """The differences the property below leaves out, pinned so that a change in either is noticed."""
    # stdnum's table is BPS: 3174 is Jakarta Barat there (Kemendagri: Jakarta Selatan)
    assert _STDNUM_LOC.info("3174")[1][1]["name_id"] == "JAKARTA BARAT"
    # newer Kemendagri codes unknown to stdnum: the contract accepts them, stdnum does not
    for value in ("6501011508050001", "9201041508050001", "9601021508050001"):
        assert failing(value) == [] and not stdnum_nik.is_valid(value)
    # stdnum is looser: kecamatan 00, serial 0000, day 81, Unicode digits
    assert stdnum_nik.is_valid("3174001508050001") and failing("3174001508050001") == ["region"]
    assert stdnum_nik.is_valid("3174011508050000") and failing("3174011508050000") == ["serial"]
    assert stdnum_nik.is_valid("3174018108050001") and failing("3174018108050001") == ["birthdate"]
    fullwidth = "".join(chr(0xFF10 + int(c)) for c in "3174011508050001")
    assert stdnum_nik.is_valid(fullwidth) and failing(fullwidth) == ["format"]


digit = st.sampled_from("0123456789")


@st.composite
def near_valid_niks(draw) -> str:
    """16 ASCII digits, most of them plausible: a kecamatan of some list (or random digits),
    then day 00-99, month 00-19, any year, any serial - so both outcomes of each rule occur often."""
    region = draw(st.one_of(st.sampled_from(KECAMATAN_DIGITS), st.text(digit, min_size=6, max_size=6)))
    day = draw(st.integers(0, 99))
    month = draw(st.integers(0, 19))
    year = draw(st.integers(0, 99))
    serial = draw(st.integers(0, 9999))
    return f"{region}{day:02d}{month:02d}{year:02d}{serial:04d}"


# Each call of the nik module has a fixed cost (~0.1 s to look codes up), so each example is a batch of
# values: a few dozen examples still check thousands of NIKs.
BATCHES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def project_accepts(values: list[str]) -> tuple[list[bool], list[bool]]:
    """(format + region + birth date + serial all pass, is a NIT) for each value."""
    s = pd.Series(values, dtype="string")
    ok = nik.is_well_formed(s) & nik.has_valid_region(s) & nik.has_valid_birth_date(s) & nik.has_valid_serial(s)
    return ok.tolist(), nik.is_nit(s).tolist()


@BATCHES
@given(st.lists(near_valid_niks(), min_size=1, max_size=400))
@example(["3174012902000001", "3174016902000001", "3171015708450001", "1101010101010001"])
def test_every_nik_the_project_accepts_stdnum_accepts_too(values):
    ok, nit = project_accepts(values)
    compared = [v for v, a, n in zip(values, ok, nit, strict=True) if a and not n and stdnum_knows_region(v)]
    assert [v for v in compared if not stdnum_nik.is_valid(v)] == []


def test_the_stdnum_property_is_not_vacuous():
    """Values drawn like ``near_valid_niks`` are often accepted and often rejected among those stdnum can judge."""
    rng = random.Random(2026)
    values = [f"{rng.choice(KECAMATAN_DIGITS)}{rng.randrange(100):02d}{rng.randrange(20):02d}{rng.randrange(100):02d}"
              f"{rng.randrange(10000):04d}" for _ in range(2000)]
    ok, nit = project_accepts(values)
    compared = [a for v, a, n in zip(values, ok, nit, strict=True) if not n and stdnum_knows_region(v)]
    assert len(compared) > 1000
    assert 0.1 < sum(compared) / len(compared) < 0.9


@BATCHES
@given(st.lists(near_valid_niks(), min_size=1, max_size=400))
def test_the_birth_date_rule_agrees_with_stdnum_on_the_days_the_contract_allows(values):
    """Day 01-31 / 41-71: a real date in 19YY or 20YY (stdnum tries 19YY, then 20YY) - exactly stdnum's rule.
    Other days: always rejected (stdnum accepts 81-91 as 1-11)."""
    ok = nik.has_valid_birth_date(pd.Series(values, dtype="string")).tolist()
    expected = []
    for value in values:
        day = int(value[6:8])
        if 1 <= day <= 31 or 41 <= day <= 71:
            try:
                stdnum_nik.get_birth_date(value)
                expected.append(True)
            except Exception:  # noqa: BLE001 - stdnum raises its own ValidationError subclasses
                expected.append(False)
        else:
            expected.append(False)
    assert [v for v, a, b in zip(values, ok, expected, strict=True) if a != b] == []


@st.composite
def niks_from_valid_parts(draw) -> tuple[str, date, str]:
    region = draw(st.sampled_from(KECAMATAN_DIGITS))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
    sex = draw(st.sampled_from("LP"))
    serial = draw(st.integers(1, 9999))
    day = born.day + (40 if sex == "P" else 0)
    return f"{region}{day:02d}{born:%m%y}{serial:04d}", born, sex


@settings(BATCHES, max_examples=20)
@given(st.lists(niks_from_valid_parts(), min_size=1, max_size=400))
@example([("3174012902000001", date(2000, 2, 29), "L"), ("9201046902000001", date(2000, 2, 29), "P")])
def test_a_nik_built_from_valid_parts_is_always_accepted(parts):
    values = [p[0] for p in parts]
    # separators and surrounding spaces never change the outcome
    spaced = [f" {v[:2]}.{v[2:4]}.{v[4:6]} {v[6:12]}-{v[12:]} " for v in values]
    frame = check(values + spaced)
    assert frame["normalised"].tolist() == values + values
    assert frame[~accepted(frame)].empty
    assert frame["listed"].all() and not frame["nit"].any()
    assert frame["sex"].tolist() == [p[2] for p in parts] * 2
    assert frame["ddmmyy"].tolist() == [f"{p[1]:%d%m%y}" for p in parts] * 2
