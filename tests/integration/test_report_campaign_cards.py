"""The report's campaign view and card sections, on both warehouses, against numbers worked out by hand.

Card scenario: rows go into the ingest tables as the loader writes them and the funnel is published as the
nightly publish does (``tests/integration/test_card_stages.py``); the report then reads the funnel, the days
from recording to hand-over and the print backlog. Campaign scenario: published rows written directly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from ektp import warehouse as wh
from ektp.outputs import report

from tests.integration.test_card_stages import Landing, publish

LAB, RW = "SMA-LABSCHOOL-KEBAYORAN", "RW01-TEBET"
N = {i: f"31740101030900{i:02d}" for i in range(1, 8)}  # region digits 317401: kecamatan 31.74.01 (Tebet)
NOV = {d: date(2026, 11, d) for d in range(1, 31)}
NINE = time(9)


def _cards(engine) -> None:
    land = Landing()
    land.batch(f"batches/{NOV[3]}/lab.csv", NOV[3], LAB, "SMA Labschool Kebayoran",
               [(N[i], time(8, i), LAB) for i in (1, 2, 3, 4, 6)])
    land.batch(f"batches/{NOV[4]}/rw.csv", NOV[4], RW, "Balai RW 01", [(N[5], NINE, RW)])
    for day, events in [(5, [(N[1], "prr", NINE), (N[2], "prr", NINE), (N[3], "biometric_duplicate", NINE)]),
                        (6, [(N[5], "prr", NINE)]),
                        (7, [(N[2], "delivered", NINE)]),
                        (8, [(N[6], "activated", NINE)]),  # activated without a delivered event: handed over
                        (10, [(N[1], "printed", NINE)]),
                        (13, [(N[1], "delivered", NINE)])]:
        land.cards(f"cards/{NOV[day]}/events.csv", NOV[day], events)
    land.write(engine)
    publish(engine, NOV[10])
    publish(engine, NOV[20])
    with wh.transaction(engine) as conn:  # as if N4 had matched a resident of Setiabudi in the extract
        conn.execute(sa.text(f"UPDATE {wh.table(conn, 'ektp_ingest.recording')} "
                             "SET resident_kelurahan_code = '31.74.02.1001' WHERE nik = :nik"), {"nik": N[4]})


def test_funnel_handover_days_and_print_backlog(engine):
    _cards(engine)
    data = report.load_report_data(engine, NOV[20])
    funnel = {r["site_code"]: r for r in data["funnel"]}
    assert [r["site_code"] for r in data["funnel"]] == [LAB, RW]  # the most recorded first
    lab = funnel[LAB]
    assert (lab["recorded"], lab["biometric_duplicate"], lab["prr"], lab["printed"], lab["delivered"],
            lab["activated"], lab["awaiting_print_14d"]) == (5, 1, 3, 3, 3, 1, 1)
    # N2 handed over after 4 days, N6 (activated, so handed over) after 5, N1 after 10: the median is 5
    assert lab["median_days_to_handover"] == 5 and lab["handed_over_counted"] == lab["delivered"]
    assert funnel[RW]["median_days_to_handover"] is None and funnel[RW]["handed_over_counted"] == 0
    # awaiting print > 14 days on Nov 20: N4 (nothing since Nov 3; its resident lives in Setiabudi) and N5
    # (print-ready, recorded Nov 4; no resident matched, so the kecamatan of its NIK's region digits, Tebet)
    assert data["print_backlog"] == [
        {"kecamatan_code": "31.74.01", "kecamatan_name": "Tebet", "awaiting_print_14d": 1,
         "oldest_recording": "2026-11-04"},
        {"kecamatan_code": "31.74.02", "kecamatan_name": "Setiabudi", "awaiting_print_14d": 1,
         "oldest_recording": "2026-11-03"}]
    assert sum(r["awaiting_print_14d"] for r in data["funnel"]) == 2 == data["funnel_totals"]["awaiting_print_14d"]
    assert data["funnel_totals"]["median_days_to_handover"] == 5 and data["funnel_totals"]["recorded"] == 6
    assert {(r["operator_id"], r["site_code"]): r["rows_accepted"] for r in data["operators"]} == {
        ("OPR-1", LAB): 5, ("OPR-1", RW): 1}

    earlier = report.load_report_data(engine, NOV[10])  # N1 not yet handed over; nothing has waited 14 days
    assert {r["site_code"]: r["median_days_to_handover"] for r in earlier["funnel"]} == {LAB: 4, RW: None}
    assert earlier["print_backlog"] == []

    html = report.render(data, "en")
    assert 'id="table-funnel"' in html and 'data-col="median_days_to_handover" data-value="5"' in html
    assert 'id="table-print-backlog"' in html and ">Tebet<" in html


def test_campaign_to_date_across_a_new_extract(engine):
    """Coverage restarts with the extract of Nov 4; the campaign keeps counting every matched recording."""
    at = datetime.now(UTC)
    days = [(NOV[2], NOV[1], 100, 10), (NOV[3], NOV[1], 100, 25), (NOV[4], NOV[4], 80, 5), (NOV[5], NOV[4], 80, 12)]
    matched = {NOV[2]: (6, 4), NOV[3]: (9, 6), NOV[4]: (5, 0), NOV[5]: (3, 4)}  # (site A, site B)
    with wh.transaction(engine) as conn:
        wh.bulk_insert(conn, "ektp_coverage.kecamatan_daily", [
            "report_date", "extract_date", "kecamatan_code", "kecamatan_name", "target_residents", "recorded_on_date",
            "recorded_to_date", "remaining", "coverage_pct", "published_at"],
            [[d, e, "31.74.01", "Tebet", target, 0, recorded, target - recorded, 100 * recorded / target, at]
             for d, e, target, recorded in days])
        wh.bulk_insert(conn, "ektp_coverage.site_daily", [
            "report_date", "site_code", "site_name", "batch_files", "rows_received", "rows_rejected", "rows_duplicate",
            "rows_accepted", "matched", "identity_mismatch", "not_in_extract", "published_at"],
            [[d, code, name, 1, m + 2, 1, 0, m + 1, m, 0, 1, at]
             for d, (a, b) in matched.items() for code, name, m in (("A", "Site A", a), ("B", "Site B", b)) if m])
    data = report.load_report_data(engine, NOV[5])
    assert [(r["report_date"], r["matched"], r["campaign_matched"], r["recorded_to_date"]) for r in data["trend"]] == [
        ("2026-11-02", 10, 10, 10), ("2026-11-03", 15, 25, 25), ("2026-11-04", 5, 30, 5), ("2026-11-05", 7, 37, 12)]
    assert data["extract_changes"] == [
        {"report_date": "2026-11-02", "extract_date": "2026-11-01", "previous": None},
        {"report_date": "2026-11-04", "extract_date": "2026-11-04", "previous": "2026-11-01"}]
    # ranked over the campaign: A 23 matched of 27 accepted on 4 days, B 14 of 17 on 3 (B had none on Nov 4)
    assert [(r["site_code"], r["days"], r["rows_accepted"], r["matched"], r["match_rate"])
            for r in data["site_campaign"]] == [("A", 4, 27, 23, 85.19), ("B", 3, 17, 14, 82.35)]

    html = report.render(data, "en")
    assert "November 4, 2026: extract of November 4, 2026 replaces the extract of November 1, 2026" in html
    assert 'id="table-site-ranking"' in html


def test_uploads_of_the_date(engine):
    """files_daily (contract §4) on the page: what needs someone first, reasons in words, the loaded files behind."""
    at = datetime.now(UTC)
    rows = [[NOV[2], "batch", "batches/2026-11-02/LAB_TAB1.csv", "loaded", "", LAB, 70],
            [NOV[2], "batch", "batches/2026-11-02/RW12-TEBET-TIMUR_TAB01.csv", "rejected", "missing_column", "", 0],
            [NOV[2], "batch", "batches/2026-11-02/LAB_TAB1 (copy).csv", "duplicate_delivery", "", "", 0],
            [NOV[2], "card_events", "cards/2026-11-02/x.csv", "rejected", "not_utf8", "", 0],
            [NOV[2], "registry", "registry/2026-11-02/siak.csv", "loaded", "", "", 1200],
            [NOV[3], "batch", "batches/2026-11-03/LAB_TAB1.csv", "loaded", "", LAB, 5]]
    with wh.transaction(engine) as conn:
        wh.bulk_insert(conn, "ektp_coverage.files_daily", [
            "report_date", "kind", "file_path", "outcome", "reason", "site_code", "rows", "published_at"],
            [[*r, at] for r in rows])
    data = report.load_report_data(engine, NOV[2])
    assert [(f["outcome"], f["file_path"]) for f in data["files"]] == [
        ("rejected", "batches/2026-11-02/RW12-TEBET-TIMUR_TAB01.csv"), ("rejected", "cards/2026-11-02/x.csv"),
        ("duplicate_delivery", "batches/2026-11-02/LAB_TAB1 (copy).csv"),
        ("loaded", "batches/2026-11-02/LAB_TAB1.csv"), ("loaded", "registry/2026-11-02/siak.csv")]
    assert data["files_totals"] == {"files": 5, "loaded": 2, "rejected": 2, "duplicate_delivery": 1,
                                    "rows_loaded": 1270}

    html = report.render(data, "id")
    attention = html[html.index('id="table-files-attention"'):html.index('id="table-files-loaded"')]
    assert "RW12-TEBET-TIMUR_TAB01.csv" in attention and "LAB_TAB1.csv<" not in attention
    assert "ada kolom wajib yang tidak ada pada judul kolom" in attention  # missing_column, in words
    assert "ditolak seluruhnya: kirim ulang" in attention and "kiriman ganda" in attention
    assert "5 berkas bertanggal hari ini: 2 dimuat (1.270 baris), 2 ditolak seluruhnya, 1 kiriman ganda." in html
