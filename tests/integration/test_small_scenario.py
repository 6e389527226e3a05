"""A hand-built landing area with every published value computed by hand (contract §2.3, §3, §4).

Twelve targets in three kelurahan of two kecamatan, a second extract, four recording dates (the first
before any extract), and a batch file that lands late with earlier recorded_at values. The expected
rows below are written out literally, worked out on paper from the files: they are never computed by
the code under test. Every column of the four published tables is checked, on both warehouses, plus
the duplicate and reconciliation status of every valid row. Then: coverage_pct rounding half up
(kelurahan and kecamatan), and code-point order of paths and site names on a non-C PostgreSQL locale.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import fetch, run_dag_test

pytestmark = pytest.mark.slow

BATCH_HEADER = ["batch_id", "site_code", "site_name", "operator_id", "recorded_at", "nik", "full_name",
                "birth_date", "sex", "kelurahan_code"]
EXTRACT_HEADER = ["nik", "full_name", "birth_date", "sex", "kelurahan_code"]

TT, TB, SB = "31.74.01.1001", "31.74.01.1002", "31.74.02.1001"  # Tebet Timur, Tebet Barat (Tebet); Setia Budi

# NIK = 317401 (Tebet) + DDMMYY (day + 40 for women) + serial. R12 and R14 live in Setiabudi although
# their NIK was issued in Tebet: the kelurahan always comes from the extract.
R = {
    "R1": ("3174010103090001", "Andi Saputra", "2009-03-01", "L"),
    "R2": ("3174010203090002", "Budi Santoso", "2009-03-02", "L"),
    "R3": ("3174014303090003", "Citra Lestari", "2009-03-03", "P"),
    "R4": ("3174014403090004", "Dewi Anggraini", "2009-03-04", "P"),
    "R5": ("3174010503090005", "Eko Prasetyo", "2009-03-05", "L"),
    "R6": ("3174010603090006", "Fajar Nugroho", "2009-03-06", "L"),
    "R7": ("3174014703090007", "Gita Permata", "2009-03-07", "P"),
    "R8": ("3174010803090008", "Hadi Wijaya", "2009-03-08", "L"),
    "R9": ("3174010903090009", "Irfan Hakim", "2009-03-09", "L"),
    "R10": ("3174015003090010", "Joko Susilo", "2009-03-10", "P"),
    "R11": ("3174011103090011", "Kurnia Putra", "2009-03-11", "L"),
    "R12": ("3174015203090012", "Lina Marlina", "2009-03-12", "P"),
    "R13": ("3174011303090013", "Made Wirawan", "2009-03-13", "L"),  # twice in extract 1: not a target
    "R14": ("3174011503090015", "Nanda Pratama", "2009-03-15", "L"),  # new in extract 2
    "R15": ("3174011603090016", "Oki Setiawan", "2009-03-16", "L"),
    "R16": ("3174011703090017", "Putra Ramadhan", "2009-03-17", "L"),
    "R17": ("3174011803090018", "Rudi Hartono", "2009-03-18", "L"),
    "R18": ("3174011903090019", "Sari Indah", "2009-03-19", "L"),
    "R19": ("3174012003090020", "Taufik Hidayat", "2009-03-20", "L"),
    "R20": ("3174012103090021", "Umar Bakri", "2009-03-21", "L"),
    "R21": ("3174012203090022", "Vina Melati", "2009-03-22", "L"),
    "RX": ("3174012303090023", "Wawan Kurniawan", "2009-03-23", "L"),  # in no extract
    "RY": ("3174012403090024", "Yusuf Maulana", "2009-03-24", "L"),  # in no extract
}

D0, D1, D2, D3 = "2027-02-01", "2027-02-02", "2027-02-03", "2027-02-04"
FILE_D0 = f"batches/{D0}/RW01-TEBET_dev1.csv"
FILE_A = f"batches/{D1}/SMAN-8_dev1.csv"
FILE_B = f"batches/{D1}/SMAN-8_dev2.csv"
FILE_C = f"batches/{D1}/SMAN-8_dev3.csv"  # lands late
FILE_D = f"batches/{D2}/NOSITE_dev1.csv"
FILE_E = f"batches/{D2}/RW02-SETIABUDI_dev1.csv"
FILE_F = f"batches/{D3}/RW02-SETIABUDI_dev1.csv"


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _resident(key: str, kelurahan: str) -> list[str]:
    nik, name, birth, sex = R[key]
    return [nik, name, birth, sex, kelurahan]


def _rec(day: str, time: str, key: str, site: str, site_name: str, *, nik: str | None = None,
         birth: str | None = None, sex: str | None = None) -> list[str]:
    r_nik, name, r_birth, r_sex = R[key]
    return ["B-" + site, site, site_name, "OP-1", f"{day}T{time}:00+07:00", nik or r_nik, name, birth or r_birth,
            sex or r_sex, ""]


def build_landing(root: Path, *, late_file: bool) -> None:
    # Extract 1 (in force on 02-02): R1-R12 are targets; R13 twice (duplicate_nik, both rejected);
    # one row with a kelurahan code that does not exist (bad_kelurahan).
    _write(root / f"registry/{D1}/unrecorded_residents.csv", EXTRACT_HEADER, [
        *(_resident(f"R{i}", TT) for i in range(1, 9)),
        *(_resident(f"R{i}", TB) for i in (9, 10, 11)),
        _resident("R12", SB),
        _resident("R13", TT), _resident("R13", TB),
        ["3174011403090014", "Zaki Ahmad", "2009-03-14", "L", "31.74.01.9999"],
    ])
    # Extract 2 (in force from 02-03): what SIAK still lists as unrecorded, plus new residents.
    _write(root / f"registry/{D2}/unrecorded_residents.csv", EXTRACT_HEADER, [
        *(_resident(k, TT) for k in ("R6", "R7", "R15", "R16", "R17", "R18", "R19", "R20")),
        *(_resident(k, TB) for k in ("R10", "R11", "R21")),
        _resident("R12", SB), _resident("R14", SB),
    ])
    rw01, rw01_name = "RW01-TEBET", "Balai RW 01 Tebet Timur"
    _write(root / FILE_D0, BATCH_HEADER, [  # before any extract: no_extract
        _rec(D0, "10:00", "R1", rw01, rw01_name),
        _rec(D0, "10:05", "RX", rw01, rw01_name),
    ])
    s8, s8_name = "SMAN-8-JAKARTA", "SMA Negeri 8 Jakarta"
    malformed = ["B-X", "A-CODE", "A-MALFORMED", "OP-1", f"{D1}T09:26:00+07:00", R["R6"][0], "Fajar", "Nugroho",
                 R["R6"][2], "L", ""]  # an unquoted comma in the name: 11 fields
    _write(root / FILE_A, BATCH_HEADER, [
        _rec(D1, "09:00", "R2", s8, s8_name),
        _rec(D1, "09:05", "R3", s8, s8_name),
        _rec(D1, "09:30", "R2", s8, s8_name),
        _rec(D1, "09:10", "R9", s8, s8_name),
        _rec(D1, "09:15", "R10", s8, s8_name, sex="L"),  # extract says P
        _rec(D1, "09:20", "RY", s8, s8_name),
        _rec(D1, "09:25", "R4", s8, s8_name, sex="X"),
        malformed,
        _rec(D1, "10:00", "R1", s8, s8_name),
        _rec(D1, "10:05", "R13", s8, s8_name),
        # a smaller site_code, but the less common one; sex in lower case is valid
        _rec(D1, "10:10", "R5", "SMAN-08-JAKARTA", "SMA 8", sex="l"),
    ])
    s26, s26_name = "SMAN-26-JAKARTA", "SMA Negeri 26 Jakarta"
    _write(root / FILE_B, BATCH_HEADER, [  # two rows each of two site codes: the smaller wins
        _rec(D1, "10:00", "R4", s8, s8_name),
        _rec(D1, "10:05", "R8", s26, s26_name),
        _rec(D1, "10:10", "R11", s8, s8_name),
        _rec(D1, "10:15", "R1", s26, s26_name, nik="3174010103090000"),  # serial 0000
    ])
    if late_file:
        _write(root / FILE_C, BATCH_HEADER, [  # lands after 02-02 was published, recorded earlier
            _rec(D1, "08:00", "R3", s8, s8_name),
            _rec(D1, "08:30", "R2", s8, s8_name),
        ])
    _write(root / FILE_D, BATCH_HEADER, [  # no usable site_code at all: the empty site
        _rec(D2, "11:00", "R16", "", "Balai RW 03 Setiabudi"),
        _rec(D2, "11:05", "R17", "  ", "Balai RW 03"),
    ])
    rw02, rw02_name = "RW02-SETIABUDI", "Balai RW 02 Setiabudi"
    _write(root / FILE_E, BATCH_HEADER, [
        _rec(D2, "09:00", "R6", rw02, rw02_name),
        _rec(D2, "09:05", "R21", rw02, rw02_name),
        _rec(D2, "09:10", "R12", rw02, rw02_name),
        _rec(D2, "09:15", "R14", rw02, rw02_name),
        _rec(D2, "09:20", "R7", rw02, rw02_name, birth="2009-03-17"),  # extract says 03-07
        _rec(D2, "09:25", "R2", rw02, rw02_name),
        _rec(D2, "09:30", "R11", rw02, rw02_name),
        _rec(D2, "09:35", "R15", rw02, rw02_name, nik="317401160309001"),  # 15 digits
        _rec(D2, "09:40", "RY", rw02, rw02_name),
    ])
    _write(root / FILE_F, BATCH_HEADER, [
        _rec(D3, "09:00", "R15", rw02, rw02_name),
        _rec(D3, "09:05", "R10", rw02, rw02_name),  # now with the right sex, but R10 was recorded on 02-02
    ])


# --- expected rows, by hand ------------------------------------------------------------------------
# kelurahan_daily: report_date, extract_date, kecamatan_code, kecamatan_name, kelurahan_code, kelurahan_name,
#                  target_residents, recorded_on_date, recorded_to_date, remaining, coverage_pct
KELURAHAN = [
    # 02-01: no extract in force, no rows.
    # 02-02, extract 1: Tebet Timur R2 R3 R4 R5 R8 of R1-R8; Tebet Barat R9 R11 of R9-R11; Setia Budi none of R12.
    (D1, D1, "31.74.01", "Tebet", TT, "Tebet Timur", 8, 5, 5, 3, "62.50"),
    (D1, D1, "31.74.01", "Tebet", TB, "Tebet Barat", 3, 2, 2, 1, "66.67"),
    (D1, D1, "31.74.02", "Setiabudi", SB, "Setia Budi", 1, 0, 0, 1, "0.00"),
    # 02-03, extract 2: R6 (of 8), R21 (of 3; R11's row is already_recorded), R12 and R14 (of 2).
    (D2, D2, "31.74.01", "Tebet", TT, "Tebet Timur", 8, 1, 1, 7, "12.50"),
    (D2, D2, "31.74.01", "Tebet", TB, "Tebet Barat", 3, 1, 1, 2, "33.33"),
    (D2, D2, "31.74.02", "Setiabudi", SB, "Setia Budi", 2, 2, 2, 0, "100.00"),
    # 02-04, extract 2 still: R15 on the day, R6 before it.
    (D3, D2, "31.74.01", "Tebet", TT, "Tebet Timur", 8, 1, 2, 6, "25.00"),
    (D3, D2, "31.74.01", "Tebet", TB, "Tebet Barat", 3, 0, 1, 2, "33.33"),
    (D3, D2, "31.74.02", "Setiabudi", SB, "Setia Budi", 2, 0, 2, 0, "100.00"),
]
KECAMATAN = [
    (D1, D1, "31.74.01", "Tebet", 11, 7, 7, 4, "63.64"),  # 7/11 = 63.636..
    (D1, D1, "31.74.02", "Setiabudi", 1, 0, 0, 1, "0.00"),
    (D2, D2, "31.74.01", "Tebet", 11, 2, 2, 9, "18.18"),  # 2/11 = 18.181..
    (D2, D2, "31.74.02", "Setiabudi", 2, 2, 2, 0, "100.00"),
    (D3, D2, "31.74.01", "Tebet", 11, 1, 3, 8, "27.27"),  # 3/11 = 27.272..
    (D3, D2, "31.74.02", "Setiabudi", 2, 0, 2, 0, "100.00"),
]
# site_daily: report_date, site_code, site_name, batch_files, rows_received, rows_rejected, rows_duplicate,
#             rows_accepted, matched, identity_mismatch, not_in_extract
SITE = [
    (D0, "RW01-TEBET", "Balai RW 01 Tebet Timur", 1, 2, 0, 0, 2, 0, 0, 0),  # both no_extract
    # files A and C. A: 11 rows, 2 rejected (bad_sex, malformed_row), 4 duplicates (R2 twice and R3: file C
    # recorded them earlier; R1: recorded on 02-01), 5 accepted: R9 R5 matched, R10 mismatch, RY R13 not in
    # extract. C: R3 and R2 matched. "SMA 8" is the smallest site_name (code point order: '8' < 'N').
    (D1, "SMAN-26-JAKARTA", "SMA Negeri 26 Jakarta", 1, 4, 1, 0, 3, 3, 0, 0),  # file B: the tie
    (D1, "SMAN-8-JAKARTA", "SMA 8", 2, 13, 2, 4, 7, 4, 1, 2),
    (D2, "", "Balai RW 03", 1, 2, 2, 0, 0, 0, 0, 0),
    (D2, "RW02-SETIABUDI", "Balai RW 02 Setiabudi", 1, 9, 1, 3, 5, 4, 1, 0),
    (D3, "RW02-SETIABUDI", "Balai RW 02 Setiabudi", 1, 2, 0, 1, 1, 1, 0, 0),
]
# before file C landed: file A alone, with R2 (its row 3 a duplicate_in_batch) and R3 accepted
SITE_D1_BEFORE_LATE_FILE = [
    (D1, "SMAN-26-JAKARTA", "SMA Negeri 26 Jakarta", 1, 4, 1, 0, 3, 3, 0, 0),
    (D1, "SMAN-8-JAKARTA", "SMA 8", 1, 11, 2, 2, 7, 4, 1, 2),
]
REJECTIONS = [
    (D1, "bad_sex", 1), (D1, "malformed_row", 1), (D1, "nik_serial", 1),
    (D2, "missing_value", 2), (D2, "nik_format", 1),
]
# ektp_ingest.recording: file, row, duplicate_status, reconciliation_status (NULL for duplicates)
RECORDING = [
    (FILE_D0, 1, "accepted", "no_extract"), (FILE_D0, 2, "accepted", "no_extract"),
    (FILE_A, 1, "already_recorded", None), (FILE_A, 2, "already_recorded", None),
    (FILE_A, 3, "already_recorded", None),  # shares its file with R2's row 1, but the accepted one is in C
    (FILE_A, 4, "accepted", "matched"), (FILE_A, 5, "accepted", "identity_mismatch"),
    (FILE_A, 6, "accepted", "not_in_extract"), (FILE_A, 9, "already_recorded", None),
    (FILE_A, 10, "accepted", "not_in_extract"), (FILE_A, 11, "accepted", "matched"),
    (FILE_B, 1, "accepted", "matched"), (FILE_B, 2, "accepted", "matched"), (FILE_B, 3, "accepted", "matched"),
    (FILE_C, 1, "accepted", "matched"), (FILE_C, 2, "accepted", "matched"),
    (FILE_E, 1, "accepted", "matched"), (FILE_E, 2, "accepted", "matched"), (FILE_E, 3, "accepted", "matched"),
    (FILE_E, 4, "accepted", "matched"), (FILE_E, 5, "accepted", "identity_mismatch"),
    (FILE_E, 6, "already_recorded", None), (FILE_E, 7, "already_recorded", None),
    (FILE_E, 9, "already_recorded", None),
    (FILE_F, 1, "accepted", "matched"), (FILE_F, 2, "already_recorded", None),
]
RECORDING_A_BEFORE_LATE_FILE = [
    (FILE_A, 1, "accepted", "matched"), (FILE_A, 2, "accepted", "matched"), (FILE_A, 3, "duplicate_in_batch", None),
]

KEL_COLUMNS = ("report_date, extract_date, kecamatan_code, kecamatan_name, kelurahan_code, kelurahan_name, "
               "target_residents, recorded_on_date, recorded_to_date, remaining, coverage_pct")
KEC_COLUMNS = ("report_date, extract_date, kecamatan_code, kecamatan_name, target_residents, recorded_on_date, "
               "recorded_to_date, remaining, coverage_pct")
SITE_COLUMNS = ("report_date, site_code, site_name, batch_files, rows_received, rows_rejected, rows_duplicate, "
                "rows_accepted, matched, identity_mismatch, not_in_extract")


def _plain(value):
    """Warehouse values as the literals above: ISO dates, and 2-decimal text for NUMERIC(6,2)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | Decimal):
        return f"{Decimal(str(value)):.2f}"
    return value


