"""Engines for the warehouse: PostgreSQL, or an embedded SQLite file with real transactions."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ektp.core.file_modes import PRIVATE_FILE, create_new
from ektp.core.settings import WAREHOUSE_CONN_ID, setting


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


def warehouse_url() -> str:
    """The warehouse as a SQLAlchemy URL.

    The contract names the Airflow connection ``ektp_warehouse``; its usual form is the
    ``AIRFLOW_CONN_EKTP_WAREHOUSE`` URL, read directly so that tools outside Airflow agree.
    Without it, a connection stored in Airflow's metadata database is used, and failing
    that the embedded SQLite warehouse under ``var/``.
    """
    url = setting("warehouse_url") or _airflow_connection_uri()
    if not url:
        url = f"sqlite:///{setting('var_dir') / 'warehouse.sqlite'}"
    return sqlalchemy_url(url)


def sqlalchemy_url(url: str) -> str:
    """Map Airflow-style URLs to the driver this project uses (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _airflow_connection_uri() -> str | None:
    """The one import of Airflow outside ``ektp.airflow`` (the import-linter contract names it): the CLI commands
    find the connection where the DAG does, when it is kept in Airflow's metadata database."""
    try:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(WAREHOUSE_CONN_ID)
    except Exception:  # noqa: BLE001 - no Airflow context or no such connection: use the default
        return None
    return conn.get_uri()
