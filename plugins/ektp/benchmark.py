"""National-scale benchmark: the real DAG against the PostgreSQL COPY/SQL floor, on the same files.

``python -m ektp.benchmark`` (``make bench``) generates a landing area with the project's generator
(national scope: 5.4 million residents over every province's kelurahan codes, one night of 250,000
recordings in 1,000 batch files with the default error mix), then, on a fresh PostgreSQL database:

* **extract load**: ``airflow dags test ektp_coverage_daily <extract date>``, the run that loads the
  extract alone (and publishes that date);
* **nightly run**: ``airflow dags test ektp_coverage_daily <recording date>`` on the warehouse that
  already holds the extract: validate, load, reconcile and publish the night's batches;
* **floor**: the same files with plain ``COPY`` into unindexed text tables (the extract as CSV into
  five text columns; every batch file line by line into one text column, because malformed rows
  would stop a column-wise COPY), plus the one join and group-by that gives coverage per kelurahan.

Each DAG run is a subprocess with the environment of ``scripts/airflow-env.sh`` and its own
migrated Airflow home (SQLite metadata DB). Stage time is the span of the run's task instances
(first start to last end, from the metadata DB); Airflow's start-up (process start to the first
task) and shut-down are reported apart. Peak RSS is sampled every 0.2 s over the ``airflow``
process tree: the largest single process and the whole tree. The PostgreSQL server's own
processes are outside the tree (they are the same for pipeline and floor).

**CPU time** is sampled with the memory: the seconds of CPU the ``airflow`` tree and the PostgreSQL
server used between the stage's first task start and its last task end. Divided by the machine's
cores, it is the least wall time that work could take however well it overlapped: when that alone is
above a target ratio, no reordering of the same work can meet the target; only less work can.

``--repeat N`` runs each stage N times, alternating with its floor, each time on a fresh copy (a new
database and Airflow home); every figure is the best of the N runs, and every run is listed. The machine
this was written on is a shared VM whose speed varies by a third from one minute to the next: the best
run is the one least disturbed, for the pipeline and the floor alike.

``--sizes R:N:F,...`` runs several sizes in one go (a scaling run); consecutive sizes with the same
number of residents reuse the loaded extract (a template copy of the database), so the national
extract is loaded once. Everything generated lives under ``--workdir`` (default: a new folder in
/tmp) and is deleted afterwards unless ``--keep``; every database created is dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psutil
import psycopg

from ektp.config import PROJECT_ROOT

DAG_ID = "ektp_coverage_daily"
START_DATE = date(2026, 11, 2)  # the generator's default first recording date; the extract is dated the day before
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
SAMPLE_SECONDS = 0.2
_BLOCK = 1 << 20
GIB = 1 << 30


@dataclass(frozen=True)
class Size:
    residents: int
    recordings: int
    files: int

    def label(self) -> str:
        return f"{self.residents:,} residents / {self.recordings:,} recordings / {self.files:,} files"


@dataclass
class TaskTime:
    task_id: str
    instances: int
    total_s: float
    max_s: float


@dataclass
class Stage:
    """One measured stage: a pipeline run (the DAG) and its floor on the same files."""

    name: str
    rows: int
    pipeline_s: float = 0.0  # task instances: first start to last end
    airflow_startup_s: float = 0.0  # process start to the first task's start
    airflow_teardown_s: float = 0.0  # last task's end to process exit
    process_s: float = 0.0  # the whole `airflow dags test` subprocess
    floor_s: float = 0.0
    ratio: float = 0.0  # pipeline_s / floor_s
    pipeline_rows_per_s: float = 0.0
    floor_rows_per_s: float = 0.0
    peak_rss_process_mib: float = 0.0
    peak_rss_tree_mib: float = 0.0
    load_avg: float = 0.0  # mean 1-minute load average of the machine during the pipeline run
    cpu_airflow_s: float = 0.0  # CPU seconds of the airflow process tree during the stage (tasks' Python)
    cpu_postgres_s: float = 0.0  # CPU seconds of the PostgreSQL server during the stage
    cpu_bound_s: float = 0.0  # (cpu_airflow_s + cpu_postgres_s) / cores: the least wall time of that work
    # (all three 0 when the server's main process cannot be read: postmaster_pid)
    cpu_bound_ratio: float = 0.0  # cpu_bound_s / floor_s
    tasks: list[TaskTime] = field(default_factory=list)
    reused: bool = False  # extract stage copied from an earlier size (not measured again)
    log: str = ""
    # every repetition (--repeat), in the order run; pipeline_s and floor_s are the best of each
    pipeline_runs: list[float] = field(default_factory=list)
    floor_runs: list[float] = field(default_factory=list)

    def add_run(self, run: Stage) -> None:
        """One more repetition: keep the fastest pipeline run (its tasks and log too) and the fastest floor;
        memory is the largest of any run."""
        self.pipeline_runs.append(run.pipeline_s)
        self.floor_runs.append(run.floor_s)
        if len(self.pipeline_runs) == 1 or run.pipeline_s < self.pipeline_s:
            for name in ("pipeline_s", "airflow_startup_s", "airflow_teardown_s", "process_s", "load_avg", "tasks",
                         "log", "cpu_airflow_s", "cpu_postgres_s", "cpu_bound_s"):
                setattr(self, name, getattr(run, name))
        self.floor_s = min(self.floor_runs)
        self.peak_rss_process_mib = max(self.peak_rss_process_mib, run.peak_rss_process_mib)
        self.peak_rss_tree_mib = max(self.peak_rss_tree_mib, run.peak_rss_tree_mib)
        self.finish()

    def finish(self) -> None:
        self.ratio = self.pipeline_s / self.floor_s if self.floor_s else float("nan")
        self.pipeline_rows_per_s = self.rows / self.pipeline_s if self.pipeline_s else 0.0
        self.floor_rows_per_s = self.rows / self.floor_s if self.floor_s else 0.0
        self.cpu_bound_ratio = self.cpu_bound_s / self.floor_s if self.floor_s else 0.0


@dataclass
class Point:
    size: Size
    generate_s: float = 0.0
    extract_rows: int = 0
    batch_rows: int = 0
    batch_files: int = 0
    landing_mib: float = 0.0
    stages: list[Stage] = field(default_factory=list)
    checks: dict = field(default_factory=dict)


# --- measuring ------------------------------------------------------------------------------------


def _cpu_seconds(proc: psutil.Process) -> float:
    """User + system CPU seconds of a process, of its live descendants, and of the children it has waited for
    (their time is added to its own when they exit: PostgreSQL's backends and parallel workers, for the
    postmaster)."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def postmaster_pid(pg_url: str) -> int | None:
    """The PostgreSQL server's main process (its data directory's postmaster.pid), when this user may read it."""
    try:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            data_dir = conn.execute("SHOW data_directory").fetchone()[0]
        return int((Path(data_dir) / "postmaster.pid").read_text().split()[0])
    except (psycopg.Error, OSError, ValueError, IndexError):
        return None


