"""The callables behind the DAG's tasks. Each opens its own warehouse engine and returns only
counts, paths and dates (XComs never carry row content or NIKs).

Heavy libraries (pandas, Great Expectations) load inside the functions, when a task runs,
so importing this module while the DAG is parsed stays cheap.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from ektp.core.calendar import report_date_of
from ektp.core.settings import settings

log = logging.getLogger(__name__)


def _engine():
    from ektp.warehouse import make_engine

    return make_engine()


def plan_file_loads(logical_date: datetime | None, run_after: datetime | None = None) -> list[dict]:
    from ektp.ingest.planning import plan_loads
    from ektp.warehouse import migrate

    cfg = settings()
    engine = _engine()
    migrate(engine)
    plan = plan_loads(engine, cfg.landing_dir, report_date_of(logical_date, run_after), cfg.files_per_group,
                      cfg.group_bytes, cfg.accept_extract)
    return plan.work_items()


def describe_item(item: dict) -> str:
    """A short label for the Airflow UI's mapped task list."""
    if item["action"] == "load_batches":
        files = item["files"]
        return f"{len(files)} batch files {files[0]['file_date']}..{files[-1]['file_date']}"
    if item["action"] == "load_registry":
        dates = ", ".join(f["file_date"] for f in item["files"])
        return f"extracts {dates}" if dates else "extract verdicts"
    return "duplicate deliveries and removed files"


def load_file_group(item: dict, run_id: str) -> dict:
    """One work item of the plan: record skipped files, load an extract, or load a group of batches."""
    action = item["action"]
    if action == "record_skipped":
        return record_skipped_files(item, run_id)
    if action == "load_registry":
        return {"files": load_registry_extracts(item, run_id)}
    if action == "load_batches":
        return {"files": load_batch_group(item["files"], run_id)}
    raise ValueError(f"unknown work item {action!r}")


def record_skipped_files(plan: dict, run_id: str) -> dict:
    """Batch files: duplicate deliveries are recorded (rows not loaded); files that cannot be read safely are
    rejected; files gone from the landing area are forgotten; unchanged files get their new times."""
    from ektp import warehouse as wh
    from ektp.ingest import manifest

    with wh.transaction(_engine()) as conn:
        manifest.skip_files(conn, *_skipped(plan), run_id, refused=_refused(plan),
                            retimed=[tuple(r) for r in plan.get("retimed", [])])
    return {"duplicates": len(plan["duplicates"]), "refused": len(plan.get("refused", [])),
            "removed": len(plan["removed"]), "retimed": len(plan.get("retimed", []))}


def _skipped(plan: dict) -> tuple[list, list]:
    from ektp.ingest.landing import LandedFile

    return ([(LandedFile.from_xcom(data), original) for data, original in plan["duplicates"]],
            [(path, date.fromisoformat(day)) for path, day in plan["removed"]])


def _refused(plan: dict) -> list:
    from ektp.ingest.landing import LandedFile

    return [(LandedFile.from_xcom(data), reason) for data, reason in plan.get("refused", [])]


def load_batch_group(group: list[dict], run_id: str) -> list[dict]:
    from dataclasses import asdict

    from ektp.ingest.batches import load_batch_files
    from ektp.ingest.landing import LandedFile

    cfg = settings()
    files = [LandedFile.from_xcom(f) for f in group]
    return [asdict(o) for o in load_batch_files(_engine(), cfg.landing_dir, files, run_id, cfg.chunk_rows,
                                                cfg.slice_bytes)]


def load_registry_extracts(item: dict, run_id: str) -> list[dict]:
    """Every extract change of the run, judged in date order (ektp.ingest.registry.load_registry_files)."""
    from dataclasses import asdict

    from ektp.ingest.landing import LandedFile
    from ektp.ingest.registry import load_registry_files

    cfg = settings()
    duplicates, removed = _skipped(item)
    return [asdict(o) for o in load_registry_files(
        _engine(), cfg.landing_dir, [LandedFile.from_xcom(f) for f in item["files"]], run_id, cfg.chunk_rows,
        cfg.accept_extract, duplicates, removed, _refused(item))]


def publish_coverage(logical_date: datetime | None, run_id: str, run_after: datetime | None = None) -> dict:
    from ektp.publish.publishing import publish

    return publish(_engine(), report_date_of(logical_date, run_after), run_id).to_xcom()


def write_coverage_report(published: dict | None, logical_date: datetime | None,
                          run_after: datetime | None = None) -> dict:
    """HTML reports and follow-up lists of every date the run published (a late file republishes
    earlier dates: their reports and lists are rewritten too). ``EKTP_REPORTS=off`` skips it all."""
    from ektp.outputs import followup, report

    if not followup.reports_enabled():
        log.info("EKTP_REPORTS is off: no HTML report and no follow-up lists")
        return {"skipped": True}
    published = published or {}
    days = [date.fromisoformat(d) for d in published.get("published_dates") or []]
    if not days:
        days = [date.fromisoformat(published["report_date"]) if published.get("report_date")
                else report_date_of(logical_date, run_after)]
    cfg = settings()
    engine = _engine()
    paths = report.write_reports(engine, days, cfg.report_dir)
    lists = [followup.write_followups(engine, d, cfg.report_dir) for d in days]
    outreach = followup.write_outreach_residents(engine)
    return {"reports": [str(p) for p in paths], "followup": lists, **outreach}
