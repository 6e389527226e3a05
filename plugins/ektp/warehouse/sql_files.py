"""The warehouse: PostgreSQL, or embedded SQLite with the same tables and no schemas.

SQL lives in ``sql/<stage>/<verb>_<object>.sql``, written for PostgreSQL. For SQLite the
loader drops what SQLite lacks (schemas, comments, ``COLLATE "C"``) and spells ``CREATE OR
REPLACE VIEW`` as drop-and-create, nothing else, so both warehouses run the same statements.
Values are always bound parameters; identifiers come only from code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ektp.config import SQL_DIR, warehouse_url
from ektp.file_modes import PRIVATE_FILE, create_new
from ektp.safe_text import escaped

if TYPE_CHECKING:
    import pandas as pd

SCHEMAS = ("ektp_ingest", "ektp_quarantine", "ektp_coverage")
_SCHEMA_PREFIX = re.compile(r"\b(?:" + "|".join(SCHEMAS) + r")\.")
_PG_COLLATE_C = re.compile(r'\s+COLLATE\s+"C"', re.IGNORECASE)  # SQLite's default (BINARY) is already code-point order
_SQLITE_SKIP = re.compile(r"^\s*(CREATE SCHEMA|COMMENT ON|GRANT|REVOKE)\b", re.IGNORECASE)
_CREATE_OR_REPLACE_VIEW = re.compile(r"^\s*CREATE\s+OR\s+REPLACE\s+VIEW\s+(\S+)", re.IGNORECASE)
#: schema files applied only when their text changes: COMMENT ON and CREATE OR REPLACE VIEW lock the objects
#: they touch, and a nightly run must not queue behind an analyst's long query (nor block others behind it)
_VERSIONED_SCHEMA = ("schema/comment_tables", "schema/create_views")
#: one lock for every writer, so concurrent runs serialise instead of interleaving
_WRITE_LOCK_KEY = 7_310_458_201


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


@cache
def _sql_text(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def statements(name: str, dialect: str) -> list[str]:
    """The statements of ``sql/<name>.sql`` for this dialect (split on ``;`` at line ends)."""
    body = re.sub(r"--[^\n]*", "", _sql_text(name))
    parts = [p.strip() for p in re.split(r";\s*(?:\n|$)", body) if p.strip()]
    if dialect == "sqlite":
        parts = [_PG_COLLATE_C.sub("", _SCHEMA_PREFIX.sub("", p)) for p in parts if not _SQLITE_SKIP.match(p)]
        parts = [q for p in parts for q in _sqlite_replace_view(p)]
    return parts


def _sqlite_replace_view(statement: str) -> list[str]:
    """SQLite has no CREATE OR REPLACE VIEW: drop the view, then create it."""
    found = _CREATE_OR_REPLACE_VIEW.match(statement)
    if not found:
        return [statement]
    return [f"DROP VIEW IF EXISTS {found.group(1)}", _CREATE_OR_REPLACE_VIEW.sub(r"CREATE VIEW \1", statement, 1)]


def _bound(statement: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters a statement names (a SQL file's statements each take the ones they use)."""
    return {k: v for k, v in (params or {}).items() if f":{k}" in statement}


def run_sql(conn: Connection, name: str, params: Mapping[str, Any] | None = None) -> sa.CursorResult:
    """Run every statement of a SQL file with bound parameters; returns the last result.

    A list or tuple value binds an IN list: write ``WHERE x IN :values`` (SQLAlchemy expands it)."""
    result = None
    for stmt in statements(name, conn.dialect.name):
        clause = sa.text(stmt)
        bound = _bound(stmt, params)
        expanding = [sa.bindparam(k, expanding=True) for k, v in bound.items() if isinstance(v, list | tuple)]
        if expanding:
            clause = clause.bindparams(*expanding)
        result = conn.execute(clause, bound)
    assert result is not None, f"sql/{name}.sql has no statements"
    return result


