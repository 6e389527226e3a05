"""Withdraw a published report date (docs/runbook.md, "Withdraw a published date").

    python -m ektp.admin.retract --date 2026-11-04 --reason "published by mistake from a test run" [--dry-run]

or the DAG ``ektp_retract_date`` (params ``report_date``, ``reason``, ``dry_run``).

In ONE write transaction, serialised with every other writer: D's rows in every ``ektp_coverage`` table, D in
``ektp_ingest.published_report`` (so D counts as never published: the planner's horizon and the publish queue
no longer see it, and no later run publishes it again unless D itself is run), D's follow-up lists, and the
outreach list by name if it was written for D (it is rebuilt for the new latest published date, or left
empty if none is left); and the audit row in ``ektp_ingest.retraction``. After the commit, D's HTML report
and follow-up CSV folder are removed, and the reports of later published dates that exist are written again
(their trend charts list every published date up to theirs).

No other published date depends on D: each date's rows are computed from the ingest tables, never from
another date's published rows (docs/decisions.md; tests/unit/test_retract_sql.py keeps it so). The other
dates therefore stay what a fresh run would publish, and retracting any one date keeps the invariant.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import re
import shutil
import socket
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ektp import warehouse as wh
from ektp.core.settings import settings

log = logging.getLogger(__name__)

DELETE_SQL = "retract/delete_report_date"
OUTREACH_LIST = "ektp_quarantine.outreach_list"  # the outreach list by name: the row saying its date
MAX_REASON_CHARS = 1000
#: a reason is shown in the Airflow UI and kept in the audit table: no NIK in it
_SIXTEEN_DIGITS = re.compile(r"\d{16}")
_DELETED_TABLE = re.compile(r"^\s*DELETE\s+FROM\s+(\S+)", re.IGNORECASE)


class RetractionRefused(RuntimeError):
    """Nothing was changed: the date is not published, or the request is incomplete."""


@dataclass(frozen=True)
class Retraction:
    """What a retraction removed (or, for a dry run, would remove)."""

    report_date: date
    retracted_by: str
    rows_removed: dict[str, int]
    #: published dates after D: they stay published, unchanged (nothing of theirs depends on D)
    later_dates: list[date]
    #: the latest published date once D is withdrawn (None: no date is published any more)
    latest_published: date | None
    #: the outreach list by name held D's residents (it is then rebuilt for ``latest_published``, or emptied)
    outreach_held_date: bool
    #: D's report file and follow-up folders: removed after the commit (a dry run lists what is there)
    files: list[Path] = field(default_factory=list)
    #: reports of later dates written again without D in their trends
    reports_rewritten: list[Path] = field(default_factory=list)
    dry_run: bool = False

    @property
    def outreach_rebuilt_for(self) -> date | None:
        return self.latest_published if self.outreach_held_date else None

    def summary(self) -> dict[str, Any]:
        """Dates, counts and paths only (an XCom)."""
        return {"report_date": self.report_date.isoformat(), "dry_run": self.dry_run,
                "retracted_by": self.retracted_by, "rows_removed": self.rows_removed,
                "later_dates": [d.isoformat() for d in self.later_dates],
                "latest_published": _iso(self.latest_published),
                "outreach_rebuilt_for": _iso(self.outreach_rebuilt_for),
                "files": [str(p) for p in self.files],
                "reports_rewritten": [str(p) for p in self.reports_rewritten]}

    def describe(self) -> str:
        """What an operator reads on the terminal."""
        verb = "would remove" if self.dry_run else "removed"
        head = (f"DRY RUN, nothing changed. Retracting {self.report_date} {verb}:" if self.dry_run
                else f"Retracted {self.report_date} (by {self.retracted_by}). It {verb}:")
        width = max(len(t) for t in self.rows_removed)
        lines = [head, *(f"  {t.ljust(width)}  {n:>9} rows" for t, n in self.rows_removed.items())]
        lines += [f"  {p}" for p in self.files] or ["  (no report file or follow-up folder of that date)"]
        if self.outreach_held_date:
            lines.append(f"The outreach list by name held {self.report_date}: "
                         + (f"{'it would be' if self.dry_run else 'it was'} rebuilt for {self.latest_published}."
                            if self.latest_published else "it is left empty (no published date is left)."))
        lines.append(f"Latest published date {'would be' if self.dry_run else 'now'}: "
                     f"{self.latest_published or 'none'}.")
        if self.later_dates:
            lines.append(f"Later published dates stay as they are ({_dates_text(self.later_dates)}): "
                         "none of them depends on a retracted date.")
        lines += [f"  report rewritten without {self.report_date} in its trend: {p}" for p in self.reports_rewritten]
        return "\n".join(lines)


def retract(engine: Engine, report_date: date, reason: str | None, retracted_by: str, report_dir: Path, *,
            dry_run: bool = False) -> Retraction:
    """Withdraw ``report_date`` (see the module doc). Raises :class:`RetractionRefused`, changing nothing, for a
    date that is not published or a missing reason. A dry run deletes inside a transaction it rolls back, so
    it counts exactly what would go; it waits for a running writer like any writer."""
    reason = checked_reason(reason)
    _check_warehouse(engine, migrate=not dry_run)
    if dry_run:
        with engine.connect() as conn, conn.begin() as tx:
            wh.lock_for_write(conn)
            found = _withdraw(conn, report_date, retracted_by, rebuild_outreach=False)
            tx.rollback()
        return replace(found.retraction, files=_files_of(report_dir, report_date), dry_run=True)
    with wh.transaction(engine) as conn:
        found = _withdraw(conn, report_date, retracted_by, rebuild_outreach=True)
        wh.run_sql(conn, "retract/insert_retraction", {
            "report_date": report_date, "retracted_at": datetime.now(UTC), "retracted_by": retracted_by,
            "reason": reason, **found.publication, "rows_removed": json.dumps(found.retraction.rows_removed),
            "outreach_rebuilt_for": found.retraction.outreach_rebuilt_for})
    return _finish(engine, found.retraction, report_dir)


@dataclass(frozen=True)
class _Withdrawn:
    retraction: Retraction
    publication: dict[str, Any]  # the publication withdrawn, for the audit row


def _withdraw(conn: Connection, report_date: date, retracted_by: str, *, rebuild_outreach: bool) -> _Withdrawn:
    params = {"report_date": report_date}
    published = wh.query(conn, "retract/select_published_report", params)
    if not published:
        raise RetractionRefused(_not_published(report_date, _published_dates(conn)))
    (pub,) = published
    rows = {}
    for qualified, statement in zip(deleted_tables(), wh.statements(DELETE_SQL, conn.dialect.name), strict=True):
        rows[qualified] = conn.execute(sa.text(statement), params).rowcount
    remaining = _published_dates(conn)
    latest = remaining[-1] if remaining else None
    held = rows[OUTREACH_LIST] > 0
    if held and rebuild_outreach:
        from ektp.outputs.outreach import refresh_outreach_list

        refresh_outreach_list(conn, latest)
    retraction = Retraction(report_date, retracted_by, rows, [d for d in remaining if d > report_date], latest, held)
    publication = {"extract_date": pub.extract_date, "published_at": pub.published_at,
                   "published_by_run": pub.run_id}
    return _Withdrawn(retraction, publication)


def _finish(engine: Engine, retraction: Retraction, report_dir: Path) -> Retraction:
    """After the commit: D's files go, later reports are written again, and the log says what happened."""
    files = _remove_files(report_dir, retraction.report_date)
    rewritten = _rewrite_reports(engine, report_dir, retraction.later_dates)
    done = replace(retraction, files=files, reports_rewritten=rewritten)
    from ektp.core.safe_text import escaped

    log.info("retracted report date %s (by %s): %s rows removed (%s); files removed: %s; outreach list by name: %s; "
             "latest published date now %s", done.report_date, escaped(done.retracted_by),
             sum(done.rows_removed.values()), ", ".join(f"{t} {n}" for t, n in done.rows_removed.items() if n),
             ", ".join(str(p) for p in files) or "none",
             f"rebuilt for {done.outreach_rebuilt_for}" if done.outreach_rebuilt_for
             else "emptied" if done.outreach_held_date else "unchanged", done.latest_published or "none")
    return done


