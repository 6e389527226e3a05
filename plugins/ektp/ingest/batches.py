"""The batch path: validate a group of field recording files in slices and replace their rows, in one
transaction."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from ektp.core.settings import setting
from ektp.ingest.file_groups import RowKind, load_group
from ektp.ingest.landing import BATCH, LandedFile
from ektp.ingest.loading import FileOutcome
from ektp.ingest.validation import (
    BATCH_REQUIRED,
    SuiteResult,
    file_sites,
    format_datetimes,
    prepare_batch,
)

RECORDING_COLUMNS = [
    "file_path", "row_number", "recording_date", "batch_id", "site_code", "site_name", "operator_id",
    "recorded_at", "nik", "full_name", "birth_date", "sex", "kelurahan_code_captured", "warnings", "line_number",
]


def load_batch_files(engine: Engine, root: Path, files: list[LandedFile], run_id: str, chunk_rows: int,
                     slice_bytes: int | None = None) -> list[FileOutcome]:
    """Validate a group of batch files and replace their rows, in one transaction (``file_groups.load_group``).

    The files are validated in slices of at most ``slice_bytes`` (default: ``EKTP_SLICE_BYTES``), one suite
    run per slice, and slice k is written (the COPY into ``recording`` and its three indexes, a third of a
    night's loading time) in the background while slice k+1 is read and validated (``wh.WriteBehind``):
    the server's work overlaps the Python work, and memory holds two slices at most, however large the group.
    """
    return load_group(engine, root, files, run_id, BATCH_ROWS, chunk_rows, slice_bytes or setting("slice_bytes"))


def _sites(rows: pd.DataFrame) -> dict[str, tuple[str, str | None]]:
    return file_sites(rows["_file_path"], rows["site_code"], rows["site_name"])


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


BATCH_ROWS = RowKind(BATCH, "batches", BATCH_REQUIRED, "field_batch", prepare_batch, _accepted_recordings,
                     "ektp_ingest.recording", RECORDING_COLUMNS, _sites)