class RssSampler(threading.Thread):
    """Peak RSS of a process and its descendants, sampled every ``interval`` seconds, and the CPU seconds used
    so far by that tree and by the PostgreSQL server (``cpu``: (time, tree, server) at each sample)."""

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS, postmaster: int | None = None):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.max_process = 0
        self.max_tree = 0
        self.loads: list[float] = []  # the machine's 1-minute load average while sampling (shared machine)
        self.cpu: list[tuple[datetime, float, float]] = []
        self._postmaster = None
        if postmaster is not None:
            with suppress(psutil.Error):
                self._postmaster = psutil.Process(postmaster)
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._halt.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            tree = 0
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                tree += rss
                self.max_process = max(self.max_process, rss)
            self.max_tree = max(self.max_tree, tree)
            self.loads.append(os.getloadavg()[0])
            with suppress(psutil.Error):
                server = _cpu_seconds(self._postmaster) if self._postmaster is not None else 0.0
                self.cpu.append((datetime.now(UTC), _cpu_seconds(root), server))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def cpu_between(self, start: datetime, end: datetime) -> tuple[float, float]:
        """CPU seconds (tree, server) used from ``start`` to ``end``, interpolated between samples."""
        def at(when: datetime) -> tuple[float, float]:
            before = [c for c in self.cpu if c[0] <= when] or self.cpu[:1]
            after = [c for c in self.cpu if c[0] >= when] or self.cpu[-1:]
            (t0, a0, b0), (t1, a1, b1) = before[-1], after[0]
            span = (t1 - t0).total_seconds()
            w = (when - t0).total_seconds() / span if span > 0 else 0.0
            return a0 + w * (a1 - a0), b0 + w * (b1 - b0)

        if not self.cpu:
            return 0.0, 0.0
        (a0, b0), (a1, b1) = at(start), at(end)
        return max(a1 - a0, 0.0), max(b1 - b0, 0.0)


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
    stage.load_avg = sum(sampler.loads) / len(sampler.loads) if sampler.loads else os.getloadavg()[0]
    if postmaster is not None and sampler.cpu:  # without the server's share the bound would mislead: none
        stage.cpu_airflow_s, stage.cpu_postgres_s = sampler.cpu_between(first, last)
        stage.cpu_bound_s = (stage.cpu_airflow_s + stage.cpu_postgres_s) / (os.cpu_count() or 1)


