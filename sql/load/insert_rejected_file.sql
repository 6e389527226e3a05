INSERT INTO ektp_quarantine.rejected_file (file_path, file_kind, file_date, sha256, reason, reason_code, rejected_at,
                                           run_id)
VALUES (:file_path, :file_kind, :file_date, :sha256, :reason, :reason_code, :rejected_at, :run_id);
