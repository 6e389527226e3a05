-- Every published date up to the report date: targets and matched recordings (sums of kecamatan rows), and
-- their coverage_pct rounded half up as in select_totals.sql.
SELECT report_date, extract_date, target_residents, recorded_on_date, recorded_to_date,
       CASE WHEN target_residents > 0
            THEN ((20000 * recorded_to_date + target_residents) / (2 * target_residents)) / 100.0 END AS coverage_pct
  FROM (SELECT report_date, extract_date, CAST(sum(target_residents) AS BIGINT) AS target_residents,
               CAST(sum(recorded_on_date) AS BIGINT) AS recorded_on_date,
               CAST(sum(recorded_to_date) AS BIGINT) AS recorded_to_date
          FROM ektp_coverage.kecamatan_daily
         WHERE report_date <= :report_date
         GROUP BY report_date, extract_date) AS kecamatan
 ORDER BY report_date;
