"""Write transactions: one writer at a time, waited for within a bound; database errors told without values."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ektp.core.settings import setting
from ektp.warehouse.engine import is_sqlite
from ektp.warehouse.errors import WarehouseBusy, WarehouseError, describe_db_error, is_db_error
from ektp.warehouse.sql_files import query, run_sql

#: one lock for every writer, so concurrent runs serialise instead of interleaving
_WRITE_LOCK_KEY = 7_310_458_201
_LOCK_NOT_AVAILABLE = "55P03"


def lock_for_write(conn: Connection) -> None:
    """Serialise writers for the rest of this transaction, waiting at most ``EKTP_WRITE_LOCK_WAIT_MINUTES``
    (SQLite: BEGIN IMMEDIATE did it, within its busy timeout). A wait that runs out raises
    :class:`WarehouseBusy`, naming since when the holder has held the warehouse."""
    if is_sqlite(conn):
        return
    wait = setting("write_lock_wait")
    try:
        run_sql(conn, "warehouse/lock_writers",
                {"lock_key": _WRITE_LOCK_KEY, "wait_ms": str(max(1, int(wait.total_seconds() * 1000)))})
    except sa.exc.OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
            raise
        raise WarehouseBusy(_busy_message(conn.engine, wait.total_seconds())) from None


def _busy_message(engine: Engine, waited_s: float) -> str:
    try:
        with engine.connect() as other:
            rows = query(other, "warehouse/select_writer_lock_holder", {"lock_key": _WRITE_LOCK_KEY})
    except sa.exc.DBAPIError:
        rows = []
    holder = rows[0] if rows else None
    since = "an unknown time"
    about = ""
    if holder is not None:
        pid, xact_start, backend_start, application = holder
        started = xact_start or backend_start
        since = started.isoformat(timespec="seconds") if started else since
        about = f" (server process {pid}{f', application {application}' if application else ''})"
    return (f"another run has held the warehouse since {since}{about}: waited {waited_s:g} s for the writers' "
            "lock (EKTP_WRITE_LOCK_WAIT_MINUTES) and changed nothing. If no run is active, ask the database "
            "administrator to end that session (pg_terminate_backend).")


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction, serialised with every other writer; a database error leaves it as a
    :class:`WarehouseError` that names what failed but none of the values (rolled back either way)."""
    try:
        with engine.begin() as conn:
            lock_for_write(conn)
            yield conn
    except Exception as exc:
        if not is_db_error(exc):
            raise
        raise WarehouseError(describe_db_error(exc)) from None
