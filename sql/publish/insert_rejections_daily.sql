-- Rejected batch rows of loaded files, by first reason. Duplicates are not rejections (site_daily
-- counts them); rejected registry rows are not recordings and are not counted here.
INSERT INTO ektp_coverage.rejections_daily (report_date, reason, rows, published_at)
SELECT r.file_date, r.first_reason, count(*), :published_at
  FROM ektp_quarantine.rejected_row r
  JOIN ektp_ingest.file_manifest m ON m.file_path = r.file_path AND m.status = 'loaded'
 WHERE r.file_kind = 'batch'
   AND r.file_date IN (SELECT report_date FROM ektp_ingest.publish_queue)
 GROUP BY r.file_date, r.first_reason;
