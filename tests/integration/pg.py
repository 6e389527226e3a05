"""Module-scoped PostgreSQL databases and login roles on the test server (tests/conftest.py's pg_url is per test)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from tests.conftest import PG_ADMIN_URL


def admin_engine() -> sa.Engine:
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def database_url(name: str, user: str | None = None, **query: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    if user is not None:
        scheme, rest = base.split("://", 1)
        base = f"{scheme}://{user}@{rest.split('@', 1)[-1]}"
    url = f"{base}/{name}"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


@contextmanager
def new_pg_database(template: str | None = None, *, prefix: str = "ektp_test", options: str = "") -> Iterator[str]:
    """A new database (a copy of the database named ``template`` if given, created with ``options``, e.g.
    a locale), dropped afterwards whatever happened; yields its URL. Every test database is made here."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
                             + (f" {options}" if options else ""))
    try:
        yield database_url(name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]
