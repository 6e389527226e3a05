"""Every rejection reason and warning of contract §2.2 and §2.4, on hand-written rows.

Batch rows: each case is one row of a real CSV file, validated by the Great Expectations suite
(through ``prepare_batch`` + ``run_suite``, one suite run for the whole table) and checked for its
first reason, all its reasons in contract order, and its warnings. The same file is then loaded
through ``ektp.ingest.batches.load_batch_files`` into both warehouses and read back from
``ektp_quarantine.rejected_row`` and ``ektp_ingest.recording``.

Registry extracts, malformed rows and file-level rejections are loaded the same way, from real
files in ``tmp_path``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ektp.ingest.batches import load_batch_files
from ektp.ingest.landing import BATCH, REGISTRY, LandedFile, fingerprint
from ektp.ingest.registry import load_registry_file
from ektp.ingest.validation import BATCH_COLUMNS, REGISTRY_REQUIRED, load_suite, prepare_batch, run_suite

from tests.conftest import fetch

FOLDER = "2026-11-02"
BASE = {
    "batch_id": "B-0001", "site_code": "SMA-LABSCHOOL-KEBAYORAN", "site_name": "SMA Labschool Kebayoran",
    "operator_id": "OP-07", "recorded_at": "2026-11-02T09:15:00+07:00", "nik": "3174011508050001",
    "full_name": "Budi Santoso", "birth_date": "2005-08-15", "sex": "L", "kelurahan_code": "31.74.01.1001",
}
WOMAN = {"nik": "3174015708050002", "birth_date": "2005-08-17", "sex": "P"}  # day 17 + 40
FUTURE = {"nik": "3174010311260001", "birth_date": "2026-11-03"}  # born the day after the folder date

# (case, changes to BASE, reasons in contract order (empty: accepted), warnings in contract order)
CASES: list[tuple[str, dict, list[str], list[str]]] = [
    ("valid", {}, [], []),
    ("valid_woman", WOMAN, [], []),
    ("kelurahan_code_empty_is_optional", {"kelurahan_code": ""}, [], []),
    # sex: L or P, case-insensitive, trimmed
    ("sex_lower_l", {"sex": "l"}, [], []),
    ("sex_lower_p", WOMAN | {"sex": "p"}, [], []),
    ("sex_padded", {"sex": " L "}, [], []),
    ("sex_X", {"sex": "X"}, ["bad_sex"], []),
    ("sex_M", {"sex": "M"}, ["bad_sex"], []),
    ("sex_word", {"sex": "Laki-laki"}, ["bad_sex"], []),
    ("sex_LP", {"sex": "LP"}, ["bad_sex"], []),
    # NIK normalisation
    ("nik_spaces", {"nik": "3174 0115 0805 0001"}, [], []),
    ("nik_dots_dashes_padding", {"nik": "  31.74.01-150805-0001 "}, [], []),
    ("nik_unicode_spaces", {"nik": "3174\u00a00115\u20030805\t0001"}, [], []),
    # missing_value
    ("missing_batch_id", {"batch_id": ""}, ["missing_value"], []),
    ("missing_site_code", {"site_code": " "}, ["missing_value"], []),
    ("missing_site_name", {"site_name": ""}, ["missing_value"], []),
    ("missing_operator_id", {"operator_id": "\t"}, ["missing_value"], []),
    ("missing_full_name", {"full_name": "   "}, ["missing_value"], []),
    ("missing_nik_only_missing", {"nik": ""}, ["missing_value"], []),
    ("missing_recorded_at", {"recorded_at": ""}, ["missing_value"], []),
    ("missing_birth_date", {"birth_date": ""}, ["missing_value"], []),
    ("missing_sex", {"sex": ""}, ["missing_value"], []),
    ("missing_sex_and_bad_birth_date", {"sex": "", "birth_date": "2005-13-01"}, ["missing_value", "bad_birth_date"],
     []),
    ("missing_batch_id_and_short_nik", {"batch_id": "", "nik": "123"}, ["missing_value", "nik_format"], []),
    ("nik_only_separators", {"nik": " - . "}, ["nik_format"], []),  # not empty after trimming: not missing
    # nik_format (alone: the other NIK rules do not own a value that is not 16 digits)
    ("nik_15_digits", {"nik": "317401150805001"}, ["nik_format"], []),
    ("nik_17_digits", {"nik": "31740115080500011"}, ["nik_format"], []),
    ("nik_letter", {"nik": "3174O11508050001"}, ["nik_format"], []),
    ("nik_scientific", {"nik": "3.17401E+15"}, ["nik_format"], []),
    ("nik_apostrophe", {"nik": "'3174011508050001"}, ["nik_format"], []),
    ("nik_fullwidth", {"nik": "".join(chr(0xFF10 + int(c)) for c in "3174011508050001")}, ["nik_format"], []),
    ("nik_arabic_indic", {"nik": "".join(chr(0x0660 + int(c)) for c in "3174011508050001")}, ["nik_format"], []),
    # nik_region
    ("nik_unknown_province", {"nik": "1001011508050001"}, ["nik_region"], ["nik_prefix_unlisted"]),
    ("nik_unknown_regency", {"nik": "3199011508050001"}, ["nik_region"], ["nik_prefix_unlisted"]),
    ("nik_kecamatan_00", {"nik": "3174001508050001"}, ["nik_region"], ["nik_prefix_unlisted"]),
    # nik_birthdate (the NIK's date digits then also disagree with birth_date: a warning)
    ("nik_day_32", {"nik": "3174013208050001"}, ["nik_birthdate"], ["nik_dob_mismatch"]),
    ("nik_day_40", {"nik": "3174014008050001"}, ["nik_birthdate"], ["nik_dob_mismatch"]),
    ("nik_day_72", {"nik": "3174017208050001", "sex": "P"}, ["nik_birthdate"], ["nik_dob_mismatch"]),
    ("nik_month_00", {"nik": "3174011500050001"}, ["nik_birthdate"], ["nik_dob_mismatch"]),
    ("nik_month_13", {"nik": "3174011513050001"}, ["nik_birthdate"], ["nik_dob_mismatch"]),
    ("nik_29_feb_01", {"nik": "3174012902010001", "birth_date": "2001-02-28"}, ["nik_birthdate"],
     ["nik_dob_mismatch"]),
    ("nik_29_feb_00", {"nik": "3174012902000001", "birth_date": "2000-02-29"}, [], []),
    ("nik_29_feb_00_woman", {"nik": "3174016902000002", "birth_date": "2000-02-29", "sex": "P"}, [], []),
    # nik_serial
    ("nik_serial_0000", {"nik": "3174011508050000"}, ["nik_serial"], []),
    ("nik_region_birthdate_serial", {"nik": "1001013208050000"}, ["nik_region", "nik_birthdate", "nik_serial"],
     ["nik_dob_mismatch", "nik_prefix_unlisted"]),
    # bad_birth_date
    ("birth_date_30_feb", {"birth_date": "2005-02-30"}, ["bad_birth_date"], []),
    ("birth_date_dmy", {"birth_date": "15/08/2005"}, ["bad_birth_date"], []),
    ("birth_date_unpadded", {"birth_date": "2005-8-15"}, ["bad_birth_date"], []),
    ("birth_date_with_time", {"birth_date": "2005-08-15T00:00:00"}, ["bad_birth_date"], []),
    ("birth_date_after_recording", FUTURE, ["bad_birth_date"], ["under_17"]),
    ("birth_date_on_recording_day", {"nik": "3174010211260001", "birth_date": "2026-11-02"}, [], ["under_17"]),
    # without a usable recorded_at, birth_date is compared with the folder's date (decisions.md)
    ("birth_date_after_folder_no_offset", FUTURE | {"recorded_at": "2026-11-02T09:15:00"},
     ["bad_birth_date", "bad_recorded_at"], ["under_17"]),
    # recorded on the 3rd (wrong folder): born on the 3rd is not after the recording
    ("birth_date_on_wrong_recording_day", FUTURE | {"recorded_at": "2026-11-03T08:00:00+07:00"},
     ["bad_recorded_at"], ["under_17"]),
    # bad_recorded_at
    ("recorded_at_no_offset", {"recorded_at": "2026-11-02T09:15:00"}, ["bad_recorded_at"], []),
    ("recorded_at_no_offset_space", {"recorded_at": "2026-11-02 09:15:00"}, ["bad_recorded_at"], []),
    ("recorded_at_date_only", {"recorded_at": "2026-11-02"}, ["bad_recorded_at"], []),
    ("recorded_at_hour_25", {"recorded_at": "2026-11-02T25:00:00+07:00"}, ["bad_recorded_at"], []),
    ("recorded_at_text", {"recorded_at": "kemarin pagi"}, ["bad_recorded_at"], []),
    ("recorded_at_next_wib_day", {"recorded_at": "2026-11-03T09:15:00+07:00"}, ["bad_recorded_at"], []),
    ("recorded_at_previous_wib_day", {"recorded_at": "2026-11-01T23:59:59+07:00"}, ["bad_recorded_at"], []),
    ("recorded_at_z_is_wib_midnight", {"recorded_at": "2026-11-01T17:00:00Z"}, [], []),
    ("recorded_at_z_before_wib_midnight", {"recorded_at": "2026-11-01T16:59:59Z"}, ["bad_recorded_at"], []),
    ("recorded_at_z_last_second", {"recorded_at": "2026-11-02T16:59:59Z"}, [], []),
    ("recorded_at_z_next_wib_day", {"recorded_at": "2026-11-02T17:00:00Z"}, ["bad_recorded_at"], []),
    ("recorded_at_utc_offset", {"recorded_at": "2026-11-02T02:15:00+00:00"}, [], []),
    ("recorded_at_new_york", {"recorded_at": "2026-11-01T23:30:00-05:00"}, [], []),  # 11:30 WIB on the 2nd
    ("recorded_at_new_york_same_date", {"recorded_at": "2026-11-02T13:00:00-05:00"}, ["bad_recorded_at"], []),
    ("recorded_at_hhmm_offset", {"recorded_at": "2026-11-02T09:15:00+0700"}, [], []),
    ("recorded_at_hh_offset", {"recorded_at": "2026-11-02T09:15:00+07"}, [], []),
    ("recorded_at_space_and_fraction", {"recorded_at": "2026-11-02 09:15:00.123456+07:00"}, [], []),
    ("recorded_at_no_seconds", {"recorded_at": "2026-11-02T09:15+07:00"}, [], []),
    # several reasons: all kept, first one first
    ("serial_sex_recorded_at", {"nik": "3174011508050000", "sex": "X", "recorded_at": "2026-11-02T09:15:00"},
     ["nik_serial", "bad_sex", "bad_recorded_at"], []),
    ("birth_date_sex_recorded_at", {"birth_date": "2005-02-30", "sex": "W", "recorded_at": "2026-11-04T09:00:00Z"},
     ["bad_birth_date", "bad_sex", "bad_recorded_at"], []),
    # warnings: never a rejection
    ("dob_mismatch", {"birth_date": "2005-08-16"}, [], ["nik_dob_mismatch"]),
    ("dob_other_century_matches", {"birth_date": "1905-08-15"}, [], []),  # the NIK holds YY only
    ("sex_mismatch_woman_as_l", WOMAN | {"sex": "L"}, [], ["nik_sex_mismatch"]),
    ("sex_mismatch_man_as_p", {"sex": "P"}, [], ["nik_sex_mismatch"]),
    ("prefix_unlisted", {"nik": "3174991508050001"}, [], ["nik_prefix_unlisted"]),
    ("legacy_prefix_listed", {"nik": "9201041508050001"}, [], []),  # Beraur, Kab. Sorong before 2025
    ("legacy_regency_unlisted_kecamatan", {"nik": "9201991508050001"}, [], ["nik_prefix_unlisted"]),
    ("nit", {"nik": "9901011508050001"}, [], ["nik_prefix_unlisted", "nit"]),
    ("nit_kecamatan_00", {"nik": "9900001508050001"}, [], ["nik_prefix_unlisted", "nit"]),
    ("under_17", {"nik": "3174010311090001", "birth_date": "2009-11-03"}, [], ["under_17"]),
    ("exactly_17", {"nik": "3174010211090001", "birth_date": "2009-11-02"}, [], []),
    ("every_warning", {"nik": "9901014311090001", "birth_date": "2009-11-04", "sex": "L"}, [],
     ["nik_dob_mismatch", "nik_sex_mismatch", "nik_prefix_unlisted", "nit", "under_17"]),
    ("warning_on_rejected_row", WOMAN | {"sex": "L", "recorded_at": "2026-11-02T09:15:00"}, ["bad_recorded_at"],
     ["nik_sex_mismatch"]),
]
CASE_IDS = [c[0] for c in CASES]


def batch_rows() -> list[list[str]]:
    return [[(BASE | changes)[column] for column in BATCH_COLUMNS] for _, changes, _, _ in CASES]


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, newline: str = "\n", bom: bool = False) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path


def landed(root: Path, path: Path) -> LandedFile:
    rel = path.relative_to(root).as_posix()
    kind = REGISTRY if rel.startswith("registry/") else BATCH
    return fingerprint(root, LandedFile(rel, kind, date.fromisoformat(path.parent.name)))


# --- the suite alone: one case per test, one suite run for all of them --------------------------

@pytest.fixture(scope="module")
def suite_outcome() -> dict[str, tuple[list[str], list[str]]]:
    raw = pd.DataFrame(batch_rows(), columns=list(BATCH_COLUMNS), dtype="string")
    result = run_suite(load_suite("field_batch"), prepare_batch(raw, pd.Series([FOLDER] * len(raw))))
    every_row = np.ones(len(raw), dtype=bool)
    reasons = result.reason_lists(every_row)
    warnings = [w.split(",") if w else [] for w in result.warning_strings(every_row)]
    return dict(zip(CASE_IDS, zip(reasons, warnings, strict=True), strict=True))


@pytest.mark.parametrize(("case", "changes", "reasons", "warnings"), CASES, ids=CASE_IDS)
def test_batch_row_reasons_and_warnings(suite_outcome, case, changes, reasons, warnings):
    got_reasons, got_warnings = suite_outcome[case]
    assert got_reasons == reasons
    assert got_warnings == warnings


def test_reasons_come_in_contract_order():
    suite = load_suite("field_batch")
    assert suite.reason_order == ["malformed_row", "missing_value", "nik_format", "nik_region", "nik_birthdate",
                                  "nik_serial", "bad_birth_date", "bad_sex", "bad_recorded_at"]
    assert suite.warnings == ["nik_dob_mismatch", "nik_sex_mismatch", "nik_prefix_unlisted", "nit", "under_17"]
    for _, _, reasons, warnings in CASES:
        assert reasons == sorted(reasons, key=suite.reason_order.index)
        assert warnings == sorted(warnings, key=suite.warnings.index)


def test_the_cases_cover_every_reason_and_warning():
    suite = load_suite("field_batch")
    assert {r for c in CASES for r in c[2]} == set(suite.reason_order) - {"malformed_row"}  # malformed: below
    assert {w for c in CASES for w in c[3]} == set(suite.warnings)


# --- the same rows through the loader, into both warehouses -------------------------------------

RUN_ID = "manual__test"
LONG_ROW = "B-0001,SMA-LABSCHOOL-KEBAYORAN,SMA Labschool Kebayoran,OP-07,2026-11-02T09:15:00+07:00," \
           "3174011508050003,Budi, Santoso,2005-08-15,L,31.74.01.1001"  # an unquoted comma in the name
SHORT_ROW = "B-0001,SMA-LABSCHOOL-KEBAYORAN,SMA Labschool Kebayoran,OP-07,2026-11-02T09:15:00+07:00"
COMMAS_ROW = ",,,,,,,,,"  # ten empty fields: a row (missing_value), not an empty line


def rejected_rows(engine, path: str) -> dict[int, tuple]:
    rows = fetch(engine, "SELECT row_number, line_number, first_reason, reasons, warnings, raw_record, file_kind, "
                 "file_date FROM ektp_quarantine.rejected_row WHERE file_path = :p", p=path)
    return {r[0]: r[1:] for r in rows}


def write_cases_file(root: Path) -> Path:
    """The CASES rows, then a row with a quoted line break, a long and a short row, a row of commas;
    empty and blank lines in between (not rows)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(BATCH_COLUMNS)
    for i, row in enumerate(batch_rows()):
        writer.writerow(row)
        if i == 2:
            buffer.write("\r\n")
        if i == 5:
            buffer.write("   \r\n")
    writer.writerow(list((BASE | {"nik": "3174011508050004", "full_name": "Siti\nAminah"}).values()))
    buffer.write("\r\n".join([LONG_ROW, SHORT_ROW, COMMAS_ROW]) + "\r\n\r\n")
    path = root / "batches" / FOLDER / "cases.csv"
    path.parent.mkdir(parents=True)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return path


