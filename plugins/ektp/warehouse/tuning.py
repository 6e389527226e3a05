"""PostgreSQL planner statistics, per-transaction settings and index rebuilds around bulk loads (SQLite: nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from ektp.warehouse.engine import is_sqlite
from ektp.warehouse.sql_files import query, run_sql, table


def analyze(conn: Connection, *qualified: str) -> None:
    """PostgreSQL: refresh the planner's statistics of tables a bulk load just changed. Autovacuum would do
    it a minute later; a statement planned before that sees an empty or a tenth-size table and picks a
    plan that scans a whole extract's index. Samples at most 30,000 rows a table. SQLite: nothing."""
    if is_sqlite(conn):
        return
    for name in qualified:
        conn.exec_driver_sql(f"ANALYZE {name}")


def tune_set_based_statements(conn: Connection, work_mem: str = "64MB", random_page_cost: str = "1.1") -> None:
    """PostgreSQL, for this transaction: sorts and hash tables may use ``work_mem`` each (the server default,
    4MB, sends grouping 80,000 kelurahan or hashing a night's recordings to disk), and an index lookup is
    costed as on SSD or cached data (``random_page_cost`` 1.1, not 4): index lookups, for instance of a
    night's residents by NIK, are no longer priced out in favour of scanning all 5.4 million residents
    (the status update at national size is faster so). No JIT: compiling each statement's expressions pays
    back only on scans far longer than these (publishing a national night is slower with it; BENCHMARKS.md).
    SQLite: nothing."""
    if not is_sqlite(conn):
        run_sql(conn, "warehouse/tune_set_based_statements", {"work_mem": work_mem,
                                                              "random_page_cost": random_page_cost})


@contextmanager
def local_settings(conn: Connection, **values: str) -> Iterator[None]:
    """PostgreSQL: these settings for the statements run inside only (``SET LOCAL``, then the transaction's
    values again), for one statement that needs them. Names come from code only. SQLite: nothing."""
    if is_sqlite(conn):
        yield
        return
    before = {name: run_sql(conn, "warehouse/select_setting", {"name": name}).scalar_one() for name in values}
    for name, value in values.items():
        run_sql(conn, "warehouse/set_local_setting", {"name": name, "value": value})
    yield
    for name, value in before.items():
        run_sql(conn, "warehouse/set_local_setting", {"name": name, "value": value})


def estimated_rows(conn: Connection, qualified: str) -> int:
    """PostgreSQL's estimate of a table's rows (``pg_class.reltuples``, kept by ANALYZE); 0 when unknown or SQLite."""
    if is_sqlite(conn):
        return 0
    found = run_sql(conn, "warehouse/select_estimated_rows", {"table_name": qualified}).scalar_one_or_none()
    return max(int(found or 0), 0)


@contextmanager
def indexes_dropped(conn: Connection, qualified: str, *, when: bool = True) -> Iterator[None]:
    """PostgreSQL: drop a table's indexes (primary key included) for a bulk load, then build them again.

    Millions of rows COPYed into an indexed table cost random inserts into every index (a NIK index of
    an extract does not fit in shared_buffers); one sort per index afterwards is several times cheaper.
    The definitions are read from the catalogue, so they always match ``schema/create_tables.sql``; the
    DDL is part of the caller's transaction (readers of the table wait for its commit). SQLite: no-op.
    """
    if not when or is_sqlite(conn):
        yield
        return
    found = query(conn, "warehouse/select_table_indexes", {"table_name": qualified})
    name = table(conn, qualified)
    for ix in found:
        conn.exec_driver_sql(f'ALTER TABLE {name} DROP CONSTRAINT "{ix.conname}"' if ix.conname
                             else f"DROP INDEX {ix.index_name}")
    yield
    # the sort budget of the index builds, shared by PostgreSQL's parallel build workers: 256 MB left each of
    # three participants too little for a national extract's NIK index
    run_sql(conn, "warehouse/set_index_build_memory")
    for ix in found:
        conn.exec_driver_sql(f'ALTER TABLE {name} ADD CONSTRAINT "{ix.conname}" {ix.constraint_def}' if ix.conname
                             else ix.index_def)
