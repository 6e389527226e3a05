-- Every occurrence of a repeated NIK is rejected (contract §2.4): none of them is a target.
WITH occurrence AS (
    SELECT nik FROM ektp_ingest.registry_resident WHERE extract_date = :extract_date
    UNION ALL
    SELECT nik FROM ektp_ingest.registry_nik_stage
), repeated AS (
    SELECT nik FROM occurrence GROUP BY nik HAVING count(*) > 1
)
DELETE FROM ektp_ingest.registry_resident
 WHERE extract_date = :extract_date
   AND nik IN (SELECT nik FROM repeated);
