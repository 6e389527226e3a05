"""Faults with real processes on PostgreSQL: nothing lost, nothing doubled, and the invariant after a rerun.

(a) the pipeline's connection is terminated (``pg_terminate_backend``) in the middle of a batch load,
    and again in the middle of the publish transaction;
(b) an ``airflow dags test`` process is SIGKILLed in the middle of a load, then the date is run again;
(c) two runs of one date start at once (two processes that plan from the same state, then both load
    and publish).

"In the middle" is made exact, not left to timing: the test holds a lock on a table the transaction
writes last (``LOCK TABLE ... ACCESS EXCLUSIVE`` in its own session), waits until the pipeline's
backend - found in pg_stat_activity by its ``application_name`` - is blocked on it with its earlier
writes done, and strikes then. Afterwards the manifest, ingest and quarantine tables must hold what
a clean sequence of runs leaves, and every published date what a fresh run in a new database
publishes for it (contract §5).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, airflow_env, fetch
from tests.integration.airflow_homes import airflow_extra_env, private_airflow_home
from tests.integration.nik_scan import landing_niks, niks_in
from tests.integration.pg import admin_engine, database_name, new_pg_database
from tests.integration.pipeline_runner import run_date

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

D1, D2 = "2026-11-02", "2026-11-03"
QUIET = {"EKTP_REPORTS": "off", "EKTP_DATA_DOCS": "off"}
#: work tables and append-only history: not "what a run leaves" (validation_result grows with every run)
NOT_STATE = {"validation_result", "pending_change", "publish_queue", "registry_nik_stage", "registry_repeated_nik",
             "schema_version", "followup_candidate_key"}
KEYS = {
    "ektp_ingest.file_manifest": "file_path, status, sha256, row_count, rows_rejected, duplicate_of, site_code",
    "ektp_ingest.recording": "file_path, row_number, nik, duplicate_status, reconciliation_status, extract_date",
    "ektp_ingest.registry_resident": "extract_date, row_number, nik",
    "ektp_ingest.registry_extract": "extract_date, file_path, rows_received, rows_rejected, target_residents",
    "ektp_ingest.published_report": "report_date, extract_date",
    "ektp_quarantine.rejected_row": "file_path, row_number, line_number, first_reason, reasons",
    "ektp_quarantine.rejected_file": "file_path, reason",
}


# --- what a warehouse holds -------------------------------------------------------------------------

def state(url: str) -> dict[str, list]:
    """Every row of the manifest, ingest and quarantine tables by its identity (other tables: counts)."""
    out: dict[str, list] = {}
    for schema, name in fetch(url, "SELECT table_schema, table_name FROM information_schema.tables "
                                   "WHERE table_schema IN ('ektp_ingest', 'ektp_quarantine') "
                                   "AND table_type = 'BASE TABLE'"):
        if name in NOT_STATE:
            continue
        qualified = f"{schema}.{name}"
        if qualified in KEYS:
            out[qualified] = sorted(map(repr, fetch(url, f"SELECT {KEYS[qualified]} FROM {qualified}")))
        else:
            out[qualified] = fetch(url, f"SELECT count(*) FROM {qualified}")
    return out


def published(url: str, day: str | None = None) -> dict[str, list]:
    """The published tables (of one report date), without published_at."""
    out = {}
    for (name,) in fetch(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ektp_coverage' "
                              "AND table_type = 'BASE TABLE' ORDER BY table_name"):
        columns = [c for c, in fetch(url, "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                          "'ektp_coverage' AND table_name = :t ORDER BY ordinal_position", t=name)
                   if c != "published_at"]
        where = " WHERE report_date = :d" if day else ""
        rows = fetch(url, f"SELECT {', '.join(columns)} FROM ektp_coverage.{name}{where}", d=day)
        out[name] = sorted(map(repr, rows))
    return out


@contextmanager
def pipeline_env(landing: Path, url: str, var_dir: Path):
    """The environment a run reads (contract §5), for runs in this process."""
    with mock.patch.dict(os.environ, {"EKTP_LANDING_DIR": str(landing), "AIRFLOW_CONN_EKTP_WAREHOUSE": url,
                                      "EKTP_VAR_DIR": str(var_dir), **QUIET}):
        yield


def drop_connections(url: str) -> None:
    admin = admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d "
                             "AND pid <> pg_backend_pid()"), {"d": database_name(url)})
    admin.dispose()


# --- the clean references ---------------------------------------------------------------------------

@dataclass(frozen=True)
class References:
    after_d1: str  # database name: the warehouse after a clean run of D1 (copied for each fault)
    state_d1_d2: dict  # after clean runs of D1 then D2
    state_d2: dict  # after one fresh run of D2
    published_d1: dict  # D1 as a fresh run of D1 publishes it
    published_d2: dict  # D2 as a fresh run of D2 publishes it


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    from tools.sample_data import generate

    root = tmp_path_factory.mktemp("fault_landing") / "landing"
    generate(root, seed=11, days=2, residents=1500, recordings_per_day=800, files_per_day=4, progress=False)
    return root


@pytest.fixture(scope="module")
def niks(landing) -> set[str]:
    return landing_niks(landing)


@pytest.fixture(scope="module")
def references(landing, tmp_path_factory):
    var = tmp_path_factory.mktemp("fault_var")
    with ExitStack() as stack:
        seq = stack.enter_context(new_pg_database())
        fresh = stack.enter_context(new_pg_database())
        with pipeline_env(landing, seq, var):
            run_date(D1)
        published_d1 = published(seq, D1)
        drop_connections(seq)
        template = stack.enter_context(new_pg_database(template=database_name(seq)))
        with pipeline_env(landing, seq, var):
            run_date(D2)
        with pipeline_env(landing, fresh, var):
            run_date(D2)
        assert published(seq, D1) == published_d1  # D2's run did not change D1
        refs = References(database_name(template), state(seq), state(fresh), published_d1, published(fresh, D2))
        drop_connections(template)
        yield refs


def assert_like_a_clean_run(url: str, refs: References, after_sequence: bool = True) -> None:
    assert state(url) == (refs.state_d1_d2 if after_sequence else refs.state_d2)
    assert published(url, D2) == refs.published_d2
    if after_sequence:
        assert published(url, D1) == refs.published_d1


# --- striking in the middle ---------------------------------------------------------------------------

@contextmanager
def table_held(url: str, qualified: str):
    """Hold ACCESS EXCLUSIVE on a table in a session of the test, until the block ends."""
    engine = sa.create_engine(url)
    conn = engine.connect()
    tx = conn.begin()
    conn.exec_driver_sql(f"LOCK TABLE {qualified} IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        tx.rollback()
        conn.close()
        engine.dispose()


def blocked_backend(url: str, app: str, table: str, alive=lambda: True, timeout: float = 240) -> int:
    """The pid of the pipeline's backend once it waits for ``table`` with its transaction open."""
    deadline = time.monotonic() + timeout
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            while time.monotonic() < deadline:
                pid = conn.execute(sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = :a AND datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE :q"), {"a": app, "q": f"%{table}%"}).scalar()
                conn.rollback()  # a fresh snapshot of pg_stat_activity next time
                if pid:
                    return pid
                assert alive(), "the pipeline ended before it reached the blocked statement"
                time.sleep(0.05)
    finally:
        engine.dispose()
    raise TimeoutError(f"no backend of {app} blocked on {table}")


def tables_written_by(url: str, pid: int) -> set[str]:
    return {r for r, in fetch(url, "SELECT relation::regclass::text FROM pg_locks WHERE pid = :p AND granted "
                                   "AND mode = 'RowExclusiveLock'", p=pid)}


def terminate(url: str, pid: int) -> None:
    assert fetch(url, "SELECT pg_terminate_backend(:p)", p=pid) == [(True,)]


def wait_gone(url: str, app: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            while conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a "
                                       "AND state <> 'idle'"), {"a": app}).scalar():
                conn.rollback()
                assert time.monotonic() < deadline, f"{app} still has a transaction open"
                time.sleep(0.1)
    finally:
        engine.dispose()


