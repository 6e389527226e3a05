-- Residents whose NIK occurs more than once in the extract, counting rows rejected for other reasons.
SELECT r.row_number
  FROM ektp_ingest.registry_resident r
  JOIN ektp_ingest.registry_repeated_nik d ON d.nik = r.nik
 WHERE r.extract_date = :extract_date;
