DELETE FROM ektp_ingest.schema_version WHERE sql_file = :name;
INSERT INTO ektp_ingest.schema_version (sql_file, sha256, applied_at) VALUES (:name, :digest, :applied_at);