def test_batch_rows_are_stored_with_their_reasons_and_warnings(engine, tmp_path):
    root = tmp_path / "landing"
    path = write_cases_file(root)
    rel = "batches/2026-11-02/cases.csv"
    [outcome] = load_batch_files(engine, root, [landed(root, path)], RUN_ID, chunk_rows=7)

    n = len(CASES)
    multiline, long_row, short_row, commas = n + 1, n + 2, n + 3, n + 4
    rejected_cases = {i + 1: c for i, c in enumerate(CASES) if c[2]}
    assert (outcome.status, outcome.rows, outcome.rejected) == ("loaded", n + 4, len(rejected_cases) + 3)
    assert outcome.loaded == outcome.rows - outcome.rejected

    quarantine = rejected_rows(engine, rel)
    assert set(quarantine) == set(rejected_cases) | {long_row, short_row, commas}
    got = {row: (q[1], q[2].split(","), q[3].split(",") if q[3] else []) for row, q in quarantine.items()}
    expected = {row: (c[2][0], c[2], c[3]) for row, c in rejected_cases.items()}
    expected[long_row] = expected[short_row] = ("malformed_row", ["malformed_row"], [])
    expected[commas] = ("missing_value", ["missing_value"], [])
    assert got == expected

    # each rejected row is kept whole, as received (not normalised)
    columns = list(BATCH_COLUMNS)
    for row, case in rejected_cases.items():
        assert json.loads(quarantine[row][4]) == dict(zip(columns, batch_rows()[row - 1], strict=True)), case[0]
    assert json.loads(quarantine[long_row][4]) == {"_fields": LONG_ROW.split(",")}
    assert json.loads(quarantine[short_row][4]) == {"_fields": SHORT_ROW.split(",")}
    assert json.loads(quarantine[commas][4]) == dict.fromkeys(columns, "")
    assert {q[5] for q in quarantine.values()} == {"batch"}
    assert {str(q[6]) for q in quarantine.values()} == {FOLDER}
    # physical lines: header 1, one empty line after case 3 and one blank line after case 6
    assert quarantine[1 + CASE_IDS.index("sex_X")][0] == 1 + CASE_IDS.index("sex_X") + 1 + 2
    assert quarantine[long_row][0] == (multiline + 1 + 2) + 2  # the quoted line break takes a line

    recordings = {r[0]: r[1:] for r in fetch(
        engine, "SELECT row_number, nik, sex, warnings, recorded_at, birth_date, full_name, recording_date "
        "FROM ektp_ingest.recording WHERE file_path = :p", p=rel)}
    accepted = {i + 1: c for i, c in enumerate(CASES) if not c[2]}
    assert set(recordings) == set(accepted) | {multiline}
    for row, (case, _, _, warnings) in accepted.items():
        nik_value, sex, stored_warnings, _, _, _, _ = recordings[row]
        assert (stored_warnings.split(",") if stored_warnings else []) == warnings, case
        assert len(nik_value) == 16 and nik_value.isdigit() and sex in ("L", "P"), case
    def row_of(case: str) -> int:
        return 1 + CASE_IDS.index(case)

    assert recordings[row_of("nik_dots_dashes_padding")][0] == "3174011508050001"
    assert recordings[row_of("sex_lower_p")][1] == "P"
    # the instant is kept: 17:00 UTC on the 1st is midnight WIB on the 2nd
    assert pd.Timestamp(recordings[row_of("recorded_at_z_is_wib_midnight")][3]) == pd.Timestamp("2026-11-01T17:00Z")
    assert pd.Timestamp(recordings[row_of("valid")][3]) == pd.Timestamp("2026-11-02T02:15Z")
    assert str(recordings[row_of("valid")][4]) == "2005-08-15"
    assert recordings[multiline][5] == "Siti\nAminah"
    assert {str(r[6]) for r in recordings.values()} == {FOLDER}

    # manifest: the bytes read, the counts
    manifest = fetch(engine, "SELECT status, row_count, rows_rejected, sha256, size_bytes, file_kind, reason "
                     "FROM ektp_ingest.file_manifest WHERE file_path = :p", p=rel)
    assert manifest == [("loaded", n + 4, len(rejected_cases) + 3, hashlib.sha256(path.read_bytes()).hexdigest(),
                         path.stat().st_size, "batch", None)]

    # validation results: counts per file and expectation, for this run
    results = fetch(engine, "SELECT outcome, severity, element_count, unexpected_count, success "
                    "FROM ektp_ingest.validation_result WHERE file_path = :p AND run_id = :r", p=rel, r=RUN_ID)
    assert len(results) == len(load_suite("field_batch").suite.expectations)
    assert {r[2] for r in results} == {n + 2}  # well-formed rows: the cases, the multi-line row, the commas
    by_outcome: dict[str, int] = {}
    for outcome_name, _, _, unexpected, success in results:
        by_outcome[outcome_name] = by_outcome.get(outcome_name, 0) + unexpected
        assert success == (unexpected == 0)
    assert by_outcome["nit"] == sum("nit" in c[3] for c in CASES)
    assert by_outcome["under_17"] == sum("under_17" in c[3] for c in CASES)
    assert by_outcome["bad_sex"] == sum("bad_sex" in c[2] for c in CASES)


