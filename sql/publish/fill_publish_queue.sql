-- The dates this run publishes: its own date, and every published date on or after the earliest
-- date whose inputs changed (cumulative counts and duplicate statuses flow forward in time).
DELETE FROM ektp_ingest.publish_queue;
INSERT INTO ektp_ingest.publish_queue (report_date)
SELECT p.report_date
  FROM ektp_ingest.published_report p
 WHERE p.report_date >= (SELECT min(c.change_date) FROM ektp_ingest.pending_change c);
INSERT INTO ektp_ingest.publish_queue (report_date)
SELECT :report_date
 WHERE NOT EXISTS (SELECT 1 FROM ektp_ingest.publish_queue WHERE report_date = :report_date);
