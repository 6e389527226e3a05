SELECT count(*) AS regions FROM ektp_ingest.region;