class Background(threading.Thread):
    def __init__(self, work):
        super().__init__(daemon=True)
        self.work, self.error = work, None

    def run(self):
        try:
            self.work()
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            self.error = exc


def with_app(url: str, app: str) -> str:
    return f"{url}?application_name={app}"


def d2_batch_rows(url: str) -> list:
    return fetch(url, "SELECT m.file_path FROM ektp_ingest.file_manifest m WHERE m.file_date = :d AND "
                      "m.status = 'loaded' UNION ALL SELECT file_path FROM ektp_ingest.recording WHERE "
                      "recording_date = :d UNION ALL SELECT file_path FROM ektp_quarantine.rejected_row "
                      "WHERE file_date = :d", d=D2)


# --- (a) connection dropped ----------------------------------------------------------------------------

def test_connection_dropped_mid_load_and_mid_publish(landing, references, niks, tmp_path):
    from datetime import UTC, datetime

    from ektp.airflow import tasks

    app = f"ektp_fault_a_{uuid.uuid4().hex[:6]}"
    logical = datetime.fromisoformat(f"{D2}T00:00:00+00:00").astimezone(UTC)
    with new_pg_database(template=references.after_d1) as base, pipeline_env(landing, with_app(base, app), tmp_path):
        items = tasks.plan_file_loads(logical)
        batches = [i for i in items if i["action"] == "load_batches"]
        assert batches and sum(len(i["files"]) for i in batches) >= 4
        for item in items:
            if item["action"] != "load_batches":
                tasks.load_file_group(item, "fault_a")
        before, published_before = state(base), published(base)

        with table_held(base, "ektp_ingest.validation_result"):
            load = Background(lambda: tasks.load_file_group(batches[0], "fault_a"))
            load.start()
            pid = blocked_backend(base, app, "ektp_ingest.validation_result", load.is_alive)
            # mid-load: the file rows are written, not committed
            assert {"ektp_ingest.recording", "ektp_quarantine.rejected_row",
                    "ektp_ingest.file_manifest"} <= tables_written_by(base, pid)
            terminate(base, pid)
        load.join(120)
        assert not load.is_alive() and load.error is not None
        message = "".join(str(e) for e in (load.error, load.error.__cause__, load.error.__context__) if e)
        assert not niks_in(message, niks)
        wait_gone(base, app)
        assert state(base) == before and published(base) == published_before
        assert d2_batch_rows(base) == []

        for item in batches:  # the retry of the task
            tasks.load_file_group(item, "fault_a")
        with table_held(base, "ektp_coverage.site_daily"):
            pub = Background(lambda: tasks.publish_coverage(logical, "fault_a"))
            pub.start()
            pid = blocked_backend(base, app, "ektp_coverage.site_daily", pub.is_alive)
            assert "ektp_coverage.kelurahan_daily" in tables_written_by(base, pid)  # its partition was deleted
            terminate(base, pid)
        pub.join(120)
        assert not pub.is_alive() and pub.error is not None
        wait_gone(base, app)
        assert published(base) == published_before  # a killed publish leaves the published tables as they were
        assert fetch(base, "SELECT count(*) FROM ektp_ingest.pending_change")[0][0] > 0  # the next run redoes it

        run_date(D2)
        assert_like_a_clean_run(base, references)


