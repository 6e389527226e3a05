"""The file manifest and the quarantine over several real DAG runs (contract §2.1, §5).

One landing area holds a broken file, a duplicate delivery (identical bytes under a later date
folder AND under another name in the same folder), a broken extract after a good one, and a file
that is re-landed under the same path with changed content between two runs; finally a copy with
a smaller path lands after the original was loaded. Each step checks
file_manifest (status, reason, sha256, counts), the quarantine and the published counts, on
PostgreSQL and SQLite.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path

import pytest

from tests.conftest import fetch, run_dag_test

pytestmark = pytest.mark.slow

BATCH_HEADER = ["batch_id", "site_code", "site_name", "operator_id", "recorded_at", "nik", "full_name", "birth_date",
                "sex", "kelurahan_code"]
REGISTRY_HEADER = ["nik", "full_name", "birth_date", "sex", "kelurahan_code"]
KELURAHAN = "31.74.01.1001"


def nik(i: int) -> str:
    return f"317401150805{i:04d}"  # a man born 15-08-2005, Tebet


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def batch(path: Path, site: str, day: str, people: list[int], *, bad_sex: tuple[int, ...] = ()) -> Path:
    rows = [[f"{site}-1", site, f"Site {site}", "OP-1", f"{day}T{8 + k % 8:02d}:{k % 60:02d}:00+07:00", nik(i),
             f"Warga {i}", "2005-08-15", "X" if i in bad_sex else "L", KELURAHAN] for k, i in enumerate(people)]
    return write(path, BATCH_HEADER, rows)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(url: str) -> dict[str, tuple]:
    rows = fetch(url, "SELECT file_path, status, reason, duplicate_of, sha256, row_count, rows_rejected, site_code "
                 "FROM ektp_ingest.file_manifest")
    return {r[0]: r[1:] for r in rows}


def per_file(url: str, table: str) -> dict[str, int]:
    return dict(fetch(url, f"SELECT file_path, count(*) FROM {table} GROUP BY file_path"))


def site_daily(url: str, day: str) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in fetch(url, "SELECT site_code, batch_files, rows_received, rows_rejected, "
                                       "rows_duplicate, rows_accepted, matched FROM ektp_coverage.site_daily "
                                       "WHERE report_date = :d", d=day)}


def without(mapping: dict, key: str) -> dict:
    return {k: v for k, v in mapping.items() if k != key}


def run(dag, day: str, landing: Path, url: str) -> None:
    assert run_dag_test(dag, day, landing, url).state == "success", day


def test_manifest_and_quarantine_over_runs(coverage_dag, warehouse_url, tmp_path, monkeypatch):
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")  # tests/integration/test_data_docs.py covers them
    monkeypatch.setenv("EKTP_REPORTS", "off")  # reports are not what this test is about
    url, landing = warehouse_url, tmp_path / "landing"
    write(landing / "registry/2026-11-01/unrecorded_residents.csv", REGISTRY_HEADER,
          [[nik(i), f"Warga {i}", "2005-08-15", "L", KELURAHAN] for i in range(1, 41)])
    broken_extract = write(landing / "registry/2026-11-03/unrecorded_residents.csv", REGISTRY_HEADER[:4],
                           [[nik(i), f"Warga {i}", "2005-08-15", "L"] for i in range(1, 41)])
    b2 = landing / "batches/2026-11-02"
    a = batch(b2 / "a_site.csv", "SITE-A", "2026-11-02", [1, 2, 3, 4, 90], bad_sex=(4,))  # 90: not in the extract
    resend = b2 / "a_site_resend.csv"
    shutil.copyfile(a, resend)  # the same delivery under another name in the same folder
    b = batch(b2 / "b_site.csv", "SITE-B", "2026-11-02", [5, 6, 7, 8, 9, 10], bad_sex=(9, 10))
    broken = b2 / "c_broken.csv"
    broken.write_bytes(a.read_bytes().replace(b"Warga 1", b"Warga \xe9"))  # Latin-1: not UTF-8
    late_copy = landing / "batches/2026-11-03/a_site.csv"
    late_copy.parent.mkdir(parents=True)
    shutil.copyfile(a, late_copy)  # the same delivery again, in a later date folder
    d = batch(landing / "batches/2026-11-03/d_site.csv", "SITE-D", "2026-11-03", [11, 12, 1])  # 1: again

    # --- run 1: 2 November ------------------------------------------------------------------
    run(coverage_dag, "2026-11-02", landing, url)
    m = manifest(url)
    assert set(m) == {"registry/2026-11-01/unrecorded_residents.csv", "batches/2026-11-02/a_site.csv",
                      "batches/2026-11-02/a_site_resend.csv", "batches/2026-11-02/b_site.csv",
                      "batches/2026-11-02/c_broken.csv"}  # later folders are not read yet
    assert m["batches/2026-11-02/a_site.csv"] == ("loaded", None, None, sha(a), 5, 1, "SITE-A")
    assert m["batches/2026-11-02/b_site.csv"] == ("loaded", None, None, sha(b), 6, 2, "SITE-B")
    status, reason, duplicate_of, digest, rows, rejected, _ = m["batches/2026-11-02/a_site_resend.csv"]
    assert (status, duplicate_of, digest, rows, rejected) == (
        "duplicate_delivery", "batches/2026-11-02/a_site.csv", sha(a), None, None)
    assert "batches/2026-11-02/a_site.csv" in reason
    status, reason, _, digest, rows, _, _ = m["batches/2026-11-02/c_broken.csv"]
    assert (status, digest, rows) == ("rejected_file", sha(broken), None) and reason.startswith("not UTF-8")
    assert fetch(url, "SELECT file_path, file_kind, reason, sha256 FROM ektp_quarantine.rejected_file") == [
        ("batches/2026-11-02/c_broken.csv", "batch", reason, sha(broken))]
    assert per_file(url, "ektp_ingest.recording") == {"batches/2026-11-02/a_site.csv": 4,
                                                      "batches/2026-11-02/b_site.csv": 4}
    assert per_file(url, "ektp_quarantine.rejected_row") == {"batches/2026-11-02/a_site.csv": 1,
                                                             "batches/2026-11-02/b_site.csv": 2}
    # copies and broken files count nowhere: two loaded files, their rows once
    assert site_daily(url, "2026-11-02") == {"SITE-A": (1, 5, 1, 0, 4, 3), "SITE-B": (1, 6, 2, 0, 4, 4)}
    assert fetch(url, "SELECT reason, rows FROM ektp_coverage.rejections_daily WHERE report_date = '2026-11-02'") \
        == [("bad_sex", 3)]

    # --- run 2: 3 November (the copy in the later folder, a broken extract) -------------------------
    run(coverage_dag, "2026-11-03", landing, url)
    m = manifest(url)
    status, reason, duplicate_of, digest, rows, _, _ = m["batches/2026-11-03/a_site.csv"]
    assert (status, duplicate_of, digest, rows) == ("duplicate_delivery", "batches/2026-11-02/a_site.csv", sha(a),
                                                    None)
    assert m["batches/2026-11-03/d_site.csv"] == ("loaded", None, None, sha(d), 3, 0, "SITE-D")
    status, reason, _, digest, _, _, _ = m["registry/2026-11-03/unrecorded_residents.csv"]
    assert (status, digest) == ("rejected_file", sha(broken_extract)) and "kelurahan_code" in reason
    # the broken extract leaves the 1 November extract in force
    assert {str(r[0]) for r in fetch(url, "SELECT DISTINCT extract_date FROM ektp_coverage.kelurahan_daily "
                                     "WHERE report_date = '2026-11-03'")} == {"2026-11-01"}
    # person 1, recorded on the 2nd, again on the 3rd: a duplicate; the copy of a_site adds nothing
    assert site_daily(url, "2026-11-03") == {"SITE-D": (1, 3, 0, 1, 2, 2)}
    assert per_file(url, "ektp_ingest.recording")["batches/2026-11-03/d_site.csv"] == 3
    assert "batches/2026-11-03/a_site.csv" not in per_file(url, "ektp_ingest.recording")
    assert fetch(url, "SELECT sum(recorded_to_date) FROM ektp_coverage.kecamatan_daily "
                 "WHERE report_date = '2026-11-03'") == [(9,)]  # matched: 1, 2, 3, 5, 6, 7, 8, 11, 12
    m_before = m

    # --- b_site.csv re-landed under the same path with other content --------------------------------
    old_sha, before = sha(b), (per_file(url, "ektp_ingest.recording"), per_file(url, "ektp_quarantine.rejected_row"))
    b = batch(b2 / "b_site.csv", "SITE-B", "2026-11-02", [5, 6, 13, 14], bad_sex=(14,))  # 7-10 gone, 13-14 new
    assert sha(b) != old_sha
    run(coverage_dag, "2026-11-03", landing, url)  # the same date again; it still reloads the changed file
    m = manifest(url)
    # nothing else changes or doubles when a date runs again
    after = (per_file(url, "ektp_ingest.recording"), per_file(url, "ektp_quarantine.rejected_row"))
    for now, then in zip(after, before, strict=True):
        assert without(now, "batches/2026-11-02/b_site.csv") == without(then, "batches/2026-11-02/b_site.csv")
    assert without(m, "batches/2026-11-02/b_site.csv") == without(m_before, "batches/2026-11-02/b_site.csv")
    assert m["batches/2026-11-02/b_site.csv"] == ("loaded", None, None, sha(b), 4, 1, "SITE-B")
    recordings = fetch(url, "SELECT row_number, nik FROM ektp_ingest.recording WHERE file_path = :p "
                       "ORDER BY row_number", p="batches/2026-11-02/b_site.csv")
    assert recordings == [(1, nik(5)), (2, nik(6)), (3, nik(13))]  # replaced, not added to the old rows
    assert fetch(url, "SELECT row_number, first_reason, raw_record FROM ektp_quarantine.rejected_row "
                 "WHERE file_path = :p", p="batches/2026-11-02/b_site.csv")[0][:2] == (4, "bad_sex")
    assert per_file(url, "ektp_quarantine.rejected_row")["batches/2026-11-02/b_site.csv"] == 1
    # 2 November is republished from the new content
    assert site_daily(url, "2026-11-02") == {"SITE-A": (1, 5, 1, 0, 4, 3), "SITE-B": (1, 4, 1, 0, 3, 3)}
    assert fetch(url, "SELECT reason, rows FROM ektp_coverage.rejections_daily WHERE report_date = '2026-11-02'") \
        == [("bad_sex", 2)]

    # --- a copy with a smaller path lands later: it becomes the delivery -----------------------------
    early = landing / "batches/2026-11-02/d_site.csv"
    shutil.copyfile(d, early)
    run(coverage_dag, "2026-11-03", landing, url)
    m = manifest(url)
    assert m["batches/2026-11-02/d_site.csv"][:2] == ("loaded", None)
    status, reason, duplicate_of, digest, rows, _, _ = m["batches/2026-11-03/d_site.csv"]
    assert (status, duplicate_of, digest, rows) == ("duplicate_delivery", "batches/2026-11-02/d_site.csv", sha(d),
                                                    None)
    assert "batches/2026-11-03/d_site.csv" not in per_file(url, "ektp_ingest.recording")
    # its rows now belong to the 2nd, where their recorded_at (the 3rd) is the wrong day
    assert fetch(url, "SELECT DISTINCT first_reason FROM ektp_quarantine.rejected_row WHERE file_path = :p",
                 p="batches/2026-11-02/d_site.csv") == [("bad_recorded_at",)]
    assert site_daily(url, "2026-11-03") == {}
    assert site_daily(url, "2026-11-02")["SITE-D"] == (1, 3, 3, 0, 0, 0)
