"""The message catalogue and the locale formats (ektp.core.texts, ektp.core.reasons)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from ektp.core import reasons
from ektp.core.settings import settings
from ektp.core.texts import LOCALE_DIR, PSEUDO, _catalogue, texts

ROOT = Path(__file__).resolve().parents[3]


def _extracted() -> set[str]:
    """Every message id in the code and templates, found as `make messages` finds them (babel.cfg)."""
    method_map = [("plugins/**.py", "python"), ("plugins/**/templates/**.html", "jinja2")]
    found = extract_from_dir(str(ROOT), method_map, keywords={"_": None, "N_": None, "gettext": None})
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_every_text_people_read_is_translated_to_indonesian():
    missing = sorted(_extracted() - set(_catalogue("id")))
    assert not missing, f"not in core/locale/id/LC_MESSAGES/ektp.po (run `make messages`, then translate): {missing}"


def test_the_catalogue_has_no_fuzzy_or_empty_translation():
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / "id" / "LC_MESSAGES" / "ektp.po").open("rb") as fh:
        catalog = read_po(fh)
    bad = [m.id for m in catalog if m.id and (m.fuzzy or not m.string)]
    assert not bad


def test_every_outcome_code_has_words():
    codes = ["malformed_row", "missing_value", "nik_format", "nik_region", "nik_birthdate", "nik_serial",
             "bad_birth_date", "bad_sex", "bad_recorded_at", "bad_event", "bad_event_at", "bad_kelurahan",
             "duplicate_nik", "not_utf8", "bad_header", "missing_column", "implausible_extract", "matched",
             "identity_mismatch", "not_in_extract", "no_extract", "duplicate_in_batch", "already_recorded"]
    indonesian = texts("id")
    for code in codes:
        assert reasons.describe(code, indonesian) != code
        assert reasons.describe(code, indonesian) != reasons.describe(code, texts("en"))
    assert reasons.describe("something_new", indonesian) == "something_new"


@pytest.mark.parametrize(("language", "number", "percent", "long_date", "short_date"), [
    ("id", "1.564", "52,13 %", "4 November 2026", "4 Nov"),
    ("en", "1,564", "52.13%", "November 4, 2026", "Nov 4"),
])
def test_numbers_and_dates_follow_the_language(language, number, percent, long_date, short_date):
    t = texts(language)
    assert t.number(1564) == number
    assert t.percent(Decimal("52.13")) == percent
    assert t.percent(52.1) == percent.replace("13", "10")
    assert t.date(date(2026, 11, 4)) == long_date == t.date("2026-11-04")
    assert t.date(date(2026, 11, 4), "short") == short_date
    assert t.number(None) == t.percent(None) == t.date(None) == "–"


@pytest.mark.parametrize("language", ["id", "en", PSEUDO])
def test_numbers_are_formatted_as_babel_formats_them(language):
    import random

    from babel.numbers import format_decimal

    rng = random.Random(21)
    values = [0, 1, -1, 999, 1000, -1000, 10**15, -0.0, 0.005, 0.015, 2.5, -2.5, 99.995, 52.125, Decimal("-0"),
              Decimal("1E+3"), Decimal("12.345"), Decimal("0.0001"), float("inf"), float("nan")]
    values += [rng.randint(-10**9, 10**9) for _ in range(2000)]
    values += [round(rng.uniform(-1e6, 1e6), rng.randint(0, 6)) for _ in range(2000)]
    values += [Decimal(rng.randint(-10**8, 10**8)).scaleb(-rng.randint(0, 5)) for _ in range(2000)]
    _ = texts(language)
    for decimals in (0, 1, 2):
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        expected = [format_decimal(v, format=pattern, locale=_.locale, decimal_quantization=True) for v in values]
        assert [_.number(v, decimals) for v in values] == expected


def test_a_time_is_shown_with_its_zone():
    from ektp.core.calendar import WIB

    assert texts("id").datetime(datetime(2026, 11, 5, 6, 9, tzinfo=WIB)) == "5 November 2026 06.09 WIB"


def test_values_fill_in_after_translation():
    assert texts("en")("{n} files", n=texts("en").number(1200)) == "1,200 files"


def test_the_pseudo_language_marks_what_came_through_the_catalogue():
    pseudo = texts(PSEUDO)
    assert pseudo("sex is not L or P") == "⟦jenis kelamin bukan L atau P⟧"
    assert pseudo("a text no catalogue holds") == "a text no catalogue holds"
    assert pseudo.number(1564) == "1.564"


def test_the_language_is_a_setting():
    assert settings({}).language == "id"
    assert settings({"EKTP_LANGUAGE": "EN"}).language == "en"
    with pytest.raises(ValueError, match="EKTP_LANGUAGE"):
        settings({"EKTP_LANGUAGE": "fr"})
