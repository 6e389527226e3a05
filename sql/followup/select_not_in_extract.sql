SELECT file_path, row_number, nik, full_name, birth_date, sex, kelurahan_code_captured
  FROM ektp_quarantine.followup_not_in_extract
 WHERE report_date = :report_date
 ORDER BY file_path, row_number;
