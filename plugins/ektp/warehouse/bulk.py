"""Bulk writes: COPY on PostgreSQL (binary, from Arrow, for frames), executemany on SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from ektp.warehouse.engine import is_sqlite
from ektp.warehouse.errors import WarehouseError, describe_db_error, is_db_error
from ektp.warehouse.sql_files import query, table

if TYPE_CHECKING:
    import pandas as pd


def _where(columns: Sequence[str]) -> tuple[int, int] | None:
    """Positions of file_path and row_number, which say where a row came from (never its values)."""
    if "file_path" in columns and "row_number" in columns:
        return list(columns).index("file_path"), list(columns).index("row_number")
    return None


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
    where, sent = _where(columns), []
    try:
        with raw.cursor() as cur, cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                if where:
                    sent.append((row[where[0]], row[where[1]]))
                n += 1
    except Exception as exc:
        if not is_db_error(exc):
            raise
        raise WarehouseError(f"loading {qualified}: " + describe_db_error(
            exc, lambda k: f"{sent[k - 1][0]} row {sent[k - 1][1]}")) from None
    return n


#: rows per block sent to COPY by :func:`insert_frame` (bounds the block's memory)
_COPY_BLOCK_ROWS = 50_000


def insert_frame(conn: Connection, qualified: str, columns: Sequence[str], frame: pd.DataFrame) -> int:
    """Append a DataFrame's rows (NA is NULL, an empty string stays empty).

    PostgreSQL: a binary ``COPY``, encoded from Arrow by pgpq, so no Python code runs per row and the server
    parses no text (BENCHMARKS.md: a national extract's COPY, binary against CSV).
    The binary format has no conversions, so the frame is first cast to the Arrow type of each column's
    PostgreSQL type (:func:`_arrow_schema`). SQLite: executemany, as :func:`bulk_insert`.
    """
    frame = frame[list(columns)]
    if is_sqlite(conn):
        rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
        return bulk_insert(conn, qualified, columns, rows)
    import pyarrow as pa
    from pgpq import ArrowToPostgresBinaryEncoder

    arrow = _cast(qualified, pa.Table.from_pandas(frame, preserve_index=False), _arrow_schema(conn, qualified, columns))
    encoder = ArrowToPostgresBinaryEncoder(arrow.schema)
    raw = conn.connection.driver_connection
    statement = f"COPY {table(conn, qualified)} ({', '.join(columns)}) FROM STDIN (FORMAT binary)"
    try:
        with raw.cursor() as cur, cur.copy(statement) as copy:
            copy.write(encoder.write_header())
            for batch in arrow.to_batches(max_chunksize=_COPY_BLOCK_ROWS):
                copy.write(encoder.write_batch(batch))
            copy.write(encoder.finish())
    except Exception as exc:
        if not is_db_error(exc):
            raise
        where = _where(columns)
        raise WarehouseError(f"loading {qualified}: " + describe_db_error(exc, where and (
            lambda k: f"{frame.iat[k - 1, where[0]]} row {frame.iat[k - 1, where[1]]}"))) from None
    return arrow.num_rows


def _arrow_types() -> dict[str, Any]:
    """The Arrow type whose binary encoding each PostgreSQL type reads (by ``format_type``)."""
    import pyarrow as pa

    return {"text": pa.large_string(), "integer": pa.int32(), "bigint": pa.int64(), "boolean": pa.bool_(),
            "date": pa.date32(), "timestamp with time zone": pa.timestamp("us", tz="UTC")}


def _arrow_schema(conn: Connection, qualified: str, columns: Sequence[str]):
    """The Arrow schema of a table's ``columns``, from the catalogue (so it follows schema/create_tables.sql)."""
    import pyarrow as pa

    found = {r.attname: r.column_type for r in query(conn, "warehouse/select_column_types", {"table_name": qualified})}
    types = _arrow_types()
    unknown = sorted({found.get(c, "(no such column)") for c in columns} - types.keys())
    if unknown:
        raise WarehouseError(f"loading {qualified}: no binary COPY for column type(s) {', '.join(unknown)}")
    return pa.schema([(c, types[found[c]]) for c in columns])


def _cast(qualified: str, arrow, schema):
    """``arrow`` as ``schema``, column by column, so that a value that does not convert is named by its column
    only (Arrow's own message quotes the value: it can be a NIK or a name)."""
    import pyarrow as pa

    converted = []
    for name, field in zip(arrow.column_names, schema, strict=True):
        try:
            converted.append(arrow[name].cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise WarehouseError(f"loading {qualified}: a value of column {name} is not a valid "
                                 f"{field.type} ({arrow[name].type} given)") from None
    return pa.Table.from_arrays(converted, schema=schema)


class WriteBehind:
    """Run a load's database writes one step behind its CPU work: step k writes in one background thread
    while the caller prepares step k+1 (at most one write in flight, so memory holds two steps at most).

    Waiting on PostgreSQL (a COPY of a chunk of residents) releases the GIL, so on two cores
    validation and the server's COPY overlap instead of taking turns. Only one thread uses the connection
    at a time: ``submit`` waits for the previous write first. SQLite writes inline (its connection belongs
    to the thread that opened it). An error in a write is raised by the next ``submit`` or by ``close``.
    """

    def __init__(self, conn: Connection):
        from concurrent.futures import ThreadPoolExecutor

        self._pool = None if is_sqlite(conn) else ThreadPoolExecutor(1, thread_name_prefix="ektp-write")
        self._pending = None

    def submit(self, write: Callable[[], Any]) -> None:
        self.wait()
        if self._pool is None:
            write()
        else:
            self._pending = self._pool.submit(write)

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)

    def __enter__(self) -> WriteBehind:
        return self

    def __exit__(self, exc_type, *_) -> None:
        if exc_type is None:
            self.close()
            return
        with suppress(Exception):  # the error already raised is the one to report
            self.close()
