-- The extract is in force from its date; its targets are the residents that passed validation, already
-- counted per kelurahan in extract_target (for every date it will be published on).
INSERT INTO ektp_ingest.registry_extract (extract_date, file_path, rows_received, rows_rejected, target_residents)
SELECT :extract_date, :file_path, :rows_received, :rows_rejected, CAST(coalesce(sum(target_residents), 0) AS BIGINT)
  FROM ektp_ingest.extract_target
 WHERE extract_date = :extract_date;
