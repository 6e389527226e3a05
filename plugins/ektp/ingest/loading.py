"""Validate landed files and write what became of every row, one transaction per file group.

A file's rows are replaced whole (delete by path, insert) together with its manifest entry and
a note of the date it changes, so the warehouse never holds half a file and the next publish
knows which dates to redo. Nothing here publishes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ektp import nik
from ektp import warehouse as wh
from ektp.config import settings
from ektp.csv_reader import Chunk, CsvFile, OversizedRecord, RejectedFile, open_csv
from ektp.landing import (
    BATCH,
    REGISTRY,
    LandedFile,
    RefusedFile,
    VanishedFile,
    fingerprint_unless_unchanged,
    open_landed,
)
from ektp.planning import slice_files
from ektp.plausibility import IMPLAUSIBLE, Verdict, accepts, advice, refusal
from ektp.safe_text import escaped
from ektp.validation import (
    BATCH_REQUIRED,
    MALFORMED,
    REGISTRY_REQUIRED,
    SuiteResult,
    file_sites,
    format_datetimes,
    load_suite,
    prepare_batch,
    prepare_registry,
    run_suite,
)

log = logging.getLogger(__name__)

#: an extract of at least this many rows, into a table holding no more rows than that, is COPYed without
#: indexes and they are built after it (wh.indexes_dropped); smaller loads update the indexes as they go
BULK_LOAD_MIN_ROWS = 100_000

RECORDING_COLUMNS = [
    "file_path", "row_number", "recording_date", "batch_id", "site_code", "site_name", "operator_id",
    "recorded_at", "nik", "full_name", "birth_date", "sex", "kelurahan_code_captured", "warnings",
]
RESIDENT_COLUMNS = ["extract_date", "row_number", "nik", "full_name", "birth_date", "sex", "kelurahan_code"]
REJECTED_ROW_COLUMNS = [
    "file_path", "row_number", "line_number", "file_kind", "file_date", "first_reason", "reasons",
    "warnings", "raw_record", "rejected_at", "run_id",
]
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


def _now() -> datetime:
    return datetime.now(UTC)


def _raw_record(header: list[str], fields: list[str]) -> str:
    if isinstance(fields, OversizedRecord):  # never held whole: what identifies it in the landed file
        return json.dumps({"_oversized": {"prefix": fields[0], "bytes": fields.size, "sha256": fields.sha256}},
                          ensure_ascii=False)
    if len(fields) != len(header):
        return json.dumps({"_fields": fields}, ensure_ascii=False)
    return json.dumps(dict(zip(header, fields, strict=True)), ensure_ascii=False)


def _whole_record_rejection(landed: LandedFile, row_number: int, line_number: int, reason: str,
                            header: list[str], fields: list[str], at: datetime, run_id: str) -> list:
    """A quarantine row for a record rejected with one reason and no column values read (malformed_row,
    duplicate_nik), as received. Plain ints: the Arrow reader numbers rows with numpy (SQLite would store
    those as BLOBs)."""
    return [landed.path, int(row_number), int(line_number), landed.kind, landed.file_date, reason, reason, None,
            _raw_record(header, fields), at, run_id]


def forget_files(conn: Connection, paths: Iterable[str]) -> None:
    """Remove everything a file contributed (before reloading it, or when it left the landing area).

    Only files in the manifest have anything to remove (a night's new files have not): a lookup in the
    small manifest spares six deletes against tables of millions of rows. One statement per table for up
    to 1,000 files (a statement per file, even pipelined, cost half a second per 200 files; SQLite allows
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
    at = _now()
    wh.run_sql_many(conn, "load/insert_pending_change",
                    [{"change_date": d, "noted_at": at, "run_id": run_id} for d in sorted(set(change_dates))])


def _manifest_entry(landed: LandedFile, run_id: str, *, status: str, rows: int | None = None,
                    rejected: int | None = None, reason: str | None = None, duplicate_of: str | None = None,
                    site: tuple[str, str | None] = (None, None)) -> dict:
    return {
        "file_path": landed.path, "file_kind": landed.kind, "file_date": landed.file_date,
        "sha256": landed.sha256, "size_bytes": landed.size, "modified_ns": landed.modified_ns,
        "changed_ns": landed.changed_ns,
        "row_count": rows, "rows_rejected": rejected, "status": status, "reason": reason,
        "duplicate_of": duplicate_of, "site_code": site[0], "site_name": site[1], "validated_at": _now(),
        "run_id": run_id,
    }


def record_manifest(conn: Connection, landed: LandedFile, run_id: str, **entry) -> None:
    wh.run_sql(conn, "load/insert_file_manifest", _manifest_entry(landed, run_id, **entry))


def reject_file(conn: Connection, landed: LandedFile, reason: str, run_id: str, *, rows: int | None = None,
                rejected: int | None = None) -> None:
    """``rows``/``rejected``: the counts of a file that was read (an implausible extract), else none."""
    wh.run_sql(conn, "load/insert_rejected_file", {
        "file_path": landed.path, "file_kind": landed.kind, "file_date": landed.file_date,
        "sha256": landed.sha256, "reason": reason, "rejected_at": _now(), "run_id": run_id,
    })
    record_manifest(conn, landed, run_id, status="rejected_file", reason=reason, rows=rows, rejected=rejected)


def skip_files(conn: Connection, duplicates: Iterable[tuple[LandedFile, str]], removed: Iterable[tuple[str, date]],
               run_id: str, refused: Iterable[tuple[LandedFile, str]] = (),
               retimed: Iterable[tuple[str, str, int | None, int | None]] = ()) -> None:
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


# --- batches -----------------------------------------------------------------------------------

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
    slice_bytes = slice_bytes or settings().slice_bytes
    set_aside: dict[str, str | None] = {}  # path: why it is not read (None: it vanished)
    while True:
        try:
            return _load_batch_files(engine, root, files, run_id, chunk_rows, slice_bytes, set_aside)
        except (RefusedFile, VanishedFile) as exc:
            if exc.path in set_aside or exc.path not in {f.path for f in files}:
                raise
            set_aside[exc.path] = exc.reason if isinstance(exc, RefusedFile) else None


def _open_for_load(root: Path, landed: LandedFile, required: tuple[str, ...],
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


def _load_batch_files(engine: Engine, root: Path, files: list[LandedFile], run_id: str, chunk_rows: int,
                      slice_bytes: int, set_aside: dict[str, str | None]) -> list[FileOutcome]:
    opened: list[tuple[LandedFile, CsvFile | None, str | None]] = []
    gone: list[LandedFile] = []
    for landed in files:
        try:
            opened.append(_open_for_load(root, landed, BATCH_REQUIRED, set_aside))
        except VanishedFile:
            log.warning("%s is no longer in the landing area: its rows are withdrawn", escaped(landed.path))
            gone.append(landed)
    readable = {f.path: c for f, c, _ in opened if c is not None}
    read = [f for f, c, _ in opened if c is not None]
    outcomes = {f.path: FileOutcome(f.path, "loaded") for f in read}
    docs = _pending_docs(run_id)
    label = _docs_label("batches", read) if read else ""
    validated_at = _now()

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
                writes.submit(lambda validated=validated: _store(conn, validated))

    docs.build()
    report = list(outcomes.values())
    report += [FileOutcome(f.path, "rejected_file", reason=r) for f, c, r in opened if c is None]
    report += [FileOutcome(f.path, "vanished") for f in gone]
    for out in report:
        log.info("%s: %s, %d rows, %d rejected %s", escaped(out.path), out.status, out.rows, out.rejected,
                 out.reasons or "")
    return report


@dataclass(frozen=True)
class _Validated:
    """One validated part of a load (a slice of batch files, a chunk of an extract): what to write, written
    by :func:`_store` one step behind the validation of the next part, and the GX result (Data Docs)."""

    table: str
    columns: list[str]
    rows: pd.DataFrame | None  # the valid rows; None: none (a chunk of malformed rows only)
    rejected: list[list]  # rejected_row rows
    results: list[list]  # validation_result rows
    manifest: list[dict] = field(default_factory=list)  # file_manifest rows of the files it completes
    gx_result: object = None


def _store(conn: Connection, part: _Validated) -> None:
    wh.run_sql_many(conn, "load/insert_file_manifest", part.manifest)
    if part.rows is not None:
        wh.insert_frame(conn, part.table, part.columns, part.rows)
    wh.bulk_insert(conn, "ektp_quarantine.rejected_row", REJECTED_ROW_COLUMNS, part.rejected)
    wh.bulk_insert(conn, "ektp_ingest.validation_result", RESULT_COLUMNS, part.results)


def _validate_batch_slice(files: list[tuple[LandedFile, CsvFile]], outcomes: dict[str, FileOutcome],
                          validated_at: datetime, run_id: str, chunk_rows: int) -> _Validated:
    """Read and validate a slice's files together (one frame, one suite run) and count each file's outcome."""
    # every file's rows as Arrow tables, made into ONE frame for the slice: per-file pandas work costs
    # milliseconds a file, which is most of a night of 1,000 small files
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
        rejected.append(_whole_record_rejection(landed, row_number, line, MALFORMED, header, fields, validated_at,
                                                run_id))
        _count(outcomes[landed.path], MALFORMED)
    if all_rows is not None:
        suite = load_suite("field_batch")
        prepared = prepare_batch(all_rows, all_rows["_folder_date"])
        result = run_suite(suite, prepared)
        accepted = _accepted_recordings(all_rows, prepared, result)
        rejected.extend(_rejected_rows(all_rows, result, headers, validated_at, run_id, BATCH))
        results = _result_rows(all_rows["_file_path"], result, validated_at, run_id)
        gx_result = result.gx_result
        bad = result.rejected()
        for path, reasons in zip(all_rows["_file_path"][bad], result.reason_lists(bad), strict=True):
            _count(outcomes[path], reasons[0])

    manifest = []
    for landed, _ in files:
        out = outcomes[landed.path]
        out.rows = row_counts[landed.path]
        out.rejected = sum(out.reasons.values())
        out.loaded = out.rows - out.rejected
        manifest.append(_manifest_entry(landed, run_id, status="loaded", rows=out.rows, rejected=out.rejected,
                                        site=sites[landed.path]))
    return _Validated("ektp_ingest.recording", RECORDING_COLUMNS, accepted, rejected, results, manifest, gx_result)


def _count(outcome: FileOutcome, reason: str) -> None:
    outcome.reasons[reason] = outcome.reasons.get(reason, 0) + 1


def _chunk_frame(chunk: Chunk, landed: LandedFile) -> pd.DataFrame:
    frame = pd.DataFrame(chunk.columns, dtype="string")
    frame["_row_number"] = np.asarray(chunk.row_numbers, dtype=np.int64)
    frame["_line_number"] = np.asarray(chunk.line_numbers, dtype=np.int64)
    frame["_file_path"] = landed.path
    frame["_folder_date"] = landed.file_date.isoformat()
    return frame


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
    })


def _rejected_rows(rows: pd.DataFrame, result: SuiteResult, headers: dict[str, list[str]],
                   at: datetime, run_id: str, kind: str) -> list[list]:
    """Quarantine rows of the rejected rows, each with its record as received (its file's columns)."""
    bad = result.rejected()
    sub = rows[bad]
    # columns as plain lists: indexing a pandas row per value cost a second per 80,000 values
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


def _result_rows(paths: pd.Series, result: SuiteResult, at: datetime, run_id: str) -> list[list]:
    """Counts per file and expectation (unexpected_count), never the unexpected values themselves."""
    codes, files = pd.factorize(paths)
    sizes = np.bincount(codes, minlength=len(files))
    out = []
    for o in result.outcomes:
        hits = np.bincount(codes[o.unexpected], minlength=len(files))
        out.extend([run_id, at, result.suite.name, path, o.expectation_type, o.column, o.outcome, o.severity,
                    int(n), int(bad), bool(bad == 0)] for path, n, bad in zip(files, sizes, hits, strict=True))
    return out


# --- registry extracts ----------------------------------------------------------------------

def load_registry_file(engine: Engine, root: Path, landed: LandedFile, run_id: str, chunk_rows: int,
                       accept_dates: frozenset[date] | None = None) -> FileOutcome:
    """One extract: :func:`load_registry_files` with no other change."""
    outcomes = load_registry_files(engine, root, [landed], run_id, chunk_rows, accept_dates)
    return next(o for o in outcomes if o.path == landed.path)


def load_registry_files(engine: Engine, root: Path, files: list[LandedFile], run_id: str, chunk_rows: int,
                        accept_dates: frozenset[date] | None = None, duplicates: list[tuple[LandedFile, str]] = (),
                        removed: list[tuple[str, date]] = (),
                        refused: list[tuple[LandedFile, str]] = ()) -> list[FileOutcome]:
    """Load ``files`` (extracts), record ``duplicates``, ``refused`` and ``removed`` registry files, and bring
    every extract's plausibility verdict up to date (``ektp.plausibility``), in one transaction.

    The extracts are walked in date order, each judged against the latest earlier accepted one: a file of
    ``files`` is validated and loaded in a savepoint, rolled back if it is refused; an extract loaded before
    keeps its rows unless its verdict changed (refused: its rows are removed; accepted: it is read again).
    One transaction, so a killed run leaves no extract judged against a predecessor that did not commit.

    An extract that cannot be read safely is rejected, and one that is gone is forgotten, as in
    :func:`load_batch_files`, also when that shows while its rows are read (the transaction is rolled back
    and the work done again with that file set aside). Returns the outcomes of the files loaded, refused or
    rejected."""
    accept_dates = settings().accept_extract if accept_dates is None else accept_dates
    set_aside: dict[str, str | None] = {}  # path: why it is not read (None: it vanished)
    while True:
        try:
            return _load_registry_files(engine, root, files, run_id, chunk_rows, accept_dates, duplicates,
                                        removed, refused, set_aside)
        except (RefusedFile, VanishedFile) as exc:
            if exc.path in set_aside:
                raise
            set_aside[exc.path] = exc.reason if isinstance(exc, RefusedFile) else None


def _load_registry_files(engine: Engine, root: Path, files: list[LandedFile], run_id: str, chunk_rows: int,
                         accept_dates: frozenset[date], duplicates: list[tuple[LandedFile, str]],
                         removed: list[tuple[str, date]], refused: list[tuple[LandedFile, str]],
                         set_aside: dict[str, str | None]) -> list[FileOutcome]:
    opened = {}
    gone: list[LandedFile] = []
    for landed in sorted(files, key=lambda f: f.file_date):
        try:
            opened[landed.path] = _open_for_load(root, landed, REGISTRY_REQUIRED, set_aside)
        except VanishedFile:
            gone.append(landed)
    outcomes: list[FileOutcome] = []
    docs: list = []  # Data Docs of the extracts loaded, built once the transaction has committed
    with wh.transaction(engine) as conn:
        skip_files(conn, duplicates, [*removed, *((f.path, f.file_date) for f in gone)], run_id, refused)
        recorded = {r.file_path: r for r in wh.query(conn, "load/select_judged_extracts",
                                                     {"refused": f"{IMPLAUSIBLE}%"})}
        previous: Verdict | None = None
        for path in sorted(set(opened) | set(recorded), key=lambda p: (p.split("/")[1], p)):
            if path in opened:
                outcome = _load_extract(conn, root, *opened[path], run_id, chunk_rows, previous, accept_dates, docs)
            else:
                outcome = _judge_again(conn, root, recorded[path], run_id, chunk_rows, previous, accept_dates, docs,
                                       set_aside)
            if outcome is None:  # loaded before, and its verdict stands
                row = recorded[path]
                if row.status == "loaded":
                    previous = Verdict(_day(row.file_date), row.row_count - row.rows_rejected, True)
                continue
            outcomes.append(outcome)
            if outcome.status == "loaded":
                previous = Verdict(_day(path.split("/")[1]), outcome.loaded, True)
    for pending in docs:
        pending.build()
    outcomes += [FileOutcome(f.path, "vanished") for f in gone]
    for out in outcomes:
        log.info("%s: %s, %d rows, %d rejected %s", escaped(out.path), out.status, out.rows, out.rejected,
                 out.reasons)
    return outcomes


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)  # SQLite returns ISO text


