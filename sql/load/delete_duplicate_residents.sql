-- Every occurrence of a repeated NIK is rejected (contract §2.4): none of them is a target.
DELETE FROM ektp_ingest.registry_resident
 WHERE extract_date = :extract_date
   AND nik IN (SELECT nik FROM ektp_ingest.registry_repeated_nik);
