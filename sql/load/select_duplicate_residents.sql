-- Residents whose NIK occurs more than once in the extract, counting rows rejected for other reasons.
WITH occurrence AS (
    SELECT nik FROM ektp_ingest.registry_resident WHERE extract_date = :extract_date
    UNION ALL
    SELECT nik FROM ektp_ingest.registry_nik_stage
), repeated AS (
    SELECT nik FROM occurrence GROUP BY nik HAVING count(*) > 1
)
SELECT r.row_number
  FROM ektp_ingest.registry_resident r
  JOIN repeated d ON d.nik = r.nik
 WHERE r.extract_date = :extract_date;
