-- A date's recordings not in the extract for the site lists, with the batch and line of the row in its file.
SELECT f.site_code, f.site_name, f.file_path, f.row_number, rec.batch_id, rec.line_number, f.recorded_at,
       f.operator_id, f.nik, f.full_name, f.birth_date, f.sex, f.kelurahan_code_captured
  FROM ektp_quarantine.followup_not_in_extract f
  LEFT JOIN ektp_ingest.recording rec ON rec.file_path = f.file_path AND rec.row_number = f.row_number
 WHERE f.report_date = :report_date
 ORDER BY f.site_code, f.file_path, f.row_number;
