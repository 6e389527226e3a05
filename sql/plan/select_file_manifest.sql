SELECT file_path, file_kind, file_date, sha256, size_bytes, modified_ns, changed_ns, status, duplicate_of, reason,
       row_count, rows_rejected
  FROM ektp_ingest.file_manifest;
