"""No raw NIK outside the restricted schemas: not in logs, XComs, exception messages or analyst tables.

The whole DAG runs with the real CLI (``airflow dags test``, its own Airflow home so that every log
file and XCom there is this run's), with reports and Data Docs on. Then every place a person other
than the restricted-schema owner can read is searched for every NIK of the input: each 16-digit run
in the landed files and each nik field as normalised. The follow-up CSV lists for the field teams
carry NIKs on purpose (docs/security.md) and are not searched; everything else is.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import traceback
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import fetch, run_airflow_date
from tests.corpus.build import load_cases, materialise
from tests.integration.airflow_homes import airflow_extra_env, private_airflow_home
from tests.integration.nik_scan import landing_niks, niks_in, texts_of_files
from tests.integration.pipeline_runner import run_date

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

DAY = "2026-11-03"


def _xcoms(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT task_id, map_index, key, value FROM xcom").fetchall()
    return [(f"xcom {task}[{index}] {key}", value.decode("utf-8", "replace") if isinstance(value, bytes)
             else json.dumps(value) if not isinstance(value, str) else value) for task, index, key, value in rows]


def _published(url: str) -> list[tuple[str, str]]:
    out = []
    for (name,) in fetch(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ektp_coverage'"):
        rows = fetch(url, f"SELECT * FROM ektp_coverage.{name}")
        out.append((f"ektp_coverage.{name}", "\n".join(" ".join(map(str, r)) for r in rows)))
    return out


def test_a_whole_run_leaves_no_nik_outside_the_restricted_schemas(airflow_home, sample_landing, pg_url, tmp_path):
    home = private_airflow_home(airflow_home, tmp_path / "airflow")
    var = tmp_path / "var"
    done = run_airflow_date(DAY, sample_landing, pg_url, timeout=900, **airflow_extra_env(home, var))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    niks = landing_niks(sample_landing)
    stored = {n for n, in fetch(pg_url, "SELECT nik FROM ektp_ingest.recording UNION SELECT nik FROM "
                                        "ektp_ingest.registry_resident")}
    assert stored and stored <= niks  # every normalised NIK is among those searched for
    assert niks_in(" ".join(sorted(stored)), niks)  # and the search finds them where they are

    places = [("stdout", done.stdout), ("stderr", done.stderr)]
    places += list(texts_of_files(sorted((home / "logs").rglob("*"))))
    xcoms = _xcoms(home / "airflow.db")
    assert xcoms, "the run wrote no XCom"
    places += xcoms
    places += _published(pg_url)
    restricted = {"followup", "cards"}  # the lists for field teams: follow-up lists, card lists
    outputs = [p for p in sorted(var.rglob("*")) if not restricted & set(p.relative_to(var).parts)]
    places += list(texts_of_files(outputs))  # HTML reports and Data Docs
    assert (var / "reports" / f"coverage_{DAY}.html").is_file() and (var / "data_docs" / "index.html").is_file()

    followups = [p for p in sorted(var.rglob("*.csv")) if restricted & set(p.relative_to(var).parts)]
    if followups:  # the lists for field teams carry NIKs by design: the search does find them there
        assert any(niks_in(text, niks) for _, text in texts_of_files(followups))

    leaks = {name: sorted(niks_in(text, niks))[:3] for name, text in places if niks_in(text, niks)}
    assert not leaks, f"NIKs outside the restricted schemas: {leaks}"


def test_a_failed_load_names_file_row_and_reason_but_no_nik(pg_url, tmp_path, monkeypatch, caplog):
    """A load that the database refuses (here a constraint added on purpose) fails with a message that
    says where and why, and carries no value: PostgreSQL's DETAIL and COPY CONTEXT quote the whole row."""
    from ektp import warehouse as wh
    from ektp.warehouse import WarehouseError

    case = next(c for c in load_cases() if c["id"] == "bom_crlf_registry")  # an extract and a batch file
    landing = materialise(case, tmp_path / "case")
    day = case["runs"][-1]["date"]
    monkeypatch.setenv("EKTP_LANDING_DIR", str(landing))
    monkeypatch.setenv("AIRFLOW_CONN_EKTP_WAREHOUSE", pg_url)
    monkeypatch.setenv("EKTP_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EKTP_REPORTS", "off")
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")
    run_date(day)
    (path, row, nik), = fetch(pg_url, "SELECT file_path, row_number, nik FROM ektp_ingest.recording "
                                      "WHERE recording_date = :d ORDER BY file_path, row_number LIMIT 1", d=day)
    before = fetch(pg_url, "SELECT count(*) FROM ektp_ingest.recording")
    engine = wh.make_engine(pg_url)
    with engine.begin() as conn:  # a run for a date loads its files again, and this row will not go in
        conn.execute(sa.text("ALTER TABLE ektp_ingest.recording ADD CONSTRAINT fail_on_purpose "
                             f"CHECK (nik <> '{nik}') NOT VALID"))  # a literal of this test, not of the pipeline
    niks = landing_niks(landing)
    assert nik in niks

    caplog.set_level(logging.DEBUG)
    with pytest.raises(WarehouseError) as failed:
        run_date(day)
    message = str(failed.value)
    assert path in message and f"row {row}" in message and "fail_on_purpose" in message
    shown = "".join(traceback.format_exception(failed.value)) + caplog.text
    assert not niks_in(shown, niks)
    # the failed transaction left nothing behind: the rows are those of the last good load
    assert fetch(pg_url, "SELECT count(*) FROM ektp_ingest.recording") == before
    engine.dispose()
