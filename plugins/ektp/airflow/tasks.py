"""The callables behind the DAG's tasks. Each opens its own warehouse engine (the ``ektp_warehouse``
connection) and returns only counts, paths and dates (XComs never carry row content or NIKs). Each fails fast
on a configuration error (``ektp.airflow.failures``).

Heavy libraries (pandas, Great Expectations) load inside the functions, when a task runs,
so importing this module while the DAG is parsed stays cheap.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from ektp.airflow.failures import fail_fast
from ektp.core.calendar import UnfinishedReportDate, refuse_unfinished, report_date_of
from ektp.core.settings import settings

if TYPE_CHECKING:
    from ektp.ingest.work_items import WorkItem

log = logging.getLogger(__name__)


def _engine():
    from ektp.warehouse import make_engine

    return make_engine()


def run_report_date(logical_date: datetime | None, run_after: datetime | None = None,
                    requested: str | None = None) -> date:
    """The report date of a run (``requested``: the trigger form's report date, if one was given), refused
    (the task fails at once, no retry) unless it has ended in WIB.

    ``run_after`` is when Airflow lets the run start (``airflow dags test``: the moment it was called);
    without it (a run outside Airflow), the clock.
    """
    day = report_date_of(logical_date, run_after, requested)
    try:
        refuse_unfinished(day, run_after or datetime.now(UTC))
    except UnfinishedReportDate as refused:
        from airflow.sdk.exceptions import AirflowFailException

        log.error("%s", refused)
        raise AirflowFailException(str(refused)) from None
    return day


@fail_fast
def plan_file_loads(logical_date: datetime | None, run_after: datetime | None = None,
                    requested: str | None = None) -> list[dict]:
    from ektp.ingest.planning import plan_loads
    from ektp.warehouse import migrate

    day = run_report_date(logical_date, run_after, requested)  # before anything is opened: a refusal changes nothing
    cfg = settings()
    engine = _engine()
    migrate(engine)
    plan = plan_loads(engine, cfg.landing_dir, day, cfg.files_per_group,
                      cfg.group_bytes, cfg.accept_extract)
    return [item.to_xcom() for item in plan.work_items()]


def describe_item(item: dict) -> str:
    """A short label for the Airflow UI's mapped task list."""
    from ektp.ingest.work_items import WorkItem

    return WorkItem.from_xcom(item).label()


@fail_fast
def load_file_group(item: dict, run_id: str) -> dict:
    """One work item of the plan: record skipped files, load the extracts, or load a group of batch or card-event
    files."""
    from ektp.ingest.work_items import WorkItem, WorkKind

    work = WorkItem.from_xcom(item)
    if work.kind == WorkKind.RECORD_SKIPPED:
        from ektp.ingest.manifest import record_skipped

        return record_skipped(_engine(), work, run_id)
    if work.kind == WorkKind.LOAD_REGISTRY:
        return {"files": load_registry_extracts(work, run_id)}
    if work.kind == WorkKind.LOAD_CARDS:
        return {"files": load_card_group(work, run_id)}
    return {"files": load_batch_group(work, run_id)}


def load_batch_group(work: WorkItem, run_id: str) -> list[dict]:
    from dataclasses import asdict

    from ektp.ingest.batches import load_batch_files

    cfg = settings()
    return [asdict(o) for o in load_batch_files(_engine(), cfg.landing_dir, work.files, run_id, cfg.chunk_rows,
                                                cfg.slice_bytes)]


def load_card_group(work: WorkItem, run_id: str) -> list[dict]:
    from dataclasses import asdict

    from ektp.ingest.cards import load_card_files

    cfg = settings()
    return [asdict(o) for o in load_card_files(_engine(), cfg.landing_dir, work.files, run_id, cfg.chunk_rows,
                                               cfg.slice_bytes)]


def load_registry_extracts(work: WorkItem, run_id: str) -> list[dict]:
    """Every extract change of the run, judged in date order (ektp.ingest.registry.load_registry_files)."""
    from dataclasses import asdict

    from ektp.ingest.registry import load_registry_files

    cfg = settings()
    return [asdict(o) for o in load_registry_files(
        _engine(), cfg.landing_dir, work.files, run_id, cfg.chunk_rows, cfg.accept_extract, work.duplicates,
        work.removed, work.refused)]


@fail_fast
def publish_coverage(logical_date: datetime | None, run_id: str, run_after: datetime | None = None,
                     requested: str | None = None) -> dict:
    from ektp.publish.publishing import publish

    day = run_report_date(logical_date, run_after, requested)
    return publish(_engine(), day, run_id).to_xcom()


@fail_fast
def write_coverage_report(published: dict | None, logical_date: datetime | None,
                          run_after: datetime | None = None, requested: str | None = None) -> dict:
    """HTML reports, follow-up lists and card lists of every date the run published (a late file republishes
    earlier dates: their reports and lists are rewritten too). ``EKTP_REPORTS=off`` skips it all."""
    from ektp.core.texts import texts
    from ektp.outputs import card_lists, followup, open_items, outreach, report

    if not followup.reports_enabled():
        log.info("EKTP_REPORTS is off: no HTML report and no follow-up lists")
        return {"skipped": True}
    published = published or {}
    days = [date.fromisoformat(d) for d in published.get("published_dates") or []]
    if not days:
        days = [date.fromisoformat(published["report_date"]) if published.get("report_date")
                else run_report_date(logical_date, run_after, requested)]
    from concurrent.futures import ThreadPoolExecutor

    from ektp.warehouse import is_sqlite

    cfg = settings()
    engine = _engine()
    # PostgreSQL: the HTML reports (read-only, their own connection) in a thread beside the lists, so one side's
    # Python runs while the other waits for the warehouse (docs/decisions.md). SQLite: one after the other.
    # plotly looks numpy and pandas up in sys.modules without importing them: one the lists' thread is importing
    # at that moment would be half initialised there ("partially initialized module 'numpy'"). Whole first, with
    # the report's own libraries, so neither thread imports a module the other is in the middle of.
    import jinja2  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import plotly.offline  # noqa: F401

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ektp-report") as pool:
        reports = None if is_sqlite(engine) else pool.submit(report.write_reports, engine, days, cfg.report_dir)
        paths = report.write_reports(engine, days, cfg.report_dir) if reports is None else None
        lists = [followup.write_followups(engine, d, cfg.report_dir) for d in days]
        items = open_items.write_open_items(engine, cfg.report_dir, texts(cfg.language))
        cards = [card_lists.write_card_lists(engine, d, cfg.report_dir) for d in days]
        outreach_list = outreach.write_outreach_residents(engine)
        if reports is not None:
            paths = reports.result()  # the report's own error, if it failed
    return {"reports": [str(p) for p in paths], "followup": lists, **items, "card_lists": cards, **outreach_list}


@fail_fast
def send_data_alert(run_id: str, context) -> dict:
    """One data alert when the run rejected a file, refused an extract, left a path of the landing area ignored
    or rejected too many of a site's rows (``ektp.ingest.run_findings``); nothing when all was well. The run
    stays green either way: the data problems are for people to fix, not a reason to stop publishing."""
    from ektp.airflow.notifications import send_data_alert as send
    from ektp.ingest.run_findings import run_findings

    cfg = settings()
    findings = run_findings(_engine(), cfg.landing_dir, run_id, cfg.alert_rejected_percent)
    if not findings:
        log.info("no data problems in this run: no data alert")
        return {"alerted": False, **findings.counts()}
    alert = send(findings, context)
    return {"alerted": True, "report_date": alert["report_date"], **findings.counts()}
