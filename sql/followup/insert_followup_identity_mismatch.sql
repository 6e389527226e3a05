-- Accepted recordings of the date whose NIK is in the extract in force with another birth date or sex,
-- beside the extract's values. The site is the file's site, as in ektp_coverage.site_daily.
INSERT INTO ektp_quarantine.followup_identity_mismatch (
    report_date, site_code, site_name, file_path, row_number, recorded_at, operator_id, nik, full_name,
    birth_date, sex, extract_date, extract_full_name, extract_birth_date, extract_sex, extract_kelurahan_code,
    differs, written_at
)
SELECT rec.recording_date, coalesce(m.site_code, ''), m.site_name, rec.file_path, rec.row_number,
       rec.recorded_at, rec.operator_id, rec.nik, rec.full_name, rec.birth_date, rec.sex,
       rec.extract_date, res.full_name, res.birth_date, res.sex, res.kelurahan_code,
       CASE WHEN res.birth_date <> rec.birth_date AND res.sex <> rec.sex THEN 'birth_date,sex'
            WHEN res.birth_date <> rec.birth_date THEN 'birth_date'
            ELSE 'sex' END,
       :written_at
  FROM ektp_ingest.recording rec
  JOIN ektp_ingest.file_manifest m ON m.file_path = rec.file_path AND m.status = 'loaded'
  JOIN ektp_ingest.registry_resident res ON res.extract_date = rec.extract_date AND res.nik = rec.nik
 WHERE rec.recording_date = :report_date
   AND rec.reconciliation_status = 'identity_mismatch';
