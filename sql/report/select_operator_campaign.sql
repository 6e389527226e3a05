-- Every operator (recording device user) over the campaign to date: the accepted recordings they made up to the
-- report date, by the site of their file (contract §4), and how many matched the extract in force on their
-- recording date. Counts only (no NIK). The best first.
SELECT r.operator_id, coalesce(m.site_code, '') AS site_code, count(DISTINCT r.recording_date) AS days,
       count(*) AS rows_accepted,
       sum(CASE WHEN r.reconciliation_status = 'matched' THEN 1 ELSE 0 END) AS matched
  FROM ektp_ingest.recording r
  JOIN ektp_ingest.file_manifest m ON m.file_path = r.file_path
 WHERE r.duplicate_status = 'accepted'
   AND r.recording_date <= :report_date
 GROUP BY r.operator_id, coalesce(m.site_code, '')
 ORDER BY matched DESC, rows_accepted DESC, r.operator_id, site_code;
