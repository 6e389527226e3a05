"""Shared fixtures: real PostgreSQL databases, SQLite files, a migrated Airflow home, sample landings.

Airflow reads its configuration when first imported, so the environment for a project-local,
migrated AIRFLOW_HOME is set here, before any test module imports Airflow.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("EKTP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# pytest-xdist runs the suite in worker processes (gw0, gw1, ...): each gets its own Airflow home and output
# folders, so two workers never share a SQLite metadata database or a report file.
_SUFFIX = f"-{os.environ['PYTEST_XDIST_WORKER']}" if os.environ.get("PYTEST_XDIST_WORKER") else ""


def _default_folder(name: str, folder: str) -> Path:
    """``var/<folder>`` (per xdist worker) unless the caller chose one; the controller's own default, inherited
    by the workers, counts as not chosen."""
    if os.environ.get(name) in (None, str(ROOT / "var" / folder)):
        os.environ[name] = str(ROOT / "var" / f"{folder}{_SUFFIX}")
    return Path(os.environ[name])


_default_folder("AIRFLOW_HOME", "test-airflow")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(ROOT / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
_default_folder("EKTP_REPORT_DIR", "test-reports")  # not the sample's var/reports
_default_folder("EKTP_DATA_DOCS_DIR", "test-data-docs")  # not the sample's var/data_docs


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow files first (a stable sort): `make test` hands files to its two processes in this order, so the
    longest runs start early instead of ending the suite on one process while the other idles."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def airflow_env(landing: Path, warehouse_url: str, **extra: str) -> dict[str, str]:
    """The environment contract §5 names for running a date with the real Airflow CLI."""
    env = dict(os.environ)
    env.update({
        "EKTP_LANDING_DIR": str(landing),
        "AIRFLOW_CONN_EKTP_WAREHOUSE": warehouse_url,
        "PYTHONPATH": str(ROOT / "plugins"),
        "PATH": f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}",
    })
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    """A migrated Airflow metadata database (SQLite) shared by the session."""
    home = Path(os.environ["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    if not (home / ".migrated").exists():
        subprocess.run([str(ROOT / ".venv/bin/airflow"), "db", "migrate"], check=True, capture_output=True,
                       env=dict(os.environ))
        (home / ".migrated").touch()
    return home


def run_airflow_date(report_date: date | str, landing: Path, warehouse_url: str, timeout: int = 300,
                     **extra: str) -> subprocess.CompletedProcess:
    """`airflow dags test ektp_coverage_daily D`, exactly as an operator would run it."""
    return subprocess.run(
        [str(ROOT / ".venv/bin/airflow"), "dags", "test", "ektp_coverage_daily", str(report_date)],
        env=airflow_env(landing, warehouse_url, **extra), capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database on the real server, dropped afterwards."""
    from tests.integration.pg import new_pg_database

    with new_pg_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"


@pytest.fixture(params=["postgresql", "sqlite"])
def warehouse_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs on both warehouses."""
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")


@pytest.fixture(scope="session")
def pg_migrated_template() -> Iterator[str]:
    """A migrated PostgreSQL warehouse to copy (per test process): a copy is a file copy, a migration is
    hundreds of statements."""
    from ektp.warehouse import make_engine, migrate

    from tests.integration.pg import database_name, new_pg_database

    with new_pg_database(prefix="ektp_test_template") as url:
        eng = make_engine(url)
        migrate(eng)
        eng.dispose()  # a template must have no connections
        yield database_name(url)


@pytest.fixture
def engine(warehouse_url: str, request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    """The warehouse at ``warehouse_url``, migrated (on PostgreSQL: the empty database replaced by a copy of a
    migrated one, under the same name)."""
    from ektp.warehouse import make_engine, migrate

    if warehouse_url.startswith("postgresql"):
        from tests.integration.pg import admin_engine, database_name

        name, template = database_name(warehouse_url), request.getfixturevalue("pg_migrated_template")
        admin = admin_engine()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        admin.dispose()
    eng = make_engine(warehouse_url)
    if not warehouse_url.startswith("postgresql"):
        migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def sample_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default generated landing area (3 days, Jakarta Selatan), shared read-only by tests."""
    from tools.sample_data import generate

    landing = tmp_path_factory.mktemp("sample") / "landing"
    generate(landing, seed=42, days=3, progress=False)
    return landing


@pytest.fixture(scope="session")
def coverage_dag(airflow_home: Path):
    """The DAG object, for in-process ``dag.test()`` runs."""
    sys.path.insert(0, str(ROOT / "plugins"))
    import runpy

    return runpy.run_path(str(ROOT / "dags" / "ektp_coverage_daily.py"))["dag"]


def run_dag_test(dag, report_date: str, landing: Path, warehouse_url: str, **test_kwargs):
    """``dag.test()`` for one date in this process, with the contract's environment.

    The run starts as the nightly one would, once D has ended (``run_after``: D+1 00:00 WIB), so that a test's
    dates may lie after today's; ``airflow dags test`` itself starts a run now (contract §5 refuses D >= today).
    """
    from datetime import datetime

    from ektp.core.calendar import report_date_end

    os.environ["EKTP_LANDING_DIR"] = str(landing)
    os.environ["AIRFLOW_CONN_EKTP_WAREHOUSE"] = warehouse_url
    day = date.fromisoformat(str(report_date))
    test_kwargs.setdefault("run_after", report_date_end(day))
    try:
        return dag.test(logical_date=datetime.fromisoformat(f"{day.isoformat()}T00:00:00+00:00"), **test_kwargs)
    finally:
        os.environ.pop("EKTP_LANDING_DIR", None)
        os.environ.pop("AIRFLOW_CONN_EKTP_WAREHOUSE", None)


def fetch(url_or_engine, sql: str, **params) -> list[tuple]:
    """Rows of a query (table names as on PostgreSQL; schema prefixes dropped for SQLite)."""
    from ektp import warehouse as wh

    eng = url_or_engine if isinstance(url_or_engine, sa.Engine) else wh.make_engine(url_or_engine)
    with eng.connect() as conn:
        if wh.is_sqlite(conn):
            sql = wh.table(conn, sql)
        return [tuple(r) for r in conn.execute(sa.text(sql), params)]


@pytest.fixture
def umask_0() -> Iterator[None]:
    """The loosest umask there is: whatever holds NIKs must still be created for its owner only."""
    before = os.umask(0)
    try:
        yield
    finally:
        os.umask(before)
