"""Resolve duplicates, reconcile, and publish whole date partitions in ONE transaction.

Write-audit-publish: the statuses are recomputed from the ingest tables, conservation is
audited, and only then are the published partitions replaced. A failure anywhere rolls the
whole transaction back, so analysts never see a half-published date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ektp import warehouse as wh
from ektp.followup import student_age_bounds

log = logging.getLogger(__name__)


class ConservationError(RuntimeError):
    """Rows received != rejected + duplicate + accepted for some file: publishing is refused."""


@dataclass(frozen=True)
class Published:
    report_date: date
    dates: list[str]

    def to_xcom(self) -> dict:
        return {"report_date": self.report_date.isoformat(), "published_dates": self.dates}


def publish(engine: Engine, report_date: date, run_id: str) -> Published:
    published_at = datetime.now(UTC)
    with wh.transaction(engine) as conn:
        wh.tune_set_based_statements(conn)  # work_mem, random_page_cost and no JIT for this transaction
        wh.analyze(conn, "ektp_ingest.recording")  # the night's rows were just loaded: plan with them
        wh.run_sql(conn, "resolve/update_recording_status")  # duplicates (§2.3), then reconciliation (§3)
        wh.run_sql(conn, "publish/fill_publish_queue", {"report_date": report_date})
        wh.analyze(conn, "ektp_ingest.publish_queue")  # a few dates, not the 2,550 rows assumed without statistics
        breaks = wh.query(conn, "publish/select_conservation_breaks")
        if breaks:
            files = ", ".join(f"{b.file_path} (received {b.row_count}, rejected {b.quarantined}, "
                              f"validated {b.validated})" for b in breaks[:5])
            raise ConservationError(f"{len(breaks)} file(s) do not add up: {files}")
        dates = [str(d) for d, in conn.execute(sa.text(
            f"SELECT report_date FROM {wh.table(conn, 'ektp_ingest.publish_queue')} ORDER BY report_date"))]
        wh.run_sql(conn, "publish/delete_queued_dates")
        params = {"published_at": published_at, "run_id": run_id}
        for name in ("kelurahan_daily", "kecamatan_daily", "site_daily", "rejections_daily", "published_report"):
            wh.run_sql(conn, f"publish/insert_{name}", params)
        for day in map(date.fromisoformat, dates):  # per date: the 16-18 age band depends on the date
            wh.run_sql(conn, "publish/insert_outreach_targets_daily",
                       {**params, "report_date": day, **student_age_bounds(day)})
        wh.run_sql(conn, "publish/finish_publish")
    log.info("published %s (report dates %s)", report_date, ", ".join(dates))
    return Published(report_date, dates)
