"""The file manifest: what became of every landed file, rejected files, files forgotten, dates to republish."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from sqlalchemy.engine import Connection, Engine

from ektp import warehouse as wh
from ektp.core.safe_text import escaped
from ektp.ingest.landing import (
    LandedFile,
)
from ektp.ingest.loading import now
from ektp.ingest.work_items import Retimed, WorkItem

log = logging.getLogger(__name__)


def forget_files(conn: Connection, paths: Iterable[str]) -> None:
    """Remove everything a file contributed (before reloading it, or when it left the landing area).

    Only files in the manifest have anything to remove (a night's new files have not): a lookup in the
    small manifest spares six deletes against tables of millions of rows. One statement per table for up
    to 1,000 files (a statement per file, even pipelined, was far slower; SQLite allows
    32,766 bound values a statement)."""
    paths = list(paths)
    for start in range(0, len(paths), 1000):
        known = [p for p, in wh.query(conn, "load/select_known_files", {"file_paths": paths[start:start + 1000]})]
        if known:
            wh.run_sql(conn, "load/delete_file_rows", {"file_paths": known})


def note_change(conn: Connection, change_date: date, run_id: str) -> None:
    note_changes(conn, [change_date], run_id)


def note_changes(conn: Connection, change_dates: Iterable[date], run_id: str) -> None:
    """Each distinct date once (what the publish reads is the set of dates)."""
    at = now()
    wh.run_sql_many(conn, "load/insert_pending_change",
                    [{"change_date": d, "noted_at": at, "run_id": run_id} for d in sorted(set(change_dates))])


#: a rejected file's reason text (as ingest.csv_reader, ingest.landing and ingest.plausibility word it), by its
#: start -> its code (contract §4, files_daily). A file that cannot be read at all (permission denied, a link
#: out of the landing root, a FIFO) has no header the pipeline could read: ``bad_header`` (docs/decisions.md).
_REASON_CODES = (("not UTF-8", "not_utf8"), ("not a text file", "not_utf8"), ("no header", "bad_header"),
                 ("header repeats", "bad_header"), ("cannot be read", "bad_header"),
                 ("not a regular file", "bad_header"), ("a symbolic link", "bad_header"),
                 ("replaced by a symbolic link", "bad_header"), ("not a path inside", "bad_header"),
                 ("missing required column", "missing_column"), ("implausible_extract", "implausible_extract"))


def file_reason_code(reason: str) -> str:
    """The contract's code for a rejected file's reason; raises ValueError for a reason it does not know
    (a new reason must be given its code here, not slip through uncounted)."""
    for start, code in _REASON_CODES:
        if reason.startswith(start):
            return code
    raise ValueError(f"no files_daily code for the rejected file reason {reason!r}")


def manifest_entry(landed: LandedFile, run_id: str, *, status: str, rows: int | None = None,
                    rejected: int | None = None, reason: str | None = None, duplicate_of: str | None = None,
                    site: tuple[str, str | None] = (None, None)) -> dict:
    return {
        "file_path": landed.path, "file_kind": landed.kind, "file_date": landed.file_date,
        "sha256": landed.sha256, "size_bytes": landed.size, "modified_ns": landed.modified_ns,
        "changed_ns": landed.changed_ns,
        "row_count": rows, "rows_rejected": rejected, "status": status, "reason": reason,
        "reason_code": file_reason_code(reason) if status == "rejected_file" else None,
        "duplicate_of": duplicate_of, "site_code": site[0], "site_name": site[1], "validated_at": now(),
        "run_id": run_id,
    }


def record_manifest(conn: Connection, landed: LandedFile, run_id: str, **entry) -> None:
    wh.run_sql(conn, "load/insert_file_manifest", manifest_entry(landed, run_id, **entry))


def reject_file(conn: Connection, landed: LandedFile, reason: str, run_id: str, *, rows: int | None = None,
                rejected: int | None = None) -> None:
    """``rows``/``rejected``: the counts of a file that was read (an implausible extract), else none."""
    wh.run_sql(conn, "load/insert_rejected_file", {
        "file_path": landed.path, "file_kind": landed.kind, "file_date": landed.file_date,
        "sha256": landed.sha256, "reason": reason, "reason_code": file_reason_code(reason), "rejected_at": now(),
        "run_id": run_id,
    })
    record_manifest(conn, landed, run_id, status="rejected_file", reason=reason, rows=rows, rejected=rejected)


def record_skipped(engine: Engine, item: WorkItem, run_id: str) -> dict:
    """A ``record_skipped`` work item, in one transaction; returns its counts."""
    with wh.transaction(engine) as conn:
        skip_files(conn, item.duplicates, item.removed, run_id, refused=item.refused, retimed=item.retimed)
    return {"duplicates": len(item.duplicates), "refused": len(item.refused), "removed": len(item.removed),
            "retimed": len(item.retimed)}


def skip_files(conn: Connection, duplicates: Iterable[tuple[LandedFile, str]], removed: Iterable[tuple[str, date]],
               run_id: str, refused: Iterable[tuple[LandedFile, str]] = (),
               retimed: Iterable[Retimed] = ()) -> None:
    """Duplicate deliveries are recorded (rows not loaded); files that cannot be read safely are rejected;
    files gone from the landing area are forgotten; unchanged files get their new times (path, sha256,
    mtime, ctime), or every later run would read them again."""
    for landed, original in duplicates:
        forget_files(conn, [landed.path])
        record_manifest(conn, landed, run_id, status="duplicate_delivery", duplicate_of=original,
                        reason=f"identical bytes to {original}")
        note_change(conn, landed.file_date, run_id)
        log.info("duplicate delivery %s (identical to %s): skipped", escaped(landed.path), escaped(original))
    for landed, reason in refused:
        forget_files(conn, [landed.path])
        reject_file(conn, landed, reason, run_id)
        note_change(conn, landed.file_date, run_id)
    for path, day in removed:
        forget_files(conn, [path])
        note_change(conn, day, run_id)
        log.warning("%s is no longer in the landing area: its rows are withdrawn", escaped(path))
    wh.run_sql_many(conn, "load/update_file_times", [
        {"file_path": p, "sha256": sha, "modified_ns": m, "changed_ns": c} for p, sha, m, c in retimed])
