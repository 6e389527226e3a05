-- All sites of the date together, with the match rate of the sums (rounded half up as coverage_pct is).
SELECT rows_accepted, matched,
       CASE WHEN rows_accepted > 0
            THEN ((20000 * matched + rows_accepted) / (2 * rows_accepted)) / 100.0 END AS match_rate
  FROM (SELECT coalesce(CAST(sum(rows_accepted) AS BIGINT), 0) AS rows_accepted,
               coalesce(CAST(sum(matched) AS BIGINT), 0) AS matched
          FROM ektp_coverage.site_daily
         WHERE report_date = :report_date) AS sites;
