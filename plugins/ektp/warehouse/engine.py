"""Engines for the warehouse: PostgreSQL, or an embedded SQLite file with real transactions."""

from __future__ import annotations

import os
import sys
from contextlib import suppress
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ektp.core.file_modes import PRIVATE_FILE, create_new
from ektp.core.settings import WAREHOUSE_CONN_ID, setting


class WarehouseNotDefined(RuntimeError):
    """No ``ektp_warehouse`` connection anywhere Airflow looks: a configuration error (retrying cannot help)."""


#: what to do when the connection is missing (a task's failure and the commands say it)
HOW_TO_DEFINE = (
    f"define the Airflow connection `{WAREHOUSE_CONN_ID}` for every Airflow component and command: "
    "AIRFLOW_CONN_EKTP_WAREHOUSE=postgresql://<user>:<password>@<host>:5432/<database> in their environment, or "
    f"`airflow connections add {WAREHOUSE_CONN_ID} --conn-uri postgresql://...` (metadata database), or the "
    "same in the configured secrets backend. The embedded SQLite warehouse is used only when chosen: "
    "AIRFLOW_CONN_EKTP_WAREHOUSE=sqlite:////absolute/path/warehouse.sqlite (scripts/airflow-env.sh does). "
    "See docs/deployment.md, 'The warehouse connection'"
)


def make_engine(url: str | None = None) -> Engine:
    """An engine on ``url``, by default the ``ektp_warehouse`` connection. PostgreSQL sessions get the bounded
    waits of the settings (connect, statement and lock timeouts); SQLite waits for its write lock as long as
    for the writers' lock."""
    url = url or warehouse_url()
    if url.startswith("sqlite"):
        _create_sqlite_file(url)
        engine = sa.create_engine(url, connect_args={"timeout": setting("write_lock_wait").total_seconds()},
                                  hide_parameters=True)
        _use_real_sqlite_transactions(engine)
        return engine
    # hide_parameters: an error message must not carry the values of a statement (NIKs, names)
    return sa.create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args=_bounded_waits(url))


def command_engine() -> Engine:
    """The warehouse engine of a command-line tool: without the connection, the tool ends with the message that
    says how to define it (exit status 1), not a traceback."""
    try:
        return make_engine()
    except WarehouseNotDefined as exc:
        raise SystemExit(f"error: {exc}") from None


def _bounded_waits(url: str) -> dict:
    """libpq arguments: every wait of a pipeline session bounded. What the URL itself says wins (its
    ``connect_timeout``; its ``options`` come after ours). The session's name is libpq's ``PGAPPNAME``."""
    ms = {name: int(setting(name).total_seconds() * 1000) for name in ("pg_statement_timeout", "pg_lock_timeout")}
    options = f"-c statement_timeout={ms['pg_statement_timeout']} -c lock_timeout={ms['pg_lock_timeout']}"
    query = sa.engine.make_url(url).query
    given = query.get("options")
    ours = {"connect_timeout": max(1, round(setting("pg_connect_timeout").total_seconds())),
            "options": f"{options} {given}" if isinstance(given, str) else options}
    return {k: v for k, v in ours.items() if k == "options" or k not in query}


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
    """The ``ektp_warehouse`` connection as a SQLAlchemy URL, from Airflow's connection layer, in tasks and
    commands alike: the ``AIRFLOW_CONN_EKTP_WAREHOUSE`` variable, Airflow's metadata database or a configured
    secrets backend. There is no default: without the connection, :class:`WarehouseNotDefined` says how to
    define it (and nothing is written anywhere)."""
    url = _airflow_connection_url()
    if not url:
        raise WarehouseNotDefined(f"No warehouse: the Airflow connection `{WAREHOUSE_CONN_ID}` is not defined; "
                                  + HOW_TO_DEFINE)
    return sqlalchemy_url(url)


def describe_warehouse(url: str | None = None) -> str:
    """Where the warehouse is, for a configuration error: the connection, host, port, database and user
    (configuration, never a row value; never the password)."""
    try:
        parsed = sa.engine.make_url(url or warehouse_url())
    except Exception:  # noqa: BLE001 - no connection, or not a URL: say so
        return f"connection `{WAREHOUSE_CONN_ID}` (not defined or not a URL)"
    if parsed.get_backend_name() == "sqlite":
        return f"connection `{WAREHOUSE_CONN_ID}`: SQLite file {parsed.database or '(in memory)'}"
    return (f"connection `{WAREHOUSE_CONN_ID}`: {parsed.get_backend_name()} host {parsed.host or 'localhost'}, "
            f"port {parsed.port or 5432}, database {parsed.database}, user {parsed.username}")


def sqlalchemy_url(url: str) -> str:
    """Map Airflow-style URLs to the driver this project uses (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _airflow_connection_url() -> str | None:
    """The one import of Airflow outside ``ektp.airflow`` (the import-linter contract names it): the connection
    ``ektp_warehouse`` as Airflow finds it. In a task, through the Task SDK's hook API (environment, then the
    API server: metadata database and secrets backend); in a command, through Airflow's own lookup (environment,
    configured secrets backend, metadata database). ``None`` if it is defined nowhere."""
    from airflow.exceptions import AirflowNotFoundException

    try:
        if _in_a_task():
            from airflow.sdk import BaseHook

            conn = BaseHook.get_connection(WAREHOUSE_CONN_ID)
        else:
            from airflow.models.connection import Connection as AirflowConnection

            conn = AirflowConnection.get_connection_from_secrets(WAREHOUSE_CONN_ID)
    except AirflowNotFoundException:
        return None
    return _url_of(conn)


def _in_a_task() -> bool:
    runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    return getattr(runner, "SUPERVISOR_COMMS", None) is not None


def _url_of(conn) -> str:
    """An Airflow connection as a URL, built from its fields (``get_uri`` percent-encodes a SQLite path, and a
    SQLite connection made in the UI keeps its path in Host)."""
    kind = (conn.conn_type or "").lower()
    if kind == "sqlite":
        return sa.URL.create("sqlite", database=conn.schema or conn.host or None).render_as_string(hide_password=False)
    extra = {k: str(v) for k, v in (conn.extra_dejson or {}).items()}
    return sa.URL.create("postgresql+psycopg" if kind in _POSTGRES else kind,
                         username=conn.login or None, password=conn.password or None, host=conn.host or None,
                         port=conn.port or None, database=conn.schema or None,
                         query=extra).render_as_string(hide_password=False)


_POSTGRES = {"postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"}
