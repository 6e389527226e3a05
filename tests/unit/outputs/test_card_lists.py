"""The card lists for the field (ektp.outputs.card_lists), on the hand-computed card scenario of
tests/integration/test_card_stages.py, on both warehouses: who is on which list, the lists agree with the
published funnel, unlinked events until a late batch links them, and the files are restricted, spreadsheet-safe
and in the report's language."""

from __future__ import annotations

import csv
import stat
from pathlib import Path

import pytest
from ektp import warehouse as wh
from ektp.outputs.card_lists import CARDS_DIR, UNLINKED_FILE, write_card_lists

from tests.conftest import fetch
from tests.integration.test_card_stages import LAB, NOV, RW, N, late_batch, publish, scenario_without_late_batch

PRINTED = "kartu sudah dicetak: bawa pada kunjungan berikutnya dan serahkan"
DUPLICATE = "biometrik ganda: arahkan penduduk ke kantor Dukcapil"
PRR_WAITING = "siap cetak, menunggu kartu lebih dari 14 hari"
WAITING = "menunggu deduplikasi lebih dari 14 hari"


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def listed(folder: Path, site: str) -> set[tuple[str, str, str, str]]:
    """(list, NIK, since date, days since recording) of a site's file."""
    return {(r["daftar"], r["NIK"], r["tanggal sejak"], r["hari sejak perekaman"])
            for r in read(folder / f"{site}.csv")}


@pytest.fixture
def published(engine):
    scenario_without_late_batch().write(engine)
    publish(engine, NOV[20])
    return engine


def test_who_is_on_which_list_on_a_date(published, tmp_path):
    summary = write_card_lists(published, NOV[20], tmp_path, language="id")
    folder = tmp_path / CARDS_DIR / "2026-11-20"
    # stages on 11-20, worked out in test_card_stages.py: the Labschool's N2 and N4 biometric duplicates, N3 and N8
    # printed (N1 is handed over and activated: not listed), N14 waiting since 11-04; the hall's N5 printed without
    # a prr, N6 (11-02) waiting for deduplication, N7 (11-03) and N11 (11-05) print-ready and waiting
    assert listed(folder, LAB) == {
        (PRINTED, N["N3"], "2026-11-08", "18"), (PRINTED, N["N8"], "2026-11-12", "16"),
        (DUPLICATE, N["N2"], "2026-11-03", "18"), (DUPLICATE, N["N4"], "2026-11-06", "18"),
        (WAITING, N["N14"], "", "16")}
    assert listed(folder, RW) == {
        (PRINTED, N["N5"], "2026-11-09", "18"), (WAITING, N["N6"], "", "18"),
        (PRR_WAITING, N["N7"], "2026-11-04", "17"), (PRR_WAITING, N["N11"], "2026-11-17", "15")}
    lab_row = read(folder / f"{LAB}.csv")[0]
    assert (lab_row["nama lokasi"], lab_row["nama lengkap"], lab_row["tanggal lahir"]) \
        == ("SMA Labschool", "Nama Samaran", "2009-03-01")
    # events no recording links: N8's prr before its recording, N9 (not recorded yet), N12 (never recorded)
    unlinked = read(folder / UNLINKED_FILE)
    assert [(r["tanggal kejadian"], r["NIK"], r["kejadian"]) for r in unlinked] == [
        ("2026-11-03", N["N8"], "siap cetak (lolos deduplikasi)"),
        ("2026-11-04", N["N9"], "siap cetak (lolos deduplikasi)"),
        ("2026-11-04", N["N12"], "siap cetak (lolos deduplikasi)"),
        ("2026-11-10", N["N9"], "kartu dicetak")]
    assert unlinked[0]["waktu kejadian (WIB)"] == "2026-11-03T11:00:00+07:00"
    assert summary == {"report_date": "2026-11-20", "sites": 2, "unlinked": 4, "printed_not_delivered": 3,
                       "biometric_duplicate": 2, "awaiting_print_14d": 4}

    # N9's batch lands late: its events link, and it waits at the Labschool (printed on 11-10)
    late_batch().write(published)
    publish(published, NOV[20])
    write_card_lists(published, NOV[20], tmp_path, language="id")
    assert (PRINTED, N["N9"], "2026-11-10", "17") in listed(folder, LAB)
    assert [r["NIK"] for r in read(folder / UNLINKED_FILE)] == [N["N8"], N["N12"]]


def test_the_lists_count_what_the_funnel_counts(published, tmp_path):
    """The lists' stages come from another statement than the funnel's: per site, biometric duplicates, printed
    and not delivered, and awaiting_print_14d are the funnel's numbers, on every published date."""
    for day in (NOV[3], NOV[10], NOV[16]):
        publish(published, day)
    for day, site, duplicates, printed, delivered, awaiting in fetch(
            published, "SELECT report_date, site_code, biometric_duplicate, printed, delivered, awaiting_print_14d "
                       "FROM ektp_coverage.site_funnel_daily"):
        day = str(day)
        write_card_lists(published, NOV[int(day[-2:])], tmp_path, language="id")
        path = tmp_path / CARDS_DIR / day / f"{site}.csv"
        rows = [r["daftar"] for r in read(path)] if path.exists() else []
        assert (rows.count(DUPLICATE), rows.count(PRINTED), rows.count(WAITING) + rows.count(PRR_WAITING)) \
            == (duplicates, printed - delivered, awaiting), (day, site)


def test_files_are_restricted_spreadsheet_safe_and_in_the_language(published, tmp_path, umask_0):
    with wh.transaction(published) as conn:
        conn.exec_driver_sql(f"UPDATE {wh.table(conn, 'ektp_ingest.recording')} "
                             "SET full_name = '=HYPERLINK(\"http://x\")' WHERE nik = '3174010103090003'")
    write_card_lists(published, NOV[20], tmp_path, language="en")
    folder = tmp_path / CARDS_DIR / "2026-11-20"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    rows = read(folder / f"{LAB}.csv")
    assert list(rows[0]) == ["list", "site code", "site name", "NIK", "full name", "birth date", "sex", "recorded on",
                             "since", "since date", "days since recording"]
    assert {r["full name"] for r in rows if r["NIK"] == N["N3"]} == {"'=HYPERLINK(\"http://x\")"}
    assert rows[0]["list"] == "card printed: bring it to the next visit and hand it over"
