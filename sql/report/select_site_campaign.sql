-- Every outreach site over the campaign to date (every published date up to the report date, whatever extract
-- was in force): its rows, matched recordings, and match rate rounded half up as coverage_pct is. The best
-- first. site_name: the smallest non-empty name the site had on any of those dates.
SELECT site_code, site_name, days, rows_received, rows_accepted, matched,
       CASE WHEN rows_accepted > 0
            THEN ((20000 * matched + rows_accepted) / (2 * rows_accepted)) / 100.0 END AS match_rate
  FROM (SELECT site_code, coalesce(min(CASE WHEN site_name <> '' THEN site_name END), '') AS site_name,
               count(*) AS days, CAST(sum(rows_received) AS BIGINT) AS rows_received,
               CAST(sum(rows_accepted) AS BIGINT) AS rows_accepted, CAST(sum(matched) AS BIGINT) AS matched
          FROM ektp_coverage.site_daily
         WHERE report_date <= :report_date
         GROUP BY site_code) AS campaign
 ORDER BY matched DESC, site_code;
