"""Arrow's date formatting (validation.format_datetimes) writes what pandas' strftime writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ektp.ingest.validation import format_datetimes


@pytest.mark.parametrize("fmt", ["%Y-%m-%d", "%d%m%y"])
def test_dates_as_pandas_formats_them(fmt: str):
    days = pd.Series(pd.to_datetime(np.random.default_rng(2).integers(-2 * 10**9, 2 * 10**9, 50_000), unit="s"))
    days = days.dt.floor("D").where(np.arange(len(days)) % 97 != 0)  # and some NaT
    expected = days.dt.strftime(fmt).astype("string")
    assert format_datetimes(days, fmt).equals(expected)


def test_utc_timestamps_with_microseconds_as_pandas_formats_them():
    stamps = pd.Series(pd.to_datetime(np.random.default_rng(1).integers(-2 * 10**18, 2 * 10**18, 50_000), utc=True))
    stamps = pd.concat([stamps, pd.Series(pd.to_datetime(
        ["2026-11-02T09:15:00+07:00", "1950-01-31T23:59:59.123456789Z", None], format="ISO8601", utc=True))],
        ignore_index=True)
    fmt = "%Y-%m-%d %H:%M:%S.%f+00:00"
    expected = stamps.dt.strftime(fmt).astype("string")
    assert format_datetimes(stamps, fmt).equals(expected)
    assert format_datetimes(stamps, fmt).iloc[-2] == "1950-01-31 23:59:59.123456+00:00"  # truncated, not rounded


@pytest.mark.parametrize("fmt", ["%Y-%m-%d", "%d%m%y", "%Y/%m/%d %H:%M"])  # the last one: Arrow's general path
def test_zoned_timestamps_format_in_their_zone_as_pandas_does(fmt: str):
    stamps = pd.Series(pd.to_datetime(np.random.default_rng(3).integers(-2 * 10**18, 2 * 10**18, 50_000), utc=True))
    shifted = (stamps + pd.Timedelta(hours=7)).where(np.arange(len(stamps)) % 89 != 0)  # as recorded_date is made
    assert format_datetimes(shifted, fmt).equals(shifted.dt.strftime(fmt).astype("string"))


def test_every_year_from_0001_to_9999_keeps_its_date_and_instant():
    """Microsecond values outside datetime64[ns]'s 1677-2262 are formatted as they are, not wrapped."""
    from datetime import UTC, datetime, timedelta

    rng = np.random.default_rng(4)
    last = 315_537_897_599_999_999  # microseconds from 0001-01-01 00:00 to 9999-12-31 23:59:59.999999
    micros = rng.integers(0, last, 20_000)
    micros[:2] = [0, last]
    python = [datetime(1, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(m)) for m in micros]
    stamps = pd.Series(pd.to_datetime(python, utc=True)).astype("datetime64[us, UTC]")
    assert format_datetimes(stamps, "%Y-%m-%d %H:%M:%S.%f+00:00").tolist() == [
        f"{p.date().isoformat()} {p.strftime('%H:%M:%S')}.{p.microsecond:06d}+00:00" for p in python]
    days = stamps.dt.tz_localize(None).dt.floor("D")
    assert format_datetimes(days, "%Y-%m-%d").tolist() == [p.date().isoformat() for p in python]
    assert format_datetimes(days, "%d%m%y").tolist() == [f"{p.day:02d}{p.month:02d}{p.year % 100:02d}" for p in python]
