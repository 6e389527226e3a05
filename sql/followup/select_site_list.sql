-- Every site with a loaded batch file on the date: each gets a follow-up CSV, empty or not.
SELECT DISTINCT coalesce(site_code, '') AS site_code
  FROM ektp_ingest.file_manifest
 WHERE file_kind = 'batch' AND status = 'loaded' AND file_date = :report_date
 ORDER BY 1;