def _judge_again(conn: Connection, root: Path, row, run_id: str, chunk_rows: int, previous: Verdict | None,
                 accept_dates: frozenset[date], docs: list, set_aside: dict[str, str | None]) -> FileOutcome | None:
    """An extract loaded or refused before, under the chain as it is now: None if its verdict stands."""
    day, valid = _day(row.file_date), row.row_count - row.rows_rejected
    now = accepts(valid, previous, accept_dates, day)
    if now == (row.status == "loaded"):
        return None
    landed = LandedFile(row.file_path, REGISTRY, day, row.size_bytes, row.sha256, row.modified_ns, row.changed_ns)
    if now:  # refused before, accepted now (an earlier extract changed, or EKTP_ACCEPT_EXTRACT names it)
        try:
            opened = _open_for_load(root, landed, REGISTRY_REQUIRED, set_aside)
        except VanishedFile:  # gone since the plan: as a removed file, its rows (none) go
            forget_files(conn, [landed.path])
            note_change(conn, day, run_id)
            return FileOutcome(landed.path, "vanished")
        return _load_extract(conn, root, *opened, run_id, chunk_rows, previous, accept_dates, docs)
    # accepted before, refused now: its rows go, without reading the file again
    forget_files(conn, [landed.path])
    note_change(conn, day, run_id)
    return _refuse(conn, landed, FileOutcome(landed.path, "loaded", rows=row.row_count, rejected=row.rows_rejected,
                                             loaded=valid), previous, run_id)


