-- The site names of one report date's funnel (contract §6.3: the smallest non-empty name of the site's files).
SELECT site_code, site_name
  FROM ektp_coverage.site_funnel_daily
 WHERE report_date = :report_date
 ORDER BY site_code;
