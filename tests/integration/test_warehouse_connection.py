"""The warehouse comes from Airflow's connection layer, and a wrong or missing one fails fast, saying why.

Real `airflow dags test` runs (the CLI, as an operator types it) and a real PostgreSQL server: no mocks.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, airflow_env, fetch

AIRFLOW = str(ROOT / ".venv" / "bin" / "airflow")
DAY = "2026-11-03"


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def _dags_test(env: dict[str, str], timeout: int = 240) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run([AIRFLOW, "dags", "test", "ektp_coverage_daily", DAY], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=env["EKTP_VAR_DIR"])
    return done, time.monotonic() - started


def _isolated_env(tmp_path: Path, landing: Path, warehouse_url: str | None) -> dict[str, str]:
    """The contract's environment, every folder of the run under ``tmp_path/var`` (not yet created)."""
    var = tmp_path / "var"
    env = airflow_env(landing, warehouse_url or "", EKTP_VAR_DIR=str(var), EKTP_REPORT_DIR=str(var / "reports"),
                      EKTP_DATA_DOCS_DIR=str(var / "data_docs"))
    if warehouse_url is None:
        env.pop("AIRFLOW_CONN_EKTP_WAREHOUSE")
    var.mkdir()
    return env


def test_a_run_without_the_connection_fails_at_once_saying_how_to_define_it(airflow_home, sample_landing,
                                                                            tmp_path):
    project_sqlite = ROOT / "var" / "warehouse.sqlite"
    before = project_sqlite.stat().st_mtime_ns if project_sqlite.exists() else None
    landing_before = _files(sample_landing)
    env = _isolated_env(tmp_path, sample_landing, None)

    done, seconds = _dags_test(env)

    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    assert seconds < 90, f"took {seconds:.0f} s"
    assert "the Airflow connection `ektp_warehouse` is not defined" in output, output[-3000:]
    assert "AIRFLOW_CONN_EKTP_WAREHOUSE=postgresql://" in output and "airflow connections add" in output
    assert "Configuration error, not retried" in output
    assert "up_for_retry" not in output.lower() and output.count("No tasks to run") < 5  # no retry waited for
    # Nothing written anywhere: no SQLite file, no report, no Data Docs, the landing area untouched.
    assert _files(tmp_path / "var") == []
    assert (project_sqlite.stat().st_mtime_ns if project_sqlite.exists() else None) == before
    assert _files(sample_landing) == landing_before


def test_a_wrong_database_name_fails_in_seconds_naming_connection_host_and_database(airflow_home,
                                                                                   sample_landing, tmp_path):
    env = _isolated_env(tmp_path, sample_landing, "postgresql://postgres@127.0.0.1:5432/ektp_no_such_database")

    done, seconds = _dags_test(env)

    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    assert seconds < 60, f"took {seconds:.0f} s"
    failure = next(line for line in output.splitlines() if "Configuration error, not retried" in line)
    for named in ("ektp_warehouse", "host 127.0.0.1", "database ektp_no_such_database",
                  'database "ektp_no_such_database" does not exist'):
        assert named in failure, (named, failure)
    assert "up_for_retry" not in output.lower() and output.count("No tasks to run") < 5
    assert _files(tmp_path / "var") == []


def test_the_connection_may_live_in_the_metadata_database_for_tasks_and_commands(airflow_home, sample_landing,
                                                                                  tmp_path):
    """`airflow connections add` (not an environment variable) chooses the embedded warehouse; the DAG run and
    the command-line tools both find it there."""
    warehouse = tmp_path / "chosen.sqlite"
    env = {**_isolated_env(tmp_path, sample_landing, None), "EKTP_REPORTS": "off", "EKTP_DATA_DOCS": "off"}
    subprocess.run([AIRFLOW, "connections", "add", "ektp_warehouse", "--conn-uri", f"sqlite:///{warehouse}"],
                   env=env, check=True, capture_output=True, timeout=120)
    try:
        done, _ = _dags_test(env, timeout=400)
        assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
        table = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "ektp.outputs.coverage_table",
                                "--date", DAY], env=env, capture_output=True, text=True, timeout=120)
    finally:
        subprocess.run([AIRFLOW, "connections", "delete", "ektp_warehouse"], env=env, capture_output=True,
                       timeout=120)
    assert table.returncode == 0, table.stderr[-3000:]
    (published,) = fetch(f"sqlite:///{warehouse}", "SELECT count(*) FROM ektp_coverage.kecamatan_daily "
                                                   "WHERE report_date = :d", d=DAY)
    assert published[0] > 0
    kecamatan = fetch(f"sqlite:///{warehouse}", "SELECT kecamatan_name FROM ektp_coverage.kecamatan_daily "
                                                "WHERE report_date = :d", d=DAY)
    assert all(name in table.stdout for (name,) in kecamatan), table.stdout


@pytest.mark.parametrize("command", [["ektp.outputs.coverage_table", "--date", DAY],
                                     ["ektp.admin.retract", "--date", DAY, "--reason", "test", "--dry-run"],
                                     ["ektp.admin.security", "purge-quarantine"]])
def test_a_command_without_the_connection_says_how_to_define_it_and_writes_nothing(airflow_home, sample_landing,
                                                                                   tmp_path, command):
    env = _isolated_env(tmp_path, sample_landing, None)
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", *command], env=env, capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines()[-1].startswith(
        "error: No warehouse: the Airflow connection `ektp_warehouse` is not defined"), done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert _files(tmp_path / "var") == []
