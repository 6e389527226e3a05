"""One ``airflow dags test`` run, timed from its task instances (metadata DB and log), sampled while it runs."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ektp.core.settings import PROJECT_ROOT

from tools.benchmark.figures import Stage, TaskTime
from tools.benchmark.sampling import RssSampler

DAG_ID = "ektp_coverage_daily"
START_DATE = date(2026, 11, 2)  # the generator's default first recording date; the extract is dated the day before


def _utc(text: str | None) -> datetime | None:
    if not text:
        return None
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _task_instances(airflow_home: Path, since: datetime, finished: bool = True) -> list[tuple]:
    """(task_id, start, end, state) of the task instances this DAG ran after ``since`` (metadata DB)."""
    db = sqlite3.connect(f"file:{airflow_home / 'airflow.db'}?mode=ro", uri=True, timeout=10)
    try:
        rows = db.execute("SELECT task_id, start_date, end_date, state, id FROM task_instance WHERE dag_id = ?",
                          (DAG_ID,)).fetchall()
    finally:
        db.close()
    out = []
    for task_id, start, end, state, ti_id in rows:
        start, end = _utc(start), _utc(end)
        if start is not None and start >= since and (end is not None or not finished):
            out.append((task_id, start, end, state, str(ti_id).replace("-", "")))
    return out


_TASK_STARTED = re.compile(r"^(\S+Z) .*\bTask started\b.*\bti_id=([0-9a-f-]+)")


def _task_starts(log_path: Path) -> dict[str, datetime]:
    """When each task instance's code began, from the log (``Task started``, by ti_id). The metadata DB's
    start_date is set before that, and for the first task it includes the in-process Execution API's start
    (~10-30 s of Airflow, not of the pipeline)."""
    starts = {}
    with log_path.open(errors="replace") as fh:
        for line in fh:
            found = _TASK_STARTED.match(line)
            if found:
                starts.setdefault(found.group(2).replace("-", ""), _utc(found.group(1).replace("Z", "+00:00")))
    return starts


def _wait_failing_fast(proc: subprocess.Popen, airflow_home: Path, since: datetime) -> int:
    """The exit code; a task that fails (up for retry: the DAG retries after minutes) stops the run at once."""
    while True:
        try:
            return proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        try:
            failed = [t for t in _task_instances(airflow_home, since, finished=False)
                      if t[3] in ("up_for_retry", "failed", "upstream_failed")]
        except sqlite3.Error:
            continue  # the metadata DB is busy: ask again
        if failed:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return -1


def run_dag(stage: Stage, report_date: date, env: dict[str, str], airflow_home: Path, log_path: Path,
            postmaster: int | None = None) -> None:
    """``airflow dags test ektp_coverage_daily D`` as a subprocess; fills the stage's pipeline figures."""
    started_wall = datetime.now(UTC) - timedelta(seconds=1)  # metadata timestamps vs. our clock
    t0 = time.perf_counter()
    wall0 = datetime.now(UTC)
    with log_path.open("w") as log:
        proc = subprocess.Popen([str(PROJECT_ROOT / ".venv/bin/airflow"), "dags", "test", DAG_ID,
                                 report_date.isoformat()], env=env, stdout=log, stderr=subprocess.STDOUT,
                                cwd=PROJECT_ROOT, start_new_session=True)
        sampler = RssSampler(proc.pid, postmaster=postmaster)
        sampler.start()
        try:
            rc = _wait_failing_fast(proc, airflow_home, started_wall)
        except BaseException:  # interrupted: take the whole airflow process group down with us
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        finally:
            sampler.stop()
    stage.process_s = time.perf_counter() - t0
    wall1 = datetime.now(UTC)
    stage.log = str(log_path)
    starts = _task_starts(log_path)
    tis = [(task_id, max(start, starts.get(ti_id, start)), end, state)
           for task_id, start, end, state, ti_id in _task_instances(airflow_home, started_wall)]
    failed = [t for t in tis if t[3] != "success"]
    if rc != 0 or not tis or failed:
        tail = log_path.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"airflow dags test {report_date} failed (exit {rc}, failed tasks "
                           f"{[t[0] for t in failed]}); log {log_path}:\n{tail}")
    first = min(t[1] for t in tis)
    last = max(t[2] for t in tis)
    stage.pipeline_s = (last - first).total_seconds()
    stage.airflow_startup_s = max(0.0, (first - wall0).total_seconds())
    stage.airflow_teardown_s = max(0.0, (wall1 - last).total_seconds())
    by_task: dict[str, list[float]] = {}
    for task_id, start, end, _ in sorted(tis, key=lambda t: t[1]):
        by_task.setdefault(task_id, []).append((end - start).total_seconds())
    stage.tasks = [TaskTime(k, len(v), sum(v), max(v)) for k, v in by_task.items()]
    stage.peak_rss_process_mib = sampler.max_process / (1 << 20)
    stage.peak_rss_tree_mib = sampler.max_tree / (1 << 20)
    stage.peak_rss_server_mib = sampler.max_server_process / (1 << 20)
    stage.load_avg = sum(sampler.loads) / len(sampler.loads) if sampler.loads else os.getloadavg()[0]
    if postmaster is not None and sampler.cpu:  # without the server's share the bound would mislead: none
        stage.cpu_airflow_s, stage.cpu_postgres_s = sampler.cpu_between(first, last)
        stage.cpu_bound_s = (stage.cpu_airflow_s + stage.cpu_postgres_s) / (os.cpu_count() or 1)
