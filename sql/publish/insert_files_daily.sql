-- Every landed CSV file dated a queued report_date, whatever its kind (registry, batch, card_events), and what
-- became of it (contract §4, files_daily). The manifest holds every file a run has planned, loaded, rejected or
-- skipped as a duplicate delivery; a file that left the landing area left it too. Parameter: :published_at.
INSERT INTO ektp_coverage.files_daily (report_date, kind, file_path, outcome, reason, site_code, rows, published_at)
SELECT m.file_date, m.file_kind, m.file_path,
       CASE m.status WHEN 'rejected_file' THEN 'rejected' ELSE m.status END,
       CASE WHEN m.status = 'rejected_file' THEN coalesce(m.reason_code, '') ELSE '' END,
       CASE WHEN m.status = 'loaded' AND m.file_kind = 'batch' THEN coalesce(m.site_code, '') ELSE '' END,
       CASE WHEN m.status = 'loaded' THEN coalesce(m.row_count, 0) ELSE 0 END,
       :published_at
  FROM ektp_ingest.file_manifest m
  JOIN ektp_ingest.publish_queue q ON q.report_date = m.file_date;
