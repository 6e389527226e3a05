-- Card-event rows of loaded card-event files on ONE queued report_date (the files' folder date) per outcome
-- (contract §6.3): linked (its NIK has an accepted recording recorded on or before the event's date), unlinked
-- (kept: it links once such a recording is loaded, and a republish then counts it), or the first rejection
-- reason. Run once per queued date, after resolve/update_recording_status (it reads duplicate_status), so the
-- planner sees the date and the number of its events (a join through publish_queue is planned for an average
-- date's and looked each event's recording up by index). Parameters: :report_date, :published_at.
-- A NIK has at most one accepted recording (contract §2.3), so the left join adds no rows; card_event holds the
-- rows of loaded files only, as recording does.
WITH outcome AS (
    SELECT CASE WHEN rec.nik IS NULL THEN 'unlinked' ELSE 'linked' END AS outcome
      FROM ektp_ingest.card_event e
      LEFT JOIN ektp_ingest.recording rec
        ON rec.nik = e.nik
       AND rec.duplicate_status = 'accepted'
       AND rec.recording_date <= e.event_date
     WHERE e.event_date = :report_date
    UNION ALL
    SELECT r.first_reason
      FROM ektp_quarantine.rejected_row r
      JOIN ektp_ingest.file_manifest m ON m.file_path = r.file_path AND m.status = 'loaded'
     WHERE r.file_kind = 'card_events'
       AND r.file_date = :report_date
)
INSERT INTO ektp_coverage.card_events_daily (report_date, outcome, rows, published_at)
SELECT :report_date, outcome, count(*), :published_at
  FROM outcome
 GROUP BY outcome;
