-- A file read again with the same bytes: its new times, so later runs need not read it (only if the bytes
-- recorded are still the ones read).
UPDATE ektp_ingest.file_manifest
   SET modified_ns = :modified_ns, changed_ns = :changed_ns
 WHERE file_path = :file_path AND sha256 = :sha256;