def run_sql_many(conn: Connection, name: str, params: Sequence[Mapping[str, Any]]) -> None:
    """Every statement of a SQL file for each parameter set: statement by statement, each as one
    executemany (psycopg pipelines it: one round trip for the lot, not one per set). Nothing if no sets."""
    if not params:
        return
    for stmt in statements(name, conn.dialect.name):
        keys = [k for k in params[0] if f":{k}" in stmt]
        conn.execute(sa.text(stmt), [{k: p[k] for k in keys} for p in params])


def query(conn: Connection, name: str, params: Mapping[str, Any] | None = None) -> list[sa.Row]:
    return list(run_sql(conn, name, params))


def stream(conn: Connection, name: str, params: Mapping[str, Any] | None = None,
           rows_per_fetch: int = 10_000) -> Iterator[sa.Row]:
    """The rows of a SQL file's one SELECT, fetched ``rows_per_fetch`` at a time (a server-side cursor on
    PostgreSQL), for results too large to hold at once. Read them before the next statement on ``conn``."""
    (stmt,) = statements(name, conn.dialect.name)
    yield from conn.execute(sa.text(stmt), _bound(stmt, params),
                            execution_options={"stream_results": True, "yield_per": rows_per_fetch})


def table(conn: Connection, qualified: str) -> str:
    """A table name as this warehouse spells it (``ektp_ingest.x`` or ``x``)."""
    return _SCHEMA_PREFIX.sub("", qualified) if is_sqlite(conn) else qualified


def lock_for_write(conn: Connection) -> None:
    """Serialise writers for the rest of this transaction (SQLite: BEGIN IMMEDIATE did it)."""
    if not is_sqlite(conn):
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITE_LOCK_KEY})")


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction, serialised with every other writer; a database error leaves it as a
    :class:`WarehouseError` that names what failed but none of the values (rolled back either way)."""
    try:
        with engine.begin() as conn:
            lock_for_write(conn)
            yield conn
    except Exception as exc:
        if not _is_db_error(exc):
            raise
        raise WarehouseError(describe_db_error(exc)) from None


class WarehouseError(RuntimeError):
    """A database error told without the values it was about (they can be NIKs and names): the server's
    message with quoted values removed, the SQLSTATE, the objects it names, and for a bulk load the file
    and row being written. The driver's own error, whose DETAIL and CONTEXT quote whole rows, is dropped."""


_QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'')
_LONG_NUMBER = re.compile(r"\d{6,}")
_COPY_LINE = re.compile(r"\bCOPY [^,]+, line (\d+)(?:, column (\w+))?")


def _is_db_error(exc: BaseException) -> bool:
    return isinstance(exc, sa.exc.DBAPIError) or type(exc).__module__.split(".")[0] in {"psycopg", "sqlite3"}


