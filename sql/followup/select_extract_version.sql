-- Which load of an extract is in force: its file's sha256 and validation time (a re-landed extract changes them).
SELECT m.sha256, m.validated_at
  FROM ektp_ingest.registry_extract e
  JOIN ektp_ingest.file_manifest m ON m.file_path = e.file_path
 WHERE e.extract_date = :extract_date;