def published(url: str, table: str, columns: str, order: str, where: str = "") -> list[tuple]:
    rows = fetch(url, f"SELECT {columns} FROM ektp_coverage.{table} {where} ORDER BY {order}")
    out = []
    for row in rows:
        plain = tuple(_plain(v) for v in row)
        if "kelurahan" in table or "kecamatan" in table:  # SQLite keeps 100.00 as the integer 100
            plain = plain[:-1] + (f"{Decimal(str(row[-1])):.2f}",)
        out.append(plain)
    return out


def recording_statuses(url: str, paths: list[str] | None = None) -> list[tuple]:
    rows = fetch(url, "SELECT file_path, row_number, duplicate_status, reconciliation_status "
                 "FROM ektp_ingest.recording")
    return sorted(r for r in rows if paths is None or r[0] in paths)  # code-point order, whatever the locale


@pytest.fixture
def quiet_runs(monkeypatch, tmp_path):
    """Reports and Data Docs are other issues' outputs: off, and anything else written stays in tmp_path."""
    monkeypatch.setenv("EKTP_REPORTS", "off")
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")
    monkeypatch.setenv("EKTP_VAR_DIR", str(tmp_path / "var"))


def _run(dag, day: str, landing: Path, url: str) -> None:
    run = run_dag_test(dag, day, landing, url)
    assert run.state == "success", day


