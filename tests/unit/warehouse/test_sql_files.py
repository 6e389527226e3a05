"""SQL files: the PostgreSQL text each warehouse runs, and values that stay data whatever they hold."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from ektp import warehouse as wh
from ektp.warehouse.sql_files import for_dialect

HOSTILE = ["x'); DROP TABLE ektp_ingest.recording; --", "' OR '1'='1", ":run_id", "%(run_id)s", "{run_id}",
           "\\'; SELECT pg_sleep(10); --", "ektp_ingest.recording"]


@pytest.mark.parametrize(("text", "postgresql", "sqlite"), [
    ("SELECT a FROM ektp_ingest.recording r JOIN ektp_coverage.site_daily s ON true;",
     ["SELECT a FROM ektp_ingest.recording r JOIN ektp_coverage.site_daily s ON true"],
     ["SELECT a FROM recording r JOIN site_daily s ON true"]),
    ("SELECT x FROM my_ektp_ingest.t", ["SELECT x FROM my_ektp_ingest.t"], ["SELECT x FROM my_ektp_ingest.t"]),
    ('CREATE TABLE ektp_ingest.t (nik TEXT COLLATE "C" PRIMARY KEY)',
     ['CREATE TABLE ektp_ingest.t (nik TEXT COLLATE "C" PRIMARY KEY)'], ["CREATE TABLE t (nik TEXT PRIMARY KEY)"]),
    ("CREATE SCHEMA IF NOT EXISTS ektp_ingest;\nCOMMENT ON TABLE ektp_ingest.t IS 'a; b';\n"
     "GRANT SELECT ON ALL TABLES IN SCHEMA ektp_coverage TO ektp_analyst;\nREVOKE ALL ON ektp_ingest.t FROM x;",
     ["CREATE SCHEMA IF NOT EXISTS ektp_ingest", "COMMENT ON TABLE ektp_ingest.t IS 'a; b'",
      "GRANT SELECT ON ALL TABLES IN SCHEMA ektp_coverage TO ektp_analyst", "REVOKE ALL ON ektp_ingest.t FROM x"],
     []),
    ("CREATE OR REPLACE VIEW ektp_coverage.latest_site AS\nSELECT 1 AS one;",
     ["CREATE OR REPLACE VIEW ektp_coverage.latest_site AS\nSELECT 1 AS one"],
     ["DROP VIEW IF EXISTS latest_site", "CREATE VIEW latest_site AS\nSELECT 1 AS one"]),
    ("-- a comment; with a semicolon\nSELECT 1; -- another\n\nSELECT 2;\n",
     ["SELECT 1", "SELECT 2"], ["SELECT 1", "SELECT 2"]),
    ("SELECT ';' AS semicolon_inside_a_line", ["SELECT ';' AS semicolon_inside_a_line"],
     ["SELECT ';' AS semicolon_inside_a_line"]),
    ("SELECT CAST(json_agg(a.nik) AS TEXT), JSON_AGG (b) FROM my_json_agg(1)",  # SQLite's name for the function
     ["SELECT CAST(json_agg(a.nik) AS TEXT), JSON_AGG (b) FROM my_json_agg(1)"],
     ["SELECT CAST(json_group_array(a.nik) AS TEXT), json_group_array(b) FROM my_json_agg(1)"]),
])
def test_statements_for_each_warehouse(text, postgresql, sqlite):
    assert for_dialect(text, "postgresql") == postgresql
    assert for_dialect(text, "sqlite") == sqlite


def test_every_sql_file_splits_into_statements():
    from ektp.core.settings import SQL_DIR

    for path in sorted(SQL_DIR.rglob("*.sql")):
        name = path.relative_to(SQL_DIR).with_suffix("").as_posix()
        assert wh.statements(name, "postgresql"), name


def test_hostile_values_are_stored_as_data(engine):
    """run_sql, run_sql_many and an expanded IN list bind every value: each comes back exactly as sent."""
    at = datetime.now(UTC)
    with wh.transaction(engine) as conn:
        wh.run_sql(conn, "load/insert_pending_change", {"change_date": date(2026, 11, 2), "noted_at": at,
                                                         "run_id": HOSTILE[0]})
        wh.run_sql_many(conn, "load/insert_pending_change",
                        [{"change_date": date(2026, 11, 3 + i), "noted_at": at, "run_id": v}
                         for i, v in enumerate(HOSTILE[1:])])
        wh.run_sql_many(conn, "load/insert_file_manifest", [{
            "file_path": v, "file_kind": "batch", "file_date": date(2026, 11, 2), "sha256": v, "size_bytes": 1,
            "modified_ns": None, "changed_ns": None, "row_count": 0, "rows_rejected": 0, "status": "loaded",
            "reason": v, "reason_code": v, "duplicate_of": None, "site_code": v, "site_name": v, "validated_at": at,
            "run_id": v,
        } for v in HOSTILE])
    with engine.connect() as conn:
        stored = conn.exec_driver_sql(f"SELECT run_id FROM {wh.table(conn, 'ektp_ingest.pending_change')}")
        assert sorted(r[0] for r in stored) == sorted(HOSTILE)
        known = wh.query(conn, "load/select_known_files", {"file_paths": [*HOSTILE, "not landed"]})
        assert sorted(r[0] for r in known) == sorted(HOSTILE)
        assert wh.query(conn, "load/select_known_files", {"file_paths": ["' OR 1=1 --"]}) == []
        assert conn.exec_driver_sql(f"SELECT count(*) FROM {wh.table(conn, 'ektp_ingest.recording')}").scalar() == 0


def test_an_included_file_replaces_its_line(tmp_path):
    from ektp.warehouse.sql_files import _included

    (tmp_path / "shared").mkdir()
    (tmp_path / "stage").mkdir()
    (tmp_path / "shared" / "part.sql").write_text("-- a part\nx AS (SELECT 1 AS one)\n")
    (tmp_path / "stage" / "select_x.sql").write_text("WITH\n\\ir ../shared/part.sql\nSELECT one FROM x;\n")
    text = _included((tmp_path / "stage" / "select_x.sql").resolve(), ())
    assert for_dialect(text, "sqlite") == ["WITH\n\nx AS (SELECT 1 AS one)\n\nSELECT one FROM x"]
    (tmp_path / "shared" / "part.sql").write_text("\\ir ../stage/select_x.sql\n")
    with pytest.raises(ValueError, match="includes itself"):
        _included((tmp_path / "stage" / "select_x.sql").resolve(), ())


def test_the_card_stage_rule_is_written_once():
    """Contract §6.2's stage rule lives in sql/shared/card_stages.sql; the statements that need it include it."""
    from ektp.core.settings import SQL_DIR

    rule = "THEN -1"
    holders = sorted(p.relative_to(SQL_DIR).as_posix() for p in SQL_DIR.rglob("*.sql") if rule in p.read_text())
    assert holders == ["shared/card_stages.sql"]
    for name in ("publish/insert_site_funnel_daily", "report/select_print_backlog", "report/select_handover_days",
                 "followup/select_card_lists"):
        assert "\\ir ../shared/card_stages.sql\n" in (SQL_DIR / f"{name}.sql").read_text(), name
        (statement,) = wh.statements(name, "postgresql")
        assert rule in statement and "\\ir" not in statement
