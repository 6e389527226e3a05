"""Loading a group of landed CSV files of one kind (field recordings, card events) in one transaction: what the
batch and the card-event loads share.

The group's files are opened (a file that cannot be read, or lacks a required column, is rejected whole), their
earlier rows forgotten and their dates noted for the next publish, then validated in slices, one suite run per
slice (the kind's :class:`RowKind` says which suite, how rows are prepared for it and what is stored of a valid
row), each slice written as one :class:`~ektp.ingest.loading.Validated` part one step behind the validation of
the next (``warehouse.WriteBehind``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
from sqlalchemy.engine import Engine

from ektp import warehouse as wh
from ektp.core.safe_text import escaped
from ektp.ingest.csv_reader import Chunk, CsvFile
from ektp.ingest.landing import LandedFile, RefusedFile, VanishedFile
from ektp.ingest.loading import (
    FileOutcome,
    Validated,
    count_reason,
    docs_label,
    now,
    open_for_load,
    pending_docs,
    result_rows,
    store,
)
from ektp.ingest.manifest import forget_files, manifest_entry, note_changes, reject_file
from ektp.ingest.planning import slice_files
from ektp.ingest.quarantine import rejected_rows, whole_record_rejection
from ektp.ingest.validation import MALFORMED, SuiteResult, load_suite, run_suite

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RowKind:
    """A kind of file loaded in groups: how its rows are validated and where the valid ones go."""

    kind: str  # the manifest's and the quarantine's file_kind
    docs_kind: str  # its Data Docs label
    required: tuple[str, ...]  # columns without which a file is rejected whole
    suite: str  # expectations/<suite>.json
    #: (the slice's rows, their folder dates) -> the columns the suite checks
    prepare: Callable[[pd.DataFrame, pd.Series], pd.DataFrame]
    #: (the slice's rows, prepared, the suite's result) -> the rows to store, in ``columns``
    valid_rows: Callable[[pd.DataFrame, pd.DataFrame, SuiteResult], pd.DataFrame]
    table: str
    columns: list[str]
    #: the slice's rows -> each file's (site_code, site_name) for the manifest; None: no site
    sites: Callable[[pd.DataFrame], dict[str, tuple[str, str | None]]] | None = None


def load_group(engine: Engine, root: Path, files: list[LandedFile], run_id: str, row_kind: RowKind,
               chunk_rows: int, slice_bytes: int) -> list[FileOutcome]:
    """Validate a group of files of one kind and replace their rows, in one transaction.

    A file that cannot be read safely (``landing.RefusedFile``) is rejected with the reason, and one gone
    since the plan is forgotten, whenever that shows: when it is opened, or while its rows are read (then
    the transaction is rolled back and the group loaded again with that file set aside).
    """
    set_aside: dict[str, str | None] = {}  # path: why it is not read (None: it vanished)
    while True:
        try:
            return _load_group(engine, root, files, run_id, row_kind, chunk_rows, slice_bytes, set_aside)
        except (RefusedFile, VanishedFile) as exc:
            if exc.path in set_aside or exc.path not in {f.path for f in files}:
                raise
            set_aside[exc.path] = exc.reason if isinstance(exc, RefusedFile) else None


def _load_group(engine: Engine, root: Path, files: list[LandedFile], run_id: str, row_kind: RowKind,
                chunk_rows: int, slice_bytes: int, set_aside: dict[str, str | None]) -> list[FileOutcome]:
    opened: list[tuple[LandedFile, CsvFile | None, str | None]] = []
    gone: list[LandedFile] = []
    for landed in files:
        try:
            opened.append(open_for_load(root, landed, row_kind.required, set_aside))
        except VanishedFile:
            log.warning("%s is no longer in the landing area: its rows are withdrawn", escaped(landed.path))
            gone.append(landed)
    readable = {f.path: c for f, c, _ in opened if c is not None}
    read = [f for f, c, _ in opened if c is not None]
    outcomes = {f.path: FileOutcome(f.path, "loaded") for f in read}
    docs = pending_docs(run_id)
    label = docs_label(row_kind.docs_kind, read) if read else ""
    validated_at = now()

    with wh.transaction(engine) as conn:
        forget_files(conn, [f.path for f in files])
        note_changes(conn, [f.file_date for f in files], run_id)
        for landed, csv_file, reason in opened:
            if csv_file is None:
                reject_file(conn, landed, reason, run_id)
        with wh.WriteBehind(conn) as writes:
            for part in slice_files(read, slice_bytes):
                validated = _validate_slice(row_kind, [(f, readable[f.path]) for f in part], outcomes,
                                            validated_at, run_id, chunk_rows)
                docs.add(label, validated.gx_result, **validated.row_counts)  # slices of a group: one result
                writes.submit(lambda validated=validated: store(conn, validated))

    docs.build()
    report = list(outcomes.values())
    report += [FileOutcome(f.path, "rejected_file", reason=r) for f, c, r in opened if c is None]
    report += [FileOutcome(f.path, "vanished") for f in gone]
    for out in report:
        log.info("%s: %s, %d rows, %d rejected %s", escaped(out.path), out.status, out.rows, out.rejected,
                 out.reasons or "")
    return report


def _validate_slice(row_kind: RowKind, files: list[tuple[LandedFile, CsvFile]], outcomes: dict[str, FileOutcome],
                    validated_at: datetime, run_id: str, chunk_rows: int) -> Validated:
    """Read and validate a slice's files together (one frame, one suite run) and count each file's outcome."""
    rows = _read_slice(files, outcomes, validated_at, run_id, chunk_rows)
    frame = rows.frame
    valid, results, gx_result, sites = None, [], None, {}
    if frame is not None:
        if row_kind.sites is not None:
            sites = row_kind.sites(frame)
        prepared = row_kind.prepare(frame, frame["_folder_date"])
        result = run_suite(load_suite(row_kind.suite), prepared)
        valid = row_kind.valid_rows(frame, prepared, result)
        rows.rejected.extend(rejected_rows(frame, result, rows.headers, validated_at, run_id, row_kind.kind))
        results = result_rows(frame["_file_path"], result, validated_at, run_id)
        gx_result = result.gx_result
        bad = result.rejected()
        for path, reasons in zip(frame["_file_path"][bad], result.reason_lists(bad), strict=True):
            count_reason(outcomes[path], reasons[0])
    manifest = []
    for landed, _ in files:
        out = outcomes[landed.path]
        out.rows = rows.row_counts[landed.path]
        out.rejected = sum(out.reasons.values())
        out.loaded = out.rows - out.rejected
        site = sites.get(landed.path, ("", None)) if row_kind.sites is not None else (None, None)
        manifest.append(manifest_entry(landed, run_id, status="loaded", rows=out.rows, rejected=out.rejected,
                                       site=site))
    return Validated(row_kind.table, row_kind.columns, valid, rows.rejected, results, manifest, gx_result)


@dataclass
class SliceRows:
    """A slice's well-formed rows as one frame (None: none), its malformed records already as quarantine rows."""

    frame: pd.DataFrame | None
    headers: dict[str, list[str]]  # each file's header
    row_counts: dict[str, int]  # each file's data rows, malformed ones included
    rejected: list[list] = field(default_factory=list)


