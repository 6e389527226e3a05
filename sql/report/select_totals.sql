-- The report's and the coverage table's totals of one published date: sums of the kecamatan rows, and their
-- coverage_pct rounded half up exactly as insert_kelurahan_daily.sql rounds each row's (the one rule:
-- floor((20000 * recorded + target) / (2 * target)) / 100, in integers). The sums are cast back to BIGINT
-- first: PostgreSQL's sum(bigint) is NUMERIC, whose division is not integer division.
SELECT target_residents, recorded_on_date, recorded_to_date, remaining,
       CASE WHEN target_residents > 0
            THEN ((20000 * recorded_to_date + target_residents) / (2 * target_residents)) / 100.0 END AS coverage_pct
  FROM (SELECT coalesce(CAST(sum(target_residents) AS BIGINT), 0) AS target_residents,
               coalesce(CAST(sum(recorded_on_date) AS BIGINT), 0) AS recorded_on_date,
               coalesce(CAST(sum(recorded_to_date) AS BIGINT), 0) AS recorded_to_date,
               coalesce(CAST(sum(remaining) AS BIGINT), 0) AS remaining
          FROM ektp_coverage.kecamatan_daily
         WHERE report_date = :report_date) AS kecamatan;
