"""The warehouse: PostgreSQL, or embedded SQLite with the same tables and no schemas.

SQL lives in ``sql/<stage>/<verb>_<object>.sql``, written for PostgreSQL. For SQLite the
loader drops what SQLite lacks (schemas, comments) and nothing else, so both warehouses run
the same statements. Values are always bound parameters; identifiers come only from code.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ektp.config import SQL_DIR, warehouse_url

SCHEMAS = ("ektp_ingest", "ektp_quarantine", "ektp_coverage")
_SCHEMA_PREFIX = re.compile(r"\b(?:" + "|".join(SCHEMAS) + r")\.")
_PG_COLLATE_C = re.compile(r'\s+COLLATE\s+"C"', re.IGNORECASE)  # SQLite's default (BINARY) is already code-point order
_SQLITE_SKIP = re.compile(r"^\s*(CREATE SCHEMA|COMMENT ON|GRANT|REVOKE)\b", re.IGNORECASE)
#: one lock for every writer, so concurrent runs serialise instead of interleaving
_WRITE_LOCK_KEY = 7_310_458_201


def make_engine(url: str | None = None) -> Engine:
    url = url or warehouse_url()
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 600})
        _use_real_sqlite_transactions(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _use_real_sqlite_transactions(engine: Engine) -> None:
    """pysqlite's implicit transactions skip DDL and take locks late; take them ourselves.

    ``BEGIN IMMEDIATE`` takes the write lock at the start, like the advisory lock on PostgreSQL.
    """

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_sqlite(conn: Connection | Engine) -> bool:
    return conn.dialect.name == "sqlite"


@cache
def _sql_text(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def statements(name: str, dialect: str) -> list[str]:
    """The statements of ``sql/<name>.sql`` for this dialect (split on ``;`` at line ends)."""
    body = re.sub(r"--[^\n]*", "", _sql_text(name))
    parts = [p.strip() for p in re.split(r";\s*(?:\n|$)", body) if p.strip()]
    if dialect == "sqlite":
        parts = [_PG_COLLATE_C.sub("", _SCHEMA_PREFIX.sub("", p)) for p in parts if not _SQLITE_SKIP.match(p)]
    return parts


def run_sql(conn: Connection, name: str, params: Mapping[str, Any] | None = None) -> sa.CursorResult:
    """Run every statement of a SQL file with bound parameters; returns the last result."""
    result = None
    for stmt in statements(name, conn.dialect.name):
        clause = sa.text(stmt)
        bound = {k: v for k, v in (params or {}).items() if f":{k}" in stmt}
        result = conn.execute(clause, bound)
    assert result is not None, f"sql/{name}.sql has no statements"
    return result


def query(conn: Connection, name: str, params: Mapping[str, Any] | None = None) -> list[sa.Row]:
    return list(run_sql(conn, name, params))


def table(conn: Connection, qualified: str) -> str:
    """A table name as this warehouse spells it (``ektp_ingest.x`` or ``x``)."""
    return _SCHEMA_PREFIX.sub("", qualified) if is_sqlite(conn) else qualified


def lock_for_write(conn: Connection) -> None:
    """Serialise writers for the rest of this transaction (SQLite: BEGIN IMMEDIATE did it)."""
    if not is_sqlite(conn):
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITE_LOCK_KEY})")


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    with engine.begin() as conn:
        lock_for_write(conn)
        yield conn


def migrate(engine: Engine) -> None:
    """Create or update the warehouse tables and the region names (idempotent)."""
    from ektp.reference import region_rows

    with transaction(engine) as conn:
        run_sql(conn, "schema/create_tables")
        region = table(conn, "ektp_ingest.region")
        have = conn.execute(sa.text(f"SELECT count(*) FROM {region}")).scalar_one()
        rows = region_rows()
        if have != len(rows):
            conn.execute(sa.text(f"DELETE FROM {region}"))
            bulk_insert(conn, "ektp_ingest.region", ["region_code", "region_name", "region_level"],
                        ([r["region_code"], r["region_name"], r["region_level"]] for r in rows))


def bulk_insert(conn: Connection, qualified: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Append rows: COPY on PostgreSQL, executemany on SQLite. ``None`` is NULL."""
    name = table(conn, qualified)
    cols = ", ".join(columns)
    if is_sqlite(conn):
        marks = ", ".join("?" for _ in columns)
        cur = conn.connection.driver_connection.cursor()
        batch = list(rows)
        cur.executemany(f"INSERT INTO {name} ({cols}) VALUES ({marks})", batch)
        return len(batch)
    n = 0
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def copy_csv(conn: Connection, qualified: str, columns: Sequence[str], csv_text: io.StringIO | bytes) -> None:
    """PostgreSQL only: COPY a CSV block (empty unquoted field = NULL) - the fast path for big frames."""
    name = table(conn, qualified)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(csv_text.getvalue() if isinstance(csv_text, io.StringIO) else csv_text)