def test_small_scenario_every_column_by_hand(coverage_dag, quiet_runs, warehouse_url, tmp_path):
    landing = tmp_path / "landing"
    build_landing(landing, late_file=False)
    # scrambled order; 02-03 first, alone in a new warehouse
    for day in (D2, D0, D3, D1):
        _run(coverage_dag, day, landing, warehouse_url)

    assert published(warehouse_url, "site_daily", SITE_COLUMNS, "report_date, site_code",
                     f"WHERE report_date = '{D1}'") == SITE_D1_BEFORE_LATE_FILE
    assert recording_statuses(warehouse_url, [FILE_A])[:3] == RECORDING_A_BEFORE_LATE_FILE

    # File C lands in 02-02's folder after 02-02 was published, with earlier recorded_at values for R3
    # and R2: it takes their acceptance over. A run for 02-01 picks it up (every published date's inputs
    # are loaded) and republishes 02-02 and every later published date.
    build_landing(landing, late_file=True)
    _run(coverage_dag, D0, landing, warehouse_url)

    assert [str(d) for (d,) in fetch(warehouse_url, "SELECT report_date FROM ektp_ingest.published_report "
                                     "ORDER BY report_date")] == [D0, D1, D2, D3]
    assert published(warehouse_url, "kelurahan_daily", KEL_COLUMNS, "report_date, kelurahan_code") == KELURAHAN
    assert published(warehouse_url, "kecamatan_daily", KEC_COLUMNS, "report_date, kecamatan_code") == KECAMATAN
    assert published(warehouse_url, "site_daily", SITE_COLUMNS, "report_date, site_code") == SITE
    assert published(warehouse_url, "rejections_daily", "report_date, reason, rows", "report_date, reason") \
        == REJECTIONS
    assert recording_statuses(warehouse_url) == sorted(RECORDING)
    # the analysts' views show the latest published date
    assert published(warehouse_url, "latest_kecamatan", KEC_COLUMNS, "kecamatan_code") == KECAMATAN[-2:]
    assert published(warehouse_url, "latest_kelurahan", KEL_COLUMNS, "kelurahan_code") == KELURAHAN[-3:]
    assert published(warehouse_url, "latest_site", SITE_COLUMNS, "site_code") == SITE[-1:]
    # the extract's rejected rows (R13 twice, a bad kelurahan) are not targets and not recordings
    assert fetch(warehouse_url, "SELECT extract_date, target_residents FROM ektp_ingest.registry_extract "
                 "ORDER BY extract_date") in ([(D1, 12), (D2, 13)], [(date(2027, 2, 2), 12), (date(2027, 2, 3), 13)])


