-- Rejected batch rows of the date's loaded files (what rejections_daily counts), with the file's site.
SELECT r.file_path, r.row_number, r.line_number, r.first_reason, r.reasons, r.raw_record,
       coalesce(m.site_code, '') AS site_code, m.site_name
  FROM ektp_quarantine.rejected_row r
  JOIN ektp_ingest.file_manifest m ON m.file_path = r.file_path AND m.status = 'loaded'
 WHERE r.file_kind = 'batch'
   AND r.file_date = :report_date
 ORDER BY r.file_path, r.row_number;
