-- Audit before publishing (contract §2.5): for every loaded batch or card-event file of a queued date,
-- rows received = rejected + validated (batch rows: duplicate + accepted, all in recording; card-event rows:
-- linked + unlinked, all in card_event). Any row returned stops the publish.
WITH counted AS (
    SELECT m.file_path, m.row_count, m.rows_rejected,
           (SELECT count(*) FROM ektp_quarantine.rejected_row r WHERE r.file_path = m.file_path) AS quarantined,
           CASE m.file_kind
                WHEN 'batch' THEN (SELECT count(*) FROM ektp_ingest.recording rec WHERE rec.file_path = m.file_path)
                ELSE (SELECT count(*) FROM ektp_ingest.card_event e WHERE e.file_path = m.file_path)
           END AS validated
      FROM ektp_ingest.file_manifest m
     WHERE m.file_kind IN ('batch', 'card_events') AND m.status = 'loaded'
       AND m.file_date IN (SELECT report_date FROM ektp_ingest.publish_queue)
)
SELECT file_path, row_count, rows_rejected, quarantined, validated
  FROM counted
 WHERE row_count <> rows_rejected + validated OR rows_rejected <> quarantined;
