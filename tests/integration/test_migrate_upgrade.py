"""migrate() brings a warehouse made by an earlier version up to date: columns added since (filled in
for the rows already there), and the per-kelurahan targets of extracts loaded before extract_target
existed (both warehouses)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from ektp import warehouse as wh


def _columns(conn: sa.Connection, qualified: str) -> set[str]:
    schema, _, name = qualified.rpartition(".")
    if wh.is_sqlite(conn):
        return {c["name"] for c in sa.inspect(conn).get_columns(name)}
    return {c["name"] for c in sa.inspect(conn).get_columns(name, schema=schema)}


def test_an_older_warehouse_gets_new_columns_and_extract_targets(engine: sa.Engine):
    residents = [  # two kelurahan of one extract, one of another
        (date(2026, 11, 1), 1, "3174011001", "31.74.01.1001"),
        (date(2026, 11, 1), 2, "3174011002", "31.74.01.1001"),
        (date(2026, 11, 1), 3, "3174011003", "31.74.01.1002"),
        (date(2026, 11, 3), 1, "3174011004", "31.74.01.1002"),
    ]
    with wh.transaction(engine) as conn:
        t = lambda q: wh.table(conn, q)  # noqa: E731
        conn.execute(sa.text(f"ALTER TABLE {t('ektp_ingest.recording')} DROP COLUMN resident_kelurahan_code"))
        conn.execute(sa.text(f"ALTER TABLE {t('ektp_ingest.file_manifest')} DROP COLUMN modified_ns"))
        for day in (date(2026, 11, 1), date(2026, 11, 3)):
            conn.execute(sa.text(f"INSERT INTO {t('ektp_ingest.registry_extract')} (extract_date, file_path, "
                                 "rows_received, rows_rejected, target_residents) VALUES (:d, :p, 0, 0, 0)"),
                         {"d": day, "p": f"registry/{day}/unrecorded_residents.csv"})
        conn.execute(sa.text(f"INSERT INTO {t('ektp_ingest.registry_resident')} (extract_date, row_number, nik, "
                             "full_name, birth_date, sex, kelurahan_code) VALUES (:d, :n, :nik, 'X', :b, 'L', :k)"),
                     [{"d": d, "n": n, "nik": nik_ + "000001", "b": date(2009, 1, 1), "k": k}
                      for d, n, nik_, k in residents])
        conn.execute(sa.text(
            f"INSERT INTO {t('ektp_ingest.recording')} (file_path, row_number, recording_date, batch_id, site_code, "
            "site_name, operator_id, recorded_at, nik, full_name, birth_date, sex, duplicate_status, extract_date, "
            "reconciliation_status) VALUES (:p, :n, :d, 'B', 'S', 'S', 'O', :at, :nik, 'X', :b, 'L', 'accepted', "
            ":e, :status)"),
            [{"p": "batches/2026-11-02/a.csv", "n": n, "d": date(2026, 11, 2), "at": f"2026-11-02 0{n}:00:00+00:00",
              "nik": nik_, "b": date(2009, 1, 1), "e": date(2026, 11, 1), "status": status}
             for n, nik_, status in [(1, "3174011002000001", "matched"), (2, "3174011009000001", "not_in_extract")]])
        assert "resident_kelurahan_code" not in _columns(conn, "ektp_ingest.recording")

    wh.migrate(engine)
    wh.migrate(engine)  # idempotent: nothing is counted twice

    with engine.connect() as conn:
        assert "resident_kelurahan_code" in _columns(conn, "ektp_ingest.recording")
        assert "modified_ns" in _columns(conn, "ektp_ingest.file_manifest")  # empty: such files are read once more
        filled = conn.execute(sa.text(f"SELECT row_number, resident_kelurahan_code FROM "
                                      f"{wh.table(conn, 'ektp_ingest.recording')} ORDER BY 1")).all()
        assert [tuple(r) for r in filled] == [(1, "31.74.01.1001"), (2, None)]  # matched rows only
        rows = conn.execute(sa.text(f"SELECT extract_date, kelurahan_code, target_residents FROM "
                                    f"{wh.table(conn, 'ektp_ingest.extract_target')} ORDER BY 1, 2")).all()
    assert [(str(d), k, int(n)) for d, k, n in rows] == [
        ("2026-11-01", "31.74.01.1001", 2), ("2026-11-01", "31.74.01.1002", 1), ("2026-11-03", "31.74.01.1002", 1)]


def test_the_outreach_list_table_of_an_older_warehouse_becomes_the_view(engine: sa.Engine):
    """Before issue 21 the outreach list by name was a table rewritten every night; migrate() drops it (and the
    table a first incremental version kept) and creates the view in its place."""
    with wh.transaction(engine) as conn:
        t = lambda q: wh.table(conn, q)  # noqa: E731
        conn.execute(sa.text(f"DROP VIEW {t('ektp_quarantine.outreach_residents')}"))
        conn.execute(sa.text(f"CREATE TABLE {t('ektp_quarantine.outreach_residents')} (report_date DATE, nik TEXT)"))
        conn.execute(sa.text(f"CREATE TABLE {t('ektp_quarantine.outreach_unrecorded')} (nik TEXT)"))
        conn.execute(sa.text(f"DELETE FROM {t('ektp_ingest.schema_version')} "
                             "WHERE sql_file = 'schema/create_restricted_views'"))  # an older warehouse never had it
    wh.migrate(engine)
    with engine.connect() as conn:
        schema = None if wh.is_sqlite(conn) else "ektp_quarantine"
        inspector = sa.inspect(conn)
        assert "outreach_residents" in inspector.get_view_names(schema=schema)
        tables = set(inspector.get_table_names(schema=schema))
        assert not {"outreach_residents", "outreach_unrecorded"} & tables
        assert {"outreach_list", "outreach_recorded_nik"} <= tables
        assert conn.execute(sa.text(f"SELECT count(*) FROM {wh.table(conn, 'ektp_quarantine.outreach_residents')}"
                                    )).scalar_one() == 0