# --- coverage_pct rounding ---------------------------------------------------------------------------

ROUNDING_DAY = "2027-04-01"
# kelurahan: (code, targets, recorded). 1/16 = 6.25, 1/32 = 3.125 -> 3.13, 5/32 = 15.625 -> 15.63 (half-even
# would give 3.12 and 15.62), 1/80 = 1.25, 1/400 = 0.25, 1/3 = 33.33, 2/3 = 66.67, 1/8 = 12.50, 0/29.
ROUNDING_AREAS = [
    ("31.74.01.1001", 16, 1), ("31.74.01.1002", 32, 1), ("31.74.01.1003", 32, 5), ("31.74.01.1004", 80, 1),
    ("31.74.01.1005", 400, 1), ("31.74.02.1001", 3, 1), ("31.74.02.1002", 3, 2), ("31.74.03.1001", 8, 1),
    ("31.74.04.1001", 3, 1), ("31.74.04.1002", 29, 0),
]
ROUNDING_KELURAHAN = [
    ("31.74.01", "Tebet", "31.74.01.1001", "Tebet Timur", 16, 1, 1, 15, "6.25"),
    ("31.74.01", "Tebet", "31.74.01.1002", "Tebet Barat", 32, 1, 1, 31, "3.13"),
    ("31.74.01", "Tebet", "31.74.01.1003", "Menteng Dalam", 32, 5, 5, 27, "15.63"),
    ("31.74.01", "Tebet", "31.74.01.1004", "Kebon Baru", 80, 1, 1, 79, "1.25"),
    ("31.74.01", "Tebet", "31.74.01.1005", "Bukit Duri", 400, 1, 1, 399, "0.25"),
    ("31.74.02", "Setiabudi", "31.74.02.1001", "Setia Budi", 3, 1, 1, 2, "33.33"),
    ("31.74.02", "Setiabudi", "31.74.02.1002", "Karet Semanggi", 3, 2, 2, 1, "66.67"),
    ("31.74.03", "Mampang Prapatan", "31.74.03.1001", "Mampang Prapatan", 8, 1, 1, 7, "12.50"),
    ("31.74.04", "Pasar Minggu", "31.74.04.1001", "Pasar Minggu", 3, 1, 1, 2, "33.33"),
    ("31.74.04", "Pasar Minggu", "31.74.04.1002", "Jati Padang", 29, 0, 0, 29, "0.00"),
]
ROUNDING_KECAMATAN = [
    ("31.74.01", "Tebet", 560, 9, 9, 551, "1.61"),  # 9/560 = 1.607..
    ("31.74.02", "Setiabudi", 6, 3, 3, 3, "50.00"),  # 3/6: exactly 50, no rounding up to 50.01
    ("31.74.03", "Mampang Prapatan", 8, 1, 1, 7, "12.50"),
    ("31.74.04", "Pasar Minggu", 32, 1, 1, 31, "3.13"),  # 1/32 = 3.125 -> 3.13
]