def describe_db_error(exc: BaseException, row_at: Any = None) -> str:
    """``row_at(n)``: a description of the n-th row (from 1) of the COPY that failed, if known."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).splitlines() or [""])[0]  # the primary message: DETAIL and CONTEXT quote the row
    text = f"{type(orig).__name__}: {_LONG_NUMBER.sub('...', _QUOTED.sub('...', first))}"
    diag = getattr(orig, "diag", None)
    if diag is not None:
        names = [f"{label} {value}" for label, value in (
            ("SQLSTATE", getattr(orig, "sqlstate", None)), ("table", getattr(diag, "table_name", None)),
            ("column", getattr(diag, "column_name", None)), ("constraint", getattr(diag, "constraint_name", None)))
            if value]
        line = _COPY_LINE.search(getattr(diag, "context", None) or "")
        if line:
            names.append(f"row {line.group(1)} of the COPY" + (f", column {line.group(2)}" if line.group(2) else ""))
            if row_at is not None:
                with suppress(IndexError, KeyError, ValueError):
                    names.append(escaped(row_at(int(line.group(1)))))  # names a landed file
        text += f" ({', '.join(names)})" if names else ""
    return text


def _where(columns: Sequence[str]) -> tuple[int, int] | None:
    """Positions of file_path and row_number, which say where a row came from (never its values)."""
    if "file_path" in columns and "row_number" in columns:
        return list(columns).index("file_path"), list(columns).index("row_number")
    return None


def migrate(engine: Engine) -> None:
    """Create or update the warehouse tables and the region names (idempotent)."""
    from ektp.reference import region_rows

    with transaction(engine) as conn:
        run_sql(conn, "schema/create_tables")
        _add_missing_columns(conn)
        for (extract_date,) in query(conn, "schema/select_extracts_without_targets"):
            run_sql(conn, "load/insert_extract_target", {"extract_date": extract_date})  # as the loader counts them
        _set_storage_parameters(conn)
        for name in _VERSIONED_SCHEMA:
            _apply_when_changed(conn, name)
        region = table(conn, "ektp_ingest.region")
        have = conn.execute(sa.text(f"SELECT count(*) FROM {region}")).scalar_one()
        rows = region_rows()
        if have != len(rows):
            conn.execute(sa.text(f"DELETE FROM {region}"))
            bulk_insert(conn, "ektp_ingest.region", ["region_code", "region_name", "region_level"],
                        ([r["region_code"], r["region_name"], r["region_level"]] for r in rows))
            analyze(conn, "ektp_ingest.region")  # publishing joins 84,000 kelurahan to it: plan with its size


#: columns added after a table was first released: (table, column, type, SQL file that fills it in, if any);
#: CREATE TABLE IF NOT EXISTS leaves an existing table as it was, so an older warehouse gets them here
_ADDED_COLUMNS = [("ektp_ingest.recording", "resident_kelurahan_code", "TEXT", "schema/backfill_resident_kelurahan"),
                  # empty for files loaded before: they are read once more by the next run, then recorded
                  ("ektp_ingest.file_manifest", "modified_ns", "BIGINT", None),
                  ("ektp_ingest.file_manifest", "changed_ns", "BIGINT", None)]


def _add_missing_columns(conn: Connection) -> None:
    for qualified, column, sql_type, backfill in _ADDED_COLUMNS:
        schema, _, name = qualified.rpartition(".")
        columns = sa.inspect(conn).get_columns(name, schema=None if is_sqlite(conn) else schema)
        present = {c["name"] for c in columns}
        if column not in present:
            conn.exec_driver_sql(f"ALTER TABLE {table(conn, qualified)} ADD COLUMN {column} {sql_type}")
            if backfill:
                run_sql(conn, backfill)


#: PostgreSQL storage parameters (SQLite has none). A loaded batch row is rewritten once when publishing
#: sets its statuses; with half of each page kept free that rewrite stays on the page (a HOT update) and
#: adds no entries to the table's three indexes: a night of 250,000 rows saves about as much as it loads.
_STORAGE_PARAMETERS = {"ektp_ingest.recording": "fillfactor=50"}


def _set_storage_parameters(conn: Connection) -> None:
    """Set them only when they differ: ALTER TABLE locks the table (the pages already written keep theirs)."""
    if is_sqlite(conn):
        return
    for qualified, option in _STORAGE_PARAMETERS.items():
        current = conn.execute(sa.text("SELECT reloptions FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                               {"t": qualified}).scalar_one_or_none()
        if option not in (current or []):
            conn.exec_driver_sql(f"ALTER TABLE {qualified} SET ({option})")


def _apply_when_changed(conn: Connection, name: str) -> None:
    """Run ``sql/<name>.sql`` unless this very text was applied already (``ektp_ingest.schema_version``)."""
    import hashlib
    from datetime import UTC, datetime

    digest = hashlib.sha256(_sql_text(name).encode("utf-8")).hexdigest()
    versions = table(conn, "ektp_ingest.schema_version")
    applied = conn.execute(sa.text(f"SELECT sha256 FROM {versions} WHERE sql_file = :name"), {"name": name})
    if applied.scalar_one_or_none() == digest:
        return
    for stmt in statements(name, conn.dialect.name):  # none on SQLite for a file of comments only
        conn.execute(sa.text(stmt))
    conn.execute(sa.text(f"DELETE FROM {versions} WHERE sql_file = :name"), {"name": name})
    conn.execute(sa.text(f"INSERT INTO {versions} (sql_file, sha256, applied_at) VALUES (:name, :digest, :at)"),
                 {"name": name, "digest": digest, "at": datetime.now(UTC)})


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
        if not _is_db_error(exc):
            raise
        raise WarehouseError(f"loading {qualified}: " + describe_db_error(
            exc, lambda k: f"{sent[k - 1][0]} row {sent[k - 1][1]}")) from None
    return n


#: rows per block sent to COPY by :func:`insert_frame` (bounds the block's memory)
_COPY_BLOCK_ROWS = 50_000


def insert_frame(conn: Connection, qualified: str, columns: Sequence[str], frame: pd.DataFrame) -> int:
    """Append a DataFrame's rows (NA is NULL, an empty string stays empty).

    PostgreSQL: a binary ``COPY``, encoded from Arrow by pgpq, so no Python code runs per row and the server
    parses no text (an extract of 5.4 million residents: 3.2 s on the server where a CSV COPY took 5.5 s).
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
        if not _is_db_error(exc):
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

    found = dict(conn.execute(sa.text(
        "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
        " WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped"), {"t": qualified}).all())
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

    Waiting on PostgreSQL (a COPY of 500,000 residents: about a second) releases the GIL, so on two cores
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
    (the status update at national size, measured side by side: 4.1 s to 3.4 s). No JIT: compiling each
    statement's expressions costs 40-80 ms and pays back only on scans far longer than these (publishing a
    national night, three runs each way: 8.3-8.4 s with JIT, 7.7-7.9 s without). SQLite: nothing."""
    if not is_sqlite(conn):
        # set_config(..., true) is SET LOCAL with the value bound (SET takes no parameters)
        conn.execute(sa.text("SELECT set_config('work_mem', :value, true)"), {"value": work_mem})
        conn.execute(sa.text("SELECT set_config('random_page_cost', :value, true)"), {"value": random_page_cost})
        conn.execute(sa.text("SELECT set_config('jit', 'off', true)"))


def estimated_rows(conn: Connection, qualified: str) -> int:
    """PostgreSQL's estimate of a table's rows (``pg_class.reltuples``, kept by ANALYZE); 0 when unknown or SQLite."""
    if is_sqlite(conn):
        return 0
    found = conn.execute(sa.text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                         {"t": qualified}).scalar_one_or_none()
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
    found = conn.execute(sa.text(
        "SELECT i.indexrelid::regclass::text AS index_name, pg_get_indexdef(i.indexrelid) AS index_def, "
        "       c.conname, pg_get_constraintdef(c.oid) AS constraint_def "
        "  FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid "
        " WHERE i.indrelid = CAST(:t AS regclass) ORDER BY c.conname NULLS LAST, 1"), {"t": qualified}).all()
    name = table(conn, qualified)
    for ix in found:
        conn.exec_driver_sql(f'ALTER TABLE {name} DROP CONSTRAINT "{ix.conname}"' if ix.conname
                             else f"DROP INDEX {ix.index_name}")
    yield
    # the sort budget of the index builds, shared by PostgreSQL's parallel build workers: 256 MB left each of
    # three participants too little for 5.4 million NIKs (their index: 3.2-3.5 s, with 512 MB 2.9-3.1 s)
    conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
    for ix in found:
        conn.exec_driver_sql(f'ALTER TABLE {name} ADD CONSTRAINT "{ix.conname}" {ix.constraint_def}' if ix.conname
                             else ix.index_def)
