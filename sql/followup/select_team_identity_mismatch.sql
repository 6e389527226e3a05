-- A date's identity mismatches for the site lists, with the batch and line of the row in its file.
SELECT f.site_code, f.site_name, f.file_path, f.row_number, rec.batch_id, rec.line_number, f.recorded_at,
       f.operator_id, f.nik, f.full_name, f.birth_date, f.sex, f.extract_full_name, f.extract_birth_date,
       f.extract_sex, f.extract_kelurahan_code, f.differs
  FROM ektp_quarantine.followup_identity_mismatch f
  LEFT JOIN ektp_ingest.recording rec ON rec.file_path = f.file_path AND rec.row_number = f.row_number
 WHERE f.report_date = :report_date
 ORDER BY f.site_code, f.file_path, f.row_number;
