-- The card funnel of every outreach site on ONE report date (contract §6.2, §6.3), recomputed from everything
-- loaded, so it does not depend on the order in which batch and card-event files arrived. Run once per queued
-- date, after resolve/update_recording_status (it reads duplicate_status). Parameters:
--   :report_date     the date published
--   :awaiting_since  report_date minus 14 days, computed by the caller (date arithmetic is spelled differently
--                    on PostgreSQL and SQLite; ISO dates compare the same on both)
--   :published_at    the publish time
--
-- Every accepted recording (any reconciliation status) recorded on or before report_date counts under the
-- site of its file (the manifest's site_code, as in site_daily). Its linked events are its NIK's card events
-- dated from its recording date to report_date: an event dated before the recording does not link, nor does
-- one dated after report_date. A NIK has at most one accepted recording (contract §2.3). Its stage, as a number:
--   -1  biometric_duplicate: its latest prr or biometric_duplicate event by event_at is a biometric_duplicate
--       (a tie goes to biometric_duplicate), whatever was printed or delivered after it;
--   otherwise its furthest event: 4 activated, 3 delivered, 2 printed, 1 prr, 0 recorded (no event).
-- A stage implies the earlier ones: the printed column counts stages 2 to 4, so a card printed without a prr
-- event is print-ready too. awaiting_print_14d: stage 0 or 1, recorded on or before :awaiting_since.
-- One pass: the recordings joined to their events, grouped per recording, then per site.
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
           END AS stage
      FROM accepted a
      LEFT JOIN ektp_ingest.card_event e
        ON e.nik = a.nik
       AND e.event_date >= a.recording_date
       AND e.event_date <= :report_date
     GROUP BY a.file_path, a.row_number, a.site_code, a.recording_date
), site_name AS (
    -- the smallest non-empty name of the site's loaded batch files dated on or before report_date (the
    -- manifest holds each file's smallest; the site_name columns are COLLATE "C": code-point order)
    SELECT coalesce(m.site_code, '') AS site_code,
           min(CASE WHEN m.site_name <> '' THEN m.site_name END) AS site_name
      FROM ektp_ingest.file_manifest m
     WHERE m.file_kind = 'batch' AND m.status = 'loaded' AND m.file_date <= :report_date
     GROUP BY coalesce(m.site_code, '')
)
INSERT INTO ektp_coverage.site_funnel_daily (
    report_date, site_code, site_name, recorded, biometric_duplicate, prr, printed, delivered, activated,
    awaiting_print_14d, published_at
)
SELECT :report_date, s.site_code, coalesce(max(n.site_name), ''), count(*),
       sum(CASE WHEN s.stage = -1 THEN 1 ELSE 0 END),
       sum(CASE WHEN s.stage >= 1 THEN 1 ELSE 0 END),
       sum(CASE WHEN s.stage >= 2 THEN 1 ELSE 0 END),
       sum(CASE WHEN s.stage >= 3 THEN 1 ELSE 0 END),
       sum(CASE WHEN s.stage = 4 THEN 1 ELSE 0 END),
       sum(CASE WHEN s.stage IN (0, 1) AND s.recording_date <= :awaiting_since THEN 1 ELSE 0 END),
       :published_at
  FROM staged s
  LEFT JOIN site_name n ON n.site_code = s.site_code
 GROUP BY s.site_code;
