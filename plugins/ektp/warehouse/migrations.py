"""Create or update the warehouse: tables, added columns, storage parameters, versioned schema files, regions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ektp.core.regions import region_rows
from ektp.warehouse.bulk import bulk_insert
from ektp.warehouse.engine import is_sqlite
from ektp.warehouse.sql_files import query, run_sql, sql_text, statements, table
from ektp.warehouse.transactions import transaction
from ektp.warehouse.tuning import analyze

#: schema files applied only when their text changes: COMMENT ON and CREATE OR REPLACE VIEW lock the objects
#: they touch, and a nightly run must not queue behind an analyst's long query (nor block others behind it)
_VERSIONED_SCHEMA = ("schema/comment_tables", "schema/create_views", "schema/create_restricted_views")


def migrate(engine: Engine) -> None:
    """Create or update the warehouse tables and the region names (idempotent)."""
    with transaction(engine) as conn:
        run_sql(conn, "schema/create_tables")
        _add_missing_columns(conn)
        for (extract_date,) in query(conn, "schema/select_extracts_without_targets"):
            run_sql(conn, "load/insert_extract_target", {"extract_date": extract_date})  # as the loader counts them
        _set_storage_parameters(conn)
        _drop_replaced_tables(conn)
        for name in _VERSIONED_SCHEMA:
            _apply_when_changed(conn, name)
        _drop_unused_tables(conn)
        (have,), = query(conn, "schema/select_region_count")
        rows = region_rows()
        if have != len(rows):
            run_sql(conn, "schema/delete_regions")
            bulk_insert(conn, "ektp_ingest.region", ["region_code", "region_name", "region_level"],
                        ([r["region_code"], r["region_name"], r["region_level"]] for r in rows))
            analyze(conn, "ektp_ingest.region")  # publishing joins 84,000 kelurahan to it: plan with its size


#: columns added after a table was first released: (table, column, type, SQL file that fills it in, if any);
#: CREATE TABLE IF NOT EXISTS leaves an existing table as it was, so an older warehouse gets them here
_ADDED_COLUMNS = [("ektp_ingest.recording", "resident_kelurahan_code", "TEXT", "schema/backfill_resident_kelurahan"),
                  # empty for files loaded before: they are read once more by the next run, then recorded
                  ("ektp_ingest.file_manifest", "modified_ns", "BIGINT", None),
                  ("ektp_ingest.file_manifest", "changed_ns", "BIGINT", None),
                  # NULL for rows loaded before: their files' next load fills it in
                  ("ektp_ingest.recording", "line_number", "INTEGER", None),
                  ("ektp_ingest.file_manifest", "reason_code", "TEXT", "schema/backfill_manifest_reason_code"),
                  ("ektp_quarantine.rejected_file", "reason_code", "TEXT", "schema/backfill_rejected_file_reason_code"),
                  # a work table, empty between runs
                  ("ektp_quarantine.followup_candidate_key", "province_code", "TEXT", None)]


def _add_missing_columns(conn: Connection) -> None:
    for qualified, column, sql_type, backfill in _ADDED_COLUMNS:
        schema, _, name = qualified.rpartition(".")
        columns = sa.inspect(conn).get_columns(name, schema=None if is_sqlite(conn) else schema)
        present = {c["name"] for c in columns}
        if column not in present:
            conn.exec_driver_sql(f"ALTER TABLE {table(conn, qualified)} ADD COLUMN {column} {sql_type}")
            if backfill:
                run_sql(conn, backfill)


#: tables that became views (schema/create_restricted_views.sql creates them again as views)
_REPLACED_TABLES = ("ektp_quarantine.outreach_residents",)


def _drop_replaced_tables(conn: Connection) -> None:
    for qualified in _REPLACED_TABLES:
        schema, _, name = qualified.rpartition(".")
        if name in sa.inspect(conn).get_table_names(schema=None if is_sqlite(conn) else schema):
            conn.exec_driver_sql(f"DROP TABLE {table(conn, qualified)}")


#: tables no longer used, dropped once the views that read them are replaced
_UNUSED_TABLES = ("ektp_quarantine.outreach_unrecorded",)


def _drop_unused_tables(conn: Connection) -> None:
    for qualified in _UNUSED_TABLES:
        schema, _, name = qualified.rpartition(".")
        if name in sa.inspect(conn).get_table_names(schema=None if is_sqlite(conn) else schema):
            conn.exec_driver_sql(f"DROP TABLE {table(conn, qualified)}")


#: PostgreSQL storage parameters (SQLite has none). A loaded batch row is rewritten once when publishing
#: sets its statuses; with half of each page kept free that rewrite stays on the page (a HOT update) and
#: adds no entries to the table's three indexes: a night of 250,000 rows saves about as much as it loads.
_STORAGE_PARAMETERS = {"ektp_ingest.recording": "fillfactor=50"}


def _set_storage_parameters(conn: Connection) -> None:
    """Set them only when they differ: ALTER TABLE locks the table (the pages already written keep theirs)."""
    if is_sqlite(conn):
        return
    for qualified, option in _STORAGE_PARAMETERS.items():
        current = run_sql(conn, "warehouse/select_storage_options", {"table_name": qualified}).scalar_one_or_none()
        if option not in (current or []):
            conn.exec_driver_sql(f"ALTER TABLE {qualified} SET ({option})")


def _apply_when_changed(conn: Connection, name: str) -> None:
    """Run ``sql/<name>.sql`` unless this very text was applied already (``ektp_ingest.schema_version``)."""
    import hashlib
    from datetime import UTC, datetime

    digest = hashlib.sha256(sql_text(name).encode("utf-8")).hexdigest()
    if run_sql(conn, "schema/select_applied_version", {"name": name}).scalar_one_or_none() == digest:
        return
    for stmt in statements(name, conn.dialect.name):  # none on SQLite for a file of comments only
        conn.execute(sa.text(stmt))
    run_sql(conn, "schema/replace_applied_version", {"name": name, "digest": digest, "applied_at": datetime.now(UTC)})