def _refuse(conn: Connection, landed: LandedFile, outcome: FileOutcome, previous: Verdict, run_id: str) -> FileOutcome:
    """Record an implausible extract as a rejected file, with its counts (so that a later run can judge it again
    without reading it)."""
    reason = refusal(outcome.loaded, previous)
    log.warning("%s", advice(escaped(landed.path), outcome.loaded, previous))
    reject_file(conn, landed, reason, run_id, rows=outcome.rows, rejected=outcome.rejected)
    return FileOutcome(landed.path, "rejected_file", reason=reason)  # a rejected file's rows count nowhere


def _load_extract(conn: Connection, root: Path, landed: LandedFile, csv_file: CsvFile | None, rejection: str | None,
                  run_id: str, chunk_rows: int, previous: Verdict | None, accept_dates: frozenset[date],
                  docs_out: list) -> FileOutcome:
    """Validate an extract in chunks and replace it; duplicate NIKs are found over the whole file in SQL. The
    valid rows are known only at the end: an implausible extract's writes are rolled back to a savepoint.
    A loaded extract's pending Data Docs are added to ``docs_out``."""
    forget_files(conn, [landed.path])
    note_change(conn, landed.file_date, run_id)
    if csv_file is None:  # _open_for_load logged why
        reject_file(conn, landed, rejection, run_id)
        return FileOutcome(landed.path, "rejected_file", reason=rejection)

    suite = load_suite("registry_extract")
    tally = _ExtractTally(FileOutcome(landed.path, "loaded"))
    outcome = tally.outcome
    docs = _pending_docs(run_id)
    label = _docs_label("extract", [landed])
    at = _now()
    savepoint = conn.begin_nested()
    try:
        # a big extract into a (nearly) empty table: COPY without indexes, then build them (wh.indexes_dropped)
        incoming = max((csv_file.lines or 0) - 1, 0)
        bulk = incoming >= BULK_LOAD_MIN_ROWS and incoming >= wh.estimated_rows(conn, "ektp_ingest.registry_resident")
        # chunk k is written (COPY) in the background while chunk k+1 is validated (wh.WriteBehind)
        with wh.indexes_dropped(conn, "ektp_ingest.registry_resident", when=bulk), wh.WriteBehind(conn) as writes:
            for chunk in csv_file.chunks(chunk_rows):
                part = _validate_registry_chunk(chunk, csv_file, landed, suite, tally, at, run_id)
                docs.add(label, part.gx_result)  # chunks of one file add up to one result
                writes.submit(lambda part=part: _store(conn, part))
        wh.analyze(conn, "ektp_ingest.registry_resident")  # publishing joins it next: plan with its real size
        duplicates = _flag_duplicate_niks(conn, csv_file, landed, tally.rejected_niks, at, run_id, chunk_rows,
                                          tally.nik_numbers)
        if duplicates:
            outcome.reasons["duplicate_nik"] = duplicates
        outcome.rejected = sum(outcome.reasons.values())
        outcome.loaded = outcome.rows - outcome.rejected
        if not accepts(outcome.loaded, previous, accept_dates, landed.file_date):
            savepoint.rollback()
            return _refuse(conn, landed, outcome, previous, run_id)
        if previous is not None and 2 * outcome.loaded < previous.valid_rows:
            log.warning("%s is implausible (%d valid rows, fewer than half of the %d of extract %s) and accepted: "
                        "EKTP_ACCEPT_EXTRACT names its date", escaped(landed.path), outcome.loaded, previous.valid_rows,
                        previous.extract_date)
        record_manifest(conn, landed, run_id, status="loaded", rows=outcome.rows, rejected=outcome.rejected)
        if duplicates:  # residents were removed after they were counted: count again, in SQL
            wh.run_sql(conn, "load/insert_extract_target", {"extract_date": landed.file_date})
        else:
            wh.bulk_insert(conn, "ektp_ingest.extract_target", ["extract_date", "kelurahan_code", "target_residents"],
                           ([landed.file_date, code, int(n)] for code, n in tally.targets().items()))
        wh.analyze(conn, "ektp_ingest.extract_target")  # 84,000 new counts: publishing joins them to regions next
        wh.run_sql(conn, "load/insert_registry_extract", {
            "extract_date": landed.file_date, "file_path": landed.path, "rows_received": outcome.rows,
            "rows_rejected": outcome.rejected,
        })
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    savepoint.commit()
    docs_out.append(docs)
    return outcome


