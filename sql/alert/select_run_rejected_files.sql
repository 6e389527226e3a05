-- The files one run rejected whole, or refused (an implausible extract): where they are and why, never rows.
SELECT file_path, file_kind, file_date, reason_code
  FROM ektp_ingest.file_manifest
 WHERE run_id = :run_id
   AND status = 'rejected_file'
 ORDER BY file_kind, file_path;
