"""warehouse.WriteBehind (a load's writes one step behind its CPU work) and IN-list parameters of run_sql,
on both warehouses."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from ektp import warehouse as wh
from ektp.ingest.registry import RESIDENT_COLUMNS


def _staged_niks(conn: sa.Connection) -> list[str]:
    name = wh.table(conn, "ektp_ingest.registry_nik_stage")
    return [n for n, in conn.execute(sa.text(f"SELECT nik FROM {name} ORDER BY row_number"))]


def _stage(conn: sa.Connection, rows: list[tuple[int, str]]) -> None:
    wh.bulk_insert(conn, "ektp_ingest.registry_nik_stage", ["row_number", "nik"], rows)


def test_writes_run_in_order_and_all_finish_by_close(engine: sa.Engine):
    threads = set()
    with wh.transaction(engine) as conn, wh.WriteBehind(conn) as writes:
        for k in range(5):
            def write(k=k):
                threads.add(threading.current_thread().name)
                _stage(conn, [(k, f"{k:016d}")])
            writes.submit(write)
    with engine.connect() as conn:
        assert _staged_niks(conn) == [f"{k:016d}" for k in range(5)]
    if engine.dialect.name == "sqlite":
        assert threads == {threading.current_thread().name}  # SQLite connections stay in their thread
    else:
        assert threads != {threading.current_thread().name}  # PostgreSQL writes overlap the caller's work


def test_a_failed_write_is_raised_and_rolls_the_transaction_back(engine: sa.Engine):
    def fail():
        raise ValueError("write failed")

    with (pytest.raises(ValueError, match="write failed"), wh.transaction(engine) as conn,
          wh.WriteBehind(conn) as writes):
        writes.submit(lambda: _stage(conn, [(1, "1" * 16)]))
        writes.submit(fail)
        writes.submit(lambda: _stage(conn, [(2, "2" * 16)]))  # raises the previous write's error
    with engine.connect() as conn:
        assert _staged_niks(conn) == []


def test_the_callers_error_wins_over_a_pending_writes_error(engine: sa.Engine):
    def fail():
        raise ValueError("write failed")

    with pytest.raises(KeyError), wh.transaction(engine) as conn, wh.WriteBehind(conn) as writes:
        writes.submit(fail if engine.dialect.name == "postgresql" else lambda: None)
        raise KeyError("validation failed")


def _rejected_files(conn: sa.Connection) -> list[str]:
    name = wh.table(conn, "ektp_quarantine.rejected_file")
    return [p for p, in conn.execute(sa.text(f"SELECT file_path FROM {name} ORDER BY file_path"))]


def test_forget_files_deletes_exactly_the_listed_files_in_one_statement_per_table(engine: sa.Engine):
    from datetime import date

    from ektp.ingest.landing import LandedFile
    from ektp.ingest.manifest import forget_files, reject_file

    paths = [f"batches/2026-11-02/{c}.csv" for c in "abcde"]
    with wh.transaction(engine) as conn:
        for path in paths:  # a rejected file: its rejected_file row and its manifest entry
            reject_file(conn, LandedFile(path, "batch", date(2026, 11, 2), 10, "0" * 64), "no header", "test")
    with wh.transaction(engine) as conn:
        forget_files(conn, [])  # an empty IN list matches nothing and is no error
        forget_files(conn, (p for p in [*paths[1:4], "batches/2026-11-02/never-landed.csv"]))  # any iterable
        assert _rejected_files(conn) == [paths[0], paths[4]]
        manifest = wh.table(conn, "ektp_ingest.file_manifest")
        assert [p for p, in conn.execute(sa.text(f"SELECT file_path FROM {manifest} ORDER BY 1"))] == [
            paths[0], paths[4]]


def test_stream_reads_the_rows_of_query_a_few_at_a_time(engine: sa.Engine):
    """wh.stream (a server-side cursor on PostgreSQL) gives the rows wh.query gives, fetching fewer at a time."""
    from datetime import date

    extract = date(2026, 11, 1)
    with wh.transaction(engine) as conn:
        wh.bulk_insert(conn, "ektp_ingest.registry_resident", RESIDENT_COLUMNS,
                       [(extract, k, f"{3174010101900000 + k}", f"Warga {k}", date(1990, 1, 1 + k % 3), "LP"[k % 2],
                         f"31.74.01.{1001 + k % 4}") for k in range(1, 12)])
        wh.bulk_insert(conn, "ektp_quarantine.followup_candidate_key", ["birth_date", "kelurahan_code"],
                       [(None, "31.74.01.1001"), (None, "31.74.01.1003"), (None, "31.74.01.1004")])
        params = {"extract_date": extract}
        expected = wh.query(conn, "followup/select_candidate_blocks", params)
        streamed = list(wh.stream(conn, "followup/select_candidate_blocks", params, rows_per_fetch=2))
    assert len(expected) == 3 and streamed == expected  # three kelurahan blocks, in two fetches