@pytest.fixture(autouse=True)
def _no_data_docs(monkeypatch):
    """Data Docs have their own test (tests/integration/test_data_docs.py); here they would only cost time."""
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")


# --- registry extract rows (§2.4) -------------------------------------------------------------

REG = {"nik": "3174011508050001", "full_name": "Budi Santoso", "birth_date": "2005-08-15", "sex": "L",
       "kelurahan_code": "31.74.01.1001"}
# (case, changes to REG, reasons in contract order (empty: a target resident))
REGISTRY_CASES: list[tuple[str, dict, list[str]]] = [
    # duplicate_nik: every occurrence, over the whole extract (read in chunks of 12 rows: these are far apart)
    ("dup_a_1", {"nik": "3174011508050101"}, ["duplicate_nik"]),
    ("dup_b_valid", {"nik": "3174011508050102"}, ["duplicate_nik"]),
    ("dup_c_bad_kelurahan_1", {"nik": "3174011508050103", "kelurahan_code": "x"}, ["bad_kelurahan", "duplicate_nik"]),
    ("valid", {}, []),
    ("valid_woman", {"nik": "3174015708050002", "birth_date": "2005-08-17", "sex": "P"}, []),
    ("valid_legacy_prefix", {"nik": "9201041508050003"}, []),
    ("valid_nit", {"nik": "9901011508050004"}, []),
    ("nik_separators", {"nik": "3174 0115-0805.0005"}, []),
    ("empty_full_name_is_not_a_reason", {"nik": "3174011508050006", "full_name": ""}, []),  # decisions.md
    ("dob_mismatch_is_not_a_reason", {"nik": "3174011508050007", "birth_date": "2005-08-16"}, []),
    ("nik_empty", {"nik": ""}, ["nik_format"]),
    ("nik_short", {"nik": "317401150805001"}, ["nik_format"]),
    ("nik_scientific", {"nik": "3.17401E+15"}, ["nik_format"]),
    ("nik_region", {"nik": "1001011508050001"}, ["nik_region"]),
    ("nik_kecamatan_00", {"nik": "3174001508050001"}, ["nik_region"]),
    ("nik_birthdate", {"nik": "3174013208050001"}, ["nik_birthdate"]),
    ("nik_29_feb_01", {"nik": "3174012902010001"}, ["nik_birthdate"]),
    ("nik_serial", {"nik": "3174011508050000"}, ["nik_serial"]),
    ("birth_date_invalid", {"nik": "3174011508050008", "birth_date": "2005-02-30"}, ["bad_birth_date"]),
    ("birth_date_empty", {"nik": "3174011508050009", "birth_date": ""}, ["bad_birth_date"]),
    ("sex_X", {"nik": "3174011508050010", "sex": "X"}, ["bad_sex"]),
    ("sex_lower_case", {"nik": "3174011508050011", "sex": "l"}, ["bad_sex"]),  # registry: exact (decisions.md)
    ("kelurahan_unknown", {"nik": "3174011508050012", "kelurahan_code": "31.74.01.9999"}, ["bad_kelurahan"]),
    ("kelurahan_undotted", {"nik": "3174011508050013", "kelurahan_code": "3174011001"}, ["bad_kelurahan"]),
    ("kelurahan_is_a_kecamatan", {"nik": "3174011508050014", "kelurahan_code": "31.74.01"}, ["bad_kelurahan"]),
    ("kelurahan_empty", {"nik": "3174011508050015", "kelurahan_code": ""}, ["bad_kelurahan"]),
    ("several", {"nik": "1001011508050000", "sex": "M", "kelurahan_code": "x"},
     ["nik_region", "nik_serial", "bad_sex", "bad_kelurahan"]),
    ("filler_1", {"nik": "3174011508050201"}, []),
    ("filler_2", {"nik": "3174011508050202"}, []),
    ("dup_a_2_separators", {"nik": "3174 0115 0805 0101"}, ["duplicate_nik"]),  # the same NIK once normalised
    ("dup_b_bad_sex", {"nik": "3174011508050102", "sex": "X"}, ["bad_sex", "duplicate_nik"]),
    ("filler_3", {"nik": "3174011508050203"}, []),
    ("dup_c_bad_kelurahan_2", {"nik": "3174011508050103", "kelurahan_code": "y"}, ["bad_kelurahan", "duplicate_nik"]),
    ("dup_a_3", {"nik": "3174011508050101", "full_name": "Budi S."}, ["duplicate_nik"]),
]


