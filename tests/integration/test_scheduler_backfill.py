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
import re
import secrets
import threading
import time
import warnings
from datetime import timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from tests.conftest import airflow_env
from tests.integration.airflow_services import (
    DAG_ID,
    STOP_TIMEOUT,
    Cli,
    FreshRuns,
    Services,
    dag_parsed,
    free_port,
    http_ok,
    processes_using,
    runs_finished,
    wait_for,
)
from tests.integration.pg import new_pg_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

DATES = ["2026-11-02", "2026-11-03", "2026-11-04"]
WIB = timezone(timedelta(hours=7))
RUNS_TIMEOUT = 480  # seconds for the three runs once queued (about 1 minute on an idle 2-core machine)


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

        # Meanwhile, the reference: what `airflow dags test` runs publish into a new warehouse.
        for name in ("EKTP_VAR_DIR", "EKTP_REPORT_DIR", "EKTP_DATA_DOCS_DIR"):
            monkeypatch.setenv(name, str(tmp_path / "fresh-var" / name.lower()))
        fresh_url = stack.enter_context(new_pg_database(prefix="ektp_test_fresh"))
        fresh = FreshRuns(coverage_dag, DATES, sample_landing, fresh_url)
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

            wait_for("the DAG to be parsed", lambda: dag_parsed(meta), 180, services)
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

            final = wait_for("the three backfill runs", lambda: runs_finished(meta, len(DATES)), RUNS_TIMEOUT,
                             services, interval=3)
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
            wait_for("the deadline alerts", lambda: sum(a["event"] == "deadline_missed" for a in webhook.received)
                     >= len(DATES), 90, services)
        finally:
            leftovers = services.stop()
            stopped = time.monotonic()
        if leftovers:
            warnings.warn(f"did not stop on SIGTERM within {STOP_TIMEOUT}s, killed: {leftovers}", stacklevel=1)
        assert not processes_using(home), processes_using(home)

        alerts = list(webhook.received)
        assert sorted(a["report_date"] for a in alerts if a["event"] == "deadline_missed") == DATES, alerts
        # the sample has rejected files: its runs also send data alerts (they stay green); nothing else is sent
        assert not [a for a in alerts if a["event"] not in ("deadline_missed", "data_problems")], "a run failed"
        assert {a["run_id"] for a in alerts} == {run_id for run_id, _, _, _ in final}
        assert not re.search(r"\d{16}", json.dumps(alerts)), "an alert carries something like a NIK"

        # The invariant: each date's published tables equal the reference, and no other date is published.
        fresh.assert_published_equal(pg_url)

    timings = {"reference runs": referenced - started, "migrate (rest)": migrated - referenced,
               "services ready": ready - migrated, "cli": queued - ready, "runs": ran - queued,
               "stop": stopped - ran, "total": time.monotonic() - started}
    print("timings (s):", {k: round(v, 1) for k, v in timings.items()})  # shown with pytest -rP
