"""``python -m tools.benchmark`` (``make bench``, ``scripts/benchmark.sh``): options, clean-up, the report."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

from tools.benchmark.airflow_homes import migrated_airflow_home
from tools.benchmark.figures import Point, Size
from tools.benchmark.one_size import run_point
from tools.benchmark.report import machine, report_markdown, report_text
from tools.benchmark.warehouses import drop_database

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def parse_sizes(text: str) -> list[Size]:
    sizes = []
    for part in text.split(","):
        r, n, f = (int(x.replace("_", "")) for x in part.split(":"))
        sizes.append(Size(r, n, f))
    return sizes


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    from tools import benchmark  # its docstring describes the benchmark (imported here: it imports this module)

    ap = argparse.ArgumentParser(prog="python -m tools.benchmark", description=benchmark.__doc__.split("\n\n")[0])
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
    ap.add_argument("--db-prefix", default="ektp_bench_",
                    help="names of the databases it creates start with this (tests tell their own apart)")
    ap.add_argument("--workdir", type=Path, help="where the landing areas and Airflow homes go (default: /tmp)")
    ap.add_argument("--airflow-template", type=Path,
                    help="an Airflow home whose migrated airflow.db is copied instead of running `db migrate`")
    ap.add_argument("--json", type=Path, help="also write the report as JSON here")
    ap.add_argument("--markdown", type=Path, help="also write the figures as Markdown tables here")
    ap.add_argument("--reports", action=argparse.BooleanOptionalAction, default=True,
                    help="run the night as scheduled: write_coverage_report writes the HTML reports, the follow-up "
                         "lists and the outreach list by name (on by default; --no-reports: validate, load, "
                         "reconcile and publish only, issue 5's definition of the night)")
    ap.add_argument("--card-events", type=int, nargs="?", const=-1, default=0, metavar="N",
                    help="the night also holds N card events (default: as many as its recordings) for people "
                         "recorded on the 30 days before it, whose recordings and earlier card events a set-up run "
                         "loads after the extract load and before the night, unmeasured (BENCHMARKS.md)")
    ap.add_argument("--scaling", action="store_true",
                    help="also run a night of 4x the recordings and files on the same extract (the scaling pair)")
    ap.add_argument("--keep", action="store_true", help="keep the landing areas and Airflow homes")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)
    sizes = args.sizes or [Size(args.residents, args.recordings, args.files)]
    if args.scaling:
        sizes += [Size(s.residents, 4 * s.recordings, 4 * s.files) for s in list(sizes)]
    if args.card_events:
        sizes = [replace(s, card_events=s.recordings if args.card_events < 0 else args.card_events) for s in sizes]
        sizes.sort(key=lambda s: (s.residents, s.recordings))
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
