-- Audit before publishing (contract §2.5): for every loaded batch file,
-- rows received = rejected + duplicate + accepted. Any row returned stops the publish.
SELECT m.file_path, m.row_count, m.rows_rejected,
       (SELECT count(*) FROM ektp_quarantine.rejected_row r WHERE r.file_path = m.file_path) AS quarantined,
       (SELECT count(*) FROM ektp_ingest.recording rec WHERE rec.file_path = m.file_path) AS validated
  FROM ektp_ingest.file_manifest m
 WHERE m.file_kind = 'batch' AND m.status = 'loaded'
   AND m.file_date IN (SELECT report_date FROM ektp_ingest.publish_queue)
   AND (m.row_count <> m.rows_rejected + (SELECT count(*) FROM ektp_ingest.recording rec WHERE rec.file_path = m.file_path)
        OR m.rows_rejected <> (SELECT count(*) FROM ektp_quarantine.rejected_row r WHERE r.file_path = m.file_path));