def test_registry_rows(engine, tmp_path):
    root = tmp_path / "landing"
    rows = [[(REG | changes)[c] for c in REGISTRY_REQUIRED] for _, changes, _ in REGISTRY_CASES]
    header = [*REGISTRY_REQUIRED, "catatan"]  # an extra column is ignored, and kept in the quarantine
    rows = [[*r, f"note {i}"] for i, r in enumerate(rows, start=1)]
    body = rows[:10] + [["31740115080500X"]] + rows[10:]  # a short row: malformed
    path = write_csv(root / "registry" / "2026-11-01" / "unrecorded_residents.csv", header, body, bom=True)
    rel = "registry/2026-11-01/unrecorded_residents.csv"
    outcome = load_registry_file(engine, root, landed(root, path), RUN_ID, chunk_rows=12)

    malformed = 11
    expected = {}
    for i, (case, _, reasons) in enumerate(REGISTRY_CASES, start=1):
        row = i if i < malformed else i + 1
        if reasons:
            expected[row] = (reasons[0], reasons, case)
    expected[malformed] = ("malformed_row", ["malformed_row"], "malformed")

    quarantine = rejected_rows(engine, rel)
    got = {row: (q[1], q[2].split(",")) for row, q in quarantine.items()}
    assert got == {row: e[:2] for row, e in expected.items()}
    for row, q in quarantine.items():
        raw = json.loads(q[4])
        want = {"_fields": body[row - 1]} if row == malformed else dict(zip(header, body[row - 1], strict=True))
        assert raw == want, expected[row][2]
        assert q[5] == "registry" and str(q[6]) == "2026-11-01"

    targets = len(REGISTRY_CASES) + 1 - len(expected)
    residents = fetch(engine, "SELECT row_number, nik, sex, full_name FROM ektp_ingest.registry_resident "
                      "WHERE extract_date = '2026-11-01' ORDER BY row_number")
    assert len(residents) == targets
    assert {r[0] for r in residents}.isdisjoint(expected)
    assert len({r[1] for r in residents}) == targets  # no NIK twice among targets
    assert ("3174011508050005", "L") in {(r[1], r[2]) for r in residents}  # stored normalised
    assert fetch(engine, "SELECT rows_received, rows_rejected, target_residents FROM ektp_ingest.registry_extract "
                 "WHERE extract_date = '2026-11-01'") == [(len(body), len(expected), targets)]
    assert (outcome.rows, outcome.rejected, outcome.loaded) == (len(body), len(expected), targets)
    assert outcome.reasons == {r: sum(1 for e in expected.values() if e[0] == r) for r in {e[0] for e in
                                                                                          expected.values()}}
    assert fetch(engine, "SELECT status, row_count, rows_rejected FROM ektp_ingest.file_manifest "
                 "WHERE file_path = :p", p=rel) == [("loaded", len(body), len(expected))]

    # the same extract again (a re-run): replaced, not doubled
    load_registry_file(engine, root, landed(root, path), RUN_ID, chunk_rows=1000)
    assert fetch(engine, "SELECT count(*) FROM ektp_ingest.registry_resident")[0][0] == targets
    assert fetch(engine, "SELECT count(*) FROM ektp_quarantine.rejected_row")[0][0] == len(expected)
    assert fetch(engine, "SELECT count(*) FROM ektp_ingest.registry_nik_stage")[0][0] == 0
    assert fetch(engine, "SELECT count(*) FROM ektp_ingest.registry_repeated_nik")[0][0] == 0  # work tables emptied
    assert fetch(engine, "SELECT sum(target_residents) FROM ektp_ingest.extract_target")[0][0] == targets


