"""Loading card-event files (contract §6.1) into both warehouses: valid rows, every rejection reason, files
rejected whole, a file landed again, and conservation (rows in = stored + quarantined), from real files."""

from __future__ import annotations

import json
from datetime import UTC, date
from pathlib import Path

from ektp.ingest.cards import load_card_files
from ektp.ingest.landing import CARD_EVENTS, LandedFile, fingerprint

from tests.conftest import fetch

DAY = date(2026, 11, 10)
RUN_ID = "test_cards"
HEADER = "nik,event,event_at,site_code"
#: (line as landed, the stored (nik, event, event_at as UTC text, site_code) or the reasons it is rejected with)
ROWS: list[tuple[str, tuple | list[str]]] = [
    ("3174011508050001,prr,2026-11-10T09:15:00+07:00,",
     ("3174011508050001", "prr", "2026-11-10 02:15:00.000000+00:00", None)),
    (" 31.74.01-150805-0002 , PRINTED ,2026-11-09T17:00:00Z,SMA-LAB",  # separators, case, a UTC instant
     ("3174011508050002", "printed", "2026-11-09 17:00:00.000000+00:00", "SMA-LAB")),
    ("3174011508050003,Biometric_Duplicate,2026-11-10T23:59:59.1234567+07:00,",
     ("3174011508050003", "biometric_duplicate", "2026-11-10 16:59:59.123456+00:00", None)),
    ("3174011508050004,delivered,2026-11-10T10:00:00+0700,SMA-LAB",
     ("3174011508050004", "delivered", "2026-11-10 03:00:00.000000+00:00", "SMA-LAB")),
    ("9901011508050005,activated,2026-11-10T10:05:00+07:00,SMA-LAB",  # a NIT is a valid NIK
     ("9901011508050005", "activated", "2026-11-10 03:05:00.000000+00:00", "SMA-LAB")),
    ("3174011508050006,prr", ["malformed_row"]),
    (",prr,2026-11-10T09:15:00+07:00,", ["missing_value"]),
    ("3174011508050007,  ,2026-11-10T09:15:00+07:00,", ["missing_value"]),
    ("3174011508050008,prr,,", ["missing_value"]),
    ("317401150805008,prr,2026-11-10T09:15:00+07:00,", ["nik_format"]),
    ("1001011508050009,prr,2026-11-10T09:15:00+07:00,", ["nik_region"]),
    ("3174013208050010,prr,2026-11-10T09:15:00+07:00,", ["nik_birthdate"]),
    ("3174011508050000,prr,2026-11-10T09:15:00+07:00,", ["nik_serial"]),
    ("3174011508050011,collected,2026-11-10T09:15:00+07:00,", ["bad_event"]),
    ("3174011508050012,prr,2026-11-10T09:15:00,", ["bad_event_at"]),  # no offset
    ("3174011508050013,prr,2026-11-11T00:00:00+07:00,", ["bad_event_at"]),  # another WIB day than the folder's
    ("3174011508050000,print,2026-11-10,", ["nik_serial", "bad_event", "bad_event_at"]),
]


def land(root: Path, name: str, lines: list[str], header: str = HEADER, day: date = DAY) -> LandedFile:
    path = root / "cards" / day.isoformat() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\r\n".join([header, *lines]) + "\r\n", encoding="utf-8")
    return fingerprint(root, LandedFile(path.relative_to(root).as_posix(), CARD_EVENTS, day))


