"""Engines for the warehouse: PostgreSQL, or an embedded SQLite file with real transactions."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ektp.core.file_modes import PRIVATE_FILE, create_new
from ektp.core.settings import warehouse_url


def make_engine(url: str | None = None) -> Engine:
    url = url or warehouse_url()
    if url.startswith("sqlite"):
        _create_sqlite_file(url)
        engine = sa.create_engine(url, connect_args={"timeout": 600}, hide_parameters=True)
        _use_real_sqlite_transactions(engine)
        return engine
    # hide_parameters: an error message must not carry the values of a statement (NIKs, names)
    return sa.create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _create_sqlite_file(url: str) -> None:
    """Create a new SQLite warehouse file readable by its owner only (it holds NIKs and names) before SQLite
    creates it readable by all (0644 less the umask). SQLite gives its -wal, -shm and -journal files the
    database file's mode."""
    parsed = sa.engine.make_url(url)
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:") or parsed.query.get("uri"):
        return
    with suppress(FileExistsError, FileNotFoundError):  # an existing warehouse keeps its mode; no folder: SQLite says
        os.close(create_new(Path(database), PRIVATE_FILE))


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
