SELECT file_path, row_number, suggestion_rank, nik, full_name, birth_date, sex, kelurahan_code, score
  FROM ektp_quarantine.followup_suggestion
 WHERE report_date = :report_date
 ORDER BY file_path, row_number, suggestion_rank;
