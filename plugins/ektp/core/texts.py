"""Words and numbers for people: one message catalogue per language, and the locale's number and date formats.

The people who read the report and work through the lists are Dukcapil and kelurahan staff, so Bahasa
Indonesia is the default (``EKTP_LANGUAGE=en`` gives English). Every label, reason and help text is written in
English in the code and templates (the gettext message ids) and translated by the catalogue
``core/locale/<language>/LC_MESSAGES/ektp.po``, read with Babel (no compile step: the ``.po`` file is the
source). ``make messages`` extracts the ids from the code and templates and merges them into the catalogue.

Numbers, percentages and dates follow the language's locale (CLDR, through Babel): in Indonesian 1.564,
52,13 % and 4 November 2026. The pseudo-language ``qps`` marks every translated text ``⟦…⟧``, so a test
can render a page with it and find any text that did not come through the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "ektp"
LANGUAGES = ("id", "en")
PSEUDO = "qps"
_PERCENT_SIGN = {"id": " %", "en": "%"}


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction, translate later"
    """Marks a message id for extraction where it is defined (a table of reasons), translated where it is shown."""
    return message


@dataclass(frozen=True)
class Texts:
    """The translations and formats of one language."""

    language: str
    _translate: Callable[[str], str]

    @property
    def locale(self) -> str:
        return "id" if self.language == PSEUDO else self.language

    def __call__(self, message: str, **values) -> str:
        """``texts("{n} files", n=3)``: translated first, then filled in (values are data, never translated)."""
        text = self._translate(message)
        return text.format(**values) if values else text

    def number(self, value: int | float | Decimal | None, decimals: int = 0) -> str:
        """``format_decimal(value, "#,##0[.00]", locale)``, done here with the same Decimal steps: Babel parses the
        pattern and looks the symbols up on every call, the bulk of a national report's time
        (tests/unit/core/test_texts.py checks it against Babel)."""
        if value is None:
            return "–"
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if not number.is_finite():
            from babel.numbers import format_decimal

            pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
            return format_decimal(value, format=pattern, locale=self.locale, decimal_quantization=True)
        rounded = abs(number).normalize().quantize(_quantum(decimals))
        shown = f"{rounded:,f}".translate(_separators(self.locale))
        return "-" + shown if number.is_signed() else shown

    def percent(self, value: float | Decimal | None, decimals: int = 2) -> str:
        """A value already in percent (52.13 -> ``52,13 %``): rounding is SQL's (half up), done before."""
        if value is None:
            return "–"
        return self.number(Decimal(str(value)), decimals) + _PERCENT_SIGN[self.locale]

    def date(self, value: date | str | None, style: str = "long") -> str:
        """``4 November 2026`` (long), ``4 Nov`` (short: charts)."""
        from babel.dates import format_date, format_skeleton

        if value is None or value == "":
            return "–"
        day = date.fromisoformat(value) if isinstance(value, str) else value
        if style == "short":
            return format_skeleton("MMMd", day, locale=self.locale)
        return format_date(day, format="long", locale=self.locale)

    def datetime(self, value: datetime | None) -> str:
        """``4 November 2026 06.09 WIB``: ``value`` in WIB, as every time in this project."""
        from babel.dates import format_time

        if value is None:
            return "–"
        return f"{self.date(value.date())} {format_time(value, format='short', locale=self.locale)} WIB"


@cache
def _quantum(decimals: int) -> Decimal:
    return Decimal(10) ** -decimals


@cache
def _separators(locale: str) -> dict[int, str]:
    """Python's grouping comma and decimal point -> the locale's (swapped at once: id writes 1.564,52)."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    return str.maketrans({",": get_group_symbol(locale), ".": get_decimal_symbol(locale)})


@cache
def _catalogue(language: str) -> dict[str, str]:
    """msgid -> msgstr of the language's catalogue (untranslated and fuzzy entries left out)."""
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=DOMAIN)
    return {m.id: m.string for m in catalog if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


@cache
def texts(language: str) -> Texts:
    """The texts of ``language`` (``id``, ``en``, or the pseudo-language ``qps``). English is the message ids
    themselves; a message missing from a catalogue shows in English (a test fails before that ships)."""
    if language == "en":
        return Texts("en", lambda message: message)
    if language == PSEUDO:
        translated = _catalogue("id")
        return Texts(PSEUDO, lambda message: f"⟦{translated.get(message, message)}⟧" if message in translated
                     else message)
    if language not in LANGUAGES:
        raise ValueError(f"no texts for language {language!r} (known: {', '.join(LANGUAGES)})")
    translated = _catalogue(language)
    return Texts(language, lambda message: translated.get(message, message))
