"""A real deployment in miniature runs a real backfill (runbook: "backfill a range").

The Airflow services are started as an operator would start them: ``airflow api-server`` (only the
execution API, which LocalExecutor tasks report to), ``airflow scheduler`` (LocalExecutor),
``airflow dag-processor`` and ``airflow triggerer``, on a fresh PostgreSQL metadata database, with
AIRFLOW_HOME in tmp_path and everything on 127.0.0.1. The DAG is unpaused and
``airflow backfill create`` queues 2026-11-02..04; the scheduler runs them. Then:

- the three runs are backfill runs with logical dates 00:00 WIB of each date, and they succeed;
- each date's published tables equal what ``dag.test()`` runs publish into a new warehouse (contract
  section 5, the invariant; computed while ``airflow db migrate`` runs), and no other date is published;
- the Deadline Alert fires through the triggerer and the notifier posts it to a webhook (the
  deadline is set to under a second here, so every run is "late"), with no row content in it;
- every process the test started is stopped, and none is left (checked by AIRFLOW_HOME).

The scheduled (cron) runs are switched off (``[scheduler] use_job_schedule``) so the test does not
depend on the wall clock: with catchup off, unpausing would otherwise also queue the run for
yesterday.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.request
import warnings
from datetime import date, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, airflow_env, fetch, run_dag_test
from tests.integration.pg import new_pg_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

AIRFLOW = str(ROOT / ".venv" / "bin" / "airflow")
DAG_ID = "ektp_coverage_daily"
DATES = ["2026-11-02", "2026-11-03", "2026-11-04"]
WIB = timezone(timedelta(hours=7))
RUNS_TIMEOUT = 480  # seconds for the three runs once queued (about 1 minute on an idle 2-core machine)
STOP_TIMEOUT = 60  # seconds a service gets to exit on SIGTERM before SIGKILL
TERM_REPEAT = 10  # seconds between SIGTERMs


# --- helpers: databases, ports, a webhook -------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Webhook:
    """Collects the JSON bodies POSTed to it, on a loopback port."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts/not-a-real-token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the services -------------------------------------------------------------------------------


