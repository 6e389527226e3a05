-- The card stage of every accepted recording on ONE report date (contract §6.2): the one place the rule is
-- written. Not a statement: two common table expressions that a statement includes after its WITH with the line
-- `\ir ../shared/card_stages.sql` (psql's include, relative to the including file; ektp.warehouse.sql_files
-- expands it): publish/insert_site_funnel_daily, report/select_print_backlog, report/select_handover_days and
-- followup/select_card_lists. Recomputed from everything loaded, so it does not depend on the order in which batch
-- and card-event files arrived; it reads duplicate_status (run after resolve/update_recording_status).
-- Parameter: :report_date.
--
-- card_accepted: every accepted recording (any reconciliation status) recorded on or before report_date, under
-- the site of its file (the manifest's site_code, as in site_daily).
-- card_staged: one row per card_accepted row (file_path, row_number, site_code, recording_date) with its stage.
-- Its linked events are its NIK's card events dated from its recording date to report_date: an event dated
-- before the recording does not link, nor does one dated after report_date. A NIK has at most one accepted
-- recording (contract §2.3). Its stage, as a number:
--   -1  biometric_duplicate: its latest prr or biometric_duplicate event by event_at is a biometric_duplicate
--       (a tie goes to biometric_duplicate), whatever was printed or delivered after it;
--   otherwise its furthest event: 4 activated, 3 delivered, 2 printed, 1 prr, 0 recorded (no event).
-- A stage implies the earlier ones (a card printed without a prr event is print-ready too): readers count
-- "stage s or later" as stage >= s. Besides, the dates the report and the lists show: the latest
-- biometric_duplicate, printed and prr event dates (duplicate_on, printed_on, prr_on), and handed_over_date, the
-- first delivered (or, without one, activated) event's date.
card_accepted AS (
    SELECT rec.file_path, rec.row_number, rec.nik, rec.recording_date, coalesce(m.site_code, '') AS site_code
      FROM ektp_ingest.recording rec
      JOIN ektp_ingest.file_manifest m ON m.file_path = rec.file_path
     WHERE rec.duplicate_status = 'accepted'
       AND rec.recording_date <= :report_date
), card_staged AS (
    SELECT a.file_path, a.row_number, a.site_code, a.recording_date,
           CASE WHEN max(CASE WHEN e.event = 'biometric_duplicate' THEN e.event_at END) IS NOT NULL
                 AND (max(CASE WHEN e.event = 'prr' THEN e.event_at END) IS NULL
                      OR max(CASE WHEN e.event = 'biometric_duplicate' THEN e.event_at END)
                         >= max(CASE WHEN e.event = 'prr' THEN e.event_at END))
                THEN -1
                ELSE coalesce(max(CASE e.event WHEN 'activated' THEN 4 WHEN 'delivered' THEN 3
                                               WHEN 'printed' THEN 2 WHEN 'prr' THEN 1 END), 0)
           END AS stage,
           max(CASE WHEN e.event = 'biometric_duplicate' THEN e.event_date END) AS duplicate_on,
           max(CASE WHEN e.event = 'printed' THEN e.event_date END) AS printed_on,
           max(CASE WHEN e.event = 'prr' THEN e.event_date END) AS prr_on,
           coalesce(min(CASE WHEN e.event = 'delivered' THEN e.event_date END),
                    min(CASE WHEN e.event = 'activated' THEN e.event_date END)) AS handed_over_date
      FROM card_accepted a
      LEFT JOIN ektp_ingest.card_event e
        ON e.nik = a.nik
       AND e.event_date >= a.recording_date
       AND e.event_date <= :report_date
     GROUP BY a.file_path, a.row_number, a.site_code, a.recording_date
)
