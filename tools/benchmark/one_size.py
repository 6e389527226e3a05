"""One size: generate its landing area, then each stage (extract load, nightly run) N times and its floor."""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from tools.benchmark.airflow_homes import airflow_env, migrated_airflow_home
from tools.benchmark.dag_runs import DAG_ID, START_DATE, run_dag
from tools.benchmark.figures import Point, Size, Stage
from tools.benchmark.floor import floor_extract, floor_nightly
from tools.benchmark.report import print_stage
from tools.benchmark.sampling import postmaster_pid
from tools.benchmark.warehouses import create_database, db_url, drop_database, settle, warehouse_checks
from tools.sample_data import generate


@dataclass
class Snapshot:
    """A database holding a loaded extract (and its floor table), to copy for another size."""

    residents: int
    database: str
    extract_sha: str
    stage: Stage


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def run_point(size: Size, args: argparse.Namespace, workdir: Path, airflow_template: Path,
              snapshot: Snapshot | None, created: list[str]) -> tuple[Point, Snapshot | None]:
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
                       progress=not args.quiet, card_night=size.card_events)
    point.generate_s = time.perf_counter() - t0
    extract_path = summary.registry_files[0]
    extract_date = START_DATE - timedelta(days=1)
    point.extract_rows = summary.extract_rows[extract_date.isoformat()]
    point.batch_rows = summary.batch_rows
    point.card_rows = summary.card_rows
    point.history_batch_rows, point.history_card_rows = summary.history_batch_rows, summary.history_card_rows
    # the night's files (copies included): what the nightly floor COPYs
    batch_paths = sorted((landing / "batches" / START_DATE.isoformat()).rglob("*.csv"))
    card_paths = sorted((landing / "cards" / START_DATE.isoformat()).rglob("*.csv"))
    point.batch_files, point.card_files = len(batch_paths), len(card_paths)
    point.landing_mib = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / (1 << 20)
    print(f"generated in {point.generate_s:.1f} s: {point.extract_rows:,} residents, {point.batch_rows:,} batch "
          f"rows in {len(summary.batch_files):,} files, {summary.card_rows:,} card events in "
          f"{len(summary.card_files):,} files (+{len(summary.duplicate_copies)} duplicate deliveries), history "
          f"{summary.history_batch_rows:,} recordings and {summary.history_card_rows:,} card events, "
          f"{point.landing_mib:,.0f} MiB", flush=True)
    # the extract load sees no history: it runs on the landing area without the folders dated before the extract
    # (hard links: the same files, so the set-up run later finds the extract unchanged)
    extract_landing = _without_history(landing, workdir / f"landing-extract-{tag}", extract_date) if (
        summary.history_batch_files) else landing

    def fresh(label: str, template: str | None = None, landing_dir: Path = landing,
              reports: bool = args.reports) -> tuple[str, str, dict[str, str]]:
        """A new database (a copy of ``template``) and a new Airflow home: a repetition starts from scratch."""
        name = f"{args.db_prefix}{uuid.uuid4().hex[:10]}"
        create_database(args.pg_url, name, template=template)
        created.append(name)
        url = db_url(args.pg_url, name)
        home = workdir / f"airflow-{tag}-{label}"
        migrated_airflow_home(home, airflow_template, logs)
        homes.append(home)
        sa_url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return name, url, airflow_env(home, landing_dir, sa_url, workdir / f"var-{tag}", reports)

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
            name, url, env = fresh(f"extract-{rep}", landing_dir=extract_landing)
            run = Stage("extract load", rows=point.extract_rows)
            run_dag(run, extract_date, env, Path(env["AIRFLOW_HOME"]), logs / f"dags-test-{extract_date}-{rep}.log",
                    postmaster)
            run.floor_s = floor_extract(url, extract_path)
            extract.add_run(run)
            if base is not None:
                drop_database(args.pg_url, base)
                created.remove(base)
            base = name  # the nightly runs start from a copy of this loaded warehouse (and floor table)
        settle(db_url(args.pg_url, base))
        print_stage(extract)
        if args.keep_snapshots:
            if snapshot is not None:
                drop_database(args.pg_url, snapshot.database)
                created.remove(snapshot.database)
            snapshot = Snapshot(size.residents, base, extract_sha, extract)
    point.stages.append(extract)

    night_base = base
    if summary.history_batch_files:
        # set-up, not measured: the history (recordings and card events dated before the extract) loaded by a run
        # dated the day before the extract (one dated the extract's date would validate the extract again), on the
        # whole landing area, without reports; it republishes the extract's date. The nights start from copies.
        history_date = extract_date - timedelta(days=1)
        print(f"set-up (not measured): airflow dags test {DAG_ID} {history_date} loads the history ...", flush=True)
        night_base, url, env = fresh("setup", template=base, reports=False)
        setup = Stage("set-up", rows=point.history_batch_rows + point.history_card_rows)
        run_dag(setup, history_date, env, Path(env["AIRFLOW_HOME"]), logs / f"dags-test-{history_date}-setup.log")
        settle(url)
        point.setup_s = setup.pipeline_s
        print(f"set-up: {setup.pipeline_s:.1f} s", flush=True)

    night_rows = point.batch_rows + point.card_rows
    nightly = Stage("nightly run", rows=night_rows)
    for rep in range(args.repeat):
        print(f"nightly run: airflow dags test {DAG_ID} {START_DATE} ({rep + 1}/{args.repeat}) ...", flush=True)
        name, url, env = fresh(f"nightly-{rep}", template=night_base)
        run = Stage("nightly run", rows=night_rows)
        run_dag(run, START_DATE, env, Path(env["AIRFLOW_HOME"]), logs / f"dags-test-{START_DATE}-{rep}.log",
                postmaster)
        run.floor_s, floor_recorded = floor_nightly(url, batch_paths, card_paths)
        nightly.add_run(run)
        point.checks = warehouse_checks(url, START_DATE) | {"floor_recorded": floor_recorded}
        drop_database(args.pg_url, name)
        created.remove(name)
    print_stage(nightly)
    point.stages.append(nightly)

    if night_base != base:
        drop_database(args.pg_url, night_base)
        created.remove(night_base)
    if snapshot is None or base != snapshot.database:
        drop_database(args.pg_url, base)
        created.remove(base)
    if not args.keep:
        shutil.rmtree(landing, ignore_errors=True)
        if extract_landing != landing:
            shutil.rmtree(extract_landing, ignore_errors=True)
        for home in homes:
            shutil.rmtree(home, ignore_errors=True)
    return point, snapshot


def _without_history(landing: Path, dest: Path, extract_date: date) -> Path:
    """``landing`` less its batch and card folders dated before ``extract_date``, as hard links under ``dest``."""
    shutil.rmtree(dest, ignore_errors=True)
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        rel = path.relative_to(landing)
        if rel.parts[0] in ("batches", "cards") and rel.parts[1] < extract_date.isoformat():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        os.link(path, dest / rel)
    return dest
