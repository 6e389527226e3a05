-- Every landed CSV file of the report date and what became of it (contract §4, files_daily): the uploads that
-- need someone first (rejected, then duplicate deliveries), then the loaded ones; by path within each.
SELECT kind, file_path, outcome, reason, site_code, rows
  FROM ektp_coverage.files_daily
 WHERE report_date = :report_date
 ORDER BY CASE outcome WHEN 'rejected' THEN 0 WHEN 'duplicate_delivery' THEN 1 ELSE 2 END, file_path;
