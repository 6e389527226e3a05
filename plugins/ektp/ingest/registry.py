"""The extract path: validate SIAK extracts in chunks, find duplicate NIKs over a whole file, and judge each
extract's plausibility against the one before, in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from ektp import warehouse as wh
from ektp.core import nik
from ektp.core.safe_text import escaped
from ektp.core.settings import setting
from ektp.ingest.csv_reader import Chunk, CsvFile
from ektp.ingest.landing import (
    REGISTRY,
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
from ektp.ingest.manifest import forget_files, note_change, record_manifest, reject_file, skip_files
from ektp.ingest.plausibility import IMPLAUSIBLE, Verdict, accepts, advice, refusal
from ektp.ingest.quarantine import REJECTED_ROW_COLUMNS, rejected_rows, whole_record_rejection
from ektp.ingest.validation import (
    MALFORMED,
    REGISTRY_REQUIRED,
    load_suite,
    prepare_registry,
    run_suite,
)

log = logging.getLogger(__name__)


#: an extract of at least this many rows, into a table holding no more rows than that, is COPYed without
#: indexes and they are built after it (wh.indexes_dropped); smaller loads update the indexes as they go
BULK_LOAD_MIN_ROWS = 100_000


RESIDENT_COLUMNS = ["extract_date", "row_number", "nik", "full_name", "birth_date", "sex", "kelurahan_code"]


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
    every extract's plausibility verdict up to date (``ektp.ingest.plausibility``), in one transaction.

    The extracts are walked in date order, each judged against the latest earlier accepted one: a file of
    ``files`` is validated and loaded in a savepoint, rolled back if it is refused; an extract loaded before
    keeps its rows unless its verdict changed (refused: its rows are removed; accepted: it is read again).
    One transaction, so a killed run leaves no extract judged against a predecessor that did not commit.

    An extract that cannot be read safely is rejected, and one that is gone is forgotten, as in
    :func:`load_batch_files`, also when that shows while its rows are read (the transaction is rolled back
    and the work done again with that file set aside). Returns the outcomes of the files loaded, refused or
    rejected."""
    accept_dates = setting("accept_extract") if accept_dates is None else accept_dates
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
            opened[landed.path] = open_for_load(root, landed, REGISTRY_REQUIRED, set_aside)
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
            opened = open_for_load(root, landed, REGISTRY_REQUIRED, set_aside)
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
    if csv_file is None:  # open_for_load logged why
        reject_file(conn, landed, rejection, run_id)
        return FileOutcome(landed.path, "rejected_file", reason=rejection)

    suite = load_suite("registry_extract")
    tally = _ExtractTally(FileOutcome(landed.path, "loaded"))
    outcome = tally.outcome
    docs = pending_docs(run_id)
    label = docs_label("extract", [landed])
    at = now()
    savepoint = conn.begin_nested()
    try:
        # a big extract into a (nearly) empty table: COPY without indexes, then build them (wh.indexes_dropped)
        incoming = max((csv_file.lines or 0) - 1, 0)
        bulk = incoming >= BULK_LOAD_MIN_ROWS and incoming >= wh.estimated_rows(conn, "ektp_ingest.registry_resident")
        # chunk k is written (COPY) in the background while chunk k+1 is validated (wh.WriteBehind)
        with wh.indexes_dropped(conn, "ektp_ingest.registry_resident", when=bulk), wh.WriteBehind(conn) as writes:
            for chunk in csv_file.chunks(chunk_rows):
                part = _validate_registry_chunk(chunk, csv_file, landed, suite, tally, at, run_id)
                docs.add(label, part.gx_result, **part.row_counts)  # chunks of one file add up to one result
                writes.submit(lambda part=part: store(conn, part))
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
        as it came aligned 84,000 codes every time)."""
        if not self.chunk_targets:
            return pd.Series(dtype="int64")
        return pd.concat(self.chunk_targets).groupby(level=0, sort=False).sum()


def _validate_registry_chunk(chunk: Chunk, csv_file: CsvFile, landed: LandedFile, suite, tally: _ExtractTally,
                             at: datetime, run_id: str) -> Validated:
    outcome = tally.outcome
    outcome.rows += len(chunk) + len(chunk.malformed)
    rejected = [whole_record_rejection(landed, r, line, MALFORMED, csv_file.header, f, at, run_id)
                for r, line, f in chunk.malformed]
    for _ in chunk.malformed:
        count_reason(outcome, MALFORMED)
    if not len(chunk):
        return Validated("ektp_ingest.registry_resident", RESIDENT_COLUMNS, None, rejected, [])
    rows = _chunk_frame(chunk, landed)
    prepared = prepare_registry(rows)
    result = run_suite(suite, prepared)
    bad = result.rejected()
    rejected.extend(rejected_rows(rows, result, {landed.path: csv_file.header}, at, run_id, landed.kind))
    for reasons in result.reason_lists(bad):
        count_reason(outcome, reasons[0])
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
    return Validated("ektp_ingest.registry_resident", RESIDENT_COLUMNS, residents, rejected,
                      result_rows(rows["_file_path"], result, at, run_id), gx_result=result.gx_result)


def _chunk_frame(chunk: Chunk, landed: LandedFile) -> pd.DataFrame:
    frame = pd.DataFrame(chunk.columns, dtype="string")
    frame["_row_number"] = np.asarray(chunk.row_numbers, dtype=np.int64)
    frame["_line_number"] = np.asarray(chunk.line_numbers, dtype=np.int64)
    frame["_file_path"] = landed.path
    frame["_folder_date"] = landed.file_date.isoformat()
    return frame


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
    wh.run_sql(conn, "load/delete_nik_stage")
    wh.bulk_insert(conn, "ektp_ingest.registry_nik_stage", ["row_number", "nik"], rejected_niks)
    params = {"extract_date": landed.file_date, "file_path": landed.path}
    wh.run_sql(conn, "load/stage_repeated_niks", params)
    moving = {r.row_number for r in wh.query(conn, "load/select_duplicate_residents", params)}
    # rows already quarantined for another reason get duplicate_nik added to their reasons
    wh.run_sql(conn, "load/append_duplicate_reason", params)
    wh.run_sql(conn, "load/delete_duplicate_residents", params)
    wh.run_sql(conn, "load/delete_nik_stage")
    if not moving:
        return 0
    # residents that turn out to be duplicates move to the quarantine whole, as received: read them again
    rows = []
    for chunk in csv_file.chunks(chunk_rows):
        for i, row_number in enumerate(chunk.row_numbers):
            if row_number in moving:
                fields = [chunk.columns[name][i] for name in csv_file.header]
                rows.append(whole_record_rejection(landed, row_number, chunk.line_numbers[i], "duplicate_nik",
                                                    csv_file.header, fields, at, run_id))
    wh.bulk_insert(conn, "ektp_quarantine.rejected_row", REJECTED_ROW_COLUMNS, rows)
    return len(moving)
