"""publish: one date of a tiny warehouse, case by case (four residents in two kelurahan, a few recordings).

The files are loaded by the real loaders; each case checks what publishing D makes of them, on both warehouses.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from ektp import warehouse as wh
from ektp.ingest.batches import load_batch_files
from ektp.ingest.landing import BATCH, REGISTRY, LandedFile, fingerprint
from ektp.ingest.registry import load_registry_files
from ektp.publish.publishing import publish

from tests.conftest import fetch

D = date(2026, 11, 2)
EXTRACT_DATE = date(2026, 11, 1)
TT, TB = "31.74.01.1001", "31.74.01.1002"  # Tebet Timur, Tebet Barat
#: nik: (name, birth date, sex, kelurahan)
RESIDENTS = {
    "3174010101900001": ("Adi", "1990-01-01", "L", TT),
    "3174014202900002": ("Budi", "1990-02-02", "P", TT),  # a woman: day + 40
    "3174010303900003": ("Citra", "1990-03-03", "L", TB),
    "3174010404900004": ("Dewi", "1990-04-04", "L", TB),
}
NOT_IN_EXTRACT = "3174010505900005"


def _recording(nik: str, *, sex: str | None = None, birth: str | None = None, minute: int = 0) -> list[str]:
    name, born, s, kel = RESIDENTS.get(nik, ("Eka", "1990-05-05", "L", TT))
    return ["B1", "S1", "SMA 1", "OP1", f"{D}T08:{minute:02d}:00+07:00", nik, name, birth or born, sex or s, kel]


@dataclass
class Case:
    rows: list[list[str]]
    #: recorded_to_date per kelurahan (both have 2 targets), and their coverage_pct
    recorded: dict[str, int] = field(default_factory=dict)
    #: site_daily's counts: received, rejected, duplicate, accepted, matched, identity_mismatch, not_in_extract
    site: tuple[int, ...] | None = None
    rejections: dict[str, int] = field(default_factory=dict)


CASES = {
    "nothing recorded": Case([]),
    "one resident recorded": Case([_recording("3174010101900001")], {TT: 1}, (1, 0, 0, 1, 1, 0, 0)),
    "recorded twice counts once": Case([_recording("3174010101900001"), _recording("3174010101900001", minute=5)],
                                       {TT: 1}, (2, 0, 1, 1, 1, 0, 0)),
    "a person not in the extract": Case([_recording(NOT_IN_EXTRACT)], {}, (1, 0, 0, 1, 0, 0, 1)),
    "a birth date that differs from SIAK": Case([_recording("3174010303900003", birth="1990-03-04")], {},
                                                (1, 0, 0, 1, 0, 1, 0)),
    "a rejected row": Case([_recording("3174010404900004", sex="X")], {}, (1, 1, 0, 0, 0, 0, 0), {"bad_sex": 1}),
    "both kelurahan complete": Case([_recording(n, minute=i) for i, n in enumerate(RESIDENTS)], {TT: 2, TB: 2},
                                    (4, 0, 0, 4, 4, 0, 0)),
}


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


@pytest.mark.parametrize("name", CASES)
def test_publish_one_date(name, engine, tmp_path, monkeypatch):
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")
    case = CASES[name]
    root = tmp_path / "landing"
    extract = f"registry/{EXTRACT_DATE}/unrecorded_residents.csv"
    _write(root / extract, ["nik", "full_name", "birth_date", "sex", "kelurahan_code"],
           [[n, *r] for n, r in RESIDENTS.items()])
    load_registry_files(engine, root, [fingerprint(root, LandedFile(extract, REGISTRY, EXTRACT_DATE))], "r1", 1000,
                        frozenset())
    if case.rows:
        batch = f"batches/{D}/S1_dev1.csv"
        _write(root / batch, ["batch_id", "site_code", "site_name", "operator_id", "recorded_at", "nik", "full_name",
                              "birth_date", "sex", "kelurahan_code"], case.rows)
        load_batch_files(engine, root, [fingerprint(root, LandedFile(batch, BATCH, D))], "r1", 1000, 1 << 20)

    published = publish(engine, D, "r1")

    assert published.to_xcom() == {"report_date": str(D), "published_dates": [str(D)]}
    kelurahan = fetch(engine, "SELECT kelurahan_code, target_residents, recorded_on_date, recorded_to_date, remaining, "
                              "coverage_pct FROM ektp_coverage.kelurahan_daily WHERE report_date = :d "
                              "ORDER BY kelurahan_code", d=D)
    expected = []
    for code in (TT, TB):
        n = case.recorded.get(code, 0)
        expected.append((code, 2, n, n, 2 - n, {0: 0.0, 1: 50.0, 2: 100.0}[n]))
    assert [(*r[:5], float(r[5])) for r in kelurahan] == expected
    (kecamatan,) = fetch(engine, "SELECT kecamatan_code, target_residents, recorded_to_date FROM "
                                 "ektp_coverage.kecamatan_daily WHERE report_date = :d", d=D)
    assert kecamatan == ("31.74.01", 4, sum(case.recorded.values()))
    site = fetch(engine, "SELECT rows_received, rows_rejected, rows_duplicate, rows_accepted, matched, "
                         "identity_mismatch, not_in_extract FROM ektp_coverage.site_daily WHERE report_date = :d", d=D)
    assert site == ([case.site] if case.site else [])
    assert dict(fetch(engine, "SELECT reason, rows FROM ektp_coverage.rejections_daily WHERE report_date = :d",
                      d=D)) == case.rejections
    with engine.connect() as conn:
        assert wh.query(conn, "publish/select_queued_dates") == []  # the queue is emptied by the publish


def test_card_events_are_published_with_the_other_tables_and_audited(engine, tmp_path, monkeypatch):
    """The real loaders and the real publish: the funnel and the card-event outcomes of D are in the same
    transaction as the other tables, and a card-event file whose rows do not add up stops the publish."""
    from ektp.ingest.cards import load_card_files
    from ektp.ingest.landing import CARD_EVENTS
    from ektp.publish.publishing import ConservationError

    monkeypatch.setenv("EKTP_DATA_DOCS", "off")
    root = tmp_path / "landing"
    batch = f"batches/{D}/S1_dev1.csv"
    _write(root / batch, ["batch_id", "site_code", "site_name", "operator_id", "recorded_at", "nik", "full_name",
                          "birth_date", "sex", "kelurahan_code"],
           [_recording("3174010101900001"), _recording("3174014202900002", minute=1)])
    load_batch_files(engine, root, [fingerprint(root, LandedFile(batch, BATCH, D))], "r1", 1000, 1 << 20)
    cards = f"cards/{D}/abis.csv"
    _write(root / cards, ["nik", "event", "event_at"], [
        ["3174010101900001", "prr", f"{D}T10:00:00+07:00"],
        ["3174014202900002", "biometric_duplicate", f"{D}T10:00:00+07:00"],
        ["3174010303900003", "prr", f"{D}T10:00:00+07:00"],  # not recorded: unlinked
        ["3174010101900001", "lost", f"{D}T10:00:00+07:00"],  # bad_event
    ])
    load_card_files(engine, root, [fingerprint(root, LandedFile(cards, CARD_EVENTS, D))], "r1", 1000, 1 << 20)

    publish(engine, D, "r1")
    assert fetch(engine, "SELECT site_code, site_name, recorded, biometric_duplicate, prr, printed, delivered, "
                         "activated, awaiting_print_14d FROM ektp_coverage.site_funnel_daily") \
        == [("S1", "SMA 1", 2, 1, 1, 0, 0, 0, 0)]
    assert dict(fetch(engine, "SELECT outcome, rows FROM ektp_coverage.card_events_daily")) \
        == {"linked": 2, "unlinked": 1, "bad_event": 1}

    before = fetch(engine, "SELECT * FROM ektp_coverage.card_events_daily ORDER BY outcome")
    with wh.transaction(engine) as conn:  # a card event lost: the file no longer adds up
        conn.exec_driver_sql(f"DELETE FROM {wh.table(conn, 'ektp_ingest.card_event')} WHERE row_number = 3")
    with pytest.raises(ConservationError, match="abis.csv"):
        publish(engine, D, "r2")
    assert fetch(engine, "SELECT * FROM ektp_coverage.card_events_daily ORDER BY outcome") == before
