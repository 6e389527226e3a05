-- Upgrade: files rejected before file_manifest.reason_code existed get their code from their reason text,
-- as ektp.ingest.manifest.file_reason_code words it (contract §4, files_daily).
UPDATE ektp_ingest.file_manifest
   SET reason_code = CASE
           WHEN reason LIKE 'not UTF-8%' OR reason LIKE 'not a text file%' THEN 'not_utf8'
           WHEN reason LIKE 'missing required column%' THEN 'missing_column'
           WHEN reason LIKE 'implausible_extract%' THEN 'implausible_extract'
           ELSE 'bad_header'
       END
 WHERE status = 'rejected_file';
