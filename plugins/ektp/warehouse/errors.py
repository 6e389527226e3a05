"""Database errors told without the values they were about (NIKs, names)."""

from __future__ import annotations

import re
from contextlib import suppress
from typing import Any

import sqlalchemy as sa

from ektp.core.safe_text import escaped


class WarehouseError(RuntimeError):
    """A database error told without the values it was about (they can be NIKs and names): the server's
    message with quoted values removed, the SQLSTATE, the objects it names, and for a bulk load the file
    and row being written. The driver's own error, whose DETAIL and CONTEXT quote whole rows, is dropped."""


class WarehouseBusy(RuntimeError):
    """The writers' lock was not free within its bound: another run is writing (a retry later can help)."""


#: SQLSTATEs that say the configuration is wrong, which no retry mends: no such database, authentication,
#: no right on a table or schema, no such schema
_CONFIGURATION_SQLSTATES = {"3D000", "28000", "28P01", "42501", "3F000"}
#: PostgreSQL's refusals of a connection, which carry no SQLSTATE in psycopg's connection error
_CONFIGURATION_REFUSALS = re.compile(
    r"FATAL:\s+(database .+? does not exist|role .+? does not exist|password authentication failed|"
    r"no pg_hba\.conf entry|permission denied|Peer authentication failed|Ident authentication failed)")


def configuration_problem(exc: BaseException) -> str | None:
    """What is misconfigured if ``exc`` (or an error it came from) is a configuration error of the warehouse
    (no such database, authentication, no right on a table): retrying cannot help. ``None`` for any other
    error (a lost connection, a timeout, a bug). The text names no value of a row."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if is_db_error(exc):
            orig = getattr(exc, "orig", None) or exc
            if getattr(orig, "sqlstate", None) in _CONFIGURATION_SQLSTATES or (
                    _is_connect_error(exc) and _CONFIGURATION_REFUSALS.search(str(orig))):
                return describe_db_error(exc)
        exc = exc.__cause__ or exc.__context__
    return None


def _is_connect_error(exc: BaseException) -> bool:
    """An error opening a connection (no statement ran): its text is the server's and the client's about the
    connection, with no row value in it."""
    return isinstance(exc, sa.exc.DBAPIError) and exc.statement is None and isinstance(exc, sa.exc.OperationalError)


_QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'')
_LONG_NUMBER = re.compile(r"\d{6,}")
_COPY_LINE = re.compile(r"\bCOPY [^,]+, line (\d+)(?:, column (\w+))?")


def is_db_error(exc: BaseException) -> bool:
    return isinstance(exc, sa.exc.DBAPIError) or type(exc).__module__.split(".")[0] in {"psycopg", "sqlite3"}


def describe_db_error(exc: BaseException, row_at: Any = None) -> str:
    """``row_at(n)``: a description of the n-th row (from 1) of the COPY that failed, if known."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).splitlines() or [""])[0]  # the primary message: DETAIL and CONTEXT quote the row
    if _is_connect_error(exc):  # host, port, database and user are configuration, not personal data: kept
        return f"{type(orig).__name__}: {escaped(first)}"
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
