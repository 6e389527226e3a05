-- The sha256 of the text of a versioned schema file when it was last applied (none: never).
SELECT sha256 FROM ektp_ingest.schema_version WHERE sql_file = :name;
