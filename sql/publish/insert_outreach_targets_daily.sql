-- Outreach targets of one queued report date (issue #8): residents of the extract in force with no
-- matched recording from extract_date to report_date, per kelurahan (that is kelurahan_daily.remaining),
-- and of those the ones aged 16 to 18 on report_date: the extract's residents in that age band
-- (outreach_band, filled from publish/select_outreach_band) minus the band's matched recordings (a matched
-- row has the resident's birth date and keeps its kelurahan; each resident is matched at most once). Age
-- bounds come as parameters (computed once, the same way on both warehouses): :born_by = report_date minus
-- 16 years, :born_after = report_date minus 19 years.
WITH in_force AS (
    SELECT max(e.extract_date) AS extract_date
      FROM ektp_ingest.registry_extract e
     WHERE e.extract_date <= :report_date
), in_band_recorded AS (
    SELECT rec.resident_kelurahan_code COLLATE "C" AS kelurahan_code, count(*) AS residents
      FROM in_force i
      JOIN ektp_ingest.recording rec
        ON rec.reconciliation_status = 'matched'
       AND rec.extract_date = i.extract_date
       AND rec.recording_date BETWEEN i.extract_date AND :report_date
     WHERE rec.birth_date <= :born_by AND rec.birth_date > :born_after
     GROUP BY rec.resident_kelurahan_code COLLATE "C"
)
INSERT INTO ektp_coverage.outreach_targets_daily (
    report_date, kecamatan_code, kelurahan_code, kelurahan_name, remaining, remaining_aged_16_18, published_at
)
SELECT k.report_date, k.kecamatan_code, k.kelurahan_code, k.kelurahan_name,
       k.remaining, coalesce(b.residents, 0) - coalesce(m.residents, 0), :published_at
  FROM ektp_coverage.kelurahan_daily k
  LEFT JOIN outreach_band b ON b.kelurahan_code = k.kelurahan_code
  LEFT JOIN in_band_recorded m ON m.kelurahan_code = k.kelurahan_code
 WHERE k.report_date = :report_date;
DROP TABLE outreach_band;
