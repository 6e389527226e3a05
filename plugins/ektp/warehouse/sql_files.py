"""SQL files: ``sql/<stage>/<verb>_<object>.sql``, written for PostgreSQL, run on either warehouse.

For SQLite the loader drops what SQLite lacks (schemas, comments, ``COLLATE "C"``), spells ``CREATE OR
REPLACE VIEW`` as drop-and-create and renames the few functions SQLite has under another name
(``_SQLITE_FUNCTIONS``: ``json_agg`` is ``json_group_array``), nothing else, so both warehouses run the same
statements.
A line ``\\ir <path>`` (psql's include, relative to the including file) is replaced by that file's text: how
statements share one part, e.g. the card stages of ``sql/shared/card_stages.sql``.
Values are always bound parameters; identifiers come only from code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ektp.core.settings import SQL_DIR
from ektp.warehouse.engine import is_sqlite

SCHEMAS = ("ektp_ingest", "ektp_quarantine", "ektp_coverage")
_SCHEMA_PREFIX = re.compile(r"\b(?:" + "|".join(SCHEMAS) + r")\.")
_PG_COLLATE_C = re.compile(r'\s+COLLATE\s+"C"', re.IGNORECASE)  # SQLite's default (BINARY) is already code-point order
_SQLITE_SKIP = re.compile(r"^\s*(CREATE SCHEMA|COMMENT ON|GRANT|REVOKE)\b", re.IGNORECASE)
_CREATE_OR_REPLACE_VIEW = re.compile(r"^\s*CREATE\s+OR\s+REPLACE\s+VIEW\s+(\S+)", re.IGNORECASE)
#: PostgreSQL functions SQLite has under another name, with the same result (JSON text of an array of the values)
_SQLITE_FUNCTIONS = {"json_agg": "json_group_array"}
_SQLITE_FUNCTION_CALL = re.compile(r"\b(" + "|".join(_SQLITE_FUNCTIONS) + r")\s*\(", re.IGNORECASE)
_INCLUDE = re.compile(r"^\\ir\s+(\S+)[ \t]*$", re.MULTILINE)


@cache
def sql_text(name: str) -> str:
    """The text of ``sql/<name>.sql``, its ``\\ir`` lines replaced by the files they name."""
    return _included((SQL_DIR / f"{name}.sql").resolve(), ())


def _included(path: Path, within: tuple[Path, ...]) -> str:
    if path in within:
        raise ValueError(f"{path} includes itself")
    text = path.read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda found: _included((path.parent / found.group(1)).resolve(), (*within, path)), text)


def statements(name: str, dialect: str) -> list[str]:
    """The statements of ``sql/<name>.sql`` for this dialect."""
    return for_dialect(sql_text(name), dialect)


def for_dialect(text: str, dialect: str) -> list[str]:
    """SQL text written for PostgreSQL as statements for ``dialect`` (split on ``;`` at line ends, comments
    dropped; for SQLite without schemas, comments, grants and ``COLLATE "C"``, views replaced by drop and
    create, and functions renamed)."""
    body = re.sub(r"--[^\n]*", "", text)
    parts = [p.strip() for p in re.split(r";\s*(?:\n|$)", body) if p.strip()]
    if dialect == "sqlite":
        parts = [_SQLITE_FUNCTION_CALL.sub(lambda f: _SQLITE_FUNCTIONS[f.group(1).lower()] + "(",
                                           _PG_COLLATE_C.sub("", _SCHEMA_PREFIX.sub("", p)))
                 for p in parts if not _SQLITE_SKIP.match(p)]
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


def rowcounts(conn: Connection, name: str, params: Mapping[str, Any] | None = None) -> list[int]:
    """Run every statement of a SQL file with bound parameters; returns the rows each one changed."""
    return [conn.execute(sa.text(stmt), _bound(stmt, params)).rowcount for stmt in statements(name, conn.dialect.name)]


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