@dataclass
class _ExtractTally:
    """What the chunks of one extract add up to, for the steps that need the whole file."""

    outcome: FileOutcome
    # NIKs of rows rejected for another reason: they still count as occurrences for duplicate_nik
    rejected_niks: list[tuple[int, str]] = field(default_factory=list)
    nik_numbers: list[np.ndarray] = field(default_factory=list)  # every well-formed NIK, as a number
    chunk_targets: list[pd.Series] = field(default_factory=list)  # valid residents per kelurahan, of each chunk

    def targets(self) -> pd.Series:
        """Valid residents per kelurahan in the whole file, summed once at the end (adding each chunk's counts
        as it came aligned 84,000 codes every time: 0.07 s a chunk)."""
        if not self.chunk_targets:
            return pd.Series(dtype="int64")
        return pd.concat(self.chunk_targets).groupby(level=0, sort=False).sum()


def _validate_registry_chunk(chunk: Chunk, csv_file: CsvFile, landed: LandedFile, suite, tally: _ExtractTally,
                             at: datetime, run_id: str) -> _Validated:
    outcome = tally.outcome
    outcome.rows += len(chunk) + len(chunk.malformed)
    rejected = [_whole_record_rejection(landed, r, line, MALFORMED, csv_file.header, f, at, run_id)
                for r, line, f in chunk.malformed]
    for _ in chunk.malformed:
        _count(outcome, MALFORMED)
    if not len(chunk):
        return _Validated("ektp_ingest.registry_resident", RESIDENT_COLUMNS, None, rejected, [])
    rows = _chunk_frame(chunk, landed)
    prepared = prepare_registry(rows)
    result = run_suite(suite, prepared)
    bad = result.rejected()
    rejected.extend(_rejected_rows(rows, result, {landed.path: csv_file.header}, at, run_id, landed.kind))
    for reasons in result.reason_lists(bad):
        _count(outcome, reasons[0])
    well_formed = nik.is_well_formed(prepared["nik"]).to_numpy()
    tally.rejected_niks.extend(zip(rows["_row_number"][bad & well_formed].tolist(),
                                   prepared["nik"][bad & well_formed].tolist(), strict=True))
    tally.nik_numbers.append(nik.as_integers(prepared["nik"][well_formed]))
    ok = ~bad
    residents = pd.DataFrame({
        "extract_date": landed.file_date, "row_number": rows["_row_number"][ok],
        "nik": prepared["nik"][ok], "full_name": prepared["full_name"][ok],
        "birth_date": prepared["birth_date"][ok], "sex": prepared["sex"][ok],
        "kelurahan_code": prepared["kelurahan_code"][ok],
    })
    tally.chunk_targets.append(residents["kelurahan_code"].value_counts(sort=False))
    return _Validated("ektp_ingest.registry_resident", RESIDENT_COLUMNS, residents, rejected,
                      _result_rows(rows["_file_path"], result, at, run_id), gx_result=result.gx_result)


