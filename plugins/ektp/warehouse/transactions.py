"""Write transactions: one writer at a time, database errors told without values."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine

from ektp.warehouse.engine import is_sqlite
from ektp.warehouse.errors import WarehouseError, describe_db_error, is_db_error
from ektp.warehouse.sql_files import run_sql

#: one lock for every writer, so concurrent runs serialise instead of interleaving
_WRITE_LOCK_KEY = 7_310_458_201


def lock_for_write(conn: Connection) -> None:
    """Serialise writers for the rest of this transaction (SQLite: BEGIN IMMEDIATE did it)."""
    if not is_sqlite(conn):
        run_sql(conn, "warehouse/lock_writers", {"lock_key": _WRITE_LOCK_KEY})


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