class Services:
    """Airflow processes, each the leader of its own process group, stopped by pid in ``stop``."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen([AIRFLOW, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"airflow {name} exited with {proc.returncode}\n{self.tail(name)}"

    def tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> list[str]:
        """SIGTERM to each process group, repeated every few seconds (a signal that lands while Airflow
        3.3.2's DAG processor is busy can be swallowed; a second one also tells the scheduler not to wait
        for running tasks), SIGKILL after STOP_TIMEOUT, then make sure every descendant is gone.
        Returns the services that had to be killed."""
        killed = []
        for name, proc in reversed(self.procs.items()):
            family = _family(proc.pid)
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
            _, alive = psutil.wait_procs(family, timeout=10)
            for p in alive:  # a descendant that left the group
                killed.append(f"{name} child {p.pid}")
                with contextlib.suppress(psutil.NoSuchProcess):
                    p.kill()
            psutil.wait_procs(alive, timeout=5)
        return killed


def _family(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


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


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


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


# --- the test -----------------------------------------------------------------------------------


def test_scheduler_runs_a_backfill_that_matches_fresh_runs(tmp_path, sample_landing, pg_url, coverage_dag,
                                                           monkeypatch):
    started = time.monotonic()
    home, logs = tmp_path / "airflow", tmp_path / "logs"
    home.mkdir()
    logs.mkdir()
    api_port = free_port()
    webhook = Webhook()
    with contextlib.ExitStack() as stack:
        stack.callback(webhook.close)
        metadata_url = stack.enter_context(new_pg_database(prefix="ektp_test_meta"))
        env = airflow_env(
            sample_landing, pg_url,
            AIRFLOW_HOME=str(home),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_url,
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            AIRFLOW__CORE__PARALLELISM="4",
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
            # As docker-compose.yml: plain dates on the command line are WIB dates.
            AIRFLOW__CORE__DEFAULT_TIMEZONE="Asia/Jakarta",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{api_port}/execution/",
            AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{api_port}/",
            AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(32),
            AIRFLOW__API__SECRET_KEY=secrets.token_urlsafe(32),
            AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
            EKTP_VAR_DIR=str(tmp_path / "var"),
            EKTP_REPORT_DIR=str(tmp_path / "var" / "reports"),
            EKTP_DATA_DOCS_DIR=str(tmp_path / "var" / "data_docs"),
            EKTP_ALERT_WEBHOOK_URL=webhook.url,
            EKTP_RUN_DEADLINE_MINUTES="0.001",  # 60 ms after queueing: every run misses it
        )
        migrate = Cli(env, logs, "db-migrate", "db", "migrate")
        stack.callback(migrate.kill)

        # Meanwhile, the reference: what dag.test() runs publish into a new warehouse. The last date runs
        # first (a fresh run: it loads every file), then the others, newest first (by the invariant the
        # same as fresh runs of each date; it checks that the order of runs does not matter, too).
        for name in ("EKTP_VAR_DIR", "EKTP_REPORT_DIR", "EKTP_DATA_DOCS_DIR"):
            monkeypatch.setenv(name, str(tmp_path / "fresh-var" / name.lower()))
        fresh_url = stack.enter_context(new_pg_database(prefix="ektp_test_fresh"))
        for day in reversed(DATES):
            assert run_dag_test(coverage_dag, day, sample_landing, fresh_url).state == "success", day
        tables = published_tables(fresh_url)
        assert {"kelurahan_daily", "kecamatan_daily", "site_daily", "rejections_daily"} <= set(tables)
        expected = {(table, day): published_rows(fresh_url, table, columns, day)
                    for table, columns in tables.items() for day in DATES}
        referenced = time.monotonic()
        migrate.result()
        migrated = time.monotonic()

        services = Services(env, logs)
        meta = sa.create_engine(metadata_url)
        stack.callback(meta.dispose)
        try:
            # Log servers are not started: they listen on every interface, and the logs are local files.
            services.start("api-server", "api-server", "--apps", "execution", "--host", "127.0.0.1",
                           "--port", str(api_port), "--workers", "1")
            services.start("scheduler", "scheduler", "--skip-serve-logs")
            services.start("dag-processor", "dag-processor")
            services.start("triggerer", "triggerer", "--skip-serve-logs")

            def parsed() -> bool:
                with meta.connect() as conn:
                    return bool(conn.execute(sa.text(
                        "SELECT 1 FROM dag d JOIN serialized_dag s ON s.dag_id = d.dag_id "
                        "WHERE d.dag_id = :dag AND NOT d.is_stale"), {"dag": DAG_ID}).first())

            wait_for("the DAG to be parsed", parsed, 180, services)
            wait_for("the execution API", lambda: http_ok(f"http://127.0.0.1:{api_port}/execution/health"),
                     120, services)
            ready = time.monotonic()

            # The runbook's commands (independent of each other, so run side by side to save time).
            unpause = Cli(env, logs, "unpause", "dags", "unpause", DAG_ID)
            backfill = Cli(env, logs, "backfill", "backfill", "create", "--dag-id", DAG_ID,
                           "--from-date", DATES[0], "--to-date", DATES[-1], "--max-active-runs", "1")
            stack.callback(unpause.kill)
            stack.callback(backfill.kill)
            unpause.result()
            backfill.result()
            queued = time.monotonic()

            def runs() -> list[tuple]:
                with meta.connect() as conn:
                    return [tuple(r) for r in conn.execute(sa.text(
                        "SELECT run_id, run_type, state, logical_date FROM dag_run WHERE dag_id = :dag "
                        "ORDER BY logical_date"), {"dag": DAG_ID})]

            def finished() -> list[tuple] | None:
                current = runs()
                if any(state == "failed" for _, _, state, _ in current):
                    return current
                done = len(current) == len(DATES) and all(state == "success" for _, _, state, _ in current)
                return current if done else None

            final = wait_for("the three backfill runs", finished, RUNS_TIMEOUT, services, interval=3)
            ran = time.monotonic()
            with meta.connect() as conn:
                failed_tasks = conn.execute(sa.text(
                    "SELECT run_id, task_id, map_index, state, try_number FROM task_instance "
                    "WHERE dag_id = :dag AND state <> 'success'"), {"dag": DAG_ID}).all()
            assert [state for _, _, state, _ in final] == ["success"] * len(DATES), (final, failed_tasks)
            assert {run_type for _, run_type, _, _ in final} == {"backfill"}
            # A backfill of 2026-11-02 is the run with logical date 2026-11-02 00:00 WIB: report date D.
            wib_dates = [logical.astimezone(WIB) for _, _, _, logical in final]
            assert [d.isoformat() for d in wib_dates] == [f"{d}T00:00:00+07:00" for d in DATES]

            # The deadline alerts, sent by the triggerer (every run was "late" by design here).
            wait_for("the deadline alerts", lambda: len(webhook.received) >= len(DATES), 90, services)
        finally:
            leftovers = services.stop()
            stopped = time.monotonic()
        if leftovers:
            warnings.warn(f"did not stop on SIGTERM within {STOP_TIMEOUT}s, killed: {leftovers}", stacklevel=1)
        assert not processes_using(home), processes_using(home)

        alerts = list(webhook.received)
        assert sorted(a["report_date"] for a in alerts if a["event"] == "deadline_missed") == DATES, alerts
        assert not [a for a in alerts if a["event"] != "deadline_missed"], "a run failed"
        assert {a["run_id"] for a in alerts} == {run_id for run_id, _, _, _ in final}
        assert not re.search(r"\d{16}", json.dumps(alerts)), "an alert carries something like a NIK"

        # The invariant: each date's published tables equal the reference, and no other date is published.
        assert published_tables(pg_url) == tables
        published_dates = {d.isoformat() for (d,) in fetch(
            pg_url, "SELECT DISTINCT report_date FROM ektp_coverage.kelurahan_daily")}
        assert published_dates == set(DATES)
        for (table, day), rows in expected.items():
            assert published_rows(pg_url, table, tables[table], day) == rows, (table, day)
            if table in {"kelurahan_daily", "kecamatan_daily", "site_daily"}:
                assert rows, (table, day)

    timings = {"reference runs": referenced - started, "migrate (rest)": migrated - referenced,
               "services ready": ready - migrated, "cli": queued - ready, "runs": ran - queued,
               "stop": stopped - ran, "total": time.monotonic() - started}
    print("timings (s):", {k: round(v, 1) for k, v in timings.items()})  # shown with pytest -rP
