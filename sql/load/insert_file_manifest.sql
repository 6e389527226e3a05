INSERT INTO ektp_ingest.file_manifest (
    file_path, file_kind, file_date, sha256, size_bytes, modified_ns, changed_ns, row_count, rows_rejected, status, reason, reason_code,
    duplicate_of, site_code, site_name, validated_at, run_id
) VALUES (
    :file_path, :file_kind, :file_date, :sha256, :size_bytes, :modified_ns, :changed_ns, :row_count, :rows_rejected, :status, :reason, :reason_code,
    :duplicate_of, :site_code, :site_name, :validated_at, :run_id
);