def deleted_tables() -> list[str]:
    """The qualified table of each statement of ``sql/retract/delete_report_date.sql``, in order."""
    return [_DELETED_TABLE.match(s).group(1) for s in wh.statements(DELETE_SQL, "postgresql")]


def checked_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise RetractionRefused("a reason is required (--reason): it is kept in the audit table "
                                "ektp_ingest.retraction")
    if len(text) > MAX_REASON_CHARS:
        raise RetractionRefused(f"the reason is {len(text)} characters long; at most {MAX_REASON_CHARS}")
    if _SIXTEEN_DIGITS.search(text):
        raise RetractionRefused("the reason holds 16 digits in a row, which could be a NIK: it is shown in the "
                                "Airflow UI and kept in the audit table, so write it without NIKs")
    return text


def _check_warehouse(engine: Engine, *, migrate: bool) -> None:
    """Refuse a warehouse that never published anything (a wrong AIRFLOW_CONN_EKTP_WAREHOUSE) without creating
    tables in it; add the audit table to one that predates it."""
    schema = None if wh.is_sqlite(engine) else "ektp_ingest"
    names = set(sa.inspect(engine).get_table_names(schema=schema))
    if "published_report" not in names:
        raise RetractionRefused("this warehouse has never published a date (it has no ektp_ingest.published_report"
                                "): is AIRFLOW_CONN_EKTP_WAREHOUSE the right one?")
    if migrate and "retraction" not in names:
        wh.migrate(engine)


def _published_dates(conn: Connection) -> list[date]:
    return [_as_date(r.report_date) for r in wh.query(conn, "retract/select_published_dates")]


def _not_published(report_date: date, published: list[date]) -> str:
    where = (f"the latest published date is {published[-1]}; {len(published)} date(s) are published"
             if published else "no date is published")
    return f"{report_date} is not a published report date, so there is nothing to retract ({where}). Nothing changed."


