-- The NIKs that occur more than once in the extract, counting rows rejected for other reasons
-- (registry_nik_stage): grouped once, then used by the statements that flag and remove them.
DELETE FROM ektp_ingest.registry_repeated_nik;
INSERT INTO ektp_ingest.registry_repeated_nik (nik)
SELECT nik
  FROM (SELECT nik FROM ektp_ingest.registry_resident WHERE extract_date = :extract_date
        UNION ALL
        SELECT nik FROM ektp_ingest.registry_nik_stage) AS occurrence
 GROUP BY nik
HAVING count(*) > 1;
