-- Kecamatan totals are the sums of their kelurahan rows just published, so the two always agree.
-- coverage_pct is rounded half up with integer arithmetic as in insert_kelurahan_daily.sql. The sums are
-- cast back to BIGINT first: PostgreSQL's sum(bigint) is NUMERIC, whose division is not integer division
-- (0 of 1 target would give 0.005, stored as 0.01).
INSERT INTO ektp_coverage.kecamatan_daily (
    report_date, extract_date, kecamatan_code, kecamatan_name, target_residents, recorded_on_date,
    recorded_to_date, remaining, coverage_pct, published_at
)
SELECT report_date, extract_date, kecamatan_code, kecamatan_name,
       target_residents, recorded_on_date, recorded_to_date,
       target_residents - recorded_to_date,
       ((20000 * recorded_to_date + target_residents) / (2 * target_residents)) / 100.0,
       :published_at
  FROM (SELECT report_date, extract_date, kecamatan_code, kecamatan_name,
               CAST(sum(target_residents) AS BIGINT) AS target_residents,
               CAST(sum(recorded_on_date) AS BIGINT) AS recorded_on_date,
               CAST(sum(recorded_to_date) AS BIGINT) AS recorded_to_date
          FROM ektp_coverage.kelurahan_daily
         WHERE report_date IN (SELECT report_date FROM ektp_ingest.publish_queue)
         GROUP BY report_date, extract_date, kecamatan_code, kecamatan_name) AS kecamatan;
