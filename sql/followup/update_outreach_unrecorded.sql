-- The outreach list by name brought up to date for the same extract: residents recorded since it was last
-- written leave it; residents whose match went away since (a corrected file, a retracted date) come back.
-- Then the NIKs counted as recorded become those recorded now. Each step touches the difference only.
DELETE FROM ektp_quarantine.outreach_unrecorded
 WHERE nik IN (SELECT n.nik FROM ektp_quarantine.outreach_recorded_now n
                WHERE NOT EXISTS (SELECT 1 FROM ektp_quarantine.outreach_recorded_nik p WHERE p.nik = n.nik));
INSERT INTO ektp_quarantine.outreach_unrecorded (
    nik, extract_date, kecamatan_code, kelurahan_code, full_name, birth_date, sex, written_at
)
SELECT r.nik, r.extract_date, substr(r.kelurahan_code, 1, 8), r.kelurahan_code, r.full_name, r.birth_date, r.sex,
       :written_at
  FROM ektp_ingest.registry_resident r
  JOIN ektp_ingest.region kel ON kel.region_code = r.kelurahan_code
 WHERE r.extract_date = :extract_date
   AND r.nik IN (SELECT p.nik FROM ektp_quarantine.outreach_recorded_nik p
                  WHERE NOT EXISTS (SELECT 1 FROM ektp_quarantine.outreach_recorded_now n WHERE n.nik = p.nik))
 ORDER BY r.nik;
DELETE FROM ektp_quarantine.outreach_recorded_nik AS p
 WHERE NOT EXISTS (SELECT 1 FROM ektp_quarantine.outreach_recorded_now n WHERE n.nik = p.nik);
INSERT INTO ektp_quarantine.outreach_recorded_nik (nik)
SELECT n.nik FROM ektp_quarantine.outreach_recorded_now n
 WHERE NOT EXISTS (SELECT 1 FROM ektp_quarantine.outreach_recorded_nik p WHERE p.nik = n.nik);
DELETE FROM ektp_quarantine.outreach_recorded_now;
