-- The rows of a report date scored for suggestions when its lists were last written, and how.
SELECT file_path, row_number, query_digest, extract_version
  FROM ektp_quarantine.followup_scored
 WHERE report_date = :report_date;
