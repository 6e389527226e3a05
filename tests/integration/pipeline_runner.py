"""Run one report date the way the DAG does, without Airflow: plan -> every load item -> publish.

The same task callables as the DAG (``ektp.airflow.tasks``), with the work items passed through JSON as
XComs carry them. Used in-process by the corpus and fault tests, and as a separate process
(``python tests/integration/pipeline_runner.py 2026-11-03``) where real concurrency is needed.
The environment must name the landing area and the warehouse (contract §5).

``--barrier DIR --party NAME --parties N``: after planning, wait until N processes have planned
(each touches ``DIR/NAME``), so that concurrent runs all plan from the same warehouse state.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path


def run_date(report_date: date | str, run_id: str | None = None, barrier: tuple[Path, str, int] | None = None,
             reports: bool = False) -> dict:
    from ektp.airflow import tasks
    from ektp.core.calendar import report_date_end

    day = date.fromisoformat(str(report_date))
    logical = datetime(day.year, day.month, day.day, tzinfo=UTC)
    after = report_date_end(day)  # as the nightly run: once D has ended (a test's dates may lie ahead)
    run_id = run_id or f"test__{day.isoformat()}__{uuid.uuid4().hex[:8]}"
    items = json.loads(json.dumps(tasks.plan_file_loads(logical, after)))
    if barrier is not None:
        folder, party, parties = barrier
        (folder / party).touch()
        deadline = time.monotonic() + 300
        while len(list(folder.iterdir())) < parties:
            if time.monotonic() > deadline:
                raise TimeoutError("the other runs did not plan in time")
            time.sleep(0.05)
    loads = [json.loads(json.dumps(tasks.load_file_group(item, run_id))) for item in items]
    published = tasks.publish_coverage(logical, run_id, after)
    out = {"items": items, "loads": loads, "published": published}
    if reports:
        out["reports"] = tasks.write_coverage_report(published, logical, after)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report_date")
    ap.add_argument("--barrier", type=Path)
    ap.add_argument("--party", default="a")
    ap.add_argument("--parties", type=int, default=2)
    args = ap.parse_args(argv)
    barrier = (args.barrier, args.party, args.parties) if args.barrier else None
    result = run_date(args.report_date, barrier=barrier)
    print(json.dumps(result["published"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