def test_every_row_is_stored_or_quarantined_with_its_reasons(engine, tmp_path):
    root = tmp_path / "landing"
    landed = land(root, "abis.csv", [line for line, _ in ROWS])
    [outcome] = load_card_files(engine, root, [landed], RUN_ID, chunk_rows=5)  # several chunks
    valid = [(n, want) for n, (_, want) in enumerate(ROWS, start=1) if isinstance(want, tuple)]
    rejected = [(n, want) for n, (_, want) in enumerate(ROWS, start=1) if isinstance(want, list)]
    assert (outcome.status, outcome.rows, outcome.loaded, outcome.rejected) == ("loaded", len(ROWS), len(valid),
                                                                                len(rejected))

    stored = fetch(engine, "SELECT row_number, event_date, nik, event, event_at, site_code FROM ektp_ingest.card_event "
                           "ORDER BY row_number")
    assert [(n, str(d), nik, event, _utc_text(at), site) for n, d, nik, event, at, site in stored] \
        == [(n, DAY.isoformat(), *want) for n, want in valid]
    quarantined = fetch(engine, "SELECT row_number, file_kind, file_date, first_reason, reasons, raw_record "
                                "FROM ektp_quarantine.rejected_row ORDER BY row_number")
    assert [(n, kind, str(d), first, reasons.split(",")) for n, kind, d, first, reasons, _ in quarantined] \
        == [(n, CARD_EVENTS, DAY.isoformat(), want[0], want) for n, want in rejected]
    raw = {n: json.loads(r) for n, *_, r in quarantined}
    assert raw[7] == {"nik": "", "event": "prr", "event_at": "2026-11-10T09:15:00+07:00", "site_code": ""}  # whole
    assert raw[6] == {"_fields": ["3174011508050006", "prr"]}  # malformed: the fields as received
    # conservation: rows in = stored + quarantined, and the manifest says so
    assert fetch(engine, "SELECT file_kind, status, row_count, rows_rejected FROM ektp_ingest.file_manifest") \
        == [(CARD_EVENTS, "loaded", len(ROWS), len(rejected))]
    assert len(stored) + len(quarantined) == len(ROWS)
    assert [str(d) for d, in fetch(engine, "SELECT DISTINCT change_date FROM ektp_ingest.pending_change")] \
        == [DAY.isoformat()]
    assert fetch(engine, "SELECT DISTINCT suite_name FROM ektp_ingest.validation_result") == [("card_events",)]


def _utc_text(value) -> str:
    """event_at as stored: SQLite keeps the loader's text, PostgreSQL a timestamptz."""
    if isinstance(value, str):
        return value
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00:00")


def test_files_without_a_required_column_are_rejected_whole(engine, tmp_path):
    root = tmp_path / "landing"
    good = land(root, "print.csv", [ROWS[0][0]])
    no_event_at = land(root, "outreach.csv", ["3174011508050001,prr,"], header="nik,event,site_code")
    no_site = land(root, "abis.csv", ["3174011508050001,prr,2026-11-10T09:15:00+07:00"],
                   header="nik,event,event_at")  # site_code is optional
    outcomes = {o.path: o for o in load_card_files(engine, root, [good, no_event_at, no_site], RUN_ID, 100)}
    assert outcomes[no_event_at.path].status == "rejected_file"
    assert (outcomes[good.path].loaded, outcomes[no_site.path].loaded) == (1, 1)
    assert fetch(engine, "SELECT file_path, file_kind FROM ektp_quarantine.rejected_file") \
        == [(no_event_at.path, CARD_EVENTS)]
    assert fetch(engine, "SELECT status, row_count FROM ektp_ingest.file_manifest WHERE file_path = :p",
                 p=no_event_at.path) == [("rejected_file", None)]
    assert fetch(engine, "SELECT site_code FROM ektp_ingest.card_event WHERE file_path = :p", p=no_site.path) \
        == [(None,)]


def test_a_file_landed_again_replaces_its_earlier_rows(engine, tmp_path):
    root = tmp_path / "landing"
    first = land(root, "abis.csv", [line for line, _ in ROWS])
    load_card_files(engine, root, [first], RUN_ID, 100)
    again = land(root, "abis.csv", [ROWS[1][0], "3174011508050021,prr,2026-11-10T08:00:00+07:00,",
                                    "3174011508050022,lost,2026-11-10T08:00:00+07:00,"])
    [outcome] = load_card_files(engine, root, [again], RUN_ID, 100)
    assert (outcome.rows, outcome.loaded, outcome.rejected) == (3, 2, 1)
    assert fetch(engine, "SELECT nik, event FROM ektp_ingest.card_event ORDER BY row_number") \
        == [("3174011508050002", "printed"), ("3174011508050021", "prr")]
    assert fetch(engine, "SELECT row_number, first_reason FROM ektp_quarantine.rejected_row") == [(3, "bad_event")]
    assert fetch(engine, "SELECT sha256, row_count, rows_rejected FROM ektp_ingest.file_manifest") \
        == [(again.sha256, 3, 1)]