# --- Data Docs (ektp.data_docs: counts only, never row values; EKTP_DATA_DOCS=off skips them) -----------

def _pending_docs(run_id: str):
    from ektp.data_docs import PendingDocs

    return PendingDocs(run_id)


def _docs_label(kind: str, files: list[LandedFile]) -> str:
    from ektp.data_docs import batch_label

    dates = sorted(f.file_date.isoformat() for f in files)
    return batch_label(kind, sorted({f.path for f in files}), dates[0], dates[-1])


def _flag_duplicate_niks(conn: Connection, csv_file: CsvFile, landed: LandedFile, rejected_niks: list[tuple[int, str]],
                         at: datetime, run_id: str, chunk_rows: int, nik_numbers: list[np.ndarray]) -> int:
    """Reject every occurrence of a NIK that occurs more than once in the extract (contract §2.4).

    Returns how many residents became rejected (rows already rejected for another reason only gain the reason).
    ``nik_numbers`` (every well-formed NIK, as read) tells cheaply whether any NIK repeats at all; only then
    do the set-based statements run (each groups the whole extract by NIK: seconds for millions of rows).
    """
    numbers = np.sort(np.concatenate(nik_numbers)) if nik_numbers else np.zeros(0, dtype=np.int64)
    if not (numbers[1:] == numbers[:-1]).any():
        return 0
    stage = wh.table(conn, "ektp_ingest.registry_nik_stage")
    conn.execute(sa.text(f"DELETE FROM {stage}"))
    wh.bulk_insert(conn, "ektp_ingest.registry_nik_stage", ["row_number", "nik"], rejected_niks)
    params = {"extract_date": landed.file_date, "file_path": landed.path}
    wh.run_sql(conn, "load/stage_repeated_niks", params)
    moving = {r.row_number for r in wh.query(conn, "load/select_duplicate_residents", params)}
    # rows already quarantined for another reason get duplicate_nik added to their reasons
    wh.run_sql(conn, "load/append_duplicate_reason", params)
    wh.run_sql(conn, "load/delete_duplicate_residents", params)
    conn.execute(sa.text(f"DELETE FROM {stage}"))
    conn.execute(sa.text(f"DELETE FROM {wh.table(conn, 'ektp_ingest.registry_repeated_nik')}"))
    if not moving:
        return 0
    # residents that turn out to be duplicates move to the quarantine whole, as received: read them again
    rows = []
    for chunk in csv_file.chunks(chunk_rows):
        for i, row_number in enumerate(chunk.row_numbers):
            if row_number in moving:
                fields = [chunk.columns[name][i] for name in csv_file.header]
                rows.append(_whole_record_rejection(landed, row_number, chunk.line_numbers[i], "duplicate_nik",
                                                    csv_file.header, fields, at, run_id))
    wh.bulk_insert(conn, "ektp_quarantine.rejected_row", REJECTED_ROW_COLUMNS, rows)
    return len(moving)
