-- Cards awaiting print more than 14 days, per kecamatan (contract §6.3's awaiting_print_14d: stage recorded or
-- prr, recorded on or before :awaiting_since = report date minus 14 days), with the oldest recording date.
-- A recording's kecamatan is its resident's in the extract (matched rows), or else its NIK's region digits
-- (where the NIK was issued); names from the current Kemendagri list. Stages as
-- sql/publish/insert_site_funnel_daily.sql, from the events dated up to :report_date.
WITH accepted AS (
    SELECT rec.file_path, rec.row_number, rec.nik, rec.recording_date,
           coalesce(substr(rec.resident_kelurahan_code, 1, 8),
                    substr(rec.nik, 1, 2) || '.' || substr(rec.nik, 3, 2) || '.' || substr(rec.nik, 5, 2))
               AS kecamatan_code
      FROM ektp_ingest.recording rec
     WHERE rec.duplicate_status = 'accepted'
       AND rec.recording_date <= :awaiting_since
), staged AS (
    SELECT a.kecamatan_code, a.recording_date,
           CASE WHEN max(CASE WHEN e.event = 'biometric_duplicate' THEN e.event_at END) IS NOT NULL
                 AND (max(CASE WHEN e.event = 'prr' THEN e.event_at END) IS NULL
                      OR max(CASE WHEN e.event = 'biometric_duplicate' THEN e.event_at END)
                         >= max(CASE WHEN e.event = 'prr' THEN e.event_at END))
                THEN -1
                ELSE coalesce(max(CASE e.event WHEN 'activated' THEN 4 WHEN 'delivered' THEN 3
                                               WHEN 'printed' THEN 2 WHEN 'prr' THEN 1 END), 0)
           END AS stage
      FROM accepted a
      LEFT JOIN ektp_ingest.card_event e
        ON e.nik = a.nik
       AND e.event_date >= a.recording_date
       AND e.event_date <= :report_date
     GROUP BY a.file_path, a.row_number, a.kecamatan_code, a.recording_date
)
SELECT s.kecamatan_code, coalesce(max(r.region_name), '') AS kecamatan_name, count(*) AS awaiting_print_14d,
       min(s.recording_date) AS oldest_recording
  FROM staged s
  LEFT JOIN ektp_ingest.region r ON r.region_code = s.kecamatan_code
 WHERE s.stage IN (0, 1)
 GROUP BY s.kecamatan_code
 ORDER BY awaiting_print_14d DESC, s.kecamatan_code;