# --- (b) task process killed -------------------------------------------------------------------------

def test_airflow_process_killed_mid_load_then_rerun(landing, references, airflow_home, tmp_path):
    app = f"ektp_fault_b_{uuid.uuid4().hex[:6]}"
    home = private_airflow_home(airflow_home, tmp_path / "airflow")
    extra = airflow_extra_env(home, tmp_path / "var", **QUIET)
    with new_pg_database(template=references.after_d1) as base:
        url = with_app(base, app)
        published_before = published(base)
        with table_held(base, "ektp_ingest.validation_result"), (tmp_path / "killed.log").open("w") as log:
            proc = subprocess.Popen([str(ROOT / ".venv/bin/airflow"), "dags", "test", "ektp_coverage_daily", D2],
                                    env=airflow_env(landing, url, **extra), stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            try:
                pid = blocked_backend(base, app, "ektp_ingest.validation_result", lambda: proc.poll() is None)
                assert "ektp_ingest.recording" in tables_written_by(base, pid)
            finally:
                os.killpg(proc.pid, signal.SIGKILL)  # the run's whole process group, started above
                proc.wait(60)
        wait_gone(base, app)
        assert d2_batch_rows(base) == []
        assert published(base) == published_before

        with pipeline_env(landing, base, tmp_path / "var"):  # the next run of the date, as the scheduler would
            run_date(D2)
        assert_like_a_clean_run(base, references)


# --- (c) two runs at once ----------------------------------------------------------------------------

def test_two_runs_of_one_date_at_once(landing, references, tmp_path):
    with new_pg_database() as base:
        env = dict(os.environ, EKTP_LANDING_DIR=str(landing), AIRFLOW_CONN_EKTP_WAREHOUSE=base,
                   EKTP_VAR_DIR=str(tmp_path / "var"), PYTHONPATH=str(ROOT / "plugins"), **QUIET)
        barrier = tmp_path / "barrier"
        barrier.mkdir()
        runner = str(ROOT / "tests" / "integration" / "pipeline_runner.py")
        procs = [subprocess.Popen([sys.executable, runner, D2, "--barrier", str(barrier), "--party", party],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for party in ("a", "b")]
        outputs = [p.communicate(timeout=600)[0] for p in procs]
        for proc, out in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, out[-3000:]
        assert_like_a_clean_run(base, references, after_sequence=False)
