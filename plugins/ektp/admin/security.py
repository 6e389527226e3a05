"""Database roles and quarantine retention: ops commands, not run by the DAG (docs/security.md).

    python -m ektp.admin.security create-roles                  # roles and grants (PostgreSQL)
    python -m ektp.admin.security purge-quarantine --days 90    # redact old rejected rows, drop old follow-ups

The warehouse is the one the pipeline uses (``AIRFLOW_CONN_EKTP_WAREHOUSE``). Role names are fixed
in ``sql/security/create_roles.sql``; the retention values are bound parameters.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from ektp import warehouse as wh
from ektp.core.calendar import WIB

log = logging.getLogger(__name__)

PIPELINE_ROLE = "ektp_pipeline"
ANALYST_ROLE = "ektp_analyst"
#: what a purged rejected row keeps of the record as received (raw_record stays a JSON object)
REDACTED = json.dumps({"_redacted": "retention"})
DEFAULT_RETENTION_DAYS = 90
#: a follow-up folder being written, or being replaced (``ektp.outputs.site_lists.write_site_folder``)
_LEFTOVER = re.compile(r"\.(\d{4}-\d{2}-\d{2})\.(?:tmp|old)")
#: the folders of lists with NIKs under the report folder, one folder per date inside (ektp.outputs.followup,
#: ektp.outputs.card_lists)
_LIST_DIRS = ("followup", "cards")


def apply_roles(engine: Engine) -> None:
    """Create the group roles and grant them the warehouse (idempotent). PostgreSQL only.

    The tables are created first (as a run would), so every table there is gets its grants.
    """
    if engine.dialect.name != "postgresql":
        raise RuntimeError("database roles need PostgreSQL (the embedded SQLite warehouse is protected by "
                           "its file's permissions)")
    wh.migrate(engine)
    with wh.transaction(engine) as conn:
        wh.run_sql(conn, "security/create_roles")
    log.info("roles %s and %s applied", PIPELINE_ROLE, ANALYST_ROLE)


@dataclass(frozen=True)
class Purged:
    cutoff: datetime
    rows_redacted: int
    followup_rows_deleted: int
    followup_folders_deleted: int


def purge_quarantine(engine: Engine, retention_days: int, now: datetime | None = None,
                     report_dir: Path | None = None) -> Purged:
    """Redact rejected rows older than ``retention_days`` and delete older follow-up lists.

    ``report_dir``: also delete ``<report_dir>/followup/<date>/`` and ``<report_dir>/cards/<date>/`` folders (CSV
    lists with NIKs: follow-up lists, card lists) of dates before the cutoff, and the half-written folders a
    killed writer left, of any date.
    """
    if retention_days < 1:
        raise ValueError("the retention period is at least one day")
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    cutoff_date = cutoff.astimezone(WIB).date()
    params = {"cutoff": cutoff, "cutoff_date": cutoff_date, "redacted": REDACTED}
    with wh.transaction(engine) as conn:
        counts = wh.rowcounts(conn, "security/purge_quarantine", params)
    folders = sum(_purge_followup_files(report_dir / name, cutoff_date) for name in _LIST_DIRS) if report_dir else 0
    purged = Purged(cutoff, counts[0], sum(counts[1:]), folders)
    log.info("quarantine purge (retention %d days, cutoff %s): %d rejected rows redacted, %d follow-up rows and "
             "%d follow-up folders deleted", retention_days, cutoff.isoformat(), purged.rows_redacted,
             purged.followup_rows_deleted, purged.followup_folders_deleted)
    return purged


def _purge_followup_files(folder: Path, cutoff_date: date) -> int:
    """Delete the date folders before the cutoff, and every ``.<date>.tmp``/``.<date>.old`` folder: a writer
    killed mid-way leaves them, with NIKs, and no later write of another date would remove them."""
    from ektp.outputs.followup import followup_lock

    if not folder.is_dir():
        return 0
    deleted = 0
    with followup_lock(folder):  # no writer at work: any such folder is a leftover
        for child in sorted(folder.iterdir()):
            if not child.is_dir() or child.is_symlink():
                continue
            leftover = _LEFTOVER.fullmatch(child.name)
            try:
                day = date.fromisoformat(leftover.group(1) if leftover else child.name)
            except ValueError:
                continue
            if leftover or day < cutoff_date:
                shutil.rmtree(child)
                deleted += 1
    return deleted


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    ap = argparse.ArgumentParser(prog="python -m ektp.admin.security", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("create-roles", help="create ektp_pipeline and ektp_analyst and grant them the warehouse")
    purge = sub.add_parser("purge-quarantine", help="redact rejected rows and delete follow-up lists older than "
                                                    "the retention period")
    purge.add_argument("--days", type=int, default=DEFAULT_RETENTION_DAYS,
                       help=f"retention period in days (default {DEFAULT_RETENTION_DAYS})")
    purge.add_argument("--report-dir", type=Path, help="also delete follow-up CSV folders under this report folder "
                                                       "(default: EKTP_REPORT_DIR or var/reports)")
    args = ap.parse_args(argv)
    engine = wh.command_engine()
    try:
        if args.command == "create-roles":
            apply_roles(engine)
        else:
            from ektp.core.settings import setting

            purge_quarantine(engine, args.days, report_dir=args.report_dir or setting("report_dir"))
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
