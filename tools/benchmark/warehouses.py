"""The benchmark's PostgreSQL databases: created and dropped per run, settled, and checked after a night."""

from __future__ import annotations

from datetime import date

import psycopg


def settle(url: str) -> None:
    """``VACUUM ANALYZE`` the loaded warehouse: what autovacuum does between the extract's arrival and the
    night, so each night starts, as in production, from statistics that hold every earlier date but not its
    own (a join planned on those once took minutes: tests/integration/test_stale_statistics.py)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _admin(pg_url: str) -> psycopg.Connection:
    return psycopg.connect(pg_url, autocommit=True)


def db_url(pg_url: str, name: str) -> str:
    return pg_url.rsplit("/", 1)[0] + f"/{name}"


def create_database(pg_url: str, name: str, template: str | None = None) -> None:
    with _admin(pg_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def drop_database(pg_url: str, name: str) -> None:
    with _admin(pg_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def warehouse_checks(url: str, report_date: date) -> dict:
    with psycopg.connect(url) as conn:
        kel, targets, matched = conn.execute(
            "SELECT count(*), coalesce(sum(target_residents), 0), coalesce(sum(recorded_to_date), 0) "
            "FROM ektp_coverage.kelurahan_daily WHERE report_date = %s", (report_date,)).fetchone()
        received, accepted = conn.execute(
            "SELECT coalesce(sum(rows_received), 0), coalesce(sum(rows_accepted), 0) "
            "FROM ektp_coverage.site_daily WHERE report_date = %s", (report_date,)).fetchone()
        outcomes = dict(conn.execute("SELECT outcome, rows FROM ektp_coverage.card_events_daily "
                                     "WHERE report_date = %s", (report_date,)).fetchall())
        funnel = conn.execute(
            "SELECT coalesce(sum(prr), 0), coalesce(sum(printed), 0), coalesce(sum(delivered), 0), "
            "coalesce(sum(activated), 0) FROM ektp_coverage.site_funnel_daily WHERE report_date = %s",
            (report_date,)).fetchone()
    return {"kelurahan_rows": int(kel), "target_residents": int(targets), "matched": int(matched),
            "rows_received": int(received), "rows_accepted": int(accepted),
            "card_linked": int(outcomes.pop("linked", 0)), "card_unlinked": int(outcomes.pop("unlinked", 0)),
            "card_rejected": int(sum(outcomes.values())),
            "funnel_prr_printed_delivered_activated": [int(x) for x in funnel]}
