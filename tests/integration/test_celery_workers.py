"""The production topology, with real processes: CeleryExecutor workers on Redis, as docker-compose.yml runs it.

On one machine, with everything on 127.0.0.1: Redis as the broker (a database number and a queue of this
test's own, so parallel sessions on the same Redis do not take each other's tasks), a fresh PostgreSQL
database as Airflow's metadata database and Celery's result backend, ``airflow api-server`` (the
execution API), ``airflow scheduler``, ``airflow dag-processor`` and two ``airflow celery worker``
processes with distinct Celery hostnames. Each worker's task instances carry its own hostname
(``[core] hostname_callable``), as on two machines. The settings are docker-compose.yml's own
(``x-airflow-common``), except the few in ``OVERRIDES``, which name this machine's services or make
the fault show within the test's time.

1. ``airflow backfill create`` queues 2026-11-02..04 and the runs succeed; the mapped
   ``load_file_group`` tasks (``EKTP_FILES_PER_GROUP`` lowered, so a date has several) ran on both
   workers, with no retry; the published tables equal what ``airflow dags test`` runs publish into a
   new warehouse (contract section 5, the invariant).
2. The fault: the 2026-11-04 run is cleared (the runbook's rerun) and, while one worker's
   ``load_file_group`` holds the warehouse's write lock (inside its load transaction), that worker and
   everything it started are SIGKILLed at one instant. The scheduler sees the task's heartbeats stop,
   the task is retried on the other worker, the run succeeds, and the published tables still equal
   the fresh runs. Nothing here waits for Redis to hand the killed task's message out again (its
   visibility timeout is docker-compose.yml's six hours).

Every process the test starts is stopped by its pid, also when the test fails, and none is left.
"""

from __future__ import annotations

import contextlib
import json
import random
import secrets
import time
import uuid
import warnings
from datetime import timedelta, timezone

import psutil
import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, airflow_env
from tests.integration.airflow_services import (
    DAG_ID,
    STOP_TIMEOUT,
    Cli,
    FreshRuns,
    Services,
    dag_parsed,
    dag_runs,
    free_port,
    http_ok,
    processes_using,
    runs_finished,
    wait_for,
)
from tests.integration.pg import database_name, new_pg_database
from tests.unit.test_compose_file import compose_airflow_environment

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

DATES = ["2026-11-02", "2026-11-03", "2026-11-04"]
RERUN = "2026-11-04T00:00:00+07:00"
WIB = timezone(timedelta(hours=7))
WORKERS = ("ektp-worker-a", "ektp-worker-b")
REDIS = ("127.0.0.1", 6379)
RUNS_TIMEOUT = 480  # seconds for the three runs once queued
FAULT_TIMEOUT = 300  # seconds for the cleared run, the kill and the retry

# docker-compose.yml's Airflow settings apply as they are, except these (docs/deployment.md lists them).
OVERRIDES = {
    # this machine's services, paths and secrets
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND", "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY", "AIRFLOW_CONN_EKTP_WAREHOUSE", "EKTP_PSEUDONYM_KEY", "EKTP_LANDING_DIR",
    "EKTP_REPORT_DIR", "EKTP_DATA_DOCS_DIR",
    # one task at a time per worker: two workers share two cores
    "AIRFLOW__CELERY__WORKER_CONCURRENCY",
    # several groups a date, so the mapped loads can spread over the workers
    "EKTP_FILES_PER_GROUP",
    # the fault within the test's time: a dead task is noticed after 20 s (not 5 min), retried at once
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT", "EKTP_RETRY_DELAY_MINUTES",
}


def redis_db_or_fail() -> int:
    """A database number of the local Redis for this test (1..15; 0 is the compose file's)."""
    import redis

    try:
        redis.Redis(*REDIS, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not answering on {REDIS[0]}:{REDIS[1]} ({type(exc).__name__}); "
                    "start it as .ci/run does: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''")
    return random.randint(1, 15)


def forget_broker_keys(db: int, token: str) -> None:
    """Remove what this test left in the shared Redis: its queue, its workers' bindings and the killed
    worker's unacknowledged message (Redis would hand it out again after the visibility timeout). Only
    keys and members that name this test's token: another session may be using the same database."""
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis(*REDIS, db=db, socket_connect_timeout=2)
        for key in client.scan_iter(match=f"*{token}*", count=1000):
            client.delete(key)
        for key in client.scan_iter(match="_kombu.binding.*", count=1000):
            ours = [m for m in client.smembers(key) if token.encode() in m]
            if ours:
                client.srem(key, *ours)
        for tag, message in client.hgetall("unacked").items():
            if token.encode() in message:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)