def _read_slice(files: list[tuple[LandedFile, CsvFile]], outcomes: dict[str, FileOutcome], validated_at: datetime,
               run_id: str, chunk_rows: int) -> SliceRows:
    """Read a slice's files into one frame (one suite run per slice); malformed records are rejected whole."""
    # every file's rows as Arrow tables, made into ONE frame for the slice: per-file pandas work costs
    # a fixed cost per file, which dominated a night of 1,000 small files
    tables, headers, row_counts, rejected = [], {}, {}, []
    for landed, csv_file in files:
        rows = 0
        for chunk in csv_file.chunks(chunk_rows):
            rows += len(chunk) + len(chunk.malformed)
            tables.append(chunk_table(chunk, landed))
            for row_number, line, fields in chunk.malformed:
                rejected.append(whole_record_rejection(landed, row_number, line, MALFORMED, csv_file.header, fields,
                                                        validated_at, run_id))
                count_reason(outcomes[landed.path], MALFORMED)
        headers[landed.path] = csv_file.header
        row_counts[landed.path] = rows
    return SliceRows(group_frame(tables) if tables else None, headers, row_counts, rejected)


def chunk_table(chunk: Chunk, landed: LandedFile) -> pa.Table:
    """A chunk's well-formed rows as an Arrow table with where they came from (row and line numbers, the file's
    path and folder date)."""
    if chunk.table is not None:
        table = chunk.table
    else:
        table = pa.table({name: pa.array(values, pa.string()) for name, values in chunk.columns.items()})
    n = len(chunk)
    return (table.append_column("_row_number", pa.array(chunk.row_numbers, pa.int64()))
            .append_column("_line_number", pa.array(chunk.line_numbers, pa.int64()))
            .append_column("_file_path", pa.array([landed.path] * n, pa.string()))
            .append_column("_folder_date", pa.array([landed.file_date.isoformat()] * n, pa.string())))


def group_frame(tables: list[pa.Table]) -> pd.DataFrame:
    """One frame of a group's rows (index 0..n-1); a column some files lack is null for their rows."""
    string = pd.StringDtype("pyarrow")
    table = pa.concat_tables(tables, promote_options="default")
    return table.to_pandas(types_mapper={pa.string(): string, pa.large_string(): string}.get)
