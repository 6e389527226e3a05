-- The outreach list by name, in the restricted schema: the residents still unrecorded on the latest published
-- report date (ektp_coverage.outreach_targets_daily has their counts). A view, so a night writes none of the five
-- million residents: those of the list's extract in a known kelurahan, less the NIKs recorded by the list's date
-- (outreach_recorded_nik, kept by difference in ektp.outputs.outreach). Whether a resident is aged 16 to 18
-- depends on the date, so it is worked out here. A read of the whole list costs one scan of the extract and a
-- hash anti-join with the recorded NIKs (seconds at national size).
-- ektp.warehouse.migrate applies this file when its text changes (it replaced a table of the same name).
CREATE OR REPLACE VIEW ektp_quarantine.outreach_residents AS
SELECT l.report_date, r.extract_date, substr(r.kelurahan_code, 1, 8) AS kecamatan_code, r.kelurahan_code, r.nik,
       r.full_name, r.birth_date, r.sex,
       CASE WHEN r.birth_date <= l.born_by AND r.birth_date > l.born_after THEN TRUE ELSE FALSE END AS aged_16_18,
       l.written_at
  FROM ektp_quarantine.outreach_list l
  JOIN ektp_ingest.registry_resident r ON r.extract_date = l.extract_date
  JOIN ektp_ingest.region kel ON kel.region_code = r.kelurahan_code
 WHERE NOT EXISTS (SELECT 1 FROM ektp_quarantine.outreach_recorded_nik p WHERE p.nik = r.nik);
