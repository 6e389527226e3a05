"""The outreach list by name kept incrementally (ektp.outputs.outreach) equals the list built from scratch,
whatever the sequence of runs: dates run in scrambled order, a second extract landing in the middle, a late
file for a published date, a corrected file re-landed under its path, retracted dates (both warehouses).

"From scratch" is the full anti-join the list was rewritten with every night before (the residents of the
extract in force on the latest published date, in a known kelurahan, with no matched recording of that extract
from the extract date to that date), run on the same warehouse at each checkpoint.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from unittest import mock

import pytest
from ektp.core.calendar import student_age_bounds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import fetch
from tests.integration.test_invariant import D1, D2, D3, D4, D5, Scenario

pytestmark = pytest.mark.slow

DAYS = [D1, D2, D3, D4, D5]
COLUMNS = "report_date, extract_date, kecamatan_code, kelurahan_code, nik, full_name, birth_date, sex, aged_16_18"
FROM_SCRATCH = f"""
SELECT {COLUMNS} FROM (
SELECT :report_date AS report_date, i.extract_date, substr(r.kelurahan_code, 1, 8) AS kecamatan_code,
       r.kelurahan_code, r.nik, r.full_name, r.birth_date, r.sex,
       CASE WHEN r.birth_date <= :born_by AND r.birth_date > :born_after THEN TRUE ELSE FALSE END AS aged_16_18
  FROM (SELECT max(e.extract_date) AS extract_date FROM ektp_ingest.registry_extract e
         WHERE e.extract_date <= :report_date) AS i
  JOIN ektp_ingest.registry_resident r ON r.extract_date = i.extract_date
  JOIN ektp_ingest.region kel ON kel.region_code = r.kelurahan_code
 WHERE NOT EXISTS (
       SELECT 1 FROM ektp_ingest.recording rec
        WHERE rec.nik = r.nik AND rec.reconciliation_status = 'matched' AND rec.extract_date = i.extract_date
          AND rec.recording_date BETWEEN i.extract_date AND :report_date)) AS s
"""


def _norm(rows) -> list[tuple]:
    return sorted(tuple(str(v)[:10] if isinstance(v, date | datetime) or k in (0, 1, 6) else
                        bool(v) if k == 8 else v for k, v in enumerate(r)) for r in rows)


def _from_scratch(url: str) -> list[tuple]:
    (latest,), = fetch(url, "SELECT max(report_date) FROM ektp_ingest.published_report")
    if latest is None:
        return []
    day = date.fromisoformat(str(latest)[:10])
    return _norm(fetch(url, FROM_SCRATCH, report_date=day, **student_age_bounds(day)))


def _kept(url: str) -> list[tuple]:
    return _norm(fetch(url, f"SELECT {COLUMNS} FROM ektp_quarantine.outreach_residents"))


class Runs:
    """In-process runs of the DAG's task callables on one warehouse, the outreach list written after each."""

    def __init__(self, scenario: Scenario, url: str, report_dir: Path):
        self.scenario, self.url = scenario, url
        self.env = {"EKTP_LANDING_DIR": str(scenario.landing), "AIRFLOW_CONN_EKTP_WAREHOUSE": url,
                    "EKTP_REPORT_DIR": str(report_dir), "EKTP_REPORTS": "off", "EKTP_DATA_DOCS": "off"}
        self.report_dir = report_dir
        self.hows: list[str] = []
        from ektp.warehouse import make_engine, migrate

        engine = make_engine(url)
        try:
            migrate(engine)  # a retraction may come first: it needs the tables
        finally:
            engine.dispose()

    def run(self, day: str) -> None:
        from ektp.airflow import tasks
        from ektp.outputs import outreach
        from ektp.warehouse import make_engine

        with mock.patch.dict(os.environ, self.env):
            logical = datetime.fromisoformat(f"{day}T00:00:00+00:00")
            for item in tasks.plan_file_loads(logical):
                tasks.load_file_group(item, f"t__{day}")
            tasks.publish_coverage(logical, f"t__{day}")
            engine = make_engine(self.url)
            try:
                self.hows.append(outreach.write_outreach_residents(engine).get("outreach_list", "none"))
            finally:
                engine.dispose()
        self.check(f"after the run of {day}")

    def retract(self, day: str) -> None:
        from ektp.admin import retract
        from ektp.warehouse import make_engine

        with mock.patch.dict(os.environ, self.env):
            engine = make_engine(self.url)
            try:
                retract.retract(engine, date.fromisoformat(day), "retracted by a test", "a test", self.report_dir)
            finally:
                engine.dispose()
        self.check(f"after retracting {day}")

    def published(self) -> list[str]:
        return [str(d)[:10] for (d,) in fetch(self.url, "SELECT report_date FROM ektp_ingest.published_report")]

    def check(self, when: str) -> None:
        kept = _kept(self.url)
        assert kept == _from_scratch(self.url), when


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return Scenario(tmp_path)


def test_incremental_outreach_list_equals_one_built_from_scratch(scenario: Scenario, warehouse_url: str,
                                                                tmp_path: Path):
    runs = Runs(scenario, warehouse_url, tmp_path / "reports")
    runs.run(D3)  # the first run: the extract's date and D3 published, the list built
    runs.run(D1)  # an earlier date: the latest stays D3, the list does not change
    runs.run(D4)
    assert runs.hows[:3] == ["started", "updated", "updated"]
    assert _kept(warehouse_url), "residents still unrecorded on D4"
    scenario.land_late_file()  # recordings for D1 that land after D4 was published: they leave the list
    runs.run(D1)
    runs.run(D4)
    rel = scenario.reland_corrected_file()  # a D2 file again, changed: matches come and go
    assert rel
    runs.run(D2)
    runs.run(D4)
    scenario.land_second_extract()  # the extract of D3 on: the list is built again from it
    runs.run(D5)
    assert runs.hows[-1] == "started"
    runs.retract(D5)  # the list was D5's: built again for D4
    runs.retract(D2)  # a middle date: the list is D4's still
    runs.run(D5)
    runs.retract(D5)
    runs.retract(D4)
    runs.retract(D3)
    runs.retract(D1)  # nothing published is left: no list
    assert _kept(warehouse_url) == [] and runs.published() == []


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_sequence_of_runs_keeps_the_list_equal_to_one_built_from_scratch(tmp_path_factory, data):
    """Random sequences on SQLite: runs of any date, the late file, the corrected file, the second extract and
    retractions, in any order."""
    root = tmp_path_factory.mktemp("outreach")
    scenario = Scenario(root)
    runs = Runs(scenario, f"sqlite:///{root / 'warehouse.sqlite'}", root / "reports")
    landed: set[str] = set()
    for _ in range(data.draw(st.integers(3, 6), label="steps")):
        step = data.draw(st.sampled_from(["run", "run", "run", "late", "corrected", "extract", "retract"]))
        if step == "retract" and runs.published():
            runs.retract(data.draw(st.sampled_from(sorted(runs.published())), label="retracted"))
            continue
        if step in ("late", "corrected", "extract") and step not in landed:
            landed.add(step)
            {"late": scenario.land_late_file, "corrected": scenario.reland_corrected_file,
             "extract": scenario.land_second_extract}[step]()
        runs.run(data.draw(st.sampled_from(DAYS), label="day"))