def test_registry_reasons_cover_the_contract():
    order = load_suite("registry_extract").reason_order
    assert order == ["malformed_row", "nik_format", "nik_region", "nik_birthdate", "nik_serial", "bad_birth_date",
                     "bad_sex", "bad_kelurahan", "duplicate_nik"]
    assert {r for c in REGISTRY_CASES for r in c[2]} == set(order) - {"malformed_row"}
    for _, _, reasons in REGISTRY_CASES:
        assert reasons == sorted(reasons, key=order.index)


# --- whole files (§2.1) ---------------------------------------------------------------------------

def test_files_that_cannot_be_read_are_rejected_and_the_rest_is_loaded(engine, tmp_path):
    root = tmp_path / "landing"
    folder = root / "batches" / FOLDER
    good_rows = batch_rows()[:3]
    header = list(BATCH_COLUMNS)
    files = {
        # BOM, CRLF, names in other case and padded, an extra column: all fine
        "a_good.csv": write_csv(folder / "a_good.csv", [f" {c.upper()} " for c in header] + ["Catatan"],
                                [[*r, "-"] for r in good_rows], newline="\r\n", bom=True),
        "b_header_only.csv": write_csv(folder / "b_header_only.csv", header, []),
        "c_latin1.csv": folder / "c_latin1.csv",
        "d_cut_in_a_character.csv": folder / "d_cut_in_a_character.csv",
        "e_empty.csv": folder / "e_empty.csv",
        "f_header_on_line_2.csv": folder / "f_header_on_line_2.csv",
        "g_missing_sex.csv": write_csv(folder / "g_missing_sex.csv", [c for c in header if c != "sex"],
                                       [[v for c, v in zip(header, r, strict=True) if c != "sex"] for r in good_rows]),
        "h_nul.csv": folder / "h_nul.csv",
        "i_repeated_column.csv": write_csv(folder / "i_repeated_column.csv", [*header, "nik"],
                                           [[*r, r[5]] for r in good_rows]),
        "j_missing_two.csv": write_csv(folder / "j_missing_two.csv", header[2:], [r[2:] for r in good_rows]),
    }
    text = ",".join(header) + "\n" + ",".join(good_rows[0]) + "\n"
    files["c_latin1.csv"].write_bytes(text.replace("Budi Santoso", "José Santoso").encode("latin-1"))
    cut = text.encode()
    files["d_cut_in_a_character.csv"].write_bytes(cut + "é".encode()[:1])  # the file ends inside a character
    files["e_empty.csv"].write_bytes(b"")
    files["f_header_on_line_2.csv"].write_bytes(b"\n" + text.encode())
    files["h_nul.csv"].write_bytes(text.encode().replace(b"Budi", b"Bu\x00di"))
    assert files["d_cut_in_a_character.csv"].read_bytes().endswith(b"\xc3")

    outcomes = load_batch_files(engine, root, [landed(root, p) for p in files.values()], RUN_ID, chunk_rows=100)

    expected_reasons = {
        "c_latin1.csv": "not UTF-8",
        "d_cut_in_a_character.csv": "not UTF-8",
        "e_empty.csv": "no header",
        "f_header_on_line_2.csv": "no header",
        "g_missing_sex.csv": "missing required column(s): sex",
        "h_nul.csv": "NUL",
        "i_repeated_column.csv": "repeats a column",
        "j_missing_two.csv": "missing required column(s): batch_id, site_code",
    }
    by_name = {o.path.rsplit("/", 1)[1]: o for o in outcomes}
    assert set(by_name) == set(files)
    manifest = {r[0].rsplit("/", 1)[1]: r[1:] for r in fetch(
        engine, "SELECT file_path, status, reason, row_count, sha256 FROM ektp_ingest.file_manifest")}
    rejected_files = {r[0].rsplit("/", 1)[1]: r[1:] for r in fetch(
        engine, "SELECT file_path, reason, file_kind, file_date, sha256 FROM ektp_quarantine.rejected_file")}
    assert set(rejected_files) == set(expected_reasons)
    for name, fragment in expected_reasons.items():
        sha = hashlib.sha256(files[name].read_bytes()).hexdigest()
        assert by_name[name].status == "rejected_file" and fragment in by_name[name].reason, name
        assert manifest[name][:2] == ("rejected_file", by_name[name].reason) and manifest[name][2] is None, name
        assert manifest[name][3] == sha
        reason, kind, file_date, stored_sha = rejected_files[name]
        assert (reason, kind, str(file_date), stored_sha) == (by_name[name].reason, "batch", FOLDER, sha)

    # the run goes on: the readable files are loaded, and nothing of a rejected file is
    good = by_name["a_good.csv"]
    assert (good.status, good.rows, good.rejected) == ("loaded", 3, 0)
    assert (by_name["b_header_only.csv"].status, by_name["b_header_only.csv"].rows) == ("loaded", 0)
    assert manifest["a_good.csv"][:3] == ("loaded", None, 3)
    assert manifest["b_header_only.csv"][:3] == ("loaded", None, 0)
    recorded = fetch(engine, "SELECT file_path, count(*) FROM ektp_ingest.recording GROUP BY file_path")
    assert recorded == [(f"batches/{FOLDER}/a_good.csv", 3)]
    assert fetch(engine, "SELECT count(*) FROM ektp_quarantine.rejected_row")[0][0] == 0


