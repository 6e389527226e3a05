-- Valid residents of an extract per kelurahan, counted in SQL (the loader counts them as it reads;
-- this is for an extract whose duplicate NIKs removed residents after they were counted, and for
-- extracts loaded before extract_target existed: warehouse.migrate).
INSERT INTO ektp_ingest.extract_target (extract_date, kelurahan_code, target_residents)
SELECT extract_date, kelurahan_code, count(*)
  FROM ektp_ingest.registry_resident
 WHERE extract_date = :extract_date
 GROUP BY extract_date, kelurahan_code;
