"""Real Airflow processes for the deployment tests: start them, wait for them, stop every one by its pid.

Shared by test_scheduler_backfill.py (LocalExecutor) and test_celery_workers.py (CeleryExecutor). Each
service is the leader of its own process group, and everything it started is found again through psutil
(Airflow's task supervisor puts each task in a process group of its own, which ``killpg`` does not reach).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from datetime import date
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT, fetch, run_dag_test

AIRFLOW = str(ROOT / ".venv" / "bin" / "airflow")
DAG_ID = "ektp_coverage_daily"
STOP_TIMEOUT = 60  # seconds a service gets to exit on SIGTERM before SIGKILL
TERM_REPEAT = 10  # seconds between SIGTERMs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


# --- processes ----------------------------------------------------------------------------------


def family(pid: int) -> list[psutil.Process]:
    """Every live descendant of ``pid``."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


class Services:
    """Airflow processes, each the leader of its own process group, stopped by pid in ``stop``."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: dict[str, subprocess.Popen] = {}
        self.dead: set[str] = set()  # killed on purpose: not expected to be alive

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen([AIRFLOW, *args], env=env or self.env, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        log.close()

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if name not in self.dead:
                assert proc.poll() is None, f"airflow {name} exited with {proc.returncode}\n{self.tail(name)}"

    def tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def kill_now(self, name: str) -> list[int]:
        """SIGKILL a service and everything it started at one instant, as if its machine died: every process
        is stopped first (SIGSTOP), so none sees another die and reacts (a task supervisor would report
        its task's end). Returns the pids killed."""
        proc = self.procs[name]
        self.dead.add(name)
        stopped: dict[int, psutil.Process] = {}
        for _ in range(5):  # a process forked while the family was being stopped is caught next round
            members = [psutil.Process(proc.pid), *family(proc.pid)] if proc.poll() is None else []
            new = [p for p in members if p.pid not in stopped]
            if not new:
                break
            for p in new:
                with contextlib.suppress(psutil.NoSuchProcess):
                    p.send_signal(signal.SIGSTOP)
                    stopped[p.pid] = p
        for p in stopped.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        psutil.wait_procs(list(stopped.values()), timeout=10)
        proc.wait(timeout=10)
        return sorted(stopped)

    def stop(self) -> list[str]:
        """SIGTERM to each process group, repeated every few seconds (a signal that lands while Airflow
        3.3.2's DAG processor is busy can be swallowed; a second one also tells the scheduler not to wait
        for running tasks), SIGKILL after STOP_TIMEOUT, then make sure every descendant is gone.
        Returns the services that had to be killed."""
        killed = []
        for name, proc in reversed(self.procs.items()):
            descendants = family(proc.pid)
            deadline = time.monotonic() + STOP_TIMEOUT
            while proc.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=TERM_REPEAT)
            if proc.poll() is None:
                killed.append(name)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # stragglers in the group (the leader is gone)
            _, alive = psutil.wait_procs(descendants, timeout=10)
            for p in alive:  # a descendant that left the group
                killed.append(f"{name} child {p.pid}")
                with contextlib.suppress(psutil.NoSuchProcess):
                    p.kill()
            psutil.wait_procs(alive, timeout=5)
        return killed


def processes_using(airflow_home: Path) -> list[str]:
    """Live processes whose environment names this AIRFLOW_HOME: after the test, there must be none."""
    found = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            if p.status() != psutil.STATUS_ZOMBIE and p.environ().get("AIRFLOW_HOME") == str(airflow_home):
                found.append(f"{p.pid} {' '.join(p.info['cmdline'] or [])}")
    return found


def wait_for(what: str, condition, timeout: float, services: Services, interval: float = 2.0):
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        services.check_alive()
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {n}\n{services.tail(n)}" for n in services.procs)
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{logs}")
        time.sleep(interval)