# --- the floor ------------------------------------------------------------------------------------

FLOOR_SCHEMA = "bench_floor"
FLOOR_TABLES = f"""
CREATE SCHEMA IF NOT EXISTS {FLOOR_SCHEMA};
CREATE TABLE {FLOOR_SCHEMA}.resident (nik text, full_name text, birth_date text, sex text, kelurahan_code text);
CREATE TABLE {FLOOR_SCHEMA}.batch_line (line text);
"""
# One COPY field per line: \x1f and \x1e never occur in the files.
BATCH_LINE_COPY = (f"COPY {FLOOR_SCHEMA}.batch_line (line) FROM STDIN "
                   "(FORMAT csv, HEADER true, DELIMITER E'\\x1f', QUOTE E'\\x1e')")
# The one join and group-by that gives coverage: residents per kelurahan, and how many of them were
# recorded with the same birth date and sex. The NIK is field 6 (before the name, which may hold a
# quoted comma); birth_date and sex are counted from the end of the line.
FLOOR_COVERAGE = f"""
CREATE TABLE {FLOOR_SCHEMA}.coverage AS
SELECT r.kelurahan_code, count(*) AS target_residents, count(m.nik) AS recorded
  FROM {FLOOR_SCHEMA}.resident r
  LEFT JOIN (SELECT DISTINCT split_part(line, ',', 6) AS nik, split_part(line, ',', -3) AS birth_date,
                    upper(split_part(line, ',', -2)) AS sex
               FROM {FLOOR_SCHEMA}.batch_line) m
    ON m.nik = r.nik AND m.birth_date = r.birth_date AND m.sex = r.sex
 GROUP BY r.kelurahan_code
"""


def _copy_file(cur: psycopg.Cursor, statement: str, path: Path) -> None:
    with cur.copy(statement) as copy, path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            copy.write(block)


def floor_extract(url: str, extract: Path) -> float:
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(FLOOR_TABLES)
        conn.commit()
        t0 = time.perf_counter()
        _copy_file(cur, f"COPY {FLOOR_SCHEMA}.resident FROM STDIN (FORMAT csv, HEADER true)", extract)
        conn.commit()
        return time.perf_counter() - t0


