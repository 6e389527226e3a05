-- Cards awaiting print more than 14 days, per kecamatan (contract §6.3's awaiting_print_14d: stage recorded or
-- prr, recorded on or before :awaiting_since = report date minus 14 days), with the oldest recording date.
-- A recording's kecamatan is its resident's in the extract (matched rows), or else its NIK's region digits
-- (where the NIK was issued); names from the current Kemendagri list. Stages from sql/shared/card_stages.sql,
-- from the events dated up to :report_date.
WITH
\ir ../shared/card_stages.sql
, waiting AS (
    SELECT s.recording_date,
           coalesce(substr(rec.resident_kelurahan_code, 1, 8),
                    substr(rec.nik, 1, 2) || '.' || substr(rec.nik, 3, 2) || '.' || substr(rec.nik, 5, 2))
               AS kecamatan_code
      FROM card_staged s
      JOIN ektp_ingest.recording rec ON rec.file_path = s.file_path AND rec.row_number = s.row_number
     WHERE s.stage IN (0, 1)
       AND s.recording_date <= :awaiting_since
)
SELECT w.kecamatan_code, coalesce(max(r.region_name), '') AS kecamatan_name, count(*) AS awaiting_print_14d,
       min(w.recording_date) AS oldest_recording
  FROM waiting w
  LEFT JOIN ektp_ingest.region r ON r.region_code = w.kecamatan_code
 GROUP BY w.kecamatan_code
 ORDER BY awaiting_print_14d DESC, w.kecamatan_code;
