-- Everything the landed files :file_paths contributed, before they are reloaded or after they left the
-- landing area. One statement per table for a whole group of files (an IN list, expanded by the driver).
DELETE FROM ektp_ingest.recording WHERE file_path IN :file_paths;
DELETE FROM ektp_ingest.card_event WHERE file_path IN :file_paths;
DELETE FROM ektp_quarantine.rejected_row WHERE file_path IN :file_paths;
DELETE FROM ektp_quarantine.rejected_file WHERE file_path IN :file_paths;
DELETE FROM ektp_ingest.registry_resident
 WHERE extract_date IN (SELECT extract_date FROM ektp_ingest.registry_extract WHERE file_path IN :file_paths);
DELETE FROM ektp_ingest.extract_target
 WHERE extract_date IN (SELECT extract_date FROM ektp_ingest.registry_extract WHERE file_path IN :file_paths);
DELETE FROM ektp_ingest.registry_extract WHERE file_path IN :file_paths;
DELETE FROM ektp_ingest.file_manifest WHERE file_path IN :file_paths;