def floor_nightly(url: str, batch_files: list[Path]) -> tuple[float, int]:
    """COPY every batch file, then the coverage join; returns (seconds, recorded residents it finds)."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        t0 = time.perf_counter()
        for path in batch_files:
            _copy_file(cur, BATCH_LINE_COPY, path)
        cur.execute(FLOOR_COVERAGE)
        conn.commit()
        seconds = time.perf_counter() - t0
        recorded = cur.execute(f"SELECT coalesce(sum(recorded), 0) FROM {FLOOR_SCHEMA}.coverage").fetchone()[0]
        return seconds, int(recorded)


# --- databases and environment --------------------------------------------------------------------


def settle(url: str) -> None:
    """``VACUUM ANALYZE`` the loaded warehouse: what autovacuum does between the extract's arrival and the
    night, so each night starts, as in production, from statistics that hold every earlier date but not its
    own (a join planned on those once took minutes: tests/integration/test_stale_statistics.py)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _admin(pg_url: str) -> psycopg.Connection:
    return psycopg.connect(pg_url, autocommit=True)


def _db_url(pg_url: str, name: str) -> str:
    return pg_url.rsplit("/", 1)[0] + f"/{name}"


def create_database(pg_url: str, name: str, template: str | None = None) -> None:
    with _admin(pg_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def drop_database(pg_url: str, name: str) -> None:
    with _admin(pg_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def airflow_env(airflow_home: Path, landing: Path, warehouse_url: str, var_dir: Path,
                reports: bool = False) -> dict[str, str]:
    """The environment of ``scripts/airflow-env.sh`` (sourced), pointed at this run's home, landing and DB."""
    base = dict(os.environ)
    base.update({"AIRFLOW_HOME": str(airflow_home), "EKTP_LANDING_DIR": str(landing),
                 "AIRFLOW_CONN_EKTP_WAREHOUSE": warehouse_url})
    out = subprocess.run(["bash", "-c", '. scripts/airflow-env.sh && env -0'], env=base, cwd=PROJECT_ROOT,
                         check=True, capture_output=True).stdout
    env = dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    env.update({
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "EKTP_VAR_DIR": str(var_dir),
        # this run's outputs stay in this run's folder, whatever the calling environment points them to
        "EKTP_REPORT_DIR": str(var_dir / "reports"),
        "EKTP_DATA_DOCS_DIR": str(var_dir / "data_docs"),
        # colleagues' Data Docs are not what is measured here; the reports and follow-up lists only if asked
        "EKTP_DATA_DOCS": "off",
        "EKTP_REPORTS": "on" if reports else "off",
    })
    return env


def migrated_airflow_home(dest: Path, template: Path | None, log_dir: Path) -> float:
    """A migrated Airflow home at ``dest``: a copy of ``template``'s metadata DB, or a fresh migrate."""
    dest.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if template is not None and (template / "airflow.db").exists():
        # the SQLite backup API: a consistent copy even of a database in WAL mode that is in use
        src, dst = sqlite3.connect(template / "airflow.db"), sqlite3.connect(dest / "airflow.db")
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        return time.perf_counter() - t0
    env = dict(os.environ)
    env.update({"AIRFLOW_HOME": str(dest), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{dest / 'airflow.db'}",
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    with (log_dir / "airflow-db-migrate.log").open("w") as log:
        subprocess.run([str(PROJECT_ROOT / ".venv/bin/airflow"), "db", "migrate"], env=env, stdout=log,
                       stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - t0


def _warehouse_checks(url: str, report_date: date) -> dict:
    with psycopg.connect(url) as conn:
        kel, targets, matched = conn.execute(
            "SELECT count(*), coalesce(sum(target_residents), 0), coalesce(sum(recorded_to_date), 0) "
            "FROM ektp_coverage.kelurahan_daily WHERE report_date = %s", (report_date,)).fetchone()
        received, accepted = conn.execute(
            "SELECT coalesce(sum(rows_received), 0), coalesce(sum(rows_accepted), 0) "
            "FROM ektp_coverage.site_daily WHERE report_date = %s", (report_date,)).fetchone()
    return {"kelurahan_rows": int(kel), "target_residents": int(targets), "matched": int(matched),
            "rows_received": int(received), "rows_accepted": int(accepted)}


# --- one size ---------------------------------------------------------------------------------------


@dataclass
class _Snapshot:
    """A database holding a loaded extract (and its floor table), to copy for another size."""

    residents: int
    database: str
    extract_sha: str
    stage: Stage


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def run_point(size: Size, args: argparse.Namespace, workdir: Path, airflow_template: Path,
              snapshot: _Snapshot | None, created: list[str]) -> tuple[Point, _Snapshot | None]:
    from ektp.sample_data import generate

    point = Point(size)
    tag = f"{size.residents}-{size.recordings}-{size.files}"
    landing = workdir / f"landing-{tag}"
    logs = workdir / f"logs-{tag}"
    logs.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(landing, ignore_errors=True)
    print(f"\n== {size.label()}", flush=True)
    t0 = time.perf_counter()
    summary = generate(landing, scope="national", seed=args.seed, start_date=START_DATE, days=1,
                       residents=size.residents, recordings_per_day=size.recordings, files_per_day=size.files,
                       progress=not args.quiet)
    point.generate_s = time.perf_counter() - t0
    extract_path = summary.registry_files[0]
    extract_date = START_DATE - timedelta(days=1)
    point.extract_rows = summary.extract_rows[extract_date.isoformat()]
    point.batch_rows = summary.batch_rows
    batch_paths = sorted((landing / "batches").rglob("*.csv"))
    point.batch_files = len(batch_paths)
    point.landing_mib = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / (1 << 20)
    print(f"generated in {point.generate_s:.1f} s: {point.extract_rows:,} residents, {point.batch_rows:,} batch "
          f"rows in {len(summary.batch_files):,} files (+{len(summary.duplicate_copies)} duplicate deliveries), "
          f"{point.landing_mib:,.0f} MiB", flush=True)

    def fresh(label: str, template: str | None = None) -> tuple[str, str, dict[str, str]]:
        """A new database (a copy of ``template``) and a new Airflow home: a repetition starts from scratch."""
        name = f"ektp_bench_{uuid.uuid4().hex[:10]}"
        create_database(args.pg_url, name, template=template)
        created.append(name)
        url = _db_url(args.pg_url, name)
        home = workdir / f"airflow-{tag}-{label}"
        migrated_airflow_home(home, airflow_template, logs)
        homes.append(home)
        sa_url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return name, url, airflow_env(home, landing, sa_url, workdir / f"var-{tag}", args.reports)

    homes: list[Path] = []
    postmaster = postmaster_pid(args.pg_url)
    extract_sha = _sha256(extract_path)
    reuse = snapshot is not None and snapshot.residents == size.residents and snapshot.extract_sha == extract_sha
    if reuse:
        base = snapshot.database
        extract = Stage(**{**asdict(snapshot.stage), "tasks": snapshot.stage.tasks, "reused": True})
        print(f"extract load: reused from the earlier size ({snapshot.stage.pipeline_s:.1f} s there)", flush=True)
    else:
        # each repetition: the DAG on an empty warehouse, then the floor's COPY into the same database
        extract = Stage("extract load", rows=point.extract_rows)
        base = None
        for rep in range(args.repeat):
            print(f"extract load: airflow dags test {DAG_ID} {extract_date} ({rep + 1}/{args.repeat}) ...", flush=True)
            name, url, env = fresh(f"extract-{rep}")
            run = Stage("extract load", rows=point.extract_rows)
            run_dag(run, extract_date, env, Path(env["AIRFLOW_HOME"]), logs / f"dags-test-{extract_date}-{rep}.log",
                    postmaster)
            run.floor_s = floor_extract(url, extract_path)
            extract.add_run(run)
            if base is not None:
                drop_database(args.pg_url, base)
                created.remove(base)
            base = name  # the nightly runs start from a copy of this loaded warehouse (and floor table)
        settle(_db_url(args.pg_url, base))
        _print_stage(extract)
        if args.keep_snapshots:
            if snapshot is not None:
                drop_database(args.pg_url, snapshot.database)
                created.remove(snapshot.database)
            snapshot = _Snapshot(size.residents, base, extract_sha, extract)
    point.stages.append(extract)

    nightly = Stage("nightly run", rows=point.batch_rows)
    for rep in range(args.repeat):
        print(f"nightly run: airflow dags test {DAG_ID} {START_DATE} ({rep + 1}/{args.repeat}) ...", flush=True)
        name, url, env = fresh(f"nightly-{rep}", template=base)
        run = Stage("nightly run", rows=point.batch_rows)
        run_dag(run, START_DATE, env, Path(env["AIRFLOW_HOME"]), logs / f"dags-test-{START_DATE}-{rep}.log",
                postmaster)
        run.floor_s, floor_recorded = floor_nightly(url, batch_paths)
        nightly.add_run(run)
        point.checks = _warehouse_checks(url, START_DATE) | {"floor_recorded": floor_recorded}
        drop_database(args.pg_url, name)
        created.remove(name)
    _print_stage(nightly)
    point.stages.append(nightly)

    if snapshot is None or base != snapshot.database:
        drop_database(args.pg_url, base)
        created.remove(base)
    if not args.keep:
        shutil.rmtree(landing, ignore_errors=True)
        for home in homes:
            shutil.rmtree(home, ignore_errors=True)
    return point, snapshot


# --- reporting --------------------------------------------------------------------------------------


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
            "cpu_model": model or platform.processor(), "python": platform.python_version(),
            "date": datetime.now(UTC).astimezone().isoformat(timespec="seconds")}


def _print_stage(s: Stage) -> None:
    print(f"  {s.name}: pipeline {s.pipeline_s:.1f} s (+ Airflow start-up {s.airflow_startup_s:.1f} s, "
          f"shut-down {s.airflow_teardown_s:.1f} s), floor {s.floor_s:.1f} s, ratio {s.ratio:.2f}x, "
          f"peak RSS {s.peak_rss_process_mib:.0f} MiB (process) / {s.peak_rss_tree_mib:.0f} MiB (tree), "
          f"machine load {s.load_avg:.1f}", flush=True)
    if s.cpu_bound_s:
        print(f"    CPU during the stage: airflow {s.cpu_airflow_s:.1f} s + PostgreSQL {s.cpu_postgres_s:.1f} s; on "
              f"{os.cpu_count()} cores at least {s.cpu_bound_s:.1f} s ({s.cpu_bound_ratio:.2f}x the floor)", flush=True)
    if len(s.pipeline_runs) > 1:
        print(f"    {_runs(s.pipeline_runs, s.floor_runs)}", flush=True)
    for t in s.tasks:
        many = f" ({t.instances} instances, longest {t.max_s:.1f} s)" if t.instances > 1 else ""
        print(f"    {t.task_id:<18} {t.total_s:8.1f} s{many}", flush=True)


def _runs(pipeline_runs: list[float], floor_runs: list[float]) -> str:
    """Every repetition of a stage, for the console and the text report alike."""
    def seconds(values: list[float]) -> str:
        return ", ".join(f"{v:.1f}" for v in values) + " s"

    return f"best of {len(pipeline_runs)}: pipeline runs {seconds(pipeline_runs)}, floor runs {seconds(floor_runs)}"


def report_text(report: dict) -> str:
    m = report["machine"]
    lines = [f"e-KTP pipeline benchmark, {m['date']}",
             f"machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB RAM, Python {m['python']}",
             ""]
    head = (f"{'size (residents/recordings/files)':<34} {'stage':<13} {'pipeline s':>10} {'startup s':>9} "
            f"{'floor s':>8} {'ratio':>6} {'rows/s pipe':>11} {'rows/s floor':>12} {'RSS proc MiB':>12} "
            f"{'RSS tree MiB':>12} {'load':>5}")
    lines += [head, "-" * len(head)]
    for p in report["points"]:
        sz = p["size"]
        label = f"{sz['residents']:,}/{sz['recordings']:,}/{sz['files']:,}"
        for s in p["stages"]:
            note = " (reused)" if s["reused"] else ""
            lines.append(f"{label:<34} {s['name']:<13} {s['pipeline_s']:>10.1f} {s['airflow_startup_s']:>9.1f} "
                         f"{s['floor_s']:>8.1f} {s['ratio']:>6.2f} {s['pipeline_rows_per_s']:>11,.0f} "
                         f"{s['floor_rows_per_s']:>12,.0f} {s['peak_rss_process_mib']:>12,.0f} "
                         f"{s['peak_rss_tree_mib']:>12,.0f} {s.get('load_avg', 0):>5.1f}{note}")
    lines.append("")
    for p in report["points"]:
        sz = p["size"]
        lines.append(f"{sz['residents']:,}/{sz['recordings']:,}/{sz['files']:,}: generated in {p['generate_s']:.1f} s "
                     f"({p['landing_mib']:,.0f} MiB); published: {p['checks']}")
        for s in p["stages"]:
            tasks = ", ".join(f"{t['task_id']} {t['total_s']:.1f} s" + (f" ({t['instances']}x, max {t['max_s']:.1f})"
                                                                          if t["instances"] > 1 else "")
                              for t in s["tasks"])
            lines.append(f"  {s['name']}: {tasks}; whole `airflow dags test` {s['process_s']:.1f} s")
            if s.get("cpu_bound_s"):
                lines.append(f"    CPU: airflow {s['cpu_airflow_s']:.1f} s + PostgreSQL {s['cpu_postgres_s']:.1f} s; "
                             f"at least {s['cpu_bound_s']:.1f} s on {m['nproc']} cores "
                             f"({s['cpu_bound_ratio']:.2f}x the floor)")
            if len(s.get("pipeline_runs") or []) > 1:
                lines.append(f"    {_runs(s['pipeline_runs'], s['floor_runs'])}")
    lines.append(f"Airflow metadata DB migrate (set-up, not counted): {report['airflow_migrate_s']:.1f} s")
    return "\n".join(lines)


def report_markdown(report: dict) -> str:
    """The figures as Markdown tables (for BENCHMARKS.md)."""
    m = report["machine"]
    out = [f"Measured {m['date']} on {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB RAM, "
           f"Python {m['python']}.", "",
           "| residents / recordings / files | stage | pipeline s | floor s | pipeline / floor | rows/s pipeline "
           "| rows/s floor | Airflow start-up s | whole `dags test` s | peak RSS process MiB | peak RSS tree MiB "
           "| load avg |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for p in report["points"]:
        sz = p["size"]
        label = f"{sz['residents']:,} / {sz['recordings']:,} / {sz['files']:,}"
        for st in p["stages"]:
            name = st["name"] + (" (reused)" if st["reused"] else "")
            out.append(f"| {label} | {name} | {st['pipeline_s']:.1f} | {st['floor_s']:.1f} | **{st['ratio']:.2f}x** "
                       f"| {st['pipeline_rows_per_s']:,.0f} | {st['floor_rows_per_s']:,.0f} "
                       f"| {st['airflow_startup_s']:.1f} | {st['process_s']:.1f} | {st['peak_rss_process_mib']:,.0f} "
                       f"| {st['peak_rss_tree_mib']:,.0f} | {st.get('load_avg', 0):.1f} |")
    out += ["", "| residents / recordings / files | stage | CPU s, airflow | CPU s, PostgreSQL "
            f"| least wall time on {m['nproc']} cores, s | that / floor |", "|---|---|---:|---:|---:|---:|"]
    for p in report["points"]:
        sz = p["size"]
        label = f"{sz['residents']:,} / {sz['recordings']:,} / {sz['files']:,}"
        for st in p["stages"]:
            if st.get("cpu_bound_s") and not st["reused"]:
                out.append(f"| {label} | {st['name']} | {st['cpu_airflow_s']:.1f} | {st['cpu_postgres_s']:.1f} "
                           f"| {st['cpu_bound_s']:.1f} | {st['cpu_bound_ratio']:.2f}x |")
    out += ["", "| residents / recordings / files | stage | task | instances | seconds (sum) | longest |",
            "|---|---|---|---:|---:|---:|"]
    for p in report["points"]:
        sz = p["size"]
        label = f"{sz['residents']:,} / {sz['recordings']:,} / {sz['files']:,}"
        for st in p["stages"]:
            for t in st["tasks"]:
                out.append(f"| {label} | {st['name']} | {t['task_id']} | {t['instances']} | {t['total_s']:.1f} "
                           f"| {t['max_s']:.1f} |")
    return "\n".join(out) + "\n"


def parse_sizes(text: str) -> list[Size]:
    sizes = []
    for part in text.split(","):
        r, n, f = (int(x.replace("_", "")) for x in part.split(":"))
        sizes.append(Size(r, n, f))
    return sizes


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ektp.benchmark", description=__doc__.split("\n\n")[0])
    ap.add_argument("--residents", type=int, default=5_400_000, help="rows of the registry extract")
    ap.add_argument("--recordings", type=int, default=250_000, help="batch rows of the night")
    ap.add_argument("--files", type=int, default=1000, help="batch files of the night")
    ap.add_argument("--sizes", type=parse_sizes,
                    help="a scaling run: RESIDENTS:RECORDINGS:FILES,... (replaces the three options above)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each stage and its floor this many times, alternately, each on a fresh copy; the "
                         "figures are the best of each (a shared machine's speed varies from minute to minute)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--pg-url", default=os.environ.get("EKTP_BENCH_PG_URL", DEFAULT_PG),
                    help="an admin connection to the PostgreSQL server (databases are created and dropped)")
    ap.add_argument("--workdir", type=Path, help="where the landing areas and Airflow homes go (default: /tmp)")
    ap.add_argument("--airflow-template", type=Path,
                    help="an Airflow home whose migrated airflow.db is copied instead of running `db migrate`")
    ap.add_argument("--json", type=Path, help="also write the report as JSON here")
    ap.add_argument("--markdown", type=Path, help="also write the figures as Markdown tables here")
    ap.add_argument("--reports", action="store_true",
                    help="also write the HTML reports and follow-up lists (write_coverage_report; off by default: "
                         "issue 5's nightly run is validate, load, reconcile and publish)")
    ap.add_argument("--keep", action="store_true", help="keep the landing areas and Airflow homes")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)
    sizes = args.sizes or [Size(args.residents, args.recordings, args.files)]
    args.keep_snapshots = any(a.residents == b.residents for a, b in zip(sizes, sizes[1:], strict=False))

    signal.signal(signal.SIGTERM, _terminate)  # clean up (databases, /tmp) when stopped
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ektp-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    template = workdir / "airflow-template"
    created: list[str] = []
    points: list[Point] = []
    snapshot = None
    try:
        migrate_s = migrated_airflow_home(template, args.airflow_template, workdir)
        for size in sizes:
            point, snapshot = run_point(size, args, workdir, template, snapshot, created)
            points.append(point)
    finally:
        for name in created:
            drop_database(args.pg_url, name)
        if not args.keep:
            shutil.rmtree(template, ignore_errors=True)
            if args.workdir is None:
                shutil.rmtree(workdir, ignore_errors=True)
    report = {"machine": machine(), "airflow_migrate_s": migrate_s,
              "points": [asdict(p) for p in points]}
    print("\n" + report_text(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str))
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(report_markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
