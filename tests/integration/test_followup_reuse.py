"""Suggestions are scored only for rows new or changed since a date's lists were last written; the others keep
their stored suggestions, which must equal freshly computed ones; a change of the extract in force scores every
row again (both warehouses)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.conftest import fetch
from tests.integration.pipeline_runner import run_date

pytestmark = pytest.mark.slow

D1, D2 = "2026-11-02", "2026-11-03"
SUGGESTIONS = ("SELECT file_path, row_number, suggestion_rank, nik, full_name, birth_date, sex, kelurahan_code, "
               "score FROM ektp_quarantine.followup_suggestion WHERE report_date = :d")


def _suggestions(url: str, day: date) -> list[tuple]:
    return sorted((fp, rn, rank, nik, name, str(b)[:10], sex, kel, float(score))
                  for fp, rn, rank, nik, name, b, sex, kel, score in fetch(url, SUGGESTIONS, d=day))


def test_stored_suggestions_are_reused_and_equal_fresh_ones(sample_landing: Path, warehouse_url: str, tmp_path: Path,
                                                           monkeypatch):
    from ektp import warehouse as wh
    from ektp.outputs import followup

    reports = tmp_path / "reports"
    for name, value in {"EKTP_LANDING_DIR": str(sample_landing), "AIRFLOW_CONN_EKTP_WAREHOUSE": warehouse_url,
                        "EKTP_REPORT_DIR": str(reports), "EKTP_REPORTS": "off", "EKTP_DATA_DOCS": "off"}.items():
        monkeypatch.setenv(name, value)
    run_date(D1)
    run_date(D2)
    engine = wh.make_engine(warehouse_url)
    try:
        day = date.fromisoformat(D2)
        first = followup.write_followups(engine, day, reports)
        assert first["scored"] > 0 and first["scores_reused"] == 0, first
        fresh = _suggestions(warehouse_url, day)
        assert fresh, "the sample's mistyped NIKs get suggestions"

        # written again (a late file republished the date): nothing is scored, the stored suggestions stay
        again = followup.write_followups(engine, day, reports)
        assert again["scored"] == 0 and again["scores_reused"] == first["scored"], again
        assert _suggestions(warehouse_url, day) == fresh

        # one row's captured name corrected: that row alone is scored again, as a fresh run would
        (fp, rn), = fetch(warehouse_url, "SELECT file_path, row_number FROM ektp_quarantine.followup_not_in_extract "
                                         "WHERE report_date = :d ORDER BY file_path, row_number LIMIT 1", d=day)
        with wh.transaction(engine) as conn:
            conn.exec_driver_sql(f"UPDATE {wh.table(conn, 'ektp_ingest.recording')} SET full_name = full_name || 'X' "
                                 f"WHERE file_path = '{fp}' AND row_number = {rn}")
        changed = followup.write_followups(engine, day, reports)
        assert changed["scored"] == 1, changed
        kept = _suggestions(warehouse_url, day)
        with wh.transaction(engine) as conn:  # forget what was scored: every row is scored from scratch
            conn.exec_driver_sql(f"DELETE FROM {wh.table(conn, 'ektp_quarantine.followup_scored')}")
        scratch = followup.write_followups(engine, day, reports)
        assert scratch["scored"] == first["scored"], scratch
        assert _suggestions(warehouse_url, day) == kept

        # another load of the extract in force: every row is scored again
        with wh.transaction(engine) as conn:
            conn.exec_driver_sql(f"UPDATE {wh.table(conn, 'ektp_ingest.file_manifest')} SET sha256 = 'another' "
                                 "WHERE file_kind = 'registry'")
        assert followup.write_followups(engine, day, reports)["scored"] == first["scored"]
        assert _suggestions(warehouse_url, day) == kept
    finally:
        engine.dispose()
