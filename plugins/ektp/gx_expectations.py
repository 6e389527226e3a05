"""Custom Great Expectations for the NIK and record rules no built-in expectation covers.

Each is a column map expectation backed by a vectorised pandas metric (``ektp.nik`` does the
work): importing this module registers them, so the JSON suites in ``expectations/`` can name
them. Values a rule does not own (a NIK that is not 16 digits) pass; another rule reports them.
"""

from __future__ import annotations

import re

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)

from ektp import nik
from ektp.reference import village_codes

ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# ISO 8601 extended date-time with a mandatory UTC offset (Z or +hh:mm / +hhmm / +hh).
ISO_TIMESTAMP_WITH_OFFSET = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)"
)


def parse_iso_dates(values: pd.Series) -> pd.Series:
    """Strict ``YYYY-MM-DD`` to datetime64; NaT when not that spelling or not a real date."""
    s = values.astype("string")
    spelled = s.str.fullmatch(ISO_DATE).fillna(False).astype(bool)
    parsed = pd.to_datetime(s.where(spelled), format="%Y-%m-%d", errors="coerce")
    return parsed


def parse_iso_timestamps(values: pd.Series) -> pd.Series:
    """ISO 8601 timestamps that carry an offset, as UTC; NaT otherwise."""
    s = values.astype("string")
    spelled = s.str.fullmatch(ISO_TIMESTAMP_WITH_OFFSET).fillna(False).astype(bool)
    return pd.to_datetime(s.where(spelled).str.replace(",", ".", regex=False),
                          format="ISO8601", utc=True, errors="coerce")


def _metric(name: str, check):
    """A pandas column-condition metric named ``column_values.<name>`` from a Series -> bool function."""

    class _Metric(ColumnMapMetricProvider):
        condition_metric_name = f"column_values.{name}"

        @column_condition_partial(engine=PandasExecutionEngine)
        def _pandas(cls, column, **kwargs):
            return check(column)

    _Metric.__name__ = f"ColumnValues_{name}"
    return _Metric


ColumnValuesNikRegion = _metric("nik_region_known", nik.has_valid_region)
ColumnValuesNikBirthDate = _metric("nik_birth_date_real", nik.has_valid_birth_date)
ColumnValuesNikSerial = _metric("nik_serial_nonzero", nik.has_valid_serial)
ColumnValuesNikPrefixListed = _metric("nik_prefix_listed", nik.has_listed_prefix)
ColumnValuesIsoDate = _metric("iso_calendar_date", lambda c: parse_iso_dates(c).notna())
ColumnValuesIsoTimestamp = _metric("iso_timestamp_with_offset", lambda c: parse_iso_timestamps(c).notna())
ColumnValuesKelurahan = _metric("current_kelurahan_code", lambda c: nik.isin(c, village_codes()))


class ExpectColumnValuesToBeNikWithKnownRegion(ColumnMapExpectation):
    """NIK digits 1-2 a province and 1-4 a kabupaten/kota in any Kemendagri list since 2016, 5-6 not 00; NITs pass."""

    map_metric = "column_values.nik_region_known"


class ExpectColumnValuesToBeNikWithRealBirthDate(ColumnMapExpectation):
    """NIK digits 7-12 are DDMMYY (day + 40 for women) of a real date in 19YY or 20YY."""

    map_metric = "column_values.nik_birth_date_real"


class ExpectColumnValuesToBeNikWithNonzeroSerial(ColumnMapExpectation):
    """NIK digits 13-16 are not 0000."""

    map_metric = "column_values.nik_serial_nonzero"


class ExpectColumnValuesToBeNikWithListedPrefix(ColumnMapExpectation):
    """NIK digits 1-6 are a kecamatan in some code list (a warning: codes change)."""

    map_metric = "column_values.nik_prefix_listed"


class ExpectColumnValuesToBeIsoCalendarDates(ColumnMapExpectation):
    """Values are ``YYYY-MM-DD`` and a real calendar date."""

    map_metric = "column_values.iso_calendar_date"


class ExpectColumnValuesToBeIsoTimestampsWithOffset(ColumnMapExpectation):
    """Values are ISO 8601 timestamps with a UTC offset (``2026-11-02T09:15:00+07:00``)."""

    map_metric = "column_values.iso_timestamp_with_offset"


class ExpectColumnValuesToBeCurrentKelurahanCodes(ColumnMapExpectation):
    """Values are dotted level-4 codes (``31.74.01.1001``) of the current Kemendagri list."""

    map_metric = "column_values.current_kelurahan_code"
