"""files_daily against contract §4, on both warehouses: every landed CSV file of a date and what became of it.

A hand-built landing area: an extract, then an implausible one; batch files loaded (one with a malformed row
and a rejected row), rejected whole for each reason the contract names (not UTF-8, a NUL character, empty, no
header row, a repeated column, a missing column), and delivered twice (the same bytes under another name the
same day, and under a later date folder). The expected rows are written out by hand from the files. Then a
rejected file is corrected and re-uploaded at the same path, and a file is removed: the dates are republished.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.conftest import fetch
from tests.integration.pipeline_runner import run_date

pytestmark = pytest.mark.slow

BATCH_HEADER = ["batch_id", "site_code", "site_name", "operator_id", "recorded_at", "nik", "full_name",
                "birth_date", "sex", "kelurahan_code"]
EXTRACT_HEADER = ["nik", "full_name", "birth_date", "sex", "kelurahan_code"]
D1, D2 = "2027-02-02", "2027-02-03"
TT = "31.74.01.1001"


def nik(i: int) -> str:
    return f"317401010309{i:04d}"  # a man born 01-03-2009, Tebet


def resident(i: int) -> list[str]:
    return [nik(i), f"Warga {i}", "2009-03-01", "L", TT]


def recording(site: str, i: int, day: str = D1) -> list[str]:
    return [f"{site}-B1", site, f"Sekolah {site}", "OP-1", f"{day}T09:{i:02d}:00+07:00", nik(i), f"Warga {i}",
            "2009-03-01", "L", TT]


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    return buffer.getvalue().encode("utf-8")


def land(landing: Path, rel: str, data: bytes) -> None:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def files_daily(url: str, day: str) -> set[tuple]:
    return {tuple(r) for r in fetch(url, "SELECT kind, file_path, outcome, reason, site_code, rows "
                                         "FROM ektp_coverage.files_daily WHERE report_date = :d", d=day)}


@pytest.fixture
def env(monkeypatch, tmp_path, warehouse_url):
    landing = tmp_path / "landing"
    (landing / "batches").mkdir(parents=True)
    for name, value in {"EKTP_LANDING_DIR": str(landing), "AIRFLOW_CONN_EKTP_WAREHOUSE": warehouse_url,
                        "EKTP_VAR_DIR": str(tmp_path / "var"), "EKTP_REPORTS": "off", "EKTP_DATA_DOCS": "off"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EKTP_ACCEPT_EXTRACT", raising=False)
    return landing, warehouse_url


def test_files_daily_lists_every_landed_file_with_its_outcome(env):
    landing, url = env
    good = csv_bytes(BATCH_HEADER, [recording("SMA-1", 1), recording("SMA-1", 2),
                                    recording("SMA-1", 3)[:-1],  # malformed: one field short
                                    [*recording("SMA-1", 4)[:8], "X", TT]])  # bad_sex
    land(landing, f"registry/{D1}/unrecorded_residents.csv",
         csv_bytes(EXTRACT_HEADER, [resident(i) for i in range(1, 9)]))
    land(landing, f"batches/{D1}/a_sma1.csv", good)
    land(landing, f"batches/{D1}/b_rw2.csv", csv_bytes(BATCH_HEADER, [recording("RW-2", 5), recording("RW-2", 6)]))
    land(landing, f"batches/{D1}/z_copy.csv", good)  # same bytes, larger path: the duplicate
    rw3 = csv_bytes(BATCH_HEADER, [recording("RW-3", 7)])
    land(landing, f"batches/{D1}/latin1.csv", rw3.replace(b"Warga", b"W\xe9rga"))
    land(landing, f"batches/{D1}/nul.csv", rw3.replace(b"Warga", b"W\x00rga"))
    land(landing, f"batches/{D1}/empty.csv", b"")
    land(landing, f"batches/{D1}/blank_first.csv", b"\n" + rw3)
    land(landing, f"batches/{D1}/repeated.csv", csv_bytes([*BATCH_HEADER, "sex"], [[*recording("RW-3", 7), "L"]]))
    without_sex = [[v for k, v in enumerate(recording("RW-3", 7)) if k != 8]]
    land(landing, f"batches/{D1}/no_sex.csv", csv_bytes([c for c in BATCH_HEADER if c != "sex"], without_sex))
    land(landing, f"batches/{D1}/notes.txt", b"not a CSV: ignored")
    run_date(D1)

    expected_d1 = {
        ("registry", f"registry/{D1}/unrecorded_residents.csv", "loaded", "", "", 8),
        ("batch", f"batches/{D1}/a_sma1.csv", "loaded", "", "SMA-1", 4),
        ("batch", f"batches/{D1}/b_rw2.csv", "loaded", "", "RW-2", 2),
        ("batch", f"batches/{D1}/z_copy.csv", "duplicate_delivery", "", "", 0),
        ("batch", f"batches/{D1}/latin1.csv", "rejected", "not_utf8", "", 0),
        ("batch", f"batches/{D1}/nul.csv", "rejected", "not_utf8", "", 0),
        ("batch", f"batches/{D1}/empty.csv", "rejected", "bad_header", "", 0),
        ("batch", f"batches/{D1}/blank_first.csv", "rejected", "bad_header", "", 0),
        ("batch", f"batches/{D1}/repeated.csv", "rejected", "bad_header", "", 0),
        ("batch", f"batches/{D1}/no_sex.csv", "rejected", "missing_column", "", 0),
    }
    assert files_daily(url, D1) == expected_d1
    # the loaded batch files add up to site_daily
    assert sorted(fetch(url, "SELECT site_code, batch_files, rows_received FROM ektp_coverage.site_daily "
                             "WHERE report_date = :d", d=D1)) == [("RW-2", 1, 2), ("SMA-1", 1, 4)]
    assert fetch(url, "SELECT count(*) FROM ektp_coverage.latest_files") == [(10,)]

    # D2: an extract with a quarter of the residents (implausible), the same bytes as a D1 file under D2
    land(landing, f"registry/{D2}/unrecorded_residents.csv", csv_bytes(EXTRACT_HEADER, [resident(i) for i in (1, 2)]))
    land(landing, f"batches/{D2}/a_sma1_again.csv", good)
    land(landing, f"batches/{D2}/c_sma1.csv", csv_bytes(BATCH_HEADER, [recording("SMA-1", 8, D2)]))
    # the team corrects the file rejected for its missing column and uploads it at the same path
    land(landing, f"batches/{D1}/no_sex.csv", rw3)
    (landing / f"batches/{D1}/nul.csv").unlink()  # and withdraws another
    run_date(D2)

    assert files_daily(url, D2) == {
        ("registry", f"registry/{D2}/unrecorded_residents.csv", "rejected", "implausible_extract", "", 0),
        ("batch", f"batches/{D2}/a_sma1_again.csv", "duplicate_delivery", "", "", 0),
        ("batch", f"batches/{D2}/c_sma1.csv", "loaded", "", "SMA-1", 1),
    }
    assert files_daily(url, D1) == (expected_d1 - {
        ("batch", f"batches/{D1}/no_sex.csv", "rejected", "missing_column", "", 0),
        ("batch", f"batches/{D1}/nul.csv", "rejected", "not_utf8", "", 0),
    }) | {("batch", f"batches/{D1}/no_sex.csv", "loaded", "", "RW-3", 1)}
    assert {str(d) for d, in fetch(url, "SELECT DISTINCT report_date FROM ektp_coverage.latest_files")} == {D2}


def test_files_daily_counts_every_kind_of_file_in_the_manifest(engine):
    """The statement reads the manifest by kind, not by folder: a card-event file (contract §6) is listed too."""
    from datetime import UTC, date, datetime

    from ektp import warehouse as wh

    at = datetime(2027, 2, 3, 1, tzinfo=UTC)
    entry = {"file_kind": "card_events", "file_date": date(2027, 2, 2), "sha256": "0" * 64, "size_bytes": 10,
             "modified_ns": 1, "changed_ns": 1, "rows_rejected": None, "duplicate_of": None, "site_code": None,
             "site_name": None, "validated_at": at, "run_id": "r"}
    with wh.transaction(engine) as conn:
        wh.run_sql(conn, "load/insert_file_manifest", {**entry, "file_path": "cards/2027-02-02/prr.csv",
                                                       "row_count": 12, "rows_rejected": 1, "status": "loaded",
                                                       "reason": None, "reason_code": None,
                                                       "site_code": "SMA-1"})
        wh.run_sql(conn, "load/insert_file_manifest", {**entry, "file_path": "cards/2027-02-02/print.csv",
                                                       "row_count": None, "status": "rejected_file",
                                                       "reason": "missing required column(s): event",
                                                       "reason_code": "missing_column"})
        conn.exec_driver_sql(wh.table(conn, "INSERT INTO ektp_ingest.publish_queue VALUES ('2027-02-02')"))
        wh.run_sql(conn, "publish/insert_files_daily", {"published_at": at})
    assert files_daily(engine, "2027-02-02") == {
        ("card_events", "cards/2027-02-02/prr.csv", "loaded", "", "", 12),  # site_code: batch files only
        ("card_events", "cards/2027-02-02/print.csv", "rejected", "missing_column", "", 0),
    }
