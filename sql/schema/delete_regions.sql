DELETE FROM ektp_ingest.region;