# --- files -------------------------------------------------------------------------------------------------


def _list_folders(report_dir: Path) -> list[Path]:
    """The folders of the lists with names in them, one folder per date inside: follow-up lists, card lists."""
    from ektp.outputs.card_lists import CARDS_DIR
    from ektp.outputs.followup import FOLLOWUP_DIR

    return [Path(report_dir) / FOLLOWUP_DIR, Path(report_dir) / CARDS_DIR]


def _files_of(report_dir: Path, report_date: date) -> list[Path]:
    """D's report (and a killed writer's temporary copy), and D's follow-up and card-list folders (the one in
    place, and the ``.tmp``/``.old`` ones a killed writer leaves)."""
    from ektp.outputs.report import report_path

    report = report_path(report_dir, report_date)
    day = report_date.isoformat()
    candidates = [report, report.with_name(f".{report.name}.tmp")]
    for folder in _list_folders(report_dir):
        candidates += [folder / day, folder / f".{day}.tmp", folder / f".{day}.old"]
    return [p for p in candidates if p.is_symlink() or p.exists()]


def _remove_files(report_dir: Path, report_date: date) -> list[Path]:
    """Under the list writers' locks, so a folder being written is not half removed."""
    from ektp.outputs.followup import followup_lock

    removed = []
    with ExitStack() as locks:
        for folder in _list_folders(report_dir):
            if folder.is_dir():
                locks.enter_context(followup_lock(folder))
        for path in _files_of(report_dir, report_date):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed


def _rewrite_reports(engine: Engine, report_dir: Path, later_dates: list[date]) -> list[Path]:
    """The later dates' reports that exist: their trends would still show the retracted date."""
    from ektp.outputs.report import report_path, write_report

    return [write_report(engine, d, report_dir) for d in later_dates if report_path(report_dir, d).exists()]


# --- Airflow -----------------------------------------------------------------------------------------------


def retract_for_airflow(report_date: str, reason: str | None, *, dag_id: str, run_id: str,
                        triggered_by: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """The DAG ``ektp_retract_date``'s task. A retry of a run whose first try committed and then failed
    (removing a file, say) finishes that retraction instead of being refused."""
    day = parse_date(report_date)
    who = f"airflow {dag_id} {run_id}" + (f" (triggered by {triggered_by})" if triggered_by else "")
    report_dir = settings().report_dir
    engine = wh.make_engine()
    try:
        try:
            done = retract(engine, day, reason, who, report_dir, dry_run=dry_run)
        except RetractionRefused:
            earlier = None if dry_run else _earlier_retraction(engine, day, who)
            if earlier is None:
                raise
            log.info("this run already retracted %s in an earlier try: finishing it", day)
            done = _finish(engine, earlier, report_dir)
        if dry_run:
            log.info("dry run:\n%s", done.describe())
        return done.summary()
    finally:
        engine.dispose()


def _earlier_retraction(engine: Engine, report_date: date, who: str) -> Retraction | None:
    with engine.connect() as conn:
        found = wh.query(conn, "retract/select_retraction", {"report_date": report_date, "retracted_by": who})
        remaining = _published_dates(conn)
    if not found:
        return None
    rows = json.loads(found[0].rows_removed)
    return Retraction(report_date, who, rows, [d for d in remaining if d > report_date],
                      remaining[-1] if remaining else None, rows.get(OUTREACH_LIST, 0) > 0)


# --- the command -------------------------------------------------------------------------------------------


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` exactly (Python also reads ``20261104``: a mistyped date must not name another one)."""
    try:
        day = date.fromisoformat(str(text).strip())
    except ValueError:
        day = None
    if day is None or day.isoformat() != str(text).strip():
        raise ValueError(f"{text!r} is not a date written YYYY-MM-DD")
    return day


def operator() -> str:
    """Who runs the command: the OS user and the host."""
    return f"{getpass.getuser()}@{socket.gethostname()}"


def _as_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _dates_text(dates: list[date]) -> str:
    return ", ".join(map(str, dates)) if len(dates) <= 5 else f"{dates[0]} .. {dates[-1]}, {len(dates)} dates"


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    ap = argparse.ArgumentParser(prog="python -m ektp.admin.retract", description="Withdraw a published report date "
                                 "from every ektp_coverage table, in one audited transaction.")
    ap.add_argument("--date", required=True, type=_argument_date, help="the published report date, YYYY-MM-DD")
    ap.add_argument("--reason", required=True, help="why, for the audit table ektp_ingest.retraction (no NIKs)")
    ap.add_argument("--dry-run", action="store_true", help="show what would be removed and change nothing")
    ap.add_argument("--report-dir", type=Path, help="where the reports and follow-up lists are "
                                                    "(default: EKTP_REPORT_DIR or var/reports)")
    args = ap.parse_args(argv)
    engine = wh.command_engine()
    try:
        done = retract(engine, args.date, args.reason, operator(), args.report_dir or settings().report_dir,
                       dry_run=args.dry_run)
    except RetractionRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(done.describe())
    return 0


def _argument_date(text: str) -> date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


if __name__ == "__main__":
    sys.exit(main())
