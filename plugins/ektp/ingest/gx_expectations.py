"""Custom Great Expectations for the NIK and record rules no built-in expectation covers.

Each is a column map expectation backed by a vectorised pandas metric (``ektp.core.nik`` does the
work): importing this module registers them, so the JSON suites in ``expectations/`` can name
them. Values a rule does not own (a NIK that is not 16 digits) pass; another rule reports them.
"""

from __future__ import annotations

import re

import pandas as pd

from ektp.ingest.gx_import import import_great_expectations

# before any great_expectations module: this module is imported first when a load prepares its rows
# (parse_iso_dates), and a plain import would load SciPy's stats and Altair (ektp.ingest.gx_import)
import_great_expectations()

from great_expectations.execution_engine import PandasExecutionEngine  # noqa: E402
from great_expectations.expectations.expectation import ColumnMapExpectation  # noqa: E402
from great_expectations.expectations.metrics.map_metric_provider import (  # noqa: E402
    ColumnMapMetricProvider,
    column_condition_partial,
)

from ektp.core import nik  # noqa: E402
from ektp.core.regions import village_codes  # noqa: E402

ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# ISO 8601 extended date-time with a mandatory UTC offset (Z or +hh:mm / +hhmm / +hh).
ISO_TIMESTAMP_WITH_OFFSET = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)"
)


#: digits of a fraction of a second after the sixth: dropped, so every timestamp parses in microseconds
_FRACTION = r"[.,]([0-9]{1,6})[0-9]*"
#: the instants a recorded_at may be: from 0001-01-01 00:00 UTC (what Python and every tool reading the
#: warehouse can hold) to the last instant whose WIB date is 9999-12-31
FIRST_INSTANT = pd.Timestamp("0001-01-01T00:00:00+00:00").as_unit("us")
END_INSTANT = pd.Timestamp("9999-12-31T17:00:00+00:00").as_unit("us")


def parse_iso_dates(values: pd.Series) -> pd.Series:
    """Strict ``YYYY-MM-DD`` to datetime64[us]; NaT when not that spelling or not a real date (year 0000 is none).

    Microseconds, never nanoseconds: datetime64[ns] holds only 1677-2262, and 9999-12-31 must stay itself."""
    s = values.astype("string")
    spelled = (s.str.fullmatch(ISO_DATE) & ~s.str.startswith("0000")).fillna(False).astype(bool)
    return pd.to_datetime(s.where(spelled), format="%Y-%m-%d", errors="coerce").astype("datetime64[us]")


def parse_iso_timestamps(values: pd.Series) -> pd.Series:
    """ISO 8601 timestamps that carry an offset, as UTC microseconds; NaT otherwise, and outside
    [FIRST_INSTANT, END_INSTANT).

    The fraction is cut to six digits before parsing: pandas picks nanoseconds for a whole column when one
    value has more, and nanoseconds cannot hold years outside 1677-2262, so a row's validity would depend
    on the other rows of its batch."""
    s = values.astype("string")
    spelled = (s.str.fullmatch(ISO_TIMESTAMP_WITH_OFFSET) & ~s.str.startswith("0000")).fillna(False).astype(bool)
    text = s.where(spelled).str.replace(_FRACTION, r".\1", regex=True)
    parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce").astype("datetime64[us, UTC]")
    return parsed.where((parsed >= FIRST_INSTANT) & (parsed < END_INSTANT))


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
