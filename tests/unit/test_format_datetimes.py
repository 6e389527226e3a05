"""Arrow's date formatting (validation.format_datetimes) writes what pandas' strftime writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ektp.validation import format_datetimes


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
