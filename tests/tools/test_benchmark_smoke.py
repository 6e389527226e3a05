"""`make bench` at a smoke size, so the benchmark cannot rot: the real DAG twice (extract load, nightly
run) on fresh PostgreSQL databases, the COPY/SQL floor on the same files, every stage and ratio reported,
and nothing left behind. With card events (``--card-events``): the night holds them, and their history is
loaded by an unmeasured set-up run, neither by the extract load nor by the night."""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PG_ADMIN_URL, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.postgres]



def _bench_databases(prefix: str) -> set[str]:
    engine = sa.create_engine(PG_ADMIN_URL)
    try:
        with engine.connect() as conn:
            found = conn.execute(sa.text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)"),
                                 {"p": prefix})
            return {n for (n,) in found}
    finally:
        engine.dispose()


def test_benchmark_smoke(tmp_path: Path, airflow_home: Path):
    prefix = f"ektp_bench_smoke_{uuid.uuid4().hex[:8]}_"  # other sessions may run benchmarks on the same server
    report = tmp_path / "report.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "plugins"), EKTP_BENCH_PG_URL=PG_ADMIN_URL.replace("+psycopg", ""))
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "benchmark.sh"), "--residents", "2000", "--recordings", "500", "--files", "5",
         "--repeat", "2", "--workdir", str(tmp_path / "work"), "--airflow-template", str(airflow_home),
         "--json", str(report), "--quiet", "--db-prefix", prefix, "--card-events", "300"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    data = json.loads(report.read_text())
    assert {"nproc", "memory_gib", "cpu_model", "date"} <= set(data["machine"])
    (point,) = data["points"]
    assert point["size"] == {"residents": 2000, "recordings": 500, "files": 5, "card_events": 300}
    stages = {s["name"]: s for s in point["stages"]}
    assert set(stages) == {"extract load", "nightly run"}
    for stage in stages.values():
        assert stage["pipeline_s"] > 0 and stage["floor_s"] > 0
        assert stage["ratio"] == pytest.approx(stage["pipeline_s"] / stage["floor_s"])
        # --repeat 2: both runs listed, the figures are the best of each
        assert len(stage["pipeline_runs"]) == len(stage["floor_runs"]) == 2
        assert stage["pipeline_s"] == min(stage["pipeline_runs"]) and stage["floor_s"] == min(stage["floor_runs"])
        assert stage["airflow_startup_s"] >= 0 and stage["process_s"] >= stage["pipeline_s"]
        assert 0 < stage["peak_rss_process_mib"] <= stage["peak_rss_tree_mib"]
        assert {t["task_id"] for t in stage["tasks"]} >= {"plan_file_loads", "load_file_group", "publish_coverage"}
        # CPU of the Python tasks and of the server during the stage; divided by the cores it cannot exceed the
        # stage's wall time (a sample every 0.2 s: a little slack at each end)
        assert stage["cpu_airflow_s"] > 0 and stage["cpu_postgres_s"] > 0
        assert stage["cpu_bound_s"] == pytest.approx((stage["cpu_airflow_s"] + stage["cpu_postgres_s"])
                                                     / data["machine"]["nproc"])
        assert stage["cpu_bound_s"] <= stage["pipeline_s"] + 0.5
        assert stage["cpu_bound_ratio"] == pytest.approx(stage["cpu_bound_s"] / stage["floor_s"])
        # the night as scheduled, per part, every run: the report task is part of it (reports are on by default)
        assert set(stage["part_runs"]) >= {"plan", "load", "publish", "report/lists"}
        assert all(len(runs) == 2 for runs in stage["part_runs"].values())
        assert min(stage["part_runs"]["report/lists"]) > 0
        assert stage["peak_rss_server_mib"] > 0  # the largest PostgreSQL process is sampled too
    assert stages["extract load"]["rows"] == 2000
    assert point["batch_rows"] == 500 and point["card_rows"] == 300
    assert stages["nightly run"]["rows"] == point["batch_rows"] + point["card_rows"]
    checks = point["checks"]
    assert checks["target_residents"] == 2000 and 0 < checks["matched"] <= checks["rows_accepted"]
    assert checks["floor_recorded"] > 0
    # the night's card events link to the history, which the set-up run loaded before the night
    assert point["setup_s"] > 0 and point["history_batch_rows"] > 200 and point["history_card_rows"] > 0
    assert checks["card_linked"] + checks["card_unlinked"] + checks["card_rejected"] == 300
    assert checks["card_linked"] > 280 and checks["card_unlinked"] > 0
    assert min(checks["funnel_prr_printed_delivered_activated"]) > 0
    # what each run loaded (its plan's log line): the extract load no history, the night only its own files
    plans = {log.name: re.findall(r"plan for (\S+) .*?: (\d+) batch files in \d+ groups, (\d+) card-event files",
                                  log.read_text()) for log in (tmp_path / "work").glob("logs-*/dags-test-*.log")}
    assert plans["dags-test-2026-11-01-0.log"] == plans["dags-test-2026-11-01-1.log"] == [("2026-11-01", "0", "0")]
    for log in ("dags-test-2026-11-02-0.log", "dags-test-2026-11-02-1.log"):  # copies are not loaded: at most
        ((day, batches, cards),) = plans[log]
        assert day == "2026-11-02" and 0 < int(batches) <= point["batch_files"]
        assert 0 < int(cards) <= point["card_files"]
    ((day, batches, cards),) = plans["dags-test-2026-10-31-setup.log"]
    assert day == "2026-10-31" and int(batches) > 0 and int(cards) > 0

    printed = done.stdout
    for words in ("extract load", "nightly run", "ratio", "RSS", "Airflow", "CPU during the stage", "report/lists",
                  "whole stage", "largest PostgreSQL process", "set-up before the nights (not measured)"):
        assert words in printed
    assert not _bench_databases(prefix)  # every database it made is dropped
    assert not list((tmp_path / "work").glob("landing-*"))  # and the landing area removed
    # reports on by default: the runs wrote the HTML reports and follow-up lists too
    assert list((tmp_path / "work").glob("var-*/reports/coverage_*.html"))
