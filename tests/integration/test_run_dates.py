"""Which report dates a run publishes (contract §5), with the real CLI: ``airflow dags test ektp_coverage_daily D``.

- a date that has not ended in WIB (today, or later) is refused at once, with no retry, and changes nothing:
  no warehouse table (not even the file of a SQLite warehouse), no report, no Data Docs;
- any past date publishes, however far back: no start date silently drops it.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import fetch, run_airflow_date

pytestmark = pytest.mark.slow


def _today_in_wib() -> date:
    from ektp.core.calendar import WIB

    return datetime.now(UTC).astimezone(WIB).date()


def _landing_for(day: date, folder: Path) -> Path:
    from tools.sample_data import generate

    landing = folder / "landing"
    generate(landing, seed=7, start_date=day, days=1, residents=200, recordings_per_day=60, files_per_day=2,
             progress=False)
    assert (landing / "batches" / day.isoformat()).is_dir()
    return landing


def _outputs(var: Path) -> dict[str, str]:
    return {"EKTP_REPORT_DIR": str(var / "reports"), "EKTP_DATA_DOCS_DIR": str(var / "data_docs"),
            "EKTP_VAR_DIR": str(var)}


def _ektp_tables(url: str) -> list[str]:
    if url.startswith("sqlite"):
        return [n for (n,) in fetch(url, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [n for (n,) in fetch(url, "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                                     "WHERE table_schema LIKE 'ektp_%'")]


# The refusal comes before any warehouse is opened: each date on one warehouse still covers both.
@pytest.mark.parametrize(("days_ahead", "warehouse"), [(0, "sqlite_url"), (7, "pg_url")],
                         ids=["today-sqlite", "next_week-postgresql"])
def test_a_date_that_has_not_ended_in_wib_is_refused_at_once_and_changes_nothing(
        airflow_home, request, tmp_path, days_ahead, warehouse):
    warehouse_url = request.getfixturevalue(warehouse)
    day = _today_in_wib() + timedelta(days=days_ahead)
    landing = _landing_for(day, tmp_path)
    var = tmp_path / "var"
    started = time.monotonic()
    done = run_airflow_date(day, landing, warehouse_url, timeout=240, **_outputs(var))
    took = time.monotonic() - started
    out = done.stdout + done.stderr
    assert done.returncode != 0, out[-3000:]
    assert f"report date {day.isoformat()} has not ended in WIB" in out, out[-3000:]
    assert "Nothing was changed" in out
    assert took < 120, f"a refusal must not wait for retries ({took:.0f} s)"
    if warehouse_url.startswith("sqlite"):
        assert not Path(warehouse_url.removeprefix("sqlite:///")).exists(), "the SQLite warehouse was created"
    else:
        assert _ektp_tables(warehouse_url) == [], "a refused run created tables"
    assert not var.exists(), sorted(str(p) for p in var.rglob("*"))


def test_a_date_years_back_publishes(airflow_home, sqlite_url, tmp_path):
    """Before, the DAG's start date (2026-11-01) made `dags test` of an earlier date run no task and exit 0."""
    day = date(2019, 3, 5)
    landing = _landing_for(day, tmp_path)
    done = run_airflow_date(day, landing, sqlite_url, timeout=600, **_outputs(tmp_path / "var"))
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert fetch(sqlite_url, "SELECT report_date FROM ektp_ingest.published_report") == [(day.isoformat(),)]
    (rows, received), = fetch(sqlite_url, "SELECT count(*), sum(rows_received) FROM ektp_coverage.site_daily "
                                          "WHERE report_date = :d", d=day.isoformat())
    assert rows > 0 and received > 0
    assert fetch(sqlite_url, "SELECT count(*) FROM ektp_coverage.kecamatan_daily WHERE report_date = :d",
                 d=day.isoformat())[0][0] > 0
    assert (tmp_path / "var" / "reports" / f"coverage_{day.isoformat()}.html").is_file()
