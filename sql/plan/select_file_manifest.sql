SELECT file_path, file_kind, file_date, sha256, size_bytes, modified_ns, changed_ns, status, reason, duplicate_of
  FROM ektp_ingest.file_manifest;