class Cli:
    """An ``airflow`` command in the background (so that slow commands overlap), checked by ``result``."""

    def __init__(self, env: dict[str, str], logs: Path, name: str, *args: str) -> None:
        self.args = args
        self.log = logs / f"cli-{name}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen([AIRFLOW, *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    def result(self, timeout: float = 300) -> str:
        try:
            self.proc.wait(timeout=timeout)
        finally:
            self.kill()
        output = self.log.read_text(errors="replace")
        command = " ".join(self.args)
        assert self.proc.returncode == 0, f"airflow {command}: exit {self.proc.returncode}\n{output[-4000:]}"
        return output

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


# --- the metadata database ----------------------------------------------------------------------


def dag_parsed(meta) -> bool:
    """The DAG processor has stored the DAG (the scheduler can run it)."""
    import sqlalchemy as sa

    with meta.connect() as conn:
        return bool(conn.execute(sa.text(
            "SELECT 1 FROM dag d JOIN serialized_dag s ON s.dag_id = d.dag_id "
            "WHERE d.dag_id = :dag AND NOT d.is_stale"), {"dag": DAG_ID}).first())


def dag_runs(meta) -> list[tuple]:
    """(run_id, run_type, state, logical_date) of every run, by logical date."""
    import sqlalchemy as sa

    with meta.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT run_id, run_type, state, logical_date FROM dag_run WHERE dag_id = :dag "
            "ORDER BY logical_date"), {"dag": DAG_ID})]


def runs_finished(meta, count: int):
    """The runs once ``count`` of them succeeded (or as soon as one failed), else None: for ``wait_for``."""
    current = dag_runs(meta)
    if any(state == "failed" for _, _, state, _ in current):
        return current
    done = len(current) == count and all(state == "success" for _, _, state, _ in current)
    return current if done else None


# --- comparing published tables ------------------------------------------------------------------


def published_tables(url: str) -> dict[str, list[str]]:
    """Every ektp_coverage table with a report_date, and its columns except timestamps of publishing."""
    rows = fetch(url, "SELECT table_name, column_name, data_type FROM information_schema.columns "
                      "WHERE table_schema = 'ektp_coverage' ORDER BY table_name, ordinal_position")
    tables: dict[str, list[str]] = {}
    for table, column, data_type in rows:
        if data_type != "timestamp with time zone":
            tables.setdefault(table, []).append(column)
    return {t: cols for t, cols in tables.items() if "report_date" in cols}


def published_rows(url: str, table: str, columns: list[str], day: str) -> list[tuple]:
    cols = ", ".join(f'"{c}"' for c in columns)
    return fetch(url, f"SELECT {cols} FROM ektp_coverage.{table} WHERE report_date = :d ORDER BY {cols}",
                 d=date.fromisoformat(day))


class FreshRuns:
    """What ``airflow dags test`` runs (``dag.test()``, in this process) publish into a new warehouse: the
    reference that a deployment's published tables must equal (contract section 5, the invariant).

    The last date runs first (a fresh run: it loads every file), then the others, newest first (by the
    invariant the same as fresh runs of each date; it checks that the order of runs does not matter, too).
    """

    def __init__(self, coverage_dag, dates: list[str], landing: Path, warehouse_url: str) -> None:
        for day in reversed(dates):
            assert run_dag_test(coverage_dag, day, landing, warehouse_url).state == "success", day
        self.dates = dates
        self.tables = published_tables(warehouse_url)
        assert {"kelurahan_daily", "kecamatan_daily", "site_daily", "rejections_daily"} <= set(self.tables)
        self.rows = {(table, day): published_rows(warehouse_url, table, columns, day)
                     for table, columns in self.tables.items() for day in dates}

    def assert_published_equal(self, url: str) -> None:
        """Each date's published tables equal the reference, and no other date is published."""
        assert published_tables(url) == self.tables
        published_dates = {d.isoformat() for (d,) in fetch(
            url, "SELECT DISTINCT report_date FROM ektp_coverage.kelurahan_daily")}
        assert published_dates == set(self.dates)
        for (table, day), rows in self.rows.items():
            assert published_rows(url, table, self.tables[table], day) == rows, (table, day)
            if table in {"kelurahan_daily", "kecamatan_daily", "site_daily"}:
                assert rows, (table, day)
