"""A published warehouse for report tests that need no pipeline run: seven dates of Jakarta Selatan (its ten
kecamatan and 65 kelurahan, names from the pinned Kemendagri list), a new extract on the fifth date, six
outreach sites with long names, rejections of four kinds, uploads (one rejected whole, one delivered twice)
and a card funnel, written straight into the
``ektp_coverage`` tables as publishing would write them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from ektp import warehouse as wh

DATES = [date(2026, 11, 2) + timedelta(days=i) for i in range(7)]
LAST = DATES[-1]
#: the extract in force on each date: a new one from the fifth
EXTRACTS = {d: date(2026, 11, 1) if d < date(2026, 11, 6) else date(2026, 11, 6) for d in DATES}
SITES = [("SMA-LABSCHOOL-KEBAYORAN", "SMA Labschool Kebayoran, aula serbaguna lantai dua (jemput bola sekolah)"),
         ("RW12-TEBET-TIMUR", "Balai warga RW 12 Tebet Timur"),
         ("SMAN-70-JAKARTA", "SMA Negeri 70 Jakarta"),
         ("KANTOR-KEL-PESANGGRAHAN", "Kantor Kelurahan Pesanggrahan"),
         ("SMKN-15-JAKARTA", "SMK Negeri 15 Jakarta"),
         ("RPTRA-KALIJODO-JAKSEL", "RPTRA Kebayoran Lama Utara")]
REJECTIONS = ["nik_format", "bad_recorded_at", "missing_value", "nik_region"]
AT = datetime(2026, 11, 9, 0, 30, tzinfo=UTC)


def fill(engine: sa.Engine) -> None:
    """Write the scenario into a migrated, empty warehouse."""
    with engine.connect() as conn:
        region = wh.table(conn, "ektp_ingest.region")
        kec = [tuple(r) for r in conn.execute(sa.text(
            f"SELECT region_code, region_name FROM {region} WHERE region_level = 3 AND region_code LIKE '31.74.%' "
            "ORDER BY region_code"))]
        kel = [tuple(r) for r in conn.execute(sa.text(
            f"SELECT region_code, region_name FROM {region} WHERE region_level = 4 AND region_code LIKE '31.74.%' "
            "ORDER BY region_code"))]
    assert len(kec) == 10 and len(kel) == 65, (len(kec), len(kel))
    kec_names = dict(kec)
    kel_rows, kec_rows, out_rows, site_rows, rej_rows = [], [], [], [], []
    for i, day in enumerate(DATES):
        extract = EXTRACTS[day]
        days_in = (day - extract).days + 1
        per_kec: dict[str, list[int]] = {}
        for j, (code, name) in enumerate(kel):
            target = 900 + 37 * j if extract.day == 1 else 700 + 31 * j
            on_date = 6 + (j * 7 + i * 3) % 23
            to_date = min(target, on_date * days_in + j % 5)
            pct = round(100 * to_date / target, 2)
            kec_code = code[:8]
            kel_rows.append([day, extract, kec_code, kec_names[kec_code], code, name, target, on_date, to_date,
                             target - to_date, pct, AT])
            out_rows.append([day, kec_code, code, name, target - to_date, (target - to_date) // 9, AT])
            agg = per_kec.setdefault(kec_code, [0, 0, 0])
            agg[0] += target
            agg[1] += on_date
            agg[2] += to_date
        for code, (target, on_date, to_date) in per_kec.items():
            kec_rows.append([day, extract, code, kec_names[code], target, on_date, to_date, target - to_date,
                             round(100 * to_date / target, 2), AT])
        for k, (code, name) in enumerate(SITES):
            received = 60 + 13 * k + 5 * i
            rejected, duplicate = 2 + k % 3, 1 + (i + k) % 2
            accepted = received - rejected - duplicate
            matched = accepted - 3 - k % 4
            site_rows.append([day, code, name, 1 + k % 2, received, rejected, duplicate, accepted, matched, 1,
                              accepted - matched - 1, AT])
        for k, reason in enumerate(REJECTIONS):
            rej_rows.append([day, reason, 3 + k * 2 + i, AT])
    files = [[LAST, "batch", f"batches/{LAST}/{code}_TAB{k:02d}.csv", "loaded", "", code, 60 + k, AT]
             for k, (code, _) in enumerate(SITES)]
    files += [[LAST, "batch", f"batches/{LAST}/RW12-TEBET-TIMUR_TAB01_perekaman_ulang_setelah_perbaikan.csv",
               "rejected", "missing_column", "", 0, AT],
              [LAST, "batch", f"batches/{LAST}/SMAN-70-JAKARTA_TAB02 (salinan).csv", "duplicate_delivery", "", "", 0,
               AT],
              [LAST, "card_events", f"cards/{LAST}/cetak_kartu.csv", "rejected", "not_utf8", "", 0, AT],
              [LAST, "registry", f"registry/{LAST}/siak_jaksel.csv", "loaded", "", "", 109980, AT]]
    funnel = [[LAST, code, name, 300 - 40 * k, 2 + k % 2, 250 - 40 * k, 180 - 30 * k, 120 - 20 * k, 90 - 15 * k,
               12 + k, AT] for k, (code, name) in enumerate(SITES)]
    with wh.transaction(engine) as conn:
        wh.bulk_insert(conn, "ektp_coverage.kelurahan_daily", [
            "report_date", "extract_date", "kecamatan_code", "kecamatan_name", "kelurahan_code", "kelurahan_name",
            "target_residents", "recorded_on_date", "recorded_to_date", "remaining", "coverage_pct", "published_at"],
            kel_rows)
        wh.bulk_insert(conn, "ektp_coverage.kecamatan_daily", [
            "report_date", "extract_date", "kecamatan_code", "kecamatan_name", "target_residents", "recorded_on_date",
            "recorded_to_date", "remaining", "coverage_pct", "published_at"], kec_rows)
        wh.bulk_insert(conn, "ektp_coverage.outreach_targets_daily", [
            "report_date", "kecamatan_code", "kelurahan_code", "kelurahan_name", "remaining", "remaining_aged_16_18",
            "published_at"], out_rows)
        wh.bulk_insert(conn, "ektp_coverage.site_daily", [
            "report_date", "site_code", "site_name", "batch_files", "rows_received", "rows_rejected", "rows_duplicate",
            "rows_accepted", "matched", "identity_mismatch", "not_in_extract", "published_at"], site_rows)
        wh.bulk_insert(conn, "ektp_coverage.rejections_daily", ["report_date", "reason", "rows", "published_at"],
                       rej_rows)
        wh.bulk_insert(conn, "ektp_coverage.files_daily", [
            "report_date", "kind", "file_path", "outcome", "reason", "site_code", "rows", "published_at"], files)
        wh.bulk_insert(conn, "ektp_coverage.site_funnel_daily", [
            "report_date", "site_code", "site_name", "recorded", "biometric_duplicate", "prr", "printed", "delivered",
            "activated", "awaiting_print_14d", "published_at"], funnel)