def test_a_rejected_extract_leaves_the_previous_one(engine, tmp_path):
    root = tmp_path / "landing"
    rows = [[(REG | {"nik": f"317401150805{i:04d}"})[c] for c in REGISTRY_REQUIRED] for i in range(1, 6)]
    first = write_csv(root / "registry" / "2026-11-01" / "unrecorded_residents.csv", list(REGISTRY_REQUIRED), rows)
    later = write_csv(root / "registry" / "2026-11-05" / "unrecorded_residents.csv", list(REGISTRY_REQUIRED[:-1]),
                      [r[:-1] for r in rows])
    assert load_registry_file(engine, root, landed(root, first), RUN_ID, chunk_rows=100).status == "loaded"
    outcome = load_registry_file(engine, root, landed(root, later), RUN_ID, chunk_rows=100)
    assert (outcome.status, outcome.reason) == ("rejected_file", "missing required column(s): kelurahan_code")
    extracts = fetch(engine, "SELECT extract_date, target_residents FROM ektp_ingest.registry_extract")
    assert [(str(d), n) for d, n in extracts] == [("2026-11-01", 5)]
    assert fetch(engine, "SELECT file_path, status FROM ektp_ingest.file_manifest ORDER BY file_path") == [
        ("registry/2026-11-01/unrecorded_residents.csv", "loaded"),
        ("registry/2026-11-05/unrecorded_residents.csv", "rejected_file")]
    assert fetch(engine, "SELECT file_kind, reason FROM ektp_quarantine.rejected_file") == [
        ("registry", "missing required column(s): kelurahan_code")]