def task_instances(meta, run_id: str | None = None) -> list[dict]:
    """Every try of every task instance (the current ones and task_instance_history), as dicts."""
    columns = "run_id, task_id, map_index, try_number, state, hostname"
    where = "dag_id = :dag" + (" AND run_id = :run" if run_id else "")
    with meta.connect() as conn:
        rows = [dict(r._mapping, current=True) for r in conn.execute(sa.text(
            f"SELECT {columns} FROM task_instance WHERE {where}"), {"dag": DAG_ID, "run": run_id})]
        rows += [dict(r._mapping, current=False) for r in conn.execute(sa.text(
            f"SELECT {columns} FROM task_instance_history WHERE {where}"), {"dag": DAG_ID, "run": run_id})]
    return rows


def loading_with_the_write_lock(meta, warehouse, warehouse_db: str) -> tuple[str, dict] | None:
    """(worker, its running task instance) if a worker's ``load_file_group`` holds the warehouse's write lock
    (the advisory lock every writer takes first in its transaction), else None. A worker's warehouse
    connections carry its name as their application_name (PGAPPNAME)."""
    with warehouse.connect() as conn:
        holders = conn.execute(sa.text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = :db"), {"db": warehouse_db}).scalars().all()
    for worker in WORKERS:
        if worker in holders:
            with meta.connect() as conn:
                running = conn.execute(sa.text(
                    "SELECT run_id, task_id, map_index, try_number FROM task_instance "
                    "WHERE dag_id = :dag AND hostname = :host AND state = 'running'"),
                    {"dag": DAG_ID, "host": worker}).mappings().all()
            if len(running) == 1 and running[0]["task_id"] == "load_file_group":
                return worker, dict(running[0])
    return None


def test_celery_workers_run_a_backfill_and_survive_a_killed_worker(tmp_path, sample_landing, pg_url,
                                                                   coverage_dag, monkeypatch):
    from cryptography.fernet import Fernet

    started = time.monotonic()
    home, logs = tmp_path / "airflow", tmp_path / "logs"
    home.mkdir()
    logs.mkdir()
    api_port, health_port = free_port(), free_port()
    broker_db = redis_db_or_fail()
    token = uuid.uuid4().hex[:12]  # in this test's queue and Celery node names
    queue = f"ektp-test-{token}"
    var = tmp_path / "var"
    with contextlib.ExitStack() as stack:
        stack.callback(forget_broker_keys, broker_db, token)
        metadata_url = stack.enter_context(new_pg_database(prefix="ektp_test_meta"))

        compose = compose_airflow_environment()
        overrides = {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata_url}",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS[0]}:{REDIS[1]}/{broker_db}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW_CONN_EKTP_WAREHOUSE": pg_url,
            "EKTP_PSEUDONYM_KEY": secrets.token_hex(32),
            "EKTP_LANDING_DIR": str(sample_landing),
            "EKTP_REPORT_DIR": str(var / "reports"),
            "EKTP_DATA_DOCS_DIR": str(var / "data_docs"),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            "EKTP_FILES_PER_GROUP": "2",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
            "EKTP_RETRY_DELAY_MINUTES": "0",
        }
        assert set(overrides) == OVERRIDES
        assert set(compose) >= OVERRIDES, sorted(OVERRIDES - set(compose))
        unset = sorted(name for name, value in compose.items() if value is None and name not in OVERRIDES)
        assert not unset, f"docker-compose.yml requires these, the test does not set them: {unset}"
        env = airflow_env(
            sample_landing, pg_url,
            **({name: value for name, value in compose.items() if value is not None} | overrides),
            # Not in docker-compose.yml: the image's own defaults there, or what one machine needs here.
            AIRFLOW_HOME=str(home),
            AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
            AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
            AIRFLOW__OPERATORS__DEFAULT_QUEUE=queue,
            # the workers' event queues named after the token too, so that they are found and removed at the end
            AIRFLOW__CELERY__EXTRA_CELERY_CONFIG=json.dumps({"event_queue_prefix": f"celeryev-{token}"}),
            AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{api_port}/",
            AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT=str(health_port),
            AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL="5",
            # Runs come from the backfill only, not from the wall clock (see test_scheduler_backfill.py).
            AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
            EKTP_VAR_DIR=str(var),
        )
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
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
        warehouse = sa.create_engine(pg_url)
        stack.callback(meta.dispose)
        stack.callback(warehouse.dispose)
        try:
            # Log servers are not started: they listen on every interface, and the logs are local files.
            services.start("api-server", "api-server", "--apps", "execution", "--host", "127.0.0.1",
                           "--port", str(api_port), "--workers", "1")
            services.start("scheduler", "scheduler", "--skip-serve-logs")
            services.start("dag-processor", "dag-processor")
            for worker in WORKERS:
                services.start(worker, "celery", "worker", "--celery-hostname", f"{worker}-{token}@%h",
                               "--skip-serve-logs",
                               env={**env, "PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT}",
                                    "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.integration.worker_hostname.hostname",
                                    "EKTP_TEST_WORKER_HOSTNAME": worker, "PGAPPNAME": worker})

            wait_for("the DAG to be parsed", lambda: dag_parsed(meta), 180, services)
            wait_for("the execution API", lambda: http_ok(f"http://127.0.0.1:{api_port}/execution/health"),
                     120, services)
            wait_for("the scheduler", lambda: http_ok(f"http://127.0.0.1:{health_port}/health"), 120, services)
            for worker in WORKERS:
                wait_for(f"Celery worker {worker}", lambda w=worker: f"{w}-{token}@" in services.tail(w, 100_000)
                         and " ready." in services.tail(w, 100_000), 120, services, interval=1)
            ready = time.monotonic()

            # 1. The runbook's backfill (the two commands are independent: run side by side to save time).
            unpause = Cli(env, logs, "unpause", "dags", "unpause", DAG_ID)
            backfill = Cli(env, logs, "backfill", "backfill", "create", "--dag-id", DAG_ID,
                           "--from-date", DATES[0], "--to-date", DATES[-1], "--max-active-runs", "1")
            stack.callback(unpause.kill)
            stack.callback(backfill.kill)
            unpause.result()
            backfill.result()
            final = wait_for("the three backfill runs", lambda: runs_finished(meta, len(DATES)), RUNS_TIMEOUT,
                             services, interval=2)
            backfilled = time.monotonic()
            tries = task_instances(meta)
            assert [state for _, _, state, _ in final] == ["success"] * len(DATES), (final, tries)
            assert {run_type for _, run_type, _, _ in final} == {"backfill"}
            assert all(t["current"] and t["state"] == "success" and t["try_number"] == 1 for t in tries), tries
            assert {t["hostname"] for t in tries} <= set(WORKERS), tries
            loads = [t for t in tries if t["task_id"] == "load_file_group"]
            assert len(loads) > len(DATES), "EKTP_FILES_PER_GROUP=2 makes several groups a date"
            assert {t["hostname"] for t in loads} == set(WORKERS), "the mapped loads ran on both workers"
            fresh.assert_published_equal(pg_url)

            # 2. The fault: rerun 2026-11-04 and kill a worker while its load holds the write lock.
            (rerun_id,) = [run_id for run_id, _, _, logical in final if logical.astimezone(WIB).isoformat() == RERUN]
            Cli(env, logs, "clear", "tasks", "clear", DAG_ID, "-s", RERUN, "-e", RERUN, "--yes").result()
            caught = wait_for("a worker's load holding the write lock",
                              lambda: loading_with_the_write_lock(meta, warehouse, database_name(pg_url)),
                              FAULT_TIMEOUT, services, interval=0.1)
            killed, victim = caught
            killed_pids = services.kill_now(killed)
            survivor = next(w for w in WORKERS if w != killed)
            faulted = time.monotonic()

            def rerun_done():
                state = next(state for run_id, _, state, _ in dag_runs(meta) if run_id == rerun_id)
                return state if state in {"success", "failed"} else None

            assert wait_for("the rerun after the kill", rerun_done, FAULT_TIMEOUT, services) == "success", (
                task_instances(meta, rerun_id))
            recovered = time.monotonic()
            tries = task_instances(meta, rerun_id)
            same = [t for t in tries if (t["task_id"], t["map_index"]) == (victim["task_id"], victim["map_index"])]
            killed_try = next(t for t in same if t["try_number"] == victim["try_number"])
            last_try = next(t for t in same if t["current"])
            assert not killed_try["current"] and killed_try["hostname"] == killed, same
            assert killed_try["state"] == "failed", same
            assert last_try["try_number"] == victim["try_number"] + 1, same
            assert (last_try["hostname"], last_try["state"]) == (survivor, "success"), same
            # The killed worker ran nothing more, and the other one ran every task that had to run again.
            # ("removed": a mapped index of the first run that the rerun's plan no longer has, e.g. the
            # duplicate deliveries it recorded then.)
            current = [t for t in tries if t["current"] and t["state"] != "removed"]
            assert all(t["state"] == "success" for t in current), [
                (t["task_id"], t["map_index"], t["try_number"], t["state"], t["hostname"]) for t in current]
            assert {t["hostname"] for t in current if t["try_number"] > victim["try_number"]} == {survivor}
            fresh.assert_published_equal(pg_url)
            assert not [pid for pid in killed_pids if _alive(pid)], killed_pids
        finally:
            leftovers = services.stop()
            stopped = time.monotonic()
        if leftovers:
            warnings.warn(f"did not stop on SIGTERM within {STOP_TIMEOUT}s, killed: {leftovers}", stacklevel=1)
        assert not processes_using(home), processes_using(home)

    timings = {"reference runs": referenced - started, "migrate (rest)": migrated - referenced,
               "services ready": ready - migrated, "backfill": backfilled - ready,
               "until the kill": faulted - backfilled, "retry and rerun": recovered - faulted,
               "stop": stopped - recovered, "total": time.monotonic() - started}
    print("timings (s):", {k: round(v, 1) for k, v in timings.items()})  # shown with pytest -rP


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
