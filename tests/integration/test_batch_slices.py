"""A group of batch files loaded in slices (each written while the next is validated) leaves exactly
what loading it as one slice leaves: every recording, quarantined row, manifest entry and
validation count, on both warehouses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from ektp.ingest import batches, file_groups
from ektp.ingest.landing import BATCH, fingerprint, scan
from ektp.warehouse import make_engine, migrate

from tests.conftest import fetch

RUN_ID = "slices"

#: what a load leaves, without the columns that hold the time of the load
TABLES = {
    "recording": "SELECT * FROM ektp_ingest.recording ORDER BY file_path, row_number",
    "rejected_row": "SELECT file_path, row_number, line_number, file_kind, file_date, first_reason, reasons, warnings,"
                    " raw_record, run_id FROM ektp_quarantine.rejected_row ORDER BY file_path, row_number",
    "rejected_file": "SELECT file_path, reason FROM ektp_quarantine.rejected_file ORDER BY file_path",
    "file_manifest": "SELECT file_path, file_kind, file_date, sha256, size_bytes, row_count, rows_rejected, status,"
                     " reason, site_code, site_name, run_id FROM ektp_ingest.file_manifest ORDER BY file_path",
    "validation_result": "SELECT suite_name, file_path, expectation_type, column_name, outcome, severity,"
                         " element_count, unexpected_count, success FROM ektp_ingest.validation_result"
                         " ORDER BY file_path, expectation_type, column_name, outcome",
    "pending_change": "SELECT DISTINCT change_date FROM ektp_ingest.pending_change ORDER BY change_date",
}


@contextmanager
def fresh_warehouse(kind: str, tmp_path: Path, name: str) -> Iterator:
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / f'{name}.sqlite'}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    from tests.integration.pg import new_pg_database

    with new_pg_database(prefix="ektp_slices") as url:
        engine = make_engine(url)
        migrate(engine)
        yield engine
        engine.dispose()


def load(engine, landing: Path, files, slice_bytes: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list, int]:
    """Load the files as one group; returns the outcomes and how many suite runs (slices) it took."""
    runs = []
    real_run_suite = file_groups.run_suite

    def counted(*args, **kwargs):
        runs.append(1)
        return real_run_suite(*args, **kwargs)

    monkeypatch.setattr(file_groups, "run_suite", counted)
    outcomes = batches.load_batch_files(engine, landing, files, RUN_ID, chunk_rows=50, slice_bytes=slice_bytes)
    monkeypatch.setattr(file_groups, "run_suite", real_run_suite)
    return sorted(outcomes, key=lambda o: o.path), len(runs)


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_slices_leave_what_one_slice_leaves(kind: str, sample_landing: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    landed, _ = scan(sample_landing)
    first_day = min(f.file_date for f in landed if f.kind == BATCH)
    files = [fingerprint(sample_landing, f) for f in landed if f.kind == BATCH and f.file_date == first_day]
    sizes = sorted(f.size for f in files)
    assert len(files) >= 4, "the sample's first night has several batch files"

    with fresh_warehouse(kind, tmp_path, "whole") as whole, fresh_warehouse(kind, tmp_path, "sliced") as sliced:
        # a group under half a slice is one slice (planning.slice_files)
        whole_outcomes, whole_runs = load(whole, sample_landing, files, 2 * sum(sizes), monkeypatch)
        # slices of about two files each: several slices, each written while the next is validated
        sliced_outcomes, sliced_runs = load(sliced, sample_landing, files, sizes[-1] + sizes[-2], monkeypatch)

        assert whole_runs == 1
        assert sliced_runs >= 3
        assert sliced_outcomes == whole_outcomes
        assert sum(o.loaded for o in whole_outcomes) > 0 and sum(o.rejected for o in whole_outcomes) > 0
        for name, sql in TABLES.items():
            assert fetch(sliced, sql) == fetch(whole, sql), name
