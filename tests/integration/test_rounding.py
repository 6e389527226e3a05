"""One rounding rule for every percentage shown: coverage_pct's, half up to 2 decimals, computed in SQL.

The published rows, the report's totals, trend and match rates, and the coverage table's TOTAL all read
percentages rounded by the warehouse (``sql/report/select_totals.sql`` and its neighbours), on both
warehouses. The cases sit on the .xx5 boundary, where half up, half even and binary floats disagree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from ektp import warehouse as wh
from ektp.outputs import coverage_table, report

#: (recorded, target, the percentage rounded half up)
CASES = [
    (1, 8, 12.5),  # exact
    (1, 32, 3.13),  # 3.125: half up (a float formatted with :.2f gives 3.12)
    (1, 800, 0.13),  # 0.125
    (5, 1600, 0.31),  # 0.3125
    (1, 3, 33.33),
    (2, 3, 66.67),
    (0, 5, 0.0),
    (7, 7, 100.0),
]
FIRST = date(2026, 12, 1)


def _day(i: int) -> date:
    return FIRST + timedelta(days=i)


@pytest.fixture
def published(engine):
    """One kecamatan (and one site) per case, each on its own date; the site's accepted rows and matches
    are the case's target and recorded."""
    at = datetime.now(UTC)
    with wh.transaction(engine) as conn:
        wh.bulk_insert(conn, "ektp_coverage.kecamatan_daily", [
            "report_date", "extract_date", "kecamatan_code", "kecamatan_name", "target_residents", "recorded_on_date",
            "recorded_to_date", "remaining", "coverage_pct", "published_at"],
            [[_day(i), FIRST, "31.74.01", "Tebet", target, recorded, recorded, target - recorded, pct, at]
             for i, (recorded, target, pct) in enumerate(CASES)])
        wh.bulk_insert(conn, "ektp_coverage.site_daily", [
            "report_date", "site_code", "site_name", "batch_files", "rows_received", "rows_rejected", "rows_duplicate",
            "rows_accepted", "matched", "identity_mismatch", "not_in_extract", "published_at"],
            [[_day(i), "S1", "Site", 1, target, 0, 0, target, recorded, 0, target - recorded, at]
             for i, (recorded, target, _) in enumerate(CASES)])
    return engine


@pytest.mark.parametrize("i", range(len(CASES)), ids=[f"{r}of{t}" for r, t, _ in CASES])
def test_every_percentage_rounds_half_up(published, i):
    recorded, target, want = CASES[i]
    data = report.load_report_data(published, _day(i))
    assert data["totals"]["coverage_pct"] == want
    assert data["trend"][-1]["coverage_pct"] == want
    assert data["sites"][0]["match_rate"] == want and data["totals"]["match_rate"] == want

    rows, totals = coverage_table.kecamatan_rows(published, _day(i))
    (total_line,) = [line for line in coverage_table.render(rows, _day(i), totals).splitlines()
                     if line.startswith("TOTAL")]
    assert total_line.split()[-1] == f"{want:.2f}"


def test_no_target_has_no_percentage(published):
    empty = FIRST - timedelta(days=1)
    data = report.load_report_data(published, empty)
    assert data["totals"]["coverage_pct"] is None and data["totals"]["match_rate"] is None
    rows, totals = coverage_table.kecamatan_rows(published, empty)
    assert rows == [] and totals["coverage_pct"] is None and "nothing published" in coverage_table.render(
        rows, empty, totals)
