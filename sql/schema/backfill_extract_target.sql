-- Upgrade of a warehouse loaded before extract_target existed: count the targets of every extract that
-- has none yet (nothing to do, and an index lookup per extract, once they are all counted).
INSERT INTO ektp_ingest.extract_target (extract_date, kelurahan_code, target_residents)
SELECT r.extract_date, r.kelurahan_code, count(*)
  FROM ektp_ingest.registry_resident r
 WHERE r.extract_date IN (SELECT e.extract_date FROM ektp_ingest.registry_extract e
                           WHERE NOT EXISTS (SELECT 1 FROM ektp_ingest.extract_target t
                                              WHERE t.extract_date = e.extract_date))
 GROUP BY r.extract_date, r.kelurahan_code;