def test_coverage_pct_rounds_half_up(coverage_dag, quiet_runs, warehouse_url, tmp_path):
    landing = tmp_path / "landing"
    residents, recordings = [], []
    born = date(1990, 1, 1)
    for code, targets, recorded in ROUNDING_AREAS:  # distinct birth dates make distinct NIKs
        for i in range(targets):
            born += timedelta(days=1)
            female = len(residents) % 2 == 1
            ddmmyy = f"{born.day + (40 if female else 0):02d}{born.month:02d}{born.year % 100:02d}"
            nik = f"317401{ddmmyy}{len(residents) % 9000 + 1:04d}"
            row = [nik, f"Warga {len(residents)}", born.isoformat(), "P" if female else "L", code]
            residents.append(row)
            if i < recorded:
                recordings.append(["B-1", "RW01", "Balai RW 01", "OP-1",
                                   f"{ROUNDING_DAY}T08:{len(recordings):02d}:00+07:00", *row])
    _write(landing / f"registry/{ROUNDING_DAY}/unrecorded_residents.csv", EXTRACT_HEADER, residents)
    _write(landing / f"batches/{ROUNDING_DAY}/RW01_dev1.csv", BATCH_HEADER, recordings)

    _run(coverage_dag, ROUNDING_DAY, landing, warehouse_url)

    where = f"WHERE report_date = '{ROUNDING_DAY}' AND extract_date = '{ROUNDING_DAY}'"
    assert published(warehouse_url, "kelurahan_daily", KEL_COLUMNS.split(", ", 2)[2], "kelurahan_code",
                     where) == ROUNDING_KELURAHAN
    assert published(warehouse_url, "kecamatan_daily", KEC_COLUMNS.split(", ", 2)[2], "kecamatan_code",
                     where) == ROUNDING_KECAMATAN


