-- The extract is in force from its date; its targets are the residents that passed validation.
INSERT INTO ektp_ingest.registry_extract (extract_date, file_path, rows_received, rows_rejected, target_residents)
SELECT :extract_date, :file_path, :rows_received, :rows_rejected, count(*)
  FROM ektp_ingest.registry_resident
 WHERE extract_date = :extract_date;
