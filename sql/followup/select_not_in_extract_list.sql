SELECT site_code, site_name, file_path, row_number, recorded_at, operator_id, nik, full_name, birth_date, sex,
       kelurahan_code_captured
  FROM ektp_quarantine.followup_not_in_extract
 WHERE report_date = :report_date
 ORDER BY site_code, file_path, row_number;
