"""The publish task announces the published tables as the Airflow Asset `ektp_coverage`.

Downstream DAGs (reports, exports) can be scheduled on it. After a run the event must be in the Airflow
metadata database, attributed to the run and to the task that published.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import run_dag_test

pytestmark = pytest.mark.slow

DAY = "2027-09-01"


def _write(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def _events(run_id: str) -> list[tuple]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return [tuple(row) for row in session.execute(
            select(AssetModel.name, AssetEvent.source_dag_id, AssetEvent.source_task_id, AssetEvent.source_map_index)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetEvent.source_run_id == run_id)
        )]


def test_publish_emits_the_ektp_coverage_asset_event(coverage_dag, sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("EKTP_REPORTS", "off")
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")
    monkeypatch.setenv("EKTP_VAR_DIR", str(tmp_path / "var"))
    landing = tmp_path / "landing"
    resident = ["3174010103090001", "Andi Saputra", "2009-03-01", "L"]
    _write(landing / f"registry/{DAY}/unrecorded_residents.csv",
           [["nik", "full_name", "birth_date", "sex", "kelurahan_code"], [*resident, "31.74.01.1001"]])
    _write(landing / f"batches/{DAY}/RW01_TAB01.csv", [
        ["batch_id", "site_code", "site_name", "operator_id", "recorded_at", "nik", "full_name", "birth_date", "sex"],
        ["B1", "RW01", "Balai RW 01", "OP-1", f"{DAY}T09:00:00+07:00", *resident],
    ])

    run = run_dag_test(coverage_dag, DAY, landing, sqlite_url)

    assert run.state == "success"
    assert _events(run.run_id) == [("ektp_coverage", "ektp_coverage_daily", "publish_coverage", -1)]
