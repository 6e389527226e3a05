-- Extract rows already quarantined for another reason whose NIK is repeated: keep all reasons.
UPDATE ektp_quarantine.rejected_row
   SET reasons = reasons || ',duplicate_nik'
 WHERE file_path = :file_path
   AND row_number IN (SELECT s.row_number
                        FROM ektp_ingest.registry_nik_stage s
                        JOIN ektp_ingest.registry_repeated_nik d ON d.nik = s.nik);
