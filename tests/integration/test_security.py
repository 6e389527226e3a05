"""Database roles (sql/security/create_roles.sql) and quarantine retention (sql/security/purge_quarantine.sql).

On the real PostgreSQL server: a login granted ektp_analyst reads ektp_coverage and nothing else; a
login granted ektp_pipeline runs the pipeline; tables created later get the same grants. The purge
redacts old rejected rows (keeping what conservation needs) on both warehouses.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import fetch
from tests.corpus.build import load_cases, materialise
from tests.integration.pg import admin_engine, database_name, database_url
from tests.integration.pipeline_runner import run_date

CASE = next(c for c in load_cases() if c["id"] == "registry_duplicate_nik")  # data in all three schemas
DAY = CASE["runs"][-1]["date"]


@pytest.fixture
def run_env(monkeypatch, tmp_path):
    monkeypatch.setenv("EKTP_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EKTP_REPORTS", "off")
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")
    monkeypatch.setenv("EKTP_LANDING_DIR", str(materialise(CASE, tmp_path / "case")))
    return monkeypatch


@pytest.fixture
def logins(pg_url):
    """Two login roles of this test: one in ektp_pipeline (acting as it), one in ektp_analyst."""
    from ektp.admin.security import apply_roles
    from ektp.warehouse import make_engine

    engine = make_engine(pg_url)
    apply_roles(engine)
    engine.dispose()
    tag = uuid.uuid4().hex[:10]
    pipeline, analyst = f"ektp_t{tag}_pipeline", f"ektp_t{tag}_analyst"
    admin = admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{pipeline}" LOGIN IN ROLE ektp_pipeline')
        conn.exec_driver_sql(f"ALTER ROLE \"{pipeline}\" SET role = 'ektp_pipeline'")
        conn.exec_driver_sql(f'CREATE ROLE "{analyst}" LOGIN IN ROLE ektp_analyst')
    db = database_name(pg_url)
    try:
        yield database_url(db, pipeline), database_url(db, analyst)
    finally:
        in_db = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with in_db.connect() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{pipeline}", "{analyst}"')
        in_db.dispose()
        with admin.connect() as conn:
            for role in (pipeline, analyst):
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                             {"r": role})
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()


def _tables(url: str, schema: str) -> list[str]:
    return [f"{schema}.{t}" for t, in fetch(url, "SELECT table_name FROM information_schema.tables "
                                                 "WHERE table_schema = :s ORDER BY table_name", s=schema)]


def _denied(url: str, sql: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)
    except sa.exc.ProgrammingError as exc:
        assert getattr(exc.orig, "sqlstate", None) == "42501", exc  # insufficient_privilege
        return True
    finally:
        engine.dispose()
    return False


@pytest.mark.postgres
def test_analyst_reads_published_tables_only(pg_url, logins, run_env):
    pipeline_url, analyst_url = logins
    run_env.setenv("AIRFLOW_CONN_EKTP_WAREHOUSE", pipeline_url)
    run_date(DAY)  # the pipeline works as a member of ektp_pipeline (its tables, its migrations)

    owners = {o for o, in fetch(pg_url, "SELECT tableowner FROM pg_tables WHERE schemaname LIKE 'ektp_%' UNION "
                                        "SELECT viewowner FROM pg_views WHERE schemaname LIKE 'ektp_%'")}
    assert owners == {"ektp_pipeline"}
    published = _tables(pg_url, "ektp_coverage")
    restricted = _tables(pg_url, "ektp_ingest") + _tables(pg_url, "ektp_quarantine")
    assert "ektp_coverage.kelurahan_daily" in published and "ektp_quarantine.rejected_row" in restricted
    for name in published:
        fetch(analyst_url, f"SELECT count(*) FROM {name}")
    assert fetch(analyst_url, "SELECT sum(target_residents) FROM ektp_coverage.kelurahan_daily") == [(1,)]
    for name in restricted:
        assert _denied(analyst_url, f"SELECT count(*) FROM {name}"), name
    assert _denied(analyst_url, "DELETE FROM ektp_coverage.site_daily")
    assert _denied(analyst_url, "CREATE TABLE ektp_coverage.mine (x int)")
    assert _denied(analyst_url, "CREATE TABLE ektp_quarantine.mine (x int)")

    # tables a later release adds: default privileges give analysts the published ones only
    with sa.create_engine(pipeline_url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE ektp_coverage.added_later (report_date date)")
        conn.exec_driver_sql("CREATE TABLE ektp_quarantine.added_later_list (nik text)")
    assert fetch(analyst_url, "SELECT count(*) FROM ektp_coverage.added_later") == [(0,)]
    assert _denied(analyst_url, "SELECT count(*) FROM ektp_quarantine.added_later_list")

    # idempotent: ops run it again after an upgrade; a rerun of the pipeline still works
    from ektp.admin.security import apply_roles
    from ektp.warehouse import make_engine

    engine = make_engine(pg_url)
    apply_roles(engine)
    engine.dispose()
    # an upgrade that changes the comments and views: the pipeline's migration replaces them (owner only)
    with sa.create_engine(pg_url).begin() as conn:
        conn.exec_driver_sql("DELETE FROM ektp_ingest.schema_version")
    run_date(DAY)
    assert _denied(analyst_url, "SELECT count(*) FROM ektp_ingest.recording")
    for name in published:
        fetch(analyst_url, f"SELECT count(*) FROM {name}")


def test_roles_refuse_sqlite(sqlite_url):
    from ektp.admin.security import apply_roles
    from ektp.warehouse import make_engine

    with pytest.raises(RuntimeError, match="PostgreSQL"):
        apply_roles(make_engine(sqlite_url))


def test_purge_redacts_old_rejected_rows_and_keeps_the_counts(warehouse_url, run_env, tmp_path):
    from ektp import warehouse as wh
    from ektp.admin.security import REDACTED, purge_quarantine
    from ektp.warehouse import make_engine

    run_env.setenv("AIRFLOW_CONN_EKTP_WAREHOUSE", warehouse_url)
    run_date(DAY)
    engine = make_engine(warehouse_url)
    rows = fetch(engine, "SELECT file_path, row_number, raw_record FROM ektp_quarantine.rejected_row")
    assert len(rows) == 2 and all("3174022308900001" in raw for _, _, raw in rows)
    old, young = rows[0][:2], rows[1][:2]
    long_ago = datetime.now(UTC) - timedelta(days=120)
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {wh.table(conn, 'ektp_quarantine.rejected_row')} SET rejected_at = :t "
                             "WHERE file_path = :p AND row_number = :r"), {"t": long_ago, "p": old[0], "r": old[1]})
    followups = tmp_path / "reports" / "followup"
    for day in ("2026-01-02", "2099-01-01"):
        (followups / day).mkdir(parents=True)
        (followups / day / "site.csv").write_text("nik\n3174022308900001\n")

    purged = purge_quarantine(engine, 90, report_dir=tmp_path / "reports")
    assert (purged.rows_redacted, purged.followup_folders_deleted) == (1, 1)
    after = {r[:2]: r[2:] for r in fetch(engine, "SELECT file_path, row_number, raw_record, first_reason, reasons "
                                                 "FROM ektp_quarantine.rejected_row")}
    assert after[old] == (REDACTED, "duplicate_nik", "duplicate_nik") and json.loads(after[old][0])
    assert "3174022308900001" in after[young][0]
    assert not (followups / "2026-01-02").exists() and (followups / "2099-01-01").exists()
    assert purge_quarantine(engine, 90).rows_redacted == 0  # nothing left to redact

    # the counts are intact: a rerun republishes without breaking the conservation audit
    run_date(DAY)
    with pytest.raises(ValueError):
        purge_quarantine(engine, 0)
    engine.dispose()


@pytest.mark.parametrize("lists", ["followup", "cards"])
def test_purge_removes_what_a_killed_writer_left_of_any_date(sqlite_url, tmp_path, lists):
    """A follow-up or card-list writer killed between writing and swapping leaves ``.<date>.tmp``/``.<date>.old``
    folders with NIKs; no later write of another date removes them, so the purge does, whatever their date; and
    it deletes the dates before the cutoff."""
    from ektp.admin.security import purge_quarantine
    from ektp.warehouse import make_engine, migrate

    engine = make_engine(sqlite_url)
    migrate(engine)
    followups = tmp_path / "reports" / lists
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("2026-01-02", ".2026-01-02.tmp", "2099-01-01", ".2099-01-01.tmp", ".2099-01-01.old", "notes"):
        (followups / name).mkdir(parents=True)
        (followups / name / "site.csv").write_text("nik\n3174022308900001\n")
    (followups / ".2099-01-02.tmp").symlink_to(outside, target_is_directory=True)  # never followed
    purged = purge_quarantine(engine, 90, report_dir=tmp_path / "reports")
    assert purged.followup_folders_deleted == 4
    assert sorted(p.name for p in followups.iterdir()) == [".2099-01-02.tmp", ".lock", "2099-01-01", "notes"]
    assert outside.is_dir()
    engine.dispose()
