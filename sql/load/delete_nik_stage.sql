-- The staging tables of the duplicate-NIK search of one extract: empty before and after it.
DELETE FROM ektp_ingest.registry_nik_stage;
DELETE FROM ektp_ingest.registry_repeated_nik;
