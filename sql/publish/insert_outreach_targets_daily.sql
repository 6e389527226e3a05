-- Outreach targets of one queued report date (issue #8): residents of the extract in force with no
-- matched recording from extract_date to report_date, per kelurahan (the rows of kelurahan_daily, and
-- remaining equals its remaining), and of those the ones aged 16 to 18 on report_date. Age bounds
-- come as parameters (computed once, the same way on both warehouses): :born_by = report_date minus
-- 16 years, :born_after = report_date minus 19 years.
WITH in_force AS (
    SELECT max(e.extract_date) AS extract_date
      FROM ektp_ingest.registry_extract e
     WHERE e.extract_date <= :report_date
), unrecorded AS (
    -- counted per kelurahan before the join: one row each, not one per unrecorded resident
    SELECT r.kelurahan_code, count(*) AS remaining,
           sum(CASE WHEN r.birth_date <= :born_by AND r.birth_date > :born_after THEN 1 ELSE 0 END) AS aged_16_18
      FROM in_force i
      JOIN ektp_ingest.registry_resident r ON r.extract_date = i.extract_date
     WHERE NOT EXISTS (
           SELECT 1 FROM ektp_ingest.recording rec
            WHERE rec.nik = r.nik
              AND rec.reconciliation_status = 'matched'
              AND rec.extract_date = i.extract_date
              AND rec.recording_date BETWEEN i.extract_date AND :report_date)
     GROUP BY r.kelurahan_code
)
INSERT INTO ektp_coverage.outreach_targets_daily (
    report_date, kecamatan_code, kelurahan_code, kelurahan_name, remaining, remaining_aged_16_18, published_at
)
SELECT k.report_date, k.kecamatan_code, k.kelurahan_code, k.kelurahan_name,
       coalesce(u.remaining, 0), coalesce(u.aged_16_18, 0), :published_at
  FROM ektp_coverage.kelurahan_daily k
  LEFT JOIN unrecorded u ON u.kelurahan_code = k.kelurahan_code
 WHERE k.report_date = :report_date;