# --- code-point order on a PostgreSQL database whose locale sorts otherwise ---------------------------------

ICU_DAY = "2027-08-01"


@pytest.fixture
def icu_pg_url():
    """A new PostgreSQL database whose default collation is ICU en-US ('a' < 'B', unlike code points)."""
    from tests.integration.pg import new_pg_database

    with new_pg_database(prefix="ektp_icu", options="TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' "
                                                    "LOCALE 'C.UTF-8'") as url:
        yield url


def test_paths_and_site_names_sort_by_code_point_whatever_the_locale(coverage_dag, quiet_runs, icu_pg_url, tmp_path):
    """Two files record R1 at the same instant: the smaller relative path wins, in code-point order
    ('B.csv' < 'a.csv'), as for duplicate deliveries; and 'Balai' < 'balai' for the site name."""
    assert fetch(icu_pg_url, "SELECT min(x) FROM (VALUES ('a'), ('B')) AS v(x)") == [("a",)]  # the locale's order
    landing = tmp_path / "landing"
    _write(landing / f"registry/{ICU_DAY}/unrecorded_residents.csv", EXTRACT_HEADER,
           [_resident("R1", TT), _resident("R2", TT)])
    _write(landing / f"batches/{ICU_DAY}/a.csv", BATCH_HEADER, [_rec(ICU_DAY, "09:00", "R1", "RW01", "Balai RW 01")])
    _write(landing / f"batches/{ICU_DAY}/B.csv", BATCH_HEADER, [_rec(ICU_DAY, "09:00", "R1", "RW01", "balai rw 01")])

    _run(coverage_dag, ICU_DAY, landing, icu_pg_url)

    assert recording_statuses(icu_pg_url) == [
        (f"batches/{ICU_DAY}/B.csv", 1, "accepted", "matched"),
        (f"batches/{ICU_DAY}/a.csv", 1, "already_recorded", None),
    ]
    assert published(icu_pg_url, "site_daily", SITE_COLUMNS, "site_code") == [
        (ICU_DAY, "RW01", "Balai RW 01", 2, 2, 0, 1, 1, 1, 0, 0),
    ]
