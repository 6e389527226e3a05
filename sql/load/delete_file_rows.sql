-- Everything one landed file contributed, before it is reloaded or after it left the landing area.
DELETE FROM ektp_ingest.recording WHERE file_path = :file_path;
DELETE FROM ektp_quarantine.rejected_row WHERE file_path = :file_path;
DELETE FROM ektp_quarantine.rejected_file WHERE file_path = :file_path;
DELETE FROM ektp_ingest.registry_resident
 WHERE extract_date IN (SELECT extract_date FROM ektp_ingest.registry_extract WHERE file_path = :file_path);
DELETE FROM ektp_ingest.registry_extract WHERE file_path = :file_path;
DELETE FROM ektp_ingest.file_manifest WHERE file_path = :file_path;
