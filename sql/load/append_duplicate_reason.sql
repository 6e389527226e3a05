-- Extract rows already quarantined for another reason whose NIK is repeated: keep all reasons.
WITH occurrence AS (
    SELECT nik FROM ektp_ingest.registry_resident WHERE extract_date = :extract_date
    UNION ALL
    SELECT nik FROM ektp_ingest.registry_nik_stage
), repeated AS (
    SELECT nik FROM occurrence GROUP BY nik HAVING count(*) > 1
)
UPDATE ektp_quarantine.rejected_row
   SET reasons = reasons || ',duplicate_nik'
 WHERE file_path = :file_path
   AND row_number IN (SELECT s.row_number FROM ektp_ingest.registry_nik_stage s JOIN repeated d ON d.nik = s.nik);
