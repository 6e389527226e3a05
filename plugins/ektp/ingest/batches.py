"""The batch path: validate a group of field recording files in slices and replace their rows, in one
transaction."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
from sqlalchemy.engine import Engine

from ektp import warehouse as wh
from ektp.core.safe_text import escaped
from ektp.core.settings import setting
from ektp.ingest.csv_reader import Chunk, CsvFile
from ektp.ingest.landing import (
    BATCH,
    LandedFile,
    RefusedFile,
    VanishedFile,
)
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
from ektp.ingest.validation import (
    BATCH_REQUIRED,
    MALFORMED,
    SuiteResult,
    file_sites,
    format_datetimes,
    load_suite,
    prepare_batch,
    run_suite,
)

log = logging.getLogger(__name__)


RECORDING_COLUMNS = [
    "file_path", "row_number", "recording_date", "batch_id", "site_code", "site_name", "operator_id",
    "recorded_at", "nik", "full_name", "birth_date", "sex", "kelurahan_code_captured", "warnings", "line_number",
]


def load_batch_files(engine: Engine, root: Path, files: list[LandedFile], run_id: str, chunk_rows: int,
                     slice_bytes: int | None = None) -> list[FileOutcome]:
    """Validate a group of batch files and replace their rows, in one transaction.

    The files are validated in slices of at most ``slice_bytes`` (default: ``EKTP_SLICE_BYTES``), one suite
    run per slice, and slice k is written (the COPY into ``recording`` and its three indexes, a third of a
    night's loading time) in the background while slice k+1 is read and validated (``wh.WriteBehind``):
    the server's work overlaps the Python work, and memory holds two slices at most, however large the group.

    A file that cannot be read safely (``landing.RefusedFile``) is rejected with the reason, and one gone
    since the plan is forgotten, whenever that shows: when it is opened, or while its rows are read (then
    the transaction is rolled back and the group loaded again with that file set aside).
    """
    slice_bytes = slice_bytes or setting("slice_bytes")
    set_aside: dict[str, str | None] = {}  # path: why it is not read (None: it vanished)
    while True:
        try:
            return _load_batch_files(engine, root, files, run_id, chunk_rows, slice_bytes, set_aside)
        except (RefusedFile, VanishedFile) as exc:
            if exc.path in set_aside or exc.path not in {f.path for f in files}:
                raise
            set_aside[exc.path] = exc.reason if isinstance(exc, RefusedFile) else None


def _load_batch_files(engine: Engine, root: Path, files: list[LandedFile], run_id: str, chunk_rows: int,
                      slice_bytes: int, set_aside: dict[str, str | None]) -> list[FileOutcome]:
    opened: list[tuple[LandedFile, CsvFile | None, str | None]] = []
    gone: list[LandedFile] = []
    for landed in files:
        try:
            opened.append(open_for_load(root, landed, BATCH_REQUIRED, set_aside))
        except VanishedFile:
            log.warning("%s is no longer in the landing area: its rows are withdrawn", escaped(landed.path))
            gone.append(landed)
    readable = {f.path: c for f, c, _ in opened if c is not None}
    read = [f for f, c, _ in opened if c is not None]
    outcomes = {f.path: FileOutcome(f.path, "loaded") for f in read}
    docs = pending_docs(run_id)
    label = docs_label("batches", read) if read else ""
    validated_at = now()

    with wh.transaction(engine) as conn:
        forget_files(conn, [f.path for f in files])
        note_changes(conn, [f.file_date for f in files], run_id)
        for landed, csv_file, reason in opened:
            if csv_file is None:
                reject_file(conn, landed, reason, run_id)
        with wh.WriteBehind(conn) as writes:
            for part in slice_files(read, slice_bytes):
                validated = _validate_batch_slice([(f, readable[f.path]) for f in part], outcomes, validated_at,
                                                  run_id, chunk_rows)
                docs.add(label, validated.gx_result)  # the slices of one group add up to one result
                writes.submit(lambda validated=validated: store(conn, validated))

    docs.build()
    report = list(outcomes.values())
    report += [FileOutcome(f.path, "rejected_file", reason=r) for f, c, r in opened if c is None]
    report += [FileOutcome(f.path, "vanished") for f in gone]
    for out in report:
        log.info("%s: %s, %d rows, %d rejected %s", escaped(out.path), out.status, out.rows, out.rejected,
                 out.reasons or "")
    return report


def _validate_batch_slice(files: list[tuple[LandedFile, CsvFile]], outcomes: dict[str, FileOutcome],
                          validated_at: datetime, run_id: str, chunk_rows: int) -> Validated:
    """Read and validate a slice's files together (one frame, one suite run) and count each file's outcome."""
    # every file's rows as Arrow tables, made into ONE frame for the slice: per-file pandas work costs
    # a fixed cost per file, which dominated a night of 1,000 small files
    tables, headers, malformed, row_counts = [], {}, [], {}
    for landed, csv_file in files:
        rows = 0
        for chunk in csv_file.chunks(chunk_rows):
            rows += len(chunk) + len(chunk.malformed)
            tables.append(_chunk_table(chunk, landed))
            malformed.extend((landed, csv_file.header, m) for m in chunk.malformed)
        headers[landed.path] = csv_file.header
        row_counts[landed.path] = rows
    all_rows = _group_frame(tables) if tables else None
    sites = {f.path: ("", None) for f, _ in files}
    if all_rows is not None:
        sites |= file_sites(all_rows["_file_path"], all_rows["site_code"], all_rows["site_name"])

    rejected, accepted, results, gx_result = [], None, [], None
    for landed, header, (row_number, line, fields) in malformed:
        rejected.append(whole_record_rejection(landed, row_number, line, MALFORMED, header, fields, validated_at,
                                                run_id))
        count_reason(outcomes[landed.path], MALFORMED)
    if all_rows is not None:
        suite = load_suite("field_batch")
        prepared = prepare_batch(all_rows, all_rows["_folder_date"])
        result = run_suite(suite, prepared)
        accepted = _accepted_recordings(all_rows, prepared, result)
        rejected.extend(rejected_rows(all_rows, result, headers, validated_at, run_id, BATCH))
        results = result_rows(all_rows["_file_path"], result, validated_at, run_id)
        gx_result = result.gx_result
        bad = result.rejected()
        for path, reasons in zip(all_rows["_file_path"][bad], result.reason_lists(bad), strict=True):
            count_reason(outcomes[path], reasons[0])

    manifest = []
    for landed, _ in files:
        out = outcomes[landed.path]
        out.rows = row_counts[landed.path]
        out.rejected = sum(out.reasons.values())
        out.loaded = out.rows - out.rejected
        manifest.append(manifest_entry(landed, run_id, status="loaded", rows=out.rows, rejected=out.rejected,
                                        site=sites[landed.path]))
    return Validated("ektp_ingest.recording", RECORDING_COLUMNS, accepted, rejected, results, manifest, gx_result)


def _chunk_table(chunk: Chunk, landed: LandedFile) -> pa.Table:
    """A chunk's well-formed rows as an Arrow table with where they came from (the columns of _chunk_frame)."""
    if chunk.table is not None:
        table = chunk.table
    else:
        table = pa.table({name: pa.array(values, pa.string()) for name, values in chunk.columns.items()})
    n = len(chunk)
    return (table.append_column("_row_number", pa.array(chunk.row_numbers, pa.int64()))
            .append_column("_line_number", pa.array(chunk.line_numbers, pa.int64()))
            .append_column("_file_path", pa.array([landed.path] * n, pa.string()))
            .append_column("_folder_date", pa.array([landed.file_date.isoformat()] * n, pa.string())))


def _group_frame(tables: list[pa.Table]) -> pd.DataFrame:
    """One frame of a group's rows (index 0..n-1); a column some files lack is null for their rows."""
    string = pd.StringDtype("pyarrow")
    table = pa.concat_tables(tables, promote_options="default")
    return table.to_pandas(types_mapper={pa.string(): string, pa.large_string(): string}.get)


def _accepted_recordings(rows: pd.DataFrame, prepared: pd.DataFrame, result: SuiteResult) -> pd.DataFrame:
    ok = ~result.rejected()
    p = prepared[ok]
    return pd.DataFrame({
        "file_path": rows["_file_path"][ok],
        "row_number": rows["_row_number"][ok],
        "recording_date": p["folder_date"],
        "batch_id": p["batch_id"], "site_code": p["site_code"], "site_name": p["site_name"],
        "operator_id": p["operator_id"],
        # fixed-width UTC text sorts like the instant, so SQLite orders it the way PostgreSQL does
        "recorded_at": format_datetimes(p["recorded_utc"], "%Y-%m-%d %H:%M:%S.%f+00:00"),
        "nik": p["nik"], "full_name": p["full_name"], "birth_date": p["birth_date_iso"], "sex": p["sex"],
        "kelurahan_code_captured": p["kelurahan_code"],
        "warnings": pd.Series(result.warning_strings(ok), index=p.index, dtype="string"),
        "line_number": rows["_line_number"][ok],
    })
