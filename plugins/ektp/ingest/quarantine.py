"""Rejected rows as the quarantine keeps them: whole, as received, with every reason."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime

import pandas as pd

from ektp.ingest.csv_reader import OversizedRecord
from ektp.ingest.landing import (
    LandedFile,
)
from ektp.ingest.validation import (
    SuiteResult,
)

log = logging.getLogger(__name__)


REJECTED_ROW_COLUMNS = [
    "file_path", "row_number", "line_number", "file_kind", "file_date", "first_reason", "reasons",
    "warnings", "raw_record", "rejected_at", "run_id",
]


def _raw_record(header: list[str], fields: list[str]) -> str:
    if isinstance(fields, OversizedRecord):  # never held whole: what identifies it in the landed file
        return json.dumps({"_oversized": {"prefix": fields[0], "bytes": fields.size, "sha256": fields.sha256}},
                          ensure_ascii=False)
    if len(fields) != len(header):
        return json.dumps({"_fields": fields}, ensure_ascii=False)
    return json.dumps(dict(zip(header, fields, strict=True)), ensure_ascii=False)


def whole_record_rejection(landed: LandedFile, row_number: int, line_number: int, reason: str,
                            header: list[str], fields: list[str], at: datetime, run_id: str) -> list:
    """A quarantine row for a record rejected with one reason and no column values read (malformed_row,
    duplicate_nik), as received. Plain ints: the Arrow reader numbers rows with numpy (SQLite would store
    those as BLOBs)."""
    return [landed.path, int(row_number), int(line_number), landed.kind, landed.file_date, reason, reason, None,
            _raw_record(header, fields), at, run_id]


def rejected_rows(rows: pd.DataFrame, result: SuiteResult, headers: dict[str, list[str]],
                   at: datetime, run_id: str, kind: str) -> list[list]:
    """Quarantine rows of the rejected rows, each with its record as received (its file's columns)."""
    bad = result.rejected()
    sub = rows[bad]
    # columns as plain lists: indexing a pandas row per value was the slowest part of a load
    values = {name: sub[name].tolist() for name in {n for header in headers.values() for n in header}}
    paths = sub["_file_path"].tolist()
    out = []
    for i, (path, row_number, line_number, folder_date, reasons, warnings) in enumerate(zip(
            paths, sub["_row_number"].tolist(), sub["_line_number"].tolist(), sub["_folder_date"].tolist(),
            result.reason_lists(bad), result.warning_strings(bad), strict=True)):
        raw = json.dumps({name: values[name][i] for name in headers[path]}, ensure_ascii=False)
        out.append([path, int(row_number), int(line_number), kind, date.fromisoformat(folder_date), reasons[0],
                    ",".join(reasons), warnings, raw, at, run_id])
    return out
