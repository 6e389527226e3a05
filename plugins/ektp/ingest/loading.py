"""What the batch and the extract loads share: file outcomes, opening a landed file for a load, writing a
validated part, the validation results and the Data Docs of a load.

A file's rows are replaced whole (delete by path, insert) together with its manifest entry and
a note of the date it changes, so the warehouse never holds half a file and the next publish
knows which dates to redo. Nothing here publishes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from ektp import warehouse as wh
from ektp.core.safe_text import escaped
from ektp.ingest.csv_reader import CsvFile, RejectedFile, open_csv
from ektp.ingest.landing import (
    LandedFile,
    RefusedFile,
    VanishedFile,
    fingerprint_unless_unchanged,
    open_landed,
)
from ektp.ingest.quarantine import REJECTED_ROW_COLUMNS
from ektp.ingest.validation import (
    SuiteResult,
)

log = logging.getLogger(__name__)


RESULT_COLUMNS = [
    "run_id", "validated_at", "suite_name", "file_path", "expectation_type", "column_name", "outcome",
    "severity", "element_count", "unexpected_count", "success",
]


@dataclass
class FileOutcome:
    """Counts only (no row values): safe for logs and XComs."""

    path: str
    status: str
    rows: int = 0
    rejected: int = 0
    loaded: int = 0
    reason: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)


def _as_read(root: Path, landed: LandedFile) -> LandedFile:
    """The fingerprint the manifest records is that of the bytes loaded: the planner's, unless the file's size,
    mtime or ctime changed since it was taken (then it is read again; an extract is 330 MB)."""
    return fingerprint_unless_unchanged(root, landed, landed)


def _open(root: Path, landed: LandedFile, required: tuple[str, ...]) -> CsvFile:
    """The landed file's header checked; its every read opened by ``landing.open_landed``."""
    return open_csv(landed.absolute(root), required, opener=partial(open_landed, root, landed))


def now() -> datetime:
    return datetime.now(UTC)


def open_for_load(root: Path, landed: LandedFile, required: tuple[str, ...],
                   set_aside: dict[str, str | None]) -> tuple[LandedFile, CsvFile | None, str | None]:
    """(the file as read, its reader, None), or (the file, None, why it is rejected); raises VanishedFile."""
    try:
        if landed.path in set_aside:
            if set_aside[landed.path] is None:
                raise VanishedFile(landed.path)
            raise RefusedFile(landed.path, set_aside[landed.path])
        landed = _as_read(root, landed)
        return landed, _open(root, landed, required), None
    except RefusedFile as exc:
        log.warning("rejected file %s: %s", escaped(landed.path), exc.reason)
        return _unread(landed), None, exc.reason  # not read: the next run reads it again
    except RejectedFile as exc:
        log.warning("rejected file %s: %s", escaped(landed.path), exc.reason)
        return landed, None, exc.reason


def _unread(landed: LandedFile) -> LandedFile:
    return LandedFile(landed.path, landed.kind, landed.file_date, name_escaped=landed.name_escaped)


@dataclass(frozen=True)
class Validated:
    """One validated part of a load (a slice of batch files, a chunk of an extract): what to write, written
    by :func:`store` one step behind the validation of the next part, and the GX result (Data Docs)."""

    table: str
    columns: list[str]
    rows: pd.DataFrame | None  # the valid rows; None: none (a chunk of malformed rows only)
    rejected: list[list]  # rejected_row rows
    results: list[list]  # validation_result rows
    manifest: list[dict] = field(default_factory=list)  # file_manifest rows of the files it completes
    gx_result: object = None

    @property
    def row_counts(self) -> dict[str, int]:
        """The part's rows and its rejected rows (what the Data Docs' status line counts)."""
        valid = 0 if self.rows is None else len(self.rows)
        return {"rows": valid + len(self.rejected), "rejected": len(self.rejected)}


def store(conn: Connection, part: Validated) -> None:
    wh.run_sql_many(conn, "load/insert_file_manifest", part.manifest)
    if part.rows is not None:
        wh.insert_frame(conn, part.table, part.columns, part.rows)
    wh.bulk_insert(conn, "ektp_quarantine.rejected_row", REJECTED_ROW_COLUMNS, part.rejected)
    wh.bulk_insert(conn, "ektp_ingest.validation_result", RESULT_COLUMNS, part.results)


def count_reason(outcome: FileOutcome, reason: str) -> None:
    outcome.reasons[reason] = outcome.reasons.get(reason, 0) + 1


def result_rows(paths: pd.Series, result: SuiteResult, at: datetime, run_id: str) -> list[list]:
    """Counts per file and expectation (unexpected_count), never the unexpected values themselves."""
    codes, files = pd.factorize(paths)
    sizes = np.bincount(codes, minlength=len(files))
    out = []
    for o in result.outcomes:
        hits = np.bincount(codes[o.unexpected], minlength=len(files))
        out.extend([run_id, at, result.suite.name, path, o.expectation_type, o.column, o.outcome, o.severity,
                    int(n), int(bad), bool(bad == 0)] for path, n, bad in zip(files, sizes, hits, strict=True))
    return out


def pending_docs(run_id: str):
    from ektp.ingest.data_docs import PendingDocs

    return PendingDocs(run_id)


def docs_label(kind: str, files: list[LandedFile]) -> str:
    from ektp.ingest.data_docs import batch_label

    dates = sorted(f.file_date.isoformat() for f in files)
    return batch_label(kind, sorted({f.path for f in files}), dates[0], dates[-1])
