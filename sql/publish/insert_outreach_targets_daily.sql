-- Outreach targets of one queued report date: residents of the extract in force with no
-- matched recording from extract_date to report_date, per kelurahan (that is kelurahan_daily.remaining),
-- and of those the ones aged 16 to 18 on report_date: the extract's residents in that age band
-- (outreach_band, filled from publish/select_outreach_band) minus the band's matched recordings (a matched
-- row has the resident's birth date and keeps its kelurahan; each resident is matched at most once). Age
-- bounds come as parameters (computed once, the same way on both warehouses): :born_by = report_date minus
-- 16 years, :born_after = report_date minus 19 years.
--
-- The three per-kelurahan sources are stacked and grouped, not joined. The date's kelurahan_daily rows
-- were inserted a moment ago in this transaction, so PostgreSQL's statistics (which hold every earlier
-- date in their most-common-values list) estimate ONE row for this date; a join then became a nested
-- loop over 84,000 x 84,000 kelurahan at national size. A grouping costs the
-- same whatever the estimate. Only kelurahan of kelurahan_daily are published (HAVING), as a left join
-- from it would.
WITH in_force AS (
    SELECT max(e.extract_date) AS extract_date
      FROM ektp_ingest.registry_extract e
     WHERE e.extract_date <= :report_date
), per_kelurahan AS (
    SELECT k.kelurahan_code COLLATE "C" AS kelurahan_code, k.kecamatan_code, k.kelurahan_name, k.remaining,
           0 AS in_band, 0 AS in_band_recorded, 1 AS published
      FROM ektp_coverage.kelurahan_daily k
     WHERE k.report_date = :report_date
    UNION ALL
    SELECT b.kelurahan_code COLLATE "C", NULL, NULL, 0, b.residents, 0, 0
      FROM outreach_band b
    UNION ALL
    SELECT rec.resident_kelurahan_code COLLATE "C", NULL, NULL, 0, 0, count(*), 0
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
SELECT :report_date, max(kecamatan_code), kelurahan_code, max(kelurahan_name), sum(remaining),
       sum(in_band) - sum(in_band_recorded), :published_at
  FROM per_kelurahan
 GROUP BY kelurahan_code
HAVING max(published) = 1;
DROP TABLE outreach_band;
