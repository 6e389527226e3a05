-- Batch files of the date rejected whole: the field team sends them again (files_daily, outcome rejected).
SELECT file_path, coalesce(reason_code, '') AS reason_code, reason
  FROM ektp_ingest.file_manifest
 WHERE file_kind = 'batch' AND status = 'rejected_file' AND file_date = :report_date
 ORDER BY file_path;
