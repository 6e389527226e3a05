"""``make sample`` (``scripts/run-sample.sh``) is sealed: whatever the shell exports, it writes only under its own
``var/`` and uses only its embedded SQLite warehouse there, and still prints its normal output.

It runs once, for real, in a COPY of the checkout (the working tree's files, with ``.venv`` linked), so that it
neither wipes nor reads the developer's own ``var/``. The exports are hostile: a landing folder holding a
precious file and an odd folder, the warehouse connection and the Airflow metadata database on fresh PostgreSQL
databases, reports, Data Docs, ``var`` and ``AIRFLOW_HOME`` elsewhere, reports switched off, and settings that
would fail a run (a task timeout of 0, an extract date that is not a date). None of it may be touched or obeyed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT
from tests.integration.pg import new_pg_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

LAST_DATE = "2026-11-04"


def copy_of_checkout(target: Path) -> Path:
    """The working tree's files that git tracks or would track (not var/, not .venv), and a link to .venv."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


def tree(folder: Path) -> dict[str, tuple[bool, int, int, bytes]]:
    """Every entry under ``folder``: is it a folder, its size, its mtime, its bytes."""
    return {p.relative_to(folder).as_posix(): (p.is_dir(), p.stat().st_size, p.stat().st_mtime_ns,
                                                b"" if p.is_dir() else p.read_bytes())
            for p in sorted(folder.rglob("*"))}


def user_tables(url: str) -> list[tuple]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"))]
    finally:
        engine.dispose()


def test_make_sample_ignores_every_hostile_export(tmp_path):
    checkout = copy_of_checkout(tmp_path / "checkout")
    elsewhere = tmp_path / "elsewhere"
    landing = elsewhere / "landing"
    (landing / "batches" / "not-a-date").mkdir(parents=True)
    (landing / "precious.csv").write_text("nik,full_name\nkeep me exactly as I am\n", encoding="utf-8")
    (landing / "batches" / "not-a-date" / "notes.txt").write_text("an odd folder", encoding="utf-8")
    landing_before = tree(landing)

    with new_pg_database() as warehouse, new_pg_database() as metadata:
        hostile = {
            "EKTP_LANDING_DIR": str(landing),
            "AIRFLOW_CONN_EKTP_WAREHOUSE": warehouse.replace("postgresql+psycopg://", "postgresql://", 1),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
            "AIRFLOW_HOME": str(elsewhere / "airflow-home"),
            "AIRFLOW_CONN_SOMETHING_ELSE": "postgresql://nobody@127.0.0.1:1/none",
            "EKTP_REPORT_DIR": str(elsewhere / "reports"),
            "EKTP_DATA_DOCS_DIR": str(elsewhere / "data-docs"),
            "EKTP_VAR_DIR": str(elsewhere / "var"),
            "EKTP_REPORTS": "off",
            "EKTP_TASK_TIMEOUT_MINUTES": "0",
            "EKTP_ACCEPT_EXTRACT": "not-a-date",
        }
        env = {**os.environ, **hostile}
        done = subprocess.run(["bash", "scripts/run-sample.sh"], cwd=checkout, env=env, capture_output=True,
                              text=True, timeout=1500)
        output = done.stdout + done.stderr
        assert done.returncode == 0, output[-4000:]
        assert user_tables(warehouse) == [], "the exported warehouse was written to"
        assert user_tables(metadata) == [], "the exported Airflow metadata database was written to"

    # The ignored variables are named, their values never shown (a connection URL can hold a password).
    for name in hostile:
        assert name in done.stderr, name
    assert "127.0.0.1" not in output and str(landing) not in output
    # Nothing outside the copy's var/ was touched; its normal output is there.
    assert tree(landing) == landing_before
    assert sorted(p.name for p in elsewhere.iterdir()) == ["landing"]
    assert f"e-KTP outreach coverage by kecamatan, {LAST_DATE}" in done.stdout and "TOTAL" in done.stdout
    assert f"Card funnel per outreach site, {LAST_DATE}" in done.stdout  # after the coverage table
    assert done.stdout.index("Card funnel") > done.stdout.index("e-KTP outreach coverage")
    assert f"var/reports/coverage_{LAST_DATE}.html" in done.stdout
    var = checkout / "var"
    assert (var / "landing" / "registry").is_dir() and (var / "landing" / "cards").is_dir()
    assert (var / "reports" / f"coverage_{LAST_DATE}.html").is_file()
    assert (var / "reports" / "followup" / LAST_DATE).is_dir()
    assert (var / "reports" / "cards" / LAST_DATE / "_unlinked.csv").is_file()
    assert (var / "airflow" / "airflow.db").is_file()
    engine = sa.create_engine(f"sqlite:///{var / 'warehouse.sqlite'}")
    try:
        with engine.connect() as conn:
            dates = [d for (d,) in conn.execute(sa.text("SELECT report_date FROM published_report ORDER BY 1"))]
    finally:
        engine.dispose()
    assert dates == ["2026-11-02", "2026-11-03", LAST_DATE]
