-- Every extract with a plausibility verdict (ektp.ingest.plausibility): loaded, or refused as implausible (such a
-- refusal keeps its counts, so it can be judged again without reading the file). :refused is the reason's
-- prefix, 'implausible_extract%'.
SELECT file_path, file_date, sha256, size_bytes, modified_ns, changed_ns, row_count, rows_rejected, status
  FROM ektp_ingest.file_manifest
 WHERE file_kind = 'registry'
   AND (status = 'loaded' OR (status = 'rejected_file' AND reason LIKE :refused));
