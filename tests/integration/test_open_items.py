"""The field teams' lists over three real runs, on both warehouses: the daily site list and the open items.

Day 1: a school's device uploads a file with a row rejected for its sex, an identity that differs from SIAK, a
NIK with two digits swapped (a resident of the extract is suggested) and a stranger (no suggestion); a second
device's file lacks the sex column (rejected whole: to send again). Day 2: the resident whose NIK was mistyped
is recorded again, correctly. Day 3: the team corrects both day-1 files and uploads them at the same paths;
day 3 has a new rejected row. Every status below was worked out by hand from the files.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.conftest import fetch
from tests.integration.pipeline_runner import run_date

pytestmark = pytest.mark.slow

HEADER = ["batch_id", "site_code", "site_name", "operator_id", "recorded_at", "nik", "full_name", "birth_date", "sex",
          "kelurahan_code"]
TT = "31.74.01.1001"  # Tebet Timur, kecamatan Tebet
D1, D2, D3 = "2026-11-02", "2026-11-03", "2026-11-04"
NAMES = ["Andi Saputra", "Budi Santoso", "Citra Lestari", "Dewi Anggraini", "Eko Prasetyo", "Fajar Nugroho",
         "Gita Permata", "Hadi Wijaya"]
STRANGER = ["3174011507080099", "Zaki Zulkarnain", "2008-07-15", "L"]
DEV1, DEV2 = f"batches/{D1}/SMA-1_dev1.csv", f"batches/{D1}/SMA-1_dev2.csv"


def nik(i: int) -> str:
    return f"317401010309{i:04d}"  # born 01-03-2009, male


def row(day: str, minute: int, nik_: str, name: str, birth: str = "2009-03-01", sex: str = "L") -> list[str]:
    return ["B-7", "SMA-1", "SMA Negeri 1", "OP-3", f"{day}T09:{minute:02d}:00+07:00", nik_, name, birth, sex, TT]


def land(landing: Path, rel: str, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    (landing / rel).parent.mkdir(parents=True, exist_ok=True)
    (landing / rel).write_text(buffer.getvalue(), encoding="utf-8")


def day1_rows(corrected: bool) -> list[list[str]]:
    return [row(D1, 1, nik(1), NAMES[0]),
            row(D1, 2, nik(2), NAMES[1], sex="L" if corrected else "X"),              # line 3: bad_sex
            row(D1, 3, "3174010103090030", NAMES[2]),                                 # line 4: NIK 0003 mistyped
            row(D1, 4, nik(4), NAMES[3], sex="L" if corrected else "P"),              # line 5: differs from SIAK
            row(D1, 5, *STRANGER)]                                                    # line 6: nobody in SIAK


def read_list(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def statuses(report_dir: Path) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(date, what to do, NIK or file) -> (status, how it was fixed) of the site's open-items list."""
    out = {}
    for r in read_list(report_dir / "followup" / "open_items" / "SMA-1.csv"):
        out[(r["Tanggal rekam"], r["Yang harus dilakukan"], r["NIK yang direkam"] or r["Berkas"])] = (
            r["Status"], r["Cara selesai"].split(" (")[0])
    return out


