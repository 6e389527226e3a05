-- How long cards took from recording to hand-over, per site, as counts of (recording date, hand-over date):
-- the report takes the median per site from them (the same on both warehouses, whose date arithmetic
-- differs). Stages as sql/publish/insert_site_funnel_daily.sql (contract §6.2), from the events dated up to the
-- report date: a recording counts once its stage is delivered or activated; handed_over_date is its first
-- delivered (or, without one, activated) event's date. Parameters: :report_date.
WITH accepted AS (
    SELECT rec.file_path, rec.row_number, rec.nik, rec.recording_date, coalesce(m.site_code, '') AS site_code
      FROM ektp_ingest.recording rec
      JOIN ektp_ingest.file_manifest m ON m.file_path = rec.file_path
     WHERE rec.duplicate_status = 'accepted'
       AND rec.recording_date <= :report_date
), staged AS (
    SELECT a.site_code, a.recording_date,
           CASE WHEN max(CASE WHEN e.event = 'biometric_duplicate' THEN e.event_at END) IS NOT NULL
                 AND (max(CASE WHEN e.event = 'prr' THEN e.event_at END) IS NULL
                      OR max(CASE WHEN e.event = 'biometric_duplicate' THEN e.event_at END)
                         >= max(CASE WHEN e.event = 'prr' THEN e.event_at END))
                THEN -1
                ELSE coalesce(max(CASE e.event WHEN 'activated' THEN 4 WHEN 'delivered' THEN 3
                                               WHEN 'printed' THEN 2 WHEN 'prr' THEN 1 END), 0)
           END AS stage,
           coalesce(min(CASE WHEN e.event = 'delivered' THEN e.event_date END),
                    min(CASE WHEN e.event = 'activated' THEN e.event_date END)) AS handed_over_date
      FROM accepted a
      JOIN ektp_ingest.card_event e
        ON e.nik = a.nik
       AND e.event_date >= a.recording_date
       AND e.event_date <= :report_date
     GROUP BY a.file_path, a.row_number, a.site_code, a.recording_date
)
SELECT site_code, recording_date, handed_over_date, count(*) AS cards
  FROM staged
 WHERE stage >= 3
 GROUP BY site_code, recording_date, handed_over_date
 ORDER BY site_code, recording_date, handed_over_date;
