-- Card-event rows of loaded card-event files per queued report_date (the files' folder date) and outcome
-- (contract §6.3): linked (its NIK has an accepted recording recorded on or before the event's date), unlinked
-- (kept: it links once such a recording is loaded, and a republish then counts it), or the first rejection
-- reason. Run after resolve/update_recording_status (it reads duplicate_status). Parameter: :published_at.
-- A NIK has at most one accepted recording (contract §2.3), so the left join adds no rows; card_event holds the
-- rows of loaded files only, as recording does.
WITH outcome AS (
    SELECT e.event_date AS report_date,
           CASE WHEN rec.nik IS NULL THEN 'unlinked' ELSE 'linked' END AS outcome
      FROM ektp_ingest.card_event e
      LEFT JOIN ektp_ingest.recording rec
        ON rec.nik = e.nik
       AND rec.duplicate_status = 'accepted'
       AND rec.recording_date <= e.event_date
     WHERE e.event_date IN (SELECT report_date FROM ektp_ingest.publish_queue)
    UNION ALL
    SELECT r.file_date, r.first_reason
      FROM ektp_quarantine.rejected_row r
      JOIN ektp_ingest.file_manifest m ON m.file_path = r.file_path AND m.status = 'loaded'
     WHERE r.file_kind = 'card_events'
       AND r.file_date IN (SELECT report_date FROM ektp_ingest.publish_queue)
)
INSERT INTO ektp_coverage.card_events_daily (report_date, outcome, rows, published_at)
SELECT report_date, outcome, count(*), :published_at
  FROM outcome
 GROUP BY report_date, outcome;
