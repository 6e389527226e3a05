-- Residents still unrecorded on the report date, by name (restricted): the same residents that
-- ektp_coverage.outreach_targets_daily counts. Holds one report date: the latest published.
-- Inserted in NIK order, the order of the primary key (report_date, nik): its index then grows at its end
-- instead of taking five million inserts at random places (BENCHMARKS.md has the national figures).
DELETE FROM ektp_quarantine.outreach_residents;
INSERT INTO ektp_quarantine.outreach_residents (
    report_date, extract_date, kecamatan_code, kelurahan_code, nik, full_name, birth_date, sex, aged_16_18,
    written_at
)
SELECT :report_date, i.extract_date, substr(r.kelurahan_code, 1, 8), r.kelurahan_code, r.nik, r.full_name,
       r.birth_date, r.sex,
       CASE WHEN r.birth_date <= :born_by AND r.birth_date > :born_after THEN TRUE ELSE FALSE END,
       :written_at
  FROM (SELECT max(e.extract_date) AS extract_date FROM ektp_ingest.registry_extract e
         WHERE e.extract_date <= :report_date) AS i
  JOIN ektp_ingest.registry_resident r ON r.extract_date = i.extract_date
  JOIN ektp_ingest.region kel ON kel.region_code = r.kelurahan_code
 WHERE NOT EXISTS (
       SELECT 1 FROM ektp_ingest.recording rec
        WHERE rec.nik = r.nik
          AND rec.reconciliation_status = 'matched'
          AND rec.extract_date = i.extract_date
          AND rec.recording_date BETWEEN i.extract_date AND :report_date)
 ORDER BY r.nik;
