-- The outreach list by name, in the restricted schema: the residents still unrecorded on the latest published
-- report date (ektp_coverage.outreach_targets_daily has their counts). A view over the list kept incrementally
-- (ektp.outputs.outreach): its rows, and the one row saying which date and extract they are for. Whether a
-- resident is aged 16 to 18 depends on the date, so it is worked out here, not stored.
-- ektp.warehouse.migrate applies this file when its text changes (it replaced a table of the same name).
CREATE OR REPLACE VIEW ektp_quarantine.outreach_residents AS
SELECT l.report_date, u.extract_date, u.kecamatan_code, u.kelurahan_code, u.nik, u.full_name, u.birth_date, u.sex,
       CASE WHEN u.birth_date <= l.born_by AND u.birth_date > l.born_after THEN TRUE ELSE FALSE END AS aged_16_18,
       u.written_at
  FROM ektp_quarantine.outreach_unrecorded u
  JOIN ektp_quarantine.outreach_list l ON l.extract_date = u.extract_date;
