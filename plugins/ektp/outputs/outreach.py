"""The outreach list by name (``ektp_quarantine.outreach_residents``): the residents of the extract in force
still unrecorded on the latest published report date.

Rewriting the list every night wrote five million rows to change a few hundred thousand (35 s of a national
night, 30 s more on the night a new extract comes). It is now a view (``sql/schema/create_restricted_views.sql``)
over the extract itself, less ``outreach_recorded_nik`` (the NIKs recorded by the list's date), with
``outreach_list`` saying which date, extract and age bounds it is for. A write computes the NIKs recorded now and
applies the difference: residents recorded since leave the list, residents whose match went away (a corrected
file re-landed, a retracted date) come back. A different extract in force (a new one, or the same date loaded
again) starts the recorded NIKs again. Whatever the order of runs, the view equals the list built from scratch
for that date (tests/integration/test_outreach_incremental.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from ektp.core.calendar import student_age_bounds
from ektp.outputs.followup import extract_version

log = logging.getLogger(__name__)


def _iso_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def refresh_outreach_list(conn, report_date: date | None) -> str:
    """Bring the list up to date for ``report_date`` (None: no list) inside the caller's transaction.

    Returns how: ``"emptied"``, ``"started"`` (a new extract in force, or no list before) or ``"updated"``."""
    from ektp import warehouse as wh

    extract_date = None
    if report_date is not None:
        (extract_date,), = wh.query(conn, "followup/select_extract_in_force", {"report_date": report_date})
    if extract_date is None:
        wh.run_sql(conn, "followup/delete_outreach_list")
        return "emptied"
    extract_date = _iso_date(extract_date)
    version = extract_version(conn, extract_date)
    held = wh.query(conn, "followup/select_outreach_list")
    params = {"report_date": report_date, "extract_date": extract_date, "extract_version": version,
              "written_at": datetime.now(UTC), **student_age_bounds(report_date)}
    wh.run_sql(conn, "followup/insert_outreach_recorded_now", params)
    # statistics of both before comparing them (a table planned as empty gets a nested loop)
    wh.analyze(conn, "ektp_quarantine.outreach_recorded_now", "ektp_quarantine.outreach_recorded_nik")
    same = bool(held) and _iso_date(held[0].extract_date) == extract_date and held[0].extract_version == version
    wh.run_sql(conn, "followup/update_outreach_recorded_nik" if same else "followup/insert_outreach_recorded_nik")
    wh.run_sql(conn, "followup/replace_outreach_list", params)
    return "updated" if same else "started"


def write_outreach_residents(engine) -> dict:
    """The outreach list by name for the latest published date (restricted schema). Counts only the NIKs it
    leaves out as recorded: counting the list itself would read the whole extract."""
    from ektp import warehouse as wh

    with wh.transaction(engine) as conn:
        wh.tune_set_based_statements(conn)  # the recorded NIKs' DISTINCT in memory, no JIT
        (latest,), = wh.query(conn, "plan/select_latest_published_date")
        day = None if latest is None else _iso_date(latest)
        how = refresh_outreach_list(conn, day)
        (recorded,), = wh.query(conn, "followup/select_outreach_recorded_count")
    if day is None:
        return {"outreach_list": how}
    log.info("outreach list by name for %s (%s): the residents of the extract in force less %d recorded", day, how,
             recorded)
    return {"outreach_date": day.isoformat(), "outreach_list": how, "outreach_recorded": recorded}
