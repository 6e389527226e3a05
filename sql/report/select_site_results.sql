SELECT site_code, site_name, batch_files, rows_received, rows_rejected, rows_duplicate, rows_accepted, matched,
       identity_mismatch, not_in_extract
  FROM ektp_coverage.site_daily
 WHERE report_date = :report_date
 ORDER BY site_code;
