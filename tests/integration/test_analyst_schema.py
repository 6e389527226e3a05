"""What analysts get besides the rows: comments on every published column, and the latest_* views.

Comments are read back from pg_catalog. The views are checked on both warehouses against rows put
straight into the published tables. Comments and views are applied only when their SQL text changes,
so a nightly migrate never waits behind (or blocks) an analyst's open query.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import fetch

PUBLISHED = ("kelurahan_daily", "kecamatan_daily", "site_daily", "rejections_daily", "files_daily",
             "outreach_targets_daily", "site_funnel_daily", "card_events_daily")
CONTRACT_COLUMNS = {  # contract §4, plus published_at
    "kelurahan_daily": ["report_date", "extract_date", "kecamatan_code", "kecamatan_name", "kelurahan_code",
                        "kelurahan_name", "target_residents", "recorded_on_date", "recorded_to_date", "remaining",
                        "coverage_pct", "published_at"],
    "kecamatan_daily": ["report_date", "extract_date", "kecamatan_code", "kecamatan_name", "target_residents",
                        "recorded_on_date", "recorded_to_date", "remaining", "coverage_pct", "published_at"],
    "site_daily": ["report_date", "site_code", "site_name", "batch_files", "rows_received", "rows_rejected",
                   "rows_duplicate", "rows_accepted", "matched", "identity_mismatch", "not_in_extract",
                   "published_at"],
    "rejections_daily": ["report_date", "reason", "rows", "published_at"],
    "files_daily": ["report_date", "kind", "file_path", "outcome", "reason", "site_code", "rows", "published_at"],
    # not in the contract: published beside its tables (docs/tables.md)
    "outreach_targets_daily": ["report_date", "kecamatan_code", "kelurahan_code", "kelurahan_name", "remaining",
                               "remaining_aged_16_18", "published_at"],
    # contract §6.3
    "site_funnel_daily": ["report_date", "site_code", "site_name", "recorded", "biometric_duplicate", "prr", "printed",
                          "delivered", "activated", "awaiting_print_14d", "published_at"],
    "card_events_daily": ["report_date", "outcome", "rows", "published_at"],
}
MAIN_INTERNAL = ("ektp_ingest.file_manifest", "ektp_ingest.recording", "ektp_ingest.registry_extract",
                 "ektp_ingest.registry_resident", "ektp_ingest.published_report", "ektp_quarantine.rejected_file",
                 "ektp_quarantine.rejected_row", "ektp_ingest.card_event")


@pytest.fixture
def pg_engine(pg_url):
    from ektp.warehouse import make_engine, migrate

    engine = make_engine(pg_url)
    migrate(engine)
    yield engine
    engine.dispose()


def test_every_published_table_and_column_has_a_comment(pg_engine):
    tables = fetch(pg_engine, "SELECT table_name FROM information_schema.tables "
                              "WHERE table_schema = 'ektp_coverage' AND table_type = 'BASE TABLE'")
    assert sorted(t for t, in tables) == sorted(PUBLISHED), "a new published table: name it here, comment it"
    for table in PUBLISHED:
        columns = fetch(pg_engine, """
            SELECT a.attname, col_description(a.attrelid, a.attnum)
              FROM pg_attribute a
             WHERE a.attrelid = CAST(:t AS regclass) AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum""", t=f"ektp_coverage.{table}")
        assert [name for name, _ in columns] == CONTRACT_COLUMNS[table]
        missing = [name for name, text in columns if not (text or "").strip()]
        assert missing == [], f"{table}: columns without a comment: {missing}"
        (text,), = fetch(pg_engine, "SELECT obj_description(CAST(:t AS regclass), 'pg_class')",
                         t=f"ektp_coverage.{table}")
        assert text and text.strip()
    for qualified in MAIN_INTERNAL:
        (text,), = fetch(pg_engine, "SELECT obj_description(CAST(:t AS regclass), 'pg_class')", t=qualified)
        assert text and text.strip(), qualified
    (text,), = fetch(pg_engine, "SELECT col_description(CAST('ektp_coverage.site_daily' AS regclass), 2)")
    assert "most common non-empty site_code" in text
    views = fetch(pg_engine, "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c "
                             "JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE n.nspname = 'ektp_coverage' AND c.relkind = 'v'")
    assert "latest_files" in {v for v, _ in views}
    assert [v for v, text in views if not (text or "").strip()] == []


def test_every_published_table_is_in_the_docs():
    from tests.conftest import ROOT

    text = (ROOT / "docs" / "tables.md").read_text(encoding="utf-8")
    for table, columns in CONTRACT_COLUMNS.items():
        section = text.split(f"## `{table}`", 1)
        assert len(section) == 2, f"docs/tables.md has no section for {table}"
        body = section[1].split("\n## ", 1)[0]
        documented = re.findall(r"^\| (\w+) \|", body, flags=re.MULTILINE)
        assert [c for c in documented if c != "column"] == columns, table


def test_comments_and_views_are_applied_only_when_their_sql_changes(pg_engine):
    from ektp.warehouse import migrate

    column = "SELECT col_description(CAST('ektp_coverage.kelurahan_daily' AS regclass), 11)"  # coverage_pct
    assert "rounded half up" in fetch(pg_engine, column)[0][0]
    with pg_engine.begin() as conn:
        conn.exec_driver_sql("COMMENT ON COLUMN ektp_coverage.kelurahan_daily.coverage_pct IS NULL")
    migrate(pg_engine)
    assert fetch(pg_engine, column)[0][0] is None  # same SQL text as recorded: not applied again

    # An analyst's open transaction that has read a view holds locks CREATE OR REPLACE VIEW would wait for;
    # the nightly migrate must not queue behind it.
    with pg_engine.connect() as analyst:
        analyst.execute(sa.text("SELECT count(*) FROM ektp_coverage.latest_kecamatan"))
        done = threading.Event()
        worker = threading.Thread(target=lambda: (migrate(pg_engine), done.set()), daemon=True)
        worker.start()
        worker.join(timeout=60)
        assert done.is_set(), "migrate waited for an analyst's open transaction"
        analyst.rollback()

    with pg_engine.begin() as conn:  # as if the file had changed: the recorded version no longer matches
        conn.exec_driver_sql("UPDATE ektp_ingest.schema_version SET sha256 = 'old' "
                             "WHERE sql_file = 'schema/comment_tables'")
    migrate(pg_engine)
    assert "rounded half up" in fetch(pg_engine, column)[0][0]


def test_latest_views_show_the_latest_published_date(warehouse_url):
    from ektp import warehouse as wh

    engine = wh.make_engine(warehouse_url)
    wh.migrate(engine)
    wh.migrate(engine)  # idempotent, on SQLite too (the views are dropped and created only on a change)
    at = datetime(2027, 3, 3, 1, 0, tzinfo=UTC)
    with engine.begin() as conn:
        def insert(table: str, columns: list[str], rows: list[list]) -> None:
            wh.bulk_insert(conn, table, columns, rows)

        insert("ektp_ingest.published_report", ["report_date", "extract_date", "published_at", "run_id"],
               [[date(2027, 3, 1), date(2027, 3, 1), at, "r1"], [date(2027, 3, 2), date(2027, 3, 1), at, "r2"]])
        insert("ektp_coverage.kecamatan_daily", CONTRACT_COLUMNS["kecamatan_daily"], [
            [date(2027, 3, 1), date(2027, 3, 1), "31.74.01", "Tebet", 4, 1, 1, 3, 25, at],
            [date(2027, 3, 2), date(2027, 3, 1), "31.74.01", "Tebet", 4, 1, 2, 2, 50, at],
            [date(2027, 3, 2), date(2027, 3, 1), "31.74.02", "Setiabudi", 3, 1, 1, 2, 33.33, at],
        ])
        insert("ektp_coverage.kelurahan_daily", CONTRACT_COLUMNS["kelurahan_daily"], [
            [date(2027, 3, 1), date(2027, 3, 1), "31.74.01", "Tebet", "31.74.01.1001", "Tebet Timur", 4, 1, 1, 3,
             25, at],
            [date(2027, 3, 2), date(2027, 3, 1), "31.74.01", "Tebet", "31.74.01.1001", "Tebet Timur", 4, 1, 2, 2,
             50, at],
        ])
        insert("ektp_coverage.site_daily", CONTRACT_COLUMNS["site_daily"], [
            [date(2027, 3, 1), "RW01", "Balai RW 01", 1, 2, 0, 0, 2, 1, 0, 1, at],
        ])
    latest = fetch(engine, "SELECT report_date, kecamatan_code, recorded_to_date FROM ektp_coverage.latest_kecamatan "
                   "ORDER BY kecamatan_code")
    assert [(str(d), k, n) for d, k, n in latest] == [("2027-03-02", "31.74.01", 2), ("2027-03-02", "31.74.02", 1)]
    latest = fetch(engine, "SELECT report_date, kelurahan_code FROM ektp_coverage.latest_kelurahan")
    assert [(str(d), k) for d, k in latest] == [("2027-03-02", "31.74.01.1001")]
    # 2027-03-02 had no batch files: the view is empty rather than showing an older date
    assert fetch(engine, "SELECT count(*) FROM ektp_coverage.latest_site") == [(0,)]
    engine.dispose()
