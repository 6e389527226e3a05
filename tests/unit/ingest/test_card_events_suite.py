"""The card-event suite (``expectations/card_events.json``, contract §6.1) on hand-written rows.

The frame is prepared as the suite's description says (``prepare`` below); the loader's own preparation
(``validation.prepare_cards``) must give the same columns. One suite run for all the cases; each
case is checked for every reason it fails, first reason first.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from ektp.core import nik
from ektp.core.settings import EXPECTATIONS_DIR
from ektp.ingest.gx_expectations import parse_iso_timestamps
from ektp.ingest.validation import WIB_OFFSET, format_datetimes, load_suite, prepare_cards, run_suite

FOLDER = "2026-11-02"
COLUMNS = ("nik", "event", "event_at", "site_code")
BASE = {"nik": "3174011508050001", "event": "prr", "event_at": "2026-11-02T09:15:00+07:00", "site_code": ""}

# (case, changes to BASE, reasons in contract order (empty: valid))
CASES: list[tuple[str, dict, list[str]]] = [
    ("valid_prr", {}, []),
    ("valid_each_event", {"event": "biometric_duplicate"}, []),
    ("valid_printed", {"event": "printed"}, []),
    ("valid_delivered_with_site", {"event": "delivered", "site_code": "SMA-LABSCHOOL-KEBAYORAN"}, []),
    ("valid_activated", {"event": "activated"}, []),
    # event: case-insensitive, surrounding whitespace ignored
    ("event_upper_padded", {"event": "  PRINTED "}, []),
    ("event_mixed_case", {"event": "Biometric_Duplicate"}, []),
    # NIK normalised as in §2.2
    ("nik_separators", {"nik": " 31.74.01-150805-0001 "}, []),
    # missing_value: nik, event or event_at empty after trimming (site_code is optional)
    ("missing_nik", {"nik": " "}, ["missing_value"]),
    ("missing_event", {"event": ""}, ["missing_value"]),
    ("missing_event_at", {"event_at": "\t"}, ["missing_value"]),
    ("missing_nik_and_bad_event", {"nik": "", "event": "collected"}, ["missing_value", "bad_event"]),
    # the NIK rules, each owning what it checks
    ("nik_15_digits", {"nik": "317401150805001"}, ["nik_format"]),
    ("nik_scientific", {"nik": "3.17401E+15"}, ["nik_format"]),
    ("nik_unknown_province", {"nik": "1001011508050001"}, ["nik_region"]),
    ("nik_kecamatan_00", {"nik": "3174001508050001"}, ["nik_region"]),
    ("nik_day_32", {"nik": "3174013208050001"}, ["nik_birthdate"]),
    ("nik_serial_0000", {"nik": "3174011508050000"}, ["nik_serial"]),
    ("nit_is_valid", {"nik": "9901011508050001"}, []),
    # bad_event: not one of the five
    ("event_print", {"event": "print"}, ["bad_event"]),
    ("event_with_inner_space", {"event": "biometric duplicate"}, ["bad_event"]),
    ("event_code", {"event": "PRR-OK"}, ["bad_event"]),
    # bad_event_at: not ISO 8601 with an offset, or on another WIB day than the folder's
    ("event_at_no_offset", {"event_at": "2026-11-02T09:15:00"}, ["bad_event_at"]),
    ("event_at_date_only", {"event_at": "2026-11-02"}, ["bad_event_at"]),
    ("event_at_text", {"event_at": "kemarin"}, ["bad_event_at"]),
    ("event_at_next_wib_day", {"event_at": "2026-11-03T00:00:00+07:00"}, ["bad_event_at"]),
    ("event_at_z_next_wib_day", {"event_at": "2026-11-02T17:00:00Z"}, ["bad_event_at"]),
    ("event_at_z_same_wib_day", {"event_at": "2026-11-01T17:00:00Z"}, []),
    ("event_at_hhmm_offset", {"event_at": "2026-11-02T09:15:00+0700"}, []),
    # every reason it fails, in contract order
    ("serial_event_event_at", {"nik": "3174011508050000", "event": "x", "event_at": "2026-11-02 09:15"},
     ["nik_serial", "bad_event", "bad_event_at"]),
]
CASE_IDS = [c[0] for c in CASES]


def prepare(raw: pd.DataFrame, folder_dates: pd.Series) -> pd.DataFrame:
    """The columns the suite checks, as its description says."""
    out = pd.DataFrame(index=raw.index)
    for column in COLUMNS:
        values = raw[column].astype("string").str.strip()
        out[column] = values.mask(values == "")
    out["nik"] = nik.normalise(out["nik"]).where(out["nik"].notna())
    out["event"] = out["event"].str.lower()
    out["event_at_date"] = format_datetimes(parse_iso_timestamps(out["event_at"]) + WIB_OFFSET, "%Y-%m-%d")
    out["folder_date"] = folder_dates.astype("string").to_numpy()
    return out


def cases_frame() -> pd.DataFrame:
    return pd.DataFrame([[(BASE | changes)[c] for c in COLUMNS] for _, changes, _ in CASES], columns=list(COLUMNS),
                        dtype="string")


def test_the_loader_prepares_what_the_suite_describes():
    raw = cases_frame()
    folders = pd.Series([FOLDER] * len(raw))
    expected = prepare(raw, folders)
    pd.testing.assert_frame_equal(prepare_cards(raw, folders)[list(expected.columns)], expected, check_dtype=False)
    # site_code is optional: a file without the column prepares as if it were empty
    assert prepare_cards(raw.drop(columns="site_code"), folders)["site_code"].isna().all()


@pytest.fixture(scope="module")
def outcome() -> dict[str, list[str]]:
    raw = cases_frame()
    result = run_suite(load_suite("card_events"), prepare(raw, pd.Series([FOLDER] * len(raw))))
    every_row = np.ones(len(raw), dtype=bool)
    assert result.warning_strings(every_row) == [None] * len(raw)  # card events have no warnings
    return dict(zip(CASE_IDS, result.reason_lists(every_row), strict=True))


@pytest.mark.parametrize(("case", "changes", "reasons"), CASES, ids=CASE_IDS)
def test_card_event_row_reasons(outcome, case, changes, reasons):
    assert outcome[case] == reasons


def test_reasons_come_in_contract_order_and_each_has_a_rule():
    suite = load_suite("card_events")
    assert suite.reason_order == ["malformed_row", "missing_value", "nik_format", "nik_region", "nik_birthdate",
                                  "nik_serial", "bad_event", "bad_event_at"]
    assert suite.warnings == []
    for _, _, reasons in CASES:
        assert reasons == sorted(reasons, key=suite.reason_order.index)
    data = json.loads((EXPECTATIONS_DIR / "card_events.json").read_text(encoding="utf-8"))
    outcomes = {e["meta"]["outcome"] for e in data["expectations"]}
    assert outcomes == set(suite.reason_order) - {"malformed_row"}  # malformed rows: the CSV reader
    assert all(e["meta"]["severity"] == "reject" for e in data["expectations"])