@pytest.fixture
def env(monkeypatch, tmp_path, warehouse_url):
    landing = tmp_path / "landing"
    for name, value in {"EKTP_LANDING_DIR": str(landing), "AIRFLOW_CONN_EKTP_WAREHOUSE": warehouse_url,
                        "EKTP_VAR_DIR": str(tmp_path / "var"), "EKTP_REPORT_DIR": str(tmp_path / "reports"),
                        "EKTP_DATA_DOCS": "off", "EKTP_LANGUAGE": "id"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EKTP_REPORTS", raising=False)
    land(landing, f"registry/{D1}/unrecorded_residents.csv", ["nik", "full_name", "birth_date", "sex",
                                                              "kelurahan_code"],
         [[nik(i + 1), name, "2009-03-01", "L", TT] for i, name in enumerate(NAMES)])
    return landing, warehouse_url, tmp_path / "reports"


def test_open_items_across_three_dates_with_a_corrected_re_upload(env):
    landing, url, reports = env
    land(landing, DEV1, HEADER, day1_rows(corrected=False))
    land(landing, DEV2, [c for c in HEADER if c != "sex"], [row(D1, 9, nik(5), NAMES[4])[:8] + [TT]])
    out = run_date(D1, reports=True)["reports"]
    assert out["open_items"] == 5 and out["fixed_items"] == 0

    # the day's list: Indonesian headers, where each row is, what to do, names beside codes
    daily = {(r["Yang harus dilakukan"], r["NIK yang direkam"]): r
             for r in read_list(reports / "followup" / D1 / "SMA-1.csv")}
    assert set(daily) == {("Kirim ulang berkas", ""), ("Perbaiki baris", nik(2)), ("Periksa identitas", nik(4)),
                          ("Periksa NIK", "3174010103090030"), ("Periksa NIK", STRANGER[0])}
    resend = daily[("Kirim ulang berkas", "")]
    assert (resend["Berkas"], resend["Kode alasan"], resend["Baris di berkas"]) == (DEV2, "missing_column", "")
    assert resend["Cara memperbaiki"].endswith(
        f"di lokasi yang sama, dengan nama yang sama: {DEV2}")
    for (what, who), line in {("Perbaiki baris", nik(2)): "3", ("Periksa NIK", "3174010103090030"): "4",
                              ("Periksa identitas", nik(4)): "5", ("Periksa NIK", STRANGER[0]): "6"}.items():
        r = daily[(what, who)]
        assert (r["Berkas"], r["Batch"], r["Baris di berkas"]) == (DEV1, "B-7", line), what
        assert (r["Kode kelurahan"], r["Kelurahan"], r["Kode kecamatan"], r["Kecamatan"]) == (
            TT, "Tebet Timur", "31.74.01", "Tebet"), what
    assert daily[("Perbaiki baris", nik(2))]["Kode alasan"] == "bad_sex"
    assert "L (laki-laki) atau P (perempuan)" in daily[("Perbaiki baris", nik(2))]["Cara memperbaiki"]
    mismatch = daily[("Periksa identitas", nik(4))]
    assert (mismatch["Jenis kelamin"], mismatch["Jenis kelamin di SIAK"], mismatch["Nama di SIAK"]) == (
        "P", "L", NAMES[3])
    typo = daily[("Periksa NIK", "3174010103090030")]
    assert (typo["NIK yang disarankan"], typo["Skor kecocokan"]) == (nik(3), "100,0")
    assert typo["Warga yang disarankan"].startswith(f"{nik(3)} {NAMES[2]}, 2009-03-01, L, Tebet Timur")
    assert daily[("Periksa NIK", STRANGER[0])]["Warga yang disarankan"] == "tidak ada kecocokan: minta KTP/KK"

    open_ = ("terbuka", "")
    assert statuses(reports) == {(D1, "Kirim ulang berkas", DEV2): open_, (D1, "Perbaiki baris", nik(2)): open_,
                                 (D1, "Periksa identitas", nik(4)): open_,
                                 (D1, "Periksa NIK", "3174010103090030"): open_,
                                 (D1, "Periksa NIK", STRANGER[0]): open_}

    # day 2: the mistyped resident is recorded again, with the right NIK: that item is fixed
    land(landing, f"batches/{D2}/SMA-1_dev1.csv", HEADER, [row(D2, 1, nik(3), NAMES[2])])
    run_date(D2, reports=True)
    matched = ("selesai", "warga ini sudah direkam ulang dan cocok dengan SIAK")
    assert statuses(reports) == {(D1, "Kirim ulang berkas", DEV2): open_, (D1, "Perbaiki baris", nik(2)): open_,
                                 (D1, "Periksa identitas", nik(4)): open_,
                                 (D1, "Periksa NIK", "3174010103090030"): matched,
                                 (D1, "Periksa NIK", STRANGER[0]): open_}

    # day 3: both day-1 files corrected and uploaded at the same paths; a new mistake on day 3
    land(landing, DEV1, HEADER, day1_rows(corrected=True))
    land(landing, DEV2, HEADER, [row(D1, 9, nik(5), NAMES[4])])
    land(landing, f"batches/{D3}/SMA-1_dev1.csv", HEADER, [row(D3, 1, nik(6), NAMES[5], birth="2009-02-30")])
    out = run_date(D3, reports=True)["reports"]
    corrected = ("selesai", "berkas sudah diperbaiki dan dimuat ulang")
    assert statuses(reports) == {(D1, "Kirim ulang berkas", DEV2): corrected,
                                 (D1, "Perbaiki baris", nik(2)): corrected,
                                 (D1, "Periksa identitas", nik(4)): corrected,
                                 (D1, "Periksa NIK", "3174010103090030"): matched,
                                 (D1, "Periksa NIK", STRANGER[0]): open_,
                                 (D3, "Perbaiki baris", nik(6)): open_}
    assert (out["open_items"], out["fixed_items"]) == (2, 4)
    rows = read_list(reports / "followup" / "open_items" / "SMA-1.csv")
    assert [r["Status"] for r in rows] == ["terbuka"] * 2 + ["selesai"] * 4  # open ones first
    # the corrected files were loaded: day 1 now has no file to send again
    assert fetch(url, "SELECT outcome FROM ektp_coverage.files_daily WHERE file_path = :p", p=DEV2) == [("loaded",)]
