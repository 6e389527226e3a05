-- Accepted recordings of the date whose NIK is not in the extract in force (suggestions are added apart).
INSERT INTO ektp_quarantine.followup_not_in_extract (
    report_date, site_code, site_name, file_path, row_number, recorded_at, operator_id, nik, full_name,
    birth_date, sex, kelurahan_code_captured, extract_date, written_at
)
SELECT rec.recording_date, coalesce(m.site_code, ''), m.site_name, rec.file_path, rec.row_number,
       rec.recorded_at, rec.operator_id, rec.nik, rec.full_name, rec.birth_date, rec.sex,
       rec.kelurahan_code_captured, rec.extract_date, :written_at
  FROM ektp_ingest.recording rec
  JOIN ektp_ingest.file_manifest m ON m.file_path = rec.file_path AND m.status = 'loaded'
 WHERE rec.recording_date = :report_date
   AND rec.reconciliation_status = 'not_in_extract';
