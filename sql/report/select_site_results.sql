-- Each site's rows of the date, and its match rate (matched of accepted) rounded half up as coverage_pct is.
SELECT site_code, site_name, batch_files, rows_received, rows_rejected, rows_duplicate, rows_accepted, matched,
       identity_mismatch, not_in_extract,
       CASE WHEN rows_accepted > 0
            THEN ((20000 * matched + rows_accepted) / (2 * rows_accepted)) / 100.0 END AS match_rate
  FROM ektp_coverage.site_daily
 WHERE report_date = :report_date
 ORDER BY site_code;
