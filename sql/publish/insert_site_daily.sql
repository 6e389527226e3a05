-- Per outreach site and date: every loaded batch file counts, whole, under its file's site.
WITH site_file AS (
    SELECT m.file_date AS report_date, m.file_path, coalesce(m.site_code, '') AS site_code,
           m.site_name, m.row_count, m.rows_rejected
      FROM ektp_ingest.file_manifest m
      JOIN ektp_ingest.publish_queue q ON q.report_date = m.file_date
     WHERE m.file_kind = 'batch' AND m.status = 'loaded'
), per_file AS (
    SELECT rec.file_path,
           sum(CASE WHEN rec.duplicate_status <> 'accepted' THEN 1 ELSE 0 END) AS rows_duplicate,
           sum(CASE WHEN rec.duplicate_status = 'accepted' THEN 1 ELSE 0 END) AS rows_accepted,
           sum(CASE WHEN rec.reconciliation_status = 'matched' THEN 1 ELSE 0 END) AS matched,
           sum(CASE WHEN rec.reconciliation_status = 'identity_mismatch' THEN 1 ELSE 0 END) AS identity_mismatch,
           sum(CASE WHEN rec.reconciliation_status = 'not_in_extract' THEN 1 ELSE 0 END) AS not_in_extract
      FROM ektp_ingest.recording rec
     WHERE rec.recording_date IN (SELECT report_date FROM ektp_ingest.publish_queue)
     GROUP BY rec.file_path
)
INSERT INTO ektp_coverage.site_daily (
    report_date, site_code, site_name, batch_files, rows_received, rows_rejected, rows_duplicate,
    rows_accepted, matched, identity_mismatch, not_in_extract, published_at
)
SELECT f.report_date, f.site_code, coalesce(min(f.site_name), ''), count(*),
       sum(f.row_count), sum(f.rows_rejected),
       coalesce(sum(p.rows_duplicate), 0), coalesce(sum(p.rows_accepted), 0), coalesce(sum(p.matched), 0),
       coalesce(sum(p.identity_mismatch), 0), coalesce(sum(p.not_in_extract), 0),
       :published_at
  FROM site_file f
  LEFT JOIN per_file p ON p.file_path = f.file_path
 GROUP BY f.report_date, f.site_code;
