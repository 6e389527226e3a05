SELECT site_code, site_name, file_path, row_number, recorded_at, operator_id, nik, full_name, birth_date, sex,
       extract_full_name, extract_birth_date, extract_sex, extract_kelurahan_code, differs
  FROM ektp_quarantine.followup_identity_mismatch
 WHERE report_date = :report_date
 ORDER BY site_code, file_path, row_number;
