-- The outreach list by name built whole (a new extract in force, or no list yet): every resident of the
-- extract in a known kelurahan who is not recorded now (outreach_recorded_now). Inserted in NIK order, the
-- order of the primary key: its index then grows at its end instead of taking five million inserts at random
-- places (BENCHMARKS.md has the national figures).
DELETE FROM ektp_quarantine.outreach_unrecorded;
DELETE FROM ektp_quarantine.outreach_recorded_nik;
INSERT INTO ektp_quarantine.outreach_recorded_nik (nik) SELECT n.nik FROM ektp_quarantine.outreach_recorded_now n;
INSERT INTO ektp_quarantine.outreach_unrecorded (
    nik, extract_date, kecamatan_code, kelurahan_code, full_name, birth_date, sex, written_at
)
SELECT r.nik, r.extract_date, substr(r.kelurahan_code, 1, 8), r.kelurahan_code, r.full_name, r.birth_date, r.sex,
       :written_at
  FROM ektp_ingest.registry_resident r
  JOIN ektp_ingest.region kel ON kel.region_code = r.kelurahan_code
 WHERE r.extract_date = :extract_date
   AND NOT EXISTS (SELECT 1 FROM ektp_quarantine.outreach_recorded_now n WHERE n.nik = r.nik)
 ORDER BY r.nik;
DELETE FROM ektp_quarantine.outreach_recorded_now;
