SELECT site_code, site_name, file_path, row_number, line_number, first_reason, reasons, batch_id, operator_id,
       recorded_at, nik, full_name, birth_date, sex, kelurahan_code, captured_text
  FROM ektp_quarantine.followup_redo
 WHERE report_date = :report_date
 ORDER BY site_code, file_path, row_number;
