"""Resolve duplicates, reconcile, and publish whole date partitions in ONE transaction.

Write-audit-publish: the statuses are recomputed from the ingest tables, conservation is
audited, and only then are the published partitions replaced. A failure anywhere rolls the
whole transaction back, so analysts never see a half-published date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ektp import warehouse as wh
from ektp.core.calendar import student_age_bounds

log = logging.getLogger(__name__)

AWAITING_PRINT_DAYS = 14  # contract §6.3: awaiting_print_14d


class ConservationError(RuntimeError):
    """Rows received != rejected + duplicate + accepted for some batch file (rejected + stored for some card-event
    file): publishing is refused."""


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
        wh.run_sql(conn, "publish/fill_publish_queue", {"report_date": report_date})
        wh.analyze(conn, "ektp_ingest.publish_queue")  # a few dates, not the 2,550 rows assumed without statistics
        dates = [str(d) for d, in wh.query(conn, "publish/select_queued_dates")]
        resolving = bool(wh.query(conn, "resolve/select_rows_to_resolve")[0].has_rows)
        with OutreachBands(engine, conn, [date.fromisoformat(d) for d in dates], beside_serial_work=resolving) as bands:
            wh.analyze(conn, "ektp_ingest.recording")  # the night's rows were just loaded: plan with them
            wh.run_sql(conn, "resolve/update_recording_status")  # duplicates (§2.3), then reconciliation (§3)
            # and again with their statuses, and the card events just loaded: statistics that see no accepted new
            # recording plan the card stages' joins as nested loops over every recording
            wh.analyze(conn, "ektp_ingest.recording", "ektp_ingest.card_event")
            breaks = wh.query(conn, "publish/select_conservation_breaks")
            if breaks:
                files = ", ".join(f"{b.file_path} (received {b.row_count}, rejected {b.quarantined}, "
                                  f"validated {b.validated})" for b in breaks[:5])
                raise ConservationError(f"{len(breaks)} file(s) do not add up: {files}")
            wh.run_sql(conn, "publish/delete_queued_dates")
            params = {"published_at": published_at, "run_id": run_id}
            for name in ("kelurahan_daily", "kecamatan_daily", "site_daily", "rejections_daily", "files_daily",
                         "published_report"):
                wh.run_sql(conn, f"publish/insert_{name}", params)
            for day in map(date.fromisoformat, dates):  # per date: the 16-18 age band depends on the date
                wh.run_sql(conn, "publish/create_outreach_band")
                wh.insert_frame(conn, "outreach_band", ["kelurahan_code", "residents"], bands.counts(day))
                wh.run_sql(conn, "publish/insert_outreach_targets_daily", {**params, **_band_params(day)})
                # the card events' outcomes and the card funnel (contract §6.2, §6.3) on that date, the stages
                # from every card event loaded
                wh.run_sql(conn, "publish/insert_card_events_daily", {**params, "report_date": day})
                wh.run_sql(conn, "publish/insert_site_funnel_daily", {**params, **funnel_params(day)})
        wh.run_sql(conn, "publish/finish_publish")
    log.info("published %s (report dates %s)", report_date, ", ".join(dates))
    return Published(report_date, dates)


class OutreachBands:
    """Residents aged 16 to 18 per kelurahan on each report date (``publish/select_outreach_band``).

    PostgreSQL: counted on a second connection, started before the status update. That update is one
    serial statement; the count, a scan of every resident of the extract (5.4 million nationally), runs on
    the machine's other core meanwhile, without parallel workers of its own (the two statements
    together take less time than one after the other). With no statuses to resolve (an extract's own run)
    nothing runs beside it, and the count has its parallel workers (BENCHMARKS.md has the figures).

    The count reads only the extract, which publishing does not change and no other writer can change
    before it commits: they wait for the write lock this transaction took before the second connection
    began. SQLite: counted in the transaction, when asked for.
    """

    def __init__(self, engine: Engine, conn: sa.Connection, dates: list[date], beside_serial_work: bool = True):
        self._conn = conn
        self._pool = self._counted = None
        if dates and not wh.is_sqlite(conn):
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(1, thread_name_prefix="ektp-band")
            self._counted = self._pool.submit(_count_bands, engine, dates, beside_serial_work)

    def counts(self, day: date) -> pd.DataFrame:
        if self._counted is not None:
            return self._counted.result()[day]
        return _band_frame(wh.query(self._conn, "publish/select_outreach_band", _band_params(day)))

    def __enter__(self) -> OutreachBands:
        return self

    def __exit__(self, *_) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # an error of the count itself is raised by counts()


def funnel_params(day: date) -> dict:
    """The funnel statement's dates: awaiting_print_14d counts recordings on or before ``day`` minus 14 days
    (date arithmetic is spelled differently on the two warehouses: it is done here)."""
    return {"report_date": day, "awaiting_since": day - timedelta(days=AWAITING_PRINT_DAYS)}


def _band_params(day: date) -> dict:
    return {"report_date": day, **student_age_bounds(day)}


def _band_frame(rows) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=["kelurahan_code", "residents"])


def _count_bands(engine: Engine, dates: list[date], one_core: bool) -> dict[date, pd.DataFrame]:
    with engine.begin() as other:  # read only; settings local to this transaction (the connection is pooled)
        wh.tune_set_based_statements(other)
        if one_core:  # the other core only: parallel workers would take turns with the status update on its own
            wh.run_sql(other, "publish/set_no_parallel_workers")
        return {day: _band_frame(wh.query(other, "publish/select_outreach_band", _band_params(day))) for day in dates}
